//! The parquet-common layout: the Parquet files that the parquet store-gateways of
//! Cortex and Mimir (and the `prometheus-community/parquet-common` library they share)
//! read, written from blocks and read back as a source.
//!
//! # The version written
//!
//! The layout follows `github.com/prometheus-community/parquet-common` at commit
//! [`UPSTREAM_COMMIT`] (`schema/schema.go`, `schema/schema_builder.go`,
//! `schema/encoder.go`, `convert/convert.go`, `convert/reader.go`,
//! `convert/writer.go`). The layout has no version number of its own, so the commit is
//! the version.
//!
//! # The files
//!
//! An export is one shard, `OUTDIR/0.labels.parquet` and `OUTDIR/0.chunks.parquet` (the
//! upstream converter also writes a single shard unless told to cap the row groups per
//! shard). Each has one row per series, in the same order and the same row groups, so row
//! `i` of one is row `i` of the other. Rows are sorted by `__name__` (series without one
//! first), then by the whole label set; row groups hold at most 1,000,000 rows.
//!
//! The labels file has, in this order (upstream sorts columns by name):
//! - `l_<name>` for every label name of the selection, sorted: an optional UTF-8
//!   string, dictionary encoded (`RLE_DICTIONARY`), null where the series lacks it;
//!   `l___name__` also has a bloom filter and is the file's declared sorting column;
//! - `s_col_indexes`: the positions (in this schema) of the row's non-null label columns,
//!   as a zig-zag varint count then zig-zag varints, ascending; `DELTA_BYTE_ARRAY`;
//! - `s_series_hash`: Prometheus's `labels.StableHash` of the series (XXH64 of
//!   `name\xffvalue\xff…`), 8 bytes big-endian; plain.
//!
//! The chunks file has `s_data_0 … s_data_<n-1>` (laid out in name order, so `s_data_10`
//! precedes `s_data_2`), one per time window of `data_col_duration_ms` (8 hours) starting
//! at `minT`, up to `maxT` inclusive; `DELTA_LENGTH_BYTE_ARRAY`, empty where the series
//! has no sample in the window. A cell is a run of chunks, each framed as unsigned
//! varints of the chunk encoding (1 XOR, 2 histogram, 3 float histogram), its first and
//! last timestamp (two's-complement bits) and its length, then the chunk's bytes
//! (without the encoding byte). The samples are re-encoded, not copied: fresh chunks per
//! window of at most 120 samples, XOR chunks first, then histogram, then float-histogram
//! chunks. A chunk's last timestamp is its last sample's (upstream starts that field at 0,
//! so it reads 0 for chunks whose samples are all before 1970; no real block has those).
//!
//! Both files carry the key-value metadata `minT`, `maxT` and `data_col_duration_ms`
//! (decimal milliseconds; `maxT` is the selection's end cut to the data's, a block's
//! exclusive max time when the whole block is exported) and are zstd compressed;
//! `s_*` columns have no min/max statistics, as upstream skips their page bounds.
//!
//! Series are merged across blocks and the head exactly as `dump` merges them.
//!
//! # Where this writer differs from upstream's converter
//!
//! None of these change what a reader of the layout finds:
//! - label columns are those of the selected series (upstream's single-shard converter
//!   takes every label name of the blocks, so it may have columns that are all null);
//! - the bloom filter on `l___name__` is sized for the selection's metric names at a 1%
//!   false-positive rate (upstream: 10 bits per value); zstd runs at its default level
//!   (upstream: "better compression"); pages are Parquet data page v2;
//! - a series with floats and histograms in one window has, as upstream writes it, XOR
//!   chunks and histogram chunks that overlap in time; the reader merges them, and
//!   `dump` notes the overlap on stderr.
//!
//! # Reading it back
//!
//! [`ParquetCommonSource`] reads the shards of a directory (`<n>.labels.parquet` with its
//! `<n>.chunks.parquet`) as a [`BlockReader`](crate::storage::BlockReader), and
//! [`Db::open`](crate::Db::open) opens such a directory as a data directory, so every
//! query (and `tsblock dump OUTDIR`) reads it. Damaged files are errors naming the file.

pub mod read;
pub mod schema;
pub mod write;

pub use read::ParquetCommonSource;
pub use schema::UPSTREAM_COMMIT;
pub use write::{export_parquet_common, ParquetCommonOptions, ParquetCommonSummary};
