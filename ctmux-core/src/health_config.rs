//! A session's health settings: error patterns, how many lines they see, and the optional
//! readiness check with its timing (docker compose's healthcheck). Stored in the groups file
//! under `"health"`; validated when set and when read back. See [`crate::health`] for what
//! they mean.

use crate::error::{Error, Result};
use crate::watch::compile;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The error patterns used when a session has none of its own.
pub const DEFAULT_ERROR_PATTERNS: [&str; 4] = [
    r"\b(ERROR|FATAL|CRASH(ED)?)\b",
    r"^panic: ",
    r"\bpanicked at\b",
    r"^Traceback \(most recent call last\):",
];
/// How many of a pane's last lines the error patterns look at, by default.
pub const DEFAULT_LINES: u32 = 20;
/// Most lines the error patterns may be asked to look at.
pub const MAX_LINES: u32 = 100_000;
/// Default time between two readiness checks.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(500);
/// Default time a readiness command may run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const MIN_PERIOD: Duration = Duration::from_millis(10);
const MAX_PERIOD: Duration = Duration::from_secs(86_400);

/// What a readiness check tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyCheck {
    /// A regex (Rust syntax) that must match a line in some live pane's whole history.
    Pattern(String),
    /// A shell command (`sh -c`, run by ctmux in the first live pane's cwd with
    /// `CTMUX_SESSION` set) that must exit 0 within the timeout.
    Command(String),
}

/// A readiness check and its timing, as docker compose's `healthcheck`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawReadiness", into = "RawReadiness")]
pub struct Readiness {
    /// What is checked.
    pub check: ReadyCheck,
    /// Time between checks (10 ms to 1 day).
    pub interval: Duration,
    /// Longest a check command may run (10 ms to 1 day).
    pub timeout: Duration,
    /// Consecutive failures after the start period that end a wait; `None`: unlimited.
    pub retries: Option<u32>,
    /// Failures during this long after a wait begins do not count (0 to 1 day).
    pub start_period: Duration,
}

/// The JSON form of [`Readiness`]: seconds as numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReadiness {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_period: Option<f64>,
}

fn secs(what: &'static str, v: Option<f64>) -> Result<Option<Duration>> {
    v.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| Error::invalid(what, format!("{s} is not a number of seconds >= 0")))
    })
    .transpose()
}

impl TryFrom<RawReadiness> for Readiness {
    type Error = String;
    fn try_from(r: RawReadiness) -> std::result::Result<Self, String> {
        Readiness::from_parts(
            r.pattern.as_deref(),
            r.command.as_deref(),
            secs("interval", r.interval).map_err(|e| e.to_string())?,
            secs("timeout", r.timeout).map_err(|e| e.to_string())?,
            r.retries,
            secs("start_period", r.start_period).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())
    }
}

impl From<Readiness> for RawReadiness {
    fn from(r: Readiness) -> Self {
        let (pattern, command) = match r.check {
            ReadyCheck::Pattern(p) => (Some(p), None),
            ReadyCheck::Command(c) => (None, Some(c)),
        };
        RawReadiness {
            pattern,
            command,
            interval: Some(r.interval.as_secs_f64()),
            timeout: Some(r.timeout.as_secs_f64()),
            retries: r.retries,
            start_period: Some(r.start_period.as_secs_f64()),
        }
    }
}

impl Readiness {
    /// A check with the default timing (0.5 s interval, 30 s timeout, unlimited retries, no
    /// start period).
    pub fn new(check: ReadyCheck) -> Self {
        Readiness {
            check,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            retries: None,
            start_period: Duration::ZERO,
        }
    }

    /// Build from the CLI's options: exactly one of `pattern` and `command`, the rest
    /// optional (defaults as [`Readiness::new`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if both or neither check is given, the regex does not compile,
    /// the command is empty or holds NUL, or a time or `retries` is out of range.
    pub fn from_parts(
        pattern: Option<&str>,
        command: Option<&str>,
        interval: Option<Duration>,
        timeout: Option<Duration>,
        retries: Option<u32>,
        start_period: Option<Duration>,
    ) -> Result<Self> {
        let check = match (pattern, command) {
            (Some(p), None) => ReadyCheck::Pattern(p.to_owned()),
            (None, Some(c)) => ReadyCheck::Command(c.to_owned()),
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "readiness",
                    "give a pattern or a command, not both",
                ))
            }
            (None, None) => {
                return Err(Error::invalid(
                    "readiness",
                    "needs a pattern or a command to check",
                ))
            }
        };
        let d = Readiness::new(check);
        let r = Readiness {
            interval: interval.unwrap_or(d.interval),
            timeout: timeout.unwrap_or(d.timeout),
            retries,
            start_period: start_period.unwrap_or(d.start_period),
            check: d.check,
        };
        r.validate()?;
        Ok(r)
    }

    /// Check every field.
    ///
    /// # Errors
    /// As [`Readiness::from_parts`].
    pub fn validate(&self) -> Result<()> {
        match &self.check {
            ReadyCheck::Pattern(p) => {
                compile(p).map_err(|e| Error::invalid("readiness pattern", e.to_string()))?;
            }
            ReadyCheck::Command(c) => {
                if c.trim().is_empty() || c.contains('\0') {
                    return Err(Error::invalid(
                        "readiness command",
                        "must be non-empty, without NUL",
                    ));
                }
            }
        }
        for (what, d) in [("interval", self.interval), ("timeout", self.timeout)] {
            if !(MIN_PERIOD..=MAX_PERIOD).contains(&d) {
                return Err(Error::invalid(
                    what,
                    format!("{} s is outside 0.01 s to 1 day", d.as_secs_f64()),
                ));
            }
        }
        if self.start_period > MAX_PERIOD {
            return Err(Error::invalid("start period", "longer than 1 day"));
        }
        if self.retries == Some(0) {
            return Err(Error::invalid("retries", "must be at least 1"));
        }
        Ok(())
    }
}

/// A session's health settings, stored in the groups file under `"health"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// Error patterns (Rust regex, matched per line); `None`: [`DEFAULT_ERROR_PATTERNS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patterns: Option<Vec<String>>,
    /// How many last lines of each pane to search; `None`: [`DEFAULT_LINES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<u32>,
    /// The readiness check, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
}

impl HealthConfig {
    /// The patterns in effect.
    pub fn effective_patterns(&self) -> Vec<String> {
        match &self.patterns {
            Some(p) => p.clone(),
            None => DEFAULT_ERROR_PATTERNS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    /// The line count in effect.
    pub fn effective_lines(&self) -> u32 {
        self.lines.unwrap_or(DEFAULT_LINES)
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty pattern list, a pattern that does not compile,
    /// `lines` outside 1..=[`MAX_LINES`], or bad readiness settings.
    pub fn validate(&self) -> Result<()> {
        if let Some(p) = &self.patterns {
            if p.is_empty() {
                return Err(Error::invalid("error patterns", "give at least one"));
            }
            for pat in p {
                compile(pat).map_err(|e| Error::invalid("error pattern", e.to_string()))?;
            }
        }
        if let Some(n) = self.lines {
            if !(1..=MAX_LINES).contains(&n) {
                return Err(Error::invalid(
                    "lines",
                    format!("{n} is outside 1..={MAX_LINES}"),
                ));
            }
        }
        if let Some(r) = &self.readiness {
            r.validate()?;
        }
        Ok(())
    }

    pub(crate) fn regexes(&self) -> Result<Vec<regex::Regex>> {
        self.effective_patterns()
            .iter()
            .map(|p| compile(p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn matches_default(line: &str) -> bool {
        HealthConfig::default()
            .regexes()
            .unwrap()
            .iter()
            .any(|re| re.is_match(line))
    }

    #[test]
    fn default_patterns_have_no_false_positives() {
        for ok in [
            "errors: 0",
            "0 errors, 0 warnings",
            "terror",
            "Error handling middleware loaded",
            "ERRORS: none",
            "NO_ERROR",
            "FATAL_ERRORS=0",
            "don't panic",
            "panic button test passed",
            "see the Traceback module",
            "crashes: 0",
            "error_count=0",
            "Fatalistic",
        ] {
            assert!(!matches_default(ok), "false positive: {ok:?}");
        }
        for bad in [
            "ERROR: disk full",
            "2025-01-01 [ERROR] db down",
            "level=FATAL msg=boom",
            "FATAL",
            "worker CRASHED",
            "CRASH in module x",
            "panic: runtime error: index out of range",
            "thread 'main' panicked at src/main.rs:2:5:",
            "Traceback (most recent call last):",
        ] {
            assert!(matches_default(bad), "missed: {bad:?}");
        }
    }

    #[test]
    fn readiness_settings_are_checked() {
        let ok = Readiness::from_parts(Some("^READY"), None, None, None, Some(3), None).unwrap();
        assert_eq!(ok.interval, DEFAULT_INTERVAL);
        let bad = [
            Readiness::from_parts(None, None, None, None, None, None),
            Readiness::from_parts(Some("a"), Some("true"), None, None, None, None),
            Readiness::from_parts(Some("("), None, None, None, None, None),
            Readiness::from_parts(None, Some("  "), None, None, None, None),
            Readiness::from_parts(Some("a"), None, Some(Duration::ZERO), None, None, None),
            Readiness::from_parts(Some("a"), None, None, Some(Duration::ZERO), None, None),
            Readiness::from_parts(Some("a"), None, None, None, Some(0), None),
            Readiness::from_parts(Some("a"), None, None, None, None, Some(MAX_PERIOD * 2)),
        ];
        for b in bad {
            assert_eq!(b.unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        let c = HealthConfig {
            patterns: Some(vec![]),
            ..HealthConfig::default()
        };
        assert!(c.validate().is_err());
        let c = HealthConfig {
            lines: Some(0),
            ..HealthConfig::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn readiness_json_round_trips_and_refuses_garbage() {
        let cfg = HealthConfig {
            patterns: Some(vec!["BOOM".into()]),
            lines: Some(5),
            readiness: Some(
                Readiness::from_parts(
                    None,
                    Some("true"),
                    Some(Duration::from_millis(250)),
                    None,
                    Some(2),
                    None,
                )
                .unwrap(),
            ),
        };
        let text = serde_json::to_string(&cfg).unwrap();
        assert!(text.contains("\"interval\":0.25"), "{text}");
        let back: HealthConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cfg);
        for bad in [
            r#"{"readiness": {}}"#,
            r#"{"readiness": {"pattern": "a", "command": "b"}}"#,
            r#"{"readiness": {"pattern": "a", "interval": -1}}"#,
            r#"{"readiness": {"pattern": "a", "retries": 0}}"#,
            r#"{"readiness": {"pattern": "a", "bogus": 1}}"#,
            r#"{"lines": "x"}"#,
        ] {
            assert!(serde_json::from_str::<HealthConfig>(bad).is_err(), "{bad}");
        }
    }
}
