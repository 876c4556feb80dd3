//! The S3 path end to end, against a real S3 server on loopback (moto's `moto_server`):
//! the bucket suite of `tests/common/buckets.rs` on `s3://` URLs, fixtures uploaded with
//! boto3 (a client independent of the code under test).
//!
//! Needs the `s3` feature, python3 with `moto[server]` and `boto3`: `.ci/run` installs them
//! and runs `cargo test --features s3 --test s3 -- --ignored`, which fails (does not skip)
//! without them.
#![cfg(feature = "s3")]

use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::buckets::{free_port, suite, Server};

fn env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "tsblock".into()),
        ("AWS_SECRET_ACCESS_KEY", "tsblock".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ENDPOINT_URL", endpoint.into()),
    ]
}

/// Creates the bucket `tsblock` and uploads every file under each local directory to its
/// prefix, with boto3.
fn upload(env: &[(&str, String)], dirs: &[(&Path, &str)]) {
    let script = r#"
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
s3.create_bucket(Bucket="tsblock")
for pair in sys.argv[1:]:
    local, prefix = pair.split("=", 1)
    for root, _, files in os.walk(local):
        for f in files:
            path = os.path.join(root, f)
            key = prefix + "/" + os.path.relpath(path, local)
            s3.upload_file(path, "tsblock", key)
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script]);
    for (dir, prefix) in dirs {
        cmd.arg(format!("{}={prefix}", dir.display()));
    }
    let status = cmd
        .envs(env.iter().map(|(k, v)| (k, v)))
        .status()
        .expect("python3 with boto3 is needed");
    assert!(status.success(), "upload failed");
}

#[test]
#[ignore = "needs moto_server and boto3; .ci/run runs it"]
fn blocks_in_s3_read_like_local_ones() {
    let port = free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server is needed (pip install 'moto[server]')");
    let _server = Server(child).wait_for(port, "moto_server");
    let env = env(&format!("http://127.0.0.1:{port}"));
    suite(
        |dirs| upload(&env, dirs),
        |prefix| format!("s3://tsblock/{prefix}"),
        &env,
    );
}
