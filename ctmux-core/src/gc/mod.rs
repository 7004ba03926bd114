//! Garbage collection: idle sessions, state of sessions that no longer exist, old event
//! logs, dead panes and stale snapshots — never what is working. The rules are in
//! `docs/gc.md`.
//!
//! - [`GcConfig`] lives in `<state dir>/gc.json` with the time of the last run (written
//!   atomically under the state dir's `gc.lock`; a file that does not parse is
//!   [`Error::Corrupt`] naming the path and is never overwritten).
//! - [`plan()`] reads the [`World`] (one tmux round trip for sessions, panes, activity times,
//!   keep marks; the groups file; the snapshot store; rotated event logs) and decides with
//!   the pure [`plan_world`]. [`run()`] executes a plan (or only reports it, as a dry run);
//!   [`run_if_due`] is the daemon's schedule; [`status`] shows config, last run and what a
//!   run would do now.
//! - Protected always: a session with a running job, recent output, an attached client, or
//!   the `keep` mark ([`Session::set_keep`], the session option `@ctmux-keep`) — and
//!   everything of a kept session. `force` widens the rules, never past a protection.
//!
//! ```
//! use ctmux_core::gc::{self, GcOptions};
//! use ctmux_core::{IsolatedServer, SessionOptions};
//! # fn main() -> ctmux_core::Result<()> {
//! let server = IsolatedServer::start()?;
//! let client = server.client()?;
//! let s = client.session_create("scratch", &SessionOptions::default())?;
//! s.set_keep(true)?;
//! let report = gc::run(&client, &GcOptions { force: true, ttl_seconds: None }, true)?;
//! assert!(report.actions.is_empty()); // kept (and its output is recent)
//! # Ok(()) }
//! ```

mod plan;
mod world;

pub use plan::{
    plan_world, protection, DeadPaneFacts, GcAction, GcOptions, GcPlan, LogFacts, MemberFacts,
    Protected, SessionFacts, SnapshotFacts, World,
};

use crate::client::Ctmux;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::state::{atomic_write, StateDir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The config file's name in the state dir.
pub const FILE_NAME: &str = "gc.json";
/// The schema version written (and the newest read).
pub const VERSION: u64 = 1;
/// Session option holding the keep mark.
pub const KEEP_OPTION: &str = "@ctmux-keep";
/// The longest idle TTL accepted (a year).
pub const MAX_TTL: u64 = 365 * 86_400;

/// GC settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GcConfig {
    /// Whether the daemon runs GC on its schedule.
    pub enabled: bool,
    /// A session idle (no foreground job, no input or output) this long is killed.
    pub ttl_seconds: u64,
    /// Output or input more recent than this protects a session from every rule, force
    /// included.
    pub recent_seconds: u64,
    /// The schedule: seconds between runs of an enabled GC.
    pub interval_seconds: u64,
    /// Dead panes older than this are killed.
    pub dead_pane_seconds: u64,
    /// The newest this many snapshots of each session always stay.
    pub snapshot_keep_last: u32,
    /// Snapshots beyond the newest `snapshot_keep_last` and older than this are deleted.
    pub snapshot_max_age_seconds: u64,
    /// Rotated event logs older than this are deleted.
    pub event_log_max_age_seconds: u64,
}

impl Default for GcConfig {
    /// Disabled; TTL a day; recent = 5 min; hourly; dead panes after an hour; snapshots:
    /// the last 10, then 7 days; logs 7 days.
    fn default() -> Self {
        GcConfig {
            enabled: false,
            ttl_seconds: 86_400,
            recent_seconds: 300,
            interval_seconds: 3600,
            dead_pane_seconds: 3600,
            snapshot_keep_last: 10,
            snapshot_max_age_seconds: 7 * 86_400,
            event_log_max_age_seconds: 7 * 86_400,
        }
    }
}

impl GcConfig {
    /// Check every value.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the bad field.
    pub fn validate(&self) -> Result<()> {
        check_ttl(self.ttl_seconds)?;
        for (what, v) in [
            ("recent_seconds", self.recent_seconds),
            ("interval_seconds", self.interval_seconds),
        ] {
            if v == 0 || v > MAX_TTL {
                return Err(Error::invalid(what, format!("{v}: must be 1..={MAX_TTL}")));
            }
        }
        if self.snapshot_keep_last == 0 {
            return Err(Error::invalid(
                "snapshot_keep_last",
                "must be at least 1 (the newest snapshot always stays)",
            ));
        }
        Ok(())
    }
}

fn check_ttl(ttl: u64) -> Result<()> {
    if ttl == 0 || ttl > MAX_TTL {
        return Err(Error::invalid(
            "gc ttl",
            format!("{ttl} s: must be 1 s to 365 days"),
        ));
    }
    Ok(())
}

/// Parse a TTL: seconds (`3600`) or a number with a unit `s`, `m`, `h`, `d` (`90m`, `2d`).
///
/// # Errors
/// [`Error::InvalidInput`] for anything else, 0, or more than [`MAX_TTL`].
pub fn parse_ttl(text: &str) -> Result<u64> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 'h')) => (&t[..i], 3600),
        Some((i, 'd')) => (&t[..i], 86_400),
        _ => (t, 1),
    };
    let ttl = num
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            Error::invalid(
                "gc ttl",
                format!("{text:?}: give seconds or a number with s, m, h or d (90m, 2d)"),
            )
        })?;
    check_ttl(ttl)?;
    Ok(ttl)
}

/// Summary of a finished run, kept in the state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    /// When it ran, Unix milliseconds.
    pub at_ms: u64,
    /// Actions done.
    pub done: usize,
    /// Actions skipped or failed.
    pub skipped: usize,
    /// Whether it was forced.
    pub force: bool,
}

/// The whole `gc.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcState {
    /// Schema version.
    pub version: u64,
    /// Settings.
    pub config: GcConfig,
    /// The last real (not dry) run, if any.
    pub last_run: Option<LastRun>,
}

impl Default for GcState {
    fn default() -> Self {
        GcState {
            version: VERSION,
            config: GcConfig::default(),
            last_run: None,
        }
    }
}

/// Where the gc file of `state` is.
pub fn path(state: &StateDir) -> PathBuf {
    state.path().join(FILE_NAME)
}

fn corrupt(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        what: format!("gc config {}", path.display()),
        reason: format!("{reason}; fix or delete the file (gc-disable will not overwrite it)"),
    }
}

/// Read the gc file (a missing one is the default).
///
/// # Errors
/// [`Error::Corrupt`] (with the path) for a file that does not parse, does not validate or
/// is newer than this ctmux; [`Error::Io`] if unreadable.
pub fn load(state: &StateDir) -> Result<GcState> {
    let path = path(state);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(GcState::default()),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let st: GcState = serde_json::from_slice(&bytes).map_err(|e| corrupt(&path, e))?;
    if st.version > VERSION {
        return Err(corrupt(
            &path,
            format!("version {} was written by a newer ctmux", st.version),
        ));
    }
    st.config.validate().map_err(|e| corrupt(&path, e))?;
    Ok(st)
}

/// Read, change with `f`, and write back the gc file under its lock. Nothing is written
/// when reading or `f` fails.
///
/// # Errors
/// As [`load`], `f`'s error, or [`Error::Io`].
pub fn update<T>(state: &StateDir, f: impl FnOnce(&mut GcState) -> Result<T>) -> Result<T> {
    let _lock = state.lock("gc")?;
    let mut st = load(state)?;
    let out = f(&mut st)?;
    st.config.validate()?;
    st.version = VERSION;
    let mut bytes = serde_json::to_vec_pretty(&st)
        .map_err(|e| Error::io("serializing the gc file", std::io::Error::other(e)))?;
    bytes.push(b'\n');
    atomic_write(&path(state), &bytes)?;
    Ok(out)
}

/// Enable scheduled GC, with a new idle TTL if given. Returns the config.
///
/// # Errors
/// [`Error::InvalidInput`] for a bad TTL; as [`update`].
pub fn enable(client: &Ctmux, ttl_seconds: Option<u64>) -> Result<GcConfig> {
    if let Some(t) = ttl_seconds {
        check_ttl(t)?;
    }
    update(client.state_dir(), |st| {
        st.config.enabled = true;
        if let Some(t) = ttl_seconds {
            st.config.ttl_seconds = t;
        }
        Ok(st.config)
    })
}

/// Disable scheduled GC. Returns the config.
///
/// # Errors
/// As [`update`].
pub fn disable(client: &Ctmux) -> Result<GcConfig> {
    update(client.state_dir(), |st| {
        st.config.enabled = false;
        Ok(st.config)
    })
}

/// What a run did (or, as a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Whether the rules were widened.
    pub force: bool,
    /// Done (or to do, in a dry run), in order.
    pub actions: Vec<GcAction>,
    /// Planned but not done, with why (the session started a job, a file vanished, ...).
    pub skipped: Vec<Skipped>,
    /// Protected sessions.
    pub protected: Vec<Protected>,
    /// When, Unix milliseconds.
    pub at_ms: u64,
}

/// A planned action that was not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The action.
    #[serde(flatten)]
    pub action: GcAction,
    /// Why.
    pub reason: String,
}

/// Now, Unix milliseconds.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Read the world and decide what a run would do now.
///
/// # Errors
/// [`Error::Corrupt`] for a corrupt gc or groups file; [`Error::Tmux`] / [`Error::Io`] if
/// tmux or the state dir cannot be read.
pub fn plan(client: &Ctmux, opts: &GcOptions) -> Result<GcPlan> {
    let st = load(client.state_dir())?;
    if let Some(t) = opts.ttl_seconds {
        check_ttl(t)?;
    }
    let world = world::gather(client, now_ms())?;
    Ok(plan_world(&world, &st.config, opts))
}

/// Plan and, unless `dry_run`, execute: kill idle sessions and old dead panes, drop stale
/// state, delete stale snapshots and old logs. Each session is checked again right before
/// it is killed (a job started since the plan protects it: the action is skipped). A real
/// run records itself as the last run.
///
/// # Errors
/// As [`plan()`]. Failures of single actions are reported in [`GcReport::skipped`].
pub fn run(client: &Ctmux, opts: &GcOptions, dry_run: bool) -> Result<GcReport> {
    let st = load(client.state_dir())?;
    if let Some(t) = opts.ttl_seconds {
        check_ttl(t)?;
    }
    let at_ms = now_ms();
    let world = world::gather(client, at_ms)?;
    let plan = plan_world(&world, &st.config, opts);
    let mut report = GcReport {
        dry_run,
        force: opts.force,
        actions: Vec::new(),
        skipped: Vec::new(),
        protected: plan.protected.clone(),
        at_ms,
    };
    if dry_run {
        report.actions = plan.actions;
        return Ok(report);
    }
    world::execute(client, &st.config, plan.actions, &mut report)?;
    let last = LastRun {
        at_ms,
        done: report.actions.len(),
        skipped: report.skipped.len(),
        force: opts.force,
    };
    update(client.state_dir(), |s| {
        s.last_run = Some(last);
        Ok(())
    })?;
    Ok(report)
}

/// The daemon's schedule: run (not forced) if GC is enabled and the last run is at least
/// `interval_seconds` before `now`; `None` when not due.
///
/// # Errors
/// As [`run()`].
pub fn run_if_due(client: &Ctmux, now: SystemTime) -> Result<Option<GcReport>> {
    let st = load(client.state_dir())?;
    if !st.config.enabled {
        return Ok(None);
    }
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    if let Some(last) = &st.last_run {
        if now_ms.saturating_sub(last.at_ms) < st.config.interval_seconds * 1000 {
            return Ok(None);
        }
    }
    run(client, &GcOptions::default(), false).map(Some)
}

/// Config, last run, when the next scheduled run is due, and what a run would do now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcStatus {
    /// Settings.
    pub config: GcConfig,
    /// The last real run.
    pub last_run: Option<LastRun>,
    /// When the schedule runs next, Unix milliseconds (`None` when disabled).
    pub next_run_ms: Option<u64>,
    /// What a plain run would do now.
    pub plan: GcPlan,
}

/// Config, last run and the plan of a run now.
///
/// # Errors
/// As [`plan()`].
pub fn status(client: &Ctmux) -> Result<GcStatus> {
    let st = load(client.state_dir())?;
    let plan = plan(client, &GcOptions::default())?;
    let next_run_ms = st.config.enabled.then(|| match &st.last_run {
        Some(l) => l.at_ms + st.config.interval_seconds * 1000,
        None => now_ms(),
    });
    Ok(GcStatus {
        config: st.config,
        last_run: st.last_run,
        next_run_ms,
        plan,
    })
}

impl Session {
    /// Mark the session `keep` (GC never touches it or anything of it) or clear the mark.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the session is gone.
    pub fn set_keep(&self, keep: bool) -> Result<()> {
        let argv: Vec<&str> = if keep {
            vec!["set-option", "-t", self.id(), KEEP_OPTION, "1"]
        } else {
            vec!["set-option", "-u", "-t", self.id(), KEEP_OPTION]
        };
        self.client().tmux(&argv).map_err(|e| self.gone_err(e))?;
        Ok(())
    }

    /// Whether the session carries the keep mark.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the session is gone.
    pub fn keep(&self) -> Result<bool> {
        let out = self
            .client()
            .tmux(&[
                "display-message",
                "-p",
                "-t",
                self.id(),
                &format!("#{{session_id}}{}#{{{KEEP_OPTION}}}", crate::client::SEP),
            ])
            .map_err(|e| self.gone_err(e))?;
        let line = out.trim_end_matches('\n');
        match line.split_once(crate::client::SEP) {
            Some((id, v)) if id == self.id() => Ok(world::is_kept(v)),
            _ => Err(Error::not_found("session", self.name().to_string())),
        }
    }

    fn gone_err(&self, e: Error) -> Error {
        if matches!(
            e.kind(),
            crate::ErrorKind::NotFound
                | crate::ErrorKind::ServerUnavailable
                | crate::ErrorKind::Tmux
        ) {
            Error::not_found("session", self.name().to_string())
        } else {
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn ttl_parsing() {
        assert_eq!(parse_ttl("3600").unwrap(), 3600);
        assert_eq!(parse_ttl("90m").unwrap(), 5400);
        assert_eq!(parse_ttl("2d").unwrap(), 172_800);
        assert_eq!(parse_ttl("45s").unwrap(), 45);
        for bad in [
            "",
            "0",
            "-5",
            "1.5h",
            "x",
            "1y",
            "400d",
            "99999999999999999999d",
        ] {
            assert_eq!(
                parse_ttl(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn config_file_round_trip_and_corruption() {
        let t = tempfile::tempdir().unwrap();
        let state = StateDir::open(t.path().join("s")).unwrap();
        assert_eq!(load(&state).unwrap(), GcState::default());
        update(&state, |s| {
            s.config.enabled = true;
            Ok(())
        })
        .unwrap();
        assert!(load(&state).unwrap().config.enabled);
        for bad in [
            &b"{"[..],
            b"[]",
            b"{\"version\": 9, \"config\": {}, \"last_run\": null}",
            b"{\"version\": 1, \"config\": {\"ttl_seconds\": 0}, \"last_run\": null}",
            b"{\"version\": 1, \"config\": {\"bogus\": 1}, \"last_run\": null}",
        ] {
            std::fs::write(path(&state), bad).unwrap();
            let e = load(&state).unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::Corrupt,
                "{}",
                String::from_utf8_lossy(bad)
            );
            assert!(e.to_string().contains("gc.json"), "{e}");
            // A change never overwrites a corrupt file.
            assert!(update(&state, |_| Ok(())).is_err());
            assert_eq!(std::fs::read(path(&state)).unwrap(), bad);
        }
    }
}
