//! `export parquet --layout parquet-common`: every fixture (blocks and heads) comes back
//! from the export, read as a source, with the same samples (float bits exact, stale
//! markers kept; histograms equal as histograms, whatever buckets the re-encoding spelled
//! out as empty), and `tsblock dump` of the export prints what `tsblock dump` of the
//! original prints, whole and for selections; the files are row-aligned and sorted as the
//! layout says; damaged files are errors naming the file, never panics.
#![cfg(feature = "parquet")]

use std::path::{Path, PathBuf};
use std::process::Command;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use tsblock::export::parquet_common::{
    export_parquet_common, ParquetCommonOptions, ParquetCommonSource,
};
use tsblock::histogram::{Count, Histogram};
use tsblock::query::SampleRef;
use tsblock::{Db, Querier};

mod common;

/// Every source fixture: the data directories of testdata/blocks and testdata/heads.
fn sources() -> Vec<(String, PathBuf)> {
    let mut v = common::fixtures();
    for e in std::fs::read_dir(common::testdata().join("heads")).expect("heads") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            v.push((
                format!("heads/{}", p.file_name().unwrap().to_string_lossy()),
                p,
            ));
        }
    }
    v
}

/// A histogram as what it means: schema, zero bucket, count, sum (bits), and the non-empty
/// buckets by index.
fn meaning<C: Count + std::fmt::Debug + PartialEq + Default>(h: &Histogram<C>) -> String {
    let side = |spans: &[tsblock::histogram::Span], buckets: &[C]| {
        let mut out = Vec::new();
        let mut idx = 0i64;
        let mut b = buckets.iter();
        for s in spans {
            idx += i64::from(s.offset);
            for _ in 0..s.length {
                let c = b.next().expect("a bucket per span slot");
                if *c != C::default() {
                    out.push(format!("{idx}:{c:?}"));
                }
                idx += 1;
            }
        }
        out.join(",")
    };
    format!(
        "s{} zt{} z{:?} c{:?} sum{:016x} +[{}] -[{}] cv{:?}",
        h.schema,
        h.zero_threshold,
        h.zero_count,
        h.count,
        h.sum.to_bits(),
        side(&h.positive_spans, &h.positive_buckets),
        side(&h.negative_spans, &h.negative_buckets),
        h.custom_values
    )
}

/// Every sample of `q` as text, series by series; and the number of stale markers.
fn samples_of<Q: Querier + ?Sized>(q: &Q, mint: i64, maxt: i64) -> (Vec<String>, usize) {
    let (mut out, mut stale) = (Vec::new(), 0);
    for series in q.select(&[], mint, maxt).expect("select") {
        let series = series.expect("series");
        let labels: Vec<String> = series
            .labels()
            .iter()
            .map(|l| {
                format!(
                    "{}={}",
                    String::from_utf8_lossy(l.name),
                    String::from_utf8_lossy(l.value)
                )
            })
            .collect();
        let labels = labels.join(",");
        let mut samples = series.samples();
        while let Some(s) = samples.next_sample() {
            let (t, v) = s.expect("sample");
            let v = match v {
                SampleRef::Float(v) => {
                    stale += usize::from(v.to_bits() == 0x7ff0_0000_0000_0002);
                    format!("f{:016x}", v.to_bits())
                }
                SampleRef::Histogram(h) => {
                    stale += usize::from(h.is_stale());
                    format!("h {}", meaning(h))
                }
                SampleRef::FloatHistogram(h) => {
                    stale += usize::from(h.is_stale());
                    format!("fh {}", meaning(h))
                }
                other => panic!("a value type the export does not know: {other:?}"),
            };
            out.push(format!("{labels} {t} {v}"));
        }
    }
    (out, stale)
}

#[test]
fn every_fixture_round_trips() {
    let (mut stale, mut histograms) = (0, 0);
    for (name, dir) in sources() {
        let db = Db::open(&dir).expect("open");
        let (want, s) = samples_of(&db, i64::MIN, i64::MAX);
        stale += s;
        histograms += want
            .iter()
            .filter(|l| l.contains(" h ") || l.contains(" fh "))
            .count();
        // Small row groups too: rows must stay aligned across groups.
        for rows in [1_000_000, 3] {
            let out = tempfile::tempdir().expect("tempdir");
            let opts = ParquetCommonOptions {
                row_group_rows: rows,
                ..Default::default()
            };
            let summary = export_parquet_common(&db, &[], i64::MIN, i64::MAX, out.path(), &opts)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(summary.samples as usize, want.len(), "{name}");
            let back = ParquetCommonSource::open(out.path()).expect("read back");
            let (got, _) = samples_of(&back, i64::MIN, i64::MAX);
            assert_eq!(got.len(), want.len(), "{name}, {rows} rows per group");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{name}, {rows} rows per group");
            }
            check_layout(out.path(), rows);
        }
    }
    assert!(stale > 0, "no fixture with stale markers");
    assert!(histograms > 0, "no fixture with histograms");
}

/// Row alignment, row order, column order and metadata of an export.
fn check_layout(dir: &Path, rows_per_group: usize) {
    let open = |f: &str| {
        SerializedFileReader::new(std::fs::File::open(dir.join(f)).expect("file")).expect("parquet")
    };
    let (l, c) = (open("0.labels.parquet"), open("0.chunks.parquet"));
    let (lm, cm) = (l.metadata(), c.metadata());
    assert_eq!(lm.num_row_groups(), cm.num_row_groups());
    for g in 0..lm.num_row_groups() {
        let n = lm.row_group(g).num_rows();
        assert_eq!(n, cm.row_group(g).num_rows());
        assert!(n as usize <= rows_per_group);
    }
    let column_names = |m: &parquet::file::metadata::FileMetaData| -> Vec<String> {
        m.schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    };
    let names = column_names(lm.file_metadata());
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "labels columns in name order");
    assert_eq!(
        &names[names.len() - 2..],
        ["s_col_indexes", "s_series_hash"]
    );
    let data = column_names(cm.file_metadata());
    let mut sorted = data.clone();
    sorted.sort();
    assert_eq!(data, sorted, "data columns in name order");
    // A bloom filter on l___name__ in every row group.
    if let Some(i) = names.iter().position(|n| n == "l___name__") {
        for g in 0..lm.num_row_groups() {
            assert!(lm.row_group(g).column(i).bloom_filter_offset().is_some());
        }
    }
    for m in [lm.file_metadata(), cm.file_metadata()] {
        let kv = m.key_value_metadata().expect("metadata");
        for key in ["minT", "maxT", "data_col_duration_ms"] {
            assert!(kv.iter().any(|k| k.key == key), "{key}");
        }
    }
    // Rows sorted by __name__ (missing first), then by label set.
    let mut last: Option<(String, Vec<(String, String)>)> = None;
    for row in l.get_row_iter(None).expect("rows") {
        let row = row.expect("row");
        let mut labels = Vec::new();
        for (name, field) in row.get_column_iter() {
            if let (Some(n), Field::Str(v)) = (name.strip_prefix("l_"), field) {
                labels.push((n.to_string(), v.clone()));
            }
        }
        let metric = labels
            .iter()
            .find(|l| l.0 == "__name__")
            .map(|l| l.1.clone())
            .unwrap_or_default();
        let key = (metric, labels);
        if let Some(prev) = &last {
            assert!(*prev < key, "{prev:?} then {key:?}");
        }
        last = Some(key);
    }
}

fn tsblock(args: &[&std::ffi::OsStr]) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .output()
        .expect("run tsblock");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// `tsblock dump` of an export made with `selection` equals `tsblock dump` of the original
/// with the same selection.
fn dump_equal(dir: &Path, selection: &[&str]) {
    let out = tempfile::tempdir().expect("tempdir");
    let sel: Vec<&std::ffi::OsStr> = selection.iter().map(|s| s.as_ref()).collect();
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "export".as_ref(),
        "parquet".as_ref(),
        "--layout".as_ref(),
        "parquet-common".as_ref(),
    ];
    args.extend(&sel);
    args.push(dir.as_os_str());
    args.push(out.path().as_os_str());
    let (_, err, ok) = tsblock(&args);
    assert!(ok, "{err}");
    let mut args: Vec<&std::ffi::OsStr> = vec!["dump".as_ref()];
    args.extend(&sel);
    args.push(dir.as_os_str());
    let (want, err, ok) = tsblock(&args);
    assert!(ok, "{err}");
    let (got, err, ok) = tsblock(&["dump".as_ref(), out.path().as_os_str()]);
    assert!(ok, "{err}");
    assert!(!want.is_empty() || selection.is_empty());
    assert_eq!(
        got,
        want,
        "{} {selection:?}: {}",
        dir.display(),
        common::first_difference(&got, &want)
    );
}

#[test]
fn dump_of_the_export_is_dump_of_the_original() {
    for (_, dir) in sources() {
        dump_equal(&dir, &[]);
    }
}

/// Two times a third and two thirds into the samples of `dir`.
fn thirds(dir: &Path) -> (String, String) {
    let (dump, _, _) = tsblock(&["dump".as_ref(), dir.as_os_str()]);
    let times: Vec<i64> = dump
        .lines()
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    let (lo, hi) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    let (a, b) = (lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3);
    (a.to_string(), b.to_string())
}

#[test]
fn selections_export_only_their_series_and_times() {
    let many = common::testdata().join("blocks/spec-many-series");
    let gaps = common::testdata().join("blocks/spec-counters-gaps");
    let (a, b) = thirds(&gaps);
    dump_equal(
        &many,
        &["--match", r#"{__name__=~"container_.+", pod!="pod-0"}"#],
    );
    dump_equal(&gaps, &["--min-time", &a, "--max-time", &b]);
    let hist = common::testdata().join("blocks/native-histograms");
    dump_equal(
        &hist,
        &[
            "--match",
            r#"{case="stale"}"#,
            "--match",
            r#"{case="dense"}"#,
        ],
    );
    let multi = common::testdata().join("blocks/multi-block");
    let (c, d) = thirds(&multi);
    dump_equal(
        &multi,
        &[
            "--min-time",
            &c,
            "--max-time",
            &d,
            "--match",
            r#"{job="a"}"#,
        ],
    );

    // The metadata says which range was exported.
    let out = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&gaps).expect("open");
    let (a, b): (i64, i64) = (a.parse().unwrap(), b.parse().unwrap());
    let s = export_parquet_common(&db, &[], a, b, out.path(), &Default::default()).expect("export");
    assert_eq!(s.time_range, (a, b));
    let back = ParquetCommonSource::open(out.path()).expect("back");
    let (got, _) = samples_of(&back, i64::MIN, i64::MAX);
    let (want, _) = samples_of(&db, a, b);
    assert_eq!(got, want);
}

/// Reads everything a source holds; errors are fine, panics are not.
fn read_all(dir: &Path) -> Result<usize, tsblock::Error> {
    let db = Db::open(dir)?;
    let mut n = 0;
    for series in db.select(&[], i64::MIN, i64::MAX)? {
        let series = series?;
        let mut samples = series.samples();
        while let Some(s) = samples.next_sample() {
            s?;
            n += 1;
        }
    }
    Ok(n)
}

#[test]
fn damaged_files_are_errors_naming_the_file() {
    let src = common::testdata().join("blocks/native-histograms");
    let db = Db::open(&src).expect("open");
    let clean = tempfile::tempdir().expect("tempdir");
    let opts = ParquetCommonOptions {
        row_group_rows: 4,
        ..Default::default()
    };
    export_parquet_common(&db, &[], i64::MIN, i64::MAX, clean.path(), &opts).expect("export");
    let total = read_all(clean.path()).expect("clean export reads");
    for file in ["0.labels.parquet", "0.chunks.parquet"] {
        let bytes = std::fs::read(clean.path().join(file)).expect("read");
        // Truncated: the footer is gone, or half the file, or all but the magic.
        for len in [bytes.len() - 1, bytes.len() / 2, 4, 0] {
            let d = tempfile::tempdir().expect("tempdir");
            common::copy_dir(clean.path(), d.path());
            std::fs::write(d.path().join(file), &bytes[..len]).expect("write");
            let e = read_all(d.path()).expect_err("a truncated file must not read");
            let text = tsblock::error::Report(&e).to_string();
            assert!(text.contains(file), "{text}");
        }
        // Bytes flipped all over: an error or (where the damage misses what is read, or
        // lands in a value) a result, never a panic.
        for i in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
            let d = tempfile::tempdir().expect("tempdir");
            common::copy_dir(clean.path(), d.path());
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            std::fs::write(d.path().join(file), &b).expect("write");
            if let Ok(n) = read_all(d.path()) {
                assert!(n <= total * 2, "{file} byte {i}: {n} samples");
            }
        }
    }
    // The chunks file missing.
    let d = tempfile::tempdir().expect("tempdir");
    common::copy_dir(clean.path(), d.path());
    std::fs::remove_file(d.path().join("0.chunks.parquet")).expect("rm");
    let e = read_all(d.path()).expect_err("no chunks file");
    assert!(tsblock::error::Report(&e)
        .to_string()
        .contains("0.chunks.parquet"));
}

#[test]
fn help_names_the_layouts() {
    let (out, _, ok) = tsblock(&["export".as_ref(), "parquet".as_ref(), "--help".as_ref()]);
    assert!(ok);
    assert!(
        out.contains("parquet-common") && out.contains("samples"),
        "{out}"
    );
}

/// Writes a one-row shard by hand: labels `l___name__`, `s_col_indexes` and
/// `s_series_hash`, metadata `meta`, and one data column holding `cell`.
fn hand_made(dir: &Path, col_indexes: &[u8], cell: &[u8], meta: &[(&str, &str)]) {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let kv: Vec<KeyValue> = meta
        .iter()
        .map(|(k, v)| KeyValue::new(k.to_string(), v.to_string()))
        .collect();
    let props = Arc::new(
        WriterProperties::builder()
            .set_key_value_metadata(Some(kv))
            .build(),
    );
    let write = |file: &str, schema: &str, cols: Vec<(Vec<ByteArray>, Option<Vec<i16>>)>| {
        let schema = Arc::new(parse_message_type(schema).expect("schema"));
        let f = std::fs::File::create(dir.join(file)).expect("create");
        let mut w = SerializedFileWriter::new(f, schema, props.clone()).expect("writer");
        let mut g = w.next_row_group().expect("group");
        for (values, defs) in cols {
            let mut c = g.next_column().expect("col").expect("a column");
            c.typed::<ByteArrayType>()
                .write_batch(&values, defs.as_deref(), None)
                .expect("write");
            c.close().expect("close");
        }
        g.close().expect("close group");
        w.close().expect("close file");
    };
    write(
        "0.labels.parquet",
        "message l { optional binary l___name__ (STRING); required binary s_col_indexes; required binary s_series_hash; }",
        vec![
            (vec![ByteArray::from("up")], Some(vec![1])),
            (vec![ByteArray::from(col_indexes.to_vec())], None),
            (vec![ByteArray::from(vec![0u8; 8])], None),
        ],
    );
    write(
        "0.chunks.parquet",
        "message c { required binary s_data_0; }",
        vec![(vec![ByteArray::from(cell.to_vec())], None)],
    );
}

#[test]
fn hostile_rows_are_errors_naming_the_file() {
    // A valid XOR chunk of one sample (t=1000, v=1) framed as the layout frames it.
    let mut app = tsblock::chunkenc::XorAppender::new();
    app.append(1000, 1.0);
    let chunk = app.finish();
    let frame = |enc: u8, min: u8, max: u8, len: usize, data: &[u8]| {
        let mut f = vec![enc, min, max, len as u8];
        f.extend_from_slice(data);
        f
    };
    let meta = [
        ("minT", "0"),
        ("maxT", "7200000"),
        ("data_col_duration_ms", "28800000"),
    ];
    // t=1000 takes two varint bytes; build that frame by hand.
    let mut good = vec![1u8, 0xe8, 0x07, 0xe8, 0x07, chunk.len() as u8];
    good.extend_from_slice(&chunk);
    let ok = tempfile::tempdir().expect("tempdir");
    hand_made(ok.path(), &[2, 0], &good, &meta);
    assert_eq!(read_all(ok.path()).expect("the hand-made shard reads"), 1);

    /// The file to blame, `s_col_indexes`, the data cell, the metadata.
    type Case<'a> = (&'a str, Vec<u8>, Vec<u8>, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        // A frame longer than its cell.
        (
            "0.chunks.parquet",
            vec![2, 0],
            frame(1, 0, 1, 200, &chunk),
            meta.to_vec(),
        ),
        // An encoding upstream never writes.
        (
            "0.chunks.parquet",
            vec![2, 0],
            frame(9, 0, 1, chunk.len(), &chunk),
            meta.to_vec(),
        ),
        // A frame cut inside its varints.
        ("0.chunks.parquet", vec![2, 0], vec![1, 0x80], meta.to_vec()),
        // s_col_indexes naming a column the row does not have.
        ("0.labels.parquet", vec![2, 2], good.clone(), meta.to_vec()),
        // s_col_indexes cut short.
        ("0.labels.parquet", vec![4, 0], good.clone(), meta.to_vec()),
        // Metadata missing.
        (
            "0.labels.parquet",
            vec![2, 0],
            good.clone(),
            vec![("minT", "0")],
        ),
    ];
    for (file, idx, cell, meta) in cases {
        let d = tempfile::tempdir().expect("tempdir");
        hand_made(d.path(), &idx, &cell, &meta);
        let e = read_all(d.path()).expect_err("a hostile row must not read");
        let text = tsblock::error::Report(&e).to_string();
        assert!(text.contains(file), "{file}: {text}");
    }
    // Garbage chunk bytes inside a well-formed frame: an error when the samples are read,
    // naming the export.
    let d = tempfile::tempdir().expect("tempdir");
    let garbage = [0u8, 3, 0xff, 0xff];
    hand_made(
        d.path(),
        &[2, 0],
        &frame(1, 0, 1, garbage.len(), &garbage),
        &meta,
    );
    let e = read_all(d.path()).expect_err("garbage chunk");
    let text = tsblock::error::Report(&e).to_string();
    assert!(text.contains(&*d.path().to_string_lossy()), "{text}");
}
