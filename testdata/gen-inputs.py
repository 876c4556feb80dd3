#!/usr/bin/env python3
"""Write the OpenMetrics inputs of the tsblock fixtures (testdata/inputs/).

Deterministic: fixed seeds, no clock, standard library only.  Run from anywhere:

    python3 testdata/gen-inputs.py

For every fixture <name> this writes inputs/<name>.om and, when promtool needs extra
flags, inputs/<name>.args (one line, passed after `create-blocks-from openmetrics`).
The tombstones fixture also gets inputs/tombstones.deletions: the admin-API
delete_series queries that make-fixtures.sh sends to a Prometheus server running over a
copy of the tombstones-base block.

How promtool 2.42 reads these files (`create-blocks-from openmetrics`):
  * every sample needs a timestamp, in seconds; promtool stores int64(seconds * 1000),
    i.e. it truncates towards zero (1.0019 -> 1001 ms, -2.0005 -> -2000 ms).  The
    generator writes millisecond-exact decimals and checks that the truncation gives back
    the intended millisecond.
  * per series, a sample with a timestamp <= the previous one is dropped silently.
  * blocks are aligned to multiples of the block duration (2h unless
    --max-block-duration is given; the allowed durations are 2h * 3^k), and the first
    block starts at trunc(min_ts / duration) * duration (Go integer division truncates
    towards zero, so negative samples before that start are dropped silently).
  * a label with an empty value is dropped (Prometheus never stores empty values).
"""

import math
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "inputs")

SEC = 1000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR

# 2023-11-14T22:00:00Z, a multiple of 2h (and of 6h is 18:00 the same day).
T_2H = 1_699_999_200_000
# 2023-11-14T18:00:00Z, a multiple of 6h.
T_6H = 1_699_984_800_000
# 2023-11-22T00:00:00Z, a multiple of 1458h (= 2h * 3^6, about 60.75 days).
T_1458H = 1_700_611_200_000
assert T_2H % (2 * HOUR) == 0 and T_6H % (6 * HOUR) == 0
assert T_1458H % (1458 * HOUR) == 0


# ---------------------------------------------------------------------------------------
# Formatting helpers


def promtool_ms(text):
    """Milliseconds promtool 2.42 derives from a timestamp text: int64(float * 1000)."""
    return int(float(text) * 1000)  # Python int() truncates towards zero like Go's int64()


def ts_text(ms):
    """Seconds with millisecond decimals (no decimals when the millisecond part is 0)."""
    sign = "-" if ms < 0 else ""
    whole, frac = divmod(abs(ms), 1000)
    text = f"{sign}{whole}" + (f".{frac:03d}" if frac else "")
    assert promtool_ms(text) == ms, (text, ms)
    return text


def value_text(v):
    """OpenMetrics value text that Go's strconv.ParseFloat reads back bit-exactly."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0" if math.copysign(1.0, v) < 0 else "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)  # shortest round-trip repr, e.g. 1e-05, 5e-324, 1.7976931348623157e+308


def escape_label_value(s):
    """OpenMetrics escapes exactly three characters; everything else is written raw."""
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_text(name, labels):
    if not labels:
        return name
    body = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in labels)
    return f"{name}{{{body}}}"


class Writer:
    """Collects the lines of one .om file."""

    def __init__(self):
        self.lines = []

    def comment(self, line):
        # Only # HELP / # TYPE / # UNIT metadata lines are allowed in OpenMetrics.
        self.lines.append(line)

    def series(self, name, labels, samples):
        """samples: list of (ms, float).  Timestamps must be strictly increasing."""
        head = series_text(name, labels)
        prev = None
        for ms, v in samples:
            assert prev is None or ms > prev, (head, prev, ms)
            prev = ms
            self.lines.append(f"{head} {value_text(v)} {ts_text(ms)}")

    def raw(self, line):
        self.lines.append(line)

    def save(self, name, args=None):
        with open(os.path.join(INPUTS, name + ".om"), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(self.lines) + "\n# EOF\n")
        args_path = os.path.join(INPUTS, name + ".args")
        if args:
            with open(args_path, "w", encoding="utf-8", newline="\n") as f:
                f.write(args + "\n")
        elif os.path.exists(args_path):
            os.remove(args_path)


def from_deltas(start, deltas):
    ts = [start]
    for d in deltas:
        assert d > 0
        ts.append(ts[-1] + d)
    return ts


def counter(ts, step=1.0):
    return [(t, i * step) for i, t in enumerate(ts)]


# ---------------------------------------------------------------------------------------
# 1. dod-buckets: XOR timestamp delta-of-delta buckets and their exact edges.
#
# XOR stores sample 0's timestamp as a varint, sample 1 as a uvarint delta and every later
# sample as dod = delta_n - delta_(n-1) in one of these buckets (asymmetric ranges):
#   '0' dod == 0 | '10'+14 bits -8191..8192 | '110'+17 bits -65535..65536
#   '1110'+20 bits -524287..524288 | '1111'+64 bits otherwise.
# One 1458h block (--max-block-duration=1458h) so that day- and 50-day jumps stay inside a
# single block and chunk; the edge dods all sit in the first 30 samples of a chunk, before
# the head starts predicting a chunk end.

BUCKET_EDGES = [1, 8191, 8192, 8193, 65535, 65536, 65537, 524287, 524288, 524289]


def dod_series(start, first_delta, dods):
    deltas = [first_delta]
    for dod in dods:
        deltas.append(deltas[-1] + dod)
    return from_deltas(start, deltas)


def gen_dod_buckets():
    w = Writer()
    t0 = T_1458H + HOUR
    rnd = random.Random(1)
    name = "xor_dod"

    def add(case, ts, step=1.0):
        w.series(name, [("case", case)], counter(ts, step))

    add("single", [t0])
    add("two_delta_127", [t0, t0 + 127])  # 1-byte uvarint delta
    add("two_delta_128", [t0, t0 + 128])  # 2-byte uvarint delta
    add("two_delta_50d", [t0, t0 + 50 * DAY])  # 5-byte uvarint delta (> 2^32 ms)
    add("three_dod_plus1", [t0, t0 + 15 * SEC, t0 + 30 * SEC + 1])
    add("three_dod_minus1", [t0, t0 + 15 * SEC, t0 + 30 * SEC - 1])
    add("zero", from_deltas(t0, [15 * SEC] * 149))  # 150 samples, dod 0, two chunks

    # Every bucket edge as +x then -x (and the reverse), with a dod 0 between pairs.
    base = 10 * MIN  # 600000 ms > 524289, so every delta stays positive
    pos_first, neg_first = [], []
    for x in BUCKET_EDGES:
        pos_first += [x, -x, 0]
        neg_first += [-x, x, 0]
    add("edges_pos_first", dod_series(t0, base, pos_first))
    add("edges_neg_first", dod_series(t0, base, neg_first))

    # Consecutive milliseconds (delta 1, dod 0), then dod +1/-1 wiggles around delta 2.
    add("ms_steps", dod_series(t0, 1, [0] * 20 + [1] + [0] * 5 + [1, -1] * 5 + [-1]))

    # Shrinking deltas 2^30 .. 1 ms (negative dods in every bucket), then growing 1 .. 2^21.
    deltas = [1 << k for k in range(30, -1, -1)] + [1 << k for k in range(1, 22)]
    add("shrink_then_grow", from_deltas(t0, deltas))

    # Big jumps: an hour, a day, a week and 50 days (a dod beyond 32 bits) between scrapes.
    s = 15 * SEC
    add("big_jumps", from_deltas(t0, [s, s, HOUR, s, s, DAY, s, s, 7 * DAY, s, s, 50 * DAY, s, s]))

    # Random dods drawn from every bucket (edges included), deltas kept in [1 ms, 2 h].
    ranges = [(0, 0), (-8191, 8192), (-65535, 65536), (-524287, 524288), (-HOUR, HOUR)]
    deltas = [15 * SEC]
    while len(deltas) < 250:
        lo, hi = ranges[rnd.randrange(len(ranges))]
        dod = rnd.choice([lo, hi, rnd.randint(lo, hi)])
        if not 1 <= deltas[-1] + dod <= 2 * HOUR:
            dod = -dod
        if not 1 <= deltas[-1] + dod <= 2 * HOUR:
            continue
        deltas.append(deltas[-1] + dod)
    add("random_buckets", from_deltas(t0, deltas))

    # A realistic 15s scrape with +-500 ms jitter: small dods of both signs, 3 chunks.
    ts = [t0 + i * 15 * SEC + rnd.randint(-500, 500) for i in range(300)]
    add("jitter_15s", ts, step=0.5)

    w.save("dod-buckets", "--max-block-duration=1458h")


# ---------------------------------------------------------------------------------------
# 2. values: special floats, %g formatting boundaries, XOR value-encoding corner cases.


def f64(bits):
    return struct.unpack(">d", struct.pack(">Q", bits))[0]


def gen_values():
    w = Writer()
    t0 = T_2H + 5 * MIN
    rnd = random.Random(2)

    def add(case, values):
        w.series("val", [("case", case)], [(t0 + i * 15 * SEC, v) for i, v in enumerate(values)])

    inf, nan = math.inf, math.nan
    add("nan_inf", [nan, inf, -inf, nan, nan, 1.0, nan, inf, inf, -inf, -inf, 0.0, nan])
    add("starts_with_nan", [nan, 1.0, 2.0])
    add("starts_with_inf", [-inf, -inf, 0.0])
    # 0 and -0 differ only in the sign bit (XOR = 0x8000000000000000: 1 significant bit).
    add("zero_negzero", [0.0, -0.0, 0.0, -0.0, -0.0, 0.0, 0.0, -0.0])
    add("starts_with_negzero", [-0.0, 0.0, 1.0])
    smallest_normal = 2.2250738585072014e-308
    largest_subnormal = f64(0x000FFFFFFFFFFFFF)
    add("subnormal", [
        5e-324,                      # 0x0000000000000001, smallest subnormal
        -0.0,                        # XOR 0x8000000000000001: 64 significant bits (written as 0)
        1e-323,                      # 2 * smallest
        largest_subnormal,           # 2.225073858507201e-308
        smallest_normal,             # 2.2250738585072014e-308
        f64(0x0010000000000001),     # 2.225073858507202e-308
        -5e-324,
        1e-310,
        -largest_subnormal,
        4.9406564584124654e-324,     # same as 5e-324
        0.0,
    ])
    max_f = 1.7976931348623157e308
    add("huge", [max_f, -max_f, f64(0x7FEFFFFFFFFFFFFE), 1e300, -1e300, 1e308, 8.98846567431158e307, 1e22, 1e21])
    # Go %g switches to exponent form when exp < -4 or exp >= 6 (shortest digits).
    add("format_boundaries", [
        1e-05, 0.0001, 0.00012345, 1.2345e-05, 9.999e-05, 0.001, 0.1, 0.5,
        99999.9, 100000.0, 999999.0, 999999.9, 1e6, 1000001.0, 123456.7, 1234567.0,
        12345678.9, 1e7, -1e-05, -0.0001, -100000.0, -1e6, 1 / 3, 2 / 3, 0.1 + 0.2,
        1e21, 1e20, 123456789012345680.0, 1.5e-07, 3.0e-100, 6.02214076e23,
    ])
    two53 = 2.0 ** 53
    add("integers", [0.0, 1.0, -1.0, 2.0, 10.0, 42.0, 255.0, 256.0, 65535.0, 65536.0,
                     4294967295.0, 4294967296.0, two53 - 1, two53, two53 + 2, -two53,
                     2.0 ** 63, 2.0 ** 64, 1e15, 1e16, 12345678901234567890.0])
    # Smallest possible change: XOR with 63 leading zeros (the 5-bit field clamps to 31).
    one_up = f64(0x3FF0000000000001)
    add("last_bit_flips", [1.0, one_up, 1.0, one_up, one_up, 1.0, 2.0, f64(0x4000000000000001)])
    add("constant", [42.0] * 150)  # value XOR 0 on every sample, two chunks
    add("alternating", [1.0, 2.0] * 40)
    add("alternating_nan", [0.0, nan] * 20)
    add("alternating_sign", [1.5, -1.5] * 20)
    # Random floats of several kinds (multiple chunks; leading/trailing window reuse).
    vals = []
    for i in range(300):
        kind = i % 5
        if kind == 0:
            vals.append(rnd.random())
        elif kind == 1:
            vals.append(round(rnd.gauss(0, 1e6), 2))
        elif kind == 2:
            vals.append(float(rnd.randint(-10**9, 10**9)))
        elif kind == 3:
            v = f64(rnd.getrandbits(64))
            vals.append(v if math.isfinite(v) else 0.25)
        else:
            vals.append(rnd.uniform(-1, 1) * 10 ** rnd.randint(-30, 30))
    add("random", vals)
    # A counter that mostly rises and resets twice.
    c, vals = 0.0, []
    for i in range(200):
        c = 0.0 if i in (77, 150) else c + rnd.choice([0, 1, 1, 2, 5, 17.5])
        vals.append(c)
    add("counter_with_resets", vals)
    # A gauge that moves in small steps (XOR windows reused).
    g, vals = 100.0, []
    for _ in range(200):
        g = round(g + rnd.choice([-0.25, 0, 0.25, 0.5]), 2)
        vals.append(g)
    add("gauge_steps", vals)

    w.save("values")


# ---------------------------------------------------------------------------------------
# 3. labels: escaping, Unicode, names, ordering, long values, many labels.


def gen_labels():
    w = Writer()
    t0 = T_2H + 7 * MIN
    times = [t0, t0 + 15 * SEC]

    def add(name, labels, n=2):
        w.series(name, labels, [(t, float(i + 1)) for i, t in enumerate(times[:n])])

    # Values that need escaping in OpenMetrics (\" \\ \n) and in Go's strconv.Quote.
    values = [
        ("quote", 'say "hi"'),
        ("backslash", "C:\\path\\to"),
        ("newline", "line1\nline2"),
        ("all_three", 'a"b\\c\nd'),
        ("backslash_n_literal", "\\n is not a newline"),  # written as \\n in the input
        ("backslash_t_literal", "\\t"),  # written as \t: OpenMetrics keeps unknown escapes verbatim
        ("only_quote", '"'),
        ("only_backslash", "\\"),
        ("trailing_backslash", "end\\"),
        ("tab", "a\tb"),  # raw TAB in the input, \t in promtool's output
        ("carriage_return", "a\rb"),
        ("escape_char", "\x1b[0m"),
        ("control_01", "a\x01b"),
        ("del_7f", "a\x7fb"),
        ("space", " "),
        ("spaces_inside", "  two  spaces  "),
        ("latin1", "café é ü ß"),
        ("cjk", "日本語"),
        ("emoji", "😀 🚀"),  # printable astral runes (Unicode <= 13, so Go 1.19 agrees)
        ("nbsp_00a0", "a\u00a0b"),  # not printable for strconv.Quote -> \u00a0
        ("zwsp_200b", "a\u200bb"),
        ("line_sep_2028", "a\u2028b"),
        ("bom_feff", "\ufeffx"),
        ("nel_0085", "a\u0085b"),
        ("tag_e0001", "a\U000e0001b"),  # -> \U000e0001
        ("noncharacter_10ffff", "a\U0010ffffb"),
        ("mixed", 'ü"\\\n\t\u00a0😀'),
        ("looks_like_json", '{"a": [1, 2]}'),
        ("equals_comma_brace", "a=b,c}d{"),
        ("hash", "# not a comment"),
    ]
    for case, v in values:
        add("label_value", [("case", case), ("v", v)])

    # An empty value drops the label: this series is stored as label_empty{b="x"}.
    add("label_empty", [("a", ""), ("b", "x")])

    # Label names: upper case, underscores, digits, reserved-looking prefixes.
    add("label_names", [("ABC", "1"), ("Z", "2"), ("_", "3"), ("__reserved__", "4"),
                        ("_leading", "5"), ("a1_B2", "6"), ("lower", "7"), ("x__y", "8")])

    # Metric names.
    for name in ["Upper_Case_Metric", "ns:subsystem:rate5m", "_underscore_first", "a", "z_last"]:
        add(name, [("kind", "metric_name")])

    # labels.Compare ordering: names first, then values, then the number of labels.
    for labels in [
        [("a", "1")], [("a", "1"), ("b", "2")], [("a", "10")], [("a", "1\n")], [("A", "1")],
        [("a", "2")], [("b", "0")], [("a", "é")], [("a", "z")], [("a", "Z")], [("a", "1 ")],
        [("a", "1"), ("c", "0")], [("aa", "0")], [("a_", "0")], [("a", "~")],
    ]:
        add("sort_order", labels, n=1)

    # Long values around the uvarint length boundaries (127/128 and 16383/16384 bytes).
    for n in [127, 128, 1000, 16383, 16384]:
        add("long_value", [("len", str(n)), ("v", ("0123456789abcdef" * (n // 16 + 1))[:n])], n=1)
    add("long_value", [("len", "utf8_3000"), ("v", "é日" * 600)], n=1)  # 3000 bytes, 1200 runes

    # Many labels per series.
    add("many_labels", [(f"l{i:02d}", f"value_{i}") for i in range(40)])
    add("many_labels", [(f"L{i:03d}", "x" * (i % 7 + 1)) for i in range(100)], n=1)

    # Metadata lines are accepted and ignored; histogram-style families are plain floats.
    w.comment("# HELP label_meta_seconds A metric with metadata.")
    w.comment("# TYPE label_meta_seconds gauge")
    w.comment("# UNIT label_meta_seconds seconds")
    add("label_meta_seconds", [("with", "metadata")])
    w.comment("# TYPE label_hist histogram")
    for le in ["0.005", "0.1", "1", "10", "+Inf"]:
        add("label_hist_bucket", [("le", le)])
    add("label_hist_count", [])
    add("label_hist_sum", [])

    w.save("labels")


# ---------------------------------------------------------------------------------------
# 4. many-series: >1000 series, 15s scrapes with jitter, a few 500-sample series.


def gen_many_series():
    w = Writer()
    rnd = random.Random(4)
    start = T_6H + 3 * HOUR  # 2023-11-14T21:00:00Z; one 6h block [18:00, 24:00)
    instances = [f"host-{i:02d}" for i in range(20)]
    offset = {inst: rnd.randint(0, 14_999) for inst in instances}
    jitter = random.Random(40)
    scrapes = 500
    # Scrape timestamps per instance: 15s apart, +-25 ms jitter, fixed phase per instance.
    sched = {
        inst: [start + offset[inst] + k * 15 * SEC + jitter.randint(-25, 25) for k in range(scrapes)]
        for inst in instances
    }

    def short_window():
        # Most series are only present for a few scrapes somewhere in the 2h.
        first = rnd.randrange(scrapes - 12)
        return range(first, first + rnd.randint(1, 6))

    # 240 series: http_requests_total{code, instance, job, method}
    for inst in instances:
        for method in ["DELETE", "GET", "POST", "PUT"]:
            for code in ["200", "404", "500"]:
                ks = short_window()
                c = float(rnd.randint(0, 10**6))
                samples = []
                for k in ks:
                    c += rnd.randint(0, 50)
                    samples.append((sched[inst][k], c))
                w.series("http_requests_total",
                         [("code", code), ("instance", inst), ("job", "api"), ("method", method)],
                         samples)
    # 240 series: a classic histogram's buckets.
    les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
    for inst in instances:
        ks = short_window()
        for j, le in enumerate(les):
            w.series("http_request_duration_seconds_bucket",
                     [("instance", inst), ("job", "api"), ("le", le)],
                     [(sched[inst][k], float(100 * (j + 1) + k)) for k in ks])
    # 480 series: node_cpu_seconds_total{cpu, instance, mode}
    for inst in instances:
        for cpu in range(8):
            for mode in ["idle", "system", "user"]:
                ks = short_window()
                v = round(rnd.uniform(0, 1e5), 2)
                samples = []
                for k in ks:
                    v = round(v + rnd.uniform(0, 15), 2)
                    samples.append((sched[inst][k], v))
                w.series("node_cpu_seconds_total",
                         [("cpu", str(cpu)), ("instance", inst), ("mode", mode)], samples)
    # 20 series: up, 30 scrapes each with a few failures.
    for inst in instances:
        samples = [(sched[inst][k], 0.0 if rnd.random() < 0.05 else 1.0) for k in range(30)]
        w.series("up", [("instance", inst), ("job", "node")], samples)
    # 6 long series: every scrape (500 samples, several chunks each).
    for inst in instances[:6]:
        samples = [(t, round(rnd.uniform(0.001, 0.2), 6)) for t in sched[inst]]
        w.series("scrape_duration_seconds", [("instance", inst), ("job", "node")], samples)
    # 14 longer series with gaps (missed scrapes), counters.
    for inst in instances[6:]:
        c, samples = 0.0, []
        for t in sched[inst][100:200]:
            if rnd.random() < 0.1:
                continue
            c += rnd.randint(100, 5000)
            samples.append((t, c))
        w.series("node_network_receive_bytes_total",
                 [("device", "eth0"), ("instance", inst)], samples)

    # 20 single-sample series.
    for i, inst in enumerate(instances):
        w.series("build_info", [("instance", inst), ("version", f"2.{i % 4}.{i}")],
                 [(sched[inst][rnd.randrange(scrapes)], 1.0)])

    w.save("many-series", "--max-block-duration=6h")


# ---------------------------------------------------------------------------------------
# 5. multi-block: ~7h of data, default 2h blocks -> 4 blocks.


def gen_multi_block():
    w = Writer()
    rnd = random.Random(5)
    b = T_2H  # block boundaries at b, b+2h, b+4h, b+6h
    w.series("mb_full", [("job", "a")], [(t, float(i)) for i, t in
                                         enumerate(range(b + 30 * MIN, b + 7 * HOUR + 30 * MIN + 1, MIN))])
    w.series("mb_boundary", [("job", "a")], [
        (b + 2 * HOUR - 1, 1.0), (b + 2 * HOUR, 2.0), (b + 2 * HOUR + 1, 3.0),
        (b + 4 * HOUR - 1, 4.0), (b + 4 * HOUR, 5.0), (b + 6 * HOUR - 1, 6.0),
    ])
    w.series("mb_early", [("job", "b")], [(t, round(rnd.random(), 4)) for t in
                                          range(b + 40 * MIN, b + 3 * HOUR, 30 * SEC)])
    w.series("mb_late", [("job", "b")], [(t, round(rnd.random(), 4)) for t in
                                         range(b + 6 * HOUR, b + 7 * HOUR + 30 * MIN, 30 * SEC)])
    w.series("mb_middle", [("job", "b")], [(t, float(k)) for k, t in
                                           enumerate(range(b + 2 * HOUR + 10 * MIN, b + 3 * HOUR + 50 * MIN, 20 * SEC))])
    # Present in blocks 1 and 3, absent from block 2.
    w.series("mb_gap", [("job", "c")],
             [(t, 1.0) for t in range(b + 1 * HOUR, b + 2 * HOUR, 5 * MIN)]
             + [(t, 3.0) for t in range(b + 4 * HOUR, b + 5 * HOUR, 5 * MIN)])
    # 30 series with one sample per block each, at random positions.
    end = b + 7 * HOUR + 30 * MIN
    for i in range(30):
        samples = []
        for blk in range(4):
            lo = b + blk * 2 * HOUR + (30 * MIN if blk == 0 else 0)
            hi = min(b + (blk + 1) * 2 * HOUR, end)
            samples.append((rnd.randrange(lo, hi), float(blk)))
        w.series("mb_each_block", [("i", f"{i:02d}")], samples)
    w.save("multi-block")


# ---------------------------------------------------------------------------------------
# 6. tombstones-base (also the starting point of the tombstones fixture).


def gen_tombstones_base():
    w = Writer()
    rnd = random.Random(6)
    t0 = T_2H + 10 * MIN
    ts = [t0 + k * 15 * SEC for k in range(300)]  # 75 minutes, 3 chunks per series
    for name in ["ts_whole", "ts_window", "ts_two_windows", "ts_adjacent", "ts_overlapping", "ts_keep"]:
        w.series(name, [("job", "t")], [(t, float(k)) for k, t in enumerate(ts)])
    for i in range(3):
        w.series("ts_regex", [("i", str(i)), ("job", "t")],
                 [(t, round(rnd.uniform(0, 100), 3)) for t in ts])
    w.save("tombstones-base")

    # Deletions sent to the admin API (one query string per line; times in seconds).
    # Intervals are closed; Prometheus clamps them to the series' chunk range.
    def s(ms):
        return ts_text(ms)

    def k(i):  # timestamp of the i-th scrape
        return ts[i]

    regex_selector = '{__name__=~"ts_regex",i=~"0|2"}'
    deletions = [
        # A whole series (no start/end).
        "match[]=ts_whole",
        # One window in the middle of the first chunk, not on sample timestamps.
        f"match[]=ts_window&start={s(k(20) + 7_000)}&end={s(k(41) + 3_000)}",
        # Two windows on one series: inside chunk 1, and across the chunk 2/3 border.
        f"match[]=ts_two_windows&start={s(k(10))}&end={s(k(15))}",
        f"match[]=ts_two_windows&start={s(k(200) + 1)}&end={s(k(260) - 1)}",
        # Adjacent windows ([a,b] and [b+1 ms,c]; merged when read).
        f"match[]=ts_adjacent&start={s(k(50))}&end={s(k(60))}",
        f"match[]=ts_adjacent&start={s(k(60) + 1)}&end={s(k(70))}",
        # Overlapping windows.
        f"match[]=ts_overlapping&start={s(k(100))}&end={s(k(130))}",
        f"match[]=ts_overlapping&start={s(k(120))}&end={s(k(150))}",
        # A regex selector over several series; window running past the last sample.
        f"match[]={regex_selector}&start={s(k(280) + 500)}&end={s(k(299) + HOUR)}",
        # Matches nothing: no tombstone.
        f"match[]=does_not_exist&start={s(k(0))}&end={s(k(10))}",
    ]
    with open(os.path.join(INPUTS, "tombstones.deletions"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(deletions) + "\n")


# ---------------------------------------------------------------------------------------
# 7. negative-ts: timestamps before 1970, across 0, and promtool's timestamp truncation.


def gen_negative_ts():
    w = Writer()
    # Earliest sample exactly on a block start (-4h): earlier samples would be dropped.
    w.series("neg", [("case", "before_1970")],
             [(t, float(i)) for i, t in enumerate(range(-4 * HOUR, -2 * HOUR, 10 * MIN))])
    w.series("neg", [("case", "across_zero")], [
        (-2 * HOUR, 1.0), (-HOUR - 500, 2.0), (-1500, 3.0), (-1000, 4.0), (-999, 5.0), (-1, 6.0),
        (0, 7.0), (1, 8.0), (999, 9.0), (1000, 10.0), (HOUR + 1, 11.0), (2 * HOUR, 12.0),
    ])
    w.series("neg", [("case", "ms_steps")], [(t, float(t)) for t in range(-20, 21)])
    # Sub-millisecond timestamp texts: promtool stores int64(seconds * 1000).
    head = series_text("neg", [("case", "truncated")])
    # -3.0019 -> -3001, -2.0005 -> -2000, -0.0009 -> 0, 0.0019 -> 1, 1.0019 -> 1001, ...
    texts = ["-3.0019", "-2.0005", "-0.0009", "0.0019", "1.0019", "2.9999", "5.00049"]
    stored = [promtool_ms(t) for t in texts]
    assert stored == [-3001, -2000, 0, 1, 1001, 2999, 5000], stored
    for v, text in enumerate(texts, start=1):
        w.raw(f"{head} {v} {text}")
    w.save("negative-ts")


def main():
    os.makedirs(INPUTS, exist_ok=True)
    gen_dod_buckets()
    gen_values()
    gen_labels()
    gen_many_series()
    gen_multi_block()
    gen_tombstones_base()
    gen_negative_ts()


if __name__ == "__main__":
    main()
