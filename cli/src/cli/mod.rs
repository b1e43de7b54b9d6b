//! Command-line interface: argument parsing (clap), tables (prettytable) and errors (anyhow).
//! Each subcommand lives in its own module and turns its arguments into library calls.

pub mod alloc;
mod bench;
mod blas;
mod calibrate;
mod expr;
mod grad;
mod input;
mod jacobian;
mod output;
mod plan;
mod shell;

use chainplan::error::ExecError;
use chainplan::text::quote;
use clap::error::{ContextKind, ErrorKind};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Plan, explain and run matrix chain products.
#[derive(Debug, Parser)]
#[command(
    name = "chainplan",
    version,
    about = "Find the cheapest order to multiply a chain of matrices, and explain it",
    long_about = "Find the cheapest order to multiply a chain of matrices A1 · A2 · … · An, \
                  where Ai is p(i-1) × pi, and compare it with left-to-right, right-to-left and \
                  the worst order. Costs are exact scalar-multiplication counts.",
    after_help = "Examples:\n  chainplan plan 30 35 15 5 10 20 25\n  chainplan plan --file data/textbook.txt --json\n  echo 10 100 5 50 | chainplan plan -\n  chainplan jacobian 784 512 512 10 --seed output\n  chainplan grad 'x^3*(x+3*y)' --at x=2,y=3 --trace\n  chainplan bench 1000 10 1000 10 1000\n  chainplan expr \"inv(X' * X) * X' * y\" --op X=2500x500:fullrank --op y=2500\n  chainplan completions bash > ~/.local/share/bash-completion/completions/chainplan\n\nEach command has its own --help with more examples."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Find the cheapest order for a chain and compare it with the usual orders.
    Plan(plan::PlanArgs),
    /// Plan a Jacobian chain: forward, reverse and mixed modes, matrix-free operators.
    Jacobian(jacobian::JacobianArgs),
    /// Value and gradient of a formula by forward and reverse mode, with their costs.
    Grad(grad::GradArgs),
    /// Time the optimal, left-to-right and right-to-left orders (or all) on this machine's BLAS.
    Bench(bench::BenchArgs),
    /// Measure this machine's GEMM times for `plan --cost time`.
    Calibrate(calibrate::CalibrateArgs),
    /// Plan a generalized chain: transposes, inverses as solves, structured operands.
    Expr(expr::ExprArgs),
    /// Print the completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(shell::CompletionsArgs),
    /// Print the manual page chainplan(1) in roff.
    Man(shell::ManArgs),
}

/// Exit status for bad input or usage (as clap uses for usage errors).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Runs the tool and maps errors to one line on standard error and exit status 2.
pub fn main() -> ExitCode {
    blas::restore_environment();
    output::install_panic_hook();
    // `--version` also names the BLAS and LAPACK in use and its thread count (`-V` is short).
    let parsed = Cli::command()
        .long_version(shell::long_version())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // Help and version go to standard output with status 0, as clap prints them.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {}", usage_error(&e, std::env::args_os().skip(1)));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let result = match cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Jacobian(args) => jacobian::run(args),
        Command::Grad(args) => grad::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Expr(args) => expr::run(args),
        Command::Completions(args) => shell::completions(args, Cli::command()),
        Command::Man(args) => shell::man(args, Cli::command()),
    };
    match result {
        Ok(code) => {
            output::release_warnings();
            code
        }
        Err(e) => {
            // The error is the one line: warnings held back until now are dropped.
            eprintln!("error: {}", output::one_line(&e));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// A usage error of the argument parser as one line that names the flag or value and points to
/// the command's `--help`, instead of clap's several lines of usage and tips. `args` are the
/// arguments after the program name, to find the subcommand.
fn usage_error(e: &clap::Error, args: impl Iterator<Item = std::ffi::OsString>) -> String {
    let get = |kind| e.get(kind).map(|v| v.to_string());
    let arg = get(ContextKind::InvalidArg).unwrap_or_default();
    let commands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let message = match e.kind() {
        ErrorKind::UnknownArgument => {
            let mut m = format!("unexpected argument {}", quote(&arg));
            if let Some(s) = get(ContextKind::SuggestedArg) {
                m.push_str(&format!(" (did you mean '{s}'?)"));
            }
            m
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = get(ContextKind::InvalidValue).unwrap_or_default();
            let mut m = if value.is_empty() {
                format!("{arg} needs a value")
            } else {
                format!("invalid value {} for {arg}", quote(&value))
            };
            match (get(ContextKind::ValidValue), std::error::Error::source(e)) {
                (Some(valid), _) if !valid.is_empty() => {
                    m.push_str(&format!("; valid values are: {valid}"))
                }
                (_, Some(source)) if !value.is_empty() => m.push_str(&format!(": {source}")),
                _ => {}
            }
            m
        }
        ErrorKind::ArgumentConflict => match get(ContextKind::PriorArg) {
            Some(prior) => format!("{arg} cannot be used with {prior}"),
            None => format!("{arg} cannot be used with one of the other arguments"),
        },
        ErrorKind::MissingRequiredArgument => format!("missing required argument {arg}"),
        ErrorKind::InvalidSubcommand => format!(
            "unknown command {}; the commands are: {}",
            quote(&get(ContextKind::InvalidSubcommand).unwrap_or_default()),
            commands.join(", ")
        ),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            format!(
                "no command given; the commands are: {}",
                commands.join(", ")
            )
        }
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_string(),
        _ => {
            // Any other kind: clap's own first line, without its `error: ` and bounded.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid usage");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let mut bounded: String = first
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            if first.chars().count() > 200 {
                bounded.push('…');
            }
            bounded
        }
    };
    // The subcommand, if the arguments name one: its --help is the one to read.
    let sub = args
        .filter_map(|a| a.into_string().ok())
        .find(|a| commands.contains(a));
    match sub {
        Some(sub) => format!("{message}; see 'chainplan {sub} --help'"),
        None => format!("{message}; see 'chainplan --help'"),
    }
}

/// Ends the process with `code` once standard output and error are flushed, without running
/// the C library's exit handlers: OpenBLAS's handler waits for its thread pool, which under a
/// memory limit can spin forever on a failed allocation, and no command needs it.
pub fn exit(code: ExitCode) -> ! {
    blas::exit_now(if code == ExitCode::SUCCESS {
        0
    } else if code == ExitCode::FAILURE {
        1
    } else {
        i32::from(EXIT_BAD_INPUT)
    })
}

/// A library error about a parameter (`rounds`, `seconds_per_shape`) in terms of the flag
/// that set it: `flags` pairs each parameter with its flag; other errors pass through.
pub(crate) fn in_flags(e: chainplan::Error, flags: &[(&str, &str)]) -> anyhow::Error {
    match e {
        chainplan::Error::InvalidParameter {
            name,
            value,
            expected,
        } => match flags.iter().find(|(param, _)| *param == name) {
            Some((_, flag)) => anyhow::anyhow!("{flag} is {value}; it must be {expected}"),
            None => chainplan::Error::InvalidParameter {
                name,
                value,
                expected,
            }
            .into(),
        },
        e @ chainplan::Error::Exec(ExecError::CalibrationMemory {
            max_dim,
            needed_bytes,
            usable_bytes,
        }) => match flags.iter().find(|(param, _)| *param == "max_dim") {
            Some((_, flag)) => anyhow::anyhow!(
                "calibrating up to size {max_dim} needs about {needed_bytes} bytes of operands, \
                 over half of the {usable_bytes} bytes that can be had; use a smaller largest \
                 size ({flag})"
            ),
            None => e.into(),
        },
        e => e.into(),
    }
}
