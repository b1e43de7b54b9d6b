//! Hostile but fair use of the binary, one table per class of issue 14: every bad input or
//! usage is refused with one `error:` line and exit status 2 (no panic, abort, backtrace or
//! hang), and no file is ever lost to a failed write.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::chainplan;
use std::path::Path;
use std::process::Command as StdCommand;

/// Runs each row (arguments, a word the one-line error must contain) and asserts the refusal.
fn refuse_all(rows: &[(&[&str], &str)]) {
    for (args, needle) in rows {
        common::fails(args, needle);
    }
}

/// Argument-parser errors: one line naming the flag or value, pointing to the command's help.
#[test]
fn usage_errors_are_one_line() {
    let rows: &[(&[&str], &str)] = &[
        (&["plan", "3", "4", "--bogus"], "'--bogus'"),
        (&["plan", "3", "4", "--jsn"], "--json"),
        (
            &["plan", "3", "4", "5", "--json", "--dot"],
            "--json cannot be used with --dot",
        ),
        (
            &["plan", "3", "4", "5", "--minimize", "speed"],
            "'speed' for --minimize",
        ),
        (
            &["plan", "3", "4", "5", "--cost", "money"],
            "valid values are: flops, time",
        ),
        (
            &["plan", "3", "4", "--algorithm"],
            "--algorithm <NAME> needs a value",
        ),
        (&["bench", "3", "4", "--reps", "x"], "'x' for --reps"),
        (
            &["bench", "3", "4", "--reps", "99999999999999999999999"],
            "--reps",
        ),
        (&["bench", "3", "4", "--reps="], "--reps"),
        (&["jacobian"], "<WIDTHS>"),
        (
            &["jacobian", "3", "4", "--seed", "sideways"],
            "'sideways' for --seed",
        ),
        (&["grad"], "<EXPRESSION>"),
        (&["calibrate", "--rounds", "-1"], "'-1'"),
        (&["frobnicate"], "unknown command 'frobnicate'"),
        (&[], "no command given"),
    ];
    for (args, needle) in rows {
        let stderr = common::usage_error(chainplan().args(*args), needle);
        assert!(stderr.len() < 300, "{args:?}: {stderr}");
    }
}

/// Help and version still print normally, with exit status 0.
#[test]
fn help_and_version_still_print() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["plan", "--help"],
        &["bench", "-h"],
    ] {
        let out = chainplan().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stdout.len() > 10, "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}");
    }
}

/// A huge or control-laden token is echoed cut and escaped.
#[test]
fn echoed_arguments_are_bounded_and_escaped() {
    let huge = format!("--{}", "x".repeat(100_000));
    let stderr = common::usage_error(chainplan().args(["plan", "3", "4", &huge]), "characters");
    assert!(stderr.len() < 300, "{} bytes", stderr.len());
    let stderr = common::usage_error(
        chainplan().args(["plan", "3", "4", "--\u{1b}[31mred"]),
        "--",
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// Ambiguous output requests are refused before any work.
#[test]
fn ambiguous_outputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let a = a.to_str().unwrap();
    let same = format!(
        "{}/../{}/a.json",
        dir.path().display(),
        dir.path().file_name().unwrap().to_str().unwrap()
    );
    let rows: &[(&[&str], &str)] = &[
        (
            &[
                "plan",
                "3",
                "4",
                "5",
                "--export-plan",
                "-",
                "--export-json",
                "-",
            ],
            "standard output",
        ),
        (
            &["plan", "3", "4", "5", "--json", "--export-json", "-"],
            "standard output",
        ),
        (
            &["plan", "3", "4", "5", "--dot", "--export-csv", "-"],
            "standard output",
        ),
        (
            &[
                "plan",
                "3",
                "4",
                "5",
                "--export-csv",
                "-",
                "--export-markdown",
                "-",
            ],
            "standard output",
        ),
        (
            &[
                "jacobian",
                "3",
                "4",
                "5",
                "--json",
                "--export-markdown",
                "-",
            ],
            "standard output",
        ),
        (
            &["bench", "3", "4", "5", "--json", "--export-json", "-"],
            "standard output",
        ),
        (
            &["plan", "3", "4", "5", "--export-json", a, "--export-csv", a],
            "own file",
        ),
        (
            &[
                "plan",
                "3",
                "4",
                "5",
                "--export-plan",
                a,
                "--export-csv",
                &same,
            ],
            "own file",
        ),
        (
            &[
                "jacobian",
                "3",
                "4",
                "--export-json",
                a,
                "--export-markdown",
                a,
            ],
            "own file",
        ),
    ];
    refuse_all(rows);
    assert!(!Path::new(a).exists());
}

/// One export on standard output replaces the tables, so that a program can read it.
#[test]
fn one_export_on_stdout_is_the_whole_output() {
    let v = common::json(chainplan().args(["plan", "3", "4", "5", "--export-json", "-"]));
    assert_eq!(v["cost"], 60);
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A write that fails midway (the file-size limit stands in for a full disk) leaves the old
/// file whole and no temporary file behind, for every kind of output.
#[test]
fn a_failed_write_keeps_the_old_file() {
    let bin = assert_cmd::cargo::cargo_bin("chainplan");
    let data = common::repo_root().join("data").join("random-200.txt");
    for flag in [
        "--export-json",
        "--export-markdown",
        "--export-csv",
        "--export-plan",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let old = b"the old, good contents\n";
        std::fs::write(&target, old).unwrap();
        // SIGXFSZ ignored: the write fails with EFBIG instead of killing the process.
        let out = StdCommand::new("sh")
            .arg("-c")
            .arg(r#"trap "" XFSZ; ulimit -f 2; exec "$@""#)
            .arg("sh")
            .arg(&bin)
            .args(["plan", "--file"])
            .arg(&data)
            .arg(flag)
            .arg(&target)
            .env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot write "),
            "{flag}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{flag}: {stderr}");
        assert_eq!(
            std::fs::read(&target).unwrap(),
            old,
            "{flag}: the old file changed"
        );
        assert_eq!(
            listing(dir.path()),
            ["out"],
            "{flag}: a temporary file is left"
        );
        // Killed by the signal instead: the old file is still whole.
        let status = StdCommand::new("sh")
            .arg("-c")
            .arg(r#"ulimit -f 2; exec "$@""#)
            .arg("sh")
            .arg(&bin)
            .args(["plan", "--file"])
            .arg(&data)
            .arg(flag)
            .arg(&target)
            .env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config")
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "{flag}");
        assert_eq!(
            std::fs::read(&target).unwrap(),
            old,
            "{flag}: the old file changed"
        );
    }
}

/// Writers racing for one file leave one whole file, never a mix.
#[test]
fn concurrent_writers_leave_one_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("plan.json");
    let chains = [
        vec!["30", "35", "15", "5", "10", "20", "25"],
        vec![
            "10", "100", "5", "50", "7", "3", "9", "11", "4", "8", "2", "6",
        ],
    ];
    for _ in 0..5 {
        let children: Vec<_> = (0..4)
            .map(|i| {
                let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("chainplan"));
                cmd.arg("plan")
                    .args(&chains[i % 2])
                    .arg("--export-json")
                    .arg(&target)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let text = std::fs::read_to_string(&target).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).expect("one whole JSON document");
        assert!(v["cost"] == 15125 || v["matrices"] == 11, "{v}");
        assert_eq!(listing(dir.path()), ["plan.json"]);
    }
}

/// An unwritable profile path is refused before any measuring.
#[test]
fn calibrate_refuses_an_unwritable_profile_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let start = std::time::Instant::now();
    let stderr = common::fails_on(
        chainplan()
            .args(["calibrate", "--profile"])
            .arg(file.join("gemm.json")),
        "cannot write",
    );
    assert!(start.elapsed().as_secs() < 10, "{stderr}");
    assert!(!stderr.contains("cannot read"), "{stderr}");
}

/// CSV and Markdown exports carry whole orders, as the JSON does; only terminal tables cut.
#[test]
fn exports_keep_whole_orders() {
    let data = common::repo_root().join("data").join("random-200.txt");
    let json = common::json(chainplan().args(["plan", "--json", "--file"]).arg(&data));
    let order = json["order"].as_str().unwrap();
    assert!(order.len() > 1000);
    for flag in ["--export-csv", "--export-markdown"] {
        let out = chainplan()
            .args(["plan", "--file"])
            .arg(&data)
            .args([flag, "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(order), "{flag}: the order is cut");
        assert!(!text.contains('…'), "{flag}");
    }
    let out = chainplan()
        .args(["plan", "--file"])
        .arg(&data)
        .output()
        .unwrap();
    let tables = String::from_utf8(out.stdout).unwrap();
    assert!(tables.contains("characters; the exports have it all"));
}

/// Counts, durations and sizes out of their documented range are refused in one line before
/// any work (these aborted, panicked or grew memory without bound).
#[test]
fn out_of_range_counts_are_refused_before_work() {
    let max = u64::MAX.to_string();
    let rows: &[(&[&str], &str)] = &[
        (
            &["bench", "10", "20", "30", "--reps", "1000000000000"],
            "--reps",
        ),
        (&["bench", "10", "20", "30", "--reps", &max], "--reps"),
        (&["bench", "10", "20", "30", "--reps", "0"], "--reps"),
        (
            &["bench", "10", "20", "30", "--warmup", &max, "--reps", "1"],
            "--warmup",
        ),
        (
            &["bench", "10", "20", "30", "--warmup", "100001"],
            "--warmup",
        ),
        (&["bench", "10", "20", "30", "--threads", "0"], "--threads"),
        (
            &["bench", "10", "20", "30", "--threads", "1000000"],
            "--threads is 1000000",
        ),
        (
            &["calibrate", "--validation", "1000000000000"],
            "--validation",
        ),
        (&["calibrate", "--validation", &max], "--validation"),
        (&["calibrate", "--rounds", "0"], "--rounds"),
        (&["calibrate", "--rounds", "1000"], "--rounds"),
        (&["calibrate", "--max-dim", "100000"], "--max-dim"),
        (
            &["calibrate", "--seconds-per-shape", "1e300"],
            "between 0 and 60",
        ),
        (
            &["calibrate", "--seconds-per-shape", "NaN"],
            "--seconds-per-shape",
        ),
        (
            &["calibrate", "--seconds-per-shape=-1"],
            "--seconds-per-shape",
        ),
        (
            &[
                "jacobian",
                "3",
                "4",
                "--seed",
                "output",
                "--seed-size",
                "99999999999999",
            ],
            "seed size",
        ),
        (
            &["jacobian", "3", "4", "--seed", "output", "--seed-size", "0"],
            "seed size",
        ),
    ];
    for (args, needle) in rows {
        let start = std::time::Instant::now();
        let stderr = common::fails(args, needle);
        assert!(start.elapsed().as_secs() < 10, "{args:?}: slow refusal");
        assert!(stderr.len() < 300, "{args:?}: {stderr}");
    }
}

/// Empty arguments and empty fields are refused, not dropped.
#[test]
fn empty_arguments_and_fields_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dims.txt");
    std::fs::write(&file, "3, 4,\n, 5\n").unwrap();
    let file = file.to_str().unwrap();
    let rows: &[(&[&str], &str)] = &[
        (&["plan", "", "3", "4"], "argument 1 of 3 is empty"),
        (&["plan", "3", "4", " "], "argument 3 of 3 is empty"),
        (&["plan", "3,,4,5"], "dimension 2 is empty"),
        (&["plan", ",3,4"], "dimension 1 is empty"),
        (&["plan", "3,4,"], "dimension 3 is empty"),
        (&["plan", "--file", file], "dimension 3 is empty"),
        (&["bench", "3", "", "4"], "argument 2 of 3 is empty"),
        (&["jacobian", "3", "", "4"], "argument 2 of 3 is empty"),
        (&["jacobian", "3,,4"], "empty"),
    ];
    refuse_all(rows);
}

/// Messages name the right argument and unit, and echo input cut and escaped.
#[test]
fn messages_are_honest_and_bounded() {
    let huge = "7".repeat(100_000);
    let digits39 = "9".repeat(39);
    let costs = format!("1,{digits39}");
    let esc = "3\u{1b}[2J";
    let rows: &[(&[&str], &str)] = &[
        (&["plan", "3", &huge], "(100000 digits)"),
        (&["plan", "3", esc, "4"], "\\u{1b}"),
        (&["plan", "3", "4", "--algorithm", esc], "\\u{1b}"),
        (
            &[
                "jacobian",
                "3",
                "4",
                "5",
                "--tangent-costs",
                &costs,
                "--adjoint-costs",
                "1,2",
            ],
            "too large",
        ),
        (
            &[
                "jacobian",
                "3",
                "4",
                "--seed",
                "input",
                "--seed-size",
                "4294967296",
            ],
            "seed size is 4294967296",
        ),
        (
            &["grad", "x*y", "--at", "x=1e300,y=1e300"],
            "1e300 and 1e300",
        ),
        (&["grad", "x", "--at", esc], "\\u{1b}"),
    ];
    let rows = [
        rows,
        &[
            (
                &["plan", "3", "4", "5", "6", "--max-memory", "1"][..],
                "1 bytes of f64",
            ),
            (
                &["plan", "3", "4", "5", "6", "--max-memory", "1"][..],
                "120 bytes",
            ),
        ],
    ]
    .concat();
    for (args, needle) in &rows {
        let stderr = common::fails(args, needle);
        assert!(stderr.len() < 400, "{args:?}: {} bytes", stderr.len());
        assert!(!stderr.contains('\u{1b}'), "{args:?}: {stderr:?}");
    }
}

/// A leading UTF-8 byte-order mark is accepted in files.
#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dims.txt");
    std::fs::write(&file, "\u{feff}30 35 15 5 10 20 25\n").unwrap();
    let v = common::json(chainplan().args(["plan", "--json", "--file"]).arg(&file));
    assert_eq!(v["cost"], 15125);
}

/// A broken, mismatched or missing saved profile is a warning where the profile is optional
/// (plain bench), and an error only where it is asked for.
#[test]
fn a_broken_saved_profile_is_a_warning_for_bench() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("chainplan");
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("gemm-profile.json");
    for broken in ["{\"format\": 1, \"machine\"", "not json", "{}"] {
        std::fs::write(&profile, broken).unwrap();
        let out = chainplan()
            .env("XDG_CONFIG_HOME", config.path())
            .args(["bench", "20", "30", "40", "50", "--reps", "1"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{broken}: {stderr}");
        assert!(
            stderr.starts_with("warning: not using the saved GEMM profile"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        // Asked for: an error.
        common::fails_on(
            chainplan()
                .env("XDG_CONFIG_HOME", config.path())
                .args(["plan", "20", "30", "40", "--cost", "time"]),
            "timing profile",
        );
    }
}

/// Runs the binary with `args` under an address-space limit of `kib` KiB (`ulimit -v`) and a
/// 120-second timeout (a hang, not a slow machine: planning 10 million matrices in the debug
/// build takes 30 s on a loaded 2-core machine); returns the exit status (124 on a timeout)
/// and the stderr.
fn under_memory_limit(kib: u64, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = StdCommand::new("sh");
    cmd.arg("-c")
        .arg(format!(r#"ulimit -v {kib}; exec timeout 120 "$@""#))
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("chainplan"))
        .args(args)
        .current_dir(common::repo_root())
        .env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config")
        .env_remove("OPENBLAS_NUM_THREADS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No command hangs at exit under a small memory limit (OpenBLAS's thread pool spun for ever
/// on a failed allocation), whether or not OPENBLAS_NUM_THREADS is set.
#[test]
fn no_hang_under_a_memory_limit() {
    let commands: &[&[&str]] = &[
        &["--version"],
        &["--help"],
        &["plan", "30", "35", "15", "5", "10", "20", "25"],
        &["plan", "3", "0"],
        &["jacobian", "784", "512", "10", "--seed", "output"],
        &["grad", "x*y", "--at", "x=1,y=2"],
        &["bench", "30", "40", "50", "--reps", "1"],
    ];
    for threads in [None, Some("2")] {
        let env: Vec<(&str, &str)> = threads
            .map(|t| ("OPENBLAS_NUM_THREADS", t))
            .into_iter()
            .collect();
        for args in commands {
            let (code, stderr) = under_memory_limit(150_000, args, &env);
            assert!(
                code == Some(0) || (code == Some(2) && stderr.lines().count() == 1),
                "{args:?} with {env:?}: status {code:?}, {stderr}"
            );
        }
    }
}

/// Planner tables are checked against the memory that can be had, not a fixed budget, and
/// anything that still cannot be allocated is one line with status 2, never an abort.
#[test]
fn planners_respect_the_memory_that_can_be_had() {
    let dir = tempfile::tempdir().unwrap();
    let dp = dir.path().join("dp.txt");
    std::fs::write(&dp, "7 ".repeat(8001)).unwrap();
    let dp = dp.to_str().unwrap();
    let (code, stderr) =
        under_memory_limit(1_000_000, &["plan", "--file", dp, "--algorithm", "dp"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: a chain of 8000 matrices"),
        "{stderr}"
    );
    assert!(stderr.contains("hu-shing"), "{stderr}");
    let long = dir.path().join("long.txt");
    std::fs::write(&long, "7 3 ".repeat(5_000_000)).unwrap();
    let long = long.to_str().unwrap();
    for limit in [1_500_000, 2_500_000] {
        let (code, stderr) = under_memory_limit(
            limit,
            &["plan", "--file", long, "--algorithm", "hu-shing", "--json"],
            &[],
        );
        assert_eq!(code, Some(2), "{limit}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{limit}: {stderr}");
        assert!(stderr.starts_with("error: "), "{limit}: {stderr}");
    }
}

/// The matrix-free table limit is checked before the dense plans (which took 6 s and 310 MB).
#[test]
fn the_matrix_free_limit_refuses_before_work() {
    let widths: Vec<String> = vec!["5".to_string(); 5001];
    let costs = vec!["3"; 5000].join(",");
    let start = std::time::Instant::now();
    let mut args: Vec<&str> = vec!["jacobian"];
    args.extend(widths.iter().map(String::as_str));
    args.extend(["--tangent-costs", &costs, "--adjoint-costs", &costs]);
    let (code, stderr) = under_memory_limit(200_000, &args, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("matrix-free"), "{stderr}");
    assert!(start.elapsed().as_secs() < 3, "{:?}", start.elapsed());
}

/// The `expr` command keeps the same contract: outputs checked up front, echoed input cut and
/// escaped, a too-large whole number called too large, matrices checked against the memory
/// that can be had.
#[test]
fn expr_keeps_the_contract() {
    let long = format!("A=3x4{}", "x".repeat(5000));
    let rows: &[(&[&str], &str)] = &[
        (
            &[
                "expr",
                "A*B",
                "--op",
                "A=3x4",
                "--op",
                "B=4x5",
                "--json",
                "--export-json",
                "-",
            ],
            "standard output",
        ),
        (
            &["expr", "A*B", "--op", "A=3x4\u{1b}[31m", "--op", "B=4x5"],
            "\\u{1b}",
        ),
        (
            &["expr", "A*B", "--op", &long, "--op", "B=4x5"],
            "characters",
        ),
        (
            &[
                "expr",
                "A*B",
                "--op",
                "A=99999999999999999999x4",
                "--op",
                "B=4x5",
            ],
            "too large",
        ),
        (
            &["expr", "A*B\u{7}", "--op", "A=3x4", "--op", "B=4x5"],
            "\\u{7}",
        ),
    ];
    for (args, needle) in rows {
        let stderr = common::fails(args, needle);
        assert!(stderr.len() < 400, "{args:?}: {} bytes", stderr.len());
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
            "{stderr:?}"
        );
    }
    let (code, stderr) = under_memory_limit(
        2_000_000,
        &[
            "expr",
            "inv(A)*B",
            "--op",
            "A=20000x20000:spd",
            "--op",
            "B=20000x3",
            "--bench",
            "--reps",
            "1",
        ],
        &[],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("over the limit"), "{stderr}");
}

/// Calibrations racing for one profile leave one whole profile that `plan --cost time` reads;
/// a calibration whose save fails (file-size limit for a full disk) keeps the old profile.
#[test]
fn profiles_survive_races_and_failed_saves() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("gemm.json");
    let quick = [
        "calibrate",
        "--quick",
        "--dtype",
        "f64",
        "--max-dim",
        "8",
        "--validation",
        "2",
        "--rounds",
        "1",
        "--seconds-per-shape",
        "0",
    ];
    let children: Vec<_> = (0..3)
        .map(|_| {
            StdCommand::new(assert_cmd::cargo::cargo_bin("chainplan"))
                .args(quick)
                .arg("--profile")
                .arg(&profile)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(listing(dir.path()), ["gemm.json"]);
    chainplan()
        .args(["plan", "10", "20", "30", "--cost", "time", "--profile"])
        .arg(&profile)
        .assert()
        .success();
    let good = std::fs::read(&profile).unwrap();
    let out = StdCommand::new("sh")
        .arg("-c")
        .arg(r#"trap "" XFSZ; ulimit -f 2; exec "$@""#)
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("chainplan"))
        .args(quick)
        .arg("--profile")
        .arg(&profile)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: cannot write "),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&profile).unwrap(),
        good,
        "the old profile changed"
    );
    assert_eq!(listing(dir.path()), ["gemm.json"]);
}
