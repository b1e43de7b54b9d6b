//! Forward against reverse mode on wide functions: the sum of n squares, n = 10, 100, 1000.
//! Reverse mode should stay a small constant times one evaluation; forward mode grows with n.
//! (The counted operations, exact and machine-independent, are in docs/grad.md.)

use chainplan::autodiff::{evaluate, forward, reverse, Tape};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn sum_of_squares(n: usize) -> (Tape, Vec<f64>) {
    let src = (1..=n)
        .map(|i| format!("x{i}^2"))
        .collect::<Vec<_>>()
        .join("+");
    let point = (1..=n).map(|i| i as f64 / n as f64).collect();
    (Tape::parse(&src).unwrap(), point)
}

fn modes(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum_of_squares");
    group.sample_size(10);
    for n in [10usize, 100, 1000] {
        let (tape, point) = sum_of_squares(n);
        group.bench_with_input(BenchmarkId::new("evaluate", n), &n, |b, _| {
            b.iter(|| evaluate(&tape, &point).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("reverse", n), &n, |b, _| {
            b.iter(|| reverse(&tape, &point).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("forward", n), &n, |b, _| {
            b.iter(|| forward(&tape, &point).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, modes);
criterion_main!(benches);
