//! The Go-regex translation, differentially: on patterns from the syntax Go's `regexp` and
//! the `regex` crate read alike (literals, `.`, classes without nesting or set operators,
//! groups, alternation, `* + ? {n,m}` greedy and lazy, anchors, escaped punctuation), the
//! translation claims to mean what the pattern means. Wherever both it and the `regex`
//! crate accept the pattern as written, a `=~` matcher must agree with `^(?s:pattern)$`
//! compiled directly, on every value tried. A pattern or value that is not UTF-8 never
//! panics either.
//!
//! Input: the pattern's tokens, one byte each, up to a 0 byte; then values, one byte a
//! character, separated by 0 bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::goregex::run(data));
