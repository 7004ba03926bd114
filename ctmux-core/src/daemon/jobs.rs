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
/// How often the daemon removes what gone panes and killed writes left in the state dir.
const SYNC_EVERY: Duration = Duration::from_secs(60);

/// Settings of the daemon (`daemon.json`), re-read when the file changes. A field missing
/// from the file has its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Seconds between two metrics samples of every pane (1 - 3600).
    pub metrics_interval_seconds: u64,
    /// Client connections served at once (1 - 65 536, default 256); one more is refused
    /// with a `Busy` reply naming this setting.
    pub max_connections: usize,
    /// Subscriptions served at once (1 - 65 536, default 128); one more is refused the
    /// same way. Each is also a connection.
    pub max_subscribers: usize,
    /// Bytes of events a subscriber may have waiting (16 KiB - 1 GiB, default 256 KiB).
    pub subscriber_buffer_bytes: usize,
    /// Seconds the oldest waiting event of a full subscriber may wait before it lags (1 -
    /// 600, default 5): until then output waits for it.
    pub subscriber_stall_seconds: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            metrics_interval_seconds: 5,
            max_connections: 256,
            max_subscribers: 128,
            subscriber_buffer_bytes: 256 * 1024,
            subscriber_stall_seconds: 5,
        }
    }
}

/// The accepted range of each numeric setting, by field name.
pub const CONFIG_RANGES: [(&str, u64, u64); 5] = [
    ("metrics_interval_seconds", 1, 3600),
    ("max_connections", 1, 65_536),
    ("max_subscribers", 1, 65_536),
    ("subscriber_buffer_bytes", 16 * 1024, 1 << 30),
    ("subscriber_stall_seconds", 1, 600),
];

impl DaemonConfig {
    fn fields(&self) -> [(&'static str, u64); 5] {
        [
            ("metrics_interval_seconds", self.metrics_interval_seconds),
            ("max_connections", self.max_connections as u64),
            ("max_subscribers", self.max_subscribers as u64),
            (
                "subscriber_buffer_bytes",
                self.subscriber_buffer_bytes as u64,
            ),
            ("subscriber_stall_seconds", self.subscriber_stall_seconds),
        ]
    }

    /// Check every setting against [`CONFIG_RANGES`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        for ((name, v), (_, lo, hi)) in self.fields().into_iter().zip(CONFIG_RANGES) {
            if !(lo..=hi).contains(&v) {
                return Err(Error::invalid(
                    "daemon setting",
                    format!("{name} = {v} is outside {lo}..={hi}"),
                ));
            }
        }
        Ok(())
    }

    /// The budget of each new subscriber.
    pub fn subscriber_budget(&self) -> crate::events::hub::Budget {
        crate::events::hub::Budget {
            max_bytes: self.subscriber_buffer_bytes.clamp(16 * 1024, 1 << 30),
            stall: Duration::from_secs(self.subscriber_stall_seconds.clamp(1, 600)),
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
/// [`Error::Corrupt`] when the file does not parse or holds a value out of range.
pub fn load_config(paths: &DaemonPaths) -> Result<DaemonConfig> {
    let path = config_file(paths);
    let corrupt = |reason: String| Error::Corrupt {
        what: path.display().to_string(),
        reason,
    };
    match std::fs::read(&path) {
        Ok(b) => {
            let cfg: DaemonConfig =
                serde_json::from_slice(&b).map_err(|e| corrupt(e.to_string()))?;
            cfg.validate().map_err(|e| corrupt(e.to_string()))?;
            Ok(cfg)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DaemonConfig::default()),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// Change the settings: `change` edits the current ones (defaults when there is no file),
/// and the result is checked and written atomically. A running daemon picks the change up
/// within a second (a new subscriber budget applies to new subscribers).
///
/// # Errors
/// [`Error::InvalidInput`] for a value out of range ([`CONFIG_RANGES`]);
/// [`Error::Corrupt`] when the current file does not parse; [`Error::Io`] if it cannot be
/// written.
pub fn update_config(paths: &DaemonPaths, change: impl FnOnce(&mut DaemonConfig)) -> Result<()> {
    let mut cfg = load_config(paths)?;
    change(&mut cfg);
    cfg.validate()?;
    let bytes = serde_json::to_vec_pretty(&cfg)
        .map_err(|e| Error::io("encoding daemon.json", std::io::Error::other(e)))?;
    crate::state::atomic_write(&config_file(paths), &bytes)
}

/// Set the metrics sampling interval (a running daemon picks it up within a second).
///
/// # Errors
/// [`Error::InvalidInput`] outside 1..=3600 s; as [`update_config`].
pub fn set_metrics_interval(paths: &DaemonPaths, seconds: u64) -> Result<()> {
    update_config(paths, |c| c.metrics_interval_seconds = seconds)
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
            let mut next_sync = Instant::now() + SYNC_EVERY;
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
                if now >= next_sync {
                    next_sync = now + SYNC_EVERY;
                    if running {
                        // What panes that died left in the state dir (exec files), and temp
                        // files of killed writes: the same as `state-sync`.
                        if let Err(e) = jobs_client.state_sync() {
                            shared.hub.publish(EventBody::Warning {
                                message: format!("state sync: {e}"),
                            });
                        }
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
