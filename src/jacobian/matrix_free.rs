//! Matrix-free Jacobian chains: elemental functions known only by their tangent and adjoint
//! programs, after Naumann's matrix-free Jacobian chain product.
//!
//! ## The model
//!
//! F = F_L ∘ … ∘ F_1 with F_i : R^(n_i) → R^(m_i) (for layer widths w_0 … w_L, n_i = w_(i-1)
//! and m_i = w_i). Each F_i offers a tangent program v ↦ F_i'·v costing t_i fused
//! multiply-adds, and an adjoint program w ↦ wᵀ·F_i' costing a_i that needs a tape of size e_i.
//! Write F'_(j:i) for the Jacobian of F_j ∘ … ∘ F_i (an m_j × n_i matrix). The operations and
//! their costs are
//!
//! ```text
//! preaccumulate F'_i by n_i tangents               n_i·t_i
//! preaccumulate F'_i by m_i adjoints               m_i·a_i                  if e_i ≤ M
//! multiply F'_(j:k+1) · F'_(k:i)                   m_j·m_k·n_i
//! push the n_i columns of F'_(k:i) through
//!   the tangents of F_(k+1) … F_j                  n_i·(t_(k+1) + … + t_j)
//! pull the m_j rows of F'_(j:k+1) back through
//!   the adjoints of F_i … F_k                      m_j·(a_i + … + a_k)      if e_i + … + e_k ≤ M
//! ```
//!
//! where M is the memory limit (none by default). The cheapest way to get F'_(j:i) is the
//! dynamic program
//!
//! ```text
//! C(i, i) = min(n_i·t_i, m_i·a_i)
//! C(i, j) = min over i ≤ k < j of  min( C(k+1, j) + C(i, k) + m_j·m_k·n_i,
//!                                       C(i, k) + n_i·(t_(k+1) + … + t_j),
//!                                       C(k+1, j) + m_j·(a_i + … + a_k) )
//! ```
//!
//! solved by [`MatrixFreeChain::optimal`] in O(L³) time, and returned as a tree of the
//! operations ([`MfNode`]). Pure tangent mode, n_1·(t_1 + … + t_L), and pure adjoint mode,
//! m_L·(a_1 + … + a_L) (allowed when the whole tape e_1 + … + e_L fits M), are special cases,
//! so the optimum is never above either.
//!
//! ## Seeds
//!
//! A seed is an explicitly known Jacobian at one end ([`MatrixFreeChain::with_seed`]): an
//! output seed S (k × w_L) is appended as a last elemental, an input seed (w_0 × k) prepended
//! as a first one. Its Jacobian is given, so preaccumulating it costs nothing, and as a stored
//! matrix its tangent and adjoint programs are matrix–vector products (t = a = k·w, no tape):
//! pushing columns through it or pulling rows back through it then costs exactly the dense
//! product. With an output seed of one row, pure adjoint mode is the gradient by backpropagation.
//!
//! ```
//! use chainplan::jacobian::{MatrixFreeChain, MfOp};
//! // Widths 4 → 4 → 4 → 4 with cheap tangents and adjoints three times as dear.
//! let chain = MatrixFreeChain::new(&[4, 4, 4, 4], &[10, 10, 10], &[30, 30, 30])?;
//! assert_eq!(chain.tangent_cost()?, 4 * 30);
//! assert_eq!(chain.adjoint_cost()?, Some(4 * 90));
//! let best = chain.optimal()?;
//! assert_eq!(best.total(), 120);
//! assert_eq!(chain.plan_string(&best), "tan[F2..F3]·Jtan(F1)");
//! assert_eq!((best.span(), best.through()), (0..3, Some(1..3)));
//! # Ok::<(), chainplan::Error>(())
//! ```

use super::dense::Seed;
use crate::error::{Error, Result};
use crate::error::{JacobianError, PlanError};
use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// The most elemental functions [`MatrixFreeChain::optimal`] accepts (O(L³) time).
pub const MAX_ELEMENTALS: usize = 1000;

/// One elemental function F_i : R^n → R^m.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Elemental {
    /// Its name in plans: `F1` … `FL`, `S` for an output seed, `T` for an input seed.
    pub name: String,
    /// Input width n_i.
    pub inputs: usize,
    /// Output width m_i.
    pub outputs: usize,
    /// Cost t_i of one tangent (Jacobian–vector product).
    pub tangent: u64,
    /// Cost a_i of one adjoint (vector–Jacobian product).
    pub adjoint: u64,
    /// Tape size e_i that the adjoint program needs.
    pub tape: u64,
    /// Whether the Jacobian is known explicitly (a seed), so accumulating it costs nothing.
    pub given: bool,
}

/// What one node of a matrix-free plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MfOp {
    /// The Jacobian is known (a seed): nothing to do.
    Given,
    /// F'_i preaccumulated by n_i tangents.
    Tangents,
    /// F'_i preaccumulated by m_i adjoints.
    Adjoints,
    /// F'_(j:k+1) · F'_(k:i) multiplied as matrices.
    Multiply,
    /// The columns of the child, F'_(k:i), pushed through the tangents of F_(k+1) … F_j.
    Push,
    /// The rows of the child, F'_(j:k+1), pulled back through the adjoints of F_i … F_k.
    Pull,
}

/// A node of a matrix-free plan: an operation producing F'_(last:first), with its inputs.
/// Read it through its methods: [`MfNode::total`] is the cost of the whole subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfNode {
    /// The operation.
    op: MfOp,
    /// The elementals whose Jacobian this node produces, F'_(last:first), as indices into
    /// [`MatrixFreeChain::elementals`] (`0..3` is F'_(3:1); [`MatrixFreeChain::span_name`]
    /// writes it `F1..F3`).
    span: Range<usize>,
    /// For `push` and `pull`: the elementals propagated through, as indices.
    #[serde(skip_serializing_if = "Option::is_none")]
    through: Option<Range<usize>>,
    /// Rows of the result, m_j.
    rows: usize,
    /// Columns of the result, n_i.
    cols: usize,
    /// Cost of this operation alone.
    cost: u128,
    /// Cost of this operation and everything below it.
    total: u128,
    /// Inputs: two for `multiply` (left, right), one for `push` and `pull`, none otherwise.
    children: Vec<MfNode>,
}

/// The nodes of a tree in post-order (children before their parent), iteratively, so that deep
/// trees cannot overflow the stack: shared by [`MfNode`] and the report's named copy of it.
pub(crate) fn post_order<'t, N>(root: &'t N, children: impl Fn(&'t N) -> &'t [N]) -> Vec<&'t N> {
    let mut out = Vec::new();
    let mut stack = vec![(root, false)];
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            out.push(node);
        } else {
            stack.push((node, true));
            for child in children(node).iter().rev() {
                stack.push((child, false));
            }
        }
    }
    out
}

impl MfNode {
    /// The operation.
    pub fn op(&self) -> MfOp {
        self.op
    }

    /// The elementals whose Jacobian this node produces, F'_(last:first), as indices into
    /// [`MatrixFreeChain::elementals`] (`0..3` is F'_(3:1); [`MatrixFreeChain::span_name`]
    /// writes it `F1..F3`).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// For `push` and `pull`: the elementals propagated through, as indices.
    pub fn through(&self) -> Option<Range<usize>> {
        self.through.clone()
    }

    /// The shape of the result, (m_j, n_i).
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The cost of this operation alone.
    pub fn cost(&self) -> u128 {
        self.cost
    }

    /// The cost of this operation and everything below it: for the root, the plan's cost.
    pub fn total(&self) -> u128 {
        self.total
    }

    /// The inputs: two for `multiply` (left, right), one for `push` and `pull`, none otherwise.
    pub fn children(&self) -> &[MfNode] {
        &self.children
    }

    /// The operations of the tree, in post-order (inputs before the node that uses them).
    pub fn post_order(&self) -> Vec<&MfNode> {
        post_order(self, |node| &node.children)
    }

    /// The first elemental of the span (i in F'_(j:i)).
    pub fn first(&self) -> usize {
        self.span.start
    }

    /// The last elemental of the span (j in F'_(j:i)).
    pub fn last(&self) -> usize {
        self.span.end - 1
    }
}

/// [`MatrixFreeChain::plan_string`]: a plan in one line with the chain's names.
struct PlanString<'a> {
    chain: &'a MatrixFreeChain,
    node: &'a MfNode,
}

impl PlanString<'_> {
    fn write(&self, f: &mut fmt::Formatter<'_>, node: &MfNode, top: bool) -> fmt::Result {
        let (open, close) = if top { ("", "") } else { ("(", ")") };
        let span = self.chain.span_name(node.span.clone());
        let through = || {
            node.through
                .clone()
                .map(|t| self.chain.span_name(t))
                .unwrap_or_default()
        };
        match node.op {
            MfOp::Given => f.write_str(&span),
            MfOp::Tangents => write!(f, "Jtan({span})"),
            MfOp::Adjoints => write!(f, "Jadj({span})"),
            MfOp::Multiply => {
                f.write_str(open)?;
                self.write(f, &node.children[0], false)?;
                f.write_str("·")?;
                self.write(f, &node.children[1], false)?;
                f.write_str(close)
            }
            MfOp::Push => {
                write!(f, "{open}tan[{}]·", through())?;
                self.write(f, &node.children[0], false)?;
                f.write_str(close)
            }
            MfOp::Pull => {
                f.write_str(open)?;
                self.write(f, &node.children[0], false)?;
                write!(f, "·adj[{}]{close}", through())
            }
        }
    }
}

impl fmt::Display for PlanString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, self.node, true)
    }
}

/// A chain of elemental functions known by their tangent and adjoint programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixFreeChain {
    elementals: Vec<Elemental>,
    memory: Option<u64>,
}

/// One choice of the dynamic program for a sub-chain.
#[derive(Debug, Clone, Copy)]
enum Choice {
    Given,
    Tangents,
    Adjoints,
    Multiply(usize),
    Push(usize),
    Pull(usize),
}

fn overflow() -> Error {
    Error::Overflow {
        what: "matrix-free cost",
        bits: 128,
    }
}

fn mul(a: u128, b: u128) -> Result<u128> {
    a.checked_mul(b).ok_or_else(overflow)
}

fn add(a: u128, b: u128) -> Result<u128> {
    a.checked_add(b).ok_or_else(overflow)
}

impl MatrixFreeChain {
    /// Elementals F_1 … F_L from layer widths w_0 … w_L and their tangent and adjoint costs
    /// (one per layer, in evaluation order); no tapes and no memory limit.
    ///
    /// Errors: fewer than two widths, a width of 0, cost lists of the wrong length.
    pub fn new(widths: &[usize], tangent: &[u64], adjoint: &[u64]) -> Result<Self> {
        super::dense::chain_of(widths)?;
        let layers = widths.len() - 1;
        for (list, got) in [
            ("the tangent costs", tangent.len()),
            ("the adjoint costs", adjoint.len()),
        ] {
            if got != layers {
                return Err(JacobianError::LayerListLength {
                    list,
                    got,
                    expected: layers,
                }
                .into());
            }
        }
        let elementals = (0..layers)
            .map(|i| Elemental {
                name: format!("F{}", i + 1),
                inputs: widths[i],
                outputs: widths[i + 1],
                tangent: tangent[i],
                adjoint: adjoint[i],
                tape: 0,
                given: false,
            })
            .collect();
        Ok(MatrixFreeChain {
            elementals,
            memory: None,
        })
    }

    /// Sets the tape sizes e_1 … e_L of the layers' adjoint programs and the memory limit M.
    ///
    /// Errors: a tape list of the wrong length, or a limit below every tape (no adjoint could
    /// ever run).
    pub fn with_memory(mut self, tapes: &[u64], memory: u64) -> Result<Self> {
        let layers: Vec<&mut Elemental> = self.elementals.iter_mut().filter(|e| !e.given).collect();
        if tapes.len() != layers.len() {
            return Err(JacobianError::LayerListLength {
                list: "the tapes",
                got: tapes.len(),
                expected: layers.len(),
            }
            .into());
        }
        let smallest = tapes.iter().copied().min().unwrap_or(0);
        if memory < smallest {
            return Err(JacobianError::NoAdjointFits {
                memory,
                smallest_tape: smallest,
            }
            .into());
        }
        for (e, &tape) in layers.into_iter().zip(tapes) {
            e.tape = tape;
        }
        self.memory = Some(memory);
        Ok(self)
    }

    /// A chain from its elementals (already validated) and memory limit.
    pub(crate) fn from_parts(elementals: Vec<Elemental>, memory: Option<u64>) -> Self {
        MatrixFreeChain { elementals, memory }
    }

    /// Sets the memory limit M for the tapes the elementals already have (from
    /// [`MatrixFreeChain::from_operators`]): an adjoint run over F_i … F_k needs
    /// e_i + … + e_k ≤ M.
    ///
    /// Errors: a limit below every tape, so that no adjoint could ever run.
    pub fn with_memory_limit(mut self, memory: u64) -> Result<Self> {
        let smallest = self
            .elementals
            .iter()
            .filter(|e| !e.given)
            .map(|e| e.tape)
            .min()
            .unwrap_or(0);
        if memory < smallest {
            return Err(JacobianError::NoAdjointFits {
                memory,
                smallest_tape: smallest,
            }
            .into());
        }
        self.memory = Some(memory);
        Ok(self)
    }

    /// Adds a seed as an explicitly known Jacobian at its end of the chain (see the module
    /// documentation). `Seed::None` changes nothing.
    pub fn with_seed(mut self, seed: Seed) -> Result<Self> {
        let first = self.elementals[0].inputs;
        let last = self.elementals[self.elementals.len() - 1].outputs;
        // Widths and seed sizes are at most u32::MAX, so k·w fits u64.
        let matvec = |k: usize, w: usize| (k as u64).saturating_mul(w as u64);
        match seed {
            Seed::None => {}
            Seed::Input(k) | Seed::Output(k) if k == 0 || k as u64 > crate::chain::MAX_DIM => {
                return Err(JacobianError::SeedSize { got: k as u64 }.into())
            }
            Seed::Input(k) => self.elementals.insert(
                0,
                Elemental {
                    name: "T".to_string(),
                    inputs: k,
                    outputs: first,
                    tangent: matvec(k, first),
                    adjoint: matvec(k, first),
                    tape: 0,
                    given: true,
                },
            ),
            Seed::Output(k) => self.elementals.push(Elemental {
                name: "S".to_string(),
                inputs: last,
                outputs: k,
                tangent: matvec(k, last),
                adjoint: matvec(k, last),
                tape: 0,
                given: true,
            }),
        }
        Ok(self)
    }

    /// The elementals in evaluation order (seeds included).
    pub fn elementals(&self) -> &[Elemental] {
        &self.elementals
    }

    /// The memory limit, if any.
    pub fn memory(&self) -> Option<u64> {
        self.memory
    }

    fn fits(&self, tape: u128) -> bool {
        match self.memory {
            Some(m) => tape <= u128::from(m),
            None => true,
        }
    }

    /// Cost of accumulating elemental `i`'s Jacobian by tangents (0 when given).
    fn by_tangents(&self, i: usize) -> u128 {
        let e = &self.elementals[i];
        if e.given {
            0
        } else {
            (e.inputs as u128) * u128::from(e.tangent)
        }
    }

    /// Pure tangent (forward) mode: F'_1 by n_1 tangents, then its columns pushed through
    /// F_2 … F_L; n_1·(t_1 + … + t_L) when no Jacobian is given.
    pub fn tangent_cost(&self) -> Result<u128> {
        let n1 = self.elementals[0].inputs as u128;
        let rest = self.elementals[1..]
            .iter()
            .try_fold(0u128, |s, e| add(s, u128::from(e.tangent)))?;
        add(self.by_tangents(0), mul(n1, rest)?)
    }

    /// Pure adjoint (reverse) mode: F'_L by m_L adjoints, then its rows pulled back through
    /// F_(L-1) … F_1; m_L·(a_1 + … + a_L) when no Jacobian is given. `None` when the whole
    /// tape e_1 + … + e_L exceeds the memory limit.
    pub fn adjoint_cost(&self) -> Result<Option<u128>> {
        let tape = self
            .elementals
            .iter()
            .fold(0u128, |s, e| s + u128::from(e.tape));
        if !self.fits(tape) {
            return Ok(None);
        }
        let last = self.elementals.len() - 1;
        let e = &self.elementals[last];
        let ml = e.outputs as u128;
        let own = if e.given {
            0
        } else {
            mul(ml, u128::from(e.adjoint))?
        };
        let rest = self.elementals[..last]
            .iter()
            .try_fold(0u128, |s, e| add(s, u128::from(e.adjoint)))?;
        Ok(Some(add(own, mul(ml, rest)?)?))
    }

    /// A leaf: elemental `i`'s Jacobian, given or accumulated the cheaper way allowed.
    fn leaf(&self, i: usize) -> Result<MfNode> {
        let e = &self.elementals[i];
        let (op, cost) = if e.given {
            (MfOp::Given, 0)
        } else {
            let tan = self.by_tangents(i);
            let adj = mul(e.outputs as u128, u128::from(e.adjoint))?;
            if self.fits(u128::from(e.tape)) && adj < tan {
                (MfOp::Adjoints, adj)
            } else {
                (MfOp::Tangents, tan)
            }
        };
        Ok(MfNode {
            op,
            span: i..i + 1,
            through: None,
            rows: e.outputs,
            cols: e.inputs,
            cost,
            total: cost,
            children: vec![],
        })
    }

    /// Pure tangent (forward) mode as a plan: F'_1 by tangents (or given), its columns
    /// pushed through F_2 … F_L. Its total is [`MatrixFreeChain::tangent_cost`].
    pub fn tangent_plan(&self) -> Result<MfNode> {
        let l = self.elementals.len();
        let mut first = self.leaf(0)?;
        if first.op == MfOp::Adjoints {
            first.op = MfOp::Tangents;
            first.cost = self.by_tangents(0);
            first.total = first.cost;
        }
        if l == 1 {
            return Ok(first);
        }
        let n1 = self.elementals[0].inputs as u128;
        let rest = self.elementals[1..]
            .iter()
            .try_fold(0u128, |s, e| add(s, u128::from(e.tangent)))?;
        let cost = mul(n1, rest)?;
        Ok(MfNode {
            op: MfOp::Push,
            span: 0..l,
            through: Some(1..l),
            rows: self.elementals[l - 1].outputs,
            cols: self.elementals[0].inputs,
            cost,
            total: add(cost, first.total)?,
            children: vec![first],
        })
    }

    /// Pure adjoint (reverse) mode as a plan: F'_L by adjoints (or given), its rows pulled
    /// back through F_(L-1) … F_1. `None` when the whole tape exceeds the memory limit. Its
    /// total is [`MatrixFreeChain::adjoint_cost`].
    pub fn adjoint_plan(&self) -> Result<Option<MfNode>> {
        let Some(total) = self.adjoint_cost()? else {
            return Ok(None);
        };
        let l = self.elementals.len();
        let e = &self.elementals[l - 1];
        let own = if e.given {
            0
        } else {
            mul(e.outputs as u128, u128::from(e.adjoint))?
        };
        let last = MfNode {
            op: if e.given { MfOp::Given } else { MfOp::Adjoints },
            span: l - 1..l,
            through: None,
            rows: e.outputs,
            cols: e.inputs,
            cost: own,
            total: own,
            children: vec![],
        };
        if l == 1 {
            return Ok(Some(last));
        }
        Ok(Some(MfNode {
            op: MfOp::Pull,
            span: 0..l,
            through: Some(0..l - 1),
            rows: e.outputs,
            cols: self.elementals[0].inputs,
            cost: total - own,
            total,
            children: vec![last],
        }))
    }

    /// Refuses, at once, a chain too long for [`MatrixFreeChain::optimal`] (over
    /// [`MAX_ELEMENTALS`] elemental functions), so that a caller can check before other work.
    pub fn check_size(&self) -> Result<()> {
        let l = self.elementals.len();
        if l > MAX_ELEMENTALS {
            return Err(PlanError::ChainTooLong {
                matrices: l,
                algorithm: "matrix-free dp",
                needed_bytes: (l as u128) * (l as u128) * 32,
                limit_bytes: (MAX_ELEMENTALS as u128) * (MAX_ELEMENTALS as u128) * 32,
                suggestion: "split the chain into shorter pieces",
            }
            .into());
        }
        Ok(())
    }

    /// The cheapest plan: the dynamic program of the module documentation.
    pub fn optimal(&self) -> Result<MfNode> {
        self.check_size()?;
        let l = self.elementals.len();
        let el = &self.elementals;
        // Prefix sums of t, a and e: sum over i ..= j is p[j + 1] - p[i].
        let prefix = |f: fn(&Elemental) -> u64| {
            let mut p = vec![0u128; l + 1];
            for (i, e) in el.iter().enumerate() {
                p[i + 1] = p[i] + u128::from(f(e));
            }
            p
        };
        let (pt, pa, pe) = (
            prefix(|e| e.tangent),
            prefix(|e| e.adjoint),
            prefix(|e| e.tape),
        );
        let mut cost = vec![0u128; l * l];
        let mut choice = vec![Choice::Given; l * l];
        for i in 0..l {
            let e = &el[i];
            let (c, ch) = if e.given {
                (0, Choice::Given)
            } else {
                let tan = self.by_tangents(i);
                let adj = mul(e.outputs as u128, u128::from(e.adjoint))?;
                if self.fits(u128::from(e.tape)) && adj < tan {
                    (adj, Choice::Adjoints)
                } else {
                    (tan, Choice::Tangents)
                }
            };
            cost[i * l + i] = c;
            choice[i * l + i] = ch;
        }
        for len in 2..=l {
            for i in 0..=l - len {
                let j = i + len - 1;
                let (mj, ni) = (el[j].outputs as u128, el[i].inputs as u128);
                let mut best = (u128::MAX, Choice::Given);
                let mut consider = |c: u128, ch: Choice| {
                    if c < best.0 {
                        best = (c, ch);
                    }
                };
                for k in i..j {
                    let left = cost[(k + 1) * l + j]; // F'_(j:k+1)
                    let right = cost[i * l + k]; // F'_(k:i)
                    let mk = el[k].outputs as u128;
                    consider(
                        add(add(left, right)?, mul(mul(mj, mk)?, ni)?)?,
                        Choice::Multiply(k),
                    );
                    consider(
                        add(right, mul(ni, pt[j + 1] - pt[k + 1])?)?,
                        Choice::Push(k),
                    );
                    if self.fits(pe[k + 1] - pe[i]) {
                        consider(add(left, mul(mj, pa[k + 1] - pa[i])?)?, Choice::Pull(k));
                    }
                }
                cost[i * l + j] = best.0;
                choice[i * l + j] = best.1;
            }
        }
        Ok(self.build(0, l - 1, &cost, &choice))
    }

    /// The names of the elementals `span` (indices, such as a [`MfNode`]'s span): `F2` for
    /// one, `F1..F3` for several (first and last).
    ///
    /// ```
    /// use chainplan::jacobian::MatrixFreeChain;
    /// let chain = MatrixFreeChain::new(&[4, 4, 4, 4], &[10, 10, 10], &[30, 30, 30])?;
    /// assert_eq!(chain.span_name(1..2), "F2");
    /// assert_eq!(chain.span_name(0..3), "F1..F3");
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn span_name(&self, span: Range<usize>) -> String {
        let name = |i: usize| {
            self.elementals
                .get(i)
                .map_or_else(|| format!("#{}", i + 1), |e| e.name.clone())
        };
        if span.len() <= 1 {
            name(span.start)
        } else {
            format!("{}..{}", name(span.start), name(span.end - 1))
        }
    }

    /// The plan in one line, with this chain's names: `Jtan(F1)` and `Jadj(F3)` preaccumulate
    /// a Jacobian by tangents or by adjoints, `(X·Y)` multiplies two Jacobians,
    /// `tan[F2..F3]·X` pushes the columns of X through the tangent programs of F2 … F3, and
    /// `Y·adj[F1..F2]` pulls the rows of Y back through the adjoint programs of F1 … F2. A
    /// given Jacobian (a seed) is its name.
    pub fn plan_string(&self, node: &MfNode) -> String {
        PlanString { chain: self, node }.to_string()
    }

    /// Builds the tree for F'_(j:i) from the tables (recursion depth at most 2L).
    fn build(&self, i: usize, j: usize, cost: &[u128], choice: &[Choice]) -> MfNode {
        let l = self.elementals.len();
        let total = cost[i * l + j];
        let (op, children, through) = match choice[i * l + j] {
            Choice::Given => (MfOp::Given, vec![], None),
            Choice::Tangents => (MfOp::Tangents, vec![], None),
            Choice::Adjoints => (MfOp::Adjoints, vec![], None),
            Choice::Multiply(k) => (
                MfOp::Multiply,
                vec![
                    self.build(k + 1, j, cost, choice),
                    self.build(i, k, cost, choice),
                ],
                None,
            ),
            Choice::Push(k) => (
                MfOp::Push,
                vec![self.build(i, k, cost, choice)],
                Some(k + 1..j + 1),
            ),
            Choice::Pull(k) => (
                MfOp::Pull,
                vec![self.build(k + 1, j, cost, choice)],
                Some(i..k + 1),
            ),
        };
        let below: u128 = children.iter().map(|c| c.total).sum();
        MfNode {
            op,
            span: i..j + 1,
            through,
            rows: self.elementals[j].outputs,
            cols: self.elementals[i].inputs,
            cost: total - below,
            total,
            children,
        }
    }
}

/// Parses a comma-separated list of whole numbers (0 to 2^64 − 1) such as `10,20,30`
/// (spaces allowed); `list` names it in errors.
///
/// ```
/// use chainplan::jacobian::matrix_free::parse_list;
/// assert_eq!(parse_list("10, 20,30", "the tangent costs")?, [10, 20, 30]);
/// let e = parse_list("10,x", "the tangent costs").unwrap_err();
/// assert_eq!(e.to_string(), "entry 2 of the tangent costs is 'x', which is not a whole number");
/// # Ok::<(), chainplan::Error>(())
/// ```
#[cfg(feature = "report")]
pub fn parse_list(text: &str, list: &'static str) -> Result<Vec<u64>> {
    text.split(',')
        .enumerate()
        .map(|(i, token)| {
            let token = token.trim();
            token.parse::<u64>().map_err(|_| -> Error {
                let digits = token.strip_prefix('+').unwrap_or(token);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    JacobianError::ListEntryTooLarge {
                        list,
                        position: i + 1,
                        token: token.to_string(),
                        max: u64::MAX,
                    }
                } else {
                    JacobianError::BadListEntry {
                        list,
                        position: i + 1,
                        token: token.to_string(),
                    }
                }
                .into()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_modes_are_special_cases() {
        let c = MatrixFreeChain::new(&[3, 5, 2], &[7, 11], &[13, 17]).unwrap();
        assert_eq!(c.tangent_cost().unwrap(), 3 * (7 + 11));
        assert_eq!(c.adjoint_cost().unwrap(), Some(2 * (13 + 17)));
        let best = c.optimal().unwrap();
        // Tangent mode (54) is the cheaper pure mode; the optimum is no dearer.
        assert!(best.total <= 54);
    }

    #[test]
    fn memory_limits_adjoints() {
        let c = MatrixFreeChain::new(&[100, 100, 1], &[1, 1], &[1, 1])
            .unwrap()
            .with_memory(&[10, 10], 15)
            .unwrap();
        assert_eq!(c.adjoint_cost().unwrap(), None);
        assert!(matches!(
            MatrixFreeChain::new(&[3, 3], &[1], &[1])
                .unwrap()
                .with_memory(&[10], 9),
            Err(crate::Error::Jacobian(JacobianError::NoAdjointFits {
                memory: 9,
                smallest_tape: 10
            }))
        ));
    }

    #[test]
    fn seeds_are_given() {
        let c = MatrixFreeChain::new(&[6, 4], &[24], &[48])
            .unwrap()
            .with_seed(Seed::Output(1))
            .unwrap();
        // Adjoint mode of the gradient: one adjoint of F1 (48), the seed itself free.
        assert_eq!(c.adjoint_cost().unwrap(), Some(48));
        let best = c.optimal().unwrap();
        assert_eq!(best.total, 48);
        assert_eq!(c.plan_string(&best), "S·adj[F1]");
    }
}
