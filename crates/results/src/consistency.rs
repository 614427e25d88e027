//! What every reader of a `report.json` relies on before indexing into it: its lists agree with its counts
//! ([`consistency`]), and how an item's predictions over repeats read in words ([`describe_predictions`]).

use stance_eval::oof::OutOfFold;

use crate::RunReport;

/// Checks what the gate, `stance diff` and `stance submission` index by: at least two classes and one item, every
/// prediction list covers every item, and every class index (gold or predicted) and probability list fits the
/// report's classes.
pub fn consistency(r: &RunReport) -> Result<(), String> {
    let k = r.data.classes.len();
    let n = r.run.items.len();
    if k < 2 {
        return Err(format!(
            "it lists {k} class(es) in data.classes; a run separates at least two"
        ));
    }
    if n == 0 {
        return Err(
            "it has no items: the run evaluated nothing, so there is nothing to compare".into(),
        );
    }
    if let Some(item) = r.run.items.iter().find(|i| i.gold >= k) {
        return Err(format!(
            "item '{}' has gold class index {} but there are {k} classes",
            item.id, item.gold
        ));
    }
    for c in &r.run.configs {
        for (rep, preds) in c.predictions.iter().enumerate() {
            if preds.len() != n {
                return Err(format!(
                    "configuration '{}', repeat {}: {} predictions for {n} items",
                    c.id,
                    rep + 1,
                    preds.len()
                ));
            }
            let bad = preds
                .iter()
                .enumerate()
                .find_map(|(i, p)| p.as_ref().filter(|p| p.class >= k).map(|p| (i, p.class)));
            let bad_proba = preds.iter().enumerate().find_map(|(i, p)| {
                p.as_ref()
                    .and_then(|p| p.proba.as_ref())
                    .filter(|v| v.len() != k)
                    .map(|v| (i, v.len()))
            });
            if let (None, Some((i, len))) = (bad, bad_proba) {
                return Err(format!(
                    "configuration '{}', repeat {}, item '{}': {len} class probabilities but there are {k} classes",
                    c.id,
                    rep + 1,
                    r.run.items[i].id
                ));
            }
            if let Some((i, class)) = bad {
                return Err(format!(
                    "configuration '{}', repeat {}, item '{}': predicted class index {class} but there are {k} \
                     classes",
                    c.id,
                    rep + 1,
                    r.run.items[i].id
                ));
            }
        }
    }
    Ok(())
}

/// An item's predictions over repeats: the class when all agree, else `support 7/10, oppose 3/10`.
pub fn describe_predictions(r: &RunReport, oof: &OutOfFold, i: usize) -> String {
    let total = oof.times_tested(i);
    if total == 0 {
        return "—".into();
    }
    let predicted: Vec<(usize, u32)> = oof
        .votes(i)
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(k, &n)| (k, n))
        .collect();
    if predicted.len() == 1 {
        return r.data.classes[predicted[0].0].clone();
    }
    predicted
        .iter()
        .map(|(k, n)| format!("{} {n}/{total}", r.data.classes[*k]))
        .collect::<Vec<_>>()
        .join(", ")
}
