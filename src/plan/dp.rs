//! The classic O(n³) dynamic program, for the cheapest and for the most expensive order.
//!
//! With `m[i][j]` the cost of multiplying matrices `i ..= j`,
//!
//! ```text
//! m[i][i] = 0
//! m[i][j] = min over i ≤ k < j of  m[i][k] + m[k+1][j] + p(i)·p(k+1)·p(j+1)
//! ```
//!
//! (`max` instead of `min` gives the worst order.) With several threads the tables are filled
//! by anti-diagonals (sub-chains of equal length), whose cells are independent and computed in
//! parallel; on one thread, by blocks of rows, which keeps the data each cell reads in cache.
//!
//! Speed comes from four choices:
//! - both operands of the inner loop are contiguous: `m[i][k]` runs along row `i` and
//!   `m[k+1][j]` is read from a transposed copy, along row `j`;
//! - a `u64` table whenever the chain provably cannot overflow it (every sub-chain costs at
//!   most (n − 1)·max(p)³), and `u128` otherwise;
//! - on CPUs with AVX2 the inner loop runs as a vectorised reduction (best value first, then
//!   its first position), detected at run time;
//! - one allocation per table, sized and checked against [`DpOptions::memory_limit`] before it
//!   is made, so a chain too long for the tables is refused with an error, not an abort.
//!
//! The same program takes a [`Goal`] ([`solve_goal`]): another cost per product (predicted
//! time), a cap on intermediates (cells whose result would exceed it are infeasible), or
//! memory first (a min–max pass, [`min_peak`], then the capped program). The mathematics is in
//! [`crate::cost`]. The textbook goal keeps the fast path above; the others run a general
//! loop over `u128` or `f64` cells with an infinity for infeasible cells.

use super::Plan;
use crate::chain::Chain;
use crate::cost::{CostModel, Goal, Minimize};
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Tuning for the dynamic program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpOptions {
    /// Largest table memory, in bytes, the planner may allocate. Default: 2 GiB.
    pub memory_limit: u128,
    /// Whether long anti-diagonals are computed on several threads. Default: true.
    pub parallel: bool,
}

impl Default for DpOptions {
    fn default() -> Self {
        DpOptions {
            memory_limit: 2 << 30,
            parallel: true,
        }
    }
}

/// Which end of the range the program looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// The cheapest order.
    Min,
    /// The most expensive order.
    Max,
}

/// The cheapest plan, with default options.
///
/// ```
/// use chainplan::{Chain, plan::dp};
/// let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
/// let plan = dp::optimal(&chain)?;
/// assert_eq!(plan.cost(), 15125);
/// assert_eq!(plan.order(), "((A1(A2A3))((A4A5)A6))");
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn optimal(chain: &Chain) -> Result<Plan> {
    solve(chain, Objective::Min, &DpOptions::default())
}

/// The most expensive plan, with default options.
pub fn worst(chain: &Chain) -> Result<Plan> {
    solve(chain, Objective::Max, &DpOptions::default())
}

/// Bytes of tables the program needs for `matrices` matrices, with cost cells of
/// `cost_bytes` bytes (8 or 16): two cost tables (one transposed) and a `u32` split table.
pub fn table_bytes(matrices: usize, cost_bytes: usize) -> u128 {
    let cells = (matrices as u128) * (matrices as u128);
    cells * (2 * cost_bytes as u128 + 4)
}

/// Whether every sub-chain's cost provably fits `u64`, and fails if it may not fit `u128`.
fn fits_u64(chain: &Chain) -> Result<bool> {
    let p = u128::from(chain.max_dim());
    let steps = chain.matrices().saturating_sub(1) as u128;
    let bound = p
        .checked_mul(p)
        .and_then(|x| x.checked_mul(p))
        .and_then(|x| x.checked_mul(steps))
        .ok_or(Error::Overflow {
            what: "the cost bound of the dynamic program",
            bits: 128,
        })?;
    Ok(bound <= u128::from(u64::MAX))
}

/// Runs the program for `objective` and returns the plan it finds.
pub fn solve(chain: &Chain, objective: Objective, options: &DpOptions) -> Result<Plan> {
    let n = chain.matrices();
    if n == 1 {
        return Plan::from_splits(chain, |i, _| i);
    }
    let narrow = fits_u64(chain)?;
    let needed = table_bytes(n, if narrow { 8 } else { 16 });
    if needed > options.memory_limit || u32::try_from(n).is_err() {
        return Err(Error::ChainTooLong {
            matrices: n,
            algorithm: "dp",
            needed_bytes: needed,
            limit_bytes: options.memory_limit,
            suggestion: "use --algorithm hu-shing (O(n) memory) or raise the DP memory limit",
        });
    }
    let parallel = options.parallel && rayon::current_num_threads() > 1;
    let split = if narrow {
        fill::<u64>(chain, objective, parallel)
    } else {
        fill::<u128>(chain, objective, parallel)
    };
    Plan::from_splits(chain, |i, j| split[i * n + j] as usize)
}

/// A cost cell type: `u64` or `u128`. Overflow is ruled out before [`fill`] is called.
trait Cell:
    Copy + Send + Sync + Ord + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    fn from_u32(x: u32) -> Self;

    /// The first best `x` of `row[x] + col[x] + outer * pk[x]`, and its value.
    #[inline]
    fn best_of(
        row: &[Self],
        col: &[Self],
        pk: &[Self],
        outer: Self,
        objective: Objective,
    ) -> (Self, usize) {
        match objective {
            Objective::Min => scan::<Self, false>(row, col, pk, outer),
            Objective::Max => scan::<Self, true>(row, col, pk, outer),
        }
    }
}

impl Cell for u64 {
    const ZERO: Self = 0;
    fn from_u32(x: u32) -> Self {
        u64::from(x)
    }

    #[inline]
    fn best_of(
        row: &[u64],
        col: &[u64],
        pk: &[u64],
        outer: u64,
        objective: Objective,
    ) -> (u64, usize) {
        #[cfg(target_arch = "x86_64")]
        {
            if row.len() >= 16 && std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { simd::best_of_avx2(row, col, pk, outer, objective) };
            }
        }
        match objective {
            Objective::Min => scan::<u64, false>(row, col, pk, outer),
            Objective::Max => scan::<u64, true>(row, col, pk, outer),
        }
    }
}

impl Cell for u128 {
    const ZERO: Self = 0;
    fn from_u32(x: u32) -> Self {
        u128::from(x)
    }
}

/// Two passes that the compiler vectorises with AVX2: the best value over the row (a
/// reduction without the index, so no loop-carried dependency on it), then the first
/// position that reaches it. Same result as [`scan`].
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::Objective;

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn best_of_avx2(
        row: &[u64],
        col: &[u64],
        pk: &[u64],
        outer: u64,
        objective: Objective,
    ) -> (u64, usize) {
        let len = row.len();
        let (col, pk) = (&col[..len], &pk[..len]);
        let value = |x: usize| row[x] + col[x] + outer * pk[x];
        let best = match objective {
            Objective::Min => (0..len).map(value).fold(u64::MAX, u64::min),
            Objective::Max => (0..len).map(value).fold(0, u64::max),
        };
        // First chunk of 8 holding the best value, then the position inside it.
        let mut start = 0;
        while start + 8 <= len {
            let hit = (start..start + 8).fold(false, |h, x| h | (value(x) == best));
            if hit {
                break;
            }
            start += 8;
        }
        let x = (start..len).find(|&x| value(x) == best).unwrap_or(0);
        (best, x)
    }
}

/// Below this many inner-loop iterations on one diagonal, threads cost more than they save.
const PARALLEL_WORK: usize = 1 << 15;

/// Fills the tables and returns the split table (`split[i * n + j]` = k).
fn fill<T: Cell>(chain: &Chain, objective: Objective, parallel: bool) -> Vec<u32> {
    if !parallel {
        return fill_blocked::<T>(chain, objective);
    }
    let p: Vec<T> = chain.dims().iter().map(|&d| T::from_u32(d)).collect();
    let (_, split) = by_diagonals(
        chain.matrices(),
        T::ZERO,
        PARALLEL_WORK,
        |row, col, i, j| best(row, col, &p[i + 1..j + 1], p[i] * p[j + 1], objective, i),
    );
    split
}

/// The anti-diagonal driver of both programs. Fills `cost[i * n + j]` = m\[i\]\[j\] and its
/// transpose one sub-chain length at a time; each cell is `cell(row, col, i, j)`, with `row` =
/// m\[i\]\[i..j\] and `col` = m\[i+1..=j\]\[j\] (both contiguous), returning its value and split.
/// A diagonal runs on several threads when it holds at least `min_work` inner iterations.
/// Returns the cost table and the split table.
fn by_diagonals<T: Copy + Send + Sync>(
    n: usize,
    zero: T,
    min_work: usize,
    cell: impl Fn(&[T], &[T], usize, usize) -> (T, u32) + Sync,
) -> (Vec<T>, Vec<u32>) {
    let mut cost = vec![zero; n * n];
    let mut cost_t = vec![zero; n * n];
    let mut split = vec![0u32; n * n];
    let mut diagonal: Vec<(T, u32)> = Vec::with_capacity(n);
    for len in 2..=n {
        let cells = n - len + 1;
        let one = |i: usize| {
            let j = i + len - 1;
            cell(
                &cost[i * n + i..i * n + j],
                &cost_t[j * n + i + 1..j * n + j + 1],
                i,
                j,
            )
        };
        diagonal.clear();
        if cells * (len - 1) >= min_work && cells > 1 {
            (0..cells)
                .into_par_iter()
                .map(one)
                .collect_into_vec(&mut diagonal);
        } else {
            diagonal.extend((0..cells).map(one));
        }
        for (i, &(c, k)) in diagonal.iter().enumerate() {
            let j = i + len - 1;
            cost[i * n + j] = c;
            cost_t[j * n + i] = c;
            split[i * n + j] = k;
        }
    }
    (cost, split)
}

/// Rows per block in [`fill_blocked`]: their row segments (8 KiB each at n = 1000) stay in L2.
const BLOCK: usize = 32;

/// The serial order: blocks of rows from the bottom up; within a block, columns left to
/// right and rows bottom-up. Each column segment `m[i+1..=j][j]` is read once per block and
/// reused by all its rows while it sits in L1, instead of streaming from memory per cell as
/// the anti-diagonal order does.
fn fill_blocked<T: Cell>(chain: &Chain, objective: Objective) -> Vec<u32> {
    let n = chain.matrices();
    let p: Vec<T> = chain.dims().iter().map(|&d| T::from_u32(d)).collect();
    let mut cost = vec![T::ZERO; n * n];
    let mut cost_t = vec![T::ZERO; n * n];
    let mut split = vec![0u32; n * n];
    let mut top = n;
    while top > 0 {
        let lo = top.saturating_sub(BLOCK);
        for j in lo + 1..n {
            for i in (lo..top.min(j)).rev() {
                let row = &cost[i * n + i..i * n + j];
                let col = &cost_t[j * n + i + 1..j * n + j + 1];
                let (c, k) = best(row, col, &p[i + 1..j + 1], p[i] * p[j + 1], objective, i);
                cost[i * n + j] = c;
                cost_t[j * n + i] = c;
                split[i * n + j] = k;
            }
        }
        top = lo;
    }
    split
}

/// The best split of one cell: the first k reaching the minimum (or maximum) of
/// `row[x] + col[x] + outer * pk[x]`, with k = `i + x`.
#[inline]
fn best<T: Cell>(
    row: &[T],
    col: &[T],
    pk: &[T],
    outer: T,
    objective: Objective,
    i: usize,
) -> (T, u32) {
    let (c, x) = T::best_of(row, col, pk, outer, objective);
    (c, (i + x) as u32)
}

/// The inner loop. Equal-length slices let the compiler drop bounds checks; the comparison
/// is fixed at compile time.
#[inline(always)]
fn scan<T: Cell, const MAX: bool>(row: &[T], col: &[T], pk: &[T], outer: T) -> (T, usize) {
    let len = row.len();
    let (col, pk) = (&col[..len], &pk[..len]);
    let mut best_cost = row[0] + col[0] + outer * pk[0];
    let mut best_x = 0usize;
    for x in 1..len {
        let c = row[x] + col[x] + outer * pk[x];
        let better = if MAX { c > best_cost } else { c < best_cost };
        if better {
            best_cost = c;
            best_x = x;
        }
    }
    (best_cost, best_x)
}

/// The best plan for `goal`: the cheapest under its cost model, within its cap, with memory
/// first if it asks. Exact for every goal; the textbook goal ([`Goal::is_plain_flops`]) runs
/// the fast path of [`solve`].
///
/// Errors: [`Error::NoPlanFits`] when no order meets the cap (naming the smallest cap that
/// would), [`Error::ChainTooLong`] when the tables would exceed the memory limit.
///
/// ```
/// use chainplan::{Chain, cost::Goal, plan::dp};
/// let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
/// let lean = dp::solve_goal(&chain, &Goal::flops().minimizing_memory(), &Default::default())?;
/// assert_eq!(lean.largest_intermediate(), dp::min_peak(&chain, &Default::default())?);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn solve_goal(chain: &Chain, goal: &Goal, options: &DpOptions) -> Result<Plan> {
    if goal.is_plain_flops() {
        return solve(chain, Objective::Min, options);
    }
    let n = chain.matrices();
    if n == 1 {
        return Plan::from_splits(chain, |i, _| i);
    }
    let cap = match goal.minimize {
        Minimize::Cost => goal.max_intermediate,
        Minimize::Memory => {
            let best = min_peak(chain, options)?;
            match goal.max_intermediate {
                Some(cap) if best > cap => {
                    return Err(Error::NoPlanFits {
                        cap,
                        smallest: best,
                    })
                }
                _ => Some(best),
            }
        }
    };
    let split = match &goal.model {
        // As in the fast path: u64 cells when no sub-chain can overflow them, else u128
        // (fits_u64 fails if costs might not fit u128).
        CostModel::Flops if fits_u64(chain)? => {
            check_tables(chain, 8, options)?;
            let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
            fill_general::<u64>(chain, cap, options.parallel, |i, ks, j, out| {
                out.clear();
                out.extend(ks.map(|k| p[i] * p[k] * p[j]));
            })
        }
        CostModel::Flops => {
            check_tables(chain, 16, options)?;
            let p: Vec<u128> = chain.dims().iter().map(|&d| u128::from(d)).collect();
            fill_general::<u128>(chain, cap, options.parallel, |i, ks, j, out| {
                out.clear();
                out.extend(ks.map(|k| p[i] * p[k] * p[j]));
            })
        }
        CostModel::Time(model) => {
            check_tables(chain, 8, options)?;
            let prepared = model.prepare(chain.dims());
            fill_general::<f64>(chain, cap, options.parallel, |i, ks, j, out| {
                prepared.row(i, ks, j, out)
            })
        }
    };
    let Some(split) = split else {
        return Err(Error::NoPlanFits {
            cap: cap.unwrap_or(0),
            smallest: min_peak(chain, options)?,
        });
    };
    Plan::from_splits(chain, |i, j| split[i * n + j] as usize)
}

/// The smallest largest intermediate, in elements, over every order of `chain`: the least
/// cap that some plan meets (0 for chains of one or two matrices). The min–max program of
/// [`crate::cost`], O(n³) time and O(n²) memory.
///
/// ```
/// use chainplan::{Chain, plan::dp};
/// // (A1(A2A3))A4 keeps intermediates at 10 × 10 and 1000 × 10.
/// let chain = Chain::new(vec![1000u32, 10, 1000, 10, 1000])?;
/// assert_eq!(dp::min_peak(&chain, &Default::default())?, 10_000);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn min_peak(chain: &Chain, options: &DpOptions) -> Result<u128> {
    let n = chain.matrices();
    if n <= 2 {
        return Ok(0);
    }
    check_tables(chain, 8, options)?;
    let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
    // Each own size is a product of two u32s, so every cell fits u64.
    let mut peak = vec![0u64; n * n];
    let mut peak_t = vec![0u64; n * n];
    let mut diagonal: Vec<u64> = Vec::with_capacity(n);
    for len in 2..=n {
        let cells = n - len + 1;
        let cell = |i: usize| -> u64 {
            let j = i + len - 1;
            let own = if len == n { 0 } else { p[i] * p[j + 1] };
            let row = &peak[i * n + i..i * n + j];
            let col = &peak_t[j * n + i + 1..j * n + j + 1];
            let inner = row
                .iter()
                .zip(col)
                .map(|(&a, &b)| a.max(b))
                .min()
                .unwrap_or(0);
            own.max(inner)
        };
        diagonal.clear();
        if options.parallel && cells * (len - 1) >= PARALLEL_WORK && cells > 1 {
            (0..cells)
                .into_par_iter()
                .map(cell)
                .collect_into_vec(&mut diagonal);
        } else {
            diagonal.extend((0..cells).map(cell));
        }
        for (i, &c) in diagonal.iter().enumerate() {
            let j = i + len - 1;
            peak[i * n + j] = c;
            peak_t[j * n + i] = c;
        }
    }
    Ok(u128::from(peak[n - 1]))
}

/// Refuses tables of `cost_bytes`-byte cells over the memory limit, before allocating them.
fn check_tables(chain: &Chain, cost_bytes: usize, options: &DpOptions) -> Result<()> {
    let n = chain.matrices();
    let needed = table_bytes(n, cost_bytes);
    if needed > options.memory_limit || u32::try_from(n).is_err() {
        return Err(Error::ChainTooLong {
            matrices: n,
            algorithm: "dp with a cost model",
            needed_bytes: needed,
            limit_bytes: options.memory_limit,
            suggestion: "plan a shorter chain, or raise the DP memory limit",
        });
    }
    Ok(())
}

/// A cost cell of the general program: exact `u128` or `f64` seconds, with an infinity for
/// infeasible sub-chains that absorbs additions.
trait Score: Copy + Send + Sync + PartialOrd {
    const ZERO: Self;
    const INF: Self;
    fn plus(self, other: Self) -> Self;
}

impl Score for u64 {
    const ZERO: Self = 0;
    const INF: Self = u64::MAX;
    fn plus(self, other: Self) -> Self {
        // Used only when fits_u64 bounds every finite sum below u64::MAX.
        self.saturating_add(other)
    }
}

impl Score for u128 {
    const ZERO: Self = 0;
    const INF: Self = u128::MAX;
    fn plus(self, other: Self) -> Self {
        // Finite sums are bounded by fits_u64's check, far below u128::MAX; only sums that
        // involve INF saturate, and they stay INF.
        self.saturating_add(other)
    }
}

impl Score for f64 {
    const ZERO: Self = 0.0;
    const INF: Self = f64::INFINITY;
    fn plus(self, other: Self) -> Self {
        self + other
    }
}

/// The general program. `step_row(i, ks, j, out)` writes to `out` the cost of the product
/// p(i) × p(k) · p(k) × p(j) for every dimension index k in `ks` (one call per cell, so a
/// model can do its per-cell work once). With a `cap`, sub-chains (other than the whole
/// chain) whose result exceeds it are infeasible. Returns the split table, or `None` when no
/// plan is feasible. Ties go to the first split, as in [`fill`].
fn fill_general<T: Score>(
    chain: &Chain,
    cap: Option<u128>,
    parallel: bool,
    step_row: impl Fn(usize, std::ops::Range<usize>, usize, &mut Vec<T>) + Sync,
) -> Option<Vec<u32>> {
    let n = chain.matrices();
    let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
    let min_work = if parallel {
        PARALLEL_WORK / 4
    } else {
        usize::MAX
    };
    let (cost, split) = by_diagonals(n, T::ZERO, min_work, |row, col, i, j| {
        let own = u128::from(p[i]) * u128::from(p[j + 1]);
        if j - i + 1 < n && cap.is_some_and(|c| own > c) {
            return (T::INF, i as u32);
        }
        let mut steps = Vec::with_capacity(j - i);
        step_row(i, i + 1..j + 1, j + 1, &mut steps);
        let mut best = T::INF;
        let mut best_k = i;
        // An infeasible operand is INF, and INF absorbs additions: no branch needed.
        for (x, ((&a, &b), &s)) in row.iter().zip(col).zip(&steps).enumerate() {
            let c = a.plus(b).plus(s);
            if c < best {
                best = c;
                best_k = i + x;
            }
        }
        (best, best_k as u32)
    });
    (cost[n - 1] != T::INF).then_some(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_worst_is_worse() {
        let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
        let w = worst(&chain).unwrap();
        assert!(w.cost() > 15125);
    }

    #[test]
    fn wide_path_matches_narrow_path() {
        // Large dimensions force the u128 tables; scaling every dimension by the same factor
        // scales every cost by its cube, so the optimal order must stay the same.
        let small = Chain::new(vec![3u32, 7, 2, 9, 4, 1, 8]).unwrap();
        let f = 1u64 << 24;
        let big = Chain::from_u64s(small.dims().iter().map(|&d| u64::from(d) * f)).unwrap();
        assert!(!fits_u64(&big).unwrap());
        let a = optimal(&small).unwrap();
        let b = optimal(&big).unwrap();
        assert_eq!(a.order(), b.order());
        assert_eq!(a.cost() * u128::from(f).pow(3), b.cost());
    }

    #[test]
    fn refuses_tables_over_the_limit() {
        let chain = Chain::new(vec![5u32; 2001]).unwrap();
        let options = DpOptions {
            memory_limit: 1 << 20,
            parallel: false,
        };
        let e = solve(&chain, Objective::Min, &options).unwrap_err();
        assert!(matches!(e, Error::ChainTooLong { matrices: 2000, .. }));
        assert!(e.to_string().contains("hu-shing"));
    }
}
