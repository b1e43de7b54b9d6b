//! Benchmarking orders: the measuring half of `chainplan bench`.
//!
//! [`run_bench`] creates seeded random operands for a chain, executes each order — the optimum,
//! left to right, right to left, and optionally every parenthesization — with warm-up runs and
//! timed repetitions, and returns a [`BenchReport`] with each order's predicted cost ratio
//! (scalar multiplications against the optimum's) beside its measured time ratio.
//!
//! ## Timing
//!
//! Each order gets an [`Executor`] (its workspace allocated and touched before timing) and writes
//! into one preallocated output, so a timed run is the BLAS calls of the plan and nothing else:
//! no allocation and no page faults. `warmup` untimed runs precede `reps` timed ones; the report
//! gives the median and the minimum. GFLOP/s is 2 · cost / median.
//!
//! ## Agreement
//!
//! Every order's product is compared with the optimum's, and the report's `max_rel_diff` is
//! the largest ‖P_order − P_optimal‖ / ‖P_optimal‖ (Frobenius norm). Each interior dimension
//! p1 … p(n−1) is the inner dimension of exactly one step, and a k-term inner product carries a
//! rounding factor γ_k ≈ k·ε, so the tolerance is
//!
//! ```text
//! tolerance = 8 · ε · (p1 + … + p(n−1))
//! ```
//!
//! (ε of the element type; two orders may each err, hence a margin over 2). The worst-case
//! bound also multiplies this by the growth factor ‖|A1|⋯|An|‖ / ‖P‖, which for random
//! operands grows by about √(3k)/2 per factor and would accept anything, a wrong product
//! included. For the operands used here (uniform in [-1, 1)) observed differences lie hundreds
//! of times below the tolerance, while a wrong product differs by about 1.
//! [`BenchReport::check`] turns a violation into [`ExecError::OrdersDisagree`].
//!
//! ## Memory
//!
//! [`memory_needed`] counts the operands, two products (the reference and the one being timed)
//! and the largest workspace of any order; [`run_bench`] refuses with [`ExecError::MemoryLimit`]
//! before allocating anything when that exceeds the limit.

use super::executor::zeroed_matrix;
use super::{BufferPlan, Element, Executor};
use crate::chain::Chain;
use crate::error::ExecError;
use crate::error::{Error, Result};
use crate::plan::{brute, dp, Plan};
use crate::system::SystemInfo;
use crate::text::ratio_of;
use ndarray::Array2;
use ndarray_rand::rand::{rngs::StdRng, SeedableRng};
use ndarray_rand::rand_distr::uniform::SampleUniform;
use ndarray_rand::rand_distr::Uniform;
use ndarray_rand::RandomExt;
use serde::Serialize;
use std::time::Instant;

/// The longest chain for which `all` benchmarks every parenthesization (Catalan(7) = 429).
pub const ALL_MAX_MATRICES: usize = 8;

/// The most timed runs of each order ([`BenchOptions::reps`]).
pub const MAX_REPS: usize = 100_000;

/// The most untimed warm-up runs of each order ([`BenchOptions::warmup`]).
pub const MAX_WARMUP: usize = 100_000;

/// How to benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchOptions {
    /// Timed runs of each order: 1 to [`MAX_REPS`].
    pub reps: usize,
    /// Untimed runs of each order before the timed ones: 0 to [`MAX_WARMUP`].
    pub warmup: usize,
    /// Seed of the random operands.
    pub seed: u64,
    /// Also benchmark every parenthesization (at most [`ALL_MAX_MATRICES`] matrices).
    pub all: bool,
    /// Refuse to start when [`memory_needed`] exceeds this many bytes (`None`: no limit).
    pub max_memory: Option<u128>,
    /// More orders to run after the standard ones, by name (such as `time_optimal`, the plan
    /// of `plan --cost time`).
    pub extra: Vec<(String, Plan)>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            reps: 5,
            warmup: 1,
            seed: 42,
            all: false,
            max_memory: None,
            extra: Vec::new(),
        }
    }
}

/// Progress of a benchmark, passed to the callback of [`run_bench`] after every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchProgress<'a> {
    /// Runs finished (warm-up and timed, all orders).
    pub done: usize,
    /// Runs in the whole benchmark.
    pub total: usize,
    /// The order being run.
    pub order: &'a str,
}

/// The measurements of one order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchResult {
    /// `optimal`, `left_to_right`, `right_to_left`, or the order string for the others.
    pub name: String,
    /// Canonical parenthesization.
    pub order: String,
    /// Scalar multiplications.
    pub cost: u128,
    /// Cost divided by the optimum's: the predicted time ratio.
    pub predicted_ratio: f64,
    /// Median time of the timed runs, in seconds.
    pub median_s: f64,
    /// Fastest timed run, in seconds.
    pub min_s: f64,
    /// 2 · cost / median, in billions of floating-point operations per second.
    pub gflops: f64,
    /// Median divided by the optimum's median: the measured time ratio.
    pub measured_ratio: f64,
    /// ‖P_order − P_optimal‖ / ‖P_optimal‖ in the Frobenius norm.
    pub rel_diff: f64,
    /// Seconds a GEMM profile predicts for this order (set by [`BenchReport::predict`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_s: Option<f64>,
}

/// What `chainplan bench` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// The dimensions p0 … pn.
    pub dims: Vec<u32>,
    /// Element type: `f64` or `f32`.
    pub dtype: String,
    /// BLAS threads in force.
    pub threads: usize,
    /// The BLAS library, as it describes itself.
    pub blas: String,
    /// CPU model, if known.
    pub cpu: Option<String>,
    /// Timed runs per order.
    pub reps: usize,
    /// Warm-up runs per order.
    pub warmup: usize,
    /// Seed of the random operands.
    pub seed: u64,
    /// Bytes the benchmark allocated (see [`memory_needed`]).
    pub memory_bytes: u128,
    /// The largest [`BenchResult::rel_diff`] over all orders.
    pub max_rel_diff: f64,
    /// The agreement bound described in the module documentation.
    pub tolerance: f64,
    /// One entry per order; the first is the optimum.
    pub results: Vec<BenchResult>,
}

impl BenchReport {
    /// Errors with [`ExecError::OrdersDisagree`] if some order's product differs from the optimum's
    /// by more than the tolerance (or is not finite).
    pub fn check(&self) -> Result<()> {
        for r in &self.results {
            if r.rel_diff.is_nan() || r.rel_diff > self.tolerance {
                return Err(ExecError::OrdersDisagree {
                    order: r.order.clone(),
                    rel_diff: r.rel_diff,
                    tolerance: self.tolerance,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// The orders to benchmark: `optimal`, `left_to_right`, `right_to_left`, then, with `all`,
/// every other parenthesization named by its order string.
pub fn bench_orders(chain: &Chain, all: bool) -> Result<Vec<(String, Plan)>> {
    let mut orders = vec![
        ("optimal".to_string(), dp::optimal(chain)?),
        ("left_to_right".to_string(), Plan::left_to_right(chain)?),
        ("right_to_left".to_string(), Plan::right_to_left(chain)?),
    ];
    if all {
        if chain.matrices() > ALL_MAX_MATRICES {
            return Err(ExecError::TooManyOrders {
                matrices: chain.matrices(),
                max: ALL_MAX_MATRICES,
            }
            .into());
        }
        let named: Vec<String> = orders.iter().map(|(_, p)| p.order()).collect();
        for plan in brute::all_plans(chain)? {
            let order = plan.order();
            if !named.contains(&order) {
                orders.push((order, plan));
            }
        }
    }
    Ok(orders)
}

/// Bytes a benchmark of `plans` over `chain` allocates with elements of type `T`: the operands,
/// two products (reference and timed) and the largest workspace of any plan.
pub fn memory_needed<T>(chain: &Chain, plans: &[&Plan]) -> Result<u128> {
    let overflow = || Error::Overflow {
        what: "benchmark memory",
        bits: 128,
    };
    let size = std::mem::size_of::<T>() as u128;
    let operands: u128 = (0..chain.matrices())
        .map(|i| {
            let (r, c) = chain.shape(i);
            r as u128 * c as u128
        })
        .sum();
    let product = u128::from(chain.dim(0)) * u128::from(chain.dim(chain.matrices()));
    let workspace = plans
        .iter()
        .map(|p| BufferPlan::new(p).total_elements())
        .max()
        .unwrap_or(0);
    operands
        .checked_add(product.checked_mul(2).ok_or_else(overflow)?)
        .and_then(|e| e.checked_add(workspace))
        .and_then(|e| e.checked_mul(size))
        .ok_or_else(overflow)
}

fn frobenius<T: Element>(a: &Array2<T>) -> f64 {
    scaled_norm(a.iter().map(|&x| x.to_f64().unwrap_or(f64::NAN)))
}

fn frobenius_diff<T: Element>(a: &Array2<T>, b: &Array2<T>) -> f64 {
    scaled_norm(
        a.iter()
            .zip(b.iter())
            .map(|(&x, &y)| x.to_f64().unwrap_or(f64::NAN) - y.to_f64().unwrap_or(f64::NAN)),
    )
}

/// The Euclidean norm of `values`, scaled by the largest magnitude first so that squares of
/// large finite entries (the product of a long chain reaches 1e200) do not overflow. NaN if
/// any value is NaN or infinite.
fn scaled_norm(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let scale = values.clone().fold(0.0f64, |m, x| {
        if x.is_finite() && m.is_finite() {
            m.max(x.abs())
        } else {
            f64::NAN
        }
    });
    if scale == 0.0 || scale.is_nan() {
        return scale;
    }
    values
        .map(|x| (x / scale) * (x / scale))
        .sum::<f64>()
        .sqrt()
        * scale
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Operands for `chain` with elements drawn uniformly from [-1, 1) by a generator seeded with
/// `seed` (ndarray-rand with rand's `StdRng`): the same seed gives the same operands.
pub fn random_operands<T: Element + SampleUniform>(
    chain: &Chain,
    seed: u64,
) -> Result<Vec<Array2<T>>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut operands: Vec<Array2<T>> = Vec::with_capacity(chain.matrices());
    for i in 0..chain.matrices() {
        let (r, c) = chain.shape(i);
        let dist = Uniform::new(-T::one(), T::one()).map_err(|e| ExecError::Sampling {
            reason: e.to_string(),
        })?;
        operands.push(Array2::random_using((r, c), dist, &mut rng));
    }
    Ok(operands)
}

/// Benchmarks the orders of `chain` (see the module documentation) and reports.
///
/// `progress` is called after every run, so a caller can show a progress bar. Errors:
/// [`ExecError::MemoryLimit`] before allocating anything, [`ExecError::TooManyOrders`] for `all` on a
/// long chain, [`Error::InvalidParameter`] for zero repetitions. Disagreement between orders is not an
/// error here; see [`BenchReport::check`].
///
/// ```
/// use chainplan::{Chain, exec::bench::{run_bench, BenchOptions}};
/// let chain = Chain::new(vec![20u32, 2, 20, 2])?;
/// let options = BenchOptions { reps: 3, ..BenchOptions::default() };
/// let report = run_bench::<f64>(&chain, &options, &mut |_| {})?;
/// assert_eq!(report.results[0].name, "optimal");
/// assert_eq!(report.results.len(), 3);
/// report.check()?;
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn run_bench<T: Element + SampleUniform>(
    chain: &Chain,
    options: &BenchOptions,
    progress: &mut dyn FnMut(BenchProgress<'_>),
) -> Result<BenchReport> {
    Error::check_range("reps", options.reps, 1..=MAX_REPS, "between 1 and 100000")?;
    Error::check_range(
        "warmup",
        options.warmup,
        0..=MAX_WARMUP,
        "between 0 and 100000",
    )?;
    let mut orders = bench_orders(chain, options.all)?;
    orders.extend(options.extra.iter().cloned());
    let plans: Vec<&Plan> = orders.iter().map(|(_, p)| p).collect();
    let needed = memory_needed::<T>(chain, &plans)?;
    if let Some(limit) = options.max_memory {
        if needed > limit {
            return Err(ExecError::MemoryLimit {
                needed_bytes: needed,
                limit_bytes: limit,
            }
            .into());
        }
    }
    let system = SystemInfo::current();

    let operands = random_operands::<T>(chain, options.seed)?;
    let out_shape = chain.output_shape();
    let runs_per_order = options.warmup + options.reps; // both bounded above
    let total = orders
        .len()
        .checked_mul(runs_per_order)
        .and_then(|t| t.checked_add(1))
        .ok_or(Error::Overflow {
            what: "the number of benchmark runs",
            bits: usize::BITS,
        })?;
    let mut done = 0;

    // The reference product, from the optimal order.
    let mut reference = zeroed_matrix::<T>(out_shape, "the reference product")?;
    Executor::<T>::new(&orders[0].1)?.run_into(&operands, &mut reference)?;
    done += 1;
    progress(BenchProgress {
        done,
        total,
        order: &orders[0].0,
    });
    let ref_norm = frobenius(&reference);
    let inner: f64 = chain.dims()[1..chain.matrices()]
        .iter()
        .map(|&d| f64::from(d))
        .sum();
    let eps = T::epsilon().to_f64().unwrap_or(f64::EPSILON);
    let tolerance = 8.0 * eps * inner.max(1.0);

    let mut out = zeroed_matrix::<T>(out_shape, "the product")?;
    let mut measured: Vec<(f64, f64, f64)> = Vec::with_capacity(orders.len());
    for (name, plan) in &orders {
        let mut executor = Executor::<T>::new(plan)?;
        let mut times = Vec::new();
        times
            .try_reserve_exact(options.reps)
            .map_err(|_| Error::OutOfMemory {
                what: "the benchmark's timings",
                bytes: options.reps as u128 * 8,
            })?;
        for run in 0..runs_per_order {
            let start = Instant::now();
            executor.run_into(&operands, &mut out)?;
            let elapsed = start.elapsed().as_secs_f64();
            if run >= options.warmup {
                times.push(elapsed);
            }
            done += 1;
            progress(BenchProgress {
                done,
                total,
                order: name,
            });
        }
        times.sort_by(f64::total_cmp);
        let rel_diff = ratio_of(frobenius_diff(&out, &reference), ref_norm);
        measured.push((median(&times), times[0], rel_diff));
    }

    let (opt_cost, opt_median) = (orders[0].1.cost(), measured[0].0);
    let results: Vec<BenchResult> = orders
        .iter()
        .zip(&measured)
        .map(|((name, plan), &(median_s, min_s, rel_diff))| {
            let flops = 2.0 * plan.cost() as f64;
            BenchResult {
                name: name.clone(),
                order: plan.order(),
                cost: plan.cost(),
                predicted_ratio: ratio_of(plan.cost() as f64, opt_cost as f64),
                median_s,
                min_s,
                gflops: if median_s > 0.0 {
                    flops / median_s / 1e9
                } else {
                    0.0
                },
                measured_ratio: ratio_of(median_s, opt_median),
                rel_diff,
                predicted_s: None,
            }
        })
        .collect();
    let max_rel_diff = results.iter().map(|r| r.rel_diff).fold(0.0, f64::max);
    Ok(BenchReport {
        dims: chain.dims().to_vec(),
        dtype: T::NAME.to_string(),
        threads: system.threads,
        blas: system.blas,
        cpu: system.cpu,
        reps: options.reps,
        warmup: options.warmup,
        seed: options.seed,
        memory_bytes: needed,
        max_rel_diff,
        tolerance,
        results,
    })
}
