//! The fuzz targets' bodies (`fuzz/src/lib.rs`) run over seeded mutations of every fixture:
//! a short, reproducible stand-in for `cargo fuzz` in every `cargo test`. Each target gets
//! the fixtures as `fuzz/seed.sh` would seed it (index files, every chunk's data, tombstones
//! and `meta.json`, selectors, WAL segments, whole blocks and heads packed as the targets
//! read them), each unchanged and then with a few random changes: flipped bits, bytes set
//! to edge values, ranges erased, inserted, copied or cut. A target's own checks (round
//! trips, batch against iterator, a regex translation against the pattern) and any panic
//! fail the test, which names the seed and case and leaves the input under `target/` for
//! `cargo fuzz run <target> <file>`.
//!
//! Inputs that once made a target fail are kept in `testdata/fuzz/<target>/` and run first,
//! unchanged.
//!
//! The special-file and amplification cases have their own tests (`special_files.rs`,
//! `amplification.rs`), as every cut and flip of the blocks has (`corruption.rs`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tsblock::chunkenc::Encoding;
use tsblock::Block;

#[path = "../fuzz/src/lib.rs"]
mod targets;

mod common;
use common::{testdata, Rng};

/// Cases per target at most, and the time a target may take (a debug build is slow; the
/// count is reached in release builds).
const CASES: usize = 3_000;
const BUDGET: Duration = Duration::from_secs(4);

/// Files under `dir` (recursively) for which `keep` holds, sorted.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("testdata directory").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn named(name: &'static str) -> impl Fn(&Path) -> bool {
    move |p| p.file_name().is_some_and(|n| n == name)
}

/// Every block directory of the fixtures (blocks and the heads' data directories).
fn block_dirs() -> Vec<PathBuf> {
    files(&testdata(), &named("meta.json"))
        .into_iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| d.join("index").is_file())
        .collect()
}

/// Each chunk's data (after the encoding byte) of every fixture block, by encoding.
fn chunk_data(want: &dyn Fn(Encoding) -> bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in block_dirs() {
        let block = Block::open(&dir).expect("fixture block");
        for s in block.series().expect("series") {
            for meta in s.expect("series entry").chunks {
                let chunk = block.chunk(meta.chunk_ref).expect("chunk");
                if want(chunk.encoding) {
                    out.push(chunk.data.to_vec());
                }
            }
        }
    }
    out
}

/// A block as the `block` target reads it: `meta.json`, `index`, `tombstones` (empty when
/// absent), the segments; each after its 4-byte big-endian length.
fn pack_block(dir: &Path) -> Vec<u8> {
    let mut paths = vec![
        dir.join("meta.json"),
        dir.join("index"),
        dir.join("tombstones"),
    ];
    paths.extend(files(&dir.join("chunks"), &|_| true));
    let mut out = Vec::new();
    for p in paths {
        let data = std::fs::read(&p).unwrap_or_default();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&data);
    }
    out
}

/// A head as the `head` target reads it: a mode byte, then each of the head's files as a
/// name length, its path under the data directory, a 4-byte length and the bytes.
fn pack_head(dir: &Path, mode: u8) -> Vec<u8> {
    let mut out = vec![mode];
    let head_file = |p: &Path| {
        let rel = p.strip_prefix(dir).expect("under the data directory");
        let top = rel.iter().next().and_then(|c| c.to_str()).unwrap_or("");
        matches!(top, "wal" | "wbl" | "chunks_head") || top.starts_with("chunk_snapshot.")
    };
    for p in files(dir, &head_file) {
        let name = p
            .strip_prefix(dir)
            .expect("under")
            .to_string_lossy()
            .into_owned();
        let data = std::fs::read(&p).expect("head file");
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&data);
    }
    out
}

/// One random change, as libFuzzer's mutators make them.
fn mutate_once(data: &mut Vec<u8>, rng: &mut Rng) {
    const EDGES: [u8; 6] = [0, 1, 0x7f, 0x80, 0xfe, 0xff];
    if data.is_empty() {
        data.push(rng.next() as u8);
        return;
    }
    let at = rng.below(data.len());
    let span = 1 + rng.below(16.min(data.len() - at));
    match rng.below(8) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data[at] = rng.next() as u8,
        2 => data[at] = EDGES[rng.below(EDGES.len())],
        3 => {
            data.drain(at..at + span);
        }
        4 => {
            let bytes: Vec<u8> = (0..span).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        5 => {
            // A range copied over another place: repeated structure, as in real damage.
            let from = rng.below(data.len());
            let len = (1 + rng.below(64))
                .min(data.len() - from)
                .min(data.len() - at);
            let piece = data[from..from + len].to_vec();
            data[at..at + len].copy_from_slice(&piece);
        }
        6 => data.truncate(at),
        _ => {
            // A 32-bit field set to an edge value: lengths, counts, offsets.
            let value: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, data.len() as u32][rng.below(5)];
            let end = (at + 4).min(data.len());
            data[at..end].copy_from_slice(&value.to_be_bytes()[..end - at]);
        }
    }
}

/// Runs `target` over the seeds unchanged (a sample of them when there are many), then over
/// mutated seeds until `CASES` or `BUDGET`; returns the number of cases run.
fn run(name: &str, seeds: &[Vec<u8>], target: fn(&[u8])) -> usize {
    assert!(!seeds.is_empty(), "{name}: no seeds in testdata");
    let seed = 0x5eed_0000
        ^ name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let mut cases = 0;
    // Inputs that once failed the target (`testdata/fuzz/<target>/`), each unchanged.
    let kept = testdata().join("fuzz").join(name);
    let kept = if kept.is_dir() {
        files(&kept, &|_| true)
    } else {
        Vec::new()
    };
    for path in kept {
        let data = std::fs::read(&path).expect("kept input");
        if std::panic::catch_unwind(|| target(&data)).is_err() {
            panic!("{name}: kept input {} fails again", path.display());
        }
        cases += 1;
    }
    // At most a sixth of the cases unchanged (every k-th seed), the rest mutated.
    let stride = seeds.len().div_ceil(CASES / 6);
    let unchanged = seeds.iter().step_by(stride).cloned().map(Some);
    let plain = unchanged.len();
    let inputs = unchanged.chain(std::iter::repeat(None));
    for (case, original) in inputs.enumerate() {
        if case >= plain && (case >= CASES || started.elapsed() > BUDGET) {
            break;
        }
        let data = original.unwrap_or_else(|| {
            let mut d = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(4) {
                mutate_once(&mut d, &mut rng);
            }
            d
        });
        let outcome = std::panic::catch_unwind(|| target(&data));
        if outcome.is_err() {
            let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{name}-{case}"));
            std::fs::write(&path, &data).expect("keep the failing input");
            panic!(
                "{name}: case {case} (seed {seed:#x}) failed; input kept in {}",
                path.display()
            );
        }
        cases += 1;
    }
    eprintln!("{name}: {cases} cases from {} seeds", seeds.len());
    cases
}

fn read_all(paths: Vec<PathBuf>, limit: usize) -> Vec<Vec<u8>> {
    paths
        .into_iter()
        .map(|p| {
            let mut d = std::fs::read(p).expect("fixture file");
            d.truncate(limit);
            d
        })
        .collect()
}

#[test]
fn index() {
    let seeds = read_all(files(&testdata(), &named("index")), usize::MAX);
    run("index", &seeds, targets::index::run);
}

#[test]
fn xor() {
    let seeds = chunk_data(&|e| e == Encoding::Xor);
    run("xor", &seeds, targets::xor::run);
}

#[test]
fn histogram() {
    let seeds = chunk_data(&|e| matches!(e, Encoding::Histogram | Encoding::FloatHistogram));
    run("histogram", &seeds, targets::histogram::run);
}

#[test]
fn tombstones_meta() {
    let keep = |p: &Path| named("tombstones")(p) || named("meta.json")(p);
    let seeds = read_all(files(&testdata(), &keep), usize::MAX);
    run("tombstones_meta", &seeds, targets::tombstones_meta::run);
}

#[test]
fn selector() {
    let mut seeds = Vec::new();
    for p in files(&testdata().join("selectors"), &|p| {
        p.extension().is_some_and(|e| e == "txt")
    }) {
        let text = std::fs::read_to_string(p).expect("selectors");
        seeds.extend(text.lines().map(|l| l.as_bytes().to_vec()));
    }
    run("selector", &seeds, targets::selector::run);
}

#[test]
fn wal() {
    let in_wal = |p: &Path| {
        p.parent().and_then(Path::file_name).is_some_and(|d| {
            d == "wal" || d == "wbl" || d.to_string_lossy().starts_with("checkpoint.")
        })
    };
    let seeds = read_all(files(&testdata().join("heads"), &in_wal), 256 << 10);
    run("wal", &seeds, targets::wal::run);
}

#[test]
fn block() {
    let seeds: Vec<Vec<u8>> = block_dirs().iter().map(|d| pack_block(d)).collect();
    run("block", &seeds, targets::block::run);
}

#[test]
fn head() {
    let mut heads: Vec<PathBuf> = std::fs::read_dir(testdata().join("heads"))
        .expect("heads")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("wal").is_dir())
        .collect();
    heads.sort();
    let seeds: Vec<Vec<u8>> = heads
        .iter()
        .flat_map(|d| [pack_head(d, 0), pack_head(d, 1)])
        .collect();
    run("head", &seeds, targets::head::run);
}

#[test]
fn goregex() {
    // Token bytes (see the target): alternation, groups, classes, repetition, anchors.
    let seeds: Vec<Vec<u8>> = vec![
        vec![0, 7, 1, 14, 16, 8, 0, 0, 1, 0, 5],
        vec![17, 2, 7, 0, 0, 2, 0, 1, 1],
        vec![19, 24, 6, 11, 0, 0, 0, 0, 6, 6],
        vec![22, 28, 9, 23, 0, 1, 1, 1, 0, 3],
    ];
    let cases = run("goregex", &seeds, targets::goregex::run);
    assert!(cases > seeds.len());
}
