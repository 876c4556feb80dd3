//! `Block::verify`: clean on every fixture; every single-byte flip of a block's index and
//! chunk files found; structural problems that keep their checksums right found too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tsblock::block::DynSource;
use tsblock::{Block, Db};

mod common;
use common::copy_dir;

fn fixture_blocks() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in ["testdata/blocks", "testdata/heads"] {
        for dir in std::fs::read_dir(root).expect("fixtures") {
            let dir = dir.expect("entry").path();
            if let Ok(db) = Db::open_options(
                &dir,
                tsblock::DbOptions {
                    head: false,
                    ..Default::default()
                },
            ) {
                out.extend(db.blocks().iter().map(|b| b.dir().to_path_buf()));
            }
        }
    }
    assert!(out.len() > 20, "fixtures found: {}", out.len());
    out
}

#[test]
fn every_fixture_is_clean() {
    for dir in fixture_blocks() {
        let report = Block::open(&dir).expect("open").verify();
        assert!(report.is_clean(), "{report}");
        assert_eq!(
            report.samples,
            Block::open(&dir).expect("open").meta().stats.num_samples
        );
    }
}

/// Opens the block in `dir` from in-memory copies of its files, `files` overriding some.
fn open_with(dir: &Path, files: &HashMap<PathBuf, Vec<u8>>) -> tsblock::Result<Block> {
    Block::open_from(dir, |path| {
        let bytes = match files.get(path) {
            Some(b) => b.clone(),
            None => std::fs::read(path).map_err(|e| tsblock::Error::io(path, e))?,
        };
        Ok(Box::new(bytes) as DynSource)
    })
}

/// True when opening or verifying the block finds something wrong.
fn found(dir: &Path, files: &HashMap<PathBuf, Vec<u8>>) -> bool {
    match open_with(dir, files) {
        Ok(block) => !block.verify().is_clean(),
        Err(_) => true,
    }
}

/// Flips every byte of the index and chunk files of a float block and a native-histogram
/// block, one at a time: each flip must be found (by a checksum, a structural check, or
/// the zero-padding check; no byte of these files is unchecked).
#[test]
fn every_byte_flip_is_found() {
    let mut flips = 0;
    for block in [
        "testdata/blocks/values",
        "testdata/blocks/native-histograms",
    ] {
        let db = Db::open(block).expect("open");
        let dir = db.blocks()[0].dir().to_path_buf();
        let mut files = vec![dir.join("index")];
        files.extend(
            std::fs::read_dir(dir.join("chunks"))
                .expect("chunks")
                .map(|e| e.expect("entry").path()),
        );
        for file in files {
            let original = std::fs::read(&file).expect("read");
            let mut missed = Vec::new();
            for i in 0..original.len() {
                let mut bytes = original.clone();
                bytes[i] ^= 0xff;
                let overrides = HashMap::from([(file.clone(), bytes)]);
                if !found(&dir, &overrides) {
                    missed.push(i);
                }
                flips += 1;
            }
            assert!(
                missed.is_empty(),
                "{}: flips not found at {:?}",
                file.display(),
                missed
            );
        }
    }
    assert!(flips > 15_000, "{flips} flips");
}

/// A postings list with one series removed (its CRC and length rewritten to match) is a
/// list that disagrees with the series' labels; a meta.json that miscounts is reported.
#[test]
fn structural_problems_with_right_checksums_are_found() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = Db::open("testdata/blocks/values").expect("open");
    let src = db.blocks()[0].dir().to_path_buf();
    let dir = tmp.path().join(src.file_name().expect("a ULID"));
    copy_dir(&src, &dir);
    let index = std::fs::read(dir.join("index")).expect("index");
    // The postings list of the last entry of the postings offset table: rewrite it with
    // its last reference dropped (the count and the CRC updated, a zero pad in its place).
    let block = Block::open(&dir).expect("open");
    let names = block.index().label_names().expect("names");
    let name = names.last().expect("a label name").to_vec();
    let value = block.index().label_values(&name).expect("values")[0].to_vec();
    let off = block
        .index()
        .postings_offset(&name, &value)
        .expect("lookup")
        .expect("an entry") as usize;
    drop(block);
    let len = u32::from_be_bytes(index[off..off + 4].try_into().unwrap()) as usize;
    let count = u32::from_be_bytes(index[off + 4..off + 8].try_into().unwrap()) as usize;
    assert!(count >= 1 && len == 4 + 4 * count);
    let mut broken = index.clone();
    let new_body = {
        let mut b = ((count - 1) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(&index[off + 8..off + 8 + 4 * (count - 1)]);
        b
    };
    broken[off..off + 4].copy_from_slice(&((len - 4) as u32).to_be_bytes());
    broken[off + 4..off + 4 + new_body.len()].copy_from_slice(&new_body);
    let crc = crc32c::crc32c(&new_body);
    let crc_at = off + 4 + new_body.len();
    broken[crc_at..crc_at + 4].copy_from_slice(&crc.to_be_bytes());
    // The old CRC's place is now padding: zero it.
    broken[crc_at + 4..crc_at + 8].fill(0);
    std::fs::write(dir.join("index"), &broken).expect("write");
    let report = Block::open(&dir).expect("open").verify();
    let text = report.to_string();
    assert!(
        text.contains(&format!(
            "postings at offset {off}: postings of {}=",
            String::from_utf8_lossy(&name)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{} series, the series' labels say {count}",
            count - 1
        )),
        "{text}"
    );
    std::fs::write(dir.join("index"), &index).expect("write");
    // meta.json counting one series too many.
    let meta = std::fs::read_to_string(dir.join("meta.json")).expect("meta");
    let series = Block::open(&dir).expect("open").meta().stats.num_series;
    let wrong = meta.replace(
        &format!("\"numSeries\": {series}"),
        &format!("\"numSeries\": {}", series + 1),
    );
    assert_ne!(wrong, meta, "meta.json layout");
    std::fs::write(dir.join("meta.json"), wrong).expect("write");
    let report = Block::open(&dir).expect("open").verify();
    assert_eq!(report.problems.len(), 1, "{report}");
    assert_eq!(
        report.problems[0].message,
        format!("stats say {} series, the block holds {series}", series + 1)
    );
    assert!(report.clone().into_result().is_err());
}

/// The command: exit 0 and a line per block when clean; exit 1 and every problem, with
/// file, section and offset, when not; JSON that parses.
#[test]
fn verify_command() {
    let bin = env!("CARGO_BIN_EXE_tsblock");
    let ok = std::process::Command::new(bin)
        .args(["verify", "testdata/blocks/multi-block"])
        .output()
        .expect("run");
    assert!(ok.status.success());
    let text = String::from_utf8(ok.stdout).expect("utf-8");
    let blocks = Db::open("testdata/blocks/multi-block")
        .expect("open")
        .blocks()
        .len();
    assert_eq!(text.lines().filter(|l| l.ends_with(": ok")).count(), blocks);

    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(Path::new("testdata/blocks/multi-block"), tmp.path());
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("meta.json").exists())
        .collect();
    dirs.sort();
    // Two blocks damaged: a chunk byte in the first, the index TOC of the last (which
    // stops it from opening); both reported, the blocks between clean.
    let seg = dirs[0].join("chunks/000001");
    let mut bytes = std::fs::read(&seg).expect("read");
    bytes[20] ^= 0x55;
    std::fs::write(&seg, bytes).expect("write");
    let index = dirs.last().expect("a block").join("index");
    let mut bytes = std::fs::read(&index).expect("read");
    let n = bytes.len();
    bytes[n - 10] ^= 0x55;
    std::fs::write(&index, bytes).expect("write");
    let bad = std::process::Command::new(bin)
        .args(["verify"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8(bad.stdout).expect("utf-8");
    assert!(
        text.contains(&format!("{}: chunk at offset", seg.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: index TOC at offset", index.display())),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(": ok")).count(),
        blocks - 2,
        "{text}"
    );
    let json = std::process::Command::new(bin)
        .args(["verify", "--format", "json"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(doc["blocks"].as_array().expect("blocks").len(), blocks);
    assert!(doc["problems"].as_u64().expect("count") >= 2);
    let first = &doc["blocks"][0]["problems"][0];
    assert_eq!(first["section"], "chunk");
    assert!(first["offset"].is_u64());
}

/// Every single-bit flip (bit 0) of a block's `meta.json`: the flips that no check can see
/// are inside the compaction sources (a ULID's letters and digits stay a ULID), the level,
/// and the time range where they widen it; everything else is a JSON error, an unknown
/// key, a wrong ULID, a count that disagrees with the block, or a time range that cuts
/// off samples.
#[test]
fn meta_json_flips() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = Db::open("testdata/blocks/values").expect("open");
    let src = db.blocks()[0].dir().to_path_buf();
    let dir = tmp.path().join(src.file_name().expect("a ULID"));
    copy_dir(&src, &dir);
    let original = std::fs::read(dir.join("meta.json")).expect("meta");
    let text = String::from_utf8(original.clone()).expect("utf-8");
    // Byte ranges of what no check can judge: the compaction sources and level, and the
    // time range where a flip widens it (a block's range may be wider than its samples;
    // a flip that narrows it past a sample is found).
    let unjudged = |i: usize| {
        let in_value_of = |key: &str, end: &[char]| {
            text.find(key).is_some_and(|k| {
                let start = k + key.len();
                let stop = text[start..].find(end).map_or(text.len(), |e| start + e);
                (start..stop).contains(&i)
            })
        };
        in_value_of("\"sources\":", &[']'])
            || in_value_of("\"level\":", &[',', '\n'])
            || in_value_of("\"minTime\":", &[',', '\n'])
            || in_value_of("\"maxTime\":", &[',', '\n'])
    };
    let (mut seen, mut unseen, mut unseen_elsewhere) = (0, 0, Vec::new());
    for i in 0..original.len() {
        let mut bytes = original.clone();
        bytes[i] ^= 0x01;
        std::fs::write(dir.join("meta.json"), &bytes).expect("write");
        let found = match Block::open(&dir) {
            Ok(b) => !b.verify().is_clean(),
            Err(_) => true,
        };
        if found {
            seen += 1;
        } else {
            unseen += 1;
            if !unjudged(i) {
                unseen_elsewhere.push((i, char::from(original[i])));
            }
        }
    }
    std::fs::write(dir.join("meta.json"), &original).expect("write");
    eprintln!("meta.json: {seen} flips found, {unseen} not (sources, level, a wider range)");
    assert!(
        unseen_elsewhere.is_empty(),
        "flips not found: {unseen_elsewhere:?}"
    );
    assert!(seen > 200, "{seen}");
}

/// One damaged chunk is one problem: not also stray bytes in its segment, nor a sample
/// count that disagrees with meta.json.
#[test]
fn one_damaged_chunk_is_one_problem() {
    let db = Db::open("testdata/blocks/values").expect("open");
    let dir = db.blocks()[0].dir().to_path_buf();
    let seg = dir.join("chunks/000001");
    let mut bytes = std::fs::read(&seg).expect("read");
    bytes[30] ^= 0x10;
    let report = open_with(&dir, &HashMap::from([(seg, bytes)]))
        .expect("open")
        .verify();
    assert_eq!(report.problems.len(), 1, "{report}");
    assert_eq!(
        report.problems[0].section,
        Some(tsblock::error::Section::Chunk)
    );
}
