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
use crate::tail::{Block, Conv, Tail};

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
    report: impl FnMut(&EpochReport),
) -> Result<Head> {
    let inputs = features.first().map_or(0, Vec::len);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let head = HeadNet::new(inputs, config, &mut rng).map_err(candle)?;
    let views: Vec<&[f32]> = features.iter().map(Vec::as_slice).collect();
    fit(&head, &[], &views, 1, labels, config, &mut rng, report)?;
    head.to_head().map_err(candle)
}

/// How `fine_tune` trains the backbone's tail beside the head.
#[derive(Debug, Clone)]
pub struct FineTuneConfig {
    /// The head's settings (its learning rate, the loss, batches, epochs, seed).
    pub head: TrainConfig,
    /// Learning rate of the tail's weights (pretrained: smaller than the new head's).
    pub tail_learning_rate: f64,
    /// Epochs at the start in which only the head learns, so that a random head's first
    /// gradients do not undo the pretrained tail.
    pub warmup_epochs: usize,
}

/// Fine-tunes `tail` (the backbone's last blocks and conv_head, from their pretrained weights)
/// and a new head together on cached trunk activations: `views` holds `views_per_item`
/// consecutive views (augmentations) of each item, each `[tail.inputs(), 7, 7]` flattened; a
/// batch takes one view of each item drawn. The forward pass is the ONNX graph's: per block
/// ReLU6 after the expand and the depthwise (zero padding k / 2) convolutions, the input added to
/// the project's output where the width is kept; then conv_head with ReLU6, the mean over
/// positions, L2 normalisation, then the head.
pub fn fine_tune(
    tail: &Tail,
    views: &[&[f32]],
    views_per_item: usize,
    labels: &[u32],
    config: &FineTuneConfig,
    report: impl FnMut(&EpochReport),
) -> Result<(Tail, Head)> {
    if views_per_item == 0 || views.len() != labels.len() * views_per_item {
        return Err(fail(format!(
            "{} views for {} items of {views_per_item} views",
            views.len(),
            labels.len()
        )));
    }
    let mut rng = StdRng::seed_from_u64(config.head.seed);
    let net = TailNet::new(tail, &config.head, &mut rng).map_err(candle)?;
    let tail_vars = net.tail_vars();
    let tail_params = ParamsAdamW {
        lr: config.tail_learning_rate,
        weight_decay: config.head.weight_decay,
        ..ParamsAdamW::default()
    };
    let groups = [(tail_vars, tail_params, config.warmup_epochs)];
    fit(&net, &groups, views, views_per_item, labels, &config.head, &mut rng, report)?;
    Ok((net.to_tail().map_err(candle)?, net.head.to_head().map_err(candle)?))
}

/// The pooled unit-length features (`tail.outputs()` wide) that `tail` gives for trunk
/// activations, each `[tail.inputs(), 7, 7]` flattened: what the exported embedder feeds its
/// head, in f32 (the file stores the tail int8).
pub fn tail_features(tail: &Tail, activations: &[&[f32]]) -> Result<Vec<Vec<f32>>> {
    let mut rng = StdRng::seed_from_u64(0);
    let net =
        TailNet::new(tail, &TrainConfig { dim: 1, ..TrainConfig::default() }, &mut rng).map_err(candle)?;
    let mut out = Vec::with_capacity(activations.len());
    for chunk in activations.chunks(64) {
        let flat: Vec<f32> = chunk.iter().flat_map(|a| a.iter().copied()).collect();
        let x = Tensor::from_vec(flat, (chunk.len(), chunk[0].len()), &Device::Cpu).map_err(candle)?;
        out.extend(net.features(&x).and_then(|f| f.to_vec2::<f32>()).map_err(candle)?);
    }
    Ok(out)
}

/// What the loop trains: its head's variables (learning at the config's rate) and the forward
/// pass from a batch of inputs to embeddings.
trait Trainable {
    fn head_vars(&self) -> Vec<Var>;
    /// The embeddings of a batch; with `frozen`, gradients stop at the head (warm-up epochs).
    fn forward(&self, x: &Tensor, frozen: bool) -> candle_core::Result<Tensor>;
}

/// The dense head: layers `(weights inputs x outputs, bias)`, ReLU between them.
struct HeadNet {
    layers: Vec<(Var, Var)>,
}

impl HeadNet {
    /// Glorot-uniform weights, zero biases.
    fn new(inputs: usize, config: &TrainConfig, rng: &mut StdRng) -> candle_core::Result<HeadNet> {
        let device = Device::Cpu;
        let widths: Vec<usize> = if config.hidden > 0 {
            vec![inputs, config.hidden, config.dim]
        } else {
            vec![inputs, config.dim]
        };
        let mut layers = Vec::new();
        for pair in widths.windows(2) {
            let bound = (6.0 / (pair[0] + pair[1]) as f64).sqrt() as f32;
            let w: Vec<f32> = (0..pair[0] * pair[1]).map(|_| rng.gen_range(-bound..bound)).collect();
            let w = Var::from_tensor(&Tensor::from_vec(w, (pair[0], pair[1]), &device)?)?;
            layers.push((w, Var::zeros(pair[1], DType::F32, &device)?));
        }
        Ok(HeadNet { layers })
    }

    fn to_head(&self) -> candle_core::Result<Head> {
        let layers = (self.layers.iter())
            .map(|(w, b)| {
                let (inputs, outputs) = w.as_tensor().dims2()?;
                Ok(Layer {
                    inputs,
                    outputs,
                    weights: w.as_tensor().flatten_all()?.to_vec1()?,
                    bias: b.as_tensor().to_vec1()?,
                })
            })
            .collect::<candle_core::Result<Vec<Layer>>>()?;
        Ok(Head { layers })
    }
}

impl Trainable for HeadNet {
    fn head_vars(&self) -> Vec<Var> {
        self.layers.iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect()
    }

    fn forward(&self, x: &Tensor, _frozen: bool) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
            if i + 1 < self.layers.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    }
}

/// One block's variables: each dense 1x1 convolution as `inputs x outputs` (the ONNX `outputs x
/// inputs x 1 x 1`, transposed) and its bias; the depthwise one as `kernel² x channels`
/// (tap-major) and its bias.
struct BlockVars {
    expand: (Var, Var),
    depthwise: (Var, Var),
    kernel: usize,
    project: (Var, Var),
    skip: bool,
}

/// The tail as candle variables, NHWC inside: 1x1 convolutions are matrix products over
/// positions, the depthwise ones a custom op ([`Depthwise`]).
struct TailNet {
    blocks: Vec<BlockVars>,
    head_conv: (Var, Var),
    channels: usize,
    head: HeadNet,
}

fn dense_var(c: &Conv) -> candle_core::Result<(Var, Var)> {
    let device = Device::Cpu;
    let w =
        Tensor::from_vec(c.weights.clone(), (c.outputs, c.inputs_per_group), &device)?.t()?.contiguous()?;
    Ok((Var::from_tensor(&w)?, Var::from_tensor(&Tensor::new(c.bias.as_slice(), &device)?)?))
}

impl TailNet {
    fn new(tail: &Tail, config: &TrainConfig, rng: &mut StdRng) -> candle_core::Result<TailNet> {
        let device = Device::Cpu;
        let block = |b: &Block| -> candle_core::Result<BlockVars> {
            let d = &b.depthwise;
            let taps = d.kernel * d.kernel;
            let w = Tensor::from_vec(d.weights.clone(), (d.outputs, taps), &device)?.t()?.contiguous()?;
            Ok(BlockVars {
                expand: dense_var(&b.expand)?,
                depthwise: (
                    Var::from_tensor(&w)?,
                    Var::from_tensor(&Tensor::new(d.bias.as_slice(), &device)?)?,
                ),
                kernel: d.kernel,
                project: dense_var(&b.project)?,
                skip: b.skip(),
            })
        };
        Ok(TailNet {
            blocks: tail.blocks.iter().map(block).collect::<candle_core::Result<_>>()?,
            head_conv: dense_var(&tail.head_conv)?,
            channels: tail.inputs(),
            head: HeadNet::new(tail.outputs(), config, rng)?,
        })
    }

    fn tail_vars(&self) -> Vec<Var> {
        (self.blocks.iter())
            .flat_map(|b| [&b.expand, &b.depthwise, &b.project])
            .chain([&self.head_conv])
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    fn to_tail(&self) -> candle_core::Result<Tail> {
        let conv = |(w, b): &(Var, Var), kernel: usize, dw: bool| -> candle_core::Result<Conv> {
            let weights = w.as_tensor().t()?.contiguous()?;
            let (outputs, per) = weights.dims2()?;
            Ok(Conv {
                outputs,
                inputs_per_group: if dw { 1 } else { per },
                kernel,
                weights: weights.flatten_all()?.to_vec1()?,
                bias: b.as_tensor().to_vec1()?,
            })
        };
        let blocks = (self.blocks.iter())
            .map(|b| {
                Ok(Block {
                    expand: conv(&b.expand, 1, false)?,
                    depthwise: conv(&b.depthwise, b.kernel, true)?,
                    project: conv(&b.project, 1, false)?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Tail { blocks, head_conv: conv(&self.head_conv, 1, false)? })
    }

    /// The pooled, unit-length 1280-d feature of each input row (`channels x side x side`).
    fn features(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, flat) = x.dims2()?;
        let side = ((flat / self.channels) as f64).sqrt() as usize;
        let positions = side * side;
        let dense = |x: &Tensor, (w, b): &(Var, Var)| x.matmul(w.as_tensor())?.broadcast_add(b.as_tensor());
        // [B, C, HW] -> [B*HW, C]
        let x = x.reshape((batch, self.channels, positions))?.transpose(1, 2)?.contiguous()?;
        let mut x = x.reshape((batch * positions, self.channels))?;
        for b in &self.blocks {
            let e = dense(&x, &b.expand)?.clamp(0f32, 6f32)?;
            let width = e.dim(1)?;
            let e = e.reshape((batch, side, side, width))?;
            let d = e.apply_op2(b.depthwise.0.as_tensor(), Depthwise { kernel: b.kernel })?;
            let d = d.broadcast_add(b.depthwise.1.as_tensor())?.clamp(0f32, 6f32)?;
            let p = dense(&d.reshape((batch * positions, width))?, &b.project)?;
            x = if b.skip { (p + x)? } else { p };
        }
        let h = dense(&x, &self.head_conv)?.clamp(0f32, 6f32)?;
        let pooled = h.reshape((batch, positions, self.head_conv.0.as_tensor().dim(1)?))?.mean(1)?;
        let norm = pooled.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
        pooled.broadcast_div(&norm)
    }
}

impl Trainable for TailNet {
    fn head_vars(&self) -> Vec<Var> {
        self.head.head_vars()
    }

    fn forward(&self, x: &Tensor, frozen: bool) -> candle_core::Result<Tensor> {
        let features = self.features(x)?;
        self.head.forward(&if frozen { features.detach() } else { features }, false)
    }
}

/// The depthwise k x k convolution (stride 1, zero padding k / 2, k odd) on NHWC maps, with its
/// gradients: input `[batch, side, side, channels]`, taps `[k², channels]` (dy-major, then dx),
/// output the input's shape. A custom op because candle's own ops need k² strided copies and
/// their scatters for it, which made the backward pass 3x slower than all the 1x1 convolutions.
struct Depthwise {
    kernel: usize,
}

/// `f(output, input, tap)` (positions counted over the batch) for every output position and
/// each of its neighbours inside the map, for a `kernel` x `kernel` window.
fn each_tap(batch: usize, side: usize, kernel: usize, mut f: impl FnMut(usize, usize, usize)) {
    let (s, k, r) = (side as i64, kernel as i64, (kernel / 2) as i64);
    for b in 0..batch {
        for y in 0..s {
            for x in 0..s {
                for tap in 0..k * k {
                    let (ny, nx) = (y + tap / k - r, x + tap % k - r);
                    if (0..s).contains(&ny) && (0..s).contains(&nx) {
                        let at = |yy: i64, xx: i64| (b * side * side) + (yy * s + xx) as usize;
                        f(at(y, x), at(ny, nx), tap as usize);
                    }
                }
            }
        }
    }
}

fn dims4(shape: &candle_core::Shape) -> candle_core::Result<(usize, usize, usize)> {
    let (batch, side, side2, channels) = shape.dims4()?;
    if side != side2 {
        candle_core::bail!("depthwise: the map is not square ({side} x {side2})");
    }
    Ok((batch, side, channels))
}

fn f32s<'a>(s: &'a candle_core::CpuStorage, l: &candle_core::Layout) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (candle_core::CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("depthwise: f32 contiguous inputs only"),
    }
}

impl candle_core::CustomOp2 for Depthwise {
    fn name(&self) -> &'static str {
        "depthwise"
    }

    fn cpu_fwd(
        &self,
        s1: &candle_core::CpuStorage,
        l1: &candle_core::Layout,
        s2: &candle_core::CpuStorage,
        l2: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let (batch, side, c) = dims4(l1.shape())?;
        let (x, taps) = (f32s(s1, l1)?, f32s(s2, l2)?);
        let mut out = vec![0f32; x.len()];
        each_tap(batch, side, self.kernel, |o, i, tap| {
            let (o, i, w) =
                (&mut out[o * c..(o + 1) * c], &x[i * c..(i + 1) * c], &taps[tap * c..(tap + 1) * c]);
            o.iter_mut().zip(i).zip(w).for_each(|((o, i), w)| *o += i * w);
        });
        Ok((candle_core::CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        taps: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (batch, side, c) = dims4(x.shape())?;
        let values = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let (xv, wv, gv) = (values(x)?, values(taps)?, values(grad)?);
        let (mut gx, mut gw) = (vec![0f32; xv.len()], vec![0f32; wv.len()]);
        each_tap(batch, side, self.kernel, |o, i, tap| {
            let g = &gv[o * c..(o + 1) * c];
            let w = &wv[tap * c..(tap + 1) * c];
            gx[i * c..(i + 1) * c].iter_mut().zip(g).zip(w).for_each(|((gx, g), w)| *gx += g * w);
            let xi = &xv[i * c..(i + 1) * c];
            gw[tap * c..(tap + 1) * c].iter_mut().zip(g).zip(xi).for_each(|((gw, g), xi)| *gw += g * xi);
        });
        Ok((
            Some(Tensor::from_vec(gx, x.shape(), x.device())?),
            Some(Tensor::from_vec(gw, taps.shape(), taps.device())?),
        ))
    }
}

/// Extra variables `fit` trains at their own settings after `warmup` epochs.
type Group = (Vec<Var>, ParamsAdamW, usize);

/// The training loop: P x K batches (one view of each item drawn), the weighted triplet loss on
/// mined triplets, AdamW on the head's variables and on each group's.
#[allow(clippy::too_many_arguments)]
fn fit(
    model: &impl Trainable,
    groups: &[Group],
    views: &[&[f32]],
    views_per_item: usize,
    labels: &[u32],
    config: &TrainConfig,
    rng: &mut StdRng,
    mut report: impl FnMut(&EpochReport),
) -> Result<()> {
    let inputs = views.first().map_or(0, |v| v.len());
    if views.len() != labels.len() * views_per_item || inputs == 0 {
        return Err(fail(format!("{} features for {} labels", views.len(), labels.len())));
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
    let params =
        ParamsAdamW { lr: config.learning_rate, weight_decay: config.weight_decay, ..ParamsAdamW::default() };
    let mut optimizer = AdamW::new(model.head_vars(), params).map_err(candle)?;
    let mut group_optimizers: Vec<(AdamW, usize)> = (groups.iter())
        .map(|(vars, params, warmup)| {
            Ok((AdamW::new(vars.clone(), params.clone()).map_err(candle)?, *warmup))
        })
        .collect::<Result<_>>()?;

    let batch = config.labels_per_batch.min(usable.len()) * config.per_label;
    let batches = (labels.len() / batch.max(1)).max(1);
    for epoch in 1..=config.epochs {
        let (mut sum, mut sum_triplet, mut sum_embedding, mut sum_active) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..batches {
            let items = sample_batch(&usable, config.labels_per_batch, config.per_label, rng);
            let mut flat = Vec::with_capacity(items.len() * inputs);
            for &i in &items {
                // One view drawn per item; a single view draws nothing (the head's training
                // repeats exactly with a seed).
                let view = if views_per_item > 1 { rng.gen_range(0..views_per_item) } else { 0 };
                flat.extend_from_slice(views[i * views_per_item + view]);
            }
            let x = Tensor::from_vec(flat, (items.len(), inputs), &device).map_err(candle)?;
            let batch_labels: Vec<u32> = items.iter().map(|&i| labels[i]).collect();

            let frozen = group_optimizers.iter().all(|(_, warmup)| epoch <= *warmup) && !groups.is_empty();
            let e = model.forward(&x, frozen).map_err(candle)?;
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
            let grads = total.backward().map_err(candle)?;
            optimizer.step(&grads).map_err(candle)?;
            for (group, warmup) in &mut group_optimizers {
                if epoch > *warmup {
                    group.step(&grads).map_err(candle)?;
                }
            }
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
    Ok(())
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

    /// The depthwise op against a direct convolution (3x3 and 5x5, on a map smaller than the
    /// 5x5 window), and its gradients against central finite differences of `sum(out * r)`.
    #[test]
    fn the_depthwise_op_and_its_gradients_are_the_convolution_s() {
        for kernel in [3usize, 5] {
            depthwise_matches(kernel);
        }
    }

    fn depthwise_matches(kernel: usize) {
        let (batch, side, c, k, r0) = (2, 4, 3, kernel as i64, kernel as i64 / 2);
        let mut rng = StdRng::seed_from_u64(5);
        let mut draw = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
        let (x, w, r) =
            (draw(batch * side * side * c), draw(kernel * kernel * c), draw(batch * side * side * c));
        let direct = |x: &[f32], w: &[f32]| -> Vec<f32> {
            let mut out = vec![0.0; x.len()];
            for b in 0..batch {
                for y in 0..side as i64 {
                    for xx in 0..side as i64 {
                        for ch in 0..c {
                            let mut sum = 0.0;
                            for dy in -r0..=r0 {
                                for dx in -r0..=r0 {
                                    let (ny, nx) = (y + dy, xx + dx);
                                    if (0..side as i64).contains(&ny) && (0..side as i64).contains(&nx) {
                                        let i = ((b * side + ny as usize) * side + nx as usize) * c + ch;
                                        sum += x[i] * w[((dy + r0) * k + dx + r0) as usize * c + ch];
                                    }
                                }
                            }
                            out[((b * side + y as usize) * side + xx as usize) * c + ch] = sum;
                        }
                    }
                }
            }
            out
        };
        let dev = Device::Cpu;
        let xt =
            Var::from_tensor(&Tensor::from_vec(x.clone(), (batch, side, side, c), &dev).unwrap()).unwrap();
        let wt = Var::from_tensor(&Tensor::from_vec(w.clone(), (kernel * kernel, c), &dev).unwrap()).unwrap();
        let out = xt.as_tensor().apply_op2(wt.as_tensor(), Depthwise { kernel }).unwrap();
        let got: Vec<f32> = out.flatten_all().unwrap().to_vec1().unwrap();
        for (a, b) in got.iter().zip(direct(&x, &w)) {
            assert!((a - b).abs() < 1e-5, "{kernel}: {a} vs {b}");
        }
        let rt = Tensor::from_vec(r.clone(), (batch, side, side, c), &dev).unwrap();
        let grads = (out * rt).unwrap().sum_all().unwrap().backward().unwrap();
        let loss = |x: &[f32], w: &[f32]| -> f32 { direct(x, w).iter().zip(&r).map(|(o, r)| o * r).sum() };
        let check = |analytic: Vec<f32>, values: &[f32], of_x: bool| {
            for (i, a) in analytic.iter().enumerate() {
                let (mut up, mut down) = (values.to_vec(), values.to_vec());
                up[i] += 1e-2;
                down[i] -= 1e-2;
                let numeric = if of_x {
                    (loss(&up, &w) - loss(&down, &w)) / 2e-2
                } else {
                    (loss(&x, &up) - loss(&x, &down)) / 2e-2
                };
                assert!((a - numeric).abs() < 1e-2, "{kernel}, {i}: {a} vs {numeric}");
            }
        };
        check(grads.get(xt.as_tensor()).unwrap().flatten_all().unwrap().to_vec1().unwrap(), &x, true);
        check(grads.get(wt.as_tensor()).unwrap().flatten_all().unwrap().to_vec1().unwrap(), &w, false);
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
