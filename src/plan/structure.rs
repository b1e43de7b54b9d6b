//! Chains with diagonal factors, as plans see them: the cost of one product when either
//! operand is diagonal, and the cost of each step of a plan whose factors are flagged
//! diagonal. [`Plan::with_diagonal`] prices a plan this way; the planner is
//! [`crate::jacobian::structured`].

use super::{Operand, Plan};
use crate::chain::Chain;
use crate::error::{Error, PlanError, Result};

/// The cost of one product of an (m × k) by a (k × n) operand, with their structure.
///
/// Errors: a cost above `u128::MAX` ([`Error::Overflow`]); shapes of a valid chain never
/// reach it.
pub(crate) fn product_cost(
    m: usize,
    k: usize,
    n: usize,
    lhs_diagonal: bool,
    rhs_diagonal: bool,
) -> Result<u128> {
    let (m, k, n) = (m as u128, k as u128, n as u128);
    match (lhs_diagonal, rhs_diagonal) {
        (false, false) => m.checked_mul(k).and_then(|mk| mk.checked_mul(n)),
        (true, false) => k.checked_mul(n),
        (false, true) => m.checked_mul(k),
        (true, true) => Some(n),
    }
    .ok_or_else(overflow)
}

fn overflow() -> Error {
    Error::Overflow {
        what: "structured plan cost",
        bits: 128,
    }
}

/// Checks that `diagonal` has one flag per matrix and that diagonal factors are square.
pub(crate) fn check_flags(chain: &Chain, diagonal: &[bool]) -> Result<()> {
    if diagonal.len() != chain.matrices() {
        return Err(PlanError::StructureLength {
            got: diagonal.len(),
            expected: chain.matrices(),
        }
        .into());
    }
    for (i, &d) in diagonal.iter().enumerate() {
        let (r, c) = chain.shape(i);
        if d && r != c {
            return Err(PlanError::DiagonalNotSquare {
                matrix: i + 1,
                rows: r,
                cols: c,
            }
            .into());
        }
    }
    Ok(())
}

/// The structured cost of each step of `plan`, in execution order.
pub(crate) fn step_costs(plan: &Plan, diagonal: &[bool]) -> Result<Vec<u128>> {
    check_flags(plan.chain(), diagonal)?;
    let mut step_diagonal: Vec<bool> = Vec::with_capacity(plan.steps().len());
    let mut costs = Vec::with_capacity(plan.steps().len());
    for step in plan.steps() {
        let is_diag = |op: Operand| match op {
            Operand::Matrix(i) => diagonal[i],
            Operand::Step(s) => step_diagonal[s],
        };
        let (l, r) = (is_diag(step.lhs), is_diag(step.rhs));
        costs.push(product_cost(step.m, step.k, step.n, l, r)?);
        step_diagonal.push(l && r);
    }
    Ok(costs)
}
