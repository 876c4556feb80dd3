//! XOR chunk data: the iterator and the batch decoder agree (samples and error), and
//! whatever decodes re-encodes to bytes that decode to the same samples.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::xor::run(data));
