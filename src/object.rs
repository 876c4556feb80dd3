//! Blocks in object storage: a bucket prefix read as a data directory, with ranged reads.
//!
//! A [`Bucket`] is an [`object_store`] store and a prefix under it, opened from a URL
//! (`file:///data`, `memory://`, and with the cargo features `s3`, `gcs`, `azure`:
//! `s3://bucket/prefix`, `gs://…`, `az://…`) or from any store. [`Bucket::open_db`] lists
//! the prefix once, as Thanos's store-gateway does: every `<ULID>/meta.json` names a block
//! (or the prefix is a block itself), a block with a `deletion-mark.json` is skipped with a
//! warning, and the listing gives every file's size, so no request is spent on `HEAD`s.
//! Each block is then opened through [`Block::from_files`] with `meta.json` fetched whole and
//! every other file behind a [`RangeCache`] over ranged `GET`s: the index's TOC is fetched
//! by itself, then the symbol and postings offset tables, then only the postings lists,
//! series entries and chunks a command touches, each fetch at least
//! [`Bucket::with_min_fetch`] bytes so that neighbouring reads share a request. What was
//! fetched stays cached while the block is open (at most 2.25 times the file), and a
//! sequential scan (a whole dump) grows its fetches to 8 MiB.
//!
//! The store's API is asynchronous and the readers are not: a `Bucket` owns a
//! current-thread tokio runtime and blocks on each request, so it must not be used from
//! inside another async runtime's worker (use `spawn_blocking` there).

use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, ObjectStoreScheme};

use crate::block::{BlockFiles, DynSource};
use crate::db::{Db, Warning};
use crate::error::{Error, Result};
use crate::source::{FetchStats, RangeCache};
use crate::Block;

/// The smallest range fetched by default: requests cost more than bytes.
pub const DEFAULT_MIN_FETCH: usize = 16 << 10;

/// What [`Bucket::open_blocks`] found: each block's outcome and what was left out.
#[derive(Debug)]
pub struct OpenedBlocks {
    /// Every block listed (in name order) with its path and what opening it gave.
    pub blocks: Vec<(PathBuf, Result<Block>)>,
    /// The blocks left out (marked for deletion, or without a `meta.json`).
    pub warnings: Vec<Warning>,
}

/// A prefix of an object store, read as a data directory (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// The URL the prefix is named by in paths and errors, without a trailing `/`.
    name: String,
    runtime: Arc<tokio::runtime::Runtime>,
    min_fetch: usize,
    /// Listing and `meta.json` requests (the ranged reads count in each source).
    requests: Arc<AtomicU64>,
    meta_bytes: Arc<AtomicU64>,
}

/// An object store error as an I/O error of `path`.
fn store_error(path: &std::path::Path, e: object_store::Error) -> Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        _ => io::ErrorKind::Other,
    };
    Error::io(path, io::Error::new(kind, e))
}

impl Bucket {
    /// Opens the store a URL names: `file:///abs/path`, `memory://` (empty), and with
    /// the matching cargo feature `s3://bucket/prefix` (`s3`), `gs://bucket/prefix`
    /// (`gcs`), `az://container/prefix` (`azure`). Credentials, region and endpoint come
    /// from the environment variables the `object_store` builders read (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`,
    /// `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, …); nothing is stored.
    pub fn from_url(url: &str) -> Result<Bucket> {
        let path = PathBuf::from(url);
        let bad = |why: String| Error::io(&path, io::Error::new(io::ErrorKind::InvalidInput, why));
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("not a URL: {e}")))?;
        let (scheme, prefix) = ObjectStoreScheme::parse(&parsed).map_err(|e| bad(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = match scheme {
            ObjectStoreScheme::Local => Arc::new(object_store::local::LocalFileSystem::new()),
            ObjectStoreScheme::Memory => Arc::new(object_store::memory::InMemory::new()),
            #[cfg(feature = "s3")]
            ObjectStoreScheme::AmazonS3 => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| store_error(&path, e))?,
            ),
            #[cfg(feature = "gcs")]
            ObjectStoreScheme::GoogleCloudStorage => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| store_error(&path, e))?,
            ),
            #[cfg(feature = "azure")]
            ObjectStoreScheme::MicrosoftAzure => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| store_error(&path, e))?,
            ),
            other => {
                return Err(bad(format!(
                    "{other:?} URLs need tsblock built with that store's cargo feature \
                     (s3, gcs, azure)"
                )))
            }
        };
        Bucket::new(store, prefix, url.trim_end_matches('/'))
    }

    /// A bucket over any store: `prefix` is the data directory (or block) in it, `name`
    /// what paths and errors call it (a URL, say).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: ObjectPath, name: &str) -> Result<Bucket> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io(name, e))?;
        Ok(Bucket {
            store,
            prefix,
            name: name.to_string(),
            runtime: Arc::new(runtime),
            min_fetch: DEFAULT_MIN_FETCH,
            requests: Arc::default(),
            meta_bytes: Arc::default(),
        })
    }

    /// Fetches at least `bytes` per request (1: exactly what a reader asks for).
    pub fn with_min_fetch(mut self, bytes: usize) -> Bucket {
        self.min_fetch = bytes.max(1);
        self
    }

    /// Requests made for listings and `meta.json` files, and the bytes of the latter (the
    /// ranged reads of an open block are in [`Block::fetch_stats`]).
    pub fn stats(&self) -> FetchStats {
        FetchStats {
            fetches: self.requests.load(Ordering::Relaxed),
            bytes: self.meta_bytes.load(Ordering::Relaxed),
        }
    }

    /// The path that names `rel` (relative to the prefix) in errors.
    fn display(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            PathBuf::from(&self.name)
        } else {
            PathBuf::from(format!("{}/{rel}", self.name))
        }
    }

    /// Opens every block under the prefix (or the block the prefix is), sorted by
    /// `minTime`, as [`Db::open`] opens a directory's blocks: a block whose `meta.json`
    /// does not read is skipped with a warning, and so is a broken block that an opened
    /// block lists as a compaction parent; any other broken block is an error. Blocks
    /// marked for deletion are skipped with a warning. There is no head in a bucket.
    /// What the listing and the `meta.json` files took is in [`Db::fetch_stats`].
    pub fn open_db(&self) -> Result<Db> {
        let OpenedBlocks {
            blocks: opened,
            mut warnings,
        } = self.open_blocks()?;
        let mut blocks = Vec::new();
        let mut broken = Vec::new();
        for (dir, block) in opened {
            match block {
                Ok(b) => blocks.push(b),
                Err(error @ (Error::Meta { .. } | Error::MetaVersion { .. })) => {
                    warnings.push(Warning::SkippedBlock { dir, error })
                }
                Err(error) => broken.push((dir, error)),
            }
        }
        for (dir, error) in broken {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            let replaced = blocks.iter().any(|b| {
                b.meta()
                    .compaction
                    .parents
                    .iter()
                    .any(|p| Some(&p.ulid) == name.as_ref())
            });
            if !replaced {
                return Err(error);
            }
            warnings.push(Warning::SkippedBlock { dir, error });
        }
        blocks.sort_by_key(|b| b.meta().min_time);
        Ok(Db::from_blocks(
            PathBuf::from(&self.name),
            blocks,
            warnings,
            self.stats(),
        ))
    }

    /// Lists the prefix and opens each block it holds (in name order), each with its
    /// outcome, for callers that report a broken block and go on (`verify`); blocks marked
    /// for deletion or without a `meta.json` (an upload under way) are left out, each
    /// with a warning.
    pub fn open_blocks(&self) -> Result<OpenedBlocks> {
        let listing = self.list()?;
        let mut blocks = Vec::new();
        let mut warnings = Vec::new();
        for (dir, files) in group_by_block(&listing) {
            let shown = self.display(dir);
            if files.iter().any(|(name, _)| *name == "deletion-mark.json") {
                warnings.push(Warning::MarkedForDeletion { dir: shown });
                continue;
            }
            // Thanos and Mimir upload meta.json last: a block without one is being
            // uploaded, or its upload failed. Their readers pass over it, and so do we.
            if files.iter().all(|(name, _)| *name != "meta.json") {
                let error = Error::NotFound {
                    path: self.display(&join(dir, "meta.json")),
                    what: "no meta.json (an upload in progress, or one that failed)",
                };
                warnings.push(Warning::SkippedBlock { dir: shown, error });
                continue;
            }
            let block = self.open_listed(dir, &files);
            blocks.push((shown, block));
        }
        if blocks.is_empty() && warnings.is_empty() {
            return Err(Error::NotFound {
                path: self.display(""),
                what: "no blocks (no meta.json, nor <ULID>/meta.json)",
            });
        }
        Ok(OpenedBlocks { blocks, warnings })
    }

    /// Every object under the prefix: its path relative to the prefix and its size.
    fn list(&self) -> Result<Vec<(String, u64)>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let metas: Vec<object_store::ObjectMeta> = self
            .runtime
            .block_on(self.store.list(prefix).try_collect())
            .map_err(|e| store_error(&self.display(""), e))?;
        let mut out: Vec<(String, u64)> = metas
            .into_iter()
            .filter_map(|m| {
                let rel = m.location.prefix_match(&self.prefix)?;
                let rel: Vec<String> = rel.map(|p| p.as_ref().to_string()).collect();
                Some((rel.join("/"), m.size))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Opens the block at `dir` (relative to the prefix) from its listed files.
    fn open_listed(&self, dir: &str, files: &[(&str, u64)]) -> Result<Block> {
        let meta_json = self.get_whole(&join(dir, "meta.json"))?;
        let source = |name: &str, size: u64| -> Result<DynSource> {
            let rel = join(dir, name);
            let reader = ObjectReader {
                store: self.store.clone(),
                location: self.location(&rel),
                size,
                pos: 0,
                runtime: self.runtime.clone(),
            };
            let cache = RangeCache::with_min_fetch(reader, self.min_fetch)
                .map_err(|e| Error::io(self.display(&rel), e))?
                .with_prefetch(self.fetch_ranges(&rel));
            Ok(Box::new(cache))
        };
        let mut index = None;
        let mut tombstones = None;
        let mut segments = Vec::new();
        for &(name, size) in files {
            match name.split_once('/') {
                None if name == "index" => index = Some(source(name, size)?),
                None if name == "tombstones" => tombstones = Some(source(name, size)?),
                Some(("chunks", seg)) if crate::block::is_segment_name(seg) => {
                    segments.push((seg.to_string(), source(name, size)?))
                }
                _ => {}
            }
        }
        let Some(index) = index else {
            return Err(Error::NotFound {
                path: self.display(&join(dir, "index")),
                what: "no index in the block",
            });
        };
        let files = BlockFiles {
            meta_json,
            index,
            segments,
            tombstones,
        };
        Block::from_files(self.display(dir), files)
    }

    /// Fetches many ranges of one object as parallel ranged `GET`s (at most
    /// [`PARALLEL_GETS`] at a time), for the range cache's prefetch. object_store's own
    /// `get_ranges` would merge ranges up to 1 MiB apart, fetching the gaps; the cache has
    /// merged what is worth merging, so each range is one request and `--stats` counts
    /// what was fetched.
    fn fetch_ranges(&self, rel: &str) -> crate::source::FetchRanges {
        let (store, location, runtime) =
            (self.store.clone(), self.location(rel), self.runtime.clone());
        Box::new(move |ranges: &[std::ops::Range<u64>]| {
            use futures::{StreamExt, TryStreamExt};
            runtime
                .block_on(
                    futures::stream::iter(ranges.iter().cloned())
                        .map(|r| store.get_range(&location, r))
                        .buffered(PARALLEL_GETS)
                        .map_ok(|b| b.to_vec())
                        .try_collect::<Vec<_>>(),
                )
                .map_err(io::Error::other)
        })
    }

    fn location(&self, rel: &str) -> ObjectPath {
        rel.split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |path, part| path.join(part))
    }

    /// A small object whole (`meta.json`), with one request.
    fn get_whole(&self, rel: &str) -> Result<Vec<u8>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let shown = self.display(rel);
        let location = self.location(rel);
        let bytes = self
            .runtime
            .block_on(async { self.store.get(&location).await?.bytes().await })
            .map_err(|e| store_error(&shown, e))?;
        self.meta_bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes.to_vec())
    }
}

/// Ranged `GET`s a prefetch keeps in flight at once.
const PARALLEL_GETS: usize = 16;

/// `dir/name`, or `name` when the prefix is the block.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The listing grouped by block: the prefix itself when it holds a `meta.json` (a block
/// URL), else each `<ULID>/` directory, with its files relative to it.
fn group_by_block(listing: &[(String, u64)]) -> Vec<(&str, Vec<(&str, u64)>)> {
    if listing.iter().any(|(p, _)| p == "meta.json") {
        return vec![("", listing.iter().map(|(p, s)| (p.as_str(), *s)).collect())];
    }
    let mut out: Vec<(&str, Vec<(&str, u64)>)> = Vec::new();
    for (path, size) in listing {
        let Some((dir, rest)) = path.split_once('/') else {
            continue;
        };
        if !crate::db::is_ulid(dir) {
            continue;
        }
        match out.last_mut() {
            Some((d, files)) if *d == dir => files.push((rest, *size)),
            _ => out.push((dir, vec![(rest, *size)])),
        }
    }
    out
}

/// One object as a `Read + Seek` of ranged `GET`s, for a [`RangeCache`] to fetch through.
/// Its size comes from the listing, so seeking to the end asks nothing.
struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    location: ObjectPath,
    size: u64,
    pos: u64,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end = self.size.min(self.pos.saturating_add(buf.len() as u64));
        if self.pos >= end {
            return Ok(0);
        }
        let bytes = self
            .runtime
            .block_on(self.store.get_range(&self.location, self.pos..end))
            .map_err(io::Error::other)?;
        // A store that answers with another length than asked is not trusted further.
        let n = bytes.len();
        if n as u64 != end - self.pos {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("asked for {} bytes, got {n}", end - self.pos),
            ));
        }
        let dst = buf
            .get_mut(..n)
            .ok_or_else(|| io::Error::other("short buffer"))?;
        dst.copy_from_slice(&bytes);
        self.pos = end;
        Ok(n)
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("location", &self.location)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}
