//! The lecture's two stochastic-gradient experiments, as seeded functions that return data.
//!
//! The lecture behind chainplan treats backpropagation as the reverse-mode (vector-left) order
//! of a Jacobian chain, and beside it proposes two experiments on stochastic gradient descent.
//! Both live here as library code, so that tests can check them and the `examples/` programs
//! (`cargo run --release --example sampling`, `--example sgd`) only parse flags and draw the
//! figures (`docs/sampling.svg`, `docs/sgd.svg`; the write-up is `docs/lecture.md`).
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

pub mod sampling;
pub mod sgd;
pub mod stats;
