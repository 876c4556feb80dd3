//! `export parquet`: every fixture's samples come back from the Parquet files, row for row,
//! as the query layer gives them (labels, time, value bits, stale flag; histograms as
//! JSON), whatever the row-group size; and DuckDB (`.ci/run`, ignored here) reads the
//! samples table and agrees with `tsblock dump` on counts, sums and time ranges.
#![cfg(feature = "parquet")]

use std::path::Path;
use std::process::Command;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use tsblock::export::parquet::{export_samples, ParquetOptions};
use tsblock::query::SampleRef;
use tsblock::{Db, Querier};

mod common;

/// Rows as text: the non-null label columns as `name=value`, then the sample columns.
fn rows_of(path: &Path) -> (Vec<String>, usize) {
    let reader =
        SerializedFileReader::new(std::fs::File::open(path).expect("open")).expect("parquet");
    let groups = reader.metadata().num_row_groups();
    let mut out = Vec::new();
    for row in reader.get_row_iter(None).expect("rows") {
        let row = row.expect("row");
        let mut text = String::new();
        for (name, field) in row.get_column_iter() {
            match field {
                Field::Null => {}
                Field::Str(s) => text += &format!("{name}={s} "),
                Field::TimestampMillis(t) => text += &format!("t={t} "),
                Field::Double(v) => text += &format!("v={:016x} ", v.to_bits()),
                Field::Bool(b) => text += &format!("{name}={b} "),
                Field::Bytes(b) => {
                    text += &format!("{name}={} ", String::from_utf8_lossy(b.data()))
                }
                other => panic!("unexpected field {name}: {other:?}"),
            }
        }
        out.push(text);
    }
    (out, groups)
}

/// The same rows from the query layer.
fn expected(db: &Db) -> (Vec<String>, Vec<String>) {
    let (mut floats, mut hists) = (Vec::new(), Vec::new());
    for series in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        let series = series.expect("series");
        let labels: String = series
            .labels()
            .iter()
            .map(|l| {
                let name = String::from_utf8_lossy(l.name);
                let name = match &*name {
                    "t" | "v" | "stale" | "histogram" | "float" => format!("label:{name}"),
                    _ => name.into_owned(),
                };
                format!("{name}={} ", String::from_utf8_lossy(l.value))
            })
            .collect();
        let mut samples = series.samples();
        while let Some(s) = samples.next_sample() {
            let (t, value) = s.expect("sample");
            match value {
                SampleRef::Float(v) => floats.push(format!(
                    "{labels}t={t} v={:016x} stale={} ",
                    v.to_bits(),
                    v.to_bits() == 0x7ff0_0000_0000_0002
                )),
                SampleRef::Histogram(h) => hists.push(format!(
                    "{labels}t={t} histogram={} float=false ",
                    serde_json::to_string(h).expect("json")
                )),
                SampleRef::FloatHistogram(h) => hists.push(format!(
                    "{labels}t={t} histogram={} float=true ",
                    serde_json::to_string(h).expect("json")
                )),
                other => panic!("a value type the export does not know: {other:?}"),
            }
        }
    }
    (floats, hists)
}

#[test]
fn every_fixture_round_trips_row_for_row() {
    let mut histogram_fixtures = 0;
    for (name, dir) in common::fixtures() {
        let db = Db::open(&dir).expect("open");
        let (floats, hists) = expected(&db);
        for rows in [1 << 20, 97] {
            let out = tempfile::tempdir().expect("tempdir");
            let opts = ParquetOptions {
                row_group_rows: rows,
            };
            let summary =
                export_samples(&db, &[], i64::MIN, i64::MAX, out.path(), &opts).expect(&name);
            assert_eq!(summary.float_rows, floats.len() as u64, "{name}");
            let (got, groups) = rows_of(&out.path().join("samples.parquet"));
            assert_eq!(got, floats, "{name}: samples.parquet");
            if rows == 97 {
                assert_eq!(
                    groups,
                    floats
                        .len()
                        .div_ceil(97)
                        .max(usize::from(!floats.is_empty())),
                    "{name}"
                );
            }
            let hist_file = out.path().join("histograms.parquet");
            assert_eq!(hist_file.exists(), !hists.is_empty(), "{name}");
            if !hists.is_empty() {
                assert_eq!(rows_of(&hist_file).0, hists, "{name}: histograms.parquet");
                histogram_fixtures += 1;
            }
        }
    }
    assert!(histogram_fixtures > 0, "no fixture with histograms");
}

#[test]
fn a_selection_exports_only_its_series() {
    let dir = common::testdata().join("blocks/spec-many-series");
    let db = Db::open(&dir).expect("open");
    let sel: tsblock::query::Selector = r#"{pod=~"pod-4."}"#.parse().expect("selector");
    let out = tempfile::tempdir().expect("tempdir");
    let summary = export_samples(
        &db,
        &[sel.matchers()],
        i64::MIN,
        i64::MAX,
        out.path(),
        &ParquetOptions::default(),
    )
    .expect("export");
    assert_eq!(summary.series, 20);
    let (rows, _) = rows_of(&out.path().join("samples.parquet"));
    assert_eq!(rows.len() as u64, summary.float_rows);
    assert!(
        rows.iter().all(|r| r.contains("pod=pod-4")),
        "{:?}",
        rows.first()
    );
}

/// DuckDB reads the samples table and agrees with `tsblock dump`: row count, per-metric
/// count and sum, first and last timestamp.
#[test]
#[ignore = "needs python3 with duckdb; .ci/run runs it"]
fn duckdb_agrees_with_dump() {
    let dir = common::testdata().join("blocks/multi-block");
    let out = tempfile::tempdir().expect("tempdir");
    let tsblock = env!("CARGO_BIN_EXE_tsblock");
    let export = Command::new(tsblock)
        .args(["export", "parquet"])
        .arg(&dir)
        .arg(out.path())
        .output()
        .expect("export");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    // From the dump: per metric, the number of samples and the sum of the values.
    let dump = Command::new(tsblock)
        .arg("dump")
        .arg(&dir)
        .output()
        .expect("dump");
    let mut per_metric: std::collections::BTreeMap<String, (u64, f64)> = Default::default();
    let (mut first, mut last, mut total) = (i64::MAX, i64::MIN, 0u64);
    for line in String::from_utf8_lossy(&dump.stdout).lines() {
        let name = line
            .split("__name__=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("a metric name")
            .to_string();
        let mut fields = line.rsplit(' ');
        let t: i64 = fields.next().expect("t").parse().expect("t");
        let v: f64 = fields.next().expect("v").parse().expect("v");
        let e = per_metric.entry(name).or_default();
        e.0 += 1;
        e.1 += v;
        first = first.min(t);
        last = last.max(t);
        total += 1;
    }
    let script = r#"
import duckdb, sys
f = sys.argv[1] + "/samples.parquet"
print(duckdb.sql(f"select count(*), epoch_ms(min(t)), epoch_ms(max(t)) from '{f}'").fetchall()[0])
for row in duckdb.sql(f"select __name__, count(*), sum(v) from '{f}' group by 1 order by 1").fetchall():
    print(row)
"#;
    let py = Command::new("python3")
        .args(["-c", script])
        .arg(out.path())
        .output()
        .expect("python3 with duckdb is needed (pip install duckdb)");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let text = String::from_utf8_lossy(&py.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(&*format!("({total}, {first}, {last})")));
    for (name, (n, sum)) in &per_metric {
        let line = lines.next().expect("a metric row");
        let want_prefix = format!("('{name}', {n}, ");
        assert!(line.starts_with(&want_prefix), "{line} vs {want_prefix}");
        let got: f64 = line[want_prefix.len()..line.len() - 1]
            .parse()
            .expect("sum");
        assert!(
            (got - sum).abs() <= 1e-9 * sum.abs().max(1.0),
            "{name}: {got} vs {sum}"
        );
    }
    assert_eq!(lines.next(), None);
}
