//! `chainplan bench` as a user runs it: success and failure paths, through the real binary.

#[path = "../../tests/common/mod.rs"]
mod common;

use assert_cmd::Command;
use common::{fails_on, json};
use predicates::prelude::*;

fn bench() -> Command {
    let mut cmd = common::chainplan();
    cmd.arg("bench");
    cmd
}

fn json_of(args: &[&str]) -> serde_json::Value {
    common::json_of("bench", args)
}

#[test]
fn json_has_the_documented_keys() {
    let v = json_of(&["30", "35", "15", "5", "10", "--reps", "2"]);
    for key in ["dims", "dtype", "threads", "max_rel_diff", "results"] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["dims"], serde_json::json!([30, 35, 15, 5, 10]));
    assert_eq!(v["dtype"], "f64");
    let results = v["results"].as_array().unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["optimal", "left_to_right", "right_to_left"]);
    for r in results {
        for key in ["name", "order", "cost", "median_s", "min_s", "gflops"] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        assert!(r["min_s"].as_f64().unwrap() <= r["median_s"].as_f64().unwrap());
    }
    // The five orders of four matrices, costed here by hand: the optimum is their minimum.
    let p = [30u64, 35, 15, 5, 10];
    let orders = [
        p[0] * p[1] * p[2] + p[0] * p[2] * p[3] + p[0] * p[3] * p[4], // (((A1A2)A3)A4)
        p[0] * p[1] * p[2] + p[2] * p[3] * p[4] + p[0] * p[2] * p[4], // ((A1A2)(A3A4))
        p[1] * p[2] * p[3] + p[0] * p[1] * p[3] + p[0] * p[3] * p[4], // ((A1(A2A3))A4)
        p[1] * p[2] * p[3] + p[1] * p[3] * p[4] + p[0] * p[1] * p[4], // (A1((A2A3)A4))
        p[2] * p[3] * p[4] + p[1] * p[2] * p[4] + p[0] * p[1] * p[4], // (A1(A2(A3A4)))
    ];
    assert_eq!(results[0]["cost"], *orders.iter().min().unwrap());
    assert_eq!(results[1]["cost"], orders[0]);
    assert_eq!(results[2]["cost"], orders[4]);
    let predicted = results[1]["predicted_ratio"].as_f64().unwrap();
    assert!((predicted - orders[0] as f64 / *orders.iter().min().unwrap() as f64).abs() < 1e-12);
    assert!(v["max_rel_diff"].as_f64().unwrap() <= v["tolerance"].as_f64().unwrap());
}

#[test]
fn all_runs_every_parenthesization_once() {
    // Four matrices have Catalan(3) = 5 orders; the three named ones are not repeated.
    let v = json_of(&[
        "4", "3", "5", "2", "6", "--all", "--reps", "1", "--dtype", "f32",
    ]);
    let results = v["results"].as_array().unwrap();
    let mut orders: Vec<&str> = results
        .iter()
        .map(|r| r["order"].as_str().unwrap())
        .collect();
    assert_eq!(v["dtype"], "f32");
    assert_eq!(results[3]["name"], results[3]["order"]);
    orders.sort();
    orders.dedup();
    // optimal may coincide with one of the fixed orders: 5 distinct orders either way.
    assert_eq!(orders.len(), 5);
}

#[test]
fn threads_are_set_by_flag_and_by_environment() {
    let v = json_of(&["50", "40", "30", "--threads", "1", "--reps", "1"]);
    assert_eq!(v["threads"], 1);
    let v = json(
        bench()
            .args(["50", "40", "30", "--reps", "1", "--json"])
            .env("OPENBLAS_NUM_THREADS", "1"),
    );
    assert_eq!(v["threads"], 1);
}

#[test]
fn table_output_has_a_header_and_the_orders() {
    bench()
        .args(["1", "64", "64", "80", "--reps", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("BLAS: "))
        .stdout(predicate::str::contains("threads: "))
        .stdout(predicate::str::contains("CPU: "))
        .stdout(predicate::str::contains("f64"))
        .stdout(predicate::str::contains("left-to-right"))
        .stdout(predicate::str::contains("GFLOP/s"))
        .stderr(predicate::str::is_empty());
}

#[test]
fn exporters_work() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.csv");
    let md = dir.path().join("orders.md");
    bench()
        .args(["20", "30", "40", "10", "--reps", "1", "--export-csv"])
        .arg(&csv)
        .arg("--export-markdown")
        .arg(&md)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("order,parenthesization,scalar mults"));
    assert_eq!(lines.count(), 3);
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .contains("| optimal |"));
}

#[test]
fn refuses_more_memory_than_allowed() {
    // Three 100000 × 100000 f64 matrices: far over half of any test machine's memory.
    let stderr = fails_on(
        bench().args(["100000", "100000", "100000", "100000"]),
        "over the limit",
    );
    assert!(
        stderr.starts_with("error: the benchmark needs about "),
        "{stderr}"
    );
    // 10 20 30: operands 200 + 600 elements, two 10 × 30 products, no workspace = 1400 × 8 B.
    let stderr = fails_on(
        bench().args(["10", "20", "30", "--max-memory", "11199"]),
        "needs about 11200 bytes",
    );
    assert!(stderr.contains("limit of 11199 bytes"), "{stderr}");
    bench()
        .args(["10", "20", "30", "--max-memory", "11200", "--reps", "1"])
        .assert()
        .success();
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for (args, needle) in [
        (
            vec!["2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "--all"],
            "too many",
        ),
        (
            vec!["10", "20", "--max-memory", "lots"],
            "cannot read 'lots' as a memory size",
        ),
        (vec!["10", "20", "--max-memory", "0"], "more than 0 bytes"),
        (vec!["10", "20", "--reps", "0"], "0 is not in 1..=100000"),
        (vec!["10", "20", "--threads", "0"], "0 is not in 1.."),
        (vec!["10", "0", "20"], "dimension 2 is 0"),
        (vec![], "no dimensions given"),
    ] {
        fails_on(bench().args(&args), needle);
    }
    // An unknown element type is refused by the argument parser, which adds the usage.
    common::usage_error(bench().args(["10", "20", "--dtype", "f16"]), "f16");
}
