#!/usr/bin/env bash
# Regenerates every fixture in testdata/:
#   blocks/spec-*      tsblock-write json testdata/specs/spec-*.json, or every spec in
#                      testdata/specs/spec-*/ into one data directory (seeded: byte-for-byte
#                      reproducible, ULIDs included)
#   blocks/<input>     promtool 2.42 from testdata/inputs/*.om, and blocks/tombstones from a
#                      Prometheus 2.42 server (testdata/make-fixtures.sh)
#   expected/*         what promtool 2.42 prints for every block directory
# Without promtool/prometheus only the spec blocks are rebuilt (and must come out
# unchanged, since their expected outputs cannot be regenerated).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p tsblock-tools
# specs/NAME.json is one block in blocks/NAME; specs/NAME/*.json are several blocks (e.g.
# overlapping ones) in one data directory blocks/NAME.
for spec in testdata/specs/*; do
    name=$(basename "$spec" .json)
    rm -rf "testdata/blocks/$name"
    if [ -d "$spec" ]; then
        for part in "$spec"/*.json; do
            target/release/tsblock-write json --quiet "$part" "testdata/blocks/$name"
        done
    else
        target/release/tsblock-write json --quiet "$spec" "testdata/blocks/$name"
    fi
    echo "testdata/blocks/$name: $(ls "testdata/blocks/$name" | tr '\n' ' ')"
done

if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
    testdata/make-fixtures.sh
else
    echo "promtool/prometheus not installed (apt-get install -y prometheus):" >&2
    echo "promtool-made fixtures and expected outputs were not regenerated" >&2
    git diff --quiet -- testdata/blocks || {
        echo "spec blocks changed but their expected outputs cannot be regenerated" >&2
        exit 1
    }
fi
