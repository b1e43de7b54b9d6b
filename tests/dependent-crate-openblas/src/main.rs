//! Plans a chain and multiplies it through BLAS (the system OpenBLAS), checking the product
//! against ndarray's left-to-right `dot`.

// The provider: links the system OpenBLAS (see Cargo.toml).
extern crate blas_src;

use chainplan::{multi_dot, Algorithm, Chain, Executor};
use ndarray::Array2;

fn main() -> Result<(), chainplan::Error> {
    let dims = [40usize, 7, 60, 5, 30];
    let ops: Vec<Array2<f64>> = dims
        .windows(2)
        .enumerate()
        .map(|(i, d)| Array2::from_shape_fn((d[0], d[1]), |(r, c)| ((r + 3 * c + i) % 5) as f64 - 2.0))
        .collect();
    let plan = Algorithm::default().plan(&Chain::new(dims)?)?;
    let naive = ops[1..].iter().fold(ops[0].clone(), |acc, m| acc.dot(m));
    let product = multi_dot(&ops)?.into_matrix().expect("a matrix");
    assert_eq!(product, naive); // small integers: exact in any order
    let mut exec = Executor::<f64>::new(&plan)?;
    assert_eq!(exec.run(&ops)?, naive);
    println!("plan {plan} costs {}; multi_dot through BLAS matches", plan.cost());
    Ok(())
}
