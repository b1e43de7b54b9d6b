//! The library's matrix-free Jacobian planner ([`chainplan::jacobian::MatrixFreeChain`]) for
//! `chainplan.jax.jacobian` and `chainplan.torch.jacobian`, which run its plans with the
//! frameworks' own jvp and vjp. The plan (which layers are preaccumulated, pushed forward with
//! tangents or pulled back with adjoints, and in which order) is the library's; this module
//! flattens its tree into a list that the Python executors walk from the first entry to the
//! last.

use chainplan::jacobian::{MatrixFreeChain, MfNode, MfOp, Seed};
use chainplan::Error;
use pyo3::prelude::*;

/// One node of a plan in post-order: (op, span start, span end, through as (start, end) or
/// None, rows, cols, cost, total, indices of its children in this list). Spans are indices
/// into the chain's elementals (seeds included: an input seed is elemental 0).
type Node = (
    &'static str,
    usize,
    usize,
    Option<(usize, usize)>,
    usize,
    usize,
    u128,
    u128,
    Vec<usize>,
);

/// A plan as the Python executors read it: (nodes in post-order, the plan in one line,
/// cost of pure tangent mode, cost of pure adjoint mode or None where the tape does not fit,
/// names of the elementals).
type FlatPlan = (Vec<Node>, String, u128, Option<u128>, Vec<String>);

fn op_name(op: MfOp) -> &'static str {
    match op {
        MfOp::Given => "given",
        MfOp::Tangents => "tangents",
        MfOp::Adjoints => "adjoints",
        MfOp::Multiply => "multiply",
        MfOp::Push => "push",
        MfOp::Pull => "pull",
    }
}

/// `root`'s nodes in post-order, each child's index pointing earlier in the list.
fn flatten(root: &MfNode) -> Vec<Node> {
    let order = root.post_order();
    let mut index = std::collections::HashMap::with_capacity(order.len());
    let mut nodes = Vec::with_capacity(order.len());
    for (i, node) in order.iter().enumerate() {
        index.insert(*node as *const MfNode, i);
        let children = node
            .children()
            .iter()
            .map(|c| index[&(c as *const MfNode)])
            .collect();
        nodes.push((
            op_name(node.op()),
            node.span().start,
            node.span().end,
            node.through().map(|t| (t.start, t.end)),
            node.shape().0,
            node.shape().1,
            node.cost(),
            node.total(),
            children,
        ));
    }
    nodes
}

/// Plans the Jacobian of `f_L ∘ … ∘ f_1` (layer widths `widths`) with the library's
/// matrix-free dynamic program: tangent and adjoint costs per layer, optional tape sizes and
/// memory limit (both or neither), and optional seeds: `right` columns multiplied on the
/// right (J·V) and `left` rows on the left (Wᵀ·J). `plan` picks the optimal plan, or pure
/// `tangent` or `adjoint` mode (for comparison).
#[pyfunction]
#[pyo3(signature = (widths, tangent, adjoint, tapes, memory, right, left, plan))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn matrix_free_plan(
    py: Python<'_>,
    widths: Vec<usize>,
    tangent: Vec<u64>,
    adjoint: Vec<u64>,
    tapes: Option<Vec<u64>>,
    memory: Option<u64>,
    right: Option<usize>,
    left: Option<usize>,
    plan: &str,
) -> PyResult<FlatPlan> {
    let value_error = |message: String| pyo3::exceptions::PyValueError::new_err(message);
    if tapes.is_some() != memory.is_some() {
        return Err(value_error(
            "tapes and memory go together: give both or neither".to_string(),
        ));
    }
    if !matches!(plan, "optimal" | "tangent" | "adjoint") {
        return Err(value_error(format!(
            "plan is {}; it must be 'optimal', 'tangent' or 'adjoint'",
            chainplan::text::quote(plan)
        )));
    }
    py.detach(|| -> Result<Option<FlatPlan>, Error> {
        let mut chain = MatrixFreeChain::new(&widths, &tangent, &adjoint)?;
        if let (Some(t), Some(m)) = (tapes, memory) {
            chain = chain.with_memory(&t, m)?;
        }
        if let Some(k) = right {
            chain = chain.with_seed(Seed::Input(k))?;
        }
        if let Some(k) = left {
            chain = chain.with_seed(Seed::Output(k))?;
        }
        let root = match plan {
            "optimal" => chain.optimal()?,
            "tangent" => chain.tangent_plan()?,
            // Pure adjoint mode needs the whole tape within memory.
            _ => match chain.adjoint_plan()? {
                Some(root) => root,
                None => return Ok(None),
            },
        };
        let names = chain.elementals().iter().map(|e| e.name.clone()).collect();
        Ok(Some((
            flatten(&root),
            chain.plan_string(&root),
            chain.tangent_cost()?,
            chain.adjoint_cost()?,
            names,
        )))
    })
    .map_err(|e| value_error(e.to_string()))?
    .ok_or_else(|| value_error("pure adjoint mode needs the whole tape within memory".to_string()))
}

/// Adds this module's functions to the extension module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(matrix_free_plan, m)?)
}
