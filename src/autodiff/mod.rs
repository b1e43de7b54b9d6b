//! Automatic differentiation of scalar expressions, in forward and reverse mode.
//!
//! ## The computational graph
//!
//! An expression such as F(x, y) = x³(x + 3y) is a composition of elementary operations.
//! Naming each intermediate result gives its computational graph, evaluated in order:
//!
//! ```text
//! c = x³          = 8        (x = 2)
//! t = 3·y         = 9        (y = 3)
//! s = x + t       = 11
//! F = c·s         = 88
//! ```
//!
//! [`Tape`] stores these nodes in evaluation order, each an input, a constant or one operation
//! on earlier nodes; a sub-expression written twice is one node, evaluated once. Each
//! operation knows its local partial derivatives (∂F/∂c = s, ∂c/∂x = 3x², …; the table is in
//! [`rules`]), and the chain rule combines them in one of two directions.
//!
//! ## Forward mode: one sweep per input
//!
//! Seed the tangent ẋ = 1 (and ẏ = 0), then push tangents forwards with
//! v̇ = Σ (∂v/∂a)·ȧ: ċ = 3x²·ẋ = 12, ṫ = 0, ṡ = ẋ + ṫ = 1, Ḟ = ċ·s + c·ṡ = 132 + 8 = 140 =
//! ∂F/∂x. A second sweep seeded with ẏ = 1 gives ∂F/∂y = 24. With n inputs, [`forward`] needs
//! n sweeps.
//!
//! ## Reverse mode: one adjoint sweep
//!
//! Evaluate once, then seed F̄ = 1 and pull adjoints backwards with ā = Σ v̄·(∂v/∂a) over the
//! users v of a: c̄ = s = 11, s̄ = c = 8, t̄ = s̄ = 8, ȳ = 3·t̄ = 24, x̄ = s̄ + 3x²·c̄ = 8 + 132
//! = 140. One backward sweep gives every partial derivative: [`reverse`] costs a small
//! constant times one evaluation of F whatever the number of inputs, at the price of storing
//! the tape.
//!
//! ## Counting operations
//!
//! One *operation* is one floating-point arithmetic operation (`+ − × ÷`, negation) or one
//! call of an elementary function (`sin cos tan exp log sqrt tanh abs`, `pow`), each counted
//! as 1. Comparisons, copies, and reading constants and inputs are free. The count is kept by
//! the code that performs the operations (every arithmetic operation of the derivative code
//! goes through one counter), so it is exactly what each mode does:
//!
//! - evaluating the function ([`evaluate`]): one operation per operation node;
//! - forward mode: per sweep, a full evaluation plus, for each node that depends on the
//!   sweep's input, its local partials and one multiply (and one add per further term);
//! - reverse mode: one evaluation, the local partials of every operand that depends on a
//!   variable, and in the backward sweep one multiply per edge (and one add when an adjoint
//!   collects a second contribution).
//!
//! [`Derivatives::ratio`] divides a mode's count by the function's own. For the sum of squares
//! of 100 variables the function costs 199 operations; reverse mode about 4 times that, forward
//! mode over 100 times.
//!
//! ## Domain errors
//!
//! The policy is *strict*: no value, partial or derivative is ever NaN or infinite. Division
//! by zero, `log` of a non-positive number, `sqrt` of a negative number, a negative base with
//! a fractional exponent, 0 to a negative power, a result beyond the range of `f64`
//! (`exp(1000)`), and a point where a derivative is infinite (`sqrt` at 0) or undefined (a
//! variable exponent over a non-positive base) are each an [`Error::Domain`]
//! naming the operation, its column in the expression and the values involved. The one
//! convention: the derivative of `abs` at 0 is taken as 0 (the centre of its subgradient, and
//! what a central difference gives).
//!
//! ## Example
//!
//! ```
//! use chainplan::autodiff::{forward, reverse, Tape};
//!
//! let tape = Tape::parse("x^3*(x+3*y)")?;
//! let point = tape.point(&[("x".into(), 2.0), ("y".into(), 3.0)])?;
//! let fwd = forward(&tape, &point)?;
//! let rev = reverse(&tape, &point)?.derivatives;
//! assert_eq!(fwd.value, 88.0);
//! assert_eq!(fwd.gradient, vec![140.0, 24.0]);
//! assert_eq!(rev.gradient, vec![140.0, 24.0]);
//! assert_eq!((fwd.sweeps, rev.sweeps), (2, 1));
//!
//! let err = Tape::parse("log(x-3)")?;
//! let msg = reverse(&err, &[2.0]).unwrap_err().to_string();
//! assert_eq!(msg, "'log(x-3)' is undefined at column 1: log needs a positive argument, got -1");
//! # Ok::<(), chainplan::autodiff::Error>(())
//! ```

#[cfg(feature = "report")]
pub mod dot;
pub mod error;
mod forward;
pub mod parse;
#[cfg(feature = "report")]
mod report;
mod reverse;
pub mod rules;
pub mod tape;

pub use forward::forward;
#[cfg(feature = "report")]
pub(crate) use forward::forward_traced;
#[cfg(feature = "report")]
pub use report::{GradReport, ModeCost, TRACE_MAX_TANGENT_COLUMNS};
pub use reverse::{reverse, Reverse};
pub use tape::{Func, Node, Op, Tape};

pub use error::{Error, Result};
use serde::Serialize;

/// What a mode computed, and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derivatives {
    /// The function's value.
    pub value: f64,
    /// ∂f/∂xᵢ for each variable, in the order of [`Tape::variables`].
    pub gradient: Vec<f64>,
    /// Derivative sweeps: one per input in forward mode, one in reverse mode (none for an
    /// expression without variables).
    pub sweeps: usize,
    /// Operations performed, as defined in the [module documentation](self).
    pub operations: u64,
}

impl Derivatives {
    /// Operations divided by those of one evaluation of the function (`None` when the function
    /// costs nothing, as `x` or `3`).
    pub fn ratio(&self, function_operations: u64) -> Option<f64> {
        (function_operations > 0).then(|| self.operations as f64 / function_operations as f64)
    }
}

/// One evaluation of a tape: the value and the operations it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The function's value.
    pub value: f64,
    /// Operations performed: one per operation node.
    pub operations: u64,
}

/// Evaluates the tape at `point` (one value per variable, in the order of
/// [`Tape::variables`]), counting operations.
///
/// ```
/// use chainplan::autodiff::{evaluate, Tape};
/// let e = evaluate(&Tape::parse("x^3*(x+3*y)")?, &[2.0, 3.0])?;
/// assert_eq!((e.value, e.operations), (88.0, 4));
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
pub fn evaluate(tape: &Tape, point: &[f64]) -> Result<Evaluation> {
    tape.check_point(point)?;
    let mut c = rules::Counter::default();
    let mut values = vec![0.0; tape.nodes().len()];
    for id in 0..values.len() {
        values[id] = rules::value(tape, id, &values, point, &mut c)?;
    }
    Ok(Evaluation {
        value: values[tape.output()],
        operations: c.ops,
    })
}

/// Partial derivatives can overflow even when every local partial is finite.
pub(crate) fn check_gradient(tape: &Tape, gradient: &[f64]) -> Result<()> {
    match gradient.iter().position(|g| !g.is_finite()) {
        Some(i) => Err(Error::DerivativeOverflow {
            variable: tape.variables()[i].clone(),
            value: gradient[i],
        }),
        None => Ok(()),
    }
}
