//! `chainplan plan`: the cheapest order and how it compares.

use super::input::ChainInput;
use super::output::{emit, export, render_tables, write_to};
use anyhow::{bail, Result};
use chainplan::report::{
    dot::plan_to_dot, ExportFormat, HandoffPlan, PlanReport, Report, STEPS_MAX_MATRICES,
};
use chainplan::Algorithm;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `chainplan plan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  chainplan plan 30 35 15 5 10 20 25\n  chainplan plan --file data/textbook.txt --json\n  chainplan plan 10 100 5 50 --dot | dot -Tsvg > plan.svg\n  chainplan plan 4000 2000 6000 2000 4000 --export-plan plan.json\n  chainplan plan 4000 2000 6000 2000 4000 --export-plan -   # only the plan, on stdout\n  chainplan plan --file million.txt --algorithm hu-shing\n  chainplan plan --file data/random-200.txt --algorithm approx"
)]
pub struct PlanArgs {
    #[command(flatten)]
    input: ChainInput,

    /// Planner: auto (exact: dp for short chains, hu-shing for long ones), dp (exact, O(n³)),
    /// hu-shing (exact, O(n log n)), approx (O(n), within 1.155 × optimal), left-to-right,
    /// right-to-left.
    #[arg(short, long, default_value = "auto", value_name = "NAME")]
    algorithm: String,

    /// List every step even above 10,000 matrices (by default long chains list none; the
    /// JSON `order` is always there).
    #[arg(long)]
    steps: bool,

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

    /// Write the plan in the versioned hand-off format (JSON, see docs/plan-format.md) to
    /// FILE, for other engines such as Dask or Spark to execute. With `-` the plan is written
    /// to standard output instead of the tables.
    #[arg(long, value_name = "FILE")]
    export_plan: Option<PathBuf>,
}

/// Runs `chainplan plan`.
pub fn run(args: PlanArgs) -> Result<ExitCode> {
    let algorithm: Algorithm = args.algorithm.parse()?;
    let chain = args.input.read()?;
    // `auto` reports the planner it picked.
    let algorithm = algorithm.resolve(chain.matrices());
    let plan = algorithm.plan(&chain)?;
    let steps = args.steps || chain.matrices() <= STEPS_MAX_MATRICES;
    let report = PlanReport::from_plan_with_steps(&plan, algorithm.name(), steps)?;
    let plan_to_stdout = args.export_plan.as_deref() == Some(Path::new("-"));
    if plan_to_stdout && (args.json || args.dot) {
        bail!("--export-plan - writes the plan to standard output, which --json and --dot also use; write the plan to a file instead");
    }
    if plan_to_stdout {
        // Standard output is the plan alone, so that programs can read it.
    } else if args.json {
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
    if let Some(path) = &args.export_plan {
        let mut text = HandoffPlan::from_plan(&plan)?.to_json()?;
        text.push('\n');
        write_to(path, &text)?;
    }
    Ok(ExitCode::SUCCESS)
}
