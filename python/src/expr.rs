//! `chainplan.plan_expr`: generalized chains (transposes, inverses as solves, structured
//! operands) from Python.
//!
//! A thin binding of [`chainplan::generalized`]: the library parses the operand declarations
//! and the expression, plans (the report's three strategies, and optionally the expert or
//! naive plan on its own), names the steps, serializes the report exactly as `chainplan expr
//! --json` prints it, and executes a plan on caller-supplied float64 operands with BLAS and
//! LAPACK. The GIL is released while it works. Every library error becomes a `ValueError`
//! carrying its one-line message.

use chainplan::generalized::{
    plan, Backend, CostModel, ExprReport, Expression, GenError, GenPlan, Operand, Properties,
};
use chainplan::table::Report;
use numpy::ndarray::Array2;
use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The library's error as a `ValueError` with its one-line, bounded message
/// ([`chainplan::text::one_line`]).
pub(crate) fn to_py(e: GenError) -> PyErr {
    PyValueError::new_err(chainplan::text::one_line(&e.to_string()))
}

/// One declared operand: `name` and the CLI's text after `NAME=` (`2500x500:fullrank`), or,
/// without a name, the whole `--op` text (`X=2500x500:fullrank`). A given name is checked on
/// its own first, so that a name holding `=` or `:` cannot change how the declaration reads.
pub(crate) fn operand(name: Option<&str>, spec: &str) -> Result<Operand, GenError> {
    match name {
        Some(name) => {
            Operand::new(name, 1, 1, Properties::default())?;
            Operand::parse(&format!("{name}={spec}"))
        }
        None => Operand::parse(spec),
    }
}

/// The cost model named `planned`, `expert` or `naive`.
pub(crate) fn model_of(name: &str) -> Option<CostModel> {
    match name {
        "planned" => Some(CostModel::planned()),
        "expert" => Some(CostModel::expert()),
        "naive" => Some(CostModel::naive()),
        _ => None,
    }
}

/// A planned generalized chain: the expression, the report of `chainplan expr`, and the plan
/// of the chosen cost model (the report's own plan for `planned`).
#[pyclass(module = "chainplan._native", frozen)]
struct NativeExpr {
    expr: Expression,
    report: ExprReport,
    plan: GenPlan,
}

/// A step as Python receives it: (call, kernel, arguments, computes, rows, cols, thirds,
/// flops text, explicit inverse).
type StepTuple = (
    String,
    String,
    Vec<String>,
    String,
    usize,
    usize,
    u128,
    String,
    bool,
);

/// A strategy as Python receives it: (name, order, thirds, flops text, ratio to planned,
/// explicit inverses).
type StrategyTuple = (String, String, u128, String, f64, usize);

#[pymethods]
impl NativeExpr {
    /// The cost model of `plan`: `planned`, `expert` or `naive`.
    #[getter]
    fn model(&self) -> String {
        self.plan.model().to_string()
    }

    /// The expression as given.
    #[getter]
    fn expression(&self) -> String {
        self.report.expression.clone()
    }

    /// The expression after normalisation (`inv(Xᵀ·X)·Xᵀ·y`).
    #[getter]
    fn normalized(&self) -> String {
        self.report.normalized.clone()
    }

    /// (rows, cols) of the value.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.plan.rows(), self.plan.cols())
    }

    /// The plan's evaluation order, parenthesized (`inv!` marks an explicit inverse).
    #[getter]
    fn order(&self) -> String {
        self.plan.order().to_string()
    }

    /// The plan's exact cost in units of ⅓ flop.
    #[getter]
    fn thirds(&self) -> u128 {
        self.plan.cost().thirds()
    }

    /// The plan's cost in flops as the library writes it (`1,091⅔`).
    #[getter]
    fn flops_text(&self) -> String {
        self.plan.cost().to_string()
    }

    /// Whether the plan forms an explicit inverse.
    #[getter]
    fn has_explicit_inverse(&self) -> bool {
        self.plan.has_explicit_inverse()
    }

    /// The library's `GenPlan::exact`: false when too many operands to factor kept the
    /// planner from enumerating every factor-once choice.
    #[getter]
    fn exact(&self) -> bool {
        self.plan.exact()
    }

    /// What holds the value: (the last step `S7`, or an operand when the plan has no step,
    /// read transposed or not).
    fn result(&self) -> (String, bool) {
        (
            self.plan.value_name(self.plan.result().value()),
            self.plan.result().transposed(),
        )
    }

    /// The steps in execution order, named as the report names them.
    fn steps(&self) -> Vec<StepTuple> {
        let p = &self.plan;
        p.steps()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    p.step_text(i),
                    s.kernel().name().to_string(),
                    s.args().iter().map(|a| p.arg_name(a)).collect(),
                    s.computes().to_string(),
                    s.rows(),
                    s.cols(),
                    s.cost().thirds(),
                    s.cost().to_string(),
                    s.explicit_inverse(),
                )
            })
            .collect()
    }

    /// The report's strategies: planned, expert and naive, in that order.
    fn strategies(&self) -> Vec<StrategyTuple> {
        self.report
            .strategies
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.order.clone(),
                    s.thirds,
                    s.flops.clone(),
                    s.ratio,
                    s.explicit_inverses,
                )
            })
            .collect()
    }

    /// The declared operands: (name, rows, cols, property names).
    fn operands(&self) -> Vec<(String, usize, usize, Vec<&'static str>)> {
        self.expr
            .operands
            .iter()
            .map(|o| (o.name.clone(), o.rows, o.cols, o.props.names()))
            .collect()
    }

    /// The report of `chainplan expr --json`, as JSON text (the library's serializer).
    fn report_json(&self) -> PyResult<String> {
        self.report
            .to_json()
            .map_err(|e| PyValueError::new_err(chainplan::text::one_line(&e.to_string())))
    }

    /// Runs the plan on float64 operands given in declaration order, on the library's
    /// preferred backend (BLAS and LAPACK in this build), the GIL released; returns the value
    /// as a Fortran-ordered array. The library reads C- and Fortran-ordered arrays in place
    /// (a C-ordered one as the transpose of its storage) and copies only strided views.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        arrays: Vec<PyReadonlyArray2<'py, f64>>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let views: Vec<_> = arrays.iter().map(|a| a.as_array()).collect();
        let value = py
            .detach(|| -> Result<Array2<f64>, GenError> {
                let backend = Backend::preferred().ok_or(GenError::NoBackend)?;
                self.plan.execute_in_order(backend, &views)
            })
            .map_err(to_py)?;
        Ok(PyArray2::from_owned_array(py, value))
    }
}

/// Plans `text` over operands given as (name, declaration after `NAME=`) or (None, the whole
/// `--op` text), under the cost model `model` (`planned`, `expert` or `naive`).
#[pyfunction]
fn plan_expr(
    py: Python<'_>,
    text: String,
    ops: Vec<(Option<String>, String)>,
    model: String,
) -> PyResult<NativeExpr> {
    let cost_model = model_of(&model).ok_or_else(|| {
        PyValueError::new_err(format!(
            "model is {}; it must be 'planned', 'expert' or 'naive'",
            chainplan::text::quote(&model)
        ))
    })?;
    py.detach(|| -> Result<NativeExpr, GenError> {
        let operands = ops
            .iter()
            .map(|(name, spec)| operand(name.as_deref(), spec))
            .collect::<Result<Vec<_>, _>>()?;
        let expr = Expression::parse(&text, &operands)?;
        let report = ExprReport::new(&expr)?;
        let plan = if cost_model.name == report.plan.model() {
            report.plan.clone()
        } else {
            plan(&expr, &cost_model)?
        };
        Ok(NativeExpr { expr, report, plan })
    })
    .map_err(to_py)
}

/// Adds `plan_expr` and `NativeExpr` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeExpr>()?;
    m.add_function(wrap_pyfunction!(plan_expr, m)?)?;
    Ok(())
}
