//! Printing: tables through prettytable, exports to files or stdout, one-line errors.

use anyhow::{bail, Context, Result};
use chainplan::report::ExportFormat;
use chainplan::table::{Cell, Report, Table};
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
                    Cell::Text(text) => PCell::new(&shorten(text)),
                    _ => PCell::new_align(&c.pretty(), format::Alignment::RIGHT),
                })
                .collect(),
        ));
    }
    let mut s = format!("{}\n", table.title);
    s.push_str(&t.to_string());
    s
}

/// Text cells longer than this many characters (long orders) are cut in terminal tables; the
/// exports (JSON, Markdown, CSV) keep them whole.
const TERMINAL_CELL_CHARS: usize = 120;

/// A text cell as a terminal table shows it: whole if short, else its start and its length.
fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= TERMINAL_CELL_CHARS {
        return text.to_string();
    }
    let start: String = text.chars().take(TERMINAL_CELL_CHARS - 20).collect();
    format!("{start}… ({count} characters; the exports have it all)")
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
    /// Also write the report as JSON to FILE (`-` for standard output, in place of the tables).
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,

    /// Also write the report's tables as Markdown to FILE (`-` for standard output, in place of
    /// the tables).
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,

    /// Also write the report's main table as CSV to FILE (`-` for standard output, in place of
    /// the tables). One file per output, and at most one output on standard output.
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,
}

impl ExportArgs {
    /// The exports asked for, with their flags.
    fn outputs(&self) -> [(&'static str, Option<&Path>); 3] {
        [
            ("--export-json", self.export_json.as_deref()),
            ("--export-markdown", self.export_markdown.as_deref()),
            ("--export-csv", self.export_csv.as_deref()),
        ]
    }

    /// Checks the exports before any work is done, so that a mistake costs nothing: at most
    /// one output goes to standard output (`main` names the flag, such as `--json`, that
    /// already prints a document there), no file is named by two outputs (`others` are the
    /// command's other file outputs, such as `--export-plan`), and every file can be written.
    /// Returns whether an output goes to standard output, which then replaces the tables.
    pub fn check(
        &self,
        others: &[(&'static str, Option<&Path>)],
        main: Option<&str>,
    ) -> Result<bool> {
        check_outputs(self.outputs().iter().chain(others).copied(), main)
    }

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

/// See [`ExportArgs::check`]: one output per file and at most one on standard output; every
/// file writable. Returns whether an output goes to standard output.
pub fn check_outputs<'a>(
    outputs: impl IntoIterator<Item = (&'static str, Option<&'a Path>)>,
    main: Option<&str>,
) -> Result<bool> {
    let mut on_stdout: Option<&str> = main;
    let mut files: Vec<(&str, PathBuf)> = Vec::new();
    let mut any_stdout = false;
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        if path.as_os_str() == "-" {
            if let Some(first) = on_stdout {
                bail!(
                    "{first} and {flag} - would both write to standard output; \
                     write one of them to a file"
                );
            }
            on_stdout = Some(flag);
            any_stdout = true;
            continue;
        }
        let key = same_file_key(path);
        if let Some((first, _)) = files.iter().find(|(_, k)| *k == key) {
            bail!(
                "{first} and {flag} both name {}; give each output its own file",
                chainplan::text::quote(&path.to_string_lossy())
            );
        }
        chainplan::fsio::check_writable(path)?;
        files.push((flag, key));
    }
    Ok(any_stdout)
}

/// A path that names the same file as every other spelling of it (`./a.json`, `a.json`), when
/// its directory exists.
fn same_file_key(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
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
        Ok(chainplan::fsio::write_atomic(path, text.as_bytes())?)
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
    bounded_line(&parts.join(": "))
}

/// A message as one bounded line: every error and warning line goes through here (see
/// [`chainplan::text::one_line`], the net under every echo).
pub fn bounded_line(message: &str) -> String {
    chainplan::text::one_line(message)
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
        eprintln!(
            "error: internal error (please report it): {}",
            bounded_line(&msg)
        );
        // Unwinding would run exit handlers, and OpenBLAS's waits for its threads: end here.
        super::blas::exit_now(i32::from(super::EXIT_BAD_INPUT))
    }));
}

/// Warnings held back until the command has succeeded: a command that fails prints its one
/// `error:` line alone.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Holds back a warning (without its `warning: `) until [`release_warnings`].
pub fn warn(message: String) {
    if let Ok(mut w) = WARNINGS.lock() {
        w.push(bounded_line(&message));
    }
}

/// Prints the warnings held back, each as one `warning:` line on standard error.
pub fn release_warnings() {
    if let Ok(mut w) = WARNINGS.lock() {
        for message in w.drain(..) {
            eprintln!("warning: {message}");
        }
    }
}
