//! One query interface over a block and over a data directory of blocks.

use crate::block::Block;
use crate::db::Db;
use crate::error::Result;
use crate::labels::Label;
use crate::storage::BlockReader;

use super::matcher::Matcher;
use super::plan::postings_for_matchers;
use super::series::SeriesSet;

/// Series, label names and label values selected by matchers, with Prometheus's semantics.
///
/// Implemented by [`Block`] and by [`Db`] (all blocks of a data directory merged), and by
/// anything else that lists its [`BlockReader`]s: one implementation serves them all.
/// Matchers in one slice must all pass (`{a="1", b=~"2|3"}`); an empty slice selects every
/// series, where Prometheus would select none.
///
/// ```
/// use tsblock::query::{Matcher, Querier, Selector};
/// use tsblock::Db;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = Db::open("testdata/blocks/many-series")?;
/// let sel: Selector = r#"{job=~"node|api", instance!=""}"#.parse()?;
/// for series in db.select(sel.matchers(), i64::MIN, i64::MAX)? {
///     let series = series?;
///     let n = series.samples().count();
///     assert!(n > 0);
/// }
/// let names = db.label_names(&[])?;
/// assert!(names.contains(&&b"__name__"[..]));
/// let jobs = db.label_values(b"job", &[Matcher::equal("__name__", "http_requests_total")])?;
/// assert_eq!(jobs, [&b"api"[..]]);
/// # Ok(())
/// # }
/// ```
pub trait Querier {
    /// The readers queried, in the order their series sets are merged (blocks by
    /// `minTime`, then the head). Everything else is implemented once, over these.
    fn readers(&self) -> Vec<&dyn BlockReader>;

    /// Series passing every matcher with samples in the closed range `[mint, maxt]`, in
    /// label order, each once; samples merged across blocks, tombstones applied.
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<SeriesSet<'_>> {
        self.select_any(&[matchers], mint, maxt)
    }

    /// Series passing any one of several matcher sets (their union, each series once),
    /// as `promtool tsdb dump` does with several `--match` flags.
    fn select_any(&self, selectors: &[&[Matcher]], mint: i64, maxt: i64) -> Result<SeriesSet<'_>> {
        SeriesSet::select(self.readers(), selectors, mint, maxt)
    }

    /// Label names of the series passing `matchers` (of every series if there are none),
    /// sorted, each once.
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<&[u8]>> {
        let mut out = Vec::new();
        for r in self.readers() {
            reader_label_names(r, matchers, &mut out)?;
        }
        Ok(sorted_unique(out))
    }

    /// Values of label `name` among the series passing `matchers`, sorted, each once.
    fn label_values(&self, name: &[u8], matchers: &[Matcher]) -> Result<Vec<&[u8]>> {
        let mut out = Vec::new();
        for r in self.readers() {
            reader_label_values(r, name, matchers, &mut out)?;
        }
        Ok(sorted_unique(out))
    }
}

/// Calls `f` with the labels of every series of `reader` passing `matchers`.
fn for_each_series<'a>(
    reader: &'a dyn BlockReader,
    matchers: &[Matcher],
    mut f: impl FnMut(&[Label<'a>]),
) -> Result<()> {
    let index = reader.index_reader();
    let mut refs = postings_for_matchers(index, matchers)?;
    let (mut labels, mut chunks) = (Vec::new(), Vec::new());
    while refs.next() {
        index.series(refs.at(), &mut labels, &mut chunks)?;
        f(&labels);
    }
    match refs.error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn reader_label_names<'a>(
    reader: &'a dyn BlockReader,
    matchers: &[Matcher],
    out: &mut Vec<&'a [u8]>,
) -> Result<()> {
    if matchers.is_empty() {
        out.extend(reader.index_reader().label_names()?);
        return Ok(());
    }
    // A set: many distinct names (one per series, in a hostile index) cost n log n, where
    // inserting into a sorted list would cost n².
    let mut seen: std::collections::BTreeSet<&'a [u8]> = Default::default();
    for_each_series(reader, matchers, |labels| {
        seen.extend(labels.iter().map(|l| l.name));
    })?;
    out.extend(seen);
    Ok(())
}

fn reader_label_values<'a>(
    reader: &'a dyn BlockReader,
    name: &[u8],
    matchers: &[Matcher],
    out: &mut Vec<&'a [u8]>,
) -> Result<()> {
    if matchers.is_empty() {
        for v in reader.index_reader().label_values_from(name, b"")? {
            out.push(v?);
        }
        return Ok(());
    }
    for_each_series(reader, matchers, |labels| {
        if let Some(l) = labels.iter().find(|l| l.name == name) {
            out.push(l.value);
        }
    })
}

fn sorted_unique(mut v: Vec<&[u8]>) -> Vec<&[u8]> {
    v.sort_unstable();
    v.dedup();
    v
}

impl Querier for Block {
    fn readers(&self) -> Vec<&dyn BlockReader> {
        vec![self]
    }
}

impl Querier for Db {
    fn readers(&self) -> Vec<&dyn BlockReader> {
        let mut out: Vec<&dyn BlockReader> = self
            .blocks()
            .iter()
            .map(|b| b as &dyn BlockReader)
            .collect();
        #[cfg(feature = "parquet")]
        if let Some(p) = self.parquet_common() {
            out.push(p);
        }
        if let Some(h) = self.head() {
            out.extend(h.readers());
        }
        out
    }
}
