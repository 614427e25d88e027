//! Sentence segmentation for labelling a new seed.
//!
//! `stance segment` proposes sentence units with byte offsets; a person then labels each one. The rules are tuned
//! for news text (a general-purpose segmenter such as UAX #29 sentence boundaries splits `… restrictions,”
//! Stoltenberg said.` wrongly and knows no abbreviations), and follow `labels/GUIDELINES.md` section 4.1:
//!
//! * a paragraph break always ends a sentence;
//! * `.`, `!`, `?` or `…`, optionally followed by closing quotes or brackets, end a sentence when whitespace and
//!   then an upper-case letter, a digit or an opening quote follow;
//! * a comma before a closing quote never ends one (`…,” he said.` continues the sentence);
//! * a full stop after a known abbreviation (`Mr.`, `Gen.`, `U.S.`) or a single initial (`J.`) does not end one;
//! * a lower-case word after `?”`/`!”` continues the sentence (`“Why?” she asked.`).

/// Abbreviations (without the final period, compared case-sensitively) after which a period does not end a
/// sentence. Kept short and explicit: a wrong entry silently merges two sentences.
pub const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Lt", "Col", "Maj", "Capt", "Sgt", "Adm", "Cmdr",
    "Sen", "Rep", "Gov", "Pres", "Amb", "Rev", "Hon", "St", "Jr", "Sr", "Mt", "Ft", "No", "Nos",
    "Vol", "vs", "e.g", "i.e", "cf", "approx", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
    "Sep", "Sept", "Oct", "Nov", "Dec", "U.S", "U.K", "U.N", "E.U", "Inc", "Ltd", "Co", "Corp",
];

/// A proposed sentence: byte offsets into the text, `end` exclusive, trimmed of surrounding whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

fn is_closing(c: char) -> bool {
    matches!(c, '”' | '’' | '"' | '\'' | ')' | ']' | '»')
}

fn is_opening(c: char) -> bool {
    matches!(c, '“' | '‘' | '"' | '\'' | '(' | '[' | '«')
}

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

/// The word that ends right before byte `dot` (letters and inner periods), e.g. `U.S` before the final `.`.
fn word_before(text: &str, dot: usize) -> &str {
    let head = &text[..dot];
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '.')
        .last()
        .map(|(i, _)| i)
        .unwrap_or(dot);
    &text[start..dot]
}

fn is_abbreviation(word: &str) -> bool {
    if ABBREVIATIONS.contains(&word) {
        return true;
    }
    // A single capital initial ("J. Stoltenberg").
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase())
}

/// Splits `text` into sentence spans (byte offsets), in order.
pub fn sentences(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = 0usize;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let push = |spans: &mut Vec<Span>, from: usize, to: usize| {
        let piece = &text[from..to];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if lead + trail < piece.len() {
            spans.push(Span {
                start: from + lead,
                end: to - trail,
            });
        }
    };
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\n' {
            push(&mut spans, start, pos);
            start = pos + 1;
            i += 1;
            continue;
        }
        if is_terminal(c) {
            // Absorb a run of terminals ("?!", "...") and closing quotes/brackets.
            let mut j = i + 1;
            while j < chars.len() && (is_terminal(chars[j].1) || is_closing(chars[j].1)) {
                j += 1;
            }
            let end = if j < chars.len() {
                chars[j].0
            } else {
                text.len()
            };
            // Need whitespace after, then a sentence opener.
            let mut k = j;
            let mut saw_space = false;
            while k < chars.len() && chars[k].1.is_whitespace() && chars[k].1 != '\n' {
                saw_space = true;
                k += 1;
            }
            let at_break = k >= chars.len() || chars[k].1 == '\n';
            let next = chars.get(k).map(|(_, c)| *c);
            let opener = next
                .map(|n| n.is_uppercase() || n.is_ascii_digit() || is_opening(n))
                .unwrap_or(false);
            let abbreviation = c == '.' && j == i + 1 && is_abbreviation(word_before(text, pos));
            if at_break || (saw_space && opener && !abbreviation) {
                push(&mut spans, start, end);
                start = end;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    push(&mut spans, start, text.len());
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text)
            .into_iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn quote_final_comma_does_not_end_a_sentence() {
        let t = "“It is time to lift the rest of the restrictions,” Stoltenberg said. However, not all agree.";
        assert_eq!(
            split(t),
            vec![
                "“It is time to lift the rest of the restrictions,” Stoltenberg said.",
                "However, not all agree."
            ]
        );
    }

    #[test]
    fn closing_quote_after_period_stays_with_the_sentence() {
        let t = "He said “no.” Then he left.";
        assert_eq!(split(t), vec!["He said “no.”", "Then he left."]);
    }

    #[test]
    fn question_inside_quote_followed_by_lowercase_continues() {
        let t = "“Why now?” she asked. Nobody knew.";
        assert_eq!(split(t), vec!["“Why now?” she asked.", "Nobody knew."]);
    }

    #[test]
    fn abbreviations_and_initials_do_not_split() {
        let t = "Gen. Smith met Mr. Jones in the U.S. capital. J. Stoltenberg spoke.";
        assert_eq!(
            split(t),
            vec![
                "Gen. Smith met Mr. Jones in the U.S. capital.",
                "J. Stoltenberg spoke."
            ]
        );
    }

    #[test]
    fn paragraph_breaks_always_split_and_decimals_do_not() {
        let t = "A fund of 1.5 billion euros\nNext paragraph starts here. And ends.";
        assert_eq!(
            split(t),
            vec![
                "A fund of 1.5 billion euros",
                "Next paragraph starts here.",
                "And ends."
            ]
        );
    }

    #[test]
    fn spans_are_trimmed_byte_offsets() {
        let t = "  “Hi.”  Bye.  ";
        let s = sentences(t);
        assert_eq!(s.len(), 2);
        assert_eq!(&t[s[0].start..s[0].end], "“Hi.”");
        assert_eq!(&t[s[1].start..s[1].end], "Bye.");
    }
}
