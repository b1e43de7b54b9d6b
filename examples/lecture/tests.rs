//! The lecture's experiments against theory: statistical checks over many seeded trials, with
//! tolerances a wrong sampler or a wrong gradient would break.

use crate::lecture::sampling::{self, running_means, SamplingConfig, Strategy};
use crate::lecture::sgd::{self, Problem, SampleGradient, Schedule, SgdConfig};
use chainplan::{Chain, Plan};
use ndarray::Array1;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn uniform_data(n: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..n).map(|_| rng.random::<f64>()).collect()
}

/// Mean by Neumaier's compensated summation: an independent, more accurate reference.
fn accurate_mean(data: &[f64]) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for &x in data {
        let t = sum + x;
        if sum.abs() >= x.abs() {
            c += (sum - t) + x;
        } else {
            c += (x - t) + sum;
        }
        sum = t;
    }
    (sum + c) / data.len() as f64
}

fn population_variance(data: &[f64]) -> f64 {
    let mu = accurate_mean(data);
    data.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / data.len() as f64
}

#[test]
fn without_replacement_is_exact_after_every_epoch() {
    for (seed, n) in [(1u64, 1usize), (2, 2), (3, 7), (4, 100), (5, 1000)] {
        let mut rng = StdRng::seed_from_u64(seed);
        let data = uniform_data(n, &mut rng);
        let mu = accurate_mean(&data);
        let epochs = 6;
        let means = running_means(&data, Strategy::WithoutReplacement, epochs * n, &mut rng);
        assert_eq!(means.len(), epochs * n);
        let mut inexact_inside = 0;
        for (k0, m) in means.iter().enumerate() {
            let k = k0 + 1;
            // A running sum of k numbers in [0, 1] errs by at most about k·ε; so does its mean.
            let tolerance = 2.0 * k as f64 * f64::EPSILON;
            if k % n == 0 {
                assert!(
                    (m - mu).abs() <= tolerance,
                    "n = {n}, k = {k}: {m} against {mu}"
                );
            } else if (m - mu).abs() > 1e-9 {
                inexact_inside += 1;
            }
        }
        if n >= 7 {
            // Between epoch ends the average is a genuine estimate, not the mean.
            assert!(inexact_inside > epochs * (n - 1) / 2, "n = {n}");
        }
    }
}

#[test]
fn with_replacement_is_not_exact_after_an_epoch() {
    let mut exact = 0;
    for seed in 0..50u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let data = uniform_data(100, &mut rng);
        let mu = accurate_mean(&data);
        let means = running_means(&data, Strategy::WithReplacement, 100, &mut rng);
        if (means[99] - mu).abs() < 1e-9 {
            exact += 1;
        }
    }
    assert_eq!(exact, 0);
}

/// Mean over trials of (m_k − μ)² · k / σ² at each k: 1 for every k when the error decays like
/// σ/√k. Computed here from the running means, not from the library's summaries.
fn normalised_squared_errors(strategy: Strategy, n: usize, ks: &[usize], trials: u64) -> Vec<f64> {
    let kmax = *ks.iter().max().unwrap();
    let mut acc = vec![0.0; ks.len()];
    for t in 0..trials {
        let mut rng = StdRng::seed_from_u64(10_000 + t);
        let data = uniform_data(n, &mut rng);
        let (mu, var) = (accurate_mean(&data), population_variance(&data));
        let means = running_means(&data, strategy, kmax, &mut rng);
        for (a, &k) in acc.iter_mut().zip(ks) {
            let e = means[k - 1] - mu;
            *a += e * e * k as f64 / var;
        }
    }
    acc.iter().map(|a| a / trials as f64).collect()
}

#[test]
fn with_replacement_error_decays_like_one_over_root_k() {
    let ks = [5usize, 20, 50, 100, 200, 500, 1000];
    let ratios = normalised_squared_errors(Strategy::WithReplacement, 100, &ks, 600);
    // Each ratio is a mean of 600 values with standard deviation ≈ √2: its own standard
    // deviation is ≈ 0.058, so ±0.2 is more than three of them.
    for (&k, r) in ks.iter().zip(&ratios) {
        assert!((r - 1.0).abs() < 0.2, "k = {k}: E[e²]·k/σ² = {r}");
    }
    // The same data as a power law: fitted exponent of the rms error.
    let x: Vec<f64> = ks.iter().map(|&k| (k as f64).ln()).collect();
    let y: Vec<f64> = ks
        .iter()
        .zip(&ratios)
        .map(|(&k, r)| 0.5 * (r / k as f64).ln())
        .collect();
    let (mx, my) = (x.iter().sum::<f64>() / 7.0, y.iter().sum::<f64>() / 7.0);
    let slope = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / x.iter().map(|a| (a - mx) * (a - mx)).sum::<f64>();
    assert!((slope + 0.5).abs() < 0.05, "exponent {slope}");
}

#[test]
fn without_replacement_follows_the_finite_population_law() {
    // k = eN + j: E[(m_k − μ)²] = σ² j (N − j) / ((N − 1) k²).
    let n = 100usize;
    let ks = [10usize, 50, 90, 150, 350, 550];
    let ratios = normalised_squared_errors(Strategy::WithoutReplacement, n, &ks, 600);
    for (&k, r) in ks.iter().zip(&ratios) {
        let j = (k % n) as f64;
        let predicted = j * (n as f64 - j) / ((n as f64 - 1.0) * k as f64); // times k/σ²
        assert!(
            (r / predicted - 1.0).abs() < 0.2,
            "k = {k}: {r} against {predicted}"
        );
    }
}

#[test]
fn experiment_one_summary_matches_theory() {
    let r = sampling::run(&SamplingConfig {
        n: 100,
        epochs: 8,
        trials: 400,
        seed: 11,
        ..Default::default()
    })
    .unwrap();
    let s = &r.summary;
    assert!(
        (s.variance - 1.0 / 12.0 * 0.99).abs() < 0.003,
        "{}",
        s.variance
    );
    assert!(s.max_epoch_end_error < 1e-13, "{}", s.max_epoch_end_error);
    assert!((s.slope_with.unwrap() + 0.5).abs() < 0.05);
    assert!((s.slope_without_peaks.unwrap() + 1.0).abs() < 0.1);
    // After one epoch: rms σ/√N with replacement.
    let expected = (s.variance / 100.0).sqrt();
    assert!((s.rms_one_epoch[0] / expected - 1.0).abs() < 0.15);
    // Half an epoch: without replacement smaller by √((N − j)/(N − 1)) = √(50/99).
    let ratio = s.rms_half_epoch[1] / s.rms_half_epoch[0];
    assert!((ratio - (50.0f64 / 99.0).sqrt()).abs() < 0.12, "{ratio}");
    // Same seed, same numbers.
    let again = sampling::run(&r.config).unwrap();
    assert_eq!(again.summary.rms_one_epoch, s.rms_one_epoch);
}

#[test]
fn reverse_mode_gradient_matches_the_closed_form() {
    let mut rng = StdRng::seed_from_u64(99);
    for d in [1usize, 2, 7, 64, 300] {
        let mut g = SampleGradient::new(d).unwrap();
        // Reverse mode is the left-to-right plan of the chain [1] · [2r] · a_iᵀ.
        let chain = Chain::new(vec![1u32, 1, 1, d as u32]).unwrap();
        assert_eq!(g.plan(), &Plan::left_to_right(&chain).unwrap());
        for _ in 0..5 {
            let a = Array1::from_shape_fn(d, |_| rng.random_range(-2.0..2.0));
            let x = Array1::from_shape_fn(d, |_| rng.random_range(-2.0..2.0));
            let b: f64 = rng.random_range(-2.0..2.0);
            let r = a.dot(&x) - b;
            let got = g.gradient(a.view(), r).unwrap();
            // Closed form 2·a_i(a_iᵀx − b_i), written out element by element.
            for j in 0..d {
                let want = 2.0 * a[j] * r;
                assert!(
                    (got[j] - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "d = {d}, j = {j}: {} against {want}",
                    got[j]
                );
            }
            // And central finite differences of (aᵀx − b)², exact up to rounding for a
            // quadratic.
            let f = |x: &Array1<f64>| (a.dot(x) - b).powi(2);
            for j in 0..d.min(4) {
                let h = 1e-5;
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[j] += h;
                xm[j] -= h;
                let fd = (f(&xp) - f(&xm)) / (2.0 * h);
                assert!(
                    (fd - got[j]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{fd} {}",
                    got[j]
                );
            }
        }
    }
}

#[test]
fn decreasing_step_beats_the_constant_plateau() {
    let r = sgd::run(&SgdConfig {
        samples: 100,
        dim: 5,
        validation: 50,
        epochs: 60,
        trials: 4,
        step: 0.1,
        decay_epochs: 1.0,
        patience: 5,
        sweep: vec![],
        seed: 5,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.traces.len(), 4);
    for strategy in Strategy::ALL {
        let pick = |kind: &str| {
            r.traces
                .iter()
                .find(|t| t.variant.strategy == strategy && t.variant.schedule.kind() == kind)
                .unwrap()
        };
        let (constant, decreasing) = (pick("constant"), pick("decreasing"));
        assert!(
            decreasing.final_distance < 0.5 * constant.late_distance,
            "{strategy:?}: decreasing ends at {}, constant plateau {}",
            decreasing.final_distance,
            constant.late_distance
        );
        // Fast start: both reach within a third of the starting distance after 5 epochs.
        let i = r.iterations.binary_search(&500).unwrap();
        for t in [constant, decreasing] {
            assert!(t.distance[i].rms < r.start_distance / 3.0, "{}", t.label);
        }
    }
    // The constant step plateaus: the second half is not much better than the first half's end.
    let constant = &r.traces[0];
    assert!(matches!(constant.variant.schedule, Schedule::Constant(_)));
    let mid = r.iterations.binary_search(&3000).unwrap();
    assert!(constant.late_distance > 0.5 * constant.distance[mid].rms);
}

#[test]
fn constant_step_plateau_matches_the_small_step_prediction() {
    let r = sgd::run(&SgdConfig {
        samples: 100,
        dim: 5,
        validation: 50,
        epochs: 100,
        trials: 12,
        step: 0.02,
        sweep: vec![0.01, 0.04],
        seed: 8,
        ..Default::default()
    })
    .unwrap();
    for p in &r.plateaus {
        let ratio = p.measured[0] / p.predicted;
        assert!((ratio - 1.0).abs() < 0.3, "step {}: ratio {ratio}", p.step);
        // Without replacement the region of confusion is smaller.
        assert!(p.measured[1] < p.measured[0]);
    }
    // Quadrupling the step doubles the radius (√η), within the statistical tolerance.
    let growth = r.plateaus[1].measured[0] / r.plateaus[0].measured[0];
    assert!((growth - 2.0).abs() < 0.5, "{growth}");
}

#[test]
fn problem_prediction_is_consistent_with_its_definition() {
    // For isotropic data the prediction is close to √(η σ² d).
    let p = Problem::random(4000, 4, 10, 0.5, 3).unwrap();
    let pred = p.plateau_prediction(0.01);
    let rough = (0.01f64 * 0.25 * 4.0).sqrt();
    assert!((pred / rough - 1.0).abs() < 0.15, "{pred} against {rough}");
}
