#!/usr/bin/env bash
# Times `tsblock dump` against `promtool tsdb dump` on the same data directory with
# hyperfine (output to /dev/null). Usage: benches/compare-promtool.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-testdata/blocks/many-series}
command -v promtool >/dev/null || { echo "needs promtool (apt-get install -y prometheus)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install -y hyperfine)" >&2; exit 1; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# promtool 2.42 needs a wal/ directory and writes chunks_head/ into the data dir: use a copy.
cp -r "$src" "$work/db"
mkdir -p "$work/db/wal"
hyperfine --warmup 2 --runs 10 \
    "target/release/tsblock dump $work/db" \
    "promtool tsdb dump $work/db"
