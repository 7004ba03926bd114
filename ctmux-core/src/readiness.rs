//! Readiness checks and waiting for health: [`Ctmux::session_wait_healthy`].
//!
//! A pattern check reads each live pane's whole history once per check; a command check
//! runs `sh -c CMD` as a child of ctmux (not in the pane, which runs the service) in its own
//! process group, in the first live pane's working directory with `CTMUX_SESSION` set, and
//! kills the group if it outlives the check's timeout. The wait loop re-applies the health
//! rules every 100 ms and runs the readiness check every `interval`; see [`crate::health`]
//! for the rules and for how `retries` and `start_period` count.

use crate::client::Ctmux;
use crate::error::{Error, Partial, Result};
use crate::health::{evaluate, HealthConfig, HealthReport, HealthState, Readiness, ReadyCheck};
use crate::ids::SessionName;
use crate::pane::{Pane, PaneInfo};
use crate::session::Session;
use crate::watch::compile;
use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often a wait re-applies the health rules.
const POLL: Duration = Duration::from_millis(100);

/// Run `r` once against `session` (whose panes are `panes`): `Ok` when ready, else why not.
pub(crate) fn probe(
    session: &Session,
    panes: &[PaneInfo],
    r: &Readiness,
) -> std::result::Result<(), String> {
    match &r.check {
        ReadyCheck::Pattern(p) => probe_pattern(session, panes, p),
        ReadyCheck::Command(c) => {
            let cwd = panes
                .iter()
                .find(|p| !p.dead && std::path::Path::new(&p.cwd).is_dir())
                .map(|p| p.cwd.clone());
            run_check(c, cwd.as_deref(), session.name().as_str(), r.timeout)
        }
    }
}

fn probe_pattern(
    session: &Session,
    panes: &[PaneInfo],
    pattern: &str,
) -> std::result::Result<(), String> {
    let re = compile(pattern).map_err(|e| e.to_string())?;
    for p in panes.iter().filter(|p| !p.dead) {
        let Ok(id) = p.pane_id.parse() else { continue };
        let pane = Pane::new(session.clone(), id);
        // The whole history: the line may have scrolled far up by now.
        if let Ok(text) = pane.capture(Some(p.history_size.max(1))) {
            if text.lines().any(|l| re.is_match(l)) {
                return Ok(());
            }
        }
    }
    Err(format!("/{pattern}/ has not appeared in any live pane"))
}

/// Run a readiness command with a time limit.
fn run_check(
    cmd: &str,
    cwd: Option<&str>,
    session: &str,
    timeout: Duration,
) -> std::result::Result<(), String> {
    let mut log = tempfile::tempfile().map_err(|e| format!("cannot make a temp file: {e}"))?;
    let err_log = log
        .try_clone()
        .map_err(|e| format!("cannot share a temp file: {e}"))?;
    let log_out = log
        .try_clone()
        .map_err(|e| format!("cannot share a temp file: {e}"))?;
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(cmd)
        .env("CTMUX_SESSION", session)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log_out))
        .stderr(Stdio::from(err_log))
        .process_group(0);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run the readiness command: {e}"))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
                let _ = child.wait();
                return Err(format!(
                    "the readiness command ran longer than its {} s timeout",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for the readiness command: {e}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    let _ = log.rewind();
    let _ = log.take(64 * 1024).read_to_string(&mut text);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let code = status
        .code()
        .map_or_else(|| "a signal".to_owned(), |c| format!("status {c}"));
    Err(if last.is_empty() {
        format!("the readiness command exited with {code}")
    } else {
        format!("the readiness command exited with {code}: {last}")
    })
}

/// Counts readiness results across a wait, as compose does.
#[derive(Debug)]
pub(crate) struct Waiter<'a> {
    name: &'a SessionName,
    config: HealthConfig,
    started: Instant,
    next_probe: Instant,
    last_ready: Option<std::result::Result<(), String>>,
    failures: u32,
}

impl<'a> Waiter<'a> {
    pub(crate) fn new(name: &'a SessionName, config: HealthConfig) -> Self {
        let now = Instant::now();
        Waiter {
            name,
            config,
            started: now,
            next_probe: now,
            last_ready: None,
            failures: 0,
        }
    }

    /// One round: apply the rules, running the readiness check if its interval has passed.
    pub(crate) fn check(&mut self, client: &Ctmux) -> Result<HealthReport> {
        let session = match client.session(self.name.as_str()) {
            Ok(s) => s,
            Err(e) if e.kind() == crate::ErrorKind::NotFound => {
                return Ok(HealthReport::missing(self.name.as_str()))
            }
            Err(e) => return Err(e),
        };
        let panes = match session.panes() {
            Ok(p) => p,
            Err(e) if e.kind() == crate::ErrorKind::NotFound => {
                return Ok(HealthReport::missing(self.name.as_str()))
            }
            Err(e) => return Err(e),
        };
        if let Some(r) = &self.config.readiness {
            let now = Instant::now();
            if now >= self.next_probe {
                let result = probe(&session, &panes, r);
                self.next_probe = Instant::now() + r.interval;
                match &result {
                    Ok(()) => self.failures = 0,
                    Err(_) if now.duration_since(self.started) >= r.start_period => {
                        self.failures += 1
                    }
                    Err(_) => {}
                }
                self.last_ready = Some(result);
            }
        }
        evaluate(&session, &self.config, &panes, self.last_ready.clone())
    }

    /// Whether readiness failures used up the retries.
    pub(crate) fn out_of_retries(&self) -> Option<Error> {
        let r = self.config.readiness.as_ref()?;
        let retries = r.retries?;
        (self.failures >= retries).then(|| {
            let why = match &self.last_ready {
                Some(Err(w)) => w.clone(),
                _ => String::new(),
            };
            Error::Timeout {
                what: format!(
                    "session {} to become ready: the readiness check failed {} times in a row \
                     after the {} s start period ({why})",
                    self.name,
                    self.failures,
                    r.start_period.as_secs_f64()
                ),
                seconds: self.started.elapsed().as_secs_f64(),
                partial: Partial::default(),
            }
        })
    }

    /// How long to sleep before the next round, at most until `deadline`.
    pub(crate) fn pause(&self, deadline: Option<Instant>) -> Duration {
        let now = Instant::now();
        let mut d = POLL;
        if self.config.readiness.is_some() {
            d = d.min(
                self.next_probe
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(5)),
            );
        }
        if let Some(dl) = deadline {
            d = d.min(dl.saturating_duration_since(now));
        }
        d
    }
}

/// The error of a wait that ran out of time, with the last report's reasons.
pub(crate) fn not_healthy_in_time(name: &SessionName, seconds: f64, last: &HealthReport) -> Error {
    Error::Timeout {
        what: format!("session {name} to become healthy; it is {}", last.summary()),
        seconds,
        partial: Partial::default(),
    }
}

impl Ctmux {
    /// Wait until `session` is healthy (see [`crate::health`]) and return that report.
    /// A missing session is waited for (it may be created meanwhile). `timeout` `None`
    /// waits for ever.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name; [`Error::Timeout`] when the time runs out (the
    /// message names the last state and its reasons) or the readiness check failed `retries`
    /// times in a row after the start period; [`Error::Corrupt`] for a bad groups file.
    pub fn session_wait_healthy(
        &self,
        session: &str,
        timeout: Option<Duration>,
    ) -> Result<HealthReport> {
        let name = SessionName::new(session)?;
        let config = self.session_health_config(name.as_str())?;
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut waiter = Waiter::new(&name, config);
        loop {
            let report = waiter.check(self)?;
            if report.health == HealthState::Healthy {
                return Ok(report);
            }
            if let Some(e) = waiter.out_of_retries() {
                return Err(e);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                let secs = timeout.unwrap_or_default().as_secs_f64();
                return Err(not_healthy_in_time(&name, secs, &report));
            }
            std::thread::sleep(waiter.pause(deadline));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_commands() {
        let t = Duration::from_secs(10);
        assert_eq!(
            run_check("test \"$CTMUX_SESSION\" = s1", None, "s1", t),
            Ok(())
        );
        let e = run_check("echo nope >&2; exit 3", Some("/"), "s", t).unwrap_err();
        assert!(e.contains("status 3: nope"), "{e}");
        let e = run_check("sleep 5", None, "s", Duration::from_millis(50)).unwrap_err();
        assert!(e.contains("timeout"), "{e}");
    }
}
