//! Chunk encodings (`tsdb/chunkenc`): decoders that read samples straight from a chunk's
//! bytes, wherever those bytes live.

mod bstream;
mod flavor;
mod histogram;
mod histogram_append;
mod varbit;
mod xor;
mod xor_append;

use std::fmt;

pub use bstream::{BitReader, BitWriter};
pub use flavor::Flavor;
pub use histogram::{CounterResetHeader, FloatHistogramIter, HistogramIter};
pub use histogram_append::{
    validate_histogram, AppendOutcome, Appendability, FloatHistogramAppender, HistogramAppendError,
    HistogramAppender, Insert,
};
pub use xor::{XorAppender, XorIter};

/// The encoding byte of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// 0: no encoding (never written to blocks).
    None,
    /// 1: Gorilla-style XOR floats.
    Xor,
    /// 2: native histograms with integer counts.
    Histogram,
    /// 3: native histograms with float counts.
    FloatHistogram,
    /// 4: XOR2 floats with start timestamps (Prometheus 3.11+).
    Xor2,
    /// 5: integer histograms with start timestamps (Prometheus 3.14+).
    HistogramSt,
    /// 6: float histograms with start timestamps (Prometheus 3.14+).
    FloatHistogramSt,
    /// Any other byte.
    Unknown(u8),
}

impl Encoding {
    /// Maps the on-disk byte to an encoding.
    pub fn from_byte(b: u8) -> Encoding {
        match b {
            0 => Encoding::None,
            1 => Encoding::Xor,
            2 => Encoding::Histogram,
            3 => Encoding::FloatHistogram,
            4 => Encoding::Xor2,
            5 => Encoding::HistogramSt,
            6 => Encoding::FloatHistogramSt,
            b => Encoding::Unknown(b),
        }
    }

    /// The on-disk byte.
    pub fn byte(self) -> u8 {
        match self {
            Encoding::None => 0,
            Encoding::Xor => 1,
            Encoding::Histogram => 2,
            Encoding::FloatHistogram => 3,
            Encoding::Xor2 => 4,
            Encoding::HistogramSt => 5,
            Encoding::FloatHistogramSt => 6,
            Encoding::Unknown(b) => b,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Encoding::None => "none",
            Encoding::Xor => "XOR",
            Encoding::Histogram => "histogram",
            Encoding::FloatHistogram => "float histogram",
            Encoding::Xor2 => "XOR2",
            Encoding::HistogramSt => "histogram with start timestamps",
            Encoding::FloatHistogramSt => "float histogram with start timestamps",
            Encoding::Unknown(_) => "unknown",
        };
        write!(f, "{} ({name})", self.byte())
    }
}

/// One chunk: its encoding and its data bytes (borrowed from the segment file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// The encoding byte.
    pub encoding: Encoding,
    /// The encoded samples.
    pub data: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// Number of samples, from the 2-byte big-endian header every encoding starts with
    /// (for XOR, histogram and float histogram chunks).
    pub fn num_samples(&self) -> Option<u16> {
        match self.data {
            [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }
}
