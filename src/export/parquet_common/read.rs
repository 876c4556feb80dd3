//! The reader: a parquet-common export as a block, so the query layer (and `dump`) reads
//! it like any other source.
//!
//! Opening reads every shard once: the labels into an in-memory postings index (series
//! sorted by label set, as a block index sorts them, whatever order the rows come in),
//! the data cells split into chunks (every frame checked before use) into one buffer.
//! Memory is therefore about the size of the uncompressed export; the files are not kept
//! open. Anything malformed is a typed error naming the file. The Parquet library itself
//! panics on some damaged pages (seen in `tests/parquet_common.rs`); such a panic is
//! caught and reported the same way (the panic hook still prints its message).

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use parquet::basic::Type as Physical;
use parquet::column::reader::ColumnReader;
use parquet::data_type::ByteArray;
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};

use super::schema as pc;
use crate::chunkenc::{Chunk, Encoding};
use crate::error::{Error, FormatError, FormatErrorKind, Result, Section};
use crate::index::ChunkMeta;
use crate::labels::Label;
use crate::postings::{BoxPostings, MemPostings};
use crate::query::Querier;
use crate::refs::{ChunkRef, SeriesRef};
use crate::storage::{BlockReader, ChunkReader, IndexReader, LabelValueIter};
use crate::tombstones::Intervals;

/// One series: its labels (sorted by name) and its chunks (sorted by time).
#[derive(Debug)]
struct Series {
    labels: Vec<(Vec<u8>, Vec<u8>)>,
    chunks: Vec<ChunkMeta>,
}

/// A directory of parquet-common shards, read as one block. See the [module docs](self).
#[derive(Debug)]
pub struct ParquetCommonSource {
    dir: PathBuf,
    shards: Vec<PathBuf>,
    series: Vec<Series>,
    postings: MemPostings,
    chunks: Vec<(Encoding, Range<usize>)>,
    data: Vec<u8>,
    time_range: (i64, i64),
}

fn bad(path: &Path, row: u64, what: &'static str) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        source: FormatError::new(Section::ParquetCommon, row, FormatErrorKind::Invalid(what)),
    }
}

fn pq(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// True when `dir` holds a parquet-common labels file (`<n>.labels.parquet`).
pub fn is_parquet_common_dir(dir: &Path) -> bool {
    shard_numbers(dir).is_ok_and(|v| !v.is_empty())
}

/// The shard numbers of the labels files in `dir`, sorted.
fn shard_numbers(dir: &Path) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(n) = name
            .strip_suffix(pc::LABELS_SUFFIX)
            .and_then(|n| n.parse().ok())
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// A column read whole: one value per row, `None` for a null.
type Cells = Vec<Option<ByteArray>>;

fn read_column(rg: &dyn RowGroupReader, i: usize, rows: usize, path: &Path) -> Result<Cells> {
    let descr = rg.metadata().column(i).column_descr_ptr();
    if descr.physical_type() != Physical::BYTE_ARRAY || descr.max_rep_level() != 0 {
        return Err(bad(
            path,
            0,
            "a label or data column is not a flat byte array",
        ));
    }
    let max_def = descr.max_def_level();
    let ColumnReader::ByteArrayColumnReader(mut r) = rg.get_column_reader(i).map_err(pq(path))?
    else {
        return Err(bad(path, 0, "a label or data column is not a byte array"));
    };
    // `rows` comes from the file: nothing is sized by it until the values are there, and
    // they are read a bounded batch at a time.
    const BATCH: usize = 1 << 16;
    let (mut defs, mut values) = (Vec::new(), Vec::new());
    let mut got = 0;
    while got < rows {
        let (records, _, _) = r
            .read_records(
                (rows - got).min(BATCH),
                (max_def > 0).then_some(&mut defs),
                None,
                &mut values,
            )
            .map_err(pq(path))?;
        if records == 0 {
            return Err(bad(
                path,
                got as u64,
                "a column has fewer values than its row group has rows",
            ));
        }
        got += records;
    }
    if max_def == 0 {
        return Ok(values.into_iter().map(Some).collect());
    }
    if defs.len() != rows {
        return Err(bad(path, 0, "a column's levels do not match its rows"));
    }
    let mut values = values.into_iter();
    // As many levels as rows were read (checked above).
    let mut out = Vec::with_capacity(defs.len());
    for (row, d) in defs.into_iter().enumerate() {
        if d == max_def {
            out.push(Some(values.next().ok_or_else(|| {
                bad(
                    path,
                    row as u64,
                    "a column has fewer values than its levels say",
                )
            })?));
        } else {
            out.push(None);
        }
    }
    Ok(out)
}

fn bytes(b: &ByteArray) -> &[u8] {
    b.data()
}

impl ParquetCommonSource {
    /// Reads every shard of `dir`. See the [module docs](self).
    pub fn open(dir: impl AsRef<Path>) -> Result<ParquetCommonSource> {
        let dir = dir.as_ref().to_path_buf();
        let numbers = shard_numbers(&dir)?;
        if numbers.is_empty() {
            return Err(Error::NotFound {
                path: dir,
                what: "no parquet-common labels file (<n>.labels.parquet)",
            });
        }
        let mut src = ParquetCommonSource {
            dir: dir.clone(),
            shards: Vec::new(),
            series: Vec::new(),
            postings: MemPostings::default(),
            chunks: Vec::new(),
            data: Vec::new(),
            time_range: (i64::MAX, i64::MIN),
        };
        let mut meta_range = (i64::MAX, i64::MIN);
        for n in numbers {
            let labels = dir.join(format!("{n}{}", pc::LABELS_SUFFIX));
            let chunks = dir.join(format!("{n}{}", pc::CHUNKS_SUFFIX));
            // The Parquet library is meant to fail with errors, but a hostile file is no
            // place to find out that it sometimes panics.
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                src.read_shard(&labels, &chunks)
            }));
            let (lo, hi) = match read {
                Ok(r) => r?,
                Err(_) => return Err(bad(&labels, 0, "the Parquet library failed on this shard")),
            };
            meta_range = (meta_range.0.min(lo), meta_range.1.max(hi));
            src.shards.push(labels);
        }
        src.index()?;
        if src.time_range.0 > src.time_range.1 {
            src.time_range = meta_range;
        } else {
            // Exclusive end, as a block's.
            src.time_range.1 = src.time_range.1.saturating_add(1);
        }
        Ok(src)
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The labels files read, one per shard.
    pub fn shards(&self) -> &[PathBuf] {
        &self.shards
    }

    /// Number of series (rows over all shards).
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Reads one shard's rows; returns its `minT` and `maxT`.
    fn read_shard(&mut self, labels_path: &Path, chunks_path: &Path) -> Result<(i64, i64)> {
        let open = |p: &Path| -> Result<SerializedFileReader<File>> {
            let f = File::open(p).map_err(|e| Error::io(p, e))?;
            SerializedFileReader::new(f).map_err(pq(p))
        };
        let lf = open(labels_path)?;
        let cf = open(chunks_path)?;
        let kv = |key: &str| -> Result<i64> {
            lf.metadata()
                .file_metadata()
                .key_value_metadata()
                .and_then(|kvs| kvs.iter().find(|kv| kv.key == key))
                .and_then(|kv| kv.value.as_deref())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| {
                    bad(
                        labels_path,
                        0,
                        "metadata minT, maxT or data_col_duration_ms missing or not a number",
                    )
                })
        };
        let (min_t, max_t) = (kv(pc::MIN_T)?, kv(pc::MAX_T)?);
        if kv(pc::DATA_COL_DURATION)? <= 0 {
            return Err(bad(labels_path, 0, "data_col_duration_ms is not positive"));
        }
        // Label columns and the column-index column, by position.
        let lschema = lf.metadata().file_metadata().schema_descr_ptr();
        let mut label_cols: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut idx_col = None;
        for (i, c) in lschema.columns().iter().enumerate() {
            if c.path().parts().len() != 1 {
                continue;
            }
            let name = c.name();
            if let Some(l) = name.strip_prefix(pc::LABEL_PREFIX) {
                label_cols.push((i, l.as_bytes().to_vec()));
            } else if name == pc::COL_INDEXES {
                idx_col = Some(i);
            }
        }
        let cschema = cf.metadata().file_metadata().schema_descr_ptr();
        let data_cols: Vec<usize> = cschema
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.path().parts().len() == 1 && c.name().starts_with(pc::DATA_PREFIX))
            .map(|(i, _)| i)
            .collect();
        let groups = lf.num_row_groups();
        if groups != cf.num_row_groups() {
            return Err(bad(
                chunks_path,
                0,
                "labels and chunks files have different row groups",
            ));
        }
        let mut row_base = 0u64;
        for g in 0..groups {
            let lg = lf.get_row_group(g).map_err(pq(labels_path))?;
            let cg = cf.get_row_group(g).map_err(pq(chunks_path))?;
            let rows = lg.metadata().num_rows();
            if rows != cg.metadata().num_rows() || rows < 0 {
                return Err(bad(
                    chunks_path,
                    row_base,
                    "labels and chunks row groups differ in rows",
                ));
            }
            let rows = rows as usize;
            // Each column as an iterator, advanced once per row (every one holds `rows`
            // values, see `read_column`).
            let mut values = Vec::with_capacity(label_cols.len());
            for (i, _) in &label_cols {
                values.push(read_column(&*lg, *i, rows, labels_path)?.into_iter());
            }
            let mut indexes = match idx_col {
                Some(i) => Some(read_column(&*lg, i, rows, labels_path)?.into_iter()),
                None => None,
            };
            let mut cells = Vec::with_capacity(data_cols.len());
            for &i in &data_cols {
                cells.push(read_column(&*cg, i, rows, chunks_path)?.into_iter());
            }
            for row in 0..rows {
                let at = row_base + row as u64;
                let mut labels = Vec::new();
                let mut present = Vec::new();
                for (it, (col, name)) in values.iter_mut().zip(&label_cols) {
                    if let Some(v) = it.next().flatten() {
                        present.push(*col as u32);
                        if !bytes(&v).is_empty() {
                            labels.push((name.clone(), bytes(&v).to_vec()));
                        }
                    }
                }
                if let Some(ix) = indexes.as_mut() {
                    let listed = ix
                        .next()
                        .flatten()
                        .as_ref()
                        .and_then(|v| pc::decode_col_indexes(bytes(v)));
                    if listed.as_deref() != Some(&present[..]) {
                        return Err(bad(
                            labels_path,
                            at,
                            "s_col_indexes does not list the row's label columns",
                        ));
                    }
                }
                if labels.is_empty() {
                    return Err(bad(labels_path, at, "a series without labels"));
                }
                labels.sort();
                if labels.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
                    return Err(bad(labels_path, at, "a label name repeated"));
                }
                let row_cells: Vec<ByteArray> = cells
                    .iter_mut()
                    .filter_map(|c| c.next().flatten())
                    .collect();
                let mut frames = Vec::new();
                for cell in &row_cells {
                    frames.extend(pc::parse_cell(bytes(cell)).map_err(|source| Error::Format {
                        path: chunks_path.to_path_buf(),
                        source: FormatError {
                            offset: at,
                            ..source
                        },
                    })?);
                }
                // Time order, and references in the same order, as a block's writer lays a
                // series' chunks out (the query layer reads such a list as it is).
                frames.sort_by_key(|f| (f.min_t, f.max_t));
                let mut metas = Vec::with_capacity(frames.len());
                for f in frames {
                    let start = self.data.len();
                    self.data.extend_from_slice(f.data);
                    metas.push(ChunkMeta {
                        min_time: f.min_t,
                        max_time: f.max_t,
                        chunk_ref: ChunkRef(self.chunks.len() as u64),
                    });
                    self.chunks.push((f.encoding, start..self.data.len()));
                    self.time_range = (
                        self.time_range.0.min(f.min_t),
                        self.time_range.1.max(f.max_t),
                    );
                }
                self.series.push(Series {
                    labels,
                    chunks: metas,
                });
            }
            row_base += rows as u64;
        }
        Ok((min_t, max_t))
    }

    /// Sorts the series by label set and builds the postings.
    fn index(&mut self) -> Result<()> {
        self.series.sort_by(|a, b| a.labels.cmp(&b.labels));
        if self
            .series
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.labels == b.labels))
        {
            let path = self
                .shards
                .first()
                .cloned()
                .unwrap_or_else(|| self.dir.clone());
            return Err(bad(&path, 0, "a series appears in more than one row"));
        }
        self.postings = MemPostings::build(
            self.series
                .iter()
                .map(|s| s.labels.iter().map(|(n, v)| (&n[..], &v[..]))),
        );
        Ok(())
    }
}

impl IndexReader for ParquetCommonSource {
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
        let s = usize::try_from(r.0)
            .ok()
            .and_then(|i| self.series.get(i))
            .ok_or_else(|| bad(&self.dir, r.0, "no such series"))?;
        labels.clear();
        labels.extend(s.labels.iter().map(|(n, v)| Label { name: n, value: v }));
        chunks.clear();
        chunks.extend_from_slice(&s.chunks);
        Ok(())
    }
}

impl ChunkReader for ParquetCommonSource {
    fn chunk(&self, meta: &ChunkMeta) -> Result<Chunk<'_>> {
        let found = usize::try_from(meta.chunk_ref.0)
            .ok()
            .and_then(|i| self.chunks.get(i))
            .and_then(|(e, r)| Some((*e, self.data.get(r.clone())?)));
        let (encoding, data) = found.ok_or_else(|| Error::Format {
            path: self.dir.clone(),
            source: FormatError::new(
                Section::Chunk,
                0,
                FormatErrorKind::BadChunkRef(meta.chunk_ref.0),
            ),
        })?;
        Ok(Chunk { encoding, data })
    }

    fn chunk_data_error(&self, _: &ChunkMeta, e: FormatError) -> Error {
        Error::Format {
            path: self.dir.clone(),
            source: e,
        }
    }
}

impl BlockReader for ParquetCommonSource {
    fn index_reader(&self) -> &dyn IndexReader {
        self
    }

    fn chunk_reader(&self) -> &dyn ChunkReader {
        self
    }

    fn deleted(&self, _: SeriesRef) -> Option<&Intervals> {
        None
    }

    fn time_range(&self) -> (i64, i64) {
        self.time_range
    }
}

impl Querier for ParquetCommonSource {
    fn readers(&self) -> Vec<&dyn BlockReader> {
        vec![self]
    }
}
