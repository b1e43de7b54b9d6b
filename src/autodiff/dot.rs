//! Graphviz DOT for computational graphs: `dot -Tsvg graph.dot > graph.svg` draws one.
//!
//! Inputs are boxes at the bottom, operations ellipses above them, the output has a double
//! border. Each node shows its name, operation, value and adjoint (∂f/∂node); each edge runs
//! from an operand to the node using it and is labelled with the local partial derivative
//! ∂node/∂operand. Constants are plain text, joined by dashed edges (they need no derivative).

use super::tape::shorten;
use super::{Op, Reverse, Tape};
use crate::text::num;
use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The tape as a DOT digraph, with the values, partials and adjoints of `rev`.
///
/// ```
/// use chainplan::autodiff::{dot::to_dot, reverse, Tape};
/// let tape = Tape::parse("x^3*(x+3*y)")?;
/// let rev = reverse(&tape, &[2.0, 3.0])?;
/// let dot = to_dot(&tape, &rev);
/// assert!(dot.starts_with("digraph grad {"));
/// assert!(dot.contains("v1 = x ^ 3\\n= 8\\nadjoint 11"));
/// assert!(dot.contains("n0 -> n2 [label=\"12\"]")); // ∂(x^3)/∂x = 3·2² = 12
/// # Ok::<(), chainplan::autodiff::Error>(())
/// ```
pub fn to_dot(tape: &Tape, rev: &Reverse) -> String {
    let names = tape.names();
    let mut out = String::new();
    let _ = writeln!(out, "digraph grad {{");
    let at: Vec<String> = tape
        .variables()
        .iter()
        .zip(tape.inputs())
        .map(|(v, &i)| format!("{v} = {}", num(rev.values[i])))
        .collect();
    let _ = writeln!(
        out,
        "  label=\"f = {}{}{}\\nedges: local partial derivative; adjoint = ∂f/∂node\";",
        escape(&shorten(tape.source(), 80)),
        if at.is_empty() { "" } else { "   at " },
        at.join(", ")
    );
    let _ = writeln!(
        out,
        "  labelloc=t;\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];"
    );
    for (id, node) in tape.nodes().iter().enumerate() {
        let adjoint = rev.adjoints[id]
            .map(|a| format!("\\nadjoint {}", num(a)))
            .unwrap_or_default();
        let periphery = if id == tape.output() {
            ", peripheries=2"
        } else {
            ""
        };
        let (shape, label) = match node.op {
            Op::Const(_) => ("plaintext", names[id].clone()),
            Op::Var(_) => (
                "box",
                format!("{} (input)\\n= {}{adjoint}", names[id], num(rev.values[id])),
            ),
            _ => (
                "ellipse",
                format!(
                    "{} = {}\\n= {}{adjoint}",
                    names[id],
                    tape.describe(id, &names),
                    num(rev.values[id])
                ),
            ),
        };
        let _ = writeln!(
            out,
            "  n{id} [shape={shape}{periphery}, label=\"{label}\"];"
        );
    }
    for (id, node) in tape.nodes().iter().enumerate() {
        for (k, &a) in node.operands().iter().enumerate() {
            match rev.partials[id][k] {
                Some(p) => {
                    let _ = writeln!(out, "  n{a} -> n{id} [label=\"{}\"];", num(p));
                }
                None => {
                    let _ = writeln!(out, "  n{a} -> n{id} [style=dashed];");
                }
            }
        }
    }
    out.push_str("}\n");
    out
}
