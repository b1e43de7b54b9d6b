//! The planner registry: every planner by name, as the `--algorithm` option takes it.

use super::{approx, dp, hu_shing, Plan};
use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Up to this many matrices, [`Algorithm::Auto`] runs the dynamic program; above, Hu–Shing.
///
/// Measured with `cargo bench --bench hu_shing -- auto` (criterion, median; random dimensions
/// 1..=1000; OpenBLAS not involved; AMD EPYC, 2 cores shared with other jobs), time per plan,
/// Hu–Shing vs DP: n = 4: 1.9 µs vs 3.5 µs; 8: 4.4 vs 4.9 µs; 16: 7.1 vs 11.7 µs;
/// 32: 10.1 vs 61 µs; 64: 24 vs 276 µs; 128: 62 µs vs 1.9 ms. Hu–Shing is never slower,
/// but up to 8 matrices the two are within a few microseconds of each other, so short chains
/// keep the DP and its textbook tie-breaking (the leftmost best split), which hand-written
/// examples and docs show; from 9 matrices on Hu–Shing is faster by a growing factor.
pub const AUTO_DP_MAX_MATRICES: usize = 8;

/// A planning strategy, selected by name.
///
/// ```
/// use chainplan::Algorithm;
/// assert_eq!(Algorithm::default(), Algorithm::Auto);
/// assert_eq!("hu-shing".parse::<Algorithm>()?, Algorithm::HuShing);
/// assert_eq!(Algorithm::HuShing.to_string(), "hu-shing");
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// Exact: the dynamic program for chains of at most [`AUTO_DP_MAX_MATRICES`] matrices,
    /// Hu–Shing above. The default.
    #[default]
    Auto,
    /// The exact O(n³) dynamic program ([`dp::optimal`]).
    Dp,
    /// Hu and Shing's exact O(n log n) planner ([`hu_shing::optimal`]).
    HuShing,
    /// Hu and Shing's O(n) heuristic, within [`approx::BOUND`] × optimal ([`approx::plan`]).
    Approx,
    /// Multiply from the left: `((A1A2)A3)…` (reverse mode, for Jacobian chains).
    LeftToRight,
    /// Multiply from the right: `…(An-1An))` (forward mode, for Jacobian chains).
    RightToLeft,
}

impl Algorithm {
    /// Every algorithm, in the order `--help` lists them.
    pub const ALL: &'static [Algorithm] = &[
        Algorithm::Auto,
        Algorithm::Dp,
        Algorithm::HuShing,
        Algorithm::Approx,
        Algorithm::LeftToRight,
        Algorithm::RightToLeft,
    ];

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Auto => "auto",
            Algorithm::Dp => "dp",
            Algorithm::HuShing => "hu-shing",
            Algorithm::Approx => "approx",
            Algorithm::LeftToRight => "left-to-right",
            Algorithm::RightToLeft => "right-to-left",
        }
    }

    /// Whether the algorithm always returns a cheapest plan.
    pub fn is_exact(self) -> bool {
        matches!(self, Algorithm::Auto | Algorithm::Dp | Algorithm::HuShing)
    }

    /// The proven bound on cost ÷ optimal cost, for approximations that have one.
    pub fn bound(self) -> Option<f64> {
        match self {
            Algorithm::Approx => Some(approx::BOUND),
            _ => None,
        }
    }

    /// The planner [`Algorithm::Auto`] uses for a chain of `matrices` matrices; any other
    /// algorithm is itself.
    pub fn resolve(self, matrices: usize) -> Algorithm {
        match self {
            Algorithm::Auto if matrices <= AUTO_DP_MAX_MATRICES => Algorithm::Dp,
            Algorithm::Auto => Algorithm::HuShing,
            other => other,
        }
    }

    /// All names, comma-separated (for error messages and help).
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Plans `chain` with this algorithm.
    ///
    /// ```
    /// use chainplan::{Algorithm, Chain};
    /// let chain = Chain::new(vec![10u32, 100, 5, 50])?;
    /// let plan = "dp".parse::<Algorithm>()?.plan(&chain)?;
    /// assert_eq!(plan.cost(), 7500);
    /// assert!("fastest".parse::<Algorithm>().is_err());
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn plan(self, chain: &Chain) -> Result<Plan> {
        match self.resolve(chain.matrices()) {
            Algorithm::Auto | Algorithm::HuShing => hu_shing::optimal(chain),
            Algorithm::Dp => dp::optimal(chain),
            Algorithm::Approx => approx::plan(chain),
            Algorithm::LeftToRight => Plan::left_to_right(chain),
            Algorithm::RightToLeft => Plan::right_to_left(chain),
        }
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                PlanError::UnknownAlgorithm {
                    name: s.to_string(),
                    valid: Self::names(),
                }
                .into()
            })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
