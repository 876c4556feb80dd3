//! A whole block opened from an in-memory directory (`Block::from_files`): every series
//! with every sample, selections with matchers (equality, regex, negations) and time
//! ranges, label names and values, and `verify`. Nothing panics, and every loop ends.
//!
//! Input: files, each a 4-byte big-endian length and that many bytes (a length past the
//! end takes what is left): `meta.json`, `index`, `tombstones` (empty: none), then the
//! chunk segments `000001`, `000002`, … `seed.sh` packs the fixture blocks this way.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::block::run(data));
