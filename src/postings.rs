//! Postings: sorted streams of series references that can skip ahead, and their algebra
//! (intersection, union, subtraction).
//!
//! One shape, [`PostingsIter`], for every stream: a block's postings list read from the
//! mapped bytes ([`crate::index::Postings`], galloping on `seek`), a list in memory
//! ([`VecPostings`], as a head holds them), and the combinators. Everything is lazy: an
//! intersection seeks its inputs, a union keeps a heap of their heads, a subtraction
//! seeks the list it removes. The query planner ([`crate::query`]) builds these from
//! label matchers; the storage traits ([`crate::storage`]) hand them out.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::error::{Error, Result};
use crate::refs::SeriesRef;
use crate::storage::LabelValueIter;

/// A sorted stream of series references with a current position, as Prometheus's
/// `index.Postings`: `next` moves to the next reference, `seek` to the first one at or
/// after a target (staying put if the current one already is), `at` reads the current one,
/// and `error` tells whether the stream ended because reading failed.
pub trait PostingsIter {
    /// Moves to the next reference; false at the end (or on an error: see `error`).
    fn next(&mut self) -> bool;
    /// Moves to the first reference `>= target`, not moving if the current one is; false
    /// when there is none.
    fn seek(&mut self, target: SeriesRef) -> bool;
    /// The current reference (meaningful after `next` or `seek` returned true).
    fn at(&self) -> SeriesRef;
    /// An upper bound on the references left, to order intersections cheapest first;
    /// 0 only when the stream is empty.
    fn cost(&self) -> usize;
    /// The error that ended the stream early, handed out once. Streams over bytes that
    /// are checked when the stream is made (a block's postings lists) never fail later;
    /// one that fetches as it goes reports here, and combinators pass their inputs' on.
    fn error(&mut self) -> Option<Error> {
        None
    }
}

/// A boxed postings stream.
pub type BoxPostings<'a> = Box<dyn PostingsIter + 'a>;

impl<P: PostingsIter + ?Sized> PostingsIter for Box<P> {
    fn next(&mut self) -> bool {
        (**self).next()
    }
    fn seek(&mut self, target: SeriesRef) -> bool {
        (**self).seek(target)
    }
    fn at(&self) -> SeriesRef {
        (**self).at()
    }
    fn cost(&self) -> usize {
        (**self).cost()
    }
    fn error(&mut self) -> Option<Error> {
        (**self).error()
    }
}

/// Reads a postings stream to the end as an iterator of references, then its error if
/// it ended on one.
pub fn iter<P: PostingsIter>(p: P) -> impl Iterator<Item = Result<SeriesRef>> {
    let mut p = p;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if p.next() {
            return Some(Ok(p.at()));
        }
        done = true;
        p.error().map(Err)
    })
}

/// Postings of one label name: value → series, ascending.
type ValuePostings = BTreeMap<Box<[u8]>, Vec<SeriesRef>>;

/// The postings of a source indexed in memory (the head, a parquet-common export): label
/// name → value → the series having it, ascending, for series numbered `0..n` in order.
#[derive(Debug, Default)]
pub(crate) struct MemPostings {
    map: BTreeMap<Box<[u8]>, ValuePostings>,
    series: u64,
}

impl MemPostings {
    /// Indexes `series`, each given by its label pairs, as references `0..`.
    pub(crate) fn build<'l, S, L>(series: S) -> MemPostings
    where
        S: IntoIterator<Item = L>,
        L: IntoIterator<Item = (&'l [u8], &'l [u8])>,
    {
        let mut p = MemPostings::default();
        for labels in series {
            for (name, value) in labels {
                p.map
                    .entry(name.into())
                    .or_default()
                    .entry(value.into())
                    .or_default()
                    .push(SeriesRef(p.series));
            }
            p.series += 1;
        }
        p
    }

    /// Every label name, sorted.
    pub(crate) fn label_names(&self) -> Vec<&[u8]> {
        self.map.keys().map(|k| &k[..]).collect()
    }

    /// The values of `name` from `from` on, sorted.
    pub(crate) fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> LabelValueIter<'a> {
        let Some(values) = self.map.get(name) else {
            return Box::new(std::iter::empty());
        };
        let from: Box<[u8]> = from.into();
        Box::new(values.range(from..).map(|(v, _)| Ok(&v[..])))
    }

    /// The series with `name="value"`; every series for the empty pair (the all-postings
    /// key).
    pub(crate) fn postings(&self, name: &[u8], value: &[u8]) -> BoxPostings<'_> {
        let refs = if name.is_empty() && value.is_empty() {
            (0..self.series).map(SeriesRef).collect()
        } else {
            self.map
                .get(name)
                .and_then(|values| values.get(value))
                .cloned()
                .unwrap_or_default()
        };
        Box::new(VecPostings::new(refs))
    }
}

/// A sorted list of references held in memory.
#[derive(Debug, Clone, Default)]
pub struct VecPostings {
    refs: Vec<SeriesRef>,
    /// Index of the current entry plus one (0 before the start).
    pos: usize,
}

impl VecPostings {
    /// Wraps references that must be sorted ascending.
    pub fn new(refs: Vec<SeriesRef>) -> Self {
        VecPostings { refs, pos: 0 }
    }
}

impl PostingsIter for VecPostings {
    fn next(&mut self) -> bool {
        if self.pos <= self.refs.len() {
            self.pos += 1;
        }
        self.pos <= self.refs.len()
    }

    fn seek(&mut self, target: SeriesRef) -> bool {
        if self.pos > 0 && self.refs.get(self.pos - 1).is_some_and(|&v| v >= target) {
            return true;
        }
        let from = self.pos.min(self.refs.len());
        let rest = self.refs.get(from..).unwrap_or_default();
        self.pos = from + rest.partition_point(|&v| v < target) + 1;
        self.pos <= self.refs.len()
    }

    fn at(&self) -> SeriesRef {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.refs.get(i))
            .copied()
            .unwrap_or_default()
    }

    fn cost(&self) -> usize {
        self.refs.len().saturating_sub(self.pos.saturating_sub(1))
    }
}

/// No references.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyPostings;

impl PostingsIter for EmptyPostings {
    fn next(&mut self) -> bool {
        false
    }
    fn seek(&mut self, _: SeriesRef) -> bool {
        false
    }
    fn at(&self) -> SeriesRef {
        SeriesRef(0)
    }
    fn cost(&self) -> usize {
        0
    }
}

/// References in every one of several streams.
pub struct Intersect<'a> {
    /// Cheapest first: the shortest list leads and the others seek to it.
    its: Vec<BoxPostings<'a>>,
    cur: SeriesRef,
    done: bool,
}

/// The intersection of `its`; empty when `its` is.
pub fn intersect<'a>(mut its: Vec<BoxPostings<'a>>) -> BoxPostings<'a> {
    match its.len() {
        0 => Box::new(EmptyPostings),
        1 => its.pop().unwrap_or_else(|| Box::new(EmptyPostings)),
        _ => {
            its.sort_by_key(|p| p.cost());
            Box::new(Intersect {
                its,
                cur: SeriesRef(0),
                done: false,
            })
        }
    }
}

impl Intersect<'_> {
    /// Seeks every stream to `self.cur`, raising it until all agree.
    fn align(&mut self) -> bool {
        'outer: loop {
            for p in self.its.iter_mut() {
                if !p.seek(self.cur) {
                    self.done = true;
                    return false;
                }
                if p.at() > self.cur {
                    self.cur = p.at();
                    continue 'outer;
                }
            }
            return true;
        }
    }
}

impl PostingsIter for Intersect<'_> {
    fn next(&mut self) -> bool {
        if self.done {
            return false;
        }
        let Some(lead) = self.its.first_mut() else {
            return false;
        };
        if !lead.next() {
            self.done = true;
            return false;
        }
        self.cur = lead.at();
        self.align()
    }

    fn seek(&mut self, target: SeriesRef) -> bool {
        if self.done {
            return false;
        }
        self.cur = self.cur.max(target);
        self.align()
    }

    fn at(&self) -> SeriesRef {
        self.cur
    }

    fn cost(&self) -> usize {
        self.its.iter().map(|p| p.cost()).min().unwrap_or(0)
    }

    fn error(&mut self) -> Option<Error> {
        self.its.iter_mut().find_map(|p| p.error())
    }
}

/// References in any of several streams, each once (a k-way merge over a heap).
pub struct Union<'a> {
    its: Vec<BoxPostings<'a>>,
    /// `(current reference, index into its)` of the streams not yet exhausted.
    heap: BinaryHeap<Reverse<(SeriesRef, usize)>>,
    cur: Option<SeriesRef>,
    started: bool,
}

/// The union of `its`.
pub fn union<'a>(mut its: Vec<BoxPostings<'a>>) -> BoxPostings<'a> {
    match its.len() {
        0 => Box::new(EmptyPostings),
        1 => its.pop().unwrap_or_else(|| Box::new(EmptyPostings)),
        _ => Box::new(Union {
            heap: BinaryHeap::with_capacity(its.len()),
            its,
            cur: None,
            started: false,
        }),
    }
}

impl Union<'_> {
    fn start(&mut self, seek: Option<SeriesRef>) {
        self.started = true;
        for (i, p) in self.its.iter_mut().enumerate() {
            let ok = match seek {
                Some(t) => p.seek(t),
                None => p.next(),
            };
            if ok {
                self.heap.push(Reverse((p.at(), i)));
            }
        }
        self.cur = self.heap.peek().map(|r| r.0 .0);
    }
}

impl PostingsIter for Union<'_> {
    fn next(&mut self) -> bool {
        if !self.started {
            self.start(None);
            return self.cur.is_some();
        }
        let Some(cur) = self.cur else {
            return false;
        };
        // Advance every stream sitting on the current reference.
        while let Some(&Reverse((v, i))) = self.heap.peek() {
            if v > cur {
                break;
            }
            self.heap.pop();
            if let Some(p) = self.its.get_mut(i) {
                if p.next() {
                    self.heap.push(Reverse((p.at(), i)));
                }
            }
        }
        self.cur = self.heap.peek().map(|r| r.0 .0);
        self.cur.is_some()
    }

    fn seek(&mut self, target: SeriesRef) -> bool {
        if !self.started {
            self.start(Some(target));
            return self.cur.is_some();
        }
        match self.cur {
            None => return false,
            Some(c) if c >= target => return true,
            _ => {}
        }
        // Only the streams behind the target move.
        while let Some(&Reverse((v, i))) = self.heap.peek() {
            if v >= target {
                break;
            }
            self.heap.pop();
            if let Some(p) = self.its.get_mut(i) {
                if p.seek(target) {
                    self.heap.push(Reverse((p.at(), i)));
                }
            }
        }
        self.cur = self.heap.peek().map(|r| r.0 .0);
        self.cur.is_some()
    }

    fn at(&self) -> SeriesRef {
        self.cur.unwrap_or_default()
    }

    fn cost(&self) -> usize {
        self.its
            .iter()
            .map(|p| p.cost())
            .fold(0, usize::saturating_add)
    }

    fn error(&mut self) -> Option<Error> {
        self.its.iter_mut().find_map(|p| p.error())
    }
}

/// References of one stream that are not in another.
pub struct Without<'a> {
    full: BoxPostings<'a>,
    drop: BoxPostings<'a>,
    drop_done: bool,
}

/// `full` minus `drop`.
pub fn without<'a>(full: BoxPostings<'a>, drop: BoxPostings<'a>) -> BoxPostings<'a> {
    Box::new(Without {
        full,
        drop,
        drop_done: false,
    })
}

impl Without<'_> {
    /// From the current reference of `full` on, skips those in `drop`.
    fn settle(&mut self) -> bool {
        loop {
            let v = self.full.at();
            if self.drop_done {
                return true;
            }
            if !self.drop.seek(v) {
                self.drop_done = true;
                return true;
            }
            if self.drop.at() != v {
                return true;
            }
            if !self.full.next() {
                return false;
            }
        }
    }
}

impl PostingsIter for Without<'_> {
    fn next(&mut self) -> bool {
        self.full.next() && self.settle()
    }

    fn seek(&mut self, target: SeriesRef) -> bool {
        self.full.seek(target) && self.settle()
    }

    fn at(&self) -> SeriesRef {
        self.full.at()
    }

    fn cost(&self) -> usize {
        self.full.cost()
    }

    fn error(&mut self) -> Option<Error> {
        self.full.error().or_else(|| self.drop.error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(refs: &[u64]) -> BoxPostings<'static> {
        Box::new(VecPostings::new(
            refs.iter().map(|&r| SeriesRef(r)).collect(),
        ))
    }

    fn all(p: BoxPostings<'_>) -> Vec<u64> {
        iter(p).map(|r| r.unwrap().0).collect()
    }

    /// Ends with an error after its references.
    struct Failing(VecPostings, bool);

    impl PostingsIter for Failing {
        fn next(&mut self) -> bool {
            self.0.next()
        }
        fn seek(&mut self, target: SeriesRef) -> bool {
            self.0.seek(target)
        }
        fn at(&self) -> SeriesRef {
            self.0.at()
        }
        fn cost(&self) -> usize {
            self.0.cost()
        }
        fn error(&mut self) -> Option<Error> {
            std::mem::take(&mut self.1).then(|| Error::NotFound {
                path: "postings".into(),
                what: "gone",
            })
        }
    }

    #[test]
    fn errors_pass_through_combinators() {
        let failing = || -> BoxPostings<'static> {
            Box::new(Failing(
                VecPostings::new(vec![SeriesRef(1), SeriesRef(3)]),
                true,
            ))
        };
        for p in [
            union(vec![v(&[1, 2]), failing()]),
            intersect(vec![v(&[1, 2, 3]), failing()]),
            without(failing(), v(&[2])),
            without(v(&[1, 2, 3]), failing()),
        ] {
            let got: Vec<_> = iter(p).collect();
            assert!(got.last().is_some_and(|r| r.is_err()), "{got:?}");
            assert_eq!(got.iter().filter(|r| r.is_err()).count(), 1);
        }
        assert!(iter(v(&[1])).all(|r| r.is_ok()));
    }

    #[test]
    fn vec_seek_semantics() {
        let mut p = VecPostings::new(vec![SeriesRef(2), SeriesRef(4), SeriesRef(6)]);
        assert!(p.seek(SeriesRef(3)) && p.at().0 == 4);
        assert!(
            p.seek(SeriesRef(4)) && p.at().0 == 4,
            "seek stays on a reference >= target"
        );
        assert!(p.next() && p.at().0 == 6);
        assert!(!p.seek(SeriesRef(7)) && !p.next());
    }

    #[test]
    fn algebra() {
        assert_eq!(
            all(intersect(vec![v(&[1, 3, 5, 7, 9]), v(&[3, 4, 5, 9])])),
            [3, 5, 9]
        );
        assert_eq!(all(intersect(vec![v(&[1, 2]), v(&[])])), Vec::<u64>::new());
        assert_eq!(
            all(union(vec![v(&[1, 5]), v(&[2, 5, 8]), v(&[]), v(&[0])])),
            [0, 1, 2, 5, 8]
        );
        assert_eq!(all(without(v(&[1, 2, 3, 4, 5]), v(&[2, 4, 6]))), [1, 3, 5]);
        assert_eq!(all(without(v(&[1, 2]), v(&[]))), [1, 2]);
        // Nested, with seeks driven by the intersection.
        let u = union(vec![v(&[1, 10, 20]), v(&[5, 15, 25])]);
        let w = without(v(&[1, 5, 10, 15, 20, 25, 30]), v(&[10, 25]));
        assert_eq!(all(intersect(vec![u, w])), [1, 5, 15, 20]);
    }

    #[test]
    fn union_seek_only_moves_streams_behind() {
        let mut u = union(vec![v(&[1, 10]), v(&[2, 3, 4, 11])]);
        assert!(u.seek(SeriesRef(4)) && u.at().0 == 4);
        assert!(u.seek(SeriesRef(4)) && u.at().0 == 4);
        assert!(u.next() && u.at().0 == 10);
        assert!(u.seek(SeriesRef(11)) && u.at().0 == 11);
        assert!(!u.next());
    }
}
