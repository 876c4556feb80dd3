//! Typed references: which series, which chunk.
//!
//! Both are `u64`s on disk, and the number means something different in each place that
//! hands one out, so each gets a type: a [`SeriesRef`] is only meaningful to the
//! [`IndexReader`](crate::storage::IndexReader) it came from (a block's is the series
//! entry's position in the index, a head's an id), and a [`ChunkRef`] only to the
//! [`ChunkReader`](crate::storage::ChunkReader) of the same block or head (a block's packs
//! segment file and offset, see [`ChunkRef::segment`]; a head's names a series and a chunk
//! id, or a `chunks_head` file and offset).

use std::fmt;

/// A series reference, as a postings list holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SeriesRef(pub u64);

/// A chunk reference, as a series entry holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChunkRef(pub u64);

impl ChunkRef {
    /// A block chunk reference: `segment_index << 32 | offset`, where the index is the
    /// 0-based position of the segment file among the block's segment files sorted by
    /// name (`000001` is segment 0).
    pub fn from_block(segment: u32, offset: u32) -> ChunkRef {
        ChunkRef(u64::from(segment) << 32 | u64::from(offset))
    }

    /// The segment index of a block chunk reference.
    pub fn segment(self) -> usize {
        (self.0 >> 32) as usize
    }

    /// The offset inside its segment of a block chunk reference.
    pub fn offset(self) -> u64 {
        self.0 & 0xffff_ffff
    }
}

impl fmt::Display for SeriesRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ChunkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::LowerHex for ChunkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl From<u64> for SeriesRef {
    fn from(v: u64) -> Self {
        SeriesRef(v)
    }
}

impl From<u64> for ChunkRef {
    fn from(v: u64) -> Self {
        ChunkRef(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_chunk_refs_pack_segment_and_offset() {
        let r = ChunkRef::from_block(3, 0x1234);
        assert_eq!(r.0, 0x3_0000_1234);
        assert_eq!((r.segment(), r.offset()), (3, 0x1234));
        assert_eq!(format!("{r:#x}"), "0x300001234");
    }
}
