//! The hand-off format as a driver sees it: the JSON is read generically (not through the
//! library's types) and executed by an independent interpreter written here, then compared
//! with the naive product.

use chainplan::error::HandoffError;
use chainplan::handoff::{HandoffPlan, FORMAT_VERSION};
use chainplan::{Algorithm, Chain, Error, Plan};
use ndarray::Array2;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

/// Deterministic small integer matrix, so that every product below is exact in f64.
fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 7 + j * 13 + seed * 5) % 11) as f64 - 5.0
    })
}

/// What a driver does: follow the steps, keep a table of live operands, free what
/// `free_after` says, and check each step's declared shape against its operands.
/// Returns the result and the largest number of live operands seen.
fn interpret(plan: &Value, inputs: &[Array2<f64>]) -> (Array2<f64>, usize) {
    let mut live: HashMap<String, Array2<f64>> = HashMap::new();
    let declared = plan["inputs"].as_array().unwrap();
    assert_eq!(declared.len(), inputs.len());
    for (d, a) in declared.iter().zip(inputs) {
        assert_eq!(d["rows"].as_u64().unwrap() as usize, a.nrows());
        assert_eq!(d["cols"].as_u64().unwrap() as usize, a.ncols());
        live.insert(d["name"].as_str().unwrap().to_string(), a.clone());
    }
    let mut peak = live.len();
    for step in plan["steps"].as_array().unwrap() {
        let lhs = &live[step["lhs"].as_str().expect("lhs")];
        let rhs = &live[step["rhs"].as_str().expect("rhs")];
        let (m, k, n) = (
            step["m"].as_u64().unwrap() as usize,
            step["k"].as_u64().unwrap() as usize,
            step["n"].as_u64().unwrap() as usize,
        );
        assert_eq!((lhs.nrows(), lhs.ncols()), (m, k), "{step}");
        assert_eq!((rhs.nrows(), rhs.ncols()), (k, n), "{step}");
        assert_eq!(step["cost"].as_u64().unwrap(), (m * k * n) as u64);
        let out = lhs.dot(rhs);
        let name = step["out"].as_str().unwrap().to_string();
        assert!(!live.contains_key(&name), "{name} produced twice");
        live.insert(name, out);
        peak = peak.max(live.len());
        for freed in step["free_after"].as_array().unwrap() {
            live.remove(freed.as_str().unwrap())
                .unwrap_or_else(|| panic!("{freed} freed but not live"));
        }
    }
    let result = live
        .remove(plan["result"].as_str().unwrap())
        .expect("result is live at the end");
    assert!(live.is_empty(), "operands never freed: {:?}", live.keys());
    (result, peak)
}

/// Last uses computed from the steps alone, by name.
fn last_uses(plan: &Value) -> HashMap<String, u64> {
    let mut uses = HashMap::new();
    for step in plan["steps"].as_array().unwrap() {
        let s = step["step"].as_u64().unwrap();
        for side in ["lhs", "rhs"] {
            uses.insert(step[side].as_str().unwrap().to_string(), s);
        }
    }
    uses
}

fn check(plan: &Plan) {
    let json = HandoffPlan::from_plan(plan).unwrap().to_json().unwrap();
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["format"], "chainplan-plan");
    assert_eq!(value["version"], FORMAT_VERSION);
    assert_eq!(value["order"], plan.order().as_str());

    // last_use agrees with a scan of the steps.
    let uses = last_uses(&value);
    for input in value["inputs"].as_array().unwrap() {
        let name = input["name"].as_str().unwrap();
        assert_eq!(
            input["last_use"].as_u64(),
            uses.get(name).copied(),
            "{name}"
        );
    }
    for step in value["steps"].as_array().unwrap() {
        let name = step["out"].as_str().unwrap();
        assert_eq!(step["last_use"].as_u64(), uses.get(name).copied(), "{name}");
    }

    // Executing the JSON gives the naive product.
    let dims = plan.chain().dims();
    let inputs: Vec<Array2<f64>> = (0..plan.matrices())
        .map(|i| matrix(dims[i] as usize, dims[i + 1] as usize, i))
        .collect();
    let (result, _) = interpret(&value, &inputs);
    let naive = inputs[1..]
        .iter()
        .fold(inputs[0].clone(), |acc, a| acc.dot(a));
    assert_eq!(result, naive);

    // And it reads back into the same plan.
    assert_eq!(
        &HandoffPlan::from_json(&json).unwrap().to_plan().unwrap(),
        plan
    );
}

#[test]
fn textbook_orders_execute_and_round_trip() {
    let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
    for plan in [
        Algorithm::Dp.plan(&chain).unwrap(),
        Plan::left_to_right(&chain).unwrap(),
        Plan::right_to_left(&chain).unwrap(),
    ] {
        check(&plan);
    }
}

#[test]
fn single_matrix_is_its_own_result() {
    let chain = Chain::new(vec![3u32, 4]).unwrap();
    let plan = Plan::left_to_right(&chain).unwrap();
    let value: Value =
        serde_json::from_str(&HandoffPlan::from_plan(&plan).unwrap().to_json().unwrap()).unwrap();
    assert_eq!(value["result"], "A1");
    assert_eq!(value["inputs"][0]["last_use"], Value::Null);
    check(&plan);
}

#[test]
fn costs_beyond_u64_round_trip_exactly() {
    let big = 4_000_000_000u32;
    let chain = Chain::new(vec![big, big, big, big]).unwrap();
    let plan = Algorithm::Dp.plan(&chain).unwrap();
    let json = HandoffPlan::from_plan(&plan).unwrap().to_json().unwrap();
    let expected = 2 * u128::from(big).pow(3);
    assert!(json.contains(&format!("\"cost\": {expected}")), "{json}");
    let back = HandoffPlan::from_json(&json).unwrap();
    assert_eq!(back.cost, expected);
    assert_eq!(back.to_plan().unwrap(), plan);
}

fn textbook_json() -> Value {
    let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
    let plan = Algorithm::Dp.plan(&chain).unwrap();
    serde_json::from_str(&HandoffPlan::from_plan(&plan).unwrap().to_json().unwrap()).unwrap()
}

#[test]
fn unknown_versions_are_refused_by_number() {
    let mut v = textbook_json();
    v["version"] = Value::from(2);
    // A future version may change anything else too.
    v["steps"] = Value::from("something new");
    match HandoffPlan::from_json(&v.to_string()) {
        Err(Error::Handoff(HandoffError::Version { found, supported })) => {
            assert_eq!((found, supported), (2, FORMAT_VERSION));
        }
        other => panic!("expected a version error, got {other:?}"),
    }
}

#[test]
fn malformed_files_give_errors_that_say_why() {
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "not a JSON plan"),
        ("{\"version\": 1}".into(), "format"),
        (
            {
                let mut v = textbook_json();
                v["format"] = Value::from("something-else");
                v.to_string()
            },
            "something-else",
        ),
        (
            {
                let mut v = textbook_json();
                v.as_object_mut().unwrap().remove("version");
                v.to_string()
            },
            "version",
        ),
        (
            {
                let mut v = textbook_json();
                v["steps"][0]["lhs"] = Value::from("X1");
                v.to_string()
            },
            "X1",
        ),
        (
            {
                let mut v = textbook_json();
                v["steps"][2]["m"] = Value::from(999);
                v.to_string()
            },
            "step 3: m is 999",
        ),
        (
            {
                let mut v = textbook_json();
                v["inputs"][1]["rows"] = Value::from(36);
                v.to_string()
            },
            "inner dimensions 35 and 36 differ",
        ),
        (
            {
                let mut v = textbook_json();
                v["steps"][4]["rhs"] = v["steps"][4]["lhs"].clone();
                v.to_string()
            },
            "adjacent",
        ),
    ];
    for (text, needle) in cases {
        let err = HandoffPlan::from_json(&text).and_then(|h| h.to_plan().map(|_| h));
        let msg = err.expect_err(&text).to_string();
        assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
        assert!(!msg.contains('\n'), "{msg:?}");
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let mut v = textbook_json();
    v["engine_hint"] = Value::from("dask");
    v["steps"][0]["note"] = Value::from("added by a later writer");
    let h = HandoffPlan::from_json(&v.to_string()).unwrap();
    assert_eq!(h.to_plan().unwrap().cost(), 15_125);
}

/// A random parenthesization: each sub-chain splits where the seeds say.
fn random_plan(chain: &Chain, seeds: &[usize]) -> Plan {
    let n = chain.matrices();
    Plan::from_splits(chain, |i, j| i + seeds[(i * n + j) % seeds.len()] % (j - i)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_plan_executes_frees_everything_and_round_trips(
        dims in prop::collection::vec(1u32..7, 2..10),
        seeds in prop::collection::vec(0usize..1000, 1..16),
    ) {
        let chain = Chain::new(dims).unwrap();
        check(&random_plan(&chain, &seeds));
    }

    #[test]
    fn each_operand_is_freed_exactly_once_after_it_exists(
        dims in prop::collection::vec(1u32..1000, 2..30),
        seeds in prop::collection::vec(0usize..1000, 1..16),
    ) {
        let chain = Chain::new(dims).unwrap();
        let plan = random_plan(&chain, &seeds);
        let h = HandoffPlan::from_plan(&plan).unwrap();
        let mut freed: HashMap<&str, usize> = HashMap::new();
        for step in &h.steps {
            for name in &step.free_after {
                prop_assert!(freed.insert(name, step.step).is_none(), "{} freed twice", name);
                if let Some(s) = name.strip_prefix('S') {
                    prop_assert!(s.parse::<usize>().unwrap() < step.step);
                }
            }
        }
        prop_assert_eq!(freed.len(), chain.matrices() + h.steps.len() - 1);
        prop_assert!(!freed.contains_key(h.result.as_str()));
    }
}

/// Every file in `tests/data/handoff/` is a plan as some version of the format was written
/// (`v<N>-<what>.json`: the example of docs/plan-format.md, files written by the binary, a
/// file with fields added within the version). Each must still read, rebuild its plan, and
/// execute under the independent interpreter to the naive product. When the format's version
/// is raised, the files of the earlier versions stay here, and a file of the new version joins
/// them: the last assertion fails until every version from 1 to the current one has one.
#[test]
fn every_earlier_format_version_still_reads() {
    // The docs example's matrices are thousands wide: every dimension in thousands becomes
    // that many units, the same map for equal dimensions, so the chain and its steps still fit.
    let shrink = |d: u64| if d >= 1000 { d / 1000 } else { d };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handoff");
    let mut versions = std::collections::BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let version: u32 = name
            .strip_prefix('v')
            .and_then(|rest| rest.split('-').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}: not named v<N>-<what>.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["version"], version, "{name}");
        let plan = HandoffPlan::from_json(&text)
            .and_then(|h| h.to_plan())
            .unwrap_or_else(|e| panic!("{name} no longer reads: {e}"));
        assert_eq!(
            value["cost"].as_u64().unwrap() as u128,
            plan.cost(),
            "{name}"
        );
        let inputs: Vec<Array2<f64>> = value["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let size = |key: &str| shrink(a[key].as_u64().unwrap()) as usize;
                matrix(size("rows"), size("cols"), i)
            })
            .collect();
        let mut shrunk = value.clone();
        for item in shrunk["inputs"].as_array_mut().unwrap() {
            for key in ["rows", "cols"] {
                item[key] = shrink(item[key].as_u64().unwrap()).into();
            }
        }
        for step in shrunk["steps"].as_array_mut().unwrap() {
            for key in ["m", "k", "n"] {
                step[key] = shrink(step[key].as_u64().unwrap()).into();
            }
            let (m, k, n) = (step["m"].as_u64(), step["k"].as_u64(), step["n"].as_u64());
            step["cost"] = (m.unwrap() * k.unwrap() * n.unwrap()).into();
        }
        let (product, _) = interpret(&shrunk, &inputs);
        let naive = inputs[1..]
            .iter()
            .fold(inputs[0].clone(), |acc, a| acc.dot(a));
        assert_eq!(product, naive, "{name}");
        versions.insert(version);
        files += 1;
    }
    assert!(files >= 4, "only {files} files in {}", dir.display());
    assert_eq!(
        versions.into_iter().collect::<Vec<_>>(),
        (1..=FORMAT_VERSION).collect::<Vec<_>>(),
        "a file for each version of the format, up to the one written now"
    );
}
