//! The daemon's periodic work, each with its own control-mode client:
//!
//! - every second: autosave ([`super::autosave::Autosaver`]);
//! - every [`DaemonConfig::metrics_interval_seconds`]: one metrics sample of every pane into
//!   the bounded history served by `metrics_history` requests;
//! - every 2 s: the health of every session that has health settings or is in a group
//!   ([`crate::health::HealthMonitor`]), each change published as a `health_changed` event;
//! - every minute: garbage collection when enabled and due ([`crate::gc::run_if_due`]),
//!   each action published as a `gc_action` event;
//! - continuously (its own thread, every 100 ms): resource-limit enforcement
//!   ([`crate::limits::Enforcer`]), each action published as a `limit_exceeded` event.

use super::server::{lock, Shared};
use super::DaemonPaths;
use crate::error::{Error, Result};
use crate::events::EventBody;
use crate::limits::{Enforcer, EnforcerConfig, LimitAction};
use crate::metrics::MetricsSampler;
use crate::server::Server;
use crate::state::StateDir;
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How often the jobs loop wakes.
const TICK: Duration = Duration::from_millis(100);

/// How often session health is evaluated.
const HEALTH_EVERY: Duration = Duration::from_secs(2);

/// How often GC is considered (it runs only when enabled and its interval has passed).
const GC_EVERY: Duration = Duration::from_secs(60);

/// Settings of the daemon (`daemon.json`), re-read when the file changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// Seconds between two metrics samples of every pane (1 - 3600).
    pub metrics_interval_seconds: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            metrics_interval_seconds: 5,
        }
    }
}

/// Where the settings are.
pub fn config_file(paths: &DaemonPaths) -> std::path::PathBuf {
    paths.dir.join("daemon.json")
}

/// Read the settings (defaults when there is no file).
///
/// # Errors
/// [`Error::Corrupt`] when the file does not parse.
pub fn load_config(paths: &DaemonPaths) -> Result<DaemonConfig> {
    let path = config_file(paths);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::Corrupt {
            what: path.display().to_string(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DaemonConfig::default()),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// Set the metrics sampling interval (a running daemon picks it up within a second).
///
/// # Errors
/// [`Error::InvalidInput`] outside 1..=3600 s; [`Error::Io`] if it cannot be written.
pub fn set_metrics_interval(paths: &DaemonPaths, seconds: u64) -> Result<()> {
    if !(1..=3600).contains(&seconds) {
        return Err(Error::invalid(
            "metrics interval",
            format!("{seconds} s is outside 1..=3600 s"),
        ));
    }
    let cfg = DaemonConfig {
        metrics_interval_seconds: seconds,
    };
    let bytes = serde_json::to_vec_pretty(&cfg)
        .map_err(|e| Error::io("encoding daemon.json", std::io::Error::other(e)))?;
    crate::state::atomic_write(&config_file(paths), &bytes)
}

fn client(server: &Server, state: &StateDir) -> Result<crate::Ctmux> {
    crate::Ctmux::builder()
        .server(server.clone())
        .state_dir(state.path())
        .backend_kind(crate::BackendKind::Control)
        .build()
}

fn limit_event(a: LimitAction) -> EventBody {
    EventBody::LimitExceeded {
        session: a.session.clone(),
        pane: a.pane_id.clone(),
        limit_kind: a.kind.to_string(),
        limit: a.limit,
        observed: a.observed,
        action: a.action.as_str().to_owned(),
        reason: a.reason.clone(),
    }
}

/// Start the jobs; the returned thread ends (after the enforcer's) once `shared.stop` is set.
pub(super) fn start(
    shared: &Arc<Shared>,
    server: &Server,
    state: &StateDir,
    paths: &DaemonPaths,
) -> Result<std::thread::JoinHandle<()>> {
    let jobs_client = client(server, state)?;
    let enforcer_client = client(server, state)?;
    let enforcer_shared = Arc::clone(shared);
    let enforcer = std::thread::Builder::new()
        .name("ctmux-daemon-limits".into())
        .spawn(move || {
            let Ok(mut enforcer) = Enforcer::new(enforcer_client, EnforcerConfig::default()) else {
                return;
            };
            let hub = Arc::clone(&enforcer_shared.hub);
            enforcer.run(&enforcer_shared.stop, |a| {
                hub.publish(limit_event(a));
            });
        })
        .map_err(|e| Error::io("starting the limits thread", e))?;
    let shared = Arc::clone(shared);
    let paths = paths.clone();
    std::thread::Builder::new()
        .name("ctmux-daemon-jobs".into())
        .spawn(move || {
            let sampler = MetricsSampler::new(Duration::from_millis(20));
            let mut next_save = Instant::now();
            let mut next_sample = Instant::now();
            let mut next_gc = Instant::now() + Duration::from_secs(5);
            let mut next_health = Instant::now();
            let mut health = crate::health::HealthMonitor::new();
            while !shared.stop.load(Ordering::SeqCst) {
                let now = Instant::now();
                let running = jobs_client.server().is_running();
                if now >= next_save {
                    next_save = now + Duration::from_secs(1);
                    if running {
                        lock(&shared.autosaver).tick(&jobs_client, &paths, &shared.hub);
                    }
                }
                if now >= next_sample {
                    let every = load_config(&paths)
                        .unwrap_or_default()
                        .metrics_interval_seconds;
                    next_sample = now + Duration::from_secs(every.clamp(1, 3600));
                    if running {
                        sample(&jobs_client, &sampler, &shared);
                    }
                }
                if now >= next_health {
                    next_health = now + HEALTH_EVERY;
                    if running {
                        watch_health(&jobs_client, &mut health, &shared);
                    }
                }
                if now >= next_gc {
                    next_gc = now + GC_EVERY;
                    if running {
                        run_gc(&jobs_client, &shared);
                    }
                }
                std::thread::sleep(TICK);
            }
            let _ = enforcer.join();
        })
        .map_err(|e| Error::io("starting the jobs thread", e))
}

/// One metrics sample of every live pane into the history.
fn sample(client: &crate::Ctmux, sampler: &MetricsSampler, shared: &Shared) {
    let Ok(out) = client.tmux(&["list-panes", "-a", "-F", crate::pane::PROCESS_FORMAT]) else {
        return;
    };
    let at = SystemTime::now();
    let mut live = Vec::new();
    let mut roots = Vec::new();
    for p in out.lines().filter_map(crate::pane::PaneProcess::parse) {
        if !p.live() {
            continue;
        }
        if let Ok(m) = sampler.measure(&p.pane_id, p.pid, false) {
            lock(&shared.history).push(&p.pane_id, &m, at);
        }
        roots.push(p.pid);
        live.push(p.pane_id);
    }
    sampler.retain(&roots);
    lock(&shared.history).retain_panes(&live);
}

fn run_gc(client: &crate::Ctmux, shared: &Shared) {
    match crate::gc::run_if_due(client, SystemTime::now()) {
        Ok(Some(report)) => {
            for a in &report.actions {
                let action = serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.get("action").and_then(|x| x.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                shared.hub.publish(EventBody::GcAction {
                    action,
                    session: a.live_session().map(str::to_owned),
                    detail: a.to_string(),
                });
            }
        }
        Ok(None) => {}
        Err(e) => {
            shared.hub.publish(EventBody::Warning {
                message: format!("gc: {e}"),
            });
        }
    }
}

/// Evaluate the health of every session with health settings or in a group; publish changes.
fn watch_health(
    client: &crate::Ctmux,
    monitor: &mut crate::health::HealthMonitor,
    shared: &Shared,
) {
    let Ok(sessions) = crate::groups_file::watched_sessions(client.state_dir()) else {
        return;
    };
    for s in sessions {
        let Ok(report) = client.session_health(&s) else {
            continue;
        };
        if let Some(change) = monitor.observe(report) {
            shared.hub.publish(EventBody::HealthChanged {
                session: change.session,
                from: change.from.map(|h| h.as_str().to_owned()),
                to: change.to.as_str().to_owned(),
                reasons: change.reasons.into_iter().map(|r| r.message).collect(),
            });
        }
    }
}
