//! `chainplan.plan_expr`: generalized chains (transposes, inverses as solves, structured
//! operands) from Python.
//!
//! A thin binding of [`chainplan::generalized`]: the library builds the operands (from
//! records of name, shape and property names, or parses declaration text), parses the
//! expression, plans (the report's three strategies, and optionally the expert or
//! naive plan on its own), names the steps, serializes the report exactly as `chainplan expr
//! --json` prints it, and executes a plan on caller-supplied float64 or float32 operands
//! (bound by name, matrices or 1-D vectors) with BLAS and LAPACK. The GIL is released while it works. Every library error becomes a `ValueError`
//! carrying its one-line message.

use chainplan::generalized::{
    plan, Backend, CostModel, ExprReport, Expression, GenError, GenPlan, Input, Operand,
};
use chainplan::table::Report;
use chainplan::Product;
use numpy::{PyArray0, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The library's error as a `ValueError` with its one-line, bounded message
/// ([`chainplan::text::one_line`]).
pub(crate) fn to_py(e: GenError) -> PyErr {
    PyValueError::new_err(chainplan::text::one_line(&e.to_string()))
}

/// One `ops` entry as Python hands it over: the CLI's declaration text after `NAME=`
/// (`2500x500:fullrank`), or the whole `--op` text when no name comes with it; or a record
/// (rows, cols, property names) of a shape or an array.
#[derive(FromPyObject)]
pub(crate) enum Declared<'py> {
    Text(String),
    Record(Bound<'py, PyAny>, Bound<'py, PyAny>, Vec<String>),
}

/// A dimension from Python: a whole number that fits `usize`, or an error naming it.
fn dimension(name: &str, d: &Bound<'_, PyAny>) -> Result<usize, GenError> {
    d.extract::<usize>().map_err(|_| {
        let text = d.str().map(|s| s.to_string()).unwrap_or_default();
        let negative = d.lt(0).unwrap_or(false);
        GenError::BadOperand {
            spec: name.to_string(),
            reason: format!(
                "dimension {} of {name} is {}",
                chainplan::text::quote(&text),
                if negative {
                    "not a whole number"
                } else {
                    "too large"
                }
            ),
        }
    })
}

/// One declared operand, built by the library from a record or read from declaration text.
pub(crate) fn operand(name: Option<&str>, declared: &Declared<'_>) -> Result<Operand, GenError> {
    match (name, declared) {
        (Some(name), Declared::Text(spec)) => Operand::with_declaration(name, spec),
        (None, Declared::Text(spec)) => Operand::parse(spec),
        (Some(name), Declared::Record(rows, cols, props)) => {
            let (r, c) = (dimension(name, rows)?, dimension(name, cols)?);
            Operand::with_property_names(name, r, c, props)
        }
        (None, Declared::Record(..)) => Err(GenError::BadOperand {
            spec: String::new(),
            reason: "a shape needs a name".into(),
        }),
    }
}

/// The cost model named `planned`, `expert` or `naive`.
pub(crate) fn model_of(name: &str) -> Option<CostModel> {
    name.parse().ok()
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

    /// Runs the plan on arrays bound by operand name (float64 or float32, all one type; 2-D,
    /// or 1-D for an operand declared n×1 or 1×n) on the library's preferred backend, the GIL
    /// released. Returns the value as the library gives it: a 2-D (Fortran-ordered) array, a
    /// 1-D array when a 1-D operand leaves a dimension of 1, or a 0-d array when both do, in
    /// the operands' element type. The library reads C- and Fortran-ordered arrays in place
    /// (a C-ordered one as the transpose of its storage) and copies only strided views.
    ///
    /// With `checked` false, the O(n²) checks of declared symmetry, triangularity and
    /// diagonality are skipped (the caller vouches for its data; `execute_trusted`).
    #[pyo3(signature = (arrays, checked = true))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        arrays: Vec<(String, Array<'py>)>,
        checked: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inputs: Vec<(&str, Input<'_>)> = arrays
            .iter()
            .map(|(name, a)| (name.as_str(), a.input()))
            .collect();
        let f32_only = !inputs.is_empty() && inputs.iter().all(|(_, i)| i.element_type() == "f32");
        let value = py
            .detach(|| -> Result<Value, GenError> {
                let backend = Backend::preferred().ok_or(GenError::NoBackend)?;
                Ok(if f32_only {
                    Value::F32(self.plan.execute_as::<f32>(backend, &inputs, checked)?)
                } else {
                    Value::F64(self.plan.execute_as::<f64>(backend, &inputs, checked)?)
                })
            })
            .map_err(to_py)?;
        Ok(match value {
            Value::F64(p) => product_to_py(py, p),
            Value::F32(p) => product_to_py(py, p),
        })
    }
}

/// An operand's array as numpy hands it over: float64 or float32, 2-D or 1-D.
#[derive(FromPyObject)]
enum Array<'py> {
    Matrix(PyReadonlyArray2<'py, f64>),
    Vector(PyReadonlyArray1<'py, f64>),
    MatrixF32(PyReadonlyArray2<'py, f32>),
    VectorF32(PyReadonlyArray1<'py, f32>),
}

impl Array<'_> {
    /// The library's input: a view of the array, no copy.
    fn input(&self) -> Input<'_> {
        match self {
            Array::Matrix(a) => Input::Matrix(a.as_array()),
            Array::Vector(a) => Input::Vector(a.as_array()),
            Array::MatrixF32(a) => Input::MatrixF32(a.as_array()),
            Array::VectorF32(a) => Input::VectorF32(a.as_array()),
        }
    }
}

/// A value in the element type it was computed in.
enum Value {
    F64(Product<f64>),
    F32(Product<f32>),
}

/// The library's product as a numpy array: 2-D, 1-D, or 0-d for a scalar.
fn product_to_py<T: numpy::Element>(py: Python<'_>, p: Product<T>) -> Bound<'_, PyAny> {
    match p {
        Product::Matrix(m) => PyArray2::from_owned_array(py, m).into_any(),
        Product::Vector(v) => PyArray1::from_owned_array(py, v).into_any(),
        Product::Scalar(x) => PyArray0::from_owned_array(py, numpy::ndarray::arr0(x)).into_any(),
    }
}

/// Plans `text` over operands given as (name, declaration after `NAME=`), (name, (rows,
/// cols, property names)) or (None, the whole `--op` text), under the cost model `model`
/// (`planned`, `expert` or `naive`).
#[pyfunction]
fn plan_expr(
    py: Python<'_>,
    text: String,
    ops: Vec<(Option<String>, Declared<'_>)>,
    model: String,
) -> PyResult<NativeExpr> {
    let cost_model = model_of(&model).ok_or_else(|| {
        PyValueError::new_err(format!(
            "model is {}; it must be 'planned', 'expert' or 'naive'",
            chainplan::text::quote(&model)
        ))
    })?;
    // The declarations are read with the GIL held (a record's dimensions are Python ints).
    let operands = ops
        .iter()
        .map(|(name, declared)| operand(name.as_deref(), declared))
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_py)?;
    py.detach(|| -> Result<NativeExpr, GenError> {
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
