//! The hand-off format as Python objects, built here directly: `Plan.to_dict()` of 10⁶
//! matrices took 10.7 s as JSON text parsed by `json.loads`, several times the planning.
//!
//! The dict has exactly the fields and values of the library's JSON ([`HandoffPlan`]), in the
//! same order. Each key is one interned string, and each operand's name one string object
//! shared by every place that names it (its input or step entry, the steps that read it, the
//! `free_after` lists), so the dict holds a few objects per step.

use chainplan::handoff::HandoffPlan;
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

/// The plan's hand-off dict (`json.loads` of its hand-off JSON, built without the text).
pub fn handoff_dict<'py>(py: Python<'py>, plan: &Plan) -> PyResult<Bound<'py, PyDict>> {
    let h = py
        .detach(|| HandoffPlan::from_plan(plan))
        .map_err(crate::to_py)?;
    let key = |k: &str| PyString::intern(py, k);
    let (k_name, k_rows, k_cols, k_last_use) =
        (key("name"), key("rows"), key("cols"), key("last_use"));
    let (k_step, k_out, k_lhs, k_rhs) = (key("step"), key("out"), key("lhs"), key("rhs"));
    let (k_m, k_k, k_n, k_cost, k_free) =
        (key("m"), key("k"), key("n"), key("cost"), key("free_after"));

    let inputs: Vec<Bound<'py, PyString>> = h
        .inputs
        .iter()
        .map(|a| PyString::new(py, &a.name))
        .collect();
    let mut outs: Vec<Bound<'py, PyString>> = Vec::with_capacity(h.steps.len());
    // `A3` and `S2` name inputs[2] and outs[1]; anything else (which the library does not
    // write) gets a string of its own.
    let name = |outs: &[Bound<'py, PyString>], text: &str| -> Bound<'py, PyString> {
        let index = |rest: &str| rest.parse::<usize>().ok().and_then(|i| i.checked_sub(1));
        let shared = match text.split_at_checked(1) {
            Some(("A", rest)) => index(rest).and_then(|i| inputs.get(i)),
            Some(("S", rest)) => index(rest).and_then(|i| outs.get(i)),
            _ => None,
        };
        shared.cloned().unwrap_or_else(|| PyString::new(py, text))
    };

    let input_list = PyList::empty(py);
    for (a, name) in h.inputs.iter().zip(&inputs) {
        let d = PyDict::new(py);
        d.set_item(&k_name, name)?;
        d.set_item(&k_rows, a.rows)?;
        d.set_item(&k_cols, a.cols)?;
        d.set_item(&k_last_use, a.last_use)?;
        input_list.append(d)?;
    }
    let step_list = PyList::empty(py);
    for s in &h.steps {
        let out = PyString::new(py, &s.out);
        let d = PyDict::new(py);
        d.set_item(&k_step, s.step)?;
        d.set_item(&k_out, &out)?;
        d.set_item(&k_lhs, name(&outs, &s.lhs))?;
        d.set_item(&k_rhs, name(&outs, &s.rhs))?;
        d.set_item(&k_m, s.m)?;
        d.set_item(&k_k, s.k)?;
        d.set_item(&k_n, s.n)?;
        d.set_item(&k_cost, int(py, s.cost)?)?;
        d.set_item(&k_last_use, s.last_use)?;
        outs.push(out);
        let free = PyList::new(py, s.free_after.iter().map(|f| name(&outs, f)))?;
        d.set_item(&k_free, free)?;
        step_list.append(d)?;
    }
    let d = PyDict::new(py);
    d.set_item(key("format"), &h.format)?;
    d.set_item(key("version"), h.version)?;
    d.set_item(key("order"), &h.order)?;
    d.set_item(key("cost"), int(py, h.cost)?)?;
    d.set_item(key("inputs"), input_list)?;
    d.set_item(key("steps"), step_list)?;
    d.set_item(key("result"), name(&outs, &h.result))?;
    Ok(d)
}
