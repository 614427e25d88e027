//! Stage 2 — features: extractors that turn statements into sparse feature rows.
//!
//! The linfa idiom, applied to feature extraction so that leakage cannot happen by construction:
//!
//! 1. an [`ExtractorSpec`] / [`FeatureSetSpec`] is what an experiment file declares (serde, unknown keys rejected);
//! 2. [`FeatureSetSpec::check`] validates it once and returns a [`FeatureSet`];
//! 3. [`FeatureSet::fit`] sees **only the training rows** of a fold and returns a [`FittedFeatureSet`] holding
//!    everything learned (vocabulary, idf, scalers, holder names);
//! 4. only the fitted object can [`transform`](FittedFeatureSet::transform) — training rows and test rows alike.
//!
//! A feature set is a named union of extractors: their columns are concatenated in declaration order, and every
//! column has a readable name (`word:lift the`, `lex:escalat* (oppose)`) for top-feature reports.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`; never a crate
//! above it.

pub mod bag;

pub mod dense;
mod intern;
pub mod lexicon;
pub mod mask;
pub mod ngrams;
pub mod scaled;
pub mod shape;
/// The tiny random-weight BERT folder the embed crate's tests write, shared with this crate's tests.
#[cfg(test)]
#[path = "../../embed/tests/common/mod.rs"]
mod tiny_bert;
pub mod tokenize;

use std::fmt::Debug;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sprs::CsMat;

use self::bag::{FittedBag, InternedTerms};
use self::intern::{Interner, MAX_WORD_N};
use self::lexicon::{LexiconCues, LexiconParams};
use self::mask::FittedMasker;
use self::ngrams::{
    CharNgramParams, CharTerms, CheckedBag, NegationParams, NegationTerms, WordNgramParams,
    WordTerms,
};
use self::scaled::DenseSource;
use self::shape::{ShapeColumns, ShapeParams};
use self::tokenize::{tokenize, Token};
use ndarray::Array2;
use stance_core::tunable::ParamGrid;
pub use stance_matrix::FeatureMatrix;

pub use self::scaled::MaxAbsScaler;

/// Errors of the feature layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureError {
    /// A parameter is out of range.
    #[error("extractor '{extractor}': parameter '{param}' {message}")]
    InvalidParam {
        /// Extractor type.
        extractor: String,
        /// Parameter name.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// A lexicon file is malformed.
    #[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Lexicon {
        /// File (or built-in name).
        origin: String,
        /// Line, when known.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A lexicon file cannot be read.
    #[error("{origin}: cannot read")]
    LexiconIo {
        /// The file.
        origin: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A lexicon file is not valid TOML or does not match the lexicon schema.
    #[error("{origin}{}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    LexiconToml {
        /// The file (or built-in name).
        origin: String,
        /// Line, when the parser gave a position.
        line: Option<u64>,
        /// The parser's error.
        source: stance_core::errors::TomlCause,
    },
    /// A sentence-encoder folder (or a `.npy` file) cannot be used.
    #[error("{}", folder.display())]
    Encoder {
        /// The model folder or file.
        folder: PathBuf,
        /// What is wrong, naming the file and the field.
        source: Box<stance_embed::EmbedError>,
    },
    /// A model folder or vectors file is not the one a model file was trained with.
    #[error(
        "{}: its files changed since the model was trained (sha256 {expected} then, {found} now); retrain the \
         model with `stance train`, or restore the files",
        folder.display()
    )]
    ModelChanged {
        /// The folder or file.
        folder: PathBuf,
        /// The sha256 the model file holds.
        expected: String,
        /// The sha256 found now.
        found: String,
    },
    /// A vectors or word-vectors file is malformed.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Vectors {
        /// The file.
        path: PathBuf,
        /// The line, when the problem has one.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A vectors or word-vectors file cannot be read.
    #[error("{}: cannot read", path.display())]
    FileIo {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Vectors computed elsewhere were asked for a statement that is not one of the data's items.
    #[error(
        "vectors from {} exist only for the items they were computed for, not for new statements; compute \
         vectors for these statements with the same encoder, or use an `encoder` extractor",
        path.display()
    )]
    NeedsItems {
        /// The vectors file.
        path: PathBuf,
    },
    /// A feature set has no extractors.
    #[error("feature set '{0}' has no extractors; add at least one to its `extractors` list")]
    EmptyFeatureSet(String),
    /// Fitting produced no columns at all.
    #[error(
        "feature set '{name}' learned no features from a training fold of {rows} rows; lower min_df or add extractors"
    )]
    NoFeatures {
        /// Feature set name.
        name: String,
        /// Training rows.
        rows: usize,
    },
}

/// A statement prepared for extraction: its (possibly masked) text and its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The text.
    pub text: String,
    /// The tokens, with negation scopes marked.
    pub tokens: Vec<Token>,
}

impl Prepared {
    /// Tokenises a text.
    pub fn new(text: &str) -> Prepared {
        Prepared {
            text: text.to_string(),
            tokens: tokenize(text),
        }
    }
}

/// One extractor's columns for some documents: sparse rows (bags of terms, cues, shapes) or dense rows
/// (embeddings, vectors).
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// CSR rows.
    Sparse(CsMat<f64>),
    /// Dense rows, documents × columns.
    Dense(Array2<f64>),
}

impl Block {
    /// The rows as a dense matrix.
    pub fn to_dense(&self) -> Array2<f64> {
        match self {
            Block::Sparse(m) => m.to_dense(),
            Block::Dense(m) => m.clone(),
        }
    }
}

/// A fitted extractor: knows its columns and maps documents to rows.
pub trait FittedExtractor: Send + Sync + Debug {
    /// Number of columns.
    fn n_features(&self) -> usize;
    /// Readable name of column `j`.
    fn feature_name(&self, j: usize) -> String;
    /// One row per document: a [`Block::Sparse`] for sparse extractors, a [`Block::Dense`] for dense ones.
    /// Fails only for extractors that cannot read arbitrary text (vectors computed elsewhere, keyed by item id).
    fn transform(&self, docs: &[Prepared]) -> Result<Block, FeatureError>;
    /// Whether [`transform`](Self::transform) gives dense rows. A feature set's matrix holds its sparse
    /// extractors' columns first and its dense extractors' after, each group in declaration order.
    fn is_dense(&self) -> bool {
        false
    }
    /// The frozen sentence encoder this extractor is, if it is one (its folder must be loaded before use).
    fn encoder(&self) -> Option<&dense::FittedEncoder> {
        None
    }
    /// The terms learned from the training documents (empty for extractors with a fixed vocabulary).
    fn vocabulary(&self) -> Vec<String>;
    /// The vocabulary, for bag-of-terms extractors (which can transform interned terms).
    fn bag(&self) -> Option<&FittedBag> {
        None
    }
    /// A copy in the closed form model files store ([`SavedExtractor`]).
    fn to_saved(&self) -> SavedExtractor;
    /// Whether the fitted state agrees with itself (settings valid, per-column lists as long as the columns), as
    /// a fit leaves it; a model file is checked with this before use, so an edited one is refused, not indexed out
    /// of bounds. Returns what is wrong.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// One fitted extractor in the closed form model files store (`stance train`), tagged by its type as in experiment
/// files.
///
/// A [`FittedFeatureSet`] holds its extractors as trait objects, which serde cannot read back; this enum names every
/// kind, so a file says which extractor each part is and loading rebuilds the same objects. It lives at the crate
/// root, beside the trait, because it is the closed set of this crate's extractors: adding one means adding a variant
/// here (and bumping the model file's schema version).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SavedExtractor {
    /// Word n-grams.
    WordNgrams(ngrams::FittedWords),
    /// Character n-grams.
    CharNgrams(ngrams::FittedChars),
    /// Stance-cue lexicon.
    Lexicon(lexicon::FittedLexicon),
    /// Negation-scope words.
    Negation(ngrams::FittedNegation),
    /// Shape features.
    Shape(shape::FittedShape),
    /// A frozen sentence encoder (the folder and its sha256, not the weights).
    Encoder(dense::FittedEncoder),
    /// Vectors computed elsewhere (the file and its sha256).
    Vectors(dense::FittedVectors),
    /// Pooled word vectors (the file and its sha256, the training-fold idf).
    WordVectors(dense::FittedWordVectors),
}

impl SavedExtractor {
    /// The type as experiment files write it.
    pub fn kind(&self) -> &'static str {
        match self {
            SavedExtractor::WordNgrams(_) => "word-ngrams",
            SavedExtractor::CharNgrams(_) => "char-ngrams",
            SavedExtractor::Lexicon(_) => "lexicon",
            SavedExtractor::Negation(_) => "negation",
            SavedExtractor::Shape(_) => "shape",
            SavedExtractor::Encoder(_) => "encoder",
            SavedExtractor::Vectors(_) => "vectors",
            SavedExtractor::WordVectors(_) => "word-vectors",
        }
    }

    /// The extractor as the feature set uses it.
    pub fn into_fitted(self) -> Box<dyn FittedExtractor> {
        match self {
            SavedExtractor::WordNgrams(e) => Box::new(e),
            SavedExtractor::CharNgrams(e) => Box::new(e),
            SavedExtractor::Lexicon(e) => Box::new(e),
            SavedExtractor::Negation(e) => Box::new(e),
            SavedExtractor::Shape(e) => Box::new(e),
            SavedExtractor::Encoder(e) => Box::new(e),
            SavedExtractor::Vectors(e) => Box::new(e),
            SavedExtractor::WordVectors(e) => Box::new(e),
        }
    }
}

/// `#[serde(with = "boxed")]` for a list of boxed fitted extractors.
mod boxed {
    use super::*;

    pub(crate) fn serialize<S: serde::Serializer>(
        extractors: &[Box<dyn FittedExtractor>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(extractors.iter().map(|e| e.to_saved()))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Box<dyn FittedExtractor>>, D::Error> {
        let saved = Vec::<SavedExtractor>::deserialize(d)?;
        Ok(saved.into_iter().map(SavedExtractor::into_fitted).collect())
    }
}

/// One extractor as declared in an experiment file (`{ type = "word-ngrams", ngram = [1, 2] }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ExtractorSpec {
    /// Word n-grams.
    WordNgrams(WordNgramParams),
    /// Character n-grams.
    CharNgrams(CharNgramParams),
    /// Stance-cue lexicon.
    Lexicon(LexiconParams),
    /// Words inside negation scopes, and the number of negation cues.
    Negation(NegationParams),
    /// Length, quotation, first person, modal verbs, negation, question marks, digits.
    Shape(ShapeParams),
    /// Frozen sentence-transformer embeddings from a local model folder (dense).
    Encoder(dense::EncoderParams),
    /// Vectors computed elsewhere, one per item id (dense).
    Vectors(dense::VectorsParams),
    /// Static word vectors, mean- or idf-pooled (dense).
    WordVectors(dense::WordVectorsParams),
}

impl ExtractorSpec {
    /// The extractor's type name as written in experiment files.
    pub fn kind(&self) -> &'static str {
        match self {
            ExtractorSpec::WordNgrams(_) => "word-ngrams",
            ExtractorSpec::CharNgrams(_) => "char-ngrams",
            ExtractorSpec::Lexicon(_) => "lexicon",
            ExtractorSpec::Negation(_) => "negation",
            ExtractorSpec::Shape(_) => "shape",
            ExtractorSpec::Encoder(_) => "encoder",
            ExtractorSpec::Vectors(_) => "vectors",
            ExtractorSpec::WordVectors(_) => "word-vectors",
        }
    }

    /// The parameters given as lists, with their values as reports write them: `ngram` (word and character
    /// n-grams) and `max_features` (the bag-of-terms extractors).
    fn tuned_params(&self) -> Vec<(&'static str, Vec<String>)> {
        let range = |r: &[usize; 2]| format!("[{},{}]", r[0], r[1]);
        let max = |m: &Option<usize>| m.map_or_else(|| "none".to_string(), |m| m.to_string());
        let mut out = Vec::new();
        let (ngram, max_features) = match self {
            ExtractorSpec::WordNgrams(p) => (Some(&p.ngram), Some(&p.max_features)),
            ExtractorSpec::CharNgrams(p) => (Some(&p.ngram), Some(&p.max_features)),
            ExtractorSpec::Negation(p) => (None, Some(&p.max_features)),
            _ => (None, None),
        };
        if let Some(t) = ngram.filter(|t| t.is_grid()) {
            out.push(("ngram", t.values().iter().map(range).collect()));
        }
        if let Some(t) = max_features.filter(|t| t.is_grid()) {
            out.push(("max_features", t.values().iter().map(max).collect()));
        }
        out
    }

    /// The spec with listed parameter `param` fixed to its `i`-th value.
    fn pick(&self, param: &str, i: usize) -> ExtractorSpec {
        let mut s = self.clone();
        match (&mut s, param) {
            (ExtractorSpec::WordNgrams(p), "ngram") => p.ngram = p.ngram.pick(i),
            (ExtractorSpec::CharNgrams(p), "ngram") => p.ngram = p.ngram.pick(i),
            (ExtractorSpec::WordNgrams(p), _) => p.max_features = p.max_features.pick(i),
            (ExtractorSpec::CharNgrams(p), _) => p.max_features = p.max_features.pick(i),
            (ExtractorSpec::Negation(p), _) => p.max_features = p.max_features.pick(i),
            _ => {}
        }
        s
    }

    fn check(&self) -> Result<ValidExtractor, FeatureError> {
        Ok(match self {
            ExtractorSpec::WordNgrams(p) => ValidExtractor::Words(p.check()?),
            ExtractorSpec::CharNgrams(p) => ValidExtractor::Chars(p.check()?),
            ExtractorSpec::Lexicon(p) => ValidExtractor::Lexicon(p.check()?),
            ExtractorSpec::Negation(p) => ValidExtractor::Negation(p.check()?),
            ExtractorSpec::Shape(p) => ValidExtractor::Shape(p.check()),
            ExtractorSpec::Encoder(p) => ValidExtractor::Encoder(p.check()?),
            ExtractorSpec::Vectors(p) => {
                ValidExtractor::Vectors(dense::CheckedVectors::new(p.check()?))
            }
            ExtractorSpec::WordVectors(p) => ValidExtractor::WordVectors(p.check()?),
        })
    }
}

/// A validated extractor: what each spec's `check` returns, the only form that can fit.
#[derive(Debug, Clone, PartialEq)]
enum ValidExtractor {
    Words(CheckedBag<WordTerms>),
    Chars(CheckedBag<CharTerms>),
    Lexicon(LexiconCues),
    Negation(CheckedBag<NegationTerms>),
    Shape(ShapeColumns),
    Encoder(dense::CheckedEncoder),
    Vectors(dense::CheckedVectors),
    WordVectors(dense::CheckedWordVectors),
}

impl ValidExtractor {
    /// Interns a bag-of-terms extractor's terms of `text`, whose tokens are `spans`: the same ids as interning
    /// [`ValidExtractor::bag_terms`] would give, without a string per term.
    fn intern(&self, text: &str, spans: &[tokenize::Span], into: &mut Interner) {
        match self {
            ValidExtractor::Words(p) => p.intern(text, spans, into),
            ValidExtractor::Chars(p) => p.intern(text, into),
            ValidExtractor::Negation(p) => p.intern(text, spans, into),
            _ => unreachable!("only bag extractors are interned"),
        }
    }

    /// A bag-of-terms extractor's terms of one document; `None` for the others.
    #[cfg(test)]
    fn bag_terms(&self, doc: &Prepared) -> Option<Vec<String>> {
        match self {
            ValidExtractor::Words(p) => Some(p.terms(doc)),
            ValidExtractor::Chars(p) => Some(p.terms(doc)),
            ValidExtractor::Negation(p) => Some(p.terms(doc)),
            _ => None,
        }
    }

    /// What a bag extractor's interning reads of [`tokenize::scan`]: the tokens, and their negation scopes
    /// (`(false, _)` for character n-grams, which cut the text themselves).
    fn reads_tokens(&self) -> (bool, bool) {
        match self {
            ValidExtractor::Words(p) => (true, p.marks_negation()),
            ValidExtractor::Chars(_) => (false, false),
            _ => (true, true),
        }
    }

    fn is_bag(&self) -> bool {
        matches!(
            self,
            ValidExtractor::Words(_) | ValidExtractor::Chars(_) | ValidExtractor::Negation(_)
        )
    }

    /// Fits a bag-of-terms extractor on the interned terms of `rows`.
    fn fit_interned(&self, interned: &InternedTerms, rows: &[usize]) -> Box<dyn FittedExtractor> {
        match self {
            ValidExtractor::Words(p) => Box::new(p.fit_interned(interned, rows)),
            ValidExtractor::Chars(p) => Box::new(p.fit_interned(interned, rows)),
            ValidExtractor::Negation(p) => Box::new(p.fit_interned(interned, rows)),
            _ => unreachable!("only bag extractors are interned"),
        }
    }

    fn fit(&self, docs: &[Prepared]) -> Box<dyn FittedExtractor> {
        match self {
            ValidExtractor::Words(p) => Box::new(p.fit(docs)),
            ValidExtractor::Chars(p) => Box::new(p.fit(docs)),
            ValidExtractor::Lexicon(p) => Box::new(p.fit(docs)),
            ValidExtractor::Negation(p) => Box::new(p.fit(docs)),
            ValidExtractor::Shape(p) => Box::new(p.fit(docs)),
            ValidExtractor::Encoder(p) => Box::new(p.fit()),
            ValidExtractor::Vectors(p) => Box::new(p.fit()),
            ValidExtractor::WordVectors(p) => Box::new(p.fit(docs)),
        }
    }

    /// Whether the extractor is frozen and dense: its rows for every item are computed once per run (an encoder,
    /// vectors computed elsewhere) rather than per fold.
    fn is_frozen_dense(&self) -> bool {
        matches!(
            self,
            ValidExtractor::Encoder(_) | ValidExtractor::Vectors(_)
        )
    }

    /// A frozen dense extractor's rows of the items `ids` with texts `texts`.
    fn extract_dense(&self, ids: &[&str], texts: &[&str]) -> Result<Array2<f64>, FeatureError> {
        match self {
            ValidExtractor::Encoder(e) => e.encode(texts),
            ValidExtractor::Vectors(v) => v.select(ids),
            _ => unreachable!("only frozen dense extractors are extracted run-wide"),
        }
    }
}

/// A feature set as declared in an experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSetSpec {
    /// Unique name, used in reports.
    pub name: String,
    /// Replace holder names by a placeholder before extraction (see [`mask`]). Defaults to `false`.
    #[serde(default)]
    pub mask_holders: bool,
    /// The extractors whose columns are concatenated.
    pub extractors: Vec<ExtractorSpec>,
}

impl FeatureSetSpec {
    /// Validates every extractor once (every value of a list of values to tune over).
    pub fn check(&self) -> Result<FeatureSet, FeatureError> {
        self.check_at().map_err(|(_, e)| e)
    }

    /// [`check`](Self::check), with the position in `extractors` of the extractor an error is about (`None` when
    /// it is about the set: no extractors, `mask_holders`), so an experiment file can name that extractor's line.
    pub fn check_at(&self) -> Result<FeatureSet, (Option<usize>, FeatureError)> {
        if self.extractors.is_empty() {
            return Err((None, FeatureError::EmptyFeatureSet(self.name.clone())));
        }
        if self.mask_holders {
            if let Some(ExtractorSpec::Vectors(v)) = self
                .extractors
                .iter()
                .find(|e| matches!(e, ExtractorSpec::Vectors(_)))
            {
                return Err((None, FeatureError::InvalidParam {
                    extractor: "vectors".into(),
                    param: "mask_holders".into(),
                    message: format!(
                        "cannot apply to vectors computed elsewhere ({}): they do not read the text; set \
                         mask_holders = false or put the vectors in a feature set of their own",
                        v.path.display()
                    ),
                }));
            }
        }
        let extractors = self
            .extractors
            .iter()
            .enumerate()
            .map(|(j, e)| e.check().map_err(|err| (Some(j), err)))
            .collect::<Result<Vec<_>, _>>()?;
        let (grid, candidates) = self.candidates()?;
        Ok(FeatureSet {
            spec: self.clone(),
            extractors,
            grid,
            candidates,
        })
    }

    /// The listed parameters across extractors and one fixed, validated set per combination of their values
    /// (the first listed parameter varies slowest), with its setting (`ngram=[1,2], max_features=1000`).
    /// Parameters are named bare when one extractor lists values, else `word-ngrams#1.ngram` (kind and position).
    #[allow(clippy::type_complexity)]
    fn candidates(
        &self,
    ) -> Result<(Vec<ParamGrid>, Vec<(String, FeatureSet)>), (Option<usize>, FeatureError)> {
        let axes: Vec<(usize, &'static str, Vec<String>)> = self
            .extractors
            .iter()
            .enumerate()
            .flat_map(|(e, x)| x.tuned_params().into_iter().map(move |(p, v)| (e, p, v)))
            .collect();
        if axes.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let one_extractor = axes.iter().all(|a| a.0 == axes[0].0);
        let label = |e: usize, p: &str| {
            if one_extractor {
                p.to_string()
            } else {
                format!("{}#{}.{p}", self.extractors[e].kind(), e + 1)
            }
        };
        let grid: Vec<ParamGrid> = axes
            .iter()
            .map(|(e, p, v)| ParamGrid {
                param: label(*e, p),
                values: v.clone(),
            })
            .collect();
        let total = stance_core::tunable::candidates(axes.iter().map(|a| a.2.len()))
            .filter(|&t| t <= MAX_GRID);
        let Some(total) = total else {
            let made = stance_core::tunable::candidates(axes.iter().map(|a| a.2.len()))
                .map_or_else(|| "more".to_string(), |t| t.to_string());
            return Err((
                Some(axes[0].0),
                FeatureError::InvalidParam {
                    extractor: self.extractors[axes[0].0].kind().into(),
                    param: axes[0].1.into(),
                    message: format!(
                        "the lists of feature set '{}' make {made} combinations to tune, more than {MAX_GRID}; \
                         shorten them",
                        self.name
                    ),
                },
            ));
        };
        let mut candidates = Vec::with_capacity(total);
        for n in 0..total {
            // Mixed-radix digits of n, last axis fastest.
            let mut rest = n;
            let mut picks = vec![0; axes.len()];
            for (a, axis) in axes.iter().enumerate().rev() {
                picks[a] = rest % axis.2.len();
                rest /= axis.2.len();
            }
            let mut spec = self.clone();
            let mut setting = Vec::new();
            for ((e, p, values), &i) in axes.iter().zip(&picks) {
                spec.extractors[*e] = spec.extractors[*e].pick(p, i);
                setting.push(format!("{}={}", label(*e, p), values[i]));
            }
            let extractors = spec
                .extractors
                .iter()
                .enumerate()
                .map(|(j, e)| e.check().map_err(|err| (Some(j), err)))
                .collect::<Result<Vec<_>, _>>()?;
            candidates.push((
                setting.join(", "),
                FeatureSet {
                    spec,
                    extractors,
                    grid: Vec::new(),
                    candidates: Vec::new(),
                },
            ));
        }
        Ok((grid, candidates))
    }
}

pub use stance_core::tunable::MAX_GRID;

/// A validated feature set: the only thing that can be fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    spec: FeatureSetSpec,
    extractors: Vec<ValidExtractor>,
    /// The parameters given as lists (empty when nothing is tuned).
    grid: Vec<ParamGrid>,
    /// One fixed set per combination of listed values, with its setting, in grid order.
    candidates: Vec<(String, FeatureSet)>,
}

/// A statement handed to a feature set for fitting: its text and, when known, its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doc<'a> {
    /// The statement.
    pub text: &'a str,
    /// Who holds the stance (used only to learn holder names for masking).
    pub holder: Option<&'a str>,
}

impl FeatureSet {
    /// The declaration this set was validated from.
    pub fn spec(&self) -> &FeatureSetSpec {
        &self.spec
    }

    /// The sentence encoders this set loaded (to set their cache and progress, and name them in reports).
    pub fn encoders(&self) -> Vec<&std::sync::Arc<dense::EncoderHandle>> {
        self.extractors
            .iter()
            .filter_map(|e| match e {
                ValidExtractor::Encoder(c) => Some(c.handle()),
                _ => None,
            })
            .collect()
    }

    /// The vectors computed elsewhere that this set reads (to check them against the data's items).
    pub fn vector_tables(&self) -> Vec<&std::sync::Arc<dense::VectorTable>> {
        self.extractors
            .iter()
            .filter_map(|e| match e {
                ValidExtractor::Vectors(v) => Some(v.table()),
                _ => None,
            })
            .collect()
    }

    /// Columns of the set's dense block (embeddings, vectors, pooled word vectors); 0 without one.
    pub fn dense_width(&self) -> usize {
        self.extractors
            .iter()
            .map(|e| match e {
                ValidExtractor::Encoder(c) => c.handle().dim(),
                ValidExtractor::Vectors(v) => v.table().dim(),
                ValidExtractor::WordVectors(w) => w.dim(),
                _ => 0,
            })
            .sum()
    }

    /// Whether the set can turn new text into features: not when it holds vectors computed elsewhere.
    pub fn reads_text(&self) -> bool {
        !self
            .extractors
            .iter()
            .any(|e| matches!(e, ValidExtractor::Vectors(_)))
    }

    /// Every file or folder outside the experiment that the set reads, with its sha256: model folders, vectors
    /// and word-vectors files (`encoder:`, `vectors:`, `word-vectors:` and the path), for the run's inputs.
    pub fn input_hashes(&self) -> Vec<(String, String)> {
        self.extractors
            .iter()
            .filter_map(|e| match e {
                ValidExtractor::Encoder(c) => Some((
                    format!("encoder:{}", c.handle().folder().display()),
                    c.handle().fingerprint().to_string(),
                )),
                ValidExtractor::Vectors(v) => Some((
                    format!("vectors:{}", v.table().path().display()),
                    v.table().sha256().to_string(),
                )),
                ValidExtractor::WordVectors(w) => Some((
                    format!("word-vectors:{}", w.path().display()),
                    w.sha256().to_string(),
                )),
                _ => None,
            })
            .collect()
    }

    /// For each word-vectors extractor: its file, and how many of `texts`' words it holds out of how many.
    pub fn word_vector_coverage(&self, texts: &[&str]) -> Vec<(PathBuf, usize, usize)> {
        let wv: Vec<&dense::CheckedWordVectors> = self
            .extractors
            .iter()
            .filter_map(|e| match e {
                ValidExtractor::WordVectors(w) => Some(w),
                _ => None,
            })
            .collect();
        if wv.is_empty() {
            return Vec::new();
        }
        let docs = prepare(None, texts.iter().copied());
        wv.iter()
            .map(|w| {
                let (known, total) = w.coverage(&docs);
                (w.path().to_path_buf(), known, total)
            })
            .collect()
    }

    /// Whether an extractor parameter was given as a list, to be tuned by nested cross-validation
    /// (`stance_eval::tune`).
    pub fn is_tuned(&self) -> bool {
        !self.grid.is_empty()
    }

    /// The listed parameters and their values (empty when nothing is tuned).
    pub fn grid(&self) -> &[ParamGrid] {
        &self.grid
    }

    /// One fixed set per combination of listed values with its setting (`ngram=[1,2]`), in grid order; empty
    /// when nothing is tuned.
    pub fn candidates(&self) -> &[(String, FeatureSet)] {
        &self.candidates
    }

    /// A tuned set is fitted only through its candidates, after nested cross-validation chose one.
    fn refuse_grid(&self) -> Result<(), FeatureError> {
        match self.grid.first() {
            Some(g) if self.candidates.len() > 1 => Err(FeatureError::InvalidParam {
                extractor: self.spec.name.clone(),
                param: g.param.clone(),
                message: "is a list of values to tune; fit one of the candidates chosen by nested \
                          cross-validation"
                    .into(),
            }),
            _ => Ok(()),
        }
    }

    /// Fits every extractor on the training documents only.
    pub fn fit(&self, train: &[Doc<'_>]) -> Result<FittedFeatureSet, FeatureError> {
        self.refuse_grid()?;
        let masker = self
            .spec
            .mask_holders
            .then(|| FittedMasker::fit(train.iter().map(|d| d.holder)));
        let prepared = prepare(masker.as_ref(), train.iter().map(|d| d.text));
        let extractors: Vec<Box<dyn FittedExtractor>> =
            self.extractors.iter().map(|e| e.fit(&prepared)).collect();
        let fitted = FittedFeatureSet {
            name: self.spec.name.clone(),
            masker,
            extractors,
        };
        if fitted.n_features() == 0 {
            return Err(FeatureError::NoFeatures {
                name: self.spec.name.clone(),
                rows: train.len(),
            });
        }
        Ok(fitted)
    }
}

/// A feature set's extraction of every item of a corpus, done once per run and shared by every fold: interned
/// terms for each bag-of-terms extractor, and the tokenised documents when another extractor needs them.
///
/// Only sets without holder masking have one: the masker is learned per training fold, so the text it produces
/// depends on the fold.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// Per extractor, its interned terms (bag extractors) or `None`.
    interned: Vec<Option<InternedTerms>>,
    /// Every document, tokenised, when some extractor is not a bag.
    prepared: Option<Vec<Prepared>>,
    /// For a tuned set, one extraction per candidate (in grid order), from the same tokenisation.
    candidates: Vec<Extracted>,
    /// Per extractor, the rows of every item when the extractor is frozen and dense (an encoder, vectors
    /// computed elsewhere): computed once per run, selected by row in every fold. Empty when there is none.
    dense: Vec<Option<Array2<f64>>>,
}

impl FeatureSet {
    /// Tokenises and interns every text once; `None` when the set masks holders (fold-dependent text). A tuned
    /// set tokenises once and interns once per candidate ([`Extracted::candidate`]). Tokens are kept only when an
    /// extractor that is not a bag of terms needs them.
    ///
    /// Frozen dense extractors (an encoder, vectors computed elsewhere) compute every item's rows here, once per
    /// run; `ids` are the items' ids, which vectors are keyed by.
    pub fn extract(&self, ids: &[&str], texts: &[&str]) -> Result<Option<Extracted>, FeatureError> {
        if self.spec.mask_holders {
            return Ok(None);
        }
        let mut ex = self.extract_terms(texts);
        for (set, ex) in self.sets().into_iter().zip(ex.parts_mut()) {
            ex.dense = set
                .extractors
                .iter()
                .map(|e| {
                    e.is_frozen_dense()
                        .then(|| e.extract_dense(ids, texts))
                        .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
        }
        Ok(Some(ex))
    }

    /// This set, or each candidate of a tuned one: the sets an extraction is made for.
    fn sets(&self) -> Vec<&FeatureSet> {
        if self.is_tuned() {
            self.candidates.iter().map(|(_, c)| c).collect()
        } else {
            vec![self]
        }
    }

    /// The token-level part of [`extract`](Self::extract): tokens and interned terms.
    fn extract_terms(&self, texts: &[&str]) -> Extracted {
        let sets = self.sets();
        let mut interners: Vec<Vec<Option<Interner>>> = sets
            .iter()
            .map(|s| {
                s.extractors
                    .iter()
                    .map(|e| e.is_bag().then(Interner::default))
                    .collect()
            })
            .collect();
        let needs_docs: Vec<bool> = sets
            .iter()
            .map(|s| s.extractors.iter().any(|e| !e.is_bag()))
            .collect();
        let keep = needs_docs.iter().any(|&k| k);
        // Tokens are only made when something reads them, and negation scopes only when something reads those
        // (the cue test is a tenth of tokenising).
        let (scan, negation) = sets
            .iter()
            .flat_map(|s| &s.extractors)
            .map(|e| {
                if e.is_bag() {
                    e.reads_tokens()
                } else {
                    (true, true)
                }
            })
            .fold((false, false), |(a, b), (c, d)| (a || c, b || d));
        // One statement at a time: its tokens live only until its terms are interned, unless an extractor that
        // is not a bag needs them later (tokens take about 20 times the memory of their interned ids).
        let mut prepared = Vec::new();
        // The bag extractors read token positions: no string per token, one buffer for every statement.
        let mut spans = Vec::new();
        for text in texts {
            if scan {
                tokenize::scan_with(text, &mut spans, negation);
            }
            for (set, interners) in sets.iter().zip(&mut interners) {
                for (e, interner) in set.extractors.iter().zip(interners) {
                    if let Some(i) = interner {
                        e.intern(text, &spans, i);
                    }
                }
            }
            if keep {
                prepared.push(Prepared {
                    text: text.to_string(),
                    tokens: tokenize::tokens_of(text, &spans),
                });
            }
        }
        // The last set that keeps the documents takes them; any before it gets a copy.
        let last_keeper = needs_docs.iter().rposition(|&k| k);
        let mut extracted = Vec::with_capacity(sets.len());
        for (s, interners) in interners.into_iter().enumerate() {
            let docs = if Some(s) == last_keeper {
                Some(std::mem::take(&mut prepared))
            } else {
                needs_docs[s].then(|| prepared.clone())
            };
            extracted.push(Extracted {
                interned: interners
                    .into_iter()
                    .map(|i| i.map(Interner::finish))
                    .collect(),
                prepared: docs,
                candidates: Vec::new(),
                dense: Vec::new(),
            });
        }
        if self.is_tuned() {
            return Extracted {
                interned: Vec::new(),
                prepared: None,
                candidates: extracted,
                dense: Vec::new(),
            };
        }
        extracted.pop().expect("one set")
    }

    /// Fits on the extracted items `rows` and nothing else; the same result as [`FeatureSet::fit`] on those rows.
    pub fn fit_extracted(
        &self,
        ex: &Extracted,
        rows: &[usize],
    ) -> Result<FittedFeatureSet, FeatureError> {
        self.refuse_grid()?;
        let docs = ex.prepared_rows(rows);
        let extractors: Vec<Box<dyn FittedExtractor>> = self
            .extractors
            .iter()
            .zip(&ex.interned)
            .map(|(e, interned)| match interned {
                Some(it) => e.fit_interned(it, rows),
                None => e.fit(&docs),
            })
            .collect();
        let fitted = FittedFeatureSet {
            name: self.spec.name.clone(),
            masker: None,
            extractors,
        };
        if fitted.n_features() == 0 {
            return Err(FeatureError::NoFeatures {
                name: self.spec.name.clone(),
                rows: rows.len(),
            });
        }
        Ok(fitted)
    }
}

impl Extracted {
    /// How many terms the extraction holds over all documents (every bag extractor's, every candidate's) plus
    /// the values of its frozen dense rows: a measure of how much work fitting a fold on it takes, which the grid
    /// uses to start the largest tasks first.
    pub fn size(&self) -> usize {
        let bags: usize = self
            .interned
            .iter()
            .flatten()
            .map(|t| t.docs.iter().map(Vec::len).sum::<usize>())
            .sum();
        let dense: usize = self.dense.iter().flatten().map(|d| d.len()).sum();
        bags + dense + self.candidates.iter().map(Extracted::size).sum::<usize>()
    }

    /// A tuned set's extraction for its `i`-th candidate.
    pub fn candidate(&self, i: usize) -> &Extracted {
        &self.candidates[i]
    }

    /// The extraction of each set it was made for: itself, or each candidate of a tuned set.
    fn parts_mut(&mut self) -> Vec<&mut Extracted> {
        if self.candidates.is_empty() {
            vec![self]
        } else {
            self.candidates.iter_mut().collect()
        }
    }

    /// Extractor `k`'s rows of every item, when it is frozen and dense.
    fn dense_of(&self, k: usize) -> Option<&Array2<f64>> {
        self.dense.get(k).and_then(Option::as_ref)
    }

    fn prepared_rows(&self, rows: &[usize]) -> Vec<Prepared> {
        match &self.prepared {
            Some(p) => rows.iter().map(|&r| p[r].clone()).collect(),
            None => Vec::new(),
        }
    }
}

fn prepare<'a>(
    masker: Option<&FittedMasker>,
    texts: impl Iterator<Item = &'a str>,
) -> Vec<Prepared> {
    texts
        .map(|t| match masker {
            Some(m) => Prepared::new(&m.transform(t)),
            None => Prepared::new(t),
        })
        .collect()
}

/// A feature set fitted on one training fold.
#[derive(Debug, Serialize, Deserialize)]
pub struct FittedFeatureSet {
    name: String,
    masker: Option<FittedMasker>,
    #[serde(with = "boxed")]
    extractors: Vec<Box<dyn FittedExtractor>>,
}

impl FittedFeatureSet {
    /// The feature set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether every extractor's fitted state agrees with itself ([`FittedExtractor::check`]); what is wrong,
    /// naming the extractor, when not.
    pub fn check(&self) -> Result<(), String> {
        for (j, e) in self.extractors.iter().enumerate() {
            e.check().map_err(|why| {
                format!(
                    "extractor {} ({}) of feature set '{}': {why}",
                    j + 1,
                    e.to_saved().kind(),
                    self.name
                )
            })?;
        }
        Ok(())
    }

    /// Total number of columns.
    pub fn n_features(&self) -> usize {
        self.extractors.iter().map(|e| e.n_features()).sum()
    }

    /// The extractors in column order: the sparse ones, then the dense ones, each in declaration order (the
    /// feature matrix keeps its sparse block before its dense block).
    fn in_column_order(&self) -> impl Iterator<Item = &dyn FittedExtractor> {
        let sparse = self.extractors.iter().filter(|e| !e.is_dense());
        let dense = self.extractors.iter().filter(|e| e.is_dense());
        sparse.chain(dense).map(|e| e.as_ref())
    }

    /// Readable name of column `j` of the union.
    pub fn feature_name(&self, mut j: usize) -> String {
        for e in self.in_column_order() {
            if j < e.n_features() {
                return e.feature_name(j);
            }
            j -= e.n_features();
        }
        format!("#{j}")
    }

    /// Every term learned from the training fold, across extractors (for leakage checks and inspection).
    pub fn vocabulary(&self) -> Vec<String> {
        self.extractors
            .iter()
            .flat_map(|e| e.vocabulary())
            .collect()
    }

    /// Loads (or finds loaded) every sentence encoder the set uses, checking each folder against the sha256 the
    /// set was fitted with: a model file whose encoder folder moved or changed is refused here, naming the folder.
    pub fn load_encoders(&self) -> Result<Vec<std::sync::Arc<dense::EncoderHandle>>, FeatureError> {
        self.extractors
            .iter()
            .filter_map(|e| e.encoder())
            .map(|e| e.handle().cloned())
            .collect()
    }

    /// The holder masker, when the set masks holders.
    pub fn masker(&self) -> Option<&FittedMasker> {
        self.masker.as_ref()
    }

    /// Maps the extracted items `rows` to a feature matrix, as [`FittedFeatureSet::transform`] would their
    /// texts. The set must have been fitted with [`FeatureSet::fit_extracted`] on the same extraction.
    pub fn transform_extracted(
        &self,
        ex: &Extracted,
        rows: &[usize],
    ) -> Result<FeatureMatrix, FeatureError> {
        let docs = ex.prepared_rows(rows);
        let parts = self
            .extractors
            .iter()
            .enumerate()
            .map(|(k, e)| match (&ex.interned[k], e.bag(), ex.dense_of(k)) {
                (Some(it), Some(bag), _) => Ok(Block::Sparse(bag.transform_interned(it, rows))),
                (_, _, Some(all)) => Ok(Block::Dense(all.select(ndarray::Axis(0), rows))),
                _ => e.transform(&docs),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(assemble(parts, rows.len()))
    }

    /// Maps texts to a feature matrix (rows = texts, columns = the union's features).
    pub fn transform(&self, texts: &[&str]) -> Result<FeatureMatrix, FeatureError> {
        let prepared = prepare(self.masker.as_ref(), texts.iter().copied());
        let parts = self
            .extractors
            .iter()
            .map(|e| e.transform(&prepared))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(assemble(parts, texts.len()))
    }
}

/// The blocks of a feature set's extractors, in declaration order, as one matrix: the sparse blocks side by side,
/// then the dense blocks side by side.
fn assemble(parts: Vec<Block>, rows: usize) -> FeatureMatrix {
    let mut sparse = Vec::new();
    let mut dense = Vec::new();
    for p in parts {
        match p {
            Block::Sparse(m) => sparse.push(m),
            Block::Dense(m) => dense.push(m),
        }
    }
    let sparse = hstack_csr(sparse, rows);
    let dense = match dense.len() {
        0 => Array2::zeros((rows, 0)),
        1 => dense.pop().expect("one block"),
        _ => {
            let views: Vec<_> = dense.iter().map(|d| d.view()).collect();
            ndarray::concatenate(ndarray::Axis(1), &views).expect("every block has the same rows")
        }
    };
    FeatureMatrix::new(sparse, dense).expect("every block has the same rows")
}

/// Side-by-side CSR matrices with the same rows, as one CSR matrix. Written here because `sprs::hstack` returns
/// column-major storage, which the row-walking solvers would have to convert (a second copy).
fn hstack_csr(mut parts: Vec<CsMat<f64>>, rows: usize) -> CsMat<f64> {
    // One block (most feature sets) is already the matrix; copying it would double the peak of a transform.
    if parts.len() == 1 {
        return parts.pop().expect("one block");
    }
    let cols: usize = parts.iter().map(|m| m.cols()).sum();
    let nnz: usize = parts.iter().map(|m| m.nnz()).sum();
    let mut indptr = Vec::with_capacity(rows + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    // Every extractor builds CSR; a CSC part would make `outer_view` return columns.
    debug_assert!(parts.iter().all(|m| m.is_csr() && m.rows() == rows));
    for i in 0..rows {
        let mut offset = 0;
        for m in &parts {
            if let Some(row) = m.outer_view(i) {
                for (j, &v) in row.iter() {
                    indices.push(offset + j);
                    data.push(v);
                }
            }
            offset += m.cols();
        }
        indptr.push(indices.len());
    }
    CsMat::new((rows, cols), indptr, indices, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(src: &str) -> FeatureSet {
        let spec: FeatureSetSpec = toml::from_str(src).unwrap();
        spec.check().unwrap()
    }

    fn docs<'a>(texts: &[&'a str]) -> Vec<Doc<'a>> {
        texts
            .iter()
            .map(|t| Doc {
                text: t,
                holder: None,
            })
            .collect()
    }

    #[test]
    fn union_concatenates_columns_with_readable_names() {
        let fs = set(
            "name = 'u'\nextractors = [{ type = 'word-ngrams', weighting = 'binary' }, { type = 'shape' }]\n",
        );
        let fitted = fs.fit(&docs(&["lift restrictions", "escalation"])).unwrap();
        assert_eq!(fitted.n_features(), 3 + shape::SHAPE_FEATURES.len());
        assert_eq!(fitted.feature_name(0), "word:escalation");
        assert_eq!(fitted.feature_name(3), "shape:log-length");
        let x = fitted.transform(&["escalation now"]).unwrap().to_dense();
        assert_eq!(x.shape(), &[1, fitted.n_features()]);
        assert_eq!(x[[0, 0]], 1.0);
    }

    #[test]
    fn a_token_seen_only_in_test_text_never_enters_the_vocabulary() {
        let fs = set(
            "name = 'all'\nextractors = [{ type = 'word-ngrams', ngram = [1, 2] }, { type = 'char-ngrams', ngram = [3, 3] }, { type = 'negation' }]\n",
        );
        let fitted = fs
            .fit(&docs(&[
                "we must lift the restrictions",
                "we do not want war",
            ]))
            .unwrap();
        let before = fitted.vocabulary();
        let x = fitted.transform(&["zebra xylophone"]);
        assert_eq!(fitted.vocabulary(), before, "transform must not learn");
        assert!(!before
            .iter()
            .any(|t| t.contains("zebra") || t.contains("xyl")));
        assert_eq!(
            x.unwrap().sparse_block().nnz(),
            0,
            "every n-gram of the test text is unknown"
        );
    }

    #[test]
    fn masking_learns_holders_from_training_rows() {
        let fs = set("name = 'm'\nmask_holders = true\nextractors = [{ type = 'word-ngrams' }]\n");
        let fitted = fs
            .fit(&[Doc {
                text: "Stoltenberg urged allies",
                holder: Some("Jens Stoltenberg"),
            }])
            .unwrap();
        let vocab = fitted.vocabulary();
        assert!(vocab.contains(&"holder".to_string()), "{vocab:?}");
        assert!(!vocab.contains(&"stoltenberg".to_string()));
    }

    #[test]
    fn fast_interning_matches_interned_terms_new() {
        let texts = [
            "We must lift the restrictions, we must!",
            "",
            "Ab ab a\u{0}b abcdefgh abcdefghi abcdefgh\u{0} Ünïcode ünïcode",
            "the the the",
        ];
        for spec in [
            "{ type = 'word-ngrams', ngram = [1, 3] }",
            "{ type = 'char-ngrams', ngram = [1, 9], word_bounded = false }",
        ] {
            let fs = set(&format!("name = 'x'\nextractors = [{spec}]"));
            let prepared: Vec<Prepared> = texts.iter().map(|t| Prepared::new(t)).collect();
            let terms = || {
                prepared
                    .iter()
                    .map(|d| fs.extractors[0].bag_terms(d).unwrap())
            };
            let mut interner = Interner::default();
            terms().for_each(|d| interner.push(d));
            assert_eq!(interner.finish(), InternedTerms::new(terms()), "{spec}");
        }
    }

    /// The extractor specs whose interning the property test below compares: every bag extractor, every
    /// setting that changes terms.
    const INTERNED_SPECS: &[&str] = &[
        "{ type = 'word-ngrams', ngram = [1, 2] }",
        "{ type = 'word-ngrams', ngram = [2, 2] }",
        "{ type = 'word-ngrams', ngram = [1, 6], mark_negation = true }",
        "{ type = 'word-ngrams', ngram = [1, 3], lowercase = false, mark_negation = true }",
        "{ type = 'char-ngrams', ngram = [2, 5] }",
        "{ type = 'char-ngrams', ngram = [3, 4], lowercase = false }",
        "{ type = 'char-ngrams', ngram = [1, 9], word_bounded = false }",
        "{ type = 'char-ngrams', ngram = [2, 3], word_bounded = false, lowercase = false }",
        "{ type = 'negation' }",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 300, failure_persistence: None, ..proptest::prelude::ProptestConfig::default()
        })]

        /// Interning from token positions (what `extract` does) gives the same terms, ids and id sequences as
        /// interning the term strings of the reference tokeniser with `InternedTerms::new` (the old path).
        #[test]
        fn interning_from_spans_matches_the_string_path(
            texts in proptest::collection::vec(tokenize::tests::tricky_text(), 0..8)
        ) {
            for spec in INTERNED_SPECS {
                let (fast, old) = fast_and_old(spec, &texts);
                // Both paths keep each document's ids sorted, which the matrices' rows rely on for their order.
                let sorted = |t: &InternedTerms| t.docs.iter().all(|d| d.windows(2).all(|p| p[0] <= p[1]));
                proptest::prop_assert!(sorted(&old), "{}", spec);
                proptest::prop_assert_eq!(fast, old, "{}", spec);
            }
        }
    }

    /// The interning of `texts` by one extractor as `extract` does it (tokens scanned only if it reads them,
    /// negation scopes only if it reads those), and `InternedTerms::new` on the term strings of the reference
    /// tokeniser (the old path).
    fn fast_and_old(spec: &str, texts: &[String]) -> (InternedTerms, InternedTerms) {
        let fs = set(&format!("name = 'x'\nextractors = [{spec}]"));
        let e = &fs.extractors[0];
        let old = InternedTerms::new(texts.iter().map(|t| {
            let doc = Prepared {
                text: t.clone(),
                tokens: tokenize::tests::reference_tokenize(t),
            };
            e.bag_terms(&doc).unwrap()
        }));
        let (scan, negation) = e.reads_tokens();
        let mut interner = Interner::default();
        let mut spans = Vec::new();
        for t in texts {
            if scan {
                tokenize::scan_with(t, &mut spans, negation);
            }
            e.intern(t, &spans, &mut interner);
        }
        (interner.finish(), old)
    }

    /// Terms and words are keyed by their bytes up to 7 and 15 bytes and by their strings beyond: terms on
    /// either side of those lengths, in ASCII texts and in texts with other characters (which take the string
    /// paths), with upper case and NUL bytes, must still be one term each.
    #[test]
    fn short_and_long_keys_intern_alike() {
        let texts: Vec<String> = [
            "Abcdefghijklmn abcdefghijklmno ABCDEFGHIJKLMNOP abcdefghijklmnopq a\u{0}b abcdef\u{0} abcdefg abcdefgh",
            "é abcdefghijklmn ABCDEFGHIJKLMNO abcdefghijklmnop Abcdefghijklmnopq a\u{0}b abcdefg\u{0} Abcdefg",
            "don't stop, not now; never again",
            "",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        for spec in INTERNED_SPECS {
            let (fast, old) = fast_and_old(spec, &texts);
            assert_eq!(fast, old, "{spec}");
        }
    }

    #[test]
    fn empty_sets_and_unknown_extractors_are_rejected() {
        let spec: FeatureSetSpec = toml::from_str("name = 'e'\nextractors = []").unwrap();
        assert!(matches!(
            spec.check(),
            Err(FeatureError::EmptyFeatureSet(_))
        ));
        let err = toml::from_str::<FeatureSetSpec>("name = 'e'\nextractors = [{ type = 'bert' }]")
            .unwrap_err();
        assert!(err.to_string().contains("unknown variant `bert`"), "{err}");
    }
}

#[cfg(test)]
mod saved_layout_tests {
    use crate::FeatureSetSpec;

    /// The generic fitted types keep the layout model files had when each extractor had its own fitted type:
    /// the source's fields (none for negation and shape) first, then `bag` or `scaler`.
    #[test]
    fn saved_layout_of_each_extractor() {
        let spec: FeatureSetSpec = toml::from_str(
            "name = 'all'\nextractors = [{ type = 'word-ngrams' }, { type = 'char-ngrams', ngram = [3, 3] }, \
             { type = 'lexicon', per_cue = false }, { type = 'negation' }, { type = 'shape' }]",
        )
        .unwrap();
        let docs = [crate::Doc {
            text: "we must not escalate",
            holder: None,
        }];
        let fitted = spec.check().unwrap().fit(&docs).unwrap();
        let json = serde_json::to_string(&fitted).unwrap();
        for start in [
            r#"{"type":"word-ngrams","params":{"ngram":[1,1],"#,
            r#"{"type":"char-ngrams","params":{"ngram":[3,3],"#,
            r#"{"type":"lexicon","lex":{"cues":["#,
            r#"{"type":"negation","bag":{"opts":{"weighting":"binary","#,
            r#"{"type":"shape","scaler":{"scale":["#,
        ] {
            assert!(json.contains(start), "{start} in {json}");
        }
        assert!(json.contains(r#""per_cue":false,"names":["lex:support-cues","#));
        let back: crate::FittedFeatureSet = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
}
