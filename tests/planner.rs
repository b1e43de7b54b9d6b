//! The planners against oracles: exhaustive search for small chains and an independent
//! recursion for long ones.

mod common;

use chainplan::plan::{brute, dp, Operand};
use chainplan::{Algorithm, Chain, Plan};
use common::{oracle_min_max, random_dims, rng};

/// Recomputes a plan's cost from its operands' spans and the chain's dimensions alone.
fn recomputed_cost(plan: &Plan) -> u128 {
    let p = plan.chain().dims();
    let lhs_last = |op: Operand| match op {
        Operand::Matrix(i) => i,
        Operand::Step(s) => plan.steps()[s].last,
    };
    plan.steps()
        .iter()
        .map(|s| p[s.first] as u128 * p[lhs_last(s.lhs) + 1] as u128 * p[s.last + 1] as u128)
        .sum()
}

#[test]
fn textbook_chain() {
    let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
    let plan = dp::optimal(&chain).unwrap();
    assert_eq!(plan.cost(), 15125);
    assert_eq!(plan.order(), "((A1(A2A3))((A4A5)A6))");
}

#[test]
fn dp_matches_exhaustive_search_for_every_small_chain_length() {
    let mut rng = rng(1);
    for n in 1..=8usize {
        for trial in 0..150 {
            let dims = random_dims(&mut rng, n + 1, trial);
            let chain = Chain::from_u64s(dims.iter().copied()).unwrap();
            let all = brute::all_plans(&chain).unwrap();
            let lo = all.iter().map(Plan::cost).min().unwrap();
            let hi = all.iter().map(Plan::cost).max().unwrap();
            let best = dp::optimal(&chain).unwrap();
            let worst = dp::worst(&chain).unwrap();
            assert_eq!(best.cost(), lo, "optimal for {dims:?}");
            assert_eq!(worst.cost(), hi, "worst for {dims:?}");
            assert_eq!(recomputed_cost(&best), lo);
            assert_eq!(recomputed_cost(&worst), hi);
            for p in &all {
                assert_eq!(recomputed_cost(p), p.cost());
            }
        }
    }
}

#[test]
fn exhaustive_search_counts_catalan_numbers() {
    let catalan = [1usize, 1, 2, 5, 14, 42, 132, 429];
    for (n, &c) in catalan.iter().enumerate() {
        let chain = Chain::new(vec![2u32; n + 2]).unwrap();
        let plans = brute::all_plans(&chain).unwrap();
        assert_eq!(plans.len(), c);
        let mut orders: Vec<String> = plans.iter().map(Plan::order).collect();
        orders.sort();
        orders.dedup();
        assert_eq!(orders.len(), c, "orders are distinct");
    }
}

#[test]
fn dp_matches_independent_recursion_on_long_chains() {
    let mut rng = rng(2);
    for trial in 0..40 {
        let n = 2 + (trial * 37) % 199; // 2 ..= 200 matrices
        let dims = random_dims(&mut rng, n + 1, trial);
        let chain = Chain::from_u64s(dims.iter().copied()).unwrap();
        let (lo, hi) = oracle_min_max(&dims);
        assert_eq!(
            dp::optimal(&chain).unwrap().cost(),
            lo,
            "n={n} kind={trial}"
        );
        assert_eq!(dp::worst(&chain).unwrap().cost(), hi, "n={n} kind={trial}");
    }
}

#[test]
fn serial_and_parallel_tables_agree() {
    let mut rng = rng(3);
    let dims = random_dims(&mut rng, 401, 1);
    let chain = Chain::from_u64s(dims).unwrap();
    let serial = dp::DpOptions {
        parallel: false,
        ..Default::default()
    };
    let a = dp::solve(&chain, dp::Objective::Min, &serial).unwrap();
    let b = dp::optimal(&chain).unwrap();
    assert_eq!(a, b);
}

#[test]
fn largest_dimensions_give_exact_costs() {
    let m = u32::MAX as u64;
    let dims = vec![m, m, m, 1, m, m];
    let chain = Chain::from_u64s(dims.iter().copied()).unwrap();
    let (lo, hi) = oracle_min_max(&dims);
    assert_eq!(dp::optimal(&chain).unwrap().cost(), lo);
    assert_eq!(dp::worst(&chain).unwrap().cost(), hi);
    // m³ alone is beyond u64; the exact value must survive.
    assert!(hi > u64::MAX as u128);
}

#[test]
fn every_algorithm_returns_a_valid_plan() {
    let chain = Chain::new(vec![7u32, 3, 9, 2, 8, 4]).unwrap();
    let best = dp::optimal(&chain).unwrap().cost();
    for &a in Algorithm::ALL {
        let plan = a.plan(&chain).unwrap();
        assert_eq!(plan.steps().len(), chain.matrices() - 1);
        assert_eq!(recomputed_cost(&plan), plan.cost());
        assert!(plan.cost() >= best);
        if a.is_exact() {
            assert_eq!(plan.cost(), best);
        }
    }
}
