//! The hand-off format as Python objects, built here directly: `Plan.to_dict()` of 10⁶
//! matrices took 10.7 s as JSON text parsed by `json.loads`, several times the planning.
//!
//! The dict has exactly the fields and values of the library's JSON
//! ([`HandoffPlan`](chainplan::handoff::HandoffPlan)), in the same order, built from the
//! plan's steps and the library's [`Lifetimes`] without an intermediate `HandoffPlan` (whose
//! strings per step cost as much as the dicts). Each key is one interned string, each
//! operand's name one string object shared by every place that names it (its input or step
//! entry, the steps that read it, the `free_after` lists), and each entry a copy of one
//! prototype dict holding every key (a copy takes the prototype's table as it is: no
//! insertion, hashing or resizing), whose values are then replaced. Step numbers and small
//! dimensions are shared int objects too (ints are immutable: `==` cannot tell).

use chainplan::handoff::{Lifetimes, FORMAT_NAME, FORMAT_VERSION};
use chainplan::plan::Operand;
use chainplan::Plan;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// A cost as a Python int: through u64 when it fits (the common, faster conversion).
fn int<'py>(py: Python<'py>, x: u128) -> PyResult<Bound<'py, PyAny>> {
    match u64::try_from(x) {
        Ok(small) => Ok(small.into_pyobject(py)?.into_any()),
        Err(_) => Ok(x.into_pyobject(py)?.into_any()),
    }
}

/// A dict holding `keys` in order, each with the value None: the prototype of entries.
fn prototype<'py>(py: Python<'py>, keys: &[&Bound<'py, PyString>]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for k in keys {
        d.set_item(k, py.None())?;
    }
    Ok(d)
}

/// The plan's hand-off dict (`json.loads` of its hand-off JSON, built without the text).
pub fn handoff_dict<'py>(py: Python<'py>, plan: &Plan) -> PyResult<Bound<'py, PyDict>> {
    let (uses, order) = py.detach(|| (Lifetimes::of(plan), plan.order()));
    let key = |k: &str| PyString::intern(py, k);
    let (k_name, k_rows, k_cols, k_last_use) =
        (key("name"), key("rows"), key("cols"), key("last_use"));
    let (k_step, k_out, k_lhs, k_rhs) = (key("step"), key("out"), key("lhs"), key("rhs"));
    let (k_m, k_k, k_n, k_cost, k_free) =
        (key("m"), key("k"), key("n"), key("cost"), key("free_after"));

    let steps = plan.steps();
    let inputs: Vec<Bound<'py, PyString>> = (0..plan.matrices())
        .map(|i| PyString::new(py, &Operand::Matrix(i).name()))
        .collect();
    let outs: Vec<Bound<'py, PyString>> = (0..steps.len())
        .map(|s| PyString::new(py, &Operand::Step(s).name()))
        .collect();
    let name = |op: Operand| match op {
        Operand::Matrix(i) => &inputs[i],
        Operand::Step(s) => &outs[s],
    };
    // One int object per step number, for `step` and every `last_use` that names it, and one
    // per dimension value below 2^16 (most shapes), shared like the names.
    let numbers: Vec<Bound<'py, PyAny>> = (1..=steps.len())
        .map(|s| Ok(s.into_pyobject(py)?.into_any()))
        .collect::<PyResult<_>>()?;
    let last_use = |u: Option<usize>| -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(u) = u else { return Ok(None) };
        match numbers.get(u.wrapping_sub(1)) {
            Some(number) => Ok(Some(number.clone())),
            None => Ok(Some(u.into_pyobject(py)?.into_any())),
        }
    };
    let mut small: Vec<Option<Bound<'py, PyAny>>> = Vec::new();
    let mut dim = |d: usize| -> PyResult<Bound<'py, PyAny>> {
        if d >= 1 << 16 {
            return Ok((d as u64).into_pyobject(py)?.into_any());
        }
        if small.len() <= d {
            small.resize(d + 1, None);
        }
        match &small[d] {
            Some(x) => Ok(x.clone()),
            None => {
                let x = (d as u64).into_pyobject(py)?.into_any();
                small[d] = Some(x.clone());
                Ok(x)
            }
        }
    };

    let input_proto = prototype(py, &[&k_name, &k_rows, &k_cols, &k_last_use])?;
    let mut input_dicts = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let (rows, cols) = plan.chain().shape(i);
        let d = input_proto.copy()?;
        d.set_item(&k_name, input)?;
        d.set_item(&k_rows, dim(rows)?)?;
        d.set_item(&k_cols, dim(cols)?)?;
        d.set_item(&k_last_use, last_use(uses.inputs[i])?)?;
        input_dicts.push(d);
    }
    let step_proto = prototype(
        py,
        &[
            &k_step,
            &k_out,
            &k_lhs,
            &k_rhs,
            &k_m,
            &k_k,
            &k_n,
            &k_cost,
            &k_last_use,
            &k_free,
        ],
    )?;
    let mut step_dicts = Vec::with_capacity(steps.len());
    for (s, st) in steps.iter().enumerate() {
        let d = step_proto.copy()?;
        d.set_item(&k_step, &numbers[s])?;
        d.set_item(&k_out, &outs[s])?;
        d.set_item(&k_lhs, name(st.lhs))?;
        d.set_item(&k_rhs, name(st.rhs))?;
        d.set_item(&k_m, dim(st.m)?)?;
        d.set_item(&k_k, dim(st.k)?)?;
        d.set_item(&k_n, dim(st.n)?)?;
        d.set_item(&k_cost, int(py, st.cost)?)?;
        d.set_item(&k_last_use, last_use(uses.steps[s])?)?;
        // At most two operands: a list of the exact size, without growing it.
        let mut free = [name(st.lhs), name(st.rhs)];
        let mut count = 0;
        for op in uses.free_after(s, st) {
            free[count] = name(op);
            count += 1;
        }
        let free = PyList::new(py, &free[..count])?;
        d.set_item(&k_free, free)?;
        step_dicts.push(d);
    }
    let d = PyDict::new(py);
    d.set_item(key("format"), FORMAT_NAME)?;
    d.set_item(key("version"), FORMAT_VERSION)?;
    d.set_item(key("order"), order)?;
    d.set_item(key("cost"), int(py, plan.cost())?)?;
    d.set_item(key("inputs"), PyList::new(py, input_dicts)?)?;
    d.set_item(key("steps"), PyList::new(py, step_dicts)?)?;
    d.set_item(key("result"), name(plan.root()))?;
    Ok(d)
}
