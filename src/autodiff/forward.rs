//! Forward mode: one tangent sweep per input.
//!
//! Sweep i evaluates every node v together with its tangent v̇ = ∂v/∂xᵢ (dual numbers
//! v + v̇ε with ε² = 0): inputs start with ẋⱼ = 1 if j = i and 0 otherwise, and each node
//! gets v̇ = Σₖ (∂v/∂aₖ)·ȧₖ over its operands aₖ. After the sweep the output's tangent is
//! ∂f/∂xᵢ. A gradient of n inputs therefore takes n sweeps, each re-evaluating the function,
//! so forward mode costs about n times a few evaluations of f.
//!
//! Tangents that are structurally zero (of constants, and of nodes that do not depend on xᵢ)
//! are skipped rather than multiplied by zero: each sweep only pays for the nodes that
//! depend on its input.

use super::error::Result;
use super::rules::{self, Counter};
use super::tape::{Op, Tape};
use super::{check_gradient, Derivatives};

/// Value and gradient of the tape at `point` (one value per variable, in the order of
/// [`Tape::variables`]) by forward mode.
///
/// An expression without variables takes no sweep: its value costs one evaluation.
///
/// ```
/// use chainplan::autodiff::{forward, Tape};
/// let tape = Tape::parse("x^3*(x+3*y)")?;
/// let d = forward(&tape, &[2.0, 3.0])?;
/// assert_eq!((d.value, d.gradient.clone()), (88.0, vec![140.0, 24.0]));
/// assert_eq!(d.sweeps, 2);
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
pub fn forward(tape: &Tape, point: &[f64]) -> Result<Derivatives> {
    sweeps(tape, point, false).map(|(d, _)| d)
}

/// [`forward`], also returning every node's tangent in every sweep: `tangents[i][node]` is
/// ∂node/∂xᵢ, `None` where it is structurally zero. Memory grows as inputs × nodes.
#[cfg(feature = "report")]
pub(crate) fn forward_traced(
    tape: &Tape,
    point: &[f64],
) -> Result<(Derivatives, Vec<Vec<Option<f64>>>)> {
    sweeps(tape, point, true)
}

fn sweeps(
    tape: &Tape,
    point: &[f64],
    record: bool,
) -> Result<(Derivatives, Vec<Vec<Option<f64>>>)> {
    tape.check_point(point)?;
    let mut c = Counter::default();
    let n = tape.variables().len();
    let len = tape.nodes().len();
    let mut values = vec![0.0; len];
    let mut tangents: Vec<Option<f64>> = vec![None; len];
    let mut gradient = vec![0.0; n];
    let mut recorded = Vec::new();
    for sweep in 0..n.max(1) {
        for (id, node) in tape.nodes().iter().enumerate() {
            let v = rules::value(tape, id, &values, point, &mut c)?;
            let t = match node.op {
                Op::Var(i) => (i == sweep).then_some(1.0),
                Op::Const(_) => None,
                _ => {
                    let mut acc: Option<f64> = None;
                    for (k, &a) in node.operands().iter().enumerate() {
                        if let Some(ta) = tangents[a] {
                            let p = rules::partial(tape, id, k, &values, v, &mut c)?;
                            let term = c.mul(p, ta);
                            acc = Some(match acc {
                                None => term,
                                Some(s) => c.add(s, term),
                            });
                        }
                    }
                    acc
                }
            };
            values[id] = v;
            tangents[id] = t;
        }
        if let Some(g) = gradient.get_mut(sweep) {
            *g = tangents[tape.output()].unwrap_or(0.0);
            if record {
                recorded.push(tangents.clone());
            }
        }
    }
    check_gradient(tape, &gradient)?;
    let d = Derivatives {
        value: values[tape.output()],
        gradient,
        sweeps: n,
        operations: c.ops,
    };
    Ok((d, recorded))
}
