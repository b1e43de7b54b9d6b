//! The short path of `chainplan.multi_dot`: a chain of 2-D numpy arrays of one dtype whose
//! intermediates are small, multiplied here with numpy's own `dot` routine
//! (`PyArray_MatrixProduct2`, what `numpy.dot` calls) in the library's order.
//!
//! On three 10 × 10 matrices, numpy's `multi_dot` spends more time in Python than in its
//! two products; running the checks, the plan lookup and the step loop here removes that
//! time, so the call costs about two `dot`s. Any call this path does not fully understand
//! (array-likes, subclasses, mixed dtypes, 1-D or stacked operands, a zero or mismatched
//! dimension, an `out` that is not an ndarray, large intermediates) returns `None`, and the
//! Python layer takes its general path, which raises numpy's errors. The plans are the
//! library's; this module only remembers them per (dimensions, algorithm).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chainplan::plan::Operand;
use chainplan::{Algorithm, Chain, Error};
use numpy::npyffi::{self, PyArrayObject, PY_ARRAY_API};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Intermediates of more elements than this are left to the Python path, which places them
/// in a workspace planned once per call (`_multi_dot._SMALL`, the same bound).
pub(crate) const SMALL: usize = 4096;
/// At most this many plans are remembered; the cache is emptied when it is full.
const CACHE_MAX: usize = 1024;

/// Per step, the indices of its two operands (inputs first, then step results); `None` when
/// the chain has an intermediate above [`SMALL`].
type Steps = Option<Arc<[(usize, usize)]>>;
type Cache = HashMap<(Vec<usize>, Algorithm), Steps>;

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// The library's plan for `dims`, as the step list this path runs.
fn steps_of(dims: &[usize], algorithm: Algorithm) -> Result<Steps, Error> {
    let plan = algorithm.plan(&Chain::new(dims.to_vec())?)?;
    let n = plan.matrices();
    let index = |op: Operand| match op {
        Operand::Matrix(i) => i,
        Operand::Step(t) => n + t,
    };
    let steps = plan.steps();
    if let Some((_, inner)) = steps.split_last() {
        if inner.iter().any(|s| s.m.saturating_mul(s.n) > SMALL) {
            return Ok(None);
        }
    }
    Ok(Some(
        steps.iter().map(|s| (index(s.lhs), index(s.rhs))).collect(),
    ))
}

fn cached(py: Python<'_>, dims: Vec<usize>, algorithm: Algorithm) -> PyResult<Steps> {
    let key = (dims, algorithm);
    if let Some(found) = CACHE
        .lock()
        .ok()
        .and_then(|c| c.as_ref().and_then(|c| c.get(&key).cloned()))
    {
        return Ok(found);
    }
    let steps = py.detach(|| steps_of(&key.0, key.1)).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(chainplan::text::one_line(&e.to_string()))
    })?;
    if let Ok(mut cache) = CACHE.lock() {
        let cache = cache.get_or_insert_with(HashMap::new);
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, steps.clone());
    }
    Ok(steps)
}

/// `arrays` as a vector, when it is a list or tuple of at least three exact ndarrays, all
/// 2-D, of one dtype, whose shapes chain with no zero dimension; with the dimensions.
fn operands<'py>(
    py: Python<'py>,
    arrays: &Bound<'py, PyAny>,
) -> Option<(Vec<Bound<'py, PyAny>>, Vec<usize>)> {
    let items: Vec<Bound<'py, PyAny>> = if let Ok(list) = arrays.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = arrays.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return None;
    };
    if items.len() < 3 {
        return None;
    }
    let mut dims = Vec::with_capacity(items.len() + 1);
    let mut descr: *mut npyffi::PyArray_Descr = std::ptr::null_mut();
    for item in &items {
        let ptr = item.as_ptr();
        // SAFETY: `ptr` is a live object (held by `items`); the check reads its type only.
        if unsafe { npyffi::PyArray_CheckExact(py, ptr) } == 0 {
            return None;
        }
        // SAFETY: an exact ndarray is a PyArrayObject; `nd`, `dimensions` and `descr` are
        // read while `items` holds a reference and the GIL is held.
        let (shape, d) = unsafe {
            let a = &*(ptr as *const PyArrayObject);
            if a.nd != 2 {
                return None;
            }
            let shape = std::slice::from_raw_parts(a.dimensions, 2);
            ([shape[0], shape[1]], a.descr)
        };
        if descr.is_null() {
            descr = d;
            dims.push(usize::try_from(shape[0]).ok()?);
        } else if d != descr
            // SAFETY: both descriptors belong to live arrays.
            && unsafe { PY_ARRAY_API.PyArray_EquivTypes(py, d, descr) } == 0
        {
            return None;
        }
        if usize::try_from(shape[0]).ok()? != *dims.last()? {
            return None;
        }
        dims.push(usize::try_from(shape[1]).ok()?);
    }
    if dims.contains(&0) {
        return None;
    }
    Some((items, dims))
}

/// The product of `arrays` on the short path, or `None` where the Python layer must take its
/// general path (see the module's documentation). `out` is `None` or the array the last
/// product is written into, with `numpy.dot`'s rules and errors.
#[pyfunction]
pub(crate) fn dot_chain<'py>(
    py: Python<'py>,
    arrays: &Bound<'py, PyAny>,
    algorithm: &str,
    out: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let out_ptr = if out.is_none() {
        std::ptr::null_mut()
    // SAFETY: `out` is a live object; the check reads its type only.
    } else if unsafe { npyffi::PyArray_CheckExact(py, out.as_ptr()) } != 0 {
        out.as_ptr() as *mut PyArrayObject
    } else {
        return Ok(None);
    };
    let Ok(algorithm) = algorithm.parse::<Algorithm>() else {
        return Ok(None);
    };
    let Some((items, dims)) = operands(py, arrays) else {
        return Ok(None);
    };
    let Some(steps) = cached(py, dims, algorithm)? else {
        return Ok(None);
    };
    let mut values: Vec<Option<Bound<'py, PyAny>>> = items.into_iter().map(Some).collect();
    let last = steps.len() - 1;
    let mut result = None;
    for (s, &(lhs, rhs)) in steps.iter().enumerate() {
        // Each operand is used once: taking it drops this path's reference after the step.
        let (Some(a), Some(b)) = (values[lhs].take(), values[rhs].take()) else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "chainplan: a plan used an operand twice",
            ));
        };
        let target = if s == last {
            out_ptr
        } else {
            std::ptr::null_mut()
        };
        // SAFETY: `a` and `b` are live ndarrays, `target` is null or the live ndarray `out`;
        // the call returns a new reference or null with a Python error set.
        let product = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                PY_ARRAY_API.PyArray_MatrixProduct2(py, a.as_ptr(), b.as_ptr(), target),
            )?
        };
        if s == last {
            result = Some(product);
        } else {
            values.push(Some(product));
        }
    }
    Ok(result)
}
