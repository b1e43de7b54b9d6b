//! Least squares and generalized least squares as a library user writes them: declare the
//! operands with their properties, plan the expression, print the plan, and execute it on
//! ndarray arrays bound by name, on every backend this build has (faer by default; add
//! `--features openblas-system` for the system BLAS/LAPACK).
//!
//! ```text
//! cargo run --release --example least_squares            # m = 2000, n = 200, one run each
//! cargo run --release --example least_squares -- 2500 500 5   # m, n, timed rounds (median)
//! ```
//!
//! Times are medians over the rounds of `execute_trusted` (the kernels alone) and of
//! `execute_with` (plus the O(n²) checks of the declared properties).

use chainplan::generalized::{plan, Backend, CostModel, Expression, GenError, Operand, Properties};
use chainplan::Product;
use ndarray::{Array1, Array2};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), GenError> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("arguments: M N ROUNDS (whole numbers)"))
        .collect();
    let (m, n, rounds) = match args[..] {
        [m, n, r] => (m, n, r.max(1)),
        [] => (2000, 200, 1),
        _ => panic!("arguments: M N ROUNDS"),
    };
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
    // Entries uniform in [-0.5, 0.5) from a xorshift generator: of full rank.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let x = Array2::from_shape_simple_fn((m, n), || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    });
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
        let args = [("X", (&x).into()), ("M", (&cov).into()), ("y", (&y).into())];
        for backend in Backend::available() {
            let (mut trusted, mut checked) = (Vec::new(), Vec::new());
            let mut result = None;
            for _ in 0..rounds {
                let t = std::time::Instant::now();
                result = Some(best.execute_trusted(backend, &args)?);
                trusted.push(t.elapsed().as_secs_f64());
                let t = std::time::Instant::now();
                best.execute_with(backend, &args)?;
                checked.push(t.elapsed().as_secs_f64());
            }
            let Some(Product::Vector(beta)) = result else {
                unreachable!("a 1-D y gives a 1-D β")
            };
            let err = beta
                .iter()
                .zip(&beta0)
                .fold(0.0f64, |e, (a, b)| e.max((a - b).abs()));
            println!(
                "  {:6}: {:.1} ms ({:.1} ms with the property checks), max |β − β₀| = {err:.1e}",
                backend.name(),
                median(trusted) * 1e3,
                median(checked) * 1e3
            );
        }
        println!();
    }
    Ok(())
}
