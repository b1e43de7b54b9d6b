//! Programs: several assignments with sums, differences, scalar factors, the identity, and
//! several outputs, planned as a whole and executed on the generalized executor.
//!
//! Kalman's update, as a filter writer puts it:
//!
//! ```
//! use chainplan::generalized::{CostModel, Operand, Program, ScalarDecl};
//! use chainplan::generalized::execute::random_operand;
//! use rand::SeedableRng;
//!
//! let ops: Vec<Operand> = ["Pb=40x40:spd", "H=25x40:fullrank", "R=25x25:spd", "xb=40", "z=25"]
//!     .iter().map(|s| Operand::parse(s)).collect::<Result<_, _>>()?;
//! let text = "K = Pb * H' * inv(H * Pb * H' + R)\nxa = xb + K * (z - H * xb)\nPa = (I - K * H) * Pb";
//! let program = Program::parse(text, &ops, &[])?;
//! let planned = program.plan(&CostModel::planned())?;
//! let naive = program.plan(&CostModel::naive())?;
//! assert!(planned.cost() < naive.cost());
//! assert!(!planned.has_explicit_inverse());
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let arrays: Vec<_> = ops.iter().map(|o| random_operand(o, &mut rng)).collect::<Result<_, _>>()?;
//! let inputs: Vec<(&str, _)> = ops.iter().zip(&arrays).map(|(o, a)| (o.name.as_str(), a.into())).collect();
//! let out = planned.execute(&inputs, &[])?;
//! assert_eq!(out.keys().collect::<Vec<_>>(), ["K", "Pa", "xa"]);
//! # Ok::<(), chainplan::generalized::GenError>(())
//! ```
//!
//! ## The language
//!
//! A program is one or more assignments `NAME = EXPRESSION`, separated by `;` or new lines
//! (`#` starts a comment); later assignments may read earlier outputs, and every assignment is
//! an output. Expressions take `+`, `-` (binary and unary), `*`, numbers, named scalars
//! (declared with [`ScalarDecl`], values given at run time), `I` (the identity, its size taken
//! from what it is added to or multiplied with; an error when nothing gives it), operands
//! declared as for [`crate::generalized::Expression`] (vectors are n×1 or 1×n operands),
//! transposes (`'`, `ᵀ`, `^T`) and `inv(…)` of any square sub-expression, sums included
//! (`^-1`, `^-T` too). Errors are [`GenError::Program`] with the line, column and reason.
//!
//! ## Planning, and what is exact
//!
//! 1. Each expression is normalised to a sum of scaled products: scalars are gathered into
//!    one factor per term, transposes are pushed through sums and products, `I` disappears
//!    from products.
//! 2. A sum inside an inverse, and (see 3) one inside a product, becomes a temporary: a
//!    *combination* step Σ sᵢ·Vᵢ (+ s·I added to the diagonal, never formed) with the
//!    properties of the sum ([`properties`]), so `inv(H·Pb·Hᵀ + R)` is a Cholesky
//!    factorization of an SPD temporary. Its cost is exact for the executor's loop: the first
//!    term is copied (rc flops when scaled), each further term added (rc, 2rc scaled), an
//!    identity added to the diagonal (min(r, c), 2·min(r, c) scaled).
//! 3. **Distributive choice** (planned model): a product of a sum and a product, (A + B)·C,
//!    is evaluated as a temporary times C or as A·C + B·C, whichever has fewer flops when
//!    each is planned on its own (each alternative's cost is exact; taking the cheaper one
//!    locally, before the rest of the program is known, is a heuristic: the choice does not
//!    see sharing with other terms, nor the product's later factors), so the program is also
//!    planned as written (each sum in a product a temporary) and the cheaper plan is kept.
//!    Expansions past 16 terms are not considered. A sum with a lone inverse among its terms
//!    times a product is always distributed: the inverse becomes a solve.
//! 4. Each product term is planned by the generalized chain planner
//!    ([`crate::generalized::plan`]) over the operands, earlier outputs and temporaries:
//!    within a term, the parenthesization, kernels and forms are exactly optimal under the
//!    cost model, as for plain expressions.
//! 5. **Sharing** (planned model): a product, or a sum, whose canonical form (transposes of
//!    symmetric values dropped, transposes pushed into inverses) was already computed, or whose
//!    transpose was, is not computed again; it is read (transposed) from the earlier value.
//!    This finds repeated whole terms and sums across terms and outputs, not repeated
//!    *sub*-products inside different terms, and each term's plan factors the matrices it
//!    inverts itself: factorizations are shared within a term, not across terms.
//!
//! The `expert` and `naive` models evaluate the program as written: each sum in a product is
//! a temporary, nothing is shared but the named outputs, and each product is planned by the
//! expert (solves, left to right) or naive (explicit inverses) chain model.
//!
//! A planned step forms an explicit inverse only where the program has no other way: an
//! output that is itself an inverse (`X = inv(L)`), or an inverse standing alone as a term of
//! a sum (`inv(B) + Hᵀ·inv(R)·H`), which this planner does not rewrite (Woodbury's identity
//! would; it is not applied).

mod execute;
mod lower;
mod parse;
pub mod properties;
mod report;

pub use self::execute::random_arrays;
use self::lower::Lower;
use super::cost::{CostModel, Kernel};
use super::operand::Operand;
use super::steps::{Flops, GenPlan};
use super::GenError;
use serde::Serialize;

/// The sign a scalar is declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sign {
    /// Greater than zero: SPD times it stays SPD.
    Positive,
    /// Less than zero.
    Negative,
    /// Not known.
    Unknown,
}

/// A named scalar of a program: its name and declared sign. Its value is given at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScalarDecl {
    /// The name programs use.
    pub name: String,
    /// The declared sign.
    pub sign: Sign,
}

impl ScalarDecl {
    /// Parses `alpha` (sign unknown), `alpha:positive` (or `:negative`), or `alpha=0.5`,
    /// whose sign is that of the value, returned with it.
    pub fn parse(spec: &str) -> Result<(ScalarDecl, Option<f64>), GenError> {
        let bad = |reason: String| GenError::Scalar {
            name: spec.chars().take(40).collect(),
            reason,
        };
        let (name, sign, value) = if let Some((n, v)) = spec.split_once('=') {
            let x: f64 = v
                .trim()
                .parse()
                .map_err(|_| bad(format!("{} is not a number", crate::text::quote(v.trim()))))?;
            if !x.is_finite() {
                return Err(bad("the value is not finite".into()));
            }
            let sign = if x > 0.0 {
                Sign::Positive
            } else if x < 0.0 {
                Sign::Negative
            } else {
                Sign::Unknown
            };
            (n.trim(), sign, Some(x))
        } else if let Some((n, s)) = spec.split_once(':') {
            let sign = match s.trim().to_ascii_lowercase().as_str() {
                "positive" | "pos" => Sign::Positive,
                "negative" | "neg" => Sign::Negative,
                "unknown" | "any" => Sign::Unknown,
                _ => {
                    return Err(bad(format!(
                        "unknown sign {}; the signs are positive, negative, unknown",
                        crate::text::quote(s.trim())
                    )))
                }
            };
            (n.trim(), sign, None)
        } else {
            (spec.trim(), Sign::Unknown, None)
        };
        let mut chars = name.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name != "inv"
            && name != "I";
        if !ok {
            return Err(bad(
                "a scalar is NAME, NAME:positive, NAME:negative or NAME=VALUE; a name is a letter or '_' then letters, digits or '_' (not inv or I)".into(),
            ));
        }
        Ok((
            ScalarDecl {
                name: name.to_string(),
                sign,
            },
            value,
        ))
    }
}

/// A parsed program: its assignments, the operands and scalars they read, and its outputs.
#[derive(Debug, Clone)]
pub struct Program {
    text: String,
    operands: Vec<Operand>,
    scalars: Vec<ScalarDecl>,
    outputs: Vec<String>,
    assignments: Vec<parse::Assignment>,
}

impl Program {
    /// Parses `text` and checks it: names resolve (operands, scalars, earlier outputs), shapes
    /// chain and sum, `I` has a size, inverses are square. Errors name the line and column
    /// ([`GenError::Program`]).
    pub fn parse(
        text: &str,
        operands: &[Operand],
        scalars: &[ScalarDecl],
    ) -> Result<Program, GenError> {
        for (i, a) in operands.iter().enumerate() {
            if operands[..i].iter().any(|b| b.name == a.name) {
                return Err(GenError::DuplicateOperand {
                    name: a.name.clone(),
                });
            }
        }
        for (i, s) in scalars.iter().enumerate() {
            if scalars[..i].iter().any(|b| b.name == s.name)
                || operands.iter().any(|o| o.name == s.name)
            {
                return Err(GenError::Scalar {
                    name: s.name.clone(),
                    reason: "is declared more than once (as a scalar or an operand)".into(),
                });
            }
        }
        let assignments = parse::parse_program(text)?;
        let mut outputs: Vec<String> = Vec::new();
        for a in &assignments {
            let clash = if a.name == "I" || a.name == "inv" {
                Some("is reserved")
            } else if operands.iter().any(|o| o.name == a.name) {
                Some("is an operand")
            } else if scalars.iter().any(|s| s.name == a.name) {
                Some("is a scalar")
            } else if outputs.contains(&a.name) {
                Some("is assigned twice")
            } else {
                None
            };
            if let Some(why) = clash {
                return Err(a.at.err(format!(
                    "cannot assign {}: the name {why}",
                    crate::text::quote(&a.name)
                )));
            }
            outputs.push(a.name.clone());
        }
        let p = Program {
            text: text.to_string(),
            operands: operands.to_vec(),
            scalars: scalars.to_vec(),
            outputs,
            assignments,
        };
        // Checking is planning under the cheapest model to plan: every error is found here.
        p.plan(&CostModel::expert())?;
        Ok(p)
    }

    /// The program as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The outputs' names, in program order.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The declared operands.
    pub fn operands(&self) -> &[Operand] {
        &self.operands
    }

    /// The declared scalars.
    pub fn scalars(&self) -> &[ScalarDecl] {
        &self.scalars
    }

    /// Plans the whole program under `model`: [`CostModel::planned`] searches the
    /// distributive choice and shares repeated values; [`CostModel::expert`] and
    /// [`CostModel::naive`] evaluate it as written (see the module documentation).
    pub fn plan(&self, model: &CostModel) -> Result<ProgramPlan, GenError> {
        if model.splits != super::cost::Splits::Any {
            return Ok(self.plan_with(model, &[], false)?.0);
        }
        // The program as written (sums in products as temporaries) and with the
        // distributive choice, each with its sharing searched: the cheaper.
        let as_written = self.search_sharing(model, false)?;
        let distributed = self.search_sharing(model, true)?;
        Ok(if distributed.cost() <= as_written.cost() {
            distributed
        } else {
            as_written
        })
    }

    /// Sharing sub-products: each one that repeats in the best plan so far is tried as a
    /// value of its own, and kept when the whole program's exact cost drops; the candidates
    /// are then taken afresh from the new plan (a greedy search).
    fn search_sharing(&self, model: &CostModel, distribute: bool) -> Result<ProgramPlan, GenError> {
        let (mut best, mut seen, mut symmetric) = self.plan_with(model, &[], distribute)?;
        let mut kept: Vec<Vec<lower::Cf>> = Vec::new();
        let mut tried: Vec<Vec<Vec<lower::Cf>>> = Vec::new();
        'search: while tried.len() < MAX_HOIST_TRIES {
            let sym = |n: &str| symmetric.iter().any(|s| s == n);
            for cand in lower::hoist_candidates(&seen, &sym, MAX_HOIST_TRIES) {
                let mut h = kept.clone();
                h.push(cand);
                if tried.contains(&h) {
                    continue;
                }
                tried.push(h.clone());
                if tried.len() > MAX_HOIST_TRIES {
                    break 'search;
                }
                if let Ok((p, s, y)) = self.plan_with(model, &h, distribute) {
                    if p.cost() < best.cost() {
                        (best, seen, symmetric) = (p, s, y);
                        kept = h;
                        continue 'search;
                    }
                }
            }
            break;
        }
        Ok(best)
    }

    /// The plan with the given sub-products hoisted, the products it planned, and the
    /// symmetric names.
    fn plan_with(
        &self,
        model: &CostModel,
        hoist: &[Vec<lower::Cf>],
        distribute: bool,
    ) -> Result<Planned, GenError> {
        let mut l = Lower::new(
            model,
            &self.operands,
            &self.scalars,
            &self.outputs,
            hoist,
            distribute,
        );
        for a in &self.assignments {
            l.assign(a)?;
        }
        let seen = std::mem::take(&mut l.seen);
        let symmetric = l.symmetric_names();
        Ok((l.finish(self)?, seen, symmetric))
    }
}

/// A plan, the products it planned, and the names of the symmetric values.
type Planned = (ProgramPlan, Vec<Vec<lower::Cf>>, Vec<String>);

/// Most repeated sub-products tried as shared values.
const MAX_HOIST_TRIES: usize = 64;

/// One term of a combination step: `coefficient · Π scalarᵉ · value` (`value` read
/// transposed when `transposed`), or the identity when `value` is `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaled {
    /// The numeric factor.
    pub coefficient: f64,
    /// Named scalars and their powers.
    pub scalars: Vec<(String, i32)>,
    /// The value read: an operand, output or temporary; `None` for I.
    pub value: Option<String>,
    /// Read transposed.
    pub transposed: bool,
}

/// One step of a program's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgramStep {
    /// A product, planned by the generalized chain planner; its result is named `name` (an
    /// output, or a temporary `_tN`).
    Chain {
        /// The value it computes.
        name: String,
        /// The product's plan (its operands are the program's values by name).
        plan: GenPlan,
    },
    /// A linear combination of values (and of I, added to the diagonal).
    Combine {
        /// The value it computes.
        name: String,
        /// Rows of the result.
        rows: usize,
        /// Columns of the result.
        cols: usize,
        /// The terms.
        terms: Vec<Scaled>,
        /// Exact cost in ⅓ flops.
        thirds: u128,
        /// The result is symmetric by inference (its upper triangle is mirrored).
        symmetric: bool,
    },
}

impl ProgramStep {
    /// The value the step computes.
    pub fn name(&self) -> &str {
        match self {
            ProgramStep::Chain { name, .. } | ProgramStep::Combine { name, .. } => name,
        }
    }

    /// Exact cost.
    pub fn cost(&self) -> Flops {
        match self {
            ProgramStep::Chain { plan, .. } => plan.cost(),
            ProgramStep::Combine { thirds, .. } => Flops(*thirds),
        }
    }

    /// The values it reads, by name.
    pub fn reads(&self) -> Vec<String> {
        match self {
            ProgramStep::Chain { plan, .. } => {
                plan.operands().iter().map(|o| o.name.clone()).collect()
            }
            ProgramStep::Combine { terms, .. } => {
                terms.iter().filter_map(|t| t.value.clone()).collect()
            }
        }
    }
}

/// A program's plan: steps in execution order, each computing one named value, with the
/// outputs among them. Made by [`Program::plan`]; `Display` prints it, `Serialize` writes
/// it (it is not read back).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramPlan {
    model: String,
    text: String,
    steps: Vec<ProgramStep>,
    outputs: Vec<String>,
    operands: Vec<Operand>,
    scalars: Vec<ScalarDecl>,
    thirds: u128,
}

impl ProgramPlan {
    /// The cost model (`planned`, `expert`, `naive`).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The steps, in execution order.
    pub fn steps(&self) -> &[ProgramStep] {
        &self.steps
    }

    /// The outputs' names, in program order.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// Exact total cost: the sum of the steps'.
    pub fn cost(&self) -> Flops {
        Flops(self.thirds)
    }

    /// Indices of the steps an output needs (itself and what it reads, transitively, outputs
    /// computed earlier included), in execution order; empty for an unknown name.
    pub fn steps_for(&self, output: &str) -> Vec<usize> {
        let mut need = vec![false; self.steps.len()];
        let mut want = vec![output.to_string()];
        while let Some(n) = want.pop() {
            if let Some(i) = self.steps.iter().position(|s| s.name() == n) {
                if !need[i] {
                    need[i] = true;
                    want.extend(self.steps[i].reads());
                }
            }
        }
        (0..self.steps.len()).filter(|&i| need[i]).collect()
    }

    /// Whether any step forms an explicit inverse.
    pub fn has_explicit_inverse(&self) -> bool {
        self.steps.iter().any(|s| match s {
            ProgramStep::Chain { plan, .. } => plan.has_explicit_inverse(),
            ProgramStep::Combine { .. } => false,
        })
    }

    /// Every kernel the plan runs, in order (combinations are not kernels and are left out).
    pub fn kernels(&self) -> Vec<Kernel> {
        self.steps
            .iter()
            .flat_map(|s| match s {
                ProgramStep::Chain { plan, .. } => {
                    plan.steps().iter().map(|k| k.kernel()).collect()
                }
                ProgramStep::Combine { .. } => Vec::new(),
            })
            .collect()
    }
}
