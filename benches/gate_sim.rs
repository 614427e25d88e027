//! `gate-sim`: the CI gate's error rates, measured on saved runs (driven by `bench/gate_sim.py`, table in
//! docs/METHODS.md, "The CI gate").
//!
//! `gate-sim EXPERIMENT BASELINE CANDIDATE... [--broken-test NAME] [--noise LABEL] [--show K]` reads a baseline
//! `report.json` and candidate reports of the same experiment that differ from it only in their random streams
//! (`STANCE_TEST_STREAM_SALT`, or another seed: `--noise` names which), and judges each
//! candidate with the experiment's own gate ([`stance::check::compare`], the code `stance check` runs) three ways:
//!
//! - (a) as it is: a change that only alters random streams, which the gate should pass;
//! - (b) with 3 of the items the baseline's best got right (in at least `gate.right_share` of its repeats) turned
//!   wrong in every repeat of the candidate's best: a real regression, which it should fail;
//! - (c) with one behavioural test of the best broken: every case of the test that passed now fails — for
//!   `--broken-test` in the first table, and for every test in the last one.
//!
//! It prints the share failing in each, which check failed, (a)/(b) for other values of `gate.max_broken`, and
//! (c) per behavioural test with the number of the baseline's passing cases that can break.
//! The regressions are made by editing the candidate's predictions and outcomes in memory, so every candidate
//! carries its own stream noise into (b) and (c) as a real regression would.

use std::error::Error;
use std::path::PathBuf;

use stance::check::{compare, render, Gate, GateResult};
use stance::eval::oof::OutOfFold;
use stance::eval::stats::derive_seed;
use stance::experiment::Experiment;
use stance::results::{read_report, RunReport};

/// Seed of the choice of items (b) breaks in each candidate.
const CHOICE_SEED: u64 = 20240529;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let broken_test =
        option(&mut args, "--broken-test")?.unwrap_or_else(|| "mft_oppose".to_string());
    let noise = option(&mut args, "--noise")?
        .unwrap_or_else(|| "same seed, other random streams".to_string());
    // `--show K`: also print the gate's own text for candidate K of (b), as `stance check` would print it.
    let show: Option<usize> = option(&mut args, "--show")?
        .map(|k| {
            k.parse()
                .map_err(|_| format!("--show needs a candidate index, got '{k}'"))
        })
        .transpose()?;
    if args.len() < 3 {
        return Err(
            "usage: gate-sim EXPERIMENT BASELINE CANDIDATE... [--broken-test NAME] [--noise LABEL] [--show K]"
                .into(),
        );
    }
    let exp = Experiment::load(&PathBuf::from(&args[0]))?;
    let gate = Gate::for_experiment(&exp, &[], false);
    let baseline = read_report(&PathBuf::from(&args[1]))?;
    let candidates = args[2..]
        .iter()
        .map(|p| read_report(&PathBuf::from(p)))
        .collect::<Result<Vec<_>, _>>()?;
    let best = baseline.run.best.clone();
    let protected = protected_items(&baseline, &best, gate.right_share);
    println!(
        "gate: best '{best}', {} protected item(s) (right in >= {:.0}% of the baseline's repeats), max_broken {}, \
         significance required: {}, alpha {}",
        protected.len(),
        100.0 * gate.right_share,
        gate.max_broken,
        gate.require_significance,
        gate.alpha
    );
    let n = candidates.len();
    let mut tally = [Tally::default(), Tally::default(), Tally::default()];
    let sweep: Vec<usize> = (0..=4).collect();
    let mut sweep_a = vec![0usize; sweep.len()];
    let mut sweep_b = vec![0usize; sweep.len()];
    let mut changed = 0;
    for (k, cand) in candidates.iter().enumerate() {
        if baseline.config(&best).map(|c| &c.predictions)
            != cand.config(&best).map(|c| &c.predictions)
        {
            changed += 1;
        }
        let regressed = break_items(cand, &best, &protected, 3, k as u64);
        let behaved = break_test(cand, &best, &broken_test);
        if show == Some(k) {
            let verdict = compare(&baseline, &regressed, &gate);
            println!(
                "(b) on candidate {k}, as the gate prints it:\n{}",
                render::text(&verdict, &gate, "…")
            );
        }
        tally[0].add(&compare(&baseline, cand, &gate));
        tally[1].add(&compare(&baseline, &regressed, &gate));
        tally[2].add(&compare(&baseline, &behaved, &gate));
        for (j, &m) in sweep.iter().enumerate() {
            let g = Gate {
                max_broken: m,
                ..gate.clone()
            };
            sweep_a[j] += usize::from(compare(&baseline, cand, &g).failures() > 0);
            sweep_b[j] += usize::from(compare(&baseline, &regressed, &g).failures() > 0);
        }
    }
    println!("{changed} of {n} candidate(s) changed an out-of-fold prediction of the best\n");
    println!("| scenario | runs | gate fails | item rule | metric rows | behavioural tests |");
    println!("|---|---|---|---|---|---|");
    let names = [
        format!("(a) {noise}"),
        "(b) 3 protected items of the best wrong in every repeat".to_string(),
        format!("(c) behavioural test `{broken_test}` of the best broken"),
    ];
    for (name, t) in names.iter().zip(&tally) {
        println!(
            "| {name} | {n} | {} ({:.1}%) | {} | {} | {} |",
            t.fails,
            100.0 * t.fails as f64 / n as f64,
            t.items,
            t.rows,
            t.behaviour
        );
    }
    // (c) for every test of the best, on the same candidates.
    let tests: Vec<(String, usize)> = baseline
        .behaviour
        .as_ref()
        .map(|b| {
            let outcomes: Vec<char> = b
                .outcomes
                .get(&best)
                .map(|o| o.chars().collect())
                .unwrap_or_default();
            let mut t: Vec<(String, usize)> = Vec::new();
            for (case, o) in b.cases.iter().zip(outcomes) {
                let name = case
                    .rsplit_once('.')
                    .map_or(case.as_str(), |(t, _)| t)
                    .to_string();
                let pos = t.iter().position(|(n, _)| *n == name).unwrap_or_else(|| {
                    t.push((name, 0));
                    t.len() - 1
                });
                t[pos].1 += usize::from(o == 'p');
            }
            t
        })
        .unwrap_or_default();
    let mut per_test = Vec::new();
    for (test, passing) in &tests {
        let fails = candidates
            .iter()
            .filter(|c| compare(&baseline, &break_test(c, &best, test), &gate).failures() > 0)
            .count();
        per_test.push((test, passing, fails));
    }
    println!("\n| max_broken | (a) fails | (b) fails |");
    println!("|---|---|---|");
    for (j, m) in sweep.iter().enumerate() {
        println!(
            "| {m} | {:.1}% | {:.1}% |",
            100.0 * sweep_a[j] as f64 / n as f64,
            100.0 * sweep_b[j] as f64 / n as f64
        );
    }
    println!(
        "\n| (c) behavioural test broken | the best's passing cases in the baseline | gate fails |"
    );
    println!("|---|---|---|");
    for (test, passing, fails) in per_test {
        println!(
            "| `{test}` | {passing} | {:.1}% |",
            100.0 * fails as f64 / n as f64
        );
    }
    Ok(())
}

/// Removes `--name VALUE` from `args` and returns the value.
fn option(args: &mut Vec<String>, name: &str) -> Result<Option<String>, String> {
    let Some(k) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    let value = args
        .get(k + 1)
        .ok_or(format!("{name} needs a value"))?
        .clone();
    args.drain(k..k + 2);
    Ok(Some(value))
}

/// How many judged runs failed, and by which check (a run can fail several).
#[derive(Default)]
struct Tally {
    fails: usize,
    items: usize,
    rows: usize,
    behaviour: usize,
}

impl Tally {
    fn add(&mut self, r: &GateResult) {
        self.fails += usize::from(r.failures() > 0);
        self.items += usize::from(r.items.iter().any(|i| i.verdict.fails()));
        self.rows += usize::from(r.rows.iter().any(|i| i.verdict.fails()));
        self.behaviour += usize::from(
            r.behaviour_tests.iter().any(|i| i.verdict.fails())
                || !r.behaviour_violations.is_empty(),
        );
    }
}

/// Items configuration `id` of `r` got right in at least `share` of its repeats (the gate's protected items).
fn protected_items(r: &RunReport, id: &str, share: f64) -> Vec<usize> {
    let c = r.config(id).expect("the best is in its own report");
    let oof = OutOfFold::new(c.predictions.clone(), r.data.classes.len());
    r.run
        .items
        .iter()
        .enumerate()
        .filter(|(i, item)| {
            let tested = oof.times_tested(*i);
            tested > 0 && f64::from(oof.votes(*i)[item.gold]) >= share * f64::from(tested)
        })
        .map(|(i, _)| i)
        .collect()
}

/// `r` with `how_many` of `items` (a seeded choice per candidate `k`) predicted wrong in every repeat of `id`.
fn break_items(r: &RunReport, id: &str, items: &[usize], how_many: usize, k: u64) -> RunReport {
    let mut pool = items.to_vec();
    let mut chosen = Vec::new();
    for j in 0..how_many.min(pool.len()) {
        let pick = derive_seed(CHOICE_SEED, &[k, j as u64]) as usize % pool.len();
        chosen.push(pool.swap_remove(pick));
    }
    let mut out = r.clone();
    let n_classes = out.data.classes.len();
    let golds: Vec<usize> = out.run.items.iter().map(|i| i.gold).collect();
    let c = out
        .run
        .configs
        .iter_mut()
        .find(|c| c.id == id)
        .expect("the best is in the candidate");
    for repeat in &mut c.predictions {
        for &i in &chosen {
            if let Some(Some(p)) = repeat.get_mut(i) {
                p.class = (golds[i] + 1) % n_classes;
                p.proba = None;
                p.tied = false;
            }
        }
    }
    out
}

/// `r` with every passing case of behavioural test `test` of configuration `id` failing.
fn break_test(r: &RunReport, id: &str, test: &str) -> RunReport {
    let mut out = r.clone();
    if let Some(b) = out.behaviour.as_mut() {
        let cases = b.cases.clone();
        if let Some(outcomes) = b.outcomes.get_mut(id) {
            *outcomes = outcomes
                .chars()
                .zip(&cases)
                .map(|(o, case)| {
                    let of = case.rsplit_once('.').map_or(case.as_str(), |(t, _)| t);
                    if of == test && o == 'p' {
                        'f'
                    } else {
                        o
                    }
                })
                .collect();
        }
    }
    out
}
