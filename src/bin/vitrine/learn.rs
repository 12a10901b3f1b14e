//! `vitrine train` and `vitrine eval`: the datasets with their splits, the frozen backbone's
//! features (computed once per item and cached), and the shells over `vitrine::train` and
//! `vitrine::retrieval`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vitrine::engine;
use vitrine::head::Head;
use vitrine::models::{expected_sha256, sha256_hex, Backbone, Embedder};
use vitrine::photo::{Limits, Photo};
use vitrine::retrieval::{evaluate, Metrics, Pca};
use vitrine::train::{train, Mining, TrainConfig};
use vitrine::vector::normalize;

use crate::datasets::{clothing_wear, fashion_mnist_image, fashion_mnist_split, FASHION_CLASSES};
use crate::{local_image, par_map, read, write_atomic};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum DatasetArg {
    /// ../shared/data/clothing-dataset (CC0), split by sender_id: 20% test, 10% validation.
    Clothing,
    /// Debian's dataset-fashion-mnist: the first N of the training set (the last 1,000 of those
    /// for validation) and the first M of the test set.
    FashionMnist,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MiningArg {
    BatchHard,
    SemiHard,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SplitArg {
    Validation,
    Test,
}

/// What to learn from or evaluate on: public datasets and/or a retailer's catalog.
#[derive(Args)]
pub struct DataArgs {
    /// A public dataset; repeat to combine several (their labels are kept apart).
    #[arg(long, value_enum)]
    dataset: Vec<DatasetArg>,
    /// A catalog CSV (as `vitrine index build` reads), labelled by --label-column; split by a
    /// hash of the product id: 20% test, 10% validation.
    #[arg(long, requires = "images")]
    catalog: Option<PathBuf>,
    /// Folder the catalog's image paths are relative to.
    #[arg(long, requires = "catalog")]
    images: Option<PathBuf>,
    /// The catalog column whose value is the product's label (positives share it).
    #[arg(long, default_value = "product_type")]
    label_column: String,
    #[arg(long, default_value = "../shared/data/clothing-dataset")]
    clothing_dir: PathBuf,
    #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
    fashion_mnist_dir: PathBuf,
    /// Fashion-MNIST: training items taken (the last 1,000 of them are the validation split).
    #[arg(long, default_value_t = 7000)]
    train_items: usize,
    /// Fashion-MNIST: test items taken.
    #[arg(long, default_value_t = 2000)]
    test_items: usize,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Where backbone features are cached (one file per dataset split and backbone).
    #[arg(long, default_value = "target/features")]
    cache: PathBuf,
}

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

/// One item of a dataset: where its pixels are and its label.
enum Source {
    File(PathBuf),
    /// A Fashion-MNIST 28x28 image (white on black, as stored).
    Pixels(Vec<u8>),
}

struct Split {
    name: String,
    sources: Vec<Source>,
    labels: Vec<u32>,
}

struct Dataset {
    name: String,
    train: Split,
    validation: Split,
    test: Split,
    label_names: Vec<String>,
}

fn load(args: &DataArgs) -> Result<Vec<Dataset>> {
    let mut sets = Vec::new();
    for dataset in &args.dataset {
        sets.push(match dataset {
            DatasetArg::Clothing => clothing(&args.clothing_dir)?,
            DatasetArg::FashionMnist => {
                fashion_mnist(&args.fashion_mnist_dir, args.train_items, args.test_items)?
            }
        });
    }
    if let (Some(csv), Some(images)) = (&args.catalog, &args.images) {
        sets.push(catalog(csv, images, &args.label_column)?);
    }
    if sets.is_empty() {
        bail!(
            "nothing to learn from: give --dataset clothing|fashion-mnist and/or --catalog FILE --images DIR"
        );
    }
    Ok(sets)
}

/// The split an item falls in by a hash of what groups it: 20% test, 10% validation, the rest
/// training.
fn split_of(group: &str) -> usize {
    match Sha256::digest(group.as_bytes())[0] % 10 {
        0 | 1 => 2,
        2 => 1,
        _ => 0,
    }
}

fn catalog(csv_path: &Path, images: &Path, label_column: &str) -> Result<Dataset> {
    let name = csv_path.display().to_string();
    let bytes = read(csv_path)?;
    let products = vitrine::catalog::parse(&name, &bytes)?;
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let headers = reader.headers()?.clone();
    let Some(column) = headers.iter().position(|h| h.trim().eq_ignore_ascii_case(label_column)) else {
        bail!("{name}: no '{label_column}' column to take labels from; name one with --label-column (columns: {})", headers.iter().collect::<Vec<_>>().join(", "));
    };
    let tag = format!("catalog-{}", &sha256_hex(&bytes)[..12]);
    let mut label_names: Vec<String> = Vec::new();
    let mut splits: [Split; 3] = ["train", "validation", "test"].map(|n| Split {
        name: format!("{tag}-{n}"),
        sources: Vec::new(),
        labels: Vec::new(),
    });
    for (product, record) in products.iter().zip(reader.records()) {
        let label = record?.get(column).unwrap_or("").trim().to_string();
        if label.is_empty() {
            bail!("{name}: product '{}' has an empty '{label_column}'", product.id);
        }
        let image = local_image(&name, product, images)?;
        let id = label_names.iter().position(|l| *l == label).unwrap_or_else(|| {
            label_names.push(label);
            label_names.len() - 1
        });
        let split = &mut splits[split_of(&product.id)];
        split.sources.push(Source::File(image));
        split.labels.push(id as u32);
    }
    let [train, validation, test] = splits;
    Ok(Dataset { name: name.clone(), train, validation, test, label_names })
}

fn clothing(dir: &Path) -> Result<Dataset> {
    let csv_path = dir.join("images.csv");
    let text = fs::read_to_string(&csv_path)
        .with_context(|| format!("{}: cannot read (see ../shared/README.md)", csv_path.display()))?;
    let mut label_names: Vec<String> = Vec::new();
    let mut splits: [Split; 3] = ["train", "validation", "test"].map(|n| Split {
        name: format!("clothing-{n}"),
        sources: Vec::new(),
        labels: Vec::new(),
    });
    for (n, line) in text.lines().skip(1).enumerate() {
        let [image, sender, label, _kids] = line.split(',').collect::<Vec<_>>()[..] else {
            bail!("{} line {}: expected 4 columns", csv_path.display(), n + 2);
        };
        if clothing_wear(label).is_none() {
            continue;
        }
        let id = label_names.iter().position(|l| l == label).unwrap_or_else(|| {
            label_names.push(label.to_string());
            label_names.len() - 1
        });
        // By sender: one person's photos share background and light, so they stay together.
        let split = split_of(sender);
        splits[split].sources.push(Source::File(dir.join("images").join(format!("{image}.jpg"))));
        splits[split].labels.push(id as u32);
    }
    let [train, validation, test] = splits;
    Ok(Dataset { name: "clothing".into(), train, validation, test, label_names })
}

fn fashion_mnist(dir: &Path, train_items: usize, test_items: usize) -> Result<Dataset> {
    let read_split = |prefix: &str, take: usize| -> Result<(Vec<Source>, Vec<u32>)> {
        let (images, labels) = fashion_mnist_split(dir, prefix, take)?;
        Ok((images.into_iter().map(Source::Pixels).collect(), labels.into_iter().map(u32::from).collect()))
    };
    if train_items <= 1000 {
        bail!("--train-items must be above 1000: the last 1000 are the validation split");
    }
    let (mut sources, mut labels) = read_split("train", train_items)?;
    let validation = Split {
        name: "fashion-mnist-validation".into(),
        sources: sources.split_off(train_items - 1000),
        labels: labels.split_off(train_items - 1000),
    };
    let train = Split { name: format!("fashion-mnist-train{}", train_items - 1000), sources, labels };
    let (sources, labels) = read_split("t10k", test_items)?;
    let test = Split { name: format!("fashion-mnist-test{test_items}"), sources, labels };
    let label_names = FASHION_CLASSES.iter().map(|(name, _)| name.to_string()).collect();
    Ok(Dataset { name: "fashion-mnist".into(), train, validation, test, label_names })
}

fn photo_of(source: &Source) -> Result<Photo> {
    match source {
        Source::File(path) => {
            Ok(Photo::decode(&read(path)?, &path.display().to_string(), &Limits::default())?)
        }
        // As `vitrine catalog fashion-mnist` shows them.
        Source::Pixels(pixels) => Ok(Photo::from_image(fashion_mnist_image(pixels))?),
    }
}

#[derive(Serialize, Deserialize)]
struct FeatureCache {
    backbone: String,
    count: usize,
    features: Vec<Vec<f32>>,
}

/// The backbone's (unit-length) feature of every item of `split`, from the cache when there.
fn features_of(split: &Split, args: &DataArgs) -> Result<Vec<Vec<f32>>> {
    let backbone = expected_sha256(Backbone::FILE).context("the backbone is not in models/MANIFEST")?;
    let path = args.cache.join(format!("{}-{}.features", split.name, &backbone[..12]));
    if let Ok(bytes) = fs::read(&path) {
        if let Ok(cache) = postcard::from_bytes::<FeatureCache>(&bytes) {
            if cache.backbone == backbone && cache.count == split.sources.len() {
                return Ok(cache.features);
            }
        }
    }
    let backbone_net = Backbone::new(&read(&args.models.join(Backbone::FILE))?)?;
    let bar = ProgressBar::new(split.sources.len() as u64).with_style(
        ProgressStyle::with_template(&format!(
            "{} features {{bar:40}} {{pos}}/{{len}}, eta {{eta}}",
            split.name
        ))
        .unwrap(),
    );
    let results =
        par_map(&split.sources, &bar, |source| backbone_net.feature(&photo_of(source)?).map_err(Into::into));
    bar.finish_and_clear();
    let features = results.into_iter().collect::<Result<Vec<_>>>()?;
    fs::create_dir_all(&args.cache).with_context(|| format!("{}: cannot create", args.cache.display()))?;
    let cache = FeatureCache { backbone: backbone.to_string(), count: features.len(), features };
    write_atomic(&path, &postcard::to_allocvec(&cache)?)?;
    Ok(cache.features)
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

pub fn run_train(args: TrainArgs) -> Result<ExitCode> {
    let datasets = load(&args.data)?;
    let started = std::time::Instant::now();
    // Labels of different datasets are kept apart: each gets its own range.
    let (mut features, mut labels, mut described) = (Vec::new(), Vec::new(), Vec::new());
    for dataset in &datasets {
        let offset = labels.iter().max().map_or(0, |m| m + 1);
        features.extend(features_of(&dataset.train, &args.data)?);
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

pub fn run_eval(args: EvalArgs) -> Result<ExitCode> {
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
