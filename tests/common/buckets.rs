//! One suite for every cloud store served on loopback (S3 by moto, Azure Blob by Azurite):
//! fixtures uploaded by an independent client under prefixes of one bucket or container
//! (a prefix with several blocks, one marked for deletion; a prefix that is one block; a
//! native-histogram data directory), then `ls`, `dump`, `series`, `labels`, `analyze` and
//! `verify` on the store's URLs compared with the same commands on local copies, and a
//! selective `dump --match` fetching a fraction of its block.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use super::{copy_dir, fixture_block, testdata};

/// A server process, stopped on drop.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Waits until the server accepts connections on `port`.
    pub fn wait_for(self, port: u16, name: &str) -> Server {
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{name} did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self
    }
}

/// A port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The built `tsblock` with `env`, on `path`.
pub fn tsblock(args: &[&str], path: &str, env: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .arg(path)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run tsblock")
}

fn block_dirs(data: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    v.sort();
    v
}

/// Runs the suite: `upload` puts each local directory under its prefix (in a bucket or
/// container named `tsblock`), `url` makes the store's URL of a prefix, and `env` is what
/// `tsblock` needs to reach the server.
pub fn suite(
    upload: impl FnOnce(&[(&Path, &str)]),
    url: impl Fn(&str) -> String,
    env: &[(&str, String)],
) {
    // A data directory whose first block is marked for deletion in the store: the local
    // reference is the directory without it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let full = tmp.path().join("full");
    copy_dir(&testdata().join("blocks/multi-block"), &full);
    let marked = block_dirs(&full)[0].clone();
    std::fs::write(
        marked.join("deletion-mark.json"),
        r#"{"id":"x","deletion_time":1700000000,"version":1}"#,
    )
    .expect("mark");
    let kept = tmp.path().join("kept");
    copy_dir(&full, &kept);
    std::fs::remove_dir_all(kept.join(marked.file_name().expect("ulid"))).expect("rm");
    let big = fixture_block("spec-many-series");
    let histograms = testdata().join("blocks/native-histograms");
    upload(&[
        (&full, "tenant-a"),
        (&big, "one-block"),
        (&histograms, "tenant-b/data"),
    ]);

    for (prefix, local) in [
        ("tenant-a", kept.as_path()),
        ("one-block", big.as_path()),
        ("tenant-b/data/", histograms.as_path()),
    ] {
        let url = url(prefix);
        for args in [
            &["ls"][..],
            &["dump"],
            &["series"],
            &["labels"],
            &["analyze"],
        ] {
            let remote = tsblock(args, &url, env);
            let here = tsblock(args, local.to_str().expect("utf-8"), env);
            assert!(
                remote.status.success(),
                "{args:?} {url}: {}",
                String::from_utf8_lossy(&remote.stderr)
            );
            assert!(here.status.success(), "{args:?} {}", local.display());
            assert_eq!(
                String::from_utf8_lossy(&remote.stdout),
                String::from_utf8_lossy(&here.stdout),
                "{args:?} {url}"
            );
        }
        let verified = tsblock(&["verify"], &url, env);
        assert!(
            verified.status.success(),
            "verify {url}: {}",
            String::from_utf8_lossy(&verified.stdout)
        );
    }
    let ls = tsblock(&["ls"], &url("tenant-a"), env);
    let warning = String::from_utf8_lossy(&ls.stderr);
    assert!(
        warning.contains("marked for deletion")
            && warning.contains(&*marked.file_name().expect("ulid").to_string_lossy()),
        "{warning}"
    );

    // One selective matcher: the requests made and the bytes fetched against the block.
    let size: u64 = ["index", "chunks/000001", "meta.json"]
        .iter()
        .map(|f| std::fs::metadata(big.join(f)).expect("size").len())
        .sum();
    let sel = tsblock(
        &["--stats", "dump", "--match", r#"{pod="pod-42"}"#],
        &url("one-block"),
        env,
    );
    assert!(sel.status.success());
    assert_eq!(String::from_utf8_lossy(&sel.stdout).lines().count(), 4);
    let stats = String::from_utf8_lossy(&sel.stderr);
    let bytes: u64 = stats
        .split_whitespace()
        .rev()
        .nth(2)
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| panic!("no stats line: {stats}"));
    eprintln!(
        "selective dump from {}: {} (block: {size} bytes)",
        url("one-block"),
        stats.trim()
    );
    assert!(bytes < size * 3 / 4, "{stats}");
}
