//! Operands: a name, a shape and declared properties; and property inference over products.

use super::GenError;
use serde::{Deserialize, Serialize};

/// What is known about a matrix. The flags are closed under their implications by
/// [`Properties::closed`]: diagonal implies lower, upper and symmetric; SPD implies symmetric
/// and full rank; orthogonal implies full rank; lower and upper together mean diagonal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Properties {
    /// A = Aᵀ.
    pub symmetric: bool,
    /// Symmetric positive definite (Cholesky succeeds).
    pub spd: bool,
    /// Lower triangular (zeros above the diagonal).
    pub lower: bool,
    /// Upper triangular (zeros below the diagonal).
    pub upper: bool,
    /// Diagonal.
    pub diagonal: bool,
    /// Square with QᵀQ = I.
    pub orthogonal: bool,
    /// Rank min(rows, cols): full column rank when tall, nonsingular when square.
    pub full_rank: bool,
}

/// The property names `--op` accepts, in the order [`Properties::names`] lists them.
pub const PROPERTY_NAMES: &str =
    "general, symmetric, spd, lower, upper, diagonal, orthogonal, fullrank, nonsingular";

impl Properties {
    /// The flags with their implications added.
    pub fn closed(mut self) -> Self {
        if self.lower && self.upper {
            self.diagonal = true;
        }
        if self.diagonal {
            self.lower = true;
            self.upper = true;
            self.symmetric = true;
        }
        if self.spd {
            self.symmetric = true;
            self.full_rank = true;
        }
        if self.orthogonal {
            self.full_rank = true;
        }
        self
    }

    /// The properties of the transpose: lower and upper swap.
    pub fn transposed(self) -> Self {
        Properties {
            lower: self.upper,
            upper: self.lower,
            ..self
        }
    }

    /// Lower or upper triangular (or diagonal).
    pub fn triangular(self) -> bool {
        self.lower || self.upper
    }

    /// Any structure a kernel can use (everything but full rank).
    pub fn structured(self) -> bool {
        self.symmetric || self.triangular() || self.orthogonal
    }

    /// The most specific names of the flags, for reports: `spd`, `lower`, `fullrank`, …;
    /// `general` when none is set.
    pub fn names(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.diagonal {
            out.push("diagonal");
        } else {
            if self.lower {
                out.push("lower");
            }
            if self.upper {
                out.push("upper");
            }
        }
        if self.spd {
            out.push("spd");
        } else if self.symmetric && !self.diagonal {
            out.push("symmetric");
        }
        if self.orthogonal {
            out.push("orthogonal");
        }
        if self.full_rank && !self.spd && !self.orthogonal {
            out.push("fullrank");
        }
        if out.is_empty() {
            out.push("general");
        }
        out
    }
}

/// A named matrix (or vector: one dimension 1) of a generalized chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operand {
    /// Its name in expressions.
    pub name: String,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Declared properties, closed under their implications.
    pub props: Properties,
}

impl Operand {
    /// An operand with checked properties: square-only properties need a square shape, and
    /// lower with upper, or orthogonal with a triangular or SPD declaration, contradict.
    pub fn new(name: &str, rows: usize, cols: usize, props: Properties) -> Result<Self, GenError> {
        check_name(name)?;
        check_dims(name, rows, cols, name)?;
        if rows == 0 || cols == 0 {
            return Err(GenError::BadOperand {
                spec: name.to_string(),
                reason: format!("shape {rows}x{cols} is empty; dimensions must be at least 1"),
            });
        }
        let bad = |reason: String| GenError::ContradictoryProperties {
            operand: name.to_string(),
            reason,
        };
        if props.lower && props.upper && !props.diagonal {
            return Err(bad(
                "lower and upper triangular together; declare it diagonal".into(),
            ));
        }
        if props.orthogonal && (props.spd || props.triangular()) {
            return Err(bad(
                "orthogonal with spd, lower, upper or diagonal: only a signed identity is both; declare one"
                    .into(),
            ));
        }
        let square_only = props.symmetric || props.spd || props.triangular() || props.orthogonal;
        if square_only && rows != cols {
            let which = props.closed().names().join(", ");
            return Err(bad(format!(
                "{which} needs a square matrix but it is {rows}x{cols}"
            )));
        }
        Ok(Operand {
            name: name.to_string(),
            rows,
            cols,
            props: props.closed(),
        })
    }

    /// Parses `X=2500x500:fullrank`, `M=2500x2500:spd`, `y=2500x1` or `y=2500` (a column
    /// vector). Properties are comma- or colon-separated.
    pub fn parse(spec: &str) -> Result<Self, GenError> {
        let (name, rest) = spec.split_once('=').ok_or_else(|| GenError::BadOperand {
            spec: spec.to_string(),
            reason: "expected NAME=ROWSxCOLS[:PROPERTIES], e.g. X=2500x500:fullrank".into(),
        })?;
        let name = name.trim();
        check_name(name)?;
        declaration(name, rest, spec)
    }

    /// The operand `name` declared by the text after `NAME=` (`2500x500:fullrank`, `2500`),
    /// for callers that hold the name apart: the name is checked on its own, so it cannot
    /// change how the declaration reads.
    pub fn with_declaration(name: &str, declaration_text: &str) -> Result<Self, GenError> {
        check_name(name)?;
        declaration(
            name,
            declaration_text,
            &format!("{name}={declaration_text}"),
        )
    }

    /// The operand `name`, `rows`×`cols`, with properties given by name (`spd`, `lower`,
    /// `fullrank`, …, as in [`PROPERTY_NAMES`]; an entry may hold several, comma-separated):
    /// the typed form of a declaration, for bindings that hold the shape as numbers. In Rust,
    /// [`Operand::new`] takes the [`Properties`] flags themselves.
    pub fn with_property_names<S: AsRef<str>>(
        name: &str,
        rows: usize,
        cols: usize,
        properties: &[S],
    ) -> Result<Self, GenError> {
        check_name(name)?;
        check_dims(name, rows, cols, name)?;
        let words = properties
            .iter()
            .flat_map(|p| p.as_ref().split([',', ':']))
            .filter(|w| !w.trim().is_empty());
        let p = property_words(name, rows, cols, words)?;
        Operand::new(name, rows, cols, p)
    }

    /// `X (2500x500, fullrank)`, for messages and reports.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}x{}, {})",
            self.name,
            self.rows,
            self.cols,
            self.props.names().join(", ")
        )
    }
}

/// Reads `ROWSxCOLS[:PROPERTIES]` (or `N`, a column) for the operand `name`; errors quote
/// `spec`, the declaration as the caller wrote it.
fn declaration(name: &str, rest: &str, spec: &str) -> Result<Operand, GenError> {
    let (shape, props) = match rest.split_once(':') {
        Some((s, p)) => (s.trim(), p),
        None => (rest.trim(), ""),
    };
    let dim = |t: &str| -> Result<usize, GenError> {
        let t = t.trim();
        t.parse::<usize>().map_err(|_| GenError::BadOperand {
            spec: spec.to_string(),
            reason: if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                format!("dimension {} of {name} is too large", crate::text::quote(t))
            } else {
                format!(
                    "dimension {} of {name} is not a whole number",
                    crate::text::quote(t)
                )
            },
        })
    };
    let (rows, cols) = match shape.split_once(['x', 'X', '×']) {
        Some((r, c)) => (dim(r)?, dim(c)?),
        None => (dim(shape)?, 1),
    };
    check_dims(name, rows, cols, spec)?;
    let words = props
        .split([',', ':'])
        .map(str::trim)
        .filter(|w| !w.is_empty());
    let p = property_words(name, rows, cols, words)?;
    Operand::new(name, rows, cols, p)
}

/// Dimensions BLAS and LAPACK can take.
fn check_dims(name: &str, rows: usize, cols: usize, spec: &str) -> Result<(), GenError> {
    if rows > MAX_DIM || cols > MAX_DIM {
        return Err(GenError::BadOperand {
            spec: spec.to_string(),
            reason: format!("{name} is {rows}x{cols}; dimensions must be at most {MAX_DIM}"),
        });
    }
    Ok(())
}

/// The properties named by `words` (case-insensitive, with the short forms `--op` accepts).
fn property_words<'w>(
    name: &str,
    rows: usize,
    cols: usize,
    words: impl Iterator<Item = &'w str>,
) -> Result<Properties, GenError> {
    let mut p = Properties::default();
    let mut general = false;
    for word in words {
        match word.trim().to_ascii_lowercase().as_str() {
            "general" | "gen" => general = true,
            "symmetric" | "sym" => p.symmetric = true,
            "spd" | "posdef" => p.spd = true,
            "lower" | "lowertriangular" | "l" => p.lower = true,
            "upper" | "uppertriangular" | "u" => p.upper = true,
            "diagonal" | "diag" => p.diagonal = true,
            "orthogonal" | "orth" => p.orthogonal = true,
            "fullrank" | "full_rank" | "full-rank" => p.full_rank = true,
            "nonsingular" | "invertible" => {
                if rows != cols {
                    return Err(GenError::ContradictoryProperties {
                        operand: name.to_string(),
                        reason: format!(
                            "nonsingular needs a square matrix but it is {rows}x{cols}; a non-square one is fullrank"
                        ),
                    });
                }
                p.full_rank = true
            }
            _ => {
                return Err(GenError::UnknownProperty {
                    operand: name.to_string(),
                    property: word.to_string(),
                })
            }
        }
    }
    if general && (p.structured() || p.spd || p.diagonal) {
        return Err(GenError::ContradictoryProperties {
            operand: name.to_string(),
            reason: "general with a structural property; drop one".into(),
        });
    }
    Ok(p)
}

/// Largest dimension accepted (BLAS and LAPACK take 32-bit integers).
pub const MAX_DIM: usize = i32::MAX as usize;

/// A name is a letter or `_`, then letters, digits and `_`; `inv` is the inverse function.
fn check_name(name: &str) -> Result<(), GenError> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "inv";
    if ok {
        Ok(())
    } else {
        Err(GenError::BadOperand {
            spec: name.chars().take(40).collect(),
            reason:
                "an operand name is a letter or '_' then letters, digits or '_' (and not 'inv')"
                    .into(),
        })
    }
}

/// Reads operand declarations, one per line (`X=2500x500:fullrank`), `#` starting a comment.
pub fn parse_operand_file(text: &str) -> Result<Vec<Operand>, GenError> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(Operand::parse)
        .collect()
}
