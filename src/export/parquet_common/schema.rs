//! What the writer and the reader of the parquet-common layout share: column and file
//! names, metadata keys, the chunk framing of a data cell, the encoding of
//! `s_col_indexes`, and the series hash.

use crate::chunkenc::Encoding;
use crate::error::{FormatError, FormatErrorKind, Section};
use crate::labels::Label;

/// The upstream commit whose layout this module writes and reads.
pub const UPSTREAM_COMMIT: &str = "65ebeae24e94119aa66e631ece1dc4ac1a925169";

/// Prefix of a label column: `l_<label name>`.
pub const LABEL_PREFIX: &str = "l_";
/// Prefix of a data column: `s_data_<window>`.
pub const DATA_PREFIX: &str = "s_data_";
/// The column listing, per row, the schema positions of its non-null label columns.
pub const COL_INDEXES: &str = "s_col_indexes";
/// The column holding, per row, the series' stable hash (8 bytes, big-endian).
pub const SERIES_HASH: &str = "s_series_hash";
/// Metadata key: the first timestamp the export covers (decimal milliseconds).
pub const MIN_T: &str = "minT";
/// Metadata key: the last timestamp the export covers (decimal milliseconds).
pub const MAX_T: &str = "maxT";
/// Metadata key: the width of one data column's time window (decimal milliseconds).
pub const DATA_COL_DURATION: &str = "data_col_duration_ms";
/// Suffix of a shard's labels file (`<shard>.labels.parquet`).
pub const LABELS_SUFFIX: &str = ".labels.parquet";
/// Suffix of a shard's chunks file (`<shard>.chunks.parquet`).
pub const CHUNKS_SUFFIX: &str = ".chunks.parquet";
/// Default width of a data column's window: 8 hours, as upstream.
pub const DEFAULT_DATA_COL_DURATION_MS: i64 = 8 * 3600 * 1000;
/// Samples per re-encoded chunk at most (Prometheus's `DefaultSamplesPerChunk`).
pub const SAMPLES_PER_CHUNK: u16 = 120;
/// Rows per row group at most, as upstream's default.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 1_000_000;

/// The label column of `name`.
pub fn label_column(name: &[u8]) -> Vec<u8> {
    let mut c = LABEL_PREFIX.as_bytes().to_vec();
    c.extend_from_slice(name);
    c
}

/// The data column of window `i`.
pub fn data_column(i: usize) -> String {
    format!("{DATA_PREFIX}{i}")
}

/// Upstream lays out columns by name (a Go parquet group sorts its fields), so data
/// columns come as `s_data_0, s_data_1, s_data_10, s_data_11, …, s_data_2`: window
/// numbers in the order their names sort.
pub fn data_columns_in_schema_order(n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    v.sort_by_key(|&i| data_column(i));
    v
}

/// Number of data columns of a file covering `[min_t, max_t]`: upstream makes one per
/// window start `min_t, min_t + d, …` up to `max_t` inclusive. `None` when it overflows.
pub fn data_column_count(min_t: i64, max_t: i64, duration: i64) -> Option<usize> {
    if duration <= 0 {
        return None;
    }
    if max_t < min_t {
        return Some(0);
    }
    let span = i128::from(max_t) - i128::from(min_t);
    usize::try_from(span / i128::from(duration) + 1).ok()
}

/// The window (data column) of timestamp `t`, as upstream's `DataColumIdx`: times before
/// `min_t` go to the first one.
pub fn window_of(t: i64, min_t: i64, duration: i64) -> usize {
    if t < min_t {
        return 0;
    }
    let w = (i128::from(t) - i128::from(min_t)) / i128::from(duration.max(1));
    usize::try_from(w).unwrap_or(usize::MAX)
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads a Go `binary.Uvarint` at `*pos`; `None` when truncated or over 64 bits.
fn uvarint(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        if shift == 63 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

fn varint(data: &[u8], pos: &mut usize) -> Option<i64> {
    let u = uvarint(data, pos)?;
    Some((u >> 1) as i64 ^ -((u & 1) as i64))
}

/// Appends one chunk to a data cell: unsigned varints of the encoding, the first and the
/// last timestamp (as two's-complement bits, as upstream casts them) and the data length,
/// then the data (the chunk's bytes after its encoding byte).
pub fn put_frame(cell: &mut Vec<u8>, encoding: Encoding, min_t: i64, max_t: i64, data: &[u8]) {
    put_uvarint(cell, u64::from(encoding.byte()));
    put_uvarint(cell, min_t as u64);
    put_uvarint(cell, max_t as u64);
    put_uvarint(cell, data.len() as u64);
    cell.extend_from_slice(data);
}

/// One chunk of a data cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// XOR, histogram or float histogram.
    pub encoding: Encoding,
    /// The first sample's timestamp, as written.
    pub min_t: i64,
    /// The last sample's timestamp, as written.
    pub max_t: i64,
    /// The chunk's bytes after its encoding byte.
    pub data: &'a [u8],
}

fn cell_error(offset: usize, what: &'static str) -> FormatError {
    FormatError::new(
        Section::Chunk,
        offset as u64,
        FormatErrorKind::Invalid(what),
    )
}

/// Splits a data cell into its chunks, checking each frame before using it: every varint
/// complete, the length within the cell, the encoding one upstream writes, the times in
/// order and the chunk long enough for its sample count.
pub fn parse_cell(cell: &[u8]) -> Result<Vec<Frame<'_>>, FormatError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < cell.len() {
        let start = pos;
        let bad = |what| cell_error(start, what);
        let enc = uvarint(cell, &mut pos).ok_or_else(|| bad("chunk frame: bad encoding varint"))?;
        let min_t = uvarint(cell, &mut pos).ok_or_else(|| bad("chunk frame: bad minT varint"))?;
        let max_t = uvarint(cell, &mut pos).ok_or_else(|| bad("chunk frame: bad maxT varint"))?;
        let len = uvarint(cell, &mut pos).ok_or_else(|| bad("chunk frame: bad length varint"))?;
        let encoding = match enc {
            1 => Encoding::Xor,
            2 => Encoding::Histogram,
            3 => Encoding::FloatHistogram,
            _ => {
                return Err(bad(
                    "chunk frame: encoding is not XOR, histogram or float histogram",
                ))
            }
        };
        let rest = cell.get(pos..).unwrap_or_default();
        let data = usize::try_from(len)
            .ok()
            .and_then(|n| rest.get(..n))
            .ok_or(FormatError::new(
                Section::Chunk,
                start as u64,
                FormatErrorKind::Truncated {
                    needed: len,
                    available: rest.len() as u64,
                },
            ))?;
        pos += data.len();
        let (min_t, max_t) = (min_t as i64, max_t as i64);
        if min_t > max_t {
            return Err(bad("chunk frame: minT after maxT"));
        }
        if data.len() < 2 {
            return Err(bad("chunk frame: chunk shorter than its sample count"));
        }
        out.push(Frame {
            encoding,
            min_t,
            max_t,
            data,
        });
    }
    Ok(out)
}

/// `s_col_indexes` of a row: a zig-zag varint count, then each index (ascending) as a
/// zig-zag varint, as upstream's `EncodeIntSlice`.
pub fn encode_col_indexes(indexes: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + indexes.len() * 2);
    put_varint(&mut out, indexes.len() as i64);
    for &i in indexes {
        put_varint(&mut out, i64::from(i));
    }
    out
}

/// Reads `s_col_indexes`; `None` when malformed (truncated, negative, or a count larger
/// than the bytes could hold).
pub fn decode_col_indexes(data: &[u8]) -> Option<Vec<u32>> {
    let mut pos = 0;
    let n = varint(data, &mut pos)?;
    if n < 0 || n as u64 > data.len() as u64 {
        return None;
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(u32::try_from(varint(data, &mut pos)?).ok()?);
    }
    (pos == data.len()).then_some(out)
}

/// Prometheus's `labels.StableHash`, which upstream stores in `s_series_hash`: XXH64
/// (seed 0) of `name 0xff value 0xff` for every label in order. A streaming hash of the
/// same bytes gives the same value as Go's one-shot path for long label sets.
pub fn stable_hash(labels: &[Label<'_>]) -> u64 {
    use std::hash::Hasher;
    let mut h = twox_hash::XxHash64::with_seed(0);
    for l in labels {
        h.write(l.name);
        h.write(&[0xff]);
        h.write(l.value);
        h.write(&[0xff]);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_negative_times() {
        let mut cell = Vec::new();
        put_frame(&mut cell, Encoding::Xor, -5, 300, &[0, 1, 7]);
        put_frame(&mut cell, Encoding::Histogram, 400, 400, &[0, 1]);
        // -5 as uint64 takes ten bytes, as Go's PutUvarint(uint64(-5)).
        assert_eq!(cell[0], 1);
        assert_eq!(
            &cell[1..11],
            &[0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        let frames = parse_cell(&cell).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[0].min_t, frames[0].max_t, frames[0].data),
            (-5, 300, &[0, 1, 7][..])
        );
        assert_eq!(frames[1].encoding, Encoding::Histogram);
        assert!(parse_cell(&[]).unwrap().is_empty());
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut cell = Vec::new();
        put_frame(&mut cell, Encoding::Xor, 1, 2, &[0, 1, 2, 3]);
        for cut in 1..cell.len() {
            assert!(parse_cell(&cell[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = cell.clone();
        bad[0] = 4;
        assert!(parse_cell(&bad).is_err());
        let mut swapped = Vec::new();
        put_frame(&mut swapped, Encoding::Xor, 3, 2, &[0, 1]);
        assert!(parse_cell(&swapped).is_err());
        // A length of 2^63: checked against the bytes, not trusted.
        let huge = [
            1, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
        ];
        assert!(parse_cell(&huge).is_err());
    }

    #[test]
    fn col_indexes_are_zigzag_varints() {
        // Count 3 → 6, then 0 → 0, 2 → 4, 70 → 140 (two bytes).
        assert_eq!(encode_col_indexes(&[0, 2, 70]), [6, 0, 4, 0x8c, 0x01]);
        assert_eq!(
            decode_col_indexes(&[6, 0, 4, 0x8c, 0x01]),
            Some(vec![0, 2, 70])
        );
        assert_eq!(decode_col_indexes(&[0]), Some(vec![]));
        assert_eq!(decode_col_indexes(&[6, 0, 4]), None);
        assert_eq!(decode_col_indexes(&[1]), None); // count -1
        assert_eq!(decode_col_indexes(&[0xfe, 0xff, 0xff, 0xff, 0x0f]), None);
    }

    #[test]
    fn stable_hash_is_xxh64_of_the_separated_pairs() {
        // XXH64 of the empty input with seed 0 (the reference implementation's test
        // vector): a series without labels.
        assert_eq!(stable_hash(&[]), 0xef46_db37_51d8_e999);
        let labels = [
            Label {
                name: b"__name__",
                value: b"up",
            },
            Label {
                name: b"job",
                value: b"api",
            },
        ];
        let mut bytes = Vec::new();
        for l in &labels {
            bytes.extend_from_slice(l.name);
            bytes.push(0xff);
            bytes.extend_from_slice(l.value);
            bytes.push(0xff);
        }
        assert_eq!(
            stable_hash(&labels),
            twox_hash::XxHash64::oneshot(0, &bytes)
        );
        assert_eq!(bytes, b"__name__\xffup\xffjob\xffapi\xff");
        // The same bytes hashed by an independent XXH64 (the plain-Python one in
        // tools/check-parquet-common.py, which reproduces the reference vectors).
        assert_eq!(stable_hash(&labels), 0x2796_7ec8_7265_eaef);
        // Over 1 KiB, where Go's StableHash switches to its streaming path: same bytes,
        // same hash.
        let names: Vec<String> = (0..60).map(|i| format!("label_{i:03}")).collect();
        let value = "v".repeat(20);
        let long: Vec<Label<'_>> = names
            .iter()
            .map(|n| Label {
                name: n.as_bytes(),
                value: value.as_bytes(),
            })
            .collect();
        assert_eq!(stable_hash(&long), 0xb2b8_3082_8749_3748);
    }

    #[test]
    fn windows_and_columns() {
        let d = DEFAULT_DATA_COL_DURATION_MS;
        assert_eq!(data_column_count(0, 7_200_000, d), Some(1));
        assert_eq!(data_column_count(0, 86_400_000, d), Some(4));
        assert_eq!(data_column_count(5, 4, d), Some(0));
        assert_eq!(data_column_count(i64::MIN, i64::MAX, 1), None);
        assert_eq!(window_of(-1, 0, d), 0);
        assert_eq!(window_of(d, 0, d), 1);
        assert_eq!(
            data_columns_in_schema_order(12),
            [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]
        );
    }
}
