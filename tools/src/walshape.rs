//! The shape of a generated WAL, shared by `tsblock-write wal` and `benches/wal.rs` (which
//! includes this file): what a server scraping many targets writes. Series records, then
//! one snappy-compressed samples record per target and scrape, in segments of at most
//! 128 MiB; the last page of the last segment padded as after a clean shutdown.
//!
//! Values are seeded and shaped like real scrapes: counters that grow by integer steps,
//! gauges that wander, a few constant series; timestamps carry up to ±25 ms of jitter.

use tsblock::labels::Label;
use tsblock::record::encode::{encode_samples, encode_series};
use tsblock::record::{RefSample, RefSeries};
use tsblock::wlog::{Compression, SegmentWriter};

/// Prometheus's default segment size.
const SEGMENT_SIZE: usize = 128 << 20;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct WalShape {
    /// Series in all.
    pub series: usize,
    /// Series per target (one samples record per target and scrape).
    pub per_target: usize,
    /// Scrapes of every target.
    pub scrapes: usize,
    /// Scrape interval, ms.
    pub interval: i64,
    /// Timestamp of the first scrape, ms.
    pub start: i64,
    /// Seed of the values.
    pub seed: u64,
}

/// splitmix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The segments of a WAL with `shape`, each finished segment handed to `emit`.
pub fn generate<E>(
    shape: WalShape,
    mut emit: impl FnMut(Vec<u8>) -> Result<(), E>,
) -> Result<u64, E> {
    let per_target = shape.per_target.max(1);
    let targets = shape.series.div_ceil(per_target);
    let mut seg = SegmentWriter::new(Compression::Snappy);
    let mut rng = shape.seed | 1;
    let mut values: Vec<f64> = (0..shape.series)
        .map(|_| (next(&mut rng) % 1000) as f64)
        .collect();
    let mut samples_written = 0u64;
    let mut log = |seg: &mut SegmentWriter, rec: &[u8]| -> Result<(), E> {
        if seg.len() + rec.len() > SEGMENT_SIZE {
            let full = std::mem::replace(seg, SegmentWriter::new(Compression::Snappy));
            emit(full.finish())?;
        }
        seg.log(rec);
        Ok(())
    };
    // Series records, a target at a time, as the scrape loop logs them on first sight.
    for t in 0..targets {
        let ids: Vec<usize> = (t * per_target..((t + 1) * per_target).min(shape.series)).collect();
        let owned: Vec<[(String, String); 4]> = ids
            .iter()
            .map(|&i| {
                [
                    (
                        "__name__".into(),
                        format!("node_metric_{}", i % per_target % 97),
                    ),
                    ("instance".into(), format!("host-{t:05}:9100")),
                    ("job".into(), "node".into()),
                    ("series".into(), format!("{}", i % per_target)),
                ]
            })
            .collect();
        let series: Vec<RefSeries> = ids
            .iter()
            .zip(&owned)
            .map(|(&i, l)| RefSeries {
                series_ref: i as u64 + 1,
                labels: l
                    .iter()
                    .map(|(n, v)| Label {
                        name: n.as_bytes(),
                        value: v.as_bytes(),
                    })
                    .collect(),
            })
            .collect();
        log(&mut seg, &encode_series(&series))?;
    }
    let mut batch = Vec::with_capacity(per_target);
    for s in 0..shape.scrapes {
        for t in 0..targets {
            let ts = shape.start + s as i64 * shape.interval + (next(&mut rng) % 51) as i64 - 25;
            batch.clear();
            let (lo, hi) = (t * per_target, ((t + 1) * per_target).min(shape.series));
            for (i, v) in values.iter_mut().enumerate().take(hi).skip(lo) {
                match i % 10 {
                    // Counters: integer steps.
                    0..=4 => *v += (next(&mut rng) % 20) as f64,
                    // Gauges: wander.
                    5..=8 => *v += ((next(&mut rng) % 2001) as f64 - 1000.0) / 1000.0,
                    // Constants.
                    _ => {}
                }
                batch.push(RefSample {
                    series_ref: i as u64 + 1,
                    t: ts,
                    v: *v,
                });
            }
            samples_written += batch.len() as u64;
            log(&mut seg, &encode_samples(&batch))?;
        }
    }
    emit(seg.finish())?;
    Ok(samples_written)
}
