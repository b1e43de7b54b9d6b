//! Exhaustive search over every parenthesization: the oracle for small chains.
//!
//! A chain of n matrices has Catalan(n − 1) parenthesizations (429 for n = 8, 58,786 for
//! n = 12), so this is for tests, for `bench --all`, and for checking other planners.

use super::{Operand, Plan, PlanBuilder};
use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::Result;

/// The longest chain [`all_plans`] accepts.
pub const MAX_MATRICES: usize = 12;

/// A parenthesization as a small tree; enough for chains of at most [`MAX_MATRICES`].
#[derive(Debug, Clone)]
enum Shape {
    Leaf(usize),
    Node(Box<Shape>, Box<Shape>),
}

fn shapes(first: usize, last: usize) -> Vec<Shape> {
    if first == last {
        return vec![Shape::Leaf(first)];
    }
    let mut out = Vec::new();
    for k in first..last {
        let left = shapes(first, k);
        let right = shapes(k + 1, last);
        for l in &left {
            for r in &right {
                out.push(Shape::Node(Box::new(l.clone()), Box::new(r.clone())));
            }
        }
    }
    out
}

fn build(shape: &Shape, b: &mut PlanBuilder<'_>) -> Result<Operand> {
    match shape {
        Shape::Leaf(i) => Ok(Operand::Matrix(*i)),
        Shape::Node(l, r) => {
            let l = build(l, b)?;
            let r = build(r, b)?;
            b.multiply(l, r)
        }
    }
}

/// Every parenthesization of `chain`, in a fixed order (by the split of the outermost product,
/// then recursively). Errors above [`MAX_MATRICES`] matrices.
///
/// ```
/// use chainplan::{Chain, plan::brute};
/// let chain = Chain::new(vec![2u32, 3, 4, 5, 6])?;
/// assert_eq!(brute::all_plans(&chain)?.len(), 5); // Catalan(3)
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn all_plans(chain: &Chain) -> Result<Vec<Plan>> {
    let n = chain.matrices();
    if n > MAX_MATRICES {
        return Err(PlanError::ChainTooLong {
            matrices: n,
            algorithm: "exhaustive",
            needed_bytes: 0,
            limit_bytes: 0,
            suggestion: "exhaustive search is limited to 12 matrices",
        }
        .into());
    }
    shapes(0, n - 1)
        .iter()
        .map(|s| {
            let mut b = PlanBuilder::new(chain);
            build(s, &mut b)?;
            b.finish()
        })
        .collect()
}

/// The cheapest and the most expensive cost over every parenthesization.
pub fn cost_range(chain: &Chain) -> Result<(u128, u128)> {
    let plans = all_plans(chain)?;
    let min = plans.iter().map(Plan::cost).min().unwrap_or(0);
    let max = plans.iter().map(Plan::cost).max().unwrap_or(0);
    Ok((min, max))
}
