//! The fuzz targets' bodies, one module each with `run(data)`: the `cargo fuzz` binaries in
//! `fuzz_targets/` call them, and `tests/fuzz_mutations.rs` in the main crate includes this
//! file to run every body over seeded mutations of the fixtures as part of `cargo test`.
//! Each body checks its own invariants with `assert!`: a panic is a finding.
#![allow(clippy::missing_panics_doc)]

use tsblock::query::Selector;
use tsblock::Querier;

/// Selects the series `selector` matches in `[lo, hi]` and reads their samples, at most
/// `budget` in all (a hostile input may hold billions); the parsed selector, if it parsed.
fn select_all<Q: Querier>(
    q: &Q,
    selector: &str,
    lo: i64,
    hi: i64,
    budget: &mut usize,
) -> Option<Selector> {
    let sel = selector.parse::<Selector>().ok()?;
    if let Ok(set) = q.select(sel.matchers(), lo, hi) {
        for series in set.take(10_000) {
            let Ok(series) = series else { break };
            for s in series.samples().take(*budget) {
                *budget = budget.saturating_sub(1);
                if s.is_err() {
                    break;
                }
            }
        }
    }
    Some(sel)
}

/// An index file: open, every symbol, label names and values, every postings list, and
/// every series the all-postings list names, then the full `verify_all`-style walk via
/// the public API.
pub mod index {
    use tsblock::index::Index;

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
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
    }
}

/// XOR chunk data: the iterator and the batch decoder agree (samples and error), and
/// whatever decodes re-encodes to bytes that decode to the same samples.
pub mod xor {
    use tsblock::chunkenc::{XorAppender, XorIter};

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
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
    }
}

/// Histogram and float-histogram chunk data: decoding never panics; every sample that
/// decodes can be read back; and samples that decode and that the appender takes as they
/// are (`append_raw`: no appendability rules), under the same header, re-encode to a chunk
/// that decodes to the same samples.
pub mod histogram {
    use tsblock::chunkenc::{
        FloatHistogramAppender, FloatHistogramIter, HistogramAppender, HistogramIter,
    };

    /// Prometheus's stale marker, a NaN with this bit pattern.
    const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

    /// Decodes samples with `$iter`, re-encodes them with `$app` and checks the round trip.
    macro_rules! round_trip {
        ($data:expr, $iter:ident, $app:ident) => {{
            let mut samples = Vec::new();
            let mut app = $app::new();
            if let Ok(mut it) = $iter::new($data) {
                // The chunk's header (counter reset, gauge) is part of each sample's hint.
                app.set_counter_reset_header(it.counter_reset_header());
                while let Some(Ok(t)) = it.next() {
                    let h = it.at();
                    let _ = h.positive_buckets.len() + h.negative_buckets.len();
                    samples.push((t, h.clone()));
                }
            }
            // A stale marker decodes without the chunk's layout and counts (as in Go), and Go's
            // appender takes only stale markers after one: a chunk with a live sample after a
            // stale one cannot be rebuilt from its samples.
            let stale = |sum: f64| sum.to_bits() == STALE_NAN;
            let live_after_stale = samples
                .iter()
                .skip_while(|(_, h)| !stale(h.sum))
                .any(|(_, h)| !stale(h.sum));
            if !samples.is_empty()
                && !live_after_stale
                && samples.iter().all(|(t, h)| app.append_raw(*t, h).is_ok())
            {
                let chunk = app.finish();
                let mut it = $iter::new(&chunk).expect("re-encoded header");
                let mut again = Vec::new();
                while let Some(r) = it.next() {
                    again.push((r.expect("re-encoded sample"), it.at().clone()));
                }
                // Go writes a custom bound that is a multiple of 0.001 as an integer, and a
                // zero threshold of 0 as one byte, so -0.0 comes back as 0.0 in both; Debug
                // text makes NaN sums compare equal.
                for (_, h) in samples.iter_mut() {
                    h.custom_values.iter_mut().for_each(|v| *v += 0.0);
                    h.zero_threshold += 0.0;
                }
                assert_eq!(format!("{again:?}"), format!("{samples:?}"));
            }
        }};
    }

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
        round_trip!(data, HistogramIter, HistogramAppender);
        round_trip!(data, FloatHistogramIter, FloatHistogramAppender);
    }
}

/// A tombstones file and a meta.json: parsing never panics; parsed tombstones encode
/// canonically (re-encoding what they parse to gives the same bytes).
pub mod tombstones_meta {
    use tsblock::meta::BlockMeta;
    use tsblock::tombstones::Tombstones;

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
        if let Ok(t) = Tombstones::parse(data) {
            // The encoding is canonical (merged intervals, one stone each): what a file
            // parses to encodes to bytes that parse to the same intervals and encode to the
            // same bytes. (The stone count may shrink: overlapping stones merge.)
            let bytes = t.encode();
            let again = Tombstones::parse(&bytes).expect("re-encoded tombstones");
            assert_eq!(again.encode(), bytes);
            assert_eq!(Tombstones::parse(&again.encode()).ok(), Some(again));
        }
        let _ = BlockMeta::from_slice(data);
    }
}

/// PromQL selectors (with Go regexes translated for the `regex` crate): parsing never
/// panics, and a parsed selector printed and parsed again is the same selector.
pub mod selector {
    use tsblock::query::Selector;

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
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
    }
}

/// A WAL segment: the page and fragment reader (CRCs, snappy, zstd) and the record
/// decoders (WAL records and chunk snapshot records) on every record it yields never panic.
pub mod wal {
    use tsblock::wlog::reader::RecordReader;

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
        let mut r = RecordReader::new(data);
        for _ in 0..10_000 {
            match r.next_record() {
                Ok(Some(rec)) => {
                    let _ = tsblock::record::decode(rec.data);
                    // The same pages carry chunk snapshot records.
                    let _ = tsblock::head::snapshot::decode(rec.data);
                }
                _ => break,
            }
        }
    }
}

/// A whole block opened from an in-memory directory (`Block::from_files`): every series
/// with every sample, selections with matchers (equality, regex, negations) and time
/// ranges, label names and values, and `verify`. Nothing panics, and every loop ends.
///
/// Input: files, each a 4-byte big-endian length and that many bytes (a length past the
/// end takes what is left): `meta.json`, `index`, `tombstones` (empty: none), then the
/// chunk segments `000001`, `000002`, … `seed.sh` packs the fixture blocks this way.
pub mod block {
    use tsblock::block::{BlockFiles, DynSource};
    use tsblock::{Block, Querier};

    /// The files packed in `data`.
    fn unpack(mut data: &[u8]) -> Vec<&[u8]> {
        let mut files = Vec::new();
        while data.len() >= 4 && files.len() < 8 {
            let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            let rest = &data[4..];
            let (file, after) = rest.split_at(len.min(rest.len()));
            files.push(file);
            data = after;
        }
        files
    }

    /// Walks at most this many samples per pass: a hostile block may hold billions.
    const SAMPLE_BUDGET: usize = 100_000;

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
        let files = unpack(data);
        let [meta, index, tombstones, segments @ ..] = files.as_slice() else {
            return;
        };
        let source = |b: &[u8]| -> DynSource { Box::new(b.to_vec()) };
        let files = BlockFiles {
            meta_json: meta.to_vec(),
            index: source(index),
            segments: segments
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("{:06}", i + 1), source(s)))
                .collect(),
            tombstones: (!tombstones.is_empty()).then(|| source(tombstones)),
        };
        let Ok(block) = Block::from_files("01FUZZ00000000000000000000", files) else {
            return;
        };
        // Every series, every chunk, as stored.
        let mut budget = SAMPLE_BUDGET;
        if let Ok(series) = block.series() {
            for entry in series.take(10_000) {
                let Ok(entry) = entry else { break };
                for meta in entry.chunks.iter().take(1_000) {
                    let Ok(chunk) = block.chunk(meta.chunk_ref) else {
                        continue;
                    };
                    let _ = chunk.num_samples();
                }
                budget = budget.saturating_sub(1);
            }
        }
        // Selections through the query layer: postings, matchers, merge, tombstones.
        let (mint, maxt) = (block.meta().min_time, block.meta().max_time);
        for (text, lo, hi) in [
            ("{__name__=~\".+\"}", i64::MIN, i64::MAX),
            ("{__name__!=\"\", job=~\"a.*|b\"}", mint, maxt),
            (
                "{instance!~\"x.*\", __name__=~\".*_total\"}",
                mint,
                maxt / 2 + mint / 2,
            ),
        ] {
            if let Some(sel) = super::select_all(&block, text, lo, hi, &mut budget) {
                let _ = block.label_names(sel.matchers());
                let _ = block.label_values(b"__name__", sel.matchers());
            }
        }
        let _ = block.verify();
    }
}

/// The Go-regex translation, differentially: on patterns from the syntax Go's `regexp` and
/// the `regex` crate read alike (literals, `.`, classes without nesting or set operators,
/// groups, alternation, `* + ? {n,m}` greedy and lazy, anchors, escaped punctuation), the
/// translation claims to mean what the pattern means. Wherever both it and the `regex`
/// crate accept the pattern as written, a `=~` matcher must agree with `^(?s:pattern)$`
/// compiled directly, on every value tried. A pattern or value that is not UTF-8 never
/// panics either.
///
/// Input: the pattern's tokens, one byte each, up to a 0 byte; then values, one byte a
/// character, separated by 0 bytes.
pub mod goregex {
    use tsblock::query::Matcher;

    /// Pattern pieces whose meaning Go and the `regex` crate share. No `\d \w \s \b`, no
    /// `(?flags)`, no `[` inside a class, no `--`/`&&`/`~~`: those differ, and the translation
    /// rewrites them (the recorded Go answers in `testdata/regex` check those).
    const TOKENS: &[&str] = &[
        "a", "b", "c", "A", "é", "☃", ".", "|", "*", "+", "?", "*?", "+?", "??", "(", ")", "(?:",
        "[ab]", "[^a]", "[a-cé]", "[^.b]", "[]a]", "^", "$", "{2}", "{0,3}", "{1,}", "{2}?", "\\.",
        "\\*", "\\(", "\\|", "\\[", "x", "\n", " ",
    ];

    /// Characters of the values tried.
    const CHARS: &[char] = &[
        'a', 'b', 'c', 'A', 'é', '☃', '.', '*', '(', '|', '[', ']', 'x', '\n', ' ', 'B',
    ];

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
        let mut parts = data.split(|&b| b == 0);
        let pattern: String = parts
            .next()
            .unwrap_or_default()
            .iter()
            .take(64)
            .map(|&b| TOKENS[usize::from(b) % TOKENS.len()])
            .collect();
        let Ok(m) = Matcher::regex("x", &pattern) else {
            return;
        };
        let Ok(direct) = regex::Regex::new(&format!("^(?s:{pattern})$")) else {
            return;
        };
        let mut values = vec![String::new()];
        values.extend(parts.take(16).map(|p| {
            p.iter()
                .take(32)
                .map(|&b| CHARS[usize::from(b) % CHARS.len()])
                .collect::<String>()
        }));
        for v in &values {
            assert_eq!(
                m.matches(v.as_bytes()),
                direct.is_match(v),
                "pattern {pattern:?} on {v:?}"
            );
        }
        // And arbitrary bytes, as a label value read from a damaged index may be.
        let _ = m.matches(data);
        if let Ok(raw) = std::str::from_utf8(data) {
            let _ = Matcher::regex("x", raw);
        }
    }
}

/// The head of a data directory: WAL segments and checkpoints (pages, fragments, snappy
/// and zstd, every record type), `chunks_head/` files, a chunk snapshot and the
/// out-of-order WBL, replayed by `Db::open` as promtool would, then every series and
/// sample selected. Nothing panics, and every loop ends.
///
/// Input: a mode byte (bit 0: read instead of map), then files, each a 1-byte name length,
/// the name (a path under the data directory, one of the head's: see `allowed`), a 4-byte
/// big-endian length and that many bytes. They are written to a fresh directory under
/// `/dev/shm` (or the temporary directory) for each input, since a head is found by
/// listing a directory.
pub mod head {
    use std::path::PathBuf;
    use tsblock::{Db, DbOptions, Querier, ReadMode};

    /// Whether `name` is a path of the head's files, digits where Prometheus numbers them.
    fn allowed(name: &str) -> bool {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let parts: Vec<&str> = name.split('/').collect();
        match parts.as_slice() {
            ["wal" | "wbl", seg] => digits(seg, 8),
            ["wal", cp, seg] => {
                cp.strip_prefix("checkpoint.").is_some_and(|n| digits(n, 8)) && digits(seg, 8)
            }
            ["chunks_head", f] => digits(f, 6),
            [snap, seg] => {
                let mut p = snap.split('.');
                p.next() == Some("chunk_snapshot")
                    && p.next().is_some_and(|n| digits(n, 6))
                    && p.next().is_some_and(|n| digits(n, 10))
                    && p.next().is_none()
                    && digits(seg, 8)
            }
            _ => false,
        }
    }

    /// A directory of this process and thread: in memory (`/dev/shm`) where there is one.
    fn scratch() -> PathBuf {
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let thread = format!("{:?}", std::thread::current().id());
        let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
        base.join(format!("tsblock-fuzz-head-{}-{thread}", std::process::id()))
    }

    /// Runs the target on one input.
    pub fn run(data: &[u8]) {
        let Some((&mode, mut rest)) = data.split_first() else {
            return;
        };
        let dir = scratch();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("wal")).expect("scratch directory");
        while let Some((&n, after)) = rest.split_first() {
            let n = usize::from(n);
            if after.len() < n + 4 {
                break;
            }
            let (name, after) = after.split_at(n);
            let len = u32::from_be_bytes([after[0], after[1], after[2], after[3]]) as usize;
            let after = &after[4..];
            let (body, after) = after.split_at(len.min(after.len()));
            rest = after;
            let Ok(name) = std::str::from_utf8(name) else {
                continue;
            };
            if allowed(name) {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("scratch subdirectory");
                }
                std::fs::write(&path, body).expect("scratch file");
            }
        }
        let opts = DbOptions {
            mode: if mode & 1 == 1 {
                ReadMode::Read
            } else {
                ReadMode::Mmap
            },
            head: true,
        };
        if let Ok(db) = Db::open_options(&dir, opts) {
            let mut budget = 100_000usize;
            for text in ["{__name__=~\".+\"}", "{__name__!=\"\", job=~\"a.*|b\"}"] {
                if let Some(sel) = super::select_all(&db, text, i64::MIN, i64::MAX, &mut budget) {
                    let _ = db.label_names(sel.matchers());
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
