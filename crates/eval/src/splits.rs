//! Cross-validation splitters, written here because linfa's `fold`/`iter_fold` neither shuffle nor stratify and
//! leave rows unvalidated when k does not divide n.
//!
//! Guarantees (tested below, including by property tests):
//!
//! * every evaluated item is in exactly one test fold per repeat, and never in its own training fold;
//! * stratified folds hold each class's items as evenly as possible (sizes differ by at most one);
//! * group schemes never split a group across train and test;
//! * the same seed gives the same folds; each repeat has its own seeded shuffle.

use std::collections::BTreeMap;
use std::fmt;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::stats::rng_for;
use super::EvalError;
use stance_corpus::{Dataset, SplitRole};

/// Cross-validation schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// Stratified k-fold, repeated with different shuffles.
    StratifiedKfold,
    /// One item per test fold.
    LeaveOneOut,
    /// One group per test fold.
    LeaveOneGroupOut,
    /// k folds of whole groups, repeated with different shuffles.
    GroupKfold,
    /// The data's own train/test column.
    FixedSplit,
}

/// What groups items for group schemes and the cluster bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    /// The seed document (gold) or the CSV's group column.
    Doc,
    /// The stance holder.
    Holder,
    /// The CSV's group column.
    Group,
}

impl Scheme {
    /// The scheme's name as written in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::StratifiedKfold => "stratified-kfold",
            Scheme::LeaveOneOut => "leave-one-out",
            Scheme::LeaveOneGroupOut => "leave-one-group-out",
            Scheme::GroupKfold => "group-kfold",
            Scheme::FixedSplit => "fixed-split",
        }
    }
}

impl GroupBy {
    /// The grouping's name as written in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Doc => "doc",
            GroupBy::Holder => "holder",
            GroupBy::Group => "group",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A validated cross-validation scheme with exactly the parameters it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Stratified k-fold, repeated with fresh shuffles.
    StratifiedKfold {
        /// Folds per repeat (≥ 2).
        k: usize,
        /// Repeats (≥ 1).
        repeats: usize,
    },
    /// One item per test fold.
    LeaveOneOut,
    /// One group per test fold.
    LeaveOneGroupOut {
        /// What groups items.
        by: GroupBy,
    },
    /// k folds of whole groups, repeated with fresh shuffles.
    GroupKfold {
        /// Folds per repeat (≥ 2).
        k: usize,
        /// Repeats (≥ 1).
        repeats: usize,
        /// What groups items.
        by: GroupBy,
    },
    /// The data's own train/test column.
    FixedSplit,
}

impl Split {
    /// The scheme this split belongs to.
    pub fn scheme(self) -> Scheme {
        match self {
            Split::StratifiedKfold { .. } => Scheme::StratifiedKfold,
            Split::LeaveOneOut => Scheme::LeaveOneOut,
            Split::LeaveOneGroupOut { .. } => Scheme::LeaveOneGroupOut,
            Split::GroupKfold { .. } => Scheme::GroupKfold,
            Split::FixedSplit => Scheme::FixedSplit,
        }
    }

    /// Folds per repeat, for the k-fold schemes.
    pub fn k(self) -> Option<usize> {
        match self {
            Split::StratifiedKfold { k, .. } | Split::GroupKfold { k, .. } => Some(k),
            _ => None,
        }
    }

    /// The grouping, for group schemes.
    pub fn group(self) -> Option<GroupBy> {
        match self {
            Split::LeaveOneGroupOut { by } | Split::GroupKfold { by, .. } => Some(by),
            _ => None,
        }
    }
}

/// One train/test split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Repeat number (0-based).
    pub repeat: usize,
    /// Fold number within the repeat (0-based).
    pub index: usize,
    /// Training item indices, ascending.
    pub train: Vec<usize>,
    /// Test item indices, ascending.
    pub test: Vec<usize>,
    /// The held-out group, for leave-one-group-out.
    pub group: Option<String>,
    /// For per-group models: the group whose model this split trains and tests (both sides hold only that group's
    /// items). `None` when one model is trained on the whole training fold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_group: Option<String>,
}

const STRATIFIED_TAG: u64 = 0x57A7;
const GROUP_TAG: u64 = 0x6A0B;

/// The group of every item under `by`, or an error naming the first item without one.
pub fn groups_of(ds: &Dataset, by: GroupBy) -> Result<Vec<String>, EvalError> {
    ds.items
        .iter()
        .map(|item| {
            let g = match by {
                GroupBy::Doc => item.doc.as_ref().or(item.group.as_ref()),
                GroupBy::Holder => item.holder.as_ref(),
                GroupBy::Group => item.group.as_ref(),
            };
            g.cloned().ok_or_else(|| EvalError::MissingGroup {
                item: item.id.clone(),
                by: by.name().to_string(),
            })
        })
        .collect()
}

/// Builds the folds a split describes.
pub fn make_folds(split: &Split, ds: &Dataset, seed: u64) -> Result<Vec<Fold>, EvalError> {
    let labels = ds.labels();
    match *split {
        Split::StratifiedKfold { k, repeats } => {
            check_k_against_classes(k, ds)?;
            Ok((0..repeats)
                .flat_map(|r| stratified_kfold(&labels, ds.classes.len(), k, r, seed))
                .collect())
        }
        Split::LeaveOneOut => {
            let n = labels.len();
            Ok((0..n)
                .map(|i| Fold {
                    repeat: 0,
                    index: i,
                    train: (0..n).filter(|&j| j != i).collect(),
                    test: vec![i],
                    group: None,
                    model_group: None,
                })
                .collect())
        }
        Split::LeaveOneGroupOut { by } => leave_one_group_out(&groups_of(ds, by)?),
        Split::GroupKfold { k, repeats, by } => {
            let groups = groups_of(ds, by)?;
            let distinct: std::collections::BTreeSet<&String> = groups.iter().collect();
            if k > distinct.len() {
                return Err(EvalError::TooFewGroups {
                    k,
                    groups: distinct.len(),
                });
            }
            Ok((0..repeats)
                .flat_map(|r| group_kfold(&groups, k, r, seed))
                .collect())
        }
        Split::FixedSplit => fixed_split(ds),
    }
}

/// Stratified k-fold needs every class in every test fold: refuses k above the smallest class. The one
/// implementation of this rule (`stance validate` asks it too).
pub fn check_k_against_classes(k: usize, ds: &Dataset) -> Result<(), EvalError> {
    let counts = ds.class_counts();
    match counts.iter().enumerate().min_by_key(|(_, n)| **n) {
        Some((c, &n)) if k > n => Err(EvalError::KTooLarge {
            k,
            class: ds.classes[c].clone(),
            count: n,
        }),
        _ => Ok(()),
    }
}

fn fixed_split(ds: &Dataset) -> Result<Vec<Fold>, EvalError> {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for (i, item) in ds.items.iter().enumerate() {
        match item.split {
            Some(SplitRole::Train) => train.push(i),
            Some(SplitRole::Test) => test.push(i),
            None => {
                return Err(EvalError::NoSplitColumn {
                    item: item.id.clone(),
                })
            }
        }
    }
    if train.is_empty() || test.is_empty() {
        return Err(EvalError::EmptySplitSide {
            train: train.len(),
            test: test.len(),
        });
    }
    Ok(vec![Fold {
        repeat: 0,
        index: 0,
        train,
        test,
        group: None,
        model_group: None,
    }])
}

/// Splits every fold into one fold per group for per-group models: the group's training items train its model,
/// which predicts the group's test items, so every test item is still predicted exactly once per repeat (by its
/// own group's model) and the pooled predictions are the concatenation the SemEval-2016 protocol scores.
/// Sub-folds keep their fold's repeat and index (predictions and per-fold scores stay keyed by the outer fold) and
/// come in group-name order. A group with test items but no training items in some fold cannot have a model there:
/// that is an error naming the fold and the group.
pub fn per_group_folds(folds: &[Fold], groups: &[String]) -> Result<Vec<Fold>, EvalError> {
    let names: std::collections::BTreeSet<&String> = groups.iter().collect();
    let mut out = Vec::new();
    for f in folds {
        for &name in &names {
            let of = |rows: &[usize]| -> Vec<usize> {
                rows.iter()
                    .copied()
                    .filter(|&i| &groups[i] == name)
                    .collect()
            };
            let test = of(&f.test);
            if test.is_empty() {
                continue;
            }
            let train = of(&f.train);
            if train.is_empty() {
                return Err(EvalError::PerGroupNoTraining {
                    repeat: f.repeat,
                    fold: f.index,
                    group: name.clone(),
                    test: test.len(),
                });
            }
            out.push(Fold {
                repeat: f.repeat,
                index: f.index,
                train,
                test,
                group: f.group.clone(),
                model_group: Some(name.clone()),
            });
        }
    }
    Ok(out)
}

/// Stratified k-fold for one repeat: each class's items are shuffled (seeded by repeat) and dealt round-robin,
/// continuing the deal across classes so fold sizes, not only class shares, stay within one of each other.
pub fn stratified_kfold(
    labels: &[usize],
    n_classes: usize,
    k: usize,
    repeat: usize,
    seed: u64,
) -> Vec<Fold> {
    let mut rng = rng_for(seed, &[STRATIFIED_TAG, repeat as u64]);
    let mut tests: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut position = 0usize;
    for c in 0..n_classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        idx.shuffle(&mut rng);
        for i in idx {
            tests[position % k].push(i);
            position += 1;
        }
    }
    finish(tests, labels.len(), repeat, None)
}

fn finish(
    tests: Vec<Vec<usize>>,
    n: usize,
    repeat: usize,
    groups: Option<Vec<String>>,
) -> Vec<Fold> {
    tests
        .into_iter()
        .enumerate()
        .map(|(index, mut test)| {
            test.sort_unstable();
            let mut in_test = vec![false; n];
            for &i in &test {
                in_test[i] = true;
            }
            let train = (0..n).filter(|&i| !in_test[i]).collect();
            Fold {
                repeat,
                index,
                train,
                test,
                group: groups.as_ref().map(|g| g[index].clone()),
                model_group: None,
            }
        })
        .collect()
}

/// One fold per distinct group, in group-name order.
pub fn leave_one_group_out(groups: &[String]) -> Result<Vec<Fold>, EvalError> {
    let mut by_group: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        by_group.entry(g).or_default().push(i);
    }
    if by_group.len() < 2 {
        return Err(EvalError::TooFewGroups {
            k: 2,
            groups: by_group.len(),
        });
    }
    let names: Vec<String> = by_group.keys().map(|g| (*g).clone()).collect();
    Ok(finish(
        by_group.into_values().collect(),
        groups.len(),
        0,
        Some(names),
    ))
}

/// Group k-fold for one repeat: groups are shuffled (seeded), then dealt largest first to the fold with the
/// fewest items so far (ties to the lowest fold).
pub fn group_kfold(groups: &[String], k: usize, repeat: usize, seed: u64) -> Vec<Fold> {
    let mut by_group: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        by_group.entry(g).or_default().push(i);
    }
    let mut list: Vec<Vec<usize>> = by_group.into_values().collect();
    let mut rng = rng_for(seed, &[GROUP_TAG, repeat as u64]);
    list.shuffle(&mut rng);
    list.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let mut tests: Vec<Vec<usize>> = vec![Vec::new(); k];
    for g in list {
        let target = (0..k).min_by_key(|&f| (tests[f].len(), f)).expect("k >= 1");
        tests[target].extend(g);
    }
    finish(tests, groups.len(), repeat, None)
}

/// Fold description for messages: `repeat 0 fold 2 (held-out group 'x')`.
pub fn describe(f: &Fold) -> String {
    let mut s = format!("repeat {} fold {}", f.repeat, f.index);
    if let Some(g) = &f.group {
        s.push_str(&format!(" (held-out group '{g}')"));
    }
    if let Some(g) = &f.model_group {
        s.push_str(&format!(" (the model of group '{g}')"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(counts: &[usize]) -> Vec<usize> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(c, &n)| std::iter::repeat_n(c, n))
            .collect()
    }

    #[test]
    fn k_too_large_never_advises_a_k_below_two() {
        let err = |count| {
            EvalError::KTooLarge {
                k: 3,
                class: "oppose".into(),
                count,
            }
            .to_string()
        };
        assert!(
            err(2).contains("set evaluation.k to at most 2"),
            "{}",
            err(2)
        );
        let one = err(1);
        assert!(!one.contains("at most 1"), "{one}");
        assert!(one.contains("add items of 'oppose'"), "{one}");
    }

    #[test]
    fn eleven_items_in_three_folds_are_all_validated() {
        // 8 support + 3 oppose, as in the gold sentences: k does not divide n.
        let y = labels(&[8, 3]);
        let folds = stratified_kfold(&y, 2, 3, 0, 1);
        let mut seen: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..11).collect::<Vec<_>>());
        for f in &folds {
            assert_eq!(
                f.test.iter().filter(|&&i| y[i] == 1).count(),
                1,
                "one oppose item per fold"
            );
        }
        let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
    }

    #[test]
    fn groups_never_straddle_train_and_test() {
        let groups: Vec<String> = ["a", "a", "b", "c", "c", "c", "d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for f in group_kfold(&groups, 2, 0, 3)
            .into_iter()
            .chain(leave_one_group_out(&groups).unwrap())
        {
            for &t in &f.test {
                assert!(f.train.iter().all(|&r| groups[r] != groups[t]));
            }
        }
        let logo = leave_one_group_out(&groups).unwrap();
        assert_eq!(logo.len(), 4);
        assert_eq!(logo[2].group.as_deref(), Some("c"));
        assert_eq!(logo[2].test, vec![3, 4, 5]);
    }

    proptest! {
        #[test]
        fn per_group_folds_split_each_fold_by_group_and_lose_nothing(
            group_of in proptest::collection::vec(0usize..4, 12..40),
            k in 2usize..4,
            seed in any::<u64>(),
        ) {
            let groups: Vec<String> = group_of.iter().map(|g| format!("g{g}")).collect();
            let y: Vec<usize> = (0..groups.len()).map(|i| i % 2).collect();
            let outer = stratified_kfold(&y, 2, k, 0, seed);
            match per_group_folds(&outer, &groups) {
                Ok(sub) => {
                    for f in &outer {
                        let mine: Vec<&Fold> = sub.iter().filter(|s| s.index == f.index).collect();
                        let mut tested: Vec<usize> = mine.iter().flat_map(|s| s.test.clone()).collect();
                        tested.sort_unstable();
                        prop_assert_eq!(&tested, &f.test, "every test item once, by one model");
                        for s in mine {
                            let g = s.model_group.clone().unwrap();
                            prop_assert!(s.train.iter().chain(&s.test).all(|&i| groups[i] == g));
                            let want: Vec<usize> =
                                f.train.iter().copied().filter(|&i| groups[i] == g).collect();
                            prop_assert_eq!(&s.train, &want, "the group's training items, all of them");
                        }
                    }
                }
                Err(EvalError::PerGroupNoTraining { repeat, fold, group, .. }) => {
                    let f = &outer[fold];
                    prop_assert_eq!(repeat, 0);
                    prop_assert!(f.test.iter().any(|&i| groups[i] == group));
                    prop_assert!(f.train.iter().all(|&i| groups[i] != group));
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }

    proptest! {
        #[test]
        fn stratified_folds_partition_and_balance(
            counts in proptest::collection::vec(3usize..15, 2..4),
            k in 2usize..4,
            seed in any::<u64>(),
            repeat in 0usize..3,
        ) {
            let y = labels(&counts);
            let folds = stratified_kfold(&y, counts.len(), k, repeat, seed);
            prop_assert_eq!(folds.len(), k);
            let mut times = vec![0; y.len()];
            for f in &folds {
                for &i in &f.test { times[i] += 1; }
                prop_assert_eq!(f.train.len() + f.test.len(), y.len());
                prop_assert!(f.test.iter().all(|t| f.train.binary_search(t).is_err()));
                for (c, &n) in counts.iter().enumerate() {
                    let in_fold = f.test.iter().filter(|&&i| y[i] == c).count();
                    prop_assert!(in_fold == n / k || in_fold == n / k + 1);
                }
            }
            prop_assert!(times.iter().all(|&t| t == 1));
            prop_assert_eq!(&folds, &stratified_kfold(&y, counts.len(), k, repeat, seed));
        }

        #[test]
        fn group_kfold_partitions(n in 4usize..40, n_groups in 2usize..8, k in 2usize..3, seed in any::<u64>()) {
            let groups: Vec<String> = (0..n).map(|i| format!("g{}", i % n_groups)).collect();
            let folds = group_kfold(&groups, k, 0, seed);
            let mut times = vec![0; n];
            for f in &folds { for &i in &f.test { times[i] += 1; } }
            prop_assert!(times.iter().all(|&t| t == 1));
        }
    }
}
