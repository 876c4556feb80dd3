//! PromQL selectors (with Go regexes translated for the `regex` crate): parsing never
//! panics, and a parsed selector printed and parsed again is the same selector.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::selector::run(data));
