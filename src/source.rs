//! Byte sources: where a file's bytes come from.
//!
//! Every section parser reads through one trait, [`ReadAt`]: "`len` bytes at absolute
//! offset `offset`, borrowed for as long as the source lives". A memory map, a `Vec<u8>` or
//! a `&[u8]` lend a sub-slice of what they hold; a [`RangeCache`] over any
//! `std::io::Read + Seek` fetches the range on first use, keeps it, and lends it from then
//! on, so a query touches only the ranges it needs (index TOC, the two tables, then series
//! entries, postings lists and chunks). This is gimli `object`'s `ReadRef`/`ReadCache`
//! design, and it lets labels and chunk data borrow from the source whatever the source is.
//!
//! This is the only module with `unsafe`: mapping a file (see [`Source::open`]) and
//! lending cached ranges past the cache's lock (see [`RangeCache`]).
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::{Deref, Range};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Bytes readable at absolute offsets, lent for as long as the source lives.
///
/// Implementations check bounds: a range past [`ReadAt::size`] is an
/// [`io::ErrorKind::UnexpectedEof`] error, never a panic. The parsers above check offsets
/// against `size()` first, so that error only reaches a user when a file shrinks under a
/// ranged reader.
///
/// ```
/// use tsblock::source::{RangeCache, ReadAt};
///
/// let bytes: Vec<u8> = (0..=255).collect();
/// assert_eq!(bytes.read_at(10, 3).unwrap(), &[10, 11, 12]);
///
/// // The same bytes behind a reader that fetches ranges on demand.
/// let cache = RangeCache::new(std::io::Cursor::new(bytes)).unwrap();
/// assert_eq!(cache.read_at(250, 6).unwrap(), &[250, 251, 252, 253, 254, 255]);
/// assert!(cache.read_at(250, 7).is_err());
/// assert_eq!(cache.stats().unwrap().fetches, 1);
/// ```
pub trait ReadAt: fmt::Debug + Send + Sync {
    /// Length of the file in bytes.
    fn size(&self) -> u64;

    /// `len` bytes at `offset`.
    fn read_at(&self, offset: u64, len: usize) -> io::Result<&[u8]>;

    /// What a fetching source has fetched so far; `None` for sources that hold every
    /// byte already.
    fn stats(&self) -> Option<FetchStats> {
        None
    }

    /// Fetches `ranges` ahead of the reads that will need them, together where the source
    /// can (a bucket's go out as parallel ranged `GET`s). A hint: sources that hold every
    /// byte ignore it, and an error here is left for those reads to meet and report.
    fn prefetch(&self, ranges: &[Range<u64>]) -> io::Result<()> {
        let _ = ranges;
        Ok(())
    }
}

/// Counters of a source that fetches ranges on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchStats {
    /// Ranges fetched from the underlying reader.
    pub fetches: u64,
    /// Bytes fetched (what the cache holds).
    pub bytes: u64,
}

impl std::ops::Add for FetchStats {
    type Output = FetchStats;
    fn add(self, o: FetchStats) -> FetchStats {
        FetchStats {
            fetches: self.fetches + o.fetches,
            bytes: self.bytes + o.bytes,
        }
    }
}

fn out_of_bounds(offset: u64, len: usize, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("range {offset}+{len} past the end ({size} bytes)"),
    )
}

/// Lends `len` bytes at `offset` of an in-memory slice.
#[inline]
fn slice_at(s: &[u8], offset: u64, len: usize) -> io::Result<&[u8]> {
    usize::try_from(offset)
        .ok()
        .and_then(|o| Some(o..o.checked_add(len)?))
        .and_then(|r| s.get(r))
        .ok_or_else(|| out_of_bounds(offset, len, s.len() as u64))
}

/// Bytes held whole in memory lend a sub-slice.
macro_rules! in_memory {
    ($($t:ty),*) => {$(
        impl ReadAt for $t {
            #[inline]
            fn size(&self) -> u64 {
                <[u8]>::len(self) as u64
            }
            #[inline]
            fn read_at(&self, offset: u64, len: usize) -> io::Result<&[u8]> {
                slice_at(self, offset, len)
            }
        }
    )*};
}

in_memory!([u8], Vec<u8>, memmap2::Mmap, Source);

/// Pointers to a source are the source.
macro_rules! forward {
    ($($t:ty),*) => {$(
        impl<T: ReadAt + ?Sized> ReadAt for $t {
            #[inline]
            fn size(&self) -> u64 {
                (**self).size()
            }
            #[inline]
            fn read_at(&self, offset: u64, len: usize) -> io::Result<&[u8]> {
                (**self).read_at(offset, len)
            }
            fn stats(&self) -> Option<FetchStats> {
                (**self).stats()
            }
            fn prefetch(&self, ranges: &[Range<u64>]) -> io::Result<()> {
                (**self).prefetch(ranges)
            }
        }
    )*};
}

forward!(&T, Box<T>, std::sync::Arc<T>);

/// How files are brought into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReadMode {
    /// Read-only shared memory maps (the default): pages are loaded on demand.
    #[default]
    Mmap,
    /// `read(2)` each file into an owned buffer: safe on files that may change while open.
    Read,
    /// Fetch only the byte ranges a query touches, with positioned reads through a
    /// [`RangeCache`] (for files on network file systems, or to measure what a query
    /// reads); fetched ranges stay cached while the block is open.
    Ranged,
}

/// The bytes of one file, held whole: memory-mapped or read into memory.
#[derive(Debug)]
pub enum Source {
    /// A read-only memory map of the whole file.
    Mapped(memmap2::Mmap),
    /// The file's bytes read into memory.
    Owned(Vec<u8>),
}

/// What a non-regular file is, for the error that refuses it.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        } else if t.is_socket() {
            return "a socket";
        } else if t.is_char_device() {
            return "a character device";
        } else if t.is_block_device() {
            return "a block device";
        }
    }
    "something else"
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> Error {
    Error::io(
        path,
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file but {}", file_kind(meta)),
        ),
    )
}

/// Opens `path` for reading only if it is a regular file (symlinks followed), with its
/// size at open. A FIFO would block `open(2)` forever and a device can be endless, so
/// their type is checked before opening, and again on the opened file (in case the path
/// changed in between).
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok((file, meta.len()))
}

/// Reads a regular file whole ([`open_regular`]): at most the size it had when opened,
/// and an error if it grew or shrank while it was read.
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 != len {
        return Err(Error::io(
            path,
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("changed size while read (was {len} bytes)"),
            ),
        ));
    }
    Ok(buf)
}

impl Source {
    /// Maps or reads `path` whole, if it is a regular file ([`open_regular`]).
    /// [`ReadMode::Ranged`] is [`open`]'s business; here it reads the file like
    /// [`ReadMode::Read`].
    pub fn open(path: &Path, mode: ReadMode) -> Result<Source> {
        match mode {
            ReadMode::Read | ReadMode::Ranged => read_regular(path).map(Source::Owned),
            ReadMode::Mmap => {
                let (file, len) = open_regular(path)?;
                if len == 0 {
                    // Zero-length maps are not portable; there is nothing to map anyway.
                    return Ok(Source::Owned(Vec::new()));
                }
                // SAFETY: memmap2 requires that the mapped file is not modified or truncated
                // by anyone while the map lives. TSDB block files are immutable once their
                // block directory has been renamed into place; Prometheus only ever replaces
                // `tombstones` and `meta.json` by renaming a new file over them, which leaves
                // an existing map of the old inode intact. What this cannot rule out: another
                // process truncating or rewriting a file in place (or an I/O error on a network
                // file system) makes a later access to the missing pages raise SIGBUS and the
                // process dies; data races on rewritten bytes are undefined behaviour. Callers
                // who cannot trust the directory use `ReadMode::Read` or `ReadMode::Ranged`.
                // A live head's files: WAL segments are only appended to (past the mapped
                // length) and deleted; the one head chunk file written in place, the last,
                // is read rather than mapped (`head::files`).
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
                Ok(Source::Mapped(map))
            }
        }
    }
}

/// Opens `path` as a byte source of the given mode.
pub fn open(path: &Path, mode: ReadMode) -> Result<Box<dyn ReadAt>> {
    Ok(match mode {
        ReadMode::Ranged => {
            let (file, _) = open_regular(path)?;
            Box::new(RangeCache::new(file).map_err(|e| Error::io(path, e))?)
        }
        _ => Box::new(Source::open(path, mode)?),
    })
}

impl Deref for Source {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => m,
            Source::Owned(v) => v,
        }
    }
}

impl AsRef<[u8]> for Source {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}

/// A fetched range: a heap buffer that is never moved, written or freed until the cache
/// is dropped. Held as a raw pointer (not a `Box`) so that moving the record inside the
/// map does not assert uniqueness over bytes that are lent out.
struct Buf {
    ptr: NonNull<u8>,
    len: usize,
}

impl Buf {
    fn new(bytes: Vec<u8>) -> Buf {
        let b: Box<[u8]> = bytes.into_boxed_slice();
        let len = <[u8]>::len(&b);
        let raw: *mut [u8] = Box::into_raw(b);
        // A pointer from Box::into_raw is never null (dangling but non-null when empty).
        let ptr = NonNull::new(raw.cast::<u8>()).unwrap_or(NonNull::dangling());
        Buf { ptr, len }
    }

    /// The bytes, for as long as `self` is not dropped.
    fn bytes(&self) -> &[u8] {
        // SAFETY: ptr/len come from a live `Box<[u8]>` turned into a raw pointer in `new`
        // and only freed in `drop`; nothing writes through it.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        let raw = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
        // SAFETY: `raw` is exactly the pointer `Box::into_raw` returned in `new`, freed once.
        drop(unsafe { Box::from_raw(raw) });
    }
}

// SAFETY: a `Buf` owns its bytes exclusively, like the `Box<[u8]>` it came from, and
// nothing mutates them, so sending or sharing it across threads is as safe as a `Box`.
unsafe impl Send for Buf {}
// SAFETY: see `Send`: shared access only ever reads.
unsafe impl Sync for Buf {}

/// Fetches many ranges at once, in order: what a [`RangeCache`] prefetches through.
pub type FetchRanges = Box<dyn Fn(&[Range<u64>]) -> io::Result<Vec<Vec<u8>>> + Send + Sync>;

struct CacheState<R> {
    reader: R,
    /// Fetched ranges by `(offset, len)`. Ranges may overlap; none is ever removed.
    ranges: BTreeMap<(u64, u64), Buf>,
    /// The whole file, fetched once the ranges would otherwise hold more than it: then
    /// every read is served from here, so the cache never holds more than 2.25 times the file
    /// whatever the pattern of reads (a hostile index can make every read miss).
    whole: Option<Buf>,
    stats: FetchStats,
    /// End and length of the last fetch, to tell a sequential scan.
    last: (u64, u64),
}

/// The largest fetch a sequential scan grows to.
const MAX_READAHEAD: u64 = 8 << 20;

/// A [`ReadAt`] over any `Read + Seek` that fetches each range on first use and keeps it.
///
/// A read is served from a cached range that covers it (the one starting closest before
/// it); otherwise `max(len, min_fetch)` bytes are fetched, clamped to the file, so a
/// short read (a series entry's length prefix) usually brings the entry with it. A miss
/// inside the last fetch or within `min_fetch` past its end is a sequential scan (a dump reading
/// every chunk, a walk over every series): it fetches twice what the last fetch did, up to
/// 8 MiB, so a whole file takes a logarithmic number of requests, not one per
/// `min_fetch`.
///
/// Memory grows with what was read, up to 1.25 times the file's size (fetches may overlap
/// a little); a fetch that would pass that fetches the whole file once instead, which then
/// serves every read, so the cache holds at most 2.25 times the file. It is given back
/// when the cache is dropped.
///
/// The file's length is taken once, at creation: the source is for immutable files.
pub struct RangeCache<R> {
    state: Mutex<CacheState<R>>,
    len: u64,
    min_fetch: usize,
    /// How [`ReadAt::prefetch`] fetches; without it, prefetching does nothing.
    fetch_ranges: Option<FetchRanges>,
}

/// The default smallest fetch: one page.
pub const DEFAULT_MIN_FETCH: usize = 4096;

impl<R: Read + Seek> RangeCache<R> {
    /// A cache over `reader`, which is asked for its length (by seeking to its end).
    pub fn new(reader: R) -> io::Result<Self> {
        Self::with_min_fetch(reader, DEFAULT_MIN_FETCH)
    }

    /// Like [`RangeCache::new`], fetching at least `min_fetch` bytes a time (1 fetches
    /// exactly what is asked).
    pub fn with_min_fetch(mut reader: R, min_fetch: usize) -> io::Result<Self> {
        let len = reader.seek(SeekFrom::End(0))?;
        Ok(RangeCache {
            state: Mutex::new(CacheState {
                reader,
                ranges: BTreeMap::new(),
                whole: None,
                stats: FetchStats::default(),
                last: (0, 0),
            }),
            len,
            min_fetch: min_fetch.max(1),
            fetch_ranges: None,
        })
    }

    /// Lets [`ReadAt::prefetch`] fetch missing ranges through `fetch`, many at once (a
    /// bucket's parallel ranged `GET`s). Ranges closer than `min_fetch` are merged
    /// first; ranges already held are not fetched again.
    pub fn with_prefetch(mut self, fetch: FetchRanges) -> Self {
        self.fetch_ranges = Some(fetch);
        self
    }
}

impl<R> fmt::Debug for RangeCache<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RangeCache")
            .field("len", &self.len)
            .field("stats", &self.state.lock().ok().map(|s| s.stats))
            .finish_non_exhaustive()
    }
}

impl<R: Read + Seek + Send> ReadAt for RangeCache<R> {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> io::Result<&[u8]> {
        let end = offset
            .checked_add(len as u64)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| out_of_bounds(offset, len, self.len))?;
        // A reader that panicked left the map consistent (insertion follows the read).
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let hit = match &state.whole {
            Some(whole) => Some((0, whole.bytes())),
            None => state
                .ranges
                .range(..=(offset, u64::MAX))
                .next_back()
                .filter(|((start, n), _)| start + n >= end)
                .map(|((start, _), buf)| (*start, buf.bytes())),
        };
        let (start, bytes) = match hit {
            Some(h) => h,
            None => {
                let mut want = len.max(self.min_fetch) as u64;
                let (last_end, last_n) = state.last;
                // From inside the last fetch (a read running past its end) to `min_fetch`
                // past it.
                if last_n > 0
                    && offset >= last_end - last_n
                    && offset <= last_end.saturating_add(self.min_fetch as u64)
                {
                    want = want.max(last_n.saturating_mul(2).min(MAX_READAHEAD));
                }
                let mut from = offset;
                let mut n = want.min(self.len - offset);
                // Past 1.25 times the file (reads running over a fetch's end overlap it a
                // little), the whole file once instead.
                if state.stats.bytes.saturating_add(n) > self.len.saturating_add(self.len / 4) {
                    (from, n) = (0, self.len);
                }
                let n_usize = usize::try_from(n).map_err(io::Error::other)?;
                let mut buf = vec![0u8; n_usize];
                state.reader.seek(SeekFrom::Start(from))?;
                state.reader.read_exact(&mut buf)?;
                state.stats.fetches += 1;
                state.stats.bytes += n;
                state.last = (from + n, n);
                let buf = Buf::new(buf);
                let bytes = buf.bytes();
                // The bytes stay where they are when the record moves into the state.
                let bytes: *const [u8] = bytes;
                if from == 0 && n == self.len {
                    state.whole = Some(buf);
                } else {
                    state.ranges.insert((from, n), buf);
                }
                // SAFETY: `bytes` points into the heap buffer just moved into the state.
                (from, unsafe { &*bytes })
            }
        };
        let at = usize::try_from(offset - start).map_err(io::Error::other)?;
        let slice = bytes
            .get(at..at + len)
            .ok_or_else(|| out_of_bounds(offset, len, self.len))?;
        let slice: *const [u8] = slice;
        drop(state);
        // SAFETY: the slice lies in a `Buf` of `self.state` (the map or `whole`). Entries
        // are never removed, replaced (a key present was a hit: a miss fetches a longer
        // range than any cached at its offset, whoever inserted that one, and `prefetch`
        // inserts only absent keys; `whole` is set once, after which every read hits it)
        // or written, and a `Buf`'s heap bytes do not move when the map
        // rebalances, so the bytes stay valid and unchanged for as long as `self` is
        // borrowed; they are freed only when `self` is dropped, which needs `&mut self`
        // and so no loans outstanding.
        Ok(unsafe { &*slice })
    }

    fn stats(&self) -> Option<FetchStats> {
        Some(self.state.lock().unwrap_or_else(|e| e.into_inner()).stats)
    }

    fn prefetch(&self, ranges: &[Range<u64>]) -> io::Result<()> {
        let Some(fetch) = &self.fetch_ranges else {
            return Ok(());
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.whole.is_some() {
            return Ok(());
        }
        // In the file, not empty, not already held (by the range starting closest before,
        // as `read_at` looks), sorted, and merged when closer than `min_fetch`.
        let mut want: Vec<Range<u64>> = ranges
            .iter()
            .map(|r| r.start..r.end.min(self.len))
            .filter(|r| r.start < r.end)
            .filter(|r| {
                state
                    .ranges
                    .range(..=(r.start, u64::MAX))
                    .next_back()
                    .is_none_or(|((start, n), _)| start + n < r.end)
            })
            .collect();
        want.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<u64>> = Vec::with_capacity(want.len());
        for r in want {
            match merged.last_mut() {
                Some(last) if r.start <= last.end.saturating_add(self.min_fetch as u64) => {
                    last.end = last.end.max(r.end)
                }
                _ => merged.push(r),
            }
        }
        let total: u64 = merged.iter().map(|r| r.end - r.start).sum();
        // Within the budget `read_at` keeps (1.25 times the file); past it, reads decide.
        if merged.is_empty()
            || state.stats.bytes.saturating_add(total) > self.len.saturating_add(self.len / 4)
        {
            return Ok(());
        }
        let fetched = fetch(&merged)?;
        if fetched.len() != merged.len() {
            return Err(io::Error::other(
                "a prefetch returned another number of ranges",
            ));
        }
        for (r, bytes) in merged.iter().zip(fetched) {
            let n = r.end - r.start;
            if bytes.len() as u64 != n {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("asked for {n} bytes, got {}", bytes.len()),
                ));
            }
            state.stats.fetches += 1;
            state.stats.bytes += n;
            // Never replaces a held range (`read_at` may have lent it out); nothing of the
            // new one is lent until a read finds it in the map.
            state
                .ranges
                .entry((r.start, n))
                .or_insert_with(|| Buf::new(bytes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_serves_covered_ranges_and_fetches_the_rest() {
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let c = RangeCache::with_min_fetch(io::Cursor::new(data.clone()), 100).unwrap();
        assert_eq!(c.size(), 10_000);
        let a = c.read_at(0, 5).unwrap();
        assert_eq!(a, &data[..5]);
        // Inside the first 100-byte fetch: no new fetch.
        let b = c.read_at(50, 50).unwrap();
        assert_eq!(b, &data[50..100]);
        assert_eq!(c.stats().unwrap().fetches, 1);
        // Crossing its end: a new fetch, twice as long (a sequential scan, by the look of
        // it); the old loan stays valid.
        let d = c.read_at(90, 20).unwrap();
        assert_eq!(d, &data[90..110]);
        assert_eq!(a, &data[..5]);
        assert_eq!(c.stats().unwrap().fetches, 2);
        // Clamped to the file; past it is an error.
        assert_eq!(c.read_at(9_990, 10).unwrap(), &data[9_990..]);
        assert!(c.read_at(9_990, 11).is_err());
        assert!(c.read_at(u64::MAX, 1).is_err());
        assert_eq!(c.read_at(10_000, 0).unwrap(), &[] as &[u8]);
        let s = c.stats().unwrap();
        // The empty read at the end was served by the last fetch.
        assert_eq!(s.fetches, 3);
        assert_eq!(s.bytes, 100 + 200 + 10);
    }

    #[test]
    fn prefetch_merges_neighbours_skips_held_ranges_and_serves_reads() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let asked = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (log, bytes) = (asked.clone(), data.clone());
        let c = RangeCache::with_min_fetch(io::Cursor::new(data.clone()), 100)
            .unwrap()
            .with_prefetch(Box::new(move |ranges: &[Range<u64>]| {
                log.lock().unwrap().push(ranges.to_vec());
                Ok(ranges
                    .iter()
                    .map(|r| bytes[r.start as usize..r.end as usize].to_vec())
                    .collect())
            }));
        let held = c.read_at(5_000, 10).unwrap();
        // Out of order; two within 100 bytes of each other; one held already; one
        // running past the end; one empty.
        c.prefetch(&[
            2_000..2_050,
            1_000..1_010,
            1_050..1_060,
            5_000..5_050,
            9_990..20_000,
            7..7,
        ])
        .unwrap();
        assert_eq!(
            *asked.lock().unwrap(),
            vec![vec![1_000..1_060, 2_000..2_050, 9_990..10_000]]
        );
        let s = c.stats().unwrap();
        assert_eq!((s.fetches, s.bytes), (1 + 3, 100 + 60 + 50 + 10));
        // Reads inside the prefetched ranges fetch nothing more; loans stay valid.
        assert_eq!(c.read_at(1_020, 40).unwrap(), &data[1_020..1_060]);
        assert_eq!(c.read_at(2_000, 50).unwrap(), &data[2_000..2_050]);
        assert_eq!(c.read_at(9_995, 5).unwrap(), &data[9_995..]);
        assert_eq!(c.stats().unwrap().fetches, 4);
        assert_eq!(held, &data[5_000..5_010]);
        // A fetch answering short is an error, and nothing of it is kept.
        let short = RangeCache::new(io::Cursor::new(data.clone()))
            .unwrap()
            .with_prefetch(Box::new(|ranges: &[Range<u64>]| {
                Ok(ranges.iter().map(|_| vec![0u8; 1]).collect())
            }));
        let first_hundred = [Range { start: 0, end: 100 }];
        assert!(short.prefetch(&first_hundred[..]).is_err());
        assert_eq!(short.read_at(0, 100).unwrap(), &data[..100]);
        // Sources that hold every byte ignore the hint.
        assert!(data.prefetch(&first_hundred[..]).is_ok());
    }

    #[test]
    fn slices_and_sources_check_bounds() {
        let v = vec![1u8, 2, 3];
        assert_eq!(v.read_at(1, 2).unwrap(), &[2, 3]);
        assert!(v.read_at(2, 2).is_err());
        assert!(v.read_at(u64::MAX, 0).is_err());
        let s: &[u8] = &v;
        assert_eq!(s.size(), 3);
        let b: Box<dyn ReadAt> = Box::new(Source::Owned(v));
        assert_eq!(b.read_at(0, 3).unwrap(), &[1, 2, 3]);
        assert!(b.stats().is_none());
    }

    #[test]
    fn a_failing_reader_is_an_io_error() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        impl Seek for Broken {
            fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
                Ok(100)
            }
        }
        let c = RangeCache::new(Broken).unwrap();
        let e = c.read_at(0, 10).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
        assert_eq!(c.stats().unwrap().fetches, 0);
    }

    #[test]
    fn a_sequential_scan_takes_few_requests() {
        let data: Vec<u8> = (0..10_000_000u32).map(|i| (i * 13) as u8).collect();
        let c = RangeCache::with_min_fetch(io::Cursor::new(data.clone()), 4096).unwrap();
        let mut off = 0u64;
        while off < 10_000_000 {
            let len = 300.min(10_000_000 - off) as usize;
            assert_eq!(c.read_at(off, len).unwrap(), &data[off as usize..][..len]);
            off += len as u64;
        }
        let s = c.stats().unwrap();
        // 4 KiB doubling to 8 MiB: a dozen requests, not 2,442, and each byte once or so.
        assert!(s.fetches <= 16, "{s:?}");
        assert!(s.bytes <= 10_000_000 + 10_000_000 / 100, "{s:?}");
    }

    #[test]
    fn missing_reads_never_hold_more_than_2_25_times_the_file() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let c = RangeCache::with_min_fetch(io::Cursor::new(data.clone()), 4096).unwrap();
        // Backwards, overlapping: every read misses the range before it.
        for k in (0..2000u64).rev() {
            let off = k * 16;
            let got = c.read_at(off, 5000).unwrap();
            assert_eq!(got, &data[off as usize..off as usize + 5000]);
        }
        let s = c.stats().unwrap();
        assert!(s.bytes <= 225_000, "{s:?}");
        // From now on everything is served from the whole file.
        assert_eq!(c.read_at(99_999, 1).unwrap(), &data[99_999..]);
        assert_eq!(c.stats().unwrap(), s);
    }
}
