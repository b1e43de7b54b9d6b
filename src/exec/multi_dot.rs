//! `multi_dot`: plan and execute in one call, for users coming from numpy.

use super::executor::{check_adjacent, lift_factors};
use super::factor::{AsMatrix, Factor, Product};
use super::{Element, Executor};
use crate::chain::Chain;
use crate::error::Result;
use crate::plan::{dp, Plan};
use ndarray::{Array2, ArrayView2};

/// The chain of the given operand shapes, after checking that neighbours fit.
fn chain_of<T>(views: &[ArrayView2<'_, T>]) -> Result<Chain> {
    check_adjacent(views)?;
    let mut dims: Vec<u64> = Vec::with_capacity(views.len() + 1);
    if let Some(first) = views.first() {
        dims.push(first.nrows() as u64);
    }
    dims.extend(views.iter().map(|v| v.ncols() as u64));
    Chain::from_u64s(dims)
}

/// The cheapest plan for multiplying these matrices (by [`dp::optimal`]).
pub fn plan_for<T, M: AsMatrix<T>>(operands: &[M]) -> Result<Plan> {
    let views: Vec<ArrayView2<'_, T>> = operands.iter().map(|m| m.as_matrix()).collect();
    dp::optimal(&chain_of(&views)?)
}

/// Multiplies a chain of matrices in the cheapest order, like numpy's
/// `numpy.linalg.multi_dot`.
///
/// Plans with [`dp::optimal`] from the operands' shapes, then executes with an
/// [`Executor`]. Shapes are checked first: neighbours that do not fit give
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) naming both. Unlike numpy, a
/// dimension of 0 is an error ([`Error::DimensionTooSmall`](crate::Error::DimensionTooSmall)),
/// as everywhere in chainplan, and so is an empty list.
///
/// ```
/// use chainplan::exec::multi_dot;
/// use ndarray::array;
/// let a = array![[1.0, 2.0]];          // 1 × 2
/// let b = array![[1.0, 0.0], [0.0, 2.0]]; // 2 × 2
/// let c = array![[3.0], [1.0]];        // 2 × 1
/// assert_eq!(multi_dot(&[&a, &b, &c])?, array![[7.0]]);
/// assert!(multi_dot(&[&a, &c, &b]).is_err()); // 1×2 · 2×1 · 2×2 does not fit
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn multi_dot<T: Element, M: AsMatrix<T>>(operands: &[M]) -> Result<Array2<T>> {
    let plan = plan_for(operands)?;
    Executor::new(&plan)?.run(operands)
}

/// [`multi_dot`] over [`Factor`]s: the first may be a row vector and the last a column vector
/// (1-D arrays), giving a vector or a scalar, as numpy allows.
///
/// ```
/// use chainplan::exec::{multi_dot_factors, Factor, Product};
/// use ndarray::array;
/// let x = array![1.0, 1.0];
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let y = array![1.0, 0.0];
/// let p = multi_dot_factors(&[(&x).into(), (&a).into(), (&y).into()])?;
/// assert_eq!(p, Product::Scalar(4.0)); // (1 1) A (1 0)ᵀ = 1 + 3
/// let v = multi_dot_factors(&[(&x).into(), (&a).into()])?;
/// assert_eq!(v, Product::Vector(array![4.0, 6.0]));
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn multi_dot_factors<T: Element>(factors: &[Factor<'_, T>]) -> Result<Product<T>> {
    let plan = {
        let (views, _, _) = lift_factors(factors)?;
        dp::optimal(&chain_of(&views)?)?
    };
    Executor::new(&plan)?.run_factors(factors)
}
