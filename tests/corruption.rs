//! Corruption tests: cut and flip bytes of every file of the fixture blocks and read the
//! whole block (open, every series, every sample, `verify`). Every case must end in an
//! error or a result: never a panic, a hang or an allocation sized by a corrupt field.
//! Cuts must always be detected.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tsblock::index::Index;
use tsblock::{Block, ReadMode};

mod common;
use common::{copy_dir, Rng};

/// Records the largest single allocation, so that a corrupt length or count that sizes an
/// allocation is caught (fixture files are all far below the limit checked at the end).
struct LargestAllocation;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
const ALLOCATION_LIMIT: usize = 16 << 20;

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

fn assert_no_huge_allocation() {
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < ALLOCATION_LIMIT,
        "an allocation of {largest} bytes"
    );
}

/// Reads everything a user can read from a block; returns the number of samples.
fn read_everything(dir: &Path, mode: ReadMode) -> tsblock::Result<u64> {
    let block = Block::open_with(dir, mode)?;
    // Queried first, so that they meet the corruption the full read and `verify` refuse.
    let queried = query_by_labels(&block);
    let mut samples = 0;
    for series in tsblock::query::SeriesSet::new([&block], i64::MIN, i64::MAX)? {
        for s in series?.samples() {
            s?;
            samples += 1;
        }
    }
    block.verify().into_result()?;
    queried?;
    Ok(samples)
}

/// Label queries that walk the postings offset table's values and combine postings lists.
fn query_by_labels(block: &Block) -> tsblock::Result<()> {
    use tsblock::query::{Matcher, Querier};
    let sets = [
        vec![Matcher::regex("__name__", ".+").expect("regex")],
        vec![Matcher::not_regex("__name__", "a.*|b|.*_total").expect("regex")],
        vec![
            Matcher::regex("job", "x|y|api").expect("regex"),
            Matcher::not_equal("__name__", ""),
        ],
        vec![Matcher::equal("case", "")],
    ];
    for set in &sets {
        for series in block.select(set, i64::MIN, i64::MAX)? {
            series?;
        }
        block.label_names(set)?;
        block.label_values(b"__name__", set)?;
    }
    block.label_names(&[])?;
    block.label_values(b"job", &[])?;
    Ok(())
}

fn block_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for (_, fixture) in common::fixtures() {
        for block in std::fs::read_dir(fixture).expect("fixture") {
            dirs.push(block.expect("entry").path());
        }
    }
    dirs.sort();
    assert!(!dirs.is_empty());
    dirs
}

/// Interesting cut points of a file: section boundaries (and their neighbours), plus random.
fn cut_points(name: &str, data: &[u8], rng: &mut Rng, random: usize) -> Vec<usize> {
    let mut cuts = vec![0, 1, 4, 5, 8, 9];
    if name == "index" {
        if let Ok(index) = Index::new(data) {
            let toc = *index.toc();
            for off in [
                toc.symbols,
                toc.series,
                toc.label_indices,
                toc.label_indices_table,
                toc.postings,
                toc.postings_table,
            ] {
                let off = off as usize;
                cuts.extend([off.saturating_sub(1), off, off + 1, off + 4, off + 8]);
            }
            cuts.push(data.len().saturating_sub(tsblock::index::TOC_LEN));
        }
    }
    cuts.extend([data.len().saturating_sub(1), data.len().saturating_sub(4)]);
    cuts.extend((0..random).map(|_| rng.below(data.len())));
    cuts.retain(|&c| c < data.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn files_of(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![dir.join("meta.json"), dir.join("index")];
    if dir.join("tombstones").exists() {
        files.push(dir.join("tombstones"));
    }
    let mut chunks: Vec<PathBuf> = std::fs::read_dir(dir.join("chunks"))
        .expect("chunks")
        .map(|e| e.expect("entry").path())
        .collect();
    chunks.sort();
    files.extend(chunks);
    files
}

#[test]
fn every_cut_is_an_error() {
    let mut rng = Rng(0x5EED_0001);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cases = 0;
    for src in block_dirs() {
        let work = tmp.path().join("block");
        let _ = std::fs::remove_dir_all(&work);
        copy_dir(&src, &work);
        assert!(
            read_everything(&work, ReadMode::Mmap).is_ok(),
            "{}",
            src.display()
        );
        for file in files_of(&work) {
            let original = std::fs::read(&file).expect("read");
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            for cut in cut_points(&name, &original, &mut rng, 12) {
                std::fs::write(&file, &original[..cut]).expect("write");
                for mode in [ReadMode::Mmap, ReadMode::Read, ReadMode::Ranged] {
                    let r = read_everything(&work, mode);
                    assert!(
                        r.is_err(),
                        "{} cut at {cut} of {} read fine: {r:?}",
                        src.display(),
                        original.len()
                    );
                }
                cases += 1;
            }
            std::fs::write(&file, &original).expect("restore");
        }
    }
    eprintln!("{cases} truncations, all detected");
    assert_no_huge_allocation();
}

#[test]
fn flipped_bytes_give_errors_or_results_never_panics() {
    let mut rng = Rng(0x5EED_0002);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut detected, mut undetected) = (0, 0);
    let mut undetected_by_file: std::collections::BTreeMap<String, usize> = Default::default();
    for src in block_dirs() {
        let work = tmp.path().join("block");
        let _ = std::fs::remove_dir_all(&work);
        copy_dir(&src, &work);
        for file in files_of(&work) {
            let original = std::fs::read(&file).expect("read");
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            // Flip in every region: header, TOC, symbols, series, postings, table, chunks.
            let mut positions: Vec<usize> = (0..24).map(|_| rng.below(original.len())).collect();
            if name == "index" {
                let toc = original.len().saturating_sub(tsblock::index::TOC_LEN);
                positions.extend((0..8).map(|_| toc + rng.below(tsblock::index::TOC_LEN)));
                if let Ok(index) = Index::new(original.as_slice()) {
                    let t = *index.toc();
                    for start in [t.symbols, t.series, t.postings, t.postings_table] {
                        positions.extend((0..4).map(|_| start as usize + rng.below(64)));
                    }
                }
            }
            for pos in positions.into_iter().filter(|&p| p < original.len()) {
                let mut data = original.clone();
                data[pos] ^= 1 << rng.below(8);
                std::fs::write(&file, &data).expect("write");
                let read = read_everything(&work, ReadMode::Read);
                // Ranged reads see the same bytes: the same verdict, the same error.
                let ranged = read_everything(&work, ReadMode::Ranged);
                assert_eq!(
                    format!("{read:?}"),
                    format!("{ranged:?}"),
                    "{} flip at {pos}",
                    file.display()
                );
                match read {
                    Ok(_) => {
                        undetected += 1;
                        *undetected_by_file.entry(name.clone()).or_default() += 1;
                    }
                    Err(_) => detected += 1,
                }
            }
            std::fs::write(&file, &original).expect("restore");
        }
    }
    eprintln!("{detected} flips detected, {undetected} read without error: {undetected_by_file:?}");
    // Everything but meta.json (free-form JSON) and never-read padding is checksummed.
    let unchecked = undetected_by_file.get("meta.json").copied().unwrap_or(0)
        + undetected_by_file.get("index").copied().unwrap_or(0);
    assert!(
        undetected - unchecked <= undetected / 10,
        "{undetected_by_file:?}"
    );
    assert!(detected > undetected);
    assert_no_huge_allocation();
}

#[test]
fn hostile_index_headers_do_not_allocate_or_panic() {
    // A minimal index whose TOC points the symbol table at a huge announced count.
    let mut f = vec![0xBA, 0xAA, 0xD7, 0x00, 0x02];
    // symbol table: len=8, count=u32::MAX, no strings; CRC.
    let body = [0, 0, 0, 0xff_u8, 0xff, 0xff, 0xff, 0xff];
    f.extend_from_slice(&(4u32).to_be_bytes());
    f.extend_from_slice(&body[4..]);
    f.extend_from_slice(&crc32c::crc32c(&body[4..]).to_be_bytes());
    let mut toc = Vec::new();
    for off in [5u64, 0, 0, 0, 0, 5] {
        toc.extend_from_slice(&off.to_be_bytes());
    }
    let crc = crc32c::crc32c(&toc);
    f.extend_from_slice(&toc);
    f.extend_from_slice(&crc.to_be_bytes());
    assert!(Index::new(f.as_slice()).is_err());
    assert_no_huge_allocation();
}

/// Flips a byte inside `body` (at file offset `start`, `len` bytes, CRC right after) and
/// recomputes the CRC, so the parser behind the checksum sees malformed data.
fn flip_with_crc(data: &mut [u8], start: usize, len: usize, crc_from: usize, rng: &mut Rng) {
    if len == 0 {
        return;
    }
    let pos = start + rng.below(len);
    data[pos] ^= 1 << rng.below(8);
    let crc = crc32c::crc32c(&data[crc_from..start + len]);
    data[start + len..start + len + 4].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn malformed_data_behind_valid_checksums_never_panics() {
    let mut rng = Rng(0x5EED_0003);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut errors, mut results) = (0, 0);
    for src in block_dirs() {
        let work = tmp.path().join("block");
        let _ = std::fs::remove_dir_all(&work);
        copy_dir(&src, &work);
        let block = Block::open_with(&work, ReadMode::Read).expect("open");
        // Where the CRC-protected pieces are: series entries and chunks.
        let mut series_at = Vec::new();
        let mut chunks_at = Vec::new();
        for s in block.series().expect("series") {
            let s = s.expect("series");
            series_at.push(s.id.0 as usize * 16);
            chunks_at.extend(s.chunks.iter().map(|c| c.chunk_ref));
        }
        drop(block);
        let index_path = work.join("index");
        let index = std::fs::read(&index_path).expect("index");
        for _ in 0..40 {
            let mut data = index.clone();
            let off = series_at[rng.below(series_at.len())];
            let (len, n) = tsblock::bytes::decode_uvarint(&data[off..]).expect("len");
            flip_with_crc(&mut data, off + n, len as usize, off + n, &mut rng);
            std::fs::write(&index_path, &data).expect("write");
            match read_everything(&work, ReadMode::Read) {
                Ok(_) => results += 1,
                Err(_) => errors += 1,
            }
        }
        std::fs::write(&index_path, &index).expect("restore");
        for _ in 0..40 {
            let Some(&r) = chunks_at.get(rng.below(chunks_at.len())) else {
                break;
            };
            let (seg, off) = tsblock::chunks::split_ref(r);
            let path = work.join("chunks").join(format!("{:06}", seg + 1));
            let original = std::fs::read(&path).expect("segment");
            let mut data = original.clone();
            let off = off as usize;
            let (len, n) = tsblock::bytes::decode_uvarint(&data[off..]).expect("len");
            // CRC covers the encoding byte and the data; flip only in the data.
            flip_with_crc(&mut data, off + n + 1, len as usize, off + n, &mut rng);
            std::fs::write(&path, &data).expect("write");
            match read_everything(&work, ReadMode::Read) {
                Ok(_) => results += 1,
                Err(_) => errors += 1,
            }
            std::fs::write(&path, &original).expect("restore");
        }
    }
    eprintln!("behind valid CRCs: {errors} errors, {results} results");
    assert!(errors > 0);
    assert_no_huge_allocation();
}
