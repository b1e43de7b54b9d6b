//! The pure-Rust backend (feature `faer`, on by default): faer's products, triangular
//! solves, Cholesky, Bunch–Kaufman (LBLᵀ) and LU, for f64 and f32 (one body, instantiated per type by a macro). Its views are made from the checked [`MatRef`]s with faer's own
//! checked constructors, so this file has no `unsafe`.

use faer::Par;

/// faer, in pure Rust.
pub(crate) struct Faer;

fn par() -> Par {
    faer::get_global_parallelism()
}

/// The backend for one element type `E`.
macro_rules! faer_backend {
    ($E:ty, $module:ident) => {
        mod $module {
            use super::{par, Faer};
            use crate::generalized::execute::backend::{
                check_chain, check_side, check_square, Info, LinAlg,
            };
            use crate::generalized::execute::mat::{ColMat, MatRef};
            use crate::generalized::GenError;
            use faer::linalg::solvers::{DenseSolveCore, Lblt, PartialPivLu, SolveCore};
            use faer::{Accum, Conj};

            type E = $E;

            /// op(A) as a faer view (faer checks the slice holds it).
            fn fview<'a>(a: &MatRef<'a, E>) -> faer::MatRef<'a, E> {
                let v = faer::MatRef::from_column_major_slice_with_stride(
                    a.data(),
                    a.stored_rows(),
                    a.stored_cols(),
                    a.ld(),
                );
                if a.trans() {
                    v.transpose()
                } else {
                    v
                }
            }

            fn fmut(b: &mut ColMat<E>) -> faer::MatMut<'_, E> {
                let (r, c, ld) = (b.rows(), b.cols(), b.ld());
                faer::MatMut::from_column_major_slice_with_stride_mut(b.data_mut(), r, c, ld)
            }

            fn from_faer(m: faer::MatRef<'_, E>) -> Result<ColMat<E>, GenError> {
                let mut out = ColMat::zeros(m.nrows(), m.ncols())?;
                fmut(&mut out).copy_from(m);
                Ok(out)
            }

            /// The triangle `lower` of the stored matrix of `t`, the rest zero, as op(T).
            fn triangle(t: &MatRef<'_, E>, lower: bool) -> Result<ColMat<E>, GenError> {
                let mut s = t.to_colmat()?;
                s.zero_other_triangle(lower != t.trans());
                Ok(s)
            }

            /// 1-based index of the first zero on the diagonal (LAPACK's info for a singular factor).
            fn zero_pivot(m: faer::MatRef<'_, E>) -> Option<Info> {
                (0..m.nrows().min(m.ncols()))
                    .find(|&i| m[(i, i)] == 0.0)
                    .map(|i| i32::try_from(i + 1).unwrap_or(i32::MAX))
            }

            impl LinAlg<E> for Faer {
                type Lu = PartialPivLu<E>;
                type Ldl = Lblt<E>;

                fn sytrf(&self, a: ColMat<E>) -> Result<Result<Lblt<E>, Info>, GenError> {
                    check_square("sytrf", a.rows(), a.cols())?;
                    // The upper stored triangle, as LAPACK's dsytrf('U') reads it.
                    let f = fview(&a.view(false)).lblt(faer::Side::Upper);
                    // Singular: a 1×1 pivot block that is zero (LAPACK's info); 2×2 blocks are
                    // nonsingular by the pivoting rule.
                    let (d, s) = (f.B_diag().column_vector(), f.B_subdiag().column_vector());
                    let n = d.nrows();
                    let mut i = 0;
                    while i < n {
                        if i + 1 < n && s[i] != 0.0 {
                            i += 2;
                            continue;
                        }
                        if d[i] == 0.0 {
                            return Ok(Err(i32::try_from(i + 1).unwrap_or(i32::MAX)));
                        }
                        i += 1;
                    }
                    Ok(Ok(f))
                }

                fn sytrs(&self, f: &Lblt<E>, b: &mut ColMat<E>) -> Result<(), GenError> {
                    let n = f.L().nrows();
                    if n != b.rows() {
                        return Err(crate::generalized::execute::backend::mismatch(
                            "sytrs",
                            format!("a factorization of order {n} with {} rows", b.rows()),
                        ));
                    }
                    f.solve_in_place_with_conj(Conj::No, fmut(b));
                    Ok(())
                }

                fn sytri(&self, f: &Lblt<E>) -> Result<Result<ColMat<E>, Info>, GenError> {
                    Ok(Ok(from_faer(f.inverse().as_ref())?))
                }

                fn gemm(&self, a: MatRef<'_, E>, b: MatRef<'_, E>) -> Result<ColMat<E>, GenError> {
                    let (m, _, n) = check_chain("gemm", &a, &b)?;
                    let mut c = ColMat::zeros(m, n)?;
                    faer::linalg::matmul::matmul(
                        fmut(&mut c),
                        Accum::Replace,
                        fview(&a),
                        fview(&b),
                        1.0,
                        par(),
                    );
                    Ok(c)
                }

                fn syrk(&self, a: MatRef<'_, E>) -> Result<ColMat<E>, GenError> {
                    self.gemm(a, a.t())
                }

                fn symm(
                    &self,
                    s: MatRef<'_, E>,
                    b: MatRef<'_, E>,
                    left: bool,
                ) -> Result<ColMat<E>, GenError> {
                    check_square("symm", s.stored_rows(), s.stored_cols())?;
                    // Like dsymm, only the upper stored triangle is read.
                    let stored = if s.trans() { s.t() } else { s };
                    let mut full = stored.to_colmat()?;
                    full.mirror_upper();
                    let sv = full.view(false);
                    if left {
                        self.gemm(sv, b)
                    } else {
                        self.gemm(b, sv)
                    }
                }

                fn trmm(
                    &self,
                    t: MatRef<'_, E>,
                    lower: bool,
                    b: &mut ColMat<E>,
                    left: bool,
                ) -> Result<(), GenError> {
                    check_side("trmm", &t, b, left)?;
                    let tm = triangle(&t, lower)?;
                    let out = if left {
                        self.gemm(tm.view(false), b.view(false))?
                    } else {
                        self.gemm(b.view(false), tm.view(false))?
                    };
                    *b = out;
                    Ok(())
                }

                fn trsm(
                    &self,
                    t: MatRef<'_, E>,
                    lower: bool,
                    b: &mut ColMat<E>,
                    left: bool,
                ) -> Result<(), GenError> {
                    check_side("trsm", &t, b, left)?;
                    // op(T) is lower when the stored triangle is lower and not transposed, or upper and
                    // transposed. B·op(T)⁻¹ = (op(T)⁻ᵀ·Bᵀ)ᵀ: solve with op(T)ᵀ on Bᵀ's view.
                    let (tv, rhs) = if left {
                        (fview(&t), fmut(b))
                    } else {
                        (fview(&t).transpose(), fmut(b).transpose_mut())
                    };
                    let op_lower = lower != t.trans();
                    let tri_lower = if left { op_lower } else { !op_lower };
                    if tri_lower {
                        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                            tv,
                            rhs,
                            par(),
                        );
                    } else {
                        faer::linalg::triangular_solve::solve_upper_triangular_in_place(
                            tv,
                            rhs,
                            par(),
                        );
                    }
                    Ok(())
                }

                fn potrf(&self, a: &mut ColMat<E>) -> Result<Result<(), Info>, GenError> {
                    let n = check_square("potrf", a.rows(), a.cols())?;
                    // The upper stored triangle, as LAPACK's dpotrf('U') reads it.
                    let llt = match fview(&a.view(false)).llt(faer::Side::Upper) {
                        Ok(f) => f,
                        Err(faer::linalg::solvers::LltError::NonPositivePivot { index }) => {
                            return Ok(Err(i32::try_from(index + 1).unwrap_or(i32::MAX)))
                        }
                    };
                    // U = Lᵀ, with zeros below the diagonal.
                    let l = llt.L();
                    let mut u = ColMat::zeros(n, n)?;
                    fmut(&mut u).copy_from(l.transpose());
                    u.zero_other_triangle(false);
                    *a = u;
                    Ok(Ok(()))
                }

                fn potrs(&self, u: &ColMat<E>, b: &mut ColMat<E>) -> Result<(), GenError> {
                    check_side("potrs", &u.view(false), b, true)?;
                    let uv = fview(&u.view(false));
                    faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                        uv.transpose(),
                        fmut(b),
                        par(),
                    );
                    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
                        uv,
                        fmut(b),
                        par(),
                    );
                    Ok(())
                }

                fn potri(&self, u: &ColMat<E>) -> Result<Result<ColMat<E>, Info>, GenError> {
                    let n = check_square("potri", u.rows(), u.cols())?;
                    if let Some(i) = zero_pivot(fview(&u.view(false))) {
                        return Ok(Err(i));
                    }
                    let mut x = ColMat::identity(n)?;
                    self.potrs(u, &mut x)?;
                    Ok(Ok(x))
                }

                fn getrf(&self, a: ColMat<E>) -> Result<Result<Self::Lu, Info>, GenError> {
                    check_square("getrf", a.rows(), a.cols())?;
                    let lu = fview(&a.view(false)).partial_piv_lu();
                    Ok(match zero_pivot(lu.U()) {
                        Some(i) => Err(i),
                        None => Ok(lu),
                    })
                }

                fn getrs(
                    &self,
                    lu: &Self::Lu,
                    trans: bool,
                    b: &mut ColMat<E>,
                ) -> Result<(), GenError> {
                    let n = lu.U().nrows();
                    if n != b.rows() {
                        return Err(crate::generalized::execute::backend::mismatch(
                            "getrs",
                            format!("an LU of order {n} with {} rows", b.rows()),
                        ));
                    }
                    if trans {
                        lu.solve_transpose_in_place_with_conj(Conj::No, fmut(b));
                    } else {
                        lu.solve_in_place_with_conj(Conj::No, fmut(b));
                    }
                    Ok(())
                }

                fn getri(&self, lu: &Self::Lu) -> Result<Result<ColMat<E>, Info>, GenError> {
                    Ok(Ok(from_faer(lu.inverse().as_ref())?))
                }

                fn trtri(
                    &self,
                    t: &mut ColMat<E>,
                    lower: bool,
                ) -> Result<Result<(), Info>, GenError> {
                    let n = check_square("trtri", t.rows(), t.cols())?;
                    if let Some(i) = zero_pivot(fview(&t.view(false))) {
                        return Ok(Err(i));
                    }
                    let mut x = ColMat::identity(n)?;
                    self.trsm(t.view(false), lower, &mut x, true)?;
                    x.zero_other_triangle(lower);
                    *t = x;
                    Ok(Ok(()))
                }
            }
        }
    };
}

faer_backend!(f64, f64_backend);
faer_backend!(f32, f32_backend);
