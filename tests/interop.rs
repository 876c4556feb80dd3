//! Interoperability with the real promtool (Prometheus 2.42): regenerate blocks from the
//! checked-in OpenMetrics inputs with `promtool tsdb create-blocks-from openmetrics` and
//! compare `tsblock dump`/`ls` with `promtool tsdb dump`/`list` on those fresh blocks.
//!
//! Needs `promtool` on PATH, so it is `#[ignore]`d in a plain `cargo test`; `.ci/run`
//! installs promtool and runs it with `--ignored`. Without promtool it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{copy_dir, testdata};

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn promtool() -> Command {
    let found = Command::new("promtool").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool is not installed: `apt-get install -y prometheus` (Debian) provides promtool 2.42"
    );
    Command::new("promtool")
}

fn tsblock() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
}

fn assert_same(what: &str, ours: &[u8], theirs: &[u8]) {
    if ours != theirs {
        let (o, t) = (
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(theirs),
        );
        let line = o.lines().zip(t.lines()).position(|(a, b)| a != b);
        panic!(
            "{what}: tsblock and promtool differ at line {line:?}: {:?} vs {:?} ({} vs {} lines)",
            line.and_then(|l| o.lines().nth(l)),
            line.and_then(|l| t.lines().nth(l)),
            o.lines().count(),
            t.lines().count()
        );
    }
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn fresh_promtool_blocks_read_identically() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(testdata().join("inputs"))
        .expect("testdata/inputs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "om"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 4, "{inputs:?}");
    for input in inputs {
        let name = input
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let db = tmp.path().join(&name);
        let mut create = promtool();
        create.args(["tsdb", "create-blocks-from", "openmetrics"]);
        if let Ok(args) = std::fs::read_to_string(input.with_extension("args")) {
            create.args(args.split_whitespace());
        }
        run(create.arg(&input).arg(&db));
        // promtool 2.42's dump needs a wal/ directory; tsblock warns about it and goes on.
        std::fs::create_dir_all(db.join("wal")).expect("mkdir wal");
        check(&name, &db, &["tsdb", "dump"], &["dump"]);
        check(&name, &db, &["tsdb", "list"], &["ls"]);
        check(&name, &db, &["tsdb", "list", "-r"], &["ls", "-r"]);
        let range = testdata()
            .join("expected")
            .join(format!("{name}.dump-range.args"));
        if let Ok(args) = std::fs::read_to_string(range) {
            let args: Vec<&str> = args.split_whitespace().collect();
            let mut p = vec!["tsdb", "dump"];
            p.extend(&args);
            let mut t = vec!["dump"];
            t.extend(&args);
            check(&name, &db, &p, &t);
        }
        // The checked-in expectations came from the same promtool over the same inputs.
        let expected = std::fs::read(testdata().join("expected").join(format!("{name}.dump.txt")))
            .expect("expected dump");
        let fresh = run(tsblock().arg("dump").arg(&db));
        assert_same(
            &format!("{name}: fresh dump vs testdata/expected"),
            &fresh,
            &expected,
        );
    }
}

fn check(name: &str, db: &Path, promtool_args: &[&str], tsblock_args: &[&str]) {
    let theirs = run(promtool().args(promtool_args).arg(db));
    let mut ours = run(tsblock().args(tsblock_args).arg(db));
    if tsblock_args.first() == Some(&"dump") && common::has_histograms(db) {
        // promtool 2.42 stops each series at its first histogram sample.
        let text = String::from_utf8(ours).expect("utf-8");
        ours = common::cut_as_promtool_2_42(&text).0.into_bytes();
    }
    assert_same(&format!("{name}: {tsblock_args:?}"), &ours, &theirs);
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn promtool_agrees_on_the_checked_in_fixtures() {
    // Also covers fixtures promtool cannot regenerate by itself (tombstones from a server).
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, fixture) in common::fixtures() {
        let db = tmp.path().join(&name);
        std::fs::create_dir_all(db.join("wal")).expect("mkdir");
        for block in std::fs::read_dir(&fixture).expect("fixture") {
            let block = block.expect("entry").path();
            let dst = db.join(block.file_name().expect("name"));
            copy_dir(&block, &dst);
        }
        check(&name, &db, &["tsdb", "dump"], &["dump"]);
        check(&name, &db, &["tsdb", "list"], &["ls"]);
        // analyze must accept every block (including those tsblock-write made).
        for block in std::fs::read_dir(&db).expect("db") {
            let block = block
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if tsblock::db::is_ulid(&block) {
                run(promtool().args(["tsdb", "analyze"]).arg(&db).arg(&block));
            }
        }
    }
}

/// A PromQL double-quoted string (Go's `strconv.Quote`, whose escapes PromQL reads back).
fn quoted(s: &[u8]) -> String {
    let mut out = Vec::new();
    tsblock::text::push_quoted(&mut out, s);
    String::from_utf8(out).expect("quoted strings are UTF-8")
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in s {
        if br"\.+*?()|[]{}^$".contains(&b) {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// Selectors built from a data directory's own label names and values: equality,
/// negation, literal alternations, prefixes, empty-value matchers, case folding, a label
/// no series has. Regexes over a label with a newline in some value get `(?s)`, where
/// Prometheus 2.x and 3.x agree on `.`.
fn selector_battery(db: &tsblock::Db) -> Vec<String> {
    use tsblock::Querier;
    let mut out = Vec::new();
    let names = db.label_names(&[]).expect("names");
    let metric = db
        .label_values(b"__name__", &[])
        .expect("values")
        .first()
        .map(|v| quoted(v));
    for name in names.iter().take(5) {
        let n = String::from_utf8_lossy(name);
        let values = db.label_values(name, &[]).expect("values");
        let (Some(a), Some(c)) = (values.first(), values.last()) else {
            continue;
        };
        let b = values[values.len() / 2];
        let s = if values.iter().any(|v| v.contains(&b'\n')) {
            "(?s)"
        } else {
            ""
        };
        let first = |v: &[u8]| {
            let ch = String::from_utf8_lossy(v).chars().next().unwrap_or('x');
            quote_meta(ch.to_string().as_bytes())
        };
        let re = |parts: &[&[u8]]| quoted(&parts.concat());
        out.extend([
            format!("{{{n}={}}}", quoted(a)),
            format!("{{{n}!={}}}", quoted(b)),
            format!("{{{n}=~{}}}", re(&[&quote_meta(a), b"|", &quote_meta(c)])),
            format!("{{{n}=~{}}}", re(&[s.as_bytes(), &first(b), b".*"])),
            format!("{{{n}!~{}}}", re(&[s.as_bytes(), &first(b), b".*"])),
            format!("{{{n}=\"\"}}"),
            format!("{{{n}!=\"\"}}"),
            format!("{{{n}=~\"{s}.+\"}}"),
            format!("{{{n}!~\"{s}.*1.*\"}}"),
            format!(
                "{{{n}=~{}}}",
                re(&[
                    b"(?i)",
                    &quote_meta(String::from_utf8_lossy(a).to_uppercase().as_bytes())
                ])
            ),
        ]);
        if let Some(m) = &metric {
            out.push(format!("{{__name__={m}, {n}!={}}}", quoted(a)));
        }
    }
    out.push("{no_such_label=\"\"}".into());
    out.push("{no_such_label=\"x\"}".into());
    out.push("{no_such_label!~\"x|y\"}".into());
    out
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn dump_match_equals_promtool_on_a_selector_battery() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for (name, fixture) in common::fixtures() {
        let db = tmp.path().join(&name);
        std::fs::create_dir_all(db.join("wal")).expect("mkdir");
        for block in std::fs::read_dir(&fixture).expect("fixture") {
            let block = block.expect("entry").path();
            copy_dir(&block, &db.join(block.file_name().expect("name")));
        }
        let opened = tsblock::Db::open(&db).expect("open");
        for sel in selector_battery(&opened) {
            let arg = format!("--match={sel}");
            check(&name, &db, &["tsdb", "dump", &arg], &["dump", &arg]);
            n += 1;
        }
    }
    assert!(n >= 100, "only {n} selectors");
    eprintln!("{n} selectors agree with promtool");
}

/// A Prometheus server on loopback over a copy of a data directory; killed when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(data: &Path, log: &Path) -> Server {
        let found = Command::new("prometheus").arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "prometheus is not installed: `apt-get install -y prometheus` (Debian) provides 2.42"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let config = data.with_extension("yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1h\n").expect("config");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args([
                "--enable-feature=native-histograms",
                "--storage.tsdb.retention.time=100y",
            ])
            .stdout(std::fs::File::create(log).expect("log"))
            .stderr(std::fs::File::create(log.with_extension("err")).expect("log"))
            .spawn()
            .expect("start prometheus");
        let server = Server { child, port };
        for _ in 0..300 {
            if server.get("/-/ready").is_some_and(|(code, _)| code == 200) {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!(
            "prometheus did not become ready: {}",
            std::fs::read_to_string(log.with_extension("err")).unwrap_or_default()
        );
    }

    /// A plain HTTP/1.0 GET: (status, body).
    fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (head, body) = text.split_once("\r\n\r\n")?;
        let code = head.split(' ').nth(1)?.parse().ok()?;
        Some((code, body.to_string()))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A block written by tsblock-write with integer and float histograms, read by a real
/// Prometheus 2.42 server: every sample the server returns over its HTTP API equals what
/// tsblock decodes (count, sum, every bucket's bounds and count).
#[test]
#[ignore = "needs prometheus 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn prometheus_reads_histogram_blocks_we_wrote() {
    let fixture = testdata().join("blocks/spec-histograms");
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    copy_dir(&fixture, &data);
    let db = tsblock::Db::open(&fixture).expect("open");
    let (_, histograms) = server_agrees(&data, &db, tmp.path());
    assert!(histograms > 500, "only {histograms} histogram samples");
}

/// `tsblock copy` of a subset (some series, part of the range, floats and histograms)
/// into an empty data directory: a Prometheus 2.42 server loads the new blocks and
/// answers exactly the samples of the subset, as tsblock reads them from the source.
#[test]
#[ignore = "needs prometheus 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn prometheus_loads_copied_blocks() {
    let fixture = testdata().join("blocks/spec-histograms");
    let db = tsblock::Db::open(&fixture).expect("open");
    let mint = db
        .blocks()
        .iter()
        .map(|b| b.meta().min_time)
        .min()
        .expect("a block");
    let maxt = db
        .blocks()
        .iter()
        .map(|b| b.meta().max_time)
        .max()
        .expect("a block");
    // A range cut inside chunks on both sides; every series but one.
    let (lo, hi) = (mint + (maxt - mint) / 5, maxt - (maxt - mint) / 4);
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let names = db.blocks()[0]
        .index()
        .label_values(b"__name__")
        .expect("names");
    let skip = String::from_utf8_lossy(names[0]).into_owned();
    let sel = format!("{{__name__!=\"{skip}\"}}");
    run(tsblock()
        .args(["copy", "--match", &sel])
        .args(["--min-time", &lo.to_string(), "--max-time", &hi.to_string()])
        .arg(&fixture)
        .arg(&data));
    // What the server must answer: the source, selected as the copy selected it.
    let expect = tmp.path().join("expect");
    let mut w = tsblock::writer::BlockWriter::new(Default::default());
    let matchers = vec![tsblock::query::Matcher::not_equal("__name__", &skip)];
    use tsblock::query::{Querier, SampleRef};
    for series in db.select(&matchers, lo, hi).expect("select") {
        let series = series.expect("series");
        let labels =
            tsblock::labelset::Labels::new(series.labels().iter().map(|l| (l.name, l.value)))
                .expect("labels");
        let mut samples = series.samples();
        while let Some(s) = samples.next_sample() {
            let (t, v) = s.expect("sample");
            match v {
                SampleRef::Float(v) => w.append(&labels, t, v),
                SampleRef::Histogram(h) => w.append_histogram(&labels, t, h),
                SampleRef::FloatHistogram(h) => w.append_float_histogram(&labels, t, h),
                _ => Ok(()),
            }
            .expect("append");
        }
    }
    std::fs::create_dir_all(&expect).expect("mkdir");
    w.write(&expect).expect("write");
    let want = tsblock::Db::open(&expect).expect("open");
    let (series, histograms) = server_agrees(&data, &want, tmp.path());
    assert!(
        series >= 3 && histograms > 100,
        "{series} series, {histograms} histograms"
    );
}

/// Starts Prometheus 2.42 on `data` and checks that it answers, series by series, every
/// sample `db` holds (stale markers aside, which the API leaves out). Returns the series
/// and histogram samples compared.
fn server_agrees(data: &Path, db: &tsblock::Db, tmp: &Path) -> (usize, usize) {
    use common::api::{api_float, from_api, ours};
    use tsblock::query::{Querier, Value};
    let (mint, maxt) = (
        db.blocks()
            .iter()
            .map(|b| b.meta().min_time)
            .min()
            .expect("a block"),
        db.blocks()
            .iter()
            .map(|b| b.meta().max_time)
            .max()
            .expect("a block"),
    );
    let server = Server::start(data, &tmp.join("prometheus.log"));
    let (mut histograms, mut series_n) = (0, 0);
    for series in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        let series = series.expect("series");
        let mut sel = Vec::new();
        tsblock::compat::push_labels(&mut sel, series.labels());
        let sel = String::from_utf8(sel).expect("utf-8");
        // Samples in (time - range, time] = [mint, maxt - 1].
        let query = format!("{sel}[{}ms]", maxt - mint);
        let time = format!(
            "{}.{:03}",
            (maxt - 1).div_euclid(1000),
            (maxt - 1).rem_euclid(1000)
        );
        let path = format!("/api/v1/query?query={}&time={time}", urlencode(&query));
        let (code, body) = server.get(&path).expect("query");
        assert_eq!(code, 200, "{query}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let result = &answer["data"]["result"][0];
        let theirs_h: Vec<&serde_json::Value> = result["histograms"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let theirs_f: Vec<&serde_json::Value> =
            result["values"].as_array().into_iter().flatten().collect();
        let (mut ih, mut iv) = (theirs_h.iter(), theirs_f.iter());
        let mut samples = series.samples();
        while let Some(s) = samples.next() {
            let s = s.expect("sample");
            let t_of = |j: &serde_json::Value| (j[0].as_f64().expect("ts") * 1000.0).round() as i64;
            let mine = match s.value {
                Value::Float(v) => {
                    if v.to_bits() == tsblock::histogram::STALE_NAN_BITS {
                        continue; // the API leaves stale markers out
                    }
                    let want = iv
                        .next()
                        .unwrap_or_else(|| panic!("{sel}: server lacks {}", s.t));
                    assert_eq!(t_of(want), s.t, "{sel}");
                    let w = api_float(&want[1]);
                    assert!(
                        w.to_bits() == v.to_bits() || (w.is_nan() && v.is_nan()),
                        "{sel} {}",
                        s.t
                    );
                    continue;
                }
                Value::Histogram => {
                    let h = samples.histogram().expect("histogram");
                    if h.is_stale() {
                        continue;
                    }
                    ours(h, |c| c as f64, true)
                }
                Value::FloatHistogram => {
                    let h = samples.float_histogram().expect("histogram");
                    if h.is_stale() {
                        continue;
                    }
                    ours(h, |c| c, true)
                }
                v => panic!("{v:?}"),
            };
            let want = ih
                .next()
                .unwrap_or_else(|| panic!("{sel}: server lacks {}", s.t));
            assert_eq!(t_of(want), s.t, "{sel}");
            assert_eq!(mine, from_api(&want[1]), "{sel} at {}", s.t);
            histograms += 1;
        }
        assert!(
            ih.next().is_none() && iv.next().is_none(),
            "{sel}: server has more"
        );
        series_n += 1;
    }
    eprintln!("{series_n} series, {histograms} histogram samples agree with prometheus");
    (series_n, histograms)
}

/// promtool's own round trip for OpenMetrics: the checked-in file, backfilled with
/// `promtool tsdb create-blocks-from openmetrics`, comes back byte for byte from
/// `tsblock dump --format openmetrics` (escapes, UTF-8, NaN, ±Inf, -0, integers, huge,
/// tiny and subnormal values, 30 label names).
#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn openmetrics_round_trip_through_promtool() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = testdata().join("openmetrics/roundtrip.om");
    run(promtool()
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(tmp.path()));
    let ours = run(tsblock()
        .args(["dump", "--format", "openmetrics"])
        .arg(tmp.path()));
    let want = std::fs::read(&input).expect("input");
    assert_same("openmetrics round trip", &ours, &want);
}

/// Splits analyze output into its header lines and its lists (title, lines), at the
/// list titles (label values may hold blank lines).
fn analyze_sections(text: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    const TITLES: [&str; 6] = [
        "Label pairs most involved in churning:",
        "Label names most involved in churning:",
        "Most common label pairs:",
        "Label names with highest cumulative label value length:",
        "Highest cardinality labels:",
        "Highest cardinality metric names:",
    ];
    let mut cuts: Vec<(usize, &str)> = TITLES
        .iter()
        .map(|t| {
            let at = text
                .find(&format!("\n\n{t}\n"))
                .unwrap_or_else(|| panic!("no {t:?} in {text}"));
            (at, *t)
        })
        .collect();
    cuts.sort();
    let head = text[..cuts[0].0].lines().map(str::to_string).collect();
    let mut lists = Vec::new();
    for (k, &(at, title)) in cuts.iter().enumerate() {
        let start = at + 2 + title.len() + 1;
        let end = cuts.get(k + 1).map_or(text.len(), |c| c.0);
        let body = text.get(start..end).unwrap_or_default();
        lists.push((
            title.to_string(),
            body.lines().map(str::to_string).collect(),
        ));
    }
    (head, lists)
}

/// `tsblock analyze` prints promtool 2.42's figures on every fixture data directory
/// (promtool orders ties at random, so each list is compared as a set, and ours is checked
/// to be ordered by count, then name); two runs print the same bytes.
#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn analyze_agrees_with_promtool() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(testdata().join("blocks"))
        .expect("testdata/blocks")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (i, dir) in dirs.iter().enumerate() {
        // promtool 2.42 wants a wal/ and may write into the directory: a copy.
        let work = tmp.path().join(format!("d{i}"));
        copy_dir(dir, &work);
        std::fs::create_dir_all(work.join("wal")).expect("wal");
        let theirs = run(promtool()
            .args(["tsdb", "analyze", "--limit", "100000"])
            .arg(&work));
        let ours = run(tsblock()
            .args(["--no-head", "analyze", "--limit", "100000"])
            .arg(&work));
        let again = run(tsblock()
            .args(["--no-head", "analyze", "--limit", "100000"])
            .arg(&work));
        assert_eq!(ours, again, "{}: two runs differ", dir.display());
        let (ours, theirs) = (
            String::from_utf8(ours).expect("utf-8"),
            String::from_utf8(theirs).expect("utf-8"),
        );
        let (oh, ol) = analyze_sections(&ours);
        let (th, tl) = analyze_sections(&theirs);
        assert_eq!(oh, th, "{}", dir.display());
        assert_eq!(ol.len(), tl.len(), "{}", dir.display());
        for ((ot, mut olines), (tt, mut tlines)) in ol.into_iter().zip(tl) {
            assert_eq!(ot, tt);
            let key = |l: &String| {
                let (n, name) = l.split_once(' ').expect("count and name");
                (
                    std::cmp::Reverse(n.parse::<u64>().expect("count")),
                    name.to_string(),
                )
            };
            // (Lines that continue a value with a newline have no count: skipped here.)
            let ordered: Vec<_> = olines
                .iter()
                .filter(|l| {
                    l.split_once(' ')
                        .is_some_and(|(n, _)| n.parse::<u64>().is_ok())
                })
                .map(key)
                .collect();
            assert!(
                ordered.windows(2).all(|w| w[0].0 <= w[1].0),
                "{}: {ot} not ordered by count",
                dir.display()
            );
            olines.sort();
            tlines.sort();
            assert_eq!(olines, tlines, "{}: {ot}", dir.display());
        }
    }
}
