//! `chainplan jacobian`: forward, reverse and optimal orders of a Jacobian chain.

use super::output::{emit, render_tables, ExportArgs};
use anyhow::{Context, Result};
use chainplan::jacobian::matrix_free::parse_list;
use chainplan::jacobian::{JacobianChain, JacobianReport, LayerKind, MatrixFreeChain, Seed};
use chainplan::table::Report;
use chainplan::Chain;
use std::process::ExitCode;

/// Which side of the chain is seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SeedKind {
    /// The full Jacobian.
    None,
    /// K tangents on the right (an n_0 × K block): K Jacobian–vector products.
    Input,
    /// K cotangents on the left (a K × n_L block): K = 1 is the gradient of a scalar.
    Output,
}

/// Arguments of `chainplan jacobian`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Plan the Jacobian chain J_L ⋯ J_1 of a composition of L layers with widths \
                  n_0 (input) … n_L (output): compare forward mode (right to left), reverse \
                  mode (left to right) and the optimal order, which is 'mixed' when it is \
                  strictly cheaper than both. Costs count scalar multiplications (fused \
                  multiply-adds). With --tangent-costs and --adjoint-costs, also solve the \
                  matrix-free model, where layers are known only by their tangent (J·v) and \
                  adjoint (vᵀ·J) programs.",
    after_help = "Examples:\n  \
        chainplan jacobian 784 512 512 10 --seed output\n  \
        chainplan jacobian 784 512 1 512 512 10\n  \
        chainplan jacobian 64 128 128 10 --layers dense,act,dense,act,dense --seed output\n  \
        chainplan jacobian 8 4 4 2 --tangent-costs 32,16,8 --adjoint-costs 96,48,24\n  \
        chainplan jacobian 8 4 4 2 --tangent-costs 32,16,8 --adjoint-costs 96,48,24 --tapes 50,50,50 --memory 100 --json"
)]
pub struct JacobianArgs {
    /// Layer widths n_0 (input) … n_L (output), separated by spaces or commas.
    #[arg(value_name = "WIDTHS", required = true, allow_negative_numbers = true)]
    widths: Vec<String>,

    /// What the chain is multiplied with: none (the full Jacobian), input (K tangents on the
    /// right) or output (K cotangents on the left).
    #[arg(long, value_enum, default_value = "none", value_name = "KIND")]
    seed: SeedKind,

    /// K, the number of seed vectors: 1 to 4294967295.
    #[arg(long, default_value_t = 1, value_name = "K")]
    seed_size: u64,

    /// Layer kinds in evaluation order, comma-separated: dense (a general Jacobian) or act (an
    /// elementwise activation: diagonal Jacobian, keeps the width). Default: all dense. The
    /// widths are then the network's (input, then each dense layer's output), or one per layer
    /// with each activation's width repeated.
    #[arg(long, value_name = "KINDS")]
    layers: Option<String>,

    /// Matrix-free model: cost of one tangent (J·v) of each layer, t1,…,tL.
    #[arg(long, value_name = "T1,…,TL", requires = "adjoint_costs")]
    tangent_costs: Option<String>,

    /// Matrix-free model: cost of one adjoint (vᵀ·J) of each layer, a1,…,aL.
    #[arg(long, value_name = "A1,…,AL", requires = "tangent_costs")]
    adjoint_costs: Option<String>,

    /// Matrix-free model: tape size of each layer's adjoint program, e1,…,eL.
    #[arg(long, value_name = "E1,…,EL", requires_all = ["memory", "tangent_costs"])]
    tapes: Option<String>,

    /// Matrix-free model: memory limit M for tapes (an adjoint sweep over layers i…k needs
    /// e_i + … + e_k ≤ M).
    #[arg(long, value_name = "M", requires = "tapes")]
    memory: Option<u64>,

    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    export: ExportArgs,
}

/// Runs `chainplan jacobian`.
pub fn run(args: JacobianArgs) -> Result<ExitCode> {
    let export_to_stdout = args.export.check(&[], args.json.then_some("--json"))?;
    super::input::refuse_empty(&args.widths)?;
    let widths: Vec<usize> = Chain::parse(&args.widths.join(" "))
        .context("invalid layer widths")?
        .dims()
        .iter()
        .map(|&w| w as usize)
        .collect();
    let seed = match args.seed {
        SeedKind::None if args.seed_size != 1 => {
            anyhow::bail!(
                "--seed-size {} needs --seed input or --seed output",
                args.seed_size
            )
        }
        SeedKind::None => Seed::None,
        SeedKind::Input => Seed::from_kind("input", args.seed_size)?,
        SeedKind::Output => Seed::from_kind("output", args.seed_size)?,
    };
    let chain = match &args.layers {
        Some(text) => JacobianChain::with_layers(&widths, &LayerKind::parse_list(text)?, seed)?,
        None => JacobianChain::new(&widths, seed)?,
    };
    let mf = match (&args.tangent_costs, &args.adjoint_costs) {
        (Some(t), Some(a)) => {
            let t = parse_list(t, "the tangent costs")?;
            let a = parse_list(a, "the adjoint costs")?;
            // One width per layer boundary, whichever form the widths were written in.
            let mut mf = MatrixFreeChain::new(chain.layer_widths(), &t, &a)?;
            if let (Some(e), Some(m)) = (&args.tapes, args.memory) {
                mf = mf.with_memory(&parse_list(e, "the tapes")?, m)?;
            }
            let mf = mf.with_seed(seed)?;
            // Before the dense plans, which take longer than this check on long chains.
            mf.check_size()?;
            Some(mf)
        }
        _ => None,
    };
    let report = JacobianReport::new(&chain, mf.as_ref()).map_err(|e| match e {
        // The DP's advice names `plan`'s planners, which this command does not have.
        chainplan::Error::Plan(chainplan::error::PlanError::ChainTooLong {
            matrices,
            needed_bytes,
            limit_bytes,
            ..
        }) => anyhow::anyhow!(
            "a chain of {matrices} layers needs about {needed_bytes} bytes of planner tables, \
             over the {limit_bytes} bytes allowed; plan fewer layers at a time"
        ),
        e => e.into(),
    })?;
    if export_to_stdout {
        // Standard output is the export alone, so that programs can read it.
    } else if args.json {
        emit(&report.to_json()?)?;
        emit("\n")?;
    } else {
        emit(&render_tables(&report))?;
    }
    args.export.write(&report)?;
    Ok(ExitCode::SUCCESS)
}
