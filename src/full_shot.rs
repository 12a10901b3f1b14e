//! The full-shot rule: a look can only be shopped whole when the head, shoulders, hips, knees,
//! ankles and feet are all visible and inside the photo. When they are not, the verdict says
//! which part is missing, in the words a shopper understands. What "visible" means is
//! [`crate::body`]'s.

use crate::body::{any_visible, ANKLES, FEET, HEAD, HIPS, KNEES, SHOULDERS};
use crate::look::Verdict;
use crate::models::Landmark;
use crate::upright::Turn;

/// The verdict for the chosen person's 33 `landmarks` in photo pixels (`None`: nobody found) in
/// a `width` x `height` photo of `people`; `who` says how that person was chosen among several
/// ("the largest, most central one").
pub fn verdict(landmarks: Option<&[Landmark]>, width: f32, height: f32, people: usize, who: &str) -> Verdict {
    let Some(landmarks) = landmarks else {
        return Verdict {
            full_shot: false,
            message: "not a full shot: no person found".into(),
            reasons: vec!["no_person"],
            people: 0,
        };
    };
    let has = |part: &[usize]| any_visible(landmarks, part, width, height);
    let mut reasons = Vec::new();
    let mut words = Vec::new();
    if !has(&HEAD) {
        reasons.push("head_not_visible");
        words.push("head not visible");
    }
    if !has(&SHOULDERS) {
        reasons.push("shoulders_not_visible");
        words.push("shoulders not visible");
    }
    // The first missing part going down says where the photo cuts the person.
    let cut = [
        (&HIPS[..], "only_upper_body", "only the upper body is visible"),
        (&KNEES[..], "cut_at_hips", "cut off at the hips"),
        (&ANKLES[..], "cut_at_knees", "cut off at the knees"),
        (&FEET[..], "feet_not_visible", "feet not visible"),
    ]
    .into_iter()
    .find(|(part, _, _)| !has(part));
    if let Some((_, reason, text)) = cut {
        reasons.push(reason);
        words.push(text);
    }
    let full_shot = reasons.is_empty();
    let message = match (full_shot, people > 1) {
        (true, false) => "full shot".to_string(),
        (true, true) => format!("full shot ({people} people: the look is {who}'s)"),
        (false, false) => format!("not a full shot: {}", words.join(", ")),
        (false, true) => {
            format!("not a full shot: {people} people; {who}: {}", words.join(", "))
        }
    };
    Verdict { full_shot, message, reasons, people }
}

/// The verdict for a person turned by `turn` (not upright) in a photo of `people`, when the
/// photo turned upright does not show them upright either: the rule reads a standing body, so
/// it cannot say more, and no garment box is made.
pub fn turned(turn: Turn, people: usize) -> Verdict {
    Verdict {
        full_shot: false,
        message: format!("not a full shot: the person is {}", turn.words()),
        reasons: vec![if turn.quarters() == 2 { "upside_down" } else { "lying_sideways" }],
        people,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::tests::standing;

    const W: f32 = 800.0;
    const H: f32 = 1000.0;

    /// `pose` with the landmarks of `parts` hidden (visibility 0.1).
    fn hiding(mut pose: Vec<Landmark>, parts: &[&[usize]]) -> Vec<Landmark> {
        for &i in parts.iter().flat_map(|p| p.iter()) {
            pose[i].visibility = 0.1;
        }
        pose
    }

    #[test]
    fn head_to_toe_is_a_full_shot() {
        let v = verdict(Some(&standing()), W, H, 1, "the only one");
        assert_eq!((v.full_shot, v.message.as_str(), v.reasons.len(), v.people), (true, "full shot", 0, 1));
        let v = verdict(Some(&standing()), W, H, 3, "the largest, most central one");
        assert_eq!(v.message, "full shot (3 people: the look is the largest, most central one's)");
    }

    #[test]
    fn the_first_missing_part_going_down_says_where_the_photo_cuts() {
        let cases: [(&[&[usize]], &str, &str); 4] = [
            (&[&HIPS, &KNEES, &ANKLES, &FEET], "only_upper_body", "only the upper body is visible"),
            (&[&KNEES, &ANKLES, &FEET], "cut_at_hips", "cut off at the hips"),
            (&[&ANKLES, &FEET], "cut_at_knees", "cut off at the knees"),
            (&[&FEET], "feet_not_visible", "feet not visible"),
        ];
        for (hidden, reason, text) in cases {
            let v = verdict(Some(&hiding(standing(), hidden)), W, H, 1, "the only one");
            assert!(!v.full_shot);
            assert_eq!(v.reasons, [reason]);
            assert_eq!(v.message, format!("not a full shot: {text}"));
        }
    }

    #[test]
    fn a_missing_head_and_shoulders_are_named_with_the_cut() {
        let v = verdict(
            Some(&hiding(standing(), &[&HEAD, &SHOULDERS, &FEET])),
            W,
            H,
            2,
            "the one facing the camera",
        );
        assert_eq!(v.reasons, ["head_not_visible", "shoulders_not_visible", "feet_not_visible"]);
        assert_eq!(
            v.message,
            "not a full shot: 2 people; the one facing the camera: head not visible, shoulders not visible, feet not visible"
        );
    }

    #[test]
    fn feet_at_the_bottom_edge_are_cut_off() {
        let mut pose = standing();
        for i in FEET {
            pose[i].y = H - 1.0;
        }
        assert_eq!(verdict(Some(&pose), W, H, 1, "").reasons, ["feet_not_visible"]);
    }

    #[test]
    fn a_person_who_stays_turned_is_named_so() {
        let v = turned(Turn::new(2), 1);
        assert_eq!(
            (v.full_shot, v.message.as_str(), v.reasons),
            (false, "not a full shot: the person is upside down", vec!["upside_down"])
        );
        assert_eq!(turned(Turn::new(3), 2).message, "not a full shot: the person is lying sideways");
    }

    #[test]
    fn nobody_found() {
        let v = verdict(None, W, H, 0, "");
        assert_eq!((v.full_shot, v.reasons, v.people), (false, vec!["no_person"], 0));
        assert_eq!(v.message, "not a full shot: no person found");
    }
}
