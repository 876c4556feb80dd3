#!/usr/bin/env bash
# Builds a GOPATH outside the repository with Prometheus v2.42.0's tsdb/chunkenc (and the
# two model packages it imports) taken from a Prometheus git checkout or mirror, plus a
# minimal github.com/pkg/errors (chunkenc only calls errors.Errorf). Nothing fetched is
# kept in this repository.
#
# Usage: tools/go-xor-bench/setup.sh PROMETHEUS_GIT_DIR [GOPATH_DIR]
#   GOPATH_DIR defaults to /tmp/tsblock-gopath.
set -euo pipefail
repo=${1:?usage: setup.sh PROMETHEUS_GIT_DIR [GOPATH_DIR]}
gopath=${2:-/tmp/tsblock-gopath}
dst=$gopath/src/github.com/prometheus/prometheus
for d in tsdb/chunkenc model/histogram model/value; do
    mkdir -p "$dst/$d"
    for f in $(git -C "$repo" ls-tree --name-only v2.42.0 "$d/" | grep '\.go$' | grep -v '_test\.go$'); do
        git -C "$repo" show "v2.42.0:$f" >"$dst/$f"
    done
done
mkdir -p "$gopath/src/github.com/pkg/errors"
cat >"$gopath/src/github.com/pkg/errors/errors.go" <<'GO'
// Package errors: the one function of github.com/pkg/errors that chunkenc v2.42 uses.
package errors

import "fmt"

// Errorf formats an error.
func Errorf(format string, args ...interface{}) error { return fmt.Errorf(format, args...) }
GO
echo "GOPATH ready: $gopath"
