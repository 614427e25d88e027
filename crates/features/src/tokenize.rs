//! Tokenisation and negation scope, shared by the text extractors.
//!
//! Word boundaries come from Unicode UAX #29 (`unicode-segmentation`), which keeps `don't` and `Ukraine's` whole
//! and splits `secretary-general` into two words. Typographic apostrophes are folded to `'` first so `don’t` and
//! `don't` are one token. Punctuation is kept as tokens because it closes a negation scope.

use std::borrow::Cow;

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
        // Every cue starts with `n`, `w` or `c` or ends with `t` (`n't`), whatever its case: most words are
        // ruled out by two bytes.
        let b = word.as_bytes();
        match (b.first(), b.last()) {
            (Some(&f), Some(&l)) if matches!(f | 0x20, b'n' | b'w' | b'c') || l | 0x20 == b't' => {}
            _ => return false,
        }
        NEGATION_CUES.iter().any(|c| c.eq_ignore_ascii_case(word))
            || (word.len() >= 3 && word[word.len() - 3..].eq_ignore_ascii_case("n't"))
    } else {
        is_negation_cue(&word.to_lowercase())
    }
}

/// One token found by [`scan`]: where it lies in the text and what it is. Its text is the source slice
/// `start..start + len`, with typographic apostrophes folded when `folded` is set ([`Span::text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the token in the text.
    pub start: usize,
    /// Byte length of the token in the text.
    pub len: usize,
    /// Its kind.
    pub kind: TokenKind,
    /// Whether the token lies inside a negation scope.
    pub negated: bool,
    /// Whether the token holds a `’` or `‘`, which its text folds to `'`.
    pub folded: bool,
}

impl Span {
    /// The token's text (apostrophes folded), borrowed from `text` unless something was folded.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let s = &text[self.start..self.start + self.len];
        if self.folded {
            Cow::Owned(s.replace(['’', '‘'], "'"))
        } else {
            Cow::Borrowed(s)
        }
    }
}

/// Tokenises `text` and marks negation scopes.
///
/// Runs once per statement and run; [`scan`] does the work without allocating, this gives each token its own
/// text for the extractors that keep tokens.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut spans = Vec::new();
    scan(text, &mut spans);
    tokens_of(text, &spans)
}

/// The tokens of `text` from its [`scan`].
pub fn tokens_of(text: &str, spans: &[Span]) -> Vec<Token> {
    spans
        .iter()
        .map(|s| Token {
            text: s.text(text).into_owned(),
            start: s.start,
            len: s.len,
            kind: s.kind,
            negated: s.negated,
        })
        .collect()
}

/// The tokens of `text` into `out` (cleared first), as positions: what [`tokenize`] returns, without a string per
/// token.
///
/// An ASCII text is split by [`ascii_segments`], which gives the UAX #29 word boundaries of ASCII text directly
/// (`unicode-segmentation`'s general iterator looks each character up in its tables and was most of the time
/// extraction took); any other text goes through `unicode-segmentation`. A property test checks the two agree on
/// ASCII text.
pub fn scan(text: &str, out: &mut Vec<Span>) {
    scan_with(text, out, true)
}

/// [`scan`], marking negation scopes only when `negation` is set (else no token is `negated`): the cue test is
/// skipped for extractors that never read the scopes.
pub fn scan_with(text: &str, out: &mut Vec<Span>, negation: bool) {
    out.clear();
    let mut in_scope = false;
    if text.is_ascii() {
        ascii_segments(text, |start, end| {
            let piece = &text[start..end];
            // A segment of ASCII text is a run of letters, digits and underscores (with infixes), or one other
            // character; only the first kind can hold a letter or digit, and only the second can close a scope
            // (`closes_scope`'s ASCII members, one byte each).
            let negated = if piece.bytes().any(|b| b.is_ascii_alphanumeric()) {
                let cue = negation && word_is_negation_cue(piece);
                let negated = in_scope && !cue;
                in_scope |= cue;
                Some(negated)
            } else {
                if matches!(
                    piece.as_bytes()[0],
                    b'.' | b',' | b';' | b':' | b'!' | b'?' | b'"' | b'(' | b')'
                ) {
                    in_scope = false;
                }
                None
            };
            out.push(Span {
                start,
                len: end - start,
                kind: if negated.is_some() {
                    TokenKind::Word
                } else {
                    TokenKind::Punct
                },
                negated: negated.unwrap_or(false),
                folded: false,
            });
        });
        return;
    }
    for (start, original) in text.split_word_bound_indices() {
        if original.chars().all(char::is_whitespace) {
            continue;
        }
        // '’' and '‘' are the only characters folded; both are encoded starting with byte 0xE2.
        let folded = original.as_bytes().contains(&0xE2) && original.contains(['’', '‘']);
        let piece: Cow<'_, str> = if folded {
            Cow::Owned(original.replace(['’', '‘'], "'"))
        } else {
            Cow::Borrowed(original)
        };
        let kind = if piece.chars().any(char::is_alphanumeric) {
            TokenKind::Word
        } else {
            TokenKind::Punct
        };
        // A closing punctuation ends a scope, a cue opens one (the cue itself is not negated).
        let negated = match kind {
            TokenKind::Punct => {
                if closes_scope(&piece) {
                    in_scope = false;
                }
                false
            }
            TokenKind::Word => {
                let cue = negation && word_is_negation_cue(&piece);
                let negated = in_scope && !cue;
                in_scope |= cue;
                negated
            }
        };
        out.push(Span {
            start,
            len: original.len(),
            kind,
            negated,
            folded,
        });
    }
}

/// Calls `f(start, end)` for each UAX #29 word segment of the ASCII text `text` that is not whitespace, in order.
///
/// For ASCII the rules reduce to: letters, digits and `_` join (WB5, WB8–WB10, WB13a/b); `.`, `'` and `:` join
/// two letters (WB6/WB7: MidNumLetQ and MidLetter), and `.`, `'`, `,` and `;` join two digits (WB11/WB12:
/// MidNumLetQ and MidNum); spaces join spaces (WB3d) and CR joins LF (WB3), but those segments are whitespace and
/// skipped; every other character is a segment of its own (WB999).
pub fn ascii_segments(text: &str, mut f: impl FnMut(usize, usize)) {
    let b = text.as_bytes();
    debug_assert!(text.is_ascii());
    let core = |c: u8| CLASS[c as usize] & CORE != 0;
    let n = b.len();
    let mut i = 0;
    while i < n {
        let c = b[i];
        if core(c) {
            let mut j = i + 1;
            while j < n {
                let d = b[j];
                if core(d) {
                    j += 1;
                } else if j + 1 < n && joins(d, b[j - 1], b[j + 1]) {
                    // The infix and the letter or digit after it.
                    j += 2;
                } else {
                    break;
                }
            }
            f(i, j);
            i = j;
        } else {
            // ' ', '\t', '\n', VT, FF, '\r': `char::is_whitespace` on ASCII.
            if CLASS[c as usize] & SPACE == 0 {
                f(i, i + 1);
            }
            i += 1;
        }
    }
}

/// [`CLASS`] bit: a letter, digit or `_` (ALetter, Numeric, ExtendNumLet).
const CORE: u8 = 1;
/// [`CLASS`] bit: a letter (ALetter).
const LETTER: u8 = 2;
/// [`CLASS`] bit: a digit (Numeric).
const DIGIT: u8 = 4;
/// [`CLASS`] bit: whitespace.
const SPACE: u8 = 8;
/// [`CLASS`] bit: joins two letters (MidLetter, MidNumLetQ: `:`, `.`, `'`).
const MID_LETTER: u8 = 16;
/// [`CLASS`] bit: joins two digits (MidNum, MidNumLetQ: `,`, `;`, `.`, `'`).
const MID_DIGIT: u8 = 32;

/// The word-break classes of each byte, as bits: one table lookup instead of a chain of comparisons per byte.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() {
            CORE | LETTER
        } else if b.is_ascii_digit() {
            CORE | DIGIT
        } else {
            match b {
                b'_' => CORE,
                b' ' | b'\t'..=b'\r' => SPACE,
                b'.' | b'\'' => MID_LETTER | MID_DIGIT,
                b':' => MID_LETTER,
                b',' | b';' => MID_DIGIT,
                _ => 0,
            }
        };
        c += 1;
    }
    t
};

/// Whether the ASCII infix `mid` between `prev` and `next` stays inside a word (WB6/WB7, WB11/WB12).
#[inline]
fn joins(mid: u8, prev: u8, next: u8) -> bool {
    let (m, p, n) = (
        CLASS[mid as usize],
        CLASS[prev as usize],
        CLASS[next as usize],
    );
    (m & MID_LETTER != 0 && p & n & LETTER != 0) || (m & MID_DIGIT != 0 && p & n & DIGIT != 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tokeniser as it was before [`scan`] (UAX #29 on every text, a string per token): the reference the
    /// fast path must reproduce.
    pub(crate) fn reference_tokenize(text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut in_scope = false;
        for (start, original) in text.split_word_bound_indices() {
            if original.chars().all(char::is_whitespace) {
                continue;
            }
            let len = original.len();
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

    /// Texts made of the pieces where word boundaries are subtle: apostrophes, periods and commas between letters
    /// and digits, underscores, hyphens, colons, URLs, every kind of ASCII whitespace, control characters,
    /// typographic apostrophes, emoji, CJK, combining marks and negation cues.
    pub(crate) fn tricky_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![prop::sample::select(vec![
            "a",
            "Z",
            "ab",
            "don",
            "t",
            "n't",
            "1",
            "42",
            "3",
            "_",
            "__",
            "-",
            ".",
            ",",
            ";",
            ":",
            "'",
            "\"",
            "!",
            "?",
            "(",
            ")",
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{0}",
            "\u{1f}",
            "\u{7f}",
            "http://x.org/a_b?c=1",
            "e.g.",
            "1,000.5",
            "U.S.",
            "NOT",
            "not",
            "never",
            "Cannot",
            "no",
            "isn't",
            "’",
            "‘",
            "don’t",
            "é",
            "Ünï",
            "😀",
            "👍🏽",
            "日本語",
            "\u{301}",
            "\u{200d}",
            "\u{a0}",
            "—",
            "“",
            "”",
            "ΣΑΣ",
            "İ",
            "ﬁ",
            "٣",
            "ｱ",
            "a\u{301}b",
            "#",
            "@",
            "$",
            "%",
            "&",
            "*",
            "+",
            "/",
            "<",
            "=",
            ">",
            "[",
            "\\",
            "]",
            "^",
            "`",
            "{",
            "|",
            "}",
            "~",
        ]),];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    /// Any ASCII text, every byte equally likely.
    fn ascii_text() -> impl Strategy<Value = String> {
        prop::collection::vec(0u8..128, 0..40).prop_map(|v| v.into_iter().map(char::from).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn ascii_segments_are_uax29_segments(text in prop_oneof![ascii_text(), tricky_text().prop_filter("ascii", |t| t.is_ascii())]) {
            let mut fast = Vec::new();
            ascii_segments(&text, |s, e| fast.push((s, &text[s..e])));
            let reference: Vec<(usize, &str)> = text
                .split_word_bound_indices()
                .filter(|(_, w)| !w.chars().all(char::is_whitespace))
                .collect();
            prop_assert_eq!(fast, reference);
        }

        #[test]
        fn tokenize_matches_the_reference(text in prop_oneof![ascii_text(), tricky_text()]) {
            prop_assert_eq!(tokenize(&text), reference_tokenize(&text));
        }
    }

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
