#!/usr/bin/env bash
# Makes a block the way a real server does: Prometheus 2.42 (Debian's `prometheus`) on
# 127.0.0.1 scrapes itself as twelve jobs every second (about 6,700 series), with 5-minute
# blocks compacted to 15 minutes, until its first compacted block (level 2: 10 to 15
# minutes and 4 to 6 M samples, by when the server started) appears; that block is copied
# to OUT_DIR (a data directory, with the empty wal/ promtool wants) and the server is
# stopped.
#
# Usage: benches/real-block.sh OUT_DIR        (takes 20 to 35 minutes)
#   RANGE_MINUTES=1 makes 1-minute blocks compacted to 3 minutes (a quick check of the
#   script: a level-2 block in about 6 minutes).
# Then:  benches/compare-promtool.sh OUT_DIR
#        TSBLOCK_XOR_BLOCK=OUT_DIR TSBLOCK_XOR_CORPUS=/tmp/xor cargo bench --bench xor
set -euo pipefail
out=${1:?usage: real-block.sh OUT_DIR}
command -v prometheus >/dev/null || { echo "needs prometheus (apt-get install -y prometheus)" >&2; exit 1; }
range=${RANGE_MINUTES:-5}
work=$(mktemp -d)
pid=
ok=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$ok" ] || tail -5 "$work/prometheus.log" >&2; rm -rf "$work"' EXIT
{
    echo "scrape_configs:"
    for i in $(seq 0 11); do
        cat <<EOF
  - job_name: self$i
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:19090']
        labels:
          replica: r$i
EOF
    done
} >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --storage.tsdb.min-block-duration="${range}m" --storage.tsdb.max-block-duration="$((3 * range))m" \
    --web.listen-address=127.0.0.1:19090 >"$work/prometheus.log" 2>&1 &
pid=$!
for _ in $(seq 2700); do
    sleep 1
    block=$(grep -l '"level": 2' "$work"/data/*/meta.json 2>/dev/null | head -1 || true)
    if [ -n "$block" ]; then
        dir=$(dirname "$block")
        # Give the compaction time to finish writing (meta.json is written last).
        sleep 5
        mkdir -p "$out/wal"
        cp -r "$dir" "$out/"
        echo "$out/$(basename "$dir")"
        ok=1
        exit 0
    fi
done
echo "no compacted block after 45 minutes; the server's log ends:" >&2
exit 1
