//! Chains with diagonal factors: the cost model and its dynamic program.
//!
//! A factor is dense or diagonal (the Jacobian of an elementwise layer). A product of
//! diagonals is diagonal; any product with a dense factor is dense. Multiplying an (m × k) by a
//! (k × n) operand costs, in scalar multiplications,
//!
//! ```text
//! dense    × dense     m·k·n
//! diagonal × dense     k·n        (m = k: scale the rows)
//! dense    × diagonal  m·k        (k = n: scale the columns)
//! diagonal × diagonal  n          (m = k = n)
//! ```
//!
//! Whether an operand is diagonal depends only on the run of factors it covers, so the classic
//! recurrence still holds with the product cost replaced by the one above:
//!
//! ```text
//! C(i, i) = 0
//! C(i, j) = min over i ≤ k < j of  C(i, k) + C(k+1, j) + cost(D(i..k), D(k+1..j), p_i, p_(k+1), p_(j+1))
//! ```
//!
//! with D(i..j) true when every factor i … j is diagonal. [`optimal`] solves it in O(n³) with
//! checked `u128` arithmetic and returns a plan priced in this model, so that its
//! [`Plan::cost`] and step costs are the structured ones; [`price`] and [`cost`] price any
//! [`Plan`] in the same model.

use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::{Error, Result};
use crate::plan::structure::{check_flags, step_costs};
use crate::plan::{dp, Plan};

pub(crate) use crate::plan::structure::product_cost;

fn overflow() -> Error {
    Error::Overflow {
        what: "structured plan cost",
        bits: 128,
    }
}

/// The most factors [`optimal`] accepts (its tables take O(n²) memory and O(n³) time).
pub(crate) const MAX_FACTORS: usize = 1000;

/// `plan` priced with the matrices flagged in `diagonal` as diagonal: every step carries its
/// structured cost, and [`Plan::cost`] is their sum.
///
/// ```
/// use chainplan::{Chain, Plan, jacobian::structured};
/// // W (3 × 4) · D (4 × 4 diagonal) · x (4 × 1), right to left: D·x costs 4, W·(Dx) 12.
/// let chain = Chain::new(vec![3u32, 4, 4, 1])?;
/// let dense = Plan::right_to_left(&chain)?;
/// assert_eq!(dense.cost(), 16 + 12); // as if D were dense
/// let priced = structured::price(dense, &[false, true, false])?;
/// assert_eq!(priced.cost(), 4 + 12);
/// assert_eq!(priced.steps()[0].cost, 4);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn price(plan: Plan, diagonal: &[bool]) -> Result<Plan> {
    plan.with_diagonal(diagonal)
}

/// The cost of `plan` when the matrices flagged in `diagonal` are diagonal: the cost of
/// [`price`] without building the priced plan.
///
/// ```
/// use chainplan::{Chain, Plan, jacobian::structured};
/// let chain = Chain::new(vec![3u32, 4, 4, 1])?;
/// let plan = Plan::right_to_left(&chain)?;
/// assert_eq!(structured::cost(&plan, &[false, true, false])?, 4 + 12);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn cost(plan: &Plan, diagonal: &[bool]) -> Result<u128> {
    step_costs(plan, diagonal)?
        .into_iter()
        .try_fold(0u128, |total, c| total.checked_add(c).ok_or_else(overflow))
}

/// A cheapest plan under the structured cost model, priced in it ([`price`]): its
/// [`Plan::cost`] is the optimum of the dynamic program. With no diagonal factor this is the
/// classic problem.
///
/// ```
/// use chainplan::{Chain, jacobian::structured};
/// // S (1 × 2) · W2 (2 × 3) · D (3 × 3 diagonal) · W1 (3 × 4).
/// let chain = Chain::new(vec![1u32, 2, 3, 3, 4])?;
/// let plan = structured::optimal(&chain, &[false, false, true, false])?;
/// assert_eq!(plan.cost(), 6 + 3 + 12); // left to right: vector products only
/// assert_eq!(plan.cost(), structured::cost(&plan, &[false, false, true, false])?);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn optimal(chain: &Chain, diagonal: &[bool]) -> Result<Plan> {
    check_flags(chain, diagonal)?;
    let n = chain.matrices();
    if n > MAX_FACTORS {
        return Err(PlanError::ChainTooLong {
            matrices: n,
            algorithm: "structured dp",
            needed_bytes: dp::table_bytes(n, 16),
            limit_bytes: dp::table_bytes(MAX_FACTORS, 16),
            suggestion: "split the chain or leave out the structure flags",
        }
        .into());
    }
    // diag_run[i * n + j]: every factor i ..= j is diagonal.
    let mut diag_run = vec![false; n * n];
    for i in 0..n {
        let mut all = true;
        for j in i..n {
            all &= diagonal[j];
            diag_run[i * n + j] = all;
        }
    }
    let mut cost = vec![0u128; n * n];
    let mut split = vec![0usize; n * n];
    for len in 2..=n {
        for i in 0..=n - len {
            let j = i + len - 1;
            let mut best: Option<(u128, usize)> = None;
            for k in i..j {
                let c = product_cost(
                    chain.dim(i) as usize,
                    chain.dim(k + 1) as usize,
                    chain.dim(j + 1) as usize,
                    diag_run[i * n + k],
                    diag_run[(k + 1) * n + j],
                )?
                .checked_add(cost[i * n + k])
                .and_then(|c| c.checked_add(cost[(k + 1) * n + j]))
                .ok_or_else(overflow)?;
                match best {
                    Some((b, _)) if b <= c => {}
                    _ => best = Some((c, k)),
                }
            }
            let (c, k) = best.expect("at least one split");
            cost[i * n + j] = c;
            split[i * n + j] = k;
        }
    }
    let plan = Plan::from_splits(chain, |i, j| split[i * n + j])?;
    let plan = price(plan, diagonal)?;
    debug_assert_eq!(plan.cost(), cost[n - 1]);
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_dense_matches_the_classic_program() {
        let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
        let plan = optimal(&chain, &[false; 6]).unwrap();
        assert_eq!(plan.cost(), 15125);
        assert_eq!(cost(&plan, &[false; 6]).unwrap(), 15125);
    }

    #[test]
    fn diagonal_runs_stay_diagonal() {
        // D1 · D2 · D3 (all 5 × 5 diagonal): two products of 5 each.
        let chain = Chain::new(vec![5u32, 5, 5, 5]).unwrap();
        let plan = optimal(&chain, &[true; 3]).unwrap();
        assert_eq!(plan.cost(), 10);
        assert_eq!(plan.steps().iter().map(|s| s.cost).sum::<u128>(), 10);
    }

    #[test]
    fn rejects_bad_flags() {
        let chain = Chain::new(vec![5u32, 4, 4]).unwrap();
        assert!(optimal(&chain, &[true, false]).is_err());
        assert!(optimal(&chain, &[false]).is_err());
        assert!(optimal(&chain, &[false, true]).is_ok());
    }
}
