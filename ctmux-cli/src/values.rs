//! Value parsers for arguments clap cannot check by type alone: seconds and window sizes.
//!
//! A value refused here is a usage error (exit 2): it never reaches the core or tmux.

use std::time::Duration;

/// Longest accepted wait, in seconds (about 31 years): enough for "for ever" in a script,
/// small enough to stay far from `Duration`'s limits.
pub const MAX_SECONDS: f64 = 1e9;

/// Largest window side tmux accepts here (as the core checks it).
pub const MAX_SIDE: u16 = 10_000;

/// A window size in columns and rows, as given to `--window-size WxH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSize {
    /// Columns.
    pub columns: u16,
    /// Rows.
    pub rows: u16,
}

/// Parse a number of seconds: a finite decimal `>= 0` and `<= MAX_SECONDS` (`1`, `0.5`).
///
/// # Errors
/// A message for clap when the text is not such a number (negative, NaN, inf, `5s`, ...).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let value: f64 = t
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !value.is_finite() {
        return Err(format!("{text:?} is not a finite number of seconds"));
    }
    if value < 0.0 {
        return Err(format!("{text:?} is negative"));
    }
    if value > MAX_SECONDS {
        return Err(format!("{text:?} is more than {MAX_SECONDS} seconds"));
    }
    Duration::try_from_secs_f64(value).map_err(|e| format!("{text:?}: {e}"))
}

/// Parse a shell-ready timeout in seconds, as the core does (see
/// [`ctmux_core::client::parse_ready_timeout`]).
///
/// # Errors
/// The core's message for clap when the text is not such a number.
pub fn parse_ready_timeout(text: &str) -> Result<Duration, String> {
    ctmux_core::client::parse_ready_timeout(text).map_err(|e| e.to_string())
}

/// Parse `COLUMNSxROWS` (`160x48`), each side 1..=[`MAX_SIDE`].
///
/// # Errors
/// A message for clap for anything else (`80`, `0x0`, `80x`, `-1x5`, `80x24x3`, ...).
pub fn parse_window_size(text: &str) -> Result<WindowSize, String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not COLUMNSxROWS (e.g. 160x48)"))?;
    let side = |s: &str, what: &str| -> Result<u16, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{text:?}: {what} {s:?} is not a whole number"));
        }
        match s.parse::<u16>() {
            Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(n),
            _ => Err(format!("{text:?}: {what} must be 1-{MAX_SIDE}")),
        }
    };
    Ok(WindowSize {
        columns: side(w, "columns")?,
        rows: side(h, "rows")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("1").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_seconds("0.25").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_seconds("0").unwrap(), Duration::ZERO);
        for bad in [
            "", "-1", "-0.5", "NaN", "nan", "inf", "-inf", "5s", "1e10", "abc", "1,5",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn window_sizes() {
        assert_eq!(
            parse_window_size("160x48").unwrap(),
            WindowSize {
                columns: 160,
                rows: 48
            }
        );
        assert!(parse_window_size("10000X1").is_ok());
        for bad in [
            "",
            "80",
            "0x0",
            "80x0",
            "0x24",
            "x24",
            "80x",
            "-1x5",
            "80x24x3",
            "+80x24",
            "10001x5",
            "99999999x5",
            " 80x24",
        ] {
            assert!(parse_window_size(bad).is_err(), "{bad:?}");
        }
    }
}
