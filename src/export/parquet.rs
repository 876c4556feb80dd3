//! Samples as Parquet tables any engine can query without knowing Prometheus (DuckDB,
//! Spark, Trino, DataFusion, pandas): one row per sample, the series' labels as columns.
//!
//! `samples.parquet` holds the float samples: one column per label name of the selection
//! (`__name__` and the rest, in name order; a series without the label has a null there),
//! then `t` (milliseconds, an int64 annotated as a UTC timestamp in milliseconds), `v`
//! (the value's exact bits; a stale marker is a row whose `v` is NaN and whose `stale` is
//! true) and `stale`. A label named `t`, `v`, `stale` or `histogram` gets the column
//! `label:<name>` (a colon is not allowed in label names, so that name is free).
//! `histograms.parquet`, written when the selection has native histograms, has the same
//! label columns, `t`, `histogram` (the histogram as JSON, as `dump --format json` writes
//! it) and `float` (true for float-count histograms).
//!
//! Rows are sorted by series (label order) then time, series merged across blocks and the
//! head as `dump` merges them. Label columns are dictionary-encoded; pages are zstd
//! compressed; rows are written in row groups of at most [`ParquetOptions::row_group_rows`]
//! rows, so memory stays flat whatever the size of the data.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::error::{Error, Result};
use crate::query::{Matcher, Querier, SampleRef};

/// Settings of an export.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// Rows per row group at most (and so the rows held in memory).
    pub row_group_rows: usize,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            row_group_rows: 1 << 20,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParquetSummary {
    /// The files written.
    pub files: Vec<PathBuf>,
    /// Series with at least one sample.
    pub series: u64,
    /// Float samples (rows of `samples.parquet`).
    pub float_rows: u64,
    /// Histogram samples (rows of `histograms.parquet`).
    pub histogram_rows: u64,
}

/// The column name of label `name`.
fn column_name(name: &str) -> String {
    match name {
        "t" | "v" | "stale" | "histogram" | "float" => format!("label:{name}"),
        _ => name.to_string(),
    }
}

/// Parquet's schema text quotes nothing: names with characters it would misread are
/// refused (Prometheus's own label names never have them).
fn schema_name(name: &str, path: &Path) -> Result<String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
    if ok {
        Ok(column_name(name))
    } else {
        Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("label name {name:?} cannot be a Parquet column name here"),
            ),
        ))
    }
}

/// Rows buffered for one row group of one table: the series (their label values, one per
/// label column) and per row the series' position and the sample.
struct Table<V> {
    path: PathBuf,
    writer: SerializedFileWriter<File>,
    series: Vec<Vec<Option<Bytes>>>,
    rows: Vec<(u32, i64, V)>,
    written: u64,
}

/// A sample's values.
trait SampleColumns: Sized {
    /// Writes sample column `index` (counted after the label columns and `t`) of `rows`.
    fn write(
        rows: &[(u32, i64, Self)],
        column: &mut ColumnWriter<'_>,
        index: usize,
    ) -> parquet::errors::Result<()>;
}

/// A float sample: its bits.
impl SampleColumns for u64 {
    fn write(
        rows: &[(u32, i64, u64)],
        column: &mut ColumnWriter<'_>,
        index: usize,
    ) -> parquet::errors::Result<()> {
        match (index, column) {
            (0, ColumnWriter::DoubleColumnWriter(w)) => {
                let vs: Vec<f64> = rows.iter().map(|r| f64::from_bits(r.2)).collect();
                w.write_batch(&vs, None, None).map(drop)
            }
            (1, ColumnWriter::BoolColumnWriter(w)) => {
                let stale: Vec<bool> = rows.iter().map(|r| r.2 == STALE_NAN).collect();
                w.write_batch(&stale, None, None).map(drop)
            }
            _ => Err(parquet::errors::ParquetError::General(
                "unexpected column".into(),
            )),
        }
    }
}

/// A histogram sample: its JSON and whether its counts are floats.
impl SampleColumns for (Bytes, bool) {
    fn write(
        rows: &[(u32, i64, (Bytes, bool))],
        column: &mut ColumnWriter<'_>,
        index: usize,
    ) -> parquet::errors::Result<()> {
        match (index, column) {
            (0, ColumnWriter::ByteArrayColumnWriter(w)) => {
                let json: Vec<ByteArray> = rows
                    .iter()
                    .map(|r| ByteArray::from(r.2 .0.clone()))
                    .collect();
                w.write_batch(&json, None, None).map(drop)
            }
            (1, ColumnWriter::BoolColumnWriter(w)) => {
                let float: Vec<bool> = rows.iter().map(|r| r.2 .1).collect();
                w.write_batch(&float, None, None).map(drop)
            }
            _ => Err(parquet::errors::ParquetError::General(
                "unexpected column".into(),
            )),
        }
    }
}

/// A Parquet error as an I/O error of the file being written.
fn parquet_error(path: &Path, e: parquet::errors::ParquetError) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

/// Prometheus's stale marker.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

impl<V: SampleColumns> Table<V> {
    fn create(path: PathBuf, labels: &[String], samples: &str) -> Result<Self> {
        let mut text = String::from("message samples {\n");
        for name in labels {
            text.push_str(&format!("  optional binary {name} (STRING);\n"));
        }
        text.push_str(samples);
        text.push_str("}\n");
        let parquet_err = |e| parquet_error(&path, e);
        let schema = Arc::new(parse_message_type(&text).map_err(parquet_err)?);
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_dictionary_enabled(true)
            .set_created_by(format!("tsblock {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let writer =
            SerializedFileWriter::new(file, schema, Arc::new(props)).map_err(parquet_err)?;
        Ok(Table {
            path,
            writer,
            series: Vec::new(),
            rows: Vec::new(),
            written: 0,
        })
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let labels = self.series.first().map_or(0, Vec::len);
        let path = &self.path;
        let error = |e: parquet::errors::ParquetError| parquet_error(path, e);
        let mut group = self.writer.next_row_group().map_err(error)?;
        let mut index = 0;
        let mut result = Ok(());
        while let Some(mut column) = group.next_column().map_err(error)? {
            if result.is_ok() {
                result = if index < labels {
                    let (mut values, mut defined) =
                        (Vec::new(), Vec::with_capacity(self.rows.len()));
                    for &(s, _, _) in &self.rows {
                        match self.series.get(s as usize).and_then(|l| l.get(index)) {
                            Some(Some(v)) => {
                                values.push(ByteArray::from(v.clone()));
                                defined.push(1);
                            }
                            _ => defined.push(0),
                        }
                    }
                    match column.untyped() {
                        ColumnWriter::ByteArrayColumnWriter(w) => {
                            w.write_batch(&values, Some(&defined), None).map(drop)
                        }
                        _ => Err(parquet::errors::ParquetError::General(
                            "label column of another type".into(),
                        )),
                    }
                } else if index == labels {
                    match column.untyped() {
                        ColumnWriter::Int64ColumnWriter(w) => {
                            let ts: Vec<i64> = self.rows.iter().map(|r| r.1).collect();
                            w.write_batch(&ts, None, None).map(drop)
                        }
                        _ => Err(parquet::errors::ParquetError::General(
                            "t column of another type".into(),
                        )),
                    }
                } else {
                    V::write(&self.rows, column.untyped(), index - labels - 1)
                };
            }
            column.close().map_err(error)?;
            index += 1;
        }
        result.map_err(error)?;
        group.close().map_err(error)?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        // The series of the next group start afresh (a series may span groups).
        self.series.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<(PathBuf, u64)> {
        self.flush()?;
        let Table {
            path,
            writer,
            written,
            ..
        } = self;
        writer.close().map_err(|e| parquet_error(&path, e))?;
        Ok((path, written))
    }
}

/// Exports the samples of the series matching any of `selectors` (every series if none)
/// in `[mint, maxt]` into `out_dir` (created if missing): `samples.parquet`, and
/// `histograms.parquet` when there are histograms. See the [module docs](self).
///
/// ```
/// use tsblock::export::parquet::{export_samples, ParquetOptions};
///
/// # fn main() -> tsblock::Result<()> {
/// let db = tsblock::Db::open("testdata/blocks/values")?;
/// let out = tempfile::tempdir().unwrap();
/// let summary = export_samples(&db, &[], i64::MIN, i64::MAX, out.path(), &ParquetOptions::default())?;
/// assert_eq!(summary.float_rows, db.blocks()[0].meta().stats.num_samples);
/// # Ok(())
/// # }
/// ```
pub fn export_samples<Q: Querier + ?Sized>(
    db: &Q,
    selectors: &[&[Matcher]],
    mint: i64,
    maxt: i64,
    out_dir: &Path,
    opts: &ParquetOptions,
) -> Result<ParquetSummary> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    // The label columns: every name of the selection, from the index (no series walk).
    let mut names: Vec<Vec<u8>> = Vec::new();
    if selectors.is_empty() {
        names.extend(db.label_names(&[])?.into_iter().map(<[u8]>::to_vec));
    }
    for set in selectors {
        names.extend(db.label_names(set)?.into_iter().map(<[u8]>::to_vec));
    }
    names.sort();
    names.dedup();
    let floats_path = out_dir.join("samples.parquet");
    let mut columns = Vec::with_capacity(names.len());
    for n in &names {
        columns.push(schema_name(&String::from_utf8_lossy(n), &floats_path)?);
    }
    let mut floats: Table<u64> = Table::create(
        floats_path,
        &columns,
        "  required int64 t (TIMESTAMP(MILLIS,true));\n  required double v;\n  required boolean stale;\n",
    )?;
    let mut histograms: Option<Table<(Bytes, bool)>> = None;
    let rows_max = opts.row_group_rows.max(1);
    let mut summary = ParquetSummary::default();
    let mut json = Vec::new();
    for series in db.select_any(selectors, mint, maxt)? {
        let series = series?;
        // This series' label values in column order, shared by its rows.
        let values: Vec<Option<Bytes>> = names
            .iter()
            .map(|n| {
                series
                    .labels()
                    .iter()
                    .find(|l| l.name == n.as_slice())
                    .map(|l| Bytes::copy_from_slice(l.value))
            })
            .collect();
        let (mut float_at, mut hist_at) = (None::<u32>, None::<u32>);
        let mut any = false;
        let mut samples = series.samples();
        while let Some(sample) = samples.next_sample() {
            let (t, value) = sample?;
            any = true;
            match value {
                SampleRef::Float(v) => {
                    let s = *float_at.get_or_insert_with(|| {
                        floats.series.push(values.clone());
                        (floats.series.len() - 1) as u32
                    });
                    floats.rows.push((s, t, v.to_bits()));
                    if floats.rows.len() >= rows_max {
                        floats.flush()?;
                        float_at = None;
                    }
                }
                SampleRef::Histogram(_) | SampleRef::FloatHistogram(_) => {
                    json.clear();
                    let float = matches!(value, SampleRef::FloatHistogram(_));
                    let written = match value {
                        SampleRef::Histogram(h) => serde_json::to_writer(&mut json, h),
                        SampleRef::FloatHistogram(h) => serde_json::to_writer(&mut json, h),
                        SampleRef::Float(_) => Ok(()),
                    };
                    written.map_err(|e| Error::io(out_dir, std::io::Error::from(e)))?;
                    if histograms.is_none() {
                        histograms = Some(Table::create(
                            out_dir.join("histograms.parquet"),
                            &columns,
                            "  required int64 t (TIMESTAMP(MILLIS,true));\n  required binary histogram (JSON);\n  required boolean float;\n",
                        )?);
                    }
                    if let Some(h) = histograms.as_mut() {
                        let s = *hist_at.get_or_insert_with(|| {
                            h.series.push(values.clone());
                            (h.series.len() - 1) as u32
                        });
                        h.rows.push((s, t, (Bytes::copy_from_slice(&json), float)));
                        if h.rows.len() >= rows_max {
                            h.flush()?;
                            hist_at = None;
                        }
                    }
                }
            }
        }
        summary.series += u64::from(any);
    }
    let (path, rows) = floats.finish()?;
    summary.files.push(path);
    summary.float_rows = rows;
    if let Some(h) = histograms {
        let (path, rows) = h.finish()?;
        summary.files.push(path);
        summary.histogram_rows = rows;
    }
    Ok(summary)
}
