//! Running a program's plan: products on the generalized executor ([`GenPlan::execute`],
//! which checks the declared properties of what it reads), combinations as scaled additions.

use super::{ProgramPlan, ProgramStep, Sign};
use crate::generalized::{GenError, Input};
use crate::product::Product;
use ndarray::{Array2, ArrayView2, Axis};
use std::collections::{BTreeMap, HashMap};

/// A value during a run: a caller's array or a step's result.
enum Val<'a> {
    Given(Input<'a>),
    Owned(Array2<f64>),
}

impl Val<'_> {
    fn view(&self, rows: usize, cols: usize) -> ArrayView2<'_, f64> {
        match self {
            Val::Given(Input::Matrix(m)) => m.view(),
            Val::Given(Input::Vector(v)) if cols == 1 => v.view().insert_axis(Axis(1)),
            Val::Given(Input::Vector(v)) => {
                debug_assert_eq!(rows, 1);
                v.view().insert_axis(Axis(0))
            }
            Val::Owned(a) => a.view(),
            Val::Given(Input::MatrixF32(_) | Input::VectorF32(_)) => {
                unreachable!("execute refuses f32 operands before any step runs")
            }
        }
    }

    fn input(&self) -> Input<'_> {
        match self {
            Val::Given(Input::Matrix(m)) => Input::Matrix(m.view()),
            Val::Given(Input::Vector(v)) => Input::Vector(v.view()),
            Val::Owned(a) => Input::Matrix(a.view()),
            Val::Given(Input::MatrixF32(m)) => Input::MatrixF32(m.view()),
            Val::Given(Input::VectorF32(v)) => Input::VectorF32(v.view()),
        }
    }
}

impl ProgramPlan {
    /// Runs the plan on arrays bound to the declared operands' names (each exactly once,
    /// matrices of the declared shape or 1-D arrays for n×1 and 1×n operands) and values of
    /// the declared scalars (each exactly once, finite, of the declared sign). Returns every
    /// output by name; an output with a dimension of 1 is a [`Product::Vector`] (or
    /// [`Product::Scalar`]) when some operand was bound as a 1-D array, as in
    /// [`crate::generalized::GenPlan::execute`].
    pub fn execute(
        &self,
        operands: &[(&str, Input<'_>)],
        scalars: &[(&str, f64)],
    ) -> Result<BTreeMap<String, Product<f64>>, GenError> {
        // Programs run in f64 (their combination steps are f64); an f32 operand is refused
        // before anything runs.
        let f32s: Vec<&str> = operands
            .iter()
            .filter(|(_, i)| i.element_type() == "f32")
            .map(|(n, _)| *n)
            .collect();
        if !f32s.is_empty() {
            let f64s: Vec<&str> = operands
                .iter()
                .filter(|(_, i)| i.element_type() == "f64")
                .map(|(n, _)| *n)
                .collect();
            return Err(GenError::ElementType {
                expected: "f64",
                matching: f64s.join(", "),
                given: "f32",
                other: f32s.join(", "),
            });
        }
        let mut vals: HashMap<&str, Val<'_>> = HashMap::new();
        for (name, input) in operands {
            let Some(o) = self.operands.iter().find(|o| o.name == *name) else {
                return Err(GenError::Binding {
                    name: name.to_string(),
                    reason: format!(
                        "is not an operand of the program; its operands: {}",
                        self.operands
                            .iter()
                            .map(|o| o.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            let ok = match input {
                Input::Matrix(m) => m.dim() == (o.rows, o.cols),
                Input::Vector(v) => (o.rows == 1 || o.cols == 1) && v.len() == o.rows * o.cols,
                Input::MatrixF32(_) | Input::VectorF32(_) => false,
            };
            if !ok {
                let got = match input {
                    Input::Matrix(m) => format!("{}x{}", m.nrows(), m.ncols()),
                    Input::Vector(v) => format!("a vector of {}", v.len()),
                    Input::MatrixF32(_) | Input::VectorF32(_) => "f32".to_string(),
                };
                return Err(GenError::OperandMismatch {
                    operand: o.name.clone(),
                    expected: format!("{}x{}", o.rows, o.cols),
                    got,
                });
            }
            if vals.insert(o.name.as_str(), Val::Given(*input)).is_some() {
                return Err(GenError::Binding {
                    name: name.to_string(),
                    reason: "is bound more than once".into(),
                });
            }
        }
        if let Some(o) = self
            .operands
            .iter()
            .find(|o| !vals.contains_key(o.name.as_str()))
        {
            return Err(GenError::Binding {
                name: o.name.clone(),
                reason: "is not bound to an array".into(),
            });
        }
        let values = self.scalar_values(scalars)?;
        for st in &self.steps {
            let out = match st {
                ProgramStep::Chain { name, plan } => {
                    let bound: Vec<(&str, Input<'_>)> = plan
                        .operands()
                        .iter()
                        .map(|o| {
                            let v =
                                vals.get(o.name.as_str())
                                    .ok_or_else(|| GenError::InvalidPlan {
                                        step: None,
                                        reason: format!("{} is read before it is computed", o.name),
                                    })?;
                            Ok((o.name.as_str(), v.input()))
                        })
                        .collect::<Result<_, GenError>>()?;
                    let (r, c) = (plan.rows(), plan.cols());
                    let m = match plan.execute(&bound)? {
                        Product::Matrix(m) => m,
                        Product::Vector(v) => {
                            v.into_shape_with_order((r, c))
                                .map_err(|e| GenError::InvalidPlan {
                                    step: None,
                                    reason: format!("{name}: {e}"),
                                })?
                        }
                        Product::Scalar(x) => Array2::from_elem((1, 1), x),
                    };
                    (name.as_str(), m)
                }
                ProgramStep::Combine {
                    name,
                    rows,
                    cols,
                    terms,
                    symmetric,
                    ..
                } => {
                    let mut out = Array2::<f64>::zeros((*rows, *cols));
                    for t in terms {
                        let mut s = t.coefficient;
                        for (n, e) in &t.scalars {
                            s *= values[n.as_str()].powi(*e);
                        }
                        match &t.value {
                            None => {
                                for i in 0..(*rows).min(*cols) {
                                    out[[i, i]] += s;
                                }
                            }
                            Some(v) => {
                                let (r, c) = if t.transposed {
                                    (*cols, *rows)
                                } else {
                                    (*rows, *cols)
                                };
                                let val =
                                    vals.get(v.as_str()).ok_or_else(|| GenError::InvalidPlan {
                                        step: None,
                                        reason: format!("{v} is read before it is computed"),
                                    })?;
                                let view = val.view(r, c);
                                let view = if t.transposed { view.t() } else { view };
                                if view.dim() != (*rows, *cols) {
                                    return Err(GenError::InvalidPlan {
                                        step: None,
                                        reason: format!("{v} does not fit the sum {name}"),
                                    });
                                }
                                out.scaled_add(s, &view);
                            }
                        }
                    }
                    if *symmetric && rows == cols {
                        for j in 0..*cols {
                            for i in j + 1..*rows {
                                out[[i, j]] = out[[j, i]];
                            }
                        }
                    }
                    (name.as_str(), out)
                }
            };
            vals.insert(out.0, Val::Owned(out.1));
        }
        let vector = operands.iter().any(|(_, i)| matches!(i, Input::Vector(_)));
        let mut result = BTreeMap::new();
        for o in &self.outputs {
            let Some(Val::Owned(m)) = vals.remove(o.as_str()) else {
                return Err(GenError::InvalidPlan {
                    step: None,
                    reason: format!("output {o} is not computed"),
                });
            };
            let p = match (vector, m.dim()) {
                (true, (1, 1)) => Product::Scalar(m[[0, 0]]),
                (true, (_, 1)) => Product::Vector(m.column(0).to_owned()),
                (true, (1, _)) => Product::Vector(m.row(0).to_owned()),
                _ => Product::Matrix(m),
            };
            result.insert(o.clone(), p);
        }
        Ok(result)
    }

    /// The scalars' values by name, checked against their declarations.
    fn scalar_values<'s>(
        &self,
        given: &[(&'s str, f64)],
    ) -> Result<HashMap<&'s str, f64>, GenError> {
        let mut out = HashMap::new();
        for (name, x) in given {
            let bad = |reason: String| GenError::Scalar {
                name: name.to_string(),
                reason,
            };
            let Some(d) = self.scalars.iter().find(|s| s.name == *name) else {
                return Err(bad(format!(
                    "is not a scalar of the program; its scalars: {}",
                    self.scalars
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            if !x.is_finite() {
                return Err(bad(format!("its value {x} is not finite")));
            }
            let sign_ok = match d.sign {
                Sign::Positive => *x > 0.0,
                Sign::Negative => *x < 0.0,
                Sign::Unknown => true,
            };
            if !sign_ok {
                return Err(bad(format!(
                    "is declared {} but its value is {x}",
                    if d.sign == Sign::Positive {
                        "positive"
                    } else {
                        "negative"
                    }
                )));
            }
            if out.insert(*name, *x).is_some() {
                return Err(bad("is given more than once".into()));
            }
        }
        let used: Vec<&str> = self
            .steps
            .iter()
            .flat_map(|s| match s {
                ProgramStep::Combine { terms, .. } => terms
                    .iter()
                    .flat_map(|t| t.scalars.iter().map(|(n, _)| n.as_str()))
                    .collect(),
                ProgramStep::Chain { .. } => Vec::new(),
            })
            .collect();
        if let Some(n) = used.iter().find(|n| !out.contains_key(**n)) {
            return Err(GenError::Scalar {
                name: n.to_string(),
                reason: "has no value; give it at run time".into(),
            });
        }
        Ok(out)
    }
}

/// Seeded random arrays with the operands' declared properties (as
/// [`crate::generalized::execute::random_operand`] makes them, with a diagonal SPD operand's
/// entries made positive), for benchmarks and tests of programs.
pub fn random_arrays(
    operands: &[crate::generalized::Operand],
    seed: u64,
) -> Result<Vec<Array2<f64>>, GenError> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    operands
        .iter()
        .map(|o| {
            let mut a = crate::generalized::execute::random_operand(o, &mut rng)?;
            if o.props.diagonal && o.props.spd {
                a.mapv_inplace(f64::abs);
            }
            Ok(a)
        })
        .collect()
}
