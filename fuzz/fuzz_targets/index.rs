//! An index file: open, every symbol, label names and values, every postings list, and
//! every series the all-postings list names, then the full `verify_all`-style walk via
//! the public API.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::index::run(data));
