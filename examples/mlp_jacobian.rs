//! Journey 3: plan and run an MLP's gradient and full Jacobian, structured and dense.
//!
//! A 784-512-512-10 tanh network (random weights, or the user's own through
//! `Mlp::from_weights`) is written as its widths plus where its activations are. The example
//! prints the costs of forward mode, reverse mode and the optimum for the loss gradient and
//! for the full 10 × 784 Jacobian, with the activations priced as diagonals (structured) and
//! as dense matrices; then runs the full Jacobian both ways, in f64 and f32, checks that they
//! agree, and times them.
//!
//! ```sh
//! cargo run --release --example mlp_jacobian
//! ```

use chainplan::jacobian::{JacobianChain, Mlp, StructuredFactor};
use chainplan::{Element, Plan};
use ndarray::{Array1, Array2};
use std::time::Instant;

/// Median seconds of 5 runs of `f`.
fn median_seconds(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn costs(name: &str, chain: &JacobianChain) -> Result<(), chainplan::Error> {
    let a = chain.analyze()?;
    let dense = chain.as_dense().analyze()?;
    println!(
        "{name:<13} forward {:>13}  reverse {:>11}  optimal {:>11} ({}, {})   all dense: optimal {:>11}",
        a.forward, a.reverse, a.optimal, a.mode, a.named_order, dense.optimal
    );
    Ok(())
}

/// The full Jacobian at `x` by the structured chain and by the chain with every factor
/// dense, each in its own optimal order.
fn both<T: Element>(
    net: &Mlp<T>,
    x: &Array1<T>,
) -> Result<(Array2<T>, Array2<T>), chainplan::Error> {
    let jc = net.jacobian_chain()?;
    let structured = net.jacobian(x, &jc.optimal_plan()?)?;
    let dense_chain = jc.as_dense();
    let factors: Vec<StructuredFactor<T>> = net
        .jacobian_factors(x)?
        .into_iter()
        .map(|f| StructuredFactor::dense(f.into_dense()))
        .collect();
    let dense = dense_chain
        .execute(&dense_chain.optimal_plan()?, factors)?
        .into_dense();
    Ok((structured, dense))
}

/// Views of `factors`, to run a plan again without copying them.
fn views<'s>(factors: &'s [StructuredFactor<'_>]) -> Vec<StructuredFactor<'s>> {
    factors.iter().map(StructuredFactor::view).collect()
}

fn max_abs_diff<T: Element>(a: &Array2<T>, b: &Array2<T>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x - *y).abs().to_f64().unwrap_or(f64::INFINITY))
        .fold(0.0, f64::max)
}

fn main() -> Result<(), chainplan::Error> {
    let widths = [784, 512, 512, 10];
    let net = Mlp::random(&widths, 7)?;
    let x = Array1::from_shape_fn(784, |i| ((i * 37) % 101) as f64 / 50.0 - 1.0);
    let t = Array1::zeros(10);

    println!("network {widths:?}, tanh after each hidden layer; costs in multiply-adds");
    costs("gradient", &net.gradient_chain()?)?;
    costs("full Jacobian", &net.jacobian_chain()?)?;

    // The gradient in the optimal (here reverse) order, and from the full Jacobian.
    let grad_chain = net.gradient_chain()?;
    let g = net.gradient(&x, &t, &grad_chain.optimal_plan()?)?;
    let (structured, dense) = both(&net, &x)?;
    let residual = &net.output(&x)? - &t;
    let g_from_j = residual.dot(&structured);
    let g_err = (&g - &g_from_j).iter().fold(0.0f64, |m, d| m.max(d.abs()));
    // Rounding of sums over at most 784 terms of size about 1.
    let tol = 784.0 * 8.0 * f64::EPSILON;
    println!("gradient: optimal order vs residualᵀ·Jacobian: max |diff| {g_err:.2e} (tolerance {tol:.1e})");
    assert!(g_err <= tol);
    let err = max_abs_diff(&structured, &dense);
    println!("Jacobian f64: structured vs dense: max |diff| {err:.2e}");
    assert!(err <= tol);

    // f32: the same network, rounded.
    let net32 = net.cast::<f32>();
    let x32 = x.mapv(|v| v as f32);
    let (s32, d32) = both(&net32, &x32)?;
    let err32 = max_abs_diff(&s32, &d32);
    let vs64 = max_abs_diff(&s32.mapv(f64::from), &structured);
    let tol32 = 784.0 * 8.0 * f64::from(f32::EPSILON);
    println!(
        "Jacobian f32: structured vs dense {err32:.2e}, vs f64 {vs64:.2e} (tolerance {tol32:.1e})"
    );
    assert!(err32 <= tol32 && vs64 <= tol32);

    // Time the products of the full Jacobian's chain both ways, over factors formed once
    // (one forward pass; the dense chain stores each diagonal as a dense matrix). One shared,
    // noisy machine: a rough ratio only.
    let jc = net.jacobian_chain()?;
    let plan: Plan = jc.optimal_plan()?;
    let dense_chain = jc.as_dense();
    let dense_plan = dense_chain.optimal_plan()?;
    let factors = net.jacobian_factors(&x)?;
    let dense_factors: Vec<StructuredFactor> = factors
        .iter()
        .map(|f| StructuredFactor::dense(f.to_dense()))
        .collect();
    let ts = median_seconds(|| {
        std::hint::black_box(jc.execute(&plan, views(&factors)).unwrap());
    });
    let td = median_seconds(|| {
        std::hint::black_box(
            dense_chain
                .execute(&dense_plan, views(&dense_factors))
                .unwrap(),
        );
    });
    println!(
        "full Jacobian products, median of 5: structured {:.2} ms ({} mult-adds), dense {:.2} ms ({}): {:.1}x; blas feature: {}",
        ts * 1e3,
        plan.cost(),
        td * 1e3,
        dense_plan.cost(),
        td / ts,
        cfg!(feature = "blas")
    );
    Ok(())
}
