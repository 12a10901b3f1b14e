//! The public datasets the demo catalogs, training and the benchmarks are made from, read as
//! they are shipped: Fashion-MNIST's gzipped idx files and the clothing dataset's labels. Only
//! loading lives here; what each command makes of them lives with the command.

use std::fs;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Fashion-MNIST's classes, with the wear each maps to (`None`: not worn).
pub const FASHION_CLASSES: [(&str, Option<&str>); 10] = [
    ("T-shirt/top", Some("top")),
    ("Trouser", Some("bottom")),
    ("Pullover", Some("top")),
    ("Dress", Some("dress")),
    ("Coat", Some("top")),
    ("Sandal", Some("foot")),
    ("Shirt", Some("top")),
    ("Sneaker", Some("foot")),
    ("Bag", None),
    ("Ankle boot", Some("foot")),
];

/// A Fashion-MNIST 28x28 image (stored white-on-black, MNIST style) as the demo catalog shows
/// it: inverted back to a product on white, 4x larger.
pub fn fashion_mnist_image(pixels: &[u8]) -> image::DynamicImage {
    let small = image::GrayImage::from_fn(28, 28, |x, y| image::Luma([255 - pixels[(y * 28 + x) as usize]]));
    image::DynamicImage::ImageLuma8(image::imageops::resize(
        &small,
        112,
        112,
        image::imageops::FilterType::CatmullRom,
    ))
}

/// The images of a Fashion-MNIST idx pair (`prefix` "train" or "t10k"), at most `take`, each
/// 784 bytes, and their labels.
pub fn fashion_mnist_split(dir: &Path, prefix: &str, take: usize) -> Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let images = gunzip(&dir.join(format!("{prefix}-images-idx3-ubyte.gz")))?;
    let labels = gunzip(&dir.join(format!("{prefix}-labels-idx1-ubyte.gz")))?;
    if images.len() < 16 || labels.len() < 8 || images[..4] != [0, 0, 8, 3] || labels[..4] != [0, 0, 8, 1] {
        bail!("{}: not Fashion-MNIST idx files (apt-get install dataset-fashion-mnist)", dir.display());
    }
    let n = (u32::from_be_bytes(labels[4..8].try_into().unwrap()) as usize).min(take);
    if images.len() < 16 + n * 784 || labels.len() < 8 + n {
        bail!("{}: {prefix} files are truncated", dir.display());
    }
    Ok((
        (0..n).map(|i| images[16 + i * 784..16 + (i + 1) * 784].to_vec()).collect(),
        labels[8..8 + n].to_vec(),
    ))
}

/// One row of the clothing dataset's `images.csv` (columns `image, sender_id, label, kids`): the
/// photo is `images/<image>.jpg`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ClothingPhoto {
    pub image: String,
    pub sender_id: String,
    pub label: String,
    /// "True" for children's clothes.
    pub kids: String,
}

/// The rows of `dir/images.csv`, in file order; the error names the file and line.
pub fn clothing_photos(dir: &Path) -> Result<Vec<ClothingPhoto>> {
    let csv_path = dir.join("images.csv");
    let bytes = fs::read(&csv_path)
        .with_context(|| format!("{}: cannot read (see ../shared/README.md)", csv_path.display()))?;
    csv::Reader::from_reader(&bytes[..])
        .deserialize()
        .enumerate()
        .map(|(n, row)| {
            row.with_context(|| {
                format!(
                    "{} line {}: expected the columns image, sender_id, label, kids",
                    csv_path.display(),
                    n + 2
                )
            })
        })
        .collect()
}

/// The clothing dataset's labels and the wear each maps to (../shared/README.md).
pub fn clothing_wear(label: &str) -> Option<&'static str> {
    match label {
        "T-Shirt" | "Longsleeve" | "Shirt" | "Outwear" | "Polo" | "Blazer" | "Hoodie" | "Top" | "Blouse"
        | "Undershirt" | "Body" => Some("top"),
        "Pants" | "Shorts" | "Skirt" => Some("bottom"),
        "Shoes" => Some("foot"),
        "Dress" => Some("dress"),
        _ => None,
    }
}

/// The unpacked bytes of a gzipped dataset file; the error says how to install the dataset.
fn gunzip(path: &Path) -> Result<Vec<u8>> {
    let file = fs::File::open(path).with_context(|| {
        format!(
            "{}: cannot open; install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)",
            path.display()
        )
    })?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .with_context(|| format!("{}: not gzip", path.display()))?;
    Ok(out)
}
