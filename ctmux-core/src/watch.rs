//! Patterns over a pane's text: check once ([`Pane::has_pattern`]) or wait for one
//! ([`Pane::watch`]).
//!
//! Patterns are Rust `regex` syntax, matched line by line over the visible screen plus up to
//! `history` lines above it (wrapped lines joined). With the process backend a wait re-reads
//! the pane every 50 ms; the control-mode engine pushes output instead.

use crate::error::{Error, Partial, Result};
use crate::exec::Cancel;
use crate::pane::Pane;
use regex::Regex;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A line that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatternMatch {
    /// The whole matching line.
    pub line: String,
    /// The matched text within it.
    pub matched_text: String,
}

/// How often a wait re-reads the pane.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Compile `pattern`, mapping a bad one to [`Error::InvalidInput`].
///
/// # Errors
/// [`Error::InvalidInput`] with the regex error.
pub fn compile(pattern: &str) -> Result<Regex> {
    if pattern.is_empty() {
        return Err(Error::invalid("pattern", "must not be empty"));
    }
    Regex::new(pattern).map_err(|e| Error::invalid("pattern", e.to_string()))
}

/// The last line of `text` matching `re`.
pub fn last_match(re: &Regex, text: &str) -> Option<PatternMatch> {
    text.lines().rev().find_map(|line| {
        re.find(line).map(|m| PatternMatch {
            line: line.to_owned(),
            matched_text: m.as_str().to_owned(),
        })
    })
}

impl Pane {
    /// The last line matching `pattern` in the screen plus `history` lines, if any.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad regex (before tmux is asked); [`Error::NotFound`] if
    /// the pane is gone.
    pub fn has_pattern(&self, pattern: &str, history: Option<u32>) -> Result<Option<PatternMatch>> {
        let re = compile(pattern)?;
        Ok(last_match(&re, &self.capture(history)?))
    }

    /// Wait until `pattern` matches a line (text already there counts) and return it.
    /// `timeout` `None` waits for ever.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad regex; [`Error::Timeout`] (with the last screen as
    /// partial output); [`Error::NotFound`] if the pane goes away.
    pub fn watch(
        &self,
        pattern: &str,
        timeout: Option<Duration>,
        history: Option<u32>,
    ) -> Result<PatternMatch> {
        self.watch_cancellable(pattern, timeout, history, &|| false)
    }

    /// [`Pane::watch`] that stops when `cancel` says so (asked between two reads of the pane,
    /// at least every [`crate::exec::CANCEL_EVERY`]).
    ///
    /// # Errors
    /// As [`Pane::watch`]; a cancelled wait fails with [`Error::is_cancelled`] true.
    pub fn watch_cancellable(
        &self,
        pattern: &str,
        timeout: Option<Duration>,
        history: Option<u32>,
        cancel: Cancel<'_>,
    ) -> Result<PatternMatch> {
        let re = compile(pattern)?;
        let start = Instant::now();
        loop {
            let text = self.capture(history)?;
            if let Some(m) = last_match(&re, &text) {
                return Ok(m);
            }
            if cancel() {
                return Err(Error::cancelled(format_args!(
                    "/{pattern}/ in pane {}",
                    self.target()
                )));
            }
            if let Some(t) = timeout {
                let elapsed = start.elapsed();
                if elapsed >= t {
                    return Err(Error::Timeout {
                        what: format!("/{pattern}/ in pane {}", self.target()),
                        seconds: t.as_secs_f64(),
                        partial: Partial { output: text },
                    });
                }
                std::thread::sleep(POLL_EVERY.min(t - elapsed));
            } else {
                std::thread::sleep(POLL_EVERY);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_last_line() {
        let re = compile(r"port (\d+)").unwrap();
        let m = last_match(&re, "port 1\nx\nport 2\n").unwrap();
        assert_eq!(m.line, "port 2");
        assert_eq!(m.matched_text, "port 2");
        assert!(compile("(").is_err());
        assert!(compile("").is_err());
    }
}
