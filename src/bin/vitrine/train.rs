//! `vitrine train`: the shell over `vitrine::train`. It learns the embedding head on the cached
//! backbone features and writes the backbone with the head as one ONNX embedder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use vitrine::engine;
use vitrine::models::{expected_sha256, sha256_hex, Backbone, Embedder};
use vitrine::train::{train, Mining, TrainConfig};

use crate::features::{features_of, load, DataArgs};
use crate::files::{read, write_atomic};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum MiningArg {
    BatchHard,
    SemiHard,
}

/// `vitrine train`'s arguments.
#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The embedder to write: the backbone with the trained head, one ONNX file.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "semi-hard")]
    mining: MiningArg,
    #[arg(long, default_value_t = 128)]
    dim: usize,
    /// A hidden ReLU layer of this width (0: one linear layer).
    #[arg(long, default_value_t = 0)]
    hidden: usize,
    /// Margin m of the triplet loss (squared distances).
    #[arg(long, default_value_t = 0.5)]
    margin: f32,
    /// Weight alpha of the embedding-size term.
    #[arg(long, default_value_t = 0.1)]
    alpha: f32,
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs `vitrine train`.
pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let datasets = load(&args.data)?;
    let started = std::time::Instant::now();
    // Labels of different datasets are kept apart: each gets its own range.
    let (mut features, mut labels, mut described) = (Vec::new(), Vec::new(), Vec::new());
    for dataset in &datasets {
        let offset = labels.iter().max().map_or(0, |m| m + 1);
        features.extend(features_of(&dataset.train, &args.data)?.vectors);
        labels.extend(dataset.train.labels.iter().map(|l| l + offset));
        described.push(format!(
            "{} ({} items, {} labels)",
            dataset.train.name,
            dataset.train.labels.len(),
            dataset.label_names.len()
        ));
    }
    println!("training on {}; features in {:.1} s", described.join(" + "), started.elapsed().as_secs_f64());
    let config = TrainConfig {
        dim: args.dim,
        hidden: args.hidden,
        margin: args.margin,
        alpha: args.alpha,
        epochs: args.epochs,
        learning_rate: args.lr,
        mining: match args.mining {
            MiningArg::BatchHard => Mining::BatchHard,
            MiningArg::SemiHard => Mining::SemiHard,
        },
        seed: args.seed,
        ..TrainConfig::default()
    };
    let started = std::time::Instant::now();
    let head = train(&features, &labels, &config, |r| {
        println!(
            "epoch {:3}  loss {:.4}  (triplet {:.4}, size {:.4}, {:.0}% of triplets active)",
            r.epoch,
            r.loss,
            r.triplet,
            r.embedding,
            100.0 * r.active
        );
    })?;
    println!("trained in {:.1} s", started.elapsed().as_secs_f64());
    let backbone_path = args.data.models.join(Backbone::FILE);
    let backbone = read(&backbone_path)?;
    vitrine::models::verify(Backbone::FILE, &backbone)?;
    let metadata = [
        ("backbone_sha256", expected_sha256(Backbone::FILE).unwrap_or_default().to_string()),
        ("trained_on", described.join(" + ")),
        ("settings", format!("{config:?}")),
        ("recipe", "vitrine train (weighted triplet loss, issue 5); see models/README.md".to_string()),
    ];
    let onnx =
        engine::append_head(&args.out.display().to_string(), &backbone, &head, Embedder::OUTPUT, &metadata)?;
    write_atomic(&args.out, &onnx)?;
    println!(
        "{}: {} + head {} -> {} ({} bytes, sha256 {})",
        args.out.display(),
        Backbone::FILE,
        head.inputs(),
        head.dim(),
        onnx.len(),
        sha256_hex(&onnx)
    );
    Ok(ExitCode::SUCCESS)
}
