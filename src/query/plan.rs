//! The query planner: label matchers become postings streams over an
//! [`IndexReader`](crate::storage::IndexReader).
//!
//! Each matcher becomes the union of the postings of the values it accepts (or, when it
//! accepts the empty value, a subtraction of those it rejects); literal sets and prefixes
//! narrow the values walked. Nothing reads a list the query does not name; the list of
//! every series is only read when no matcher narrows the query.

use crate::error::Result;
use crate::postings::{intersect, union, without, BoxPostings, EmptyPostings};
use crate::storage::{IndexReader, Select};

use super::matcher::{Candidates, Matcher};

/// The union of the postings of every value `v` of the matcher's label for which
/// `m.matches(v) == want`, narrowing the values walked with the matcher's literal set or
/// prefixes when those values must satisfy its positive part.
fn values_postings<'a>(
    index: &'a dyn IndexReader,
    m: &Matcher,
    want: bool,
) -> Result<BoxPostings<'a>> {
    let name = m.name();
    // The values wanted satisfy the un-negated test exactly when this holds.
    let positive = want != m.op().is_negative();
    let candidates = if positive {
        m.candidates()
    } else {
        Candidates::All
    };
    match candidates {
        Candidates::Set(values) => {
            let mut lists = Vec::with_capacity(values.len());
            for v in values {
                if m.matches(v) == want {
                    let p = index.postings(name, v)?;
                    if p.cost() > 0 {
                        lists.push(p);
                    }
                }
            }
            Ok(union(lists))
        }
        Candidates::Prefixes(prefixes) => {
            let mut lists = Vec::with_capacity(prefixes.len());
            for p in prefixes {
                let mut select = |v: &[u8]| {
                    if !v.starts_with(p) {
                        Select::Stop
                    } else if m.matches(v) == want {
                        Select::Take
                    } else {
                        Select::Skip
                    }
                };
                lists.push(index.postings_for_values(name, p, &mut select)?);
            }
            Ok(union(lists))
        }
        Candidates::All => {
            let mut select = |v: &[u8]| {
                if m.matches(v) == want {
                    Select::Take
                } else {
                    Select::Skip
                }
            };
            index.postings_for_values(name, b"", &mut select)
        }
    }
}

/// The series of `index` that pass every matcher, with Prometheus's semantics (a missing
/// label reads as the empty value). No matchers selects every series.
///
/// Each matcher becomes the union of the postings of the label values it accepts; a
/// matcher that accepts the empty value instead subtracts the values it rejects (so
/// `{a!="x"}` is every series minus `a="x"`). Positive terms are intersected, shortest
/// first; the every-series list is read only if no term is positive.
pub fn postings_for_matchers<'a>(
    index: &'a dyn IndexReader,
    matchers: &[Matcher],
) -> Result<BoxPostings<'a>> {
    let mut positive: Vec<BoxPostings<'a>> = Vec::new();
    let mut negative: Vec<BoxPostings<'a>> = Vec::new();
    for m in matchers {
        // A series without the label passes exactly when the matcher accepts "".
        let want = !m.matches_empty();
        let p = values_postings(index, m, want)?;
        if want {
            if p.cost() == 0 {
                return Ok(Box::new(EmptyPostings));
            }
            positive.push(p);
        } else if p.cost() > 0 {
            negative.push(p);
        }
    }
    if positive.is_empty() {
        positive.push(index.all_postings()?);
    }
    let mut it = intersect(positive);
    if !negative.is_empty() {
        it = without(it, union(negative));
    }
    Ok(it)
}
