//! The full-shot rule: a look can only be shopped whole when the head, shoulders, hips, knees,
//! ankles and feet are all visible and inside the photo. When they are not, the verdict says
//! which part is missing, in the words a shopper understands.

use crate::look::Verdict;
use crate::models::Pose;

/// A landmark counts when the model thinks it is visible and it lies inside the photo.
pub const MIN_VISIBILITY: f32 = 0.5;
/// Landmarks this close to the border (fraction of the side) count as outside: a foot at the
/// very edge is usually cut.
const EDGE: f32 = 0.005;

/// Body parts from the top down, each with its landmark indices; a part is present when any of
/// its landmarks is (one side is often hidden by the other in a side view).
const HEAD: &[usize] = &[0, 2, 5, 7, 8];
const SHOULDERS: &[usize] = &[11, 12];
const HIPS: &[usize] = &[23, 24];
const KNEES: &[usize] = &[25, 26];
const ANKLES: &[usize] = &[27, 28];
const FEET: &[usize] = &[29, 30, 31, 32];

/// Whether landmark `i` of `pose` is visible inside a `width` x `height` photo.
pub fn visible(pose: &Pose, i: usize, width: f32, height: f32) -> bool {
    let l = &pose.landmarks[i];
    let (mx, my) = (EDGE * width, EDGE * height);
    l.visibility >= MIN_VISIBILITY
        && l.presence >= MIN_VISIBILITY
        && (mx..=width - mx).contains(&l.x)
        && (my..=height - my).contains(&l.y)
        && plausible(pose, i)
}

/// A knee or ankle closer to the joint above it than 40% of the torso's length is the model
/// guessing (a half-body portrait, a bulky suit: astronaut.png's "knees" sat just under its
/// hips), and so is anything hanging from such a joint.
fn plausible(pose: &Pose, i: usize) -> bool {
    let parent = match i {
        25 | 26 => i - 2,
        27 | 28 => i - 2,
        29 | 31 => 27,
        30 | 32 => 28,
        _ => return true,
    };
    let p = |i: usize| pose.landmarks[i].point();
    let torso = p(11).midpoint(p(12)).distance(p(23).midpoint(p(24)));
    let long_enough = i > 28 || p(i).distance(p(parent)) >= 0.4 * torso;
    long_enough && plausible(pose, parent)
}

fn present(pose: &Pose, part: &[usize], width: f32, height: f32) -> bool {
    part.iter().any(|&i| visible(pose, i, width, height))
}

/// The verdict for the chosen person's `pose` (`None`: nobody found) in a photo of `people`;
/// `who` says how that person was chosen among several ("the largest, most central one").
pub fn verdict(pose: Option<&Pose>, width: f32, height: f32, people: usize, who: &str) -> Verdict {
    let Some(pose) = pose else {
        return Verdict {
            full_shot: false,
            message: "not a full shot: no person found".into(),
            reasons: vec!["no_person"],
            people: 0,
        };
    };
    let has = |part| present(pose, part, width, height);
    let mut reasons = Vec::new();
    let mut words = Vec::new();
    if !has(HEAD) {
        reasons.push("head_not_visible");
        words.push("head not visible");
    }
    if !has(SHOULDERS) {
        reasons.push("shoulders_not_visible");
        words.push("shoulders not visible");
    }
    // The first missing part going down says where the photo cuts the person.
    let cut = [
        (HIPS, "only_upper_body", "only the upper body is visible"),
        (KNEES, "cut_at_hips", "cut off at the hips"),
        (ANKLES, "cut_at_knees", "cut off at the knees"),
        (FEET, "feet_not_visible", "feet not visible"),
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
