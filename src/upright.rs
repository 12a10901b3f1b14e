//! The person upright. The full-shot rule and the garment boxes read a photo with y growing from
//! head to feet; a person upside down or lying sideways (a turned photo, a handstand) would get a
//! top box under the bottom box. So when the pose says the person is turned more than 45 degrees
//! from upright, the look is made on a copy of the photo turned upright by whole quarter turns
//! (an exact pixel rotation), and its boxes, person and landmarks are mapped back onto the photo
//! the shopper sees: axis-aligned boxes map exactly under quarter turns. The crops keep the turn,
//! so the embedder samples the garment upright from the photo as it is.

use std::f32::consts::FRAC_PI_2;

use image::{imageops, DynamicImage};
use serde::{Deserialize, Serialize};

use crate::body::{EYES, FACE_VISIBILITY, HIPS, MIN_VISIBILITY, NOSE, SHOULDERS};
use crate::error::Result;
use crate::geometry::{Point, Rect};
use crate::look::{LandmarkOut, Person};
use crate::photo::Photo;

/// How far the person is turned clockwise from upright in the photo, in quarter turns (0..=3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Turn(u8);

impl Turn {
    pub const UPRIGHT: Turn = Turn(0);

    /// `quarters` quarter turns clockwise (taken modulo 4).
    pub fn new(quarters: u8) -> Turn {
        Turn(quarters % 4)
    }

    pub fn quarters(self) -> u8 {
        self.0
    }

    /// The turn of a body whose hip centre is `hips` and shoulder centre `shoulders` (photo
    /// pixels): the angle of the hips-to-shoulders axis from straight up, rounded to the nearest
    /// quarter turn, so up to 45 degrees of lean still counts as upright.
    pub fn of_body(hips: Point, shoulders: Point) -> Turn {
        // Clockwise from up in image coordinates (y down): up is (0, -1), right is (1, 0).
        let angle = (shoulders.x - hips.x).atan2(hips.y - shoulders.y);
        Turn(((angle / FRAC_PI_2).round() as i32).rem_euclid(4) as u8)
    }

    /// The turn of `person` (fractions of a `width` x `height` photo), from where the model
    /// puts the shoulders and hips: all four count, since one side is often hidden in a side
    /// view, but at least one shoulder and one hip must be seen (a portrait's guessed hips
    /// must not turn the photo), and a face ([`FACE_VISIBILITY`]: a headless chest-down crop of
    /// messi5.jpg had its hips above its shoulders); upright otherwise.
    pub fn of_person(person: &Person, width: f32, height: f32) -> Turn {
        let seen = |ids: [usize; 2]| ids.iter().any(|&i| person.landmarks[i].visibility >= MIN_VISIBILITY);
        let sure = |i: usize| person.landmarks[i].visibility >= FACE_VISIBILITY;
        if !seen(SHOULDERS) || !seen(HIPS) || !sure(NOSE) || !EYES.iter().any(|&i| sure(i)) {
            return Turn::UPRIGHT;
        }
        let at = |ids: [usize; 2]| {
            let [a, b] = ids.map(|i| person.landmarks[i].point);
            Point::new((a.x + b.x) / 2.0 * width, (a.y + b.y) / 2.0 * height)
        };
        Turn::of_body(at(HIPS), at(SHOULDERS))
    }

    /// Radians clockwise (what [`crate::geometry::Affine::rotated_square`] takes).
    pub fn radians(self) -> f32 {
        self.0 as f32 * FRAC_PI_2
    }

    /// The person's words for the turn, for a verdict.
    pub fn words(self) -> &'static str {
        match self.0 {
            0 => "upright",
            2 => "upside down",
            _ => "lying sideways",
        }
    }

    /// `photo` turned so that a person turned by `self` stands upright: the turn undone, pixel
    /// for pixel.
    pub fn upright(self, photo: &Photo) -> Result<Photo> {
        let rgb = photo.rgb();
        let turned = match self.0 {
            0 => rgb.clone(),
            1 => imageops::rotate270(rgb),
            2 => imageops::rotate180(rgb),
            _ => imageops::rotate90(rgb),
        };
        Photo::from_image(DynamicImage::ImageRgb8(turned))
    }

    /// Point `p` of the upright `width` x `height` copy ([`Turn::upright`]), in continuous pixel
    /// coordinates, as a point of the photo: the copy turned back by `self`.
    pub fn to_photo(self, p: Point, width: f32, height: f32) -> Point {
        match self.0 {
            0 => p,
            1 => Point::new(height - p.y, p.x),
            2 => Point::new(width - p.x, height - p.y),
            _ => Point::new(p.y, width - p.x),
        }
    }

    /// Box `r` of the upright `width` x `height` copy as a box of the photo (exact: quarter
    /// turns map axis-aligned boxes to axis-aligned boxes).
    pub fn rect_to_photo(self, r: &Rect, width: f32, height: f32) -> Rect {
        let a = self.to_photo(Point::new(r.x0, r.y0), width, height);
        let b = self.to_photo(Point::new(r.x1, r.y1), width, height);
        Rect::new(a.x, a.y, b.x, b.y)
    }

    /// `person` of the upright copy (fractions of it) as the person of the photo (fractions of
    /// the photo).
    pub fn person_to_photo(self, person: Person) -> Person {
        let point = |p: Point| self.to_photo(p, 1.0, 1.0);
        Person {
            rect: self.rect_to_photo(&person.rect, 1.0, 1.0),
            score: person.score,
            facing: person.facing,
            upright: self.quarters() == 0,
            landmarks: person
                .landmarks
                .into_iter()
                .map(|l| LandmarkOut { point: point(l.point), ..l })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    #[test]
    fn the_body_axis_rounds_to_the_nearest_quarter_turn() {
        let hips = Point::new(100.0, 100.0);
        let turn = |dx: f32, dy: f32| Turn::of_body(hips, Point::new(100.0 + dx, 100.0 + dy)).quarters();
        assert_eq!(turn(0.0, -50.0), 0, "shoulders above the hips");
        assert_eq!(turn(40.0, -50.0), 0, "leaning 39 degrees");
        assert_eq!(turn(50.0, -40.0), 1, "51 degrees clockwise");
        assert_eq!(turn(50.0, 0.0), 1, "head to the right");
        assert_eq!(turn(10.0, 50.0), 2, "upside down");
        assert_eq!(turn(-50.0, 5.0), 3, "head to the left");
        assert_eq!(turn(-30.0, -50.0), 0, "leaning 31 degrees the other way");
    }

    /// Each turn's upright copy holds the marked pixel where `to_photo` says it came from.
    #[test]
    fn points_of_the_upright_copy_map_back_onto_the_photo_exactly() {
        let (w, h) = (7u32, 4u32);
        for quarters in 0..4 {
            let turn = Turn::new(quarters);
            let mut rgb = RgbImage::new(w, h);
            // A person turned `quarters` clockwise: mark one pixel and see where it lands.
            rgb.put_pixel(5, 1, image::Rgb([255, 0, 0]));
            let photo = Photo::from_image(DynamicImage::ImageRgb8(rgb)).unwrap();
            let upright = turn.upright(&photo).unwrap();
            let (uw, uh) = (upright.width(), upright.height());
            let (x, y) =
                upright.rgb().enumerate_pixels().find(|p| p.2 .0[0] == 255).map(|(x, y, _)| (x, y)).unwrap();
            // The marked pixel's centre maps back to the original pixel's centre.
            let back = turn.to_photo(Point::new(x as f32 + 0.5, y as f32 + 0.5), uw as f32, uh as f32);
            assert_eq!((back.x, back.y), (5.5, 1.5), "{quarters} quarter turns");
            let r = turn.rect_to_photo(
                &Rect::new(x as f32, y as f32, x as f32 + 1.0, y as f32 + 1.0),
                uw as f32,
                uh as f32,
            );
            assert_eq!(r, Rect::new(5.0, 1.0, 6.0, 2.0), "{quarters} quarter turns");
        }
    }
}
