//! Damaged heads: every kind of WAL and head chunk damage gives a typed error naming the
//! file, or a documented warning, and never a panic; random damage to real segments and
//! head chunk files never panics either.

use std::path::{Path, PathBuf};

mod common;
use common::walgen::{head_chunk_file, Log};
use common::{copy_dir, testdata, Rng};
use tsblock::error::{Error, FormatErrorKind, Section};
use tsblock::head::HeadWarning;
use tsblock::record::encode::{encode_samples, encode_series};
use tsblock::record::{RefSample, RefSeries};
use tsblock::wlog::Compression;
use tsblock::{Db, Label, Querier, ReadMode, Warning};

fn series_rec(r: u64, id: &str) -> Vec<u8> {
    encode_series(&[RefSeries {
        series_ref: r,
        labels: vec![
            Label {
                name: b"__name__",
                value: b"m",
            },
            Label {
                name: b"id",
                value: id.as_bytes(),
            },
        ],
    }])
}

fn samples_rec(r: u64, from: i64, n: i64) -> Vec<u8> {
    let s: Vec<RefSample> = (0..n)
        .map(|k| RefSample {
            series_ref: r,
            t: from + k * 1000,
            v: k as f64,
        })
        .collect();
    encode_samples(&s)
}

/// A head of two segments: series 1 and 2, ten samples each per segment; a large
/// third record in segment 1 so that it spans pages.
fn two_segments(dir: &Path, compression: Compression, live: bool) {
    let mut log = Log::new(compression);
    log.log(&series_rec(1, "a"));
    log.log(&series_rec(2, "b"));
    log.log(&samples_rec(1, 0, 10));
    log.log(&samples_rec(2, 0, 10));
    log.cut();
    log.log(&samples_rec(1, 10_000, 10));
    log.log(&samples_rec(2, 10_000, 10_000));
    log.write(&dir.join("wal"), 0, live);
}

fn count_samples(db: &Db) -> usize {
    let mut n = 0;
    for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        for x in s.expect("series").samples() {
            x.expect("sample");
            n += 1;
        }
    }
    n
}

fn seg(dir: &Path, n: u32) -> PathBuf {
    dir.join("wal").join(format!("{n:08}"))
}

#[test]
fn a_clean_head_reads_whole() {
    let tmp = tempfile::tempdir().unwrap();
    two_segments(tmp.path(), Compression::Snappy, false);
    let db = Db::open(tmp.path()).unwrap();
    assert!(db.warnings().is_empty());
    assert_eq!(count_samples(&db), 10 + 10 + 10 + 10_000);
}

#[test]
fn bad_crc_is_an_error_naming_segment_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    two_segments(tmp.path(), Compression::None, false);
    let path = seg(tmp.path(), 0);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[7 + 3] ^= 0x40; // inside the first fragment's payload
    std::fs::write(&path, bytes).unwrap();
    match Db::open(tmp.path()).unwrap_err() {
        Error::Format { path: p, source } => {
            assert_eq!(p, path);
            assert_eq!(source.section, Section::WalFragment);
            assert_eq!(source.offset, 0);
            assert!(matches!(source.kind, FormatErrorKind::Checksum { .. }));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_torn_last_record_is_a_warning_and_elsewhere_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    two_segments(tmp.path(), Compression::None, true);
    // Cut the last segment inside its big record (which spans pages).
    let last = seg(tmp.path(), 1);
    let bytes = std::fs::read(&last).unwrap();
    std::fs::write(&last, &bytes[..40_000]).unwrap();
    let db = Db::open(tmp.path()).unwrap();
    match db.warnings() {
        [Warning::Head(HeadWarning::TornRecord {
            path,
            offset,
            bytes,
        })] => {
            assert_eq!(path, &last);
            assert!(*offset > 0 && *bytes > 0);
        }
        w => panic!("{w:?}"),
    }
    // Everything but the torn record.
    assert_eq!(count_samples(&db), 30);
    // The same damage in a segment that is not the last is corruption.
    let first = seg(tmp.path(), 0);
    let b0 = std::fs::read(&first).unwrap();
    std::fs::write(&first, &b0[..20]).unwrap();
    let e = Db::open(tmp.path()).unwrap_err();
    assert!(
        tsblock::error::Report(&e).to_string().contains("torn"),
        "{e:?}"
    );
}

#[test]
fn bad_snappy_payload_is_a_decompress_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::None);
    log.log(&series_rec(1, "a"));
    log.write(&tmp.path().join("wal"), 0, false);
    // A fragment flagged snappy, with a valid CRC, that is not snappy.
    let path = seg(tmp.path(), 0);
    let mut bytes = std::fs::read(&path).unwrap();
    let payload = [0xffu8, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3];
    let mut frag = vec![1 | 0x08];
    frag.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    frag.extend_from_slice(&tsblock::bytes::crc32c(&payload).to_be_bytes());
    frag.extend_from_slice(&payload);
    let used = bytes.iter().rposition(|&b| b != 0).unwrap() + 1;
    bytes[used..used + frag.len()].copy_from_slice(&frag);
    std::fs::write(&path, bytes).unwrap();
    match Db::open(tmp.path()).unwrap_err() {
        Error::Format { source, .. } => {
            assert!(
                matches!(
                    source.kind,
                    FormatErrorKind::Decompress {
                        codec: "snappy",
                        ..
                    }
                ),
                "{source}"
            );
            assert_eq!(source.offset, used as u64);
        }
        e => panic!("{e:?}"),
    }
}

/// A zstd frame that expands past any real record's ratio (1 MiB of zeros from eight
/// 4-byte RLE blocks) is refused, naming the segment and the record.
#[test]
fn zstd_record_expanding_too_far_is_a_decompress_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::None);
    log.log(&series_rec(1, "a"));
    log.write(&tmp.path().join("wal"), 0, false);
    let path = seg(tmp.path(), 0);
    let mut bytes = std::fs::read(&path).unwrap();
    let mut payload = vec![0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0x10, 0];
    for last in [0u8, 0, 0, 0, 0, 0, 0, 1] {
        // RLE block of 128 KiB, then its byte.
        payload.extend_from_slice(&[2 | last, 0, 0x10, 0]);
    }
    let mut frag = vec![1 | 0x10];
    frag.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    frag.extend_from_slice(&tsblock::bytes::crc32c(&payload).to_be_bytes());
    frag.extend_from_slice(&payload);
    let used = bytes.iter().rposition(|&b| b != 0).unwrap() + 1;
    bytes[used..used + frag.len()].copy_from_slice(&frag);
    std::fs::write(&path, bytes).unwrap();
    match Db::open(tmp.path()).unwrap_err() {
        Error::Format { path: p, source } => {
            assert_eq!(p, path);
            assert!(
                matches!(
                    source.kind,
                    FormatErrorKind::Decompress { codec: "zstd", .. }
                ),
                "{source}"
            );
            assert_eq!(source.offset, used as u64);
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn unknown_record_types_are_skipped_and_v2_records_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::Snappy);
    log.log(&series_rec(1, "a"));
    log.log(&[42, 1, 2, 3]);
    log.log(&samples_rec(1, 0, 3));
    log.write(&tmp.path().join("wal"), 0, false);
    let db = Db::open(tmp.path()).unwrap();
    assert_eq!(db.head().unwrap().stats().unknown_records, 1);
    assert_eq!(count_samples(&db), 3);

    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::None);
    log.log(&series_rec(1, "a"));
    log.log(&[11, 0, 0]);
    log.write(&tmp.path().join("wal"), 0, false);
    match Db::open(tmp.path()).unwrap_err() {
        Error::Record {
            path,
            offset,
            source,
        } => {
            assert_eq!(path, seg(tmp.path(), 0));
            assert!(offset > 0);
            assert!(matches!(
                source.kind,
                FormatErrorKind::UnsupportedRecordType(11, "samples V2")
            ));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_record_that_does_not_decode_names_segment_and_record() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::None);
    log.log(&series_rec(1, "a"));
    let mut bad = samples_rec(1, 0, 3);
    bad.truncate(bad.len() - 3);
    log.log(&bad);
    log.write(&tmp.path().join("wal"), 0, false);
    let e = Db::open(tmp.path()).unwrap_err();
    assert!(matches!(e, Error::Record { .. }), "{e:?}");
    let msg = tsblock::error::Report(&e).to_string();
    assert!(msg.contains("00000000: record at offset"), "{msg}");
}

#[test]
fn missing_segments_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::None);
    log.log(&series_rec(1, "a"));
    log.cut();
    log.log(&samples_rec(1, 0, 3));
    log.cut();
    log.log(&samples_rec(1, 3000, 3));
    log.write(&tmp.path().join("wal"), 0, false);
    std::fs::remove_file(seg(tmp.path(), 1)).unwrap();
    let e = Db::open(tmp.path()).unwrap_err();
    assert!(
        tsblock::error::Report(&e).to_string().contains("00000001"),
        "{e:?}"
    );
    // A checkpoint.N with the segment after it missing.
    let tmp = tempfile::tempdir().unwrap();
    let mut cp = Log::new(Compression::None);
    cp.log(&series_rec(1, "a"));
    cp.write(&tmp.path().join("wal/checkpoint.00000004"), 0, false);
    let mut log = Log::new(Compression::None);
    log.log(&samples_rec(1, 0, 3));
    log.write(&tmp.path().join("wal"), 6, false);
    let e = Db::open(tmp.path()).unwrap_err();
    assert!(
        tsblock::error::Report(&e).to_string().contains("00000005"),
        "{e:?}"
    );
}

#[test]
fn corrupt_head_chunk_files_are_left_out_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = Log::new(Compression::None);
    log.log(&series_rec(1, "a"));
    log.log(&samples_rec(1, 10_000, 5));
    log.write(&tmp.path().join("wal"), 0, false);
    let chunks = tmp.path().join("chunks_head");
    std::fs::create_dir_all(&chunks).unwrap();
    let early: Vec<(i64, f64)> = (0..5).map(|k| (k * 1000, 7.0)).collect();
    let file = head_chunk_file(&[(1, early)]);
    std::fs::write(chunks.join("000001"), &file).unwrap();
    let db = Db::open(tmp.path()).unwrap();
    assert!(db.warnings().is_empty());
    assert_eq!(count_samples(&db), 10);
    assert_eq!(db.head().unwrap().stats().mmapped_chunks, 1);
    // A flipped bit in the chunk: the file is left out, the WAL's samples remain.
    let mut bad = file.clone();
    bad[40] ^= 1;
    std::fs::write(chunks.join("000001"), &bad).unwrap();
    let db = Db::open(tmp.path()).unwrap();
    assert!(
        matches!(db.warnings(), [Warning::Head(HeadWarning::CorruptHeadChunks { dropped, .. })] if dropped.len() == 1),
        "{:?}",
        db.warnings()
    );
    assert_eq!(count_samples(&db), 5);
    // A bad magic is an error, as in Prometheus.
    let mut magic = file;
    magic[0] = 9;
    std::fs::write(chunks.join("000001"), &magic).unwrap();
    let e = Db::open(tmp.path()).unwrap_err();
    assert!(
        matches!(&e, Error::Format { source, .. } if matches!(source.kind, FormatErrorKind::BadMagic { .. })),
        "{e:?}"
    );
}

/// Applies one random mutation to `bytes`.
fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) {
    if bytes.is_empty() {
        return;
    }
    match rng.below(4) {
        0 => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(8);
        }
        1 => {
            let n = rng.below(bytes.len());
            bytes.truncate(n);
        }
        2 => {
            let i = rng.below(bytes.len());
            bytes[i] = rng.next() as u8;
        }
        _ => {
            // Damage near the front of a page, where headers are.
            let page = rng.below(bytes.len() / 32768 + 1) * 32768;
            let i = (page + rng.below(64)).min(bytes.len() - 1);
            bytes[i] = rng.next() as u8;
        }
    }
}

#[test]
fn random_damage_to_real_heads_never_panics() {
    let mut rng = Rng(0x5eed_1234);
    let heads: Vec<PathBuf> = std::fs::read_dir(testdata().join("heads"))
        .expect("testdata/heads")
        .map(|e| e.unwrap().path())
        .collect();
    let (mut ok, mut errors) = (0, 0);
    for round in 0..300 {
        let src = &heads[round % heads.len()];
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(src, tmp.path());
        // Damage one WAL, checkpoint, WBL or head chunk file.
        let mut files = Vec::new();
        for sub in ["wal", "wbl", "chunks_head"] {
            let d = tmp.path().join(sub);
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd {
                let p = e.unwrap().path();
                if p.is_dir() {
                    files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        let f = &files[rng.below(files.len())];
        let mut bytes = std::fs::read(f).unwrap();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut bytes, &mut rng);
        }
        std::fs::write(f, &bytes).unwrap();
        let mode = [ReadMode::Mmap, ReadMode::Read][round % 2];
        match Db::open_with(tmp.path(), mode) {
            Ok(db) => {
                // Whatever replayed must also query.
                for s in db.select(&[], i64::MIN, i64::MAX).unwrap() {
                    let Ok(s) = s else { break };
                    for x in s.samples() {
                        if x.is_err() {
                            break;
                        }
                    }
                }
                ok += 1;
            }
            Err(e) => {
                // Every error names a file or directory under the data directory.
                let msg = tsblock::error::Report(&e).to_string();
                assert!(msg.contains(&*tmp.path().to_string_lossy()), "{msg}");
                errors += 1;
            }
        }
    }
    assert!(ok > 0 && errors > 0, "ok {ok}, errors {errors}");
}
