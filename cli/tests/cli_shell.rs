//! `chainplan completions`, `chainplan man` and `--version` as a user runs them.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{chainplan, fails, fails_on};
use std::process::{Command, Stdio};

/// The commands the tool itself lists when none is given (its usage error names them all).
fn commands() -> Vec<String> {
    let stderr = fails(&[], "no command given");
    let list = stderr
        .split("the commands are: ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the list of commands");
    list.split(", ").map(str::to_string).collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = chainplan()
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stderr.is_empty(), "{args:?}: {:?}", out.stderr);
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Runs `shell -n` on the script (syntax check only) if the shell is installed.
fn syntax_ok(shell: &str, flag: &str, script: &str) -> Option<bool> {
    let mut child = Command::new(shell)
        .arg(flag)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    use std::io::Write;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    Some(child.wait().ok()?.success())
}

#[test]
fn bash_completions_parse_and_name_every_command() {
    let script = stdout_of(&["completions", "bash"]);
    assert_eq!(
        syntax_ok("bash", "-n", &script),
        Some(true),
        "bash -n failed"
    );
    for command in commands() {
        assert!(script.contains(&command), "{command} not completed");
    }
    for option in ["--algorithm", "--export-plan", "--max-intermediate"] {
        assert!(script.contains(option), "{option} not completed");
    }
}

#[test]
fn zsh_and_fish_completions_name_every_command() {
    for (shell, head) in [("zsh", "#compdef chainplan"), ("fish", "")] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.starts_with(head), "{shell}: {}", &script[..40]);
        for command in commands() {
            assert!(
                script.contains(&command),
                "{shell}: {command} not completed"
            );
        }
        // Checked where the shell is installed; skipped (not failed) where it is not.
        if let Some(ok) = syntax_ok(shell, "-n", &script) {
            assert!(ok, "{shell} -n failed");
        }
    }
}

#[test]
fn an_unknown_shell_is_one_error_line() {
    let stderr = fails_on(chainplan().args(["completions", "tcsh"]), "'tcsh'");
    assert!(
        stderr.contains("bash, elvish, fish, powershell, zsh"),
        "{stderr}"
    );
}

#[test]
fn the_man_page_is_roff_and_documents_every_command() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH chainplan 1"), "{}", &page[..80]);
    for command in commands() {
        assert!(
            page.contains(&command),
            "{command} missing from the man page"
        );
    }
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    assert!(stdout_of(&["man", "--dir", path]).is_empty());
    let mut expected: Vec<String> = commands()
        .iter()
        .map(|c| format!("chainplan-{c}.1"))
        .collect();
    expected.push("chainplan.1".to_string());
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(written, expected);
    let plan = std::fs::read_to_string(dir.path().join("chainplan-plan.1")).unwrap();
    assert!(plan.contains(".TH chainplan-plan 1") && plan.contains("max\\-intermediate"));
}

#[test]
fn man_dir_that_does_not_exist_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such");
    fails_on(
        chainplan().args(["man", "--dir", missing.to_str().unwrap()]),
        "cannot write",
    );
}

#[test]
fn version_names_the_blas_lapack_and_threads() {
    let text = stdout_of(&["--version"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("chainplan {}", env!("CARGO_PKG_VERSION")),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.starts_with("BLAS: ")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("LAPACK: ")), "{text}");
    let threads: usize = lines
        .iter()
        .find_map(|l| l.strip_prefix("BLAS threads: "))
        .expect("a thread count")
        .parse()
        .unwrap();
    assert!(threads >= 1);
    // With OPENBLAS_NUM_THREADS set, the count is the one in force.
    if cfg!(feature = "openblas") {
        let out = chainplan()
            .arg("--version")
            .env("OPENBLAS_NUM_THREADS", "1")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("BLAS threads: 1\n"));
    }
    // -V stays the short form: the version alone.
    assert_eq!(
        stdout_of(&["-V"]),
        format!("chainplan {}\n", env!("CARGO_PKG_VERSION"))
    );
}
