//! The wasm façade: the only module that names wasm-bindgen. It converts JS input, calls the
//! core, and converts the result; every error becomes a JS `Error` carrying the core's message.
//! [`bench`] holds the benchmark page's binding, apart from what the demo and the widget use.

use wasm_bindgen::prelude::*;

pub mod bench;

use crate::catalog::Audience;
use crate::models::{expected_sha256, Embedder, ObjectDetector, PoseDetector, PoseLandmarker};
use crate::photo::{Photo, WORKING_SIDE};
use crate::{Crop, Located, Matched, ModelBytes, Options, Pipeline, PipelineLoader};

#[wasm_bindgen(typescript_custom_section)]
const LOOK_TS: &str = r#"
/** The look of one photo; boxes and points are fractions of the photo (0..1). */
export interface Look {
  verdict: { full_shot: boolean; message: string; reasons: string[]; people: number };
  person: { rect: Rect; score: number; landmarks: { name: string; point: { x: number; y: number }; visibility: number }[] } | null;
  garments: Garment[];
  /** Per stage: wall time (ms) and the multiply-adds of the networks it ran; the last is "total". */
  timings: { stage: string; ms: number; multiply_adds: number }[];
}
export interface Rect { x0: number; y0: number; x1: number; y1: number }
export interface Garment {
  wear: "top" | "bottom" | "foot" | "dress";
  rect: Rect;
  score: number;
  source: string;
  /** The garment's colour on the person ("red", "blue", ...; null when unread). */
  colour: "black" | "grey" | "white" | "beige" | "brown" | "red" | "orange" | "yellow" | "green" | "blue" | "purple" | "pink" | null;
  products: { id: string; title: string; link: string; image: string; price: string; category: string; similarity: number }[];
}
/** A garment region to match, in pixels of the decoded photo (from `Vitrine.locate`); `turn`: the
 * person's quarter turns clockwise in the photo, undone when the crop is embedded (0 if absent);
 * `colour`: its 12-bin colour histogram, joined to the embedding in the search (none if absent). */
export interface Crop { wear: "top" | "bottom" | "foot" | "dress"; rect: Rect; turn?: number; colour?: number[] }
/** `Vitrine.locate`: the crops to match, and the look so far (garments without products). */
export interface Located { crops: Crop[]; preview: Look }
/** What one crop matched; `embed_ms`, `search_ms` and `multiply_adds` become the look's timings. */
export interface Matched { wear: string; products: Garment["products"]; embed_ms: number; search_ms: number; multiply_adds: number }
/** A model file the pipeline needs and its sha256 (models/MANIFEST). */
export interface ModelFile { role: "poseDetector" | "landmarks" | "ssd" | "embedder"; file: string; sha256: string }
/** The embedder an index was built with (`indexEmbedder`): `file` is null for the shipped one
 * (`modelFiles`' embedder), else its file name beside the index (the index URL + `file`). */
export interface IndexEmbedder { sha256: string; file: string | null }
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
    to_js(&files)
}

/// Which embedder the index in `index` was built with (`name`, its URL, names it in errors), read
/// from its header alone (its first 512 bytes are enough): the shipped one (`file` null: load it
/// from the models, as `modelFiles` names it), or the index's own file, to fetch from beside the
/// index and give `VitrineLoader.addTrained` / `Matcher` with this sha256.
#[wasm_bindgen(js_name = indexEmbedder, unchecked_return_type = "IndexEmbedder")]
pub fn index_embedder(name: &str, index: &[u8]) -> Result<JsValue, JsError> {
    to_js(&crate::index::embedder_of(name, index)?)
}

/// Whether vitrine decodes the format of these photo bytes itself (by their signature). The
/// worker decodes the others with the browser (HEIC in Safari, AVIF) and passes the pixels to
/// `locatePixels` / `setPixels`; where the browser cannot either, `locate`'s error names the
/// format and says what to do.
#[wasm_bindgen(js_name = decodesPhoto)]
pub fn decodes_photo(photo: &[u8]) -> bool {
    crate::photo::decodes(photo)
}

/// The long side, in pixels, that photos are scaled down to (a photo the browser decodes is
/// scaled to it there, so the wasm memory never holds the full-size pixels).
#[wasm_bindgen(js_name = workingSide)]
pub fn working_side() -> u32 {
    WORKING_SIDE
}

/// One vitrine: the models and a catalog index, ready to make looks: whole (`recommend`) or in
/// three steps (`locate`, `matchCrop` per crop, `finish`) so that a [`Matcher`] in another
/// worker can take some of the crops.
#[wasm_bindgen]
pub struct Vitrine {
    pipeline: Pipeline,
    located: Option<Located>,
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
        Ok(Vitrine::from(Pipeline::new(models, index_name, index, products_json)?))
    }

    /// The look of a photo as a plain object (verdict, person, garments with products,
    /// timings). `audience` is "women", "men", "unisex" or empty for all.
    #[wasm_bindgen(unchecked_return_type = "Look")]
    pub fn recommend(&self, photo: &[u8], name: &str, audience: &str) -> Result<JsValue, JsError> {
        let look = self.pipeline.recommend(photo, name, &options(audience)?)?;
        to_js(&look)
    }

    /// The first step of a look: decodes the photo, finds the person and the garments, keeps
    /// them here for `finish`, and returns the crops to match (in the order `finish` wants) with
    /// the look so far (verdict and boxes, to show while the crops are matched).
    #[wasm_bindgen(unchecked_return_type = "Located")]
    pub fn locate(&mut self, photo: &[u8], name: &str, audience: &str) -> Result<JsValue, JsError> {
        let located = self.pipeline.locate(photo, name, &options(audience)?)?;
        self.keep(located)
    }

    /// `locate` for a photo the browser decoded: `rgba` is `width` x `height` pixels, row by
    /// row, not premultiplied, already upright (EXIF orientation applied).
    #[wasm_bindgen(js_name = locatePixels, unchecked_return_type = "Located")]
    pub fn locate_pixels(
        &mut self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        name: &str,
        audience: &str,
    ) -> Result<JsValue, JsError> {
        let located = self.pipeline.locate_rgba(rgba, width, height, name, &options(audience)?)?;
        self.keep(located)
    }

    /// Matches one crop of the located photo here.
    #[wasm_bindgen(js_name = matchCrop, unchecked_return_type = "Matched")]
    pub fn match_crop(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Crop")] crop: JsValue,
    ) -> Result<JsValue, JsError> {
        let located = self
            .located
            .as_ref()
            .ok_or_else(|| JsError::new("matchCrop before locate: locate a photo first"))?;
        match_crop(self.pipeline.matcher(), located.photo(), crop, located.options())
    }

    /// The look of the located photo, from what each of its crops matched (here or in a
    /// `Matcher`), in the order `locate` returned the crops.
    #[wasm_bindgen(unchecked_return_type = "Look")]
    pub fn finish(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Matched[]")] matched: JsValue,
    ) -> Result<JsValue, JsError> {
        let located =
            self.located.take().ok_or_else(|| JsError::new("finish before locate: locate a photo first"))?;
        let matched: Vec<Matched> = serde_wasm_bindgen::from_value(matched)?;
        to_js(&self.pipeline.finish(located, matched)?)
    }
}

impl Vitrine {
    /// Keeps `located` for `finish`; its crops and the look so far, for JS.
    fn keep(&mut self, located: Located) -> Result<JsValue, JsError> {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            crops: &'a [Crop],
            preview: crate::Look,
        }
        let out = to_js(&Out { crops: located.crops(), preview: located.preview() })?;
        self.located = Some(located);
        Ok(out)
    }
}

impl From<Pipeline> for Vitrine {
    fn from(pipeline: Pipeline) -> Vitrine {
        Vitrine { pipeline: pipeline.with_clock(now), located: None }
    }
}

/// A [`Vitrine`] built a model at a time: `add` each model file as its download ends (it loads
/// while the others still arrive), then `finish` with the index.
#[wasm_bindgen(js_name = VitrineLoader)]
#[derive(Default)]
pub struct VitrineLoader(PipelineLoader);

#[wasm_bindgen(js_class = VitrineLoader)]
impl VitrineLoader {
    #[wasm_bindgen(constructor)]
    pub fn new() -> VitrineLoader {
        console_error_panic_hook::set_once();
        VitrineLoader::default()
    }

    /// Loads one model; `file` is its name from `modelFiles`.
    pub fn add(&mut self, file: &str, bytes: &[u8]) -> Result<(), JsError> {
        Ok(self.0.add(file, bytes)?)
    }

    /// Loads the index's own embedder instead of the shipped one: `url` (named in errors) is
    /// the file `indexEmbedder` names, beside the index, and `sha256` the hash it gives; the
    /// bytes must have it, and `finish` checks that it is the index's.
    #[wasm_bindgen(js_name = addTrained)]
    pub fn add_trained(&mut self, url: &str, bytes: &[u8], sha256: &str) -> Result<(), JsError> {
        Ok(self.0.add_trained(url, bytes, sha256)?)
    }

    /// The vitrine, once the four models are in (this loader is used up).
    pub fn finish(self, index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Vitrine, JsError> {
        Ok(Vitrine::from(self.0.finish(index_name, index, products_json)?))
    }
}

/// The embedder and the catalog index alone: matches crops of a photo in a second worker.
#[wasm_bindgen]
pub struct Matcher {
    matcher: crate::CropMatcher,
    photo: Option<Photo>,
}

#[wasm_bindgen]
impl Matcher {
    /// `embedder` is the embedder the index names (`indexEmbedder`): the shipped one, or the
    /// index's own file from beside it (`index_name`, its URL, names both in errors), checked
    /// against models/MANIFEST or the sha256 the index records.
    #[wasm_bindgen(constructor)]
    pub fn new(
        embedder: &[u8],
        index_name: &str,
        index: &[u8],
        products_json: &[u8],
    ) -> Result<Matcher, JsError> {
        console_error_panic_hook::set_once();
        let matcher = crate::CropMatcher::new(embedder, index_name, index, products_json)?.with_clock(now);
        Ok(Matcher { matcher, photo: None })
    }

    /// Decodes the photo the next crops come from (the same bytes `Vitrine.locate` gets).
    #[wasm_bindgen(js_name = setPhoto)]
    pub fn set_photo(&mut self, photo: &[u8], name: &str) -> Result<(), JsError> {
        self.photo = None; // the previous photo's memory goes before the next one is decoded
        self.photo = Some(Photo::decode(photo, name, &Options::default().limits)?);
        Ok(())
    }

    /// `setPhoto` for a photo the browser decoded (as `Vitrine.locatePixels` gets it).
    #[wasm_bindgen(js_name = setPixels)]
    pub fn set_pixels(&mut self, rgba: Vec<u8>, width: u32, height: u32, name: &str) -> Result<(), JsError> {
        self.photo = None;
        self.photo = Some(Photo::from_rgba(rgba, width, height, name, &Options::default().limits)?);
        Ok(())
    }

    /// Matches one crop of that photo for `audience` (as in `Vitrine.recommend`).
    #[wasm_bindgen(js_name = matchCrop, unchecked_return_type = "Matched")]
    pub fn match_crop(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Crop")] crop: JsValue,
        audience: &str,
    ) -> Result<JsValue, JsError> {
        let photo = self
            .photo
            .as_ref()
            .ok_or_else(|| JsError::new("matchCrop before setPhoto: give the matcher the photo first"))?;
        match_crop(&self.matcher, photo, crop, &options(audience)?)
    }
}

/// One crop (a JS `Crop`) of `photo` matched, as a JS `Matched`: both classes' `matchCrop`.
fn match_crop(
    matcher: &crate::CropMatcher,
    photo: &Photo,
    crop: JsValue,
    options: &Options,
) -> Result<JsValue, JsError> {
    let crop: Crop = serde_wasm_bindgen::from_value(crop)?;
    to_js(&matcher.match_crop(photo, &crop, options)?)
}

/// The look options for `audience` ("women", "men", "unisex" or empty for all).
fn options(audience: &str) -> Result<Options, JsError> {
    let audience = match audience {
        "" => None,
        a => Some(
            Audience::parse(a)
                .ok_or_else(|| JsError::new(&format!("audience '{a}' is not women, men or unisex")))?,
        ),
    };
    Ok(Options { audience, ..Options::default() })
}

pub(crate) fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    Ok(value.serialize(&serializer)?)
}

/// `performance.now()`, in a page or a worker.
pub(crate) fn now() -> f64 {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.performance().map_or(0.0, |p| p.now())
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.performance().map_or(0.0, |p| p.now())
    } else {
        0.0
    }
}
