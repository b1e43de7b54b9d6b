//! Experiment 1: estimating a mean by sampling with or without replacement.
//!
//! Take N numbers a_1 … a_N (drawn uniformly from \[0, 1\]) with mean μ = (1/N) Σ a_j and
//! population variance σ² = (1/N) Σ (a_j − μ)². Draw samples one at a time and keep the
//! running average m_k of the first k draws.
//!
//! **With replacement** every draw is an independent uniform pick of an index, so m_k is an
//! average of k independent values of mean μ and variance σ²:
//!
//! ```text
//! E[(m_k − μ)²] = σ² / k          (root mean square error σ/√k: slope −1/2 on a log–log plot)
//! ```
//!
//! **Without replacement** the draws walk through a random permutation of the N numbers, a
//! fresh one each epoch. After e complete epochs and j more draws (k = eN + j), the e epochs
//! contribute exactly eNμ to the sum, so only the j draws of the unfinished epoch err; they are
//! a simple random sample of size j from N, whose mean has variance (σ²/j)·(N − j)/(N − 1)
//! (the finite-population correction). Hence
//!
//! ```text
//! E[(m_k − μ)²] = σ² · j (N − j) / ((N − 1) · k²)
//! ```
//!
//! which is 0 at every epoch end (j = 0: the average is exact, up to rounding) and peaks
//! mid-epoch at about σ²N/(4k²): between epochs the error envelope decays like 1/k, not 1/√k.
//! Within the first epoch it is below the with-replacement error by the factor
//! √((N − j)/(N − 1)).
//!
//! [`run`] repeats both strategies over many seeded trials (new data each trial) and returns,
//! at log-spaced checkpoints and every epoch end, the root mean square error, its 10 %, 50 %
//! and 90 % quantiles, and the theoretical values above.

use super::stats::{self, Spread};
use super::{Error, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

/// How the next sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every draw picks an index uniformly at random, independently of the others.
    WithReplacement,
    /// Draws walk through a random permutation, a new one for each epoch ("random
    /// reshuffling").
    WithoutReplacement,
}

impl Strategy {
    /// Both strategies.
    pub const ALL: [Strategy; 2] = [Strategy::WithReplacement, Strategy::WithoutReplacement];

    /// A short human name: `with replacement` or `without replacement`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::WithReplacement => "with replacement",
            Strategy::WithoutReplacement => "without replacement",
        }
    }
}

/// Draws indices in `0..n` by a [`Strategy`].
///
/// ```
/// use crate::lecture::sampling::{Sampler, Strategy};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(7);
/// let mut s = Sampler::new(Strategy::WithoutReplacement, 5);
/// let mut epoch: Vec<usize> = (0..5).map(|_| s.next_index(&mut rng)).collect();
/// epoch.sort();
/// assert_eq!(epoch, vec![0, 1, 2, 3, 4]); // each index exactly once per epoch
/// ```
#[derive(Debug, Clone)]
pub struct Sampler {
    strategy: Strategy,
    n: usize,
    order: Vec<usize>,
    pos: usize,
}

impl Sampler {
    /// A sampler over `n` indices (`n` ≥ 1; with `n` = 0 every draw returns 0).
    pub fn new(strategy: Strategy, n: usize) -> Sampler {
        let order = match strategy {
            Strategy::WithReplacement => Vec::new(),
            Strategy::WithoutReplacement => (0..n).collect(),
        };
        Sampler {
            strategy,
            n,
            order,
            // Start "at the end of an epoch" so that the first draw shuffles.
            pos: n,
        }
    }

    /// The next index.
    pub fn next_index<R: Rng + ?Sized>(&mut self, rng: &mut R) -> usize {
        if self.n == 0 {
            return 0;
        }
        match self.strategy {
            Strategy::WithReplacement => rng.random_range(0..self.n),
            Strategy::WithoutReplacement => {
                if self.pos == self.n {
                    self.order.shuffle(rng);
                    self.pos = 0;
                }
                self.pos += 1;
                self.order[self.pos - 1]
            }
        }
    }
}

/// Draws `samples` values from `data` by `strategy` and returns the running averages:
/// element k − 1 is the mean of the first k draws. Sums are accumulated left to right in
/// `f64`, so after a complete epoch without replacement the average equals the data's mean
/// up to rounding.
pub fn running_means<R: Rng + ?Sized>(
    data: &[f64],
    strategy: Strategy,
    samples: usize,
    rng: &mut R,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(samples);
    walk(data, strategy, samples, rng, |_, m| out.push(m));
    out
}

fn walk<R: Rng + ?Sized>(
    data: &[f64],
    strategy: Strategy,
    samples: usize,
    rng: &mut R,
    mut visit: impl FnMut(usize, f64),
) {
    if data.is_empty() {
        return;
    }
    let mut sampler = Sampler::new(strategy, data.len());
    let mut sum = 0.0f64;
    for k in 1..=samples {
        sum += data[sampler.next_index(rng)];
        visit(k, sum / k as f64);
    }
}

/// Mean and population variance (dividing by N) of `data`, by two passes.
pub fn mean_and_variance(data: &[f64]) -> (f64, f64) {
    let mu = stats::mean(data);
    let var = if data.is_empty() {
        0.0
    } else {
        data.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / data.len() as f64
    };
    (mu, var)
}

/// The expected squared error E\[(m_k − μ)²\] of the running average after `k` draws from `n`
/// numbers of population variance `variance` (see the module documentation).
pub fn expected_squared_error(strategy: Strategy, n: usize, variance: f64, k: usize) -> f64 {
    let kf = k as f64;
    match strategy {
        Strategy::WithReplacement => variance / kf,
        Strategy::WithoutReplacement => {
            if n <= 1 {
                return 0.0;
            }
            let j = (k % n) as f64;
            let nf = n as f64;
            variance * j * (nf - j) / ((nf - 1.0) * kf * kf)
        }
    }
}

/// Parameters of experiment 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplingConfig {
    /// How many numbers N to average (drawn uniformly from \[0, 1\], new ones each trial).
    pub n: usize,
    /// How many epochs of N draws each to run.
    pub epochs: usize,
    /// How many independent trials to summarise.
    pub trials: usize,
    /// Seed of the whole experiment.
    pub seed: u64,
    /// Checkpoints per factor of ten of draws (every epoch end is a checkpoint too).
    pub points_per_decade: usize,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            n: 1000,
            epochs: 10,
            trials: 1000,
            seed: 1,
            points_per_decade: 60,
        }
    }
}

/// Largest number of draws per trial that [`run`] accepts.
pub const MAX_DRAWS: usize = 100_000_000;

impl SamplingConfig {
    /// Checks every parameter; returns the total number of draws per trial.
    pub fn validate(&self) -> Result<usize> {
        positive("n", self.n)?;
        positive("epochs", self.epochs)?;
        positive("trials", self.trials)?;
        positive("points per decade", self.points_per_decade)?;
        if self.trials > 1_000_000 {
            return Err(Error::InvalidParameter {
                name: "trials",
                value: self.trials.to_string(),
                expected: "at most 1000000",
            });
        }
        match self.n.checked_mul(self.epochs) {
            Some(d) if d <= MAX_DRAWS => Ok(d),
            _ => Err(Error::InvalidParameter {
                name: "n × epochs",
                value: format!("{} × {}", self.n, self.epochs),
                expected: "at most 100000000 draws per trial",
            }),
        }
    }
}

pub(crate) fn positive(name: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        return Err(Error::InvalidParameter {
            name,
            value: "0".into(),
            expected: "at least 1",
        });
    }
    Ok(())
}

/// One strategy's error curve: one entry per checkpoint of [`SamplingResult::draws`].
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCurve {
    /// The strategy.
    pub strategy: Strategy,
    /// |m_k − μ| across trials: root mean square and quantiles.
    pub error: Vec<Spread>,
    /// Theoretical root mean square error √E\[(m_k − μ)²\], with σ² the trials' mean
    /// population variance.
    pub theory: Vec<f64>,
}

/// Headline numbers of experiment 1.
#[derive(Debug, Clone, Serialize)]
pub struct SamplingSummary {
    /// Mean population variance σ² of the trials' data (1/12 · (N − 1)/N expected).
    pub variance: f64,
    /// Root mean square error after N/2 draws: with, then without replacement.
    pub rms_half_epoch: [f64; 2],
    /// Root mean square error after N draws (one epoch): with, then without replacement.
    pub rms_one_epoch: [f64; 2],
    /// Largest |m_k − μ| at any epoch end, over all trials, without replacement.
    pub max_epoch_end_error: f64,
    /// Fitted exponent p of rms ≈ c·k^p with replacement, over all checkpoints.
    pub slope_with: Option<f64>,
    /// Fitted exponent of the per-epoch peak of the rms error without replacement (needs at
    /// least two epochs).
    pub slope_without_peaks: Option<f64>,
}

/// Everything experiment 1 measured.
#[derive(Debug, Clone, Serialize)]
pub struct SamplingResult {
    /// The parameters it ran with.
    pub config: SamplingConfig,
    /// The checkpoints: numbers of draws k at which errors were recorded.
    pub draws: Vec<usize>,
    /// One curve per strategy, in the order of [`Strategy::ALL`].
    pub curves: Vec<ErrorCurve>,
    /// Headline numbers.
    pub summary: SamplingSummary,
}

impl SamplingResult {
    /// The curve of `strategy`.
    pub fn curve(&self, strategy: Strategy) -> &ErrorCurve {
        self.curves
            .iter()
            .find(|c| c.strategy == strategy)
            .expect("every strategy has a curve")
    }

    /// Index of checkpoint `k`, if it is one.
    pub fn index_of(&self, k: usize) -> Option<usize> {
        self.draws.binary_search(&k).ok()
    }
}

/// Runs experiment 1: `trials` seeded trials (in parallel; the result does not depend on the
/// thread count), each drawing new data and both strategies' samples from their own streams.
///
/// ```
/// use crate::lecture::sampling::{run, SamplingConfig, Strategy};
/// let r = run(&SamplingConfig { n: 50, epochs: 2, trials: 20, ..Default::default() })?;
/// let i = r.index_of(50).unwrap(); // one epoch
/// assert!(r.curve(Strategy::WithoutReplacement).error[i].rms < 1e-12);
/// assert!(r.curve(Strategy::WithReplacement).error[i].rms > 1e-3);
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn run(config: &SamplingConfig) -> Result<SamplingResult> {
    let total = config.validate()?;
    let n = config.n;
    let epoch_ends: Vec<usize> = (1..=config.epochs)
        .flat_map(|e| [e * n - 1, e * n, e * n + 1])
        .chain([n / 2])
        .collect();
    // Two errors per checkpoint and trial are kept: check the size before anything runs.
    let bound = config
        .epochs
        .saturating_mul(3)
        .saturating_add(config.points_per_decade.saturating_mul(9))
        .saturating_add(2);
    stats::check_record_size(config.trials, 2 * bound)?;
    let draws = stats::checkpoints(total, config.points_per_decade, &epoch_ends);

    // Per trial: the population variance and, per strategy, |m_k − μ| at every checkpoint.
    let per_trial: Vec<(f64, [Vec<f64>; 2])> = (0..config.trials)
        .into_par_iter()
        .map(|t| {
            let mut rng = StdRng::seed_from_u64(stats::trial_seed(config.seed, 0, t));
            let data: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let (mu, var) = mean_and_variance(&data);
            let errors = Strategy::ALL.map(|s| {
                let stream = 1 + s as u64;
                let mut rng = StdRng::seed_from_u64(stats::trial_seed(config.seed, stream, t));
                let mut out = Vec::with_capacity(draws.len());
                let mut next = 0usize;
                walk(&data, s, total, &mut rng, |k, m| {
                    if next < draws.len() && draws[next] == k {
                        out.push((m - mu).abs());
                        next += 1;
                    }
                });
                out
            });
            (var, errors)
        })
        .collect();

    let variance = stats::mean(&per_trial.iter().map(|p| p.0).collect::<Vec<_>>());
    let curves: Vec<ErrorCurve> = Strategy::ALL
        .iter()
        .enumerate()
        .map(|(s_idx, &strategy)| {
            let error = (0..draws.len())
                .map(|c| {
                    let v: Vec<f64> = per_trial.iter().map(|p| p.1[s_idx][c]).collect();
                    Spread::of(&v)
                })
                .collect();
            let theory = draws
                .iter()
                .map(|&k| expected_squared_error(strategy, n, variance, k).sqrt())
                .collect();
            ErrorCurve {
                strategy,
                error,
                theory,
            }
        })
        .collect();

    let at = |s: usize, k: usize| {
        draws
            .binary_search(&k)
            .map(|i| curves[s].error[i].rms)
            .unwrap_or(f64::NAN)
    };
    let max_epoch_end_error = (1..=config.epochs)
        .filter_map(|e| draws.binary_search(&(e * n)).ok())
        .flat_map(|i| per_trial.iter().map(move |p| p.1[1][i]))
        .fold(0.0f64, f64::max);
    let x: Vec<f64> = draws.iter().map(|&k| k as f64).collect();
    let y: Vec<f64> = curves[0].error.iter().map(|s| s.rms).collect();
    let slope_with = stats::log_log_slope(&x, &y);
    // Without replacement: the largest rms strictly inside each epoch after the first.
    let mut peak_k = Vec::new();
    let mut peak_v = Vec::new();
    for e in 1..config.epochs {
        let inside = draws
            .iter()
            .zip(&curves[1].error)
            .filter(|(&k, _)| k > e * n && k < (e + 1) * n);
        if let Some((&k, s)) = inside.max_by(|a, b| a.1.rms.total_cmp(&b.1.rms)) {
            peak_k.push(k as f64);
            peak_v.push(s.rms);
        }
    }
    let slope_without_peaks = stats::log_log_slope(&peak_k, &peak_v);

    let summary = SamplingSummary {
        variance,
        rms_half_epoch: [at(0, n / 2), at(1, n / 2)],
        rms_one_epoch: [at(0, n), at(1, n)],
        max_epoch_end_error,
        slope_with,
        slope_without_peaks,
    };
    Ok(SamplingResult {
        config: config.clone(),
        draws,
        curves,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_replacement_draws_every_index_in_range() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut s = Sampler::new(Strategy::WithReplacement, 4);
        let mut seen = [0usize; 4];
        for _ in 0..400 {
            seen[s.next_index(&mut rng)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 50), "{seen:?}");
    }

    #[test]
    fn rejects_empty_parameters() {
        for c in [
            SamplingConfig {
                n: 0,
                ..Default::default()
            },
            SamplingConfig {
                epochs: 0,
                ..Default::default()
            },
            SamplingConfig {
                trials: 0,
                ..Default::default()
            },
            SamplingConfig {
                n: usize::MAX,
                epochs: 2,
                ..Default::default()
            },
            SamplingConfig {
                n: 1,
                epochs: 10_000_000,
                trials: 1000,
                ..Default::default()
            },
        ] {
            assert!(matches!(run(&c), Err(Error::InvalidParameter { .. })));
        }
    }

    #[test]
    fn single_number_is_exact_both_ways() {
        let r = run(&SamplingConfig {
            n: 1,
            epochs: 3,
            trials: 4,
            ..Default::default()
        })
        .unwrap();
        for c in &r.curves {
            assert!(c.error.iter().all(|s| s.rms < 1e-15));
        }
    }
}
