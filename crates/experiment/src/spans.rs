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

/// Keys that select a variant of a tagged table (`type = "logistic"`, `source = "csv"`). Leaving one out changes
/// any error inside its table (to "missing field"), so [`schema_culprit`] tries them last, and blames one only for
/// an unknown variant.
const TAG_KEYS: &[&str] = &["type", "source"];

/// How many children of one table or array [`schema_culprit`] tries before it settles for the table itself: the
/// search re-reads the whole document once per child, and a hostile file can hold a list of any length.
const MAX_CHILDREN_TRIED: usize = 256;

/// One step of a key path.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn path_text(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn child<'v>(v: &'v toml::Value, step: &Step) -> Option<&'v toml::Value> {
    match (v, step) {
        (toml::Value::Table(t), Step::Key(k)) => t.get(k),
        (toml::Value::Array(a), Step::Index(i)) => a.get(*i),
        _ => None,
    }
}

/// `doc` with the value at `steps` removed.
fn without(doc: &toml::Value, steps: &[Step]) -> toml::Value {
    let mut out = doc.clone();
    let (last, parents) = steps.split_last().expect("a path to remove");
    let mut at = &mut out;
    for s in parents {
        at = match (at, s) {
            (toml::Value::Table(t), Step::Key(k)) => t.get_mut(k).expect("path exists"),
            (toml::Value::Array(a), Step::Index(i)) => a.get_mut(*i).expect("path exists"),
            _ => unreachable!("the path was walked on this document"),
        };
    }
    match (at, last) {
        (toml::Value::Table(t), Step::Key(k)) => {
            t.remove(k);
        }
        (toml::Value::Array(a), Step::Index(i)) => {
            a.remove(*i);
        }
        _ => unreachable!("the path was walked on this document"),
    }
    out
}

/// The key path of the value a schema error is about (`data.unit`, `classifiers[1].alpha`,
/// `features[0].extractors[1].bogus`), or `None` when the error belongs to no single value (a missing field) or the
/// text is not TOML.
///
/// serde reads a tagged table (`[data]`, each `[[classifiers]]` block, each extractor) whole before it knows its
/// type, so the parser's span for an error inside one covers the table, or for an array of tables the first
/// block: the line of a header, not of the key. This finds the key by asking the schema itself, through `fails`
/// (the error message the schema gives a document, `None` when it accepts it): walking down from the root, the
/// culprit child is the first whose removal changes the error (serde's derived readers stop at the first bad value
/// and check for missing fields only at the end, so removing any other child leaves the error as it was). It knows
/// nothing of the schema's sections, so every table and array of tables, present or added later, is located alike.
pub(crate) fn schema_culprit(
    text: &str,
    fails: impl Fn(toml::Value) -> Option<String>,
) -> Option<String> {
    let doc = toml::Value::Table(toml::from_str::<toml::Table>(text).ok()?);
    let original = fails(doc.clone())?;
    let unknown_variant = original.starts_with("unknown variant");
    let mut steps: Vec<Step> = Vec::new();
    let mut here = &doc;
    loop {
        let mut children: Vec<Step> = match here {
            toml::Value::Table(t) => {
                let (tags, keys): (Vec<&String>, Vec<&String>) =
                    t.keys().partition(|k| TAG_KEYS.contains(&k.as_str()));
                let tags = tags.into_iter().filter(|_| unknown_variant);
                keys.into_iter()
                    .chain(tags)
                    .map(|k| Step::Key(k.clone()))
                    .collect()
            }
            toml::Value::Array(a) => (0..a.len()).map(Step::Index).collect(),
            _ => break,
        };
        children.truncate(MAX_CHILDREN_TRIED);
        let found = children.into_iter().find(|c| {
            let mut trial = steps.clone();
            trial.push(c.clone());
            fails(without(&doc, &trial)).as_deref() != Some(original.as_str())
        });
        let Some(c) = found else {
            break;
        };
        here = child(here, &c).expect("a child of this value");
        steps.push(c);
    }
    (!steps.is_empty()).then(|| path_text(&steps))
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
