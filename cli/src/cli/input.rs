//! Reading chains from arguments, files and standard input.

use anyhow::{bail, Context, Result};
use chainplan::fsio::MAX_INPUT_BYTES;
use chainplan::Chain;
use std::path::PathBuf;

/// Where the dimensions come from: positional arguments, `--file PATH`, or `-` (stdin).
#[derive(Debug, Clone, clap::Args)]
pub struct ChainInput {
    /// Dimensions p0 p1 … pn (Ai is p(i-1) × pi), separated by spaces or commas; `-` reads them
    /// from standard input.
    #[arg(value_name = "DIMS", allow_negative_numbers = true)]
    pub dims: Vec<String>,

    /// Read the dimensions from a file (whitespace-, comma- or newline-separated; `#` starts a
    /// comment); `-` is standard input.
    #[arg(short, long, value_name = "PATH", conflicts_with = "dims")]
    pub file: Option<PathBuf>,
}

impl ChainInput {
    /// The validated chain.
    pub fn read(&self) -> Result<Chain> {
        let from_stdin = self.dims.len() == 1 && self.dims[0] == "-";
        if let Some(path) = &self.file {
            if path.as_os_str() == "-" {
                return read_stdin();
            }
            return Ok(Chain::read(path)?);
        }
        if from_stdin {
            return read_stdin();
        }
        refuse_empty(&self.dims)?;
        if self.dims.is_empty() {
            bail!("no dimensions given; pass them as arguments (chainplan plan 30 35 15 5), with --file PATH, or '-' for standard input");
        }
        Ok(Chain::parse(&self.dims.join(" "))?)
    }
}

fn read_stdin() -> Result<Chain> {
    let text = chainplan::fsio::read_bounded(std::io::stdin().lock(), MAX_INPUT_BYTES)
        .context("cannot read standard input")?;
    Ok(Chain::parse(&text)?)
}

/// Refuses an empty (or blank) argument, which a script with an empty variable passes, instead
/// of planning a shorter chain without it.
pub fn refuse_empty(args: &[String]) -> Result<()> {
    if let Some(i) = args.iter().position(|a| a.trim().is_empty()) {
        bail!(
            "argument {} of {} is empty; every argument must hold a dimension",
            i + 1,
            args.len()
        );
    }
    Ok(())
}
