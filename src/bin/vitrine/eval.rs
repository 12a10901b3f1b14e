//! `vitrine eval`: the shell over `vitrine::retrieval`. It scores retrieval on a held-out split
//! for the raw backbone, PCA-128 and a trained head side by side, on the same cached features.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use vitrine::colour::{self, Colour};
use vitrine::engine;
use vitrine::head::Head;
use vitrine::models::{expected_sha256, Backbone};
use vitrine::retrieval::{agreement_at_5, chance_agreement, confusion_at_5, evaluate, Pca};
use vitrine::vector::normalize;

use crate::features::{embeddings_of, features_of, load, DataArgs, Features};
use crate::files::read;
use crate::train::FINE_TUNED;

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
    /// Also score the last embedding (the trained head, else PCA) with the garment's colour
    /// histogram joined at this weight ([`vitrine::colour::joined`], 0..1); repeat to compare
    /// weights (choose on validation).
    #[arg(long)]
    colour_weight: Vec<f32>,
}

/// The head inside an embedder written by `vitrine train`, checked to sit on this backbone, and
/// whether its backbone's tail was fine-tuned too (then only the whole file computes it).
fn read_head(path: &Path) -> Result<(Head, bool)> {
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
    Ok((head, metadata.iter().any(|(k, _)| k == FINE_TUNED)))
}

/// How each item's backbone feature becomes the vector a row scores.
type Embed<'a> = &'a dyn Fn(&Vec<f32>) -> Vec<f32>;

/// One embedding scored: its name and every item's unit vector, held-out and training.
struct Row {
    name: String,
    test: Vec<Vec<f32>>,
    train: Vec<Vec<f32>>,
}

/// Runs `vitrine eval`.
pub fn run(args: EvalArgs) -> Result<ExitCode> {
    if let Some(w) = args.colour_weight.iter().find(|w| !(0.0..=1.0).contains(*w)) {
        bail!("--colour-weight {w}: give a weight between 0 and 1 (e.g. 0.2)");
    }
    let head = args.embedder.as_deref().map(read_head).transpose()?;
    for dataset in load(&args.data)? {
        let held_out = match args.split {
            SplitArg::Validation => &dataset.validation,
            SplitArg::Test => &dataset.test,
        };
        if dataset.train.labels.is_empty() || held_out.labels.is_empty() {
            bail!(
                "{}: the training or the {} split has no items (products are split by a hash of their id): give a larger catalog",
                dataset.name,
                held_out.name
            );
        }
        let train = features_of(&dataset.train, &args.data)?;
        let test = features_of(held_out, &args.data)?;
        let colours: Vec<Option<Colour>> = test.colours.iter().map(colour::dominant).collect();
        outln!(
            "\n{}: {} held-out items ({}) against {} training items, {} labels\n",
            dataset.name,
            test.vectors.len(),
            held_out.name,
            train.vectors.len(),
            dataset.label_names.len()
        )?;
        let row = |name: String, f: Embed| {
            let of =
                |set: &Features| -> Vec<Vec<f32>> { set.vectors.iter().map(|v| normalize(f(v))).collect() };
            Row { name, test: of(&test), train: of(&train) }
        };
        let mut rows = vec![row(format!("backbone {}-d, cosine", train.vectors[0].len()), &|v| v.clone())];
        let pca = Pca::fit(&train.vectors, 128);
        rows.push(row("backbone, PCA to 128-d".into(), &|v| pca.project(v)));
        match (&head, &args.embedder) {
            (Some((head, false)), Some(path)) => rows
                .push(row(format!("trained head {}-d ({})", head.dim(), path.display()), &|v| head.embed(v))),
            // Its tail changed the features: the file is run on every item.
            (Some((head, true)), Some(path)) => rows.push(Row {
                name: format!("fine-tuned embedder {}-d ({})", head.dim(), path.display()),
                test: embeddings_of(held_out, &args.data, path)?.vectors,
                train: embeddings_of(&dataset.train, &args.data, path)?.vectors,
            }),
            _ => {}
        }
        // The colour rows join each item's histogram to the last row's vectors (the head's, else
        // PCA's), already computed.
        let last = rows.len() - 1;
        let join = |vectors: &[Vec<f32>], set: &Features, w: f32| -> Vec<Vec<f32>> {
            vectors.iter().zip(&set.colours).map(|(v, c)| normalize(colour::joined(v, c, w))).collect()
        };
        let joined: Vec<Row> = (args.colour_weight.iter())
            .map(|&w| Row {
                name: format!(
                    "{} + colour at {w}",
                    match head {
                        Some((_, true)) => "fine-tuned embedder",
                        Some(_) => "trained head",
                        None => "PCA",
                    }
                ),
                test: join(&rows[last].test, &test, w),
                train: join(&rows[last].train, &train, w),
            })
            .collect();
        rows.extend(joined);
        outln!("| embedding | precision@5 | recall@1 | recall@5 | mAP@5 | 1-NN accuracy | colour@5 |")?;
        outln!("|---|---|---|---|---|---|---|")?;
        for Row { name, test, train } in &rows {
            let m = evaluate(test, &held_out.labels, train, &dataset.train.labels);
            outln!(
                "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                m.precision_at_5,
                m.recall_at_1,
                m.recall_at_5,
                m.map_at_5,
                m.nn1_accuracy,
                agreement_at_5(test, &colours)
            )?;
        }
        outln!(
            "\ncolour@5: share of the 5 nearest whose dominant colour (src/colour.rs) is the query's; \
             at random {:.3}.",
            chance_agreement(&colours)
        )?;
        print_confusions(&rows[last], &held_out.labels, &dataset.label_names)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Per label of the held-out split, for one row's embedding: its items, its precision@5 and the
/// labels its 5 nearest go to instead (the two largest shares).
fn print_confusions(Row { name, test, .. }: &Row, labels: &[u32], names: &[String]) -> std::io::Result<()> {
    let table = confusion_at_5(test, labels, names.len());
    outln!("\nwhere {name}'s 5 nearest go, per label:\n")?;
    outln!("| label | items | precision@5 | instead (share of the 5 nearest) |")?;
    outln!("|---|---|---|---|")?;
    for (a, row) in table.iter().enumerate() {
        let items = labels.iter().filter(|&&l| l as usize == a).count();
        if items == 0 {
            continue;
        }
        let mut wrong: Vec<(usize, f64)> =
            row.iter().copied().enumerate().filter(|&(b, v)| b != a && v > 0.0).collect();
        wrong.sort_by(|x, y| y.1.total_cmp(&x.1));
        let instead: Vec<String> =
            wrong.iter().take(2).map(|(b, v)| format!("{} {:.2}", names[*b], v)).collect();
        outln!("| {} | {items} | {:.3} | {} |", names[a], row[a], instead.join(", "))?;
    }
    Ok(())
}
