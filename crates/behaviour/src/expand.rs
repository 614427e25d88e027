//! Expansion of suites into cases: template slots, perturbations, the cap, ids and class mapping.
//!
//! Everything here is deterministic: the cartesian product runs over the slots a template uses, in the order the
//! `fill` table declares them, with the *last* slot varying fastest (like nested loops written in that order);
//! the cap keeps evenly spaced cases of the full expansion rather than the first ones, so a capped test still
//! covers every value of the first slot.

use super::perturb::{typo, Perturbation};
use super::suite::{slot_names, Expect, Input, Located, Slot, Suite, TestSpec, Transform};
use super::{BehaviourError, Case, Expectation};

/// Replaces each `{slot}` by its value in `values` (slot name → value); unknown slots stay as written.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Every combination of values of `slots`, as index vectors, last slot fastest.
pub fn combinations(slots: &[&Slot]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for s in slots {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..s.values.len()).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    out
}

/// The indices kept when `n` items are capped to `max`: evenly spaced, first item always kept, in order.
pub fn cap_indices(n: usize, max: Option<usize>) -> Vec<usize> {
    match max {
        Some(m) if m < n => (0..m).map(|i| i * n / m).collect(),
        _ => (0..n).collect(),
    }
}

/// Slot name → value, for one rendering.
type Assignment<'a> = Vec<(&'a str, &'a str)>;

/// Each rendering of `templates` over the declared slots they use: (rendered texts, slot assignment).
fn expand_templates<'a>(
    templates: &[&str],
    slots: &'a [Slot],
    skip: Option<&str>,
) -> Vec<(Vec<String>, Assignment<'a>)> {
    let used: Vec<String> = templates.iter().flat_map(|t| slot_names(t)).collect();
    let active: Vec<&Slot> = slots
        .iter()
        .filter(|s| used.contains(&s.name) && Some(s.name.as_str()) != skip)
        .collect();
    combinations(&active)
        .into_iter()
        .map(|combo| {
            let assign: Vec<(&str, &str)> = active
                .iter()
                .zip(&combo)
                .map(|(s, &i)| (s.name.as_str(), s.values[i].as_str()))
                .collect();
            (
                templates.iter().map(|t| render(t, &assign)).collect(),
                assign,
            )
        })
        .collect()
}

/// A case before capping and numbering.
struct Candidate {
    line: usize,
    origin: Option<String>,
    texts: Vec<String>,
    /// The original's known guideline label, when there is one (gold, or `original`).
    known: Option<String>,
    /// The typo is drawn once the case id is known, because the id seeds it.
    pending_typo: bool,
}

/// Expands every test of every suite, in suite and file order.
pub fn expand_all(suites: &[Suite]) -> Result<Vec<Case>, BehaviourError> {
    let mut out = Vec::new();
    for s in suites {
        out.extend(expand_suite(s)?);
    }
    Ok(out)
}

/// Expands one suite's tests, in file order.
pub fn expand_suite(suite: &Suite) -> Result<Vec<Case>, BehaviourError> {
    let mut out = Vec::new();
    for t in &suite.tests {
        out.extend(expand_test(suite, t)?);
    }
    Ok(out)
}

/// Expands one test into its cases, ids `<test>.000`, `<test>.001`, … in expansion order.
pub fn expand_test(suite: &Suite, test: &TestSpec) -> Result<Vec<Case>, BehaviourError> {
    let (originals, mut candidates) = inputs(suite, test);
    candidates.extend(perturb_originals(suite, test, originals)?);
    let keep = cap_indices(candidates.len(), test.max_cases);
    let mut cases = Vec::with_capacity(keep.len());
    let mut slots: Vec<Option<Candidate>> = candidates.into_iter().map(Some).collect();
    for (n, i) in keep.into_iter().enumerate() {
        let c = slots[i].take().expect("each index once");
        cases.push(to_case(suite, test, n, c)?);
    }
    Ok(cases)
}

fn invalid(suite: &Suite, line: usize, key: &str, message: String) -> BehaviourError {
    BehaviourError::Invalid {
        path: suite.path.clone(),
        line,
        key: key.to_string(),
        message,
    }
}

/// An original text still to be transformed: (line, origin, text, known label).
type Original = (usize, Option<String>, String, Option<String>);

/// Splits a test's input into originals still to transform and candidates that are already complete (varied
/// templates and pairs carry their second text).
fn inputs(suite: &Suite, test: &TestSpec) -> (Vec<Original>, Vec<Candidate>) {
    let mut originals: Vec<Original> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    match &test.input {
        Input::Texts(v) => {
            originals.extend(
                v.iter()
                    .enumerate()
                    .map(|(k, l)| (l.line, None, l.text.clone(), test.label_of(k))),
            );
        }
        Input::Templates(v) => template_inputs(test, v, &mut originals, &mut candidates),
        Input::Pairs(v) => {
            for (k, (a, b)) in v.iter().enumerate() {
                let declared = test.label_of(k);
                for (texts, _) in
                    expand_templates(&[a.text.as_str(), b.text.as_str()], &test.slots, None)
                {
                    candidates.push(Candidate {
                        line: a.line,
                        origin: None,
                        texts,
                        known: declared.clone(),
                        pending_typo: false,
                    });
                }
            }
        }
        Input::Gold { ids, line } => originals = gold_originals(suite, test, ids, *line),
    }
    (originals, candidates)
}

fn template_inputs(
    test: &TestSpec,
    v: &[Located],
    originals: &mut Vec<Original>,
    candidates: &mut Vec<Candidate>,
) {
    let skip = match &test.transform {
        Transform::Vary(s) => Some(s.as_str()),
        _ => None,
    };
    for (k, Located { text, line }) in v.iter().enumerate() {
        let declared = &test.label_of(k);
        for (texts, assign) in expand_templates(&[text.as_str()], &test.slots, skip) {
            match &test.transform {
                Transform::Vary(slot) => {
                    let values = &test
                        .slots
                        .iter()
                        .find(|s| &s.name == slot)
                        .expect("validated")
                        .values;
                    let with = |v: &str| {
                        let mut a = assign.clone();
                        a.push((slot.as_str(), v));
                        render(text, &a)
                    };
                    let original = with(&values[0]);
                    for v in &values[1..] {
                        candidates.push(Candidate {
                            line: *line,
                            origin: None,
                            texts: vec![original.clone(), with(v)],
                            known: declared.clone(),
                            pending_typo: false,
                        });
                    }
                }
                _ => originals.push((*line, None, texts[0].clone(), declared.clone())),
            }
        }
    }
}

fn gold_originals(
    suite: &Suite,
    test: &TestSpec,
    ids: &Option<Vec<String>>,
    line: usize,
) -> Vec<Original> {
    let picked: Vec<_> = suite
        .gold
        .iter()
        .filter(|g| g.stance != "neutral")
        .filter(|g| ids.as_ref().is_none_or(|ids| ids.contains(&g.id)))
        .collect();
    if test.transform == Transform::Perturb(Perturbation::SwapSentences) {
        // Gold units are single sentences: the two-sentence items are adjacent sentences of one document
        // with the same stance, which keeps the pair's label well defined.
        let mut originals = Vec::new();
        for w in picked.windows(2) {
            let adjacent = w[0].doc == w[1].doc
                && suite
                    .gold
                    .windows(2)
                    .any(|g| g[0].id == w[0].id && g[1].id == w[1].id);
            if adjacent && w[0].stance == w[1].stance {
                originals.push((
                    line,
                    Some(format!("{}+{}", w[0].id, w[1].id)),
                    format!("{} {}", w[0].text, w[1].text),
                    Some(w[0].stance.clone()),
                ));
            }
        }
        originals
    } else {
        picked
            .iter()
            .map(|g| {
                (
                    line,
                    Some(g.id.clone()),
                    g.text.clone(),
                    Some(g.stance.clone()),
                )
            })
            .collect()
    }
}

fn perturb_originals(
    suite: &Suite,
    test: &TestSpec,
    originals: Vec<Original>,
) -> Result<Vec<Candidate>, BehaviourError> {
    let mut candidates = Vec::new();
    for (line, origin, text, known) in originals {
        match &test.transform {
            Transform::None => candidates.push(Candidate {
                line,
                origin,
                texts: vec![text],
                known,
                pending_typo: false,
            }),
            Transform::Perturb(Perturbation::Typo) => candidates.push(Candidate {
                line,
                origin,
                texts: vec![text],
                known,
                pending_typo: true,
            }),
            Transform::Perturb(p) => {
                let variants = p.apply(&text, "");
                if variants.is_empty() {
                    let what = origin
                        .as_deref()
                        .map(|o| format!("gold {o}"))
                        .unwrap_or_else(|| format!("\"{text}\""));
                    return Err(invalid(
                        suite,
                        line,
                        "perturb",
                        format!("{} does not apply to {what}", p.name()),
                    ));
                }
                for v in variants {
                    candidates.push(Candidate {
                        line,
                        origin: origin.clone(),
                        texts: vec![text.clone(), v],
                        known: known.clone(),
                        pending_typo: false,
                    });
                }
            }
            Transform::Vary(_) => unreachable!("vary is expanded with its templates"),
        }
    }
    Ok(candidates)
}

/// Turns the `n`th kept candidate into a case: its id, its deferred typo, and its expectation in model labels.
fn to_case(
    suite: &Suite,
    test: &TestSpec,
    n: usize,
    mut c: Candidate,
) -> Result<Case, BehaviourError> {
    let id = format!("{}.{n:03}", test.name);
    if c.pending_typo {
        match typo(&c.texts[0], &id) {
            Some(t) => c.texts.push(t),
            None => {
                return Err(invalid(
                    suite,
                    c.line,
                    "perturb",
                    format!(
                        "typo does not apply to \"{}\" (no word of 4+ letters)",
                        c.texts[0]
                    ),
                ))
            }
        }
    }
    let map = |class: &str| suite.class(class).expect("validated against the mapping");
    let expectation = match &test.expect {
        Expect::Class(c) if test.kind == super::TestType::Mft => Expectation::Label(map(c)),
        Expect::Class(c) => Expectation::FlipTo(map(c)),
        Expect::Same => Expectation::SameAsOriginal,
        Expect::LowerConfidence => Expectation::LowerConfidence,
        Expect::Opposite { .. } => match c.known.as_deref() {
            Some("support") => Expectation::FlipTo(map("oppose")),
            Some("oppose") => Expectation::FlipTo(map("support")),
            _ => Expectation::Opposite(map("support"), map("oppose")),
        },
    };
    Ok(Case {
        suite: suite.name.clone(),
        test: test.name.clone(),
        description: test.description.clone(),
        kind: test.kind,
        id,
        line: c.line,
        origin: c.origin,
        texts: c.texts,
        expectation,
        original: c.known.as_deref().map(map),
    })
}
