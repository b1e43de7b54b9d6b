//! Oracles shared by the integration tests. Written independently of the library's planners.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Cheapest and most expensive cost of multiplying a chain with dimensions `p`, by plain
/// top-down recursion with memoisation (a different formulation from the library's
/// bottom-up, anti-diagonal program).
pub fn oracle_min_max(p: &[u64]) -> (u128, u128) {
    let n = p.len() - 1;
    let mut memo = vec![None; n * n];
    let r = go(p, 0, n - 1, n, &mut memo);
    (r.0, r.1)
}

fn go(
    p: &[u64],
    i: usize,
    j: usize,
    n: usize,
    memo: &mut Vec<Option<(u128, u128)>>,
) -> (u128, u128) {
    if i == j {
        return (0, 0);
    }
    if let Some(v) = memo[i * n + j] {
        return v;
    }
    let mut lo = u128::MAX;
    let mut hi = 0u128;
    for k in i..j {
        let (l_lo, l_hi) = go(p, i, k, n, memo);
        let (r_lo, r_hi) = go(p, k + 1, j, n, memo);
        let here = p[i] as u128 * p[k + 1] as u128 * p[j + 1] as u128;
        lo = lo.min(l_lo.checked_add(r_lo).unwrap().checked_add(here).unwrap());
        hi = hi.max(l_hi.checked_add(r_hi).unwrap().checked_add(here).unwrap());
    }
    memo[i * n + j] = Some((lo, hi));
    (lo, hi)
}

/// Random dimensions drawn from one of several shapes of distribution.
pub fn random_dims(rng: &mut StdRng, dims: usize, kind: usize) -> Vec<u64> {
    (0..dims)
        .map(|i| match kind % 5 {
            0 => rng.random_range(1..=10),
            1 => rng.random_range(1..=1000),
            2 => [1, 2, 3, 50][rng.random_range(0..4)],
            3 => rng.random_range(1..=u32::MAX as u64),
            _ => (i as u64 % 7) * 13 + 1,
        })
        .collect()
}

/// A seeded generator.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}
