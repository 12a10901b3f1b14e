//! The whole look, in the order the data flows: photo bytes -> decode -> people (SSD) -> pose of
//! the largest, most central person -> full-shot verdict -> garment boxes -> crops ->
//! embeddings -> per-category search -> top products per garment. Each step is a call into the
//! module that owns it; this file only says their order. Built from bytes only (no file system),
//! so the browser uses it unchanged.
//!
//! A look comes in three steps so that a page can spread it over two workers: [`Pipeline::locate`]
//! (decode to garment crops), [`CropMatcher::match_crop`] per crop (embedding and search; a
//! [`CropMatcher`] holds only the embedder and the index, so a second worker can run some crops
//! on its own decode of the same photo), and [`Pipeline::finish`]. [`Pipeline::recommend`] runs
//! the three in a row.

use crate::catalog::Wear;
use crate::dress::{dress_crop, dress_rule};
use crate::error::{Error, Result};
use crate::full_shot;
use crate::garments::{garment_boxes, GarmentBox};
use crate::geometry::Rect;
use crate::loader::{ModelBytes, PipelineLoader};
use crate::look::{Garment, Look, Options, Person, Recommendation, Verdict};
use crate::matcher::{Crop, CropMatcher, Matched};
use crate::models::{
    Detection, Embedder, Label, ObjectDetector, PersonDetection, Pose, PoseDetector, PoseLandmarker,
};
use crate::person::{main_person, people_count, person, person_rect};
use crate::photo::Photo;
use crate::timing::{default_clock, stage, Clock, Timer};
use crate::upright::Turn;

/// SSD scores run low on this model: a clear person scores about 0.5.
const MIN_SSD_SCORE: f32 = 0.3;
/// Below this pose presence there is no person in the crop.
const MIN_PRESENCE: f32 = 0.5;
/// The same for a crop seeded from an SSD box, where the pose detector saw no one: the SSD calls
/// some flat-lays of trousers a person, and in grey copies of ../shared's clothing-dataset photos
/// the landmark model gave such crops up to 0.86 (a8a1f779..., jeans), where grey people scored
/// 0.99 to 1.00 (messi5.jpg, bus.jpg, astronaut.png).
const SEEDED_MIN_PRESENCE: f32 = 0.95;
/// Mean spread between a pixel's largest and smallest channel (levels of 255) under which a
/// photo counts as grey (see `is_grey`).
const GREY_SPREAD: f64 = 3.0;

/// The four networks and the catalog index: photo bytes in, a [`Look`] out.
pub struct Pipeline {
    detector: PoseDetector,
    landmarker: PoseLandmarker,
    ssd: ObjectDetector,
    matcher: CropMatcher,
    clock: Clock,
}

/// A look up to its garment crops (see [`Pipeline::locate`]).
pub struct Located {
    photo: Photo,
    options: Options,
    verdict: Verdict,
    person: Option<Person>,
    boxes: Vec<GarmentBox>,
    crops: Vec<Crop>,
    timer: Timer,
}

impl Located {
    /// The look so far, for a page to show while the crops are matched: the verdict, the person
    /// and the garment boxes (top, bottom, foot: the dress rule needs the matches) without
    /// products, and the stages timed until now.
    pub fn preview(&self) -> Look {
        let (w, h) = (self.photo.width() as f32, self.photo.height() as f32);
        Look {
            verdict: self.verdict.clone(),
            person: self.person.clone(),
            garments: self.boxes.iter().map(|b| garment(b, Vec::new(), w, h)).collect(),
            timings: self.timer.laps().to_vec(),
        }
    }

    /// What to embed and search, in order: the garment boxes' crops, then the dress region when
    /// the catalog has dresses and there are a top and a bottom.
    pub fn crops(&self) -> &[Crop] {
        &self.crops
    }

    pub fn photo(&self) -> &Photo {
        &self.photo
    }

    pub fn options(&self) -> &Options {
        &self.options
    }
}

impl Pipeline {
    /// Loads the models and the index (`index_name` names it in errors) and checks that the
    /// index was built by this embedder.
    pub fn new(models: ModelBytes, index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Pipeline> {
        let mut loader = PipelineLoader::default();
        loader.add(PoseDetector::FILE, models.pose_detector)?;
        loader.add(models.pose_landmarks.0, models.pose_landmarks.1)?;
        loader.add(ObjectDetector::FILE, models.ssd)?;
        loader.add(Embedder::FILE, models.embedder)?;
        loader.finish(index_name, index, products_json)
    }

    /// The pipeline of loaded parts ([`PipelineLoader::finish`]).
    pub(crate) fn from_parts(
        detector: PoseDetector,
        landmarker: PoseLandmarker,
        ssd: ObjectDetector,
        matcher: CropMatcher,
    ) -> Pipeline {
        Pipeline { detector, landmarker, ssd, matcher, clock: default_clock }
    }

    /// Replaces the clock used for the stage timings.
    pub fn with_clock(mut self, clock: Clock) -> Pipeline {
        self.clock = clock;
        self.matcher = self.matcher.with_clock(clock);
        self
    }

    /// The embedder and index half, for matching crops here.
    pub fn matcher(&self) -> &CropMatcher {
        &self.matcher
    }

    /// The look of the photo in `bytes` (`name` is used in errors): [`Pipeline::locate`], each
    /// crop matched here, [`Pipeline::finish`].
    pub fn recommend(&self, bytes: &[u8], name: &str, options: &Options) -> Result<Look> {
        let located = self.locate(bytes, name, options)?;
        let matched = located
            .crops
            .iter()
            .map(|crop| self.matcher.match_crop(&located.photo, crop, options))
            .collect::<Result<Vec<_>>>()?;
        self.finish(located, matched)
    }

    /// The first part of a look: decode, people, pose, verdict, garment boxes and the crops to
    /// match (none when there is no person). A person turned more than 45 degrees is looked at
    /// [`upright`](crate::upright).
    pub fn locate(&self, bytes: &[u8], name: &str, options: &Options) -> Result<Located> {
        let mut timer = Timer::new(self.clock);
        let photo = Photo::decode(bytes, name, &options.limits)?;
        timer.lap("decode");
        let located = self.locate_in(photo, options, timer)?;
        self.upright(located)
    }

    /// When the person `located` found is turned (upside down, lying sideways), the look made
    /// on the photo turned upright, with its person, boxes and crops mapped back onto the photo;
    /// else `located`. A person the upright copy does not show upright gets a verdict saying how
    /// they are turned, and no garment: boxes from a turned pose would be swapped.
    fn upright(&self, located: Located) -> Result<Located> {
        let (w, h) = (located.photo.width() as f32, located.photo.height() as f32);
        let Some(turn) = located.person.as_ref().map(|p| Turn::of_person(p, w, h)) else {
            return Ok(located);
        };
        if turn == Turn::UPRIGHT {
            return Ok(located);
        }
        let Located { photo, options, verdict, person, timer, .. } = located;
        let upright = self.locate_in(turn.upright(&photo)?, &options, timer)?;
        let (uw, uh) = (upright.photo.width() as f32, upright.photo.height() as f32);
        let turned_back = upright.person.as_ref().map(|p| Turn::of_person(p, uw, uh));
        if turned_back != Some(Turn::UPRIGHT) {
            return Ok(Located {
                photo,
                options,
                verdict: full_shot::turned(turn, verdict.people),
                person,
                boxes: Vec::new(),
                crops: Vec::new(),
                timer: upright.timer,
            });
        }
        let rect = |r: &Rect| turn.rect_to_photo(r, uw, uh);
        Ok(Located {
            photo,
            options,
            verdict: upright.verdict,
            person: upright.person.map(|p| turn.person_to_photo(p)),
            boxes: upright
                .boxes
                .iter()
                .map(|b| GarmentBox { rect: rect(&b.rect), crop: rect(&b.crop), ..b.clone() })
                .collect(),
            crops: upright.crops.iter().map(|c| Crop { wear: c.wear, rect: rect(&c.rect), turn }).collect(),
            timer: upright.timer,
        })
    }

    /// [`Pipeline::locate`] after the decode, reading `photo` as it is.
    fn locate_in(&self, photo: Photo, options: &Options, mut timer: Timer) -> Result<Located> {
        let (w, h) = (photo.width() as f32, photo.height() as f32);

        let objects = self.ssd.detect(&photo, MIN_SSD_SCORE)?;
        timer.lap("ssd");
        let people: Vec<&Rect> =
            objects.iter().filter(|d| d.label == Label::Person).map(|d| &d.rect).collect();
        let main = main_person(&people, w, h);

        // The pose detector looks at the chosen person first: with several people it would
        // otherwise pick whoever its face detector likes. It finds people by their face, so when
        // the chosen one turns away it looks at the whole photo and the person is whoever it
        // finds there.
        let mut detection = match main {
            Some(r) => self.detector.detect_in(&photo, &r.pad(0.25, 0.15, 0.25, 0.15))?.into_iter().next(),
            None => None,
        };
        let ssd_main = main;
        let mut main = main;
        let mut who = "the largest, most central one";
        if detection.is_none() {
            who = "the one facing the camera";
            detection = self.detector.detect(&photo)?.into_iter().next();
            main =
                detection.as_ref().and_then(|d| people.iter().copied().find(|r| r.contains(d.keypoints[0])));
        }
        let seeded = detection.is_none() && ssd_main.is_some() && is_grey(&photo);
        if seeded {
            (detection, main, who) =
                (ssd_seed(&objects, ssd_main), ssd_main, "the largest, most central one");
        }
        timer.lap("pose_detector");
        let pose = match &detection {
            Some(d) => self.pose(&photo, d, seeded)?,
            None => None,
        };
        timer.lap("landmarks");

        let count = people_count(&people, main, pose.is_some());
        let verdict = full_shot::verdict(pose.as_ref().map(|p| &p.landmarks[..]), w, h, count, who);
        let (Some(pose), Some(detection)) = (pose, detection) else {
            return Ok(Located {
                photo,
                options: options.clone(),
                verdict,
                person: None,
                boxes: Vec::new(),
                crops: Vec::new(),
                timer,
            });
        };
        let person = person(person_rect(main, &pose, detection.rect, w, h), detection.score, &pose, w, h);

        let boxes = garment_boxes(&pose, &objects, w, h);
        let mut crops: Vec<Crop> =
            boxes.iter().map(|b| Crop { wear: b.wear, rect: b.crop, turn: Turn::UPRIGHT }).collect();
        if self.matcher.has_dresses() {
            crops.extend(dress_crop(&boxes));
        }
        Ok(Located { photo, options: options.clone(), verdict, person: Some(person), boxes, crops, timer })
    }

    /// The pose in `detection`'s crop, `None` below [`MIN_PRESENCE`]. A crop `seeded` from an
    /// SSD box only roughly holds the person, so the landmarks are found again in the crop their
    /// own alignment points give (as MediaPipe tracks a person from frame to frame), and must
    /// then reach [`SEEDED_MIN_PRESENCE`].
    fn pose(&self, photo: &Photo, detection: &PersonDetection, seeded: bool) -> Result<Option<Pose>> {
        let pose = self.landmarker.landmarks(photo, &detection.roi())?;
        if !seeded {
            return Ok(Some(pose).filter(|p| p.presence >= MIN_PRESENCE));
        }
        if pose.presence < MIN_PRESENCE {
            return Ok(None);
        }
        let pose = self.landmarker.landmarks(photo, &pose.aligned_roi())?;
        Ok(Some(pose).filter(|p| p.presence >= SEEDED_MIN_PRESENCE))
    }

    /// The look from `located` and what its crops matched (`matched[i]` for `crops()[i]`, from
    /// this pipeline or any [`CropMatcher`] on the same photo and index).
    pub fn finish(&self, located: Located, matched: Vec<Matched>) -> Result<Look> {
        let Located { photo, verdict, person, boxes, crops, mut timer, .. } = located;
        if matched.len() != crops.len() || crops.iter().zip(&matched).any(|(c, m)| c.wear != m.wear) {
            let wears = |w: Vec<Wear>| w.iter().map(|w| w.name()).collect::<Vec<_>>().join(", ");
            return Err(Error::Call(format!(
                "the look needs matches for [{}] in that order, got [{}]",
                wears(crops.iter().map(|c| c.wear).collect()),
                wears(matched.iter().map(|m| m.wear).collect())
            )));
        }
        for m in &matched {
            timer.add(stage("embed", m.wear), m.embed_ms);
            timer.add(stage("search", m.wear), m.search_ms);
        }
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        let mut matched = matched.into_iter();
        let garments: Vec<(GarmentBox, Vec<Recommendation>)> =
            boxes.into_iter().zip(matched.by_ref()).map(|(b, m)| (b, m.products)).collect();
        let dress = crops.last().filter(|c| c.wear == Wear::Dress).copied().zip(matched.next());
        let garments = dress_rule(garments, dress);
        let garments = garments.into_iter().map(|(b, hits)| garment(&b, hits, w, h)).collect();
        Ok(Look { verdict, person, garments, timings: timer.finish() })
    }
}

/// Whether `photo` has no colour: its channels differ by under [`GREY_SPREAD`] levels on
/// average (a grey JPEG saved as RGB keeps a level or two of chroma noise).
fn is_grey(photo: &Photo) -> bool {
    let pixels = photo.rgb().pixels();
    let n = pixels.len().max(1) as f64;
    let spread: u64 = pixels.map(|p| u64::from(p.0.iter().max().unwrap() - p.0.iter().min().unwrap())).sum();
    (spread as f64 / n) < GREY_SPREAD
}

/// The detection that stands in for the pose detector's when it finds nobody in a grey photo
/// but the SSD boxed the chosen person `main` (one of `objects`): the detector finds people by
/// the face, mostly by its colour, and loses grey photos (issue 21, item 11: messi5.jpg in grey
/// scored 0.19 inside his SSD box, 0.70 at 20% saturation, 0.97 in colour), while the SSD and the
/// landmark model see grey people as well as coloured ones. Only grey photos: in colour the
/// detector's silence means no real person (a figure printed on a T-shirt gave a pose with
/// presence 0.95 from its SSD box).
fn ssd_seed(objects: &[Detection], main: Option<&Rect>) -> Option<PersonDetection> {
    let main = main?;
    let score = objects.iter().find(|d| d.label == Label::Person && d.rect == *main).map_or(0.0, |d| d.score);
    Some(PersonDetection::around_person(main, score))
}

/// A garment of the look: `b`'s box as fractions of the `w` x `h` photo, with its products.
fn garment(b: &GarmentBox, products: Vec<Recommendation>, w: f32, h: f32) -> Garment {
    Garment { wear: b.wear, rect: b.rect.normalized(w, h), score: b.score, source: b.source, products }
}
