//! `chainplan grad`: value and gradient of a formula, by forward and by reverse mode.

use super::output::{emit, render_table, render_tables};
use anyhow::{Context, Result};
use chainplan::autodiff::{dot::to_dot, parse::parse_point, GradReport, Tape};
use chainplan::table::Report;
use std::process::ExitCode;

/// Arguments of `chainplan grad`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Differentiate a formula at a point by automatic differentiation, in forward mode \
                  (one tangent sweep per input) and in reverse mode (one adjoint sweep), and compare \
                  what each costs in operations (one arithmetic operation or function call each).\n\n\
                  Syntax: numbers (2, 0.5, 1e-3), variables (x, y2, rate_1), + - * / ^ with the \
                  usual precedence (^ is right-associative and binds tighter than a leading minus: \
                  -x^2 is -(x^2)), parentheses, and the functions sin cos tan exp log sqrt tanh abs \
                  and pow(a, b). Domain errors (division by zero, log of a non-positive number, \
                  overflow, a point where a derivative is infinite) are reported, never returned \
                  as NaN or infinity.",
    after_help = "Examples:\n  chainplan grad 'x^3*(x+3*y)' --at x=2,y=3\n  chainplan grad 'x^3*(x+3*y)' --at x=2,y=3 --trace\n  chainplan grad 'sin(x)*exp(-y^2)' --at x=1,y=0.5 --json\n  chainplan grad 'x^3*(x+3*y)' --at x=2,y=3 --dot | dot -Tsvg > graph.svg"
)]
pub struct GradArgs {
    /// The formula, such as 'x^3*(x+3*y)' (quote it for the shell).
    #[arg(value_name = "EXPRESSION", allow_hyphen_values = true)]
    expression: String,

    /// The point: a value for every variable, as NAME=VALUE pairs separated by commas
    /// (repeatable: --at x=2 --at y=3).
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    at: Vec<String>,

    /// Also print the forward pass node by node (operation, value, forward mode's tangents)
    /// and the backward pass (each node's adjoint and how it is summed).
    #[arg(long)]
    trace: bool,

    /// Print the report as one JSON object (keys: expression, at, value, gradient,
    /// function_operations, nodes, forward and reverse with sweeps, operations, ratio).
    #[arg(long, conflicts_with_all = ["dot", "trace"])]
    json: bool,

    /// Print the computational graph in Graphviz DOT instead (nodes with operation, value and
    /// adjoint; edges with local partial derivatives).
    #[arg(long, conflicts_with = "trace")]
    dot: bool,
}

/// Runs `chainplan grad`.
pub fn run(args: GradArgs) -> Result<ExitCode> {
    let tape = Tape::parse(&args.expression)?;
    let mut bindings = Vec::new();
    for at in &args.at {
        bindings.extend(
            parse_point(at).with_context(|| format!("in --at {}", chainplan::text::quote(at)))?,
        );
    }
    let point = tape.point(&bindings)?;
    let (report, rev) = GradReport::compute(&tape, &point)?;
    if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else if args.dot {
        emit(&to_dot(&tape, &rev))?;
    } else {
        emit(&render_tables(&report))?;
        if args.trace {
            for table in GradReport::trace_tables(&tape, &point, &rev)? {
                emit(&render_table(&table))?;
                emit("\n")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
