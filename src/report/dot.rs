//! Graphviz DOT for plan trees: `dot -Tsvg plan.dot > plan.svg` draws the plan.

use crate::plan::{Operand, Plan};
use crate::text::thousands;
use std::fmt::Write as _;

/// The plan tree in DOT: leaves are the input matrices labelled with their shapes, inner nodes
/// the products labelled with their shape and cost; edges point from a product to its operands.
///
/// ```
/// use chainplan::{Chain, plan::dp, report::dot::plan_to_dot};
/// let plan = dp::optimal(&Chain::new(vec![2u32, 3, 4])?)?;
/// let dot = plan_to_dot(&plan);
/// assert!(dot.starts_with("digraph plan {"));
/// assert!(dot.contains("A1\\n2 × 3"));
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn plan_to_dot(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph plan {{");
    let _ = writeln!(
        out,
        "  label=\"{} — cost {} scalar multiplications\";\n  labelloc=t;\n  node [fontname=\"Helvetica\"];",
        plan.order(),
        thousands(plan.cost())
    );
    for i in 0..plan.matrices() {
        let (r, c) = plan.chain().shape(i);
        let _ = writeln!(
            out,
            "  A{0} [shape=box, label=\"A{0}\\n{1} × {2}\"];",
            i + 1,
            thousands(r as u128),
            thousands(c as u128)
        );
    }
    for (s, step) in plan.steps().iter().enumerate() {
        let name = Operand::Step(s).name();
        let _ = writeln!(
            out,
            "  {name} [shape=ellipse, label=\"{name}: {} × {}\\ncost {}\"];",
            thousands(step.m as u128),
            thousands(step.n as u128),
            thousands(step.cost)
        );
        let _ = writeln!(out, "  {name} -> {} [label=\"L\"];", step.lhs.name());
        let _ = writeln!(out, "  {name} -> {} [label=\"R\"];", step.rhs.name());
    }
    out.push_str("}\n");
    out
}
