//! Experiment 2 of the lecture: "good start, bad finish". Stochastic gradient descent on a
//! noisy least-squares problem, constant against decreasing steps, with against without
//! replacement, with the early-stopping point marked and the region of confusion measured
//! against the step size.
//!
//! ```text
//! cargo run --release --example sgd -- --out docs/sgd.svg
//! cargo run --release --example sgd -- --epochs 50 --trials 5 --step 0.1 --seed 3
//! ```
//!
//! The experiment itself is `lecture::sgd` (`examples/lecture/sgd.rs`) (every per-sample gradient is the
//! reverse-mode plan of the sample loss's Jacobian chain, executed); this program parses
//! flags, prints the headline numbers and draws the figure (SVG, three panels).

mod common;
mod lecture;
/// The experiments against theory (`examples/lecture/tests.rs`).
#[cfg(test)]
#[path = "lecture/tests.rs"]
mod lecture_tests;

use clap::Parser;
use common::{draw_legend, draw_log_mesh, write_outputs, COLORS};
use lecture::sgd::{self, SgdConfig, SgdResult};
use plotters::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;

/// SGD on least squares: fast start, then a region of confusion around x*.
///
/// Minimises f(x) = Σ_i (a_iᵀx − b_i)² over random overdetermined data with noise, from
/// x = 0, one sample per iteration, each gradient by chainplan's reverse mode. Compares a
/// constant step η with a decreasing step η/(1 + t/τ), each with and without replacement,
/// over several trials, marks where early stopping on a held-out validation set would stop,
/// and measures the plateau of the constant step for several step sizes.
#[derive(Parser, Debug)]
#[command(after_help = "Examples:\n  \
    cargo run --release --example sgd -- --out docs/sgd.svg\n  \
    cargo run --release --example sgd -- --epochs 50 --trials 5 --step 0.1 --seed 3")]
struct Args {
    /// Training samples m.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Dimension d of x.
    #[arg(long, default_value_t = 10)]
    dim: usize,
    /// Held-out validation samples (for early stopping).
    #[arg(long, default_value_t = 200)]
    validation: usize,
    /// Standard deviation of the noise in the targets.
    #[arg(long, default_value_t = 0.5)]
    noise: f64,
    /// Epochs (m iterations each).
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Runs of each variant (same data, different draws).
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Constant step η, and first step of the decreasing schedule.
    #[arg(long, default_value_t = 0.05)]
    step: f64,
    /// Decay time τ of the decreasing step, in epochs (the step halves after τ epochs).
    #[arg(long, default_value_t = 1.0)]
    decay: f64,
    /// Early stopping: epochs without improvement of the validation error before stopping.
    #[arg(long, default_value_t = 10)]
    patience: usize,
    /// Constant steps for the region-of-confusion sweep, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.00625, 0.0125, 0.025, 0.05, 0.1, 0.2])]
    sweep: Vec<f64>,
    /// Seed of the experiment.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the figure (SVG).
    #[arg(long, default_value = "sgd.svg")]
    out: PathBuf,
    /// Also write every measured curve as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = SgdConfig {
        samples: args.samples,
        dim: args.dim,
        validation: args.validation,
        noise: args.noise,
        epochs: args.epochs,
        trials: args.trials,
        step: args.step,
        decay_epochs: args.decay,
        patience: args.patience,
        sweep: args.sweep.clone(),
        seed: args.seed,
        ..Default::default()
    };
    let result = match sgd::run(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    print_summary(&result);
    let written = write_outputs(&args.out, args.json.as_deref(), &result, |svg| {
        draw(&result, svg)
    });
    if let Err(e) = written {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    println!("wrote {}", args.out.display());
    ExitCode::SUCCESS
}

fn print_summary(r: &SgdResult) {
    let c = &r.config;
    println!(
        "m = {} samples, d = {}, noise {}, {} epochs, {} trials, seed {}",
        c.samples, c.dim, c.noise, c.epochs, c.trials, c.seed
    );
    println!(
        "  start ‖x*‖ = {:.3}; ‖x_true − x*‖ = {:.3}; largest stable step 1/max‖a_i‖² = {:.3}",
        r.start_distance, r.statistical_error, r.max_step
    );
    let m = c.samples;
    for t in &r.traces {
        let stop = match t.early_stop {
            Some(s) => format!(
                "early stop at iteration {s} (epoch {}; {}/{} trials stopped)",
                s / m,
                t.early_stops,
                c.trials
            ),
            None => "early stopping never triggered".to_string(),
        };
        println!(
            "  {:<40} rms ‖x − x*‖: last half {:.3e}, final {:.3e}; {stop}",
            t.label, t.late_distance, t.final_distance
        );
    }
    println!("  region of confusion (rms ‖x − x*‖ over the last half, constant step):");
    println!("    step        with        without     predicted (small-step, with)");
    for p in &r.plateaus {
        println!(
            "    {:<10}  {:.3e}   {:.3e}   {:.3e}",
            p.step, p.measured[0], p.measured[1], p.predicted
        );
    }
}

/// The decades around [lo, hi], padded a hair so that their end labels are drawn.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    (
        10f64.powf(lo.log10().floor()) * 0.999,
        10f64.powf(hi.log10().ceil()) * 1.001,
    )
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Draws the three panels into `svg`.
fn draw(r: &SgdResult, svg: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    {
        let root = SVGBackend::with_string(svg, (1800, 620)).into_drawing_area();
        root.fill(&WHITE)?;
        let c = &r.config;
        let root = root.titled(
            &format!(
                "SGD on least squares (m = {}, d = {}, noise σ = {}): good start, bad finish — {} runs each",
                c.samples, c.dim, c.noise, c.trials
            ),
            ("sans-serif", 24),
        )?;
        let (left, rest) = root.split_horizontally(640);
        let (middle, right) = rest.split_horizontally(640);
        draw_trace_panel(&left, r, Quantity::Distance)?;
        draw_trace_panel(&middle, r, Quantity::ExcessLoss)?;
        draw_plateau_panel(&right, r)?;
        root.present()?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Quantity {
    Distance,
    ExcessLoss,
}

fn draw_trace_panel(
    area: &Area,
    r: &SgdResult,
    what: Quantity,
) -> Result<(), Box<dyn std::error::Error>> {
    let m = r.config.samples;
    let series = |t: &sgd::Trace| -> Vec<f64> {
        match what {
            Quantity::Distance => t.distance.iter().map(|s| s.rms).collect(),
            Quantity::ExcessLoss => t.excess_loss.clone(),
        }
    };
    let values: Vec<f64> = r
        .traces
        .iter()
        .flat_map(series)
        .filter(|v| *v > 0.0)
        .collect();
    let (ymin, ymax) = decades(
        values.iter().copied().fold(f64::INFINITY, f64::min),
        values.iter().copied().fold(0.0, f64::max),
    );
    let tmax = *r.iterations.last().expect("at least one checkpoint") as f64;
    let (caption, y_desc) = match what {
        Quantity::Distance => (
            "Distance to the minimiser x*",
            "‖x_t − x*‖ (root mean square over runs)",
        ),
        Quantity::ExcessLoss => ("Loss above the minimum", "f(x_t) − f(x*) (mean over runs)"),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(72)
        .build_cartesian_2d(
            (0.999f64..tmax * 1.001).log_scale(),
            (ymin..ymax).log_scale(),
        )?;
    draw_log_mesh(
        &mut chart,
        &format!("iteration t (one epoch = {m} iterations)"),
        y_desc,
        16,
    )?;

    for (i, t) in r.traces.iter().enumerate() {
        let col = COLORS[i % COLORS.len()];
        let ys = series(t);
        chart
            .draw_series(LineSeries::new(
                r.iterations
                    .iter()
                    .zip(&ys)
                    .filter(|(_, &y)| y > 0.0)
                    .map(|(&x, &y)| (x as f64, y)),
                col.stroke_width(2),
            ))?
            .label(t.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], col.stroke_width(2)));
    }
    // Early-stopping points, on each variant's curve.
    let mut first = true;
    for (i, t) in r.traces.iter().enumerate() {
        let Some(stop) = t.early_stop else { continue };
        let Ok(idx) = r.iterations.binary_search(&stop) else {
            continue;
        };
        let y = series(t)[idx];
        if y <= 0.0 {
            continue;
        }
        let col = COLORS[i % COLORS.len()];
        let marker = chart.draw_series([
            Circle::new((stop as f64, y), 7, col.filled()),
            Circle::new((stop as f64, y), 7, BLACK.stroke_width(2)),
        ])?;
        if first {
            first = false;
            marker
                .label(format!(
                    "early stop (median run; validation error, patience {})",
                    r.config.patience
                ))
                .legend(|(x, y)| Circle::new((x + 11, y), 6, BLACK.stroke_width(2)));
        }
    }
    if what == Quantity::Distance {
        if let Some(p) = r
            .plateaus
            .iter()
            .find(|p| (p.step - r.config.step).abs() <= 1e-12 * p.step)
        {
            let y = p.predicted;
            chart
                .draw_series(DashedLineSeries::new(
                    [(1.0, y), (tmax, y)],
                    8,
                    5,
                    BLACK.mix(0.7).stroke_width(1),
                ))?
                .label(format!(
                    "predicted plateau of the constant step η = {}",
                    r.config.step
                ))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], BLACK.mix(0.7).stroke_width(1))
                });
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, 13)
}

fn draw_plateau_panel(area: &Area, r: &SgdResult) -> Result<(), Box<dyn std::error::Error>> {
    if r.plateaus.is_empty() {
        return Ok(());
    }
    let steps: Vec<f64> = r.plateaus.iter().map(|p| p.step).collect();
    let values: Vec<f64> = r
        .plateaus
        .iter()
        .flat_map(|p| [p.measured[0], p.measured[1], p.predicted])
        .filter(|v| *v > 0.0)
        .collect();
    let (xmin, xmax) = decades(
        steps.iter().copied().fold(f64::INFINITY, f64::min),
        steps.iter().copied().fold(0.0, f64::max),
    );
    let (ymin, ymax) = decades(
        values.iter().copied().fold(f64::INFINITY, f64::min),
        values.iter().copied().fold(0.0, f64::max),
    );
    let mut chart = ChartBuilder::on(area)
        .caption("Region of confusion against step size", ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(72)
        .build_cartesian_2d((xmin..xmax).log_scale(), (ymin..ymax).log_scale())?;
    draw_log_mesh(
        &mut chart,
        "constant step η",
        "‖x − x*‖ over the last half of the run (rms)",
        16,
    )?;
    for (s, name) in [(0usize, "with replacement"), (1, "without replacement")] {
        let col = COLORS[s];
        let pts: Vec<(f64, f64)> = r
            .plateaus
            .iter()
            .map(|p| (p.step, p.measured[s]))
            .filter(|p| p.1 > 0.0)
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))?
            .label(format!("measured, {name}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], col.stroke_width(2)));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, col.filled())))?;
    }
    chart
        .draw_series(DashedLineSeries::new(
            r.plateaus.iter().map(|p| (p.step, p.predicted)),
            8,
            5,
            BLACK.mix(0.7).stroke_width(1),
        ))?
        .label("predicted √(η·tr((AᵀA)⁻¹S)), slope 1/2")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 22, y)], BLACK.mix(0.7).stroke_width(1))
        });
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 13)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_has_titles_labels_legends_and_markers() {
        let r = sgd::run(&SgdConfig {
            samples: 40,
            dim: 4,
            validation: 40,
            epochs: 30,
            trials: 3,
            step: 0.1,
            patience: 3,
            sweep: vec![0.05, 0.1],
            ..Default::default()
        })
        .unwrap();
        let mut svg = String::new();
        draw(&r, &mut svg).unwrap();
        for text in [
            "SGD on least squares",
            "Distance to the minimiser x*",
            "Loss above the minimum",
            "Region of confusion against step size",
            "iteration t (one epoch = 40 iterations)",
            "constant step, with replacement",
            "decreasing step, without replacement",
            "predicted plateau of the constant step",
            "constant step η",
        ] {
            assert!(svg.contains(text), "missing text '{text}'");
        }
        if r.traces.iter().any(|t| t.early_stop.is_some()) {
            assert!(svg.contains("early stop"));
            assert!(svg.contains("<circle"));
        }
    }
}
