//! Small heads for the replay's corner cases, each with what promtool 2.42 printed for a
//! scratch copy of it (recorded here; `promtool_agrees` re-checks them against the real
//! promtool, `#[ignore]`d, run by `.ci/run`): out-of-order data with tombstones and
//! duplicate timestamps, out-of-order chunks of a histogram encoding, a head chunk
//! straddling the newest block's end, a sample at the smallest timestamp, an empty record.
//! And the cases where tsblock deliberately differs, each pinned down.

use std::path::Path;
use std::process::Command;

mod common;
use common::copy_dir;
use common::walgen::Log;

use tsblock::chunkenc::{Encoding, XorAppender};
use tsblock::head::files::{file_header, push_chunk};
use tsblock::histogram::IntHistogram;
use tsblock::labels::Label;
use tsblock::record::encode::{
    encode_histograms, encode_mmap_markers, encode_samples, encode_series, encode_tombstones,
};
use tsblock::record::{RefHistogram, RefMmapMarker, RefSample, RefSeries, RefStone};
use tsblock::tombstones::Interval;
use tsblock::wlog::Compression;

fn series(r: u64) -> Vec<u8> {
    encode_series(&[RefSeries {
        series_ref: r,
        labels: vec![Label {
            name: b"__name__",
            value: b"a",
        }],
    }])
}

fn samples(ts: &[(i64, f64)]) -> Vec<u8> {
    let s: Vec<RefSample> = ts
        .iter()
        .map(|&(t, v)| RefSample {
            series_ref: 1,
            t,
            v,
        })
        .collect();
    encode_samples(&s)
}

fn log(dir: &Path, name: &str, recs: &[Vec<u8>]) {
    let mut l = Log::new(Compression::None);
    for r in recs {
        l.log(r);
    }
    l.write(&dir.join(name), 0, false);
}

/// A head chunk file with one chunk of `samples` (XOR data) for series 1.
fn chunk_file(dir: &Path, encoding: Encoding, ooo: bool, samples: &[(i64, f64)]) {
    let mut a = XorAppender::new();
    for &(t, v) in samples {
        a.append(t, v);
    }
    let (min, max) = (samples[0].0, samples[samples.len() - 1].0);
    let mut f = file_header();
    push_chunk(&mut f, 1, min, max, encoding, ooo, &a.finish());
    f.resize(f.len() + 4096, 0);
    std::fs::create_dir_all(dir.join("chunks_head")).unwrap();
    std::fs::write(dir.join("chunks_head/000001"), f).unwrap();
}

/// The first chunk of `chunks_head/000001` (after the 8-byte header).
const FIRST_CHUNK: u64 = (1 << 32) | 8;

struct Case {
    name: &'static str,
    build: fn(&Path),
    /// promtool 2.42's dump of a scratch copy, as `(timestamp, value)` of series `{__name__="a"}`.
    promtool: &'static [(i64, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        // Prometheus's out-of-order head has no tombstones.
        name: "tombstones_spare_out_of_order_samples",
        build: |d| {
            log(
                d,
                "wal",
                &[
                    series(1),
                    samples(&[(1000, 1.0), (2000, 2.0), (3000, 3.0)]),
                    encode_tombstones(&[RefStone {
                        series_ref: 1,
                        interval: Interval { min: 0, max: 700 },
                    }]),
                ],
            );
            log(d, "wbl", &[samples(&[(500, 5.0), (600, 6.0)])]);
        },
        promtool: &[
            (500, "5"),
            (600, "6"),
            (1000, "1"),
            (2000, "2"),
            (3000, "3"),
        ],
    },
    Case {
        // Of two out-of-order samples at one timestamp, Go's chain merge keeps the one of
        // the chunk that sorts first by min time: here the WBL's open chunk (min 100).
        name: "out_of_order_duplicates_follow_chunk_order",
        build: |d| {
            log(d, "wal", &[series(1), samples(&[(10_000, 1.0)])]);
            chunk_file(
                d,
                Encoding::Xor,
                true,
                &[(200, 2.0), (300, 3.0), (400, 4.0)],
            );
            log(
                d,
                "wbl",
                &[
                    samples(&[(200, 2.0), (300, 3.0), (400, 4.0)]),
                    encode_mmap_markers(&[RefMmapMarker {
                        series_ref: 1,
                        chunk_ref: FIRST_CHUNK,
                    }]),
                    samples(&[(100, 10.0), (300, 30.0), (350, 35.0)]),
                ],
            );
        },
        promtool: &[
            (100, "10"),
            (200, "2"),
            (300, "30"),
            (350, "35"),
            (400, "4"),
            (10_000, "1"),
        ],
    },
    Case {
        // The same with the m-mapped chunk sorting first (min 100 < 200).
        name: "out_of_order_duplicates_mmapped_first",
        build: |d| {
            log(d, "wal", &[series(1), samples(&[(10_000, 1.0)])]);
            chunk_file(
                d,
                Encoding::Xor,
                true,
                &[(100, 1.0), (300, 3.0), (400, 4.0)],
            );
            log(
                d,
                "wbl",
                &[
                    encode_mmap_markers(&[RefMmapMarker {
                        series_ref: 1,
                        chunk_ref: FIRST_CHUNK,
                    }]),
                    samples(&[(200, 20.0), (300, 30.0)]),
                ],
            );
        },
        promtool: &[
            (100, "1"),
            (200, "20"),
            (300, "3"),
            (400, "4"),
            (10_000, "1"),
        ],
    },
    Case {
        // Out-of-order chunks exist only as XOR in 2.42: another encoding is skipped.
        name: "out_of_order_histogram_chunk_is_skipped",
        build: |d| {
            log(d, "wal", &[series(1), samples(&[(10_000, 1.0)])]);
            chunk_file(
                d,
                Encoding::Histogram,
                true,
                &[(100, 1.0), (200, 2.0), (300, 3.0)],
            );
        },
        promtool: &[(10_000, "1")],
    },
    Case {
        // In-order and out-of-order samples at one timestamp: the out-of-order one wins.
        name: "out_of_order_beats_in_order_at_one_timestamp",
        build: |d| {
            log(d, "wal", &[series(1), samples(&[(1000, 1.0), (2000, 2.0)])]);
            log(d, "wbl", &[samples(&[(1000, 9.0), (1500, 15.0)])]);
        },
        promtool: &[(1000, "9"), (1500, "15"), (2000, "2")],
    },
    Case {
        // A block up to 1000; a head chunk from 500 to 1500; WAL samples on both sides of
        // the block's end; a tombstone over it; out-of-order samples under it.
        name: "head_chunk_straddling_the_block",
        build: |d| {
            let mut w = tsblock::writer::BlockWriter::new(Default::default());
            let labels = tsblock::labelset::Labels::new([("__name__", "a")]).unwrap();
            w.append(&labels, 0, 0.5).unwrap();
            w.append(&labels, 1000, 10.5).unwrap();
            w.write(d).unwrap();
            chunk_file(
                d,
                Encoding::Xor,
                false,
                &[(500, 5.0), (800, 8.0), (1200, 12.0), (1500, 15.0)],
            );
            log(
                d,
                "wal",
                &[
                    series(1),
                    samples(&[(900, 9.0), (2000, 20.0)]),
                    encode_tombstones(&[RefStone {
                        series_ref: 1,
                        interval: Interval {
                            min: 700,
                            max: 1100,
                        },
                    }]),
                ],
            );
            log(d, "wbl", &[samples(&[(600, 6.0), (1100, 11.0)])]);
        },
        promtool: &[
            (0, "0.5"),
            (500, "5"),
            (600, "6"),
            (1000, "10.5"),
            (1100, "11"),
            (1200, "12"),
            (1500, "15"),
            (2000, "20"),
        ],
    },
    Case {
        // A sample at the smallest timestamp never makes it into the head.
        name: "smallest_timestamp",
        build: |d| {
            log(
                d,
                "wal",
                &[series(1), samples(&[(i64::MIN, 1.0), (1000, 2.0)])],
            );
        },
        promtool: &[(1000, "2")],
    },
    Case {
        // An empty record is of no known type: skipped.
        name: "empty_record",
        build: |d| {
            log(d, "wal", &[series(1), Vec::new(), samples(&[(1000, 1.0)])]);
        },
        promtool: &[(1000, "1")],
    },
];

fn expected(case: &Case) -> String {
    case.promtool
        .iter()
        .map(|(t, v)| format!("{{__name__=\"a\"}} {v} {t}\n"))
        .collect()
}

fn tsblock_dump(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .arg("dump")
        .arg(dir)
        .output()
        .expect("run tsblock")
}

#[test]
fn cases_dump_as_promtool_dumped_them() {
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        (case.build)(tmp.path());
        let out = tsblock_dump(tmp.path());
        assert!(
            out.status.success(),
            "{}: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected(case),
            "{}",
            case.name
        );
    }
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn promtool_agrees() {
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir_all(&dir).unwrap();
        (case.build)(&dir);
        let scratch = tmp.path().join("scratch");
        copy_dir(&dir, &scratch);
        let out = Command::new("promtool")
            .args(["tsdb", "dump"])
            .arg(&scratch)
            .output()
            .expect("promtool (apt-get install -y prometheus)");
        assert!(out.status.success(), "{}", case.name);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected(case),
            "{}: promtool no longer prints the recorded answer",
            case.name
        );
    }
}

#[test]
fn a_wal_that_does_not_start_where_replay_starts_is_an_error() {
    // Segments 3.. and no checkpoint: Prometheus starts at segment 0 and fails to open it.
    let tmp = tempfile::tempdir().unwrap();
    let mut l = Log::new(Compression::None);
    l.log(&series(1));
    l.log(&samples(&[(1000, 1.0)]));
    l.write(&tmp.path().join("wal"), 3, false);
    let out = tsblock_dump(tmp.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wal/00000000"), "{err}");
}

#[test]
fn a_corrupt_head_chunk_is_an_error_naming_file_and_offset() {
    // promtool 2.42 prints what it decoded and stops silently (its dump returns the
    // series set's error, not the iterator's); tsblock reports where the chunk breaks, as
    // it does for block chunks.
    for ooo in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        log(d, "wal", &[series(1), samples(&[(10_000, 1.0)])]);
        let mut a = XorAppender::new();
        for (t, v) in [(100, 1.0), (200, 2.0), (300, 3.0)] {
            a.append(t, v);
        }
        let mut data = a.finish();
        data.truncate(12); // the header says 3 samples; the bits hold only the first
        let mut f = file_header();
        push_chunk(&mut f, 1, 100, 300, Encoding::Xor, ooo, &data);
        f.resize(f.len() + 4096, 0);
        std::fs::create_dir_all(d.join("chunks_head")).unwrap();
        std::fs::write(d.join("chunks_head/000001"), f).unwrap();
        let out = tsblock_dump(d);
        assert!(!out.status.success(), "ooo {ooo}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("chunks_head/000001: chunk data at offset"),
            "ooo {ooo}: {err}"
        );
    }
}

#[test]
fn histograms_no_chunk_can_hold_are_left_out_with_a_warning() {
    // Prometheus 2.42 stored a schema-9 histogram (later versions refuse it) and promtool
    // stops the series there; tsblock's chunks cannot hold it: it is left out, and said.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let h = IntHistogram {
        schema: 9,
        ..Default::default()
    };
    log(
        d,
        "wal",
        &[
            series(1),
            samples(&[(1000, 1.0)]),
            encode_histograms(&[RefHistogram {
                series_ref: 1,
                t: 3000,
                h,
            }]),
            samples(&[(4000, 4.0)]),
        ],
    );
    let out = tsblock_dump(d);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{__name__=\"a\"} 1 1000\n{__name__=\"a\"} 4 4000\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 histogram sample(s)"), "{err}");
}

fn labelled_series(r: u64, i: usize) -> Vec<u8> {
    let i = i.to_string();
    encode_series(&[RefSeries {
        series_ref: r,
        labels: vec![
            Label {
                name: b"__name__",
                value: b"a",
            },
            Label {
                name: b"i",
                value: i.as_bytes(),
            },
        ],
    }])
}

#[test]
fn a_reference_announced_with_other_labels_keeps_its_head_chunks_in_one_series() {
    // 1,000 in-order and 100 out-of-order head chunks of reference 1, and 1,000 series
    // records of reference 1 with other labels (15 bytes each): Prometheus resets each of
    // those series to the chunks and serves the reference through the last one; tsblock
    // keeps every series, and the chunks only in that last one, not copied (and decoded)
    // a thousand times over.
    const CHUNKS: i64 = 1000;
    const OOO: i64 = 100;
    const SERIES: usize = 1000;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut f = file_header();
    for (t, ooo) in (0..CHUNKS)
        .map(|j| (j * 10, false))
        .chain((0..OOO).map(|j| (j * 10 + 5, true)))
    {
        let mut a = XorAppender::new();
        a.append(t, t as f64);
        push_chunk(&mut f, 1, t, t, Encoding::Xor, ooo, &a.finish());
    }
    f.resize(f.len() + 4096, 0);
    std::fs::create_dir_all(d.join("chunks_head")).unwrap();
    std::fs::write(d.join("chunks_head/000001"), f).unwrap();
    let recs: Vec<_> = (0..SERIES).map(|i| labelled_series(1, i)).collect();
    log(d, "wal", &recs);
    let head = tsblock::head::Head::open(d, tsblock::head::HeadOptions::default()).unwrap();
    let stats = head.stats();
    assert_eq!(stats.mmapped_chunks, CHUNKS as usize);
    assert_eq!(stats.samples, CHUNKS as u64);
    assert_eq!(stats.ooo_samples, OOO as u64);
    assert_eq!(stats.series, 1);
    let out = tsblock_dump(d);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), (CHUNKS + OOO) as usize);
    let last = format!("{{__name__=\"a\", i=\"{}\"}} ", SERIES - 1);
    assert!(lines.iter().all(|l| l.starts_with(&last)), "{}", lines[0]);
}

#[test]
fn many_head_tombstones_in_descending_order_merge_in_one_pass() {
    // A million stones of one series, newest first (7 MB of WAL): inserted one by one
    // into the merged list, each would shift all before it (5e11 moves: minutes, not a
    // second). Every 1,000th stone has a neighbour that closes the gap to the next one,
    // so merging still shows.
    const N: i64 = 1_000_000;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut stones = Vec::new();
    for j in (0..N).rev() {
        stones.push(RefStone {
            series_ref: 1,
            interval: Interval {
                min: j * 10,
                max: j * 10 + 4,
            },
        });
        if j % 1000 == 0 {
            stones.push(RefStone {
                series_ref: 1,
                interval: Interval {
                    min: j * 10 + 5,
                    max: j * 10 + 9,
                },
            });
        }
    }
    log(
        d,
        "wal",
        &[
            series(1),
            samples(&[(N * 10, 1.0)]),
            encode_tombstones(&stones),
        ],
    );
    let head = tsblock::head::Head::open(d, tsblock::head::HeadOptions::default()).unwrap();
    let deleted = head.readers()[0]
        .deleted(tsblock::SeriesRef(0))
        .expect("tombstones");
    let mut expect = Vec::new();
    let mut j = 0;
    while j < N {
        let max = if j % 1000 == 0 {
            j * 10 + 14
        } else {
            j * 10 + 4
        };
        expect.push(Interval { min: j * 10, max });
        j += if j % 1000 == 0 { 2 } else { 1 };
    }
    assert_eq!(expect.len(), (N - N / 1000) as usize);
    assert_eq!(deleted.as_slice(), &expect[..]);
}
