#!/usr/bin/env bash
# Makes the head fixtures with real Prometheus 2.42 servers on loopback:
#   testdata/heads/<name>/                 a whole data directory (wal/, chunks_head/, blocks, …)
#                                          without `lock` and `queries.active`
#   testdata/expected/head-<name>.files.txt         every file: path and size
#   testdata/expected/head-<name>.status.json       the server's /api/v1/status/tsdb before it stopped
#   testdata/expected/head-<name>.dump.txt          promtool tsdb dump on a scratch copy
#   testdata/expected/head-<name>.dump-range.{args,txt}  dump --min-time --max-time on another copy
#   testdata/expected/head-<name>.list.txt          promtool tsdb list (fixtures with blocks)
#   testdata/expected/head-<name>.promtool-error.txt  instead of a dump that promtool refused
#   testdata/expected/head-<name>.promtool-changes.txt  what the dump changed in its scratch copy
#   testdata/expected/head-<name>.records.txt       tools/head-fixtures/walrecords.py on the fixture
#
# Fixtures (all four servers run at the same time; see tools/head-fixtures/README.md):
#   clean     30s blocks, native histograms, a WAL checkpoint, a delete_series tombstone, SIGTERM
#   running   30s blocks, native histograms, copied with cp -a while the server writes
#   snapshot  30s blocks, memory-snapshot-on-shutdown (no native histograms: 2.42 refuses both), SIGTERM
#   ooo       2m blocks, out_of_order_time_window 30m, out-of-order floats (wbl/), SIGTERM
#
# Usage: tools/head-fixtures/make.sh [name…]   (default: all four; about 3 minutes)
# Needs: prometheus and promtool 2.42 (Debian 12: apt-get install -y prometheus), cargo,
# python3, curl, free loopback ports.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HEADS="$ROOT/testdata/heads"
EXPECTED="$ROOT/testdata/expected"
HERE="$ROOT/tools/head-fixtures"
ALL=(clean running snapshot ooo)
if [ $# -gt 0 ]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi

fail() {
    echo "head-fixtures: $*" >&2
    exit 1
}

for name in "${NAMES[@]}"; do
    case " ${ALL[*]} " in *" $name "*) ;; *) fail "unknown fixture $name (known: ${ALL[*]})" ;; esac
done
for tool in prometheus promtool cargo python3 curl; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install -y prometheus)"
done
for tool in prometheus promtool; do
    version=$("$tool" --version 2>&1 | head -1)
    case "$version" in
        *"version 2.42."*) echo "using $version" ;;
        *) fail "needs $tool 2.42 (the fixtures record its behaviour), found: $version" ;;
    esac
done

cargo build --release --quiet -p tsblock-tools --bin tsblock-remote-write
RW="${CARGO_TARGET_DIR:-$ROOT/target}/release/tsblock-remote-write"
[ -x "$RW" ] || fail "$RW was not built"

WORK=$(mktemp -d)
# Every process started here, one pid per line: the cleanup ends exactly these.
PIDS="$WORK/pids"
: >"$PIDS"
cleanup() {
    local pid
    while read -r pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done <"$PIDS"
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A tiny scrape target: a static text file served by python3's http.server.
TARGET_DIR="$WORK/target"
mkdir -p "$TARGET_DIR"
cat >"$TARGET_DIR/metrics" <<'EOF'
# HELP fixture_target_requests_total Requests served (static).
# TYPE fixture_target_requests_total counter
fixture_target_requests_total{code="200"} 1027
fixture_target_requests_total{code="500"} 3
# HELP fixture_target_temperature_celsius A gauge (static).
# TYPE fixture_target_temperature_celsius gauge
fixture_target_temperature_celsius 21.5
EOF
TARGET_PORT=$("$RW" free-port)
python3 -m http.server --bind 127.0.0.1 --directory "$TARGET_DIR" "$TARGET_PORT" \
    >"$WORK/target.log" 2>&1 &
echo $! >>"$PIDS"

# start_server NAME BLOCK_RANGE [extra prometheus flags…]: starts a server on a free port with
# its own data dir $WORK/NAME/data, scraping itself (a few series) and the static target
# every second. Sets PORT, URL, SERVER_PID.
start_server() {
    local name=$1 range=$2
    shift 2
    local dir="$WORK/$name"
    mkdir -p "$dir/data"
    PORT=$("$RW" free-port)
    URL="http://127.0.0.1:$PORT"
    {
        printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1h\n'
        if [ "$name" = ooo ]; then
            printf 'storage:\n  tsdb:\n    out_of_order_time_window: 30m\n'
        fi
        cat <<EOF
scrape_configs:
  # Fixed instance labels: the ports change from run to run, the label sets do not.
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
    relabel_configs: [{target_label: instance, replacement: self}]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_goroutines|prometheus_tsdb_head_series|prometheus_http_requests_total
        action: keep
  - job_name: target
    static_configs: [{targets: ["127.0.0.1:$TARGET_PORT"]}]
    relabel_configs: [{target_label: instance, replacement: static-target}]
EOF
    } >"$dir/prometheus.yml"
    prometheus \
        --config.file="$dir/prometheus.yml" \
        --storage.tsdb.path="$dir/data" \
        --web.listen-address="127.0.0.1:$PORT" \
        --web.enable-remote-write-receiver \
        --web.enable-admin-api \
        --storage.tsdb.min-block-duration="$range" \
        --storage.tsdb.max-block-duration="$range" \
        --storage.tsdb.retention.time=100000d \
        "$@" >"$dir/prometheus.log" 2>&1 &
    SERVER_PID=$!
    echo "$SERVER_PID" >>"$PIDS"
    "$RW" wait-ready "$URL" || server_failed "$name" "prometheus did not become ready"
}

server_failed() {
    echo "--- $1: prometheus log" >&2
    tail -40 "$WORK/$1/prometheus.log" >&2
    fail "$1: $2"
}

# start_feed NAME [feed flags…]: the live remote-write feed (tsblock-remote-write feed).
start_feed() {
    local name=$1
    shift
    "$RW" feed "$URL" --stop-file "$WORK/$name/stop" "$@" >"$WORK/$name/feed.log" 2>&1 &
    FEED_PID=$!
    echo "$FEED_PID" >>"$PIDS"
}

stop_feed() {
    local name=$1
    touch "$WORK/$name/stop"
    wait "$FEED_PID" || { cat "$WORK/$name/feed.log" >&2; fail "$name: the feed failed"; }
    cat "$WORK/$name/feed.log"
}

save_status() {
    curl -fsS "$URL/api/v1/status/tsdb" >"$WORK/$1/status.json" || fail "$1: status"
}

stop_server() {
    local name=$1
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || server_failed "$name" "prometheus exited badly"
}

# keep NAME: copy the data dir (cp -a) to testdata/heads/NAME, without lock and queries.active.
keep() {
    local name=$1 out="$HEADS/$1"
    rm -rf "$out"
    mkdir -p "$HEADS"
    cp -a "$WORK/$name/data" "$out"
    rm -f "$out/lock" "$out/queries.active"
}

# waitfor SECONDS DESCRIPTION COMMAND…: poll COMMAND once a second.
waitfor() {
    local secs=$1 what=$2
    shift 2
    local i
    for ((i = 0; i < secs; i++)); do
        if "$@"; then return 0; fi
        sleep 1
    done
    fail "timed out after ${secs}s waiting for $what"
}

has_checkpoint() { compgen -G "$1/wal/checkpoint.*[0-9]" >/dev/null; }
count_blocks() { # the number of blocks (directories with a meta.json)
    find "$1" -mindepth 2 -maxdepth 2 -name meta.json | wc -l
}
has_blocks() { [ "$(count_blocks "$1")" -ge "$2" ]; }

# wait_phase LO HI: wait until the wall clock is LO..HI seconds past a 30 s boundary (the
# block range of clean, running and snapshot). The head cuts every chunk at these boundaries
# and compacts the range before one 15 s after the next, so at LO = 4 the chunks of the last
# 30 s are in chunks_head/ and the last 4 s only in the WAL (and open head chunks).
wait_phase() {
    local i
    for ((i = 0; i < 40; i++)); do
        local p=$(($(date +%s) % 30))
        if [ "$p" -ge "$1" ] && [ "$p" -le "$2" ]; then return 0; fi
        sleep 0.5
    done
    fail "wait_phase $1 $2: the clock did not get there"
}

# head_range: the head's minTime and maxTime (ms) from /api/v1/status/tsdb.
head_range() {
    curl -fsS "$URL/api/v1/status/tsdb" |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]["headStats"]; print(d["minTime"], d["maxTime"])'
}

fixture_clean() {
    local data="$WORK/clean/data"
    start_server clean 30s --enable-feature=native-histograms
    start_feed clean
    # Four head truncations make the first checkpoint (truncateWAL: the lower 2/3 of the
    # segments; each truncation starts a new segment).
    waitfor 240 "clean: a WAL checkpoint" has_checkpoint "$data"
    # After this 30 s range's compaction (at 15 s) the head holds [boundary, now]: delete
    # 10 s of fixture_head_float{case="deleted"} inside it, a tombstones record in the WAL.
    # The next compaction (45 s) comes after the shutdown, so it stays a head tombstone.
    wait_phase 20 24
    local hmin hmax start
    read -r hmin hmax < <(head_range)
    start=$((hmin / 1000 + 3))
    curl -fsS -X POST "$URL/api/v1/admin/tsdb/delete_series?match%5B%5D=fixture_head_float%7Bcase%3D%22deleted%22%7D&start=$start&end=$((start + 10))" ||
        fail "clean: delete_series"
    echo "deleted fixture_head_float{case=\"deleted\"} from $start to $((start + 10)) (s; head $hmin … $hmax ms)"
    wait_phase 4 8
    stop_feed clean
    save_status clean
    stop_server clean
    keep clean
}

fixture_running() {
    local data="$WORK/running/data"
    start_server running 30s --enable-feature=native-histograms
    start_feed running
    waitfor 240 "running: 2 blocks" has_blocks "$data" 2
    sleep 20
    wait_phase 4 8
    save_status running
    # The copy is taken while the server scrapes and the feed writes.
    cp -a "$data" "$WORK/running/copy"
    stop_feed running
    stop_server running
    rm -rf "$data"
    mv "$WORK/running/copy" "$data"
    keep running
}

fixture_snapshot() {
    local data="$WORK/snapshot/data"
    start_server snapshot 30s --enable-feature=memory-snapshot-on-shutdown
    start_feed snapshot --no-histograms
    waitfor 240 "snapshot: 2 blocks" has_blocks "$data" 2
    sleep 20
    wait_phase 4 8
    stop_feed snapshot
    save_status snapshot
    stop_server snapshot
    compgen -G "$data/chunk_snapshot.*" >/dev/null || fail "snapshot: no chunk_snapshot"
    keep snapshot
}

fixture_ooo() {
    # 2m blocks: every in-order chunk is cut at a 2-minute boundary, so within 130 s each
    # series has an m-mapped chunk; head compaction (which would also compact the
    # out-of-order head and truncate wbl/) needs 1.5 × 2m = 3 minutes of data, so none runs.
    start_server ooo 2m --enable-feature=native-histograms
    start_feed ooo --ooo
    sleep 130
    stop_feed ooo
    save_status ooo
    stop_server ooo
    [ -d "$WORK/ooo/data/wbl" ] || fail "ooo: no wbl/"
    keep ooo
}

# All fixtures at once, each in a subshell; each must succeed.
declare -A JOBS=()
for name in "${NAMES[@]}"; do
    mkdir -p "$WORK/$name"
    ("fixture_$name") >"$WORK/$name/run.log" 2>&1 &
    JOBS[$name]=$!
    echo "${JOBS[$name]}" >>"$PIDS"
done
status=0
for name in "${NAMES[@]}"; do
    if wait "${JOBS[$name]}"; then
        echo "== $name: made"
        cat "$WORK/$name/run.log"
    else
        echo "== $name: FAILED" >&2
        cat "$WORK/$name/run.log" >&2
        status=1
    fi
done
[ "$status" = 0 ] || fail "some fixtures failed"

# manifest DIR: "path size sha256[:16]" for every file, "path/ dir" for every directory.
manifest() {
    (cd "$1" && {
        find . -mindepth 1 -type d -printf '%P/ dir\n'
        find . -type f -printf '%P\n' | while read -r f; do
            printf '%s %s %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-16)"
        done
    } | sort)
}

# promtool_run OUT NAME ARGS…: promtool on a fresh scratch copy of the fixture (never on the
# fixture itself: 2.42 writes into the directory it reads). stdout to OUT; on failure the
# stderr and exit code go to head-NAME.promtool-error.txt instead.
promtool_run() {
    local out=$1 name=$2
    shift 2
    local scratch="$WORK/scratch-$name"
    rm -rf "$scratch"
    cp -a "$HEADS/$name" "$scratch"
    manifest "$scratch" >"$WORK/before"
    local rc=0
    promtool tsdb "$@" "$scratch" >"$WORK/out" 2>"$WORK/err" || rc=$?
    manifest "$scratch" >"$WORK/after"
    if [ "$rc" = 0 ]; then
        mv "$WORK/out" "$out"
    else
        {
            echo "promtool tsdb $* <copy of testdata/heads/$name>: exit code $rc"
            echo "--- stderr"
            sed "s#$scratch#<copy>#g" "$WORK/err"
        } >>"$EXPECTED/head-$name.promtool-error.txt"
        rm -f "$out"
    fi
    CHANGES=$(diff "$WORK/before" "$WORK/after" || true)
}

for name in "${NAMES[@]}"; do
    dir="$HEADS/$name"
    base="$EXPECTED/head-$name"
    rm -f "$base".*
    (cd "$dir" && find . -type f -printf '%P %s\n' | sort) >"$base.files.txt"
    python3 -m json.tool "$WORK/$name/status.json" >"$base.status.json"
    python3 "$HERE/walrecords.py" "$dir" >"$base.records.txt"

    promtool_run "$base.dump.txt" "$name" dump
    {
        echo "# promtool tsdb dump on a fresh copy of testdata/heads/$name: files changed"
        echo "# (diff of 'path size sha256[:16]' before and after; < before, > after)"
        echo "${CHANGES:-(none)}"
    } >"$base.promtool-changes.txt"

    # A range through the head: from 10 s before the head's minTime (in the last block, if
    # any; for ooo 240 s before, among the out-of-order samples) to the middle of the head.
    read -r hmin hmax < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]["headStats"]; print(d["minTime"], d["maxTime"])' "$WORK/$name/status.json")
    back=10000
    [ "$name" = ooo ] && back=240000
    echo "--min-time=$((hmin - back)) --max-time=$(((hmin + hmax) / 2))" >"$base.dump-range.args"
    # shellcheck disable=SC2046
    promtool_run "$base.dump-range.txt" "$name" dump $(cat "$base.dump-range.args")

    if [ "$(count_blocks "$dir")" -gt 0 ]; then
        promtool_run "$base.list.txt" "$name" list
    fi
    echo "$name: $(du -sh --apparent-size "$dir" | cut -f1) ($(du -sh "$dir" | cut -f1) on disk), $(wc -l <"$base.dump.txt" 2>/dev/null || echo no) dump lines"
done
echo "done"
