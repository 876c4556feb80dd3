//! ULIDs: block names. 48 bits of Unix milliseconds then 80 random bits, written as 26
//! Crockford base32 characters.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A 128-bit ULID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ulid(pub u128);

impl Ulid {
    /// A ULID from a millisecond timestamp (low 48 bits) and 80 random bits.
    pub fn from_parts(millis: u64, random: u128) -> Ulid {
        Ulid((u128::from(millis & 0xffff_ffff_ffff) << 80) | (random & ((1 << 80) - 1)))
    }

    /// A new ULID for the current time. The random part comes from the standard library's
    /// per-process random hash keys (not cryptographic; ULIDs only need to be unique).
    pub fn new() -> Ulid {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let state = std::collections::hash_map::RandomState::new();
        let mut random = 0u128;
        for i in 0..2u64 {
            let mut h = state.build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_u128(now.as_nanos());
            h.write_u64(i);
            random = (random << 64) | u128::from(h.finish());
        }
        Ulid::from_parts(now.as_millis() as u64, random)
    }

    /// The timestamp part in milliseconds.
    pub fn millis(self) -> u64 {
        (self.0 >> 80) as u64
    }
}

impl Default for Ulid {
    fn default() -> Self {
        Ulid::new()
    }
}

impl fmt::Display for Ulid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 26];
        for (i, c) in out.iter_mut().enumerate() {
            let shift = 5 * (25 - i);
            *c = ALPHABET[((self.0 >> shift) & 31) as usize];
        }
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// Not a ULID string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ULID {0:?}: expected 26 Crockford base32 characters, the first at most 7")]
pub struct UlidError(pub String);

impl FromStr for Ulid {
    type Err = UlidError;

    fn from_str(s: &str) -> Result<Ulid, UlidError> {
        if !crate::db::is_ulid(s) {
            return Err(UlidError(s.to_string()));
        }
        let mut v = 0u128;
        for b in s.bytes() {
            let d = ALPHABET
                .iter()
                .position(|&a| a == b.to_ascii_uppercase())
                .ok_or_else(|| UlidError(s.to_string()))?;
            v = (v << 5) | d as u128;
        }
        Ok(Ulid(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders_by_time() {
        let u: Ulid = "01M8D13N1WHQPF0T7CZAC5B35Y".parse().unwrap();
        assert_eq!(u.to_string(), "01M8D13N1WHQPF0T7CZAC5B35Y");
        assert_eq!(
            "7ZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<Ulid>().unwrap().0,
            u128::MAX
        );
        assert!("8ZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<Ulid>().is_err());
        let a = Ulid::from_parts(1000, u128::MAX);
        let b = Ulid::from_parts(1001, 0);
        assert!(a < b && a.to_string() < b.to_string());
        assert_eq!(b.millis(), 1001);
        assert_ne!(Ulid::new(), Ulid::new());
        assert!(crate::db::is_ulid(&Ulid::new().to_string()));
    }
}
