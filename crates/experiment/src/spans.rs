//! Where each value of an experiment file starts, read from the TOML parser's spans.
//!
//! serde's `Spanned<T>` only reports the span of a value it also deserializes, and fails outright on values the
//! parser kept no span for (implicit tables). So this walks the document generically, asking toml for the span of
//! every value through the same private struct name `Spanned` uses, and records each by its key path
//! (`evaluation.k`, `features[1].name`, `learning_curve.fractions[2]`).

use crate::ConfigError;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

// The names toml 0.8 (through serde_spanned 0.6) recognises as a request for a value's span.
pub(crate) const NAME: &str = "$__serde_spanned_private_Spanned";
pub(crate) const START: &str = "$__serde_spanned_private_start";
pub(crate) const END: &str = "$__serde_spanned_private_end";
pub(crate) const VALUE: &str = "$__serde_spanned_private_value";
pub(crate) const FIELDS: &[&str] = &[START, END, VALUE];

/// Byte offset of every value's start, by key path.
pub(super) fn value_starts(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    // A parse error here was already reported by the schema step; whatever was recorded is still usable.
    let _ = Located {
        path: String::new(),
        out: &mut out,
    }
    .deserialize(toml::Deserializer::new(text));
    out
}

/// A value whose span is asked for, then recorded under `path`.
pub(crate) struct Located<'o> {
    path: String,
    out: &'o mut BTreeMap<String, usize>,
}

/// A value's content: tables and arrays recurse, scalars end the walk.
pub(crate) struct Content<'o> {
    path: String,
    out: &'o mut BTreeMap<String, usize>,
}

impl<'de> DeserializeSeed<'de> for Located<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_struct(NAME, FIELDS, self)
    }
}

impl<'de> DeserializeSeed<'de> for Content<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Located<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }
    // No span kept for this value: toml hands over the content itself.
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Content {
            path: self.path,
            out: self.out,
        }
        .visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(());
        };
        if first != START {
            return Content {
                path: self.path,
                out: self.out,
            }
            .rest_of_table(first, map);
        }
        let start: usize = map.next_value()?;
        self.out.insert(self.path.clone(), start);
        while let Some(key) = map.next_key::<String>()? {
            if key == VALUE {
                map.next_value_seed(Content {
                    path: self.path.clone(),
                    out: &mut *self.out,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Content<'_> {
    fn child(&mut self, key: &str) -> Located<'_> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        Located {
            path,
            out: &mut *self.out,
        }
    }

    fn rest_of_table<A: MapAccess<'de>>(
        mut self,
        first: String,
        mut map: A,
    ) -> Result<(), A::Error> {
        map.next_value_seed(self.child(&first))?;
        while let Some(key) = map.next_key::<String>()? {
            map.next_value_seed(self.child(&key))?;
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for Content<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(Located {
                path: format!("{}[{i}]", self.path),
                out: &mut *self.out,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match map.next_key::<String>()? {
            Some(first) => self.rest_of_table(first, map),
            None => Ok(()),
        }
    }
}

/// Turns a key path into the `file:line` of its value, from the spans the TOML parser recorded.
pub(crate) struct Locator<'a> {
    pub(crate) origin: String,
    pub(crate) text: &'a str,
    pub(crate) starts: BTreeMap<String, usize>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(origin: String, text: &'a str) -> Locator<'a> {
        Locator {
            origin,
            text,
            starts: value_starts(text),
        }
    }

    /// The line of the first of `paths` that the file spells out (later ones are fallbacks, e.g. the enclosing
    /// table when a key was left to its default).
    pub(crate) fn line(&self, paths: &[&str]) -> Option<u64> {
        paths
            .iter()
            .find_map(|p| self.starts.get(*p))
            .map(|off| stance_core::diag::line_of_offset(self.text, *off))
    }

    /// A value error located at the first of `paths` present.
    pub(crate) fn invalid(&self, paths: &[&str], message: String) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin.clone(),
            line: self.line(paths),
            message,
        }
    }
}
