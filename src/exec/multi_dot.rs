//! `multi_dot`: plan and execute in one call, for users coming from numpy.

use super::executor::{check_adjacent, vector_ends};
use super::factor::{AsFactor, AsMatrix, Factor, Product};
use super::{Element, Executor};
use crate::chain::Chain;
use crate::error::Result;
use crate::plan::{dp, Plan};
use ndarray::{ArrayBase, ArrayView2, DataMut, Dimension};

/// The chain of the given operand shapes, after checking that neighbours fit.
fn chain_of<T>(views: &[ArrayView2<'_, T>]) -> Result<Chain> {
    check_adjacent(views)?;
    let shapes: Vec<(usize, usize)> = views.iter().map(|v| v.dim()).collect();
    Chain::from_shapes(&shapes)
}

/// The chain of factors: a first vector is a row (1 × len), a last one a column (len × 1).
fn chain_of_factors<T, F: AsFactor<T>>(factors: &[F]) -> Result<Chain> {
    vector_ends(factors)?;
    let shapes: Vec<(usize, usize)> = factors
        .iter()
        .enumerate()
        .map(|(i, f)| match f.as_factor() {
            Factor::Vector(v) if i == 0 => (1, v.len()),
            other => other.shape_as_column(),
        })
        .collect();
    Chain::from_shapes(&shapes)
}

/// The cheapest plan for multiplying these matrices (by [`dp::optimal`]).
pub fn plan_for<T, M: AsMatrix<T>>(operands: &[M]) -> Result<Plan> {
    let views: Vec<ArrayView2<'_, T>> = operands.iter().map(|m| m.as_matrix()).collect();
    dp::optimal(&chain_of(&views)?)
}

/// The cheapest plan for multiplying these factors, vectors at the ends included (by
/// [`dp::optimal`]); an [`Executor`] of this plan runs them with
/// [`Executor::run_factors_into`].
pub fn plan_for_factors<T, F: AsFactor<T>>(factors: &[F]) -> Result<Plan> {
    dp::optimal(&chain_of_factors(factors)?)
}

/// Multiplies a chain in the cheapest order, like numpy's `numpy.linalg.multi_dot`.
///
/// The operands are 1-D or 2-D arrays, owned or views, of `f64` or `f32`: any slice of
/// [`AsFactor`] items (`&[Array2<f64>]`, `&Vec<ArrayView2<f64>>`, `&[&Array2<f64>]`, …), and
/// for a mix of kinds in one slice, `&[&dyn AsFactor<T>]` (write `&x as &dyn AsFactor<_>`
/// for the first, and the rest follow). As in numpy, a 1-D first operand is a row vector and a 1-D last operand a column
/// vector, and those axes are dropped from the result: it is a [`Product::Matrix`], a
/// [`Product::Vector`] when one end is a vector, or a [`Product::Scalar`] when both are.
///
/// Plans with [`dp::optimal`] from the operands' shapes, then executes with an
/// [`Executor`]. Shapes are checked first: neighbours that do not fit give
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) naming both, and a vector between
/// the ends [`ExecError::VectorPosition`](crate::error::ExecError::VectorPosition). Unlike numpy, a
/// dimension of 0 is an error ([`ChainError::DimensionTooSmall`](crate::error::ChainError::DimensionTooSmall)),
/// as everywhere in chainplan, and so is an empty list; a single operand is returned as it is.
///
/// ```
/// use chainplan::{multi_dot, AsFactor, Product};
/// use ndarray::{array, Array2};
/// let x = array![1.0, 1.0];                  // 1-D: a row vector when first
/// let a = array![[1.0, 2.0], [3.0, 4.0]];    // 2 × 2, owned
/// let b = Array2::<f64>::eye(2);             // 2 × 2, passed as a view
/// let y = array![1.0, 0.0];                  // 1-D: a column vector when last
/// assert_eq!(multi_dot(&[&x as &dyn AsFactor<_>, &a, &b.view(), &y])?, Product::Scalar(4.0));
/// assert_eq!(multi_dot(&[&x as &dyn AsFactor<_>, &a])?, Product::Vector(array![4.0, 6.0]));
/// assert_eq!(multi_dot(&[&a, &b])?.into_matrix(), Some(a.clone()));
/// assert!(multi_dot(&[&a as &dyn AsFactor<_>, &x, &b]).is_err()); // a vector in the middle
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn multi_dot<T: Element, F: AsFactor<T>>(operands: &[F]) -> Result<Product<T>> {
    let plan = plan_for_factors(operands)?;
    Executor::new(&plan)?.run_factors(operands)
}

/// [`multi_dot`] that writes the result into the caller's array, like numpy's `out=`.
///
/// `out` must have exactly the result's shape: `[p0, pn]` for a matrix, `[pn]` or `[p0]` for a
/// vector, `[]` (a 0-D array) for a scalar; otherwise
/// [`ExecError::OutputShape`](crate::error::ExecError::OutputShape), and `out` is left untouched. Any
/// layout works. Each call plans and sizes a workspace; to multiply the same shapes many
/// times without allocating, keep an [`Executor`] of [`plan_for_factors`] and call
/// [`Executor::run_factors_into`].
///
/// ```
/// use chainplan::{multi_dot_into, AsFactor};
/// use ndarray::{array, Array0, Array1};
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// let y = array![1.0f32, 1.0];
/// let mut v = Array1::zeros(2);
/// multi_dot_into(&[&a as &dyn AsFactor<_>, &a, &y], &mut v)?;    // A·A·y = [[7, 10], [15, 22]]·(1, 1)
/// assert_eq!(v, array![17.0, 37.0]);
/// let mut s = Array0::zeros(());
/// multi_dot_into(&[&y as &dyn AsFactor<_>, &a, &y], &mut s)?;    // (1, 1)·A·(1, 1) = 10
/// assert_eq!(s[()], 10.0);
/// assert!(multi_dot_into(&[&a as &dyn AsFactor<_>, &y], &mut s).is_err()); // the result is a vector
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn multi_dot_into<T, F, S, D>(operands: &[F], out: &mut ArrayBase<S, D>) -> Result<()>
where
    T: Element,
    F: AsFactor<T>,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    let plan = plan_for_factors(operands)?;
    Executor::new(&plan)?.run_factors_into(operands, out)
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
    let plan = plan_for_factors(factors)?;
    Executor::new(&plan)?.run_factors(factors)
}
