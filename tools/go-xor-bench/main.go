// Command go-xor-bench times Prometheus v2.42's own XOR decoder (tsdb/chunkenc) on chunk
// corpora that tsblock's `cargo bench --bench xor` writes (TSBLOCK_XOR_CORPUS=DIR), so the
// two decoders are measured on the very same bytes.
//
// A corpus file is a sequence of chunks, each a 4-byte big-endian length and the chunk's
// data (as in a block segment: the 2-byte sample count, then the bit stream). For every
// file it decodes all chunks with chunkenc.FromData(EncXOR, …).Iterator(…), reusing the
// iterator as Prometheus's queriers do, folds every sample into a checksum (so nothing is
// optimised away) and prints the best of 30 runs (after 5 to warm up) as ns/sample, with
// the checksum and the sample count:
//
//	GOPATH=/tmp/tsblock-gopath GO111MODULE=off go run main.go DIR/*.chunks
//
// It needs Prometheus v2.42's chunkenc in that GOPATH: see setup.sh (Go 1.19).
package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

func load(path string) [][]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var out [][]byte
	for len(b) >= 4 {
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func decode(chunks [][]byte, it chunkenc.Iterator) (uint64, int, chunkenc.Iterator) {
	var acc uint64
	n := 0
	for _, c := range chunks {
		chk, err := chunkenc.FromData(chunkenc.EncXOR, c)
		if err != nil {
			panic(err)
		}
		it = chk.Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			t, v := it.At()
			acc += math.Float64bits(v) ^ uint64(t)
			n++
		}
		if it.Err() != nil {
			panic(it.Err())
		}
	}
	return acc, n, it
}

func main() {
	for _, path := range os.Args[1:] {
		chunks := load(path)
		var it chunkenc.Iterator
		best := time.Duration(math.MaxInt64)
		var acc uint64
		var n int
		// Warm up (the first passes run cold), then keep the best of 30.
		for run := 0; run < 5; run++ {
			_, _, it = decode(chunks, it)
		}
		for run := 0; run < 30; run++ {
			start := time.Now()
			acc, n, it = decode(chunks, it)
			if d := time.Since(start); d < best {
				best = d
			}
		}
		fmt.Printf("%-24s %9d samples %7.2f ns/sample  checksum %016x\n",
			filepath.Base(path), n, float64(best.Nanoseconds())/float64(n), acc)
	}
}
