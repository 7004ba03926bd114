//! Autosave: the daemon saves chosen sessions every N seconds ([`crate::snapshot::save_now`],
//! atomic, retention applied), for as long as the session exists.
//!
//! What to save is a small file in the daemon's directory, `autosave.json`, written
//! atomically by [`set`] and [`remove`] (under the `autosave` lock) and re-read by the daemon
//! whenever it changes: an entry outlives the caller and the daemon itself (a restarted
//! daemon picks it up again). When a session is gone the daemon removes its entry and
//! publishes `autosave_stopped`.

use super::DaemonPaths;
use crate::client::Ctmux;
use crate::error::{Error, Result};
use crate::events::hub::Hub;
use crate::events::{now_ms, EventBody};
use crate::ids::SessionName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

/// Shortest interval accepted, seconds.
pub const MIN_INTERVAL: u64 = 1;

/// Longest interval accepted, seconds (one week).
pub const MAX_INTERVAL: u64 = 7 * 24 * 3600;

/// The file's schema version.
pub const VERSION: u32 = 1;

/// One session to save periodically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutosaveEntry {
    /// Seconds between saves.
    pub interval_seconds: u64,
    /// When it was asked for, ms since the Unix epoch.
    pub since_ms: u64,
}

/// `autosave.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutosaveConfig {
    /// Schema version.
    pub version: u32,
    /// By session name.
    pub sessions: BTreeMap<String, AutosaveEntry>,
}

impl Default for AutosaveConfig {
    fn default() -> Self {
        AutosaveConfig {
            version: VERSION,
            sessions: BTreeMap::new(),
        }
    }
}

/// Where the autosave file is.
pub fn file(paths: &DaemonPaths) -> PathBuf {
    paths.dir.join("autosave.json")
}

/// Read the autosave file (none yet: empty).
///
/// # Errors
/// [`Error::Corrupt`] if it does not parse or has an unknown version.
pub fn load(paths: &DaemonPaths) -> Result<AutosaveConfig> {
    let path = file(paths);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AutosaveConfig::default()),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let cfg: AutosaveConfig = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
        what: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if cfg.version != VERSION {
        return Err(Error::Corrupt {
            what: path.display().to_string(),
            reason: format!(
                "unknown version {} (this ctmux reads {VERSION})",
                cfg.version
            ),
        });
    }
    Ok(cfg)
}

fn update<T>(paths: &DaemonPaths, f: impl FnOnce(&mut AutosaveConfig) -> T) -> Result<T> {
    let _lock = crate::state::lock_file(&paths.dir.join("autosave.lock"))?;
    let mut cfg = load(paths)?;
    let out = f(&mut cfg);
    let bytes = serde_json::to_vec_pretty(&cfg)
        .map_err(|e| Error::io("encoding autosave.json", std::io::Error::other(e)))?;
    crate::state::atomic_write(&file(paths), &bytes)?;
    Ok(out)
}

/// Ask for `session` to be saved every `interval_seconds` (replacing an earlier interval).
/// The daemon must run for saves to happen.
///
/// # Errors
/// [`Error::InvalidInput`] for a bad name or an interval outside
/// [`MIN_INTERVAL`]..=[`MAX_INTERVAL`]; [`Error::Corrupt`] if the file is damaged.
pub fn set(paths: &DaemonPaths, session: &str, interval_seconds: u64) -> Result<()> {
    SessionName::new(session)?;
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval_seconds) {
        return Err(Error::invalid(
            "autosave interval",
            format!("{interval_seconds} s is outside {MIN_INTERVAL}..={MAX_INTERVAL} s"),
        ));
    }
    update(paths, |cfg| {
        cfg.sessions.insert(
            session.to_owned(),
            AutosaveEntry {
                interval_seconds,
                since_ms: now_ms(),
            },
        );
    })
}

/// Stop autosaving `session`. Returns whether it was being autosaved.
///
/// # Errors
/// As [`set`].
pub fn remove(paths: &DaemonPaths, session: &str) -> Result<bool> {
    SessionName::new(session)?;
    update(paths, |cfg| cfg.sessions.remove(session).is_some())
}

/// How one autosave is doing, as the daemon reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutosaveStatus {
    /// The session.
    pub session: String,
    /// Seconds between saves.
    pub interval_seconds: u64,
    /// Saves done by this daemon.
    pub saves: u64,
    /// When the last save happened, ms since the Unix epoch.
    pub last_save_ms: Option<u64>,
    /// The last snapshot file written.
    pub last_file: Option<String>,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// The daemon's side: re-reads the file when it changes and saves what is due.
#[derive(Debug, Default)]
pub struct Autosaver {
    seen: Option<SystemTime>,
    entries: BTreeMap<String, AutosaveStatus>,
    file_error: Option<String>,
}

impl Autosaver {
    /// Nothing loaded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What is autosaved and how it goes.
    pub fn status(&self) -> Vec<AutosaveStatus> {
        self.entries.values().cloned().collect()
    }

    fn reload(&mut self, paths: &DaemonPaths, hub: &Hub) {
        let mtime = std::fs::metadata(file(paths))
            .and_then(|m| m.modified())
            .ok();
        if mtime == self.seen && self.seen.is_some() {
            return;
        }
        self.seen = mtime;
        match load(paths) {
            Ok(cfg) => {
                self.file_error = None;
                self.entries.retain(|s, _| cfg.sessions.contains_key(s));
                for (s, e) in cfg.sessions {
                    let st = self
                        .entries
                        .entry(s.clone())
                        .or_insert_with(|| AutosaveStatus {
                            session: s,
                            ..Default::default()
                        });
                    st.interval_seconds = e.interval_seconds;
                }
            }
            Err(e) => {
                let msg = e.to_string();
                if self.file_error.as_ref() != Some(&msg) {
                    hub.publish(EventBody::Warning {
                        message: format!("autosave: {msg}"),
                    });
                }
                self.file_error = Some(msg);
            }
        }
    }

    /// Save every session that is due; drop (and announce) those that are gone.
    pub fn tick(&mut self, client: &Ctmux, paths: &DaemonPaths, hub: &Hub) {
        self.reload(paths, hub);
        let now = now_ms();
        let due: Vec<String> = self
            .entries
            .values()
            .filter(|st| {
                st.last_save_ms
                    .is_none_or(|t| now.saturating_sub(t) >= st.interval_seconds * 1000)
            })
            .map(|st| st.session.clone())
            .collect();
        for session in due {
            match crate::snapshot::save_now(client, &session, &Default::default()) {
                Ok(report) => {
                    if let Some(st) = self.entries.get_mut(&session) {
                        st.saves += 1;
                        st.last_save_ms = Some(now);
                        st.last_file = Some(report.file.display().to_string());
                        st.last_error = None;
                    }
                    hub.publish(EventBody::SnapshotSaved {
                        session,
                        file: report.file.display().to_string(),
                    });
                }
                Err(e)
                    if e.kind() == crate::ErrorKind::NotFound && session_gone(client, &session) =>
                {
                    let _ = remove(paths, &session);
                    self.entries.remove(&session);
                    self.seen = std::fs::metadata(file(paths))
                        .and_then(|m| m.modified())
                        .ok();
                    hub.publish(EventBody::AutosaveStopped {
                        session,
                        reason: "session is gone".into(),
                    });
                }
                Err(e) => {
                    if let Some(st) = self.entries.get_mut(&session) {
                        // Try again after the interval, not at every tick.
                        st.last_save_ms = Some(now);
                        st.last_error = Some(e.to_string());
                    }
                    hub.publish(EventBody::Warning {
                        message: format!("autosave of {session} failed: {e}"),
                    });
                }
            }
        }
    }
}

fn session_gone(client: &Ctmux, session: &str) -> bool {
    matches!(client.session(session), Err(e) if e.kind() == crate::ErrorKind::NotFound)
}
