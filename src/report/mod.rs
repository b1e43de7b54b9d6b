//! Reports: what a command found, as tables for people and as serde data for programs.
//!
//! Every report implements [`Report`](crate::table::Report): its JSON form and a list of
//! [`Table`](crate::table::Table)s. The exporters
//! in [`export`] (JSON, Markdown, CSV) work on any report, so `plan`, `bench` and the other
//! commands share one set of exporters, in the manner of hyperfine's `--export-*` options.
//!
//! [`crate::handoff`] is different: not a report but the plan itself, in a versioned JSON format that
//! other engines (Dask, Spark) execute.

#[cfg(feature = "benchmark")]
mod bench_report;
pub mod dot;
pub mod export;
mod plan_report;
mod profile_report;

pub use export::{ExportFormat, Exporter};
pub use plan_report::{
    Comparison, GoalReport, PlanReport, StepReport, STEPS_MAX_MATRICES, WORST_MAX_MATRICES,
};
pub use profile_report::ProfileReport;
