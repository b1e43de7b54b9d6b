//! `chainplan._native`: the Python extension module of chainplan.
//!
//! A thin binding of the library's public API. Every rule (validation, planning, the hand-off
//! format) lives in the library; this module converts arguments, releases the GIL while the
//! library works, and turns the library's errors into Python exceptions carrying its one-line
//! message:
//!
//! - [`chainplan::error::HandoffError::Malformed`] and [`chainplan::error::HandoffError::Version`] become
//!   `PlanFormatError` (a `ValueError`);
//! - every other library error becomes `ValueError`;
//! - arguments of the wrong Python type are refused by the Python layer (`chainplan`) with
//!   `TypeError` before they reach this module.
//!
//! The Python package `chainplan` (python/chainplan) is the public face; the names here are
//! private to it.

use chainplan::error::HandoffError;
use chainplan::exec::{BufferPlan, Executor};
use chainplan::handoff::HandoffPlan;
use chainplan::jacobian::{JacobianChain, JacobianReport, LayerKind, MatrixFreeChain, Seed};
use chainplan::plan::Operand;
use chainplan::table::Report;
use chainplan::{Algorithm, Chain, Error, Plan, PlanRequest};
use numpy::{PyReadonlyArray2, PyReadwriteArray2};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

mod blas_provider;
mod expr;
mod fast;
mod handoff;
mod matrix_free;
mod program;

create_exception!(
    _native,
    PlanFormatError,
    PyValueError,
    "A plan that is not in the hand-off format (docs/plan-format.md), is inconsistent, or is \
     in a version this package cannot read."
);

/// The library's error as a Python exception with its one-line, bounded message
/// ([`chainplan::text::one_line`]).
fn to_py(e: Error) -> PyErr {
    let message = chainplan::text::one_line(&e.to_string());
    match e {
        Error::Handoff(HandoffError::Malformed { .. } | HandoffError::Version { .. }) => {
            PlanFormatError::new_err(message)
        }
        _ => PyValueError::new_err(message),
    }
}

/// A chain from dimensions given as Python ints (the Python layer checks their types and
/// that they fit 128 bits), so that the library checks sign, range and zero and words the
/// message.
fn chain_of(dims: &[i128]) -> Result<Chain, Error> {
    Chain::new(dims)
}

/// A plan of the library, as the Python `Plan` object holds it.
#[pyclass(module = "chainplan._native", frozen)]
struct NativePlan {
    plan: Plan,
    /// The planner that made it (`dp`, `hu-shing`, `dp, flops, least memory first`, …).
    algorithm: String,
}

/// `Matrix(i)` → `i`, `Step(t)` → `n + t`: one index space for the Python executor's list
/// of operands (inputs first, then step results).
fn operand_index(op: Operand, matrices: usize) -> usize {
    match op {
        Operand::Matrix(i) => i,
        Operand::Step(t) => matrices + t,
    }
}

/// Execution schedule of a plan: per step (lhs, rhs, slot or None for the output, m, n).
type Schedule = Vec<(usize, usize, Option<usize>, usize, usize)>;

fn schedule_of(plan: &Plan) -> (Schedule, Vec<u128>) {
    let buffers = BufferPlan::new(plan);
    let n = plan.matrices();
    let steps = plan
        .steps()
        .iter()
        .enumerate()
        .map(|(s, st)| {
            (
                operand_index(st.lhs, n),
                operand_index(st.rhs, n),
                buffers.slot_of(s),
                st.m,
                st.n,
            )
        })
        .collect();
    (steps, buffers.slot_elements().to_vec())
}

#[pymethods]
impl NativePlan {
    /// The parenthesization, `((A1(A2A3))A4)`.
    #[getter]
    fn order(&self) -> String {
        self.plan.order()
    }

    /// Scalar multiplications, exact.
    #[getter]
    fn cost(&self) -> u128 {
        self.plan.cost()
    }

    /// Floating-point operations, 2 × cost.
    #[getter]
    fn flops(&self) -> PyResult<u128> {
        self.plan.flops().map_err(to_py)
    }

    /// Elements of the largest intermediate (0 for fewer than three matrices).
    #[getter]
    fn largest_intermediate(&self) -> u128 {
        self.plan.largest_intermediate()
    }

    /// The dimensions p0 … pn.
    #[getter]
    fn dims(&self) -> Vec<u32> {
        self.plan.chain().dims().to_vec()
    }

    /// The planner that made the plan.
    #[getter]
    fn algorithm(&self) -> String {
        self.algorithm.clone()
    }

    /// Steps as (lhs name, rhs name, m, k, n, cost), in execution order.
    fn steps(&self) -> Vec<(String, String, usize, usize, usize, u128)> {
        self.plan
            .steps()
            .iter()
            .map(|s| (s.lhs.name(), s.rhs.name(), s.m, s.k, s.n, s.cost))
            .collect()
    }

    /// (steps as (lhs, rhs, slot, m, n), slot sizes in elements): see `schedule_of`.
    fn schedule(&self) -> (Schedule, Vec<u128>) {
        schedule_of(&self.plan)
    }

    /// The plan in the hand-off format, as JSON text.
    fn handoff_json(&self) -> PyResult<String> {
        HandoffPlan::from_plan(&self.plan)
            .and_then(|h| h.to_json())
            .map_err(to_py)
    }

    /// The plan in the hand-off format as a dict, built without JSON text.
    fn handoff_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        handoff::handoff_dict(py, &self.plan)
    }

    /// (cost, order) of multiplying from the left and from the right.
    fn comparisons(&self) -> PyResult<((u128, String), (u128, String))> {
        let chain = self.plan.chain();
        let ltr = Plan::left_to_right_summary(chain).map_err(to_py)?;
        let rtl = Plan::right_to_left_summary(chain).map_err(to_py)?;
        Ok((ltr, rtl))
    }
}

/// Plans a chain: `dims` as ints, `algorithm` by name, an optional cap on
/// intermediates (elements) and `minimize` = `cost` or `memory`.
#[pyfunction]
#[pyo3(signature = (dims, algorithm, max_intermediate, minimize))]
fn plan(
    py: Python<'_>,
    dims: Vec<i128>,
    algorithm: String,
    max_intermediate: Option<u128>,
    minimize: String,
) -> PyResult<NativePlan> {
    py.detach(|| -> Result<NativePlan, Error> {
        let algorithm: Algorithm = algorithm.parse()?;
        let chain = chain_of(&dims)?;
        let mut request = PlanRequest::new()
            .algorithm(algorithm)
            .minimize(minimize.parse()?);
        if let Some(cap) = max_intermediate {
            request = request.max_intermediate(cap);
        }
        let planned = request.plan(&chain)?;
        Ok(NativePlan {
            plan: planned.plan,
            algorithm: planned.planner,
        })
    })
    .map_err(to_py)
}

/// The execution schedule for a chain of positive dimensions, without building a plan
/// object: what `chainplan.multi_dot` needs per call.
#[pyfunction]
fn schedule(py: Python<'_>, dims: Vec<u64>, algorithm: String) -> PyResult<(Schedule, Vec<u128>)> {
    py.detach(|| -> Result<_, Error> {
        let algorithm: Algorithm = algorithm.parse()?;
        let chain = Chain::from_u64s(dims)?;
        Ok(schedule_of(&algorithm.plan(&chain)?))
    })
    .map_err(to_py)
}

/// Reads a plan in the hand-off format (JSON text) with the library's strict reader. Every
/// refusal, whichever library error words it (a step that multiplies non-adjacent operands is
/// the plan builder's error), is a `PlanFormatError`.
#[pyfunction]
fn from_handoff(py: Python<'_>, text: String) -> PyResult<NativePlan> {
    py.detach(|| HandoffPlan::from_json(&text).and_then(|h| h.to_plan()))
        .map(|plan| NativePlan {
            plan,
            algorithm: "hand-off".to_string(),
        })
        .map_err(|e| PlanFormatError::new_err(chainplan::text::one_line(&e.to_string())))
}

/// The Jacobian report of `chainplan jacobian --json`, as JSON text.
#[pyfunction]
#[pyo3(signature = (widths, layers, seed, seed_size, tangent_costs, adjoint_costs, tapes, memory))]
#[allow(clippy::too_many_arguments)]
fn jacobian(
    py: Python<'_>,
    widths: Vec<i128>,
    layers: Option<String>,
    seed: String,
    seed_size: u64,
    tangent_costs: Option<Vec<u64>>,
    adjoint_costs: Option<Vec<u64>>,
    tapes: Option<Vec<u64>>,
    memory: Option<u64>,
) -> PyResult<String> {
    // The arguments' own rules, before the library sees them.
    if seed == "none" && seed_size != 1 {
        return Err(PyValueError::new_err(format!(
            "seed_size {seed_size} needs seed='input' or seed='output'"
        )));
    }
    if tangent_costs.is_some() != adjoint_costs.is_some() {
        return Err(PyValueError::new_err(
            "tangent_costs and adjoint_costs go together: give both or neither",
        ));
    }
    py.detach(|| -> Result<String, Error> {
        let widths: Vec<usize> = chain_of(&widths)?
            .dims()
            .iter()
            .map(|&w| w as usize)
            .collect();
        let seed = match seed.as_str() {
            "none" => Seed::None,
            kind => Seed::from_kind(kind, seed_size)?,
        };
        let chain = match &layers {
            Some(text) => JacobianChain::with_layers(&widths, &LayerKind::parse_list(text)?, seed)?,
            None => JacobianChain::new(&widths, seed)?,
        };
        let mf = match (&tangent_costs, &adjoint_costs) {
            (Some(t), Some(a)) => {
                let mut mf = MatrixFreeChain::new(chain.layer_widths(), t, a)?;
                if let (Some(e), Some(m)) = (&tapes, memory) {
                    mf = mf.with_memory(e, m)?;
                }
                let mf = mf.with_seed(seed)?;
                // Before the dense plans, which take longer than this check on long chains.
                mf.check_size()?;
                Some(mf)
            }
            _ => None,
        };
        Ok(JacobianReport::new(&chain, mf.as_ref())?.to_json()?)
    })
    .map_err(to_py)
}

/// Executes `plan` on float64 matrices with the library's BLAS executor, writing the product
/// into `out`. Used by python/benchmarks to compare with numpy's matmul (see
/// python/README.md, "Execution").
#[pyfunction]
fn execute_f64(
    py: Python<'_>,
    plan: &NativePlan,
    arrays: Vec<PyReadonlyArray2<'_, f64>>,
    mut out: PyReadwriteArray2<'_, f64>,
) -> PyResult<()> {
    let views: Vec<_> = arrays.iter().map(|a| a.as_array()).collect();
    let mut out = out.as_array_mut();
    py.detach(|| -> Result<(), Error> {
        let mut executor = Executor::<f64>::new(&plan.plan)?;
        executor.run_into(&views, &mut out)
    })
    .map_err(to_py)
}

/// The BLAS library and thread count the extension's executor uses.
#[pyfunction]
fn blas_info() -> (String, usize) {
    (
        chainplan::system::blas_name(),
        chainplan::system::blas_threads(),
    )
}

/// A file name as the library's messages echo it ([`chainplan::text::quote_path`]): quoted,
/// escaped, and beyond 40 characters cut to its last ones and its length.
#[pyfunction]
fn quote_path(path: &str) -> String {
    chainplan::text::quote_path(std::path::Path::new(path))
}

/// A message as one bounded line ([`chainplan::text::one_line`]): the net under every message
/// the Python layer raises (`chainplan._text.one_line`), as under the library's.
#[pyfunction]
fn one_line(message: &str) -> String {
    chainplan::text::one_line(message)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativePlan>()?;
    m.add("PlanFormatError", m.py().get_type::<PlanFormatError>())?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(schedule, m)?)?;
    m.add_function(wrap_pyfunction!(from_handoff, m)?)?;
    m.add_function(wrap_pyfunction!(quote_path, m)?)?;
    m.add_function(wrap_pyfunction!(one_line, m)?)?;
    m.add_function(wrap_pyfunction!(jacobian, m)?)?;
    m.add_function(wrap_pyfunction!(execute_f64, m)?)?;
    m.add_function(wrap_pyfunction!(blas_info, m)?)?;
    m.add_function(wrap_pyfunction!(fast::dot_chain, m)?)?;
    expr::register(m)?;
    program::register(m)?;
    matrix_free::register(m)?;
    Ok(())
}
