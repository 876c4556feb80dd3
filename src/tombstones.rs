//! The `tombstones` file: deleted time ranges per series.
//!
//! `magic 0x0130BA30 <4b> | version 1 <1b> | stone* | CRC32C(stones) <4b>`, each stone being
//! `series_ref <uvarint> | mint <varint> | maxt <varint>`, a closed interval. Stones come in
//! any order; intervals of one series are merged when read.

use std::collections::HashMap;

use crate::bytes::{check_crc, Cursor};
use crate::error::{FormatError, FormatErrorKind, Section};

/// Magic number of a tombstones file.
pub const TOMBSTONES_MAGIC: u32 = 0x0130_BA30;

/// A closed time interval `[min, max]` in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// First deleted timestamp.
    pub min: i64,
    /// Last deleted timestamp.
    pub max: i64,
}

impl Interval {
    /// True when `t` lies in the interval.
    #[inline]
    pub fn contains(&self, t: i64) -> bool {
        self.min <= t && t <= self.max
    }
}

/// Sorted, disjoint, non-adjacent intervals of one series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intervals(Vec<Interval>);

impl Intervals {
    /// Adds an interval, merging it with overlapping or adjacent ones (as `Intervals.Add`).
    pub fn add(&mut self, iv: Interval) {
        if iv.min > iv.max {
            return;
        }
        let v = &mut self.0;
        // First interval that could touch `iv`: its max + 1 >= iv.min.
        let start = v.partition_point(|x| x.max.saturating_add(1) < iv.min);
        let mut end = start;
        let mut merged = iv;
        while let Some(x) = v.get(end) {
            if x.min > iv.max.saturating_add(1) {
                break;
            }
            merged.min = merged.min.min(x.min);
            merged.max = merged.max.max(x.max);
            end += 1;
        }
        v.splice(start..end, std::iter::once(merged));
    }

    /// Appends an interval that starts at or after every interval so far, merging it
    /// with the last one if they overlap or touch.
    pub(crate) fn push_sorted(&mut self, iv: Interval) {
        if iv.min > iv.max {
            return;
        }
        match self.0.last_mut() {
            Some(last) if iv.min <= last.max.saturating_add(1) => last.max = last.max.max(iv.max),
            _ => self.0.push(iv),
        }
    }

    /// The intervals, sorted.
    pub fn as_slice(&self) -> &[Interval] {
        &self.0
    }

    /// True when `t` is deleted.
    pub fn contains(&self, t: i64) -> bool {
        let i = self.0.partition_point(|x| x.max < t);
        self.0.get(i).is_some_and(|x| x.min <= t)
    }

    /// True when some of the closed range `[min, max]` is deleted.
    pub fn overlaps(&self, min: i64, max: i64) -> bool {
        let i = self.0.partition_point(|x| x.max < min);
        self.0.get(i).is_some_and(|x| x.min <= max)
    }

    /// True when the whole closed range `[min, max]` is deleted.
    pub fn covers(&self, min: i64, max: i64) -> bool {
        let i = self.0.partition_point(|x| x.max < min);
        self.0.get(i).is_some_and(|x| x.min <= min && max <= x.max)
    }
}

/// All tombstones of a block, by series reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tombstones {
    by_series: HashMap<u64, Intervals>,
    stones: u64,
}

impl Tombstones {
    /// Parses a tombstones file. An empty map means "no tombstones".
    pub fn parse(data: &[u8]) -> Result<Tombstones, FormatError> {
        let mut c = Cursor::new(data, 0, Section::Tombstones);
        c.magic(TOMBSTONES_MAGIC)?;
        c.version(|v| v == 1)?;
        let body_len = c.remaining().checked_sub(4).ok_or_else(|| {
            c.error(FormatErrorKind::Truncated {
                needed: 4,
                available: c.remaining() as u64,
            })
        })?;
        let stones = c.bytes(body_len)?;
        let stored = c.be_u32()?;
        check_crc(stones, stored, Section::Tombstones, 5)?;
        // Collect, sort, then merge each series' intervals in one pass: inserting stones one
        // by one would be quadratic for a hostile file listing them in descending order.
        let mut all = Vec::new();
        let mut c = Cursor::new(stones, 5, Section::Tombstones);
        while !c.is_empty() {
            let series = c.uvarint()?;
            let min = c.varint()?;
            let max = c.varint()?;
            all.push((series, Interval { min, max }));
        }
        all.sort_unstable();
        let mut t = Tombstones {
            by_series: HashMap::new(),
            stones: all.len() as u64,
        };
        for (series, iv) in all {
            t.by_series.entry(series).or_default().push_sorted(iv);
        }
        Ok(t)
    }

    /// Adds a deleted interval for a series.
    pub fn add(&mut self, series_ref: u64, interval: Interval) {
        let ivs = self.by_series.entry(series_ref).or_default();
        let before = ivs.as_slice().len() as u64;
        ivs.add(interval);
        self.stones = self.stones - before + ivs.as_slice().len() as u64;
    }

    /// Encodes a tombstones file: one stone per merged interval, ordered by series and
    /// time (Prometheus writes them in map order; readers accept any order).
    pub fn encode(&self) -> Vec<u8> {
        let mut series: Vec<_> = self.by_series.iter().collect();
        series.sort_by_key(|(r, _)| **r);
        let mut out = Vec::new();
        out.extend_from_slice(&TOMBSTONES_MAGIC.to_be_bytes());
        out.push(1);
        let mut stones = Vec::new();
        for (r, ivs) in series {
            for iv in ivs.as_slice() {
                crate::bytes::put_uvarint(&mut stones, *r);
                crate::bytes::put_varint(&mut stones, iv.min);
                crate::bytes::put_varint(&mut stones, iv.max);
            }
        }
        out.extend_from_slice(&stones);
        out.extend_from_slice(&crate::bytes::crc32c(&stones).to_be_bytes());
        out
    }

    /// Deleted intervals of a series, if any.
    pub fn get(&self, series_ref: u64) -> Option<&Intervals> {
        self.by_series.get(&series_ref)
    }

    /// True when nothing is deleted.
    pub fn is_empty(&self) -> bool {
        self.by_series.is_empty()
    }

    /// Number of stones in the file (before merging).
    pub fn num_stones(&self) -> u64 {
        self.stones
    }

    /// Series with tombstones, with their merged intervals.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Intervals)> {
        self.by_series.iter().map(|(k, v)| (*k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_file_from_prometheus() {
        // delete_series for [100s,200.5s] and [300s,400s] on series ref 7 (2.42 server).
        let data = [
            0x01, 0x30, 0xba, 0x30, 0x01, 0x07, 0xc0, 0x9a, 0x0c, 0xe8, 0xbc, 0x18, 0x07, 0xc0,
            0xcf, 0x24, 0x80, 0xea, 0x30, 0x66, 0xbe, 0xf6, 0xf7,
        ];
        let t = Tombstones::parse(&data).unwrap();
        let iv = t.get(7).unwrap();
        assert_eq!(
            iv.as_slice(),
            &[
                Interval {
                    min: 100000,
                    max: 200500
                },
                Interval {
                    min: 300000,
                    max: 400000
                }
            ]
        );
        assert!(iv.contains(200500) && !iv.contains(200501) && iv.contains(300000));
        assert_eq!(t.num_stones(), 2);
        for cut in 0..data.len() {
            assert!(Tombstones::parse(&data[..cut]).is_err());
        }
        for i in 0..data.len() {
            let mut d = data;
            d[i] ^= 0x04;
            assert!(Tombstones::parse(&d).is_err(), "{i}");
        }
    }

    #[test]
    fn encode_round_trips() {
        let mut t = Tombstones::default();
        t.add(
            7,
            Interval {
                min: 300000,
                max: 400000,
            },
        );
        t.add(
            7,
            Interval {
                min: 100000,
                max: 200500,
            },
        );
        t.add(
            1,
            Interval {
                min: i64::MIN,
                max: -5,
            },
        );
        let back = Tombstones::parse(&t.encode()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.num_stones(), 3);
        assert_eq!(
            Tombstones::default().encode(),
            [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]
        );
    }

    #[test]
    fn empty_file() {
        let t = Tombstones::parse(&[0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]).unwrap();
        assert!(t.is_empty());
    }

    #[test]
    fn many_stones_in_descending_order_parse_fast_and_merge_like_add() {
        let mut stones = Vec::new();
        let mut expect = Intervals::default();
        for i in (0..50_000i64).rev() {
            let iv = Interval {
                min: i * 10,
                max: i * 10 + (i % 3) * 5,
            };
            crate::bytes::put_uvarint(&mut stones, 3);
            crate::bytes::put_varint(&mut stones, iv.min);
            crate::bytes::put_varint(&mut stones, iv.max);
            expect.add(iv);
        }
        let mut data = vec![0x01, 0x30, 0xba, 0x30, 0x01];
        data.extend_from_slice(&stones);
        data.extend_from_slice(&crate::bytes::crc32c(&stones).to_be_bytes());
        let t = Tombstones::parse(&data).unwrap();
        assert_eq!(t.get(3), Some(&expect));
        assert_eq!(t.num_stones(), 50_000);
    }

    #[test]
    fn intervals_merge_overlapping_and_adjacent() {
        let mut iv = Intervals::default();
        iv.add(Interval { min: 10, max: 20 });
        iv.add(Interval { min: 30, max: 40 });
        iv.add(Interval { min: 21, max: 25 });
        assert_eq!(iv.as_slice().len(), 2);
        iv.add(Interval { min: 26, max: 29 });
        assert_eq!(iv.as_slice(), &[Interval { min: 10, max: 40 }]);
        iv.add(Interval {
            min: i64::MIN,
            max: 0,
        });
        iv.add(Interval {
            min: 100,
            max: i64::MAX,
        });
        assert_eq!(iv.as_slice().len(), 3);
        assert!(iv.covers(15, 35) && !iv.covers(15, 45));
        assert!(iv.contains(i64::MIN) && iv.contains(i64::MAX) && !iv.contains(50));
    }
}
