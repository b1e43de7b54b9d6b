//! The report of the `plan` command.

use crate::chain::Chain;
use crate::cost::{CostModel, Goal, TimeModel};
use crate::error::Result;
use crate::plan::{dp, hu_shing, Algorithm, Plan};
use crate::table::{json_of, Cell, Report, Table};
use crate::text::ratio_of;
use serde::Serialize;

/// Above this many matrices the worst order is not computed: it needs the O(n³) program.
pub const WORST_MAX_MATRICES: usize = 2000;

/// Above this many matrices the per-step list is left out of reports unless asked for.
pub const STEPS_MAX_MATRICES: usize = 10_000;

/// One product of the plan, for reports: the hand-off format's
/// [`StepSummary`](crate::handoff::StepSummary), whose fields, JSON and constructor are also
/// the first fields of a hand-off step.
pub use crate::handoff::StepSummary as StepReport;

/// The steps of a plan as [`StepReport`]s.
pub fn step_reports(plan: &Plan) -> Vec<StepReport> {
    plan.steps()
        .iter()
        .enumerate()
        .map(|(s, st)| StepReport::of(s, st))
        .collect()
}

/// One order compared against the chosen plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// `optimal`, `left_to_right`, `right_to_left` or `worst`.
    pub name: String,
    /// Canonical parenthesization.
    pub order: String,
    /// Scalar multiplications.
    pub cost: u128,
    /// Cost divided by the chosen plan's cost (1 when both are 0).
    pub ratio: f64,
    /// Elements of the order's largest intermediate (reports with a [`GoalReport`] only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_intermediate: Option<u128>,
    /// Predicted seconds from a GEMM profile (only when one was used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_s: Option<f64>,
}

/// How the chosen plan was optimised when the goal is not the textbook flop count
/// (`plan --cost time`, `--max-intermediate`, `--max-memory`, `--minimize memory`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalReport {
    /// What a product costs: `flops` or `time`.
    pub cost_model: String,
    /// The primary objective: `cost` or `memory`.
    pub minimize: String,
    /// The cap on intermediates, in elements (`null` for none).
    pub max_intermediate: Option<u128>,
    /// Predicted seconds of the chosen plan (`null` without a profile).
    pub predicted_s: Option<f64>,
    /// Scalar multiplications of the flop-optimal plan, for comparison.
    pub flop_optimal_cost: u128,
    /// Largest intermediate of the flop-optimal plan, in elements.
    pub flop_optimal_largest_intermediate: u128,
    /// Predicted seconds of the flop-optimal plan (`null` without a profile).
    pub flop_optimal_predicted_s: Option<f64>,
    /// Under the time model, the least predicted gain over the flop-optimal plan for which
    /// the time-optimal plan is chosen ([`Goal::min_gain`]); `null` for flops.
    pub min_gain: Option<f64>,
}

/// What `chainplan plan` reports: the chosen plan, the orders it is compared with, its steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanReport {
    /// The dimensions p0 … pn.
    pub dims: Vec<u32>,
    /// Number of matrices n.
    pub matrices: usize,
    /// The planner used.
    pub algorithm: String,
    /// Canonical order of the chosen plan.
    pub order: String,
    /// Scalar multiplications of the chosen plan.
    pub cost: u128,
    /// Floating-point operations of the chosen plan (2 × cost).
    pub flops: u128,
    /// Cost of multiplying left to right.
    pub left_to_right: u128,
    /// Cost of multiplying right to left.
    pub right_to_left: u128,
    /// Cost of the most expensive order (`null` above [`WORST_MAX_MATRICES`] matrices).
    pub worst: Option<u128>,
    /// Elements of the largest intermediate of the chosen plan.
    pub largest_intermediate: u128,
    /// The optimal cost, when the chosen planner is not exact (computed by Hu–Shing).
    pub optimal: Option<u128>,
    /// The chosen planner's proven bound on cost ÷ optimal, when it has one (`approx`: 1.155).
    pub bound: Option<f64>,
    /// Whether `steps` was left out (chains above [`STEPS_MAX_MATRICES`] matrices, unless
    /// the steps were asked for).
    pub steps_omitted: bool,
    /// The chosen plan and the orders it is compared with.
    pub comparisons: Vec<Comparison>,
    /// The chosen plan's products in execution order.
    pub steps: Vec<StepReport>,
    /// The cost model, cap and objective, when not the textbook flop count or when a time
    /// profile was used (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<GoalReport>,
}

impl PlanReport {
    /// Plans `chain` with `algorithm` and compares the plan with the fixed orders and the worst.
    ///
    /// ```
    /// use chainplan::{Algorithm, Chain, report::PlanReport};
    /// let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
    /// let report = PlanReport::new(&chain, Algorithm::Dp)?;
    /// assert_eq!(report.cost, 15125);
    /// assert_eq!(report.left_to_right, 40500);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn new(chain: &Chain, algorithm: Algorithm) -> Result<Self> {
        let plan = algorithm.plan(chain)?;
        Self::from_plan(&plan, algorithm.name())
    }

    /// Builds the report of a plan made elsewhere, naming its planner `algorithm`. The steps
    /// are listed for chains of at most [`STEPS_MAX_MATRICES`] matrices.
    pub fn from_plan(plan: &Plan, algorithm: &str) -> Result<Self> {
        Self::from_plan_with_steps(plan, algorithm, plan.matrices() <= STEPS_MAX_MATRICES)
    }

    /// Like [`PlanReport::from_plan`], listing the steps if and only if `steps`.
    ///
    /// When `algorithm` names a planner that is not exact, the report also carries the
    /// optimal cost (by [`hu_shing::optimal`]) as a comparison row, and its proven bound.
    pub fn from_plan_with_steps(plan: &Plan, algorithm: &str, steps: bool) -> Result<Self> {
        let chain = plan.chain();
        let known: Option<Algorithm> = algorithm.parse().ok();
        let optimal = match known {
            Some(a) if !a.is_exact() => Some(hu_shing::optimal(chain)?),
            _ => None,
        };
        // The fixed orders as (cost, order) only: building them as plans would cost hundreds
        // of megabytes on chains of millions of matrices.
        let ltr = Plan::left_to_right_summary(chain)?;
        let rtl = Plan::right_to_left_summary(chain)?;
        let worst = if chain.matrices() <= WORST_MAX_MATRICES {
            Some(dp::worst(chain)?)
        } else {
            None
        };
        let base = plan.cost();
        let compare_summary = |name: &str, (cost, order): (u128, String)| Comparison {
            name: name.to_string(),
            order,
            cost,
            ratio: ratio_of(cost as f64, base as f64),
            largest_intermediate: None,
            predicted_s: None,
        };
        let compare = |name: &str, p: &Plan| compare_summary(name, (p.cost(), p.order()));
        let (ltr_cost, rtl_cost) = (ltr.0, rtl.0);
        let mut comparisons = vec![
            compare("chosen", plan),
            compare_summary("left_to_right", ltr),
            compare_summary("right_to_left", rtl),
        ];
        if let Some(o) = &optimal {
            comparisons.insert(1, compare("optimal", o));
        }
        if let Some(w) = &worst {
            comparisons.push(compare("worst", w));
        }
        Ok(PlanReport {
            dims: chain.dims().to_vec(),
            matrices: chain.matrices(),
            algorithm: algorithm.to_string(),
            order: plan.order(),
            cost: base,
            flops: plan.flops()?,
            left_to_right: ltr_cost,
            right_to_left: rtl_cost,
            worst: worst.as_ref().map(Plan::cost),
            largest_intermediate: plan.largest_intermediate(),
            optimal: optimal.as_ref().map(Plan::cost),
            bound: known.and_then(Algorithm::bound),
            steps_omitted: !steps,
            comparisons,
            steps: if steps {
                step_reports(plan)
            } else {
                Vec::new()
            },
            goal: None,
        })
    }

    /// Adds what a goal needs to be judged: the flop-optimal plan as a comparison named
    /// `flop_optimal` (unless the goal is the textbook one), each order's largest intermediate,
    /// and with a time model each order's predicted time. `fastest`, the time-optimal plan of
    /// [`Goal::plan_with_fastest`], is added as `time_optimal` when it is not the chosen plan
    /// (the least gain kept the flop-optimal one).
    ///
    /// ```
    /// use chainplan::{Chain, cost::Goal, report::PlanReport};
    /// let chain = Chain::new(vec![1000u32, 10, 1000, 10, 1000])?;
    /// let goal = Goal::flops().with_max_intermediate(10_000);
    /// let plan = goal.plan(&chain)?;
    /// let report = PlanReport::from_plan(&plan, "dp")?.with_goal(&goal, None, None)?;
    /// assert_eq!(report.comparisons[1].name, "flop_optimal");
    /// assert!(report.comparisons.iter().all(|c| c.largest_intermediate.is_some()));
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn with_goal(
        mut self,
        goal: &Goal,
        time: Option<&TimeModel>,
        fastest: Option<&Plan>,
    ) -> Result<Self> {
        let chain = Chain::from_u32s(self.dims.clone())?;
        let flop_optimal = dp::optimal(&chain)?;
        if !goal.is_plain_flops() {
            self.comparisons.insert(
                1,
                Comparison {
                    name: "flop_optimal".to_string(),
                    order: flop_optimal.order(),
                    cost: flop_optimal.cost(),
                    ratio: ratio_of(flop_optimal.cost() as f64, self.cost as f64),
                    largest_intermediate: None,
                    predicted_s: None,
                },
            );
        }
        if let Some(fastest) = fastest.filter(|f| f.order() != self.comparisons[0].order) {
            // The least gain kept the flop-optimal plan: show what the model preferred,
            // after the chosen plan and the flop-optimal one.
            self.comparisons.insert(
                2.min(self.comparisons.len()),
                Comparison {
                    name: "time_optimal".to_string(),
                    order: fastest.order(),
                    cost: fastest.cost(),
                    ratio: ratio_of(fastest.cost() as f64, self.cost as f64),
                    largest_intermediate: None,
                    predicted_s: None,
                },
            );
        }
        for c in &mut self.comparisons {
            let plan = Plan::from_order(&chain, &c.order)?;
            c.largest_intermediate = Some(plan.largest_intermediate());
            c.predicted_s = time.map(|t| t.plan_seconds(&plan));
        }
        self.goal = Some(GoalReport {
            cost_model: goal.model.name().to_string(),
            minimize: goal.minimize.name().to_string(),
            max_intermediate: goal.max_intermediate,
            predicted_s: self.comparisons[0].predicted_s,
            flop_optimal_cost: flop_optimal.cost(),
            flop_optimal_largest_intermediate: flop_optimal.largest_intermediate(),
            flop_optimal_predicted_s: time.map(|t| t.plan_seconds(&flop_optimal)),
            min_gain: matches!(goal.model, CostModel::Time(_)).then_some(goal.min_gain),
        });
        Ok(self)
    }
}

impl Report for PlanReport {
    fn to_json(&self) -> serde_json::Result<String> {
        json_of(self)
    }

    fn tables(&self) -> Vec<Table> {
        let timed = self.comparisons.iter().any(|c| c.predicted_s.is_some());
        let mut headers = vec!["order", "parenthesization", "scalar mults", "vs chosen"];
        if self.goal.is_some() {
            headers.push("largest intermediate");
        }
        if timed {
            headers.extend(["predicted time", "time vs chosen"]);
        }
        let mut orders = Table::new(
            format!(
                "Orders for {} matrices (planner: {})",
                self.matrices, self.algorithm
            ),
            &headers,
        );
        let chosen_s = self.comparisons.first().and_then(|c| c.predicted_s);
        for c in &self.comparisons {
            let name = if c.name == "chosen" {
                format!("chosen ({})", self.algorithm)
            } else {
                c.name.replace('_', "-")
            };
            orders.push(vec![
                Cell::Text(name),
                Cell::Text(c.order.clone()),
                Cell::Int(c.cost),
                Cell::Ratio(c.ratio),
            ]);
            let row = orders.rows.last_mut().expect("just pushed");
            if self.goal.is_some() {
                row.push(c.largest_intermediate.into());
            }
            if timed {
                row.push(c.predicted_s.map_or(Cell::Empty, Cell::Seconds));
                row.push(match (c.predicted_s, chosen_s) {
                    (Some(t), Some(base)) if base > 0.0 => Cell::Ratio(t / base),
                    _ => Cell::Empty,
                });
            }
        }
        let mut summary = Table::new("Chosen plan", &["measure", "value"]);
        summary.push(vec!["scalar multiplications".into(), Cell::Int(self.cost)]);
        summary.push(vec!["flops (2 × mults)".into(), Cell::Int(self.flops)]);
        summary.push(vec![
            "largest intermediate (elements)".into(),
            Cell::Int(self.largest_intermediate),
        ]);
        if let Some(optimal) = self.optimal {
            summary.push(vec!["optimal scalar mults".into(), Cell::Int(optimal)]);
            summary.push(vec![
                "cost ÷ optimal".into(),
                Cell::Text(format!("{:.6}", ratio_of(self.cost as f64, optimal as f64))),
            ]);
        }
        if let Some(bound) = self.bound {
            summary.push(vec![
                "proven bound on cost ÷ optimal".into(),
                Cell::Text(format!("{bound}")),
            ]);
        }
        if self.steps_omitted {
            summary.push(vec![
                "steps".into(),
                Cell::Text(format!(
                    "{} products, not listed (over {STEPS_MAX_MATRICES} matrices; --steps lists them)",
                    self.matrices.saturating_sub(1)
                )),
            ]);
        }
        if let Some(g) = &self.goal {
            summary.push(vec!["cost model".into(), g.cost_model.as_str().into()]);
            summary.push(vec!["minimize".into(), g.minimize.as_str().into()]);
            summary.push(vec![
                "cap on intermediates (elements)".into(),
                g.max_intermediate.into(),
            ]);
            if let Some(t) = g.predicted_s {
                summary.push(vec!["predicted time".into(), Cell::Seconds(t)]);
            }
        }
        let mut steps = Table::new(
            "Steps of the chosen plan",
            &["step", "product", "shape (m × k · k × n)", "scalar mults"],
        );
        for s in &self.steps {
            steps.push(vec![
                Cell::Int(s.step as u128),
                Cell::Text(format!("{} = {} · {}", s.out, s.lhs, s.rhs)),
                Cell::Text(format!("{} × {} · {} × {}", s.m, s.k, s.k, s.n)),
                Cell::Int(s.cost),
            ]);
        }
        vec![orders, summary, steps]
    }
}
