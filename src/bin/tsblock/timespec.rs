//! `--min-time`/`--max-time` as people write them: milliseconds, RFC 3339, or a duration
//! before now (`now-2h`) or before the end of the data (`-2h`).
//!
//! Durations use Prometheus's syntax (`model.ParseDuration`: `1h30m`, `2d`, `1w`, `500ms`,
//! units from the largest down, `y` = 365 days); it is a few lines, so it is written here
//! rather than borrowed from a crate with another syntax.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A time flag's value, before the data it is relative to is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeSpec {
    /// Milliseconds since the epoch.
    At(i64),
    /// This many milliseconds before now.
    BeforeNow(i64),
    /// This many milliseconds before the last sample of the data.
    BeforeEnd(i64),
}

const HELP: &str = "expected milliseconds since the epoch, an RFC 3339 time \
    (2026-01-02T15:04:05Z), now or now-DURATION, or -DURATION before the data's last \
    sample (e.g. -2h, -1d12h)";

/// Parses a time flag (clap's value parser: an error is a usage error naming the flag).
pub(crate) fn parse_time(s: &str) -> Result<TimeSpec, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(TimeSpec::At(ms));
    }
    if s == "now" {
        return Ok(TimeSpec::BeforeNow(0));
    }
    if let Some(d) = s.strip_prefix("now-") {
        return parse_duration(d).map(TimeSpec::BeforeNow);
    }
    if let Some(d) = s.strip_prefix('-') {
        return parse_duration(d).map(TimeSpec::BeforeEnd);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        let ms = t.unix_timestamp_nanos().div_euclid(1_000_000);
        return i64::try_from(ms)
            .map(TimeSpec::At)
            .map_err(|_| HELP.to_string());
    }
    Err(HELP.to_string())
}

/// Milliseconds in a Prometheus duration such as `1h30m` or `2d`.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    // From the largest down: a duration names each at most once, in this order.
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let bad = || format!("invalid duration {s:?}: {HELP}");
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let (mut total, mut rest) = (0i64, s);
    let mut next_rank = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (num, tail) = rest.split_at(digits);
        let letters = tail.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = tail.split_at(letters);
        let n: i64 = num.parse().map_err(|_| bad())?;
        let rank = UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(bad)?;
        if rank < next_rank {
            return Err(bad());
        }
        next_rank = rank + 1;
        total = n
            .checked_mul(UNITS[rank].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = after;
    }
    Ok(total)
}

impl TimeSpec {
    /// Milliseconds, given now and the data's last sample (called only when needed).
    pub(crate) fn resolve(self, end: impl FnOnce() -> i64) -> i64 {
        match self {
            TimeSpec::At(ms) => ms,
            TimeSpec::BeforeNow(d) => {
                let now = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
                i64::try_from(now).unwrap_or(i64::MAX).saturating_sub(d)
            }
            TimeSpec::BeforeEnd(d) => end().saturating_sub(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_time("1700000000000"),
            Ok(TimeSpec::At(1_700_000_000_000))
        );
        assert_eq!(parse_time("-5"), Ok(TimeSpec::At(-5)));
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z"),
            Ok(TimeSpec::At(1_700_000_000_000))
        );
        assert_eq!(
            parse_time("2023-11-14T23:13:20.123+01:00"),
            Ok(TimeSpec::At(1_700_000_000_123))
        );
        assert_eq!(
            parse_time("1969-12-31T23:59:59.9995Z"),
            Ok(TimeSpec::At(-1))
        );
        assert_eq!(parse_time("-2h"), Ok(TimeSpec::BeforeEnd(7_200_000)));
        assert_eq!(
            parse_time("now-1d12h"),
            Ok(TimeSpec::BeforeNow(129_600_000))
        );
        assert_eq!(parse_time("now"), Ok(TimeSpec::BeforeNow(0)));
        assert_eq!(
            parse_duration("1y2w3d4h5m6s7ms"),
            Ok(365 * 86_400_000
                + 14 * 86_400_000
                + 3 * 86_400_000
                + 4 * 3_600_000
                + 5 * 60_000
                + 6_000
                + 7)
        );
        for bad in [
            "",
            "2",
            "h",
            "2x",
            "30m1h",
            "1h1h",
            "-",
            "now-",
            "yesterday",
            "2023-11-14",
        ] {
            assert!(parse_time(bad).is_err() || bad == "2", "{bad}");
        }
        assert!(parse_duration("2").is_err());
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("9999999999999y").is_err());
        assert_eq!(TimeSpec::BeforeEnd(10).resolve(|| 100), 90);
        assert_eq!(TimeSpec::At(5).resolve(|| unreachable!()), 5);
    }
}
