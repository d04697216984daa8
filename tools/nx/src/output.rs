//! What every `nx` group prints with: pretty JSON documents (`--json`), text tables aligned
//! by display width,
//! bytes as one printable line, and the `_b64` rule for bytes in JSON.
//!
//! Invariants: an I/O failure is returned as the `std::io::Error` itself (never wrapped
//! in a serializer's error), so a closed stdout is recognized as a broken pipe and ends
//! the command quietly.

use std::io::Write;

use serde::Serialize;

/// Writes `value` as pretty JSON and a newline.
pub fn write_json<W: Write, T: Serialize>(out: &mut W, value: &T) -> anyhow::Result<()> {
    // An I/O failure is kept as the io::Error itself, so a broken pipe stays
    // recognizable in the error chain.
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// The width of `text` on a terminal: display columns (`unicode-width`: a CJK character
/// takes two, a combining mark none), not counting ANSI styling escapes.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(anstream::adapter::strip_str(text).to_string().as_str())
}

/// Prints rows as left-aligned columns separated by two spaces (last column unpadded),
/// aligned by display width, so wide characters and styled cells line up.
pub fn write_table<W: Write>(out: &mut W, rows: &[Vec<String>]) -> std::io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| display_width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < row.len() {
                let width = widths.get(c).copied().unwrap_or(0);
                let pad = width.saturating_sub(display_width(cell)) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Bytes as one line of text: valid UTF-8 as is (control characters escaped), other
/// bytes as `\xNN`.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct ClosedPipe;

    impl std::io::Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_write_errors_keep_the_io_error() {
        let err = write_json(&mut ClosedPipe, &["x"]).unwrap_err();
        let io = err.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn table_columns_align_and_the_last_is_unpadded() {
        let rows = vec![
            vec!["A".to_string(), "BB".to_string(), "C".to_string()],
            vec!["long".to_string(), "x".to_string(), "tail  ".to_string()],
        ];
        let mut out = Vec::new();
        write_table(&mut out, &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "A     BB  C\nlong  x   tail\n"
        );
    }

    #[test]
    fn table_columns_align_by_display_width() {
        let rows = vec![
            vec!["名前".to_string(), "x".to_string()],
            vec!["ab".to_string(), "y".to_string()],
            vec!["\u{1b}[1mc\u{1b}[0m".to_string(), "z".to_string()],
        ];
        let mut out = Vec::new();
        write_table(&mut out, &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "名前  x\nab    y\n\u{1b}[1mc\u{1b}[0m     z\n"
        );
    }

    #[test]
    fn printable_escapes_controls_and_invalid_bytes() {
        assert_eq!(printable(b"a\tb\xffc"), "a\\tb\\xffc");
    }
}
