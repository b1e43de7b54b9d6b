//! `chainplan bench`: time every order of a chain on this machine's BLAS.

use super::calibrate::default_profile_path;
use super::input::ChainInput;
use super::output::{emit, render_tables, ExportArgs};
use anyhow::{bail, Result};
use chainplan::cost::{parse_memory_size, ElementType, Goal, Profile};
use chainplan::exec::bench::{run_bench, BenchOptions, BenchProgress, BenchReport};
use chainplan::system;
use chainplan::table::Report;
use chainplan::Chain;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `chainplan bench`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Create random operands for a chain (uniform in [-1, 1), seeded), multiply them \
                  in the optimal order, left to right and right to left (with --all, in every \
                  order), and compare the measured times with what the flop counts predict. \
                  Every order's product is checked against the optimal one's.",
    after_help = "Examples:\n  chainplan bench 1000 10 1000 10 1000\n  chainplan bench 1 512 512 512 784 --reps 20\n  chainplan bench 100 20 300 5 80 --all --dtype f32\n  chainplan bench 1500 1500 1500 1500 1500 1500 --threads 1 --json\n\nEnvironment: OPENBLAS_NUM_THREADS sets the BLAS thread count unless --threads is given."
)]
pub struct BenchArgs {
    #[command(flatten)]
    input: ChainInput,

    /// Timed runs of each order (the table shows their median and minimum): 1 to 100000.
    #[arg(short, long, default_value_t = 5, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    reps: usize,

    /// Untimed warm-up runs of each order before the timed ones: 0 to 100000.
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=100_000))]
    warmup: usize,

    /// Seed of the random operands.
    #[arg(long, default_value_t = 42, value_name = "N")]
    seed: u64,

    /// Also run every parenthesization (chains of at most 8 matrices).
    #[arg(long)]
    all: bool,

    /// Element type: f64 or f32.
    #[arg(long, default_value = "f64", value_name = "TYPE", value_parser = ["f64", "f32"])]
    dtype: String,

    /// BLAS threads (default: OPENBLAS_NUM_THREADS, else OpenBLAS's own choice): 1 to the
    /// most the BLAS was built for (OpenBLAS's MAX_THREADS, shown in the report's header);
    /// more is refused, not clamped.
    #[arg(short, long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,

    /// Refuse to start above this much memory (operands, two products, the largest workspace),
    /// in bytes or with a unit: K, M, G, T or KiB … TiB (powers of 1024), KB … TB (powers of
    /// 1000). Default: half the memory that can be had (available memory, and the address-space
    /// limit of `ulimit -v`).
    #[arg(long, value_name = "SIZE")]
    max_memory: Option<String>,

    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    export: ExportArgs,

    /// GEMM profile from `chainplan calibrate` [default: the saved one, if any]. With a
    /// profile, the time-optimal plan (`plan --cost time`) is run too, as `time-optimal`, and
    /// a column shows each order's predicted time beside its measurement.
    #[arg(long, value_name = "PATH")]
    profile: Option<PathBuf>,

    /// The time-optimal row keeps the flop-optimal plan unless the model predicts more than
    /// this gain, as `plan --cost time --min-gain X` does [default: as there]; 1 runs the
    /// plan the model prefers whatever its margin.
    #[arg(long, value_name = "X")]
    min_gain: Option<f64>,
}

/// The header line: what a reader needs to trust the figures.
fn header(chain: &Chain, report: &BenchReport) -> String {
    let dims: Vec<String> = chain.dims().iter().map(|d| d.to_string()).collect();
    format!(
        "chainplan bench {} | {} | BLAS: {} | threads: {} | CPU: {} | seed {} | memory {}\n\n",
        dims.join(" "),
        report.dtype,
        report.blas,
        report.threads,
        report.cpu.as_deref().unwrap_or("unknown"),
        report.seed,
        bytes(report.memory_bytes),
    )
}

fn bytes(b: u128) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A progress bar on standard error that appears only after a second, and only on a terminal.
struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
    terminal: bool,
}

impl Progress {
    fn new() -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress {
            bar,
            start: Instant::now(),
            shown: false,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn update(&mut self, p: BenchProgress<'_>) {
        self.bar.set_length(p.total as u64);
        self.bar.set_position(p.done as u64);
        if !self.shown && self.terminal && self.start.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        if self.shown {
            self.bar.set_message(p.order.to_string());
        }
    }

    fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Runs `chainplan bench`.
pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let export_to_stdout = args.export.check(&[], args.json.then_some("--json"))?;
    let chain = args.input.read()?;
    super::blas::start_threads(args.threads, "--threads")?;
    let max_memory = match &args.max_memory {
        Some(text) => match parse_memory_size(text)? {
            0 => bail!("--max-memory must be more than 0 bytes"),
            bytes => bytes,
        },
        None => system::usable_memory().map_or(4 << 30, |m| u128::from(m) / 2),
    };
    // The time model: from --profile (which must exist), else the saved profile if any.
    let dtype: ElementType = args.dtype.parse()?;
    let model = match &args.profile {
        Some(path) => Some(Profile::load(path)?.model(dtype)?),
        // The saved profile is optional here: one that cannot be used is a warning.
        None => match default_profile_path() {
            Ok(path) if path.exists() => match Profile::load(&path).and_then(|p| p.model(dtype)) {
                Ok(model) => Some(model),
                Err(e) => {
                    super::output::warn(format!(
                        "not using the saved GEMM profile ({}); `chainplan calibrate` measures \
                         a new one",
                        super::output::one_line(&e.into())
                    ));
                    None
                }
            },
            _ => None,
        },
    };
    if args.min_gain.is_some() && model.is_none() {
        bail!(
            "--min-gain applies to the time-optimal row, which needs a GEMM profile: run \
             `chainplan calibrate` or pass --profile PATH"
        );
    }
    let extra = match &model {
        Some(m) => vec![(
            "time_optimal".to_string(),
            match args.min_gain {
                Some(g) => Goal::time(m.clone()).with_min_gain(g),
                None => Goal::time(m.clone()),
            }
            .plan(&chain)?,
        )],
        None => Vec::new(),
    };
    let options = BenchOptions {
        reps: args.reps,
        warmup: args.warmup,
        seed: args.seed,
        all: args.all,
        max_memory: Some(max_memory),
        extra,
    };
    let mut progress = Progress::new();
    let report = match args.dtype.as_str() {
        "f32" => run_bench::<f32>(&chain, &options, &mut |p| progress.update(p)),
        _ => run_bench::<f64>(&chain, &options, &mut |p| progress.update(p)),
    };
    progress.finish();
    let mut report =
        report.map_err(|e| super::in_flags(e, &[("reps", "--reps"), ("warmup", "--warmup")]))?;
    if let Some(m) = &model {
        report.predict(m)?;
    }
    if export_to_stdout {
        // Standard output is the export alone, so that programs can read it.
    } else if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else {
        emit(&header(&chain, &report))?;
        emit(&render_tables(&report))?;
    }
    args.export.write(&report)?;
    // Orders that disagree (or a product that overflows the element type) end as every
    // failure does: one line, status 2.
    report.check()?;
    Ok(ExitCode::SUCCESS)
}
