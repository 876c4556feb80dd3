//! Index format v1 (Prometheus 2.0): the block Prometheus keeps in its own test data, read
//! from the workplace's `../shared/upstream-testdata/` (it belongs to another project and is
//! not copied here). `#[ignore]`d in a plain `cargo test`; `.ci/run` runs it and it fails
//! when the directory is missing.

use std::path::PathBuf;
use std::process::Command;

fn upstream() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/upstream-testdata");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

#[test]
#[ignore = "needs ../shared/upstream-testdata (present in CI)"]
fn v1_index_dumps_and_lists_like_promtool() {
    let dir = upstream();
    for (args, expected) in [
        (&["dump"][..], "index-v1.promtool-dump.txt"),
        (&["ls"][..], "index-v1.promtool-list.txt"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tsblock"))
            .args(args)
            .arg(dir.join("index-v1"))
            .output()
            .expect("run");
        assert!(out.status.success());
        let want = std::fs::read(dir.join(expected)).expect("expected output");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&want)
        );
    }
}

#[test]
#[ignore = "needs ../shared/upstream-testdata (present in CI)"]
fn v1_index_verifies() {
    let db = tsblock::Db::open(upstream().join("index-v1")).expect("open");
    let block = &db.blocks()[0];
    assert_eq!(block.index().version(), tsblock::index::IndexVersion::V1);
    block.verify().into_result().expect("verify");
    let index = block.index();
    assert_eq!(
        index.label_names().expect("names"),
        vec![&b"bar"[..], b"foo"]
    );
    assert_eq!(
        index.label_values(b"foo").expect("values"),
        vec![&b"bar"[..], b"baz"]
    );
    assert_eq!(
        index
            .postings(b"foo", b"baz")
            .expect("postings")
            .into_refs()
            .count(),
        1
    );
    assert_eq!(
        index
            .postings(b"bar", b"nope")
            .expect("postings")
            .into_refs()
            .count(),
        0
    );
}

#[test]
#[ignore = "needs ../shared/upstream-testdata (present in CI)"]
fn v1_symbol_table_crc_is_checked_when_reading() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = upstream().join("index-v1/01DXXFZDYD1MQW6079WK0K6EDQ");
    let dst = tmp.path().join("01DXXFZDYD1MQW6079WK0K6EDQ");
    std::fs::create_dir_all(dst.join("chunks")).expect("mkdir");
    for f in ["meta.json", "index", "tombstones", "chunks/000001"] {
        std::fs::copy(src.join(f), dst.join(f)).expect("copy");
    }
    let mut index = std::fs::read(dst.join("index")).expect("index");
    let at = index
        .windows(3)
        .position(|w| w == b"baz")
        .expect("symbol baz");
    index[at + 2] = b'Z';
    std::fs::write(dst.join("index"), index).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .arg("dump")
        .arg(tmp.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum mismatch"));
}
