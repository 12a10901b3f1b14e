//! The vector operations the embeddings and weights need everywhere (the embedder's output,
//! training, retrieval scores, benchmarks, int8 export): one definition each.

/// `v` scaled to unit length (L2); a zero vector stays zero.
pub fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// The dot product of `a` and `b` over their common length: the cosine similarity of unit
/// vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The scale of symmetric int8 for values up to `max_abs` in magnitude: `max_abs / 127` (1 for
/// all zeros), so that `v ~= scale * round(v / scale)` with the rounded value in -127..=127, as
/// models/build's recipe quantizes weights (per output channel).
pub fn int8_scale(max_abs: f32) -> f32 {
    if max_abs > 0.0 {
        max_abs / 127.0
    } else {
        1.0
    }
}

/// `v` in int8 steps of `scale` ([`int8_scale`]), rounded and clamped to -127..=127.
pub fn to_int8(v: f32, scale: f32) -> i8 {
    (v / scale).round().clamp(-127.0, 127.0) as i8
}
