//! `meta.json`: a block's identity, time range, statistics and compaction history.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The only `meta.json` version Prometheus reads.
pub const META_VERSION: i64 = 1;

/// The contents of a block's `meta.json` (`tsdb.BlockMeta`).
///
/// Field order and `omitempty` rules follow Go's struct so that serialising gives the same
/// key order Prometheus writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMeta {
    /// Block ULID; also the block directory's name.
    pub ulid: String,
    /// Inclusive lower bound of sample timestamps (ms).
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// Exclusive upper bound of sample timestamps (ms).
    #[serde(rename = "maxTime")]
    pub max_time: i64,
    /// Counts.
    #[serde(default)]
    pub stats: BlockStats,
    /// Compaction history.
    #[serde(default)]
    pub compaction: BlockCompaction,
    /// Format version of this file; must be 1.
    #[serde(default)]
    pub version: i64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// `stats` of a block meta. Every member is omitted from JSON when zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockStats {
    /// All samples (float and histogram).
    #[serde(rename = "numSamples", default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Float samples (written by Prometheus 3.6+).
    #[serde(rename = "numFloatSamples", default, skip_serializing_if = "is_zero")]
    pub num_float_samples: u64,
    /// Native histogram samples (written by Prometheus 3.6+).
    #[serde(
        rename = "numHistogramSamples",
        default,
        skip_serializing_if = "is_zero"
    )]
    pub num_histogram_samples: u64,
    /// Series.
    #[serde(rename = "numSeries", default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Chunks.
    #[serde(rename = "numChunks", default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Tombstone intervals.
    #[serde(rename = "numTombstones", default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

/// `compaction` of a block meta.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockCompaction {
    /// 1 for blocks cut from the head or backfilled; max(parents) + 1 after compaction.
    #[serde(default)]
    pub level: i64,
    /// ULIDs of all level-1 ancestors, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The compaction produced no samples; the block is to be deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deletable: bool,
    /// Direct inputs of the compaction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
    /// A compaction with this block as input failed before.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// Why the block was made, e.g. `from-out-of-order`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

/// A parent block in `compaction.parents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDesc {
    /// Parent ULID.
    pub ulid: String,
    /// Parent minTime.
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// Parent maxTime.
    #[serde(rename = "maxTime")]
    pub max_time: i64,
}

impl BlockMeta {
    /// Parses `meta.json` bytes without checking the version.
    pub fn from_slice(data: &[u8]) -> serde_json::Result<BlockMeta> {
        serde_json::from_slice(data)
    }

    /// Reads and parses `path` and checks that its version is 1.
    pub fn read(path: &Path) -> Result<BlockMeta> {
        BlockMeta::parse(path, &crate::source::read_regular(path)?)
    }

    /// Parses the bytes of `path` and checks that the version is 1.
    pub fn parse(path: &Path, data: &[u8]) -> Result<BlockMeta> {
        let meta = BlockMeta::from_slice(data).map_err(|source| Error::Meta {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.version != META_VERSION {
            return Err(Error::MetaVersion {
                path: path.to_path_buf(),
                version: meta.version,
            });
        }
        Ok(meta)
    }
}

impl BlockMeta {
    /// Serialises as Go's `json.MarshalIndent(meta, "", "\t")`: tab indentation, Go's
    /// field order, zero stats omitted, no trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        // Serialising plain data into a Vec cannot fail.
        if self.serialize(&mut ser).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_field_and_ignores_unknown_ones() {
        let json = r#"{
	"ulid": "01M8D13N1WHQPF0T7CZAC5B35Y",
	"minTime": 8000000,
	"maxTime": 8000001,
	"stats": {"numSamples": 3, "numFloatSamples": 2, "numHistogramSamples": 1,
	          "numSeries": 1, "numChunks": 2, "numTombstones": 4},
	"compaction": {"level": 2, "sources": ["A", "B"], "deletable": true,
	               "parents": [{"ulid": "A", "minTime": 1, "maxTime": 2}],
	               "failed": true, "hints": ["from-out-of-order"]},
	"version": 1,
	"thanos": {"labels": {}}
}"#;
        let m = BlockMeta::from_slice(json.as_bytes()).unwrap();
        assert_eq!(m.min_time, 8000000);
        assert_eq!(m.stats.num_float_samples, 2);
        assert_eq!(m.stats.num_tombstones, 4);
        assert_eq!(m.compaction.parents[0].max_time, 2);
        assert!(m.compaction.deletable && m.compaction.failed);
        assert_eq!(m.version, 1);
    }

    #[test]
    fn writes_what_go_writes() {
        let go = "{\n\t\"ulid\": \"01M8D5TJ7JRSF0GG24MF5R0D4M\",\n\t\"minTime\": 1699999800000,\n\t\"maxTime\": 1700004285001,\n\t\"stats\": {\n\t\t\"numSamples\": 2700,\n\t\t\"numSeries\": 9,\n\t\t\"numChunks\": 27,\n\t\t\"numTombstones\": 8\n\t},\n\t\"compaction\": {\n\t\t\"level\": 1,\n\t\t\"sources\": [\n\t\t\t\"01M8D5TJ7JRSF0GG24MF5R0D4M\"\n\t\t]\n\t},\n\t\"version\": 1\n}";
        let meta = BlockMeta::from_slice(go.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(meta.to_json()).unwrap(), go);
    }

    #[test]
    fn wrong_version_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("meta.json");
        std::fs::write(&p, r#"{"ulid":"X","minTime":0,"maxTime":1,"version":2}"#).unwrap();
        let e = BlockMeta::read(&p).unwrap_err();
        assert!(matches!(e, Error::MetaVersion { version: 2, .. }));
        assert!(e.to_string().contains("meta.json"));
    }
}
