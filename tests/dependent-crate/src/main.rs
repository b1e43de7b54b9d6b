//! Plans a chain and multiplies it with chainplan's default features: ndarray's own kernels,
//! no BLAS, no system library. Exits non-zero if any result is wrong.

use chainplan::{multi_dot, Algorithm, Chain, Product};
use ndarray::{array, Array2};

fn main() -> Result<(), chainplan::Error> {
    // Plan the textbook chain.
    let chain = Chain::new([30usize, 35, 15, 5, 10, 20, 25])?;
    let plan = Algorithm::default().plan(&chain)?;
    assert_eq!(plan.to_string(), "((A1(A2A3))((A4A5)A6))");
    assert_eq!(plan.cost(), 15_125);

    // numpy-style multi_dot with vectors at both ends: a scalar comes out.
    let x = array![1.0, 2.0];
    let a = array![[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]];
    let b = Array2::from_shape_fn((3, 2), |(i, j)| (i + j) as f64);
    let y = array![1.0, -1.0];
    // x·A = (1, 2, 4); (x·A)·B = (0+2+8, 1+4+12) = (10, 17); · y = -7.
    let p = multi_dot(&[&x, &a, &b.view(), &y])?;
    assert_eq!(p, Product::Scalar(-7.0));

    println!("plan {plan} costs {}; x·A·B·y = -7", plan.cost());
    Ok(())
}
