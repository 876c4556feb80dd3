#!/usr/bin/env bash
# Seeds each target's corpus from testdata/: index files, chunk data, tombstones and
# meta.json files, selectors, WAL segments. The corpora live under fuzz/corpus/ (not
# committed).
set -eu
cd "$(dirname "$0")"
td=../testdata
mkdir -p corpus/{index,xor,histogram,tombstones_meta,selector,wal,block,goregex,head}
i=0
for f in $(find "$td" -name index -type f); do cp "$f" "corpus/index/$((i++))"; done
for f in $(find "$td" -name tombstones -type f) $(find "$td" -name meta.json -type f); do
    cp "$f" "corpus/tombstones_meta/$((i++))"
done
for f in $(find "$td" -path '*wal/0*' -type f | head -50); do
    i=$((i + 1))
    head -c 262144 "$f" > "corpus/wal/$i"
done
# Chunk data: every chunk of every segment, split by tsblock itself would need the
# reader; the segment files cut at 4 KiB steps give decoders real bit streams.
for f in $(find "$td" -path '*chunks/0*' -type f | head -40); do
    for off in 0 4096 8192; do
        i=$((i + 1))
        tail -c +$((off + 9)) "$f" | head -c 4096 > "corpus/xor/$i"
        cp "corpus/xor/$i" "corpus/histogram/$i"
    done
done
for f in "$td"/selectors/*.txt; do
    while IFS= read -r line; do printf '%s' "$line" > "corpus/selector/$((i++))"; done < "$f"
done
printf '%s' 'up{job=~"api|web", instance!="x"}' > corpus/selector/seed
# Whole blocks, packed as the `block` target reads them: meta.json, index, tombstones
# (empty when absent), then the segments, each after its 4-byte big-endian length.
for d in $(find "$td" -name meta.json -type f -exec dirname {} \;); do
    [ -f "$d/index" ] || continue
    i=$((i + 1))
    {
        for f in "$d/meta.json" "$d/index" "$d/tombstones" $(ls "$d"/chunks/0* 2>/dev/null); do
            n=$(stat -c %s "$f" 2>/dev/null || echo 0)
            printf "%08x" "$n" | xxd -r -p
            [ "$n" -gt 0 ] && cat "$f"
        done
    } > "corpus/block/$i"
done
# Heads, packed as the `head` target reads them: a mode byte, then each file as a name
# length, the name under the data directory, a 4-byte big-endian length and the bytes.
for d in "$td"/heads/*/; do
    for mode in 0 1; do
        i=$((i + 1))
        {
            printf "%02x" "$mode" | xxd -r -p
            (cd "$d" && find wal wbl chunks_head chunk_snapshot.* -type f 2>/dev/null | sort) |
                while read -r name; do
                    printf "%02x%s" "${#name}" "" | xxd -r -p
                    printf '%s' "$name"
                    printf "%08x" "$(stat -c %s "$d/$name")" | xxd -r -p
                    cat "$d/$name"
                done
        } > "corpus/head/$i"
    done
done
# Regex patterns as token bytes (see fuzz_targets/goregex.rs): a few shapes to start from.
printf '\x00\x07\x01\x0e\x10\x08\x00\x00\x01\x00\x05' > corpus/goregex/alternation
printf '\x11\x02\x07\x00\x00\x02\x00\x01\x01' > corpus/goregex/group
printf '\x13\x18\x06\x0b\x00\x00\x00\x00\x06\x06' > corpus/goregex/classes
echo "corpora seeded: $(find corpus -type f | wc -l) files"
