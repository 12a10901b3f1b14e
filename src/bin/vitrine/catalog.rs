//! `vitrine catalog`: demo and test catalogs made from public datasets. A catalog folder holds
//! `catalog.csv`, `photos/` (the product photos) and `products/` (one generated product page
//! each). Both datasets have no titles, prices or links: everything made up says so on the page.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use vitrine::colour;
use vitrine::photo::{Limits, Photo};

use crate::datasets::{
    clothing_photos, clothing_wear, fashion_mnist_image, fashion_mnist_split, ClothingPhoto, FASHION_CLASSES,
};
use crate::files::{create_dir, jpeg, par_map, read, thumbnail_path, write_atomic, Staging};

/// `vitrine catalog`'s subcommands, one per dataset.
#[derive(Subcommand)]
pub enum CatalogCommand {
    /// A greyscale catalog from Fashion-MNIST (Debian package dataset-fashion-mnist, MIT), for
    /// tests and benchmarks: 28x28 product photos of 9 garment classes (bags are left out).
    FashionMnist {
        #[arg(long)]
        out: PathBuf,
        /// Products per class, taken in order from the test set.
        #[arg(long, default_value_t = 100)]
        per_class: usize,
        #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
        dataset: PathBuf,
    },
    /// A colour catalog from Alexey Grigorev's clothing dataset (CC0): the default demo catalog
    /// (from the subset in data/clothing-demo) or any folder of the dataset's layout. Titles are
    /// the photo's dominant colour, the label and a number ("Red T-shirt 0412"); prices are made up.
    Clothing {
        #[arg(long)]
        out: PathBuf,
        /// A folder with `images.csv` (image, sender_id, label, kids) and `images/<image>.jpg`.
        #[arg(long, default_value = "../shared/data/clothing-dataset")]
        dataset: PathBuf,
        /// Only photos whose sender_id is in this list (comma-separated), e.g. a held-out split.
        #[arg(long)]
        senders: Option<String>,
    },
    /// The subset of the clothing dataset committed as the demo catalog's photos
    /// (data/clothing-demo): adults' clothes of the four wears, `--per-wear` photos each, taken in
    /// turn from each label (in the order of their image ids) so that labels are balanced within a
    /// wear, downscaled to `--side` pixels, with the dataset's LICENSE and images.csv.
    ClothingSubset {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "../shared/data/clothing-dataset")]
        dataset: PathBuf,
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
        per_wear: u32,
        /// The longest side of each photo, in pixels (the cards show 256-pixel thumbnails).
        #[arg(long, default_value_t = 224, value_parser = clap::value_parser!(u32).range(16..))]
        side: u32,
        /// JPEG quality, 1-100.
        #[arg(long, default_value_t = 75, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
    },
}

/// Runs `vitrine catalog ...`.
pub fn run(cmd: CatalogCommand) -> Result<ExitCode> {
    match cmd {
        CatalogCommand::FashionMnist { out, per_class, dataset } => fashion_mnist(&out, per_class, &dataset),
        CatalogCommand::Clothing { out, dataset, senders } => clothing(&out, &dataset, senders.as_deref()),
        CatalogCommand::ClothingSubset { out, dataset, per_wear, side, quality } => {
            clothing_subset(&out, &dataset, per_wear as usize, side, quality)
        }
    }
}

struct Row {
    id: String,
    title: String,
    /// The product type (the dataset's class), the label `vitrine train --catalog` learns from.
    kind: String,
    wear: &'static str,
    /// The catalog's `gender` column: women, men or unisex.
    audience: &'static str,
    photo: String,
    price: String,
    note: &'static str,
}

fn fashion_mnist(out: &Path, per_class: usize, dataset: &Path) -> Result<ExitCode> {
    let (images, labels) = fashion_mnist_split(dataset, "t10k", usize::MAX)?;
    create_dir(&out.join("photos"))?;
    let mut taken = [0usize; 10];
    let mut rows = Vec::new();
    for (i, (pixels, &class)) in images.iter().zip(&labels).enumerate() {
        let class = class as usize;
        let (name, wear) = FASHION_CLASSES[class];
        let Some(wear) = wear else { continue };
        if taken[class] >= per_class {
            continue;
        }
        taken[class] += 1;
        let big = fashion_mnist_image(pixels);
        let id = format!("fm-{i:05}");
        let photo = format!("photos/{id}.png");
        let mut png = std::io::Cursor::new(Vec::new());
        big.write_to(&mut png, image::ImageFormat::Png)?;
        write_atomic(&out.join(&photo), png.get_ref())?;
        rows.push(Row {
            title: format!("{name} {i:04}"),
            kind: name.to_string(),
            price: format!("EUR {}.99", 9 + (i * 7919) % 90),
            id,
            wear,
            audience: "unisex",
            photo,
            note: "A demo product made from the Fashion-MNIST test set (Zalando Research, MIT licence): \
                   the title comes from its class, the price is made up, and nothing is for sale.",
        });
    }
    write_catalog(out, &rows)?;
    outln!("{}: {} demo products from Fashion-MNIST ({} per class)", out.display(), rows.len(), per_class)?;
    Ok(ExitCode::SUCCESS)
}

fn clothing(out: &Path, dataset: &Path, senders: Option<&str>) -> Result<ExitCode> {
    let keep: Option<Vec<&str>> = senders.map(|s| s.split(',').map(str::trim).collect());
    let photos = fs::canonicalize(dataset.join("images")).with_context(|| {
        format!("{}: cannot read (see ../shared/README.md)", dataset.join("images").display())
    })?;
    let picked: Vec<(ClothingPhoto, &'static str)> = clothing_photos(dataset)?
        .into_iter()
        .filter(|p| keep.as_ref().is_none_or(|k| k.contains(&p.sender_id.as_str())))
        .filter_map(|p| clothing_wear(&p.label).map(|wear| (p, wear)))
        .collect();
    if picked.is_empty() {
        bail!(
            "{}: no photo of a top, bottom, foot wear or dress{}: nothing to make a catalog of",
            dataset.join("images.csv").display(),
            senders.map_or(String::new(), |s| format!(" from the senders {s}"))
        );
    }
    let bar = progress(picked.len(), "reading colours");
    let colours = par_map(&picked, &bar, |(p, _)| title_colour(&photos.join(format!("{}.jpg", p.image))));
    bar.finish_and_clear();
    let mut rows = Vec::new();
    for (n, ((p, wear), colour)) in picked.iter().zip(colours).enumerate() {
        let number = n + 1;
        let colour = colour?;
        let mut title = format!("{} {number:04}", product_name(&p.label));
        if let Some(c) = colour {
            title = format!("{}{} {title}", c[..1].to_uppercase(), &c[1..]);
        }
        rows.push(Row {
            id: format!("cd-{}", p.image),
            title,
            kind: p.label.clone(),
            wear,
            audience: audience_of(&p.label),
            photo: photos.join(format!("{}.jpg", p.image)).display().to_string(),
            price: made_up_price(number),
            note: "A demo product made from a photo of Alexey Grigorev's clothing dataset (CC0 1.0): the \
                   title comes from its label and the photo's main colour, the price is made up, and nothing \
                   is for sale.",
        });
    }
    write_catalog(out, &rows)?;
    outln!("{}: {} products from the clothing dataset", out.display(), rows.len())?;
    Ok(ExitCode::SUCCESS)
}

/// The made-up audience of a clothing dataset label, which has none: dresses, skirts and
/// blouses for women (so that a man's shorts are not matched with skirts), the rest unisex.
fn audience_of(label: &str) -> &'static str {
    match label {
        "Dress" | "Skirt" | "Blouse" => "women",
        _ => "unisex",
    }
}

/// The colour the title names: the largest share of the photo's histogram (the catalog side's
/// backdrop rules, [`colour::histogram`]) when it covers at least 40% of the garment, else
/// `None`: a patterned or two-colour garment gets no colour word rather than its backdrop's or
/// one of its colours (on the demo subset 1 photo in 5, mostly prints, checks and denim).
fn title_colour(path: &Path) -> Result<Option<&'static str>> {
    const MIN_SHARE: f32 = 0.4;
    let bytes = read(path).context("restore the photo, or remove its row from images.csv")?;
    let photo = Photo::decode(&bytes, &path.display().to_string(), &Limits::default())
        .context("replace the photo, or remove its row from images.csv")?;
    let histogram = colour::histogram(photo.rgb(), None);
    Ok(colour::dominant(&histogram).filter(|&c| histogram[c as usize] >= MIN_SHARE).map(colour::Colour::name))
}

/// The product name a shop would give a clothing dataset label.
fn product_name(label: &str) -> &str {
    match label {
        "T-Shirt" => "T-shirt",
        "Longsleeve" => "Long-sleeve top",
        "Outwear" => "Jacket",
        "Polo" => "Polo shirt",
        "Body" => "Bodysuit",
        "Pants" => "Trousers",
        other => other,
    }
}

/// A made-up price, EUR 9.99-98.99, spread by the product's number (37 is prime to 90, so 90
/// numbers in a row take every price once).
fn made_up_price(number: usize) -> String {
    format!("EUR {}.99", 9 + (number * 37) % 90)
}

fn clothing_subset(out: &Path, dataset: &Path, per_wear: usize, side: u32, quality: u8) -> Result<ExitCode> {
    // Per wear, per label, the photos in the order of their image ids (random UUIDs).
    let mut by_wear: BTreeMap<&'static str, BTreeMap<String, Vec<ClothingPhoto>>> = BTreeMap::new();
    for p in clothing_photos(dataset)? {
        if p.kids == "True" {
            continue;
        }
        if let Some(wear) = clothing_wear(&p.label) {
            by_wear.entry(wear).or_default().entry(p.label.clone()).or_default().push(p);
        }
    }
    let mut picked = Vec::new();
    for (wear, mut labels) in by_wear {
        let mut queues: Vec<std::vec::IntoIter<ClothingPhoto>> = labels
            .values_mut()
            .map(|photos| {
                photos.sort_by(|a, b| a.image.cmp(&b.image));
                std::mem::take(photos).into_iter()
            })
            .collect();
        let before = picked.len();
        // One from each label in turn, until the wear has its share or its labels run out.
        'wear: loop {
            let mut took = false;
            for queue in &mut queues {
                if picked.len() - before == per_wear {
                    break 'wear;
                }
                if let Some(p) = queue.next() {
                    picked.push(p);
                    took = true;
                }
            }
            if !took {
                break;
            }
        }
        if picked.len() - before < per_wear {
            outln!("{wear}: only {} photos of adults' clothes", picked.len() - before)?;
        }
    }
    if picked.is_empty() {
        bail!("{}: no photo of adults' clothes of the four wears", dataset.join("images.csv").display());
    }
    let license = dataset.join("LICENSE");
    if !license.is_file() {
        bail!(
            "{}: missing; the subset is redistributed under the dataset's licence, so it must go with it",
            license.display()
        );
    }
    check_subset_out(out, dataset)?;
    let staging = Staging::new(out)?;
    let images = staging.dir.join("images");
    let bar = progress(picked.len(), "downscaling");
    let written = par_map(&picked, &bar, |p| -> Result<()> {
        let src = dataset.join("images").join(format!("{}.jpg", p.image));
        let photo = Photo::decode(&read(&src)?, &src.display().to_string(), &Limits::default())?;
        let rgb = photo.rgb();
        let scale = (side as f32 / rgb.width().max(rgb.height()) as f32).min(1.0);
        let (w, h) = (
            ((rgb.width() as f32 * scale).round() as u32).max(1),
            ((rgb.height() as f32 * scale).round() as u32).max(1),
        );
        let small = image::imageops::resize(rgb, w, h, image::imageops::FilterType::Lanczos3);
        write_atomic(&images.join(format!("{}.jpg", p.image)), &jpeg(&small, quality)?)
    });
    bar.finish_and_clear();
    written.into_iter().collect::<Result<Vec<()>>>()?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["image", "sender_id", "label", "kids"])?;
    for p in &picked {
        csv.write_record([&p.image, &p.sender_id, &p.label, &p.kids])?;
    }
    write_atomic(&staging.dir.join("images.csv"), &csv.into_inner()?)?;
    fs::copy(&license, staging.dir.join("LICENSE"))
        .with_context(|| format!("{}: cannot copy", license.display()))?;
    // A README written beside an earlier subset (data/clothing-demo's) stays.
    let readme = out.join("README.md");
    if readme.is_file() {
        fs::copy(&readme, staging.dir.join("README.md"))
            .with_context(|| format!("{}: cannot copy", readme.display()))?;
    }
    staging.replace_all()?;
    outln!(
        "{}: {} photos of the clothing dataset, at most {side} px, JPEG quality {quality}",
        out.display(),
        picked.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What an earlier `clothing-subset` folder holds; an `--out` holding anything else is refused.
const SUBSET_ENTRIES: [&str; 4] = ["images", "images.csv", "LICENSE", "README.md"];

/// Refuses an `--out` the subset would wrongly replace: a file, the dataset or a folder inside
/// or around it, or a folder that is not an earlier subset (the whole folder is replaced).
fn check_subset_out(out: &Path, dataset: &Path) -> Result<()> {
    let dataset = fs::canonicalize(dataset).with_context(|| format!("{}: cannot read", dataset.display()))?;
    let resolved = resolved(out);
    if resolved.starts_with(&dataset) || dataset.starts_with(&resolved) {
        bail!(
            "{}: is the dataset {} or inside or around it, which the subset would replace; give --out another folder",
            out.display(),
            dataset.display()
        );
    }
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        bail!("{}: is a file; give --out a folder", out.display());
    }
    let others: Vec<String> = fs::read_dir(out)
        .with_context(|| format!("{}: cannot read", out.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !SUBSET_ENTRIES.contains(&name.as_str()))
        .collect();
    if !others.is_empty() {
        bail!(
            "{}: holds more than an earlier subset ({}; a subset holds only {}), and the whole folder \
             would be replaced; give a new folder, or empty this one",
            out.display(),
            others.join(", "),
            SUBSET_ENTRIES.join(", ")
        );
    }
    Ok(())
}

/// `path` made absolute with its existing part's symlinks resolved (the rest need not exist).
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for base in absolute.ancestors() {
        if let Ok(real) = fs::canonicalize(base) {
            return real.join(absolute.strip_prefix(base).unwrap_or(Path::new("")));
        }
    }
    absolute
}

fn progress(n: usize, what: &str) -> ProgressBar {
    ProgressBar::new(n as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} photos, eta {eta}").unwrap())
        .with_message(what.to_string())
}

/// Writes catalog.csv (image paths relative to `out`, or absolute) and one product page each,
/// then removes the pages of products an earlier run made that this catalog no longer has (a
/// re-run with other `--senders`), so no page links a product the index cannot return.
fn write_catalog(out: &Path, rows: &[Row]) -> Result<()> {
    let pages = out.join("products");
    create_dir(&pages)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["id", "title", "link", "image", "price", "gender", "wear", "product_type"])?;
    for r in rows {
        let link = format!("products/{}.html", r.id);
        csv.write_record([&r.id, &r.title, &link, &r.photo, &r.price, r.audience, r.wear, &r.kind])?;
        let photo = if Path::new(&r.photo).is_absolute() {
            format!("../{}", thumbnail_path(&r.id))
        } else {
            format!("../{}", r.photo)
        };
        let page = format!(
            "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n\
             <title>{title}</title>\n<body style=\"font-family:system-ui;max-width:40rem;margin:2rem auto\">\n\
             <h1>{title}</h1>\n<img src=\"{photo}\" alt=\"{title}\" width=\"224\">\n<p>{price}</p>\n<p><small>{note}</small></p>\n</body></html>\n",
            title = html_escape(&r.title),
            photo = html_escape(&photo),
            price = html_escape(&r.price),
            note = r.note,
        );
        write_atomic(&out.join(&link), page.as_bytes())?;
    }
    write_atomic(&out.join("catalog.csv"), &csv.into_inner()?)?;
    let made: HashSet<String> = rows.iter().map(|r| format!("{}.html", r.id)).collect();
    let listing = fs::read_dir(&pages).with_context(|| format!("{}: cannot read", pages.display()))?;
    for entry in listing {
        let path = entry.with_context(|| format!("{}: cannot read", pages.display()))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".html") && !made.contains(&name) {
            fs::remove_file(&path).with_context(|| format!("{}: cannot remove", path.display()))?;
        }
    }
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
