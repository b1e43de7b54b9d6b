//! Experiment 2: "good start, bad finish" — stochastic gradient descent on least squares.
//!
//! ## The problem
//!
//! Random overdetermined data: m samples a_i ∈ R^d (entries N(0, 1/d), so ‖a_i‖² ≈ 1), a
//! hidden x_true ~ N(0, I) and noisy targets b_i = a_iᵀx_true + ε_i with ε_i ~ N(0, σ²).
//! Minimise
//!
//! ```text
//! f(x) = Σ_i f_i(x),   f_i(x) = (a_iᵀx − b_i)²,   ∇f_i(x) = 2·a_i·(a_iᵀx − b_i).
//! ```
//!
//! The minimiser x* solves the normal equations AᵀA x* = Aᵀb ([`Problem::x_star`], by a
//! Cholesky factorisation), and because f is quadratic, f(x) − f(x*) = ‖A(x − x*)‖² exactly.
//! With noise, the residuals r_i* = a_iᵀx* − b_i are not zero: ∇f(x*) = 0 but no single
//! ∇f_i(x*) is.
//!
//! ## SGD and the region of confusion
//!
//! SGD takes x ← x − η_t ∇f_i(x) for one sample i at a time, starting at x = 0. Far from x*
//! every sample's gradient points roughly towards x*, so progress is fast. Near x* the
//! samples disagree (each f_i has its own minimiser), and a constant step η keeps the iterate
//! wandering in a *region of confusion*: for small η, linearising around x* gives the
//! stationary mean squared distance (with replacement)
//!
//! ```text
//! E‖x − x*‖² ≈ η · tr((AᵀA)⁻¹ S),   S = Σ_i (r_i*)² a_i a_iᵀ,
//! ```
//!
//! so the region's radius grows like √η ([`Problem::plateau_prediction`]). A decreasing step
//! η_t = η₀ / (1 + t/τ) shrinks the region as it goes and keeps closing in on x*. Sampling
//! without replacement (a new permutation each epoch) has a smaller plateau.
//!
//! ## Early stopping
//!
//! The point of fitting is usually a new sample, not x*. Each run also tracks the mean
//! squared error on a held-out validation set at every epoch end and records where early
//! stopping — stop once the validation error has not improved for `patience` epochs —
//! would stop.
//!
//! ## The gradient is reverse mode
//!
//! f_i is the composition x ↦ r = a_iᵀx − b_i ↦ r². Its Jacobian chain, seeded by 1 on the
//! left, is
//!
//! ```text
//! ∇f_i(x)ᵀ = [1] · [2r] · a_iᵀ        (1×1) · (1×1) · (1×d)
//! ```
//!
//! and reverse mode is the left-to-right plan of that chain ([`JacobianChain::reverse_plan`]
//! of widths d, 1, 1 with an output seed). [`SampleGradient`] builds the plan once and
//! executes it for every sample with [`Executor::run_factors`]; nothing here writes the
//! gradient formula.

use super::sampling::{positive, Sampler, Strategy};
use super::stats::{self, Spread};
use super::{Error, Result};
use chainplan::exec::{Executor, Factor};
use chainplan::jacobian::{JacobianChain, LayerKind, Seed};
use chainplan::Plan;
use ndarray::{Array1, Array2, ArrayView1, Axis};
use ndarray_rand::rand_distr::StandardNormal;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

/// The per-sample gradient of f_i(x) = (a_iᵀx − b_i)², by reverse mode through the Jacobian
/// chain \[1\] · \[2r\] · a_iᵀ.
///
/// ```
/// use crate::lecture::sgd::SampleGradient;
/// use ndarray::array;
/// let mut g = SampleGradient::new(3)?;
/// assert_eq!(g.plan().order(), "((A1A2)A3)"); // left to right: reverse mode
/// let a = array![1.0, -2.0, 0.5];
/// // residual r = 3: ∇f_i = 2·r·a_i
/// assert_eq!(g.gradient(a.view(), 3.0)?, array![6.0, -12.0, 3.0]);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SampleGradient {
    executor: Executor<f64>,
    seed: Array1<f64>,
}

impl SampleGradient {
    /// The reverse-mode plan for samples of dimension `dim` (≥ 1).
    ///
    /// The model x ↦ r = a_iᵀx − b_i ↦ r² is a [`JacobianChain`] of widths d, 1, 1: a dense
    /// layer (Jacobian a_iᵀ) and an elementwise one (Jacobian \[2r\]), seeded by one cotangent
    /// on the output. Its reverse plan multiplies the chain \[1\] · \[2r\] · a_iᵀ left to right.
    pub fn new(dim: usize) -> Result<SampleGradient> {
        positive("dim", dim)?;
        let d = u32::try_from(dim).map_err(|_| Error::InvalidParameter {
            name: "dim",
            value: dim.to_string(),
            expected: "at most 4294967295",
        })?;
        let model = JacobianChain::with_layers(
            &[d as usize, 1, 1],
            &[LayerKind::Dense, LayerKind::Elementwise],
            Seed::Output(1),
        )?;
        // The executor multiplies every factor as a dense matrix, so it runs the order priced
        // as dense (here the same costs: the diagonal is 1 × 1).
        Ok(SampleGradient {
            executor: Executor::new(&model.as_dense().reverse_plan()?)?,
            seed: Array1::ones(1),
        })
    }

    /// The plan executed for every sample: `((A1A2)A3)`.
    pub fn plan(&self) -> &Plan {
        self.executor.plan()
    }

    /// ∇f_i at a point where sample `a_i` has residual `residual` = a_iᵀx − b_i: the
    /// vector-left product \[1\] · \[2r\] · a_iᵀ, executed by [`Executor::run_factors`].
    ///
    /// Errors if `a_i` does not have the dimension the plan was built for.
    pub fn gradient(&mut self, a_i: ArrayView1<f64>, residual: f64) -> Result<Array1<f64>> {
        let outer = Array2::from_elem((1, 1), 2.0 * residual);
        let inner = a_i.insert_axis(Axis(0));
        let factors = [
            Factor::Vector(self.seed.view()),
            Factor::Matrix(outer.view()),
            Factor::Matrix(inner),
        ];
        let product = self.executor.run_factors(&factors)?;
        let shape = product.shape();
        product.into_vector().ok_or_else(|| {
            // A vector times matrices is a vector; anything else is the wrong shape.
            let expected = vec![shape.last().copied().unwrap_or(0)];
            Error::Chainplan(
                chainplan::error::ExecError::OutputShape {
                    got: shape,
                    expected,
                }
                .into(),
            )
        })
    }
}

/// A random least-squares problem, its training and validation sets and its minimiser.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Training samples, one row a_iᵀ per sample (m × d).
    pub a: Array2<f64>,
    /// Training targets b (m).
    pub b: Array1<f64>,
    /// Validation samples (held out; for early stopping).
    pub a_val: Array2<f64>,
    /// Validation targets.
    pub b_val: Array1<f64>,
    /// The parameters the data were generated from.
    pub x_true: Array1<f64>,
    /// The least-squares minimiser of the training loss.
    pub x_star: Array1<f64>,
    /// The training loss at x*, f(x*).
    pub f_star: f64,
}

impl Problem {
    /// Draws a problem with `samples` training rows and `validation` held-out rows in
    /// dimension `dim`, with noise of standard deviation `noise`. Needs `samples` > `dim`.
    pub fn random(
        samples: usize,
        dim: usize,
        validation: usize,
        noise: f64,
        seed: u64,
    ) -> Result<Problem> {
        positive("dim", dim)?;
        positive("validation", validation)?;
        if samples <= dim {
            return Err(Error::InvalidParameter {
                name: "samples",
                value: samples.to_string(),
                expected: "more than dim (the problem must be overdetermined)",
            });
        }
        if samples.max(validation).saturating_mul(dim) > 100_000_000 {
            return Err(Error::InvalidParameter {
                name: "samples × dim",
                value: format!("{} × {dim}", samples.max(validation)),
                expected: "at most 100000000 numbers in one data set",
            });
        }
        if dim > 2000 {
            return Err(Error::InvalidParameter {
                name: "dim",
                value: dim.to_string(),
                expected: "at most 2000",
            });
        }
        if !(noise.is_finite() && noise >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "noise",
                value: noise.to_string(),
                expected: "a finite number ≥ 0",
            });
        }
        let mut rng = StdRng::seed_from_u64(stats::trial_seed(seed, 1000, 0));
        let scale = 1.0 / (dim as f64).sqrt();
        let normal = |rng: &mut StdRng| -> f64 { rng.sample(StandardNormal) };
        let x_true = Array1::from_shape_fn(dim, |_| normal(&mut rng));
        let draw = |rows: usize, rng: &mut StdRng| {
            let a = Array2::from_shape_fn((rows, dim), |_| normal(rng) * scale);
            let b = a.dot(&x_true) + Array1::from_shape_fn(rows, |_| noise * normal(rng));
            (a, b)
        };
        let (a, b) = draw(samples, &mut rng);
        let (a_val, b_val) = draw(validation, &mut rng);
        let gram = a.t().dot(&a);
        let x_star =
            cholesky_solve(&gram, &a.t().dot(&b)).ok_or_else(|| Error::InvalidParameter {
                name: "samples",
                value: samples.to_string(),
                expected: "enough for AᵀA to be positive definite (draw more samples)",
            })?;
        let residual = a.dot(&x_star) - &b;
        let f_star = residual.dot(&residual);
        Ok(Problem {
            a,
            b,
            a_val,
            b_val,
            x_true,
            x_star,
            f_star,
        })
    }

    /// Number of training samples m.
    pub fn samples(&self) -> usize {
        self.a.nrows()
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.a.ncols()
    }

    /// The training loss f(x) = Σ_i (a_iᵀx − b_i)².
    pub fn loss(&self, x: ArrayView1<f64>) -> f64 {
        let r = self.a.dot(&x) - &self.b;
        r.dot(&r)
    }

    /// f(x) − f(x*) = ‖A(x − x*)‖², computed without cancellation.
    pub fn excess_loss(&self, x: ArrayView1<f64>) -> f64 {
        let e = self.a.dot(&(&x - &self.x_star));
        e.dot(&e)
    }

    /// Mean squared error on the validation set.
    pub fn validation_error(&self, x: ArrayView1<f64>) -> f64 {
        let r = self.a_val.dot(&x) - &self.b_val;
        r.dot(&r) / self.b_val.len() as f64
    }

    /// The largest ‖a_i‖²: constant steps must stay below its inverse for the per-sample
    /// updates to contract.
    pub fn max_row_norm2(&self) -> f64 {
        self.a
            .rows()
            .into_iter()
            .map(|r| r.dot(&r))
            .fold(0.0, f64::max)
    }

    /// The small-step prediction of the root mean square distance to x* at which a constant
    /// step `step` settles, with replacement: √(η · tr((AᵀA)⁻¹ S)).
    pub fn plateau_prediction(&self, step: f64) -> f64 {
        let d = self.dim();
        let r = self.a.dot(&self.x_star) - &self.b;
        // S = Aᵀ diag(r²) A
        let weighted = &self.a * &r.mapv(|v| v * v).insert_axis(Axis(1));
        let s = self.a.t().dot(&weighted);
        let gram = self.a.t().dot(&self.a);
        let mut trace = 0.0;
        for j in 0..d {
            if let Some(col) = cholesky_solve(&gram, &s.column(j).to_owned()) {
                trace += col[j];
            }
        }
        (step * trace).sqrt()
    }
}

/// Solves G x = rhs for a symmetric positive definite G by Cholesky; `None` if G is not
/// (numerically) positive definite.
fn cholesky_solve(g: &Array2<f64>, rhs: &Array1<f64>) -> Option<Array1<f64>> {
    let n = g.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut diag = g[[j, j]];
        for k in 0..j {
            diag -= l[[j, k]] * l[[j, k]];
        }
        if diag.is_nan() || diag <= 1e-12 * g[[j, j]].abs().max(f64::MIN_POSITIVE) {
            return None;
        }
        let djj = diag.sqrt();
        l[[j, j]] = djj;
        for i in j + 1..n {
            let mut v = g[[i, j]];
            for k in 0..j {
                v -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = v / djj;
        }
    }
    // L y = rhs, then Lᵀ x = y.
    let mut y = rhs.clone();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[[i, k]] * y[k];
        }
        y[i] /= l[[i, i]];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[[k, i]] * y[k];
        }
        y[i] /= l[[i, i]];
    }
    Some(y)
}

/// How the step size evolves over iterations t = 1, 2, ….
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// η_t = η.
    Constant(f64),
    /// η_t = η₀ / (1 + (t − 1)/τ), τ in iterations.
    Decreasing {
        /// The first step η₀.
        eta0: f64,
        /// The decay time τ, in iterations: the step has halved after τ iterations.
        tau: f64,
    },
}

impl Schedule {
    /// The step at iteration `t` (1-based).
    pub fn step(&self, t: usize) -> f64 {
        match *self {
            Schedule::Constant(eta) => eta,
            Schedule::Decreasing { eta0, tau } => eta0 / (1.0 + (t as f64 - 1.0) / tau),
        }
    }

    /// The largest step it takes (the first).
    pub fn first(&self) -> f64 {
        self.step(1)
    }

    /// `constant` or `decreasing`.
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::Constant(_) => "constant",
            Schedule::Decreasing { .. } => "decreasing",
        }
    }
}

/// One SGD configuration: how samples are drawn and how the step evolves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Variant {
    /// With or without replacement.
    pub strategy: Strategy,
    /// The step schedule.
    pub schedule: Schedule,
}

impl Variant {
    /// A label for legends: `constant step, with replacement`.
    pub fn label(&self) -> String {
        format!("{} step, {}", self.schedule.kind(), self.strategy.name())
    }
}

/// Where early stopping stopped in one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EarlyStop {
    /// The iteration at which the validation error had not improved for `patience` epochs.
    pub stop: usize,
    /// The iteration (an epoch end) with the best validation error up to then.
    pub best: usize,
}

/// The record of one SGD run at the checkpoints it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// ‖x_t − x*‖ at each checkpoint.
    pub distance: Vec<f64>,
    /// f(x_t) − f(x*) at each checkpoint.
    pub excess_loss: Vec<f64>,
    /// Validation mean squared error after each epoch (index 0: the start).
    pub validation: Vec<f64>,
    /// Where early stopping would stop; `None` if the validation error kept improving.
    pub early_stop: Option<EarlyStop>,
    /// Mean of ‖x_t − x*‖² over every iteration t of the second half of the run.
    pub late_mean_square: f64,
}

/// Runs SGD from x = 0 for `epochs` × m iterations, recording at `checkpoints` (iteration
/// counts, sorted). Every gradient comes from `gradient`, the reverse-mode plan.
pub fn run_sgd<R: Rng + ?Sized>(
    problem: &Problem,
    variant: Variant,
    epochs: usize,
    patience: usize,
    checkpoints: &[usize],
    gradient: &mut SampleGradient,
    rng: &mut R,
) -> Result<Run> {
    let m = problem.samples();
    let total = epochs * m;
    let mut x = Array1::<f64>::zeros(problem.dim());
    let mut sampler = Sampler::new(variant.strategy, m);
    let mut distance = Vec::with_capacity(checkpoints.len());
    let mut excess_loss = Vec::with_capacity(checkpoints.len());
    let mut validation = Vec::with_capacity(epochs + 1);
    validation.push(problem.validation_error(x.view()));
    let (mut best, mut best_epoch) = (validation[0], 0usize);
    let mut early_stop = None;
    let mut next = 0usize;
    let (mut late_sum, mut late_count) = (0.0f64, 0usize);
    for t in 1..=total {
        let i = sampler.next_index(rng);
        let a_i = problem.a.row(i);
        let residual = a_i.dot(&x) - problem.b[i];
        let g = gradient.gradient(a_i, residual)?;
        x.scaled_add(-variant.schedule.step(t), &g);
        if 2 * t > total {
            let diff = &x - &problem.x_star;
            late_sum += diff.dot(&diff);
            late_count += 1;
        }
        while next < checkpoints.len() && checkpoints[next] == t {
            let diff = &x - &problem.x_star;
            distance.push(diff.dot(&diff).sqrt());
            excess_loss.push(problem.excess_loss(x.view()));
            next += 1;
        }
        if t % m == 0 {
            let epoch = t / m;
            let v = problem.validation_error(x.view());
            validation.push(v);
            if v < best {
                best = v;
                best_epoch = epoch;
            } else if early_stop.is_none() && epoch - best_epoch >= patience {
                early_stop = Some(EarlyStop {
                    stop: t,
                    best: best_epoch * m,
                });
            }
        }
    }
    Ok(Run {
        distance,
        excess_loss,
        validation,
        early_stop,
        late_mean_square: late_sum / late_count.max(1) as f64,
    })
}

/// Parameters of experiment 2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SgdConfig {
    /// Training samples m.
    pub samples: usize,
    /// Dimension d.
    pub dim: usize,
    /// Held-out validation samples.
    pub validation: usize,
    /// Standard deviation σ of the noise in the targets.
    pub noise: f64,
    /// Epochs of m iterations each.
    pub epochs: usize,
    /// Independent runs of each variant (the problem stays fixed; the samples drawn differ).
    pub trials: usize,
    /// The constant step η, and the first step η₀ of the decreasing schedule.
    pub step: f64,
    /// Decay time τ of the decreasing schedule, in epochs.
    pub decay_epochs: f64,
    /// Early stopping waits this many epochs without improvement.
    pub patience: usize,
    /// Constant steps for the region-of-confusion sweep (empty: none).
    pub sweep: Vec<f64>,
    /// Seed of the whole experiment.
    pub seed: u64,
    /// Checkpoints per factor of ten of iterations (every epoch end is one too).
    pub points_per_decade: usize,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            samples: 200,
            dim: 10,
            validation: 200,
            noise: 0.5,
            epochs: 200,
            trials: 20,
            step: 0.05,
            decay_epochs: 1.0,
            patience: 10,
            sweep: vec![0.00625, 0.0125, 0.025, 0.05, 0.1, 0.2],
            seed: 1,
            points_per_decade: 30,
        }
    }
}

impl SgdConfig {
    /// The four variants compared: constant and decreasing step, with and without
    /// replacement.
    pub fn variants(&self) -> Vec<Variant> {
        let tau = self.decay_epochs * self.samples as f64;
        let mut out = Vec::new();
        for schedule in [
            Schedule::Constant(self.step),
            Schedule::Decreasing {
                eta0: self.step,
                tau,
            },
        ] {
            for strategy in Strategy::ALL {
                out.push(Variant { strategy, schedule });
            }
        }
        out
    }

    fn validate(&self) -> Result<usize> {
        positive("epochs", self.epochs)?;
        positive("trials", self.trials)?;
        positive("patience", self.patience)?;
        positive("points per decade", self.points_per_decade)?;
        let positive_f = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::InvalidParameter {
                    name,
                    value: v.to_string(),
                    expected: "a finite number > 0",
                })
            }
        };
        positive_f("step", self.step)?;
        positive_f("decay", self.decay_epochs)?;
        for &s in &self.sweep {
            positive_f("sweep step", s)?;
        }
        match self.samples.checked_mul(self.epochs) {
            Some(t) if t <= 100_000_000 => Ok(t),
            _ => Err(Error::InvalidParameter {
                name: "samples × epochs",
                value: format!("{} × {}", self.samples, self.epochs),
                expected: "at most 100000000 iterations per run",
            }),
        }
    }
}

/// The curves of one variant, one entry per checkpoint of [`SgdResult::iterations`].
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// The variant.
    pub variant: Variant,
    /// Legend label.
    pub label: String,
    /// ‖x_t − x*‖ across trials.
    pub distance: Vec<Spread>,
    /// Mean of f(x_t) − f(x*) across trials.
    pub excess_loss: Vec<f64>,
    /// Median iteration at which early stopping stopped (over the trials where it did).
    pub early_stop: Option<usize>,
    /// In how many trials early stopping stopped before the end.
    pub early_stops: usize,
    /// Root mean square ‖x − x*‖ over every iteration of the second half of the run, all
    /// runs together (the plateau).
    pub late_distance: f64,
    /// Root mean square ‖x − x*‖ at the last iteration.
    pub final_distance: f64,
}

/// The region of confusion for one constant step.
#[derive(Debug, Clone, Serialize)]
pub struct Plateau {
    /// The step η.
    pub step: f64,
    /// Measured root mean square distance over every iteration of the second half of the
    /// run: with, then without replacement.
    pub measured: [f64; 2],
    /// The small-step prediction √(η · tr((AᵀA)⁻¹ S)) (with replacement).
    pub predicted: f64,
}

/// Everything experiment 2 measured.
#[derive(Debug, Clone, Serialize)]
pub struct SgdResult {
    /// The parameters it ran with.
    pub config: SgdConfig,
    /// The checkpoints: iteration counts at which the traces were recorded.
    pub iterations: Vec<usize>,
    /// One trace per variant, in the order of [`SgdConfig::variants`].
    pub traces: Vec<Trace>,
    /// The region-of-confusion sweep, one entry per step of [`SgdConfig::sweep`].
    pub plateaus: Vec<Plateau>,
    /// ‖x*‖: the distance from the start x = 0.
    pub start_distance: f64,
    /// ‖x_true − x*‖: how far the least-squares fit is from the parameters that made the data.
    pub statistical_error: f64,
    /// The largest stable constant step, 1 / max ‖a_i‖².
    pub max_step: f64,
}

/// Runs experiment 2: draws the problem, runs every variant `trials` times (in parallel; the
/// result does not depend on the thread count) and the region-of-confusion sweep.
pub fn run(config: &SgdConfig) -> Result<SgdResult> {
    let total = config.validate()?;
    // Each run keeps two numbers per checkpoint and one per epoch: check before running.
    let runs = config
        .trials
        .saturating_mul(config.sweep.len().saturating_mul(2).saturating_add(4));
    let per_run = config
        .epochs
        .saturating_mul(3)
        .saturating_add(config.points_per_decade.saturating_mul(18))
        .saturating_add(2);
    stats::check_record_size(runs, per_run)?;
    let problem = Problem::random(
        config.samples,
        config.dim,
        config.validation,
        config.noise,
        config.seed,
    )?;
    let max_step = 1.0 / problem.max_row_norm2();
    for (name, s) in std::iter::once(("step", config.step))
        .chain(config.sweep.iter().map(|&s| ("sweep step", s)))
    {
        if s >= max_step {
            return Err(Error::UnstableStep {
                name,
                step: s,
                limit: max_step,
            });
        }
    }
    let gradient = SampleGradient::new(config.dim)?;
    let m = config.samples;
    let epoch_ends: Vec<usize> = (1..=config.epochs).map(|e| e * m).collect();
    let iterations = stats::checkpoints(total, config.points_per_decade, &epoch_ends);

    // Every (variant, trial) pair is an independent job with its own stream.
    let runs_of = |variants: &[Variant], stream0: u64| -> Result<Vec<Vec<Run>>> {
        let jobs: Vec<(usize, usize)> = (0..variants.len())
            .flat_map(|v| (0..config.trials).map(move |t| (v, t)))
            .collect();
        let flat: Vec<Run> = jobs
            .par_iter()
            .map(|&(v, t)| {
                let stream = stream0 + v as u64;
                let mut rng = StdRng::seed_from_u64(stats::trial_seed(config.seed, stream, t));
                run_sgd(
                    &problem,
                    variants[v],
                    config.epochs,
                    config.patience,
                    &iterations,
                    &mut gradient.clone(),
                    &mut rng,
                )
            })
            .collect::<Result<_>>()?;
        let mut it = flat.into_iter();
        Ok(variants
            .iter()
            .map(|_| it.by_ref().take(config.trials).collect())
            .collect())
    };
    let late_rms = |runs: &[Run]| {
        stats::mean(&runs.iter().map(|r| r.late_mean_square).collect::<Vec<_>>()).sqrt()
    };

    let variants = config.variants();
    let all_runs = runs_of(&variants, 1)?;
    let traces = variants
        .iter()
        .zip(&all_runs)
        .map(|(&variant, runs)| {
            let distance = (0..iterations.len())
                .map(|c| Spread::of(&runs.iter().map(|r| r.distance[c]).collect::<Vec<_>>()))
                .collect::<Vec<_>>();
            let excess_loss = (0..iterations.len())
                .map(|c| stats::mean(&runs.iter().map(|r| r.excess_loss[c]).collect::<Vec<_>>()))
                .collect();
            let stops: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.early_stop.map(|s| s.stop as f64))
                .collect();
            // Snap the median to the nearest epoch end, where the traces have a point.
            let early_stop = (!stops.is_empty()).then(|| {
                let med = stats::quantile(&stops, 0.5);
                ((med / m as f64).round() as usize).max(1) * m
            });
            let final_distance = distance.last().map(|s| s.rms).unwrap_or(0.0);
            Trace {
                variant,
                label: variant.label(),
                distance,
                excess_loss,
                early_stop,
                early_stops: stops.len(),
                late_distance: late_rms(runs),
                final_distance,
            }
        })
        .collect();

    let sweep_variants: Vec<Variant> = config
        .sweep
        .iter()
        .flat_map(|&s| {
            Strategy::ALL.map(|strategy| Variant {
                strategy,
                schedule: Schedule::Constant(s),
            })
        })
        .collect();
    let sweep_runs = runs_of(&sweep_variants, 100)?;
    let plateaus = config
        .sweep
        .iter()
        .enumerate()
        .map(|(i, &step)| Plateau {
            step,
            measured: [
                late_rms(&sweep_runs[2 * i]),
                late_rms(&sweep_runs[2 * i + 1]),
            ],
            predicted: problem.plateau_prediction(step),
        })
        .collect();

    let diff = &problem.x_true - &problem.x_star;
    Ok(SgdResult {
        config: config.clone(),
        iterations,
        traces,
        plateaus,
        start_distance: problem.x_star.dot(&problem.x_star).sqrt(),
        statistical_error: diff.dot(&diff).sqrt(),
        max_step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        let g = ndarray::array![[4.0, 2.0], [2.0, 3.0]];
        let x = cholesky_solve(&g, &ndarray::array![2.0, 1.0]).unwrap();
        // 4x + 2y = 2, 2x + 3y = 1  =>  x = 0.5, y = 0
        assert!((x[0] - 0.5).abs() < 1e-14 && x[1].abs() < 1e-14);
        assert!(cholesky_solve(&ndarray::array![[1.0, 1.0], [1.0, 1.0]], &x).is_none());
    }

    #[test]
    fn x_star_zeroes_the_full_gradient() {
        let p = Problem::random(60, 5, 10, 0.3, 4).unwrap();
        let g = p.a.t().dot(&(p.a.dot(&p.x_star) - &p.b));
        assert!(g.iter().all(|v| v.abs() < 1e-10), "{g}");
        assert!((p.loss(p.x_star.view()) - p.f_star).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_configs() {
        assert!(Problem::random(5, 5, 10, 0.1, 1).is_err());
        assert!(Problem::random(50, 5, 10, f64::NAN, 1).is_err());
        let bad_step = SgdConfig {
            step: 10.0,
            ..Default::default()
        };
        assert!(matches!(run(&bad_step), Err(Error::UnstableStep { .. })));
        let zero = SgdConfig {
            epochs: 0,
            ..Default::default()
        };
        assert!(matches!(run(&zero), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn gradient_rejects_wrong_dimension() {
        let mut g = SampleGradient::new(3).unwrap();
        let a = ndarray::array![1.0, 2.0];
        assert!(matches!(
            g.gradient(a.view(), 1.0),
            Err(Error::Chainplan(chainplan::Error::Exec(
                chainplan::error::ExecError::OperandShape { .. }
            )))
        ));
    }
}
