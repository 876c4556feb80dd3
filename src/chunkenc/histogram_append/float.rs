//! The float-count encoding (chunk encoding 3): every count and bucket XOR-coded against
//! its previous value, each with its own leading/trailing-zero window.

use super::layout::{xor_write, Core};
use super::{Codec, Decoded};
use crate::chunkenc::bstream::BitWriter;
use crate::chunkenc::histogram::FloatHistogramIter;
use crate::chunkenc::varbit::put_varbit_int;
use crate::chunkenc::Flavor;
use crate::error::FormatError;
use crate::histogram::FloatHistogram;

/// One XOR-coded value and its window.
#[derive(Debug, Clone, Copy)]
struct XorState {
    bits: u64,
    leading: u8,
    trailing: u8,
}

impl XorState {
    /// No window yet.
    fn new(bits: u64) -> Self {
        XorState {
            bits,
            leading: 0xff,
            trailing: 0,
        }
    }

    fn write(&mut self, bw: &mut BitWriter, v: f64) {
        xor_write(
            bw,
            v.to_bits(),
            self.bits,
            &mut self.leading,
            &mut self.trailing,
        );
        self.bits = v.to_bits();
    }
}

/// Appends float-count histograms to a chunk of encoding 3, exactly as Prometheus does.
#[derive(Debug, Clone)]
pub struct FloatHistogramAppender {
    pub(super) core: Core,
    count: XorState,
    zero_count: XorState,
    sum: XorState,
    pos: Vec<XorState>,
    neg: Vec<XorState>,
}

impl Codec for FloatHistogramAppender {
    type C = f64;
    const FLOAT: bool = true;

    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn empty(flavor: Flavor) -> Self {
        FloatHistogramAppender {
            core: Core::new(flavor),
            count: XorState::new(0),
            zero_count: XorState::new(0),
            sum: XorState::new(0),
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }

    fn write_sample(&mut self, t: i64, h: &FloatHistogram) {
        let stale_h;
        let h = if h.is_stale() {
            stale_h = FloatHistogram {
                sum: h.sum,
                ..FloatHistogram::default()
            };
            &stale_h
        } else {
            h
        };
        let mut t_delta = 0i64;
        if self.core.num == 0 {
            self.core.begin(h);
            self.pos.clear();
            self.pos.extend(
                h.positive_buckets
                    .iter()
                    .map(|v| XorState::new(v.to_bits())),
            );
            self.neg.clear();
            self.neg.extend(
                h.negative_buckets
                    .iter()
                    .map(|v| XorState::new(v.to_bits())),
            );
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t);
            for v in [h.count, h.zero_count, h.sum] {
                bw.write_bits(v.to_bits(), 64);
            }
            self.count.bits = h.count.to_bits();
            self.zero_count.bits = h.zero_count.to_bits();
            self.sum.bits = h.sum.to_bits();
            for v in h.positive_buckets.iter().chain(&h.negative_buckets) {
                bw.write_bits(v.to_bits(), 64);
            }
        } else {
            t_delta = t.wrapping_sub(self.core.t);
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t_delta.wrapping_sub(self.core.t_delta));
            self.count.write(bw, h.count);
            self.zero_count.write(bw, h.zero_count);
            self.sum.write(bw, h.sum);
            for (s, &v) in self.pos.iter_mut().zip(&h.positive_buckets) {
                s.write(bw, v);
            }
            for (s, &v) in self.neg.iter_mut().zip(&h.negative_buckets) {
                s.write(bw, v);
            }
        }
        self.core.t = t;
        self.core.t_delta = t_delta;
        self.core.bump();
    }

    fn last_count(&self) -> f64 {
        f64::from_bits(self.count.bits)
    }

    fn last_zero_count(&self) -> f64 {
        f64::from_bits(self.zero_count.bits)
    }

    fn last_sum_bits(&self) -> u64 {
        self.sum.bits
    }

    fn last_buckets(&self, positive: bool) -> Vec<f64> {
        let states = if positive { &self.pos } else { &self.neg };
        states.iter().map(|s| f64::from_bits(s.bits)).collect()
    }

    fn decode(data: &[u8]) -> Result<Decoded<f64>, FormatError> {
        let mut it = FloatHistogramIter::new(data)?;
        let mut out = Vec::with_capacity(usize::from(it.len_hint()));
        while let Some(t) = it.next() {
            out.push((t?, it.at().clone()));
        }
        Ok(out)
    }
}
