//! Executing a Jacobian chain's plan over dense and diagonal factors
//! ([`JacobianChain::execute`]).
//!
//! Each product is done the way [`super::structured`] prices it: diagonal × dense scales rows,
//! dense × diagonal scales columns (in place, in the dense operand's buffer), diagonal ×
//! diagonal multiplies elementwise, and dense × dense goes to the BLAS kernel of
//! [`crate::exec`] — a matrix–vector product (gemv) when either side is a single row or column,
//! which is the whole of reverse mode with a one-row seed, and gemm otherwise. (The plan
//! executor of [`crate::exec`] takes dense operands only; this module adds the diagonal
//! cases.) Elements are `f64` or `f32`. Every factor is checked against the chain before
//! anything is multiplied (count, order, shape, diagonal or dense), so a mismatch is a typed
//! error naming the factor, never a panic.

use super::dense::JacobianChain;
use crate::error::JacobianError;
use crate::error::{Error, FactorProblem, Result};
use crate::exec::{multiply_into, Element};
use crate::plan::{Operand, Plan, Step};
use ndarray::{Array2, ArrayView2, Axis, CowArray, Ix1, Ix2};

/// A factor of a chain: a stored matrix, or the diagonal of a diagonal matrix, owned or
/// borrowed (so that weights are not copied to be multiplied). Elements are `f64` (the
/// default) or `f32`.
#[derive(Debug, Clone, PartialEq)]
pub enum StructuredFactor<'a, T = f64> {
    /// A dense matrix.
    Dense(CowArray<'a, T, Ix2>),
    /// A square diagonal matrix, by its diagonal.
    Diagonal(CowArray<'a, T, Ix1>),
}

impl<'a, T: Element> StructuredFactor<'a, T> {
    /// A dense factor from an owned matrix or a view.
    pub fn dense(a: impl Into<CowArray<'a, T, Ix2>>) -> Self {
        StructuredFactor::Dense(a.into())
    }

    /// A diagonal factor from its diagonal, owned or a view.
    pub fn diagonal(d: impl Into<CowArray<'a, T, Ix1>>) -> Self {
        StructuredFactor::Diagonal(d.into())
    }

    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            StructuredFactor::Dense(a) => a.dim(),
            StructuredFactor::Diagonal(d) => (d.len(), d.len()),
        }
    }

    /// The factor borrowed: a view of its matrix or diagonal, without a copy (to run a
    /// plan many times over the same factors).
    pub fn view(&self) -> StructuredFactor<'_, T> {
        match self {
            StructuredFactor::Dense(a) => StructuredFactor::dense(a.view()),
            StructuredFactor::Diagonal(d) => StructuredFactor::diagonal(d.view()),
        }
    }

    /// Whether the factor is stored as a diagonal.
    pub fn is_diagonal(&self) -> bool {
        matches!(self, StructuredFactor::Diagonal(_))
    }

    /// The factor as a dense matrix.
    pub fn to_dense(&self) -> Array2<T> {
        match self {
            StructuredFactor::Dense(a) => a.to_owned(),
            StructuredFactor::Diagonal(d) => Array2::from_diag(d),
        }
    }

    /// The factor as a dense matrix, without a copy when it is an owned dense matrix.
    pub fn into_dense(self) -> Array2<T> {
        match self {
            StructuredFactor::Dense(a) => a.into_owned(),
            StructuredFactor::Diagonal(d) => Array2::from_diag(&d),
        }
    }

    /// The product `self · rhs`, consuming both; `names` label the operands in errors.
    ///
    /// ```
    /// use chainplan::jacobian::StructuredFactor;
    /// use ndarray::{array, Array2};
    /// let d = StructuredFactor::diagonal(array![2.0, 3.0]);
    /// let a = StructuredFactor::dense(array![[1.0, 1.0], [1.0, 1.0]]);
    /// let p = d.multiply(a, ("D", "A"))?;
    /// assert_eq!(p.to_dense(), array![[2.0, 2.0], [3.0, 3.0]]);
    /// let bad = StructuredFactor::dense(Array2::zeros((3, 1)));
    /// assert!(p.multiply(bad, ("P", "B")).is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn multiply(
        self,
        rhs: StructuredFactor<'a, T>,
        names: (&str, &str),
    ) -> Result<StructuredFactor<'a, T>> {
        let ((m, k), (k2, n)) = (self.shape(), rhs.shape());
        if k != k2 {
            return Err(Error::ShapeMismatch {
                lhs: names.0.to_string(),
                lhs_rows: m,
                lhs_cols: k,
                rhs: names.1.to_string(),
                rhs_rows: k2,
                rhs_cols: n,
            });
        }
        Ok(match (self, rhs) {
            (StructuredFactor::Diagonal(a), StructuredFactor::Diagonal(b)) => {
                StructuredFactor::diagonal(&a * &b)
            }
            (StructuredFactor::Diagonal(d), StructuredFactor::Dense(b)) => {
                let mut b = b.into_owned();
                b *= &d.view().insert_axis(Axis(1));
                StructuredFactor::dense(b)
            }
            (StructuredFactor::Dense(a), StructuredFactor::Diagonal(d)) => {
                let mut a = a.into_owned();
                a *= &d;
                StructuredFactor::dense(a)
            }
            (StructuredFactor::Dense(a), StructuredFactor::Dense(b)) => {
                StructuredFactor::dense(dense_product(&a.view(), &b.view()))
            }
        })
    }
}

/// `a · b` for shapes already checked, by the executor's kernel ([`crate::exec`]): gemv when
/// either side is a single row or column, gemm otherwise. Operands BLAS cannot take as they are
/// laid out are copied to standard layout first. Also the matrix-free executor's product.
pub(super) fn dense_product<T: Element>(a: &ArrayView2<'_, T>, b: &ArrayView2<'_, T>) -> Array2<T> {
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    multiply_into(&a.view(), &b.view(), &mut c.view_mut());
    c
}

impl JacobianChain {
    /// What is wrong with `factor` as matrix `i` of this chain, if anything.
    fn factor_problem<T: Element>(
        &self,
        dims: &[usize],
        flags: &[bool],
        i: usize,
        factor: &StructuredFactor<'_, T>,
    ) -> Option<FactorProblem> {
        let (rows, cols) = factor.shape();
        let (expected_rows, expected_cols) = (dims[i], dims[i + 1]);
        if (rows, cols) != (expected_rows, expected_cols) {
            return Some(FactorProblem::Shape {
                rows,
                cols,
                expected_rows,
                expected_cols,
            });
        }
        match (flags[i], factor.is_diagonal()) {
            (true, false) => Some(FactorProblem::DenseForDiagonal),
            (false, true) => Some(FactorProblem::DiagonalForDense),
            _ => None,
        }
    }

    /// Checks `factors` against this chain: one per matrix of [`JacobianChain::chain`], in
    /// its order (output to input: `S`, `J_L`, …, `J1`, `T`), each of the chain's shape,
    /// diagonal exactly where the layer is elementwise.
    ///
    /// Errors: [`JacobianError::FactorCount`]; [`JacobianError::FactorOrder`] when the factors are in
    /// evaluation order (input to output); otherwise [`JacobianError::Factor`] naming the first
    /// factor that does not fit and why ([`FactorProblem`]).
    pub fn check_factors<T: Element>(&self, factors: &[StructuredFactor<'_, T>]) -> Result<()> {
        let dims = self.dims();
        let flags = self.diagonal_flags();
        let names = self.factor_names();
        let n = flags.len();
        if factors.len() != n {
            return Err(JacobianError::FactorCount {
                expected: n,
                got: factors.len(),
                first: names[0].clone(),
                last: names[n - 1].clone(),
            }
            .into());
        }
        let first_bad =
            (0..n).find_map(|i| Some(i).zip(self.factor_problem(&dims, &flags, i, &factors[i])));
        let Some((i, problem)) = first_bad else {
            return Ok(());
        };
        let reversed = n > 1
            && (0..n).all(|j| {
                self.factor_problem(&dims, &flags, j, &factors[n - 1 - j])
                    .is_none()
            });
        if reversed {
            return Err(JacobianError::FactorOrder {
                first: names[0].clone(),
                last: names[n - 1].clone(),
            }
            .into());
        }
        Err(JacobianError::Factor {
            index: i + 1,
            name: names[i].clone(),
            problem,
        }
        .into())
    }

    /// Executes `plan` (an order of [`JacobianChain::chain`], such as
    /// [`JacobianChain::optimal_plan`]) over `factors`, in the chain's order (output to
    /// input), and returns the product. Diagonal factors are multiplied as diagonals (rows or
    /// columns scaled in place), dense products go to BLAS through ndarray. Factors are
    /// consumed, so products that scale by a diagonal reuse their dense operand's buffer.
    ///
    /// ```
    /// use chainplan::jacobian::{Activations, JacobianChain, Seed, StructuredFactor};
    /// use chainplan::error::JacobianError;
    /// use chainplan::Error;
    /// use ndarray::{array, Array2};
    /// // y = W2 · tanh(W1 · x): J = W2 · diag(tanh'(W1 x)) · W1, 1 → 2 → 1.
    /// let jc = JacobianChain::network(&[1, 2, 1], Activations::Hidden, Seed::None)?;
    /// let (w2, d, w1) = (array![[1.0, -1.0]], array![0.5, 0.25], array![[2.0], [4.0]]);
    /// let factors = || vec![
    ///     StructuredFactor::dense(w2.view()),
    ///     StructuredFactor::diagonal(d.view()),
    ///     StructuredFactor::dense(w1.view()),
    /// ];
    /// let j = jc.execute(&jc.optimal_plan()?, factors())?;
    /// assert_eq!(j.to_dense(), array![[1.0 * 0.5 * 2.0 - 0.25 * 4.0]]);
    ///
    /// // The diagonal given as a dense matrix is refused, naming the factor.
    /// let mut wrong = factors();
    /// wrong[1] = StructuredFactor::dense(Array2::from_diag(&d));
    /// let e = jc.execute(&jc.optimal_plan()?, wrong).unwrap_err();
    /// assert!(matches!(e, Error::Jacobian(JacobianError::Factor { index: 2, .. })));
    /// assert!(e.to_string().starts_with("factor 2 (J2) is a dense matrix"));
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: a plan for another chain
    /// ([`PlanError::PlanChainMismatch`](crate::error::PlanError::PlanChainMismatch),
    /// [`JacobianError::PlanDimension`]), and those of [`JacobianChain::check_factors`].
    pub fn execute<'a, T: Element>(
        &self,
        plan: &Plan,
        factors: Vec<StructuredFactor<'a, T>>,
    ) -> Result<StructuredFactor<'a, T>> {
        self.execute_observed(plan, factors, |_, _| {})
    }

    /// [`JacobianChain::execute`], calling `seen(step, product)` after each step of `plan`
    /// with its result (for callers that need intermediate products, such as the prefixes
    /// of a reverse sweep).
    pub(crate) fn execute_observed<'a, T: Element>(
        &self,
        plan: &Plan,
        factors: Vec<StructuredFactor<'a, T>>,
        seen: impl FnMut(&Step, &StructuredFactor<'a, T>),
    ) -> Result<StructuredFactor<'a, T>> {
        self.check_plan(plan)?;
        self.check_factors(&factors)?;
        run(plan, factors, seen)
    }
}

/// Executes `plan` over `factors` (already checked against the plan's chain), showing each
/// step's product to `seen`.
fn run<'a, T: Element>(
    plan: &Plan,
    factors: Vec<StructuredFactor<'a, T>>,
    mut seen: impl FnMut(&Step, &StructuredFactor<'a, T>),
) -> Result<StructuredFactor<'a, T>> {
    let mut inputs: Vec<Option<StructuredFactor<'a, T>>> = factors.into_iter().map(Some).collect();
    let mut results: Vec<Option<StructuredFactor<'a, T>>> = Vec::with_capacity(plan.steps().len());
    let mut take = |op: Operand,
                    results: &mut Vec<Option<StructuredFactor<'a, T>>>|
     -> Result<StructuredFactor<'a, T>> {
        let slot = match op {
            Operand::Matrix(i) => inputs.get_mut(i),
            Operand::Step(s) => results.get_mut(s),
        };
        slot.and_then(Option::take)
            .ok_or_else(|| JacobianError::OperandUnavailable { operand: op.name() }.into())
    };
    if plan.steps().is_empty() {
        return take(Operand::Matrix(0), &mut results);
    }
    for step in plan.steps() {
        let lhs = take(step.lhs, &mut results)?;
        let rhs = take(step.rhs, &mut results)?;
        let product = lhs.multiply(rhs, (&step.lhs.name(), &step.rhs.name()))?;
        seen(step, &product);
        results.push(Some(product));
    }
    take(plan.root(), &mut results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Chain;
    use ndarray::{array, Array2};

    #[test]
    fn every_structure_pair_matches_dense() {
        let d = array![2.0, -1.0, 0.5];
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]];
        let pairs = [
            (
                StructuredFactor::diagonal(d.view()),
                StructuredFactor::dense(a.view()),
            ),
            (
                StructuredFactor::dense(a.clone()),
                StructuredFactor::diagonal(d.clone()),
            ),
            (
                StructuredFactor::diagonal(d.view()),
                StructuredFactor::diagonal(d.view()),
            ),
            (
                StructuredFactor::dense(a.view()),
                StructuredFactor::dense(a.view()),
            ),
        ];
        for (l, r) in pairs {
            let expected = l.to_dense().dot(&r.to_dense());
            assert_eq!(l.multiply(r, ("l", "r")).unwrap().to_dense(), expected);
        }
    }

    #[test]
    fn execute_checks_count_order_shape_and_structure() {
        use crate::jacobian::{LayerKind, Seed};
        // S (1 × 2) · J3 (2 × 3) · D (3 × 3) · J1 (3 × 4).
        let jc = JacobianChain::with_layers(
            &[4, 3, 2],
            &[LayerKind::Dense, LayerKind::Elementwise, LayerKind::Dense],
            Seed::Output(1),
        )
        .unwrap();
        let plan = jc.optimal_plan().unwrap();
        let s = Array2::<f64>::ones((1, 2));
        let w3 = Array2::<f64>::ones((2, 3));
        let d = ndarray::Array1::<f64>::from_elem(3, 2.0);
        let w1 = Array2::<f64>::ones((3, 4));
        let good = || {
            vec![
                StructuredFactor::dense(s.view()),
                StructuredFactor::dense(w3.view()),
                StructuredFactor::diagonal(d.view()),
                StructuredFactor::dense(w1.view()),
            ]
        };
        let p = jc.execute(&plan, good()).unwrap();
        assert_eq!(p.to_dense(), Array2::from_elem((1, 4), 12.0));
        let mut few = good();
        few.pop();
        assert!(matches!(
            jc.execute(&plan, few),
            Err(crate::Error::Jacobian(JacobianError::FactorCount {
                expected: 4,
                got: 3,
                ..
            }))
        ));
        // Evaluation order (J1 first, the seed last) instead of the chain's.
        let mut reversed = good();
        reversed.reverse();
        let e = jc.execute(&plan, reversed).unwrap_err();
        assert!(
            matches!(e, crate::Error::Jacobian(JacobianError::FactorOrder { .. })),
            "{e}"
        );
        assert!(e.to_string().contains("from S to J1"), "{e}");
        let mut swapped = good();
        swapped.swap(1, 3);
        let e = jc.execute(&plan, swapped).unwrap_err();
        assert!(
            matches!(&e, crate::Error::Jacobian(JacobianError::Factor { index: 2, name, problem: FactorProblem::Shape { .. } }) if name == "J3"),
            "{e}"
        );
        let mut dense_d = good();
        dense_d[2] = StructuredFactor::dense(Array2::from_diag(&d));
        assert!(matches!(
            jc.execute(&plan, dense_d),
            Err(crate::Error::Jacobian(JacobianError::Factor {
                index: 3,
                problem: FactorProblem::DenseForDiagonal,
                ..
            }))
        ));
        let other = Plan::left_to_right(&Chain::new(vec![1u32, 2, 3, 3, 5]).unwrap()).unwrap();
        assert!(matches!(
            jc.execute(&other, good()),
            Err(crate::Error::Jacobian(JacobianError::PlanDimension {
                position: 5,
                plan: 5,
                chain: 4
            }))
        ));
    }

    #[test]
    fn factors_in_evaluation_order_are_named_as_such() {
        use crate::jacobian::Seed;
        let jc = JacobianChain::new(&[4, 3, 2], Seed::None).unwrap();
        let j1 = Array2::<f32>::ones((3, 4));
        let j2 = Array2::<f32>::ones((2, 3));
        let e = jc
            .execute(
                &jc.optimal_plan().unwrap(),
                vec![
                    StructuredFactor::dense(j1.view()),
                    StructuredFactor::dense(j2.view()),
                ],
            )
            .unwrap_err();
        assert!(
            matches!(e, crate::Error::Jacobian(JacobianError::FactorOrder { .. })),
            "{e}"
        );
        let ok = jc
            .execute(
                &jc.optimal_plan().unwrap(),
                vec![StructuredFactor::dense(j2), StructuredFactor::dense(j1)],
            )
            .unwrap();
        assert_eq!(ok.to_dense(), Array2::<f32>::from_elem((2, 4), 3.0));
    }
}
