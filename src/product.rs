//! The result of a product of matrices and vectors, as numpy shapes it: a matrix, a vector or
//! a scalar. A leaf module (it refers to nothing else in the crate), so that both the chain
//! executor (`exec`) and the generalized engine (`generalized`) return it.

use ndarray::{Array1, Array2, ArrayD};

/// The result of a product of [`Factor`](crate::exec::Factor)s: a matrix, a vector when exactly one end is a
/// vector, or a scalar when both are.
#[derive(Debug, Clone, PartialEq)]
pub enum Product<T> {
    /// Both ends are matrices.
    Matrix(Array2<T>),
    /// One end is a vector: a row vector times matrices, or matrices times a column vector.
    Vector(Array1<T>),
    /// A row vector times matrices times a column vector.
    Scalar(T),
}

impl<T> Product<T> {
    /// The result's shape as numpy gives it: `[rows, cols]`, `[len]`, or `[]` for a scalar.
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Product::Matrix(a) => a.shape().to_vec(),
            Product::Vector(v) => v.shape().to_vec(),
            Product::Scalar(_) => Vec::new(),
        }
    }

    /// The result as an n-dimensional array, as numpy returns it (0-D for a scalar).
    pub fn into_dyn(self) -> ArrayD<T> {
        match self {
            Product::Matrix(a) => a.into_dyn(),
            Product::Vector(v) => v.into_dyn(),
            Product::Scalar(x) => ndarray::arr0(x).into_dyn(),
        }
    }

    /// The matrix, if the product is one.
    pub fn into_matrix(self) -> Option<Array2<T>> {
        match self {
            Product::Matrix(a) => Some(a),
            _ => None,
        }
    }

    /// The vector, if the product is one.
    pub fn into_vector(self) -> Option<Array1<T>> {
        match self {
            Product::Vector(v) => Some(v),
            _ => None,
        }
    }

    /// The scalar, if the product is one.
    pub fn into_scalar(self) -> Option<T> {
        match self {
            Product::Scalar(x) => Some(x),
            _ => None,
        }
    }
}
