//! The `plan` command, driven as a user would: success paths and every class of bad input.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::chainplan;
use predicates::prelude::*;
use serde_json::Value;
use std::io::Write;

#[test]
fn table_shows_orders_costs_and_steps() {
    chainplan()
        .arg("plan")
        .args(common::TEXTBOOK)
        .assert()
        .success()
        .stdout(predicate::str::contains("((A1(A2A3))((A4A5)A6))"))
        .stdout(predicate::str::contains("15,125"))
        .stdout(predicate::str::contains("left-to-right"))
        .stdout(predicate::str::contains("right-to-left"))
        .stdout(predicate::str::contains("worst"))
        .stdout(predicate::str::contains("S1 = A2 · A3"));
}

#[test]
fn json_has_the_documented_keys_and_exact_costs() {
    let v = common::json_of("plan", &common::TEXTBOOK);
    for key in [
        "dims",
        "matrices",
        "algorithm",
        "order",
        "cost",
        "flops",
        "left_to_right",
        "right_to_left",
        "worst",
        "largest_intermediate",
        "steps",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["cost"], 15125);
    assert_eq!(v["flops"], 30250);
    assert_eq!(v["matrices"], 6);
    assert_eq!(v["order"], "((A1(A2A3))((A4A5)A6))");
    assert_eq!(v["steps"].as_array().unwrap().len(), 5);
    let (lo, hi) = common::oracle_min_max(&[30, 35, 15, 5, 10, 20, 25]);
    assert_eq!(v["cost"].as_u64().unwrap() as u128, lo);
    assert_eq!(v["worst"].as_u64().unwrap() as u128, hi);
}

#[test]
fn json_costs_agree_with_an_independent_oracle_up_to_200_matrices() {
    let mut rng = common::rng(7);
    for trial in 0..12 {
        let n = [2, 3, 17, 64, 120, 200][trial % 6];
        let dims = common::random_dims(&mut rng, n + 1, trial);
        let args: Vec<String> = dims.iter().map(u64::to_string).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = chainplan()
            .arg("plan")
            .args(&args)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success());
        // Costs can exceed u64 (serde_json's Value would round them): read the raw number.
        let text = String::from_utf8(out.stdout).unwrap();
        let (lo, hi) = common::oracle_min_max(&dims);
        assert_eq!(raw_number(&text, "cost"), lo.to_string(), "n={n}");
        assert_eq!(raw_number(&text, "worst"), hi.to_string(), "n={n}");
    }
}

/// The digits of the first `"key": number` in pretty-printed JSON text.
fn raw_number(text: &str, key: &str) -> String {
    let tag = format!("\"{key}\": ");
    let start = text.find(&tag).unwrap() + tag.len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

#[test]
fn dimensions_up_to_u32_max_give_exact_json_numbers() {
    let m = u32::MAX.to_string();
    let out = chainplan()
        .args(["plan", &m, &m, &m, &m, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let m = u32::MAX as u128;
    let expected = 2 * m * m * m;
    assert!(text.contains(&format!("\"cost\": {expected}")), "{text}");
}

#[test]
fn reads_files_and_standard_input() {
    chainplan()
        .args(["plan", "--file", "data/textbook.txt", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"cost\": 15125"));
    for args in [
        vec!["plan", "-", "--json"],
        vec!["plan", "--file", "-", "--json"],
    ] {
        chainplan()
            .args(args)
            .write_stdin("# a comment\n30,35,15\n5 10 20 25\n")
            .assert()
            .success()
            .stdout(predicate::str::contains("\"cost\": 15125"));
    }
    // Every shipped example chain plans.
    for file in [
        "data/textbook.txt",
        "data/random-200.txt",
        "data/mlp-jacobian.txt",
    ] {
        chainplan()
            .args(["plan", "--file", file])
            .assert()
            .success();
    }
}

#[test]
fn exports_to_files_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("plan.json");
    let md = dir.path().join("plan.md");
    let csv = dir.path().join("plan.csv");
    chainplan()
        .args(["plan", "10", "100", "5", "50"])
        .arg("--export-json")
        .arg(&json)
        .arg("--export-markdown")
        .arg(&md)
        .arg("--export-csv")
        .arg(&csv)
        .assert()
        .success();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["cost"], 7500);
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("| chosen (dp) | ((A1A2)A3) | 7,500 | 1.00x |"),
        "{md}"
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "order,parenthesization,scalar mults,vs chosen"
    );
    assert!(lines
        .next()
        .unwrap()
        .starts_with("chosen (dp),((A1A2)A3),7500,1"));
    assert_eq!(csv.lines().count(), 5);
    chainplan()
        .args(["plan", "10", "100", "5", "50", "--export-csv", "-"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "order,parenthesization,scalar mults,vs chosen\n",
        ))
        .stdout(predicate::str::contains(
            "right-to-left,(A1(A2A3)),75000,10",
        ));
}

#[test]
fn dot_output_is_a_graph_of_the_plan() {
    chainplan()
        .args(["plan", "10", "100", "5", "50", "--dot"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph plan {"))
        .stdout(predicate::str::contains("A1\\n10 × 100"))
        .stdout(predicate::str::contains("S2 -> S1"))
        .stdout(predicate::str::contains("S2 -> A3"));
}

#[test]
fn fixed_order_algorithms_are_selectable() {
    let v = common::json_of(
        "plan",
        &["10", "100", "5", "50", "--algorithm", "right-to-left"],
    );
    assert_eq!(v["order"], "(A1(A2A3))");
    assert_eq!(v["cost"], 75000);
    assert_eq!(v["algorithm"], "right-to-left");
}

#[test]
fn bad_input_exits_2_with_one_clear_line() {
    for (args, message) in [
        (
            "3 0 4",
            "dimension 2 is 0; every dimension must be at least 1",
        ),
        ("3 -4 5", "dimension 2 is -4"),
        ("3 x 5", "dimension 2 is 'x', which is not a whole number"),
        ("3 2.5", "not a whole number"),
        (
            "3 4294967296",
            "dimension 2 is 4294967296; dimensions must be at most 4294967295",
        ),
        ("7", "at least 2 dimensions"),
        ("", "no dimensions given"),
        ("--file no/such/file.txt", "cannot read 'no/such/file.txt'"),
        (
            "3 4 --algorithm magic",
            "unknown algorithm 'magic'; valid algorithms are: auto, dp, hu-shing, approx",
        ),
    ] {
        common::fails_on(
            chainplan().arg("plan").args(args.split_whitespace()),
            message,
        );
    }
    common::fails_on(
        chainplan()
            .args(["plan", "-"])
            .write_stdin("# nothing here\n"),
        "got 0",
    );
}

#[test]
fn a_chain_too_long_for_the_dp_tables_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    for i in 0..20_001 {
        write!(f, "{} ", 1 + i % 97).unwrap();
    }
    drop(f);
    let stderr = common::fails_on(
        chainplan()
            .args(["plan", "--algorithm", "dp", "--file"])
            .arg(&path),
        "20000 matrices",
    );
    assert!(stderr.contains("hu-shing"), "{stderr}");
}

#[test]
fn usage_errors_and_help() {
    chainplan()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("plan"));
    chainplan()
        .args(["plan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--export-json"));
    common::usage_error(
        chainplan().args(["plan", "3", "4", "--no-such-flag"]),
        "--no-such-flag",
    );
    common::usage_error(chainplan().arg("frobnicate"), "frobnicate");
}
