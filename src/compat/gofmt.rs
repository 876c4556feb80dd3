//! Byte-exact emulation of the Go standard-library formatting that `promtool` 2.42 uses.
//!
//! `promtool` (built with Go 1.19.8) prints samples with `fmt.Printf("%s %g %d\n", ...)`,
//! label sets with `strconv.Quote`, and `tsdb list` through `text/tabwriter`, `time.Duration`,
//! `time.Time` and `alecthomas/units`. Reproducing its output byte for byte needs the exact Go
//! rules, which differ from Rust's `Display` in many small ways (exponent thresholds, `+Inf`,
//! `\u00a0` escapes, `2h0m0s`, ...). The `push_*` functions append to a caller-owned `Vec<u8>`;
//! all but [`push_tabwriter`] allocate nothing else, so they can sit on the hot path of a dump.
//!
//! `strconv.Quote` itself is [`crate::text::push_quoted`]: PromQL selectors print with it
//! too, and the query layer must not depend on this presentation module.

pub use super::gofloat::{push_float_g, FloatG};

/// Appends Go's `(time.Duration(millis) * time.Millisecond).String()`.
///
/// The multiplication wraps on overflow exactly like Go's `int64` arithmetic, so even absurd
/// block ranges print what `promtool tsdb list` prints.
pub fn push_duration(out: &mut Vec<u8>, millis: i64) {
    push_go_duration_nanos(out, millis.wrapping_mul(1_000_000));
}

/// Appends Go's `time.Duration(nanos).String()`: `2h0m0s`, `2m30.001s`, `1.5s`, `999ms`,
/// `1.2µs`, `3ns`, `0s`, `-1ms`.
///
/// Below one second the largest fitting unit among ms, µs and ns is used; otherwise `h`, `m`
/// (both only once non-zero, leading) and seconds with the fraction's trailing zeros removed.
pub fn push_go_duration_nanos(out: &mut Vec<u8>, nanos: i64) {
    // Built right to left as Go does; the longest output is "-2562047h47m16.854775808s".
    let mut buf = [0u8; 32];
    let mut w = buf.len();
    let mut u = nanos.unsigned_abs();
    if u == 0 {
        out.extend_from_slice(b"0s");
        return;
    }
    w -= 1;
    buf[w] = b's';
    if u < 1_000_000_000 {
        let prec = if u < 1_000 {
            w -= 1;
            buf[w] = b'n';
            0
        } else if u < 1_000_000 {
            w -= 2;
            buf[w..w + 2].copy_from_slice("µ".as_bytes());
            3
        } else {
            w -= 1;
            buf[w] = b'm';
            6
        };
        (w, u) = fmt_frac(&mut buf, w, u, prec);
        w = fmt_int(&mut buf, w, u);
    } else {
        (w, u) = fmt_frac(&mut buf, w, u, 9);
        w = fmt_int(&mut buf, w, u % 60);
        u /= 60;
        if u > 0 {
            w -= 1;
            buf[w] = b'm';
            w = fmt_int(&mut buf, w, u % 60);
            u /= 60;
            if u > 0 {
                w -= 1;
                buf[w] = b'h';
                w = fmt_int(&mut buf, w, u);
            }
        }
    }
    if nanos < 0 {
        w -= 1;
        buf[w] = b'-';
    }
    out.extend_from_slice(&buf[w..]);
}

/// Writes the fraction `v % 10^prec` (trailing zeros and a bare `.` dropped) ending before
/// `buf[w]`; returns the new start and `v / 10^prec`. Mirrors Go's `time.fmtFrac`.
fn fmt_frac(buf: &mut [u8; 32], mut w: usize, mut v: u64, prec: u32) -> (usize, u64) {
    let mut print = false;
    for _ in 0..prec {
        let digit = (v % 10) as u8;
        print = print || digit != 0;
        if print {
            w -= 1;
            buf[w] = digit + b'0';
        }
        v /= 10;
    }
    if print {
        w -= 1;
        buf[w] = b'.';
    }
    (w, v)
}

/// Writes the decimal digits of `v` ending before `buf[w]`; returns the new start.
fn fmt_int(buf: &mut [u8; 32], mut w: usize, mut v: u64) -> usize {
    loop {
        w -= 1;
        buf[w] = (v % 10) as u8 + b'0';
        v /= 10;
        if v == 0 {
            return w;
        }
    }
}

/// Appends Go's `time.Unix(millis/1000, 0).UTC().String()`, e.g. `1970-01-01 00:16:40 +0000 UTC`.
///
/// The division truncates toward zero as in Go; dates are proleptic Gregorian and the year is
/// printed like Go's `appendInt(year, 4)`: zero-padded to four digits after an optional `-`
/// (`-0001`, `0000`, `10000`).
pub fn push_unix_millis_utc(out: &mut Vec<u8>, millis: i64) {
    let secs = millis / 1000;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);

    if year < 0 {
        out.push(b'-');
    }
    push_u64_padded(out, year.unsigned_abs(), 4);
    for (sep, v) in [
        (b'-', month),
        (b'-', day),
        (b' ', sod / 3600),
        (b':', sod / 60 % 60),
        (b':', sod % 60),
    ] {
        out.push(sep);
        out.push(b'0' + (v / 10) as u8);
        out.push(b'0' + (v % 10) as u8);
    }
    out.extend_from_slice(b" +0000 UTC");
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// Howard Hinnant's `civil_from_days`; exact over the whole range `i64` milliseconds can reach.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends `alecthomas/units` `Base2Bytes(n).String()`: `0B`, `684B`, `1KiB`, `1KiB217B`.
///
/// Each non-zero base-1024 "digit" is printed with its unit, largest first, up to EiB; Go's
/// truncating `%` makes every part of a negative number negative (`-1KiB-1B`).
pub fn push_base2_bytes(out: &mut Vec<u8>, n: i64) {
    const UNITS: [&[u8]; 7] = [b"B", b"KiB", b"MiB", b"GiB", b"TiB", b"PiB", b"EiB"];
    // Collect the printed parts smallest unit first, then emit them in reverse.
    let mut parts = [None; 7];
    let mut n = n;
    for (i, slot) in parts.iter_mut().enumerate() {
        let rem = n % 1024;
        if rem != 0 || (i == 0 && n == 0) {
            *slot = Some((rem, UNITS[i]));
        }
        n /= 1024;
        if n == 0 {
            break;
        }
    }
    for &(rem, unit) in parts.iter().rev().flatten() {
        push_i64(out, rem);
        out.extend_from_slice(unit);
    }
}

/// Appends the decimal form of `v` (Go's `%d`).
fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64_padded(out, v.unsigned_abs(), 1);
}

/// Appends the decimal digits of `v`, zero-padded on the left to at least `width` digits.
fn push_u64_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut buf = [0u8; 32];
    let start = fmt_int(&mut buf, 32, v);
    out.resize(out.len() + width.saturating_sub(32 - start), b'0');
    out.extend_from_slice(&buf[start..]);
}

/// `text/tabwriter` settings used by `promtool tsdb list`: `NewWriter(w, 13, 0, 2, ' ', 0)`.
const TAB_MINWIDTH: usize = 13;
const TAB_PADDING: usize = 2;

/// Formats rows of cells the way `promtool tsdb list` does: each row is written to a Go
/// `text/tabwriter.NewWriter(w, 13, 0, 2, ' ', 0)` as its cells joined by `\t` plus `\n`,
/// then the writer is flushed.
///
/// The last cell of a row is not tab-terminated, so it is never padded and never widens a
/// column. See [`push_tabwriter`] for the column rules.
pub fn format_tab_table<R, S>(rows: &[R]) -> Vec<u8>
where
    R: AsRef<[S]>,
    S: AsRef<str>,
{
    let mut text = String::new();
    for row in rows {
        for (i, cell) in row.as_ref().iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            text.push_str(cell.as_ref());
        }
        text.push('\n');
    }
    let mut out = Vec::with_capacity(text.len() * 2);
    push_tabwriter(&mut out, &text);
    out
}

/// Appends `text` as written to and flushed from Go's
/// `text/tabwriter.NewWriter(w, 13, 0, 2, ' ', 0)` (left-aligned, space padding).
///
/// Cells end at `\t` or `\v`; text after a line's last tab is not part of any column. A column
/// block is a run of consecutive lines that all have a tab-terminated cell in that column; its
/// width is `max(13, widest cell + 2)`, counting runes. Blocks nest per column like Go's
/// recursive `format`. A line without any tab, or a `\f`, ends all blocks (Go flushes there).
pub fn push_tabwriter(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut tw = TabWriter {
        text: bytes,
        lines: vec![Vec::new()],
        widths: Vec::new(),
        out,
    };
    let mut cell_start = 0;
    for (pos, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'\t' | 0x0b | b'\n' | 0x0c) {
            continue;
        }
        tw.terminate_cell(cell_start, pos);
        cell_start = pos + 1;
        if matches!(b, b'\n' | 0x0c) {
            let ncells = tw.lines.last().map_or(0, Vec::len);
            tw.lines.push(Vec::new());
            if b == 0x0c || ncells == 1 {
                tw.flush();
            }
        }
    }
    if cell_start < bytes.len() {
        tw.terminate_cell(cell_start, bytes.len());
    }
    tw.flush();
}

/// One cell: a byte range of the input and its width in runes.
struct TabCell {
    start: usize,
    end: usize,
    width: usize,
}

/// State of the tabwriter emulation: buffered lines of cells and the widths of the enclosing
/// column blocks during formatting.
struct TabWriter<'a> {
    text: &'a [u8],
    lines: Vec<Vec<TabCell>>,
    widths: Vec<usize>,
    out: &'a mut Vec<u8>,
}

impl TabWriter<'_> {
    fn terminate_cell(&mut self, start: usize, end: usize) {
        // Runes of valid UTF-8 = bytes that are not continuation bytes.
        let width = self.text[start..end]
            .iter()
            .filter(|&&b| (b as i8) >= -0x40)
            .count();
        if let Some(line) = self.lines.last_mut() {
            line.push(TabCell { start, end, width });
        }
    }

    /// Formats and writes every buffered line, then starts afresh (Go's `flushNoDefers`).
    fn flush(&mut self) {
        self.format(0, self.lines.len());
        self.lines.clear();
        self.lines.push(Vec::new());
    }

    /// Go's `Writer.format`: finds the column blocks of column `widths.len()` within
    /// `line0..line1`, recursing into each block with its width pushed.
    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let has_cell = |line: &Vec<TabCell>| column + 1 < line.len();
        let mut this = line0;
        while this < line1 {
            if !has_cell(&self.lines[this]) {
                this += 1;
                continue;
            }
            self.write_lines(line0, this);
            line0 = this;
            let mut width = TAB_MINWIDTH;
            while this < line1 && has_cell(&self.lines[this]) {
                width = width.max(self.lines[this][column].width + TAB_PADDING);
                this += 1;
            }
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    /// Go's `Writer.writeLines`: cells padded to the current column widths, a newline after
    /// every line except the last buffered one (which holds no text after a trailing newline).
    fn write_lines(&mut self, line0: usize, line1: usize) {
        for i in line0..line1 {
            for (j, cell) in self.lines[i].iter().enumerate() {
                self.out.extend_from_slice(&self.text[cell.start..cell.end]);
                if let Some(&w) = self.widths.get(j) {
                    self.out
                        .resize(self.out.len() + w.saturating_sub(cell.width), b' ');
                }
            }
            if i + 1 < self.lines.len() {
                self.out.push(b'\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("test output is UTF-8")
    }

    #[test]
    fn durations() {
        let d = |ms| s(|o| push_duration(o, ms));
        assert_eq!(d(0), "0s");
        assert_eq!(d(1), "1ms");
        assert_eq!(d(-1), "-1ms");
        assert_eq!(d(999), "999ms");
        assert_eq!(d(1000), "1s");
        assert_eq!(d(1500), "1.5s");
        assert_eq!(d(-1001), "-1.001s");
        assert_eq!(d(60_000), "1m0s");
        assert_eq!(d(150_001), "2m30.001s");
        assert_eq!(d(7_200_000), "2h0m0s");
        assert_eq!(d(86_400_000), "24h0m0s");
        // Go's int64 multiplication wraps.
        assert_eq!(d(9_223_372_036_854_775), "-808µs");
        assert_eq!(d(9_223_372_036_854_776), "192µs");
        assert_eq!(d(i64::MAX), "-1ms");
        assert_eq!(d(i64::MIN), "0s");
        assert_eq!(d(-62_135_596_800_000), "-1887601h16m18.871345152s");

        let n = |ns| s(|o| push_go_duration_nanos(o, ns));
        assert_eq!(n(1), "1ns");
        assert_eq!(n(999), "999ns");
        assert_eq!(n(1000), "1µs");
        assert_eq!(n(1001), "1.001µs");
        assert_eq!(n(1_999_999), "1.999999ms");
        assert_eq!(n(1_000_001_000), "1.000001s");
        assert_eq!(n(3_723_000_000_000), "1h2m3s");
        assert_eq!(n(59_999_999_999), "59.999999999s");
        assert_eq!(n(i64::MAX), "2562047h47m16.854775807s");
        assert_eq!(n(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn unix_millis_utc() {
        let t = |ms| s(|o| push_unix_millis_utc(o, ms));
        assert_eq!(t(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(t(1_000_000), "1970-01-01 00:16:40 +0000 UTC");
        assert_eq!(t(1_999_001), "1970-01-01 00:33:19 +0000 UTC");
        assert_eq!(t(-1), "1970-01-01 00:00:00 +0000 UTC"); // ms/1000 truncates toward zero
        assert_eq!(t(-1000), "1969-12-31 23:59:59 +0000 UTC");
        assert_eq!(t(-62_135_596_800_000), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(t(-62_135_596_801_000), "0000-12-31 23:59:59 +0000 UTC");
        assert_eq!(t(-62_167_219_201_000), "-0001-12-31 23:59:59 +0000 UTC");
        assert_eq!(t(253_402_300_799_000), "9999-12-31 23:59:59 +0000 UTC");
        assert_eq!(t(253_402_300_800_000), "10000-01-01 00:00:00 +0000 UTC");
        assert_eq!(t(i64::MAX), "292278994-08-17 07:12:55 +0000 UTC");
        assert_eq!(t(i64::MIN), "-292275055-05-16 16:47:05 +0000 UTC");
    }

    #[test]
    fn base2_bytes() {
        let b = |n| s(|o| push_base2_bytes(o, n));
        assert_eq!(b(0), "0B");
        assert_eq!(b(684), "684B");
        assert_eq!(b(1024), "1KiB");
        assert_eq!(b(1241), "1KiB217B");
        assert_eq!(b(35080), "34KiB264B");
        assert_eq!(b(1 << 20 | 1), "1MiB1B");
        assert_eq!(b(1 << 60), "1EiB");
        assert_eq!(b(-1), "-1B");
        assert_eq!(b(-1025), "-1KiB-1B");
        assert_eq!(b(i64::MAX), "7EiB1023PiB1023TiB1023GiB1023MiB1023KiB1023B");
        assert_eq!(b(i64::MIN), "-8EiB");
    }

    #[test]
    fn tab_table_matches_promtool_list() {
        let header = [
            "BLOCK ULID",
            "MIN TIME",
            "MAX TIME",
            "DURATION",
            "NUM SAMPLES",
            "NUM CHUNKS",
            "NUM SERIES",
            "SIZE",
        ];
        let row = |min: String, max: String, size: String| {
            let mut dur = Vec::new();
            push_duration(&mut dur, 1_999_001 - 1_000_000);
            let dur = String::from_utf8(dur).expect("ASCII");
            let fixed = ["01M8D56HR4ZB9DMBVAGB3KZYAJ".to_string(), min, max, dur];
            fixed
                .into_iter()
                .chain(["4000", "36", "4"].map(String::from))
                .chain([size])
        };
        let text = |f: fn(&mut Vec<u8>, i64), v: i64| s(|o| f(o, v));
        let plain: Vec<Vec<String>> = vec![
            header.map(String::from).to_vec(),
            row("1000000".into(), "1999001".into(), "35080".into()).collect(),
        ];
        assert_eq!(
            String::from_utf8(format_tab_table(&plain)).expect("UTF-8"),
            "BLOCK ULID                  MIN TIME     MAX TIME     DURATION     NUM SAMPLES  \
             NUM CHUNKS   NUM SERIES   SIZE\n\
             01M8D56HR4ZB9DMBVAGB3KZYAJ  1000000      1999001      16m39.001s   4000         \
             36           4            35080\n"
        );
        let human: Vec<Vec<String>> = vec![
            header.map(String::from).to_vec(),
            row(
                text(push_unix_millis_utc, 1_000_000),
                text(push_unix_millis_utc, 1_999_001),
                text(push_base2_bytes, 35080),
            )
            .collect(),
        ];
        assert_eq!(
            String::from_utf8(format_tab_table(&human)).expect("UTF-8"),
            "BLOCK ULID                  MIN TIME                       MAX TIME                       \
             DURATION     NUM SAMPLES  NUM CHUNKS   NUM SERIES   SIZE\n\
             01M8D56HR4ZB9DMBVAGB3KZYAJ  1970-01-01 00:16:40 +0000 UTC  1970-01-01 00:33:19 +0000 UTC  \
             16m39.001s   4000         36           4            34KiB264B\n"
        );
    }

    #[test]
    fn tabwriter_column_blocks() {
        // Expected output from Go 1.19 text/tabwriter.NewWriter(w, 13, 0, 2, ' ', 0).
        let mut out = Vec::new();
        push_tabwriter(
            &mut out,
            "a\tb\tc\na much longer cell\tb\nx\n日本語\t1\t2\t3\n\t\t\n",
        );
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "a                   b            c\n\
             a much longer cell  b\n\
             x\n\
             日本語          1            2            3\n\
             \x20                         \n"
        );
        let rows = [vec!["only"], vec!["k", "v"]];
        assert_eq!(format_tab_table(&rows), b"only\nk            v\n");
        assert!(format_tab_table::<Vec<&str>, &str>(&[]).is_empty());
    }
}
