//! `stance segment`: proposes sentence units for a new seed document.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use stance::corpus::gold::GOLD_HEADER;
use stance::corpus::segment::sentences;

/// Propose sentence units for a seed document, as gold-format CSV with the stance left empty.
///
/// Prints `id,doc,start,end,unit,holder,stance,text,note` rows (byte offsets, `unit = sentence`) to stdout, ready
/// for hand labelling: fill in holder and stance (see labels/GUIDELINES.md), add clause rows where a sentence
/// carries more than one stance, then run `stance validate`. Handles typographic quotes, titles and
/// abbreviations, and quote-final punctuation (`… restrictions,” Stoltenberg said.`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The seed file (UTF-8 text).
    pub seed: PathBuf,
    /// Document id for the rows. Defaults to the id in manifest.csv beside the seed, else the file stem.
    #[arg(long, value_name = "ID")]
    pub doc: Option<String>,
}

fn doc_id(seed: &Path) -> Option<String> {
    let manifest = seed.parent()?.join("manifest.csv");
    let mut rdr = csv::Reader::from_path(manifest).ok()?;
    let name = seed.file_name()?.to_string_lossy().into_owned();
    rdr.records()
        .filter_map(Result::ok)
        .find(|r| r.get(1) == Some(name.as_str()))
        .and_then(|r| r.get(0).map(str::to_string))
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.seed)
        .with_context(|| format!("{}: cannot read the seed", args.seed.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid UTF-8 (first bad byte at offset {})",
            args.seed.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let doc = args
        .doc
        .clone()
        .or_else(|| doc_id(&args.seed))
        .or_else(|| {
            args.seed
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "doc".into());
    let spans = sentences(&text);
    let width = if spans.len() > 99 { 3 } else { 2 };
    let stdout = std::io::stdout();
    let mut w = csv::Writer::from_writer(stdout.lock());
    w.write_record(GOLD_HEADER)?;
    for (i, s) in spans.iter().enumerate() {
        let id = format!("{doc}.s{:0width$}", i + 1);
        w.write_record([
            id.as_str(),
            &doc,
            &s.start.to_string(),
            &s.end.to_string(),
            "sentence",
            "",
            "",
            &text[s.start..s.end],
            "",
        ])?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
