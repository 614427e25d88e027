//! `stance predict`: label new statements with a saved model, or with one trained on the experiment's data.

use std::path::PathBuf;
use std::process::ExitCode;

use stance::predict::{choose, file, Choice, TrainedModel};

use super::run::load_experiment;

/// Label new statements with a saved model (--model), or with one configuration trained on all of an
/// experiment's labelled items.
///
/// Statements come from the arguments, from --csv (one per row, column --text-column), or from stdin (one per
/// line). For each, prints the predicted class, its probability where the classifier has one, and the features
/// that weighed most toward it (weight × value for linear models; importance for trees).
///
/// With --model, loads a file written by `stance train` (no experiment or data needed). Without it, trains first
/// (cost: one fit on the experiment's data): the configuration named by --config, or by --feature-set and
/// --classifier, or else the best configuration of the experiment's last report (reports/<name>/report.json).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Statements to label. Without any (and without --csv), reads one statement per line from stdin.
    pub statements: Vec<String>,
    /// Model file written by `stance train`.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["experiment", "config", "report", "feature_set", "classifier"])]
    pub model: Option<PathBuf>,
    /// Experiment whose data and definitions to use. Defaults to experiments/default.toml.
    #[arg(long, short = 'e', value_name = "FILE")]
    pub experiment: Option<PathBuf>,
    /// Configuration to train, as reports name it ("words + logistic"). Defaults to the best configuration of the
    /// experiment's last report.
    #[arg(long, value_name = "ID", conflicts_with_all = ["feature_set", "classifier", "report"])]
    pub config: Option<String>,
    /// Report whose best configuration to train. Defaults to reports/<experiment name>/report.json.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Feature set name (from the experiment); with it, --classifier defaults to logistic.
    #[arg(long, value_name = "NAME", conflicts_with = "report")]
    pub feature_set: Option<String>,
    /// Classifier name (from the experiment); needs --feature-set.
    #[arg(long, value_name = "NAME", requires = "feature_set")]
    pub classifier: Option<String>,
    /// Read statements from this CSV file.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Column of --csv holding the statements.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_column: String,
    /// Evidence features to show per statement.
    #[arg(
        long,
        default_value_t = 5,
        value_name = "N",
        allow_hyphen_values = true
    )]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub encoders: super::EncoderArgs,
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
    super::read_texts(
        &args.statements,
        args.csv.as_deref(),
        &args.text_column,
        "--text-column",
    )
}

/// Refuses input with nothing to label: exiting 0 with no output would let a broken pipeline pass unnoticed.
fn check_statements(args: &Args, statements: &[String]) -> anyhow::Result<()> {
    if !args.statements.is_empty() {
        if let Some(i) = statements.iter().position(|s| s.trim().is_empty()) {
            anyhow::bail!(
                "statement argument {} is empty; pass the text to label, e.g. stance predict \"…\"",
                i + 1
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

/// Says on stderr which configuration a report chose (stdout stays the labels).
pub fn announce(choice: &Choice, exp: &stance::experiment::Experiment) {
    if let Choice::Best {
        config,
        report,
        experiment_changed,
    } = choice
    {
        eprintln!(
            "using the best configuration of {}: {config} (pass --config to choose another)",
            report.display()
        );
        if *experiment_changed {
            eprintln!(
                "note: {} changed since that report was written; run `stance run{}` again if its best may have changed",
                exp.source.origin(),
                choose::experiment_arg(exp)
            );
        }
    }
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let statements = read_statements(args)?;
    check_statements(args, &statements)?;
    let (model, header) = match &args.model {
        Some(path) => {
            let loaded = file::load(path)?;
            // An encoder's folder is reopened and checked against the sha256 the model file holds.
            let handles = loaded.model.encoders()?;
            args.encoders
                .attach(&handles.iter().collect::<Vec<_>>(), args.quiet)?;
            let header = format!(
                "{} loaded from {}, trained on {} items of '{}' ({})",
                loaded.model.config(),
                path.display(),
                loaded.model.trained_on(),
                loaded.info.experiment.name,
                loaded.model.classes().join(" / ")
            );
            (loaded.model, header)
        }
        None => {
            let exp = load_experiment(args.experiment.as_deref())?;
            let handles: Vec<_> = exp.feature_sets.iter().flat_map(|f| f.encoders()).collect();
            args.encoders.attach(&handles, args.quiet)?;
            let data = exp.load_data()?;
            let model = match (&args.feature_set, &args.classifier, &args.config) {
                (Some(fs), clf, _) => {
                    let clf = clf.as_deref().unwrap_or_else(|| {
                        eprintln!(
                            "classifier: logistic (the default with --feature-set; name one with --classifier, or \
                             pass neither to use the report's best configuration)"
                        );
                        "logistic"
                    });
                    TrainedModel::train(&exp, &data.dataset, fs, clf)?
                }
                (None, _, Some(config)) => TrainedModel::train_config(&exp, &data.dataset, config)?,
                (None, _, None) => {
                    let choice = choose::best_of_report(&exp, args.report.as_deref())?;
                    announce(&choice, &exp);
                    TrainedModel::train_config(&exp, &data.dataset, choice.config())?
                }
            };
            let header = format!(
                "{} trained on {} items of '{}' ({})",
                model.config(),
                data.dataset.items.len(),
                exp.file.name,
                model.classes().join(" / ")
            );
            (model, header)
        }
    };
    let texts: Vec<&str> = statements.iter().map(String::as_str).collect();
    let labelled = model.label(&texts, args.top)?;
    match args.format {
        Format::Text => {
            println!("{header}");
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
                if model.n_features() == 0 {
                    println!("  evidence: none (a baseline uses no features)");
                } else if l.evidence.is_empty() {
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
