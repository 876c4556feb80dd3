//! The writer: series from a [`Querier`] to one shard's labels and chunks files.
//!
//! Series are visited metric name by metric name (series without `__name__` first), each
//! name's series in label order, which is upstream's row order (`__name__`, then the
//! whole label set) without holding more than one row group: rows are buffered until a
//! row group is full, then written to both files at once, so row group `i` of the labels
//! file and row group `i` of the chunks file hold the same series.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{
    Compression, Encoding as PqEncoding, LogicalType, Repetition, Type as Physical, ZstdLevel,
};
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, Type};

use super::schema as pc;
use crate::chunkenc::{
    AppendOutcome, Encoding, FloatHistogramAppender, HistogramAppendError, HistogramAppender,
    XorAppender,
};
use crate::error::{Error, Result};
use crate::histogram::Histogram;
use crate::query::{Matcher, Querier, SampleRef};

/// Settings of a parquet-common export.
#[derive(Debug, Clone)]
pub struct ParquetCommonOptions {
    /// Rows (series) per row group at most, and so the rows held in memory.
    pub row_group_rows: usize,
    /// Width of one data column's time window in milliseconds.
    pub data_col_duration_ms: i64,
}

impl Default for ParquetCommonOptions {
    fn default() -> Self {
        ParquetCommonOptions {
            row_group_rows: pc::DEFAULT_ROW_GROUP_ROWS,
            data_col_duration_ms: pc::DEFAULT_DATA_COL_DURATION_MS,
        }
    }
}

/// What a parquet-common export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParquetCommonSummary {
    /// The files written (labels file, then chunks file).
    pub files: Vec<PathBuf>,
    /// Rows: series with at least one sample in the range.
    pub series: u64,
    /// Samples re-encoded into the chunks.
    pub samples: u64,
    /// Chunks written.
    pub chunks: u64,
    /// Row groups per file.
    pub row_groups: u64,
    /// The `minT` and `maxT` written to the metadata.
    pub time_range: (i64, i64),
}

/// Most data columns an export makes; more means a window far too narrow for the range.
const MAX_DATA_COLUMNS: usize = 10_000;

fn invalid_input(path: &Path, msg: String) -> Error {
    Error::io(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, msg),
    )
}

fn pq_error(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// A finished chunk: encoding, first and last time, bytes.
type Done = (Encoding, i64, i64, Vec<u8>);

/// What the two histogram appenders share, for one re-encoding loop.
trait HistApp: Finish + Sized {
    type C: crate::histogram::Count;
    const ENCODING: Encoding;
    fn fresh() -> Self;
    fn push(
        &mut self,
        t: i64,
        h: &Histogram<Self::C>,
    ) -> std::result::Result<AppendOutcome<Self>, HistogramAppendError>;
    fn samples(&self) -> u16;
}

macro_rules! hist_app {
    ($app:ident, $c:ty, $enc:ident) => {
        impl HistApp for $app {
            type C = $c;
            const ENCODING: Encoding = Encoding::$enc;
            fn fresh() -> Self {
                $app::new()
            }
            fn push(
                &mut self,
                t: i64,
                h: &Histogram<$c>,
            ) -> std::result::Result<AppendOutcome<Self>, HistogramAppendError> {
                self.append(t, h)
            }
            fn samples(&self) -> u16 {
                self.num_samples()
            }
        }
    };
}

hist_app!(HistogramAppender, u64, Histogram);
hist_app!(FloatHistogramAppender, f64, FloatHistogram);

/// The chunks of one encoding in the current window: finished ones and the open one
/// with its time range.
struct Lane<A> {
    done: Vec<Done>,
    open: Option<(A, i64, i64)>,
}

impl<A> Default for Lane<A> {
    fn default() -> Self {
        Lane {
            done: Vec::new(),
            open: None,
        }
    }
}

/// Re-encodes one series' samples into fresh chunks per window, as upstream's encoder:
/// a chunk per encoding per window, cut at [`pc::SAMPLES_PER_CHUNK`] samples (and where a
/// histogram chunk must be cut), never across a window boundary.
struct SeriesEncoder {
    min_t: i64,
    duration: i64,
    window: usize,
    xor: Lane<XorAppender>,
    hist: Lane<HistogramAppender>,
    fhist: Lane<FloatHistogramAppender>,
    cells: Vec<(usize, Vec<u8>)>,
    chunks: u64,
}

impl SeriesEncoder {
    fn new(min_t: i64, duration: i64) -> Self {
        SeriesEncoder {
            min_t,
            duration,
            window: 0,
            xor: Lane::default(),
            hist: Lane::default(),
            fhist: Lane::default(),
            cells: Vec::new(),
            chunks: 0,
        }
    }

    fn enter(&mut self, t: i64) {
        let w = pc::window_of(t, self.min_t, self.duration);
        if w != self.window {
            self.close_window();
            self.window = w;
        }
    }

    fn float(&mut self, t: i64, v: f64) {
        self.enter(t);
        let lane = &mut self.xor;
        let (app, min, max) = lane.open.get_or_insert_with(|| (XorAppender::new(), t, t));
        app.append(t, v);
        *min = (*min).min(t);
        *max = (*max).max(t);
        if app.num_samples() >= pc::SAMPLES_PER_CHUNK {
            if let Some((app, min, max)) = lane.open.take() {
                lane.done.push((Encoding::Xor, min, max, app.finish()));
            }
        }
    }

    fn histogram<A: HistApp>(
        lane: &mut Lane<A>,
        t: i64,
        h: &Histogram<A::C>,
    ) -> std::result::Result<(), HistogramAppendError> {
        let (app, min, max) = lane.open.get_or_insert_with(|| (A::fresh(), t, t));
        match app.push(t, h)? {
            AppendOutcome::Appended | AppendOutcome::Recoded => {
                *min = (*min).min(t);
                *max = (*max).max(t);
            }
            AppendOutcome::Cut(next) => {
                if let Some((old, min, max)) = lane.open.replace((next, t, t)) {
                    lane.done.push((A::ENCODING, min, max, old.finish_bytes()));
                }
            }
        }
        if lane
            .open
            .as_ref()
            .is_some_and(|o| o.0.samples() >= pc::SAMPLES_PER_CHUNK)
        {
            if let Some((app, min, max)) = lane.open.take() {
                lane.done.push((A::ENCODING, min, max, app.finish_bytes()));
            }
        }
        Ok(())
    }

    /// Frames the window's chunks into its cell: XOR chunks, then histogram chunks, then
    /// float-histogram chunks, as upstream orders them.
    fn close_window(&mut self) {
        fn drain<A: Finish>(lane: &mut Lane<A>, enc: Encoding, out: &mut Vec<Done>) {
            out.append(&mut lane.done);
            if let Some((app, min, max)) = lane.open.take() {
                out.push((enc, min, max, app.finish_bytes()));
            }
        }
        let mut all = Vec::new();
        drain(&mut self.xor, Encoding::Xor, &mut all);
        drain(&mut self.hist, Encoding::Histogram, &mut all);
        drain(&mut self.fhist, Encoding::FloatHistogram, &mut all);
        if all.is_empty() {
            return;
        }
        let mut cell = Vec::new();
        for (enc, min, max, data) in &all {
            pc::put_frame(&mut cell, *enc, *min, *max, data);
        }
        self.chunks += all.len() as u64;
        self.cells.push((self.window, cell));
    }
}

/// Finishing an open chunk of any encoding.
trait Finish {
    fn finish_bytes(self) -> Vec<u8>;
}

impl Finish for XorAppender {
    fn finish_bytes(self) -> Vec<u8> {
        self.finish()
    }
}

impl Finish for HistogramAppender {
    fn finish_bytes(self) -> Vec<u8> {
        self.finish()
    }
}

impl Finish for FloatHistogramAppender {
    fn finish_bytes(self) -> Vec<u8> {
        self.finish()
    }
}

/// One buffered row: label column positions and values, the hash, the data cells.
struct Row {
    labels: Vec<(u32, Vec<u8>)>,
    hash: u64,
    cells: Vec<(usize, Vec<u8>)>,
}

/// The two files of a shard, written row group by row group.
struct Shard {
    labels_path: PathBuf,
    chunks_path: PathBuf,
    labels: SerializedFileWriter<File>,
    chunks: SerializedFileWriter<File>,
    label_columns: usize,
    data_columns: Vec<usize>,
    rows: Vec<Row>,
    row_groups: u64,
}

fn leaf(name: &str, optional: bool, string: bool) -> parquet::errors::Result<Arc<Type>> {
    let mut b =
        Type::primitive_type_builder(name, Physical::BYTE_ARRAY).with_repetition(if optional {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        });
    if string {
        b = b.with_logical_type(Some(LogicalType::String));
    }
    Ok(Arc::new(b.build()?))
}

fn base_props(meta: &[KeyValue]) -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(format!("tsblock {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(meta.to_vec()))
}

/// A series column: no dictionary, the given encoding, no min/max statistics (upstream
/// skips page bounds for them: hashes and chunk bytes have no useful order).
fn series_column(
    b: parquet::file::properties::WriterPropertiesBuilder,
    name: &str,
    encoding: PqEncoding,
) -> parquet::file::properties::WriterPropertiesBuilder {
    let c = ColumnPath::new(vec![name.to_string()]);
    b.set_column_dictionary_enabled(c.clone(), false)
        .set_column_encoding(c.clone(), encoding)
        .set_column_statistics_enabled(c, EnabledStatistics::None)
}

impl Shard {
    fn create(
        out_dir: &Path,
        shard: usize,
        names: &[Vec<u8>],
        data_columns: usize,
        meta: &[KeyValue],
        metric_names: u64,
    ) -> Result<Shard> {
        let labels_path = out_dir.join(format!("{shard}{}", pc::LABELS_SUFFIX));
        let chunks_path = out_dir.join(format!("{shard}{}", pc::CHUNKS_SUFFIX));
        // Labels file: l_* (sorted by name), s_col_indexes, s_series_hash.
        let mut fields = Vec::new();
        let mut props = base_props(meta);
        for (i, n) in names.iter().enumerate() {
            let col = String::from_utf8(pc::label_column(n)).map_err(|_| {
                invalid_input(
                    &labels_path,
                    format!("label name {:?} is not UTF-8", String::from_utf8_lossy(n)),
                )
            })?;
            fields.push(leaf(&col, true, true).map_err(pq_error(&labels_path))?);
            let path = ColumnPath::new(vec![col]);
            props = props.set_column_encoding(path.clone(), PqEncoding::PLAIN);
            if n == b"__name__" {
                props = props
                    .set_sorting_columns(Some(vec![SortingColumn {
                        column_idx: i as i32,
                        descending: false,
                        nulls_first: false,
                    }]))
                    .set_column_bloom_filter_enabled(path.clone(), true)
                    .set_column_bloom_filter_fpp(path.clone(), 0.01)
                    .set_column_bloom_filter_max_ndv(path, metric_names.max(1));
            }
        }
        fields.push(leaf(pc::COL_INDEXES, false, false).map_err(pq_error(&labels_path))?);
        fields.push(leaf(pc::SERIES_HASH, false, false).map_err(pq_error(&labels_path))?);
        props = series_column(props, pc::COL_INDEXES, PqEncoding::DELTA_BYTE_ARRAY);
        props = series_column(props, pc::SERIES_HASH, PqEncoding::PLAIN);
        let schema = Type::group_type_builder("labels")
            .with_fields(fields)
            .build()
            .map_err(pq_error(&labels_path))?;
        let file = File::create(&labels_path).map_err(|e| Error::io(&labels_path, e))?;
        let labels = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props.build()))
            .map_err(pq_error(&labels_path))?;
        // Chunks file: s_data_* in name order.
        let order = pc::data_columns_in_schema_order(data_columns);
        let mut fields = Vec::new();
        let mut props = base_props(meta);
        for &w in &order {
            let name = pc::data_column(w);
            fields.push(leaf(&name, false, false).map_err(pq_error(&chunks_path))?);
            props = series_column(props, &name, PqEncoding::DELTA_LENGTH_BYTE_ARRAY);
        }
        let schema = Type::group_type_builder("chunks")
            .with_fields(fields)
            .build()
            .map_err(pq_error(&chunks_path))?;
        let file = File::create(&chunks_path).map_err(|e| Error::io(&chunks_path, e))?;
        let chunks = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props.build()))
            .map_err(pq_error(&chunks_path))?;
        Ok(Shard {
            labels_path,
            chunks_path,
            labels,
            chunks,
            label_columns: names.len(),
            data_columns: order,
            rows: Vec::new(),
            row_groups: 0,
        })
    }

    /// Writes the buffered rows as row group `i` of both files.
    fn flush(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let err = pq_error(&self.labels_path);
        let mut group = self.labels.next_row_group().map_err(&err)?;
        for c in 0..self.label_columns {
            let (mut values, mut defs) = (Vec::new(), Vec::with_capacity(self.rows.len()));
            for r in &self.rows {
                // Labels are in column order: a binary search finds this one.
                let at = r.labels.binary_search_by_key(&(c as u32), |l| l.0).ok();
                match at.and_then(|i| r.labels.get(i)) {
                    Some(l) => {
                        values.push(ByteArray::from(l.1.clone()));
                        defs.push(1);
                    }
                    None => defs.push(0),
                }
            }
            write_column(&mut group, &values, Some(&defs)).map_err(&err)?;
        }
        let idx: Vec<ByteArray> = self
            .rows
            .iter()
            .map(|r| {
                let cols: Vec<u32> = r.labels.iter().map(|l| l.0).collect();
                ByteArray::from(pc::encode_col_indexes(&cols))
            })
            .collect();
        write_column(&mut group, &idx, None).map_err(&err)?;
        let hashes: Vec<ByteArray> = self
            .rows
            .iter()
            .map(|r| ByteArray::from(r.hash.to_be_bytes().to_vec()))
            .collect();
        write_column(&mut group, &hashes, None).map_err(&err)?;
        group.close().map_err(&err)?;

        let err = pq_error(&self.chunks_path);
        let mut group = self.chunks.next_row_group().map_err(&err)?;
        for &w in &self.data_columns {
            let cells: Vec<ByteArray> = self
                .rows
                .iter_mut()
                .map(|r| {
                    let at = r.cells.binary_search_by_key(&w, |c| c.0).ok();
                    let cell = at.and_then(|i| r.cells.get_mut(i));
                    ByteArray::from(cell.map(|c| std::mem::take(&mut c.1)).unwrap_or_default())
                })
                .collect();
            write_column(&mut group, &cells, None).map_err(&err)?;
        }
        group.close().map_err(&err)?;
        self.rows.clear();
        self.row_groups += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(Vec<PathBuf>, u64)> {
        self.flush()?;
        self.labels.close().map_err(pq_error(&self.labels_path))?;
        self.chunks.close().map_err(pq_error(&self.chunks_path))?;
        Ok((vec![self.labels_path, self.chunks_path], self.row_groups))
    }
}

fn write_column(
    group: &mut parquet::file::writer::SerializedRowGroupWriter<'_, File>,
    values: &[ByteArray],
    defs: Option<&[i16]>,
) -> parquet::errors::Result<()> {
    let Some(mut col) = group.next_column()? else {
        return Err(parquet::errors::ParquetError::General(
            "missing column".into(),
        ));
    };
    col.typed::<ByteArrayType>()
        .write_batch(values, defs, None)?;
    col.close()
}

/// Exports the series matching any of `selectors` (every series if none) with samples in
/// `[mint, maxt]` into `out_dir` (created if missing) as shard 0 of the parquet-common
/// layout: `0.labels.parquet` and `0.chunks.parquet`. See the [module docs](super).
///
/// ```
/// use tsblock::export::parquet_common::{export_parquet_common, ParquetCommonOptions};
///
/// # fn main() -> tsblock::Result<()> {
/// let db = tsblock::Db::open("testdata/blocks/values")?;
/// let out = tempfile::tempdir().unwrap();
/// let s = export_parquet_common(&db, &[], i64::MIN, i64::MAX, out.path(), &ParquetCommonOptions::default())?;
/// assert_eq!(s.samples, db.blocks()[0].meta().stats.num_samples);
/// # Ok(())
/// # }
/// ```
pub fn export_parquet_common<Q: Querier + ?Sized>(
    db: &Q,
    selectors: &[&[Matcher]],
    mint: i64,
    maxt: i64,
    out_dir: &Path,
    opts: &ParquetCommonOptions,
) -> Result<ParquetCommonSummary> {
    let duration = opts.data_col_duration_ms;
    if duration <= 0 {
        return Err(invalid_input(
            out_dir,
            format!("data column duration {duration} ms is not positive"),
        ));
    }
    // The range written: the selection cut to the data (maxT like a block's max time).
    let ranges: Vec<(i64, i64)> = db.readers().iter().map(|r| r.time_range()).collect();
    let data_min = ranges.iter().map(|r| r.0).min().unwrap_or(0);
    let data_max = ranges.iter().map(|r| r.1).max().unwrap_or(0);
    let (min_t, max_t) = (mint.max(data_min), maxt.min(data_max));
    let data_columns = pc::data_column_count(min_t, max_t, duration)
        .filter(|&n| n <= MAX_DATA_COLUMNS)
        .ok_or_else(|| {
            invalid_input(
                out_dir,
                format!("[{min_t}, {max_t}] in windows of {duration} ms needs more than {MAX_DATA_COLUMNS} data columns"),
            )
        })?;
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;

    let all: [&[Matcher]; 1] = [&[]];
    let sets: &[&[Matcher]] = if selectors.is_empty() {
        &all
    } else {
        selectors
    };
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut metrics: Vec<Vec<u8>> = Vec::new();
    for set in sets {
        names.extend(db.label_names(set)?.into_iter().map(<[u8]>::to_vec));
        metrics.extend(
            db.label_values(b"__name__", set)?
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    names.sort();
    names.dedup();
    metrics.sort();
    metrics.dedup();
    let meta = [
        KeyValue::new(pc::MIN_T.to_string(), min_t.to_string()),
        KeyValue::new(pc::MAX_T.to_string(), max_t.to_string()),
        KeyValue::new(pc::DATA_COL_DURATION.to_string(), duration.to_string()),
    ];
    let mut shard = Shard::create(
        out_dir,
        0,
        &names,
        data_columns,
        &meta,
        metrics.len() as u64,
    )?;
    let rows_max = opts.row_group_rows.max(1);
    let mut summary = ParquetCommonSummary {
        time_range: (min_t, max_t),
        ..Default::default()
    };
    let hist_error = |e: HistogramAppendError| {
        invalid_input(
            &shard_path(out_dir),
            format!("re-encoding a histogram: {e}"),
        )
    };
    // Series without a metric name sort first (their `__name__` is ""), then by name.
    for metric in std::iter::once(Vec::new()).chain(metrics) {
        let extra = Matcher::equal("__name__", &metric);
        let with_name: Vec<Vec<Matcher>> = sets
            .iter()
            .map(|s| s.iter().cloned().chain([extra.clone()]).collect())
            .collect();
        let refs: Vec<&[Matcher]> = with_name.iter().map(Vec::as_slice).collect();
        for series in db.select_any(&refs, min_t, max_t)? {
            let series = series?;
            let mut enc = SeriesEncoder::new(min_t, duration);
            let mut samples = series.samples();
            let mut n = 0u64;
            while let Some(s) = samples.next_sample() {
                let (t, v) = s?;
                n += 1;
                match v {
                    SampleRef::Float(v) => enc.float(t, v),
                    SampleRef::Histogram(h) => {
                        enc.enter(t);
                        SeriesEncoder::histogram(&mut enc.hist, t, h).map_err(hist_error)?;
                    }
                    SampleRef::FloatHistogram(h) => {
                        enc.enter(t);
                        SeriesEncoder::histogram(&mut enc.fhist, t, h).map_err(hist_error)?;
                    }
                }
            }
            drop(samples);
            enc.close_window();
            if n == 0 {
                continue;
            }
            let labels = series
                .labels()
                .iter()
                .filter_map(|l| {
                    let c = names.binary_search_by(|n| n.as_slice().cmp(l.name)).ok()?;
                    Some((c as u32, l.value.to_vec()))
                })
                .collect();
            summary.samples += n;
            summary.chunks += enc.chunks;
            summary.series += 1;
            shard.rows.push(Row {
                labels,
                hash: pc::stable_hash(series.labels()),
                cells: enc.cells,
            });
            if shard.rows.len() >= rows_max {
                shard.flush()?;
            }
        }
    }
    let (files, groups) = shard.finish()?;
    summary.files = files;
    summary.row_groups = groups;
    Ok(summary)
}

fn shard_path(out_dir: &Path) -> PathBuf {
    out_dir.join(format!("0{}", pc::CHUNKS_SUFFIX))
}
