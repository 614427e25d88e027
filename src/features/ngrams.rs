//! Word n-grams, character n-grams and negation-scope terms.

use sprs::CsMat;

use super::bag::{with_bag_options, FittedBag};
use super::saved::SavedExtractor;
use super::tokenize::TokenKind;
use super::{FeatureError, FittedExtractor, Prepared};
use crate::tunable::Tunable;

with_bag_options! { "crate::features::bag::default_weighting";
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

with_bag_options! { "crate::features::bag::default_weighting";
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

with_bag_options! { "crate::features::bag::binary_weighting";
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

impl WordNgramParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<(), FeatureError> {
        check_range("word-ngrams", &self.ngram, 6)?;
        self.check_bag("word-ngrams")
    }

    pub(super) fn terms(&self, doc: &Prepared) -> Vec<String> {
        let words: Vec<String> = doc
            .tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| {
                let w = if self.lowercase {
                    t.text.to_lowercase()
                } else {
                    t.text.clone()
                };
                if self.mark_negation && t.negated {
                    format!("NOT_{w}")
                } else {
                    w
                }
            })
            .collect();
        let mut out = Vec::new();
        let [lo, hi] = *self.ngram.value();
        for n in lo..=hi {
            for win in words.windows(n) {
                out.push(win.join(" "));
            }
        }
        out
    }

    /// Learns the vocabulary from training documents.
    pub fn fit(&self, docs: &[Prepared]) -> Box<dyn FittedExtractor> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| self.terms(d)).collect();
        self.with_bag(FittedBag::fit(&terms, &self.bag()))
    }

    /// The fitted extractor around a vocabulary learned elsewhere (from interned terms).
    pub(super) fn with_bag(&self, bag: FittedBag) -> Box<dyn FittedExtractor> {
        Box::new(FittedWords {
            params: self.clone(),
            bag,
        })
    }
}

/// Word n-grams fitted on training documents: the options and the learned vocabulary.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FittedWords {
    params: WordNgramParams,
    bag: FittedBag,
}

impl FittedExtractor for FittedWords {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::WordNgrams(self.clone())
    }
    fn n_features(&self) -> usize {
        self.bag.terms().len()
    }
    fn feature_name(&self, j: usize) -> String {
        format!("word:{}", self.bag.terms()[j])
    }
    fn transform(&self, docs: &[Prepared]) -> CsMat<f64> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| self.params.terms(d)).collect();
        self.bag.transform(&terms)
    }
    fn vocabulary(&self) -> Vec<String> {
        self.bag.terms().to_vec()
    }
    fn bag(&self) -> Option<&FittedBag> {
        Some(&self.bag)
    }
}

impl CharNgramParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<(), FeatureError> {
        check_range("char-ngrams", &self.ngram, 10)?;
        self.check_bag("char-ngrams")
    }

    pub(super) fn terms(&self, doc: &Prepared) -> Vec<String> {
        let text = if self.lowercase {
            doc.text.to_lowercase()
        } else {
            doc.text.clone()
        };
        let text = text.replace(['’', '‘'], "'");
        let normalized: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut out = Vec::new();
        let [lo, hi] = *self.ngram.value();
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
        if self.word_bounded {
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

    /// Learns the vocabulary from training documents.
    pub fn fit(&self, docs: &[Prepared]) -> Box<dyn FittedExtractor> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| self.terms(d)).collect();
        self.with_bag(FittedBag::fit(&terms, &self.bag()))
    }

    /// The fitted extractor around a vocabulary learned elsewhere (from interned terms).
    pub(super) fn with_bag(&self, bag: FittedBag) -> Box<dyn FittedExtractor> {
        Box::new(FittedChars {
            params: self.clone(),
            bag,
        })
    }
}

/// Character n-grams fitted on training documents: the options and the learned vocabulary.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FittedChars {
    params: CharNgramParams,
    bag: FittedBag,
}

impl FittedExtractor for FittedChars {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::CharNgrams(self.clone())
    }
    fn n_features(&self) -> usize {
        self.bag.terms().len()
    }
    fn feature_name(&self, j: usize) -> String {
        format!("char:'{}'", self.bag.terms()[j])
    }
    fn transform(&self, docs: &[Prepared]) -> CsMat<f64> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| self.params.terms(d)).collect();
        self.bag.transform(&terms)
    }
    fn vocabulary(&self) -> Vec<String> {
        self.bag.terms().to_vec()
    }
    fn bag(&self) -> Option<&FittedBag> {
        Some(&self.bag)
    }
}

/// The pseudo-term counting negation cues.
const CUE_TERM: &str = "#negation-cues";

impl NegationParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<(), FeatureError> {
        self.check_bag("negation")
    }

    pub(super) fn terms(doc: &Prepared) -> Vec<String> {
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

    /// Learns the vocabulary of negated words from training documents.
    pub fn fit(&self, docs: &[Prepared]) -> Box<dyn FittedExtractor> {
        let terms: Vec<Vec<String>> = docs.iter().map(Self::terms).collect();
        self.with_bag(FittedBag::fit(&terms, &self.bag()))
    }

    /// The fitted extractor around a vocabulary learned elsewhere (from interned terms).
    pub(super) fn with_bag(&self, bag: FittedBag) -> Box<dyn FittedExtractor> {
        Box::new(FittedNegation { bag })
    }
}

/// Negation-scope words fitted on training documents: the options and the learned vocabulary.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FittedNegation {
    bag: FittedBag,
}

impl FittedExtractor for FittedNegation {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::Negation(self.clone())
    }
    fn n_features(&self) -> usize {
        self.bag.terms().len()
    }
    fn feature_name(&self, j: usize) -> String {
        format!("neg:{}", self.bag.terms()[j])
    }
    fn transform(&self, docs: &[Prepared]) -> CsMat<f64> {
        let terms: Vec<Vec<String>> = docs.iter().map(NegationParams::terms).collect();
        self.bag.transform(&terms)
    }
    fn vocabulary(&self) -> Vec<String> {
        self.bag.terms().to_vec()
    }
    fn bag(&self) -> Option<&FittedBag> {
        Some(&self.bag)
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
        let terms = p.terms(&Prepared::new("We will not kill, OK"));
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
        let mut terms = p.terms(&Prepared::new("ab c"));
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
        assert_eq!(p.weighting, crate::features::bag::Weighting::Binary);
        assert!(p.check().is_ok());
        let fitted = p.fit(&prep(&["I don't want war.", "no escalation"]));
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
