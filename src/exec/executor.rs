//! The executor: validates operands against a plan and runs its steps on BLAS.

use super::buffers::BufferPlan;
use super::factor::{AsFactor, AsMatrix, Factor, Product};
use super::kernel::{blas_compatible, multiply_into};
use super::Element;
use crate::error::ExecError;
use crate::error::{Error, Result};
use crate::plan::{Operand, Plan};
use ndarray::{
    Array1, Array2, ArrayBase, ArrayView2, ArrayViewMut2, Axis, DataMut, Dimension, Ix2,
};

/// Runs one plan, as often as wanted, over operands of the plan's shapes.
///
/// Creating an executor allocates (and touches) the workspace that [`BufferPlan`] sizes for the
/// plan's intermediates; every run reuses it, so repeated runs allocate nothing but their
/// output (and [`Executor::run_into`] not even that). The free functions
/// [`execute`](super::execute) and friends create one per call.
///
/// ```
/// use chainplan::{Chain, exec::Executor, plan::dp};
/// use ndarray::Array2;
/// let chain = Chain::new(vec![3u32, 40, 2, 30])?;
/// let plan = dp::optimal(&chain)?;
/// let ops = [
///     Array2::from_elem((3, 40), 1.0),
///     Array2::from_elem((40, 2), 1.0),
///     Array2::from_elem((2, 30), 1.0),
/// ];
/// let mut exec = Executor::<f64>::new(&plan)?;
/// let mut out = Array2::zeros((3, 30));
/// for _ in 0..3 {
///     exec.run_into(&ops, &mut out)?; // with BLAS: no heap allocation after the first call
/// }
/// assert!(out.iter().all(|&x| x == 40.0 * 2.0));
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Executor<T> {
    plan: Plan,
    buffers: BufferPlan,
    slots: Vec<Vec<T>>,
}

/// A zero-filled vector of `elements` elements, or a typed error where `Vec` would abort.
pub(crate) fn zeroed_vec<T: Element>(elements: u128, what: &'static str) -> Result<Vec<T>> {
    let bytes = elements
        .checked_mul(std::mem::size_of::<T>() as u128)
        .ok_or(Error::Overflow {
            what: "allocation size",
            bits: 128,
        })?;
    let oom = || Error::OutOfMemory { what, bytes };
    let len = usize::try_from(elements).map_err(|_| oom())?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| oom())?;
    v.resize(len, T::zero());
    Ok(v)
}

/// A zero-filled m × n matrix, or a typed error where allocation would abort.
pub(crate) fn zeroed_matrix<T: Element>(
    (m, n): (usize, usize),
    what: &'static str,
) -> Result<Array2<T>> {
    let v = zeroed_vec::<T>(m as u128 * n as u128, what)?;
    Array2::from_shape_vec((m, n), v).map_err(|source| {
        ExecError::Layout {
            action: format!("shape {what}"),
            source,
        }
        .into()
    })
}

/// Checks that neighbouring operands can be multiplied, naming both on failure.
pub(crate) fn check_adjacent<T>(views: &[ArrayView2<'_, T>]) -> Result<()> {
    check_adjacent_inputs(&views)
}

/// The inputs of one run, as 2-D views by position, without collecting them (a run after the
/// first allocates nothing, so it holds no `Vec` of views).
trait Inputs<T> {
    /// Number of inputs.
    fn count(&self) -> usize;
    /// Input `i` as a matrix.
    fn matrix(&self, i: usize) -> ArrayView2<'_, T>;
}

impl<T> Inputs<T> for &[ArrayView2<'_, T>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn matrix(&self, i: usize) -> ArrayView2<'_, T> {
        self[i].view()
    }
}

/// Matrices given as anything [`AsMatrix`].
struct Matrices<'a, M>(&'a [M]);

impl<T, M: AsMatrix<T>> Inputs<T> for Matrices<'_, M> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn matrix(&self, i: usize) -> ArrayView2<'_, T> {
        self.0[i].as_matrix()
    }
}

/// Factors with a first 1-D vector lifted to a row (1 × len) and a last one to a column
/// (len × 1). Vector positions are checked by [`vector_ends`] first.
struct Lifted<'a, F>(&'a [F]);

impl<T, F: AsFactor<T>> Inputs<T> for Lifted<'_, F> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn matrix(&self, i: usize) -> ArrayView2<'_, T> {
        match self.0[i].as_factor() {
            Factor::Matrix(a) => a,
            Factor::Vector(v) if i == 0 => v.insert_axis(Axis(0)),
            Factor::Vector(v) => v.insert_axis(Axis(1)),
        }
    }
}

/// Whether the first and the last factor are vectors; an error for a vector in between.
/// A lone vector counts as a first one (a row).
pub(crate) fn vector_ends<T, F: AsFactor<T>>(factors: &[F]) -> Result<(bool, bool)> {
    let count = factors.len();
    let mut ends = (false, false);
    for (i, f) in factors.iter().enumerate() {
        if let Factor::Vector(_) = f.as_factor() {
            if i == 0 {
                ends.0 = true;
            } else if i + 1 == count {
                ends.1 = true;
            } else {
                return Err(ExecError::VectorPosition {
                    position: i + 1,
                    count,
                }
                .into());
            }
        }
    }
    Ok(ends)
}

fn check_adjacent_inputs<T>(inputs: &impl Inputs<T>) -> Result<()> {
    for i in 1..inputs.count() {
        let ((r0, c0), (r1, c1)) = (inputs.matrix(i - 1).dim(), inputs.matrix(i).dim());
        if c0 != r1 {
            return Err(Error::ShapeMismatch {
                lhs: Operand::Matrix(i - 1).name(),
                lhs_rows: r0,
                lhs_cols: c0,
                rhs: Operand::Matrix(i).name(),
                rhs_rows: r1,
                rhs_cols: c1,
            });
        }
    }
    Ok(())
}

/// Checks the operand count and every operand's shape against the plan's chain.
fn check_plan<T>(plan: &Plan, inputs: &impl Inputs<T>) -> Result<()> {
    if inputs.count() != plan.matrices() {
        return Err(ExecError::OperandCount {
            expected: plan.matrices(),
            got: inputs.count(),
        }
        .into());
    }
    check_adjacent_inputs(inputs)?;
    for i in 0..inputs.count() {
        let dim = inputs.matrix(i).dim();
        if dim != plan.chain().shape(i) {
            check_shape(&Operand::Matrix(i).name(), dim, plan.chain().shape(i))?;
        }
    }
    Ok(())
}

fn check_shape(what: &str, (rows, cols): (usize, usize), expected: (usize, usize)) -> Result<()> {
    if (rows, cols) != expected {
        return Err(ExecError::OperandShape {
            operand: what.to_string(),
            rows,
            cols,
            expected_rows: expected.0 as u64,
            expected_cols: expected.1 as u64,
        }
        .into());
    }
    Ok(())
}

impl<T: Element> Executor<T> {
    /// Prepares to run `plan`: sizes the workspace with [`BufferPlan`] and allocates it.
    ///
    /// Errors with [`Error::OutOfMemory`] (never an abort) if the workspace cannot be allocated.
    pub fn new(plan: &Plan) -> Result<Self> {
        let buffers = BufferPlan::new(plan);
        let slots = buffers
            .slot_elements()
            .iter()
            .map(|&e| zeroed_vec::<T>(e, "an intermediate result"))
            .collect::<Result<Vec<_>>>()?;
        Ok(Executor {
            plan: plan.clone(),
            buffers,
            slots,
        })
    }

    /// The plan this executor runs.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// How intermediates are assigned to workspace slots.
    pub fn buffers(&self) -> &BufferPlan {
        &self.buffers
    }

    /// Shape (rows, columns) of the product: p0 × pn, ready for `Array2::zeros`.
    pub fn output_shape(&self) -> (usize, usize) {
        self.plan.chain().output_shape()
    }

    /// Multiplies `operands` in the plan's order and returns the product.
    ///
    /// Errors: [`ExecError::OperandCount`], [`Error::ShapeMismatch`] (naming the two neighbours
    /// that cannot be multiplied), [`ExecError::OperandShape`] (an operand that differs from the
    /// plan's chain), [`Error::OutOfMemory`] for the output.
    pub fn run<M: AsMatrix<T>>(&mut self, operands: &[M]) -> Result<Array2<T>> {
        let inputs = Matrices(operands);
        check_plan(&self.plan, &inputs)?;
        let mut out = zeroed_matrix::<T>(self.output_shape(), "the product")?;
        self.run_checked(&inputs, &mut out.view_mut());
        Ok(out)
    }

    /// Like [`Executor::run`], but writes the product into `out` (numpy's `out=`), which must be
    /// p0 × pn. Any layout works; a standard (or transposed) one is written by BLAS directly,
    /// others through a temporary.
    ///
    /// **Allocation.** With the `blas` feature, a call makes no heap allocation when every
    /// operand and `out` have a layout BLAS takes (standard or transposed, positive strides,
    /// as `blas_compatible` says); an operand that does not is copied once per call, and
    /// such an `out` is written through a temporary. Without BLAS (default features or
    /// `pure-rust`), ndarray's `matrixmultiply` kernel allocates its packing buffers inside
    /// each matrix-matrix step (products with a vector operand allocate nothing); see the
    /// crate documentation's "Allocation" section for the measured counts.
    pub fn run_into<M, S>(&mut self, operands: &[M], out: &mut ArrayBase<S, Ix2>) -> Result<()>
    where
        M: AsMatrix<T>,
        S: DataMut<Elem = T>,
    {
        let inputs = Matrices(operands);
        check_plan(&self.plan, &inputs)?;
        check_shape("the output", out.dim(), self.output_shape())?;
        self.run_into_view(&inputs, out.view_mut())
    }

    /// Writes the product into a 2-D view of the output's shape, through a temporary when
    /// BLAS cannot write the view directly.
    fn run_into_view(
        &mut self,
        inputs: &impl Inputs<T>,
        mut out: ArrayViewMut2<'_, T>,
    ) -> Result<()> {
        if blas_compatible(&out.view()) {
            self.run_checked(inputs, &mut out);
        } else {
            let mut tmp = zeroed_matrix::<T>(out.dim(), "the product")?;
            self.run_checked(inputs, &mut tmp.view_mut());
            out.assign(&tmp);
        }
        Ok(())
    }

    /// Multiplies factors — matrices, with a 1-D row vector allowed first and a 1-D column
    /// vector last, as numpy's `multi_dot` takes them — and returns a matrix, a vector or a
    /// scalar. The plan's chain has a 1 at each end that is a vector; products with a vector
    /// run through `gemv`. `factors` may be [`Factor`]s, arrays, views, or `&dyn AsFactor`.
    ///
    /// Errors as [`Executor::run`], and [`ExecError::VectorPosition`] for a vector in the middle.
    pub fn run_factors<F: AsFactor<T>>(&mut self, factors: &[F]) -> Result<Product<T>> {
        let (first_vec, last_vec) = vector_ends(factors)?;
        let inputs = Lifted(factors);
        check_plan(&self.plan, &inputs)?;
        let mut out = zeroed_matrix::<T>(self.output_shape(), "the product")?;
        self.run_checked(&inputs, &mut out.view_mut());
        let (p0, pn) = out.dim();
        Ok(match (first_vec, last_vec) {
            (true, true) => Product::Scalar(out[[0, 0]]),
            (true, false) => Product::Vector(flatten(out, pn)?),
            (false, true) => Product::Vector(flatten(out, p0)?),
            (false, false) => Product::Matrix(out),
        })
    }

    /// Like [`Executor::run_factors`], but writes the product into `out`, which must have the
    /// exact shape of the result, as numpy's `out=`: `[p0, pn]` for a matrix, `[pn]` or `[p0]`
    /// for a vector, `[]` (a 0-D array) for a scalar. Otherwise [`ExecError::OutputShape`].
    ///
    /// Allocation: as [`Executor::run_into`]; with BLAS, none per call when operands and
    /// `out` have positive strides and matrices a BLAS layout.
    pub fn run_factors_into<F, S, D>(
        &mut self,
        factors: &[F],
        out: &mut ArrayBase<S, D>,
    ) -> Result<()>
    where
        F: AsFactor<T>,
        S: DataMut<Elem = T>,
        D: Dimension,
    {
        let (first_vec, last_vec) = vector_ends(factors)?;
        let inputs = Lifted(factors);
        check_plan(&self.plan, &inputs)?;
        let (p0, pn) = self.output_shape();
        let expected: &[usize] = match (first_vec, last_vec) {
            (true, true) => &[],
            (true, false) => &[pn],
            (false, true) => &[p0],
            (false, false) => &[p0, pn],
        };
        if out.shape() != expected {
            return Err(ExecError::OutputShape {
                got: out.shape().to_vec(),
                expected: expected.to_vec(),
            }
            .into());
        }
        let mut view = out.view_mut().into_dyn();
        if first_vec {
            view.insert_axis_inplace(Axis(0));
        }
        if last_vec {
            view.insert_axis_inplace(Axis(1));
        }
        let view = view
            .into_dimensionality::<Ix2>()
            .map_err(|source| ExecError::Layout {
                action: "view the output as a matrix".to_string(),
                source,
            })?;
        self.run_into_view(&inputs, view)
    }

    /// Runs the steps; operands, output shape and layouts are already checked.
    fn run_checked(&mut self, inputs: &impl Inputs<T>, out: &mut ArrayViewMut2<'_, T>) {
        // Operands BLAS cannot take as they are get a standard-layout copy; when all can, this
        // collects nothing and allocates nothing.
        let copies: Vec<(usize, Array2<T>)> = (0..inputs.count())
            .filter_map(|i| {
                let v = inputs.matrix(i);
                (!blas_compatible(&v)).then(|| (i, v.as_standard_layout().into_owned()))
            })
            .collect();
        let input = |i: usize| -> ArrayView2<'_, T> {
            match copies.iter().find(|(j, _)| *j == i) {
                Some((_, copy)) => copy.view(),
                None => inputs.matrix(i),
            }
        };
        let steps = self.plan.steps();
        if steps.is_empty() {
            out.assign(&input(0));
            return;
        }
        for (s, step) in steps.iter().enumerate() {
            let (m, n) = (step.m, step.n);
            let slot = self.buffers.slot_of(s);
            // Take the destination out of the workspace so that it can be written while the
            // operands (other slots) are read; it goes back after the product.
            let mut dst = slot.map(|i| std::mem::take(&mut self.slots[i]));
            {
                let view = |op: Operand| match op {
                    Operand::Matrix(i) => input(i),
                    Operand::Step(t) => {
                        let (m, n) = self.plan.shape(op);
                        let slot = self.buffers.slot_of(t).expect("intermediates have slots");
                        ArrayView2::from_shape((m, n), &self.slots[slot][..m * n])
                            .expect("slots are sized by BufferPlan")
                    }
                };
                let (a, b) = (view(step.lhs), view(step.rhs));
                match dst.as_mut() {
                    Some(buf) => {
                        let mut c = ArrayViewMut2::from_shape((m, n), &mut buf[..m * n])
                            .expect("slots are sized by BufferPlan");
                        multiply_into(&a, &b, &mut c);
                    }
                    None => multiply_into(&a, &b, out),
                }
            }
            if let (Some(i), Some(buf)) = (slot, dst) {
                self.slots[i] = buf;
            }
        }
    }
}

/// A one-row or one-column matrix as a 1-D array of `len` elements, without copying.
fn flatten<T: Element>(a: Array2<T>, len: usize) -> Result<Array1<T>> {
    a.into_shape_with_order(len).map_err(|source| {
        ExecError::Layout {
            action: "reshape the product".to_string(),
            source,
        }
        .into()
    })
}
