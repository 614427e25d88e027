//! Perturbation functions: deterministic rewrites of a text that INV and DIR tests apply to templates and gold
//! sentences.
//!
//! Every function is pure and rule-based. A rule that does not apply returns `None` (or an empty list) instead of
//! a guess, so a suite that asks for a perturbation that cannot be made fails at load time with the offending
//! line, rather than silently testing an unchanged text.

use serde::{Deserialize, Serialize};

/// A named perturbation, as written in a suite's `perturb` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// [`negate`].
    Negate,
    /// [`swap_place`].
    SwapPlace,
    /// [`change_number`].
    ChangeNumber,
    /// [`typo`].
    Typo,
    /// [`punctuation`].
    Punctuation,
    /// [`swap_sentences`].
    SwapSentences,
    /// [`hedge`].
    Hedge,
}

impl Perturbation {
    /// Every perturbation with its suite name.
    pub const ALL: [(&'static str, Perturbation); 7] = [
        ("negate", Perturbation::Negate),
        ("swap_place", Perturbation::SwapPlace),
        ("change_number", Perturbation::ChangeNumber),
        ("typo", Perturbation::Typo),
        ("punctuation", Perturbation::Punctuation),
        ("swap_sentences", Perturbation::SwapSentences),
        ("hedge", Perturbation::Hedge),
    ];

    /// Parses a suite name (`negate`, `swap_place`, …).
    pub fn from_name(name: &str) -> Option<Perturbation> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }

    /// The suite name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Applies the perturbation; an empty list means it does not apply to `text`. `seed` (the case id) drives
    /// the only randomised one, [`typo`].
    pub fn apply(self, text: &str, seed: &str) -> Vec<String> {
        match self {
            Perturbation::Negate => negate(text).into_iter().collect(),
            Perturbation::SwapPlace => swap_place(text),
            Perturbation::ChangeNumber => change_number(text),
            Perturbation::Typo => typo(text, seed).into_iter().collect(),
            Perturbation::Punctuation => punctuation(text),
            Perturbation::SwapSentences => swap_sentences(text).into_iter().collect(),
            Perturbation::Hedge => hedge(text).into_iter().collect(),
        }
    }
}

/// Byte offset of the first occurrence of `phrase` in `text` that starts and ends on a word boundary.
fn find_word(text: &str, phrase: &str) -> Option<usize> {
    let is_word = |c: Option<char>| c.map(|c| c.is_alphanumeric()).unwrap_or(false);
    let mut from = 0;
    while let Some(rel) = text[from..].find(phrase) {
        let at = from + rel;
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        let edge_ok = |p: &str, c: Option<char>| {
            // A phrase that itself ends (or starts) in a space or punctuation carries its own boundary.
            !p.chars().last().is_some_and(char::is_alphanumeric) || !is_word(c)
        };
        let starts_ok =
            !phrase.chars().next().is_some_and(char::is_alphanumeric) || !is_word(before);
        if starts_ok && edge_ok(phrase, after) {
            return Some(at);
        }
        from = at + phrase.chars().next().map(char::len_utf8).unwrap_or(1);
    }
    None
}

fn replace_first(text: &str, from: &str, to: &str) -> Option<String> {
    find_word(text, from).map(|at| format!("{}{}{}", &text[..at], to, &text[at + from.len()..]))
}

const MODALS: [&str; 6] = ["must", "should", "can", "will", "would", "Must"];

/// Negates the stance-bearing predicate: "must be allowed" → "must not be allowed", "must not" → "must",
/// "it is time to" → "it is not time to", "urged allies to" → "urged allies not to", "spoke against" ↔
/// "spoke in favour of", "not all" → "all", and a copula ("It's", "are", "is") as a last resort.
///
/// Rules are tried in that order and only the first that matches is applied, once: removing an existing negation
/// comes first so that "must not" is not turned into "must not not".
pub fn negate(text: &str) -> Option<String> {
    // 1. Remove a negation.
    for m in MODALS {
        if let Some(s) = replace_first(text, &format!("{m} not "), &format!("{m} ")) {
            return Some(s);
        }
    }
    for (from, to) in [
        ("cannot", "can"),
        ("not all ", "all "),
        ("Not all ", "All "),
        ("is not time", "is time"),
        ("spoke in favour of", "spoke against"),
    ] {
        if let Some(s) = replace_first(text, from, to) {
            return Some(s);
        }
    }
    // 2. Add one.
    if let Some(s) = replace_first(text, "is time to", "is not time to") {
        return Some(s);
    }
    for m in MODALS {
        if let Some(s) = replace_first(text, &format!("{m} "), &format!("{m} not ")) {
            return Some(s);
        }
    }
    if let Some(s) = negate_urge(text) {
        return Some(s);
    }
    for (from, to) in [
        ("spoke against", "spoke in favour of"),
        ("It's ", "It's not "),
        ("it's ", "it's not "),
        ("are ", "are not "),
        ("is ", "is not "),
    ] {
        if let Some(s) = replace_first(text, from, to) {
            return Some(s);
        }
    }
    None
}

/// "urged allies to allow" → "urged allies not to allow": a verb of urging followed, within three words, by "to".
fn negate_urge(text: &str) -> Option<String> {
    for verb in [
        "urged",
        "urges",
        "urge",
        "called on",
        "calls on",
        "asked",
        "asks",
    ] {
        let Some(at) = find_word(text, verb) else {
            continue;
        };
        let rest_start = at + verb.len();
        let rest = &text[rest_start..];
        let mut offset = 0;
        for (i, word) in rest.split(' ').enumerate() {
            if i > 4 {
                break;
            }
            if word == "to" && i > 0 {
                let pos = rest_start + offset;
                return Some(format!("{}not {}", &text[..pos], &text[pos..]));
            }
            offset += word.len() + 1;
        }
    }
    None
}

/// Frontline and border places in Ukraine that a swap may use; "Kyiv" is left out on purpose because it often
/// stands for the Ukrainian government ("allow Kyiv to retaliate").
pub const PLACES: [&str; 6] = [
    "Kharkiv",
    "Sumy",
    "Chernihiv",
    "Zaporizhzhia",
    "Odesa",
    "Dnipro",
];

/// Replaces the first place of [`PLACES`] in `text` with each of the others, in list order.
pub fn swap_place(text: &str) -> Vec<String> {
    let found = PLACES
        .iter()
        .filter_map(|p| find_word(text, p).map(|at| (at, *p)))
        .min();
    let Some((at, place)) = found else {
        return Vec::new();
    };
    PLACES
        .iter()
        .filter(|p| **p != place)
        .map(|p| format!("{}{}{}", &text[..at], p, &text[at + place.len()..]))
        .collect()
}

/// Replaces the first run of ASCII digits with up to three other numbers (double, plus 13, a third), in that
/// order, leaving out duplicates and the original.
pub fn change_number(text: &str) -> Vec<String> {
    let Some(start) = text.find(|c: char| c.is_ascii_digit()) else {
        return Vec::new();
    };
    let len = text[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len() - start);
    let Ok(n) = text[start..start + len].parse::<u64>() else {
        return Vec::new();
    };
    let mut out: Vec<u64> = Vec::new();
    for m in [n.saturating_mul(2), n.saturating_add(13), (n / 3).max(1)] {
        if m != n && !out.contains(&m) {
            out.push(m);
        }
    }
    out.into_iter()
        .map(|m| format!("{}{}{}", &text[..start], m, &text[start + len..]))
        .collect()
}

/// FNV-1a, because the typo position must not change with the standard library's hasher.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Swaps two adjacent letters inside one word of at least four ASCII letters; the word and the position are
/// chosen by a hash of `seed` (the case id), so the same case always gets the same typo. `None` when no word is
/// long enough.
pub fn typo(text: &str, seed: &str) -> Option<String> {
    // (byte start, len) of each candidate word.
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if c.is_ascii_alphabetic() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            // Only words made entirely of ASCII letters: the swap works on bytes.
            let prev_ok = text[..s]
                .chars()
                .next_back()
                .is_none_or(|p| !p.is_alphanumeric());
            let next_ok = !c.is_alphanumeric();
            if i - s >= 4 && prev_ok && next_ok {
                words.push((s, i - s));
            }
        }
    }
    let h = fnv1a(seed);
    // Try from the hashed word on, so a word whose interior letters are all equal does not end the search.
    for k in 0..words.len() {
        let (s, len) = words[(h as usize).wrapping_add(k) % words.len()];
        let bytes = &text.as_bytes()[s..s + len];
        let interior = len - 2; // positions 1..len-1, swapping j with j+1 keeps the first and last letter
        for t in 0..interior - 1 {
            let j = 1 + ((h >> 17) as usize + t) % (interior - 1);
            if bytes[j] != bytes[j + 1] {
                let mut w = bytes.to_vec();
                w.swap(j, j + 1);
                let w = String::from_utf8(w).expect("ASCII letters");
                return Some(format!("{}{}{}", &text[..s], w, &text[s + len..]));
            }
        }
    }
    None
}

/// Punctuation variants, in this order: the final `.`/`!`/`?` removed; a final `.` replaced by `!`; every comma
/// removed (when there is one). A closing quotation mark after the final punctuation is kept.
pub fn punctuation(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let trimmed = text.trim_end();
    let (body, tail) = match trimmed.char_indices().next_back() {
        Some((i, '”' | '"' | '’')) => (&trimmed[..i], &trimmed[i..]),
        _ => (trimmed, ""),
    };
    if let Some(last) = body.chars().next_back() {
        if matches!(last, '.' | '!' | '?') {
            let stem = &body[..body.len() - last.len_utf8()];
            out.push(format!("{stem}{tail}"));
            if last == '.' {
                out.push(format!("{stem}!{tail}"));
            }
        }
    }
    if text.contains(',') {
        out.push(text.replace(',', ""));
    }
    out
}

/// Swaps the two sentences of a two-sentence text (split at the first `.`, `!` or `?` followed by a space);
/// `None` when there is no such boundary.
pub fn swap_sentences(text: &str) -> Option<String> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let at = (0..bytes.len().saturating_sub(1))
        .find(|&i| matches!(bytes[i], b'.' | b'!' | b'?') && bytes[i + 1] == b' ')?;
    let first = text[..=at].trim();
    let second = text[at + 1..].trim();
    if second.is_empty() {
        return None;
    }
    Some(format!("{second} {first}"))
}

/// Hedges the position: "must" → "might perhaps", "should" → "could perhaps", "it is time to" → "it may be time
/// to", "It's" → "It's perhaps"; the first rule that matches is applied once. `None` when none does.
pub fn hedge(text: &str) -> Option<String> {
    for (from, to) in [
        ("must", "might perhaps"),
        ("Must", "Might perhaps"),
        ("should", "could perhaps"),
        ("is time to", "may be time to"),
        ("It's ", "It's perhaps "),
        ("are ", "are perhaps "),
    ] {
        if let Some(s) = replace_first(text, from, to) {
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negate_adds_and_removes_negation() {
        assert_eq!(
            negate("Ukraine must be allowed to strike Russia.").as_deref(),
            Some("Ukraine must not be allowed to strike Russia.")
        );
        assert_eq!(
            negate("Ukraine must not be allowed to strike Russia.").as_deref(),
            Some("Ukraine must be allowed to strike Russia.")
        );
        assert_eq!(
            negate("The restrictions should be lifted.").as_deref(),
            Some("The restrictions should not be lifted.")
        );
        assert_eq!(
            negate("I believe that it is time to think about lifting some restrictions.")
                .as_deref(),
            Some("I believe that it is not time to think about lifting some restrictions.")
        );
        assert_eq!(
            negate("Stoltenberg has urged allies to allow Kyiv to retaliate.").as_deref(),
            Some("Stoltenberg has urged allies not to allow Kyiv to retaliate.")
        );
        assert_eq!(
            negate("It's self-defense.").as_deref(),
            Some("It's not self-defense.")
        );
        assert_eq!(
            negate("However, not all countries are willing.").as_deref(),
            Some("However, all countries are willing.")
        );
        assert_eq!(
            negate("Tajani spoke against it.").as_deref(),
            Some("Tajani spoke in favour of it.")
        );
        // "American" contains "can" but is not the modal.
        assert_eq!(negate("American help."), None);
        // Negating twice returns the original for modal rules.
        let s = "Kyiv should be free to hit bases in Russia.";
        assert_eq!(negate(&negate(s).unwrap()).as_deref(), Some(s));
    }

    #[test]
    fn swap_place_replaces_the_place_with_every_other() {
        let v = swap_place("the Russian offensive on Kharkiv.");
        assert_eq!(v.len(), PLACES.len() - 1);
        assert_eq!(v[0], "the Russian offensive on Sumy.");
        assert!(v.iter().all(|s| !s.contains("Kharkiv")));
        assert!(swap_place("allow Kyiv to retaliate").is_empty());
    }

    #[test]
    fn change_number_changes_only_the_number() {
        assert_eq!(
            change_number("about 300 km into Russia"),
            vec![
                "about 600 km into Russia",
                "about 313 km into Russia",
                "about 100 km into Russia"
            ]
        );
        assert!(change_number("no digits").is_empty());
    }

    #[test]
    fn typo_is_deterministic_and_keeps_length_and_letters() {
        let s = "Ukraine must be allowed to strike targets inside Russia.";
        let a = typo(s, "typos.001").unwrap();
        assert_eq!(a, typo(s, "typos.001").unwrap());
        assert_ne!(a, s);
        assert_eq!(a.len(), s.len());
        let diff = a.bytes().zip(s.bytes()).filter(|(x, y)| x != y).count();
        assert_eq!(diff, 2, "{a}");
        let mut x: Vec<u8> = a.bytes().collect();
        let mut y: Vec<u8> = s.bytes().collect();
        x.sort_unstable();
        y.sort_unstable();
        assert_eq!(x, y);
        // Different seeds spread over the text.
        let distinct: std::collections::BTreeSet<String> = (0..20)
            .map(|i| typo(s, &format!("t.{i:03}")).unwrap())
            .collect();
        assert!(distinct.len() > 3);
        assert_eq!(typo("It is ok.", "x"), None);
    }

    #[test]
    fn punctuation_variants() {
        assert_eq!(
            punctuation("Lift the limits, now."),
            vec![
                "Lift the limits, now",
                "Lift the limits, now!",
                "Lift the limits now."
            ]
        );
        assert_eq!(punctuation("“Do it.”"), vec!["“Do it”", "“Do it!”"]);
    }

    #[test]
    fn swap_sentences_swaps_two_sentences() {
        assert_eq!(
            swap_sentences("Let Ukraine strike Russia. It is self-defence.").as_deref(),
            Some("It is self-defence. Let Ukraine strike Russia.")
        );
        assert_eq!(swap_sentences("One sentence only."), None);
    }

    #[test]
    fn hedge_softens_the_modal() {
        assert_eq!(
            hedge("Ukraine must be allowed to strike.").as_deref(),
            Some("Ukraine might perhaps be allowed to strike.")
        );
        assert_eq!(hedge("Nothing here."), None);
    }

    #[test]
    fn names_round_trip() {
        for (n, p) in Perturbation::ALL {
            assert_eq!(Perturbation::from_name(n), Some(p));
            assert_eq!(p.name(), n);
        }
    }
}
