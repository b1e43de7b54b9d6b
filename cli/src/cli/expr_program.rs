//! `chainplan expr` on a program (assignments with sums, scalars, `I` and several outputs):
//! the planned, expert and naive plans compared, every output's steps, optionally timed.

use super::ExprArgs;
use crate::cli::output::emit;
use anyhow::{bail, Result};
use chainplan::generalized::program::random_arrays;
use chainplan::generalized::{CostModel, Input, Operand, Program, ProgramPlan, ScalarDecl};
use std::process::ExitCode;
use std::time::Instant;

/// Whether the text is a program rather than a plain expression: it has an assignment or
/// several lines. Plain expressions keep today's path and output.
pub(super) fn is_program(text: &str) -> bool {
    text.contains(['=', ';', '\n'])
}

/// The declared scalars and the values given with them (`NAME=VALUE`).
fn scalars(args: &ExprArgs) -> Result<Vec<(ScalarDecl, Option<f64>)>> {
    let mut out: Vec<(ScalarDecl, Option<f64>)> = Vec::new();
    for spec in &args.scalars {
        let (d, v) = ScalarDecl::parse(spec)?;
        if out.iter().any(|(e, _)| e.name == d.name) {
            bail!(
                "scalar {} is given more than once",
                chainplan::text::quote(&d.name)
            );
        }
        out.push((d, v));
    }
    Ok(out)
}

/// Runs `chainplan expr` on a program.
pub(super) fn run(args: &ExprArgs, text: &str, ops: &[Operand]) -> Result<ExitCode> {
    if args.dot {
        bail!("--dot draws the steps of a single expression; a program has several outputs (use --json)");
    }
    let e = &args.export;
    if e.export_json.is_some() || e.export_markdown.is_some() || e.export_csv.is_some() {
        bail!("the --export options write single-expression reports; for a program use --json");
    }
    let scalars = scalars(args)?;
    let decls: Vec<ScalarDecl> = scalars.iter().map(|(d, _)| d.clone()).collect();
    let program = Program::parse(text, ops, &decls)?;
    let plans = [
        program.plan(&CostModel::planned())?,
        program.plan(&CostModel::expert())?,
        program.plan(&CostModel::naive())?,
    ];
    let times = if args.bench {
        crate::cli::blas::start_threads(None, "")?;
        Some(bench(&plans, ops, &scalars, args.reps, args.seed)?)
    } else {
        None
    };
    if args.json {
        emit(&json(&program, &plans, times.as_deref())?)?;
        emit("\n")?;
    } else {
        emit(&text_report(&program, &plans, times.as_deref()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn ratio(a: &ProgramPlan, b: &ProgramPlan) -> f64 {
    a.cost().as_f64() / b.cost().as_f64().max(f64::MIN_POSITIVE)
}

fn text_report(program: &Program, plans: &[ProgramPlan; 3], times: Option<&[f64]>) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "program: {} output{} ({})\n",
        program.outputs().len(),
        if program.outputs().len() == 1 {
            ""
        } else {
            "s"
        },
        program.outputs().join(", ")
    ));
    let ops: Vec<String> = program.operands().iter().map(|o| o.describe()).collect();
    out.push_str(&format!("operands: {}\n", ops.join("; ")));
    if !program.scalars().is_empty() {
        let s: Vec<String> = program
            .scalars()
            .iter()
            .map(|d| format!("{} ({:?})", d.name, d.sign).to_lowercase())
            .collect();
        out.push_str(&format!("scalars: {}\n", s.join(", ")));
    }
    out.push('\n');
    out.push_str("strategy   flops                      ÷ planned   explicit inverse");
    if times.is_some() {
        out.push_str("   median time");
    }
    out.push('\n');
    for (i, p) in plans.iter().enumerate() {
        out.push_str(&format!(
            "{:<10} {:<26} {:>9.2}   {}",
            p.model(),
            p.cost().to_string(),
            ratio(p, &plans[0]),
            if p.has_explicit_inverse() {
                "yes"
            } else {
                "no"
            }
        ));
        if let Some(t) = times {
            out.push_str(&format!("   {:>10.3} ms", t[i] * 1e3));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&plans[0].to_string());
    out.push('\n');
    out
}

fn json(program: &Program, plans: &[ProgramPlan; 3], times: Option<&[f64]>) -> Result<String> {
    let strategies: Vec<serde_json::Value> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            serde_json::json!({
                "name": p.model(),
                "thirds": p.cost().thirds().to_string(),
                "flops": p.cost().as_f64(),
                "ratio_to_planned": ratio(p, &plans[0]),
                "explicit_inverse": p.has_explicit_inverse(),
                "seconds": times.map(|t| t[i]),
            })
        })
        .collect();
    let v = serde_json::json!({
        "program": program.text(),
        "outputs": program.outputs(),
        "strategies": strategies,
        "plan": plans[0],
        "expert": plans[1],
        "naive": plans[2],
    });
    Ok(serde_json::to_string_pretty(&v)?)
}

/// Median seconds of each plan over `reps` interleaved rounds on random operands with the
/// declared properties, after one warm-up round.
fn bench(
    plans: &[ProgramPlan; 3],
    ops: &[Operand],
    scalars: &[(ScalarDecl, Option<f64>)],
    reps: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    let mut values = Vec::new();
    for (d, v) in scalars {
        let Some(v) = v else {
            bail!(
                "scalar {} has no value; give it as --scalar {}=VALUE to run --bench",
                chainplan::text::quote(&d.name),
                d.name
            );
        };
        values.push((d.name.as_str(), *v));
    }
    let arrays = random_arrays(ops, seed)?;
    let inputs: Vec<(&str, Input<'_>)> = ops
        .iter()
        .zip(&arrays)
        .map(|(o, a)| (o.name.as_str(), a.into()))
        .collect();
    let mut times = vec![Vec::new(); plans.len()];
    for round in 0..=reps {
        for (i, p) in plans.iter().enumerate() {
            let t = Instant::now();
            let out = p.execute(&inputs, &values)?;
            let dt = t.elapsed().as_secs_f64();
            drop(out);
            if round > 0 {
                times[i].push(dt);
            }
        }
    }
    Ok(times
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect())
}
