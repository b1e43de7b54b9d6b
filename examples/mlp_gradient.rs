//! The loss gradient of a small MLP, three ways: reverse mode and forward mode (executing its
//! Jacobian chain on BLAS) and central finite differences; then what the gradient costs
//! relative to one loss evaluation, counted and measured, as the input widens.
//!
//! Run with `cargo run --release --example mlp_gradient`.

use chainplan::jacobian::mlp::Mlp;
use ndarray::Array1;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

/// Seconds per call of each closure: (median, minimum) over 21 rounds, the closures
/// interleaved within each round so that background load hits them alike; each round runs a
/// batch lasting at least 2 ms.
fn time_interleaved(fs: &mut [&mut dyn FnMut()]) -> Vec<(f64, f64)> {
    let reps: Vec<u32> = fs
        .iter_mut()
        .map(|f| {
            let mut reps = 1u32;
            loop {
                let t = Instant::now();
                for _ in 0..reps {
                    f();
                }
                if t.elapsed().as_secs_f64() >= 2e-3 {
                    return reps;
                }
                reps *= 2;
            }
        })
        .collect();
    let mut samples = vec![Vec::new(); fs.len()];
    for _ in 0..21 {
        for (i, f) in fs.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..reps[i] {
                f();
            }
            samples[i].push(t.elapsed().as_secs_f64() / f64::from(reps[i]));
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            (s[s.len() / 2], s[0])
        })
        .collect()
}

fn random_vector(n: usize, rng: &mut StdRng) -> Array1<f64> {
    Array1::from_shape_fn(n, |_| rng.random_range(-1.0..1.0))
}

fn main() -> Result<(), chainplan::Error> {
    let mut rng = StdRng::seed_from_u64(7);
    println!(
        "BLAS: {}; OPENBLAS_NUM_THREADS={}; f64",
        if cfg!(feature = "blas") {
            "system OpenBLAS"
        } else {
            "ndarray (pure Rust)"
        },
        std::env::var("OPENBLAS_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );

    // 1. Agreement on 64 → 128 → 128 → 10 (tanh, squared error).
    let net = Mlp::random(&[64, 128, 128, 10], 1)?;
    let jc = net.gradient_chain()?;
    let x = random_vector(64, &mut rng);
    let t = random_vector(10, &mut rng);
    let reverse = net.gradient(&x, &t, &jc.reverse_plan()?)?;
    let forward = net.gradient(&x, &t, &jc.forward_plan()?)?;
    let h = 1e-5;
    let fd = Array1::from_shape_fn(64, |i| {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[i] += h;
        down[i] -= h;
        (net.loss(&up, &t).unwrap() - net.loss(&down, &t).unwrap()) / (2.0 * h)
    });
    let diff = |a: &Array1<f64>, b: &Array1<f64>| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    };
    let scale = fd.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    println!("\nMLP 64 → 128 → 128 → 10, loss {:.6}", net.loss(&x, &t)?);
    println!(
        "  max |reverse − forward|            = {:.2e}",
        diff(&reverse, &forward)
    );
    println!(
        "  max |reverse − finite differences| = {:.2e}  (gradient scale {scale:.3})",
        diff(&reverse, &fd)
    );

    // 2. Cost relative to one loss evaluation as the input widens.
    println!("\nn0 → 128 → 128 → 10: counted fused multiply-adds and measured times");
    println!(
        "{:>6} | {:>10} {:>10} {:>12} | {:>9} {:>9} | {:>10} {:>10} {:>10} | {:>9} {:>9} | {:>9} {:>9}",
        "n0", "loss", "reverse", "forward", "rev/loss", "fwd/loss",
        "t loss", "t grad rev", "t grad fwd", "rev/loss", "fwd/loss", "med r/l", "med f/l"
    );
    println!(
        "{:>6} | {:^34} | {:^19} | {:^32} | {:^19} | {:^19}",
        "",
        "counted FMAs",
        "counted ratios",
        "minimum time per call",
        "measured ratios",
        "ratios of medians"
    );
    for n0 in [16usize, 64, 256, 1024, 4096] {
        let net = Mlp::random(&[n0, 128, 128, 10], 3)?;
        let jc = net.gradient_chain()?;
        let (rev_plan, fwd_plan) = (jc.reverse_plan()?, jc.forward_plan()?);
        let x = random_vector(n0, &mut rng);
        let t = random_vector(10, &mut rng);
        let loss_c = net.loss_cost() as f64;
        let rev_c = jc.cost_of(&rev_plan)? as f64;
        let fwd_c = jc.cost_of(&fwd_plan)? as f64;
        let mut loss_f = || {
            black_box(net.loss(&x, &t).unwrap());
        };
        // A gradient includes its forward pass (the loss evaluation that sets the factors).
        let mut rev_f = || {
            black_box(net.gradient(&x, &t, &rev_plan).unwrap());
        };
        let mut fwd_f = || {
            black_box(net.gradient(&x, &t, &fwd_plan).unwrap());
        };
        let times = time_interleaved(&mut [&mut loss_f, &mut rev_f, &mut fwd_f]);
        let [(t_loss, m_loss), (t_rev, m_rev), (t_fwd, m_fwd)] = times[..] else {
            unreachable!("three closures")
        };
        println!(
            "{n0:>6} | {loss_c:>10} {rev_c:>10} {fwd_c:>12} | {:>9.2} {:>9.1} | {:>8.1}µs {:>8.1}µs {:>8.1}µs | {:>9.2} {:>9.1} | {:>9.2} {:>9.1}",
            rev_c / loss_c,
            fwd_c / loss_c,
            m_loss * 1e6,
            m_rev * 1e6,
            m_fwd * 1e6,
            m_rev / m_loss,
            m_fwd / m_loss,
            t_rev / t_loss,
            t_fwd / t_loss,
        );
    }
    println!(
        "\n(Counted: the reverse sweep alone. Measured: a whole gradient, forward pass included,\n\
         so about 1 + the counted ratio when the products dominate. Times are the minimum over\n\
         21 interleaved rounds, robust to background load; the ratios of medians show the noise.)"
    );
    Ok(())
}
