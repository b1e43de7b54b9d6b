//! Evidence for time-aware planning: where do the flop-optimal and the time-optimal plans
//! differ, and does the time-optimal one really run faster?
//!
//! 1. Draws random chains of 3 to 6 matrices with realistic dimensions (1 to 4,000: vectors,
//!    skinny blocks of 2 to 32, and large sizes, log-uniform), keeping those whose flop-optimal
//!    plan is predicted to take at most `--max-predicted` seconds.
//! 2. Plans each by flops (`dp::optimal`) and by predicted time (`Goal::time`) from the
//!    profile, and counts how often the orders differ.
//! 3. Executes both plans of the first `--measure` chains where the time model predicts a
//!    gain of at least `--min-gain` (default 1.10: smaller predicted gains are within the
//!    model's own error, see `chainplan calibrate`) with the BLAS executor,
//!    interleaved (flop, time, time, flop, …) over `--reps` repetitions after a warm-up, and
//!    reports medians, the measured gain (flop time / time time) beside the predicted one, the
//!    median and worst gain, and the chains where the model was wrong (measured gain < 1).
//! 4. Memory cap: for the chain whose flop-optimal plan has the largest intermediate relative
//!    to the least achievable peak, the least-memory plan's extra flops, memory saved, and both
//!    measured times.
//!
//! Run (after `chainplan calibrate`):
//!
//! ```text
//! cargo run --release --example time_vs_flops -- [--profile PATH] [--chains 3000]
//!     [--measure 12] [--reps 7] [--seed 1] [--max-predicted 0.15] [--min-gain 1.1]
//! ```

use chainplan::cost::{ElementType, Goal, MachineInfo, Profile, TimeModel};
use chainplan::exec::Executor;
use chainplan::plan::dp;
use chainplan::{Chain, Plan};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    profile: PathBuf,
    chains: usize,
    measure: usize,
    reps: usize,
    seed: u64,
    max_predicted: f64,
    min_gain: f64,
}

fn parse_args() -> Args {
    let mut a = Args {
        profile: dirs::config_dir()
            .unwrap_or_default()
            .join("chainplan/gemm-profile.json"),
        chains: 3000,
        measure: 12,
        reps: 7,
        seed: 1,
        max_predicted: 0.15,
        min_gain: 1.1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let v = &args[i + 1];
        let bad = || -> ! {
            eprintln!("error: bad value '{v}' for {}", args[i]);
            std::process::exit(2)
        };
        match args[i].as_str() {
            "--profile" => a.profile = PathBuf::from(v),
            "--chains" => a.chains = v.parse().unwrap_or_else(|_| bad()),
            "--measure" => a.measure = v.parse().unwrap_or_else(|_| bad()),
            "--reps" => a.reps = v.parse().unwrap_or_else(|_| bad()),
            "--seed" => a.seed = v.parse().unwrap_or_else(|_| bad()),
            "--max-predicted" => a.max_predicted = v.parse().unwrap_or_else(|_| bad()),
            "--min-gain" => a.min_gain = v.parse().unwrap_or_else(|_| bad()),
            other => {
                eprintln!("error: unknown option {other}");
                std::process::exit(2)
            }
        }
        i += 2;
    }
    a
}

/// A realistic dimension: a vector (1), a skinny block (2 to 32), or a large size.
fn dim(rng: &mut StdRng) -> u32 {
    let u: f64 = rng.random();
    if u < 0.15 {
        1
    } else if u < 0.45 {
        rng.random_range(2..=32)
    } else {
        (33.0 * (rng.random::<f64>() * (4000f64 / 33.0).ln()).exp()).round() as u32
    }
}

fn random_operands(chain: &Chain, rng: &mut StdRng) -> Vec<Array2<f64>> {
    (0..chain.matrices())
        .map(|i| {
            let (r, c) = chain.shape(i);
            Array2::from_shape_fn((r as usize, c as usize), |_| rng.random::<f64>() - 0.5)
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (fastest, median) seconds of each plan, measured interleaved on the same operands. The
/// fastest run is the primary figure: on a shared machine it is the least disturbed one.
fn measure(plans: &[&Plan], operands: &[Array2<f64>], reps: usize) -> Vec<(f64, f64)> {
    let mut executors: Vec<Executor<f64>> = plans
        .iter()
        .map(|p| Executor::new(p).expect("workspace"))
        .collect();
    let (rows, cols) = executors[0].output_shape();
    let mut out = Array2::<f64>::zeros((rows as usize, cols as usize));
    let mut times = vec![Vec::with_capacity(reps); plans.len()];
    for e in &mut executors {
        e.run_into(operands, &mut out).expect("shapes checked"); // warm-up
    }
    for r in 0..reps {
        for x in 0..plans.len() {
            // Alternate the order of the plans so neither always runs on a warm cache.
            let p = if r % 2 == 0 { x } else { plans.len() - 1 - x };
            let t = Instant::now();
            executors[p]
                .run_into(operands, &mut out)
                .expect("shapes checked");
            times[p].push(t.elapsed().as_secs_f64());
        }
    }
    times
        .into_iter()
        .map(|t| (t.iter().copied().fold(f64::INFINITY, f64::min), median(t)))
        .collect()
}

fn main() {
    let args = parse_args();
    let profile = match Profile::load(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2)
        }
    };
    let model: TimeModel = profile.model(ElementType::F64).expect("f64 timings");
    let goal = Goal::time(model.clone());
    println!("# time_vs_flops: flop-optimal against time-optimal plans (f64)");
    println!("machine now:     {}", MachineInfo::detect().summary());
    println!("profile made on: {}", profile.machine.summary());
    println!(
        "search: {} random chains, 3-6 matrices, seed {}, flop-optimal predicted <= {} s\n",
        args.chains, args.seed, args.max_predicted
    );

    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut searched = 0usize;
    let mut differing: Vec<(Chain, Plan, Plan, f64)> = Vec::new();
    let mut memory_case: Option<(f64, Chain)> = None;
    while searched < args.chains {
        let n = rng.random_range(3..=6);
        let chain = Chain::new((0..=n).map(|_| dim(&mut rng)).collect::<Vec<u32>>()).unwrap();
        let flop = dp::optimal(&chain).unwrap();
        let flop_s = model.plan_seconds(&flop);
        if flop_s > args.max_predicted {
            continue;
        }
        searched += 1;
        let peak = dp::min_peak(&chain, &Default::default()).unwrap();
        let blowup = flop.largest_intermediate() as f64 / peak.max(1) as f64;
        if flop.largest_intermediate() >= 1 << 16
            && memory_case.as_ref().map_or(true, |(b, _)| blowup > *b)
        {
            memory_case = Some((blowup, chain.clone()));
        }
        let time = goal.plan(&chain).unwrap();
        if time.order() != flop.order() {
            let predicted_gain = flop_s / model.plan_seconds(&time);
            differing.push((chain, flop, time, predicted_gain));
        }
    }
    let candidates: Vec<_> = differing.iter().filter(|d| d.3 >= args.min_gain).collect();
    let mut predicted: Vec<f64> = differing.iter().map(|d| d.3).collect();
    predicted.sort_by(f64::total_cmp);
    println!(
        "orders differ on {} of {} chains ({:.1}%); predicted gain on those: median {:.3}x, max {:.2}x; \
         at least {:.2}x on {} chains ({:.1}%)\n",
        differing.len(),
        searched,
        100.0 * differing.len() as f64 / searched as f64,
        predicted.get(predicted.len() / 2).copied().unwrap_or(1.0),
        predicted.last().copied().unwrap_or(1.0),
        args.min_gain,
        candidates.len(),
        100.0 * candidates.len() as f64 / searched as f64
    );

    println!("Measured: fastest of {} interleaved runs after a warm-up (median in brackets); gain = flop-optimal time / time-optimal time.\n", args.reps);
    println!("| dims | flop-optimal | time-optimal | flops ratio | predicted gain | flop-opt measured | time-opt measured | measured gain |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut gains = Vec::new();
    let mut wrong = Vec::new();
    for (chain, flop, time, predicted) in candidates.iter().copied().take(args.measure) {
        let operands = random_operands(chain, &mut rng);
        let t = measure(&[flop, time], &operands, args.reps);
        let gain = t[0].0 / t[1].0;
        gains.push(gain);
        let dims = format!("{:?}", chain.dims());
        println!(
            "| {dims} | {} | {} | {:.3} | {predicted:.2}x | {:.3} ms ({:.3}) | {:.3} ms ({:.3}) | {gain:.2}x ({:.2}x) |",
            flop.order(),
            time.order(),
            time.cost() as f64 / flop.cost() as f64,
            t[0].0 * 1e3,
            t[0].1 * 1e3,
            t[1].0 * 1e3,
            t[1].1 * 1e3,
            t[0].1 / t[1].1
        );
        if gain < 1.0 {
            wrong.push((dims, *predicted, gain));
        }
    }
    if !gains.is_empty() {
        let worst = gains.iter().copied().fold(f64::INFINITY, f64::min);
        let best = gains.iter().copied().fold(0.0, f64::max);
        println!(
            "\nmeasured gain over {} chains: median {:.2}x, worst {:.2}x, best {:.2}x",
            gains.len(),
            median(gains.clone()),
            worst,
            best
        );
        println!(
            "time model wrong (time-optimal measured slower): {} chains",
            wrong.len()
        );
        for (dims, predicted, gain) in &wrong {
            println!("  {dims}: predicted {predicted:.2}x, measured {gain:.2}x");
        }
    }

    if let Some((_, chain)) = memory_case {
        let flop = dp::optimal(&chain).unwrap();
        let lean = Goal::flops().minimizing_memory().plan(&chain).unwrap();
        let operands = random_operands(&chain, &mut rng);
        let t = measure(&[&flop, &lean], &operands, args.reps);
        println!("\n## Memory cap: least-memory plan against the flop-optimal plan");
        println!("chain {:?}", chain.dims());
        println!(
            "flop-optimal {}: {} mults, largest intermediate {} elements ({:.1} MB f64), measured {:.3} ms",
            flop.order(),
            flop.cost(),
            flop.largest_intermediate(),
            flop.largest_intermediate() as f64 * 8e-6,
            t[0].0 * 1e3
        );
        println!(
            "least memory {}: {} mults ({:.3}x), largest intermediate {} elements ({:.1} MB, {:.1}x smaller), measured {:.3} ms",
            lean.order(),
            lean.cost(),
            lean.cost() as f64 / flop.cost() as f64,
            lean.largest_intermediate(),
            lean.largest_intermediate() as f64 * 8e-6,
            flop.largest_intermediate() as f64 / lean.largest_intermediate().max(1) as f64,
            t[1].0 * 1e3
        );
    }
}
