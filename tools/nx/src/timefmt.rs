//! Times for display and on the command line, through `jiff`: RFC 3339 renderings of
//! nanoseconds since the Unix epoch (UTC by default, local time on request), relative
//! ages (`3h 12m ago`), the "now" that time-based policies measure from, and the times
//! `--since` and `--until` accept.
//!
//! Invariants: UTC output never depends on the machine (no time zone, no clock), so
//! golden files are stable; local output uses the system time zone (`TZ`, else
//! `/etc/localtime`).

use anyhow::{bail, Context as _};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The instant `ns` nanoseconds after the epoch (every u64 fits jiff's range, which ends
/// in year 9999; the fallback is never taken).
fn timestamp(ns: u64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(ns)).unwrap_or(Timestamp::MAX)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (seconds precision).
pub fn rfc3339_secs(ns: u64) -> String {
    timestamp(ns).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (nanosecond precision, always nine digits).
pub fn rfc3339_nanos(ns: u64) -> String {
    timestamp(ns).strftime("%Y-%m-%dT%H:%M:%S.%9fZ").to_string()
}

/// Which clock face times are shown on: UTC (the default, stable across machines) or the
/// system's local time zone (`--local`).
#[derive(Debug, Clone)]
pub enum TimeStyle {
    /// RFC 3339 in UTC, `Z`.
    Utc,
    /// RFC 3339 with the local offset (`2025-12-23T05:00:00-05:00`).
    Local(TimeZone),
}

impl TimeStyle {
    /// UTC, or the system time zone when `local`.
    pub fn new(local: bool) -> TimeStyle {
        if local {
            TimeStyle::Local(TimeZone::system())
        } else {
            TimeStyle::Utc
        }
    }

    /// The zone's name for a column header: `UTC` or `local`.
    pub fn label(&self) -> &'static str {
        match self {
            TimeStyle::Utc => "UTC",
            TimeStyle::Local(_) => "local",
        }
    }

    /// Seconds precision.
    pub fn secs(&self, ns: u64) -> String {
        match self {
            TimeStyle::Utc => rfc3339_secs(ns),
            TimeStyle::Local(tz) => timestamp(ns)
                .to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        }
    }

    /// Nanosecond precision.
    pub fn nanos(&self, ns: u64) -> String {
        match self {
            TimeStyle::Utc => rfc3339_nanos(ns),
            TimeStyle::Local(tz) => timestamp(ns)
                .to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S.%9f%:z")
                .to_string(),
        }
    }

    /// The zone naive times on the command line are read in.
    fn zone(&self) -> TimeZone {
        match self {
            TimeStyle::Utc => TimeZone::UTC,
            TimeStyle::Local(tz) => tz.clone(),
        }
    }
}

/// How long before `now_ns` the instant `then_ns` was, in its two largest units:
/// `42s ago`, `5m 3s ago`, `3h 12m ago`, `2d 4h ago`; `in the future` for a later
/// instant (a clock set back, or a dump from another machine).
pub fn age(now_ns: u64, then_ns: u64) -> String {
    let Some(elapsed) = now_ns.checked_sub(then_ns) else {
        return String::from("in the future");
    };
    let secs = elapsed / NANOS_PER_SEC;
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    let shown: Vec<String> = parts[first..]
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0 || first == 3)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    format!("{} ago", shown.join(" "))
}

/// The current time in nanoseconds since the epoch, from the system clock. Ages are
/// measured from the clock, never from `SOURCE_DATE_EPOCH`, which governs only what is
/// written into artifacts (a build environment sets it to a past date).
pub fn now_ns() -> anyhow::Result<u64> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    u64::try_from(since.as_nanos()).context("the system clock is past 2554")
}

/// Parses `--now`: seconds since the Unix epoch (`1766534400`, or `@1766534400` as
/// `date -d` spells it), as nanoseconds.
pub fn parse_now(text: &str) -> Result<u64, String> {
    let digits = text.strip_prefix('@').unwrap_or(text);
    let secs: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds since 1970-01-01 UTC"))?;
    secs.checked_mul(NANOS_PER_SEC)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

/// Nanoseconds since the epoch of a jiff instant, refusing instants before 1970.
fn epoch_ns(ts: Timestamp, text: &str) -> anyhow::Result<u64> {
    u64::try_from(ts.as_nanosecond()).with_context(|| format!("time {text:?} is before 1970"))
}

/// Parses a `--since`/`--until` time, as nanoseconds since the epoch:
/// - a relative age, measured back from `now_ns`: `2h`, `7d`, `1d12h` (`2h ago` too);
/// - `now`, `today` or `yesterday` (midnight in `style`'s zone);
/// - an instant with its offset: `2025-12-23T10:00:00Z`, `2025-12-23T05:00:00-05:00`;
/// - a date and time without offset, or a date alone (its midnight), read in `style`'s
///   zone (UTC unless `--local`): `2025-12-23 10:00`, `2025-12-23T10:00:00`, `2025-12-23`;
/// - `@SECONDS` since the epoch.
pub fn parse_time(text: &str, now_ns: u64, style: &TimeStyle) -> anyhow::Result<u64> {
    let trimmed = text.trim();
    let zone = style.zone();
    let midnight = |days_back: i64| -> anyhow::Result<u64> {
        let today = timestamp(now_ns).to_zoned_datetime(zone.clone()).date();
        let day = today
            .checked_sub(jiff::Span::new().days(days_back))
            .with_context(|| format!("time {text:?} is out of range"))?;
        let ts = zone
            .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
            .with_context(|| format!("time {text:?} is out of range"))?;
        epoch_ns(ts, text)
    };
    match trimmed {
        "now" => return Ok(now_ns),
        "today" => return midnight(0),
        "yesterday" => return midnight(1),
        _ => {}
    }
    if let Some(secs) = trimmed.strip_prefix('@') {
        return parse_now(trimmed)
            .map_err(|e| anyhow::anyhow!(e))
            .with_context(|| {
                format!("invalid time {text:?}: @{secs} must be whole seconds since 1970")
            });
    }
    let age_text = trimmed.strip_suffix("ago").unwrap_or(trimmed).trim_end();
    if let Ok(age) = crate::units::parse_duration_ns(age_text) {
        return Ok(now_ns.saturating_sub(age));
    }
    if let Ok(ts) = trimmed.parse::<Timestamp>() {
        return epoch_ns(ts, text);
    }
    let civil = trimmed.parse::<DateTime>().ok().or_else(|| {
        trimmed
            .parse::<Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    let Some(civil) = civil else {
        bail!(
            "invalid time {text:?}: expected an age such as 2h or 7d, a time such as \
             2025-12-23T10:00:00Z or \"2025-12-23 10:00\", a date, or @SECONDS"
        );
    };
    let ts = zone
        .to_timestamp(civil)
        .with_context(|| format!("time {text:?} is out of range"))?;
    epoch_ns(ts, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400 * NANOS_PER_SEC, "2000-02-29T00:00:00Z"),
            (1_766_484_000 * NANOS_PER_SEC, "2025-12-23T10:00:00Z"),
            (4_102_444_799 * NANOS_PER_SEC, "2099-12-31T23:59:59Z"),
            (u64::MAX, "2554-07-21T23:34:33Z"),
        ];
        for (ns, want) in cases {
            assert_eq!(rfc3339_secs(ns), want);
        }
        assert_eq!(
            rfc3339_nanos(1_766_484_000_123_456_789),
            "2025-12-23T10:00:00.123456789Z"
        );
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn local_times_carry_their_offset() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let style = TimeStyle::Local(tz);
        assert_eq!(
            style.secs(1_766_484_000 * NANOS_PER_SEC),
            "2025-12-23T05:00:00-05:00"
        );
        assert_eq!(
            style.nanos(1_766_484_000_000_000_001),
            "2025-12-23T05:00:00.000000001-05:00"
        );
    }

    #[test]
    fn ages_show_their_two_largest_units() {
        const S: u64 = NANOS_PER_SEC;
        let now = 1_000_000 * S;
        let cases = [
            (now, "0s ago"),
            (now - 42 * S, "42s ago"),
            (now - 303 * S, "5m 3s ago"),
            (now - (3 * 3_600 + 12 * 60 + 9) * S, "3h 12m ago"),
            (now - (2 * 86_400 + 4 * 3_600 + 59) * S, "2d 4h ago"),
            (now - 86_400 * S, "1d ago"),
            (now + S, "in the future"),
        ];
        for (then, want) in cases {
            assert_eq!(age(now, then), want);
        }
    }

    #[test]
    fn since_and_until_accept_ages_instants_dates_and_seconds() {
        const S: u64 = NANOS_PER_SEC;
        // 2025-12-24T00:00:00Z.
        let now = 1_766_534_400 * S;
        let utc = TimeStyle::Utc;
        let cases = [
            ("2h", now - 7_200 * S),
            ("2h ago", now - 7_200 * S),
            ("1d12h", now - 36 * 3_600 * S),
            ("now", now),
            ("today", now),
            ("yesterday", now - 86_400 * S),
            ("2025-12-23T10:00:00Z", 1_766_484_000 * S),
            ("2025-12-23T05:00:00-05:00", 1_766_484_000 * S),
            ("2025-12-23 10:00", 1_766_484_000 * S),
            ("2025-12-23", 1_766_448_000 * S),
            ("@1766484000", 1_766_484_000 * S),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text, now, &utc).unwrap(), want, "{text}");
        }
        let ny = TimeStyle::Local(TimeZone::get("America/New_York").unwrap());
        assert_eq!(
            parse_time("2025-12-23 05:00", now, &ny).unwrap(),
            1_766_484_000 * S
        );
        for bad in ["", "soon", "1969-12-31", "2025-13-01", "@x"] {
            assert!(parse_time(bad, now, &utc).is_err(), "{bad}");
        }
    }
}
