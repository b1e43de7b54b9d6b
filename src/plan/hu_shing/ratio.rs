//! Exact comparison of the non-negative fractions the planner works with.
//!
//! A supporting weight is `num / den` with `num` up to about 2^120 and `den` up to about 2^96,
//! so cross products need 256 bits. [`Ratio::cmp`] forms them exactly from 64-bit limbs.

use std::cmp::Ordering;

/// A non-negative fraction `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ratio {
    /// Numerator.
    pub num: u128,
    /// Denominator, positive.
    pub den: u128,
    /// `num / den` rounded: decides comparisons that are not near-ties.
    approx: f64,
}

/// The full 256-bit product `a · b` as (high, low) halves.
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // Middle column: carries fit because each term is below 2^64.
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// Relative gap between two `f64` estimates beyond which their order is certain: each estimate
/// is within 3 rounding errors (2^-53 each) of its fraction.
const SURE: f64 = 1e-12;

impl Ratio {
    /// A fraction with a cached floating-point estimate.
    pub fn new(num: u128, den: u128) -> Self {
        Ratio {
            num,
            den,
            approx: num as f64 / den as f64,
        }
    }

    /// Orders two fractions exactly: compares `self.num · other.den` with `other.num · self.den`,
    /// after a floating-point test that settles all but near-ties.
    pub fn cmp(&self, other: &Ratio) -> Ordering {
        let (a, b) = (self.approx, other.approx);
        if a > b * (1.0 + SURE) {
            return Ordering::Greater;
        }
        if b > a * (1.0 + SURE) {
            return Ordering::Less;
        }
        mul_wide(self.num, other.den).cmp(&mul_wide(other.num, self.den))
    }

    /// Whether `self ≥ x` for a whole number `x`.
    pub fn at_least(&self, x: u128) -> bool {
        let xf = x as f64;
        if self.approx > xf * (1.0 + SURE) {
            return true;
        }
        if xf > self.approx * (1.0 + SURE) {
            return false;
        }
        mul_wide(x, self.den) <= (0, self.num)
    }

    /// Whether `x > self` for a whole number `x`.
    pub fn below(&self, x: u128) -> bool {
        !self.at_least(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_products_are_exact() {
        let cases = [
            (0u128, 5u128),
            (u128::MAX, 1),
            (u128::MAX, u128::MAX),
            (1 << 100, 1 << 100),
            (
                0xdead_beef_1234_5678_9abc_def0_1111_2222,
                0x7777_8888_9999_aaaa_bbbb,
            ),
        ];
        for (a, b) in cases {
            let (hi, lo) = mul_wide(a, b);
            // Check against schoolbook multiplication on 32-bit limbs.
            let limbs = |x: u128| [0, 32, 64, 96].map(|s| (x >> s) as u32 as u64);
            let (la, lb) = (limbs(a), limbs(b));
            let mut acc = [0u64; 9];
            for (i, x) in la.iter().enumerate() {
                for (j, y) in lb.iter().enumerate() {
                    let mut k = i + j;
                    let mut carry = x * y;
                    while carry != 0 {
                        let s = acc[k] + (carry & 0xffff_ffff);
                        acc[k] = s & 0xffff_ffff;
                        carry = (carry >> 32) + (s >> 32);
                        k += 1;
                    }
                }
            }
            let join = |l: &[u64]| {
                l.iter()
                    .rev()
                    .fold(0u128, |v, &x| (v << 32) | u128::from(x))
            };
            assert_eq!(lo, join(&acc[0..4]), "{a} * {b}");
            assert_eq!(hi, join(&acc[4..8]), "{a} * {b}");
        }
    }

    #[test]
    fn compares_fractions() {
        let r = Ratio::new;
        assert_eq!(r(1, 3).cmp(&r(2, 6)), Ordering::Equal);
        assert_eq!(r(1, 3).cmp(&r(1, 2)), Ordering::Less);
        assert_eq!(r(u128::MAX, 1).cmp(&r(u128::MAX - 1, 1)), Ordering::Greater);
        assert!(r(6, 3).at_least(2));
        assert!(!r(5, 3).at_least(2));
        assert!(r(5, 3).below(2));
        assert!(r(0, 7).at_least(0));
        // Near-ties beyond f64 precision are decided exactly.
        let big = 1u128 << 100;
        assert_eq!(r(big + 1, big).cmp(&r(big, big)), Ordering::Greater);
        assert_eq!(r(3 * big, 3).cmp(&r(big + 1, 1)), Ordering::Less);
        assert!(!r(2 * big - 1, big).at_least(2));
        assert!(r(2 * big, big).at_least(2));
    }
}
