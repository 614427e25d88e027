//! Predictions in the SemEval-2016 Task 6 submission format (`ID<TAB>Target<TAB>Tweet<TAB>Stance`, one header
//! line), so the task's official scorer (`eval.pl gold guess`) can be run on a report's out-of-fold predictions.
//!
//! * **Target** is the item's group (the CSV's group column, or the gold statement's seed document): the column
//!   per-group runs train one model per value of.
//! * **Stance** is the task's label: `support`/`favor`/`pro` → `FAVOR`, `oppose`/`against`/`con` → `AGAINST` (case-insensitive),
//!   every other class → `NONE`. The official scorer averages the F1 of FAVOR and AGAINST only, so a class mapped to
//!   `NONE` counts as neither, which is how that scorer treats the task's own NONE class.
//! * Only items the run tested are written (a fixed split's test side). An item tested in several repeats gets its
//!   most frequent prediction; a tie between classes goes to the lower class index (the experiment's class order).
//! * Tabs and line breaks inside a statement become spaces: the format has no quoting.

use stance_eval::oof::OutOfFold;
use stance_eval::results::ConfigResult;
use stance_results::RunReport;

/// Why a submission file cannot be made from a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmissionError {
    /// No configuration has the requested id.
    #[error("the report has no configuration '{config}'; it has: {known}")]
    UnknownConfig {
        /// The requested id.
        config: String,
        /// The ids it has, comma-separated.
        known: String,
    },
    /// The report left its predictions out of report.json (very large runs).
    #[error(
        "the report left its predictions out of report.json (over the size limit), so no submission can be made \
         from it; re-run with fewer repeats or configurations"
    )]
    PredictionsOmitted,
    /// The configuration holds no predictions at all (an edited report).
    #[error(
        "configuration '{0}' has no out-of-fold predictions in report.json (an edited or damaged report), so no \
         submission can be made from it; re-run the experiment"
    )]
    NoPredictions(String),
}

/// Which column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The configuration's predictions (the scorer's "guess" file).
    Guess,
    /// The gold labels of the same items (the scorer's "gold" file).
    Gold,
}

/// The SemEval label for a class name.
pub fn semeval_label(class: &str) -> &'static str {
    match class.to_ascii_lowercase().as_str() {
        "support" | "favor" | "favour" | "pro" => "FAVOR",
        "oppose" | "against" | "con" => "AGAINST",
        _ => "NONE",
    }
}

/// The configuration `config` of `report` (`None`: the report's best).
pub fn find_config<'a>(
    report: &'a RunReport,
    config: Option<&str>,
) -> Result<&'a ConfigResult, SubmissionError> {
    let want = config.unwrap_or(&report.run.best);
    report
        .run
        .configs
        .iter()
        .find(|c| c.id == want)
        .ok_or_else(|| SubmissionError::UnknownConfig {
            config: want.to_string(),
            known: report
                .run
                .configs
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The submission file's text for one configuration: the guess (its predictions) or the gold side, same items in
/// the same (data) order.
pub fn submission(
    report: &RunReport,
    config: &ConfigResult,
    side: Side,
) -> Result<String, SubmissionError> {
    if report.predictions_omitted {
        return Err(SubmissionError::PredictionsOmitted);
    }
    if config.predictions.is_empty() {
        return Err(SubmissionError::NoPredictions(config.id.clone()));
    }
    let classes = &report.data.classes;
    let oof = OutOfFold::new(config.predictions.clone(), classes.len());
    let mut s = String::from("ID\tTarget\tTweet\tStance\n");
    for (i, item) in report.run.items.iter().enumerate() {
        let votes = oof.votes(i);
        if votes.iter().all(|&v| v == 0) {
            continue;
        }
        let class = match side {
            // max_by_key keeps the last maximum; scanning in reverse makes the lowest index win a tie.
            Side::Guess => (0..classes.len())
                .rev()
                .max_by_key(|&c| votes[c])
                .unwrap_or(0),
            Side::Gold => item.gold,
        };
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            flat(&item.id),
            flat(item.doc.as_deref().unwrap_or("")),
            flat(&item.text),
            semeval_label(&classes[class])
        ));
    }
    Ok(s)
}

/// One line of text: tabs and line breaks become spaces.
fn flat(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_to_the_task_names() {
        assert_eq!(semeval_label("support"), "FAVOR");
        assert_eq!(semeval_label("FAVOR"), "FAVOR");
        assert_eq!(semeval_label("Oppose"), "AGAINST");
        assert_eq!(semeval_label("against"), "AGAINST");
        assert_eq!(semeval_label("neutral"), "NONE");
        assert_eq!(semeval_label("none"), "NONE");
    }

    #[test]
    fn statements_stay_on_one_line() {
        assert_eq!(flat("a\tb\nc\r\nd"), "a b c  d");
    }
}
