//! Byte-exact emulation of the Go standard-library formatting that `promtool` 2.42 uses.
//!
//! `promtool` (built with Go 1.19.8) prints samples with `fmt.Printf("%s %g %d\n", ...)`,
//! label sets with `strconv.Quote`, and `tsdb list` through `text/tabwriter`, `time.Duration`,
//! `time.Time` and `alecthomas/units`. Reproducing its output byte for byte needs the exact Go
//! rules, which differ from Rust's `Display` in many small ways (exponent thresholds, `+Inf`,
//! `\u00a0` escapes, `2h0m0s`, ...). The `push_*` functions append to a caller-owned `Vec<u8>`;
//! all but [`push_tabwriter`] allocate nothing else, so they can sit on the hot path of a dump.

/// Appends Go's `fmt` `%g` rendering of `v` (identical to `strconv.FormatFloat(v, 'g', -1, 64)`).
///
/// Go takes the shortest decimal digits that round-trip, then switches to exponent form when the
/// decimal exponent is `< -4` or `>= 6` (with shortest precision the threshold is always 6,
/// whatever the digit count): `100000`, `1e+06`, `1.23456789e+08`, `0.0001`, `1e-05`. The
/// exponent has a sign and at least two digits. Specials are `NaN` (any payload, no sign),
/// `+Inf`, `-Inf`; zero keeps its sign (`-0`).
pub fn push_float_g(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let mut buf = [0u8; 32];
    let (digits, exp) = shortest_digits(v.abs(), &mut buf);
    let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
    if !(-4..6).contains(&exp) {
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        push_u64_padded(out, u64::from(exp.unsigned_abs()), 2);
    } else if exp >= 0 {
        // 0 <= exp < 6: the integer part, zero-padded when the digits run out, then any fraction.
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.extend_from_slice(digits);
            out.resize(out.len() + int_len - digits.len(), b'0');
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        // -4 <= exp < 0: "0." then -exp-1 zeros, then the digits.
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-exp - 1) as usize, b'0');
        out.extend_from_slice(digits);
    }
}

/// Shortest round-trip decimal digits of a finite `v >= 0` (no trailing zeros, written into
/// `buf`) and the decimal exponent of the first digit (`v = d.ddd × 10^exp`). Zero gives
/// `("0", 0)`.
///
/// `zmij` (Schubfach) picks the same digits as Go's Ryu: the shortest that round-trip, closest
/// to `v`, and the even one when `v` lies exactly halfway between two candidates (e.g.
/// 2087000000000000.25 → `2.0870000000000002e+15`). Rust's own `{:e}` rounds those ties up,
/// so it cannot be used here. Only the notation is re-parsed.
fn shortest_digits(v: f64, buf: &mut [u8; 32]) -> (&[u8], i32) {
    let mut text = zmij::Buffer::new();
    // Plain ("0.00001", "123.0") or exponent ("1.5e+21", "1e-7") notation.
    let s = text.format_finite(v).as_bytes();
    let e_pos = s.iter().position(|&b| b == b'e').unwrap_or(s.len());
    let (mantissa, exp_part) = s.split_at(e_pos);
    // v = d × 10^k; at most 17 significant digits plus a ".0", so `d` fits in a u64.
    let mut d: u64 = 0;
    let mut k: i32 = 0;
    let mut fraction = false;
    for &b in mantissa {
        if b == b'.' {
            fraction = true;
        } else if b.is_ascii_digit() {
            d = d.saturating_mul(10).saturating_add(u64::from(b - b'0'));
            k -= i32::from(fraction);
        }
    }
    let exp_part = exp_part.get(1..).unwrap_or_default();
    let (exp_neg, exp_digits) = match exp_part.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, exp_part),
    };
    let exp = exp_digits
        .iter()
        .fold(0i32, |e, &b| e * 10 + i32::from(b - b'0'));
    k += if exp_neg { -exp } else { exp };
    if d == 0 {
        k = 0; // "0.0"
    }
    while d != 0 && d % 10 == 0 {
        d /= 10;
        k += 1;
    }
    let start = fmt_int(buf, 32, d);
    (&buf[start..], k + (32 - start) as i32 - 1)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends Go's `strconv.Quote` of the Go string `s`, which may hold invalid UTF-8.
///
/// Printable ASCII and printable runes (`strconv.IsPrint`: Unicode L, M, N, P, S plus U+0020,
/// per Go 1.19's Unicode 13.0.0) are copied raw; `"` and `\` are backslashed; `\a \b \f \n \r
/// \t \v` use their C escapes; other control bytes and every byte of invalid UTF-8 become `\xhh`
/// (Go decodes one byte at a time on error); remaining runes become `\uhhhh` or `\Uhhhhhhhh`.
pub fn push_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut i = 0;
    while i < s.len() {
        // Fast path: copy a run of plain printable ASCII in one go.
        let run = s[i..]
            .iter()
            .position(|&b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\')
            .unwrap_or(s.len() - i);
        out.extend_from_slice(&s[i..i + run]);
        i += run;
        let Some(&b) = s.get(i) else { break };
        if b < 0x80 {
            push_escaped_ascii(out, b);
            i += 1;
            continue;
        }
        match decode_rune(&s[i..]) {
            Some((r, width)) => {
                if is_print(r) {
                    out.extend_from_slice(&s[i..i + width]);
                } else if r < 0x1_0000 {
                    push_hex_escape(out, b'u', r, 4);
                } else {
                    push_hex_escape(out, b'U', r, 8);
                }
                i += width;
            }
            None => {
                push_hex_escape(out, b'x', u32::from(b), 2);
                i += 1;
            }
        }
    }
    out.push(b'"');
}

/// Escapes an ASCII byte that the fast path of [`push_quoted`] did not copy.
fn push_escaped_ascii(out: &mut Vec<u8>, b: u8) {
    let esc = match b {
        b'"' | b'\\' => b,
        0x07 => b'a',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x0b => b'v',
        _ => return push_hex_escape(out, b'x', u32::from(b), 2),
    };
    out.extend_from_slice(&[b'\\', esc]);
}

/// Appends `\` + `kind` + the low `n` lower-case hex digits of `v`.
fn push_hex_escape(out: &mut Vec<u8>, kind: u8, v: u32, n: u32) {
    out.push(b'\\');
    out.push(kind);
    for shift in (0..n).rev() {
        out.push(HEX[(v >> (shift * 4)) as usize & 0xf]);
    }
}

/// Decodes one UTF-8 rune like Go's `utf8.DecodeRune`, returning `None` where Go returns
/// `(RuneError, 1)`: overlong forms, surrogates, values above U+10FFFF and truncated sequences.
fn decode_rune(s: &[u8]) -> Option<(u32, usize)> {
    let b0 = *s.first()?;
    let (width, lo, hi) = match b0 {
        0x00..=0x7f => return Some((u32::from(b0), 1)),
        0xc2..=0xdf => (2, 0x80, 0xbf),
        0xe0 => (3, 0xa0, 0xbf),
        0xe1..=0xec | 0xee..=0xef => (3, 0x80, 0xbf),
        0xed => (3, 0x80, 0x9f),
        0xf0 => (4, 0x90, 0xbf),
        0xf1..=0xf3 => (4, 0x80, 0xbf),
        0xf4 => (4, 0x80, 0x8f),
        _ => return None,
    };
    let tail = s.get(1..width)?;
    let mut r = u32::from(b0) & (0x7f >> width);
    for (k, &b) in tail.iter().enumerate() {
        let (lo, hi) = if k == 0 { (lo, hi) } else { (0x80, 0xbf) };
        if !(lo..=hi).contains(&b) {
            return None;
        }
        r = r << 6 | u32::from(b & 0x3f);
    }
    Some((r, width))
}

/// Go's `strconv.IsPrint` for a valid rune.
fn is_print(r: u32) -> bool {
    // An odd number of boundaries at or below `r` means `r` lies inside a printable range.
    PRINT_BOUNDS.partition_point(|&b| b <= r) % 2 == 1
}

/// Appends Prometheus 2.42's `labels.Labels.String()`: `{a="1", b="2"}`.
///
/// Names are written raw and values with [`push_quoted`], in the order given (the stored,
/// sorted order); an empty set gives `{}`.
pub fn push_labels<'a, I>(out: &mut Vec<u8>, labels: I)
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    out.push(b'{');
    for (i, (name, value)) in labels.into_iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(name);
        out.push(b'=');
        push_quoted(out, value);
    }
    out.push(b'}');
}

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

/// Boundaries of the printable ranges of `strconv.IsPrint` in Go 1.19 (Unicode 13.0.0): each
/// range start followed by its exclusive end, strictly increasing. Generated by walking
/// `strconv.IsPrint` over all runes with Go 1.19.8, the toolchain of Debian's promtool 2.42.
#[rustfmt::skip]
const PRINT_BOUNDS: [u32; 1356] = [
    0x20, 0x7f, 0xa1, 0xad, 0xae, 0x378, 0x37a, 0x380,
    0x384, 0x38b, 0x38c, 0x38d, 0x38e, 0x3a2, 0x3a3, 0x530,
    0x531, 0x557, 0x559, 0x58b, 0x58d, 0x590, 0x591, 0x5c8,
    0x5d0, 0x5eb, 0x5ef, 0x5f5, 0x606, 0x61c, 0x61e, 0x6dd,
    0x6de, 0x70e, 0x710, 0x74b, 0x74d, 0x7b2, 0x7c0, 0x7fb,
    0x7fd, 0x82e, 0x830, 0x83f, 0x840, 0x85c, 0x85e, 0x85f,
    0x860, 0x86b, 0x8a0, 0x8b5, 0x8b6, 0x8c8, 0x8d3, 0x8e2,
    0x8e3, 0x984, 0x985, 0x98d, 0x98f, 0x991, 0x993, 0x9a9,
    0x9aa, 0x9b1, 0x9b2, 0x9b3, 0x9b6, 0x9ba, 0x9bc, 0x9c5,
    0x9c7, 0x9c9, 0x9cb, 0x9cf, 0x9d7, 0x9d8, 0x9dc, 0x9de,
    0x9df, 0x9e4, 0x9e6, 0x9ff, 0xa01, 0xa04, 0xa05, 0xa0b,
    0xa0f, 0xa11, 0xa13, 0xa29, 0xa2a, 0xa31, 0xa32, 0xa34,
    0xa35, 0xa37, 0xa38, 0xa3a, 0xa3c, 0xa3d, 0xa3e, 0xa43,
    0xa47, 0xa49, 0xa4b, 0xa4e, 0xa51, 0xa52, 0xa59, 0xa5d,
    0xa5e, 0xa5f, 0xa66, 0xa77, 0xa81, 0xa84, 0xa85, 0xa8e,
    0xa8f, 0xa92, 0xa93, 0xaa9, 0xaaa, 0xab1, 0xab2, 0xab4,
    0xab5, 0xaba, 0xabc, 0xac6, 0xac7, 0xaca, 0xacb, 0xace,
    0xad0, 0xad1, 0xae0, 0xae4, 0xae6, 0xaf2, 0xaf9, 0xb00,
    0xb01, 0xb04, 0xb05, 0xb0d, 0xb0f, 0xb11, 0xb13, 0xb29,
    0xb2a, 0xb31, 0xb32, 0xb34, 0xb35, 0xb3a, 0xb3c, 0xb45,
    0xb47, 0xb49, 0xb4b, 0xb4e, 0xb55, 0xb58, 0xb5c, 0xb5e,
    0xb5f, 0xb64, 0xb66, 0xb78, 0xb82, 0xb84, 0xb85, 0xb8b,
    0xb8e, 0xb91, 0xb92, 0xb96, 0xb99, 0xb9b, 0xb9c, 0xb9d,
    0xb9e, 0xba0, 0xba3, 0xba5, 0xba8, 0xbab, 0xbae, 0xbba,
    0xbbe, 0xbc3, 0xbc6, 0xbc9, 0xbca, 0xbce, 0xbd0, 0xbd1,
    0xbd7, 0xbd8, 0xbe6, 0xbfb, 0xc00, 0xc0d, 0xc0e, 0xc11,
    0xc12, 0xc29, 0xc2a, 0xc3a, 0xc3d, 0xc45, 0xc46, 0xc49,
    0xc4a, 0xc4e, 0xc55, 0xc57, 0xc58, 0xc5b, 0xc60, 0xc64,
    0xc66, 0xc70, 0xc77, 0xc8d, 0xc8e, 0xc91, 0xc92, 0xca9,
    0xcaa, 0xcb4, 0xcb5, 0xcba, 0xcbc, 0xcc5, 0xcc6, 0xcc9,
    0xcca, 0xcce, 0xcd5, 0xcd7, 0xcde, 0xcdf, 0xce0, 0xce4,
    0xce6, 0xcf0, 0xcf1, 0xcf3, 0xd00, 0xd0d, 0xd0e, 0xd11,
    0xd12, 0xd45, 0xd46, 0xd49, 0xd4a, 0xd50, 0xd54, 0xd64,
    0xd66, 0xd80, 0xd81, 0xd84, 0xd85, 0xd97, 0xd9a, 0xdb2,
    0xdb3, 0xdbc, 0xdbd, 0xdbe, 0xdc0, 0xdc7, 0xdca, 0xdcb,
    0xdcf, 0xdd5, 0xdd6, 0xdd7, 0xdd8, 0xde0, 0xde6, 0xdf0,
    0xdf2, 0xdf5, 0xe01, 0xe3b, 0xe3f, 0xe5c, 0xe81, 0xe83,
    0xe84, 0xe85, 0xe86, 0xe8b, 0xe8c, 0xea4, 0xea5, 0xea6,
    0xea7, 0xebe, 0xec0, 0xec5, 0xec6, 0xec7, 0xec8, 0xece,
    0xed0, 0xeda, 0xedc, 0xee0, 0xf00, 0xf48, 0xf49, 0xf6d,
    0xf71, 0xf98, 0xf99, 0xfbd, 0xfbe, 0xfcd, 0xfce, 0xfdb,
    0x1000, 0x10c6, 0x10c7, 0x10c8, 0x10cd, 0x10ce, 0x10d0, 0x1249,
    0x124a, 0x124e, 0x1250, 0x1257, 0x1258, 0x1259, 0x125a, 0x125e,
    0x1260, 0x1289, 0x128a, 0x128e, 0x1290, 0x12b1, 0x12b2, 0x12b6,
    0x12b8, 0x12bf, 0x12c0, 0x12c1, 0x12c2, 0x12c6, 0x12c8, 0x12d7,
    0x12d8, 0x1311, 0x1312, 0x1316, 0x1318, 0x135b, 0x135d, 0x137d,
    0x1380, 0x139a, 0x13a0, 0x13f6, 0x13f8, 0x13fe, 0x1400, 0x1680,
    0x1681, 0x169d, 0x16a0, 0x16f9, 0x1700, 0x170d, 0x170e, 0x1715,
    0x1720, 0x1737, 0x1740, 0x1754, 0x1760, 0x176d, 0x176e, 0x1771,
    0x1772, 0x1774, 0x1780, 0x17de, 0x17e0, 0x17ea, 0x17f0, 0x17fa,
    0x1800, 0x180e, 0x1810, 0x181a, 0x1820, 0x1879, 0x1880, 0x18ab,
    0x18b0, 0x18f6, 0x1900, 0x191f, 0x1920, 0x192c, 0x1930, 0x193c,
    0x1940, 0x1941, 0x1944, 0x196e, 0x1970, 0x1975, 0x1980, 0x19ac,
    0x19b0, 0x19ca, 0x19d0, 0x19db, 0x19de, 0x1a1c, 0x1a1e, 0x1a5f,
    0x1a60, 0x1a7d, 0x1a7f, 0x1a8a, 0x1a90, 0x1a9a, 0x1aa0, 0x1aae,
    0x1ab0, 0x1ac1, 0x1b00, 0x1b4c, 0x1b50, 0x1b7d, 0x1b80, 0x1bf4,
    0x1bfc, 0x1c38, 0x1c3b, 0x1c4a, 0x1c4d, 0x1c89, 0x1c90, 0x1cbb,
    0x1cbd, 0x1cc8, 0x1cd0, 0x1cfb, 0x1d00, 0x1dfa, 0x1dfb, 0x1f16,
    0x1f18, 0x1f1e, 0x1f20, 0x1f46, 0x1f48, 0x1f4e, 0x1f50, 0x1f58,
    0x1f59, 0x1f5a, 0x1f5b, 0x1f5c, 0x1f5d, 0x1f5e, 0x1f5f, 0x1f7e,
    0x1f80, 0x1fb5, 0x1fb6, 0x1fc5, 0x1fc6, 0x1fd4, 0x1fd6, 0x1fdc,
    0x1fdd, 0x1ff0, 0x1ff2, 0x1ff5, 0x1ff6, 0x1fff, 0x2010, 0x2028,
    0x2030, 0x205f, 0x2070, 0x2072, 0x2074, 0x208f, 0x2090, 0x209d,
    0x20a0, 0x20c0, 0x20d0, 0x20f1, 0x2100, 0x218c, 0x2190, 0x2427,
    0x2440, 0x244b, 0x2460, 0x2b74, 0x2b76, 0x2b96, 0x2b97, 0x2c2f,
    0x2c30, 0x2c5f, 0x2c60, 0x2cf4, 0x2cf9, 0x2d26, 0x2d27, 0x2d28,
    0x2d2d, 0x2d2e, 0x2d30, 0x2d68, 0x2d6f, 0x2d71, 0x2d7f, 0x2d97,
    0x2da0, 0x2da7, 0x2da8, 0x2daf, 0x2db0, 0x2db7, 0x2db8, 0x2dbf,
    0x2dc0, 0x2dc7, 0x2dc8, 0x2dcf, 0x2dd0, 0x2dd7, 0x2dd8, 0x2ddf,
    0x2de0, 0x2e53, 0x2e80, 0x2e9a, 0x2e9b, 0x2ef4, 0x2f00, 0x2fd6,
    0x2ff0, 0x2ffc, 0x3001, 0x3040, 0x3041, 0x3097, 0x3099, 0x3100,
    0x3105, 0x3130, 0x3131, 0x318f, 0x3190, 0x31e4, 0x31f0, 0x321f,
    0x3220, 0x9ffd, 0xa000, 0xa48d, 0xa490, 0xa4c7, 0xa4d0, 0xa62c,
    0xa640, 0xa6f8, 0xa700, 0xa7c0, 0xa7c2, 0xa7cb, 0xa7f5, 0xa82d,
    0xa830, 0xa83a, 0xa840, 0xa878, 0xa880, 0xa8c6, 0xa8ce, 0xa8da,
    0xa8e0, 0xa954, 0xa95f, 0xa97d, 0xa980, 0xa9ce, 0xa9cf, 0xa9da,
    0xa9de, 0xa9ff, 0xaa00, 0xaa37, 0xaa40, 0xaa4e, 0xaa50, 0xaa5a,
    0xaa5c, 0xaac3, 0xaadb, 0xaaf7, 0xab01, 0xab07, 0xab09, 0xab0f,
    0xab11, 0xab17, 0xab20, 0xab27, 0xab28, 0xab2f, 0xab30, 0xab6c,
    0xab70, 0xabee, 0xabf0, 0xabfa, 0xac00, 0xd7a4, 0xd7b0, 0xd7c7,
    0xd7cb, 0xd7fc, 0xf900, 0xfa6e, 0xfa70, 0xfada, 0xfb00, 0xfb07,
    0xfb13, 0xfb18, 0xfb1d, 0xfb37, 0xfb38, 0xfb3d, 0xfb3e, 0xfb3f,
    0xfb40, 0xfb42, 0xfb43, 0xfb45, 0xfb46, 0xfbc2, 0xfbd3, 0xfd40,
    0xfd50, 0xfd90, 0xfd92, 0xfdc8, 0xfdf0, 0xfdfe, 0xfe00, 0xfe1a,
    0xfe20, 0xfe53, 0xfe54, 0xfe67, 0xfe68, 0xfe6c, 0xfe70, 0xfe75,
    0xfe76, 0xfefd, 0xff01, 0xffbf, 0xffc2, 0xffc8, 0xffca, 0xffd0,
    0xffd2, 0xffd8, 0xffda, 0xffdd, 0xffe0, 0xffe7, 0xffe8, 0xffef,
    0xfffc, 0xfffe, 0x10000, 0x1000c, 0x1000d, 0x10027, 0x10028, 0x1003b,
    0x1003c, 0x1003e, 0x1003f, 0x1004e, 0x10050, 0x1005e, 0x10080, 0x100fb,
    0x10100, 0x10103, 0x10107, 0x10134, 0x10137, 0x1018f, 0x10190, 0x1019d,
    0x101a0, 0x101a1, 0x101d0, 0x101fe, 0x10280, 0x1029d, 0x102a0, 0x102d1,
    0x102e0, 0x102fc, 0x10300, 0x10324, 0x1032d, 0x1034b, 0x10350, 0x1037b,
    0x10380, 0x1039e, 0x1039f, 0x103c4, 0x103c8, 0x103d6, 0x10400, 0x1049e,
    0x104a0, 0x104aa, 0x104b0, 0x104d4, 0x104d8, 0x104fc, 0x10500, 0x10528,
    0x10530, 0x10564, 0x1056f, 0x10570, 0x10600, 0x10737, 0x10740, 0x10756,
    0x10760, 0x10768, 0x10800, 0x10806, 0x10808, 0x10809, 0x1080a, 0x10836,
    0x10837, 0x10839, 0x1083c, 0x1083d, 0x1083f, 0x10856, 0x10857, 0x1089f,
    0x108a7, 0x108b0, 0x108e0, 0x108f3, 0x108f4, 0x108f6, 0x108fb, 0x1091c,
    0x1091f, 0x1093a, 0x1093f, 0x10940, 0x10980, 0x109b8, 0x109bc, 0x109d0,
    0x109d2, 0x10a04, 0x10a05, 0x10a07, 0x10a0c, 0x10a14, 0x10a15, 0x10a18,
    0x10a19, 0x10a36, 0x10a38, 0x10a3b, 0x10a3f, 0x10a49, 0x10a50, 0x10a59,
    0x10a60, 0x10aa0, 0x10ac0, 0x10ae7, 0x10aeb, 0x10af7, 0x10b00, 0x10b36,
    0x10b39, 0x10b56, 0x10b58, 0x10b73, 0x10b78, 0x10b92, 0x10b99, 0x10b9d,
    0x10ba9, 0x10bb0, 0x10c00, 0x10c49, 0x10c80, 0x10cb3, 0x10cc0, 0x10cf3,
    0x10cfa, 0x10d28, 0x10d30, 0x10d3a, 0x10e60, 0x10e7f, 0x10e80, 0x10eaa,
    0x10eab, 0x10eae, 0x10eb0, 0x10eb2, 0x10f00, 0x10f28, 0x10f30, 0x10f5a,
    0x10fb0, 0x10fcc, 0x10fe0, 0x10ff7, 0x11000, 0x1104e, 0x11052, 0x11070,
    0x1107f, 0x110bd, 0x110be, 0x110c2, 0x110d0, 0x110e9, 0x110f0, 0x110fa,
    0x11100, 0x11135, 0x11136, 0x11148, 0x11150, 0x11177, 0x11180, 0x111e0,
    0x111e1, 0x111f5, 0x11200, 0x11212, 0x11213, 0x1123f, 0x11280, 0x11287,
    0x11288, 0x11289, 0x1128a, 0x1128e, 0x1128f, 0x1129e, 0x1129f, 0x112aa,
    0x112b0, 0x112eb, 0x112f0, 0x112fa, 0x11300, 0x11304, 0x11305, 0x1130d,
    0x1130f, 0x11311, 0x11313, 0x11329, 0x1132a, 0x11331, 0x11332, 0x11334,
    0x11335, 0x1133a, 0x1133b, 0x11345, 0x11347, 0x11349, 0x1134b, 0x1134e,
    0x11350, 0x11351, 0x11357, 0x11358, 0x1135d, 0x11364, 0x11366, 0x1136d,
    0x11370, 0x11375, 0x11400, 0x1145c, 0x1145d, 0x11462, 0x11480, 0x114c8,
    0x114d0, 0x114da, 0x11580, 0x115b6, 0x115b8, 0x115de, 0x11600, 0x11645,
    0x11650, 0x1165a, 0x11660, 0x1166d, 0x11680, 0x116b9, 0x116c0, 0x116ca,
    0x11700, 0x1171b, 0x1171d, 0x1172c, 0x11730, 0x11740, 0x11800, 0x1183c,
    0x118a0, 0x118f3, 0x118ff, 0x11907, 0x11909, 0x1190a, 0x1190c, 0x11914,
    0x11915, 0x11917, 0x11918, 0x11936, 0x11937, 0x11939, 0x1193b, 0x11947,
    0x11950, 0x1195a, 0x119a0, 0x119a8, 0x119aa, 0x119d8, 0x119da, 0x119e5,
    0x11a00, 0x11a48, 0x11a50, 0x11aa3, 0x11ac0, 0x11af9, 0x11c00, 0x11c09,
    0x11c0a, 0x11c37, 0x11c38, 0x11c46, 0x11c50, 0x11c6d, 0x11c70, 0x11c90,
    0x11c92, 0x11ca8, 0x11ca9, 0x11cb7, 0x11d00, 0x11d07, 0x11d08, 0x11d0a,
    0x11d0b, 0x11d37, 0x11d3a, 0x11d3b, 0x11d3c, 0x11d3e, 0x11d3f, 0x11d48,
    0x11d50, 0x11d5a, 0x11d60, 0x11d66, 0x11d67, 0x11d69, 0x11d6a, 0x11d8f,
    0x11d90, 0x11d92, 0x11d93, 0x11d99, 0x11da0, 0x11daa, 0x11ee0, 0x11ef9,
    0x11fb0, 0x11fb1, 0x11fc0, 0x11ff2, 0x11fff, 0x1239a, 0x12400, 0x1246f,
    0x12470, 0x12475, 0x12480, 0x12544, 0x13000, 0x1342f, 0x14400, 0x14647,
    0x16800, 0x16a39, 0x16a40, 0x16a5f, 0x16a60, 0x16a6a, 0x16a6e, 0x16a70,
    0x16ad0, 0x16aee, 0x16af0, 0x16af6, 0x16b00, 0x16b46, 0x16b50, 0x16b5a,
    0x16b5b, 0x16b62, 0x16b63, 0x16b78, 0x16b7d, 0x16b90, 0x16e40, 0x16e9b,
    0x16f00, 0x16f4b, 0x16f4f, 0x16f88, 0x16f8f, 0x16fa0, 0x16fe0, 0x16fe5,
    0x16ff0, 0x16ff2, 0x17000, 0x187f8, 0x18800, 0x18cd6, 0x18d00, 0x18d09,
    0x1b000, 0x1b11f, 0x1b150, 0x1b153, 0x1b164, 0x1b168, 0x1b170, 0x1b2fc,
    0x1bc00, 0x1bc6b, 0x1bc70, 0x1bc7d, 0x1bc80, 0x1bc89, 0x1bc90, 0x1bc9a,
    0x1bc9c, 0x1bca0, 0x1d000, 0x1d0f6, 0x1d100, 0x1d127, 0x1d129, 0x1d173,
    0x1d17b, 0x1d1e9, 0x1d200, 0x1d246, 0x1d2e0, 0x1d2f4, 0x1d300, 0x1d357,
    0x1d360, 0x1d379, 0x1d400, 0x1d455, 0x1d456, 0x1d49d, 0x1d49e, 0x1d4a0,
    0x1d4a2, 0x1d4a3, 0x1d4a5, 0x1d4a7, 0x1d4a9, 0x1d4ad, 0x1d4ae, 0x1d4ba,
    0x1d4bb, 0x1d4bc, 0x1d4bd, 0x1d4c4, 0x1d4c5, 0x1d506, 0x1d507, 0x1d50b,
    0x1d50d, 0x1d515, 0x1d516, 0x1d51d, 0x1d51e, 0x1d53a, 0x1d53b, 0x1d53f,
    0x1d540, 0x1d545, 0x1d546, 0x1d547, 0x1d54a, 0x1d551, 0x1d552, 0x1d6a6,
    0x1d6a8, 0x1d7cc, 0x1d7ce, 0x1da8c, 0x1da9b, 0x1daa0, 0x1daa1, 0x1dab0,
    0x1e000, 0x1e007, 0x1e008, 0x1e019, 0x1e01b, 0x1e022, 0x1e023, 0x1e025,
    0x1e026, 0x1e02b, 0x1e100, 0x1e12d, 0x1e130, 0x1e13e, 0x1e140, 0x1e14a,
    0x1e14e, 0x1e150, 0x1e2c0, 0x1e2fa, 0x1e2ff, 0x1e300, 0x1e800, 0x1e8c5,
    0x1e8c7, 0x1e8d7, 0x1e900, 0x1e94c, 0x1e950, 0x1e95a, 0x1e95e, 0x1e960,
    0x1ec71, 0x1ecb5, 0x1ed01, 0x1ed3e, 0x1ee00, 0x1ee04, 0x1ee05, 0x1ee20,
    0x1ee21, 0x1ee23, 0x1ee24, 0x1ee25, 0x1ee27, 0x1ee28, 0x1ee29, 0x1ee33,
    0x1ee34, 0x1ee38, 0x1ee39, 0x1ee3a, 0x1ee3b, 0x1ee3c, 0x1ee42, 0x1ee43,
    0x1ee47, 0x1ee48, 0x1ee49, 0x1ee4a, 0x1ee4b, 0x1ee4c, 0x1ee4d, 0x1ee50,
    0x1ee51, 0x1ee53, 0x1ee54, 0x1ee55, 0x1ee57, 0x1ee58, 0x1ee59, 0x1ee5a,
    0x1ee5b, 0x1ee5c, 0x1ee5d, 0x1ee5e, 0x1ee5f, 0x1ee60, 0x1ee61, 0x1ee63,
    0x1ee64, 0x1ee65, 0x1ee67, 0x1ee6b, 0x1ee6c, 0x1ee73, 0x1ee74, 0x1ee78,
    0x1ee79, 0x1ee7d, 0x1ee7e, 0x1ee7f, 0x1ee80, 0x1ee8a, 0x1ee8b, 0x1ee9c,
    0x1eea1, 0x1eea4, 0x1eea5, 0x1eeaa, 0x1eeab, 0x1eebc, 0x1eef0, 0x1eef2,
    0x1f000, 0x1f02c, 0x1f030, 0x1f094, 0x1f0a0, 0x1f0af, 0x1f0b1, 0x1f0c0,
    0x1f0c1, 0x1f0d0, 0x1f0d1, 0x1f0f6, 0x1f100, 0x1f1ae, 0x1f1e6, 0x1f203,
    0x1f210, 0x1f23c, 0x1f240, 0x1f249, 0x1f250, 0x1f252, 0x1f260, 0x1f266,
    0x1f300, 0x1f6d8, 0x1f6e0, 0x1f6ed, 0x1f6f0, 0x1f6fd, 0x1f700, 0x1f774,
    0x1f780, 0x1f7d9, 0x1f7e0, 0x1f7ec, 0x1f800, 0x1f80c, 0x1f810, 0x1f848,
    0x1f850, 0x1f85a, 0x1f860, 0x1f888, 0x1f890, 0x1f8ae, 0x1f8b0, 0x1f8b2,
    0x1f900, 0x1f979, 0x1f97a, 0x1f9cc, 0x1f9cd, 0x1fa54, 0x1fa60, 0x1fa6e,
    0x1fa70, 0x1fa75, 0x1fa78, 0x1fa7b, 0x1fa80, 0x1fa87, 0x1fa90, 0x1faa9,
    0x1fab0, 0x1fab7, 0x1fac0, 0x1fac3, 0x1fad0, 0x1fad7, 0x1fb00, 0x1fb93,
    0x1fb94, 0x1fbcb, 0x1fbf0, 0x1fbfa, 0x20000, 0x2a6de, 0x2a700, 0x2b735,
    0x2b740, 0x2b81e, 0x2b820, 0x2cea2, 0x2ceb0, 0x2ebe1, 0x2f800, 0x2fa1e,
    0x30000, 0x3134b, 0xe0100, 0xe01f0,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("test output is UTF-8")
    }

    fn g(v: f64) -> String {
        s(|o| push_float_g(o, v))
    }

    fn q(b: &[u8]) -> String {
        s(|o| push_quoted(o, b))
    }

    #[test]
    fn float_g_matches_promtool() {
        // (input bits, line printed by `promtool tsdb dump` 2.42 for that sample value).
        let table: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "-0"),
            (0x7ff0000000000000, "+Inf"),
            (0xfff0000000000000, "-Inf"),
            (0x412e848000000000, "1e+06"),
            (0x419d6f3454000000, "1.23456789e+08"),
            (0x40f86a0000000000, "100000"),
            (0x3fb999999999999a, "0.1"),
            (0xbfe0000000000000, "-0.5"),
            (0x3f1a36e2eb1c432d, "0.0001"),
            (0x3ee4f8b588e368f1, "1e-05"),
            (0x0000000000000001, "5e-324"),
            (0x7e37e43c8800759c, "1e+300"),
            (0x40fe240b33333333, "123456.7"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x4415af1d78b58c40, "1e+20"),
            (0x40fe240000000000, "123456"),
            (0x4132d68700000000, "1.234567e+06"),
            (0x3ee9e0fcaf9380fc, "1.234e-05"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0x0010000000000000, "2.2250738585072014e-308"),
            (0x431da8763695c001, "2.0870000000000002e+15"),
            (0x3e70000000000000, "5.960464477539063e-08"),
            (0x4340000000000000, "9.007199254740992e+15"),
            (0x3fd3333333333333, "0.3"),
            (0x4004000000000000, "2.5"),
            (0x412e847f00000000, "999999.5"),
            (0x412e847e00000000, "999999"),
            (0x412e848000000000, "1e+06"),
            (0x7a9fb96ed297ace1, "4.606898515581373e+282"),
            (0x3ec57a50d94e96b7, "2.560352820829246e-06"),
            (0x440ab83abe95f1da, "6.161130978991166e+19"),
            (0x3f79baf6ade92947, "0.006281818000000001"),
            (0x40ea37dd70a3d70a, "53694.92"),
            (0x3dd34186b213f5d4, "7.005278000000001e-11"),
            (0x444dfdf6b7023774, "1.1065111869871835e+21"),
            (0x447b4f2e5ab4a57e, "8.060283e+21"),
            (0x41287dbc33333334, "802526.1000000001"),
            (0x42a17a32cc18f0ab, "9.608267959416334e+12"),
            (0x3da5a7243aca3696, "9.846597354479437e-12"),
            (0x9daea6ae808f53a6, "-1.0395813161201499e-165"),
            (0x3c3191197a7ef8a0, "9.522978662718234e-19"),
            (0x4236e5b08d0fa865, "9.834283342365779e+10"),
            (0x9667638e2f117b7f, "-9.548661121465761e-201"),
            (0x3a7189578e1c9689, "3.541466403592409e-27"),
            (0x3ae7ff58617ef72c, "6.203193453150418e-25"),
            (0x3fb5a73b1abc4083, "0.08458299067229018"),
            (0x3bacf3a2f01280b3, "3.0653810000000002e-21"),
            (0x405806db4356c1d4, "96.10713275406243"),
            (0x43c52ca0e177579a, "3.051542528004142e+18"),
            (0x3f7b88999cca1a63, "0.00672206883303392"),
            (0x3cd063318c4b476d, "9.09687591523855e-16"),
            (0xd77376eddac75614, "-1.87241939587212e+113"),
            (0x40e292918d3c8a10, "38036.54849078145"),
            (0x3fe85c0b2e316bb3, "0.7612358"),
            (0xdb0b812ad539f309, "-3.813052974319972e+130"),
            (0x43cf0375ff68acb7, "4.4695191598783155e+18"),
            (0x4193660fb77498bf, "8.136394986386393e+07"),
            (0x4365ccfc9797a460, "4.909087806437043e+16"),
            (0x3cdf61d3cf44ac08, "1.742058620060194e-15"),
            (0x4626ed9338f0b578, "9.082727518148877e+29"),
            (0x406ca1cde3d78d4a, "229.05638305759413"),
            (0xb9953c647ec80a65, "-2.61752780496107e-31"),
            (0x1358a3f8b950c648, "1.786951954182537e-215"),
            (0x3bb48362e998c638, "4.343845e-21"),
            (0x3da1b26adb91c614, "8.047637956678238e-12"),
            (0x40e1139e147ae148, "34972.94"),
            (0x44116f17ddcfbae1, "8.039994e+19"),
            (0x4114b08b9999999a, "338978.9"),
        ];
        for &(bits, want) in table {
            assert_eq!(g(f64::from_bits(bits)), want, "bits {bits:#018x}");
        }
    }

    #[test]
    fn float_g_edge_cases() {
        assert_eq!(g(f64::NAN), "NaN");
        assert_eq!(g(-f64::NAN), "NaN");
        assert_eq!(g(f64::from_bits(0x7ff0_0000_0000_0002)), "NaN"); // Prometheus stale marker
        assert_eq!(g(0.0), "0");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(1e21), "1e+21");
        assert_eq!(g(1e20), "1e+20");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1234567.0), "1.234567e+06");
        assert_eq!(g(0.00001234), "1.234e-05");
        assert_eq!(g(0.0001234), "0.0001234");
        assert_eq!(g(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(g(-f64::MAX), "-1.7976931348623157e+308");
        assert_eq!(g(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(g(5e-324), "5e-324");
        assert_eq!(g(1e100), "1e+100");
        assert_eq!(g(-1.5e-100), "-1.5e-100");
        assert_eq!(g(100.0), "100");
        assert_eq!(g(12.5), "12.5");
        // Exact ties between two shortest candidates: Go rounds half to even ...
        assert_eq!(g(2_087e12 + 0.25), "2.0870000000000002e+15");
        assert_eq!(g(2_087e12 + 0.75), "2.0870000000000008e+15");
        // ... unless the even one is below a power of two, where it would not round-trip.
        assert_eq!(g(2f64.powi(-24)), "5.960464477539063e-08");
    }

    #[test]
    fn float_g_round_trips() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                let text = g(v);
                assert_eq!(
                    text.parse::<f64>().ok().map(f64::to_bits),
                    Some(x),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn quote() {
        assert_eq!(q(b"a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(q(b""), r#""""#);
        assert_eq!(q(b"plain text 123"), r#""plain text 123""#);
        assert_eq!(q("é".as_bytes()), "\"é\"");
        assert_eq!(q("\u{a0}".as_bytes()), r#""\u00a0""#);
        assert_eq!(q("\u{ad}".as_bytes()), r#""\u00ad""#);
        assert_eq!(q("\u{85}".as_bytes()), r#""\u0085""#);
        assert_eq!(q("\u{200b}".as_bytes()), r#""\u200b""#);
        assert_eq!(q("\u{2028}".as_bytes()), r#""\u2028""#);
        assert_eq!(q("\u{378}".as_bytes()), r#""\u0378""#);
        assert_eq!(q("\u{1f600}".as_bytes()), "\"\u{1f600}\"");
        assert_eq!(q("\u{fffd}".as_bytes()), "\"\u{fffd}\"");
        assert_eq!(q("\u{e0001}".as_bytes()), r#""\U000e0001""#);
        assert_eq!(q("\u{10ffff}".as_bytes()), r#""\U0010ffff""#);
        // Unicode 14 addition, unassigned in Go 1.19's Unicode 13 (verified with promtool).
        assert_eq!(q("\u{1fae0}".as_bytes()), r#""\U0001fae0""#);
        assert_eq!(
            q(b"\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x7f"),
            r#""\x00\x01\a\b\t\n\v\f\r\x1b\x7f""#
        );
        // Invalid UTF-8: one `\x` per byte, decoding restarts at the next byte.
        assert_eq!(q(b"a\xffb"), r#""a\xffb""#);
        assert_eq!(q(b"\xc3a"), r#""\xc3a""#);
        assert_eq!(q(b"\xe2\x82"), r#""\xe2\x82""#);
        assert_eq!(q(b"\xed\xa0\x80"), r#""\xed\xa0\x80""#); // surrogate
        assert_eq!(q(b"\xc0\xaf"), r#""\xc0\xaf""#); // overlong
        assert_eq!(q(b"\xf4\x90\x80\x80"), r#""\xf4\x90\x80\x80""#); // > U+10FFFF
        assert_eq!(q(b"\xe2\x82\xac\x80"), "\"\u{20ac}\\x80\"");
    }

    #[test]
    fn labels() {
        let none: [(&[u8], &[u8]); 0] = [];
        assert_eq!(s(|o| push_labels(o, none)), "{}");
        let ls: [(&[u8], &[u8]); 3] = [
            (b"__name__", b"up"),
            (b"instance", b"a\"b\\c\nd"),
            (b"job", b"x y"),
        ];
        assert_eq!(
            s(|o| push_labels(o, ls)),
            r#"{__name__="up", instance="a\"b\\c\nd", job="x y"}"#
        );
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

    #[test]
    fn is_print_table_is_well_formed() {
        assert!(PRINT_BOUNDS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(PRINT_BOUNDS.len() % 2, 0);
        assert!(
            is_print(u32::from(' ')) && is_print(0xe9) && !is_print(0xa0) && !is_print(0x10ffff)
        );
    }
}
