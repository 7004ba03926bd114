//! Signal names for `pane-signal`.

use crate::error::{Error, Result};
use nix::sys::signal::Signal;
use std::str::FromStr;

/// Parse a signal given as `SIGINT`, `INT`, `int` or a number (`2`).
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown name or number.
pub fn parse_signal(text: &str) -> Result<Signal> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::invalid("signal", "must not be empty"));
    }
    if let Ok(n) = t.parse::<i32>() {
        return Signal::try_from(n)
            .map_err(|_| Error::invalid("signal", format!("{n} is not a signal number")));
    }
    let upper = t.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&name).map_err(|_| Error::invalid("signal", format!("unknown signal {t:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_signal("SIGINT").unwrap(), Signal::SIGINT);
        assert_eq!(parse_signal("term").unwrap(), Signal::SIGTERM);
        assert_eq!(parse_signal("9").unwrap(), Signal::SIGKILL);
        for bad in ["", "SIGFOO", "0", "99", "-1", "SIG"] {
            assert!(parse_signal(bad).is_err(), "{bad:?}");
        }
    }
}
