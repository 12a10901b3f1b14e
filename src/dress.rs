//! The dress rule. A dress covers top and bottom, so when the catalog has dresses for the
//! shopper's audience and the top runs on past the hips to its own hem (`GarmentBox::long`: a
//! dress's colours go on down the body, a shirt's end at the shorts; [`DressCrop`]), the region
//! from the top box's top to the bottom box's bottom is embedded and searched among dresses too.
//! The dress replaces the top and bottom rows when its best match is more similar than both the
//! best top and the best bottom match: the catalog itself says which reading of the photo it
//! can serve better.

use crate::catalog::Wear;
use crate::colour::BINS;
use crate::garments::GarmentBox;
use crate::geometry::Rect;
use crate::look::Recommendation;
use crate::matcher::{Crop, Matched};
use crate::upright::Turn;

/// When a look's locate step makes a dress crop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DressCrop {
    /// The catalog has no dresses for the shopper.
    Never,
    /// A shopper's photo: only when the top is [`GarmentBox::long`]. Without this gate, on the
    /// clothing demo catalog (whose dresses match any torso about as well as its tops do) 7 of
    /// the 70 full shots of bench/evidence, all men in shirts with shorts or trousers, were read
    /// as dresses (BENCHMARKS.md "The colour demo catalog"), and every look paid a fourth
    /// embedding.
    IfTheTopIsLong,
    /// A catalog photo of a dress: the product says what it is.
    Always,
}

/// The dress crop of `boxes` (its colour still to be read) when `when` allows it: the top's top
/// to the bottom's bottom, as wide as either; `None` without both a top and a bottom, or when
/// the top is not above the bottom (a turned person's swapped boxes would make a strip across
/// the thighs).
pub fn dress_crop(boxes: &[GarmentBox], when: DressCrop) -> Option<Crop> {
    let find = |wear| boxes.iter().find(|b| b.wear == wear);
    let (t, b) = (find(Wear::Top)?, find(Wear::Bottom)?);
    let allowed = match when {
        DressCrop::Never => false,
        DressCrop::IfTheTopIsLong => t.long,
        DressCrop::Always => true,
    };
    if !allowed || t.rect.center().y >= b.rect.center().y || t.rect.y0 >= b.rect.y1 {
        return None;
    }
    let rect = Rect::new(t.rect.x0.min(b.rect.x0), t.rect.y0, t.rect.x1.max(b.rect.x1), b.rect.y1);
    Some(Crop { wear: Wear::Dress, rect, turn: Turn::UPRIGHT, colour: [0.0; BINS] })
}

/// The garments with their products after the rule: the dress crop and its matches replace the
/// top and the bottom (the feet stay) when its best match beats both of theirs; otherwise
/// `garments` unchanged.
pub fn dress_rule(
    garments: Vec<(GarmentBox, Vec<Recommendation>)>,
    dress: Option<(Crop, Matched)>,
) -> Vec<(GarmentBox, Vec<Recommendation>)> {
    let Some((crop, dress)) = dress else {
        return garments;
    };
    let best = |hits: &[Recommendation]| hits.first().map_or(-1.0, |h| h.similarity);
    let of = |wear| garments.iter().find(|(b, _)| b.wear == wear);
    let (Some((t, top)), Some((b, bottom))) = (of(Wear::Top), of(Wear::Bottom)) else {
        return garments;
    };
    let dress_best = best(&dress.products);
    if dress_best <= best(top) || dress_best <= best(bottom) {
        return garments;
    }
    let dress_box = GarmentBox {
        wear: Wear::Dress,
        rect: crop.rect,
        crop: crop.rect,
        score: t.score.min(b.score),
        source: "pose+dress",
        long: false,
    };
    let mut out = vec![(dress_box, dress.products)];
    out.extend(garments.into_iter().filter(|(b, _)| b.wear == Wear::Foot));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn garment(wear: Wear, rect: Rect, score: f32) -> GarmentBox {
        GarmentBox { wear, rect, crop: rect, score, source: "pose", long: wear == Wear::Top }
    }

    fn products(wear: &str, similarity: f32) -> Vec<Recommendation> {
        vec![Recommendation {
            id: format!("{wear}-1"),
            title: wear.into(),
            link: "https://shop.example/p".into(),
            image: String::new(),
            price: String::new(),
            category: format!("women-{wear}"),
            similarity,
        }]
    }

    /// The garment rows and the matched dress crop, as `dress_rule` takes them.
    type Rows = (Vec<(GarmentBox, Vec<Recommendation>)>, Option<(Crop, Matched)>);

    /// Top 0.8, bottom 0.7, a foot row; the dress crop matched with `dress` similarity.
    fn look(dress: f32) -> Rows {
        let top = garment(Wear::Top, Rect::new(100.0, 100.0, 300.0, 300.0), 0.9);
        let bottom = garment(Wear::Bottom, Rect::new(120.0, 280.0, 320.0, 600.0), 0.6);
        let foot = garment(Wear::Foot, Rect::new(130.0, 600.0, 310.0, 650.0), 0.8);
        let crop =
            dress_crop(&[top.clone(), bottom.clone(), foot.clone()], DressCrop::IfTheTopIsLong).unwrap();
        let matched = Matched {
            wear: Wear::Dress,
            products: products("dress", dress),
            embed_ms: 0.0,
            search_ms: 0.0,
            multiply_adds: 0.0,
        };
        let garments = vec![
            (top, products("top", 0.8)),
            (bottom, products("bottom", 0.7)),
            (foot, products("foot", 0.5)),
        ];
        (garments, Some((crop, matched)))
    }

    #[test]
    fn the_dress_crop_spans_top_and_bottom() {
        let (garments, dress) = look(0.0);
        let boxes: Vec<GarmentBox> = garments.into_iter().map(|(b, _)| b).collect();
        assert_eq!(dress.unwrap().0.rect, Rect::new(100.0, 100.0, 320.0, 600.0));
        assert_eq!(dress_crop(&boxes[1..], DressCrop::Always), None, "no top, no dress");
        assert_eq!(dress_crop(&boxes, DressCrop::Never), None);
        let mut short = boxes.clone();
        short[0].long = false;
        assert_eq!(
            dress_crop(&short, DressCrop::IfTheTopIsLong),
            None,
            "a top that ends at the hips: no dress"
        );
        assert!(dress_crop(&short, DressCrop::Always).is_some(), "a catalog photo of a dress");
        // Issue 21 item 7: an upside-down person's top box lay under the bottom box, and the
        // crop from the top's top to the bottom's bottom was a strip across the thighs.
        let mut swapped = boxes.clone();
        swapped[0].rect = Rect::new(100.0, 500.0, 300.0, 700.0);
        swapped[1].rect = Rect::new(120.0, 200.0, 320.0, 520.0);
        assert_eq!(dress_crop(&swapped, DressCrop::Always), None, "top under the bottom");
    }

    #[test]
    fn a_dress_that_matches_better_than_top_and_bottom_replaces_them() {
        let (garments, dress) = look(0.85);
        let out = dress_rule(garments, dress);
        let wears: Vec<Wear> = out.iter().map(|(b, _)| b.wear).collect();
        assert_eq!(wears, [Wear::Dress, Wear::Foot]);
        let (dress_box, products) = &out[0];
        assert_eq!(dress_box.rect, Rect::new(100.0, 100.0, 320.0, 600.0));
        assert_eq!((dress_box.score, dress_box.source), (0.6, "pose+dress"), "the weaker of top and bottom");
        assert_eq!(products[0].id, "dress-1");
    }

    #[test]
    fn a_dress_that_beats_only_one_of_them_does_not() {
        for similarity in [0.75, 0.8, 0.2] {
            let (garments, dress) = look(similarity);
            let out = dress_rule(garments.clone(), dress);
            assert_eq!(out, garments, "dress at {similarity}");
        }
    }
}
