//! Training the embedding head on frozen backbone features with the weighted triplet loss
//!
//! ```text
//! L = max(0, m + |x_a - x_p|^2 - |x_a - x_n|^2) + alpha * (|x_a|^2 + |x_p|^2 + |x_n|^2) / d
//! ```
//!
//! averaged over the triplets mined in each batch (P labels x K items, online): batch-hard (for
//! each anchor its farthest positive and nearest negative) or semi-hard (for each positive pair
//! the nearest negative farther than the positive, within the margin; the farthest negative
//! when there is none, as FaceNet's reference implementation does). The second term keeps the
//! embeddings within the margin's radius. Deterministic for a seed: the initial weights and
//! the batches come from a seeded generator, and candle's CPU kernels split work the same way
//! each run.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::head::{Head, Layer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    BatchHard,
    SemiHard,
}

#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Embedding size d.
    pub dim: usize,
    /// Width of a hidden ReLU layer; 0 for a single linear layer.
    pub hidden: usize,
    /// Margin m (on squared distances).
    pub margin: f32,
    /// Weight alpha of the embedding-size term.
    pub alpha: f32,
    pub epochs: usize,
    /// P: labels per batch.
    pub labels_per_batch: usize,
    /// K: items per label in a batch.
    pub per_label: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub mining: Mining,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            dim: 128,
            hidden: 0,
            margin: 0.5,
            alpha: 0.1,
            epochs: 30,
            labels_per_batch: 8,
            per_label: 8,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            mining: Mining::SemiHard,
            seed: 1,
        }
    }
}

/// What one epoch did.
#[derive(Debug, Clone, Copy)]
pub struct EpochReport {
    pub epoch: usize,
    /// Mean weighted loss over the epoch's batches.
    pub loss: f32,
    pub triplet: f32,
    pub embedding: f32,
    /// Share of mined triplets that still violate the margin.
    pub active: f32,
}

fn fail(reason: String) -> Error {
    Error::Train(reason)
}

fn candle(e: candle_core::Error) -> Error {
    Error::Train(e.to_string())
}

/// Trains a head on `features` (one per item, all the same length) with `labels`.
pub fn train(
    features: &[Vec<f32>],
    labels: &[u32],
    config: &TrainConfig,
    mut report: impl FnMut(&EpochReport),
) -> Result<Head> {
    let inputs = features.first().map_or(0, Vec::len);
    if features.len() != labels.len() || inputs == 0 {
        return Err(fail(format!("{} features for {} labels", features.len(), labels.len())));
    }
    let mut by_label: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, &l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let usable: Vec<&Vec<usize>> = by_label.values().filter(|v| v.len() >= 2).collect();
    if usable.len() < 2 {
        return Err(fail("training needs at least two labels with two items each".into()));
    }

    let device = Device::Cpu;
    let mut rng = StdRng::seed_from_u64(config.seed);
    let widths: Vec<usize> =
        if config.hidden > 0 { vec![inputs, config.hidden, config.dim] } else { vec![inputs, config.dim] };
    let mut vars = Vec::new();
    for pair in widths.windows(2) {
        // Glorot-uniform weights, zero bias.
        let bound = (6.0 / (pair[0] + pair[1]) as f64).sqrt() as f32;
        let w: Vec<f32> = (0..pair[0] * pair[1]).map(|_| rng.gen_range(-bound..bound)).collect();
        let w = Var::from_tensor(&Tensor::from_vec(w, (pair[0], pair[1]), &device).map_err(candle)?)
            .map_err(candle)?;
        let b = Var::zeros(pair[1], DType::F32, &device).map_err(candle)?;
        vars.push((w, b));
    }
    let params =
        ParamsAdamW { lr: config.learning_rate, weight_decay: config.weight_decay, ..ParamsAdamW::default() };
    let mut optimizer = AdamW::new(vars.iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect(), params)
        .map_err(candle)?;
    let forward = |x: &Tensor| -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for (i, (w, b)) in vars.iter().enumerate() {
            h = h.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
            if i + 1 < vars.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    };

    let batch = config.labels_per_batch.min(usable.len()) * config.per_label;
    let batches = (features.len() / batch.max(1)).max(1);
    for epoch in 1..=config.epochs {
        let (mut sum, mut sum_triplet, mut sum_embedding, mut sum_active) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..batches {
            let items = sample_batch(&usable, config.labels_per_batch, config.per_label, &mut rng);
            let mut flat = Vec::with_capacity(items.len() * inputs);
            items.iter().for_each(|&i| flat.extend_from_slice(&features[i]));
            let x = Tensor::from_vec(flat, (items.len(), inputs), &device).map_err(candle)?;
            let batch_labels: Vec<u32> = items.iter().map(|&i| labels[i]).collect();

            let e = forward(&x).map_err(candle)?;
            let distances = squared_distances(&e).map_err(candle)?;
            let values: Vec<Vec<f32>> = distances.to_vec2().map_err(candle)?;
            let triplets = mine(&values, &batch_labels, config.margin, config.mining);
            if triplets.is_empty() {
                continue;
            }
            let index = |pick: fn(&(u32, u32, u32)) -> u32| {
                Tensor::from_vec(triplets.iter().map(pick).collect::<Vec<u32>>(), triplets.len(), &device)
            };
            let (a, p, n) = (index(|t| t.0), index(|t| t.1), index(|t| t.2));
            let loss = (|| -> candle_core::Result<(Tensor, Tensor, Tensor)> {
                let (xa, xp, xn) =
                    (e.index_select(&a?, 0)?, e.index_select(&p?, 0)?, e.index_select(&n?, 0)?);
                let d_ap = (&xa - &xp)?.sqr()?.sum(1)?;
                let d_an = (&xa - &xn)?.sqr()?.sum(1)?;
                let triplet = (d_ap - d_an)?.affine(1.0, f64::from(config.margin))?.relu()?;
                let size = ((xa.sqr()?.sum(1)? + xp.sqr()?.sum(1)?)? + xn.sqr()?.sum(1)?)?
                    .affine(1.0 / config.dim as f64, 0.0)?;
                let total = (&triplet + size.affine(f64::from(config.alpha), 0.0)?)?.mean_all()?;
                Ok((total, triplet, size))
            })()
            .map_err(candle)?;
            let (total, triplet, size) = loss;
            optimizer.backward_step(&total).map_err(candle)?;
            let triplet_values: Vec<f32> = triplet.to_vec1().map_err(candle)?;
            sum += total.to_scalar::<f32>().map_err(candle)?;
            sum_triplet += triplet_values.iter().sum::<f32>() / triplet_values.len() as f32;
            sum_embedding += size.mean_all().and_then(|t| t.to_scalar::<f32>()).map_err(candle)?;
            sum_active +=
                triplet_values.iter().filter(|&&v| v > 0.0).count() as f32 / triplet_values.len() as f32;
        }
        let n = batches as f32;
        report(&EpochReport {
            epoch,
            loss: sum / n,
            triplet: sum_triplet / n,
            embedding: sum_embedding / n,
            active: sum_active / n,
        });
    }

    let layers = vars
        .iter()
        .map(|(w, b)| {
            let (inputs, outputs) = w.as_tensor().dims2()?;
            Ok(Layer {
                inputs,
                outputs,
                weights: w.as_tensor().flatten_all()?.to_vec1()?,
                bias: b.as_tensor().to_vec1()?,
            })
        })
        .collect::<candle_core::Result<Vec<Layer>>>()
        .map_err(candle)?;
    Ok(Head { layers })
}

/// P labels, K items each (drawn without replacement where a label has enough).
fn sample_batch(usable: &[&Vec<usize>], p: usize, k: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut items = Vec::with_capacity(p * k);
    for members in usable.choose_multiple(rng, p.min(usable.len())) {
        if members.len() >= k {
            items.extend(members.choose_multiple(rng, k));
        } else {
            items.extend((0..k).map(|_| members[rng.gen_range(0..members.len())]));
        }
    }
    items
}

/// All pairwise squared Euclidean distances of the rows of `e`.
fn squared_distances(e: &Tensor) -> candle_core::Result<Tensor> {
    let norms = e.sqr()?.sum_keepdim(1)?;
    let gram = e.matmul(&e.t()?)?;
    norms.broadcast_add(&norms.t()?)? - gram.affine(2.0, 0.0)?
}

/// The (anchor, positive, negative) index triplets of one batch.
fn mine(d: &[Vec<f32>], labels: &[u32], margin: f32, mining: Mining) -> Vec<(u32, u32, u32)> {
    let n = labels.len();
    let mut out = Vec::new();
    for a in 0..n {
        let positives = (0..n).filter(|&j| j != a && labels[j] == labels[a]);
        let negatives = || (0..n).filter(|&j| labels[j] != labels[a]);
        let by_distance = |x: &usize, y: &usize| d[a][*x].total_cmp(&d[a][*y]);
        match mining {
            Mining::BatchHard => {
                if let (Some(p), Some(neg)) = (positives.max_by(by_distance), negatives().min_by(by_distance))
                {
                    out.push((a as u32, p as u32, neg as u32));
                }
            }
            Mining::SemiHard => {
                for p in positives {
                    let d_ap = d[a][p];
                    let semi_hard = negatives()
                        .filter(|&j| d[a][j] > d_ap && d[a][j] < d_ap + margin)
                        .min_by(by_distance);
                    if let Some(neg) = semi_hard.or_else(|| negatives().max_by(by_distance)) {
                        out.push((a as u32, p as u32, neg as u32));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two labels whose features differ only in a direction hidden under larger noise: a head
    /// must learn to bring that direction out.
    fn data(seed: u64) -> (Vec<Vec<f32>>, Vec<u32>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let label = (i % 4) as u32;
            let mut v: Vec<f32> = (0..32).map(|_| rng.gen_range(-1.0..1.0)).collect();
            v[label as usize] += 1.5;
            features.push(v);
            labels.push(label);
        }
        (features, labels)
    }

    #[test]
    fn mining_picks_the_triplets_it_names() {
        // Anchor 0 (label 0): positives 1 (d 1) and 2 (d 4); negatives 3 (d 2) and 4 (d 9).
        let d = vec![
            vec![0.0, 1.0, 4.0, 2.0, 9.0],
            vec![1.0, 0.0, 1.0, 1.0, 1.0],
            vec![4.0, 1.0, 0.0, 1.0, 1.0],
            vec![2.0, 1.0, 1.0, 0.0, 1.0],
            vec![9.0, 1.0, 1.0, 1.0, 0.0],
        ];
        let labels = [0, 0, 0, 1, 1];
        let hard = mine(&d, &labels, 1.5, Mining::BatchHard);
        assert_eq!(hard[0], (0, 2, 3));
        let semi = mine(&d, &labels, 1.5, Mining::SemiHard);
        // (0,1): 3 is semi-hard (1 < 2 < 2.5); (0,2): none in (4, 5.5), so the farthest, 4.
        assert_eq!(&semi[..2], &[(0, 1, 3), (0, 2, 4)]);
    }

    #[test]
    fn training_lowers_the_loss_separates_the_labels_and_repeats_with_a_seed() {
        let (features, labels) = data(7);
        let config = TrainConfig { dim: 8, epochs: 40, learning_rate: 1e-2, ..TrainConfig::default() };
        let mut losses = Vec::new();
        let head = train(&features, &labels, &config, |r| losses.push(r.loss)).unwrap();
        assert!(losses.last().unwrap() < &(0.8 * losses[0]), "{losses:?}");
        let again = train(&features, &labels, &config, |_| {}).unwrap();
        assert_eq!(head, again, "same seed, same head");

        let (test, test_labels) = data(8);
        let embed = |v: &Vec<f32>| crate::vector::normalize(head.embed(v));
        let trained: Vec<Vec<f32>> = test.iter().map(embed).collect();
        let reference: Vec<Vec<f32>> = features.iter().map(embed).collect();
        let raw: Vec<Vec<f32>> = test.iter().cloned().map(crate::vector::normalize).collect();
        let raw_reference: Vec<Vec<f32>> = features.iter().cloned().map(crate::vector::normalize).collect();
        let after = crate::retrieval::evaluate(&trained, &test_labels, &reference, &labels);
        let before = crate::retrieval::evaluate(&raw, &test_labels, &raw_reference, &labels);
        assert!(after.precision_at_5 > before.precision_at_5 + 0.05, "{before:?} -> {after:?}");
    }
}
