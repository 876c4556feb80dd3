//! Building data directories with a head (WAL segments, checkpoints, `chunks_head/`
//! files) from records, for the head tests; and a seeded generator of realistic, messy
//! heads for the differential test against promtool.

#![allow(clippy::needless_range_loop)]

use std::path::Path;

use tsblock::chunkenc::{Encoding, XorAppender};
use tsblock::head::files::{file_header, push_chunk};
use tsblock::histogram::{CounterResetHint, IntHistogram, Span, STALE_NAN_BITS};
use tsblock::labels::Label;
use tsblock::labelset::Labels;
use tsblock::record::encode::{
    encode_histograms, encode_samples, encode_series, encode_tombstones,
};
use tsblock::record::{RefHistogram, RefSample, RefSeries, RefStone};
use tsblock::tombstones::Interval;
use tsblock::wlog::{Compression, SegmentWriter};

use super::Rng;

/// Segments being written, in order.
pub struct Log {
    done: Vec<Vec<u8>>,
    cur: SegmentWriter,
    compression: Compression,
}

impl Log {
    pub fn new(compression: Compression) -> Self {
        Log {
            done: Vec::new(),
            cur: SegmentWriter::new(compression),
            compression,
        }
    }

    pub fn log(&mut self, rec: &[u8]) {
        self.cur.log(rec);
    }

    /// Starts a new segment.
    pub fn cut(&mut self) {
        let cur = std::mem::replace(&mut self.cur, SegmentWriter::new(self.compression));
        self.done.push(cur.finish());
    }

    /// Writes the segments into `dir` numbered from `first`; the last one unpadded when
    /// `live` (as a running server leaves it).
    pub fn write(mut self, dir: &Path, first: u32, live: bool) -> u32 {
        std::fs::create_dir_all(dir).expect("mkdir");
        let last = if live {
            self.cur.finish_unpadded()
        } else {
            self.cur.finish()
        };
        self.done.push(last);
        let n = self.done.len() as u32;
        for (i, seg) in self.done.into_iter().enumerate() {
            std::fs::write(dir.join(format!("{:08}", first + i as u32)), seg).expect("write");
        }
        first + n - 1
    }
}

/// A head chunk file with the given XOR chunks: (series ref, samples).
pub fn head_chunk_file(chunks: &[(u64, Vec<(i64, f64)>)]) -> Vec<u8> {
    let mut out = file_header();
    for (r, samples) in chunks {
        let mut app = XorAppender::new();
        for &(t, v) in samples {
            app.append(t, v);
        }
        let (first, last) = (samples[0].0, samples[samples.len() - 1].0);
        push_chunk(
            &mut out,
            *r,
            first,
            last,
            Encoding::Xor,
            false,
            &app.finish(),
        );
    }
    // Preallocated zeros, as Prometheus leaves the file.
    out.resize(out.len() + 4096, 0);
    out
}

fn lbl<'a>(pairs: &'a [(String, String)]) -> Vec<Label<'a>> {
    pairs
        .iter()
        .map(|(n, v)| Label {
            name: n.as_bytes(),
            value: v.as_bytes(),
        })
        .collect()
}

/// A seeded, messy head: series announced over time (some again under a new reference),
/// float samples with duplicates, out-of-order and stale samples and unknown references,
/// integer histograms, tombstones, a checkpoint, m-mapped chunks for some series, and
/// optionally a block whose max time cuts the WAL; zstd-compressed records only when
/// `zstd`. Returns a description for messages.
pub fn messy_head(dir: &Path, seed: u64, zstd: bool) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let nseries = 3 + rng.below(25);
    let base = 1_700_000_000_000i64;
    let names: Vec<Vec<(String, String)>> = (0..nseries)
        .map(|i| {
            let mut l = vec![
                ("__name__".to_string(), format!("m{}", i % 4)),
                ("id".to_string(), format!("{i}")),
            ];
            if i % 3 == 0 {
                l.push(("zone".to_string(), format!("z{}", i % 2)));
            }
            l
        })
        .collect();
    let hist_series: Vec<bool> = (0..nseries).map(|i| i % 7 == 5).collect();
    // Optionally a block with the first 20 s of some series: it sets the head's minimum
    // valid time.
    let with_block = rng.below(3) == 0;
    if with_block {
        let mut w = tsblock::writer::BlockWriter::new(Default::default());
        for (i, l) in names.iter().enumerate().take(nseries / 2 + 1) {
            if hist_series[i] {
                continue;
            }
            let labels = Labels::new(l.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap();
            for k in 0..20 {
                w.append(&labels, base + k * 1000, k as f64).unwrap();
            }
        }
        w.write(dir).unwrap();
    }
    let use_checkpoint = rng.below(2) == 0;
    // Zstd records need Prometheus 2.46+ (2.42 reads them as raw bytes).
    let kinds = [Compression::Snappy, Compression::None, Compression::Zstd];
    let compression = kinds[rng.below(if zstd { 3 } else { 2 })];
    let mut cp = Log::new(compression);
    let mut wal = Log::new(compression);
    let mut refs: Vec<u64> = vec![0; nseries]; // current WAL ref per series (0 = none yet)
    let mut next_ref = 1u64;
    let mut last_t: Vec<i64> = vec![base - 5000; nseries];
    let mut mmapped: Vec<(u64, Vec<(i64, f64)>)> = Vec::new();
    let mut in_checkpoint = use_checkpoint;
    let steps = 30 + rng.below(60);
    for step in 0..steps {
        if in_checkpoint && step == steps / 3 {
            in_checkpoint = false;
        }
        let log = if in_checkpoint { &mut cp } else { &mut wal };
        // Announce some series (or re-announce one under a new reference).
        let mut new = Vec::new();
        for i in 0..nseries {
            if (refs[i] == 0 && rng.below(4) == 0) || (refs[i] != 0 && rng.below(40) == 0) {
                refs[i] = next_ref;
                next_ref += 1;
                new.push(i);
            }
        }
        if !new.is_empty() {
            let owned: Vec<_> = new.iter().map(|&i| (refs[i], &names[i])).collect();
            let series: Vec<RefSeries> = owned
                .iter()
                .map(|(r, l)| RefSeries {
                    series_ref: *r,
                    labels: lbl(l),
                })
                .collect();
            log.log(&encode_series(&series));
        }
        // One scrape: a sample for most announced series.
        let mut floats = Vec::new();
        let mut hists = Vec::new();
        for i in 0..nseries {
            if refs[i] == 0 || rng.below(5) == 0 {
                continue;
            }
            let t = match rng.below(20) {
                0 => last_t[i],                              // duplicate timestamp
                1 => last_t[i] - 1000 * rng.below(3) as i64, // out of order
                _ => last_t[i] + 1000 + rng.below(50) as i64 - 25,
            };
            last_t[i] = last_t[i].max(t);
            if hist_series[i] {
                let c = (step as u64) * 3 + rng.below(3) as u64;
                hists.push(RefHistogram {
                    series_ref: refs[i],
                    t,
                    h: IntHistogram {
                        counter_reset_hint: CounterResetHint::Unknown,
                        schema: 1,
                        zero_threshold: 1e-128,
                        zero_count: 1,
                        count: c + 1,
                        sum: c as f64 * 1.5,
                        positive_spans: vec![Span {
                            offset: 0,
                            length: 1,
                        }],
                        positive_buckets: vec![c],
                        ..Default::default()
                    },
                });
                continue;
            }
            let v = match rng.below(30) {
                0 => f64::from_bits(STALE_NAN_BITS),
                1 => f64::NAN,
                2..=10 => rng.below(1000) as f64,
                _ => rng.unit() * 100.0,
            };
            floats.push(RefSample {
                series_ref: refs[i],
                t,
                v,
            });
        }
        if rng.below(15) == 0 {
            // A sample for a reference nobody announced: ignored.
            floats.push(RefSample {
                series_ref: 9999,
                t: base,
                v: 1.0,
            });
        }
        if !floats.is_empty() {
            log.log(&encode_samples(&floats));
        }
        if !hists.is_empty() {
            log.log(&encode_histograms(&hists));
        }
        if rng.below(25) == 0 {
            let i = rng.below(nseries);
            if refs[i] != 0 {
                let min = last_t[i] - 1000 * rng.below(10) as i64;
                log.log(&encode_tombstones(&[RefStone {
                    series_ref: refs[i],
                    interval: Interval {
                        min,
                        max: min + 1000 * rng.below(5) as i64,
                    },
                }]));
            }
        }
        if !in_checkpoint && rng.below(12) == 0 {
            wal.cut();
        }
        // Some series' early samples also sit in an m-mapped chunk (as after a restart).
        if step == 5 {
            for i in 0..nseries {
                if refs[i] != 0 && !hist_series[i] && rng.below(3) == 0 {
                    let samples: Vec<(i64, f64)> = (0..6)
                        .map(|k| (base - 4000 + k * 700, k as f64 * 2.5))
                        .collect();
                    mmapped.push((refs[i], samples));
                }
            }
        }
    }
    let waldir = dir.join("wal");
    let first = if use_checkpoint {
        cp.write(&waldir.join("checkpoint.00000002"), 0, false);
        3
    } else {
        0
    };
    let live = rng.below(2) == 0;
    let last = wal.write(&waldir, first, live);
    if !mmapped.is_empty() {
        let chdir = dir.join("chunks_head");
        std::fs::create_dir_all(&chdir).unwrap();
        std::fs::write(chdir.join("000001"), head_chunk_file(&mmapped)).unwrap();
    }
    format!(
        "seed {seed}: {nseries} series, {steps} scrapes, checkpoint {use_checkpoint}, segments {first}..={last}, \
         {compression:?}, block {with_block}, {} m-mapped chunks, live {live}",
        mmapped.len()
    )
}
