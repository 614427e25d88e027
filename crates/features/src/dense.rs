//! Dense extractors: the feature sets engineers compare tf-idf with today.
//!
//! * `encoder` — frozen sentence-transformer embeddings from a local model folder ([`stance_embed`]), the "linear
//!   probe" of MTEB's classification tasks. Nothing is fitted, so every distinct text is encoded once per run (a
//!   process-wide memo shared by every feature set naming the same folder, in front of the on-disk cache), never
//!   once per fold, and nothing from a test fold can reach a model.
//! * `vectors` — vectors computed elsewhere (any encoder, an API, a GPU job), one per item, keyed by item id, from
//!   a `.npy` matrix with an ids file or a CSV `id,v0,v1,…`. They exist only for the items they were computed for,
//!   so a feature set holding them cannot read new text (behavioural tests are skipped for it, `stance predict`
//!   refuses it).
//! * `word-vectors` — static word vectors (fastText `.vec`, GloVe text), averaged over a statement's words, or
//!   weighted by an idf fitted on the training fold only.
//!
//! Every file is checked when the experiment loads, and every problem names the file and the line (or the row and
//! the tensor): a run never starts with a vectors file it cannot use.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use stance_embed::{EmbeddingCache, SentenceEncoder};

use super::tokenize::TokenKind;
use super::{Block, FeatureError, FittedExtractor, Prepared, SavedExtractor};

// ---------------------------------------------------------------------------------------------------------------
// encoder

/// `{ type = "encoder", model = "path/to/folder" }`: a sentence-transformers folder (BERT architecture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderParams {
    /// The model folder. In an experiment file a relative path is resolved against the file's folder.
    pub model: PathBuf,
}

/// What encoding does besides computing: where the on-disk cache is, and who hears about progress. Set by the
/// caller (the `stance` binary), shared by every use of a loaded model.
#[derive(Clone, Default)]
pub struct EncodeOptions {
    /// The on-disk cache, or `None` to encode without one.
    pub cache: Option<Arc<EmbeddingCache>>,
    /// Called with (texts encoded so far, texts to encode) while a batch of new texts is encoded.
    pub progress: Option<Arc<dyn Fn(usize, usize) + Send + Sync>>,
}

impl fmt::Debug for EncodeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodeOptions")
            .field("cache", &self.cache.as_ref().map(|c| c.dir().to_path_buf()))
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A loaded model folder with the embeddings it computed in this process.
pub struct EncoderHandle {
    folder: PathBuf,
    encoder: SentenceEncoder,
    memo: Mutex<HashMap<String, Arc<[f32]>>>,
    options: Mutex<EncodeOptions>,
    /// Held while new texts are encoded, so two feature sets extracting at once encode each text once: the
    /// second waits and finds the first's results in the memo.
    encoding: Mutex<()>,
    /// Texts this handle has given the model (not the cache or the memo), for the "once per run" guarantee.
    encoded: std::sync::atomic::AtomicUsize,
}

impl fmt::Debug for EncoderHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncoderHandle")
            .field("folder", &self.folder)
            .field("fingerprint", &self.encoder.fingerprint())
            .finish()
    }
}

/// Loaded models by canonical folder: two feature sets naming one folder share its weights and its memo.
fn loaded() -> &'static Mutex<BTreeMap<PathBuf, Arc<EncoderHandle>>> {
    static LOADED: OnceLock<Mutex<BTreeMap<PathBuf, Arc<EncoderHandle>>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(BTreeMap::new()))
}

impl EncoderHandle {
    /// Loads `folder`, or returns the copy this process already loaded.
    pub fn load(folder: &Path) -> Result<Arc<EncoderHandle>, FeatureError> {
        let key = folder
            .canonicalize()
            .unwrap_or_else(|_| folder.to_path_buf());
        if let Some(h) = loaded().lock().expect("not poisoned").get(&key) {
            return Ok(Arc::clone(h));
        }
        let encoder = SentenceEncoder::load(folder).map_err(|source| FeatureError::Encoder {
            folder: folder.to_path_buf(),
            source: Box::new(source),
        })?;
        let handle = Arc::new(EncoderHandle {
            folder: folder.to_path_buf(),
            encoder,
            memo: Mutex::new(HashMap::new()),
            options: Mutex::new(EncodeOptions::default()),
            encoding: Mutex::new(()),
            encoded: std::sync::atomic::AtomicUsize::new(0),
        });
        let mut map = loaded().lock().expect("not poisoned");
        Ok(Arc::clone(map.entry(key).or_insert(handle)))
    }

    /// The folder as given.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// sha256 over the model files (the cache key and the model's identity in reports and model files).
    pub fn fingerprint(&self) -> &str {
        self.encoder.fingerprint()
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.encoder.dim()
    }

    /// How many texts this process has given the model through this handle (memo and cache hits excluded).
    pub fn texts_encoded(&self) -> usize {
        self.encoded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets where the cache is and who hears about progress.
    pub fn set_options(&self, options: EncodeOptions) {
        *self.options.lock().expect("not poisoned") = options;
    }

    /// One row per text, in order: from this process's memo, else the on-disk cache, else the model. The texts
    /// still to encode go to the model in first-appearance order, each once, so the batches — and the bits, which
    /// the encoder keeps independent of batching and threads anyway — depend only on the input.
    pub fn encode(&self, texts: &[&str]) -> Result<Array2<f64>, FeatureError> {
        let options = self.options.lock().expect("not poisoned").clone();
        let _one_at_a_time = self.encoding.lock().expect("not poisoned");
        let mut missing: Vec<&str> = Vec::new();
        {
            let memo = self.memo.lock().expect("not poisoned");
            let mut seen = std::collections::HashSet::new();
            for t in texts {
                if !memo.contains_key(*t) && seen.insert(*t) {
                    missing.push(t);
                }
            }
        }
        if !missing.is_empty() {
            let fp = self.encoder.fingerprint().to_string();
            let mut found: Vec<(&str, Arc<[f32]>)> = Vec::new();
            // The on-disk cache first; a damaged entry reads as a miss (the cache checks each entry's checksum).
            let mut to_encode: Vec<&str> = Vec::new();
            for t in &missing {
                match options.cache.as_ref().and_then(|c| c.get(&fp, t)) {
                    Some(v) if v.len() == self.dim() => found.push((t, v.into())),
                    _ => to_encode.push(t),
                }
            }
            let total = to_encode.len();
            let mut done = 0;
            let mut on_progress = |n: usize| {
                done += n;
                if let Some(p) = &options.progress {
                    p(done, total);
                }
            };
            self.encoded
                .fetch_add(to_encode.len(), std::sync::atomic::Ordering::Relaxed);
            let rows = if to_encode.is_empty() {
                Array2::zeros((0, self.dim()))
            } else {
                self.encoder
                    .encode(&to_encode, &mut on_progress)
                    .map_err(|source| FeatureError::Encoder {
                        folder: self.folder.clone(),
                        source: Box::new(source),
                    })?
            };
            for (t, row) in to_encode.iter().zip(rows.rows()) {
                let v: Arc<[f32]> = row.iter().copied().collect();
                // A cache that cannot be written (full disk, read-only folder) costs the next run an encode, never
                // this run's results: the entry is written atomically or not at all.
                if let Some(c) = &options.cache {
                    let _ = c.put(&fp, t, &v);
                }
                found.push((t, v));
            }
            let mut memo = self.memo.lock().expect("not poisoned");
            for (t, v) in found {
                memo.insert(t.to_string(), v);
            }
        }
        let memo = self.memo.lock().expect("not poisoned");
        let d = self.dim();
        let mut out = Array2::zeros((texts.len(), d));
        for (i, t) in texts.iter().enumerate() {
            let row = &memo[*t];
            for (o, &v) in out.row_mut(i).iter_mut().zip(row.iter()) {
                *o = f64::from(v);
            }
        }
        Ok(out)
    }
}

/// A checked `encoder` extractor: the loaded model.
#[derive(Debug, Clone)]
pub struct CheckedEncoder {
    handle: Arc<EncoderHandle>,
}

impl PartialEq for CheckedEncoder {
    fn eq(&self, other: &Self) -> bool {
        self.handle.fingerprint() == other.handle.fingerprint()
            && self.handle.folder == other.handle.folder
    }
}

impl EncoderParams {
    /// Loads the model folder; every problem names the file and the field.
    pub fn check(&self) -> Result<CheckedEncoder, FeatureError> {
        Ok(CheckedEncoder {
            handle: EncoderHandle::load(&self.model)?,
        })
    }
}

impl CheckedEncoder {
    /// The loaded model.
    pub fn handle(&self) -> &Arc<EncoderHandle> {
        &self.handle
    }

    /// Every text's embedding (the run-wide extraction).
    pub(crate) fn encode(&self, texts: &[&str]) -> Result<Array2<f64>, FeatureError> {
        self.handle.encode(texts)
    }

    /// Nothing to fit: the encoder is frozen.
    pub(crate) fn fit(&self) -> FittedEncoder {
        FittedEncoder {
            model: self.handle.folder.clone(),
            sha256: self.handle.fingerprint().to_string(),
            dim: self.handle.dim(),
            handle: OnceLock::from(Arc::clone(&self.handle)),
        }
    }
}

/// A frozen encoder as a fitted extractor. A model file stores the folder and its sha256, never the weights;
/// loading the file reopens the folder and refuses one whose files changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedEncoder {
    model: PathBuf,
    sha256: String,
    dim: usize,
    #[serde(skip)]
    handle: OnceLock<Arc<EncoderHandle>>,
}

impl FittedEncoder {
    /// The folder and the sha256 of its files.
    pub fn model(&self) -> (&Path, &str) {
        (&self.model, &self.sha256)
    }

    /// The loaded model: the one this process has, or the folder loaded now and checked against the sha256 the
    /// model file holds.
    pub fn handle(&self) -> Result<&Arc<EncoderHandle>, FeatureError> {
        if let Some(h) = self.handle.get() {
            return Ok(h);
        }
        let h = EncoderHandle::load(&self.model)?;
        if h.fingerprint() != self.sha256 || h.dim() != self.dim {
            return Err(FeatureError::ModelChanged {
                folder: self.model.clone(),
                expected: self.sha256.clone(),
                found: h.fingerprint().to_string(),
            });
        }
        Ok(self.handle.get_or_init(|| h))
    }
}

impl FittedExtractor for FittedEncoder {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::Encoder(self.clone())
    }
    fn n_features(&self) -> usize {
        self.dim
    }
    fn feature_name(&self, j: usize) -> String {
        format!("encoder:{j}")
    }
    fn transform(&self, docs: &[Prepared]) -> Result<Block, FeatureError> {
        let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
        Ok(Block::Dense(self.handle()?.encode(&texts)?))
    }
    fn is_dense(&self) -> bool {
        true
    }
    fn encoder(&self) -> Option<&FittedEncoder> {
        Some(self)
    }
    fn vocabulary(&self) -> Vec<String> {
        Vec::new()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// vectors

/// `{ type = "vectors", path = "emb.npy", ids = "emb.ids" }` or `{ type = "vectors", path = "emb.csv" }`: one
/// vector per item, keyed by item id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorsParams {
    /// A `.npy` 2-D array (f32 or f64, one row per id) or a CSV with a header `id,v0,v1,…`.
    pub path: PathBuf,
    /// For a `.npy` file: a text file with one item id per line, in the array's row order.
    #[serde(default)]
    pub ids: Option<PathBuf>,
}

/// Vectors read from a file: ids, rows, and the sha256 of the file(s).
#[derive(Debug)]
pub struct VectorTable {
    path: PathBuf,
    rows: HashMap<String, usize>,
    matrix: Array2<f64>,
    sha256: String,
}

impl VectorTable {
    /// Width of every vector.
    pub fn dim(&self) -> usize {
        self.matrix.ncols()
    }

    /// The file the vectors came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// sha256 of the vectors file (and the ids file, when there is one).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The first of `ids` without a vector, if any.
    pub fn first_missing<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        ids.into_iter().find(|id| !self.rows.contains_key(*id))
    }

    /// The vectors of `ids`, in order.
    fn select(&self, ids: &[&str]) -> Result<Array2<f64>, FeatureError> {
        let mut out = Array2::zeros((ids.len(), self.dim()));
        for (i, id) in ids.iter().enumerate() {
            let r = *self.rows.get(*id).ok_or_else(|| FeatureError::Vectors {
                path: self.path.clone(),
                line: None,
                message: format!(
                    "has no vector for item '{id}'; add one for every item of the data"
                ),
            })?;
            out.row_mut(i).assign(&self.matrix.row(r));
        }
        Ok(out)
    }
}

fn vectors_error(path: &Path, line: Option<u64>, message: String) -> FeatureError {
    FeatureError::Vectors {
        path: path.to_path_buf(),
        line,
        message,
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, FeatureError> {
    std::fs::read(path).map_err(|source| FeatureError::FileIo {
        path: path.to_path_buf(),
        source,
    })
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSV form: a header `id,v0,v1,…` and one row per item.
fn vectors_from_csv(path: &Path, bytes: &[u8]) -> Result<(Vec<String>, Array2<f64>), FeatureError> {
    // Flexible, so a row of the wrong width is reported as such, at its line, by the check below.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = rdr
        .headers()
        .map_err(|e| vectors_error(path, Some(1), format!("unreadable header: {e}")))?
        .clone();
    if header.len() < 2 || &header[0] != "id" {
        return Err(vectors_error(
            path,
            Some(1),
            "the header must be `id,v0,v1,…` (an id column, then one column per dimension)".into(),
        ));
    }
    let dim = header.len() - 1;
    let mut ids = Vec::new();
    let mut values = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(k as u64 + 2, |p| p.line());
        let rec =
            rec.map_err(|e| vectors_error(path, Some(line), format!("unreadable row: {e}")))?;
        if rec.len() != dim + 1 {
            return Err(vectors_error(
                path,
                Some(line),
                format!(
                    "has {} values where the header has {dim} dimensions",
                    rec.len() - 1
                ),
            ));
        }
        ids.push(rec[0].to_string());
        for (j, field) in rec.iter().skip(1).enumerate() {
            let v: f64 = field.trim().parse().map_err(|_| {
                vectors_error(
                    path,
                    Some(line),
                    format!("v{j} = {field:?} is not a number"),
                )
            })?;
            values.push(v);
        }
    }
    let n = ids.len();
    let m = Array2::from_shape_vec((n, dim), values).expect("every row has dim values");
    Ok((ids, m))
}

impl VectorsParams {
    /// Reads and checks the file(s): a duplicate id, a wrong width, a non-finite value or one beyond f32's range
    /// is refused at its line (or row, for `.npy`).
    pub fn check(&self) -> Result<Arc<VectorTable>, FeatureError> {
        let path = &self.path;
        let bytes = read_bytes(path)?;
        let is_npy = path.extension().is_some_and(|e| e == "npy");
        let (ids, matrix, sha256, id_path): (Vec<String>, Array2<f64>, String, PathBuf) = if is_npy
        {
            let Some(ids_path) = &self.ids else {
                return Err(vectors_error(
                    path,
                    None,
                    "a .npy file needs `ids`: a text file with one item id per line, in the array's row order"
                        .into(),
                ));
            };
            let arr =
                stance_embed::npy::parse(path, &bytes).map_err(|source| FeatureError::Encoder {
                    folder: path.clone(),
                    source: Box::new(source),
                })?;
            let id_bytes = read_bytes(ids_path)?;
            let text = String::from_utf8(id_bytes.clone())
                .map_err(|_| vectors_error(ids_path, None, "is not UTF-8 text".into()))?;
            let ids: Vec<String> = text.lines().map(str::to_string).collect();
            let matrix = arr.into_f64();
            if ids.len() != matrix.nrows() {
                return Err(vectors_error(
                    ids_path,
                    None,
                    format!(
                        "has {} ids but {} has {} rows; give one id per row",
                        ids.len(),
                        path.display(),
                        matrix.nrows()
                    ),
                ));
            }
            (
                ids,
                matrix,
                sha256_hex(&[&bytes, &id_bytes]),
                ids_path.clone(),
            )
        } else {
            if self.ids.is_some() {
                return Err(vectors_error(
                    path,
                    None,
                    "`ids` is for .npy files; a CSV holds its ids in its `id` column".into(),
                ));
            }
            let (ids, matrix) = vectors_from_csv(path, &bytes)?;
            (ids, matrix, sha256_hex(&[&bytes]), path.clone())
        };
        // Where row r was written: its CSV line, or its line in the ids file (row r + 1).
        let line_of = |r: usize| -> u64 {
            if is_npy {
                r as u64 + 1
            } else {
                r as u64 + 2
            }
        };
        if matrix.ncols() == 0 {
            return Err(vectors_error(path, None, "holds vectors of width 0".into()));
        }
        let mut rows = HashMap::with_capacity(ids.len());
        for (r, id) in ids.iter().enumerate() {
            if id.is_empty() {
                return Err(vectors_error(
                    &id_path,
                    Some(line_of(r)),
                    "has an empty item id".into(),
                ));
            }
            if let Some(first) = rows.insert(id.clone(), r) {
                return Err(vectors_error(
                    &id_path,
                    Some(line_of(r)),
                    format!(
                        "item id '{id}' appears twice (first at line {}); keep one vector per item",
                        line_of(first)
                    ),
                ));
            }
            // The linear models read every feature value as an f32 (for speed; see stance-models'
            // `linear::stored`), so a finite f64 beyond f32's range would reach them as infinity.
            if let Some((j, &v)) = matrix
                .row(r)
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && v.abs() <= f64::from(f32::MAX)))
            {
                let place = if is_npy {
                    format!("row {r} (item '{id}')")
                } else {
                    format!("item '{id}'")
                };
                let what = if v.is_finite() {
                    format!(
                        "{place} has the value {v:e} in dimension {j}, beyond ±3.4e38 (f32, the precision the \
                         linear models read features in); rescale the vectors"
                    )
                } else {
                    format!("{place} has a non-finite value {v} in dimension {j}")
                };
                return Err(vectors_error(path, (!is_npy).then(|| line_of(r)), what));
            }
        }
        Ok(Arc::new(VectorTable {
            path: path.clone(),
            rows,
            matrix,
            sha256,
        }))
    }
}

/// A checked `vectors` extractor.
#[derive(Debug, Clone)]
pub struct CheckedVectors {
    table: Arc<VectorTable>,
}

impl PartialEq for CheckedVectors {
    fn eq(&self, other: &Self) -> bool {
        self.table.sha256 == other.table.sha256 && self.table.path == other.table.path
    }
}

impl CheckedVectors {
    pub(crate) fn new(table: Arc<VectorTable>) -> CheckedVectors {
        CheckedVectors { table }
    }

    /// The vectors.
    pub fn table(&self) -> &Arc<VectorTable> {
        &self.table
    }

    /// The rows of `ids` (the run-wide extraction).
    pub(crate) fn select(&self, ids: &[&str]) -> Result<Array2<f64>, FeatureError> {
        self.table.select(ids)
    }

    pub(crate) fn fit(&self) -> FittedVectors {
        FittedVectors {
            path: self.table.path.clone(),
            sha256: self.table.sha256.clone(),
            dim: self.table.dim(),
        }
    }
}

/// Vectors as a fitted extractor. They are rows of a file, so they can only be selected by item during a run; a
/// statement the file does not hold has no features.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedVectors {
    path: PathBuf,
    sha256: String,
    dim: usize,
}

impl FittedExtractor for FittedVectors {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::Vectors(self.clone())
    }
    fn n_features(&self) -> usize {
        self.dim
    }
    fn feature_name(&self, j: usize) -> String {
        format!("vectors:{j}")
    }
    fn transform(&self, _docs: &[Prepared]) -> Result<Block, FeatureError> {
        Err(FeatureError::NeedsItems {
            path: self.path.clone(),
        })
    }
    fn is_dense(&self) -> bool {
        true
    }
    fn vocabulary(&self) -> Vec<String> {
        Vec::new()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// word-vectors

/// How `word-vectors` pools a statement's word vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The mean of the known words' vectors.
    #[default]
    Mean,
    /// The idf-weighted mean, idf fitted on the training fold (`ln((1 + n) / (1 + df)) + 1`, scikit-learn's
    /// smoothed idf).
    Idf,
}

/// `{ type = "word-vectors", path = "vectors.vec", pooling = "mean" }`: static word vectors in the fastText `.vec`
/// or GloVe text format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordVectorsParams {
    /// The vectors file: one word and its values per line, space-separated; a fastText header line `count dim` is
    /// allowed first.
    pub path: PathBuf,
    /// Mean or idf-weighted mean (defaults to `mean`).
    #[serde(default)]
    pub pooling: Pooling,
    /// Look words up lower-cased (defaults to `true`: GloVe's and most released vectors' vocabularies are).
    #[serde(default = "yes")]
    pub lowercase: bool,
}

fn yes() -> bool {
    true
}

/// Word vectors read from a file.
#[derive(Debug)]
pub struct WordVectorTable {
    path: PathBuf,
    index: HashMap<String, u32>,
    vectors: Array2<f32>,
    sha256: String,
}

impl WordVectorsParams {
    /// Reads and checks the file: a line with another width or a non-finite value is refused at its line.
    pub fn check(&self) -> Result<CheckedWordVectors, FeatureError> {
        let path = &self.path;
        let bytes = read_bytes(path)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| vectors_error(path, None, format!("is not UTF-8 text ({e})")))?;
        let mut index = HashMap::new();
        let mut values: Vec<f32> = Vec::new();
        let mut dim = 0usize;
        for (k, line) in text.lines().enumerate() {
            let line_no = k as u64 + 1;
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split(' ');
            let word = parts.next().unwrap_or_default();
            let nums: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
            // fastText's header: "count dim".
            if k == 0
                && nums.len() == 1
                && word.parse::<u64>().is_ok()
                && nums[0].parse::<u64>().is_ok()
            {
                continue;
            }
            if nums.is_empty() {
                return Err(vectors_error(
                    path,
                    Some(line_no),
                    format!("word '{word}' has no values"),
                ));
            }
            if dim == 0 {
                dim = nums.len();
            } else if nums.len() != dim {
                return Err(vectors_error(
                    path,
                    Some(line_no),
                    format!(
                        "word '{word}' has {} values, the lines before have {dim}",
                        nums.len()
                    ),
                ));
            }
            for (j, n) in nums.iter().enumerate() {
                let v: f32 = n.parse().map_err(|_| {
                    vectors_error(
                        path,
                        Some(line_no),
                        format!("word '{word}': value {j} = {n:?} is not a number"),
                    )
                })?;
                if !v.is_finite() {
                    return Err(vectors_error(
                        path,
                        Some(line_no),
                        format!("word '{word}' has a non-finite value {v} in dimension {j}"),
                    ));
                }
                values.push(v);
            }
            let key = if self.lowercase {
                word.to_lowercase()
            } else {
                word.to_string()
            };
            // The first vector of a word wins (released files list the most frequent form first).
            let row = index.len() as u32;
            match index.entry(key) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    values.truncate(values.len() - dim)
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(row);
                }
            }
        }
        if dim == 0 {
            return Err(vectors_error(path, None, "holds no word vectors".into()));
        }
        let n = index.len();
        let vectors = Array2::from_shape_vec((n, dim), values).expect("one row per word");
        Ok(CheckedWordVectors {
            params: self.clone(),
            table: Arc::new(WordVectorTable {
                path: path.clone(),
                index,
                vectors,
                sha256: sha256_hex(&[&bytes]),
            }),
        })
    }
}

/// A checked `word-vectors` extractor.
#[derive(Debug, Clone)]
pub struct CheckedWordVectors {
    params: WordVectorsParams,
    table: Arc<WordVectorTable>,
}

impl PartialEq for CheckedWordVectors {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params && self.table.sha256 == other.table.sha256
    }
}

/// A statement's words as `word-vectors` looks them up.
fn words<'a>(doc: &'a Prepared, lowercase: bool) -> impl Iterator<Item = String> + 'a {
    doc.tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word)
        .map(move |t| {
            if lowercase {
                t.text.to_lowercase()
            } else {
                t.text.clone()
            }
        })
}

impl CheckedWordVectors {
    /// Of `docs`' words, how many the vectors file holds and how many there are.
    pub fn coverage(&self, docs: &[Prepared]) -> (usize, usize) {
        let mut known = 0;
        let mut total = 0;
        for d in docs {
            for w in words(d, self.params.lowercase) {
                total += 1;
                known += usize::from(self.table.index.contains_key(&w));
            }
        }
        (known, total)
    }

    /// The vectors file.
    pub fn path(&self) -> &Path {
        &self.table.path
    }

    /// Width of the word vectors.
    pub fn dim(&self) -> usize {
        self.table.vectors.ncols()
    }

    /// sha256 of the vectors file.
    pub fn sha256(&self) -> &str {
        &self.table.sha256
    }

    /// Fits the idf on the training documents only (nothing for the mean).
    pub(crate) fn fit(&self, docs: &[Prepared]) -> FittedWordVectors {
        let idf = (self.params.pooling == Pooling::Idf).then(|| {
            let mut df: BTreeMap<String, usize> = BTreeMap::new();
            for d in docs {
                let mut seen: Vec<String> = words(d, self.params.lowercase)
                    .filter(|w| self.table.index.contains_key(w))
                    .collect();
                seen.sort();
                seen.dedup();
                for w in seen {
                    *df.entry(w).or_default() += 1;
                }
            }
            let n = docs.len() as f64;
            df.into_iter()
                .map(|(w, d)| (w, ((1.0 + n) / (1.0 + d as f64)).ln() + 1.0))
                .collect()
        });
        FittedWordVectors {
            path: self.table.path.clone(),
            sha256: self.table.sha256.clone(),
            lowercase: self.params.lowercase,
            dim: self.table.vectors.ncols(),
            idf,
            n_train: docs.len(),
            table: OnceLock::from(Arc::clone(&self.table)),
        }
    }
}

/// Pooled word vectors as a fitted extractor: the idf learned from the training fold, the file by path and sha256.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedWordVectors {
    path: PathBuf,
    sha256: String,
    lowercase: bool,
    dim: usize,
    /// Training-fold idf of the known words; `None` for the plain mean.
    idf: Option<BTreeMap<String, f64>>,
    /// Training documents (the idf of a word the fold never saw is that of a word seen in none of them).
    n_train: usize,
    #[serde(skip)]
    table: OnceLock<Arc<WordVectorTable>>,
}

impl FittedWordVectors {
    fn table(&self) -> Result<&Arc<WordVectorTable>, FeatureError> {
        if let Some(t) = self.table.get() {
            return Ok(t);
        }
        let checked = WordVectorsParams {
            path: self.path.clone(),
            pooling: if self.idf.is_some() {
                Pooling::Idf
            } else {
                Pooling::Mean
            },
            lowercase: self.lowercase,
        }
        .check()?;
        if checked.table.sha256 != self.sha256 {
            return Err(FeatureError::ModelChanged {
                folder: self.path.clone(),
                expected: self.sha256.clone(),
                found: checked.table.sha256.clone(),
            });
        }
        Ok(self.table.get_or_init(|| checked.table))
    }
}

impl FittedExtractor for FittedWordVectors {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::WordVectors(self.clone())
    }
    fn n_features(&self) -> usize {
        self.dim
    }
    fn feature_name(&self, j: usize) -> String {
        format!("word-vectors:{j}")
    }
    fn transform(&self, docs: &[Prepared]) -> Result<Block, FeatureError> {
        let table = self.table()?;
        let unseen = ((1.0 + self.n_train as f64) / 1.0).ln() + 1.0;
        let mut out = Array2::zeros((docs.len(), self.dim));
        let mut acc = vec![0.0f64; self.dim];
        for (i, d) in docs.iter().enumerate() {
            acc.iter_mut().for_each(|a| *a = 0.0);
            let mut weight = 0.0;
            for w in words(d, self.lowercase) {
                let Some(&r) = table.index.get(&w) else {
                    continue;
                };
                let wt = match &self.idf {
                    Some(idf) => idf.get(&w).copied().unwrap_or(unseen),
                    None => 1.0,
                };
                for (a, &v) in acc.iter_mut().zip(table.vectors.row(r as usize)) {
                    *a += wt * f64::from(v);
                }
                weight += wt;
            }
            if weight > 0.0 {
                for (o, a) in out.row_mut(i).iter_mut().zip(&acc) {
                    *o = a / weight;
                }
            }
        }
        Ok(Block::Dense(out))
    }
    fn is_dense(&self) -> bool {
        true
    }
    fn vocabulary(&self) -> Vec<String> {
        self.idf
            .as_ref()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Doc, FeatureSetSpec};

    use crate::tiny_bert;

    fn set(src: &str) -> crate::FeatureSet {
        let spec: FeatureSetSpec = toml::from_str(src).unwrap();
        spec.check().unwrap()
    }

    /// Frozen means encoded once: every fold of every repeat, and a second feature set naming the same folder,
    /// reuse the embeddings computed when the run extracted its items.
    #[test]
    fn each_distinct_text_is_encoded_once_per_process_whatever_the_folds() {
        let dir = tempfile::tempdir().unwrap();
        let folder = tiny_bert::Tiny::default().write(dir.path());
        let texts = [
            "war and peace",
            "nato",
            "kyiv",
            "war and peace",
            "russia strike",
        ];
        let ids = ["a", "b", "c", "d", "e"];
        let src = |name: &str| {
            format!(
                "name = '{name}'\nextractors = [{{ type = 'encoder', model = '{}' }}]",
                folder.display()
            )
        };
        let one = set(&src("one"));
        let two = set(&(src("two").replace("}]", "}, { type = 'shape' }]")));
        let handle = Arc::clone(one.encoders()[0]);
        assert!(
            Arc::ptr_eq(&handle, two.encoders()[0]),
            "one folder, one loaded model"
        );
        let before = handle.texts_encoded();
        for fs in [&one, &two] {
            let ex = fs.extract(&ids, &texts).unwrap().unwrap();
            for fold in [[0usize, 1, 2], [2, 3, 4], [0, 3, 4]] {
                let fitted = fs.fit_extracted(&ex, &fold).unwrap();
                let x = fitted.transform_extracted(&ex, &[0, 1, 2, 3, 4]).unwrap();
                assert_eq!(x.dense_block().ncols(), tiny_bert::HIDDEN);
                // The text path (behavioural cases, new statements) hits the memo too.
                fitted.transform(&texts).unwrap();
            }
        }
        assert_eq!(
            handle.texts_encoded() - before,
            4,
            "four distinct texts, each encoded once"
        );
    }

    #[test]
    fn word_vector_idf_is_learned_from_the_training_documents_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.vec");
        std::fs::write(&path, "war 1 0\npeace 0 1\nnato 1 1\n").unwrap();
        let fs = set(&format!(
            "name = 'wv'\nextractors = [{{ type = 'word-vectors', path = '{}', pooling = 'idf' }}]",
            path.display()
        ));
        let train = [
            Doc {
                text: "war war",
                holder: None,
            },
            Doc {
                text: "war and peace",
                holder: None,
            },
        ];
        let fitted = fs.fit(&train).unwrap();
        // "nato" appears only in the test document: it is not in the fitted idf.
        assert!(!fitted.vocabulary().iter().any(|w| w == "nato"));
        assert_eq!(fitted.vocabulary(), ["peace", "war"]);
        let x = fitted.transform(&["nato", "unknown words only"]).unwrap();
        let d = x.dense_block();
        // An unseen (but known) word still gets a vector, with the idf of a word no training document has.
        assert_eq!(d.row(0).to_vec(), vec![1.0, 1.0]);
        // No known word: a zero row.
        assert_eq!(d.row(1).to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn vectors_refuse_new_text_and_masking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.csv");
        std::fs::write(&path, "id,v0\na,0.5\n").unwrap();
        let fs = set(&format!(
            "name = 'v'\nextractors = [{{ type = 'vectors', path = '{}' }}]",
            path.display()
        ));
        assert!(!fs.reads_text());
        let fitted = fs
            .fit(&[Doc {
                text: "x",
                holder: None,
            }])
            .unwrap();
        assert!(matches!(
            fitted.transform(&["new"]),
            Err(FeatureError::NeedsItems { .. })
        ));
        let spec: FeatureSetSpec = toml::from_str(&format!(
            "name = 'v'\nmask_holders = true\nextractors = [{{ type = 'vectors', path = '{}' }}]",
            path.display()
        ))
        .unwrap();
        let err = spec.check().unwrap_err();
        assert!(err.to_string().contains("mask_holders"), "{err}");
    }
}
