//! `chainplan calibrate`: measure this machine's GEMM times and save them as a profile for
//! `plan --cost time`.

use super::output::{emit, render_tables};
use anyhow::{Context, Result};
use chainplan::cost::{ElementType, Profile};
use chainplan::exec::calibrate::{calibrate, CalibrateOptions};
use chainplan::report::ProfileReport;
use chainplan::table::Report;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `chainplan calibrate`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Time (m × k) · (k × n) matrix products, run as plans are run (BLAS gemm, or gemv when an operand is a vector), for every \
                  m, k, n on a grid of sizes (1, 2, 3, 4, 6, 8, 16, 31, 125, 500, 2000 by default: \
                  vectors, skinny blocks and squares), for f64 and f32, and save the timings as a JSON profile. \
                  Each shape is timed in several rounds, in random order, and the fastest \
                  time is kept, so that a slow moment of the machine does not bias one region \
                  of the grid. \
                  `chainplan plan --cost time` then plans by predicted time, interpolated from \
                  the profile. Random off-grid shapes are also timed to show how well the \
                  interpolation predicts. The default grid takes under a minute.",
    after_help = "Examples:\n  chainplan calibrate\n  chainplan calibrate --quick --profile gemm.json\n  chainplan calibrate --dtype f64 --max-dim 1024\n  OPENBLAS_NUM_THREADS=1 chainplan calibrate --profile one-thread.json"
)]
pub struct CalibrateArgs {
    /// Where to save the profile [default: chainplan/gemm-profile.json in the platform's
    /// config directory, e.g. ~/.config on Linux].
    #[arg(long, value_name = "PATH")]
    profile: Option<PathBuf>,

    /// Largest size on the grid (the grid is it, it/4, it/16, … down to above 16, then 16, 8,
    /// 6, 4, 3, 2, 1): 2 to 4096. Sizes that are not powers of two are measured more fairly
    /// (no cache aliasing between rows).
    #[arg(long, default_value_t = 2000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(2..=4096))]
    max_dim: u64,

    /// Element type to measure: f64, f32, or both.
    #[arg(long, default_value = "both", value_name = "TYPE")]
    dtype: String,

    /// Least time spent timing each shape, in seconds (over all rounds): 0 to 60.
    #[arg(long, default_value_t = 0.01, value_name = "S")]
    seconds_per_shape: f64,

    /// Passes over all shapes, each in a new random order; the fastest time is kept: 1 to 100.
    #[arg(long, default_value_t = 3, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100))]
    rounds: usize,

    /// Random off-grid shapes timed to check the model, per element type: 0 to 10000.
    #[arg(long, default_value_t = 64, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=10_000))]
    validation: usize,

    /// A fast, coarse profile: grid up to 256, 2 ms per shape (for trying things out).
    #[arg(long)]
    quick: bool,

    /// Print the saved profile as JSON instead of the summary tables.
    #[arg(long)]
    json: bool,
}

/// A 75th-percentile prediction error above this is worth a note after calibrating.
const ROUGH_MODEL: f64 = 0.2;

/// Where profiles live unless `--profile` says otherwise.
pub fn default_profile_path() -> Result<PathBuf> {
    let dir = dirs::config_dir()
        .context("cannot find the platform's config directory; pass --profile PATH")?;
    Ok(dir.join("chainplan").join("gemm-profile.json"))
}

/// The profile path to use: the one given, or the default.
pub fn profile_path(given: Option<&PathBuf>) -> Result<PathBuf> {
    match given {
        Some(p) => Ok(p.clone()),
        None => default_profile_path(),
    }
}

/// The calibration's parameters and the flags that set them, for the library's errors.
const FLAGS: [(&str, &str); 4] = [
    ("max_dim", "--max-dim"),
    ("seconds_per_shape", "--seconds-per-shape"),
    ("rounds", "--rounds"),
    ("validation_points", "--validation"),
];

/// Runs `chainplan calibrate`.
pub fn run(args: CalibrateArgs) -> Result<ExitCode> {
    let dtypes = match args.dtype.as_str() {
        "both" | "all" => ElementType::ALL.to_vec(),
        other => vec![other.parse::<ElementType>()?],
    };
    let mut options = CalibrateOptions {
        max_dim: args.max_dim,
        dtypes,
        seconds_per_shape: args.seconds_per_shape,
        rounds: args.rounds,
        validation_points: args.validation,
        ..CalibrateOptions::default()
    };
    if args.quick {
        options.max_dim = options.max_dim.min(256);
        options.seconds_per_shape = options.seconds_per_shape.min(0.002);
        options.validation_points = options.validation_points.min(8);
        options.rounds = options.rounds.min(2);
    }
    options.validate().map_err(|e| super::in_flags(e, &FLAGS))?;
    let path = profile_path(args.profile.as_ref())?;
    // Refuse an unwritable profile path before a minute of measuring, not after.
    Profile::prepare_save(&path)?;
    super::blas::start_threads(None, "")?;
    let machine = chainplan::cost::MachineInfo::detect();
    // A note for a person watching only: a failure after it would make two lines.
    if std::io::stderr().is_terminal() {
        eprintln!(
            "calibrating {} shapes of {} on {}",
            options.shapes(),
            options
                .dtypes
                .iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(" and "),
            machine.summary()
        );
    }
    // indicatif draws nothing when standard error is not a terminal.
    let bar = ProgressBar::new((options.shapes() * options.rounds) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} timings, {elapsed} (eta {eta})")
            .expect("valid template"),
    );
    let profile: Profile = calibrate(&options, &mut |done, _| bar.set_position(done as u64))
        .map_err(|e| super::in_flags(e, &FLAGS))?;
    bar.finish_and_clear();
    profile.save(&path)?;
    let report = ProfileReport { profile };
    if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else {
        emit(&render_tables(&report))?;
    }
    for d in &report.profile.dtypes {
        if let Some(e) = d.validation_errors().filter(|e| e.q75 > ROUGH_MODEL) {
            let gain = report.profile.model(d.dtype)?.default_min_gain();
            eprintln!(
                "note: a quarter of the {} model's checks are off by more than {:.0}%, so \
                 `plan --cost time` will switch from the flop-optimal order only above a \
                 predicted {gain:.2}x gain. Timings this rough usually mean other work on the \
                 machine or several BLAS threads on few cores; OPENBLAS_NUM_THREADS=1 gives \
                 steadier profiles.",
                d.dtype,
                e.q75 * 100.0
            );
        }
    }
    eprintln!(
        "saved the profile to {}",
        chainplan::text::quote_path(&path)
    );
    Ok(ExitCode::SUCCESS)
}
