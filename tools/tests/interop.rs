//! promtool 2.42 reads what `tsblock-write` writes: for every OpenMetrics input, our
//! blocks (both flavours) give promtool's own dump of promtool's blocks, and `tsdb list`
//! and `tsdb analyze` accept them. `#[ignore]`d without promtool; `.ci/run` runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn promtool_reads_our_blocks() {
    assert!(
        Command::new("promtool")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "promtool is not installed"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for input in std::fs::read_dir(testdata().join("inputs")).expect("inputs") {
        let input = input.expect("entry").path();
        if input.extension().is_none_or(|e| e != "om") {
            continue;
        }
        let name = input
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let args: Vec<String> = std::fs::read_to_string(input.with_extension("args"))
            .map(|a| a.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        for flavor in ["prometheus3", "prometheus2"] {
            let db = tmp.path().join(format!("{name}-{flavor}"));
            run(Command::new(env!("CARGO_BIN_EXE_tsblock-write"))
                .args(["openmetrics", "--quiet", "--flavor", flavor])
                .args(&args)
                .arg(&input)
                .arg(&db));
            std::fs::create_dir_all(db.join("wal")).expect("wal");
            let dump = run(Command::new("promtool").args(["tsdb", "dump"]).arg(&db));
            let expected =
                std::fs::read(testdata().join("expected").join(format!("{name}.dump.txt")))
                    .expect("expected");
            assert!(
                dump == expected,
                "{name} ({flavor}): promtool's dump of our blocks differs"
            );
            let list = run(Command::new("promtool").args(["tsdb", "list"]).arg(&db));
            let blocks = std::fs::read_dir(&db).expect("db").filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| tsblock::db::is_ulid(&e.file_name().to_string_lossy()))
            });
            assert_eq!(
                String::from_utf8_lossy(&list).lines().count(),
                1 + blocks.count()
            );
            for block in std::fs::read_dir(&db).expect("db") {
                let block = block
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                if tsblock::db::is_ulid(&block) {
                    run(Command::new("promtool")
                        .args(["tsdb", "analyze"])
                        .arg(&db)
                        .arg(&block));
                }
            }
            n += 1;
        }
    }
    assert!(n >= 10, "{n}");
}
