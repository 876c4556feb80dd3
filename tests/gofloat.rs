//! Go's `%g` (what promtool prints for every sample value) against tsblock's formatter,
//! on the answers Go 1.19 recorded in `testdata/gofloat/go-g.txt`
//! (`tools/gofloat-oracle`): some 24,000 edge cases one by one, and five families of a
//! million generated values each through digests of the whole output.

use tsblock::compat::gofmt::{push_float_g, FloatG};

/// The oracle's splitmix64.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn pow10(p: u64) -> f64 {
    let mut v = 1.0;
    for _ in 0..p {
        v *= 10.0;
    }
    v
}

fn digits(r: &mut SplitMix) -> u64 {
    let k = r.next() % 17 + 1;
    r.next() % 10u64.pow(k as u32)
}

fn draw(family: &str, r: &mut SplitMix) -> f64 {
    match family {
        "bits" => f64::from_bits(r.next()),
        "decimal" => {
            let m = digits(r);
            let p = r.next() % 23;
            let v = m as f64 / pow10(p);
            if r.next() % 2 == 1 {
                -v
            } else {
                v
            }
        }
        "int" => {
            let a = r.next();
            let b = r.next();
            (a >> (b % 64)) as f64
        }
        "subnormal" => f64::from_bits(r.next() & 0x800f_ffff_ffff_ffff),
        "scaled" => {
            let mut v = digits(r) as f64;
            let mut e = (r.next() % 641) as i64 - 330;
            while e > 0 {
                v *= 10.0;
                e -= 1;
            }
            while e < 0 {
                v /= 10.0;
                e += 1;
            }
            v
        }
        other => panic!("unknown family {other}"),
    }
}

fn seed(family: &str) -> u64 {
    ["bits", "decimal", "int", "subnormal", "scaled"]
        .iter()
        .position(|f| *f == family)
        .expect("family") as u64
        + 1
}

fn oracle() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/gofloat/go-g.txt"),
    )
    .expect("testdata/gofloat/go-g.txt")
}

#[test]
fn edge_cases_print_as_go() {
    let text = oracle();
    let (mut n, mut out, mut fast) = (0, Vec::new(), FloatG::new());
    for line in text.lines().filter(|l| l.starts_with("edge ")) {
        let mut parts = line.splitn(3, ' ').skip(1);
        let bits = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
        let want = parts.next().unwrap();
        let v = f64::from_bits(bits);
        out.clear();
        push_float_g(&mut out, v);
        assert_eq!(std::str::from_utf8(&out).unwrap(), want, "{bits:016x}");
        // The dump's stateful formatter (repeat cache, fast paths) agrees, twice in a row.
        for _ in 0..2 {
            out.clear();
            fast.push(&mut out, v);
            assert_eq!(
                std::str::from_utf8(&out).unwrap(),
                want,
                "{bits:016x} (FloatG)"
            );
        }
        n += 1;
    }
    assert!(n > 20_000, "only {n} edge cases");
}

/// Checks the digest lines whose count passes `which`; returns how many.
fn digests(which: impl Fn(usize) -> bool) -> usize {
    let text = oracle();
    let mut families = 0;
    for line in text.lines().filter(|l| l.starts_with("digest ")) {
        let f: Vec<&str> = line.split(' ').collect();
        let (family, count) = (f[1], f[2].parse::<usize>().unwrap());
        if !which(count) {
            continue;
        }
        let mut r = SplitMix(seed(family));
        let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
        let mut crc = 0u32;
        let (mut out, mut fast, mut via_fast) = (Vec::new(), FloatG::new(), Vec::new());
        for _ in 0..count {
            let v = draw(family, &mut r);
            out.clear();
            push_float_g(&mut out, v);
            out.push(b'\n');
            via_fast.clear();
            fast.push(&mut via_fast, v);
            via_fast.push(b'\n');
            assert_eq!(out, via_fast, "{family}: {:016x}", v.to_bits());
            for &b in &out {
                fnv ^= u64::from(b);
                fnv = fnv.wrapping_mul(0x0000_0100_0000_01b3);
            }
            crc = crc32c::crc32c_append(crc, &out);
        }
        assert_eq!(
            (format!("{fnv:016x}"), format!("{crc:08x}")),
            (f[3].to_string(), f[4].to_string()),
            "family {family}: tsblock's %g differs from Go's"
        );
        families += 1;
    }
    families
}

#[test]
fn generated_families_digest_as_go() {
    // The first 100,000 values of each family (the whole million: the ignored test).
    assert_eq!(digests(|n| n <= 100_000), 5);
}

#[test]
#[ignore = "five million values: run by .ci/run in release mode"]
fn a_million_values_per_family_digest_as_go() {
    assert_eq!(digests(|n| n > 100_000), 5);
}
