//! Decimal digits made in registers: eight at a time in one `u64`, sixteen in one `u128`.
//!
//! Hand-written rather than `itoa`'s, because a dump line writes its numbers into a
//! fixed-size slot: `itoa` builds the text in its own buffer, which must then be copied
//! with a length known only at run time (a `memcpy` call per number), while a word of
//! ASCII digits is stored whole, and the bytes past the number are overwritten by whatever
//! comes next. The split into digits is the usual SWAR one: two 4-digit halves in 32-bit
//! lanes, then 2-digit pairs in 16-bit lanes, then single digits in bytes, each step one
//! multiplication by a reciprocal (exact for the ranges each lane holds).

/// `'0'` in every byte.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `n` (`n < 10^8`), zero-padded, as the bytes of a
/// little-endian word: the most significant digit in the lowest byte, so that
/// `to_le_bytes` gives the text. Each lane stays below the bound its reciprocal is exact
/// for: `x·5243 >> 19 = x / 100` for `x < 43,699`, `x·103 >> 10 = x / 10` for `x < 179`.
#[inline]
pub(crate) fn digits8(n: u32) -> u64 {
    debug_assert!(n < 100_000_000);
    let n = u64::from(n % 100_000_000);
    // The first four digits in the low lane, the last four in the high one.
    let x = (n / 10_000) | ((n % 10_000) << 32);
    let hundreds = ((x * 5243) >> 19) & 0x0000_007F_0000_007F;
    let x = hundreds | ((x - hundreds * 100) << 16);
    let tens = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
    let x = tens | ((x - tens * 10) << 8);
    x | ASCII_ZEROS
}

/// The digits of `n` (`n < 10^16`) without leading zeros, in the low bytes of a
/// little-endian `u128`, and how many there are (1 for 0).
#[inline]
pub(crate) fn digits16(n: u64) -> (u128, usize) {
    debug_assert!(n < 10_000_000_000_000_000);
    let (hi, lo) = (n / 100_000_000, (n % 100_000_000) as u32);
    if hi == 0 {
        let (w, len) = strip(digits8(lo));
        return (u128::from(w), len);
    }
    let (w, len) = strip(digits8((hi % 100_000_000) as u32));
    (
        u128::from(w) | (u128::from(digits8(lo)) << (8 * len)),
        len + 8,
    )
}

/// A zero-padded word of eight digits without its leading zeros (keeping one for 0),
/// and the digits left.
#[inline]
fn strip(word: u64) -> (u64, usize) {
    let zeros = ((word ^ ASCII_ZEROS).trailing_zeros() / 8).min(7) as usize;
    (word >> (8 * zeros), 8 - zeros)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text8(n: u32) -> String {
        String::from_utf8(digits8(n).to_le_bytes().to_vec()).unwrap()
    }

    fn text16(n: u64) -> String {
        let (w, len) = digits16(n);
        String::from_utf8(w.to_le_bytes()[..len].to_vec()).unwrap()
    }

    #[test]
    fn eight_digits_at_lane_edges_and_a_stride_through_all() {
        for n in (0..100_000_000u32)
            .step_by(9_973)
            .chain(0..20_000)
            .chain(99_980_000..100_000_000)
            .chain([9_999, 10_000, 10_001, 99_999_999])
        {
            assert_eq!(text8(n), format!("{n:08}"), "{n}");
        }
    }

    #[test]
    fn sixteen_digits_without_leading_zeros() {
        let mut n = 1u64;
        for _ in 0..16 {
            for m in [n - 1, n, n + 1, n * 9 / 7, n * 5 + 3] {
                if m < 10_000_000_000_000_000 {
                    assert_eq!(text16(m), m.to_string(), "{m}");
                }
            }
            n *= 10;
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = (x % 10_000_000_000_000_000) >> (x % 50);
            assert_eq!(text16(m), m.to_string(), "{m}");
        }
    }
}
