//! Simple shape features (`type = "shape"`): length, quotation, first person, modal verbs, negation, questions.
//!
//! Each is a count (length is `ln(1 + tokens)`), scaled by its maximum over the training fold.

use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::saved::SavedExtractor;
use super::tokenize::{is_negation_cue, TokenKind};
use super::{FittedExtractor, MaxAbsScaler, Prepared};

/// Shape parameters (none yet; the table only takes `type = "shape"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeParams {}

/// Feature names, in column order.
pub const SHAPE_FEATURES: [&str; 7] = [
    "shape:log-length",
    "shape:quotation",
    "shape:first-person",
    "shape:modal-verbs",
    "shape:negation-cues",
    "shape:question",
    "shape:digits",
];

const FIRST_PERSON: &[&str] = &[
    "i", "me", "my", "mine", "we", "us", "our", "ours", "i'm", "we're", "i've", "we've",
];
const MODALS: &[&str] = &[
    "should", "must", "can", "cannot", "can't", "could", "would", "will", "won't", "may", "might",
    "shall", "need", "ought",
];

fn raw(doc: &Prepared) -> Vec<f64> {
    let words: Vec<String> = doc
        .tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word)
        .map(|t| t.text.to_lowercase())
        .collect();
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(&w.as_str())).count() as f64;
    vec![
        (1.0 + words.len() as f64).ln(),
        doc.text
            .chars()
            .filter(|c| matches!(c, '“' | '”' | '"'))
            .count()
            .min(1) as f64,
        count(FIRST_PERSON),
        count(MODALS),
        words.iter().filter(|w| is_negation_cue(w)).count() as f64,
        doc.text.contains('?') as u8 as f64,
        words
            .iter()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
            .count() as f64,
    ]
}

/// Fits the scaler on training documents.
pub fn fit(docs: &[Prepared]) -> Box<dyn FittedExtractor> {
    let rows: Vec<Vec<f64>> = docs.iter().map(raw).collect();
    Box::new(FittedShape {
        scaler: MaxAbsScaler::fit(&rows, SHAPE_FEATURES.len()),
    })
}

/// The shape extractor fitted on training documents: the per-column scale.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedShape {
    scaler: MaxAbsScaler,
}

impl FittedExtractor for FittedShape {
    fn to_saved(&self) -> SavedExtractor {
        SavedExtractor::Shape(self.clone())
    }
    fn n_features(&self) -> usize {
        SHAPE_FEATURES.len()
    }
    fn feature_name(&self, j: usize) -> String {
        SHAPE_FEATURES[j].to_string()
    }
    fn transform(&self, docs: &[Prepared]) -> CsMat<f64> {
        let rows: Vec<Vec<f64>> = docs.iter().map(raw).collect();
        self.scaler.transform(&rows)
    }
    fn vocabulary(&self) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_quotes_first_person_and_modals() {
        let r = raw(&Prepared::new(
            "“I believe we should lift it,” he said. Can't we?",
        ));
        assert_eq!(r[1], 1.0);
        assert_eq!(r[2], 3.0, "I, we, we");
        assert_eq!(r[3], 2.0, "should, can't");
        assert_eq!(r[4], 1.0, "can't");
        assert_eq!(r[5], 1.0);
    }

    #[test]
    fn scaled_by_training_maximum() {
        let f = fit(&[Prepared::new("we we"), Prepared::new("x")]);
        let x = f.transform(&[Prepared::new("we we we we")]).to_dense();
        assert_eq!(x[[0, 2]], 2.0);
    }
}
