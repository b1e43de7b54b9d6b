//! A small multilayer perceptron whose loss gradient is the product of its Jacobian chain.
//!
//! Dense layers z_l = W_l·a_(l-1) + b_l (l = 1 … D), with a_0 = x, a_l = tanh(z_l) for l < D
//! and output y = z_D; the loss is the squared error ½‖y − t‖². By the chain rule
//!
//! ```text
//! ∇_x loss = (y − t)ᵀ · W_D · diag(1 − a_(D-1)²) · W_(D-1) ⋯ diag(1 − a_1²) · W_1
//! ```
//!
//! a Jacobian chain with a one-row output seed, dense weight factors and diagonal activation
//! factors ([`Mlp::jacobian_chain`]). Executing it left to right is backpropagation (reverse
//! mode); right to left is forward mode, which forms the n_D × n_0 Jacobian of the network
//! first and so grows with the input width.
//!
//! ```
//! use chainplan::jacobian::mlp::Mlp;
//! use ndarray::Array1;
//! let net = Mlp::random(&[8, 16, 3], 7)?;
//! let x = Array1::from_elem(8, 0.1);
//! let t = Array1::zeros(3);
//! let jc = net.jacobian_chain()?;
//! let reverse = net.gradient(&x, &t, &jc.reverse_plan()?)?;
//! let forward = net.gradient(&x, &t, &jc.forward_plan()?)?;
//! assert!((&reverse - &forward).iter().all(|d| d.abs() < 1e-12));
//! # Ok::<(), chainplan::Error>(())
//! ```

use super::dense::{JacobianChain, LayerKind, Seed};
use super::execute::{execute, StructuredFactor};
use crate::error::{Error, Result};
use crate::plan::Plan;
use ndarray::{Array1, Array2, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A tanh multilayer perceptron with a squared-error loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    weights: Vec<Array2<f64>>,
    biases: Vec<Array1<f64>>,
}

/// The values of one forward pass that the gradient needs.
struct Forward {
    /// tanh'(z_l) = 1 − a_l², for the hidden layers l = 1 … D − 1.
    slopes: Vec<Array1<f64>>,
    /// y − t.
    residual: Array1<f64>,
}

impl Mlp {
    /// A network with layer widths n_0 (input) … n_D (output) and weights drawn uniformly from
    /// ±1/√(n_(l-1)), biases from ±0.1, by a generator seeded with `seed`.
    ///
    /// Errors: fewer than two widths or a width of 0.
    pub fn random(widths: &[usize], seed: u64) -> Result<Self> {
        crate::chain::Chain::from_u64s(widths.iter().map(|&w| w as u64))?;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut weights = Vec::with_capacity(widths.len() - 1);
        let mut biases = Vec::with_capacity(widths.len() - 1);
        for pair in widths.windows(2) {
            let (n, m) = (pair[0], pair[1]);
            let s = 1.0 / (n as f64).sqrt();
            weights.push(Array2::from_shape_fn((m, n), |_| rng.random_range(-s..s)));
            biases.push(Array1::from_shape_fn(m, |_| rng.random_range(-0.1..0.1)));
        }
        Ok(Mlp { weights, biases })
    }

    /// Layer widths n_0 … n_D.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.weights[0].ncols()];
        w.extend(self.weights.iter().map(|a| a.nrows()));
        w
    }

    /// The weight matrices W_1 … W_D (W_l is n_l × n_(l-1)).
    pub fn weights(&self) -> &[Array2<f64>] {
        &self.weights
    }

    fn check(&self, x: &Array1<f64>, target: &Array1<f64>) -> Result<()> {
        let w = self.widths();
        let (n0, nd) = (w[0], w[w.len() - 1]);
        for (what, got, want) in [("input", x.len(), n0), ("target", target.len(), nd)] {
            if got != want {
                return Err(Error::Invalid(format!(
                    "the {what} has {got} entries but the network needs {want}"
                )));
            }
        }
        Ok(())
    }

    /// The forward pass: output y and the activation slopes.
    fn forward(&self, x: &Array1<f64>, target: &Array1<f64>) -> Result<Forward> {
        self.check(x, target)?;
        let last = self.weights.len() - 1;
        let mut a = x.clone();
        let mut slopes = Vec::with_capacity(last);
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let mut z = w.dot(&a);
            z += b;
            if l < last {
                z.mapv_inplace(f64::tanh);
                slopes.push(z.mapv(|v| 1.0 - v * v));
            }
            a = z;
        }
        Ok(Forward {
            slopes,
            residual: a - target,
        })
    }

    /// The loss ½‖y − t‖² at input `x`.
    pub fn loss(&self, x: &Array1<f64>, target: &Array1<f64>) -> Result<f64> {
        let f = self.forward(x, target)?;
        Ok(0.5 * f.residual.dot(&f.residual))
    }

    /// Fused multiply-adds of one loss evaluation: the weight products Σ n_l·n_(l-1) and the
    /// n_D of the squared error (bias additions and tanh not counted, as in the chain costs).
    pub fn loss_cost(&self) -> u128 {
        let w = self.widths();
        let products: u128 = w.windows(2).map(|p| (p[0] * p[1]) as u128).sum();
        products + w[w.len() - 1] as u128
    }

    /// The loss gradient's Jacobian chain: widths n_0, n_1, n_1, n_2, n_2, …, n_D with layers
    /// dense, act, dense, act, …, dense, and a one-row output seed.
    pub fn jacobian_chain(&self) -> Result<JacobianChain> {
        let w = self.widths();
        let mut widths = vec![w[0] as u32];
        let mut layers = Vec::new();
        for (l, &n) in w.iter().enumerate().skip(1) {
            widths.push(n as u32);
            layers.push(LayerKind::Dense);
            if l < w.len() - 1 {
                widths.push(n as u32);
                layers.push(LayerKind::Elementwise);
            }
        }
        JacobianChain::with_layers(widths, layers, Seed::Output(1))
    }

    /// The factors of [`Mlp::jacobian_chain`] at input `x`, in chain order:
    /// (y − t)ᵀ, W_D, diag(1 − a_(D-1)²), W_(D-1), …, diag(1 − a_1²), W_1.
    pub fn factors(
        &self,
        x: &Array1<f64>,
        target: &Array1<f64>,
    ) -> Result<Vec<StructuredFactor<'_>>> {
        let f = self.forward(x, target)?;
        let mut factors = Vec::with_capacity(2 * self.weights.len());
        factors.push(StructuredFactor::dense(f.residual.insert_axis(Axis(0))));
        let mut slopes = f.slopes;
        for w in self.weights.iter().rev() {
            factors.push(StructuredFactor::dense(w.view()));
            if let Some(s) = slopes.pop() {
                factors.push(StructuredFactor::diagonal(s));
            }
        }
        Ok(factors)
    }

    /// The gradient of the loss with respect to the input, by a forward pass and then the
    /// execution of `plan` (any order of [`Mlp::jacobian_chain`]) over [`Mlp::factors`].
    pub fn gradient(
        &self,
        x: &Array1<f64>,
        target: &Array1<f64>,
        plan: &Plan,
    ) -> Result<Array1<f64>> {
        let factors = self.factors(x, target)?;
        let product = execute(plan, factors)?;
        let row = product.into_dense();
        Ok(row.index_axis_move(Axis(0), 0))
    }
}
