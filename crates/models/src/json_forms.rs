//! How model files write what JSON cannot hold: `-inf` log-probabilities as `null`, maps with non-string keys as
//! lists of pairs. Leaf helpers for `#[serde(with = …)]`, used by the fitted models that need them.

/// `#[serde(with = …)]` for a map whose keys are not strings: a list of `[key, value]` pairs (JSON keys are strings).
pub(crate) mod map_as_pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub(crate) fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// `#[serde(with = …)]` for log-probabilities that may be `-inf` (a class absent from training): `null` stands for
/// `-inf`, since JSON has no infinities.
pub(crate) mod neg_inf_as_null {
    use ndarray::Array1;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| (x != f64::NEG_INFINITY).then_some(x)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array1<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NEG_INFINITY))
            .collect())
    }
}
