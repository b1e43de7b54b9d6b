//! The `expr` command, driven as a user would: success paths and every class of bad input.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/gls.rs"]
mod gls;

use common::{chainplan, fails_on};
use predicates::prelude::*;
use serde_json::Value;
use std::io::Write;

const LS: &str = "inv(X' * X) * X' * y";

#[test]
fn least_squares_table_names_kernels_and_ratio() {
    chainplan()
        .args([
            "expr",
            LS,
            "--op",
            "X=2500x500:fullrank",
            "--op",
            "y=2500x1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("S1 = syrk(Xᵀ)"))
        .stdout(predicate::str::contains("potrf(S1)"))
        .stdout(predicate::str::contains("potrs(S3, S2)"))
        .stdout(predicate::str::contains("naive"))
        .stdout(predicate::str::contains("expert"))
        .stdout(predicate::str::contains("inv!(Xᵀ·X)"));
}

#[test]
fn json_carries_exact_costs_and_the_plan() {
    let v = common::json_of(
        "expr",
        &[
            "inv(X' * inv(M) * X) * X' * inv(M) * y",
            "--op",
            "X=250x50:fullrank",
            "--op",
            "M=250x250:spd",
            "--op",
            "y=250",
        ],
    );
    let want = gls::gls_planned_thirds(250, 50);
    assert_eq!(v["plan"]["thirds"].as_u64().unwrap() as u128, want);
    let strategies = v["strategies"].as_array().unwrap();
    let names: Vec<&str> = strategies
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["planned", "expert", "naive"]);
    assert_eq!(strategies[2]["explicit_inverses"], 3);
    assert!(v["naive_ratio"].as_f64().unwrap() > 4.0);
    assert_eq!(v["explicit_inverse"], false);
    let potrf = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kernel"] == "potrf")
        .count();
    assert_eq!(potrf, 2, "M factored once, Xᵀ·M⁻¹·X once");
}

#[test]
fn operands_from_a_file_and_dot_output() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        f,
        "# factors\nL=40x40:lower,nonsingular\nB=40x5  # right-hand sides\n"
    )
    .unwrap();
    chainplan()
        .args(["expr", "inv(L) * B", "--file"])
        .arg(f.path())
        .arg("--dot")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph"))
        .stdout(predicate::str::contains("trsm(L, B)"));
}

#[test]
fn explicit_inverse_is_flagged_when_unavoidable() {
    let v = common::json_of("expr", &["inv(A)", "--op", "A=30x30:nonsingular"]);
    assert_eq!(v["explicit_inverse"], true);
    chainplan()
        .args(["expr", "inv(A)", "--op", "A=30x30:nonsingular"])
        .assert()
        .success()
        .stdout(predicate::str::contains("explicit inverse"));
}

#[test]
fn exports_write_files() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let md = dir.path().join("r.md");
    let csv = dir.path().join("r.csv");
    chainplan()
        .args(["expr", LS, "--op", "X=100x10:fullrank", "--op", "y=100"])
        .arg("--export-json")
        .arg(&json)
        .arg("--export-markdown")
        .arg(&md)
        .arg("--export-csv")
        .arg(&csv)
        .assert()
        .success();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["rows"], 10);
    assert!(std::fs::read_to_string(&md).unwrap().contains("syrk"));
    assert!(std::fs::read_to_string(&csv).unwrap().contains("potrs"));
}

#[test]
fn bench_times_three_forms_and_checks_the_result() {
    let v = common::json_of(
        "expr",
        &[
            LS,
            "--op",
            "X=200x20:fullrank",
            "--op",
            "y=200",
            "--bench",
            "--reps",
            "2",
        ],
    );
    for s in v["strategies"].as_array().unwrap() {
        assert!(s["seconds"].as_f64().unwrap() > 0.0);
        assert!(s["time_ratio"].as_f64().is_some());
    }
    assert!(v["bench"]["max_rel_diff"].as_f64().unwrap() < 1e-10);
    assert!(v["bench"]["blas"].as_str().unwrap().contains("OpenBLAS"));
}

#[test]
fn every_bad_input_gets_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["A * B", "--op", "A=3x4", "--op", "B=5x2"],
            "shapes do not chain: A is 3x4 but B is 5x2",
        ),
        (
            &["inv(A) * B", "--op", "A=3x4:fullrank", "--op", "B=4x2"],
            "cannot invert A: it is 3x4",
        ),
        (&["inv(A)", "--op", "A=3x3"], "cannot invert A"),
        (
            &["inv(X' * Y)", "--op", "X=5x3", "--op", "Y=5x3"],
            "cannot invert (Xᵀ·Y)",
        ),
        (
            &["A * (B", "--op", "A=2x2", "--op", "B=2x2"],
            "unbalanced '('",
        ),
        (&["inv(A", "--op", "A=2x2:nonsingular"], "unbalanced '('"),
        (&["A)", "--op", "A=2x2"], "unbalanced ')'"),
        (&["A * C", "--op", "A=2x2"], "operand C"),
        (
            &["A", "--op", "A=3x3:lower,upper"],
            "operand A: contradictory properties: lower and upper",
        ),
        (
            &["Q", "--op", "Q=3x4:orthogonal"],
            "operand Q: contradictory properties",
        ),
        (
            &["A", "--op", "A=3x3:spd,orthogonal"],
            "operand A: contradictory",
        ),
        (
            &["A", "--op", "A=3x3:shiny"],
            "operand A: unknown property 'shiny'",
        ),
        (&["A", "--op", "A=3x"], "not a whole number"),
        (&["A", "--op", "A=99999999999x2"], "at most"),
        (
            &["A", "--op", "A=2x2", "--op", "A=3x3"],
            "declared more than once",
        ),
        (&["A"], "no operands declared"),
        (
            &["A", "--op", "A=2x2", "--bench", "--reps", "0"],
            "--reps is 0",
        ),
        (
            &["A", "--file", "/nonexistent/ops.txt"],
            "cannot read '/nonexistent/ops.txt'",
        ),
    ];
    for (args, needle) in cases {
        fails_on(chainplan().arg("expr").args(*args), needle);
    }
}

#[test]
fn clap_usage_errors_exit_2() {
    chainplan()
        .args(["expr", "A", "--op", "A=2x2", "--json", "--dot"])
        .assert()
        .code(2);
}

#[test]
fn gls_table_shows_the_cholesky_split_and_bench_agrees() {
    chainplan()
        .args([
            "expr",
            "inv(X' * inv(M) * X) * X' * inv(M) * y",
            "--op",
            "X=250x50:fullrank",
            "--op",
            "M=250x250:spd",
            "--op",
            "y=250",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("S1 = potrf(M)"))
        .stdout(predicate::str::contains("S2 = trsm(S1ᵀ, X)"))
        .stdout(predicate::str::contains("S3 = syrk(S2ᵀ)"))
        .stdout(predicate::str::contains("S4 = potrs(S1, y)"));
    // Bᵀ·M·B with B nearly square: potrf, trmm with the factor, syrk; executed, it agrees
    // with the naive form.
    let v = common::json_of(
        "expr",
        &[
            "B' * M * B",
            "--op",
            "B=120x100",
            "--op",
            "M=120x120:spd",
            "--bench",
            "--reps",
            "1",
        ],
    );
    let kernels: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kernel"].as_str().unwrap())
        .collect();
    assert_eq!(kernels, ["potrf", "trmm", "syrk"]);
    let (n, k) = (120u128, 100u128);
    // potrf n³/3 + trmm n²k + syrk k(k+1)n, in thirds.
    let want = n * n * n + 3 * n * n * k + 3 * k * (k + 1) * n;
    assert_eq!(v["plan"]["thirds"].as_u64().unwrap() as u128, want);
    assert!(v["bench"]["max_rel_diff"].as_f64().unwrap() < 1e-10);
}
