//! The edge contract under fuzzing (issue 25): one regression test per class of violation
//! that the grammar fuzzer (`scripts/fuzz/fuzz.py`) found. The contract: exit status 0 or 2;
//! with 2, exactly one line on standard error, starting `error: `, that echoes no input
//! longer than 40 characters; no hang; no special file replaced.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::chainplan;
use std::path::Path;
use std::process::{Command as StdCommand, Output};

/// The characters of echoed input a message may show.
const CUT: usize = 40;

/// Asserts that `out` is a refusal by the contract, echoing no more than [`CUT`] characters
/// in a row of any of `inputs`; returns the error line.
fn one_error_line(out: &Output, inputs: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "status {:?}: {stderr}",
        out.status
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.matches('\n').count(), 1, "not one line: {stderr}");
    assert!(stderr.ends_with('\n'), "{stderr}");
    for input in inputs {
        let chars: Vec<char> = input.chars().collect();
        for window in chars.windows(CUT + 1) {
            let piece: String = window.iter().collect();
            assert!(!stderr.contains(&piece), "echoes {piece:?} whole: {stderr}");
        }
    }
    stderr
}

/// Runs the binary with `args` through `sh -c SCRIPT` (`"$@"` is the command) under a
/// 60-second timeout, without the user's BLAS thread count.
fn through_shell(script: &str, args: &[&str], dir: &Path) -> Output {
    StdCommand::new("sh")
        .arg("-c")
        .arg(format!("{script}; exec timeout 60 \"$@\""))
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("chainplan"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config")
        .env_remove("OPENBLAS_NUM_THREADS")
        .env_remove("OMP_NUM_THREADS")
        .env_remove("GOTO_NUM_THREADS")
        .output()
        .unwrap()
}

/// Item 1: a BLAS or rayon pool that cannot start under `ulimit -v 4194304` is one line and
/// exit 2, never a hang (it was an internal error, then OpenBLAS workers spinning for ever).
#[test]
fn thread_counts_the_memory_limit_cannot_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for threads in ["64", "63", "48", "40", "16"] {
        let out = through_shell(
            "ulimit -v 4194304",
            &["bench", "2", "2", "2", "-t", threads, "--reps", "1"],
            dir.path(),
        );
        let line = one_error_line(&out, &[]);
        assert!(line.contains("address-space limit"), "{line}");
        assert!(out.stdout.is_empty());
    }
    // A count the limit holds runs.
    let out = through_shell(
        "ulimit -v 4194304",
        &["bench", "2", "2", "2", "-t", "2", "--reps", "1"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Item 2: OpenBLAS starts its threads when it is loaded, before `main`; between about 46,000
/// and 52,000 KiB of address space that failed with exit 130. The thread count is now one
/// before any library starts, whatever the command.
#[test]
fn a_narrow_memory_limit_before_main_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &["--version"],
        &["plan", "3", "4", "5"],
        &["grad", "x*y", "--at", "x=1,y=2"],
        &["expr", "A*B", "--op", "A=2x3", "--op", "B=3x4"],
    ];
    // The window moves with the binary's size (a debug build with faer needs more address
    // space just to be loaded), so scan upwards from where the loader itself gives up. A
    // limit the dynamic loader refuses (exit 127, "error while loading shared libraries") is a
    // program that never started; the lowest limit at which `--version` starts is where
    // OpenBLAS's constructor used to fail, and the scan must reach it.
    let mut lowest_started = None;
    for kib in (40_000..=120_000).step_by(2_000) {
        for args in commands {
            let out = through_shell(&format!("ulimit -v {kib}"), args, dir.path());
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.code() == Some(127) && stderr.contains("error while loading shared") {
                continue;
            }
            if args == &["--version"] && out.status.code() == Some(0) {
                lowest_started.get_or_insert(kib);
            }
            assert!(
                out.status.code() == Some(0)
                    || (out.status.code() == Some(2) && stderr.matches('\n').count() == 1),
                "{kib} KiB, {args:?}: {:?} {stderr}",
                out.status
            );
            assert!(
                !stderr.contains("OpenBLAS"),
                "{kib} KiB, {args:?}: {stderr}"
            );
        }
    }
    let lowest = lowest_started.expect("--version never started below 120,000 KiB");
    // Also when the user asked for several threads: the commands that multiply use them.
    for script in [
        format!("ulimit -v {lowest}"),
        format!("export OPENBLAS_NUM_THREADS=4; ulimit -v {lowest}"),
        format!("export OMP_NUM_THREADS=4; ulimit -v {lowest}"),
    ] {
        for args in commands {
            let out = through_shell(&script, args, dir.path());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{script}: {args:?}: {stderr}");
        }
    }
}

/// The count the program sets for itself does not leak: `bench` still runs one BLAS thread
/// per CPU when the user set none, and the user's count when set.
#[test]
fn bench_threads_follow_the_user_not_the_start() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = |env: Option<&str>| {
        let mut cmd = chainplan();
        cmd.env_remove("OPENBLAS_NUM_THREADS")
            .env_remove("OMP_NUM_THREADS")
            .env_remove("GOTO_NUM_THREADS");
        if let Some(n) = env {
            cmd.env("OPENBLAS_NUM_THREADS", n);
        }
        let v = common::json(cmd.args(["bench", "2", "3", "4", "--reps", "1", "--json"]));
        // At most the BLAS's MAX_THREADS, which its configuration string names.
        let max = v["blas"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .find_map(|w| w.strip_prefix("MAX_THREADS="))
            .map_or(u64::MAX, |n| n.parse().unwrap());
        (v["threads"].as_u64().unwrap(), max)
    };
    let (n, max) = threads(None);
    assert_eq!(n, (cpus as u64).min(max));
    assert_eq!(threads(Some("1")).0, 1);
    assert_eq!(threads(Some("3")).0, 3);
}

/// A pipe whose buffer holds one page (4 KiB), so that a writer of more waits on it: the
/// reading end and the writing end.
fn small_pipe() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    extern "C" {
        fn pipe(fds: *mut i32) -> i32;
        fn fcntl(fd: i32, cmd: i32, ...) -> i32;
    }
    const F_SETPIPE_SZ: i32 = 1031;
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[1] is the open writing end; F_SETPIPE_SZ takes an int.
    assert!(unsafe { fcntl(fds[1], F_SETPIPE_SZ, 4096) } >= 4096);
    // SAFETY: both descriptors are open and owned by nothing else.
    unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

/// `plan` starts no thread it does not use: no BLAS helper and no rayon pool for a chain too
/// short to share out. The process is caught waiting on a full standard-output pipe, after
/// planning, and its thread count read from /proc.
#[test]
fn plan_starts_no_threads() {
    use std::io::Read;
    let dims: Vec<String> = (0..200).map(|i| (3 + i % 17).to_string()).collect();
    let (mut reader, writer) = small_pipe();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("chainplan"))
        .args(["plan", "--algorithm", "dp", "--json"])
        .args(&dims)
        .env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config")
        .env_remove("OPENBLAS_NUM_THREADS")
        .stdout(writer)
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut threads = None;
    for _ in 0..400 {
        std::thread::sleep(std::time::Duration::from_millis(25));
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        let state = text.lines().find(|l| l.starts_with("State:")).unwrap_or("");
        // Where it sleeps, when the kernel tells: writing to the pipe.
        let wchan =
            std::fs::read_to_string(format!("/proc/{}/wchan", child.id())).unwrap_or_default();
        let on_pipe = wchan.contains("pipe") || wchan.is_empty() || wchan == "0";
        if state.contains("S (sleeping)") && on_pipe {
            threads = text
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .map(|n| n.trim().parse::<u32>().unwrap());
            break;
        }
    }
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        out.len() > 8192,
        "the output must fill the pipe: {}",
        out.len()
    );
    assert_eq!(threads, Some(1), "threads of a waiting `plan`");
}

/// Item 3: every echoed value is cut to 40 characters: file names of every flag, operand
/// names and expressions, and a JSON parser's excerpts of a profile.
#[test]
fn echoed_values_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let long = "n".repeat(300);
    let missing = format!("{long}/x.txt");
    let x1000 = "x".repeat(1000);
    let op1000 = format!("{}=3x3", "y".repeat(1000));
    let profile = dir.path().join("p.json");
    std::fs::write(
        &profile,
        format!("{{\"format\": \"{}\"}}", "f ".repeat(500)),
    )
    .unwrap();
    let profile = profile.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["plan", "3", "4", "--export-csv", &long],
        vec!["plan", "3", "4", "--export-json", &missing],
        vec!["plan", "--file", &long],
        vec!["plan", "--file", &missing],
        vec!["bench", "--file", &long],
        vec!["expr", "A", "-f", &long],
        vec!["plan", "3", "4", "--cost", "time", "--profile", &long],
        vec!["plan", "3", "4", "--cost", "time", "--profile", profile],
        vec!["expr", &x1000, "--op", "A=3x3"],
        vec!["expr", "A", "--op", &op1000],
        vec!["calibrate", "--quick", "--profile", &missing],
    ];
    let inputs = [long.as_str(), &x1000, &op1000, &"f ".repeat(500)];
    for args in cases {
        let out = chainplan()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        one_error_line(&out, &inputs);
    }
}

/// Item 4: a target is checked by its real name before any work: nothing is printed or
/// measured first.
#[test]
fn targets_are_refused_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let long = "t".repeat(300);
    for args in [
        vec!["plan", "3", "4", "--export-csv", &long],
        vec!["plan", "3", "4", "5", "--export-plan", &long],
        vec!["expr", "A", "--op", "A=2x2", "--export-json", &long],
        vec!["calibrate", "--quick", "--profile", &long],
    ] {
        let out = chainplan()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        let line = one_error_line(&out, &[&long]);
        assert!(line.contains("cannot write"), "{line}");
        assert!(out.stdout.is_empty(), "{args:?} printed before refusing");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing is left"
    );
}

/// A profile measured here, for `dtype` (f64 or f32), written to `path`; `cpu` replaces its
/// machine's CPU when given.
fn profile(path: &Path, dtype: &str, cpu: Option<&str>) {
    let out = chainplan()
        .args([
            "calibrate",
            "--dtype",
            dtype,
            "--max-dim",
            "4",
            "--rounds",
            "1",
        ])
        .args(["--seconds-per-shape", "0", "--validation", "0", "--profile"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(cpu) = cpu {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["machine"]["cpu"] = cpu.into();
        std::fs::write(path, v.to_string()).unwrap();
    }
}

/// Runs `cmd` and asserts that it succeeds with one `warning:` line on standard error.
fn one_warning(cmd: &mut assert_cmd::Command) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.starts_with("warning: "),
        "{stderr}"
    );
    assert_eq!(stderr.matches('\n').count(), 1, "{stderr}");
}

/// Item 5: a warning is held back while the command may still fail: a failing command prints
/// its one error line alone; a succeeding one still shows the warning.
#[test]
fn warnings_are_dropped_when_the_command_fails() {
    let config = tempfile::tempdir().unwrap();
    let saved = config.path().join("chainplan").join("gemm-profile.json");
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    profile(&saved, "f64", None);
    let out = chainplan()
        .env("XDG_CONFIG_HOME", config.path())
        .args(["bench", "2", "3", "4", "--dtype", "f32", "--min-gain", "1"])
        .output()
        .unwrap();
    assert!(one_error_line(&out, &[]).contains("--min-gain"));
    one_warning(
        chainplan()
            .env("XDG_CONFIG_HOME", config.path())
            .args(["bench", "2", "3", "4", "--dtype", "f32", "--reps", "1"]),
    );

    let other = config.path().join("other-machine.json");
    profile(&other, "f64", Some("another CPU"));
    let other = other.to_str().unwrap();
    let out = chainplan()
        .args(["plan", "3", "", "4", "--cost", "time", "--profile", other])
        .output()
        .unwrap();
    assert!(one_error_line(&out, &[]).contains("argument 2 of 3 is empty"));
    one_warning(chainplan().args(["plan", "3", "5", "4", "--cost", "time", "--profile", other]));
}

/// Item 6: a target that is not a regular file is written in place or refused with one
/// line, and stays what it was.
#[test]
fn special_files_are_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let kind = |p: &Path| std::fs::metadata(p).unwrap().file_type();
    for device in ["/dev/null", "/dev/full"] {
        let path = Path::new(device);
        if !path.exists() {
            continue;
        }
        for flag in ["--export-csv", "--export-json", "--export-plan"] {
            let out = chainplan()
                .args(["plan", "3", "4", "5", flag, device])
                .output()
                .unwrap();
            if device == "/dev/full" {
                let line = one_error_line(&out, &[]);
                assert!(line.contains("cannot write '/dev/full'"), "{line}");
            } else {
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(kind(path).is_char_device(), "{device} was replaced");
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = StdCommand::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // No reader: refused at once, not waited on.
    let out = chainplan()
        .args(["plan", "3", "4", "5", "--export-csv"])
        .arg(&fifo)
        .output()
        .unwrap();
    assert!(one_error_line(&out, &[]).contains("no process reads"));
    assert!(kind(&fifo).is_fifo());
    // A reader: the CSV goes through the FIFO.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    // The reader opens the FIFO first (opening for reading waits for a writer).
    let mut tries = 0;
    loop {
        let out = chainplan()
            .args(["plan", "3", "4", "5", "--export-csv"])
            .arg(&fifo)
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        tries += 1;
        assert!(tries < 200, "{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let text = reader.join().unwrap();
    assert!(text.starts_with("order,"), "{text}");
    assert!(kind(&fifo).is_fifo(), "the FIFO was replaced");
}

/// Endless input (`/dev/zero`, an endless pipe) is refused after a bounded read instead of
/// filling the memory; the address-space limit makes a regression fail fast.
#[test]
fn endless_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["plan", "--file", "/dev/zero"][..],
        &["expr", "A", "-f", "/dev/zero"],
        &["plan", "3", "4", "--cost", "time", "--profile", "/dev/zero"],
    ] {
        let out = through_shell("ulimit -v 2000000", args, dir.path());
        one_error_line(&out, &[]);
    }
    let out = through_shell(
        "ulimit -v 2000000; exec < /dev/zero",
        &["plan", "-"],
        dir.path(),
    );
    assert!(one_error_line(&out, &[]).contains("standard input"));
}

/// Asserts that `stderr` shows no more than [`CUT`] characters in a row of `input`.
fn echoes_no_more_than_the_cut(stderr: &str, input: &str) {
    let chars: Vec<char> = input.chars().collect();
    for window in chars.windows(CUT + 1) {
        let piece: String = window.iter().collect();
        assert!(!stderr.contains(&piece), "echoes {piece:?} whole: {stderr}");
    }
}

/// Session 2, item 4: a success line echoes its input cut as an error line does
/// (`calibrate` printed `saved the profile to <the whole path>`).
#[test]
fn success_lines_cut_their_echoes() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("d".repeat(100));
    std::fs::create_dir(&deep).unwrap();
    let path = deep.join(format!("{}.json", "p".repeat(100)));
    let out = chainplan()
        .args(["calibrate", "--max-dim", "2", "--rounds", "1"])
        .args(["--seconds-per-shape", "0", "--validation", "0", "--profile"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(path.exists());
    assert!(stderr.starts_with("saved the profile to '…"), "{stderr}");
    echoes_no_more_than_the_cut(&stderr, path.to_str().unwrap());
}

/// Whether the tests run as root (`Uid:` in `/proc/self/status`).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}

/// Runs the binary with `args` as nobody under `ulimit -u nproc` (RLIMIT_NPROC, which counts
/// threads; the kernel does not apply it to root), with `env` set.
fn under_process_limit(nproc: u32, args: &[&str], env: &[(&str, &str)]) -> Output {
    use std::os::unix::process::CommandExt;
    // bash: dash's `ulimit` has no -u.
    let mut cmd = StdCommand::new("bash");
    cmd.arg("-c")
        .arg(format!("ulimit -u {nproc} && exec timeout 60 \"$@\""))
        .arg("bash")
        .arg(assert_cmd::cargo::cargo_bin("chainplan"))
        .args(args)
        .current_dir("/")
        .env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config")
        .env_remove("OPENBLAS_NUM_THREADS")
        .env_remove("OMP_NUM_THREADS")
        .env_remove("GOTO_NUM_THREADS")
        .uid(65534)
        .gid(65534);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Session 2, item 6: under `ulimit -u`, a thread count that cannot start is refused with one
/// line before OpenBLAS tries it (OpenBLAS started fewer workers without a word and then
/// waited for ever in its first product), and the count a command chooses by itself is
/// lowered to what starts.
#[test]
fn thread_counts_the_process_limit_cannot_hold_are_refused() {
    if !running_as_root() {
        eprintln!("skipped: RLIMIT_NPROC binds every process of a user but root's; run as root");
        return;
    }
    // `timeout` runs the program as its child: two processes of nobody before any thread.
    for args in [
        vec!["bench", "2", "3", "4", "-t", "4"],
        vec!["bench", "2", "3", "4", "--threads", "16"],
    ] {
        let out = under_process_limit(3, &args, &[]);
        let line = one_error_line(&out, &[]);
        assert!(line.contains("ulimit -u"), "{line}");
    }
    for (args, env) in [
        (
            vec!["bench", "2", "3", "4"],
            vec![("OPENBLAS_NUM_THREADS", "8")],
        ),
        (vec!["bench", "2", "3", "4"], vec![]),
        (vec!["plan", "3", "4", "5"], vec![]),
        (
            vec!["expr", "A * B", "--op", "A=3x3", "--op", "B=3x3", "--bench"],
            vec![("OPENBLAS_NUM_THREADS", "4")],
        ),
    ] {
        let out = under_process_limit(2, &args, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} {env:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} {env:?}: {stderr}");
    }
}
