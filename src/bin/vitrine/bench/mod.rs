//! `vitrine bench`: native measurements for `BENCHMARKS.md`, one file per thing measured:
//! `look` (each model bare, then whole looks), `ops` (where tract spends a model's time) and
//! `search` (exact and HNSW catalog search). What they share, the timing statistics, is here.

mod look;
mod ops;
mod search;

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

/// `vitrine bench`'s subcommands.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Each model bare, then whole looks stage by stage.
    Look(look::LookArgs),
    /// Exact and HNSW search at several catalog sizes.
    Search(search::SearchArgs),
    /// Where tract spends each model's time: every step of its optimized plan, timed.
    Ops(ops::OpsArgs),
}

/// Runs `vitrine bench ...`.
pub fn run(cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Look(args) => look::run(args),
        BenchCommand::Search(args) => search::run(args),
        BenchCommand::Ops(args) => ops::run(args),
    }
}

/// The spread of a set of timings, in ms.
#[derive(Serialize)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

/// The median, minimum and maximum of `ms`.
pub fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let median = if n % 2 == 1 { ms[n / 2] } else { (ms[n / 2 - 1] + ms[n / 2]) / 2.0 };
    Stats { median, min: ms[0], max: ms[n - 1], n }
}
