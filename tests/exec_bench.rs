//! The library half of `bench`: memory estimate, agreement check, progress, refusals.

use chainplan::error::ExecError;
use chainplan::exec::bench::{
    bench_orders, memory_needed, random_operands, run_bench, BenchOptions,
};
use chainplan::{Chain, Error};

#[test]
fn memory_estimate_counts_operands_products_and_the_largest_workspace() {
    // 10 20 30 40: operands 200 + 600 + 1200; product 10 × 40 twice; workspaces:
    // optimal ((A1A2)A3) and left to right hold 10 × 30 = 300, right to left 20 × 40 = 800.
    let chain = Chain::new(vec![10u32, 20, 30, 40]).unwrap();
    let orders = bench_orders(&chain, false).unwrap();
    let plans: Vec<_> = orders.iter().map(|(_, p)| p).collect();
    let elements = 200 + 600 + 1200 + 2 * 400 + 800;
    assert_eq!(memory_needed::<f64>(&chain, &plans).unwrap(), elements * 8);
    assert_eq!(memory_needed::<f32>(&chain, &plans).unwrap(), elements * 4);
}

#[test]
fn refuses_before_allocating() {
    let chain = Chain::new(vec![4_000_000_000u32, 4_000_000_000, 4_000_000_000]).unwrap();
    let options = BenchOptions {
        max_memory: Some(1 << 30),
        ..BenchOptions::default()
    };
    let e = run_bench::<f64>(&chain, &options, &mut |_| panic!("nothing may run")).unwrap_err();
    assert!(
        matches!(e, Error::Exec(ExecError::MemoryLimit { limit_bytes, .. }) if limit_bytes == 1 << 30),
        "{e}"
    );
}

#[test]
fn reports_progress_and_agreement() {
    let chain = Chain::new(vec![30u32, 2, 40, 3, 25]).unwrap();
    let options = BenchOptions {
        reps: 3,
        warmup: 2,
        all: true,
        ..BenchOptions::default()
    };
    let mut calls = Vec::new();
    let report =
        run_bench::<f64>(&chain, &options, &mut |p| calls.push((p.done, p.total))).unwrap();
    // Five orders (Catalan(3)), five runs each, plus the reference.
    let total = 1 + report.results.len() * 5;
    assert_eq!(report.results.len(), 5);
    assert_eq!(calls.len(), total);
    assert_eq!(calls.last(), Some(&(total, total)));
    assert!(calls.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    report.check().unwrap();
    assert!(report.max_rel_diff < 1e-13);
    assert!(report
        .results
        .iter()
        .all(|r| r.min_s <= r.median_s && r.median_s > 0.0));
    assert_eq!(report.results[0].predicted_ratio, 1.0);
    assert_eq!(report.results[0].measured_ratio, 1.0);
}

#[test]
fn check_flags_disagreeing_orders() {
    let chain = Chain::new(vec![5u32, 6, 7]).unwrap();
    let mut report = run_bench::<f32>(&chain, &BenchOptions::default(), &mut |_| {}).unwrap();
    report.check().unwrap();
    report.results[1].rel_diff = report.tolerance * 2.0;
    let e = report.check().unwrap_err();
    assert!(
        matches!(e, Error::Exec(ExecError::OrdersDisagree { .. })),
        "{e}"
    );
    report.results[1].rel_diff = f64::NAN;
    assert!(report.check().is_err());
}

#[test]
fn seeds_make_operands_reproducible() {
    let chain = Chain::new(vec![8u32, 9, 10, 11]).unwrap();
    let a = random_operands::<f64>(&chain, 42).unwrap();
    let b = random_operands::<f64>(&chain, 42).unwrap();
    let c = random_operands::<f64>(&chain, 7).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let shapes: Vec<_> = a.iter().map(|m| m.dim()).collect();
    assert_eq!(shapes, [(8, 9), (9, 10), (10, 11)]);
    assert!(a.iter().flatten().all(|&x| (-1.0..1.0).contains(&x)));
}

#[test]
fn tolerance_scales_with_the_inner_dimensions() {
    let chain = Chain::new(vec![7u32, 30, 20, 5]).unwrap();
    let r64 = run_bench::<f64>(&chain, &BenchOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(r64.tolerance, 8.0 * f64::EPSILON * 50.0);
    let r32 = run_bench::<f32>(&chain, &BenchOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(r32.tolerance, 8.0 * f64::from(f32::EPSILON) * 50.0);
    assert_eq!(r32.dtype, "f32");
}
