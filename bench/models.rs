//! Native time per model (one thread, tract), on the real test photos: `cargo bench --bench models`.
//! Prints the median and the spread of 30 runs after 3 warm-ups. Numbers go in models/README.md
//! with the machine they were taken on.

use std::time::Instant;

use vitrine::geometry::Rect;
use vitrine::models::{Embedder, ObjectDetector, PoseDetector, PoseLandmarker};
use vitrine::photo::{Limits, Photo};

fn time(name: &str, mut f: impl FnMut()) {
    for _ in 0..3 {
        f();
    }
    let mut ms: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!("{name:28} median {:6.1} ms   min {:6.1}   max {:6.1}", ms[15], ms[0], ms[29]);
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = |f: &str| std::fs::read(root.join("models").join(f)).unwrap();
    let Ok(bytes) = std::fs::read(root.join("tests/photos/messi5.jpg")) else {
        eprintln!("SKIP: run tests/fetch-photos.sh first (tests/photos/messi5.jpg is missing)");
        return;
    };
    let photo = Photo::decode(&bytes, "messi5.jpg", &Limits::default()).unwrap();
    time("decode messi5.jpg", || {
        Photo::decode(&bytes, "messi5.jpg", &Limits::default()).unwrap();
    });
    let detector = PoseDetector::new(&model(PoseDetector::FILE)).unwrap();
    time("pose detector", || {
        detector.detect(&photo).unwrap();
    });
    let roi = detector.detect(&photo).unwrap()[0].roi();
    for file in [PoseLandmarker::FILE, PoseLandmarker::LITE_FILE] {
        let landmarker = PoseLandmarker::new(file, &model(file)).unwrap();
        time(file.trim_end_matches(".onnx"), || {
            landmarker.landmarks(&photo, &roi).unwrap();
        });
    }
    let ssd = ObjectDetector::new(&model(ObjectDetector::FILE)).unwrap();
    time("ssd", || {
        ssd.detect(&photo, 0.3).unwrap();
    });
    let embedder = Embedder::new(&model(Embedder::FILE)).unwrap();
    let shirt = Rect::new(215.0, 110.0, 290.0, 230.0);
    time("embedder", || {
        embedder.embed(&photo, &shirt).unwrap();
    });
}
