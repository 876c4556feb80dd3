//! Labels borrowed from an index's symbol table.

use std::cmp::Ordering;
use std::fmt;

/// One label pair. Names and values are the raw bytes stored in the index (normally UTF-8,
/// but a reader must not assume it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label<'a> {
    /// Label name.
    pub name: &'a [u8],
    /// Label value.
    pub value: &'a [u8],
}

impl fmt::Debug for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?}",
            String::from_utf8_lossy(self.name),
            String::from_utf8_lossy(self.value)
        )
    }
}

/// Compares two label sets as Prometheus's `labels.Compare`: pair by pair (name, then
/// value, bytewise); a set that is a prefix of the other sorts first.
///
/// Equal to the `Ord` of `[Label]`; spelled out because the sort order is a format rule.
#[inline]
pub fn compare(a: &[Label<'_>], b: &[Label<'_>]) -> Ordering {
    a.cmp(b)
}
