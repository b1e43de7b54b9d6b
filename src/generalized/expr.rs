//! Expressions: parsing `inv(X' * X) * X' * y`, and normalising them into chains of factors
//! with properties inferred over every sub-chain.
//!
//! Grammar (whitespace is free):
//!
//! ```text
//! product := factor ('*' factor)*
//! factor  := atom postfix*
//! atom    := NAME | '(' product ')' | 'inv' '(' product ')'
//! postfix := "'" | '^T' | '^-1' | '^-T'
//! ```
//!
//! Normalisation pushes transposes down to the operands ((AB)ᵀ = BᵀAᵀ) and distributes an
//! inverse over a product of square nonsingular factors (inv(AB) = inv(B)·inv(A)), which lets
//! the planner choose between solving twice and multiplying first. An inverse of any other
//! product (inv(XᵀX) with X tall) stays a [`Base::Group`]: a sub-chain planned on its own whose
//! value is then inverted.

use super::operand::{Operand, Properties};
use super::GenError;
use serde::Serialize;

/// A parsed expression, before normalisation.
#[derive(Debug, Clone, PartialEq)]
enum Ast {
    Name { name: String, column: usize },
    Product(Vec<Ast>),
    Transpose(Box<Ast>),
    Inverse(Box<Ast>),
}

/// What a factor is built on: a declared operand, or a sub-chain that must be evaluated as a
/// whole before it is inverted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Base {
    /// Index of the operand in [`Expression::operands`].
    Operand(usize),
    /// A sub-chain (the inside of `inv(…)` when the inverse cannot be distributed).
    Group(FactorChain),
}

/// One factor of a chain: its base, transposed and/or inverted (the two commute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// What the factor is built on.
    pub base: Base,
    /// Transposed.
    pub transposed: bool,
    /// Inverted.
    pub inverted: bool,
}

/// A product of factors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactorChain {
    /// The factors, left to right.
    pub factors: Vec<Factor>,
}

/// A checked expression: the operands it uses and its normalised chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expression {
    /// The expression as given.
    pub text: String,
    /// Every declared operand (the chain refers to them by index).
    pub operands: Vec<Operand>,
    /// The normalised chain.
    pub chain: FactorChain,
}

impl Expression {
    /// Parses `text`, resolves its names among `operands`, normalises it and checks shapes,
    /// inverses and properties. Errors name the offending operand.
    pub fn parse(text: &str, operands: &[Operand]) -> Result<Self, GenError> {
        for (i, a) in operands.iter().enumerate() {
            if operands[..i].iter().any(|b| b.name == a.name) {
                return Err(GenError::DuplicateOperand {
                    name: a.name.clone(),
                });
            }
        }
        let ast = Parser::new(text).parse()?;
        let ctx = Ctx { operands };
        let factors = ctx.normalize(&ast, false, false)?;
        let chain = FactorChain { factors };
        let count = count_factors(&chain);
        if count > MAX_FACTORS {
            return Err(GenError::TooLarge {
                what: "the expression".into(),
                elements: count as u128,
                limit: MAX_FACTORS as u128,
            });
        }
        ctx.check_chain(&chain)?;
        Ok(Expression {
            text: text.to_string(),
            operands: operands.to_vec(),
            chain,
        })
    }

    /// Rows and columns of the expression's value.
    pub fn shape(&self) -> (usize, usize) {
        let (r, _) = factor_shape(&self.chain.factors[0], &self.operands);
        let (_, c) = factor_shape(
            self.chain.factors.last().expect("non-empty"),
            &self.operands,
        );
        (r, c)
    }

    /// The normalised expression with `'` and `inv(…)`: `inv(Xᵀ·X)·Xᵀ·y`.
    pub fn normalized(&self) -> String {
        chain_text(&self.chain.factors, &self.operands)
    }
}

/// Most factors (operand occurrences) an expression may have: the DP is cubic in them.
pub const MAX_FACTORS: usize = 256;

/// Factors of a chain, counting those inside groups.
pub(crate) fn count_factors(chain: &FactorChain) -> usize {
    chain
        .factors
        .iter()
        .map(|f| match &f.base {
            Base::Operand(_) => 1,
            Base::Group(g) => count_factors(g),
        })
        .sum()
}

/// Rows and columns of a factor's value.
pub(crate) fn factor_shape(f: &Factor, ops: &[Operand]) -> (usize, usize) {
    let (r, c) = base_shape(&f.base, ops);
    if f.transposed {
        (c, r)
    } else {
        (r, c)
    }
}

/// Rows and columns of a base's value.
pub(crate) fn base_shape(b: &Base, ops: &[Operand]) -> (usize, usize) {
    match b {
        Base::Operand(i) => (ops[*i].rows, ops[*i].cols),
        Base::Group(g) => {
            let (r, _) = factor_shape(&g.factors[0], ops);
            let (_, c) = factor_shape(g.factors.last().expect("non-empty"), ops);
            (r, c)
        }
    }
}

/// The text of a factor: `Xᵀ`, `inv(M)`, `inv(Xᵀ·X)ᵀ`.
pub(crate) fn factor_text(f: &Factor, ops: &[Operand]) -> String {
    let inner = match &f.base {
        Base::Operand(i) => ops[*i].name.clone(),
        Base::Group(g) => format!("({})", chain_text(&g.factors, ops)),
    };
    match (f.inverted, f.transposed) {
        (false, false) => inner,
        (false, true) => format!("{inner}ᵀ"),
        (true, false) => format!("inv{}", parenthesized(&inner)),
        (true, true) => format!("inv{}ᵀ", parenthesized(&inner)),
    }
}

fn parenthesized(s: &str) -> String {
    if s.starts_with('(') {
        s.to_string()
    } else {
        format!("({s})")
    }
}

/// The text of a product of factors, joined by `·`.
pub(crate) fn chain_text(fs: &[Factor], ops: &[Operand]) -> String {
    fs.iter()
        .map(|f| factor_text(f, ops))
        .collect::<Vec<_>>()
        .join("·")
}

/// The properties of a factor's value.
pub(crate) fn factor_props(f: &Factor, ops: &[Operand]) -> Properties {
    let p = match &f.base {
        Base::Operand(i) => ops[*i].props,
        Base::Group(g) => infer(&g.factors, ops),
    };
    // The inverse keeps every tracked property (of a nonsingular matrix); the transpose swaps
    // lower and upper.
    if f.transposed {
        p.transposed()
    } else {
        p
    }
}

/// Whether `b` is the transpose of `a` as a value (same base and inversion, transposes
/// differing, or a symmetric base).
pub(crate) fn mirrors(a: &Factor, b: &Factor, ops: &[Operand]) -> bool {
    a.base == b.base
        && a.inverted == b.inverted
        && (a.transposed != b.transposed || factor_props(a, ops).symmetric)
}

/// Full column rank: tall (or square) with full rank.
fn full_column_rank(f: &Factor, ops: &[Operand]) -> bool {
    let (r, c) = factor_shape(f, ops);
    r >= c && factor_props(f, ops).full_rank
}

/// Full row rank: wide (or square) with full rank.
fn full_row_rank(f: &Factor, ops: &[Operand]) -> bool {
    let (r, c) = factor_shape(f, ops);
    r <= c && factor_props(f, ops).full_rank
}

/// Properties of the product of `fs`, inferred over the whole sequence:
///
/// - lower (upper, diagonal, orthogonal) when every factor is;
/// - symmetric when the sequence reads the same transposed (Aᵀ·S·A, XᵀX, B·Bᵀ) around a
///   symmetric middle, SPD when moreover the middle is SPD (or absent) and the right half has
///   full column rank (each factor does);
/// - full rank when every factor has full column rank (or every factor full row rank).
pub fn infer(fs: &[Factor], ops: &[Operand]) -> Properties {
    if fs.len() == 1 {
        return factor_props(&fs[0], ops);
    }
    let ps: Vec<Properties> = fs.iter().map(|f| factor_props(f, ops)).collect();
    let mut p = Properties {
        lower: ps.iter().all(|p| p.lower),
        upper: ps.iter().all(|p| p.upper),
        diagonal: ps.iter().all(|p| p.diagonal),
        orthogonal: ps.iter().all(|p| p.orthogonal),
        ..Properties::default()
    };
    let n = fs.len();
    let palindrome = (0..n / 2).all(|i| mirrors(&fs[i], &fs[n - 1 - i], ops));
    if palindrome {
        let middle = (n % 2 == 1).then(|| ps[n / 2]);
        if middle.is_none_or(|m| m.symmetric) {
            p.symmetric = true;
            let right_full = fs[n.div_ceil(2)..].iter().all(|f| full_column_rank(f, ops));
            if middle.is_none_or(|m| m.spd) && right_full {
                p.spd = true;
            }
        }
    }
    let (rows, _) = factor_shape(&fs[0], ops);
    let (_, cols) = factor_shape(&fs[n - 1], ops);
    if (rows >= cols && fs.iter().all(|f| full_column_rank(f, ops)))
        || (rows <= cols && fs.iter().all(|f| full_row_rank(f, ops)))
    {
        p.full_rank = true;
    }
    if p.orthogonal && rows != cols {
        p.orthogonal = false;
    }
    p.closed()
}

struct Ctx<'a> {
    operands: &'a [Operand],
}

impl Ctx<'_> {
    fn lookup(&self, name: &str, column: usize) -> Result<usize, GenError> {
        self.operands
            .iter()
            .position(|o| o.name == name)
            .ok_or_else(|| GenError::UnknownOperand {
                name: name.to_string(),
                column,
                declared: self
                    .operands
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The factors of `op(ast)`, where op transposes if `t` and inverts if `inv`.
    fn normalize(&self, ast: &Ast, t: bool, inv: bool) -> Result<Vec<Factor>, GenError> {
        match ast {
            Ast::Name { name, column } => {
                let i = self.lookup(name, *column)?;
                let f = Factor {
                    base: Base::Operand(i),
                    transposed: t,
                    inverted: inv,
                };
                if inv {
                    self.check_invertible(&f)?;
                }
                Ok(vec![f])
            }
            Ast::Transpose(e) => self.normalize(e, !t, inv),
            Ast::Inverse(e) => self.normalize(e, t, !inv),
            Ast::Product(items) => {
                let mut flat = Vec::new();
                for item in items {
                    flat.extend(self.normalize(item, false, false)?);
                }
                if flat.len() == 1 {
                    let mut f = flat.pop().expect("one");
                    f.transposed ^= t;
                    f.inverted ^= inv;
                    if f.inverted {
                        self.check_invertible(&f)?;
                    }
                    return Ok(vec![f]);
                }
                self.check_chain(&FactorChain {
                    factors: flat.clone(),
                })?;
                let distributable = flat.iter().all(|f| {
                    let (r, c) = factor_shape(f, self.operands);
                    r == c && factor_props(f, self.operands).full_rank
                });
                if inv && !distributable {
                    let f = Factor {
                        base: Base::Group(FactorChain { factors: flat }),
                        transposed: t,
                        inverted: true,
                    };
                    self.check_invertible(&f)?;
                    return Ok(vec![f]);
                }
                // inv(F1…Fk) = inv(Fk)…inv(F1); (F1…Fk)ᵀ = Fkᵀ…F1ᵀ; both: the order stays.
                if t != inv {
                    flat.reverse();
                }
                for f in &mut flat {
                    f.transposed ^= t;
                    f.inverted ^= inv;
                }
                Ok(flat)
            }
        }
    }

    /// An inverted factor must be square and known to be nonsingular.
    fn check_invertible(&self, f: &Factor) -> Result<(), GenError> {
        let (r, c) = base_shape(&f.base, self.operands);
        let what = factor_text(
            &Factor {
                inverted: false,
                transposed: false,
                base: f.base.clone(),
            },
            self.operands,
        );
        if r != c {
            return Err(GenError::InverseNotSquare {
                operand: what,
                rows: r,
                cols: c,
            });
        }
        let p = match &f.base {
            Base::Operand(i) => self.operands[*i].props,
            Base::Group(g) => infer(&g.factors, self.operands),
        };
        if !p.full_rank {
            let hint = match &f.base {
                Base::Operand(_) => format!("declare it nonsingular (or spd): {what}={r}x{c}:nonsingular"),
                Base::Group(_) => "it is not known to be nonsingular from its operands' declarations (XᵀX needs X declared fullrank)".to_string(),
            };
            return Err(GenError::InverseNotNonsingular {
                operand: what,
                hint,
            });
        }
        Ok(())
    }

    /// Adjacent factors chain (and groups inside, recursively).
    fn check_chain(&self, chain: &FactorChain) -> Result<(), GenError> {
        for f in &chain.factors {
            if let Base::Group(g) = &f.base {
                self.check_chain(g)?;
            }
        }
        for w in chain.factors.windows(2) {
            let (_, k1) = factor_shape(&w[0], self.operands);
            let (k2, _) = factor_shape(&w[1], self.operands);
            if k1 != k2 {
                let (r1, c1) = factor_shape(&w[0], self.operands);
                let (r2, c2) = factor_shape(&w[1], self.operands);
                return Err(GenError::ShapeMismatch {
                    left: factor_text(&w[0], self.operands),
                    left_shape: format!("{r1}x{c1}"),
                    right: factor_text(&w[1], self.operands),
                    right_shape: format!("{r2}x{c2}"),
                });
            }
        }
        Ok(())
    }
}

/// A recursive-descent parser with columns (1-based, in characters) for errors.
struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

/// Deepest nesting of parentheses accepted (keeps the recursion bounded).
const MAX_DEPTH: usize = 64;

impl Parser {
    fn new(text: &str) -> Self {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
            depth: 0,
        }
    }

    fn err(&self, message: impl Into<String>) -> GenError {
        GenError::Syntax {
            column: self.pos + 1,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn parse(mut self) -> Result<Ast, GenError> {
        if self.peek().is_none() {
            return Err(self.err("the expression is empty"));
        }
        let ast = self.product()?;
        match self.peek() {
            None => Ok(ast),
            Some(')') => Err(self.err("unbalanced ')': no '(' to close")),
            Some(c) => Err(self.err(format!(
                "unexpected {}; factors are joined by '*'",
                crate::text::quote(&c.to_string())
            ))),
        }
    }

    fn product(&mut self) -> Result<Ast, GenError> {
        let mut items = vec![self.factor()?];
        while self.peek() == Some('*') {
            self.pos += 1;
            items.push(self.factor()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            Ast::Product(items)
        })
    }

    fn factor(&mut self) -> Result<Ast, GenError> {
        let mut ast = self.atom()?;
        loop {
            match self.peek() {
                Some('\'') | Some('ᵀ') => {
                    self.pos += 1;
                    ast = Ast::Transpose(Box::new(ast));
                }
                Some('^') => {
                    self.pos += 1;
                    self.skip_ws();
                    let rest: String = self.chars[self.pos..].iter().take(2).collect();
                    if rest.starts_with('T') {
                        self.pos += 1;
                        ast = Ast::Transpose(Box::new(ast));
                    } else if rest == "-1" {
                        self.pos += 2;
                        ast = Ast::Inverse(Box::new(ast));
                    } else if rest == "-T" {
                        self.pos += 2;
                        ast = Ast::Transpose(Box::new(Ast::Inverse(Box::new(ast))));
                    } else {
                        return Err(self.err("after '^' expected T, -1 or -T"));
                    }
                }
                _ => return Ok(ast),
            }
        }
    }

    fn nested(&mut self, open_col: usize) -> Result<Ast, GenError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("parentheses nest deeper than {MAX_DEPTH}")));
        }
        let inner = self.product()?;
        self.depth -= 1;
        if self.peek() != Some(')') {
            return Err(GenError::Syntax {
                column: open_col,
                message: "unbalanced '(': no ')' closes it".into(),
            });
        }
        self.pos += 1;
        Ok(inner)
    }

    fn atom(&mut self) -> Result<Ast, GenError> {
        match self.peek() {
            None => Err(self.err("the expression ends where a factor was expected")),
            Some('(') => {
                let col = self.pos + 1;
                self.pos += 1;
                self.nested(col)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                if name == "inv" && self.peek() == Some('(') {
                    let col = self.pos + 1;
                    self.pos += 1;
                    let inner = self.nested(col)?;
                    return Ok(Ast::Inverse(Box::new(inner)));
                }
                Ok(Ast::Name {
                    name,
                    column: start + 1,
                })
            }
            Some(')') => Err(self.err("unbalanced ')' where a factor was expected")),
            Some(c) => Err(self.err(format!(
                "unexpected {} where a factor was expected",
                crate::text::quote(&c.to_string())
            ))),
        }
    }
}
