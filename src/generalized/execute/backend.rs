//! The one interface the step interpreter needs from a linear-algebra library, and the
//! dimension checks both implementations share. Every method derives its dimensions from the
//! checked [`MatRef`]s and [`ColMat`]s it is given and returns [`GenError::KernelArgs`] when
//! they do not fit together, so no plan, however made, can make a kernel touch memory outside
//! its buffers.

use super::mat::{ColMat, MatRef};
use crate::generalized::GenError;
use ndarray::NdFloat as Element;

/// A kernel's failure on a value: LAPACK's `info` (> 0: not positive definite, singular).
pub(crate) type Info = i32;

/// The kernels of the generalized executor, for one element type `T` (f64 or f32).
/// Triangular arguments: `lower` names the stored triangle of the *stored* matrix of the view
/// (not of op(T)).
pub(crate) trait LinAlg<T: Element> {
    /// An LU factorization with its pivots.
    type Lu;

    /// op(A)·op(B).
    fn gemm(&self, a: MatRef<'_, T>, b: MatRef<'_, T>) -> Result<ColMat<T>, GenError>;
    /// op(A)·op(A)ᵀ, both triangles filled.
    fn syrk(&self, a: MatRef<'_, T>) -> Result<ColMat<T>, GenError>;
    /// S·op(B) (`left`) or op(B)·S with S symmetric (its upper stored triangle is read).
    fn symm(&self, s: MatRef<'_, T>, b: MatRef<'_, T>, left: bool) -> Result<ColMat<T>, GenError>;
    /// B ← op(T)·B (`left`) or B·op(T).
    fn trmm(
        &self,
        t: MatRef<'_, T>,
        lower: bool,
        b: &mut ColMat<T>,
        left: bool,
    ) -> Result<(), GenError>;
    /// B ← op(T)⁻¹·B (`left`) or B·op(T)⁻¹.
    fn trsm(
        &self,
        t: MatRef<'_, T>,
        lower: bool,
        b: &mut ColMat<T>,
        left: bool,
    ) -> Result<(), GenError>;
    /// A ← U, A = UᵀU (U in the upper triangle; the lower one is not read afterwards).
    fn potrf(&self, a: &mut ColMat<T>) -> Result<Result<(), Info>, GenError>;
    /// B ← A⁻¹·B from A's Cholesky factor U.
    fn potrs(&self, u: &ColMat<T>, b: &mut ColMat<T>) -> Result<(), GenError>;
    /// A⁻¹ (both triangles) from A's Cholesky factor U.
    fn potri(&self, u: &ColMat<T>) -> Result<Result<ColMat<T>, Info>, GenError>;
    /// The LU factorization of a square A.
    fn getrf(&self, a: ColMat<T>) -> Result<Result<Self::Lu, Info>, GenError>;
    /// B ← op(A)⁻¹·B from A's LU factorization.
    fn getrs(&self, lu: &Self::Lu, trans: bool, b: &mut ColMat<T>) -> Result<(), GenError>;
    /// A⁻¹ from A's LU factorization.
    fn getri(&self, lu: &Self::Lu) -> Result<Result<ColMat<T>, Info>, GenError>;
    /// A Bunch–Kaufman factorization (LDLᵀ, 1×1 and 2×2 pivots) with its pivots.
    type Ldl;
    /// The Bunch–Kaufman factorization of a square symmetric A (its upper triangle is read).
    fn sytrf(&self, a: ColMat<T>) -> Result<Result<Self::Ldl, Info>, GenError>;
    /// B ← A⁻¹·B from A's Bunch–Kaufman factorization.
    fn sytrs(&self, f: &Self::Ldl, b: &mut ColMat<T>) -> Result<(), GenError>;
    /// A⁻¹ (both triangles) from A's Bunch–Kaufman factorization.
    fn sytri(&self, f: &Self::Ldl) -> Result<Result<ColMat<T>, Info>, GenError>;
    /// T ← T⁻¹ for T triangular (`lower` or upper; the other triangle is zeroed).
    fn trtri(&self, t: &mut ColMat<T>, lower: bool) -> Result<Result<(), Info>, GenError>;
}

/// The error of a kernel given arguments that do not fit together.
pub(crate) fn mismatch(routine: &'static str, reason: String) -> GenError {
    GenError::KernelArgs { routine, reason }
}

/// op(A)·op(B) must chain.
pub(crate) fn check_chain<T: Element>(
    routine: &'static str,
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
) -> Result<(usize, usize, usize), GenError> {
    if a.ncols() != b.nrows() {
        return Err(mismatch(
            routine,
            format!(
                "{}x{} times {}x{}",
                a.nrows(),
                a.ncols(),
                b.nrows(),
                b.ncols()
            ),
        ));
    }
    Ok((a.nrows(), a.ncols(), b.ncols()))
}

/// A square argument of order n.
pub(crate) fn check_square(routine: &'static str, r: usize, c: usize) -> Result<usize, GenError> {
    if r != c {
        return Err(mismatch(routine, format!("{r}x{c} is not square")));
    }
    Ok(r)
}

/// A structured square T of order n applied to B from `left` (n = B's rows) or the right
/// (n = B's columns).
pub(crate) fn check_side<T: Element>(
    routine: &'static str,
    t: &MatRef<'_, T>,
    b: &ColMat<T>,
    left: bool,
) -> Result<usize, GenError> {
    let n = check_square(routine, t.stored_rows(), t.stored_cols())?;
    let want = if left { b.rows() } else { b.cols() };
    if n != want {
        return Err(mismatch(
            routine,
            format!(
                "a {n}x{n} factor on the {} of a {}x{} matrix",
                if left { "left" } else { "right" },
                b.rows(),
                b.cols()
            ),
        ));
    }
    Ok(n)
}
