//! Generalized matrix chains: products with transposes, inverses and structured operands,
//! planned in the manner of the Generalized Matrix Chain algorithm (Barthels, Copik,
//! Bientinesi, CGO 2018) and executed on BLAS and LAPACK.
//!
//! Least squares is `inv(X' * X) * X' * y`. Written literally it forms an explicit inverse;
//! an expert writes `solve(X'X, X'y)`; the cheapest evaluation computes XᵀX with syrk (it is
//! symmetric), factors it by Cholesky (it is SPD since X has full column rank), multiplies
//! Xᵀy first (a vector), and solves. This module finds such evaluations for any chain:
//!
//! ```
//! use chainplan::generalized::{plan, CostModel, Expression, Kernel, Operand};
//! use chainplan::Product;
//! use ndarray::{Array1, Array2};
//!
//! let ops = [Operand::parse("X=2500x500:fullrank")?, Operand::parse("y=2500x1")?];
//! let expr = Expression::parse("inv(X' * X) * X' * y", &ops)?;
//! let best = plan(&expr, &CostModel::planned())?;
//! let kernels: Vec<Kernel> = best.steps().iter().map(|s| s.kernel()).collect();
//! assert_eq!(kernels, [Kernel::Syrk, Kernel::Gemv, Kernel::Potrf, Kernel::Potrs]);
//! assert!(!best.has_explicit_inverse());
//!
//! let naive = plan(&expr, &CostModel::naive())?;
//! assert!(naive.cost().thirds() > 4 * best.cost().thirds());
//!
//! // Execute it: arrays bound by name, a 1-D y gives a 1-D β. Here y = X·β₀ exactly.
//! let x = Array2::from_shape_fn((2500, 500), |(i, j)| if i % 500 == j { 1.0 } else { 0.01 * ((i * j) % 7) as f64 });
//! let beta0 = Array1::from_shape_fn(500, |j| j as f64 / 500.0);
//! let y = x.dot(&beta0);
//! let Product::Vector(beta) = best.execute(&[("X", (&x).into()), ("y", (&y).into())])? else {
//!     unreachable!("a 1-D y gives a 1-D result")
//! };
//! assert!(beta.iter().zip(&beta0).all(|(a, b)| (a - b).abs() < 1e-10));
//! # Ok::<(), chainplan::generalized::GenError>(())
//! ```
//!
//! ## Pieces
//!
//! - [`operand`]: operands with a shape and declared properties (general, symmetric, SPD,
//!   lower, upper, diagonal, orthogonal, full rank); `--op` syntax `X=2500x500:fullrank`.
//! - [`expr`]: parsing (`'` or `^T`, `inv(…)` nested, `^-1`, `^-T`), normalisation
//!   (transposes pushed to the operands, inverses distributed over square nonsingular
//!   products), and property inference over whole sub-chains.
//! - [`cost`]: the kernels and their exact flop counts in units of ⅓ flop, and the
//!   [`CostModel`] that parameterises the DP (planned, expert, naive).
//! - `menu` (crate-internal): the kernel menu, which kernels (and specialisations: gemv,
//!   trsv, shared factorizations) can combine two held values and at what exact cost; the
//!   one interface the DP, lowering and the brute force all price through.
//! - [`planner`]: the DP over sub-chains × lazy forms × menu choices, and lowering, which
//!   emits exactly the steps the DP chose; [`plan`] returns a [`GenPlan`].
//! - `text` (crate-internal): the text of plans (the order with `inv!` for explicit
//!   inverses, what each step computes).
//! - [`steps`]: [`GenPlan`], a list of kernel [`Step`]s with the expression it was planned
//!   for; read-only, `Display`, and `Serialize`/`Deserialize` (a plan read back is validated).
//! - `brute` (feature `testing`): brute force over every parenthesization × kernel × form,
//!   the tests' oracle.
//! - [`execute`]: running plans ([`GenPlan::execute`]) on faer (pure Rust, the default) or
//!   the system BLAS/LAPACK (feature `lapack`), random operands with the declared properties,
//!   and (feature `testing`) the naive oracle.
//! - `random` (feature `testing`): a seeded generator of random chains in the CGO'18 style.
//! - [`report`]: [`ExprReport`], the `expr` command's report.
//!
//! ## Names
//!
//! [`Operand`], [`Step`], [`CostModel`] and [`plan`] share their names with items of the
//! core chain planner ([`crate::plan::Operand`], [`crate::plan::Step`],
//! [`crate::cost::CostModel`], the [`crate::plan`] module). They are kept, and this module's path is their prefix: write
//! `generalized::Operand`, `generalized::plan`, or import them under the module
//! (`use chainplan::generalized;`) when the core's are in scope too.
//!
//! ## Kernels and flop counts
//!
//! | kernel | computes | flops |
//! |---|---|---|
//! | gemm / gemv | op(A)·op(B), (m×k)(k×n) | 2mkn |
//! | symm | S·B with S symmetric | 2mkn |
//! | trmm | L·B, L t×t triangular | t²k |
//! | syrk | XᵀX or XXᵀ, n×n from inner k | n(n+1)k |
//! | diag-scale | D·B or B·D | mn (n for D·D) |
//! | trsm / trsv | L⁻¹B (or U⁻ᵀB, U a Cholesky factor) | t²k |
//! | diag-solve | D⁻¹B | mn |
//! | potrf | Cholesky of n×n | n³/3 |
//! | potrs | with Cholesky factor, k columns | 2n²k |
//! | getrf | LU of n×n | 2n³/3 |
//! | getrs | with LU, k columns | 2n²k |
//! | sytrf | Bunch–Kaufman LDLᵀ of a symmetric (indefinite) n×n | n³/3 |
//! | sytrs | with it, k columns | 2n²k |
//! | trtri | explicit triangular inverse | n³/3 |
//! | potri | explicit inverse from Cholesky | 2n³/3 |
//! | getri | explicit inverse from LU | 4n³/3 |
//! | sytri | explicit inverse from Bunch–Kaufman | 2n³/3 |
//! | diag-inv | explicit diagonal inverse | n |
//! | transpose | Qᵀ for Q⁻¹ (orthogonal), a copy | 0 |
//!
//! A sub-chain Bᵀ·B (its left half the right half B transposed, factor by factor) can be
//! syrk of B's value, k(k+1)n for B n×k; Bᵀ·M⁻¹·B with M SPD can be potrf(M) = UᵀU (shared
//! with every other use of M's factor), W = U⁻ᵀB by trsm (n²k) and syrk(W): GLS's Xᵀ·M⁻¹·X;
//! Bᵀ·M·B likewise with W = U·B by trmm.
//!
//! The counts are the leading terms of LAPACK Working Note 41 (Blackford and Dongarra,
//! *Installation Guide for LAPACK*, its table of operation counts): multiplications plus
//! additions. A solve with an inverted matrix reads its factorization: Cholesky for an SPD
//! one, Bunch–Kaufman for one declared symmetric (and nonsingular) but not SPD — half LU's
//! flops, and its pivots keep an indefinite matrix stable — and LU otherwise; an explicit
//! inverse uses the same factorization (potri, sytri, getri).
//!
//! Costs are counted in units of ⅓ flop (`u128`, checked): potrf of n = 500 is exactly
//! 125,000,000 units, 41,666,666⅔ flops.
//!
//! ## Properties inferred over sub-chains
//!
//! | sub-chain | property |
//! |---|---|
//! | L₁·L₂ (all lower) | lower (upper, diagonal, orthogonal likewise) |
//! | Aᵀ·S·A, B·Bᵀ (reads the same transposed) with S symmetric | symmetric |
//! | the same with S SPD (or no middle) and the right half of full column rank | SPD |
//! | XᵀX, X full column rank | SPD |
//! | factors all of full column rank (or all of full row rank) | full rank |
//! | inv(T), T triangular | triangular, same side |
//! | inv(Q), Q orthogonal | orthogonal: applied as Qᵀ |
//! | Aᵀ | lower and upper swap |
//!
//! Execution runs in every build with the default features: on faer (feature `faer`, pure
//! Rust), or, with the feature `lapack` (on by `openblas-system`, which the CLI uses), on the
//! system BLAS and LAPACK, which [`GenPlan::execute`] then prefers; [`Backend`] picks one.
//! A plan carries its expression, so it runs only on arrays of the declared shapes, and each
//! kernel call checks its dimensions against its buffers first.

#[cfg(any(test, feature = "testing"))]
pub mod brute;
pub mod cost;
pub mod execute;
pub mod expr;
mod menu;
pub mod operand;
pub mod planner;
pub mod program;
#[cfg(any(test, feature = "testing"))]
pub mod random;
pub mod report;
pub mod steps;
mod text;

pub use cost::{CostModel, Kernel};
pub use execute::{Backend, Input};
pub use expr::Expression;
pub use operand::{Operand, Properties};
pub use planner::plan;
pub use program::{Program, ProgramPlan, ScalarDecl};
pub use report::ExprReport;
pub use steps::{Arg, Flops, GenPlan, Side2, Step, Value};

/// Everything that can go wrong with a generalized chain. Messages name the operand.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// The expression does not parse.
    #[error("syntax error at column {column}: {message}")]
    Syntax {
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong.
        message: String,
    },

    /// A cost model's name is not one of `planned`, `expert`, `naive`.
    #[error(
        "cost model {} is not one of planned, expert, naive",
        crate::text::quote(name)
    )]
    UnknownModel {
        /// The name given.
        name: String,
    },

    /// An operand declaration does not parse.
    #[error("operand {}: {reason}", crate::text::quote(spec))]
    BadOperand {
        /// The declaration as given (shortened).
        spec: String,
        /// What is wrong.
        reason: String,
    },

    /// A property name is not known.
    #[error("operand {operand}: unknown property {}; the properties are: {known}", crate::text::quote(property), known = operand::PROPERTY_NAMES)]
    UnknownProperty {
        /// The operand.
        operand: String,
        /// The unknown word.
        property: String,
    },

    /// Properties that cannot hold together.
    #[error("operand {operand}: contradictory properties: {reason}")]
    ContradictoryProperties {
        /// The operand.
        operand: String,
        /// Why.
        reason: String,
    },

    /// Two declarations of one name.
    #[error("operand {name} is declared more than once")]
    DuplicateOperand {
        /// The name.
        name: String,
    },

    /// The expression uses an undeclared name.
    #[error("operand {name} (column {column}) is not declared; declared: {declared}")]
    UnknownOperand {
        /// The name.
        name: String,
        /// 1-based column of its use.
        column: usize,
        /// The declared names.
        declared: String,
    },

    /// Adjacent factors do not chain.
    #[error("shapes do not chain: {left} is {left_shape} but {right} is {right_shape}")]
    ShapeMismatch {
        /// The left factor.
        left: String,
        /// Its shape.
        left_shape: String,
        /// The right factor.
        right: String,
        /// Its shape.
        right_shape: String,
    },

    /// The inverse of a non-square matrix.
    #[error("cannot invert {operand}: it is {rows}x{cols}, not square")]
    InverseNotSquare {
        /// The operand or sub-chain.
        operand: String,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },

    /// The inverse of a matrix not known to be nonsingular.
    #[error("cannot invert {operand}: {hint}")]
    InverseNotNonsingular {
        /// The operand or sub-chain.
        operand: String,
        /// What to declare.
        hint: String,
    },

    /// A cost does not fit 128 bits.
    #[error("{what} overflows 128-bit arithmetic")]
    Overflow {
        /// What was being counted.
        what: &'static str,
    },

    /// The model allows no evaluation (cannot happen for the three built-in models).
    #[error("the {model} cost model finds no evaluation of this expression")]
    NoPlan {
        /// The model.
        model: &'static str,
    },

    /// The build has no kernel backend for execution (or not the one asked for).
    #[error("this build has no such kernel backend; build chainplan with the feature faer (the default) or lapack (or openblas-system) to execute generalized chains")]
    NoBackend,

    /// A kernel was given arguments whose dimensions do not fit together or its buffers: a
    /// plan that does not match its operands (checked before the call; nothing ran).
    #[error("{routine}: arguments do not fit: {reason}")]
    KernelArgs {
        /// The routine.
        routine: &'static str,
        /// What does not fit.
        reason: String,
    },

    /// A plan (read from JSON, say) that is not well formed for its expression.
    #[error("invalid plan{}: {reason}", step.map_or(String::new(), |s| format!(" at step S{s}")))]
    InvalidPlan {
        /// The 1-based step, when one is at fault.
        step: Option<usize>,
        /// What is wrong.
        reason: String,
    },

    /// An operand's array violates its declared property (symmetric, SPD's symmetry, lower,
    /// upper, diagonal).
    #[error("operand {operand} is declared {property} but is not: {detail}")]
    PropertyViolated {
        /// The operand.
        operand: String,
        /// The declared property.
        property: &'static str,
        /// Where it fails.
        detail: String,
    },

    /// An array bound to a name that is not an operand, bound twice, or an operand left
    /// unbound.
    #[error("operand {}: {reason}", crate::text::quote(name))]
    Binding {
        /// The name.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// Arrays of two element types in one call, or of a type other than the one the call
    /// runs in: names the operands of each type.
    #[error("operands must all be {expected} in this call: {other} {is} {given}{rest}",
        is = if other.contains(", ") { "are" } else { "is" },
        rest = if matching.is_empty() { String::new() } else { format!(" but {matching} {}", if matching.contains(", ") { "are" } else { "is" }) + " " + expected })]
    ElementType {
        /// The element type the call runs in (`f64` or `f32`).
        expected: &'static str,
        /// The operands of that type, comma-separated.
        matching: String,
        /// The other element type given.
        given: &'static str,
        /// The operands of the other type, comma-separated.
        other: String,
    },

    /// Execution was given operands that do not match the expression.
    #[error("operand {operand} is {got}; the expression declares it {expected}")]
    OperandMismatch {
        /// The operand.
        operand: String,
        /// Its declared shape.
        expected: String,
        /// What was given.
        got: String,
    },

    /// A LAPACK routine failed (a matrix declared SPD is not, or is singular).
    #[error("{routine} failed on {operand} (info {info}): {meaning}")]
    Lapack {
        /// The routine.
        routine: &'static str,
        /// What it was applied to.
        operand: String,
        /// LAPACK's info.
        info: i32,
        /// What that means.
        meaning: &'static str,
    },

    /// A program (assignments with sums, scalars and `I`) that does not parse or check: the
    /// line and column (1-based, in characters) where it fails, and why.
    #[error("line {line}, column {column}: {reason}")]
    Program {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong.
        reason: String,
    },

    /// A scalar declaration that does not parse, or a scalar value at run time that is
    /// missing, unknown, given twice, not finite, or of the wrong sign.
    #[error("scalar {}: {reason}", crate::text::quote(name))]
    Scalar {
        /// The scalar's name (or the declaration as given).
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// Operands too large to generate or hold, or an expression with too many factors.
    #[error("{what} has {elements} elements (or factors), over the limit of {limit}")]
    TooLarge {
        /// What.
        what: String,
        /// Elements needed.
        elements: u128,
        /// The limit.
        limit: u128,
    },
}
