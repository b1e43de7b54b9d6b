//! Running a matrix-free plan on the user's own operators.
//!
//! A [`JacobianOperator`] is one elemental function F_i of the user's program, known only by
//! what it can do with its Jacobian J_i (m_i × n_i) at the current point:
//!
//! - [`tangent`](JacobianOperator::tangent): J_i·Ẋ for a block Ẋ of tangents (columns),
//!   a Jacobian–vector product (JVP) per column;
//! - [`adjoint`](JacobianOperator::adjoint): Ȳ·J_i for a block Ȳ of adjoints (rows),
//!   a vector–Jacobian product (VJP) per row;
//! - optionally [`record`](JacobianOperator::record) and
//!   [`release`](JacobianOperator::release) of the tape its adjoint needs, whose size
//!   [`tape_size`](JacobianOperator::tape_size) reports for the memory limit;
//! - optionally the Jacobian itself, when it is explicitly known (a stored matrix, a seed):
//!   [`jacobian`](JacobianOperator::jacobian).
//!
//! [`MatrixFreeChain::from_operators`] reads the widths and costs of the operators, and
//! [`MatrixFreeChain::optimal`] plans the cheapest accumulation of F' (see
//! [`super::matrix_free`]); [`MatrixFreeChain::execute`] then runs that plan on the
//! operators: a [`MfOp::Tangents`] node pushes the identity's columns through the tangent, a
//! [`MfOp::Adjoints`] node pulls the identity's rows back through the adjoint, `push` and
//! `pull` nodes propagate a child's columns or rows through a run of operators, and
//! `multiply` nodes multiply two accumulated Jacobians on BLAS. Before the adjoints of a
//! `pull` run, the executor records the tapes of its operators in evaluation order, and
//! releases them after, so that at most the planned tapes are alive at once.
//!
//! [`FnOperator`] wraps a pair of closures, [`MatrixOperator`] a stored matrix.

use super::matrix_free::{Elemental, MatrixFreeChain, MfNode, MfOp};
use super::run::dense_product as product;
use crate::error::JacobianError;
use crate::error::{Error, OperatorProblem, Result};
use crate::exec::Element;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use std::fmt;
use std::ops::Range;

/// One elemental function of a matrix-free chain, known by its tangent and adjoint programs at
/// the current point.
///
/// Only the widths, [`tangent`](Self::tangent) and [`adjoint`](Self::adjoint) are required.
/// The costs default to those of a dense m × n matrix–vector product and the tape to none;
/// give your program's own for the planner to weigh them.
pub trait JacobianOperator<T: Element = f64> {
    /// n, the width of the elemental's input.
    fn inputs(&self) -> usize;

    /// m, the width of the elemental's output.
    fn outputs(&self) -> usize;

    /// J·Ẋ for an n × k block Ẋ whose columns are tangents: the m × k block of their
    /// Jacobian–vector products.
    fn tangent(&mut self, x_dot: ArrayView2<'_, T>) -> Array2<T>;

    /// Ȳ·J for a k × m block Ȳ whose rows are adjoints: the k × n block of their
    /// vector–Jacobian products.
    fn adjoint(&mut self, y_bar: ArrayView2<'_, T>) -> Array2<T>;

    /// Cost of one tangent (one column of [`tangent`](Self::tangent)), in the unit of the
    /// plan's costs (fused multiply-adds). Default: m·n, a dense matrix–vector product.
    fn tangent_cost(&self) -> u64 {
        (self.inputs() as u64).saturating_mul(self.outputs() as u64)
    }

    /// Cost of one adjoint (one row of [`adjoint`](Self::adjoint)). Default: m·n.
    fn adjoint_cost(&self) -> u64 {
        (self.inputs() as u64).saturating_mul(self.outputs() as u64)
    }

    /// Memory the adjoint program's tape takes while recorded, in the unit of the chain's
    /// memory limit. Default: 0 (no tape).
    fn tape_size(&self) -> u64 {
        0
    }

    /// Records the tape that [`adjoint`](Self::adjoint) needs (for example by running the
    /// elemental forward and storing its intermediates). Called before a run of adjoints, in
    /// evaluation order over the run. Default: nothing.
    fn record(&mut self) {}

    /// Frees the recorded tape. Called after the run of adjoints. Default: nothing.
    fn release(&mut self) {}

    /// The Jacobian itself when it is explicitly known (a stored matrix, such as a seed):
    /// accumulating it is then free. Default: `None`.
    fn jacobian(&self) -> Option<ArrayView2<'_, T>> {
        None
    }

    /// J·v for one tangent vector v (n entries): [`tangent`](Self::tangent) on one column.
    fn jvp(&mut self, v: ArrayView1<'_, T>) -> Array1<T> {
        self.tangent(v.insert_axis(Axis(1)))
            .index_axis_move(Axis(1), 0)
    }

    /// wᵀ·J for one adjoint vector w (m entries): [`adjoint`](Self::adjoint) on one row.
    fn vjp(&mut self, w: ArrayView1<'_, T>) -> Array1<T> {
        self.adjoint(w.insert_axis(Axis(0)))
            .index_axis_move(Axis(0), 0)
    }
}

/// Forwards every method of [`JacobianOperator`] through a pointer to an operator.
macro_rules! forward_operator {
    ($($pointer:ty),*) => {$(
        impl<T: Element, O: JacobianOperator<T> + ?Sized> JacobianOperator<T> for $pointer {
            fn inputs(&self) -> usize {
                (**self).inputs()
            }
            fn outputs(&self) -> usize {
                (**self).outputs()
            }
            fn tangent(&mut self, x_dot: ArrayView2<'_, T>) -> Array2<T> {
                (**self).tangent(x_dot)
            }
            fn adjoint(&mut self, y_bar: ArrayView2<'_, T>) -> Array2<T> {
                (**self).adjoint(y_bar)
            }
            fn tangent_cost(&self) -> u64 {
                (**self).tangent_cost()
            }
            fn adjoint_cost(&self) -> u64 {
                (**self).adjoint_cost()
            }
            fn tape_size(&self) -> u64 {
                (**self).tape_size()
            }
            fn record(&mut self) {
                (**self).record()
            }
            fn release(&mut self) {
                (**self).release()
            }
            fn jacobian(&self) -> Option<ArrayView2<'_, T>> {
                (**self).jacobian()
            }
        }
    )*};
}

forward_operator!(Box<O>, &mut O);

/// An operator from two closures: the tangent Ẋ ↦ J·Ẋ and the adjoint Ȳ ↦ Ȳ·J.
///
/// ```
/// use chainplan::jacobian::{FnOperator, JacobianOperator};
/// use ndarray::{array, Array2, ArrayView2};
/// // F(x) = (x0·x1, x1) at x = (2, 3): J = [[3, 2], [0, 1]].
/// let j = array![[3.0, 2.0], [0.0, 1.0]];
/// let mut op = FnOperator::new(
///     2,
///     2,
///     |xd: ArrayView2<f64>| j.dot(&xd),
///     |yb: ArrayView2<f64>| yb.dot(&j),
/// )
/// .with_costs(3, 4);
/// assert_eq!(op.jvp(array![1.0, 0.0].view()), array![3.0, 0.0]);
/// assert_eq!(op.vjp(array![1.0, 1.0].view()), array![3.0, 3.0]);
/// assert_eq!((op.tangent_cost(), op.adjoint_cost()), (3, 4));
/// ```
pub struct FnOperator<Tan, Adj> {
    inputs: usize,
    outputs: usize,
    tangent: Tan,
    adjoint: Adj,
    costs: Option<(u64, u64)>,
    tape: u64,
}

impl<Tan, Adj> fmt::Debug for FnOperator<Tan, Adj> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnOperator")
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .field("costs", &self.costs)
            .field("tape", &self.tape)
            .finish_non_exhaustive()
    }
}

impl<Tan, Adj> FnOperator<Tan, Adj> {
    /// An operator of an elemental R^inputs → R^outputs from its tangent and adjoint
    /// closures.
    pub fn new<T: Element>(inputs: usize, outputs: usize, tangent: Tan, adjoint: Adj) -> Self
    where
        Tan: FnMut(ArrayView2<'_, T>) -> Array2<T>,
        Adj: FnMut(ArrayView2<'_, T>) -> Array2<T>,
    {
        FnOperator {
            inputs,
            outputs,
            tangent,
            adjoint,
            costs: None,
            tape: 0,
        }
    }

    /// Sets the cost of one tangent and of one adjoint (default: m·n each).
    pub fn with_costs(mut self, tangent: u64, adjoint: u64) -> Self {
        self.costs = Some((tangent, adjoint));
        self
    }

    /// Sets the size of the adjoint's tape (default 0).
    pub fn with_tape(mut self, size: u64) -> Self {
        self.tape = size;
        self
    }
}

impl<T, Tan, Adj> JacobianOperator<T> for FnOperator<Tan, Adj>
where
    T: Element,
    Tan: FnMut(ArrayView2<'_, T>) -> Array2<T>,
    Adj: FnMut(ArrayView2<'_, T>) -> Array2<T>,
{
    fn inputs(&self) -> usize {
        self.inputs
    }
    fn outputs(&self) -> usize {
        self.outputs
    }
    fn tangent(&mut self, x_dot: ArrayView2<'_, T>) -> Array2<T> {
        (self.tangent)(x_dot)
    }
    fn adjoint(&mut self, y_bar: ArrayView2<'_, T>) -> Array2<T> {
        (self.adjoint)(y_bar)
    }
    fn tangent_cost(&self) -> u64 {
        match self.costs {
            Some((t, _)) => t,
            None => (self.inputs as u64).saturating_mul(self.outputs as u64),
        }
    }
    fn adjoint_cost(&self) -> u64 {
        match self.costs {
            Some((_, a)) => a,
            None => (self.inputs as u64).saturating_mul(self.outputs as u64),
        }
    }
    fn tape_size(&self) -> u64 {
        self.tape
    }
}

/// A stored matrix as an operator, its Jacobian explicitly known: a seed, or a linear layer
/// kept as a matrix. Accumulating it is free; its tangent and adjoint are matrix products.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixOperator<T = f64> {
    matrix: Array2<T>,
}

impl<T: Element> MatrixOperator<T> {
    /// The operator x ↦ A·x of the m × n matrix A.
    pub fn new(matrix: Array2<T>) -> Self {
        MatrixOperator { matrix }
    }
}

impl<T: Element> JacobianOperator<T> for MatrixOperator<T> {
    fn inputs(&self) -> usize {
        self.matrix.ncols()
    }
    fn outputs(&self) -> usize {
        self.matrix.nrows()
    }
    fn tangent(&mut self, x_dot: ArrayView2<'_, T>) -> Array2<T> {
        product(&self.matrix.view(), &x_dot)
    }
    fn adjoint(&mut self, y_bar: ArrayView2<'_, T>) -> Array2<T> {
        product(&y_bar, &self.matrix.view())
    }
    fn jacobian(&self) -> Option<ArrayView2<'_, T>> {
        Some(self.matrix.view())
    }
}

fn op_error(chain: &MatrixFreeChain, i: usize, problem: OperatorProblem) -> Error {
    JacobianError::Operator {
        index: i + 1,
        name: chain.elementals()[i].name.clone(),
        problem,
    }
    .into()
}

fn check_result<T>(
    chain: &MatrixFreeChain,
    i: usize,
    what: &'static str,
    a: &Array2<T>,
    expected: (usize, usize),
) -> Result<()> {
    let (rows, cols) = a.dim();
    if (rows, cols) != expected {
        return Err(op_error(
            chain,
            i,
            OperatorProblem::Result {
                what,
                rows,
                cols,
                expected_rows: expected.0,
                expected_cols: expected.1,
            },
        ));
    }
    Ok(())
}

impl MatrixFreeChain {
    /// The chain of the user's operators F_1 … F_L, in evaluation order (input to output):
    /// widths, tangent and adjoint costs and tape sizes as the operators report them; an
    /// operator with an explicit Jacobian is given (free to accumulate). No memory limit
    /// ([`MatrixFreeChain::with_memory_limit`] sets one).
    ///
    /// Errors: no operator, an operator whose input width is not the previous one's output
    /// width ([`OperatorProblem::Joint`]), a width of 0 or above `u32::MAX`.
    pub fn from_operators<T: Element, O: JacobianOperator<T>>(ops: &[O]) -> Result<Self> {
        if ops.is_empty() {
            return Err(JacobianError::OperatorCount {
                expected: 1,
                got: 0,
            }
            .into());
        }
        let mut widths = vec![ops[0].inputs()];
        for (i, op) in ops.iter().enumerate() {
            let previous_outputs = widths[widths.len() - 1];
            if op.inputs() != previous_outputs {
                return Err(JacobianError::Operator {
                    index: i + 1,
                    name: format!("F{}", i + 1),
                    problem: OperatorProblem::Joint {
                        inputs: op.inputs(),
                        previous_outputs,
                    },
                }
                .into());
            }
            widths.push(op.outputs());
        }
        let tangent: Vec<u64> = ops.iter().map(|o| o.tangent_cost()).collect();
        let adjoint: Vec<u64> = ops.iter().map(|o| o.adjoint_cost()).collect();
        let chain = MatrixFreeChain::new(&widths, &tangent, &adjoint)?;
        let elementals = chain
            .elementals()
            .iter()
            .zip(ops)
            .map(|(e, op)| Elemental {
                tape: op.tape_size(),
                given: op.jacobian().is_some(),
                ..e.clone()
            })
            .collect();
        Ok(MatrixFreeChain::from_parts(elementals, None))
    }

    /// Checks `ops` against this chain: one per elemental, in evaluation order, with the
    /// elemental's widths, and an explicit Jacobian where the elemental is given.
    pub fn check_operators<T: Element, O: JacobianOperator<T>>(&self, ops: &[O]) -> Result<()> {
        let el = self.elementals();
        if ops.len() != el.len() {
            return Err(JacobianError::OperatorCount {
                expected: el.len(),
                got: ops.len(),
            }
            .into());
        }
        for (i, (e, op)) in el.iter().zip(ops).enumerate() {
            if (op.inputs(), op.outputs()) != (e.inputs, e.outputs) {
                return Err(op_error(
                    self,
                    i,
                    OperatorProblem::Widths {
                        inputs: op.inputs(),
                        outputs: op.outputs(),
                        expected_inputs: e.inputs,
                        expected_outputs: e.outputs,
                    },
                ));
            }
            if e.given && op.jacobian().is_none() {
                return Err(op_error(self, i, OperatorProblem::NoJacobian));
            }
        }
        Ok(())
    }

    /// Checks that `plan` is a plan of this chain: each node's span and children fit, leaves
    /// are single elementals, a given Jacobian only where the elemental is given, and every
    /// adjoint run's tapes within the memory limit.
    pub fn check_plan(&self, plan: &MfNode) -> Result<()> {
        let l = self.elementals().len();
        let bad = |node: &MfNode, why: &str| -> Error {
            JacobianError::BadMatrixFreePlan {
                reason: format!(
                    "the {:?} node over {}..{} {why}",
                    node.op(),
                    node.span().start + 1,
                    node.span().end
                ),
            }
            .into()
        };
        if plan.span() != (0..l) {
            return Err(bad(
                plan,
                &format!("does not cover the chain's {l} elementals"),
            ));
        }
        for node in plan.post_order() {
            let Range { start: i, end } = node.span();
            if i >= end || end > l {
                return Err(bad(node, "is not a span of the chain"));
            }
            let j = end - 1;
            let el = self.elementals();
            if node.shape() != (el[j].outputs, el[i].inputs) {
                return Err(bad(node, "has the wrong shape"));
            }
            let children: Vec<Range<usize>> = node.children().iter().map(MfNode::span).collect();
            let through = node.through();
            let fits = match node.op() {
                MfOp::Given => i == j && el[i].given && children.is_empty(),
                MfOp::Tangents | MfOp::Adjoints => i == j && children.is_empty(),
                MfOp::Multiply => {
                    children.len() == 2
                        && children[0].end == end
                        && children[1].start == i
                        && children[1].end == children[0].start
                }
                MfOp::Push => {
                    children.len() == 1
                        && children[0].start == i
                        && through.as_ref() == Some(&(children[0].end..end))
                }
                MfOp::Pull => {
                    children.len() == 1
                        && children[0].end == end
                        && through.as_ref() == Some(&(i..children[0].start))
                }
            };
            if !fits || through.as_ref().is_some_and(|t| t.is_empty()) {
                return Err(bad(node, "does not join its inputs"));
            }
            let tape: Option<Range<usize>> = match node.op() {
                MfOp::Adjoints => Some(i..end),
                MfOp::Pull => through,
                _ => None,
            };
            if let (Some(t), Some(limit)) = (tape, self.memory()) {
                let need = el[t].iter().map(|e| u128::from(e.tape)).sum::<u128>();
                if need > u128::from(limit) {
                    return Err(bad(
                        node,
                        &format!("needs tapes of {need}, over the memory limit {limit}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Runs `plan` (such as [`MatrixFreeChain::optimal`]) on the operators `ops` (one per
    /// elemental, in evaluation order) and returns the Jacobian F' of the whole chain,
    /// m_L × n_1.
    ///
    /// ```
    /// use chainplan::jacobian::{JacobianOperator, MatrixFreeChain, MatrixOperator};
    /// use ndarray::array;
    /// // Two linear elementals, known here as matrices (any JacobianOperator will do).
    /// let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]; // F1: R² → R³
    /// let b = array![[1.0, 0.0, -1.0]]; // F2: R³ → R
    /// let mut ops = [MatrixOperator::new(a.clone()), MatrixOperator::new(b.clone())];
    /// let chain = MatrixFreeChain::from_operators(&ops)?;
    /// let plan = chain.optimal()?;
    /// let jacobian = chain.execute(&plan, &mut ops)?;
    /// assert_eq!(jacobian, b.dot(&a));
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: [`JacobianError::OperatorCount`]; [`JacobianError::Operator`] for an operator that does not
    /// fit its elemental or returns a result of the wrong shape; [`JacobianError::BadMatrixFreePlan`]
    /// for a plan of another chain ([`MatrixFreeChain::check_plan`]).
    pub fn execute<T: Element, O: JacobianOperator<T>>(
        &self,
        plan: &MfNode,
        ops: &mut [O],
    ) -> Result<Array2<T>> {
        self.check_operators(ops)?;
        self.check_plan(plan)?;
        let el = self.elementals();
        let mut results: Vec<Array2<T>> = Vec::new();
        for node in plan.post_order() {
            let (i, j) = (node.first(), node.last());
            let shape = (el[j].outputs, el[i].inputs);
            let value = match node.op() {
                MfOp::Given => {
                    let a = ops[i].jacobian().expect("checked").to_owned();
                    check_result(self, i, "jacobian", &a, shape)?;
                    a
                }
                MfOp::Tangents => {
                    let a = ops[i].tangent(Array2::eye(el[i].inputs).view());
                    check_result(self, i, "tangent", &a, shape)?;
                    a
                }
                MfOp::Adjoints => {
                    ops[i].record();
                    let a = ops[i].adjoint(Array2::eye(el[i].outputs).view());
                    ops[i].release();
                    check_result(self, i, "adjoint", &a, shape)?;
                    a
                }
                MfOp::Multiply => {
                    let right = results.pop().expect("post-order");
                    let left = results.pop().expect("post-order");
                    product(&left.view(), &right.view())
                }
                MfOp::Push => {
                    let mut x = results.pop().expect("post-order");
                    for p in node.through().expect("checked") {
                        x = ops[p].tangent(x.view());
                        check_result(self, p, "tangent", &x, (el[p].outputs, el[i].inputs))?;
                    }
                    x
                }
                MfOp::Pull => {
                    let mut y = results.pop().expect("post-order");
                    let run = node.through().expect("checked");
                    for p in run.clone() {
                        ops[p].record();
                    }
                    let mut outcome = Ok(());
                    for p in run.clone().rev() {
                        y = ops[p].adjoint(y.view());
                        outcome =
                            check_result(self, p, "adjoint", &y, (el[j].outputs, el[p].inputs));
                        if outcome.is_err() {
                            break;
                        }
                    }
                    for p in run {
                        ops[p].release();
                    }
                    outcome?;
                    y
                }
            };
            results.push(value);
        }
        Ok(results.pop().expect("the root"))
    }
}
