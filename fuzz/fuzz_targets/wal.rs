//! A WAL segment: the page and fragment reader (CRCs, snappy, zstd) and the record
//! decoder on every record it yields never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tsblock::wlog::reader::RecordReader;

fuzz_target!(|data: &[u8]| {
    let mut r = RecordReader::new(data);
    for _ in 0..10_000 {
        match r.next_record() {
            Ok(Some(rec)) => {
                let _ = tsblock::record::decode(rec.data);
            }
            _ => break,
        }
    }
});
