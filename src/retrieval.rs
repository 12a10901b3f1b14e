//! How well embeddings retrieve products of the same kind: the measures `vitrine eval` reports
//! (class precision@5, recall@1 and @5, mAP@5 on a held-out split, and 1-NN accuracy against a
//! reference set), and a PCA baseline. Brute force on unit vectors: these sets are small.

use serde::Serialize;

use crate::vector::dot;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Mean share of the 5 nearest (others in the held-out set) with the query's label.
    pub precision_at_5: f64,
    /// Share of queries whose nearest other item has their label.
    pub recall_at_1: f64,
    /// Share of queries with at least one of the 5 nearest of their label.
    pub recall_at_5: f64,
    /// Mean average precision over the 5 nearest.
    pub map_at_5: f64,
    /// Share of held-out items whose nearest reference item (the training set) has their label.
    pub nn1_accuracy: f64,
}

/// Indices of the `k` items of `gallery` most similar to `query` (cosine; unit vectors),
/// leaving out `skip`.
fn nearest(query: &[f32], gallery: &[Vec<f32>], k: usize, skip: Option<usize>) -> Vec<usize> {
    let mut scored: Vec<(f32, usize)> = gallery
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(i, g)| (dot(query, g), i))
        .collect();
    let k = k.min(scored.len());
    if k == 0 {
        return Vec::new();
    }
    scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(k);
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

/// Retrieval within `test` (each item against all the others) and 1-NN classification of
/// `test` against `reference`. Vectors must be unit length.
pub fn evaluate(
    test: &[Vec<f32>],
    test_labels: &[u32],
    reference: &[Vec<f32>],
    reference_labels: &[u32],
) -> Metrics {
    const K: usize = 5;
    let n = test.len().max(1) as f64;
    let (mut p5, mut r1, mut r5, mut map5, mut nn1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (q, (query, &label)) in test.iter().zip(test_labels).enumerate() {
        let relevant_total = test_labels.iter().enumerate().filter(|&(i, &l)| i != q && l == label).count();
        let hits: Vec<bool> =
            nearest(query, test, K, Some(q)).into_iter().map(|i| test_labels[i] == label).collect();
        p5 += hits.iter().filter(|&&h| h).count() as f64 / K as f64;
        r1 += f64::from(u8::from(hits.first() == Some(&true)));
        r5 += f64::from(u8::from(hits.contains(&true)));
        let (mut found, mut ap) = (0usize, 0.0);
        for (rank, &hit) in hits.iter().enumerate() {
            if hit {
                found += 1;
                ap += found as f64 / (rank + 1) as f64;
            }
        }
        if relevant_total > 0 {
            map5 += ap / relevant_total.min(K) as f64;
        }
        if let Some(&best) = nearest(query, reference, 1, None).first() {
            nn1 += f64::from(u8::from(reference_labels[best] == label));
        }
    }
    Metrics {
        precision_at_5: p5 / n,
        recall_at_1: r1 / n,
        recall_at_5: r5 / n,
        map_at_5: map5 / n,
        nn1_accuracy: nn1 / n,
    }
}

/// Mean share of the 5 items of `test` nearest each item (the others; unit vectors) whose
/// `value` equals its own: precision@5 for any property of the items, e.g. the garment's
/// dominant colour ([`crate::colour::dominant`]) as issue 23 measures it. Items without a value
/// (`None`: an empty region) are not queries, and match nothing.
pub fn agreement_at_5<T: PartialEq>(test: &[Vec<f32>], values: &[Option<T>]) -> f64 {
    const K: usize = 5;
    let (mut sum, mut queries) = (0.0, 0usize);
    for (q, query) in test.iter().enumerate() {
        let Some(value) = &values[q] else { continue };
        let near = nearest(query, test, K, Some(q));
        sum += near.iter().filter(|&&i| values[i].as_ref() == Some(value)).count() as f64 / K as f64;
        queries += 1;
    }
    sum / queries.max(1) as f64
}

/// What [`agreement_at_5`] would be if the 5 were drawn at random from the others: the mean,
/// over the items with a value, of the share of the other items with the same value.
pub fn chance_agreement<T: PartialEq>(values: &[Option<T>]) -> f64 {
    let n = values.len();
    let queries: Vec<usize> = (0..n).filter(|&q| values[q].is_some()).collect();
    if n < 2 || queries.is_empty() {
        return 0.0;
    }
    let same = |q: usize| values.iter().enumerate().filter(|&(i, v)| i != q && *v == values[q]).count();
    queries.iter().map(|&q| same(q) as f64 / (n - 1) as f64).sum::<f64>() / queries.len() as f64
}

/// Where the 5 nearest of each item land: row `a`, column `b` is the share of the 5 nearest
/// neighbours (the other items of `test`, unit vectors) of the items labelled `a` that are
/// labelled `b` (`labels` index `0..label_count`; rows of absent labels are zero). The diagonal
/// is each label's precision@5.
pub fn confusion_at_5(test: &[Vec<f32>], labels: &[u32], label_count: usize) -> Vec<Vec<f64>> {
    let mut table = vec![vec![0.0; label_count]; label_count];
    let mut seen = vec![0usize; label_count];
    for (q, query) in test.iter().enumerate() {
        let near = nearest(query, test, 5, Some(q));
        let row = labels[q] as usize;
        seen[row] += 1;
        for i in &near {
            // Over 5, as precision@5 counts, also when fewer than 5 others exist.
            table[row][labels[*i] as usize] += 1.0 / 5.0;
        }
    }
    for (row, &n) in table.iter_mut().zip(&seen) {
        row.iter_mut().for_each(|v| *v /= n.max(1) as f64);
    }
    table
}

/// Principal components fitted on a training set: the baseline a trained head must beat.
pub struct Pca {
    mean: Vec<f32>,
    /// `dim` rows of the input's length, strongest first.
    components: Vec<Vec<f32>>,
}

impl Pca {
    pub fn fit(data: &[Vec<f32>], dim: usize) -> Pca {
        let d = data.first().map_or(0, Vec::len);
        let n = data.len().max(1) as f64;
        let mut mean = vec![0f64; d];
        for v in data {
            mean.iter_mut().zip(v).for_each(|(m, x)| *m += f64::from(*x) / n);
        }
        let mut centred = nalgebra::DMatrix::<f64>::zeros(data.len(), d);
        for (r, v) in data.iter().enumerate() {
            for c in 0..d {
                centred[(r, c)] = f64::from(v[c]) - mean[c];
            }
        }
        let covariance = centred.transpose() * &centred / n;
        let eigen = nalgebra::SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let components = order
            .into_iter()
            .take(dim)
            .map(|c| eigen.eigenvectors.column(c).iter().map(|&x| x as f32).collect())
            .collect();
        Pca { mean: mean.into_iter().map(|m| m as f32).collect(), components }
    }

    pub fn project(&self, v: &[f32]) -> Vec<f32> {
        let centred: Vec<f32> = v.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        self.components.iter().map(|c| dot(c, &centred)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::normalize;

    #[test]
    fn metrics_count_what_they_say() {
        // Two tight clusters on the axes, and one item of label 0 sitting in cluster 1.
        let v = |x: f32, y: f32| normalize(vec![x, y]);
        let test = vec![v(1.0, 0.01), v(1.0, 0.02), v(1.0, 0.03), v(0.01, 1.0), v(0.02, 1.0), v(0.1, 1.0)];
        let labels = [0, 0, 0, 1, 1, 0];
        let m = evaluate(&test, &labels, &test[..2], &[0, 0]);
        // Item 5 (label 0 among label-1 items) misses at rank 1; every item sees all 5 others.
        assert!((m.recall_at_1 - 5.0 / 6.0).abs() < 1e-9, "{m:?}");
        assert_eq!(m.recall_at_5, 1.0);
        // Label-0 items have 3 relevant others among 5, label-1 items 1 among 5.
        assert!((m.precision_at_5 - (4.0 * 3.0 / 5.0 + 2.0 * 1.0 / 5.0) / 6.0).abs() < 1e-9);
        assert!((m.nn1_accuracy - 4.0 / 6.0).abs() < 1e-9, "the reference only has label 0");
    }

    #[test]
    fn agreement_and_confusion_count_the_five_nearest() {
        // Two clusters of 6 on the axes; the values split each cluster 5 + 1.
        let v = |x: f32, y: f32| normalize(vec![x, y]);
        let test: Vec<Vec<f32>> =
            (0..12).map(|i| if i < 6 { v(1.0, i as f32 * 0.01) } else { v(i as f32 * 0.01, 1.0) }).collect();
        let colours =
            ["red", "red", "red", "red", "red", "blue", "blue", "blue", "blue", "blue", "blue", "red"]
                .map(Some);
        // The 5 nearest of each item are the other 5 of its cluster: a red in the first cluster
        // sees 4 reds of 5, the blue there 0; the second cluster mirrors it.
        let expected = (10.0 * 4.0 / 5.0) / 12.0;
        assert!((agreement_at_5(&test, &colours) - expected).abs() < 1e-9);
        // 6 reds and 6 blues: 5 of the 11 others share an item's value.
        assert!((chance_agreement(&colours) - 5.0 / 11.0).abs() < 1e-9);
        // An item without a value is no query and matches nothing.
        let mut unknown = colours;
        unknown[5] = None;
        assert!((agreement_at_5(&test, &unknown) - (10.0 * 4.0 / 5.0) / 11.0).abs() < 1e-9);
        let labels: Vec<u32> = (0..12).map(|i| u32::from(i >= 6)).collect();
        let table = confusion_at_5(&test, &labels, 3);
        let expected = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]];
        for (row, want) in table.iter().zip(expected) {
            assert!(row.iter().zip(want).all(|(v, w)| (v - w).abs() < 1e-9), "{table:?}");
        }
    }

    #[test]
    fn pca_finds_the_direction_of_largest_spread() {
        let data: Vec<Vec<f32>> =
            (0..50).map(|i| vec![i as f32, 2.0 * i as f32, 0.5 * ((i % 3) as f32)]).collect();
        let pca = Pca::fit(&data, 1);
        let c = &pca.components[0];
        let along = (c[0] + 2.0 * c[1]).abs() / 5f32.sqrt();
        assert!(along > 0.999, "{c:?}");
        assert_eq!(pca.project(&data[0]).len(), 1);
    }
}
