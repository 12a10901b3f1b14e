//! The garment embedder: EfficientNet-Lite0 (ImageNet) up to its global average pool, then the
//! head trained with the weighted triplet loss (`vitrine train`, issue 5), one 128-d embedding per
//! image region, L2-normalised so that cosine similarity is a dot product. `Backbone` is the same
//! network without the head: its 1280-d pooled feature is what the head is trained on.
//!
//! The shipped embedder is checked against models/MANIFEST like every shipped model. A
//! retailer's own (`vitrine train --catalog`) is not in it: an index built with one names it and
//! records its sha256, and [`Embedder::trained`] checks the file against that instead.

use super::{expected_sha256, sha256_hex, verify, Signature};
use crate::engine::{Net, Tensor};
use crate::error::{Error, Result};
use crate::geometry::Affine;
use crate::geometry::Rect;
use crate::index::IndexEmbedder;
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
        Ok(normalize(self.run(photo, region, turn)?))
    }

    /// The network's raw output for `region`, sampled as [`RegionNet::embed`] samples it.
    fn run(&self, photo: &Photo, region: &Rect, turn: Turn) -> Result<Vec<f32>> {
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
        Ok(self.net.run(Tensor::new(vec![1, 3, SIZE, SIZE], chw))?.remove(0).data)
    }
}

fn whole(photo: &Photo) -> Rect {
    Rect::new(0.0, 0.0, photo.width() as f32, photo.height() as f32)
}

/// An embedder: the backbone + a head trained with `vitrine train`, the shipped one
/// ([`Embedder::new`]) or a retailer's own that an index names ([`Embedder::trained`]). Either
/// takes a 224x224 RGB square of a region and gives a unit vector of [`Embedder::DIM`] values.
#[derive(Debug)]
pub struct Embedder {
    net: RegionNet,
    /// The file it was loaded from, as its errors name it.
    file: String,
    /// The sha256 of that file, lowercase hex: what an index records of its embedder.
    sha256: String,
}

impl Embedder {
    pub const FILE: &'static str = "vitrine_embedder.onnx";
    pub const OUTPUT: &'static str = "embedding";
    pub const DIM: usize = 128;
    pub const SIGNATURE: Signature = Signature { input: [1, 3, SIZE, SIZE], outputs: &[Self::OUTPUT] };

    /// Multiply-adds of one embedding ([`crate::engine::Net::multiply_adds`]).
    pub fn multiply_adds(&self) -> f64 {
        self.net.net.multiply_adds()
    }

    /// The shipped embedder, `models/vitrine_embedder.onnx`.
    ///
    /// Errors: [`Error::Model`] when `bytes` are not the file models/MANIFEST lists, or tract
    /// cannot load it.
    pub fn new(bytes: &[u8]) -> Result<Embedder> {
        let net = RegionNet::new(Self::FILE, bytes, Self::SIGNATURE)?;
        let sha256 = expected_sha256(Self::FILE).unwrap_or_default().to_string();
        Ok(Embedder { net, file: Self::FILE.to_string(), sha256 })
    }

    /// A retailer's own embedder (`vitrine train --out FILE`), which models/MANIFEST does not
    /// know: `bytes` must have the sha256 `expected_sha256` (lowercase hex) that the index built
    /// with it records ([`crate::index::IndexEmbedder`]). `file` names it in errors (its path or
    /// URL). It must take the shipped embedder's input (1x3x224x224) and give an output named
    /// `embedding`, as `vitrine train` writes it.
    ///
    /// Errors: [`Error::Model`] naming `file` and both hashes when the bytes are another file
    /// (replaced, damaged, or the index was rebuilt with another embedder), or when tract cannot
    /// load it.
    pub fn trained(file: &str, bytes: &[u8], expected_sha256: &str) -> Result<Embedder> {
        let actual = sha256_hex(bytes);
        if actual != expected_sha256 {
            return Err(Error::Model {
                file: file.to_string(),
                reason: format!(
                    "sha256 {actual} ({} bytes) is not the {expected_sha256} its index records: this is not the embedder \
                     the index was built with; restore that file, or rebuild the index with this embedder \
                     (`vitrine index build --embedder FILE`)",
                    bytes.len()
                ),
            });
        }
        let net = RegionNet { net: Self::SIGNATURE.load(file, bytes)? };
        Ok(Embedder { net, file: file.to_string(), sha256: actual })
    }

    /// The embedder an index needs (`built_by`, from [`crate::index::embedder_of`]): the shipped
    /// one checked against models/MANIFEST, or the index's own file checked against the sha256
    /// the index records. `bytes` are that file's (the shell reads `built_by.file` from beside
    /// the index); `index_name` is the index folder or URL, and names the file in errors.
    ///
    /// Errors: those of [`Embedder::new`] or [`Embedder::trained`].
    pub fn for_index(index_name: &str, built_by: &IndexEmbedder, bytes: &[u8]) -> Result<Embedder> {
        match &built_by.file {
            None => Embedder::new(bytes),
            Some(file) => Embedder::trained(&beside(index_name, file), bytes, &built_by.sha256),
        }
    }

    /// The file it was loaded from (models/MANIFEST's name, or the path given to `trained`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The sha256 of its file, lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether it is the shipped embedder.
    pub fn is_shipped(&self) -> bool {
        expected_sha256(Self::FILE) == Some(self.sha256.as_str())
    }

    /// The embedding of `region` (photo pixels).
    pub fn embed(&self, photo: &Photo, region: &Rect) -> Result<Vec<f32>> {
        self.net.embed(photo, region, Turn::UPRIGHT)
    }

    /// The embedding of `region` (photo pixels) of a person turned by `turn` in the photo: the
    /// region as it looks with the person upright.
    pub fn embed_turned(&self, photo: &Photo, region: &Rect, turn: Turn) -> Result<Vec<f32>> {
        self.net.embed(photo, region, turn)
    }

    /// The embedding of a whole image (a catalog product photo).
    pub fn embed_whole(&self, photo: &Photo) -> Result<Vec<f32>> {
        self.net.embed(photo, &whole(photo), Turn::UPRIGHT)
    }
}

/// `file` beside the index `index_name` (a folder path or a URL), as errors name it.
pub fn beside(index_name: &str, file: &str) -> String {
    if index_name.is_empty() || index_name.ends_with('/') {
        format!("{index_name}{file}")
    } else {
        format!("{index_name}/{file}")
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

/// The backbone up to its trainable tail ([`crate::tail::Tail`]): what `vitrine train
/// --fine-tune` computes once per training image and augmentation, so that an epoch runs only the
/// tail. Native only (`train` feature).
#[cfg(feature = "train")]
#[derive(Debug)]
pub struct Trunk(RegionNet);

#[cfg(feature = "train")]
impl Trunk {
    /// The trunk of `bytes`, the backbone (checked against models/MANIFEST) or an embedder made
    /// from it, before its last `blocks` MBConv blocks; the tensor it gives is the input of the
    /// tail [`crate::engine::read_tail`] reads with as many blocks.
    ///
    /// Errors: [`Error::Model`] when the file is not in the manifest or not EfficientNet-Lite0,
    /// or `blocks` is not 1 to [`crate::engine::MAX_TAIL_BLOCKS`].
    pub fn new(file: &str, bytes: &[u8], blocks: usize) -> Result<Trunk> {
        verify(file, bytes)?;
        let (cut, output) = crate::engine::trunk(file, bytes, blocks)?;
        Ok(Trunk(RegionNet { net: Net::load(file, &cut, &[1, 3, SIZE, SIZE], &[output.as_str()])? }))
    }

    /// The activations of a whole image, `[channels, 7, 7]` flattened (channel-major), sampled as
    /// [`Backbone::feature`] samples it.
    pub fn activations(&self, photo: &Photo) -> Result<Vec<f32>> {
        self.0.run(photo, &whole(photo), Turn::UPRIGHT)
    }

    /// The activations of `region` (photo pixels) of a person turned by `turn`, sampled as
    /// [`Backbone::feature_of`] samples it.
    pub fn activations_of(&self, photo: &Photo, region: &Rect, turn: Turn) -> Result<Vec<f32>> {
        self.0.run(photo, region, turn)
    }
}
