//! Turning inputs into blocks.

use std::collections::BTreeSet;
use std::path::Path;

use tsblock::error::Report;
use tsblock::labelset::Labels;
use tsblock::meta::BlockMeta;
use tsblock::tombstones::Interval;
use tsblock::ulid::Ulid;
use tsblock::writer::{
    AppendError, BlockWriter, BlockWriterOptions, Flavor, DEFAULT_BLOCK_DURATION,
};

use crate::openmetrics::{Parser, Sample};
use crate::spec::{expand_labels, Rng, Spec};
use crate::Failure;

/// promtool's `getCompatibleBlockDuration`: the largest of 2h × 3^k (k < 10) not above
/// `max`, and 2h when `max` is smaller.
pub fn block_duration(max: i64) -> i64 {
    let ranges: Vec<i64> =
        std::iter::successors(Some(DEFAULT_BLOCK_DURATION), |r| r.checked_mul(3))
            .take(10)
            .collect();
    if max <= DEFAULT_BLOCK_DURATION {
        return DEFAULT_BLOCK_DURATION;
    }
    ranges
        .iter()
        .rev()
        .find(|&&r| r <= max)
        .copied()
        .unwrap_or(DEFAULT_BLOCK_DURATION)
}

fn labels_string(labels: &Labels) -> String {
    pairs_string(labels.iter().map(|l| (l.name, l.value)))
}

/// Parsed labels as Prometheus prints a label set.
fn pairs_string<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> String {
    let mut out = Vec::new();
    tsblock::compat::push_label_pairs(&mut out, pairs);
    String::from_utf8_lossy(&out).into_owned()
}

/// The label set of a parsed sample (sorted, no empty values: the parser's output).
fn sample_labels(s: &Sample) -> Result<Labels, tsblock::labelset::LabelsError> {
    Labels::new(s.labels.iter().map(|(n, v)| (n, v)))
}

/// Blocks from OpenMetrics text, as `promtool tsdb create-blocks-from openmetrics` cuts
/// them: blocks of `block_duration(max_block_duration)` aligned to multiples of it from
/// the first sample's range (Go's truncating division, so samples before that start, which
/// only happens below zero, are dropped like promtool drops them), each block covering
/// only the time its samples span. Each block range re-reads the input, so memory holds one
/// block range's encoded chunks at a time.
pub fn openmetrics(
    data: &[u8],
    name: &str,
    max_block_duration: i64,
    flavor: Flavor,
    staging: &Path,
) -> Result<Vec<BlockMeta>, Failure> {
    let duration = block_duration(max_block_duration);
    // Pass 1: validate everything, find the time range and which block ranges hold
    // samples (by floor(ts / duration); the alignment start is a multiple of duration).
    // The parser returns labels sorted, without empty values, names unique.
    let (mut mint, mut occupied) = (i64::MAX, BTreeSet::new());
    let mut s = Sample::default();
    let mut parser = Parser::new(data);
    while let Some(r) = parser.next_into(&mut s) {
        r.map_err(|e| Failure(format!("{name}: {e}")))?;
        let Some(ts) = s.timestamp else {
            return Err(Failure(format!(
                "{name}: line {}: expected timestamp for series {}, got none",
                s.line,
                pairs_string(s.labels.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
            )));
        };
        sample_labels(&s).map_err(|e| Failure(format!("{name}: line {}: {e}", s.line)))?;
        mint = mint.min(ts);
        occupied.insert(ts.div_euclid(duration));
    }
    if occupied.is_empty() {
        return Ok(Vec::new());
    }
    // promtool aligns with Go's truncating division: below zero the first range starts
    // after the earliest sample, whose range is then never written.
    let first = (duration * (mint / duration)) / duration;
    let ranges: Vec<i64> = occupied.into_iter().filter(|&q| q >= first).collect();
    let mut blocks = Vec::new();
    let mut dropped = 0u64;
    for q in ranges {
        let lo = q * duration;
        let hi = lo.saturating_add(duration);
        let mut w = BlockWriter::new(BlockWriterOptions {
            chunk_range: 2 * duration,
            flavor,
            ..BlockWriterOptions::default()
        });
        let mut parser = Parser::new(data);
        while let Some(r) = parser.next_into(&mut s) {
            r.map_err(|e| Failure(format!("{name}: {e}")))?;
            let Some(ts) = s.timestamp.filter(|&ts| lo <= ts && ts < hi) else {
                continue;
            };
            let labels =
                sample_labels(&s).map_err(|e| Failure(format!("{name}: line {}: {e}", s.line)))?;
            match w.append(&labels, ts, s.value) {
                Ok(()) => {}
                // Millisecond truncation maps e.g. 32796.839 and 32796.840 to one timestamp;
                // promtool keeps the first sample, and so do we, saying so.
                Err(AppendError::DuplicateTimestamp(_)) => dropped += 1,
                Err(e) => {
                    return Err(Failure(format!(
                        "{name}: line {}: series {}: {}",
                        s.line,
                        labels_string(&labels),
                        Report(&e)
                    )))
                }
            }
        }
        if let Some(meta) = w.write(staging)? {
            blocks.push(meta);
        }
    }
    if dropped > 0 {
        eprintln!(
            "tsblock-write: {name}: dropped {dropped} sample(s) with the same millisecond \
             timestamp as the series' previous sample but another value (promtool drops them too)"
        );
    }
    Ok(blocks)
}

/// One block from a JSON fixture spec.
pub fn json(
    data: &[u8],
    name: &str,
    seed: Option<u64>,
    ulid: Option<&str>,
    flavor: Option<Flavor>,
    staging: &Path,
) -> Result<BlockMeta, Failure> {
    let spec: Spec = serde_json::from_slice(data).map_err(|e| Failure(format!("{name}: {e}")))?;
    let seed = seed.or(spec.seed);
    let mut rng = Rng::new(seed.unwrap_or(0));
    let ulid = match ulid.or(spec.ulid.as_deref()) {
        Some(u) => Some(
            u.parse::<Ulid>()
                .map_err(|e| Failure(format!("{name}: {e}")))?,
        ),
        // A seeded spec is reproducible byte for byte, its ULID included.
        None => seed.map(|s| {
            // Its own stream (seed + 1), so the ULID does not shift the generated samples.
            let mut r = Rng::new(s.wrapping_add(1));
            Ulid::from_parts(0, u128::from(r.next_u64()) << 64 | u128::from(r.next_u64()))
        }),
    };
    let flavor = match (flavor, spec.flavor.as_deref()) {
        (Some(f), _) => f,
        (None, None | Some("prometheus3")) => Flavor::Prometheus3,
        (None, Some("prometheus2")) => Flavor::Prometheus2,
        (None, Some(other)) => {
            return Err(Failure(format!(
                "{name}: unknown flavor {other:?} (prometheus3 or prometheus2)"
            )))
        }
    };
    let chunk_range = spec.chunk_range.unwrap_or(2 * DEFAULT_BLOCK_DURATION);
    if chunk_range <= 0 {
        return Err(Failure(format!("{name}: chunk_range must be positive")));
    }
    let mut w = BlockWriter::new(BlockWriterOptions {
        chunk_range,
        flavor,
        ulid,
        ..BlockWriterOptions::default()
    });
    let mut all_labels = Vec::new();
    for (i, series) in spec.series.iter().enumerate() {
        let ctx = |msg: String| Failure(format!("{name}: series[{i}]: {msg}"));
        for labels in expand_labels(series) {
            let labels = Labels::new(labels).map_err(|e| ctx(e.to_string()))?;
            let samples = series.all_samples(&mut rng).map_err(ctx)?;
            for (j, (t, v)) in samples.iter().enumerate() {
                v.append_to(&mut w, &labels, *t).map_err(|e| {
                    ctx(format!(
                        "{}: sample {j}: {}",
                        labels_string(&labels),
                        Report(&e)
                    ))
                })?;
            }
            // Kept only to match deletions against (a second copy of every label set).
            if !spec.deletions.is_empty() {
                all_labels.push(labels);
            }
        }
    }
    for (i, d) in spec.deletions.iter().enumerate() {
        if d.min_time > d.max_time {
            return Err(Failure(format!(
                "{name}: deletions[{i}]: min_time after max_time"
            )));
        }
        for labels in &all_labels {
            let matches = d
                .matchers
                .iter()
                .all(|(k, v)| labels.get(k.as_bytes()) == Some(v.as_bytes()));
            if matches {
                w.delete(
                    labels,
                    Interval {
                        min: d.min_time,
                        max: d.max_time,
                    },
                );
            }
        }
    }
    w.write(staging)?
        .ok_or_else(|| Failure(format!("{name}: the spec has no samples")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_durations_follow_promtool() {
        let h = 3_600_000;
        assert_eq!(block_duration(0), 2 * h);
        assert_eq!(block_duration(2 * h), 2 * h);
        assert_eq!(block_duration(5 * h), 2 * h);
        assert_eq!(block_duration(6 * h), 6 * h);
        assert_eq!(block_duration(1000 * h), 486 * h);
        assert_eq!(block_duration(1458 * h), 1458 * h);
        assert_eq!(block_duration(i64::MAX), 2 * h * 3i64.pow(9));
    }
}
