//! Printing: tables through prettytable, exports to files or stdout, one-line errors.

use anyhow::{Context, Result};
use chainplan::report::{Cell, ExportFormat, Report, Table};
use prettytable::{format, Attr, Cell as PCell, Row};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Renders the report's tables for a terminal.
pub fn render_tables(report: &dyn Report) -> String {
    let mut out = String::new();
    for table in report.tables() {
        if table.rows.is_empty() {
            continue;
        }
        out.push_str(&render_table(&table));
        out.push('\n');
    }
    out
}

/// Renders one table, titled, for a terminal.
pub fn render_table(table: &Table) -> String {
    let mut t = prettytable::Table::new();
    t.set_format(table_format());
    t.set_titles(Row::new(
        table
            .headers
            .iter()
            .map(|h| PCell::new(h).with_style(Attr::Bold))
            .collect(),
    ));
    for row in &table.rows {
        t.add_row(Row::new(
            row.iter()
                .map(|c| match c {
                    Cell::Text(_) => PCell::new(&c.pretty()),
                    _ => PCell::new_align(&c.pretty(), format::Alignment::RIGHT),
                })
                .collect(),
        ));
    }
    let mut s = format!("{}\n", table.title);
    s.push_str(&t.to_string());
    s
}

/// Box-drawing borders with a rule under the headers only, so long tables stay compact.
fn table_format() -> format::TableFormat {
    use format::{LinePosition, LineSeparator};
    format::FormatBuilder::new()
        .column_separator('│')
        .borders('│')
        .separators(&[LinePosition::Top], LineSeparator::new('─', '┬', '┌', '┐'))
        .separators(
            &[LinePosition::Title],
            LineSeparator::new('─', '┼', '├', '┤'),
        )
        .separators(
            &[LinePosition::Bottom],
            LineSeparator::new('─', '┴', '└', '┘'),
        )
        .padding(1, 1)
        .build()
}

/// Writes `text` to standard output; a closed pipe (`| head`) ends the program quietly.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        r => r.context("cannot write to standard output"),
    }
}

/// `--export-json`, `--export-markdown` and `--export-csv FILE`, shared by every command that
/// produces a [`Report`].
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ExportArgs {
    /// Also write the report as JSON to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,

    /// Also write the report's tables as Markdown to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,

    /// Also write the report's main table as CSV to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,
}

impl ExportArgs {
    /// Writes every export that was asked for.
    pub fn write(&self, report: &dyn Report) -> Result<()> {
        for (path, format) in [
            (&self.export_json, ExportFormat::Json),
            (&self.export_markdown, ExportFormat::Markdown),
            (&self.export_csv, ExportFormat::Csv),
        ] {
            if let Some(path) = path {
                export(report, format, path)?;
            }
        }
        Ok(())
    }
}

/// Writes an export to `path`, or to standard output when `path` is `-`.
fn export(report: &dyn Report, format: ExportFormat, path: &Path) -> Result<()> {
    let text = format.exporter().export(report)?;
    write_to(path, &text)
}

/// Writes text to a file, or to standard output when `path` is `-`.
pub fn write_to(path: &Path, text: &str) -> Result<()> {
    if path.as_os_str() == "-" {
        emit(text)
    } else {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The error and its causes on one line: `cannot read x.txt: No such file or directory`.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        // thiserror messages often already include their source; avoid repeating it.
        if !parts.last().is_some_and(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}

/// A panic is a bug; show one line instead of a backtrace, whatever RUST_BACKTRACE says.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        eprintln!("error: internal error (please report it): {msg}");
    }));
}
