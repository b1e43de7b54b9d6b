//! Parsing scalar expressions into a [`Tape`], and `NAME=VALUE` lists into points.
//!
//! ## Syntax
//!
//! ```text
//! expr    := term (('+' | '-') term)*          left-associative
//! term    := unary (('*' | '/') unary)*        left-associative
//! unary   := ('-' | '+') unary | power
//! power   := primary ('^' unary)?              right-associative: 2^3^2 = 2^(3^2)
//! primary := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
//! ```
//!
//! So `^` binds tighter than unary minus (`-x^2` is `-(x^2)`), an exponent may carry its own
//! sign (`2^-x`), and `*` `/` bind tighter than `+` `-`. Numbers are decimal with an optional
//! fraction and exponent (`3`, `0.5`, `.5`, `1e-3`, `2.5E+4`). Names are ASCII letters, digits
//! and `_`, not starting with a digit. The functions are `sin cos tan exp log sqrt tanh abs`
//! (one argument) and `pow(a, b)`, which is `a ^ b`. Spaces are ignored.
//!
//! Every error names the 1-based character column where the problem is:
//! `unexpected ')' at column 7`.

use super::error::{Error, Result};
use super::tape::{Builder, Func, Op, Tape};
use std::ops::Range;

/// Deepest nesting of parentheses, signs and exponents accepted (the parser is recursive).
pub const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(char),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Range<usize>,
    column: usize,
}

impl Token {
    fn describe(&self, src: &str) -> String {
        match &self.tok {
            Tok::End => "end of expression".to_string(),
            Tok::Num(_) => format!("number {}", crate::text::quote(&src[self.span.clone()])),
            Tok::Name(n) => crate::text::quote(n),
            Tok::Sym(c) => crate::text::quote(&c.to_string()),
        }
    }
}

fn syntax(message: String, column: usize, hint: &str) -> Error {
    Error::Syntax {
        message,
        column,
        hint: hint.to_string(),
    }
}

/// Splits `src` into tokens, ending with [`Tok::End`].
fn lex(src: &str) -> Result<Vec<Token>> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(src.len(), |&(b, _)| b);
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|&(_, c)| c);
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_ascii_digit() || chars[j].1 == '.') {
                j += 1;
            }
            let mut exponent_without_digits = false;
            if j < chars.len() && matches!(chars[j].1, 'e' | 'E') {
                let mut k = j + 1;
                if k < chars.len() && matches!(chars[k].1, '+' | '-') {
                    k += 1;
                }
                if k < chars.len() && chars[k].1.is_ascii_digit() {
                    while k < chars.len() && chars[k].1.is_ascii_digit() {
                        k += 1;
                    }
                } else {
                    exponent_without_digits = true;
                }
                j = k;
            }
            // A number running straight into a '.' or more digits is malformed (`1.2.3`).
            while j < chars.len() && (chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '.') {
                if chars[j].1.is_ascii_alphabetic() && !exponent_without_digits {
                    break; // `2x`: a number then a name, reported by the parser
                }
                j += 1;
            }
            let span = start..byte_at(j);
            let text = &src[span.clone()];
            tokens.push(Token {
                tok: Tok::Num(number(text, column)?),
                span,
                column,
            });
            i = j;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let span = start..byte_at(j);
            tokens.push(Token {
                tok: Tok::Name(src[span.clone()].to_string()),
                span,
                column,
            });
            i = j;
        } else if "+-*/^(),".contains(c) {
            tokens.push(Token {
                tok: Tok::Sym(c),
                span: start..start + c.len_utf8(),
                column,
            });
            i += 1;
        } else {
            return Err(syntax(
                format!(
                    "unexpected character {}",
                    crate::text::quote(&c.to_string())
                ),
                column,
                "",
            ));
        }
    }
    tokens.push(Token {
        tok: Tok::End,
        span: src.len()..src.len(),
        column: chars.len() + 1,
    });
    Ok(tokens)
}

/// Reads a decimal number, rejecting what `f64::from_str` would accept but people do not
/// mean (`inf`, `nan`) and what does not fit a 64-bit float.
fn number(text: &str, column: usize) -> Result<f64> {
    let bad = |reason| Error::BadNumber {
        token: text.to_string(),
        column,
        reason,
    };
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    if mantissa.matches('.').count() > 1 {
        return Err(bad("more than one decimal point"));
    }
    if !mantissa.chars().any(|c| c.is_ascii_digit()) {
        return Err(bad("no digits"));
    }
    let exponent = text.find(['e', 'E']).map(|p| &text[p + 1..]);
    if let Some(e) = exponent {
        let digits = e.trim_start_matches(['+', '-']);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("the exponent needs digits, as in 1e-3"));
        }
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return Err(bad("not a decimal number"));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(bad("out of the range of a 64-bit float")),
        Err(_) => Err(bad("not a decimal number")),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    builder: Builder,
}

/// A parsed operand: its node and the byte range it covers in the source.
type Parsed = (usize, Range<usize>);

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self, t: &Token) -> Error {
        let hint = match (&t.tok, self.pos.checked_sub(1).map(|p| &self.tokens[p].tok)) {
            // `2x`, `2(x+1)`, `x y`: an operand right after an operand.
            (Tok::Name(_) | Tok::Num(_) | Tok::Sym('('), Some(Tok::Num(_) | Tok::Name(_)))
            | (Tok::Name(_) | Tok::Num(_) | Tok::Sym('('), Some(Tok::Sym(')'))) => {
                "; write '*' for a product, as in 2*x"
            }
            _ => "",
        };
        syntax(
            format!("unexpected {}", t.describe(self.src)),
            t.column,
            hint,
        )
    }

    fn enter(&mut self, column: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax(
                format!("expression nested more than {MAX_DEPTH} deep"),
                column,
                "",
            ));
        }
        Ok(())
    }

    fn binary(&mut self, op: Op, lhs: Parsed, rhs: Parsed, column: usize) -> Parsed {
        let span = lhs.1.start..rhs.1.end;
        (
            self.builder.node(op, &[lhs.0, rhs.0], span.clone(), column),
            span,
        )
    }

    fn expr(&mut self) -> Result<Parsed> {
        let mut lhs = self.term()?;
        while let Tok::Sym(c @ ('+' | '-')) = self.peek().tok {
            let column = self.bump().column;
            let rhs = self.term()?;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            lhs = self.binary(op, lhs, rhs, column);
        }
        Ok(lhs)
    }

    fn term(&mut self) -> Result<Parsed> {
        let mut lhs = self.unary()?;
        while let Tok::Sym(c @ ('*' | '/')) = self.peek().tok {
            let column = self.bump().column;
            let rhs = self.unary()?;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            lhs = self.binary(op, lhs, rhs, column);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Parsed> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Sym(c @ ('-' | '+')) => {
                self.bump();
                self.enter(t.column)?;
                let (arg, span) = self.unary()?;
                self.depth -= 1;
                if c == '+' {
                    return Ok((arg, span));
                }
                let span = t.span.start..span.end;
                Ok((
                    self.builder.node(Op::Neg, &[arg], span.clone(), t.column),
                    span,
                ))
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Parsed> {
        let base = self.primary()?;
        if let Tok::Sym('^') = self.peek().tok {
            let column = self.bump().column;
            self.enter(column)?;
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(self.binary(Op::Pow, base, exponent, column));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Parsed> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Num(v) => {
                self.bump();
                Ok((self.builder.constant(*v, t.span.clone(), t.column), t.span))
            }
            Tok::Sym('(') => {
                self.bump();
                self.enter(t.column)?;
                let (inner, _) = self.expr()?;
                self.depth -= 1;
                let close = self.expect_close(&t)?;
                Ok((inner, t.span.start..close.end))
            }
            Tok::Name(name) => {
                self.bump();
                if self.peek().tok == Tok::Sym('(') {
                    return self.call(name, &t);
                }
                if Func::from_name(name).is_some() || name == "pow" {
                    return Err(syntax(
                        format!(
                            "function {} needs its argument in parentheses",
                            crate::text::quote(name)
                        ),
                        t.column,
                        &format!(", as in {name}(x)"),
                    ));
                }
                Ok((
                    self.builder.variable(name, t.span.clone(), t.column),
                    t.span,
                ))
            }
            _ => Err(self.unexpected(&t)),
        }
    }

    /// Reads the `)` closing the `(` token `open`; returns its span.
    fn expect_close(&mut self, open: &Token) -> Result<Range<usize>> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Sym(')') => {
                self.bump();
                Ok(t.span)
            }
            Tok::End => Err(syntax(
                "unexpected end of expression".to_string(),
                t.column,
                &format!("; the '(' at column {} is not closed", open.column),
            )),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn call(&mut self, name: &str, t: &Token) -> Result<Parsed> {
        let open = self.bump();
        let (op, arity) = match (Func::from_name(name), name) {
            (Some(f), _) => (Op::Func(f), 1),
            (None, "pow") => (Op::Pow, 2),
            (None, _) => {
                let mut known: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
                known.push("pow");
                return Err(Error::UnknownFunction {
                    name: name.to_string(),
                    column: t.column,
                    known: known.join(", "),
                });
            }
        };
        self.enter(open.column)?;
        let mut args = vec![self.expr()?.0];
        while self.peek().tok == Tok::Sym(',') {
            self.bump();
            args.push(self.expr()?.0);
        }
        self.depth -= 1;
        let close = self.expect_close(&open)?;
        if args.len() != arity {
            return Err(syntax(
                format!(
                    "{name} takes {arity} argument{}, got {}",
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
                t.column,
                "",
            ));
        }
        let span = t.span.start..close.end;
        Ok((self.builder.node(op, &args, span.clone(), t.column), span))
    }
}

/// Parses an expression into a tape.
///
/// ```
/// use chainplan::autodiff::parse::parse;
/// let tape = parse("-x^2 + 2^-y")?;
/// assert_eq!(tape.variables(), ["x", "y"]);
///
/// let err = parse("sin(x+)").unwrap_err();
/// assert_eq!(err.to_string(), "unexpected ')' at column 7");
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
pub fn parse(src: &str) -> Result<Tape> {
    Tape::parse(src)
}

// The parser builds tapes; the tape knows nothing of the parser (`tape` does not import this
// module), so `Tape::parse` lives here.
impl Tape {
    /// Parses an expression (see [`parse`] for the syntax).
    pub fn parse(source: &str) -> Result<Tape> {
        parse_tape(source)
    }
}

fn parse_tape(src: &str) -> Result<Tape> {
    let tokens = lex(src)?;
    if tokens.len() == 1 {
        return Err(syntax("empty expression".to_string(), 1, ""));
    }
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
        builder: Builder::default(),
    };
    let (output, _) = p.expr()?;
    let t = p.peek().clone();
    if t.tok != Tok::End {
        return Err(p.unexpected(&t));
    }
    Ok(p.builder.finish(src, output))
}

/// Parses a point written `NAME=VALUE, NAME=VALUE, …` (as `--at` takes it).
///
/// Columns in errors count from 1 at the start of `text`.
///
/// ```
/// use chainplan::autodiff::parse::parse_point;
/// let point = parse_point("x=2, y=-1e-3")?;
/// assert_eq!(point, vec![("x".to_string(), 2.0), ("y".to_string(), -0.001)]);
/// assert!(parse_point("x=2,y=abc").is_err());
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
#[cfg(feature = "report")]
pub fn parse_point(text: &str) -> Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    if text.trim().is_empty() {
        return Ok(out);
    }
    let mut start = 1; // column of the current item's first character
    for item in text.split(',') {
        let item_column = start;
        start += item.chars().count() + 1;
        let lead = item.chars().take_while(|c| c.is_whitespace()).count();
        let Some((name, value)) = item.split_once('=') else {
            return Err(syntax(
                format!(
                    "expected NAME=VALUE, got {}",
                    crate::text::quote(item.trim())
                ),
                item_column + lead,
                "",
            ));
        };
        let name = name.trim();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(syntax(
                format!("{} is not a variable name", crate::text::quote(name)),
                item_column + lead,
                "",
            ));
        }
        // Column of the first character after '='.
        let after_eq = item_column + item[..item.len() - value.len()].chars().count();
        let v = value.trim();
        let value_column = after_eq + value.chars().take_while(|c| c.is_whitespace()).count();
        let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
        if unsigned.is_empty() {
            return Err(syntax(
                format!(
                    "variable {} has no value after '='",
                    crate::text::quote(name)
                ),
                after_eq,
                "",
            ));
        }
        let magnitude = number(unsigned, value_column).map_err(|e| match e {
            Error::BadNumber { reason, .. } => Error::BadNumber {
                token: v.to_string(),
                column: value_column,
                reason,
            },
            e => e,
        })?;
        let sign = if v.starts_with('-') { -1.0 } else { 1.0 };
        out.push((name.to_string(), sign * magnitude));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse(src).unwrap_err().to_string()
    }

    #[test]
    fn precedence_shapes() {
        // -x^2 is -(x^2): the last node is a negation of a power.
        let t = parse("-x^2").unwrap();
        assert_eq!(t.nodes()[t.output()].op, Op::Neg);
        // 2^3^2 is 2^(3^2): the outer power's exponent is itself a power.
        let t = parse("2^3^2").unwrap();
        let out = &t.nodes()[t.output()];
        assert_eq!(out.op, Op::Pow);
        assert_eq!(t.nodes()[out.operands()[1]].op, Op::Pow);
        // a-b-c is (a-b)-c.
        let t = parse("a-b-c").unwrap();
        let out = &t.nodes()[t.output()];
        assert_eq!(t.nodes()[out.operands()[0]].op, Op::Sub);
        // 2^-x is allowed: the exponent is a negation.
        let t = parse("2^-x").unwrap();
        let out = &t.nodes()[t.output()];
        assert_eq!(t.nodes()[out.operands()[1]].op, Op::Neg);
    }

    #[test]
    fn shared_subexpressions_are_one_node() {
        let t = parse("sin(x)*sin(x) + sin(x)").unwrap();
        // x, sin(x), sin(x)*sin(x), the sum
        assert_eq!(t.nodes().len(), 4);
        assert_eq!(t.text(1), "sin(x)");
    }

    #[test]
    fn positioned_errors() {
        assert_eq!(err("sin(x+)"), "unexpected ')' at column 7");
        assert_eq!(err("x^3*(x+3*y))"), "unexpected ')' at column 12");
        assert_eq!(err("x +"), "unexpected end of expression at column 4");
        assert_eq!(
            err("(x+1"),
            "unexpected end of expression at column 5; the '(' at column 1 is not closed"
        );
        assert!(err("foo(x)").starts_with("unknown function 'foo' at column 1;"));
        assert_eq!(
            err("1.2.3+x"),
            "malformed number '1.2.3' at column 1: more than one decimal point"
        );
        assert!(err("x+1e").starts_with("malformed number '1e' at column 3"));
        assert!(err("1e999").contains("out of the range"));
        assert_eq!(
            err("2x"),
            "unexpected 'x' at column 2; write '*' for a product, as in 2*x"
        );
        assert_eq!(err("x # y"), "unexpected character '#' at column 3");
        assert_eq!(err("  "), "empty expression at column 1");
        assert_eq!(err("pow(x)"), "pow takes 2 arguments, got 1 at column 1");
        assert!(err("sin + 1").starts_with("function 'sin' needs its argument"));
        assert_eq!(err("x+é"), "unexpected character 'é' at column 3");
        assert_eq!(err("é+x"), "unexpected character 'é' at column 1");
        assert_eq!(err("x*(y))"), "unexpected ')' at column 6");
        assert_eq!(err("*x"), "unexpected '*' at column 1");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(err(&deep).contains("nested more than"));
        let signs = format!("{}x", "-".repeat(100_000));
        assert!(err(&signs).contains("nested more than"));
        let powers = vec!["x"; 100_000].join("^");
        assert!(err(&powers).contains("nested more than"));
        // Long flat sums are fine: they are parsed by a loop.
        let long = vec!["x"; 100_000].join("+");
        assert!(parse(&long).is_ok());
    }

    #[test]
    fn numbers() {
        for (s, v) in [("1e-3", 1e-3), (".5", 0.5), ("2.", 2.0), ("2.5E+2", 250.0)] {
            let t = parse(s).unwrap();
            assert_eq!(t.nodes()[t.output()].op, Op::Const(v), "{s}");
        }
    }

    #[test]
    #[cfg(feature = "report")]
    fn points() {
        assert_eq!(parse_point("").unwrap(), vec![]);
        assert_eq!(
            parse_point(" a = 1 ,b=+2").unwrap(),
            vec![("a".to_string(), 1.0), ("b".to_string(), 2.0)]
        );
        let e = |s: &str| parse_point(s).unwrap_err().to_string();
        assert_eq!(e("x=2,y"), "expected NAME=VALUE, got 'y' at column 5");
        assert_eq!(
            e("x=2,y=abc"),
            "malformed number 'abc' at column 7: no digits"
        );
        assert!(e("x=inf").starts_with("malformed number 'inf' at column 3"));
        assert!(e("x=1e999").contains("out of the range"));
        assert_eq!(e("2x=1"), "'2x' is not a variable name at column 1");
        assert_eq!(e("x="), "variable 'x' has no value after '=' at column 3");
        assert_eq!(
            e("x= -1.2.3"),
            "malformed number '-1.2.3' at column 4: more than one decimal point"
        );
    }
}
