//! The cost-model planner against exhaustive search: capped, least-memory and time goals on
//! random small chains, with random caps.

use chainplan::cost::time::{DtypeProfile, Timing};
use chainplan::cost::{ElementType, Goal, TimeModel};
use chainplan::error::PlanError;
use chainplan::plan::{brute, dp};
use chainplan::{Chain, Error, Plan};
use proptest::prelude::*;

/// A made-up machine, different from flop counting: a fixed overhead per call, a rate that
/// grows with the inner dimension, and a cost for writing the output.
fn synthetic_model() -> TimeModel {
    let grid = [1u64, 3, 9, 27, 81];
    let mut grid_timings = Vec::new();
    for &m in &grid {
        for &k in &grid {
            for &n in &grid {
                let flops = 2.0 * (m * k * n) as f64;
                let rate = 1e9 * (k as f64).sqrt();
                let seconds = 2e-6 + flops / rate + (m * n) as f64 * 4e-9;
                grid_timings.push(Timing { m, k, n, seconds });
            }
        }
    }
    let d = DtypeProfile {
        dtype: ElementType::F64,
        grid_timings,
        validation: vec![],
    };
    TimeModel::new(&grid, &d).unwrap()
}

fn dims() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(prop_oneof![Just(1u32), 1u32..=8, 1u32..=90], 2..=9)
}

/// Candidate caps: every plan's largest intermediate, one less, and zero.
fn caps(plans: &[Plan]) -> Vec<u128> {
    let mut c: Vec<u128> = plans
        .iter()
        .flat_map(|p| {
            let x = p.largest_intermediate();
            [x, x.saturating_sub(1)]
        })
        .collect();
    c.push(0);
    c.sort_unstable();
    c.dedup();
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn capped_flops_match_exhaustive_search(d in dims(), pick in any::<prop::sample::Index>()) {
        let chain = Chain::new(d).unwrap();
        let plans = brute::all_plans(&chain).unwrap();
        let candidates = caps(&plans);
        let cap = candidates[pick.index(candidates.len())];
        let fitting: Vec<&Plan> = plans.iter().filter(|p| p.largest_intermediate() <= cap).collect();
        let smallest = plans.iter().map(Plan::largest_intermediate).min().unwrap();
        match Goal::flops().with_max_intermediate(cap).plan(&chain) {
            Ok(plan) => {
                let best = fitting.iter().map(|p| p.cost()).min().expect("a plan fits");
                prop_assert_eq!(plan.cost(), best);
                prop_assert!(plan.largest_intermediate() <= cap);
            }
            Err(Error::Plan(PlanError::NoPlanFits { cap: c, smallest: s })) => {
                prop_assert!(fitting.is_empty());
                prop_assert_eq!(c, cap);
                prop_assert_eq!(s, smallest);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn least_memory_matches_exhaustive_search(d in dims()) {
        let chain = Chain::new(d).unwrap();
        let plans = brute::all_plans(&chain).unwrap();
        let peak = plans.iter().map(Plan::largest_intermediate).min().unwrap();
        let cost = plans
            .iter()
            .filter(|p| p.largest_intermediate() == peak)
            .map(Plan::cost)
            .min()
            .unwrap();
        prop_assert_eq!(dp::min_peak(&chain, &Default::default()).unwrap(), peak);
        let plan = Goal::flops().minimizing_memory().plan(&chain).unwrap();
        prop_assert_eq!(plan.largest_intermediate(), peak);
        prop_assert_eq!(plan.cost(), cost);
    }

    #[test]
    fn time_goal_matches_exhaustive_search(d in dims(), pick in any::<prop::sample::Index>()) {
        let chain = Chain::new(d).unwrap();
        let model = synthetic_model();
        let plans = brute::all_plans(&chain).unwrap();
        let candidates = caps(&plans);
        // Half the cases uncapped, half with a random cap.
        let cap = if pick.index(2) == 0 { None } else { Some(candidates[pick.index(candidates.len())]) };
        let mut goal = Goal::time(model.clone()).with_min_gain(1.0);
        goal.max_intermediate = cap;
        let fitting: Vec<f64> = plans
            .iter()
            .filter(|p| cap.is_none_or(|c| p.largest_intermediate() <= c))
            .map(|p| model.plan_seconds(p))
            .collect();
        match goal.plan(&chain) {
            Ok(plan) => {
                let best = fitting.iter().copied().fold(f64::INFINITY, f64::min);
                let got = model.plan_seconds(&plan);
                prop_assert!((got - best).abs() <= 1e-12 * best, "{} vs {}", got, best);
                prop_assert!(cap.is_none_or(|c| plan.largest_intermediate() <= c));
            }
            Err(Error::Plan(PlanError::NoPlanFits { .. })) => prop_assert!(fitting.is_empty()),
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn least_memory_by_time_matches_exhaustive_search(d in dims()) {
        let chain = Chain::new(d).unwrap();
        let model = synthetic_model();
        let plans = brute::all_plans(&chain).unwrap();
        let peak = plans.iter().map(Plan::largest_intermediate).min().unwrap();
        let best = plans
            .iter()
            .filter(|p| p.largest_intermediate() == peak)
            .map(|p| model.plan_seconds(p))
            .fold(f64::INFINITY, f64::min);
        let plan = Goal::time(model.clone())
            .with_min_gain(1.0)
            .minimizing_memory()
            .plan(&chain)
            .unwrap();
        prop_assert_eq!(plan.largest_intermediate(), peak);
        let got = model.plan_seconds(&plan);
        prop_assert!((got - best).abs() <= 1e-12 * best);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With a least gain g, the time goal returns the flop-optimal plan unless the fastest
    /// plan is predicted to beat it by more than g; either way within the cap.
    #[test]
    fn least_gain_keeps_flops_unless_the_model_predicts_more(
        d in dims(),
        pick in any::<prop::sample::Index>(),
        g in prop_oneof![Just(1.0f64), Just(1.05), Just(1.2), Just(2.0), Just(1e9)],
    ) {
        let chain = Chain::new(d).unwrap();
        let model = synthetic_model();
        let plans = brute::all_plans(&chain).unwrap();
        let candidates = caps(&plans);
        let cap = if pick.index(2) == 0 { None } else { Some(candidates[pick.index(candidates.len())]) };
        let fitting: Vec<&Plan> = plans
            .iter()
            .filter(|p| cap.is_none_or(|c| p.largest_intermediate() <= c))
            .collect();
        let mut goal = Goal::time(model.clone()).with_min_gain(g);
        goal.max_intermediate = cap;
        let plan = match goal.plan(&chain) {
            Ok(plan) => plan,
            Err(Error::Plan(PlanError::NoPlanFits { .. })) => {
                prop_assert!(fitting.is_empty());
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        prop_assert!(cap.is_none_or(|c| plan.largest_intermediate() <= c));
        let fastest = fitting.iter().map(|p| model.plan_seconds(p)).fold(f64::INFINITY, f64::min);
        let fewest = fitting.iter().map(|p| p.cost()).min().unwrap();
        let got = model.plan_seconds(&plan);
        let mut by_flops = Goal::flops();
        by_flops.max_intermediate = cap;
        let flop_plan_s = model.plan_seconds(&by_flops.plan(&chain).unwrap());
        if plan.cost() == fewest {
            // Kept the flop-optimal plan: the fastest is not predicted to beat it by g.
            prop_assert!(got <= g * fastest * (1.0 + 1e-12), "{} > {} x {}", got, g, fastest);
        } else {
            // Took the fastest plan: it beats the flop-optimal plan by more than g.
            prop_assert!((got - fastest).abs() <= 1e-12 * fastest);
            prop_assert!(flop_plan_s > g * fastest * (1.0 - 1e-12));
        }
        if g >= 1e9 {
            prop_assert_eq!(plan.cost(), fewest);
        }
    }
}

#[test]
fn a_cap_nothing_reaches_changes_nothing_on_long_chains() {
    // The general program with a cap above every intermediate must agree with the fast path.
    let mut x = 12345u64;
    let dims: Vec<u32> = (0..301)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            1 + (x >> 33) as u32 % 500
        })
        .collect();
    let chain = Chain::new(dims).unwrap();
    let fast = dp::optimal(&chain).unwrap();
    let general = Goal::flops()
        .with_max_intermediate(u128::MAX)
        .plan(&chain)
        .unwrap();
    assert_eq!(general.cost(), fast.cost());
    // A binding cap costs at least as much and respects the cap.
    let cap = fast.largest_intermediate() - 1;
    match Goal::flops().with_max_intermediate(cap).plan(&chain) {
        Ok(p) => {
            assert!(p.cost() >= fast.cost());
            assert!(p.largest_intermediate() <= cap);
        }
        Err(Error::Plan(PlanError::NoPlanFits { smallest, .. })) => assert!(smallest > cap),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn degenerate_chains() {
    // One or two matrices have no intermediates: every goal, even a cap of 0, is the optimum.
    for dims in [vec![5u32, 7], vec![5, 7, 9]] {
        let chain = Chain::new(dims).unwrap();
        let best = dp::optimal(&chain).unwrap().cost();
        for goal in [
            Goal::flops().with_max_intermediate(0),
            Goal::flops().minimizing_memory(),
            Goal::time(synthetic_model()).with_max_intermediate(0),
        ] {
            assert_eq!(goal.plan(&chain).unwrap().cost(), best);
        }
    }
    // All ones: every intermediate is 1 × 1.
    let ones = Chain::new(vec![1u32; 5]).unwrap();
    let e = Goal::flops()
        .with_max_intermediate(0)
        .plan(&ones)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Plan(PlanError::NoPlanFits {
            cap: 0,
            smallest: 1
        })
    ));
    let p = Goal::flops().minimizing_memory().plan(&ones).unwrap();
    assert_eq!((p.cost(), p.largest_intermediate()), (3, 1));
}

#[test]
fn huge_dimensions_use_exact_wide_costs() {
    // Costs near 2^96 need u128; a cap must still be exact there.
    let big = u32::MAX;
    let chain = Chain::new(vec![big, 1, big, 1]).unwrap();
    let free = dp::optimal(&chain).unwrap();
    let capped = Goal::flops().with_max_intermediate(1).plan(&chain).unwrap();
    assert_eq!(capped.cost(), free.cost());
    assert_eq!(capped.largest_intermediate(), 1);
    let e = Goal::flops()
        .with_max_intermediate(0)
        .plan(&chain)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Plan(PlanError::NoPlanFits { smallest: 1, .. })
    ));
}
