//! The head's index in memory: series sorted by labels, numbered in that order, and
//! postings per label pair (Prometheus's `MemPostings`, with references assigned after
//! replay so that postings ascend in label order as the storage seam requires).

use std::collections::BTreeMap;

use crate::error::Result;
use crate::index::ChunkMeta;
use crate::labels::Label;
use crate::labelset::Labels;
use crate::postings::{BoxPostings, VecPostings};
use crate::refs::SeriesRef;
use crate::storage::{IndexReader, LabelValueIter};
use crate::tombstones::Intervals;

/// Postings of one label name: value → series, each list ascending.
type ValuePostings = BTreeMap<Box<[u8]>, Vec<SeriesRef>>;

/// One series: its labels, chunk metas in time order, and deleted ranges.
#[derive(Debug)]
pub(crate) struct IndexedSeries {
    pub(crate) labels: Labels,
    pub(crate) chunks: Vec<ChunkMeta>,
    pub(crate) deleted: Option<Intervals>,
}

/// Series and postings of one part of the head.
#[derive(Debug, Default)]
pub(crate) struct MemIndex {
    series: Vec<IndexedSeries>,
    /// name → value → series, each list ascending.
    postings: BTreeMap<Box<[u8]>, ValuePostings>,
}

impl MemIndex {
    /// Sorts `series` by labels and indexes them; series with equal labels must have
    /// been merged by the caller.
    pub(crate) fn build(mut series: Vec<IndexedSeries>) -> MemIndex {
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        let mut postings: BTreeMap<Box<[u8]>, ValuePostings> = BTreeMap::new();
        for (i, s) in series.iter().enumerate() {
            for l in s.labels.iter() {
                postings
                    .entry(l.name.into())
                    .or_default()
                    .entry(l.value.into())
                    .or_default()
                    .push(SeriesRef(i as u64));
            }
        }
        MemIndex { series, postings }
    }

    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    /// The deleted ranges of series `r`.
    pub(crate) fn deleted(&self, r: SeriesRef) -> Option<&Intervals> {
        usize::try_from(r.0)
            .ok()
            .and_then(|i| self.series.get(i))
            .and_then(|s| s.deleted.as_ref())
    }
}

impl IndexReader for MemIndex {
    fn label_names(&self) -> Result<Vec<&[u8]>> {
        Ok(self.postings.keys().map(|k| &k[..]).collect())
    }

    fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> Result<LabelValueIter<'a>> {
        let Some(values) = self.postings.get(name) else {
            return Ok(Box::new(std::iter::empty()));
        };
        let from: Box<[u8]> = from.into();
        Ok(Box::new(values.range(from..).map(|(v, _)| Ok(&v[..]))))
    }

    fn postings(&self, name: &[u8], value: &[u8]) -> Result<BoxPostings<'_>> {
        if name.is_empty() && value.is_empty() {
            let all = (0..self.series.len() as u64).map(SeriesRef).collect();
            return Ok(Box::new(VecPostings::new(all)));
        }
        let list = self
            .postings
            .get(name)
            .and_then(|values| values.get(value))
            .cloned()
            .unwrap_or_default();
        Ok(Box::new(VecPostings::new(list)))
    }

    fn series<'a>(
        &'a self,
        r: SeriesRef,
        labels: &mut Vec<Label<'a>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()> {
        labels.clear();
        chunks.clear();
        if let Some(s) = usize::try_from(r.0).ok().and_then(|i| self.series.get(i)) {
            labels.extend(s.labels.iter());
            chunks.extend_from_slice(&s.chunks);
        }
        Ok(())
    }
}
