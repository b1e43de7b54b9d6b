//! Jacobian chains: forward, reverse and mixed mode as orders of a matrix chain.
//!
//! ## The chain
//!
//! The Jacobian of a composition F = F_L ∘ … ∘ F_1, with layer widths n_0 (input) … n_L
//! (output), is by the chain rule the product
//!
//! ```text
//! F' = J_L · J_(L-1) · … · J_1,        J_i = F_i'  of size  n_i × n_(i-1).
//! ```
//!
//! Often only a projection is wanted. An **output seed** S (k × n_L, k cotangents; k = 1 is the
//! gradient of a scalar loss) gives S · J_L ⋯ J_1; an **input seed** T (n_0 × k, k tangents)
//! gives J_L ⋯ J_1 · T. As a matrix chain the dimensions are, left to right,
//! `[k,] n_L, n_(L-1), …, n_0 [, k]` ([`JacobianChain::chain`]).
//!
//! Every order of this chain is a way to differentiate F:
//! - **forward mode** (tangents, the seed on the right) multiplies right to left;
//! - **reverse mode** (adjoints, backpropagation) multiplies left to right, so that with an
//!   output seed every product is a vector–matrix product;
//! - any other order is **mixed**. [`JacobianChain::analyze`] reports the cost of both pure
//!   modes and of the optimum, and names the optimum `mixed` only when it is strictly cheaper
//!   than both.
//!
//! Costs count fused multiply-adds (scalar multiplications), exactly, in `u128`.
//!
//! ## Narrow middle layers make mixed orders win
//!
//! A bottleneck of width 1 inside the network makes every Jacobian on one side of it a rank-1
//! product, which is cheap to form from the bottleneck outwards and expensive from either end:
//!
//! ```
//! use chainplan::jacobian::{JacobianChain, Mode, Seed};
//! // Full Jacobian of 784 → 512 → 1 → 512 → 512 → 10.
//! let full = JacobianChain::new(&[784, 512, 1, 512, 512, 10], Seed::None)?;
//! let a = full.analyze()?;
//! assert_eq!(a.mode, Mode::Mixed);
//! assert_eq!((a.forward, a.reverse, a.optimal), (210_337_792, 6_645_760, 676_512));
//!
//! // Even the gradient of a scalar (a 1-row output seed) gains a little from a mixed order.
//! let grad = JacobianChain::new(&[100, 1, 100, 10, 2], Seed::Output(1))?;
//! let g = grad.analyze()?;
//! assert_eq!(g.mode, Mode::Mixed);
//! assert_eq!((g.reverse, g.optimal), (1220, 1122));
//! # Ok::<(), chainplan::Error>(())
//! ```
//!
//! ## Structured factors
//!
//! An elementwise layer (an activation) has a diagonal Jacobian. With diagonals the cost of a
//! product is no longer m·k·n: diagonal × dense (m × k) costs m·k, dense × diagonal the same,
//! and diagonal × diagonal (n × n) costs n; a product of diagonals stays diagonal. The module
//! [`structured`] plans with these costs, so an MLP written as dense and activation layers is
//! planned as it would be executed, and the plans it returns are priced in this model: a
//! structured plan's [`Plan::cost`](crate::Plan::cost) is what its planner minimised.
//!
//! A network is written with its own widths and where its activations are
//! ([`JacobianChain::network`], [`Activations`]); no width is repeated:
//!
//! ```
//! use chainplan::jacobian::{Activations, JacobianChain, Seed};
//! let mlp = JacobianChain::network(&[784, 512, 512, 10], Activations::Hidden, Seed::Output(1))?;
//! let a = mlp.analyze()?;
//! // S·W3 (5,120), ·D2 (512), ·W2 (262,144), ·D1 (512), ·W1 (401,408): vector products only.
//! assert_eq!(a.reverse, 5_120 + 512 + 262_144 + 512 + 401_408);
//! assert_eq!(mlp.optimal_plan()?.cost(), a.optimal);
//! # Ok::<(), chainplan::Error>(())
//! ```
//!
//! ## Matrix-free chains
//!
//! When the elemental functions are only available as tangent programs (J·v) and adjoint
//! programs (vᵀ·J), the Jacobians are never stored and the choices are which Jacobians to
//! accumulate and how to propagate through the others: [`matrix_free`] solves the dynamic
//! program of Naumann's matrix-free Jacobian chain product, of which pure tangent and pure
//! adjoint mode are special cases. [`operator`] runs such a plan on the user's own
//! operators ([`JacobianOperator`]: JVPs, VJPs, and optionally a tape to record and replay).
//!
//! ## Execution
//!
//! [`JacobianChain::execute`] runs a plan of the chain over its dense and diagonal factors
//! ([`StructuredFactor`], `f64` or `f32`; dense products on BLAS through ndarray), checking
//! each factor against the chain first. [`mlp`] builds a multilayer perceptron, from random or
//! from the user's own weights, whose loss gradient and full Jacobian are computed by executing
//! its Jacobian chain in any order.

mod activation;
pub mod dense;
pub mod matrix_free;
pub mod mlp;
pub mod operator;
#[cfg(feature = "report")]
pub mod report;
pub mod run;
pub mod structured;

pub use crate::error::{FactorProblem, OperatorProblem};
pub use activation::Activation;
pub use dense::{Activations, JacobianAnalysis, JacobianChain, LayerKind, Mode, Seed};
pub use matrix_free::{MatrixFreeChain, MfNode, MfOp};
pub use mlp::{Gradients, Mlp, ParameterPlan};
pub use operator::{FnOperator, JacobianOperator, MatrixOperator};
#[cfg(feature = "report")]
pub use report::{JacobianReport, MatrixFreeReport};
pub use run::StructuredFactor;
