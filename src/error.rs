//! The crate's error type, [`Error`], and one error enum per area, each converting into it
//! with `?` (`From`):
//!
//! | area | enum | what goes wrong |
//! |---|---|---|
//! | chains | [`ChainError`] | too few dimensions, zero, too large, not numbers, empty fields |
//! | plans and planners | [`PlanError`] | tables too large, orders, plans that do not fit, goals, caps |
//! | cost models | [`CostError`] | least gains, memory sizes, element types, timing profiles |
//! | execution | [`ExecError`] | operands and outputs that do not fit; benchmarks and calibration |
//! | Jacobians | [`JacobianError`] | layer lists, widths, seeds, factors, operators, networks |
//! | hand-off format | [`HandoffError`] | malformed plans, unsupported versions |
//! | reports | `ReportError` | export formats (feature `report`) |
//! | expressions | [`crate::autodiff::Error`] | parsing, points, domains |
//! | generalized chains | [`crate::generalized::GenError`] | operands, properties, kernels |
//!
//! What every area shares stays on [`Error`] itself: files that cannot be read or written,
//! overflow of exact arithmetic, allocation failures, operands whose shapes do not multiply,
//! and numeric parameters out of range. A caller that only reports an error prints it; one
//! that reacts to a kind matches through the area:
//! `Error::Plan(PlanError::NoPlanFits { smallest, .. })`.
//!
//! Every variant carries the offending data, so that a message can name the problem
//! ("dimension 3 is 0; every dimension must be at least 1") without the caller having to
//! reconstruct it. There is no catch-all: each failure has its own variant, and the enums are
//! `#[non_exhaustive]`, so new variants are not breaking changes. Messages speak of the
//! library's parameters (`rounds`, `seconds_per_shape`); the command-line tool prints them as
//! they are, except where it maps a parameter to the flag that set it.

use std::fmt;
use std::path::PathBuf;

use crate::text::{number, quote, quote_path};

/// Everything that can go wrong in chainplan: the errors every area shares (files,
/// overflow, memory, shapes, parameters) as variants of their own, and each area's errors in
/// that area's enum, converted with `?` (`From`).
///
/// ```
/// use chainplan::error::{ChainError, Error};
/// let err = chainplan::Chain::new([3, 0, 4]).unwrap_err();
/// assert!(matches!(err, Error::Chain(ChainError::DimensionTooSmall { position: 2, .. })));
/// assert_eq!(err.to_string(), "dimension 2 is 0; every dimension must be at least 1");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input file could not be read.
    #[error("cannot read {}: {source}", quote_path(path))]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A file could not be written (its old contents, if any, are kept; files are written to a temporary file beside them and renamed).
    #[error("cannot write {}: {source}", quote_path(path))]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A cost or size cannot be represented exactly in the integer type used.
    #[error("{what} overflows {bits}-bit arithmetic")]
    Overflow {
        /// What was being computed.
        what: &'static str,
        /// The width of the type that overflowed.
        bits: u32,
    },

    /// Memory for an array could not be allocated.
    #[error("cannot allocate {bytes} bytes for {what}")]
    OutOfMemory {
        /// What the memory was for.
        what: &'static str,
        /// Bytes requested.
        bytes: u128,
    },

    /// Two operands of a product have incompatible shapes.
    #[error(
        "cannot multiply {lhs} ({lhs_rows} x {lhs_cols}) by {rhs} ({rhs_rows} x {rhs_cols}): \
         inner dimensions {lhs_cols} and {rhs_rows} differ"
    )]
    ShapeMismatch {
        /// Name of the left operand (for example `A2` or `step 3`).
        lhs: String,
        /// Rows of the left operand.
        lhs_rows: usize,
        /// Columns of the left operand.
        lhs_cols: usize,
        /// Name of the right operand.
        rhs: String,
        /// Rows of the right operand.
        rhs_rows: usize,
        /// Columns of the right operand.
        rhs_cols: usize,
    },

    /// A numeric parameter (of an experiment, for example) is outside its valid range.
    #[error("{name} is {value}; it must be {expected}")]
    InvalidParameter {
        /// The parameter's name, as the user wrote it (for example `epochs`).
        name: &'static str,
        /// The value given.
        value: String,
        /// The valid range, in words (for example `at least 1`).
        expected: &'static str,
    },

    /// Dimensions that do not make a chain ([`crate::chain`]).
    #[error(transparent)]
    Chain(#[from] ChainError),

    /// Orders, plans and planners ([`crate::plan`]), and plan requests.
    #[error(transparent)]
    Plan(#[from] PlanError),

    /// Cost models: goals, memory sizes, timing profiles ([`crate::cost`]).
    #[error(transparent)]
    Cost(#[from] CostError),

    /// Executing plans, benchmarks and calibration ([`crate::exec`]).
    #[error(transparent)]
    Exec(#[from] ExecError),

    /// Jacobian chains, matrix-free chains and MLPs ([`crate::jacobian`]).
    #[error(transparent)]
    Jacobian(#[from] JacobianError),

    /// The hand-off plan format ([`crate::handoff`]).
    #[error(transparent)]
    Handoff(#[from] HandoffError),

    /// Reports and their exporters (feature `report`).
    #[cfg(feature = "report")]
    #[error(transparent)]
    Report(#[from] ReportError),

    /// A scalar expression that does not parse, a bad point, or a domain error
    /// ([`crate::autodiff`]).
    #[error(transparent)]
    Expression(#[from] crate::autodiff::Error),

    /// A generalized chain that is malformed or cannot be planned or run
    /// ([`crate::generalized`]).
    #[error(transparent)]
    Generalized(#[from] crate::generalized::GenError),

    /// A report could not be serialised to JSON.
    #[error("cannot serialise report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Dimensions that do not make a chain: too few, zero, too large, not numbers, empty fields.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// A chain needs at least two dimensions (one matrix).
    #[error("a chain needs at least 2 dimensions (1 matrix), got {got}")]
    TooFewDimensions {
        /// How many dimensions were given.
        got: usize,
    },

    /// A dimension is zero or negative.
    #[error("dimension {position} is {value}; every dimension must be at least 1")]
    DimensionTooSmall {
        /// 1-based position of the dimension in the input (p0 is position 1).
        position: usize,
        /// The value given.
        value: i128,
    },

    /// A dimension does not fit the supported range.
    #[error(
        "dimension {position} is {}; dimensions must be at most {max}",
        number(value)
    )]
    DimensionTooLarge {
        /// 1-based position of the dimension in the input.
        position: usize,
        /// The value given, as written.
        value: String,
        /// The largest supported dimension.
        max: u64,
    },

    /// A token of the input is not a whole number.
    #[error(
        "dimension {position} is {}, which is not a whole number",
        quote(token)
    )]
    NotANumber {
        /// 1-based position of the token among the dimensions.
        position: usize,
        /// The token as written.
        token: String,
    },

    /// A field between two separators is empty (`3,,4`), or an argument is empty.
    #[error("dimension {position} is empty; remove the extra comma or give a value")]
    EmptyField {
        /// 1-based position the empty field stands at among the dimensions.
        position: usize,
    },
}

/// What goes wrong with orders, plans and planners: a chain too long for a planner's tables, an
/// order that does not parse, a plan that does not fit, a goal a planner cannot honour, a cap no
/// order meets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The chain is too long for the memory the chosen algorithm needs.
    #[error(
        "a chain of {matrices} matrices needs about {needed_bytes} bytes of tables for the {algorithm} planner, \
         over the limit of {limit_bytes} bytes; {suggestion}"
    )]
    ChainTooLong {
        /// Number of matrices in the chain.
        matrices: usize,
        /// The planner that refused.
        algorithm: &'static str,
        /// Estimated memory the planner would need.
        needed_bytes: u128,
        /// The limit in force.
        limit_bytes: u128,
        /// What to do instead.
        suggestion: &'static str,
    },

    /// An order string (such as `((A1A2)A3)`) could not be parsed.
    #[error("cannot parse order {} at character {column}: {reason}", quote(order))]
    BadOrder {
        /// The whole order string.
        order: String,
        /// 1-based character column of the problem.
        column: usize,
        /// What was wrong.
        reason: String,
    },

    /// A plan does not fit the chain it is used with.
    #[error("the plan is for {plan} matrices but the chain has {chain}")]
    PlanChainMismatch {
        /// Matrices the plan multiplies.
        plan: usize,
        /// Matrices in the chain.
        chain: usize,
    },

    /// A planner name that chainplan does not know.
    #[error("unknown algorithm {}; valid algorithms are: {valid}", quote(name))]
    UnknownAlgorithm {
        /// The name given.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },

    /// No order keeps every intermediate within the requested cap.
    #[error(
        "no order keeps every intermediate within {cap} elements; \
         the smallest cap that some order meets is {smallest} elements"
    )]
    NoPlanFits {
        /// The cap given, in elements.
        cap: u128,
        /// The smallest largest-intermediate over all orders: the least cap that would fit.
        smallest: u128,
    },

    /// No order keeps every intermediate within a cap given in bytes.
    #[error(
        "no order keeps every intermediate within {max_bytes} bytes of {element_type}; \
         the least that some order needs is {least_bytes} bytes"
    )]
    NoPlanFitsMemory {
        /// The cap given, in bytes.
        max_bytes: u128,
        /// The element type the cap counts (`f64`, `f32`).
        element_type: &'static str,
        /// The bytes of the smallest largest intermediate over all orders.
        least_bytes: u128,
    },

    /// A goal beyond the fewest flops (a time model, a cap, least memory) asked of a planner
    /// that cannot honour it.
    #[error(
        "{algorithm} cannot plan by time, within a cap on intermediates or for least memory; \
         those need the exact planner dp (or auto)"
    )]
    NeedsExactPlanner {
        /// The planner asked for.
        algorithm: &'static str,
    },

    /// A least gain given for a request that does not plan by time.
    #[error("the least gain applies to plans by predicted time; plan by time or drop it")]
    MinGainWithoutTime,

    /// A name for what to minimise that is neither `cost` nor `memory`.
    #[error("minimize is {}; it must be 'cost' or 'memory'", quote(name))]
    UnknownMinimize {
        /// The name given.
        name: String,
    },

    /// Structure flags (one per matrix: diagonal or dense) of the wrong length.
    #[error("the structure flags has {got} entries but the chain has {expected} layers")]
    StructureLength {
        /// Flags given.
        got: usize,
        /// Matrices in the chain.
        expected: usize,
    },

    /// A matrix marked diagonal that is not square.
    #[error("matrix {matrix} is marked diagonal but is {rows} x {cols}, not square")]
    DiagonalNotSquare {
        /// 1-based position of the matrix.
        matrix: usize,
        /// Its rows.
        rows: usize,
        /// Its columns.
        cols: usize,
    },

    /// A split function that chose a split outside the sub-chain it splits.
    #[error("split {split} is outside the sub-chain {first}..={last}")]
    SplitOutside {
        /// The split given (0-based: the left part ends at matrix `split`).
        split: usize,
        /// 0-based first matrix of the sub-chain.
        first: usize,
        /// 0-based last matrix of the sub-chain.
        last: usize,
    },

    /// A stored plan whose stated cost is not the cost of its order.
    #[error("the plan's cost is {stated} but its order {order} costs {actual}")]
    CostMismatch {
        /// The cost the plan states.
        stated: u128,
        /// The plan's order.
        order: String,
        /// What the order costs.
        actual: u128,
    },

    /// A step that names an operand the plan does not have (yet).
    #[error("operand {operand} does not exist in this plan")]
    UnknownOperand {
        /// The operand's name (`A3`, `step 2`).
        operand: String,
    },

    /// A step that uses an operand already consumed by another step.
    #[error("operand {operand} is used twice in this plan")]
    OperandUsedTwice {
        /// The operand's name.
        operand: String,
    },

    /// A step whose operands do not cover adjacent runs of the chain.
    #[error(
        "cannot multiply {lhs} (matrices {}..{}) by {rhs} (matrices {}..{}): they are not adjacent",
        .lhs_matrices.0, .lhs_matrices.1, .rhs_matrices.0, .rhs_matrices.1
    )]
    NotAdjacent {
        /// The left operand's name.
        lhs: String,
        /// The 1-based first and last matrix the left operand covers.
        lhs_matrices: (usize, usize),
        /// The right operand's name.
        rhs: String,
        /// The 1-based first and last matrix the right operand covers.
        rhs_matrices: (usize, usize),
    },

    /// Steps that end without multiplying the whole chain into one product.
    #[error("the plan's {steps} products do not multiply all {matrices} matrices into one")]
    Incomplete {
        /// Steps recorded.
        steps: usize,
        /// Matrices in the chain.
        matrices: usize,
    },

    /// A planner's own invariant broke: a bug in chainplan, never the input's fault.
    #[error("internal error: {reason}")]
    Internal {
        /// Which invariant, with the values that broke it.
        reason: String,
    },
}

/// What goes wrong with cost models: a least gain, a memory size, an element type or a timing
/// profile that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CostError {
    /// The least predicted gain for preferring a time-optimal plan is not a number ≥ 1.
    #[error(
        "the least gain {} must be a number of at least 1 (1 trusts the time model fully)",
        crate::text::num(*value)
    )]
    BadMinGain {
        /// The value given.
        value: f64,
    },

    /// A memory size such as `2GiB` could not be parsed.
    #[error(
        "cannot read {} as a memory size: {reason} (examples: 4096, 512KiB, 2GiB, 1.5GB)",
        quote(text)
    )]
    BadMemorySize {
        /// The text given.
        text: String,
        /// What was wrong.
        reason: String,
    },

    /// A timing profile could not be used.
    #[error("timing profile {}: {reason}", quote_path(path))]
    BadProfile {
        /// The profile file.
        path: PathBuf,
        /// What was wrong, and what to do.
        reason: String,
    },

    /// An element type name that chainplan does not know.
    #[error(
        "unknown element type {}; valid element types are: f64, f32",
        quote(name)
    )]
    UnknownElementType {
        /// The name given.
        name: String,
    },

    /// A profile without timings for the element type asked for.
    #[error("the profile has no timings for {dtype}; run `chainplan calibrate --dtype {dtype}`")]
    NoTimings {
        /// The element type (`f64`, `f32`).
        dtype: &'static str,
    },

    /// A profile grid that is not at least two ascending sizes of at least 1.
    #[error("the grid {grid:?} must hold at least two ascending sizes of at least 1")]
    BadGrid {
        /// The grid given.
        grid: Vec<u64>,
    },

    /// A profile with other than one timing per grid point.
    #[error(
        "{timings} timings for {dtype} on a grid of {grid} sizes; there must be one per grid point \
         ({grid}³)"
    )]
    TimingCount {
        /// Timings given.
        timings: usize,
        /// Their element type.
        dtype: &'static str,
        /// Sizes in the grid.
        grid: usize,
    },

    /// A timing for another shape than its grid point's.
    #[error(
        "timing {index} is for {} x {} x {}, expected {} x {} x {}",
        .shape.0, .shape.1, .shape.2, .expected.0, .expected.1, .expected.2
    )]
    TimingShape {
        /// 1-based position of the timing.
        index: usize,
        /// Its (m, k, n).
        shape: (u64, u64, u64),
        /// The grid point's (m, k, n).
        expected: (u64, u64, u64),
    },

    /// A timing that is not a positive time.
    #[error(
        "timing {index} ({} x {} x {}) is {seconds} seconds; times must be positive",
        .shape.0, .shape.1, .shape.2
    )]
    TimingNotPositive {
        /// 1-based position of the timing.
        index: usize,
        /// Its (m, k, n).
        shape: (u64, u64, u64),
        /// The time given.
        seconds: f64,
    },

    /// A positive timing that gives no finite rate (flops per second).
    #[error(
        "timing {index} ({} x {} x {}) of {seconds} seconds gives no finite rate",
        .shape.0, .shape.1, .shape.2
    )]
    TimingRate {
        /// 1-based position of the timing.
        index: usize,
        /// Its (m, k, n).
        shape: (u64, u64, u64),
        /// The time given.
        seconds: f64,
    },

    /// A profile could not be serialised.
    #[error("cannot serialise profile: {source}")]
    SerialiseProfile {
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// What goes wrong executing plans: operands that do not fit the plan, outputs of the wrong shape,
/// and (feature `benchmark`) benchmarks and calibration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The number of operands given to an execution differs from the plan's matrices.
    #[error("the plan multiplies {expected} matrices but {got} operands were given")]
    OperandCount {
        /// Matrices the plan multiplies.
        expected: usize,
        /// Operands given.
        got: usize,
    },

    /// An operand (or the output) does not have the shape the plan expects.
    #[error("{operand} is {rows} x {cols} but the plan expects {expected_rows} x {expected_cols}")]
    OperandShape {
        /// Which operand: `A3`, or `the output`.
        operand: String,
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
        /// Rows the plan expects.
        expected_rows: u64,
        /// Columns the plan expects.
        expected_cols: u64,
    },

    /// A 1-D vector stands where only a matrix may (vectors may only end a chain).
    #[error(
        "factor {position} of {count} is a 1-D vector; only the first (as a row) and the last \
         (as a column) factor may be vectors"
    )]
    VectorPosition {
        /// 1-based position of the vector among the factors.
        position: usize,
        /// Number of factors.
        count: usize,
    },

    /// An output array (numpy's `out=`) whose shape differs from the result's.
    #[error("the output has shape {got:?} but the product has shape {expected:?}")]
    OutputShape {
        /// The output's shape.
        got: Vec<usize>,
        /// The result's shape: `[rows, cols]`, `[len]` for a vector, `[]` for a scalar.
        expected: Vec<usize>,
    },

    /// A benchmark would need more memory than allowed.
    #[error(
        "the benchmark needs about {needed_bytes} bytes (operands, two products and the largest \
         workspace), over the limit of {limit_bytes} bytes; use smaller dimensions or raise the limit"
    )]
    MemoryLimit {
        /// Estimated bytes.
        needed_bytes: u128,
        /// The limit in force.
        limit_bytes: u128,
    },

    /// Two orders of one chain gave products that differ beyond rounding.
    #[error(
        "order {order} gives a product that differs from the optimal order's by {rel_diff:e} \
         (relative), beyond the tolerance {tolerance:e}"
    )]
    OrdersDisagree {
        /// The order whose product differs.
        order: String,
        /// Its relative difference (Frobenius norm).
        rel_diff: f64,
        /// The tolerance in force.
        tolerance: f64,
    },

    /// Too many matrices to try every parenthesization.
    #[error(
        "every parenthesization of {matrices} matrices is too many to run; the limit is {max} matrices"
    )]
    TooManyOrders {
        /// Matrices in the chain.
        matrices: usize,
        /// The largest chain accepted.
        max: usize,
    },

    /// An array that cannot take the shape an operation needs.
    #[error("cannot {action}: {source}")]
    Layout {
        /// What was being done (`view the output as a matrix`, `reshape the product`).
        action: String,
        /// ndarray's error.
        #[source]
        source: ndarray::ShapeError,
    },

    /// Random operands that cannot be drawn.
    #[error("cannot sample operands: {reason}")]
    Sampling {
        /// The sampler's error.
        reason: String,
    },

    /// A largest calibration size outside the range calibration supports.
    #[error("the largest calibration size is {max_dim}; it must be between 2 and {max}")]
    CalibrationSize {
        /// The size given.
        max_dim: u64,
        /// The largest supported.
        max: u64,
    },

    /// A calibration without an element type, a round or a repetition.
    #[error("calibration needs at least one element type, one round and one repetition")]
    CalibrationEmpty,

    /// An element type listed twice for calibration.
    #[error("each element type can be calibrated once")]
    CalibrationTwice,

    /// Calibration operands that would take over half of the memory that can be had.
    #[error(
        "calibrating up to size {max_dim} needs about {needed_bytes} bytes of operands, over half \
         of the {usable_bytes} bytes that can be had; use a smaller largest size (max_dim)"
    )]
    CalibrationMemory {
        /// The largest calibration size.
        max_dim: u64,
        /// Bytes of operands needed.
        needed_bytes: u128,
        /// Bytes that can be had.
        usable_bytes: u128,
    },
}

/// What goes wrong with Jacobian chains: layer lists and widths, seeds, factors and operators that
/// do not fit the chain, networks and their weights.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JacobianError {
    /// A per-layer list (structure flags, tangent or adjoint costs, tapes) has the wrong length.
    #[error("{list} has {got} entries but the chain has {expected} layers")]
    LayerListLength {
        /// Which list (for example `the tangent costs`).
        list: &'static str,
        /// Entries given.
        got: usize,
        /// Layers in the chain.
        expected: usize,
    },

    /// A layer kind that chainplan does not know.
    #[error(
        "layer {position} is {}; valid layer kinds are: dense, act (elementwise)",
        quote(name)
    )]
    UnknownLayerKind {
        /// 1-based position of the layer.
        position: usize,
        /// The name given.
        name: String,
    },

    /// An elementwise layer (diagonal Jacobian) whose input and output widths differ.
    #[error(
        "layer {layer} is elementwise but maps width {input} to width {output}; \
         an elementwise layer keeps the width"
    )]
    ElementwiseWidth {
        /// 1-based layer number.
        layer: usize,
        /// Its input width.
        input: usize,
        /// Its output width.
        output: usize,
    },

    /// An entry of a comma-separated list of numbers that is not a whole number.
    #[error(
        "entry {position} of {list} is {}, which is not a whole number",
        quote(token)
    )]
    BadListEntry {
        /// Which list.
        list: &'static str,
        /// 1-based position of the entry.
        position: usize,
        /// The entry as written.
        token: String,
    },

    /// An entry of a comma-separated list of numbers is a whole number too large for it.
    #[error(
        "entry {position} of {list} is {}, which is too large (at most {max})",
        quote(token)
    )]
    ListEntryTooLarge {
        /// Which list.
        list: &'static str,
        /// 1-based position of the entry.
        position: usize,
        /// The entry as written.
        token: String,
        /// The largest value allowed.
        max: u64,
    },

    /// A seed block with no rows or columns, or more than a dimension can hold.
    #[error("the seed size is {got}; it must be between 1 and 4294967295")]
    SeedSize {
        /// The size given.
        got: u64,
    },

    /// A memory limit below the tape of every adjoint program, so that no adjoint can run.
    #[error(
        "the memory limit {memory} is below every tape size (the smallest is {smallest_tape}); \
         no adjoint program fits"
    )]
    NoAdjointFits {
        /// The memory limit.
        memory: u64,
        /// The smallest tape size.
        smallest_tape: u64,
    },

    /// Layer widths that fit the layer list neither as the network's widths nor with every
    /// elementwise layer's width repeated.
    #[error(
        "{widths} widths do not fit {layers} layers ({dense} dense): write {} widths (the input, \
         then each dense layer's output; an elementwise layer keeps the width), or {} widths \
         with the width of each elementwise layer repeated",
        .dense + 1,
        .layers + 1
    )]
    LayerWidths {
        /// Widths given.
        widths: usize,
        /// Layers in the layer list.
        layers: usize,
        /// Dense layers among them.
        dense: usize,
    },

    /// An activation position that is not a dense layer of the network, or is given twice.
    #[error("activation after layer {position}: {reason} (the network has {layers} dense layers, 1 to {layers})")]
    ActivationPosition {
        /// The 1-based position given.
        position: usize,
        /// Dense layers in the network.
        layers: usize,
        /// What is wrong: `outside the dense layers` or `given twice`.
        reason: &'static str,
    },

    /// A plan whose chain has other dimensions than the chain it is used with.
    #[error(
        "the plan's dimension {position} is {plan} but the chain's is {chain}; plan this chain \
         (its `chain()`) instead"
    )]
    PlanDimension {
        /// 1-based position of the first dimension that differs.
        position: usize,
        /// That dimension in the plan's chain.
        plan: usize,
        /// That dimension in the chain.
        chain: usize,
    },

    /// The wrong number of factors for a Jacobian chain's execution.
    #[error(
        "the chain has {expected} factors ({first} … {last}, output to input) but {got} were given"
    )]
    FactorCount {
        /// Factors of the chain.
        expected: usize,
        /// Factors given.
        got: usize,
        /// Name of the first factor (the output side).
        first: String,
        /// Name of the last factor (the input side).
        last: String,
    },

    /// A factor given to a Jacobian chain's execution does not fit the chain.
    #[error("factor {index} ({name}) {problem}")]
    Factor {
        /// 1-based position of the factor, output to input.
        index: usize,
        /// Its name in the chain: `S`, `J3`, …, `J1`, `T`.
        name: String,
        /// What is wrong with it.
        problem: FactorProblem,
    },

    /// The factors of a Jacobian chain given in evaluation order (input to output) instead
    /// of the chain's order (output to input).
    #[error(
        "the factors are given input to output ({last} first); give them in the chain's order, \
         output to input, from {first} to {last}"
    )]
    FactorOrder {
        /// Name of the chain's first factor (the output side).
        first: String,
        /// Name of the chain's last factor (the input side).
        last: String,
    },

    /// The wrong number of operators for a matrix-free chain.
    #[error("the matrix-free chain has {expected} elementals but {got} operators were given")]
    OperatorCount {
        /// Elementals of the chain.
        expected: usize,
        /// Operators given.
        got: usize,
    },

    /// An operator of a matrix-free chain that does not fit it, or returned a result of the
    /// wrong shape.
    #[error("operator {index} ({name}) {problem}")]
    Operator {
        /// 1-based position of the operator, in evaluation order.
        index: usize,
        /// Its name in the chain (`F1` …, `S`, `T`).
        name: String,
        /// What is wrong.
        problem: OperatorProblem,
    },

    /// A matrix-free plan that does not fit the chain it is run on.
    #[error("the matrix-free plan does not fit the chain: {reason}")]
    BadMatrixFreePlan {
        /// What is wrong, naming the node.
        reason: String,
    },

    /// A network with no layer.
    #[error("a network needs at least one weight matrix")]
    EmptyNetwork,

    /// A weight matrix that does not take the previous layer's outputs.
    #[error(
        "weight {layer} is {rows} x {cols} but layer {layer} receives {inputs} inputs; \
         W_l must be n_l x n_(l-1)"
    )]
    WeightShape {
        /// 1-based layer number.
        layer: usize,
        /// Rows of the weight given.
        rows: usize,
        /// Columns of the weight given.
        cols: usize,
        /// Outputs of the previous layer (or the input width).
        inputs: usize,
    },

    /// A vector (an input, a target, a bias) or a list of the wrong length.
    #[error("{what} has {got} entries but {expected} are needed")]
    VectorLength {
        /// Which vector: `the input`, `bias 2`, ….
        what: String,
        /// Entries given.
        got: usize,
        /// Entries needed.
        expected: usize,
    },

    /// A seed kind that chainplan does not know.
    #[error("unknown seed {}; valid seeds are: none, input, output", quote(name))]
    UnknownSeed {
        /// The name given.
        name: String,
    },

    /// A step of a structured plan whose operand was already used or never made (a bug in
    /// the plan, which [`Plan`](crate::Plan)'s checks rule out).
    #[error("operand {operand} is not available")]
    OperandUnavailable {
        /// The operand's name.
        operand: String,
    },
}

/// What goes wrong reading a plan in the hand-off format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandoffError {
    /// A plan in the hand-off format (`--export-plan`) is malformed or inconsistent.
    #[error("invalid hand-off plan: {reason}")]
    Malformed {
        /// What is wrong, naming the field or step.
        reason: String,
    },

    /// A plan in the hand-off format has a version this build cannot read.
    #[error("hand-off plan format version {found} is not supported; this chainplan reads version {supported}")]
    Version {
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
}

/// What goes wrong exporting a report.
#[cfg(feature = "report")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// An export format that chainplan does not know.
    #[error(
        "unknown export format {}; valid formats are: json, markdown, csv",
        quote(name)
    )]
    UnknownFormat {
        /// The name given.
        name: String,
    },

    /// A report without a table, asked to export one.
    #[error("the report has no table to export")]
    NoTable,
}

/// What is wrong with one factor given to
/// [`JacobianChain::execute`](crate::JacobianChain::execute).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactorProblem {
    /// The factor's shape is not the chain's.
    Shape {
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
        /// Rows the chain needs.
        expected_rows: usize,
        /// Columns the chain needs.
        expected_cols: usize,
    },
    /// A dense matrix where the chain declares a diagonal (an elementwise layer).
    DenseForDiagonal,
    /// A diagonal where the chain declares a dense factor.
    DiagonalForDense,
}

impl fmt::Display for FactorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactorProblem::Shape {
                rows,
                cols,
                expected_rows,
                expected_cols,
            } => write!(
                f,
                "is {rows} x {cols} but the chain needs {expected_rows} x {expected_cols}"
            ),
            FactorProblem::DenseForDiagonal => f.write_str(
                "is a dense matrix but the chain declares it diagonal (an elementwise layer); \
                 give its diagonal",
            ),
            FactorProblem::DiagonalForDense => f.write_str(
                "is a diagonal but the chain declares it dense; give it as a dense matrix, or \
                 declare the layer elementwise",
            ),
        }
    }
}

/// What is wrong with one operator given to
/// [`MatrixFreeChain::execute`](crate::MatrixFreeChain::execute)
/// or [`MatrixFreeChain::from_operators`](crate::MatrixFreeChain::from_operators).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperatorProblem {
    /// The operator's widths are not the chain's elemental's.
    Widths {
        /// The operator's input width.
        inputs: usize,
        /// The operator's output width.
        outputs: usize,
        /// The elemental's input width.
        expected_inputs: usize,
        /// The elemental's output width.
        expected_outputs: usize,
    },
    /// The operator's input width differs from the previous operator's output width.
    Joint {
        /// The operator's input width.
        inputs: usize,
        /// The previous operator's output width.
        previous_outputs: usize,
    },
    /// A tangent, adjoint or explicit Jacobian of the wrong shape.
    Result {
        /// `tangent`, `adjoint` or `jacobian`.
        what: &'static str,
        /// Rows returned.
        rows: usize,
        /// Columns returned.
        cols: usize,
        /// Rows expected.
        expected_rows: usize,
        /// Columns expected.
        expected_cols: usize,
    },
    /// The chain's elemental is given (a known Jacobian) but the operator has no Jacobian.
    NoJacobian,
}

impl fmt::Display for OperatorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperatorProblem::Widths {
                inputs,
                outputs,
                expected_inputs,
                expected_outputs,
            } => write!(
                f,
                "maps width {inputs} to {outputs} but the chain's elemental maps \
                 {expected_inputs} to {expected_outputs}"
            ),
            OperatorProblem::Joint {
                inputs,
                previous_outputs,
            } => write!(
                f,
                "takes {inputs} inputs but the operator before it gives {previous_outputs} \
                 outputs (operators go in evaluation order, input to output)"
            ),
            OperatorProblem::Result {
                what,
                rows,
                cols,
                expected_rows,
                expected_cols,
            } => write!(
                f,
                "returned a {what} of {rows} x {cols} where {expected_rows} x {expected_cols} \
                 was expected"
            ),
            OperatorProblem::NoJacobian => f.write_str(
                "has no explicit Jacobian but the chain declares its Jacobian given (a seed)",
            ),
        }
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `Ok` when `value` lies in `range`, else [`Error::InvalidParameter`] naming the
    /// parameter, the value given and `expected` (the range in words).
    #[cfg(feature = "benchmark")]
    pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
        name: &'static str,
        value: T,
        range: std::ops::RangeInclusive<T>,
        expected: &'static str,
    ) -> Result<()> {
        if range.contains(&value) {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                name,
                value: value.to_string(),
                expected,
            })
        }
    }
}
