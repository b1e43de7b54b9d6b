//! Executing a plan over dense and diagonal factors.
//!
//! Each product is done the way [`super::structured`] prices it: diagonal × dense scales rows,
//! dense × diagonal scales columns (in place, in the dense operand's buffer), diagonal ×
//! diagonal multiplies elementwise, and dense × dense goes to BLAS through ndarray — as a
//! matrix–vector product (gemv) when either side is a single row or column, which is the whole
//! of reverse mode with a one-row seed, and as gemm otherwise. Every shape is checked before
//! ndarray is called, so a mismatch is an [`Error::ShapeMismatch`], never a panic.

use crate::error::{Error, Result};
use crate::plan::{Operand, Plan};
use ndarray::{Array2, Axis, CowArray, Ix1, Ix2};

/// A factor of a chain: a stored matrix, or the diagonal of a diagonal matrix, owned or
/// borrowed (so that weights are not copied to be multiplied).
#[derive(Debug, Clone, PartialEq)]
pub enum Factor<'a> {
    /// A dense matrix.
    Dense(CowArray<'a, f64, Ix2>),
    /// A square diagonal matrix, by its diagonal.
    Diagonal(CowArray<'a, f64, Ix1>),
}

impl<'a> Factor<'a> {
    /// A dense factor from an owned matrix or a view.
    pub fn dense(a: impl Into<CowArray<'a, f64, Ix2>>) -> Self {
        Factor::Dense(a.into())
    }

    /// A diagonal factor from its diagonal, owned or a view.
    pub fn diagonal(d: impl Into<CowArray<'a, f64, Ix1>>) -> Self {
        Factor::Diagonal(d.into())
    }

    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            Factor::Dense(a) => a.dim(),
            Factor::Diagonal(d) => (d.len(), d.len()),
        }
    }

    /// Whether the factor is stored as a diagonal.
    pub fn is_diagonal(&self) -> bool {
        matches!(self, Factor::Diagonal(_))
    }

    /// The factor as a dense matrix.
    pub fn to_dense(&self) -> Array2<f64> {
        match self {
            Factor::Dense(a) => a.to_owned(),
            Factor::Diagonal(d) => Array2::from_diag(d),
        }
    }

    /// The factor as a dense matrix, without a copy when it is an owned dense matrix.
    pub fn into_dense(self) -> Array2<f64> {
        match self {
            Factor::Dense(a) => a.into_owned(),
            Factor::Diagonal(d) => Array2::from_diag(&d),
        }
    }

    /// The product `self · rhs`, consuming both; `names` label the operands in errors.
    ///
    /// ```
    /// use chainplan::jacobian::Factor;
    /// use ndarray::{array, Array2};
    /// let d = Factor::diagonal(array![2.0, 3.0]);
    /// let a = Factor::dense(array![[1.0, 1.0], [1.0, 1.0]]);
    /// let p = d.multiply(a, ("D", "A"))?;
    /// assert_eq!(p.to_dense(), array![[2.0, 2.0], [3.0, 3.0]]);
    /// let bad = Factor::dense(Array2::zeros((3, 1)));
    /// assert!(p.multiply(bad, ("P", "B")).is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn multiply(self, rhs: Factor<'a>, names: (&str, &str)) -> Result<Factor<'a>> {
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
            (Factor::Diagonal(a), Factor::Diagonal(b)) => Factor::diagonal(&a * &b),
            (Factor::Diagonal(d), Factor::Dense(b)) => {
                let mut b = b.into_owned();
                b *= &d.view().insert_axis(Axis(1));
                Factor::dense(b)
            }
            (Factor::Dense(a), Factor::Diagonal(d)) => {
                let mut a = a.into_owned();
                a *= &d;
                Factor::dense(a)
            }
            (Factor::Dense(a), Factor::Dense(b)) => Factor::dense(dense_product(&a, &b)),
        })
    }
}

/// `a · b` for shapes already checked: gemv for a row or column vector, gemm otherwise.
fn dense_product(a: &CowArray<f64, Ix2>, b: &CowArray<f64, Ix2>) -> Array2<f64> {
    let (m, n) = (a.nrows(), b.ncols());
    if m == 1 {
        a.row(0).dot(b).insert_axis(Axis(0))
    } else if n == 1 {
        a.dot(&b.column(0)).insert_axis(Axis(1))
    } else {
        a.dot(b)
    }
}

/// Executes `plan` over `factors` (one per matrix of the plan's chain, in chain order) and
/// returns the product. Factors are consumed, so products that scale by a diagonal reuse their
/// dense operand's buffer.
///
/// Errors: the wrong number of factors, or a factor whose shape is not the chain's.
pub fn execute<'a>(plan: &Plan, factors: Vec<Factor<'a>>) -> Result<Factor<'a>> {
    let chain = plan.chain();
    if factors.len() != chain.matrices() {
        return Err(Error::PlanChainMismatch {
            plan: chain.matrices(),
            chain: factors.len(),
        });
    }
    for (i, f) in factors.iter().enumerate() {
        let (r, c) = chain.shape(i);
        if f.shape() != (r as usize, c as usize) {
            let (fr, fc) = f.shape();
            return Err(Error::Invalid(format!(
                "factor {} is {fr} x {fc} but the chain needs {r} x {c}",
                i + 1
            )));
        }
    }
    let mut inputs: Vec<Option<Factor<'a>>> = factors.into_iter().map(Some).collect();
    let mut results: Vec<Option<Factor<'a>>> = Vec::with_capacity(plan.steps().len());
    let mut take = |op: Operand, results: &mut Vec<Option<Factor<'a>>>| -> Result<Factor<'a>> {
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
            (Factor::diagonal(d.view()), Factor::dense(a.view())),
            (Factor::dense(a.clone()), Factor::diagonal(d.clone())),
            (Factor::diagonal(d.view()), Factor::diagonal(d.view())),
            (Factor::dense(a.view()), Factor::dense(a.view())),
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
            Factor::dense(Array2::<f64>::ones((1, 3))),
            Factor::dense(Array2::<f64>::ones((3, 2))),
        ];
        let p = execute(&plan, ok).unwrap();
        assert_eq!(p.to_dense(), array![[3.0, 3.0]]);
        let bad = vec![
            Factor::dense(Array2::<f64>::ones((1, 3))),
            Factor::dense(Array2::<f64>::ones((2, 2))),
        ];
        assert!(execute(&plan, bad).is_err());
        assert!(execute(&plan, vec![]).is_err());
    }
}
