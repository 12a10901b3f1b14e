//! The two vector operations the embeddings need everywhere (the embedder's output, training,
//! retrieval scores, benchmarks): one definition each.

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
