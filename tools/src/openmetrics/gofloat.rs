//! Go's `strconv.ParseFloat` and `int64(float64)`, bit for bit, for OpenMetrics values
//! and timestamps: correctly rounded like Go, with Go's quirks (an exponent read to its
//! first five significant digits, the 800-digit slow path), and no hex floats or `_`, as
//! Prometheus restricts them. Hand-written because Rust's `f64::from_str` accepts other
//! spellings and rounds the 800-digit case differently.

use super::GO_NAN_BITS;

/// Go's `int64(f)` for finite or infinite `f` on amd64 (CVTTSD2SQ).
#[inline]
fn go_f64_to_i64(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// Seconds to milliseconds as promtool converts timestamps.
#[inline]
pub(super) fn seconds_to_millis(seconds: f64) -> i64 {
    go_f64_to_i64(seconds * 1000.0)
}

/// `strconv.ParseFloat(s, 64)` restricted as Prometheus restricts it (no `p`,
/// `P` or `_`, so no hex floats): `None` where Go returns an error, including
/// overflow to infinity.
///
/// Correctly rounded like Go, with Go's quirks: an exponent is read only up
/// to its first five significant digits, and when the integer part has more
/// than 800 significant digits and Go's fast paths give up, Go's slow path
/// places the decimal point after the 800th digit.
pub(super) fn parse_go_float(s: &[u8]) -> Option<f64> {
    let (neg, rest) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let signed = rest.len() != s.len();
    // Fast path: plain integers that f64 holds exactly.
    if !rest.is_empty() && rest.len() <= 15 && rest.iter().all(u8::is_ascii_digit) {
        let mut m = 0u64;
        for &d in rest {
            m = m * 10 + u64::from(d - b'0');
        }
        let v = m as f64;
        return Some(if neg { -v } else { v });
    }
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if rest.eq_ignore_ascii_case(b"nan") {
        return if signed {
            None
        } else {
            Some(f64::from_bits(GO_NAN_BITS))
        };
    }

    // Mantissa: digits with at most one '.', at least one digit.
    let mut i = 0;
    let mut digits = false;
    let mut dot = false;
    // Significant digits (from the first non-zero one) and how many of them
    // precede the '.'.
    let mut nd = 0usize;
    let mut int_nd = 0usize;
    while i < rest.len() {
        match rest[i] {
            b'0' if nd == 0 => digits = true,
            b'0'..=b'9' => {
                digits = true;
                nd += 1;
            }
            b'.' if !dot => {
                dot = true;
                int_nd = nd;
            }
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return None;
    }
    if !dot {
        int_nd = nd;
    }
    let mantissa_end = i;

    // Exponent, accumulated as Go does: digits stop counting once it
    // reaches 10000.
    let mut exp: i64 = 0;
    let mut exp_clamped = false;
    if i < rest.len() && (rest[i] | 0x20) == b'e' {
        i += 1;
        let mut eneg = false;
        if i < rest.len() && (rest[i] == b'+' || rest[i] == b'-') {
            eneg = rest[i] == b'-';
            i += 1;
        }
        let es = i;
        while i < rest.len() && rest[i].is_ascii_digit() {
            if exp < 10000 {
                exp = exp * 10 + i64::from(rest[i] - b'0');
            } else {
                exp_clamped = true;
            }
            i += 1;
        }
        if i == es {
            return None;
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != rest.len() {
        return None;
    }
    let text = std::str::from_utf8(rest).ok()?;
    let mantissa_text = &text[..mantissa_end];

    let v = if int_nd > 800 {
        go_long_integer_part(mantissa_text, exp)
    } else if exp_clamped {
        format!("{mantissa_text}e{exp}").parse().ok()?
    } else {
        text.parse().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Go's result for a non-negative mantissa (`digits[.digits]`, no sign)
/// whose integer part has more than 800 significant digits, times `10^exp`.
fn go_long_integer_part(mantissa_text: &str, exp: i64) -> f64 {
    let significant: String = mantissa_text
        .chars()
        .filter(|&c| c != '.')
        .skip_while(|&c| c == '0')
        .collect();
    // Go's readFloat: the first 19 significant digits, whether a non-zero
    // digit was dropped, and the decimal point position.
    let mut man = 0u64;
    let mut nd_mant = 0i64;
    let mut trunc = false;
    for b in significant.bytes() {
        if nd_mant < 19 {
            man = man * 10 + u64::from(b - b'0');
            nd_mant += 1;
        } else if b != b'0' {
            trunc = true;
        }
    }
    let int_nd = mantissa_text
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_start_matches('0')
        .len() as i64;
    let exp10 = int_nd + exp - nd_mant;
    if let Some(f) = go_fast_path(man, exp10, trunc) {
        return f;
    }
    // Go's slow path keeps 800 digits and takes their count as the position
    // of the decimal point.
    format!("0.{significant}e{}", 800 + exp)
        .parse()
        .unwrap_or(f64::INFINITY)
}

/// Go's `atof64exact` then `eiselLemire64` attempts for `man * 10^exp10`;
/// `None` where Go falls back to its slow path.
fn go_fast_path(man: u64, exp10: i64, trunc: bool) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if !trunc && man >> 52 == 0 {
        let f = man as f64;
        match exp10 {
            0 => return Some(f),
            1..=37 => {
                let (mut f, mut e) = (f, exp10 as usize);
                if e > 22 {
                    f *= POW10[e - 22];
                    e = 22;
                }
                if f <= 1e15 {
                    return Some(f * POW10[e]);
                }
            }
            -22..=-1 => return Some(f / POW10[(-exp10) as usize]),
            _ => {}
        }
    }
    let f = go_eisel_lemire(man, exp10)?;
    if !trunc {
        return Some(f);
    }
    let up = go_eisel_lemire(man + 1, exp10)?;
    (f == up).then_some(f)
}

/// Go's `eiselLemire64` for a positive value.
fn go_eisel_lemire(man: u64, exp10: i64) -> Option<f64> {
    if man == 0 {
        return Some(0.0);
    }
    if !(-348..=347).contains(&exp10) {
        return None;
    }
    let clz = man.leading_zeros();
    let man = man << clz;
    let mut ret_exp2 = ((217_706 * exp10) >> 16) as u64;
    ret_exp2 = ret_exp2
        .wrapping_add(64 + 1023)
        .wrapping_sub(u64::from(clz));
    let (pow_hi, pow_lo) = go_pow10_mantissa(exp10);
    let mul = |a: u64, b: u64| {
        let p = u128::from(a) * u128::from(b);
        ((p >> 64) as u64, p as u64)
    };
    let (mut x_hi, mut x_lo) = mul(man, pow_hi);
    if x_hi & 0x1FF == 0x1FF && x_lo.wrapping_add(man) < man {
        let (y_hi, y_lo) = mul(man, pow_lo);
        let mut merged_hi = x_hi;
        let merged_lo = x_lo.wrapping_add(y_hi);
        if merged_lo < x_lo {
            merged_hi += 1;
        }
        if merged_hi & 0x1FF == 0x1FF
            && merged_lo.wrapping_add(1) == 0
            && y_lo.wrapping_add(man) < man
        {
            return None;
        }
        x_hi = merged_hi;
        x_lo = merged_lo;
    }
    let msb = x_hi >> 63;
    let mut ret_man = x_hi >> (msb + 9);
    ret_exp2 = ret_exp2.wrapping_sub(1 ^ msb);
    if x_lo == 0 && x_hi & 0x1FF == 0 && ret_man & 3 == 1 {
        return None;
    }
    ret_man += ret_man & 1;
    ret_man >>= 1;
    if ret_man >> 53 > 0 {
        ret_man >>= 1;
        ret_exp2 = ret_exp2.wrapping_add(1);
    }
    if ret_exp2.wrapping_sub(1) >= 0x7FF - 1 {
        return None;
    }
    Some(f64::from_bits(
        ret_exp2 << 52 | ret_man & 0x000F_FFFF_FFFF_FFFF,
    ))
}

/// The 128-bit mantissa of `10^q`, rounded down, as (high, low) halves: the
/// entries of Go's `detailedPowersOfTen` table, computed on demand.
pub(super) fn go_pow10_mantissa(q: i64) -> (u64, u64) {
    // Little-endian u32 limbs.
    fn bit_len(x: &[u32]) -> usize {
        x.iter()
            .rposition(|&l| l != 0)
            .map_or(0, |i| i * 32 + 32 - x[i].leading_zeros() as usize)
    }
    fn top_128(x: &[u32]) -> (u64, u64) {
        let len = bit_len(x);
        let mut v: u128 = 0;
        for k in (len.saturating_sub(128)..len).rev() {
            v = v << 1 | u128::from(x[k / 32] >> (k % 32) & 1);
        }
        v <<= 128usize.saturating_sub(len);
        ((v >> 64) as u64, v as u64)
    }
    let n = q.unsigned_abs() as usize;
    // 10^q has the mantissa of 5^q.
    let mut five: Vec<u32> = vec![1];
    for _ in 0..n {
        let mut carry = 0u64;
        for l in five.iter_mut() {
            let v = u64::from(*l) * 5 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            five.push(carry as u32);
        }
    }
    if q >= 0 {
        return top_128(&five);
    }
    // floor(2^(len+127) / 5^n) has 128 bits; divide by 5 n times.
    let m = bit_len(&five) + 127;
    let mut x = vec![0u32; m / 32 + 1];
    x[m / 32] = 1 << (m % 32);
    for _ in 0..n {
        let mut rem = 0u64;
        for l in x.iter_mut().rev() {
            let v = rem << 32 | u64::from(*l);
            *l = (v / 5) as u32;
            rem = v % 5;
        }
    }
    top_128(&x)
}
