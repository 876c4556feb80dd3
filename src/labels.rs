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

/// Writes a label set as Prometheus's `labels.Labels.String()` does, for error messages.
///
/// Transitional: presentation code uses [`crate::compat::push_labels`]. This copy stays in
/// the model layer only because `src/index/writer.rs` (being rewritten on another branch)
/// describes bad series with it and storage must not depend on `compat`; drop it once that
/// caller moves. A test in `compat` keeps both renderings identical.
#[doc(hidden)]
pub fn push_string(out: &mut Vec<u8>, labels: &[Label<'_>]) {
    out.push(b'{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(l.name);
        out.push(b'=');
        crate::text::push_quoted(out, l.value);
    }
    out.push(b'}');
}
