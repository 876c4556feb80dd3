//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod api;
pub mod buckets;
pub mod memhead;
pub mod walgen;

use std::path::{Path, PathBuf};

/// `testdata/` of this crate.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Every fixture data directory in `testdata/blocks/`, as (name, path), sorted by name.
pub fn fixtures() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(testdata().join("blocks"))
        .expect("testdata/blocks")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 fixture name")
                .to_string();
            (name, path)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 5, "fixtures missing: {v:?}");
    v
}

/// The first block directory of fixture `name`.
pub fn fixture_block(name: &str) -> PathBuf {
    std::fs::read_dir(testdata().join("blocks").join(name))
        .expect("fixture")
        .next()
        .expect("a block")
        .expect("entry")
        .path()
}

/// Copies a directory tree.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read dir") {
        let e = e.expect("entry");
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// xorshift64*: deterministic pseudo-random cases without a dependency.
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The sample shapes of Prometheus's XOR chunk benchmarks (120 samples): start at
/// t=1234123324, v=1243535.123; "constant" adds 1 s and 0 per sample, the random ones add
/// 15 s ± up to 50 ms and an integer step in [-50, 50) ("random-steps") or a float in
/// [0, 1) ("random-0-1").
pub fn benchmark_samples(kind: &str, rng: &mut Rng) -> Vec<(i64, f64)> {
    let (mut t, mut v) = (1_234_123_324i64, 1_243_535.123f64);
    (0..120)
        .map(|_| {
            match kind {
                "constant" => t += 1000,
                _ => t += rng.below(100) as i64 - 50 + 15_000,
            }
            v += match kind {
                "constant" => 0.0,
                "random-steps" => rng.below(100) as f64 - 50.0,
                _ => rng.unit(),
            };
            (t, v)
        })
        .collect()
}

/// True if a data directory holds native-histogram chunks.
pub fn has_histograms(dir: &Path) -> bool {
    let db = tsblock::Db::open(dir).expect("open");
    db.blocks().iter().any(|b| {
        b.series().expect("series").any(|s| {
            s.expect("series").chunks.iter().any(|c| {
                b.chunk(c.chunk_ref).expect("chunk").encoding != tsblock::chunkenc::Encoding::Xor
            })
        })
    })
}

/// tsblock's dump as promtool 2.42 prints it: each series' lines up to its first histogram
/// sample (promtool 2.42 stops there; tsblock prints histograms as promtool >= 2.48 does).
/// Returns the cut text and how many histogram lines there were.
pub fn cut_as_promtool_2_42(dump: &str) -> (String, usize) {
    let (mut cut, mut histograms) = (String::new(), 0);
    let mut stopped: Option<&str> = None;
    for line in dump.split_inclusive('\n') {
        let (prefix, is_histogram) = match line.rfind(" {count:") {
            Some(i) => (&line[..i], true),
            None => {
                let mut parts = line.trim_end().rsplitn(3, ' ');
                parts.next();
                parts.next();
                (parts.next().unwrap_or_default(), false)
            }
        };
        if stopped == Some(prefix) {
            continue;
        }
        if is_histogram {
            histograms += 1;
            stopped = Some(prefix);
            continue;
        }
        cut.push_str(line);
    }
    (cut, histograms)
}

/// Where two outputs first differ, for assertion messages: the line number, both lines
/// and both line counts.
pub fn first_difference(got: &str, want: &str) -> String {
    let line = got
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(got.lines().count().min(want.lines().count()));
    format!(
        "at line {}:\n got: {:?}\nwant: {:?}\n({} vs {} lines)",
        line + 1,
        got.lines().nth(line),
        want.lines().nth(line),
        got.lines().count(),
        want.lines().count()
    )
}
