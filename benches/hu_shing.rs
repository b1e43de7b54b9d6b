//! Hu–Shing against the dynamic program, and the O(n log n) scaling of the exact planner.
//!
//! `cargo bench --bench hu_shing` runs every group; a name filter picks some, for example
//! `cargo bench --bench hu_shing -- scaling`. Groups:
//! - `scaling`: parse a file's worth of text and plan it exactly, n = 10^5 and 10^6
//!   (the targets: under one second at 10^6, t(10^6)/t(10^5) ≤ 13);
//! - `vs_dp`: Hu–Shing and the DP at n = 1,000 and 2,000 (same chains, same run);
//! - `auto`: both exact planners on short chains, where `auto` switches between them;
//! - `approx`: the O(n) heuristic at n = 10^6.

use chainplan::plan::{approx, dp, hu_shing};
use chainplan::Chain;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

/// Random dimensions 1 ..= 1000 for `matrices` matrices, one per line, as a file would hold.
fn text(matrices: usize, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut s = String::with_capacity((matrices + 1) * 4);
    for _ in 0..=matrices {
        s.push_str(&rng.random_range(1..=1000u32).to_string());
        s.push('\n');
    }
    s
}

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for n in [100_000usize, 1_000_000] {
        let input = text(n, 1);
        g.bench_with_input(BenchmarkId::new("parse+hu-shing", n), &input, |b, input| {
            b.iter(|| {
                let chain = Chain::parse(black_box(input)).unwrap();
                hu_shing::optimal(&chain).unwrap().cost()
            })
        });
        let chain = Chain::parse(&input).unwrap();
        g.bench_with_input(BenchmarkId::new("hu-shing-cost", n), &chain, |b, chain| {
            b.iter(|| hu_shing::optimal_cost(black_box(chain)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("parse", n), &input, |b, input| {
            b.iter(|| Chain::parse(black_box(input)).unwrap().matrices())
        });
    }
    g.finish();
}

fn vs_dp(c: &mut Criterion) {
    let mut g = c.benchmark_group("vs_dp");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [1000usize, 2000] {
        let chain = Chain::parse(&text(n, 2)).unwrap();
        g.bench_with_input(BenchmarkId::new("hu-shing", n), &chain, |b, chain| {
            b.iter(|| hu_shing::optimal(black_box(chain)).unwrap().cost())
        });
        g.bench_with_input(BenchmarkId::new("dp", n), &chain, |b, chain| {
            b.iter(|| dp::optimal(black_box(chain)).unwrap().cost())
        });
    }
    g.finish();
}

fn auto(c: &mut Criterion) {
    let mut g = c.benchmark_group("auto");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    for n in [4usize, 8, 16, 32, 64, 128] {
        let chain = Chain::parse(&text(n, 3)).unwrap();
        g.bench_with_input(BenchmarkId::new("hu-shing", n), &chain, |b, chain| {
            b.iter(|| hu_shing::optimal(black_box(chain)).unwrap().cost())
        });
        g.bench_with_input(BenchmarkId::new("dp", n), &chain, |b, chain| {
            b.iter(|| dp::optimal(black_box(chain)).unwrap().cost())
        });
    }
    g.finish();
}

fn approximation(c: &mut Criterion) {
    let mut g = c.benchmark_group("approx");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let chain = Chain::parse(&text(1_000_000, 4)).unwrap();
    g.bench_function("approx/1000000", |b| {
        b.iter(|| approx::plan(black_box(&chain)).unwrap().cost())
    });
    g.finish();
}

criterion_group!(benches, scaling, vs_dp, auto, approximation);
criterion_main!(benches);
