//! The corpus-wide term interner: every document's terms turned into ids once per run, before any fold is fitted.
//!
//! It is the hot loop of extraction (see [`Interner`] for what makes it fast); the bags in [`crate::bag`] count and
//! weigh what it produces.

use rustc_hash::FxHashMap;

use crate::bag::InternedTerms;

/// Interns the terms of every document, one document at a time: the same terms, ids and id sequences as
/// [`InternedTerms::new`] on the documents' term strings, at a fraction of its cost, because this runs once per run
/// over the whole corpus (the word 1–2-gram terms of 30,000 arguments are about 1.3 million strings).
///
/// What makes the difference: an Fx hash instead of SipHash (the keys are our own terms, not attacker-controlled
/// input); terms looked up by `&str` and copied only when new; word n-grams keyed by the ids of their words, so a
/// bigram is one `u64` lookup and its string (`"lift the"`) is built once per distinct term, in [`Interner::finish`];
/// and the sort into term order comparing an 8-byte big-endian prefix before the whole strings.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    /// String terms of at most [`SHORT`] bytes (every character n-gram up to 7 characters of ASCII text), packed
    /// by [`pack_short`] → provisional id: a one-word key hashes and compares without reading the string.
    short: FxHashMap<u64, u32>,
    /// Longer string terms (character n-grams, negation terms) → provisional id.
    strs: FxHashMap<String, u32>,
    /// Words of word n-grams of at most [`SHORT_WORD`] bytes (lower-cased, marked), packed by [`pack_word`] →
    /// word id.
    short_words: FxHashMap<u128, u32>,
    /// Longer words of word n-grams → word id.
    words: FxHashMap<String, u32>,
    /// The text of each word id.
    word_text: Vec<String>,
    /// Provisional term id of each word id as a unigram, or `NONE` while it is not one.
    unigram: Vec<u32>,
    /// Word-id pairs (first << 32 | second) → provisional term id.
    pairs: FxHashMap<u64, u32>,
    /// Longer word-id sequences, padded with `NONE` → provisional term id.
    longer: FxHashMap<[u32; MAX_WORD_N], u32>,
    /// What each provisional id stands for.
    defs: Vec<TermDef>,
    /// The word ids of sequence terms (`TermDef::Seq` points here).
    seq_words: Vec<u32>,
    /// The current document's term ids.
    current: Vec<u32>,
    docs: Vec<Vec<u32>>,
    /// Scratch space the extractors reuse from one document to the next.
    pub(crate) scratch_words: Vec<u32>,
    /// Scratch space the extractors reuse from one document to the next.
    pub(crate) scratch_text: String,
}

/// The largest word n (`word-ngrams` checks `ngram` against it).
pub(crate) const MAX_WORD_N: usize = 6;

const NONE: u32 = u32::MAX;

/// The longest string term kept in [`Interner::short`]: 7 bytes and its length fill one `u64`.
pub(crate) const SHORT: usize = 7;

/// The longest word kept in [`Interner::short_words`]: 15 bytes and its length fill one `u128` (most words).
pub(crate) const SHORT_WORD: usize = 15;

/// `b` (at most [`SHORT`] bytes) as one `u64`: its bytes from the lowest, zero-padded, and its length in the top
/// byte. The length makes the key one-to-one even for bytes that are zero.
#[inline]
pub(crate) fn pack_short(b: &[u8]) -> u64 {
    debug_assert!(b.len() <= SHORT);
    let mut a = [0u8; 8];
    a[..b.len()].copy_from_slice(b);
    a[7] = b.len() as u8;
    u64::from_le_bytes(a)
}

/// The same key as [`pack_short`] for the `n` (at most [`SHORT`]) bytes at the start of `window`, eight bytes of
/// text read as one little-endian `u64`: how the character n-gram loop keys a slice without copying it.
#[inline]
pub(crate) fn pack_window(window: u64, n: usize) -> u64 {
    debug_assert!(n <= SHORT);
    (window & ((1u64 << (8 * n)) - 1)) | (n as u64) << 56
}

/// The string a [`pack_short`] key was made from.
fn unpack_short(key: u64) -> String {
    let a = key.to_le_bytes();
    let n = (a[7] as usize).min(SHORT);
    // Keys are only made from `&str`s (or ASCII slices of one), so the bytes are UTF-8; lossy is never lossy.
    String::from_utf8_lossy(&a[..n]).into_owned()
}

/// `b` (at most [`SHORT_WORD`] bytes) as one `u128`, as [`pack_short`] does, lower-cased (ASCII) when `lower`.
#[inline]
fn pack_word(b: &[u8], lower: bool) -> u128 {
    debug_assert!(b.len() <= SHORT_WORD);
    let mut a = [0u8; 16];
    a[..b.len()].copy_from_slice(b);
    if lower {
        // The length byte (at most 15) is not a letter: only the word's bytes change.
        a.make_ascii_lowercase();
    }
    a[15] = b.len() as u8;
    u128::from_le_bytes(a)
}

/// What a provisional term id stands for.
#[derive(Debug, Clone, Copy)]
enum TermDef {
    /// A key of `Interner::strs`.
    Str,
    /// A key of `Interner::short`.
    Short(u64),
    /// The words `seq_words[at..at + n]`, joined by spaces.
    Seq { at: u32, n: u32 },
}

impl Interner {
    /// Adds the next document's terms (the string path, which the tests compare with).
    #[cfg(test)]
    pub(crate) fn push(&mut self, doc: Vec<String>) {
        for t in &doc {
            self.push_str(t);
        }
        self.end_doc();
    }

    /// Adds a term to the current document.
    pub(crate) fn push_str(&mut self, t: &str) {
        if t.len() <= SHORT {
            return self.push_short(pack_short(t.as_bytes()));
        }
        let id = match self.strs.get(t) {
            Some(&id) => id,
            None => {
                let id = self.defs.len() as u32;
                self.defs.push(TermDef::Str);
                self.strs.insert(t.to_string(), id);
                id
            }
        };
        self.current.push(id);
    }

    /// Adds to the current document the term of at most [`SHORT`] bytes whose key is `key` ([`pack_short`],
    /// [`pack_window`]): what [`Interner::push_str`] does with such a term.
    #[inline]
    pub(crate) fn push_short(&mut self, key: u64) {
        let next = self.defs.len() as u32;
        let id = *self.short.entry(key).or_insert(next);
        if id == next {
            self.defs.push(TermDef::Short(key));
        }
        self.current.push(id);
    }

    /// The id of a word of word n-grams (what [`Interner::push_words`] takes).
    pub(crate) fn word_id(&mut self, w: &str) -> u32 {
        if w.len() <= SHORT_WORD {
            return self.short_word_id(pack_word(w.as_bytes(), false), w.as_bytes(), false);
        }
        match self.words.get(w) {
            Some(&id) => id,
            None => self.new_word(w.to_string()),
        }
    }

    /// [`Interner::word_id`] of the ASCII lower case of the ASCII word `w`, without lower-casing it first when
    /// it is short (most words).
    #[inline]
    pub(crate) fn ascii_lower_word_id(&mut self, w: &[u8]) -> u32 {
        debug_assert!(w.is_ascii());
        if w.len() <= SHORT_WORD {
            return self.short_word_id(pack_word(w, true), w, true);
        }
        let lower = String::from_utf8_lossy(w).to_ascii_lowercase();
        self.word_id(&lower)
    }

    fn short_word_id(&mut self, key: u128, w: &[u8], lower: bool) -> u32 {
        match self.short_words.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.word_text.len() as u32;
                self.short_words.insert(key, id);
                // `w` is a `&str`'s bytes or ASCII: lossy is never lossy.
                let mut text = String::from_utf8_lossy(w).into_owned();
                if lower {
                    text.make_ascii_lowercase();
                }
                self.new_word_text(text);
                id
            }
        }
    }

    fn new_word(&mut self, w: String) -> u32 {
        let id = self.word_text.len() as u32;
        self.words.insert(w.clone(), id);
        self.new_word_text(w);
        id
    }

    fn new_word_text(&mut self, w: String) {
        self.word_text.push(w);
        self.unigram.push(NONE);
    }

    /// Adds to the current document the term made of the words `ws` (1 to [`MAX_WORD_N`] word ids) joined by
    /// spaces.
    pub(crate) fn push_words(&mut self, ws: &[u32]) {
        let next = self.defs.len() as u32;
        let id = match ws.len() {
            1 => {
                let slot = &mut self.unigram[ws[0] as usize];
                if *slot == NONE {
                    *slot = next;
                }
                *slot
            }
            2 => *self
                .pairs
                .entry((ws[0] as u64) << 32 | ws[1] as u64)
                .or_insert(next),
            n => {
                let mut key = [NONE; MAX_WORD_N];
                key[..n].copy_from_slice(ws);
                *self.longer.entry(key).or_insert(next)
            }
        };
        if id == next {
            self.defs.push(TermDef::Seq {
                at: self.seq_words.len() as u32,
                n: ws.len() as u32,
            });
            self.seq_words.extend_from_slice(ws);
        }
        self.current.push(id);
    }

    /// Ends the current document.
    pub(crate) fn end_doc(&mut self) {
        // An exact-size copy: a document's ids are kept for the whole run.
        self.docs.push(self.current.as_slice().to_vec());
        self.current.clear();
    }

    /// Renumbers the ids in the terms' sorted order. Two provisional ids with the same string (which distinct
    /// word sequences cannot give unless a word holds a space) become one term, as interning the strings would.
    pub(crate) fn finish(self) -> InternedTerms {
        let Interner {
            strs,
            short,
            words,
            short_words,
            word_text,
            defs,
            seq_words,
            mut docs,
            ..
        } = self;
        drop((words, short_words));
        let word_text: Vec<&str> = word_text.iter().map(String::as_str).collect();
        if strs.is_empty()
            && short.is_empty()
            && word_text.iter().all(|w| w.bytes().all(|b| b > b' '))
        {
            return finish_by_word_rank(&word_text, &defs, &seq_words, docs);
        }
        drop(short);
        let mut by_id = vec![String::new(); defs.len()];
        for (id, def) in defs.iter().enumerate() {
            if let TermDef::Seq { at, n } = *def {
                let ws = &seq_words[at as usize..(at + n) as usize];
                let mut t = String::with_capacity(
                    ws.iter().map(|&w| word_text[w as usize].len() + 1).sum(),
                );
                for (k, &w) in ws.iter().enumerate() {
                    if k > 0 {
                        t.push(' ');
                    }
                    t.push_str(word_text[w as usize]);
                }
                by_id[id] = t;
            } else if let TermDef::Short(key) = *def {
                by_id[id] = unpack_short(key);
            }
        }
        for (t, id) in strs {
            by_id[id as usize] = t;
        }
        let mut order: Vec<(u64, u32)> = by_id
            .iter()
            .enumerate()
            .map(|(id, t)| (prefix_key(t), id as u32))
            .collect();
        // Equal strings end up side by side (in either order) and share one id.
        order.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| by_id[a.1 as usize].cmp(&by_id[b.1 as usize]))
        });
        let mut new_id = vec![0u32; by_id.len()];
        let mut terms: Vec<String> = Vec::with_capacity(by_id.len());
        for &(_, old) in &order {
            let t = std::mem::take(&mut by_id[old as usize]);
            if terms.last() != Some(&t) {
                terms.push(t);
            }
            new_id[old as usize] = (terms.len() - 1) as u32;
        }
        renumber(&mut docs, &new_id);
        InternedTerms { terms, docs }
    }
}

/// [`Interner::finish`] when every term is a word sequence and no word holds a byte at or below `' '`. Then the
/// order of the joined strings is the order of the sequences compared word by word (a sequence before its
/// extensions): where two sequences first differ, either one word is a prefix of the other, and the shorter
/// string continues with `' '` or ends where the longer continues with a larger byte, or the words differ at a
/// byte, as the strings do. So the words are sorted once, and the terms by their words' ranks (no string
/// comparisons); each term's string is built once, in the final order.
fn finish_by_word_rank(
    word_text: &[&str],
    defs: &[TermDef],
    seq_words: &[u32],
    mut docs: Vec<Vec<u32>>,
) -> InternedTerms {
    let mut by_text: Vec<u32> = (0..word_text.len() as u32).collect();
    by_text.sort_unstable_by(|&a, &b| word_text[a as usize].cmp(word_text[b as usize]));
    // Rank + 1, so that 0 pads a shorter sequence before its extensions.
    let mut rank = vec![0u32; word_text.len()];
    for (r, &w) in by_text.iter().enumerate() {
        rank[w as usize] = r as u32 + 1;
    }
    let words_of = |def: &TermDef| match *def {
        TermDef::Seq { at, n } => &seq_words[at as usize..(at + n) as usize],
        TermDef::Str | TermDef::Short(_) => unreachable!("no string terms"),
    };
    // The term of a key: its ranks, 0 ending a shorter sequence, name its words. Built from the sorted keys
    // alone: looking each term's words up by its old id instead reads `defs` and `seq_words` in random order,
    // which missed the cache on most terms and took a sixth of extraction.
    let word_of_rank = |r: u32| word_text[by_text[r as usize - 1] as usize];
    let term_of = |ranks: &[u32]| {
        let ws: Vec<&str> = ranks
            .iter()
            .take_while(|&&r| r != 0)
            .map(|&r| word_of_rank(r))
            .collect();
        ws.join(" ")
    };
    let mut new_id = vec![0u32; defs.len()];
    // Distinct sequences have distinct keys: the order is total. Unigrams and bigrams (the usual case) are keyed
    // by one `u64`, which sorts several times faster than arrays.
    let terms: Vec<String> = if seq_words.len() <= 2 * defs.len()
        && defs
            .iter()
            .all(|d| matches!(d, TermDef::Seq { n, .. } if *n <= 2))
    {
        let mut keyed: Vec<(u64, u32)> = defs
            .iter()
            .enumerate()
            .map(|(id, def)| {
                let ws = words_of(def);
                let second = ws.get(1).map_or(0, |&w| rank[w as usize]);
                (
                    (rank[ws[0] as usize] as u64) << 32 | second as u64,
                    id as u32,
                )
            })
            .collect();
        keyed.sort_unstable_by_key(|k| k.0);
        keyed
            .iter()
            .enumerate()
            .map(|(new, &(key, old))| {
                new_id[old as usize] = new as u32;
                let (first, second) = ((key >> 32) as u32, key as u32);
                let w1 = word_of_rank(first);
                if second == 0 {
                    w1.to_string()
                } else {
                    let w2 = word_of_rank(second);
                    let mut t = String::with_capacity(w1.len() + 1 + w2.len());
                    t.push_str(w1);
                    t.push(' ');
                    t.push_str(w2);
                    t
                }
            })
            .collect()
    } else {
        let mut keyed: Vec<([u32; MAX_WORD_N], u32)> = defs
            .iter()
            .enumerate()
            .map(|(id, def)| {
                let mut key = [0u32; MAX_WORD_N];
                for (k, &w) in key.iter_mut().zip(words_of(def)) {
                    *k = rank[w as usize];
                }
                (key, id as u32)
            })
            .collect();
        keyed.sort_unstable_by_key(|a| a.0);
        keyed
            .iter()
            .enumerate()
            .map(|(new, (key, old))| {
                new_id[*old as usize] = new as u32;
                term_of(key)
            })
            .collect()
    };
    renumber(&mut docs, &new_id);
    InternedTerms { terms, docs }
}

/// Gives every document's ids their final numbers and sorts them (see [`InternedTerms::docs`]).
fn renumber(docs: &mut [Vec<u32>], new_id: &[u32]) {
    for doc in docs {
        for id in doc.iter_mut() {
            *id = new_id[*id as usize];
        }
        doc.sort_unstable();
    }
}

/// The first 8 bytes of `t`, zero-padded, as a big-endian number: comparing two keys orders two strings as their
/// bytes do whenever the keys differ (equal keys fall back to comparing the strings).
fn prefix_key(t: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = t.len().min(8);
    b[..n].copy_from_slice(&t.as_bytes()[..n]);
    u64::from_be_bytes(b)
}
