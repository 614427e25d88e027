//! Every way a model folder can be wrong gives its own error variant, naming the file and the field or tensor.

use crate::common;

use std::error::Error as _;
use std::path::Path;

use common::Tiny;
use stance_embed::{EmbedError, SentenceEncoder};

fn folder() -> (tempfile::TempDir, Tiny) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tiny::default();
    t.write(dir.path());
    (dir, t)
}

fn load_err(dir: &Path) -> EmbedError {
    SentenceEncoder::load(dir).expect_err("the folder must be refused")
}

fn set_config(dir: &Path, key: &str, value: serde_json::Value) {
    let mut c = common::config_json();
    c[key] = value;
    std::fs::write(dir.join("config.json"), c.to_string()).unwrap();
}

#[test]
fn missing_files_are_named() {
    for name in [
        "modules.json",
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "1_Pooling/config.json",
        "sentence_bert_config.json",
    ] {
        let (dir, _) = folder();
        std::fs::remove_file(dir.path().join(name)).unwrap();
        let e = load_err(dir.path());
        assert!(
            matches!(&e, EmbedError::MissingFile { path, .. } if path.ends_with(name)),
            "{name}: {e:?}"
        );
        assert!(e.to_string().contains(name), "{e}");
    }
}

#[test]
fn unparsable_json_keeps_the_parser_error_as_source_only() {
    let (dir, _) = folder();
    std::fs::write(dir.path().join("config.json"), "{\"model_type\": \"bert\",").unwrap();
    let e = load_err(dir.path());
    assert!(matches!(e, EmbedError::Json { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("config.json"), "{msg}");
    let src = e
        .source()
        .expect("the serde_json error is the source")
        .to_string();
    assert!(
        !msg.contains(&src),
        "message {msg:?} repeats its source {src:?}"
    );
    assert!(e
        .source()
        .unwrap()
        .downcast_ref::<serde_json::Error>()
        .is_some());
}

#[test]
fn unsupported_model_type_is_refused_by_name() {
    let (dir, _) = folder();
    set_config(dir.path(), "model_type", "xlm-roberta".into());
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::Unsupported { field, .. } if field == "model_type"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.ends_with("config.json: model_type \"xlm-roberta\" is not supported (only \"bert\")"),
        "{msg}"
    );
}

#[test]
fn unsupported_activation_is_refused_by_name() {
    let (dir, _) = folder();
    set_config(dir.path(), "hidden_act", "relu".into());
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::Unsupported { field, .. } if field == "hidden_act"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("config.json: hidden_act \"relu\""),
        "{e}"
    );
}

#[test]
fn a_missing_config_field_is_named() {
    let (dir, _) = folder();
    let mut c = common::config_json();
    c.as_object_mut().unwrap().remove("num_hidden_layers");
    std::fs::write(dir.path().join("config.json"), c.to_string()).unwrap();
    let e = load_err(dir.path());
    assert!(
        matches!(
            e,
            EmbedError::MissingField {
                field: "num_hidden_layers",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("config.json: field `num_hidden_layers` is missing"),
        "{e}"
    );
}

#[test]
fn wrong_tensor_shape_names_tensor_and_both_shapes() {
    let (dir, mut t) = folder();
    let name = "encoder.layer.1.intermediate.dense.weight";
    t.weights
        .insert(name.into(), (vec![41, 16], vec![0.0; 41 * 16]));
    std::fs::write(
        dir.path().join("model.safetensors"),
        common::safetensors_bytes(&t.weights, "", &[]),
    )
    .unwrap();
    let e = load_err(dir.path());
    match &e {
        EmbedError::TensorShape {
            tensor,
            expected,
            found,
            ..
        } => {
            assert_eq!(
                (tensor.as_str(), expected.as_slice(), found.as_slice()),
                (name, &[40, 16][..], &[41, 16][..])
            )
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("model.safetensors") && msg.contains(name) && msg.contains("[41, 16]"),
        "{msg}"
    );
}

#[test]
fn missing_tensor_is_named() {
    let (dir, mut t) = folder();
    t.weights.remove("encoder.layer.0.attention.self.key.bias");
    std::fs::write(
        dir.path().join("model.safetensors"),
        common::safetensors_bytes(&t.weights, "", &[]),
    )
    .unwrap();
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::MissingTensor { tensor, .. } if tensor == "encoder.layer.0.attention.self.key.bias"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("model.safetensors: tensor `encoder.layer.0.attention.self.key.bias`"),
        "{e}"
    );
}

#[test]
fn wrong_dtype_is_named() {
    let (dir, t) = folder();
    let name = "embeddings.LayerNorm.weight";
    std::fs::write(
        dir.path().join("model.safetensors"),
        common::safetensors_bytes(&t.weights, "", &[name]),
    )
    .unwrap();
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::TensorDtype { tensor, found, .. } if tensor == name && found == "F64"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("model.safetensors") && e.to_string().contains(name),
        "{e}"
    );
}

#[test]
fn truncated_or_damaged_safetensors_is_refused() {
    let (dir, _) = folder();
    let path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    for damaged in [
        bytes[..bytes.len() / 2].to_vec(),
        bytes[..5].to_vec(),
        Vec::new(),
        [&u64::MAX.to_le_bytes()[..], &bytes[8..]].concat(),
        [&bytes[..8], &b"{not json"[..], &bytes[17..]].concat(),
    ] {
        std::fs::write(&path, &damaged).unwrap();
        let e = load_err(dir.path());
        assert!(matches!(e, EmbedError::Safetensors { .. }), "{e:?}");
        assert!(e.to_string().contains("model.safetensors"), "{e}");
        assert!(e.source().is_some());
    }
}

#[test]
fn a_tokenizer_json_that_does_not_load_is_refused() {
    for bad in [
        "{\"version\": \"1.0\", \"model\": {\"type\": \"NoSuchModel\"}}",
        "not json at all",
        "",
    ] {
        let (dir, _) = folder();
        std::fs::write(dir.path().join("tokenizer.json"), bad).unwrap();
        let e = load_err(dir.path());
        assert!(matches!(e, EmbedError::Tokenizer { .. }), "{e:?}");
        assert!(e.to_string().contains("tokenizer.json"), "{e}");
        assert!(e.source().is_some());
    }
}

#[test]
fn unsupported_modules_and_pooling_are_refused() {
    let (dir, _) = folder();
    let modules = serde_json::json!([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
    ]);
    std::fs::write(dir.path().join("modules.json"), modules.to_string()).unwrap();
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::Unsupported { field, .. } if field == "type"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("modules.json") && e.to_string().contains("Dense"),
        "{e}"
    );

    let (dir, _) = folder();
    let pooling = serde_json::json!({"word_embedding_dimension": 16, "pooling_mode_weightedmean_tokens": true});
    std::fs::write(
        dir.path().join("1_Pooling/config.json"),
        pooling.to_string(),
    )
    .unwrap();
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::Unsupported { field, .. } if field == "pooling_mode_weightedmean_tokens")
    );
    assert!(e.to_string().contains("1_Pooling/config.json"), "{e}");
}

#[test]
fn max_seq_length_beyond_the_position_table_is_refused() {
    let (dir, _) = folder();
    std::fs::write(
        dir.path().join("sentence_bert_config.json"),
        "{\"max_seq_length\": 17}",
    )
    .unwrap();
    let e = load_err(dir.path());
    assert!(
        matches!(&e, EmbedError::InvalidField { field, .. } if field == "max_seq_length"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("sentence_bert_config.json") && e.to_string().contains("17"),
        "{e}"
    );
}
