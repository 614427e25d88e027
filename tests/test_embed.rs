//! Dense feature sets through the real binary: `encoder` (a sentence-transformers folder), `vectors` (computed
//! elsewhere), `word-vectors`, `gaussian-nb`, `stance embed`, the embedding cache, and every bad model folder or
//! vectors file refused with exit 2, the file named and nothing written.
//!
//! Most tests use a tiny random-weight BERT folder written by the test (`tiny_bert`, shared with the embed crate's
//! own tests), which loads and encodes in milliseconds; the tests marked `minilm` use the real all-MiniLM-L6-v2
//! beside the project (`../shared/models/`, on every machine and in CI) and say so when it is absent.

use std::fs;
use std::path::{Path, PathBuf};

use crate::tiny_bert::{random_weights, safetensors_bytes, Tiny, HIDDEN};
use crate::workdir::{repo, Workdir};

fn minilm() -> Option<PathBuf> {
    let p = repo().join("../shared/models/all-MiniLM-L6-v2");
    if p.join("model.safetensors").is_file() {
        Some(p.canonicalize().expect("resolvable"))
    } else {
        eprintln!(
            "NOTE: {} is absent; the MiniLM tests are skipped",
            p.display()
        );
        None
    }
}

/// The gold data's support/oppose sentence ids, in file order.
fn gold_ids() -> Vec<String> {
    let text = fs::read_to_string(repo().join("labels/gold.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| r.unwrap())
        .filter(|r| &r[4] == "sentence" && (&r[6] == "support" || &r[6] == "oppose"))
        .map(|r| r[0].to_string())
        .collect()
}

/// An experiment on the gold data with the given `[[features]]` and `[[classifiers]]` tables.
fn experiment(features: &str, classifiers: &[&str]) -> String {
    let mut s = String::from(
        "name = \"dense\"\nseed = 3\nbootstrap = 200\n[data]\nsource = \"gold\"\nseeds = \"seeds\"\n\
         labels = \"labels/gold.csv\"\nclasses = [\"support\", \"oppose\"]\n[evaluation]\n\
         scheme = \"stratified-kfold\"\nk = 3\nrepeats = 2\n",
    );
    s.push_str(features);
    for c in classifiers {
        s.push_str(&format!("[[classifiers]]\ntype = \"{c}\"\n"));
    }
    s
}

fn tiny_folder(wd: &Workdir, name: &str) -> PathBuf {
    let dir = wd.path().join(name);
    Tiny::default().write(&dir);
    dir
}

fn encoder_set(name: &str, model: &Path) -> String {
    format!(
        "[[features]]\nname = \"{name}\"\nextractors = [{{ type = \"encoder\", model = \"{}\" }}]\n",
        model.display()
    )
}

fn report_files(wd: &Workdir, dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for f in [
        "report.json",
        "report.md",
        "metrics.csv",
        "predictions.csv",
        "behaviour.csv",
        "charts/leaderboard.png",
    ] {
        out.push((f.to_string(), wd.read_bytes(&format!("{dir}/{f}"))));
    }
    out
}

#[test]
fn minilm_ranks_beside_sparse_sets_identically_for_any_thread_count_and_with_or_without_the_cache()
{
    let Some(model) = minilm() else { return };
    let wd = Workdir::with_repo_data();
    let features = encoder_set("minilm", &model)
        + "[[features]]\nname = \"words\"\nextractors = [{ type = \"word-ngrams\" }]\n";
    wd.write(
        "e.toml",
        experiment(&features, &["logistic", "gaussian-nb", "majority"]),
    );
    wd.run(&[
        "run", "e.toml", "--out", "a", "--cache", "cache", "--jobs", "1", "--quiet",
    ])
    .ok()
    .stdout_has("minilm + logistic")
    .stdout_has("minilm + gaussian-nb")
    .stdout_has("words + logistic");
    let report: serde_json::Value = serde_json::from_str(&wd.read("a/report.json")).unwrap();
    let inputs = report["inputs"].as_object().unwrap();
    let (key, sha) = inputs
        .iter()
        .find(|(k, _)| k.starts_with("encoder:"))
        .expect("the model folder is an input of the run");
    assert!(key.ends_with("all-MiniLM-L6-v2"), "{key}");
    assert_eq!(sha.as_str().unwrap().len(), 64);
    // The cache holds one entry per distinct text: the gold items and every behavioural case.
    let cached = walk(&wd.path().join("cache")).len();
    assert!(cached >= 11, "{cached} cache entries");
    wd.run(&[
        "run", "e.toml", "--out", "b", "--cache", "cache", "--jobs", "2", "--quiet",
    ])
    .ok();
    wd.run(&[
        "run",
        "e.toml",
        "--out",
        "c",
        "--no-cache",
        "--jobs",
        "2",
        "--quiet",
    ])
    .ok();
    assert_eq!(
        walk(&wd.path().join("cache")).len(),
        cached,
        "a second run encodes nothing new"
    );
    let a = report_files(&wd, "a");
    for other in ["b", "c"] {
        for ((name, x), (_, y)) in a.iter().zip(report_files(&wd, other)) {
            assert!(x == &y, "{other}/{name} differs from a/{name}");
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_damaged_cache_entry_is_ignored_and_rewritten() {
    let wd = Workdir::with_repo_data();
    let model = tiny_folder(&wd, "tiny");
    wd.write(
        "e.toml",
        experiment(&encoder_set("tiny", &model), &["logistic", "majority"]),
    );
    wd.run(&["run", "e.toml", "--out", "a", "--cache", "cache", "--quiet"])
        .ok();
    let entries = walk(&wd.path().join("cache"));
    assert!(!entries.is_empty());
    let sizes: Vec<u64> = entries
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .collect();
    for (i, p) in entries.iter().enumerate() {
        // Every kind of damage: cut short, emptied, one flipped byte.
        let mut bytes = fs::read(p).unwrap();
        match i % 3 {
            0 => bytes.truncate(bytes.len() / 2),
            1 => bytes.clear(),
            _ => {
                let last = bytes.len() - 1;
                bytes[last] ^= 0x55;
            }
        }
        fs::write(p, bytes).unwrap();
    }
    wd.run(&["run", "e.toml", "--out", "b", "--cache", "cache", "--quiet"])
        .ok();
    for ((name, x), (_, y)) in report_files(&wd, "a").iter().zip(report_files(&wd, "b")) {
        assert!(x == &y, "b/{name} differs after the cache was damaged");
    }
    let rewritten: Vec<u64> = entries
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .collect();
    assert_eq!(rewritten, sizes, "every damaged entry was written again");
}

/// The first `n` f32 values of a `.npy` file written by `stance embed`, and its shape.
fn read_npy_f32(bytes: &[u8]) -> ((usize, usize), Vec<f32>) {
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(header.contains("'descr': '<f4'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    assert_eq!(
        (10 + header_len) % 64,
        0,
        "numpy pads the header to 64 bytes"
    );
    let data: Vec<f32> = bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    ((dims[0], dims[1]), data)
}

#[test]
fn embed_writes_one_f32_row_per_text_in_order_the_same_bits_cached_or_not() {
    let wd = Workdir::new();
    let model = tiny_folder(&wd, "tiny");
    let m = model.to_str().unwrap();
    wd.run(&[
        "embed",
        "--model",
        m,
        "--no-cache",
        "--out",
        "a.npy",
        "war and peace",
        "",
        "nato",
    ])
    .ok()
    .stdout_has("3 texts");
    let ((n, d), a) = read_npy_f32(&wd.read_bytes("a.npy"));
    assert_eq!((n, d), (3, HIDDEN));
    // Normalised (the tiny folder lists Normalize), and the empty text is a real row ([CLS][SEP]).
    for r in a.chunks(d) {
        let norm: f32 = r.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }
    // The same texts one at a time, through the cache (written by the first call, read by the second).
    for (i, t) in ["war and peace", "", "nato"].iter().enumerate() {
        for _ in 0..2 {
            wd.run(&["embed", "--model", m, "--cache", "c", "--out", "one.npy", t])
                .ok();
            let (_, one) = read_npy_f32(&wd.read_bytes("one.npy"));
            assert_eq!(one, a[i * d..(i + 1) * d], "text {i}");
        }
    }
    // From a CSV column, in row order.
    wd.write("t.csv", "id,text\n1,nato\n2,war and peace\n");
    wd.run(&[
        "embed",
        "--model",
        m,
        "--no-cache",
        "--csv",
        "t.csv",
        "--text",
        "text",
        "--out",
        "b.npy",
    ])
    .ok();
    let (_, b) = read_npy_f32(&wd.read_bytes("b.npy"));
    assert_eq!(b[..d], a[2 * d..]);
    assert_eq!(b[d..], a[..d]);
    // The output must be a .npy file.
    wd.run(&["embed", "--model", m, "--out", "x.txt", "nato"])
        .code(2)
        .stderr_has("must end in .npy");
    assert!(!wd.path().join("x.txt").exists());
}

/// A tiny folder with one thing broken, the file that must be named, and what the message must say.
fn broken_folders(wd: &Workdir) -> Vec<(PathBuf, &'static str, &'static str)> {
    let mut out = Vec::new();
    let fresh = |name: &str| tiny_folder(wd, name);
    let d = fresh("no-config");
    fs::remove_file(d.join("config.json")).unwrap();
    out.push((d, "config.json", "config.json"));
    let d = fresh("xlm");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("config.json")).unwrap()).unwrap();
    cfg["model_type"] = "xlm-roberta".into();
    fs::write(d.join("config.json"), cfg.to_string()).unwrap();
    out.push((d, "config.json", "xlm-roberta"));
    let d = fresh("truncated");
    let bytes = fs::read(d.join("model.safetensors")).unwrap();
    fs::write(d.join("model.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    out.push((d, "model.safetensors", "model.safetensors"));
    let d = fresh("shape");
    let mut w = random_weights(42);
    let (shape, values) = w.get_mut("embeddings.word_embeddings.weight").unwrap();
    shape[1] += 1;
    values.extend(std::iter::repeat_n(0.0, shape[0]));
    fs::write(d.join("model.safetensors"), safetensors_bytes(&w, "", &[])).unwrap();
    out.push((d, "model.safetensors", "embeddings.word_embeddings.weight"));
    let d = fresh("tokenizer");
    fs::write(d.join("tokenizer.json"), "{\"model\": 1}").unwrap();
    out.push((d, "tokenizer.json", "tokenizer.json"));
    let d = wd.path().join("absent");
    out.push((d, "absent", "absent"));
    out
}

#[test]
fn every_broken_model_folder_is_refused_naming_the_file_and_nothing_is_written() {
    let wd = Workdir::with_repo_data();
    for (folder, file, says) in broken_folders(&wd) {
        let f = folder.to_str().unwrap();
        wd.run(&[
            "embed",
            "--model",
            f,
            "--no-cache",
            "--out",
            "e.npy",
            "nato",
        ])
        .code(2)
        .stderr_has(file)
        .stderr_has(says)
        .stderr_lacks("panicked");
        assert!(!wd.path().join("e.npy").exists(), "{f}");
        // In an experiment: refused at its file:line before anything runs.
        wd.write(
            "e.toml",
            experiment(&encoder_set("enc", &folder), &["logistic"]),
        );
        let text = wd.read("e.toml");
        let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let (name, list) = (line_of("name = \"enc\""), line_of("type = \"encoder\""));
        let run = wd.run(&["run", "e.toml", "--out", "r", "--no-cache", "--quiet"]);
        run.code(2).stderr_has(file).stderr_lacks("panicked");
        // The feature set's line (its extractor list's, once errors point inside a table's arrays).
        assert!(
            run.stderr().contains(&format!("e.toml:{list}:"))
                || run.stderr().contains(&format!("e.toml:{name}:")),
            "{}",
            run.stderr()
        );
        assert!(!wd.path().join("r").exists(), "{f}: nothing written");
    }
}

#[test]
fn a_saved_encoder_model_refers_to_its_folder_and_refuses_one_that_changed() {
    let wd = Workdir::with_repo_data();
    let model = tiny_folder(&wd, "tiny");
    wd.write(
        "e.toml",
        experiment(&encoder_set("tiny", &model), &["logistic", "majority"]),
    );
    wd.run(&[
        "train",
        "e.toml",
        "--config",
        "tiny + logistic",
        "--model",
        "m.json",
        "--no-cache",
    ])
    .ok();
    let file = wd.read("m.json");
    assert!(
        file.contains(&format!("{}", model.display())),
        "the folder is referenced"
    );
    assert!(
        !file.contains("word_embeddings"),
        "the weights are not copied"
    );
    let before = wd.run(&[
        "predict",
        "--model",
        "m.json",
        "--format",
        "csv",
        "--no-cache",
        "we must strike",
    ]);
    before.ok();
    // The same folder moved away: refused, naming it.
    fs::rename(&model, wd.path().join("moved")).unwrap();
    wd.run(&[
        "predict",
        "--model",
        "m.json",
        "--no-cache",
        "we must strike",
    ])
    .code(2)
    .stderr_has("tiny");
    // Back, but with other weights: refused, naming the folder and saying it changed.
    fs::rename(wd.path().join("moved"), &model).unwrap();
    fs::write(
        model.join("model.safetensors"),
        safetensors_bytes(&random_weights(7), "", &[]),
    )
    .unwrap();
    wd.run(&[
        "predict",
        "--model",
        "m.json",
        "--no-cache",
        "we must strike",
    ])
    .code(2)
    .stderr_has("files changed since the model was trained");
}

#[test]
fn multinomial_naive_bayes_on_embeddings_names_the_models_that_fit() {
    let wd = Workdir::with_repo_data();
    let model = tiny_folder(&wd, "tiny");
    wd.write(
        "e.toml",
        experiment(&encoder_set("tiny", &model), &["naive-bayes"]),
    );
    wd.run(&["run", "e.toml", "--out", "r", "--no-cache", "--quiet"])
        .code(2)
        .stderr_has("non-negative")
        .stderr_has("gaussian-nb");
    wd.write(
        "e.toml",
        experiment(&encoder_set("tiny", &model), &["gaussian-nb", "majority"]),
    );
    wd.run(&["run", "e.toml", "--out", "r", "--no-cache", "--quiet"])
        .ok()
        .stdout_has("tiny + gaussian-nb");
}

fn vectors_csv(ids: &[String], dim: usize) -> String {
    let mut s = String::from("id");
    for j in 0..dim {
        s.push_str(&format!(",v{j}"));
    }
    s.push('\n');
    for (i, id) in ids.iter().enumerate() {
        s.push_str(id);
        for j in 0..dim {
            s.push_str(&format!(",{}", ((i * 7 + j * 3) % 11) as f64 / 10.0 - 0.5));
        }
        s.push('\n');
    }
    s
}

const VECTORS_SET: &str =
    "[[features]]\nname = \"vec\"\nextractors = [{ type = \"vectors\", path = \"v.csv\" }]\n";

#[test]
fn vectors_computed_elsewhere_enter_a_run_and_every_bad_file_is_refused_at_its_line() {
    let wd = Workdir::with_repo_data();
    let ids = gold_ids();
    assert_eq!(ids.len(), 11);
    wd.write("v.csv", vectors_csv(&ids, 3));
    wd.write(
        "e.toml",
        experiment(VECTORS_SET, &["logistic", "gaussian-nb", "majority"]),
    );
    wd.run(&["run", "e.toml", "--out", "r", "--quiet"])
        .ok()
        .stdout_has("vec + logistic");
    let report: serde_json::Value = serde_json::from_str(&wd.read("r/report.json")).unwrap();
    assert!(report["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k == "vectors:v.csv"));
    // Vectors exist only for the data's items: the behavioural cases are skipped for the set, not guessed.
    let behaviour = wd.read("r/behaviour.csv");
    let vec_rows: Vec<&str> = behaviour
        .lines()
        .filter(|l| l.starts_with("vec + logistic,"))
        .collect();
    assert!(!vec_rows.is_empty());
    assert!(
        vec_rows.iter().all(|l| l.ends_with(",skipped")),
        "{vec_rows:?}"
    );

    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let good = vectors_csv(&ids, 3);
    let cases: Vec<(String, String)> = vec![
        // A missing id: the experiment's line, the file and the item.
        (
            good.lines()
                .filter(|l| !l.starts_with(&ids[4]))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
            format!("has no vector for item '{}'", ids[4]),
        ),
        // A duplicate id, at its line.
        (
            format!("{good}{},1,2,3\n", ids[0]),
            format!("v.csv:{}: item id '{}' appears twice", 13, ids[0]),
        ),
        // A wrong dimension, at its line.
        (
            good.replacen(&format!("{},", ids[2]), &format!("{},9,", ids[2]), 1),
            format!(
                "v.csv:{}: has 4 values where the header has 3",
                line_of(&good, &ids[2])
            ),
        ),
        // A non-finite value, at its line.
        (
            {
                let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
                lines[6] = format!("{},0.1,inf,0.2", ids[5]);
                lines.join("\n") + "\n"
            },
            format!("v.csv:7: item '{}' has a non-finite value inf", ids[5]),
        ),
        // A finite value the linear models could not read (beyond f32), at its line.
        (
            {
                let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
                lines[6] = format!("{},0.1,1e39,0.2", ids[5]);
                lines.join("\n") + "\n"
            },
            format!(
                "v.csv:7: item '{}' has the value 1e39 in dimension 1, beyond ±3.4e38",
                ids[5]
            ),
        ),
        // Not a number.
        (
            good.replacen(&format!("{},", ids[1]), &format!("{},x", ids[1]), 1),
            "v.csv:3: v0 = \"x".to_string(),
        ),
        // A header without an id column.
        (
            "key,v0\na,1\n".to_string(),
            "v.csv:1: the header must be `id,v0,v1,…`".to_string(),
        ),
    ];
    for (bytes, says) in cases {
        wd.write("v.csv", &bytes);
        wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
            .code(2)
            .stderr_has(&says)
            .stderr_lacks("panicked");
        assert!(!wd.path().join("bad").exists());
    }
    // A missing id names the experiment's line too (where the vectors are declared).
    let dropped = good
        .lines()
        .filter(|l| !l.starts_with(&ids[4]))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    wd.write("v.csv", dropped);
    let line = line_of(&wd.read("e.toml"), "extractors = [{ type = \"vectors\"");
    wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
        .code(2)
        .stderr_has(&format!("e.toml:{line}"));
    // A model trained on vectors cannot label new statements: refused, saying why.
    wd.write("v.csv", good);
    wd.run(&[
        "train",
        "e.toml",
        "--config",
        "vec + logistic",
        "--model",
        "m.json",
    ])
    .code(2)
    .stderr_has("exist only for the items they were computed for");
    assert!(!wd.path().join("m.json").exists());
}

#[test]
fn vectors_from_npy_need_their_ids_and_match_the_csv_form() {
    let wd = Workdir::with_repo_data();
    let ids = gold_ids();
    // A .npy of the same values as the CSV form: f64, 11 × 3.
    let csv = vectors_csv(&ids, 3);
    let values: Vec<f64> = csv
        .lines()
        .skip(1)
        .flat_map(|l| {
            l.split(',')
                .skip(1)
                .map(|v| v.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (11, 3), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    for v in values {
        npy.extend_from_slice(&v.to_le_bytes());
    }
    wd.write("v.npy", &npy);
    wd.write("v.ids", ids.join("\n") + "\n");
    wd.write("v.csv", &csv);
    let both = "[[features]]\nname = \"npy\"\nextractors = [{ type = \"vectors\", path = \"v.npy\", ids = \"v.ids\" }]\n"
        .to_string()
        + VECTORS_SET;
    wd.write("e.toml", experiment(&both, &["logistic"]));
    wd.run(&["run", "e.toml", "--out", "r", "--quiet"]).ok();
    let metrics = wd.read("r/metrics.csv");
    let row = |config: &str| -> Vec<String> {
        metrics
            .lines()
            .filter(|l| l.starts_with(config))
            .map(|l| l.splitn(3, ',').nth(2).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        row("npy + logistic"),
        row("vec + logistic"),
        "the same vectors give the same scores"
    );
    // Without ids, and with one id too few.
    wd.write(
        "e.toml",
        experiment(
            "[[features]]\nname = \"npy\"\nextractors = [{ type = \"vectors\", path = \"v.npy\" }]\n",
            &["logistic"],
        ),
    );
    wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
        .code(2)
        .stderr_has("v.npy: a .npy file needs `ids`");
    wd.write("v.ids", ids[..10].join("\n") + "\n");
    wd.write("e.toml", experiment(&both, &["logistic"]));
    wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
        .code(2)
        .stderr_has("v.ids: has 10 ids but");
    wd.write("v.npy", &npy[..npy.len() - 5]);
    wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
        .code(2)
        .stderr_has("v.npy");
    assert!(!wd.path().join("bad").exists());
}

#[test]
fn word_vectors_pool_static_vectors_and_a_bad_line_is_refused_at_it() {
    let wd = Workdir::with_repo_data();
    // fastText's header, then a word per line.
    let vec_file = "5 3\nukraine 0.1 0.2 0.3\nrussia -0.1 0.0 0.4\nweapons 0.5 -0.5 0.0\nmust 0.2 0.2 0.2\nnot -0.3 0.1 0.0\n";
    wd.write("w.vec", vec_file);
    for pooling in ["mean", "idf"] {
        wd.write(
            "e.toml",
            experiment(
                &format!(
                    "[[features]]\nname = \"wv\"\nextractors = [{{ type = \"word-vectors\", path = \"w.vec\", pooling = \"{pooling}\" }}]\n"
                ),
                &["logistic", "majority"],
            ),
        );
        wd.run(&["run", "e.toml", "--out", pooling, "--quiet"])
            .ok()
            .stdout_has("wv + logistic");
    }
    // Out-of-vocabulary words are counted in the report.
    assert!(
        wd.read("mean/report.md").contains("out of vocabulary"),
        "the report counts OOV words"
    );
    wd.write("w.vec", "ukraine 0.1 0.2 0.3\nrussia -0.1 0.0\n");
    wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
        .code(2)
        .stderr_has("w.vec:2: word 'russia' has 2 values, the lines before have 3");
    wd.write("w.vec", "ukraine 0.1 nan 0.3\n");
    wd.run(&["run", "e.toml", "--out", "bad", "--quiet"])
        .code(2)
        .stderr_has("w.vec:1:");
    assert!(!wd.path().join("bad").exists());
}

#[test]
fn the_shipped_embeddings_experiment_runs_from_the_repository() {
    if minilm().is_none() {
        return;
    }
    let wd = Workdir::new();
    let exp = repo().join("experiments/embeddings.toml");
    wd.run(&[
        "run",
        exp.to_str().unwrap(),
        "--out",
        "r",
        "--cache",
        "c",
        "--quiet",
    ])
    .ok()
    .stdout_has("minilm + logistic")
    .stdout_has("minilm+lexicon + gaussian-nb")
    .stdout_has("words + linear-svm")
    .stdout_has("chars + gaussian-nb");
    // The committed vectors are the same embeddings: the two experiments score MiniLM + logistic alike.
    let metrics = |dir: &str| -> Vec<String> {
        wd.read(&format!("{dir}/metrics.csv"))
            .lines()
            .filter(|l| {
                l.starts_with("minilm + logistic,") || l.starts_with("minilm-vectors + logistic,")
            })
            .map(|l| l.splitn(3, ',').nth(2).unwrap().to_string())
            .collect()
    };
    let vectors = repo().join("experiments/vectors.toml");
    wd.run(&["run", vectors.to_str().unwrap(), "--out", "v", "--quiet"])
        .ok();
    assert_eq!(metrics("r"), metrics("v"));
}
