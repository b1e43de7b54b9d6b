//! Plotting helpers shared by the lecture examples (`sampling`, `sgd`). Not an example itself:
//! cargo only builds `examples/*.rs` and `examples/*/main.rs`.

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::{cartesian::Cartesian2d, combinators::LogCoord, CoordTranslate};
use plotters::prelude::{DrawingBackend, BLACK, WHITE};
use plotters::style::{Color, RGBColor};
use serde::Serialize;
use std::error::Error;
use std::path::Path;

/// The figures' series colours, in order: blue, orange, green, purple.
pub const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 95, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 52, 170),
];

/// A chart with logarithmic axes, as every lecture figure has.
pub type LogLog = Cartesian2d<LogCoord<f64>, LogCoord<f64>>;

/// Draws the axes of a log–log chart in the figures' style: `10ⁿ` tick labels ([`log_label`]),
/// no light grid, descriptions in sans-serif of `desc_size` points.
pub fn draw_log_mesh<'a, DB>(
    chart: &mut ChartContext<'a, DB, LogLog>,
    x_desc: &str,
    y_desc: &str,
    desc_size: u32,
) -> Result<(), Box<dyn Error>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&log_label)
        .y_label_formatter(&log_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", desc_size))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    Ok(())
}

/// Draws the chart's series legend in the figures' style: a translucent white box with a grey
/// border, at `position`, in sans-serif of `font_size` points.
pub fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<(), Box<dyn Error>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", font_size))
        .draw()?;
    Ok(())
}

/// Axis labels for log scales: `10⁻³` for powers of ten, nothing otherwise.
pub fn log_label(v: &f64) -> String {
    let e = v.log10().round();
    if (v / 10f64.powf(e) - 1.0).abs() < 1e-9 {
        let digits: String = format!("{}", e as i64)
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
            })
            .collect();
        format!("10{digits}")
    } else {
        String::new()
    }
}

/// Draws the figure with `draw`, writes it as SVG to `out`, and writes `result` as JSON to
/// `json` when asked.
pub fn write_outputs<T: Serialize>(
    out: &Path,
    json: Option<&Path>,
    result: &T,
    draw: impl FnOnce(&mut String) -> Result<(), Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let mut svg = String::new();
    draw(&mut svg)?;
    std::fs::write(out, svg).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(result)?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
