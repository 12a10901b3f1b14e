//! Whose look it is: the people both detectors see (the SSD's person boxes and the pose
//! detector's faces, merged when they are the same person), the largest, most central one of
//! them, how many people the verdict counts, and where that person is when only the pose found
//! them.

use crate::body::MIN_VISIBILITY;
use crate::geometry::{Point, Rect};
use crate::look::{LandmarkOut, Person};
use crate::models::{PersonDetection, Pose, LANDMARK_NAMES};

/// Other people count when their box is at least this fraction of the chosen one's (smaller
/// ones are passers-by in the background).
const PEOPLE_MIN_AREA: f32 = 0.25;

/// Two pose detections are one person when their face boxes overlap by more than this (the
/// pose detector's own suppression threshold, MediaPipe's 0.3).
const SAME_FACE_IOU: f32 = 0.3;

/// Where the pose detector looks in a photo more than 4:3 wide: as few squares of the height as
/// cover the width, spread evenly from end to end, instead of the whole photo (the squares cover
/// it, and each run costs as much as the whole photo's). Letterboxed whole, a 16:9 photo shrinks
/// people to 56% of what a square of its height shows them at, and zidane.jpg's bending man is
/// found only in such a square (face score 0.77 there, under 0.5 whole). Empty (the detector
/// looks at the whole photo) for squarer and for tall photos: people stand side by side, so a
/// group photo is wide, and a tall photo's squares would cut a standing person in two.
pub fn tiles(w: f32, h: f32) -> Vec<Rect> {
    if w <= h * 4.0 / 3.0 || h < 1.0 {
        return Vec::new();
    }
    let n = (w / h).ceil() as usize;
    (0..n)
        .map(|i| {
            let at = (w - h) * i as f32 / (n - 1) as f32;
            Rect::new(at, 0.0, at + h, h)
        })
        .collect()
}

/// One detection per person from the pose detector's passes (the whole photo or its [`tiles`]): a
/// detection whose face box overlaps a better one's by more than [`SAME_FACE_IOU`], or whose
/// face centre lies in it, is that person again. Best score first.
pub fn distinct_faces(mut found: Vec<PersonDetection>) -> Vec<PersonDetection> {
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<PersonDetection> = Vec::new();
    for d in found {
        let same = |k: &PersonDetection| {
            k.rect.iou(&d.rect) > SAME_FACE_IOU
                || k.rect.contains(d.rect.center())
                || d.rect.contains(k.rect.center())
        };
        if !kept.iter().any(same) {
            kept.push(d);
        }
    }
    kept
}

/// A person seen by either detector: the SSD's box, the pose detector's detection, or both.
#[derive(Debug, Clone)]
pub struct Seen {
    pub ssd: Option<Rect>,
    pub detection: Option<PersonDetection>,
}

/// The people `ssd` boxes and pose `detections` show together: each detection (best first) is
/// the person of the smallest SSD box, not yet taken, that holds its face centre (the smallest:
/// SSD boxes of two people standing close also hold both faces); detections without such a box
/// and SSD boxes without a detection are people of their own.
pub fn merge_people(ssd: &[&Rect], detections: Vec<PersonDetection>) -> Vec<Seen> {
    let mut taken = vec![false; ssd.len()];
    let mut out = Vec::new();
    for d in detections {
        let face = d.rect.center();
        let own = (0..ssd.len())
            .filter(|&i| !taken[i] && ssd[i].contains(face))
            .min_by(|&a, &b| ssd[a].area().total_cmp(&ssd[b].area()));
        if let Some(i) = own {
            taken[i] = true;
        }
        out.push(Seen { ssd: own.map(|i| *ssd[i]), detection: Some(d) });
    }
    out.extend(
        ssd.iter().zip(taken).filter(|(_, t)| !t).map(|(r, _)| Seen { ssd: Some(**r), detection: None }),
    );
    out
}

/// Whether two person boxes are one person's: they share at least half of the smaller one.
pub fn same_person(a: &Rect, b: &Rect) -> bool {
    a.intersection(b).is_some_and(|i| i.area() >= 0.5 * a.area().min(b.area()))
}

/// Whether box `r` lies mostly (half its area or more) inside `body`, the chosen person's
/// landmarks' box: a part of them, not someone else (on a small person the SSD splits one body
/// into several person boxes: messi5.jpg at 1/4 gets three, the kicking leg and arm apart).
pub fn part_of(r: &Rect, body: &Rect) -> bool {
    r.intersection(body).is_some_and(|i| i.area() >= 0.5 * r.area())
}

/// The largest, most central person among `people` (boxes in a `w` x `h` photo): area weighted
/// by closeness to the photo's centre (1 at the centre, 0.5 half a diagonal away).
pub fn main_person<'a>(people: &[&'a Rect], w: f32, h: f32) -> Option<&'a Rect> {
    people.iter().copied().max_by(|a, b| prominence(a, w, h).total_cmp(&prominence(b, w, h)))
}

/// How much person box `r` stands out in a `w` x `h` photo, as [`main_person`] ranks people: its
/// area (square pixels) times one minus its centre's distance from the photo's centre over the
/// diagonal.
pub fn prominence(r: &Rect, w: f32, h: f32) -> f32 {
    let c = r.center();
    let off = (c.x - w / 2.0).hypot(c.y - h / 2.0) / w.hypot(h);
    r.area() * (1.0 - off)
}

/// How many people the verdict names: none without a pose; else at least the one posed, and
/// with a box for them (`main`), every person box at least [`PEOPLE_MIN_AREA`] of it.
pub fn people_count(people: &[&Rect], main: Option<&Rect>, posed: bool) -> usize {
    match (main, posed) {
        (_, false) => 0,
        (None, true) => people.len().max(1),
        (Some(m), true) => people.iter().filter(|r| counts_beside(r, m)).count().max(1),
    }
}

/// Whether person box `r` counts beside the chosen person's box `main`: at least
/// [`PEOPLE_MIN_AREA`] of its area.
pub fn counts_beside(r: &Rect, main: &Rect) -> bool {
    r.area() >= PEOPLE_MIN_AREA * main.area()
}

/// The person's box in a `w` x `h` photo: the SSD's box when there is one, else the visible
/// landmarks' box padded by 10% a side (the pose detector's own box, `face`, is only the face,
/// and the fallback when no landmark is visible).
pub fn person_rect(main: Option<&Rect>, pose: &Pose, face: Rect, w: f32, h: f32) -> Rect {
    main.copied().unwrap_or_else(|| {
        let seen = pose.landmarks.iter().filter(|l| l.visibility >= MIN_VISIBILITY);
        let around = Rect::around(seen.map(|l| l.point())).unwrap_or(face);
        around.pad(0.1, 0.1, 0.1, 0.1).clip(w, h).unwrap_or(around)
    })
}

/// The person as the look reports them: box and landmarks as fractions of the `w` x `h` photo.
pub fn person(rect: Rect, score: f32, pose: &Pose, w: f32, h: f32) -> Person {
    Person {
        rect: rect.normalized(w, h),
        score,
        facing: crate::body::facing(&pose.landmarks, w, h),
        upright: true,
        landmarks: LANDMARK_NAMES
            .iter()
            .zip(&pose.landmarks)
            .map(|(name, l)| LandmarkOut {
                name,
                point: Point::new(l.x / w, l.y / h),
                visibility: l.visibility,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_most_central_person_is_chosen() {
        // 1000 x 600 photo: a big person at the edge, a slightly smaller one in the middle.
        let edge = Rect::new(0.0, 0.0, 220.0, 600.0);
        let centre = Rect::new(400.0, 50.0, 600.0, 600.0);
        let small = Rect::new(480.0, 250.0, 520.0, 350.0);
        let chosen = main_person(&[&edge, &centre, &small], 1000.0, 600.0);
        assert_eq!(chosen, Some(&centre));
        // A much larger person wins even off centre.
        let large = Rect::new(0.0, 0.0, 500.0, 600.0);
        assert_eq!(main_person(&[&large, &centre], 1000.0, 600.0), Some(&large));
        assert_eq!(main_person(&[], 1000.0, 600.0), None);
    }

    fn face(x: f32, y: f32, side: f32, score: f32) -> PersonDetection {
        let p = Point::new(x, y + 3.0 * side);
        PersonDetection { score, rect: Rect::from_center(x, y, side, side), keypoints: [p; 4] }
    }

    #[test]
    fn wide_photos_get_overlapping_square_tiles() {
        // 16:9: two squares of the height, at both ends.
        let t = tiles(1280.0, 720.0);
        assert_eq!(t.iter().map(|r| r.x0).collect::<Vec<_>>(), [0.0, 560.0]);
        assert!(t.iter().all(|r| r.width() == 720.0 && r.height() == 720.0));
        // 2.5:1 needs three; 4:3, squarer and tall photos are looked at whole.
        assert!(tiles(600.0, 1200.0).is_empty());
        assert_eq!(tiles(1000.0, 400.0).iter().map(|r| r.x0).collect::<Vec<_>>(), [0.0, 300.0, 600.0]);
        assert!(tiles(800.0, 600.0).is_empty() && tiles(500.0, 500.0).is_empty());
    }

    #[test]
    fn one_person_found_twice_is_one_and_faces_join_their_ssd_box() {
        // The same face from the whole photo (large box, lower score) and from a tile.
        let whole = face(940.0, 250.0, 250.0, 0.51);
        let tile = face(938.0, 247.0, 144.0, 0.73);
        let other = face(500.0, 387.0, 144.0, 0.77);
        let faces = distinct_faces(vec![whole, tile.clone(), other.clone()]);
        assert_eq!(faces, [other.clone(), tile.clone()]);

        // Two SSD boxes hold the right man's face; the smaller one is his. The left man has
        // none; a third SSD box has no face (a person turned away).
        let both = Rect::new(90.0, 150.0, 1120.0, 720.0);
        let right = Rect::new(740.0, 40.0, 1150.0, 720.0);
        let away = Rect::new(0.0, 400.0, 170.0, 720.0);
        let seen = merge_people(&[&both, &right, &away], faces);
        let summary: Vec<(Option<Rect>, Option<f32>)> =
            seen.iter().map(|s| (s.ssd, s.detection.as_ref().map(|d| d.score))).collect();
        assert_eq!(
            summary,
            [(Some(both), Some(0.77)), (Some(right), Some(0.73)), (Some(away), None)],
            "each face joins the smallest free box holding it; the faceless box is a person too"
        );
    }

    #[test]
    fn boxes_sharing_half_are_one_person_and_parts_inside_a_body_are_its_own() {
        let body = Rect::new(0.0, 0.0, 100.0, 200.0);
        // A loose SSD box around a small person and their landmarks' box.
        assert!(same_person(&Rect::new(10.0, 20.0, 150.0, 220.0), &body));
        assert!(!same_person(&Rect::new(80.0, 0.0, 180.0, 200.0), &body), "a fifth shared: a neighbour");
        // A leg split off by the SSD lies mostly inside the body; a neighbour does not.
        assert!(part_of(&Rect::new(60.0, 120.0, 120.0, 200.0), &body));
        assert!(!part_of(&Rect::new(70.0, 0.0, 170.0, 200.0), &body));
    }

    #[test]
    fn people_smaller_than_a_quarter_of_the_chosen_one_are_not_counted() {
        let main = Rect::new(0.0, 0.0, 100.0, 400.0);
        let near = Rect::new(200.0, 0.0, 260.0, 200.0); // 0.3 of main
        let far = Rect::new(300.0, 0.0, 340.0, 100.0); // 0.1 of main
        let people = [&main, &near, &far];
        assert_eq!(people_count(&people, Some(&main), true), 2);
        assert_eq!(people_count(&people, None, true), 3, "no SSD box for the posed person: all count");
        assert_eq!(people_count(&[], None, true), 1, "the posed person counts without any SSD box");
        assert_eq!(people_count(&people, Some(&main), false), 0, "no pose, nobody");
    }
}
