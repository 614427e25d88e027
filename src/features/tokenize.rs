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

/// [`is_negation_cue`] of the lower-cased word, without lower-casing it: an ASCII word lower-cases to ASCII, so
/// comparing it case-insensitively with the (ASCII, lower-case) cues gives the same answer; other words take the
/// allocating path.
fn word_is_negation_cue(word: &str) -> bool {
    if word.is_ascii() {
        NEGATION_CUES.iter().any(|c| c.eq_ignore_ascii_case(word))
            || (word.len() >= 3 && word[word.len() - 3..].eq_ignore_ascii_case("n't"))
    } else {
        is_negation_cue(&word.to_lowercase())
    }
}

/// Tokenises `text` and marks negation scopes.
///
/// Runs once per statement and run (tokenising is most of extraction's cost), so a token allocates once, for its
/// text: apostrophes are folded only when the token holds one, and the negation-cue test lower-cases nothing for
/// ASCII words.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut in_scope = false;
    for (start, original) in text.split_word_bound_indices() {
        if original.chars().all(char::is_whitespace) {
            continue;
        }
        let len = original.len();
        // '’' and '‘' are the only characters folded; both are encoded starting with byte 0xE2.
        let piece: String = if original.as_bytes().contains(&0xE2) {
            original.replace(['’', '‘'], "'")
        } else {
            original.to_string()
        };
        let kind = if piece.chars().any(char::is_alphanumeric) {
            TokenKind::Word
        } else {
            TokenKind::Punct
        };
        match kind {
            TokenKind::Punct => {
                if closes_scope(&piece) {
                    in_scope = false;
                }
                tokens.push(Token {
                    text: piece,
                    start,
                    len,
                    kind,
                    negated: false,
                });
            }
            TokenKind::Word => {
                let cue = word_is_negation_cue(&piece);
                tokens.push(Token {
                    text: piece,
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
    fn the_ascii_cue_test_agrees_with_lower_casing() {
        for w in [
            "not", "NOT", "Not", "nOt", "no", "No", "cannot", "CANNOT", "don't", "DON'T", "Won't",
            "isn't", "n't", "t", "", "nt", "note", "nothing", "NoThInG", "without", "Ünot",
            "İsn't", "KNOT", "knot", "none", "nor",
        ] {
            assert_eq!(
                word_is_negation_cue(w),
                is_negation_cue(&w.to_lowercase()),
                "{w}"
            );
        }
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
