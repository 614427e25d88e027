//! `stance validate`: checks the gold data against the seeds.

use std::path::PathBuf;
use std::process::ExitCode;

use stance::corpus::gold::{check_gold, select_units, summarize, UnitSelection};
use stance::eval::splits::check_k_against_classes;
use stance::experiment::{DataSpec, Experiment, Scheme};

/// Check the gold labels against the seed documents and summarise them.
///
/// Checks everything a corrupted gold set can get wrong: the seed manifest and every seed's sha256; the label
/// file's header and columns; the label vocabulary; unique ids; offsets in range and on character boundaries;
/// text equal to the seed slice; known document ids; overlapping or duplicate units of the same level; clauses
/// outside sentences; sentences that leave text unlabelled; empty fields. Every problem is reported as
/// `file:line: message`; any problem exits with code 2. Cheap: reads the files once.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory holding the seeds and manifest.csv.
    #[arg(long, default_value = "seeds", value_name = "DIR")]
    pub seeds: PathBuf,
    /// Gold label file, or a directory of *.csv label files.
    #[arg(long, default_value = "labels/gold.csv", value_name = "PATH")]
    pub labels: PathBuf,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let check = check_gold(&args.seeds, &args.labels);
    let problems = check.all_problems();
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!(
            "stance: {} problem(s) found; the gold data is not valid",
            problems.len()
        );
        return Ok(ExitCode::from(2));
    }
    let s = summarize(&check.units);
    println!(
        "gold data OK: {} units in {} seed(s)",
        check.units.len(),
        check.seeds.seeds.len()
    );
    for seed in check.seeds.seeds.values() {
        println!(
            "  seed {}  {}  sha256 {}",
            seed.id,
            seed.path.display(),
            seed.sha256
        );
    }
    println!("\nunits per level and stance:");
    for (level, n) in &s.per_level {
        let stances = &s.per_level_stance[level];
        let parts: Vec<String> = stances.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  {level:<9} {n:>4}   ({})", parts.join(", "));
    }
    println!("\nunits per holder:");
    for (h, n) in &s.per_holder {
        println!("  {n:>4}  {h}");
    }
    println!("\nunits per document:");
    for (d, levels) in &s.per_doc {
        let parts: Vec<String> = levels.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  {d}: {}", parts.join(", "));
    }
    for path in &check.seeds.unlisted {
        println!(
            "\nwarning: {} is in the seeds directory but not in manifest.csv",
            path.display()
        );
    }
    // Warn when a class is too small for the default experiment's cross-validation.
    if let Ok(exp) = Experiment::load_default() {
        if let DataSpec::Gold(g) = &exp.file.data {
            let units = select_units(&check.units, g.unit);
            let level = match g.unit {
                UnitSelection::Sentence => "sentence",
                UnitSelection::Clause => "clause",
                UnitSelection::Finest => "finest",
            };
            // The refusal itself is the evaluation stage's rule (one implementation); here it only warns early.
            let refused = match (
                exp.file.evaluation.scheme,
                exp.file.evaluation.k,
                exp.load_data(),
            ) {
                (Scheme::StratifiedKfold, Some(k), Ok(data)) => {
                    check_k_against_classes(k, &data.dataset).err()
                }
                _ => None,
            };
            let mut warned = false;
            if let Some(e) = refused {
                println!("\nwarning: the default experiment's stratified cross-validation will refuse to run: {e}");
                warned = true;
            }
            for class in &g.classes {
                let n = units.iter().filter(|u| &u.stance == class).count();
                if n < 10 {
                    println!(
                        "\nwarning: class '{class}' has only {n} {level} unit(s) for the default experiment: one unit is {:.0}% of the class and every interval will be wide",
                        100.0 / n.max(1) as f64
                    );
                    warned = true;
                }
            }
            if !warned {
                println!("\nevery class has enough units for the default experiment");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
