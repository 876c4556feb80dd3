//! The head's index in memory: series sorted by labels, numbered in that order, and
//! postings per label pair (Prometheus's `MemPostings`, with references assigned after
//! replay so that postings ascend in label order as the storage seam requires).

use crate::error::Result;
use crate::index::ChunkMeta;
use crate::labels::Label;
use crate::labelset::Labels;
use crate::postings::{BoxPostings, MemPostings};
use crate::refs::SeriesRef;
use crate::storage::{IndexReader, LabelValueIter};
use crate::tombstones::Intervals;

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
    postings: MemPostings,
}

impl MemIndex {
    /// Sorts `series` by labels and indexes them; series with equal labels must have
    /// been merged by the caller.
    pub(crate) fn build(mut series: Vec<IndexedSeries>) -> MemIndex {
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        let postings = MemPostings::build(
            series
                .iter()
                .map(|s| s.labels.iter().map(|l| (l.name, l.value))),
        );
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
        Ok(self.postings.label_names())
    }

    fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> Result<LabelValueIter<'a>> {
        Ok(self.postings.label_values_from(name, from))
    }

    fn postings(&self, name: &[u8], value: &[u8]) -> Result<BoxPostings<'_>> {
        Ok(self.postings.postings(name, value))
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
