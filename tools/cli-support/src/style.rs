//! The colours of the host tools' text output, one palette for all four: errors and
//! failed verdicts red, warnings yellow, passed verdicts green, debug and trace records
//! dimmed. Text is painted with ANSI escapes and written through an `anstream` stream,
//! which keeps them on a terminal and strips them otherwise (a pipe, a file, `NO_COLOR`,
//! `TERM=dumb`; `CLICOLOR_FORCE=1` keeps them anywhere, `CLICOLOR=0` drops them). JSON
//! is never painted.

use std::fmt::Display;

use anstyle::{AnsiColor, Style};

/// `error:` and what failed.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
/// `warning:`.
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// A passed check: `ok`.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// A failed check: `MISMATCH`, `corrupt:`.
pub const BAD: Style = AnsiColor::Red.on_default().bold();
/// Less important text: debug and trace records.
pub const DIM: Style = Style::new().dimmed();

/// `text` between `style`'s escapes.
pub fn paint(style: Style, text: impl Display) -> String {
    format!("{style}{text}{style:#}")
}

/// The style of a log level (1 error .. 5 trace, as everywhere in the project): errors
/// red, warnings yellow, info plain, debug and trace dimmed.
pub fn level(level: u8) -> Style {
    match level {
        1 => ERROR,
        2 => AnsiColor::Yellow.on_default(),
        3 => Style::new(),
        _ => DIM,
    }
}

/// The line a tool prints for a warning on stderr (painted; see the module's rules).
pub fn warning(message: impl Display) -> String {
    format!("{}: {message}", paint(WARNING, "warning"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painted_text_strips_to_the_plain_text() {
        let painted = paint(ERROR, "error");
        assert_ne!(painted, "error");
        assert!(painted.starts_with("\u{1b}["));
        assert_eq!(anstream::adapter::strip_str(&painted).to_string(), "error");
        assert_eq!(
            anstream::adapter::strip_str(&warning("disk full")).to_string(),
            "warning: disk full"
        );
    }

    #[test]
    fn levels_are_red_yellow_plain_and_dim() {
        assert_eq!(level(1), ERROR);
        assert_eq!(level(3), Style::new());
        assert_eq!(paint(level(3), "info"), "info");
        assert_eq!(level(4), DIM);
        assert_eq!(level(5), DIM);
    }
}
