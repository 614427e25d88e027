//! A [`Diff`] for the terminal ([`text`]) and for a pull request or notes ([`markdown`]). Rendering only.

use std::fmt::Write as _;

use super::{ConfigDiff, Diff, DiffFlip, Method, MetricDiff, RunSide};
use stance_report::format::{escape, est, pval_opt, signed};

/// One run in a line: path, experiment, scheme and size.
fn side_line(s: &RunSide) -> String {
    let mut scheme = s.scheme.clone();
    if let Some(k) = s.k {
        let _ = write!(scheme, " k={k}");
    }
    if s.repeats > 1 {
        let _ = write!(scheme, " × {} repeats", s.repeats);
    }
    if let Some(g) = &s.group {
        let _ = write!(scheme, " by {g}");
    }
    format!(
        "{} (experiment '{}', {scheme}, seed {}, {} items, bootstrap {} by {})",
        s.path, s.experiment, s.seed, s.n_items, s.bootstrap, s.bootstrap_unit
    )
}

/// How Δ was tested, in a sentence, with the family its p-values are adjusted over.
fn method_sentence(d: &Diff) -> String {
    let p = &d.pairing;
    let family = format!(
        "p is Holm-adjusted over all {} configuration × metric rows (* p < {})",
        d.family, d.alpha
    );
    if p.paired {
        let test = format!(
            "p: exact paired permutation test over {} {}s (Monte Carlo beyond 2^16 patterns); {family}; McNemar's \
             exact test on the items each run gets right in most repeats",
            p.test_units,
            p.test_unit.as_deref().unwrap_or("item")
        );
        match &p.unit {
            Some(unit) => format!(
                "paired: {}. Δ = B − A with a 95% paired bootstrap interval ({} replicates over {} {}s, seed {}); \
                 {test}.",
                p.reason, p.replicates, p.units, unit, p.seed
            ),
            None => format!(
                "paired: {}. Δ = B − A (no bootstrap replicates: no interval); {test}.",
                p.reason
            ),
        }
    } else {
        format!(
            "unpaired: {}. Δ = B − A with an approximate 95% interval and p from the two runs' own intervals \
             (normal approximation, independent runs); {family}; no McNemar test, no flip list.",
            p.reason
        )
    }
}

/// The p column: the Holm-adjusted p-value, starred when significant.
fn p_cell(m: &MetricDiff) -> String {
    match m.p_holm {
        Some(p) => format!(
            "{}{}",
            pval_opt(Some(p)),
            if m.significant { " *" } else { "" }
        ),
        None => pval_opt(None),
    }
}

fn delta_cell(m: &MetricDiff) -> String {
    let s = signed(&m.delta);
    if m.method == Method::NormalApproximation {
        format!("{s} ≈")
    } else {
        s
    }
}

/// The terminal report: both runs, what differs, how Δ was tested, one row per configuration × metric, McNemar
/// per configuration, configurations only one run holds, and the flip list (at most `max_flips` per
/// configuration).
pub fn text(d: &Diff, max_flips: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "A: {}", side_line(&d.a));
    let _ = writeln!(s, "B: {}", side_line(&d.b));
    if d.differences.is_empty() {
        let _ = writeln!(s, "settings: identical");
    } else {
        let _ = writeln!(s, "differs: {}", d.differences.join("; "));
    }
    let _ = writeln!(s, "{}\n", method_sentence(d));
    let width = d
        .configs
        .iter()
        .map(|c| c.config.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:<width$}  {:<17}  {:<21}  {:<21}  {:<24}  {:>8}",
        "config", "metric", "A", "B", "Δ (95% interval)", "p (Holm)"
    );
    for c in &d.configs {
        for m in &c.metrics {
            let _ = writeln!(
                s,
                "{:<width$}  {:<17}  {:<21}  {:<21}  {:<24}  {:>8}",
                c.config,
                m.metric.key(),
                est(&m.a),
                est(&m.b),
                delta_cell(m),
                p_cell(m)
            );
        }
    }
    if d.configs.iter().any(|c| c.mcnemar.is_some()) {
        let _ = writeln!(
            s,
            "\nMcNemar (majority-vote correctness):\n{:<width$}  {:>12}  {:>12}  {:>6}",
            "config", "only A right", "only B right", "p"
        );
        for c in &d.configs {
            if let Some(m) = c.mcnemar {
                let _ = writeln!(
                    s,
                    "{:<width$}  {:>12}  {:>12}  {:>6}",
                    c.config,
                    m.a_only_correct,
                    m.b_only_correct,
                    pval_opt(Some(m.p_value))
                );
            }
        }
    }
    if !d.only_in_a.is_empty() {
        let _ = writeln!(s, "\nonly in A: {}", d.only_in_a.join(", "));
    }
    if !d.only_in_b.is_empty() {
        let _ = writeln!(s, "\nonly in B: {}", d.only_in_b.join(", "));
    }
    text_flips(&mut s, d, max_flips);
    s
}

fn text_flips(s: &mut String, d: &Diff, max_flips: usize) {
    if !d.pairing.paired {
        return;
    }
    if d.flips.is_empty() {
        let _ = writeln!(s, "\nno item changed majority-vote correctness");
        return;
    }
    let _ = writeln!(
        s,
        "\n{} item(s) changed majority-vote correctness (config | item | gold | A -> B | change | text):",
        d.flips.len()
    );
    for (config, flips) in by_config(&d.configs, &d.flips) {
        for f in flips.iter().take(max_flips) {
            let _ = writeln!(
                s,
                "  {} | {} | {} | {} -> {} | {} | {}",
                f.config, f.item, f.gold, f.a, f.b, f.change, f.text
            );
        }
        if flips.len() > max_flips {
            let _ = writeln!(
                s,
                "  {config}: {} more (--max-flips to show them, --format json lists all)",
                flips.len() - max_flips
            );
        }
    }
}

/// The flips grouped by configuration, in the diff's configuration order.
fn by_config<'a>(
    configs: &'a [ConfigDiff],
    flips: &'a [DiffFlip],
) -> Vec<(&'a str, Vec<&'a DiffFlip>)> {
    configs
        .iter()
        .map(|c| {
            (
                c.config.as_str(),
                flips.iter().filter(|f| f.config == c.config).collect(),
            )
        })
        .filter(|(_, f): &(&str, Vec<&DiffFlip>)| !f.is_empty())
        .collect()
}

/// The Markdown report: the same content as [`text`], as tables, with the flip list folded away.
pub fn markdown(d: &Diff, max_flips: usize) -> String {
    let mut s = String::from("## stance diff\n\n");
    let _ = writeln!(s, "- **A**: {}", escape(&side_line(&d.a)));
    let _ = writeln!(s, "- **B**: {}", escape(&side_line(&d.b)));
    if d.differences.is_empty() {
        let _ = writeln!(s, "- settings: identical");
    } else {
        let _ = writeln!(s, "- differs: {}", escape(&d.differences.join("; ")));
    }
    let _ = writeln!(s, "\n{}\n", escape(&method_sentence(d)));
    let _ = writeln!(
        s,
        "| config | metric | A | B | Δ (95% interval) | p (Holm) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---:|");
    for c in &d.configs {
        for m in &c.metrics {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                escape(&c.config),
                escape(m.metric.key()),
                est(&m.a),
                est(&m.b),
                delta_cell(m),
                escape(&p_cell(m))
            );
        }
    }
    if d.configs.iter().any(|c| c.mcnemar.is_some()) {
        let _ = writeln!(
            s,
            "\nMcNemar's exact test on majority-vote correctness:\n\n| config | only A right | only B right | p |\n|---|---:|---:|---:|"
        );
        for c in &d.configs {
            if let Some(m) = c.mcnemar {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} |",
                    escape(&c.config),
                    m.a_only_correct,
                    m.b_only_correct,
                    pval_opt(Some(m.p_value))
                );
            }
        }
    }
    for (label, ids) in [("A", &d.only_in_a), ("B", &d.only_in_b)] {
        if !ids.is_empty() {
            let names: Vec<String> = ids.iter().map(|i| escape(i)).collect();
            let _ = writeln!(s, "\nOnly in {label}: {}", names.join(", "));
        }
    }
    markdown_flips(&mut s, d, max_flips);
    s
}

fn markdown_flips(s: &mut String, d: &Diff, max_flips: usize) {
    if !d.pairing.paired {
        return;
    }
    if d.flips.is_empty() {
        let _ = writeln!(s, "\nNo item changed majority-vote correctness.");
        return;
    }
    let _ = writeln!(
        s,
        "\n<details><summary>{} item(s) changed majority-vote correctness</summary>\n\n| config | item | gold | A | B | change | text |\n|---|---|---|---|---|---|---|",
        d.flips.len()
    );
    let mut hidden = 0;
    for (_, flips) in by_config(&d.configs, &d.flips) {
        for f in flips.iter().take(max_flips) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                escape(&f.config),
                escape(&f.item),
                escape(&f.gold),
                escape(&f.a),
                escape(&f.b),
                f.change,
                escape(&f.text)
            );
        }
        hidden += flips.len().saturating_sub(max_flips);
    }
    if hidden > 0 {
        let _ = writeln!(
            s,
            "\n{hidden} more not shown (`--max-flips`; `--format json` lists all)."
        );
    }
    let _ = writeln!(s, "\n</details>");
}
