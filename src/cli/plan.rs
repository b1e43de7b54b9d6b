//! `chainplan plan`: the cheapest order and how it compares.

use super::input::ChainInput;
use super::output::{emit, export, render_tables};
use anyhow::Result;
use chainplan::report::{dot::plan_to_dot, ExportFormat, PlanReport, Report};
use chainplan::Algorithm;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `chainplan plan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  chainplan plan 30 35 15 5 10 20 25\n  chainplan plan --file data/textbook.txt --json\n  chainplan plan 10 100 5 50 --dot | dot -Tsvg > plan.svg"
)]
pub struct PlanArgs {
    #[command(flatten)]
    input: ChainInput,

    /// Planner: dp (exact), left-to-right, right-to-left.
    #[arg(short, long, default_value = "dp", value_name = "NAME")]
    algorithm: String,

    /// Print the report as one JSON object instead of tables.
    #[arg(long, conflicts_with = "dot")]
    json: bool,

    /// Print the plan tree in Graphviz DOT instead of tables.
    #[arg(long)]
    dot: bool,

    /// Also write the report as JSON to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    export_json: Option<PathBuf>,

    /// Also write the report's tables as Markdown to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    export_markdown: Option<PathBuf>,

    /// Also write the compared orders as CSV to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    export_csv: Option<PathBuf>,
}

/// Runs `chainplan plan`.
pub fn run(args: PlanArgs) -> Result<ExitCode> {
    let algorithm: Algorithm = args.algorithm.parse()?;
    let chain = args.input.read()?;
    let plan = algorithm.plan(&chain)?;
    let report = PlanReport::from_plan(&plan, algorithm.name())?;
    if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else if args.dot {
        emit(&plan_to_dot(&plan))?;
    } else {
        emit(&render_tables(&report))?;
    }
    for (path, format) in [
        (&args.export_json, ExportFormat::Json),
        (&args.export_markdown, ExportFormat::Markdown),
        (&args.export_csv, ExportFormat::Csv),
    ] {
        if let Some(path) = path {
            export(&report, format, path)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
