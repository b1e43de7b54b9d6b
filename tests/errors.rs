//! Errors by area: each area's enum converts into `chainplan::Error` with `?`, a caller can
//! match through the area, and the message is the area's own (the wrapper adds nothing).
//! The expected values come from the inputs (the position and value given), not from the
//! program's output.

use chainplan::autodiff::Tape;
use chainplan::cost::parse_memory_size;
use chainplan::error::{ChainError, CostError, HandoffError, JacobianError, PlanError};
use chainplan::generalized::{Expression, GenError};
use chainplan::handoff::HandoffPlan;
use chainplan::jacobian::{LayerKind, Seed};
use chainplan::plan::Algorithm;
use chainplan::{Chain, Error, PlanRequest, Result};

/// Each fallible call of a different area, under `?` in one function returning the crate's
/// `Result`: the first one that fails decides.
fn first_failure(step: usize) -> Result<()> {
    Chain::new([3, 4, 5])?;
    match step {
        0 => drop(Chain::new([3, 0, 4])?),
        1 => drop("fastest".parse::<Algorithm>()?),
        2 => drop(parse_memory_size("12QB")?),
        3 => drop(LayerKind::parse_list("dense,foo")?),
        4 => drop(HandoffPlan::from_json(
            r#"{"format":"chainplan-plan","version":99}"#,
        )?),
        5 => drop(Tape::parse("x +")?),
        6 => drop(Expression::parse("A * B", &[])?),
        7 => drop(Seed::from_kind("sideways", 1)?),
        _ => drop(
            PlanRequest::new()
                .max_intermediate(1)
                .plan(&Chain::new([3, 4, 5, 6])?)?,
        ),
    }
    Ok(())
}

#[test]
fn every_area_converts_with_the_question_mark_and_matches_through_its_area() {
    let errors: Vec<Error> = (0..9).map(|s| first_failure(s).unwrap_err()).collect();
    assert!(matches!(
        errors[0],
        Error::Chain(ChainError::DimensionTooSmall {
            position: 2,
            value: 0
        })
    ));
    assert!(
        matches!(&errors[1], Error::Plan(PlanError::UnknownAlgorithm { name, .. }) if name == "fastest")
    );
    assert!(
        matches!(&errors[2], Error::Cost(CostError::BadMemorySize { text, .. }) if text == "12QB")
    );
    assert!(matches!(
        &errors[3],
        Error::Jacobian(JacobianError::UnknownLayerKind { position: 2, name }) if name == "foo"
    ));
    assert!(matches!(
        errors[4],
        Error::Handoff(HandoffError::Version { found: 99, .. })
    ));
    assert!(matches!(errors[5], Error::Expression(_)));
    assert!(matches!(
        errors[6],
        Error::Generalized(GenError::UnknownOperand { .. })
    ));
    assert!(
        matches!(&errors[7], Error::Jacobian(JacobianError::UnknownSeed { name }) if name == "sideways")
    );
    // A cap of one element on 3 × 4 × 5 × 6: the two orders make one intermediate each,
    // 3 × 5 = 15 and 4 × 6 = 24 (the result is not an intermediate); the least cap is 15.
    assert!(matches!(
        errors[8],
        Error::Plan(PlanError::NoPlanFits {
            cap: 1,
            smallest: 15
        })
    ));
}

#[test]
fn the_wrapper_prints_the_areas_message() {
    let area = ChainError::DimensionTooSmall {
        position: 2,
        value: 0,
    };
    let text = area.to_string();
    assert_eq!(text, "dimension 2 is 0; every dimension must be at least 1");
    let wrapped: Error = area.into();
    assert_eq!(wrapped.to_string(), text);
    let e = first_failure(5).unwrap_err();
    let Error::Expression(inner) = &e else {
        panic!("not an expression error: {e:?}")
    };
    assert_eq!(e.to_string(), inner.to_string());
}
