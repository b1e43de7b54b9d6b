//! # chainplan
//!
//! Find the cheapest order to multiply a chain of matrices, explain it, and compare it with
//! the orders people use without thinking: left to right, right to left, and the worst.
//!
//! ## The problem
//!
//! A chain A1 · A2 · … · An, where Ai is p(i-1) × pi, can be multiplied in Catalan(n − 1)
//! orders. They all give the same product but not the same work: multiplying an (m × k) by a
//! (k × n) matrix takes m·k·n scalar multiplications, and the orders of one chain can differ by
//! orders of magnitude.
//!
//! ## The cost recurrence
//!
//! With m\[i\]\[j\] the fewest scalar multiplications for Ai … Aj,
//!
//! ```text
//! m[i][i] = 0
//! m[i][j] = min over i ≤ k < j of  m[i][k] + m[k+1][j] + p(i-1)·p(k)·p(j)
//! ```
//!
//! [`plan::dp`] solves it in O(n³) time and O(n²) memory; `max` in place of `min` gives the
//! worst order. All costs are exact `u128` integers: dimensions are at most `u32::MAX`, so one
//! product costs below 2^96, and sums are checked, so a cost that cannot be represented is an
//! [`Error::Overflow`], never a wrapped number.
//!
//! ## Example
//!
//! ```
//! use chainplan::{Algorithm, Chain, Plan};
//!
//! // The textbook chain: A1 is 30 × 35, A2 is 35 × 15, …, A6 is 20 × 25.
//! let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
//! let best = Algorithm::Dp.plan(&chain)?;
//! assert_eq!(best.order(), "((A1(A2A3))((A4A5)A6))");
//! assert_eq!(best.cost(), 15_125);
//!
//! let naive = Plan::left_to_right(&chain)?;
//! assert_eq!(naive.cost(), 40_500);
//!
//! // A plan is data: pairwise steps in execution order.
//! let first = &best.steps()[0];
//! assert_eq!((first.m, first.k, first.n), (35, 15, 5)); // A2 · A3
//! # Ok::<(), chainplan::Error>(())
//! ```
//!
//! ## Layout
//!
//! - [`chain`]: validated dimensions and their parsing.
//! - [`plan`]: the plan type, and one module per planner ([`plan::dp`], [`plan::brute`]);
//!   [`Algorithm`] selects one by name.
//! - [`plan::hu_shing`]: Hu and Shing's exact O(n log n) planner for chains of millions of
//!   matrices; [`plan::approx`]: their O(n) heuristic (within 1.155 × optimal);
//!   [`Algorithm::Auto`], the default, picks the DP or Hu–Shing by chain length.
//! - [`exec`]: executing plans on BLAS-backed ndarray (f64, f32): shape checks, a workspace
//!   allocated once, vectors at the ends, `execute_into`, and [`exec::multi_dot`].
//! - [`jacobian`]: Jacobian chains — forward, reverse and mixed modes, diagonal (activation)
//!   factors, matrix-free tangent and adjoint programs, and an MLP gradient as a chain.
//! - [`cost`]: cost models beyond flop counts — caps on intermediates, least memory, and
//!   predicted time from a measured GEMM profile ([`cost::Goal`], [`cost::TimeModel`]).
//! - [`report`]: what commands report, as tables and JSON, with exporters and DOT output.
//!   [`report::handoff`] is the versioned plan format that other engines (Dask, Spark) execute.
//! - [`autodiff`]: scalar expressions as computational graphs, differentiated in forward and
//!   reverse mode with counted operations (the `grad` command).
//! - [`error`]: the one error type, [`Error`].
//! - [`fsio`]: safe file writes (temporary file, sync, atomic rename) for every file written.
//! - [`lecture`]: the lecture's two SGD experiments (sampling with or without replacement,
//!   SGD's region of confusion), seeded and returning data for the `examples/` plots.
//!
//! ## BLAS
//!
//! The default feature `blas` links the system OpenBLAS (Debian: `libopenblas-dev`) through
//! `blas-src`; the feature `pure-rust` uses ndarray's own kernels instead
//! (`cargo build --no-default-features --features pure-rust`).

#![warn(missing_docs)]

#[cfg(feature = "openblas-system")]
extern crate blas_src;

pub mod autodiff;
pub mod chain;
pub mod cost;
pub mod error;
pub mod exec;
pub mod fsio;
pub mod jacobian;
pub mod lecture;
pub mod plan;
pub mod report;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use chain::Chain;
pub use error::{Error, Result};
pub use plan::{Algorithm, Plan};
