//! Predicting the wall-clock time of a GEMM, and of a plan, from measured timings.
//!
//! ## The model
//!
//! `chainplan calibrate` times an (m × k) · (k × n) product for every (m, k, n) on a grid
//! g₀ < g₁ < … (1, 2, 3, 4, 6, 8, 16, …, and the largest size), so that vectors (1), skinny
//! blocks (2 to 16) and large squares are all measured. For each grid point it stores the
//! achieved rate r = 2·m·k·n / t (flop/s). A query is answered by **trilinear interpolation
//! of ln r in (ln m, ln k, ln n)**, with each coordinate clamped to the grid, and
//!
//! ```text
//! t(m, k, n) = 2·m·k·n / exp(interpolated ln r)
//! ```
//!
//! Why this form:
//! - Interpolating in log-log space reproduces any power law exactly: where a cell's time is
//!   c·m^a·k^b·n^c (pure overhead: a = b = c = 0; compute-bound: a = b = c = 1; bandwidth-bound
//!   on writing the output: t ∝ m·n), ln r is linear in the log coordinates, and trilinear
//!   interpolation is exact on linear functions. The roofline form
//!   `max(flops / peak, bytes / bandwidth) + overhead` is such a piecewise power law, so the
//!   table captures it without fitting its three parameters, and also captures what it misses
//!   (a skinny product with k = 4 running at a fraction of peak, OpenBLAS's kernel switches).
//! - Clamping extrapolates at constant rate: beyond the largest grid size GEMM is
//!   compute-bound and its rate is flat, so the time grows with the flops, which is the
//!   conservative guess.
//!
//! How well it predicts is measured, not assumed: calibration also times random off-grid
//! shapes and stores measured beside predicted times ([`ValidationPoint`]); `calibrate`
//! prints the median and worst error.
//!
//! A plan's predicted time is the sum of its steps' predicted times: steps run one after
//! another, each a BLAS call with the whole machine.

use super::machine::MachineInfo;
use super::memory::ElementType;
use crate::error::CostError;
use crate::error::{Error, Result};
use crate::plan::Plan;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version of the profile format this build reads and writes.
pub const PROFILE_FORMAT: u32 = 1;

/// One measured GEMM: an (m × k) · (k × n) product and its time (the fastest sample).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Rows of the result.
    pub m: u64,
    /// Inner dimension.
    pub k: u64,
    /// Columns of the result.
    pub n: u64,
    /// Seconds per product (the fastest sample; see `exec::calibrate`, with the feature `benchmark`).
    pub seconds: f64,
}

impl Timing {
    /// Achieved GFLOP/s: 2·m·k·n / t / 10⁹.
    pub fn gflops(&self) -> f64 {
        2.0 * self.m as f64 * self.k as f64 * self.n as f64 / self.seconds / 1e9
    }
}

/// An off-grid shape timed during calibration, with what the model predicted for it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValidationPoint {
    /// The measurement.
    pub measured: Timing,
    /// The model's prediction in seconds.
    pub predicted_s: f64,
}

impl ValidationPoint {
    /// Relative error of the prediction: predicted / measured − 1.
    pub fn relative_error(&self) -> f64 {
        self.predicted_s / self.measured.seconds - 1.0
    }
}

/// The measurements for one element type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtypeProfile {
    /// The element type measured.
    pub dtype: ElementType,
    /// One timing per grid point (m, k, n), m-major.
    pub grid_timings: Vec<Timing>,
    /// Off-grid checks of the interpolated model.
    pub validation: Vec<ValidationPoint>,
}

/// How well a model predicted the off-grid shapes of its profile: absolute relative errors
/// |predicted / measured − 1|.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationSummary {
    /// Number of shapes.
    pub shapes: usize,
    /// The median error.
    pub median: f64,
    /// The 75th percentile: at least three quarters of the shapes were predicted this well.
    pub q75: f64,
    /// The largest error.
    pub worst: f64,
    /// The shape with the largest error.
    pub worst_shape: Timing,
}

impl DtypeProfile {
    /// The timings `seconds(m, k, n)` at every point of `grid` (m-major, as
    /// [`TimeModel::new`] reads them), without validation shapes: a made-up machine, for
    /// tests, benchmarks and examples.
    pub fn from_fn(
        dtype: ElementType,
        grid: &[u64],
        seconds: impl Fn(u64, u64, u64) -> f64,
    ) -> Self {
        let mut grid_timings = Vec::with_capacity(grid.len().pow(3));
        for &m in grid {
            for &k in grid {
                for &n in grid {
                    let seconds = seconds(m, k, n);
                    grid_timings.push(Timing { m, k, n, seconds });
                }
            }
        }
        DtypeProfile {
            dtype,
            grid_timings,
            validation: vec![],
        }
    }

    /// Summary of the model's errors on the validation shapes; `None` without any.
    pub fn validation_errors(&self) -> Option<ValidationSummary> {
        let mut errors: Vec<(f64, Timing)> = self
            .validation
            .iter()
            .map(|v| (v.relative_error().abs(), v.measured))
            .collect();
        if errors.is_empty() {
            return None;
        }
        errors.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = errors.len();
        // The smallest error that at least a fraction q of the shapes do not exceed.
        let at = |q: f64| errors[((q * n as f64).ceil() as usize).clamp(1, n) - 1].0;
        let (worst, worst_shape) = errors[n - 1];
        Some(ValidationSummary {
            shapes: n,
            median: at(0.5),
            q75: at(0.75),
            worst,
            worst_shape,
        })
    }
}

/// A machine's GEMM profile, as `chainplan calibrate` saves it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Format version ([`PROFILE_FORMAT`]).
    pub format: u32,
    /// What was measured on.
    pub machine: MachineInfo,
    /// When, in seconds since the Unix epoch.
    pub created_unix_s: u64,
    /// The grid sizes, ascending, used for each of m, k and n.
    pub grid: Vec<u64>,
    /// The measurements, one entry per element type.
    pub dtypes: Vec<DtypeProfile>,
}

impl Profile {
    /// Reads a profile saved by [`Profile::save`].
    pub fn load(path: &Path) -> Result<Profile> {
        let bad = |reason: String| -> Error {
            CostError::BadProfile {
                path: path.to_path_buf(),
                reason,
            }
            .into()
        };
        // A profile is some kilobytes; 64 MiB bounds what `/dev/zero` would make it read.
        let text = crate::fsio::read_file_bounded(path, 64 << 20).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                bad("not found; run `chainplan calibrate` first, or pass --profile PATH".into())
            } else {
                bad(format!("cannot read it: {e}"))
            }
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let profile: Profile = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "not a chainplan profile: {}",
                crate::text::bounded(&e.to_string())
            ))
        })?;
        if profile.format != PROFILE_FORMAT {
            return Err(bad(format!(
                "format {} is not the supported format {PROFILE_FORMAT}; run `chainplan calibrate` again",
                profile.format
            )));
        }
        for d in &profile.dtypes {
            TimeModel::new(&profile.grid, d).map_err(|e| bad(e.to_string()))?;
        }
        Ok(profile)
    }

    /// Writes the profile as pretty JSON, creating the parent directory if needed. The write is
    /// atomic (a temporary file beside it, synced and renamed): on failure the old profile stays whole.
    pub fn save(&self, path: &Path) -> Result<()> {
        Profile::prepare_save(path)?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|source| CostError::SerialiseProfile { source })?;
        crate::fsio::write_atomic(path, (text + "\n").as_bytes())
    }

    /// Creates `path`'s directory if needed and checks that a profile can be saved there
    /// (as the final write would be), so that a calibration fails before it measures.
    pub fn prepare_save(path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
        }
        crate::fsio::check_writable(path)
    }

    /// The measurements for `dtype`, if it was calibrated.
    pub fn dtype(&self, dtype: ElementType) -> Option<&DtypeProfile> {
        self.dtypes.iter().find(|d| d.dtype == dtype)
    }

    /// The time model for `dtype`.
    pub fn model(&self, dtype: ElementType) -> Result<TimeModel> {
        let d = self.dtype(dtype).ok_or(CostError::NoTimings {
            dtype: dtype.name(),
        })?;
        TimeModel::new(&self.grid, d)
    }
}

/// Predicted GEMM times for one element type, interpolated from a grid of measurements
/// (see the [module documentation](self)).
///
/// ```
/// use chainplan::cost::{time::{DtypeProfile, Timing, TimeModel}, ElementType};
/// // A made-up machine: 1 µs per call plus 1 ns per multiply-add.
/// let grid = [1u64, 10, 100];
/// let mut grid_timings = Vec::new();
/// for &m in &grid { for &k in &grid { for &n in &grid {
///     grid_timings.push(Timing { m, k, n, seconds: 1e-6 + 1e-9 * (m * k * n) as f64 });
/// }}}
/// let d = DtypeProfile { dtype: ElementType::F64, grid_timings, validation: vec![] };
/// let model = TimeModel::new(&grid, &d)?;
/// assert!((model.step_seconds(10, 100, 10) / 11e-6 - 1.0).abs() < 1e-9); // a grid point
/// let t = model.step_seconds(30, 30, 30); // between grid points
/// assert!(t > 10e-6 && t < 40e-6);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TimeModel {
    dtype: ElementType,
    /// The profile's validation errors, if it has validation shapes.
    errors: Option<ValidationSummary>,
    log_grid: Vec<f64>,
    /// ln(flop/s) at grid point (a, b, c), index (a·g + b)·g + c.
    log_rate: Vec<f64>,
}

impl TimeModel {
    /// Builds the model from a profile's grid and one element type's timings.
    pub fn new(grid: &[u64], d: &DtypeProfile) -> Result<TimeModel> {
        let g = grid.len();
        if g < 2 || grid.windows(2).any(|w| w[0] >= w[1]) || grid[0] == 0 {
            return Err(CostError::BadGrid {
                grid: grid.to_vec(),
            }
            .into());
        }
        let points = g
            .checked_mul(g)
            .and_then(|gg| gg.checked_mul(g))
            .filter(|&p| p == d.grid_timings.len());
        let Some(points) = points else {
            return Err(CostError::TimingCount {
                timings: d.grid_timings.len(),
                dtype: d.dtype.name(),
                grid: g,
            }
            .into());
        };
        let mut log_rate = Vec::with_capacity(points);
        for (idx, t) in d.grid_timings.iter().enumerate() {
            let (a, b, c) = (idx / (g * g), idx / g % g, idx % g);
            if (t.m, t.k, t.n) != (grid[a], grid[b], grid[c]) {
                return Err(CostError::TimingShape {
                    index: idx + 1,
                    shape: (t.m, t.k, t.n),
                    expected: (grid[a], grid[b], grid[c]),
                }
                .into());
            }
            if !(t.seconds.is_finite() && t.seconds > 0.0) {
                return Err(CostError::TimingNotPositive {
                    index: idx + 1,
                    shape: (t.m, t.k, t.n),
                    seconds: t.seconds,
                }
                .into());
            }
            let rate = t.gflops().ln() + 1e9f64.ln();
            if !rate.is_finite() {
                return Err(CostError::TimingRate {
                    index: idx + 1,
                    shape: (t.m, t.k, t.n),
                    seconds: t.seconds,
                }
                .into());
            }
            log_rate.push(rate);
        }
        Ok(TimeModel {
            dtype: d.dtype,
            errors: d.validation_errors(),
            log_grid: grid.iter().map(|&x| (x as f64).ln()).collect(),
            log_rate,
        })
    }

    /// The element type this model predicts for.
    pub fn dtype(&self) -> ElementType {
        self.dtype
    }

    /// The model's errors on the profile's random off-grid shapes (`None` if it has none).
    pub fn errors(&self) -> Option<ValidationSummary> {
        self.errors
    }

    /// The least predicted gain over the flop-optimal plan that [`Goal::time`](super::Goal::time)
    /// asks for before preferring another plan:
    ///
    /// ```text
    /// max(1.2, (1 + e) / (1 − e)),   e = the 75th-percentile error on the off-grid shapes
    /// ```
    ///
    /// (1 + e) / (1 − e) is the gain that two predictions off by e in opposite directions
    /// (the flop-optimal plan's too slow, the other's too fast) would show between plans that
    /// take the same time; at most 10.
    ///
    /// Why, from measurements on 3,000 random chains (docs/cost-models.md): trusting the model
    /// fully, about half the order changes ran slower; a fixed least gain of 1.2 still let
    /// through changes of which up to a quarter were slower, depending on how rough the
    /// profile was; with this rule (one-thread f64 and f32 profiles at g = 1.35 and 1.48, a
    /// two-thread f64 profile at g = 1.29) none was slower beyond the measurement noise.
    pub fn default_min_gain(&self) -> f64 {
        let e = self.errors.map_or(0.0, |s| s.q75);
        let gain = if e.is_finite() && e < 1.0 {
            (1.0 + e) / (1.0 - e)
        } else {
            10.0
        };
        gain.clamp(super::DEFAULT_MIN_GAIN, 10.0)
    }

    /// The cell and the fraction within it of one coordinate, clamped to the grid.
    #[inline]
    fn locate(&self, x: u64) -> (usize, f64) {
        let lg = &self.log_grid;
        let last = lg.len() - 1;
        let v = (x.max(1) as f64).ln();
        if v <= lg[0] {
            return (0, 0.0);
        }
        if v >= lg[last] {
            return (last - 1, 1.0);
        }
        // First grid point above v; the grid is short, so a linear scan is fastest.
        let hi = lg.iter().position(|&g| g > v).unwrap_or(last);
        let a = hi - 1;
        (a, (v - lg[a]) / (lg[hi] - lg[a]))
    }

    /// The log rates at (m, ·, n), reduced over m and n: one value per grid point of k.
    #[inline]
    fn reduce(&self, (a, u): (usize, f64), (c, w): (usize, f64), out: &mut Vec<f64>) {
        let g = self.log_grid.len();
        let r = &self.log_rate;
        out.clear();
        out.extend((0..g).map(|b| {
            (1.0 - u) * ((1.0 - w) * r[(a * g + b) * g + c] + w * r[(a * g + b) * g + c + 1])
                + u * ((1.0 - w) * r[((a + 1) * g + b) * g + c]
                    + w * r[((a + 1) * g + b) * g + c + 1])
        }));
    }

    /// Seconds from the reduced log rates and k's cell: 2·m·k·n / exp(ln r).
    #[inline]
    fn finish(reduced: &[f64], (b, v): (usize, f64), flops_half: f64) -> f64 {
        let lr = (1.0 - v) * reduced[b] + v * reduced[b + 1];
        2.0 * flops_half * (-lr).exp()
    }

    /// Predicted seconds for one (m × k) · (k × n) product.
    pub fn step_seconds(&self, m: u64, k: u64, n: u64) -> f64 {
        let mut reduced = Vec::with_capacity(self.log_grid.len());
        self.reduce(self.locate(m), self.locate(n), &mut reduced);
        Self::finish(&reduced, self.locate(k), m as f64 * k as f64 * n as f64)
    }

    /// The model prepared for one chain's dimensions, for planners that evaluate many
    /// products of the same dimensions ([`PreparedTimes::seconds`]).
    pub(crate) fn prepare(&self, dims: &[u32]) -> PreparedTimes<'_> {
        PreparedTimes {
            model: self,
            dims: dims.iter().map(|&d| f64::from(d)).collect(),
            cells: dims.iter().map(|&d| self.locate(u64::from(d))).collect(),
        }
    }

    /// Predicted seconds for a whole plan: the sum over its steps.
    pub fn plan_seconds(&self, plan: &Plan) -> f64 {
        plan.steps()
            .iter()
            .map(|s| self.step_seconds(s.m as u64, s.k as u64, s.n as u64))
            .sum()
    }
}

/// A [`TimeModel`] with a chain's dimensions located on the grid once, so that the inner loop
/// of a planner costs two lookups and an `exp` per product. Gives exactly the values of
/// [`TimeModel::step_seconds`] (the same operations in the same order).
#[derive(Debug, Clone)]
pub(crate) struct PreparedTimes<'m> {
    model: &'m TimeModel,
    dims: Vec<f64>,
    cells: Vec<(usize, f64)>,
}

impl PreparedTimes<'_> {
    /// What every product p(i) × p(k) · p(k) × p(j) of the dimensions i and j shares, for
    /// [`PreparedTimes::seconds`] and [`PreparedTimes::least_per_mult`]: the log rates
    /// interpolated over m and n, one per grid point of k (written to `out`).
    pub fn cell(&self, i: usize, j: usize, out: &mut Vec<f64>) {
        self.model.reduce(self.cells[i], self.cells[j], out);
    }

    /// Predicted seconds of p(i) × p(k) · p(k) × p(j), from `cell` of i and j
    /// ([`PreparedTimes::cell`]): the value of [`TimeModel::step_seconds`], to the bit.
    #[inline]
    pub fn seconds(&self, cell: &[f64], i: usize, k: usize, j: usize) -> f64 {
        TimeModel::finish(
            cell,
            self.cells[k],
            self.dims[i] * self.dims[k] * self.dims[j],
        )
    }

    /// A lower bound on [`PreparedTimes::seconds`] of every k, per scalar multiplication:
    /// seconds ≥ this × p(i)·p(k)·p(j). The interpolated log rate of any k lies between two
    /// of `cell`'s values, so the time is at least 2·m·k·n / exp(largest); one part in 10⁹
    /// less covers the roundings of either side (about 10⁻¹⁴ relative).
    pub fn least_per_mult(&self, cell: &[f64]) -> f64 {
        let largest = cell.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        2.0 * (-largest).exp() * (1.0 - 1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(grid: &[u64], f: impl Fn(u64, u64, u64) -> f64) -> DtypeProfile {
        DtypeProfile::from_fn(ElementType::F64, grid, f)
    }

    #[test]
    fn power_laws_are_reproduced_off_grid() {
        let grid = [1u64, 4, 16, 64, 256];
        // Compute-bound everywhere: t = mkn / 1e9 — a constant rate.
        let model = TimeModel::new(
            &grid,
            &synthetic(&grid, |m, k, n| (m * k * n) as f64 * 1e-9),
        )
        .unwrap();
        for (m, k, n) in [(3, 5, 7), (100, 2, 200), (1, 1, 255), (1000, 1000, 1000)] {
            let t = model.step_seconds(m, k, n);
            assert!((t / ((m * k * n) as f64 * 1e-9) - 1.0).abs() < 1e-9);
        }
        // Output-bandwidth-bound: t = m·n·1e-9, a power law, reproduced inside the grid.
        let model =
            TimeModel::new(&grid, &synthetic(&grid, |m, _, n| (m * n) as f64 * 1e-9)).unwrap();
        let t = model.step_seconds(10, 50, 100);
        assert!((t / 1e-6 - 1.0).abs() < 1e-9, "{t}");
    }

    #[test]
    fn prepared_cells_give_single_predictions_and_bound_them() {
        let grid = [1u64, 2, 8, 32];
        let d = synthetic(&grid, |m, k, n| {
            1e-6 + (m * k * n) as f64 * 1e-9 / (k as f64).sqrt()
        });
        let model = TimeModel::new(&grid, &d).unwrap();
        let dims = [1u32, 3, 50, 2, 7, 31, 1];
        let prepared = model.prepare(&dims);
        let mut cell = Vec::new();
        for i in 0..dims.len() {
            for j in i + 2..dims.len() {
                prepared.cell(i, j, &mut cell);
                let least = prepared.least_per_mult(&cell);
                for k in i + 1..j {
                    let t = prepared.seconds(&cell, i, k, j);
                    let single = model.step_seconds(
                        u64::from(dims[i]),
                        u64::from(dims[k]),
                        u64::from(dims[j]),
                    );
                    assert_eq!(t.to_bits(), single.to_bits());
                    // The lower bound the dynamic program prunes with.
                    let mults = f64::from(dims[i]) * f64::from(dims[k]) * f64::from(dims[j]);
                    assert!(least * mults <= t, "{i} {k} {j}");
                }
            }
        }
    }

    #[test]
    fn the_least_gain_follows_the_checks_75th_percentile() {
        let grid = [1u64, 4];
        let mut d = synthetic(&grid, |_, _, _| 1e-6);
        let model = TimeModel::new(&grid, &d).unwrap();
        // No checks: the floor.
        assert_eq!(model.default_min_gain(), 1.2);
        // Errors of 0 %, 10 %, 20 %, 50 % (predicted 1.0, 1.1, 0.8, 1.5 µs for 1 µs): the
        // 75th percentile is the third smallest, 20 %, so g = 1.2 / 0.8 = 1.5.
        for predicted in [1.0e-6, 1.1e-6, 0.8e-6, 1.5e-6] {
            d.validation.push(ValidationPoint {
                measured: Timing {
                    m: 3,
                    k: 3,
                    n: 3,
                    seconds: 1e-6,
                },
                predicted_s: predicted,
            });
        }
        let e = d.validation_errors().unwrap();
        assert!((e.median - 0.1).abs() < 1e-9 && (e.q75 - 0.2).abs() < 1e-9);
        assert!((e.worst - 0.5).abs() < 1e-9);
        let model = TimeModel::new(&grid, &d).unwrap();
        assert!((model.default_min_gain() - 1.5).abs() < 1e-9);
        // A model off by 100 % or more asks for the cap, 10.
        for v in &mut d.validation {
            v.predicted_s = 3e-6;
        }
        assert_eq!(TimeModel::new(&grid, &d).unwrap().default_min_gain(), 10.0);
    }

    #[test]
    fn rejects_malformed_tables() {
        let grid = [1u64, 4];
        let mut d = synthetic(&grid, |_, _, _| 1e-6);
        assert!(TimeModel::new(&[4, 1], &d).is_err());
        assert!(TimeModel::new(&[1, 4, 16], &d).is_err());
        d.grid_timings[3].seconds = 0.0;
        assert!(TimeModel::new(&grid, &d).is_err());
        d.grid_timings[3].seconds = 1e-6;
        d.grid_timings[3].m = 2;
        assert!(TimeModel::new(&grid, &d).is_err());
    }

    // The time goal's pruned program (in plan::dp) against the full one, here because it
    // needs a time model, and cost sits above plan.
    mod pruned_time_program {
        use super::*;
        use crate::plan::dp::tests::lcg_chain;
        use crate::plan::dp::{fill_general, fill_timed, min_peak, DpOptions};
        use crate::plan::goal::TimeRows;

        /// A time model of a made-up machine: overhead per call, slow small inner dimensions,
        /// and a bandwidth term, on a coarse grid (interpolation between far points).
        fn rough_time_model() -> TimeModel {
            use crate::cost::ElementType;
            let grid = [1u64, 3, 16, 90, 700];
            let d = DtypeProfile::from_fn(ElementType::F64, &grid, |m, k, n| {
                2e-6 + 1e-9 * (m * k * n) as f64 * (1.0 + 24.0 / k as f64) + 3e-9 * (m * n) as f64
            });
            TimeModel::new(&grid, &d).unwrap()
        }

        #[test]
        fn the_pruned_time_program_gives_the_full_programs_splits() {
            // The full program evaluates every split's predicted time; the pruned one only those
            // its bound does not rule out. Same splits, ties included (repeated small dimensions),
            // with and without caps, serial and parallel.
            let model = rough_time_model();
            for (n, max, seed) in [(120, 5, 61), (300, 1000, 62), (70, 40, 63), (20, 800, 64)] {
                let chain = lcg_chain(n, max, seed);
                let prepared = model.prepare(chain.dims());
                let peak = min_peak(&chain, &DpOptions::default()).unwrap();
                for cap in [None, Some(peak * 4), Some(peak), Some(peak.max(1) - 1)] {
                    for parallel in [false, true] {
                        let pruned =
                            fill_timed(&chain, cap, parallel, &prepared).map(|t| t.to_vec());
                        let full = fill_general::<f64>(&chain, cap, parallel, |i, ks, j, out| {
                            let mut cell = Vec::new();
                            TimeRows::cell(&prepared, i, j, &mut cell);
                            out.clear();
                            out.extend(ks.map(|k| TimeRows::seconds(&prepared, &cell, i, k, j)));
                        })
                        .map(|t| t.to_vec());
                        assert!(pruned == full, "n {n}, cap {cap:?}, parallel {parallel}");
                    }
                }
            }
        }
    }
}
