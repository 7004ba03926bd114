//! `groups.json`: the state file holding groups, dependencies and health settings.
//!
//! One JSON object in the state dir (see [`crate::state`]):
//!
//! ```json
//! {
//!   "version": 1,
//!   "groups": {
//!     "microservices": {
//!       "created_at": "2025-10-22T10:00:00Z",
//!       "sessions": ["db", "cache", "api"],
//!       "metadata": {"owner": "claude"},
//!       "start": {"api": {"command": "make run", "cwd": "/srv/api", "pane": "0"}}
//!     }
//!   },
//!   "dependencies": {"api": ["cache", "db"]},
//!   "health": {"api": {"lines": 20, "readiness": {"pattern": "^READY", "interval": 0.5}}}
//! }
//! ```
//!
//! Every change is a read-modify-write done while holding the state dir's `groups.lock`
//! ([`crate::state::lock_file`]) and written with [`crate::state::atomic_write`], so
//! concurrent writers never lose an update and readers (which take no lock) see the old file
//! or the new one, never a mix. A file without `"version"` is the seed's format (version 0)
//! and is read as such; it is written back as version 1 on the next change. A file that
//! does not parse, fails validation or has a newer version is [`Error::Corrupt`] naming the
//! path, and is never overwritten: every change reads it first and stops there. Unknown
//! top-level keys are kept.

use crate::error::{Error, Result};
use crate::health::HealthConfig;
use crate::ids::SessionName;
use crate::state::{atomic_write, StateDir};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file's name in the state dir.
pub const FILE_NAME: &str = "groups.json";
/// The schema version this ctmux writes (and the newest it reads).
pub const VERSION: u64 = 1;
/// Name of the lock (`groups.lock` in the state dir) held for every change.
pub(crate) const LOCK_NAME: &str = "groups";

/// How to start a group member: run `command` in `pane` of the session, which is created in
/// `cwd` if it does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartSpec {
    /// Shell command line typed into the pane's shell (as `pane-exec` does).
    pub command: String,
    /// Working directory of a session ctmux creates (must exist when the member is added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// The pane to run it in: index, `%id` or label (default `0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pane: Option<String>,
}

impl StartSpec {
    /// A spec running `command` in pane 0, without a cwd.
    pub fn new(command: impl Into<String>) -> Self {
        StartSpec {
            command: command.into(),
            cwd: None,
            pane: None,
        }
    }

    /// Check the command (non-empty, no NUL), the pane reference and the cwd's form (the
    /// directory's existence is checked by [`crate::Ctmux::group_add`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.command.trim().is_empty() || self.command.contains('\0') {
            return Err(Error::invalid(
                "start command",
                "must be non-empty, without NUL",
            ));
        }
        if let Some(p) = &self.pane {
            p.parse::<crate::ids::PaneRef>()?;
        }
        if let Some(cwd) = &self.cwd {
            let s = cwd.to_string_lossy();
            if s.is_empty() || s.chars().any(char::is_control) {
                return Err(Error::invalid("cwd", format!("{s:?} is not a usable path")));
            }
        }
        Ok(())
    }
}

/// One group as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupRecord {
    /// RFC 3339 UTC time of `group-create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Member session names, in the order they were added.
    #[serde(default)]
    pub sessions: Vec<String>,
    /// Free-form string metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Start specs of members that have one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub start: BTreeMap<String, StartSpec>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct GroupsFile {
    /// Schema version; 0 when absent (the seed's format).
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub groups: BTreeMap<String, GroupRecord>,
    /// `a -> [b, ...]`: session `a` needs each `b`.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Vec<String>>,
    /// Per-session health settings.
    #[serde(default)]
    pub health: BTreeMap<String, HealthConfig>,
    /// Keys this version does not know, kept as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl GroupsFile {
    /// The dependency graph.
    pub fn graph(&self) -> crate::deps::DepGraph {
        crate::deps::DepGraph::from_edges(
            self.dependencies
                .iter()
                .flat_map(|(a, bs)| bs.iter().map(move |b| (a.as_str(), b.as_str()))),
        )
    }

    /// The group named `name`.
    ///
    /// # Errors
    /// [`Error::NotFound`] if there is none.
    pub fn group(&self, name: &str) -> Result<&GroupRecord> {
        self.groups
            .get(name)
            .ok_or_else(|| Error::not_found("group", name))
    }

    /// The group named `name`, to change.
    ///
    /// # Errors
    /// [`Error::NotFound`] if there is none.
    pub fn group_mut(&mut self, name: &str) -> Result<&mut GroupRecord> {
        self.groups
            .get_mut(name)
            .ok_or_else(|| Error::not_found("group", name))
    }

    /// Names of the groups that have `session` as a member, sorted.
    pub fn groups_of(&self, session: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(_, g)| g.sessions.iter().any(|s| s == session))
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        for (name, g) in &self.groups {
            crate::group::check_group_name(name).map_err(|e| e.to_string())?;
            let mut seen = std::collections::HashSet::new();
            for s in &g.sessions {
                SessionName::new(s).map_err(|e| format!("group {name}: {e}"))?;
                if !seen.insert(s) {
                    return Err(format!("group {name} lists {s} twice"));
                }
            }
            for (s, spec) in &g.start {
                if !seen.contains(s) {
                    return Err(format!("group {name} has a start spec for non-member {s}"));
                }
                spec.validate()
                    .map_err(|e| format!("group {name}, member {s}: {e}"))?;
            }
        }
        for (a, bs) in &self.dependencies {
            SessionName::new(a).map_err(|e| format!("dependencies: {e}"))?;
            for b in bs {
                SessionName::new(b).map_err(|e| format!("dependencies of {a}: {e}"))?;
            }
        }
        for (s, h) in &self.health {
            SessionName::new(s).map_err(|e| format!("health: {e}"))?;
            h.validate().map_err(|e| format!("health of {s}: {e}"))?;
        }
        Ok(())
    }
}

/// Where the groups file of `state` is.
pub fn path(state: &StateDir) -> PathBuf {
    state.path().join(FILE_NAME)
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        what: format!("groups file {}", path.display()),
        reason: format!(
            "{}; the file is left as it is for inspection",
            reason.into()
        ),
    }
}

/// Parse the bytes of a groups file found at `path`.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<GroupsFile> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not JSON: {e}")))?;
    let Value::Object(obj) = &value else {
        return Err(corrupt(path, "not a JSON object"));
    };
    if let Some(v) = obj.get("version") {
        match v.as_u64() {
            Some(n) if n <= VERSION => {}
            Some(n) => {
                return Err(corrupt(
                    path,
                    format!(
                        "version {n} was written by a newer ctmux (this one reads versions \
                         up to {VERSION})"
                    ),
                ))
            }
            None => return Err(corrupt(path, format!("\"version\" is {v}, not a number"))),
        }
    }
    let file: GroupsFile =
        serde_json::from_value(value).map_err(|e| corrupt(path, e.to_string()))?;
    file.validate().map_err(|e| corrupt(path, e))?;
    Ok(file)
}

/// Read the groups file (no lock: writes are atomic). A missing file is an empty one.
///
/// # Errors
/// [`Error::Corrupt`] (with the path) for a file that does not parse, does not validate or
/// is newer than this ctmux; [`Error::Io`] if it cannot be read.
pub(crate) fn load(state: &StateDir) -> Result<GroupsFile> {
    let path = path(state);
    match std::fs::read(&path) {
        Ok(bytes) => parse(&path, &bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(GroupsFile {
            version: VERSION,
            ..GroupsFile::default()
        }),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// Read, change with `f` and write back the groups file, all under its lock. Nothing is
/// written if `f` (or reading) fails.
///
/// # Errors
/// As [`load`], `f`'s error, or [`Error::Io`] if the lock or the write fails.
/// Sessions whose health the daemon follows: those with health settings and every group
/// member, sorted, without duplicates.
///
/// # Errors
/// As [`load`].
pub(crate) fn watched_sessions(state: &StateDir) -> Result<Vec<String>> {
    let f = load(state)?;
    let mut all: std::collections::BTreeSet<String> = f.health.keys().cloned().collect();
    for g in f.groups.values() {
        all.extend(g.sessions.iter().cloned());
    }
    Ok(all.into_iter().collect())
}

pub(crate) fn update<T>(
    state: &StateDir,
    f: impl FnOnce(&mut GroupsFile) -> Result<T>,
) -> Result<T> {
    let _lock = state.lock(LOCK_NAME)?;
    let mut file = load(state)?;
    let out = f(&mut file)?;
    file.version = VERSION;
    let mut bytes = serde_json::to_vec_pretty(&file)
        .map_err(|e| Error::io("serializing the groups file", std::io::Error::other(e)))?;
    bytes.push(b'\n');
    atomic_write(&path(state), &bytes)?;
    Ok(out)
}

/// Now as RFC 3339 UTC with second precision (`2025-10-22T10:00:00Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Unix seconds as RFC 3339 UTC (civil-from-days, proleptic Gregorian).
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_761_127_200), "2025-10-22T10:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn reads_the_seed_format() {
        let seed = br#"{
          "groups": {"microservices": {"created_at": "2025-10-22T10:00:00Z",
            "sessions": ["api", "database", "cache"],
            "metadata": {"owner": "claude", "purpose": "dev-environment"}}},
          "dependencies": {"api": ["database", "cache"], "frontend": ["api"]}
        }"#;
        let f = parse(Path::new("/x/groups.json"), seed).unwrap();
        assert_eq!(f.version, 0);
        assert_eq!(f.groups["microservices"].sessions.len(), 3);
        assert_eq!(
            f.graph().order().unwrap(),
            ["cache", "database", "api", "frontend"]
        );
    }

    #[test]
    fn refuses_garbage_newer_and_invalid() {
        let p = Path::new("/s/groups.json");
        for bad in [
            &b"{"[..],
            b"[]",
            b"{\"version\": 2}",
            b"{\"version\": \"1\"}",
            b"{\"groups\": {\"g\": {\"sessions\": [\"a:b\"]}}}",
            b"{\"groups\": {\"g\": {\"sessions\": [\"a\", \"a\"]}}}",
            b"{\"groups\": {\"g\": {\"sessions\": 3}}}",
            b"{\"dependencies\": {\"a\": [\"\"]}}",
            b"{\"groups\": {\"g\": {\"sessions\": [], \"start\": {\"x\": {\"command\": \"c\"}}}}}",
        ] {
            let e = parse(p, bad).unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::Corrupt,
                "{}",
                String::from_utf8_lossy(bad)
            );
            assert!(e.to_string().contains("/s/groups.json"), "{e}");
        }
        let e = parse(p, b"{\"version\": 7}").unwrap_err();
        assert!(e.to_string().contains("newer ctmux"), "{e}");
    }

    #[test]
    fn keeps_unknown_keys() {
        let f = parse(Path::new("/g"), br#"{"version": 1, "future": {"x": 1}}"#).unwrap();
        let text = serde_json::to_string(&f).unwrap();
        assert!(text.contains("\"future\":{\"x\":1}"), "{text}");
    }
}
