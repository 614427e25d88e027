//! Holder masking: replace named speakers by a placeholder, to measure how much a model leans on *who* speaks.
//!
//! A feature set with `mask_holders = true` passes every text through a [`FittedMasker`] before any extractor
//! sees it. The masker is fitted on the training fold: it learns the name tokens of the training rows' holders
//! (e.g. `Jens`, `Stoltenberg`). It also masks, without learning anything, runs of capitalised words right next to
//! a speech verb (`… Salvini said`, `said Tajani`), which catches speakers the training fold never named.
//! A test-only speaker is masked only by that rule — exactly the information a deployed model would have.

use std::collections::BTreeSet;

use super::tokenize::{tokenize, TokenKind};

/// The placeholder written in place of a name.
pub const PLACEHOLDER: &str = "HOLDER";

/// Speech verbs next to which a capitalised run is taken to be a speaker.
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "stated",
    "urged",
    "argued",
    "warned",
    "insisted",
    "complained",
    "emphasized",
    "emphasised",
    "noted",
    "claimed",
    "according",
];

/// Holder-name tokens learned from a training fold.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FittedMasker {
    names: BTreeSet<String>,
}

impl FittedMasker {
    /// Learns name tokens from the training rows' holder fields (capitalised words of two or more letters).
    pub fn fit<'a>(holders: impl IntoIterator<Item = Option<&'a str>>) -> FittedMasker {
        let mut names = BTreeSet::new();
        for h in holders.into_iter().flatten() {
            for part in h.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'') {
                let mut chars = part.chars();
                if part.chars().count() >= 2 && chars.next().is_some_and(char::is_uppercase) {
                    names.insert(part.to_string());
                }
            }
        }
        FittedMasker { names }
    }

    /// The learned name tokens.
    pub fn names(&self) -> &BTreeSet<String> {
        &self.names
    }

    /// Returns `text` with holder names replaced by [`PLACEHOLDER`] (a run of names becomes one placeholder).
    pub fn transform(&self, text: &str) -> String {
        let tokens = tokenize(text);
        let words: Vec<(usize, &str)> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == TokenKind::Word)
            .map(|(i, t)| (i, t.text.as_str()))
            .collect();
        let capitalised = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
        let mut masked = vec![false; tokens.len()];
        for (k, (i, w)) in words.iter().enumerate() {
            if self.names.contains(*w) {
                masked[*i] = true;
            }
            if SPEECH_VERBS.contains(&w.to_lowercase().as_str()) {
                // Capitalised run right before the verb ("… Salvini said") …
                let mut j = k;
                while j > 0
                    && capitalised(words[j - 1].1)
                    && tokens_adjacent(&tokens, words[j - 1].0, words[j].0)
                {
                    j -= 1;
                    masked[words[j].0] = true;
                }
                // … or right after it ("said Tajani").
                let mut j = k + 1;
                while j < words.len()
                    && capitalised(words[j].1)
                    && tokens_adjacent(&tokens, words[j - 1].0, words[j].0)
                {
                    masked[words[j].0] = true;
                    j += 1;
                }
            }
        }
        // Rebuild from the original text so spacing and punctuation are untouched; a run of masked words
        // (with the spaces between them) becomes one placeholder.
        let mut out = String::with_capacity(text.len());
        let mut cursor = 0;
        let mut i = 0;
        while i < tokens.len() {
            if !masked[i] {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < tokens.len() && masked[j + 1] {
                j += 1;
            }
            out.push_str(&text[cursor..tokens[i].start]);
            out.push_str(PLACEHOLDER);
            cursor = tokens[j].start + tokens[j].len;
            i = j + 1;
        }
        out.push_str(&text[cursor..]);
        out
    }
}

/// Whether two word tokens are separated only by nothing (no punctuation between them).
fn tokens_adjacent(tokens: &[super::tokenize::Token], a: usize, b: usize) -> bool {
    (a + 1..b).all(|i| tokens[i].kind == TokenKind::Word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_learned_names_and_speakers_next_to_speech_verbs() {
        let m = FittedMasker::fit([Some("Jens Stoltenberg"), Some("journalist"), None]);
        assert_eq!(
            m.names().iter().collect::<Vec<_>>(),
            vec!["Jens", "Stoltenberg"]
        );
        assert_eq!(
            m.transform("NATO chief Jens Stoltenberg urged allies."),
            "NATO chief HOLDER urged allies."
        );
        assert_eq!(
            m.transform("“No,” Matteo Salvini said."),
            "“No,” HOLDER said."
        );
    }

    #[test]
    fn names_only_in_other_rows_are_not_learned() {
        let m = FittedMasker::fit([Some("Matteo Salvini")]);
        assert_eq!(m.transform("Stoltenberg spoke."), "Stoltenberg spoke.");
    }
}
