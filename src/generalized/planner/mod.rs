//! The generalized matrix chain planner: a DP over sub-chains that keeps, for each sub-chain,
//! the cheapest way to hold its value in each lazy form, and picks a kernel per product.
//!
//! A sub-chain's value V is held as a stored matrix W in one of four forms: V = W (plain),
//! V = Wᵀ (transposed), V = W⁻¹ (inverted: W is known, its inverse is never formed), or
//! V = W⁻ᵀ. Combining two sub-chains:
//!
//! - plain × plain: gemm, or symm / trmm / syrk / diagonal scaling when the factors' inferred
//!   properties allow; the result is plain;
//! - inverted × plain (or plain × inverted): a solve with W (trsm for triangular, potrf +
//!   potrs for SPD, getrf + getrs otherwise, diagonal division, or gemm with Wᵀ for an
//!   orthogonal W); the result is plain;
//! - inverted × inverted: W₁⁻¹W₂⁻¹ = (W₂W₁)⁻¹, a product whose result stays inverted.
//!
//! An inverted entry becomes plain only through an explicit inverse (trtri, potri, getri),
//! which the DP uses only when it is the cheapest way left, and reports flag.
//!
//! Each inverted operand is factored at most once. The DP is exact for that rule: it is run
//! once per subset S of the operands that could be factored, with factorizations of S
//! prepaid and every other operand's forbidden, and the cheapest total wins. With more than
//! [`MAX_SHARED`] such operands, two guesses are tried (S all of them, S empty: each use pays
//! its own factorization), the plan whose emitted steps cost least is kept, and it is marked
//!
//! The planner is three pieces, one concern each: the kernel menu
//! (`generalized/menu.rs`: which kernels can combine two values, at what exact cost),
//! the DP (`dp.rs`: the cheapest entry per sub-chain and form), and lowering (`lower.rs`:
//! the steps of the entries the DP chose, exactly as the menu priced them). This file
//! decides the factorization policy and picks the cheapest DP run.

mod dp;
mod lower;

use super::cost::CostModel;
use super::expr::{mirrors, Base, Expression, FactorChain};
use super::menu::{ov, Form, Kernels};
use super::operand::Operand;
use super::steps::{Arg, GenPlan, Step};
use super::text::Order;
use super::GenError;
use dp::Dp;
use lower::Lower;

/// At most this many distinct factorable inverted operands are enumerated exactly (2^10
/// DP runs).
pub const MAX_SHARED: usize = 10;

/// Bound on 2^(factorable operands) × factors³ for the exact enumeration, so that a long
/// chain with many inverses plans in seconds, not hours.
const MAX_WORK: u128 = 1 << 30;

/// Operands that appear inverted and need a factorization (not triangular, diagonal or
/// orthogonal), each once, in order of appearance; with `middles`, also the SPD operands that
/// appear not inverted between two mirrored factors (the M of Bᵀ·M·B, which the
/// symmetric-product rule may factor).
fn factorable(chain: &FactorChain, ops: &[Operand], middles: bool, out: &mut Vec<usize>) {
    let fs = &chain.factors;
    for (m, f) in fs.iter().enumerate() {
        match &f.base {
            Base::Operand(a) => {
                let p = ops[*a].props;
                let needs = !(p.triangular() || p.orthogonal);
                let middle = middles
                    && !f.inverted
                    && p.spd
                    && needs
                    && m > 0
                    && m + 1 < fs.len()
                    && mirrors(&fs[m - 1], &fs[m + 1], ops);
                if (f.inverted && needs || middle) && !out.contains(a) {
                    out.push(*a);
                }
            }
            Base::Group(g) => factorable(g, ops, middles, out),
        }
    }
}

/// Plans `expr` under `model`: the cheapest evaluation the model allows.
pub fn plan(expr: &Expression, model: &CostModel) -> Result<GenPlan, GenError> {
    let ops = &expr.operands;
    let n = super::expr::count_factors(&expr.chain) as u128;
    let enumerable = |count: usize| {
        count <= MAX_SHARED && (1u128 << count).saturating_mul(n * n * n) <= MAX_WORK
    };
    let mut candidates = Vec::new();
    factorable(&expr.chain, ops, false, &mut candidates);
    // The SPD middles of Bᵀ·M·B join only when the enumeration stays exact: prepaying a
    // factorization the plan may not need (the fallback below) would cost more than the rule
    // saves. Left out, the rule is unavailable for them and the plan is not proven optimal.
    let mut middles_left_out = false;
    if model.structured_products {
        let mut with_middles = Vec::new();
        factorable(&expr.chain, ops, true, &mut with_middles);
        if with_middles.len() > candidates.len() {
            if enumerable(with_middles.len()) {
                candidates = with_middles;
            } else {
                middles_left_out = true;
            }
        }
    }
    // Every subset of the candidates is prepaid in turn (exact), or, above the limits, two
    // guesses: all of them prepaid, and none (each use charged its own factorization).
    let all = (1u64 << candidates.len().min(63)) - 1;
    let (masks, exact, enumerated): (Vec<u64>, bool, bool) = if !model.share_factorizations {
        (vec![0], true, true)
    } else if enumerable(candidates.len()) {
        (
            (0..1u64 << candidates.len()).collect(),
            !middles_left_out,
            true,
        )
    } else {
        (vec![all, 0], false, false)
    };
    // The best so far: (its key, the DP's total, the steps' total, steps, result, order).
    // Enumerated, the key is the DP's total, which the steps add up to. Guessed, the DP's total may count prepaid
    // factorizations that the plan never reads (it multiplied those inverses instead), so the
    // key is what the emitted steps cost.
    let mut best: Option<(u128, u128, u128, Vec<Step>, Arg, Order)> = None;
    for mask in masks {
        let mut prepaid = vec![false; ops.len()];
        let mut upfront: u128 = 0;
        for (bit, &a) in candidates.iter().enumerate() {
            if bit >= 64 || mask >> bit & 1 == 1 {
                prepaid[a] = true;
                let f = Kernels { model }.factorization(ops[a].rows, ops[a].props)?;
                upfront = ov(upfront.checked_add(f.cost), "the plan's flop count")?;
            }
        }
        let dp = Dp {
            ops,
            kernels: Kernels { model },
            prepaid: &prepaid,
        };
        let table = dp.build(&expr.chain)?;
        let root = table.cell(0, table.n - 1);
        let Some((form, e)) = [Form::N, Form::T]
            .into_iter()
            .find_map(|f| root.e[f.0 as usize].map(|e| (f, e)))
        else {
            continue;
        };
        let total = ov(e.cost.checked_add(upfront), "the plan's flop count")?;
        if enumerated && best.as_ref().is_some_and(|b| total >= b.0) {
            continue;
        }
        let mut lower = Lower::new(ops, Kernels { model });
        let (result, order) = lower.emit(&table, 0, table.n - 1, form)?;
        let thirds = lower.steps.iter().try_fold(0u128, |acc, s| {
            acc.checked_add(s.thirds).ok_or(GenError::Overflow {
                what: "the plan's flop count",
            })
        })?;
        let key = if enumerated { total } else { thirds };
        if best.as_ref().is_none_or(|b| key < b.0) {
            best = Some((key, total, thirds, lower.steps, result, order));
        }
    }
    let (_, total, thirds, steps, result, order) =
        best.ok_or(GenError::NoPlan { model: model.name })?;
    debug_assert!(
        if enumerated {
            thirds == total
        } else {
            thirds <= total
        },
        "steps ({thirds}) and DP ({total}) disagree"
    );
    let (rows, cols) = expr.shape();
    Ok(GenPlan {
        model: model.name.to_string(),
        steps,
        result,
        rows,
        cols,
        thirds,
        order: order.to_string(),
        exact,
        expr: expr.clone(),
    })
}
