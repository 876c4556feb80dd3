//! A tombstones file and a meta.json: parsing never panics; parsed tombstones encode to
//! bytes that parse to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tsblock::meta::BlockMeta;
use tsblock::tombstones::Tombstones;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = Tombstones::parse(data) {
        let again = Tombstones::parse(&t.encode()).expect("re-encoded tombstones");
        assert_eq!(again, t);
    }
    let _ = BlockMeta::from_slice(data);
});
