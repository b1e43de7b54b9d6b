//! One pairwise product, dispatched to the BLAS routine that fits its shape.
//!
//! For an (m × k) by (k × n) product written into C:
//!
//! | shape            | routine                                   | BLAS call        |
//! |------------------|-------------------------------------------|------------------|
//! | m = 1 and n = 1  | dot product of a row and a column         | `?dot`           |
//! | n = 1            | C(:,0) = A · b, matrix times column       | `?gemv`          |
//! | m = 1            | C(0,:) = Bᵀ · a, row times matrix         | `?gemv` (trans.) |
//! | otherwise        | C = A · B                                 | `?gemm`          |
//!
//! (`?` is `d` for f64 and `s` for f32.) A vector passed to `gemm` as a one-row or one-column
//! matrix runs several times slower than the same product through `gemv`, so every product with
//! a vector operand takes the 1-D path. ndarray calls BLAS only when each 2-D operand is
//! contiguous along one axis with positive strides ([`blas_compatible`]); the executor copies
//! operands that are not, so the calls above really happen. Two exceptions, both ndarray's:
//! `gemm` goes to ndarray's own kernel when all of m, k, n are at most 7, and `dot` when the
//! vectors are shorter than 32 elements; both are faster than a BLAS call at those sizes.

use super::Element;
use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
use ndarray::{ArrayView2, ArrayViewMut2};

/// Whether ndarray hands a 2-D view to BLAS: one axis contiguous (stride 1, or length 1),
/// strides positive, and the other stride at least the contiguous axis's length.
pub(crate) fn blas_compatible<T>(a: &ArrayView2<'_, T>) -> bool {
    let (rows, cols) = a.dim();
    let (s0, s1) = (a.strides()[0], a.strides()[1]);
    if s0 < 1 || s1 < 1 || s0 > i32::MAX as isize || s1 > i32::MAX as isize {
        return false;
    }
    if rows > i32::MAX as usize || cols > i32::MAX as usize {
        return false;
    }
    let row_major = (s1 == 1 || cols <= 1) && (rows <= 1 || s0 as usize >= cols);
    let col_major = (s0 == 1 || rows <= 1) && (cols <= 1 || s1 as usize >= rows);
    row_major || col_major
}

/// C ← A · B with the routine of the table above. Shapes must already agree (the executor
/// checks them); `c` is overwritten, never read.
pub(crate) fn multiply_into<T: Element>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    c: &mut ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    debug_assert_eq!(b.nrows(), k);
    debug_assert_eq!(c.dim(), (m, n));
    debug_assert!(
        blas_compatible(a) && blas_compatible(b) && blas_compatible(&c.view()),
        "operands must be BLAS-compatible: {:?} {:?} {:?}",
        a.strides(),
        b.strides(),
        c.strides()
    );
    let one = T::one();
    let zero = T::zero();
    if m == 1 && n == 1 {
        c[[0, 0]] = a.row(0).dot(&b.column(0));
    } else if n == 1 {
        general_mat_vec_mul(one, a, &b.column(0), zero, &mut c.column_mut(0));
    } else if m == 1 {
        general_mat_vec_mul(one, &b.t(), &a.row(0), zero, &mut c.row_mut(0));
    } else {
        general_mat_mul(one, a, b, zero, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2};

    #[test]
    fn recognises_blas_layouts() {
        let a = Array2::<f64>::zeros((4, 5));
        assert!(blas_compatible(&a.view()));
        assert!(blas_compatible(&a.t()));
        assert!(blas_compatible(&a.slice(s![1..3, 1..4]))); // lda 5 ≥ 3 columns
        assert!(!blas_compatible(&a.slice(s![.., ..;2])));
        assert!(!blas_compatible(&a.slice(s![..;-1, ..])));
        let row = Array2::<f64>::zeros((1, 5));
        assert!(blas_compatible(&row.view()));
        let col = Array2::<f64>::zeros((5, 1));
        assert!(blas_compatible(&col.view()));
    }

    #[test]
    fn every_shape_class_multiplies_correctly() {
        for (m, k, n) in [
            (1, 40, 1),
            (1, 40, 9),
            (9, 40, 1),
            (9, 40, 9),
            (3, 1, 4),
            (1, 1, 1),
        ] {
            let a = Array2::from_shape_fn((m, k), |(i, j)| (i * 7 + j * 3) as f64 % 5.0 - 2.0);
            let b = Array2::from_shape_fn((k, n), |(i, j)| (i * 2 + j * 5) as f64 % 7.0 - 3.0);
            let mut c = Array2::from_elem((m, n), f64::NAN);
            multiply_into(&a.view(), &b.view(), &mut c.view_mut());
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = (0..k).map(|l| a[[i, l]] * b[[l, j]]).sum();
                    assert_eq!(c[[i, j]], want, "({m},{k},{n}) at ({i},{j})");
                }
            }
        }
    }
}
