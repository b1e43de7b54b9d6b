//! A random study in the manner of Naumann's matrix-free Jacobian chain paper: on many random
//! chains, how much the best pure mode (forward or reverse) costs relative to the optimum.
//!
//! Run with `cargo run --release --example jacobian_study [-- CHAINS]` (default 10,000 chains
//! per family, seeded, so the figures are reproducible).

use chainplan::jacobian::{JacobianChain, MatrixFreeChain, Mode, Seed};
use chainplan::text::ratio;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A width from 1 to 1000, uniform in its logarithm.
fn width(rng: &mut StdRng) -> usize {
    (10f64.powf(rng.random_range(0.0..3.0))).round() as usize
}

fn summary(name: &str, mut ratios: Vec<f64>) {
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let q = |p: f64| ratios[((n - 1) as f64 * p).round() as usize];
    let mixed = ratios.iter().filter(|&&r| r > 1.0).count();
    let mean = ratios.iter().sum::<f64>() / n as f64;
    let over = |x: f64| ratios.iter().filter(|&&r| r >= x).count() as f64 / n as f64 * 100.0;
    println!(
        "{name:<42} {n:>6} {:>6.1}% {:>7} {:>7} {:>7} {:>7} {:>9} {:>6.1}% {:>6.1}%",
        mixed as f64 / n as f64 * 100.0,
        ratio(mean),
        ratio(q(0.5)),
        ratio(q(0.9)),
        ratio(q(0.99)),
        ratio(q(1.0)),
        over(1.5),
        over(2.0),
    );
}

fn main() -> Result<(), chainplan::Error> {
    let chains: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut rng = StdRng::seed_from_u64(42);
    println!(
        "(best pure mode) / (optimum) over random chains of 2 to 10 layers, widths 1..1000 log-uniform\n"
    );
    println!(
        "{:<42} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9} {:>7} {:>7}",
        "family", "chains", "mixed", "mean", "median", "p90", "p99", "max", "≥1.5x", "≥2x"
    );

    for (name, seed) in [
        ("dense, full Jacobian", Seed::None),
        ("dense, gradient (1-row output seed)", Seed::Output(1)),
    ] {
        let mut ratios = Vec::with_capacity(chains);
        for _ in 0..chains {
            let layers = rng.random_range(2..=10);
            let widths: Vec<usize> = (0..=layers).map(|_| width(&mut rng)).collect();
            let a = JacobianChain::new(&widths, seed)?.analyze()?;
            debug_assert_eq!(a.mode == Mode::Mixed, a.pure_over_optimal > 1.0);
            ratios.push(a.pure_over_optimal);
        }
        summary(name, ratios);
    }

    for (name, memory) in [
        ("matrix-free, no memory limit", false),
        ("matrix-free, memory = half the total tape", true),
    ] {
        let mut ratios = Vec::with_capacity(chains);
        for _ in 0..chains {
            let layers = rng.random_range(2..=10);
            let widths: Vec<usize> = (0..=layers).map(|_| width(&mut rng)).collect();
            // A tangent costs up to a dense matrix–vector product of the layer; an adjoint
            // one to three times its tangent.
            let tangent: Vec<u64> = widths
                .windows(2)
                .map(|w| rng.random_range(1..=(w[0] * w[1]) as u64))
                .collect();
            let adjoint: Vec<u64> = tangent
                .iter()
                .map(|&t| (t as f64 * rng.random_range(1.0..3.0)).ceil() as u64)
                .collect();
            let mut chain = MatrixFreeChain::new(&widths, &tangent, &adjoint)?;
            if memory {
                let tapes: Vec<u64> = (0..layers).map(|_| rng.random_range(1..=100)).collect();
                let total: u64 = tapes.iter().sum();
                let limit = (total / 2).max(*tapes.iter().min().unwrap());
                chain = chain.with_memory(&tapes, limit)?;
            }
            let best = chain.optimal()?.total();
            let pure = chain
                .tangent_cost()?
                .min(chain.adjoint_cost()?.unwrap_or(u128::MAX));
            ratios.push(pure as f64 / best as f64);
        }
        summary(name, ratios);
    }
    println!("\nmixed: share of chains whose optimum is strictly cheaper than both pure modes.");
    Ok(())
}
