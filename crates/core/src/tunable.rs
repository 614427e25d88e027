//! A parameter that an experiment gives either as one value or as a list of values to tune over
//! (`alpha = 1.0` or `alpha = [0.01, 0.1, 1, 10]`).
//!
//! One value serializes exactly as before (a plain number), so untuned experiments, and reports written before
//! tuning existed, read and write unchanged. How a list is tuned (nested cross-validation) is described in
//! `stance_eval::tune`.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};

/// The most candidates one configuration may tune over: the product of the lengths of every list of its feature
/// set and its classifier. Each candidate is fitted on every inner fold of every outer fold, so the bound is one
/// bound on the work tuning adds, whichever lists make it up.
pub const MAX_GRID: usize = 100;

/// The number of candidates lists of these lengths make (their product), or `None` above `usize::MAX`: a file
/// can list more values than any product fits in, and a wrapped product would pass the bound.
pub fn candidates(lengths: impl IntoIterator<Item = usize>) -> Option<usize> {
    lengths.into_iter().try_fold(1usize, usize::checked_mul)
}

/// One parameter given as a list: its name and its values as written in reports and configuration ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamGrid {
    /// The parameter (`alpha`, `ngram`, or `word-ngrams#1.ngram` when several extractors of a set list values).
    pub param: String,
    /// Its values, in the order listed.
    pub values: Vec<String>,
}

/// The grids as a configuration id shows them: `alpha∈{0.01,0.1,1}, ngram∈{[1,1],[1,2]}`.
pub fn describe(grids: &[ParamGrid]) -> String {
    grids
        .iter()
        .map(|g| format!("{}∈{{{}}}", g.param, g.values.join(",")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One value, or a grid of candidate values tuned by nested cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Tunable<T> {
    /// A fixed value.
    One(T),
    /// Candidate values, in the order declared (ties in tuning go to the earlier one).
    Grid(Vec<T>),
}

impl<T: Default> Default for Tunable<T> {
    fn default() -> Self {
        Tunable::One(T::default())
    }
}

impl<T> From<T> for Tunable<T> {
    fn from(v: T) -> Self {
        Tunable::One(v)
    }
}

impl<T> Tunable<T> {
    /// Every candidate value (one for a fixed value).
    pub fn values(&self) -> &[T] {
        match self {
            Tunable::One(v) => std::slice::from_ref(v),
            Tunable::Grid(v) => v,
        }
    }

    /// The value a fitted model uses: the fixed value, or the first candidate of a grid. Tuning replaces every
    /// grid by the chosen value before anything is fitted, so a fit never meets a grid of more than one value.
    pub fn value(&self) -> &T {
        &self.values()[0]
    }

    /// Whether the parameter was given as a list (even a one-element list).
    pub fn is_grid(&self) -> bool {
        matches!(self, Tunable::Grid(_))
    }

    /// Checks every value with `ok` (which returns what is wrong); a list must be non-empty and hold no value
    /// twice. The error names the parameter (`alpha`, or `alpha[2]` for the third value of a list) and the
    /// problem.
    pub fn check_each(
        &self,
        param: &str,
        ok: impl Fn(&T) -> Result<(), String>,
    ) -> Result<(), (String, String)>
    where
        T: PartialEq + std::fmt::Debug,
    {
        match self {
            Tunable::One(v) => ok(v).map_err(|m| (param.to_string(), m)),
            Tunable::Grid(values) => {
                if values.is_empty() {
                    return Err((
                        param.to_string(),
                        "is an empty list; give one value, or a list of at least one value to tune over"
                            .into(),
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    ok(v).map_err(|m| (format!("{param}[{i}]"), m))?;
                    if values[..i].contains(v) {
                        return Err((
                            format!("{param}[{i}]"),
                            format!("lists {v:?} twice; give each value to tune over once"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// The same parameter fixed to its `i`-th candidate.
    pub fn pick(&self, i: usize) -> Tunable<T>
    where
        T: Clone,
    {
        Tunable::One(self.values()[i].clone())
    }
}

impl<T: Serialize> Serialize for Tunable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tunable::One(v) => v.serialize(s),
            Tunable::Grid(v) => v.serialize(s),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Tunable<T> {
    /// A value of `T` is a fixed value; otherwise a list of `T` is a grid. The value is buffered first (as JSON,
    /// which holds every TOML value used here and the `null` of a JSON report) because `[1, 2]` can be either a
    /// fixed `ngram` range or a grid of two values, depending on `T`. JSON has no `nan` or `inf` (they would
    /// become `null` and be reported as such), and no parameter takes one, so they are refused here, named as TOML
    /// writes them.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let buffered = d.deserialize_any(Buffer)?;
        match T::deserialize(&buffered) {
            Ok(v) => Ok(Tunable::One(v)),
            Err(one) => match &buffered {
                serde_json::Value::Array(_) => Vec::<T>::deserialize(&buffered)
                    .map(Tunable::Grid)
                    .map_err(|e| D::Error::custom(format!("{e} (in a list of values to tune)"))),
                _ => Err(D::Error::custom(one)),
            },
        }
    }
}

/// Buffers any value as JSON, refusing non-finite floats (see [`Tunable`]'s `Deserialize`).
struct Buffer;

impl<'de> serde::de::DeserializeSeed<'de> for Buffer {
    type Value = serde_json::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        d.deserialize_any(Buffer)
    }
}

impl<'de> serde::de::Visitor<'de> for Buffer {
    type Value = serde_json::Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value or a list of values")
    }
    fn visit_bool<E>(self, v: bool) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<serde_json::Value, E> {
        serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .ok_or_else(|| {
                E::custom(format!(
                    "{} is not a number a parameter can take; give a finite number",
                    crate::diag::number(v)
                ))
            })
    }
    fn visit_str<E>(self, v: &str) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        d.deserialize_any(Buffer)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<serde_json::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Buffer)? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<serde_json::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            out.insert(k, map.next_value_seed(Buffer)?);
        }
        Ok(serde_json::Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct P {
        alpha: Tunable<f64>,
        ngram: Tunable<[usize; 2]>,
        #[serde(default)]
        max: Tunable<Option<usize>>,
    }

    #[test]
    fn scalars_and_lists_parse_and_serialize_as_written() {
        let p: P = toml::from_str("alpha = 1\nngram = [1, 2]").unwrap();
        assert_eq!(p.alpha, Tunable::One(1.0));
        assert_eq!(p.ngram, Tunable::One([1, 2]));
        assert_eq!(p.max, Tunable::One(None));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"alpha":1.0,"ngram":[1,2],"max":null}"#
        );
        let back: P = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back.max, Tunable::One(None));
        let p: P =
            toml::from_str("alpha = [0.1, 1]\nngram = [[1, 1], [1, 2]]\nmax = [10, 20]").unwrap();
        assert_eq!(p.alpha, Tunable::Grid(vec![0.1, 1.0]));
        assert_eq!(p.ngram, Tunable::Grid(vec![[1, 1], [1, 2]]));
        assert_eq!(p.max, Tunable::Grid(vec![Some(10), Some(20)]));
        assert_eq!(p.alpha.value(), &0.1);
    }

    #[test]
    fn wrong_types_name_what_was_expected() {
        let err = toml::from_str::<P>("alpha = 'x'\nngram = [1, 2]").unwrap_err();
        assert!(err.to_string().contains("expected f64"), "{err}");
        let err = toml::from_str::<P>("alpha = [1, 'x']\nngram = [1, 2]").unwrap_err();
        assert!(err.to_string().contains("list of values to tune"), "{err}");
        // Named as written, never as the `null` a JSON buffer would make of them.
        for (text, shown) in [("nan", "nan"), ("-inf", "-inf"), ("[0.1, +inf]", "inf")] {
            let err = toml::from_str::<P>(&format!("alpha = {text}\nngram = [1, 2]")).unwrap_err();
            let err = err.to_string();
            assert!(err.contains(&format!("{shown} is not a number")), "{err}");
            assert!(!err.contains("null"), "{err}");
        }
    }
}
