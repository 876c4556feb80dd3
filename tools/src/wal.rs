//! `tsblock-write wal`: a data directory whose head is a generated WAL ([`walshape`]), for
//! benchmarks of head reading (`benches/compare-promtool-head.sh`) and for trying the
//! reader on a head of any size.

use std::path::Path;

use crate::walshape::{generate, WalShape};
use crate::Failure;

/// Writes the WAL of `shape` into `outdir/wal/` (and an empty `chunks_head/`).
pub fn write(outdir: &Path, shape: WalShape) -> Result<(u64, u32), Failure> {
    let wal = outdir.join("wal");
    if wal.exists() {
        return Err(Failure(format!("{} exists", wal.display())));
    }
    std::fs::create_dir_all(&wal).map_err(|e| Failure(format!("{}: {e}", wal.display())))?;
    std::fs::create_dir_all(outdir.join("chunks_head"))
        .map_err(|e| Failure(format!("{}: {e}", outdir.display())))?;
    let mut n = 0u32;
    let samples = generate(shape, |bytes| {
        let p = wal.join(format!("{n:08}"));
        std::fs::write(&p, bytes).map_err(|e| Failure(format!("{}: {e}", p.display())))?;
        n += 1;
        Ok::<(), Failure>(())
    })?;
    Ok((samples, n))
}
