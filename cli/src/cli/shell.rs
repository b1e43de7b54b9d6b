//! What fits the tool into a shell: `chainplan completions SHELL` and `chainplan man`, both
//! generated from the argument parser itself (clap_complete, clap_mangen), and the long
//! `--version` text that names the BLAS and LAPACK the binary runs on.

use anyhow::{Context, Result};
use chainplan::system;
use clap_complete::Shell;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `chainplan completions`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Print the completion script for a shell on standard output. Save it where \
                  the shell looks for completions (see `make install` or the README), or \
                  load it in the running shell.",
    after_help = "Examples:\n  chainplan completions bash > ~/.local/share/bash-completion/completions/chainplan\n  chainplan completions zsh > ~/.zfunc/_chainplan\n  chainplan completions fish > ~/.config/fish/completions/chainplan.fish\n  source <(chainplan completions bash)"
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Arguments of `chainplan man`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Print the manual page chainplan(1), in roff, on standard output; with --dir, \
                  write it and one page per command (chainplan-plan.1, …) into a directory.",
    after_help = "Examples:\n  chainplan man | man -l -\n  chainplan man --dir ~/.local/share/man/man1"
)]
pub struct ManArgs {
    /// Write chainplan.1 and a page per command (chainplan-plan.1, …) into this existing
    /// directory instead of printing chainplan.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Writes the completion script for `args.shell` of the command `cmd` to standard output.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "chainplan", &mut out);
    write_stdout(&out)
}

/// Writes the man page of the command `cmd` to standard output, or it and one page per
/// subcommand into `args.dir` (each through a temporary file renamed into place).
pub fn man(args: ManArgs, cmd: clap::Command) -> Result<ExitCode> {
    let Some(dir) = args.dir else {
        return write_stdout(&render(cmd)?);
    };
    let mut cmd = cmd;
    cmd.build();
    let mut pages = vec![("chainplan.1".to_string(), render(cmd.clone())?)];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("chainplan-{}", sub.get_name());
        let page = render(sub.clone().name(name.clone()))?;
        pages.push((format!("{name}.1"), page));
    }
    for (file, page) in pages {
        chainplan::fsio::write_atomic(&dir.join(file), &page)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .context("cannot render the man page")?;
    Ok(out)
}

fn write_stdout(bytes: &[u8]) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

/// The text after the name for `--version`: the version, then the BLAS and LAPACK this binary
/// runs on (as the library describes them) and the BLAS's thread count.
pub fn long_version() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let blas = system::blas_name();
    let lapack = if cfg!(feature = "openblas") {
        "OpenBLAS's own (the library above)"
    } else {
        "none (built without the openblas feature: plans with solves cannot run)"
    };
    let threads = system::blas_threads();
    format!("{version}\nBLAS: {blas}\nLAPACK: {lapack}\nBLAS threads: {threads}")
}
