//! Records out of one segment's bytes: pages, fragments, CRCs and decompression.
//!
//! A segment is a run of 32 KiB pages. Each page holds fragments
//! (`type <1> | length <2 BE> | CRC32C <4 BE> | data`) and ends in zero padding when the
//! next fragment header would not fit. A record is one `full` fragment or a `first`,
//! any number of `middle` and a `last`; the type byte's bit 3 (snappy) or bit 4 (zstd)
//! says the record was compressed whole before it was cut into fragments. The rules and
//! their messages follow Prometheus's `wlog.Reader`.
//!
//! The reader works on a borrowed slice (a mapped segment): a record that is one
//! uncompressed fragment is lent straight from it; others are assembled and decompressed
//! into buffers the reader keeps and reuses, so reading allocates only while buffers grow.

use std::io::Read;

use byteorder::{BigEndian, ByteOrder};

use crate::bytes::check_crc;
use crate::error::{FormatError, FormatErrorKind, Section};

/// Size of a WAL page.
pub const PAGE_SIZE: usize = 32 * 1024;

/// Size of a fragment header: type, length, CRC32C.
pub const FRAGMENT_HEADER_SIZE: usize = 7;

/// Largest decompressed record accepted. Prometheus's records are at most a few MiB (a
/// record larger than a segment is possible but means hundreds of thousands of series in
/// one scrape); the cap keeps a hostile compressed record from asking for unbounded memory.
pub const MAX_RECORD_SIZE: usize = 256 << 20;

/// Largest zstd window accepted (Prometheus encodes whole records, so the window never
/// needs to exceed the record).
const MAX_ZSTD_WINDOW: u64 = 16 << 20;

/// Largest ratio of a zstd record's decompressed size to its compressed size. A block
/// yields at most 128 KiB: an RLE block from 4 bytes (32768×), a compressed block from at
/// least 8 (16384×: its literals one repeated byte) and, with a match, about 11.
/// Prometheus's encoder (klauspost/compress, one frame per record) writes RLE blocks only
/// for blocks without matches, so its records stay below 16384×: measured, a samples record
/// of n identical samples (every delta 0) compresses 2600× at n = 10⁴, 7350× at 10⁵ and
/// 9360× from 10⁶ on (14 bytes per 128 KiB block). 1024× would refuse such records, which
/// Prometheus writes when one append repeats a sample; 16384× refuses the frames made of
/// RLE blocks, and halves what one page of them can ask to decode.
const MAX_ZSTD_RATIO: usize = 16 << 10;

const SNAPPY_FLAG: u8 = 0x08;
const ZSTD_FLAG: u8 = 0x10;

/// How a record was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Raw bytes.
    None,
    /// Snappy block format (Go's `snappy.Encode`).
    Snappy,
    /// One zstd frame (Prometheus 2.46+).
    Zstd,
}

/// Fragment types (the type byte's low three bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fragment {
    PageTerm,
    Full,
    First,
    Middle,
    Last,
}

/// One record, lent by [`RecordReader::next_record`] until the next call.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'r> {
    /// Offset of the record's first fragment header in the segment.
    pub offset: u64,
    /// Bytes the record takes in the segment: headers, fragments (not padding).
    pub stored_len: u64,
    /// How it was stored.
    pub compression: Compression,
    /// The record, decompressed.
    pub data: &'r [u8],
}

/// A segment that ends inside a record (Prometheus: "last record is torn").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Torn {
    /// Where the incomplete record starts.
    pub offset: u64,
    /// Bytes from there to the end of the segment, which hold no complete record.
    pub bytes: u64,
}

/// Reads the records of one segment in order.
#[derive(Debug)]
pub struct RecordReader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Fragments of the current record (compressed, or more than one).
    frag: Vec<u8>,
    /// The decompressed record.
    rec: Vec<u8>,
    torn: Option<Torn>,
}

fn err(offset: usize, kind: FormatErrorKind) -> FormatError {
    FormatError::new(Section::WalFragment, offset as u64, kind)
}

fn invalid(offset: usize, what: &'static str) -> FormatError {
    err(offset, FormatErrorKind::Invalid(what))
}

impl<'a> RecordReader<'a> {
    /// A reader over a whole segment.
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_offset(data, 0)
    }

    /// A reader that starts at `offset` (a record boundary, as a chunk snapshot's name
    /// gives it).
    pub fn with_offset(data: &'a [u8], offset: usize) -> Self {
        RecordReader {
            data,
            pos: offset.min(data.len()),
            frag: Vec::new(),
            rec: Vec::new(),
            torn: None,
        }
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// After [`next_record`](Self::next_record) returned `None`: whether the segment ended inside a
    /// record, and where.
    pub fn torn(&self) -> Option<Torn> {
        self.torn
    }

    /// Ends the segment at a record that starts at `from` and is cut off by the end.
    fn tear<T>(&mut self, from: usize) -> Option<T> {
        self.torn = Some(Torn {
            offset: from as u64,
            bytes: self.data.len().saturating_sub(from) as u64,
        });
        self.pos = self.data.len();
        None
    }

    /// The next record, `None` at the end of the segment. A segment that ends inside a
    /// record (a fragment header, a fragment or a record cut short) also ends with
    /// `None` and reports it in [`torn`](Self::torn); any other damage is an error.
    pub fn next_record(&mut self) -> Result<Option<RawRecord<'_>>, FormatError> {
        let start = self.pos;
        let mut record_start = None;
        let mut compression = Compression::None;
        let mut nfrags = 0usize;
        let mut single: Option<(usize, usize)> = None;
        self.frag.clear();
        loop {
            let at = self.pos;
            let Some(&typ) = self.data.get(at) else {
                // End of the segment: inside a record, or between two.
                return Ok(match record_start {
                    Some(rs) => self.tear(rs),
                    None => None,
                });
            };
            let kind = match typ & 0x07 {
                0 => Fragment::PageTerm,
                1 => Fragment::Full,
                2 => Fragment::First,
                3 => Fragment::Middle,
                4 => Fragment::Last,
                _ => return Err(invalid(at, "unexpected fragment type")),
            };
            if kind == Fragment::PageTerm {
                // The rest of the page must be zeros; a live segment may end before the
                // page does.
                let page_end = (at / PAGE_SIZE + 1) * PAGE_SIZE;
                let end = page_end.min(self.data.len());
                let pad = self.data.get(at..end).unwrap_or_default();
                if let Some(i) = pad.iter().position(|&b| b != 0) {
                    return Err(invalid(at + i, "unexpected non-zero byte in padded page"));
                }
                self.pos = end;
                continue;
            }
            if typ & 0xe0 != 0 {
                return Err(invalid(at, "reserved bits set in fragment type"));
            }
            let frag_comp = match typ & (SNAPPY_FLAG | ZSTD_FLAG) {
                0 => Compression::None,
                SNAPPY_FLAG => Compression::Snappy,
                ZSTD_FLAG => Compression::Zstd,
                _ => return Err(invalid(at, "fragment flags both snappy and zstd")),
            };
            let Some(hdr) = self.data.get(at..at + FRAGMENT_HEADER_SIZE) else {
                // A header cut off by the end of the segment.
                return Ok(self.tear(record_start.unwrap_or(at)));
            };
            let len = usize::from(BigEndian::read_u16(hdr.get(1..3).unwrap_or_default()));
            let crc = BigEndian::read_u32(hdr.get(3..7).unwrap_or_default());
            if len > PAGE_SIZE - FRAGMENT_HEADER_SIZE {
                return Err(invalid(at, "fragment longer than a page"));
            }
            let body = at + FRAGMENT_HEADER_SIZE;
            let Some(payload) = self.data.get(body..body + len) else {
                return Ok(self.tear(record_start.unwrap_or(at)));
            };
            // Sequence: full | first middle* last.
            match (kind, nfrags) {
                (Fragment::Full | Fragment::First, 0) => {}
                (Fragment::Full, _) => return Err(invalid(at, "unexpected full record")),
                (Fragment::First, _) => return Err(invalid(at, "unexpected first record")),
                (Fragment::Middle, 0) => return Err(invalid(at, "unexpected middle record")),
                (Fragment::Last, 0) => return Err(invalid(at, "unexpected last record")),
                _ => {}
            }
            check_crc(payload, crc, Section::WalFragment, at as u64)?;
            if nfrags == 0 {
                record_start = Some(at);
                compression = frag_comp;
            } else if frag_comp != compression {
                return Err(invalid(at, "fragments of one record differ in compression"));
            }
            self.pos = body + len;
            nfrags += 1;
            if kind == Fragment::Full {
                single = Some((body, body + len));
            } else {
                if self.frag.len() + len > MAX_RECORD_SIZE {
                    return Err(invalid(at, "record larger than 256 MiB"));
                }
                self.frag.extend_from_slice(payload);
            }
            if matches!(kind, Fragment::Full | Fragment::Last) {
                break;
            }
        }
        let offset = record_start.unwrap_or(start);
        let stored_len = (self.pos - offset) as u64;
        let raw: &[u8] = match single {
            Some((b, e)) => self.data.get(b..e).unwrap_or_default(),
            None => &self.frag,
        };
        let data: &[u8] = match compression {
            Compression::None => raw,
            Compression::Snappy => {
                decompress_snappy(raw, &mut self.rec).map_err(|r| {
                    err(
                        offset,
                        FormatErrorKind::Decompress {
                            codec: "snappy",
                            reason: r,
                        },
                    )
                })?;
                &self.rec
            }
            Compression::Zstd => {
                decompress_zstd(raw, &mut self.rec).map_err(|r| {
                    err(
                        offset,
                        FormatErrorKind::Decompress {
                            codec: "zstd",
                            reason: r,
                        },
                    )
                })?;
                &self.rec
            }
        };
        Ok(Some(RawRecord {
            offset: offset as u64,
            stored_len,
            compression,
            data,
        }))
    }
}

/// Decodes a snappy block into `out`, refusing a declared length over
/// [`MAX_RECORD_SIZE`] before allocating.
fn decompress_snappy(src: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let n = snap::raw::decompress_len(src).map_err(|_| "bad length header")?;
    if n > MAX_RECORD_SIZE {
        return Err("declared length over 256 MiB");
    }
    // Snappy expands at most ~21× (a 3-byte copy yields 64 bytes): a longer claim is
    // corrupt, and checking it here bounds the allocation by the input.
    if n > src.len().saturating_mul(32).saturating_add(64) {
        return Err("declared length impossible for the input");
    }
    out.clear();
    out.resize(n, 0);
    match snap::raw::Decoder::new().decompress(src, out) {
        Ok(m) if m == n => Ok(()),
        Ok(_) => Err("length does not match the header"),
        Err(e) => Err(snappy_reason(&e)),
    }
}

fn snappy_reason(e: &snap::Error) -> &'static str {
    match e {
        snap::Error::TooBig { .. } => "too big",
        snap::Error::BufferTooSmall { .. } => "output buffer too small",
        snap::Error::Empty => "empty input",
        snap::Error::Header => "bad length header",
        snap::Error::HeaderMismatch { .. } => "length does not match the header",
        snap::Error::Literal { .. } => "literal runs past the input",
        snap::Error::CopyRead { .. } => "copy element cut short",
        snap::Error::CopyWrite { .. } => "copy runs past the output",
        snap::Error::Offset { .. } => "copy offset out of range",
        _ => "corrupt block",
    }
}

/// Decodes one zstd frame into `out`, at most [`MAX_RECORD_SIZE`] bytes and at most
/// [`MAX_ZSTD_RATIO`] times the input: decoding stops there, so the bytes a record makes
/// the reader produce (and the replay decode) stay proportional to the bytes it stores.
fn decompress_zstd(src: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let limit = src
        .len()
        .saturating_mul(MAX_ZSTD_RATIO)
        .min(MAX_RECORD_SIZE);
    let mut input = src;
    let dec =
        ruzstd::decoding::StreamingDecoder::new_with_max_window_size(&mut input, MAX_ZSTD_WINDOW)
            .map_err(|_| "bad frame header")?;
    out.clear();
    dec.take(limit as u64 + 1)
        .read_to_end(out)
        .map_err(|_| "corrupt frame")?;
    if out.len() > MAX_RECORD_SIZE {
        return Err("record larger than 256 MiB");
    }
    if out.len() > limit {
        return Err("expands more than 16384 times");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::wlog::writer::SegmentWriter;

    fn records(seg: &[u8]) -> Vec<(u64, Compression, Vec<u8>)> {
        let mut r = RecordReader::new(seg);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((rec.offset, rec.compression, rec.data.to_vec()));
        }
        assert_eq!(r.torn(), None);
        out
    }

    #[test]
    fn round_trip_across_pages() {
        let mut w = SegmentWriter::new(Compression::None);
        let small = vec![1u8, 2, 3];
        let big: Vec<u8> = (0..80_000u32).map(|i| (i % 251) as u8).collect();
        w.log(&small);
        w.log(&big);
        w.log(&small);
        let seg = w.finish();
        assert_eq!(seg.len() % PAGE_SIZE, 0);
        let got = records(&seg);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].2, small);
        assert_eq!(got[1].2, big);
        assert_eq!(got[2].2, small);
    }

    #[test]
    fn snappy_and_zstd_records() {
        let rec: Vec<u8> = std::iter::repeat_n(b"series", 5000)
            .flatten()
            .copied()
            .collect();
        for c in [Compression::Snappy, Compression::Zstd] {
            let mut w = SegmentWriter::new(c);
            w.log(&rec);
            let seg = w.finish();
            let got = records(&seg);
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].1, c);
            assert_eq!(got[0].2, rec);
        }
    }

    #[test]
    fn torn_tail_and_crc() {
        let mut w = SegmentWriter::new(Compression::None);
        w.log(&[7u8; 10]);
        w.log(&vec![9u8; 50_000]);
        let seg = w.finish_unpadded();
        // Cut inside the second record's second fragment.
        let cut = &seg[..PAGE_SIZE + 100];
        let mut r = RecordReader::new(cut);
        assert_eq!(r.next_record().unwrap().unwrap().data, &[7u8; 10]);
        assert!(r.next_record().unwrap().is_none());
        let torn = r.torn().unwrap();
        assert_eq!(torn.offset, 17);
        assert_eq!(torn.bytes, (PAGE_SIZE + 100 - 17) as u64);
        // A flipped payload byte is a checksum error naming the fragment.
        let mut bad = seg.clone();
        bad[FRAGMENT_HEADER_SIZE + 2] ^= 1;
        let e = RecordReader::new(&bad).next_record().unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::Checksum { .. }), "{e}");
        assert_eq!(e.offset, 0);
        // Garbage in the padding.
        let mut pad = w_one();
        let n = pad.len();
        pad[n - 1] = 1;
        let mut r = RecordReader::new(&pad);
        r.next_record().unwrap();
        assert!(r.next_record().is_err());
    }

    fn w_one() -> Vec<u8> {
        let mut w = SegmentWriter::new(Compression::None);
        w.log(b"x");
        w.finish()
    }

    /// A zstd frame of `blocks` RLE blocks of 128 KiB zero bytes each (RFC 8878): magic,
    /// a single-segment header with a 4-byte content size, then 4 bytes per block.
    fn rle_frame(blocks: u32) -> Vec<u8> {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0xa0];
        f.extend_from_slice(&(blocks << 17).to_le_bytes());
        for i in 0..blocks {
            // Last_Block, Block_Type 1 (RLE), Block_Size 128 KiB; then the byte.
            let hdr = u32::from(i + 1 == blocks) | 1 << 1 | (128 << 10) << 3;
            f.extend_from_slice(&hdr.to_le_bytes()[..3]);
            f.push(0);
        }
        f
    }

    /// One full fragment flagged zstd after a plain record, so the record's offset is not 0.
    fn zstd_segment(frame: &[u8]) -> Vec<u8> {
        let mut w = SegmentWriter::new(Compression::None);
        w.log(b"x");
        let mut seg = w.finish_unpadded();
        seg.push(1 | ZSTD_FLAG);
        seg.extend_from_slice(&(frame.len() as u16).to_be_bytes());
        seg.extend_from_slice(&crate::bytes::crc32c(frame).to_be_bytes());
        seg.extend_from_slice(frame);
        seg
    }

    #[test]
    fn zstd_expansion_is_bounded_by_the_input() {
        // One RLE block, 128 KiB from 13 bytes (10082×): a ratio real frames reach.
        let seg = zstd_segment(&rle_frame(1));
        let got = records(&seg);
        assert_eq!(got[1].2, vec![0u8; 128 << 10]);
        // Eight: 1 MiB from 41 bytes (25575×), past what compressed blocks can do.
        let frame = rle_frame(8);
        let mut out = Vec::new();
        assert_eq!(
            decompress_zstd(&frame, &mut out),
            Err("expands more than 16384 times")
        );
        // Decoding stopped at the cap.
        assert_eq!(out.len(), frame.len() * MAX_ZSTD_RATIO + 1);
        let seg = zstd_segment(&frame);
        let mut r = RecordReader::new(&seg);
        r.next_record().unwrap();
        let e = r.next_record().unwrap_err();
        assert_eq!(e.offset, 8);
        assert_eq!(
            e.kind,
            FormatErrorKind::Decompress {
                codec: "zstd",
                reason: "expands more than 16384 times"
            }
        );
    }

    /// What Prometheus's encoder (klauspost/compress 1.17.1, `EncodeAll` with the default
    /// level, as `wlog.WL.log`) makes of a samples record of 100000 identical samples
    /// (ref 1000, time 1700000000000, value 0): 1000017 bytes in 136, 7353×.
    const KLAUSPOST_SAMPLES: &str = "28b52ffda451420f00b4000060020003e80000018bcfe568000210\
        02ecff648480055c0000000154001034fdfff2ff015c0000000154001134fdff0300025c00000001540011\
        34fdff0300025c0000000154001134fdff0300025c0000000154001134fdff0300025c00000001540011\
        34fdff0300025d00000001540011344e42030002dc9efdb5";

    #[test]
    fn highly_compressed_prometheus_records_decode() {
        let frame: Vec<u8> = (0..KLAUSPOST_SAMPLES.len() / 2)
            .map(|i| u8::from_str_radix(&KLAUSPOST_SAMPLES[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(frame.len(), 136);
        let got = records(&zstd_segment(&frame));
        let rec = &got[1].2;
        assert_eq!(rec.len(), 1_000_017);
        assert_eq!(
            rec[..17],
            [2, 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0]
        );
        assert!(rec[17..].iter().all(|&b| b == 0));
    }

    #[test]
    fn hostile_snappy_length_is_refused_before_allocating() {
        let mut out = Vec::new();
        // Declares 2^32 bytes from a 6-byte input.
        assert!(decompress_snappy(&[0x80, 0x80, 0x80, 0x80, 0x10, 0], &mut out).is_err());
        assert!(out.capacity() < 1024);
    }
}
