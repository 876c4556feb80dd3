//! Selecting series by label matchers through the postings, against a brute-force scan of
//! every series, on blocks of 20,000 and 200,000 series written by `tsblock-write`.
//!
//! Each block has 2,000 series per metric (`instance="host-0"…"host-1999"`), `job` with 10
//! values and `env` with 2. A select is timed up to having read every selected series'
//! labels and chunk metas (samples are not decoded). Before the timings, the bytes
//! allocated per query are printed, measured with a counting allocator.
//!
//! The blocks are written once into `target/bench-data/` by running
//! `cargo run --release -p tsblock-tools --bin tsblock-write -- json - DIR`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

use criterion::{black_box, BenchmarkId, Criterion};
use tsblock::query::{Matcher, Selector};
use tsblock::{Block, Querier};

/// Counts bytes allocated, to report memory per query.
struct Counting;

/// Counting is switched on only for the memory report, so the timings pay no atomics.
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            let size = layout.size() as isize;
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PER_METRIC: u32 = 2000;

/// Writes (once) a block of `metrics × 2000` series with `tsblock-write json`.
fn block(metrics: u32) -> Block {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir: PathBuf = root
        .join("target/bench-data")
        .join(format!("query-{}k", metrics * PER_METRIC / 1000));
    let ready = dir.join("ready");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let series: Vec<serde_json::Value> = (0..metrics)
            .map(|k| {
                serde_json::json!({
                    "labels": {
                        "__name__": format!("metric_{k:03}"),
                        "instance": "host-{i}",
                        "job": format!("job-{}", k % 10),
                        "env": if k % 2 == 0 { "prod" } else { "dev" },
                    },
                    "repeat": PER_METRIC,
                    "generator": {"type": "counter", "start": 0, "interval": 15000, "count": 4},
                })
            })
            .collect();
        let spec = serde_json::json!({"seed": 1, "series": series}).to_string();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut child = Command::new(cargo)
            .current_dir(root)
            .args([
                "run",
                "--release",
                "-q",
                "-p",
                "tsblock-tools",
                "--bin",
                "tsblock-write",
                "--",
                "json",
                "-q",
                "-",
            ])
            .arg(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("run tsblock-write");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(spec.as_bytes())
            .expect("write spec");
        assert!(child.wait().expect("tsblock-write").success());
        std::fs::write(&ready, b"").expect("mark ready");
    }
    let block_dir = std::fs::read_dir(&dir)
        .expect("bench block dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.is_dir())
        .expect("a block");
    Block::open(block_dir).expect("open bench block")
}

const QUERIES: &[(&str, &str)] = &[
    ("equal", r#"{__name__="metric_007"}"#),
    (
        "equal_pair",
        r#"{__name__="metric_007", instance="host-42"}"#,
    ),
    (
        "regex_alternation",
        r#"{instance=~"host-1|host-2|host-3", job="job-7"}"#,
    ),
    (
        "regex_prefix",
        r#"{__name__="metric_007", instance=~"host-19.*"}"#,
    ),
    (
        "negative",
        r#"{__name__="metric_007", instance!~"host-1.*"}"#,
    ),
    ("not_equal_only", r#"{job!="job-3", env="dev"}"#),
];

/// Selects and reads every selected series' labels and chunk metas; returns the count.
fn select(block: &Block, matchers: &[Matcher]) -> usize {
    let mut n = 0;
    for s in block.select(matchers, i64::MIN, i64::MAX).expect("select") {
        black_box(s.expect("series").labels().len());
        n += 1;
    }
    n
}

/// The same by testing every series of the block.
fn brute_force(block: &Block, matchers: &[Matcher]) -> usize {
    let mut n = 0;
    for s in block.series().expect("series") {
        let s = s.expect("series");
        let pass = matchers.iter().all(|m| {
            let v = s
                .labels
                .iter()
                .find(|l| l.name == m.name())
                .map_or(&b""[..], |l| l.value);
            m.matches(v)
        });
        if pass {
            black_box(s.labels.len());
            n += 1;
        }
    }
    n
}

fn memory_report(blocks: &[(&str, &Block)]) {
    eprintln!("bytes allocated per query (total / peak live), series selected:");
    for (name, sel) in QUERIES {
        let m = sel.parse::<Selector>().expect("selector").into_matchers();
        for (size, b) in blocks {
            // Warm the lazily built table samples first: they are per block, not per query.
            select(b, &m);
            ALLOCATED.store(0, Ordering::Relaxed);
            LIVE.store(0, Ordering::Relaxed);
            PEAK.store(0, Ordering::Relaxed);
            COUNTING.store(true, Ordering::Relaxed);
            let n = select(b, &m);
            COUNTING.store(false, Ordering::Relaxed);
            let total = ALLOCATED.load(Ordering::Relaxed);
            let peak = PEAK.load(Ordering::Relaxed);
            eprintln!("  {name:<18} {size:>5}: {total:>10} B / {peak:>8} B, {n} series");
        }
    }
}

fn main() {
    let small = block(10);
    let large = block(100);
    let blocks = [("20k", &small), ("200k", &large)];
    memory_report(&blocks);
    let mut c = Criterion::default().configure_from_args();
    for (name, sel) in QUERIES {
        let m = sel.parse::<Selector>().expect("selector").into_matchers();
        let mut g = c.benchmark_group(format!("select/{name}"));
        for (size, b) in &blocks {
            assert_eq!(select(b, &m), brute_force(b, &m), "{name} on {size}");
            g.bench_with_input(BenchmarkId::new("postings", size), b, |bench, b| {
                bench.iter(|| select(b, &m))
            });
        }
        g.finish();
    }
    let mut g = c.benchmark_group("select/brute_force");
    g.sample_size(10);
    let m = QUERIES[0].1.parse::<Selector>().expect("selector");
    for (size, b) in &blocks {
        g.bench_with_input(BenchmarkId::new("equal", size), b, |bench, b| {
            bench.iter(|| brute_force(b, m.matchers()))
        });
    }
    g.finish();
    c.final_summary();
}
