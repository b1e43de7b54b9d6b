//! The lecture's two stochastic-gradient experiments, as seeded functions that return data.
//!
//! The lecture behind chainplan treats backpropagation as the reverse-mode (vector-left) order
//! of a Jacobian chain, and beside it proposes two experiments on stochastic gradient descent.
//! They use the library but are not part of it: this module is shared by the two programs
//! (`cargo run --release --example sampling`, `--example sgd`), which parse flags and draw the
//! figures (`docs/sampling.svg`, `docs/sgd.svg`; the write-up is `docs/lecture.md`), and its
//! tests (`tests.rs`, included by the `sgd` program) run with `cargo test` (the examples are
//! declared with `test = true`). Not an example
//! itself: cargo only builds `examples/*.rs` and `examples/*/main.rs`.
//!
//! - [`sampling`]: estimate the mean of N numbers by a running average of samples drawn with
//!   or without replacement. With replacement the error decays like 1/√k; without
//!   replacement the average is exact after every epoch, and between epochs the error
//!   envelope decays like 1/k.
//! - [`sgd`]: stochastic gradient descent on a noisy least-squares problem. A constant step
//!   makes fast progress and then wanders in a "region of confusion" around the minimiser x*
//!   whose size grows with the step; a decreasing step keeps closing in. Each per-sample
//!   gradient is computed by chainplan's own reverse mode: the left-to-right plan of the
//!   sample loss's Jacobian chain, executed.
//! - [`stats`]: checkpoints on a log scale and summaries across trials.
//!
//! Every experiment takes a seed; trial `t` draws from its own stream derived from it
//! ([`stats::trial_seed`]), so results are reproducible and independent of the thread count.

// Each program uses part of the module.
#![allow(dead_code)]

pub mod sampling;
pub mod sgd;
pub mod stats;

/// What can go wrong in an experiment: a parameter out of range, a step too large to
/// converge, or an error of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A numeric parameter of an experiment is outside its valid range.
    #[error("{name} is {value}; it must be {expected}")]
    InvalidParameter {
        /// The parameter's name, as the user wrote it (for example `epochs`).
        name: &'static str,
        /// The value given.
        value: String,
        /// The valid range, in words (for example `at least 1`).
        expected: &'static str,
    },

    /// A constant SGD step too large for the iteration to contract.
    #[error(
        "{name} {step} is too large: steps must stay below 1/max‖a_i‖² = {limit:.4} \
         for the per-sample updates to contract"
    )]
    UnstableStep {
        /// Which step (`step` or `sweep step`).
        name: &'static str,
        /// The step given.
        step: f64,
        /// The limit 1/max‖a_i‖² for the data drawn.
        limit: f64,
    },

    /// An error of the library (planning or executing the gradient chain).
    #[error(transparent)]
    Chainplan(#[from] chainplan::Error),
}

/// Shorthand for results whose error is the experiments' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
