//! Simple shape features (`type = "shape"`): length, quotation, first person, modal verbs, negation, questions.
//!
//! Each is a count (length is `ln(1 + tokens)`), scaled by its maximum over the training fold.

use serde::{Deserialize, Serialize};

use super::scaled::{DenseSource, Scaled};
use super::tokenize::{is_negation_cue, TokenKind};
use super::Prepared;
use super::SavedExtractor;

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

impl ShapeParams {
    /// Validates the parameters (there are none to check).
    pub fn check(&self) -> ShapeColumns {
        ShapeColumns {}
    }
}

/// The validated shape extractor: fixed columns, nothing to store but the fitted scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeColumns {}

impl DenseSource for ShapeColumns {
    fn n_features(&self) -> usize {
        SHAPE_FEATURES.len()
    }
    fn feature_name(&self, j: usize) -> String {
        SHAPE_FEATURES[j].to_string()
    }
    fn raw(&self, doc: &Prepared) -> Vec<f64> {
        raw(doc)
    }
    fn saved(fitted: Scaled<Self>) -> SavedExtractor {
        SavedExtractor::Shape(fitted)
    }
}

/// The shape extractor fitted on training documents: the per-column scale.
pub type FittedShape = Scaled<ShapeColumns>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FittedExtractor;

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
        let f = ShapeColumns {}.fit(&[Prepared::new("we we"), Prepared::new("x")]);
        let x = f
            .transform(&[Prepared::new("we we we we")])
            .unwrap()
            .to_dense();
        assert_eq!(x[[0, 2]], 2.0);
    }
}
