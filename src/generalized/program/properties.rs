//! Properties through sums. A product's properties come from the chain inference of
//! [`crate::generalized::expr::infer`]; this module adds positive semidefiniteness (Bᵀ·S·B with
//! S SPD, whatever B's rank) and the rules for sums:
//!
//! | sum | property |
//! |---|---|
//! | every term symmetric (lower, upper, diagonal) | symmetric (lower, upper, diagonal) |
//! | every term SPD or PSD with a positive scale, at least one SPD | SPD |
//! | a positive multiple of I plus PSD terms (positive scales) | SPD |
//!
//! A scale is positive when its number is and each named scalar with an odd power is declared
//! `positive` (or `negative`, which flips it); a scalar of unknown sign makes the sign unknown
//! and the sum only symmetric.

use crate::generalized::expr::{factor_props, infer, mirrors, Expression};
use crate::generalized::operand::Properties;

/// What the sum rules need of one term.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermProps {
    /// The product's properties.
    pub(crate) props: Properties,
    /// Positive semidefinite (SPD included).
    pub(crate) psd: bool,
    /// The scale's sign: `Some(true)` positive, `None` unknown.
    pub(crate) positive: Option<bool>,
}

/// A product's properties and whether it is positive semidefinite: it reads the same
/// transposed around an SPD middle (or none).
pub(crate) fn chain_props(e: &Expression) -> (Properties, bool) {
    let fs = &e.chain.factors;
    let ops = &e.operands;
    let p = infer(fs, ops);
    let n = fs.len();
    let palindrome = (0..n / 2).all(|i| mirrors(&fs[i], &fs[n - 1 - i], ops));
    let middle_ok = n % 2 == 0 || factor_props(&fs[n / 2], ops).spd;
    let psd = p.spd || (n > 1 && palindrome && middle_ok);
    (p, psd)
}

/// The properties of Σ sᵢ·Tᵢ (square; the caller drops them for a non-square sum).
pub(crate) fn sum_props(ts: &[TermProps]) -> Properties {
    let all = |f: fn(&Properties) -> bool| ts.iter().all(|t| f(&t.props));
    let mut p = Properties {
        symmetric: all(|p| p.symmetric),
        lower: all(|p| p.lower),
        upper: all(|p| p.upper),
        diagonal: all(|p| p.diagonal),
        ..Properties::default()
    };
    let positive_psd = ts.iter().all(|t| t.positive == Some(true) && t.psd);
    let one_spd = ts.iter().any(|t| t.positive == Some(true) && t.props.spd);
    if p.symmetric && positive_psd && one_spd {
        p.spd = true;
    }
    if ts.len() == 1 {
        // One term: a positive multiple keeps everything, a negative one loses definiteness
        // but keeps rank.
        let t = ts[0];
        p = t.props;
        if t.positive != Some(true) {
            p.spd = false;
        }
        if t.positive.is_none() {
            p.full_rank = false;
        }
    }
    p.closed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(spd: bool, psd: bool, positive: Option<bool>) -> TermProps {
        TermProps {
            props: Properties {
                spd,
                symmetric: psd || spd,
                ..Properties::default()
            }
            .closed(),
            psd,
            positive,
        }
    }

    #[test]
    fn sums_keep_definiteness_only_with_positive_scales() {
        assert!(sum_props(&[tp(true, true, Some(true)), tp(false, true, Some(true))]).spd);
        assert!(!sum_props(&[tp(true, true, Some(true)), tp(true, true, Some(false))]).spd);
        assert!(!sum_props(&[tp(true, true, Some(true)), tp(true, true, None)]).spd);
        assert!(sum_props(&[tp(true, true, Some(true)), tp(true, true, None)]).symmetric);
        assert!(!sum_props(&[tp(false, true, Some(true)), tp(false, true, Some(true))]).spd);
    }
}
