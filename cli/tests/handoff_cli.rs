//! `chainplan plan --export-plan`: success and failure paths of the real binary.

#[path = "../../tests/common/mod.rs"]
mod common;

use assert_cmd::Command;
use common::chainplan;
use predicates::prelude::*;
use serde_json::Value;

/// A four-matrix chain whose cheapest order is not left to right.
const P: [u128; 5] = [4000, 2000, 6000, 2000, 4000];

/// `chainplan plan` on the chain `P`.
fn plan_p() -> Command {
    let mut cmd = chainplan();
    cmd.arg("plan").args(P.map(|d| d.to_string()));
    cmd
}

/// Costs of the five orders of a four-matrix chain, written out by hand.
fn four_matrix_costs(p: [u128; 5]) -> Vec<(&'static str, u128)> {
    let [a, b, c, d, e] = p;
    vec![
        ("(((A1A2)A3)A4)", a * b * c + a * c * d + a * d * e),
        ("((A1(A2A3))A4)", b * c * d + a * b * d + a * d * e),
        ("((A1A2)(A3A4))", a * b * c + c * d * e + a * c * e),
        ("(A1((A2A3)A4))", b * c * d + b * d * e + a * b * e),
        ("(A1(A2(A3A4)))", c * d * e + b * c * e + a * b * e),
    ]
}

#[test]
fn plan_on_stdout_is_the_cheapest_order_and_nothing_else() {
    let out = plan_p()
        .args(["--export-plan", "-"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    // The whole of standard output is one JSON document: no tables around it.
    let plan: Value = serde_json::from_slice(&out).expect("stdout is JSON");
    let costs = four_matrix_costs(P);
    let best = costs.iter().map(|&(_, c)| c).min().unwrap();
    assert_eq!(plan["cost"].as_u64().unwrap() as u128, best);
    let order = plan["order"].as_str().unwrap();
    assert!(
        costs.iter().any(|&(o, c)| o == order && c == best),
        "{order} is not a cheapest order"
    );
    assert_eq!(plan["version"], 1);
    let inputs = plan["inputs"].as_array().unwrap();
    let shapes: Vec<(u64, u64)> = inputs
        .iter()
        .map(|i| (i["rows"].as_u64().unwrap(), i["cols"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        shapes,
        [(4000, 2000), (2000, 6000), (6000, 2000), (2000, 4000)]
    );
    assert_eq!(plan["steps"].as_array().unwrap().len(), 3);
    assert_eq!(plan["result"], "S3");
}

#[test]
fn plan_to_a_file_keeps_the_tables_and_follows_the_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    plan_p()
        .args(["-a", "left-to-right", "--export-plan"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("Orders for 4 matrices"));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(plan["order"], "(((A1A2)A3)A4)");
    let costs = four_matrix_costs(P);
    assert_eq!(plan["cost"].as_u64().unwrap() as u128, costs[0].1);
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(
        (steps[0]["lhs"].as_str(), steps[0]["rhs"].as_str()),
        (Some("A1"), Some("A2"))
    );
    assert_eq!(
        (steps[1]["lhs"].as_str(), steps[1]["rhs"].as_str()),
        (Some("S1"), Some("A3"))
    );
}

#[test]
fn plan_file_works_with_dims_from_a_file_and_the_other_exports() {
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("p.json");
    let json_path = dir.path().join("r.json");
    chainplan()
        .args(["plan", "--file", "data/textbook.txt", "--export-plan"])
        .arg(&plan_path)
        .arg("--export-json")
        .arg(&json_path)
        .assert()
        .success();
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(plan["order"], report["order"]);
    assert_eq!(plan["cost"], 15125);
}

#[test]
fn plan_on_stdout_cannot_share_it_with_json_or_dot() {
    for other in ["--json", "--dot"] {
        let stderr = common::fails(
            &["plan", "10", "20", "30", "--export-plan", "-", other],
            "file",
        );
        assert!(stderr.starts_with("error: --export-plan -"), "{stderr}");
    }
}

#[test]
fn unwritable_plan_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("plan.json");
    let (_, stderr) = common::fails_after_output(
        chainplan()
            .args(["plan", "10", "20", "30", "--export-plan"])
            .arg(&path),
        "plan.json",
    );
    assert!(stderr.starts_with("error: cannot write"), "{stderr}");
    assert!(!path.exists());
}

#[test]
fn bad_dimensions_write_no_plan() {
    common::fails(
        &["plan", "10", "0", "30", "--export-plan", "-"],
        "dimension 2 is 0",
    );
}
