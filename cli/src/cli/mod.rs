//! Command-line interface: argument parsing (clap), tables (prettytable) and errors (anyhow).
//! Each subcommand lives in its own module and turns its arguments into library calls.

mod bench;
mod calibrate;
mod grad;
mod input;
mod jacobian;
mod output;
mod plan;

use clap::{Parser, Subcommand};
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
    after_help = "Examples:\n  chainplan plan 30 35 15 5 10 20 25\n  chainplan plan --file data/textbook.txt --json\n  echo 10 100 5 50 | chainplan plan -\n  chainplan jacobian 784 512 512 10 --seed output\n  chainplan grad 'x^3*(x+3*y)' --at x=2,y=3 --trace\n  chainplan bench 1000 10 1000 10 1000\n\nEach command has its own --help with more examples."
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
}

/// Exit status for bad input or usage (as clap uses for usage errors).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Runs the tool and maps errors to one line on standard error and exit status 2.
pub fn main() -> ExitCode {
    output::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with status 0, usage errors with 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let result = match cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Jacobian(args) => jacobian::run(args),
        Command::Grad(args) => grad::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Calibrate(args) => calibrate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", output::one_line(&e));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
