//! A head-like store that implements the storage traits from memory: labels and chunk
//! bytes copied out of a block, postings in a map, references that are its own (no file
//! offsets). Queries over it must answer exactly what queries over the blocks answer.

use std::collections::BTreeMap;

use tsblock::chunkenc::{Chunk, Encoding};
use tsblock::index::ChunkMeta;
use tsblock::postings::{BoxPostings, VecPostings};
use tsblock::storage::{BlockReader, ChunkReader, IndexReader, LabelValueIter};
use tsblock::tombstones::Intervals;
use tsblock::{Block, ChunkRef, Db, Label, Querier, Result, SeriesRef};

type Pair = (Vec<u8>, Vec<u8>);

#[derive(Debug)]
struct MemSeries {
    labels: Vec<Pair>,
    chunks: Vec<ChunkMeta>,
    deleted: Option<Intervals>,
}

/// One block's series, held in memory.
#[derive(Debug)]
pub struct MemHead {
    /// Indexed by series ref: refs ascend in label order, as the traits require.
    series: Vec<MemSeries>,
    /// `(name, value)` → refs; `("", "")` lists every series.
    postings: BTreeMap<Pair, Vec<SeriesRef>>,
    /// Indexed by chunk ref.
    chunks: Vec<(Encoding, Vec<u8>)>,
    range: (i64, i64),
}

impl MemHead {
    /// Copies every series of `block`. Chunk refs are renumbered from 1000 on, series
    /// refs from 7 on in steps of 3, so nothing can lean on the block's numbers.
    pub fn copy(block: &Block) -> MemHead {
        let mut head = MemHead {
            series: Vec::new(),
            postings: BTreeMap::new(),
            chunks: Vec::new(),
            range: (block.meta().min_time, block.meta().max_time),
        };
        let mut series = Vec::new();
        for s in block.series().expect("series") {
            let s = s.expect("series");
            let labels: Vec<Pair> = s
                .labels
                .iter()
                .map(|l| (l.name.to_vec(), l.value.to_vec()))
                .collect();
            let mut chunks = Vec::new();
            for c in &s.chunks {
                let chunk = block.chunk(c.chunk_ref).expect("chunk");
                chunks.push(ChunkMeta {
                    chunk_ref: ChunkRef(1000 + head.chunks.len() as u64),
                    ..*c
                });
                head.chunks.push((chunk.encoding, chunk.data.to_vec()));
            }
            let deleted = block.tombstones().get(s.id.0).cloned();
            series.push(MemSeries {
                labels,
                chunks,
                deleted,
            });
        }
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        for (i, s) in series.iter().enumerate() {
            let r = head.series_ref(i);
            head.postings
                .entry((Vec::new(), Vec::new()))
                .or_default()
                .push(r);
            for l in &s.labels {
                head.postings.entry(l.clone()).or_default().push(r);
            }
        }
        head.series = series;
        head
    }

    fn series_ref(&self, i: usize) -> SeriesRef {
        SeriesRef(7 + 3 * i as u64)
    }

    fn get(&self, r: SeriesRef) -> Option<&MemSeries> {
        let i = r.0.checked_sub(7).filter(|d| d % 3 == 0)? / 3;
        self.series.get(i as usize)
    }
}

impl IndexReader for MemHead {
    fn label_names(&self) -> Result<Vec<&[u8]>> {
        let mut names: Vec<&[u8]> = self
            .postings
            .keys()
            .map(|(n, _)| n.as_slice())
            .filter(|n| !n.is_empty())
            .collect();
        names.dedup();
        Ok(names)
    }

    fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> Result<LabelValueIter<'a>> {
        let name = name.to_vec();
        let start = (name.clone(), from.to_vec());
        Ok(Box::new(
            self.postings
                .range(start..)
                .take_while(move |((n, _), _)| *n == name)
                .map(|((_, v), _)| Ok(v.as_slice())),
        ))
    }

    fn postings(&self, name: &[u8], value: &[u8]) -> Result<BoxPostings<'_>> {
        let refs = self
            .postings
            .get(&(name.to_vec(), value.to_vec()))
            .cloned()
            .unwrap_or_default();
        Ok(Box::new(VecPostings::new(refs)))
    }

    fn series<'a>(
        &'a self,
        r: SeriesRef,
        labels: &mut Vec<Label<'a>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()> {
        let s = self.get(r).expect("a ref this head handed out");
        labels.clear();
        labels.extend(s.labels.iter().map(|(n, v)| Label { name: n, value: v }));
        chunks.clear();
        chunks.extend_from_slice(&s.chunks);
        Ok(())
    }
}

impl ChunkReader for MemHead {
    fn chunk(&self, meta: &ChunkMeta) -> Result<Chunk<'_>> {
        let (encoding, data) = self
            .chunks
            .get(meta.chunk_ref.0 as usize - 1000)
            .expect("a chunk ref this head handed out");
        Ok(Chunk {
            encoding: *encoding,
            data,
        })
    }
}

impl BlockReader for MemHead {
    fn index_reader(&self) -> &dyn IndexReader {
        self
    }

    fn chunk_reader(&self) -> &dyn ChunkReader {
        self
    }

    fn deleted(&self, r: SeriesRef) -> Option<&Intervals> {
        self.get(r)?.deleted.as_ref()
    }

    fn time_range(&self) -> (i64, i64) {
        self.range
    }
}

/// Every block of a data directory copied into memory, queried as one.
#[derive(Debug)]
pub struct MemDb(pub Vec<MemHead>);

impl MemDb {
    /// Copies every block of `db`, in the same order.
    pub fn copy(db: &Db) -> MemDb {
        MemDb(db.blocks().iter().map(MemHead::copy).collect())
    }
}

impl Querier for MemDb {
    fn readers(&self) -> Vec<&dyn BlockReader> {
        self.0.iter().map(|h| h as &dyn BlockReader).collect()
    }
}
