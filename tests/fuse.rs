//! On a real FUSE mount (bindfs over the fixtures, read-only), where a failed read of a
//! mapped page would kill the process with SIGBUS, the CLI reads files instead of mapping
//! them, says so on stderr and prints what it prints from the local disk; `--mmap` maps
//! them anyway, without the note.
//!
//! Needs bindfs and the right to mount (root, /dev/fuse): `.ci/run` installs bindfs and runs
//! `cargo test --test fuse -- --ignored`, which fails (does not skip) without them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Unmounts on drop, so that a failed assertion leaves no mount behind.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("fusermount")
            .arg("-u")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
}

fn tsblock(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .arg(path)
        .output()
        .expect("run tsblock")
}

#[test]
#[ignore = "needs bindfs and a FUSE mount; .ci/run runs it"]
fn fuse_mounts_are_read_not_mapped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).expect("mount point");
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/blocks");
    let mounted = Command::new("bindfs")
        .arg("-r")
        .arg(&local)
        .arg(&mnt)
        .status()
        .expect("bindfs is needed (apt-get install bindfs)");
    assert!(
        mounted.success(),
        "bindfs could not mount {}",
        mnt.display()
    );
    let _mount = Mount(mnt.clone());
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(
        mountinfo.contains(&format!(" {} ", mnt.display())),
        "not mounted"
    );

    for (fixture, args) in [
        ("values", &["ls"][..]),
        ("values", &["dump"][..]),
        ("native-histograms", &["dump"][..]),
        ("tombstones", &["series"][..]),
    ] {
        let plain = tsblock(args, &local.join(fixture));
        assert!(plain.status.success(), "{args:?} {fixture} on local disk");
        assert!(plain.stderr.is_empty(), "no note on a local disk");

        let fused = tsblock(args, &mnt.join(fixture));
        assert!(fused.status.success(), "{args:?} {fixture} on FUSE");
        assert_eq!(
            fused.stdout, plain.stdout,
            "{args:?} {fixture}: same output"
        );
        let note = String::from_utf8_lossy(&fused.stderr);
        assert!(
            note.contains("is on a fuse file system") && note.contains("reading files instead"),
            "{args:?} {fixture}: the note, not {note:?}"
        );

        let mapped = tsblock(&[&["--mmap"][..], args].concat(), &mnt.join(fixture));
        assert!(mapped.status.success());
        assert_eq!(mapped.stdout, plain.stdout);
        assert!(mapped.stderr.is_empty(), "--mmap: no note");
    }
}
