#!/usr/bin/env bash
# Seeds each target's corpus from testdata/: index files, chunk data, tombstones and
# meta.json files, selectors, WAL segments. The corpora live under fuzz/corpus/ (not
# committed).
set -eu
cd "$(dirname "$0")"
td=../testdata
mkdir -p corpus/{index,xor,histogram,tombstones_meta,selector,wal}
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
echo "corpora seeded: $(find corpus -type f | wc -l) files"
