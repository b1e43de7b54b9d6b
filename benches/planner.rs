//! The O(n³) planner at n = 10, 100 and 1000 (target: n = 1000 in at most 0.1 s on 2 cores),
//! serial and with parallel tiles; and the goals at n = 1000 (target: at most 0.1 s each): a
//! cap the cheapest plan meets, a cap it does not, memory first, and a time model.
//!
//! `dp::solve` keeps its last plan per thread and objective (a request plans the same chain
//! several times), so each measurement alternates between two chains of the same size: every
//! call plans.

use chainplan::cost::time::DtypeProfile;
use chainplan::cost::{ElementType, Goal, TimeModel};
use chainplan::plan::dp::{self, DpOptions, Objective};
use chainplan::Chain;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_chain(n: usize, seed: u64, least: u64) -> Chain {
    let mut rng = StdRng::seed_from_u64(seed);
    Chain::from_u64s((0..=n).map(|_| rng.random_range(least..=1000u64))).unwrap()
}

/// Two chains of `n` matrices (seeds 42 and 43) with dimensions in `least..=1000`, to
/// alternate between.
fn two_chains(n: usize, least: u64) -> [Chain; 2] {
    [random_chain(n, 42, least), random_chain(n, 43, least)]
}

fn planner(c: &mut Criterion) {
    let mut group = c.benchmark_group("dp");
    group.sample_size(10);
    for n in [10usize, 100, 1000] {
        let chains = two_chains(n, 1);
        for (name, parallel) in [("parallel", true), ("serial", false)] {
            let options = DpOptions {
                parallel,
                ..Default::default()
            };
            let mut turn = 0;
            group.bench_with_input(BenchmarkId::new(name, n), &chains, |b, chains| {
                b.iter(|| {
                    turn ^= 1;
                    dp::solve(&chains[turn], Objective::Min, &options).unwrap()
                })
            });
        }
    }
    group.finish();
}

/// A made-up machine: 2 µs per call, slow products with a small inner dimension, and a
/// bandwidth term for the result, on a grid up to 1024.
fn time_model() -> TimeModel {
    let grid = [1u64, 2, 3, 4, 6, 8, 16, 64, 256, 1024];
    let d = DtypeProfile::from_fn(ElementType::F64, &grid, |m, k, n| {
        2e-6 + 1e-10 * (m * k * n) as f64 * (1.0 + 16.0 / k as f64) + 1e-9 * (m * n) as f64
    });
    TimeModel::new(&grid, &d).unwrap()
}

fn goals(c: &mut Criterion) {
    let mut group = c.benchmark_group("goals");
    group.sample_size(10);
    // Dimensions from 300: with a dimension near 1 the cheapest plan keeps every
    // intermediate small, and no cap that some plan meets would bind.
    let chains = two_chains(1000, 300);
    // The larger of the two cheapest plans' largest intermediates: a cap both meet; half
    // the smaller, or the least that both chains can meet if more: a cap that binds.
    let peaks = chains
        .each_ref()
        .map(|c| dp::optimal(c).unwrap().largest_intermediate());
    let least = chains
        .each_ref()
        .map(|c| dp::min_peak(c, &DpOptions::default()).unwrap());
    let binding = (peaks[0].min(peaks[1]) / 2).max(least[0].max(least[1]));
    let goals = [
        (
            "cap-met",
            Goal::flops().with_max_intermediate(peaks[0].max(peaks[1])),
        ),
        ("cap-binding", Goal::flops().with_max_intermediate(binding)),
        ("memory", Goal::flops().minimizing_memory()),
        ("time", Goal::time(time_model())),
    ];
    for (name, goal) in goals {
        let mut turn = 0;
        group.bench_function(BenchmarkId::new(name, 1000), |b| {
            b.iter(|| {
                turn ^= 1;
                goal.plan(&chains[turn]).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, planner, goals);
criterion_main!(benches);
