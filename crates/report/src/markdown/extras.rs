//! The closing sections: ablation and learning curve (only for those experiment kinds), warnings, and how to
//! reproduce the run.

use std::fmt::Write;

use super::chart;
use crate::format::{escape, est, pval, pval_opt, signed};
use stance_results::RunReport;

/// "Ablation": each variant with one extractor left out against the full feature set (empty if not an ablation).
pub(super) fn ablation(r: &RunReport, charts: &[String]) -> String {
    let mut s = String::new();
    let Some(rows) = &r.run.ablation else {
        return s;
    };
    let _ = writeln!(s, "## Ablation\n");
    if let Some(c) = chart(charts, "charts/ablation.png", "ablation") {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(
        s,
        "| classifier | variant | {} (95% CI) | Δ vs full (95% CI) | p | McNemar p (accuracy) |",
        r.headline().label()
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|");
    for a in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            escape(&a.classifier),
            escape(&a.variant),
            est(&a.headline),
            if a.left_out.is_some() {
                signed(&a.delta)
            } else {
                "—".into()
            },
            pval_opt(a.p_value),
            if a.left_out.is_some() {
                pval(a.mcnemar_p)
            } else {
                "—".into()
            }
        );
    }
    let _ = writeln!(
        s,
        "\nA negative Δ is what the left-out extractor contributes. p: exact paired permutation test of the headline \
         difference; McNemar: exact test of accuracy (both unadjusted).\n"
    );
    s
}

/// "Learning curve": the headline at each training share (empty if not a learning-curve experiment).
pub(super) fn learning_curve(r: &RunReport, charts: &[String]) -> String {
    let mut s = String::new();
    let Some(points) = &r.run.learning_curve else {
        return s;
    };
    let _ = writeln!(s, "## Learning curve\n");
    if let Some(c) = chart(charts, "charts/learning-curve.png", "learning curve") {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(
        s,
        "| feature set | classifier | training share | mean training size | {} (95% CI) |",
        r.headline().label()
    );
    let _ = writeln!(s, "|---|---|---:|---:|---|");
    for p in points {
        let _ = writeln!(
            s,
            "| {} | {} | {:.0}% | {:.1} | {} |",
            escape(p.feature_set.as_deref().unwrap_or("— (baseline)")),
            escape(&p.classifier),
            p.fraction * 100.0,
            p.train_size,
            est(&p.headline)
        );
    }
    let _ = writeln!(s);
    s
}

/// "Warnings" raised by the run (empty when there are none).
pub(super) fn warnings(r: &RunReport) -> String {
    let mut s = String::new();
    if r.run.warnings.is_empty() {
        return s;
    }
    let _ = writeln!(s, "## Warnings\n");
    for w in &r.run.warnings {
        let _ = writeln!(s, "- {}", escape(w));
    }
    let _ = writeln!(s);
    s
}

/// "Reproduce": the command, the harness and seed, and the hash of every input.
pub(super) fn reproduce(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Reproduce\n");
    let _ = writeln!(s, "```\nstance run {}\n```\n", r.experiment.source);
    let _ = writeln!(
        s,
        "Harness {}{}; seed {}; experiment sha256 `{}`.\n",
        r.harness.version,
        r.harness
            .git_commit
            .as_ref()
            .map(|c| format!(" (commit {c})"))
            .unwrap_or_default(),
        r.run.evaluation.seed,
        r.experiment.sha256
    );
    let _ = writeln!(s, "| input | sha256 |\n|---|---|");
    for (k, v) in &r.inputs {
        let _ = writeln!(s, "| {} | `{}` |", escape(k), v);
    }
    s
}

/// How many configurations the behavioural table shows side by side.
const BEHAVIOUR_TABLE_CONFIGS: usize = 4;

/// "Behavioural tests": failure rate per test and configuration (leaderboard order) with Wilson intervals, the
/// heatmap, and the worst failures as examples.
pub(super) fn behaviour(r: &RunReport, charts: &[String]) -> String {
    let Some(b) = &r.behaviour else {
        return String::new();
    };
    // The table shows the best few configurations; the heatmap and behaviour.csv hold every one.
    let ordered: Vec<_> = r
        .run
        .leaderboard
        .iter()
        .filter_map(|id| b.summary(id))
        .take(BEHAVIOUR_TABLE_CONFIGS)
        .cloned()
        .collect();
    let mut s = stance_behaviour::summary::markdown_section(&ordered);
    s.push_str(&format!(
        "\nThe table shows the {} best-ranked configurations; the heatmap and `behaviour.csv` cover all {}. Each \
         configuration is refitted on every item (as `stance predict` would train it) before the suites run.\n",
        ordered.len(),
        b.summaries.len()
    ));
    let systems: Vec<(&str, bool)> = r
        .run
        .configs
        .iter()
        .filter_map(|c| Some((c.id.as_str(), c.system.as_ref()?.labels_new_text())))
        .collect();
    if !systems.is_empty() {
        let skipped: Vec<String> = systems
            .iter()
            .filter(|(_, labels)| !labels)
            .map(|(id, _)| crate::format::code(id))
            .collect();
        s.push_str(
            "Outside systems are not refitted: a command system labelled the cases' texts itself, in one call.",
        );
        if !skipped.is_empty() {
            s.push_str(&format!(
                " A predictions file labels only the data's items, so every case is skipped for {}.",
                skipped.join(", ")
            ));
        }
        s.push('\n');
    }
    if let Some(c) = chart(
        charts,
        "charts/behaviour.png",
        "behavioural test failure rates",
    ) {
        s = s.replacen("\n\n", &format!("\n\n{c}\n"), 1);
    }
    s.push('\n');
    s
}

/// "Per-group scores": the best configuration's headline and accuracy on each group (document, topic, target…), with
/// its n, when the items fall into two or more groups.
pub(super) fn per_group(r: &RunReport, charts: &[String]) -> String {
    let Some(best) = r.config(&r.run.best) else {
        return String::new();
    };
    if best.per_group.len() < 2 {
        return String::new();
    }
    let h = r.headline();
    let mut s = format!(
        "## Per-group scores: {}\n\nEach group's items scored alone (predictions pooled over repeats). Small groups \
         swing widely; read n before the number.\n\n{}| group | n | {} | accuracy |\n|---|---:|---:|---:|\n",
        crate::format::code(&best.id),
        chart(charts, "charts/per-group.png", "per-group scores")
            .map(|c| format!("{c}\n"))
            .unwrap_or_default(),
        escape(h.label())
    );
    for g in &best.per_group {
        let get = |m| {
            g.metrics
                .get(&m)
                .map_or("—".to_string(), |v| crate::format::num(*v))
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            escape(&g.group),
            g.n,
            get(h),
            get(stance_eval::MetricName::Accuracy)
        );
    }
    s.push('\n');
    s
}
