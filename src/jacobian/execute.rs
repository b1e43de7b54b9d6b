//! Executing a plan over dense and diagonal factors.
//!
//! Each product is done the way [`super::structured`] prices it: diagonal × dense scales rows,
//! dense × diagonal scales columns (in place, in the dense operand's buffer), diagonal ×
//! diagonal multiplies elementwise, and dense × dense goes to the BLAS kernel of
//! [`crate::exec`] — a matrix–vector product (gemv) when either side is a single row or column,
//! which is the whole of reverse mode with a one-row seed, and gemm otherwise. (The plan
//! executor of [`crate::exec`] takes dense operands only; this module adds the diagonal cases.) Every shape is checked before
//! ndarray is called, so a mismatch is an [`Error::ShapeMismatch`], never a panic.

use crate::error::{Error, Result};
use crate::exec::multiply_into;
use crate::plan::{Operand, Plan};
use ndarray::{Array2, Axis, CowArray, Ix1, Ix2};

/// A factor of a chain: a stored matrix, or the diagonal of a diagonal matrix, owned or
/// borrowed (so that weights are not copied to be multiplied).
#[derive(Debug, Clone, PartialEq)]
pub enum StructuredFactor<'a> {
    /// A dense matrix.
    Dense(CowArray<'a, f64, Ix2>),
    /// A square diagonal matrix, by its diagonal.
    Diagonal(CowArray<'a, f64, Ix1>),
}

impl<'a> StructuredFactor<'a> {
    /// A dense factor from an owned matrix or a view.
    pub fn dense(a: impl Into<CowArray<'a, f64, Ix2>>) -> Self {
        StructuredFactor::Dense(a.into())
    }

    /// A diagonal factor from its diagonal, owned or a view.
    pub fn diagonal(d: impl Into<CowArray<'a, f64, Ix1>>) -> Self {
        StructuredFactor::Diagonal(d.into())
    }

    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            StructuredFactor::Dense(a) => a.dim(),
            StructuredFactor::Diagonal(d) => (d.len(), d.len()),
        }
    }

    /// Whether the factor is stored as a diagonal.
    pub fn is_diagonal(&self) -> bool {
        matches!(self, StructuredFactor::Diagonal(_))
    }

    /// The factor as a dense matrix.
    pub fn to_dense(&self) -> Array2<f64> {
        match self {
            StructuredFactor::Dense(a) => a.to_owned(),
            StructuredFactor::Diagonal(d) => Array2::from_diag(d),
        }
    }

    /// The factor as a dense matrix, without a copy when it is an owned dense matrix.
    pub fn into_dense(self) -> Array2<f64> {
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
        rhs: StructuredFactor<'a>,
        names: (&str, &str),
    ) -> Result<StructuredFactor<'a>> {
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
                StructuredFactor::dense(dense_product(&a, &b))
            }
        })
    }
}

/// `a · b` for shapes already checked, by the executor's kernel ([`crate::exec`]): gemv when
/// either side is a single row or column, gemm otherwise. Operands BLAS cannot take as they are
/// laid out are copied to standard layout first.
fn dense_product(a: &CowArray<f64, Ix2>, b: &CowArray<f64, Ix2>) -> Array2<f64> {
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    multiply_into(&a.view(), &b.view(), &mut c.view_mut());
    c
}

/// Executes `plan` over `factors` (one per matrix of the plan's chain, in chain order) and
/// returns the product. Factors are consumed, so products that scale by a diagonal reuse their
/// dense operand's buffer.
///
/// Errors: the wrong number of factors, or a factor whose shape is not the chain's.
pub fn execute<'a>(
    plan: &Plan,
    factors: Vec<StructuredFactor<'a>>,
) -> Result<StructuredFactor<'a>> {
    let chain = plan.chain();
    if factors.len() != chain.matrices() {
        return Err(Error::PlanChainMismatch {
            plan: chain.matrices(),
            chain: factors.len(),
        });
    }
    for (i, f) in factors.iter().enumerate() {
        let (r, c) = chain.shape(i);
        if f.shape() != (r, c) {
            let (fr, fc) = f.shape();
            return Err(Error::Invalid(format!(
                "factor {} is {fr} x {fc} but the chain needs {r} x {c}",
                i + 1
            )));
        }
    }
    let mut inputs: Vec<Option<StructuredFactor<'a>>> = factors.into_iter().map(Some).collect();
    let mut results: Vec<Option<StructuredFactor<'a>>> = Vec::with_capacity(plan.steps().len());
    let mut take = |op: Operand,
                    results: &mut Vec<Option<StructuredFactor<'a>>>|
     -> Result<StructuredFactor<'a>> {
        let slot = match op {
            Operand::Matrix(i) => inputs.get_mut(i),
            Operand::Step(s) => results.get_mut(s),
        };
        slot.and_then(Option::take)
            .ok_or_else(|| Error::Invalid(format!("operand {} is not available", op.name())))
    };
    if plan.steps().is_empty() {
        return take(Operand::Matrix(0), &mut results);
    }
    for step in plan.steps() {
        let lhs = take(step.lhs, &mut results)?;
        let rhs = take(step.rhs, &mut results)?;
        let product = lhs.multiply(rhs, (&step.lhs.name(), &step.rhs.name()))?;
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
    fn execute_checks_factor_shapes() {
        let chain = Chain::new(vec![1u32, 3, 2]).unwrap();
        let plan = Plan::left_to_right(&chain).unwrap();
        let ok = vec![
            StructuredFactor::dense(Array2::<f64>::ones((1, 3))),
            StructuredFactor::dense(Array2::<f64>::ones((3, 2))),
        ];
        let p = execute(&plan, ok).unwrap();
        assert_eq!(p.to_dense(), array![[3.0, 3.0]]);
        let bad = vec![
            StructuredFactor::dense(Array2::<f64>::ones((1, 3))),
            StructuredFactor::dense(Array2::<f64>::ones((2, 2))),
        ];
        assert!(execute(&plan, bad).is_err());
        assert!(execute(&plan, vec![]).is_err());
    }
}
