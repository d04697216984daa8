//! UTC timestamps for display: RFC 3339 from nanoseconds since the Unix epoch, computed
//! arithmetically (no time zone, no clock), and the "now" used by time-based policies.

use anyhow::Context as _;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Civil date (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

fn split(ns: u64) -> (i64, u32, u32, u64, u64) {
    let secs = ns / NANOS_PER_SEC;
    let days = (secs / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs % 86_400, ns % NANOS_PER_SEC)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (seconds precision).
pub fn rfc3339_secs(ns: u64) -> String {
    let (y, mo, d, sod, _) = split(ns);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (nanosecond precision, always nine digits).
pub fn rfc3339_nanos(ns: u64) -> String {
    let (y, mo, d, sod, frac) = split(ns);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
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
    }
}
