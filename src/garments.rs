//! Garment boxes from the pose: no clothing detector ships in a reachable package, so the body
//! says where clothes are. Top from shoulders, elbows, wrists (when near the torso) and hips;
//! bottom from hips, knees and ankles; foot from ankles, heels and toes, replaced by the SSD's
//! Footwear / Boot / High heels boxes where they agree. The joints do not say where a garment
//! ends, so the top's bottom edge then follows its colours down the body ([`crate::hem`]): a
//! kurta or a long coat takes the top box down to its hem and the bottom box starts there (not
//! when the legs part above that hem: trousers in the top's colour, [`crate::hem::legs_part`]),
//! a crop top cuts it above the hips. Each box is then tightened to the person mask, so the crop holds
//! garment rather than background.

use crate::body::{visible, ANKLES, ELBOWS, FOOT_SIDES, HIPS, KNEES, MIN_VISIBILITY, SHOULDERS, WRISTS};
use crate::catalog::Wear;
use crate::geometry::{Point, Rect};
use crate::hem::{hem, legs_part, Body, BAND, SAME_GARMENT};
use crate::models::{Detection, Pose};
use crate::upright::Turn;
use image::RgbImage;

/// The top's hem ([`crate::hem`]) moves the top box's bottom edge only when it lies this far
/// (fractions of the torso, shoulder centre to hip centre) below the joints' edge (the lowest of
/// hips, elbows and wrists near the torso, + 12% of the shoulders-to-hips box's height), or
/// [`SHORTER`] above the hips. On the test photos: messi5.jpg's shirt ends 0.03 above that edge
/// (kept), bus.jpg's teddy coat 0.17 below it (extended, to where the coat ends over his jeans).
const LONGER: f32 = 0.15;
/// How far above the hip joints (fractions of the torso) a hem cuts the top box (a crop top). A
/// shirt tucked in at the waist ends above the hip joints too, by less (the waist is ~0.2 of the
/// torso above them in a standing person's proportions; no tucked-in shirt among the test photos
/// measured it); messi5.jpg's shirt ends 0.15 below them.
const SHORTER: f32 = 0.3;

/// One garment's box in photo pixels and the region to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct GarmentBox {
    pub wear: Wear,
    /// What the shopper sees.
    pub rect: Rect,
    /// What is embedded: the same box, except for feet, where it is the clearest single shoe
    /// (catalog photos show one shoe, not two feet a stride apart).
    pub crop: Rect,
    pub score: f32,
    pub source: &'static str,
    /// A top that runs on past the hips to its own hem ([`crate::hem`]: a kurta, a long coat, a
    /// dress, or a top in the trousers' colour): only then is a dress crop made
    /// ([`crate::dress::dress_crop`]).
    pub long: bool,
}

/// The garment boxes of `pose` in `image` (the photo it was found in) whose landmarks are
/// visible, in the order top, bottom, foot; none for a pose that is not [`upright_in_order`].
pub fn garment_boxes(pose: &Pose, footwear: &[Detection], image: &RgbImage) -> Vec<GarmentBox> {
    let boxes = pose_boxes(pose, footwear, image);
    if upright_in_order(pose, &boxes) {
        boxes
    } else {
        Vec::new()
    }
}

/// Whether `boxes` can be trusted for `pose`: the boxes are built for a person standing in the
/// photo (collar above the shoulders, hem below the hips, the legs under the torso), so the body
/// axis must point down the photo within 45 degrees ([`Turn::of_body`]) and the boxes' centres
/// must go top, bottom, foot down the photo. A turned person is looked at upright by the
/// pipeline ([`crate::upright`]); this stops swapped boxes from ever reaching the shopper.
pub fn upright_in_order(pose: &Pose, boxes: &[GarmentBox]) -> bool {
    let mid = |[a, b]: [usize; 2]| pose.landmarks[a].point().midpoint(pose.landmarks[b].point());
    let centres: Vec<f32> = boxes.iter().map(|b| b.rect.center().y).collect();
    Turn::of_body(mid(HIPS), mid(SHOULDERS)) == Turn::UPRIGHT && centres.windows(2).all(|c| c[0] < c[1])
}

fn pose_boxes(pose: &Pose, footwear: &[Detection], image: &RgbImage) -> Vec<GarmentBox> {
    let (width, height) = (image.width() as f32, image.height() as f32);
    let seen = |i: usize| visible(&pose.landmarks, i, width, height);
    let point = |i: usize| pose.landmarks[i].point();
    let vis =
        |ids: &[usize]| ids.iter().map(|&i| pose.landmarks[i].visibility).sum::<f32>() / ids.len() as f32;
    let any_seen = |ids: &[usize]| ids.iter().any(|&i| seen(i));
    let mut out = Vec::new();

    let torso = Rect::around(SHOULDERS.iter().chain(&HIPS).map(|&i| point(i)));
    let hips = any_seen(&HIPS) || hips_below(pose, height);
    // Where the top ends when its colours say so: the bottom box then starts there.
    let mut top_hem = None;
    if let (Some(torso), true, true) = (torso, any_seen(&SHOULDERS), hips) {
        // Elbows always; wrists only when they stay near the torso (arms down or crossed): an
        // outstretched arm would fill the crop with background.
        let near = torso.pad(0.5, 0.2, 0.5, 0.2);
        let mut points: Vec<Point> =
            SHOULDERS.iter().chain(&HIPS).chain(&ELBOWS).map(|&i| point(i)).collect();
        points.extend(WRISTS.iter().map(|&i| point(i)).filter(|p| near.contains(*p)));
        let h = torso.height().max(1.0);
        let w = torso.width().max(h * 0.3);
        let around = Rect::around(points).unwrap();
        // Collar above the shoulder joints, hem below the hip joints, sleeves beside.
        let mut rect =
            Rect::new(around.x0 - 0.15 * w, around.y0 - 0.05 * h, around.x1 + 0.15 * w, around.y1 + 0.12 * h);
        // Then the garment's own hem, where its colours end (not looked for on a person cut off
        // above the hips): far below the joints' edge, a long garment; far above the hips, a
        // crop top, cut one band below its hem.
        if any_seen(&HIPS) {
            let mid = |[a, b]: [usize; 2]| point(a).midpoint(point(b));
            let length = mid(SHOULDERS).distance(mid(HIPS));
            let [shoulders, hips, knees, ankles] = [SHOULDERS, HIPS, KNEES, ANKLES].map(|p| p.map(point));
            let body = Body { shoulders, hips, knees, ankles };
            let hips_y = mid(HIPS).y;
            let inside = |p| pose.mask.holds(p);
            // Legs parted above the hem are trousers in the top's colour (a black jacket over
            // black trousers), not a long garment.
            let parted = |hem: f32| legs_part(inside, &body).is_some_and(|y| y < hem - 2.0 * BAND * length);
            match hem(image, inside, &body) {
                Some(h) if h.y > rect.y1 + LONGER * length && !parted(h.y) => {
                    rect.y1 = h.y;
                    top_hem = Some(h.y);
                }
                // A crop top's colours stay away down to the hips; crossed forearms or a bag
                // over the belly end the walk too, but the shirt shows again under them.
                Some(h)
                    if h.y < hips_y - SHORTER * length
                        && h.bands
                            .iter()
                            .filter(|b| (h.y..hips_y).contains(&b.0))
                            .all(|b| b.1 < SAME_GARMENT) =>
                {
                    rect.y1 = h.y + BAND * length
                }
                _ => {}
            }
        }
        if let Some(g) = finish(Wear::Top, rect, vis(&[SHOULDERS, HIPS].concat()), pose, width, height) {
            out.push(GarmentBox { long: top_hem.is_some(), ..g });
        }
    }

    if any_seen(&HIPS) && any_seen(&KNEES) {
        let mut ids = [HIPS, KNEES].concat();
        ids.extend(ANKLES.iter().filter(|&&i| seen(i)));
        let around = Rect::around(ids.iter().map(|&i| point(i))).unwrap();
        let [(lh, rh), (lk, rk)] = [HIPS, KNEES].map(|[l, r]| (point(l), point(r)));
        let hips = lh.distance(rh).max(around.height() * 0.15);
        let leg = lh.midpoint(rh).distance(lk.midpoint(rk)).max(1.0);
        let y0 = around.y0 - 0.15 * leg;
        let y0 = top_hem.map_or(y0, |y| y.max(y0));
        let rect = Rect::new(around.x0 - 0.35 * hips, y0, around.x1 + 0.35 * hips, around.y1 + 0.05 * leg);
        if rect.y1 <= rect.y0 {
            // The top runs down past the ankles (a gown): no bottom shows.
        } else if let Some(g) = finish(Wear::Bottom, rect, vis(&ids), pose, width, height) {
            out.push(g);
        }
    }

    if let Some(g) = foot_box(pose, footwear, width, height) {
        out.push(g);
    }
    out
}

/// `boxes` kept off the other people: a box side past the chosen `person`'s box (photo pixels)
/// is pulled back to it when one of the `others` stands on that side (their box's centre beyond
/// that edge). With people side by side, a box made from the pose or the mask (which may cover
/// an overlapping neighbour) would otherwise hold part of the next person: zidane.jpg's bending
/// man's top reached into the man beside him. Sides facing no one (a shoe below a tight SSD
/// box) stay. Boxes left empty are dropped.
pub fn within_person(boxes: Vec<GarmentBox>, person: &Rect, others: &[&Rect]) -> Vec<GarmentBox> {
    let beyond = |side: fn(Point, &Rect) -> bool| others.iter().any(|o| side(o.center(), person));
    let (left, right) = (beyond(|c, p| c.x < p.x0), beyond(|c, p| c.x > p.x1));
    let (above, below) = (beyond(|c, p| c.y < p.y0), beyond(|c, p| c.y > p.y1));
    let keep_off = |r: Rect| -> Option<Rect> {
        let x0 = if left { r.x0.max(person.x0) } else { r.x0 };
        let x1 = if right { r.x1.min(person.x1) } else { r.x1 };
        let y0 = if above { r.y0.max(person.y0) } else { r.y0 };
        let y1 = if below { r.y1.min(person.y1) } else { r.y1 };
        (x0 < x1 && y0 < y1).then_some(Rect { x0, y0, x1, y1 })
    };
    boxes
        .into_iter()
        .filter_map(|b| Some(GarmentBox { rect: keep_off(b.rect)?, crop: keep_off(b.crop)?, ..b }))
        .collect()
}

/// Whether the model places a hip, sure of it, below the photo's bottom edge (a person cut off
/// at the waist): the top then runs to the edge, as much of it as the photo shows.
fn hips_below(pose: &Pose, height: f32) -> bool {
    HIPS.iter()
        .map(|&i| &pose.landmarks[i])
        .any(|l| l.visibility >= MIN_VISIBILITY && l.presence >= MIN_VISIBILITY && l.y > height)
}

/// Clips to the photo and tightens to the mask; `None` when nothing is left.
fn finish(wear: Wear, rect: Rect, score: f32, pose: &Pose, width: f32, height: f32) -> Option<GarmentBox> {
    let rect = rect.clip(width, height)?;
    let (rect, source) = match tighten(&rect, pose) {
        Some(tight) => (tight, "pose+mask"),
        None => (rect, "pose"),
    };
    Some(GarmentBox { wear, rect, crop: rect, score, source, long: false })
}

/// Shrinks `rect` to the part the person mask covers (plus one grid step), when the mask covers
/// enough of it to be trusted.
fn tighten(rect: &Rect, pose: &Pose) -> Option<Rect> {
    const GRID: usize = 24;
    let (sx, sy) = (rect.width() / GRID as f32, rect.height() / GRID as f32);
    let inside: Vec<Point> = (0..GRID)
        .flat_map(|j| {
            (0..GRID)
                .map(move |i| Point::new(rect.x0 + (i as f32 + 0.5) * sx, rect.y0 + (j as f32 + 0.5) * sy))
        })
        .filter(|&p| pose.mask.holds(p))
        .collect();
    if inside.len() < GRID * GRID / 10 {
        return None;
    }
    let tight = Rect::around(inside)?;
    Rect::new(tight.x0 - sx, tight.y0 - sy, tight.x1 + sx, tight.y1 + sy).intersection(rect)
}

/// The foot box: every visible foot (two of ankle, heel and toe tip seen), each covered by the
/// best SSD shoe whose centre lies on it, else by its padded landmarks; the shopper sees the
/// union over the feet, so one shoe box never stands for both feet (issue 21, item 10: messi5.jpg
/// lying sideways got one shoe of two). The crop is the clearest single shoe, else the
/// clearest foot.
fn foot_box(pose: &Pose, footwear: &[Detection], width: f32, height: f32) -> Option<GarmentBox> {
    let seen = |i: usize| visible(&pose.landmarks, i, width, height);
    let union = |a: Rect, b: Rect| Rect::new(a.x0.min(b.x0), a.y0.min(b.y0), a.x1.max(b.x1), a.y1.max(b.y1));
    // Per visible foot: what covers it, its score, and whether the SSD gave it.
    let covers: Vec<(Rect, f32, bool)> = FOOT_SIDES
        .iter()
        .filter(|foot| foot.iter().filter(|&&i| seen(i)).count() >= 2)
        .map(|foot| {
            let points = Rect::around(foot.iter().map(|&i| pose.landmarks[i].point())).unwrap();
            // Padded: the landmarks sit on the ankle, heel and toe tip, not the shoe's outline.
            let size = points.width().max(points.height()).max(4.0);
            let c = points.center();
            let pad = Rect::from_center(c.x, c.y, points.width() + 0.6 * size, points.height() + 0.6 * size);
            let shoe = footwear
                .iter()
                .filter(|d| d.label.is_footwear() && pad.pad(0.3, 0.3, 0.3, 0.3).contains(d.rect.center()))
                .max_by(|a, b| a.score.total_cmp(&b.score));
            match shoe {
                Some(d) => (union(d.rect, points), d.score, true),
                None => (pad, foot.iter().map(|&i| pose.landmarks[i].visibility).sum::<f32>() / 3.0, false),
            }
        })
        .collect();
    let rect = covers.iter().map(|c| c.0).reduce(union)?;
    let by_score = |a: &&(Rect, f32, bool), b: &&(Rect, f32, bool)| a.1.total_cmp(&b.1);
    let shoes = covers.iter().filter(|c| c.2).count();
    let crop = match shoes {
        0 => covers.iter().max_by(by_score),
        _ => covers.iter().filter(|c| c.2).max_by(by_score),
    }
    .unwrap()
    .0;
    let score = covers.iter().map(|c| c.1).fold(0.0, f32::max);
    let source = match (shoes, covers.len() - shoes) {
        (0, _) => "pose",
        (_, 0) => "ssd",
        _ => "ssd+pose",
    };
    let rect = rect.clip(width, height)?;
    let crop = crop.clip(width, height)?;
    Some(GarmentBox { wear: Wear::Foot, rect, crop, score, source, long: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::tests::standing;
    use crate::body::{FEET, FOOT_SIDES};
    use crate::models::{Label, PersonMask, Roi};

    const W: f32 = 800.0;
    const H: f32 = 1000.0;

    fn pose(landmarks: Vec<crate::models::Landmark>) -> Pose {
        let roi = Roi { center: Point::new(400.0, 400.0), side: 900.0, rotation: 0.0 };
        let alignment = [Point::new(400.0, 400.0), Point::new(400.0, 50.0)];
        Pose { presence: 1.0, landmarks, mask: PersonMask::empty(), roi, alignment }
    }

    /// A blank photo: the hand-made poses have an empty mask, so no hem is found.
    fn photo() -> RgbImage {
        RgbImage::new(W as u32, H as u32)
    }

    fn shoe(rect: Rect, score: f32) -> Detection {
        Detection { label: Label::Footwear, score, rect }
    }

    /// Issue 21 item 10: one SSD shoe box on the left foot stood for both feet.
    #[test]
    fn the_foot_box_covers_every_visible_foot_when_the_ssd_sees_one_shoe() {
        let pose = pose(standing());
        let left_shoe = Rect::new(340.0, 670.0, 385.0, 712.0);
        let boxes = garment_boxes(&pose, &[shoe(left_shoe, 0.6)], &photo());
        let foot = boxes.iter().find(|b| b.wear == Wear::Foot).unwrap();
        for i in FOOT_SIDES.concat() {
            assert!(foot.rect.contains(pose.landmarks[i].point()), "landmark {i} outside {:?}", foot.rect);
        }
        assert_eq!((foot.crop, foot.source), (left_shoe, "ssd+pose"), "the crop is the one shoe");
        // Both shoes seen: the union of the two shoes; none: the padded feet.
        let right_shoe = Rect::new(418.0, 668.0, 462.0, 710.0);
        let both = garment_boxes(&pose, &[shoe(left_shoe, 0.6), shoe(right_shoe, 0.7)], &photo());
        let foot = both.iter().find(|b| b.wear == Wear::Foot).unwrap();
        assert_eq!(
            (foot.rect, foot.crop, foot.source),
            (Rect::new(340.0, 668.0, 462.0, 712.0), right_shoe, "ssd")
        );
        let none = garment_boxes(&pose, &[], &photo());
        let foot = none.iter().find(|b| b.wear == Wear::Foot).unwrap();
        assert_eq!(foot.source, "pose");
        assert!(FEET.iter().all(|&i| foot.rect.contains(pose.landmarks[i].point())));
    }

    /// Issue 21 item 7: an upside-down pose made a top box under the bottom box.
    #[test]
    fn a_pose_that_is_not_upright_gets_no_boxes() {
        let upright = garment_boxes(&pose(standing()), &[], &photo());
        assert_eq!(upright.iter().map(|b| b.wear).collect::<Vec<_>>(), [Wear::Top, Wear::Bottom, Wear::Foot]);
        let mut turned = standing();
        for l in &mut turned {
            l.y = H - l.y;
        }
        assert_eq!(garment_boxes(&pose(turned), &[], &photo()), []);
    }

    /// The standing pose (hips at row 400, knees 550, torso 200) with its person everywhere, in
    /// a photo whose top garment is one colour down to row `hem`, trousers below.
    fn boxes_with_hem_at(hem: u32) -> Vec<GarmentBox> {
        let pose = Pose { mask: PersonMask::everywhere(), ..pose(standing()) };
        let image = RgbImage::from_fn(W as u32, H as u32, |_, y| {
            image::Rgb(if y < hem { [200, 40, 50] } else { [30, 40, 120] })
        });
        garment_boxes(&pose, &[], &image)
    }

    /// Forearms crossed over a shirt's belly (rows 300-330, skin) end the hem's walk, but the
    /// shirt shows again under them: no crop-top cut.
    #[test]
    fn crossed_forearms_do_not_make_a_crop_top() {
        let pose = Pose { mask: PersonMask::everywhere(), ..pose(standing()) };
        let image = RgbImage::from_fn(W as u32, H as u32, |_, y| {
            image::Rgb(match y {
                300..330 => [220, 170, 140],
                0..420 => [200, 40, 50],
                _ => [30, 40, 120],
            })
        });
        let boxes = garment_boxes(&pose, &[], &image);
        let top = boxes.iter().find(|b| b.wear == Wear::Top).unwrap().rect;
        assert!(top.y1 > 400.0, "top {top:?} was cut at the forearms");
    }

    #[test]
    fn the_top_box_follows_the_garment_down_to_its_hem_or_up_to_it() {
        let rect = |boxes: &[GarmentBox], wear: Wear| boxes.iter().find(|b| b.wear == wear).unwrap().rect;
        // A shirt ending just below the hips: the joints' box (hips + 12% of the torso: row 424,
        // give or take the mask's grid step) stays.
        let shirt = boxes_with_hem_at(420);
        assert!((rect(&shirt, Wear::Top).y1 - 424.0).abs() < 10.0, "{:?}", rect(&shirt, Wear::Top));
        assert!(rect(&shirt, Wear::Bottom).y0 < 400.0);
        // A kurta to the knees: the top runs down to them and the bottom starts there.
        let kurta = boxes_with_hem_at(550);
        let (top, bottom) = (rect(&kurta, Wear::Top), rect(&kurta, Wear::Bottom));
        assert!((top.y1 - 550.0).abs() <= 10.0, "top {top:?}");
        assert!((bottom.y0 - top.y1).abs() <= 10.0, "bottom {bottom:?} does not start at the top's hem");
        // A crop top ending at mid-torso: cut there.
        let crop = boxes_with_hem_at(300);
        let top = rect(&crop, Wear::Top);
        assert!((300.0..=320.0).contains(&top.y1), "top {top:?}");
    }

    fn garment(wear: Wear, rect: Rect) -> GarmentBox {
        GarmentBox { wear, rect, crop: rect, score: 1.0, source: "pose", long: false }
    }

    #[test]
    fn boxes_are_pulled_back_only_towards_other_people() {
        // The chosen person at x 200..600, a neighbour to the right; the top reaches both ways
        // past the person's box (a sleeve into the neighbour, a jacket tail into the background)
        // and the foot box below it.
        let person = Rect::new(200.0, 100.0, 600.0, 700.0);
        let neighbour = Rect::new(650.0, 50.0, 1000.0, 700.0);
        let top = garment(Wear::Top, Rect::new(150.0, 250.0, 760.0, 500.0));
        let foot = garment(Wear::Foot, Rect::new(300.0, 650.0, 450.0, 720.0));
        let kept = within_person(vec![top.clone(), foot.clone()], &person, &[&neighbour]);
        assert_eq!(kept[0].rect, Rect::new(150.0, 250.0, 600.0, 500.0), "cut on the neighbour's side only");
        assert_eq!(kept[1].rect, foot.rect, "no one below: the shoe stays whole");
        // Alone, nothing is cut; a box wholly in the neighbour's direction is dropped.
        assert_eq!(within_person(vec![top.clone()], &person, &[])[0].rect, top.rect);
        let beyond = garment(Wear::Top, Rect::new(620.0, 250.0, 700.0, 500.0));
        assert!(within_person(vec![beyond], &person, &[&neighbour]).is_empty());
    }
}
