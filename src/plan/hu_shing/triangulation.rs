//! From a triangulation of the chain's polygon to a [`Plan`].
//!
//! The chain p0 … pn is the polygon with vertices 0 … n, weight p_i on vertex i, and the
//! side (0, n) standing for the final product. Every triangulation of the polygon is one
//! parenthesization: the triangle (i, k, j) with i < k < j under the edge (i, j) is the
//! product of matrices i+1 … k by k+1 … j, costing p_i·p_k·p_j.
//!
//! Edges (i, j) never cross, so they nest like intervals. Read in order of their right end j,
//! and at equal j from the innermost (largest i) out, they are a postfix program: the side
//! (j − 1, j) pushes matrix j, and a diagonal (i, j) multiplies the two topmost operands,
//! which cover (i, k) and (k, j). Two counting sorts order the edges, so reading back a
//! triangulation takes O(n) time, without recursion and without searching.

use crate::chain::Chain;
use crate::error::{Error, PlanError, Result};
use crate::plan::{Operand, Plan, PlanBuilder};

/// Builds the plan of the triangulation whose edges (in original vertex numbers, either
/// order, duplicates and polygon sides allowed) are `edges`.
///
/// Errors if the edges are not exactly a triangulation's n − 2 diagonals plus the sides.
pub(crate) fn plan_from_edges(chain: &Chain, edges: Vec<(u32, u32)>) -> Result<Plan> {
    let n = chain.matrices();
    let vertices = n + 1;
    let bad = |why: String| -> Error {
        PlanError::Internal {
            reason: format!("not a triangulation: {why}"),
        }
        .into()
    };
    // Diagonals only, as (low, high); sides and the root are implied.
    let mut diagonals = Vec::with_capacity(edges.len());
    for (a, b) in edges {
        let (a, b) = (a.min(b) as usize, a.max(b) as usize);
        if b >= vertices {
            return Err(bad(format!("vertex {b} of {vertices}")));
        }
        if b > a + 1 && !(a == 0 && b == n) {
            diagonals.push((a as u32, b as u32));
        }
    }
    // Sort by (high ascending, low descending): counting sort on low, then stable on high.
    let by_low = counting_sort(&diagonals, vertices, |&(a, _)| n - a as usize);
    let mut sorted = counting_sort(&by_low, vertices, |&(_, b)| b as usize);
    sorted.dedup();
    if sorted.len() + 3 != vertices.max(3) {
        return Err(bad(format!(
            "{} diagonals for {vertices} vertices",
            sorted.len()
        )));
    }
    let mut builder = PlanBuilder::new(chain);
    // Operands with the vertex where their run of the polygon starts.
    let mut operands: Vec<(Operand, u32)> = Vec::with_capacity(vertices);
    let mut next = sorted.iter().peekable();
    let combine = |operands: &mut Vec<(Operand, u32)>,
                   builder: &mut PlanBuilder<'_>,
                   (i, j): (u32, u32)|
     -> Result<()> {
        match (operands.pop(), operands.pop()) {
            (Some((rhs, _)), Some((lhs, first))) if first == i => {
                operands.push((builder.multiply(lhs, rhs)?, first));
                Ok(())
            }
            _ => Err(bad(format!(
                "the diagonal ({i}, {j}) does not close a triangle"
            ))),
        }
    };
    for j in 1..vertices as u32 {
        operands.push((Operand::Matrix(j as usize - 1), j - 1));
        while let Some(&(i, _)) = next.next_if(|&&(_, b)| b == j) {
            combine(&mut operands, &mut builder, (i, j))?;
        }
    }
    // The root side (0, n) joins what is left.
    if n > 1 {
        combine(&mut operands, &mut builder, (0, n as u32))?;
    }
    builder.finish()
}

/// Stable counting sort of `items` by `key`, whose values are below `range`.
fn counting_sort<T: Copy>(items: &[T], range: usize, key: impl Fn(&T) -> usize) -> Vec<T> {
    let mut start = vec![0usize; range + 1];
    for x in items {
        start[key(x) + 1] += 1;
    }
    for i in 0..range {
        start[i + 1] += start[i];
    }
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    // Every slot is written exactly once below; fill with copies first to stay safe.
    out.extend_from_slice(items);
    for x in items {
        let slot = &mut start[key(x)];
        out[*slot] = *x;
        *slot += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_textbook_plan() {
        // ((A1(A2A3))((A4A5)A6)): diagonals (0,3), (1,3), (3,5), (3,6).
        let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
        let plan = plan_from_edges(&chain, vec![(3, 0), (1, 3), (3, 5), (6, 3), (0, 1)]).unwrap();
        assert_eq!(plan.order(), "((A1(A2A3))((A4A5)A6))");
        assert_eq!(plan.cost(), 15125);
    }

    #[test]
    fn reads_single_products() {
        let one = Chain::new(vec![3u32, 4]).unwrap();
        assert_eq!(plan_from_edges(&one, vec![]).unwrap().order(), "A1");
        let two = Chain::new(vec![3u32, 4, 5]).unwrap();
        assert_eq!(
            plan_from_edges(&two, vec![(0, 2)]).unwrap().order(),
            "(A1A2)"
        );
    }

    #[test]
    fn rejects_crossing_or_missing_diagonals() {
        let chain = Chain::new(vec![2u32, 3, 4, 5, 6]).unwrap();
        assert!(plan_from_edges(&chain, vec![(0, 2)]).is_err());
        assert!(plan_from_edges(&chain, vec![(0, 2), (1, 3)]).is_err());
        assert!(plan_from_edges(&chain, vec![(1, 3), (0, 2)]).is_err());
        assert!(plan_from_edges(&chain, vec![(1, 4), (0, 2)]).is_err());
        assert!(plan_from_edges(&chain, vec![(0, 2), (0, 9)]).is_err());
        assert_eq!(
            plan_from_edges(&chain, vec![(0, 2), (0, 3)])
                .unwrap()
                .order(),
            "(((A1A2)A3)A4)"
        );
    }
}
