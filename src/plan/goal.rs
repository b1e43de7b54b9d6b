//! What the dynamic program minimises: the cost of one product, a cap on intermediates, and
//! whether memory comes first.
//!
//! These types live here, beside the planners, so that `dp::solve_goal`
//! depends on nothing above `plan`. The cost models built on them — measured GEMM profiles,
//! [`cost::Goal`](crate::cost::Goal) with its least gain — are in [`crate::cost`], which
//! implements `StepTimes` for its time model and re-exports [`Minimize`].

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

impl std::str::FromStr for Minimize {
    type Err = crate::error::Error;

    /// `cost` or `memory`, as [`Minimize::name`] writes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cost" => Ok(Minimize::Cost),
            "memory" => Ok(Minimize::Memory),
            _ => Err(crate::error::PlanError::UnknownMinimize {
                name: s.to_string(),
            }
            .into()),
        }
    }
}

/// A predictor of each product's time, as the dynamic program evaluates it: prepared once
/// per chain, then asked for rows of split points. [`cost::TimeModel`](crate::cost::TimeModel)
/// implements it.
pub(crate) trait StepTimes: Sync {
    /// The predictor prepared for a chain with dimensions `dims` (p0 … pn).
    fn prepare_rows<'a>(&'a self, dims: &[u32]) -> Box<dyn TimeRows + 'a>;
}

/// A [`StepTimes`] prepared for one chain. The program asks, per cell (dimension indices i
/// and j), for what the cell's products share ([`TimeRows::cell`]), a lower bound on their
/// times from it, and the exact time of the products that the bound does not rule out.
pub(crate) trait TimeRows: Sync {
    /// What the products p(i) × p(k) · p(k) × p(j), for any k, share: written to `out`.
    fn cell(&self, i: usize, j: usize, out: &mut Vec<f64>);
    /// Predicted seconds of the product p(i) × p(k) · p(k) × p(j), from [`TimeRows::cell`]
    /// of i and j.
    fn seconds(&self, cell: &[f64], i: usize, k: usize, j: usize) -> f64;
    /// A factor f with [`TimeRows::seconds`] ≥ f · p(i)·p(k)·p(j) for every k.
    fn least_per_mult(&self, cell: &[f64]) -> f64;
}

/// What one pairwise product costs, for the dynamic program.
#[derive(Clone, Copy, Default)]
pub(crate) enum StepCost<'a> {
    /// Scalar multiplications m·k·n (exact).
    #[default]
    Flops,
    /// Predicted seconds.
    Time(&'a dyn StepTimes),
}

impl std::fmt::Debug for StepCost<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StepCost::Flops => "Flops",
            StepCost::Time(_) => "Time(..)",
        })
    }
}

/// What [`dp::solve_goal`](super::dp::solve_goal) optimises: a cost per product, an optional
/// cap on intermediates, and whether memory comes first.
///
/// ```
/// // Through the public entry point, which plans with such a goal.
/// use chainplan::{Chain, PlanRequest};
/// // (A1A2)A3 is cheapest (4,000 mults) but builds a 1 × 200 intermediate;
/// // A1(A2A3) costs 20,100 and builds a 10 × 10 one.
/// let chain = Chain::new([1, 10, 200, 10])?;
/// let capped = PlanRequest::new().max_intermediate(150).plan(&chain)?.plan;
/// assert_eq!((capped.cost(), capped.largest_intermediate()), (20_100, 100));
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DpGoal<'a> {
    /// What each product costs.
    pub cost: StepCost<'a>,
    /// The primary objective.
    pub minimize: Minimize,
    /// Largest allowed intermediate, in elements; `None` for no cap.
    pub max_intermediate: Option<u128>,
}

impl<'a> DpGoal<'a> {
    /// Fewest scalar multiplications, no cap: the textbook problem.
    #[cfg(test)]
    pub fn flops() -> Self {
        DpGoal::default()
    }

    /// The same goal with every intermediate capped at `elements`.
    #[cfg(test)]
    pub fn with_max_intermediate(mut self, elements: u128) -> Self {
        self.max_intermediate = Some(elements);
        self
    }

    /// The same goal with memory first: smallest peak intermediate, then lowest cost.
    #[cfg(test)]
    pub fn minimizing_memory(mut self) -> Self {
        self.minimize = Minimize::Memory;
        self
    }

    /// Whether this is the textbook problem, which has a faster dedicated path.
    pub fn is_plain_flops(&self) -> bool {
        matches!(
            (self.cost, self.minimize, self.max_intermediate),
            (StepCost::Flops, Minimize::Cost, None)
        )
    }
}
