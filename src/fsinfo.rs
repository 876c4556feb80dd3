//! Which file system a path lives on, to decide whether memory-mapping it is safe.
//!
//! On network and FUSE file systems (NFS, CIFS/SMB, 9p, Ceph, GlusterFS, s3fs, gcsfuse…)
//! an I/O error while a mapped page is read arrives as SIGBUS and kills the process;
//! reading the file instead turns it into an error. The type comes from the longest mount
//! point containing the path in `/proc/self/mountinfo` (Linux): reading a text file needs
//! neither `unsafe` nor a `statfs` binding. Elsewhere the type is unknown and nothing is
//! decided from it.

use std::path::{Path, PathBuf};

/// File system types (as `/proc/self/mountinfo` names them) where a mapped page can fail
/// to load: network and FUSE file systems.
pub fn maps_unsafely(fstype: &str) -> bool {
    const NETWORK: &[&str] = &[
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "afs",
        "davfs",
        "sshfs",
        "fuse",
        "fuseblk",
    ];
    NETWORK.contains(&fstype) || fstype.starts_with("fuse.")
}

/// The type of the file system holding `path` (e.g. `ext4`, `nfs4`, `fuse.s3fs`), when it
/// can be told.
pub fn filesystem_type(path: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mount_type(&text, &path)
}

/// The file system type of the longest mount point of `mountinfo` that contains `path`.
fn mount_type(mountinfo: &str, path: &Path) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for line in mountinfo.lines() {
        // "id parent major:minor root mount-point options [optional…] - type source …"
        let mut fields = line.split(' ');
        let Some(point) = fields.nth(4) else {
            continue;
        };
        let point = PathBuf::from(unescape(point));
        let Some(fstype) = line.split(" - ").nth(1).and_then(|r| r.split(' ').next()) else {
            continue;
        };
        if path.starts_with(&point) {
            let depth = point.components().count();
            if best.as_ref().is_none_or(|(d, _)| depth >= *d) {
                best = Some((depth, fstype.to_string()));
            }
        }
    }
    best.map(|(_, t)| t)
}

/// Mount points escape space, tab, newline and backslash as `\ooo` octal.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| b.get(i) == Some(&b'\\') && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                let v = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
                out.push(v as u8);
                i += 4;
            }
            None => {
                out.extend(b.get(i).copied());
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 27 0:50 / /mnt/prom rw,relatime shared:30 - nfs4 srv:/export rw,vers=4.2
41 40 0:51 / /mnt/prom/s3 rw,nosuid - fuse.s3fs s3fs rw,user_id=0
42 27 0:52 / /mnt/with\\040space rw - cifs //h/s rw
";

    #[test]
    fn longest_mount_point_wins() {
        let t = |p: &str| mount_type(MOUNTINFO, Path::new(p));
        assert_eq!(t("/var/lib/prometheus").as_deref(), Some("ext4"));
        assert_eq!(t("/mnt/prom/data/01ABC").as_deref(), Some("nfs4"));
        assert_eq!(t("/mnt/prom/s3/x").as_deref(), Some("fuse.s3fs"));
        assert_eq!(t("/mnt/with space/d").as_deref(), Some("cifs"));
        assert_eq!(t("/mnt/prometheus").as_deref(), Some("ext4"));
        for (fs, risky) in [
            ("ext4", false),
            ("xfs", false),
            ("tmpfs", false),
            ("overlay", false),
            ("nfs4", true),
            ("cifs", true),
            ("fuse.gcsfuse", true),
            ("fuse", true),
        ] {
            assert_eq!(maps_unsafely(fs), risky, "{fs}");
        }
    }

    #[test]
    fn this_machine_has_a_root() {
        // Linux test machines have /proc/self/mountinfo; the root has some type.
        if Path::new("/proc/self/mountinfo").exists() {
            assert!(filesystem_type(Path::new("/")).is_some());
        }
    }
}
