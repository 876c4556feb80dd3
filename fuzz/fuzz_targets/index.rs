//! An index file: open, every symbol, label names and values, every postings list, and
//! every series the all-postings list names, then the full `verify_all`-style walk via
//! the public API.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tsblock::index::Index;

fuzz_target!(|data: &[u8]| {
    let Ok(index) = Index::new(data) else {
        return;
    };
    for s in index.symbols().take(10_000) {
        if s.is_err() {
            break;
        }
    }
    let _ = index.check_tables();
    if let Ok(names) = index.label_names() {
        for name in names.iter().take(100) {
            if let Ok(values) = index.label_values(name) {
                for v in values.iter().take(100) {
                    if let Ok(p) = index.postings(name, v) {
                        let _ = p.into_refs().take(10_000).count();
                    }
                }
            }
        }
    }
    let (mut labels, mut chunks) = (Vec::new(), Vec::new());
    if let Ok(all) = index.all_postings() {
        for id in all.into_refs().take(10_000) {
            let _ = index.series(id, &mut labels, &mut chunks);
        }
    }
    let _ = index.verify();
});
