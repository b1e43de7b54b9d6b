//! The report of the `grad` command: value, gradient, and the cost of each mode; and the
//! trace tables (forward pass and backward pass, as on a lecture board).

use super::error::Result;
use super::tape::shorten;
use super::{evaluate, forward_traced, reverse, Reverse, Tape};
use crate::table::{json_of, Cell, Report, Table};
use crate::text::num;
use serde::{Serialize, Serializer};

/// Above this many variables the trace leaves out forward mode's tangent columns.
pub const TRACE_MAX_TANGENT_COLUMNS: usize = 8;

/// What one mode cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeCost {
    /// Derivative sweeps: one per input in forward mode, one in reverse mode.
    pub sweeps: usize,
    /// Operations (one arithmetic operation or elementary function call each).
    pub operations: u64,
    /// `operations` divided by the function's own evaluation count (`null` when that is 0).
    pub ratio: Option<f64>,
}

/// Serialises (name, value) pairs as one JSON object, in their order.
fn as_map<S: Serializer>(pairs: &[(String, f64)], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// What `chainplan grad` reports.
///
/// ```
/// use chainplan::autodiff::{GradReport, Tape};
/// let tape = Tape::parse("x^3*(x+3*y)")?;
/// let (report, _) = GradReport::compute(&tape, &[2.0, 3.0])?;
/// assert_eq!(report.value, 88.0);
/// assert_eq!(report.gradient, vec![("x".to_string(), 140.0), ("y".to_string(), 24.0)]);
/// assert_eq!((report.forward.sweeps, report.reverse.sweeps), (2, 1));
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradReport {
    /// The expression as written.
    pub expression: String,
    /// The point: each variable's value (a JSON object).
    #[serde(serialize_with = "as_map")]
    pub at: Vec<(String, f64)>,
    /// The function's value.
    pub value: f64,
    /// ∂f/∂x for each variable x, from reverse mode (a JSON object).
    #[serde(serialize_with = "as_map")]
    pub gradient: Vec<(String, f64)>,
    /// The same gradient from forward mode (it agrees up to rounding).
    #[serde(skip)]
    pub forward_gradient: Vec<f64>,
    /// Operations of one evaluation of the function.
    pub function_operations: u64,
    /// Nodes on the tape (inputs, constants and operations, shared ones once).
    pub nodes: usize,
    /// Cost of the gradient by forward mode.
    pub forward: ModeCost,
    /// Cost of the gradient by reverse mode.
    pub reverse: ModeCost,
}

impl GradReport {
    /// Evaluates the tape at `point` and differentiates it in both modes; also returns the
    /// reverse-mode recording (for [`trace_tables`](GradReport::trace_tables) and DOT).
    pub fn compute(tape: &Tape, point: &[f64]) -> Result<(GradReport, Reverse)> {
        let eval = evaluate(tape, point)?;
        let (fwd, _) = forward_traced_if(tape, point, false)?;
        let rev = reverse(tape, point)?;
        let f = eval.operations;
        let cost = |d: &super::Derivatives| ModeCost {
            sweeps: d.sweeps,
            operations: d.operations,
            ratio: d.ratio(f),
        };
        let names = tape.variables();
        let report = GradReport {
            expression: tape.source().to_string(),
            at: names.iter().cloned().zip(point.iter().copied()).collect(),
            value: rev.derivatives.value,
            gradient: names
                .iter()
                .cloned()
                .zip(rev.derivatives.gradient.iter().copied())
                .collect(),
            forward_gradient: fwd.gradient.clone(),
            function_operations: f,
            nodes: tape.nodes().len(),
            forward: cost(&fwd),
            reverse: cost(&rev.derivatives),
        };
        Ok((report, rev))
    }

    /// The forward pass (each node's operation and value, and forward mode's tangents when
    /// there are at most [`TRACE_MAX_TANGENT_COLUMNS`] variables) and the backward pass (each
    /// node's adjoint and the contributions it sums), as tables.
    pub fn trace_tables(tape: &Tape, point: &[f64], rev: &Reverse) -> Result<Vec<Table>> {
        let names = tape.names();
        let nodes = tape.nodes();
        let out = tape.output();
        let label = |id: usize| {
            if id == out {
                format!("{} = f", names[id])
            } else {
                names[id].clone()
            }
        };
        let vars = tape.variables();
        let show_tangents = !vars.is_empty() && vars.len() <= TRACE_MAX_TANGENT_COLUMNS;
        let tangents = if show_tangents {
            forward_traced_if(tape, point, true)?.1
        } else {
            Vec::new()
        };
        let mut headers = vec!["node", "operation", "in the expression", "value"];
        let tangent_headers: Vec<String> = vars.iter().map(|v| format!("∂/∂{v}")).collect();
        if show_tangents {
            headers.extend(tangent_headers.iter().map(String::as_str));
        }
        let mut fwd = Table::new(
            if show_tangents {
                "Forward pass, in evaluation order: values, and forward mode's tangents (one sweep per ∂/∂ column)"
            } else {
                "Forward pass, in evaluation order"
            },
            &headers,
        );
        for (id, node) in nodes.iter().enumerate() {
            if matches!(node.op, super::Op::Const(_)) {
                continue;
            }
            let mut row = vec![
                Cell::Text(label(id)),
                Cell::Text(tape.describe(id, &names)),
                Cell::Text(tape.text(id)),
                Cell::Text(num(rev.values[id])),
            ];
            for sweep in &tangents {
                row.push(sweep[id].map_or(Cell::Text("0".into()), |t| Cell::Text(num(t))));
            }
            fwd.push(row);
        }

        // Who passes what to each node in the backward sweep (users in the order they run).
        let mut users: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nodes.len()];
        for id in (0..nodes.len()).rev() {
            for (k, &a) in nodes[id].operands().iter().enumerate() {
                if let Some(p) = rev.partials[id][k] {
                    users[a].push((id, p));
                }
            }
        }
        let mut bwd = Table::new(
            "Backward pass, from the output: adjoint = ∂f/∂node = Σ over users of adjoint(user) × ∂user/∂node",
            &["node", "adjoint", "sum of adjoint × local partial"],
        );
        for id in (0..nodes.len()).rev() {
            let Some(adj) = rev.adjoints[id] else {
                continue;
            };
            let how = if id == out {
                "seed: ∂f/∂f = 1".to_string()
            } else {
                users[id]
                    .iter()
                    .map(|&(u, p)| {
                        let ua = rev.adjoints[u].unwrap_or(0.0);
                        format!("{} × {} (from {})", num(ua), num(p), names[u])
                    })
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            bwd.push(vec![
                Cell::Text(label(id)),
                Cell::Text(num(adj)),
                Cell::Text(how),
            ]);
        }
        Ok(vec![fwd, bwd])
    }
}

fn forward_traced_if(
    tape: &Tape,
    point: &[f64],
    record: bool,
) -> Result<(super::Derivatives, Vec<Vec<Option<f64>>>)> {
    if record {
        forward_traced(tape, point)
    } else {
        super::forward(tape, point).map(|d| (d, Vec::new()))
    }
}

impl Report for GradReport {
    fn to_json(&self) -> serde_json::Result<String> {
        json_of(self)
    }

    fn tables(&self) -> Vec<Table> {
        let at: Vec<String> = self
            .at
            .iter()
            .map(|(n, v)| format!("{n} = {}", num(*v)))
            .collect();
        let expression = shorten(&self.expression, 80);
        let title = if at.is_empty() {
            format!("f = {expression}")
        } else {
            format!("f = {expression}   at {}", shorten(&at.join(", "), 80))
        };
        let mut values = Table::new(title, &["", "forward mode", "reverse mode"]);
        values.push(vec![
            "f".into(),
            Cell::Text(num(self.value)),
            Cell::Text(num(self.value)),
        ]);
        for ((name, g), fg) in self.gradient.iter().zip(&self.forward_gradient) {
            values.push(vec![
                Cell::Text(format!("∂f/∂{name}")),
                Cell::Text(num(*fg)),
                Cell::Text(num(*g)),
            ]);
        }
        let mut cost = Table::new(
            format!(
                "Cost of value and gradient, in operations (1 operation = 1 arithmetic operation or \
                 function call; evaluating f alone takes {})",
                self.function_operations
            ),
            &["mode", "sweeps", "operations", "× evaluating f"],
        );
        let ratio = |r: Option<f64>| r.map_or(Cell::Empty, Cell::Ratio);
        let n = self.forward.sweeps;
        cost.push(vec![
            "forward".into(),
            Cell::Text(format!(
                "{n} tangent sweep{} (one per input)",
                if n == 1 { "" } else { "s" }
            )),
            Cell::Int(self.forward.operations.into()),
            ratio(self.forward.ratio),
        ]);
        cost.push(vec![
            "reverse".into(),
            Cell::Text("1 evaluation + 1 adjoint sweep".to_string()),
            Cell::Int(self.reverse.operations.into()),
            ratio(self.reverse.ratio),
        ]);
        vec![values, cost]
    }
}
