//! Journey 2: numpy-style `multi_dot` with vectors at the ends, then the same product in a
//! loop into one output buffer, with a planned `Executor` that allocates nothing per call
//! (with BLAS).
//!
//! ```sh
//! cargo run --example multi_dot_loop
//! ```

use chainplan::exec::plan_for_factors;
use chainplan::{multi_dot, multi_dot_into, AsFactor, Executor, Product};
use ndarray::{Array0, Array1, Array2};

fn main() -> Result<(), chainplan::Error> {
    // A row vector times three layers' weights times a column vector: a scalar.
    let w1 = Array2::<f64>::from_shape_fn((784, 512), |(i, j)| ((i + 3 * j) % 7) as f64 - 2.0);
    let w2 = Array2::<f64>::from_shape_fn((512, 512), |(i, j)| ((2 * i + j) % 5) as f64 - 1.0);
    let w3 = Array2::<f64>::from_shape_fn((512, 10), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 4.0);
    let mut x = Array1::<f64>::from_shape_fn(784, |i| (i % 4) as f64);
    let v = Array1::<f64>::from_shape_fn(10, |i| i as f64);

    // numpy: multi_dot([x, W1, W2, W3, v]) is a scalar; [x, W1, W2, W3] a vector of 10.
    let s = multi_dot(&[&x as &dyn AsFactor<_>, &w1, &w2.view(), &w3, &v])?;
    let Product::Scalar(s) = s else {
        unreachable!("1-D at both ends gives a scalar")
    };
    let reference = x.dot(&w1).dot(&w2).dot(&w3).dot(&v);
    println!("x·W1·W2·W3·v = {s} (ndarray, left to right: {reference})");
    assert_eq!(s, reference); // small integers: exact in any order

    let mut y = Array1::<f64>::zeros(10);
    multi_dot_into(&[&x as &dyn AsFactor<_>, &w1, &w2, &w3], &mut y)?;
    println!("x·W1·W2·W3 = {y}");

    // The loop: plan once, allocate the workspace once, write into the same buffers.
    let plan = plan_for_factors(&[&x as &dyn AsFactor<f64>, &w1, &w2, &w3, &v])?;
    println!("planned order for [x, W1, W2, W3, v]: {plan}");
    let mut exec = Executor::<f64>::new(&plan)?;
    let mut out = Array0::<f64>::zeros(());
    for t in 1..=5 {
        x.mapv_inplace(|e| e + 1.0);
        let factors: [&dyn AsFactor<f64>; 5] = [&x, &w1, &w2, &w3, &v];
        exec.run_factors_into(&factors, &mut out)?;
        let check = x.dot(&w1).dot(&w2).dot(&w3).dot(&v);
        println!("step {t}: {} (check {check})", out[()]);
        assert_eq!(out[()], check);
    }
    Ok(())
}
