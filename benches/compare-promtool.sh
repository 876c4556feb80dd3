#!/usr/bin/env bash
# Times `tsblock dump` against `promtool tsdb dump` on the same data directory with
# hyperfine (output to /dev/null), after checking that both print the same bytes.
#
# Usage: benches/compare-promtool.sh [DATA_DIR]
#   Without DATA_DIR, a block is generated from benches/dump-4m.json (4.14 M samples,
#   7,500 series: counters, constants and float gauges at 15 s, integer and float gauges
#   at 1 s, all with timestamp jitter) with tsblock-write.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v promtool >/dev/null || { echo "needs promtool (apt-get install -y prometheus)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install -y hyperfine)" >&2; exit 1; }
cargo build --release --quiet --bin tsblock
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    cp -r "$1" "$work/db"
else
    cargo build --release --quiet -p tsblock-tools --bin tsblock-write
    "$target/release/tsblock-write" json benches/dump-4m.json "$work/db"
fi
# promtool 2.42 needs a wal/ directory and writes chunks_head/ into the data dir: a copy.
mkdir -p "$work/db/wal"
"$target/release/tsblock" dump "$work/db" >"$work/ours.txt"
promtool tsdb dump "$work/db" >"$work/theirs.txt"
cmp "$work/ours.txt" "$work/theirs.txt"
echo "same output: $(wc -l <"$work/ours.txt") lines"
rm -f "$work/ours.txt" "$work/theirs.txt"
hyperfine --warmup 2 --runs 10 \
    "$target/release/tsblock dump $work/db" \
    "promtool tsdb dump $work/db"
