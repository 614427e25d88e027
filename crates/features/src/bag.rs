//! Bag-of-terms vectorisation shared by the word, character and negation extractors.
//!
//! Written here rather than taken from `linfa-preprocessing` because its `CountVectorizer`/`TfIdfVectorizer`
//! tokenise words themselves (no character n-grams, no negation marking, no holder masking), have no sublinear tf
//! and no `max_features`. The arithmetic follows scikit-learn's `TfidfVectorizer` defaults so results can be
//! cross-checked (`scripts/crosscheck.py`):
//!
//! * vocabulary: terms with `min_df <= df <= max_df * n`, then the `max_features` most frequent by total count
//!   (ties by term), then sorted by term, so column order never depends on hashing;
//! * tf: count, `1 + ln(count)` when sublinear, or 1 for binary;
//! * idf (smooth): `ln((1 + n) / (1 + df)) + 1`, learned from the training documents only;
//! * norm: each row scaled to unit L2 length, or left as is.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::FeatureError;

/// How term counts become feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// 1 if the term occurs, else 0.
    Binary,
    /// The term's count (or `1 + ln(count)` with `sublinear_tf`).
    Count,
    /// tf × smooth idf learned on the training fold.
    Tfidf,
}

/// Row normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Norm {
    /// Unit Euclidean length.
    L2,
    /// No scaling.
    None,
}

/// Options shared by every bag-of-terms extractor.
///
/// In experiment files these keys sit directly in the extractor's table (see the `with_bag_options!` macro); serde's
/// `flatten` cannot be used because it disables `deny_unknown_fields`, and a mistyped key must be an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BagOptions {
    /// Value of a term: `binary`, `count` or `tfidf`. Defaults to `tfidf`.
    #[serde(default = "default_weighting")]
    pub weighting: Weighting,
    /// Replace a count `c` by `1 + ln(c)`. Defaults to `false`.
    #[serde(default)]
    pub sublinear_tf: bool,
    /// Keep terms that occur in at least this many training documents. Defaults to `1`.
    #[serde(default = "default_min_df")]
    pub min_df: usize,
    /// Drop terms that occur in more than this fraction of training documents. Defaults to `1.0` (keep all).
    #[serde(default = "default_max_df")]
    pub max_df: f64,
    /// Keep at most this many terms (the most frequent in the training fold). Defaults to no limit.
    #[serde(default)]
    pub max_features: Option<usize>,
    /// Row normalisation: `l2` or `none`. Defaults to `l2` for `tfidf` and `none` otherwise.
    #[serde(default)]
    pub norm: Option<Norm>,
}

/// Default weighting for word and character n-grams.
pub fn default_weighting() -> Weighting {
    Weighting::Tfidf
}
/// Default weighting for the negation extractor.
pub fn binary_weighting() -> Weighting {
    Weighting::Binary
}
/// Default `min_df`.
pub fn default_min_df() -> usize {
    1
}
/// Default `max_df`.
pub fn default_max_df() -> f64 {
    1.0
}

/// Defines an extractor parameter struct whose table also accepts the [`BagOptions`] keys, and a `bag()` method
/// returning them. `$weighting` names the function giving the default weighting.
macro_rules! with_bag_options {
    ($weighting:literal; $(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($body)*
            /// Value of a term: `binary`, `count` or `tfidf`.
            #[serde(default = $weighting)]
            pub weighting: $crate::bag::Weighting,
            /// Replace a count `c` by `1 + ln(c)`. Defaults to `false`.
            #[serde(default)]
            pub sublinear_tf: bool,
            /// Keep terms found in at least this many training documents. Defaults to `1`.
            #[serde(default = "crate::bag::default_min_df")]
            pub min_df: usize,
            /// Drop terms found in more than this fraction of training documents. Defaults to `1.0`.
            #[serde(default = "crate::bag::default_max_df")]
            pub max_df: f64,
            /// Keep at most this many terms (most frequent in the training fold). Defaults to no limit. A list
            /// is tuned by nested cross-validation.
            #[serde(default)]
            pub max_features: ::stance_core::tunable::Tunable<Option<usize>>,
            /// Row normalisation, `l2` or `none`. Defaults to `l2` for `tfidf`, `none` otherwise.
            #[serde(default)]
            pub norm: Option<$crate::bag::Norm>,
        }

        impl $name {
            /// The vocabulary and weighting options.
            pub fn bag(&self) -> $crate::bag::BagOptions {
                $crate::bag::BagOptions {
                    weighting: self.weighting,
                    sublinear_tf: self.sublinear_tf,
                    min_df: self.min_df,
                    max_df: self.max_df,
                    max_features: *self.max_features.value(),
                    norm: self.norm,
                }
            }

            /// Checks every `max_features` value (a list is tuned), then the other options; `what` names the
            /// extractor in messages.
            pub fn check_bag(&self, what: &str) -> Result<(), $crate::FeatureError> {
                self.max_features
                    .check_each("max_features", |m| match m {
                        Some(0) => Err("must be at least 1 (omit it for no limit)".into()),
                        Some(m) if *m > $crate::bag::MAX_COUNT => Err(format!(
                            "must be at most {} (allowed: 1..={}; omit it for no limit), got {m}",
                            $crate::bag::MAX_COUNT,
                            $crate::bag::MAX_COUNT
                        )),
                        _ => Ok(()),
                    })
                    .map_err(|(param, message)| $crate::FeatureError::InvalidParam {
                        extractor: what.into(),
                        param,
                        message,
                    })?;
                self.bag().check(what)
            }
        }
    };
}
pub(crate) use with_bag_options;

impl Default for BagOptions {
    fn default() -> Self {
        BagOptions {
            weighting: Weighting::Tfidf,
            sublinear_tf: false,
            min_df: 1,
            max_df: 1.0,
            max_features: None,
            norm: None,
        }
    }
}

/// Largest `min_df` and `max_features`: a billion documents or terms, far above any corpus the harness can hold,
/// so only a mistyped value is refused (at its `file:line`) instead of reaching the fit.
pub const MAX_COUNT: usize = 1_000_000_000;

impl BagOptions {
    /// Validates the options; `what` names the extractor in messages.
    pub fn check(&self, what: &str) -> Result<(), FeatureError> {
        if self.min_df == 0 || self.min_df > MAX_COUNT {
            return Err(FeatureError::InvalidParam {
                extractor: what.into(),
                param: "min_df".into(),
                message: format!(
                    "must be at least 1 and at most {MAX_COUNT} documents (allowed: 1..={MAX_COUNT}), got {}",
                    self.min_df
                ),
            });
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return Err(FeatureError::InvalidParam {
                extractor: what.into(),
                param: "max_df".into(),
                message: format!(
                    "must be in (0, 1], got {}",
                    stance_core::diag::number(self.max_df)
                ),
            });
        }
        if self.max_features == Some(0) {
            return Err(FeatureError::InvalidParam {
                extractor: what.into(),
                param: "max_features".into(),
                message: "must be at least 1 (omit it for no limit)".into(),
            });
        }
        Ok(())
    }

    fn norm(&self) -> Norm {
        self.norm.unwrap_or(if self.weighting == Weighting::Tfidf {
            Norm::L2
        } else {
            Norm::None
        })
    }
}

/// Every document's terms as ids into one interned term list.
///
/// Computed once per run for all items (tokenising is the costly part of extraction), then shared by every fold.
/// Interning learns nothing: which terms exist in the whole corpus is not used by any fit, only the ids of the
/// training rows are counted (`FittedBag::fit_interned`), so test rows still cannot reach a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternedTerms {
    /// Term of each id.
    pub terms: Vec<String>,
    /// Each document's term ids, one per occurrence, sorted. Why sorted: a bag needs no order, and as ids follow
    /// the terms' sorted order and a fitted vocabulary keeps that order, every fold's matrix rows then come out in
    /// column order without a sort per row and fold (sorting once per run instead of once per fold).
    pub docs: Vec<Vec<u32>>,
}

impl InternedTerms {
    /// Interns the terms of every document. Ids follow the terms' sorted order, so the vocabulary rule's "sorted by
    /// term" is the ids' order and folds never compare strings.
    pub fn new(docs: impl Iterator<Item = Vec<String>>) -> InternedTerms {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut terms = Vec::new();
        let docs = docs
            .map(|doc| {
                doc.into_iter()
                    .map(|t| match ids.get(&t) {
                        Some(&id) => id,
                        None => {
                            let id = terms.len() as u32;
                            terms.push(t.clone());
                            ids.insert(t, id);
                            id
                        }
                    })
                    .collect()
            })
            .collect::<Vec<Vec<u32>>>();
        let mut order: Vec<u32> = (0..terms.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let mut new_id = vec![0u32; terms.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        let docs = docs
            .into_iter()
            .map(|d| {
                let mut d: Vec<u32> = d.into_iter().map(|id| new_id[id as usize]).collect();
                d.sort_unstable();
                d
            })
            .collect();
        let mut slots: Vec<Option<String>> = terms.into_iter().map(Some).collect();
        let terms = order
            .iter()
            .map(|&old| slots[old as usize].take().expect("each id once"))
            .collect();
        InternedTerms { terms, docs }
    }
}

/// Marks ids outside the learned vocabulary in [`FittedBag`]'s column map.
const NO_COLUMN: u32 = u32::MAX;

/// A vocabulary (and idf) learned from training documents.
///
/// Saved in model files without its two caches: the term index is rebuilt on first use, and the interned-id map
/// only serves the evaluation's shared extraction, never a loaded model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedBag {
    opts: BagOptions,
    /// Column of each term, built on first use: folds fitted from interned terms never need it, and building it
    /// for a few hundred thousand bigrams per fold was a large share of the grid's time.
    #[serde(skip)]
    index: OnceLock<HashMap<String, u32>>,
    terms: Vec<String>,
    idf: Option<Vec<f64>>,
    /// Column of each interned id, when fitted from [`InternedTerms`].
    #[serde(skip)]
    column_of_id: Option<Vec<u32>>,
}

impl PartialEq for FittedBag {
    /// Two bags are equal when they learned the same thing, however they were fitted.
    fn eq(&self, other: &Self) -> bool {
        self.opts == other.opts && self.terms == other.terms && self.idf == other.idf
    }
}

impl FittedBag {
    /// Learns the vocabulary (and idf) from the terms of each training document. Crate-private: the options must
    /// have been checked, which only an extractor's `check` does (the extractors fit through
    /// [`CheckedBag`](super::ngrams::CheckedBag)).
    pub(crate) fn fit(docs: &[Vec<String>], opts: &BagOptions) -> FittedBag {
        let n = docs.len();
        let mut df: HashMap<&str, (usize, usize)> = HashMap::new();
        for doc in docs {
            let mut seen: HashMap<&str, ()> = HashMap::new();
            for t in doc {
                let e = df.entry(t.as_str()).or_insert((0, 0));
                e.1 += 1;
                if seen.insert(t.as_str(), ()).is_none() {
                    e.0 += 1;
                }
            }
        }
        let kept = select(df.into_iter().map(|(t, (d, c))| (t, d, c, 0)), n, opts);
        FittedBag::from_selection(&kept, n, opts, None)
    }

    /// The same fit as [`FittedBag::fit`] on the documents `rows` of `interned`, counting ids instead of hashing
    /// strings.
    pub(crate) fn fit_interned(
        interned: &InternedTerms,
        rows: &[usize],
        opts: &BagOptions,
    ) -> FittedBag {
        let n_ids = interned.terms.len();
        // (df, count) side by side: one cache line per id instead of one per array, on tables of every term of
        // the corpus (hundreds of thousands of char n-grams, read in a scattered order).
        let mut df_count = vec![[0usize; 2]; n_ids];
        for &r in rows {
            // A document's ids are sorted (`InternedTerms::docs`): its repeats of an id are adjacent, and the
            // first of each run counts the document toward the id's df.
            let mut prev = u32::MAX;
            for &id in &interned.docs[r] {
                debug_assert!(
                    prev == u32::MAX || prev <= id,
                    "a document's ids are sorted"
                );
                let e = &mut df_count[id as usize];
                e[0] += (id != prev) as usize;
                e[1] += 1;
                prev = id;
            }
        }
        let candidates = (0..n_ids).filter(|&id| df_count[id][1] > 0).map(|id| {
            let [df, count] = df_count[id];
            (interned.terms[id].as_str(), df, count, id as u32)
        });
        let kept = select(candidates, rows.len(), opts);
        let mut column_of_id = vec![NO_COLUMN; n_ids];
        for (col, &(_, _, _, id)) in kept.iter().enumerate() {
            column_of_id[id as usize] = col as u32;
        }
        FittedBag::from_selection(&kept, rows.len(), opts, Some(column_of_id))
    }

    fn from_selection(
        kept: &[Candidate<'_>],
        n: usize,
        opts: &BagOptions,
        column_of_id: Option<Vec<u32>>,
    ) -> FittedBag {
        let terms: Vec<String> = kept.iter().map(|(t, ..)| t.to_string()).collect();
        let index = OnceLock::new();
        let idf = (opts.weighting == Weighting::Tfidf).then(|| {
            kept.iter()
                .map(|(_, d, ..)| ((1.0 + n as f64) / (1.0 + *d as f64)).ln() + 1.0)
                .collect()
        });
        FittedBag {
            opts: opts.clone(),
            index,
            terms,
            idf,
            column_of_id,
        }
    }

    fn index(&self) -> &HashMap<String, u32> {
        self.index.get_or_init(|| {
            self.terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), i as u32))
                .collect()
        })
    }

    /// Whether the vocabulary agrees with itself: one idf per term when weighting is tf-idf (and none otherwise),
    /// a column count that fits the column indices, valid options. Returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.terms.len() > u32::MAX as usize {
            return Err(format!(
                "{} terms is more than a bag can index",
                self.terms.len()
            ));
        }
        match (&self.idf, self.opts.weighting == Weighting::Tfidf) {
            (Some(idf), true) if idf.len() == self.terms.len() => Ok(()),
            (None, false) => Ok(()),
            (Some(idf), _) => Err(format!(
                "{} idf values for {} terms (weighting {:?})",
                idf.len(),
                self.terms.len(),
                self.opts.weighting
            )),
            (None, true) => Err("weighting is tfidf but there are no idf values".into()),
        }
    }

    /// The learned terms, in column order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The learned idf per column, when weighting is `tfidf`.
    pub fn idf(&self) -> Option<&[f64]> {
        self.idf.as_deref()
    }

    /// Turns each document's terms into a sparse row over the learned vocabulary; unknown terms are ignored.
    pub fn transform(&self, docs: &[Vec<String>]) -> CsMat<f64> {
        let mut indptr = Vec::with_capacity(docs.len() + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        for doc in docs {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for t in doc {
                if let Some(&j) = self.index().get(t.as_str()) {
                    *counts.entry(j).or_default() += 1;
                }
            }
            let mut counts: Vec<(u32, usize)> = counts.into_iter().collect();
            counts.sort_unstable_by_key(|&(j, _)| j);
            self.push_row(&counts, &mut indices, &mut data);
            indptr.push(indices.len());
        }
        CsMat::new((docs.len(), self.terms.len()), indptr, indices, data)
    }

    /// Rows of a matrix for the documents `rows` of the interned terms this bag was fitted from.
    ///
    /// # Panics
    /// If the bag was not fitted with `FittedBag::fit_interned` on these interned terms.
    pub fn transform_interned(&self, interned: &InternedTerms, rows: &[usize]) -> CsMat<f64> {
        let column_of_id = self
            .column_of_id
            .as_ref()
            .expect("fitted from these interned terms");
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        // A row has at most as many stored values as its document has terms. Reserving that bound up front
        // means no reallocation copies the growing matrix (on character n-grams those copies and the fresh pages
        // they touch were a fifth of the grid's page faults); the reserved tail that no row fills is never
        // touched, so it costs address space, not memory.
        let bound: usize = rows.iter().map(|&r| interned.docs[r].len()).sum();
        let (mut indices, mut data) = stance_matrix::recycled(bound);
        indptr.push(0);
        let mut counts: Vec<(u32, usize)> = Vec::new();
        let tf = self.tf_table();
        for &r in rows {
            counts.clear();
            for &id in &interned.docs[r] {
                let c = column_of_id[id as usize];
                if c == NO_COLUMN {
                    continue;
                }
                // The ids are sorted and `column_of_id` keeps their order, so the columns are too: a column's
                // repeats are adjacent.
                match counts.last_mut() {
                    Some((last, n)) if *last == c => *n += 1,
                    _ => {
                        debug_assert!(counts.last().is_none_or(|&(last, _)| last < c));
                        counts.push((c, 1))
                    }
                }
            }
            let weight = |c: usize| tf.get(c).copied().unwrap_or_else(|| self.tf(c));
            self.push_row_with(&counts, weight, &mut indices, &mut data);
            indptr.push(indices.len());
        }
        CsMat::new((rows.len(), self.terms.len()), indptr, indices, data)
    }

    /// Appends one document's weighted, normalised row from its (column, count) pairs, sorted by column.
    fn push_row(&self, counts: &[(u32, usize)], indices: &mut Vec<usize>, data: &mut Vec<f64>) {
        self.push_row_with(counts, |c| self.tf(c), indices, data)
    }

    /// The term frequency weight of each count below [`TF_TABLE`], each computed as [`FittedBag::tf`] computes
    /// it (so the same bits): most counts are small, and a sublinear weight is a logarithm per stored value.
    fn tf_table(&self) -> [f64; TF_TABLE] {
        std::array::from_fn(|c| self.tf(c))
    }

    /// The term frequency weight of a count.
    fn tf(&self, c: usize) -> f64 {
        match self.opts.weighting {
            Weighting::Binary => 1.0,
            // ln 1 = 0 exactly, so a count of 1 (most stored values) skips the logarithm with the same bits.
            _ if self.opts.sublinear_tf && c == 1 => 1.0,
            _ if self.opts.sublinear_tf => 1.0 + (c as f64).ln(),
            _ => c as f64,
        }
    }

    /// [`FittedBag::push_row`] with the term frequency weight `tf` of a count (`FittedBag::tf` or a table of it).
    fn push_row_with(
        &self,
        counts: &[(u32, usize)],
        tf: impl Fn(usize) -> f64,
        indices: &mut Vec<usize>,
        data: &mut Vec<f64>,
    ) {
        let start = data.len();
        for &(j, c) in counts {
            let tf = tf(c);
            let v = match &self.idf {
                Some(idf) => tf * idf[j as usize],
                None => tf,
            };
            indices.push(j as usize);
            data.push(v);
        }
        if self.opts.norm() == Norm::L2 {
            let row = &mut data[start..];
            let len = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            if len > 0.0 {
                for v in row.iter_mut() {
                    *v /= len;
                }
            }
        }
    }
}

/// Counts whose term frequency weight [`FittedBag::tf_table`] holds.
const TF_TABLE: usize = 64;

/// A vocabulary candidate: (term, document frequency, total count, interned id or 0).
type Candidate<'a> = (&'a str, usize, usize, u32);

/// The vocabulary rule: `min_df <= df <= max_df · n`, then the `max_features` most frequent by total count (ties by
/// term), sorted by term.
fn select<'a>(
    candidates: impl Iterator<Item = Candidate<'a>>,
    n: usize,
    opts: &BagOptions,
) -> Vec<Candidate<'a>> {
    let max_df_docs = (opts.max_df * n as f64).floor() as usize;
    let mut kept: Vec<Candidate<'a>> = candidates
        .filter(|(_, d, ..)| *d >= opts.min_df && (opts.max_df >= 1.0 || *d <= max_df_docs))
        .collect();
    if let Some(max) = opts.max_features {
        kept.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
        kept.truncate(max);
    }
    kept.sort_by(|a, b| a.0.cmp(b.0));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(list: &[&str]) -> Vec<Vec<String>> {
        list.iter()
            .map(|d| d.split_whitespace().map(String::from).collect())
            .collect()
    }

    /// Values pinned to scikit-learn 1.x: `TfidfVectorizer(token_pattern=r"(?u)\b\w+\b")` fitted on the three
    /// training documents below, transforming `"a a c z"` (see `scripts/crosscheck.py`, section "tfidf").
    #[test]
    fn tfidf_matches_scikit_learn() {
        let train = docs(&["a b", "a c c", "b d"]);
        let bag = FittedBag::fit(&train, &BagOptions::default());
        assert_eq!(bag.terms(), ["a", "b", "c", "d"]);
        let idf = bag.idf().unwrap();
        // ln((1+3)/(1+2)) + 1 and ln(4/2) + 1
        assert!((idf[0] - 1.287_682_072_451_781).abs() < 1e-12);
        assert!((idf[2] - 1.693_147_180_559_945).abs() < 1e-12);
        let x = bag.transform(&docs(&["a a c z"])).to_dense();
        // raw: a = 2 * 1.28768, c = 1 * 1.69315; l2-normalised
        assert!(
            (x[[0, 0]] - 0.835_591_541_944_918).abs() < 1e-12,
            "{}",
            x[[0, 0]]
        );
        assert!(
            (x[[0, 2]] - 0.549_351_231_026_303).abs() < 1e-12,
            "{}",
            x[[0, 2]]
        );
        assert_eq!(x[[0, 1]], 0.0);
    }

    #[test]
    fn vocabulary_and_idf_come_from_training_documents_only() {
        let train = docs(&["x y", "x"]);
        let bag = FittedBag::fit(&train, &BagOptions::default());
        let test = docs(&["q q x"]);
        let x = bag.transform(&test);
        assert!(!bag.terms().iter().any(|t| t == "q"));
        assert_eq!(x.cols(), 2);
        assert_eq!(
            bag.idf().unwrap()[0],
            1.0,
            "x is in every training document: ln(3/3) + 1"
        );
    }

    #[test]
    fn min_df_and_max_features_follow_training_counts() {
        let train = docs(&["a a a b", "b c", "c d", "e"]);
        let opts = BagOptions {
            min_df: 2,
            weighting: Weighting::Count,
            ..BagOptions::default()
        };
        assert_eq!(FittedBag::fit(&train, &opts).terms(), ["b", "c"]);
        let opts = BagOptions {
            max_features: Some(2),
            weighting: Weighting::Count,
            ..BagOptions::default()
        };
        assert_eq!(
            FittedBag::fit(&train, &opts).terms(),
            ["a", "b"],
            "a: 3 occurrences, b and c: 2, tie by term"
        );
    }

    #[test]
    fn binary_and_sublinear_weights() {
        let train = docs(&["a a a a"]);
        let bin = FittedBag::fit(
            &train,
            &BagOptions {
                weighting: Weighting::Binary,
                ..BagOptions::default()
            },
        );
        assert_eq!(bin.transform(&train).to_dense()[[0, 0]], 1.0);
        let sub = FittedBag::fit(
            &train,
            &BagOptions {
                weighting: Weighting::Count,
                sublinear_tf: true,
                ..BagOptions::default()
            },
        );
        assert!((sub.transform(&train).to_dense()[[0, 0]] - (1.0 + 4f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_options() {
        assert!(BagOptions {
            min_df: 0,
            ..BagOptions::default()
        }
        .check("w")
        .is_err());
        assert!(BagOptions {
            max_df: 0.0,
            ..BagOptions::default()
        }
        .check("w")
        .is_err());
        assert!(BagOptions {
            max_features: Some(0),
            ..BagOptions::default()
        }
        .check("w")
        .is_err());
    }
}
