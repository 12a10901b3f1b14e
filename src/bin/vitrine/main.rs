//! The native command line: a thin shell over the library. It reads files, calls the core, and
//! writes files atomically (temporary file, then rename), so nothing half-written is left.
//!
//! This file is the arguments and the dispatch only: each command lives in the file named after
//! it, the file helpers they share in `files`, the public datasets they read in `datasets`.

/// `println!` that returns the write's `std::io::Result` instead of panicking: output piped into
/// a reader that stops early (`vitrine recommend ... | head`) ends the command quietly
/// ([`main`]), its `Drop`s run (a staging folder is removed).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // Named, so that a full disk under `> file` does not read as the command's own input.
        writeln!(std::io::stdout(), $($arg)*)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot write the output (standard output): {e}")))
    }};
}

mod bench;
mod catalog;
mod datasets;
mod draw;
mod embed_cache;
#[cfg(feature = "train")]
mod eval;
#[cfg(feature = "train")]
mod features;
mod files;
mod index;
mod recommend;
#[cfg(feature = "train")]
mod train;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Shop the look: garments in a full-shot photo and the catalog products most like them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The look of a photo: the full-shot verdict, then top, bottom and foot wear with the most
    /// similar products.
    Recommend(recommend::RecommendArgs),
    /// Catalog indexes.
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Makes catalog folders (CSV, images, product pages) from public datasets.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Benchmarks: models and looks (tract, one thread), and catalog search.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Trains the embedding head on cached backbone features with the weighted triplet loss.
    #[cfg(feature = "train")]
    Train(train::TrainArgs),
    /// Retrieval on a held-out split: raw backbone, PCA-128 and a trained head side by side.
    #[cfg(feature = "train")]
    Eval(eval::EvalArgs),
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        // The reader of the output has gone: nothing is left to say to anyone.
        Err(err)
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("vitrine: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    files::remove_staging_on_interrupt()?;
    match cli.command {
        Command::Recommend(args) => recommend::run(args),
        Command::Index(cmd) => index::run(cmd),
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        #[cfg(feature = "train")]
        Command::Train(args) => train::run(args),
        #[cfg(feature = "train")]
        Command::Eval(args) => eval::run(args),
    }
}
