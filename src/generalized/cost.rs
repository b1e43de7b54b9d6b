//! Kernels and their exact flop counts, in integer units of one third of a flop.
//!
//! The formulas are the leading terms LAPACK's working notes give (see the module guide's
//! table). Units of ⅓ flop make every one an integer: potrf's n³/3 is `n³` units. Counts are
//! `u128` with checked arithmetic; a count that does not fit is an error, never a wrapped
//! number.

use serde::{Deserialize, Serialize};

/// A BLAS or LAPACK routine (or an element-wise loop) that one step of a plan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kernel {
    /// General product C = op(A)·op(B): 2mkn.
    Gemm,
    /// Matrix–vector product (gemm with one side a vector): 2mn.
    Gemv,
    /// Product with a symmetric factor (dsymm): 2mkn, reads one triangle.
    Symm,
    /// Product with a triangular factor (dtrmm): t²·k for a t×t triangle.
    Trmm,
    /// Product of a matrix with its own transpose, XᵀX or XXᵀ (dsyrk): n(n+1)k.
    Syrk,
    /// Scaling rows or columns by a diagonal factor: one multiplication per element.
    DiagScale,
    /// Triangular solve with several right-hand sides (dtrsm): t²·k.
    Trsm,
    /// Triangular solve with one right-hand side (dtrsv): t².
    Trsv,
    /// Division of rows or columns by a diagonal: one per element.
    DiagSolve,
    /// Cholesky factorization (dpotrf): n³/3.
    Potrf,
    /// Solve with a Cholesky factor (dpotrs): 2n²k.
    Potrs,
    /// LU factorization with partial pivoting (dgetrf): 2n³/3.
    Getrf,
    /// Solve with an LU factorization (dgetrs): 2n²k.
    Getrs,
    /// Bunch–Kaufman factorization of a symmetric indefinite matrix, LDLᵀ with 1×1 and 2×2
    /// pivots (dsytrf): n³/3.
    Sytrf,
    /// Solve with a Bunch–Kaufman factorization (dsytrs): 2n²k.
    Sytrs,
    /// Explicit inverse from a Bunch–Kaufman factorization (dsytri): 2n³/3.
    Sytri,
    /// Explicit inverse of a triangular matrix (dtrtri): n³/3.
    Trtri,
    /// Explicit inverse from a Cholesky factor (dpotri): 2n³/3.
    Potri,
    /// Explicit inverse from an LU factorization (dgetri): 4n³/3.
    Getri,
    /// Explicit inverse of a diagonal: n divisions.
    DiagInv,
    /// A transposed copy (the inverse of an orthogonal matrix, or a transposed result): 0.
    Transpose,
}

impl Kernel {
    /// The routine's short name: `gemm`, `potrf`, `diag-scale`, …
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Gemm => "gemm",
            Kernel::Gemv => "gemv",
            Kernel::Symm => "symm",
            Kernel::Trmm => "trmm",
            Kernel::Syrk => "syrk",
            Kernel::DiagScale => "diag-scale",
            Kernel::Trsm => "trsm",
            Kernel::Trsv => "trsv",
            Kernel::DiagSolve => "diag-solve",
            Kernel::Potrf => "potrf",
            Kernel::Potrs => "potrs",
            Kernel::Getrf => "getrf",
            Kernel::Getrs => "getrs",
            Kernel::Sytrf => "sytrf",
            Kernel::Sytrs => "sytrs",
            Kernel::Sytri => "sytri",
            Kernel::Trtri => "trtri",
            Kernel::Potri => "potri",
            Kernel::Getri => "getri",
            Kernel::DiagInv => "diag-inv",
            Kernel::Transpose => "transpose",
        }
    }

    /// Whether the step forms an explicit inverse.
    pub fn is_explicit_inverse(self) -> bool {
        matches!(
            self,
            Kernel::Trtri | Kernel::Potri | Kernel::Getri | Kernel::Sytri | Kernel::DiagInv
        )
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `c · x1 · x2 · …` in ⅓-flop units, or `None` when it does not fit.
pub(crate) fn thirds(c: u128, xs: &[usize]) -> Option<u128> {
    xs.iter().try_fold(c, |acc, &x| acc.checked_mul(x as u128))
}

/// gemm or symm, (m×k)·(k×n): 2mkn flops.
pub(crate) fn gemm(m: usize, k: usize, n: usize) -> Option<u128> {
    thirds(6, &[m, k, n])
}

/// trmm or trsm with a t×t triangle and `other` columns (or rows) on the other side: t²·other.
pub(crate) fn triangular(t: usize, other: usize) -> Option<u128> {
    thirds(3, &[t, t, other])
}

/// syrk, an n×n result from an inner dimension k: n(n+1)k (the upper triangle, 2k each).
pub(crate) fn syrk(n: usize, k: usize) -> Option<u128> {
    thirds(3, &[n, n.checked_add(1)?, k])
}

/// Diagonal scaling or division of an m×n matrix: mn.
pub(crate) fn diagonal(m: usize, n: usize) -> Option<u128> {
    thirds(3, &[m, n])
}

/// potrf: n³/3.
pub(crate) fn potrf(n: usize) -> Option<u128> {
    thirds(1, &[n, n, n])
}

/// getrf: 2n³/3.
pub(crate) fn getrf(n: usize) -> Option<u128> {
    thirds(2, &[n, n, n])
}

/// sytrf (Bunch–Kaufman): n³/3.
pub(crate) fn sytrf(n: usize) -> Option<u128> {
    thirds(1, &[n, n, n])
}

/// sytri: 2n³/3.
pub(crate) fn sytri(n: usize) -> Option<u128> {
    thirds(2, &[n, n, n])
}

/// potrs, getrs or sytrs, n×n with k right-hand sides: 2n²k.
pub(crate) fn solve(n: usize, k: usize) -> Option<u128> {
    thirds(6, &[n, n, k])
}

/// trtri: n³/3.
pub(crate) fn trtri(n: usize) -> Option<u128> {
    thirds(1, &[n, n, n])
}

/// potri: 2n³/3.
pub(crate) fn potri(n: usize) -> Option<u128> {
    thirds(2, &[n, n, n])
}

/// getri: 4n³/3.
pub(crate) fn getri(n: usize) -> Option<u128> {
    thirds(4, &[n, n, n])
}

/// Which parenthesizations a cost model allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Splits {
    /// Every parenthesization.
    Any,
    /// Left to right only: ((A1·A2)·A3)·…
    LeftToRight,
}

/// What the DP may use: the cost model is a parameter of the planner. [`CostModel::planned`]
/// is the generalized planner; [`CostModel::expert`] and [`CostModel::naive`] are the two
/// baselines reports and benchmarks compare against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostModel {
    /// `planned`, `expert` or `naive`.
    pub name: &'static str,
    /// Allowed parenthesizations.
    pub splits: Splits,
    /// Products may use symm, trmm, syrk and diagonal scaling (else gemm only).
    pub structured_products: bool,
    /// Inverses may be applied as solves (else only explicit inverses).
    pub solves: bool,
    /// inv(A)·inv(B) may be formed as inv(B·A).
    pub inverse_products: bool,
    /// Each inverted operand is factored once and its factorization reused (else every use
    /// factors again).
    pub share_factorizations: bool,
    /// Inverses ignore structure: every explicit inverse is getrf + getri.
    pub general_inverses: bool,
}

impl CostModel {
    /// The generalized planner: every parenthesization, kernel and form.
    pub fn planned() -> Self {
        CostModel {
            name: "planned",
            splits: Splits::Any,
            structured_products: true,
            solves: true,
            inverse_products: true,
            share_factorizations: true,
            general_inverses: false,
        }
    }

    /// The expert's hand form: left to right, gemm for products, each inverse as a solve with
    /// the factorization its declared structure allows (Cholesky for SPD, trsm for
    /// triangular), each operand factored once.
    pub fn expert() -> Self {
        CostModel {
            name: "expert",
            splits: Splits::LeftToRight,
            structured_products: false,
            solves: true,
            inverse_products: false,
            share_factorizations: true,
            general_inverses: false,
        }
    }

    /// The naive form: left to right, gemm, every inverse explicit by LU (getrf + getri),
    /// each time it is written.
    pub fn naive() -> Self {
        CostModel {
            name: "naive",
            splits: Splits::LeftToRight,
            structured_products: false,
            solves: false,
            inverse_products: false,
            share_factorizations: false,
            general_inverses: true,
        }
    }
}

/// A model by its name, as front ends take it: `"planned".parse::<CostModel>()`.
///
/// ```
/// use chainplan::generalized::CostModel;
/// assert_eq!("expert".parse::<CostModel>()?, CostModel::expert());
/// assert!("fast".parse::<CostModel>().is_err());
/// # Ok::<(), chainplan::generalized::GenError>(())
/// ```
impl std::str::FromStr for CostModel {
    type Err = super::GenError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "planned" => Ok(CostModel::planned()),
            "expert" => Ok(CostModel::expert()),
            "naive" => Ok(CostModel::naive()),
            _ => Err(super::GenError::UnknownModel { name: name.into() }),
        }
    }
}

/// Formats a ⅓-flop count as flops: `41,666,666⅔`.
pub(crate) fn flops_text(thirds: u128) -> String {
    let whole = crate::text::thousands(thirds / 3);
    match thirds % 3 {
        1 => format!("{whole}⅓"),
        2 => format!("{whole}⅔"),
        _ => whole,
    }
}

/// A ⅓-flop count as (approximate) flops.
pub(crate) fn flops_f64(thirds: u128) -> f64 {
    thirds as f64 / 3.0
}
