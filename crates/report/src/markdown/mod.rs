//! `report.md`: the report a person reads in a minute.
//!
//! Rendered only from a [`RunReport`] (nothing is recomputed), one function per section; [`render`] concatenates
//! them. Every piece of user text (statements, ids, holder and feature names) passes through
//! [`escape`](crate::format::escape), so a `|` or a newline in a statement cannot break a table.

mod analysis;
mod extras;
mod results;
mod summary;
mod tuning;

use stance_eval::results::ConfigResult;
use stance_eval::store::SpillError;
use stance_results::RunReport;

/// Most misclassified statements listed in the error-analysis table.
pub const MAX_ERRORS: usize = 200;

/// Configurations shown in the per-class and top-feature sections.
pub const DETAIL_CONFIGS: usize = 5;

/// Renders the Markdown report; `charts` lists the chart files written beside it (relative paths). Fails only
/// when a large run's predictions cannot be read back from their spill file (the error analysis reads them).
pub fn render(r: &RunReport, charts: &[String]) -> Result<String, SpillError> {
    let best = r.config(&r.run.best).expect("best exists");
    let detail = detail_configs(r);
    Ok([
        summary::title_and_summary(r, best),
        summary::what_the_data_can_tell(r),
        results::leaderboard(r, best, charts),
        results::per_class(&detail, charts),
        results::confusion(r, best, charts),
        tuning::tuning(r),
        analysis::top_features(r),
        analysis::error_analysis(r, best)?,
        extras::per_group(r, charts),
        extras::ablation(r, charts),
        extras::learning_curve(r, charts),
        extras::behaviour(r, charts),
        extras::warnings(r),
        extras::reproduce(r),
    ]
    .concat())
}

/// The chart's image line when that chart was drawn (a section without data draws none).
fn chart(charts: &[String], name: &str, alt: &str) -> Option<String> {
    charts
        .iter()
        .find(|c| c.as_str() == name)
        .map(|c| format!("![{alt}]({c})\n"))
}

/// The configurations worth detailing: the best few ranked models, every outside system, then every baseline for
/// reference.
fn detail_configs(r: &RunReport) -> Vec<&ConfigResult> {
    let ranked = || r.run.leaderboard.iter().filter_map(|id| r.config(id));
    let mut out: Vec<&ConfigResult> = ranked()
        .filter(|c| !c.baseline && c.system.is_none())
        .take(DETAIL_CONFIGS)
        .collect();
    out.extend(ranked().filter(|c| c.system.is_some()));
    out.extend(ranked().filter(|c| c.baseline));
    out
}
