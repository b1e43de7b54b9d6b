//! The O(n³) planner at n = 10, 100 and 1000 (target: n = 1000 in at most 0.1 s on 2 cores),
//! serial and with parallel anti-diagonals.

use chainplan::plan::dp::{self, DpOptions, Objective};
use chainplan::Chain;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_chain(n: usize) -> Chain {
    let mut rng = StdRng::seed_from_u64(42);
    Chain::from_u64s((0..=n).map(|_| rng.random_range(1..=1000u64))).unwrap()
}

fn planner(c: &mut Criterion) {
    let mut group = c.benchmark_group("dp");
    group.sample_size(10);
    for n in [10usize, 100, 1000] {
        let chain = random_chain(n);
        for (name, parallel) in [("parallel", true), ("serial", false)] {
            let options = DpOptions {
                parallel,
                ..Default::default()
            };
            group.bench_with_input(BenchmarkId::new(name, n), &chain, |b, chain| {
                b.iter(|| dp::solve(chain, Objective::Min, &options).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
