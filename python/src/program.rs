//! `chainplan.plan_expr` on programs: assignments with sums, differences, named scalars, the
//! identity `I` and several outputs, planned and executed by
//! [`chainplan::generalized::Program`].
//!
//! A thin binding: the library parses the scalar declarations and the program, checks it,
//! plans it under the chosen cost model, writes its steps and its JSON, and runs it on
//! caller-supplied float64 arrays (the GIL released). Every library error, among them
//! `GenError::Program` (line, column, reason) and `GenError::Scalar`, becomes a `ValueError`
//! carrying its one-line, bounded message, as for plain expressions.

use crate::expr::{model_of, operand, to_py, Declared};
use chainplan::generalized::{GenError, Input, Program, ProgramPlan, ScalarDecl};
use chainplan::Product;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One scalar as Python gives it: `name` and what follows it in the CLI's `--scalar` text
/// (`=0.7`, `:positive`, or nothing), or, without a name, the whole `--scalar` text. A given
/// name is checked on its own first, so that a name holding `=` or `:` cannot change how the
/// declaration reads.
fn scalar(name: Option<&str>, rest: &str) -> Result<(ScalarDecl, Option<f64>), GenError> {
    let Some(name) = name else {
        return ScalarDecl::parse(rest);
    };
    let (alone, _) = ScalarDecl::parse(name)?;
    if alone.name != name {
        return Err(GenError::Scalar {
            name: name.chars().take(40).collect(),
            reason: "a scalar's name is a letter or '_' then letters, digits or '_'".into(),
        });
    }
    ScalarDecl::parse(&format!("{name}{rest}"))
}

/// A planned program: the plan of the chosen cost model and the scalar values given with
/// the declarations (used when `evaluate` is not given them).
#[pyclass(module = "chainplan._native", frozen)]
struct NativeProgram {
    program: Program,
    plan: ProgramPlan,
    values: Vec<(String, f64)>,
}

/// An operand for execution: a 2-D array, or a 1-D one for an n×1 or 1×n operand.
#[derive(FromPyObject)]
enum Array<'py> {
    Matrix(PyReadonlyArray2<'py, f64>),
    Vector(PyReadonlyArray1<'py, f64>),
}

#[pymethods]
impl NativeProgram {
    /// The cost model of the plan: `planned`, `expert` or `naive`.
    #[getter]
    fn model(&self) -> String {
        self.plan.model().to_string()
    }

    /// The outputs' names, in program order.
    #[getter]
    fn outputs(&self) -> Vec<String> {
        self.plan.outputs().to_vec()
    }

    /// The plan's exact cost in units of ⅓ flop.
    #[getter]
    fn thirds(&self) -> u128 {
        self.plan.cost().thirds()
    }

    /// The plan's cost in flops as the library writes it (`80,663,833⅓`).
    #[getter]
    fn flops_text(&self) -> String {
        self.plan.cost().to_string()
    }

    /// Whether a step forms an explicit inverse.
    #[getter]
    fn has_explicit_inverse(&self) -> bool {
        self.plan.has_explicit_inverse()
    }

    /// The steps in execution order: (name, text as the report writes it, thirds).
    fn steps(&self) -> Vec<(String, String, u128)> {
        self.plan
            .steps()
            .iter()
            .map(|s| (s.name().to_string(), s.text(), s.cost().thirds()))
            .collect()
    }

    /// The indices of the steps each output needs, by output.
    fn steps_for(&self, output: &str) -> Vec<usize> {
        self.plan.steps_for(output)
    }

    /// The declared operands: (name, rows, cols), in declaration order.
    fn operands(&self) -> Vec<(String, usize, usize)> {
        self.program
            .operands()
            .iter()
            .map(|o| (o.name.clone(), o.rows, o.cols))
            .collect()
    }

    /// The declared scalars' names, and the values given with the declarations.
    fn scalars(&self) -> (Vec<String>, Vec<(String, f64)>) {
        let names = self
            .program
            .scalars()
            .iter()
            .map(|d| d.name.clone())
            .collect();
        (names, self.values.clone())
    }

    /// The plan as JSON text (the library's serializer).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.plan)
            .map_err(|e| PyValueError::new_err(chainplan::text::one_line(&e.to_string())))
    }

    /// The plan as the library writes it (`Display`).
    fn text(&self) -> String {
        self.plan.to_string()
    }

    /// Runs the plan on float64 operands by name and scalar values by name (the values given
    /// with the declarations fill in the names not given), the GIL released; returns every
    /// output by name: a 2-D array, a 1-D one where the library returns a vector (an operand
    /// was bound as a 1-D array), or a float.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        arrays: Vec<(String, Array<'py>)>,
        scalars: Vec<(String, f64)>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut values = scalars;
        for (n, v) in &self.values {
            if !values.iter().any(|(m, _)| m == n) {
                values.push((n.clone(), *v));
            }
        }
        let inputs: Vec<(&str, Input<'_>)> = arrays
            .iter()
            .map(|(n, a)| {
                let input = match a {
                    Array::Matrix(m) => Input::Matrix(m.as_array()),
                    Array::Vector(v) => Input::Vector(v.as_array()),
                };
                (n.as_str(), input)
            })
            .collect();
        let named: Vec<(&str, f64)> = values.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let out = py
            .detach(|| self.plan.execute(&inputs, &named))
            .map_err(to_py)?;
        let dict = PyDict::new(py);
        for (name, value) in out {
            match value {
                Product::Matrix(m) => dict.set_item(name, PyArray2::from_owned_array(py, m))?,
                Product::Vector(v) => dict.set_item(name, PyArray1::from_owned_array(py, v))?,
                Product::Scalar(x) => dict.set_item(name, x)?,
            }
        }
        Ok(dict)
    }
}

/// Plans the program `text` over operands given as (name, declaration after `NAME=`) or
/// (None, the whole `--op` text), and scalars given as (name, `=VALUE`, `:SIGN` or nothing)
/// or (None, the whole `--scalar` text),
/// under the cost model `model`.
#[pyfunction]
fn plan_program(
    py: Python<'_>,
    text: String,
    ops: Vec<(Option<String>, Declared<'_>)>,
    scalars: Vec<(Option<String>, String)>,
    model: String,
) -> PyResult<NativeProgram> {
    // Records hold Python objects: read them while the GIL is held.
    let operands = ops
        .iter()
        .map(|(name, declared)| operand(name.as_deref(), declared))
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_py)?;
    let cost_model = model_of(&model).ok_or_else(|| {
        PyValueError::new_err(format!(
            "model is {}; it must be 'planned', 'expert' or 'naive'",
            chainplan::text::quote(&model)
        ))
    })?;
    py.detach(|| -> Result<NativeProgram, GenError> {
        let mut decls: Vec<ScalarDecl> = Vec::new();
        let mut values = Vec::new();
        for (name, rest) in &scalars {
            let (d, v) = scalar(name.as_deref(), rest)?;
            if let Some(v) = v {
                values.push((d.name.clone(), v));
            }
            decls.push(d);
        }
        let program = Program::parse(&text, &operands, &decls)?;
        let plan = program.plan(&cost_model)?;
        Ok(NativeProgram {
            program,
            plan,
            values,
        })
    })
    .map_err(to_py)
}

/// Adds `plan_program` and `NativeProgram` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeProgram>()?;
    m.add_function(wrap_pyfunction!(plan_program, m)?)?;
    Ok(())
}
