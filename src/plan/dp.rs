//! The classic O(n³) dynamic program, for the cheapest and for the most expensive order.
//!
//! With `m[i][j]` the cost of multiplying matrices `i ..= j`,
//!
//! ```text
//! m[i][i] = 0
//! m[i][j] = min over i ≤ k < j of  m[i][k] + m[k+1][j] + p(i)·p(k+1)·p(j+1)
//! ```
//!
//! (`max` instead of `min` gives the worst order.) The tables are filled by 32 × 32 tiles, which
//! keep the data each cell reads in cache; tiles at the same distance from the diagonal are
//! independent and run on several threads (`by_tiles`).
//!
//! Speed comes from five choices:
//! - both operands of the inner loop are contiguous: `m[i][k]` runs along row `i` and
//!   `m[k+1][j]` is read from a transposed copy, along row `j`;
//! - the tiled order, serial or parallel (n = 1000: 82 ms on two threads, 120 ms on one,
//!   against 139 ms for anti-diagonals on two);
//! - the narrowest exact cells: `f64` when every sub-chain costs less than 2^53 (every
//!   sub-chain costs at most (n − 1)·max(p)³; integers below 2^53 add and multiply exactly in
//!   `f64`, and AVX2 has native `f64` minimum and multiply, not `u64` ones: 27 % faster on
//!   one thread), else `u64` when that bound fits, else `u128`;
//! - on CPUs with AVX2 the inner loop runs as a vectorised reduction (best value first, then
//!   its first position), detected at run time;
//! - one allocation per table, sized and checked against [`DpOptions::memory_limit`] before it
//!   is made, so a chain too long for the tables is refused with an error, not an abort.
//!
//! The same program takes a `DpGoal` (`solve_goal`): another cost per product (predicted
//! time), a cap on intermediates (cells whose result would exceed it are infeasible), or
//! memory first (a min–max pass, [`min_peak`], then the capped program). The goal's types are
//! in [`super::goal`]; the mathematics and the cost models are in [`crate::cost`]. Each goal
//! keeps as much of the fast path as it can:
//! - a flop count under a cap that the cheapest plan meets is that plan (no capped program:
//!   `solve_goal` says why it is the capped program's own plan), else the kernel above with
//!   infinite cells for infeasible sub-chains (`f64`), or a general loop over `u64` or `u128`;
//! - the min–max pass runs on exact `f64` cells with AVX2 where sizes stay below 2^53;
//! - predicted times prune: the kernel above with a lower bound on each product's time ranks
//!   the splits, and only those whose bound does not exceed the best so far get a predicted
//!   time (`fill_timed`; before, every split got one);
//! - the last plan of each objective is kept per thread, so that the programs one request
//!   runs on the same chain (a goal's check of the cheapest plan, a report's comparison with
//!   the cheapest and the worst order) each run once.

use super::goal::{DpGoal, Minimize, StepCost, TimeRows};
use super::Plan;
use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Tuning for the dynamic program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpOptions {
    /// Largest table memory, in bytes, the planner may allocate. Default:
    /// `default_memory_limit` (2 GiB, or less when less memory can be had).
    pub memory_limit: u128,
    /// Whether tables of long chains are filled on several threads. Default: true.
    pub parallel: bool,
}

impl Default for DpOptions {
    fn default() -> Self {
        DpOptions {
            memory_limit: default_memory_limit(),
            parallel: true,
        }
    }
}

/// The default table budget: 2 GiB, or three quarters of the memory that this process can
/// really have ([`crate::system::usable_memory`]: available memory and the address-space
/// limit) when that is less, so that a table is refused with an error rather than aborting.
pub(crate) fn default_memory_limit() -> u128 {
    let cap: u128 = 2 << 30;
    crate::system::usable_memory().map_or(cap, |m| cap.min(u128::from(m) / 4 * 3))
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
pub(crate) fn table_bytes(matrices: usize, cost_bytes: usize) -> u128 {
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

/// Whether every sub-chain's cost is below 2^53, so that `f64` cells hold every value the
/// program computes exactly (integers, sums and products of integers below 2^53 are exact).
fn fits_f64(chain: &Chain) -> bool {
    let p = u128::from(chain.max_dim());
    let steps = chain.matrices().saturating_sub(1) as u128;
    p.checked_mul(p)
        .and_then(|x| x.checked_mul(p))
        .and_then(|x| x.checked_mul(steps))
        .is_some_and(|bound| bound < 1 << 53)
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
        return Err(PlanError::ChainTooLong {
            matrices: n,
            algorithm: "dp",
            needed_bytes: needed,
            limit_bytes: options.memory_limit,
            suggestion: "Hu–Shing's planner (hu-shing) is exact in O(n) memory",
        }
        .into());
    }
    if let Some(plan) = remembered(chain, objective) {
        return Ok(plan);
    }
    let parallel = options.parallel && n >= 8 * TILE && pool_threads() > 1;
    let split = if fits_f64(chain) {
        // Exact here, and faster: AVX2 has a native f64 minimum and multiply, not u64 ones.
        fill::<f64>(chain, objective, parallel)
    } else if narrow {
        fill::<u64>(chain, objective, parallel)
    } else {
        fill::<u128>(chain, objective, parallel)
    };
    let plan = Plan::from_splits(chain, |i, j| split[i * n + j] as usize)?;
    remember(&plan, objective);
    Ok(plan)
}

thread_local! {
    /// The last plan [`solve`] found on this thread for each objective (`Min`, `Max`).
    static LAST: std::cell::RefCell<[Option<Plan>; 2]> = const { std::cell::RefCell::new([None, None]) };
}

/// The plan [`solve`] last found on this thread for `chain` and `objective`, if it was for
/// the same dimensions. One request plans the same chain several times: a goal's program
/// checks the cheapest plan against its cap, a report compares with the cheapest and the
/// worst order; each program after the first is then a copy of its plan, the same plan the
/// program would find again (it is deterministic, whatever the options but the memory limit,
/// which [`solve`] checks first).
fn remembered(chain: &Chain, objective: Objective) -> Option<Plan> {
    LAST.try_with(|last| {
        last.borrow()[objective as usize]
            .as_ref()
            .filter(|plan| plan.chain().dims() == chain.dims())
            .cloned()
    })
    .ok()
    .flatten()
}

/// Keeps `plan` as this thread's last plan for `objective` (see [`remembered`]).
fn remember(plan: &Plan, objective: Objective) {
    let _ = LAST.try_with(|last| last.borrow_mut()[objective as usize] = Some(plan.clone()));
}

/// The AVX2 kernel of a cell type: [`Cell::best_of`] for CPUs with AVX2 and FMA.
type Avx2Kernel<T> = unsafe fn(&[T], &[T], &[T], T, Objective) -> (T, usize);

/// A cost cell type: `f64` (when every cost is an integer below 2^53, so exact), `u64` or
/// `u128`. Overflow and rounding are ruled out before [`fill`] is called.
trait Cell:
    Copy + Send + Sync + PartialOrd + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    /// The vectorised [`Cell::best_of`], for types that have one; called only where the CPU
    /// has AVX2.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    const AVX2: Option<Avx2Kernel<Self>> = None;
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
        #[cfg(target_arch = "x86_64")]
        if let Some(kernel) = Self::AVX2 {
            if row.len() >= 16
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                return unsafe { kernel(row, col, pk, outer, objective) };
            }
        }
        match objective {
            Objective::Min => scan::<Self, false>(row, col, pk, outer),
            Objective::Max => scan::<Self, true>(row, col, pk, outer),
        }
    }
}

impl Cell for u64 {
    const ZERO: Self = 0;
    #[cfg(target_arch = "x86_64")]
    const AVX2: Option<Avx2Kernel<Self>> = Some(simd::best_of_avx2);
    fn from_u32(x: u32) -> Self {
        u64::from(x)
    }
}

impl Cell for u128 {
    const ZERO: Self = 0;
    fn from_u32(x: u32) -> Self {
        u128::from(x)
    }
}

impl Cell for f64 {
    const ZERO: Self = 0.0;
    #[cfg(target_arch = "x86_64")]
    const AVX2: Option<Avx2Kernel<Self>> = Some(simd::best_of_avx2_f64);
    fn from_u32(x: u32) -> Self {
        f64::from(x)
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

    use std::arch::x86_64::*;

    // The three f64 kernels below repeat their loads and loops instead of sharing helper
    // functions: closures handed from one `target_feature` function to another were not
    // inlined (each lane a call), which made the program three times slower.

    /// The same two passes for exact `f64` cells (integers below 2^53, so every sum and
    /// product is exact, fused or not, and the order of operations does not matter), with
    /// explicit AVX2 and FMA: the best value in four accumulators (a minimum has a latency of
    /// four cycles and two issue per cycle: fewer chains would wait on it), then the first
    /// block of sixteen lanes holding it and the first lane in that block.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn best_of_avx2_f64(
        row: &[f64],
        col: &[f64],
        pk: &[f64],
        outer: f64,
        objective: Objective,
    ) -> (f64, usize) {
        let len = row.len();
        let (col, pk) = (&col[..len], &pk[..len]);
        let value = |x: usize| row[x] + col[x] + outer * pk[x];
        let max = matches!(objective, Objective::Max);
        let (r, c, q) = (row.as_ptr(), col.as_ptr(), pk.as_ptr());
        let o = _mm256_set1_pd(outer);
        // SAFETY (all loads): x + 16 <= len or x + 4 <= len below, and the slices have len
        // elements.
        let at = |x: usize| {
            _mm256_fmadd_pd(
                o,
                _mm256_loadu_pd(q.add(x)),
                _mm256_add_pd(_mm256_loadu_pd(r.add(x)), _mm256_loadu_pd(c.add(x))),
            )
        };
        let pick = |a: __m256d, b: __m256d| {
            if max {
                _mm256_max_pd(a, b)
            } else {
                _mm256_min_pd(a, b)
            }
        };
        let start = if max { -1.0 } else { f64::INFINITY };
        let mut acc = [_mm256_set1_pd(start); 4];
        let mut x = 0;
        while x + 16 <= len {
            for (a, lane) in acc.iter_mut().zip((x..x + 16).step_by(4)) {
                *a = pick(*a, at(lane));
            }
            x += 16;
        }
        while x + 4 <= len {
            acc[0] = pick(acc[0], at(x));
            x += 4;
        }
        let mut lanes = [0.0f64; 4];
        _mm256_storeu_pd(
            lanes.as_mut_ptr(),
            pick(pick(acc[0], acc[1]), pick(acc[2], acc[3])),
        );
        let better = |a: f64, b: f64| if max { a.max(b) } else { a.min(b) };
        let mut best = lanes.iter().copied().fold(start, better);
        for y in x..len {
            best = better(best, value(y));
        }
        let target = _mm256_set1_pd(best);
        let equal = |x: usize| _mm256_cmp_pd::<_CMP_EQ_OQ>(at(x), target);
        let mut x = 0;
        while x + 16 <= len {
            let any = _mm256_or_pd(
                _mm256_or_pd(equal(x), equal(x + 4)),
                _mm256_or_pd(equal(x + 8), equal(x + 12)),
            );
            if _mm256_movemask_pd(any) != 0 {
                break;
            }
            x += 16;
        }
        while x + 4 <= len {
            let mask = _mm256_movemask_pd(equal(x));
            if mask != 0 {
                return (best, x + mask.trailing_zeros() as usize);
            }
            x += 4;
        }
        let x = (x..len).find(|&y| value(y) == best).unwrap_or(0);
        (best, x)
    }

    /// [`super::for_each_at_most`] with AVX2 and FMA: sixteen bounds per test, and the lanes
    /// of a block that passes one by one.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn for_each_at_most_avx2(
        row: &[f64],
        col: &[f64],
        pk: &[f64],
        outer: f64,
        limit: f64,
        mut visit: impl FnMut(usize) -> f64,
    ) {
        let len = row.len();
        let (col, pk) = (&col[..len], &pk[..len]);
        let (r, c, q) = (row.as_ptr(), col.as_ptr(), pk.as_ptr());
        let o = _mm256_set1_pd(outer);
        // SAFETY (all loads): x + 16 <= len or x + 4 <= len below, and the slices have len
        // elements.
        let at = |x: usize| {
            _mm256_fmadd_pd(
                o,
                _mm256_loadu_pd(q.add(x)),
                _mm256_add_pd(_mm256_loadu_pd(r.add(x)), _mm256_loadu_pd(c.add(x))),
            )
        };
        let below = |x: usize, t: __m256d| _mm256_cmp_pd::<_CMP_LE_OQ>(at(x), t);
        let mut limit = limit;
        let mut t = _mm256_set1_pd(limit);
        let mut x = 0;
        while x + 4 <= len {
            if x + 16 <= len {
                let any = _mm256_or_pd(
                    _mm256_or_pd(below(x, t), below(x + 4, t)),
                    _mm256_or_pd(below(x + 8, t), below(x + 12, t)),
                );
                if _mm256_movemask_pd(any) == 0 {
                    x += 16;
                    continue;
                }
            }
            let mut mask = _mm256_movemask_pd(below(x, t));
            while mask != 0 {
                limit = visit(x + mask.trailing_zeros() as usize);
                t = _mm256_set1_pd(limit);
                // The block's later lanes, against the new threshold.
                mask &= mask - 1;
                mask &= _mm256_movemask_pd(below(x, t));
            }
            x += 4;
        }
        for y in x..len {
            if row[y] + col[y] + outer * pk[y] <= limit {
                limit = visit(y);
            }
        }
    }

    /// min over x of max(row\[x\], col\[x\]), for the min–max program on exact `f64` cells
    /// (sizes below 2^53), in four accumulators; `f64::INFINITY` for empty rows.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn min_of_max_avx2(row: &[f64], col: &[f64]) -> f64 {
        let len = row.len();
        let col = &col[..len];
        let (r, c) = (row.as_ptr(), col.as_ptr());
        // SAFETY (all loads): x + 16 <= len or x + 4 <= len, and both slices have len elements.
        let at = |x: usize| _mm256_max_pd(_mm256_loadu_pd(r.add(x)), _mm256_loadu_pd(c.add(x)));
        let mut acc = [_mm256_set1_pd(f64::INFINITY); 4];
        let mut x = 0;
        while x + 16 <= len {
            for (a, lane) in acc.iter_mut().zip((x..x + 16).step_by(4)) {
                *a = _mm256_min_pd(*a, at(lane));
            }
            x += 16;
        }
        while x + 4 <= len {
            acc[0] = _mm256_min_pd(acc[0], at(x));
            x += 4;
        }
        let mut lanes = [0.0f64; 4];
        _mm256_storeu_pd(
            lanes.as_mut_ptr(),
            _mm256_min_pd(_mm256_min_pd(acc[0], acc[1]), _mm256_min_pd(acc[2], acc[3])),
        );
        let best = lanes.iter().copied().fold(f64::INFINITY, f64::min);
        (x..len).map(|y| row[y].max(col[y])).fold(best, f64::min)
    }
}

/// Fills the tables and returns the split table (`split[i * n + j]` = k).
fn fill<T: Cell + Pooled>(chain: &Chain, objective: Objective, parallel: bool) -> Table<u32> {
    let n = chain.matrices();
    let p: Vec<T> = chain.dims().iter().map(|&d| T::from_u32(d)).collect();
    // Below 8 tiles a side, the waves are too short to be worth the threads.
    let (_, split) = by_tiles(
        n,
        T::ZERO,
        parallel && n >= 8 * TILE,
        |row, col, i, j, _| best(row, col, &p[i + 1..j + 1], p[i] * p[j + 1], objective, i),
    );
    split
}

/// Rows and columns per tile in [`by_tiles`]: a tile's row segments (8 KiB each at n = 1000)
/// stay in L2, and each column segment in L1 while the tile's rows use it.
const TILE: usize = 32;

/// The three tables, shared by the threads of [`by_tiles`], each writing only its own tile.
struct Tables<T> {
    cost: *mut T,
    cost_t: *mut T,
    split: *mut u32,
    n: usize,
}

// SAFETY: the pointers are only used as `by_tiles` describes: threads write disjoint cells
// and read only cells that no thread is writing.
unsafe impl<T: Send> Send for Tables<T> {}
unsafe impl<T: Sync> Sync for Tables<T> {}

/// The driver of every program in this module. Fills `cost[i * n + j]` = m\[i\]\[j\], its
/// transpose, and the split table; each cell is `cell(row, col, i, j)`, with `row` =
/// m\[i\]\[i..j\] and `col` = m\[i+1..=j\]\[j\] (both contiguous), returning its value and
/// split. Returns the cost table and the split table.
///
/// The upper triangle is cut into TILE × TILE tiles; tile (I, J) holds rows I·TILE.. and
/// columns J·TILE... Within a tile, columns run left to right and rows bottom-up, so each
/// column segment is read from L1 by every row of the tile and each row segment stays in L2,
/// instead of streaming from memory per cell as an anti-diagonal order does.
///
/// Cell (i, j) reads row i left of j (tiles (I, J') with J' ≤ J) and column j below i (tiles
/// (I', J) with I' ≥ I). Both lie in tiles with a smaller J − I, or in the tile itself, so the
/// tiles of one wave J − I = w are independent once the waves before it are done: with
/// `parallel`, each wave's tiles run on several threads. On one thread, rows of tiles run
/// bottom-up, each left to right, so a tile row's row segments stay in cache from tile to
/// tile.
///
/// Measured (`cargo bench --bench planner`, 1,000 random dimensions in 1..=1000, 2-core AMD
/// EPYC): 82 ms on two threads against 139 ms for the anti-diagonal order this replaced,
/// whose threads streamed every column from memory; 120 ms on one.
fn by_tiles<T: Pooled>(
    n: usize,
    zero: T,
    parallel: bool,
    cell: impl Fn(&[T], &[T], usize, usize, &mut Vec<T>) -> (T, u32) + Sync,
) -> (Table<T>, Table<u32>) {
    let mut cost = Table::new(n, zero);
    let mut cost_t = Table::new(n, zero);
    let mut split = Table::new(n, 0u32);
    let tables = Tables {
        cost: cost.as_mut_ptr(),
        cost_t: cost_t.as_mut_ptr(),
        split: split.as_mut_ptr(),
        n,
    };
    let tile = |ti: usize, tj: usize| {
        let t = &tables;
        let rows = ti * TILE..((ti + 1) * TILE).min(n);
        let cols = tj * TILE..((tj + 1) * TILE).min(n);
        // Scratch for the cells that need a row of step costs: one allocation per tile.
        let mut scratch = Vec::new();
        for j in cols.start.max(rows.start + 1)..cols.end {
            for i in (rows.start..rows.end.min(j)).rev() {
                // SAFETY: in bounds (i < j < n); the row and column segments are cells of
                // earlier waves (or tile rows) or of this tile, computed above, which no
                // thread writes now; the three cells written belong to this tile alone.
                unsafe {
                    let row = std::slice::from_raw_parts(t.cost.add(i * t.n + i), j - i);
                    let col = std::slice::from_raw_parts(t.cost_t.add(j * t.n + i + 1), j - i);
                    let (c, k) = cell(row, col, i, j, &mut scratch);
                    *t.cost.add(i * t.n + j) = c;
                    *t.cost_t.add(j * t.n + i) = c;
                    *t.split.add(i * t.n + j) = k;
                }
            }
        }
    };
    let tiles = n.div_ceil(TILE);
    if parallel {
        let waves = || {
            for wave in 0..tiles {
                (0..tiles - wave)
                    .into_par_iter()
                    .for_each(|ti| tile(ti, ti + wave));
            }
        };
        match own_pool() {
            Some(pool) if rayon::current_thread_index().is_none() => pool.install(waves),
            _ => waves(),
        }
    } else {
        for ti in (0..tiles).rev() {
            (ti..tiles).for_each(|tj| tile(ti, tj));
        }
    }
    (cost, split)
}

/// The planners' own thread pool, started at the first parallel fill (never for a table too
/// small to share out, so that planning a short chain starts no thread); `None` when its
/// threads cannot be started, and the fills then run on the calling thread. (The global pool
/// would panic instead.)
fn own_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().build().ok())
        .as_ref()
}

/// Threads a parallel fill can use: those of the rayon pool the caller runs in, if any, else
/// those of [`own_pool`] (1 when it cannot start).
fn pool_threads() -> usize {
    if rayon::current_thread_index().is_some() {
        rayon::current_num_threads()
    } else {
        own_pool().map_or(1, |pool| pool.current_num_threads())
    }
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
/// first if it asks. Exact for every goal; the textbook goal ([`DpGoal::is_plain_flops`]) runs
/// the fast path of [`solve`].
///
/// Errors: [`PlanError::NoPlanFits`] when no order meets the cap (naming the smallest cap that
/// would), [`PlanError::ChainTooLong`] when the tables would exceed the memory limit.
///
/// ```
/// // Through the public entry point, which plans with this function.
/// use chainplan::{cost::Minimize, plan::dp, Chain, PlanRequest};
/// let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
/// let lean = PlanRequest::new().minimize(Minimize::Memory).plan(&chain)?.plan;
/// assert_eq!(lean.largest_intermediate(), dp::min_peak(&chain, &Default::default())?);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub(crate) fn solve_goal(chain: &Chain, goal: &DpGoal<'_>, options: &DpOptions) -> Result<Plan> {
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
                    return Err(PlanError::NoPlanFits {
                        cap,
                        smallest: best,
                    }
                    .into())
                }
                _ => Some(best),
            }
        }
    };
    // The cheapest plan without a cap is the capped program's plan whenever it meets the
    // cap: every cell of its tree keeps its value under the cap, every other cell can only
    // grow, so each of its splits is still the first best one. Skips the capped program
    // (and, for memory first, whenever the cheapest plan has the least peak) when that plan
    // is at hand, or when the capped program would run on the slower integer cells. Where
    // both would run the same f64 kernel, running the free program first could only add a
    // second program when the cap binds.
    if let (StepCost::Flops, Some(c)) = (goal.cost, cap) {
        let free = match remembered(chain, Objective::Min) {
            Some(plan) => Some(plan),
            None if !fits_f64(chain) => Some(solve(chain, Objective::Min, options)?),
            None => None,
        };
        if let Some(free) = free.filter(|free| free.largest_intermediate() <= c) {
            return Ok(free);
        }
    }
    let split = match goal.cost {
        // Flops with a cap where f64 is exact: the fast path's kernel, infeasible cells
        // infinite (an infinity absorbs the additions and loses every minimum).
        StepCost::Flops if fits_f64(chain) => {
            check_tables(chain, 8, options)?;
            fill_capped(chain, cap, options.parallel)
        }
        // As in the fast path: u64 cells when no sub-chain can overflow them, else u128
        // (fits_u64 fails if costs might not fit u128).
        StepCost::Flops if fits_u64(chain)? => {
            check_tables(chain, 8, options)?;
            let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
            fill_general::<u64>(chain, cap, options.parallel, |i, ks, j, out| {
                out.clear();
                out.extend(ks.map(|k| p[i] * p[k] * p[j]));
            })
        }
        StepCost::Flops => {
            check_tables(chain, 16, options)?;
            let p: Vec<u128> = chain.dims().iter().map(|&d| u128::from(d)).collect();
            fill_general::<u128>(chain, cap, options.parallel, |i, ks, j, out| {
                out.clear();
                out.extend(ks.map(|k| p[i] * p[k] * p[j]));
            })
        }
        StepCost::Time(model) => {
            check_tables(chain, 8, options)?;
            let prepared = model.prepare_rows(chain.dims());
            fill_timed(chain, cap, options.parallel, prepared.as_ref())
        }
    };
    let Some(split) = split else {
        return Err(PlanError::NoPlanFits {
            cap: cap.unwrap_or(0),
            smallest: min_peak(chain, options)?,
        }
        .into());
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
    let parallel = options.parallel && n >= 8 * TILE && pool_threads() > 1;
    let max = u128::from(chain.max_dim());
    if max * max < 1 << 53 {
        // Every size is an integer below 2^53, exact in f64, where AVX2 has a minimum and a
        // maximum (it has none for u64).
        let p: Vec<f64> = chain.dims().iter().map(|&d| f64::from(d)).collect();
        let (peak, _) = by_tiles(n, 0.0, parallel, |row, col, i, j, _| {
            let own = if j - i + 1 == n { 0.0 } else { p[i] * p[j + 1] };
            (own.max(min_of_max(row, col)), 0)
        });
        // An exact integer below 2^53.
        return Ok(peak[n - 1] as u128);
    }
    Ok(min_peak_u64(chain, parallel))
}

/// [`min_peak`] on `u64` cells, for any chain (of at least three matrices).
fn min_peak_u64(chain: &Chain, parallel: bool) -> u128 {
    let n = chain.matrices();
    let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
    // Each own size is a product of two u32s, so every cell fits u64.
    let (peak, _) = by_tiles(n, 0u64, parallel, |row, col, i, j, _| {
        let own = if j - i + 1 == n { 0 } else { p[i] * p[j + 1] };
        let inner = row
            .iter()
            .zip(col)
            .map(|(&a, &b)| a.max(b))
            .min()
            .unwrap_or(0);
        (own.max(inner), 0)
    });
    u128::from(peak[n - 1])
}

/// min over x of max(row\[x\], col\[x\]) (rows are never empty), vectorised where the CPU
/// has AVX2.
#[inline]
fn min_of_max(row: &[f64], col: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if row.len() >= 16 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { simd::min_of_max_avx2(row, col) };
    }
    row.iter()
        .zip(col)
        .map(|(&a, &b)| a.max(b))
        .fold(f64::INFINITY, f64::min)
}

/// Refuses tables of `cost_bytes`-byte cells over the memory limit, before allocating them.
fn check_tables(chain: &Chain, cost_bytes: usize, options: &DpOptions) -> Result<()> {
    let n = chain.matrices();
    let needed = table_bytes(n, cost_bytes);
    if needed > options.memory_limit || u32::try_from(n).is_err() {
        return Err(PlanError::ChainTooLong {
            matrices: n,
            algorithm: "dp with a cost model",
            needed_bytes: needed,
            limit_bytes: options.memory_limit,
            suggestion: "plan a shorter chain",
        }
        .into());
    }
    Ok(())
}

/// A cost cell of the general program: exact `u128` or `f64` seconds, with an infinity for
/// infeasible sub-chains that absorbs additions.
pub(crate) trait Score: Copy + Send + Sync + PartialOrd {
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
pub(crate) fn fill_general<T: Score + Pooled>(
    chain: &Chain,
    cap: Option<u128>,
    parallel: bool,
    step_row: impl Fn(usize, std::ops::Range<usize>, usize, &mut Vec<T>) + Sync,
) -> Option<Table<u32>> {
    let n = chain.matrices();
    let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
    // Each cell costs more than in the textbook program (a row of predicted times, or wide
    // integers), so threads pay from fewer tiles.
    let parallel = parallel && n >= 2 * TILE && pool_threads() > 1;
    let (cost, split) = by_tiles(n, T::ZERO, parallel, |row, col, i, j, steps| {
        let own = u128::from(p[i]) * u128::from(p[j + 1]);
        if j - i + 1 < n && cap.is_some_and(|c| own > c) {
            return (T::INF, i as u32);
        }
        step_row(i, i + 1..j + 1, j + 1, steps);
        let mut best = T::INF;
        let mut best_k = i;
        // An infeasible operand is INF, and INF absorbs additions: no branch needed.
        for (x, ((&a, &b), &s)) in row.iter().zip(col).zip(steps.iter()).enumerate() {
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

/// The textbook program under a cap, on [`fill`]'s fast path (exact `f64` cells, the AVX2
/// kernel): the result of every sub-chain but the whole chain must hold at most `cap`
/// elements, else the cell is infinite. Gives [`fill_general`]'s splits (ties to the first
/// split) in a fraction of its time; `None` when no plan fits. Only for chains that pass
/// [`fits_f64`].
fn fill_capped(chain: &Chain, cap: Option<u128>, parallel: bool) -> Option<Table<u32>> {
    let n = chain.matrices();
    let dims = chain.dims();
    let p: Vec<f64> = dims.iter().map(|&d| f64::from(d)).collect();
    let parallel = parallel && n >= 8 * TILE && pool_threads() > 1;
    let (cost, split) = by_tiles(n, 0.0, parallel, |row, col, i, j, _| {
        let own = u128::from(dims[i]) * u128::from(dims[j + 1]);
        if j - i + 1 < n && cap.is_some_and(|c| own > c) {
            return (f64::INFINITY, i as u32);
        }
        best(
            row,
            col,
            &p[i + 1..j + 1],
            p[i] * p[j + 1],
            Objective::Min,
            i,
        )
    });
    (cost[n - 1] != f64::INFINITY).then_some(split)
}

/// The general program under the time model ([`fill_general`]'s splits, to the bit), pruned
/// by a lower bound: a split's predicted time is at least [`TimeRows::least_per_mult`] times
/// its scalar multiplications, so `row + col + bound` (the textbook kernel, vectorised) is at
/// most the split's cost. The split with the least bound among every 32nd ([`SAMPLE`]) gives
/// a first best, its exact cost; then only the splits whose bound does not exceed the best so
/// far (the kernel, one vectorised pass) get their exact time (an `exp` each), in order, ties
/// to the first. Exact, as every split that could reach the minimum has a bound at most the
/// minimum and is evaluated.
pub(crate) fn fill_timed(
    chain: &Chain,
    cap: Option<u128>,
    parallel: bool,
    times: &dyn TimeRows,
) -> Option<Table<u32>> {
    let n = chain.matrices();
    let dims = chain.dims();
    let p: Vec<f64> = dims.iter().map(|&d| f64::from(d)).collect();
    let parallel = parallel && n >= 8 * TILE && pool_threads() > 1;
    let (cost, split) = by_tiles(n, 0.0, parallel, |row, col, i, j, cell| {
        let own = u128::from(dims[i]) * u128::from(dims[j + 1]);
        if j - i + 1 < n && cap.is_some_and(|c| own > c) {
            return (f64::INFINITY, i as u32);
        }
        times.cell(i, j + 1, cell);
        let outer = times.least_per_mult(cell) * p[i] * p[j + 1];
        let pk = &p[i + 1..j + 1];
        // The same sum, in the same order, as the general program's.
        let exact = |x: usize| (row[x] + col[x]) + times.seconds(cell, i, i + 1 + x, j + 1);
        // A first best: the exact time of the split with the least bound among every 32nd
        // (a full pass of the kernel cost more than the visits it saves). Where that split is
        // infeasible, the kernel's least bound over all splits decides: if it is infeasible
        // too, so is every split.
        let bound = |x: usize| row[x] + col[x] + outer * pk[x];
        let mut sampled = (f64::INFINITY, 0);
        for x in (0..row.len()).step_by(SAMPLE) {
            let b = bound(x);
            if b < sampled.0 {
                sampled = (b, x);
            }
        }
        let sampled = sampled.1;
        let mut best = (exact(sampled), sampled);
        if best.0 == f64::INFINITY {
            let (_, first) = f64::best_of(row, col, pk, outer, Objective::Min);
            best = (exact(first), first);
            if best.0 == f64::INFINITY {
                return (f64::INFINITY, i as u32);
            }
        }
        for_each_at_most(row, col, pk, outer, best.0, |x| {
            let c = exact(x);
            if c < best.0 || (c == best.0 && x < best.1) {
                best = (c, x);
            }
            best.0
        });
        (best.0, (i + best.1) as u32)
    });
    (cost[n - 1] != f64::INFINITY).then_some(split)
}

/// [`fill_timed`]'s stride over the splits for its first best.
const SAMPLE: usize = 32;

/// Calls `visit(x)`, in increasing x, for every x with `row[x] + col[x] + outer·pk[x]` at
/// most the threshold, which starts at `limit` and is then what the last `visit` returned.
#[inline]
fn for_each_at_most(
    row: &[f64],
    col: &[f64],
    pk: &[f64],
    outer: f64,
    limit: f64,
    mut visit: impl FnMut(usize) -> f64,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        return unsafe { simd::for_each_at_most_avx2(row, col, pk, outer, limit, visit) };
    }
    let len = row.len();
    let (col, pk) = (&col[..len], &pk[..len]);
    let mut limit = limit;
    for x in 0..len {
        if row[x] + col[x] + outer * pk[x] <= limit {
            limit = visit(x);
        }
    }
}

/// Cell types whose tables [`Table`] keeps for reuse: each has a pool per thread.
pub(crate) trait Pooled: Copy + Send + Sync + 'static {
    /// This thread's tables of this type, kept for the next program.
    fn pool() -> &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<Self>>>>;
}

macro_rules! pooled {
    ($($t:ty),*) => {$(
        impl Pooled for $t {
            fn pool() -> &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<Self>>>> {
                thread_local! {
                    static POOL: std::cell::RefCell<Vec<Vec<$t>>> =
                        const { std::cell::RefCell::new(Vec::new()) };
                }
                &POOL
            }
        }
    )*};
}
pooled!(f64, u64, u128, u32);

/// Largest table [`Table`] keeps for reuse, in bytes: an `f64` table of 1,000 matrices (8 MB)
/// fits. Larger tables are freed when dropped, as before.
const POOLED_TABLE_BYTES: usize = 8 << 20;

/// Tables of each type kept per thread: the cost table and its transpose.
const POOLED_TABLES: usize = 2;

/// An n × n table of the dynamic program. Its memory comes from, and goes back to, a small
/// per-thread pool, so that the programs one request runs one after another (the chosen plan,
/// then the worst order for the comparison; the min–max pass, then the capped program) fill
/// the same pages instead of each mapping and faulting in fresh ones. At most
/// [`POOLED_TABLES`] tables of at most [`POOLED_TABLE_BYTES`] each are kept per cell type and
/// thread (64 MiB in all at the very most, 24 MB after planning 1,000 matrices).
///
/// Every program writes each upper cell (i < j) before reading it and never writes the
/// diagonal, which must be zero; a reused table of the same size therefore needs only its
/// diagonal cleared, and one of another size is cleared whole.
pub(crate) struct Table<T: Pooled> {
    cells: Vec<T>,
}

impl<T: Pooled> Table<T> {
    fn new(n: usize, zero: T) -> Self {
        let len = n * n;
        let reused = T::pool().with(|pool| {
            let mut pool = pool.borrow_mut();
            let at = pool
                .iter()
                .position(|v| v.len() == len)
                .or_else(|| pool.len().checked_sub(1));
            at.map(|at| pool.swap_remove(at))
        });
        let cells = match reused {
            Some(mut cells) if cells.len() == len => {
                for d in 0..n {
                    cells[d * n + d] = zero;
                }
                cells
            }
            Some(mut cells) => {
                cells.clear();
                cells.resize(len, zero);
                cells
            }
            // A fresh table: `vec!` of zeros maps pages lazily, which only the touched
            // (upper or lower) half faults in.
            None => vec![zero; len],
        };
        Table { cells }
    }

    fn as_mut_ptr(&mut self) -> *mut T {
        self.cells.as_mut_ptr()
    }
}

impl<T: Pooled> std::ops::Deref for Table<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.cells
    }
}

impl<T: Pooled> Drop for Table<T> {
    fn drop(&mut self) {
        let cells = std::mem::take(&mut self.cells);
        if cells.is_empty() || std::mem::size_of_val(cells.as_slice()) > POOLED_TABLE_BYTES {
            return;
        }
        // `try_with`: a table dropped while the thread exits is simply freed.
        let _ = T::pool().try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOLED_TABLES {
                pool.push(cells);
            }
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn textbook_worst_is_worse() {
        let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap();
        let w = worst(&chain).unwrap();
        assert!(w.cost() > 15125);
    }

    /// Dimensions from a fixed linear congruential sequence, in 1..=max.
    pub(crate) fn lcg_chain(matrices: usize, max: u32, seed: u64) -> Chain {
        let mut x = seed;
        let dims: Vec<u32> = (0..=matrices)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                1 + (x >> 33) as u32 % max
            })
            .collect();
        Chain::new(dims).unwrap()
    }

    #[test]
    fn every_cell_type_gives_the_same_splits() {
        // Small dimensions, where f64, u64 and u128 cells are all exact; rows long enough for
        // the AVX2 kernels; repeated small values for many ties (the first best split wins).
        for (max, seed) in [(1000, 1), (4, 2), (60, 3)] {
            let chain = lcg_chain(150, max, seed);
            assert!(fits_f64(&chain));
            for objective in [Objective::Min, Objective::Max] {
                for parallel in [false, true] {
                    let a = fill::<f64>(&chain, objective, parallel);
                    let b = fill::<u64>(&chain, objective, parallel);
                    let c = fill::<u128>(&chain, objective, parallel);
                    assert!(
                        a[..] == b[..] && b[..] == c[..],
                        "max {max}, {objective:?}, parallel {parallel}"
                    );
                }
            }
        }
    }

    #[test]
    fn tables_reused_across_sizes_give_what_fresh_tables_give() {
        // This thread's pooled tables are reused, and reshaped, from program to program; a
        // new thread starts with an empty pool, so its tables are fresh.
        let sizes = [150, 40, 7, 150, 300, 40, 150];
        let chains: Vec<Chain> = sizes
            .iter()
            .enumerate()
            .map(|(s, &n)| lcg_chain(n, 500, 10 + s as u64))
            .collect();
        let run = |chains: &[Chain]| -> Vec<(Vec<u32>, Vec<u32>, u128)> {
            chains
                .iter()
                .map(|c| {
                    let min = fill::<f64>(c, Objective::Min, true).to_vec();
                    let max = fill::<u64>(c, Objective::Max, false).to_vec();
                    (min, max, min_peak(c, &DpOptions::default()).unwrap())
                })
                .collect()
        };
        let reused = run(&chains);
        let fresh: Vec<_> = chains
            .iter()
            .map(|c| std::thread::scope(|s| s.spawn(|| run(std::slice::from_ref(c))).join()))
            .map(|r| r.unwrap().remove(0))
            .collect();
        assert!(reused == fresh);
    }

    #[test]
    fn the_capped_fast_path_gives_the_general_programs_splits() {
        // Many ties (small dimensions) and caps from none to nothing feasible.
        for (n, max, seed) in [(150, 6, 21), (300, 1000, 22), (70, 40, 23)] {
            let chain = lcg_chain(n, max, seed);
            let p: Vec<u64> = chain.dims().iter().map(|&d| u64::from(d)).collect();
            let peak = min_peak(&chain, &DpOptions::default()).unwrap();
            for cap in [
                None,
                Some(u128::MAX),
                Some(peak * 2),
                Some(peak),
                Some(peak.max(1) - 1),
            ] {
                for parallel in [false, true] {
                    let fast = fill_capped(&chain, cap, parallel).map(|t| t.to_vec());
                    let general = fill_general::<u64>(&chain, cap, parallel, |i, ks, j, out| {
                        out.clear();
                        out.extend(ks.map(|k| p[i] * p[k] * p[j]));
                    })
                    .map(|t| t.to_vec());
                    assert!(fast == general, "n {n}, cap {cap:?}, parallel {parallel}");
                    assert_eq!(fast.is_some(), cap.is_none_or(|c| c >= peak));
                }
            }
        }
    }

    #[test]
    fn the_f64_min_max_program_gives_the_u64_programs_peak() {
        // Rows long and short around the kernel's blocks of 16; many ties at small sizes.
        for (n, max, seed) in [(3, 9, 31), (17, 5, 32), (150, 1000, 33), (300, 3, 34)] {
            let chain = lcg_chain(n, max, seed);
            for parallel in [false, true] {
                let options = DpOptions {
                    parallel,
                    ..Default::default()
                };
                assert_eq!(
                    min_peak(&chain, &options).unwrap(),
                    min_peak_u64(&chain, parallel),
                    "n {n}, max {max}"
                );
            }
        }
    }

    #[test]
    fn a_cap_the_cheapest_plan_meets_gives_the_capped_programs_plan() {
        // solve_goal returns the uncapped plan when it meets the cap; the capped program,
        // run directly, must find the very same splits (ties included: small dimensions).
        for (n, max, seed) in [(150, 6, 41), (200, 1000, 42), (60, 40, 43)] {
            let chain = lcg_chain(n, max, seed);
            let free = optimal(&chain).unwrap();
            let peak = free.largest_intermediate();
            for cap in [peak, peak + 1, u128::MAX] {
                let fast = fill_capped(&chain, Some(cap), false).unwrap();
                let direct = Plan::from_splits(&chain, |i, j| fast[i * n + j] as usize).unwrap();
                let goal = DpGoal::flops().with_max_intermediate(cap);
                let planned = solve_goal(&chain, &goal, &DpOptions::default()).unwrap();
                assert_eq!(planned, direct, "n {n}, cap {cap}");
                assert_eq!(planned, free);
                // On a fresh thread the cheapest plan is not at hand: the capped program runs.
                let fresh = std::thread::scope(|s| {
                    s.spawn(|| solve_goal(&chain, &goal, &DpOptions::default()).unwrap())
                        .join()
                        .unwrap()
                });
                assert_eq!(fresh, free, "n {n}, cap {cap}");
            }
        }
    }

    #[test]
    fn remembered_plans_are_for_their_own_chain() {
        // Alternating chains (some of equal length) and objectives on one thread give what a
        // fresh thread, with nothing remembered, gives.
        let chains = [
            lcg_chain(40, 50, 51),
            lcg_chain(40, 50, 52),
            lcg_chain(7, 9, 53),
        ];
        for c in chains.iter().chain(chains.iter().rev()) {
            for objective in [Objective::Min, Objective::Max, Objective::Min] {
                let here = solve(c, objective, &DpOptions::default()).unwrap();
                let fresh = std::thread::scope(|s| {
                    s.spawn(|| solve(c, objective, &DpOptions::default()).unwrap())
                        .join()
                        .unwrap()
                });
                assert_eq!(here, fresh);
            }
        }
    }

    #[test]
    fn serial_and_parallel_goal_programs_agree() {
        // 300 matrices: ten tiles a side, so the parallel waves run in every program.
        let chain = lcg_chain(300, 1000, 5);
        let serial = DpOptions {
            parallel: false,
            ..Default::default()
        };
        let parallel = DpOptions::default();
        let peak = min_peak(&chain, &serial).unwrap();
        assert_eq!(min_peak(&chain, &parallel).unwrap(), peak);
        for goal in [
            DpGoal::flops().with_max_intermediate(peak * 3),
            DpGoal::flops().minimizing_memory(),
        ] {
            let a = solve_goal(&chain, &goal, &serial).unwrap();
            assert_eq!(a, solve_goal(&chain, &goal, &parallel).unwrap());
            assert!(a.largest_intermediate() <= peak * 3);
        }
    }

    #[test]
    fn costs_beyond_2_53_take_the_u64_tables() {
        // Bound 99 · 200,000³ ≈ 7.9e17: above 2^53 (f64 would round), below 2^64.
        let chain = lcg_chain(100, 200_000, 4);
        assert!(!fits_f64(&chain) && fits_u64(&chain).unwrap());
        let plan = optimal(&chain).unwrap();
        let wide = fill::<u128>(&chain, Objective::Min, false);
        let n = chain.matrices();
        let reference = Plan::from_splits(&chain, |i, j| wide[i * n + j] as usize).unwrap();
        assert_eq!(plan, reference);
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
        assert!(matches!(
            e,
            crate::Error::Plan(PlanError::ChainTooLong { matrices: 2000, .. })
        ));
        assert!(e.to_string().contains("hu-shing"));
    }
}
