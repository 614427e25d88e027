//! `stance submission`: a report's out-of-fold predictions in the SemEval-2016 Task 6 submission format.

use std::path::PathBuf;
use std::process::ExitCode;

use stance::atomic::prepare;
use stance::outputs::Io;
use stance::report::submission::{find_config, submission, Side};
use stance::results::{consistency, read_report};

/// Write one configuration's out-of-fold predictions as `ID<TAB>Target<TAB>Tweet<TAB>Stance` lines, the
/// SemEval-2016 Task 6 submission format, so the task's official scorer can be run on them
/// (`perl eval.pl GOLD GUESS`).
///
/// Target is the item's group (the CSV's group column, or the seed document); support/favor/pro → FAVOR,
/// oppose/against/con → AGAINST, any other class → NONE. Only tested items are written; an item tested in several
/// repeats gets its most frequent prediction (ties: the experiment's class order). Run a per-group experiment
/// (`[evaluation] per_group = true`) for the task's protocol: one model per target, predictions concatenated.
/// Cost: reads report.json once.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Report folder (or its report.json).
    pub report: PathBuf,
    /// Configuration id (e.g. "words + logistic"). Defaults to the report's best.
    #[arg(long, value_name = "ID")]
    pub config: Option<String>,
    /// Where to write the predictions (the scorer's guess file).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the same items' gold labels here (the scorer's gold file).
    #[arg(long, value_name = "FILE")]
    pub gold: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let path = if args.report.is_dir() {
        args.report.join("report.json")
    } else {
        args.report.clone()
    };
    let mut io = Io::new();
    io.reads("the report", &args.report)
        .reads("the report", &path)
        .writes_file("--out", &args.out);
    if let Some(g) = &args.gold {
        io.writes_file("--gold", g);
    }
    io.check()?;
    let report = read_report(&path)?;
    for (what, p) in report.source_paths() {
        io.reads(what, p);
    }
    io.check()?;
    // What submission indexes by (classes, items, predictions) must agree, as for `stance diff`.
    consistency(&report)
        .map_err(|detail| anyhow::anyhow!("{}: not a usable report: {detail}", path.display()))?;
    let config = find_config(&report, args.config.as_deref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if args.config.is_none() {
        eprintln!("using the report's best configuration, '{}'", config.id);
    }
    let guess = submission(&report, config, Side::Guess)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let lines = guess.lines().count() - 1;
    // Both files are written in full before either is put in place: a failing write (a full disk) changes neither.
    let gold = match &args.gold {
        Some(g) => Some(prepare(
            g,
            submission(&report, config, Side::Gold)?.as_bytes(),
        )?),
        None => None,
    };
    let out = prepare(&args.out, guess.as_bytes())?;
    out.persist()?;
    if let Some(gold) = gold {
        gold.persist()?;
    }
    println!(
        "wrote {} predictions of '{}' to {}{}",
        lines,
        config.id,
        args.out.display(),
        args.gold
            .as_ref()
            .map(|g| format!(" and their gold labels to {}", g.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
