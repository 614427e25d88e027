//! Plain-text renderings for the terminal: the leaderboard `stance run` and `stance check` print.

use std::fmt::Write;

use super::format::{num, pval_opt};
use stance_eval::results::Degenerate;
use stance_eval::MetricName;
use stance_results::RunReport;

/// The plain-text leaderboard printed by `stance run`.
pub fn leaderboard_text(r: &RunReport) -> String {
    let h = r.headline();
    let mut s = String::new();
    let counts: Vec<String> = r
        .data
        .classes
        .iter()
        .zip(&r.data.class_counts)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    let _ = writeln!(
        s,
        "experiment {} ({}): {} items ({}), {}{}{}, seed {}, {} bootstrap resamples",
        r.experiment.name,
        r.experiment.source,
        r.data.n_items,
        counts.join(", "),
        r.run.evaluation.scheme,
        r.run
            .evaluation
            .k
            .map(|k| format!(" k={k}"))
            .unwrap_or_default(),
        if r.run.evaluation.repeats > 1 {
            format!(" × {} repeats", r.run.evaluation.repeats)
        } else {
            String::new()
        },
        r.run.evaluation.seed,
        r.run.evaluation.bootstrap,
    );
    let width = r
        .run
        .leaderboard
        .iter()
        .map(|id| id.chars().count() + " (baseline)".len().max(" ≡ majority".chars().count()))
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "\n{:>4}  {:<width$}  {:>8}  {:<15}  {:>8}  vs best (Δ, paired bootstrap p, Holm)",
        "rank", "config", h, "95% interval", "accuracy"
    );
    for (rank, id) in r.run.leaderboard.iter().enumerate() {
        let _ = writeln!(s, "{}", leaderboard_row(r, rank, id, width));
    }
    let p = &r.run.power;
    let _ = writeln!(
        s,
        "\n{} items: no accuracy difference between two models smaller than {:.3} ({} items) can reach p < {} under McNemar's exact test.",
        p.n_items,
        p.min_detectable_accuracy_difference,
        p.min_discordant,
        r.run.evaluation.alpha,
    );
    for c in r.run.configs.iter() {
        if let Some(source) = &c.system {
            let _ = writeln!(
                s,
                "note: system '{}' ({}): its predictions were made outside the harness, not cross-validated here; \
                 it may have been trained on these very items, so it is ranked but never the best",
                c.id,
                source.describe()
            );
        }
    }
    for w in &r.run.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// One ranked configuration: rank, name, headline with interval, accuracy, and its comparison with the best.
fn leaderboard_row(r: &RunReport, rank: usize, id: &str, width: usize) -> String {
    let c = r.config(id).expect("leaderboard ids exist");
    let e = c.metrics[&r.headline()];
    let ci = match (e.lower, e.upper) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", num(lo), num(hi)),
        _ => "—".into(),
    };
    let vs = if id == r.run.best {
        "best".to_string()
    } else {
        match r.run.comparisons.iter().find(|x| x.config == id) {
            Some(x) => format!(
                "{:+.3}  p={}{}",
                x.difference.point,
                pval_opt(x.p_holm),
                if x.significant { " *" } else { "" }
            ),
            None => String::new(),
        }
    };
    let mut name = if c.baseline {
        format!("{id} (baseline)")
    } else if c.system.is_some() {
        format!("{id} (system)")
    } else {
        id.to_string()
    };
    match &c.degenerate {
        Some(Degenerate::EqualsMajority) => name.push_str(" ≡ majority"),
        Some(Degenerate::SingleClass { .. }) => name.push_str(" (one class)"),
        None => {}
    }
    format!(
        "{:>4}  {:<width$}  {:>8}  {:<15}  {:>8}  {}",
        rank + 1,
        name,
        num(e.point),
        ci,
        num(c.metrics[&MetricName::Accuracy].point),
        vs,
    )
}
