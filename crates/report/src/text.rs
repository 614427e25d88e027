//! Plain-text renderings for the terminal: the leaderboard `stance run` and `stance check` print.

use std::fmt::Write;

use super::format::{num, pval, rank_labels, share};
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
        "\n{:>4}  {:<width$}  {:>8}  {:<15}  {:>8}  vs best (Δ, exact paired permutation p, Holm)",
        "rank", "config", h, "95% interval", "accuracy"
    );
    let ranks = rank_labels(&headlines(r));
    for (rank, id) in ranks.iter().zip(&r.run.leaderboard) {
        let _ = writeln!(s, "{}", leaderboard_row(r, rank, id, width));
    }
    let _ = writeln!(s, "\n{}", power_sentence(r));
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

/// The leaderboard's headline values, in leaderboard order (for shared ranks).
pub fn headlines(r: &RunReport) -> Vec<f64> {
    r.run
        .leaderboard
        .iter()
        .map(|id| {
            r.config(id)
                .and_then(|c| c.metrics.get(&r.headline()))
                .map_or(0.0, |e| e.point)
        })
        .collect()
}

/// What the exact paired test can resolve on this data, in one sentence with the run's numbers: the fewest
/// differing units, and the smallest pooled-accuracy and headline differences it can call significant.
pub fn power_sentence(r: &RunReport) -> String {
    let p = &r.run.power;
    let alpha = r.run.evaluation.alpha;
    let unit = match r.run.evaluation.bootstrap_unit {
        stance_eval::results::BootstrapUnit::Item => "items",
        _ => "resampling units (documents or groups)",
    };
    let units = if p.n_units > 0 { p.n_units } else { p.n_items };
    if units < p.min_discordant as usize {
        return format!(
            "{units} {unit}: no difference between two configurations can reach p < {alpha} under the exact paired \
             permutation test, which needs their predictions to differ on at least {} {unit}.",
            p.min_discordant
        );
    }
    let votes = if p.votes_per_item > 1.0 {
        format!(" (one vote in {:.0} on each)", p.votes_per_item)
    } else {
        String::new()
    };
    let headline = match p.min_detectable_headline_difference {
        Some(h) if r.headline() != MetricName::Accuracy => {
            format!(" and {} in {}", share(h), r.headline().label())
        }
        _ => String::new(),
    };
    format!(
        "{units} {unit}: two configurations can differ significantly (exact paired permutation test, p < {alpha}) only \
         if their predictions differ on at least {} {unit}, all favouring one; such a difference can be as small as \
         {} in pooled accuracy{votes}{headline}.",
        p.min_discordant,
        share(p.min_detectable_accuracy_difference),
    )
}

/// One ranked configuration: rank, name, headline with interval, accuracy, and its comparison with the best.
fn leaderboard_row(r: &RunReport, rank: &str, id: &str, width: usize) -> String {
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
                pval(x.p_holm),
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
        rank,
        name,
        num(e.point),
        ci,
        num(c.metrics[&MetricName::Accuracy].point),
        vs,
    )
}
