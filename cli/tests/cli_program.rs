//! `chainplan expr` on programs: every output's steps and the three strategies, JSON with
//! exact costs, files, scalars, and one `error:` line with status 2 for each hostile input.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{chainplan, fails, json_of};
use predicates::prelude::*;
use std::io::Write;

const KALMAN: &str =
    "K = Pb * H' * inv(H * Pb * H' + R); xa = xb + K * (z - H * xb); Pa = (I - K * H) * Pb";
const KALMAN_OPS: [&str; 10] = [
    "--op",
    "Pb=40x40:spd",
    "--op",
    "H=25x40:fullrank",
    "--op",
    "R=25x25:spd",
    "--op",
    "xb=40",
    "--op",
    "z=25",
];

#[test]
fn kalman_reports_each_output_and_the_three_strategies() {
    chainplan()
        .arg("expr")
        .arg(KALMAN)
        .args(KALMAN_OPS)
        .assert()
        .success()
        .stdout(predicate::str::contains("program: 3 outputs (K, xa, Pa)"))
        .stdout(predicate::str::contains("planned"))
        .stdout(predicate::str::contains("expert"))
        .stdout(predicate::str::contains("naive"))
        .stdout(predicate::str::contains("potrf"))
        .stdout(predicate::str::contains("outputs: K ("))
        .stdout(predicate::str::contains("Pa ("));
}

#[test]
fn json_costs_are_the_sums_of_their_steps() {
    let mut args = vec![KALMAN];
    args.extend(KALMAN_OPS);
    let v = json_of("expr", &args);
    let plan = &v["plan"];
    let total: u128 = plan["thirds"].as_u64().unwrap() as u128;
    let mut sum = 0u128;
    for s in plan["steps"].as_array().unwrap() {
        sum += match s["kind"].as_str().unwrap() {
            "chain" => s["plan"]["thirds"].as_u64().unwrap() as u128,
            _ => s["thirds"].as_u64().unwrap() as u128,
        };
    }
    assert_eq!(sum, total);
    let names: Vec<&str> = v["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["planned", "expert", "naive"]);
    assert!(v["strategies"][2]["ratio_to_planned"].as_f64().unwrap() > 1.0);
    assert_eq!(v["strategies"][0]["explicit_inverse"], false);
    assert_eq!(v["outputs"].as_array().unwrap().len(), 3);
}

#[test]
fn programs_come_from_files_and_take_scalars() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "# Tikhonov\nx = inv(A' * A + alpha * I) * A' * b").unwrap();
    chainplan()
        .args(["expr", "--program"])
        .arg(f.path())
        .args([
            "--op",
            "A=50x30:fullrank",
            "--op",
            "b=50",
            "--scalar",
            "alpha=0.3",
        ])
        .args(["--bench", "--reps", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("potrf"))
        .stdout(predicate::str::contains("median time"));
    chainplan()
        .args(["expr", "y = inv(A + alpha * I)", "--op", "A=5x5:spd"])
        .args(["--scalar", "alpha:positive"])
        .assert()
        .success()
        .stdout(predicate::str::contains("potrf"));
}

#[test]
fn a_plain_expression_from_a_file_is_planned_as_inline() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    write!(f, "inv(X' * X) * X' * y").unwrap();
    let ops = ["--op", "X=60x20:fullrank", "--op", "y=60"];
    let inline = chainplan()
        .args(["expr", "inv(X' * X) * X' * y"])
        .args(ops)
        .output()
        .unwrap();
    let file = chainplan()
        .args(["expr", "--program"])
        .arg(f.path())
        .args(ops)
        .output()
        .unwrap();
    assert!(inline.status.success());
    assert_eq!(inline.stdout, file.stdout);
}

#[test]
fn hostile_programs_fail_with_one_line() {
    let sq = ["--op", "A=4x4", "--op", "B=4x4", "--op", "R=3x4"];
    let case = |prog: &str, extra: &[&str], needle: &str| {
        let mut args = vec!["expr", prog];
        args.extend(sq);
        args.extend(extra);
        fails(&args, needle);
    };
    case("y = (A * B", &[], "unbalanced");
    case("y = A)", &[], "unbalanced");
    case("y = A * Q", &[], "'Q' is not an operand");
    case("y = I + I", &[], "size of I");
    case("y = A + R", &[], "differ in shape");
    case("y = lam * A", &[], "'lam' is not an operand");
    case(
        "y = lam * A",
        &["--scalar", "lam:sometimes"],
        "unknown sign",
    );
    case(
        "y = lam * A",
        &["--scalar", "lam:positive", "--bench"],
        "no value",
    );
    case(
        "y = lam * A",
        &["--scalar", "lam=1", "--scalar", "lam=2"],
        "more than once",
    );
    case("y = A; y = B", &[], "assigned twice");
    case("y = A", &["--dot"], "--dot");
    case("A * B", &["--scalar", "lam=1"], "--scalar is for programs");
    let long = format!("y = {} * A", "q".repeat(500));
    let err = fails(&["expr", &long, "--op", "A=4x4"], "is not an operand");
    assert!(err.len() < 300, "{err}");
    let esc = fails(&["expr", "y = A\u{1b}[31m", "--op", "A=4x4"], "unexpected");
    assert!(!esc.contains('\u{1b}'), "{esc}");
}
