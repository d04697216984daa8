//! Durations on the command line (`7d`, `12h`, `1d12h`, through `humantime`). Sizes are
//! `cli_support::size`'s, shared by every host tool.

use anyhow::{bail, Context as _};

/// Parses a duration into nanoseconds: `<number><unit>` parts (`s`, `m`, `h`, `d`, `w`,
/// and the other units `humantime` knows, such as `ms` or `min`), e.g. `7d`, `12h`,
/// `1d12h`, `90s`. A bare number is refused: its unit would be a guess.
pub fn parse_duration_ns(text: &str) -> anyhow::Result<u64> {
    let invalid = || format!("invalid duration {text:?}: expected e.g. 7d, 12h, 30m, 1d12h");
    if text.trim().is_empty() || text.trim_start().starts_with(['-', '+']) {
        bail!(invalid());
    }
    let duration = humantime::parse_duration(text).with_context(invalid)?;
    u64::try_from(duration.as_nanos()).with_context(|| format!("duration {text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_unit_numbers_added_up() {
        const S: u64 = 1_000_000_000;
        let cases = [
            ("7d", 7 * 86_400 * S),
            ("12h", 12 * 3_600 * S),
            ("30m", 1_800 * S),
            ("90s", 90 * S),
            ("2w", 14 * 86_400 * S),
            ("1d12h", 36 * 3_600 * S),
            ("1d 12h", 36 * 3_600 * S),
            ("0s", 0),
            ("250ms", S / 4),
            ("1.5h", 5_400 * S),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration_ns(text).unwrap(), want, "{text}");
        }
        for bad in ["", "7", "d", "7x", "-1d", "99999999999999999999d"] {
            assert!(parse_duration_ns(bad).is_err(), "{bad}");
        }
    }
}
