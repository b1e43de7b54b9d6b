//! Least squares and generalized least squares as a library user writes them: declare the
//! operands with their properties, plan the expression, print the plan, and execute it on
//! ndarray arrays bound by name, on every backend this build has (faer by default; add
//! `--features openblas-system` for the system BLAS/LAPACK).
//!
//! ```text
//! cargo run --release --example least_squares
//! ```

use chainplan::generalized::{plan, Backend, CostModel, Expression, GenError, Operand, Properties};
use chainplan::Product;
use ndarray::{Array1, Array2};

fn main() -> Result<(), GenError> {
    let (m, n) = (2000, 200);
    let full_rank = Properties {
        full_rank: true,
        ..Properties::default()
    };
    let spd = Properties {
        spd: true,
        ..Properties::default()
    };
    let ops = [
        Operand::new("X", m, n, full_rank)?,
        Operand::new("M", m, m, spd)?,
        Operand::new("y", m, 1, Properties::default())?,
    ];
    // A design matrix, an SPD covariance (diagonally dominant), and y = X·β₀.
    let x = Array2::from_shape_fn((m, n), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5);
    let cov = Array2::from_shape_fn((m, m), |(i, j)| {
        if i == j {
            4.0
        } else if i.abs_diff(j) == 1 {
            1.0
        } else {
            0.0
        }
    });
    let beta0 = Array1::from_shape_fn(n, |j| 1.0 + j as f64 / n as f64);
    let y = x.dot(&beta0);

    for text in [
        "inv(X' * X) * X' * y",
        "inv(X' * inv(M) * X) * X' * inv(M) * y",
    ] {
        let expr = Expression::parse(text, &ops)?;
        let best = plan(&expr, &CostModel::planned())?;
        println!("{best}");
        for backend in Backend::available() {
            let t = std::time::Instant::now();
            let result = best.execute_with(
                backend,
                &[("X", (&x).into()), ("M", (&cov).into()), ("y", (&y).into())],
            )?;
            let Product::Vector(beta) = result else {
                unreachable!("a 1-D y gives a 1-D β")
            };
            let err = beta
                .iter()
                .zip(&beta0)
                .fold(0.0f64, |e, (a, b)| e.max((a - b).abs()));
            println!(
                "  {:6}: {:.1} ms, max |β − β₀| = {err:.1e}",
                backend.name(),
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        println!();
    }
    Ok(())
}
