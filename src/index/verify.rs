//! Every check of an index that does not stop at the first problem: what
//! [`Block::verify`](crate::Block::verify) runs over the index.
//!
//! Each problem goes to a sink with its section and offset and the walk goes on where it
//! can (a series that does not decode is skipped, a postings list that does not parse is
//! left uncompared), so one run lists everything wrong.

use std::collections::HashMap;

use super::{ChunkMeta, Index, IndexVersion, Postings, HEADER_LEN, TOC_LEN};
use crate::error::{FormatError, Section};
use crate::labels::Label;
use crate::source::ReadAt;

/// Where a problem sits in the index, and what it is.
pub(crate) type Sink<'k> = &'k mut dyn FnMut(Section, u64, String);

/// Called with each series that decodes: reference, labels, chunk metas.
pub(crate) type OnSeries<'k> = &'k mut dyn FnMut(u64, &[Label<'_>], &[ChunkMeta]);

/// Byte ranges of the index that a section claims, to find overlaps and stray bytes.
struct Extents(Vec<(u64, u64, Section)>);

impl Extents {
    fn add(&mut self, start: u64, end: u64, section: Section) {
        self.0.push((start, end, section));
    }

    /// Sections must not overlap, and the bytes between them are padding: zeros, fewer
    /// than 16 (series entries align to 16 bytes, postings lists to 4).
    fn check(mut self, bytes: &[u8], sink: Sink<'_>) {
        self.0.sort_unstable_by_key(|&(start, end, _)| (start, end));
        let mut at = 0u64;
        for (start, end, section) in self.0 {
            if start < at {
                sink(
                    section,
                    start,
                    format!("overlaps the section before (ending at {at})"),
                );
            } else if start > at {
                let gap = bytes.get(at as usize..start as usize).unwrap_or_default();
                if let Some((i, b)) = gap.iter().enumerate().find(|(_, &b)| b != 0) {
                    sink(
                        section,
                        at + i as u64,
                        format!("non-zero byte {b:#04x} in the padding before it"),
                    );
                } else if start - at >= 16 {
                    sink(
                        section,
                        at,
                        format!("{} bytes between sections, more than padding", start - at),
                    );
                }
            }
            at = at.max(end);
        }
        if at < bytes.len() as u64 {
            sink(
                Section::IndexToc,
                at,
                "bytes after the table of contents".to_string(),
            );
        }
    }
}

impl<S: ReadAt> Index<S> {
    /// Checks the whole index, sending every problem to `sink` and every series that
    /// decodes to `on_series` (reference, labels, chunk metas), in reference order.
    ///
    /// Checked: the symbol table's CRC and order (sorted, unique); the postings offset
    /// table's CRC, order and completeness (an entry for every label pair of a series and
    /// nothing else); every postings list's CRC, order, that it points at series, and
    /// that it holds exactly the series with that label pair; every series' CRC, label
    /// order and symbols, the series' order by labels; chunk metas in order, not
    /// overlapping, with min ≤ max; the deprecated label indices; and that every byte
    /// outside a section is zero padding.
    pub(crate) fn verify_all(&self, sink: Sink<'_>, on_series: OnSeries<'_>) {
        let v2 = self.version != IndexVersion::V1;
        let mut extents = Extents(Vec::new());
        extents.add(0, HEADER_LEN as u64, Section::IndexHeader);
        let size = self.data.size();
        extents.add(size - TOC_LEN as u64, size, Section::IndexToc);
        extents.add(
            self.symbols.offset(),
            self.symbols.offset() + self.symbols.size() as u64,
            Section::Symbols,
        );
        extents.add(
            self.postings_table.offset(),
            self.postings_table.offset() + self.postings_table.size() as u64,
            Section::PostingsTable,
        );
        if let Err(e) = self.check_tables() {
            emit(sink, e);
        }
        let mut prev_symbol: Option<&[u8]> = None;
        for (i, s) in self.symbols().enumerate() {
            match s {
                Ok(s) => {
                    if prev_symbol.is_some_and(|p| p >= s) {
                        sink(
                            Section::Symbols,
                            self.symbols.offset(),
                            format!("symbol {i} is not after the one before (sorted, unique)"),
                        );
                    }
                    prev_symbol = Some(s);
                }
                Err(e) => {
                    emit(sink, e);
                    break;
                }
            }
        }
        if let Err(e) = self.verify_label_indices() {
            emit(sink, e);
        }
        // Series, in the order of the all-postings list.
        let mut pairs: HashMap<(&[u8], &[u8]), Vec<u64>> = HashMap::new();
        let mut refs = Vec::new();
        let (mut labels, mut chunks) = (Vec::new(), Vec::new());
        let mut prev_labels: Vec<Label<'_>> = Vec::new();
        match self.all_postings() {
            Ok(all) => refs.extend(all.into_refs()),
            Err(e) => emit(sink, e),
        }
        let mut prev_id = None;
        for &id in &refs {
            // A reference at or below the one before (reported with the all-postings
            // list) is read once only: a hostile list repeating one series costs nothing.
            if prev_id.is_some_and(|p| id <= p) {
                continue;
            }
            prev_id = Some(id);
            if let Err(e) = self.series(id, &mut labels, &mut chunks) {
                emit(sink, e);
                continue;
            }
            let at = self.series_offset(id).unwrap_or(id);
            if let Some(end) = self.series_entry_end(at) {
                extents.add(at, end, Section::Series);
            }
            let unsorted = labels.windows(2).find_map(|w| match w {
                [a, b] if a.name >= b.name => Some((a.name, b.name)),
                _ => None,
            });
            if let Some((a, b)) = unsorted {
                sink(
                    Section::Series,
                    at,
                    format!(
                        "label names not sorted and unique: {:?} then {:?}",
                        String::from_utf8_lossy(a),
                        String::from_utf8_lossy(b)
                    ),
                );
            }
            if !prev_labels.is_empty() && compare_labels(&prev_labels, &labels).is_ge() {
                sink(
                    Section::Series,
                    at,
                    "series not sorted by labels after the one before".to_string(),
                );
            }
            for (i, c) in chunks.iter().enumerate() {
                if c.min_time > c.max_time {
                    sink(
                        Section::Series,
                        at,
                        format!(
                            "chunk {i}: min time {} after max time {}",
                            c.min_time, c.max_time
                        ),
                    );
                }
                if let Some(p) = i.checked_sub(1).and_then(|j| chunks.get(j)) {
                    if c.min_time <= p.max_time {
                        sink(
                            Section::Series,
                            at,
                            format!(
                                "chunk {i} (from {}) overlaps or precedes chunk {} (to {})",
                                c.min_time,
                                i - 1,
                                p.max_time
                            ),
                        );
                    }
                }
            }
            for l in &labels {
                pairs.entry((l.name, l.value)).or_default().push(id);
            }
            on_series(id, &labels, &chunks);
            prev_labels.clear();
            prev_labels.extend_from_slice(&labels);
        }
        // Postings lists against the series' labels.
        let entries = match self.postings_table() {
            Ok(table) => self.postings_entries(table, sink),
            Err(e) => {
                emit(sink, e);
                Vec::new()
            }
        };
        let mut prev_pair: Option<(&[u8], &[u8])> = None;
        let mut lists_read = std::collections::HashSet::with_capacity(entries.len());
        for &(name, value, off) in &entries {
            if prev_pair.is_some_and(|p| p >= (name, value)) {
                sink(
                    Section::PostingsTable,
                    self.postings_table.offset(),
                    format!(
                        "entry {}={} is not after the one before",
                        String::from_utf8_lossy(name),
                        String::from_utf8_lossy(value)
                    ),
                );
            }
            prev_pair = Some((name, value));
            // One list per entry: an entry sharing another's list is reported and the list
            // not read again, so a table of many entries pointing at one long list costs
            // what the table costs. (Index v1 does not write lists in table order.)
            if !lists_read.insert(off) {
                sink(
                    Section::PostingsTable,
                    self.postings_table.offset(),
                    format!(
                        "entry {}={} shares the list at offset {off} with another entry",
                        String::from_utf8_lossy(name),
                        String::from_utf8_lossy(value)
                    ),
                );
                continue;
            }
            let list = match Postings::parse_below(&self.data, self.body_len, off) {
                Ok(l) => l,
                Err(e) => {
                    emit(sink, e);
                    continue;
                }
            };
            let n = list.remaining() as u64;
            extents.add(off, off + 4 + 4 + 4 * n + 4, Section::Postings);
            let got: Vec<u64> = list.into_refs().collect();
            if got.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
                sink(
                    Section::Postings,
                    off,
                    "postings list not strictly ascending".to_string(),
                );
            }
            if name.is_empty() && value.is_empty() {
                // The all-postings list is the one the series were read from.
                continue;
            }
            let want = pairs.remove(&(name, value)).unwrap_or_default();
            if got != want {
                let stray = got
                    .iter()
                    .find(|r| refs.binary_search(r).is_err())
                    .map(|r| format!(", {r} is not a series"))
                    .unwrap_or_default();
                sink(
                    Section::Postings,
                    off,
                    format!(
                        "postings of {}={:?}: {} series, the series' labels say {}{stray}",
                        String::from_utf8_lossy(name),
                        String::from_utf8_lossy(value),
                        got.len(),
                        want.len()
                    ),
                );
            }
        }
        let mut missing: Vec<_> = pairs.into_keys().collect();
        missing.sort_unstable();
        for (name, value) in missing {
            sink(
                Section::PostingsTable,
                self.postings_table.offset(),
                format!(
                    "no entry for {}={:?}, a label of some series",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value)
                ),
            );
        }
        if v2 {
            self.label_index_extents(&mut extents);
            match self.bytes() {
                Ok(bytes) => extents.check(bytes, sink),
                Err(e) => emit(sink, e),
            }
        }
    }

    /// Every entry of the postings offset table, all-postings included, in file order.
    fn postings_entries<'t>(
        &'t self,
        table: &'t [u8],
        sink: Sink<'_>,
    ) -> Vec<(&'t [u8], &'t [u8], u64)> {
        let mut out = Vec::new();
        let names = match self.postings_table.names(table) {
            Ok(n) => n,
            Err(e) => {
                emit(sink, e);
                return out;
            }
        };
        for name in std::iter::once(&b""[..]).chain(names) {
            match self.postings_table.values(table, name) {
                Ok(values) => out.extend(values.into_iter().map(|(v, off)| (name, v, off))),
                Err(e) => emit(sink, e),
            }
        }
        out
    }

    /// Where the series entry at `at` ends, CRC included (`None` if it cannot be read,
    /// which [`Index::series`] reported).
    pub(crate) fn series_entry_end(&self, at: u64) -> Option<u64> {
        let (entry_at, len) = self.series_entry(at).ok()?;
        entry_at.checked_add(len as u64)?.checked_add(4)
    }

    /// The deprecated label indices and their offset table, as one range each (their
    /// contents are checked by `verify_label_indices`).
    fn label_index_extents(&self, extents: &mut Extents) {
        let toc = self.toc;
        if toc.label_indices_table == 0 || toc.label_indices_table >= toc.postings_table {
            return;
        }
        let section = |off: u64| {
            crate::bytes::section_len(&self.data, self.body_len, off, Section::LabelIndices)
                .ok()
                .map(|len| (off, off + 4 + len as u64 + 4))
        };
        if let Some((start, end)) = section(toc.label_indices_table) {
            extents.add(start, end, Section::LabelIndices);
        }
        // The label indices lie between their TOC offset and the postings, each at a
        // 4-byte boundary (the TOC may point at the padding before the first).
        let end_all = toc.postings.min(toc.label_indices_table);
        let mut at = toc.label_indices.next_multiple_of(4);
        while toc.label_indices != 0 && at < end_all {
            let Some((start, end)) = section(at) else {
                break;
            };
            extents.add(start, end, Section::LabelIndices);
            at = end.next_multiple_of(4);
        }
    }
}

/// Sends a read error to the sink.
fn emit(sink: Sink<'_>, e: FormatError) {
    sink(e.section, e.offset, e.kind.to_string());
}

/// Prometheus's `labels.Compare`: pairwise by name then value, a prefix first.
fn compare_labels(a: &[Label<'_>], b: &[Label<'_>]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = x.name.cmp(y.name).then(x.value.cmp(y.value));
        if o.is_ne() {
            return o;
        }
    }
    a.len().cmp(&b.len())
}
