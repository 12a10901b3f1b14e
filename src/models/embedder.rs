//! The garment embedder: EfficientNet-Lite0 (ImageNet) up to its global average pool, then the
//! head trained with the weighted triplet loss (`vitrine train`, issue 5), one 128-d embedding per
//! image region, L2-normalised so that cosine similarity is a dot product. `Backbone` is the same
//! network without the head: its 1280-d pooled feature is what the head is trained on.

use super::{verify, Signature};
use crate::engine::{Net, Tensor};
use crate::error::Result;
use crate::geometry::Affine;
use crate::geometry::Rect;
use crate::photo::Photo;
use crate::upright::Turn;
use crate::vector::normalize;

/// Input side (NCHW, RGB as (x - 127) / 128).
const SIZE: usize = 224;

/// One network from a region to a unit vector; `Embedder` and `Backbone` differ only in file.
#[derive(Debug)]
struct RegionNet {
    net: Net,
}

impl RegionNet {
    fn new(file: &str, bytes: &[u8], signature: Signature) -> Result<RegionNet> {
        verify(file, bytes)?;
        Ok(RegionNet { net: signature.load(file, bytes)? })
    }

    /// The region is widened to a square around its centre so the garment keeps its shape, and
    /// sampled turned back by `turn` so the garment stands upright; what falls outside the photo
    /// is mid-grey, which the network sees as zero.
    fn embed(&self, photo: &Photo, region: &Rect, turn: Turn) -> Result<Vec<f32>> {
        let map = match turn {
            Turn::UPRIGHT => Affine::square_around(SIZE, region),
            _ => {
                let c = region.center();
                let side = region.width().max(region.height()).max(1.0);
                Affine::rotated_square(SIZE, c.x, c.y, side, turn.radians())
            }
        };
        let hwc = photo.sample(SIZE, SIZE, &map, [127.0; 3]);
        let mut chw = vec![0.0; 3 * SIZE * SIZE];
        for (i, px) in hwc.chunks_exact(3).enumerate() {
            for (ch, v) in px.iter().enumerate() {
                chw[ch * SIZE * SIZE + i] = (v - 127.0) / 128.0;
            }
        }
        let out = self.net.run(Tensor::new(vec![1, 3, SIZE, SIZE], chw))?.remove(0).data;
        Ok(normalize(out))
    }
}

fn whole(photo: &Photo) -> Rect {
    Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32)
}

/// The shipped embedder: backbone + trained head.
#[derive(Debug)]
pub struct Embedder(RegionNet);

impl Embedder {
    pub const FILE: &'static str = "vitrine_embedder.onnx";
    pub const OUTPUT: &'static str = "embedding";
    pub const DIM: usize = 128;
    pub const SIGNATURE: Signature = Signature { input: [1, 3, SIZE, SIZE], outputs: &[Self::OUTPUT] };

    pub fn new(bytes: &[u8]) -> Result<Embedder> {
        RegionNet::new(Self::FILE, bytes, Self::SIGNATURE).map(Embedder)
    }

    /// The embedding of `region` (photo pixels).
    pub fn embed(&self, photo: &Photo, region: &Rect) -> Result<Vec<f32>> {
        self.0.embed(photo, region, Turn::UPRIGHT)
    }

    /// The embedding of `region` (photo pixels) of a person turned by `turn` in the photo: the
    /// region as it looks with the person upright.
    pub fn embed_turned(&self, photo: &Photo, region: &Rect, turn: Turn) -> Result<Vec<f32>> {
        self.0.embed(photo, region, turn)
    }

    /// The embedding of a whole image (a catalog product photo).
    pub fn embed_whole(&self, photo: &Photo) -> Result<Vec<f32>> {
        self.0.embed(photo, &whole(photo), Turn::UPRIGHT)
    }
}

// The index stores embeddings of its own fixed width: they must be this embedder's.
const _: () = assert!(Embedder::DIM == crate::index::DIM, "the index's DIM is not the embedder's");

/// The frozen backbone alone: the features `vitrine train` trains the head on.
#[derive(Debug)]
pub struct Backbone(RegionNet);

impl Backbone {
    pub const FILE: &'static str = "efficientnet_lite0.onnx";
    pub const OUTPUT: &'static str = "features";
    pub const DIM: usize = 1280;
    pub const SIGNATURE: Signature = Signature { input: [1, 3, SIZE, SIZE], outputs: &[Self::OUTPUT] };

    pub fn new(bytes: &[u8]) -> Result<Backbone> {
        RegionNet::new(Self::FILE, bytes, Self::SIGNATURE).map(Backbone)
    }

    /// The unit-length feature of a whole image.
    pub fn feature(&self, photo: &Photo) -> Result<Vec<f32>> {
        self.0.embed(photo, &whole(photo), Turn::UPRIGHT)
    }

    /// The unit-length feature of `region` (photo pixels) of a person turned by `turn`, sampled
    /// as [`Embedder::embed_turned`] samples it: a catalog product's region
    /// ([`crate::regions`]).
    pub fn feature_of(&self, photo: &Photo, region: &Rect, turn: Turn) -> Result<Vec<f32>> {
        self.0.embed(photo, region, turn)
    }
}
