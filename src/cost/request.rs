//! One plan request for every front end: the planner, what to minimise, caps, the element
//! type and a time model, resolved in one place into a plan and the name reports give it.
//!
//! The command-line tool and the Python module both build a [`PlanRequest`] from their own
//! arguments and call [`PlanRequest::plan`]; neither holds a planning rule of its own.
//!
//! ```
//! use chainplan::cost::{ElementType, Minimize};
//! use chainplan::{Algorithm, Chain, PlanRequest};
//!
//! let chain = Chain::new([1000, 10, 1000, 10, 1000])?;
//!
//! // Fewest flops: `auto` reports the planner it picked.
//! let planned = PlanRequest::new().plan(&chain)?;
//! assert_eq!((planned.planner.as_str(), planned.plan.cost()), ("dp", 10_200_000));
//!
//! // Intermediates within 64 KiB of f32, least memory first: the exact DP with a goal.
//! let planned = PlanRequest::new()
//!     .max_memory(64 << 10)
//!     .element_type(ElementType::F32)
//!     .minimize(Minimize::Memory)
//!     .plan(&chain)?;
//! assert!(planned.plan.largest_intermediate() * 4 <= 64 << 10);
//! assert!(planned.planner.starts_with("dp, flops"));
//!
//! // A heuristic planner cannot honour a cap.
//! let refused = PlanRequest::new().algorithm(Algorithm::Approx).max_intermediate(100);
//! assert!(matches!(refused.plan(&chain), Err(chainplan::Error::Plan(chainplan::error::PlanError::NeedsExactPlanner { .. }))));
//! # Ok::<(), chainplan::Error>(())
//! ```

use super::{CostModel, ElementType, Goal, Minimize, TimeModel};
use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::{Error, Result};
use crate::plan::{Algorithm, Plan};

/// A cap on every intermediate but the final product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    /// At most this many elements.
    Elements(u128),
    /// At most this many bytes of the request's element type.
    Bytes(u128),
}

/// What a front end asks of the planners. Built with [`PlanRequest::new`] and the setters,
/// then [`PlanRequest::plan`]. The default plans for the fewest scalar multiplications with
/// [`Algorithm::Auto`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanRequest {
    algorithm: Algorithm,
    time: Option<TimeModel>,
    by_time: bool,
    min_gain: Option<f64>,
    cap: Option<Cap>,
    minimize: Minimize,
    element_type: Option<ElementType>,
}

/// A planned chain: the plan, the name reports give its planner, and what a report of a goal
/// needs.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The chosen plan.
    pub plan: Plan,
    /// The planner as reports name it: the algorithm `auto` resolved to (`dp`, `hu-shing`),
    /// or `dp, ` and the goal's description when a goal or a time model is in play.
    pub planner: String,
    /// The goal the exact planner minimised, when the request was more than the fewest flops
    /// (or had a time model for predictions).
    pub goal: Option<Goal>,
    /// The time model whose predictions a report shows beside the flops, if any.
    pub time: Option<TimeModel>,
    /// Under a time goal, the plan predicted fastest (the chosen one may be the flop-optimal
    /// plan when the predicted gain is too small).
    pub fastest: Option<Plan>,
}

impl PlanRequest {
    /// Fewest scalar multiplications, [`Algorithm::Auto`], no cap, `f64`.
    pub fn new() -> Self {
        PlanRequest::default()
    }

    /// The planner. Goals other than the fewest flops need an exact one (`auto` or `dp`).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The cost model: the fewest flops, or the least predicted time under a GEMM time model.
    pub fn cost(mut self, model: CostModel) -> Self {
        match model {
            CostModel::Flops => self.by_time = false,
            CostModel::Time(model) => {
                self.time = Some(model);
                self.by_time = true;
            }
        }
        self
    }

    /// A time model whose predictions reports show beside the flops, without planning by time
    /// (the cost model stays what [`PlanRequest::cost`] set). The exact planner plans then.
    pub fn predict_with(mut self, model: TimeModel) -> Self {
        self.time = Some(model);
        self
    }

    /// Under a time cost model: keep the flop-optimal plan unless the time-optimal one is
    /// predicted to be more than this many times faster (at least 1; by default the model's
    /// own, [`TimeModel::default_min_gain`]).
    pub fn min_gain(mut self, min_gain: f64) -> Self {
        self.min_gain = Some(min_gain);
        self
    }

    /// Every intermediate but the final product holds at most `elements` elements (replaces
    /// a cap in bytes).
    pub fn max_intermediate(mut self, elements: u128) -> Self {
        self.cap = Some(Cap::Elements(elements));
        self
    }

    /// Every intermediate but the final product takes at most `bytes` bytes of the element
    /// type (replaces a cap in elements).
    pub fn max_memory(mut self, bytes: u128) -> Self {
        self.cap = Some(Cap::Bytes(bytes));
        self
    }

    /// What to minimise first: the cost, or the largest intermediate (then the cost).
    pub fn minimize(mut self, minimize: Minimize) -> Self {
        self.minimize = minimize;
        self
    }

    /// The element type of a cap in bytes (default `f64`).
    pub fn element_type(mut self, element_type: ElementType) -> Self {
        self.element_type = Some(element_type);
        self
    }

    /// Checks what can be checked without a chain: a least gain only under a time cost model,
    /// and an exact planner for any goal beyond the fewest flops.
    pub fn validate(&self) -> Result<()> {
        if self.min_gain.is_some() && !self.by_time {
            return Err(PlanError::MinGainWithoutTime.into());
        }
        if self.needs_goal() && !matches!(self.algorithm, Algorithm::Auto | Algorithm::Dp) {
            return Err(PlanError::NeedsExactPlanner {
                algorithm: self.algorithm.name(),
            }
            .into());
        }
        Ok(())
    }

    /// Whether the exact planner must plan with a goal (and reports show it).
    fn needs_goal(&self) -> bool {
        self.time.is_some() || self.cap.is_some() || self.minimize != Minimize::Cost
    }

    /// The goal the request describes.
    fn goal(&self) -> Goal {
        let mut goal = match (&self.time, self.by_time) {
            (Some(model), true) => Goal::time(model.clone()),
            _ => Goal::flops(),
        };
        if let Some(x) = self.min_gain {
            goal = goal.with_min_gain(x);
        }
        let dtype = self.element_type.unwrap_or(ElementType::F64);
        match self.cap {
            Some(Cap::Elements(n)) => goal = goal.with_max_intermediate(n),
            Some(Cap::Bytes(b)) => goal = goal.with_max_intermediate(dtype.elements_in(b)),
            None => {}
        }
        if self.minimize == Minimize::Memory {
            goal = goal.minimizing_memory();
        }
        goal
    }

    /// Plans `chain` as requested. Errors: those of [`PlanRequest::validate`]; a cap no order
    /// meets ([`PlanError::NoPlanFits`] in elements, [`PlanError::NoPlanFitsMemory`] in bytes); and
    /// the planners' own.
    pub fn plan(&self, chain: &Chain) -> Result<Planned> {
        self.validate()?;
        if !self.needs_goal() {
            let algorithm = self.algorithm.resolve(chain.matrices());
            return Ok(Planned {
                plan: algorithm.plan(chain)?,
                planner: algorithm.name().to_string(),
                goal: None,
                time: None,
                fastest: None,
            });
        }
        let goal = self.goal();
        let (plan, fastest) = goal
            .plan_with_fastest(chain)
            .map_err(|e| match (e, self.cap) {
                (Error::Plan(PlanError::NoPlanFits { smallest, .. }), Some(Cap::Bytes(bytes))) => {
                    let dtype = self.element_type.unwrap_or(ElementType::F64);
                    PlanError::NoPlanFitsMemory {
                        max_bytes: bytes,
                        element_type: dtype.name(),
                        least_bytes: smallest.saturating_mul(dtype.bytes()),
                    }
                    .into()
                }
                (e, _) => e,
            })?;
        Ok(Planned {
            plan,
            planner: format!("dp, {}", goal.describe()),
            goal: Some(goal),
            time: self.time.clone(),
            fastest,
        })
    }
}
