//! PromQL selectors (with Go regexes translated for the `regex` crate): parsing never
//! panics, and a parsed selector printed and parsed again is the same selector.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tsblock::query::Selector;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sel) = text.parse::<Selector>() {
        let printed = sel.to_string();
        let again: Selector = printed.parse().expect("printed selector parses");
        assert_eq!(again.to_string(), printed);
        for m in sel.matchers() {
            let _ = m.matches(b"");
            let _ = m.matches(data);
        }
    }
});
