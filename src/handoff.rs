//! The plan hand-off format: a versioned JSON description of a [`Plan`] that another engine's
//! driver (Dask, Spark, a hand-written MPI program) can execute without knowing chainplan.
//!
//! A chain A1 · … · An is executed as n − 1 pairwise products, one per step, in the order
//! given. Step s multiplies two operands — input matrices `A1 … An` or results `S1 … S(s−1)` of
//! earlier steps — and names its result `Ss`. The last step's result is the product.
//!
//! ## Lifetimes
//!
//! An engine that keeps intermediates in distributed memory must know when it may drop them.
//! For every operand the format records `last_use`, the step after which it is no longer needed
//! (`null` for the final result, and for the single input of a one-matrix chain), and every
//! step lists in `free_after` the operands whose last use it is. In a matrix chain each operand
//! is used exactly once, so `free_after` of step s is its own two operands; the format still
//! states it explicitly, so that drivers need not rely on that and later plan kinds (with
//! shared operands) keep the same schema.
//!
//! The memory high-water mark of a driver that follows `free_after` is therefore the largest
//! sum, over one step, of the live operands: the inputs not yet consumed, the live
//! intermediates and the step's result.
//!
//! ## Versioning
//!
//! `format` is always [`FORMAT_NAME`] and `version` is [`FORMAT_VERSION`]. A reader must
//! refuse a `version` it does not know; it should ignore fields it does not know, which later
//! versions may add without changing the version number as long as every existing field keeps
//! its meaning. The full schema, with an example, is in `docs/plan-format.md`.
//!
//! ```
//! use chainplan::{Algorithm, Chain};
//! use chainplan::handoff::HandoffPlan;
//!
//! let chain = Chain::new(vec![4000u32, 2000, 6000, 2000, 4000])?;
//! let plan = Algorithm::Dp.plan(&chain)?;
//! let handoff = HandoffPlan::from_plan(&plan)?;
//! // ((A1(A2A3))A4) and (A1((A2A3)A4)) both cost 72·10⁹; the first step is A2·A3 in both.
//! assert_eq!(handoff.cost, 72_000_000_000);
//! assert_eq!(handoff.steps[0].lhs, "A2");
//! assert_eq!(handoff.steps[0].free_after, ["A2", "A3"]);
//! assert_eq!(handoff.result, "S3");
//!
//! // The JSON form reads back into the same plan, after validation.
//! let json = handoff.to_json()?;
//! let back = HandoffPlan::from_json(&json)?.to_plan()?;
//! assert_eq!(back, plan);
//! # Ok::<(), chainplan::Error>(())
//! ```

use crate::chain::Chain;
use crate::error::HandoffError;
use crate::error::{Error, Result};
use crate::plan::{Operand, Plan, PlanBuilder, Step};
use serde::{Deserialize, Serialize};

/// The value of the `format` field.
pub const FORMAT_NAME: &str = "chainplan-plan";

/// The version of the format that this library writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One input matrix of a hand-off plan, in chain order (`inputs[i]` is A(i+1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffInput {
    /// `A1`, `A2`, …
    pub name: String,
    /// Rows of the matrix.
    pub rows: u64,
    /// Columns of the matrix.
    pub cols: u64,
    /// The 1-based step after which the matrix is no longer needed; `None` when no step uses
    /// it (a chain of one matrix).
    pub last_use: Option<usize>,
}

/// One product of a plan as every listing of its steps names it: the plan report's steps
/// (`report::StepReport`, with the feature `report`) and the first fields of a
/// [`HandoffStep`], built in one place ([`StepSummary::of`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepSummary {
    /// 1-based step number in execution order.
    pub step: usize,
    /// Name of the result (`S1`, `S2`, …).
    pub out: String,
    /// Name of the left operand: an input (`A3`) or an earlier result (`S1`).
    pub lhs: String,
    /// Name of the right operand.
    pub rhs: String,
    /// Rows of the result (and of `lhs`).
    pub m: u64,
    /// Inner dimension: columns of `lhs`, rows of `rhs`.
    pub k: u64,
    /// Columns of the result (and of `rhs`).
    pub n: u64,
    /// Scalar multiplications, m·k·n.
    pub cost: u128,
}

impl StepSummary {
    /// The summary of `step`, the product at 0-based position `index` of its plan.
    pub fn of(index: usize, step: &Step) -> Self {
        StepSummary {
            step: index + 1,
            out: Operand::Step(index).name(),
            lhs: step.lhs.name(),
            rhs: step.rhs.name(),
            m: step.m as u64,
            k: step.k as u64,
            n: step.n as u64,
            cost: step.cost,
        }
    }
}

/// One pairwise product `out = lhs · rhs` of a hand-off plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffStep {
    /// 1-based position in execution order.
    pub step: usize,
    /// Name of the result: `S<step>`.
    pub out: String,
    /// Left operand: an input (`A3`) or an earlier result (`S1`).
    pub lhs: String,
    /// Right operand.
    pub rhs: String,
    /// Rows of the result (and of `lhs`).
    pub m: u64,
    /// Inner dimension: columns of `lhs`, rows of `rhs`.
    pub k: u64,
    /// Columns of the result (and of `rhs`).
    pub n: u64,
    /// Scalar multiplications, m·k·n.
    pub cost: u128,
    /// The 1-based step after which `out` is no longer needed; `None` for the final result.
    pub last_use: Option<usize>,
    /// Operands (inputs or results) whose last use is this step: a driver may free them as
    /// soon as this step is done.
    pub free_after: Vec<String>,
}

/// A plan in the hand-off format: what `chainplan plan --export-plan FILE` writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffPlan {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this library.
    pub version: u32,
    /// The parenthesization, for people: `((A1(A2A3))A4)`.
    pub order: String,
    /// Total scalar multiplications, the sum of the steps' costs.
    pub cost: u128,
    /// The input matrices in chain order.
    pub inputs: Vec<HandoffInput>,
    /// The products in execution order.
    pub steps: Vec<HandoffStep>,
    /// The operand holding the product: the last step's `out`, or `A1` for one matrix.
    pub result: String,
}

/// The step (1-based) after which each input and each step result is last used: the
/// `last_use` fields of the hand-off format, and its `free_after` lists
/// ([`Lifetimes::free_after`]), for front ends that build the format's objects themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifetimes {
    /// `inputs[i]`: the last step that reads A(i+1); `None` if none does.
    pub inputs: Vec<Option<usize>>,
    /// `steps[s]`: the last step that reads the result of step s + 1; `None` for the product.
    pub steps: Vec<Option<usize>>,
}

impl Lifetimes {
    /// The last uses of every operand of `plan`.
    pub fn of(plan: &Plan) -> Self {
        let mut uses = Lifetimes {
            inputs: vec![None; plan.matrices()],
            steps: vec![None; plan.steps().len()],
        };
        for (s, step) in plan.steps().iter().enumerate() {
            for op in [step.lhs, step.rhs] {
                let slot = match op {
                    Operand::Matrix(i) => &mut uses.inputs[i],
                    Operand::Step(t) => &mut uses.steps[t],
                };
                *slot = Some(slot.map_or(s + 1, |u| u.max(s + 1)));
            }
        }
        uses
    }

    /// The last use of `op`.
    pub fn of_operand(&self, op: Operand) -> Option<usize> {
        match op {
            Operand::Matrix(i) => self.inputs[i],
            Operand::Step(t) => self.steps[t],
        }
    }

    /// The operands of `step`, the product at 0-based position `index`, whose last use it
    /// is, in order (lhs, rhs): what a driver may free after it.
    pub fn free_after(&self, index: usize, step: &Step) -> impl Iterator<Item = Operand> + '_ {
        [step.lhs, step.rhs]
            .into_iter()
            .filter(move |&op| self.of_operand(op) == Some(index + 1))
    }
}

impl HandoffPlan {
    /// Describes `plan` in the hand-off format, with each operand's last use.
    ///
    /// Errors only if the plan is inconsistent (which [`PlanBuilder`] rules out).
    pub fn from_plan(plan: &Plan) -> Result<Self> {
        let uses = Lifetimes::of(plan);
        let inputs = (0..plan.matrices())
            .map(|i| {
                let (rows, cols) = plan.chain().shape(i);
                HandoffInput {
                    name: Operand::Matrix(i).name(),
                    rows: rows as u64,
                    cols: cols as u64,
                    last_use: uses.inputs[i],
                }
            })
            .collect();
        let steps = plan
            .steps()
            .iter()
            .enumerate()
            .map(|(s, st)| {
                let free_after = uses.free_after(s, st).map(|op| op.name()).collect();
                let StepSummary {
                    step,
                    out,
                    lhs,
                    rhs,
                    m,
                    k,
                    n,
                    cost,
                } = StepSummary::of(s, st);
                HandoffStep {
                    step,
                    out,
                    lhs,
                    rhs,
                    m,
                    k,
                    n,
                    cost,
                    last_use: uses.steps[s],
                    free_after,
                }
            })
            .collect();
        Ok(HandoffPlan {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            order: plan.order(),
            cost: plan.cost(),
            inputs,
            steps,
            result: plan.root().name(),
        })
    }

    /// The plan as pretty-printed JSON, ending without a newline.
    pub fn to_json(&self) -> Result<String> {
        Ok(crate::table::json_of(self)?)
    }

    /// Reads a plan from JSON and checks its format name and version.
    ///
    /// Only the envelope is checked here; [`HandoffPlan::to_plan`] checks the contents.
    pub fn from_json(text: &str) -> Result<Self> {
        // Look at the envelope first, so that a future version with a different schema gets
        // a version error rather than a confusing missing-field error.
        #[derive(Deserialize)]
        struct Envelope {
            format: Option<String>,
            version: Option<u32>,
        }
        let bad = |reason: String| -> Error { HandoffError::Malformed { reason }.into() };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let envelope: Envelope = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "not a JSON plan: {}",
                crate::text::bounded(&e.to_string())
            ))
        })?;
        match envelope.format.as_deref() {
            Some(FORMAT_NAME) => {}
            Some(other) => {
                return Err(bad(format!(
                    "format is {}, expected '{FORMAT_NAME}'",
                    crate::text::quote(other)
                )))
            }
            None => return Err(bad(format!("no 'format' field (expected '{FORMAT_NAME}')"))),
        }
        match envelope.version {
            Some(FORMAT_VERSION) => {}
            Some(found) => {
                return Err(HandoffError::Version {
                    found,
                    supported: FORMAT_VERSION,
                }
                .into())
            }
            None => return Err(bad("no 'version' field".to_string())),
        }
        serde_json::from_str(text).map_err(|e| bad(crate::text::bounded(&e.to_string())))
    }

    /// Rebuilds the [`Plan`], checking that the description is consistent: input shapes
    /// chain together, every step multiplies adjacent operands that exist and are not used
    /// twice, and every derived field (shapes, costs, order, last uses, result) is what the
    /// steps imply.
    pub fn to_plan(&self) -> Result<Plan> {
        let bad = |reason: String| -> Error { HandoffError::Malformed { reason }.into() };
        if self.format != FORMAT_NAME {
            return Err(bad(format!(
                "format is {}, expected '{FORMAT_NAME}'",
                crate::text::quote(&self.format)
            )));
        }
        if self.version != FORMAT_VERSION {
            return Err(HandoffError::Version {
                found: self.version,
                supported: FORMAT_VERSION,
            }
            .into());
        }
        let first = self
            .inputs
            .first()
            .ok_or_else(|| bad("the plan has no inputs".to_string()))?;
        for (i, pair) in self.inputs.windows(2).enumerate() {
            if pair[0].cols != pair[1].rows {
                return Err(Error::ShapeMismatch {
                    lhs: format!("A{}", i + 1),
                    lhs_rows: pair[0].rows as usize,
                    lhs_cols: pair[0].cols as usize,
                    rhs: format!("A{}", i + 2),
                    rhs_rows: pair[1].rows as usize,
                    rhs_cols: pair[1].cols as usize,
                });
            }
        }
        let dims = std::iter::once(first.rows).chain(self.inputs.iter().map(|a| a.cols));
        let chain = Chain::from_u64s(dims)?;
        let mut builder = PlanBuilder::new(&chain);
        for (s, step) in self.steps.iter().enumerate() {
            if step.step != s + 1 {
                return Err(bad(format!(
                    "step {} is numbered {}; steps must be numbered 1, 2, … in order",
                    s + 1,
                    step.step
                )));
            }
            let lhs = parse_operand(&step.lhs)?;
            let rhs = parse_operand(&step.rhs)?;
            builder.multiply(lhs, rhs)?;
        }
        let plan = builder.finish()?;
        let expected = HandoffPlan::from_plan(&plan)?;
        if let Some(difference) = first_difference(&expected, self) {
            return Err(bad(difference));
        }
        Ok(plan)
    }
}

/// `A3` → input 2, `S1` → step 0.
fn parse_operand(name: &str) -> Result<Operand> {
    let parsed = name.get(1..).and_then(|digits| {
        let index: usize = digits.parse().ok()?;
        if index == 0 || digits.starts_with(['+', '0']) {
            return None;
        }
        match name.as_bytes()[0] {
            b'A' => Some(Operand::Matrix(index - 1)),
            b'S' => Some(Operand::Step(index - 1)),
            _ => None,
        }
    });
    Ok(parsed.ok_or_else(|| HandoffError::Malformed {
        reason: format!(
            "operand {} is neither an input (A1, A2, …) nor a step (S1, S2, …)",
            crate::text::quote(name)
        ),
    })?)
}

/// The first field where `found` disagrees with what its steps imply, as a message.
fn first_difference(expected: &HandoffPlan, found: &HandoffPlan) -> Option<String> {
    for (e, f) in expected.inputs.iter().zip(&found.inputs) {
        if e.name != f.name {
            return Some(format!(
                "input {} should be named '{}'",
                crate::text::quote(&f.name),
                e.name
            ));
        }
        if e.last_use != f.last_use {
            return Some(format!(
                "{}: last_use is {:?}, but the steps give {:?}",
                e.name, f.last_use, e.last_use
            ));
        }
    }
    // Numbers as they are; names and lists, which a file may make long, bounded.
    let show = |field: &str, value: &str| match field {
        "m" | "k" | "n" | "cost" => value.to_string(),
        _ => crate::text::quote(value),
    };
    for (e, f) in expected.steps.iter().zip(&found.steps) {
        let s = e.step;
        let pairs: [(&str, String, String); 7] = [
            ("out", e.out.clone(), f.out.clone()),
            ("m", e.m.to_string(), f.m.to_string()),
            ("k", e.k.to_string(), f.k.to_string()),
            ("n", e.n.to_string(), f.n.to_string()),
            ("cost", e.cost.to_string(), f.cost.to_string()),
            (
                "last_use",
                format!("{:?}", e.last_use),
                format!("{:?}", f.last_use),
            ),
            (
                "free_after",
                format!("{:?}", e.free_after),
                format!("{:?}", f.free_after),
            ),
        ];
        for (field, want, got) in pairs {
            if want != got {
                return Some(format!(
                    "step {s}: {field} is {}, but its operands give {}",
                    show(field, &got),
                    show(field, &want)
                ));
            }
        }
    }
    if expected.cost != found.cost {
        return Some(format!(
            "cost is {}, but the steps add up to {}",
            found.cost, expected.cost
        ));
    }
    if expected.order != found.order {
        return Some(format!(
            "order is {}, but the steps give {}",
            crate::text::quote(&found.order),
            crate::text::quote(&expected.order)
        ));
    }
    if expected.result != found.result {
        return Some(format!(
            "result is {}, but the steps give {}",
            crate::text::quote(&found.result),
            crate::text::quote(&expected.result)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn textbook() -> Plan {
        let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
        Plan::from_order(&chain, "((A1(A2A3))((A4A5)A6))").unwrap()
    }

    #[test]
    fn single_matrix_has_no_steps_and_no_last_use() {
        let chain = Chain::new(vec![3u32, 4]).unwrap();
        let plan = Plan::left_to_right(&chain).unwrap();
        let h = HandoffPlan::from_plan(&plan).unwrap();
        assert!(h.steps.is_empty());
        assert_eq!(h.result, "A1");
        assert_eq!(h.inputs[0].last_use, None);
        assert_eq!(h.to_plan().unwrap(), plan);
    }

    #[test]
    fn operand_names_parse_strictly() {
        assert_eq!(parse_operand("A1").unwrap(), Operand::Matrix(0));
        assert_eq!(parse_operand("S12").unwrap(), Operand::Step(11));
        for bad in ["", "A", "A0", "A01", "A+1", "B1", "S-1", "SA", "Ä1"] {
            assert!(parse_operand(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tampered_fields_are_rejected() {
        let good = HandoffPlan::from_plan(&textbook()).unwrap();
        let mut tampered = Vec::new();
        let mut h = good.clone();
        h.steps[1].cost += 1;
        tampered.push(h);
        let mut h = good.clone();
        h.steps[0].free_after.pop();
        tampered.push(h);
        let mut h = good.clone();
        h.inputs[2].last_use = Some(5);
        tampered.push(h);
        let mut h = good.clone();
        h.result = "S4".into();
        tampered.push(h);
        let mut h = good.clone();
        h.order = "((A1A2)A3)".into();
        tampered.push(h);
        let mut h = good.clone();
        h.cost = 1;
        tampered.push(h);
        let mut h = good.clone();
        h.steps.swap(0, 1);
        tampered.push(h);
        let mut h = good.clone();
        h.inputs[1].rows += 1;
        tampered.push(h);
        for h in tampered {
            assert!(h.to_plan().is_err(), "{h:?}");
        }
        assert!(good.to_plan().is_ok());
    }
}
