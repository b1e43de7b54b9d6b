//! The errors of expression parsing and differentiation, apart from planning's
//! [`crate::Error`]: a bad expression, a bad point, or a domain error where it is evaluated.

use crate::text::quote;

/// Everything that can go wrong parsing, evaluating or differentiating an expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An expression (or a `NAME=VALUE` list) is not well formed.
    #[error("{message} at column {column}{hint}")]
    Syntax {
        /// What was found, such as `unexpected ')'`.
        message: String,
        /// 1-based character column of the problem.
        column: usize,
        /// Advice that follows the position (`; write '*' for a product`), or empty.
        hint: String,
    },

    /// An expression calls a function that the expression language does not have.
    #[error(
        "unknown function {} at column {column}; the functions are: {known}",
        quote(name)
    )]
    UnknownFunction {
        /// The name as written.
        name: String,
        /// 1-based character column of the name.
        column: usize,
        /// The known functions, comma-separated.
        known: String,
    },

    /// A number in an expression or in a `NAME=VALUE` list is not well formed or out of range.
    #[error("malformed number {} at column {column}: {reason}", quote(token))]
    BadNumber {
        /// The token as written.
        token: String,
        /// 1-based character column of the token.
        column: usize,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// An expression's variable has no value.
    #[error(
        "variable {} has no value; the expression's variables are: {variables}",
        quote(name)
    )]
    MissingVariable {
        /// The variable without a value.
        name: String,
        /// All the expression's variables, comma-separated.
        variables: String,
    },

    /// A value is given for a variable the expression does not use.
    #[error(
        "variable {} does not appear in the expression; its variables are: {variables}",
        quote(name)
    )]
    UnknownVariable {
        /// The name given a value.
        name: String,
        /// The expression's variables, comma-separated (`none` when it has none).
        variables: String,
    },

    /// A variable is given more than one value.
    #[error("variable {} is given more than one value", quote(name))]
    DuplicateVariable {
        /// The variable.
        name: String,
    },

    /// An operation of an expression is undefined, overflows, or is not differentiable at the
    /// point where it is evaluated (division by zero, the logarithm of a negative number, …).
    #[error("{what} at column {column}: {why}")]
    Domain {
        /// The operation and the problem, such as `division by zero`.
        what: String,
        /// 1-based character column of the operator or function in the expression.
        column: usize,
        /// The values involved.
        why: String,
    },

    /// The point has a different number of values than the expression has variables.
    #[error("the expression has {variables} variables but {values} values were given")]
    PointLength {
        /// The expression's variables.
        variables: usize,
        /// Values given.
        values: usize,
    },

    /// A partial derivative is too large for a 64-bit float.
    #[error("the derivative with respect to '{variable}' overflows a 64-bit float ({value})")]
    DerivativeOverflow {
        /// The variable.
        variable: String,
        /// The non-finite value obtained.
        value: f64,
    },
}

/// Shorthand for results whose error is the expression [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
