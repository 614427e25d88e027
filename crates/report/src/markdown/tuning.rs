//! "Tuning": for configurations whose parameters were given as lists, the grid, the value nested
//! cross-validation chose on each outer training fold, and the value the refit on all items used.

use std::fmt::Write;

use crate::format::escape;
use stance_core::tunable::describe;
use stance_eval::results::TuningResult;
use stance_results::RunReport;

/// The section (empty when nothing was tuned).
pub(super) fn tuning(r: &RunReport) -> String {
    let mut s = String::new();
    let tuned: Vec<(&str, &TuningResult)> = r
        .run
        .configs
        .iter()
        .filter_map(|c| c.tuning.as_ref().map(|t| (c.id.as_str(), t)))
        .collect();
    let Some((_, first)) = tuned.first() else {
        return s;
    };
    let metric = r.headline().label();
    let _ = writeln!(s, "## Tuning\n");
    let _ = writeln!(
        s,
        "{} configuration(s) give parameters as lists. Each was tuned by nested cross-validation: an inner {} \
         chose the candidate with the highest mean {metric} over the inner validation \
         folds (exact ties: the value listed first); the chosen model, refitted on the whole outer training fold, \
         predicted the outer test fold. The scores above are those outer scores, so they are not inflated by the \
         choice. Feature sets are refitted on the inner training rows only.\n",
        tuned.len(),
        escape(&first.inner)
    );
    for (id, t) in tuned {
        let _ = writeln!(s, "### {}\n", escape(id));
        let _ = writeln!(s, "Grid: {}.\n", escape(&describe(&t.grid)));
        let _ = writeln!(
            s,
            "| candidate | chosen in outer folds | mean inner {metric} (over outer folds) |"
        );
        let _ = writeln!(s, "|---|---:|---:|");
        for (i, cand) in t.candidates.iter().enumerate() {
            let scored: Vec<f64> = t
                .per_fold
                .iter()
                .filter_map(|f| f.inner_scores.get(i).copied())
                .collect();
            let mean = if scored.is_empty() {
                "—".to_string()
            } else {
                format!("{:.3}", scored.iter().sum::<f64>() / scored.len() as f64)
            };
            let _ = writeln!(
                s,
                "| {} | {} of {} | {mean} |",
                escape(cand),
                t.chosen_counts[i],
                t.per_fold.len()
            );
        }
        let per_fold: Vec<String> = t
            .per_fold
            .iter()
            .map(|f| {
                format!(
                    "r{}f{} {}",
                    f.repeat.unwrap_or(0),
                    f.fold.unwrap_or(0),
                    escape(&f.chosen)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "\nChosen per outer fold (repeat r, fold f): {}.\n",
            per_fold.join(" · ")
        );
        let mut inner: Vec<usize> = t.per_fold.iter().map(|f| f.inner_folds).collect();
        inner.sort_unstable();
        inner.dedup();
        if inner.iter().any(|&k| k > 0) {
            let list: Vec<String> = inner.iter().map(|k| k.to_string()).collect();
            let _ = writeln!(s, "Inner folds used: {}.\n", list.join(", "));
        }
        if let Some(f) = &t.refit {
            let _ = writeln!(
                s,
                "Refit on all items (top features, behavioural tests, `stance predict`): **{}**{}.\n",
                escape(&f.chosen),
                if f.inner_folds > 0 {
                    format!(
                        ", chosen by the same inner cross-validation on all items ({} folds, mean {metric} {:.3})",
                        f.inner_folds,
                        f.inner_scores[t.candidates.iter().position(|c| *c == f.chosen).unwrap_or(0)]
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    s
}
