//! Data directory handling: which directories are blocks, what is skipped with a warning,
//! what is an error, and that reading writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{copy_dir, fixture_block};

fn tsblock(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .arg(path)
        .output()
        .expect("run")
}

/// Every file under `dir` with its length and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let e = e.expect("entry");
        let m = e.metadata().expect("metadata");
        if m.is_dir() {
            out.extend(snapshot(&e.path()));
        }
        out.push((e.path(), m.len(), m.modified().expect("mtime")));
    }
    out.sort();
    out
}

#[test]
fn skips_bad_meta_ignores_non_blocks_and_sums_up_the_head() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path();
    let good = fixture_block("values");
    copy_dir(&good, &db.join(good.file_name().expect("name")));
    // A block whose meta.json has version 2: skipped with a warning.
    let bad = db.join("01BZJ9WJQPWHGNC2W4J9TA62KC");
    copy_dir(&fixture_block("labels"), &bad);
    let meta = std::fs::read_to_string(bad.join("meta.json")).expect("meta");
    std::fs::write(
        bad.join("meta.json"),
        meta.replace("\"version\": 1", "\"version\": 2"),
    )
    .expect("write");
    // Not blocks: a temporary dir, a non-ULID dir, a file.
    copy_dir(
        &fixture_block("labels"),
        &db.join("01BZJ9WJQPWHGNC2W4J9TA62KD.tmp-for-creation"),
    );
    std::fs::create_dir_all(db.join("wal")).expect("wal");
    std::fs::create_dir_all(db.join("chunks_head")).expect("chunks_head");
    std::fs::write(db.join("lock"), b"").expect("lock");

    let before = snapshot(db);
    let out = tsblock(&["ls"], db);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains(good.file_name().and_then(|n| n.to_str()).expect("name")));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.contains("01BZJ9WJQPWHGNC2W4J9TA62KC"), "{stderr}");
    assert!(
        stderr.contains("unsupported meta.json version 2"),
        "{stderr}"
    );
    // The empty wal/ is an empty head, summed up on stderr (promtool lists no head).
    assert!(stderr.contains("head: no samples, 0 series"), "{stderr}");
    assert!(!stderr.contains("tmp-for-creation"), "{stderr}");

    let out = tsblock(&["dump"], db);
    assert!(out.status.success());
    let expected =
        std::fs::read(common::testdata().join("expected/values.dump.txt")).expect("expected");
    assert_eq!(out.stdout, expected);
    assert_eq!(snapshot(db), before, "reading changed the directory");
}

#[test]
fn a_block_with_a_bad_meta_is_an_error_when_opened_directly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let block = tmp.path().join("01BZJ9WJQPWHGNC2W4J9TA62KC");
    copy_dir(&fixture_block("values"), &block);
    let meta = std::fs::read_to_string(block.join("meta.json")).expect("meta");
    std::fs::write(
        block.join("meta.json"),
        meta.replace("\"version\": 1", "\"version\": 3"),
    )
    .expect("write");
    let out = tsblock(&["dump"], &block);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stderr.contains("meta.json") && stderr.contains("version 3"),
        "{stderr}"
    );
}

#[test]
fn a_corrupt_block_in_a_data_dir_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let block = tmp.path().join("01BZJ9WJQPWHGNC2W4J9TA62KC");
    copy_dir(&fixture_block("values"), &block);
    std::fs::write(block.join("index"), b"not an index").expect("write");
    let out = tsblock(&["ls"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stderr.contains("index") && stderr.contains("bad magic"),
        "{stderr}"
    );
}

#[test]
fn empty_data_dir_lists_only_the_header() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tsblock(&["ls"], tmp.path());
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).expect("utf-8"),
        "BLOCK ULID   MIN TIME     MAX TIME     DURATION     NUM SAMPLES  NUM CHUNKS   NUM SERIES   SIZE\n"
    );
    let out = tsblock(&["dump"], tmp.path());
    assert!(out.status.success() && out.stdout.is_empty());
}

#[test]
fn symlinked_blocks_are_not_blocks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = fixture_block("values");
    std::os::unix::fs::symlink(&good, tmp.path().join(good.file_name().expect("name")))
        .expect("symlink");
    let out = tsblock(&["ls"], tmp.path());
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn a_broken_block_replaced_by_compaction_is_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path();
    let parent_ulid = "01BZJ9WJQPWHGNC2W4J9TA62KC";
    let parent = db.join(parent_ulid);
    copy_dir(&fixture_block("labels"), &parent);
    std::fs::write(parent.join("chunks/000001"), b"garbage").expect("corrupt");
    let child_src = fixture_block("values");
    let child = db.join(child_src.file_name().expect("name"));
    copy_dir(&child_src, &child);
    // Broken and not anyone's parent: an error.
    let out = tsblock(&["ls"], db);
    assert_eq!(out.status.code(), Some(1));
    // Listed as a parent of a block that opens: skipped with a warning, as Prometheus does.
    let meta = std::fs::read_to_string(child.join("meta.json")).expect("meta");
    let meta = meta.replace(
        "\"level\": 1,",
        &format!("\"level\": 2,\n\t\t\"parents\": [{{\"ulid\": \"{parent_ulid}\", \"minTime\": 0, \"maxTime\": 1}}],"),
    );
    std::fs::write(child.join("meta.json"), meta).expect("write");
    let out = tsblock(&["ls"], db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains(parent_ulid));
}

/// A broken chunk in one of several overlapping blocks is an error even when it starts at
/// the timestamp of a sample another block already gave (it is not a duplicate to drop).
#[test]
fn a_broken_chunk_at_a_duplicate_timestamp_is_still_an_error() {
    let fixture = common::testdata().join("blocks/spec-overlap");
    let blocks: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&fixture)
            .expect("fixture")
            .map(|e| e.expect("entry").path())
            .collect();
        v.sort();
        v
    };
    let mut broken_any = 0;
    for (victim, original) in blocks.iter().enumerate() {
        let tmp = tempfile::tempdir().expect("tempdir");
        copy_dir(&fixture, tmp.path());
        let block_dir = tmp.path().join(original.file_name().expect("name"));
        let block = tsblock::Block::open(&block_dir).expect("open");
        // The chunk of {case="same-start"}, whose first sample is at 1000000 or 1015000 in
        // every block: flip a data byte so its CRC fails.
        let chunk_ref = block
            .series()
            .expect("series")
            .map(|s| s.expect("series"))
            .find(|s| s.labels.iter().any(|l| l.value == b"same-start"))
            .expect("same-start series")
            .chunks[0]
            .chunk_ref;
        drop(block);
        let (_, off) = tsblock::chunks::split_ref(chunk_ref);
        let path = block_dir.join("chunks/000001");
        let mut data = std::fs::read(&path).expect("segment");
        data[off as usize + 6] ^= 0xff;
        std::fs::write(&path, data).expect("write");
        let out = tsblock(&["dump"], tmp.path());
        assert!(
            !out.status.success(),
            "victim {victim}: corruption went unnoticed"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("checksum mismatch"));
        broken_any += 1;
    }
    assert_eq!(broken_any, 3);
}

/// Like promtool, `ls` fails on a block whose symbol table is corrupt (dump does too).
#[test]
fn ls_checks_the_symbol_and_postings_tables() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let block = tmp
        .path()
        .join(fixture_block("values").file_name().expect("name"));
    copy_dir(&fixture_block("values"), &block);
    let mut index = std::fs::read(block.join("index")).expect("index");
    // A byte inside the symbol table (which starts at offset 5).
    index[20] ^= 0x01;
    std::fs::write(block.join("index"), index).expect("write");
    for cmd in ["ls", "dump"] {
        let out = tsblock(&[cmd], tmp.path());
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("symbol table") && err.contains("checksum mismatch"),
            "{cmd}: {err}"
        );
    }
}
