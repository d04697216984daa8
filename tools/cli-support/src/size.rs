//! Sizes on the command line and in text output, the same in every host tool: every
//! size limit (`--max-bytes`, `--max-size`, `--chunk`, `--state-size`, ...) reads
//! [`parse_size`], and text output prints [`human_size`].
//!
//! Size rule: a bare prefix is binary (`16M` is 16 MiB, as the tools always read it), a
//! spelled-out unit means what it says (`16MiB` is 16 × 2^20, `16MB` is 16 × 10^6), and a
//! number alone is bytes. Fractions round to the nearest byte (`1.5K` is 1536).

use anyhow::bail;
use parse_size::Config;

/// Parses a size in bytes (see the module's size rule): `1048576`, `512K`, `10MiB`,
/// `16MB`, `1G` (case-insensitive).
pub fn parse_size(text: &str) -> anyhow::Result<u64> {
    let invalid = || format!("invalid size {text:?}: expected e.g. 1048576, 512K, 10MiB, 16MB, 1G");
    let trimmed = text.trim();
    if trimmed.is_empty() || !trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        bail!(invalid());
    }
    let unit: String = trimmed
        .chars()
        .rev()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    // A bare prefix letter (`K`, `M`, ...) is binary; anything spelled out is read as
    // written (`KiB` binary, `KB` decimal), which is what parse-size's decimal
    // configuration does.
    let config = if unit.len() == 1 && !unit.eq_ignore_ascii_case("b") {
        Config::new().with_binary()
    } else {
        Config::new().with_decimal()
    };
    config.parse_size(trimmed).map_err(|e| match e {
        parse_size::Error::PosOverflow => anyhow::anyhow!("size {text:?} is too large"),
        _ => anyhow::anyhow!(invalid()),
    })
}

/// A size for people: bytes below 1 KiB (`512 B`), else one decimal in the largest binary
/// unit that keeps the number at least 1 (`1.6 KiB`, `16.0 MiB`). Exact byte counts are
/// for `--json`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    // 1023.95 KiB would print as "1024.0 KiB": move up a unit instead.
    if format!("{value:.1}") == "1024.0" && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_prefixes_are_binary_and_spelled_out_units_mean_what_they_say() {
        let cases = [
            ("100", 100),
            ("100B", 100),
            ("512K", 512 << 10),
            ("16M", 16 << 20),
            ("16m", 16 << 20),
            ("10MiB", 10 << 20),
            ("16MB", 16_000_000),
            ("1g", 1 << 30),
            ("1.5K", 1536),
            ("10 MiB", 10 << 20),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text).unwrap(), want, "{text}");
        }
        for bad in ["", "K", "MiB", "-1K", "10X", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_print_in_the_largest_binary_unit() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1593, "1.6 KiB"),
            (16 << 20, "16.0 MiB"),
            ((1 << 20) - 1, "1.0 MiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (bytes, want) in cases {
            assert_eq!(human_size(bytes), want, "{bytes}");
        }
    }
}
