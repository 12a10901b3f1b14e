//! The browser benchmark's binding (the benchmark page, bench.html): one shipped network run bare. It ships in
//! the same wasm module as the façade because the benchmark measures that very module (the
//! build the shopper's browser runs); the demo and the widget never call it.

use wasm_bindgen::prelude::*;

use super::{now, to_js};
use crate::models;
use crate::photo::{Limits, Photo};

/// One shipped network without pre- or post-processing, for the browser benchmark
/// (`bench/bench.js`): the plan its model struct runs, on a fixed input.
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

    /// One run, timed per step of tract's optimized plan, with each step's multiply-adds:
    /// `[{op, node, ms, macs}]` in execution order.
    #[wasm_bindgen(unchecked_return_type = "{ op: string; node: string; ms: number; macs: number }[]")]
    pub fn profile(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.profile(now)?)
    }

    /// Each shipped file's input shape, `{file: [n, ...]}`.
    #[wasm_bindgen(unchecked_return_type = "Record<string, number[]>")]
    pub fn shapes() -> Result<JsValue, JsError> {
        let shapes: std::collections::BTreeMap<&str, [usize; 4]> =
            models::SHIPPED.iter().map(|(file, signature)| (*file, signature.input)).collect();
        to_js(&shapes)
    }
}
