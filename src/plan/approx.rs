//! Hu and Shing's O(n) heuristic: a plan within 15.5 % of the optimum, in one stack sweep.
//!
//! On the chain's polygon (see [`super::hu_shing`]), number the vertices from a lightest one,
//! V1, with weight w1. Chin's sufficient condition says that a vertex Vt whose neighbours Va,
//! Vc satisfy
//!
//! ```text
//! 1/wa + 1/wc > 1/wt + 1/w1
//! ```
//!
//! can be cut off by the arc Va–Vc (the triangle (a, t, c) costs less than fanning Vt from
//! V1). The heuristic sweeps the polygon once from V1 with a stack: each incoming vertex c
//! cuts off the top of the stack while the condition holds for (second, top, c), then is
//! pushed; what is left on the stack at the end is fanned from V1. Hu and Shing ("An O(n)
//! algorithm to find a near-optimum partition of a convex polygon", J. Algorithms 2, 1981)
//! prove that the result costs less than [`BOUND`] × optimal, the worst case being a pentagon.
//! Every vertex is pushed and popped once: O(n) time and memory, no recursion.
//!
//! ```
//! use chainplan::{Chain, plan::{approx, hu_shing}};
//! let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
//! let near = approx::plan(&chain)?;
//! let best = hu_shing::optimal_cost(&chain)?;
//! assert!(near.cost() >= best && near.cost() as f64 <= approx::BOUND * best as f64);
//! # Ok::<(), chainplan::Error>(())
//! ```

use super::hu_shing::triangulation::plan_from_edges;
use super::Plan;
use crate::chain::Chain;
use crate::error::Result;

/// The proven worst-case ratio of the heuristic's cost to the optimum (2/√3 ≈ 1.1547).
pub const BOUND: f64 = 1.155;

/// The heuristic's plan.
pub fn plan(chain: &Chain) -> Result<Plan> {
    let dims = chain.dims();
    let m = dims.len();
    if m <= 3 {
        return plan_from_edges(chain, Vec::new());
    }
    let rot = (0..m).min_by_key(|&i| (dims[i], i)).unwrap_or(0);
    let w = |r: usize| u128::from(dims[(rot + r) % m]);
    let orig = |r: usize| ((r + rot) % m) as u32;
    let w1 = w(0);
    // 1/wa + 1/wc > 1/wt + 1/w1, multiplied out: wt·w1·(wa + wc) > wa·wc·(wt + w1).
    let cut = |a: u128, t: u128, c: u128| t * w1 * (a + c) > a * c * (t + w1);
    let mut edges = Vec::with_capacity(2 * m);
    let mut stack: Vec<usize> = Vec::with_capacity(m);
    stack.push(0);
    for c in 1..m {
        let wc = w(c);
        while stack.len() >= 2 {
            let t = stack[stack.len() - 1];
            let a = stack[stack.len() - 2];
            if !cut(w(a), w(t), wc) {
                break;
            }
            edges.push((orig(a), orig(c)));
            stack.pop();
        }
        stack.push(c);
    }
    // Closing the sweep at V1 again would only cut fan triangles from V1: fan directly.
    edges.extend(stack.iter().skip(1).map(|&s| (orig(0), orig(s))));
    plan_from_edges(chain, edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::dp;

    #[test]
    fn within_the_bound_on_small_chains() {
        for dims in [
            vec![30u32, 35, 15, 5, 10, 20, 25],
            vec![10, 11, 25, 40, 12],
            vec![2, 3],
            vec![2, 3, 4],
            vec![1, 1, 1, 1, 1],
        ] {
            let chain = Chain::new(dims).unwrap();
            let best = dp::optimal(&chain).unwrap().cost();
            let near = plan(&chain).unwrap().cost();
            assert!(near >= best);
            assert!(near as f64 <= BOUND * best as f64);
        }
    }
}
