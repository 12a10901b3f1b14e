//! `vitrine catalog`: demo and test catalogs made from public datasets. A catalog folder holds
//! `catalog.csv`, `photos/` (the product photos) and `products/` (one generated product page
//! each). Both datasets have no titles, prices or links: everything made up says so on the page.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use crate::datasets::{clothing_wear, fashion_mnist_image, fashion_mnist_split, FASHION_CLASSES};
use crate::files::{thumbnail_path, write_atomic};

/// `vitrine catalog`'s subcommands, one per dataset.
#[derive(Subcommand)]
pub enum CatalogCommand {
    /// The default demo catalog from Fashion-MNIST (Debian package dataset-fashion-mnist, MIT):
    /// greyscale 28x28 product photos of 9 garment classes (bags are left out).
    FashionMnist {
        #[arg(long)]
        out: PathBuf,
        /// Products per class, taken in order from the test set.
        #[arg(long, default_value_t = 100)]
        per_class: usize,
        #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
        dataset: PathBuf,
    },
    /// A colour catalog from Alexey Grigorev's clothing dataset (CC0, ../shared/data).
    Clothing {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "../shared/data/clothing-dataset")]
        dataset: PathBuf,
        /// Only photos whose sender_id is in this list (comma-separated), e.g. a held-out split.
        #[arg(long)]
        senders: Option<String>,
    },
}

/// Runs `vitrine catalog ...`.
pub fn run(cmd: CatalogCommand) -> Result<ExitCode> {
    match cmd {
        CatalogCommand::FashionMnist { out, per_class, dataset } => fashion_mnist(&out, per_class, &dataset),
        CatalogCommand::Clothing { out, dataset, senders } => clothing(&out, &dataset, senders.as_deref()),
    }
}

struct Row {
    id: String,
    title: String,
    /// The product type (the dataset's class), the label `vitrine train --catalog` learns from.
    kind: String,
    wear: &'static str,
    photo: String,
    price: String,
    note: &'static str,
}

fn fashion_mnist(out: &Path, per_class: usize, dataset: &Path) -> Result<ExitCode> {
    let (images, labels) = fashion_mnist_split(dataset, "t10k", usize::MAX)?;
    fs::create_dir_all(out.join("photos"))?;
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
            photo,
            note: "A demo product made from the Fashion-MNIST test set (Zalando Research, MIT licence): \
                   the title comes from its class, the price is made up, and nothing is for sale.",
        });
    }
    write_catalog(out, &rows)?;
    println!("{}: {} demo products from Fashion-MNIST ({} per class)", out.display(), rows.len(), per_class);
    Ok(ExitCode::SUCCESS)
}

fn clothing(out: &Path, dataset: &Path, senders: Option<&str>) -> Result<ExitCode> {
    let csv_path = dataset.join("images.csv");
    let text = fs::read_to_string(&csv_path)
        .with_context(|| format!("{}: cannot read (see ../shared/README.md)", csv_path.display()))?;
    let keep: Option<Vec<&str>> = senders.map(|s| s.split(',').map(str::trim).collect());
    let photos = fs::canonicalize(dataset.join("images"))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().skip(1).enumerate() {
        let cols: Vec<&str> = line.split(',').collect();
        let [image, sender, label, _kids] = cols[..] else {
            bail!("{} line {}: expected 4 columns", csv_path.display(), n + 2);
        };
        let Some(wear) = clothing_wear(label) else { continue };
        if keep.as_ref().is_some_and(|k| !k.contains(&sender)) {
            continue;
        }
        rows.push(Row {
            id: format!("cd-{image}"),
            title: format!("{label} {}", &image[..8]),
            kind: label.to_string(),
            wear,
            photo: photos.join(format!("{image}.jpg")).display().to_string(),
            price: String::new(),
            note: "A photo from Alexey Grigorev's clothing dataset (CC0): the title comes from its \
                   label; there is no price and nothing is for sale.",
        });
    }
    write_catalog(out, &rows)?;
    println!("{}: {} products from the clothing dataset", out.display(), rows.len());
    Ok(ExitCode::SUCCESS)
}

/// Writes catalog.csv (image paths relative to `out`, or absolute) and one product page each.
fn write_catalog(out: &Path, rows: &[Row]) -> Result<()> {
    fs::create_dir_all(out.join("products"))?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["id", "title", "link", "image", "price", "gender", "wear", "product_type"])?;
    for r in rows {
        let link = format!("products/{}.html", r.id);
        csv.write_record([&r.id, &r.title, &link, &r.photo, &r.price, "unisex", r.wear, &r.kind])?;
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
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
