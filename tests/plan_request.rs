//! The one plan request that the CLI and the Python module use: checked against exhaustive
//! search over every order (caps, least memory), against the planners it names, and for the
//! rules it enforces.

use chainplan::cost::{ElementType, Minimize};
use chainplan::error::PlanError;
use chainplan::plan::brute::all_plans;
use chainplan::{Algorithm, Chain, Error, PlanRequest};
use proptest::prelude::*;

fn chains() -> impl Strategy<Value = Chain> {
    prop::collection::vec(1u64..40, 2..8).prop_map(|d| Chain::from_u64s(d).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Fewest flops: the request gives what the resolved planner gives, named as it.
    #[test]
    fn plain_requests_are_the_planners(chain in chains()) {
        for algorithm in [Algorithm::Auto, Algorithm::Dp, Algorithm::HuShing, Algorithm::Approx,
                          Algorithm::LeftToRight, Algorithm::RightToLeft] {
            let planned = PlanRequest::new().algorithm(algorithm).plan(&chain).unwrap();
            let resolved = algorithm.resolve(chain.matrices());
            prop_assert_eq!(&planned.planner, resolved.name());
            prop_assert_eq!(planned.plan.to_string(), resolved.plan(&chain).unwrap().to_string());
            prop_assert!(planned.goal.is_none() && planned.fastest.is_none());
        }
    }

    /// A cap in elements or in bytes: the cheapest order whose intermediates fit, as
    /// exhaustive search finds it; or the error naming the least cap that fits.
    #[test]
    fn caps_match_exhaustive_search(chain in chains(), cap in 1u128..2000, f32 in any::<bool>()) {
        let all = all_plans(&chain).unwrap();
        let fitting = all.iter().filter(|p| p.largest_intermediate() <= cap).map(|p| p.cost()).min();
        let least = all.iter().map(|p| p.largest_intermediate()).min().unwrap();
        let by_elements = PlanRequest::new().max_intermediate(cap).plan(&chain);
        let dtype = if f32 { ElementType::F32 } else { ElementType::F64 };
        let bytes = cap * dtype.bytes();
        let by_bytes = PlanRequest::new().element_type(dtype).max_memory(bytes).plan(&chain);
        match fitting {
            Some(best) => {
                for planned in [by_elements.unwrap(), by_bytes.unwrap()] {
                    prop_assert_eq!(planned.plan.cost(), best);
                    prop_assert!(planned.plan.largest_intermediate() <= cap);
                    prop_assert!(planned.planner.starts_with("dp, flops"));
                }
            }
            None => {
                let is_elements_error = matches!(
                    by_elements,
                    Err(Error::Plan(PlanError::NoPlanFits { cap: c, smallest })) if c == cap && smallest == least
                );
                prop_assert!(is_elements_error);
                let is_bytes_error = matches!(
                    by_bytes,
                    Err(Error::Plan(PlanError::NoPlanFitsMemory { max_bytes, least_bytes, element_type }))
                        if max_bytes == bytes
                            && least_bytes == least * dtype.bytes()
                            && element_type == dtype.name()
                );
                prop_assert!(is_bytes_error);
            }
        }
    }

    /// Least memory first: the smallest largest intermediate, then the fewest flops among
    /// those orders.
    #[test]
    fn least_memory_matches_exhaustive_search(chain in chains()) {
        let all = all_plans(&chain).unwrap();
        let least = all.iter().map(|p| p.largest_intermediate()).min().unwrap();
        let best = all.iter().filter(|p| p.largest_intermediate() == least).map(|p| p.cost()).min();
        let planned = PlanRequest::new().minimize(Minimize::Memory).plan(&chain).unwrap();
        prop_assert_eq!(planned.plan.largest_intermediate(), least);
        prop_assert_eq!(Some(planned.plan.cost()), best);
    }
}

/// Goals need an exact planner; a least gain needs a time model; both are refused before any
/// chain is planned.
#[test]
fn rules_are_enforced() {
    let chain = Chain::new([10, 20, 30, 40]).unwrap();
    for algorithm in [
        Algorithm::HuShing,
        Algorithm::Approx,
        Algorithm::LeftToRight,
        Algorithm::RightToLeft,
    ] {
        for request in [
            PlanRequest::new()
                .algorithm(algorithm)
                .max_intermediate(100),
            PlanRequest::new().algorithm(algorithm).max_memory(1 << 20),
            PlanRequest::new()
                .algorithm(algorithm)
                .minimize(Minimize::Memory),
        ] {
            let err = request.validate().unwrap_err();
            assert!(
                matches!(err, Error::Plan(PlanError::NeedsExactPlanner { algorithm: a }) if a == algorithm.name()),
                "{err}"
            );
            assert!(request.plan(&chain).is_err());
        }
    }
    for algorithm in [Algorithm::Auto, Algorithm::Dp] {
        let request = PlanRequest::new()
            .algorithm(algorithm)
            .max_intermediate(100_000);
        assert!(request.plan(&chain).is_ok());
    }
    let err = PlanRequest::new().min_gain(1.5).plan(&chain).unwrap_err();
    assert!(
        matches!(err, Error::Plan(PlanError::MinGainWithoutTime)),
        "{err}"
    );
}

/// `Minimize` reads the names it writes and refuses others with the parameter's name.
#[test]
fn minimize_names_round_trip() {
    for m in [Minimize::Cost, Minimize::Memory] {
        assert_eq!(m.name().parse::<Minimize>().unwrap(), m);
    }
    let err = "speed".parse::<Minimize>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "minimize is 'speed'; it must be 'cost' or 'memory'"
    );
}
