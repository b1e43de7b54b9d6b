//! Invariants of plans, checked on random chains.

mod common;

use chainplan::plan::{brute, dp};
use chainplan::{Chain, Plan};
use proptest::prelude::*;

fn dims_strategy() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        prop::collection::vec(1u64..=12, 2..=9),
        prop::collection::vec(1u64..=2000, 2..=9),
        prop::collection::vec(1u64..=u32::MAX as u64, 2..=9),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A plan's serde form reads back into the same plan, Display is its order, and every
    /// other order's plan with a wrong cost is refused.
    #[test]
    fn plans_round_trip_through_serde(dims in dims_strategy()) {
        let chain = Chain::new(dims).unwrap();
        for plan in [dp::optimal(&chain).unwrap(), dp::worst(&chain).unwrap(), Plan::left_to_right(&chain).unwrap()] {
            prop_assert_eq!(plan.to_string(), plan.order());
            let json = serde_json::to_string(&plan).unwrap();
            let back: Plan = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &plan);
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            let order = plan.order();
            prop_assert_eq!(value["order"].as_str(), Some(order.as_str()));
            let wrong = json.replace(
                &format!("\"cost\":{}", plan.cost()),
                &format!("\"cost\":{}", plan.cost() + 1),
            );
            prop_assert!(serde_json::from_str::<Plan>(&wrong).is_err());
        }
    }

    #[test]
    fn cost_is_the_sum_of_step_costs(dims in dims_strategy()) {
        let chain = Chain::from_u64s(dims.clone()).unwrap();
        for plan in [dp::optimal(&chain).unwrap(), dp::worst(&chain).unwrap()] {
            let p = &dims;
            let mut total = 0u128;
            for s in plan.steps() {
                prop_assert_eq!(s.m as u64, p[s.first]);
                prop_assert_eq!(s.n as u64, p[s.last + 1]);
                prop_assert_eq!(s.cost, s.m as u128 * s.k as u128 * s.n as u128);
                total += s.cost;
            }
            prop_assert_eq!(total, plan.cost());
        }
    }

    #[test]
    fn optimum_and_worst_bracket_the_fixed_orders(dims in dims_strategy()) {
        let chain = Chain::from_u64s(dims).unwrap();
        let best = dp::optimal(&chain).unwrap().cost();
        let worst = dp::worst(&chain).unwrap().cost();
        let ltr = Plan::left_to_right(&chain).unwrap().cost();
        let rtl = Plan::right_to_left(&chain).unwrap().cost();
        prop_assert!(best <= ltr && ltr <= worst);
        prop_assert!(best <= rtl && rtl <= worst);
        let (lo, hi) = brute::cost_range(&chain).unwrap();
        prop_assert_eq!((best, worst), (lo, hi));
    }

    #[test]
    fn order_string_parses_back_to_the_same_plan(dims in dims_strategy()) {
        let chain = Chain::from_u64s(dims).unwrap();
        for plan in brute::all_plans(&chain).unwrap().into_iter().take(50) {
            let again = Plan::from_order(&chain, &plan.order()).unwrap();
            prop_assert_eq!(&again, &plan);
        }
    }

    #[test]
    fn fixed_order_summaries_match_the_built_plans(dims in prop::collection::vec(1u64..=u32::MAX as u64, 2..40)) {
        let chain = Chain::from_u64s(dims).unwrap();
        for (plan, (cost, order)) in [
            (Plan::left_to_right(&chain).unwrap(), Plan::left_to_right_summary(&chain).unwrap()),
            (Plan::right_to_left(&chain).unwrap(), Plan::right_to_left_summary(&chain).unwrap()),
        ] {
            prop_assert_eq!(plan.cost(), cost);
            prop_assert_eq!(plan.order(), order);
        }
    }

    #[test]
    fn largest_intermediate_excludes_the_final_product(dims in dims_strategy()) {
        let chain = Chain::from_u64s(dims).unwrap();
        let plan = dp::optimal(&chain).unwrap();
        let steps = plan.steps();
        let expected = if steps.len() < 2 {
            0
        } else {
            steps[..steps.len() - 1].iter().map(|s| s.m as u128 * s.n as u128).max().unwrap()
        };
        prop_assert_eq!(plan.largest_intermediate(), expected);
    }

    #[test]
    fn parsing_accepts_any_separators(dims in prop::collection::vec(1u32..=u32::MAX, 2..20), seps in prop::collection::vec(prop::sample::select(vec![" ", ",", "\n", " , ", "\t", "# note\n"]), 20)) {
        let mut text = String::new();
        for (i, d) in dims.iter().enumerate() {
            if i > 0 {
                text.push_str(seps[i % seps.len()]);
            }
            text.push_str(&d.to_string());
        }
        text.push('\n');
        let chain = Chain::parse(&text).unwrap();
        prop_assert_eq!(chain.dims(), &dims[..]);
        // A comma with no dimension after it is an empty field, refused rather than dropped.
        let doubled = text.replacen(&dims[0].to_string(), &format!("{},,", dims[0]), 1);
        let refused = matches!(Chain::parse(&doubled), Err(chainplan::Error::Chain(chainplan::error::ChainError::EmptyField { .. })));
        prop_assert!(refused, "{:?}", doubled);
    }
}
