//! The library's one error type.
//!
//! Every variant carries the offending data, so that a message can name the problem
//! ("dimension 3 is 0; every dimension must be at least 1") without the caller having to
//! reconstruct it. The command-line tool prints these messages as they are.

use std::path::PathBuf;

/// Everything that can go wrong in chainplan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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

    /// An input file could not be read.
    #[error("cannot read {}: {source}", quote_path(path))]
    Io {
        /// The file that failed.
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

    /// Memory for an array could not be allocated.
    #[error("cannot allocate {bytes} bytes for {what}")]
    OutOfMemory {
        /// What the memory was for.
        what: &'static str,
        /// Bytes requested.
        bytes: u128,
    },

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
    JacobianFactorCount {
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
    JacobianFactor {
        /// 1-based position of the factor, output to input.
        index: usize,
        /// Its name in the chain: `S`, `J3`, …, `J1`, `T`.
        name: String,
        /// What is wrong with it.
        problem: crate::jacobian::FactorProblem,
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
        problem: crate::jacobian::OperatorProblem,
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

    /// A plan in the hand-off format (`--export-plan`) is malformed or inconsistent.
    #[error("invalid hand-off plan: {reason}")]
    BadHandoff {
        /// What is wrong, naming the field or step.
        reason: String,
    },

    /// A plan in the hand-off format has a version this build cannot read.
    #[error("hand-off plan format version {found} is not supported; this chainplan reads version {supported}")]
    HandoffVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
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

    /// The least predicted gain for preferring a time-optimal plan is not a number ≥ 1.
    #[error(
        "the least gain {} must be a number of at least 1 (1 trusts the time model fully)",
        crate::autodiff::num(*value)
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

    /// A file could not be written (its old contents, if any, are kept; see [`crate::fsio`]).
    #[error("cannot write {}: {source}", quote_path(path))]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A field between two separators is empty (`3,,4`), or an argument is empty.
    #[error("dimension {position} is empty; remove the extra comma or give a value")]
    EmptyField {
        /// 1-based position the empty field stands at among the dimensions.
        position: usize,
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

    /// An output array (numpy's `out=`) whose shape differs from the result's.
    #[error("the output has shape {got:?} but the product has shape {expected:?}")]
    OutputShape {
        /// The output's shape.
        got: Vec<usize>,
        /// The result's shape: `[rows, cols]`, `[len]` for a vector, `[]` for a scalar.
        expected: Vec<usize>,
    },

    /// Input that is invalid for a reason not covered by a more specific variant.
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `Ok` when `value` lies in `range`, else [`Error::InvalidParameter`] naming the
    /// parameter, the value given and `expected` (the range in words).
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

/// Echoed input longer than this many characters is cut (see [`quote`]).
pub const QUOTE_MAX_CHARS: usize = 40;

/// User input as error messages echo it: in single quotes, control characters (and quotes and
/// backslashes) escaped, and, when longer than [`QUOTE_MAX_CHARS`] characters, cut to a prefix
/// followed by `…` and the full length, so that a 10 MB token or an escape sequence never
/// reaches the terminal whole. Every message that echoes input uses it.
///
/// ```
/// use chainplan::error::quote;
/// assert_eq!(quote("12x"), "'12x'");
/// assert_eq!(quote("a\u{1b}[31m"), "'a\\u{1b}[31m'");
/// let long = "9".repeat(1000);
/// assert_eq!(quote(&long), format!("'{}…' (1000 characters)", "9".repeat(40)));
/// ```
pub fn quote(text: &str) -> String {
    let mut out = String::from("'");
    let mut count = 0usize;
    for c in text.chars() {
        count += 1;
        if count > QUOTE_MAX_CHARS {
            continue;
        }
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{feff}' || ('\u{2028}'..='\u{2029}').contains(&c) => {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
    if count > QUOTE_MAX_CHARS {
        out.push_str(&format!("…' ({count} characters)"));
    } else {
        out.push('\'');
    }
    out
}

/// A file name as messages echo it: escaped as [`quote`] escapes text and, when longer than
/// [`QUOTE_MAX_CHARS`] characters, cut to `…` and its last ones (the file's own name, which
/// tells more than its first directories), followed by the full length.
///
/// ```
/// use chainplan::error::quote_path;
/// use std::path::Path;
/// assert_eq!(quote_path(Path::new("a b.txt")), "'a b.txt'");
/// let long = format!("{}plan.json", "d/".repeat(200));
/// assert_eq!(
///     quote_path(Path::new(&long)),
///     format!("'…/{}plan.json' (409 characters)", "d/".repeat(15))
/// );
/// ```
pub fn quote_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let count = text.chars().count();
    if count <= QUOTE_MAX_CHARS {
        return quote(&text);
    }
    let tail: String = text.chars().skip(count - QUOTE_MAX_CHARS).collect();
    let quoted = quote(&tail);
    format!("'…{}' ({count} characters)", &quoted[1..quoted.len() - 1])
}

/// A message from another library, such as a JSON parser's, that may echo its input: every
/// excerpt it quotes (between `"` or between backticks) is shown as [`quote`] shows text (cut
/// to [`QUOTE_MAX_CHARS`] characters, escaped), and control characters elsewhere are escaped.
///
/// ```
/// use chainplan::error::bounded;
/// let msg = format!("invalid type: string \"{}\", expected u32", "x".repeat(1000));
/// let b = bounded(&msg);
/// assert!(b.starts_with("invalid type: string 'xxx") && b.ends_with(", expected u32"), "{b}");
/// assert!(b.chars().count() < 100);
/// assert_eq!(bounded("bad \u{1b}[31m"), "bad \\u{1b}[31m");
/// ```
pub fn bounded(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let delimiter = &rest[start..start + 1];
        let Some(len) = rest[start + 1..].find(delimiter) else {
            break;
        };
        out.push_str(&escape_controls(&rest[..start]));
        out.push_str(&quote(&rest[start + 1..start + 1 + len]));
        rest = &rest[start + 1 + len + 1..];
    }
    out.push_str(&escape_controls(rest));
    out
}

/// `text` with its control characters written as `\u{…}` escapes.
fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped =
                c.is_control() || c == '\u{feff}' || ('\u{2028}'..='\u{2029}').contains(&c);
            let mut v: Vec<char> = Vec::new();
            if escaped {
                v.extend(c.escape_unicode());
            } else {
                v.push(c);
            }
            v
        })
        .collect()
}

/// Longest word (run of characters without a space) that [`one_line`] leaves whole: a cut
/// echo (`'` + 40 characters + `…'`) and its escapes fit.
pub const LONGEST_WORD: usize = 60;

/// A message as one bounded line, whatever made it: the net under every message that
/// leaves the library's users (the CLI's `error:` and `warning:` lines, the Python
/// exceptions). Line breaks become spaces, other control characters `\u{…}` escapes, and a
/// word longer than [`LONGEST_WORD`] characters (a name echoed without [`quote`]) is cut to
/// [`QUOTE_MAX_CHARS`] characters and its length. Echoes are cut where they are made, by
/// [`quote`]; this catches any that is not.
///
/// ```
/// use chainplan::error::one_line;
/// assert_eq!(one_line("a\nb\u{1b}"), "a b\\u{1b}");
/// let name = "x".repeat(1000);
/// assert_eq!(
///     one_line(&format!("operand {name} is not declared")),
///     format!("operand {}… (1000 characters) is not declared", "x".repeat(40))
/// );
/// ```
pub fn one_line(message: &str) -> String {
    let mut flat = String::with_capacity(message.len().min(1 << 16));
    for c in message.chars() {
        match c {
            '\n' | '\r' => flat.push(' '),
            c if c.is_control() => flat.extend(c.escape_unicode()),
            c => flat.push(c),
        }
    }
    flat.split(' ')
        .map(|word| {
            let count = word.chars().count();
            if count <= LONGEST_WORD {
                word.to_string()
            } else {
                let start: String = word.chars().take(QUOTE_MAX_CHARS).collect();
                format!("{start}… ({count} characters)")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A whole number as written, for messages: unquoted when it is made of digits, at most
/// [`QUOTE_MAX_CHARS`] of them shown (then `…` and the count); anything else as [`quote`] shows it.
fn number(text: &str) -> String {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return quote(text);
    }
    if text.len() <= QUOTE_MAX_CHARS {
        return text.to_string();
    }
    format!("{}… ({} digits)", &text[..QUOTE_MAX_CHARS], text.len())
}
