//! Blocks in object storage (`tsblock::object`): every fixture read from an in-memory store
//! and through `file://` gives the samples the local directory gives; blocks marked for
//! deletion or without a readable `meta.json` are skipped with a warning; a selective
//! query fetches a fraction of the block; every golden dump (whole and `--match`) comes out
//! of an in-memory bucket as promtool printed it. (The golden tests run every CLI
//! comparison through `file://` too; `.ci/run` runs the S3 path against a real S3 server.)

use std::path::Path;
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use tsblock::object::Bucket;
use tsblock::query::Selector;
use tsblock::{Db, Querier, Warning};

mod common;

/// Every series with every sample, as text.
fn everything(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    for series in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        let series = series.expect("series");
        out.push(format!("{:?}", series.labels()));
        for s in series.samples() {
            out.push(format!("{:?}", s.expect("sample")));
        }
    }
    out
}

/// Uploads every file under `dir` to `store` under `prefix`.
fn upload(store: &InMemory, dir: &Path, prefix: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(dir)
                .expect("under")
                .to_string_lossy()
                .into_owned();
            let location = ObjectPath::from(format!("{prefix}/{rel}"));
            let bytes = std::fs::read(&p).expect("read");
            runtime
                .block_on(store.put(&location, PutPayload::from(bytes)))
                .expect("put");
        }
    }
}

fn bucket(store: Arc<InMemory>, prefix: &str) -> Bucket {
    Bucket::new(
        store,
        ObjectPath::from(prefix),
        &format!("memory://{prefix}"),
    )
    .expect("bucket")
}

#[test]
fn every_fixture_reads_the_same_from_a_bucket() {
    for (name, dir) in common::fixtures() {
        let local = Db::open(&dir).expect("local");
        let want = everything(&local);
        assert!(!want.is_empty(), "{name}");

        let store = Arc::new(InMemory::new());
        upload(&store, &dir, &format!("tenant/{name}"));
        let db = bucket(store, &format!("tenant/{name}"))
            .open_db()
            .expect(&name);
        assert_eq!(db.blocks().len(), local.blocks().len(), "{name}");
        assert_eq!(everything(&db), want, "{name}: memory://");
        for (a, b) in db.blocks().iter().zip(local.blocks()) {
            assert_eq!(a.meta(), b.meta());
            assert_eq!(a.size(), b.size(), "{name}: sizes from the listing");
            assert!(a.verify().is_clean(), "{name}: {}", a.verify());
        }

        let url = format!("file://{}", dir.display());
        let db = Bucket::from_url(&url)
            .expect("file URL")
            .open_db()
            .expect(&url);
        assert_eq!(everything(&db), want, "{name}: file://");
        assert!(db.fetch_stats().is_some_and(|s| s.fetches > 0));
    }
}

/// `tsdb dump`'s text of what `matchers` select, by the library's formatters
/// (histograms as promtool >= 2.48 prints them).
fn promtool_dump(db: &Db, matchers: &[tsblock::query::Matcher]) -> Vec<u8> {
    use tsblock::compat::promtool::{push_dump_histogram_line, push_dump_prefix, DumpLines};
    use tsblock::query::SampleRef;
    let (mut out, mut prefix, mut lines) = (Vec::new(), Vec::new(), DumpLines::new());
    for series in db.select(matchers, i64::MIN, i64::MAX).expect("select") {
        let series = series.expect("series");
        prefix.clear();
        push_dump_prefix(&mut prefix, series.labels());
        let mut samples = series.samples();
        while let Some(s) = samples.next_sample() {
            match s.expect("sample") {
                (t, SampleRef::Float(v)) => lines.push(&mut out, &prefix, t, v),
                (t, SampleRef::Histogram(h)) => push_dump_histogram_line(&mut out, &prefix, t, h),
                (t, SampleRef::FloatHistogram(h)) => {
                    push_dump_histogram_line(&mut out, &prefix, t, h)
                }
                _ => {}
            }
        }
    }
    out
}

/// The golden comparisons through `memory://`: every fixture's dump, whole and for every
/// selector of `testdata/selectors/`, read from an in-memory bucket, is what promtool 2.42
/// printed for the directory (`testdata/expected/`). (The CLI's golden tests cover the
/// local modes and `file://`; a CLI process cannot see a test's in-memory store.)
#[test]
fn dumps_through_an_in_memory_bucket_match_promtool() {
    let root = common::testdata();
    let expected = |file: String| std::fs::read(root.join("expected").join(file)).ok();
    let mut compared = 0;
    for (name, dir) in common::fixtures() {
        let Some(want) = expected(format!("{name}.dump.txt")) else {
            continue;
        };
        let store = Arc::new(InMemory::new());
        upload(&store, &dir, &format!("golden/{name}"));
        let db = bucket(store, &format!("golden/{name}"))
            .open_db()
            .expect(&name);
        let got = promtool_dump(&db, &[]);
        // promtool 2.42 stops a series at its first histogram sample.
        let got = if common::has_histograms(&dir) {
            let (cut, histograms) =
                common::cut_as_promtool_2_42(std::str::from_utf8(&got).expect("utf-8"));
            assert!(histograms > 0, "{name}");
            cut.into_bytes()
        } else {
            got
        };
        assert!(
            got == want,
            "{name}: memory:// dump differs from promtool's"
        );
        compared += 1;
        let selectors = std::fs::read_to_string(root.join("selectors").join(format!("{name}.txt")))
            .unwrap_or_default();
        for (i, line) in selectors.lines().enumerate() {
            let want = expected(format!("{name}.match-{}.dump.txt", i + 1))
                .unwrap_or_else(|| panic!("{name}: no expected dump for selector {line}"));
            let sel: Selector = line.parse().expect("selector");
            assert!(
                promtool_dump(&db, sel.matchers()) == want,
                "{name}: memory:// dump --match {line} differs from promtool's"
            );
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} golden dumps compared");
}

#[test]
fn a_block_url_opens_that_block() {
    let dir = common::fixture_block("values");
    let url = format!("file://{}/", dir.display());
    let db = Bucket::from_url(&url)
        .expect("url")
        .open_db()
        .expect("open");
    assert_eq!(db.blocks().len(), 1);
    assert_eq!(db.blocks()[0].dir(), Path::new(url.trim_end_matches('/')));
}

#[test]
fn marked_and_unreadable_blocks_are_skipped_with_warnings() {
    let dir = common::testdata().join("blocks/multi-block");
    let local = Db::open(&dir).expect("local");
    assert!(local.blocks().len() >= 3);
    let store = Arc::new(InMemory::new());
    upload(&store, &dir, "data");
    let ulids: Vec<String> = local
        .blocks()
        .iter()
        .map(|b| b.meta().ulid.clone())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let put = |rel: String, bytes: &[u8]| {
        runtime
            .block_on(store.put(&ObjectPath::from(rel), PutPayload::from(bytes.to_vec())))
            .expect("put")
    };
    put(
        format!("data/{}/deletion-mark.json", ulids[0]),
        br#"{"id":"x","deletion_time":1,"version":1}"#,
    );
    put(format!("data/{}/meta.json", ulids[1]), b"{ not json");
    // Not a block: no ULID directory.
    put("data/notes/readme.txt".into(), b"hello");
    // A block being uploaded: no meta.json yet.
    put(
        "data/01ARZ3NDEKTSV4RRFFQ69G5FAV/chunks/000001".into(),
        b"partial",
    );

    let db = bucket(store.clone(), "data").open_db().expect("open");
    let kept: Vec<&str> = db.blocks().iter().map(|b| b.meta().ulid.as_str()).collect();
    assert_eq!(kept, &ulids[2..]);
    let warnings = db.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    let marked = |u: &str| {
        warnings
            .iter()
            .any(|w| matches!(w, Warning::MarkedForDeletion { dir } if dir.ends_with(u)))
    };
    let skipped = |u: &str| {
        warnings
            .iter()
            .any(|w| matches!(w, Warning::SkippedBlock { dir, .. } if dir.ends_with(u)))
    };
    assert!(marked(&ulids[0]) && skipped(&ulids[1]), "{warnings:?}");
    assert!(skipped("01ARZ3NDEKTSV4RRFFQ69G5FAV"), "{warnings:?}");
    assert!(warnings
        .iter()
        .any(|w| w.to_string().contains("marked for deletion")));

    // A missing index is an error naming the object.
    let runtime2 = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime2
        .block_on(store.delete(&ObjectPath::from(format!("data/{}/index", ulids[2]))))
        .expect("delete");
    let err = bucket(store, "data").open_db().expect_err("no index");
    assert!(err.to_string().contains(&ulids[2]), "{err}");
}

#[test]
fn a_selective_query_fetches_a_fraction_of_the_block() {
    let dir = common::testdata().join("blocks/spec-many-series");
    let url = format!("file://{}", dir.display());
    let bucket = Bucket::from_url(&url).expect("url").with_min_fetch(4096);
    let db = bucket.open_db().expect("open");
    let size: u64 = db.blocks().iter().map(|b| b.size()).sum();
    let sel: Selector = r#"{pod="pod-42"}"#.parse().expect("selector");
    let mut samples = 0;
    for series in db
        .select(sel.matchers(), i64::MIN, i64::MAX)
        .expect("select")
    {
        samples += series.expect("series").samples().count();
    }
    assert_eq!(samples, 4);
    let fetched = db.fetch_stats().expect("a bucket counts");
    eprintln!(
        "selective query: {} of {size} bytes ({:.1}%) in {} requests",
        fetched.bytes,
        100.0 * fetched.bytes as f64 / size as f64,
        fetched.fetches
    );
    assert!(fetched.bytes < size / 2, "{fetched:?} of {size}");
}

/// A prefetch of a scattered selection's chunks fetches them in a few merged, parallel
/// requests; reading them afterwards fetches nothing more.
#[test]
fn prefetched_chunks_are_read_without_more_fetches() {
    use tsblock::storage::BlockReader;
    let dir = common::testdata().join("blocks/spec-many-series");
    let url = format!("file://{}", dir.display());
    let db = Bucket::from_url(&url)
        .expect("url")
        .with_min_fetch(1024)
        .open_db()
        .expect("open");
    let sel: Selector = r#"{pod=~"pod-.*7"}"#.parse().expect("selector");
    let selected: Vec<_> = db
        .select(sel.matchers(), i64::MIN, i64::MAX)
        .expect("select")
        .map(|s| s.expect("series"))
        .collect();
    let block = &db.blocks()[0];
    let metas: Vec<_> = selected
        .iter()
        .flat_map(|s| s.chunks().flat_map(|(_, m)| m.to_vec()))
        .collect();
    assert!(metas.len() >= 100, "{}", metas.len());
    let before = db.fetch_stats().expect("a bucket counts");
    block.chunk_reader().prefetch(&metas);
    let prefetched = db.fetch_stats().expect("a bucket counts");
    let requests = prefetched.fetches - before.fetches;
    assert!(
        (1..metas.len() as u64 / 4).contains(&requests),
        "{requests} requests for {} chunks",
        metas.len()
    );
    for m in &metas {
        block.chunk(m.chunk_ref).expect("chunk");
    }
    assert_eq!(db.fetch_stats().expect("stats"), prefetched);
    // Asked again, nothing is fetched.
    block.chunk_reader().prefetch(&metas);
    assert_eq!(db.fetch_stats().expect("stats"), prefetched);
}

#[test]
fn unusable_urls_are_errors() {
    for (url, says) in [
        ("not a url://x", "not a URL"),
        ("s3://bucket/prefix", "cargo feature"),
        ("file:///nonexistent/tsblock", "no blocks"),
    ] {
        if url.starts_with("s3") && cfg!(feature = "s3") {
            continue;
        }
        let err = Bucket::from_url(url)
            .and_then(|b| b.open_db())
            .expect_err(url);
        // The message and its causes, as the CLI prints them.
        let mut text = err.to_string();
        let mut cause = std::error::Error::source(&err);
        while let Some(c) = cause {
            text += &format!(": {c}");
            cause = c.source();
        }
        assert!(text.contains(says), "{url}: {text}");
    }
}
