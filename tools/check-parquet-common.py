#!/usr/bin/env python3
"""Checks a `tsblock export parquet --layout parquet-common` directory with pyarrow.

An independent reader (pyarrow's, not the Rust parquet crate tsblock writes with)
asserts what the layout promises (prometheus-community/parquet-common at commit
65ebeae24e94119aa66e631ece1dc4ac1a925169): per shard, `<n>.labels.parquet` with the
`l_*` label columns (optional strings, RLE_DICTIONARY), `s_col_indexes`
(DELTA_BYTE_ARRAY) and `s_series_hash` (plain), in name order; `<n>.chunks.parquet`
with one `s_data_<i>` column (DELTA_LENGTH_BYTE_ARRAY) per window, in name order;
zstd everywhere; the metadata keys minT, maxT and data_col_duration_ms; row groups
aligned between the two files and at most 1,000,000 rows; rows sorted by __name__ then
by label set, with `l___name__` as the declared sorting column; every `s_col_indexes`
listing the row's non-null label columns, every `s_series_hash` the XXH64 of
`name\\xffvalue\\xff...` (computed here in plain Python); every data cell a run of
well-formed chunk frames whose times lie in the cell's window.

Usage: check-parquet-common.py OUTDIR [--samples N]  (N: samples the export reported)
"""

import argparse
import os
import re
import sys

import pyarrow.parquet as pq

M64 = (1 << 64) - 1
P1, P2, P3, P4, P5 = (
    0x9E3779B185EBCA87,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0x85EBCA77C2B2AE63,
    0x27D4EB2F165667C5,
)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc, lane):
    acc = (acc + lane * P2) & M64
    return (_rotl(acc, 31) * P1) & M64


def xxh64(data, seed=0):
    """XXH64 as specified by the xxHash reference (cespare/xxhash's algorithm)."""
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], int.from_bytes(data[i : i + 8], "little"))
                i += 8
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for k in range(4):
            h = ((h ^ _round(0, v[k])) * P1 + P4) & M64
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        h ^= _round(0, int.from_bytes(data[i : i + 8], "little"))
        h = (_rotl(h, 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i : i + 4], "little") * P1) & M64
        h = (_rotl(h, 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M64
        h = (_rotl(h, 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    h ^= h >> 32
    return h


def uvarint(b, p):
    v, shift = 0, 0
    while True:
        assert p < len(b), "truncated varint"
        x = b[p]
        p += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return v, p
        assert shift < 70, "varint too long"


def zigzag(u):
    return (u >> 1) ^ -(u & 1)


def signed(u):
    return u - (1 << 64) if u >= 1 << 63 else u


def check_shard(labels_path, chunks_path):
    lf, cf = pq.ParquetFile(labels_path), pq.ParquetFile(chunks_path)
    lm, cm = lf.metadata, cf.metadata

    # Metadata.
    kv = {}
    for m, path in ((lm, labels_path), (cm, chunks_path)):
        meta = {k.decode(): v.decode() for k, v in (m.metadata or {}).items()}
        for key in ("minT", "maxT", "data_col_duration_ms"):
            assert key in meta, f"{path}: metadata {key} missing"
            int(meta[key])
        kv.setdefault("first", meta)
        assert {k: meta[k] for k in ("minT", "maxT", "data_col_duration_ms")} == {
            k: kv["first"][k] for k in ("minT", "maxT", "data_col_duration_ms")
        }, "labels and chunks metadata differ"
    mint, maxt, dur = (int(kv["first"][k]) for k in ("minT", "maxT", "data_col_duration_ms"))
    assert dur > 0

    # Labels schema: l_* optional strings, then s_col_indexes, s_series_hash; name order.
    ls = lf.schema_arrow
    names = ls.names
    assert names == sorted(names), f"labels columns not in name order: {names}"
    assert names[-2:] == ["s_col_indexes", "s_series_hash"], names
    label_cols = names[:-2]
    for n in label_cols:
        f = ls.field(n)
        assert n.startswith("l_"), n
        assert str(f.type) == "string" and f.nullable, f
    for n in ("s_col_indexes", "s_series_hash"):
        f = ls.field(n)
        assert str(f.type) == "binary" and not f.nullable, f

    # Chunks schema: s_data_0..n-1 in name order, one per window of [minT, maxT].
    cs = cf.schema_arrow
    ncols = (maxt - mint) // dur + 1 if maxt >= mint else 0
    want = sorted(f"s_data_{i}" for i in range(ncols))
    assert cs.names == want, f"data columns {cs.names} != {want}"
    for f in cs:
        assert str(f.type) == "binary" and not f.nullable, f

    # Row groups aligned, encodings, compression, sorting columns.
    assert lm.num_row_groups == cm.num_row_groups, "row groups differ"
    for g in range(lm.num_row_groups):
        lg, cg = lm.row_group(g), cm.row_group(g)
        assert lg.num_rows == cg.num_rows, f"row group {g}: {lg.num_rows} vs {cg.num_rows} rows"
        assert lg.num_rows <= 1_000_000
        for j in range(lg.num_columns):
            c = lg.column(j)
            assert c.compression == "ZSTD", (c.path_in_schema, c.compression)
            if c.path_in_schema.startswith("l_"):
                assert "RLE_DICTIONARY" in c.encodings, (c.path_in_schema, c.encodings)
            elif c.path_in_schema == "s_col_indexes":
                assert "DELTA_BYTE_ARRAY" in c.encodings, c.encodings
            else:
                assert c.encodings == ("PLAIN", "RLE") or "PLAIN" in c.encodings, c.encodings
        for j in range(cg.num_columns):
            c = cg.column(j)
            assert c.compression == "ZSTD", (c.path_in_schema, c.compression)
            assert "DELTA_LENGTH_BYTE_ARRAY" in c.encodings, (c.path_in_schema, c.encodings)
        if "l___name__" in label_cols:
            sc = lg.sorting_columns
            assert len(sc) == 1 and sc[0].column_index == names.index("l___name__"), sc
            assert not sc[0].descending

    # Rows: order, column indexes, hashes, chunk frames.
    labels = lf.read().to_pylist()
    chunks = cf.read().to_pylist()
    assert len(labels) == len(chunks) == lm.num_rows == cm.num_rows
    prev, samples = None, 0
    for row, (lr, cr) in enumerate(zip(labels, chunks)):
        pairs = sorted((n[2:], lr[n]) for n in label_cols if lr[n] is not None)
        key = (lr.get("l___name__") or "", pairs)
        assert prev is None or prev < key, f"row {row} out of order: {prev} then {key}"
        prev = key
        present = [names.index(n) for n in label_cols if lr[n] is not None]
        b, p = lr["s_col_indexes"], 0
        count, p = uvarint(b, p)
        got = []
        for _ in range(zigzag(count)):
            v, p = uvarint(b, p)
            got.append(zigzag(v))
        assert p == len(b) and got == present, f"row {row}: s_col_indexes {got} != {present}"
        hashed = b"".join(n.encode() + b"\xff" + v.encode() + b"\xff" for n, v in pairs)
        assert lr["s_series_hash"] == xxh64(hashed).to_bytes(8, "big"), f"row {row}: hash"
        nonempty = 0
        for col, cell in cr.items():
            i = int(col[len("s_data_") :])
            lo, hi = mint + i * dur, mint + (i + 1) * dur
            p = 0
            nonempty += len(cell) > 0
            while p < len(cell):
                enc, p = uvarint(cell, p)
                cmin, p = uvarint(cell, p)
                cmax, p = uvarint(cell, p)
                size, p = uvarint(cell, p)
                assert enc in (1, 2, 3), f"row {row} {col}: encoding {enc}"
                assert p + size <= len(cell), f"row {row} {col}: frame overruns the cell"
                cmin, cmax = signed(cmin), signed(cmax)
                assert cmin <= cmax, f"row {row} {col}: {cmin} > {cmax}"
                assert (i == 0 or cmin >= lo) and cmax < hi, f"row {row} {col}: {cmin}..{cmax} outside window"
                samples += int.from_bytes(cell[p : p + 2], "big")
                p += size
        assert nonempty > 0, f"row {row}: a series without chunks"
    return len(labels), samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--samples", type=int, help="samples the export reported")
    args = ap.parse_args()
    # Known vectors of the hash (the xxHash reference's empty input; Go's StableHash of
    # {__name__="up"} computed the same way).
    assert xxh64(b"") == 0xEF46DB3751D8E999
    shards = sorted(
        int(m.group(1))
        for m in (re.fullmatch(r"(\d+)\.labels\.parquet", f) for f in os.listdir(args.outdir))
        if m
    )
    assert shards, f"{args.outdir}: no <n>.labels.parquet"
    rows = samples = 0
    for s in shards:
        r, n = check_shard(
            os.path.join(args.outdir, f"{s}.labels.parquet"),
            os.path.join(args.outdir, f"{s}.chunks.parquet"),
        )
        rows, samples = rows + r, samples + n
    if args.samples is not None:
        assert samples == args.samples, f"{samples} samples in the chunks, {args.samples} exported"
    print(f"{args.outdir}: {len(shards)} shard(s), {rows} series, {samples} samples: OK")


if __name__ == "__main__":
    sys.exit(main())
