//! Every configuration's out-of-fold predictions between the grid and the report, held so that memory grows by a
//! few bytes a prediction, not by a record each.
//!
//! A prediction has three parts. Its class (with the tie flag) is what every statistic reads: it sits in an
//! [`OutOfFold`] per configuration, four bytes a prediction. Its fold is the same for every configuration, so it is
//! kept once per (repeat, item). Its class probabilities are read by nothing but the predictions file (and the
//! report's error analysis): [`Probabilities`] keeps them in memory, or — for a merge, where they arrive from shard
//! files and would otherwise be the one thing that grows with the run — in a spill file on disk
//! ([`stance_core::spill`]), to be read back one configuration and repeat at a time while the report is written.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

pub use stance_core::spill::SpillError;
use stance_core::spill::SpillFile;
use stance_models::Prediction;

use super::oof::OutOfFold;
use super::results::PredictionRecord;

/// No fold tested this (repeat, item).
const NO_FOLD: u32 = u32::MAX;

/// The class probabilities of one configuration's predictions in one repeat, by item.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatProba {
    k: usize,
    has: Vec<bool>,
    values: Vec<f64>,
}

impl RepeatProba {
    fn new(n_items: usize, k: usize) -> RepeatProba {
        RepeatProba {
            k,
            has: vec![false; n_items],
            values: vec![0.0; n_items * k],
        }
    }

    /// The probabilities predicted for `item`, when the model gave some.
    pub fn get(&self, item: usize) -> Option<&[f64]> {
        self.has[item].then(|| &self.values[item * self.k..(item + 1) * self.k])
    }

    fn set(&mut self, item: usize, proba: &[f64]) {
        self.has[item] = true;
        self.values[item * self.k..(item + 1) * self.k].copy_from_slice(proba);
    }
}

enum Backend {
    /// Per (cell, repeat), allocated when its first prediction arrives.
    Memory(Vec<Option<RepeatProba>>),
    /// Per (cell, repeat), the chunks appended for it: (offset, rows).
    Spill {
        file: SpillFile,
        chunks: Vec<Vec<(u64, usize)>>,
    },
}

/// Class probabilities of every out-of-fold prediction, by (configuration, repeat): in memory, or in a spill file.
pub struct Probabilities {
    n_items: usize,
    n_classes: usize,
    repeats: usize,
    backend: Backend,
}

impl fmt::Debug for Probabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, bytes) = match &self.backend {
            Backend::Memory(v) => (
                "memory",
                v.iter()
                    .flatten()
                    .map(|r| r.values.len() as u64 * 8 + r.has.len() as u64)
                    .sum(),
            ),
            Backend::Spill { file, .. } => ("spill file", file.len()),
        };
        f.debug_struct("Probabilities")
            .field("n_items", &self.n_items)
            .field("n_classes", &self.n_classes)
            .field("repeats", &self.repeats)
            .field(kind, &bytes)
            .finish()
    }
}

impl Probabilities {
    /// Probabilities of `n_cells` configurations × `repeats` × `n_items` over `n_classes`, held in memory.
    pub fn in_memory(n_cells: usize, repeats: usize, n_items: usize, n_classes: usize) -> Self {
        Probabilities {
            n_items,
            n_classes,
            repeats,
            backend: Backend::Memory(vec![None; n_cells * repeats]),
        }
    }

    /// The same, held in a new spill file: memory stays flat however many predictions arrive.
    pub fn spilled(
        n_cells: usize,
        repeats: usize,
        n_items: usize,
        n_classes: usize,
    ) -> Result<Self, SpillError> {
        Ok(Probabilities {
            n_items,
            n_classes,
            repeats,
            backend: Backend::Spill {
                file: SpillFile::new()?,
                chunks: vec![Vec::new(); n_cells * repeats],
            },
        })
    }

    /// Whether the probabilities are on disk.
    pub fn is_spilled(&self) -> bool {
        matches!(self.backend, Backend::Spill { .. })
    }

    /// Keeps the probabilities of `rows` (item, prediction), predicted by configuration `cell` in `repeat`. Each
    /// probability vector has one value per class (checked before, by the grid or the merge).
    pub fn put(
        &mut self,
        cell: usize,
        repeat: usize,
        rows: &[(usize, Prediction)],
    ) -> Result<(), SpillError> {
        let (n, k) = (self.n_items, self.n_classes);
        let slot = cell * self.repeats + repeat;
        match &mut self.backend {
            Backend::Memory(slots) => {
                let rp = slots[slot].get_or_insert_with(|| RepeatProba::new(n, k));
                for (item, p) in rows {
                    if let Some(v) = &p.proba {
                        rp.set(*item, v);
                    }
                }
            }
            Backend::Spill { file, chunks } => {
                // A chunk: every row's item (u32), whether it has probabilities (u8), then k f64s per row (zeros
                // without), little-endian, so every f64 reads back bit for bit.
                let mut bytes = Vec::with_capacity(rows.len() * (5 + 8 * k));
                for (item, _) in rows {
                    bytes.extend_from_slice(&(*item as u32).to_le_bytes());
                }
                for (_, p) in rows {
                    bytes.push(u8::from(p.proba.is_some()));
                }
                for (_, p) in rows {
                    match &p.proba {
                        Some(v) => v
                            .iter()
                            .for_each(|x| bytes.extend_from_slice(&x.to_le_bytes())),
                        None => bytes.resize(bytes.len() + 8 * k, 0),
                    }
                }
                let offset = file.append(&bytes)?;
                chunks[slot].push((offset, rows.len()));
            }
        }
        Ok(())
    }

    /// Configuration `cell`'s probabilities in `repeat`, by item.
    pub fn repeat(&self, cell: usize, repeat: usize) -> Result<Cow<'_, RepeatProba>, SpillError> {
        let (n, k) = (self.n_items, self.n_classes);
        let slot = cell * self.repeats + repeat;
        match &self.backend {
            Backend::Memory(slots) => Ok(match &slots[slot] {
                Some(rp) => Cow::Borrowed(rp),
                None => Cow::Owned(RepeatProba::new(n, k)),
            }),
            Backend::Spill { file, chunks } => {
                let mut rp = RepeatProba::new(n, k);
                for &(offset, rows) in &chunks[slot] {
                    let bytes = file.read(offset, rows * (5 + 8 * k))?;
                    let (items, rest) = bytes.split_at(4 * rows);
                    let (has, values) = rest.split_at(rows);
                    for (r, item) in items.chunks_exact(4).enumerate() {
                        if has[r] == 0 {
                            continue;
                        }
                        let item = u32::from_le_bytes(item.try_into().expect("4 bytes")) as usize;
                        let row = &values[r * 8 * k..(r + 1) * 8 * k];
                        for (c, x) in row.chunks_exact(8).enumerate() {
                            rp.values[item * k + c] =
                                f64::from_le_bytes(x.try_into().expect("8 bytes"));
                        }
                        rp.has[item] = true;
                    }
                }
                Ok(Cow::Owned(rp))
            }
        }
    }
}

/// Every configuration's out-of-fold predictions: the classes ([`OutOfFold`]), the folds, the probabilities.
#[derive(Debug)]
pub struct Predictions {
    oof: Vec<OutOfFold>,
    /// `fold_of[repeat * n_items + item]`: the fold that tested the item in that repeat ([`NO_FOLD`]: none).
    fold_of: Vec<u32>,
    proba: Probabilities,
}

impl Predictions {
    /// Joins the parts the grid gathered.
    pub(crate) fn new(oof: Vec<OutOfFold>, fold_of: Vec<u32>, proba: Probabilities) -> Self {
        Predictions {
            oof,
            fold_of,
            proba,
        }
    }

    /// Number of configurations.
    pub fn n_configs(&self) -> usize {
        self.oof.len()
    }

    /// Number of repeats.
    pub fn n_repeats(&self) -> usize {
        self.oof.first().map_or(0, OutOfFold::n_repeats)
    }

    /// Predictions held: configurations × repeats × items (as a report counts them).
    pub fn count(&self) -> usize {
        self.oof.iter().map(|o| o.n_repeats() * o.n_items()).sum()
    }

    /// Whether the probabilities are in a spill file.
    pub fn is_spilled(&self) -> bool {
        self.proba.is_spilled()
    }

    /// Configuration `config`'s classes.
    pub fn oof(&self, config: usize) -> &OutOfFold {
        &self.oof[config]
    }

    /// Configuration `config`'s predictions in `repeat` as the report records them, by item.
    pub fn records(
        &self,
        config: usize,
        repeat: usize,
    ) -> Result<Vec<Option<PredictionRecord>>, SpillError> {
        let oof = &self.oof[config];
        let n = oof.n_items();
        let proba = self.proba.repeat(config, repeat)?;
        Ok((0..n)
            .map(|i| {
                let fold = self.fold_of[repeat * n + i];
                let p = oof.record(repeat, i, fold as usize, proba.get(i).map(<[f64]>::to_vec))?;
                debug_assert_ne!(fold, NO_FOLD, "a prediction without a fold");
                Some(p)
            })
            .collect())
    }

    /// Configuration `config`'s predictions in every repeat, `[repeat][item]`.
    pub fn all_records(
        &self,
        config: usize,
    ) -> Result<Vec<Vec<Option<PredictionRecord>>>, SpillError> {
        (0..self.oof[config].n_repeats())
            .map(|r| self.records(config, r))
            .collect()
    }
}

/// A run's [`Predictions`], shared between the run's output and its report (which reads them while it writes).
/// Two handles are equal when they are the same store: comparing contents would mean reading the spill file.
#[derive(Debug, Clone)]
pub struct SharedPredictions(pub Arc<Predictions>);

impl PartialEq for SharedPredictions {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for SharedPredictions {
    type Target = Predictions;

    fn deref(&self) -> &Predictions {
        &self.0
    }
}

/// A fold table where no (repeat, item) is tested yet.
pub(crate) fn fold_of_new(repeats: usize, n_items: usize) -> Vec<u32> {
    vec![NO_FOLD; repeats * n_items]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(class: usize, proba: Option<Vec<f64>>) -> Prediction {
        Prediction {
            class,
            proba,
            tied: false,
        }
    }

    /// The spill file gives back every probability bit for bit, wherever its chunks were appended from, as memory
    /// does; rows without probabilities stay without.
    #[test]
    fn spilled_probabilities_read_back_as_memory_holds_them() {
        let rows_a = vec![
            (3, pred(0, Some(vec![0.1 + 0.2, 1.0 - (0.1 + 0.2)]))),
            (0, pred(1, None)),
        ];
        let rows_b = vec![
            (1, pred(1, Some(vec![f64::MIN_POSITIVE, 1.0]))),
            (2, pred(0, Some(vec![1.0 / 3.0, 2.0 / 3.0]))),
        ];
        let mut mem = Probabilities::in_memory(2, 2, 4, 2);
        let mut disk = Probabilities::spilled(2, 2, 4, 2).unwrap();
        for p in [&mut mem, &mut disk] {
            p.put(1, 0, &rows_a).unwrap();
            p.put(0, 1, &rows_b).unwrap();
            p.put(1, 0, &rows_b).unwrap();
        }
        assert!(disk.is_spilled() && !mem.is_spilled());
        for (cell, repeat) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let (m, d) = (
                mem.repeat(cell, repeat).unwrap(),
                disk.repeat(cell, repeat).unwrap(),
            );
            for i in 0..4 {
                let bits = |r: &RepeatProba| {
                    r.get(i)
                        .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                };
                assert_eq!(bits(&m), bits(&d), "cell {cell} repeat {repeat} item {i}");
            }
        }
        let r = disk.repeat(1, 0).unwrap();
        assert_eq!(r.get(0), None);
        assert_eq!(r.get(3), Some(&[0.1 + 0.2, 1.0 - (0.1 + 0.2)][..]));
        assert_eq!(r.get(1), Some(&[f64::MIN_POSITIVE, 1.0][..]));
        assert_eq!(disk.repeat(1, 1).unwrap().get(2), None);
    }
}
