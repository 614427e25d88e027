//! Word n-grams, character n-grams and negation-scope terms: three [`TermSource`]s over one bag-of-terms fit.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::bag::{with_bag_options, BagOptions, FittedBag, InternedTerms};
use super::intern::{pack_window, SHORT};
use super::tokenize::{Span, TokenKind};
use super::SavedExtractor;
use super::{Block, FeatureError, FittedExtractor, Interner, Prepared};
use stance_core::tunable::Tunable;

with_bag_options! { "crate::bag::default_weighting";
/// Word n-gram parameters (`type = "word-ngrams"`).
pub struct WordNgramParams {
    /// Smallest and largest n, e.g. `[1, 2]`. Defaults to `[1, 1]`. A list of ranges (`[[1, 1], [1, 2]]`) is
    /// tuned by nested cross-validation.
    #[serde(default = "unigrams")]
    pub ngram: Tunable<[usize; 2]>,
    /// Lower-case tokens first. Defaults to `true`.
    #[serde(default = "yes")]
    pub lowercase: bool,
    /// Prefix tokens inside a negation scope with `NOT_` (`not force us` → `not NOT_force NOT_us`). Defaults to
    /// `false`.
    #[serde(default)]
    pub mark_negation: bool,
}}

with_bag_options! { "crate::bag::default_weighting";
/// Character n-gram parameters (`type = "char-ngrams"`).
pub struct CharNgramParams {
    /// Smallest and largest n. Defaults to `[2, 4]`. A list of ranges is tuned by nested cross-validation.
    #[serde(default = "char_default")]
    pub ngram: Tunable<[usize; 2]>,
    /// Lower-case the text first. Defaults to `true`.
    #[serde(default = "yes")]
    pub lowercase: bool,
    /// Build n-grams inside words padded with a space (scikit-learn's `char_wb`), not across them. Defaults to
    /// `true`.
    #[serde(default = "yes")]
    pub word_bounded: bool,
}}

with_bag_options! { "crate::bag::binary_weighting";
/// Negation-scope parameters (`type = "negation"`): a bag of the words that fall inside a negation scope, plus
/// the number of negation cues. Weighting defaults to `binary`.
pub struct NegationParams {
}}

fn unigrams() -> Tunable<[usize; 2]> {
    Tunable::One([1, 1])
}
fn char_default() -> Tunable<[usize; 2]> {
    Tunable::One([2, 4])
}
fn yes() -> bool {
    true
}

fn check_range(what: &str, ranges: &Tunable<[usize; 2]>, max: usize) -> Result<(), FeatureError> {
    ranges
        .check_each("ngram", |r| {
            if r[0] == 0 || r[0] > r[1] || r[1] > max {
                Err(format!(
                    "must be [min, max] with 1 <= min <= max <= {max}, got [{}, {}]",
                    r[0], r[1]
                ))
            } else {
                Ok(())
            }
        })
        .map_err(|(param, message)| FeatureError::InvalidParam {
            extractor: what.into(),
            param,
            message,
        })
}

/// What one bag-of-terms extractor adds to the shared vocabulary code ([`FittedBag`]): the terms of a document and
/// the readable name of a term's column. The word, character and negation extractors differ only here, so each is
/// a [`CheckedBag`] (validated, can fit) and a [`FittedTerms`] (fitted, can transform) over its own source.
pub trait TermSource: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// The terms of one document, in order of occurrence (repeats count).
    fn terms(&self, doc: &Prepared) -> Vec<String>;
    /// The readable name of the column of `term` (`word:lift the`).
    fn feature_name(term: &str) -> String;
    /// The fitted extractor in the closed form model files store.
    fn saved(fitted: FittedTerms<Self>) -> SavedExtractor;
    /// Whether the settings are valid (a model file may hold any), as `check` at validation requires.
    fn check_source(&self) -> Result<(), FeatureError> {
        Ok(())
    }
}

/// The settings that decide a word n-gram's terms: the whole validated table, as model files store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordTerms {
    params: WordNgramParams,
}

/// The settings that decide a character n-gram's terms: the whole validated table, as model files store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharTerms {
    params: CharNgramParams,
}

/// Negation-scope terms: they depend on no setting (the table only holds vocabulary options, which the fitted
/// vocabulary keeps), so model files store nothing for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegationTerms {}

/// Validated bag-of-terms parameters (what `check` returns): the only form that can fit.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedBag<S> {
    source: S,
    opts: BagOptions,
}

/// A bag-of-terms extractor fitted on training documents: its term source and the learned vocabulary.
///
/// Model files store the source's fields next to `bag` (`{"params": …, "bag": …}` for word and character n-grams,
/// `{"bag": …}` for negation terms), the layout the three separate fitted types used to have.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedTerms<S> {
    #[serde(flatten)]
    source: S,
    bag: FittedBag,
}

/// Word n-grams fitted on training documents.
pub type FittedWords = FittedTerms<WordTerms>;
/// Character n-grams fitted on training documents.
pub type FittedChars = FittedTerms<CharTerms>;
/// Negation-scope terms fitted on training documents.
pub type FittedNegation = FittedTerms<NegationTerms>;

impl<S: TermSource> CheckedBag<S> {
    /// The terms of one document.
    pub fn terms(&self, doc: &Prepared) -> Vec<String> {
        self.source.terms(doc)
    }

    /// Learns the vocabulary from training documents.
    pub fn fit(&self, docs: &[Prepared]) -> FittedTerms<S> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| self.source.terms(d)).collect();
        self.with_bag(FittedBag::fit(&terms, &self.opts))
    }

    /// The same fit as [`CheckedBag::fit`] on the documents `rows` of terms interned by [`CheckedBag::terms`].
    pub fn fit_interned(&self, interned: &InternedTerms, rows: &[usize]) -> FittedTerms<S> {
        self.with_bag(FittedBag::fit_interned(interned, rows, &self.opts))
    }

    fn with_bag(&self, bag: FittedBag) -> FittedTerms<S> {
        FittedTerms {
            source: self.source.clone(),
            bag,
        }
    }
}

impl<S: TermSource> FittedExtractor for FittedTerms<S> {
    fn check(&self) -> Result<(), String> {
        self.source
            .check_source()
            .map_err(|e| stance_core::errors::chain(&e))?;
        self.bag.check()
    }
    fn to_saved(&self) -> SavedExtractor {
        S::saved(self.clone())
    }
    fn n_features(&self) -> usize {
        self.bag.terms().len()
    }
    fn feature_name(&self, j: usize) -> String {
        S::feature_name(&self.bag.terms()[j])
    }
    fn transform(&self, docs: &[Prepared]) -> Result<Block, FeatureError> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| self.source.terms(d)).collect();
        Ok(Block::Sparse(self.bag.transform(&terms)))
    }
    fn vocabulary(&self) -> Vec<String> {
        self.bag.terms().to_vec()
    }
    fn bag(&self) -> Option<&FittedBag> {
        Some(&self.bag)
    }
}

impl WordNgramParams {
    /// Validates the parameters (every value of a list to tune over).
    pub fn check(&self) -> Result<CheckedBag<WordTerms>, FeatureError> {
        check_range("word-ngrams", &self.ngram, super::MAX_WORD_N)?;
        self.check_bag("word-ngrams")?;
        Ok(CheckedBag {
            source: WordTerms {
                params: self.clone(),
            },
            opts: self.bag(),
        })
    }
}

impl TermSource for WordTerms {
    fn check_source(&self) -> Result<(), FeatureError> {
        self.params.check().map(drop)
    }
    fn terms(&self, doc: &Prepared) -> Vec<String> {
        let p = &self.params;
        let words: Vec<String> = doc
            .tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| {
                let w = if p.lowercase {
                    t.text.to_lowercase()
                } else {
                    t.text.clone()
                };
                if p.mark_negation && t.negated {
                    format!("NOT_{w}")
                } else {
                    w
                }
            })
            .collect();
        let mut out = Vec::new();
        let [lo, hi] = *p.ngram.value();
        for n in lo..=hi {
            for win in words.windows(n) {
                out.push(win.join(" "));
            }
        }
        out
    }
    fn feature_name(term: &str) -> String {
        format!("word:{term}")
    }
    fn saved(fitted: FittedTerms<Self>) -> SavedExtractor {
        SavedExtractor::WordNgrams(fitted)
    }
}

impl CharNgramParams {
    /// Validates the parameters (every value of a list to tune over).
    pub fn check(&self) -> Result<CheckedBag<CharTerms>, FeatureError> {
        check_range("char-ngrams", &self.ngram, 10)?;
        self.check_bag("char-ngrams")?;
        Ok(CheckedBag {
            source: CharTerms {
                params: self.clone(),
            },
            opts: self.bag(),
        })
    }
}

impl CharTerms {
    /// The terms of a document's text.
    fn terms_of_text(&self, text: &str) -> Vec<String> {
        let p = &self.params;
        let text = if p.lowercase {
            text.to_lowercase()
        } else {
            text.to_string()
        };
        let text = text.replace(['’', '‘'], "'");
        let normalized: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut out = Vec::new();
        let [lo, hi] = *p.ngram.value();
        let mut push_ngrams = |chars: &[char], once_if_short: bool| {
            for n in lo..=hi {
                if chars.len() < n {
                    if once_if_short && n == lo {
                        // Mirrors scikit-learn's char_wb: a padded word shorter than n yields itself once.
                        out.push(chars.iter().collect());
                    }
                    continue;
                }
                for win in chars.windows(n) {
                    out.push(win.iter().collect());
                }
            }
        };
        if p.word_bounded {
            for w in normalized.split(' ') {
                let padded: Vec<char> = std::iter::once(' ')
                    .chain(w.chars())
                    .chain(std::iter::once(' '))
                    .collect();
                push_ngrams(&padded, true);
            }
        } else {
            let chars: Vec<char> = normalized.chars().collect();
            push_ngrams(&chars, false);
        }
        out
    }
}

impl TermSource for CharTerms {
    fn check_source(&self) -> Result<(), FeatureError> {
        self.params.check().map(drop)
    }
    fn terms(&self, doc: &Prepared) -> Vec<String> {
        self.terms_of_text(&doc.text)
    }
    fn feature_name(term: &str) -> String {
        format!("char:'{term}'")
    }
    fn saved(fitted: FittedTerms<Self>) -> SavedExtractor {
        SavedExtractor::CharNgrams(fitted)
    }
}

/// The pseudo-term counting negation cues.
const CUE_TERM: &str = "#negation-cues";

impl NegationParams {
    /// Validates the parameters (every value of a list to tune over).
    pub fn check(&self) -> Result<CheckedBag<NegationTerms>, FeatureError> {
        self.check_bag("negation")?;
        Ok(CheckedBag {
            source: NegationTerms {},
            opts: self.bag(),
        })
    }
}

impl TermSource for NegationTerms {
    fn terms(&self, doc: &Prepared) -> Vec<String> {
        let mut out = Vec::new();
        for t in doc.tokens.iter().filter(|t| t.kind == TokenKind::Word) {
            let lower = t.text.to_lowercase();
            if super::tokenize::is_negation_cue(&lower) {
                out.push(CUE_TERM.to_string());
            } else if t.negated {
                out.push(format!("NOT_{lower}"));
            }
        }
        out
    }
    fn feature_name(term: &str) -> String {
        format!("neg:{term}")
    }
    fn saved(fitted: FittedTerms<Self>) -> SavedExtractor {
        SavedExtractor::Negation(fitted)
    }
}

// Interning without a string per term: each gives the terms `TermSource::terms` gives, in the same order, so the
// interned ids are the same (`features::tests` checks it on generated texts).

impl CheckedBag<WordTerms> {
    /// Whether the terms read the tokens' negation scopes.
    pub(crate) fn marks_negation(&self) -> bool {
        self.source.params.mark_negation
    }

    /// Interns the word n-grams of `text`, whose tokens are `spans`: each word is lower-cased (and marked) once
    /// into a reused buffer and interned as a word id, and each n-gram is interned by its word ids.
    pub(crate) fn intern(&self, text: &str, spans: &[Span], into: &mut Interner) {
        let p = &self.source.params;
        let mut words = std::mem::take(&mut into.scratch_words);
        let mut buf = std::mem::take(&mut into.scratch_text);
        words.clear();
        let ascii = text.is_ascii();
        for s in spans.iter().filter(|s| s.kind == TokenKind::Word) {
            let marked = p.mark_negation && s.negated;
            let raw = &text.as_bytes()[s.start..s.start + s.len];
            if p.lowercase && !marked && (ascii || (!s.folded && raw.is_ascii())) {
                // The usual word: keyed by its bytes, lower-cased in the key, with no copy into `buf`.
                words.push(into.ascii_lower_word_id(raw));
                continue;
            }
            buf.clear();
            if marked {
                buf.push_str("NOT_");
            }
            let t = s.text(text);
            if !p.lowercase {
                buf.push_str(&t);
            } else if t.is_ascii() {
                // `to_lowercase` of ASCII text is its ASCII lower case.
                let at = buf.len();
                buf.push_str(&t);
                buf[at..].make_ascii_lowercase();
            } else {
                buf.push_str(&t.to_lowercase());
            }
            words.push(into.word_id(&buf));
        }
        let [lo, hi] = *p.ngram.value();
        for n in lo..=hi {
            for win in words.windows(n) {
                into.push_words(win);
            }
        }
        into.end_doc();
        into.scratch_words = words;
        into.scratch_text = buf;
    }
}

impl CheckedBag<CharTerms> {
    /// Interns the character n-grams of `text`. An ASCII text (lower-cased when asked) is cut into whitespace-
    /// separated words in a reused buffer and each n-gram is looked up as a slice of it (ASCII: one byte per
    /// character); any other text takes the string path.
    pub(crate) fn intern(&self, text: &str, into: &mut Interner) {
        let p = &self.source.params;
        if !text.is_ascii() {
            for t in self.source.terms_of_text(text) {
                into.push_str(&t);
            }
            into.end_doc();
            return;
        }
        let [lo, hi] = *p.ngram.value();
        let mut buf = std::mem::take(&mut into.scratch_text);
        // Mirrors `terms_of_text`: `once_if_short` is scikit-learn's char_wb rule for a padded word shorter
        // than n. `buf` holds the characters (ASCII: one byte each) and then `PAD`, so that the eight bytes from
        // any character can be read as one word: an n-gram of at most `SHORT` bytes is keyed from that word
        // without slicing or hashing a string.
        const PAD: &str = "\0\0\0\0\0\0\0\0";
        let push_ngrams = |into: &mut Interner, buf: &str, once_if_short: bool| {
            let chars = &buf[..buf.len() - PAD.len()];
            let bytes = buf.as_bytes();
            for n in lo..=hi {
                if chars.len() < n {
                    if once_if_short && n == lo {
                        into.push_str(chars);
                    }
                    continue;
                }
                if n <= SHORT {
                    for i in 0..=chars.len() - n {
                        let mut w = [0u8; 8];
                        w.copy_from_slice(&bytes[i..i + 8]);
                        into.push_short(pack_window(u64::from_le_bytes(w), n));
                    }
                } else {
                    for i in 0..=chars.len() - n {
                        into.push_str(&chars[i..i + n]);
                    }
                }
            }
        };
        buf.clear();
        if p.word_bounded {
            // `"".split(' ')` is one empty word: a text without words gives the n-grams of a padded "".
            let mut any = false;
            for w in text.split_whitespace() {
                any = true;
                buf.clear();
                buf.push(' ');
                buf.push_str(w);
                buf.push(' ');
                if p.lowercase {
                    buf.make_ascii_lowercase();
                }
                buf.push_str(PAD);
                push_ngrams(into, &buf, true);
            }
            if !any {
                buf.clear();
                buf.push_str("  ");
                buf.push_str(PAD);
                push_ngrams(into, &buf, true);
            }
        } else {
            for w in text.split_whitespace() {
                if !buf.is_empty() {
                    buf.push(' ');
                }
                buf.push_str(w);
            }
            if p.lowercase {
                buf.make_ascii_lowercase();
            }
            buf.push_str(PAD);
            push_ngrams(into, &buf, false);
        }
        into.end_doc();
        into.scratch_text = buf;
    }
}

impl CheckedBag<NegationTerms> {
    /// Interns the negation terms of `text`, whose tokens are `spans`.
    pub(crate) fn intern(&self, text: &str, spans: &[Span], into: &mut Interner) {
        let mut buf = std::mem::take(&mut into.scratch_text);
        for s in spans.iter().filter(|s| s.kind == TokenKind::Word) {
            let lower = s.text(text).to_lowercase();
            if super::tokenize::is_negation_cue(&lower) {
                into.push_str(CUE_TERM);
            } else if s.negated {
                buf.clear();
                buf.push_str("NOT_");
                buf.push_str(&lower);
                into.push_str(&buf);
            }
        }
        into.end_doc();
        into.scratch_text = buf;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(src: &str) -> T {
        toml::from_str(src).unwrap()
    }

    fn prep(texts: &[&str]) -> Vec<Prepared> {
        texts.iter().map(|t| Prepared::new(t)).collect()
    }

    #[test]
    fn word_bigrams_with_negation_marks() {
        let p: WordNgramParams = parse("ngram = [1, 2]\nmark_negation = true\nweighting = 'count'");
        let terms = p
            .check()
            .unwrap()
            .terms(&Prepared::new("We will not kill, OK"));
        assert_eq!(
            terms,
            vec![
                "we",
                "will",
                "not",
                "NOT_kill",
                "ok",
                "we will",
                "will not",
                "not NOT_kill",
                "NOT_kill ok"
            ]
        );
    }

    /// scikit-learn `CountVectorizer(analyzer="char_wb", ngram_range=(2, 3))` on "ab c" gives
    /// `[" a", " ab", " c", " c ", "ab", "ab ", "b ", "c "]` (see `scripts/crosscheck.py`, section "char_wb").
    #[test]
    fn char_wb_matches_scikit_learn() {
        let p: CharNgramParams = parse("ngram = [2, 3]");
        let mut terms = p.check().unwrap().terms(&Prepared::new("ab c"));
        terms.sort();
        terms.dedup();
        assert_eq!(
            terms,
            vec![" a", " ab", " c", " c ", "ab", "ab ", "b ", "c "]
        );
    }

    #[test]
    fn negation_extractor_counts_cues_and_scoped_words() {
        let p: NegationParams = parse("");
        assert_eq!(p.weighting, crate::bag::Weighting::Binary);
        let fitted = p
            .check()
            .unwrap()
            .fit(&prep(&["I don't want war.", "no escalation"]));
        let mut vocab = fitted.vocabulary();
        vocab.sort();
        assert_eq!(
            vocab,
            vec!["#negation-cues", "NOT_escalation", "NOT_want", "NOT_war"]
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<WordNgramParams>("ngram = [1, 2]\nmin_dff = 2").unwrap_err();
        assert!(err.to_string().contains("unknown field `min_dff`"), "{err}");
    }

    #[test]
    fn rejects_bad_ngram_ranges() {
        let mut p: WordNgramParams = parse("ngram = [2, 1]");
        assert!(p.check().is_err());
        p.ngram = Tunable::One([0, 1]);
        assert!(p.check().is_err());
        p.ngram = Tunable::One([1, 3]);
        assert!(p.check().is_ok());
    }
}
