//! The kernel menu: for each way two held values can be combined, the kernels (and their
//! specialisations: gemv for a product with a vector, trsv for a solve of one column) that
//! can do it under a [`CostModel`], each with its exact cost and the factorization it needs.
//!
//! This is the one place that decides which kernel computes what and what it costs. The DP
//! ([`super::planner`]), its lowering into steps, and the brute-force oracle
//! ([`super::brute`]) all read it through this crate-internal interface:
//!
//! - [`Form`]: how a value is held (plain, transposed, inverted, inverted and transposed);
//! - [`Side`]: one argument as the menu sees it (shape, properties, whether it is an operand
//!   as written, and whether it is read transposed);
//! - [`Kernels`]: the menu itself; [`Kernels::combine`] (which of the next two applies to
//!   two held values), [`Kernels::products`], [`Kernels::solve`],
//!   [`Kernels::gram`] and [`Kernels::inverse`] return [`Choice`]s, and
//!   [`Kernels::factorization`] the factorization of an operand or temporary;
//! - [`Choice`]: one option, with the kernel its step runs, that step's cost, an optional
//!   triangular step before it (the symmetric products Bᵀ·M⁻¹·B and Bᵀ·M·B), and the
//!   factorization it reads. A choice's [`Choice::cost`] is what the option charges
//!   without the factorization of an operand, which the caller charges by its own policy
//!   (shared once, or once per use).
//!
//! Lowering emits exactly the kernels, and the costs, of the choices the DP kept.

use super::cost::{self, CostModel, Kernel};
use super::operand::Properties;
use super::GenError;

/// A lazy form: bit 0 transposed, bit 1 inverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Form(pub(crate) u8);

impl Form {
    pub(crate) const N: Form = Form(0);
    pub(crate) const T: Form = Form(1);
    pub(crate) const I: Form = Form(2);
    pub(crate) const IT: Form = Form(3);
    pub(crate) const ALL: [Form; 4] = [Form::N, Form::T, Form::I, Form::IT];
    /// The order combinations are tried in: on equal cost the first wins, so a solve is
    /// preferred to an explicit inverse (of an orthogonal matrix, say) that costs the same.
    pub(crate) const PREFERRED: [Form; 4] = [Form::I, Form::IT, Form::N, Form::T];

    pub(crate) fn new(t: bool, inv: bool) -> Form {
        Form(t as u8 | (inv as u8) << 1)
    }
    pub(crate) fn t(self) -> bool {
        self.0 & 1 == 1
    }
    pub(crate) fn inv(self) -> bool {
        self.0 & 2 == 2
    }
    /// The form of op₁(op₂(W)): transposes and inverses commute.
    pub(crate) fn compose(self, other: Form) -> Form {
        Form(self.0 ^ other.0)
    }
}

/// One side of a kernel: M = op(W) (W transposed if `t`) whose value, or inverse, is used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// Properties of M (the same for M⁻¹).
    pub(crate) props: Properties,
    /// The operand W is, when W is an operand rather than a computed temporary.
    pub(crate) leaf: Option<usize>,
    pub(crate) t: bool,
}

/// A factorization a choice reads: potrf or getrf of an n×n matrix, with its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Factorization {
    pub(crate) kernel: Kernel,
    pub(crate) cost: u128,
}

/// A kernel option.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choice {
    /// The routine of the option's (last) step.
    pub(crate) kernel: Kernel,
    /// The structured (or inverted) factor is the left one.
    pub(crate) left: bool,
    /// What the option charges: its steps, plus a temporary's factorization (an operand's
    /// is in `leaf_factor`, charged by the caller's policy).
    pub(crate) cost: u128,
    /// The cost of the step running `kernel`.
    pub(crate) kernel_cost: u128,
    /// A triangular step before it (trsm, trsv or trmm with a Cholesky factor, for
    /// Bᵀ·M⁻¹·B and Bᵀ·M·B), with its cost.
    pub(crate) pre: Option<(Kernel, u128)>,
    /// The factorization the option reads, whether of an operand or of a temporary.
    pub(crate) factor: Option<Factorization>,
    /// The operand whose factorization it reads, with that factorization's cost.
    pub(crate) leaf_factor: Option<(usize, u128)>,
}

pub(crate) fn ov(x: Option<u128>, what: &'static str) -> Result<u128, GenError> {
    x.ok_or(GenError::Overflow { what })
}

/// The kernel menu of a cost model.
pub(crate) struct Kernels<'a> {
    pub(crate) model: &'a CostModel,
}

impl Kernels<'_> {
    /// The factorization used for solves with, and inverses of, an n×n matrix with
    /// properties `p`: Cholesky (potrf) when it is SPD, Bunch–Kaufman (sytrf) when it is
    /// symmetric but not known to be definite, LU (getrf) otherwise, or whenever the model
    /// ignores structure. The same for an operand's shared factorization and a temporary's.
    pub(crate) fn factorization(&self, n: usize, p: Properties) -> Result<Factorization, GenError> {
        let what = "a factorization's flop count";
        let (kernel, cost) = if self.model.general_inverses {
            (Kernel::Getrf, cost::getrf(n))
        } else if p.spd {
            (Kernel::Potrf, cost::potrf(n))
        } else if p.symmetric {
            (Kernel::Sytrf, cost::sytrf(n))
        } else {
            (Kernel::Getrf, cost::getrf(n))
        };
        Ok(Factorization {
            kernel,
            cost: ov(cost, what)?,
        })
    }

    /// The solve and explicit-inverse kernels that read factorization `f`.
    pub(crate) fn with_factorization(f: Factorization) -> (Kernel, Kernel) {
        match f.kernel {
            Kernel::Potrf => (Kernel::Potrs, Kernel::Potri),
            Kernel::Sytrf => (Kernel::Sytrs, Kernel::Sytri),
            _ => (Kernel::Getrs, Kernel::Getri),
        }
    }

    /// How two held values combine: the form of the result and the options that compute it,
    /// for sides `a` and `b` held inverted or not (`a_inv`, `b_inv`). Plain sides multiply;
    /// one inverted side is a solve with the other (no option when the model has no solves);
    /// two inverted sides stay inverted, their product taken in reverse order when the model
    /// allows inverse products (M₁⁻¹·M₂⁻¹ = (M₂·M₁)⁻¹), no option otherwise.
    pub(crate) fn combine(
        &self,
        a: &Side,
        a_inv: bool,
        b: &Side,
        b_inv: bool,
    ) -> Result<(Form, Vec<Choice>), GenError> {
        Ok(match (a_inv, b_inv) {
            (false, false) => (Form::N, self.products(a, b)?),
            (true, false) => (Form::N, self.solve(a, b.cols, true)?.into_iter().collect()),
            (false, true) => (Form::N, self.solve(b, a.rows, false)?.into_iter().collect()),
            (true, true) if self.model.inverse_products => (Form::I, self.products(b, a)?),
            (true, true) => (Form::I, Vec::new()),
        })
    }

    /// Options for the product M₁·M₂ of two plain sides.
    pub(crate) fn products(&self, a: &Side, b: &Side) -> Result<Vec<Choice>, GenError> {
        let (m, k, n) = (a.rows, a.cols, b.cols);
        let mut out = Vec::new();
        let mut push = |kernel, left, cost: Option<u128>| -> Result<(), GenError> {
            let cost = ov(cost, "a product's flop count")?;
            out.push(Choice {
                kernel,
                left,
                cost,
                kernel_cost: cost,
                pre: None,
                factor: None,
                leaf_factor: None,
            });
            Ok(())
        };
        if self.model.structured_products {
            if a.props.diagonal && b.props.diagonal {
                push(Kernel::DiagScale, true, cost::diagonal(m, 1))?;
            } else if a.props.diagonal {
                push(Kernel::DiagScale, true, cost::diagonal(m, n))?;
            } else if b.props.diagonal {
                push(Kernel::DiagScale, false, cost::diagonal(m, n))?;
            }
            if a.props.triangular() {
                push(Kernel::Trmm, true, cost::triangular(m, n))?;
            }
            if b.props.triangular() {
                push(Kernel::Trmm, false, cost::triangular(n, m))?;
            }
            if a.leaf.is_some() && a.leaf == b.leaf && (a.t != b.t || a.props.symmetric) {
                push(Kernel::Syrk, true, cost::syrk(m, k))?;
            }
            if a.props.symmetric {
                push(Kernel::Symm, true, cost::gemm(m, k, n))?;
            } else if b.props.symmetric {
                push(Kernel::Symm, false, cost::gemm(m, k, n))?;
            }
        }
        push(general(m, n), true, cost::gemm(m, k, n))?;
        Ok(out)
    }

    /// The solve M⁻¹·B (`left`) or B·M⁻¹ with `other` columns (rows) in B; `None` when the
    /// model has no solves.
    pub(crate) fn solve(
        &self,
        w: &Side,
        other: usize,
        left: bool,
    ) -> Result<Option<Choice>, GenError> {
        if !self.model.solves {
            return Ok(None);
        }
        let n = w.rows;
        let p = w.props;
        let what = "a solve's flop count";
        let (kernel, cost, factor) = if p.diagonal {
            (Kernel::DiagSolve, ov(cost::diagonal(n, other), what)?, None)
        } else if p.triangular() {
            let k = if other == 1 {
                Kernel::Trsv
            } else {
                Kernel::Trsm
            };
            (k, ov(cost::triangular(n, other), what)?, None)
        } else if p.orthogonal {
            // M⁻¹ = Mᵀ: a product (gemv with a vector).
            (general(n, other), ov(cost::gemm(n, n, other), what)?, None)
        } else {
            let f = self.factorization(n, p)?;
            let (kernel, _) = Kernels::with_factorization(f);
            (kernel, ov(cost::solve(n, other), what)?, Some(f))
        };
        Ok(Some(self.with_factor(kernel, left, cost, factor, w)?))
    }

    /// The symmetric product Bᵀ·B (`middle` `None`) of B's value (`b`, n×k, whatever form it
    /// is held in), or Bᵀ·M⁻¹·B or Bᵀ·M·B with M SPD (`middle`: the side of M's stored W, and
    /// whether the middle factor is M⁻¹): syrk of B (k(k+1)n), or, with M = UᵀU, W₂ = U⁻ᵀ·B by
    /// trsm (trsv for one column) (M⁻¹) or W₂ = U·B by trmm (M), n²k either way, then syrk of
    /// W₂. M's potrf is the option's factorization. `None` when the model has no structured
    /// products (or, for M⁻¹, no solves), or M is not SPD or is triangular (diagonal).
    pub(crate) fn gram(
        &self,
        b: &Side,
        middle: Option<(&Side, bool)>,
    ) -> Result<Option<Choice>, GenError> {
        if !self.model.structured_products {
            return Ok(None);
        }
        let (n, k) = (b.rows, b.cols);
        let what = "a symmetric product's flop count";
        let syrk = ov(cost::syrk(k, n), what)?;
        let Some((w, inverted)) = middle else {
            return Ok(Some(Choice {
                kernel: Kernel::Syrk,
                left: true,
                cost: syrk,
                kernel_cost: syrk,
                pre: None,
                factor: None,
                leaf_factor: None,
            }));
        };
        let p = w.props;
        if (inverted && !self.model.solves)
            || self.model.general_inverses
            || !p.spd
            || p.triangular()
        {
            return Ok(None);
        }
        let tri = ov(cost::triangular(n, k), what)?;
        let pre = match (inverted, k == 1) {
            (true, true) => Kernel::Trsv,
            (true, false) => Kernel::Trsm,
            (false, _) => Kernel::Trmm,
        };
        let cost = ov(tri.checked_add(syrk), what)?;
        let factor = self.factorization(n, p)?;
        let mut c = self.with_factor(Kernel::Syrk, true, cost, Some(factor), w)?;
        c.kernel_cost = syrk;
        c.pre = Some((pre, tri));
        Ok(Some(c))
    }

    /// The explicit inverse of M.
    pub(crate) fn inverse(&self, w: &Side) -> Result<Choice, GenError> {
        let n = w.rows;
        let p = w.props;
        let what = "an inverse's flop count";
        let (kernel, cost, factor) = if p.diagonal && !self.model.general_inverses {
            (Kernel::DiagInv, ov(cost::diagonal(n, 1), what)?, None)
        } else if p.triangular() && !self.model.general_inverses {
            (Kernel::Trtri, ov(cost::trtri(n), what)?, None)
        } else if p.orthogonal && !self.model.general_inverses {
            (Kernel::Transpose, 0, None)
        } else {
            // From the factorization solves use: potri, sytri or getri.
            let f = self.factorization(n, p)?;
            let (_, kernel) = Kernels::with_factorization(f);
            let cost = match kernel {
                Kernel::Potri => cost::potri(n),
                Kernel::Sytri => cost::sytri(n),
                _ => cost::getri(n),
            };
            (kernel, ov(cost, what)?, Some(f))
        };
        self.with_factor(kernel, true, cost, factor, w)
    }

    /// A temporary's factorization is part of the option's cost; an operand's is reported
    /// separately, to be shared or charged by the caller's policy.
    fn with_factor(
        &self,
        kernel: Kernel,
        left: bool,
        cost: u128,
        factor: Option<Factorization>,
        w: &Side,
    ) -> Result<Choice, GenError> {
        let kernel_cost = cost;
        let (cost, leaf_factor) = match (factor, w.leaf) {
            (None, _) => (cost, None),
            (Some(f), Some(a)) => (cost, Some((a, f.cost))),
            (Some(f), None) => (ov(cost.checked_add(f.cost), "a solve's flop count")?, None),
        };
        Ok(Choice {
            kernel,
            left,
            cost,
            kernel_cost,
            pre: None,
            factor,
            leaf_factor,
        })
    }
}

/// The general product's kernel: gemv when either side of the result is a vector (the same
/// count as gemm).
fn general(m: usize, n: usize) -> Kernel {
    if m == 1 || n == 1 {
        Kernel::Gemv
    } else {
        Kernel::Gemm
    }
}
