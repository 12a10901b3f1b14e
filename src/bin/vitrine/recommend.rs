//! `vitrine recommend`: the look of one photo, printed for a person or as JSON, and optionally
//! drawn, so the pipeline can be tried on a photo without a browser.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use vitrine::catalog::Audience;
use vitrine::models::{Embedder, PoseLandmarker};
use vitrine::photo::{Limits, Photo};
use vitrine::{ModelBytes, Options, Pipeline};

use crate::draw;
use crate::files::{read, write_atomic};

/// `vitrine recommend`'s arguments.
#[derive(Args)]
pub struct RecommendArgs {
    photo: PathBuf,
    /// Index folder (made by `vitrine index build`).
    #[arg(long)]
    index: PathBuf,
    /// Folder of the shipped models. An index built with a retailer's own embedder carries it
    /// (INDEX/embedder.onnx), and that file is used instead of MODELS/vitrine_embedder.onnx.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Use the lite landmark model (smaller, less accurate).
    #[arg(long)]
    lite: bool,
    /// Only products for this audience (and unisex).
    #[arg(long, value_enum)]
    audience: Option<AudienceArg>,
    /// Products per garment.
    #[arg(long, default_value_t = 5)]
    k: usize,
    /// Print the look as JSON.
    #[arg(long)]
    json: bool,
    /// Write the photo with garment boxes and landmarks to this PNG.
    #[arg(long)]
    draw: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AudienceArg {
    Women,
    Men,
    Unisex,
}

/// Runs `vitrine recommend`.
pub fn run(args: RecommendArgs) -> Result<ExitCode> {
    let RecommendArgs { photo, index, models, lite, audience, k, json, draw } = args;
    if k == 0 {
        bail!("--k 0 asks for no products per garment; give 1 or more (5 by default)");
    }
    if let Some(out) = &draw {
        check_draw_path(out, &photo)?;
    }
    let landmarks = if lite { PoseLandmarker::LITE_FILE } else { PoseLandmarker::FILE };
    let model = |f: &str| read(&models.join(f));
    let index_name = index.display().to_string();
    if !index.is_dir() {
        let what = if index.exists() { "is not a folder" } else { "does not exist" };
        bail!("--index {index_name} {what}; give the folder `vitrine index build --out` wrote");
    }
    if !index.join("index.bin").exists() {
        bail!("--index {index_name} holds no index.bin: it is not an index folder; build one with `vitrine index build --out {index_name}`");
    }
    let index_bin = read(&index.join("index.bin"))?;
    // The embedder the index names: the shipped one, or its own beside it (the core checks it).
    let embedder = match vitrine::index::embedder_of(&index_name, &index_bin)?.file {
        None => model(Embedder::FILE)?,
        Some(file) => read(&index.join(&file)).with_context(|| {
            format!("the index was built with an embedder of its own, {file}, which must sit beside its index.bin; copy it from the build")
        })?,
    };
    let (detector, landmarker, ssd) =
        (model("pose_detector.onnx")?, model(landmarks)?, model("ssd_oidv4.onnx")?);
    let pipeline = Pipeline::new(
        ModelBytes {
            pose_detector: &detector,
            pose_landmarks: (landmarks, &landmarker),
            ssd: &ssd,
            embedder: &embedder,
        },
        &index_name,
        &index_bin,
        &read(&index.join("products.json"))?,
    )?;
    let bytes = read(&photo)?;
    let name = photo.display().to_string();
    let options = Options {
        audience: audience.map(|a| match a {
            AudienceArg::Women => Audience::Women,
            AudienceArg::Men => Audience::Men,
            AudienceArg::Unisex => Audience::Unisex,
        }),
        k,
        ..Options::default()
    };
    let look = pipeline.recommend(&bytes, &name, &options)?;
    // Drawn before the look is printed: a reader that stops early (`| head`) ends the command
    // at the first write, and the drawing asked for must exist by then.
    if let Some(out) = draw {
        let photo = Photo::decode(&bytes, &name, &Limits::default())?;
        let png = draw::look(&photo, &look)?;
        write_atomic(&out, &png)?;
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&look)?)?;
    } else {
        outln!("{name}: {}", look.verdict.message)?;
        for g in &look.garments {
            let r = g.rect;
            let colour = g.colour.map_or(String::new(), |c| format!(", {}", c.name()));
            outln!(
                "\n{}{colour} ({:.2},{:.2})-({:.2},{:.2}) score {:.2} [{}]",
                g.wear.name(),
                r.x0,
                r.y0,
                r.x1,
                r.y1,
                g.score,
                g.source
            )?;
            if g.products.is_empty() {
                let whom = options.audience.map_or(String::new(), |a| format!(" for {}", a.name()));
                outln!("  (the index has no {} products{whom})", g.wear.name())?;
            }
            for (i, p) in g.products.iter().enumerate() {
                outln!("  {}. {:.3}  {}  {}  {}", i + 1, p.similarity, p.title, p.price, p.link)?;
            }
        }
        let times: Vec<String> = look.timings.iter().map(|t| format!("{} {:.1}", t.stage, t.ms)).collect();
        outln!("\ntimings (ms): {}", times.join(", "))?;
        let work: Vec<String> = (look.timings.iter())
            .filter(|t| t.multiply_adds > 0.0)
            .map(|t| format!("{} {:.2}", t.stage, t.multiply_adds / 1e9))
            .collect();
        outln!("multiply-adds (G): {}", work.join(", "))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a `--draw` path `out` that would not be a PNG by its name or would overwrite the
/// `photo` being looked at (the drawing is written over whatever file is there).
fn check_draw_path(out: &Path, photo: &Path) -> Result<()> {
    if !out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        bail!("--draw {}: the drawing is a PNG; give a file name ending in .png", out.display());
    }
    if out.canonicalize().is_ok_and(|o| photo.canonicalize().is_ok_and(|p| p == o)) {
        bail!(
            "--draw {}: that is the photo itself, which the drawing would replace; give another file",
            out.display()
        );
    }
    Ok(())
}
