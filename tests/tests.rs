//! Integration tests: the real `stance` binary run in temporary working directories.
//!
//! One test binary with a module per command (see `workdir.rs` for the helper).

mod workdir;

// `stance validate`: the shipped gold passes; every kind of corruption is reported at its file:line.
mod test_validate;
// `stance segment`: reproduces the gold sentence boundaries.
mod test_segment;
// `stance run`: the shipped experiments, report artefacts, determinism, bad input.
mod test_run;
// `stance check`: the CI gate.
mod test_check;
// `stance predict`.
mod test_predict;
// `stance train` and `stance predict --model`: saved models.
mod test_train;
// Bad input of every kind: exit 2, file:line in the message, no file changed.
mod test_badinput;
// Per-group models and `stance submission` (the SemEval-2016 Task 6 format).
mod test_pergroup;
// The newer commands as careful as the old: outputs never over inputs, flags bounded, errors at each key's line,
// nothing left behind by a killed run.
mod test_careful;
// `stance run --shard` and `stance merge`: sharded runs merge byte-identical; bad shard sets are refused.
mod test_shard;
// `stance diff`: two runs side by side, paired or not.
mod test_diff;
// Nested tuning of parameters given as lists.
mod test_tune;
// Paths in experiments resolve against the experiment file; outside a project; one grouping spelling.
mod test_paths;
// `report.html`: one self-contained page.
mod test_html;
// The house rules on the sources: layers only use the ones below, no module cycles, no unused dependency.
mod test_layers;
// The README's and docs/GUIDE.md's snippets, experiments, reference keys and links, read from the docs as they stand.
mod test_docs;
// Outside systems: predictions files and commands judged beside the grid, the gate, diff, shards.
mod test_systems;
// Dense feature sets: encoder, vectors, word-vectors, gaussian-nb, `stance embed`, the embedding cache.
mod test_embed;

/// The tiny random-weight BERT folder the embed crate's tests write, shared here.
#[path = "../crates/embed/tests/common/mod.rs"]
mod tiny_bert;
