//! Jacobian chains whose factors are stored matrices (dense, or diagonal for elementwise
//! layers), with an optional seed, and the comparison of forward, reverse and optimal orders.

use super::structured;
use crate::chain::Chain;
use crate::error::{ChainError, JacobianError, PlanError};
use crate::error::{Error, Result};
use crate::plan::{dp, Plan};
use crate::text::ratio_of;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// What the chain is multiplied with, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "size")]
pub enum Seed {
    /// No seed: the full Jacobian J_L ⋯ J_1.
    None,
    /// A block of `k` tangents on the right (n_0 × k): J_L ⋯ J_1 · T.
    Input(usize),
    /// A block of `k` cotangents on the left (k × n_L): S · J_L ⋯ J_1. `Output(1)` is the
    /// gradient of a scalar.
    Output(usize),
}

impl Seed {
    /// Builds a seed from its kind (`none`, `input` or `output`) and size `k`.
    ///
    /// ```
    /// use chainplan::jacobian::Seed;
    /// assert_eq!(Seed::from_kind("output", 1)?, Seed::Output(1));
    /// assert!(Seed::from_kind("output", 0).is_err());
    /// assert!(Seed::from_kind("sideways", 1).is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn from_kind(kind: &str, k: u64) -> Result<Seed> {
        let size = || -> Result<usize> {
            match u32::try_from(k) {
                Ok(k) if k >= 1 => Ok(k as usize),
                _ => Err(JacobianError::SeedSize { got: k }.into()),
            }
        };
        match kind {
            "none" => Ok(Seed::None),
            "input" => Ok(Seed::Input(size()?)),
            "output" => Ok(Seed::Output(size()?)),
            other => Err(JacobianError::UnknownSeed {
                name: other.to_string(),
            }
            .into()),
        }
    }
}

/// The kind of a layer, which decides the structure of its Jacobian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// A general layer (such as a weight matrix): dense Jacobian.
    Dense,
    /// An elementwise layer (an activation): diagonal Jacobian; input and output widths agree.
    Elementwise,
}

impl LayerKind {
    /// The name used on the command line: `dense` or `act`.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Dense => "dense",
            LayerKind::Elementwise => "act",
        }
    }

    /// Parses a comma-separated list such as `dense,act,dense`.
    ///
    /// ```
    /// use chainplan::jacobian::LayerKind;
    /// let kinds = LayerKind::parse_list("dense, act,dense")?;
    /// assert_eq!(kinds, [LayerKind::Dense, LayerKind::Elementwise, LayerKind::Dense]);
    /// assert!(LayerKind::parse_list("dense,relu").is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn parse_list(text: &str) -> Result<Vec<LayerKind>> {
        text.split(',')
            .enumerate()
            .map(|(i, s)| {
                let s = s.trim();
                s.parse().map_err(|_| {
                    Error::from(JacobianError::UnknownLayerKind {
                        position: i + 1,
                        name: s.to_string(),
                    })
                })
            })
            .collect()
    }
}

impl FromStr for LayerKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dense" => Ok(LayerKind::Dense),
            "act" | "elementwise" | "diag" => Ok(LayerKind::Elementwise),
            _ => Err(JacobianError::UnknownLayerKind {
                position: 1,
                name: s.to_string(),
            }
            .into()),
        }
    }
}

/// Which differentiation mode an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Right to left: tangents pushed from the input.
    Forward,
    /// Left to right: adjoints pulled back from the output.
    Reverse,
    /// Any other order, named only when strictly cheaper than both pure modes.
    Mixed,
}

impl Mode {
    /// `forward`, `reverse` or `mixed`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Forward => "forward",
            Mode::Reverse => "reverse",
            Mode::Mixed => "mixed",
        }
    }

    /// The mode of an optimum of cost `optimal` given the pure modes' costs: `mixed` when it is
    /// strictly cheaper than both, otherwise the cheaper pure mode (forward on a tie).
    pub fn classify(forward: u128, reverse: u128, optimal: u128) -> Mode {
        if optimal < forward.min(reverse) {
            Mode::Mixed
        } else if forward <= reverse {
            Mode::Forward
        } else {
            Mode::Reverse
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a network's activations (elementwise layers, diagonal Jacobians) are, for
/// [`JacobianChain::network`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Activations {
    /// No activation: every layer is dense.
    #[default]
    None,
    /// One activation after every dense layer but the last (a multilayer perceptron whose
    /// output is linear).
    Hidden,
    /// One activation after each listed dense layer (1-based, in evaluation order: `After(vec![1])`
    /// activates the first layer's output).
    After(Vec<usize>),
}

/// A Jacobian chain J_L ⋯ J_1 from layer widths n_0 … n_L, with layer kinds and a seed.
///
/// ```
/// use chainplan::jacobian::{Activations, JacobianChain, LayerKind, Seed};
/// // The gradient of a scalar loss on top of 784 → 512 → 512 → 10.
/// let jc = JacobianChain::new(&[784, 512, 512, 10], Seed::Output(1))?;
/// assert_eq!(jc.chain().dims(), &[1, 10, 512, 512, 784]);
/// assert_eq!(jc.factor_names(), ["S", "J3", "J2", "J1"]);
///
/// // The same network with an activation after each hidden layer: five layers, of which two
/// // are elementwise (diagonal Jacobians). No width is written twice.
/// let mlp = JacobianChain::network(&[784, 512, 512, 10], Activations::Hidden, Seed::Output(1))?;
/// assert_eq!(mlp.network_widths(), [784, 512, 512, 10]);
/// assert_eq!(mlp.layer_widths(), [784, 512, 512, 512, 512, 10]); // one width per layer boundary
/// assert_eq!(mlp.layers()[1], LayerKind::Elementwise);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JacobianChain {
    /// One width per layer boundary: an elementwise layer's input and output widths both
    /// appear.
    widths: Vec<usize>,
    layers: Vec<LayerKind>,
    seed: Seed,
}

/// The matrix chain of dimensions `dims`, which are widths (`usize`), range-checked.
pub(crate) fn chain_of(dims: &[usize]) -> Result<Chain> {
    Chain::new(dims.iter().copied())
}

impl JacobianChain {
    /// A chain of dense layers with widths n_0 (input) … n_L (output).
    ///
    /// Errors: fewer than two widths, a width of 0 or above `u32::MAX`, a seed of size 0.
    pub fn new(widths: &[usize], seed: Seed) -> Result<Self> {
        let layers = vec![LayerKind::Dense; widths.len().saturating_sub(1)];
        Self::with_layers(widths, &layers, seed)
    }

    /// A network given by its widths n_0 (input) … n_D (output), one per dense layer
    /// boundary, with activations where `activations` puts them. An activation keeps the
    /// width, so no width is repeated.
    ///
    /// ```
    /// use chainplan::jacobian::{Activations, JacobianChain, LayerKind, Seed};
    /// let jc = JacobianChain::network(&[4, 3, 2], Activations::After(vec![1]), Seed::None)?;
    /// assert_eq!(jc.layers(), [LayerKind::Dense, LayerKind::Elementwise, LayerKind::Dense]);
    /// assert!(JacobianChain::network(&[4, 3, 2], Activations::After(vec![3]), Seed::None).is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: those of [`JacobianChain::new`], and an activation position outside 1 … D or
    /// given twice ([`JacobianError::ActivationPosition`]).
    pub fn network(widths: &[usize], activations: Activations, seed: Seed) -> Result<Self> {
        let dense = widths.len().saturating_sub(1);
        let mut after = vec![false; dense];
        match activations {
            Activations::None => {}
            Activations::Hidden => {
                for a in after.iter_mut().take(dense.saturating_sub(1)) {
                    *a = true;
                }
            }
            Activations::After(positions) => {
                for p in positions {
                    if p == 0 || p > dense {
                        return Err(JacobianError::ActivationPosition {
                            position: p,
                            layers: dense,
                            reason: "outside the dense layers",
                        }
                        .into());
                    }
                    if std::mem::replace(&mut after[p - 1], true) {
                        return Err(JacobianError::ActivationPosition {
                            position: p,
                            layers: dense,
                            reason: "given twice",
                        }
                        .into());
                    }
                }
            }
        }
        let mut layers = Vec::with_capacity(2 * dense);
        for a in after {
            layers.push(LayerKind::Dense);
            if a {
                layers.push(LayerKind::Elementwise);
            }
        }
        Self::with_layers(widths, &layers, seed)
    }

    /// A chain with one [`LayerKind`] per layer (`layers[i]` is layer i + 1, in evaluation
    /// order). The widths may be written either way:
    ///
    /// - the network's widths, one per dense layer boundary (`4 3 2` for
    ///   `dense, act, dense`): each elementwise layer keeps the width before it;
    /// - one width per layer boundary (`4 3 3 2` for `dense, act, dense`), each elementwise
    ///   layer's width repeated.
    ///
    /// The two forms have different lengths whenever some layer is elementwise, so there is
    /// no ambiguity.
    ///
    /// ```
    /// use chainplan::jacobian::{JacobianChain, LayerKind::{Dense, Elementwise}, Seed};
    /// let layers = [Dense, Elementwise, Dense];
    /// let a = JacobianChain::with_layers(&[4, 3, 2], &layers, Seed::Output(1))?;
    /// let b = JacobianChain::with_layers(&[4, 3, 3, 2], &layers, Seed::Output(1))?;
    /// assert_eq!(a, b);
    /// let e = JacobianChain::with_layers(&[4, 3, 3, 3, 2], &layers, Seed::Output(1)).unwrap_err();
    /// assert!(e.to_string().contains("write 3 widths"), "{e}");
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: a width list of neither length ([`JacobianError::LayerWidths`], which says how to write
    /// it; [`JacobianError::LayerListLength`] when every layer is dense), an elementwise layer whose
    /// widths differ ([`JacobianError::ElementwiseWidth`]), and those of [`JacobianChain::new`].
    pub fn with_layers(widths: &[usize], layers: &[LayerKind], seed: Seed) -> Result<Self> {
        let dense = layers.iter().filter(|&&k| k == LayerKind::Dense).count();
        let widths: Vec<usize> = if widths.len() == layers.len() + 1 {
            widths.to_vec()
        } else if !widths.is_empty() && dense < layers.len() && widths.len() == dense + 1 {
            // The network's widths: repeat the width at each elementwise layer.
            let mut full = Vec::with_capacity(layers.len() + 1);
            let mut next = widths.iter().copied();
            full.extend(next.next());
            for kind in layers {
                let w = match kind {
                    LayerKind::Dense => next.next().expect("dense + 1 widths"),
                    LayerKind::Elementwise => *full.last().expect("the input width"),
                };
                full.push(w);
            }
            full
        } else if widths.len() < 2 {
            return Err(ChainError::TooFewDimensions { got: widths.len() }.into());
        } else if dense == layers.len() {
            return Err(JacobianError::LayerListLength {
                list: "the layer list",
                got: layers.len(),
                expected: widths.len() - 1,
            }
            .into());
        } else {
            return Err(JacobianError::LayerWidths {
                widths: widths.len(),
                layers: layers.len(),
                dense,
            }
            .into());
        };
        // Validates the widths as the dimensions of a chain (at least two, each ≥ 1).
        chain_of(&widths)?;
        for (i, kind) in layers.iter().enumerate() {
            if *kind == LayerKind::Elementwise && widths[i] != widths[i + 1] {
                return Err(JacobianError::ElementwiseWidth {
                    layer: i + 1,
                    input: widths[i],
                    output: widths[i + 1],
                }
                .into());
            }
        }
        if let Seed::Input(k) | Seed::Output(k) = seed {
            if k == 0 || k as u64 > crate::chain::MAX_DIM {
                return Err(JacobianError::SeedSize { got: k as u64 }.into());
            }
        }
        Ok(JacobianChain {
            widths,
            layers: layers.to_vec(),
            seed,
        })
    }

    /// The widths n_0 … n_L, one per layer boundary: an elementwise layer's width appears
    /// before and after it (the form [`JacobianChain::with_layers`] takes). Compare
    /// [`JacobianChain::network_widths`], which lists each width once.
    pub fn layer_widths(&self) -> &[usize] {
        &self.widths
    }

    /// The network's widths: the input, then each dense layer's output (the form
    /// [`JacobianChain::network`] takes); an elementwise layer adds none. Compare
    /// [`JacobianChain::layer_widths`].
    pub fn network_widths(&self) -> Vec<usize> {
        let mut w = vec![self.widths[0]];
        for (i, kind) in self.layers.iter().enumerate() {
            if *kind == LayerKind::Dense {
                w.push(self.widths[i + 1]);
            }
        }
        w
    }

    /// The layer kinds, in evaluation order.
    pub fn layers(&self) -> &[LayerKind] {
        &self.layers
    }

    /// The seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The number of layers L.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The same chain with every layer dense: activations stored as dense diagonal matrices
    /// and priced as dense products (for comparison with the structured chain).
    pub fn as_dense(&self) -> JacobianChain {
        JacobianChain {
            widths: self.widths.clone(),
            layers: vec![LayerKind::Dense; self.layers.len()],
            seed: self.seed,
        }
    }

    /// The dimensions of the matrix chain, left to right: `[k,] n_L, …, n_0 [, k]`.
    pub fn dims(&self) -> Vec<usize> {
        let mut dims = Vec::with_capacity(self.widths.len() + 1);
        if let Seed::Output(k) = self.seed {
            dims.push(k);
        }
        dims.extend(self.widths.iter().rev());
        if let Seed::Input(k) = self.seed {
            dims.push(k);
        }
        dims
    }

    /// The matrix chain, left to right: `[k,] n_L, …, n_0 [, k]`.
    pub fn chain(&self) -> Chain {
        chain_of(&self.dims()).expect("validated in the constructor")
    }

    /// Names of the chain's matrices, left to right: `S` (output seed), `J_L` … `J1`, `T`
    /// (input seed).
    pub fn factor_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.depth() + 2);
        if let Seed::Output(_) = self.seed {
            names.push("S".to_string());
        }
        names.extend((1..=self.depth()).rev().map(|i| format!("J{i}")));
        if let Seed::Input(_) = self.seed {
            names.push("T".to_string());
        }
        names
    }

    /// For each matrix of [`JacobianChain::chain`], whether it is diagonal (seeds are dense).
    pub fn diagonal_flags(&self) -> Vec<bool> {
        let mut flags = Vec::with_capacity(self.depth() + 2);
        if let Seed::Output(_) = self.seed {
            flags.push(false);
        }
        flags.extend(
            self.layers
                .iter()
                .rev()
                .map(|k| *k == LayerKind::Elementwise),
        );
        if let Seed::Input(_) = self.seed {
            flags.push(false);
        }
        flags
    }

    /// Whether any factor is diagonal.
    pub fn is_structured(&self) -> bool {
        self.layers.contains(&LayerKind::Elementwise)
    }

    /// `plan` (an order of [`JacobianChain::chain`]) priced in this chain's cost model:
    /// diagonal factors as diagonals ([`structured::price`]), so that [`Plan::cost`] and the
    /// steps' costs are what this chain's planner minimises.
    pub fn price(&self, plan: Plan) -> Result<Plan> {
        self.check_plan(&plan)?;
        // Also for a dense chain: a plan priced with other flags is priced again as dense.
        plan.with_diagonal(&self.diagonal_flags())
    }

    /// Errors unless `plan` multiplies this chain: [`PlanError::PlanChainMismatch`] for another
    /// number of matrices, [`JacobianError::PlanDimension`] naming the first dimension that differs.
    pub fn check_plan(&self, plan: &Plan) -> Result<()> {
        let dims = self.dims();
        let theirs = plan.chain().dims();
        if theirs.len() != dims.len() {
            return Err(PlanError::PlanChainMismatch {
                plan: plan.matrices(),
                chain: dims.len() - 1,
            }
            .into());
        }
        for (i, (&p, &c)) in theirs.iter().zip(&dims).enumerate() {
            if p as usize != c {
                return Err(JacobianError::PlanDimension {
                    position: i + 1,
                    plan: p as usize,
                    chain: c,
                }
                .into());
            }
        }
        Ok(())
    }

    /// Forward mode: the chain multiplied right to left, priced in this chain's model.
    pub fn forward_plan(&self) -> Result<Plan> {
        self.price(Plan::right_to_left(&self.chain())?)
    }

    /// Reverse mode: the chain multiplied left to right, priced in this chain's model.
    pub fn reverse_plan(&self) -> Result<Plan> {
        self.price(Plan::left_to_right(&self.chain())?)
    }

    /// The cost of a plan of this chain, with diagonal factors priced as diagonals.
    pub fn cost_of(&self, plan: &Plan) -> Result<u128> {
        self.check_plan(plan)?;
        structured::cost(plan, &self.diagonal_flags())
    }

    /// A cheapest order: [`dp::optimal`] for dense chains, [`structured::optimal`] when some
    /// layer is elementwise. Its [`Plan::cost`] is its cost in this chain's model.
    ///
    /// ```
    /// use chainplan::jacobian::{JacobianChain, LayerKind::{Dense, Elementwise}, Seed};
    /// // S (1 × 2) · W2 (2 × 3) · D (3 × 3 diagonal) · W1 (3 × 4): 6 + 3 + 12.
    /// let jc = JacobianChain::with_layers(&[4, 3, 2], &[Dense, Elementwise, Dense], Seed::Output(1))?;
    /// let plan = jc.optimal_plan()?;
    /// assert_eq!(plan.cost(), 21);
    /// assert_eq!(plan.cost(), jc.analyze()?.optimal);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn optimal_plan(&self) -> Result<Plan> {
        if self.is_structured() {
            structured::optimal(&self.chain(), &self.diagonal_flags())
        } else {
            dp::optimal(&self.chain())
        }
    }

    /// Compares forward mode, reverse mode and the optimum.
    ///
    /// ```
    /// use chainplan::jacobian::{JacobianChain, Mode, Seed};
    /// let jc = JacobianChain::new(&[784, 512, 512, 10], Seed::Output(1))?;
    /// let a = jc.analyze()?;
    /// assert_eq!(a.mode, Mode::Reverse);
    /// assert_eq!(a.reverse, 10 * 512 + 512 * 512 + 512 * 784);
    /// assert_eq!(a.optimal, a.reverse);
    /// assert_eq!(a.plan.cost(), a.optimal);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn analyze(&self) -> Result<JacobianAnalysis> {
        let forward_plan = self.forward_plan()?;
        let reverse_plan = self.reverse_plan()?;
        let forward = forward_plan.cost();
        let reverse = reverse_plan.cost();
        let best = self.optimal_plan()?;
        let optimal = best.cost();
        let mode = Mode::classify(forward, reverse, optimal);
        // Report a pure order when it is optimal, so that order and mode agree.
        let plan = match mode {
            Mode::Forward => forward_plan,
            Mode::Reverse => reverse_plan,
            Mode::Mixed => best,
        };
        let best_pure = forward.min(reverse);
        Ok(JacobianAnalysis {
            chain_dims: self.dims(),
            forward,
            reverse,
            optimal,
            order: plan.order(),
            named_order: named_order(&plan, &self.factor_names()),
            mode,
            pure_over_optimal: ratio_of(best_pure as f64, optimal as f64),
            plan,
        })
    }
}

/// The plan's parenthesization with the given names for its matrices: `((S·J3)·J2)·J1`
/// (outermost parentheses left out).
pub(crate) fn named_order(plan: &Plan, names: &[String]) -> String {
    use crate::plan::Operand;
    let mut done: Vec<String> = Vec::with_capacity(plan.steps().len());
    let name = |op: Operand, done: &[String]| match op {
        Operand::Matrix(i) => names[i].clone(),
        Operand::Step(s) => format!("({})", done[s]),
    };
    for step in plan.steps() {
        let s = format!("{}·{}", name(step.lhs, &done), name(step.rhs, &done));
        done.push(s);
    }
    done.pop().unwrap_or_else(|| names[0].clone())
}

/// Forward, reverse and optimal costs of a Jacobian chain, and the optimal order.
#[derive(Debug, Clone, PartialEq)]
pub struct JacobianAnalysis {
    /// The matrix chain's dimensions, left to right.
    pub chain_dims: Vec<usize>,
    /// Cost of forward mode (right to left).
    pub forward: u128,
    /// Cost of reverse mode (left to right).
    pub reverse: u128,
    /// Cost of a cheapest order.
    pub optimal: u128,
    /// The cheapest order in the canonical `A1 … An` form of [`Plan::order`]; a pure order
    /// when one is optimal.
    pub order: String,
    /// The same order with the Jacobians' names (`S`, `J3`, …, `J1`, `T`).
    pub named_order: String,
    /// The optimum's mode.
    pub mode: Mode,
    /// The cheaper pure mode's cost divided by the optimum's (1 when both are 0).
    pub pure_over_optimal: f64,
    /// The optimal plan (`order` as data), priced in the chain's model: its [`Plan::cost`] is
    /// `optimal`.
    pub plan: Plan,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_dims_for_each_seed() {
        let w = [4, 3, 2];
        let c = |s| JacobianChain::new(&w, s).unwrap().chain();
        assert_eq!(c(Seed::None).dims(), &[2, 3, 4]);
        assert_eq!(c(Seed::Output(5)).dims(), &[5, 2, 3, 4]);
        assert_eq!(c(Seed::Input(5)).dims(), &[2, 3, 4, 5]);
    }

    #[test]
    fn rejects_bad_chains() {
        assert!(JacobianChain::new(&[3], Seed::None).is_err());
        assert!(JacobianChain::new(&[3, 0, 2], Seed::None).is_err());
        assert!(matches!(
            JacobianChain::new(&[3, 2], Seed::Output(0)),
            Err(crate::Error::Jacobian(JacobianError::SeedSize { got: 0 }))
        ));
        let e = JacobianChain::with_layers(
            &[3, 4, 4],
            &[LayerKind::Elementwise, LayerKind::Dense],
            Seed::None,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            crate::Error::Jacobian(JacobianError::ElementwiseWidth {
                layer: 1,
                input: 3,
                output: 4
            })
        ));
        assert!(matches!(
            JacobianChain::with_layers(&[3, 4], &[], Seed::None),
            Err(crate::Error::Jacobian(JacobianError::LayerListLength {
                got: 0,
                expected: 1,
                ..
            }))
        ));
    }

    #[test]
    fn both_width_forms_and_a_clear_error_otherwise() {
        use LayerKind::{Dense as D, Elementwise as E};
        let layers = [D, E, D, E, D];
        let compact = JacobianChain::with_layers(&[784, 512, 512, 10], &layers, Seed::None);
        let full = JacobianChain::with_layers(&[784, 512, 512, 512, 512, 10], &layers, Seed::None);
        assert_eq!(compact.unwrap(), full.unwrap());
        let net = JacobianChain::network(&[784, 512, 512, 10], Activations::Hidden, Seed::None);
        assert_eq!(net.unwrap().layers(), layers);
        let e =
            JacobianChain::with_layers(&[784, 512, 512, 512, 10], &layers, Seed::None).unwrap_err();
        assert!(matches!(
            e,
            crate::Error::Jacobian(JacobianError::LayerWidths {
                widths: 5,
                layers: 5,
                dense: 3
            })
        ));
        let msg = e.to_string();
        assert!(
            msg.contains("write 4 widths") && msg.contains("or 6 widths"),
            "{msg}"
        );
        let e = JacobianChain::network(&[4, 3, 2], Activations::After(vec![1, 1]), Seed::None);
        assert!(matches!(
            e,
            Err(crate::Error::Jacobian(JacobianError::ActivationPosition {
                position: 1,
                ..
            }))
        ));
        // A lone activation is a network of one width.
        let act = JacobianChain::with_layers(&[5], &[E], Seed::None).unwrap();
        assert_eq!(act.layer_widths(), [5, 5]);
        assert!(matches!(
            JacobianChain::with_layers(&[], &[D], Seed::None),
            Err(crate::Error::Chain(ChainError::TooFewDimensions { got: 0 }))
        ));
        let e = JacobianChain::network(&[4, 3, 2], Activations::After(vec![0]), Seed::None);
        assert!(matches!(
            e,
            Err(crate::Error::Jacobian(JacobianError::ActivationPosition {
                position: 0,
                ..
            }))
        ));
    }

    #[test]
    fn plans_are_priced_in_the_structured_model() {
        use LayerKind::{Dense as D, Elementwise as E};
        // The issue's example: reverse mode of S · J3 · D · J1 is 6 + 3 + 12 = 21, not 27.
        let jc = JacobianChain::with_layers(&[4, 3, 3, 2], &[D, E, D], Seed::Output(1)).unwrap();
        let a = jc.analyze().unwrap();
        assert_eq!(a.reverse, 21);
        assert_eq!(jc.reverse_plan().unwrap().cost(), 21);
        assert_eq!(a.plan.cost(), a.optimal);
        assert_eq!(jc.optimal_plan().unwrap().cost(), a.optimal);
        assert_eq!(jc.forward_plan().unwrap().cost(), a.forward);
        assert_eq!(jc.as_dense().reverse_plan().unwrap().cost(), 27);
        let other = Plan::left_to_right(&Chain::new(vec![2u32, 3]).unwrap()).unwrap();
        assert!(matches!(
            jc.price(other),
            Err(crate::Error::Plan(PlanError::PlanChainMismatch { .. }))
        ));
    }

    #[test]
    fn classify_names_ties_forward() {
        assert_eq!(Mode::classify(5, 5, 5), Mode::Forward);
        assert_eq!(Mode::classify(6, 5, 5), Mode::Reverse);
        assert_eq!(Mode::classify(6, 5, 4), Mode::Mixed);
    }

    #[test]
    fn named_orders() {
        let jc = JacobianChain::new(&[4, 3, 2], Seed::Output(1)).unwrap();
        let a = jc.analyze().unwrap();
        assert_eq!(a.mode, Mode::Reverse);
        assert_eq!(a.named_order, "(S·J2)·J1");
        let single = JacobianChain::new(&[4, 3], Seed::None).unwrap();
        let a = single.analyze().unwrap();
        assert_eq!((a.named_order.as_str(), a.optimal), ("J1", 0));
    }
}
