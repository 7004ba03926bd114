//! Acting on every member of a group: [`Ctmux::group_exec`], [`Ctmux::group_kill`] and
//! [`Ctmux::group_up`].
//!
//! A member whose session does not exist is reported as `missing`, not as an error.
//! `group_up` is docker compose's `up --wait` for tmux sessions: members start in dependency
//! order and each one starts only once everything it needs is healthy.
//!
//! **Starting a member** means: if its session does not exist, create it (in the start
//! spec's `cwd`) and type the spec's command into the spec's pane (default `0`); if it
//! exists and that pane's shell is idle, type the command there; if the pane already runs a
//! job (or a ctmux exec that has not finished), leave it (`already_running`). A member
//! without a start spec is only waited for: it must exist. A dependency outside the group is
//! never started, only waited for.

use crate::client::{Ctmux, SessionOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::groups_file::{self, StartSpec};
use crate::health::{HealthReport, HealthState, ReasonKind};
use crate::ids::{PaneRef, SessionName};
use crate::pane::foreground_job;
use crate::readiness::Waiter;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// What happened to one member in [`Ctmux::group_exec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberOutcome {
    /// Started (and, when waited for, finished: see `exit_code`).
    Ok,
    /// The session does not exist.
    Missing,
    /// It failed; see `kind` and `error`.
    Error,
}

/// One member's result of [`Ctmux::group_exec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberExec {
    /// Session name.
    pub session: String,
    /// What happened.
    pub status: MemberOutcome,
    /// The pane it ran in.
    pub pane_id: Option<String>,
    /// The exec's id.
    pub exec_id: Option<String>,
    /// Exit code, when waited for.
    pub exit_code: Option<i32>,
    /// Output, when waited for (partial output after a timeout).
    pub output: Option<String>,
    /// Error kind (`Busy`, `NotFound`, `Timeout`, ...), when it failed.
    pub kind: Option<&'static str>,
    /// Error message, when it failed.
    pub error: Option<String>,
}

impl MemberExec {
    fn new(session: &str, status: MemberOutcome) -> Self {
        MemberExec {
            session: session.to_owned(),
            status,
            pane_id: None,
            exec_id: None,
            exit_code: None,
            output: None,
            kind: None,
            error: None,
        }
    }

    fn failed(mut self, e: &Error) -> Self {
        self.status = MemberOutcome::Error;
        self.kind = Some(e.kind().as_str());
        self.error = Some(e.to_string());
        if let Some(p) = e.partial_output() {
            self.output = Some(p.to_owned());
        }
        self
    }
}

/// One member's result of [`Ctmux::group_kill`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberKill {
    /// Session name.
    pub session: String,
    /// `"killed"` or `"missing"`.
    pub status: &'static str,
}

/// What [`Ctmux::group_up`] did to one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpAction {
    /// Created the session and started its command.
    Created,
    /// Started the command in the existing session's idle pane.
    Started,
    /// The pane already runs a job; left alone.
    AlreadyRunning,
    /// A member without a start spec: only waited for.
    Existing,
    /// A dependency outside the group: only waited for.
    External,
}

/// One step of [`Ctmux::group_up`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpStep {
    /// Session name.
    pub session: String,
    /// What was done.
    pub action: UpAction,
    /// The pane the command was typed into.
    pub pane_id: Option<String>,
    /// The exec's id.
    pub exec_id: Option<String>,
    /// Its health once waited for (`None` if never waited for).
    pub health: Option<HealthState>,
}

/// Why [`Ctmux::group_up`] stopped.
#[derive(Debug, Serialize)]
pub struct UpFailure {
    /// The session that failed.
    pub session: String,
    /// The error kind (`Timeout`, `NotFound`, ...).
    pub kind: &'static str,
    /// What went wrong (the error's message).
    pub reason: String,
    #[serde(skip)]
    error: Error,
}

impl UpFailure {
    fn new(session: &str, error: Error) -> Self {
        UpFailure {
            session: session.to_owned(),
            kind: error.kind().as_str(),
            reason: error.to_string(),
            error,
        }
    }

    /// The failure as an error.
    pub fn error(&self) -> &Error {
        &self.error
    }
}

/// The result of [`Ctmux::group_up_report`].
#[derive(Debug, Serialize)]
pub struct GroupUp {
    /// The group.
    pub group: String,
    /// The start order used (members and the dependencies they need).
    pub order: Vec<String>,
    /// What was done, in order, up to the failure if any.
    pub steps: Vec<UpStep>,
    /// The first failure; `None` when every member is up and healthy.
    pub failure: Option<UpFailure>,
}

impl GroupUp {
    /// `Ok(self)` when it succeeded, else the failure's error (which names the session).
    ///
    /// # Errors
    /// The failure as an [`Error`].
    pub fn into_result(mut self) -> Result<GroupUp> {
        match self.failure.take() {
            None => Ok(self),
            Some(f) => Err(f.error),
        }
    }
}

/// A member that did not come up: why, and its last health.
type NotUp = (Error, HealthState);

impl Ctmux {
    /// Run `cmd` in `pane` (index, `%id` or label; default `0`) of every member: all are
    /// started first, then, with `wait`, each is waited for until `timeout` (overall).
    /// Missing members and per-member failures (Busy, unknown pane, timeout) are results,
    /// not errors.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown group; [`Error::InvalidInput`] for an empty command
    /// or a bad pane reference.
    pub fn group_exec(
        &self,
        group: &str,
        cmd: &str,
        pane: Option<&str>,
        wait: bool,
        timeout: Option<Duration>,
    ) -> Result<Vec<MemberExec>> {
        crate::group::check_group_name(group)?;
        if cmd.trim().is_empty() || cmd.contains('\0') {
            return Err(Error::invalid("command", "must be non-empty, without NUL"));
        }
        let pane_ref: PaneRef = pane.unwrap_or("0").parse()?;
        let members = groups_file::load(self.state_dir())?
            .group(group)?
            .sessions
            .clone();
        let live: BTreeSet<String> = self.session_list()?.into_iter().map(|s| s.name).collect();
        let mut started = Vec::new();
        for m in &members {
            if !live.contains(m) {
                started.push((MemberExec::new(m, MemberOutcome::Missing), None));
                continue;
            }
            let mut r = MemberExec::new(m, MemberOutcome::Ok);
            let handle = self
                .session(m)
                .and_then(|s| s.pane(&pane_ref))
                .and_then(|p| {
                    r.pane_id = Some(p.id().to_string());
                    p.exec(cmd)
                });
            match handle {
                Ok(h) => {
                    r.exec_id = Some(h.id().to_owned());
                    started.push((r, Some(h)));
                }
                Err(e) => started.push((r.failed(&e), None)),
            }
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        Ok(started
            .into_iter()
            .map(|(r, h)| match h {
                Some(h) if wait => {
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    match h.wait(left) {
                        Ok(done) => MemberExec {
                            exit_code: Some(done.exit_code),
                            output: Some(done.output),
                            ..r
                        },
                        Err(e) => r.failed(&e),
                    }
                }
                _ => r,
            })
            .collect())
    }

    /// Kill every member's session; the group's definition stays (see
    /// [`Ctmux::group_delete`]).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown group; tmux errors other than "not found".
    pub fn group_kill(&self, group: &str) -> Result<Vec<MemberKill>> {
        crate::group::check_group_name(group)?;
        let members = groups_file::load(self.state_dir())?
            .group(group)?
            .sessions
            .clone();
        let mut out = Vec::new();
        for m in members {
            let status = match self.session_kill(&m) {
                Ok(()) => "killed",
                Err(e) if e.kind() == ErrorKind::NotFound => "missing",
                Err(e) => return Err(e),
            };
            out.push(MemberKill { session: m, status });
        }
        Ok(out)
    }

    /// Start every member in dependency order, each once everything it needs is healthy,
    /// then wait until all members are healthy; stop at the first failure (see
    /// [`Ctmux::group_up_report`]).
    ///
    /// # Errors
    /// As [`Ctmux::group_up_report`], plus the failure as an error naming the session and the
    /// reason ([`Error::Timeout`] if it did not become healthy in time).
    pub fn group_up(&self, group: &str, timeout: Duration) -> Result<GroupUp> {
        self.group_up_report(group, timeout)?.into_result()
    }

    /// As [`Ctmux::group_up`], but a member's failure is reported in
    /// [`GroupUp::failure`] (with the steps done so far) instead of as an error.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown group; [`Error::InvalidInput`] naming a dependency
    /// cycle; [`Error::Corrupt`] for a bad groups file.
    pub fn group_up_report(&self, group: &str, timeout: Duration) -> Result<GroupUp> {
        crate::group::check_group_name(group)?;
        let file = groups_file::load(self.state_dir())?;
        let record = file.group(group)?.clone();
        let graph = file.graph();
        let order = graph.order_of(&record.sessions)?;
        let deadline = Instant::now() + timeout;
        let members: BTreeSet<&str> = record.sessions.iter().map(String::as_str).collect();
        let mut up = GroupUp {
            group: group.to_owned(),
            order: order.clone(),
            steps: Vec::new(),
            failure: None,
        };
        let mut healthy: BTreeSet<String> = BTreeSet::new();
        for s in &order {
            for dep in graph.needs(s) {
                if healthy.contains(&dep) {
                    continue;
                }
                match self.wait_for_up(group, &dep, Some(s), deadline, timeout, &up.steps)? {
                    Ok(_) => {
                        healthy.insert(dep.clone());
                        set_health(&mut up.steps, &dep, HealthState::Healthy);
                    }
                    Err((e, health)) => {
                        set_health(&mut up.steps, &dep, health);
                        up.failure = Some(UpFailure::new(&dep, e));
                        return Ok(up);
                    }
                }
            }
            let step = if members.contains(s.as_str()) {
                self.start_member(s, record.start.get(s))
            } else {
                Ok(UpStep {
                    session: s.clone(),
                    action: UpAction::External,
                    pane_id: None,
                    exec_id: None,
                    health: None,
                })
            };
            match step {
                Ok(step) => up.steps.push(step),
                Err(e) => {
                    up.failure = Some(UpFailure::new(s, e));
                    return Ok(up);
                }
            }
        }
        for s in &record.sessions {
            if healthy.contains(s) {
                continue;
            }
            match self.wait_for_up(group, s, None, deadline, timeout, &up.steps)? {
                Ok(_) => set_health(&mut up.steps, s, HealthState::Healthy),
                Err((e, health)) => {
                    set_health(&mut up.steps, s, health);
                    up.failure = Some(UpFailure::new(s, e));
                    return Ok(up);
                }
            }
        }
        Ok(up)
    }

    /// Start one member as described in the module docs.
    fn start_member(&self, s: &str, spec: Option<&StartSpec>) -> Result<UpStep> {
        let name = SessionName::new(s)?;
        let mut step = UpStep {
            session: s.to_owned(),
            action: UpAction::Existing,
            pane_id: None,
            exec_id: None,
            health: None,
        };
        let existing = match self.session(name.as_str()) {
            Ok(sess) => Some(sess),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let Some(spec) = spec else {
            return match existing {
                Some(_) => Ok(step),
                None => Err(Error::not_found(
                    "session",
                    format!("{s} (it has no start command; give one with group-add --command)"),
                )),
            };
        };
        let session = match existing {
            Some(sess) => sess,
            None => {
                step.action = UpAction::Created;
                let opts = SessionOptions {
                    cwd: spec.cwd.clone(),
                    size: None,
                };
                self.session_create(name.as_str(), &opts)?
            }
        };
        let pane = session.pane_str(spec.pane.as_deref().unwrap_or("0"))?;
        step.pane_id = Some(pane.id().to_string());
        if step.action != UpAction::Created {
            let info = pane.info()?;
            let pending = matches!(info.last_exec(), Some((_, None)));
            if pending || (!info.dead && foreground_job(info.pid).is_some()) {
                step.action = UpAction::AlreadyRunning;
                return Ok(step);
            }
            step.action = UpAction::Started;
        }
        // Started to keep running (a service): nobody here waits for its output, and its
        // status must reach tmux (`@ctmux-done`) for health checks in any process.
        let handle = pane.exec_with(&spec.command, &crate::exec::ExecOptions::detached())?;
        step.exec_id = Some(handle.id().to_owned());
        Ok(step)
    }

    /// Wait until `s` (needed by `needed_by`, if given) is healthy or `deadline`. Fails
    /// early when the command group-up started in it (per `steps`) has already exited
    /// non-zero, or its readiness retries ran out.
    fn wait_for_up(
        &self,
        group: &str,
        s: &str,
        needed_by: Option<&str>,
        deadline: Instant,
        timeout: Duration,
        steps: &[UpStep],
    ) -> Result<std::result::Result<HealthReport, NotUp>> {
        let name = SessionName::new(s)?;
        let config = self.session_health_config(s)?;
        let mut waiter = Waiter::new(&name, config);
        let ours = steps
            .iter()
            .find(|st| st.session == s && st.exec_id.is_some())
            .and_then(|st| st.pane_id.clone());
        let needed = needed_by.map_or(String::new(), |n| format!(" (needed by {n})"));
        loop {
            let report = waiter.check(self)?;
            if report.health == HealthState::Healthy {
                return Ok(Ok(report));
            }
            if let Some(pane_id) = &ours {
                let exited = report.reasons.iter().find(|r| {
                    r.kind == ReasonKind::ExecFailed && r.pane_id.as_deref() == Some(pane_id)
                });
                if let Some(r) = exited {
                    let e = Error::invalid(
                        "start command",
                        format!("group {group}: {s}{needed} failed to start: {}", r.message),
                    );
                    return Ok(Err((e, report.health)));
                }
            }
            if let Some(e) = waiter.out_of_retries() {
                return Ok(Err((e, report.health)));
            }
            if Instant::now() >= deadline {
                let e = Error::Timeout {
                    what: format!(
                        "group {group}: {s}{needed} to become healthy; it is {}",
                        report.summary()
                    ),
                    seconds: timeout.as_secs_f64(),
                    partial: Default::default(),
                };
                return Ok(Err((e, report.health)));
            }
            std::thread::sleep(waiter.pause(Some(deadline)));
        }
    }
}

fn set_health(steps: &mut [UpStep], s: &str, h: HealthState) {
    if let Some(st) = steps.iter_mut().find(|st| st.session == s) {
        st.health = Some(h);
    }
}
