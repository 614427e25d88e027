//! The result tables: the leaderboard, per-class scores of the detailed configurations, the best's confusion matrix.

use std::fmt::Write;

use super::chart;
use crate::format::{code, escape, est, num, pval, rank_labels, signed};
use stance_eval::results::{ConfigResult, Degenerate};
use stance_eval::MetricName;
use stance_results::RunReport;

/// "Leaderboard": every ranked configuration with the headline, the other metrics and its comparison with the best.
pub(super) fn leaderboard(r: &RunReport, best: &ConfigResult, charts: &[String]) -> String {
    let mut s = String::new();
    let h = r.headline();
    let hl = h.label();
    let _ = writeln!(s, "## Leaderboard\n");
    if let Some(c) = chart(charts, "charts/leaderboard.png", "leaderboard") {
        let _ = writeln!(s, "{c}");
    }
    let other: Vec<MetricName> = [
        MetricName::Accuracy,
        MetricName::BalancedAccuracy,
        MetricName::Mcc,
        MetricName::Kappa,
    ]
    .into_iter()
    .filter(|k| *k != h)
    .collect();
    let _ = write!(s, "| # | configuration | {} (95% CI) |", escape(hl));
    for k in &other {
        let _ = write!(s, " {} |", escape(k.label()));
    }
    let _ = writeln!(
        s,
        " {hl} per fold (min–max) | Δ vs best (95% bootstrap interval) | p (exact, Holm) | McNemar p (accuracy, Holm) |"
    );
    let _ = write!(s, "|---:|---|---|");
    for _ in &other {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s, "---|---|---:|---:|");
    let ranks = rank_labels(&crate::text::headlines(r));
    for (rank, id) in ranks.iter().zip(&r.run.leaderboard) {
        let c = r.config(id).expect("leaderboard ids exist");
        leaderboard_row(&mut s, r, rank, c, &other);
    }
    let _ = writeln!(
        s,
        "\nΔ is the configuration's {hl} minus the best's, with the 95% interval of the paired bootstrap (an \
         interval, not the test). p tests that difference with the exact paired permutation test: the two \
         configurations' predictions of each {} are swapped in every possible pattern (seeded Monte Carlo beyond \
         2^16 patterns), and p is the share of patterns whose difference is at least as large; it is \
         Holm-adjusted over all {} comparisons with the best, and **\\*** marks exactly the rows with p < {}. \
         McNemar's exact test is a test of **accuracy** (items each model gets right in most repeats), reported \
         beside it. A rank written `=14` is shared by configurations with the same {hl}. **≡ majority** marks a \
         configuration whose every out-of-fold prediction equals the majority baseline's; **one class** one that \
         predicts a single class throughout.",
        r.run.evaluation.bootstrap_unit,
        r.run.comparisons.len(),
        r.run.evaluation.alpha
    );
    if r.run.configs.iter().any(|c| c.system.is_some()) {
        let _ = writeln!(
            s,
            "\n*(system)* marks an outside system: its predictions were made elsewhere and scored here on the same \
             items, folds and resamples as every other row, so its intervals and tests are comparable; it is never \
             the best, because the harness did not cross-validate it (see \"What this data can and cannot tell\")."
        );
    }
    let tied: Vec<String> = r
        .run
        .leaderboard
        .iter()
        .filter_map(|id| r.config(id))
        .filter(|c| c.tied_predictions > 0)
        .map(|c| format!("{} ({})", code(&c.id), c.tied_predictions))
        .collect();
    if !tied.is_empty() {
        let _ = writeln!(
            s,
            "\nPredictions whose top score was shared by several classes went to the class with the larger training \
             prior, and to the first class only when the priors were equal too: {}.",
            tied.join(", ")
        );
    }
    if r.run.evaluation.repeats > 1 {
        let _ = writeln!(
            s,
            "\nSplit-to-split variation (standard deviation of {hl} across the {} repeats) of the best configuration: {}.",
            r.run.evaluation.repeats,
            best.repeat_sd.get(&h).map(|v| num(*v)).unwrap_or_else(|| "—".into())
        );
    }
    if let Some(c) = chart(charts, "charts/fold-scores.png", "headline per fold") {
        let _ = write!(
            s,
            "
The spread behind each pooled {hl}: every test fold's score, beside the pooled estimate and its \
             interval.\n\n{c}"
        );
    }
    let _ = writeln!(s);
    s
}

fn leaderboard_row(
    s: &mut String,
    r: &RunReport,
    rank: &str,
    c: &ConfigResult,
    other: &[MetricName],
) {
    let id = &c.id;
    let mut name = if c.baseline {
        format!("{} *(baseline)*", escape(id))
    } else if c.system.is_some() {
        format!("{} *(system)*", code(id))
    } else {
        code(id)
    };
    match &c.degenerate {
        Some(Degenerate::EqualsMajority) => name.push_str(" **≡ majority**"),
        Some(Degenerate::SingleClass { class }) => {
            let _ = write!(name, " **one class** ({})", escape(class));
        }
        None => {}
    }
    let _ = write!(
        s,
        "| {} | {} | {} |",
        rank,
        name,
        est(&c.metrics[&r.headline()])
    );
    for k in other {
        let _ = write!(s, " {} |", num(c.metrics[k].point));
    }
    let _ = write!(s, " {} |", fold_range(c, r.headline()));
    if *id == r.run.best {
        let _ = writeln!(s, " best | — | — |");
    } else if let Some(cmp) = r.run.comparisons.iter().find(|x| x.config == *id) {
        let mark = if cmp.significant { " **\\***" } else { "" };
        let _ = writeln!(
            s,
            " {} | {}{} | {} |",
            signed(&cmp.difference),
            pval(cmp.p_holm),
            mark,
            pval(cmp.mcnemar.p_holm)
        );
    } else {
        let _ = writeln!(s, " | | |");
    }
}

/// The smallest and largest headline over a configuration's folds: the spread behind the pooled number.
fn fold_range(c: &ConfigResult, h: MetricName) -> String {
    let v: Vec<f64> = c
        .per_fold
        .iter()
        .filter_map(|f| f.metrics.get(&h).copied())
        .collect();
    match (
        v.iter().copied().reduce(f64::min),
        v.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) => format!("{}–{}", num(lo), num(hi)),
        _ => "—".into(),
    }
}

/// "Per-class results" of the detailed configurations, with the classes whose scores had a zero denominator.
pub(super) fn per_class(detail: &[&ConfigResult], charts: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Per-class results\n");
    if let Some(c) = chart(charts, "charts/per-class-f1.png", "per-class F1") {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(
        s,
        "| configuration | class | support | precision | recall | F1 |"
    );
    let _ = writeln!(s, "|---|---|---:|---|---|---|");
    for c in detail {
        for pc in &c.per_class {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                code(&c.id),
                escape(&pc.class),
                pc.support,
                est(&pc.precision),
                est(&pc.recall),
                est(&pc.f1)
            );
        }
    }
    let zero: Vec<String> = detail
        .iter()
        .filter(|c| !c.zero_division.is_empty())
        .map(|c| format!("{}: {}", code(&c.id), escape(&c.zero_division.join(", "))))
        .collect();
    if !zero.is_empty() {
        let _ = writeln!(
            s,
            "\nZero denominators (reported as 0): {}.",
            zero.join("; ")
        );
    }
    let _ = writeln!(s);
    s
}

/// "Confusion matrix of the best configuration", pooled over repeats, then each outside system's.
pub(super) fn confusion(r: &RunReport, best: &ConfigResult, charts: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Confusion matrix of the best configuration\n");
    if let Some(c) = chart(charts, "charts/confusion.png", "confusion matrices") {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(
        s,
        "{} — rows are gold classes, columns are predicted classes; counts pooled over {} repeat(s), so each \
         item is counted once per repeat.\n",
        code(&best.id),
        r.run.evaluation.repeats
    );
    confusion_table(&mut s, r, best);
    for c in r.run.configs.iter().filter(|c| c.system.is_some()) {
        let _ = writeln!(s, "Outside system {}, counted the same way:\n", code(&c.id));
        confusion_table(&mut s, r, c);
    }
    s
}

/// One configuration's pooled confusion matrix as a table.
fn confusion_table(s: &mut String, r: &RunReport, c: &ConfigResult) {
    let _ = write!(s, "| gold \\\\ predicted |");
    for class in &r.data.classes {
        let _ = write!(s, " {} |", escape(class));
    }
    let _ = writeln!(s);
    let _ = write!(s, "|---|");
    for _ in &r.data.classes {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    for (g, row) in c.confusion.iter().enumerate() {
        let _ = write!(s, "| **{}** |", escape(&r.data.classes[g]));
        for v in row {
            let _ = write!(s, " {v} |");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
}
