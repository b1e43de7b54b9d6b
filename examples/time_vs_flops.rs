//! Evidence for time-aware planning: where do the flop-optimal and the time-optimal plans
//! differ, does the time-optimal one really run faster, and how large must a predicted gain
//! be before it is worth trusting (`Goal::min_gain`, `plan --min-gain`)?
//!
//! 1. Draws random chains of 3 to 6 matrices with realistic dimensions (1 to 4,000: vectors,
//!    skinny blocks of 2 to 32, and large sizes, log-uniform), keeping those whose flop-optimal
//!    plan is predicted to take at most `--max-predicted` seconds.
//! 2. Plans each by flops (`dp::optimal`) and by predicted time from the profile, trusting the
//!    model fully (`Goal::time(..).with_min_gain(1.0)`), and counts how often they differ.
//! 3. Executes both plans of every differing chain (up to `--measure`) with the BLAS executor,
//!    on the same operands, interleaved with a second copy of the flop-optimal plan (an A/A
//!    pair that shows the measurement noise), the fastest of at least `--reps` runs and at
//!    least 20 ms per plan after a warm-up.
//! 4. For least gains g = 1, 1.05, 1.1, 1.2, 1.3, 1.5: the chains on which `plan --cost time
//!    --min-gain g` would replace the flop-optimal plan, their measured gains (median, worst,
//!    how many slower), and the total time over all measured chains against flops alone.
//! 5. Memory cap: for the chain whose flop-optimal plan has the largest intermediate relative
//!    to the least achievable peak, and for the one that saves the most memory for at most 25 %
//!    more multiplications, the least-memory plan's extra flops, memory saved, and both
//!    measured times.
//!
//! Run (after `chainplan calibrate`):
//!
//! ```text
//! cargo run --release --example time_vs_flops -- [--profile PATH] [--chains 3000]
//!     [--measure 400] [--reps 15] [--seed 1] [--max-predicted 0.15] [--dtype f64|f32]
//! ```

use chainplan::cost::{ElementType, Goal, MachineInfo, Profile, TimeModel};
use chainplan::exec::{Element, Executor};
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
    dtype: ElementType,
}

fn parse_args() -> Args {
    let mut a = Args {
        profile: dirs::config_dir()
            .unwrap_or_default()
            .join("chainplan/gemm-profile.json"),
        chains: 3000,
        measure: 400,
        reps: 15,
        seed: 1,
        max_predicted: 0.15,
        dtype: ElementType::F64,
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
            "--dtype" => a.dtype = v.parse().unwrap_or_else(|_| bad()),
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

fn random_operands<T: Element>(chain: &Chain, rng: &mut StdRng) -> Vec<Array2<T>> {
    (0..chain.matrices())
        .map(|i| {
            let (r, c) = chain.shape(i);
            Array2::from_shape_fn((r, c), |_| {
                T::from(rng.random::<f64>() - 0.5).expect("a float")
            })
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (fastest, median) seconds of each plan, measured interleaved on the same operands, at
/// least `reps` times and for at least 20 ms each. The fastest run is the primary figure: on a
/// shared machine it is the least disturbed one.
fn measure<T: Element>(plans: &[&Plan], operands: &[Array2<T>], reps: usize) -> Vec<(f64, f64)> {
    let mut executors: Vec<Executor<T>> = plans
        .iter()
        .map(|p| Executor::new(p).expect("workspace"))
        .collect();
    let (rows, cols) = executors[0].output_shape();
    let mut out = Array2::<T>::zeros((rows, cols));
    let mut times = vec![Vec::with_capacity(reps); plans.len()];
    let warm = Instant::now();
    for e in &mut executors {
        e.run_into(operands, &mut out).expect("shapes checked"); // warm-up
    }
    let one = warm.elapsed().as_secs_f64() / plans.len() as f64;
    let reps = reps.max(((0.02 / one.max(1e-9)) as usize).min(2000));
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

/// One chain on which the two plans differ, with its measurements.
struct Case {
    chain: Chain,
    flop: Plan,
    time: Plan,
    predicted_gain: f64,
    /// Fastest measured seconds: flop-optimal, time-optimal, flop-optimal again (A/A).
    measured: [f64; 3],
}

impl Case {
    fn gain(&self) -> f64 {
        self.measured[0] / self.measured[1]
    }
    fn noise(&self) -> f64 {
        self.measured[0] / self.measured[2]
    }
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// [`measure`] on fresh random operands of the element type asked for.
fn time_plans(
    dtype: ElementType,
    plans: &[&Plan],
    chain: &Chain,
    rng: &mut StdRng,
    reps: usize,
) -> Vec<(f64, f64)> {
    match dtype {
        ElementType::F64 => measure(plans, &random_operands::<f64>(chain, rng), reps),
        ElementType::F32 => measure(plans, &random_operands::<f32>(chain, rng), reps),
    }
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
    let model: TimeModel = match profile.model(args.dtype) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2)
        }
    };
    let trusting = Goal::time(model.clone()).with_min_gain(1.0);
    println!(
        "# time_vs_flops: flop-optimal against time-optimal plans ({})",
        args.dtype
    );
    println!("machine now:     {}", MachineInfo::detect().summary());
    println!("profile made on: {}", profile.machine.summary());
    println!(
        "search: {} random chains, 3-6 matrices, seed {}, flop-optimal predicted <= {} s\n",
        args.chains, args.seed, args.max_predicted
    );

    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut searched = 0usize;
    let mut differing: Vec<(Chain, Plan, Plan, f64)> = Vec::new();
    // Memory: the chain with the largest blow-up (flop-optimal peak / least peak), and the one
    // with the most memory saved for at most 25 % more multiplications.
    let mut memory_case: Option<(f64, Chain)> = None;
    let mut saving_case: Option<(u128, Chain)> = None;
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
            && memory_case.as_ref().is_none_or(|(b, _)| blowup > *b)
        {
            memory_case = Some((blowup, chain.clone()));
        }
        let saved = flop.largest_intermediate() - peak;
        if saved > saving_case.as_ref().map_or(0, |(b, _)| *b) {
            let lean = Goal::flops().minimizing_memory().plan(&chain).unwrap();
            if lean.cost() * 4 <= flop.cost() * 5 {
                saving_case = Some((saved, chain.clone()));
            }
        }
        let time = trusting.plan(&chain).unwrap();
        if time.order() != flop.order() {
            let predicted_gain = flop_s / model.plan_seconds(&time);
            differing.push((chain, flop, time, predicted_gain));
        }
    }
    let mut predicted: Vec<f64> = differing.iter().map(|d| d.3).collect();
    predicted.sort_by(f64::total_cmp);
    println!(
        "orders differ on {} of {} chains ({:.1}%); predicted gain on those: median {:.3}x, max {:.2}x\n",
        differing.len(),
        searched,
        100.0 * differing.len() as f64 / searched as f64,
        predicted.get(predicted.len() / 2).copied().unwrap_or(1.0),
        predicted.last().copied().unwrap_or(1.0),
    );

    let mut cases = Vec::new();
    for (chain, flop, time, predicted_gain) in differing.into_iter().take(args.measure) {
        let t = time_plans(
            args.dtype,
            &[&flop, &time, &flop],
            &chain,
            &mut rng,
            args.reps,
        );
        cases.push(Case {
            chain,
            flop,
            time,
            predicted_gain,
            measured: [t[0].0, t[1].0, t[2].0],
        });
    }
    if !cases.is_empty() {
        report_cases(&cases, args.reps, model.default_min_gain());
    }
    if let Some((_, chain)) = memory_case {
        println!("\n## Memory cap: the largest blow-up (flop-optimal peak / least peak)");
        memory_section(&chain, &mut rng, &args);
    }
    if let Some((_, chain)) = saving_case {
        println!("\n## Memory cap: the most memory saved for at most 25% more multiplications");
        memory_section(&chain, &mut rng, &args);
    }
}

/// The least-memory plan of `chain` against its flop-optimal plan: multiplications, largest
/// intermediate, and measured time.
fn memory_section(chain: &Chain, rng: &mut StdRng, args: &Args) {
    let flop = dp::optimal(chain).unwrap();
    let lean = Goal::flops().minimizing_memory().plan(chain).unwrap();
    let t = time_plans(args.dtype, &[&flop, &lean], chain, rng, args.reps);
    let mb = args.dtype.bytes() as f64 * 1e-6;
    println!("chain {:?}", chain.dims());
    println!(
        "flop-optimal {}: {} mults, largest intermediate {} elements ({:.2} MB {}), measured {:.3} ms",
        flop.order(),
        flop.cost(),
        flop.largest_intermediate(),
        flop.largest_intermediate() as f64 * mb,
        args.dtype,
        t[0].0 * 1e3
    );
    println!(
        "least memory {}: {} mults ({:.3}x), largest intermediate {} elements ({:.2} MB, {:.1}x smaller), measured {:.3} ms",
        lean.order(),
        lean.cost(),
        lean.cost() as f64 / flop.cost() as f64,
        lean.largest_intermediate(),
        lean.largest_intermediate() as f64 * mb,
        flop.largest_intermediate() as f64 / lean.largest_intermediate().max(1) as f64,
        t[1].0 * 1e3
    );
}

/// The measured chains: noise, what each least gain would choose, and the notable chains.
fn report_cases(cases: &[Case], reps: usize, default: f64) {
    let noise: Vec<f64> = cases.iter().map(Case::noise).collect();
    println!(
        "Measured {} chains: fastest of at least {} interleaved runs (and 20 ms) per plan. \
         Noise, from the flop-optimal plan against itself (A/A): 5th-95th percentile {:.3}x-{:.3}x, \
         median {:.3}x.\n",
        cases.len(),
        reps,
        quantile(&noise, 0.05),
        quantile(&noise, 0.95),
        quantile(&noise, 0.5)
    );

    println!("## What each least gain would choose (plan --cost time --min-gain g)\n");
    println!(
        "gain = flop-optimal time / chosen time; the speed-up of all chains together is the sum of the \
         flop-optimal times over the sum of the chosen plans' times (a kept flop-optimal plan counts as itself).\n"
    );
    println!("| g | time plan chosen on | median gain there | worst | best | slower (< 1) | slower than the A/A 5th percentile | speed-up of all measured chains together |");
    println!("|---|---|---|---|---|---|---|---|");
    let floor = quantile(&noise, 0.05);
    let total_flop: f64 = cases.iter().map(|c| c.measured[0]).sum();
    let mut levels = vec![1.0, 1.05, 1.1, 1.2, 1.3, 1.5];
    if !levels.contains(&default) {
        levels.push(default);
        levels.sort_by(f64::total_cmp);
    }
    for g in levels {
        // Goal::plan keeps the flop-optimal plan when its predicted time <= g x the fastest.
        let chosen: Vec<&Case> = cases.iter().filter(|c| c.predicted_gain > g).collect();
        let gains: Vec<f64> = chosen.iter().map(|c| c.gain()).collect();
        let total: f64 = cases
            .iter()
            .map(|c| c.measured[if c.predicted_gain > g { 1 } else { 0 }])
            .sum();
        let marker = if g == default { " (default)" } else { "" };
        if gains.is_empty() {
            println!("| {g:.2}{marker} | 0 | - | - | - | 0 | 0 | 1.000x |");
            continue;
        }
        println!(
            "| {g:.2}{marker} | {} | {:.3}x | {:.3}x | {:.3}x | {} | {} | {:.3}x |",
            gains.len(),
            quantile(&gains, 0.5),
            quantile(&gains, 0.0),
            quantile(&gains, 1.0),
            gains.iter().filter(|&&x| x < 1.0).count(),
            gains.iter().filter(|&&x| x < floor).count(),
            total_flop / total
        );
    }

    let shown: Vec<&Case> = cases
        .iter()
        .filter(|c| c.predicted_gain > 1.1 || c.gain() < floor)
        .collect();
    println!(
        "\n## Chains with a predicted gain above 1.1x, or measured slower than the noise floor ({} of {})\n",
        shown.len(),
        cases.len()
    );
    println!("| dims | flop-optimal | time-optimal | flops ratio | predicted gain | flop-opt measured | time-opt measured | measured gain | A/A |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut shown = shown;
    shown.sort_by(|a, b| b.predicted_gain.total_cmp(&a.predicted_gain));
    for c in shown {
        println!(
            "| {:?} | {} | {} | {:.3} | {:.2}x | {:.3} ms | {:.3} ms | {:.2}x | {:.2}x |",
            c.chain.dims(),
            c.flop.order(),
            c.time.order(),
            c.time.cost() as f64 / c.flop.cost() as f64,
            c.predicted_gain,
            c.measured[0] * 1e3,
            c.measured[1] * 1e3,
            c.gain(),
            c.noise()
        );
    }
}
