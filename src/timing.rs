//! The stage timings a look reports (`Look::timings`): a millisecond clock that works natively
//! and in the browser, and the timer that laps the pipeline's steps.

use crate::catalog::Wear;
use crate::look::Timing;

/// A millisecond clock: `performance.now()` in the browser, `Instant` natively.
pub type Clock = fn() -> f64;

/// Milliseconds since the first call: the native clock of the stage timings (and of
/// benchmarks and tests that time tract's steps).
#[cfg(not(target_arch = "wasm32"))]
pub fn default_clock() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// `Instant` panics on wasm32: the wasm façade installs `performance.now()` with `with_clock`.
#[cfg(target_arch = "wasm32")]
pub fn default_clock() -> f64 {
    0.0
}

/// The stage name of embedding (`what` "embed") or searching (any other `what`) one garment.
pub(crate) fn stage(what: &'static str, wear: Wear) -> &'static str {
    match (what, wear) {
        ("embed", Wear::Top) => "embed_top",
        ("embed", Wear::Bottom) => "embed_bottom",
        ("embed", Wear::Foot) => "embed_foot",
        ("embed", Wear::Dress) => "embed_dress",
        (_, Wear::Top) => "search_top",
        (_, Wear::Bottom) => "search_bottom",
        (_, Wear::Foot) => "search_foot",
        (_, Wear::Dress) => "search_dress",
    }
}

/// Laps of one look, in ms and multiply-adds, ending with the total.
pub(crate) struct Timer {
    clock: Clock,
    start: f64,
    last: f64,
    /// Multiply-adds run since the last lap.
    work: f64,
    laps: Vec<Timing>,
}

impl Timer {
    pub(crate) fn new(clock: Clock) -> Timer {
        let now = clock();
        Timer { clock, start: now, last: now, work: 0.0, laps: Vec::new() }
    }

    /// A stage timed elsewhere (e.g. by another worker's matcher).
    pub(crate) fn add(&mut self, stage: &'static str, ms: f64, multiply_adds: f64) {
        self.laps.push(Timing { stage, ms, multiply_adds });
    }

    /// Counts one network run of `multiply_adds` into the stage under way.
    pub(crate) fn ran(&mut self, multiply_adds: f64) {
        self.work += multiply_adds;
    }

    /// Ends `stage` now: its time is the time since the last lap, its work what ran since.
    pub(crate) fn lap(&mut self, stage: &'static str) {
        let now = (self.clock)();
        self.laps.push(Timing { stage, ms: now - self.last, multiply_adds: self.work });
        self.last = now;
        self.work = 0.0;
    }

    /// The laps so far.
    pub(crate) fn laps(&self) -> &[Timing] {
        &self.laps
    }

    /// The laps and the total since the timer started.
    pub(crate) fn finish(mut self) -> Vec<Timing> {
        let total = (self.clock)() - self.start;
        let multiply_adds = self.laps.iter().map(|t| t.multiply_adds).sum();
        self.laps.push(Timing { stage: "total", ms: total, multiply_adds });
        self.laps
    }
}
