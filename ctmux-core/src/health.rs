//! Session health: the rules, per-session settings, the report, and the change seam for
//! events.
//!
//! A session is **unhealthy** if it is missing, has no live pane, or its readiness check
//! (if one is configured) has not passed; **degraded** if a pane died with a non-zero status,
//! the last command ctmux ran in a pane exited non-zero, or one of the error patterns
//! matches one of the last `lines` lines (default 20) of a live pane; else **healthy**.
//!
//! The default error patterns ([`DEFAULT_ERROR_PATTERNS`]) are case-sensitive and
//! word-bounded so that ordinary prose does not trip them: `ERROR: disk full`, `[FATAL]`,
//! `CRASH`, a Go `panic: ...` line, Rust's `thread 'main' panicked at ...` and Python's
//! `Traceback (most recent call last):` match; `errors: 0`, `terror`, `0 ERRORS`,
//! `NO_ERROR`, `don't panic` and `Error handling` do not.
//!
//! Readiness ([`Readiness`], after docker compose's healthcheck) is a regex that must have
//! appeared in some pane's history, or a command that must exit 0, checked every `interval`
//! (default 0.5 s; compose's 30 s suits containers, not terminals), each command run killed
//! after `timeout` (default 30 s); failures during the first `start_period` (default 0) of a
//! wait do not count, and `retries` consecutive failures after it end the wait (default:
//! unlimited, so the wait's own timeout decides). The settings are in
//! [`crate::health_config`] (re-exported here); checks and waiting in [`crate::readiness`].

use crate::client::Ctmux;
use crate::error::{Error, Result};
use crate::ids::SessionName;
use crate::pane::{Pane, PaneInfo};
use crate::session::Session;
use serde::{Deserialize, Serialize};

pub use crate::health_config::{
    HealthConfig, Readiness, ReadyCheck, DEFAULT_ERROR_PATTERNS, DEFAULT_INTERVAL, DEFAULT_LINES,
    DEFAULT_TIMEOUT, MAX_LINES,
};

/// A session's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Everything checked is fine.
    Healthy,
    /// Running, but something went wrong (an error line, a failed command or pane).
    Degraded,
    /// Missing, without a live pane, or not ready.
    Unhealthy,
}

impl HealthState {
    /// `"healthy"`, `"degraded"` or `"unhealthy"`.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Healthy => "healthy",
            HealthState::Degraded => "degraded",
            HealthState::Unhealthy => "unhealthy",
        }
    }
}

impl std::fmt::Display for HealthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule produced a [`Reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// The session does not exist (unhealthy).
    Missing,
    /// Every pane of the session is dead (unhealthy).
    NoLivePane,
    /// The readiness check has not passed (unhealthy).
    NotReady,
    /// A pane died with a non-zero status (degraded).
    DeadPane,
    /// The last command ctmux ran in a pane exited non-zero (degraded).
    ExecFailed,
    /// An error pattern matched a recent line (degraded).
    ErrorPattern,
}

impl ReasonKind {
    /// The state this reason leads to.
    pub fn severity(self) -> HealthState {
        match self {
            ReasonKind::Missing | ReasonKind::NoLivePane | ReasonKind::NotReady => {
                HealthState::Unhealthy
            }
            _ => HealthState::Degraded,
        }
    }
}

/// Why a session is not healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The rule.
    pub kind: ReasonKind,
    /// The pane concerned, if any.
    pub pane_id: Option<String>,
    /// What was seen, for people.
    pub message: String,
    /// The line that matched an error pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// One health check of one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The session's name.
    pub session: String,
    /// The verdict: the worst of the reasons' severities, healthy without reasons.
    pub health: HealthState,
    /// Everything found, in the order checked.
    pub reasons: Vec<Reason>,
    /// Number of panes of the session.
    pub pane_count: u32,
    /// Number of panes not dead.
    pub live_pane_count: u32,
    /// The readiness check's result; `None` if none is configured or it was not run.
    pub ready: Option<bool>,
}

impl HealthReport {
    fn new(
        session: &str,
        reasons: Vec<Reason>,
        panes: u32,
        live: u32,
        ready: Option<bool>,
    ) -> Self {
        let health = reasons
            .iter()
            .map(|r| r.kind.severity())
            .max()
            .unwrap_or(HealthState::Healthy);
        HealthReport {
            session: session.to_owned(),
            health,
            reasons,
            pane_count: panes,
            live_pane_count: live,
            ready,
        }
    }

    pub(crate) fn missing(session: &str) -> Self {
        let reason = Reason {
            kind: ReasonKind::Missing,
            pane_id: None,
            message: format!("session {session} does not exist"),
            line: None,
        };
        HealthReport::new(session, vec![reason], 0, 0, None)
    }

    /// The reasons' messages joined with `"; "` (for error messages).
    pub fn summary(&self) -> String {
        let msgs: Vec<&str> = self.reasons.iter().map(|r| r.message.as_str()).collect();
        format!("{} ({})", self.health, msgs.join("; "))
    }
}

/// How a dead pane failed: a non-zero exit status or a killing signal. `None` for a clean
/// exit, and for a pane whose status tmux has not collected (it is not known to have failed).
pub(crate) fn dead_pane_failure(status: Option<i32>, signal: Option<i32>) -> Option<String> {
    match (status, signal) {
        (Some(code), _) if code != 0 => Some(format!("status {code}")),
        (_, Some(sig)) => Some(format!("signal {sig}")),
        _ => None,
    }
}

/// Apply the rules to a session's listed `panes` (one capture per live pane), given the
/// readiness result (`None`: not configured or not run).
pub(crate) fn evaluate(
    session: &Session,
    config: &HealthConfig,
    panes: &[PaneInfo],
    ready: Option<std::result::Result<(), String>>,
) -> Result<HealthReport> {
    let name = session.name().as_str();
    let res = config.regexes()?;
    let lines = config.effective_lines();
    let mut reasons = Vec::new();
    let live = panes.iter().filter(|p| !p.dead).count() as u32;
    if live == 0 {
        reasons.push(Reason {
            kind: ReasonKind::NoLivePane,
            pane_id: None,
            message: format!("session {name} has no live pane"),
            line: None,
        });
    }
    if let Some(Err(why)) = &ready {
        reasons.push(Reason {
            kind: ReasonKind::NotReady,
            pane_id: None,
            message: format!("not ready: {why}"),
            line: None,
        });
    }
    for p in panes {
        if p.dead {
            // Degraded when the process failed: a non-zero status or a killing signal. A pane
            // whose status tmux has not collected yet (`pane_dead` reads 1 first) is not
            // counted as a failure.
            if let Some(how) = dead_pane_failure(p.dead_status, p.dead_signal) {
                reasons.push(Reason {
                    kind: ReasonKind::DeadPane,
                    pane_id: Some(p.pane_id.clone()),
                    message: format!("pane {} died with {how}", p.pane_id),
                    line: None,
                });
            }
            continue;
        }
        if let Some((id, Some(code))) = p.last_exec() {
            if code != 0 {
                reasons.push(Reason {
                    kind: ReasonKind::ExecFailed,
                    pane_id: Some(p.pane_id.clone()),
                    message: format!("pane {}: command {id} exited with status {code}", p.pane_id),
                    line: None,
                });
            }
        }
        let pane = Pane::new(session.clone(), p.pane_id.parse()?);
        let text = match pane.capture(Some(lines)) {
            Ok(t) => t,
            Err(e) if e.kind() == crate::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let all: Vec<&str> = text.lines().collect();
        let recent = &all[all.len().saturating_sub(lines as usize)..];
        let hit = recent.iter().rev().find_map(|l| {
            res.iter()
                .find(|re| re.is_match(l))
                .map(|re| (l.to_string(), re.as_str().to_owned()))
        });
        if let Some((line, pattern)) = hit {
            reasons.push(Reason {
                kind: ReasonKind::ErrorPattern,
                pane_id: Some(p.pane_id.clone()),
                message: format!("pane {} printed {line:?} (matches /{pattern}/)", p.pane_id),
                line: Some(line),
            });
        }
    }
    let ready = ready.map(|r| r.is_ok());
    Ok(HealthReport::new(
        name,
        reasons,
        panes.len() as u32,
        live,
        ready,
    ))
}

impl Ctmux {
    /// The health settings of `session` (defaults if none are stored).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name; [`Error::Corrupt`] / [`Error::Io`] if the
    /// groups file cannot be read.
    pub fn session_health_config(&self, session: &str) -> Result<HealthConfig> {
        let name = SessionName::new(session)?;
        let file = crate::groups_file::load(self.state_dir())?;
        Ok(file.health.get(name.as_str()).cloned().unwrap_or_default())
    }

    /// Store health settings for `session` (which need not exist yet), replacing any.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name or settings (nothing is stored);
    /// [`Error::Corrupt`] / [`Error::Io`] as for the groups file.
    pub fn session_health_set(&self, session: &str, config: &HealthConfig) -> Result<()> {
        let name = SessionName::new(session)?;
        config.validate()?;
        crate::groups_file::update(self.state_dir(), |f| {
            f.health.insert(name.to_string(), config.clone());
            Ok(())
        })
    }

    /// Remove the stored health settings of `session` (defaults apply again).
    ///
    /// # Errors
    /// [`Error::NotFound`] if none are stored; else as [`Ctmux::session_health_set`].
    pub fn session_health_clear(&self, session: &str) -> Result<()> {
        let name = SessionName::new(session)?;
        crate::groups_file::update(self.state_dir(), |f| {
            f.health
                .remove(name.as_str())
                .map(|_| ())
                .ok_or_else(|| Error::not_found("health settings", name.to_string()))
        })
    }

    /// Check `session` once: the rules above, plus one run of its readiness check if it has
    /// one. A missing session is a report (unhealthy, reason `missing`), not an error.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name; [`Error::Corrupt`] if the groups file is bad;
    /// tmux errors other than "not found".
    pub fn session_health(&self, session: &str) -> Result<HealthReport> {
        let name = SessionName::new(session)?;
        let config = self.session_health_config(name.as_str())?;
        self.health_once(&name, &config)
    }

    pub(crate) fn health_once(
        &self,
        name: &SessionName,
        config: &HealthConfig,
    ) -> Result<HealthReport> {
        let found = match self.session(name.as_str()) {
            Ok(s) => s,
            Err(e) if e.kind() == crate::ErrorKind::NotFound => {
                return Ok(HealthReport::missing(name.as_str()))
            }
            Err(e) => return Err(e),
        };
        let panes = match found.panes() {
            Ok(p) => p,
            Err(e) if e.kind() == crate::ErrorKind::NotFound => {
                return Ok(HealthReport::missing(name.as_str()))
            }
            Err(e) => return Err(e),
        };
        let ready = config
            .readiness
            .as_ref()
            .map(|r| crate::readiness::probe(&found, &panes, r));
        evaluate(&found, config, &panes, ready)
    }
}

/// A change of a session's health: what a daemon would publish as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthChange {
    /// The session.
    pub session: String,
    /// The previous state; `None` for the first observation.
    pub from: Option<HealthState>,
    /// The new state.
    pub to: HealthState,
    /// The reasons behind the new state.
    pub reasons: Vec<Reason>,
}

/// The change from `previous` to `current` (same session), if the state differs. The first
/// observation (`previous` `None`) is a change.
pub fn health_change(
    previous: Option<&HealthReport>,
    current: &HealthReport,
) -> Option<HealthChange> {
    let from = previous.map(|p| p.health);
    (from != Some(current.health)).then(|| HealthChange {
        session: current.session.clone(),
        from,
        to: current.health,
        reasons: current.reasons.clone(),
    })
}

/// Remembers the last report per session and turns new reports into changes: the seam for
/// health events (a daemon feeds it reports and publishes what it returns).
#[derive(Debug, Clone, Default)]
pub struct HealthMonitor {
    last: std::collections::BTreeMap<String, HealthReport>,
}

impl HealthMonitor {
    /// An empty monitor.
    pub fn new() -> Self {
        HealthMonitor::default()
    }

    /// Record `report`; returns the change it makes, if any.
    pub fn observe(&mut self, report: HealthReport) -> Option<HealthChange> {
        let change = health_change(self.last.get(&report.session), &report);
        self.last.insert(report.session.clone(), report);
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_pane_rule() {
        assert_eq!(
            dead_pane_failure(Some(3), None).as_deref(),
            Some("status 3")
        );
        assert_eq!(
            dead_pane_failure(None, Some(9)).as_deref(),
            Some("signal 9")
        );
        assert_eq!(dead_pane_failure(Some(0), None), None);
        assert_eq!(dead_pane_failure(None, None), None);
    }

    #[test]
    fn changes_are_reported_once() {
        let mut m = HealthMonitor::new();
        let missing = HealthReport::missing("a");
        let c = m.observe(missing.clone()).unwrap();
        assert_eq!((c.from, c.to), (None, HealthState::Unhealthy));
        assert!(m.observe(missing).is_none());
        let healthy = HealthReport::new("a", vec![], 1, 1, None);
        let c = m.observe(healthy).unwrap();
        assert_eq!(c.from, Some(HealthState::Unhealthy));
        assert_eq!(c.to, HealthState::Healthy);
        assert!(c.reasons.is_empty());
    }
}
