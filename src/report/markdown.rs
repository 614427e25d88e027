//! `report.md`: the report a person reads in a minute.
//!
//! Rendered only from a [`RunReport`] (nothing is recomputed). Every piece of user text (statements, ids, holder
//! and feature names) passes through [`escape`], so a `|` or a newline in a statement cannot break a table.

use std::fmt::Write;

use crate::eval::results::{ConfigResult, Estimate, TopFeatures};
use crate::eval::splits::{GroupBy, Scheme};
use crate::eval::MetricName;
use crate::report::model::RunReport;

/// Most misclassified statements listed in the error-analysis table.
pub const MAX_ERRORS: usize = 200;

/// Configurations shown in the per-class and top-feature sections.
pub const DETAIL_CONFIGS: usize = 5;

/// Escapes text for a Markdown table cell: pipes, emphasis and link characters, HTML, and line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats text as an inline code span inside a table cell: only `|` needs escaping there (GitHub-flavoured
/// Markdown honours `\|` even inside code spans); backticks and line breaks are replaced.
pub fn code(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", inner.replace('|', "\\|"))
}

/// A p-value for display (`<0.001` below a thousandth).
pub fn pval(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// "p = 0.289" or "p < 0.001", for prose.
fn p_phrase(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    }
}

/// A share with enough digits to be non-zero when it is small (0.545, 0.0010).
fn share(v: f64) -> String {
    if v >= 0.01 || v == 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

fn num(v: f64) -> String {
    format!("{v:.3}")
}

fn est(e: &Estimate) -> String {
    match (e.lower, e.upper) {
        (Some(lo), Some(hi)) => format!("{} [{}, {}]", num(e.point), num(lo), num(hi)),
        _ => num(e.point),
    }
}

fn signed(e: &Estimate) -> String {
    match (e.lower, e.upper) {
        (Some(lo), Some(hi)) => format!("{:+.3} [{:+.3}, {:+.3}]", e.point, lo, hi),
        _ => format!("{:+.3}", e.point),
    }
}

fn chart(charts: &[String], name: &str, alt: &str) -> Option<String> {
    charts
        .iter()
        .find(|c| c.as_str() == name)
        .map(|c| format!("![{alt}]({c})\n"))
}

/// Renders the Markdown report; `charts` lists the chart files written beside it (relative paths).
pub fn render(r: &RunReport, charts: &[String]) -> String {
    let mut s = String::new();
    let h = r.headline();
    let hl = h.label().to_string();
    let best = r.config(&r.best).expect("best exists");
    let majority = r.majority_baseline();
    let _ = writeln!(s, "# Stance report: {}\n", escape(&r.experiment.name));
    if !r.experiment.config.description.trim().is_empty() {
        let _ = writeln!(s, "{}\n", escape(r.experiment.config.description.trim()));
    }

    // Headline summary.
    let counts: Vec<String> = r
        .data
        .classes
        .iter()
        .zip(&r.data.class_counts)
        .map(|(c, n)| format!("{n} {}", escape(c)))
        .collect();
    let scheme = describe_scheme(r);
    let _ = writeln!(
        s,
        "**Data:** {} items ({}). **Evaluation:** {}. **Headline:** {} on pooled out-of-fold predictions, with 95% \
         bootstrap intervals ({} resamples of {}s).\n",
        r.data.n_items,
        counts.join(", "),
        scheme,
        hl,
        r.evaluation.bootstrap,
        r.evaluation.bootstrap_unit
    );
    let vs_majority = majority.map(|m| {
        let d = r.comparisons.iter().find(|c| c.config == m.id);
        format!(
            " The majority-class baseline scores {}{}.",
            est(&m.metrics[&h]),
            d.map(|d| if d.significant {
                format!(
                    "; the best configuration is significantly better (McNemar {}, Holm-adjusted)",
                    p_phrase(d.p_holm)
                )
            } else {
                format!(
                    "; the difference from the best is not significant (McNemar {}, Holm-adjusted)",
                    p_phrase(d.p_holm)
                )
            })
            .unwrap_or_default()
        )
    });
    let n_sig = r.comparisons.iter().filter(|c| c.significant).count();
    let _ = writeln!(
        s,
        "**Best:** {} with {} {}.{} {} of the {} other ranked configurations differ significantly from it.\n",
        code(&best.id),
        hl,
        est(&best.metrics[&h]),
        vs_majority.unwrap_or_default(),
        n_sig,
        r.comparisons.len()
    );

    // What the data can and cannot tell.
    let _ = writeln!(s, "## What this data can and cannot tell\n");
    let _ = writeln!(s, "{}\n", power_paragraph(r));

    // Leaderboard.
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
    let _ = write!(s, "| # | configuration | {} (95% CI) |", escape(&hl));
    for k in &other {
        let _ = write!(s, " {} |", escape(k.label()));
    }
    let _ = writeln!(s, " Δ vs best (95% CI) | McNemar p (Holm) |");
    let _ = write!(s, "|---:|---|---|");
    for _ in &other {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s, "---|---:|");
    for (rank, id) in r.leaderboard.iter().enumerate() {
        let c = r.config(id).expect("leaderboard ids exist");
        let name = if c.baseline {
            format!("{} *(baseline)*", escape(id))
        } else {
            code(id)
        };
        let _ = write!(s, "| {} | {} | {} |", rank + 1, name, est(&c.metrics[&h]));
        for k in &other {
            let _ = write!(s, " {} |", num(c.metrics[k].point));
        }
        if *id == r.best {
            let _ = writeln!(s, " best | — |");
        } else if let Some(cmp) = r.comparisons.iter().find(|x| x.config == *id) {
            let mark = if cmp.significant { " **\\***" } else { "" };
            let _ = writeln!(
                s,
                " {} | {:.3}{} |",
                signed(&cmp.difference),
                cmp.p_holm,
                mark
            );
        } else {
            let _ = writeln!(s, " | |");
        }
    }
    let _ = writeln!(
        s,
        "\nΔ is the configuration's {hl} minus the best's, with a paired-bootstrap interval (same resamples). p is \
         McNemar's exact test on items each model gets right in most repeats, Holm-adjusted over all {} comparisons; \
         **\\*** marks p < {}.",
        r.comparisons.len(),
        r.evaluation.alpha
    );
    if r.evaluation.repeats > 1 {
        let _ = writeln!(
            s,
            "Split-to-split variation (standard deviation of {hl} across the {} repeats) of the best configuration: {}.",
            r.evaluation.repeats,
            best.repeat_sd.get(&h).map(|v| num(*v)).unwrap_or_else(|| "—".into())
        );
    }
    let _ = writeln!(s);

    // Per class.
    let detail = detail_configs(r);
    let _ = writeln!(s, "## Per-class results\n");
    if let Some(c) = chart(charts, "charts/per-class-f1.png", "per-class F1") {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(
        s,
        "| configuration | class | support | precision | recall | F1 |"
    );
    let _ = writeln!(s, "|---|---|---:|---|---|---|");
    for c in &detail {
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

    // Confusion matrix of the best.
    let _ = writeln!(s, "## Confusion matrix of the best configuration\n");
    if let Some(c) = chart(charts, "charts/confusion.png", "confusion matrices") {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(
        s,
        "{} — rows are gold classes, columns are predicted classes; counts pooled over {} repeat(s), so each \
         item is counted once per repeat.\n",
        code(&best.id),
        r.evaluation.repeats
    );
    let _ = write!(s, "| gold \\\\ predicted |");
    for c in &r.data.classes {
        let _ = write!(s, " {} |", escape(c));
    }
    let _ = writeln!(s);
    let _ = write!(s, "|---|");
    for _ in &r.data.classes {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    for (g, row) in best.confusion.iter().enumerate() {
        let _ = write!(s, "| **{}** |", escape(&r.data.classes[g]));
        for v in row {
            let _ = write!(s, " {v} |");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);

    // Top features.
    let _ = writeln!(s, "## Top features\n");
    let _ = writeln!(
        s,
        "From each model refitted on all {} items (for explanation only; the scores above are out-of-fold). Linear \
         models list the largest weights toward each class; trees list impurity importance.\n",
        r.data.n_items
    );
    let mut any = false;
    for c in &detail {
        match &c.top_features {
            Some(TopFeatures::PerClass { classes }) => {
                any = true;
                let _ = writeln!(s, "**{}**\n", code(&c.id));
                let _ = writeln!(s, "| class | top features (weight) |");
                let _ = writeln!(s, "|---|---|");
                for cf in classes {
                    let list: Vec<String> = cf
                        .features
                        .iter()
                        .map(|(f, w)| format!("{} ({:.3})", code(f), w))
                        .collect();
                    let _ = writeln!(
                        s,
                        "| {} | {} |",
                        escape(&cf.class),
                        if list.is_empty() {
                            "—".into()
                        } else {
                            list.join(", ")
                        }
                    );
                }
                let _ = writeln!(s);
            }
            Some(TopFeatures::Importance { features }) => {
                any = true;
                let list: Vec<String> = features
                    .iter()
                    .map(|(f, w)| format!("{} ({:.3})", code(f), w))
                    .collect();
                let _ = writeln!(
                    s,
                    "**{}** importance: {}\n",
                    code(&c.id),
                    if list.is_empty() {
                        "no splits".into()
                    } else {
                        list.join(", ")
                    }
                );
            }
            None => {}
        }
    }
    if !any {
        let _ = writeln!(
            s,
            "No model among the configurations shown has weights or importances.\n"
        );
    }

    // Error analysis.
    let _ = writeln!(s, "## Error analysis: {}\n", code(&best.id));
    let errors = error_rows(r, best);
    if errors.is_empty() {
        let _ = writeln!(s, "Every item is predicted correctly in most repeats.\n");
    } else {
        let _ = writeln!(
            s,
            "Every statement the best configuration gets wrong in at least one repeat ({} of {}), most often wrong \
             first. *Predicted* is the most frequent wrong prediction over repeats; *confidence* is the model's mean \
             probability for that class when it has probabilities.\n",
            errors.len(),
            r.items.len()
        );
        let _ = writeln!(
            s,
            "| id | holder | statement | gold | predicted | wrong in | confidence |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---:|---:|");
        for e in errors.iter().take(MAX_ERRORS) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {}/{} | {} |",
                escape(&e.id),
                escape(&e.holder),
                escape(&e.text),
                escape(&e.gold),
                escape(&e.predicted),
                e.wrong,
                e.total,
                e.confidence
                    .map(|c| format!("{c:.2}"))
                    .unwrap_or_else(|| "—".into())
            );
        }
        if errors.len() > MAX_ERRORS {
            let _ = writeln!(
                s,
                "\n{} more in `predictions.csv`.",
                errors.len() - MAX_ERRORS
            );
        }
        let _ = writeln!(s);
    }

    if let Some(rows) = &r.ablation {
        let _ = writeln!(s, "## Ablation\n");
        if let Some(c) = chart(charts, "charts/ablation.png", "ablation") {
            let _ = writeln!(s, "{c}");
        }
        let _ = writeln!(
            s,
            "| classifier | variant | {hl} (95% CI) | Δ vs full (95% CI) | McNemar p |"
        );
        let _ = writeln!(s, "|---|---|---|---|---:|");
        for a in rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                escape(&a.classifier),
                escape(&a.variant),
                est(&a.headline),
                if a.left_out.is_some() {
                    signed(&a.delta)
                } else {
                    "—".into()
                },
                pval(a.p_value)
            );
        }
        let _ = writeln!(
            s,
            "\nA negative Δ is what the left-out extractor contributes (unadjusted p-values).\n"
        );
    }
    if let Some(points) = &r.learning_curve {
        let _ = writeln!(s, "## Learning curve\n");
        if let Some(c) = chart(charts, "charts/learning-curve.png", "learning curve") {
            let _ = writeln!(s, "{c}");
        }
        let _ = writeln!(
            s,
            "| feature set | classifier | training share | mean training size | {hl} (95% CI) |"
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
    }

    if !r.warnings.is_empty() {
        let _ = writeln!(s, "## Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(s, "- {}", escape(w));
        }
        let _ = writeln!(s);
    }

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
        r.evaluation.seed,
        r.experiment.sha256
    );
    let _ = writeln!(s, "| input | sha256 |\n|---|---|");
    for (k, v) in &r.inputs {
        let _ = writeln!(s, "| {} | `{}` |", escape(k), v);
    }
    s
}

fn describe_scheme(r: &RunReport) -> String {
    let e = &r.evaluation;
    let by = e.group.unwrap_or(GroupBy::Doc);
    let mut d = match e.scheme {
        Scheme::StratifiedKfold => {
            format!("stratified {}-fold cross-validation", e.k.unwrap_or(0))
        }
        Scheme::GroupKfold => format!("group {}-fold cross-validation by {by}", e.k.unwrap_or(0)),
        Scheme::LeaveOneGroupOut => format!("leave-one-group-out by {by}"),
        Scheme::LeaveOneOut => "leave-one-out cross-validation".to_string(),
        Scheme::FixedSplit => "the data's fixed train/test split".to_string(),
    };
    if e.repeats > 1 {
        let _ = write!(d, ", repeated {} times", e.repeats);
    }
    let _ = write!(d, " ({} folds, seed {})", e.n_folds, e.seed);
    d
}

fn power_paragraph(r: &RunReport) -> String {
    let p = &r.power;
    let per_class: Vec<String> = r
        .data
        .classes
        .iter()
        .filter_map(|c| p.per_class.get(c).map(|n| format!("{n} {}", escape(c))))
        .collect();
    let smallest = p.per_class.values().copied().min().unwrap_or(0);
    let mut s = format!(
        "The evaluation rests on {} items ({}). ",
        p.n_items,
        per_class.join(", ")
    );
    if smallest > 0 && smallest < 100 {
        let _ = write!(
            s,
            "In the smallest class one item is {:.0}% of its recall, so a single changed prediction moves per-class \
             scores by that much. ",
            100.0 / smallest as f64
        );
    }
    if let Some(w) = p.best_interval_width {
        let _ = write!(s, "The best configuration's 95% interval is {:.2} wide", w);
        if let Some(m) = p.mean_interval_width {
            let _ = write!(s, " (mean width over the models: {:.2})", m);
        }
        s.push_str(". ");
    }
    if p.min_detectable_accuracy_difference >= 0.2 {
        let _ = write!(
            s,
            "With McNemar's exact test at α = {}, two models must disagree on at least {} items, all in the same \
             direction, before any difference can be significant: no accuracy difference smaller than {} \
             ({} of {} items) is detectable here, whatever the models. ",
            r.evaluation.alpha,
            p.min_discordant,
            share(p.min_detectable_accuracy_difference),
            p.min_discordant,
            p.n_items
        );
        s.push_str(
            "**The ranking above is therefore not evidence that one feature set beats another**; it can show gross \
             failures (a model below the majority baseline) and it is the data-size floor to improve on. More gold \
             data, not more models, is what would narrow these intervals.",
        );
    } else {
        let _ = write!(
            s,
            "McNemar's exact test at α = {} needs at least {} discordant items to call any difference significant \
             (an accuracy difference of {} on {} items), so here the intervals, not that floor, are the limit: \
             differences smaller than the intervals above should not be read as real, significant or not.",
            r.evaluation.alpha,
            p.min_discordant,
            share(p.min_detectable_accuracy_difference),
            p.n_items
        );
    }
    s
}

fn detail_configs(r: &RunReport) -> Vec<&ConfigResult> {
    let mut out: Vec<&ConfigResult> = r
        .leaderboard
        .iter()
        .filter_map(|id| r.config(id))
        .filter(|c| !c.baseline)
        .take(DETAIL_CONFIGS)
        .collect();
    out.extend(
        r.leaderboard
            .iter()
            .filter_map(|id| r.config(id))
            .filter(|c| c.baseline),
    );
    out
}

struct ErrorRow {
    id: String,
    holder: String,
    text: String,
    gold: String,
    predicted: String,
    wrong: usize,
    total: usize,
    confidence: Option<f64>,
}

fn error_rows(r: &RunReport, c: &ConfigResult) -> Vec<ErrorRow> {
    let k = r.data.classes.len();
    let mut rows = Vec::new();
    for (i, item) in r.items.iter().enumerate() {
        let mut counts = vec![0usize; k];
        let mut proba_sum = vec![0.0f64; k];
        let mut with_proba = 0usize;
        for rep in &c.predictions {
            if let Some(p) = &rep[i] {
                counts[p.class] += 1;
                if let Some(v) = &p.proba {
                    with_proba += 1;
                    for (s, x) in proba_sum.iter_mut().zip(v) {
                        *s += x;
                    }
                }
            }
        }
        let total: usize = counts.iter().sum();
        let wrong = total - counts[item.gold];
        if total == 0 || wrong == 0 {
            continue;
        }
        let predicted =
            crate::models::argmax(&counts.iter().map(|&v| v as f64).collect::<Vec<_>>());
        rows.push(ErrorRow {
            id: item.id.clone(),
            holder: item.holder.clone().unwrap_or_default(),
            text: item.text.clone(),
            gold: r.data.classes[item.gold].clone(),
            predicted: r.data.classes[predicted].clone(),
            wrong,
            total,
            confidence: (with_proba > 0).then(|| proba_sum[predicted] / with_proba as f64),
        });
    }
    rows.sort_by(|a, b| {
        (b.wrong * a.total)
            .cmp(&(a.wrong * b.total))
            .then_with(|| a.id.cmp(&b.id))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_escape_only_pipes() {
        assert_eq!(code("lex:world war* (a|b)"), "`lex:world war* (a\\|b)`");
        assert_eq!(code("a`b\nc"), "`a'b c`");
    }

    #[test]
    fn escaping_keeps_tables_intact() {
        assert_eq!(escape("a | b\nc"), "a \\| b<br>c");
        assert_eq!(
            escape("*x* _y_ <b> [l](u)"),
            "\\*x\\* \\_y\\_ &lt;b&gt; \\[l\\](u)"
        );
        assert_eq!(escape("line\r\nnext"), "line<br>next");
        assert!(!escape("| | |\n\n").contains('\n'));
    }
}
