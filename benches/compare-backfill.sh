#!/usr/bin/env bash
# Times `tsblock-write openmetrics` against `promtool tsdb create-blocks-from openmetrics` on
# the same OpenMetrics input with hyperfine, and prints each one's peak memory (GNU time).
# Usage: benches/compare-backfill.sh [INPUT.om]   (default: a generated 2M-sample input)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in promtool hyperfine /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y prometheus hyperfine time)" >&2; exit 1; }
done
cargo build --release --quiet -p tsblock-tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
input=${1:-}
if [ -z "$input" ]; then
    input=$work/input.om
    python3 - "$input" <<'PY'
import random, sys
random.seed(2)
with open(sys.argv[1], "w") as f:
    for s in range(2000):
        t, v = 1700000000.0, random.random() * 100
        for _ in range(1000):
            t += 15 + random.randint(-50, 50) / 1000
            v += random.randint(-50, 50)
            f.write(f'node_cpu_seconds_total{{cpu="{s % 16}",instance="host-{s // 16}:9100",mode="m{s % 7}"}} {v} {t:.3f}\n')
    f.write("# EOF\n")
PY
fi
echo "input: $input ($(du -h "$input" | cut -f1))"
hyperfine --warmup 1 --runs 5 \
    --prepare "rm -rf $work/a $work/b" \
    "target/release/tsblock-write openmetrics --quiet $input $work/a" \
    "promtool tsdb create-blocks-from openmetrics --quiet $input $work/b"
for cmd in "target/release/tsblock-write openmetrics --quiet $input $work/a" \
           "promtool tsdb create-blocks-from openmetrics --quiet $input $work/b"; do
    rm -rf "$work/a" "$work/b"
    /usr/bin/time -f "%M KiB peak RSS: $cmd" $cmd
done
