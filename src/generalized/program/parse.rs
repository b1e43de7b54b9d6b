//! Reading programs: a tokenizer and a recursive-descent parser that keep every node's line and
//! column, so that each later error can name where it is.
//!
//! ```text
//! program    := sep* assignment (sep+ assignment)* sep*      sep := ';' | newline
//! assignment := NAME '=' expr
//! expr       := term (('+' | '-') term)*
//! term       := unary ('*' unary)*
//! unary      := '-' unary | postfix
//! postfix    := primary ("'" | 'ᵀ' | '^T' | '^-1' | '^-T')*
//! primary    := NUMBER | NAME | 'I' | 'inv' '(' expr ')' | '(' expr ')'
//! ```
//!
//! `#` starts a comment that runs to the end of the line.

use crate::generalized::GenError;

/// A place in the program text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Pos {
    /// The error at this place.
    pub(crate) fn err(self, reason: impl Into<String>) -> GenError {
        GenError::Program {
            line: self.line,
            column: self.column,
            reason: reason.into(),
        }
    }
}

/// A parsed expression with the place of each node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) at: Pos,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Number(f64),
    Name(String),
    Identity,
    Neg(Box<Node>),
    Add(Box<Node>, Box<Node>),
    Sub(Box<Node>, Box<Node>),
    Mul(Box<Node>, Box<Node>),
    Transpose(Box<Node>),
    Inverse(Box<Node>),
}

/// One assignment `name = expr`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    pub(crate) name: String,
    pub(crate) at: Pos,
    pub(crate) expr: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Number(f64),
    Name(String),
    Sym(char),
    /// `'`, `ᵀ` or `^T`.
    Transpose,
    /// `^-1`.
    Inverse,
    /// `^-T`.
    InverseTranspose,
    Sep,
    End,
}

/// Deepest nesting of parentheses, unary minus signs and postfix operators accepted (keeps
/// recursion bounded).
const MAX_DEPTH: usize = 64;

/// Most tokens one assignment may have (the lowering recurses along sums and products).
const MAX_TOKENS: usize = 2000;

fn tokenize(text: &str) -> Result<Vec<(Tok, Pos)>, GenError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1usize, 0usize);
    while i < chars.len() {
        let c = chars[i];
        let at = Pos {
            line,
            column: i - line_start + 1,
        };
        if c == '\n' {
            out.push((Tok::Sep, at));
            i += 1;
            line += 1;
            line_start = i;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                let mut j = i + 1;
                if j < chars.len() && matches!(chars[j], '+' | '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            match s.parse::<f64>() {
                Ok(x) if x.is_finite() => out.push((Tok::Number(x), at)),
                _ => {
                    return Err(at.err(format!("{} is not a finite number", crate::text::quote(&s))))
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Name(chars[start..i].iter().collect()), at));
        } else if c == '\'' || c == 'ᵀ' {
            out.push((Tok::Transpose, at));
            i += 1;
        } else if c == '^' {
            let rest: String = chars[i + 1..].iter().take(2).collect();
            if rest.starts_with('T') {
                out.push((Tok::Transpose, at));
                i += 2;
            } else if rest == "-1" {
                out.push((Tok::Inverse, at));
                i += 3;
            } else if rest == "-T" {
                out.push((Tok::InverseTranspose, at));
                i += 3;
            } else {
                return Err(at.err("after '^' expected T, -1 or -T"));
            }
        } else if c == ';' {
            out.push((Tok::Sep, at));
            i += 1;
        } else if "+-*()=".contains(c) {
            out.push((Tok::Sym(c), at));
            i += 1;
        } else {
            return Err(at.err(format!("unexpected {}", crate::text::quote(&c.to_string()))));
        }
    }
    out.push((
        Tok::End,
        Pos {
            line,
            column: chars.len() - line_start + 1,
        },
    ));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    i: usize,
    depth: usize,
    /// The first token of the assignment being read.
    start: usize,
}

/// Parses a program into its assignments, in order.
pub(crate) fn parse_program(text: &str) -> Result<Vec<Assignment>, GenError> {
    let mut p = Parser {
        toks: tokenize(text)?,
        i: 0,
        depth: 0,
        start: 0,
    };
    let mut out = Vec::new();
    loop {
        while p.peek() == &Tok::Sep {
            p.i += 1;
        }
        if p.peek() == &Tok::End {
            break;
        }
        out.push(p.assignment()?);
        match p.peek() {
            Tok::Sep | Tok::End => {}
            Tok::Sym(')') => return Err(p.at().err("unbalanced ')': no '(' to close")),
            t => {
                let t = describe(t);
                return Err(p.at().err(format!(
                    "{t} follows a complete assignment; an assignment ends with ';' or a new line"
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(Pos { line: 1, column: 1 }.err("the program is empty"));
    }
    Ok(out)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Number(x) => format!("the number {x}"),
        Tok::Name(n) => format!("the name {}", crate::text::quote(n)),
        Tok::Sym(c) => crate::text::quote(&c.to_string()),
        Tok::Transpose => "a transpose".into(),
        Tok::Inverse | Tok::InverseTranspose => "an inverse".into(),
        Tok::Sep => "the end of the assignment".into(),
        Tok::End => "the end of the program".into(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].0
    }

    fn at(&self) -> Pos {
        self.toks[self.i].1
    }

    fn assignment(&mut self) -> Result<Assignment, GenError> {
        let at = self.at();
        self.start = self.i;
        let Tok::Name(name) = self.peek().clone() else {
            return Err(at.err(format!(
                "expected an assignment NAME = EXPRESSION, found {}",
                describe(self.peek())
            )));
        };
        self.i += 1;
        if self.peek() != &Tok::Sym('=') {
            return Err(self.at().err(format!(
                "expected '=' after {}, found {}",
                crate::text::quote(&name),
                describe(self.peek())
            )));
        }
        self.i += 1;
        let expr = self.expr()?;
        Ok(Assignment { name, at, expr })
    }

    fn expr(&mut self) -> Result<Node, GenError> {
        let mut left = self.term()?;
        while let Tok::Sym(c @ ('+' | '-')) = *self.peek() {
            self.bounded()?;
            let at = self.at();
            self.i += 1;
            let right = Box::new(self.term()?);
            let kind = if c == '+' {
                Kind::Add(Box::new(left), right)
            } else {
                Kind::Sub(Box::new(left), right)
            };
            left = Node { kind, at };
        }
        Ok(left)
    }

    /// An error once the assignment is longer than [`MAX_TOKENS`] (checked before the
    /// tree grows further: a deep tree is dropped recursively).
    fn bounded(&self) -> Result<(), GenError> {
        if self.i - self.start > MAX_TOKENS {
            return Err(self
                .at()
                .err(format!("the assignment has more than {MAX_TOKENS} tokens")));
        }
        Ok(())
    }

    fn term(&mut self) -> Result<Node, GenError> {
        let mut left = self.unary()?;
        while self.peek() == &Tok::Sym('*') {
            self.bounded()?;
            let at = self.at();
            self.i += 1;
            let right = self.unary()?;
            left = Node {
                kind: Kind::Mul(Box::new(left), Box::new(right)),
                at,
            };
        }
        Ok(left)
    }

    fn deeper(&mut self) -> Result<(), GenError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .at()
                .err(format!("parentheses or signs nest deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Node, GenError> {
        if self.peek() == &Tok::Sym('-') {
            let at = self.at();
            self.i += 1;
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node {
                kind: Kind::Neg(Box::new(inner)),
                at,
            });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Node, GenError> {
        let mut node = self.primary()?;
        let mut count = 0;
        loop {
            count += 1;
            if count > MAX_DEPTH {
                return Err(self.at().err(format!(
                    "more than {MAX_DEPTH} transposes or inverses in a row"
                )));
            }
            let at = self.at();
            let wrap = |k: fn(Box<Node>) -> Kind, n: Node| Node {
                kind: k(Box::new(n)),
                at,
            };
            node = match self.peek() {
                Tok::Transpose => wrap(Kind::Transpose, node),
                Tok::Inverse => wrap(Kind::Inverse, node),
                Tok::InverseTranspose => wrap(Kind::Transpose, wrap(Kind::Inverse, node)),
                _ => return Ok(node),
            };
            self.i += 1;
        }
    }

    fn nested(&mut self, open: Pos) -> Result<Node, GenError> {
        self.deeper()?;
        let inner = self.expr()?;
        self.depth -= 1;
        if self.peek() != &Tok::Sym(')') {
            return Err(open.err("unbalanced '(': no ')' closes it"));
        }
        self.i += 1;
        Ok(inner)
    }

    fn primary(&mut self) -> Result<Node, GenError> {
        let at = self.at();
        let tok = self.peek().clone();
        self.i += 1;
        match tok {
            Tok::Number(x) => Ok(Node {
                kind: Kind::Number(x),
                at,
            }),
            Tok::Sym('(') => self.nested(at),
            Tok::Name(n) if n == "inv" && self.peek() == &Tok::Sym('(') => {
                let open = self.at();
                self.i += 1;
                let inner = self.nested(open)?;
                Ok(Node {
                    kind: Kind::Inverse(Box::new(inner)),
                    at,
                })
            }
            Tok::Name(n) if n == "I" => Ok(Node {
                kind: Kind::Identity,
                at,
            }),
            Tok::Name(n) => Ok(Node {
                kind: Kind::Name(n),
                at,
            }),
            Tok::Sym(')') => Err(at.err("unbalanced ')' where a factor was expected")),
            t => Err(at.err(format!(
                "expected a factor (a name, a number, I, inv(…) or '('), found {}",
                describe(&t)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_at(text: &str) -> (usize, usize) {
        match parse_program(text) {
            Err(GenError::Program { line, column, .. }) => (line, column),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn assignments_split_on_semicolons_and_lines() {
        let a = parse_program("K = A * B; x = K'\n\n y = -x + 2 * I # note").unwrap();
        let names: Vec<&str> = a.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["K", "x", "y"]);
        assert_eq!(a[2].at, Pos { line: 3, column: 2 });
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(err_at("x = (A * B"), (1, 5));
        assert_eq!(err_at("x = A)"), (1, 6));
        assert_eq!(err_at("x = A\ny = A * "), (2, 9));
        assert_eq!(err_at("x A"), (1, 3));
        assert_eq!(err_at("x = A $ B"), (1, 7));
        assert_eq!(err_at("  "), (1, 1));
        // Long sums, products and postfix runs end in errors, not deep trees.
        for long in [
            format!("x = A{}", " * A".repeat(100_000)),
            format!("x = A{}", " - A".repeat(100_000)),
            format!("x = A{}", "'".repeat(100_000)),
            format!("x = {}A", "-".repeat(100_000)),
        ] {
            assert!(matches!(
                parse_program(&long),
                Err(GenError::Program { .. })
            ));
        }
        assert_eq!(
            err_at(&format!("x = {}A{}", "(".repeat(100), ")".repeat(100))),
            (1, 70)
        );
    }
}
