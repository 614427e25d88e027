//! Reading the JSON files of a sentence-transformers folder.
//!
//! The files are read as untyped JSON and each field is taken out by hand rather than through derived structs:
//! that way a wrong or missing field is reported by its own name and file, which a derived deserialiser would
//! fold into one generic parse error.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::EmbedError;

/// How token vectors are combined into one sentence vector, as `1_Pooling/config.json` declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pooling {
    /// Average of the token vectors (`pooling_mode_mean_tokens`).
    Mean,
    /// The vector of the first token, `[CLS]` (`pooling_mode_cls_token`; BGE models).
    Cls,
    /// Element-wise maximum over the tokens (`pooling_mode_max_tokens`).
    Max,
    /// Sum of the token vectors divided by the square root of their number (`pooling_mode_mean_sqrt_len_tokens`).
    MeanSqrtLen,
}

impl Pooling {
    /// The name sentence-transformers uses for the mode.
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::Max => "max",
            Pooling::MeanSqrtLen => "mean_sqrt_len_tokens",
        }
    }
}

/// The BERT hyper-parameters read from config.json.
#[derive(Debug, Clone)]
pub(crate) struct BertConfig {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub layer_norm_eps: f32,
}

/// The pipeline that modules.json declares.
#[derive(Debug, Clone)]
pub(crate) struct Modules {
    /// Folder of the Transformer module's files (config.json, model.safetensors, tokenizer.json, ...).
    pub transformer_dir: PathBuf,
    /// Folder of the Pooling module (holds its config.json).
    pub pooling_dir: PathBuf,
    /// Relative name of the pooling config, as used in the fingerprint.
    pub pooling_config_name: String,
    pub normalize: bool,
}

/// What sentence_bert_config.json says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SbertConfig {
    pub max_seq_length: Option<usize>,
    pub do_lower_case: bool,
}

/// Reads a file, telling a missing one (with what it is for) from one that cannot be read.
pub(crate) fn read_file(path: &Path, hint: &'static str) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            EmbedError::MissingFile {
                path: path.to_path_buf(),
                hint,
            }
        } else {
            EmbedError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

pub(crate) fn parse_json(path: &Path, bytes: &[u8]) -> Result<Value, EmbedError> {
    serde_json::from_slice(bytes).map_err(|source| EmbedError::Json {
        path: path.to_path_buf(),
        source,
    })
}

fn invalid(path: &Path, field: &str, reason: impl Into<String>) -> EmbedError {
    EmbedError::InvalidField {
        path: path.to_path_buf(),
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn field<'a>(
    path: &Path,
    v: &'a Value,
    name: &'static str,
    hint: &'static str,
) -> Result<&'a Value, EmbedError> {
    match v.get(name) {
        Some(Value::Null) | None => Err(EmbedError::MissingField {
            path: path.to_path_buf(),
            field: name,
            hint,
        }),
        Some(x) => Ok(x),
    }
}

fn positive(path: &Path, v: &Value, name: &'static str) -> Result<usize, EmbedError> {
    let x = field(path, v, name, "config.json of a BERT model always has it")?;
    match x.as_u64() {
        Some(n) if n > 0 && n <= (1 << 31) => Ok(n as usize),
        _ => Err(invalid(
            path,
            name,
            format!("expected a positive integer, found {x}"),
        )),
    }
}

fn string<'a>(
    path: &Path,
    v: &'a Value,
    name: &'static str,
    hint: &'static str,
) -> Result<&'a str, EmbedError> {
    let x = field(path, v, name, hint)?;
    x.as_str()
        .ok_or_else(|| invalid(path, name, format!("expected a string, found {x}")))
}

/// Reads config.json and refuses anything but a plain BERT encoder with absolute positions and erf GELU.
pub(crate) fn bert_config(path: &Path, bytes: &[u8]) -> Result<BertConfig, EmbedError> {
    let v = parse_json(path, bytes)?;
    if !v.is_object() {
        return Err(invalid(path, "(top level)", "expected a JSON object"));
    }
    let model_type = string(
        path,
        &v,
        "model_type",
        "config.json of a transformers model always has it",
    )?;
    if model_type != "bert" {
        return Err(EmbedError::Unsupported {
            path: path.to_path_buf(),
            field: "model_type".into(),
            value: format!("{model_type:?}"),
            supported: "only \"bert\"".into(),
        });
    }
    // transformers defaults hidden_act to "gelu" for BERT, so its absence is not an error.
    if let Some(act) = v.get("hidden_act").filter(|a| !a.is_null()) {
        if act.as_str() != Some("gelu") {
            return Err(EmbedError::Unsupported {
                path: path.to_path_buf(),
                field: "hidden_act".into(),
                value: act.to_string(),
                supported: "only \"gelu\", the exact erf GELU".into(),
            });
        }
    }
    if let Some(pos) = v.get("position_embedding_type").filter(|a| !a.is_null()) {
        if pos.as_str() != Some("absolute") {
            return Err(EmbedError::Unsupported {
                path: path.to_path_buf(),
                field: "position_embedding_type".into(),
                value: pos.to_string(),
                supported: "only \"absolute\"".into(),
            });
        }
    }
    let hidden = positive(path, &v, "hidden_size")?;
    let heads = positive(path, &v, "num_attention_heads")?;
    if hidden % heads != 0 {
        return Err(invalid(
            path,
            "num_attention_heads",
            format!("{heads} does not divide hidden_size {hidden}"),
        ));
    }
    let eps = match v.get("layer_norm_eps") {
        None | Some(Value::Null) => 1e-12,
        Some(x) => match x.as_f64() {
            Some(e) if e > 0.0 && e < 1.0 => e,
            _ => {
                return Err(invalid(
                    path,
                    "layer_norm_eps",
                    format!("expected a small positive number, found {x}"),
                ))
            }
        },
    };
    let type_vocab = match v.get("type_vocab_size") {
        None | Some(Value::Null) => 2,
        Some(_) => positive(path, &v, "type_vocab_size")?,
    };
    Ok(BertConfig {
        hidden,
        layers: positive(path, &v, "num_hidden_layers")?,
        heads,
        intermediate: positive(path, &v, "intermediate_size")?,
        vocab: positive(path, &v, "vocab_size")?,
        max_positions: positive(path, &v, "max_position_embeddings")?,
        type_vocab,
        // PyTorch keeps the eps of LayerNorm as a Python float but adds it to an f32 variance, so it acts as f32.
        layer_norm_eps: eps as f32,
    })
}

/// The module types sentence-transformers has used for the three modules this crate implements; the class moved
/// between packages across versions, so only the final component is compared.
fn module_kind(ty: &str) -> Option<&str> {
    if !ty.starts_with("sentence_transformers.") {
        return None;
    }
    ty.rsplit('.').next()
}

/// Reads modules.json: exactly one Transformer, then one Pooling, then optionally Normalize.
pub(crate) fn modules(folder: &Path, path: &Path, bytes: &[u8]) -> Result<Modules, EmbedError> {
    let v = parse_json(path, bytes)?;
    let list = v
        .as_array()
        .ok_or_else(|| invalid(path, "(top level)", "expected a JSON array of modules"))?;
    let mut transformer = None;
    let mut pooling = None;
    let mut normalize = false;
    for (i, m) in list.iter().enumerate() {
        let ty = string(path, m, "type", "every module entry names its class")?;
        let rel = match m.get("path") {
            None | Some(Value::Null) => "",
            Some(p) => p
                .as_str()
                .ok_or_else(|| invalid(path, "path", format!("module #{i}: expected a string")))?,
        };
        if rel.contains("..") || Path::new(rel).is_absolute() {
            return Err(invalid(
                path,
                "path",
                format!("module #{i}: {rel:?} leaves the model folder"),
            ));
        }
        let unsupported = || EmbedError::Unsupported {
            path: path.to_path_buf(),
            field: "type".into(),
            value: format!("{ty:?}"),
            supported: "only Transformer, Pooling and Normalize modules, in that order".into(),
        };
        match module_kind(ty) {
            Some("Transformer") if transformer.is_none() && pooling.is_none() => {
                transformer = Some(rel.to_string())
            }
            Some("Pooling") if transformer.is_some() && pooling.is_none() => {
                pooling = Some(rel.to_string())
            }
            Some("Normalize") if pooling.is_some() && !normalize => normalize = true,
            _ => return Err(unsupported()),
        }
    }
    let transformer = transformer.ok_or(EmbedError::MissingField {
        path: path.to_path_buf(),
        field: "type",
        hint: "no sentence_transformers.models.Transformer module is listed",
    })?;
    let pooling = pooling.ok_or(EmbedError::MissingField {
        path: path.to_path_buf(),
        field: "type",
        hint: "no sentence_transformers.models.Pooling module is listed",
    })?;
    let pooling_config_name = if pooling.is_empty() {
        "config.json".to_string()
    } else {
        format!("{pooling}/config.json")
    };
    Ok(Modules {
        transformer_dir: folder.join(&transformer),
        pooling_dir: folder.join(&pooling),
        pooling_config_name,
        normalize,
    })
}

/// Reads the pooling config: one mode, given either as the older boolean flags or the newer `pooling_mode` string.
pub(crate) fn pooling(path: &Path, bytes: &[u8], hidden: usize) -> Result<Pooling, EmbedError> {
    let v = parse_json(path, bytes)?;
    if !v.is_object() {
        return Err(invalid(path, "(top level)", "expected a JSON object"));
    }
    if let Some(d) = v.get("word_embedding_dimension").filter(|d| !d.is_null()) {
        if d.as_u64() != Some(hidden as u64) {
            return Err(invalid(
                path,
                "word_embedding_dimension",
                format!("{d} differs from hidden_size {hidden} in config.json"),
            ));
        }
    }
    if v.get("include_prompt").and_then(Value::as_bool) == Some(false) {
        return Err(EmbedError::Unsupported {
            path: path.to_path_buf(),
            field: "include_prompt".into(),
            value: "false".into(),
            supported: "only true: this crate adds no prompts".into(),
        });
    }
    if let Some(mode) = v.get("pooling_mode").filter(|m| !m.is_null()) {
        return match mode.as_str() {
            Some("mean") => Ok(Pooling::Mean),
            Some("cls") => Ok(Pooling::Cls),
            Some("max") => Ok(Pooling::Max),
            Some("mean_sqrt_len_tokens") => Ok(Pooling::MeanSqrtLen),
            _ => Err(EmbedError::Unsupported {
                path: path.to_path_buf(),
                field: "pooling_mode".into(),
                value: mode.to_string(),
                supported: "only \"mean\", \"cls\", \"max\" and \"mean_sqrt_len_tokens\"".into(),
            }),
        };
    }
    let flags = [
        ("pooling_mode_cls_token", Some(Pooling::Cls)),
        ("pooling_mode_mean_tokens", Some(Pooling::Mean)),
        ("pooling_mode_max_tokens", Some(Pooling::Max)),
        (
            "pooling_mode_mean_sqrt_len_tokens",
            Some(Pooling::MeanSqrtLen),
        ),
        ("pooling_mode_weightedmean_tokens", None),
        ("pooling_mode_lasttoken", None),
    ];
    let mut chosen = Vec::new();
    for (name, mode) in flags {
        match v.get(name) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => chosen.push((name, mode)),
            Some(x) => {
                return Err(invalid(
                    path,
                    name,
                    format!("expected true or false, found {x}"),
                ))
            }
        }
    }
    match chosen.as_slice() {
        [(_, Some(mode))] => Ok(*mode),
        [(name, None)] => Err(EmbedError::Unsupported {
            path: path.to_path_buf(),
            field: (*name).into(),
            value: "true".into(),
            supported: "only mean, cls, max and mean_sqrt_len_tokens pooling".into(),
        }),
        [] => Err(EmbedError::MissingField {
            path: path.to_path_buf(),
            field: "pooling_mode_mean_tokens",
            hint: "no pooling mode is set to true",
        }),
        _ => Err(EmbedError::Unsupported {
            path: path.to_path_buf(),
            field: "pooling_mode_*".into(),
            value: chosen
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" + "),
            supported: "only one pooling mode at a time".into(),
        }),
    }
}

pub(crate) fn sbert_config(path: &Path, bytes: &[u8]) -> Result<SbertConfig, EmbedError> {
    let v = parse_json(path, bytes)?;
    if !v.is_object() {
        return Err(invalid(path, "(top level)", "expected a JSON object"));
    }
    let max_seq_length = match v.get("max_seq_length") {
        None | Some(Value::Null) => None,
        Some(x) => match x.as_u64() {
            Some(n) if (2..=(1 << 20)).contains(&n) => Some(n as usize),
            _ => {
                return Err(invalid(
                    path,
                    "max_seq_length",
                    format!("expected an integer >= 2, found {x}"),
                ))
            }
        },
    };
    let do_lower_case = match v.get("do_lower_case") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(x) => {
            return Err(invalid(
                path,
                "do_lower_case",
                format!("expected true or false, found {x}"),
            ))
        }
    };
    Ok(SbertConfig {
        max_seq_length,
        do_lower_case,
    })
}
