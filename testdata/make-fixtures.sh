#!/usr/bin/env bash
# Regenerate every fixture under testdata/ with the real Prometheus tools:
#   inputs/*.om      (from gen-inputs.py)
#   blocks/<name>/   promtool tsdb create-blocks-from openmetrics [inputs/<name>.args] ...
#   blocks/tombstones/  a copy of blocks/tombstones-base/ after admin-API deletions made
#                       by a real Prometheus server (inputs/tombstones.deletions)
#   expected/<name>.{dump,list,list-r}.txt  and, for a few fixtures, .dump-range.{args,txt},
#                    for every block directory, including those tsblock-write made
#   expected/<name>.match-<k>.dump.txt  promtool tsdb dump --match=<line k of selectors/<name>.txt>
#
# Needs: promtool and prometheus 2.42 (Debian: apt-get install -y prometheus), python3.
# Block ULIDs (directory names, meta.json) change on every run; nothing else should.
set -euo pipefail

cd "$(dirname "$0")"
TESTDATA=$(pwd)

for tool in promtool prometheus python3; do
    command -v "$tool" >/dev/null || { echo "make-fixtures: $tool not found" >&2; exit 1; }
done
echo "using $(promtool --version 2>&1 | head -1)"

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

# Time ranges for the dump-range expectations (inclusive bounds, ms). Each cuts through
# the middle of chunks; see README.md for what each bound hits. They depend on the data
# gen-inputs.py writes: re-check them if you change it.
range_args() {
    case "$1" in
        # X = a sample of scrape_duration_seconds{host-01} in its 2nd chunk,
        # Y = a sample of scrape_duration_seconds{host-00} in its 3rd chunk.
        many-series) echo "--min-time=1699998289975 --max-time=1700000088880" ;;
        # X between two samples in block 2 (mb_middle's 1st chunk), Y = a sample of
        # mb_full and mb_late in block 4 (mb_late's 1st chunk).
        multi-block) echo "--min-time=1700008000001 --max-time=1700022600000" ;;
        # X between samples, Y inside a deleted window (ts_two_windows), both mid-chunk.
        tombstones) echo "--min-time=1700000062500 --max-time=1700003250000" ;;
        # X = a sample in the 1969 block, Y = a sample just after 1970-01-01T00:00:01Z.
        negative-ts) echo "--min-time=-10800000 --max-time=1000" ;;
        *) echo "" ;;
    esac
}

# Keep only the ULID-named block directories of a data directory.
keep_blocks_only() {
    local dir=$1 entry
    for entry in "$dir"/* "$dir"/.[!.]*; do
        [ -e "$entry" ] || continue
        if [[ ! -d "$entry" || ! "$(basename "$entry")" =~ ^[0-9A-HJKMNP-TV-Z]{26}$ ]]; then
            rm -rf "$entry"
        fi
    done
    for entry in "$dir"/*; do
        for f in meta.json index chunks/000001 tombstones; do
            [ -f "$entry/$f" ] || { echo "make-fixtures: $entry/$f missing" >&2; exit 1; }
        done
    done
}

# expected/<name>.* from promtool, run on a copy of blocks/<name> with an empty wal/
# (promtool 2.42's dump fails without one; dump also creates chunks_head/ in the copy).
write_expected() {
    local name=$1 copy="$WORK/expected-$1" range
    rm -rf "$copy"
    cp -a "blocks/$name" "$copy"
    mkdir "$copy/wal"
    promtool tsdb dump "$copy" >"expected/$name.dump.txt"
    promtool tsdb list "$copy" >"expected/$name.list.txt"
    promtool tsdb list -r "$copy" >"expected/$name.list-r.txt"
    range=$(range_args "$name")
    if [ -n "$range" ]; then
        echo "$range" >"expected/$name.dump-range.args"
        # shellcheck disable=SC2086 # two flags, split on purpose
        promtool tsdb dump $range "$copy" >"expected/$name.dump-range.txt"
    fi
    # One dump per selector of selectors/<name>.txt: expected/<name>.match-<line>.dump.txt
    rm -f "expected/$name".match-*.dump.txt
    if [ -f "selectors/$name.txt" ]; then
        local n=0 sel
        while IFS= read -r sel; do
            n=$((n + 1))
            promtool tsdb dump --match="$sel" "$copy" >"expected/$name.match-$n.dump.txt"
        done <"selectors/$name.txt"
    fi
}

make_from_input() {
    local name=$1 args=()
    if [ -f "inputs/$name.args" ]; then
        read -r -a args <"inputs/$name.args"
    fi
    rm -rf "blocks/$name"
    promtool tsdb create-blocks-from openmetrics "${args[@]}" "inputs/$name.om" "blocks/$name" \
        >"$WORK/$name.create.log"
    keep_blocks_only "blocks/$name"
    echo "blocks/$name: $(ls "blocks/$name" | wc -l) block(s)"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http() { # http METHOD URL -> prints the status code
    python3 - "$1" "$2" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[2], method=sys.argv[1])
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode(errors="replace"), file=sys.stderr)
    print(e.code)
except OSError:
    print(0)
EOF
}

# tombstones: run a real Prometheus server over a copy of the tombstones-base block and
# delete series through the admin API; keep the block with its tombstones file.
make_tombstones() {
    local data="$WORK/tombstones-data" port base ready=0 status line
    rm -rf "$data" blocks/tombstones
    mkdir -p "$data"
    cp -a blocks/tombstones-base/. "$data/"
    [ "$(ls "$data" | wc -l)" -eq 1 ] || { echo "tombstones-base must be a single block" >&2; exit 1; }
    printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$WORK/prometheus.yml"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    # Huge retention and one block: nothing to compact or drop.
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$data" \
        --web.listen-address="127.0.0.1:$port" --web.enable-admin-api \
        --storage.tsdb.retention.time=100000d >"$WORK/prometheus.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        if [ "$(http GET "$base/-/ready")" = 200 ]; then ready=1; break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    if [ "$ready" != 1 ]; then
        cat "$WORK/prometheus.log" >&2
        echo "make-fixtures: prometheus did not become ready" >&2
        exit 1
    fi
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        status=$(http POST "$base/api/v1/admin/tsdb/delete_series?$(urlencode_query "$line")")
        [ "$status" = 204 ] || { echo "delete_series $line: HTTP $status" >&2; exit 1; }
    done <inputs/tombstones.deletions
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || { cat "$WORK/prometheus.log" >&2; echo "prometheus exited badly" >&2; exit 1; }
    SERVER_PID=
    mkdir -p blocks/tombstones
    for block in "$data"/*/; do
        block=${block%/}
        [[ "$(basename "$block")" =~ ^[0-9A-HJKMNP-TV-Z]{26}$ ]] || continue
        cp -a "$block" blocks/tombstones/
    done
    keep_blocks_only blocks/tombstones
    [ "$(ls blocks/tombstones | wc -l)" -eq 1 ] || { echo "tombstones: expected one block" >&2; exit 1; }
    local tomb size
    tomb=$(echo blocks/tombstones/*/tombstones)
    size=$(stat -c %s "$tomb")
    [ "$size" -gt 9 ] || { echo "tombstones: $tomb is empty ($size bytes)" >&2; exit 1; }
    if [ "$(basename "$(dirname "$tomb")")" != "$(ls blocks/tombstones-base)" ]; then
        echo "tombstones: the server replaced the block (compaction?)" >&2; exit 1
    fi
    echo "blocks/tombstones: tombstones file $size bytes"
}

# URL-encode the values of a query string like match[]={a=~"x"}&start=1.5
urlencode_query() {
    python3 - "$1" <<'EOF'
import sys, urllib.parse
pairs = [p.split("=", 1) for p in sys.argv[1].split("&")]
print("&".join(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe="") for k, v in pairs))
EOF
}

# `make-fixtures.sh --expected NAME…` only rewrites expected/NAME.* from blocks/NAME.
if [ "${1:-}" = --expected ]; then
    shift
    for name in "$@"; do
        write_expected "$name"
    done
    exit 0
fi

python3 gen-inputs.py
mkdir -p blocks expected
# Only the fixtures made here are replaced; blocks/spec-* come from tsblock-write
# (tools/regen-testdata.sh) and only get their expected outputs from promtool here.
for input in inputs/*.om; do
    name=$(basename "$input" .om)
    rm -rf "blocks/$name" "expected/$name".*
    make_from_input "$name"
done
rm -rf expected/tombstones.*
make_tombstones
for dir in blocks/*/; do
    write_expected "$(basename "$dir")"
done
echo "done: $(du -sh "$TESTDATA" | cut -f1) in $TESTDATA"
