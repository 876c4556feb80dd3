//! The text `promtool tsdb dump-openmetrics` (Prometheus 2.51 to 3.x) prints, and the
//! series JSON of `promtool tsdb dump --format seriesjson` (3.9+).
//!
//! A sample line is `name{a="b",c="d"} value seconds`: the metric name out of the braces
//! (nothing before them when a series has none), the other labels as `name=` and Go's
//! `strconv.Quote` of the value joined by `,`, the braces always there, the value as
//! `%g` and the timestamp as `%.3f` of the milliseconds over 1000. The dump ends with
//! `# EOF`.

use crate::labels::Label;
use crate::text::push_quoted;

use super::gofloat::FloatG;

/// Writes the start of a series' OpenMetrics lines: its metric name, labels and a space.
pub fn push_prefix(out: &mut Vec<u8>, labels: &[Label<'_>]) {
    if let Some(name) = labels.iter().find(|l| l.name == b"__name__") {
        out.extend_from_slice(name.value);
    }
    out.push(b'{');
    let mut first = true;
    for l in labels.iter().filter(|l| l.name != b"__name__") {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(l.name);
        out.push(b'=');
        push_quoted(out, l.value);
    }
    out.extend_from_slice(b"} ");
}

/// Writes OpenMetrics sample lines, remembering the last value's text.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    value: FloatG,
}

impl Lines {
    /// Nothing remembered yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One line: `prefix` (from [`push_prefix`]), `%g` of `v`, a space, the seconds, a
    /// newline.
    pub fn push(&mut self, out: &mut Vec<u8>, prefix: &[u8], t: i64, v: f64) {
        out.extend_from_slice(prefix);
        self.value.push(out, v);
        out.push(b' ');
        push_seconds(out, t);
        out.push(b'\n');
    }
}

/// The last line of a dump.
pub const EOF: &[u8] = b"# EOF\n";

/// Go's `%.3f` of `float64(t) / 1000`: exact integer arithmetic while the quotient's
/// rounding error stays far below a millisecond (|t| < 2^42 ms, some 139 years either
/// side of 1970), the correctly rounded float beyond, as Go rounds it.
pub fn push_seconds(out: &mut Vec<u8>, t: i64) {
    if t.unsigned_abs() < 1 << 42 {
        if t < 0 {
            out.push(b'-');
        }
        let a = t.unsigned_abs();
        out.extend_from_slice(itoa::Buffer::new().format(a / 1000).as_bytes());
        let frac = a % 1000;
        out.extend_from_slice(&[
            b'.',
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ]);
    } else {
        out.extend_from_slice(format!("{:.3}", t as f64 / 1000.0).as_bytes());
    }
}

/// Writes a label set as Go's `json.Marshal` of a `map[string]string` writes it: keys
/// sorted (label sets already are), strings escaped as `encoding/json` escapes them (HTML
/// characters as `\u003c`…, U+2028/U+2029, invalid UTF-8 as U+FFFD).
pub fn push_labels_json(out: &mut Vec<u8>, labels: &[Label<'_>]) {
    let mut sorted: Vec<&Label<'_>> = labels.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(b.name));
    out.push(b'{');
    for (i, l) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_string(out, l.name);
        out.push(b':');
        push_json_string(out, l.value);
    }
    out.push(b'}');
}

/// A string as Go's `encoding/json` (1.22+) writes it.
pub fn push_json_string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                    let b = c as u8;
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
                '\u{2028}' => out.extend_from_slice(b"\\u2028"),
                '\u{2029}' => out.extend_from_slice(b"\\u2029"),
                c => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        // Go replaces each byte of an invalid sequence.
        for _ in chunk.invalid() {
            out.extend_from_slice(b"\\ufffd");
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_as_promtool_prints_them() {
        let labels = [
            Label {
                name: b"__name__",
                value: b"up",
            },
            Label {
                name: b"a",
                value: b"x\"y\n",
            },
            Label {
                name: b"b",
                value: b"",
            },
        ];
        let mut prefix = Vec::new();
        push_prefix(&mut prefix, &labels);
        assert_eq!(
            text(|o| Lines::new().push(o, &prefix, 1_700_215_884_373, 1e6)),
            "up{a=\"x\\\"y\\n\",b=\"\"} 1e+06 1700215884.373\n"
        );
        let mut prefix = Vec::new();
        push_prefix(&mut prefix, &labels[..1]);
        assert_eq!(
            text(|o| Lines::new().push(o, &prefix, -1500, 0.5)),
            "up{} 0.5 -1.500\n"
        );
        let mut prefix = Vec::new();
        push_prefix(&mut prefix, &labels[1..2]);
        assert_eq!(
            text(|o| Lines::new().push(o, &prefix, 1, f64::NAN)),
            "{a=\"x\\\"y\\n\"} NaN 0.001\n"
        );
        for (t, s) in [
            (0, "0.000"),
            (-1, "-0.001"),
            (999, "0.999"),
            (-999, "-0.999"),
            (1 << 50, "1125899906842.624"),
        ] {
            assert_eq!(text(|o| push_seconds(o, t)), s, "{t}");
        }
    }

    #[test]
    fn json_as_go_marshals() {
        let labels = [
            Label {
                name: b"z",
                value: b"<a&b>\x01\x08\x0c\t\xff\xe2\x80\xa8\xc3\xa9",
            },
            Label {
                name: b"__name__",
                value: b"m",
            },
        ];
        assert_eq!(
            text(|o| push_labels_json(o, &labels)),
            "{\"__name__\":\"m\",\"z\":\"\\u003ca\\u0026b\\u003e\\u0001\\b\\f\\t\\ufffd\\u2028\u{e9}\"}"
        );
    }
}
