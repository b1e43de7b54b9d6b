//! A multilayer perceptron whose loss gradients and Jacobian are products of its Jacobian
//! chain.
//!
//! Dense layers z_l = W_l·a_(l-1) + b_l (l = 1 … D), with a_0 = x, a_l = σ_l(z_l) and output
//! y = a_D; the loss is the squared error ½‖y − t‖². Each layer has its own elementwise
//! activation σ_l ([`Activation`]: identity, tanh, ReLU, sigmoid or the user's own); by
//! default (every constructor) the hidden layers are tanh and the output is linear. By the
//! chain rule, with D_l = diag(σ_l'(z_l)) (left out where σ_l is the identity),
//!
//! ```text
//! ∂y/∂x    =          D_D · W_D · D_(D-1) · W_(D-1) ⋯ D_1 · W_1
//! ∇_x loss = (y − t)ᵀ · D_D · W_D · D_(D-1) · W_(D-1) ⋯ D_1 · W_1
//! ```
//!
//! Jacobian chains with dense weight factors and diagonal activation factors, the second
//! with a one-row output seed ([`Mlp::jacobian_chain`], [`Mlp::gradient_chain`]). Executing
//! the gradient's chain left to right is backpropagation (reverse mode); right to left is
//! forward mode, which forms the n_D × n_0 Jacobian of the network first and so grows with the
//! input width.
//!
//! The gradients with respect to the weights and biases ([`Mlp::gradients`]) need every
//! prefix δ_l = (y − t)ᵀ · D_D · W_D ⋯ W_(l+1) · D_l of that chain (the loss's gradient with
//! respect to z_l): ∂loss/∂b_l = δ_l and ∂loss/∂W_l = δ_lᵀ · a_(l-1)ᵀ. The reverse order of the
//! gradient chain forms each prefix as one of its steps, so one sweep gives them all
//! ([`Mlp::parameter_plan`] compares it with planning each prefix alone).
//!
//! The network is random ([`Mlp::random`]) or the user's own ([`Mlp::from_weights`]), in
//! `f64` or `f32`.
//!
//! ```
//! use chainplan::jacobian::{Activation, Mlp};
//! use ndarray::Array1;
//! let net = Mlp::random(&[8, 16, 3], 7)?.with_activation(Activation::Relu);
//! let x = Array1::from_elem(8, 0.1);
//! let t = Array1::zeros(3);
//! let jc = net.gradient_chain()?;
//! let reverse = net.gradient(&x, &t, &jc.reverse_plan()?)?;
//! let forward = net.gradient(&x, &t, &jc.forward_plan()?)?;
//! assert!((&reverse - &forward).iter().all(|d| d.abs() < 1e-12));
//! // The weights' and biases' gradients too, by the same chain in reverse.
//! let g = net.gradients(&x, &t)?;
//! assert_eq!(g.weights()[0].dim(), (16, 8));
//! assert!((g.input() - &reverse).iter().all(|d| d.abs() < 1e-12));
//! # Ok::<(), chainplan::Error>(())
//! ```

use super::activation::Activation;
use super::dense::{chain_of, named_order, Activations, JacobianChain, Seed};
use super::run::StructuredFactor;
use crate::error::JacobianError;
use crate::error::Result;
use crate::exec::Element;
use crate::plan::Plan;
use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A multilayer perceptron with elementwise activations and a squared-error loss, in `f64`
/// (the default) or `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp<T = f64> {
    weights: Vec<Array2<T>>,
    biases: Vec<Array1<T>>,
    /// σ_1 … σ_D, one per dense layer.
    activations: Vec<Activation<T>>,
}

/// The values of one forward pass that the derivatives need.
struct Forward<T> {
    /// The layers' inputs a_0 = x, a_1, …, a_(D-1).
    inputs: Vec<Array1<T>>,
    /// σ_l'(z_l) for each layer l = 1 … D, `None` where σ_l is the identity.
    slopes: Vec<Option<Array1<T>>>,
    /// The output y.
    output: Array1<T>,
}

/// The loss's gradients with respect to every parameter of an [`Mlp`] and to its input
/// ([`Mlp::gradients`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients<T = f64> {
    weights: Vec<Array2<T>>,
    biases: Vec<Array1<T>>,
    input: Array1<T>,
}

impl<T> Gradients<T> {
    /// ∂loss/∂W_l for l = 1 … D, each shaped as W_l.
    pub fn weights(&self) -> &[Array2<T>] {
        &self.weights
    }

    /// ∂loss/∂b_l for l = 1 … D.
    pub fn biases(&self) -> &[Array1<T>] {
        &self.biases
    }

    /// ∂loss/∂x, the gradient [`Mlp::gradient`] computes.
    pub fn input(&self) -> &Array1<T> {
        &self.input
    }
}

/// How [`Mlp::gradients`] computes the loss's gradients with respect to all parameters: the
/// reverse order of [`Mlp::gradient_chain`], whose steps are the prefixes δ_l, against the
/// same prefixes each planned alone by the chain's optimal planner.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterPlan {
    plan: Plan,
    order: String,
    separate: u128,
    outer: u128,
}

impl ParameterPlan {
    /// The plan run: the gradient chain's reverse order (backpropagation).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan's order with the chain's factor names, such as `((S·J3)·J2)·J1`.
    pub fn order(&self) -> &str {
        &self.order
    }

    /// Multiplications of the sweep that forms every prefix δ_l and the input gradient.
    pub fn cost(&self) -> u128 {
        self.plan.cost()
    }

    /// Multiplications of forming each needed prefix (every δ_l and the input gradient) by
    /// its own optimal plan, sharing nothing: what planning the gradients one at a time
    /// would cost, against the sweep's [`cost`](Self::cost), which shares them.
    pub fn separate_cost(&self) -> u128 {
        self.separate
    }

    /// Multiplications of the weight gradients' outer products δ_lᵀ·a_(l-1)ᵀ, Σ n_l·n_(l-1),
    /// the same in any order.
    pub fn outer_cost(&self) -> u128 {
        self.outer
    }
}

/// `x` converted to `T` (every `f64` converts to `f32`, rounded or infinite).
fn cast<T: Element>(x: f64) -> T {
    T::from(x).unwrap_or_else(T::nan)
}

/// The default activations of a network of `layers` dense layers: tanh, and a linear output.
fn default_activations<T>(layers: usize) -> Vec<Activation<T>> {
    (0..layers)
        .map(|l| {
            if l + 1 < layers {
                Activation::Tanh
            } else {
                Activation::Identity
            }
        })
        .collect()
}

impl Mlp<f64> {
    /// A network with layer widths n_0 (input) … n_D (output) and weights drawn uniformly from
    /// ±1/√(n_(l-1)), biases from ±0.1, by a generator seeded with `seed`; tanh hidden layers
    /// and a linear output (see [`Mlp::with_activation`]).
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
        let activations = default_activations(weights.len());
        Ok(Mlp {
            weights,
            biases,
            activations,
        })
    }
}

impl<T: Element> Mlp<T> {
    /// A network from the user's weights W_1 … W_D (W_l is n_l × n_(l-1), in evaluation
    /// order) and biases b_1 … b_D (b_l has n_l entries), or zero biases when `None`; tanh
    /// hidden layers and a linear output (see [`Mlp::with_activation`]).
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
        let activations = default_activations(weights.len());
        Ok(Mlp {
            weights,
            biases,
            activations,
        })
    }

    /// The same network in another element type (`f64` → `f32` rounds).
    pub fn cast<U: Element>(&self) -> Mlp<U> {
        let conv = |x: &T| cast::<U>(x.to_f64().unwrap_or(f64::NAN));
        Mlp {
            weights: self.weights.iter().map(|w| w.map(conv)).collect(),
            biases: self.biases.iter().map(|b| b.map(conv)).collect(),
            activations: self.activations.iter().map(Activation::cast).collect(),
        }
    }

    /// The same network with `activation` on every hidden layer (the output stays as it is:
    /// linear unless [`Mlp::with_activations`] made it otherwise).
    ///
    /// ```
    /// use chainplan::jacobian::{Activation, Mlp};
    /// let net = Mlp::random(&[4, 8, 8, 2], 1)?.with_activation(Activation::Sigmoid);
    /// let names: Vec<&str> = net.activations().iter().map(|a| a.name()).collect();
    /// assert_eq!(names, ["sigmoid", "sigmoid", "identity"]);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn with_activation(mut self, activation: Activation<T>) -> Self {
        let hidden = self.activations.len() - 1;
        for a in &mut self.activations[..hidden] {
            *a = activation.clone();
        }
        self
    }

    /// The same network with one activation per dense layer, σ_1 … σ_D in evaluation order
    /// (the last one on the output: [`Activation::Identity`] keeps it linear).
    ///
    /// ```
    /// use chainplan::jacobian::{Activation, Mlp};
    /// use chainplan::{error::JacobianError, Error};
    /// let net = Mlp::random(&[4, 8, 2], 1)?;
    /// let net = net.with_activations(vec![Activation::Relu, Activation::Sigmoid])?;
    /// assert_eq!(net.activations()[1], Activation::Sigmoid);
    /// let e = net.with_activations(vec![Activation::Relu]).unwrap_err();
    /// assert!(matches!(e, Error::Jacobian(JacobianError::VectorLength { got: 1, expected: 2, .. })));
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: not one activation per layer ([`JacobianError::VectorLength`]).
    pub fn with_activations(mut self, activations: Vec<Activation<T>>) -> Result<Self> {
        if activations.len() != self.weights.len() {
            return Err(JacobianError::VectorLength {
                what: "the activation list".to_string(),
                got: activations.len(),
                expected: self.weights.len(),
            }
            .into());
        }
        self.activations = activations;
        Ok(self)
    }

    /// The activations σ_1 … σ_D.
    pub fn activations(&self) -> &[Activation<T>] {
        &self.activations
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

    /// The forward pass: the layers' inputs, the activation slopes and the output y.
    fn forward(&self, x: &Array1<T>) -> Result<Forward<T>> {
        self.check("the input", &x.view(), self.weights[0].ncols())?;
        let layers = self.weights.len();
        let mut inputs = Vec::with_capacity(layers);
        let mut slopes = Vec::with_capacity(layers);
        let mut a = x.clone();
        for ((w, b), sigma) in self.weights.iter().zip(&self.biases).zip(&self.activations) {
            let mut z = w.dot(&a);
            z += b;
            inputs.push(a);
            if sigma.is_identity() {
                slopes.push(None);
                a = z;
            } else {
                let next = z.mapv(|v| sigma.value(v));
                slopes.push(Some(
                    ndarray::Zip::from(&z)
                        .and(&next)
                        .map_collect(|&z, &a| sigma.slope(z, a)),
                ));
                a = next;
            }
        }
        Ok(Forward {
            inputs,
            slopes,
            output: a,
        })
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
    /// n_D of the squared error (bias additions and activations not counted, as in the chain
    /// costs).
    pub fn loss_cost(&self) -> u128 {
        let w = self.widths();
        let products: u128 = w.windows(2).map(|p| (p[0] as u128) * (p[1] as u128)).sum();
        products + w[w.len() - 1] as u128
    }

    /// The Jacobian chain ∂y/∂x = D_D · W_D ⋯ D_1 · W_1: the network's widths with a diagonal
    /// factor after every layer whose activation is not the identity, no seed.
    pub fn jacobian_chain(&self) -> Result<JacobianChain> {
        self.chain(Seed::None)
    }

    /// The loss gradient's Jacobian chain: [`Mlp::jacobian_chain`] with a one-row output seed
    /// (the residual (y − t)ᵀ).
    pub fn gradient_chain(&self) -> Result<JacobianChain> {
        self.chain(Seed::Output(1))
    }

    fn chain(&self, seed: Seed) -> Result<JacobianChain> {
        let after = (1..=self.activations.len())
            .filter(|&l| !self.activations[l - 1].is_identity())
            .collect();
        JacobianChain::network(&self.widths(), Activations::After(after), seed)
    }

    /// The factors of [`Mlp::jacobian_chain`] at input `x`, in chain order:
    /// D_D, W_D, D_(D-1), W_(D-1), …, D_1, W_1, each D_l = diag(σ_l'(z_l)) left out where σ_l
    /// is the identity. The weights are borrowed.
    pub fn jacobian_factors(&self, x: &Array1<T>) -> Result<Vec<StructuredFactor<'_, T>>> {
        let f = self.forward(x)?;
        Ok(self.chain_factors(f.slopes))
    }

    fn chain_factors(&self, slopes: Vec<Option<Array1<T>>>) -> Vec<StructuredFactor<'_, T>> {
        let mut factors = Vec::with_capacity(2 * self.weights.len());
        for (w, s) in self.weights.iter().zip(slopes).rev() {
            if let Some(s) = s {
                factors.push(StructuredFactor::diagonal(s));
            }
            factors.push(StructuredFactor::dense(w.view()));
        }
        factors
    }

    /// The factors of [`Mlp::gradient_chain`] at input `x`, in chain order:
    /// (y − t)ᵀ, then those of [`Mlp::jacobian_factors`].
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

    /// The loss's gradients with respect to every weight, every bias and the input at `x`,
    /// by one forward pass and the reverse sweep of [`Mlp::gradient_chain`]
    /// ([`Mlp::parameter_plan`]): each step of the sweep is a prefix δ_l, the gradient with
    /// respect to z_l, from which ∂loss/∂b_l = δ_l and ∂loss/∂W_l = δ_lᵀ·a_(l-1)ᵀ.
    ///
    /// Errors: an input or target of the wrong length ([`JacobianError::VectorLength`]).
    pub fn gradients(&self, x: &Array1<T>, target: &Array1<T>) -> Result<Gradients<T>> {
        let f = self.forward(x)?;
        let residual = self.residual(&f, target)?;
        let chain = self.gradient_chain()?;
        let plan = chain.reverse_plan()?;
        // Which prefixes are some δ_l: those ending just before a weight factor (factor 0 is
        // the seed (y − t)ᵀ; each layer from the output down adds its diagonal, if any, then
        // its weight).
        let mut is_delta = vec![false; chain.chain().matrices()];
        let mut position = 1;
        for s in f.slopes.iter().rev() {
            position += usize::from(s.is_some());
            is_delta[position - 1] = true;
            position += 1;
        }
        // The sweep forms them from the output layer's down: δ_D first.
        let mut biases: Vec<Array1<T>> = Vec::with_capacity(self.weights.len());
        if is_delta[0] {
            biases.push(residual.clone());
        }
        let mut factors = vec![StructuredFactor::dense(residual.insert_axis(Axis(0)))];
        factors.extend(self.chain_factors(f.slopes));
        let product = chain.execute_observed(&plan, factors, |step, product| {
            if step.first == 0 && is_delta[step.last] {
                biases.push(product.to_dense().index_axis_move(Axis(0), 0));
            }
        })?;
        biases.reverse();
        debug_assert_eq!(biases.len(), self.weights.len(), "one δ per layer");
        let input = product.into_dense().index_axis_move(Axis(0), 0);
        let weights = biases
            .iter()
            .zip(&f.inputs)
            .map(|(d, a)| {
                let column = d.view().insert_axis(Axis(1));
                column.dot(&a.view().insert_axis(Axis(0)))
            })
            .collect();
        Ok(Gradients {
            weights,
            biases,
            input,
        })
    }

    /// The plan [`Mlp::gradients`] runs, its cost, and what planning each needed prefix of
    /// the gradient chain alone would cost instead.
    ///
    /// ```
    /// use chainplan::jacobian::Mlp;
    /// let net = Mlp::random(&[784, 512, 512, 10], 1)?;
    /// let p = net.parameter_plan()?;
    /// assert_eq!(p.order(), "((((S·J5)·J4)·J3)·J2)·J1");
    /// // S·W3 (5,120), ·D2 (512), ·W2 (262,144), ·D1 (512), ·W1 (401,408).
    /// assert_eq!(p.cost(), 5_120 + 512 + 262_144 + 512 + 401_408);
    /// assert!(p.separate_cost() > p.cost());
    /// assert_eq!(p.outer_cost(), 784 * 512 + 512 * 512 + 512 * 10);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn parameter_plan(&self) -> Result<ParameterPlan> {
        let chain = self.gradient_chain()?;
        let plan = chain.reverse_plan()?;
        let order = named_order(&plan, &chain.factor_names());
        // The prefixes the sweep keeps: those ending before a weight factor, and the whole
        // chain (the input gradient). A prefix of one factor (the seed) costs nothing.
        let flags = chain.diagonal_flags();
        let layers = chain.layers();
        let mut separate = 0u128;
        for end in 1..flags.len() {
            let keep = end + 1 == flags.len() || !flags[end + 1];
            if !keep {
                continue;
            }
            // Factors 0 ..= end: the seed and the last `end` layers.
            let depth = layers.len();
            let prefix = JacobianChain::with_layers(
                &chain.layer_widths()[depth - end..],
                &layers[depth - end..],
                Seed::Output(1),
            )?;
            separate = separate.checked_add(prefix.optimal_plan()?.cost()).ok_or(
                crate::Error::Overflow {
                    what: "the separate plans' cost",
                    bits: 128,
                },
            )?;
        }
        let widths = self.widths();
        let outer = widths.windows(2).map(|p| p[0] as u128 * p[1] as u128).sum();
        Ok(ParameterPlan {
            plan,
            order,
            separate,
            outer,
        })
    }
}
