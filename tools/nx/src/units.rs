//! Parsing of human-friendly quantities on the command line: durations (`7d`, `12h`,
//! `1d12h`) and sizes (`512K`, `10MiB`, `1G`, binary multiples).

use anyhow::{bail, Context as _};

/// Parses a duration made of `<number><unit>` parts (`s`, `m`, `h`, `d`, `w`) into
/// nanoseconds, e.g. `7d`, `12h`, `1d12h`, `90s`.
pub fn parse_duration_ns(text: &str) -> anyhow::Result<u64> {
    let invalid = || format!("invalid duration {text:?}: expected e.g. 7d, 12h, 30m, 1d12h");
    if text.is_empty() {
        bail!(invalid());
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, tail) = tail.split_at(unit_len);
        let n: u64 = number.parse().with_context(invalid)?;
        let secs_per_unit: u64 = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            _ => bail!(invalid()),
        };
        let part = n
            .checked_mul(secs_per_unit)
            .and_then(|s| s.checked_mul(1_000_000_000))
            .with_context(|| format!("duration {text:?} is too large"))?;
        total = total
            .checked_add(part)
            .with_context(|| format!("duration {text:?} is too large"))?;
        rest = tail;
    }
    Ok(total)
}

/// Parses a size in bytes: a number with an optional binary unit (`B`, `K`/`KiB`,
/// `M`/`MiB`, `G`/`GiB`, `T`/`TiB`; case-insensitive).
pub fn parse_size(text: &str) -> anyhow::Result<u64> {
    let invalid = || format!("invalid size {text:?}: expected e.g. 1048576, 512K, 10MiB, 1G");
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let n: u64 = number.parse().with_context(invalid)?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        _ => bail!(invalid()),
    };
    n.checked_mul(1u64 << shift)
        .with_context(|| format!("size {text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        const S: u64 = 1_000_000_000;
        let cases = [
            ("7d", 7 * 86_400 * S),
            ("12h", 12 * 3_600 * S),
            ("30m", 1_800 * S),
            ("90s", 90 * S),
            ("2w", 14 * 86_400 * S),
            ("1d12h", 36 * 3_600 * S),
            ("0s", 0),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration_ns(text).unwrap(), want, "{text}");
        }
        for bad in ["", "7", "d", "7x", "1.5h", "-1d", "99999999999999999999d"] {
            assert!(parse_duration_ns(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_sizes() {
        let cases = [
            ("100", 100),
            ("100B", 100),
            ("512K", 512 << 10),
            ("10MiB", 10 << 20),
            ("1g", 1 << 30),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text).unwrap(), want, "{text}");
        }
        for bad in ["", "K", "10 MB", "1.5M", "10MB", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
