//! Histogram and float-histogram chunk data: decoding never panics; every sample that
//! decodes can be read back; and samples that decode and that the appender takes as they
//! are (`append_raw`: no appendability rules), under the same header, re-encode to a chunk that decodes to the same
//! samples.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::histogram::run(data));
