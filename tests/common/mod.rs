//! Shared by the integration tests: oracles written independently of the library's planners,
//! and helpers that drive the `chainplan` binary as a user would.
#![allow(dead_code)]

use assert_cmd::Command;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// The textbook chain (CLRS 15.2): six matrices, cheapest order ((A1(A2A3))((A4A5)A6)).
pub const TEXTBOOK: [&str; 7] = ["30", "35", "15", "5", "10", "20", "25"];

/// The `chainplan` binary in a test environment: `RUST_BACKTRACE=1`, so that an error path
/// which printed a backtrace would show it, and a configuration directory that does not
/// exist, so that no test reads or writes the developer's real GEMM profile (tests that want
/// one set `XDG_CONFIG_HOME` again).
pub fn chainplan() -> Command {
    let mut cmd = Command::cargo_bin("chainplan").unwrap();
    cmd.current_dir(repo_root());
    cmd.env("RUST_BACKTRACE", "1");
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-chainplan-config");
    cmd
}

/// The repository's root (where `data/` is), from the root package's tests or `cli/`'s.
pub fn repo_root() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.join("data").is_dir() {
        dir.to_path_buf()
    } else {
        dir.parent().expect("cli/ has a parent").to_path_buf()
    }
}

/// Runs `cmd`, asserts that it succeeded (showing its stderr if not) and parses its standard
/// output as JSON.
pub fn json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{cmd:?}: stdout is not JSON ({e})"))
}

/// `chainplan <command> <args> --json`, run and parsed by [`json`].
pub fn json_of(command: &str, args: &[&str]) -> Value {
    json(chainplan().arg(command).args(args).arg("--json"))
}

/// Runs `cmd` and asserts that it fails as every bad input must: exit status 2, nothing on
/// standard output, and on stderr exactly one line, starting `error: `, that contains
/// `needle` and shows no panic or backtrace. Returns the stderr.
pub fn fails_on(cmd: &mut Command, needle: &str) -> String {
    let (stdout, stderr) = fails_after_output(cmd, needle);
    assert!(stdout.is_empty(), "{cmd:?}: stdout {stdout}");
    stderr
}

/// As [`fails_on`], for a failure that comes after some output (tables printed before an
/// export could not be written): returns the stdout and the stderr.
pub fn fails_after_output(cmd: &mut Command, needle: &str) -> (String, String) {
    let (stdout, stderr) = refused(cmd, needle);
    assert!(stderr.starts_with("error: "), "{cmd:?}: {stderr}");
    assert!(
        stderr.ends_with('\n') && stderr.matches('\n').count() == 1,
        "{cmd:?}: not one line: {stderr}"
    );
    (stdout, stderr)
}

/// `chainplan <args>` fails by [`fails_on`]; returns the stderr.
pub fn fails(args: &[&str], needle: &str) -> String {
    fails_on(chainplan().args(args), needle)
}

/// Runs `cmd` and asserts that it is a usage error from the argument parser, refused as every
/// bad input is ([`fails_on`]: one `error:` line, exit status 2), and that the line points to
/// a `--help`. Returns the stderr.
pub fn usage_error(cmd: &mut Command, needle: &str) -> String {
    let stderr = fails_on(cmd, needle);
    assert!(stderr.contains("--help'"), "{cmd:?}: {stderr}");
    stderr
}

/// Runs `cmd` and asserts what every refusal shares: exit status 2, and on stderr an `error:`
/// message that contains `needle` and shows no panic or backtrace. Returns stdout and stderr.
fn refused(cmd: &mut Command, needle: &str) -> (String, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{cmd:?}: {stderr}");
    assert!(stderr.starts_with("error:"), "{cmd:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{cmd:?}: no {needle:?} in {stderr}"
    );
    assert!(!stderr.contains("panick"), "{cmd:?}: {stderr}");
    assert!(!stderr.contains("backtrace"), "{cmd:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// Cheapest and most expensive cost of multiplying a chain with dimensions `p`, by plain
/// top-down recursion with memoisation (a different formulation from the library's
/// bottom-up, anti-diagonal program).
pub fn oracle_min_max(p: &[u64]) -> (u128, u128) {
    let n = p.len() - 1;
    let mut memo = vec![None; n * n];
    let r = go(p, 0, n - 1, n, &mut memo);
    (r.0, r.1)
}

fn go(
    p: &[u64],
    i: usize,
    j: usize,
    n: usize,
    memo: &mut Vec<Option<(u128, u128)>>,
) -> (u128, u128) {
    if i == j {
        return (0, 0);
    }
    if let Some(v) = memo[i * n + j] {
        return v;
    }
    let mut lo = u128::MAX;
    let mut hi = 0u128;
    for k in i..j {
        let (l_lo, l_hi) = go(p, i, k, n, memo);
        let (r_lo, r_hi) = go(p, k + 1, j, n, memo);
        let here = p[i] as u128 * p[k + 1] as u128 * p[j + 1] as u128;
        lo = lo.min(l_lo.checked_add(r_lo).unwrap().checked_add(here).unwrap());
        hi = hi.max(l_hi.checked_add(r_hi).unwrap().checked_add(here).unwrap());
    }
    memo[i * n + j] = Some((lo, hi));
    (lo, hi)
}

/// Random dimensions drawn from one of several shapes of distribution.
pub fn random_dims(rng: &mut StdRng, dims: usize, kind: usize) -> Vec<u64> {
    (0..dims)
        .map(|i| match kind % 5 {
            0 => rng.random_range(1..=10),
            1 => rng.random_range(1..=1000),
            2 => [1, 2, 3, 50][rng.random_range(0..4)],
            3 => rng.random_range(1..=u32::MAX as u64),
            _ => (i as u64 % 7) * 13 + 1,
        })
        .collect()
}

/// A seeded generator.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}
