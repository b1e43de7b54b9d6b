//! The executor's matrices (of f64 or f32): [`ColMat`], an owned column-major buffer, and
//! [`MatRef`], a checked column-major view (data, rows, columns, leading dimension) read as itself or transposed.
//! Both check their invariants when made, so a kernel that derives its dimensions from them
//! touches only memory they own.

use crate::generalized::GenError;
use ndarray::NdFloat as Element;

/// Most elements one matrix may have here (2^31, 16 GiB of f64): checked before allocating.
pub const MAX_ELEMENTS: u128 = 1 << 31;

/// An owned column-major matrix: element (i, j) at `i + j·rows`; `data.len() == rows·cols`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColMat<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

impl<T: Element> ColMat<T> {
    /// A zero matrix; the size is checked first against [`MAX_ELEMENTS`] and against the
    /// memory this process can have ([`crate::system::usable_memory`]).
    pub(crate) fn zeros(rows: usize, cols: usize) -> Result<ColMat<T>, GenError> {
        let n = rows as u128 * cols as u128;
        // Small matrices skip the look-up (two /proc reads) on the hot path.
        let limit = if n <= 1 << 20 {
            MAX_ELEMENTS
        } else {
            crate::system::usable_memory().map_or(MAX_ELEMENTS, |m| {
                MAX_ELEMENTS.min(u128::from(m) / std::mem::size_of::<T>() as u128)
            })
        };
        if n > limit {
            return Err(GenError::TooLarge {
                what: format!("a {rows}x{cols} matrix"),
                elements: n,
                limit,
            });
        }
        Ok(ColMat {
            rows,
            cols,
            data: vec![T::zero(); rows * cols],
        })
    }

    /// The identity of order n.
    pub(crate) fn identity(n: usize) -> Result<ColMat<T>, GenError> {
        let mut m = ColMat::zeros(n, n)?;
        for i in 0..n {
            m.data[i + i * n] = T::one();
        }
        Ok(m)
    }

    /// An empty 0×0 matrix (what a moved-out value leaves behind).
    pub(crate) fn empty() -> ColMat<T> {
        ColMat {
            rows: 0,
            cols: 0,
            data: Vec::new(),
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// The leading dimension BLAS is given: the rows (at least 1).
    pub(crate) fn ld(&self) -> usize {
        self.rows.max(1)
    }

    #[cfg(feature = "lapack")]
    pub(crate) fn data(&self) -> &[T] {
        &self.data
    }

    pub(crate) fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    pub(crate) fn get(&self, i: usize, j: usize) -> T {
        self.data[i + j * self.rows]
    }

    pub(crate) fn set(&mut self, i: usize, j: usize, x: T) {
        self.data[i + j * self.rows] = x;
    }

    /// The matrix (or its transpose) as a view.
    pub(crate) fn view(&self, trans: bool) -> MatRef<'_, T> {
        MatRef {
            data: &self.data,
            rows: self.rows,
            cols: self.cols,
            ld: self.ld(),
            trans,
        }
    }

    /// Copies the upper triangle into the lower one.
    pub(crate) fn mirror_upper(&mut self) {
        let n = self.rows.min(self.cols);
        for j in 0..n {
            for i in j + 1..n {
                let x = self.get(j, i);
                self.set(i, j, x);
            }
        }
    }

    /// Zeros the triangle that a `lower` (or upper) triangular matrix does not use.
    pub(crate) fn zero_other_triangle(&mut self, lower: bool) {
        for j in 0..self.cols {
            for i in 0..self.rows {
                if (lower && i < j) || (!lower && i > j) {
                    self.set(i, j, T::zero());
                }
            }
        }
    }

    /// Into an ndarray (column-major, no copy).
    pub(crate) fn into_array(self) -> ndarray::Array2<T> {
        use ndarray::ShapeBuilder;
        ndarray::Array2::from_shape_vec((self.rows, self.cols).f(), self.data)
            .expect("a ColMat holds rows × cols entries")
    }

    /// From a column-major buffer of `rows × cols` entries.
    pub(crate) fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Option<ColMat<T>> {
        (rows.checked_mul(cols) == Some(data.len())).then_some(ColMat { rows, cols, data })
    }
}

/// op(A) for a column-major A stored `rows × cols` with leading dimension `ld` in `data`:
/// A itself, or Aᵀ when `trans`. Made only by [`MatRef::new`] (checked) or [`ColMat::view`],
/// so `ld ≥ max(1, rows)` and every element (i, j), at `i + j·ld`, lies in `data`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatRef<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    ld: usize,
    trans: bool,
}

impl<'a, T: Element> MatRef<'a, T> {
    /// A checked view; `None` when `ld < max(1, rows)` or `data` is too short.
    pub(crate) fn new(
        data: &'a [T],
        rows: usize,
        cols: usize,
        ld: usize,
        trans: bool,
    ) -> Option<MatRef<'a, T>> {
        if ld < rows.max(1) {
            return None;
        }
        if rows > 0 && cols > 0 {
            let need = (cols - 1).checked_mul(ld)?.checked_add(rows)?;
            if need > data.len() {
                return None;
            }
        }
        Some(MatRef {
            data,
            rows,
            cols,
            ld,
            trans,
        })
    }

    /// The stored matrix's rows.
    pub(crate) fn stored_rows(&self) -> usize {
        self.rows
    }

    /// The stored matrix's columns.
    pub(crate) fn stored_cols(&self) -> usize {
        self.cols
    }

    pub(crate) fn ld(&self) -> usize {
        self.ld
    }

    pub(crate) fn trans(&self) -> bool {
        self.trans
    }

    pub(crate) fn data(&self) -> &'a [T] {
        self.data
    }

    /// Rows of op(A).
    pub(crate) fn nrows(&self) -> usize {
        if self.trans {
            self.cols
        } else {
            self.rows
        }
    }

    /// Columns of op(A).
    pub(crate) fn ncols(&self) -> usize {
        if self.trans {
            self.rows
        } else {
            self.cols
        }
    }

    /// The view of op(A)ᵀ.
    pub(crate) fn t(self) -> MatRef<'a, T> {
        MatRef {
            trans: !self.trans,
            ..self
        }
    }

    /// Element (i, j) of op(A).
    pub(crate) fn at(&self, i: usize, j: usize) -> T {
        let (r, c) = if self.trans { (j, i) } else { (i, j) };
        self.data[r + c * self.ld]
    }

    /// op(A) copied into a new matrix.
    pub(crate) fn to_colmat(self) -> Result<ColMat<T>, GenError> {
        let (m, n) = (self.nrows(), self.ncols());
        let mut out = ColMat::zeros(m, n)?;
        if self.trans {
            // Stored row-major: a transposed copy, by 32×32 tiles so that both the rows read
            // and the columns written stay in cache (a plain double loop misses on every
            // strided element of a large matrix).
            const B: usize = 32;
            for jb in (0..n).step_by(B) {
                for ib in (0..m).step_by(B) {
                    let je = (jb + B).min(n);
                    for i in ib..(ib + B).min(m) {
                        let row = &self.data[i * self.ld + jb..i * self.ld + je];
                        for (j, x) in (jb..je).zip(row) {
                            out.data[i + j * m] = *x;
                        }
                    }
                }
            }
        } else {
            for j in 0..n {
                out.data[j * m..(j + 1) * m]
                    .copy_from_slice(&self.data[j * self.ld..j * self.ld + m]);
            }
        }
        Ok(out)
    }
}
