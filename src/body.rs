//! The body vocabulary that the full-shot rule and the garment boxes share: which of BlazePose's
//! 33 landmarks make up each body part, and when a landmark counts as seen. One place, so the
//! two rules cannot drift apart on what "the knees are visible" means.
//!
//! Indices are MediaPipe BlazePose GHUM's landmark order ([`crate::models::LANDMARK_NAMES`];
//! the model card in models/README.md).

use crate::geometry::Point;
use crate::models::Landmark;

/// Nose, eyes and ears: the face seen from the front or the side.
pub const HEAD: [usize; 5] = [0, 2, 5, 7, 8];
/// The nose: with an eye, what makes a face ([`head_inside`]).
pub const NOSE: usize = 0;
/// The left and right eye centres.
pub const EYES: [usize; 2] = [2, 5];
pub const SHOULDERS: [usize; 2] = [11, 12];
pub const ELBOWS: [usize; 2] = [13, 14];
pub const WRISTS: [usize; 2] = [15, 16];
pub const HIPS: [usize; 2] = [23, 24];
pub const KNEES: [usize; 2] = [25, 26];
pub const ANKLES: [usize; 2] = [27, 28];
/// Heels and toe tips, both sides.
pub const FEET: [usize; 4] = [29, 30, 31, 32];
/// Ankles, heels and toe tips: every landmark a foot is placed or seen by.
pub const ANKLES_AND_FEET: [usize; 6] = [27, 28, 29, 30, 31, 32];
/// Each foot as ankle, heel and toe tip: left, then right.
pub const FOOT_SIDES: [[usize; 3]; 2] = [[27, 29, 31], [28, 30, 32]];

/// A landmark counts when the model thinks it is visible (and present) at least this much.
pub const MIN_VISIBILITY: f32 = 0.5;
/// Landmarks this close to the border (fraction of the side) count as outside: a foot at the
/// very edge is usually cut.
const EDGE: f32 = 0.005;

/// Whether landmark `i` of the 33 `landmarks` (photo pixels) is seen inside a `width` x `height`
/// photo: visible and present by the model, inside the border margin, and [`plausible`].
pub fn visible(landmarks: &[Landmark], i: usize, width: f32, height: f32) -> bool {
    let l = &landmarks[i];
    let (mx, my) = (EDGE * width, EDGE * height);
    l.visibility >= MIN_VISIBILITY
        && l.presence >= MIN_VISIBILITY
        && (mx..=width - mx).contains(&l.x)
        && (my..=height - my).contains(&l.y)
        && plausible(landmarks, i)
}

/// Whether any landmark of `part` is [`visible`] (one side is often hidden by the other in a
/// side view).
pub fn any_visible(landmarks: &[Landmark], part: &[usize], width: f32, height: f32) -> bool {
    part.iter().any(|&i| visible(landmarks, i, width, height))
}

/// Room the rest of the head needs above the face: the highest seen face landmark (an eye or an
/// ear) must be at least this many torso lengths below the photo's top edge. The eyes sit ~0.35
/// torso under the crown (messi5.jpg: ears 1.07 torso below the top edge, eyes 0.3 torso above
/// the shoulders), so a photo cut at the hairline keeps its head and one cut at the brows, or
/// a waist-down photo whose model puts confident "head" landmarks on the top edge (issue 22),
/// does not.
pub const HEAD_ROOM: f32 = 0.15;
/// A face is the nose and an eye seen at least this surely. Real faces score 0.95-1.00 in every
/// test photo (messi5, bus, zidane, astronaut, basketball1, and their grey, small and mirrored
/// copies); the face the model invents above a chest-down crop of messi5.jpg scored 0.71 (nose)
/// and 0.50-0.53 (eyes).
pub const FACE_VISIBILITY: f32 = 0.8;
/// The seen face landmarks of one head lie within this many torso lengths of each other
/// (messi5.jpg: 0.26 ear to ear; astronaut.png, a close portrait whose hips are guessed: 0.62);
/// ones spread wider are the model scattering guesses.
const FACE_SPREAD: f32 = 1.0;

/// The distance from the shoulders' midpoint to the hips' midpoint (photo pixels), from where
/// the model puts them, seen or not (hips under a long garment are still placed).
pub fn torso_length(landmarks: &[Landmark]) -> f32 {
    let mid = |[a, b]: [usize; 2]| landmarks[a].point().midpoint(landmarks[b].point());
    mid(SHOULDERS).distance(mid(HIPS))
}

/// Whether the head is plausibly inside the `width` x `height` photo, not merely placed there:
/// the nose and an eye [`visible`] and seen at [`FACE_VISIBILITY`]; the face (its seen nose,
/// eyes and ears) above the shoulders'
/// midpoint, at least [`HEAD_ROOM`] torso lengths below the top edge, and no more than
/// [`FACE_SPREAD`] torso lengths across.
pub fn head_inside(landmarks: &[Landmark], width: f32, height: f32) -> bool {
    let seen = |i: usize| visible(landmarks, i, width, height);
    let sure = |i: usize| seen(i) && landmarks[i].visibility >= FACE_VISIBILITY;
    if !sure(NOSE) || !EYES.iter().any(|&i| sure(i)) {
        return false;
    }
    let face: Vec<_> = HEAD.iter().filter(|&&i| seen(i)).map(|&i| landmarks[i].point()).collect();
    let Some(face) = crate::geometry::Rect::around(face) else { return false };
    let torso = torso_length(landmarks).max(1.0);
    let shoulders = landmarks[SHOULDERS[0]].point().midpoint(landmarks[SHOULDERS[1]].point());
    face.y0 >= HEAD_ROOM * torso
        && face.center().y < shoulders.y
        && face.width().max(face.height()) <= FACE_SPREAD * torso
}

/// Which way a person faces the camera, as the pose shows it ([`facing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Facing {
    /// Toward the camera: the person's left shoulder on the photo's right, and a face seen.
    Front,
    /// Away from it: the left shoulder on the photo's left.
    Back,
    /// Sideways: the shoulders nearly in line across the photo.
    Side,
}

/// Shoulders closer together across the photo than this many torso lengths are seen from the
/// side. Facing the camera an adult's shoulders span ~0.8 torso lengths (biacromial breadth
/// ~40 cm over a ~50 cm shoulder-to-hip torso, anthropometric means); turned 70° away they span
/// ~0.27 (0.8 x cos 70°). messi5.jpg, dribbling half-turned: 0.63; basketball2.png's man on the
/// right, turned to his partner: 0.12. The 75 full shots of bench/evidence all face the front.
pub const SIDE_ON: f32 = 0.3;

/// Which way the person of `landmarks` (photo pixels of a `width` x `height` photo) faces: by
/// the shoulders' left/right order across the photo (MediaPipe's left is the person's left, so
/// facing the camera it is on the photo's right) and, for [`Facing::Front`], a nose and an eye
/// [`visible`]. `None` when the pose cannot tell: a shoulder not seen, or the shoulders in
/// facing order with no face seen (a photo cut at the neck; BlazePose also tends to label a
/// back view as if it faced the camera, and then sees no face).
pub fn facing(landmarks: &[Landmark], width: f32, height: f32) -> Option<Facing> {
    let seen = |i: usize| visible(landmarks, i, width, height);
    let [left, right] = SHOULDERS;
    if !seen(left) || !seen(right) {
        return None;
    }
    let across = landmarks[left].x - landmarks[right].x;
    if across.abs() < SIDE_ON * torso_length(landmarks) {
        return Some(Facing::Side);
    }
    let face = seen(NOSE) && EYES.iter().any(|&i| seen(i));
    match (across > 0.0, face) {
        (true, true) => Some(Facing::Front),
        (false, _) => Some(Facing::Back),
        (true, false) => None,
    }
}

/// A knee or ankle closer to the joint above it than 40% of the torso's length is the model
/// guessing (a half-body portrait, a bulky suit: astronaut.png's "knees" sat just under its
/// hips), and so is a knee above its hip along the body (shoulders to hips: astronaut.png with
/// its top tenth cropped had both knees 0.4 torso above the hips, seen at 0.87-0.97, and feet
/// on the bottom edge; a seated person's thighs run level, standing and walking people's down)
/// and anything hanging from such a joint. Other landmarks are always plausible.
pub fn plausible(landmarks: &[Landmark], i: usize) -> bool {
    let parent = match i {
        25..=28 => i - 2,
        29 | 31 => 27,
        30 | 32 => 28,
        _ => return true,
    };
    let p = |i: usize| landmarks[i].point();
    let (shoulders, hips) = (p(11).midpoint(p(12)), p(23).midpoint(p(24)));
    let torso = shoulders.distance(hips);
    let long_enough = i > 28 || p(i).distance(p(parent)) >= 0.4 * torso;
    // Along the body (shoulders to hips), a knee is not above its hip.
    let down = !(25..=26).contains(&i) || {
        let (axis, thigh) =
            ((hips.x - shoulders.x, hips.y - shoulders.y), (p(i).x - p(parent).x, p(i).y - p(parent).y));
        axis.0 * thigh.0 + axis.1 * thigh.1 >= 0.0
    };
    long_enough && down && plausible(landmarks, parent)
}

/// How far below the lowest seen foot landmark (torso lengths) the person's mask is looked at
/// by [`body_below_feet`]: the soles lie just under the heel and toe landmarks, and a shoe's
/// fringe or a shadow in the mask stays within this.
const BELOW_FEET: f32 = 0.3;
/// A mask row at least this wide (torso lengths) under the feet is body, not a mask's fringe:
/// one lower leg is ~0.25 torso wide (a ~12 cm calf over a ~50 cm shoulder-to-hip torso,
/// anthropometric means). Widest rows measured (12-02): on bench/evidence's 120 photos, 76
/// poses with a foot seen, 73 of them 0 (no mask at all there); basketball2.png's man cut off
/// at the thighs, whose landmarks the model squeezed into the photo with "feet" on his shirt,
/// 0.94 (3 copies). On bench/framing's 39 copies, 0 everywhere (messi5.jpg in a painted long
/// skirt included) but messi5.jpg cut at the chest or the waist, where the model invents a
/// small person in the crop: 1.16 and 1.00.
pub const BODY_BELOW_FEET: f32 = 0.25;

/// Whether the person's body runs on under their feet: when a foot landmark (ankles, heels,
/// toes) is [`visible`], somewhere [`BELOW_FEET`] torso lengths or more under the lowest one the
/// model places (seen or not), a row of
/// the `width` x `height` photo holds at least [`BODY_BELOW_FEET`] torso lengths of pixels that
/// `on_body` says are the person's (their segmentation mask). Then those feet are the landmark
/// model's guesses for a person the photo cuts lower down. `false` when no foot is seen or the
/// photo ends first. Looks at about 32 x 32 points per torso length, so a 12 MP photo costs a
/// few thousand lookups.
pub fn body_below_feet(
    landmarks: &[Landmark],
    on_body: impl Fn(Point) -> bool,
    width: f32,
    height: f32,
) -> bool {
    if !ANKLES_AND_FEET.iter().any(|&i| visible(landmarks, i, width, height)) {
        return false;
    }
    // Under every foot the model places, seen or not: the foot of a standing leg under a long
    // skirt is hidden and lower than the kicking one seen (messi5.jpg in a painted skirt).
    let lowest = lowest_foot(landmarks);
    let torso = torso_length(landmarks).max(1.0);
    let step = (torso / 32.0).max(1.0);
    let mut y = lowest + BELOW_FEET * torso;
    while y < height {
        if body_across(&on_body, y, step, width) >= BODY_BELOW_FEET * torso {
            return true;
        }
        y += step;
    }
    false
}

/// How much of photo row `y` (pixels, of a `width`-pixel-wide photo) `on_body` says is the
/// person's, looked at every `step` pixels.
fn body_across(on_body: impl Fn(Point) -> bool, y: f32, step: f32, width: f32) -> f32 {
    let columns = (width / step) as usize;
    (0..columns).filter(|&c| on_body(Point::new((c as f32 + 0.5) * step, y))).count() as f32 * step
}

/// Whether the photo's bottom edge cuts the person's body: on its last row, at least
/// [`BODY_BELOW_FEET`] torso lengths (one lower leg) of the `width` x `height` photo's pixels
/// are the person's by `on_body` (their segmentation mask). Then the feet, if the model places
/// any, are below the photo, and a shoe the SSD boxes on the person is a trouser hem or another
/// person's (a man cut at the shins in front of a pedestrian). Feet seen whole at the edge are
/// the landmarks' to judge ([`crate::full_shot`] asks this of shoes only). Measured on the last
/// row (12-02): the shins of people cut at mid-shin, 0.44-0.59 torso lengths (bench/evidence's
/// basketball2.png left man without his bottom tenth; bus.jpg's coat man cut at the shins and
/// his copies in a reviewer's composites); people in painted long dresses with their shoes
/// inside the photo, 0.
pub fn cut_by_bottom_edge(
    landmarks: &[Landmark],
    on_body: impl Fn(Point) -> bool,
    width: f32,
    height: f32,
) -> bool {
    let torso = torso_length(landmarks).max(1.0);
    let step = (torso / 32.0).max(1.0);
    body_across(on_body, height - 0.5 * step.min(height), step, width) >= BODY_BELOW_FEET * torso
}

/// How far above photo row `bottom` (photo pixels) the lowest foot landmark (ankles, heels,
/// toes, seen or not) of `landmarks` lies, in torso lengths ([`torso_length`]); negative below.
pub fn short_of(landmarks: &[Landmark], bottom: f32) -> f32 {
    (bottom - lowest_foot(landmarks)) / torso_length(landmarks).max(1.0)
}

/// The y (photo pixels) of the lowest foot landmark (ankles, heels, toes) of `landmarks`, seen or
/// not: the foot of a standing leg under a long skirt is hidden and lower than a kicking one seen.
fn lowest_foot(landmarks: &[Landmark]) -> f32 {
    ANKLES_AND_FEET.iter().map(|&i| landmarks[i].y).fold(f32::MIN, f32::max)
}

/// Marks the knees, ankles, heels and toes of `landmarks` as not seen (visibility 0) when the
/// person's body runs on under the feet ([`body_below_feet`]): the model has squeezed a person
/// whom the photo cuts into it, and everything from the knees down is a guess. The full-shot
/// rule then names the cut, and no bottom or foot box lands on the shirt. Returns whether it did.
pub fn unsee_squeezed_legs(
    landmarks: &mut [Landmark],
    on_body: impl Fn(Point) -> bool,
    width: f32,
    height: f32,
) -> bool {
    let squeezed = body_below_feet(landmarks, on_body, width, height);
    if squeezed {
        for i in KNEES.iter().chain(&ANKLES_AND_FEET) {
            landmarks[*i].visibility = 0.0;
        }
    }
    squeezed
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A standing person 600 px tall in an 800 x 1000 photo, every landmark seen: head at
    /// y 100, shoulders 200, hips 400, knees 550, ankles 680, heels and toes 700.
    pub fn standing() -> Vec<Landmark> {
        let mut y = [0.0f32; 33];
        for (part, at) in [
            (&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10][..], 100.0),
            (&SHOULDERS, 200.0),
            (&ELBOWS, 300.0),
            (&WRISTS, 390.0),
            (&[17, 18, 19, 20, 21, 22], 400.0),
            (&HIPS, 400.0),
            (&KNEES, 550.0),
            (&ANKLES, 680.0),
            (&FEET, 700.0),
        ] {
            for &i in part {
                y[i] = at;
            }
        }
        // Left side at x 360, right at 440 (MediaPipe's left is the person's left).
        (0..33)
            .map(|i| Landmark {
                x: if i % 2 == 1 { 360.0 } else { 440.0 },
                y: y[i],
                z: 0.0,
                visibility: 0.99,
                presence: 0.99,
            })
            .collect()
    }

    #[test]
    fn a_seen_landmark_is_visible_and_a_hidden_or_edge_one_is_not() {
        let mut pose = standing();
        assert!(visible(&pose, 27, 800.0, 1000.0));
        pose[27].visibility = 0.3;
        assert!(!visible(&pose, 27, 800.0, 1000.0));
        assert!(any_visible(&pose, &ANKLES, 800.0, 1000.0), "the other ankle still shows");
        // 0.5% of 1000 px: a toe at y 997 is at the edge, cut.
        pose[31].y = 997.0;
        assert!(!visible(&pose, 31, 800.0, 1000.0));
    }

    #[test]
    fn facing_follows_the_shoulders_order_and_the_face() {
        // standing() has the person's left side on the photo's left: seen from behind.
        let back = standing();
        assert_eq!(facing(&back, 800.0, 1000.0), Some(Facing::Back));
        let front: Vec<Landmark> = back.iter().map(|l| Landmark { x: 800.0 - l.x, ..*l }).collect();
        assert_eq!(facing(&front, 800.0, 1000.0), Some(Facing::Front));
        let mut no_face = front.clone();
        no_face[NOSE].visibility = 0.1;
        assert_eq!(facing(&no_face, 800.0, 1000.0), None, "shoulders in facing order, no face: cannot tell");
        // Torso 200 px: shoulders 40 px apart are side-on.
        let mut side = front;
        side[SHOULDERS[0]].x = 420.0;
        side[SHOULDERS[1]].x = 380.0;
        assert_eq!(facing(&side, 800.0, 1000.0), Some(Facing::Side));
        side[SHOULDERS[1]].visibility = 0.2;
        assert_eq!(facing(&side, 800.0, 1000.0), None, "a shoulder not seen");
    }

    #[test]
    fn a_body_that_runs_on_under_the_feet_makes_the_legs_guesses() {
        // standing(): torso 200 px, feet at y 700 in an 800 x 1000 photo; 0.3 torso is 60 px.
        let body_to =
            |bottom: f32, x0: f32, x1: f32| move |p: Point| p.y <= bottom && (x0..x1).contains(&p.x);
        // A mask that ends at the soles, or a shadow 40 px wide (0.2 torso) under them: feet.
        assert!(!body_below_feet(&standing(), body_to(715.0, 340.0, 460.0), 800.0, 1000.0));
        assert!(!body_below_feet(&standing(), body_to(1000.0, 380.0, 420.0), 800.0, 1000.0));
        // The body 120 px wide down to the bottom edge: the "feet" are on it.
        assert!(body_below_feet(&standing(), body_to(1000.0, 340.0, 460.0), 800.0, 1000.0));
        // A photo that ends 50 px under the feet has no room to say.
        assert!(!body_below_feet(&standing(), body_to(750.0, 340.0, 460.0), 800.0, 750.0));
        // No foot seen, nothing to contradict.
        let mut hidden = standing();
        for i in ANKLES_AND_FEET {
            hidden[i].visibility = 0.1;
        }
        assert!(!body_below_feet(&hidden, |_| true, 800.0, 1000.0));

        let mut squeezed = standing();
        assert!(unsee_squeezed_legs(&mut squeezed, body_to(1000.0, 340.0, 460.0), 800.0, 1000.0));
        for i in 0..33 {
            let guessed = KNEES.contains(&i) || ANKLES.contains(&i) || FEET.contains(&i);
            assert_eq!(visible(&squeezed, i, 800.0, 1000.0), !guessed, "landmark {i}");
        }
        let mut whole = standing();
        assert!(!unsee_squeezed_legs(&mut whole, body_to(715.0, 340.0, 460.0), 800.0, 1000.0));
        assert_eq!(whole, standing());
        // Feet at y 700, torso 200 px: a box to y 860 runs 0.8 torso lengths under them.
        assert!((short_of(&standing(), 860.0) - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_body_on_the_bottom_edge_is_cut_by_it() {
        // standing(): torso 200 px; one lower leg is 0.25 torso, 50 px.
        let body_to =
            |bottom: f32, x0: f32, x1: f32| move |p: Point| p.y <= bottom && (x0..x1).contains(&p.x);
        // Shins 120 px wide across the last row: cut. Feet ending above it, or a 30 px fringe: not.
        assert!(cut_by_bottom_edge(&standing(), body_to(1000.0, 340.0, 460.0), 800.0, 1000.0));
        assert!(!cut_by_bottom_edge(&standing(), body_to(990.0, 340.0, 460.0), 800.0, 1000.0));
        assert!(!cut_by_bottom_edge(&standing(), body_to(1000.0, 385.0, 415.0), 800.0, 1000.0));
    }

    #[test]
    fn knees_just_under_the_hips_are_a_guess_and_so_is_what_hangs_from_them() {
        let mut pose = standing();
        // Torso 200 px: a knee 50 px under its hip is under 40% of it.
        pose[25].y = 450.0;
        assert!(!plausible(&pose, 25));
        assert!(!plausible(&pose, 27), "the ankle below an implausible knee");
        assert!(!plausible(&pose, 29), "and the heel below that ankle");
        assert!(plausible(&pose, 26) && plausible(&pose, 28));
    }
}
