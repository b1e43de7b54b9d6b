//! The cost-model options of `chainplan plan` and the `calibrate` command, end to end.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

fn chainplan() -> Command {
    let mut c = Command::cargo_bin("chainplan").unwrap();
    // Never read or write the developer's real profile.
    c.env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config");
    c
}

fn json(args: &[&str]) -> Value {
    let out = chainplan().args(args).arg("--json").assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

// The chain 1 × 10 · 10 × 200 · 200 × 10: (A1A2)A3 costs 1·10·200 + 1·200·10 = 4,000 and
// builds a 1 × 200 intermediate; A1(A2A3) costs 10·200·10 + 1·10·10 = 20,100 and builds a
// 10 × 10 one.
const CHAIN: [&str; 4] = ["1", "10", "200", "10"];
const CHEAP: u64 = 10 * 200 + 200 * 10;
const LEAN: u64 = 10 * 200 * 10 + 10 * 10;

fn plan_json(extra: &[&str]) -> Value {
    let mut args = vec!["plan"];
    args.extend(CHAIN);
    args.extend(extra);
    json(&args)
}

#[test]
fn a_cap_forces_the_leaner_order() {
    let free = plan_json(&[]);
    assert_eq!(free["cost"], CHEAP);
    assert_eq!(free["largest_intermediate"], 200);
    let capped = plan_json(&["--max-intermediate", "150"]);
    assert_eq!(capped["order"], "(A1(A2A3))");
    assert_eq!(capped["cost"], LEAN);
    assert_eq!(capped["largest_intermediate"], 100);
    assert_eq!(capped["goal"]["max_intermediate"], 150);
    assert_eq!(capped["goal"]["flop_optimal_cost"], CHEAP);
    let names: Vec<&str> = capped["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..2], ["chosen", "flop_optimal"]);
    assert_eq!(capped["comparisons"][1]["largest_intermediate"], 200);
}

#[test]
fn byte_caps_depend_on_the_element_type() {
    // 1 KiB holds 128 f64s (too few for 200) but 256 f32s.
    assert_eq!(plan_json(&["--max-memory", "1KiB"])["cost"], LEAN);
    assert_eq!(
        plan_json(&["--max-memory", "1KiB", "--dtype", "f32"])["cost"],
        CHEAP
    );
    assert_eq!(plan_json(&["--max-memory", "1.6K"])["cost"], CHEAP); // 1638 B: 204 f64s
}

#[test]
fn least_memory_first() {
    let lean = plan_json(&["--minimize", "memory"]);
    assert_eq!(lean["order"], "(A1(A2A3))");
    assert_eq!(lean["goal"]["minimize"], "memory");
    // The textbook chain: the memory-first plan is never larger in its peak.
    let tb = json(&[
        "plan",
        "30",
        "35",
        "15",
        "5",
        "10",
        "20",
        "25",
        "--minimize",
        "memory",
    ]);
    let free = json(&["plan", "30", "35", "15", "5", "10", "20", "25"]);
    assert!(tb["largest_intermediate"].as_u64() <= free["largest_intermediate"].as_u64());
    assert!(tb["cost"].as_u64() >= free["cost"].as_u64());
}

#[test]
fn tables_show_the_cap_and_intermediates() {
    let mut args = vec!["plan"];
    args.extend(CHAIN);
    chainplan()
        .args(&args)
        .args(["--max-intermediate", "150"])
        .assert()
        .success()
        .stdout(predicate::str::contains("largest intermediate"))
        .stdout(predicate::str::contains("flop-optimal"))
        .stdout(predicate::str::contains("intermediates <= 150 elements"));
}

#[test]
fn no_plan_fits_names_the_smallest_cap() {
    chainplan()
        .args([
            "plan",
            "1000",
            "10",
            "1000",
            "10",
            "1000",
            "--max-intermediate",
            "5000",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: no order keeps every intermediate within 5000 elements",
        ))
        .stderr(predicate::str::contains(
            "smallest cap that some order meets is 10000",
        ))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn bad_cost_options_are_one_line_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--max-memory", "2parsecs"],
            "cannot read '2parsecs' as a memory size",
        ),
        (
            &["--max-memory", "1K", "--dtype", "f16"],
            "unknown element type 'f16'",
        ),
        (
            &["--max-intermediate", "100", "--algorithm", "left-to-right"],
            "need the exact planner",
        ),
        (
            &["--cost", "time", "--profile", "/nonexistent/profile.json"],
            "not found; run `chainplan calibrate` first",
        ),
        (
            &["--cost", "time"],
            "chainplan/gemm-profile.json: not found",
        ),
    ];
    for (extra, message) in cases {
        let out = chainplan()
            .args(["plan", "10", "20", "30", "40"])
            .args(*extra)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with("error: "))
            .stderr(predicate::str::contains(*message));
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
    }
    // Usage errors come from clap, also with status 2.
    for extra in [
        &["--max-intermediate", "x"][..],
        &["--cost", "speed"],
        &["--minimize", "time"],
        &["--max-intermediate", "5", "--max-memory", "1K"],
    ] {
        chainplan()
            .args(["plan", "10", "20", "30"])
            .args(extra)
            .assert()
            .code(2);
    }
}

#[test]
fn a_corrupt_profile_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    std::fs::write(&path, "{\"format\": 1}").unwrap();
    chainplan()
        .args([
            "plan",
            "10",
            "20",
            "30",
            "40",
            "--cost",
            "time",
            "--profile",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a chainplan profile"));
}

fn calibrate_tiny(config_home: &Path) {
    chainplan()
        .env("XDG_CONFIG_HOME", config_home)
        .args([
            "calibrate",
            "--max-dim",
            "8",
            "--seconds-per-shape",
            "0",
            "--validation",
            "2",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Measured on"))
        .stdout(predicate::str::contains("BLAS"))
        .stderr(predicate::str::contains("saved the profile to"));
}

#[test]
fn calibrate_then_plan_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("gemm.json");
    chainplan()
        .args([
            "calibrate",
            "--max-dim",
            "8",
            "--seconds-per-shape",
            "0",
            "--validation",
            "2",
            "--profile",
        ])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("saved the profile to"));
    let profile: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(profile["grid"], serde_json::json!([1, 2, 8]));
    assert_eq!(profile["dtypes"].as_array().unwrap().len(), 2);
    assert_eq!(
        profile["dtypes"][0]["grid_timings"]
            .as_array()
            .unwrap()
            .len(),
        27
    );
    assert!(profile["machine"]["threads"].as_u64().unwrap() >= 1);

    let p = path.to_str().unwrap();
    let report = json(&[
        "plan",
        "1000",
        "10",
        "1000",
        "10",
        "1000",
        "--cost",
        "time",
        "--profile",
        p,
    ]);
    assert_eq!(report["goal"]["cost_model"], "time");
    let chosen = report["goal"]["predicted_s"].as_f64().unwrap();
    assert!(chosen > 0.0);
    // The time-optimal plan is, by the model, at least as fast as every compared order.
    for c in report["comparisons"].as_array().unwrap() {
        let t = c["predicted_s"].as_f64().unwrap();
        assert!(chosen <= t * (1.0 + 1e-12), "{c}");
    }
    // With --cost flops, a profile only adds predictions.
    let flops = json(&[
        "plan",
        "1000",
        "10",
        "1000",
        "10",
        "1000",
        "--profile",
        p,
        "--dtype",
        "f32",
    ]);
    assert_eq!(flops["goal"]["cost_model"], "flops");
    assert_eq!(flops["cost"], 10_200_000);
    assert!(flops["comparisons"][0]["predicted_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn calibrate_defaults_to_the_config_directory() {
    let home = tempfile::tempdir().unwrap();
    calibrate_tiny(home.path());
    assert!(home.path().join("chainplan/gemm-profile.json").exists());
    chainplan()
        .env("XDG_CONFIG_HOME", home.path())
        .args(["plan", "64", "1", "64", "64", "--cost", "time"])
        .assert()
        .success()
        .stdout(predicate::str::contains("predicted time"));
}

#[test]
fn help_lists_the_cost_options() {
    chainplan()
        .args(["plan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--max-intermediate"))
        .stdout(predicate::str::contains("--max-memory"))
        .stdout(predicate::str::contains("--minimize"))
        .stdout(predicate::str::contains("--cost"));
    chainplan()
        .args(["calibrate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--profile"));
}

#[test]
fn bench_runs_the_time_optimal_plan_when_a_profile_exists() {
    let home = tempfile::tempdir().unwrap();
    // No profile: the usual orders only.
    let out = chainplan()
        .env("XDG_CONFIG_HOME", home.path())
        .args(["bench", "20", "2", "30", "3", "--reps", "1", "--json"])
        .assert()
        .success();
    let plain: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let results = plain["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r.get("predicted_s").is_none()));
    assert!(results.iter().all(|r| r["name"] != "time_optimal"));
    // With the saved profile: a time-optimal row, and a prediction on every row.
    calibrate_tiny(home.path());
    let out = chainplan()
        .env("XDG_CONFIG_HOME", home.path())
        .args(["bench", "20", "2", "30", "3", "--reps", "1", "--json"])
        .assert()
        .success();
    let timed: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let results = timed["results"].as_array().unwrap();
    assert_eq!(results.last().unwrap()["name"], "time_optimal");
    assert!(results
        .iter()
        .all(|r| r["predicted_s"].as_f64().unwrap() > 0.0));
    chainplan()
        .env("XDG_CONFIG_HOME", home.path())
        .args(["bench", "20", "2", "30", "3", "--reps", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("profile predicts"))
        .stdout(predicate::str::contains("time-optimal"));
    // A missing --profile is an error, not a silent fallback.
    chainplan()
        .args(["bench", "20", "2", "30", "--profile", "/nonexistent/p.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not found; run `chainplan calibrate` first",
        ));
}
