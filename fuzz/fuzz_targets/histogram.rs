//! Histogram and float-histogram chunk data: decoding never panics; every sample that
//! decodes can be read back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tsblock::chunkenc::{FloatHistogramIter, HistogramIter};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut it) = HistogramIter::new(data) {
        while let Some(Ok(_)) = it.next() {
            let h = it.at();
            let _ = h.positive_buckets.len() + h.negative_buckets.len();
        }
    }
    if let Ok(mut it) = FloatHistogramIter::new(data) {
        while let Some(Ok(_)) = it.next() {
            let h = it.at();
            let _ = h.positive_buckets.len() + h.negative_buckets.len();
        }
    }
});
