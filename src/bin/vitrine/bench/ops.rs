//! `vitrine bench ops`: where tract spends each model's time, every step of its optimized plan
//! timed and summed per op, to show which kinds of step to make faster.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;
use vitrine::engine::Step;
use vitrine::models::{BareModel, SHIPPED};
use vitrine::photo::{Limits, Photo};
use vitrine::timing::default_clock;

use super::stats;
use crate::files::{read, write_json};

/// `vitrine bench ops`'s arguments.
#[derive(Args)]
pub struct OpsArgs {
    /// Timed runs per model (after one untimed).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Only this model file (default: every shipped one).
    #[arg(long)]
    model: Option<String>,
    #[arg(long, default_value = "tests/photos/messi5.jpg")]
    photo: PathBuf,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Also write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Serialize)]
struct OpsRow {
    file: &'static str,
    steps: Vec<Step>,
}

/// Runs `vitrine bench ops`.
pub fn run(args: OpsArgs) -> Result<ExitCode> {
    let photo = read(&args.photo)?;
    let decoded = Photo::decode(&photo, &args.photo.display().to_string(), &Limits::default())?;
    let files: Vec<&'static str> = match &args.model {
        None => SHIPPED.iter().map(|(file, _)| *file).collect(),
        Some(m) => match SHIPPED.iter().find(|(file, _)| file == m) {
            Some((file, _)) => vec![*file],
            None => bail!("--model {m}: not a shipped model; one of {:?}", SHIPPED.map(|(f, _)| f)),
        },
    };
    let mut rows = Vec::new();
    for file in files {
        let model = BareModel::new(file, &read(&args.models.join(file))?, &decoded)?;
        model.profile(default_clock)?;
        let runs =
            (0..args.runs.max(1)).map(|_| model.profile(default_clock)).collect::<Result<Vec<_>, _>>()?;
        // Each step's median over the runs.
        let steps = (0..runs[0].len())
            .map(|i| Step { ms: stats(runs.iter().map(|r| r[i].ms).collect()).median, ..runs[0][i].clone() })
            .collect::<Vec<_>>();
        print_ops(file, &steps);
        rows.push(OpsRow { file, steps });
    }
    if let Some(path) = &args.json {
        write_json(path, &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Per op: the steps' medians summed, their share, how many steps, and the multiply-adds they
/// do per second (against the arithmetic, how well each kind of step runs).
fn print_ops(file: &str, steps: &[Step]) {
    let mut by_op: Vec<(&str, f64, f64, usize)> = Vec::new();
    for s in steps {
        match by_op.iter_mut().find(|(op, ..)| *op == s.op) {
            Some((_, ms, macs, n)) => {
                *ms += s.ms;
                *macs += s.macs;
                *n += 1;
            }
            None => by_op.push((&s.op, s.ms, s.macs, 1)),
        }
    }
    by_op.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = steps.iter().map(|s| s.ms).sum();
    let macs: f64 = steps.iter().map(|s| s.macs).sum();
    println!(
        "\n{file}: {total:.1} ms in {} steps (medians), {:.0} M multiply-adds, {} G/s\n",
        steps.len(),
        macs / 1e6,
        gmacs(macs, total)
    );
    println!("| op | ms | share | steps | M multiply-adds | G/s |\n|---|---|---|---|---|---|");
    for (op, ms, macs, n) in by_op {
        println!(
            "| {op} | {ms:.2} | {:.0}% | {n} | {:.1} | {} |",
            100.0 * ms / total,
            macs / 1e6,
            gmacs(macs, ms)
        );
    }
}

/// Multiply-adds per second, in G, or "-" for steps that count none.
fn gmacs(macs: f64, ms: f64) -> String {
    if macs > 0.0 && ms > 0.0 {
        format!("{:.2}", macs / ms / 1e6)
    } else {
        "-".into()
    }
}
