//! A multilayer perceptron whose loss gradient and Jacobian are products of its Jacobian chain.
//!
//! Dense layers z_l = W_l·a_(l-1) + b_l (l = 1 … D), with a_0 = x, a_l = tanh(z_l) for l < D
//! and output y = z_D; the loss is the squared error ½‖y − t‖². By the chain rule
//!
//! ```text
//! ∂y/∂x    =          W_D · diag(1 − a_(D-1)²) · W_(D-1) ⋯ diag(1 − a_1²) · W_1
//! ∇_x loss = (y − t)ᵀ · W_D · diag(1 − a_(D-1)²) · W_(D-1) ⋯ diag(1 − a_1²) · W_1
//! ```
//!
//! Jacobian chains with dense weight factors and diagonal activation factors, the second
//! with a one-row output seed ([`Mlp::jacobian_chain`], [`Mlp::gradient_chain`]). Executing
//! the gradient's chain left to right is backpropagation (reverse mode); right to left is
//! forward mode, which forms the n_D × n_0 Jacobian of the network first and so grows with the
//! input width.
//!
//! The network is random ([`Mlp::random`]) or the user's own ([`Mlp::from_weights`]), in
//! `f64` or `f32`.
//!
//! ```
//! use chainplan::jacobian::Mlp;
//! use ndarray::Array1;
//! let net = Mlp::random(&[8, 16, 3], 7)?;
//! let x = Array1::from_elem(8, 0.1);
//! let t = Array1::zeros(3);
//! let jc = net.gradient_chain()?;
//! let reverse = net.gradient(&x, &t, &jc.reverse_plan()?)?;
//! let forward = net.gradient(&x, &t, &jc.forward_plan()?)?;
//! assert!((&reverse - &forward).iter().all(|d| d.abs() < 1e-12));
//! # Ok::<(), chainplan::Error>(())
//! ```

use super::dense::{chain_of, Activations, JacobianChain, Seed};
use super::run::StructuredFactor;
use crate::error::JacobianError;
use crate::error::Result;
use crate::exec::Element;
use crate::plan::Plan;
use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A tanh multilayer perceptron with a squared-error loss, in `f64` (the default) or `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp<T = f64> {
    weights: Vec<Array2<T>>,
    biases: Vec<Array1<T>>,
}

/// The values of one forward pass that the derivatives need.
struct Forward<T> {
    /// tanh'(z_l) = 1 − a_l², for the hidden layers l = 1 … D − 1.
    slopes: Vec<Array1<T>>,
    /// The output y.
    output: Array1<T>,
}

/// `x` converted to `T` (every `f64` converts to `f32`, rounded or infinite).
fn cast<T: Element>(x: f64) -> T {
    T::from(x).unwrap_or_else(T::nan)
}

impl Mlp<f64> {
    /// A network with layer widths n_0 (input) … n_D (output) and weights drawn uniformly from
    /// ±1/√(n_(l-1)), biases from ±0.1, by a generator seeded with `seed`.
    ///
    /// In `f32`: `Mlp::random(…)?.cast::<f32>()`.
    ///
    /// Errors: fewer than two widths or a width of 0.
    pub fn random(widths: &[usize], seed: u64) -> Result<Self> {
        chain_of(widths)?;
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
}

impl<T: Element> Mlp<T> {
    /// A network from the user's weights W_1 … W_D (W_l is n_l × n_(l-1), in evaluation
    /// order) and biases b_1 … b_D (b_l has n_l entries), or zero biases when `None`.
    ///
    /// ```
    /// use chainplan::jacobian::Mlp;
    /// use chainplan::error::JacobianError;
    /// use chainplan::Error;
    /// use ndarray::{array, Array1, Array2};
    /// let w1 = Array2::<f64>::ones((3, 2));
    /// let w2 = Array2::<f64>::ones((1, 3));
    /// let net = Mlp::from_weights(vec![w1.clone(), w2.clone()], None)?;
    /// assert_eq!(net.widths(), [2, 3, 1]);
    /// // W2 must take W1's 3 outputs.
    /// let e = Mlp::from_weights(vec![w1, Array2::ones((1, 4))], None).unwrap_err();
    /// assert!(matches!(e, Error::Jacobian(JacobianError::WeightShape { layer: 2, cols: 4, inputs: 3, .. })));
    /// let bad_bias = Mlp::from_weights(vec![w2], Some(vec![Array1::zeros(2)]));
    /// assert!(matches!(bad_bias, Err(Error::Jacobian(JacobianError::VectorLength { got: 2, expected: 1, .. }))));
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: no weights ([`JacobianError::EmptyNetwork`]), a weight that does not take the previous
    /// layer's outputs ([`JacobianError::WeightShape`]), a width of 0 or above `u32::MAX`, the wrong
    /// number of biases or a bias of the wrong length ([`JacobianError::VectorLength`]).
    pub fn from_weights(weights: Vec<Array2<T>>, biases: Option<Vec<Array1<T>>>) -> Result<Self> {
        let Some(first) = weights.first() else {
            return Err(JacobianError::EmptyNetwork.into());
        };
        let mut inputs = first.ncols();
        for (l, w) in weights.iter().enumerate() {
            if w.ncols() != inputs {
                return Err(JacobianError::WeightShape {
                    layer: l + 1,
                    rows: w.nrows(),
                    cols: w.ncols(),
                    inputs,
                }
                .into());
            }
            inputs = w.nrows();
        }
        let mut widths = vec![first.ncols()];
        widths.extend(weights.iter().map(|w| w.nrows()));
        chain_of(&widths)?;
        let biases = match biases {
            None => weights.iter().map(|w| Array1::zeros(w.nrows())).collect(),
            Some(b) => {
                if b.len() != weights.len() {
                    return Err(JacobianError::VectorLength {
                        what: "the bias list".to_string(),
                        got: b.len(),
                        expected: weights.len(),
                    }
                    .into());
                }
                for (l, (b, w)) in b.iter().zip(&weights).enumerate() {
                    if b.len() != w.nrows() {
                        return Err(JacobianError::VectorLength {
                            what: format!("bias {}", l + 1),
                            got: b.len(),
                            expected: w.nrows(),
                        }
                        .into());
                    }
                }
                b
            }
        };
        Ok(Mlp { weights, biases })
    }

    /// The same network in another element type (`f64` → `f32` rounds).
    pub fn cast<U: Element>(&self) -> Mlp<U> {
        let conv = |x: &T| cast::<U>(x.to_f64().unwrap_or(f64::NAN));
        Mlp {
            weights: self.weights.iter().map(|w| w.map(conv)).collect(),
            biases: self.biases.iter().map(|b| b.map(conv)).collect(),
        }
    }

    /// Layer widths n_0 … n_D.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.weights[0].ncols()];
        w.extend(self.weights.iter().map(|a| a.nrows()));
        w
    }

    /// The weight matrices W_1 … W_D (W_l is n_l × n_(l-1)).
    pub fn weights(&self) -> &[Array2<T>] {
        &self.weights
    }

    /// The biases b_1 … b_D.
    pub fn biases(&self) -> &[Array1<T>] {
        &self.biases
    }

    fn check(&self, what: &str, v: &ArrayView1<'_, T>, want: usize) -> Result<()> {
        if v.len() != want {
            return Err(JacobianError::VectorLength {
                what: what.to_string(),
                got: v.len(),
                expected: want,
            }
            .into());
        }
        Ok(())
    }

    /// The forward pass: output y and the activation slopes.
    fn forward(&self, x: &Array1<T>) -> Result<Forward<T>> {
        self.check("the input", &x.view(), self.weights[0].ncols())?;
        let last = self.weights.len() - 1;
        let mut a = x.clone();
        let mut slopes = Vec::with_capacity(last);
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let mut z = w.dot(&a);
            z += b;
            if l < last {
                z.mapv_inplace(T::tanh);
                slopes.push(z.mapv(|v| T::one() - v * v));
            }
            a = z;
        }
        Ok(Forward { slopes, output: a })
    }

    /// The residual y − t of a forward pass.
    fn residual(&self, f: &Forward<T>, target: &Array1<T>) -> Result<Array1<T>> {
        self.check("the target", &target.view(), f.output.len())?;
        Ok(&f.output - target)
    }

    /// The network's output y at input `x`.
    pub fn output(&self, x: &Array1<T>) -> Result<Array1<T>> {
        Ok(self.forward(x)?.output)
    }

    /// The loss ½‖y − t‖² at input `x`.
    pub fn loss(&self, x: &Array1<T>, target: &Array1<T>) -> Result<T> {
        let f = self.forward(x)?;
        let r = self.residual(&f, target)?;
        Ok(cast::<T>(0.5) * r.dot(&r))
    }

    /// Fused multiply-adds of one loss evaluation: the weight products Σ n_l·n_(l-1) and the
    /// n_D of the squared error (bias additions and tanh not counted, as in the chain costs).
    pub fn loss_cost(&self) -> u128 {
        let w = self.widths();
        let products: u128 = w.windows(2).map(|p| (p[0] as u128) * (p[1] as u128)).sum();
        products + w[w.len() - 1] as u128
    }

    /// The Jacobian chain ∂y/∂x = W_D · diag(…) ⋯ diag(…) · W_1: the network's widths with
    /// an activation after every hidden layer, no seed.
    pub fn jacobian_chain(&self) -> Result<JacobianChain> {
        JacobianChain::network(&self.widths(), Activations::Hidden, Seed::None)
    }

    /// The loss gradient's Jacobian chain: [`Mlp::jacobian_chain`] with a one-row output seed
    /// (the residual (y − t)ᵀ).
    pub fn gradient_chain(&self) -> Result<JacobianChain> {
        JacobianChain::network(&self.widths(), Activations::Hidden, Seed::Output(1))
    }

    /// The factors of [`Mlp::jacobian_chain`] at input `x`, in chain order:
    /// W_D, diag(1 − a_(D-1)²), W_(D-1), …, diag(1 − a_1²), W_1. The weights are borrowed.
    pub fn jacobian_factors(&self, x: &Array1<T>) -> Result<Vec<StructuredFactor<'_, T>>> {
        let f = self.forward(x)?;
        Ok(self.chain_factors(f.slopes))
    }

    fn chain_factors(&self, mut slopes: Vec<Array1<T>>) -> Vec<StructuredFactor<'_, T>> {
        let mut factors = Vec::with_capacity(2 * self.weights.len());
        for w in self.weights.iter().rev() {
            factors.push(StructuredFactor::dense(w.view()));
            if let Some(s) = slopes.pop() {
                factors.push(StructuredFactor::diagonal(s));
            }
        }
        factors
    }

    /// The factors of [`Mlp::gradient_chain`] at input `x`, in chain order:
    /// (y − t)ᵀ, W_D, diag(1 − a_(D-1)²), W_(D-1), …, diag(1 − a_1²), W_1.
    pub fn factors(
        &self,
        x: &Array1<T>,
        target: &Array1<T>,
    ) -> Result<Vec<StructuredFactor<'_, T>>> {
        let f = self.forward(x)?;
        let residual = self.residual(&f, target)?;
        let mut factors = vec![StructuredFactor::dense(residual.insert_axis(Axis(0)))];
        factors.extend(self.chain_factors(f.slopes));
        Ok(factors)
    }

    /// The gradient of the loss with respect to the input, by a forward pass and then the
    /// execution of `plan` (any order of [`Mlp::gradient_chain`]) over [`Mlp::factors`].
    ///
    /// Errors: an input or target of the wrong length ([`JacobianError::VectorLength`]), a plan for
    /// another chain.
    pub fn gradient(&self, x: &Array1<T>, target: &Array1<T>, plan: &Plan) -> Result<Array1<T>> {
        let factors = self.factors(x, target)?;
        let product = self.gradient_chain()?.execute(plan, factors)?;
        let row = product.into_dense();
        Ok(row.index_axis_move(Axis(0), 0))
    }

    /// The Jacobian ∂y/∂x (n_D × n_0) at input `x`, by a forward pass and then the execution
    /// of `plan` (any order of [`Mlp::jacobian_chain`]) over [`Mlp::jacobian_factors`].
    ///
    /// Errors: an input of the wrong length ([`JacobianError::VectorLength`]), a plan for another
    /// chain.
    pub fn jacobian(&self, x: &Array1<T>, plan: &Plan) -> Result<Array2<T>> {
        let factors = self.jacobian_factors(x)?;
        Ok(self.jacobian_chain()?.execute(plan, factors)?.into_dense())
    }
}
