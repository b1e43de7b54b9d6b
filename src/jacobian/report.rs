//! The report of the `jacobian` command: dense costs, and the matrix-free model when asked.

use super::dense::{named_order, JacobianChain, LayerKind, Mode, Seed};
use super::matrix_free::{MatrixFreeChain, MfNode, MfOp};
use crate::error::Result;
use crate::table::{json_of, Cell, Report, Table};
use crate::text::ratio_of;
use serde::Serialize;

/// Costs of a Jacobian chain under the matrix-free model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixFreeReport {
    /// Pure tangent (forward) mode.
    pub forward: u128,
    /// Pure adjoint (reverse) mode; `null` when its tape exceeds the memory limit.
    pub reverse: Option<u128>,
    /// The optimum of the dynamic program.
    pub optimal: u128,
    /// The optimum's mode (`mixed` only when strictly cheaper than both pure modes).
    pub mode: Mode,
    /// The cheaper allowed pure mode's cost divided by the optimum's.
    pub pure_over_optimal: f64,
    /// The memory limit, if any.
    pub memory: Option<u64>,
    /// The optimal plan in one line ([`MatrixFreeChain::plan_string`]).
    pub order: String,
    /// The optimal plan as a tree of operations, with names for its spans.
    pub plan: NamedMfNode,
}

/// A node of a matrix-free plan as reports write it: an [`MfNode`] whose spans are written
/// with the chain's names (`F1..F3`, `S`) instead of indices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedMfNode {
    /// The operation.
    pub op: MfOp,
    /// The elementals whose Jacobian this node produces, as `F1..F3` (or one name).
    pub span: String,
    /// For `push` and `pull`: the elementals propagated through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub through: Option<String>,
    /// Rows of the result.
    pub rows: usize,
    /// Columns of the result.
    pub cols: usize,
    /// Cost of this operation alone.
    pub cost: u128,
    /// Cost of this operation and everything below it.
    pub total: u128,
    /// Inputs, as in [`MfNode`].
    pub children: Vec<NamedMfNode>,
}

impl NamedMfNode {
    /// `node` of a plan of `chain`, named (recursion depth at most that of the plan's tree,
    /// 2L).
    pub fn new(chain: &MatrixFreeChain, node: &MfNode) -> Self {
        NamedMfNode {
            op: node.op(),
            span: chain.span_name(node.span()),
            through: node.through().map(|t| chain.span_name(t)),
            rows: node.shape().0,
            cols: node.shape().1,
            cost: node.cost(),
            total: node.total(),
            children: node
                .children()
                .iter()
                .map(|c| NamedMfNode::new(chain, c))
                .collect(),
        }
    }

    /// The operations of the tree, in post-order (inputs before the node that uses them).
    pub fn post_order(&self) -> Vec<&NamedMfNode> {
        super::matrix_free::post_order(self, |node| &node.children)
    }
}

impl MatrixFreeReport {
    /// Solves the matrix-free model of `chain`.
    pub fn new(chain: &MatrixFreeChain) -> Result<Self> {
        let forward = chain.tangent_cost()?;
        let reverse = chain.adjoint_cost()?;
        let plan = chain.optimal()?;
        let optimal = plan.total();
        let mode = Mode::classify(forward, reverse.unwrap_or(u128::MAX), optimal);
        Ok(MatrixFreeReport {
            forward,
            reverse,
            optimal,
            mode,
            pure_over_optimal: ratio_of(
                forward.min(reverse.unwrap_or(u128::MAX)) as f64,
                optimal as f64,
            ),
            memory: chain.memory(),
            order: chain.plan_string(&plan),
            plan: NamedMfNode::new(chain, &plan),
        })
    }
}

/// What `chainplan jacobian` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JacobianReport {
    /// Layer widths n_0 (input) … n_L (output), one per layer boundary (an elementwise
    /// layer's width appears before and after it).
    pub widths: Vec<usize>,
    /// Layer kinds (`dense` or `elementwise`), in evaluation order.
    pub layers: Vec<LayerKind>,
    /// The seed: `{"kind": "output", "size": 1}`, `{"kind": "none"}`, ….
    pub seed: Seed,
    /// The matrix chain's dimensions, left to right.
    pub chain_dims: Vec<usize>,
    /// Names of the chain's matrices, left to right.
    pub factors: Vec<String>,
    /// Cost of forward mode (right to left).
    pub forward: u128,
    /// Cost of reverse mode (left to right).
    pub reverse: u128,
    /// Cost of the optimal order.
    pub optimal: u128,
    /// The optimal order, `A1 … An` form.
    pub order: String,
    /// Forward mode's order with the factors' names.
    pub forward_order: String,
    /// Reverse mode's order with the factors' names.
    pub reverse_order: String,
    /// The optimal order with the factors' names.
    pub named_order: String,
    /// `forward`, `reverse` or `mixed`.
    pub mode: Mode,
    /// The cheaper pure mode's cost divided by the optimum's.
    pub pure_over_optimal: f64,
    /// The matrix-free model, when tangent and adjoint costs were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_free: Option<MatrixFreeReport>,
}

impl JacobianReport {
    /// Analyses `chain`, and the matrix-free model `mf` if given.
    ///
    /// ```
    /// use chainplan::jacobian::{report::JacobianReport, JacobianChain, Seed};
    /// let jc = JacobianChain::new(&[784, 512, 512, 10], Seed::Output(1))?;
    /// let r = JacobianReport::new(&jc, None)?;
    /// assert_eq!(r.chain_dims, [1, 10, 512, 512, 784]);
    /// assert_eq!(r.mode.name(), "reverse");
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn new(chain: &JacobianChain, mf: Option<&MatrixFreeChain>) -> Result<Self> {
        let a = chain.analyze()?;
        Ok(JacobianReport {
            widths: chain.layer_widths().to_vec(),
            layers: chain.layers().to_vec(),
            seed: chain.seed(),
            chain_dims: a.chain_dims,
            factors: chain.factor_names(),
            forward: a.forward,
            reverse: a.reverse,
            optimal: a.optimal,
            order: a.order,
            forward_order: named_order(&chain.forward_plan()?, &chain.factor_names()),
            reverse_order: named_order(&chain.reverse_plan()?, &chain.factor_names()),
            named_order: a.named_order,
            mode: a.mode,
            pure_over_optimal: a.pure_over_optimal,
            matrix_free: mf.map(MatrixFreeReport::new).transpose()?,
        })
    }
}

fn vs(cost: u128, optimal: u128) -> Cell {
    Cell::Ratio(ratio_of(cost as f64, optimal as f64))
}

impl Report for JacobianReport {
    fn to_json(&self) -> serde_json::Result<String> {
        json_of(self)
    }

    fn tables(&self) -> Vec<Table> {
        let dims: Vec<String> = self.chain_dims.iter().map(usize::to_string).collect();
        let mut dense = Table::new(
            format!(
                "Jacobian chain {} (dimensions {})",
                self.factors.join("·"),
                dims.join(" ")
            ),
            &["mode", "order", "scalar mults", "vs optimal"],
        );
        dense.push(vec![
            "forward (right to left)".into(),
            Cell::Text(self.forward_order.clone()),
            Cell::Int(self.forward),
            vs(self.forward, self.optimal),
        ]);
        dense.push(vec![
            "reverse (left to right)".into(),
            Cell::Text(self.reverse_order.clone()),
            Cell::Int(self.reverse),
            vs(self.reverse, self.optimal),
        ]);
        dense.push(vec![
            format!("optimal: {}", self.mode).into(),
            Cell::Text(self.named_order.clone()),
            Cell::Int(self.optimal),
            Cell::Ratio(1.0),
        ]);
        let mut summary = Table::new("Summary", &["measure", "value"]);
        summary.push(vec!["optimal mode".into(), self.mode.name().into()]);
        summary.push(vec!["optimal order".into(), self.order.clone().into()]);
        summary.push(vec![
            "best pure mode / optimum".into(),
            Cell::Ratio(self.pure_over_optimal),
        ]);
        let mut tables = vec![dense, summary];
        if let Some(mf) = &self.matrix_free {
            let mut t = Table::new(
                match mf.memory {
                    Some(m) => format!("Matrix-free model (memory limit {m})"),
                    None => "Matrix-free model (no memory limit)".to_string(),
                },
                &["mode", "plan", "fused mult-adds", "vs optimal"],
            );
            t.push(vec![
                "tangent (forward)".into(),
                Cell::Empty,
                Cell::Int(mf.forward),
                vs(mf.forward, mf.optimal),
            ]);
            t.push(match mf.reverse {
                Some(r) => vec![
                    "adjoint (reverse)".into(),
                    Cell::Empty,
                    Cell::Int(r),
                    vs(r, mf.optimal),
                ],
                None => vec![
                    "adjoint (reverse)".into(),
                    "not allowed: the whole tape exceeds the memory limit".into(),
                    Cell::Empty,
                    Cell::Empty,
                ],
            });
            t.push(vec![
                format!("optimal: {}", mf.mode).into(),
                Cell::Text(mf.order.clone()),
                Cell::Int(mf.optimal),
                Cell::Ratio(1.0),
            ]);
            let mut steps = Table::new(
                "Operations of the matrix-free optimum, in execution order",
                &["operation", "result", "shape", "cost"],
            );
            for node in mf.plan.post_order() {
                let op = match node.op {
                    MfOp::Given => "given",
                    MfOp::Tangents => "accumulate by tangents",
                    MfOp::Adjoints => "accumulate by adjoints",
                    MfOp::Multiply => "multiply",
                    MfOp::Push => "push through tangents of",
                    MfOp::Pull => "pull through adjoints of",
                };
                let what = match &node.through {
                    Some(t) => format!("{op} {t}"),
                    None => op.to_string(),
                };
                steps.push(vec![
                    Cell::Text(what),
                    Cell::Text(format!("F'({})", node.span)),
                    Cell::Text(format!("{} × {}", node.rows, node.cols)),
                    Cell::Int(node.cost),
                ]);
            }
            tables.push(t);
            tables.push(steps);
        }
        tables
    }
}
