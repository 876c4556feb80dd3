#!/usr/bin/env python3
"""Summarise the head files of a Prometheus data directory (standard library only).

    python3 tools/head-fixtures/walrecords.py testdata/heads/<name>

For every WAL-format directory (wal/, wal/checkpoint.N/, wbl/, chunk_snapshot.N.M/) and
every segment in it: the size, the number of pages, the fragments by kind (full, first,
middle, last) and compression, the records by type ("(raw)": stored without compression,
the others snappy-compressed), whether the segment ends inside a
record ("torn") or inside a page, and CRC errors. Snappy-compressed records are decoded (a
small snappy block decoder is below) so their type byte is known too.

For every chunks_head/ file: the header, the chunks by encoding (with the out-of-order flag),
their samples' time range, CRC errors and where the data ends.

Formats: /work/shared/notes/prometheus-format.md §8 (tsdb/wlog, tsdb/record,
tsdb/chunks/head_chunks.go of Prometheus 2.42).
"""

import os
import sys

PAGE = 32 * 1024
FRAG = {0: "pad", 1: "full", 2: "first", 3: "middle", 4: "last"}
WAL_TYPES = {
    1: "series",
    2: "samples",
    3: "tombstones",
    4: "exemplars",
    5: "mmap-markers",
    6: "metadata",
    7: "histogram-samples",
    8: "float-histogram-samples",
}
SNAPSHOT_TYPES = {1: "series-snapshot", 2: "tombstones-snapshot", 3: "exemplars-snapshot"}
ENCODINGS = {1: "xor", 2: "histogram", 3: "float-histogram"}


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), bitwise; the files are small."""
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


crc32c.table = _table()


def uvarint(b, i):
    x = shift = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << shift
        if c < 0x80:
            return x, i
        shift += 7


def varint(b, i):
    u, i = uvarint(b, i)
    return (u >> 1) ^ -(u & 1), i


def labels(b, i):
    n, i = uvarint(b, i)
    for _ in range(2 * n):
        length, i = uvarint(b, i)
        i += length
    return i


def skip_histogram(b, i, floats):
    """Skips one record.EncodeHistogram / EncodeFloatHistogram (2.42: no custom values)."""
    i += 1  # reset hint
    _, i = varint(b, i)  # schema
    i += 8  # zero threshold
    if floats:
        i += 16  # zero count, count
    else:
        _, i = uvarint(b, i)
        _, i = uvarint(b, i)
    i += 8  # sum
    for _ in range(2):  # positive, negative spans
        n, i = uvarint(b, i)
        for _ in range(n):
            _, i = varint(b, i)
            _, i = uvarint(b, i)
    for _ in range(2):  # positive, negative buckets
        n, i = uvarint(b, i)
        for _ in range(n):
            if floats:
                i += 8
            else:
                _, i = varint(b, i)
    return i


def count_entries(rec):
    """The number of series, samples, stones or markers in a WAL record (tsdb/record)."""
    kind, i, n = rec[0], 1, 0
    if kind == 1:  # series: ref <8b>, labels
        while i < len(rec):
            i = labels(rec, i + 8)
            n += 1
    elif kind in (2, 7, 8):  # samples: base ref, base t, then dref, dt, value
        if len(rec) > 1:
            i += 16
        while i < len(rec):
            _, i = varint(rec, i)
            _, i = varint(rec, i)
            i = i + 8 if kind == 2 else skip_histogram(rec, i, kind == 8)
            n += 1
    elif kind == 3:  # tombstones: ref <8b>, mint, maxt
        while i < len(rec):
            _, i = varint(rec, i + 8)
            _, i = varint(rec, i)
            n += 1
    elif kind == 5:  # mmap markers: ref <8b>, chunk ref <8b>
        n, i = (len(rec) - 1) // 16, 1 + (len(rec) - 1) // 16 * 16
    else:
        return None
    if i != len(rec):
        raise ValueError(f"record type {kind}: {len(rec) - i} bytes left over")
    return n


def snappy_decode(src):
    """Go's snappy block format (snappy.Decode)."""
    n, i = uvarint(src, 0)
    out = bytearray()
    while i < len(src):
        tag = src[i]
        kind = tag & 3
        if kind == 0:  # literal
            length = tag >> 2
            i += 1
            if length >= 60:
                nb = length - 59
                length = int.from_bytes(src[i : i + nb], "little")
                i += nb
            length += 1
            out += src[i : i + length]
            i += length
            continue
        if kind == 1:
            length = 4 + ((tag >> 2) & 7)
            offset = ((tag & 0xE0) << 3) | src[i + 1]
            i += 2
        elif kind == 2:
            length = 1 + (tag >> 2)
            offset = int.from_bytes(src[i + 1 : i + 3], "little")
            i += 3
        else:
            length = 1 + (tag >> 2)
            offset = int.from_bytes(src[i + 1 : i + 5], "little")
            i += 5
        for _ in range(length):
            out.append(out[-offset])
    if len(out) != n:
        raise ValueError(f"snappy: {len(out)} bytes, header says {n}")
    return bytes(out)


def walk_segment(path, types):
    data = open(path, "rb").read()
    frags, records, entries, notes = {}, {}, {}, []
    crc_errors = 0
    pending = None  # (compressed, bytes) of a record being assembled
    i = 0
    while i < len(data):
        page_left = PAGE - i % PAGE
        if page_left < 7 or data[i] == 0:
            # Page terminator: the rest of the page must be zeros.
            end = min(i + page_left, len(data))
            if any(data[i:end]):
                notes.append(f"non-zero bytes after a page terminator at {i}")
            i = end
            continue
        if len(data) - i < 7:
            notes.append(f"{len(data) - i} bytes of a fragment header at the end")
            break
        flag = data[i]
        kind, snappy, zstd = flag & 7, bool(flag & 8), bool(flag & 16)
        length = int.from_bytes(data[i + 1 : i + 3], "big")
        crc = int.from_bytes(data[i + 3 : i + 7], "big")
        body = data[i + 7 : i + 7 + length]
        if len(body) < length:
            notes.append(f"fragment at {i} cut short: {len(body)} of {length} bytes")
            pending = pending or (snappy, b"")
            break
        if crc32c(body) != crc:
            crc_errors += 1
        name = FRAG.get(kind, f"kind{kind}") + ("+snappy" if snappy else "") + ("+zstd" if zstd else "")
        frags[name] = frags.get(name, 0) + 1
        i += 7 + length
        if kind == 1:
            pending, done = None, (snappy, body)
        elif kind == 2:
            pending, done = (snappy, body), None
        elif kind in (3, 4):
            if pending is None:
                notes.append(f"{FRAG[kind]} fragment without a first one at {i}")
                continue
            pending = (pending[0], pending[1] + body)
            done = None
            if kind == 4:
                pending, done = None, pending
        else:
            notes.append(f"fragment kind {kind} at {i}")
            continue
        if done is None:
            continue
        compressed, rec = done
        if compressed:
            rec = snappy_decode(rec)
        t = types.get(rec[0], f"type{rec[0]}") if rec else "empty"
        if not compressed:
            t += "(raw)"
        records[t] = records.get(t, 0) + 1
        if types is WAL_TYPES and rec:
            key = types.get(rec[0], f"type{rec[0]}")
            n = count_entries(rec)
            if n is not None:
                entries[key] = entries.get(key, 0) + n
    torn = pending is not None
    return {
        "size": len(data),
        "pages": (len(data) + PAGE - 1) // PAGE,
        "partial_page": len(data) % PAGE != 0,
        "fragments": frags,
        "records": records,
        "entries": entries,
        "torn": torn,
        "crc_errors": crc_errors,
        "notes": notes,
    }


def fmt_counts(d):
    return ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "none"


def report_wal_dir(root, rel, types):
    d = os.path.join(root, rel)
    segs = sorted(f for f in os.listdir(d) if f.isdigit())
    print(f"{rel}/: {len(segs)} segment(s)")
    for s in segs:
        r = walk_segment(os.path.join(d, s), types)
        extra = []
        if r["partial_page"]:
            extra.append("ends inside a page")
        if r["torn"]:
            extra.append("TORN: ends inside a record")
        if r["crc_errors"]:
            extra.append(f"{r['crc_errors']} CRC errors")
        extra += r["notes"]
        print(f"  {s}: {r['size']} bytes, {r['pages']} page(s){'; ' + '; '.join(extra) if extra else ''}")
        print(f"    fragments: {fmt_counts(r['fragments'])}")
        print(f"    records:   {fmt_counts(r['records'])}")
        if r["entries"]:
            print(f"    entries:   {fmt_counts(r['entries'])} (series, samples, stones, markers)")


def report_chunks_head(root):
    d = os.path.join(root, "chunks_head")
    if not os.path.isdir(d):
        print("chunks_head/: absent")
        return
    files = sorted(f for f in os.listdir(d) if f.isdigit())
    print(f"chunks_head/: {len(files)} file(s)")
    for f in files:
        data = open(os.path.join(d, f), "rb").read()
        magic = int.from_bytes(data[0:4], "big")
        head = f"magic {magic:#010x}, version {data[4] if len(data) > 4 else '?'}"
        i = 8
        counts, crc_errors, mint, maxt, series = {}, 0, None, None, set()
        end_note = "end of file"
        while i < len(data):
            if len(data) - i < 34 and not any(data[i:]):
                end_note = f"zeros from {i}"
                break
            ref = int.from_bytes(data[i : i + 8], "big")
            cmin = int.from_bytes(data[i + 8 : i + 16], "big", signed=True)
            cmax = int.from_bytes(data[i + 16 : i + 24], "big", signed=True)
            if ref == 0 and cmin == 0 and cmax == 0:
                end_note = f"zeros from {i}" if not any(data[i:]) else f"zero record at {i}, data after it"
                break
            enc = data[i + 24]
            n, j = uvarint(data, i + 25)
            if j + n + 4 > len(data):
                end_note = f"chunk at {i} cut short"
                break
            crc = int.from_bytes(data[j + n : j + n + 4], "big")
            if crc32c(data[i : j + n]) != crc:
                crc_errors += 1
            name = ENCODINGS.get(enc & 0x7F, f"enc{enc & 0x7F}") + ("+ooo" if enc & 0x80 else "")
            counts[name] = counts.get(name, 0) + 1
            series.add(ref)
            mint = cmin if mint is None else min(mint, cmin)
            maxt = cmax if maxt is None else max(maxt, cmax)
            i = j + n + 4
        print(f"  {f}: {len(data)} bytes, {head}; {sum(counts.values())} chunks of {len(series)} series"
              f" ({fmt_counts(counts)}), t {mint} … {maxt}; {crc_errors} CRC errors; {end_note}")


def main():
    root = sys.argv[1]
    for rel in ["wal"] + sorted(
        os.path.join("wal", c) for c in os.listdir(os.path.join(root, "wal")) if c.startswith("checkpoint.")
    ):
        report_wal_dir(root, rel, WAL_TYPES)
    if os.path.isdir(os.path.join(root, "wbl")):
        report_wal_dir(root, "wbl", WAL_TYPES)
    else:
        print("wbl/: absent")
    for s in sorted(f for f in os.listdir(root) if f.startswith("chunk_snapshot.")):
        report_wal_dir(root, s, SNAPSHOT_TYPES)
    report_chunks_head(root)
    blocks = sorted(b for b in os.listdir(root) if os.path.isfile(os.path.join(root, b, "meta.json")))
    print(f"blocks: {len(blocks)}")


if __name__ == "__main__":
    main()
