//! CSV formula injection: a text field a spreadsheet would run as a formula is written so it stays text.
//!
//! Spreadsheets treat a cell starting with `=`, `+`, `-` or `@` (and, in some, tab or carriage return) as a
//! formula, so an id or label such as `=HYPERLINK(…)` copied from a user's data would execute when someone opens
//! `predictions.csv`. OWASP's remedy is to prefix such a field with `'`, which spreadsheets show as text.
//!
//! Only for text fields that come from users' data or configuration (ids, labels, configuration names). Numbers
//! the harness formats itself, such as `-0.5`, must not go through it: they would stop being numbers.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Returns `field` unchanged, or prefixed with `'` when it starts with one of [`FORMULA_TRIGGERS`].
pub fn neutralise(field: &str) -> Cow<'_, str> {
    match field.chars().next() {
        Some(c) if FORMULA_TRIGGERS.contains(&c) => Cow::Owned(format!("'{field}")),
        _ => Cow::Borrowed(field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_prefixed_and_plain_text_is_borrowed() {
        for (input, expected) in [
            ("=1+1", "'=1+1"),
            ("+cmd", "'+cmd"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ] {
            assert_eq!(neutralise(input), expected, "{input:?}");
        }
        for plain in [
            "",
            "support",
            "doc000.s01",
            "a=b",
            " =1",
            "'=1",
            "é=1",
            "1-2",
        ] {
            assert!(
                matches!(neutralise(plain), Cow::Borrowed(s) if s == plain),
                "{plain:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn never_starts_with_a_trigger_and_only_ever_adds_one_quote(s in any::<String>()) {
            let out = neutralise(&s);
            prop_assert!(!out.starts_with(FORMULA_TRIGGERS));
            if out.len() != s.len() {
                prop_assert_eq!(out.as_ref(), format!("'{s}"));
                prop_assert!(s.starts_with(FORMULA_TRIGGERS));
            } else {
                prop_assert_eq!(out.as_ref(), s.as_str());
            }
        }
    }
}
