//! The wasm façade: the only module that names wasm-bindgen. It converts JS input, calls the
//! core, and converts the result; every error becomes a JS `Error` carrying the core's message.

use wasm_bindgen::prelude::*;

use crate::catalog::Audience;
use crate::models::{self, expected_sha256, Embedder, ObjectDetector, PoseDetector, PoseLandmarker};
use crate::photo::{Limits, Photo};
use crate::{ModelBytes, Options, Pipeline};

#[wasm_bindgen(typescript_custom_section)]
const LOOK_TS: &str = r#"
/** The look of one photo; boxes and points are fractions of the photo (0..1). */
export interface Look {
  verdict: { full_shot: boolean; message: string; reasons: string[]; people: number };
  person: { rect: Rect; score: number; landmarks: { name: string; point: { x: number; y: number }; visibility: number }[] } | null;
  garments: Garment[];
  timings: { stage: string; ms: number }[];
}
export interface Rect { x0: number; y0: number; x1: number; y1: number }
export interface Garment {
  wear: "top" | "bottom" | "foot" | "dress";
  rect: Rect;
  score: number;
  source: string;
  products: { id: string; title: string; link: string; image: string; price: string; category: string; similarity: number }[];
}
/** A model file the pipeline needs and its sha256 (models/MANIFEST). */
export interface ModelFile { role: "poseDetector" | "landmarks" | "ssd" | "embedder"; file: string; sha256: string }
"#;

/// The model files a `Vitrine` needs, in constructor order, with their sha256 (so a page can
/// cache them by content). `lite` picks the smaller landmark model.
#[wasm_bindgen(js_name = modelFiles, unchecked_return_type = "ModelFile[]")]
pub fn model_files(lite: bool) -> Result<JsValue, JsError> {
    let landmarks = if lite { PoseLandmarker::LITE_FILE } else { PoseLandmarker::FILE };
    let files: Vec<_> = [
        ("poseDetector", PoseDetector::FILE),
        ("landmarks", landmarks),
        ("ssd", ObjectDetector::FILE),
        ("embedder", Embedder::FILE),
    ]
    .into_iter()
    .map(|(role, file)| {
        let sha256 = expected_sha256(file).unwrap_or_default();
        serde_json::json!({ "role": role, "file": file, "sha256": sha256 })
    })
    .collect();
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    Ok(serde::Serialize::serialize(&files, &serializer)?)
}

/// One vitrine: the models and a catalog index, ready to make looks.
#[wasm_bindgen]
pub struct Vitrine {
    pipeline: Pipeline,
}

#[wasm_bindgen]
impl Vitrine {
    /// Loads the four models (the landmark model's file name says full or lite) and an index.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pose_detector: &[u8],
        landmarks_file: &str,
        landmarks: &[u8],
        ssd: &[u8],
        embedder: &[u8],
        index_name: &str,
        index: &[u8],
        products_json: &[u8],
    ) -> Result<Vitrine, JsError> {
        console_error_panic_hook::set_once();
        let models = ModelBytes { pose_detector, pose_landmarks: (landmarks_file, landmarks), ssd, embedder };
        let pipeline = Pipeline::new(models, index_name, index, products_json)?.with_clock(now);
        Ok(Vitrine { pipeline })
    }

    /// The look of a photo as a plain object (verdict, person, garments with products,
    /// timings). `audience` is "women", "men", "unisex" or empty for all.
    #[wasm_bindgen(unchecked_return_type = "Look")]
    pub fn recommend(&self, photo: &[u8], name: &str, audience: &str) -> Result<JsValue, JsError> {
        let audience = match audience {
            "" => None,
            a => Some(
                Audience::parse(a)
                    .ok_or_else(|| JsError::new(&format!("audience '{a}' is not women, men or unisex")))?,
            ),
        };
        let look = self.pipeline.recommend(photo, name, &Options { audience, ..Options::default() })?;
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        Ok(serde::Serialize::serialize(&look, &serializer)?)
    }
}

/// One shipped network without pre- or post-processing, for the browser benchmark
/// (`www/bench.js`): the plan its model struct runs, on a fixed input.
#[wasm_bindgen(js_name = BareModel)]
pub struct BareModel(models::BareModel);

#[wasm_bindgen(js_class = BareModel)]
impl BareModel {
    /// `photo`: image bytes (any format the pipeline reads), the input of every run.
    #[wasm_bindgen(constructor)]
    pub fn new(file: &str, bytes: &[u8], photo: &[u8]) -> Result<BareModel, JsError> {
        console_error_panic_hook::set_once();
        let photo = Photo::decode(photo, "benchmark photo", &Limits::default())?;
        Ok(BareModel(models::BareModel::new(file, bytes, &photo)?))
    }

    /// The input of every run, flat in the model's layout.
    pub fn input(&self) -> Vec<f32> {
        self.0.input().to_vec()
    }

    /// One run; the first output.
    pub fn run(&self) -> Result<Vec<f32>, JsError> {
        Ok(self.0.run()?)
    }

    /// One run, timed per step of tract's optimized plan: `[{op, node, ms}]` in execution order.
    #[wasm_bindgen(unchecked_return_type = "{ op: string; node: string; ms: number }[]")]
    pub fn profile(&self) -> Result<JsValue, JsError> {
        let steps: Vec<_> = self
            .0
            .profile(now)?
            .into_iter()
            .map(|(op, node, ms)| serde_json::json!({ "op": op, "node": node, "ms": ms }))
            .collect();
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        Ok(serde::Serialize::serialize(&steps, &serializer)?)
    }

    /// Each shipped file's input shape, `{file: [n, ...]}`.
    #[wasm_bindgen(unchecked_return_type = "Record<string, number[]>")]
    pub fn shapes() -> Result<JsValue, JsError> {
        let shapes: std::collections::BTreeMap<&str, [usize; 4]> =
            models::SHIPPED.iter().map(|(file, signature)| (*file, signature.input)).collect();
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        Ok(serde::Serialize::serialize(&shapes, &serializer)?)
    }
}

/// `performance.now()`, in a page or a worker.
fn now() -> f64 {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.performance().map_or(0.0, |p| p.now())
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.performance().map_or(0.0, |p| p.now())
    } else {
        0.0
    }
}
