//! The wasm façade: the only module that names wasm-bindgen. It converts JS input, calls the
//! core, and converts the result; every error becomes a JS `Error` carrying the core's message.

use wasm_bindgen::prelude::*;

use crate::catalog::Audience;
use crate::{ModelBytes, Options, Pipeline};

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
