//! Files that are not regular files, where a block's files should be: a FIFO (which would
//! block `open(2)` forever) or an endless device (`/dev/zero`) is refused at once with an
//! error naming the file, in every read mode; nothing hangs or reads until memory runs out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::copy_dir;

/// Runs tsblock with `args`; fails the test if it has not ended within 20 s.
fn run_bounded(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("tsblock {args:?} did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fixture(tmp: &Path) -> PathBuf {
    let data = tmp.join("data");
    copy_dir(Path::new("testdata/blocks/tombstones"), &data);
    data
}

fn block_dir(data: &Path) -> PathBuf {
    std::fs::read_dir(data)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.join("meta.json").exists())
        .expect("a block")
}

#[test]
fn fifos_and_devices_are_refused() {
    let has_mkfifo = Command::new("mkfifo").arg("--version").output().is_ok();
    assert!(has_mkfifo, "mkfifo (coreutils) is needed");
    for file in ["meta.json", "index", "tombstones", "chunks/000001"] {
        for kind in ["fifo", "zero"] {
            for mode in [&[][..], &["--no-mmap"][..], &["--ranged"][..]] {
                let tmp = tempfile::tempdir().expect("tempdir");
                let data = fixture(tmp.path());
                let target = block_dir(&data).join(file);
                std::fs::remove_file(&target).expect("remove");
                match kind {
                    "fifo" => {
                        let ok = Command::new("mkfifo")
                            .arg(&target)
                            .status()
                            .expect("mkfifo");
                        assert!(ok.success());
                    }
                    _ => std::os::unix::fs::symlink("/dev/zero", &target).expect("symlink"),
                }
                for cmd in ["ls", "dump", "verify"] {
                    let mut args: Vec<&str> = mode.to_vec();
                    let d = data.to_str().expect("utf-8");
                    args.extend([cmd, d]);
                    let out = run_bounded(&args);
                    let err = String::from_utf8_lossy(&out.stderr);
                    let text = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
                    // An error (exit 1), or for meta.json the block skipped with a
                    // warning, as a data directory skips a block without a readable meta.
                    let code = out.status.code();
                    assert!(
                        code == Some(1) || (file == "meta.json" && code == Some(0)),
                        "{file} {kind} {args:?}: {code:?} {text}"
                    );
                    let name = target.display().to_string();
                    assert!(text.contains(&name), "{file} {kind} {args:?}: {text}");
                    let what = if kind == "fifo" {
                        "a FIFO"
                    } else {
                        "a character device"
                    };
                    assert!(text.contains(what), "{file} {kind} {args:?}: {text}");
                }
            }
        }
    }
}
