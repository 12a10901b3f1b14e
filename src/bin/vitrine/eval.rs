//! `vitrine eval`: the shell over `vitrine::retrieval`. It scores retrieval on a held-out split
//! for the raw backbone, PCA-128 and a trained head side by side, on the same cached features.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use vitrine::engine;
use vitrine::head::Head;
use vitrine::models::{expected_sha256, Backbone};
use vitrine::retrieval::{evaluate, Metrics, Pca};
use vitrine::vector::normalize;

use crate::features::{features_of, load, DataArgs};
use crate::files::read;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum SplitArg {
    Validation,
    Test,
}

/// `vitrine eval`'s arguments.
#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    data: DataArgs,
    /// An embedder written by `vitrine train` (e.g. models/vitrine_embedder.onnx): its head is
    /// scored beside the raw and PCA rows, on the same cached backbone features.
    #[arg(long)]
    embedder: Option<PathBuf>,
    /// Which held-out split: tune on validation, report on test.
    #[arg(long, value_enum, default_value = "test")]
    split: SplitArg,
}

/// The head inside an embedder written by `vitrine train`, checked to sit on this backbone.
fn read_head(path: &Path) -> Result<Head> {
    let (head, metadata) = engine::read_head(&path.display().to_string(), &read(path)?)?;
    let backbone = expected_sha256(Backbone::FILE).unwrap_or_default();
    let trained_on = metadata.iter().find(|(k, _)| k == "backbone_sha256").map(|(_, v)| v.as_str());
    if trained_on != Some(backbone) {
        bail!(
            "{}: its head was trained on features of backbone {}, not of this {} ({backbone}); train it again",
            path.display(),
            trained_on.unwrap_or("(unknown)"),
            Backbone::FILE
        );
    }
    Ok(head)
}

/// Runs `vitrine eval`.
pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let head = args.embedder.as_deref().map(read_head).transpose()?;
    for dataset in load(&args.data)? {
        let held_out = match args.split {
            SplitArg::Validation => &dataset.validation,
            SplitArg::Test => &dataset.test,
        };
        let train_features = features_of(&dataset.train, &args.data)?;
        let test_features = features_of(held_out, &args.data)?;
        println!(
            "\n{}: {} held-out items ({}) against {} training items, {} labels\n",
            dataset.name,
            test_features.len(),
            held_out.name,
            train_features.len(),
            dataset.label_names.len()
        );
        let mut rows: Vec<(String, Metrics)> = Vec::new();
        let score = |project: &dyn Fn(&Vec<f32>) -> Vec<f32>| {
            let test: Vec<Vec<f32>> = test_features.iter().map(|v| normalize(project(v))).collect();
            let train: Vec<Vec<f32>> = train_features.iter().map(|v| normalize(project(v))).collect();
            evaluate(&test, &held_out.labels, &train, &dataset.train.labels)
        };
        rows.push((format!("backbone {}-d, cosine", train_features[0].len()), score(&|v| v.clone())));
        let pca = Pca::fit(&train_features, 128);
        rows.push(("backbone, PCA to 128-d".into(), score(&|v| pca.project(v))));
        if let (Some(head), Some(path)) = (&head, &args.embedder) {
            rows.push((
                format!("trained head {}-d ({})", head.dim(), path.display()),
                score(&|v| head.embed(v)),
            ));
        }
        println!("| embedding | precision@5 | recall@1 | recall@5 | mAP@5 | 1-NN accuracy |");
        println!("|---|---|---|---|---|---|");
        for (name, m) in rows {
            println!(
                "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                m.precision_at_5, m.recall_at_1, m.recall_at_5, m.map_at_5, m.nn1_accuracy
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
