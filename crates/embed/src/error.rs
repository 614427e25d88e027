//! The crate's one error type.
//!
//! Every message starts with the file it is about and names the field or tensor where there is one, so that a
//! person who points the harness at a wrong or damaged model folder can tell which file to replace. Errors from
//! other libraries are kept as the `source` and their text is not repeated in the message, so a reporter that
//! prints the whole chain prints each part once.

use std::path::PathBuf;

/// Everything that can go wrong while loading a model folder, encoding, or reading and writing `.npy` files and
/// the embedding cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// A file the model folder must contain is not there.
    #[error("{}: file not found; {hint}", path.display())]
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
        /// What the file is for and how to get it.
        hint: &'static str,
    },

    /// A file exists but could not be read (permissions, I/O error).
    #[error("{}: cannot read the file", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A JSON file does not parse, or does not have the structure expected of it.
    #[error("{}: not valid JSON for this file; replace it with the model's original", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error (line, column, what was expected).
        #[source]
        source: serde_json::Error,
    },

    /// A required field is absent from a JSON file.
    #[error("{}: field `{field}` is missing; {hint}", path.display())]
    MissingField {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// How to fix it.
        hint: &'static str,
    },

    /// A field has a value this crate does not implement (another architecture, activation, pooling mode, ...).
    #[error("{}: {field} {value} is not supported ({supported})", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The field.
        field: String,
        /// The value found, as written in the file.
        value: String,
        /// What is supported.
        supported: String,
    },

    /// A field's value is out of range or inconsistent with another field.
    #[error("{}: field `{field}` is invalid: {reason}", path.display())]
    InvalidField {
        /// The file.
        path: PathBuf,
        /// The field.
        field: String,
        /// What is wrong and, where possible, how to fix it.
        reason: String,
    },

    /// The safetensors file is truncated or damaged (bad header, offsets outside the file, ...).
    #[error("{}: truncated or damaged safetensors file; download the model file again", path.display())]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The safetensors parser's error.
        #[source]
        source: safetensors::SafeTensorError,
    },

    /// A tensor a BERT checkpoint must have is not in the safetensors file.
    #[error(
        "{}: tensor `{tensor}` is missing; the file is not a BERT checkpoint matching config.json",
        path.display()
    )]
    MissingTensor {
        /// The safetensors file.
        path: PathBuf,
        /// The tensor's full name as looked up.
        tensor: String,
    },

    /// A tensor has a shape other than the one config.json implies.
    #[error(
        "{}: tensor `{tensor}` has shape {found:?}, expected {expected:?} from config.json; the weights and \
         config.json belong to different models",
        path.display()
    )]
    TensorShape {
        /// The safetensors file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// The shape config.json implies.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },

    /// A tensor is stored in a dtype other than float32.
    #[error(
        "{}: tensor `{tensor}` has dtype {found}, expected F32; convert the checkpoint to float32 \
         (e.g. `model.float()` before `save_pretrained`)",
        path.display()
    )]
    TensorDtype {
        /// The safetensors file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// The dtype in the file.
        found: String,
    },

    /// tokenizer.json does not load with the `tokenizers` library.
    #[error("{}: the tokenizer does not load; replace it with the model's original tokenizer.json", path.display())]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// The tokenizers library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Tokenising one of the input texts failed.
    #[error("{}: tokenising text #{index} failed", path.display())]
    Tokenize {
        /// The tokenizer file.
        path: PathBuf,
        /// The text's position in the input.
        index: usize,
        /// The tokenizers library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The tokenizer produced an id outside the embedding matrix.
    #[error(
        "{}: token id {id} (text #{index}) is outside the vocabulary of {vocab} rows of \
         embeddings.word_embeddings.weight; tokenizer.json and the weights belong to different models",
        path.display()
    )]
    TokenOutOfRange {
        /// The tokenizer file.
        path: PathBuf,
        /// The text's position in the input.
        index: usize,
        /// The offending id.
        id: u32,
        /// The number of rows of the word-embedding matrix.
        vocab: usize,
    },

    /// A `.npy` file is not a 2-D little-endian f32/f64 C-order array, or is truncated.
    #[error("{}: {reason}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// Writing a file (a `.npy` output or a cache entry) failed.
    #[error("{}: cannot write the file", path.display())]
    Write {
        /// The file or folder written to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}
