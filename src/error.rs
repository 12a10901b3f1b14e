//! The one error type of the core. Every message is lowercase, names the input it is about and
//! says what to do, because across the wasm boundary JS sees only this top-level message.

/// Everything that can go wrong in vitrine, one variant per concern.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The photo could not be read as an image (the caller's input: not an image, truncated,
    /// an unsupported format).
    #[error("{input}: {reason}")]
    Decode { input: String, reason: String },

    /// The photo is in a format vitrine has no decoder for (the caller's input: HEIC from an
    /// iPhone, AVIF, an arithmetic-coded JPEG...). `format` names it ("a HEIC/HEIF photo") and
    /// `fix` says how to get a format vitrine reads. A shell with a decoder of its own (the
    /// browser's) may still read it: [`crate::photo::decodes`] says which bytes to give it.
    #[error("{input} is {format}, which vitrine cannot decode: {fix}")]
    Unsupported { input: String, format: &'static str, fix: &'static str },

    /// The photo is over one of the configured [`crate::photo::Limits`] (the caller's input).
    #[error("{input}: {what} is {actual}, over the limit of {limit}; use a smaller photo")]
    TooLarge { input: String, what: &'static str, actual: u64, limit: u64 },

    /// A model file is wrong: another file, truncated, damaged, or a graph tract cannot run
    /// (the deployment's fault: rebuild or re-download models/).
    #[error("model {file}: {reason}")]
    Model { file: String, reason: String },

    /// A catalog row or header is wrong (the retailer's input: fix the CSV at that line).
    #[error("{input} line {line}: {reason}")]
    Catalog { input: String, line: u64, reason: String },

    /// A catalog index file is damaged, of another version, or built by another embedder (the
    /// deployment's fault: rebuild it with `vitrine index build`).
    #[error("index {input}: {reason}")]
    Index { input: String, reason: String },

    /// A look was finished with results that do not belong to it: the shell called the split
    /// look (`locate`, `match_crop`, `finish`) out of order or mixed two photos (a bug there).
    #[error("{0}")]
    Call(String),

    /// Training the embedding head failed (`vitrine train`).
    #[error("training: {0}")]
    Train(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
