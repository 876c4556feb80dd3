//! OpenMetrics text parsing, matching what `promtool tsdb create-blocks-from
//! openmetrics` of Prometheus 2.42 accepts and the samples it appends.
//!
//! The grammar is that of Prometheus' OpenMetrics lexer, byte for byte:
//!
//! * every entry is one line ending in `\n`; the input must end with `# EOF`
//!   (optionally followed by one `\n`); empty lines, other comments, anything
//!   after `# EOF`, and `\r` or tabs outside label values and help text are
//!   errors;
//! * `# HELP name text`, `# TYPE name type` and `# UNIT name unit` are checked
//!   (help must be UTF-8, type one of the eight OpenMetrics types, a non-empty
//!   unit a `_`-separated suffix of the name) and then skipped; they are not
//!   required and not related to the samples;
//! * a sample is `name[{labels}] value[ timestamp][ # {labels} value[ timestamp]]`
//!   with single spaces; metric names are `[a-zA-Z_:][a-zA-Z0-9_:]*`, label
//!   names `[a-zA-Z_][a-zA-Z0-9_]*`, label values double-quoted UTF-8 in which a
//!   backslash escapes any byte but `\n`, and only `\\`, `\"` and `\n` are
//!   unescaped (`\t` stays two characters);
//! * values and timestamps follow Go's `strconv.ParseFloat` without hex floats
//!   or `_`; out-of-range values are errors; timestamps are float seconds,
//!   neither NaN nor infinite, converted to milliseconds by truncation;
//! * exemplars (after ` # `) are validated and dropped; they are allowed only on
//!   names ending in `_total` or `_bucket`;
//! * like the TSDB appender, labels are sorted, labels with empty values
//!   dropped, and duplicate label names (`__name__` included) rejected.
//!
//! The lexer skips NUL bytes inside label values, help text and the keywords
//! of `#` lines; that quirk is reproduced too.

mod gofloat;

use gofloat::{parse_go_float, seconds_to_millis};

/// Go's `math.NaN()`, which `strconv.ParseFloat("NaN")` returns.
const GO_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// One sample line of the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Labels sorted by name, including `__name__` (the metric name), empty values removed.
    pub labels: Vec<(String, String)>,
    /// The value, with the exact bits Go's `strconv.ParseFloat` gives (NaN is `0x7ff8000000000001`).
    pub value: f64,
    /// Milliseconds: `int64(seconds * 1000)` as Go computes it on amd64
    /// (truncation toward zero; out of range gives `i64::MIN`).
    pub timestamp: Option<i64>,
    /// 1-based line number.
    pub line: usize,
}

/// A syntax error, or a label set the TSDB appender would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based byte column of the offending token or byte.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// One label of the current sample, borrowed from the input.
struct Span<'a> {
    name: &'a str,
    /// Byte offset of the name (of the metric name for `__name__`).
    name_pos: usize,
    /// Raw value: still escaped.
    value: &'a str,
    escaped: bool,
}

enum Entry {
    Sample,
    Metadata,
    Eof,
}

/// Streaming parser over an OpenMetrics text buffer; iterate to get the samples.
pub struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Line number of the line `pos` is on.
    line: usize,
    /// Offset of the start of that line.
    line_start: usize,
    finished: bool,
    spans: Vec<Span<'a>>,
}

#[inline]
fn is_mname_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

#[inline]
fn is_mname_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

#[inline]
fn is_lname_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

#[inline]
fn is_lname_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Bytes of a value or timestamp token.
#[inline]
fn is_token_char(c: u8) -> bool {
    c != 0 && c != b' ' && c != b'\n'
}

/// Appends `raw` to `out`, replacing `\\`, `\"` and `\n` left to right as
/// Prometheus' label value replacer does; other backslashes stay.
fn unescape_into(out: &mut String, raw: &str) {
    let bytes = raw.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = raw[i..].find('\\') {
        let k = i + off;
        let replacement = match bytes.get(k + 1) {
            Some(b'\\') => '\\',
            Some(b'"') => '"',
            Some(b'n') => '\n',
            _ => {
                i = k + 1;
                continue;
            }
        };
        out.push_str(&raw[last..k]);
        out.push(replacement);
        i = k + 2;
        last = i;
    }
    out.push_str(&raw[last..]);
}

/// Reads a name validated as ASCII by the lexer rules.
#[inline]
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

const METRIC_TYPES: [&[u8]; 8] = [
    b"counter",
    b"gauge",
    b"histogram",
    b"gaugehistogram",
    b"summary",
    b"info",
    b"stateset",
    b"unknown",
];

impl<'a> Parser<'a> {
    /// A parser over the whole input.
    pub fn new(input: &'a [u8]) -> Self {
        Parser {
            buf: input,
            pos: 0,
            line: 1,
            line_start: 0,
            finished: false,
            spans: Vec::new(),
        }
    }

    /// Parses the next sample into `sample`, reusing its allocations.
    /// `None` after `# EOF` or after an error was returned.
    pub fn next_into(&mut self, sample: &mut Sample) -> Option<Result<(), ParseError>> {
        if self.finished {
            return None;
        }
        loop {
            match self.entry(sample) {
                Ok(Entry::Sample) => return Some(Ok(())),
                Ok(Entry::Metadata) => {}
                Ok(Entry::Eof) => {
                    self.finished = true;
                    return None;
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            column: pos.saturating_sub(self.line_start) + 1,
            message: message.into(),
        }
    }

    /// Describes what is at `pos`, for error messages.
    fn found(&self, pos: usize) -> String {
        match self.buf.get(pos) {
            None => "end of input".to_string(),
            Some(b'\n') => "end of line".to_string(),
            Some(&c) if c.is_ascii_graphic() || c == b' ' => format!("'{}'", c as char),
            Some(c) => format!("byte 0x{c:02x}"),
        }
    }

    fn unexpected(&self, pos: usize, expected: &str) -> ParseError {
        self.error(
            pos,
            format!("expected {expected}, found {}", self.found(pos)),
        )
    }

    /// Index of the next byte after `i`, skipping NUL bytes as the lexer does
    /// in label values, help text and comment keywords.
    #[inline]
    fn skip_nul(&self, i: usize) -> usize {
        let mut j = i + 1;
        while j < self.buf.len() && self.buf[j] == 0 {
            j += 1;
        }
        j
    }

    /// Records the `\n` at `nl`; the next entry starts at `next`.
    #[inline]
    fn end_line(&mut self, nl: usize, next: usize) {
        self.line += 1;
        self.line_start = nl + 1;
        self.pos = next;
    }

    fn entry(&mut self, sample: &mut Sample) -> Result<Entry, ParseError> {
        let p = self.pos;
        match self.buf.get(p) {
            None => Err(self.error(p, "data does not end with # EOF")),
            Some(b'#') => self.comment(),
            Some(&c) if is_mname_start(c) => {
                self.sample(sample)?;
                Ok(Entry::Sample)
            }
            Some(_) => Err(self.error(
                p,
                format!("{} is not a valid start of a line", self.found(p)),
            )),
        }
    }

    /// A `#` line: `# EOF`, `# HELP`, `# TYPE` or `# UNIT`.
    fn comment(&mut self) -> Result<Entry, ParseError> {
        let b = self.buf;
        let p = self.pos;
        if b.get(p + 1) != Some(&b' ') {
            return Err(self.unexpected(p + 1, "' ' after '#'"));
        }
        let mut i = p + 2;
        let keyword: &[u8] = match b.get(i) {
            Some(b'E') => b"EOF",
            Some(b'H') => b"HELP ",
            Some(b'T') => b"TYPE ",
            Some(b'U') => b"UNIT ",
            _ => return Err(self.unexpected(i, "HELP, TYPE, UNIT or EOF after '# '")),
        };
        for &k in &keyword[1..] {
            i = self.skip_nul(i);
            if b.get(i) != Some(&k) {
                return Err(self.unexpected(i, "HELP, TYPE, UNIT or EOF after '# '"));
            }
        }
        i = self.skip_nul(i);
        if keyword == b"EOF" {
            if b.get(i) == Some(&b'\n') {
                let next = self.skip_nul(i);
                self.end_line(i, next);
                i = next;
            }
            if i < b.len() {
                return Err(self.error(i, "unexpected data after # EOF"));
            }
            return Ok(Entry::Eof);
        }
        let what = ascii(&keyword[..4]);

        // Metric name.
        let ns = i;
        if !b.get(ns).is_some_and(|&c| is_mname_start(c)) {
            return Err(self.unexpected(ns, &format!("metric name after {what}")));
        }
        i += 1;
        while i < b.len() && is_mname_char(b[i]) {
            i += 1;
        }
        let name = &b[ns..i];

        // ' ' then text up to the end of the line.
        if b.get(i) != Some(&b' ') {
            return Err(self.unexpected(i, &format!("' ' and text after {what} metric name")));
        }
        let text_start = i;
        let mut j = self.skip_nul(i);
        while j < b.len() && b[j] != b'\n' {
            j = self.skip_nul(j);
        }
        if j >= b.len() {
            return Err(self.unexpected(j, &format!("end of line after {what} text")));
        }
        let nl = j;
        let end = self.skip_nul(nl);
        // The lexer's token ends after NULs following the newline; Prometheus
        // cuts its first and last byte.
        let text = &b[text_start + 1..end - 1];
        match keyword {
            b"HELP " => {
                if std::str::from_utf8(text).is_err() {
                    return Err(self.error(text_start + 1, "help text is not valid UTF-8"));
                }
            }
            b"TYPE " => {
                if !METRIC_TYPES.contains(&text) {
                    return Err(self.error(
                        text_start + 1,
                        format!("invalid metric type {:?}", String::from_utf8_lossy(text)),
                    ));
                }
            }
            _ => {
                let unit_ok = text.is_empty()
                    || (name.len() > text.len()
                        && name.ends_with(text)
                        && name[name.len() - text.len() - 1] == b'_');
                if !unit_ok {
                    return Err(self.error(
                        text_start + 1,
                        format!("unit not a suffix of metric {:?}", ascii(name)),
                    ));
                }
            }
        }
        self.end_line(nl, end);
        Ok(Entry::Metadata)
    }

    /// A sample line starting at `self.pos` (a metric name start).
    fn sample(&mut self, sample: &mut Sample) -> Result<(), ParseError> {
        let b = self.buf;
        let start = self.pos;
        let mut i = start + 1;
        while i < b.len() && is_mname_char(b[i]) {
            i += 1;
        }
        let name_end = i;
        self.spans.clear();
        self.spans.push(Span {
            name: "__name__",
            name_pos: start,
            value: ascii(&b[start..name_end]),
            escaped: false,
        });
        if b.get(i) == Some(&b'{') {
            i = self.labels(i + 1, false)?;
        }

        // Value.
        let value_start = i + 1;
        let value_end = self.token(i, "' ' and value after metric")?;
        let value = parse_go_float(&b[value_start..value_end])
            .ok_or_else(|| self.float_error(value_start, value_end, "value"))?;

        // Timestamp and exemplar.
        let mut timestamp = None;
        let mut i = value_end;
        if i >= b.len() {
            return Err(self.error(i, "data does not end with # EOF"));
        }
        if !self.at_exemplar(i) && b[i] != b'\n' {
            let ts_start = i + 1;
            let ts_end = self.token(i, "' ' and timestamp, ' # {' or end of line after value")?;
            timestamp = Some(self.timestamp(ts_start, ts_end, "timestamp")?);
            i = ts_end;
            if i < b.len() && b[i] != b'\n' && !self.at_exemplar(i) {
                return Err(self.unexpected(i, "end of line or ' # {' after timestamp"));
            }
        }
        if i >= b.len() {
            return Err(self.unexpected(i, "end of line"));
        }
        if b[i] == b' ' {
            i = self.exemplar(name_end, i + 4)?;
        }
        let nl = i;

        self.finish_labels(sample)?;
        sample.value = value;
        sample.timestamp = timestamp;
        sample.line = self.line;
        self.end_line(nl, nl + 1);
        Ok(())
    }

    #[inline]
    fn at_exemplar(&self, i: usize) -> bool {
        self.buf.get(i..i + 4) == Some(b" # {")
    }

    /// Expects ' ' at `i` followed by a token; returns the token's end.
    #[inline]
    fn token(&self, i: usize, expected: &str) -> Result<usize, ParseError> {
        let b = self.buf;
        if b.get(i) != Some(&b' ') || !b.get(i + 1).is_some_and(|&c| is_token_char(c)) {
            return Err(self.unexpected(i, expected));
        }
        let mut j = i + 2;
        while j < b.len() && is_token_char(b[j]) {
            j += 1;
        }
        Ok(j)
    }

    fn float_error(&self, start: usize, end: usize, what: &str) -> ParseError {
        self.error(
            start,
            format!(
                "invalid {what} {:?}",
                String::from_utf8_lossy(&self.buf[start..end])
            ),
        )
    }

    fn timestamp(&self, start: usize, end: usize, what: &str) -> Result<i64, ParseError> {
        match parse_go_float(&self.buf[start..end]) {
            Some(ts) if ts.is_finite() => Ok(seconds_to_millis(ts)),
            _ => Err(self.float_error(start, end, what)),
        }
    }

    /// Validates an exemplar whose labels start at `i`; returns the offset of
    /// the `\n` ending the line.
    fn exemplar(&mut self, name_end: usize, i: usize) -> Result<usize, ParseError> {
        let b = self.buf;
        let name = &b[self.pos..name_end];
        if !(name.ends_with(b"_total") || name.ends_with(b"_bucket")) {
            return Err(self.error(
                i - 3,
                format!("metric name {} does not support exemplars", ascii(name)),
            ));
        }
        let i = self.labels(i, true)?;
        let value_start = i + 1;
        let mut i = self.token(i, "' ' and value after exemplar labels")?;
        if parse_go_float(&b[value_start..i]).is_none() {
            return Err(self.float_error(value_start, i, "exemplar value"));
        }
        if b.get(i) == Some(&b' ') {
            let ts_start = i + 1;
            i = self.token(i, "' ' and timestamp or end of line after exemplar value")?;
            self.timestamp(ts_start, i, "exemplar timestamp")?;
        }
        if b.get(i) != Some(&b'\n') {
            return Err(self.unexpected(i, "end of line after exemplar"));
        }
        Ok(i)
    }

    /// Parses labels after `{` at `i` up to and including `}`; returns the
    /// offset after `}`. Sample labels are pushed to `self.spans`.
    fn labels(&mut self, mut i: usize, exemplar: bool) -> Result<usize, ParseError> {
        let b = self.buf;
        let mut first = true;
        loop {
            match b.get(i) {
                Some(b'}') => return Ok(i + 1),
                Some(b',') if !first => {
                    i += 1;
                    if !b.get(i).is_some_and(|&c| is_lname_start(c)) {
                        return Err(self.unexpected(i, "label name"));
                    }
                }
                Some(&c) if first && is_lname_start(c) => {}
                _ if first => return Err(self.unexpected(i, "label name or '}'")),
                _ => return Err(self.unexpected(i, "',' or '}'")),
            }
            first = false;
            let name_pos = i;
            i += 1;
            while i < b.len() && is_lname_char(b[i]) {
                i += 1;
            }
            let name = ascii(&b[name_pos..i]);
            if b.get(i) != Some(&b'=') {
                return Err(self.unexpected(i, "'=' after label name"));
            }
            i += 1;
            if b.get(i) != Some(&b'"') {
                return Err(self.unexpected(i, "'\"' starting label value"));
            }
            let quote = i;
            let (value_end, next, escaped) = if exemplar {
                self.exemplar_label_value(quote)?
            } else {
                self.label_value(quote)?
            };
            let value = std::str::from_utf8(&b[quote + 1..value_end])
                .map_err(|_| self.error(quote, "invalid UTF-8 label value"))?;
            if !exemplar {
                self.spans.push(Span {
                    name,
                    name_pos,
                    value,
                    escaped,
                });
            }
            i = next;
        }
    }

    /// Scans a sample label value from its opening quote; returns the end of
    /// the raw value, the offset after the token and whether it has `\`.
    #[inline]
    fn label_value(&self, quote: usize) -> Result<(usize, usize, bool), ParseError> {
        let b = self.buf;
        let mut escaped = false;
        let mut j = quote + 1;
        loop {
            // Fast scan over ordinary bytes (NULs included: the lexer skips them).
            while j < b.len() && !matches!(b[j], b'"' | b'\\' | b'\n') {
                j += 1;
            }
            match b.get(j) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    j = self.skip_nul(j);
                    if j >= b.len() || b[j] == b'\n' {
                        return Err(self.unexpected(j, "escaped character in label value"));
                    }
                    j += 1;
                }
                _ => return Err(self.unexpected(j, "'\"' ending label value")),
            }
        }
        // NULs after the closing quote belong to the token, whose last byte
        // Prometheus drops.
        let next = self.skip_nul(j);
        Ok((next - 1, next, escaped))
    }

    /// Like `label_value` for exemplar labels, where NUL bytes are errors.
    fn exemplar_label_value(&self, quote: usize) -> Result<(usize, usize, bool), ParseError> {
        let b = self.buf;
        let mut j = quote + 1;
        loop {
            match b.get(j) {
                Some(b'"') => return Ok((j, j + 1, false)),
                Some(b'\\') => {
                    if !b.get(j + 1).is_some_and(|&c| c != 0 && c != b'\n') {
                        return Err(self.unexpected(j + 1, "escaped character in label value"));
                    }
                    j += 2;
                }
                Some(&c) if c != 0 && c != b'\n' => j += 1,
                _ => return Err(self.unexpected(j, "'\"' ending label value")),
            }
        }
    }

    /// Sorts the spans, drops empty values, rejects duplicate names and
    /// writes the labels into `sample`.
    fn finish_labels(&mut self, sample: &mut Sample) -> Result<(), ParseError> {
        let (line, line_start) = (self.line, self.line_start);
        let spans = &mut self.spans;
        if !spans.is_sorted_by(|x, y| x.name <= y.name) {
            spans.sort_unstable_by(|x, y| x.name.cmp(y.name));
        }
        let mut n = 0;
        let mut prev: Option<&Span> = None;
        for span in spans.iter().filter(|s| !s.value.is_empty()) {
            if let Some(p) = prev.filter(|p| p.name == span.name) {
                return Err(ParseError {
                    line,
                    column: p.name_pos.max(span.name_pos) - line_start + 1,
                    message: format!("label name {:?} is not unique", span.name),
                });
            }
            prev = Some(span);
            if n == sample.labels.len() {
                sample.labels.push((String::new(), String::new()));
            }
            let (k, v) = &mut sample.labels[n];
            k.clear();
            k.push_str(span.name);
            v.clear();
            if span.escaped {
                unescape_into(v, span.value);
            } else {
                v.push_str(span.value);
            }
            n += 1;
        }
        sample.labels.truncate(n);
        Ok(())
    }
}

impl Iterator for Parser<'_> {
    type Item = Result<Sample, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut sample = Sample::default();
        self.next_into(&mut sample).map(|r| r.map(|()| sample))
    }
}

#[cfg(test)]
mod tests {
    use super::gofloat::go_pow10_mantissa;
    use super::*;
    use proptest::prelude::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Sample>, ParseError> {
        Parser::new(input).collect()
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn one(input: &str) -> Sample {
        let mut v = parse_all(input.as_bytes()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(v.len(), 1, "{input:?}");
        v.pop().unwrap()
    }

    fn value(v: &str) -> f64 {
        one(&format!("m {v} 1\n# EOF\n")).value
    }

    fn millis(ts: &str) -> Option<i64> {
        one(&format!("m 1 {ts}\n# EOF\n")).timestamp
    }

    fn err(input: &[u8]) -> ParseError {
        match parse_all(input) {
            Ok(v) => panic!("{:?} accepted: {v:?}", String::from_utf8_lossy(input)),
            Err(e) => e,
        }
    }

    #[test]
    fn basic_samples() {
        let input = b"# HELP http_requests_total Total.\n\
            # TYPE http_requests_total counter\n\
            # UNIT http_requests_total total\n\
            http_requests_total{method=\"GET\",code=\"200\"} 1027 1395066363\n\
            http_requests_total{method=\"POST\",code=\"\"} 3 1395066363.5\n\
            up 1\n\
            # EOF\n";
        let s = parse_all(input).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s[0].labels,
            labels(&[
                ("__name__", "http_requests_total"),
                ("code", "200"),
                ("method", "GET")
            ])
        );
        assert_eq!(s[0].value, 1027.0);
        assert_eq!(s[0].timestamp, Some(1_395_066_363_000));
        assert_eq!(s[0].line, 4);
        // Empty values are dropped.
        assert_eq!(
            s[1].labels,
            labels(&[("__name__", "http_requests_total"), ("method", "POST")])
        );
        assert_eq!(s[1].timestamp, Some(1_395_066_363_500));
        assert_eq!(s[2].labels, labels(&[("__name__", "up")]));
        assert_eq!(s[2].timestamp, None);
        assert_eq!(s[2].line, 6);
    }

    #[test]
    fn sorting_and_names() {
        // Verified with promtool: byte order, so `A` and `Z0` sort before `_`.
        let s = one("m{A=\"1\",_=\"2\",Z0=\"3\"} 1 1\n# EOF\n");
        assert_eq!(
            s.labels,
            labels(&[("A", "1"), ("Z0", "3"), ("_", "2"), ("__name__", "m")])
        );
        assert_eq!(
            one("m:x_1 1 1\n# EOF\n").labels,
            labels(&[("__name__", "m:x_1")])
        );
        assert_eq!(one("m{} 1 1\n# EOF\n").labels, labels(&[("__name__", "m")]));
        // An empty value drops the label before the duplicate check (promtool).
        assert_eq!(
            one("m{a=\"\",a=\"x\"} 1 1\n# EOF\n").labels,
            labels(&[("__name__", "m"), ("a", "x")])
        );
        assert_eq!(
            one("m{__name__=\"\"} 1 1\n# EOF\n").labels,
            labels(&[("__name__", "m")])
        );
    }

    #[test]
    fn escapes() {
        // Verified with promtool: only \\, \" and \n are unescaped.
        let s = one(r#"m{a="\t\\\"\n\x"} 1 1
# EOF
"#);
        assert_eq!(s.labels[1].1, "\\t\\\"\n\\x");
        assert_eq!(
            one(r#"m{a="\\n"} 1 1
# EOF
"#)
            .labels[1]
                .1,
            "\\n"
        );
        assert_eq!(
            one(r#"m{a="\\\t"} 1 1
# EOF
"#)
            .labels[1]
                .1,
            "\\\\t"
        );
        let s = one("m{a=\"\u{e9}\u{20ac}\u{1f600}\",b=\"x y,}{=#\"} 1 1\n# EOF\n");
        assert_eq!(s.labels[1].1, "\u{e9}\u{20ac}\u{1f600}");
        assert_eq!(s.labels[2].1, "x y,}{=#");
    }

    #[test]
    fn nul_bytes_like_the_lexer() {
        // All verified with promtool.
        let s = parse_all(b"m{a=\"x\x00y\"} 1 1\n# EOF\n").unwrap();
        assert_eq!(s[0].labels[1].1, "x\0y");
        // NULs after the closing quote shift the value by one byte.
        let s = parse_all(b"m{a=\"b\"\x00\x00,c=\"d\"} 1 1\n# EOF\n").unwrap();
        assert_eq!(s[0].labels[1].1, "b\"\0");
        assert_eq!(s[0].labels[2].1, "d");
        let s = parse_all(b"m{a=\"b\\\x00n\"} 1 1\n# EOF\n").unwrap();
        assert_eq!(s[0].labels[1].1, "b\\\0n");
        let s = parse_all(b"m{a=\"b\\\x00\\\"} 1 1\n# EOF\n").unwrap();
        assert_eq!(s[0].labels[1].1, "b\\\0\\");
        assert!(parse_all(b"# HELP \x00m x\nm 1 1\n# EOF\n").is_ok());
        assert!(parse_all(b"# H\x00ELP m x\nm 1 1\n# EOF\n").is_ok());
        assert!(parse_all(b"# HELP m x\x00y\nm 1 1\n# EOF\n").is_ok());
        assert!(parse_all(b"# HELP m x\n\x00m 1 1\n# EOF\n").is_ok());
        assert!(parse_all(b"m 1 1\n# E\x00O\x00F\n\x00").is_ok());
        assert!(parse_all(b"m 1 1\n# EOF\x00\x00").is_ok());
        // The NUL after the newline becomes part of the TYPE text.
        assert!(err(b"# TYPE m counter\n\x00m 1 1\n# EOF\n")
            .message
            .contains("invalid metric type"));
        for bad in [
            &b"#\x00 HELP m x\nm 1 1\n# EOF\n"[..],
            b"# HELP m\x00 x\nm 1 1\n# EOF\n",
            b"m\x00 1 1\n# EOF\n",
            b"m 1\x00 1\n# EOF\n",
            b"m 1 1\x00\n# EOF\n",
            b"m{a=\x00\"b\"} 1 1\n# EOF\n",
            b"m_total 1 1 # {a=\"x\x00\"} 1 2\n# EOF\n",
        ] {
            err(bad);
        }
    }

    #[test]
    fn values() {
        // Verified with promtool.
        assert_eq!(value("NaN").to_bits(), GO_NAN_BITS);
        assert_eq!(value("nan").to_bits(), GO_NAN_BITS);
        assert_eq!(value("NAN").to_bits(), GO_NAN_BITS);
        assert_eq!(value("+Inf"), f64::INFINITY);
        assert_eq!(value("-Inf"), f64::NEG_INFINITY);
        assert_eq!(value("inf"), f64::INFINITY);
        assert_eq!(value("Infinity"), f64::INFINITY);
        assert_eq!(value("-infinity"), f64::NEG_INFINITY);
        assert_eq!(value("+1.5"), 1.5);
        assert_eq!(value(".5"), 0.5);
        assert_eq!(value("5."), 5.0);
        assert_eq!(value("-.5e-3"), -0.0005);
        assert_eq!(value("1E2"), 100.0);
        assert_eq!(value("1e+5"), 100000.0);
        assert_eq!(value("-0").to_bits(), (-0.0f64).to_bits());
        assert_eq!(value("1e-400").to_bits(), 0);
        assert_eq!(value("4.9e-324"), 5e-324);
        assert_eq!(value("1.7976931348623157e308"), f64::MAX);
        assert_eq!(value("0e99999999999"), 0.0);
        // Not verified with promtool: Go's exponent clamping.
        assert_eq!(value("1e-99999999999").to_bits(), 0);
        assert_eq!(
            value("123456789012345678901234567890"),
            1.2345678901234568e29
        );
        assert_eq!(value("0.1"), 0.1);
        // Rejected by promtool.
        for bad in [
            "+NaN",
            "-nan",
            "1e309",
            "-1e309",
            "0x10",
            "0x1p4",
            "1_000",
            "infin",
            "1e",
            ".",
            "1.2.3",
            "1e99999999999",
            "",
            "e5",
            "+",
            "--1",
            "1,5",
        ] {
            let e = err(format!("m {bad} 1\n# EOF\n").as_bytes());
            assert_eq!(e.line, 1, "{bad}");
        }
    }

    #[test]
    fn go_float_quirks() {
        // Entries of Go's detailedPowersOfTen table.
        assert_eq!(
            go_pow10_mantissa(-348),
            (0xFA8F_D5A0_081C_0288, 0x1732_C869_CD60_E453)
        );
        assert_eq!(
            go_pow10_mantissa(-300),
            (0xAB70_FE17_C79A_C6CA, 0x6DBD_630A_48AA_F406)
        );
        assert_eq!(
            go_pow10_mantissa(-1),
            (0xCCCC_CCCC_CCCC_CCCC, 0xCCCC_CCCC_CCCC_CCCC)
        );
        assert_eq!(go_pow10_mantissa(0), (1 << 63, 0));
        assert_eq!(
            go_pow10_mantissa(43),
            (0xE596_B7B0_C643_C719, 0x6D9C_CD05_D000_0000)
        );
        assert_eq!(
            go_pow10_mantissa(100),
            (0x924D_692C_A61B_E758, 0x593C_2626_705F_9C56)
        );
        assert_eq!(
            go_pow10_mantissa(347),
            (0xD13E_B464_6944_7567, 0x4B71_95F2_D2D1_A9FB)
        );
        // Verified with promtool: an exponent counts up to its fifth
        // significant digit only.
        let zeros = "0".repeat(9990);
        assert_eq!(value(&format!("0.{zeros}1e1000050")), 1e9);
        assert_eq!(value(&format!("0.{zeros}1e-1000050")), 0.0);
        // Verified with promtool: with over 800 integer digits, Go's slow
        // path misplaces the decimal point.
        let big = format!("1{}", "0".repeat(900));
        assert_eq!(value(&format!("{big}e-890")), 1e-91);
        assert_eq!(value(&format!("{big}1e-890")), 1e-91);
        assert_eq!(value(&format!("{big}.0e-890")), 1e-91);
        assert_eq!(value(&format!("1{}1e-690", "0".repeat(700))), 1e11);
        assert_eq!(value(&format!("1{}1e-1000050", "0".repeat(10009))), 0.0);
        // Go's fast paths still answer some of them (verified with promtool).
        assert_eq!(value(&format!("{big}e-895")), 1e-96);
        assert_eq!(value(&format!("{big}e-1000")), 1e-100);
        assert_eq!(value(&format!("{big}e-600")), 1e300);
    }

    #[test]
    fn timestamps() {
        // Verified with promtool (negative ones are parsed like this but
        // promtool drops them unless they fall on a block boundary).
        assert_eq!(millis("1.0019"), Some(1001));
        assert_eq!(millis("1e3"), Some(1_000_000));
        assert_eq!(millis("+5"), Some(5000));
        assert_eq!(millis(".001"), Some(1));
        assert_eq!(millis("0.0009"), Some(0));
        assert_eq!(millis("-7200"), Some(-7_200_000));
        assert_eq!(millis("1678886400.123"), Some(1_678_886_400_123));
        // From the conversion `int64(ts * 1000)`.
        assert_eq!(millis("-2.0005"), Some(-2000));
        assert_eq!(millis("-0.0009"), Some(0));
        assert_eq!(millis("1e300"), Some(i64::MIN));
        assert_eq!(millis("-1e300"), Some(i64::MIN));
        assert_eq!(millis("9223372036854775.807"), Some(i64::MIN));
        assert_eq!(millis("9223372036854774"), Some(9_223_372_036_854_773_760));
        assert_eq!(seconds_to_millis(-9_223_372_036_854_775.808), i64::MIN);
        for bad in ["NaN", "Inf", "-Inf", "0x10", "#5", "#", "1e309", "1_0"] {
            err(format!("m 1 {bad}\n# EOF\n").as_bytes());
        }
    }

    #[test]
    fn eof_handling() {
        // Verified with promtool.
        assert_eq!(parse_all(b"m 1 1\n# EOF").unwrap().len(), 1);
        assert_eq!(parse_all(b"# EOF\n").unwrap().len(), 0);
        assert_eq!(parse_all(b"# EOF").unwrap().len(), 0);
        let e = err(b"m 1 1\n");
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("# EOF"));
        let e = err(b"m 1 1\n# EOF\n\n");
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.message.contains("after # EOF"));
        err(b"m 1 1\n# EOF \n");
        err(b"m 1 1\n# EOFx");
        err(b"m 1 1\n# EOF\n# EOF\n");
        err(b"m 1 1\n# EOF\nm 1 2\n");
        err(b"m 1 1\n# EOF\r\n");
        err(b"");
        err(b"m 1 1");
        err(b"m 1");
        err(b"m_total 1 1 # {a=\"b\"} 1 2");
        // Nothing after `# EOF` is read, valid or not.
        let mut p = Parser::new(b"m 1 1\n# EOF\n");
        assert!(p.next().unwrap().is_ok());
        assert!(p.next().is_none());
        assert!(p.next().is_none());
    }

    #[test]
    fn metadata_lines() {
        // Verified with promtool.
        let ok: &[&[u8]] = &[
            b"# HELP m some help\n# TYPE m counter\n# UNIT m_s s\nm 1 1\n# EOF\n",
            b"# HELP m \nm 1 1\n# EOF\n",
            b"# HELP m x\r\nm 1 1\n# EOF\n",
            b"# TYPE m info\n# TYPE m stateset\n# TYPE m gaugehistogram\n# TYPE m unknown\n\
              # TYPE m summary\n# TYPE m histogram\n# TYPE m gauge\nm 1 1\n# EOF\n",
            b"# UNIT m_seconds seconds\n# UNIT x \nm 1 1\n# EOF\n",
            // TYPE is neither required nor checked against the samples.
            b"# TYPE other gauge\nm_created 1 1\nm_bucket 1 1\n# EOF\n",
        ];
        for input in ok {
            assert!(!parse_all(input).unwrap().is_empty(), "{input:?}");
        }
        let bad: &[&[u8]] = &[
            b"# HELP m\nm 1 1\n# EOF\n",
            b"# HELP m \xff\nm 1 1\n# EOF\n",
            b"# TYPE m foo\nm 1 1\n# EOF\n",
            b"# TYPE m Counter\nm 1 1\n# EOF\n",
            b"# TYPE m counter \nm 1 1\n# EOF\n",
            b"# TYPE m counter\r\nm 1 1\n# EOF\n",
            b"# UNIT seconds seconds\nm 1 1\n# EOF\n",
            b"# UNIT m_xseconds seconds\nm 1 1\n# EOF\n",
            b"# UNIT m_seconds onds\nm 1 1\n# EOF\n",
            b"# foo\nm 1 1\n# EOF\n",
            b"#foo\nm 1 1\n# EOF\n",
            b"#\nm 1 1\n# EOF\n",
            b"# HELP\nm 1 1\n# EOF\n",
            b"# HELP  m x\nm 1 1\n# EOF\n",
            b"# HELP 1m x\nm 1 1\n# EOF\n",
            b"# HELP m{a=\"b\"} x\nm 1 1\n# EOF\n",
            b"# HELP m x",
        ];
        for input in bad {
            let e = err(input);
            assert_eq!(e.line, 1, "{input:?}: {e}");
        }
    }

    #[test]
    fn exemplars() {
        // Verified with promtool.
        let ok: &[&[u8]] = &[
            b"m_total 1 1 # {a=\"b\"} 1 2\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} 1\n# EOF\n",
            b"m_bucket{le=\"1\"} 1 1 # {} 1\n# EOF\n",
            b"m_total 1 1 # {a=\"b\",a=\"c\"} 1 2\n# EOF\n",
            b"m_total 1 1 # {a=\"\\q\"} 1 2\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} NaN 2\n# EOF\n",
        ];
        for input in ok {
            let s = parse_all(input).unwrap();
            assert_eq!(s.len(), 1, "{input:?}");
            assert_eq!(s[0].timestamp, Some(1000));
        }
        // An exemplar without a sample timestamp.
        let s = one("m_total 1 # {a=\"b\"} 1\n# EOF\n");
        assert_eq!(s.timestamp, None);
        let bad: &[&[u8]] = &[
            b"m 1 1 # {a=\"b\"} 1\n# EOF\n",
            b"m_created 1 1 # {a=\"b\"} 1\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"}1\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} x\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} NaN NaN\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} 1 2 \n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} 1 2 3\n# EOF\n",
            b"m_total 1 1 # {a=\"\xff\"} 1 2\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} 1 #2\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} 1 2 # {a=\"c\"} 1\n# EOF\n",
            b"m_total 1 1 #  {a=\"b\"} 1\n# EOF\n",
            b"m_total 1 1 # {a=b} 1\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"}\n# EOF\n",
            b"m_total 1 1 # {a=\"b\"} \n# EOF\n",
            b"m_total 1 1 # {a=\"b\",} 1\n# EOF\n",
        ];
        for input in bad {
            let e = err(input);
            assert_eq!(e.line, 1, "{input:?}: {e}");
        }
    }

    #[test]
    fn rejected_sample_lines() {
        // Verified with promtool.
        let bad: &[&[u8]] = &[
            b"\n# EOF\n",
            b"m 1 1\r\n# EOF\n",
            b"m  1 1\n# EOF\n",
            b"m 1  1\n# EOF\n",
            b"m 1 1 \n# EOF\n",
            b"m 1 1 2\n# EOF\n",
            b"m 1 # x\n# EOF\n",
            b"m{a=\"1\",} 1 1\n# EOF\n",
            b"m{a=\"1\", b=\"2\"} 1 1\n# EOF\n",
            b"m{,a=\"1\"} 1 1\n# EOF\n",
            b"m{a=\"1\"}1 1\n# EOF\n",
            b"m{a=\"\xff\"} 1 1\n# EOF\n",
            b"m{a=\"y\",a=\"x\"} 1 1\n# EOF\n",
            b"m{__name__=\"q\"} 1 1\n# EOF\n",
            b"m{a:b=\"1\"} 1 1\n# EOF\n",
            b"1m 1 1\n# EOF\n",
            b"m{1a=\"1\"} 1 1\n# EOF\n",
            b"m{a=\"b\"}\n# EOF\n",
            b"m{a=\"b\nc\"} 1 1\n# EOF\n",
            b"m{a=\"b\\\nc\"} 1 1\n# EOF\n",
            b"m\t1 1\n# EOF\n",
            b"m 1\t1\n# EOF\n",
            b"m 1 1\t\n# EOF\n",
            b" m 1 1\n# EOF\n",
            b"m{a=\"1\"}{b=\"2\"} 1 1\n# EOF\n",
            b"m{a='1'} 1 1\n# EOF\n",
            b"m{a} 1 1\n# EOF\n",
            b"m{a=\"1\" 1 1\n# EOF\n",
            b"m{a=\"1\n",
        ];
        for input in bad {
            let e = err(input);
            assert_eq!(e.line, 1, "{input:?}: {e}");
        }
    }

    #[test]
    fn error_positions() {
        let e = err(b"m 1 1\nm{a=\"b\",a=\"c\"} 1 1\n# EOF\n");
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(
            e.to_string(),
            "line 2, column 9: label name \"a\" is not unique"
        );
        let e = err(b"# HELP m x\nm{__name__=\"q\"} 1 1\n# EOF\n");
        assert_eq!((e.line, e.column), (2, 3));
        let e = err(b"m 1 1\nm  1 1\n# EOF\n");
        assert_eq!((e.line, e.column), (2, 2));
        let e = err(b"m 1 1\nm 1 x\n# EOF\n");
        assert_eq!((e.line, e.column), (2, 5));
        let e = err(b"m 1 1\nm{a=\"1\", b=\"2\"} 1 1\n# EOF\n");
        assert_eq!((e.line, e.column), (2, 9));
        let e = err(b"m 1 1\n\n# EOF\n");
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn stops_after_error_and_reuses_sample() {
        let mut p = Parser::new(b"a{x=\"1\",y=\"2\"} 1 1\nb 2 2\nc 3\n# EOF\n");
        let mut s = Sample::default();
        assert!(p.next_into(&mut s).unwrap().is_ok());
        assert_eq!(s.labels.len(), 3);
        assert!(p.next_into(&mut s).unwrap().is_ok());
        assert_eq!(s.labels, labels(&[("__name__", "b")]));
        assert_eq!((s.value, s.timestamp, s.line), (2.0, Some(2000), 2));
        assert!(p.next_into(&mut s).unwrap().is_ok());
        assert_eq!(s.timestamp, None);
        assert!(p.next_into(&mut s).is_none());

        let mut p = Parser::new(b"a 1 1\nb x 2\nc 3 3\n# EOF\n");
        assert!(p.next().unwrap().is_ok());
        assert!(p.next().unwrap().is_err());
        assert!(p.next().is_none());
    }

    fn escape(v: &str) -> String {
        let mut out = String::with_capacity(v.len());
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out
    }

    fn format_value(v: f64) -> String {
        if v.is_nan() {
            "NaN".to_string()
        } else if v == f64::INFINITY {
            "+Inf".to_string()
        } else if v == f64::NEG_INFINITY {
            "-Inf".to_string()
        } else {
            format!("{v:?}")
        }
    }

    #[derive(Debug, Clone)]
    struct Line {
        name: String,
        labels: std::collections::BTreeMap<String, String>,
        value: f64,
        seconds: Option<f64>,
        help: bool,
        exemplar: bool,
    }

    fn line_strategy() -> impl Strategy<Value = Line> {
        (
            "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}",
            proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,8}", ".{0,12}", 0..6),
            any::<f64>(),
            proptest::option::of(-1e12f64..1e12),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(name, labels, value, seconds, help, exemplar)| Line {
                name,
                labels: labels
                    .into_iter()
                    .filter(|(k, _)| k != "__name__")
                    .collect(),
                value,
                seconds,
                help,
                exemplar,
            })
    }

    proptest! {
        #[test]
        fn round_trip(lines in proptest::collection::vec(line_strategy(), 0..8)) {
            let mut text = String::new();
            let names: Vec<String> = lines
                .iter()
                .map(|l| if l.exemplar { format!("{}_total", l.name) } else { l.name.clone() })
                .collect();
            for (l, name) in lines.iter().zip(&names) {
                if l.help {
                    text.push_str(&format!("# HELP {name} some \\\"help\\\"\n# TYPE {name} gauge\n"));
                }
                text.push_str(name);
                if !l.labels.is_empty() {
                    let pairs: Vec<String> =
                        l.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
                    text.push_str(&format!("{{{}}}", pairs.join(",")));
                }
                text.push_str(&format!(" {}", format_value(l.value)));
                if let Some(s) = l.seconds {
                    text.push_str(&format!(" {s:?}"));
                }
                if l.exemplar {
                    text.push_str(" # {trace_id=\"a\\\"b\"} 0.5 12.5");
                }
                text.push('\n');
            }
            text.push_str("# EOF\n");
            let samples = parse_all(text.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(samples.len(), lines.len());
            let mut line_no = 1;
            for ((l, name), s) in lines.iter().zip(&names).zip(&samples) {
                if l.help {
                    line_no += 2;
                }
                let mut want: Vec<(String, String)> = l
                    .labels
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                want.push(("__name__".to_string(), name.clone()));
                want.sort();
                prop_assert_eq!(&s.labels, &want);
                let want_bits = if l.value.is_nan() { GO_NAN_BITS } else { l.value.to_bits() };
                prop_assert_eq!(s.value.to_bits(), want_bits);
                prop_assert_eq!(s.timestamp, l.seconds.map(|x| (x * 1000.0) as i64));
                prop_assert_eq!(s.line, line_no);
                line_no += 1;
            }
        }

        #[test]
        fn arbitrary_input_never_panics(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("m".to_string()), Just("m_total".to_string()), Just("{".to_string()),
                    Just("}".to_string()), Just("a=\"x\"".to_string()), Just(",".to_string()),
                    Just(" ".to_string()), Just("\n".to_string()), Just("\0".to_string()),
                    Just("\\".to_string()), Just("\"".to_string()), Just("# ".to_string()),
                    Just("# EOF".to_string()), Just("# HELP m ".to_string()), Just(" 1".to_string()),
                    Just("NaN".to_string()), Just(" # {".to_string()), ".{0,3}",
                ],
                0..30,
            )
        ) {
            let text = parts.concat();
            let mut p = Parser::new(text.as_bytes());
            let mut n = 0;
            while let Some(r) = p.next() {
                n += 1;
                prop_assert!(n <= text.len() + 1);
                if let Err(e) = r {
                    prop_assert!(e.line >= 1 && e.column >= 1);
                    prop_assert!(p.next().is_none());
                    break;
                }
            }
        }
    }
}
