//! Chunk segment files (`chunks/000001`, …) of a block.
//!
//! A segment is `magic 0x85BD40DD <4b> | version 1 <1b> | 3 zero bytes` followed by chunks
//! `len <uvarint> | encoding <1b> | data <len> | CRC32C(encoding ‖ data) <4b>`. A chunk
//! reference is `segment_index << 32 | offset`, where the index is the 0-based position of
//! the file among the segment files sorted by name (`000001` is segment 0).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::bytes::{check_crc, decode_uvarint, UvarintError};
use crate::chunkenc::{Chunk, Encoding};
use crate::error::{FormatError, FormatErrorKind, Section};
use crate::refs::ChunkRef;
use crate::source::ReadAt;

/// Magic number at the start of every block chunk segment.
pub const SEGMENT_MAGIC: u32 = 0x85BD_40DD;
/// Size of a segment header.
pub const SEGMENT_HEADER_LEN: usize = 8;
/// Largest uvarint length prefix of a chunk (Prometheus reads a 5-byte window).
const MAX_CHUNK_LEN_BYTES: usize = 5;

/// Checks a segment file's header.
pub fn check_segment_header<S: ReadAt + ?Sized>(data: &S) -> Result<(), FormatError> {
    let head = crate::bytes::read_at(
        data,
        data.size(),
        0,
        SEGMENT_HEADER_LEN.min(data.size() as usize),
        Section::SegmentHeader,
    )?;
    let mut c = crate::bytes::Cursor::new(head, 0, Section::SegmentHeader);
    c.magic(SEGMENT_MAGIC)?;
    c.version(|v| v == 1)?;
    c.skip(3)?;
    Ok(())
}

/// Splits a block chunk reference into (segment index, offset).
#[inline]
pub fn split_ref(chunk_ref: ChunkRef) -> (usize, u64) {
    (chunk_ref.segment(), chunk_ref.offset())
}

/// Reads the chunk at `offset` of one segment, checking bounds and its CRC: first a
/// window for the length prefix, then the whole chunk in one read.
///
/// Errors carry the segment-relative offset of the chunk (`Section::Chunk`).
pub fn read_chunk<S: ReadAt + ?Sized>(segment: &S, offset: u64) -> Result<Chunk<'_>, FormatError> {
    let err = |kind| FormatError::new(Section::Chunk, offset, kind);
    let size = segment.size();
    if offset < SEGMENT_HEADER_LEN as u64 || offset >= size {
        return Err(err(FormatErrorKind::Invalid(
            "chunk offset outside the segment",
        )));
    }
    let rest = size - offset;
    let window_len = (MAX_CHUNK_LEN_BYTES as u64).min(rest) as usize;
    let window = crate::bytes::read_at(segment, size, offset, window_len, Section::Chunk)?;
    let (len, n) = match decode_uvarint(window) {
        Ok((len, n)) => (len, n),
        Err(UvarintError::Truncated) if rest < MAX_CHUNK_LEN_BYTES as u64 => {
            return Err(err(FormatErrorKind::Truncated {
                needed: MAX_CHUNK_LEN_BYTES as u64,
                available: rest,
            }))
        }
        Err(_) => return Err(err(FormatErrorKind::VarintOverflow(35))),
    };
    // length prefix + encoding byte + data + CRC.
    let total = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(n + 1 + 4))
        .filter(|&t| t as u64 <= rest)
        .ok_or_else(|| {
            err(FormatErrorKind::Truncated {
                needed: len.saturating_add(n as u64 + 5),
                available: rest,
            })
        })?;
    let whole = crate::bytes::read_at(segment, size, offset, total, Section::Chunk)?;
    let covered = whole.get(n..total - 4).unwrap_or_default();
    let stored = whole
        .get(total - 4..)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes);
    check_crc(covered, stored, Section::Chunk, offset)?;
    let (&enc, data) = covered
        .split_first()
        .ok_or_else(|| err(FormatErrorKind::Invalid("empty chunk")))?;
    Ok(Chunk {
        encoding: Encoding::from_byte(enc),
        data,
    })
}

/// Offset of a chunk's data inside its segment (for error reporting).
pub fn data_offset<S: ReadAt + ?Sized>(segment: &S, offset: u64) -> u64 {
    let window = (MAX_CHUNK_LEN_BYTES as u64).min(segment.size().saturating_sub(offset)) as usize;
    let n = segment
        .read_at(offset, window)
        .ok()
        .and_then(|w| decode_uvarint(w).ok())
        .map_or(0, |(_, n)| n);
    offset.saturating_add(n as u64 + 1)
}

/// Segment size Prometheus cuts at (`DefaultChunkSegmentSize`).
pub const DEFAULT_SEGMENT_SIZE: u64 = 512 << 20;
/// Bytes a chunk's length field may take, counted in full when sizing segments.
const MAX_LEN_FIELD: u64 = 5;

/// Writes the chunk segment files of a block (`chunks/000001`, …), cutting a new segment
/// where Prometheus's `chunks.Writer` does: the chunks of one series go into the current
/// segment unless they would overflow it.
#[derive(Debug)]
pub struct SegmentWriter {
    dir: PathBuf,
    segment_size: u64,
    current: Option<BufWriter<File>>,
    written: Vec<PathBuf>,
    /// Bytes in the current segment.
    n: u64,
    /// 0-based index of the current segment.
    seq: u64,
}

impl SegmentWriter {
    /// A writer into `dir` (the block's `chunks/`, which must exist). `segment_size` is
    /// capped below 4 GiB, as chunk offsets are 32-bit.
    pub fn new(dir: &Path, segment_size: u64) -> Self {
        SegmentWriter {
            dir: dir.to_path_buf(),
            segment_size: segment_size.clamp(SEGMENT_HEADER_LEN as u64 + 1, u64::from(u32::MAX)),
            current: None,
            written: Vec::new(),
            n: 0,
            seq: 0,
        }
    }

    fn cut(&mut self) -> io::Result<()> {
        self.close_current()?;
        let index = self.written.len() as u64;
        let path = self.dir.join(format!("{:06}", index + 1));
        let mut f = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        f.write_all(&SEGMENT_MAGIC.to_be_bytes())?;
        f.write_all(&[1, 0, 0, 0])?;
        self.written.push(path);
        self.current = Some(f);
        self.n = SEGMENT_HEADER_LEN as u64;
        self.seq = index;
        Ok(())
    }

    fn close_current(&mut self) -> io::Result<()> {
        if let Some(f) = self.current.take() {
            let f = f.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
        }
        Ok(())
    }

    /// Writes the chunks of one series, appending their references to `refs`.
    pub fn write_series(
        &mut self,
        chunks: &[(Encoding, &[u8])],
        refs: &mut Vec<ChunkRef>,
    ) -> io::Result<()> {
        let size = |data: &[u8]| MAX_LEN_FIELD + 1 + data.len() as u64 + 4;
        // Split into batches that fit a segment; the first may join the current segment.
        let mut batch_size = 0u64;
        let mut first = true;
        let mut starts = vec![0usize];
        for (i, (_, data)) in chunks.iter().enumerate() {
            let s = size(data);
            batch_size += s;
            let mut cut = i != 0 && batch_size + SEGMENT_HEADER_LEN as u64 > self.segment_size;
            if first && self.n > SEGMENT_HEADER_LEN as u64 {
                cut = batch_size + self.n > self.segment_size;
                if cut {
                    first = false;
                }
            }
            if cut {
                starts.push(i);
                batch_size = s;
            }
        }
        if self.current.is_none() {
            self.cut()?;
        }
        starts.push(chunks.len());
        for (b, w) in starts.windows(2).enumerate() {
            // Every batch after the first starts a new segment (the first may be empty
            // when even one chunk would overflow the current segment).
            if b > 0 {
                self.cut()?;
            }
            let batch = match *w {
                [from, to] => chunks.get(from..to).unwrap_or_default(),
                _ => &[],
            };
            for (enc, data) in batch {
                // Chunk references hold 32-bit offsets.
                if self.n > u64::from(u32::MAX) {
                    return Err(io::Error::other("chunk segment beyond 4 GiB"));
                }
                refs.push(ChunkRef(self.seq << 32 | self.n));
                let mut head = Vec::with_capacity(6);
                crate::bytes::put_uvarint(&mut head, data.len() as u64);
                head.push(enc.byte());
                let crc = crc32c::crc32c_append(crc32c::crc32c(&[enc.byte()]), data);
                let Some(f) = self.current.as_mut() else {
                    return Err(io::Error::other("no segment open"));
                };
                f.write_all(&head)?;
                f.write_all(data)?;
                f.write_all(&crc.to_be_bytes())?;
                self.n += (head.len() + data.len() + 4) as u64;
            }
        }
        Ok(())
    }

    /// Flushes and fsyncs; returns the segment files written.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // chunks/000001 of a one-sample promtool 2.42 block.
    const SEGMENT: [u8; 29] = [
        0x85, 0xbd, 0x40, 0xdd, 0x01, 0, 0, 0, 0x0f, 0x01, 0x00, 0x01, 0x80, 0xc8, 0xd0, 0x07,
        0x40, 0x1c, 0, 0, 0, 0, 0, 0, 0x00, 0x5b, 0xc2, 0x5e, 0x6e,
    ];

    #[test]
    fn reads_a_real_segment() {
        check_segment_header(&SEGMENT[..]).unwrap();
        let c = read_chunk(&SEGMENT[..], 8).unwrap();
        assert_eq!(c.encoding, Encoding::Xor);
        assert_eq!(c.data.len(), 15);
        assert_eq!(c.num_samples(), Some(1));
        assert_eq!(data_offset(&SEGMENT[..], 8), 10);
    }

    #[test]
    fn every_cut_and_flip_is_an_error() {
        for cut in 0..SEGMENT.len() {
            let s = &SEGMENT[..cut];
            assert!(check_segment_header(s).is_err() || read_chunk(s, 8).is_err());
        }
        // Bytes 5..8 are header padding, which no reader checks.
        for i in (0..5).chain(8..SEGMENT.len()) {
            let mut s = SEGMENT;
            s[i] ^= 0x10;
            assert!(
                check_segment_header(&s[..]).is_err() || read_chunk(&s[..], 8).is_err(),
                "{i}"
            );
        }
        assert!(read_chunk(&SEGMENT[..], 0).is_err());
        assert!(read_chunk(&SEGMENT[..], 1 << 40).is_err());
    }
}
