//! `stance train`: fit one configuration on all of an experiment's data and save it as a model file.

use std::path::PathBuf;
use std::process::ExitCode;

use stance::predict::{choose, file, Choice, TrainedModel};

use stance::outputs::Io;

use super::predict::announce;
use super::run::load_experiment;
use super::{harness_info, reads_experiment};

/// Fit one configuration on all of an experiment's labelled items and save it as a model file for
/// `stance predict --model`.
///
/// The configuration is named as reports name it (--config "words + logistic", or a baseline's name); without
/// --config, the best configuration of the experiment's last report (reports/<name>/report.json, written by
/// `stance run`) is used, and stderr says so. The fit is the one the report's top features come from: every item,
/// the experiment's seed.
///
/// The model file (JSON) holds the fitted extractors and classifier, the class names, the feature-set and
/// classifier declarations, the experiment's name and sha256, the sha256 of its data, and the harness version. It
/// is written atomically; an existing file is replaced only if it is a model file. Cost: one fit.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Experiment file (TOML). Defaults to experiments/default.toml.
    pub experiment: Option<PathBuf>,
    /// Configuration to train, as reports name it ("words + logistic"). Defaults to the best configuration of the
    /// experiment's last report.
    #[arg(long, value_name = "ID")]
    pub config: Option<String>,
    /// Report whose best configuration to train. Defaults to reports/<experiment name>/report.json.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub report: Option<PathBuf>,
    /// Model file to write.
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub encoders: super::EncoderArgs,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let exp = load_experiment(args.experiment.as_deref())?;
    let mut io = Io::new();
    reads_experiment(&mut io, &exp);
    if args.config.is_none() {
        let report = args
            .report
            .clone()
            .unwrap_or_else(|| choose::default_report(&exp));
        io.reads("the report", report);
    }
    io.writes_file("--model", &args.model).check()?;
    let choice = match &args.config {
        Some(c) => Choice::Given(c.clone()),
        None => choose::best_of_report(&exp, args.report.as_deref())?,
    };
    announce(&choice, &exp);
    let handles: Vec<_> = exp.feature_sets.iter().flat_map(|f| f.encoders()).collect();
    args.encoders.attach(&handles, args.quiet)?;
    let data = exp.load_data()?;
    let model = TrainedModel::train_config(&exp, &data.dataset, choice.config())?;
    let info = file::model_info(&model, &exp, &data.dataset, harness_info());
    let saved = file::save(&model, &info, &args.model)?;
    let counts: Vec<String> = model
        .classes()
        .iter()
        .zip(model.class_counts())
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    println!(
        "trained {} on {} items of '{}' ({}): {} features",
        model.config(),
        model.trained_on(),
        exp.file.name,
        counts.join(" / "),
        model.n_features()
    );
    println!(
        "wrote {} ({}, schema version {}, sha256 {})",
        args.model.display(),
        human_bytes(saved.bytes),
        file::SCHEMA_VERSION,
        &saved.sha256[..saved.sha256.len().min(12)]
    );
    Ok(ExitCode::SUCCESS)
}

fn human_bytes(n: usize) -> String {
    match n {
        n if n < 1024 => format!("{n} bytes"),
        n if n < 1024 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}
