//! Reverse mode: one evaluation sweep that records, then one adjoint sweep.
//!
//! The forward sweep evaluates every node and records, for each operand that depends on a
//! variable, the local partial ∂v/∂a. The backward sweep seeds the output's adjoint
//! f̄ = ∂f/∂f = 1 and walks the tape backwards: each node v passes v̄·∂v/∂a to each operand a,
//! whose adjoint ā = ∂f/∂a is the sum of what its users pass. When the walk ends, the
//! adjoint of input xᵢ is ∂f/∂xᵢ, for every i at once: the whole gradient costs a small
//! constant times one evaluation, however many inputs there are.

use super::error::Result;
use super::rules::{self, Counter};
use super::tape::Tape;
use super::{check_gradient, Derivatives};

/// Everything reverse mode computed: the derivatives and the recorded tape.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverse {
    /// Value, gradient, sweeps and operations.
    pub derivatives: Derivatives,
    /// The value of each node.
    pub values: Vec<f64>,
    /// For each node, the local partial with respect to each operand (`None` for an operand
    /// that depends on no variable, which needs no partial).
    pub partials: Vec<[Option<f64>; 2]>,
    /// For each node, its adjoint ∂f/∂node (`None` for nodes that depend on no variable).
    pub adjoints: Vec<Option<f64>>,
}

/// Value and gradient of the tape at `point` (one value per variable, in the order of
/// [`Tape::variables`]) by reverse mode, with the recorded values, partials and adjoints.
///
/// ```
/// use chainplan::autodiff::{reverse, Tape};
/// let tape = Tape::parse("x^3*(x+3*y)")?;
/// let r = reverse(&tape, &[2.0, 3.0])?;
/// assert_eq!(r.derivatives.value, 88.0);
/// assert_eq!(r.derivatives.gradient, vec![140.0, 24.0]);
/// assert_eq!(r.derivatives.sweeps, 1);
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
pub fn reverse(tape: &Tape, point: &[f64]) -> Result<Reverse> {
    tape.check_point(point)?;
    let mut c = Counter::default();
    let nodes = tape.nodes();
    let mut values = vec![0.0; nodes.len()];
    let mut partials = vec![[None; 2]; nodes.len()];
    for (id, node) in nodes.iter().enumerate() {
        let v = rules::value(tape, id, &values, point, &mut c)?;
        for (k, &a) in node.operands().iter().enumerate() {
            if nodes[a].active {
                partials[id][k] = Some(rules::partial(tape, id, k, &values, v, &mut c)?);
            }
        }
        values[id] = v;
    }
    let mut adjoints: Vec<Option<f64>> = vec![None; nodes.len()];
    if nodes[tape.output()].active {
        adjoints[tape.output()] = Some(1.0);
    }
    for id in (0..nodes.len()).rev() {
        let Some(bar) = adjoints[id] else { continue };
        for (k, &a) in nodes[id].operands().iter().enumerate() {
            if let Some(p) = partials[id][k] {
                let term = c.mul(bar, p);
                adjoints[a] = Some(match adjoints[a] {
                    None => term,
                    Some(s) => c.add(s, term),
                });
            }
        }
    }
    let gradient: Vec<f64> = tape
        .inputs()
        .iter()
        .map(|&i| adjoints[i].unwrap_or(0.0))
        .collect();
    check_gradient(tape, &gradient)?;
    Ok(Reverse {
        derivatives: Derivatives {
            value: values[tape.output()],
            gradient,
            // No variable, no derivative: the adjoint sweep has nothing to do.
            sweeps: usize::from(nodes[tape.output()].active),
            operations: c.ops,
        },
        values,
        partials,
        adjoints,
    })
}
