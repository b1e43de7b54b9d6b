//! Execution against an oracle: a naive triple-loop product written here, in f64, with an
//! error bound scaled by the inner dimensions and by the product of absolute values.

use chainplan::error::{ChainError, ExecError};
use chainplan::exec::{self, AsFactor, Element, Executor, Factor, Product};
use chainplan::plan::{dp, Plan};
use chainplan::{Chain, Error};
use ndarray::{s, Array1, Array2, ArrayView2};
use proptest::prelude::*;

/// Deterministic values in [-1, 1) (a small LCG, independent of the library and of ndarray-rand).
fn matrix<T: Element>(rows: usize, cols: usize, seed: u64) -> Array2<T> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Array2::from_shape_simple_fn((rows, cols), || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        T::from(((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0).unwrap()
    })
}

fn operands<T: Element>(dims: &[u32], seed: u64) -> Vec<Array2<T>> {
    dims.windows(2)
        .enumerate()
        .map(|(i, w)| matrix(w[0] as usize, w[1] as usize, seed + i as u64))
        .collect()
}

/// The naive product of two f64 matrices, one scalar at a time.
fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert_eq!(b.nrows(), k);
    let mut c = Array2::zeros((m, n));
    for i in 0..m {
        for j in 0..n {
            let mut sum = 0.0;
            for l in 0..k {
                sum += a[[i, l]] * b[[l, j]];
            }
            c[[i, j]] = sum;
        }
    }
    c
}

/// Left-to-right naive product of the operands (in f64) and of their absolute values.
fn oracle<T: Element>(ops: &[Array2<T>]) -> (Array2<f64>, Array2<f64>) {
    let wide: Vec<Array2<f64>> = ops
        .iter()
        .map(|a| a.mapv(|x| x.to_f64().unwrap()))
        .collect();
    let mut prod = wide[0].clone();
    let mut abs = wide[0].mapv(f64::abs);
    for a in &wide[1..] {
        prod = naive(&prod, a);
        abs = naive(&abs, &a.mapv(f64::abs));
    }
    (prod, abs)
}

/// Asserts |got − want| ≤ 4 · (Σ inner dims) · ε · |A1|·…·|An| elementwise (the classic bound
/// for a product evaluated in any order).
fn assert_close<T: Element>(got: ArrayView2<'_, T>, ops: &[Array2<T>], dims: &[u32]) {
    let (want, abs) = oracle(ops);
    assert_eq!(got.dim(), want.dim());
    let inner: f64 = dims.iter().map(|&d| d as f64).sum();
    let eps = T::epsilon().to_f64().unwrap();
    for ((g, w), a) in got.iter().zip(want.iter()).zip(abs.iter()) {
        let g = g.to_f64().unwrap();
        let tol = 4.0 * inner * eps * a + f64::MIN_POSITIVE;
        assert!(
            (g - w).abs() <= tol,
            "got {g}, want {w}, tol {tol}, dims {dims:?}"
        );
    }
}

fn plans(chain: &Chain) -> Vec<Plan> {
    vec![
        dp::optimal(chain).unwrap(),
        dp::worst(chain).unwrap(),
        Plan::left_to_right(chain).unwrap(),
        Plan::right_to_left(chain).unwrap(),
    ]
}

#[test]
fn every_order_matches_the_naive_product_f64() {
    for dims in [
        vec![30u32, 35, 15, 5, 10, 20, 25],
        vec![1, 50, 40, 30, 1],
        vec![8, 1, 9, 1, 7],
        vec![64, 64, 64],
        vec![3, 4],
        vec![1, 1],
    ] {
        let chain = Chain::new(dims.clone()).unwrap();
        let ops = operands::<f64>(&dims, 7);
        for plan in plans(&chain) {
            let got = exec::execute(&plan, &ops).unwrap();
            assert_close(got.view(), &ops, &dims);
        }
    }
}

#[test]
fn every_order_matches_the_naive_product_f32() {
    let dims = vec![40u32, 70, 1, 60, 35, 2];
    let chain = Chain::new(dims.clone()).unwrap();
    let ops = operands::<f32>(&dims, 11);
    for plan in plans(&chain) {
        let got = exec::execute(&plan, &ops).unwrap();
        assert_close(got.view(), &ops, &dims);
    }
}

#[test]
fn multi_dot_matches_the_naive_product() {
    let dims = [20u32, 3, 50, 4, 30];
    let ops = operands::<f64>(&dims, 3);
    let refs: Vec<&dyn AsFactor<f64>> = ops.iter().map(|a| a as &dyn AsFactor<f64>).collect();
    let got = exec::multi_dot(&refs).unwrap().into_matrix().unwrap();
    assert_close(got.view(), &ops, &dims);
    let plan = exec::plan_for(&ops).unwrap();
    assert_eq!(
        plan.cost(),
        dp::optimal(&Chain::new(dims.to_vec()).unwrap())
            .unwrap()
            .cost()
    );
}

/// `multi_dot`, `multi_dot_into` and the executor take slices and `Vec`s of owned arrays,
/// views or references directly, and every form gives the naive product.
#[test]
fn multi_dot_takes_slices_and_vecs_of_arrays_or_views() {
    let dims = [7u32, 12, 3, 9, 5];
    let ops: Vec<Array2<f64>> = operands(&dims, 11);
    let views: Vec<ArrayView2<'_, f64>> = ops.iter().map(|a| a.view()).collect();
    let refs: Vec<&Array2<f64>> = ops.iter().collect();
    let products = [
        exec::multi_dot(&ops).unwrap(),      // &Vec<Array2>
        exec::multi_dot(&ops[..]).unwrap(),  // &[Array2]
        exec::multi_dot(&views).unwrap(),    // &Vec<ArrayView2>
        exec::multi_dot(&refs).unwrap(),     // &Vec<&Array2>
        exec::multi_dot(&refs[..]).unwrap(), // &[&Array2]
    ];
    for p in products {
        assert_close(p.into_matrix().unwrap().view(), &ops, &dims);
    }
    let mut out = Array2::<f64>::zeros((7, 5));
    exec::multi_dot_into(&views, &mut out).unwrap();
    assert_close(out.view(), &ops, &dims);
    let mut executor = Executor::<f64>::new(&exec::plan_for(&views).unwrap()).unwrap();
    assert_close(executor.run(&ops).unwrap().view(), &ops, &dims);
    assert_close(executor.run(&views).unwrap().view(), &ops, &dims);
    let got = executor.run_factors(&refs).unwrap().into_matrix().unwrap();
    assert_close(got.view(), &ops, &dims);
}

#[test]
fn execute_into_writes_the_callers_array_in_any_layout() {
    let dims = [12u32, 30, 9, 25];
    let chain = Chain::new(dims.to_vec()).unwrap();
    let ops = operands::<f64>(&dims, 5);
    let plan = dp::optimal(&chain).unwrap();
    let mut out = Array2::from_elem((12, 25), f64::NAN);
    exec::execute_into(&plan, &ops, &mut out).unwrap();
    assert_close(out.view(), &ops, &dims);

    // A strided window of a larger array: not BLAS-compatible, written through a temporary.
    let mut big = Array2::from_elem((24, 25), -7.0);
    let mut window = big.slice_mut(s![..;2, ..]);
    exec::execute_into(&plan, &ops, &mut window).unwrap();
    assert_close(big.slice(s![..;2, ..]), &ops, &dims);
    assert!(big.slice(s![1..;2, ..]).iter().all(|&x| x == -7.0));

    // Fortran-layout output.
    let mut f = Array2::from_elem((25, 12), 0.0);
    let mut ft = f.view_mut().reversed_axes();
    exec::execute_into(&plan, &ops, &mut ft).unwrap();
    assert_close(f.t(), &ops, &dims);
}

#[test]
fn non_standard_operands_give_the_same_product() {
    let dims = [10u32, 20, 15, 5];
    let ops = operands::<f64>(&dims, 9);
    let chain = Chain::new(dims.to_vec()).unwrap();
    let plan = dp::optimal(&chain).unwrap();
    // A1 as the transpose of a 20 × 10 array, A2 as every other row of a 40 × 15 array,
    // A3 reversed along its rows (negative stride).
    let a1t = ops[0].t().to_owned();
    let mut tall = Array2::zeros((40, 15));
    tall.slice_mut(s![..;2, ..]).assign(&ops[1]);
    let mut rev = ops[2].clone();
    rev.invert_axis(ndarray::Axis(0));
    let a3 = rev.slice(s![..;-1, ..]);
    let views = [a1t.t(), tall.slice(s![..;2, ..]), a3];
    let got = exec::execute(&plan, &views).unwrap();
    assert_close(got.view(), &ops, &dims);
}

#[test]
fn executor_reuses_its_workspace() {
    let dims = [30u32, 35, 15, 5, 10, 20, 25];
    let chain = Chain::new(dims.to_vec()).unwrap();
    let plan = dp::optimal(&chain).unwrap();
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    for seed in 0..3 {
        let ops = operands::<f64>(&dims, seed);
        let got = ex.run(&ops).unwrap();
        assert_close(got.view(), &ops, &dims);
    }
    assert!(ex.buffers().total_elements() < plan.steps().iter().map(|s| s.elements()).sum());
}

#[test]
fn vectors_at_the_ends() {
    let x: Array1<f64> = matrix::<f64>(1, 40, 1).row(0).to_owned();
    let y: Array1<f64> = matrix::<f64>(1, 30, 2).row(0).to_owned();
    let a = matrix::<f64>(40, 50, 3);
    let b = matrix::<f64>(50, 30, 4);
    let xm = x.clone().insert_axis(ndarray::Axis(0));
    let ym = y.clone().insert_axis(ndarray::Axis(1));

    // x A B y: a scalar.
    let dims = [1u32, 40, 50, 30, 1];
    let ops = vec![xm.clone(), a.clone(), b.clone(), ym.clone()];
    let chain = Chain::new(dims.to_vec()).unwrap();
    let factors = [Factor::from(&x), (&a).into(), (&b).into(), (&y).into()];
    for plan in plans(&chain) {
        let p = exec::execute_factors(&plan, &factors).unwrap();
        let got = p.into_scalar().expect("a scalar");
        assert_close(Array2::from_elem((1, 1), got).view(), &ops, &dims);
    }

    // x A B: a vector of 30.
    let v = exec::multi_dot_factors(&factors[..3])
        .unwrap()
        .into_vector()
        .unwrap();
    let dims3 = [1u32, 40, 50, 30];
    assert_close(v.insert_axis(ndarray::Axis(0)).view(), &ops[..3], &dims3);

    // A B y: a vector of 40.
    let v = exec::multi_dot_factors(&factors[1..])
        .unwrap()
        .into_vector()
        .unwrap();
    assert_close(
        v.insert_axis(ndarray::Axis(1)).view(),
        &ops[1..],
        &[40, 50, 30, 1],
    );

    // x y-like: a dot product of two vectors, and a lone vector.
    let z: Array1<f64> = matrix::<f64>(1, 40, 5).row(0).to_owned();
    let p = exec::multi_dot_factors(&[(&x).into(), (&z).into()]).unwrap();
    let want: f64 = x.iter().zip(z.iter()).map(|(a, b)| a * b).sum();
    assert!((p.into_scalar().unwrap() - want).abs() < 1e-12);
    assert_eq!(
        exec::multi_dot_factors(&[(&x).into()]).unwrap(),
        Product::Vector(x.clone())
    );
}

#[test]
fn errors_are_typed_and_name_the_operands() {
    let chain = Chain::new(vec![2u32, 3, 4]).unwrap();
    let plan = dp::optimal(&chain).unwrap();
    let a = Array2::<f64>::zeros((2, 3));
    let b = Array2::<f64>::zeros((3, 4));
    let c = Array2::<f64>::zeros((4, 4));

    let e = exec::execute(&plan, &[&a]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Exec(ExecError::OperandCount {
                expected: 2,
                got: 1
            })
        ),
        "{e}"
    );

    let e = exec::execute(&plan, &[&a, &c]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "cannot multiply A1 (2 x 3) by A2 (4 x 4): inner dimensions 3 and 4 differ"
    );

    // Fits its neighbour but not the plan.
    let b5 = Array2::<f64>::zeros((3, 5));
    let e = exec::execute(&plan, &[&a, &b5]).unwrap_err();
    assert_eq!(e.to_string(), "A2 is 3 x 5 but the plan expects 3 x 4");

    let mut out = Array2::<f64>::zeros((4, 2));
    let e = exec::execute_into(&plan, &[&a, &b], &mut out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the output is 4 x 2 but the plan expects 2 x 4"
    );

    let v = Array1::<f64>::zeros(3);
    let e = exec::multi_dot_factors(&[(&a).into(), (&v).into(), (&b).into()]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Exec(ExecError::VectorPosition {
                position: 2,
                count: 3
            })
        ),
        "{e}"
    );

    let e = exec::multi_dot(&[&a as &dyn AsFactor<_>, &c]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let empty: [&dyn AsFactor<f64>; 0] = [];
    assert!(exec::multi_dot(&empty).is_err());
    let zero = Array2::<f64>::zeros((3, 0));
    assert!(matches!(
        exec::multi_dot(&[&zero as &dyn AsFactor<_>, &Array2::<f64>::zeros((0, 2))]).unwrap_err(),
        Error::Chain(ChainError::DimensionTooSmall { .. })
    ));
}

/// A random parenthesization: the split of each sub-chain comes from a hash of it and a seed.
fn random_plan(chain: &Chain, seed: u64) -> Plan {
    Plan::from_splits(chain, |i, j| {
        let h = (i as u64 * 31 + j as u64 * 1009 + seed).wrapping_mul(0x9E3779B97F4A7C15);
        i + (h >> 33) as usize % (j - i)
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_orders_match_the_naive_product(
        dims in prop::collection::vec(1u32..=24, 2..=8),
        seed in any::<u64>(),
    ) {
        let chain = Chain::new(dims.clone()).unwrap();
        let plan = random_plan(&chain, seed);
        let ops = operands::<f64>(&dims, seed);
        let got = exec::execute(&plan, &ops).unwrap();
        assert_close(got.view(), &ops, &dims);
        let ops32 = operands::<f32>(&dims, seed);
        let got32 = exec::execute(&plan, &ops32).unwrap();
        assert_close(got32.view(), &ops32, &dims);
    }
}

/// numpy's rules for `multi_dot` with a mix of 1-D and 2-D, owned and viewed operands, checked
/// against the naive product of the operands lifted to matrices.
#[test]
fn multi_dot_mixes_vectors_matrices_and_views() {
    let x: Array1<f64> = matrix::<f64>(1, 24, 21).row(0).to_owned();
    let a = matrix::<f64>(24, 9, 22);
    let b_t = matrix::<f64>(17, 9, 23); // B is its transpose: a column-major view
    let big = matrix::<f64>(17, 40, 24); // y is a strided column of it
    let y = big.column(5);
    let b = b_t.t();
    let xm = x.clone().insert_axis(ndarray::Axis(0));
    let ym = y.to_owned().insert_axis(ndarray::Axis(1));

    let all = [xm.clone(), a.clone(), b.to_owned(), ym.clone()];
    let s = exec::multi_dot(&[&x as &dyn AsFactor<_>, &a, &b, &y]).unwrap();
    assert_eq!(s.shape(), Vec::<usize>::new());
    let s = s.into_scalar().unwrap();
    assert_close(
        Array2::from_elem((1, 1), s).view(),
        &all,
        &[1, 24, 9, 17, 1],
    );

    let v = exec::multi_dot(&[&a as &dyn AsFactor<_>, &b, &y])
        .unwrap()
        .into_vector()
        .unwrap();
    assert_eq!(v.len(), 24);
    assert_close(
        v.insert_axis(ndarray::Axis(1)).view(),
        &all[1..],
        &[24, 9, 17, 1],
    );

    let v = exec::multi_dot(&[&x as &dyn AsFactor<_>, &a.view(), &b])
        .unwrap()
        .into_vector()
        .unwrap();
    assert_eq!(v.len(), 17);
    assert_close(
        v.insert_axis(ndarray::Axis(0)).view(),
        &all[..3],
        &[1, 24, 9, 17],
    );

    let m = exec::multi_dot(&[&a as &dyn AsFactor<_>, &b]).unwrap();
    assert_eq!(m.shape(), vec![24, 17]);
    assert_close(m.into_matrix().unwrap().view(), &all[1..3], &[24, 9, 17]);

    // f32 goes through the same call.
    let a32 = matrix::<f32>(5, 6, 1);
    let x32 = Array1::<f32>::ones(5);
    let v = exec::multi_dot(&[&x32 as &dyn AsFactor<_>, &a32])
        .unwrap()
        .into_vector()
        .unwrap();
    assert_close(
        v.insert_axis(ndarray::Axis(0)).view(),
        &[Array2::ones((1, 5)), a32.clone()],
        &[1, 5, 6],
    );
}

#[test]
fn multi_dot_into_needs_the_exact_shape() {
    let x: Array1<f64> = matrix::<f64>(1, 12, 31).row(0).to_owned();
    let a = matrix::<f64>(12, 30, 32);
    let b = matrix::<f64>(30, 7, 33);
    let want = exec::multi_dot(&[&x as &dyn AsFactor<_>, &a, &b])
        .unwrap()
        .into_vector()
        .unwrap();

    let mut v = Array1::<f64>::zeros(7);
    exec::multi_dot_into(&[&x as &dyn AsFactor<_>, &a, &b], &mut v).unwrap();
    assert_eq!(v, want);

    // A strided output (a column of a larger matrix) is written too.
    let mut host = Array2::<f64>::from_elem((7, 3), f64::NAN);
    exec::multi_dot_into(&[&x as &dyn AsFactor<_>, &a, &b], &mut host.column_mut(1)).unwrap();
    assert_eq!(host.column(1), want);
    assert!(host.column(0).iter().all(|z| z.is_nan()));

    // Wrong shapes and ranks are typed errors that leave the output alone.
    let mut wrong = Array1::<f64>::from_elem(8, 3.0);
    let e = exec::multi_dot_into(&[&x as &dyn AsFactor<_>, &a, &b], &mut wrong).unwrap_err();
    assert!(
        matches!(e, Error::Exec(ExecError::OutputShape { ref got, ref expected }) if got == &[8] && expected == &[7]),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "the output has shape [8] but the product has shape [7]"
    );
    assert!(wrong.iter().all(|&z| z == 3.0));
    let mut m = Array2::<f64>::zeros((1, 7));
    assert!(matches!(
        exec::multi_dot_into(&[&x as &dyn AsFactor<_>, &a, &b], &mut m).unwrap_err(),
        Error::Exec(ExecError::OutputShape { .. })
    ));

    // Matrix and scalar results.
    let mut m = Array2::<f64>::zeros((12, 7));
    exec::multi_dot_into(&[&a, &b], &mut m).unwrap();
    assert_eq!(
        m,
        exec::execute(&exec::plan_for(&[&a, &b]).unwrap(), &[&a, &b]).unwrap()
    );
    let y = Array1::<f64>::ones(7);
    let mut s = ndarray::Array0::<f64>::zeros(());
    exec::multi_dot_into(&[&x as &dyn AsFactor<_>, &a, &b, &y], &mut s).unwrap();
    assert!((s[()] - want.sum()).abs() <= 1e-12 * want.mapv(f64::abs).sum().max(1.0));
}

#[test]
fn executor_reruns_into_the_same_buffers() {
    let dims = [6u32, 40, 1, 30, 8];
    let ops = operands::<f64>(&dims, 41);
    let plan = dp::optimal(&Chain::new(dims).unwrap()).unwrap();
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    assert_eq!(ex.output_shape(), (6, 8));
    let mut out = Array2::zeros(ex.output_shape());
    for _ in 0..3 {
        ex.run_into(&ops, &mut out).unwrap();
        assert_close(out.view(), &ops, &dims);
    }
    // Another set of operands of the same shapes, through the same executor.
    let ops2 = operands::<f64>(&dims, 42);
    ex.run_into(&ops2, &mut out).unwrap();
    assert_close(out.view(), &ops2, &dims);
}

#[test]
fn chains_come_from_operands_and_shapes() {
    let a = Array2::<f64>::zeros((3, 4));
    let b = Array2::<f64>::zeros((4, 5));
    let c = Array2::<f64>::zeros((5, 2));
    let chain = Chain::from_operands(&[a.view(), b.view(), c.view()]).unwrap();
    assert_eq!(chain.dims(), [3, 4, 5, 2]);
    assert_eq!(
        chain,
        Chain::new(vec![a.nrows(), a.ncols(), b.ncols(), c.ncols()]).unwrap()
    );
    assert_eq!(
        chain,
        Chain::from_shapes(&[a.dim(), b.dim(), c.dim()]).unwrap()
    );
    let e = Chain::from_operands(&[&a, &c]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot multiply A1 (3 x 4) by A2 (5 x 2): inner dimensions 4 and 5 differ"
    );
}
