//! Evidence for the generalized planner, in the style of the CGO'18 experiments (Barthels,
//! Copik, Bientinesi): random chains of 4–9 factors, sizes 50–2,000, random shapes,
//! properties, transposes and inverses.
//!
//! 1. Plans `--chains` seeded random chains three ways (planned, the expert's left-to-right
//!    hand form with solves, and the naive left-to-right form with explicit inverses) and
//!    prints the distribution of the flop ratios naive / planned and expert / planned.
//! 2. Times the three on a sample (the first `--measure` chains whose naive form costs at
//!    most `--max-gflops`), medians of `--reps` interleaved rounds, and prints the time ratios
//!    beside the flop ratios.
//! 3. Least squares (X 2500×500, y) and GLS (M 2500×2500 SPD, X 2500×500, y), timed the
//!    same way.
//!
//! Run (execution needs LAPACK, so the OpenBLAS feature):
//!
//! ```text
//! cargo run --release --features openblas-system --example gmc_evidence -- \
//!     [--chains 100] [--seed 2018] [--measure 12] [--reps 5] [--max-gflops 12]
//! ```
//!
//! `OPENBLAS_NUM_THREADS` sets the BLAS threads; the header prints what was in force.

#[cfg(feature = "lapack")]
use chainplan::generalized::execute::{random_operands, relative_difference, time_interleaved};
use chainplan::generalized::random::{random_expression, ChainSpec};
use chainplan::generalized::{plan, CostModel, Expression, GenError, GenPlan};
#[cfg(feature = "lapack")]
use chainplan::generalized::{Backend, Operand};
use clap::Parser;
use rand::rngs::StdRng;
use rand::SeedableRng;

#[derive(Debug, Parser)]
struct Args {
    /// Random chains to plan.
    #[arg(long, default_value_t = 100)]
    chains: usize,
    /// Seed of the chain generator (and of the operands).
    #[arg(long, default_value_t = 2018)]
    seed: u64,
    /// Chains to time.
    #[arg(long, default_value_t = 12)]
    measure: usize,
    /// Interleaved rounds per timed chain (medians).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Time only chains whose naive form costs at most this many Gflop.
    #[arg(long, default_value_t = 12.0)]
    max_gflops: f64,
    /// Skip the least-squares and GLS timings.
    #[arg(long)]
    skip_applications: bool,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    let geo = (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp();
    println!(
        "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        v[0],
        quantile(&v, 0.1),
        quantile(&v, 0.25),
        quantile(&v, 0.5),
        quantile(&v, 0.75),
        quantile(&v, 0.9),
        v[v.len() - 1],
        geo
    );
}

fn histogram(name: &str, v: &[f64]) {
    let edges = [1.0, 1.01, 1.5, 2.0, 5.0, 10.0, 100.0, f64::INFINITY];
    let counts: Vec<usize> = edges
        .windows(2)
        .map(|w| v.iter().filter(|&&x| x >= w[0] && x < w[1]).count())
        .collect();
    println!(
        "| {name} | {} |",
        counts
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    );
}

fn plans(e: &Expression) -> Result<[GenPlan; 3], GenError> {
    Ok([
        plan(e, &CostModel::planned())?,
        plan(e, &CostModel::expert())?,
        plan(e, &CostModel::naive())?,
    ])
}

/// Times the three plans; prints a table row.
#[cfg(feature = "lapack")]
fn time_row(
    label: &str,
    e: &Expression,
    ps: &[GenPlan; 3],
    reps: usize,
    seed: u64,
) -> Result<(), GenError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let ops = random_operands(e, &mut rng)?;
    let refs: Vec<&GenPlan> = ps.iter().collect();
    let backend = Backend::preferred().ok_or(GenError::NoBackend)?;
    let (t, results) = time_interleaved(backend, &refs, &ops, reps)?;
    let diff = relative_difference(&results[0], &results[2]);
    let f = |p: &GenPlan| p.cost().as_f64();
    println!(
        "| {label} | {:.3} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {:.0e} |",
        f(&ps[0]) / 1e9,
        f(&ps[1]) / f(&ps[0]),
        f(&ps[2]) / f(&ps[0]),
        t[0] * 1e3,
        t[1] * 1e3,
        t[2] * 1e3,
        t[1] / t[0],
        t[2] / t[0],
        diff
    );
    Ok(())
}

#[cfg(feature = "lapack")]
fn time_header() {
    println!("| chain | planned Gflop | expert/planned flops | naive/planned flops | planned ms | expert ms | naive ms | expert/planned time | naive/planned time | max rel. diff |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!(
        "BLAS: {}; threads: {}; CPU: {}",
        chainplan::system::blas_name(),
        chainplan::system::blas_threads(),
        chainplan::system::cpu_model().unwrap_or_else(|| "unknown".into())
    );
    println!(
        "{} chains, seed {}, generator ChainSpec::cgo18() (4–9 factors, sizes 50–2000)\n",
        args.chains, args.seed
    );
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut chains = Vec::with_capacity(args.chains);
    for _ in 0..args.chains {
        let e = random_expression(&ChainSpec::cgo18(), &mut rng)?;
        let ps = plans(&e)?;
        chains.push((e, ps));
    }
    let ratio = |ps: &[GenPlan; 3], i: usize| ps[i].cost().as_f64() / ps[0].cost().as_f64();
    let naive: Vec<f64> = chains.iter().map(|(_, p)| ratio(p, 2)).collect();
    let expert: Vec<f64> = chains.iter().map(|(_, p)| ratio(p, 1)).collect();
    println!("## Flop ratios over {} random chains\n", args.chains);
    println!("| ratio | min | p10 | p25 | median | p75 | p90 | max | geometric mean |");
    println!("|---|---|---|---|---|---|---|---|---|");
    summary("naive / planned", naive.clone());
    summary("expert / planned", expert.clone());
    println!(
        "\n| ratio | [1, 1.01) | [1.01, 1.5) | [1.5, 2) | [2, 5) | [5, 10) | [10, 100) | ≥ 100 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    histogram("naive / planned", &naive);
    histogram("expert / planned", &expert);
    let explicit = chains
        .iter()
        .filter(|(_, p)| p[0].has_explicit_inverse())
        .count();
    println!(
        "\nPlans with an explicit inverse (nothing cheaper produces the value): {explicit} of {}",
        args.chains
    );

    #[cfg(not(feature = "lapack"))]
    {
        println!(
            "\nThis build has no LAPACK: timings skipped (run with --features openblas-system)."
        );
        Ok(())
    }
    #[cfg(feature = "lapack")]
    {
        println!(
            "\n## Measured on a sample: chains whose naive form costs at most {} Gflop, medians of {} interleaved rounds\n",
            args.max_gflops, args.reps
        );
        time_header();
        let mut measured = 0;
        for (i, (e, ps)) in chains.iter().enumerate() {
            if measured >= args.measure {
                break;
            }
            if ps[2].cost().as_f64() > args.max_gflops * 1e9 {
                continue;
            }
            time_row(&format!("#{i}"), e, ps, args.reps, args.seed + i as u64)?;
            measured += 1;
        }
        if !args.skip_applications {
            println!("\n## Least squares and GLS\n");
            time_header();
            let ls = Expression::parse(
                "inv(X' * X) * X' * y",
                &[
                    Operand::parse("X=2500x500:fullrank")?,
                    Operand::parse("y=2500")?,
                ],
            )?;
            time_row("least squares", &ls, &plans(&ls)?, args.reps, args.seed)?;
            let gls = Expression::parse(
                "inv(X' * inv(M) * X) * X' * inv(M) * y",
                &[
                    Operand::parse("X=2500x500:fullrank")?,
                    Operand::parse("M=2500x2500:spd")?,
                    Operand::parse("y=2500")?,
                ],
            )?;
            time_row("GLS", &gls, &plans(&gls)?, args.reps, args.seed)?;
        }
        Ok(())
    }
}
