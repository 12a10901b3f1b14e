//! One shipped network without its pre- and post-processing, for benchmarks (`vitrine bench
//! ops`, the browser benchmark page): the plan its model struct runs, on a fixed input, so tract
//! and another runtime can be timed on the same numbers.

use super::{verify, SHIPPED};
use crate::engine::{Net, Step, Tensor};
use crate::error::{Error, Result};
use crate::geometry::Affine;
use crate::photo::Photo;

/// One shipped network without its pre- and post-processing, for benchmarks: the same plan the
/// model's struct runs, on a fixed input.
#[derive(Debug)]
pub struct BareModel {
    net: Net,
    input: Tensor,
}

impl BareModel {
    /// `photo` (the whole of it, stretched) is the input, as values in [0, 1]: a real image, so
    /// the timings are those of real activations.
    pub fn new(file: &str, bytes: &[u8], photo: &Photo) -> Result<BareModel> {
        let (_, signature) = SHIPPED.iter().find(|(f, _)| *f == file).ok_or_else(|| Error::Model {
            file: file.to_string(),
            reason: "is not a model the page loads".into(),
        })?;
        verify(file, bytes)?;
        let net = signature.load(file, bytes)?;
        let [_, a, b, c] = signature.input;
        let nchw = a == 3;
        let (h, w) = if nchw { (b, c) } else { (a, b) };
        let map = Affine::stretch((w, h), 0.0, 0.0, photo.width() as f32, photo.height() as f32);
        let hwc: Vec<f32> = photo.sample(w, h, &map, [0.0; 3]).iter().map(|v| v / 255.0).collect();
        let data = if nchw {
            (0..3).flat_map(|ch| hwc.iter().skip(ch).step_by(3).copied().collect::<Vec<_>>()).collect()
        } else {
            hwc
        };
        Ok(BareModel { net, input: Tensor::new(signature.input.to_vec(), data) })
    }

    /// The input every run gets, flat in the model's layout (another runtime can be fed the same).
    pub fn input(&self) -> &[f32] {
        &self.input.data
    }

    /// Runs the network once; its first output, flat (so a benchmark can check that another
    /// runtime computed the same).
    pub fn run(&self) -> Result<Vec<f32>> {
        Ok(self.net.run(self.input.clone())?.swap_remove(0).data)
    }

    /// One run, timed per step of tract's plan (see `Net::profile`).
    pub fn profile(&self, clock: fn() -> f64) -> Result<Vec<Step>> {
        self.net.profile(self.input.clone(), clock)
    }
}
