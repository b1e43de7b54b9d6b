//! `chainplan plan` with the Hu–Shing planner, the approximation and `auto`, driven as a user
//! would: long chains from files and standard input, `--steps`, and bad input.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{chainplan, json};
use predicates::prelude::*;
use std::io::Write;

/// A pseudo-random chain of `matrices` matrices as file text (one dimension per line).
fn chain_text(matrices: usize, seed: u64) -> String {
    let mut s = seed;
    let mut out = String::from("# generated\n");
    for _ in 0..=matrices {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(&(1 + (s >> 33) % 500).to_string());
        out.push('\n');
    }
    out
}

#[test]
fn every_exact_planner_agrees_on_the_textbook_chain() {
    for algorithm in ["auto", "dp", "hu-shing"] {
        let v = common::json_of(
            "plan",
            &[&common::TEXTBOOK[..], &["--algorithm", algorithm]].concat(),
        );
        assert_eq!(v["cost"], 15125, "{algorithm}");
        assert_eq!(v["order"], "((A1(A2A3))((A4A5)A6))", "{algorithm}");
        assert_eq!(v["steps"].as_array().unwrap().len(), 5);
        assert_eq!(v["steps_omitted"], false);
        assert!(v["optimal"].is_null());
    }
}

#[test]
fn auto_is_the_default_and_names_the_planner_it_picked() {
    let short = common::json_of("plan", &["10", "100", "5", "50"]);
    assert_eq!(short["algorithm"], "dp");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.txt");
    std::fs::write(&path, chain_text(300, 1)).unwrap();
    let long = json(chainplan().args(["plan", "--json", "--file"]).arg(&path));
    assert_eq!(long["algorithm"], "hu-shing");
    let exact = json(
        chainplan()
            .args(["plan", "--json", "--algorithm", "dp", "--file"])
            .arg(&path),
    );
    assert_eq!(long["cost"], exact["cost"]);
    // Past the DP's reach for the worst order: no worst, but an exact plan.
    std::fs::write(&path, chain_text(2500, 1)).unwrap();
    let longer = json(chainplan().args(["plan", "--json", "--file"]).arg(&path));
    assert_eq!(longer["algorithm"], "hu-shing");
    assert!(longer["worst"].is_null());
}

#[test]
fn approx_reports_its_cost_beside_the_optimum_and_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.txt");
    std::fs::write(&path, chain_text(400, 2)).unwrap();
    let v = json(
        chainplan()
            .args(["plan", "--json", "--algorithm", "approx", "--file"])
            .arg(&path),
    );
    let cost = v["cost"].as_u64().unwrap();
    let optimal = v["optimal"].as_u64().unwrap();
    assert_eq!(v["bound"], 1.155);
    assert!(cost >= optimal);
    assert!(cost as f64 <= 1.155 * optimal as f64);
    let names: Vec<&str> = v["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..2], ["chosen", "optimal"]);
    chainplan()
        .args(["plan", "--algorithm", "approx", "--file"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("proven bound on cost ÷ optimal"))
        .stdout(predicate::str::contains("1.155"));
}

#[test]
fn long_chains_leave_out_the_steps_unless_asked() {
    let text = chain_text(12_000, 3);
    let v = json(
        chainplan()
            .args(["plan", "-", "--json", "--algorithm", "hu-shing"])
            .write_stdin(text.clone()),
    );
    assert_eq!(v["matrices"], 12_000);
    assert_eq!(v["steps_omitted"], true);
    assert!(v["steps"].as_array().unwrap().is_empty());
    // The order is always there: 12,000 matrix names and 11,999 pairs of parentheses.
    let order = v["order"].as_str().unwrap();
    assert_eq!(order.matches('A').count(), 12_000);
    assert_eq!(order.matches('(').count(), 11_999);
    let all = json(
        chainplan()
            .args(["plan", "-", "--json", "--steps"])
            .write_stdin(text.clone()),
    );
    assert_eq!(all["steps_omitted"], false);
    assert_eq!(all["steps"].as_array().unwrap().len(), 11_999);
    assert_eq!(all["cost"], v["cost"]);
    // The table says so, and keeps the long orders short.
    let out = chainplan()
        .args(["plan", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("not listed"), "{table}");
    assert!(table.contains("--steps"));
    assert!(table.len() < 20_000, "{} bytes of table", table.len());
}

#[test]
fn a_file_of_many_dimensions_plans_quickly_enough_to_test() {
    // 200,000 matrices through the binary, no timing asserted (benches measure time).
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(chain_text(200_000, 4).as_bytes()).unwrap();
    let v = json(
        chainplan()
            .args(["plan", "--json", "--algorithm", "hu-shing", "--file"])
            .arg(file.path()),
    );
    assert_eq!(v["matrices"], 200_000);
    assert!(v["cost"].as_u64().unwrap() > 0);
}

#[test]
fn bad_input_fails_with_one_line_and_status_2() {
    for (args, stdin, message) in [
        (
            vec!["plan", "3", "0", "4", "--algorithm", "hu-shing"],
            None,
            "dimension 2 is 0",
        ),
        (
            vec!["plan", "-", "--algorithm", "approx"],
            Some("3 4 x 5"),
            "dimension 3 is 'x'",
        ),
        (
            vec!["plan", "3", "4", "--algorithm", "hu_shing"],
            None,
            "valid algorithms are: auto, dp, hu-shing, approx",
        ),
        (
            vec!["plan", "-", "--algorithm", "auto"],
            Some("7"),
            "at least 2 dimensions",
        ),
    ] {
        let mut cmd = chainplan();
        cmd.args(&args);
        if let Some(s) = stdin {
            cmd.write_stdin(s);
        }
        common::fails_on(&mut cmd, message);
    }
}
