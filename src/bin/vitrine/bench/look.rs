//! `vitrine bench look`: the browser benchmark's numbers natively (tract, one thread): each
//! shipped model bare (no pre- or post-processing; the photo stretched to its input, as
//! `bench/bench.js` does), then whole looks on a photo, stage by stage. The first run of each is
//! reported apart (cold).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use vitrine::models::{BareModel, Embedder, ObjectDetector, PoseDetector, PoseLandmarker, SHIPPED};
use vitrine::photo::{Limits, Photo};
use vitrine::{ModelBytes, Options, Pipeline};

use super::{stats, Stats};
use crate::files::{read, write_json};

/// `vitrine bench look`'s arguments.
#[derive(Args)]
pub struct LookArgs {
    /// Warm runs of each model and of the look.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    #[arg(long, default_value = "tests/photos/messi5.jpg")]
    photo: PathBuf,
    #[arg(long, default_value = "index/fashion-mnist")]
    index: PathBuf,
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Also write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Serialize)]
struct Timed {
    cold: f64,
    warm: Stats,
}

fn timed(runs: usize, mut run: impl FnMut() -> Result<()>) -> Result<Timed> {
    let once = |run: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let t = Instant::now();
        run()?;
        Ok(t.elapsed().as_secs_f64() * 1e3)
    };
    let cold = once(&mut run)?;
    let warm = (0..runs).map(|_| once(&mut run)).collect::<Result<Vec<_>>>()?;
    Ok(Timed { cold, warm: stats(warm) })
}

#[derive(Serialize)]
struct ModelRow {
    file: &'static str,
    load: f64,
    #[serde(flatten)]
    timed: Timed,
}

#[derive(Serialize)]
struct Report {
    runs: usize,
    models: Vec<ModelRow>,
    photo: String,
    verdict: String,
    /// Stages in pipeline order.
    look_cold: Vec<(&'static str, f64)>,
    look_warm: Vec<(&'static str, Stats)>,
    /// Each stage's multiply-adds (the same in every run).
    multiply_adds: Vec<(&'static str, f64)>,
}

/// Runs `vitrine bench look`.
pub fn run(args: LookArgs) -> Result<ExitCode> {
    let runs = args.runs.max(1);
    let photo = read(&args.photo)?;
    let name = args.photo.display().to_string();
    let decoded = Photo::decode(&photo, &name, &Limits::default())?;
    let mut models = Vec::new();
    for (file, _) in SHIPPED {
        let bytes = read(&args.models.join(file))?;
        let t = Instant::now();
        let model = BareModel::new(file, &bytes, &decoded)?;
        let load = t.elapsed().as_secs_f64() * 1e3;
        models.push(ModelRow { file, load, timed: timed(runs, || Ok(model.run().map(drop)?))? });
    }

    let model = |file: &str| read(&args.models.join(file));
    let (detector, landmarks, ssd, embedder) = (
        model(PoseDetector::FILE)?,
        model(PoseLandmarker::FILE)?,
        model(ObjectDetector::FILE)?,
        model(Embedder::FILE)?,
    );
    let pipeline = Pipeline::new(
        ModelBytes {
            pose_detector: &detector,
            pose_landmarks: (PoseLandmarker::FILE, &landmarks),
            ssd: &ssd,
            embedder: &embedder,
        },
        &args.index.display().to_string(),
        &read(&args.index.join("index.bin"))?,
        &read(&args.index.join("products.json"))?,
    )?;
    let looks = (0..=runs)
        .map(|_| pipeline.recommend(&photo, &name, &Options::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stages: Vec<(&'static str, Vec<f64>)> = Vec::new();
    for t in looks[1..].iter().flat_map(|look| &look.timings) {
        match stages.iter_mut().find(|(stage, _)| *stage == t.stage) {
            Some((_, ms)) => ms.push(t.ms),
            None => stages.push((t.stage, vec![t.ms])),
        }
    }
    let report = Report {
        runs,
        models,
        photo: name,
        verdict: looks[0].verdict.message.clone(),
        look_cold: looks[0].timings.iter().map(|t| (t.stage, t.ms)).collect(),
        look_warm: stages.into_iter().map(|(stage, ms)| (stage, stats(ms))).collect(),
        multiply_adds: looks[0].timings.iter().map(|t| (t.stage, t.multiply_adds)).collect(),
    };

    let spread = |s: &Stats| format!("{:.1} ({:.1}-{:.1})", s.median, s.min, s.max);
    println!("tract native, one thread; {runs} warm runs\n");
    println!("| model | load | cold | warm median (min-max) |\n|---|---|---|---|");
    for m in &report.models {
        println!("| {} | {:.1} | {:.1} | {} |", m.file, m.load, m.timed.cold, spread(&m.timed.warm));
    }
    println!("\nlook on {} ({})\n", report.photo, report.verdict);
    println!("| stage | M multiply-adds | cold | warm median (min-max) |\n|---|---|---|---|");
    let of = |rows: &[(&'static str, f64)], stage: &str| {
        rows.iter().find(|(c, _)| *c == stage).map_or(f64::NAN, |r| r.1)
    };
    for (stage, s) in &report.look_warm {
        let (macs, cold) = (of(&report.multiply_adds, stage), of(&report.look_cold, stage));
        println!("| {stage} | {:.0} | {cold:.1} | {} |", macs / 1e6, spread(s));
    }
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}
