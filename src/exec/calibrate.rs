//! Measuring this machine's GEMM times: the data behind [`TimeModel`]. A harness for the
//! `chainplan calibrate` command, with the non-default feature `benchmark`; it sits in
//! execution because it runs the executor, above the cost models it feeds.
//!
//! Each product is timed the way chains are executed: a one-step plan run by the executor of
//! [`crate::exec`] (BLAS `?gemm`, or `?gemv`/`?dot` when an operand is a vector, as there) on
//! standard-layout operands, writing with [`Executor::run_into`] into an output allocated and
//! touched before timing, so page faults on a fresh buffer are not counted. Every shape is
//! timed in [`CalibrateOptions::rounds`] rounds, the shapes in a fresh random order each
//! round, and within a round repeated until its share of [`CalibrateOptions::min_reps`]
//! samples and of [`CalibrateOptions::seconds_per_shape`] is reached; calls shorter than about
//! 20 µs are timed in batches so that the clock's own cost does not count. The **fastest**
//! sample over all rounds is kept: it is the least disturbed by other work on the machine.
//!
//! Why rounds in random order: a virtual machine's speed drifts over seconds (on this
//! project's machine, a 1 × 10 × 3 product took 0.35 µs in one minute and 0.23 µs in the
//! next). Timed once, in grid order, a whole region of the grid (say every large product)
//! can land in a slow spell, and the model then prefers other regions for no reason;
//! spreading each shape over the whole calibration gives every shape the same chance of a
//! quiet moment. On a shared machine (this project's: 2 cores, often a dozen compilers beside
//! it) the median of a 40 ms product measures the neighbours — whole time slices lost to
//! other processes — while small products fit between preemptions, so medians make large
//! products look several times slower than small ones relative to a quiet machine.

use crate::chain::Chain;
use crate::cost::time::{
    DtypeProfile, Profile, TimeModel, Timing, ValidationPoint, PROFILE_FORMAT,
};
use crate::cost::{ElementType, MachineInfo};
use crate::error::{Error, ExecError, Result};
use crate::exec::{Element, Executor};
use crate::plan::Plan;
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// The largest grid size [`calibrate`] accepts: three 4096 × 4096 f64 operands take 400 MB.
pub const MAX_GRID_DIM: u64 = 4096;

/// What to measure, and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrateOptions {
    /// Largest size on the grid (see [`CalibrateOptions::grid`]). Default 2000.
    pub max_dim: u64,
    /// Element types to measure. Default: both.
    pub dtypes: Vec<ElementType>,
    /// Fewest timed samples per shape. Default 3.
    pub min_reps: usize,
    /// Least time spent sampling one shape, in seconds, over all rounds. Default 0.01.
    pub seconds_per_shape: f64,
    /// Passes over all shapes, each in a fresh random order; the fastest sample of any pass is
    /// kept. Default 3.
    pub rounds: usize,
    /// Random off-grid shapes timed to check the model (and set the least gain of
    /// [`TimeModel::default_min_gain`]). Default 64.
    pub validation_points: usize,
    /// Seed for the off-grid shapes. Default 7.
    pub seed: u64,
}

/// The longest time spent timing one shape ([`CalibrateOptions::seconds_per_shape`]), seconds.
pub const MAX_SECONDS_PER_SHAPE: f64 = 60.0;

/// The most passes over the shapes ([`CalibrateOptions::rounds`]).
pub const MAX_ROUNDS: usize = 100;

/// The most random validation shapes per element type
/// ([`CalibrateOptions::validation_points`]).
pub const MAX_VALIDATION: usize = 10_000;

impl Default for CalibrateOptions {
    fn default() -> Self {
        CalibrateOptions {
            max_dim: 2000,
            dtypes: ElementType::ALL.to_vec(),
            min_reps: 3,
            seconds_per_shape: 0.01,
            rounds: 3,
            validation_points: 64,
            seed: 7,
        }
    }
}

impl CalibrateOptions {
    /// The grid for each of m, k and n: `max_dim`, then `max_dim` / 4, / 16, … while above 16
    /// (rounded), then 16, 8, 6, 4, 3, 2 and 1 (those below `max_dim`).
    ///
    /// Small sizes are dense because that is where BLAS kernels are least regular: the
    /// executor switches between 1 (a vector: `gemv`) and 2 (`gemm`), ndarray between sizes up
    /// to 7 (its own kernel) and 8 (BLAS), and OpenBLAS's micro-kernels work on blocks of 4 or
    /// 8 rows, so a product with 6 rows is not halfway between 4 and 8 (on this project's
    /// machine 6 × 745 × 66 ran at 11 GFLOP/s where interpolating between 2 and 8 rows gave
    /// 18). With points at 3, 4 and 6 the median prediction error on random shapes fell from
    /// about 9 % to 5 %. Above 16, a factor of 4 between points.
    ///
    /// The default largest size is 2000, not 2048, so that the large grid points are not
    /// powers of two: a row of 512, 1024 or 2048 `f64`s is a multiple of 4 KiB, rows then
    /// compete for the same cache sets, and on this project's machine an outer product
    /// m × 1 × n with n = 512…2048 wrote its output at 2.6–4.6 GB/s against 10–11 GB/s for
    /// n = 128, 256 or 1179. Random chains rarely have such sizes, so a grid of them would
    /// make every large product look slower than it is.
    ///
    /// ```
    /// use chainplan::exec::calibrate::CalibrateOptions;
    /// let grid = CalibrateOptions::default().grid();
    /// assert_eq!(grid, vec![1, 2, 3, 4, 6, 8, 16, 31, 125, 500, 2000]);
    /// let o = CalibrateOptions { max_dim: 256, ..Default::default() };
    /// assert_eq!(o.grid(), vec![1, 2, 3, 4, 6, 8, 16, 64, 256]);
    /// let o = CalibrateOptions { max_dim: 8, ..Default::default() };
    /// assert_eq!(o.grid(), vec![1, 2, 3, 4, 6, 8]);
    /// ```
    pub fn grid(&self) -> Vec<u64> {
        let mut g = vec![self.max_dim];
        let mut x = self.max_dim;
        while (x + 2) / 4 > 16 {
            x = (x + 2) / 4;
            g.push(x);
        }
        g.extend(
            [16, 8, 6, 4, 3, 2, 1]
                .into_iter()
                .filter(|&s| s < self.max_dim),
        );
        g.reverse();
        g
    }

    /// Total shapes to time: the grid for each element type, plus the validation shapes.
    pub fn shapes(&self) -> usize {
        let g = self.grid().len();
        self.dtypes.len() * (g * g * g + self.validation_points)
    }

    /// Checks the options: a largest size in 2..=4096, at least one element type, round and
    /// repetition, a non-negative time per shape. [`calibrate`] calls it first.
    pub fn validate(&self) -> Result<()> {
        if !(2..=MAX_GRID_DIM).contains(&self.max_dim) {
            return Err(ExecError::CalibrationSize {
                max_dim: self.max_dim,
                max: MAX_GRID_DIM,
            }
            .into());
        }
        if self.dtypes.is_empty() || self.min_reps == 0 || self.rounds == 0 {
            return Err(ExecError::CalibrationEmpty.into());
        }
        if !(self.seconds_per_shape.is_finite()
            && (0.0..=MAX_SECONDS_PER_SHAPE).contains(&self.seconds_per_shape))
        {
            return Err(Error::InvalidParameter {
                name: "seconds_per_shape",
                value: crate::text::num(self.seconds_per_shape),
                expected: "a number of seconds between 0 and 60",
            });
        }
        Error::check_range("rounds", self.rounds, 0..=MAX_ROUNDS, "between 1 and 100")?;
        Error::check_range(
            "the least repetitions",
            self.min_reps,
            0..=MAX_ROUNDS,
            "between 1 and 100",
        )?;
        Error::check_range(
            "validation_points",
            self.validation_points,
            0..=MAX_VALIDATION,
            "between 0 and 10000",
        )?;
        if self.dtypes.len() > ElementType::ALL.len() {
            return Err(ExecError::CalibrationTwice.into());
        }
        Ok(())
    }
}

/// Operands of one product, filled with values in [0.5, 1.5) (no denormals, no zeros).
struct Operands<T> {
    a: Array2<T>,
    b: Array2<T>,
    c: Array2<T>,
}

fn operands<T: Element + From<f32>>(m: u64, k: u64, n: u64) -> Operands<T> {
    let fill = |r: u64, c: u64, salt: usize| {
        Array2::from_shape_fn((r as usize, c as usize), |(i, j)| {
            <T as From<f32>>::from(0.5 + ((i * 31 + j * 17 + salt) % 97) as f32 / 97.0)
        })
    };
    Operands {
        a: fill(m, k, 1),
        b: fill(k, n, 2),
        c: fill(m, n, 3),
    }
}

/// Seconds of one (m × k) · (k × n) product of `T`s, run by the plan executor: the fastest of
/// at least `min_reps` samples taken over at least `seconds_per_shape`.
pub fn time_gemm<T: Element + From<f32>>(
    m: u64,
    k: u64,
    n: u64,
    min_reps: usize,
    seconds_per_shape: f64,
) -> Result<f64> {
    let plan = Plan::left_to_right(&Chain::new(vec![m, k, n])?)?;
    let mut executor = Executor::<T>::new(&plan)?;
    let mut ops = operands::<T>(m, k, n);
    let mut run = |ops: &mut Operands<T>| executor.run_into(&[&ops.a, &ops.b], &mut ops.c);
    // Warm-up: caches, BLAS thread start-up, and a first estimate for batching.
    let start = Instant::now();
    run(&mut ops)?;
    let first = start.elapsed();
    let batch = if first < Duration::from_micros(20) {
        (20_000 / first.as_nanos().max(1)).clamp(1, 10_000) as u32
    } else {
        1
    };
    let budget = Duration::from_secs_f64(seconds_per_shape);
    let mut samples = Vec::new();
    let begin = Instant::now();
    while samples.len() < min_reps || (begin.elapsed() < budget && samples.len() < 100_000) {
        let t = Instant::now();
        for _ in 0..batch {
            run(&mut ops)?;
        }
        samples.push(t.elapsed().as_secs_f64() / f64::from(batch));
    }
    std::hint::black_box(&ops.c);
    let fastest = samples.iter().copied().fold(f64::INFINITY, f64::min);
    // Guard against a clock that reports zero for very fast calls.
    Ok(fastest.max(1e-9))
}

fn time_dtype(dtype: ElementType, (m, k, n): (u64, u64, u64), o: &CalibrateOptions) -> Result<f64> {
    let reps = o.min_reps.div_ceil(o.rounds);
    let seconds = o.seconds_per_shape / o.rounds as f64;
    match dtype {
        ElementType::F64 => time_gemm::<f64>(m, k, n, reps, seconds),
        ElementType::F32 => time_gemm::<f32>(m, k, n, reps, seconds),
    }
}

/// Measures the grid (and the validation shapes) for every element type and returns the
/// profile. `progress(done, total)` is called after each timed shape ([`CalibrateOptions::rounds`]
/// times per shape).
pub fn calibrate(
    options: &CalibrateOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Profile> {
    options.validate()?;
    // The largest operands: three max_dim² matrices of the widest element type.
    let needed = 3 * u128::from(options.max_dim).pow(2) * 8;
    if let Some(usable) = crate::system::usable_memory().map(u128::from) {
        if needed > usable / 2 {
            return Err(ExecError::CalibrationMemory {
                max_dim: options.max_dim,
                needed_bytes: needed,
                usable_bytes: usable,
            }
            .into());
        }
    }
    let grid = options.grid();
    let total = options.shapes() * options.rounds;
    let mut done = 0usize;
    let mut dtypes = Vec::new();
    for &dtype in &options.dtypes {
        // The grid, m-major, then the off-grid shapes: log-uniform sizes, so as many vectors
        // and skinny shapes as large ones.
        let mut shapes = Vec::with_capacity(grid.len().pow(3) + options.validation_points);
        for &m in &grid {
            for &k in &grid {
                shapes.extend(grid.iter().map(|&n| (m, k, n)));
            }
        }
        let on_grid = shapes.len();
        let mut rng = StdRng::seed_from_u64(options.seed);
        let log_max = (options.max_dim as f64).ln();
        for _ in 0..options.validation_points {
            let mut dim = || (rng.random::<f64>() * log_max).exp().round().max(1.0) as u64;
            shapes.push((dim(), dim(), dim()));
        }
        let mut fastest = vec![f64::INFINITY; shapes.len()];
        let mut order: Vec<usize> = (0..shapes.len()).collect();
        for _ in 0..options.rounds {
            order.shuffle(&mut rng);
            for &s in &order {
                fastest[s] = fastest[s].min(time_dtype(dtype, shapes[s], options)?);
                done += 1;
                progress(done, total);
            }
        }
        let timing = |s: usize| {
            let (m, k, n) = shapes[s];
            Timing {
                m,
                k,
                n,
                seconds: fastest[s],
            }
        };
        let mut profile = DtypeProfile {
            dtype,
            grid_timings: (0..on_grid).map(timing).collect(),
            validation: Vec::new(),
        };
        let model = TimeModel::new(&grid, &profile)?;
        profile.validation = (on_grid..shapes.len())
            .map(|s| {
                let measured = timing(s);
                ValidationPoint {
                    measured,
                    predicted_s: model.step_seconds(measured.m, measured.k, measured.n),
                }
            })
            .collect();
        dtypes.push(profile);
    }
    Ok(Profile {
        format: PROFILE_FORMAT,
        machine: MachineInfo::detect(),
        created_unix_s: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        grid,
        dtypes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_calibration_is_consistent() {
        let o = CalibrateOptions {
            max_dim: 8,
            dtypes: vec![ElementType::F32],
            min_reps: 1,
            seconds_per_shape: 0.0,
            rounds: 2,
            validation_points: 2,
            seed: 1,
        };
        let mut calls = 0;
        let p = calibrate(&o, &mut |done, total| {
            calls += 1;
            assert!(done <= total);
        })
        .unwrap();
        assert_eq!(p.grid, vec![1, 2, 3, 4, 6, 8]);
        assert_eq!(calls, 2 * (216 + 2));
        assert_eq!(p.dtypes[0].grid_timings.len(), 216);
        assert!(p.model(ElementType::F32).is_ok());
        assert!(p.model(ElementType::F64).is_err());
    }

    #[test]
    fn rejects_bad_options() {
        let mut o = CalibrateOptions {
            max_dim: 1,
            ..Default::default()
        };
        assert!(calibrate(&o, &mut |_, _| {}).is_err());
        o.max_dim = 1 << 20;
        assert!(calibrate(&o, &mut |_, _| {}).is_err());
    }
}
