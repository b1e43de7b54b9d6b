//! Execution: turning a [`Plan`] into a real product on BLAS-backed ndarray.
//!
//! A plan is a list of pairwise steps in execution order; executing it means computing each
//! step's (m × k) · (k × n) product from two operands — input matrices or earlier results — and
//! returning the last. The flop count 2·m·k·n of each step is what the planner minimised; this
//! module makes the wall-clock time follow it as closely as BLAS allows:
//!
//! - **Shapes are checked first.** ndarray's `dot` panics on a mismatch; here every operand is
//!   checked against its neighbour and against the plan's chain before anything is multiplied,
//!   and a mismatch is a typed [`Error`](crate::Error) naming the operands
//!   ([`ShapeMismatch`](crate::Error::ShapeMismatch),
//!   [`OperandShape`](crate::error::ExecError::OperandShape), [`OperandCount`](crate::error::ExecError::OperandCount)).
//! - **Intermediates go to a workspace allocated once.** [`BufferPlan`] assigns each
//!   intermediate to a reusable slot; an [`Executor`] allocates the slots once and writes each
//!   product into its slot with `general_mat_mul` (β = 0), instead of allocating and zeroing a
//!   fresh matrix per step as `dot` does. [`Executor::run_into`] and [`execute_into`] also
//!   write the final product into the caller's array (numpy's `out=`).
//! - **Every product reaches BLAS.** Operands whose layout BLAS cannot take (such as strided
//!   slices) are copied once to standard layout; workspace and outputs are standard layout.
//! - **Vectors take the vector path.** A product with a one-row or one-column operand runs
//!   through `gemv` (or `dot`), not `gemm` — measured several times faster through OpenBLAS.
//!   The table of which BLAS routine each shape uses is in the `kernel` module's source;
//!   in short: `?dot` for 1 × k · k × 1, `?gemv` when m = 1 or n = 1, `?gemm` otherwise.
//! - **Vectors at the ends**, as numpy's `multi_dot` allows: with [`Factor`]s the first
//!   operand may be a 1-D row vector and the last a 1-D column vector, giving a [`Product`]
//!   that is a vector or a scalar.
//!
//! Elements are `f64` or `f32` ([`Element`]), the types BLAS serves. With the non-default
//! feature `benchmark`, `bench` measures the orders of a chain against each other (the
//! `chainplan bench` command); [`crate::system`] describes the machine (BLAS, threads, CPU,
//! memory) for benchmark headers.
//!
//! ```
//! use chainplan::{Chain, exec, plan::dp};
//! use ndarray::Array2;
//!
//! let a = Array2::<f64>::from_elem((10, 100), 1.0);
//! let b = Array2::<f64>::from_elem((100, 5), 1.0);
//! let c = Array2::<f64>::from_elem((5, 50), 1.0);
//! let plan = dp::optimal(&Chain::new(vec![10u32, 100, 5, 50])?)?;
//! assert_eq!(plan.order(), "((A1A2)A3)");
//! let product = exec::execute(&plan, &[&a, &b, &c])?;
//! assert_eq!(product.dim(), (10, 50));
//! assert!(product.iter().all(|&x| x == 500.0));
//!
//! // Or plan and execute in one call, as numpy.linalg.multi_dot does:
//! assert_eq!(exec::multi_dot(&[&a, &b, &c])?.into_matrix(), Some(product));
//!
//! // Shapes are checked: B·A does not fit, and says so.
//! let err = exec::execute(&plan, &[&b, &a, &c]).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "cannot multiply A1 (100 x 5) by A2 (10 x 100): inner dimensions 5 and 10 differ"
//! );
//! # Ok::<(), chainplan::Error>(())
//! ```

#[cfg(feature = "benchmark")]
pub mod bench;
mod buffers;
#[cfg(feature = "benchmark")]
pub mod calibrate;
mod executor;
mod factor;
mod kernel;
mod multi_dot;

pub use buffers::BufferPlan;
pub use executor::Executor;
pub use factor::{AsFactor, AsMatrix, Factor, Product};
/// The pairwise product kernel (gemv/gemm by shape), for other modules of the library that
/// multiply structured operands themselves (`jacobian::run`, `jacobian::operator`).
pub(crate) use kernel::multiply_into;
pub use multi_dot::{multi_dot, multi_dot_factors, multi_dot_into, plan_for, plan_for_factors};

use crate::error::Result;
use crate::plan::Plan;
use ndarray::{Array2, ArrayBase, DataMut, Ix2, NdFloat};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// An element type that BLAS multiplies: `f64` or `f32`.
pub trait Element: NdFloat + sealed::Sealed {
    /// The type's name as reports print it: `f64` or `f32`.
    const NAME: &'static str;
}

impl Element for f64 {
    const NAME: &'static str = "f64";
}

impl Element for f32 {
    const NAME: &'static str = "f32";
}

/// Executes `plan` over `operands` (A1 … An) and returns the product.
///
/// Equivalent to `Executor::new(plan)?.run(operands)`; see [`Executor::run`] for the errors.
/// To run one plan many times, keep an [`Executor`].
pub fn execute<T: Element, M: AsMatrix<T>>(plan: &Plan, operands: &[M]) -> Result<Array2<T>> {
    Executor::new(plan)?.run(operands)
}

/// Executes `plan` over `operands` and writes the product into `out` (p0 × pn), like numpy's
/// `out=`. See [`Executor::run_into`].
///
/// ```
/// use chainplan::{Chain, Plan, exec};
/// use ndarray::{array, Array2};
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let plan = Plan::left_to_right(&Chain::new(vec![2u32, 2, 2])?)?;
/// let mut out = Array2::zeros((2, 2));
/// exec::execute_into(&plan, &[&a, &a], &mut out)?;
/// assert_eq!(out, array![[7.0, 10.0], [15.0, 22.0]]);
/// let mut wrong = Array2::zeros((2, 3));
/// assert!(exec::execute_into(&plan, &[&a, &a], &mut wrong).is_err());
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn execute_into<T, M, S>(plan: &Plan, operands: &[M], out: &mut ArrayBase<S, Ix2>) -> Result<()>
where
    T: Element,
    M: AsMatrix<T>,
    S: DataMut<Elem = T>,
{
    Executor::new(plan)?.run_into(operands, out)
}

/// Executes `plan` over factors: matrices, with a 1-D row vector allowed first and a
/// 1-D column vector last. See [`Executor::run_factors`].
pub fn execute_factors<T: Element, F: AsFactor<T>>(
    plan: &Plan,
    factors: &[F],
) -> Result<Product<T>> {
    Executor::new(plan)?.run_factors(factors)
}
