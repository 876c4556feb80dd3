//! A WAL segment: the page and fragment reader (CRCs, snappy, zstd) and the record
//! decoders (WAL records and chunk snapshot records) on every record it yields never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::wal::run(data));
