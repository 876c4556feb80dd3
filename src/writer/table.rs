//! The writer's series: each label set stored once, beside its append state, in one vector
//! that is sorted in place when the block is written.
//!
//! A `HashMap<Labels, MemSeries>` keeps the series where they cannot be sorted (the block
//! wants them in label order, so they had to be moved into a second vector, twice the
//! memory at the peak) and hashes every label byte with SipHash, which a million series
//! of four samples each spend a fifth of their time in. Here the map only holds a 64-bit
//! hash per series and the position of the first series with that hash; series sharing a
//! hash are chained through `next`. The hash is [`crate::fxhash`]'s over a random key and
//! the label bytes (a collision costs a comparison, never a wrong answer; the key keeps
//! label sets from a file from being chosen to collide).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::series::MemSeries;
use crate::fxhash::FxHasher;
use crate::labelset::Labels;

/// No position.
const NONE: u32 = u32::MAX;

/// The hash of `labels` under `seed`. The seed is random per table: label sets come from
/// files (`tsblock copy` reads them from a block), and FxHash without a secret lets anyone
/// build many label sets of one hash, which would chain every lookup through all of them.
fn hash(seed: u64, labels: &Labels) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(seed);
    for l in labels {
        h.write(l.name);
        h.write(l.value);
    }
    h.finish()
}

/// The series of a block being built.
#[derive(Debug)]
pub(crate) struct SeriesTable {
    /// The hash's key, random per table.
    seed: u64,
    entries: Vec<(Labels, MemSeries)>,
    /// Hash of the labels → the first series with that hash.
    first: HashMap<u64, u32, BuildHasherDefault<FxHasher>>,
    /// Per series: the next series with the same hash.
    next: Vec<u32>,
}

impl Default for SeriesTable {
    fn default() -> Self {
        use std::hash::BuildHasher;
        SeriesTable {
            seed: std::collections::hash_map::RandomState::new().hash_one(0u64),
            entries: Vec::new(),
            first: HashMap::default(),
            next: Vec::new(),
        }
    }
}

impl SeriesTable {
    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// True without series.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `labels`, if present.
    pub(crate) fn find(&self, labels: &Labels) -> Option<usize> {
        let mut i = *self.first.get(&hash(self.seed, labels))?;
        while i != NONE {
            let at = i as usize;
            if self.entries.get(at).is_some_and(|(l, _)| l == labels) {
                return Some(at);
            }
            i = self.next.get(at).copied().unwrap_or(NONE);
        }
        None
    }

    /// The append state of `labels`, created if new.
    #[allow(clippy::indexing_slicing)] // `at` was just found in, or pushed onto, `entries`
    pub(crate) fn get_or_insert(&mut self, labels: &Labels) -> &mut MemSeries {
        let at = match self.find(labels) {
            Some(at) => at,
            None => {
                let at = self.entries.len();
                let slot = self.first.entry(hash(self.seed, labels)).or_insert(NONE);
                self.next.push(*slot);
                *slot = at as u32;
                self.entries.push((labels.clone(), MemSeries::new()));
                at
            }
        };
        &mut self.entries[at].1
    }

    /// The append state at `at` (from [`find`](Self::find)).
    pub(crate) fn get(&self, at: usize) -> Option<&MemSeries> {
        self.entries.get(at).map(|(_, s)| s)
    }

    /// The series sorted by labels; the lookup structures are freed first.
    pub(crate) fn into_sorted(self) -> Vec<(Labels, MemSeries)> {
        let SeriesTable { mut entries, .. } = self;
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_even_when_hashes_collide() {
        let mut t = SeriesTable::default();
        let a = Labels::new([("job", "a")]).unwrap();
        let b = Labels::new([("job", "b")]).unwrap();
        t.get_or_insert(&a).floor = 1;
        t.get_or_insert(&b).floor = 2;
        t.get_or_insert(&a).floor += 10;
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(t.find(&a).unwrap()).unwrap().floor, 11);
        // Force a collision: chain b behind a's hash.
        let mut forced = SeriesTable::default();
        let forced_seed = forced.seed;
        let ha = hash(forced_seed, &a);
        forced.entries.push((a.clone(), MemSeries::new()));
        forced.entries.push((b.clone(), MemSeries::new()));
        forced.first.insert(ha, 1);
        forced.first.insert(hash(forced_seed, &b), NONE);
        forced.next = vec![NONE, 0];
        assert_eq!(forced.find(&a), Some(0));
        let sorted = t.into_sorted();
        assert_eq!(sorted[0].0, a);
    }
}
