//! Tokenisation and negation scope, shared by the text extractors.
//!
//! Word boundaries come from Unicode UAX #29 (`unicode-segmentation`), which keeps `don't` and `Ukraine's` whole
//! and splits `secretary-general` into two words. Typographic apostrophes are folded to `'` first so `don’t` and
//! `don't` are one token. Punctuation is kept as tokens because it closes a negation scope.

use unicode_segmentation::UnicodeSegmentation;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Contains at least one letter or digit.
    Word,
    /// Anything else that is not whitespace.
    Punct,
}

/// One token of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token text as written (apostrophes folded).
    pub text: String,
    /// Byte offset of the token in the original text.
    pub start: usize,
    /// Byte length of the token in the original text.
    pub len: usize,
    /// Its kind.
    pub kind: TokenKind,
    /// Whether the token lies inside a negation scope (after a cue, before the next punctuation).
    pub negated: bool,
}

/// Words that open a negation scope (compared lower-cased); any word ending in `n't` does too.
pub const NEGATION_CUES: &[&str] = &[
    "not", "no", "never", "nor", "none", "nobody", "nothing", "neither", "nowhere", "without",
    "cannot",
];

/// Punctuation that closes a negation scope.
fn closes_scope(tok: &str) -> bool {
    matches!(
        tok,
        "." | "," | ";" | ":" | "!" | "?" | "\"" | "“" | "”" | "(" | ")" | "—" | "–"
    )
}

/// Whether a (lower-cased) word is a negation cue.
pub fn is_negation_cue(lower: &str) -> bool {
    NEGATION_CUES.contains(&lower) || lower.ends_with("n't")
}

/// Tokenises `text` and marks negation scopes.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut in_scope = false;
    for (start, original) in text.split_word_bound_indices() {
        if original.chars().all(char::is_whitespace) {
            continue;
        }
        let len = original.len();
        let folded = original.replace(['’', '‘'], "'");
        let piece = folded.as_str();
        let kind = if piece.chars().any(char::is_alphanumeric) {
            TokenKind::Word
        } else {
            TokenKind::Punct
        };
        match kind {
            TokenKind::Punct => {
                if closes_scope(piece) {
                    in_scope = false;
                }
                tokens.push(Token {
                    text: piece.to_string(),
                    start,
                    len,
                    kind,
                    negated: false,
                });
            }
            TokenKind::Word => {
                let lower = piece.to_lowercase();
                let cue = is_negation_cue(&lower);
                tokens.push(Token {
                    text: piece.to_string(),
                    start,
                    len,
                    kind,
                    negated: in_scope && !cue,
                });
                if cue {
                    in_scope = true;
                }
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, bool)> {
        tokenize(text)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| (t.text, t.negated))
            .collect()
    }

    #[test]
    fn keeps_contractions_and_splits_hyphens() {
        let w: Vec<String> = words("I don’t think the secretary-general's view")
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(
            w,
            vec![
                "I",
                "don't",
                "think",
                "the",
                "secretary",
                "general's",
                "view"
            ]
        );
    }

    #[test]
    fn negation_scope_runs_until_punctuation() {
        let w = words("NATO will not force us to kill, and we defend.");
        let negated: Vec<&str> = w
            .iter()
            .filter(|(_, n)| *n)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(negated, vec!["force", "us", "to", "kill"]);
        let w = words("I don't want war. We want peace");
        let negated: Vec<&str> = w
            .iter()
            .filter(|(_, n)| *n)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(negated, vec!["want", "war"]);
    }
}
