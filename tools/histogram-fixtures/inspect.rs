//! `tsblock-remote-write inspect DIR`: what the server wrote. For every block and series,
//! each chunk's encoding, sample count, and for histogram chunks the counter-reset header
//! bits and the layout (zero threshold, schema, spans) decoded from the chunk's first bits
//! (§6.3 of the format notes). A chunk whose layout differs from the spans sent for its
//! first sample was recoded (or merged, for gauges) by the head.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tsblock::chunkenc::Encoding;
use tsblock::Block;

use crate::data::{self, Value};

/// MSB-first bit reader.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u64, String> {
        let byte = self.data.get(self.pos / 8).ok_or("chunk ends early")?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(u64::from(b))
    }

    fn bits(&mut self, n: u32) -> Result<u64, String> {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Ok(v)
    }

    fn varbit_bits(&mut self) -> Result<u32, String> {
        let mut ones = 0;
        while ones < 8 && self.bit()? == 1 {
            ones += 1;
        }
        Ok([0, 3, 6, 9, 12, 18, 25, 56, 64][ones])
    }

    fn varbit_int(&mut self) -> Result<i64, String> {
        let n = self.varbit_bits()?;
        let v = self.bits(n)?;
        Ok(match n {
            0 => 0,
            64 => v as i64,
            _ if v > 1 << (n - 1) => v as i64 - (1i64 << n),
            _ => v as i64,
        })
    }

    fn varbit_uint(&mut self) -> Result<u64, String> {
        let n = self.varbit_bits()?;
        self.bits(n)
    }

    fn spans(&mut self) -> Result<Vec<(i32, u32)>, String> {
        let n = self.varbit_uint()?;
        let mut v = Vec::new();
        for _ in 0..n {
            let length = self.varbit_uint()? as u32;
            let offset = self.varbit_int()? as i32;
            v.push((offset, length));
        }
        Ok(v)
    }
}

/// `[(offset, length)]`.
type Spans = Vec<(i32, u32)>;

/// Layout and first sample of a histogram chunk.
struct HistChunk {
    header: u8,
    zero_threshold: f64,
    schema: i32,
    positive_spans: Vec<(i32, u32)>,
    negative_spans: Vec<(i32, u32)>,
    first_t: i64,
    first_sum_bits: u64,
}

fn parse_hist(data: &[u8], float: bool) -> Result<HistChunk, String> {
    let header = *data.get(2).ok_or("short chunk")? >> 6;
    let mut b = Bits { data, pos: 24 };
    let zero_threshold = match b.bits(8)? {
        0 => 0.0,
        255 => f64::from_bits(b.bits(64)?),
        e => 2f64.powi(e as i32 - 244),
    };
    let schema = b.varbit_int()? as i32;
    let positive_spans = b.spans()?;
    let negative_spans = b.spans()?;
    let first_t = b.varbit_int()?;
    if float {
        b.bits(128)?; // count, zero count
    } else {
        b.varbit_uint()?;
        b.varbit_uint()?;
    }
    let first_sum_bits = b.bits(64)?;
    Ok(HistChunk {
        header,
        zero_threshold,
        schema,
        positive_spans,
        negative_spans,
        first_t,
        first_sum_bits,
    })
}

fn fmt_spans(s: &[(i32, u32)]) -> String {
    let v: Vec<String> = s.iter().map(|(o, l)| format!("{o}:{l}")).collect();
    format!("[{}]", v.join(" "))
}

fn fmt_zt(zt: f64) -> String {
    if zt == data::DEFAULT_ZT {
        "2^-128".into()
    } else {
        format!("{zt}")
    }
}

/// Spans sent for the sample at `t` of the series `selector`, if it was a non-stale histogram.
fn sent_spans(
    sent: &BTreeMap<String, data::Series>,
    selector: &str,
    t: i64,
) -> Option<(Spans, Spans, bool)> {
    let s = sent.get(selector)?;
    let x = s.samples.iter().find(|x| x.t == t)?;
    match &x.value {
        Value::Histogram(h) if !data::is_stale(h.sum) => Some((
            h.positive_spans.clone(),
            h.negative_spans.clone(),
            h.hint == data::Hint::Gauge,
        )),
        Value::FloatHistogram(h) if !data::is_stale(h.sum) => Some((
            h.positive_spans.clone(),
            h.negative_spans.clone(),
            h.hint == data::Hint::Gauge,
        )),
        _ => None,
    }
}

#[derive(Default)]
struct Coverage {
    blocks: usize,
    series: BTreeSet<String>,
    chunks: usize,
    samples: u64,
    /// (encoding byte, header bits) → chunks
    headers: BTreeMap<(u8, u8), usize>,
    encodings: BTreeMap<u8, usize>,
    schemas: BTreeSet<i32>,
    zero_thresholds: BTreeSet<u64>,
    negative: usize,
    multi_span: usize,
    stale_first: usize,
    recoded_counter: BTreeSet<u8>,
    merged_gauge: BTreeSet<u8>,
    /// Most chunks of one series in one block, per encoding.
    max_chunks_per_series: usize,
}

pub fn run(dir: &Path, check: bool, quiet: bool) -> Result<(), String> {
    let sent: BTreeMap<String, data::Series> = data::all_series()
        .into_iter()
        .map(|s| (s.selector(), s))
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| tsblock::db::is_ulid(n))
        .collect();
    names.sort();
    let mut blocks = Vec::new();
    for n in &names {
        let b = Block::open(dir.join(n)).map_err(|e| e.to_string())?;
        blocks.push(b);
    }
    blocks.sort_by_key(|b| b.meta().min_time);
    let mut cov = Coverage::default();
    for block in &blocks {
        let m = block.meta();
        cov.blocks += 1;
        if !quiet {
            println!(
                "block {} [{}, {}) series={} chunks={} samples={}",
                m.ulid,
                m.min_time,
                m.max_time,
                m.stats.num_series,
                m.stats.num_chunks,
                m.stats.num_samples
            );
        }
        for entry in block.series().map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            let labels: Vec<(String, String)> = entry
                .labels
                .iter()
                .map(|l| {
                    (
                        String::from_utf8_lossy(l.name).into_owned(),
                        String::from_utf8_lossy(l.value).into_owned(),
                    )
                })
                .collect();
            let mut selector = labels
                .iter()
                .find(|(k, _)| k == "__name__")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let rest: Vec<String> = labels
                .iter()
                .filter(|(k, _)| k != "__name__")
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            selector.push_str(&format!("{{{}}}", rest.join(",")));
            cov.series.insert(selector.clone());
            if !quiet {
                println!("  {selector}");
            }
            cov.max_chunks_per_series = cov.max_chunks_per_series.max(entry.chunks.len());
            for meta in &entry.chunks {
                let chunk = block.chunk(meta.chunk_ref).map_err(|e| e.to_string())?;
                let enc: u8 = match chunk.encoding {
                    Encoding::Xor => 1,
                    Encoding::Histogram => 2,
                    Encoding::FloatHistogram => 3,
                    _ => 0,
                };
                let n = u16::from_be_bytes([chunk.data[0], chunk.data[1]]);
                cov.chunks += 1;
                cov.samples += u64::from(n);
                *cov.encodings.entry(enc).or_default() += 1;
                let mut line = format!(
                    "    enc {enc} [{}, {}] n={n:<3} {:>4} B",
                    meta.min_time,
                    meta.max_time,
                    chunk.data.len()
                );
                if enc == 2 || enc == 3 {
                    let h = parse_hist(chunk.data, enc == 3)?;
                    if h.first_t != meta.min_time {
                        return Err(format!(
                            "{selector}: chunk starts at {} not {}",
                            h.first_t, meta.min_time
                        ));
                    }
                    *cov.headers.entry((enc, h.header)).or_default() += 1;
                    cov.schemas.insert(h.schema);
                    cov.zero_thresholds.insert(h.zero_threshold.to_bits());
                    if !h.negative_spans.is_empty() {
                        cov.negative += 1;
                    }
                    if h.positive_spans.len() > 1 {
                        cov.multi_span += 1;
                    }
                    line.push_str(&format!(
                        " header=0b{:02b} zt={} schema={} pos={} neg={}",
                        h.header,
                        fmt_zt(h.zero_threshold),
                        h.schema,
                        fmt_spans(&h.positive_spans),
                        fmt_spans(&h.negative_spans)
                    ));
                    if h.first_sum_bits == data::STALE_NAN {
                        cov.stale_first += 1;
                        line.push_str(" starts-stale");
                    }
                    if let Some((p, q, gauge)) = sent_spans(&sent, &selector, meta.min_time) {
                        if p != h.positive_spans || q != h.negative_spans {
                            if gauge {
                                cov.merged_gauge.insert(enc);
                                line.push_str(" merged-layout");
                            } else {
                                cov.recoded_counter.insert(enc);
                                line.push_str(" recoded");
                            }
                        }
                    }
                }
                if !quiet {
                    println!("{line}");
                }
            }
        }
    }
    println!(
        "{} blocks, {} series, {} chunks, {} samples",
        cov.blocks,
        cov.series.len(),
        cov.chunks,
        cov.samples
    );
    println!(
        "chunks by encoding (1 XOR, 2 histogram, 3 float histogram): {:?}",
        cov.encodings
    );
    let hdr: Vec<String> = cov
        .headers
        .iter()
        .map(|((e, h), n)| format!("enc {e} header 0b{h:02b}: {n}"))
        .collect();
    println!("histogram chunk headers: {}", hdr.join(", "));
    let zts: Vec<String> = cov
        .zero_thresholds
        .iter()
        .map(|&b| fmt_zt(f64::from_bits(b)))
        .collect();
    println!(
        "schemas {:?}; zero thresholds {}; chunks with negative spans {}, with >1 positive span {}, \
         starting with a stale sample {}; recoded counter chunks in encodings {:?}, merged gauge \
         layouts in encodings {:?}; at most {} chunks of one series in one block",
        cov.schemas,
        zts.join(" "),
        cov.negative,
        cov.multi_span,
        cov.stale_first,
        cov.recoded_counter,
        cov.merged_gauge,
        cov.max_chunks_per_series
    );
    if check {
        let mut missing = Vec::new();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                missing.push(what.to_string());
            }
        };
        need(cov.blocks >= 3, "3 or more blocks");
        need(cov.series.len() == sent.len(), "every series in the blocks");
        let want_samples = sent
            .values()
            .flat_map(|s| s.samples.iter())
            .filter(|x| !x.head_only)
            .count() as u64;
        need(
            cov.samples == want_samples,
            &format!("{want_samples} samples (all but the closing ones)"),
        );
        for enc in 1..=3u8 {
            need(cov.encodings.contains_key(&enc), &format!("encoding {enc}"));
        }
        for (enc, hdr) in [
            (2, 0),
            (2, 1),
            (2, 2),
            (2, 3),
            (3, 0),
            (3, 1),
            (3, 2),
            (3, 3),
        ] {
            need(
                cov.headers.contains_key(&(enc, hdr)),
                &format!("encoding {enc} with header 0b{hdr:02b}"),
            );
        }
        for s in [-4, -2, -1, 0, 1, 2, 3, 8] {
            need(cov.schemas.contains(&s), &format!("schema {s}"));
        }
        for zt in [data::DEFAULT_ZT, 0.001, 0.25, 0.0] {
            need(
                cov.zero_thresholds.contains(&zt.to_bits()),
                &format!("zero threshold {zt}"),
            );
        }
        need(cov.negative > 0, "negative buckets");
        need(cov.multi_span > 0, "several positive spans");
        need(cov.stale_first > 0, "a chunk starting with a stale sample");
        need(
            cov.recoded_counter.contains(&2),
            "a recoded integer counter chunk",
        );
        need(
            cov.recoded_counter.contains(&3),
            "a recoded float counter chunk",
        );
        need(
            !cov.merged_gauge.is_empty(),
            "a gauge chunk with merged layouts",
        );
        need(
            cov.max_chunks_per_series >= 3,
            "3 or more chunks of one series in a block",
        );
        if !missing.is_empty() {
            return Err(format!("the blocks do not cover: {}", missing.join("; ")));
        }
        println!("coverage check passed");
    }
    Ok(())
}
