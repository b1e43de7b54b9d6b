//! What an execution takes and gives: matrices, vectors at the ends, and the product.

use crate::chain::Chain;
use crate::error::Result;
use ndarray::{ArrayBase, ArrayView1, ArrayView2, Data, Ix1, Ix2};

/// Anything that can be viewed as a matrix: `Array2<T>`, `&Array2<T>`, `ArrayView2<T>`, …
///
/// The execution functions take `&[M]` for any `M: AsMatrix<T>`, so a `Vec<Array2<f64>>`, a
/// slice of references and a slice of views all work without copying.
pub trait AsMatrix<T> {
    /// A view of the matrix.
    fn as_matrix(&self) -> ArrayView2<'_, T>;
}

impl<T, S: Data<Elem = T>> AsMatrix<T> for ArrayBase<S, Ix2> {
    fn as_matrix(&self) -> ArrayView2<'_, T> {
        self.view()
    }
}

impl<T, M: AsMatrix<T> + ?Sized> AsMatrix<T> for &M {
    fn as_matrix(&self) -> ArrayView2<'_, T> {
        (**self).as_matrix()
    }
}

impl Chain {
    /// The chain of these matrices' shapes (owned arrays, views or references), after
    /// checking that neighbours fit; see [`Chain::from_shapes`].
    pub fn from_operands<T, M: AsMatrix<T>>(operands: &[M]) -> Result<Chain> {
        let shapes: Vec<(usize, usize)> = operands.iter().map(|m| m.as_matrix().dim()).collect();
        Chain::from_shapes(&shapes)
    }
}

/// One factor of a chain product, as numpy's `multi_dot` takes them: a matrix, or a 1-D
/// vector at either end (a row vector first, a column vector last).
///
/// ```
/// use chainplan::exec::Factor;
/// use ndarray::{array, Array1};
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let x: Array1<f64> = array![1.0, 1.0];
/// let factors = [Factor::from(&x), Factor::from(&a)];
/// assert_eq!(factors[0].shape_as_row(), (1, 2));
/// // Views convert by value too.
/// assert_eq!(Factor::from(a.view()), factors[1]);
/// assert_eq!(Factor::from(a.column(0)).shape_as_column(), (2, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Factor<'a, T> {
    /// A matrix.
    Matrix(ArrayView2<'a, T>),
    /// A 1-D vector: a row (1 × len) when first, a column (len × 1) when last.
    Vector(ArrayView1<'a, T>),
}

/// Anything that can stand in a [`multi_dot`](super::multi_dot): a 1-D or 2-D array, owned
/// or a view, a reference to one, or a [`Factor`].
///
/// `multi_dot` and the [`Executor`](super::Executor) take a slice of any one `AsFactor` type
/// (`&ops` for a `Vec<Array2<f64>>`, a `Vec<ArrayView2<f64>>` or a `Vec<&Array2<f64>>`);
/// vectors, matrices, owned arrays and views mix in one slice of `&dyn AsFactor<T>`:
/// `multi_dot(&[&x as &dyn AsFactor<_>, &a, &b.view(), &y])`.
pub trait AsFactor<T> {
    /// The operand as a factor (a view; nothing is copied).
    fn as_factor(&self) -> Factor<'_, T>;
}

impl<T, S: Data<Elem = T>> AsFactor<T> for ArrayBase<S, Ix2> {
    fn as_factor(&self) -> Factor<'_, T> {
        Factor::Matrix(self.view())
    }
}

impl<T, S: Data<Elem = T>> AsFactor<T> for ArrayBase<S, Ix1> {
    fn as_factor(&self) -> Factor<'_, T> {
        Factor::Vector(self.view())
    }
}

impl<T> AsFactor<T> for Factor<'_, T> {
    fn as_factor(&self) -> Factor<'_, T> {
        match self {
            Factor::Matrix(a) => Factor::Matrix(a.view()),
            Factor::Vector(v) => Factor::Vector(v.view()),
        }
    }
}

impl<T, F: AsFactor<T> + ?Sized> AsFactor<T> for &F {
    fn as_factor(&self) -> Factor<'_, T> {
        (**self).as_factor()
    }
}

impl<T> Factor<'_, T> {
    /// Shape of the factor when it stands first: a vector is a row (1 × len).
    pub fn shape_as_row(&self) -> (usize, usize) {
        match self {
            Factor::Matrix(a) => a.dim(),
            Factor::Vector(v) => (1, v.len()),
        }
    }

    /// Shape of the factor when it stands last: a vector is a column (len × 1).
    pub fn shape_as_column(&self) -> (usize, usize) {
        match self {
            Factor::Matrix(a) => a.dim(),
            Factor::Vector(v) => (v.len(), 1),
        }
    }
}

impl<'a, T> From<ArrayView2<'a, T>> for Factor<'a, T> {
    fn from(a: ArrayView2<'a, T>) -> Self {
        Factor::Matrix(a)
    }
}

impl<'a, T> From<ArrayView1<'a, T>> for Factor<'a, T> {
    fn from(v: ArrayView1<'a, T>) -> Self {
        Factor::Vector(v)
    }
}

impl<'a, T, S: Data<Elem = T>> From<&'a ArrayBase<S, Ix2>> for Factor<'a, T> {
    fn from(a: &'a ArrayBase<S, Ix2>) -> Self {
        Factor::Matrix(a.view())
    }
}

impl<'a, T, S: Data<Elem = T>> From<&'a ArrayBase<S, Ix1>> for Factor<'a, T> {
    fn from(v: &'a ArrayBase<S, Ix1>) -> Self {
        Factor::Vector(v.view())
    }
}

pub use crate::product::Product;
