//! The whole look, in the order the data flows: photo bytes -> decode -> people (the SSD's boxes;
//! the pose detector's faces when those give no pose) -> pose of the largest, most central
//! person -> full-shot verdict ->
//! garment boxes -> crops (with their colour, read on the person) -> embeddings -> per-category
//! search (embedding and colour joined) -> top products per garment. Each step is a call into the
//! module that owns it; this file only says their order. Built from bytes only (no file system),
//! so the browser uses it unchanged.
//!
//! A look comes in three steps so that a page can spread it over two workers: [`Pipeline::locate`]
//! (decode to garment crops), [`CropMatcher::match_crop`] per crop (embedding and search; a
//! [`CropMatcher`] holds only the embedder and the index, so a second worker can run some crops
//! on its own decode of the same photo), and [`Pipeline::finish`]. [`Pipeline::recommend`] runs
//! the three in a row.

use crate::body;
use crate::catalog::Wear;
use crate::colour::{self, BINS};
use crate::dress::{dress_crop, dress_rule, DressCrop};
use crate::error::{Error, Result};
use crate::full_shot;
use crate::garments::{garment_boxes, within_person, GarmentBox};
use crate::geometry::Rect;
use crate::loader::{ModelBytes, PipelineLoader};
use crate::look::{Garment, Look, Options, Person, Recommendation, Verdict};
use crate::matcher::{Crop, CropMatcher, Matched};
use crate::models::embedder::beside;
use crate::models::{
    Detection, Embedder, Label, Landmark, ObjectDetector, PersonDetection, Pose, PoseDetector,
    PoseLandmarker, Roi,
};
use crate::person::{
    counts_beside, distinct_faces, main_person, merge_people, part_of, people_count, person, person_rect,
    prominence, same_person, tiles, Seen,
};
use crate::photo::Photo;
use crate::timing::{default_clock, stage, Clock, Timer};
use crate::upright::Turn;

/// SSD scores run low on this model: a clear person scores about 0.5.
const MIN_SSD_SCORE: f32 = 0.3;
/// Below this pose presence there is no person in the crop.
const MIN_PRESENCE: f32 = 0.5;
/// A pose detector score that leaves no doubt about a face (MediaPipe's own threshold is 0.5)...
const CLEAR_FACE: f32 = 0.7;
/// ...and the presence that is then enough: a person cut off at the hips scores low.
const MIN_PRESENCE_CLEAR_FACE: f32 = 0.3;
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
    locator: Locator,
    matcher: CropMatcher,
}

/// The three networks that find the person and their garments (SSD, pose detector, pose
/// landmarks): a photo in, its [`Located`] garment boxes out. The look's first half, and what
/// `vitrine index build` runs on each catalog photo ([`crate::regions`]).
pub struct Locator {
    detector: PoseDetector,
    landmarker: PoseLandmarker,
    ssd: ObjectDetector,
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
            garments: self.boxes.iter().map(|b| garment(b, &self.crops, Vec::new(), w, h)).collect(),
            timings: self.timer.laps().to_vec(),
        }
    }

    /// What to embed and search, in order: the garment boxes' crops, then the dress region when
    /// there are a top and a bottom and [`DressCrop`] allows it.
    pub fn crops(&self) -> &[Crop] {
        &self.crops
    }

    pub fn photo(&self) -> &Photo {
        &self.photo
    }

    /// The decoded photo, for what comes after the look's first half (a catalog region's
    /// embedding and thumbnail).
    pub fn into_photo(self) -> Photo {
        self.photo
    }

    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The person the look is about, when one was found with a pose.
    pub fn person(&self) -> Option<&Person> {
        self.person.as_ref()
    }

    pub fn options(&self) -> &Options {
        &self.options
    }
}

impl Pipeline {
    /// Loads the models and the index (`index_name`, its folder or URL, names it in errors) and
    /// checks that the index was built by this embedder: `models.embedder` is the embedder the
    /// index names (the shipped one, or its own file beside it; [`crate::index::embedder_of`]).
    pub fn new(models: ModelBytes, index_name: &str, index: &[u8], products_json: &[u8]) -> Result<Pipeline> {
        let built_by = crate::index::embedder_of(index_name, index)?;
        let mut loader = PipelineLoader::default();
        loader.add(PoseDetector::FILE, models.pose_detector)?;
        loader.add(models.pose_landmarks.0, models.pose_landmarks.1)?;
        loader.add(ObjectDetector::FILE, models.ssd)?;
        match &built_by.file {
            None => loader.add(Embedder::FILE, models.embedder)?,
            Some(file) => loader.add_trained(&beside(index_name, file), models.embedder, &built_by.sha256)?,
        }
        loader.finish(index_name, index, products_json)
    }

    /// The pipeline of loaded parts ([`PipelineLoader::finish`]).
    pub(crate) fn from_parts(
        detector: PoseDetector,
        landmarker: PoseLandmarker,
        ssd: ObjectDetector,
        matcher: CropMatcher,
    ) -> Pipeline {
        Pipeline { locator: Locator { detector, landmarker, ssd, clock: default_clock }, matcher }
    }

    /// Replaces the clock used for the stage timings.
    pub fn with_clock(mut self, clock: Clock) -> Pipeline {
        self.locator.clock = clock;
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
    /// match (none when there is no person).
    pub fn locate(&self, bytes: &[u8], name: &str, options: &Options) -> Result<Located> {
        self.locator.locate_decoded(
            || Photo::decode(bytes, name, &options.limits),
            options,
            self.dresses(options),
        )
    }

    /// [`Pipeline::locate`] for RGBA pixels the shell decoded itself (see [`Photo::from_rgba`]):
    /// the browser, for formats vitrine has no decoder for.
    pub fn locate_rgba(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        name: &str,
        options: &Options,
    ) -> Result<Located> {
        self.locator.locate_decoded(
            || Photo::from_rgba(rgba, width, height, name, &options.limits),
            options,
            self.dresses(options),
        )
    }

    /// A shopper's photo gets a dress crop when the catalog has dresses for them and the top
    /// runs long ([`DressCrop::IfTheTopIsLong`]).
    fn dresses(&self, options: &Options) -> DressCrop {
        if self.matcher.serves(Wear::Dress, options.audience) {
            DressCrop::IfTheTopIsLong
        } else {
            DressCrop::Never
        }
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
            timer.add(stage("embed", m.wear), m.embed_ms, m.multiply_adds);
            timer.add(stage("search", m.wear), m.search_ms, 0.0);
        }
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        let mut matched = matched.into_iter();
        let garments: Vec<(GarmentBox, Vec<Recommendation>)> =
            boxes.into_iter().zip(matched.by_ref()).map(|(b, m)| (b, m.products)).collect();
        let dress = crops.last().filter(|c| c.wear == Wear::Dress).copied().zip(matched.next());
        let garments = dress_rule(garments, dress);
        let garments = garments.into_iter().map(|(b, hits)| garment(&b, &crops, hits, w, h)).collect();
        Ok(Look { verdict, person, garments, timings: timer.finish() })
    }
}

impl Locator {
    /// Loads the three networks from bytes: the pose detector, the landmark model (file name,
    /// full or lite, and bytes) and the SSD.
    ///
    /// Errors: [`Error::Model`] for a file that does not match models/MANIFEST or cannot load.
    pub fn new(pose_detector: &[u8], pose_landmarks: (&str, &[u8]), ssd: &[u8]) -> Result<Locator> {
        Ok(Locator {
            detector: PoseDetector::new(pose_detector)?,
            landmarker: PoseLandmarker::new(pose_landmarks.0, pose_landmarks.1)?,
            ssd: ObjectDetector::new(ssd)?,
            clock: default_clock,
        })
    }

    /// The people, pose, verdict and garment boxes of a decoded `photo`, as a look finds them;
    /// `dresses` says when the dress region joins the crops.
    pub fn locate(&self, photo: Photo, options: &Options, dresses: DressCrop) -> Result<Located> {
        self.locate_decoded(|| Ok(photo), options, dresses)
    }

    /// `locate` once `decode` has made the photo (timed as the "decode" stage).
    fn locate_decoded(
        &self,
        decode: impl FnOnce() -> Result<Photo>,
        options: &Options,
        dresses: DressCrop,
    ) -> Result<Located> {
        let mut timer = Timer::new(self.clock);
        let photo = decode()?;
        timer.lap("decode");
        let located = self.locate_in(photo, options, timer, dresses)?;
        self.upright(located, dresses)
    }

    /// When the person `located` found is turned (upside down, lying sideways), the look made
    /// on the photo turned upright, with its person, boxes and crops mapped back onto the photo;
    /// else `located`. A person the upright copy does not show upright gets a verdict saying how
    /// they are turned, and no garment: boxes from a turned pose would be swapped.
    fn upright(&self, located: Located, dresses: DressCrop) -> Result<Located> {
        let (w, h) = (located.photo.width() as f32, located.photo.height() as f32);
        let Some(turn) = located.person.as_ref().map(|p| Turn::of_person(p, w, h)) else {
            return Ok(located);
        };
        if turn == Turn::UPRIGHT {
            return Ok(located);
        }
        let Located { photo, options, verdict, person, timer, .. } = located;
        let upright = self.locate_in(turn.upright(&photo)?, &options, timer, dresses)?;
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
            crops: upright.crops.iter().map(|c| Crop { rect: rect(&c.rect), turn, ..*c }).collect(),
            timer: upright.timer,
        })
    }

    /// [`Pipeline::locate`] after the decode, reading `photo` as it is.
    fn locate_in(
        &self,
        photo: Photo,
        options: &Options,
        mut timer: Timer,
        dresses: DressCrop,
    ) -> Result<Located> {
        let (w, h) = (photo.width() as f32, photo.height() as f32);

        let objects = self.ssd.detect(&photo, MIN_SSD_SCORE)?;
        timer.ran(self.ssd.multiply_adds());
        timer.lap("ssd");
        let boxes: Vec<&Rect> =
            objects.iter().filter(|d| d.label == Label::Person).map(|d| &d.rect).collect();
        // The SSD's people first: the pose detector then looks only at the chosen one's box (in
        // `choose`). Its look over the whole photo (or its tiles) costs one to three runs and
        // only adds people the SSD missed, so it runs when the SSD found nobody or when none of
        // the SSD's people gets a pose (issue 24: on bench/evidence's 120 photos the looks are
        // those of the full search, BENCHMARKS.md "One person finder").
        let mut looked_at = Vec::new();
        let mut own_face_only = true;
        let from_ssd = match boxes.is_empty() {
            true => None,
            false => {
                let seen = merge_people(&boxes, vec![]);
                Some(self.choose(&photo, &objects, seen, true, &mut looked_at, &mut timer)?)
            }
        };
        let (mut people, mut chosen, who) = match from_ssd {
            Some(found @ (_, Some(_), _)) => found,
            _ => {
                own_face_only = false;
                let views = tiles(w, h);
                let whole = Rect::new(0.0, 0.0, w, h);
                let mut faces = Vec::new();
                for view in if views.is_empty() { vec![whole] } else { views } {
                    faces.extend(self.faces_in(&photo, &view, &mut timer)?);
                }
                let seen = merge_people(&boxes, distinct_faces(faces));
                timer.lap("pose_detector");
                self.choose(&photo, &objects, seen, false, &mut looked_at, &mut timer)?
            }
        };
        if let Some(i) = chosen {
            self.unfold_legs(&photo, &objects, &mut people[i], &mut timer)?;
            unsee_squeezed_legs(&mut people[i], w, h);
        }
        let mut verdict = judged(&people, chosen, &objects, w, h, who);
        if let (false, Some(main)) = (verdict.full_shot, chosen) {
            // The look a shopper can shop whole: another person in the photo head to feet before
            // a larger one whom it cuts (basketball2.png). The next largest counted people get a
            // pose, a few at most: each costs a detector and a landmark run.
            let rects = people_rects(&people, chosen, w, h);
            let others: Vec<usize> = (others_by_prominence(&people, main, w, h).into_iter())
                .filter(|&i| rects.iter().any(|r| std::ptr::eq(*r, &people[i].rect)))
                .take(MAX_OTHERS_POSED)
                .collect();
            for i in others {
                if people[i].pose.is_none() {
                    let found = self.pose_for(
                        &photo,
                        &objects,
                        &people[i],
                        own_face_only,
                        &mut looked_at,
                        &mut timer,
                    )?;
                    if let Some((score, pose)) = found {
                        (people[i].score, people[i].pose) = (score, Some(pose));
                    }
                }
                if people[i].pose.is_none() {
                    continue;
                }
                self.unfold_legs(&photo, &objects, &mut people[i], &mut timer)?;
                unsee_squeezed_legs(&mut people[i], w, h);
                let other = judged(&people, Some(i), &objects, w, h, HEAD_TO_FEET);
                // Their feet seen surely, not only a shoe box under hidden legs (the SSD has
                // boxed the hem of jeans cut by the photo's edge as footwear) nor the feet the
                // model guesses at the bottom edge of a man cut at the shins.
                let feet = people[i].pose.as_ref().is_some_and(|p| sure_feet(&p.landmarks, w, h));
                if other.full_shot && feet {
                    (chosen, verdict) = (Some(i), other);
                    break;
                }
            }
        }
        timer.lap("landmarks");
        let Some(Candidate { rect, pose: Some(pose), score, .. }) = chosen.map(|i| &people[i]) else {
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
        let person = person(*rect, *score, pose, w, h);
        if full_shot::too_small(&verdict) {
            // Boxes on a person this small land on the wrong body parts ([`full_shot::MIN_PERSON_HEIGHT`]).
            let (boxes, crops) = (Vec::new(), Vec::new());
            return Ok(Located {
                photo,
                options: options.clone(),
                verdict,
                person: Some(person),
                boxes,
                crops,
                timer,
            });
        }
        let others: Vec<&Rect> =
            people_rects(&people, chosen, w, h).into_iter().filter(|r| !std::ptr::eq(*r, rect)).collect();

        let boxes = within_person(garment_boxes(pose, &objects, photo.rgb()), rect, &others);
        let mut crops: Vec<Crop> = boxes
            .iter()
            .map(|b| Crop { wear: b.wear, rect: b.crop, turn: Turn::UPRIGHT, colour: [0.0; BINS] })
            .collect();
        crops.extend(dress_crop(&boxes, dresses));
        // The garment's colour is read on the person, not on the backdrop or a neighbour.
        for crop in &mut crops {
            crop.colour = colour::histogram_of_person(photo.rgb(), crop.rect, |p| pose.mask.holds(p));
        }
        Ok(Located { photo, options: options.clone(), verdict, person: Some(person), boxes, crops, timer })
    }

    /// Whose look it is among the people `seen`: those the pose detector found without an SSD box
    /// get their landmarks and the box those give; the largest, most central of all is chosen and
    /// gets their landmarks from the detector's look at their box (or their face found before;
    /// `own_face_only`: only a face inside their box). When that fails too, the others whose
    /// face was found get their landmarks (and, on the search over the whole photo, when none
    /// does, the next largest get the same look at their boxes), and the look is the largest,
    /// most central person with a pose ("the one facing the camera"). Returns the
    /// people, the index of the chosen one (with a pose, or `None`) and how they were chosen. The
    /// networks it runs count into `timer`; `looked_at` keeps the detector's best face at each box
    /// it looked at, for a second call on the same photo.
    fn choose(
        &self,
        photo: &Photo,
        objects: &[Detection],
        seen: Vec<Seen>,
        own_face_only: bool,
        looked_at: &mut Vec<(Rect, Option<PersonDetection>)>,
        timer: &mut Timer,
    ) -> Result<(Vec<Candidate>, Option<usize>, &'static str)> {
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        // SSD boxes first: a face found outside every SSD box may still be one of theirs.
        let (boxed, faces): (Vec<Seen>, Vec<Seen>) = seen.into_iter().partition(|s| s.ssd.is_some());
        let mut people: Vec<Candidate> = boxed
            .into_iter()
            .filter_map(|s| {
                let score = s.detection.as_ref().map_or(0.0, |d| d.score);
                Some(Candidate { rect: s.ssd?, pose: None, score, face: s.detection })
            })
            .collect();
        // With an SSD box the person's landmarks wait until they are chosen (below); without
        // one, the landmarks say where the person is, and whether they are an SSD box's person
        // whose face lay outside it (a small person's loose box).
        for d in faces.into_iter().filter_map(|s| s.detection) {
            let pose = self.pose_at(photo, &d.roi(), timer)?;
            let rect = person_rect(None, &pose, d.rect, w, h);
            match people.iter_mut().find(|p| p.face.is_none() && same_person(&p.rect, &rect)) {
                Some(p) => (p.score, p.face) = (d.score, Some(d)),
                // A face without an SSD box is a person when the landmark model finds one behind it.
                None if trusted(&pose, d.score) => {
                    people.push(Candidate { rect, pose: Some(pose), score: d.score, face: Some(d) })
                }
                None => {}
            }
        }
        let rects: Vec<&Rect> = people.iter().map(|p| &p.rect).collect();
        let Some(main) =
            main_person(&rects, w, h).and_then(|m| rects.iter().position(|r| std::ptr::eq(*r, m)))
        else {
            return Ok((people, None, "the largest, most central one"));
        };
        if people[main].pose.is_none() {
            if let Some((score, pose)) =
                self.pose_for(photo, objects, &people[main], own_face_only, looked_at, timer)?
            {
                (people[main].score, people[main].pose) = (score, Some(pose));
            }
        }
        if people[main].pose.is_some() {
            return Ok((people, Some(main), "the largest, most central one"));
        }
        for (i, p) in people.iter_mut().enumerate() {
            if let (true, None, Some(d)) = (i != main, &p.pose, &p.face) {
                p.pose = Some(self.pose_at(photo, &d.roi(), timer)?).filter(|pose| trusted(pose, d.score));
            }
        }
        // Nobody posed even after the search over the whole photo, in a grey photo, whose faces
        // the detector sees weakly: the next largest people's own boxes, as the chosen one's
        // were (basketball2.png half-size, darkened or rotated: the man on the left, seen head
        // to feet). Not in colour, where that search is sure enough that a box without a face
        // found is most often a body without a head, and its crop gets an invented face.
        if !own_face_only && is_grey(photo) && people.iter().all(|p| p.pose.is_none()) {
            for i in others_by_prominence(&people, main, w, h).into_iter().take(MAX_OTHERS_POSED) {
                let found = self.pose_for(photo, objects, &people[i], own_face_only, looked_at, timer)?;
                if let Some((score, pose)) = found {
                    (people[i].score, people[i].pose) = (score, Some(pose));
                    break;
                }
            }
        }
        let posed: Vec<&Rect> = people.iter().filter(|p| p.pose.is_some()).map(|p| &p.rect).collect();
        let facing =
            main_person(&posed, w, h).and_then(|m| people.iter().position(|p| std::ptr::eq(&p.rect, m)));
        Ok((people, facing, "the one facing the camera"))
    }

    /// The pose of `person`, who has none yet, and the score of the face that gave it (`None`
    /// when no try is [`trusted`]). The detector looks at their box first, where they are
    /// largest. In a grey photo its faces are weak and the SSD box seeds the landmark crop next
    /// (see `ssd_seed`: a face found elsewhere in grey messi5.jpg, score 0.50, gave a pose lying
    /// sideways). Last, a face of theirs seen elsewhere. With `own_face_only` the best face near
    /// the box must lie in it: beside a person the SSD missed it is often theirs, and the search
    /// over the whole photo that follows finds them. `looked_at` keeps the detector's best face
    /// at each box, for a second call on the same photo.
    fn pose_for(
        &self,
        photo: &Photo,
        objects: &[Detection],
        person: &Candidate,
        own_face_only: bool,
        looked_at: &mut Vec<(Rect, Option<PersonDetection>)>,
        timer: &mut Timer,
    ) -> Result<Option<(f32, Pose)>> {
        let (rect, region) = (person.rect, person.rect.pad(0.25, 0.15, 0.25, 0.15));
        let best = match looked_at.iter().find(|(r, _)| *r == rect) {
            Some((_, best)) => best.clone(),
            None => {
                let best = self.faces_in(photo, &region, timer)?.into_iter().next();
                looked_at.push((rect, best.clone()));
                best
            }
        };
        let near = best.filter(|d| !own_face_only || rect.contains(d.rect.center()));
        let seed = is_grey(photo).then(|| ssd_seed(objects, &rect));
        let tries = near.map(|d| (d, false)).into_iter().chain(seed.map(|d| (d, true)));
        for (d, seeded) in tries.chain(person.face.clone().map(|d| (d, false))) {
            let pose = if seeded {
                self.seeded_pose(photo, &d, timer)?
            } else {
                Some(self.pose_at(photo, &d.roi(), timer)?).filter(|pose| trusted(pose, d.score))
            };
            if let Some(pose) = pose {
                return Ok(Some((d.score, pose)));
            }
        }
        Ok(None)
    }

    /// Finds `person`'s pose again when its legs stop well short of their SSD box
    /// ([`LEGS_SHORT_OF_BOX`]) or their body runs on under their feet
    /// ([`body::body_below_feet`]): the landmark model folded them (basketball2.png mirrored:
    /// the man on the left with his "feet" at his knees, 1.68 torso lengths above his box's
    /// bottom; messi5.jpg brightened, his feet placed at his knees 0.44 above it).
    /// The box seeds the crop ([`Locator::seeded_pose`]), and the pose found there replaces the
    /// first when its feet reach further down. Only a pose with its head in the photo
    /// ([`body::head_inside`]) is looked at again, and a person without an SSD box keeps theirs.
    fn unfold_legs(
        &self,
        photo: &Photo,
        objects: &[Detection],
        person: &mut Candidate,
        timer: &mut Timer,
    ) -> Result<()> {
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        let boxed = objects.iter().any(|d| d.label == Label::Person && d.rect == person.rect);
        let short = |pose: &Pose| body::short_of(&pose.landmarks, person.rect.y1);
        let head = |pose: &Pose| body::head_inside(&pose.landmarks, w, h);
        let under_feet = |pose: &Pose| body::body_below_feet(&pose.landmarks, |p| pose.mask.holds(p), w, h);
        let folded =
            |pose: &&Pose| boxed && head(pose) && (short(pose) > LEGS_SHORT_OF_BOX || under_feet(pose));
        let Some(before) = person.pose.as_ref().filter(folded).map(short) else { return Ok(()) };
        // The pose found again must keep the face: in a photo cut at the neck the box's crop
        // gets a face the model invents (messi5.jpg from the shoulders down).
        if let Some(again) = self.seeded_pose(photo, &ssd_seed(objects, &person.rect), timer)? {
            if head(&again) && short(&again) < before {
                person.pose = Some(again);
            }
        }
        Ok(())
    }

    /// The pose in a crop seeded from an SSD box (`seed`), where the pose detector saw no one:
    /// the box only roughly holds the person, so the landmarks are found again in the crop their
    /// own alignment points give (as MediaPipe tracks a person from frame to frame), and must
    /// then reach [`SEEDED_MIN_PRESENCE`].
    fn seeded_pose(&self, photo: &Photo, seed: &PersonDetection, timer: &mut Timer) -> Result<Option<Pose>> {
        let pose = self.pose_at(photo, &seed.roi(), timer)?;
        if pose.presence < MIN_PRESENCE {
            return Ok(None);
        }
        let pose = self.pose_at(photo, &pose.aligned_roi(), timer)?;
        Ok(Some(pose).filter(|p| p.presence >= SEEDED_MIN_PRESENCE))
    }

    /// The pose detector's people in `region` of `photo`, its run counted into `timer`.
    fn faces_in(&self, photo: &Photo, region: &Rect, timer: &mut Timer) -> Result<Vec<PersonDetection>> {
        timer.ran(self.detector.multiply_adds());
        self.detector.detect_in(photo, region)
    }

    /// The landmark model's pose in `roi`, its run counted into `timer`.
    fn pose_at(&self, photo: &Photo, roi: &Roi, timer: &mut Timer) -> Result<Pose> {
        timer.ran(self.landmarker.multiply_adds());
        self.landmarker.landmarks(photo, roi)
    }
}

/// A person the pipeline may choose: their box in photo pixels (the SSD's, else the landmarks'),
/// their pose when it is [`trusted`], and the pose detector's score (0 without one).
struct Candidate {
    rect: Rect,
    pose: Option<Pose>,
    score: f32,
    /// The face the pose detector found on the whole photo or a tile, if it did.
    face: Option<PersonDetection>,
}

/// Who the look is when the largest, most central person is not in the photo head to feet and
/// another is ([`Locator::locate_in`]).
const HEAD_TO_FEET: &str = "the one seen head to feet";
/// Legs that stop more than this many torso lengths above the bottom of the person's SSD box
/// are folded ([`Locator::unfold_legs`]). On bench/evidence's 65 full shots with a foot seen,
/// the box runs on under the lowest foot by -0.10 to 0.31 torso lengths (a box's slack); a leg
/// folded at the knee is short by a shin, ~0.8 (shin ~40 cm over a ~50 cm torso).
const LEGS_SHORT_OF_BOX: f32 = 0.6;
/// How many other people get a pose when the chosen one is not a full shot, or gets none (each
/// costs a detector and a landmark run, 0.82 G multiply-adds). Two covers a couple or a group
/// of three with one cut off; in a crowd the largest are the likeliest to be whole.
const MAX_OTHERS_POSED: usize = 2;

/// The person boxes in a `w` x `h` photo among `people` with person `chosen`: boxes that are
/// mostly the chosen person's body are their parts, not other people, and are left out.
fn people_rects(people: &[Candidate], chosen: Option<usize>, w: f32, h: f32) -> Vec<&Rect> {
    let body = chosen.and_then(|i| Some(person_rect(None, people[i].pose.as_ref()?, people[i].rect, w, h)));
    (people.iter().enumerate())
        .filter(|&(i, p)| Some(i) == chosen || !body.is_some_and(|b| part_of(&p.rect, &b)))
        .map(|(_, p)| &p.rect)
        .collect()
}

/// The people of `people` other than `main` who count beside them ([`counts_beside`]) and whose
/// box is tall enough for a full shot ([`full_shot::MIN_BOX_HEIGHT`]: a crowd of small
/// pedestrians, opencv-doc's vtest.avi, is not worth a pose each), the most prominent in a
/// `w` x `h` photo first ([`prominence`]).
fn others_by_prominence(people: &[Candidate], main: usize, w: f32, h: f32) -> Vec<usize> {
    let could_be = |r: &Rect| counts_beside(r, &people[main].rect) && r.height() >= full_shot::MIN_BOX_HEIGHT;
    let mut others: Vec<usize> =
        (0..people.len()).filter(|&i| i != main && could_be(&people[i].rect)).collect();
    let prominence = |i: usize| prominence(&people[i].rect, w, h);
    others.sort_by(|&a, &b| prominence(b).total_cmp(&prominence(a)));
    others
}

/// The full-shot verdict on person `chosen` of `people` in a `w` x `h` photo, chosen as `who`
/// says, with the SSD's `objects`: the people counted beside them, and their own shoes only
/// (inside their detected box, which holds the feet under a long skirt where the seen landmarks
/// stop at the hips): another person's shoe must not complete their body, nor any shoe a body
/// whose legs run off the photo's bottom edge ([`body::cut_by_bottom_edge`]).
fn judged(
    people: &[Candidate],
    chosen: Option<usize>,
    objects: &[Detection],
    w: f32,
    h: f32,
    who: &str,
) -> Verdict {
    let rects = people_rects(people, chosen, w, h);
    let count = people_count(&rects, chosen.map(|i| &people[i].rect), chosen.is_some());
    let pose = chosen.and_then(|i| people[i].pose.as_ref());
    let detected = chosen.map(|i| people[i].rect);
    let cut = pose.is_some_and(|p| body::cut_by_bottom_edge(&p.landmarks, |q| p.mask.holds(q), w, h));
    let shoes: Vec<Rect> = (objects.iter())
        .filter(|d| d.label.is_footwear() && !cut && detected.is_some_and(|b| b.contains(d.rect.center())))
        .map(|d| d.rect)
        .collect();
    full_shot::verdict(pose.map(|p| &p.landmarks[..]), &shoes, w, h, count, who)
}

/// Another person replaces the chosen one only with a foot landmark (ankle, heel or toe)
/// [`body::visible`] at least this surely. Their feet scored 0.80-0.96 in every photo where the
/// look moved to a person seen whole (bench/evidence's basketball copies, and a reviewer's
/// composites of bus.jpg's men); the feet the model guessed on the bottom edge of a man cut at
/// the shins, 0.56.
const SURE_FEET: f32 = 0.7;

/// Whether `landmarks` (photo pixels of a `w` x `h` photo) have a foot seen at [`SURE_FEET`].
fn sure_feet(landmarks: &[Landmark], w: f32, h: f32) -> bool {
    body::ANKLES_AND_FEET
        .iter()
        .any(|&i| body::visible(landmarks, i, w, h) && landmarks[i].visibility >= SURE_FEET)
}

/// Marks a posed `person`'s legs as not seen when their mask runs on under their feet
/// ([`body::unsee_squeezed_legs`]: a person the photo cuts, squeezed into it by the landmark
/// model).
fn unsee_squeezed_legs(person: &mut Candidate, w: f32, h: f32) {
    if let Some(pose) = person.pose.as_mut() {
        body::unsee_squeezed_legs(&mut pose.landmarks, |p| pose.mask.holds(p), w, h);
    }
}

/// Whether a pose can be used: the landmark model says a person is in its crop, or doubts it
/// only a little while the pose detector saw their face clearly (zidane.jpg's man bending out
/// of the photo at the hips: face 0.77, presence 0.35).
fn trusted(pose: &Pose, face_score: f32) -> bool {
    pose.presence >= MIN_PRESENCE || (face_score >= CLEAR_FACE && pose.presence >= MIN_PRESENCE_CLEAR_FACE)
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
fn ssd_seed(objects: &[Detection], main: &Rect) -> PersonDetection {
    let score = objects.iter().find(|d| d.label == Label::Person && d.rect == *main).map_or(0.0, |d| d.score);
    PersonDetection::around_person(main, score)
}

/// A garment of the look: `b`'s box as fractions of the `w` x `h` photo, with its products and
/// the colour of its crop (one of `crops`, by wear).
fn garment(b: &GarmentBox, crops: &[Crop], products: Vec<Recommendation>, w: f32, h: f32) -> Garment {
    let colour = crops.iter().find(|c| c.wear == b.wear).and_then(|c| colour::dominant(&c.colour));
    Garment {
        wear: b.wear,
        rect: b.rect.normalized(w, h),
        score: b.score,
        source: b.source,
        colour,
        products,
    }
}
