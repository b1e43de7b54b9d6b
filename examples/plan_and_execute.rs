//! Journey 1: plan a chain and execute it.
//!
//! Builds the operands of a chain, plans it (exactly, by the default algorithm), prints the
//! plan and what it saves over left to right, executes it with an `Executor` into a buffer,
//! and checks the product against ndarray's left-to-right `dot`.
//!
//! ```sh
//! cargo run --example plan_and_execute
//! ```

use chainplan::{Algorithm, Chain, Executor, Plan};
use ndarray::Array2;

fn main() -> Result<(), chainplan::Error> {
    // A chain where the order matters: a tall-skinny start, a wide middle, a thin end.
    let dims = [400usize, 20, 500, 30, 600, 10];
    let ops: Vec<Array2<f64>> = dims
        .windows(2)
        .enumerate()
        .map(|(i, d)| {
            Array2::from_shape_fn((d[0], d[1]), |(r, c)| {
                ((r * 31 + c * 17 + i * 7) % 13) as f64 / 13.0 - 0.5
            })
        })
        .collect();

    let chain = Chain::from_operands(&ops)?;
    let plan = Algorithm::default().plan(&chain)?;
    let naive = Plan::left_to_right(&chain)?;
    println!("chain     {chain}");
    println!(
        "plan      {plan}: {} scalar multiplications, largest intermediate {} elements",
        plan.cost(),
        plan.largest_intermediate()
    );
    println!(
        "left-to-right {naive}: {} ({:.1}x the plan)",
        naive.cost(),
        naive.cost() as f64 / plan.cost() as f64
    );
    for (s, step) in plan.steps().iter().enumerate() {
        println!(
            "  step {}: {} · {}  ({} × {} · {} × {})",
            s + 1,
            step.lhs.name(),
            step.rhs.name(),
            step.m,
            step.k,
            step.k,
            step.n
        );
    }

    let mut exec = Executor::<f64>::new(&plan)?;
    let mut out = Array2::zeros(exec.output_shape());
    exec.run_into(&ops, &mut out)?;

    let reference = ops[1..].iter().fold(ops[0].clone(), |acc, m| acc.dot(m));
    let scale: f64 = dims[1..dims.len() - 1].iter().sum::<usize>() as f64;
    let max_err = out
        .iter()
        .zip(reference.iter())
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f64::max);
    println!(
        "product {:?}, largest relative difference from ndarray's dot: {max_err:.1e}",
        out.dim()
    );
    assert!(max_err <= 1e-12 * scale, "the product differs: {max_err}");
    Ok(())
}
