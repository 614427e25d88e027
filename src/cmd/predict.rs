//! `stance predict`: label new statements with a model trained on the experiment's data.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use stance::predict::TrainedModel;

use super::run::load_experiment;

/// Train one feature set + classifier on all of an experiment's labelled items, then label new statements.
///
/// Statements come from the arguments, from --csv (one per row, column --text-column), or from stdin (one per
/// line). For each, prints the predicted class, its probability where the classifier has one, and the features
/// that weighed most toward it (weight × value for linear models; importance for trees). Cost: one fit on the
/// experiment's data.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Statements to label. Without any (and without --csv), reads one statement per line from stdin.
    pub statements: Vec<String>,
    /// Experiment whose data and definitions to use. Defaults to experiments/default.toml.
    #[arg(long, short = 'e', value_name = "FILE")]
    pub experiment: Option<PathBuf>,
    /// Feature set name (from the experiment).
    #[arg(long, value_name = "NAME")]
    pub feature_set: String,
    /// Classifier name (from the experiment).
    #[arg(long, value_name = "NAME", default_value = "logistic")]
    pub classifier: String,
    /// Read statements from this CSV file.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Column of --csv holding the statements.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_column: String,
    /// Evidence features to show per statement.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One readable block per statement.
    Text,
    /// CSV with a probability column per class.
    Csv,
}

fn read_statements(args: &Args) -> anyhow::Result<Vec<String>> {
    if !args.statements.is_empty() {
        return Ok(args.statements.clone());
    }
    if let Some(path) = &args.csv {
        let bytes =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut rdr = csv::Reader::from_reader(bytes.as_slice());
        let headers = rdr
            .headers()
            .with_context(|| format!("{}:1: cannot parse the header", path.display()))?
            .clone();
        let col = headers
            .iter()
            .position(|h| h == args.text_column)
            .with_context(|| {
                format!(
                    "{}:1: no column '{}' (columns: {}); choose one with --text-column",
                    path.display(),
                    args.text_column,
                    headers.iter().collect::<Vec<_>>().join(", ")
                )
            })?;
        let mut out = Vec::new();
        let mut lines = stance::diag::CsvLines::new(&bytes);
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = lines.line(e.position());
                anyhow::anyhow!("{}:{line}: {e}", path.display())
            })?;
            let text = rec.get(col).unwrap_or("");
            if text.trim().is_empty() {
                let line = lines.line(rec.position());
                anyhow::bail!(
                    "{}:{line}: column '{}' is empty; every row needs a statement to label",
                    path.display(),
                    stance::diag::excerpt(&args.text_column)
                );
            }
            out.push(text.to_string());
        }
        return Ok(out);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        anyhow::bail!(
            "no statements: pass them as arguments, with --csv, or on stdin (one per line)"
        );
    }
    let mut out = Vec::new();
    for line in stdin.lock().lines() {
        let line = line.context("cannot read stdin")?;
        if !line.trim().is_empty() {
            out.push(line);
        }
    }
    Ok(out)
}

/// Refuses input with nothing to label: exiting 0 with no output would let a broken pipeline pass unnoticed.
fn check_statements(args: &Args, statements: &[String]) -> anyhow::Result<()> {
    if !args.statements.is_empty() {
        if let Some(i) = statements.iter().position(|s| s.trim().is_empty()) {
            anyhow::bail!(
                "statement argument {} is empty; pass the text to label, e.g. stance predict --feature-set {} \"…\"",
                i + 1,
                args.feature_set
            );
        }
        return Ok(());
    }
    if let Some(path) = &args.csv {
        if statements.is_empty() {
            anyhow::bail!(
                "{}: no rows to label; the file needs a header and one statement per row in column '{}'",
                path.display(),
                stance::diag::excerpt(&args.text_column)
            );
        }
        return Ok(());
    }
    if statements.is_empty() {
        anyhow::bail!(
            "stdin: no statements to label (the input was empty); pass them as arguments, with --csv, or one per line on stdin"
        );
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let exp = load_experiment(args.experiment.as_deref())?;
    let statements = read_statements(args)?;
    check_statements(args, &statements)?;
    let data = exp.load_data()?;
    let model = TrainedModel::train(&exp, &data.dataset, &args.feature_set, &args.classifier)?;
    let texts: Vec<&str> = statements.iter().map(String::as_str).collect();
    let labelled = model.label(&texts, args.top);
    match args.format {
        Format::Text => {
            println!(
                "{} + {} trained on {} items of '{}' ({})",
                args.feature_set,
                args.classifier,
                data.dataset.items.len(),
                exp.file.name,
                model.classes().join(" / ")
            );
            for (text, l) in statements.iter().zip(&labelled) {
                let p = l
                    .proba
                    .as_ref()
                    .and_then(|v| {
                        model
                            .classes()
                            .iter()
                            .position(|c| *c == l.class)
                            .map(|k| format!(" (p = {:.2})", v[k]))
                    })
                    .unwrap_or_default();
                println!("\n{}{}  {}", l.class, p, text);
                if l.evidence.is_empty() {
                    println!(
                        "  evidence: none (no known feature in this statement pushes toward {})",
                        l.class
                    );
                } else {
                    let ev: Vec<String> = l
                        .evidence
                        .iter()
                        .map(|(f, c)| format!("{f} ({c:+.3})"))
                        .collect();
                    println!("  evidence: {}", ev.join(", "));
                }
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            let mut header = vec!["text".to_string(), "predicted".to_string()];
            header.extend(model.classes().iter().map(|c| format!("p_{c}")));
            header.push("evidence".into());
            w.write_record(&header)?;
            for (text, l) in statements.iter().zip(&labelled) {
                let mut row = vec![text.clone(), l.class.clone()];
                match &l.proba {
                    Some(v) => row.extend(v.iter().map(|x| format!("{x}"))),
                    None => row.extend(model.classes().iter().map(|_| String::new())),
                }
                row.push(
                    l.evidence
                        .iter()
                        .map(|(f, c)| format!("{f}={c:.4}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                w.write_record(&row)?;
            }
            w.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
