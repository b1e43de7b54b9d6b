//! Small statistics shared by the experiments: where to record a trajectory, and how to
//! summarise many seeded trials of it.
//!
//! Trajectories are recorded at *checkpoints*: a geometric grid of sample counts (even on a
//! log axis), to which the experiments add the points that matter to them (epoch ends). Across
//! trials each checkpoint is summarised by its root mean square (the natural average of an
//! error whose expected square theory predicts) and by quantiles (the spread).

/// Sample counts from 1 to `last` spaced evenly on a log scale, about `per_decade` to a
/// factor of ten, plus every count in `extra` (ignored above `last` or at 0); sorted, without
/// repeats.
///
/// ```
/// use crate::lecture::stats::checkpoints;
/// let k = checkpoints(1000, 3, &[500]);
/// assert_eq!(k.first(), Some(&1));
/// assert_eq!(k.last(), Some(&1000));
/// assert!(k.contains(&10) && k.contains(&100) && k.contains(&500));
/// ```
pub fn checkpoints(last: usize, per_decade: usize, extra: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    if last == 0 {
        return out;
    }
    let per_decade = per_decade.max(1) as f64;
    let decades = (last as f64).log10();
    let points = (decades * per_decade).ceil() as usize;
    for i in 0..=points {
        let k = 10f64.powf(i as f64 / per_decade).round() as usize;
        out.push(k.clamp(1, last));
    }
    out.push(last);
    out.extend(extra.iter().copied().filter(|&k| k >= 1 && k <= last));
    out.sort_unstable();
    out.dedup();
    out
}

/// The most memory the recorded curves of an experiment may take: 2 GiB.
pub const MAX_RECORD_BYTES: u128 = 2 << 30;

/// Refuses, before anything is allocated, an experiment whose `runs` runs would each record
/// `values_per_run` numbers (`f64`) in more than [`MAX_RECORD_BYTES`].
pub fn check_record_size(runs: usize, values_per_run: usize) -> super::Result<()> {
    let bytes = (runs as u128) * (values_per_run as u128) * 8;
    if bytes > MAX_RECORD_BYTES {
        return Err(super::Error::InvalidParameter {
            name: "trials × recorded points",
            value: format!("{runs} × {values_per_run} ({bytes} bytes)"),
            expected: "at most 2 GiB of recorded curves (use fewer trials or epochs)",
        });
    }
    Ok(())
}

/// Root mean square of `values`; 0 for none.
pub fn rms(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    (values.iter().map(|v| v * v).sum::<f64>() / values.len() as f64).sqrt()
}

/// Arithmetic mean of `values`; 0 for none.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// The `q`-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation between order
/// statistics; 0 for none. NaNs sort last.
///
/// ```
/// use crate::lecture::stats::quantile;
/// assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), 2.0);
/// assert_eq!(quantile(&[0.0, 10.0], 0.25), 2.5);
/// ```
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The slope of the least-squares line through (log x, log y): the exponent `p` of a power
/// law y ≈ c·x^p. Points with a non-positive coordinate are skipped; `None` with fewer than
/// two usable points or all x equal.
///
/// ```
/// use crate::lecture::stats::log_log_slope;
/// let x = [1.0, 10.0, 100.0];
/// let y = [1.0, 0.1, 0.01];
/// assert!((log_log_slope(&x, &y).unwrap() + 1.0).abs() < 1e-12);
/// ```
pub fn log_log_slope(x: &[f64], y: &[f64]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(&a, &b)| a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite())
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    Some(sxy / sxx)
}

/// Summary of one checkpoint across trials.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    /// Root mean square across trials.
    pub rms: f64,
    /// 10th percentile.
    pub q10: f64,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub q90: f64,
}

impl Spread {
    /// Summarises `values` (one per trial).
    pub fn of(values: &[f64]) -> Spread {
        Spread {
            rms: rms(values),
            q10: quantile(values, 0.1),
            median: quantile(values, 0.5),
            q90: quantile(values, 0.9),
        }
    }
}

/// Derives the seed of trial `trial` from the experiment's seed, so that every trial has its
/// own independent stream and results do not depend on how trials are spread over threads.
pub fn trial_seed(seed: u64, stream: u64, trial: usize) -> u64 {
    // SplitMix64 finaliser over a combination of the inputs: well-mixed, cheap, stable.
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(trial as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_sorted_unique_and_bounded() {
        for last in [1usize, 2, 9, 10, 11, 999, 1000, 12345] {
            let k = checkpoints(last, 20, &[0, 5, last + 3]);
            assert_eq!(k[0], 1);
            assert_eq!(*k.last().unwrap(), last);
            assert!(k.windows(2).all(|w| w[0] < w[1]));
            if last >= 5 {
                assert!(k.contains(&5));
            }
        }
    }

    #[test]
    fn quantiles_of_a_known_set() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.1), 10.0);
        assert_eq!(quantile(&v, 0.9), 90.0);
        assert_eq!(rms(&[3.0, 4.0]), (12.5f64).sqrt());
        assert_eq!(mean(&[]), 0.0);
    }

    #[test]
    fn slope_of_square_root_law() {
        let x: Vec<f64> = (1..50).map(|i| f64::from(i) * 3.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 / v.sqrt()).collect();
        assert!((log_log_slope(&x, &y).unwrap() + 0.5).abs() < 1e-12);
        assert_eq!(log_log_slope(&[1.0], &[1.0]), None);
    }
}
