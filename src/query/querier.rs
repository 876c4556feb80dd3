//! One query interface over a block and over a data directory of blocks.

use crate::block::Block;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::labels::Label;

use super::matcher::Matcher;
use super::postings::postings_for_matchers;
use super::series::SeriesSet;

/// Series, label names and label values selected by matchers, with Prometheus's semantics.
///
/// Implemented by [`Block`] and by [`Db`] (all blocks of a data directory merged).
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
    /// Series passing every matcher with samples in the closed range `[mint, maxt]`, in
    /// label order, each once; samples merged across blocks, tombstones applied.
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<SeriesSet<'_>> {
        self.select_any(&[matchers], mint, maxt)
    }

    /// Series passing any one of several matcher sets (their union, each series once),
    /// as `promtool tsdb dump` does with several `--match` flags.
    fn select_any(&self, selectors: &[&[Matcher]], mint: i64, maxt: i64) -> Result<SeriesSet<'_>>;

    /// Label names of the series passing `matchers` (of every series if there are none),
    /// sorted, each once.
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<&[u8]>>;

    /// Values of label `name` among the series passing `matchers`, sorted, each once.
    fn label_values(&self, name: &[u8], matchers: &[Matcher]) -> Result<Vec<&[u8]>>;
}

fn index_error(block: &Block) -> impl Fn(crate::FormatError) -> Error + '_ {
    move |e| Error::format(block.dir().join("index"), e)
}

/// Calls `f` with the labels of every series of `block` passing `matchers`.
fn for_each_series<'a>(
    block: &'a Block,
    matchers: &[Matcher],
    mut f: impl FnMut(&[Label<'a>]),
) -> Result<()> {
    let mut refs = postings_for_matchers(block.index(), matchers).map_err(index_error(block))?;
    let (mut labels, mut chunks) = (Vec::new(), Vec::new());
    while refs.next() {
        block.read_series(refs.at(), &mut labels, &mut chunks)?;
        f(&labels);
    }
    Ok(())
}

fn block_label_names<'a>(
    block: &'a Block,
    matchers: &[Matcher],
    out: &mut Vec<&'a [u8]>,
) -> Result<()> {
    if matchers.is_empty() {
        out.extend(block.index().label_names().map_err(index_error(block))?);
        return Ok(());
    }
    let mut seen: Vec<&'a [u8]> = Vec::new();
    for_each_series(block, matchers, |labels| {
        for l in labels {
            // Series share most names: a sorted, deduplicated list stays short.
            if let Err(i) = seen.binary_search(&l.name) {
                seen.insert(i, l.name);
            }
        }
    })?;
    out.extend(seen);
    Ok(())
}

fn block_label_values<'a>(
    block: &'a Block,
    name: &[u8],
    matchers: &[Matcher],
    out: &mut Vec<&'a [u8]>,
) -> Result<()> {
    if matchers.is_empty() {
        out.extend(
            block
                .index()
                .label_values(name)
                .map_err(index_error(block))?,
        );
        return Ok(());
    }
    for_each_series(block, matchers, |labels| {
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

fn blocks_label_names<'a>(blocks: &'a [Block], matchers: &[Matcher]) -> Result<Vec<&'a [u8]>> {
    let mut out = Vec::new();
    for b in blocks {
        block_label_names(b, matchers, &mut out)?;
    }
    Ok(sorted_unique(out))
}

fn blocks_label_values<'a>(
    blocks: &'a [Block],
    name: &[u8],
    matchers: &[Matcher],
) -> Result<Vec<&'a [u8]>> {
    let mut out = Vec::new();
    for b in blocks {
        block_label_values(b, name, matchers, &mut out)?;
    }
    Ok(sorted_unique(out))
}

impl Querier for Block {
    fn select_any(&self, selectors: &[&[Matcher]], mint: i64, maxt: i64) -> Result<SeriesSet<'_>> {
        SeriesSet::select([self], selectors, mint, maxt)
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<&[u8]>> {
        blocks_label_names(std::slice::from_ref(self), matchers)
    }

    fn label_values(&self, name: &[u8], matchers: &[Matcher]) -> Result<Vec<&[u8]>> {
        blocks_label_values(std::slice::from_ref(self), name, matchers)
    }
}

impl Querier for Db {
    fn select_any(&self, selectors: &[&[Matcher]], mint: i64, maxt: i64) -> Result<SeriesSet<'_>> {
        SeriesSet::select(self.blocks(), selectors, mint, maxt)
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<&[u8]>> {
        blocks_label_names(self.blocks(), matchers)
    }

    fn label_values(&self, name: &[u8], matchers: &[Matcher]) -> Result<Vec<&[u8]>> {
        blocks_label_values(self.blocks(), name, matchers)
    }
}
