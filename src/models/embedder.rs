//! EfficientNet-Lite0 (ImageNet) up to its global average pool: one 1280-d feature per image
//! region, L2-normalised so that cosine similarity is a dot product.

use super::verify;
use crate::engine::{Net, Tensor};
use crate::error::Result;
use crate::geometry::Rect;
use crate::photo::{Affine, Photo};

/// Input side (NCHW, RGB as (x - 127) / 128).
const SIZE: usize = 224;

#[derive(Debug)]
pub struct Embedder {
    net: Net,
}

impl Embedder {
    pub const FILE: &'static str = "efficientnet_lite0.onnx";
    pub const DIM: usize = 1280;

    pub fn new(bytes: &[u8]) -> Result<Embedder> {
        verify(Self::FILE, bytes)?;
        let net = Net::load(Self::FILE, bytes, &[1, 3, SIZE, SIZE], &["features"])?;
        Ok(Embedder { net })
    }

    /// The embedding of `region` (photo pixels). The region is widened to a square around its
    /// centre so the garment keeps its shape; what falls outside the photo is mid-grey, which
    /// the network sees as zero.
    pub fn embed(&self, photo: &Photo, region: &Rect) -> Result<Vec<f32>> {
        let map = Affine::square_around(SIZE, region);
        let hwc = photo.sample(SIZE, SIZE, &map, [127.0; 3]);
        let mut chw = vec![0.0; 3 * SIZE * SIZE];
        for (i, px) in hwc.chunks_exact(3).enumerate() {
            for (ch, v) in px.iter().enumerate() {
                chw[ch * SIZE * SIZE + i] = (v - 127.0) / 128.0;
            }
        }
        let features = self.net.run(Tensor::new(vec![1, 3, SIZE, SIZE], chw))?.remove(0).data;
        Ok(normalize(features))
    }

    /// The embedding of a whole image (a catalog product photo).
    pub fn embed_whole(&self, photo: &Photo) -> Result<Vec<f32>> {
        self.embed(photo, &Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32))
    }
}

fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
