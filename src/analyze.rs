//! `analyze`: where a block's series, index and chunk bytes go — the figures of
//! `promtool tsdb analyze` (Prometheus 2.42, the chunk statistics of 2.48+), with ties in
//! a stable order, plus bytes per metric name and per-series statistics.
//!
//! One pass over the block's series (all of them, or those a selector matches) gathers
//! what promtool gathers: for each label pair and name, the series carrying it and the
//! time they leave uncovered (the block's duration minus the span of the series' chunks:
//! "churn"); the label names' value counts and lengths come from the index. Reading the
//! chunks (for chunk statistics, bytes per metric and per-series figures) is a second
//! pass, taken only when asked for.

use std::collections::HashMap;

use serde::Serialize;

use crate::block::Block;
use crate::chunkenc::{Encoding, FloatHistogramIter, HistogramIter, XorIter};
use crate::error::Result;
use crate::labels::Label;
use crate::query::Matcher;

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Only series matching any of these selectors (every series if empty).
    pub selectors: Vec<Vec<Matcher>>,
    /// Read the chunks: chunk statistics, bytes per metric name.
    pub chunks: bool,
    /// Per-series statistics (reads and decodes the chunks).
    pub per_series: bool,
}

/// A name (a label pair `name=value` or a label name) and its figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    /// The figure.
    pub count: u64,
    /// The label pair or name.
    pub name: String,
}

/// The statistics of one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesStats {
    /// Its labels, as `{a="b", c="d"}`.
    pub labels: String,
    /// Samples in its chunks.
    pub samples: u64,
    /// Chunks.
    pub chunks: u64,
    /// First and last sample's timestamp (ms).
    pub first: i64,
    /// Last sample's timestamp.
    pub last: i64,
    /// Largest interval between two consecutive samples (ms; 0 with one sample).
    pub largest_gap: i64,
    /// Bytes of chunk data (encoding byte and samples) per sample.
    pub bytes_per_sample: f64,
}

/// One chunk statistic of promtool ≥ 2.48's `--extended`: the values, one per chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChunkFigure {
    /// `samples per float chunk`, …
    pub name: &'static str,
    /// One value per chunk, ascending.
    pub values: Vec<u64>,
}

/// Everything `analyze` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis {
    /// Block ULID.
    pub block: String,
    /// `maxTime - minTime` (ms).
    pub duration: i64,
    /// `meta.json`'s series count (what promtool prints).
    pub series: u64,
    /// Series analysed (those matching the selectors; all without).
    pub matched_series: u64,
    /// Label names (of the matched series with selectors, else of the index).
    pub label_names: u64,
    /// Distinct label pairs of the analysed series.
    pub postings: u64,
    /// Label pairs of all analysed series together.
    pub postings_entries: u64,
    /// Label pairs by series-equivalents of time left uncovered.
    pub churn_label_pairs: Vec<Ranked>,
    /// Label names by series-equivalents of time left uncovered.
    pub churn_label_names: Vec<Ranked>,
    /// Label pairs by series carrying them.
    pub common_label_pairs: Vec<Ranked>,
    /// Label names by the summed length of their distinct values.
    pub label_value_lengths: Vec<Ranked>,
    /// Label names by their number of distinct values.
    pub label_cardinality: Vec<Ranked>,
    /// Metric names by their number of series.
    pub metric_cardinality: Vec<Ranked>,
    /// Metric names by bytes of chunk data (when chunks were read).
    pub metric_chunk_bytes: Vec<Ranked>,
    /// Metric names by bytes of their series entries in the index.
    pub metric_index_bytes: Vec<Ranked>,
    /// Chunks in all (when chunks were read).
    pub chunks: u64,
    /// Samples per float chunk, bytes per float chunk, samples per histogram chunk, bytes
    /// per histogram chunk, buckets per histogram chunk (when chunks were read).
    pub chunk_figures: Vec<ChunkFigure>,
    /// Samples per series, one value per analysed series (when chunks were read): how
    /// sparse the series are.
    pub series_samples: Option<ChunkFigure>,
    /// Per-series statistics, in series order (when asked for).
    pub per_series: Vec<SeriesStats>,
}

/// Sorts by figure, largest first, ties by name: the same bytes on every run.
fn ranked(map: HashMap<String, u64>) -> Vec<Ranked> {
    let mut v: Vec<Ranked> = map
        .into_iter()
        .map(|(name, count)| Ranked { count, name })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    v
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// True when `labels` pass every matcher of one of `selectors` (a missing label reads
/// as the empty value), or when there are no selectors.
fn selected(selectors: &[Vec<Matcher>], labels: &[Label<'_>]) -> bool {
    selectors.is_empty()
        || selectors.iter().any(|set| {
            set.iter().all(|m| {
                let v = labels
                    .iter()
                    .find(|l| l.name == m.name())
                    .map_or(&b""[..], |l| l.value);
                m.matches(v)
            })
        })
}

/// Analyses `block`.
pub fn analyze(block: &Block, opts: &AnalyzeOptions) -> Result<Analysis> {
    let meta = block.meta();
    let duration = meta.max_time.wrapping_sub(meta.min_time);
    let mut a = Analysis {
        block: meta.ulid.clone(),
        duration,
        series: meta.stats.num_series,
        ..Analysis::default()
    };
    let index_err = |e| crate::Error::format(block.dir().join("index"), e);
    let mut pair_uncovered: HashMap<String, u64> = HashMap::new();
    let mut name_uncovered: HashMap<String, u64> = HashMap::new();
    let mut pair_count: HashMap<String, u64> = HashMap::new();
    let mut metric_series: HashMap<String, u64> = HashMap::new();
    let mut metric_chunk_bytes: HashMap<String, u64> = HashMap::new();
    let mut metric_index_bytes: HashMap<String, u64> = HashMap::new();
    // With selectors, label names and values are those of the matched series.
    let mut values_seen: HashMap<Vec<u8>, std::collections::HashSet<Vec<u8>>> = HashMap::new();
    let mut figures: [Vec<u64>; 5] = Default::default();
    let read_chunks = opts.chunks || opts.per_series;
    let mut series_samples = Vec::new();
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    for s in block.series()? {
        let s = s?;
        if !selected(&opts.selectors, &s.labels) {
            continue;
        }
        a.matched_series += 1;
        let uncovered = match (s.chunks.first(), s.chunks.last()) {
            (Some(f), Some(l)) => duration.wrapping_sub(l.max_time.wrapping_sub(f.min_time)) as u64,
            _ => duration as u64,
        };
        let metric = s
            .labels
            .iter()
            .find(|l| l.name == b"__name__")
            .map_or_else(String::new, |l| text(l.value));
        for l in &s.labels {
            let pair = format!("{}={}", text(l.name), text(l.value));
            let e = pair_uncovered.entry(pair.clone()).or_default();
            *e = e.wrapping_add(uncovered);
            *pair_count.entry(pair).or_default() += 1;
            let e = name_uncovered.entry(text(l.name)).or_default();
            *e = e.wrapping_add(uncovered);
            a.postings_entries += 1;
            if !opts.selectors.is_empty() {
                values_seen
                    .entry(l.name.to_vec())
                    .or_default()
                    .insert(l.value.to_vec());
            }
        }
        *metric_series.entry(metric.clone()).or_default() += 1;
        // The series entry's size: from its start to the next entry's (16-byte aligned).
        let at = block.index().series_offset_of(s.id.0);
        if let Some(end) = block.index().series_entry_end(at) {
            let size = end.next_multiple_of(16) - at;
            *metric_index_bytes.entry(metric.clone()).or_default() += size;
        }
        if !read_chunks {
            continue;
        }
        let mut st = SeriesStats {
            labels: {
                let mut b = Vec::new();
                crate::compat::push_labels(&mut b, &s.labels);
                text(&b)
            },
            samples: 0,
            chunks: s.chunks.len() as u64,
            first: 0,
            last: 0,
            largest_gap: 0,
            bytes_per_sample: 0.0,
        };
        let mut bytes = 0u64;
        let mut last_t: Option<i64> = None;
        let mut last_ref = None;
        for c in &s.chunks {
            // A block's writer lays a series' chunks out in order; a meta whose reference
            // does not ascend (damage, which `verify` reports) would read a chunk again.
            if last_ref.is_some_and(|r| c.chunk_ref.0 <= r) {
                continue;
            }
            last_ref = Some(c.chunk_ref.0);
            let chunk = block.chunk(c.chunk_ref)?;
            let n = u64::from(chunk.num_samples().unwrap_or(0));
            let size = chunk.data.len() as u64;
            a.chunks += 1;
            bytes += size + 1;
            st.samples += n;
            match chunk.encoding {
                Encoding::Xor => {
                    figures[0].push(n);
                    figures[1].push(size);
                }
                Encoding::Histogram | Encoding::FloatHistogram => {
                    figures[2].push(n);
                    figures[3].push(size);
                    figures[4].push(histogram_buckets(chunk.encoding, chunk.data));
                }
                _ => {}
            }
            if opts.per_series {
                ts.clear();
                let err = |e| crate::Error::format(block.dir().join("chunks"), e);
                match chunk.encoding {
                    Encoding::Xor => {
                        XorIter::decode_chunk_into(chunk.data, &mut ts, &mut vs).map_err(err)?
                    }
                    Encoding::Histogram => {
                        for t in HistogramIter::new(chunk.data).map_err(err)? {
                            ts.push(t.map_err(err)?);
                        }
                    }
                    Encoding::FloatHistogram => {
                        for t in FloatHistogramIter::new(chunk.data).map_err(err)? {
                            ts.push(t.map_err(err)?);
                        }
                    }
                    _ => {}
                }
                for &t in &ts {
                    if let Some(p) = last_t {
                        st.largest_gap = st.largest_gap.max(t.wrapping_sub(p));
                    } else {
                        st.first = t;
                    }
                    last_t = Some(t);
                }
            }
        }
        *metric_chunk_bytes.entry(metric).or_default() += bytes;
        series_samples.push(st.samples);
        if opts.per_series {
            st.last = last_t.unwrap_or(0);
            st.bytes_per_sample = if st.samples > 0 {
                bytes as f64 / st.samples as f64
            } else {
                0.0
            };
            a.per_series.push(st);
        }
    }
    a.postings = pair_count.len() as u64;
    a.churn_label_pairs = ranked(per_duration(pair_uncovered, duration));
    a.churn_label_names = ranked(per_duration(name_uncovered, duration));
    a.common_label_pairs = ranked(pair_count);
    // Label names, their values' lengths and counts: from the index, or from the matched
    // series.
    let mut lengths = HashMap::new();
    let mut cardinality = HashMap::new();
    if opts.selectors.is_empty() {
        let index = block.index();
        let names = index.label_names().map_err(index_err)?;
        a.label_names = names.len() as u64;
        for name in names {
            let values = index.label_values(name).map_err(index_err)?;
            let len: usize = values.iter().map(|v| v.len()).sum();
            lengths.insert(text(name), len as u64);
            cardinality.insert(text(name), values.len() as u64);
        }
    } else {
        a.label_names = values_seen.len() as u64;
        for (name, values) in values_seen {
            let len: usize = values.iter().map(Vec::len).sum();
            lengths.insert(text(&name), len as u64);
            cardinality.insert(text(&name), values.len() as u64);
        }
    }
    a.label_value_lengths = ranked(lengths);
    a.label_cardinality = ranked(cardinality);
    metric_series.remove("");
    a.metric_cardinality = ranked(metric_series);
    if read_chunks {
        a.metric_chunk_bytes = ranked(metric_chunk_bytes);
        let names = [
            "samples per float chunk",
            "bytes per float chunk",
            "samples per histogram chunk",
            "bytes per histogram chunk",
            "buckets per histogram chunk",
        ];
        a.chunk_figures = names
            .into_iter()
            .zip(figures)
            .map(|(name, mut values)| {
                values.sort_unstable();
                ChunkFigure { name, values }
            })
            .collect();
    }
    a.metric_index_bytes = ranked(metric_index_bytes);
    if read_chunks {
        series_samples.sort_unstable();
        a.series_samples = Some(ChunkFigure {
            name: "samples per series",
            values: series_samples,
        });
    }
    Ok(a)
}

/// promtool's churn figure: the uncovered time in series-equivalents of the block's
/// duration, truncated (0 for a block of no duration, where Go divides by zero).
fn per_duration(map: HashMap<String, u64>, duration: i64) -> HashMap<String, u64> {
    map.into_iter()
        .map(|(k, v)| {
            let churn = if duration > 0 {
                (v as f64 / duration as f64) as u64
            } else {
                0
            };
            (k, churn)
        })
        .collect()
}

/// Positive plus negative buckets of every sample of a histogram chunk (0 if it does
/// not decode; `verify` reports that).
fn histogram_buckets(encoding: Encoding, data: &[u8]) -> u64 {
    let mut n = 0u64;
    match encoding {
        Encoding::Histogram => {
            if let Ok(mut it) = HistogramIter::new(data) {
                while let Some(Ok(_)) = it.next() {
                    let h = it.at();
                    n += (h.positive_buckets.len() + h.negative_buckets.len()) as u64;
                }
            }
        }
        Encoding::FloatHistogram => {
            if let Ok(mut it) = FloatHistogramIter::new(data) {
                while let Some(Ok(_)) = it.next() {
                    let h = it.at();
                    n += (h.positive_buckets.len() + h.negative_buckets.len()) as u64;
                }
            }
        }
        _ => {}
    }
    n
}
