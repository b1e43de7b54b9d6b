//! The generalized matrix chain planner: a DP over sub-chains that keeps, for each sub-chain,
//! the cheapest way to hold its value in each lazy form, and picks a kernel per product.
//!
//! A sub-chain's value V is held as a stored matrix W in one of four forms: V = W (plain),
//! V = Wᵀ (transposed), V = W⁻¹ (inverted: W is known, its inverse is never formed), or
//! V = W⁻ᵀ. Combining two sub-chains:
//!
//! - plain × plain: gemm, or symm / trmm / syrk / diagonal scaling when the factors' inferred
//!   properties allow; the result is plain;
//! - inverted × plain (or plain × inverted): a solve with W (trsm for triangular, potrf +
//!   potrs for SPD, getrf + getrs otherwise, diagonal division, or gemm with Wᵀ for an
//!   orthogonal W); the result is plain;
//! - inverted × inverted: W₁⁻¹W₂⁻¹ = (W₂W₁)⁻¹, a product whose result stays inverted.
//!
//! An inverted entry becomes plain only through an explicit inverse (trtri, potri, getri),
//! which the DP uses only when it is the cheapest way left, and reports flag.
//!
//! Each inverted operand is factored at most once. The DP is exact for that rule: it is run
//! once per subset S of the operands that could be factored, with factorizations of S
//! prepaid and every other operand's forbidden, and the cheapest total wins. With more than
//! [`MAX_SHARED`] such operands, two guesses are tried (S all of them, S empty: each use pays
//! its own factorization), the plan whose emitted steps cost least is kept, and it is marked
//! inexact.

use super::cost::{self, CostModel, Kernel, Splits};
use super::expr::{
    chain_text, factor_props, factor_shape, infer, mirrors, Base, Expression, FactorChain,
};
use super::operand::{Operand, Properties};
use super::steps::{Arg, GenPlan, Side2, Step, Value};
use super::GenError;
use std::collections::HashMap;

/// At most this many distinct factorable inverted operands are enumerated exactly (2^10
/// DP runs).
pub const MAX_SHARED: usize = 10;

/// Bound on 2^(factorable operands) × factors³ for the exact enumeration, so that a long
/// chain with many inverses plans in seconds, not hours.
const MAX_WORK: u128 = 1 << 30;

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
    const PREFERRED: [Form; 4] = [Form::I, Form::IT, Form::N, Form::T];

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

/// A kernel option: which routine, its cost without the factorization of an operand, and
/// that operand's factorization when the option needs one (its cost is counted by policy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choice {
    pub(crate) kernel: Kernel,
    /// The structured (or inverted) factor is the left one.
    pub(crate) left: bool,
    /// What the option charges: the kernel, plus a temporary's factorization.
    pub(crate) cost: u128,
    /// The kernel's own step cost (`cost` without a temporary's factorization, which is
    /// emitted as a step of its own).
    pub(crate) kernel_cost: u128,
    pub(crate) leaf_factor: Option<(usize, u128)>,
}

fn ov(x: Option<u128>, what: &'static str) -> Result<u128, GenError> {
    x.ok_or(GenError::Overflow { what })
}

/// The kernel menu of a cost model.
pub(crate) struct Kernels<'a> {
    pub(crate) model: &'a CostModel,
}

impl Kernels<'_> {
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
        // A product with a vector is gemv (same count), chosen here so that lowering emits
        // exactly the menu's kernel.
        let general = if m == 1 || n == 1 {
            Kernel::Gemv
        } else {
            Kernel::Gemm
        };
        push(general, true, cost::gemm(m, k, n))?;
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
            let k = if other == 1 {
                Kernel::Gemv
            } else {
                Kernel::Gemm
            };
            (k, ov(cost::gemm(n, n, other), what)?, None)
        } else if p.spd {
            let f = ov(cost::potrf(n), what)?;
            (Kernel::Potrs, ov(cost::solve(n, other), what)?, Some(f))
        } else {
            let f = ov(cost::getrf(n), what)?;
            (Kernel::Getrs, ov(cost::solve(n, other), what)?, Some(f))
        };
        Ok(Some(self.with_factor(kernel, left, cost, factor, w)?))
    }

    /// The symmetric product Bᵀ·B (`middle` `None`) of B's value (`b`, n×k, whatever form it
    /// is held in), or Bᵀ·M⁻¹·B or Bᵀ·M·B with M SPD (`middle`: the side of M's stored W, and
    /// whether the middle factor is M⁻¹): syrk of B (k(k+1)n), or, with M = UᵀU, W₂ = U⁻ᵀ·B by
    /// trsm (M⁻¹) or W₂ = U·B by trmm (M), n²k either way, then syrk of W₂. M's potrf is the
    /// option's factorization. `None` when the model has no structured products (or, for M⁻¹,
    /// no solves), or M is not SPD or is triangular (diagonal).
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
        let cost = ov(tri.checked_add(syrk), what)?;
        let factor = ov(cost::potrf(n), what)?;
        self.with_factor(Kernel::Syrk, true, cost, Some(factor), w)
            .map(Some)
    }

    /// The explicit inverse of M.
    pub(crate) fn inverse(&self, w: &Side) -> Result<Choice, GenError> {
        let n = w.rows;
        let p = w.props;
        let what = "an inverse's flop count";
        let (kernel, cost, factor) = if self.model.general_inverses || !p.structured() {
            (
                Kernel::Getri,
                ov(cost::getri(n), what)?,
                Some(ov(cost::getrf(n), what)?),
            )
        } else if p.diagonal {
            (Kernel::DiagInv, ov(cost::diagonal(n, 1), what)?, None)
        } else if p.triangular() {
            (Kernel::Trtri, ov(cost::trtri(n), what)?, None)
        } else if p.orthogonal {
            (Kernel::Transpose, 0, None)
        } else if p.spd {
            (
                Kernel::Potri,
                ov(cost::potri(n), what)?,
                Some(ov(cost::potrf(n), what)?),
            )
        } else {
            (
                Kernel::Getri,
                ov(cost::getri(n), what)?,
                Some(ov(cost::getrf(n), what)?),
            )
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
        factor: Option<u128>,
        w: &Side,
    ) -> Result<Choice, GenError> {
        let kernel_cost = cost;
        let (cost, leaf_factor) = match (factor, w.leaf) {
            (None, _) => (cost, None),
            (Some(f), Some(a)) => (cost, Some((a, f))),
            (Some(f), None) => (ov(cost.checked_add(f), "a solve's flop count")?, None),
        };
        Ok(Choice {
            kernel,
            left,
            cost,
            kernel_cost,
            leaf_factor,
        })
    }
}

/// How a table entry was obtained.
#[derive(Debug, Clone, Copy)]
enum How {
    Leaf,
    Group {
        inner: Form,
    },
    Product {
        k: usize,
        lf: Form,
        rf: Form,
        choice: Choice,
    },
    Inverse {
        choice: Choice,
    },
    /// The symmetric product Bᵀ·B, or Bᵀ·M⁻¹·B or Bᵀ·M·B with the single middle factor held
    /// in form `mf`: B is the right half, cells `b..=j`, held in form `bf`.
    Gram {
        b: usize,
        bf: Form,
        mf: Option<Form>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    cost: u128,
    how: How,
}

#[derive(Debug, Clone)]
struct Cell {
    rows: usize,
    cols: usize,
    props: Properties,
    leaf: Option<usize>,
    e: [Option<Entry>; 4],
}

impl Cell {
    /// The side an entry offers; `leaf` only when the entry is the operand itself (not, say,
    /// its explicit inverse).
    fn side(&self, f: Form) -> Side {
        let raw = matches!(self.e[f.0 as usize], Some(Entry { how: How::Leaf, .. }));
        Side {
            rows: self.rows,
            cols: self.cols,
            props: self.props,
            leaf: if raw { self.leaf } else { None },
            t: f.t(),
        }
    }

    fn offer(&mut self, f: Form, cost: u128, how: How) {
        let slot = &mut self.e[f.0 as usize];
        if slot.is_none_or_costlier(cost) {
            *slot = Some(Entry { cost, how });
        }
    }
}

trait Costlier {
    fn is_none_or_costlier(&self, cost: u128) -> bool;
}

impl Costlier for Option<Entry> {
    fn is_none_or_costlier(&self, cost: u128) -> bool {
        self.as_ref().is_none_or(|e| e.cost > cost)
    }
}

struct Table {
    chain: FactorChain,
    n: usize,
    cells: Vec<Cell>,
    groups: Vec<Option<Table>>,
}

impl Table {
    fn cell(&self, i: usize, j: usize) -> &Cell {
        &self.cells[i * self.n + j]
    }
}

struct Dp<'a> {
    ops: &'a [Operand],
    kernels: Kernels<'a>,
    /// Operands whose factorization is prepaid (shared mode).
    prepaid: &'a [bool],
}

impl Dp<'_> {
    /// The option's cost under the factorization policy; `None` when it needs a
    /// factorization the policy forbids.
    fn charge(&self, c: &Choice) -> Option<u128> {
        match c.leaf_factor {
            None => Some(c.cost),
            Some((a, f)) => {
                if self.kernels.model.share_factorizations {
                    self.prepaid[a].then_some(c.cost)
                } else {
                    c.cost.checked_add(f)
                }
            }
        }
    }

    fn build(&self, chain: &FactorChain) -> Result<Table, GenError> {
        let n = chain.factors.len();
        let mut cells = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                let fs = &chain.factors[i..=j.max(i)];
                let (rows, _) = factor_shape(&fs[0], self.ops);
                let (_, cols) = factor_shape(&fs[fs.len() - 1], self.ops);
                cells.push(Cell {
                    rows,
                    cols,
                    props: if j >= i {
                        infer(fs, self.ops)
                    } else {
                        Properties::default()
                    },
                    leaf: None,
                    e: [None; 4],
                });
            }
        }
        let mut table = Table {
            chain: chain.clone(),
            n,
            cells,
            groups: Vec::with_capacity(n),
        };
        for (i, f) in chain.factors.iter().enumerate() {
            let own = Form::new(f.transposed, f.inverted);
            let cell = &mut table.cells[i * n + i];
            cell.props = factor_props(f, self.ops);
            match &f.base {
                Base::Operand(a) => {
                    cell.leaf = Some(*a);
                    cell.offer(own, 0, How::Leaf);
                    table.groups.push(None);
                }
                Base::Group(g) => {
                    let inner = self.build(g)?;
                    let root = inner.cell(0, inner.n - 1);
                    for gf in Form::ALL {
                        if let Some(e) = root.e[gf.0 as usize] {
                            cell.offer(gf.compose(own), e.cost, How::Group { inner: gf });
                        }
                    }
                    table.groups.push(Some(inner));
                }
            }
            self.convert(&mut table.cells[i * n + i])?;
        }
        for len in 2..=n {
            for i in 0..=n - len {
                let j = i + len - 1;
                let ks: Vec<usize> = match self.kernels.model.splits {
                    Splits::Any => (i..j).collect(),
                    Splits::LeftToRight => vec![j - 1],
                };
                let mut cell = table.cells[i * n + j].clone();
                for k in ks {
                    self.combine(&table, &mut cell, i, k, j)?;
                }
                self.gram(&table, &mut cell, i, j)?;
                self.convert(&mut cell)?;
                table.cells[i * n + j] = cell;
            }
        }
        Ok(table)
    }

    fn combine(
        &self,
        table: &Table,
        cell: &mut Cell,
        i: usize,
        k: usize,
        j: usize,
    ) -> Result<(), GenError> {
        let (l, r) = (table.cell(i, k), table.cell(k + 1, j));
        for lf in Form::PREFERRED {
            let Some(le) = l.e[lf.0 as usize] else {
                continue;
            };
            for rf in Form::PREFERRED {
                let Some(re) = r.e[rf.0 as usize] else {
                    continue;
                };
                let (a, b) = (l.side(lf), r.side(rf));
                let (out, choices) = match (lf.inv(), rf.inv()) {
                    (false, false) => (Form::N, self.kernels.products(&a, &b)?),
                    (true, false) => (
                        Form::N,
                        self.kernels.solve(&a, b.cols, true)?.into_iter().collect(),
                    ),
                    (false, true) => (
                        Form::N,
                        self.kernels.solve(&b, a.rows, false)?.into_iter().collect(),
                    ),
                    (true, true) => {
                        if self.kernels.model.inverse_products {
                            (Form::I, self.kernels.products(&b, &a)?)
                        } else {
                            (Form::I, Vec::new())
                        }
                    }
                };
                for c in choices {
                    let Some(kc) = self.charge(&c) else {
                        continue;
                    };
                    let cost = le
                        .cost
                        .checked_add(re.cost)
                        .and_then(|x| x.checked_add(kc))
                        .ok_or(GenError::Overflow {
                            what: "the plan's flop count",
                        })?;
                    cell.offer(
                        out,
                        cost,
                        How::Product {
                            k,
                            lf,
                            rf,
                            choice: c,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// The symmetric-product rule: when the left half of (i, j) is the right half B
    /// transposed (factor by factor, reversed) around nothing or a single SPD middle factor
    /// (M⁻¹ or M), the cell can be Bᵀ·B by syrk of B's value, or Bᵀ·M⁻¹·B (Bᵀ·M·B) by a trsm
    /// (trmm) with M's Cholesky factor and a syrk; the left half is never computed. B held
    /// inverted (W⁻¹) gives Bᵀ·B = (W·Wᵀ)⁻¹, a syrk whose result stays inverted (as inverse
    /// products do).
    fn gram(&self, table: &Table, cell: &mut Cell, i: usize, j: usize) -> Result<(), GenError> {
        let len = j + 1 - i;
        let h = len / 2;
        let fs = &table.chain.factors;
        if h == 0 || !(0..h).all(|t| mirrors(&fs[i + t], &fs[j - t], self.ops)) {
            return Ok(());
        }
        let b = j + 1 - h;
        let odd = len % 2 == 1;
        let right = table.cell(b, j);
        let middle = table.cell(i + h, i + h);
        let mforms: &[Option<Form>] = if odd {
            &[Some(Form::I), Some(Form::IT), Some(Form::N), Some(Form::T)]
        } else {
            &[None]
        };
        for bf in Form::PREFERRED {
            let Some(be) = right.e[bf.0 as usize] else {
                continue;
            };
            if bf.inv() && (odd || !self.kernels.model.inverse_products) {
                continue;
            }
            for &mf in mforms {
                let (mcost, mside) = match mf {
                    None => (0, None),
                    Some(mf) => match middle.e[mf.0 as usize] {
                        Some(me) => (me.cost, Some(middle.side(mf))),
                        None => continue,
                    },
                };
                let inverted = mf.is_some_and(|f| f.inv());
                let m = mside.as_ref().map(|s| (s, inverted));
                let Some(c) = self.kernels.gram(&right.side(bf), m)? else {
                    continue;
                };
                let Some(kc) = self.charge(&c) else {
                    continue;
                };
                let cost = be
                    .cost
                    .checked_add(mcost)
                    .and_then(|x| x.checked_add(kc))
                    .ok_or(GenError::Overflow {
                        what: "the plan's flop count",
                    })?;
                let out = if bf.inv() { Form::I } else { Form::N };
                cell.offer(out, cost, How::Gram { b, bf, mf });
            }
        }
        Ok(())
    }

    /// Inverted entries become plain by an explicit inverse.
    fn convert(&self, cell: &mut Cell) -> Result<(), GenError> {
        for (from, to) in [(Form::I, Form::N), (Form::IT, Form::T)] {
            let Some(e) = cell.e[from.0 as usize] else {
                continue;
            };
            let c = self.kernels.inverse(&cell.side(from))?;
            if let Some(kc) = self.charge(&c) {
                let cost = e.cost.checked_add(kc).ok_or(GenError::Overflow {
                    what: "the plan's flop count",
                })?;
                cell.offer(to, cost, How::Inverse { choice: c });
            }
        }
        Ok(())
    }
}

/// Operands that appear inverted and need a factorization (not triangular, diagonal or
/// orthogonal), each once, in order of appearance; with `middles`, also the SPD operands that
/// appear not inverted between two mirrored factors (the M of Bᵀ·M·B, which the
/// symmetric-product rule may factor).
fn factorable(chain: &FactorChain, ops: &[Operand], middles: bool, out: &mut Vec<usize>) {
    let fs = &chain.factors;
    for (m, f) in fs.iter().enumerate() {
        match &f.base {
            Base::Operand(a) => {
                let p = ops[*a].props;
                let needs = !(p.triangular() || p.orthogonal);
                let middle = middles
                    && !f.inverted
                    && p.spd
                    && needs
                    && m > 0
                    && m + 1 < fs.len()
                    && mirrors(&fs[m - 1], &fs[m + 1], ops);
                if (f.inverted && needs || middle) && !out.contains(a) {
                    out.push(*a);
                }
            }
            Base::Group(g) => factorable(g, ops, middles, out),
        }
    }
}

/// Plans `expr` under `model`: the cheapest evaluation the model allows.
pub fn plan(expr: &Expression, model: &CostModel) -> Result<GenPlan, GenError> {
    let ops = &expr.operands;
    let n = super::expr::count_factors(&expr.chain) as u128;
    let enumerable = |count: usize| {
        count <= MAX_SHARED && (1u128 << count).saturating_mul(n * n * n) <= MAX_WORK
    };
    let mut candidates = Vec::new();
    factorable(&expr.chain, ops, false, &mut candidates);
    // The SPD middles of Bᵀ·M·B join only when the enumeration stays exact: prepaying a
    // factorization the plan may not need (the fallback below) would cost more than the rule
    // saves. Left out, the rule is unavailable for them and the plan is not proven optimal.
    let mut middles_left_out = false;
    if model.structured_products {
        let mut with_middles = Vec::new();
        factorable(&expr.chain, ops, true, &mut with_middles);
        if with_middles.len() > candidates.len() {
            if enumerable(with_middles.len()) {
                candidates = with_middles;
            } else {
                middles_left_out = true;
            }
        }
    }
    // Every subset of the candidates is prepaid in turn (exact), or, above the limits, two
    // guesses: all of them prepaid, and none (each use charged its own factorization).
    let all = (1u64 << candidates.len().min(63)) - 1;
    let (masks, exact, enumerated): (Vec<u64>, bool, bool) = if !model.share_factorizations {
        (vec![0], true, true)
    } else if enumerable(candidates.len()) {
        (
            (0..1u64 << candidates.len()).collect(),
            !middles_left_out,
            true,
        )
    } else {
        (vec![all, 0], false, false)
    };
    // The best so far: (its key, the DP's total, the steps' total, steps, result, order). Enumerated, the key is
    // the DP's total, which the steps add up to. Guessed, the DP's total may count prepaid
    // factorizations that the plan never reads (it multiplied those inverses instead), so the
    // key is what the emitted steps cost.
    let mut best: Option<(u128, u128, u128, Vec<Step>, Arg, String)> = None;
    for mask in masks {
        let mut prepaid = vec![false; ops.len()];
        let mut upfront: u128 = 0;
        for (bit, &a) in candidates.iter().enumerate() {
            if bit >= 64 || mask >> bit & 1 == 1 {
                prepaid[a] = true;
                let n = ops[a].rows;
                let f = if ops[a].props.spd && !model.general_inverses {
                    cost::potrf(n)
                } else {
                    cost::getrf(n)
                };
                upfront = ov(
                    f.and_then(|f| upfront.checked_add(f)),
                    "the plan's flop count",
                )?;
            }
        }
        let dp = Dp {
            ops,
            kernels: Kernels { model },
            prepaid: &prepaid,
        };
        let table = dp.build(&expr.chain)?;
        let root = table.cell(0, table.n - 1);
        let Some((form, e)) = [Form::N, Form::T]
            .into_iter()
            .find_map(|f| root.e[f.0 as usize].map(|e| (f, e)))
        else {
            continue;
        };
        let total = ov(e.cost.checked_add(upfront), "the plan's flop count")?;
        if enumerated && best.as_ref().is_some_and(|b| total >= b.0) {
            continue;
        }
        let mut lower = Lower {
            ops,
            kernels: Kernels { model },
            steps: Vec::new(),
            factored: HashMap::new(),
        };
        let (result, order) = lower.emit(&table, 0, table.n - 1, form)?;
        let thirds = lower.steps.iter().try_fold(0u128, |acc, s| {
            acc.checked_add(s.thirds).ok_or(GenError::Overflow {
                what: "the plan's flop count",
            })
        })?;
        let key = if enumerated { total } else { thirds };
        if best.as_ref().is_none_or(|b| key < b.0) {
            best = Some((key, total, thirds, lower.steps, result, order));
        }
    }
    let (_, total, thirds, steps, result, order) =
        best.ok_or(GenError::NoPlan { model: model.name })?;
    debug_assert!(
        if enumerated {
            thirds == total
        } else {
            thirds <= total
        },
        "steps ({thirds}) and DP ({total}) disagree"
    );
    let (rows, cols) = expr.shape();
    Ok(GenPlan {
        model: model.name.to_string(),
        steps,
        result,
        rows,
        cols,
        thirds,
        order,
        exact,
        expr: expr.clone(),
    })
}

/// Turns a DP table into steps.
struct Lower<'a> {
    ops: &'a [Operand],
    kernels: Kernels<'a>,
    steps: Vec<Step>,
    /// Shared factorizations: operand → its potrf/getrf step.
    factored: HashMap<usize, usize>,
}

impl Lower<'_> {
    fn push(&mut self, step: Step) -> Value {
        self.steps.push(step);
        Value::Step(self.steps.len() - 1)
    }

    fn text(&self, table: &Table, i: usize, j: usize) -> String {
        chain_text(&table.chain.factors[i..=j], self.ops)
    }

    /// The factorization of W (`potrf` or `getrf`), shared for operands.
    fn factor(&mut self, w: Value, n: usize, spd: bool) -> Result<Value, GenError> {
        let what = match w {
            Value::Operand(a) => self.ops[a].name.clone(),
            Value::Step(s) => format!("S{}", s + 1),
        };
        let share = self.kernels.model.share_factorizations;
        if let (Value::Operand(a), true) = (w, share) {
            if let Some(&s) = self.factored.get(&a) {
                return Ok(Value::Step(s));
            }
        }
        let (kernel, thirds, value) = if spd {
            (Kernel::Potrf, cost::potrf(n), format!("chol({what})"))
        } else {
            (Kernel::Getrf, cost::getrf(n), format!("lu({what})"))
        };
        let v = self.push(Step {
            kernel,
            args: vec![Arg {
                value: w,
                transposed: false,
            }],
            side: Side2::Left,
            lower: false,
            rows: n,
            cols: n,
            thirds: ov(thirds, "a factorization's flop count")?,
            explicit_inverse: false,
            value,
        });
        if let (Value::Operand(a), true, Value::Step(s)) = (w, share, v) {
            self.factored.insert(a, s);
        }
        Ok(v)
    }

    /// Emits the steps that hold cell (i, j) in form `f`; returns the stored W as an
    /// argument (transposed as the form says) and the parenthesized order.
    fn emit(
        &mut self,
        table: &Table,
        i: usize,
        j: usize,
        f: Form,
    ) -> Result<(Arg, String), GenError> {
        let cell = table.cell(i, j);
        let e = cell.e[f.0 as usize].expect("the DP filled the entry it chose");
        match e.how {
            How::Leaf => {
                let a = cell.leaf.expect("a leaf is an operand");
                Ok((
                    Arg {
                        value: Value::Operand(a),
                        transposed: f.t(),
                    },
                    self.text(table, i, i),
                ))
            }
            How::Group { inner } => {
                let g = table.groups[i]
                    .as_ref()
                    .expect("a group leaf has its table");
                let (arg, order) = self.emit(g, 0, g.n - 1, inner)?;
                let fac = &table.chain.factors[i];
                let text = match (fac.inverted, fac.transposed) {
                    (false, false) => order,
                    (false, true) => format!("{order}ᵀ"),
                    (true, false) => format!("inv{order}"),
                    (true, true) => format!("inv{order}ᵀ"),
                };
                Ok((
                    Arg {
                        value: arg.value,
                        transposed: f.t(),
                    },
                    text,
                ))
            }
            How::Inverse { choice } => {
                let from = Form(f.0 | 2);
                let (w, order) = self.emit(table, i, j, from)?;
                let n = cell.rows;
                let side = cell.side(from);
                let stored = if side.t {
                    side.props.transposed()
                } else {
                    side.props
                };
                // The step stores W⁻¹: the cell's value (form I) or its transpose (form IT).
                let text = if f.t() {
                    format!("({})ᵀ", self.text(table, i, j))
                } else {
                    self.text(table, i, j)
                };
                let plain = Arg {
                    value: w.value,
                    transposed: false,
                };
                let (arg, thirds) = match choice.kernel {
                    Kernel::Getri | Kernel::Potri => {
                        let spd = choice.kernel == Kernel::Potri;
                        let fv = self.factor(w.value, n, spd)?;
                        (
                            Arg {
                                value: fv,
                                transposed: false,
                            },
                            choice.kernel_cost,
                        )
                    }
                    Kernel::Transpose => (
                        Arg {
                            value: w.value,
                            transposed: true,
                        },
                        0,
                    ),
                    _ => (plain, choice.kernel_cost),
                };
                let v = self.push(Step {
                    kernel: choice.kernel,
                    args: vec![arg],
                    side: Side2::Left,
                    lower: stored.lower,
                    rows: n,
                    cols: n,
                    thirds,
                    explicit_inverse: choice.kernel.is_explicit_inverse(),
                    value: text,
                });
                Ok((
                    Arg {
                        value: v,
                        transposed: f.t(),
                    },
                    order.replacen("inv", "inv!", 1),
                ))
            }
            How::Gram { b, bf, mf } => {
                let what = "a symmetric product's flop count";
                let right = table.cell(b, j);
                let (n, k) = (right.rows, right.cols);
                let mut middle = None;
                if let Some(mf) = mf {
                    // M first, so that its factorization comes before B's steps.
                    let (w, mo) = self.emit(table, b - 1, b - 1, mf)?;
                    middle = Some((self.factor(w.value, n, true)?, mo));
                }
                let (barg, bo) = self.emit(table, b, j, bf)?;
                let left = if b - i == 1 || (mf.is_some() && b - i == 2) {
                    self.text(table, i, i)
                } else {
                    format!("{bo}ᵀ")
                };
                let value = self.text(table, i, j);
                let (arg, order) = match middle {
                    None => (
                        // Bᵀ·B = op(A)·op(A)ᵀ with op(A) = Bᵀ; for B = W⁻¹ the stored
                        // product is W·Wᵀ.
                        Arg {
                            value: barg.value,
                            transposed: barg.transposed ^ !bf.inv(),
                        },
                        format!("({left}·{bo})"),
                    ),
                    Some((u, mo)) => {
                        let chol = match u {
                            Value::Step(s) => self.steps[s].value.clone(),
                            Value::Operand(_) => unreachable!("factor returns a step"),
                        };
                        // M⁻¹: W₂ = U⁻ᵀ·B; M: W₂ = U·B.
                        let inverted = mf.is_some_and(|f| f.inv());
                        let (kernel, value) = match (inverted, k == 1) {
                            (true, true) => (Kernel::Trsv, format!("{chol}⁻ᵀ")),
                            (true, false) => (Kernel::Trsm, format!("{chol}⁻ᵀ")),
                            (false, _) => (Kernel::Trmm, chol),
                        };
                        let w2 = self.push(Step {
                            kernel,
                            args: vec![
                                Arg {
                                    value: u,
                                    transposed: inverted,
                                },
                                barg,
                            ],
                            side: Side2::Left,
                            lower: false,
                            rows: n,
                            cols: k,
                            thirds: ov(cost::triangular(n, k), what)?,
                            explicit_inverse: false,
                            value: format!("{value}·{}", self.text(table, b, j)),
                        });
                        (
                            Arg {
                                value: w2,
                                transposed: true,
                            },
                            format!("({left}·{mo}·{bo})"),
                        )
                    }
                };
                let v = self.push(Step {
                    kernel: Kernel::Syrk,
                    args: vec![arg],
                    side: Side2::Left,
                    lower: false,
                    rows: k,
                    cols: k,
                    thirds: ov(cost::syrk(k, n), what)?,
                    explicit_inverse: false,
                    value: if bf.inv() {
                        format!("inv({value})")
                    } else {
                        value
                    },
                });
                Ok((
                    Arg {
                        value: v,
                        transposed: f.t(),
                    },
                    order,
                ))
            }
            How::Product { k, lf, rf, choice } => {
                let (a, ao) = self.emit(table, i, k, lf)?;
                let (b, bo) = self.emit(table, k + 1, j, rf)?;
                let order = format!("({ao}·{bo})");
                let (l, r) = (table.cell(i, k), table.cell(k + 1, j));
                let (sa, sb) = (l.side(lf), r.side(rf));
                let stored = |s: &Side| {
                    if s.t {
                        s.props.transposed()
                    } else {
                        s.props
                    }
                };
                let value = self.text(table, i, j);
                let (rows, cols) = (cell.rows, cell.cols);
                let mut step = Step {
                    kernel: choice.kernel,
                    args: vec![a, b],
                    side: if choice.left {
                        Side2::Left
                    } else {
                        Side2::Right
                    },
                    lower: false,
                    rows,
                    cols,
                    thirds: choice.kernel_cost,
                    explicit_inverse: false,
                    value,
                };
                match (lf.inv(), rf.inv()) {
                    (false, false) | (true, true) => {
                        let (x, y, sx, sy) = if lf.inv() {
                            // (W₂·W₁)⁻¹ form: the stored product is W₂·W₁.
                            step.value = format!("inv({})", step.value);
                            (b, a, sb, sa)
                        } else {
                            (a, b, sa, sb)
                        };
                        step.args = vec![x, y];
                        match choice.kernel {
                            Kernel::Syrk => step.args = vec![x],
                            Kernel::Trmm => {
                                step.lower = if choice.left {
                                    stored(&sx).lower
                                } else {
                                    stored(&sy).lower
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {
                        let (w, sw) = if choice.left { (a, sa) } else { (b, sb) };
                        step.lower = stored(&sw).lower;
                        let m = match choice.kernel {
                            Kernel::Potrs | Kernel::Getrs => {
                                let spd = choice.kernel == Kernel::Potrs;
                                let fv = self.factor(w.value, sw.rows, spd)?;
                                Arg {
                                    value: fv,
                                    transposed: w.transposed,
                                }
                            }
                            Kernel::Gemm | Kernel::Gemv => {
                                // M orthogonal: M⁻¹ = Mᵀ.
                                Arg {
                                    value: w.value,
                                    transposed: !w.transposed,
                                }
                            }
                            _ => w,
                        };
                        step.args = if choice.left { vec![m, b] } else { vec![a, m] };
                    }
                }
                let v = self.push(step);
                Ok((
                    Arg {
                        value: v,
                        transposed: f.t(),
                    },
                    order,
                ))
            }
        }
    }
}
