//! Writing segments in memory, as Prometheus's `wlog.WL` lays them out: the mirror of
//! [`RecordReader`](super::RecordReader), for tests, benchmarks and fixture tools (this
//! crate never writes into a data directory it reads).
//!
//! Like `WL.log`: a record is compressed whole when that makes it strictly smaller, then
//! cut into fragments that never cross a page; a page with less room than a fragment
//! header is closed with zeros.

use super::reader::{Compression, FRAGMENT_HEADER_SIZE, PAGE_SIZE};
use crate::bytes::crc32c;

/// Builds one segment's bytes.
#[derive(Debug)]
pub struct SegmentWriter {
    buf: Vec<u8>,
    compression: Compression,
    scratch: Vec<u8>,
}

impl SegmentWriter {
    /// An empty segment whose records are compressed with `compression` where it helps.
    pub fn new(compression: Compression) -> Self {
        SegmentWriter {
            buf: Vec::new(),
            compression,
            scratch: Vec::new(),
        }
    }

    /// Bytes written so far (the last page not padded).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True before the first record.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends one record.
    pub fn log(&mut self, rec: &[u8]) {
        let (flag, data): (u8, &[u8]) = match self.compression {
            Compression::None => (0, rec),
            Compression::Snappy => {
                self.scratch = snap::raw::Encoder::new()
                    .compress_vec(rec)
                    .unwrap_or_default();
                (0x08, &self.scratch)
            }
            Compression::Zstd => {
                self.scratch = ruzstd::encoding::compress_to_vec(
                    rec,
                    ruzstd::encoding::CompressionLevel::Fastest,
                );
                (0x10, &self.scratch)
            }
        };
        // Stored compressed only when strictly smaller (and never empty).
        let (flag, data) = if flag != 0 && !data.is_empty() && data.len() < rec.len() {
            (flag, data)
        } else {
            (0, rec)
        };
        let mut rest = data;
        let mut first = true;
        loop {
            let in_page = self.buf.len() % PAGE_SIZE;
            if PAGE_SIZE - in_page < FRAGMENT_HEADER_SIZE {
                self.buf.resize(self.buf.len() + PAGE_SIZE - in_page, 0);
                continue;
            }
            let room = PAGE_SIZE - (self.buf.len() % PAGE_SIZE) - FRAGMENT_HEADER_SIZE;
            let n = room.min(rest.len());
            let (part, tail) = rest.split_at(n);
            let last = tail.is_empty();
            let typ = match (first, last) {
                (true, true) => 1,
                (true, false) => 2,
                (false, false) => 3,
                (false, true) => 4,
            };
            self.buf.push(typ | flag);
            self.buf.extend_from_slice(&(n as u16).to_be_bytes());
            self.buf.extend_from_slice(&crc32c(part).to_be_bytes());
            self.buf.extend_from_slice(part);
            rest = tail;
            first = false;
            if last {
                return;
            }
        }
    }

    /// The segment, its last page zero-padded (as after a clean shutdown).
    pub fn finish(mut self) -> Vec<u8> {
        let rem = self.buf.len() % PAGE_SIZE;
        if rem != 0 {
            self.buf.resize(self.buf.len() + PAGE_SIZE - rem, 0);
        }
        self.buf
    }

    /// The segment as a live server leaves it: the last page only partly written.
    pub fn finish_unpadded(self) -> Vec<u8> {
        self.buf
    }
}
