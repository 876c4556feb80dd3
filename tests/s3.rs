//! The S3 path end to end, against a real S3 server on loopback (moto's `moto_server`):
//! fixtures uploaded under prefixes of one bucket (a prefix with several blocks, one of
//! them marked for deletion, and a prefix that is one block), then `ls`, `dump`, `series`,
//! `labels`, `verify` and `analyze` on `s3://` URLs, compared with the same commands on
//! local copies; and a selective `dump --match` fetching a fraction of its block.
//!
//! Needs the `s3` feature, python3 with `moto[server]` and `boto3`: `.ci/run` installs them
//! and runs `cargo test --features s3 --test s3 -- --ignored`, which fails (does not skip)
//! without them.
#![cfg(feature = "s3")]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{copy_dir, testdata};

/// Stops the server on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn start_moto(port: u16) -> Server {
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server is needed (pip install 'moto[server]')");
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "moto_server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

const ENV: [(&str, &str); 4] = [
    ("AWS_ACCESS_KEY_ID", "tsblock"),
    ("AWS_SECRET_ACCESS_KEY", "tsblock"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_ALLOW_HTTP", "true"),
];

/// Creates `bucket` and uploads every file under each local directory to its prefix, with
/// boto3 (a client independent of the code under test).
fn upload(endpoint: &str, bucket: &str, dirs: &[(&Path, &str)]) {
    let script = r#"
import os, sys, boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket=bucket)
for pair in sys.argv[3:]:
    local, prefix = pair.split("=", 1)
    for root, _, files in os.walk(local):
        for f in files:
            path = os.path.join(root, f)
            key = prefix + "/" + os.path.relpath(path, local)
            s3.upload_file(path, bucket, key)
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script, endpoint, bucket]);
    for (dir, prefix) in dirs {
        cmd.arg(format!("{}={prefix}", dir.display()));
    }
    let status = cmd
        .envs(ENV)
        .status()
        .expect("python3 with boto3 is needed");
    assert!(status.success(), "upload failed");
}

fn tsblock(args: &[&str], path: &str, endpoint: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .arg(path)
        .envs(ENV)
        .env("AWS_ENDPOINT_URL", endpoint)
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

#[test]
#[ignore = "needs moto_server and boto3; .ci/run runs it"]
fn blocks_in_s3_read_like_local_ones() {
    let port = free_port();
    let _server = start_moto(port);
    let endpoint = format!("http://127.0.0.1:{port}");

    // A data directory whose first block is marked for deletion in the bucket: the local
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
    let big = common::fixture_block("spec-many-series");
    let histograms = testdata().join("blocks/native-histograms");
    upload(
        &endpoint,
        "tsblock",
        &[
            (&full, "tenant-a"),
            (&big, "one-block"),
            (&histograms, "tenant-b/data"),
        ],
    );

    for (url, local) in [
        ("s3://tsblock/tenant-a", kept.as_path()),
        ("s3://tsblock/one-block", big.as_path()),
        ("s3://tsblock/tenant-b/data/", histograms.as_path()),
    ] {
        for args in [
            &["ls"][..],
            &["dump"],
            &["series"],
            &["labels"],
            &["analyze"],
        ] {
            let remote = tsblock(args, url, &endpoint);
            let here = tsblock(args, local.to_str().expect("utf-8"), &endpoint);
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
        let verified = tsblock(&["verify"], url, &endpoint);
        assert!(
            verified.status.success(),
            "verify {url}: {}",
            String::from_utf8_lossy(&verified.stdout)
        );
    }
    let ls = tsblock(&["ls"], "s3://tsblock/tenant-a", &endpoint);
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
        "s3://tsblock/one-block",
        &endpoint,
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
        "selective dump over S3: {} (block: {size} bytes)",
        stats.trim()
    );
    assert!(bytes < size * 3 / 4, "{stats}");
}
