//! Running generalized plans on BLAS and LAPACK (the Fortran symbols of the system OpenBLAS),
//! random operands with declared properties, and the naive oracle.
//!
//! Matrices are column-major [`Mat`]s, the layout Fortran routines read. Execution needs the
//! `lapack` feature; without it [`execute`] returns [`GenError::NoLapack`] (planning works
//! everywhere).

use super::expr::{Base, Expression, Factor, FactorChain};
use super::operand::Operand;
use super::planner::GenPlan;
#[cfg(feature = "lapack")]
use super::planner::{Arg, Value};
use super::GenError;
use ndarray::{Array2, ArrayView2};
use rand::Rng;

/// A dense column-major matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Mat {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Entries, column after column (element (i, j) at `i + j·rows`).
    pub data: Vec<f64>,
}

/// Most elements one matrix may have here (2^31, 16 GiB of f64): checked before allocating.
pub const MAX_ELEMENTS: u128 = 1 << 31;

impl Mat {
    /// A zero matrix; the size is checked first against [`MAX_ELEMENTS`] and against the
    /// memory this process can have ([`crate::system::usable_memory`]).
    pub fn zeros(rows: usize, cols: usize) -> Result<Mat, GenError> {
        let n = rows as u128 * cols as u128;
        // Small matrices skip the look-up (two /proc reads) on the hot path.
        let limit = if n <= 1 << 20 {
            MAX_ELEMENTS
        } else {
            crate::system::usable_memory()
                .map_or(MAX_ELEMENTS, |m| MAX_ELEMENTS.min(u128::from(m) / 8))
        };
        if n > limit {
            return Err(GenError::TooLarge {
                what: format!("a {rows}x{cols} matrix"),
                elements: n,
                limit,
            });
        }
        Ok(Mat {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        })
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i + j * self.rows]
    }

    /// Sets entry (i, j).
    pub fn set(&mut self, i: usize, j: usize, x: f64) {
        self.data[i + j * self.rows] = x;
    }

    /// The transpose, as a new matrix.
    pub fn transposed(&self) -> Mat {
        let mut t = Mat {
            rows: self.cols,
            cols: self.rows,
            data: vec![0.0; self.data.len()],
        };
        for j in 0..self.cols {
            for i in 0..self.rows {
                t.data[j + i * self.cols] = self.data[i + j * self.rows];
            }
        }
        t
    }

    /// From an ndarray view (any layout).
    pub fn from_array(a: &ArrayView2<f64>) -> Mat {
        let (rows, cols) = a.dim();
        let mut data = Vec::with_capacity(rows * cols);
        for j in 0..cols {
            for i in 0..rows {
                data.push(a[[i, j]]);
            }
        }
        Mat { rows, cols, data }
    }

    /// As an ndarray (standard layout).
    pub fn to_array(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.rows, self.cols), |(i, j)| self.get(i, j))
    }

    /// Largest absolute entry.
    pub fn max_abs(&self) -> f64 {
        self.data.iter().fold(0.0, |m, x| m.max(x.abs()))
    }

    /// Largest absolute entry of `self − other` (shapes must match).
    pub fn max_abs_diff(&self, other: &Mat) -> f64 {
        self.data
            .iter()
            .zip(&other.data)
            .fold(0.0, |m, (a, b)| m.max((a - b).abs()))
    }
}

/// A random operand with its declared properties, well conditioned: singular values (or
/// eigenvalues' magnitudes) within about [0.8, 3.2]. Full-rank, square and structured
/// matrices add 2 to a diagonal of entries uniform in ±1/√n; SPD ones are symmetric with
/// that diagonal; orthogonal ones are products of three Householder reflections.
pub fn random_operand(op: &Operand, rng: &mut impl Rng) -> Result<Mat, GenError> {
    let (m, n) = (op.rows, op.cols);
    let p = op.props;
    let mut a = Mat::zeros(m, n)?;
    let scale = 1.0 / (m.max(n) as f64).sqrt();
    if p.orthogonal {
        for i in 0..n {
            a.set(i, i, 1.0);
        }
        let mut qv = vec![0.0; n];
        for _ in 0..3 {
            let mut v: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let norm = v
                .iter()
                .map(|x| x * x)
                .sum::<f64>()
                .sqrt()
                .max(f64::MIN_POSITIVE);
            v.iter_mut().for_each(|x| *x /= norm);
            // Q ← Q·(I − 2vvᵀ) = Q − 2(Qv)vᵀ
            for (i, q) in qv.iter_mut().enumerate() {
                *q = (0..n).map(|j| a.get(i, j) * v[j]).sum();
            }
            for (j, vj) in v.iter().enumerate() {
                for (i, qi) in qv.iter().enumerate() {
                    let x = a.get(i, j) - 2.0 * qi * vj;
                    a.set(i, j, x);
                }
            }
        }
        return Ok(a);
    }
    if p.diagonal {
        for i in 0..n {
            let x: f64 = rng.random_range(1.0..3.0);
            a.set(i, i, if rng.random_bool(0.5) { x } else { -x });
        }
        return Ok(a);
    }
    for j in 0..n {
        for i in 0..m {
            let keep = !(p.lower && j > i || p.upper && i > j);
            if keep {
                a.set(i, j, rng.random_range(-1.0..1.0) * scale);
            }
        }
    }
    if p.symmetric {
        for j in 0..n {
            for i in 0..j {
                let x = 0.5 * (a.get(i, j) + a.get(j, i));
                a.set(i, j, x);
                a.set(j, i, x);
            }
        }
    }
    if p.full_rank || p.symmetric || p.triangular() {
        for i in 0..m.min(n) {
            // Indefinite symmetric matrices get signed diagonals; the rest +2.
            let sign = if p.symmetric && !p.spd && i % 2 == 1 {
                -1.0
            } else {
                1.0
            };
            a.set(i, i, a.get(i, i) + 2.0 * sign);
        }
    }
    Ok(a)
}

/// Random operands for every operand of `expr`, from one seeded generator.
pub fn random_operands(expr: &Expression, rng: &mut impl Rng) -> Result<Vec<Mat>, GenError> {
    expr.operands
        .iter()
        .map(|o| random_operand(o, rng))
        .collect()
}

/// The naive oracle, in plain Rust without BLAS: left to right, every inverse explicit (Gauss–
/// Jordan with partial pivoting), every product a triple loop. For tests on small operands.
pub fn oracle(expr: &Expression, operands: &[Mat]) -> Result<Mat, GenError> {
    check_operands(expr, operands)?;
    oracle_chain(&expr.chain, expr, operands)
}

fn oracle_chain(chain: &FactorChain, expr: &Expression, ops: &[Mat]) -> Result<Mat, GenError> {
    let mut acc: Option<Mat> = None;
    for f in &chain.factors {
        let v = oracle_factor(f, expr, ops)?;
        acc = Some(match acc {
            None => v,
            Some(a) => naive_mul(&a, &v)?,
        });
    }
    Ok(acc.expect("a chain has a factor"))
}

fn oracle_factor(f: &Factor, expr: &Expression, ops: &[Mat]) -> Result<Mat, GenError> {
    let mut v = match &f.base {
        Base::Operand(i) => ops[*i].clone(),
        Base::Group(g) => oracle_chain(g, expr, ops)?,
    };
    if f.inverted {
        v = gauss_jordan_inverse(&v, &super::expr::factor_text(f, &expr.operands))?;
    }
    if f.transposed {
        v = v.transposed();
    }
    Ok(v)
}

fn naive_mul(a: &Mat, b: &Mat) -> Result<Mat, GenError> {
    let mut c = Mat::zeros(a.rows, b.cols)?;
    for j in 0..b.cols {
        for l in 0..a.cols {
            let x = b.get(l, j);
            for i in 0..a.rows {
                c.data[i + j * a.rows] += a.get(i, l) * x;
            }
        }
    }
    Ok(c)
}

fn gauss_jordan_inverse(a: &Mat, what: &str) -> Result<Mat, GenError> {
    let n = a.rows;
    let mut m = a.clone();
    let mut inv = Mat::zeros(n, n)?;
    for i in 0..n {
        inv.set(i, i, 1.0);
    }
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| m.get(x, c).abs().total_cmp(&m.get(y, c).abs()))
            .expect("non-empty range");
        if m.get(p, c) == 0.0 {
            return Err(GenError::Lapack {
                routine: "gauss-jordan",
                operand: what.to_string(),
                info: c as i32 + 1,
                meaning: "the matrix is singular",
            });
        }
        for j in 0..n {
            let (x, y) = (m.get(c, j), m.get(p, j));
            m.set(c, j, y);
            m.set(p, j, x);
            let (x, y) = (inv.get(c, j), inv.get(p, j));
            inv.set(c, j, y);
            inv.set(p, j, x);
        }
        let d = m.get(c, c);
        for j in 0..n {
            m.set(c, j, m.get(c, j) / d);
            inv.set(c, j, inv.get(c, j) / d);
        }
        for r in 0..n {
            if r != c {
                let f = m.get(r, c);
                if f != 0.0 {
                    for j in 0..n {
                        m.set(r, j, m.get(r, j) - f * m.get(c, j));
                        inv.set(r, j, inv.get(r, j) - f * inv.get(c, j));
                    }
                }
            }
        }
    }
    Ok(inv)
}

fn check_operands(expr: &Expression, operands: &[Mat]) -> Result<(), GenError> {
    if operands.len() != expr.operands.len() {
        return Err(GenError::OperandMismatch {
            operand: "list".into(),
            expected: format!("{} operands", expr.operands.len()),
            got: format!("{} operands", operands.len()),
        });
    }
    for (o, m) in expr.operands.iter().zip(operands) {
        if (o.rows, o.cols) != (m.rows, m.cols) || m.data.len() != m.rows * m.cols {
            return Err(GenError::OperandMismatch {
                operand: o.name.clone(),
                expected: format!("{}x{}", o.rows, o.cols),
                got: format!("{}x{}", m.rows, m.cols),
            });
        }
    }
    Ok(())
}

/// Runs `plan` (made for `expr`) on `operands`, in the order of `expr.operands`.
pub fn execute(plan: &GenPlan, expr: &Expression, operands: &[Mat]) -> Result<Mat, GenError> {
    check_operands(expr, operands)?;
    #[cfg(feature = "lapack")]
    {
        lapack::run(plan, expr, operands)
    }
    #[cfg(not(feature = "lapack"))]
    {
        let _ = plan;
        Err(GenError::NoLapack)
    }
}

/// Runs `plan` on ndarray operands and returns an ndarray.
pub fn execute_arrays(
    plan: &GenPlan,
    expr: &Expression,
    operands: &[ArrayView2<f64>],
) -> Result<Array2<f64>, GenError> {
    let mats: Vec<Mat> = operands.iter().map(Mat::from_array).collect();
    Ok(execute(plan, expr, &mats)?.to_array())
}

/// Median seconds of each plan over `reps` interleaved rounds (round r runs every plan once,
/// in turn), after one warm-up round. Returns the medians and the last results.
pub fn time_interleaved(
    plans: &[&GenPlan],
    expr: &Expression,
    operands: &[Mat],
    reps: usize,
) -> Result<(Vec<f64>, Vec<Mat>), GenError> {
    let mut times = vec![Vec::with_capacity(reps); plans.len()];
    let mut results = Vec::new();
    for p in plans {
        results.push(execute(p, expr, operands)?);
    }
    for _ in 0..reps.max(1) {
        for (i, p) in plans.iter().enumerate() {
            let t = std::time::Instant::now();
            let r = execute(p, expr, operands)?;
            times[i].push(t.elapsed().as_secs_f64());
            results[i] = r;
        }
    }
    let medians = times
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    Ok((medians, results))
}

#[cfg(feature = "lapack")]
mod lapack {
    //! The Fortran BLAS and LAPACK symbols, and the step interpreter.
    use super::super::cost::Kernel;
    use super::super::planner::Side2;
    use super::*;
    use std::ffi::{c_char, c_int};

    // Fortran calling convention: every argument by pointer; gfortran appends the lengths of
    // character arguments, passed here as 1 (routines written in C ignore them).
    extern "C" {
        fn dgemm_(
            ta: *const c_char,
            tb: *const c_char,
            m: *const c_int,
            n: *const c_int,
            k: *const c_int,
            alpha: *const f64,
            a: *const f64,
            lda: *const c_int,
            b: *const f64,
            ldb: *const c_int,
            beta: *const f64,
            c: *mut f64,
            ldc: *const c_int,
            lta: usize,
            ltb: usize,
        );
        fn dgemv_(
            t: *const c_char,
            m: *const c_int,
            n: *const c_int,
            alpha: *const f64,
            a: *const f64,
            lda: *const c_int,
            x: *const f64,
            incx: *const c_int,
            beta: *const f64,
            y: *mut f64,
            incy: *const c_int,
            lt: usize,
        );
        fn dsymm_(
            side: *const c_char,
            uplo: *const c_char,
            m: *const c_int,
            n: *const c_int,
            alpha: *const f64,
            a: *const f64,
            lda: *const c_int,
            b: *const f64,
            ldb: *const c_int,
            beta: *const f64,
            c: *mut f64,
            ldc: *const c_int,
            ls: usize,
            lu: usize,
        );
        fn dtrmm_(
            side: *const c_char,
            uplo: *const c_char,
            ta: *const c_char,
            diag: *const c_char,
            m: *const c_int,
            n: *const c_int,
            alpha: *const f64,
            a: *const f64,
            lda: *const c_int,
            b: *mut f64,
            ldb: *const c_int,
            ls: usize,
            lu: usize,
            lt: usize,
            ld: usize,
        );
        fn dtrsm_(
            side: *const c_char,
            uplo: *const c_char,
            ta: *const c_char,
            diag: *const c_char,
            m: *const c_int,
            n: *const c_int,
            alpha: *const f64,
            a: *const f64,
            lda: *const c_int,
            b: *mut f64,
            ldb: *const c_int,
            ls: usize,
            lu: usize,
            lt: usize,
            ld: usize,
        );
        fn dtrsv_(
            uplo: *const c_char,
            t: *const c_char,
            diag: *const c_char,
            n: *const c_int,
            a: *const f64,
            lda: *const c_int,
            x: *mut f64,
            incx: *const c_int,
            lu: usize,
            lt: usize,
            ld: usize,
        );
        fn dsyrk_(
            uplo: *const c_char,
            t: *const c_char,
            n: *const c_int,
            k: *const c_int,
            alpha: *const f64,
            a: *const f64,
            lda: *const c_int,
            beta: *const f64,
            c: *mut f64,
            ldc: *const c_int,
            lu: usize,
            lt: usize,
        );
        fn dpotrf_(
            uplo: *const c_char,
            n: *const c_int,
            a: *mut f64,
            lda: *const c_int,
            info: *mut c_int,
            lu: usize,
        );
        fn dpotrs_(
            uplo: *const c_char,
            n: *const c_int,
            nrhs: *const c_int,
            a: *const f64,
            lda: *const c_int,
            b: *mut f64,
            ldb: *const c_int,
            info: *mut c_int,
            lu: usize,
        );
        fn dpotri_(
            uplo: *const c_char,
            n: *const c_int,
            a: *mut f64,
            lda: *const c_int,
            info: *mut c_int,
            lu: usize,
        );
        fn dgetrf_(
            m: *const c_int,
            n: *const c_int,
            a: *mut f64,
            lda: *const c_int,
            ipiv: *mut c_int,
            info: *mut c_int,
        );
        fn dgetrs_(
            t: *const c_char,
            n: *const c_int,
            nrhs: *const c_int,
            a: *const f64,
            lda: *const c_int,
            ipiv: *const c_int,
            b: *mut f64,
            ldb: *const c_int,
            info: *mut c_int,
            lt: usize,
        );
        fn dgetri_(
            n: *const c_int,
            a: *mut f64,
            lda: *const c_int,
            ipiv: *const c_int,
            work: *mut f64,
            lwork: *const c_int,
            info: *mut c_int,
        );
        fn dtrtri_(
            uplo: *const c_char,
            diag: *const c_char,
            n: *const c_int,
            a: *mut f64,
            lda: *const c_int,
            info: *mut c_int,
            lu: usize,
            ld: usize,
        );
    }

    /// A step's result: a matrix, or a factorization.
    enum Stored {
        Mat(Mat),
        /// Upper Cholesky factor U (W = UᵀU).
        Chol(Mat),
        /// LU factors and pivots.
        Lu(Mat, Vec<c_int>),
    }

    fn ch(b: bool, yes: u8, no: u8) -> c_char {
        (if b { yes } else { no }) as c_char
    }

    fn int(x: usize) -> c_int {
        // Operand dimensions are at most i32::MAX (checked when declared).
        c_int::try_from(x).expect("dimensions fit a 32-bit BLAS integer")
    }

    struct Run<'a> {
        ops: &'a [Mat],
        names: &'a Expression,
        vals: Vec<Stored>,
        /// How many arguments read each step's result (the plan's result counts as one).
        uses: Vec<usize>,
    }

    impl Run<'_> {
        fn mat(&self, v: Value) -> &Mat {
            match v {
                Value::Operand(i) => &self.ops[i],
                Value::Step(s) => match &self.vals[s] {
                    Stored::Mat(m) | Stored::Chol(m) | Stored::Lu(m, _) => m,
                },
            }
        }

        /// op(arg) as a matrix the caller may overwrite: a step's result that nothing else
        /// reads is moved out, anything else copied.
        fn take(&mut self, a: &Arg) -> Mat {
            if let (Value::Step(s), false) = (a.value, a.transposed) {
                if self.uses[s] == 1 {
                    if let Stored::Mat(m) = &mut self.vals[s] {
                        return std::mem::replace(
                            m,
                            Mat {
                                rows: 0,
                                cols: 0,
                                data: Vec::new(),
                            },
                        );
                    }
                }
            }
            self.materialize(a)
        }

        /// op(arg) as a new matrix.
        fn materialize(&self, a: &Arg) -> Mat {
            let m = self.mat(a.value);
            if a.transposed {
                m.transposed()
            } else {
                m.clone()
            }
        }

        fn name(&self, v: Value) -> String {
            match v {
                Value::Operand(i) => self.names.operands[i].name.clone(),
                Value::Step(s) => format!("S{}", s + 1),
            }
        }

        fn dims(&self, a: &Arg) -> (usize, usize) {
            let m = self.mat(a.value);
            if a.transposed {
                (m.cols, m.rows)
            } else {
                (m.rows, m.cols)
            }
        }

        fn gemm(&self, a: &Arg, b: &Arg) -> Result<Mat, GenError> {
            let (am, bm) = (self.mat(a.value), self.mat(b.value));
            let (m, k) = self.dims(a);
            let (_, n) = self.dims(b);
            let mut c = Mat::zeros(m, n)?;
            if m == 0 || n == 0 {
                return Ok(c);
            }
            // SAFETY: op(A) is m×k and op(B) k×n with leading dimensions their stored rows
            // (≥ 1), C is m×n with ldc = m, all buffers of exactly those sizes.
            unsafe {
                dgemm_(
                    &ch(a.transposed, b'T', b'N'),
                    &ch(b.transposed, b'T', b'N'),
                    &int(m),
                    &int(n),
                    &int(k),
                    &1.0,
                    am.data.as_ptr(),
                    &int(am.rows.max(1)),
                    bm.data.as_ptr(),
                    &int(bm.rows.max(1)),
                    &0.0,
                    c.data.as_mut_ptr(),
                    &int(m.max(1)),
                    1,
                    1,
                );
            }
            Ok(c)
        }

        fn gemv(&self, a: &Arg, b: &Arg) -> Result<Mat, GenError> {
            let (m, _) = self.dims(a);
            let (_, n) = self.dims(b);
            // y = op(A)·x when the result is a column, else yᵀ = op(B)ᵀ·xᵀ.
            let (mat, vec, trans) = if n == 1 {
                (a, b, a.transposed)
            } else {
                (b, a, !b.transposed)
            };
            let am = self.mat(mat.value);
            let x = self.mat(vec.value);
            let mut c = Mat::zeros(m, n)?;
            // SAFETY: A is stored rows×cols with lda = rows; x holds as many contiguous
            // entries as op(A) has columns, y as many as it has rows (a vector's storage is
            // contiguous whether it is read as a row or a column).
            unsafe {
                dgemv_(
                    &ch(trans, b'T', b'N'),
                    &int(am.rows),
                    &int(am.cols),
                    &1.0,
                    am.data.as_ptr(),
                    &int(am.rows.max(1)),
                    x.data.as_ptr(),
                    &1,
                    &0.0,
                    c.data.as_mut_ptr(),
                    &1,
                    1,
                );
            }
            Ok(c)
        }

        fn step(&mut self, st: &super::super::Step) -> Result<Stored, GenError> {
            let left = st.side == Side2::Left;
            let uplo = ch(st.lower, b'L', b'U');
            let a0 = &st.args[0];
            Ok(Stored::Mat(match st.kernel {
                Kernel::Gemm => self.gemm(a0, &st.args[1])?,
                Kernel::Gemv => self.gemv(a0, &st.args[1])?,
                Kernel::Symm => {
                    let (s, other) = if left {
                        (a0, &st.args[1])
                    } else {
                        (&st.args[1], a0)
                    };
                    let sm = self.mat(s.value);
                    let b = self.materialize(other);
                    let (m, n) = (st.rows, st.cols);
                    let mut c = Mat::zeros(m, n)?;
                    // SAFETY: S is square (m×m when left, n×n when right), B and C are m×n,
                    // each with its own rows as leading dimension.
                    unsafe {
                        dsymm_(
                            &ch(left, b'L', b'R'),
                            &(b'U' as c_char),
                            &int(m),
                            &int(n),
                            &1.0,
                            sm.data.as_ptr(),
                            &int(sm.rows),
                            b.data.as_ptr(),
                            &int(m.max(1)),
                            &0.0,
                            c.data.as_mut_ptr(),
                            &int(m.max(1)),
                            1,
                            1,
                        );
                    }
                    c
                }
                Kernel::Trmm | Kernel::Trsm => {
                    let (t, other) = if left {
                        (a0, &st.args[1])
                    } else {
                        (&st.args[1], a0)
                    };
                    let mut b = self.take(other);
                    let tm = self.mat(t.value);
                    let (m, n) = (b.rows, b.cols);
                    let f = if st.kernel == Kernel::Trmm {
                        dtrmm_
                    } else {
                        dtrsm_
                    };
                    // SAFETY: T is square of the side's size, B is m×n with ldb = m, and
                    // the routine overwrites B in place.
                    unsafe {
                        f(
                            &ch(left, b'L', b'R'),
                            &uplo,
                            &ch(t.transposed, b'T', b'N'),
                            &(b'N' as c_char),
                            &int(m),
                            &int(n),
                            &1.0,
                            tm.data.as_ptr(),
                            &int(tm.rows),
                            b.data.as_mut_ptr(),
                            &int(m.max(1)),
                            1,
                            1,
                            1,
                            1,
                        );
                    }
                    b
                }
                Kernel::Trsv => {
                    let (t, other) = if left {
                        (a0, &st.args[1])
                    } else {
                        (&st.args[1], a0)
                    };
                    let mut x = self.take(other);
                    let tm = self.mat(t.value);
                    // x·T⁻¹ (a row) is (T⁻ᵀ·xᵀ)ᵀ: the same data, the transpose flag flipped.
                    let trans = t.transposed == left;
                    // SAFETY: T is n×n with lda = n and x holds n contiguous entries.
                    unsafe {
                        dtrsv_(
                            &uplo,
                            &ch(trans, b'T', b'N'),
                            &(b'N' as c_char),
                            &int(tm.rows),
                            tm.data.as_ptr(),
                            &int(tm.rows),
                            x.data.as_mut_ptr(),
                            &1,
                            1,
                            1,
                            1,
                        );
                    }
                    x
                }
                Kernel::Syrk => {
                    let am = self.mat(a0.value);
                    let (n, k) = self.dims(a0);
                    let mut c = Mat::zeros(n, n)?;
                    // SAFETY: C = op(A)·op(A)ᵀ is n×n with ldc = n; A is stored with its
                    // rows as leading dimension (n×k untransposed, k×n transposed).
                    unsafe {
                        dsyrk_(
                            &(b'U' as c_char),
                            &ch(a0.transposed, b'T', b'N'),
                            &int(n),
                            &int(k),
                            &1.0,
                            am.data.as_ptr(),
                            &int(am.rows),
                            &0.0,
                            c.data.as_mut_ptr(),
                            &int(n),
                            1,
                            1,
                        );
                    }
                    mirror_upper(&mut c);
                    c
                }
                Kernel::DiagScale | Kernel::DiagSolve => {
                    let (d, other) = if left {
                        (a0, &st.args[1])
                    } else {
                        (&st.args[1], a0)
                    };
                    let mut b = self.take(other);
                    let dm = self.mat(d.value);
                    let solve = st.kernel == Kernel::DiagSolve;
                    for j in 0..b.cols {
                        for i in 0..b.rows {
                            let x = if left { dm.get(i, i) } else { dm.get(j, j) };
                            let v = b.get(i, j);
                            b.set(i, j, if solve { v / x } else { v * x });
                        }
                    }
                    b
                }
                Kernel::DiagInv => {
                    let dm = self.mat(a0.value);
                    let mut c = Mat::zeros(dm.rows, dm.cols)?;
                    for i in 0..dm.rows {
                        c.set(i, i, 1.0 / dm.get(i, i));
                    }
                    c
                }
                Kernel::Transpose => self.materialize(a0),
                Kernel::Potrf => {
                    let mut a = self.take(a0);
                    let mut info = 0;
                    // SAFETY: A is n×n with lda = n.
                    unsafe {
                        dpotrf_(
                            &(b'U' as c_char),
                            &int(a.rows),
                            a.data.as_mut_ptr(),
                            &int(a.rows.max(1)),
                            &mut info,
                            1,
                        );
                    }
                    self.check(
                        "potrf",
                        a0.value,
                        info,
                        "the matrix is not positive definite",
                    )?;
                    return Ok(Stored::Chol(a));
                }
                Kernel::Getrf => {
                    let mut a = self.take(a0);
                    let mut ipiv = vec![0 as c_int; a.rows];
                    let mut info = 0;
                    // SAFETY: A is n×n with lda = n, ipiv has n entries.
                    unsafe {
                        dgetrf_(
                            &int(a.rows),
                            &int(a.rows),
                            a.data.as_mut_ptr(),
                            &int(a.rows.max(1)),
                            ipiv.as_mut_ptr(),
                            &mut info,
                        );
                    }
                    self.check("getrf", a0.value, info, "the matrix is singular")?;
                    return Ok(Stored::Lu(a, ipiv));
                }
                Kernel::Potrs | Kernel::Getrs => {
                    let (f, other) = if left {
                        (a0, &st.args[1])
                    } else {
                        (&st.args[1], a0)
                    };
                    // B·M⁻¹ = (M⁻ᵀ·Bᵀ)ᵀ.
                    let mut b = if left {
                        self.take(other)
                    } else {
                        self.materialize(&Arg {
                            value: other.value,
                            transposed: !other.transposed,
                        })
                    };
                    let trans = f.transposed == left;
                    let mut info = 0;
                    let Value::Step(s) = f.value else {
                        unreachable!("solves read a factorization step")
                    };
                    match &self.vals[s] {
                        // SAFETY: the factor is n×n with lda = n; B is n×nrhs with ldb = n.
                        Stored::Chol(u) => unsafe {
                            dpotrs_(
                                &(b'U' as c_char),
                                &int(u.rows),
                                &int(b.cols),
                                u.data.as_ptr(),
                                &int(u.rows.max(1)),
                                b.data.as_mut_ptr(),
                                &int(b.rows.max(1)),
                                &mut info,
                                1,
                            );
                        },
                        // SAFETY: as above, with n pivots.
                        Stored::Lu(lu, ipiv) => unsafe {
                            dgetrs_(
                                &ch(trans, b'T', b'N'),
                                &int(lu.rows),
                                &int(b.cols),
                                lu.data.as_ptr(),
                                &int(lu.rows.max(1)),
                                ipiv.as_ptr(),
                                b.data.as_mut_ptr(),
                                &int(b.rows.max(1)),
                                &mut info,
                                1,
                            );
                        },
                        Stored::Mat(_) => unreachable!("solves read a factorization step"),
                    }
                    self.check(st.kernel.name(), f.value, info, "invalid argument")?;
                    if left {
                        b
                    } else {
                        b.transposed()
                    }
                }
                Kernel::Potri | Kernel::Getri => {
                    let Value::Step(s) = a0.value else {
                        unreachable!("explicit inverses read a factorization step")
                    };
                    let mut info = 0;
                    match &self.vals[s] {
                        Stored::Chol(u) => {
                            let mut a = u.clone();
                            // SAFETY: A is n×n with lda = n.
                            unsafe {
                                dpotri_(
                                    &(b'U' as c_char),
                                    &int(a.rows),
                                    a.data.as_mut_ptr(),
                                    &int(a.rows.max(1)),
                                    &mut info,
                                    1,
                                );
                            }
                            self.check("potri", a0.value, info, "the matrix is singular")?;
                            mirror_upper(&mut a);
                            a
                        }
                        Stored::Lu(lu, ipiv) => {
                            let mut a = lu.clone();
                            let n = a.rows;
                            let lwork = (64 * n).max(1);
                            let mut work = vec![0.0; lwork];
                            // SAFETY: A is n×n with lda = n, n pivots, work of lwork entries.
                            unsafe {
                                dgetri_(
                                    &int(n),
                                    a.data.as_mut_ptr(),
                                    &int(n.max(1)),
                                    ipiv.as_ptr(),
                                    work.as_mut_ptr(),
                                    &int(lwork),
                                    &mut info,
                                );
                            }
                            self.check("getri", a0.value, info, "the matrix is singular")?;
                            a
                        }
                        Stored::Mat(_) => unreachable!("explicit inverses read a factorization"),
                    }
                }
                Kernel::Trtri => {
                    let mut a = self.take(a0);
                    let mut info = 0;
                    // SAFETY: A is n×n with lda = n.
                    unsafe {
                        dtrtri_(
                            &uplo,
                            &(b'N' as c_char),
                            &int(a.rows),
                            a.data.as_mut_ptr(),
                            &int(a.rows.max(1)),
                            &mut info,
                            1,
                            1,
                        );
                    }
                    self.check("trtri", a0.value, info, "the matrix is singular")?;
                    // Zero the other triangle, which trtri leaves as it was.
                    for j in 0..a.cols {
                        for i in 0..a.rows {
                            if (st.lower && i < j) || (!st.lower && i > j) {
                                a.set(i, j, 0.0);
                            }
                        }
                    }
                    a
                }
            }))
        }

        fn check(
            &self,
            routine: &'static str,
            v: Value,
            info: c_int,
            meaning: &'static str,
        ) -> Result<(), GenError> {
            if info == 0 {
                Ok(())
            } else {
                Err(GenError::Lapack {
                    routine,
                    operand: self.name(v),
                    info,
                    meaning: if info < 0 {
                        "invalid argument (a bug: please report it)"
                    } else {
                        meaning
                    },
                })
            }
        }
    }

    fn mirror_upper(c: &mut Mat) {
        for j in 0..c.cols {
            for i in j + 1..c.rows {
                let x = c.get(j, i);
                c.set(i, j, x);
            }
        }
    }

    pub(super) fn run(plan: &GenPlan, expr: &Expression, ops: &[Mat]) -> Result<Mat, GenError> {
        let mut run = Run {
            ops,
            names: expr,
            vals: Vec::with_capacity(plan.steps.len()),
            uses: vec![0; plan.steps.len()],
        };
        for a in plan
            .steps
            .iter()
            .flat_map(|s| &s.args)
            .chain([&plan.result])
        {
            if let Value::Step(s) = a.value {
                run.uses[s] += 1;
            }
        }
        for st in &plan.steps {
            let v = run.step(st)?;
            run.vals.push(v);
        }
        Ok(run.take(&plan.result))
    }
}
