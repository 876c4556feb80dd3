//! XOR chunk data: the iterator and the batch decoder agree (samples and error), and
//! whatever decodes re-encodes to bytes that decode to the same samples.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tsblock::chunkenc::{XorAppender, XorIter};

fuzz_target!(|data: &[u8]| {
    let Ok(it) = XorIter::new(data) else {
        return;
    };
    let by_next: Vec<_> = it.collect();
    let ok: Vec<(i64, u64)> = by_next
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|(t, v)| (*t, v.to_bits())))
        .collect();
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    let r = XorIter::new(data)
        .map(|mut it| it.decode_into(&mut ts, &mut vs))
        .unwrap_or(Ok(()));
    let batch: Vec<(i64, u64)> = ts
        .iter()
        .copied()
        .zip(vs.iter().map(|v| v.to_bits()))
        .collect();
    assert_eq!(batch, ok);
    assert_eq!(r.err(), by_next.last().and_then(|r| r.clone().err()));
    // Re-encode what decoded (the appender takes any i64/f64 in order given).
    let mut app = XorAppender::new();
    for &(t, v) in ok.iter().take(u16::MAX as usize) {
        app.append(t, f64::from_bits(v));
    }
    let again: Vec<(i64, u64)> = XorIter::new(&app.finish())
        .map(|it| {
            it.map(|r| r.map(|(t, v)| (t, v.to_bits())).expect("re-encoded"))
                .collect()
        })
        .expect("header");
    assert_eq!(again, ok);
});
