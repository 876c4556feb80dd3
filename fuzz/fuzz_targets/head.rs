//! The head of a data directory: WAL segments and checkpoints (pages, fragments, snappy
//! and zstd, every record type), `chunks_head/` files, a chunk snapshot and the
//! out-of-order WBL, replayed by `Db::open` as promtool would, then every series and
//! sample selected. Nothing panics, and every loop ends.
//!
//! Input: a mode byte (bit 0: read instead of map), then files, each a 1-byte name length,
//! the name (a path under the data directory, one of the head's: see `allowed`), a 4-byte
//! big-endian length and that many bytes. They are written to a fresh directory under
//! `/dev/shm` for each input, since the head is found by listing a directory.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsblock_fuzz::head::run(data));
