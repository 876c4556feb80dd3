//! `tsblock-remote-write`: the client side of `tools/histogram-fixtures/make.sh`.
//!
//! It sends a fixed, deterministic set of native histograms (and a few float series) to a
//! Prometheus 2.42 server through the remote-write API, records what it sent and what the
//! server's query API answers, and inspects the blocks the server wrote. See
//! `tools/histogram-fixtures/README.md`. Its `feed` subcommand is the live remote-write
//! source of `tools/head-fixtures/make.sh` (see `tools/head-fixtures/README.md`).

mod data;
mod feed;
mod http;
mod inspect;
mod proto;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::{json, Value as Json};

use data::{Hist, Series, Value};

/// Feed native histograms to a Prometheus server by remote write and record its answers.
#[derive(Debug, Parser)]
#[command(name = "tsblock-remote-write", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a free TCP port on 127.0.0.1.
    FreePort,
    /// Wait until GET URL/-/ready answers 200.
    WaitReady {
        url: String,
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
    },
    /// Write the data set as JSON (SENT), then POST it to URL/api/v1/write, one request per
    /// timestamp, and check the server's append counters.
    Send {
        url: String,
        /// Where to write the readable copy of every sample sent.
        #[arg(long)]
        sent: PathBuf,
    },
    /// Wait until head compaction has written every sample (except the closing ones) to
    /// blocks: the head's minTime (GET URL/api/v1/status/tsdb) passes the last sample.
    WaitCompacted {
        url: String,
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
    /// Ask URL/api/v1/query for every series' raw samples (`selector[4h]`), check the
    /// answers against the data set and write them to OUT.
    Query {
        url: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Send a deterministic set of float and native-histogram series to URL/api/v1/write
    /// once a second, at wall-clock timestamps, until STOP_FILE exists (see feed.rs).
    Feed {
        url: String,
        /// Stop before the next tick once this file exists.
        #[arg(long)]
        stop_file: PathBuf,
        /// Stop after this many ticks (seconds) at the latest.
        #[arg(long, default_value_t = 600)]
        max_secs: u64,
        /// Also send the series `fixture_head_ooo`, with an out-of-order sample every tick.
        #[arg(long)]
        ooo: bool,
        /// Leave out the two native-histogram series.
        #[arg(long)]
        no_histograms: bool,
    },
    /// List the blocks of a data directory: series, chunk encodings, histogram chunk headers
    /// and layouts. With --check, fail unless every case the fixture is meant to cover is there.
    Inspect {
        dir: PathBuf,
        #[arg(long)]
        check: bool,
        /// Print only the summary.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::FreePort => free_port(),
        Command::WaitReady { url, timeout_secs } => wait_ready(&url, timeout_secs),
        Command::Send { url, sent } => send(&url, &sent),
        Command::WaitCompacted { url, timeout_secs } => wait_compacted(&url, timeout_secs),
        Command::Query { url, out } => query(&url, &out),
        Command::Feed {
            url,
            stop_file,
            max_secs,
            ooo,
            no_histograms,
        } => feed::run(&url, &stop_file, max_secs, ooo, !no_histograms),
        Command::Inspect { dir, check, quiet } => inspect::run(&dir, check, quiet),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tsblock-remote-write: {e}");
            ExitCode::FAILURE
        }
    }
}

fn free_port() -> Result<(), String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    println!("{}", l.local_addr().map_err(|e| e.to_string())?.port());
    Ok(())
}

fn wait_ready(url: &str, timeout_secs: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        if let Ok(r) = http::get(url, "/-/ready") {
            if r.status == 200 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("{url} not ready after {timeout_secs} s"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------------------
// send

fn f64_json(v: f64) -> Json {
    if v.is_finite() {
        json!(v)
    } else if v.is_nan() {
        Json::Null
    } else if v > 0.0 {
        json!("+Inf")
    } else {
        json!("-Inf")
    }
}

fn spans_json(spans: &[(i32, u32)]) -> Json {
    Json::Array(spans.iter().map(|&(o, l)| json!([o, l])).collect())
}

/// A JSON object with its keys in the given order (serde_json's map would sort them).
fn object(fields: Vec<(&str, Json)>) -> String {
    let parts: Vec<String> = fields
        .into_iter()
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn nan_fields(fields: &mut Vec<(&str, Json)>, key: &'static str, bits_key: &'static str, v: f64) {
    fields.push((key, f64_json(v)));
    if v.is_nan() {
        fields.push((bits_key, json!(format!("{:#018x}", v.to_bits()))));
    }
    if data::is_stale(v) {
        fields.push(("stale", json!(true)));
    }
}

fn hist_fields<C: serde::Serialize>(
    fields: &mut Vec<(&str, Json)>,
    kind: &'static str,
    h: &Hist<C>,
) {
    fields.push(("type", json!(kind)));
    if h.hint != data::Hint::Unknown {
        fields.push(("hint", json!(h.hint.name())));
    }
    fields.push(("schema", json!(h.schema)));
    fields.push(("zero_threshold", json!(h.zero_threshold)));
    fields.push(("zero_count", json!(h.zero_count)));
    fields.push(("count", json!(h.count)));
    nan_fields(fields, "sum", "sum_bits", h.sum);
    fields.push(("positive_spans", spans_json(&h.positive_spans)));
    fields.push(("positive_buckets", json!(h.positive)));
    if !h.negative_spans.is_empty() {
        fields.push(("negative_spans", spans_json(&h.negative_spans)));
        fields.push(("negative_buckets", json!(h.negative)));
    }
}

/// One sample of sent.json: t, type, then the value's fields (see the description there).
fn sample_json(s: &data::Sample) -> String {
    let mut f = vec![("t", json!(s.t))];
    match &s.value {
        Value::Float(v) => {
            f.push(("type", json!("float")));
            nan_fields(&mut f, "value", "value_bits", *v);
        }
        Value::Histogram(h) => hist_fields(&mut f, "histogram", h),
        Value::FloatHistogram(h) => hist_fields(&mut f, "float_histogram", h),
    }
    if s.head_only {
        f.push(("head_only", json!(true)));
    }
    object(f)
}

fn labels_json(series: &Series) -> Json {
    let mut m = serde_json::Map::new();
    for (k, v) in &series.labels {
        m.insert((*k).to_string(), json!(v));
    }
    Json::Object(m)
}

/// One line per sample, so that the file diffs and greps well.
fn write_sent(path: &Path, all: &[Series]) -> Result<(), String> {
    let mut out = String::new();
    out.push_str("{\n");
    out.push_str(&format!(
        "\"description\": {},\n",
        json!(
            "Every sample tsblock-remote-write sent to Prometheus 2.42 by remote write, per \
             series in time order. type: float | histogram (integer counts) | \
             float_histogram. hint: the reset hint sent (yes | no | gauge), absent = unknown. \
             Spans are [offset, length]; bucket counts are absolute (integer histograms went \
             over the wire as deltas); absent negative_spans/negative_buckets = none. A NaN \
             sum or value is null, with its bits in sum_bits/value_bits; stale: true marks \
             Prometheus's stale NaN (a float stale NaN sent to a histogram series becomes a \
             stale histogram in the head). head_only: true marks each series' closing \
             sample, sent last at base + 5h, which stays in the head and is in no block."
        )
    ));
    out.push_str(&format!("\"base\": {},\n", data::BASE));
    out.push_str("\"series\": [\n");
    for (i, s) in all.iter().enumerate() {
        out.push_str(&format!(
            "{{\"labels\": {}, \"samples\": [\n",
            labels_json(s)
        ));
        for (j, sample) in s.samples.iter().enumerate() {
            out.push_str(&sample_json(sample));
            out.push_str(if j + 1 < s.samples.len() { ",\n" } else { "\n" });
        }
        out.push_str(if i + 1 < all.len() { "]},\n" } else { "]}\n" });
    }
    out.push_str("]\n}\n");
    serde_json::from_str::<Json>(&out).map_err(|e| format!("internal: sent JSON invalid: {e}"))?;
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a counter family from the server's /metrics text: label set → value.
fn metric(text: &str, name: &str) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        if !(rest.starts_with('{') || rest.starts_with(' ')) {
            continue;
        }
        if let Some((labels, value)) = rest.rsplit_once(' ') {
            if let Ok(v) = value.parse::<f64>() {
                m.insert(labels.trim().to_string(), v);
            }
        }
    }
    m
}

fn send(url: &str, sent: &Path) -> Result<(), String> {
    let all = data::all_series();
    write_sent(sent, &all)?;

    // What the head should count: a float stale NaN that follows a histogram is appended
    // as a stale histogram.
    let (mut floats, mut hists) = (0u64, 0u64);
    for s in &all {
        let mut prev_is_hist = false;
        for x in &s.samples {
            match &x.value {
                Value::Float(v) if data::is_stale(*v) && prev_is_hist => hists += 1,
                Value::Float(_) => {
                    floats += 1;
                    prev_is_hist = false;
                }
                _ => {
                    hists += 1;
                    prev_is_hist = true;
                }
            }
        }
    }

    // One request per timestamp, holding every series' sample at that time. Each series has
    // at most one sample per request, so the head's commit order (floats, then histograms,
    // then float histograms) can never reorder a series' samples.
    let mut times: Vec<i64> = all
        .iter()
        .flat_map(|s| s.samples.iter().map(|x| x.t))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut next = vec![0usize; all.len()];
    let headers = [
        ("Content-Type", "application/x-protobuf"),
        ("Content-Encoding", "snappy"),
        ("X-Prometheus-Remote-Write-Version", "0.1.0"),
    ];
    let (mut bytes, mut requests) = (0usize, 0usize);
    for &t in &times {
        let mut items = Vec::new();
        for (k, s) in all.iter().enumerate() {
            if let Some(x) = s.samples.get(next[k]) {
                if x.t == t {
                    items.push((s, x));
                    next[k] += 1;
                }
            }
        }
        let body = proto::snappy_block(&proto::write_request(&items))?;
        bytes += body.len();
        requests += 1;
        let r = http::request("POST", url, "/api/v1/write", &headers, &body)?;
        if r.status != 204 {
            return Err(format!(
                "remote write at t={t}: HTTP {}: {}",
                r.status,
                r.text().trim()
            ));
        }
    }

    let m = http::get(url, "/metrics")?;
    if m.status != 200 {
        return Err(format!("GET /metrics: HTTP {}", m.status));
    }
    let text = m.text();
    let appended = metric(&text, "prometheus_tsdb_head_samples_appended_total");
    let got_f = appended.get("{type=\"float\"}").copied().unwrap_or(0.0);
    let got_h = appended.get("{type=\"histogram\"}").copied().unwrap_or(0.0);
    let mut rejected = 0.0;
    for name in [
        "prometheus_tsdb_out_of_order_samples_total",
        "prometheus_tsdb_out_of_bound_samples_total",
        "prometheus_tsdb_too_old_samples_total",
    ] {
        rejected += metric(&text, name).values().sum::<f64>();
    }
    eprintln!(
        "sent {} series, {} float and {} histogram samples in {requests} requests ({bytes} bytes); \
         server appended {got_f} float and {got_h} histogram samples, rejected {rejected}",
        all.len(),
        floats,
        hists
    );
    if got_f != floats as f64 || got_h != hists as f64 || rejected != 0.0 {
        return Err("the server did not append exactly what was sent".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// wait-compacted

fn wait_compacted(url: &str, timeout_secs: u64) -> Result<(), String> {
    let last = data::last_block_sample(&data::all_series());
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        let r = http::get(url, "/api/v1/status/tsdb")?;
        let v: Json = serde_json::from_slice(&r.body)
            .map_err(|e| format!("status/tsdb: {e}: {}", r.text()))?;
        let min = v["data"]["headStats"]["minTime"].as_i64();
        if let Some(min) = min {
            if min > last {
                eprintln!("head minTime {min} > last sample {last}: everything is in blocks");
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "head compaction did not reach {last} within {timeout_secs} s (head minTime {min:?})"
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

// ---------------------------------------------------------------------------------------
// query

fn api_number(v: &Json) -> Result<f64, String> {
    let s = v.as_str().ok_or_else(|| format!("{v}: not a string"))?;
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => s.parse().map_err(|_| format!("{s}: not a number")),
    }
}

fn api_ms(v: &Json) -> Result<i64, String> {
    let secs = v.as_f64().ok_or_else(|| format!("{v}: not a timestamp"))?;
    Ok((secs * 1000.0).round() as i64)
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Checks one answer against the samples sent: the API returns every non-stale sample,
/// floats under "values" and histograms (as float histograms) under "histograms".
fn check_answer(series: &Series, result: &Json) -> Result<(usize, usize), String> {
    let sel = series.selector();
    let mut want_f = Vec::new();
    let mut want_h = Vec::new();
    for x in series.samples.iter().filter(|x| !x.head_only) {
        match &x.value {
            Value::Float(v) if !data::is_stale(*v) => want_f.push((x.t, *v)),
            Value::Float(_) => {}
            Value::Histogram(h) if !data::is_stale(h.sum) => want_h.push((
                x.t,
                h.count as f64,
                h.sum,
                nonzero(&h.positive) + nonzero(&h.negative) + usize::from(h.zero_count > 0),
            )),
            Value::FloatHistogram(h) if !data::is_stale(h.sum) => want_h.push((
                x.t,
                h.count,
                h.sum,
                nonzero(&h.positive) + nonzero(&h.negative) + usize::from(h.zero_count > 0.0),
            )),
            _ => {}
        }
    }
    let empty = Vec::new();
    let values = result["values"].as_array().unwrap_or(&empty);
    let hists = result["histograms"].as_array().unwrap_or(&empty);
    if values.len() != want_f.len() || hists.len() != want_h.len() {
        return Err(format!(
            "{sel}: API has {} floats and {} histograms, sent {} and {}",
            values.len(),
            hists.len(),
            want_f.len(),
            want_h.len()
        ));
    }
    for (got, &(t, v)) in values.iter().zip(&want_f) {
        if api_ms(&got[0])? != t || !same(api_number(&got[1])?, v) {
            return Err(format!("{sel}: float sample {got} != ({t}, {v})"));
        }
    }
    for (got, &(t, count, sum, nbuckets)) in hists.iter().zip(&want_h) {
        let h = &got[1];
        let buckets = h["buckets"].as_array().unwrap_or(&empty);
        let mut total = 0.0;
        for b in buckets {
            total += api_number(&b[3])?;
        }
        let ok = api_ms(&got[0])? == t
            && same(api_number(&h["count"])?, count)
            && same(api_number(&h["sum"])?, sum)
            && buckets.len() == nbuckets
            && (total - count).abs() <= 1e-9 * count.max(1.0);
        if !ok {
            return Err(format!(
                "{sel}: histogram {got} != t={t} count={count} sum={sum} with {nbuckets} buckets"
            ));
        }
    }
    Ok((values.len(), hists.len()))
}

fn nonzero<C: PartialEq + Default>(v: &[C]) -> usize {
    v.iter().filter(|c| **c != C::default()).count()
}

fn query(url: &str, out: &Path) -> Result<(), String> {
    let all = data::all_series();
    let time = data::QUERY_TIME / 1000;
    let mut lines = Vec::new();
    let (mut nf, mut nh) = (0, 0);
    for s in &all {
        let q = format!("{}[{}]", s.selector(), data::QUERY_RANGE);
        let path = format!("/api/v1/query?query={}&time={time}", http::urlencode(&q));
        let r = http::get(url, &path)?;
        let body = r.text();
        let body = body.trim();
        if r.status != 200 {
            return Err(format!("{q}: HTTP {}: {body}", r.status));
        }
        let v: Json = serde_json::from_str(body).map_err(|e| format!("{q}: {e}"))?;
        let result = v["data"]["result"]
            .as_array()
            .filter(|_| v["status"] == "success" && v["data"]["resultType"] == "matrix")
            .ok_or_else(|| format!("{q}: unexpected answer {body}"))?;
        if result.len() != 1 || result[0]["metric"] != labels_json(s) {
            return Err(format!("{q}: expected exactly this series, got {body}"));
        }
        let (f, h) = check_answer(s, &result[0])?;
        nf += f;
        nh += h;
        // The server's answer is kept byte for byte.
        lines.push(format!(
            "{{\"query\": {}, \"time\": {time}, \"response\": {body}}}",
            json!(q)
        ));
    }
    let text = format!(
        "{{\"description\": {},\n\"answers\": [\n{}\n]}}\n",
        json!(
            "GET /api/v1/query?query=<query>&time=<time> on the Prometheus 2.42 server that \
             wrote blocks/native-histograms, after head compaction (every sample came from \
             the blocks). One answer per series; response is the server's body, unchanged."
        ),
        lines.join(",\n")
    );
    serde_json::from_str::<Json>(&text).map_err(|e| format!("internal: API JSON invalid: {e}"))?;
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "recorded {} answers ({nf} float and {nh} histogram samples), all match what was sent",
        lines.len()
    );
    Ok(())
}
