//! Cost models: what "cheapest" means when planning, beyond counting multiplications.
//!
//! A [`Goal`] is a parameter of the one dynamic program in [`crate::plan::dp`]
//! ([`dp::solve_goal`](crate::plan::dp::solve_goal)); it has three parts.
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
//! substructure: set c[i][j] = ∞ for those cells and run the same recurrence. The result is the
//! cheapest plan among those whose every intermediate fits — exact, not a heuristic. If the
//! whole chain's cell comes out ∞, no plan fits, and the error names the smallest cap that
//! would ([`Error::NoPlanFits`](crate::Error::NoPlanFits)).
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

pub mod calibrate;
pub mod machine;
pub mod memory;
pub mod time;

pub use machine::MachineInfo;
pub use memory::{parse_memory_size, ElementType};
pub use time::{Profile, TimeModel};

use crate::chain::Chain;
use crate::error::Result;
use crate::plan::{dp, Plan};

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

/// The primary objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Minimize {
    /// The lowest total cost under the cost model (within the cap, if any).
    #[default]
    Cost,
    /// The smallest largest intermediate; among those plans, the lowest cost.
    Memory,
}

impl Minimize {
    /// `cost` or `memory`.
    pub fn name(self) -> &'static str {
        match self {
            Minimize::Cost => "cost",
            Minimize::Memory => "memory",
        }
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
}

impl Goal {
    /// Fewest scalar multiplications, no cap: the textbook problem.
    pub fn flops() -> Self {
        Goal {
            model: CostModel::Flops,
            minimize: Minimize::Cost,
            max_intermediate: None,
        }
    }

    /// Least predicted time under `model`, no cap.
    pub fn time(model: TimeModel) -> Self {
        Goal {
            model: CostModel::Time(model),
            ..Goal::flops()
        }
    }

    /// The same goal with every intermediate capped at `elements`.
    pub fn with_max_intermediate(mut self, elements: u128) -> Self {
        self.max_intermediate = Some(elements);
        self
    }

    /// The same goal with memory first: smallest peak intermediate, then lowest cost.
    pub fn minimizing_memory(mut self) -> Self {
        self.minimize = Minimize::Memory;
        self
    }

    /// Whether this is the textbook problem, which has a faster dedicated path.
    pub fn is_plain_flops(&self) -> bool {
        matches!(
            (&self.model, self.minimize, self.max_intermediate),
            (CostModel::Flops, Minimize::Cost, None)
        )
    }

    /// A short description for reports: `flops`, `time, intermediates ≤ 1,000 elements`,
    /// `flops, least memory first`.
    pub fn describe(&self) -> String {
        let mut s = self.model.name().to_string();
        if let Some(c) = self.max_intermediate {
            s.push_str(&format!(
                ", intermediates <= {} elements",
                crate::report::format::thousands(c)
            ));
        }
        if self.minimize == Minimize::Memory {
            s.push_str(", least memory first");
        }
        s
    }

    /// The best plan for `chain` under this goal, by the exact dynamic program.
    pub fn plan(&self, chain: &Chain) -> Result<Plan> {
        dp::solve_goal(chain, self, &dp::DpOptions::default())
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
