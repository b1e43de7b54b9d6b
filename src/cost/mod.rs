//! Cost models: what "cheapest" means when planning, beyond counting multiplications.
//!
//! A [`Goal`] is a parameter of the one dynamic program in [`crate::plan::dp`]
//! (`dp::solve_goal`, through `Goal::dp_goal`: the types the program takes are defined in
//! [`crate::plan::goal`], so that planning depends on nothing here); it has three parts.
//!
//! ## What a step costs: [`CostModel`]
//!
//! - [`CostModel::Flops`]: m·k·n scalar multiplications for an (m × k) · (k × n) product,
//!   exact in `u128`. This is the textbook objective.
//! - [`CostModel::Time`]: the predicted seconds of that product on this machine, from a GEMM
//!   profile measured by `chainplan calibrate` ([`time`] explains the model). Flop counts do
//!   not predict time everywhere: a product with a small inner dimension runs far below peak,
//!   a vector product runs at memory speed, and each call pays a fixed overhead.
//!
//! Both are additive over the steps of a plan, so the recurrence stays
//!
//! ```text
//! c[i][i] = 0
//! c[i][j] = min over i ≤ k < j of  c[i][k] + c[k+1][j] + cost(p(i), p(k+1), p(j+1))
//! ```
//!
//! ## Which intermediates are allowed: [`Goal::max_intermediate`]
//!
//! An intermediate is the result of any product except the last; the result of the sub-chain
//! i..=j (i < j, not the whole chain) is a p(i) × p(j+1) matrix. A cap C forbids exactly the
//! sub-chains with p(i)·p(j+1) > C, whatever their split, so the capped problem keeps optimal
//! substructure: set c\[i\]\[j\] = ∞ for those cells and run the same recurrence. The result is the
//! cheapest plan among those whose every intermediate fits — exact, not a heuristic. If the
//! whole chain's cell comes out ∞, no plan fits, and the error names the smallest cap that
//! would ([`PlanError::NoPlanFits`](crate::error::PlanError::NoPlanFits)).
//!
//! ## When to trust the time model: [`Goal::min_gain`]
//!
//! A predicted time is an interpolation of measurements, with an error of about 10–30 % per
//! product on a quiet machine (`chainplan calibrate` prints it). An order predicted to be 3 %
//! faster than the flop-optimal one is a coin toss that may cost more multiplications, so
//! [`Goal::plan`] under the time model also plans by flops (same cap, same objective) and
//! keeps the time-optimal plan only if its predicted time beats the flop-optimal plan's by at
//! least the factor `min_gain`; otherwise it returns the flop-optimal plan. The default comes
//! from the model's errors on the profile's off-grid check shapes, and is at least 1.2
//! ([`TimeModel::default_min_gain`]). `min_gain = 1` trusts the model fully (ties still go to
//! fewer flops).
//! docs/cost-models.md has the measurements behind the default.
//!
//! ## What is minimised: [`Minimize`]
//!
//! [`Minimize::Memory`] asks for the smallest peak intermediate first and the lowest cost
//! second. Summing costs while taking a maximum of sizes is not a single recurrence (a
//! sub-plan with a smaller peak may cost more, and the parent may not need the smaller peak),
//! so it is solved in two exact passes: first the min–max program
//!
//! ```text
//! peak[i][i] = 0
//! peak[i][j] = max( own(i, j),  min over k of max(peak[i][k], peak[k+1][j]) )
//! own(i, j)  = p(i)·p(j+1), or 0 for the whole chain
//! ```
//!
//! gives the least achievable peak P\* ([`min_peak`](crate::plan::dp::min_peak)); then the
//! capped program with C = P\* gives the cheapest plan among those reaching it.

pub mod machine;
pub mod memory;
mod request;
pub mod time;

pub use machine::MachineInfo;
pub use memory::{parse_memory_size, ElementType};
pub use request::{PlanRequest, Planned};
pub use time::{Profile, TimeModel};

use crate::chain::Chain;
use crate::error::Result;
use crate::plan::goal::{DpGoal, StepCost, StepTimes, TimeRows};
use crate::plan::{dp, Plan};

/// The smallest default least gain: the predicted speed-up over the flop-optimal plan for
/// which [`Goal::plan`] prefers the time-optimal plan, when the profile's model is accurate
/// (see [`Goal::min_gain`] and [`TimeModel::default_min_gain`]).
pub const DEFAULT_MIN_GAIN: f64 = 1.2;

/// What one pairwise product costs.
#[derive(Debug, Clone, PartialEq)]
pub enum CostModel {
    /// Scalar multiplications m·k·n (exact).
    Flops,
    /// Predicted seconds on the machine a profile was measured on.
    Time(TimeModel),
}

impl CostModel {
    /// `flops` or `time`.
    pub fn name(&self) -> &'static str {
        match self {
            CostModel::Flops => "flops",
            CostModel::Time(_) => "time",
        }
    }
}

/// The primary objective (defined in [`crate::plan::goal`], below the planners).
pub use crate::plan::goal::Minimize;

impl StepTimes for TimeModel {
    fn prepare_rows<'a>(&'a self, dims: &[u32]) -> Box<dyn TimeRows + 'a> {
        Box::new(self.prepare(dims))
    }
}

impl TimeRows for time::PreparedTimes<'_> {
    fn cell(&self, i: usize, j: usize, out: &mut Vec<f64>) {
        time::PreparedTimes::cell(self, i, j, out)
    }
    fn seconds(&self, cell: &[f64], i: usize, k: usize, j: usize) -> f64 {
        time::PreparedTimes::seconds(self, cell, i, k, j)
    }
    fn least_per_mult(&self, cell: &[f64]) -> f64 {
        time::PreparedTimes::least_per_mult(self, cell)
    }
}

/// What a planner optimises: a cost model, an optional cap on intermediates, and whether
/// memory comes first.
///
/// ```
/// use chainplan::{Chain, cost::Goal};
/// // (A1A2)A3 is cheapest (4,000 mults) but builds a 1 × 200 intermediate;
/// // A1(A2A3) costs 20,100 and builds a 10 × 10 one.
/// let chain = Chain::new(vec![1u32, 10, 200, 10])?;
/// let free = Goal::flops().plan(&chain)?;
/// assert_eq!((free.cost(), free.largest_intermediate()), (4_000, 200));
/// let capped = Goal::flops().with_max_intermediate(150).plan(&chain)?;
/// assert_eq!((capped.cost(), capped.largest_intermediate()), (20_100, 100));
/// // No order keeps every intermediate at 99 elements or fewer.
/// let e = Goal::flops().with_max_intermediate(99).plan(&chain).unwrap_err();
/// assert!(e.to_string().contains("the smallest cap that some order meets is 100"));
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// What each product costs.
    pub model: CostModel,
    /// The primary objective.
    pub minimize: Minimize,
    /// Largest allowed intermediate, in elements; `None` for no cap.
    pub max_intermediate: Option<u128>,
    /// Under the time model, the least predicted speed-up (flop-optimal plan's predicted time
    /// divided by the time-optimal plan's) for which [`Goal::plan`] returns the time-optimal
    /// plan rather than the flop-optimal one. At least 1; ignored by the flop model.
    pub min_gain: f64,
}

impl Goal {
    /// Fewest scalar multiplications, no cap: the textbook problem.
    pub fn flops() -> Self {
        Goal {
            model: CostModel::Flops,
            minimize: Minimize::Cost,
            max_intermediate: None,
            min_gain: DEFAULT_MIN_GAIN,
        }
    }

    /// Least predicted time under `model`, no cap, falling back to the flop-optimal plan
    /// when the predicted gain is below [`TimeModel::default_min_gain`] (see
    /// [`Goal::with_min_gain`]).
    pub fn time(model: TimeModel) -> Self {
        Goal {
            min_gain: model.default_min_gain(),
            model: CostModel::Time(model),
            ..Goal::flops()
        }
    }

    /// The same goal with every intermediate capped at `elements`.
    pub fn with_max_intermediate(mut self, elements: u128) -> Self {
        self.max_intermediate = Some(elements);
        self
    }

    /// The same goal with another least predicted gain for preferring the time-optimal plan
    /// over the flop-optimal one; 1 takes the time-optimal plan whenever it is predicted to
    /// be faster at all. Checked by [`Goal::plan`] ([`CostError::BadMinGain`](crate::error::CostError::BadMinGain)).
    pub fn with_min_gain(mut self, min_gain: f64) -> Self {
        self.min_gain = min_gain;
        self
    }

    /// The same goal with memory first: smallest peak intermediate, then lowest cost.
    pub fn minimizing_memory(mut self) -> Self {
        self.minimize = Minimize::Memory;
        self
    }

    /// The goal as the dynamic program takes it ([`dp::solve_goal`]): cost per product, cap
    /// and objective, without the least gain (which [`Goal::plan`] applies).
    pub(crate) fn dp_goal(&self) -> DpGoal<'_> {
        DpGoal {
            cost: match &self.model {
                CostModel::Flops => StepCost::Flops,
                CostModel::Time(model) => StepCost::Time(model),
            },
            minimize: self.minimize,
            max_intermediate: self.max_intermediate,
        }
    }

    /// Whether this is the textbook problem, which has a faster dedicated path.
    pub fn is_plain_flops(&self) -> bool {
        matches!(
            (&self.model, self.minimize, self.max_intermediate),
            (CostModel::Flops, Minimize::Cost, None)
        )
    }

    /// A short description for reports: `flops`, `time (min gain 1.2x), intermediates ≤ 1,000
    /// elements`, `flops, least memory first`.
    pub fn describe(&self) -> String {
        let mut s = self.model.name().to_string();
        if matches!(self.model, CostModel::Time(_)) {
            s.push_str(&format!(" (min gain {:.2}x)", self.min_gain));
        }
        if let Some(c) = self.max_intermediate {
            s.push_str(&format!(
                ", intermediates <= {} elements",
                crate::text::thousands(c)
            ));
        }
        if self.minimize == Minimize::Memory {
            s.push_str(", least memory first");
        }
        s
    }

    /// The best plan for `chain` under this goal, by the exact dynamic program
    /// (`dp::solve_goal`). Under the time model, the time-optimal plan is returned only if
    /// it is predicted to beat the flop-optimal plan (same cap and objective) by
    /// [`Goal::min_gain`]; otherwise the flop-optimal plan is.
    ///
    /// ```
    /// use chainplan::cost::{time::{DtypeProfile, Timing, TimeModel}, ElementType, Goal};
    /// use chainplan::Chain;
    /// // A made-up machine on which a product with a small inner dimension k runs far below
    /// // peak: t = 1 ns · m·k·n · (1 + 32 / k).
    /// let grid = [1u64, 2, 8, 64];
    /// let mut grid_timings = Vec::new();
    /// for &m in &grid { for &k in &grid { for &n in &grid {
    ///     let seconds = 1e-9 * (m * k * n) as f64 * (1.0 + 32.0 / k as f64);
    ///     grid_timings.push(Timing { m, k, n, seconds });
    /// }}}
    /// let d = DtypeProfile { dtype: ElementType::F64, grid_timings, validation: vec![] };
    /// let time = Goal::time(TimeModel::new(&grid, &d)?);
    ///
    /// // ((A1A2)A3) needs 640 mults, (A1(A2A3)) 1,040, but is predicted 1.63x faster: taken.
    /// let chain = Chain::new(vec![1u32, 2, 64, 8])?;
    /// assert_eq!(time.plan(&chain)?.order(), "(A1(A2A3))");
    ///
    /// // (A1(A2A3)) needs 640 mults; ((A1A2)A3) 1,040 and is predicted only 1.06x faster,
    /// // below the least gain of 1.2 (this profile has no validation shapes, so no measured
    /// // error to add): the flop-optimal plan is kept ...
    /// let chain = Chain::new(vec![8u32, 1, 2, 64])?;
    /// assert_eq!(time.plan(&chain)?.order(), "(A1(A2A3))");
    /// // ... unless the model is trusted fully.
    /// assert_eq!(time.clone().with_min_gain(1.0).plan(&chain)?.order(), "((A1A2)A3)");
    /// // A least gain below 1 is refused.
    /// assert!(time.with_min_gain(0.5).plan(&chain).is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn plan(&self, chain: &Chain) -> Result<Plan> {
        Ok(self.plan_with_fastest(chain)?.0)
    }

    /// [`Goal::plan`]'s plan, and under the time model also the plan predicted fastest (the
    /// time-optimal plan, whether or not it was chosen), without planning twice; `None` under
    /// the flop model.
    pub fn plan_with_fastest(&self, chain: &Chain) -> Result<(Plan, Option<Plan>)> {
        let options = dp::DpOptions::default();
        let CostModel::Time(model) = &self.model else {
            return Ok((dp::solve_goal(chain, &self.dp_goal(), &options)?, None));
        };
        if !(self.min_gain.is_finite() && self.min_gain >= 1.0) {
            return Err(crate::error::CostError::BadMinGain {
                value: self.min_gain,
            }
            .into());
        }
        let fastest = dp::solve_goal(chain, &self.dp_goal(), &options)?;
        let by_flops = Goal {
            model: CostModel::Flops,
            ..*self
        };
        let fewest = dp::solve_goal(chain, &by_flops.dp_goal(), &options)?;
        let chosen = if model.plan_seconds(&fewest) <= self.min_gain * model.plan_seconds(&fastest)
        {
            fewest
        } else {
            fastest.clone()
        };
        Ok((chosen, Some(fastest)))
    }

    /// The plan's total cost under this goal's model, as a float (seconds for time, scalar
    /// multiplications for flops).
    pub fn plan_cost(&self, plan: &Plan) -> f64 {
        match &self.model {
            CostModel::Flops => plan.cost() as f64,
            CostModel::Time(t) => t.plan_seconds(plan),
        }
    }
}
