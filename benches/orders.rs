//! Orders of a chain against each other on BLAS: (AB)C against A(BC) for the lecture's shapes,
//! square and skinny chains, one large dgemm for reference, and the fixed overhead of planning
//! and buffer set-up on tiny chains.
//!
//! Throughput is in flops (criterion prints it as "elem/s": read Gelem/s as GFLOP/s). Operands
//! are built outside the timed closures. Run: `cargo bench --bench orders` (figures in
//! benches/README.md).

use chainplan::exec::{self, Executor, Factor};
use chainplan::plan::{dp, Plan};
use chainplan::Chain;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
use ndarray::{Array1, Array2, Axis};
use std::hint::black_box;
use std::time::Duration;

fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        (((i * 131 + j * 71 + seed * 17) % 1000) as f64) / 500.0 - 1.0
    })
}

fn vector(len: usize, seed: usize) -> Array1<f64> {
    Array1::from_shape_fn(len, |i| {
        (((i * 37 + seed * 13) % 1000) as f64) / 500.0 - 1.0
    })
}

/// Times each named order of `factors` for `dims`, with flops as throughput.
fn orders(
    c: &mut Criterion,
    group: &str,
    dims: &[u32],
    factors: &[Factor<'_, f64>],
    names: &[(&str, &str)],
) {
    let chain = Chain::new(dims.to_vec()).unwrap();
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (name, order) in names {
        let plan = Plan::from_order(&chain, order).unwrap();
        let mut ex = Executor::<f64>::new(&plan).unwrap();
        g.throughput(Throughput::Elements(plan.flops().unwrap() as u64));
        g.bench_function(BenchmarkId::new(*name, order), |b| {
            b.iter(|| black_box(ex.run_factors(factors).unwrap()))
        });
    }
    g.finish();
}

fn lecture_shapes(c: &mut Criterion) {
    let (m, n, p) = (1024, 1024, 1024);
    let a = matrix(m, n, 1);
    let b = matrix(n, p, 2);
    let x = vector(p, 3);
    // A m×n, B n×p, C p×1: A(BC) costs n·p + m·n, (AB)C costs m·n·p + m·p.
    let col = [Factor::from(&a), Factor::from(&b), Factor::from(&x)];
    orders(
        c,
        "column_vector_end",
        &[m as u32, n as u32, p as u32, 1],
        &col,
        &[("(AB)C", "((A1A2)A3)"), ("A(BC)", "(A1(A2A3))")],
    );
    // The mirror: x (1×m) A B.
    let y = vector(m, 4);
    let row = [Factor::from(&y), Factor::from(&a), Factor::from(&b)];
    orders(
        c,
        "row_vector_start",
        &[1, m as u32, n as u32, p as u32],
        &row,
        &[("(xA)B", "((A1A2)A3)"), ("x(AB)", "(A1(A2A3))")],
    );
}

fn matvec(c: &mut Criterion) {
    // 2048 × 2048 times a vector: as a 1-D array through gemv, as a one-column matrix through
    // gemm (ndarray's general_mat_mul), and through the executor (which takes gemv for both).
    let n = 2048;
    let a = matrix(n, n, 5);
    let x = vector(n, 6);
    let x2 = x.clone().insert_axis(Axis(1));
    let mut y = Array1::zeros(n);
    let mut y2 = Array2::zeros((n, 1));
    let mut g = c.benchmark_group("matvec_2048");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(2 * (n * n) as u64));
    g.bench_function("gemv_1d", |b| {
        b.iter(|| general_mat_vec_mul(1.0, &a, &x, 0.0, &mut y))
    });
    g.bench_function("gemm_one_column", |b| {
        b.iter(|| general_mat_mul(1.0, &a, &x2, 0.0, &mut y2))
    });
    let plan = dp::optimal(&Chain::new(vec![n as u32, n as u32, 1]).unwrap()).unwrap();
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    g.bench_function("executor_one_column", |b| {
        b.iter(|| ex.run_into(&[&a, &x2], &mut y2).unwrap())
    });
    g.finish();
}

fn square_and_skinny(c: &mut Criterion) {
    let s = 512;
    let sq: Vec<Array2<f64>> = (0..4).map(|i| matrix(s, s, i)).collect();
    let f: Vec<Factor<'_, f64>> = sq.iter().map(Factor::from).collect();
    orders(
        c,
        "square_512x4",
        &[512; 5],
        &f,
        &[
            ("left_to_right", "(((A1A2)A3)A4)"),
            ("balanced", "((A1A2)(A3A4))"),
        ],
    );

    let dims = [1000u32, 10, 1000, 10, 1000];
    let sk: Vec<Array2<f64>> = dims
        .windows(2)
        .enumerate()
        .map(|(i, w)| matrix(w[0] as usize, w[1] as usize, i))
        .collect();
    let f: Vec<Factor<'_, f64>> = sk.iter().map(Factor::from).collect();
    let chain = Chain::new(dims.to_vec()).unwrap();
    let opt = dp::optimal(&chain).unwrap().order();
    orders(
        c,
        "skinny_1000_10",
        &dims,
        &f,
        &[
            ("optimal", opt.as_str()),
            ("left_to_right", "(((A1A2)A3)A4)"),
            ("right_to_left", "(A1(A2(A3A4)))"),
        ],
    );
}

fn large_square(c: &mut Criterion) {
    // Five 1500 × 1500 matrices against one 1500³ dgemm through the same BLAS.
    let n = 1500;
    let ops: Vec<Array2<f64>> = (0..5).map(|i| matrix(n, n, i)).collect();
    let mut g = c.benchmark_group("large_square_1500");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    let one = dp::optimal(&Chain::new(vec![1500u32; 3]).unwrap()).unwrap();
    let mut ex1 = Executor::<f64>::new(&one).unwrap();
    let mut out = Array2::zeros((n, n));
    g.throughput(Throughput::Elements(one.flops().unwrap() as u64));
    g.bench_function("single_dgemm", |b| {
        b.iter(|| ex1.run_into(&ops[..2], &mut out).unwrap())
    });
    let five = dp::optimal(&Chain::new(vec![1500u32; 6]).unwrap()).unwrap();
    let mut ex5 = Executor::<f64>::new(&five).unwrap();
    g.throughput(Throughput::Elements(five.flops().unwrap() as u64));
    g.bench_function("chain_of_5", |b| {
        b.iter(|| ex5.run_into(&ops, &mut out).unwrap())
    });
    g.finish();
}

fn overhead(c: &mut Criterion) {
    // n = 3 matrices of 10 × 10: what planning and buffer set-up add to the products.
    let ops: Vec<Array2<f64>> = (0..3).map(|i| matrix(10, 10, i)).collect();
    let chain = Chain::new(vec![10u32; 4]).unwrap();
    let plan = dp::optimal(&chain).unwrap();
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    let mut out = Array2::zeros((10, 10));
    let mut g = c.benchmark_group("overhead_3x10");
    g.bench_function("products_only", |b| {
        b.iter(|| ex.run_into(&ops, &mut out).unwrap())
    });
    g.bench_function("plan", |b| {
        b.iter(|| dp::optimal(black_box(&chain)).unwrap())
    });
    g.bench_function("executor_setup", |b| {
        b.iter(|| Executor::<f64>::new(black_box(&plan)).unwrap())
    });
    g.bench_function("multi_dot_total", |b| {
        b.iter(|| exec::multi_dot(black_box(&[&ops[0], &ops[1], &ops[2]])).unwrap())
    });
    g.bench_function("ndarray_dot", |b| {
        b.iter(|| ops[0].dot(&ops[1]).dot(&ops[2]))
    });
    g.finish();
}

criterion_group!(
    benches,
    lecture_shapes,
    matvec,
    square_and_skinny,
    large_square,
    overhead
);
criterion_main!(benches);
