//! `chunks_head/`: the head's m-mapped chunk files (Prometheus's `ChunkDiskMapper`).
//!
//! Files are named by a number (`000001`, …) and must be consecutive. Each starts with an
//! 8-byte header (magic `0x0130BC91`, version 1, three zero bytes) followed by chunks:
//! `series ref <8> | mint <8> | maxt <8> | encoding <1> | len <uvarint> | data | CRC32C <4>`,
//! the CRC covering everything from the series ref through the data. Files are
//! preallocated with zeros: a chunk whose series ref, mint and maxt are all zero, or fewer
//! than 34 zero bytes, ends a file. Bit 7 of the encoding marks an out-of-order chunk. A
//! chunk is referenced as `file number << 32 | offset`.
//!
//! Prometheus repairs what it finds broken here (it deletes an empty last file, and the
//! corrupt file and every later one); this reader reports the same cases and leaves the
//! files alone.

use std::path::{Path, PathBuf};

use byteorder::{BigEndian, ByteOrder};

use crate::bytes::{check_crc, decode_uvarint};
use crate::chunkenc::{Chunk, Encoding};
use crate::error::{Error, FormatError, FormatErrorKind, Result, Section};
use crate::source::{ReadMode, Source};

/// Magic number of a head chunk file.
pub const HEAD_CHUNKS_MAGIC: u32 = 0x0130_BC91;
/// Size of a head chunk file's header.
pub const HEADER_SIZE: usize = 8;
/// Largest chunk header plus CRC: ref, mint, maxt, encoding, 5-byte length, CRC.
const MAX_META_SIZE: usize = 8 + 8 + 8 + 1 + 5 + 4;
/// Bit of the encoding byte that marks an out-of-order chunk.
const OOO_BIT: u8 = 0x80;

/// A chunk found in a head chunk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmappedChunk {
    /// The series' head reference (as in the WAL).
    pub series_ref: u64,
    /// `file << 32 | offset`.
    pub chunk_ref: u64,
    /// First sample's timestamp.
    pub min_time: i64,
    /// Last sample's timestamp.
    pub max_time: i64,
    /// Samples (the data's first two bytes).
    pub num_samples: u16,
    /// The chunk encoding (out-of-order bit removed).
    pub encoding: Encoding,
    /// An out-of-order chunk.
    pub ooo: bool,
}

/// Appends one chunk in the head chunk file format to `out` (which starts with
/// [`file_header`]): the mirror of [`HeadChunkFiles::for_each`], for tests and tools.
pub fn push_chunk(
    out: &mut Vec<u8>,
    series_ref: u64,
    min_time: i64,
    max_time: i64,
    encoding: Encoding,
    ooo: bool,
    data: &[u8],
) {
    let start = out.len();
    out.extend_from_slice(&series_ref.to_be_bytes());
    out.extend_from_slice(&min_time.to_be_bytes());
    out.extend_from_slice(&max_time.to_be_bytes());
    out.push(encoding.byte() | if ooo { OOO_BIT } else { 0 });
    crate::bytes::put_uvarint(out, data.len() as u64);
    out.extend_from_slice(data);
    let crc = crate::bytes::crc32c(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The 8-byte header of a head chunk file.
pub fn file_header() -> Vec<u8> {
    let mut out = HEAD_CHUNKS_MAGIC.to_be_bytes().to_vec();
    out.extend_from_slice(&[1, 0, 0, 0]);
    out
}

/// One mapped head chunk file.
#[derive(Debug)]
struct File {
    seq: u32,
    path: PathBuf,
    data: Source,
}

/// The head chunk files of a data directory, mapped (or read) whole.
#[derive(Debug, Default)]
pub struct HeadChunkFiles {
    files: Vec<File>,
}

/// A head chunk file that cannot be read to its end: what Prometheus treats as
/// corruption, deleting this file and every later one before replaying the WAL.
#[derive(Debug)]
pub struct Corrupt {
    /// The file's number.
    pub seq: u32,
    /// What is wrong.
    pub error: Error,
}

fn file_error(path: &Path, offset: usize, kind: FormatErrorKind) -> Error {
    Error::format(
        path,
        FormatError::new(Section::HeadChunk, offset as u64, kind),
    )
}

impl HeadChunkFiles {
    /// Opens the numbered files in `dir` (none if it does not exist). An empty or
    /// magic-less last file is skipped (Prometheus deletes it); a gap in the numbering
    /// or a bad header in any other file is an error, as in Prometheus.
    pub fn open(dir: &Path, mode: ReadMode) -> Result<HeadChunkFiles> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(HeadChunkFiles::default())
            }
            Err(e) => return Err(Error::io(dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            // Chunk references hold the file number in 32 bits.
            let Ok(seq) = name.parse::<u32>() else {
                continue;
            };
            names.push((seq, entry.path()));
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        let last = names.last().map(|(s, _)| *s);
        for (seq, path) in names {
            // A running server writes new chunks into the preallocated zeros of its last
            // file, in place: that one is read, never mapped, so no byte changes under a
            // reader. Older files are complete and only ever deleted.
            let file_mode = if Some(seq) == last && mode == ReadMode::Mmap {
                ReadMode::Read
            } else {
                mode
            };
            let data = Source::open(&path, file_mode)?;
            let magic = data.get(..4).map(BigEndian::read_u32).unwrap_or(0);
            if Some(seq) == last && seq > 0 && magic == 0 {
                // Prometheus's repairLastChunkFile: an empty last file is dropped.
                continue;
            }
            files.push(File { seq, path, data });
        }
        for pair in files.windows(2) {
            if let [a, b] = pair {
                if a.seq.checked_add(1) != Some(b.seq) {
                    return Err(Error::NotFound {
                        path: b.path.clone(),
                        what: "head chunk files are not sequential",
                    });
                }
            }
        }
        for f in &files {
            let Some(hdr) = f.data.get(..HEADER_SIZE) else {
                return Err(file_error(
                    &f.path,
                    0,
                    FormatErrorKind::Truncated {
                        needed: HEADER_SIZE as u64,
                        available: f.data.len() as u64,
                    },
                ));
            };
            let magic = BigEndian::read_u32(hdr);
            if magic != HEAD_CHUNKS_MAGIC {
                return Err(file_error(
                    &f.path,
                    0,
                    FormatErrorKind::BadMagic {
                        found: magic,
                        expected: HEAD_CHUNKS_MAGIC,
                    },
                ));
            }
            if hdr.get(4) != Some(&1) {
                return Err(file_error(
                    &f.path,
                    4,
                    FormatErrorKind::UnsupportedVersion(hdr.get(4).copied().unwrap_or(0)),
                ));
            }
        }
        Ok(HeadChunkFiles { files })
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Calls `f` with every chunk of every file in order (Prometheus's
    /// `IterateAllChunks`), CRCs checked. Stops at the first file that is corrupt and
    /// reports it; the chunks of earlier files have been passed to `f` by then.
    pub fn for_each(&self, mut f: impl FnMut(MmappedChunk)) -> std::result::Result<(), Corrupt> {
        for file in &self.files {
            let data: &[u8] = &file.data;
            let corrupt = |offset: usize, kind: FormatErrorKind| Corrupt {
                seq: file.seq,
                error: file_error(&file.path, offset, kind),
            };
            let mut idx = HEADER_SIZE;
            while idx < data.len() {
                let rest = data.get(idx..).unwrap_or_default();
                if rest.len() < MAX_META_SIZE {
                    if rest.iter().all(|&b| b == 0) {
                        break;
                    }
                    return Err(corrupt(
                        idx,
                        FormatErrorKind::Invalid(
                            "unread data too short for a chunk header at the end of the file",
                        ),
                    ));
                }
                let (Some(r), Some(mint), Some(maxt)) =
                    (rest.get(..8), rest.get(8..16), rest.get(16..24))
                else {
                    break;
                };
                let series_ref = BigEndian::read_u64(r);
                let min_time = BigEndian::read_u64(mint) as i64;
                let max_time = BigEndian::read_u64(maxt) as i64;
                if series_ref == 0 && min_time == 0 && max_time == 0 {
                    break;
                }
                let enc = rest.get(24).copied().unwrap_or(0);
                let (len, n) = decode_uvarint(rest.get(25..).unwrap_or_default())
                    .map_err(|_| corrupt(idx + 25, FormatErrorKind::VarintOverflow(64)))?;
                let data_start = 25 + n;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| data_start.checked_add(l))
                    .filter(|&e| e.checked_add(4).is_some_and(|c| c <= rest.len()));
                let Some(data_end) = end else {
                    return Err(corrupt(
                        idx,
                        FormatErrorKind::Truncated {
                            needed: len.saturating_add(data_start as u64 + 4),
                            available: rest.len() as u64,
                        },
                    ));
                };
                let covered = rest.get(..data_end).unwrap_or_default();
                let stored = rest
                    .get(data_end..data_end + 4)
                    .map(BigEndian::read_u32)
                    .unwrap_or(0);
                check_crc(covered, stored, Section::HeadChunk, idx as u64).map_err(|e| {
                    Corrupt {
                        seq: file.seq,
                        error: Error::format(&file.path, e),
                    }
                })?;
                let body = rest.get(data_start..data_end).unwrap_or_default();
                let num_samples = body.get(..2).map(BigEndian::read_u16).unwrap_or(0);
                let encoding = Encoding::from_byte(enc & !OOO_BIT);
                let ooo = enc & OOO_BIT != 0;
                // Prometheus skips chunks of encodings it does not know (2.42: XOR, the two
                // histogram encodings, and the out-of-order XOR).
                let valid = if ooo {
                    encoding == Encoding::Xor
                } else {
                    matches!(
                        encoding,
                        Encoding::Xor | Encoding::Histogram | Encoding::FloatHistogram
                    )
                };
                if valid {
                    f(MmappedChunk {
                        series_ref,
                        chunk_ref: (u64::from(file.seq) << 32) | idx as u64,
                        min_time,
                        max_time,
                        num_samples,
                        encoding,
                        ooo,
                    });
                }
                idx += data_end + 4;
            }
        }
        Ok(())
    }

    /// The file numbered `seq`. Every chunk read looks its file up, so this is not a
    /// scan: the files are consecutive (checked at open, and only a tail is ever dropped),
    /// so the number minus the first one is the position; a binary search over the
    /// sorted numbers backs that up should there ever be a gap.
    fn file(&self, seq: u32) -> Option<&File> {
        let first = self.files.first()?.seq;
        let direct = usize::try_from(seq.checked_sub(first)?)
            .ok()
            .and_then(|i| self.files.get(i))
            .filter(|f| f.seq == seq);
        direct.or_else(|| {
            let i = self.files.binary_search_by_key(&seq, |f| f.seq).ok()?;
            self.files.get(i)
        })
    }

    /// The chunk at `chunk_ref` (as [`for_each`](Self::for_each) gave it).
    pub fn chunk(&self, chunk_ref: u64) -> std::result::Result<Chunk<'_>, Error> {
        let seq = (chunk_ref >> 32) as u32;
        let offset = (chunk_ref & 0xffff_ffff) as usize;
        let Some(file) = self.file(seq) else {
            return Err(Error::format(
                "chunks_head",
                FormatError::new(
                    Section::HeadChunk,
                    0,
                    FormatErrorKind::BadChunkRef(chunk_ref),
                ),
            ));
        };
        let bad = || file_error(&file.path, offset, FormatErrorKind::BadChunkRef(chunk_ref));
        let rest = file.data.get(offset..).ok_or_else(bad)?;
        let enc = *rest.get(24).ok_or_else(bad)?;
        let (len, n) = decode_uvarint(rest.get(25..).unwrap_or_default()).map_err(|_| bad())?;
        let start = 25 + n;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .ok_or_else(bad)?;
        let data = rest.get(start..end).ok_or_else(bad)?;
        Ok(Chunk {
            encoding: Encoding::from_byte(enc & !OOO_BIT),
            data,
        })
    }

    /// Places an error found while decoding the data of the chunk at `chunk_ref` (its
    /// offset relative to the data) in its file: section, absolute offset, path.
    pub fn data_error(&self, chunk_ref: u64, mut e: FormatError) -> Error {
        let seq = (chunk_ref >> 32) as u32;
        let offset = chunk_ref & 0xffff_ffff;
        let Some(file) = self.file(seq) else {
            return Error::Decode { source: e };
        };
        let header = usize::try_from(offset)
            .ok()
            .and_then(|o| file.data.get(o.checked_add(25)?..))
            .and_then(|rest| decode_uvarint(rest).ok())
            .map_or(0, |(_, n)| 25 + n as u64);
        e.offset = e.offset.saturating_add(offset + header);
        Error::format(&file.path, e)
    }

    /// Paths of the files, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    /// Keeps only the files numbered below `seq` (what Prometheus keeps after deleting a
    /// corrupt file and those after it).
    pub fn keep_before(&mut self, seq: u32) {
        self.files.retain(|f| f.seq < seq);
    }

    /// Forgets every file (what Prometheus does when its chunks contradict each other).
    pub fn clear(&mut self) {
        self.files.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In-memory files numbered `seqs`, each with one chunk whose data is its number.
    fn files(seqs: impl Iterator<Item = u32>) -> HeadChunkFiles {
        let files = seqs
            .map(|seq| {
                let mut data = file_header();
                push_chunk(&mut data, 1, 0, 1, Encoding::Xor, false, &seq.to_be_bytes());
                File {
                    seq,
                    path: PathBuf::from(format!("{seq:06}")),
                    data: Source::Owned(data),
                }
            })
            .collect();
        HeadChunkFiles { files }
    }

    #[test]
    fn chunks_of_many_files_are_found_without_a_scan_per_lookup() {
        // 200,000 files: a scan per lookup would compare 2e10 file numbers.
        let f = files(1..=200_000);
        let mut refs = Vec::new();
        f.for_each(|c| refs.push(c.chunk_ref)).unwrap();
        assert_eq!(refs.len(), 200_000);
        for r in refs {
            let c = f.chunk(r).unwrap();
            assert_eq!(c.data, ((r >> 32) as u32).to_be_bytes());
        }
        assert!(f.chunk(200_001 << 32 | 8).is_err());
        assert!(f.chunk(8).is_err());
    }

    #[test]
    fn a_gap_in_the_numbers_still_finds_each_file() {
        let f = files([3, 4, 7, 9].into_iter());
        for seq in [3u64, 4, 7, 9] {
            let c = f.chunk(seq << 32 | 8).unwrap();
            assert_eq!(c.data, (seq as u32).to_be_bytes());
        }
        for seq in [0u64, 2, 5, 8, 10, u64::from(u32::MAX)] {
            assert!(f.chunk(seq << 32 | 8).is_err(), "{seq}");
        }
        let e = f.data_error(
            7 << 32 | 8,
            FormatError::new(Section::HeadChunk, 0, FormatErrorKind::Invalid("x")),
        );
        assert!(e.to_string().contains("000007"), "{e}");
    }
}
