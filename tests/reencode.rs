//! Every XOR chunk of every fixture (written by Prometheus 2.42) is re-encoded from its
//! decoded samples: the 2.x-style encoder must reproduce it byte for byte, and the 3.x
//! encoder must give the same bytes without 2.x's trailing zero byte.

use tsblock::chunkenc::{Encoding, Flavor, XorAppender, XorIter};
use tsblock::Db;

mod common;

#[test]
fn fixture_chunks_reencode_byte_for_byte() {
    let (mut chunks, mut padded) = (0, 0);
    for (name, fixture) in common::fixtures() {
        // spec-* fixtures were written by tsblock-write with 3.x chunks.
        let made_by_3x = name.starts_with("spec-");
        let db = Db::open(&fixture).expect("open");
        for block in db.blocks() {
            for series in block.series().expect("series") {
                for meta in series.expect("series").chunks {
                    let chunk = block.chunk(meta.chunk_ref).expect("chunk");
                    if chunk.encoding != Encoding::Xor {
                        // Histogram chunks: see tests/histogram_write.rs.
                        assert!(
                            matches!(
                                chunk.encoding,
                                Encoding::Histogram | Encoding::FloatHistogram
                            ),
                            "{}",
                            chunk.encoding
                        );
                        continue;
                    }
                    let mut v2 = XorAppender::with_flavor(Flavor::Prometheus2);
                    let mut v3 = XorAppender::new();
                    for s in XorIter::new(chunk.data).expect("chunk") {
                        let (t, v) = s.expect("sample");
                        v2.append(t, v);
                        v3.append(t, v);
                    }
                    let (v2, v3) = (v2.finish(), v3.finish());
                    if made_by_3x {
                        assert_eq!(v3, chunk.data, "chunk {:#x}", meta.chunk_ref);
                        continue;
                    }
                    assert_eq!(v2, chunk.data, "chunk {:#x}", meta.chunk_ref);
                    if v3.len() < v2.len() {
                        assert_eq!(v2.last(), Some(&0));
                        padded += 1;
                    }
                    assert_eq!(v3, &v2[..v3.len()]);
                    chunks += 1;
                }
            }
        }
    }
    eprintln!("{chunks} chunks re-encoded, {padded} with 2.x's trailing byte");
    assert!(chunks > 100 && padded > 0);
}

#[test]
fn fixture_indexes_rewrite_byte_for_byte() {
    use tsblock::index::IndexWriter;
    let mut n = 0;
    for (_, fixture) in common::fixtures() {
        let db = Db::open(&fixture).expect("open");
        for block in db.blocks() {
            let index = block.index();
            // (spec-* indexes come from our own writer; rewriting them checks determinism.)
            let mut w = IndexWriter::new(Vec::new()).expect("writer");
            let symbols: Vec<&[u8]> = index.symbols().map(|s| s.expect("symbol")).collect();
            w.add_symbols(symbols).expect("symbols");
            for s in block.series().expect("series") {
                let s = s.expect("series");
                w.add_series(&s.labels, &s.chunks).expect("add series");
            }
            let bytes = w.finish().expect("finish");
            assert!(
                bytes == index.bytes().expect("index bytes"),
                "{} differs",
                block.dir().display()
            );
            n += 1;
        }
    }
    assert!(n >= 8, "{n}");
}
