//! Running generalized plans: operands bound by name as ndarray views (either memory order,
//! matrices or 1-D vectors), one interpreter over two kernel backends — faer (pure Rust,
//! feature `faer`, on by default) and the system BLAS/LAPACK (feature `lapack`, through
//! `cblas-sys` and `lapack-sys`) — plus random operands with declared properties and the
//! naive oracle the tests compare against.
//!
//! A plan carries the expression it was planned for, so it runs only on arrays of the shapes
//! that expression declares ([`GenPlan::execute`] checks them), and every kernel call checks
//! its dimensions against the buffers it touches before it runs: a plan cannot make a kernel
//! read or write outside its arrays, whatever its origin.

// Without a backend (no `faer`, no `lapack`) the interpreter and the kernel interface have no
// caller: execution returns `GenError::NoBackend`.
#![cfg_attr(not(any(feature = "faer", feature = "lapack")), allow(dead_code))]

mod backend;
#[cfg(feature = "faer")]
mod faer;
#[cfg(feature = "lapack")]
mod lapack;
mod mat;

use self::backend::{mismatch, Info, LinAlg};
pub use self::mat::MAX_ELEMENTS;
use self::mat::{ColMat, MatRef};
use super::cost::Kernel;
use super::expr::Expression;
#[cfg(any(test, feature = "testing"))]
use super::expr::{Base, Factor, FactorChain};
use super::operand::Operand;
use super::steps::{Arg, GenPlan, Side2, Step, Value};
use super::GenError;
use crate::product::Product;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::Rng;

/// The kernels a plan runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// faer, in pure Rust (feature `faer`, on by default).
    Faer,
    /// The system BLAS and LAPACK, e.g. OpenBLAS (feature `lapack`, on with
    /// `openblas-system`).
    Lapack,
}

impl Backend {
    /// The backend [`GenPlan::execute`] uses: LAPACK when the build has it (it is the faster),
    /// else faer; `None` in a build with neither.
    pub fn preferred() -> Option<Backend> {
        Backend::available().first().copied()
    }

    /// The backends this build has, fastest first.
    pub fn available() -> Vec<Backend> {
        let mut out = Vec::new();
        if cfg!(feature = "lapack") {
            out.push(Backend::Lapack);
        }
        if cfg!(feature = "faer") {
            out.push(Backend::Faer);
        }
        out
    }

    /// `faer` or `lapack`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Faer => "faer",
            Backend::Lapack => "lapack",
        }
    }
}

/// An operand's array: a matrix in either memory order (any strides), or a 1-D vector for an
/// operand declared n×1 or 1×n; of f64 or f32 (one element type per call).
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A matrix of the declared shape.
    Matrix(ArrayView2<'a, f64>),
    /// A vector: the operand is declared n×1 (a column) or 1×n (a row).
    Vector(ArrayView1<'a, f64>),
    /// An f32 matrix of the declared shape.
    MatrixF32(ArrayView2<'a, f32>),
    /// An f32 vector: the operand is declared n×1 or 1×n.
    VectorF32(ArrayView1<'a, f32>),
}

impl Input<'_> {
    /// The element type's name: `f64` or `f32`.
    pub fn element_type(&self) -> &'static str {
        match self {
            Input::Matrix(_) | Input::Vector(_) => "f64",
            Input::MatrixF32(_) | Input::VectorF32(_) => "f32",
        }
    }

    fn is_vector(&self) -> bool {
        matches!(self, Input::Vector(_) | Input::VectorF32(_))
    }
}

/// An input of the element type a call runs in.
#[derive(Debug, Clone, Copy)]
enum Typed<'a, T> {
    Matrix(ArrayView2<'a, T>),
    Vector(ArrayView1<'a, T>),
}

// The sealed trait's methods take and return the executor's crate-internal types: nothing
// outside the crate can name the trait, so nothing outside can call them.
#[allow(private_interfaces)]
mod sealed {
    use super::{Backend, ColMat, GenError, GenPlan, Input, OperandView, Typed};

    /// What the executor needs of an element type; implemented for f64 and f32 only.
    pub trait Kernels: ndarray::NdFloat {
        /// The type's name: `f64` or `f32`.
        const NAME: &'static str;
        /// Relative tolerance of the symmetry check for this type.
        const SYMMETRY_TOLERANCE: Self;
        /// The input's array when it has this element type.
        fn typed<'a>(input: &Input<'a>) -> Option<Typed<'a, Self>>;
        /// Runs the plan on `backend`.
        fn run_plan(
            backend: Backend,
            plan: &GenPlan,
            ops: &[OperandView<'_, Self>],
        ) -> Result<ColMat<Self>, GenError>;
    }
}

/// An element type generalized plans execute in: `f64` or `f32` (sealed).
pub trait Real: sealed::Kernels {}

impl Real for f64 {}
impl Real for f32 {}

macro_rules! kernels {
    ($T:ty, $matrix:ident, $vector:ident, $tol:expr) => {
        #[allow(private_interfaces)]
        impl sealed::Kernels for $T {
            const NAME: &'static str = stringify!($T);
            const SYMMETRY_TOLERANCE: $T = $tol;

            fn typed<'a>(input: &Input<'a>) -> Option<Typed<'a, $T>> {
                match *input {
                    Input::$matrix(v) => Some(Typed::Matrix(v)),
                    Input::$vector(v) => Some(Typed::Vector(v)),
                    _ => None,
                }
            }

            fn run_plan(
                backend: Backend,
                plan: &GenPlan,
                ops: &[OperandView<'_, $T>],
            ) -> Result<ColMat<$T>, GenError> {
                let _ = (plan, ops);
                match backend {
                    #[cfg(feature = "faer")]
                    Backend::Faer => run(&faer::Faer, plan, ops),
                    #[cfg(feature = "lapack")]
                    Backend::Lapack => run(&lapack::Lapack, plan, ops),
                    #[allow(unreachable_patterns)]
                    _ => Err(GenError::NoBackend),
                }
            }
        }
    };
}

kernels!(f64, Matrix, Vector, SYMMETRY_TOLERANCE);
kernels!(f32, MatrixF32, VectorF32, SYMMETRY_TOLERANCE_F32);

/// `From` arrays and views of one element type for [`Input`]'s matrix and vector variants.
macro_rules! input_from {
    ($t:ty, $matrix:ident, $vector:ident) => {
        impl<'a> From<ArrayView2<'a, $t>> for Input<'a> {
            fn from(v: ArrayView2<'a, $t>) -> Self {
                Input::$matrix(v)
            }
        }

        impl<'a> From<&'a Array2<$t>> for Input<'a> {
            fn from(v: &'a Array2<$t>) -> Self {
                Input::$matrix(v.view())
            }
        }

        impl<'a> From<ArrayView1<'a, $t>> for Input<'a> {
            fn from(v: ArrayView1<'a, $t>) -> Self {
                Input::$vector(v)
            }
        }

        impl<'a> From<&'a Array1<$t>> for Input<'a> {
            fn from(v: &'a Array1<$t>) -> Self {
                Input::$vector(v.view())
            }
        }
    };
}

input_from!(f64, Matrix, Vector);
input_from!(f32, MatrixF32, VectorF32);

impl GenPlan {
    /// Runs the plan on arrays bound to the expression's operand names, on
    /// [`Backend::preferred`]. Every operand must be bound exactly once, with its declared
    /// shape (a 1-D array for an n×1 or 1×n operand is accepted too). The result is a
    /// [`Product::Matrix`], or, when an operand was bound as a 1-D array and the result has a
    /// dimension of 1, a [`Product::Vector`] (a [`Product::Scalar`] when both are 1), as
    /// [`crate::multi_dot`] returns them.
    ///
    /// Declared symmetry, triangularity and diagonality are checked first, in O(n²)
    /// ([`GenError::PropertyViolated`]; [`GenPlan::execute_trusted`] skips the check); SPD
    /// is checked by the Cholesky factorization that runs anyway; orthogonality is trusted.
    ///
    /// The arrays are f64; f32 arrays run through [`GenPlan::execute_as`]. An f32 array here
    /// is a [`GenError::ElementType`] naming it.
    pub fn execute(&self, operands: &[(&str, Input<'_>)]) -> Result<Product<f64>, GenError> {
        let backend = Backend::preferred().ok_or(GenError::NoBackend)?;
        self.execute_with(backend, operands)
    }

    /// [`GenPlan::execute`] on a chosen backend; [`GenError::NoBackend`] when this build does
    /// not have it.
    pub fn execute_with(
        &self,
        backend: Backend,
        operands: &[(&str, Input<'_>)],
    ) -> Result<Product<f64>, GenError> {
        self.execute_as(backend, operands, true)
    }

    /// [`GenPlan::execute_with`] without the O(n²) checks of declared symmetry,
    /// triangularity and diagonality, for callers who vouch for their data (a violated
    /// declaration then gives a wrong answer, never a read outside the arrays).
    pub fn execute_trusted(
        &self,
        backend: Backend,
        operands: &[(&str, Input<'_>)],
    ) -> Result<Product<f64>, GenError> {
        self.execute_as(backend, operands, false)
    }

    /// Runs the plan in the element type `T` (f64 or f32) on `backend`; the O(n²) property
    /// checks run when `check` is true ([`GenPlan::execute_with`]) and are skipped when it is
    /// false ([`GenPlan::execute_trusted`]). Every array must have element type `T`: one of
    /// another type is a [`GenError::ElementType`] naming the operands of each type. The
    /// same plan runs in either type.
    ///
    /// ```
    /// use chainplan::generalized::{plan, Backend, CostModel, Expression, Operand};
    /// use chainplan::Product;
    /// use ndarray::Array2;
    ///
    /// let ops = [Operand::parse("M=3x3:spd")?, Operand::parse("b=3x1")?];
    /// let p = plan(&Expression::parse("inv(M) * b", &ops)?, &CostModel::planned())?;
    /// let m = Array2::<f32>::from_diag_elem(3, 2.0);
    /// let b = Array2::<f32>::ones((3, 1));
    /// let backend = Backend::preferred().expect("a backend");
    /// let Product::Matrix(x) = p.execute_as::<f32>(backend, &[("M", (&m).into()), ("b", (&b).into())], true)? else {
    ///     unreachable!("matrices in, a matrix out")
    /// };
    /// assert!(x.iter().all(|v| (v - 0.5).abs() < 1e-6));
    /// # Ok::<(), chainplan::generalized::GenError>(())
    /// ```
    pub fn execute_as<T: Real>(
        &self,
        backend: Backend,
        operands: &[(&str, Input<'_>)],
        check: bool,
    ) -> Result<Product<T>, GenError> {
        let ordered = bind(&self.expr.operands, operands)?;
        let typed = of_type::<T>(&ordered)?;
        let vector = operands.iter().any(|(_, i)| i.is_vector());
        let m = run_on(backend, self, &typed, check)?.into_array();
        Ok(match (vector, m.dim()) {
            (true, (1, 1)) => Product::Scalar(m[[0, 0]]),
            (true, (_, 1)) => Product::Vector(m.column(0).to_owned()),
            (true, (1, _)) => Product::Vector(m.row(0).to_owned()),
            _ => Product::Matrix(m),
        })
    }

    /// Runs the plan on matrices (f64 or f32) given in the order of [`GenPlan::operands`]
    /// (for the benchmarks and tests, whose operands come from [`random_operands`]); declared
    /// properties are checked as in [`GenPlan::execute_with`].
    pub fn execute_in_order<T: Real>(
        &self,
        backend: Backend,
        operands: &[ArrayView2<'_, T>],
    ) -> Result<Array2<T>, GenError> {
        self.in_order(backend, operands, true)
    }

    fn in_order<T: Real>(
        &self,
        backend: Backend,
        operands: &[ArrayView2<'_, T>],
        check: bool,
    ) -> Result<Array2<T>, GenError> {
        let ops = &self.expr.operands;
        if operands.len() != ops.len() {
            return Err(GenError::OperandMismatch {
                operand: "list".into(),
                expected: format!("{} operands", ops.len()),
                got: format!("{} operands", operands.len()),
            });
        }
        let inputs = operands.iter().map(|v| Typed::Matrix(*v));
        let ordered: Vec<(&Operand, Typed<'_, T>)> = ops.iter().zip(inputs).collect();
        Ok(run_on(backend, self, &ordered, check)?.into_array())
    }
}

/// Each declared operand with its array, in declaration order.
fn bind<'o, 'a>(
    ops: &'o [Operand],
    given: &[(&str, Input<'a>)],
) -> Result<Vec<(&'o Operand, Input<'a>)>, GenError> {
    let mut slots: Vec<Option<Input<'a>>> = vec![None; ops.len()];
    for (name, input) in given {
        let i = ops
            .iter()
            .position(|o| o.name == *name)
            .ok_or_else(|| GenError::Binding {
                name: name.to_string(),
                reason: format!(
                    "is not an operand of the expression; its operands: {}",
                    ops.iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        if slots[i].replace(*input).is_some() {
            return Err(GenError::Binding {
                name: name.to_string(),
                reason: "is bound more than once".into(),
            });
        }
    }
    ops.iter()
        .zip(slots)
        .map(|(o, s)| {
            s.map(|i| (o, i)).ok_or_else(|| GenError::Binding {
                name: o.name.clone(),
                reason: "is not bound to an array".into(),
            })
        })
        .collect()
}

/// The bound arrays in the element type `T`, or an error naming the operands of each type.
fn of_type<'o, 'a, T: Real>(
    ordered: &[(&'o Operand, Input<'a>)],
) -> Result<Vec<(&'o Operand, Typed<'a, T>)>, GenError> {
    let typed: Vec<Option<Typed<'a, T>>> = ordered.iter().map(|(_, i)| T::typed(i)).collect();
    if typed.iter().all(Option::is_some) {
        return Ok(ordered
            .iter()
            .zip(typed)
            .map(|((o, _), t)| (*o, t.expect("checked")))
            .collect());
    }
    let names = |want: bool| {
        ordered
            .iter()
            .zip(&typed)
            .filter(|(_, t)| t.is_some() == want)
            .map(|((o, _), _)| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let other = ordered
        .iter()
        .zip(&typed)
        .find(|(_, t)| t.is_none())
        .map_or("", |((_, i), _)| i.element_type());
    Err(GenError::ElementType {
        expected: T::NAME,
        matching: names(true),
        given: other,
        other: names(false),
    })
}

fn run_on<T: Real>(
    backend: Backend,
    plan: &GenPlan,
    ops: &[(&Operand, Typed<'_, T>)],
    check: bool,
) -> Result<ColMat<T>, GenError> {
    // The operands as checked views; a layout no kernel can read (non-unit strides in both
    // directions, negative strides) is copied once into column-major order.
    let mut copies: Vec<Option<ColMat<T>>> = Vec::with_capacity(ops.len());
    for (o, input) in ops {
        copies.push(match as_view(o, input)? {
            Some(_) => None,
            None => Some(copy_of(input)?),
        });
    }
    let mut views = Vec::with_capacity(ops.len());
    for ((o, input), copy) in ops.iter().zip(&copies) {
        views.push(match copy {
            Some(c) => OperandView {
                view: c.view(false),
                flipped: false,
            },
            None => as_view(o, input)?.expect("checked above"),
        });
    }
    if check {
        // Only the operands the plan reads: a declared but unused operand costs nothing.
        let mut used = vec![false; ops.len()];
        for a in plan
            .steps
            .iter()
            .flat_map(|s| &s.args)
            .chain([&plan.result])
        {
            if let Value::Operand(i) = a.value {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
            }
        }
        for (((o, _), v), u) in ops.iter().zip(&views).zip(used) {
            if u {
                check_properties(o, &v.view)?;
            }
        }
    }
    T::run_plan(backend, plan, &views)
}

/// An operand's view, and whether its storage is the transpose of the operand (a row-major
/// array is read as the column-major storage of its transpose).
#[derive(Clone, Copy)]
struct OperandView<'a, T> {
    view: MatRef<'a, T>,
    flipped: bool,
}

fn shape_error(o: &Operand, got: String) -> GenError {
    GenError::OperandMismatch {
        operand: o.name.clone(),
        expected: format!("{}x{}", o.rows, o.cols),
        got,
    }
}

/// The array as a view without copying, `None` when its layout needs a copy; an error when
/// its shape is not the declared one.
fn as_view<'a, T: Real>(
    o: &Operand,
    input: &Typed<'a, T>,
) -> Result<Option<OperandView<'a, T>>, GenError> {
    let (r, c) = (o.rows, o.cols);
    match *input {
        Typed::Matrix(v) => {
            if v.dim() != (r, c) {
                return Err(shape_error(o, format!("{}x{}", v.nrows(), v.ncols())));
            }
            let Some(data) = v.to_slice_memory_order() else {
                return Ok(None);
            };
            Ok(if v.t().is_standard_layout() {
                MatRef::new(data, r, c, r.max(1), false).map(|view| OperandView {
                    view,
                    flipped: false,
                })
            } else if v.is_standard_layout() {
                MatRef::new(data, c, r, c.max(1), true).map(|view| OperandView {
                    view,
                    flipped: true,
                })
            } else {
                None
            })
        }
        Typed::Vector(v) => {
            if r != 1 && c != 1 || v.len() != r * c {
                return Err(shape_error(o, format!("a vector of {}", v.len())));
            }
            let Some(data) = v.to_slice() else {
                return Ok(None);
            };
            Ok(
                MatRef::new(data, r, c, r.max(1), false).map(|view| OperandView {
                    view,
                    flipped: false,
                }),
            )
        }
    }
}

/// Relative tolerance of the symmetry check of f64 operands: |aᵢⱼ − aⱼᵢ| ≤ this × max |A|
/// (a product such as X·Xᵀ computed by a BLAS may differ from its transpose by rounding).
pub const SYMMETRY_TOLERANCE: f64 = 1e-10;

/// The same for f32 operands (about 840 ε of f32, as 1e-10 is about 450,000 ε of f64).
pub const SYMMETRY_TOLERANCE_F32: f32 = 1e-4;

/// Checks the declared diagonality, triangularity (exact zeros) and symmetry of an operand
/// in O(n²), before any O(n³) work. SPD is left to the Cholesky factorization, orthogonality
/// (an O(n³) check) is trusted.
fn check_properties<T: Real>(o: &Operand, a: &MatRef<'_, T>) -> Result<(), GenError> {
    let p = o.props;
    if !(p.symmetric || p.triangular()) {
        return Ok(());
    }
    // The stored matrix is read in memory order; element (r, c) of the storage is the
    // operand's (c, r) when the view is transposed.
    let (d, ld, n) = (a.data(), a.ld(), a.stored_rows());
    if a.stored_cols() != n {
        return Err(mismatch(
            "property check",
            format!("{} is not square", o.name),
        ));
    }
    let logical = |r: usize, c: usize| if a.trans() { (c, r) } else { (r, c) };
    let bad = |property: &'static str, r: usize, c: usize| {
        let (i, j) = logical(r, c);
        GenError::PropertyViolated {
            operand: o.name.clone(),
            property,
            detail: format!("entry ({}, {}) is {:e}", i + 1, j + 1, d[r + c * ld]),
        }
    };
    // The stored rows of each column c that the declaration makes zero: those above the
    // diagonal (0..c) for a lower matrix stored as it is, or an upper one stored transposed,
    // and below it (c + 1..n) in the other two cases; both for a diagonal matrix. Only those
    // entries are read, in chunks without a branch per entry.
    let lower_only = p.lower && !p.upper;
    let upper_only = p.upper && !p.lower;
    let zero_above = p.diagonal || (lower_only && !a.trans()) || (upper_only && a.trans());
    let zero_below = p.diagonal || (lower_only && a.trans()) || (upper_only && !a.trans());
    let property = if p.diagonal {
        "diagonal"
    } else if lower_only {
        "lower"
    } else {
        "upper"
    };
    if zero_above || zero_below {
        for c in 0..n {
            // In bounds: a checked view of an n×n matrix holds (n − 1)·ld + n entries.
            let col = &d[c * ld..c * ld + n];
            for (zero, rows) in [(zero_above, 0..c), (zero_below, c + 1..n)] {
                if let Some(k) = zero.then(|| first_nonzero(&col[rows.clone()])).flatten() {
                    return Err(bad(property, rows.start + k, c));
                }
            }
        }
    }
    if p.symmetric && !p.diagonal {
        if let Some((r, c)) = asymmetric_entry(d, ld, n) {
            let (x, y) = (d[r + c * ld], d[c + r * ld]);
            let (i, j) = logical(r, c);
            return Err(GenError::PropertyViolated {
                operand: o.name.clone(),
                property: if p.spd { "spd" } else { "symmetric" },
                detail: format!(
                    "entry ({}, {}) is {x:e} but ({}, {}) is {y:e}",
                    i + 1,
                    j + 1,
                    j + 1,
                    i + 1
                ),
            });
        }
    }
    Ok(())
}

/// The index of the first entry of `v` that is not zero (a NaN is not zero), if any: chunks
/// of 32 are tested without a branch per entry, and only a chunk that has one is searched.
fn first_nonzero<T: Real>(v: &[T]) -> Option<usize> {
    let mut base = 0;
    for chunk in v.chunks(32) {
        if chunk.iter().fold(false, |any, x| any | (*x != T::zero())) {
            return chunk.iter().position(|x| *x != T::zero()).map(|k| base + k);
        }
        base += chunk.len();
    }
    None
}

/// The first stored entry (r, c), r > c, of an n×n column-major matrix (leading dimension
/// `ld`) with |a_rc − a_cr| > tolerance × max |A|, or a difference that is not finite, if any.
///
/// One pass by 8×8 blocks reads every entry once: a block below the diagonal and its mirror
/// above it are loaded as eight column segments each (one cache line of f64), and compared
/// in registers. Eight independent lanes keep the largest magnitude, the largest difference
/// and a sum that turns NaN at the first difference that is not finite: no branch and no
/// dependency from one element to the next. The last n mod 8 rows are scanned directly.
/// Only a failed check pays a second pass, to name the entry.
fn asymmetric_entry<T: Real>(d: &[T], ld: usize, n: usize) -> Option<(usize, usize)> {
    const L: usize = 8;
    let (mut big, mut far, mut nan) = ([T::zero(); L], [T::zero(); L], [T::zero(); L]);
    let mut lane = |l: usize, x: T, y: T| {
        let e = (x - y).abs();
        let (ax, ay) = (x.abs(), y.abs());
        big[l] = if ax > big[l] { ax } else { big[l] };
        big[l] = if ay > big[l] { ay } else { big[l] };
        far[l] = if e > far[l] { e } else { far[l] };
        // e · 0 is 0 for a finite e and NaN otherwise; NaN stays NaN.
        nan[l] += e * T::zero();
    };
    // In bounds throughout: every row and column index is below n, and a checked view of an
    // n×n matrix holds (n − 1)·ld + n entries.
    let blocks = n / L;
    let (mut x, mut y) = ([[T::zero(); L]; L], [[T::zero(); L]; L]);
    for cb in 0..blocks {
        let c = cb * L;
        for rb in cb..blocks {
            let r = rb * L;
            for k in 0..L {
                // x[k][l] = a(r + l, c + k), y[k][l] = a(c + l, r + k).
                x[k].copy_from_slice(&d[(c + k) * ld + r..(c + k) * ld + r + L]);
                y[k].copy_from_slice(&d[(r + k) * ld + c..(r + k) * ld + c + L]);
            }
            for k in 0..L {
                for l in 0..L {
                    lane(l, x[k][l], y[l][k]);
                }
            }
        }
    }
    for c in 0..n {
        for r in c.max(blocks * L)..n {
            lane(0, d[r + c * ld], d[c + r * ld]);
        }
    }
    let fold = |v: [T; L]| v.iter().fold(T::zero(), |m, &x| if x > m { x } else { m });
    let tol = T::SYMMETRY_TOLERANCE * fold(big);
    if fold(far) <= tol && !nan.iter().any(|x| x.is_nan()) {
        return None;
    }
    (0..n).find_map(|c| {
        (c + 1..n)
            .find(|&r| {
                let e = (d[r + c * ld] - d[c + r * ld]).abs();
                !(e <= tol && e.is_finite())
            })
            .map(|r| (r, c))
    })
}

/// A column-major copy of an array whose layout no kernel reads.
fn copy_of<T: Real>(input: &Typed<'_, T>) -> Result<ColMat<T>, GenError> {
    match input {
        Typed::Matrix(v) => {
            let mut m = ColMat::zeros(v.nrows(), v.ncols())?;
            for ((i, j), x) in v.indexed_iter() {
                m.set(i, j, *x);
            }
            Ok(m)
        }
        Typed::Vector(v) => {
            let d: Vec<T> = v.iter().copied().collect();
            Ok(ColMat::from_vec(d.len(), 1, d).expect("n entries"))
        }
    }
}

/// A step's result: a matrix, or a factorization.
enum Stored<T, L, D> {
    Mat(ColMat<T>),
    /// Upper Cholesky factor U (W = UᵀU); the strict lower triangle is not meaningful.
    Chol(ColMat<T>),
    Lu(L),
    /// A Bunch–Kaufman factorization.
    Ldl(D),
}

struct Run<'p, 'a, T: Real, B: LinAlg<T>> {
    b: &'p B,
    plan: &'p GenPlan,
    ops: &'p [OperandView<'a, T>],
    vals: Vec<Stored<T, B::Lu, B::Ldl>>,
    /// How many arguments read each step's result (the plan's result counts as one).
    uses: Vec<usize>,
}

fn run<T: Real, B: LinAlg<T>>(
    b: &B,
    plan: &GenPlan,
    ops: &[OperandView<'_, T>],
) -> Result<ColMat<T>, GenError> {
    let mut uses = vec![0; plan.steps.len()];
    for a in plan
        .steps
        .iter()
        .flat_map(|s| &s.args)
        .chain([&plan.result])
    {
        if let Value::Step(s) = a.value {
            if let Some(u) = uses.get_mut(s) {
                *u += 1;
            }
        }
    }
    let mut r = Run {
        b,
        plan,
        ops,
        vals: Vec::with_capacity(plan.steps.len()),
        uses,
    };
    for st in &plan.steps {
        let v = r.step(st)?;
        r.vals.push(v);
    }
    let out = r.take(&plan.result)?;
    if (out.rows(), out.cols()) != (plan.rows, plan.cols) {
        return Err(mismatch(
            "result",
            "the plan's result has another shape".into(),
        ));
    }
    Ok(out)
}

impl<'a, T: Real, B: LinAlg<T>> Run<'_, 'a, T, B> {
    /// op(arg) as a view, and whether the stored matrix is the transpose of the value.
    fn view(&self, a: &Arg) -> Result<(MatRef<'_, T>, bool), GenError> {
        let missing = || mismatch("plan", format!("{} is not available", self.name(a.value)));
        let (v, flipped) = match a.value {
            Value::Operand(i) => {
                let o = self.ops.get(i).ok_or_else(missing)?;
                (o.view, o.flipped)
            }
            Value::Step(s) => match self.vals.get(s).ok_or_else(missing)? {
                Stored::Mat(m) | Stored::Chol(m) => (m.view(false), false),
                Stored::Lu(_) | Stored::Ldl(_) => {
                    return Err(mismatch(
                        "plan",
                        "an LU or LDLᵀ factorization read as a matrix".into(),
                    ))
                }
            },
        };
        Ok((if a.transposed { v.t() } else { v }, flipped))
    }

    /// op(arg) as a matrix the caller may overwrite: a step's result that nothing else
    /// reads is moved out, anything else copied.
    fn take(&mut self, a: &Arg) -> Result<ColMat<T>, GenError> {
        if let (Value::Step(s), false) = (a.value, a.transposed) {
            if self.uses.get(s) == Some(&1) {
                if let Some(Stored::Mat(m)) = self.vals.get_mut(s) {
                    return Ok(std::mem::replace(m, ColMat::empty()));
                }
            }
        }
        self.view(a)?.0.to_colmat()
    }

    /// [`Runner::take`] for the argument of a symmetric factorization (potrf, sytrf), which
    /// reads one triangle of a matrix equal to its transpose: a transposed view (a C-ordered
    /// operand) is copied as it is stored, contiguous column by column, rather than
    /// transposed by tiles. (Checked symmetric, the two copies agree to the check's
    /// tolerance; trusted, the caller vouched that they are equal.)
    fn take_symmetric(&mut self, a: &Arg) -> Result<ColMat<T>, GenError> {
        let (v, _) = self.view(a)?;
        if v.trans() {
            return v.t().to_colmat();
        }
        self.take(a)
    }

    fn name(&self, v: Value) -> String {
        self.plan.value_name(v)
    }

    /// LAPACK's info > 0 as an error naming the value.
    fn failed<V>(
        &self,
        r: Result<V, Info>,
        routine: &'static str,
        v: Value,
        meaning: &'static str,
    ) -> Result<V, GenError> {
        r.map_err(|info| GenError::Lapack {
            routine,
            operand: self.name(v),
            info,
            meaning,
        })
    }

    /// The (structured, other) arguments of a two-argument step.
    fn sides<'s>(&self, st: &'s Step) -> Result<(&'s Arg, &'s Arg), GenError> {
        match (&st.args[..], st.side) {
            ([m, o], Side2::Left) => Ok((m, o)),
            ([o, m], Side2::Right) => Ok((m, o)),
            _ => Err(mismatch(
                st.kernel.name(),
                "wrong number of arguments".into(),
            )),
        }
    }

    fn one<'s>(&self, st: &'s Step) -> Result<&'s Arg, GenError> {
        match &st.args[..] {
            [a] => Ok(a),
            _ => Err(mismatch(
                st.kernel.name(),
                "wrong number of arguments".into(),
            )),
        }
    }

    fn step(&mut self, st: &Step) -> Result<Stored<T, B::Lu, B::Ldl>, GenError> {
        let left = st.side == Side2::Left;
        Ok(Stored::Mat(match st.kernel {
            Kernel::Gemm | Kernel::Gemv => self.gemm(st)?,
            Kernel::Symm => self.symm(st, left)?,
            Kernel::Trmm | Kernel::Trsm | Kernel::Trsv => self.triangular(st, left)?,
            Kernel::Syrk => {
                let a = self.one(st)?;
                self.b.syrk(self.view(a)?.0)?
            }
            Kernel::DiagScale | Kernel::DiagSolve => self.diagonal(st, left)?,
            Kernel::DiagInv => self.diag_inverse(st)?,
            Kernel::Transpose => {
                let a = *self.one(st)?;
                self.take(&a)?
            }
            Kernel::Potrf => {
                let a0 = *self.one(st)?;
                let mut a = self.take_symmetric(&a0)?;
                let r = self.b.potrf(&mut a)?;
                self.failed(r, "potrf", a0.value, "the matrix is not positive definite")?;
                return Ok(Stored::Chol(a));
            }
            Kernel::Getrf => {
                let a0 = *self.one(st)?;
                let a = self.take(&a0)?;
                let r = self.b.getrf(a)?;
                return Ok(Stored::Lu(self.failed(
                    r,
                    "getrf",
                    a0.value,
                    "the matrix is singular",
                )?));
            }
            Kernel::Sytrf => {
                let a0 = *self.one(st)?;
                let a = self.take_symmetric(&a0)?;
                let r = self.b.sytrf(a)?;
                return Ok(Stored::Ldl(self.failed(
                    r,
                    "sytrf",
                    a0.value,
                    "the matrix is singular",
                )?));
            }
            Kernel::Potrs | Kernel::Getrs | Kernel::Sytrs => self.solve(st, left)?,
            Kernel::Potri | Kernel::Getri | Kernel::Sytri => self.inverse(st)?,
            Kernel::Trtri => {
                let a0 = *self.one(st)?;
                let mut a = self.take(&a0)?;
                let r = self.b.trtri(&mut a, st.lower)?;
                self.failed(r, "trtri", a0.value, "the matrix is singular")?;
                a
            }
        }))
    }

    fn gemm(&self, st: &Step) -> Result<ColMat<T>, GenError> {
        match &st.args[..] {
            [a, b] => self.b.gemm(self.view(a)?.0, self.view(b)?.0),
            _ => Err(mismatch("gemm", "wrong number of arguments".into())),
        }
    }

    fn symm(&self, st: &Step, left: bool) -> Result<ColMat<T>, GenError> {
        let (s, other) = self.sides(st)?;
        self.b.symm(self.view(s)?.0, self.view(other)?.0, left)
    }

    fn triangular(&mut self, st: &Step, left: bool) -> Result<ColMat<T>, GenError> {
        let (t, other) = self.sides(st)?;
        let (t, other) = (*t, *other);
        let mut b = self.take(&other)?;
        let (tv, flipped) = self.view(&t)?;
        // `lower` names the triangle of the value; a flipped storage holds the other one.
        let lower = st.lower != flipped;
        if st.kernel == Kernel::Trmm {
            self.b.trmm(tv, lower, &mut b, left)?;
        } else {
            self.b.trsm(tv, lower, &mut b, left)?;
        }
        Ok(b)
    }

    fn diagonal(&mut self, st: &Step, left: bool) -> Result<ColMat<T>, GenError> {
        let (d, other) = self.sides(st)?;
        let (d, other) = (*d, *other);
        let mut b = self.take(&other)?;
        let (dv, _) = self.view(&d)?;
        let n = backend::check_square(st.kernel.name(), dv.nrows(), dv.ncols())?;
        if n != if left { b.rows() } else { b.cols() } {
            return Err(mismatch(
                st.kernel.name(),
                "the diagonal does not fit".into(),
            ));
        }
        let solve = st.kernel == Kernel::DiagSolve;
        for j in 0..b.cols() {
            for i in 0..b.rows() {
                let k = if left { i } else { j };
                let x = dv.at(k, k);
                let v = b.get(i, j);
                b.set(i, j, if solve { v / x } else { v * x });
            }
        }
        Ok(b)
    }

    fn diag_inverse(&self, st: &Step) -> Result<ColMat<T>, GenError> {
        let (dv, _) = self.view(self.one(st)?)?;
        let n = backend::check_square("diag-inv", dv.nrows(), dv.ncols())?;
        let mut c = ColMat::zeros(n, n)?;
        for i in 0..n {
            c.set(i, i, T::one() / dv.at(i, i));
        }
        Ok(c)
    }

    /// potrs / getrs: B·M⁻¹ is solved as (M⁻ᵀ·Bᵀ)ᵀ.
    fn solve(&mut self, st: &Step, left: bool) -> Result<ColMat<T>, GenError> {
        let (f, other) = self.sides(st)?;
        let (f, other) = (*f, *other);
        let mut b = if left {
            self.take(&other)?
        } else {
            self.view(&other)?.0.t().to_colmat()?
        };
        let trans = f.transposed == left;
        let Value::Step(s) = f.value else {
            return Err(mismatch(
                st.kernel.name(),
                "solves read a factorization".into(),
            ));
        };
        match (st.kernel, self.vals.get(s)) {
            (Kernel::Potrs, Some(Stored::Chol(u))) => self.b.potrs(u, &mut b)?,
            (Kernel::Getrs, Some(Stored::Lu(lu))) => self.b.getrs(lu, trans, &mut b)?,
            // A symmetric matrix is its own transpose.
            (Kernel::Sytrs, Some(Stored::Ldl(f))) => self.b.sytrs(f, &mut b)?,
            _ => {
                return Err(mismatch(
                    st.kernel.name(),
                    format!("S{} is not its factorization", s + 1),
                ))
            }
        }
        if left {
            Ok(b)
        } else {
            b.view(true).to_colmat()
        }
    }

    /// potri / getri from the factorization step.
    fn inverse(&self, st: &Step) -> Result<ColMat<T>, GenError> {
        let a0 = self.one(st)?;
        let Value::Step(s) = a0.value else {
            return Err(mismatch(
                st.kernel.name(),
                "inverses read a factorization".into(),
            ));
        };
        let r = match (st.kernel, self.vals.get(s)) {
            (Kernel::Potri, Some(Stored::Chol(u))) => self.b.potri(u)?,
            (Kernel::Getri, Some(Stored::Lu(lu))) => self.b.getri(lu)?,
            (Kernel::Sytri, Some(Stored::Ldl(f))) => self.b.sytri(f)?,
            _ => {
                return Err(mismatch(
                    st.kernel.name(),
                    format!("S{} is not its factorization", s + 1),
                ))
            }
        };
        self.failed(r, st.kernel.name(), a0.value, "the matrix is singular")
    }
}

/// A random operand with its declared properties, well conditioned: singular values (or
/// eigenvalues' magnitudes) within about [0.8, 3.2]. Full-rank, square and structured
/// matrices add 2 to a diagonal of entries uniform in ±1/√n; SPD ones are symmetric with
/// that diagonal; orthogonal ones are products of three Householder reflections.
pub fn random_operand(op: &Operand, rng: &mut impl Rng) -> Result<Array2<f64>, GenError> {
    Ok(random_colmat(op, rng)?.into_array())
}

fn random_colmat(op: &Operand, rng: &mut impl Rng) -> Result<ColMat<f64>, GenError> {
    let (m, n) = (op.rows, op.cols);
    let p = op.props;
    let mut a = ColMat::zeros(m, n)?;
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
            // An SPD diagonal has positive entries; any other diagonal, either sign.
            a.set(i, i, if p.spd || rng.random_bool(0.5) { x } else { -x });
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

/// Random operands for every operand of `expr`, in its declaration order, from one seeded
/// generator.
pub fn random_operands(
    expr: &Expression,
    rng: &mut impl Rng,
) -> Result<Vec<Array2<f64>>, GenError> {
    expr.operands
        .iter()
        .map(|o| random_operand(o, rng))
        .collect()
}

/// The naive oracle, in plain Rust without BLAS: left to right, every inverse explicit (Gauss–
/// Jordan with partial pivoting), every product a triple loop. For tests on small operands,
/// given in the order of `expr.operands`.
#[cfg(any(test, feature = "testing"))]
pub fn oracle(
    expr: &Expression,
    operands: &[ArrayView2<'_, f64>],
) -> Result<Array2<f64>, GenError> {
    if operands.len() != expr.operands.len() {
        return Err(GenError::OperandMismatch {
            operand: "list".into(),
            expected: format!("{} operands", expr.operands.len()),
            got: format!("{} operands", operands.len()),
        });
    }
    let mut ops = Vec::with_capacity(operands.len());
    for (o, v) in expr.operands.iter().zip(operands) {
        if v.dim() != (o.rows, o.cols) {
            return Err(shape_error(o, format!("{}x{}", v.nrows(), v.ncols())));
        }
        ops.push(copy_of(&Typed::Matrix(*v))?);
    }
    Ok(oracle_chain(&expr.chain, expr, &ops)?.into_array())
}

#[cfg(any(test, feature = "testing"))]
fn oracle_chain(
    chain: &FactorChain,
    expr: &Expression,
    ops: &[ColMat<f64>],
) -> Result<ColMat<f64>, GenError> {
    let mut acc: Option<ColMat<f64>> = None;
    for f in &chain.factors {
        let v = oracle_factor(f, expr, ops)?;
        acc = Some(match acc {
            None => v,
            Some(a) => naive_mul(&a, &v)?,
        });
    }
    acc.ok_or_else(|| mismatch("oracle", "an empty chain".into()))
}

#[cfg(any(test, feature = "testing"))]
fn oracle_factor(
    f: &Factor,
    expr: &Expression,
    ops: &[ColMat<f64>],
) -> Result<ColMat<f64>, GenError> {
    let mut v = match &f.base {
        Base::Operand(i) => ops[*i].clone(),
        Base::Group(g) => oracle_chain(g, expr, ops)?,
    };
    if f.inverted {
        v = gauss_jordan_inverse(&v, &super::expr::factor_text(f, &expr.operands))?;
    }
    if f.transposed {
        v = v.view(true).to_colmat()?;
    }
    Ok(v)
}

#[cfg(any(test, feature = "testing"))]
fn naive_mul(a: &ColMat<f64>, b: &ColMat<f64>) -> Result<ColMat<f64>, GenError> {
    let mut c = ColMat::zeros(a.rows(), b.cols())?;
    for j in 0..b.cols() {
        for l in 0..a.cols() {
            let x = b.get(l, j);
            for i in 0..a.rows() {
                let v = c.get(i, j) + a.get(i, l) * x;
                c.set(i, j, v);
            }
        }
    }
    Ok(c)
}

#[cfg(any(test, feature = "testing"))]
fn gauss_jordan_inverse(a: &ColMat<f64>, what: &str) -> Result<ColMat<f64>, GenError> {
    let n = a.rows();
    let mut m = a.clone();
    let mut inv = ColMat::identity(n)?;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| m.get(x, c).abs().total_cmp(&m.get(y, c).abs()))
            .unwrap_or(c);
        if m.get(p, c) == 0.0 {
            return Err(GenError::Lapack {
                routine: "gauss-jordan",
                operand: what.to_string(),
                info: i32::try_from(c + 1).unwrap_or(i32::MAX),
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

/// max |a − b| / max |b| (b's largest entry taken as at least the smallest positive float):
/// how far a result is from a reference, relative to the reference's scale. Shapes must match.
pub fn relative_difference(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    let scale = b
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(f64::MIN_POSITIVE);
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// Median seconds of each plan over `reps` interleaved rounds (round r runs every plan once,
/// in turn), after one warm-up round, on `backend`. The operands are in the order of the
/// plans' (common) expression; their declared properties are checked once, before the
/// rounds, so that the times are the kernels'. Returns the medians and the last results.
pub fn time_interleaved(
    backend: Backend,
    plans: &[&GenPlan],
    operands: &[Array2<f64>],
    reps: usize,
) -> Result<(Vec<f64>, Vec<Array2<f64>>), GenError> {
    let views: Vec<ArrayView2<'_, f64>> = operands.iter().map(|a| a.view()).collect();
    let mut times = vec![Vec::with_capacity(reps); plans.len()];
    let mut results = Vec::new();
    for p in plans {
        results.push(p.execute_in_order(backend, &views)?);
    }
    for _ in 0..reps.max(1) {
        for (i, p) in plans.iter().enumerate() {
            let t = std::time::Instant::now();
            let r = p.in_order(backend, &views, false)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generalized::{plan, CostModel};

    fn expr(text: &str, specs: &[&str]) -> Expression {
        let ops: Vec<Operand> = specs.iter().map(|s| Operand::parse(s).unwrap()).collect();
        Expression::parse(text, &ops).unwrap()
    }

    /// The issue's heap corruption, with the plan's own check bypassed: a plan for
    /// `inv(M) * X` (M 3000×3000 SPD) whose expression is swapped, inside the crate, for
    /// `u * v` (u 3000×1, v 1×3000), so that the operands pass the binding checks. Validation
    /// refuses it, and run without validation the kernels' own checks refuse potrf on the
    /// 3000×1 buffer before any call.
    #[test]
    fn a_hand_built_plan_cannot_reach_memory_outside_its_buffers() {
        let mut p = plan(
            &expr("inv(M) * X", &["M=3000x3000:spd", "X=3000x3000"]),
            &CostModel::planned(),
        )
        .unwrap();
        p.expr = expr("u * v", &["u=3000x1", "v=1x3000"]);
        assert!(matches!(p.validate(), Err(GenError::InvalidPlan { .. })));
        let u = Array2::<f64>::ones((3000, 1));
        let v = Array2::<f64>::ones((1, 3000));
        for backend in Backend::available() {
            let err = p
                .execute_in_order(backend, &[u.view(), v.view()])
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    GenError::KernelArgs {
                        routine: "potrf",
                        ..
                    }
                ),
                "{err}"
            );
        }
        // The 50×10 case of the issue, which used to report a failed potrf.
        p.expr = expr("u * v", &["u=50x10", "v=10x3000"]);
        let (u, v) = (
            Array2::<f64>::ones((50, 10)),
            Array2::<f64>::ones((10, 3000)),
        );
        for backend in Backend::available() {
            let err = p
                .execute_in_order(backend, &[u.view(), v.view()])
                .unwrap_err();
            assert!(matches!(err, GenError::KernelArgs { .. }), "{err}");
        }
    }

    /// Every step of every planned kernel, with its arguments' shapes scrambled inside the
    /// crate (steps' rows and columns, transposes, argument order), ends in a value or a typed
    /// error; the kernels' checks stand even where validation is skipped.
    #[test]
    fn scrambled_steps_end_in_typed_errors() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for _ in 0..300 {
            let e = crate::generalized::random::random_expression(
                &crate::generalized::random::ChainSpec::small(5, 7),
                &mut rng,
            )
            .unwrap();
            let mut p = plan(&e, &CostModel::planned()).unwrap();
            let x = random_operands(&e, &mut rng).unwrap();
            let views: Vec<_> = x.iter().map(|a| a.view()).collect();
            for st in &mut p.steps {
                match rng.random_range(0..4) {
                    0 => st.args.reverse(),
                    1 => st
                        .args
                        .iter_mut()
                        .for_each(|a| a.transposed = !a.transposed),
                    2 => st.lower = !st.lower,
                    _ => {
                        st.side = if st.side == Side2::Left {
                            Side2::Right
                        } else {
                            Side2::Left
                        }
                    }
                }
            }
            for backend in Backend::available() {
                if let Err(err) = p.execute_in_order(backend, &views) {
                    assert!(
                        matches!(err, GenError::KernelArgs { .. } | GenError::Lapack { .. }),
                        "{err}"
                    );
                }
            }
        }
    }

    /// The blocked symmetry check finds exactly the entry a direct scan finds: the first
    /// (column, then row) with r > c whose difference from its mirror exceeds the tolerance
    /// or is not finite, on sizes around the 8×8 blocks and their border rows, with a leading
    /// dimension above n, for one perturbed entry (small, large, NaN or infinite) or none.
    #[test]
    fn the_blocked_symmetry_check_finds_what_a_direct_scan_finds() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(20);
        let direct = |d: &[f64], ld: usize, n: usize| {
            let big = (0..n)
                .flat_map(|c| (0..n).map(move |r| d[r + c * ld].abs()))
                .fold(0.0, f64::max);
            let tol = SYMMETRY_TOLERANCE * big;
            (0..n).find_map(|c| {
                (c + 1..n)
                    .find(|&r| {
                        let e = (d[r + c * ld] - d[c + r * ld]).abs();
                        !(e <= tol && e.is_finite())
                    })
                    .map(|r| (r, c))
            })
        };
        let (mut found, mut passed) = (0, 0);
        for n in [1usize, 2, 7, 8, 9, 31, 32, 33, 40, 64, 65, 100] {
            for trial in 0..12 {
                let ld = n + trial % 3;
                let mut d = vec![0.0f64; ld * n];
                for c in 0..n {
                    for r in c..n {
                        let v = rng.random_range(-1.0..1.0);
                        d[r + c * ld] = v;
                        d[c + r * ld] = v;
                    }
                }
                if n > 1 && trial > 0 {
                    let (r, c) = (rng.random_range(0..n), rng.random_range(0..n));
                    d[r + c * ld] += [1e-14, 1e-3, f64::NAN, f64::INFINITY][trial % 4];
                }
                let want = direct(&d, ld, n);
                assert_eq!(asymmetric_entry(&d, ld, n), want, "n {n}, trial {trial}");
                if want.is_some() {
                    found += 1;
                } else {
                    passed += 1;
                }
            }
        }
        // Both outcomes were exercised.
        assert!(found > 20 && passed > 20, "{found} found, {passed} passed");
    }

    /// The zero-structure checks (diagonal, lower, upper; stored as they are or transposed)
    /// report exactly the entry a direct scan in storage order reports, or none.
    #[test]
    fn structure_checks_report_what_a_direct_scan_reports() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(21);
        let (mut found, mut passed) = (0, 0);
        for n in [1usize, 2, 5, 31, 32, 33, 70] {
            for spec in [
                "diagonal,nonsingular",
                "lower,nonsingular",
                "upper,nonsingular",
            ] {
                let o = Operand::parse(&format!("M={n}x{n}:{spec}")).unwrap();
                let p = o.props;
                for trans in [false, true] {
                    for trial in 0..4 {
                        let ld = n + trial % 2;
                        // Entry (r, c) of the storage is the operand's (c, r) when transposed.
                        let logical = |r: usize, c: usize| if trans { (c, r) } else { (r, c) };
                        let zero = |i: usize, j: usize| {
                            (p.diagonal && i != j)
                                || (!p.diagonal && p.lower && j > i)
                                || (!p.diagonal && p.upper && i > j)
                        };
                        let mut d = vec![0.0f64; ld * n];
                        for c in 0..n {
                            for r in 0..n {
                                let (i, j) = logical(r, c);
                                if !zero(i, j) {
                                    d[r + c * ld] = rng.random_range(0.5..1.5);
                                }
                            }
                        }
                        if trial > 0 {
                            let (r, c) = (rng.random_range(0..n), rng.random_range(0..n));
                            d[r + c * ld] = [f64::NAN, 1e-300, -2.0][trial % 3];
                        }
                        let want = (0..n).find_map(|c| {
                            (0..n)
                                .find(|&r| {
                                    let (i, j) = logical(r, c);
                                    zero(i, j) && d[r + c * ld] != 0.0
                                })
                                .map(|r| logical(r, c))
                        });
                        let view = MatRef::new(&d, n, n, ld, trans).unwrap();
                        match (check_properties(&o, &view), want) {
                            (Ok(()), None) => passed += 1,
                            (Err(GenError::PropertyViolated { detail, .. }), Some((i, j))) => {
                                assert!(
                                    detail.starts_with(&format!("entry ({}, {})", i + 1, j + 1)),
                                    "{spec} n {n} trans {trans}: {detail}"
                                );
                                found += 1;
                            }
                            (got, want) => panic!("{spec} n {n} trans {trans}: {got:?} {want:?}"),
                        }
                    }
                }
            }
        }
        assert!(found > 20 && passed > 20, "{found} found, {passed} passed");
    }
}
