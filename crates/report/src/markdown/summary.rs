//! The report's opening: title, the headline summary, and what the data's size allows one to conclude.

use std::fmt::Write;

use crate::format::{code, escape, est, num, p_phrase};
use stance_eval::results::ConfigResult;
use stance_eval::splits::{GroupBy, Scheme};
use stance_experiment::DataSpec;
use stance_results::RunReport;

/// Title, description, and the two summary paragraphs (data and evaluation; best and baseline).
pub(super) fn title_and_summary(r: &RunReport, best: &ConfigResult) -> String {
    let mut s = String::new();
    let h = r.headline();
    let hl = h.label();
    let _ = writeln!(s, "# Stance report: {}\n", escape(&r.experiment.name));
    if !r.experiment.config.description.trim().is_empty() {
        let _ = writeln!(s, "{}\n", escape(r.experiment.config.description.trim()));
    }
    let counts: Vec<String> = r
        .data
        .classes
        .iter()
        .zip(&r.data.class_counts)
        .map(|(c, n)| format!("{n} {}", escape(c)))
        .collect();
    let _ = writeln!(
        s,
        "**Data:** {} items ({}). **Evaluation:** {}. **Headline:** {} on pooled out-of-fold predictions, with 95% \
         bootstrap intervals ({} resamples of {}s).\n",
        r.data.n_items,
        counts.join(", "),
        describe_scheme(r),
        match &r.experiment.config.favg_classes {
            Some(c) if h == stance_eval::MetricName::FAvg => format!(
                "{hl} (here the mean F1 of {}, as favg_classes declares)",
                c.iter().map(|c| escape(c)).collect::<Vec<_>>().join(" and ")
            ),
            _ => hl.to_string(),
        },
        r.run.evaluation.bootstrap,
        r.run.evaluation.bootstrap_unit
    );
    let n_sig = r.run.comparisons.iter().filter(|c| c.significant).count();
    let _ = writeln!(
        s,
        "**Best:** {} with {} {}.{} {} of the {} other ranked configurations differ significantly from it.\n",
        code(&best.id),
        hl,
        est(&best.metrics[&h]),
        vs_majority(r).unwrap_or_default(),
        n_sig,
        r.run.comparisons.len()
    );
    s
}

/// The sentence comparing the best with the majority-class baseline, when the run has one.
fn vs_majority(r: &RunReport) -> Option<String> {
    let m = r.majority_baseline()?;
    let d = r.run.comparisons.iter().find(|c| c.config == m.id);
    let verdict = d.map(|d| {
        let p = p_phrase(d.p_holm);
        if d.significant {
            format!(
                "; the best configuration is significantly better (exact paired permutation test on the headline, \
                 {p}, Holm-adjusted)"
            )
        } else {
            format!(
                "; the difference from the best is not significant (exact paired permutation test on the \
                 headline, {p}, Holm-adjusted)"
            )
        }
    });
    Some(format!(
        " The majority-class baseline scores {}{}.",
        est(&m.metrics[&r.headline()]),
        verdict.unwrap_or_default()
    ))
}

/// "What this data can and cannot tell".
pub(super) fn what_the_data_can_tell(r: &RunReport) -> String {
    format!(
        "## What this data can and cannot tell\n\n{}\n\n{}",
        power_paragraph(r),
        systems_paragraph(r)
    )
}

/// What the scores of outside systems mean (empty without systems).
fn systems_paragraph(r: &RunReport) -> String {
    let systems: Vec<String> = r
        .run
        .configs
        .iter()
        .filter_map(|c| {
            let source = c.system.as_ref()?;
            Some(format!("{} ({})", code(&c.id), escape(&source.describe())))
        })
        .collect();
    if systems.is_empty() {
        return String::new();
    }
    format!(
        "**Outside systems were not cross-validated by the harness:** {}. Their predictions were made elsewhere, by \
         models that may have been trained or tuned on these very items, so their scores can be optimistic in a way \
         no interval here shows, and none of them is ever chosen as the best. They are scored on the same items, \
         folds and bootstrap resamples as every other configuration, so their intervals and paired tests are \
         comparable; each item has one prediction, the same in every repeat, so their split-to-split variation is \
         0 by construction.\n\n",
        systems.join("; ")
    )
}

/// What a grouping means in this run's data: the CSV column `data.group` names (`'topic'`), the seed document,
/// or the stance holder.
fn group_name(r: &RunReport, by: GroupBy) -> String {
    match (&r.experiment.config.data, by) {
        (_, GroupBy::Holder) => "stance holder".to_string(),
        (DataSpec::Csv(t), _) => t.group.as_ref().map_or_else(
            || by.name().to_string(),
            |c| format!("column '{}'", escape(c)),
        ),
        (DataSpec::Gold(_), _) => "seed document".to_string(),
    }
}

fn describe_scheme(r: &RunReport) -> String {
    let e = &r.run.evaluation;
    let by = e.group.unwrap_or(GroupBy::Doc);
    let mut d = match e.scheme {
        Scheme::StratifiedKfold => {
            format!("stratified {}-fold cross-validation", e.k.unwrap_or(0))
        }
        Scheme::GroupKfold => format!(
            "group {}-fold cross-validation by {}",
            e.k.unwrap_or(0),
            group_name(r, by)
        ),
        Scheme::LeaveOneGroupOut => format!("leave-one-group-out by {}", group_name(r, by)),
        Scheme::LeaveOneOut => "leave-one-out cross-validation".to_string(),
        Scheme::FixedSplit => "the data's fixed train/test split".to_string(),
    };
    if e.repeats > 1 {
        let _ = write!(d, ", repeated {} times", e.repeats);
    }
    let _ = write!(d, " ({} folds, seed {})", e.n_folds, e.seed);
    if let Some(pg) = &e.per_group {
        let _ = write!(
            d,
            ", with one model per group (grouped by {}: {} groups, {} models per configuration) and the groups' predictions \
             concatenated before scoring, as in SemEval-2016 Task 6; each group's own score is under \
             \"Per-group scores\"",
            group_name(r, pg.by),
            pg.groups,
            pg.models
        );
    }
    d
}

fn power_paragraph(r: &RunReport) -> String {
    let p = &r.run.power;
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
    if let Some(hw) = p.headline_difference_halfwidth {
        let _ = write!(
            s,
            "A difference in {} between two configurations comes with a 95% interval about ±{} wide here (median \
             over the comparisons with the best), so smaller differences in the headline are not detectable. ",
            r.headline().label(),
            num(hw)
        );
    }
    let _ = write!(s, "{} ", crate::text::power_sentence(r));
    let floor = p
        .min_detectable_headline_difference
        .unwrap_or(1.0)
        .max(p.min_detectable_accuracy_difference);
    if p.n_units.max(p.n_items) < 2 * p.min_discordant as usize || floor >= 0.2 {
        s.push_str(
            "**The ranking above is therefore not evidence that one feature set beats another**; it can show gross \
             failures (a model below the majority baseline) and it is the data-size floor to improve on. More gold \
             data, not more models, is what would narrow these intervals.",
        );
    } else {
        s.push_str(
            "Here the intervals, not that floor, are the limit: differences smaller than the intervals above should \
             not be read as real, significant or not.",
        );
    }
    s
}
