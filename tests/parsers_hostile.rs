//! Every parser of user input, fed arbitrary bytes and strings: it returns a value or a typed
//! [`chainplan::Error`], never panics, and its message is one bounded line without control
//! characters (echoed input is cut and escaped by `chainplan::text::quote`).

use chainplan::autodiff::{parse::parse_point, GradReport, Tape};
use chainplan::cost::{parse_memory_size, ElementType, Profile};
use chainplan::handoff::HandoffPlan;
use chainplan::jacobian::matrix_free::parse_list;
use chainplan::jacobian::LayerKind;
use chainplan::{Algorithm, Chain, Plan};
use proptest::prelude::*;

/// The longest message any parser may print for inputs of up to a few thousand characters.
const MAX_MESSAGE: usize = 700;

/// Asserts what every error shares: one line, bounded, no control characters.
fn check_message(e: &impl std::fmt::Display) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert!(
        text.chars().count() <= MAX_MESSAGE,
        "{} characters: {}",
        text.len(),
        text
    );
    prop_assert!(
        !text.chars().any(char::is_control),
        "control character in {:?}",
        text
    );
    Ok(())
}

fn check<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<(), TestCaseError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) => check_message(&e),
    }
}

/// Any text: arbitrary Unicode, arbitrary bytes read lossily, or text built from the
/// characters that parsers care about (so that deeper paths are reached).
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        prop::collection::vec(
            prop::sample::select(vec![
                "0",
                "1",
                "7",
                "9",
                "99999999999999999999999",
                "-",
                "+",
                ",",
                ",,",
                " ",
                "\n",
                "\t",
                "#",
                "(",
                ")",
                "x",
                "y",
                "*",
                "/",
                "^",
                "=",
                ".",
                "e",
                "e308",
                "KiB",
                "GB",
                "sin(",
                "log(",
                "pow(",
                "\u{feff}",
                "\u{1b}[31m",
                "\"",
                "'",
                "{",
                "}",
                "[",
                "]",
                ":",
                "A1",
                "S1",
                "inf",
                "NaN",
                "\u{0}",
            ]),
            0..120
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn dimensions(text in hostile_text()) {
        check(Chain::parse(&text))?;
        check(Chain::from_strs(&text.split(' ').collect::<Vec<_>>()))?;
    }

    #[test]
    fn expressions_and_points(text in hostile_text(), at in hostile_text(), x in any::<f64>()) {
        check(parse_point(&at))?;
        match Tape::parse(&text) {
            Err(e) => check_message(&e)?,
            Ok(tape) => {
                let bindings: Vec<(String, f64)> =
                    tape.variables().iter().map(|v| (v.clone(), x)).collect();
                match tape.point(&bindings) {
                    Err(e) => check_message(&e)?,
                    Ok(point) => check(GradReport::compute(&tape, &point))?,
                }
            }
        }
    }

    #[test]
    fn sizes_names_and_lists(text in hostile_text()) {
        check(parse_memory_size(&text))?;
        check(text.parse::<ElementType>())?;
        check(text.parse::<Algorithm>())?;
        check(parse_list(&text, "the tangent costs"))?;
        check(LayerKind::parse_list(&text))?;
        let chain = Chain::new(vec![3u32, 4, 5, 6]).unwrap();
        check(Plan::from_order(&chain, &text))?;
    }

    #[test]
    fn handoff_plans(text in hostile_text()) {
        match HandoffPlan::from_json(&text) {
            Err(e) => check_message(&e)?,
            Ok(plan) => check(plan.to_plan())?,
        }
    }

    #[test]
    fn handoff_plans_tampered(field in 0usize..12, value in hostile_text()) {
        // A valid plan with one field replaced by hostile text (as a JSON string).
        let chain = Chain::new(vec![30u32, 35, 15, 5, 10]).unwrap();
        let plan = Algorithm::Dp.plan(&chain).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_str(&HandoffPlan::from_plan(&plan).unwrap().to_json().unwrap()).unwrap();
        let keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        let key = &keys[field % keys.len()];
        json[key] = serde_json::Value::String(value);
        match HandoffPlan::from_json(&json.to_string()) {
            Err(e) => check_message(&e)?,
            Ok(plan) => check(plan.to_plan())?,
        }
    }

    #[test]
    fn profiles(text in hostile_text()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gemm-profile.json");
        std::fs::write(&path, &text).unwrap();
        match Profile::load(&path) {
            Err(e) => check_message(&e)?,
            Ok(profile) => {
                for dtype in ElementType::ALL {
                    check(profile.model(dtype))?;
                }
            }
        }
    }
}

/// Crafted profiles: a grid whose timing count overflows, rates that overflow, NaN times.
#[test]
fn crafted_profiles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    let grid: Vec<u64> = (1..=3_000_000u64).collect();
    let machine = r#"{"cpu":"x","blas":"y","threads":1,"logical_cpus":1}"#;
    let cases = [
        format!(
            r#"{{"format":1,"machine":{machine},"created_unix_s":0,"grid":{grid:?},
                "dtypes":[{{"dtype":"f64","grid_timings":[],"validation":[]}}]}}"#
        ),
        format!(
            r#"{{"format":1,"machine":{machine},"created_unix_s":0,"grid":[1,2],
                "dtypes":[{{"dtype":"f64","grid_timings":[{}],"validation":[]}}]}}"#,
            (0..8)
                .map(|i| format!(
                    r#"{{"m":{},"k":{},"n":{},"seconds":1e-320}}"#,
                    1 + (i >> 2 & 1),
                    1 + (i >> 1 & 1),
                    1 + (i & 1)
                ))
                .collect::<Vec<_>>()
                .join(",")
        ),
    ];
    for text in &cases {
        std::fs::write(&path, text).unwrap();
        let e = Profile::load(&path).expect_err("a crafted profile must be refused");
        let message = e.to_string();
        assert!(message.len() < MAX_MESSAGE, "{message}");
        assert!(message.starts_with("timing profile"), "{message}");
    }
}
