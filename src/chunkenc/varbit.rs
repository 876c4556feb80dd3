//! Variable-width integers in the bit stream (`varbit.go`): a unary prefix of up to eight
//! 1-bits picks the payload width.
//!
//! | prefix | payload bits | signed range | unsigned range |
//! |---|---|---|---|
//! | `0` | 0 | 0 | 0 |
//! | `10` | 3 | −3..=4 | ..=7 |
//! | `110` | 6 | −31..=32 | ..=63 |
//! | `1110` | 9 | −255..=256 | ..=511 |
//! | `11110` | 12 | −2047..=2048 | ..=4095 |
//! | `111110` | 18 | −131071..=131072 | ..=262143 |
//! | `1111110` | 25 | −16777215..=16777216 | ..=33554431 |
//! | `11111110` | 56 | −(2^55−1)..=2^55 | ..=2^56−1 |
//! | `11111111` | 64 | anything | anything |
//!
//! Signed payloads use Prometheus's asymmetric ranges: the pattern `100…0` is `+2^(n−1)`.

use super::bstream::{BitReader, BitWriter, EndOfStream};

/// Payload width for a prefix of `ones` 1-bits (0..=8).
const WIDTHS: [u32; 9] = [0, 3, 6, 9, 12, 18, 25, 56, 64];

/// Reads the prefix: the number of leading 1-bits, at most 8.
#[inline]
fn read_prefix(br: &mut BitReader<'_>) -> Result<usize, EndOfStream> {
    let w = br.peek(9);
    // Leading ones of the 9-bit window; a 0 ends the prefix (and is consumed).
    let ones = ((!w << 55).leading_zeros() as usize).min(8);
    br.consume(if ones == 8 { 8 } else { ones as u32 + 1 })?;
    Ok(ones)
}

/// The payload width after `ones` prefix bits (`ones` is at most 8, the table's end).
#[inline(always)]
fn width(ones: usize) -> u32 {
    WIDTHS.get(ones).copied().unwrap_or(64)
}

/// Reads a signed varbit integer (`readVarbitInt`).
#[inline]
pub(crate) fn read_varbit_int(br: &mut BitReader<'_>) -> Result<i64, EndOfStream> {
    let ones = read_prefix(br)?;
    let n = width(ones);
    match n {
        0 => Ok(0),
        64 => Ok(br.read(64)? as i64),
        _ => {
            let bits = br.read(n)?;
            if bits > 1 << (n - 1) {
                Ok(bits.wrapping_sub(1 << n) as i64)
            } else {
                Ok(bits as i64)
            }
        }
    }
}

/// Reads an unsigned varbit integer (`readVarbitUint`).
#[inline]
pub(crate) fn read_varbit_uint(br: &mut BitReader<'_>) -> Result<u64, EndOfStream> {
    let ones = read_prefix(br)?;
    match width(ones) {
        0 => Ok(0),
        n => br.read(n),
    }
}

/// Writes a signed varbit integer (`putVarbitInt`).
pub(crate) fn put_varbit_int(w: &mut BitWriter, v: i64) {
    let fits = |n: u32| -((1i64 << (n - 1)) - 1) <= v && v <= 1i64 << (n - 1);
    match WIDTHS[1..8].iter().position(|&n| fits(n)) {
        _ if v == 0 => w.write_bit(false),
        Some(i) => {
            let ones = i as u32 + 1;
            // `ones` 1-bits then a 0; the 56-bit bucket (7 ones) still has its 0.
            w.write_bits((1u64 << (ones + 1)) - 2, ones + 1);
            let n = width(ones as usize);
            w.write_bits((v as u64) & ((1u64 << n) - 1), n);
        }
        None => {
            w.write_bits(0xff, 8);
            w.write_bits(v as u64, 64);
        }
    }
}

/// Writes an unsigned varbit integer (`putVarbitUint`).
pub(crate) fn put_varbit_uint(w: &mut BitWriter, v: u64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    match WIDTHS[1..8].iter().position(|&n| v < 1u64 << n) {
        Some(i) => {
            let ones = i as u32 + 1;
            w.write_bits((1u64 << (ones + 1)) - 2, ones + 1);
            w.write_bits(v, width(ones as usize));
        }
        None => {
            w.write_bits(0xff, 8);
            w.write_bits(v, 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip_int(values: &[i64]) {
        let mut w = BitWriter::new();
        for &v in values {
            put_varbit_int(&mut w, v);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        for &v in values {
            assert_eq!(read_varbit_int(&mut r), Ok(v), "{v}");
        }
    }

    #[test]
    fn signed_bucket_edges() {
        let mut vs = vec![0, i64::MIN, i64::MAX, -1, 1];
        for n in [3u32, 6, 9, 12, 18, 25, 56] {
            let hi = 1i64 << (n - 1);
            vs.extend([hi, hi + 1, -(hi - 1), -hi, hi - 1]);
        }
        round_trip_int(&vs);
    }

    #[test]
    fn widths_match_go() {
        // Go's putVarbitInt: 4 fits `10`+3 bits, -4 needs `110`+6 bits.
        let bits = |v: i64| {
            let mut w = BitWriter::new();
            put_varbit_int(&mut w, v);
            w.finish()
        };
        assert_eq!(bits(0), [0x00]);
        assert_eq!(bits(4), [0b1010_0000]);
        assert_eq!(bits(-4), [0b1101_1110, 0]);
        let ubits = |v: u64| {
            let mut w = BitWriter::new();
            put_varbit_uint(&mut w, v);
            w.finish()
        };
        assert_eq!(ubits(7), [0b1011_1000]);
        assert_eq!(ubits(8), [0b1100_0100, 0]);
    }

    #[test]
    fn unsigned_round_trip() {
        let mut vs = vec![0u64, 1, u64::MAX];
        for n in [3u32, 6, 9, 12, 18, 25, 56] {
            vs.extend([(1u64 << n) - 1, 1u64 << n]);
        }
        let mut w = BitWriter::new();
        for &v in &vs {
            put_varbit_uint(&mut w, v);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        for &v in &vs {
            assert_eq!(read_varbit_uint(&mut r), Ok(v));
        }
    }

    #[test]
    fn truncated_is_an_error() {
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(read_varbit_int(&mut r), Err(EndOfStream));
        let mut r = BitReader::new(&[]);
        assert_eq!(read_varbit_uint(&mut r), Err(EndOfStream));
    }
}
