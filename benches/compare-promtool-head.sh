#!/usr/bin/env bash
# Times `tsblock dump` against `promtool tsdb dump` on a data directory whose head is a
# large WAL (no blocks), with hyperfine (output to /dev/null), and checks that both print
# the same bytes first.
#
# Usage: benches/compare-promtool-head.sh [SERIES [SCRAPES]]
#   defaults: 20000 series (40 targets of 500), 720 scrapes at 15 s = 14.4 M samples,
#   a 125 MB WAL (`tsblock-write wal`, the shape benches/wal.rs uses).
#
# promtool replays the WAL into a writable head and writes the head chunks it cuts into
# the directory's chunks_head/, so every promtool run gets a fresh copy (hyperfine
# --prepare); tsblock, which writes nothing, reads the original.
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-20000}
scrapes=${2:-720}
command -v promtool >/dev/null || { echo "needs promtool (apt-get install -y prometheus)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install -y hyperfine)" >&2; exit 1; }
cargo build --release --quiet --bin tsblock
cargo build --release --quiet -p tsblock-tools --bin tsblock-write
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$target/release/tsblock-write" wal "$work/db" --series "$series" --scrapes "$scrapes"
du -sh "$work/db/wal"
cp -a "$work/db" "$work/copy"
"$target/release/tsblock" dump "$work/db" >"$work/ours.txt"
promtool tsdb dump "$work/copy" >"$work/theirs.txt"
cmp "$work/ours.txt" "$work/theirs.txt"
echo "same output: $(wc -l <"$work/ours.txt") lines"
rm -f "$work/ours.txt" "$work/theirs.txt"
hyperfine --warmup 1 --runs 3 \
    --prepare "rm -rf $work/copy && cp -a $work/db $work/copy" \
    "$target/release/tsblock dump $work/db" \
    "promtool tsdb dump $work/copy"
