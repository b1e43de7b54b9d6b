//! The executor: validates operands against a plan and runs its steps on BLAS.

use super::buffers::BufferPlan;
use super::factor::{AsMatrix, Factor, Product};
use super::kernel::{blas_compatible, multiply_into};
use super::Element;
use crate::error::{Error, Result};
use crate::plan::{Operand, Plan};
use ndarray::{Array1, Array2, ArrayBase, ArrayView2, ArrayViewMut2, Axis, CowArray, DataMut, Ix2};

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
///     exec.run_into(&ops, &mut out)?; // no allocation
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
    (m, n): (u64, u64),
    what: &'static str,
) -> Result<Array2<T>> {
    let v = zeroed_vec::<T>(u128::from(m) * u128::from(n), what)?;
    // zeroed_vec succeeded, so m·n fits usize and so do m and n.
    Array2::from_shape_vec((m as usize, n as usize), v)
        .map_err(|e| Error::Invalid(format!("cannot shape {what}: {e}")))
}

/// Checks that neighbouring operands can be multiplied, naming both on failure.
pub(crate) fn check_adjacent<T>(views: &[ArrayView2<'_, T>]) -> Result<()> {
    for (i, pair) in views.windows(2).enumerate() {
        let ((r0, c0), (r1, c1)) = (pair[0].dim(), pair[1].dim());
        if c0 != r1 {
            return Err(Error::ShapeMismatch {
                lhs: Operand::Matrix(i).name(),
                lhs_rows: r0,
                lhs_cols: c0,
                rhs: Operand::Matrix(i + 1).name(),
                rhs_rows: r1,
                rhs_cols: c1,
            });
        }
    }
    Ok(())
}

/// Checks the operand count and every operand's shape against the plan's chain.
fn check_plan<T>(plan: &Plan, views: &[ArrayView2<'_, T>]) -> Result<()> {
    if views.len() != plan.matrices() {
        return Err(Error::OperandCount {
            expected: plan.matrices(),
            got: views.len(),
        });
    }
    check_adjacent(views)?;
    for (i, v) in views.iter().enumerate() {
        check_shape(&Operand::Matrix(i).name(), v.dim(), plan.chain().shape(i))?;
    }
    Ok(())
}

fn check_shape(what: &str, (rows, cols): (usize, usize), expected: (u64, u64)) -> Result<()> {
    if (rows as u64, cols as u64) != expected {
        return Err(Error::OperandShape {
            operand: what.to_string(),
            rows,
            cols,
            expected_rows: expected.0,
            expected_cols: expected.1,
        });
    }
    Ok(())
}

/// Views that BLAS accepts as they are, and standard-layout copies of the others.
fn blas_ready<'v, T: Element>(views: Vec<ArrayView2<'v, T>>) -> Vec<CowArray<'v, T, Ix2>> {
    views
        .into_iter()
        .map(|v| {
            if blas_compatible(&v) {
                CowArray::from(v)
            } else {
                CowArray::from(v.as_standard_layout().into_owned())
            }
        })
        .collect()
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

    /// Shape (rows, columns) of the product: p0 × pn.
    pub fn output_shape(&self) -> (u64, u64) {
        let chain = self.plan.chain();
        (chain.dim(0), chain.dim(chain.matrices()))
    }

    /// Multiplies `operands` in the plan's order and returns the product.
    ///
    /// Errors: [`Error::OperandCount`], [`Error::ShapeMismatch`] (naming the two neighbours
    /// that cannot be multiplied), [`Error::OperandShape`] (an operand that differs from the
    /// plan's chain), [`Error::OutOfMemory`] for the output.
    pub fn run<M: AsMatrix<T>>(&mut self, operands: &[M]) -> Result<Array2<T>> {
        let views: Vec<ArrayView2<'_, T>> = operands.iter().map(|m| m.as_matrix()).collect();
        check_plan(&self.plan, &views)?;
        let mut out = zeroed_matrix::<T>(self.output_shape(), "the product")?;
        self.run_checked(blas_ready(views), &mut out.view_mut());
        Ok(out)
    }

    /// Like [`Executor::run`], but writes the product into `out` (numpy's `out=`), which must be
    /// p0 × pn. Any layout works; a standard (or transposed) one is written by BLAS directly,
    /// others through a temporary.
    pub fn run_into<M, S>(&mut self, operands: &[M], out: &mut ArrayBase<S, Ix2>) -> Result<()>
    where
        M: AsMatrix<T>,
        S: DataMut<Elem = T>,
    {
        let views: Vec<ArrayView2<'_, T>> = operands.iter().map(|m| m.as_matrix()).collect();
        check_plan(&self.plan, &views)?;
        check_shape("the output", out.dim(), self.output_shape())?;
        let ready = blas_ready(views);
        if blas_compatible(&out.view()) {
            self.run_checked(ready, &mut out.view_mut());
        } else {
            let mut tmp = zeroed_matrix::<T>(self.output_shape(), "the product")?;
            self.run_checked(ready, &mut tmp.view_mut());
            out.assign(&tmp);
        }
        Ok(())
    }

    /// Multiplies [`Factor`]s, where the first may be a row vector and the last a column
    /// vector (1-D arrays), as numpy's `multi_dot` does. The plan's chain has a 1 at each end
    /// that is a vector; products with a vector run through `gemv`.
    ///
    /// Errors as [`Executor::run`], and [`Error::VectorPosition`] for a vector in the middle.
    pub fn run_factors(&mut self, factors: &[Factor<'_, T>]) -> Result<Product<T>> {
        let (views, first_vec, last_vec) = lift_factors(factors)?;
        if factors.len() == 1 {
            if let Factor::Vector(v) = &factors[0] {
                check_plan(&self.plan, &views)?;
                return Ok(Product::Vector(v.to_owned()));
            }
        }
        let out = self.run(&views)?;
        let (p0, pn) = out.dim();
        Ok(match (first_vec, last_vec) {
            (true, true) => Product::Scalar(out[[0, 0]]),
            (true, false) => Product::Vector(flatten(out, pn)?),
            (false, true) => Product::Vector(flatten(out, p0)?),
            (false, false) => Product::Matrix(out),
        })
    }

    /// Runs the steps; operands, output shape and layouts are already checked.
    fn run_checked(&mut self, mats: Vec<CowArray<'_, T, Ix2>>, out: &mut ArrayViewMut2<'_, T>) {
        let mats: Vec<ArrayView2<'_, T>> = mats.iter().map(|m| m.view()).collect();
        let steps = self.plan.steps();
        if steps.is_empty() {
            out.assign(&mats[0]);
            return;
        }
        for (s, step) in steps.iter().enumerate() {
            let (m, n) = (step.m as usize, step.n as usize);
            let slot = self.buffers.slot_of(s);
            // Take the destination out of the workspace so that it can be written while the
            // operands (other slots) are read; it goes back after the product.
            let mut dst = slot.map(|i| std::mem::take(&mut self.slots[i]));
            {
                let a = operand_view(&self.plan, &self.buffers, &self.slots, &mats, step.lhs);
                let b = operand_view(&self.plan, &self.buffers, &self.slots, &mats, step.rhs);
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
    a.into_shape_with_order(len)
        .map_err(|e| Error::Invalid(format!("cannot reshape the product: {e}")))
}

/// A view of an operand: an input matrix, or an intermediate in its workspace slot.
fn operand_view<'s, T>(
    plan: &Plan,
    buffers: &BufferPlan,
    slots: &'s [Vec<T>],
    mats: &'s [ArrayView2<'s, T>],
    op: Operand,
) -> ArrayView2<'s, T> {
    match op {
        Operand::Matrix(i) => mats[i].view(),
        Operand::Step(t) => {
            let (m, n) = plan.shape(op);
            let (m, n) = (m as usize, n as usize);
            let slot = buffers.slot_of(t).expect("intermediates have slots");
            ArrayView2::from_shape((m, n), &slots[slot][..m * n])
                .expect("slots are sized by BufferPlan")
        }
    }
}

/// 2-D views of factors (a first vector as a row, a last one as a column), and whether each
/// end was a vector.
pub(crate) fn lift_factors<'f, T>(
    factors: &'f [Factor<'_, T>],
) -> Result<(Vec<ArrayView2<'f, T>>, bool, bool)> {
    let count = factors.len();
    let mut first_vec = false;
    let mut last_vec = false;
    let mut views = Vec::with_capacity(count);
    for (i, f) in factors.iter().enumerate() {
        views.push(match f {
            Factor::Matrix(a) => a.view(),
            Factor::Vector(v) if i == 0 => {
                first_vec = true;
                v.view().insert_axis(Axis(0))
            }
            Factor::Vector(v) if i + 1 == count => {
                last_vec = true;
                v.view().insert_axis(Axis(1))
            }
            Factor::Vector(_) => {
                return Err(Error::VectorPosition {
                    position: i + 1,
                    count,
                })
            }
        });
    }
    Ok((views, first_vec, last_vec))
}
