#!/usr/bin/env bash
# Regenerates the native-histogram fixture with a real Prometheus 2.42 server:
#   testdata/blocks/native-histograms/<ULID>/      blocks written by the server's head compaction
#   testdata/expected/native-histograms.sent.json  every sample sent (remote write), readable
#   testdata/expected/native-histograms.api.json   the server's /api/v1/query answers
#   testdata/expected/native-histograms.{list,list-r,dump}.txt  promtool 2.42 on the blocks
#
# Needs: prometheus and promtool 2.42 (Debian 12: apt-get install -y prometheus), cargo,
# a free loopback port. Takes about a minute. See tools/histogram-fixtures/README.md.
# Only the block ULIDs (directory names, meta.json, the ULID column of list) change between
# runs; everything else comes out byte-identical.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NAME=native-histograms
BLOCKS="$ROOT/testdata/blocks/$NAME"
EXPECTED="$ROOT/testdata/expected/$NAME"

fail() {
    echo "histogram-fixtures: $*" >&2
    exit 1
}

for tool in prometheus promtool cargo; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install -y prometheus)"
done
version=$(prometheus --version 2>&1 | head -1)
case "$version" in
    *"version 2.42."*) echo "using $version" ;;
    *) fail "needs Prometheus 2.42 (the fixture records its behaviour), found: $version" ;;
esac

cargo build --release --quiet -p tsblock-tools --bin tsblock-remote-write
RW="${CARGO_TARGET_DIR:-$ROOT/target}/release/tsblock-remote-write"
[ -x "$RW" ] || fail "$RW was not built"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

DATA="$WORK/data"
mkdir -p "$DATA"
# No scrape targets, no rules: the only data is what we send.
printf 'global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n' \
    >"$WORK/prometheus.yml"
PORT=$("$RW" free-port)
URL="http://127.0.0.1:$PORT"

# 1h blocks: min = max block duration, so head compaction cuts 1h blocks and never merges
# them. The head accepts samples down to (head maxTime - 30m); the client sends in time order.
prometheus \
    --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$DATA" \
    --web.listen-address="127.0.0.1:$PORT" \
    --enable-feature=native-histograms \
    --web.enable-remote-write-receiver \
    --storage.tsdb.min-block-duration=1h \
    --storage.tsdb.max-block-duration=1h \
    --storage.tsdb.retention.time=100000d \
    >"$WORK/prometheus.log" 2>&1 &
SERVER_PID=$!

server_failed() {
    echo "--- prometheus log" >&2
    cat "$WORK/prometheus.log" >&2
    fail "$1"
}

"$RW" wait-ready "$URL" || server_failed "prometheus did not become ready"
"$RW" send "$URL" --sent "$EXPECTED.sent.json" || server_failed "remote write failed"
"$RW" wait-compacted "$URL" || server_failed "head compaction did not finish"
"$RW" query "$URL" --out "$EXPECTED.api.json" || server_failed "query failed"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || server_failed "prometheus exited badly"
SERVER_PID=
grep -q 'msg="write block"' "$WORK/prometheus.log" || server_failed "no block written"

# Keep only finished block directories (ULID name and meta.json): no wal/, chunks_head/,
# lock, queries.active, *.tmp-for-creation.
rm -rf "$BLOCKS"
mkdir -p "$BLOCKS"
for dir in "$DATA"/*/; do
    dir=${dir%/}
    [[ "$(basename "$dir")" =~ ^[0-9A-HJKMNP-TV-Z]{26}$ ]] || continue
    [ -f "$dir/meta.json" ] || continue
    for f in meta.json index chunks/000001 tombstones; do
        [ -f "$dir/$f" ] || fail "$dir/$f missing"
    done
    cp -a "$dir" "$BLOCKS/"
done
nblocks=$(find "$BLOCKS" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$nblocks" -ge 3 ] || fail "expected at least 3 blocks, got $nblocks"

# promtool on a copy with an empty wal/ (2.42's list/dump need one; dump also creates
# chunks_head/ in the directory it reads).
CHECK="$WORK/check"
cp -a "$BLOCKS" "$CHECK"
mkdir "$CHECK/wal"
promtool tsdb list "$CHECK" >"$EXPECTED.list.txt"
promtool tsdb list -r "$CHECK" >"$EXPECTED.list-r.txt"
promtool tsdb dump "$CHECK" >"$EXPECTED.dump.txt"
for dir in "$BLOCKS"/*/; do
    block=$(basename "$dir")
    promtool tsdb analyze "$CHECK" "$block" >"$WORK/analyze-$block.txt" ||
        fail "promtool tsdb analyze $block failed: $(cat "$WORK/analyze-$block.txt")"
done
echo "promtool: list, dump and analyze accept all $nblocks blocks"

"$RW" inspect --check --quiet "$BLOCKS"
echo "done: $nblocks blocks, $(du -sh --apparent-size "$BLOCKS" | cut -f1) ($(du -sh "$BLOCKS" | cut -f1) on disk) in $BLOCKS"
