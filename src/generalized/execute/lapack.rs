//! The system BLAS/LAPACK backend (feature `lapack`): CBLAS through `cblas-sys`, LAPACK
//! through `lapack-sys`, for f64 (d routines) and f32 (s routines): one body, instantiated
//! per type by a macro that names the routines. Each call's dimensions come from the checked views it is given and
//! are checked against each other before the call (see [`super::backend`]).

use super::backend::{check_side, check_square, mismatch};
use super::mat::ColMat;
use crate::generalized::GenError;
use cblas_sys::{
    CBLAS_TRANSPOSE::{self, CblasNoTrans, CblasTrans},
    CBLAS_UPLO::{self, CblasLower, CblasUpper},
};
use ndarray::NdFloat as Element;
use std::ffi::{c_char, c_int};

/// OpenBLAS (or another provider of CBLAS and LAPACK's Fortran symbols).
pub(crate) struct Lapack;

/// A dimension as BLAS's 32-bit integer.
fn int(routine: &'static str, x: usize) -> Result<c_int, GenError> {
    c_int::try_from(x).map_err(|_| mismatch(routine, format!("dimension {x} exceeds i32")))
}

fn tr(t: bool) -> CBLAS_TRANSPOSE {
    if t {
        CblasTrans
    } else {
        CblasNoTrans
    }
}

fn uplo(lower: bool) -> CBLAS_UPLO {
    if lower {
        CblasLower
    } else {
        CblasUpper
    }
}

const U: c_char = b'U' as c_char;

/// A pivoted factorization as LAPACK leaves it: the factors and the pivots (1-based, as
/// LAPACK writes them). The LU of getrf and the Bunch–Kaufman LDLᵀ of sytrf (upper).
pub(crate) struct Pivoted<T> {
    f: ColMat<T>,
    ipiv: Vec<c_int>,
}

impl<T: Element> Pivoted<T> {
    /// The order n of a factorization whose pivots match it.
    fn order(&self, routine: &'static str) -> Result<usize, GenError> {
        let n = check_square(routine, self.f.rows(), self.f.cols())?;
        if self.ipiv.len() != n {
            return Err(mismatch(routine, "pivots of another order".into()));
        }
        Ok(n)
    }

    /// (n, nrhs, lda, ldb) of a solve with B, checked: B has n rows.
    fn solve_dims(
        &self,
        routine: &'static str,
        b: &ColMat<T>,
    ) -> Result<(c_int, c_int, c_int, c_int), GenError> {
        self.order(routine)?;
        let n = check_side(routine, &self.f.view(false), b, true)?;
        Ok((
            int(routine, n)?,
            int(routine, b.cols())?,
            int(routine, self.f.ld())?,
            int(routine, b.ld())?,
        ))
    }
}

/// A negative info: an argument LAPACK rejected, which the checks above should prevent.
fn invalid(routine: &'static str, info: c_int) -> Result<(), GenError> {
    if info == 0 {
        Ok(())
    } else {
        Err(mismatch(
            routine,
            format!("LAPACK rejected argument {}", -info),
        ))
    }
}

/// The backend for one element type `E`, with the names of its BLAS and LAPACK routines.
macro_rules! lapack_backend {
    ($E:ty, $module:ident, $gemv:ident, $gemm:ident, $syrk:ident, $symm:ident, $trsv:ident, $trsm:ident, $trmm:ident, $potrf:ident, $potrs:ident, $potri:ident, $getrf:ident, $getrs:ident, $getri:ident, $trtri:ident, $sytrf:ident, $sytrs:ident, $sytri:ident) => {
        mod $module {
            use super::{int, invalid, tr, uplo, Lapack, Pivoted, U};
            use crate::generalized::execute::backend::{
                check_chain, check_side, check_square, mismatch, Info, LinAlg,
            };
            use crate::generalized::execute::mat::{ColMat, MatRef};
            use crate::generalized::GenError;
            use cblas_sys::{
                CBLAS_DIAG::CblasNonUnit,
                CBLAS_LAYOUT::CblasColMajor,
                CBLAS_SIDE::{CblasLeft, CblasRight},
                CBLAS_UPLO::CblasUpper,
            };
            use std::ffi::{c_char, c_int};

            type E = $E;

            impl LinAlg<E> for Lapack {
                type Lu = Pivoted<E>;
                type Ldl = Pivoted<E>;

                fn sytrf(&self, mut a: ColMat<E>) -> Result<Result<Pivoted<E>, Info>, GenError> {
                    let n = check_square("sytrf", a.rows(), a.cols())?;
                    let mut ipiv = vec![0 as c_int; n];
                    let lwork = n.max(1).saturating_mul(64);
                    let mut work = vec![0.0 as E; lwork];
                    let (ni, lda, lw) = (
                        int("sytrf", n)?,
                        int("sytrf", a.ld())?,
                        int("sytrf", lwork)?,
                    );
                    let mut info = 0;
                    // SAFETY: a is an n×n ColMat (checked square) with lda = max(1, n); ipiv has
                    // n entries; work has lwork entries.
                    unsafe {
                        lapack_sys::$sytrf(
                            &U,
                            &ni,
                            a.data_mut().as_mut_ptr(),
                            &lda,
                            ipiv.as_mut_ptr(),
                            work.as_mut_ptr(),
                            &lw,
                            &mut info,
                        );
                    }
                    if info < 0 {
                        return Err(mismatch(
                            "sytrf",
                            format!("LAPACK rejected argument {}", -info),
                        ));
                    }
                    Ok(if info == 0 {
                        Ok(Pivoted { f: a, ipiv })
                    } else {
                        Err(info)
                    })
                }

                fn sytrs(&self, f: &Pivoted<E>, b: &mut ColMat<E>) -> Result<(), GenError> {
                    let (ni, nrhs, lda, ldb) = f.solve_dims("sytrs", b)?;
                    let mut info = 0;
                    // SAFETY: the factors are n×n with n pivots, b is n×nrhs; ColMats with
                    // ld = max(1, rows).
                    unsafe {
                        lapack_sys::$sytrs(
                            &U,
                            &ni,
                            &nrhs,
                            f.f.data().as_ptr(),
                            &lda,
                            f.ipiv.as_ptr(),
                            b.data_mut().as_mut_ptr(),
                            &ldb,
                            &mut info,
                        );
                    }
                    invalid("sytrs", info)
                }

                fn sytri(&self, f: &Pivoted<E>) -> Result<Result<ColMat<E>, Info>, GenError> {
                    let mut a = f.f.clone();
                    let n = f.order("sytri")?;
                    let mut work = vec![0.0 as E; n.max(1)];
                    let (ni, lda) = (int("sytri", n)?, int("sytri", a.ld())?);
                    let mut info = 0;
                    // SAFETY: a is n×n (lda = max(1, n)) with n pivots; work has n entries.
                    unsafe {
                        lapack_sys::$sytri(
                            &U,
                            &ni,
                            a.data_mut().as_mut_ptr(),
                            &lda,
                            f.ipiv.as_ptr(),
                            work.as_mut_ptr(),
                            &mut info,
                        );
                    }
                    if info != 0 {
                        return Ok(Err(info));
                    }
                    a.mirror_upper();
                    Ok(Ok(a))
                }

                fn gemm(&self, a: MatRef<'_, E>, b: MatRef<'_, E>) -> Result<ColMat<E>, GenError> {
                    let (m, k, n) = check_chain("gemm", &a, &b)?;
                    let mut c = ColMat::zeros(m, n)?;
                    if m == 0 || n == 0 || k == 0 {
                        return Ok(c);
                    }
                    if n == 1 || m == 1 {
                        // One side is a vector: gemv, y = op(M)·x, with a row result read as its
                        // transpose (the same contiguous entries).
                        let (mat, vec, mtrans) = if n == 1 {
                            (a, b, a.trans())
                        } else {
                            (b, a, !b.trans())
                        };
                        // The vector's k entries: stored as a column (stride 1) or as a row (stride ld).
                        let incx = if vec.stored_cols() == 1 { 1 } else { vec.ld() };
                        let (r, cc) = (mat.stored_rows(), mat.stored_cols());
                        // SAFETY: `mat` is a checked view of an r×cc matrix with leading dimension ld in
                        // its slice; op(mat) has k columns (checked by check_chain) and `vec` holds k
                        // entries at stride incx within its checked slice (a k×1 or 1×k view); c is a
                        // ColMat<E> of exactly max(m, n) entries, written with stride 1.
                        unsafe {
                            cblas_sys::$gemv(
                                CblasColMajor,
                                tr(mtrans),
                                int("gemv", r)?,
                                int("gemv", cc)?,
                                1.0,
                                mat.data().as_ptr(),
                                int("gemv", mat.ld())?,
                                vec.data().as_ptr(),
                                int("gemv", incx)?,
                                0.0,
                                c.data_mut().as_mut_ptr(),
                                1,
                            );
                        }
                        return Ok(c);
                    }
                    let ldc = int("gemm", c.ld())?;
                    // SAFETY: a and b are checked views (ld ≥ stored rows, every element in the slice);
                    // op(a) is m×k and op(b) k×n (check_chain); c is an m×n ColMat<E> with ldc = m.
                    unsafe {
                        cblas_sys::$gemm(
                            CblasColMajor,
                            tr(a.trans()),
                            tr(b.trans()),
                            int("gemm", m)?,
                            int("gemm", n)?,
                            int("gemm", k)?,
                            1.0,
                            a.data().as_ptr(),
                            int("gemm", a.ld())?,
                            b.data().as_ptr(),
                            int("gemm", b.ld())?,
                            0.0,
                            c.data_mut().as_mut_ptr(),
                            ldc,
                        );
                    }
                    Ok(c)
                }

                fn syrk(&self, a: MatRef<'_, E>) -> Result<ColMat<E>, GenError> {
                    let (n, k) = (a.nrows(), a.ncols());
                    let mut c = ColMat::zeros(n, n)?;
                    if n == 0 || k == 0 {
                        return Ok(c);
                    }
                    let ldc = int("syrk", c.ld())?;
                    // SAFETY: a is a checked view, op(a) n×k; c is an n×n ColMat<E> with ldc = n.
                    unsafe {
                        cblas_sys::$syrk(
                            CblasColMajor,
                            CblasUpper,
                            tr(a.trans()),
                            int("syrk", n)?,
                            int("syrk", k)?,
                            1.0,
                            a.data().as_ptr(),
                            int("syrk", a.ld())?,
                            0.0,
                            c.data_mut().as_mut_ptr(),
                            ldc,
                        );
                    }
                    c.mirror_upper();
                    Ok(c)
                }

                fn symm(
                    &self,
                    s: MatRef<'_, E>,
                    b: MatRef<'_, E>,
                    left: bool,
                ) -> Result<ColMat<E>, GenError> {
                    let ns = check_square("symm", s.stored_rows(), s.stored_cols())?;
                    // dsymm reads B untransposed: a transposed B is copied once.
                    let owned;
                    let b = if b.trans() {
                        owned = b.to_colmat()?;
                        owned.view(false)
                    } else {
                        b
                    };
                    let (m, n) = (b.nrows(), b.ncols());
                    if ns != if left { m } else { n } {
                        return Err(mismatch(
                            "symm",
                            format!("a {ns}x{ns} symmetric factor with a {m}x{n} matrix"),
                        ));
                    }
                    let mut c = ColMat::zeros(m, n)?;
                    if m == 0 || n == 0 {
                        return Ok(c);
                    }
                    let ldc = int("symm", c.ld())?;
                    // SAFETY: s is a checked ns×ns view, b a checked untransposed m×n view, ns = m (left)
                    // or n (right); c is an m×n ColMat<E> with ldc = m.
                    unsafe {
                        cblas_sys::$symm(
                            CblasColMajor,
                            if left { CblasLeft } else { CblasRight },
                            CblasUpper,
                            int("symm", m)?,
                            int("symm", n)?,
                            1.0,
                            s.data().as_ptr(),
                            int("symm", s.ld())?,
                            b.data().as_ptr(),
                            int("symm", b.ld())?,
                            0.0,
                            c.data_mut().as_mut_ptr(),
                            ldc,
                        );
                    }
                    Ok(c)
                }

                fn trmm(
                    &self,
                    t: MatRef<'_, E>,
                    lower: bool,
                    b: &mut ColMat<E>,
                    left: bool,
                ) -> Result<(), GenError> {
                    tri("trmm", t, lower, b, left)
                }

                fn trsm(
                    &self,
                    t: MatRef<'_, E>,
                    lower: bool,
                    b: &mut ColMat<E>,
                    left: bool,
                ) -> Result<(), GenError> {
                    tri("trsm", t, lower, b, left)
                }

                fn potrf(&self, a: &mut ColMat<E>) -> Result<Result<(), Info>, GenError> {
                    let n = int("potrf", check_square("potrf", a.rows(), a.cols())?)?;
                    let lda = int("potrf", a.ld())?;
                    let mut info = 0;
                    // SAFETY: a is an n×n ColMat<E> (checked square) with lda = max(1, n).
                    unsafe {
                        lapack_sys::$potrf(&U, &n, a.data_mut().as_mut_ptr(), &lda, &mut info)
                    };
                    Ok(if info == 0 { Ok(()) } else { Err(info) })
                }

                fn potrs(&self, u: &ColMat<E>, b: &mut ColMat<E>) -> Result<(), GenError> {
                    check_side("potrs", &u.view(false), b, true)?;
                    let (n, nrhs) = (int("potrs", b.rows())?, int("potrs", b.cols())?);
                    let (lda, ldb) = (int("potrs", u.ld())?, int("potrs", b.ld())?);
                    let mut info = 0;
                    // SAFETY: u is n×n (check_side), b is n×nrhs, both ColMats with ld = max(1, rows).
                    unsafe {
                        lapack_sys::$potrs(
                            &U,
                            &n,
                            &nrhs,
                            u.data().as_ptr(),
                            &lda,
                            b.data_mut().as_mut_ptr(),
                            &ldb,
                            &mut info,
                        );
                    }
                    invalid("potrs", info)
                }

                fn potri(&self, u: &ColMat<E>) -> Result<Result<ColMat<E>, Info>, GenError> {
                    let mut a = u.clone();
                    let n = int("potri", check_square("potri", a.rows(), a.cols())?)?;
                    let lda = int("potri", a.ld())?;
                    let mut info = 0;
                    // SAFETY: a is an n×n ColMat<E> (checked square) with lda = max(1, n).
                    unsafe {
                        lapack_sys::$potri(&U, &n, a.data_mut().as_mut_ptr(), &lda, &mut info)
                    };
                    if info != 0 {
                        return Ok(Err(info));
                    }
                    a.mirror_upper();
                    Ok(Ok(a))
                }

                fn getrf(&self, mut a: ColMat<E>) -> Result<Result<Pivoted<E>, Info>, GenError> {
                    let n = check_square("getrf", a.rows(), a.cols())?;
                    let mut ipiv = vec![0 as c_int; n];
                    let (ni, lda) = (int("getrf", n)?, int("getrf", a.ld())?);
                    let mut info = 0;
                    // SAFETY: a is an n×n ColMat<E> (checked square) with lda = max(1, n); ipiv has n entries.
                    unsafe {
                        lapack_sys::$getrf(
                            &ni,
                            &ni,
                            a.data_mut().as_mut_ptr(),
                            &lda,
                            ipiv.as_mut_ptr(),
                            &mut info,
                        );
                    }
                    Ok(if info == 0 {
                        Ok(Pivoted { f: a, ipiv })
                    } else {
                        Err(info)
                    })
                }

                fn getrs(
                    &self,
                    lu: &Pivoted<E>,
                    trans: bool,
                    b: &mut ColMat<E>,
                ) -> Result<(), GenError> {
                    let (ni, nrhs, lda, ldb) = lu.solve_dims("getrs", b)?;
                    let t = (if trans { b'T' } else { b'N' }) as c_char;
                    let mut info = 0;
                    // SAFETY: the factors are n×n with n pivots, b is n×nrhs; ColMats with ld = max(1, rows).
                    unsafe {
                        lapack_sys::$getrs(
                            &t,
                            &ni,
                            &nrhs,
                            lu.f.data().as_ptr(),
                            &lda,
                            lu.ipiv.as_ptr(),
                            b.data_mut().as_mut_ptr(),
                            &ldb,
                            &mut info,
                        );
                    }
                    invalid("getrs", info)
                }

                fn getri(&self, lu: &Pivoted<E>) -> Result<Result<ColMat<E>, Info>, GenError> {
                    let mut a = lu.f.clone();
                    let n = lu.order("getri")?;
                    let lwork = n.max(1).saturating_mul(64);
                    let mut work = vec![0.0 as E; lwork];
                    let (ni, lda, lw) = (
                        int("getri", n)?,
                        int("getri", a.ld())?,
                        int("getri", lwork)?,
                    );
                    let mut info = 0;
                    // SAFETY: a is n×n (lda = max(1, n)) with n pivots; work has lwork entries.
                    unsafe {
                        lapack_sys::$getri(
                            &ni,
                            a.data_mut().as_mut_ptr(),
                            &lda,
                            lu.ipiv.as_ptr(),
                            work.as_mut_ptr(),
                            &lw,
                            &mut info,
                        );
                    }
                    Ok(if info == 0 { Ok(a) } else { Err(info) })
                }

                fn trtri(
                    &self,
                    t: &mut ColMat<E>,
                    lower: bool,
                ) -> Result<Result<(), Info>, GenError> {
                    let n = int("trtri", check_square("trtri", t.rows(), t.cols())?)?;
                    let lda = int("trtri", t.ld())?;
                    let ul = (if lower { b'L' } else { b'U' }) as c_char;
                    let diag = b'N' as c_char;
                    let mut info = 0;
                    // SAFETY: t is an n×n ColMat<E> (checked square) with lda = max(1, n).
                    unsafe {
                        lapack_sys::$trtri(
                            &ul,
                            &diag,
                            &n,
                            t.data_mut().as_mut_ptr(),
                            &lda,
                            &mut info,
                        )
                    };
                    if info != 0 {
                        return Ok(Err(info));
                    }
                    t.zero_other_triangle(lower);
                    Ok(Ok(()))
                }
            }

            /// trmm / trsm (trsv when B is a vector).
            fn tri(
                routine: &'static str,
                t: MatRef<'_, E>,
                lower: bool,
                b: &mut ColMat<E>,
                left: bool,
            ) -> Result<(), GenError> {
                let n = check_side(routine, &t, b, left)?;
                let (m, cols) = (b.rows(), b.cols());
                if m == 0 || cols == 0 {
                    return Ok(());
                }
                let solve = routine == "trsm";
                let other = if left { cols } else { m };
                if solve && other == 1 {
                    // A vector: trsv. x·op(T)⁻¹ (a row) is (op(T)⁻ᵀ·xᵀ)ᵀ, the same contiguous entries.
                    let trans = t.trans() == left;
                    // SAFETY: t is a checked n×n view; b is a ColMat<E> holding exactly n entries (a vector
                    // of length n, check_side), read with stride 1.
                    unsafe {
                        cblas_sys::$trsv(
                            CblasColMajor,
                            uplo(lower),
                            tr(trans),
                            CblasNonUnit,
                            int("trsv", n)?,
                            t.data().as_ptr(),
                            int("trsv", t.ld())?,
                            b.data_mut().as_mut_ptr(),
                            1,
                        );
                    }
                    return Ok(());
                }
                let f = if solve {
                    cblas_sys::$trsm
                } else {
                    cblas_sys::$trmm
                };
                let ldb = int(routine, b.ld())?;
                // SAFETY: t is a checked n×n view, n = B's rows (left) or columns (right) (check_side);
                // b is an m×cols ColMat<E> with ldb = max(1, m), overwritten in place.
                unsafe {
                    f(
                        CblasColMajor,
                        if left { CblasLeft } else { CblasRight },
                        uplo(lower),
                        tr(t.trans()),
                        CblasNonUnit,
                        int(routine, m)?,
                        int(routine, cols)?,
                        1.0,
                        t.data().as_ptr(),
                        int(routine, t.ld())?,
                        b.data_mut().as_mut_ptr(),
                        ldb,
                    );
                }
                Ok(())
            }
        }
    };
}

lapack_backend!(
    f64,
    f64_backend,
    cblas_dgemv,
    cblas_dgemm,
    cblas_dsyrk,
    cblas_dsymm,
    cblas_dtrsv,
    cblas_dtrsm,
    cblas_dtrmm,
    dpotrf_,
    dpotrs_,
    dpotri_,
    dgetrf_,
    dgetrs_,
    dgetri_,
    dtrtri_,
    dsytrf_,
    dsytrs_,
    dsytri_
);
lapack_backend!(
    f32,
    f32_backend,
    cblas_sgemv,
    cblas_sgemm,
    cblas_ssyrk,
    cblas_ssymm,
    cblas_strsv,
    cblas_strsm,
    cblas_strmm,
    spotrf_,
    spotrs_,
    spotri_,
    sgetrf_,
    sgetrs_,
    sgetri_,
    strtri_,
    ssytrf_,
    ssytrs_,
    ssytri_
);
