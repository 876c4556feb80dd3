//! The Azure Blob path end to end, against Azurite (Microsoft's Azure Storage emulator, from
//! the npm registry) on loopback: the bucket suite of `tests/common/buckets.rs` on `az://`
//! URLs, fixtures uploaded with the `azure-storage-blob` Python client (independent of the
//! code under test), `tsblock` reaching the emulator through object_store's
//! `AZURE_STORAGE_USE_EMULATOR` and `AZURITE_BLOB_STORAGE_URL`.
//!
//! Needs the `azure` feature, `azurite-blob` on the PATH (or in `AZURITE_BLOB`) and python3
//! with `azure-storage-blob`: `.ci/run` installs them and runs
//! `cargo test --features azure --test azure -- --ignored`, which fails (does not skip)
//! without them.
#![cfg(feature = "azure")]

use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::buckets::{free_port, suite, Server};

/// The emulator's well-known development account and key (public, the same in every
/// Azurite).
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Creates the container `tsblock` and uploads every file under each local directory to
/// its prefix.
fn upload(endpoint: &str, dirs: &[(&Path, &str)]) {
    let script = r#"
import os, sys
from azure.storage.blob import BlobServiceClient
endpoint, account, key = sys.argv[1:4]
svc = BlobServiceClient.from_connection_string(
    f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};"
    f"BlobEndpoint={endpoint}/{account};")
container = svc.create_container("tsblock")
for pair in sys.argv[4:]:
    local, prefix = pair.split("=", 1)
    for root, _, files in os.walk(local):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as data:
                container.upload_blob(prefix + "/" + os.path.relpath(path, local), data)
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script, endpoint, ACCOUNT, KEY]);
    for (dir, prefix) in dirs {
        cmd.arg(format!("{}={prefix}", dir.display()));
    }
    let status = cmd
        .status()
        .expect("python3 with azure-storage-blob is needed");
    assert!(status.success(), "upload failed");
}

#[test]
#[ignore = "needs azurite-blob and azure-storage-blob; .ci/run runs it"]
fn blocks_in_azure_blob_storage_read_like_local_ones() {
    let port = free_port();
    let program = std::env::var("AZURITE_BLOB").unwrap_or_else(|_| "azurite-blob".into());
    let child = Command::new(&program)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--silent"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed (npm install azurite): {e}"));
    let _server = Server(child).wait_for(port, "azurite-blob");
    let endpoint = format!("http://127.0.0.1:{port}");
    let env = [
        ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
        ("AZURITE_BLOB_STORAGE_URL", endpoint.clone()),
    ];
    suite(
        |dirs| upload(&endpoint, dirs),
        |prefix| format!("az://tsblock/{prefix}"),
        &env,
    );
}
