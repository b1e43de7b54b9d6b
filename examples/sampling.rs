//! Experiment 1 of the lecture: estimate a mean by a running average of samples drawn with or
//! without replacement, and plot the error against the number of samples drawn.
//!
//! ```text
//! cargo run --release --example sampling -- --out docs/sampling.svg
//! cargo run --release --example sampling -- --n 100 --epochs 20 --trials 200 --seed 7
//! ```
//!
//! The experiment itself is `lecture::sampling` (`examples/lecture/sampling.rs`); this program parses flags, prints
//! the headline numbers and draws the figure (SVG, one panel per N).

mod common;
mod lecture;

use clap::Parser;
use common::{draw_legend, draw_log_mesh, write_outputs, COLORS};
use lecture::sampling::{self, SamplingConfig, SamplingResult, Strategy};
use plotters::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;

/// Running mean of N uniform numbers: samples drawn with against without replacement.
///
/// For each N, every trial draws N numbers uniformly from [0, 1] and estimates their mean by
/// the running average of samples drawn (a) with replacement, (b) without replacement (a new
/// random permutation each epoch). The figure shows the error |running mean − mean| against
/// the number of samples drawn, log–log: root mean square over the trials, a band from the
/// 10th to the 90th percentile, and the theoretical curves.
#[derive(Parser, Debug)]
#[command(after_help = "Examples:\n  \
    cargo run --release --example sampling -- --out docs/sampling.svg\n  \
    cargo run --release --example sampling -- --n 100 --epochs 20 --trials 200 --seed 7")]
struct Args {
    /// How many numbers to average; a comma-separated list gives one panel each.
    #[arg(long, value_delimiter = ',', default_values_t = vec![100usize, 1000])]
    n: Vec<usize>,
    /// Epochs (passes of N samples) to draw.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Independent trials (new numbers and new draws each).
    #[arg(long, default_value_t = 1000)]
    trials: usize,
    /// Seed of the experiment.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the figure (SVG).
    #[arg(long, default_value = "sampling.svg")]
    out: PathBuf,
    /// Also write every measured curve as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut results = Vec::new();
    for &n in &args.n {
        let config = SamplingConfig {
            n,
            epochs: args.epochs,
            trials: args.trials,
            seed: args.seed,
            ..Default::default()
        };
        match sampling::run(&config) {
            Ok(r) => {
                print_summary(&r);
                results.push(r);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if results.is_empty() {
        eprintln!("error: --n needs at least one value");
        return ExitCode::from(2);
    }
    let written = write_outputs(&args.out, args.json.as_deref(), &results, |svg| {
        draw(&results, svg)
    });
    if let Err(e) = written {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    println!("wrote {}", args.out.display());
    ExitCode::SUCCESS
}

fn print_summary(r: &SamplingResult) {
    let s = &r.summary;
    let c = &r.config;
    println!(
        "N = {}, {} epochs, {} trials, seed {}: mean population variance {:.5} (1/12 = {:.5})",
        c.n,
        c.epochs,
        c.trials,
        c.seed,
        s.variance,
        1.0 / 12.0
    );
    println!(
        "  rms error after N/2 draws:   with {:.3e}   without {:.3e}",
        s.rms_half_epoch[0], s.rms_half_epoch[1]
    );
    println!(
        "  rms error after N draws:     with {:.3e}   without {:.3e}   (largest error at any epoch end without: {:.1e})",
        s.rms_one_epoch[0], s.rms_one_epoch[1], s.max_epoch_end_error
    );
    let fmt = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
    println!(
        "  fitted decay exponent: with replacement {} (theory -0.5); without, per-epoch peaks {} (theory -1)",
        fmt(s.slope_with),
        fmt(s.slope_without_peaks)
    );
}

fn color(s: Strategy) -> RGBColor {
    match s {
        Strategy::WithReplacement => COLORS[0],
        Strategy::WithoutReplacement => COLORS[1],
    }
}

/// Draws one panel per result, side by side, into `svg`.
fn draw(results: &[SamplingResult], svg: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let width = 720 * results.len() as u32;
    {
        let root = SVGBackend::with_string(svg, (width, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let trials = results[0].config.trials;
        let root = root.titled(
            &format!(
                "Estimating a mean by a running average: error against samples drawn ({trials} trials)"
            ),
            ("sans-serif", 24),
        )?;
        let panels = root.split_evenly((1, results.len()));
        for (panel, r) in panels.iter().zip(results) {
            draw_panel(panel, r)?;
        }
        root.present()?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    r: &SamplingResult,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let n = r.config.n;
    let kmax = *r.draws.last().expect("at least one checkpoint") as f64;
    let is_epoch_end = |k: usize| k % n == 0;
    // The y range: from the decade below the smallest 10th percentile away from epoch ends
    // (where errors vanish) to the decade above the largest 90th percentile.
    let mut lo = f64::INFINITY;
    let mut hi: f64 = 0.0;
    for c in &r.curves {
        for (&k, s) in r.draws.iter().zip(&c.error) {
            if !is_epoch_end(k) && s.q10 > 0.0 {
                lo = lo.min(s.q10);
            }
            hi = hi.max(s.q90).max(s.rms);
        }
    }
    // Padded a hair so that the end labels are drawn.
    let ymin = 10f64.powf(lo.log10().floor()).max(1e-12) * 0.999;
    let ymax = 10f64.powf(hi.log10().ceil()) * 1.001;
    let floor = |v: f64| v.max(ymin);

    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("N = {n} numbers, {} epochs", r.config.epochs),
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (0.999f64..kmax * 1.001).log_scale(),
            (ymin..ymax).log_scale(),
        )?;
    draw_log_mesh(
        &mut chart,
        "samples drawn k",
        "error |running mean − true mean|",
        17,
    )?;

    // Epoch ends: thin grey verticals.
    chart
        .draw_series((1..=r.config.epochs).map(|e| {
            let k = (e * n) as f64;
            PathElement::new(vec![(k, ymin), (k, ymax)], BLACK.mix(0.15))
        }))?
        .label("epoch ends: without replacement exact (≈1e-16)")
        .legend(|(x, y)| PathElement::new(vec![(x + 11, y - 7), (x + 11, y + 7)], BLACK.mix(0.3)));

    for c in &r.curves {
        let col = color(c.strategy);
        let band: Vec<(f64, f64)> = r
            .draws
            .iter()
            .zip(&c.error)
            .map(|(&k, s)| (k as f64, floor(s.q90)))
            .chain(
                r.draws
                    .iter()
                    .zip(&c.error)
                    .rev()
                    .map(|(&k, s)| (k as f64, floor(s.q10))),
            )
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, col.mix(0.18))))?
            .label(format!("{}: 10–90 % of trials", c.strategy.name()))
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 22, y + 6)], col.mix(0.3).filled())
            });
        chart
            .draw_series(LineSeries::new(
                r.draws
                    .iter()
                    .zip(&c.error)
                    .map(|(&k, s)| (k as f64, floor(s.rms))),
                col.stroke_width(2),
            ))?
            .label(format!("{}: root mean square", c.strategy.name()))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], col.stroke_width(2)));
        let theory_label = match c.strategy {
            Strategy::WithReplacement => "theory σ/√k",
            Strategy::WithoutReplacement => "theory σ·√(j(N−j)/(N−1))/k, k = eN + j",
        };
        chart
            .draw_series(DashedLineSeries::new(
                r.draws
                    .iter()
                    .zip(&c.theory)
                    .map(|(&k, &t)| (k as f64, floor(t))),
                6,
                4,
                BLACK.mix(0.75).stroke_width(1),
            ))?
            .label(theory_label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], BLACK.mix(0.75).stroke_width(1))
            });
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, 14)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_has_titles_labels_and_legends_as_text() {
        let r = sampling::run(&SamplingConfig {
            n: 20,
            epochs: 3,
            trials: 30,
            ..Default::default()
        })
        .unwrap();
        let mut svg = String::new();
        draw(&[r], &mut svg).unwrap();
        for text in [
            "Estimating a mean by a running average",
            "N = 20 numbers, 3 epochs",
            "samples drawn k",
            "running mean",
            "with replacement: root mean square",
            "without replacement: 10–90 % of trials",
            "theory σ/√k",
        ] {
            assert!(svg.contains(text), "missing text '{text}'");
        }
        assert!(svg.contains("<text"), "labels must be SVG text");
        assert!(svg.contains("<polygon") || svg.contains("<path"));
    }

    #[test]
    fn power_of_ten_labels() {
        assert_eq!(common::log_label(&1000.0), "10³");
        assert_eq!(common::log_label(&0.01), "10⁻²");
        assert_eq!(common::log_label(&3.0), "");
    }
}
