//! Jacobian chains whose factors are stored matrices (dense, or diagonal for elementwise
//! layers), with an optional seed, and the comparison of forward, reverse and optimal orders.

use super::structured;
use crate::chain::Chain;
use crate::error::{Error, Result};
use crate::plan::{dp, Plan};
use crate::report::ratio_of;
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
    Input(u32),
    /// A block of `k` cotangents on the left (k × n_L): S · J_L ⋯ J_1. `Output(1)` is the
    /// gradient of a scalar.
    Output(u32),
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
        let size = || -> Result<u32> {
            match u32::try_from(k) {
                Ok(k) if k >= 1 => Ok(k),
                _ => Err(Error::SeedSize { got: k }),
            }
        };
        match kind {
            "none" => Ok(Seed::None),
            "input" => Ok(Seed::Input(size()?)),
            "output" => Ok(Seed::Output(size()?)),
            other => Err(Error::Invalid(format!(
                "unknown seed {}; valid seeds are: none, input, output",
                crate::error::quote(other)
            ))),
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
                s.parse().map_err(|_| Error::UnknownLayerKind {
                    position: i + 1,
                    name: s.to_string(),
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
            _ => Err(Error::UnknownLayerKind {
                position: 1,
                name: s.to_string(),
            }),
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

/// A Jacobian chain J_L ⋯ J_1 from layer widths n_0 … n_L, with layer kinds and a seed.
///
/// ```
/// use chainplan::jacobian::{JacobianChain, Seed};
/// // The gradient of a scalar loss on top of 784 → 512 → 512 → 10.
/// let jc = JacobianChain::new(vec![784, 512, 512, 10], Seed::Output(1))?;
/// assert_eq!(jc.chain().dims(), &[1, 10, 512, 512, 784]);
/// assert_eq!(jc.factor_names(), ["S", "J3", "J2", "J1"]);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JacobianChain {
    widths: Vec<u32>,
    layers: Vec<LayerKind>,
    seed: Seed,
}

impl JacobianChain {
    /// A chain of dense layers with widths n_0 (input) … n_L (output).
    ///
    /// Errors: fewer than two widths, a width of 0, a seed of size 0.
    pub fn new(widths: Vec<u32>, seed: Seed) -> Result<Self> {
        let layers = vec![LayerKind::Dense; widths.len().saturating_sub(1)];
        Self::with_layers(widths, layers, seed)
    }

    /// A chain with one [`LayerKind`] per layer (`layers[i]` is layer i + 1, in evaluation
    /// order). Elementwise layers must keep the width.
    pub fn with_layers(widths: Vec<u32>, layers: Vec<LayerKind>, seed: Seed) -> Result<Self> {
        // Validates the widths as the dimensions of a chain (at least two, each ≥ 1).
        Chain::from_u32s(widths.clone())?;
        if layers.len() != widths.len() - 1 {
            return Err(Error::LayerListLength {
                list: "the layer list",
                got: layers.len(),
                expected: widths.len() - 1,
            });
        }
        for (i, kind) in layers.iter().enumerate() {
            if *kind == LayerKind::Elementwise && widths[i] != widths[i + 1] {
                return Err(Error::ElementwiseWidth {
                    layer: i + 1,
                    input: widths[i],
                    output: widths[i + 1],
                });
            }
        }
        if let Seed::Input(0) | Seed::Output(0) = seed {
            return Err(Error::SeedSize { got: 0 });
        }
        Ok(JacobianChain {
            widths,
            layers,
            seed,
        })
    }

    /// The widths n_0 … n_L.
    pub fn widths(&self) -> &[u32] {
        &self.widths
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

    /// The matrix chain, left to right: `[k,] n_L, …, n_0 [, k]`.
    pub fn chain(&self) -> Chain {
        let mut dims = Vec::with_capacity(self.widths.len() + 1);
        if let Seed::Output(k) = self.seed {
            dims.push(k);
        }
        dims.extend(self.widths.iter().rev());
        if let Seed::Input(k) = self.seed {
            dims.push(k);
        }
        Chain::from_u32s(dims).expect("validated in the constructor")
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

    /// Forward mode: the chain multiplied right to left.
    pub fn forward_plan(&self) -> Result<Plan> {
        Plan::right_to_left(&self.chain())
    }

    /// Reverse mode: the chain multiplied left to right.
    pub fn reverse_plan(&self) -> Result<Plan> {
        Plan::left_to_right(&self.chain())
    }

    /// The cost of a plan of this chain, with diagonal factors priced as diagonals.
    pub fn cost_of(&self, plan: &Plan) -> Result<u128> {
        structured::cost(plan, &self.diagonal_flags())
    }

    /// A cheapest order: [`dp::optimal`] for dense chains, [`structured::optimal`] when some
    /// layer is elementwise. Returns the plan and its cost under the structured model.
    pub fn optimal_plan(&self) -> Result<(Plan, u128)> {
        if self.is_structured() {
            structured::optimal(&self.chain(), &self.diagonal_flags())
        } else {
            let plan = dp::optimal(&self.chain())?;
            let cost = plan.cost();
            Ok((plan, cost))
        }
    }

    /// Compares forward mode, reverse mode and the optimum.
    ///
    /// ```
    /// use chainplan::jacobian::{JacobianChain, Mode, Seed};
    /// let jc = JacobianChain::new(vec![784, 512, 512, 10], Seed::Output(1))?;
    /// let a = jc.analyze()?;
    /// assert_eq!(a.mode, Mode::Reverse);
    /// assert_eq!(a.reverse, 10 * 512 + 512 * 512 + 512 * 784);
    /// assert_eq!(a.optimal, a.reverse);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn analyze(&self) -> Result<JacobianAnalysis> {
        let forward_plan = self.forward_plan()?;
        let reverse_plan = self.reverse_plan()?;
        let forward = self.cost_of(&forward_plan)?;
        let reverse = self.cost_of(&reverse_plan)?;
        let (best, optimal) = self.optimal_plan()?;
        let mode = Mode::classify(forward, reverse, optimal);
        // Report a pure order when it is optimal, so that order and mode agree.
        let plan = match mode {
            Mode::Forward => forward_plan,
            Mode::Reverse => reverse_plan,
            Mode::Mixed => best,
        };
        let best_pure = forward.min(reverse);
        Ok(JacobianAnalysis {
            chain_dims: self.chain().dims().to_vec(),
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
pub fn named_order(plan: &Plan, names: &[String]) -> String {
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
    pub chain_dims: Vec<u32>,
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
    /// The optimal plan (`order` as data).
    pub plan: Plan,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_dims_for_each_seed() {
        let w = vec![4u32, 3, 2];
        let c = |s| JacobianChain::new(w.clone(), s).unwrap().chain();
        assert_eq!(c(Seed::None).dims(), &[2, 3, 4]);
        assert_eq!(c(Seed::Output(5)).dims(), &[5, 2, 3, 4]);
        assert_eq!(c(Seed::Input(5)).dims(), &[2, 3, 4, 5]);
    }

    #[test]
    fn rejects_bad_chains() {
        assert!(JacobianChain::new(vec![3], Seed::None).is_err());
        assert!(JacobianChain::new(vec![3, 0, 2], Seed::None).is_err());
        assert!(matches!(
            JacobianChain::new(vec![3, 2], Seed::Output(0)),
            Err(Error::SeedSize { got: 0 })
        ));
        let e = JacobianChain::with_layers(
            vec![3, 4, 4],
            vec![LayerKind::Elementwise, LayerKind::Dense],
            Seed::None,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Error::ElementwiseWidth {
                layer: 1,
                input: 3,
                output: 4
            }
        ));
        assert!(matches!(
            JacobianChain::with_layers(vec![3, 4], vec![], Seed::None),
            Err(Error::LayerListLength {
                got: 0,
                expected: 1,
                ..
            })
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
        let jc = JacobianChain::new(vec![4, 3, 2], Seed::Output(1)).unwrap();
        let a = jc.analyze().unwrap();
        assert_eq!(a.mode, Mode::Reverse);
        assert_eq!(a.named_order, "(S·J2)·J1");
        let single = JacobianChain::new(vec![4, 3], Seed::None).unwrap();
        let a = single.analyze().unwrap();
        assert_eq!((a.named_order.as_str(), a.optimal), ("J1", 0));
    }
}
