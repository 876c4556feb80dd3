//! The text `promtool tsdb list` and `promtool tsdb dump` (Prometheus 2.42) print, byte
//! for byte.

use crate::block::Block;
use crate::histogram::Histogram;
use crate::labels::Label;

use super::gofmt;
use super::model::{push_histogram, push_labels, GoCount};

/// The `tsdb list` table of `blocks` (in the order given; promtool lists by `minTime`).
/// `human` is `-r`: dates instead of milliseconds, sizes in KiB/MiB.
pub fn list_table<'a>(blocks: impl IntoIterator<Item = &'a Block>, human: bool) -> Vec<u8> {
    const HEADER: [&str; 8] = [
        "BLOCK ULID",
        "MIN TIME",
        "MAX TIME",
        "DURATION",
        "NUM SAMPLES",
        "NUM CHUNKS",
        "NUM SERIES",
        "SIZE",
    ];
    let text = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = Vec::new();
        f(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    };
    let time = |t: i64| {
        if human {
            text(&|o| gofmt::push_unix_millis_utc(o, t))
        } else {
            t.to_string()
        }
    };
    let mut rows: Vec<Vec<String>> = vec![HEADER.iter().map(|s| s.to_string()).collect()];
    for b in blocks {
        let m = b.meta();
        let size = i64::try_from(b.size()).unwrap_or(i64::MAX);
        rows.push(vec![
            m.ulid.clone(),
            time(m.min_time),
            time(m.max_time),
            text(&|o| gofmt::push_duration(o, m.max_time.wrapping_sub(m.min_time))),
            m.stats.num_samples.to_string(),
            m.stats.num_chunks.to_string(),
            m.stats.num_series.to_string(),
            if human {
                text(&|o| gofmt::push_base2_bytes(o, size))
            } else {
                size.to_string()
            },
        ]);
    }
    gofmt::format_tab_table(&rows)
}

/// Writes the start of a series' `tsdb dump` lines: its labels and a space.
pub fn push_dump_prefix(out: &mut Vec<u8>, labels: &[Label<'_>]) {
    push_labels(out, labels);
    out.push(b' ');
}

/// Writes one `tsdb dump` line: `prefix` (from [`push_dump_prefix`]), the value as Go's
/// `%g`, a space, the timestamp, a newline.
#[inline]
pub fn push_dump_line(out: &mut Vec<u8>, prefix: &[u8], t: i64, v: f64) {
    DumpLines::new().push(out, prefix, t, v);
}

/// Writes `tsdb dump` lines, remembering the last value's text: a value that repeats (a
/// gauge that did not move, a counter between increments) is copied, not formatted.
#[derive(Debug, Clone, Default)]
pub struct DumpLines {
    value: gofmt::FloatG,
}

impl DumpLines {
    /// Nothing remembered yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One line: `prefix` (from [`push_dump_prefix`]), `%g` of `v`, a space, `t`, a
    /// newline.
    #[inline]
    pub fn push(&mut self, out: &mut Vec<u8>, prefix: &[u8], t: i64, v: f64) {
        out.extend_from_slice(prefix);
        self.value.push(out, v);
        out.push(b' ');
        out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
        out.push(b'\n');
    }
}

/// Writes one histogram sample's dump line, `{labels} {histogram} timestamp`, as promtool
/// ≥ 2.48 prints it: `prefix` (from [`push_dump_prefix`]), Go's `String()` of the histogram
/// ([`push_histogram`]), a space, the timestamp, a newline. (2.42 cannot dump histograms.)
pub fn push_dump_histogram_line<C: GoCount>(
    out: &mut Vec<u8>,
    prefix: &[u8],
    t: i64,
    h: &Histogram<C>,
) {
    out.extend_from_slice(prefix);
    push_histogram(out, h);
    out.push(b' ');
    out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    out.push(b'\n');
}
