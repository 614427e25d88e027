//! `stance segment`: proposes sentence units for a new seed document.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use stance::corpus::gold::GOLD_HEADER;
use stance::corpus::seeds::{parse_manifest, MANIFEST_FILE};
use stance::corpus::segment::sentences;
use stance::diag::Diagnostics;

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

/// The seed's id from `manifest.csv` beside it, read with the corpus module's manifest parser. `Ok(None)` when
/// there is no manifest or it does not list the seed; an error when the manifest cannot be trusted, because a
/// wrong id would be written into every proposed row.
fn doc_id(seed: &Path) -> anyhow::Result<Option<String>> {
    let Some(dir) = seed.parent() else {
        return Ok(None);
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let path = dir.join(MANIFEST_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(anyhow::anyhow!(
                "{}: cannot read the seed manifest: {e}",
                path.display()
            ))
        }
    };
    let manifest = parse_manifest(&path, &bytes);
    let Some(name) = seed.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(None);
    };
    if let Some(entry) = manifest.by_file(&name) {
        return Ok(Some(entry.id.clone()));
    }
    if !manifest.problems.is_empty() {
        anyhow::bail!(
            "{}\nthe seed manifest has problems, so the document id for {} is unknown; fix the manifest or pass --doc ID",
            Diagnostics(manifest.problems),
            seed.display()
        );
    }
    Ok(None)
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
    if text.trim().is_empty() {
        anyhow::bail!(
            "{}: the seed is empty, there is no sentence to propose; copy the real document there",
            args.seed.display()
        );
    }
    let doc = match args.doc.clone() {
        Some(d) => Some(d),
        None => doc_id(&args.seed)?,
    }
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
