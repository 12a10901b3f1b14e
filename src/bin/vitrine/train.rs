//! `vitrine train`: the shell over `vitrine::train`. It learns the embedding head on the cached
//! backbone features and writes the backbone with the head as one ONNX embedder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use vitrine::engine;
use vitrine::models::{expected_sha256, sha256_hex, Backbone, Embedder};
use vitrine::train::{fine_tune, train, EpochReport, FineTuneConfig, Mining, TrainConfig};

use vitrine::colour::{self, Colour, BINS};

use crate::features::{activations_of, colours_of, features_of, load, Activations, DataArgs, Dataset};
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
    /// Also train the backbone's last blocks and conv_head (`vitrine::tail`) with the head, on
    /// trunk activations cached once per item and view; the embedder then carries that tail.
    #[arg(long)]
    fine_tune: bool,
    /// --fine-tune: how many of the backbone's last MBConv blocks to train (1: the last stage's
    /// one block; up to 4: the stage before it has 3 more on the same 7 x 7 map).
    #[arg(long, default_value_t = 1, requires = "fine_tune")]
    tail_blocks: usize,
    /// --fine-tune: views of each training item, the first as the embedder sees it, the others
    /// augmented (`vitrine::augment`).
    #[arg(long, default_value_t = 4, requires = "fine_tune")]
    views: usize,
    /// Positives share the label and the garment's dominant colour (`vitrine::colour`): "similar"
    /// is the same kind and the same colour. A dataset without colour (most items black, grey or
    /// white: Fashion-MNIST) keeps its labels.
    #[arg(long)]
    colour_labels: bool,
    /// --fine-tune: the tail's learning rate.
    #[arg(long, default_value_t = 1e-4, requires = "fine_tune")]
    tail_lr: f64,
    /// --fine-tune: first epochs in which only the head learns.
    #[arg(long, default_value_t = 3, requires = "fine_tune")]
    warmup_epochs: usize,
}

/// Runs `vitrine train`.
pub fn run(args: TrainArgs) -> Result<ExitCode> {
    if args.fine_tune && args.views == 0 {
        bail!("--views 0: give at least 1 (the item as the embedder sees it)");
    }
    if !(1..=engine::MAX_TAIL_BLOCKS).contains(&args.tail_blocks) {
        bail!(
            "--tail-blocks {}: give 1 to {} (the backbone's blocks on its last 7 x 7 map)",
            args.tail_blocks,
            engine::MAX_TAIL_BLOCKS
        );
    }
    let datasets = load(&args.data)?;
    let started = std::time::Instant::now();
    // Labels of different datasets are kept apart: each gets its own range.
    let (mut features, mut labels, mut described) = (Vec::new(), Vec::new(), Vec::new());
    let mut activations = Vec::new();
    for dataset in &datasets {
        let offset = labels.iter().max().map_or(0, |m| m + 1);
        if args.fine_tune {
            activations.push(activations_of(
                &dataset.train,
                &args.data,
                args.views,
                args.seed,
                args.tail_blocks,
            )?);
        } else {
            features.extend(features_of(&dataset.train, &args.data)?.vectors);
        }
        let train_labels = if args.colour_labels {
            with_colours(dataset, &args.data)?
        } else {
            dataset.train.labels.clone()
        };
        labels.extend(train_labels.iter().map(|l| l + offset));
        described.push(format!(
            "{} ({} items, {} labels)",
            dataset.train.name,
            dataset.train.labels.len(),
            dataset.label_names.len()
        ));
    }
    let what = if args.fine_tune {
        format!("trunk activations ({} views each)", args.views)
    } else {
        "features".into()
    };
    outln!("training on {}; {what} in {:.1} s", described.join(" + "), started.elapsed().as_secs_f64())?;
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
    // Progress: a reader that has gone does not stop the training, whose product is the file.
    let report = |r: &EpochReport| {
        let _ = outln!(
            "epoch {:3}  loss {:.4}  (triplet {:.4}, size {:.4}, {:.0}% of triplets active), {:.0} s",
            r.epoch,
            r.loss,
            r.triplet,
            r.embedding,
            100.0 * r.active,
            started.elapsed().as_secs_f64()
        );
    };
    let backbone_path = args.data.models.join(Backbone::FILE);
    let mut backbone = read(&backbone_path)?;
    vitrine::models::verify(Backbone::FILE, &backbone)?;
    let file = args.out.display().to_string();
    let (head, settings) = if args.fine_tune {
        let (tail, _) = engine::read_tail(Backbone::FILE, &backbone, args.tail_blocks)?;
        let views: Vec<&[f32]> = activations.iter().flat_map(Activations::slices).collect();
        let config = FineTuneConfig {
            head: config,
            tail_learning_rate: args.tail_lr,
            warmup_epochs: args.warmup_epochs,
        };
        let (tail, head) = fine_tune(&tail, &views, args.views, &labels, &config, report)?;
        backbone = engine::replace_tail(&file, &backbone, &tail)?;
        (head, format!("{config:?}"))
    } else {
        (train(&features, &labels, &config, report)?, format!("{config:?}"))
    };
    outln!("trained in {:.1} s", started.elapsed().as_secs_f64())?;
    let mut metadata = vec![
        ("backbone_sha256", expected_sha256(Backbone::FILE).unwrap_or_default().to_string()),
        ("trained_on", described.join(" + ")),
        ("settings", settings),
        ("recipe", "vitrine train (weighted triplet loss, issue 5); see models/README.md".to_string()),
    ];
    // One block writes what it always wrote, so the recipe still gives the shipped file's bytes.
    match (args.fine_tune, args.tail_blocks) {
        (false, _) => {}
        (true, 1) => metadata.push((FINE_TUNED, "expand, depthwise, project, conv_head".to_string())),
        (true, n) => {
            metadata
                .push((FINE_TUNED, format!("the last {n} blocks' expand, depthwise, project; conv_head")));
            metadata.push((TAIL_BLOCKS, n.to_string()));
        }
    }
    let onnx = engine::append_head(&file, &backbone, &head, Embedder::OUTPUT, &metadata)?;
    write_atomic(&args.out, &onnx)?;
    outln!(
        "{}: {}{} + head {} -> {} ({} bytes, sha256 {})",
        args.out.display(),
        Backbone::FILE,
        match (args.fine_tune, args.tail_blocks) {
            (false, _) => String::new(),
            (true, 1) => " (its last block and conv_head fine-tuned)".into(),
            (true, n) => format!(" (its last {n} blocks and conv_head fine-tuned)"),
        },
        head.inputs(),
        head.dim(),
        onnx.len(),
        sha256_hex(&onnx)
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Each training item's label joined with its garment's dominant colour: `label * (BINS + 1) +
/// colour` (`BINS` for none); the plain labels for a dataset whose items are mostly achromatic.
fn with_colours(dataset: &Dataset, data: &DataArgs) -> Result<Vec<u32>> {
    let colours: Vec<Option<Colour>> =
        colours_of(&dataset.train, data)?.iter().map(colour::dominant).collect();
    let achromatic = colours
        .iter()
        .filter(|c| matches!(c, None | Some(Colour::Black | Colour::Grey | Colour::White)))
        .count();
    let greyscale = achromatic as f32 >= 0.9 * colours.len() as f32;
    outln!(
        "{}: {}",
        dataset.train.name,
        if greyscale { "no colour (labels kept)" } else { "positives share label and dominant colour" }
    )?;
    Ok(dataset
        .train
        .labels
        .iter()
        .zip(&colours)
        .map(|(&l, c)| {
            let bin = c
                .filter(|_| !greyscale)
                .and_then(|c| Colour::ALL.iter().position(|&a| a == c))
                .unwrap_or(BINS);
            l * (BINS as u32 + 1) + bin as u32
        })
        .collect())
}

/// The metadata key of an embedder whose backbone tail was fine-tuned: its value names the
/// layers trained. `vitrine eval` scores such a file by running it whole.
pub const FINE_TUNED: &str = "fine_tuned";

/// The metadata key of how many MBConv blocks a fine-tuned embedder's tail has (absent: 1, as
/// the first fine-tuned files were made).
pub const TAIL_BLOCKS: &str = "tail_blocks";
