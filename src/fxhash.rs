//! FxHash, the multiply-rotate hash rustc uses, for the writers' in-memory maps (series
//! by labels, symbols): SipHash, the standard library's default, was a fifth of the time
//! of writing a million small series. Eight lines, so no crate: the keys are the caller's
//! own labels, not an adversary's, and a collision costs a comparison, never a wrong
//! answer.

use std::hash::Hasher;

/// FxHash (as in rustc): fast for short keys; not DoS-resistant (see the module docs).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        if let Some(dst) = w.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.add(u64::from_le_bytes(w) ^ (rest.len() as u64) << 56);
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}
