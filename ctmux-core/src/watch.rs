//! Patterns over a pane's text: check once ([`Pane::has_pattern`]) or wait for one
//! ([`Pane::watch`]).
//!
//! Patterns are Rust `regex` syntax, matched line by line over the visible screen plus up to
//! `history` lines above it (wrapped lines joined). With the process backend a wait re-reads
//! the pane every 50 ms. Over the control-mode backend tmux pushes the pane's output instead
//! (through the main connection or a listener attached to the pane's session): the wait
//! re-reads the pane only when the pane printed something (a burst of output is read once),
//! so a match is seen within a
//! fraction of a millisecond; a subscription that dropped notifications (its channel was
//! full) re-reads at once, and a re-read every 10 s is the last safety net. A wait with no
//! cancel check ([`Pane::watch`]) sleeps until output arrives, so an idle pane costs nothing.

use crate::control::{Notification, Subscription};
use crate::error::{Error, Partial, Result};
use crate::events::lines::LineDecoder;
use crate::exec::{Cancel, CANCEL_EVERY};
use crate::ids::PaneId;
use crate::pane::Pane;
use regex::Regex;
use serde::Serialize;
use std::sync::mpsc::RecvTimeoutError;
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

/// With pushed output: how often the pane is re-read anyway (a safety net: pushed output is
/// lossless unless the subscription reports [`Notification::Lost`], which re-reads at once).
const PUSHED_RECHECK_EVERY: Duration = Duration::from_secs(10);

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
        self.watch_inner(pattern, timeout, history, None)
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
        self.watch_inner(pattern, timeout, history, Some(cancel))
    }

    /// A wait with no cancel check sleeps until output, the deadline or the safety re-read:
    /// an idle watched pane costs nothing in between.
    fn watch_inner(
        &self,
        pattern: &str,
        timeout: Option<Duration>,
        history: Option<u32>,
        cancel: Option<Cancel<'_>>,
    ) -> Result<PatternMatch> {
        let re = compile(pattern)?;
        let start = Instant::now();
        // Listen before the first read, so nothing printed in between is missed.
        let pushed = self
            .client()
            .backend()
            .subscribe_session(self.session().id());
        let me = self.id();
        let cancelled = || cancel.is_some_and(|c| c());
        loop {
            let text = self.capture(history)?;
            if let Some(m) = last_match(&re, &text) {
                return Ok(m);
            }
            if cancelled() {
                return Err(Error::cancelled(format_args!(
                    "/{pattern}/ in pane {}",
                    self.target()
                )));
            }
            let left = match timeout {
                Some(t) => {
                    let elapsed = start.elapsed();
                    if elapsed >= t {
                        return Err(Error::Timeout {
                            what: format!("/{pattern}/ in pane {}", self.target()),
                            seconds: t.as_secs_f64(),
                            partial: Partial { output: text },
                        });
                    }
                    Some(t - elapsed)
                }
                None => None,
            };
            match &pushed {
                None => std::thread::sleep(left.map_or(POLL_EVERY, |l| POLL_EVERY.min(l))),
                Some(rx) => {
                    let mut until = Instant::now() + PUSHED_RECHECK_EVERY;
                    if let Some(l) = left {
                        until = until.min(Instant::now() + l);
                    }
                    if let Some(m) = wait_for_output(rx, me, &re, until, cancel) {
                        return Ok(m);
                    }
                }
            }
        }
    }
}

/// Wait until pane `me` printed something, `until` passes, `cancel` says so (asked every
/// [`CANCEL_EVERY`]; with no cancel check nothing wakes in between), notifications were
/// lost, or the connection ends. A finished pushed line that matches `re` is returned at
/// once; otherwise the caller re-reads the pane (the reference: wrapped lines joined, cursor
/// movement applied, an unfinished line such as a prompt included).
fn wait_for_output(
    rx: &Subscription,
    me: PaneId,
    re: &Regex,
    until: Instant,
    cancel: Option<Cancel<'_>>,
) -> Option<PatternMatch> {
    let mut decoder = LineDecoder::new();
    let mut lines = Vec::new();
    let mut printed = false;
    loop {
        let now = Instant::now();
        if now >= until {
            return None;
        }
        // After output, take the rest of the burst without waiting, then let the caller
        // re-read the pane.
        let next = if printed {
            match rx.try_recv() {
                Ok(n) => Ok(n),
                Err(_) => return None,
            }
        } else {
            let slice = match cancel {
                Some(_) => (until - now).min(CANCEL_EVERY),
                None => until - now,
            };
            rx.recv_timeout(slice)
        };
        match next {
            Ok(
                Notification::Output { pane, data }
                | Notification::ExtendedOutput { pane, data, .. },
            ) if pane == me => {
                printed = true;
                decoder.feed(&data, &mut lines);
                for line in lines.drain(..) {
                    if let Some(m) = re.find(&line.text) {
                        return Some(PatternMatch {
                            matched_text: m.as_str().to_owned(),
                            line: line.text.clone(),
                        });
                    }
                }
            }
            // Some output may be gone unseen: the pane itself is the reference.
            Ok(Notification::Lost) => return None,
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {
                if cancel.is_some_and(|c| c()) {
                    return None;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep((until - Instant::now().min(until)).min(POLL_EVERY));
                return None;
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
