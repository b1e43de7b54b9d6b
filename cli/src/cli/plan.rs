//! `chainplan plan`: the cheapest order and how it compares.

use super::calibrate::profile_path;
use super::input::ChainInput;
use super::output::{emit, render_tables, write_to, ExportArgs};
use anyhow::{bail, Result};
use chainplan::cost::{
    parse_memory_size, CostModel, ElementType, MachineInfo, Minimize, Profile, TimeModel,
};
use chainplan::error::PlanError;
use chainplan::handoff::HandoffPlan;
use chainplan::report::{dot::plan_to_dot, PlanReport, STEPS_MAX_MATRICES};
use chainplan::table::Report;
use chainplan::{Algorithm, Error, PlanRequest};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `chainplan plan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  chainplan plan 30 35 15 5 10 20 25\n  chainplan plan --file data/textbook.txt --json\n  chainplan plan 10 100 5 50 --dot | dot -Tsvg > plan.svg\n  chainplan plan 4000 2000 6000 2000 4000 --export-plan plan.json\n  chainplan plan 4000 2000 6000 2000 4000 --export-plan -   # only the plan, on stdout\n  chainplan plan --file million.txt --algorithm hu-shing\n  chainplan plan --file data/random-200.txt --algorithm approx\n  \
                  chainplan plan 1 10 200 10 --max-intermediate 150\n  \
                  chainplan plan 1000 10 1000 10 1000 --max-memory 64KiB --dtype f32\n  \
                  chainplan plan 30 35 15 5 10 20 25 --minimize memory\n  \
                  chainplan calibrate && chainplan plan 1000 10 1000 10 1000 --cost time\n  \
                  chainplan plan 6 8 1238 24 --cost time --min-gain 1   # trust the model fully"
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

    #[command(flatten)]
    export: ExportArgs,

    /// Print the plan tree in Graphviz DOT instead of tables.
    #[arg(long)]
    dot: bool,

    /// Write the plan in the versioned hand-off format (JSON, see docs/plan-format.md) to
    /// FILE, for other engines such as Dask or Spark to execute. With `-` the plan is written
    /// to standard output instead of the tables.
    #[arg(long, value_name = "FILE")]
    export_plan: Option<PathBuf>,

    /// What each product costs: `flops` (scalar multiplications, exact) or `time` (seconds
    /// predicted from the GEMM profile that `chainplan calibrate` measured).
    #[arg(long, default_value = "flops", value_name = "MODEL",
          value_parser = ["flops", "time"], help_heading = "Cost models")]
    cost: String,

    /// GEMM profile for --cost time [default: the one `chainplan calibrate` saved]. Given with
    /// --cost flops, predicted times are shown beside the flops.
    #[arg(long, value_name = "PATH", help_heading = "Cost models")]
    profile: Option<PathBuf>,

    /// With --cost time: keep the flop-optimal plan unless the time-optimal one is predicted
    /// to be more than this many times faster; 1 trusts the model fully [default: from the
    /// profile's prediction errors, at least 1.2; `calibrate` prints it].
    #[arg(long, value_name = "X", help_heading = "Cost models")]
    min_gain: Option<f64>,

    /// Largest allowed intermediate, in elements: every product's result except the final
    /// one must hold at most this many. The plan is the cheapest that fits (exact).
    #[arg(
        long,
        value_name = "ELEMENTS",
        conflicts_with = "max_memory",
        help_heading = "Cost models"
    )]
    max_intermediate: Option<u128>,

    /// Largest allowed intermediate in bytes of --dtype elements: 4096, 512KiB, 2GiB, 1.5GB
    /// (KB/MB/GB are powers of 1000; K/M/G and KiB/MiB/GiB powers of 1024).
    #[arg(long, value_name = "SIZE", help_heading = "Cost models")]
    max_memory: Option<String>,

    /// What to minimise first: `cost` (under --cost), or `memory` (the smallest largest
    /// intermediate, then the lowest cost among those plans).
    #[arg(long, default_value = "cost", value_name = "WHAT",
          value_parser = ["cost", "memory"], help_heading = "Cost models")]
    minimize: String,

    /// Element type: f64 or f32 (for --max-memory and the time profile).
    #[arg(
        long,
        default_value = "f64",
        value_name = "TYPE",
        help_heading = "Cost models"
    )]
    dtype: String,
}

impl PlanArgs {
    /// The time model, when --cost time or --profile asks for one.
    fn time_model(&self, dtype: ElementType) -> Result<Option<TimeModel>> {
        if self.cost != "time" && self.profile.is_none() {
            return Ok(None);
        }
        let path = profile_path(self.profile.as_ref())?;
        let profile = Profile::load(&path)?;
        let here = MachineInfo::detect();
        // `plan` multiplies nothing and runs no BLAS thread: compare with the threads that
        // `bench` and `calibrate` would run.
        let threads = super::blas::default_threads();
        if profile.machine.cpu != here.cpu || profile.machine.threads != threads {
            super::output::warn(format!(
                "the profile {} was measured on {} with {} BLAS threads; this machine is {} with {}. \
                 Run `chainplan calibrate` here for trustworthy predictions.",
                chainplan::text::quote_path(&path),
                chainplan::text::quote(&profile.machine.cpu),
                profile.machine.threads,
                here.cpu,
                threads
            ));
        }
        Ok(Some(profile.model(dtype)?))
    }

    /// The library's errors, which speak of parameters, in this command's flags.
    fn in_flags(&self, e: Error) -> anyhow::Error {
        match (e, &self.max_memory) {
            (
                Error::Plan(PlanError::NoPlanFitsMemory {
                    max_bytes,
                    element_type,
                    least_bytes,
                }),
                Some(size),
            ) => {
                anyhow::anyhow!(
                    "no order keeps every intermediate within --max-memory {} ({max_bytes} bytes \
                     of {element_type}); the least that some order needs is {least_bytes} bytes",
                    chainplan::text::quote(size),
                )
            }
            (Error::Plan(PlanError::MinGainWithoutTime), _) => {
                anyhow::anyhow!("--min-gain applies to plans by predicted time; add --cost time")
            }
            (Error::Plan(PlanError::NeedsExactPlanner { algorithm }), _) => anyhow::anyhow!(
                "--cost, --profile, --max-intermediate, --max-memory and --minimize need the exact \
                 planner dp (or auto); drop --algorithm {algorithm} or use --algorithm dp"
            ),
            (e, _) => e.into(),
        }
    }

    /// The plan request the options describe (checked before the chain is read).
    fn request(&self) -> Result<PlanRequest> {
        let algorithm: Algorithm = self.algorithm.parse()?;
        let dtype: ElementType = self.dtype.parse()?;
        let mut request = PlanRequest::new().algorithm(algorithm).element_type(dtype);
        if let Some(model) = self.time_model(dtype)? {
            request = match self.cost.as_str() {
                "time" => request.cost(CostModel::Time(model)),
                _ => request.predict_with(model),
            };
        }
        if let Some(x) = self.min_gain {
            request = request.min_gain(x);
        }
        if let Some(cap) = self.max_intermediate {
            request = request.max_intermediate(cap);
        }
        if let Some(size) = &self.max_memory {
            request = request.max_memory(parse_memory_size(size)?);
        }
        request = request.minimize(self.minimize.parse::<Minimize>()?);
        request.validate().map_err(|e| self.in_flags(e))?;
        Ok(request)
    }
}

/// Runs `chainplan plan`.
pub fn run(args: PlanArgs) -> Result<ExitCode> {
    let plan_to_stdout = args.export_plan.as_deref() == Some(Path::new("-"));
    if plan_to_stdout && (args.json || args.dot) {
        bail!("--export-plan - writes the plan to standard output, which --json and --dot also use; write the plan to a file instead");
    }
    let main_output = (args.json.then_some("--json")).or(args.dot.then_some("--dot"));
    let export_to_stdout = args.export.check(
        &[("--export-plan", args.export_plan.as_deref())],
        main_output,
    )?;
    let request = args.request()?;
    let chain = args.input.read()?;
    let steps = args.steps || chain.matrices() <= STEPS_MAX_MATRICES;
    let planned = request.plan(&chain).map_err(|e| args.in_flags(e))?;
    let mut report = PlanReport::from_plan_with_steps(&planned.plan, &planned.planner, steps)?;
    if let Some(goal) = &planned.goal {
        report = report.with_goal(goal, planned.time.as_ref(), planned.fastest.as_ref())?;
    }
    let plan = planned.plan;
    if export_to_stdout {
        // Standard output is the plan or the export alone, so that programs can read it.
    } else if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else if args.dot {
        emit(&plan_to_dot(&plan))?;
    } else {
        emit(&render_tables(&report))?;
    }
    args.export.write(&report)?;
    if let Some(path) = &args.export_plan {
        let mut text = HandoffPlan::from_plan(&plan)?.to_json()?;
        text.push('\n');
        write_to(path, &text)?;
    }
    Ok(ExitCode::SUCCESS)
}
