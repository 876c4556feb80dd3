//! `feed`: a live remote-write feed for `tools/head-fixtures/make.sh`.
//!
//! Once a second, at wall-clock timestamps on whole seconds (tick `k` at `T0 + k·1000` ms),
//! it POSTs one `WriteRequest` with one sample of each series below. The values depend only
//! on `k` (seeded splitmix64), so two runs send the same values; only the timestamps
//! differ. All series carry `job="head-fixtures"`.
//!
//! | series | kind |
//! |---|---|
//! | `fixture_head_float{case="counter"}` | float counter, integer steps 0–9 |
//! | `fixture_head_float{case="gauge"}` | float gauge, tenths in 0–99.9 |
//! | `fixture_head_float{case="deleted"}` | float, value `k`; the script deletes a range of it |
//! | `fixture_head_histogram{case="int"}` | integer counter histogram, schema 0, spans (−1,2) (2,3), negative span (0,1) |
//! | `fixture_head_float_histogram{case="gauge"}` | float gauge histogram (hint GAUGE), schema 1, counts in quarters |
//! | `fixture_head_ooo{case="float"}` (`--ooo` only) | float, value `k` in order; from tick 1 on also an out-of-order sample at `t − 300 s + 500 ms` with value `−k`, in its own request |
//!
//! With `--no-histograms` the two histogram series are left out (2.42 turns
//! `memory-snapshot-on-shutdown` off when native histograms are on, and refuses histograms
//! when they are off).
//!
//! It stops when `--stop-file` exists (checked before every tick) or after `--max-secs`,
//! and prints what it sent. Every request must get 204.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::data::{Hint, Hist, Rng, Sample, Series, Value, DEFAULT_ZT};
use crate::http;
use crate::proto;

/// `job` label of every series.
const JOB: &str = "head-fixtures";
/// How far back the out-of-order samples go (inside a 30m out-of-order window).
const OOO_LAG_MS: i64 = 300_000;

fn series(name: &str, case: &str) -> Series {
    Series {
        labels: vec![
            ("__name__", name.to_string()),
            ("case", case.to_string()),
            ("job", JOB.to_string()),
        ],
        samples: Vec::new(),
    }
}

fn now_ms() -> Result<i64, String> {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?;
    i64::try_from(d.as_millis()).map_err(|e| e.to_string())
}

/// The generators of every series' values, advanced once per tick.
struct Values {
    counter: f64,
    counter_rng: Rng,
    gauge_rng: Rng,
    hist_rng: Rng,
    /// Absolute counts of the integer histogram: zero bucket, 5 positive, 1 negative.
    hist: Hist<u64>,
    fhist_rng: Rng,
}

impl Values {
    fn new() -> Values {
        Values {
            counter: 0.0,
            counter_rng: Rng::new("head-counter"),
            gauge_rng: Rng::new("head-gauge"),
            hist_rng: Rng::new("head-histogram"),
            hist: Hist {
                hint: Hint::Unknown,
                schema: 0,
                zero_threshold: DEFAULT_ZT,
                zero_count: 0,
                count: 0,
                sum: 0.0,
                positive_spans: vec![(-1, 2), (2, 3)],
                positive: vec![0; 5],
                negative_spans: vec![(0, 1)],
                negative: vec![0],
            },
            fhist_rng: Rng::new("head-float-histogram"),
        }
    }

    /// The float counter, gauge, integer histogram and float histogram of tick `k`.
    fn tick(&mut self, k: i64) -> (f64, f64, Hist<u64>, Hist<f64>) {
        self.counter += self.counter_rng.below(10) as f64;
        let gauge = self.gauge_rng.below(1000) as f64 / 10.0;

        // Counter histogram: a few observations per tick, counts only go up.
        let h = &mut self.hist;
        h.zero_count += self.hist_rng.below(2);
        for c in h.positive.iter_mut().chain(h.negative.iter_mut()) {
            *c += self.hist_rng.below(3);
        }
        h.count = h.zero_count + h.positive.iter().sum::<u64>() + h.negative.iter().sum::<u64>();
        // Whole numbers only: no rounding questions when comparing sums.
        h.sum += (self.hist_rng.below(50) + 1) as f64;

        // Gauge histogram: counts go up and down, every one > 0.
        let positive: Vec<f64> = (0..4)
            .map(|_| (self.fhist_rng.below(16) + 1) as f64 / 4.0)
            .collect();
        let zero_count = 0.5;
        let fh = Hist {
            hint: Hint::Gauge,
            schema: 1,
            zero_threshold: DEFAULT_ZT,
            zero_count,
            count: zero_count + positive.iter().sum::<f64>(),
            sum: (k % 100) as f64 * 1.5,
            positive_spans: vec![(0, 4)],
            positive,
            negative_spans: Vec::new(),
            negative: Vec::new(),
        };
        (self.counter, gauge, h.clone(), fh)
    }
}

fn post(url: &str, items: &[(&Series, &Sample)]) -> Result<(), String> {
    let headers = [
        ("Content-Type", "application/x-protobuf"),
        ("Content-Encoding", "snappy"),
        ("X-Prometheus-Remote-Write-Version", "0.1.0"),
    ];
    let body = proto::snappy_block(&proto::write_request(items))?;
    let r = http::request("POST", url, "/api/v1/write", &headers, &body)?;
    if r.status != 204 {
        return Err(format!(
            "remote write: HTTP {}: {}",
            r.status,
            r.text().trim()
        ));
    }
    Ok(())
}

fn sample(t: i64, value: Value) -> Sample {
    Sample {
        t,
        value,
        head_only: false,
    }
}

/// Feed URL once a second until `stop_file` exists or `max_secs` have passed.
pub fn run(
    url: &str,
    stop_file: &Path,
    max_secs: u64,
    ooo: bool,
    histograms_too: bool,
) -> Result<(), String> {
    let counter = series("fixture_head_float", "counter");
    let gauge = series("fixture_head_float", "gauge");
    let deleted = series("fixture_head_float", "deleted");
    let hist = series("fixture_head_histogram", "int");
    let fhist = series("fixture_head_float_histogram", "gauge");
    let ooo_series = series("fixture_head_ooo", "float");

    let mut values = Values::new();
    let t0 = (now_ms()? / 1000 + 1) * 1000;
    let (mut floats, mut histograms, mut ooo_samples) = (0u64, 0u64, 0u64);
    let mut k: i64 = 0;
    while !stop_file.exists() && k < i64::try_from(max_secs).map_err(|e| e.to_string())? {
        let t = t0 + k * 1000;
        let wait = t - now_ms()?;
        if wait > 0 {
            std::thread::sleep(Duration::from_millis(wait.unsigned_abs()));
        }
        let (c, g, h, fh) = values.tick(k);
        let mut samples = vec![
            (&counter, sample(t, Value::Float(c))),
            (&gauge, sample(t, Value::Float(g))),
            (&deleted, sample(t, Value::Float(k as f64))),
            (&hist, sample(t, Value::Histogram(h))),
            (&fhist, sample(t, Value::FloatHistogram(fh))),
        ];
        if !histograms_too {
            samples.truncate(3);
        }
        if ooo {
            samples.push((&ooo_series, sample(t, Value::Float(k as f64))));
        }
        let items: Vec<(&Series, &Sample)> = samples.iter().map(|(s, x)| (*s, x)).collect();
        post(url, &items).map_err(|e| format!("tick {k} (t={t}): {e}"))?;
        floats += if ooo { 4 } else { 3 };
        if histograms_too {
            histograms += 2;
        }
        if ooo && k > 0 {
            // Older than the series' newest sample, so the head takes it as out of order.
            let x = sample(t - OOO_LAG_MS + 500, Value::Float(-(k as f64)));
            post(url, &[(&ooo_series, &x)])
                .map_err(|e| format!("tick {k}, out-of-order sample: {e}"))?;
            ooo_samples += 1;
        }
        k += 1;
    }
    println!(
        "feed: {k} ticks, t = {t0} … {}, {floats} float samples in order, {ooo_samples} out of order, {histograms} histogram samples",
        t0 + (k - 1) * 1000
    );
    Ok(())
}
