//! Resource limits, GC and the daemon's metrics history: `pane.setLimit`, `pane.limits`,
//! `pane.clearLimit`, `pane.metricsHistory`, `session.setKeep`, `session.keep`,
//! `client.gcEnable`, `client.gcDisable`, `client.gcRun` and `client.gcStatus` (further
//! `#[napi] impl` blocks of the classes in [`crate::pane`], [`crate::session`] and
//! [`crate::client`]), with their records.
//!
//! Each converts its arguments, runs the core call off the event loop ([`Blocking`]) and
//! resolves with the core's record read back through serde ([`from_core`]: same fields,
//! camelCase in JS).

use crate::client::Client;
use crate::pane::Pane;
use crate::records::from_core;
use crate::session::Session;
use crate::Blocking;
use ctmux_core::gc::{self, GcOptions};
use ctmux_core::limits::{LimitKind, LimitMode};
use ctmux_core::Error;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde::Deserialize;
use std::time::Duration;

// ---- arguments ------------------------------------------------------------------------------

/// Options of `pane.setLimit`.
#[napi(object)]
pub struct SetLimitOptions {
    /// `'enforce'` (signal the job) or `'notify'` (only report); kept when absent.
    #[napi(ts_type = "'enforce' | 'notify'")]
    pub mode: Option<String>,
    /// Seconds between SIGTERM and SIGKILL over the memory limit; kept when absent.
    pub grace_seconds: Option<f64>,
}

/// Options of `client.gcRun`.
#[napi(object)]
pub struct GcRunOptions {
    /// Widen the rules (protected sessions still survive).
    pub force: Option<bool>,
    /// Only list what a run would do.
    pub dry_run: Option<bool>,
}

/// A grace period in seconds; negative, NaN and infinite are InvalidInput (the core checks
/// the maximum).
fn grace(seconds: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidInput {
                what: "grace",
                reason: format!("{s} is not a finite, non-negative number of seconds"),
            })
        })
        .transpose()
}

// ---- records --------------------------------------------------------------------------------

/// A pane's limits as stored (`null`: not set).
#[napi(object)]
#[derive(Deserialize)]
pub struct PaneLimits {
    /// The pane's id.
    pub pane_id: String,
    /// CPU limit, percent of one core.
    pub cpu_percent: Option<f64>,
    /// Memory limit, MiB.
    pub memory_mb: Option<f64>,
    /// `'enforce'` or `'notify'`.
    #[napi(ts_type = "'enforce' | 'notify'")]
    pub action: String,
    /// Seconds between SIGTERM and SIGKILL over the memory limit.
    pub grace_seconds: f64,
}

/// GC settings (`gc.json` in the state dir).
#[napi(object)]
#[derive(Deserialize)]
pub struct GcConfig {
    /// Whether the daemon runs GC on its schedule.
    pub enabled: bool,
    /// A session idle this long (seconds) is killed.
    pub ttl_seconds: f64,
    /// Output or input more recent than this (seconds) protects a session.
    pub recent_seconds: f64,
    /// Seconds between scheduled runs.
    pub interval_seconds: f64,
    /// Dead panes older than this (seconds) are killed.
    pub dead_pane_seconds: f64,
    /// The newest this many snapshots of each session always stay.
    pub snapshot_keep_last: u32,
    /// Older snapshots beyond the newest `snapshotKeepLast` go after this (seconds).
    pub snapshot_max_age_seconds: f64,
    /// Rotated event logs older than this (seconds) are deleted.
    pub event_log_max_age_seconds: f64,
}

/// Summary of the last real GC run.
#[napi(object)]
#[derive(Deserialize)]
pub struct GcLastRun {
    /// When it ran, Unix milliseconds.
    pub at_ms: f64,
    /// Actions done.
    pub done: u32,
    /// Actions skipped or failed.
    pub skipped: u32,
    /// Whether it was forced.
    pub force: bool,
}

/// One thing a GC run removes; the fields besides `action` depend on it. In
/// `GcReport.skipped` it also says why it was not done (`reason`).
#[napi(object)]
#[derive(Deserialize)]
pub struct GcAction {
    /// What it does.
    #[napi(
        ts_type = "'kill_session' | 'kill_dead_pane' | 'drop_group_member' | 'drop_dependency' | 'drop_health' | 'delete_snapshot' | 'delete_event_log' | 'delete_leftover'"
    )]
    pub action: String,
    /// The session killed or changed, or whose state or snapshot goes.
    pub session: Option<String>,
    /// tmux id of a killed session.
    pub session_id: Option<String>,
    /// Seconds since a killed session's last activity.
    pub idle_seconds: Option<f64>,
    /// A killed dead pane.
    pub pane_id: Option<String>,
    /// Seconds since the pane died, if known.
    pub dead_seconds: Option<f64>,
    /// The group a member is dropped from.
    pub group: Option<String>,
    /// The session a dropped dependency needed.
    pub needs: Option<String>,
    /// A deleted snapshot, event log or leftover file.
    pub file: Option<String>,
    /// Its age in seconds.
    pub age_seconds: Option<f64>,
    /// Why a deleted leftover was one: `'exec_file_of_gone_pane'` or `'temp_file'`.
    #[napi(ts_type = "'exec_file_of_gone_pane' | 'temp_file'")]
    pub kind: Option<String>,
    /// Why a skipped action was not done (only in `GcReport.skipped`).
    pub reason: Option<String>,
}

/// A live session no GC rule may touch, and why (`'keep'`, `'running job'`, ...).
#[napi(object)]
#[derive(Deserialize)]
pub struct GcProtected {
    /// The session.
    pub session: String,
    /// Why.
    pub reasons: Vec<String>,
}

/// What `client.gcRun` did (or, as a dry run, would do).
#[napi(object)]
#[derive(Deserialize)]
pub struct GcReport {
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Whether the rules were widened.
    pub force: bool,
    /// Done (or to do, in a dry run), in order.
    pub actions: Vec<GcAction>,
    /// Planned but not done, each with its `reason`.
    pub skipped: Vec<GcAction>,
    /// Protected sessions.
    pub protected: Vec<GcProtected>,
    /// When, Unix milliseconds.
    pub at_ms: f64,
}

/// What a GC run would do now.
#[napi(object)]
#[derive(Deserialize)]
pub struct GcPlan {
    /// The actions, in the order they run.
    pub actions: Vec<GcAction>,
    /// Protected sessions.
    pub protected: Vec<GcProtected>,
}

/// GC config, last run, next scheduled run and what a run would do now.
#[napi(object)]
#[derive(Deserialize)]
pub struct GcStatus {
    /// Settings.
    pub config: GcConfig,
    /// The last real run.
    pub last_run: Option<GcLastRun>,
    /// When the schedule runs next, Unix milliseconds (`null` when disabled).
    pub next_run_ms: Option<f64>,
    /// What a plain run would do now.
    pub plan: GcPlan,
}

/// One sample the daemon took of a pane.
#[napi(object)]
#[derive(Deserialize)]
pub struct HistoryPoint {
    /// When, Unix milliseconds.
    pub at_ms: f64,
    /// CPU, percent of one core.
    pub cpu_percent: f64,
    /// Resident memory, MiB.
    pub memory_mb: f64,
    /// Resident memory, percent of the machine's RAM.
    pub memory_percent: f64,
    /// KiB read from storage.
    pub io_read_kb: f64,
    /// KiB written to storage.
    pub io_write_kb: f64,
    /// Threads over the tree.
    pub thread_count: f64,
    /// Processes in the tree.
    pub process_count: f64,
}

/// Summary of the points returned.
#[napi(object)]
#[derive(Deserialize)]
pub struct HistorySummary {
    /// Number of points.
    pub samples: u32,
    /// Mean CPU, percent of one core.
    pub cpu_avg: f64,
    /// Highest CPU.
    pub cpu_max: f64,
    /// Mean memory, MiB.
    pub memory_avg_mb: f64,
    /// Highest memory, MiB.
    pub memory_max_mb: f64,
}

/// The metrics the daemon sampled for a pane.
#[napi(object)]
#[derive(Deserialize)]
pub struct MetricsHistory {
    /// The pane's id.
    pub pane_id: String,
    /// The samples, oldest first.
    pub points: Vec<HistoryPoint>,
    /// Their summary (`null` without points).
    pub summary: Option<HistorySummary>,
}

// ---- methods --------------------------------------------------------------------------------

/// A limit kind by name: `cpu` or `memory` (the core's parser; anything else InvalidInput).
fn parse_kind(name: &str) -> ctmux_core::Result<LimitKind> {
    name.parse()
}

#[napi]
impl Pane {
    /// Set the pane's `kind` limit (`'cpu'`, percent of one core, or `'memory'`, MiB) to
    /// `value`; `mode` and `graceSeconds` when given. Resolves with the limits now set.
    #[napi(ts_return_type = "Promise<PaneLimits>")]
    pub fn set_limit(
        &self,
        #[napi(ts_arg_type = "'cpu' | 'memory'")] kind: String,
        value: f64,
        options: Option<SetLimitOptions>,
    ) -> AsyncTask<Blocking<PaneLimits>> {
        let pane = self.inner.clone();
        let (mode, grace_seconds) = match options {
            Some(o) => (o.mode, o.grace_seconds),
            None => (None, None),
        };
        Blocking::task(move || {
            let kind = parse_kind(&kind)?;
            let mode = mode.as_deref().map(str::parse::<LimitMode>).transpose()?;
            from_core(pane.set_limit(kind, value, mode, grace(grace_seconds)?)?)
        })
    }

    /// The pane's limits.
    #[napi(ts_return_type = "Promise<PaneLimits>")]
    pub fn limits(&self) -> AsyncTask<Blocking<PaneLimits>> {
        let pane = self.inner.clone();
        Blocking::task(move || from_core(pane.limits()?))
    }

    /// Remove the `kind` limit, or every limit setting without one. Resolves with what is
    /// left.
    #[napi(ts_return_type = "Promise<PaneLimits>")]
    pub fn clear_limit(
        &self,
        #[napi(ts_arg_type = "'cpu' | 'memory'")] kind: Option<String>,
    ) -> AsyncTask<Blocking<PaneLimits>> {
        let pane = self.inner.clone();
        Blocking::task(move || {
            let kind = kind.as_deref().map(parse_kind).transpose()?;
            from_core(pane.clear_limit(kind)?)
        })
    }

    /// The metrics the daemon sampled for the pane over the last `seconds` (default: all it
    /// keeps); rejects with `code: 'ServerUnavailable'` when no daemon runs.
    #[napi(ts_return_type = "Promise<MetricsHistory>")]
    pub fn metrics_history(&self, seconds: Option<f64>) -> AsyncTask<Blocking<MetricsHistory>> {
        let pane = self.inner.clone();
        Blocking::task(move || {
            let id = pane.id().to_string();
            from_core(pane.session().client().metrics_history(&id, seconds)?)
        })
    }
}

#[napi]
impl Session {
    /// Mark the session keep (GC never touches it or anything of it), or clear the mark.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_keep(&self, keep: bool) -> AsyncTask<Blocking<()>> {
        let session = self.inner.clone();
        Blocking::task(move || session.set_keep(keep))
    }

    /// Whether the session carries the keep mark.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn keep(&self) -> AsyncTask<Blocking<bool>> {
        let session = self.inner.clone();
        Blocking::task(move || session.keep())
    }
}

#[napi]
impl Client {
    /// Enable scheduled GC (run by the daemon), with a new idle `ttl` if given: seconds, or
    /// text with a unit (`'90m'`, `'2h'`, `'1d'`). Resolves with the GC config.
    #[napi(ts_return_type = "Promise<GcConfig>")]
    pub fn gc_enable(&self, ttl: Option<Either<String, f64>>) -> AsyncTask<Blocking<GcConfig>> {
        let client = self.inner.clone();
        let ttl = ttl.map(crate::convert::text);
        Blocking::task(move || {
            let ttl = ttl.as_deref().map(gc::parse_ttl).transpose()?;
            from_core(gc::enable(&client, ttl)?)
        })
    }

    /// Disable scheduled GC. Resolves with the GC config.
    #[napi(ts_return_type = "Promise<GcConfig>")]
    pub fn gc_disable(&self) -> AsyncTask<Blocking<GcConfig>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(gc::disable(&client)?))
    }

    /// Run GC now (`force` widens the rules; `dryRun` only lists what it would do).
    #[napi(ts_return_type = "Promise<GcReport>")]
    pub fn gc_run(&self, options: Option<GcRunOptions>) -> AsyncTask<Blocking<GcReport>> {
        let client = self.inner.clone();
        let (force, dry_run) = match options {
            Some(o) => (o.force.unwrap_or(false), o.dry_run.unwrap_or(false)),
            None => (false, false),
        };
        Blocking::task(move || {
            let opts = GcOptions {
                force,
                ttl_seconds: None,
            };
            from_core(gc::run(&client, &opts, dry_run)?)
        })
    }

    /// GC config, last run, next scheduled run and what a run would do now.
    #[napi(ts_return_type = "Promise<GcStatus>")]
    pub fn gc_status(&self) -> AsyncTask<Blocking<GcStatus>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(gc::status(&client)?))
    }
}
