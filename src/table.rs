//! Tables and the [`Report`] trait: what a command found, as serde data for programs and as
//! [`Table`]s of [`Cell`]s for people. A small utility below every area that reports (plans,
//! Jacobians, expressions, generalized chains); the exporters and the plan's own reports are
//! in [`crate::report`], above them.

// Without the feature `report`, only what the crate itself uses of this module is used.
#![cfg_attr(not(feature = "report"), allow(dead_code))]

use crate::text;

/// One cell of a table. Numbers keep their value so each exporter formats them its own way:
/// with thousands separators for people, plain for CSV.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, shown as it is.
    Text(String),
    /// An exact integer (a cost, a count, a size).
    Int(u128),
    /// A ratio such as 1.25 (shown as `1.25x`).
    Ratio(f64),
    /// A duration in seconds (shown in s, ms or µs).
    Seconds(f64),
    /// Any other real number (shown with three significant decimals).
    Float(f64),
    /// No value (shown as `-`, empty in CSV).
    Empty,
}

impl Cell {
    /// The cell for people: `15,125`, `2.50x`, `1.23 ms`.
    pub fn pretty(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(x) => text::thousands(*x),
            Cell::Ratio(r) => text::ratio(*r),
            Cell::Seconds(s) => text::seconds(*s),
            Cell::Float(x) => text::float(*x),
            Cell::Empty => "-".to_string(),
        }
    }

    /// The cell for machines: exact integers, full-precision floats, no units.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(x) => x.to_string(),
            Cell::Ratio(x) | Cell::Seconds(x) | Cell::Float(x) => x.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<u128> for Cell {
    fn from(x: u128) -> Self {
        Cell::Int(x)
    }
}

impl From<Option<u128>> for Cell {
    fn from(x: Option<u128>) -> Self {
        x.map_or(Cell::Empty, Cell::Int)
    }
}

/// A titled table: headers and rows of [`Cell`]s.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// What the table shows.
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with a title and headers.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Self {
        Table {
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

/// Anything a command reports: serialisable, and viewable as tables.
pub trait Report {
    /// The report as one JSON object (pretty-printed).
    fn to_json(&self) -> serde_json::Result<String>;
    /// The report as tables; the first is the primary one (the one CSV exports).
    fn tables(&self) -> Vec<Table>;
}

/// Serialises any report type to pretty JSON; for [`Report::to_json`] implementations.
///
/// Objects and arrays of objects are indented one member per line, as usual; arrays whose
/// elements are all numbers, strings, booleans or nulls (dimensions, shapes) are written on
/// one line, so a chain's `dims` stay readable and a million-matrix report is not a million
/// lines.
///
/// ```
/// # #[cfg(feature = "report")] {
/// use chainplan::table::json_of;
/// let text = json_of(&serde_json::json!({"dims": [30, 35, 15], "steps": [{"k": 1}]}))?;
/// assert!(text.contains("\"dims\": [30, 35, 15]"));
/// assert!(text.contains("\"steps\": [\n    {\n      \"k\": 1\n    }\n  ]"));
/// # }
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let pretty = serde_json::to_string_pretty(value)?;
    Ok(inline_scalar_arrays(&pretty))
}

/// Joins the lines of every array of scalars in pretty-printed JSON into one line.
///
/// In serde_json's pretty output an array opens at the end of a line (`[`), holds one
/// element per line, and closes on a line of its own (`]` or `],`). An element line is a
/// scalar unless it opens an object or array; a string element ends in `"` whatever it holds,
/// so brackets inside strings are never mistaken for structure.
fn inline_scalar_arrays(pretty: &str) -> String {
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out = String::with_capacity(pretty.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.ends_with('[') {
            let scalars = lines[i..]
                .iter()
                .take_while(|l| {
                    let t = l.trim();
                    !(t.ends_with('[') || t.ends_with('{') || t.starts_with(']'))
                })
                .count();
            let close = lines.get(i + scalars).map(|l| l.trim());
            if scalars > 0 && matches!(close, Some("]") | Some("],")) {
                out.push_str(line);
                for (n, l) in lines[i..i + scalars].iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    out.push_str(l.trim());
                }
                out.push_str(close.unwrap_or("]"));
                out.push('\n');
                i += scalars + 1;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out.pop(); // serde_json's output has no final newline
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsing the inlined text gives back the same value.
    #[test]
    fn inlining_keeps_the_value() {
        let v = serde_json::json!({
            "dims": [1, 2, 3],
            "empty": [],
            "names": ["a [b", "c],", "{d"],
            "nested": [[1, 2], [3]],
            "objects": [{"x": [4, 5]}, {"y": null}],
            "mixed": [1, {"z": 2}, "w"],
        });
        let text = json_of(&v).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
        assert!(text.contains("\"dims\": [1, 2, 3],"));
        assert!(text.contains("\"names\": [\"a [b\", \"c],\", \"{d\"],"));
        assert!(text.contains("[1, 2],"));
        assert!(text.contains("\"x\": [4, 5]"));
        assert!(!text.ends_with('\n'));
    }

    /// Exact u128 costs survive (serde_json's `Value` cannot hold them, the text can).
    #[test]
    fn wide_integers_stay_exact() {
        #[derive(serde::Serialize)]
        struct Costs {
            costs: Vec<u128>,
        }
        let text = json_of(&Costs {
            costs: vec![u128::MAX, 1],
        })
        .unwrap();
        assert_eq!(
            text,
            "{\n  \"costs\": [340282366920938463463374607431768211455, 1]\n}"
        );
    }
}
