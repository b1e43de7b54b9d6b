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
//! ## Features: BLAS is the final program's choice
//!
//! With default features the library compiles no command-line crate and links no system
//! library: products run on ndarray's own kernels (`matrixmultiply`). As with ndarray, BLAS is
//! one feature away and the *final program* picks the provider.
//!
//! | feature | what it does |
//! |---|---|
//! | *(none)* | ndarray's own kernels; builds anywhere Rust does |
//! | `blas` | products through BLAS (`ndarray/blas`); the final program adds a provider (below) and `extern crate blas_src;` |
//! | `lapack` | `blas`, plus the LAPACK routines of the generalized-chain executor (the provider must export them, as OpenBLAS does) |
//! | `openblas` | `blas` and `lapack` on an OpenBLAS the final program links itself (the Python module links the `scipy-openblas32` wheel's); [`system`] reports and sets its threads through OpenBLAS's C API |
//! | `openblas-system` | `openblas` linked to the system OpenBLAS (Debian: `libopenblas-dev`) through `blas-src`; what the `chainplan` binary and this repository's tests use |
//! | `pure-rust` | ndarray's own kernels, threaded (`matrixmultiply-threading`) |
//! | `report` | report tables, exporters, DOT, text formatting and atomic file writes, as the command-line tool and the Python module use them; not part of the core API |
//! | `benchmark` | `report`, plus the benchmark loop of `chainplan bench` (`exec::bench`) and the calibration harness (`exec::calibrate`); not part of the core API |
//!
//! The provider lines for the system OpenBLAS (Debian: `libopenblas-dev`), linked and not
//! compiled, as `tests/dependent-crate-openblas` uses them:
//!
//! ```toml
//! chainplan = { version = "0.1", features = ["blas"] }
//! ndarray = "0.17"
//! blas-src = { version = "0.14", features = ["openblas"], default-features = false }
//! openblas-src = { version = "0.10", features = ["cblas", "system"], default-features = false }
//! ```
//!
//! with `extern crate blas_src;` in the final program. For OpenBLAS built from source, the
//! same with `features = ["cblas", "static"]` on `openblas-src` (a C and Fortran compiler and
//! network access needed); `intel-mkl`, `netlib` and `accelerate` are other `blas-src`
//! providers.
//!
//! The `chainplan` command-line tool is the workspace member `cli/` (package
//! `chainplan-cli`); it enables `openblas-system`, so `cargo build` in this repository builds
//! it on OpenBLAS.
//!
//! ## Allocation
//!
//! An [`Executor`] allocates its workspace once, when created. After that,
//! [`Executor::run_into`] and [`Executor::run_factors_into`] make **no heap allocation** per
//! call with the `blas` feature, as long as the operands and the output have a layout BLAS
//! takes (standard or transposed, positive strides; vectors with any positive stride), as
//! `tests/alloc_free.rs` proves with a counting global allocator. An operand without such a
//! layout is copied once per call, and such an output is written through a temporary.
//! Without BLAS (default features or `pure-rust`), ndarray's `matrixmultiply` kernel
//! allocates one packing buffer in each matrix-matrix step; steps with a vector operand
//! (`gemv`, `dot`) allocate nothing, and the executor itself adds nothing (measured: 1
//! allocation per call for a plan with one matrix-matrix step, 0 for the all-vector plans).
//! [`multi_dot`] and [`multi_dot_into`] plan and size a workspace on every call.
//!
//! ## Layout
//!
//! - [`chain`]: validated dimensions and their parsing.
//! - [`plan`]: the plan type, and one module per planner ([`plan::dp`]; `plan::brute` with the
//!   feature `testing`);
//!   [`Algorithm`] selects one by name.
//! - [`plan::hu_shing`]: Hu and Shing's exact O(n log n) planner for chains of millions of
//!   matrices; [`plan::approx`]: their O(n) heuristic (within 1.155 × optimal);
//!   [`Algorithm::Auto`], the default, picks the DP or Hu–Shing by chain length.
//! - [`exec`]: executing plans on ndarray (f64, f32): shape checks, a workspace allocated
//!   once, vectors at the ends, writing into the caller's output, and [`multi_dot`].
//! - [`jacobian`]: Jacobian chains — forward, reverse and mixed modes, diagonal (activation)
//!   factors, matrix-free tangent and adjoint programs, and an MLP gradient as a chain.
//! - [`cost`]: cost models beyond flop counts — caps on intermediates, least memory, and
//!   predicted time from a measured GEMM profile ([`cost::Goal`], [`cost::TimeModel`]).
//! - [`handoff`]: the versioned plan format that other engines (Dask, Spark) execute.
//! - `report` (feature `report`): what commands report (plans, benchmarks, profiles),
//!   exporters and DOT output.
//! - [`autodiff`]: scalar expressions as computational graphs, differentiated in forward and
//!   reverse mode with counted operations (the `grad` command); its own error type.
//! - [`generalized`]: generalized chains with transposes, inverses (as solves) and structured
//!   operands, planned GMC-style and run on BLAS/LAPACK (the `expr` command); its own error
//!   type, `GenError`.
//! - [`error`]: the crate's error type [`Error`]: what every area shares (files, overflow,
//!   memory, shapes, parameters) and one enum per area, each converting into it with `?`:
//!   [`error::ChainError`], [`error::PlanError`], [`error::CostError`], [`error::ExecError`],
//!   [`error::JacobianError`], [`error::HandoffError`], `error::ReportError` (feature
//!   `report`), beside the engines' own `autodiff::Error` and `generalized::GenError`.
//! - `fsio`: safe file writes (temporary file, sync, atomic rename) for every file written.
//! - Small utilities: `text` (numbers and quoted input for people), [`system`] (BLAS,
//!   threads, CPU, usable memory), `table` (report tables and the `Report` trait), and the
//!   result type [`Product`] (a private module re-exported here and in [`exec`]).
//!
//! With default features the public API is the core: chains, plans and planners, cost models,
//! execution and [`multi_dot`], Jacobians, autodiff, generalized chains and the hand-off
//! format. The feature `report` makes public what the command-line tool and the Python module
//! share beyond it (`report`, `table`, `text`, `fsio`, the Jacobian and `grad` reports, BLAS
//! thread control); `benchmark` adds the benchmark and calibration harness.
//!
//! ## Layers
//!
//! The modules form layers; each refers (through `crate::` paths) only to its own layer and
//! those below, never back up, so each can be read and changed knowing only what is under it.
//! `tests/layers.rs` checks both rules on the sources, so a new circle fails `cargo test`.
//!
//! ```text
//!  report                    plan, benchmark and profile reports, exporters, DOT, hand-off
//!  jacobian                  Jacobian chains, matrix-free operators, MLPs
//!  exec                      executor, multi_dot; with `benchmark`: bench, calibrate
//!  cost                      goals, caps, memory sizes, the GEMM time model, PlanRequest
//!  handoff                   the versioned plan format
//!  plan                      plans and planners, with the DP's goals (plan::goal)
//!  chain                     validated dimensions
//!  fsio                      atomic file writes
//!  error                     Error and the per-area enums (ChainError, PlanError, …)
//!  autodiff   generalized    self-contained engines with their own error types
//!  table                     tables, cells, the Report trait
//!  text   system   product   formatting and quoting; machine facts; the Product result type
//! ```
//!
//! `error` sits above the two self-contained engines because [`Error`] converts their errors
//! (so that `?` works on them in a function returning [`Result`]); they in turn use only the
//! utilities, so the conversion closes no circle.
//!
//! The lecture's two SGD experiments are not part of the library: they live with the programs
//! that plot them, in `examples/lecture/` (`cargo run --example sampling`, `--example sgd`).
//!
//! ## Journeys
//!
//! Each journey is a runnable program under `examples/` as well
//! (`cargo run --example NAME`).
//!
//! ### Journey 1: plan a chain and execute it
//!
//! Build the chain from the operands (or from `usize` dimensions, or shapes), plan it, look
//! at the plan, and run it with an [`Executor`] into an output of
//! [`Executor::output_shape`]. `examples/plan_and_execute.rs`.
//!
//! ```
//! use chainplan::{Algorithm, Chain, Executor, Plan};
//! use ndarray::Array2;
//!
//! // The textbook chain: A1 is 30 × 35, A2 is 35 × 15, …, A6 is 20 × 25.
//! let dims = [30, 35, 15, 5, 10, 20, 25];
//! let ops: Vec<Array2<f64>> = dims
//!     .windows(2)
//!     .enumerate()
//!     .map(|(i, d)| Array2::from_shape_fn((d[0], d[1]), |(r, c)| ((r + 2 * c + i) % 7) as f64 - 3.0))
//!     .collect();
//!
//! let chain = Chain::from_operands(&ops)?; // checks that neighbours fit
//! assert_eq!(chain, Chain::new(dims)?);
//! let plan = Algorithm::default().plan(&chain)?; // Auto: exact
//! assert_eq!(plan.to_string(), "((A1(A2A3))((A4A5)A6))");
//! assert_eq!(plan.cost(), 15_125); // scalar multiplications, exact u128
//! assert_eq!(Plan::left_to_right(&chain)?.cost(), 40_500);
//!
//! // A plan is data: pairwise steps in execution order, shapes in usize.
//! let first = &plan.steps()[0];
//! assert_eq!((first.m, first.k, first.n), (35, 15, 5)); // A2 · A3
//!
//! // Execute: the workspace is allocated once, here.
//! let mut exec = Executor::<f64>::new(&plan)?;
//! let mut out = Array2::zeros(exec.output_shape());
//! exec.run_into(&ops, &mut out)?;
//!
//! // The same product as ndarray's left-to-right `dot` (small integers: exact).
//! let naive = ops[1..].iter().fold(ops[0].clone(), |acc, m| acc.dot(m));
//! assert_eq!(out, naive);
//!
//! // Shapes are checked before anything is multiplied, with a typed error.
//! let err = exec.run_into(&ops[..5], &mut out).unwrap_err();
//! assert_eq!(err.to_string(), "the plan multiplies 6 matrices but 5 operands were given");
//! # Ok::<(), chainplan::Error>(())
//! ```
//!
//! ### Journey 2: `multi_dot` with vectors, and an output buffer in a loop
//!
//! [`multi_dot`] takes 1-D and 2-D arrays, owned or views, in one slice, and follows numpy:
//! a 1-D first operand is a row vector, a 1-D last one a column vector, and the result is a
//! matrix, a vector or a scalar ([`Product`]). [`multi_dot_into`] writes into the caller's
//! array (numpy's `out=`). In a loop over same-shaped data, keep an [`Executor`] of the plan
//! and call [`Executor::run_factors_into`]: with BLAS it allocates nothing per call.
//! `examples/multi_dot_loop.rs`.
//!
//! ```
//! use chainplan::exec::plan_for_factors;
//! use chainplan::{multi_dot, multi_dot_into, AsFactor, Executor, Product};
//! use ndarray::{Array1, Array2};
//!
//! let w1 = Array2::<f64>::from_shape_fn((64, 128), |(i, j)| ((i + 3 * j) % 7) as f64 - 2.0);
//! let w2 = Array2::<f64>::from_shape_fn((128, 10), |(i, j)| ((2 * i + j) % 5) as f64 - 1.0);
//! let mut x = Array1::<f64>::ones(64);
//!
//! // One call, numpy-style: x·W1·W2 is a vector of 10 (planned: (x·W1)·W2).
//! let Product::Vector(once) = multi_dot(&[&x as &dyn AsFactor<_>, &w1, &w2.view()])? else { unreachable!() };
//! assert_eq!(once, x.dot(&w1).dot(&w2));
//!
//! // The same into a caller's buffer.
//! let mut y = Array1::<f64>::zeros(10);
//! multi_dot_into(&[&x as &dyn AsFactor<_>, &w1, &w2], &mut y)?;
//! assert_eq!(y, once);
//!
//! // A loop: plan and allocate once, then run into the same buffer.
//! let plan = plan_for_factors(&[&x as &dyn AsFactor<f64>, &w1, &w2])?;
//! let mut exec = Executor::<f64>::new(&plan)?;
//! let mut total = 0.0;
//! for t in 0..4 {
//!     x.fill(t as f64);
//!     let factors: [&dyn AsFactor<f64>; 3] = [&x, &w1, &w2];
//!     exec.run_factors_into(&factors, &mut y)?; // no heap allocation with BLAS
//!     total += y.sum();
//! }
//! assert_eq!(total, (0 + 1 + 2 + 3) as f64 * once.sum());
//!
//! // The output must have the result's exact shape, as numpy's out= requires.
//! let mut wrong = Array2::<f64>::zeros((1, 10));
//! assert!(multi_dot_into(&[&x as &dyn AsFactor<_>, &w1, &w2], &mut wrong).is_err());
//! # Ok::<(), chainplan::Error>(())
//! ```
//!
//! ### Journey 3: plan and run an MLP's gradient and full Jacobian (dense and structured)
//!
//! A network is its widths plus where its activations are; no width is repeated
//! ([`Activations`]). [`Mlp`] holds the user's own weights (or random ones), and
//! its Jacobian chains have dense weight factors and diagonal activation factors. A
//! structured plan reports its structured cost ([`Plan::cost`] is what its planner
//! minimised), and [`JacobianChain::execute`] runs any plan of the chain after checking every
//! factor (count, order output to input, shape, diagonal or dense), in `f64` or `f32`.
//! Each layer of an [`Mlp`] has its own activation (tanh hidden layers and a linear output by
//! default; identity, ReLU, sigmoid or the user's own: [`jacobian::Activation`]), and
//! [`Mlp::gradients`] gives the loss's gradients with respect to every weight and bias from the
//! prefixes of the gradient chain's reverse sweep. `examples/mlp_jacobian.rs`.
//!
//! ```
//! use chainplan::error::JacobianError;
//! use chainplan::jacobian::Mode;
//! use chainplan::{Activations, Error, JacobianChain, Mlp, Seed, StructuredFactor};
//! use ndarray::{Array1, Array2};
//!
//! // Planning alone: a 784-512-512-10 network with tanh after each hidden layer.
//! let mnist = JacobianChain::network(&[784, 512, 512, 10], Activations::Hidden, Seed::Output(1))?;
//! let a = mnist.analyze()?;
//! assert_eq!(a.mode, Mode::Reverse); // the gradient of a scalar: backpropagation
//! assert_eq!(a.optimal, 10 * 512 + 512 + 512 * 512 + 512 + 512 * 784);
//! assert_eq!(mnist.optimal_plan()?.cost(), a.optimal); // diagonals priced as diagonals
//! assert!(mnist.as_dense().optimal_plan()?.cost() > a.optimal); // as if they were dense
//!
//! // A small network of the user's own weights: 32 → 64 → 64 → 10.
//! let w = |m: usize, n: usize, s: usize| {
//!     Array2::from_shape_fn((m, n), |(i, j)| ((i * 7 + j * 3 + s) % 11) as f64 / 40.0 - 0.125)
//! };
//! let net = Mlp::from_weights(vec![w(64, 32, 1), w(64, 64, 2), w(10, 64, 3)], None)?;
//! let x = Array1::from_shape_fn(32, |i| i as f64 / 16.0 - 1.0);
//! let target = Array1::zeros(10);
//!
//! // The loss gradient: (y − t)ᵀ · W3 · D2 · W2 · D1 · W1, run in the optimal order.
//! let grad_chain = net.gradient_chain()?;
//! assert_eq!(grad_chain.network_widths(), [32, 64, 64, 10]);
//! let gradient = net.gradient(&x, &target, &grad_chain.optimal_plan()?)?;
//!
//! // The full Jacobian ∂y/∂x (10 × 32): structured, and with every factor stored dense.
//! let jc = net.jacobian_chain()?;
//! let plan = jc.optimal_plan()?;
//! let structured = jc.execute(&plan, net.jacobian_factors(&x)?)?.into_dense();
//! let dense_chain = jc.as_dense();
//! let dense_factors: Vec<StructuredFactor> = net
//!     .jacobian_factors(&x)?
//!     .into_iter()
//!     .map(|f| StructuredFactor::dense(f.into_dense()))
//!     .collect();
//! let dense = dense_chain.execute(&dense_chain.optimal_plan()?, dense_factors)?.into_dense();
//! assert_eq!(structured.dim(), (10, 32));
//! let close = |a: &Array2<f64>, b: &Array2<f64>| (a - b).iter().all(|d| d.abs() < 1e-12);
//! assert!(close(&structured, &dense));
//!
//! // The gradient is the residual times the Jacobian.
//! let residual = &net.output(&x)? - &target;
//! let from_jacobian = residual.dot(&structured);
//! assert!((&from_jacobian - &gradient).iter().all(|d| d.abs() < 1e-12));
//!
//! // A factor out of place is a typed error naming it.
//! let mut swapped = net.jacobian_factors(&x)?;
//! swapped.swap(0, 2); // W2 where W3 belongs
//! let err = jc.execute(&plan, swapped).unwrap_err();
//! assert!(matches!(err, Error::Jacobian(JacobianError::Factor { index: 1, .. })));
//! assert_eq!(err.to_string(), "factor 1 (J5) is 64 x 64 but the chain needs 10 x 64");
//! # Ok::<(), chainplan::Error>(())
//! ```
//!
//! ### Journey 4: run a matrix-free chain of your own operators
//!
//! When the elemental functions of a program are known only by their tangent (J·Ẋ, JVP) and
//! adjoint (Ȳ·J, VJP) programs, implement [`JacobianOperator`] for each (or wrap
//! closures in [`FnOperator`]), with their costs and tape sizes. chainplan plans
//! the cheapest accumulation of the Jacobian ([`MatrixFreeChain::optimal`], which
//! may preaccumulate some Jacobians, push tangents through others and pull adjoints back
//! through the rest, within a tape memory limit) and runs it on the operators.
//! `examples/matrix_free_jvp_vjp.rs`.
//!
//! ```
//! use chainplan::{FnOperator, JacobianOperator, MatrixFreeChain};
//! use ndarray::{Array1, Array2, ArrayView2, Axis};
//!
//! // y = W2 · tanh(W1 · x), x in R^4, y in R^3, at the point x0: three elementals.
//! let w1 = Array2::from_shape_fn((6, 4), |(i, j)| ((i + 2 * j) % 5) as f64 / 4.0 - 0.5);
//! let w2 = Array2::from_shape_fn((3, 6), |(i, j)| ((3 * i + j) % 7) as f64 / 6.0 - 0.5);
//! let x0 = Array1::from_vec(vec![0.5, -1.0, 0.25, 2.0]);
//! let slope = w1.dot(&x0).mapv(|z| 1.0 - z.tanh().powi(2)); // tanh' at W1·x0
//!
//! let column = slope.view().insert_axis(Axis(1));
//! let mut ops: Vec<Box<dyn JacobianOperator>> = vec![
//!     // F1: x ↦ W1·x. JVP W1·Ẋ, VJP Ȳ·W1; 24 multiply-adds per vector.
//!     Box::new(FnOperator::new(4, 6, |xd: ArrayView2<f64>| w1.dot(&xd), |yb: ArrayView2<f64>| yb.dot(&w1))),
//!     // F2: tanh, elementwise: JVP scales rows, VJP scales columns; its adjoint needs a tape.
//!     Box::new(
//!         FnOperator::new(6, 6, |xd: ArrayView2<f64>| &xd * &column, |yb: ArrayView2<f64>| &yb * &slope)
//!             .with_costs(6, 6)
//!             .with_tape(6),
//!     ),
//!     // F3: z ↦ W2·z.
//!     Box::new(FnOperator::new(6, 3, |xd: ArrayView2<f64>| w2.dot(&xd), |yb: ArrayView2<f64>| yb.dot(&w2))),
//! ];
//!
//! let chain = MatrixFreeChain::from_operators(&ops)?;
//! let plan = chain.optimal()?;
//! assert!(plan.total() <= chain.tangent_cost()?);
//! assert!(plan.total() <= chain.adjoint_cost()?.unwrap());
//! println!("{} costs {}", chain.plan_string(&plan), plan.total());
//!
//! // Run it: the 3 × 4 Jacobian of the whole program, from JVPs and VJPs only.
//! let jacobian = chain.execute(&plan, &mut ops)?;
//! let expected = w2.dot(&Array2::from_diag(&slope)).dot(&w1);
//! assert!((&jacobian - &expected).iter().all(|d| d.abs() < 1e-12));
//! # Ok::<(), chainplan::Error>(())
//! ```
#![warn(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) labels each item behind a feature with that feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "openblas-system")]
extern crate blas_src;

pub mod autodiff;
pub mod chain;
pub mod cost;
pub mod error;
pub mod exec;
#[cfg(feature = "report")]
pub mod fsio;
#[cfg(not(feature = "report"))]
mod fsio;
pub mod generalized;
pub mod handoff;
pub mod jacobian;
pub mod plan;
mod product;
#[cfg(feature = "report")]
pub mod report;
pub mod system;
#[cfg(feature = "report")]
pub mod table;
#[cfg(not(feature = "report"))]
mod table;
#[cfg(feature = "report")]
pub mod text;
#[cfg(not(feature = "report"))]
mod text;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// ndarray, the array crate of every operand and result: chainplan uses ndarray 0.17, and a
/// program that names its types through `chainplan::ndarray` uses the same version (a program
/// with its own ndarray line must ask for 0.17 too, or the arrays are of different types).
pub use ndarray;

pub use chain::Chain;
pub use cost::{PlanRequest, Planned};
pub use error::{Error, Result};
pub use exec::{multi_dot, multi_dot_into, AsFactor, Element, Executor, Factor, Product};
pub use jacobian::{
    Activations, FnOperator, JacobianOperator, MatrixFreeChain, Mlp, StructuredFactor,
};
pub use jacobian::{JacobianChain, Seed};
pub use plan::{Algorithm, Operand, Plan, Step};
