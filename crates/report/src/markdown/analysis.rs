//! The explanatory sections: top features of the detailed configurations and the best's error analysis.

use std::fmt::Write;

use super::MAX_ERRORS;
use crate::format::{code, escape};
use stance_eval::results::{ConfigResult, TopFeatures};
use stance_eval::store::SpillError;
use stance_results::RunReport;

/// "Top features": weights per class for linear models, impurity importance for trees, for the configurations
/// `[report] top_features` names (the only ones refitted for them), in leaderboard order.
pub(super) fn top_features(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Top features\n");
    if let Some(pg) = &r.run.evaluation.per_group {
        let _ = writeln!(
            s,
            "None: this run trains one model per {} ({} groups), so there is no single model to explain, and a \
             model refitted on all items would not be any of the models scored above. Behavioural tests are \
             skipped for the same reason.\n",
            pg.by, pg.groups
        );
        return s;
    }
    let _ = writeln!(
        s,
        "From each model refitted on all {} items (for explanation only; the scores above are out-of-fold). Linear \
         models list the largest weights toward each class; trees list impurity importance.\n",
        r.data.n_items
    );
    let shown: Vec<&ConfigResult> = r
        .run
        .leaderboard
        .iter()
        .filter_map(|id| r.config(id))
        .filter(|c| c.top_features.is_some())
        .collect();
    let named = r
        .experiment
        .config
        .report
        .as_ref()
        .map_or_else(stance_experiment::default_top_features, |t| {
            t.top_features.clone()
        });
    let _ = writeln!(
        s,
        "Shown for {} (`[report] top_features = [{}]`; name configurations there, or `\"all\"`, to see others).\n",
        if shown.is_empty() {
            "no configuration".to_string()
        } else {
            shown.iter().map(|c| code(&c.id)).collect::<Vec<_>>().join(", ")
        },
        named.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
    );
    for c in &shown {
        if let Some(top) = &c.top_features {
            feature_block(&mut s, &c.id, top);
        }
    }
    if shown.is_empty() {
        let _ = writeln!(s, "No model among them has weights or importances.\n");
    }
    s
}

fn feature_list(features: &[(String, f64)]) -> Vec<String> {
    features
        .iter()
        .map(|(f, w)| format!("{} ({:.3})", code(f), w))
        .collect()
}

fn feature_block(s: &mut String, id: &str, top: &TopFeatures) {
    match top {
        TopFeatures::PerClass { classes } => {
            let _ = writeln!(s, "**{}**\n", code(id));
            let _ = writeln!(s, "| class | top features (weight) |");
            let _ = writeln!(s, "|---|---|");
            for cf in classes {
                let list = feature_list(&cf.features);
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
        TopFeatures::Importance { features } => {
            let list = feature_list(features);
            let _ = writeln!(
                s,
                "**{}** importance: {}\n",
                code(id),
                if list.is_empty() {
                    "no splits".into()
                } else {
                    list.join(", ")
                }
            );
        }
    }
}

/// "Error analysis": every statement the best gets wrong in some repeat, most often wrong first; then the same
/// for every outside system.
pub(super) fn error_analysis(r: &RunReport, best: &ConfigResult) -> Result<String, SpillError> {
    let mut s = errors_of(r, best, "the best configuration", "")?;
    for c in r.run.configs.iter().filter(|c| c.system.is_some()) {
        s.push_str(&errors_of(r, c, "this outside system", " *(system)*")?);
    }
    Ok(s)
}

/// One configuration's error-analysis section; `who` names it in the text, `mark` follows its id in the title.
fn errors_of(
    r: &RunReport,
    best: &ConfigResult,
    who: &str,
    mark: &str,
) -> Result<String, SpillError> {
    let mut s = String::new();
    let _ = writeln!(s, "## Error analysis: {}{mark}\n", code(&best.id));
    let errors = error_rows(r, best)?;
    if errors.is_empty() {
        let _ = writeln!(s, "Every item is predicted correctly in most repeats.\n");
        return Ok(s);
    }
    let _ = writeln!(
        s,
        "Every statement {who} gets wrong in at least one repeat ({} of {}), most often wrong \
         first. *Predicted* is the most frequent wrong prediction over repeats; *confidence* is the model's mean \
         probability for that class when it has probabilities.\n",
        errors.len(),
        r.run.items.len()
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
            "\n{} more in `{}`.",
            errors.len() - MAX_ERRORS,
            r.predictions_file()
        );
    }
    let _ = writeln!(s);
    Ok(s)
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

fn error_rows(r: &RunReport, c: &ConfigResult) -> Result<Vec<ErrorRow>, SpillError> {
    let k = r.data.classes.len();
    let ci = r
        .run
        .configs
        .iter()
        .position(|x| x.id == c.id)
        .expect("a configuration of this report");
    let oof = r.oof(ci);
    let proba = mean_probabilities(r, ci)?;
    let mut rows = Vec::new();
    for (i, item) in r.run.items.iter().enumerate() {
        let votes = oof.votes(i);
        let total = oof.times_tested(i) as usize;
        let wrong = total - votes[item.gold] as usize;
        if total == 0 || wrong == 0 {
            continue;
        }
        // The most frequent *wrong* prediction: the gold class is out of the running (ties: the lower index).
        let predicted = (0..k)
            .filter(|&c| c != item.gold)
            .max_by(|&a, &b| votes[a].cmp(&votes[b]).then(b.cmp(&a)))
            .expect("a wrong prediction exists");
        rows.push(ErrorRow {
            id: item.id.clone(),
            holder: item.holder.clone().unwrap_or_default(),
            text: item.text.clone(),
            gold: r.data.classes[item.gold].clone(),
            predicted: r.data.classes[predicted].clone(),
            wrong,
            total,
            confidence: proba.mean(i, predicted),
        });
    }
    rows.sort_by(|a, b| {
        (b.wrong * a.total)
            .cmp(&(a.wrong * b.total))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(rows)
}

/// Per item, the model's class probabilities summed over the repeats that have them, and how many do.
struct ProbaSums {
    k: usize,
    sums: Vec<f64>,
    with_proba: Vec<usize>,
}

impl ProbaSums {
    /// The model's mean probability for `class` on `item`, over the repeats that have probabilities.
    fn mean(&self, item: usize, class: usize) -> Option<f64> {
        let n = self.with_proba[item];
        (n > 0).then(|| self.sums[item * self.k + class] / n as f64)
    }
}

/// Configuration `ci`'s probabilities summed per item, repeat by repeat (one repeat held at a time: a large run's
/// are read back from its spill file).
fn mean_probabilities(r: &RunReport, ci: usize) -> Result<ProbaSums, SpillError> {
    let (n, k) = (r.run.items.len(), r.data.classes.len());
    let mut out = ProbaSums {
        k,
        sums: vec![0.0; n * k],
        with_proba: vec![0; n],
    };
    for repeat in 0..r.repeats_of(ci) {
        let preds = r.repeat_predictions(ci, repeat)?;
        for (i, p) in preds.iter().enumerate().take(n) {
            if let Some(v) = p.as_ref().and_then(|p| p.proba.as_ref()) {
                out.with_proba[i] += 1;
                for (s, x) in out.sums[i * k..(i + 1) * k].iter_mut().zip(v) {
                    *s += x;
                }
            }
        }
    }
    Ok(out)
}
