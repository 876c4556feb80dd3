//! An owned label set over raw bytes, for writing blocks.
//!
//! Readers hand out [`Label`]s borrowed from an index; a writer has to keep label sets
//! after the bytes they came from are gone. [`Labels`] owns them without assuming UTF-8
//! (index strings are bytes to Prometheus), so a series read from one block is written to
//! another unchanged, without a detour through `String`.
//!
//! A `Labels` is always in Prometheus's canonical form: sorted by name, names unique and
//! not empty, no empty values. [`Labels::new`] establishes that form the way Prometheus's
//! appender does (an empty value means "no such label", so it is dropped); converting from
//! a reader's `&[Label]` trusts the index, which stores label sets in that form already.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::labels::Label;

/// Why pairs do not make a label set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelsError {
    /// No labels are left once empty values are dropped.
    #[error("series without labels")]
    NoLabels,
    /// Two labels share a name.
    #[error("duplicate label name {:?}", String::from_utf8_lossy(.0))]
    DuplicateName(Vec<u8>),
    /// A label name is empty.
    #[error("empty label name")]
    EmptyName,
}

/// An owned, canonical label set: sorted by name, unique non-empty names, non-empty values.
///
/// Stored as one byte buffer (name, value, name, value, ...) plus the end offset of each
/// string, so a set costs two allocations however many labels it has; block writers keep
/// one per series.
///
/// Ordered as Prometheus's `labels.Compare` orders series (pair by pair, name then value,
/// bytewise; a prefix first), which is the order of series in an index.
#[derive(Clone, Default)]
pub struct Labels {
    /// Names and values back to back.
    bytes: Vec<u8>,
    /// End offset in `bytes` of each name and each value: `2 * len()` entries.
    ends: Vec<usize>,
}

impl Labels {
    /// The label set of `pairs`, as Prometheus's appender makes it: labels with empty
    /// values dropped, sorted by name. Empty or duplicate names, or no labels at all, are
    /// errors.
    pub fn new<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Labels, LabelsError>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut pairs: Vec<(N, V)> = pairs
            .into_iter()
            .filter(|(_, v)| !v.as_ref().is_empty())
            .collect();
        pairs.sort_by(|a, b| (a.0.as_ref(), a.1.as_ref()).cmp(&(b.0.as_ref(), b.1.as_ref())));
        if pairs.is_empty() {
            return Err(LabelsError::NoLabels);
        }
        if pairs.iter().any(|(n, _)| n.as_ref().is_empty()) {
            return Err(LabelsError::EmptyName);
        }
        if let Some(w) = pairs
            .windows(2)
            .find(|w| w[0].0.as_ref() >= w[1].0.as_ref())
        {
            return Err(LabelsError::DuplicateName(w[1].0.as_ref().to_vec()));
        }
        Ok(Self::from_canonical(
            pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref())),
        ))
    }

    /// Copies pairs already in canonical form (not checked).
    fn from_canonical<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Labels {
        let mut l = Labels::default();
        for (n, v) in pairs {
            l.bytes.extend_from_slice(n);
            l.ends.push(l.bytes.len());
            l.bytes.extend_from_slice(v);
            l.ends.push(l.bytes.len());
        }
        l
    }

    /// The labels in name order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            labels: self,
            next: 0,
        }
    }

    /// The value of label `name`, if the set has it.
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        // Sorted by name: a binary search over the pairs.
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let l = self.label(mid);
            match l.name.cmp(name) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(l.value),
            }
        }
        None
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.ends.len() / 2
    }

    /// True for the empty set (only a default-constructed one: [`new`](Self::new) refuses
    /// it).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th label; `i < len()`.
    fn label(&self, i: usize) -> Label<'_> {
        let start = if i == 0 { 0 } else { self.ends[2 * i - 1] };
        let mid = self.ends[2 * i];
        let end = self.ends[2 * i + 1];
        Label {
            name: &self.bytes[start..mid],
            value: &self.bytes[mid..end],
        }
    }
}

/// A reader's label set, copied as it is: an index stores series labels in canonical form,
/// so they are not checked again. (A corrupt index's out-of-order labels are refused later,
/// by the index writer, not here.)
impl From<&[Label<'_>]> for Labels {
    fn from(labels: &[Label<'_>]) -> Labels {
        Labels::from_canonical(labels.iter().map(|l| (l.name, l.value)))
    }
}

/// The labels of a [`Labels`], in name order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    labels: &'a Labels,
    next: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Label<'a>;

    fn next(&mut self) -> Option<Label<'a>> {
        if self.next >= self.labels.len() {
            return None;
        }
        let l = self.labels.label(self.next);
        self.next += 1;
        Some(l)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.labels.len() - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Labels {
    type Item = Label<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Labels) -> bool {
        // The buffer alone could match for different splits ("ab"="c" vs "a"="bc").
        self.ends == other.ends && self.bytes == other.bytes
    }
}

impl Eq for Labels {}

impl Hash for Labels {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ends.hash(state);
        self.bytes.hash(state);
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Labels) -> Ordering {
        self.iter().cmp(other.iter())
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Labels) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `{name="value", ...}`, names and values shown lossily as UTF-8.
impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_values(l: &Labels) -> Vec<(&[u8], &[u8])> {
        l.iter().map(|l| (l.name, l.value)).collect()
    }

    #[test]
    fn new_sorts_drops_empty_values_and_validates() {
        let l = Labels::new([("z", "1"), ("a", "2"), ("m", "")]).expect("valid");
        assert_eq!(
            names_values(&l),
            [(&b"a"[..], &b"2"[..]), (&b"z"[..], &b"1"[..])]
        );
        assert_eq!(l.len(), 2);
        assert_eq!(Labels::new([("a", "")]), Err(LabelsError::NoLabels));
        assert_eq!(
            Labels::new([("a", "1"), ("a", "2")]),
            Err(LabelsError::DuplicateName(b"a".to_vec()))
        );
        assert_eq!(Labels::new([("", "1")]), Err(LabelsError::EmptyName));
        // Bytes, not UTF-8.
        let raw = Labels::new([(&b"n"[..], &b"\xff\x00"[..])]).expect("valid");
        assert_eq!(raw.get(b"n"), Some(&b"\xff\x00"[..]));
    }

    #[test]
    fn get_finds_every_label() {
        let l = Labels::new([("c", "3"), ("a", "1"), ("b", "2"), ("d", "4")]).expect("valid");
        for (n, v) in [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")] {
            assert_eq!(l.get(n.as_bytes()), Some(v.as_bytes()));
        }
        assert_eq!(l.get(b"aa"), None);
        assert_eq!(l.get(b""), None);
        assert_eq!(Labels::default().get(b"a"), None);
    }

    #[test]
    fn order_and_equality_follow_prometheus() {
        let set = |p: &[(&str, &str)]| Labels::new(p.iter().copied()).expect("valid");
        let a = set(&[("a", "1")]);
        let ab = set(&[("a", "1"), ("b", "1")]);
        let a2 = set(&[("a", "2")]);
        assert!(a < ab && ab < a2);
        // Same bytes, different split: not equal.
        let x = set(&[("ab", "c")]);
        let y = set(&[("a", "bc")]);
        assert_ne!(x, y);
        assert_eq!(y.cmp(&x), Ordering::Less);
        let borrowed: Vec<Label<'_>> = ab.iter().collect();
        assert_eq!(Labels::from(borrowed.as_slice()), ab);
        assert_eq!(format!("{ab:?}"), r#"{a="1", b="1"}"#);
    }
}
