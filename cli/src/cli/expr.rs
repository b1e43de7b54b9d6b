//! `chainplan expr`: plan (and optionally time) a generalized chain with transposes,
//! inverses and structured operands.

use super::output::{emit, render_tables, ExportArgs};
use anyhow::{bail, Context, Result};
use chainplan::generalized::operand::parse_operand_file;
use chainplan::generalized::{ExprReport, Expression, Operand};
use chainplan::table::Report;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "expr_program.rs"]
mod program;

/// Arguments of `chainplan expr`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Operands: NAME=ROWSxCOLS[:PROPERTIES], properties among general, symmetric, spd, \
                  lower, upper, diagonal, orthogonal, fullrank, nonsingular (comma-separated); \
                  NAME=N is an N×1 vector.\n\n\
                  Examples:\n  \
                  chainplan expr \"inv(X' * X) * X' * y\" --op X=2500x500:fullrank --op y=2500x1\n  \
                  chainplan expr \"inv(X' * inv(M) * X) * X' * inv(M) * y\" --op X=2500x500:fullrank --op M=2500x2500:spd --op y=2500\n  \
                  chainplan expr \"inv(L) * B * inv(U)^T\" --file ops.txt --json\n  \
                  chainplan expr \"inv(X' * X) * X' * y\" --op X=2500x500:fullrank --op y=2500 --bench --reps 5\n  \
                  chainplan expr \"K = Pb * H' * inv(H * Pb * H' + R); xa = xb + K * (z - H * xb); Pa = (I - K * H) * Pb\" --op Pb=400x400:spd --op H=250x400:fullrank --op R=250x250:spd --op xb=400 --op z=250\n  \
                  chainplan expr \"x = inv(A' * A + alpha * I) * A' * b\" --op A=500x300:fullrank --op b=500 --scalar alpha=0.3"
)]
pub struct ExprArgs {
    /// The expression: products (`*`) of operands, transposed with `'` or `^T`, inverted with
    /// `inv(…)` (of an operand or a sub-product, nested) or `^-1`, `^-T`. Or a program:
    /// assignments `NAME = EXPR` separated by `;` or new lines, with `+`, `-`, numbers,
    /// scalars (--scalar), `I` and inverses of sums; every assignment is an output.
    #[arg(value_name = "EXPR", required_unless_present = "program")]
    expr: Option<String>,

    /// Read the program (or expression) from a file instead of EXPR.
    #[arg(long, value_name = "PATH", conflicts_with = "expr")]
    program: Option<PathBuf>,

    /// A scalar of a program: NAME=VALUE (its sign is the value's), NAME:positive,
    /// NAME:negative or NAME (repeat for each).
    #[arg(long = "scalar", value_name = "SPEC")]
    scalars: Vec<String>,

    /// An operand: NAME=ROWSxCOLS or NAME=ROWSxCOLS:PROPERTIES (repeat for each).
    #[arg(long = "op", value_name = "SPEC")]
    ops: Vec<String>,

    /// Read operand declarations from a file, one per line (`#` starts a comment).
    #[arg(short, long, value_name = "PATH")]
    file: Option<PathBuf>,

    /// Print the report as one JSON object instead of tables.
    #[arg(long, conflicts_with = "dot")]
    json: bool,

    /// Print the planned steps as a Graphviz DOT graph instead of tables.
    #[arg(long)]
    dot: bool,

    #[command(flatten)]
    export: ExportArgs,

    /// Also time the planned, expert and naive evaluations on random operands with the
    /// declared properties (interleaved rounds, medians).
    #[arg(long)]
    bench: bool,

    /// Rounds for --bench: 1 to 1000.
    #[arg(long, default_value_t = 5, value_name = "N", requires = "bench")]
    reps: usize,

    /// Seed of --bench's random operands.
    #[arg(long, default_value_t = 16, value_name = "N", requires = "bench")]
    seed: u64,
}

/// Most rounds --bench accepts.
const MAX_REPS: usize = 1000;

fn operands(args: &ExprArgs) -> Result<Vec<Operand>> {
    let mut ops = Vec::new();
    if let Some(path) = &args.file {
        let text = chainplan::fsio::read_file_bounded(path, chainplan::fsio::MAX_INPUT_BYTES)
            .with_context(|| format!("cannot read {}", chainplan::text::quote_path(path)))?;
        ops.extend(parse_operand_file(&text)?);
    }
    for spec in &args.ops {
        ops.push(Operand::parse(spec)?);
    }
    if ops.is_empty() {
        bail!("no operands declared; give each with --op NAME=ROWSxCOLS[:PROPERTIES] or list them in --file");
    }
    Ok(ops)
}

/// Runs `chainplan expr`.
pub fn run(args: ExprArgs) -> Result<ExitCode> {
    if args.reps == 0 || args.reps > MAX_REPS {
        bail!(
            "--reps is {}; it must be between 1 and {MAX_REPS}",
            args.reps
        );
    }
    let main_output = (args.json.then_some("--json")).or(args.dot.then_some("--dot"));
    let export_to_stdout = args.export.check(&[], main_output)?;
    let ops = operands(&args)?;
    let text = match (&args.expr, &args.program) {
        (_, Some(path)) => {
            chainplan::fsio::read_file_bounded(path, chainplan::fsio::MAX_INPUT_BYTES)
                .with_context(|| format!("cannot read {}", chainplan::text::quote_path(path)))?
        }
        (Some(t), None) => t.clone(),
        (None, None) => bail!("give an expression or a program, inline or with --program"),
    };
    if program::is_program(&text) {
        return program::run(&args, &text, &ops);
    }
    if !args.scalars.is_empty() {
        bail!("--scalar is for programs (assignments NAME = EXPR); this expression has none");
    }
    let expr = Expression::parse(&text, &ops)?;
    let mut report = ExprReport::new(&expr)?;
    if args.bench {
        super::blas::start_threads(None, "")?;
        report = report.with_bench(&expr, args.reps, args.seed)?;
    }
    if export_to_stdout {
        // Standard output is the export alone, so that programs can read it.
    } else if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else if args.dot {
        emit(&steps_to_dot(&report, &expr))?;
    } else {
        emit(&render_tables(&report))?;
    }
    args.export.write(&report)?;
    Ok(ExitCode::SUCCESS)
}

/// The planned steps as a DOT graph: operands and steps as nodes, arguments as edges.
fn steps_to_dot(report: &ExprReport, expr: &Expression) -> String {
    use chainplan::generalized::Value;
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = String::from("digraph expr {\n  rankdir=BT;\n  node [fontname=\"monospace\"];\n");
    for (i, o) in expr.operands.iter().enumerate() {
        out.push_str(&format!(
            "  o{i} [shape=box, label=\"{}\"];\n",
            esc(&o.describe())
        ));
    }
    let plan = &report.plan;
    for (s, st) in plan.steps().iter().enumerate() {
        let color = if st.explicit_inverse() {
            ", color=red"
        } else {
            ""
        };
        out.push_str(&format!(
            "  s{s} [label=\"{}\\n{} flops\"{color}];\n",
            esc(&plan.step_text(s)),
            esc(&st.cost().to_string())
        ));
        for a in st.args() {
            let from = match a.value() {
                Value::Operand(i) => format!("o{i}"),
                Value::Step(k) => format!("s{k}"),
            };
            let label = if a.transposed() {
                " [label=\"ᵀ\"]"
            } else {
                ""
            };
            out.push_str(&format!("  {from} -> s{s}{label};\n"));
        }
    }
    out.push_str("}\n");
    out
}
