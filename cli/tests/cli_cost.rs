//! The cost-model options of `chainplan plan` and the `calibrate` command, end to end.

#[path = "../../tests/common/mod.rs"]
mod common;

use assert_cmd::Command;
// The shared `chainplan()` never reads or writes the developer's real profile.
use common::{chainplan, fails, fails_on, json, json_of};
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

// The chain 1 × 10 · 10 × 200 · 200 × 10: (A1A2)A3 costs 1·10·200 + 1·200·10 = 4,000 and
// builds a 1 × 200 intermediate; A1(A2A3) costs 10·200·10 + 1·10·10 = 20,100 and builds a
// 10 × 10 one.
const CHAIN: [&str; 4] = ["1", "10", "200", "10"];
const CHEAP: u64 = 10 * 200 + 200 * 10;
const LEAN: u64 = 10 * 200 * 10 + 10 * 10;

/// 1000 × 10 · 10 × 1000 · 1000 × 10 · 10 × 1000: no order keeps its intermediates under
/// 10,000 elements (A1(A2A3) is 1000 × 10).
const SKEWED: [&str; 5] = ["1000", "10", "1000", "10", "1000"];

/// The arguments of a calibration small and quick enough for a test.
const TINY_CALIBRATION: [&str; 7] = [
    "calibrate",
    "--max-dim",
    "8",
    "--seconds-per-shape",
    "0",
    "--validation",
    "2",
];

fn plan_json(extra: &[&str]) -> Value {
    json_of("plan", &[&CHAIN[..], extra].concat())
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
    let tb = json_of(
        "plan",
        &[&common::TEXTBOOK[..], &["--minimize", "memory"]].concat(),
    );
    let free = json_of("plan", &common::TEXTBOOK);
    assert!(tb["largest_intermediate"].as_u64() <= free["largest_intermediate"].as_u64());
    assert!(tb["cost"].as_u64() >= free["cost"].as_u64());
}

#[test]
fn tables_show_the_cap_and_intermediates() {
    chainplan()
        .arg("plan")
        .args(CHAIN)
        .args(["--max-intermediate", "150"])
        .assert()
        .success()
        .stdout(predicate::str::contains("largest intermediate"))
        .stdout(predicate::str::contains("flop-optimal"))
        .stdout(predicate::str::contains("intermediates <= 150 elements"));
}

#[test]
fn no_plan_fits_names_the_smallest_cap() {
    let stderr = fails_on(
        chainplan()
            .arg("plan")
            .args(SKEWED)
            .args(["--max-intermediate", "5000"]),
        "smallest cap that some order meets is 10000",
    );
    assert!(
        stderr.starts_with("error: no order keeps every intermediate within 5000 elements"),
        "{stderr}"
    );
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
            "chainplan/gemm-profile.json' (57 characters): not found",
        ),
        (
            &["--min-gain", "1.5"],
            "--min-gain applies to plans by predicted time",
        ),
    ];
    for (extra, message) in cases {
        fails_on(
            chainplan()
                .args(["plan", "10", "20", "30", "40"])
                .args(*extra),
            message,
        );
    }
    // Usage errors come from clap, also with status 2.
    for extra in [
        &["--max-intermediate", "x"][..],
        &["--cost", "speed"],
        &["--minimize", "time"],
        &["--max-intermediate", "5", "--max-memory", "1K"],
    ] {
        common::usage_error(
            chainplan().args(["plan", "10", "20", "30"]).args(extra),
            extra[0],
        );
    }
}

#[test]
fn a_corrupt_profile_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    std::fs::write(&path, "{\"format\": 1}").unwrap();
    fails_on(
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
            .arg(&path),
        "not a chainplan profile",
    );
}

fn calibrate_tiny(config_home: &Path) {
    chainplan()
        .env("XDG_CONFIG_HOME", config_home)
        .args(TINY_CALIBRATION)
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
        .args(TINY_CALIBRATION)
        .arg("--profile")
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("saved the profile to"));
    let profile: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(profile["grid"], serde_json::json!([1, 2, 3, 4, 6, 8]));
    assert_eq!(profile["dtypes"].as_array().unwrap().len(), 2);
    assert_eq!(
        profile["dtypes"][0]["grid_timings"]
            .as_array()
            .unwrap()
            .len(),
        216
    );
    assert!(profile["machine"]["threads"].as_u64().unwrap() >= 1);

    let p = path.to_str().unwrap();
    let trusting = json_of(
        "plan",
        &[
            &SKEWED[..],
            &["--cost", "time", "--profile", p, "--min-gain", "1"],
        ]
        .concat(),
    );
    assert_eq!(trusting["goal"]["cost_model"], "time");
    assert_eq!(trusting["goal"]["min_gain"], 1.0);
    let fastest = trusting["goal"]["predicted_s"].as_f64().unwrap();
    assert!(fastest > 0.0);
    // Trusting the model fully, the plan is at least as fast, by the model, as every
    // compared order.
    for c in trusting["comparisons"].as_array().unwrap() {
        let t = c["predicted_s"].as_f64().unwrap();
        assert!(fastest <= t * (1.0 + 1e-12), "{c}");
    }
    // With the default least gain, the flop-optimal plan is kept unless the fastest beats it
    // by more; when it is kept, a `time_optimal` row shows the fastest.
    let report = json_of(
        "plan",
        &[&SKEWED[..], &["--cost", "time", "--profile", p]].concat(),
    );
    // The default least gain: (1 + e) / (1 - e) for the 75th-percentile error e on the
    // profile's check shapes, at least 1.2 and at most 10.
    let mut errors: Vec<f64> = profile["dtypes"][0]["validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["predicted_s"].as_f64().unwrap() / v["measured"]["seconds"].as_f64().unwrap() - 1.0)
                .abs()
        })
        .collect();
    errors.sort_by(f64::total_cmp);
    let e = errors[(errors.len() * 3).div_ceil(4) - 1];
    let min_gain = if e < 1.0 { (1.0 + e) / (1.0 - e) } else { 10.0 }.clamp(1.2, 10.0);
    assert_eq!(profile["dtypes"][0]["dtype"], "f64");
    assert!((report["goal"]["min_gain"].as_f64().unwrap() - min_gain).abs() < 1e-12);
    let chosen = report["goal"]["predicted_s"].as_f64().unwrap();
    let comparisons = report["comparisons"].as_array().unwrap();
    match comparisons.iter().find(|c| c["name"] == "time_optimal") {
        Some(row) => {
            assert_eq!(report["cost"], report["goal"]["flop_optimal_cost"]);
            assert_eq!(row["predicted_s"].as_f64().unwrap(), fastest);
            assert!(
                chosen <= 1.2 * fastest * (1.0 + 1e-12),
                "{chosen} vs {fastest}"
            );
        }
        None => assert_eq!(chosen, fastest),
    }
    fails(
        &[
            &["plan"],
            &SKEWED[..],
            &["--cost", "time", "--profile", p, "--min-gain", "0.5"],
        ]
        .concat(),
        "the least gain 0.5 must be a number of at least 1",
    );
    // With --cost flops, a profile only adds predictions.
    let flops = json_of(
        "plan",
        &[&SKEWED[..], &["--profile", p, "--dtype", "f32"]].concat(),
    );
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

/// `chainplan bench` on a small chain, with `home` as the configuration directory.
fn bench_in(home: &Path) -> Command {
    let mut cmd = chainplan();
    cmd.env("XDG_CONFIG_HOME", home)
        .args(["bench", "20", "2", "30", "3", "--reps", "1"]);
    cmd
}

#[test]
fn bench_runs_the_time_optimal_plan_when_a_profile_exists() {
    let home = tempfile::tempdir().unwrap();
    // No profile: the usual orders only.
    let plain = json(bench_in(home.path()).arg("--json"));
    let results = plain["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r.get("predicted_s").is_none()));
    assert!(results.iter().all(|r| r["name"] != "time_optimal"));
    // ... and --min-gain, which only concerns that row, is refused rather than ignored.
    fails_on(
        bench_in(home.path()).args(["--min-gain", "1.5"]),
        "--min-gain applies to the time-optimal row, which needs a GEMM profile",
    );
    // With the saved profile: a time-optimal row, and a prediction on every row.
    calibrate_tiny(home.path());
    let timed = json(bench_in(home.path()).arg("--json"));
    let results = timed["results"].as_array().unwrap();
    assert_eq!(results.last().unwrap()["name"], "time_optimal");
    assert!(results
        .iter()
        .all(|r| r["predicted_s"].as_f64().unwrap() > 0.0));
    bench_in(home.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("profile predicts"))
        .stdout(predicate::str::contains("time-optimal"));
    // Trusting the model fully, the time-optimal row is the plan predicted fastest: no row
    // is predicted faster.
    let trusting = json(bench_in(home.path()).args(["--json", "--min-gain", "1"]));
    let results = trusting["results"].as_array().unwrap();
    let fastest = results.last().unwrap()["predicted_s"].as_f64().unwrap();
    assert!(results
        .iter()
        .all(|r| fastest <= r["predicted_s"].as_f64().unwrap() * (1.0 + 1e-12)));
    fails_on(
        bench_in(home.path()).args(["--min-gain", "0.9"]),
        "the least gain 0.9 must be a number of at least 1",
    );
    // A missing --profile is an error, not a silent fallback.
    fails(
        &["bench", "20", "2", "30", "--profile", "/nonexistent/p.json"],
        "not found; run `chainplan calibrate` first",
    );
}
