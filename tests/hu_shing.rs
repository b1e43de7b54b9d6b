//! Exactness of the Hu–Shing planner and the bound of the approximation, against oracles:
//! exhaustive search for short chains, and an independent O(n³) cost recurrence written here
//! (and the library's DP) for chains up to 300 matrices drawn from several distributions.

use chainplan::plan::{approx, brute, dp, hu_shing};
use chainplan::{Algorithm, Chain};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The textbook recurrence, cost only, written independently of the library: in `u64` when
/// (n − 1)·max³ fits (every sub-chain costs at most that), in `u128` otherwise.
fn reference_cost(p: &[u32]) -> u128 {
    let max = u128::from(*p.iter().max().unwrap());
    if max.pow(3) * (p.len() as u128) < u128::from(u64::MAX) {
        recurrence::<u64>(p, u64::from)
    } else {
        recurrence::<u128>(p, u128::from)
    }
}

fn recurrence<T>(p: &[u32], widen: fn(u32) -> T) -> u128
where
    T: Copy + Ord + std::ops::Add<Output = T> + std::ops::Mul<Output = T> + Into<u128> + Default,
{
    let n = p.len() - 1;
    let p: Vec<T> = p.iter().map(|&x| widen(x)).collect();
    let mut m = vec![T::default(); n * n];
    for len in 2..=n {
        for i in 0..=n - len {
            let j = i + len - 1;
            let outer = p[i] * p[j + 1];
            let best = (i..j)
                .map(|k| m[i * n + k] + m[(k + 1) * n + j] + outer * p[k + 1])
                .min()
                .unwrap();
            m[i * n + j] = best;
        }
    }
    m[n - 1].into()
}

/// The distributions the issue lists; `kind` picks one.
fn dims(rng: &mut StdRng, kind: usize, len: usize) -> Vec<u32> {
    match kind {
        // uniform small
        0 => (0..len).map(|_| rng.random_range(1..=10)).collect(),
        // uniform large
        1 => (0..len).map(|_| rng.random_range(1..=1_000_000)).collect(),
        // many repeated values and ties
        2 => {
            let pool: Vec<u32> = (0..3).map(|_| rng.random_range(1..=50)).collect();
            (0..len)
                .map(|_| pool[rng.random_range(0..pool.len())])
                .collect()
        }
        // monotone (increasing or decreasing, with plateaus)
        3 => {
            let mut x = rng.random_range(1..=20u32);
            let mut v: Vec<u32> = (0..len)
                .map(|_| {
                    x += rng.random_range(0..=30);
                    x
                })
                .collect();
            if rng.random_bool(0.5) {
                v.reverse();
            }
            v
        }
        // sawtooth and V shapes
        4 => {
            let period = rng.random_range(2..=len.max(2));
            let step = rng.random_range(1..=40u32);
            let v_shape = rng.random_bool(0.5);
            (0..len)
                .map(|i| {
                    if v_shape {
                        1 + step * (i as i64 - (len / 2) as i64).unsigned_abs() as u32
                    } else {
                        1 + step * (i % period) as u32
                    }
                })
                .collect()
        }
        // one tiny dimension among large ones
        5 => {
            let mut v: Vec<u32> = (0..len).map(|_| rng.random_range(500..=5000)).collect();
            let at = rng.random_range(0..len);
            v[at] = rng.random_range(1..=3);
            v
        }
        // huge dimensions: costs beyond 64 bits
        _ => (0..len)
            .map(|_| rng.random_range(u32::MAX - 1000..=u32::MAX))
            .collect(),
    }
}

const KINDS: usize = 7;

#[test]
fn exact_on_ten_thousand_random_chains() {
    let mut rng = StdRng::seed_from_u64(0x4855_5348);
    let mut checked = 0;
    let mut worst_ratio = 1.0f64;
    for round in 0..10_500 {
        let kind = round % KINDS;
        // Mostly short chains (fast), every 40th one long, up to 300 matrices.
        let matrices = if round % 40 == 0 {
            rng.random_range(100..=300)
        } else {
            rng.random_range(1..=60)
        };
        let d = dims(&mut rng, kind, matrices + 1);
        let chain = Chain::new(d.clone()).unwrap();
        // The in-test recurrence for short chains; the library's (independent, faster) DP
        // for long ones, to keep the suite fast.
        let want = if matrices <= 60 {
            reference_cost(&d)
        } else {
            dp::optimal(&chain).unwrap().cost()
        };
        let plan = hu_shing::optimal(&chain).unwrap();
        assert_eq!(plan.cost(), want, "kind {kind}, dims {d:?}");
        assert_eq!(plan.matrices(), matrices);
        let near = approx::plan(&chain).unwrap_or_else(|e| panic!("{e}: {d:?}"));
        assert!(near.cost() >= want, "approx below the optimum: {d:?}");
        assert!(
            near.cost() as f64 <= approx::BOUND * want as f64,
            "approx above {} x optimal: {d:?}",
            approx::BOUND
        );
        if want > 0 {
            worst_ratio = worst_ratio.max(near.cost() as f64 / want as f64);
        }
        checked += 1;
    }
    assert!(checked >= 10_000);
    eprintln!("worst approx ratio seen: {worst_ratio}");
}

#[test]
fn agrees_with_the_library_dp_and_brute_force() {
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..700 {
        let kind = round % KINDS;
        let matrices = rng.random_range(1..=brute::MAX_MATRICES.min(9));
        let d = dims(&mut rng, kind, matrices + 1);
        let chain = Chain::new(d.clone()).unwrap();
        let best = brute::all_plans(&chain)
            .unwrap()
            .iter()
            .map(|p| p.cost())
            .min()
            .unwrap();
        assert_eq!(hu_shing::optimal(&chain).unwrap().cost(), best, "{d:?}");
        assert_eq!(dp::optimal(&chain).unwrap().cost(), best, "{d:?}");
    }
}

#[test]
fn degenerate_chains() {
    for d in [
        vec![5u32, 7],
        vec![1, 1],
        vec![5, 7, 9],
        vec![1, 1, 1],
        vec![4; 50],
        vec![1; 300],
        vec![u32::MAX; 40],
        vec![1, u32::MAX, 1, u32::MAX, 1],
    ] {
        let chain = Chain::new(d.clone()).unwrap();
        let want = reference_cost(&d);
        for algorithm in [Algorithm::HuShing, Algorithm::Auto] {
            let plan = algorithm.plan(&chain).unwrap();
            assert_eq!(plan.cost(), want, "{algorithm} on {d:?}");
            assert_eq!(plan.steps().len(), d.len() - 2);
        }
        assert_eq!(hu_shing::optimal_cost(&chain).unwrap(), want);
        let near = approx::plan(&chain).unwrap();
        assert!(near.cost() >= want);
        assert!(near.cost() as f64 <= approx::BOUND * want as f64);
    }
}

#[test]
fn a_long_chain_plans_without_deep_recursion() {
    // 200,000 matrices in a monotone chain: the plan tree is 200,000 levels deep.
    let d: Vec<u32> = (1..=200_001).collect();
    let chain = Chain::new(d).unwrap();
    let plan = hu_shing::optimal(&chain).unwrap();
    assert_eq!(plan.steps().len(), 199_999);
    // Increasing dimensions: multiplying from the left is optimal, Σ 1·(k)·(k+1).
    let want: u128 = (2..=200_000u128).map(|k| k * (k + 1)).sum();
    assert_eq!(plan.cost(), want);
}

/// Run in release mode, it takes a minute or two:
/// `cargo test --release --test hu_shing -- --ignored`.
#[test]
#[ignore = "long: a few hundred chains of up to 2,000 matrices against the DP (release mode)"]
fn exact_on_long_chains_against_the_dp() {
    let mut rng = StdRng::seed_from_u64(2000);
    let mut worst_ratio = 1.0f64;
    for round in 0..300 {
        let kind = round % KINDS;
        // Log-uniform between 300 and 2,000 matrices, and 2,000 itself every 50th chain.
        let matrices = if round % 50 == 0 {
            2000
        } else {
            (300.0 * (2000.0f64 / 300.0).powf(rng.random::<f64>())) as usize
        };
        let d = dims(&mut rng, kind, matrices + 1);
        let chain = Chain::new(d.clone()).unwrap();
        let want = dp::optimal(&chain).unwrap().cost();
        assert_eq!(
            hu_shing::optimal(&chain).unwrap().cost(),
            want,
            "kind {kind}, {matrices} matrices"
        );
        let near = approx::plan(&chain).unwrap().cost();
        assert!(near >= want && near as f64 <= approx::BOUND * want as f64);
        worst_ratio = worst_ratio.max(near as f64 / want as f64);
    }
    eprintln!("300 chains of 300 to 2,000 matrices agree; worst approx ratio {worst_ratio}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Invariants on arbitrary short chains: Hu–Shing's plan is complete, costs exactly what
    /// its own steps sum to, equals the optimum, and does not depend on the chain's direction
    /// (reversing the chain mirrors every plan) or on a common scale factor (costs scale by
    /// its cube).
    #[test]
    fn hu_shing_invariants(d in proptest::collection::vec(1u32..=60, 2..40), f in 1u32..=5) {
        let chain = Chain::new(d.clone()).unwrap();
        let plan = hu_shing::optimal(&chain).unwrap();
        let want = reference_cost(&d);
        proptest::prop_assert_eq!(plan.cost(), want);
        proptest::prop_assert_eq!(plan.steps().len(), d.len() - 2);
        let summed: u128 = plan.steps().iter().map(|s| s.m as u128 * s.k as u128 * s.n as u128).sum();
        proptest::prop_assert_eq!(summed, want);
        let reversed: Vec<u32> = d.iter().rev().copied().collect();
        proptest::prop_assert_eq!(hu_shing::optimal_cost(&Chain::new(reversed).unwrap()).unwrap(), want);
        let scaled: Vec<u32> = d.iter().map(|&x| x * f).collect();
        proptest::prop_assert_eq!(
            hu_shing::optimal_cost(&Chain::new(scaled).unwrap()).unwrap(),
            want * u128::from(f).pow(3)
        );
    }
}
