//! Whose look it is: among the people the SSD finds, the largest, most central one; how many
//! people the verdict counts; and where that person is when only the pose found them.

use crate::body::MIN_VISIBILITY;
use crate::geometry::{Point, Rect};
use crate::look::{LandmarkOut, Person};
use crate::models::{Pose, LANDMARK_NAMES};

/// Other people count when their box is at least this fraction of the chosen one's (smaller
/// ones are passers-by in the background).
const PEOPLE_MIN_AREA: f32 = 0.25;

/// The largest, most central person among `people` (boxes in a `w` x `h` photo): area weighted
/// by closeness to the photo's centre (1 at the centre, 0.5 half a diagonal away).
pub fn main_person<'a>(people: &[&'a Rect], w: f32, h: f32) -> Option<&'a Rect> {
    let diagonal = w.hypot(h);
    let weight = |r: &Rect| {
        let c = r.center();
        let off = (c.x - w / 2.0).hypot(c.y - h / 2.0) / diagonal;
        r.area() * (1.0 - off)
    };
    people.iter().copied().max_by(|a, b| weight(a).total_cmp(&weight(b)))
}

/// How many people the verdict names: none without a pose; else at least the one posed, and
/// with an SSD box for them (`main`), every person box at least [`PEOPLE_MIN_AREA`] of it.
pub fn people_count(people: &[&Rect], main: Option<&Rect>, posed: bool) -> usize {
    match (main, posed) {
        (_, false) => 0,
        (None, true) => people.len().max(1),
        (Some(m), true) => people.iter().filter(|r| r.area() >= PEOPLE_MIN_AREA * m.area()).count().max(1),
    }
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
