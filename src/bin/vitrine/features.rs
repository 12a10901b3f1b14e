//! What `vitrine train` and `vitrine eval` work on: the labelled datasets (public ones and a
//! retailer's catalog) in their train, validation and test splits, and the frozen backbone's
//! feature of every item, computed once and cached, since both commands read the same features
//! run after run. A catalog's items are its products' regions, as `vitrine index build` embeds
//! them (the garment on the model, the trimmed packshot or the whole photo:
//! [`vitrine::regions`]), so a retailer trains and scores on what the index holds.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vitrine::augment::augment;
use vitrine::catalog::Wear;
use vitrine::colour::{self, BINS};
use vitrine::geometry::Rect;
use vitrine::models::{
    expected_sha256, sha256_hex, Backbone, Embedder, ObjectDetector, PoseDetector, PoseLandmarker, Trunk,
};
use vitrine::photo::{Limits, Photo};
use vitrine::upright::Turn;
use vitrine::{regions, Locator};

use crate::datasets::{
    clothing_photos, clothing_wear, fashion_mnist_image, fashion_mnist_split, FASHION_CLASSES,
};
use crate::files::{create_dir, local_image, par_map, read, write_atomic};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum DatasetArg {
    /// ../shared/data/clothing-dataset (CC0), split by sender_id: 20% test, 10% validation.
    Clothing,
    /// Debian's dataset-fashion-mnist: the first N of the training set (the last 1,000 of those
    /// for validation) and the first M of the test set.
    FashionMnist,
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
    /// Leave out the catalog's rows whose wear cannot be decided, as `index build
    /// --skip-undecided` does, instead of refusing the catalog.
    #[arg(long, requires = "catalog")]
    skip_undecided: bool,
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
    pub models: PathBuf,
    /// Where backbone features are cached (one file per dataset split and backbone).
    #[arg(long, default_value = "target/features")]
    cache: PathBuf,
}

/// One item of a dataset: where its pixels are and its label.
enum Source {
    File(PathBuf),
    /// A catalog product's photo: its region for the product's wear is the item.
    Product(PathBuf, Wear),
    /// A Fashion-MNIST 28x28 image (white on black, as stored).
    Pixels(Vec<u8>),
}

/// The items of one split of a dataset, with their labels.
#[derive(Default)]
pub struct Split {
    /// Names the split in messages and in the feature cache's file names.
    pub name: String,
    sources: Vec<Source>,
    /// Each item's label, an index into its dataset's `label_names`.
    pub labels: Vec<u32>,
}

/// A labelled dataset in its three splits.
pub struct Dataset {
    pub name: String,
    pub train: Split,
    pub validation: Split,
    pub test: Split,
    /// The labels' names, indexed by `Split::labels`.
    pub label_names: Vec<String>,
}

/// Every dataset `args` names, split.
pub fn load(args: &DataArgs) -> Result<Vec<Dataset>> {
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
        sets.push(catalog(csv, images, &args.label_column, args.skip_undecided)?);
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

fn catalog(csv_path: &Path, images: &Path, label_column: &str, skip_undecided: bool) -> Result<Dataset> {
    let name = csv_path.display().to_string();
    let bytes = read(csv_path)?;
    let options = vitrine::catalog::ReadOptions { label_column: Some(label_column), skip_undecided };
    let feed = vitrine::catalog::read(&name, &bytes, options)?;
    // Similar means sharing a label: a column that gives each product its own (an id, a link)
    // leaves nothing to train towards or to measure.
    let mut counts: HashMap<String, usize> = HashMap::new();
    feed.labels.iter().for_each(|l| *counts.entry(l.to_lowercase()).or_default() += 1);
    if counts.len() > 1 && counts.values().all(|&c| c < 2) {
        bail!(
            "{name}: column '{label_column}' gives every product its own label, so no two products count as similar; \
             name a column that groups products (such as product_type) with --label-column"
        );
    }
    // The cached features depend on the feed, on every product photo's bytes (a photo re-shot
    // under the same name, or another --images folder, must not reuse the old ones) and on the
    // networks that find the regions.
    let mut digests = Sha256::digest(&bytes).to_vec();
    let mut label_names: Vec<String> = Vec::new();
    let mut label_ids: HashMap<String, usize> = HashMap::new();
    let mut splits: [Split; 3] = ["train", "validation", "test"].map(|_| Split::default());
    for ((product, &line), label) in feed.products.iter().zip(&feed.lines).zip(feed.labels) {
        let image = local_image(&name, line, product, images)?;
        digests.extend(Sha256::digest(read(&image)?));
        // "Pants" and "pants" are one label: a feed's spellings drift.
        let id = *label_ids.entry(label.to_lowercase()).or_insert_with(|| {
            label_names.push(label);
            label_names.len() - 1
        });
        let split = &mut splits[split_of(&product.id)];
        split.sources.push(Source::Product(image, product.category.wear));
        split.labels.push(id as u32);
    }
    let locator_models: Vec<&str> = [PoseDetector::FILE, PoseLandmarker::FILE, ObjectDetector::FILE]
        .iter()
        .filter_map(|f| expected_sha256(f))
        .collect();
    let tag = format!(
        "catalog-{}-regions-{}",
        &sha256_hex(&digests)[..12],
        &sha256_hex(locator_models.join(",").as_bytes())[..8]
    );
    for (split, n) in splits.iter_mut().zip(["train", "validation", "test"]) {
        split.name = format!("{tag}-{n}");
    }
    let [train, validation, test] = splits;
    Ok(Dataset { name: name.clone(), train, validation, test, label_names })
}

fn clothing(dir: &Path) -> Result<Dataset> {
    let mut label_names: Vec<String> = Vec::new();
    let mut splits: [Split; 3] = ["train", "validation", "test"].map(|n| Split {
        name: format!("clothing-{n}"),
        sources: Vec::new(),
        labels: Vec::new(),
    });
    for row in clothing_photos(dir)? {
        if clothing_wear(&row.label).is_none() {
            continue;
        }
        let id = label_names.iter().position(|l| *l == row.label).unwrap_or_else(|| {
            label_names.push(row.label.clone());
            label_names.len() - 1
        });
        // By sender: one person's photos share background and light, so they stay together.
        let split = split_of(&row.sender_id);
        splits[split].sources.push(Source::File(dir.join("images").join(format!("{}.jpg", row.image))));
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
        Source::File(path) | Source::Product(path, _) => {
            Ok(Photo::decode(&read(path)?, &path.display().to_string(), &Limits::default())?)
        }
        // As `vitrine catalog fashion-mnist` shows them.
        Source::Pixels(pixels) => Ok(Photo::from_image(fashion_mnist_image(pixels))?),
    }
}

/// What `vitrine train` and `vitrine eval` know of each item of a split, in the split's order.
#[derive(Serialize, Deserialize)]
pub struct Features {
    /// sha256 of the network the vectors come from: the backbone, or a whole embedder file.
    backbone: String,
    /// The network's unit-length vector of each item.
    pub vectors: Vec<Vec<f32>>,
    /// The colour histogram of each item's garment (its region's, [`regions::Region::colour`],
    /// as the index stores it; [`vitrine::colour::histogram`] of the whole photo for an item
    /// without one).
    pub colours: Vec<[f32; BINS]>,
}

/// The backbone's features and the colour histograms of every item of `split`, from the cache
/// when there (one file per split and backbone).
pub fn features_of(split: &Split, args: &DataArgs) -> Result<Features> {
    let backbone = expected_sha256(Backbone::FILE).context("the backbone is not in models/MANIFEST")?;
    let net = || Ok(Backbone::new(&read(&args.models.join(Backbone::FILE))?)?);
    cached_features(split, args, backbone, net, |b: &Backbone, photo, region| match region {
        Some((rect, turn)) => b.feature_of(photo, rect, turn),
        None => b.feature(photo),
    })
}

/// The embeddings a whole embedder file (e.g. one `vitrine train --fine-tune` wrote) gives
/// every item of `split`, with their colour histograms; cached by the file's sha256.
pub fn embeddings_of(split: &Split, args: &DataArgs, embedder: &Path) -> Result<Features> {
    let bytes = read(embedder)?;
    let sha = sha256_hex(&bytes);
    let name = embedder.display().to_string();
    let net = || Ok(Embedder::trained(&name, &bytes, &sha)?);
    cached_features(split, args, &sha, net, |e: &Embedder, photo, region| match region {
        Some((rect, turn)) => e.embed_turned(photo, rect, turn),
        None => e.embed_whole(photo),
    })
}

/// `of` (a network's unit vector) and the colour histogram of every item of `split`, by the
/// network `net` makes (`sha256` names it in the cache), from the cache when there.
fn cached_features<N: Sync>(
    split: &Split,
    args: &DataArgs,
    sha256: &str,
    net: impl FnOnce() -> Result<N>,
    of: impl Fn(&N, &Photo, Option<(&Rect, Turn)>) -> vitrine::Result<Vec<f32>> + Sync,
) -> Result<Features> {
    // The colour rules' version is in the name: the histograms are stored beside the features.
    let path = args.cache.join(format!("{}-{}.colour{}.features", split.name, &sha256[..12], colour::RULES));
    if let Ok(bytes) = fs::read(&path) {
        if let Ok(cache) = postcard::from_bytes::<Features>(&bytes) {
            let n = split.sources.len();
            if cache.backbone == sha256 && cache.vectors.len() == n && cache.colours.len() == n {
                return Ok(cache);
            }
        }
    }
    let net = net()?;
    let results = per_item(split, args, "features", |_, photo, region| {
        let colours = colour_of(&photo, region.as_ref());
        Ok((of(&net, &photo, region.as_ref().map(|r| (&r.rect, r.turn)))?, colours))
    })?;
    let (vectors, colours) = results.into_iter().unzip();
    create_dir(&args.cache)?;
    let features = Features { backbone: sha256.to_string(), vectors, colours };
    write_atomic(&path, &postcard::to_allocvec(&features)?)?;
    Ok(features)
}

/// The colour histogram of every item of `split` (see [`Features::colours`]).
pub fn colours_of(split: &Split, args: &DataArgs) -> Result<Vec<[f32; BINS]>> {
    per_item(split, args, "colours", |_, photo, region| Ok(colour_of(&photo, region.as_ref())))
}

/// An item's colour histogram: its region's, else the whole photo's.
fn colour_of(photo: &Photo, region: Option<&regions::Region>) -> [f32; BINS] {
    region.map_or_else(|| colour::histogram(photo.rgb(), None), |r| r.colour)
}

/// `f(item index, photo, region)` for every item of `split` on all cores, with a progress bar;
/// a catalog product's photo comes with its region for the product's wear (the photo turned
/// upright when its person lies), other items with none.
fn per_item<R: Send>(
    split: &Split,
    args: &DataArgs,
    what: &str,
    f: impl Fn(usize, Photo, Option<regions::Region>) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let bar = ProgressBar::new(split.sources.len() as u64).with_style(
        ProgressStyle::with_template(&format!(
            "{} {what} {{bar:40}} {{pos}}/{{len}}, eta {{eta}}",
            split.name
        ))
        .unwrap(),
    );
    let locator = if split.sources.iter().any(|s| matches!(s, Source::Product(..))) {
        let model = |file: &str| read(&args.models.join(file));
        Some(Locator::new(
            &model(PoseDetector::FILE)?,
            (PoseLandmarker::FILE, &model(PoseLandmarker::FILE)?),
            &model(ObjectDetector::FILE)?,
        )?)
    } else {
        None
    };
    let indices: Vec<usize> = (0..split.sources.len()).collect();
    let results = par_map(&indices, &bar, |&i| -> Result<R> {
        let source = &split.sources[i];
        let photo = photo_of(source)?;
        match (source, &locator) {
            (Source::Product(_, wear), Some(locator)) => {
                let (photo, region) = regions::region(locator, photo, *wear)?;
                f(i, photo, Some(region))
            }
            _ => f(i, photo, None),
        }
    });
    bar.finish_and_clear();
    results.into_iter().collect()
}

/// The trunk's activations ([`Trunk`]) of every item of a split under several views: view 0 as
/// the embedder sees the item, the others random augmentations ([`vitrine::augment`]) of it (of
/// its region, for a catalog product whose person stands upright). `data` holds, item by item,
/// `views` consecutive views of `per_view` values.
pub struct Activations {
    pub data: Vec<f32>,
    pub per_view: usize,
}

impl Activations {
    /// Every view, item by item.
    pub fn slices(&self) -> Vec<&[f32]> {
        self.data.chunks(self.per_view).collect()
    }
}

/// Bumped when the augmentations change: cached activations of other ones are recomputed.
const AUGMENTATIONS: u32 = 1;

/// [`Activations`] of every item of `split`, `views` views each, augmentations drawn from `seed`
/// (per item and view, so the same whatever the threads do), of the trunk before the backbone's
/// last `blocks` blocks; cached in raw f32 (~37 KB a view).
pub fn activations_of(
    split: &Split,
    args: &DataArgs,
    views: usize,
    seed: u64,
    blocks: usize,
) -> Result<Activations> {
    let backbone = expected_sha256(Backbone::FILE).context("the backbone is not in models/MANIFEST")?;
    let path = args.cache.join(format!(
        "{}-{}.trunk{}-{views}views-seed{seed}-aug{AUGMENTATIONS}.activations",
        split.name,
        &backbone[..12],
        // The cut before the last block kept the name it had before cuts could move.
        if blocks == 1 { String::new() } else { format!("-before{blocks}") }
    ));
    let n = split.sources.len();
    if let Ok(bytes) = fs::read(&path) {
        if bytes.len() > 8 {
            let per_view = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            if per_view > 0 && bytes.len() == 8 + 4 * per_view * views * n {
                let data = bytes[8..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                return Ok(Activations { data, per_view });
            }
        }
    }
    let trunk = Trunk::new(Backbone::FILE, &read(&args.models.join(Backbone::FILE))?, blocks)?;
    let results = per_item(split, args, "trunk activations", |i, photo, region| -> Result<Vec<f32>> {
        let mut out = match &region {
            Some(r) => trunk.activations_of(&photo, &r.rect, r.turn)?,
            None => trunk.activations(&photo)?,
        };
        let base = match &region {
            Some(r) if r.turn == Turn::UPRIGHT => {
                let (x, y) = (r.rect.x0.max(0.0) as u32, r.rect.y0.max(0.0) as u32);
                let w = (r.rect.width().round() as u32).clamp(1, photo.width() - x.min(photo.width() - 1));
                let h = (r.rect.height().round() as u32).clamp(1, photo.height() - y.min(photo.height() - 1));
                image::imageops::crop_imm(photo.rgb(), x, y, w, h).to_image()
            }
            Some(_) => return Ok(out.repeat(views)),
            None => photo.rgb().clone(),
        };
        for view in 1..views {
            let mut rng = StdRng::seed_from_u64(
                seed ^ ((i as u64) << 16 | view as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            );
            let augmented = Photo::from_image(image::DynamicImage::ImageRgb8(augment(&base, &mut rng)))?;
            out.extend(trunk.activations(&augmented)?);
        }
        Ok(out)
    })?;
    let per_view = results.first().map_or(0, |r| r.len() / views);
    let mut bytes = Vec::with_capacity(8 + 4 * per_view * views * n);
    bytes.extend((per_view as u64).to_le_bytes());
    results.iter().flatten().for_each(|v| bytes.extend(v.to_le_bytes()));
    create_dir(&args.cache)?;
    write_atomic(&path, &bytes)?;
    drop(bytes);
    Ok(Activations { data: results.into_iter().flatten().collect(), per_view })
}
