//! After its first call, `Executor::run_into` and `Executor::run_factors_into` make no heap
//! allocation with the BLAS backend: a counting global allocator (in this test binary only)
//! counts every `alloc`, `alloc_zeroed` and `realloc` that the calling thread makes during the
//! calls. Only that thread counts: the test harness's own threads allocate at any moment (a
//! global count made this test fail now and then), and with BLAS the executor starts no Rust
//! thread of its own (OpenBLAS's threads do not use Rust's allocator).
//!
//! Without BLAS (`cargo test -p chainplan --test alloc_free`, default features), ndarray's
//! `matrixmultiply` kernel allocates its packing buffer in every matrix-matrix step; the test
//! then checks that the executor itself adds nothing: at most one allocation per gemm step.

use chainplan::exec::{plan_for_factors, AsFactor, Executor};
use chainplan::plan::dp;
use chainplan::Chain;
use ndarray::{Array0, Array1, Array2, ShapeBuilder};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread's allocations are being counted (const: reading it never allocates).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

/// Counts one allocation if the current thread is measuring.
fn count() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(mut f: impl FnMut()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 7 + j * 3 + seed) % 11) as f64 - 5.0
    })
}

/// Most allocations a run may make: none with BLAS; one packing buffer per gemm step
/// (m, n > 1) with ndarray's own kernel.
fn allowed(plan: &chainplan::Plan) -> usize {
    if cfg!(feature = "blas") {
        0
    } else {
        plan.steps().iter().filter(|s| s.m > 1 && s.n > 1).count()
    }
}

// One test function only: the counter is global, and the harness runs tests in parallel.
#[test]
fn runs_after_the_first_allocate_nothing() {
    // Matrices, gemm and gemv steps, an operand in column-major (transposed) layout.
    let dims = [40usize, 30, 1, 50, 60, 20];
    let chain = Chain::new(dims).unwrap();
    let plan = dp::optimal(&chain).unwrap();
    let mut ops: Vec<Array2<f64>> = (0..5).map(|i| matrix(dims[i], dims[i + 1], i)).collect();
    let fortran =
        Array2::from_shape_vec((dims[3], dims[4]).f(), ops[3].iter().copied().collect()).unwrap();
    ops[3] = fortran;
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    let mut out = Array2::zeros(ex.output_shape());
    ex.run_into(&ops, &mut out).unwrap();
    let want = out.clone();
    let n = allocations(|| {
        for _ in 0..5 {
            ex.run_into(&ops, &mut out).unwrap();
        }
    });
    eprintln!("run_into: {n} allocations in 5 calls ({})", plan.order());
    assert!(
        n <= 5 * allowed(&plan),
        "run_into made {n} allocations in 5 calls"
    );
    assert_eq!(out, want);

    // Vectors at the ends: a vector result and a scalar result.
    let x: Array1<f64> = (0..40).map(|i| (i % 5) as f64 - 2.0).collect();
    let a = matrix(40, 64, 1);
    let b = matrix(64, 32, 2);
    let y: Array1<f64> = (0..32).map(|i| (i % 3) as f64 - 1.0).collect();

    let xab: [&dyn AsFactor<f64>; 3] = [&x, &a, &b];
    let plan = plan_for_factors(&xab).unwrap();
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    let mut v = Array1::zeros(32);
    ex.run_factors_into(&xab, &mut v).unwrap();
    let want = x.dot(&a).dot(&b);
    let n = allocations(|| {
        for _ in 0..5 {
            ex.run_factors_into(&xab, &mut v).unwrap();
        }
    });
    eprintln!(
        "run_factors_into, vector: {n} allocations in 5 calls ({})",
        plan.order()
    );
    assert!(
        n <= 5 * allowed(&plan),
        "vector result: {n} allocations in 5 calls"
    );
    assert_eq!(v, want);

    let xaby: [&dyn AsFactor<f64>; 4] = [&x, &a, &b, &y];
    let plan = plan_for_factors(&xaby).unwrap();
    let mut ex = Executor::<f64>::new(&plan).unwrap();
    let mut s = Array0::zeros(());
    ex.run_factors_into(&xaby, &mut s).unwrap();
    let n = allocations(|| {
        for _ in 0..5 {
            ex.run_factors_into(&xaby, &mut s).unwrap();
        }
    });
    eprintln!(
        "run_factors_into, scalar: {n} allocations in 5 calls ({})",
        plan.order()
    );
    assert!(
        n <= 5 * allowed(&plan),
        "scalar result: {n} allocations in 5 calls"
    );
    assert_eq!(s[()], want.dot(&y));
}
