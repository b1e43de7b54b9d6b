//! Exporters in the manner of hyperfine: one [`Exporter`] per format, each working on any
//! [`Report`].

use crate::error::{Error, ReportError, Result};
use crate::table::{Report, Table};
use std::fmt::Write as _;
use std::str::FromStr;

/// Renders a report in one format.
pub trait Exporter {
    /// The report as text in this format.
    fn export(&self, report: &dyn Report) -> Result<String>;
}

/// The whole report as one JSON object.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter;

/// Every table of the report as a Markdown table under a heading.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownExporter;

/// The primary table of the report as CSV (RFC 4180 quoting), numbers unformatted.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvExporter;

impl Exporter for JsonExporter {
    fn export(&self, report: &dyn Report) -> Result<String> {
        let mut s = report.to_json()?;
        s.push('\n');
        Ok(s)
    }
}

fn markdown_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn markdown_table(out: &mut String, table: &Table) {
    if !table.title.is_empty() {
        let _ = writeln!(out, "### {}\n", table.title);
    }
    let _ = writeln!(out, "| {} |", table.headers.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        table
            .headers
            .iter()
            .map(|_| "---")
            .collect::<Vec<_>>()
            .join("|")
    );
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(|c| markdown_escape(&c.pretty())).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

impl Exporter for MarkdownExporter {
    fn export(&self, report: &dyn Report) -> Result<String> {
        let mut out = String::new();
        for (i, table) in report.tables().iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            markdown_table(&mut out, table);
        }
        Ok(out)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Exporter for CsvExporter {
    fn export(&self, report: &dyn Report) -> Result<String> {
        let tables = report.tables();
        let table = tables.first().ok_or(ReportError::NoTable)?;
        let mut out = String::new();
        let headers: Vec<String> = table.headers.iter().map(|h| csv_field(h)).collect();
        let _ = writeln!(out, "{}", headers.join(","));
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(|c| csv_field(&c.raw())).collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
        Ok(out)
    }
}

/// The export formats by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// [`JsonExporter`].
    Json,
    /// [`MarkdownExporter`].
    Markdown,
    /// [`CsvExporter`].
    Csv,
}

impl ExportFormat {
    /// The exporter for this format.
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            ExportFormat::Json => Box::new(JsonExporter),
            ExportFormat::Markdown => Box::new(MarkdownExporter),
            ExportFormat::Csv => Box::new(CsvExporter),
        }
    }
}

impl FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "json" => Ok(ExportFormat::Json),
            "markdown" | "md" => Ok(ExportFormat::Markdown),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(ReportError::UnknownFormat {
                name: s.to_string(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Cell;

    struct Demo;
    impl Report for Demo {
        fn to_json(&self) -> serde_json::Result<String> {
            Ok("{\"x\": 1}".into())
        }
        fn tables(&self) -> Vec<Table> {
            let mut t = Table::new("Demo", &["name", "cost"]);
            t.push(vec![Cell::from("a,b"), Cell::Int(12345)]);
            t.push(vec![Cell::from("c|d"), Cell::Empty]);
            vec![t]
        }
    }

    #[test]
    fn csv_quotes_and_keeps_raw_numbers() {
        let s = CsvExporter.export(&Demo).unwrap();
        assert_eq!(s, "name,cost\n\"a,b\",12345\nc|d,\n");
    }

    #[test]
    fn markdown_formats_numbers_and_escapes_pipes() {
        let s = MarkdownExporter.export(&Demo).unwrap();
        assert!(s.contains("| a,b | 12,345 |"), "{s}");
        assert!(s.contains("| c\\|d | - |"), "{s}");
    }
}
