//! A tombstones file and a meta.json: parsing never panics; parsed tombstones encode to
//! bytes that parse to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::tombstones_meta::run(data));
