//! Chunk encodings this reader does not decode (XOR2 = 4 and the start-timestamp
//! histograms 5 and 6 of Prometheus 3.11+, unknown bytes): the library reports a typed
//! "unsupported encoding" error naming the encoding and the file, never a misdecode, and
//! `tsblock dump` prints what precedes it, then fails with that error.

use std::path::{Path, PathBuf};
use std::process::Command;

use tsblock::{Block, Db, Querier};

mod common;
use common::copy_dir;

/// Copies a fixture data dir and relabels the second chunk of the first multi-chunk series
/// with encoding `enc` (fixing its CRC). Returns the data dir and that series' labels.
fn patched_db(tmp: &Path, enc: u8) -> (PathBuf, String, i64) {
    let src = common::testdata().join("blocks/many-series");
    let db_dir = tmp.join("db");
    copy_dir(&src, &db_dir);
    let block_dir = std::fs::read_dir(&db_dir)
        .expect("db")
        .next()
        .expect("a block")
        .expect("entry")
        .path();
    let block = Block::open(&block_dir).expect("open");
    let series = block
        .series()
        .expect("series")
        .map(|s| s.expect("series"))
        .find(|s| s.chunks.len() >= 2)
        .expect("a series with two chunks");
    let mut name = Vec::new();
    tsblock::compat::push_labels(&mut name, &series.labels);
    let target = series.chunks[1];
    drop(block);

    let (seg, off) = tsblock::chunks::split_ref(target.chunk_ref);
    assert_eq!(seg, 0);
    let path = block_dir.join("chunks/000001");
    let mut data = std::fs::read(&path).expect("segment");
    let off = off as usize;
    let (len, n) = tsblock::bytes::decode_uvarint(&data[off..]).expect("len");
    let enc_at = off + n;
    let end = enc_at + 1 + len as usize;
    data[enc_at] = enc;
    let crc = crc32c::crc32c(&data[enc_at..end]);
    data[end..end + 4].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(&path, data).expect("write");
    (
        db_dir,
        String::from_utf8(name).expect("utf-8"),
        target.min_time,
    )
}

#[test]
fn unsupported_encodings_are_a_typed_error_and_dump_fails_after_the_samples_before() {
    for (enc, name) in [
        (4u8, "4 (XOR2)"),
        (6, "6 (float histogram with start timestamps)"),
        (9, "9 (unknown)"),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (db_dir, labels, chunk_start) = patched_db(tmp.path(), enc);

        let db = Db::open(&db_dir).expect("open");
        let mut saw = false;
        for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
            let s = s.expect("series");
            for x in s.samples() {
                if let Err(e) = x {
                    let report = tsblock::error::Report(&e).to_string();
                    assert!(e.is_unsupported_encoding(), "{report}");
                    assert!(report.contains(name), "{report}");
                    assert!(report.contains("000001"), "{report}");
                    saw = true;
                    break;
                }
            }
        }
        assert!(saw);

        let out = Command::new(env!("CARGO_BIN_EXE_tsblock"))
            .arg("dump")
            .arg(&db_dir)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let prefix = format!("{labels} ");
        let times: Vec<i64> = text
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(|l| l.rsplit(' ').next().expect("ts").parse().expect("int"))
            .collect();
        assert!(
            !times.is_empty(),
            "the samples before the chunk are printed"
        );
        assert!(
            times.iter().all(|&t| t < chunk_start),
            "printed past the undecodable chunk"
        );
    }
}
