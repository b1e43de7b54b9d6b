//! The computational graph, stored as a tape: nodes in evaluation order.
//!
//! Every node is an input variable, a constant, or one elementary operation applied to
//! earlier nodes, so evaluating the nodes in order evaluates the expression, and walking them
//! backwards visits every node after all the nodes that use it (what reverse mode needs).
//!
//! The tape is built while parsing, with *hash-consing*: a node with the same operation and
//! the same operands as an existing one is not created again, so a sub-expression written
//! twice (`sin(x)*sin(x)`, `x` in `x^3*(x+3*y)`) is one node, evaluated once, whose
//! derivative collects contributions from all its uses.

use super::error::{Error, Result};
use std::collections::HashMap;
use std::ops::Range;

/// An elementary function of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// Sine (radians).
    Sin,
    /// Cosine (radians).
    Cos,
    /// Tangent (radians).
    Tan,
    /// Exponential.
    Exp,
    /// Natural logarithm.
    Log,
    /// Square root.
    Sqrt,
    /// Hyperbolic tangent.
    Tanh,
    /// Absolute value.
    Abs,
}

impl Func {
    /// All the functions, in the order they are listed to users.
    pub const ALL: [Func; 8] = [
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Exp,
        Func::Log,
        Func::Sqrt,
        Func::Tanh,
        Func::Abs,
    ];

    /// The name used in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Tanh => "tanh",
            Func::Abs => "abs",
        }
    }

    /// The function called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The function's value (no domain check).
    pub(crate) fn apply(self, x: f64) -> f64 {
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Exp => x.exp(),
            Func::Log => x.ln(),
            Func::Sqrt => x.sqrt(),
            Func::Tanh => x.tanh(),
            Func::Abs => x.abs(),
        }
    }
}

/// What a node computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// A number written in the expression.
    Const(f64),
    /// The input variable with this index in [`Tape::variables`].
    Var(usize),
    /// `-a`.
    Neg,
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `a ^ b`, also written `pow(a, b)`.
    Pow,
    /// An elementary function of one argument.
    Func(Func),
}

impl Op {
    /// Number of operands: 0 for inputs and constants, 1 or 2 for operations.
    pub fn arity(&self) -> usize {
        match self {
            Op::Const(_) | Op::Var(_) => 0,
            Op::Neg | Op::Func(_) => 1,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => 2,
        }
    }

    /// The infix symbol of a binary operation.
    pub fn symbol(&self) -> Option<&'static str> {
        match self {
            Op::Add => Some("+"),
            Op::Sub => Some("-"),
            Op::Mul => Some("*"),
            Op::Div => Some("/"),
            Op::Pow => Some("^"),
            _ => None,
        }
    }

    /// A key identifying the operation for hash-consing (constants by their bits).
    fn key(&self) -> (u8, u64) {
        match *self {
            Op::Const(v) => (0, v.to_bits()),
            Op::Var(i) => (1, i as u64),
            Op::Neg => (2, 0),
            Op::Add => (3, 0),
            Op::Sub => (4, 0),
            Op::Mul => (5, 0),
            Op::Div => (6, 0),
            Op::Pow => (7, 0),
            Op::Func(f) => (8, f as u64),
        }
    }
}

/// One node of the tape.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node computes.
    pub op: Op,
    args: [usize; 2],
    /// Byte range of the node's first occurrence in the source expression.
    pub span: Range<usize>,
    /// 1-based character column of the node's operator, function name or token.
    pub column: usize,
    /// Whether the node depends on at least one variable (only such nodes have derivatives).
    pub active: bool,
}

impl Node {
    /// Indices of the operands, all earlier on the tape.
    pub fn operands(&self) -> &[usize] {
        &self.args[..self.op.arity()]
    }
}

/// A parsed expression as a computational graph: nodes in evaluation order.
///
/// ```
/// use chainplan::autodiff::Tape;
/// let tape = Tape::parse("x^3*(x+3*y)")?;
/// assert_eq!(tape.variables(), ["x", "y"]);
/// // x, 3, x^3, y, 3*y, x+3*y, the product: x and 3 are shared.
/// assert_eq!(tape.nodes().len(), 7);
/// assert_eq!(tape.operation_nodes(), 4);
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    source: String,
    nodes: Vec<Node>,
    variables: Vec<String>,
    inputs: Vec<usize>,
    output: usize,
}

impl Tape {
    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The nodes in evaluation order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The variables, in order of first appearance; gradients follow this order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// The node of each variable, in the order of [`Tape::variables`].
    pub fn inputs(&self) -> &[usize] {
        &self.inputs
    }

    /// The node whose value is the expression's value.
    pub fn output(&self) -> usize {
        self.output
    }

    /// Number of nodes that are operations (not inputs or constants).
    pub fn operation_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.op.arity() > 0).count()
    }

    /// The source text of a node's first occurrence, shortened to at most 40 characters.
    pub fn text(&self, node: usize) -> String {
        shorten(&self.source[self.nodes[node].span.clone()], 40)
    }

    /// Display names in the manner of a lecture board: variables by name, constants by value,
    /// operations `v1`, `v2`, … in evaluation order.
    pub fn names(&self) -> Vec<String> {
        let mut next = 0;
        self.nodes
            .iter()
            .map(|n| match n.op {
                Op::Var(i) => self.variables[i].clone(),
                Op::Const(c) => crate::text::num(c),
                _ => {
                    next += 1;
                    format!("v{next}")
                }
            })
            .collect()
    }

    /// What a node computes, in terms of `names` (from [`Tape::names`]): `x ^ 3`, `sin(v2)`.
    pub fn describe(&self, node: usize, names: &[String]) -> String {
        let n = &self.nodes[node];
        let arg = |k: usize| names[n.operands()[k]].as_str();
        match n.op {
            Op::Const(_) => "constant".to_string(),
            Op::Var(_) => "input".to_string(),
            Op::Neg => format!("-{}", arg(0)),
            Op::Func(f) => format!("{}({})", f.name(), arg(0)),
            op => format!("{} {} {}", arg(0), op.symbol().unwrap_or("?"), arg(1)),
        }
    }

    /// Orders `bindings` (name, value) as the tape's variables, for [`forward`](super::forward)
    /// and [`reverse`](super::reverse).
    ///
    /// Every variable needs exactly one value, and every name must be a variable of the
    /// expression (a value for an unused name is most often a typo, so it is an error).
    pub fn point(&self, bindings: &[(String, f64)]) -> Result<Vec<f64>> {
        let list = |names: &[String]| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        let mut values: Vec<Option<f64>> = vec![None; self.variables.len()];
        for (name, value) in bindings {
            let Some(i) = self.variables.iter().position(|v| v == name) else {
                return Err(Error::UnknownVariable {
                    name: name.clone(),
                    variables: list(&self.variables),
                });
            };
            if values[i].replace(*value).is_some() {
                return Err(Error::DuplicateVariable { name: name.clone() });
            }
        }
        values
            .into_iter()
            .zip(&self.variables)
            .map(|(v, name)| {
                v.ok_or_else(|| Error::MissingVariable {
                    name: name.clone(),
                    variables: list(&self.variables),
                })
            })
            .collect()
    }

    /// Checks that `point` has one value per variable.
    pub(crate) fn check_point(&self, point: &[f64]) -> Result<()> {
        if point.len() != self.variables.len() {
            return Err(Error::PointLength {
                variables: self.variables.len(),
                values: point.len(),
            });
        }
        Ok(())
    }
}

/// `s`, cut to at most `max` characters (ending in `...` when cut).
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let head: String = s.chars().take(max.saturating_sub(3)).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

/// Builds a tape node by node, sharing identical nodes.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    nodes: Vec<Node>,
    variables: Vec<String>,
    inputs: Vec<usize>,
    index: HashMap<(u8, u64, usize, usize), usize>,
}

impl Builder {
    /// The node for a constant.
    pub fn constant(&mut self, value: f64, span: Range<usize>, column: usize) -> usize {
        self.node(Op::Const(value), &[], span, column)
    }

    /// The node for a variable, created at its first appearance.
    pub fn variable(&mut self, name: &str, span: Range<usize>, column: usize) -> usize {
        let i = match self.variables.iter().position(|v| v == name) {
            Some(i) => i,
            None => {
                self.variables.push(name.to_string());
                self.inputs.push(usize::MAX);
                self.variables.len() - 1
            }
        };
        let id = self.node(Op::Var(i), &[], span, column);
        self.inputs[i] = id;
        id
    }

    /// The node applying `op` to `args` (earlier nodes).
    pub fn node(&mut self, op: Op, args: &[usize], span: Range<usize>, column: usize) -> usize {
        debug_assert_eq!(args.len(), op.arity());
        let mut a = [usize::MAX; 2];
        a[..args.len()].copy_from_slice(args);
        let (tag, payload) = op.key();
        let key = (tag, payload, a[0], a[1]);
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let active = matches!(op, Op::Var(_)) || args.iter().any(|&x| self.nodes[x].active);
        let id = self.nodes.len();
        self.nodes.push(Node {
            op,
            args: a,
            span,
            column,
            active,
        });
        self.index.insert(key, id);
        id
    }

    /// The finished tape whose value is node `output`.
    pub fn finish(self, source: &str, output: usize) -> Tape {
        Tape {
            source: source.to_string(),
            nodes: self.nodes,
            variables: self.variables,
            inputs: self.inputs,
            output,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn shorten_cuts_with_an_ellipsis() {
        assert_eq!(shorten("x+y", 40), "x+y");
        assert_eq!(shorten("abcdefgh", 6), "abc...");
        assert_eq!(shorten("abcdef", 6), "abcdef");
    }
}
