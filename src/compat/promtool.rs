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
///
/// [`push_batch`](Self::push_batch) is the fast path for a decoded chunk: lines are built in
/// a small scratch buffer from fixed-size blocks (the prefix padded to 16 bytes, a 32-byte
/// value block, a 32-byte timestamp block), each written whole and overwritten by the next
/// part, so a line costs a handful of fixed-size moves instead of three calls to `memcpy`;
/// the scratch is then appended to the output in one copy. Timestamps of the years 1973 to
/// 2286 are written from their cached high digits and eight low digits.
#[derive(Debug, Clone, Default)]
pub struct DumpLines {
    value: gofmt::FloatG,
    /// The batch path's last value: its bits, its text and the text's length.
    batch_value: Option<u64>,
    batch_text: [u8; 32],
    batch_len: usize,
    /// Where in `scratch` the last value's text was formatted, when it has not been
    /// copied into `batch_text` yet (it is copied only if the next value repeats it).
    batch_pending: Option<usize>,
    millis: Millis,
    /// The batch's prefix padded with zeros to whole 16-byte blocks.
    prefix: Vec<u8>,
    /// Lines are formatted here. Never shrunk and always initialised up to its length, so
    /// it is zeroed only when it grows.
    scratch: Vec<u8>,
}

/// Lines formatted into the scratch buffer before it is appended to the output, at most:
/// the scratch stays within the first-level caches.
const LINES_PER_COPY: usize = 128;
/// Bytes of scratch aimed at: fewer lines at a time for long label sets.
const SCRATCH_BYTES: usize = 16 << 10;

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
        let mut block = [0u8; 32];
        let len = self.millis.write(t, &mut block);
        out.extend_from_slice(block.get(..len).unwrap_or_default());
    }

    /// The lines of samples `ts[i]`, `vs[i]` (as many as the shorter slice holds), each
    /// exactly as [`push`](Self::push) writes it.
    pub fn push_batch(&mut self, out: &mut Vec<u8>, prefix: &[u8], ts: &[i64], vs: &[f64]) {
        self.prefix.clear();
        self.prefix.extend_from_slice(prefix);
        self.prefix.resize(prefix.len().next_multiple_of(16), 0);
        // Room for the padded prefix and both 32-byte blocks, each starting at most at
        // the end of the text before it (a value's text is at most 32 bytes).
        let per_line = self.prefix.len() + 64;
        let lines = (SCRATCH_BYTES / per_line).clamp(1, LINES_PER_COPY);
        let need = per_line.saturating_mul(lines);
        if self.scratch.len() < need {
            self.scratch.resize(need, 0);
        }
        for (ts, vs) in ts.chunks(lines).zip(vs.chunks(lines)) {
            let mut pos = 0;
            for (&t, &v) in ts.iter().zip(vs) {
                let bits = v.to_bits();
                let repeat = self.batch_value == Some(bits);
                if repeat {
                    self.keep_pending();
                }
                let Some(line) = self.scratch.get_mut(pos..pos + per_line) else {
                    break;
                };
                for (d, s) in line.chunks_exact_mut(16).zip(self.prefix.chunks_exact(16)) {
                    d.copy_from_slice(s);
                }
                let mut end = prefix.len();
                let Some(slot) = line.get_mut(end..end + 32) else {
                    break;
                };
                if repeat {
                    slot.copy_from_slice(&self.batch_text);
                    end += self.batch_len;
                } else {
                    let len = super::gofloat::format_into(slot, v);
                    self.batch_value = Some(bits);
                    self.batch_len = len;
                    self.batch_pending = Some(pos + end);
                    end += len;
                }
                let len = self
                    .millis
                    .write(t, line.get_mut(end..).unwrap_or_default());
                pos += end + len;
            }
            self.keep_pending();
            out.extend_from_slice(self.scratch.get(..pos).unwrap_or_default());
        }
    }

    /// Copies the last value's text from where it was formatted in `scratch` into
    /// `batch_text`, before it is reused: a line or more after those stores, so the
    /// copy does not wait for them.
    #[inline]
    fn keep_pending(&mut self) {
        if let Some(at) = self.batch_pending.take() {
            if let Some(src) = self.scratch.get(at..at + 32) {
                self.batch_text.copy_from_slice(src);
            }
        }
    }
}

/// Formats `" {t}\n"` as a 32-byte block, caching the digits above the low eight: within a
/// series they change once every 27 hours.
#[derive(Debug, Clone, Copy, Default)]
struct Millis {
    /// `t / 10^8` whose digits are cached (0: none, as the fast path needs `t >= 10^8`).
    hi: u64,
    hi_digits: [u8; 8],
    hi_len: usize,
}

impl Millis {
    /// Writes `" {t}\n"` at the start of `line` and returns its length (0 if `line` is
    /// shorter than 32 bytes). The digits go straight into `line` with 8-byte and
    /// single-byte stores: a block built elsewhere and copied in with wider loads would
    /// stall on the narrower stores that built it.
    #[inline]
    fn write(&mut self, t: i64, line: &mut [u8]) -> usize {
        let Some(b) = line.get_mut(..32) else {
            return 0;
        };
        b[0] = b' ';
        if (100_000_000..10_000_000_000_000).contains(&t) {
            let t = t as u64;
            let (hi, lo) = (t / 100_000_000, t % 100_000_000);
            if hi != self.hi {
                let mut digits = itoa::Buffer::new();
                let d = digits.format(hi).as_bytes();
                self.hi_digits = [0; 8];
                self.hi_len = d.len().min(8);
                if let (Some(dst), Some(src)) =
                    (self.hi_digits.get_mut(..self.hi_len), d.get(..self.hi_len))
                {
                    dst.copy_from_slice(src);
                }
                self.hi = hi;
            }
            // hi < 10^5: at most five digits, so everything fits in the 32 bytes.
            let h = self.hi_len;
            b[1..9].copy_from_slice(&self.hi_digits);
            b[1 + h..9 + h].copy_from_slice(&super::digits::digits8(lo as u32).to_le_bytes());
            b[9 + h] = b'\n';
            10 + h
        } else {
            let mut digits = itoa::Buffer::new();
            let d = digits.format(t).as_bytes();
            // At most 20 bytes ("-9223372036854775808").
            let n = d.len().min(20);
            b[1..1 + n].copy_from_slice(&d[..n]);
            b[1 + n] = b'\n';
            2 + n
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn by_lines(prefix: &[u8], ts: &[i64], vs: &[f64]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut lines = DumpLines::new();
        for (&t, &v) in ts.iter().zip(vs) {
            lines.push(&mut out, prefix, t, v);
        }
        out
    }

    #[test]
    fn timestamps_on_both_sides_of_the_fast_path() {
        let ts = [
            i64::MIN,
            -1,
            0,
            99_999_999,
            100_000_000,
            1_700_000_000_000,
            1_700_000_099_999,
            1_700_000_100_000,
            9_999_999_999_999,
            10_000_000_000_000,
            i64::MAX,
        ];
        let vs = [1.0; 11];
        let mut out = Vec::new();
        DumpLines::new().push_batch(&mut out, b"{a=\"b\"} ", &ts, &vs);
        let text = String::from_utf8(out.clone()).unwrap_or_default();
        let want: String = ts.iter().map(|t| format!("{{a=\"b\"}} 1 {t}\n")).collect();
        assert_eq!(text, want);
        assert_eq!(out, by_lines(b"{a=\"b\"} ", &ts, &vs));
    }

    #[test]
    fn long_prefixes_a_line_at_a_time() {
        let prefix = vec![b'x'; 40_000];
        let ts: Vec<i64> = (0..5).map(|i| 1_700_000_000_000 + i).collect();
        let vs = [1.5, 1.5, 2.0, f64::NAN, -0.0];
        let mut out = Vec::new();
        let mut lines = DumpLines::new();
        lines.push_batch(&mut out, &prefix, &ts, &vs);
        assert_eq!(out, by_lines(&prefix, &ts, &vs));
        assert!(lines.scratch.len() < 2 * 40_064);
    }

    proptest::proptest! {
        #[test]
        fn batch_equals_line_by_line(
            prefix in proptest::collection::vec(proptest::num::u8::ANY, 0..70),
            samples in proptest::collection::vec(
                (proptest::num::i64::ANY, 0i64..100_000, proptest::num::u64::ANY, 0u8..4),
                0..400,
            ),
            split in 0usize..400,
        ) {
            // Timestamps: arbitrary, or near a recent time; values: arbitrary bits,
            // integers, short decimals, or the value before repeated.
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            let mut last = 0.0;
            for (any_t, dt, bits, kind) in samples {
                ts.push(if any_t % 2 == 0 { any_t } else { 1_700_000_000_000 + dt });
                let v = match kind {
                    0 => f64::from_bits(bits),
                    1 => (bits >> 20) as f64,
                    2 => (bits % 100_000) as f64 / 1000.0,
                    _ => last,
                };
                vs.push(v);
                last = v;
            }
            // Two batches through one writer: its memory carries across.
            let split = split.min(ts.len());
            let mut out = Vec::new();
            let mut lines = DumpLines::new();
            lines.push_batch(&mut out, &prefix, &ts[..split], &vs[..split]);
            lines.push_batch(&mut out, &prefix, &ts[split..], &vs[split..]);
            proptest::prop_assert_eq!(out, by_lines(&prefix, &ts, &vs));
        }
    }
}
