//! Fitted extractors in a closed form that model files can store (`stance train`).
//!
//! A [`FittedFeatureSet`](super::FittedFeatureSet) holds its extractors as trait objects, which serde cannot read
//! back; [`SavedExtractor`] names every kind, so a file says which extractor each part is and loading rebuilds the
//! same objects. Adding an extractor means adding a variant here (and bumping the model file's schema version).

use serde::{Deserialize, Serialize};

use super::lexicon::FittedLexicon;
use super::ngrams::{FittedChars, FittedNegation, FittedWords};
use super::shape::FittedShape;
use super::FittedExtractor;

/// One fitted extractor, tagged by its type as in experiment files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SavedExtractor {
    /// Word n-grams.
    WordNgrams(FittedWords),
    /// Character n-grams.
    CharNgrams(FittedChars),
    /// Stance-cue lexicon.
    Lexicon(FittedLexicon),
    /// Negation-scope words.
    Negation(FittedNegation),
    /// Shape features.
    Shape(FittedShape),
}

impl SavedExtractor {
    /// The extractor as the feature set uses it.
    pub fn into_fitted(self) -> Box<dyn FittedExtractor> {
        match self {
            SavedExtractor::WordNgrams(e) => Box::new(e),
            SavedExtractor::CharNgrams(e) => Box::new(e),
            SavedExtractor::Lexicon(e) => Box::new(e),
            SavedExtractor::Negation(e) => Box::new(e),
            SavedExtractor::Shape(e) => Box::new(e),
        }
    }
}

/// `#[serde(with = "saved::boxed")]` for a list of boxed fitted extractors.
pub(crate) mod boxed {
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

#[cfg(test)]
mod tests {
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
