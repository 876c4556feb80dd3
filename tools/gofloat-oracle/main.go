// Command gofloat-oracle records what Go prints for floats with fmt's %g (what promtool
// tsdb dump prints for every sample value), as the reference for tsblock's formatter
// (src/compat/gofmt.rs).
//
// It writes, to stdout:
//
//   - one line per hand-picked edge case, "edge <float64 bits, 16 hex digits> <%g>":
//     zeros, specials, NaN payloads, subnormals, powers of ten and their neighbours, the
//     exponent-notation thresholds (1e-4, 1e-5, 1e6, 1e21) and their neighbours, the
//     integers around 2^53;
//   - two lines per generated family, "digest <family> <count> <fnv64a hex> <crc32c hex>":
//     the digests of the concatenated "%g\n" outputs of the first 100,000 and of all <count>
//     values drawn from a splitmix64 stream. The Rust test draws the same values (same generator, same
//     arithmetic) and compares the digests.
//
// Families: "bits" (uniform random bit patterns: every exponent, NaN payloads, infinities,
// subnormals), "decimal" (m / 10^p for random m of 1-17 digits and p in 0..=22, like
// gauges), "int" (random integers up to 2^63, like counters), "subnormal" (random
// subnormal bit patterns), "scaled" (random 1-17 digit m multiplied or divided by 10 |e|
// times, e in -330..=310).
//
//	GO111MODULE=off go run main.go -n 1000000 > ../../testdata/gofloat/go-g.txt
//
// (Go 1.19; standard library only.)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"math"
	"os"
)

type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// pow10 returns 10^p as the nearest float64, from the exact integer for p <= 22.
func pow10(p int) float64 {
	v := 1.0
	for i := 0; i < p; i++ {
		v *= 10
	}
	return v
}

// digits returns a random integer of 1..=17 decimal digits.
func digits(r *splitmix) uint64 {
	k := int(r.next()%17) + 1
	m := uint64(1)
	for i := 0; i < k; i++ {
		m *= 10
	}
	return r.next() % m
}

// family returns the digest lines of the first 100,000 values and of all n.
func family(name string, seed uint64, n int, gen func(r *splitmix) float64) string {
	r := &splitmix{seed}
	f := fnv.New64a()
	c := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	var out string
	for i := 0; i < n; i++ {
		s := fmt.Sprintf("%g\n", gen(r))
		f.Write([]byte(s))
		c.Write([]byte(s))
		if i+1 == 100000 && n > 100000 {
			out = fmt.Sprintf("digest %s %d %016x %08x\n", name, i+1, f.Sum64(), c.Sum32())
		}
	}
	return out + fmt.Sprintf("digest %s %d %016x %08x", name, n, f.Sum64(), c.Sum32())
}

func main() {
	n := flag.Int("n", 1000000, "values per generated family")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()

	var edges []float64
	add := func(v float64) {
		edges = append(edges, v, math.Nextafter(v, math.Inf(1)), math.Nextafter(v, math.Inf(-1)))
	}
	edges = append(edges, 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0x7ff0000000000002), math.Float64frombits(0xfff8000000000001),
		math.Float64frombits(1), math.Float64frombits(0x000fffffffffffff),
		math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64)
	for e := -330; e <= 310; e++ {
		add(math.Pow(10, float64(e)))
		add(-math.Pow(10, float64(e)))
		add(5 * math.Pow(10, float64(e)))
	}
	for _, v := range []float64{1e-4, 1e-5, 1e6, 1e21, 999999, 999999.5, 100000, 0.0001, 0.00001,
		123456789, 1 << 53, 1<<53 + 2, 1<<53 - 1, 1 << 63, 0.1, 0.2, 0.3, 2087000000000000.25} {
		add(v)
		add(-v)
	}
	for i := 0; i < 2000; i++ {
		add(float64(i))
		add(float64(i) / 10)
		add(float64(i) / 1000)
	}
	for _, v := range edges {
		fmt.Fprintf(w, "edge %016x %g\n", math.Float64bits(v), v)
	}

	fmt.Fprintln(w, family("bits", 1, *n, func(r *splitmix) float64 {
		return math.Float64frombits(r.next())
	}))
	fmt.Fprintln(w, family("decimal", 2, *n, func(r *splitmix) float64 {
		m := digits(r)
		p := int(r.next() % 23)
		v := float64(m) / pow10(p)
		if r.next()%2 == 1 {
			v = -v
		}
		return v
	}))
	fmt.Fprintln(w, family("int", 3, *n, func(r *splitmix) float64 {
		return float64(r.next() >> (r.next() % 64))
	}))
	fmt.Fprintln(w, family("subnormal", 4, *n, func(r *splitmix) float64 {
		return math.Float64frombits(r.next() & 0x800fffffffffffff)
	}))
	fmt.Fprintln(w, family("scaled", 5, *n, func(r *splitmix) float64 {
		// Scaled by repeated *10 or /10, so that the value depends on IEEE arithmetic
		// only, not on a library's pow.
		v := float64(digits(r))
		e := int(r.next()%641) - 330
		for ; e > 0; e-- {
			v *= 10
		}
		for ; e < 0; e++ {
			v /= 10
		}
		return v
	}))
}
