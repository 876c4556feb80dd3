//! The integer-count encoding (chunk encoding 2): counts and buckets as varbit
//! delta-of-deltas, buckets spatially delta-coded first (each minus the previous one).

use super::layout::{xor_write, Core};
use super::{Codec, Decoded};
use crate::chunkenc::bstream::BitWriter;
use crate::chunkenc::histogram::HistogramIter;
use crate::chunkenc::varbit::{put_varbit_int, put_varbit_uint};
use crate::chunkenc::Flavor;
use crate::error::FormatError;
use crate::histogram::IntHistogram;

/// Appends integer-count histograms to a chunk of encoding 2, exactly as Prometheus does.
#[derive(Debug, Clone)]
pub struct HistogramAppender {
    pub(super) core: Core,
    count: u64,
    zero_count: u64,
    count_delta: i64,
    zero_count_delta: i64,
    /// Spatial deltas of the last sample, and their change from the sample before.
    pos: Vec<i64>,
    pos_delta: Vec<i64>,
    neg: Vec<i64>,
    neg_delta: Vec<i64>,
    sum: u64,
    leading: u8,
    trailing: u8,
    scratch: Vec<i64>,
}

/// Spatial deltas (each bucket minus the previous one) of absolute counts, wrapping as
/// Go's `int64` arithmetic does.
fn spatial(abs: &[u64], out: &mut Vec<i64>) {
    out.clear();
    let mut prev = 0u64;
    out.extend(abs.iter().map(|&c| {
        let d = c.wrapping_sub(prev) as i64;
        prev = c;
        d
    }));
}

/// Writes the time/count/bucket delta-of-deltas of one side and keeps the state.
fn put_bucket_dods(bw: &mut BitWriter, deltas: &[i64], last: &mut [i64], last_delta: &mut [i64]) {
    for ((&d, l), ld) in deltas
        .iter()
        .zip(last.iter_mut())
        .zip(last_delta.iter_mut())
    {
        let delta = d.wrapping_sub(*l);
        put_varbit_int(bw, delta.wrapping_sub(*ld));
        *ld = delta;
        *l = d;
    }
}

impl Codec for HistogramAppender {
    type C = u64;
    const FLOAT: bool = false;

    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn empty(flavor: Flavor) -> Self {
        HistogramAppender {
            core: Core::new(flavor),
            count: 0,
            zero_count: 0,
            count_delta: 0,
            zero_count_delta: 0,
            pos: Vec::new(),
            pos_delta: Vec::new(),
            neg: Vec::new(),
            neg_delta: Vec::new(),
            sum: 0,
            leading: 0xff,
            trailing: 0,
            scratch: Vec::new(),
        }
    }

    fn write_sample(&mut self, t: i64, h: &IntHistogram) {
        let stale_h;
        let h = if h.is_stale() {
            // Prometheus stores a stale marker as an empty histogram with only the sum.
            stale_h = IntHistogram {
                sum: h.sum,
                ..IntHistogram::default()
            };
            &stale_h
        } else {
            h
        };
        let (mut t_delta, mut count_delta, mut zero_count_delta) = (0i64, 0i64, 0i64);
        if self.core.num == 0 {
            self.core.begin(h);
            spatial(&h.positive_buckets, &mut self.pos);
            spatial(&h.negative_buckets, &mut self.neg);
            self.pos_delta.clear();
            self.pos_delta.resize(self.pos.len(), 0);
            self.neg_delta.clear();
            self.neg_delta.resize(self.neg.len(), 0);
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t);
            put_varbit_uint(bw, h.count);
            put_varbit_uint(bw, h.zero_count);
            bw.write_bits(h.sum.to_bits(), 64);
            for &d in self.pos.iter().chain(&self.neg) {
                put_varbit_int(bw, d);
            }
        } else {
            t_delta = t.wrapping_sub(self.core.t);
            count_delta = (h.count as i64).wrapping_sub(self.count as i64);
            zero_count_delta = (h.zero_count as i64).wrapping_sub(self.zero_count as i64);
            let (mut count_dod, mut zero_count_dod) = (
                count_delta.wrapping_sub(self.count_delta),
                zero_count_delta.wrapping_sub(self.zero_count_delta),
            );
            if h.is_stale() {
                count_dod = 0;
                zero_count_dod = 0;
            }
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t_delta.wrapping_sub(self.core.t_delta));
            put_varbit_int(bw, count_dod);
            put_varbit_int(bw, zero_count_dod);
            xor_write(
                bw,
                h.sum.to_bits(),
                self.sum,
                &mut self.leading,
                &mut self.trailing,
            );
            spatial(&h.positive_buckets, &mut self.scratch);
            put_bucket_dods(bw, &self.scratch, &mut self.pos, &mut self.pos_delta);
            spatial(&h.negative_buckets, &mut self.scratch);
            put_bucket_dods(bw, &self.scratch, &mut self.neg, &mut self.neg_delta);
        }
        self.core.t = t;
        self.core.t_delta = t_delta;
        self.count = h.count;
        self.zero_count = h.zero_count;
        self.count_delta = count_delta;
        self.zero_count_delta = zero_count_delta;
        self.sum = h.sum.to_bits();
        self.core.bump();
    }

    fn last_count(&self) -> u64 {
        self.count
    }

    fn last_zero_count(&self) -> u64 {
        self.zero_count
    }

    fn last_sum_bits(&self) -> u64 {
        self.sum
    }

    fn last_buckets(&self, positive: bool) -> Vec<u64> {
        let mut acc = 0i64;
        let deltas = if positive { &self.pos } else { &self.neg };
        deltas
            .iter()
            .map(|d| {
                acc = acc.wrapping_add(*d);
                acc as u64
            })
            .collect()
    }

    fn decode(data: &[u8]) -> Result<Decoded<u64>, FormatError> {
        let mut it = HistogramIter::new(data)?;
        let mut out = Vec::with_capacity(usize::from(it.len_hint()));
        while let Some(t) = it.next() {
            out.push((t?, it.at().clone()));
        }
        Ok(out)
    }
}
