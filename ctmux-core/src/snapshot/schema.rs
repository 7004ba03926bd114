//! The snapshot file format (version [`VERSION`]): serde types, and reading a file's bytes
//! into a [`Snapshot`] whatever it holds (a ctmux snapshot, a tmuxp workspace, or a seed-era
//! `"version": "3.1.0"` snapshot). The format is documented in `docs/snapshots.md`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The `format` field of every ctmux snapshot.
pub const FORMAT: &str = "ctmux-snapshot";
/// The snapshot version this ctmux writes. Readers accept every version up to this one.
pub const VERSION: u32 = 1;

/// A saved session: its windows, panes, environment and (optionally) pane contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`FORMAT`].
    pub format: String,
    /// Schema version ([`VERSION`] when written by this ctmux).
    pub version: u32,
    /// The session's name when it was saved.
    pub session_name: String,
    /// When it was saved, RFC 3339 UTC (`2026-11-26T10:30:00.123Z`); for people.
    #[serde(default)]
    pub saved_at: String,
    /// When it was saved, Unix milliseconds; what listings and retention use.
    #[serde(default)]
    pub saved_at_ms: u64,
    /// The ctmux version that wrote it.
    #[serde(default)]
    pub ctmux_version: String,
    /// Number of windows (a summary for listings; restore counts `windows` itself).
    #[serde(default)]
    pub window_count: usize,
    /// Number of panes over all windows (a summary for listings).
    #[serde(default)]
    pub pane_count: usize,
    /// The session environment (`show-environment -t`), less excluded names.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Names left out of `environment` by the exclusion pattern (values never saved).
    #[serde(default)]
    pub environment_excluded: Vec<String>,
    /// Where a secret was replaced by [`crate::snapshot::REDACTED`] when it was saved
    /// (`environment.NAME`, `window 0 pane 1 argv`, `window 0 pane 1 history`, ...); restore
    /// starts no command holding the placeholder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<String>,
    /// The windows, in index order.
    pub windows: Vec<WindowSnapshot>,
}

/// One window of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSnapshot {
    /// Window index in the session (restored as the same index).
    pub index: u32,
    /// Window name.
    #[serde(default)]
    pub name: String,
    /// Whether tmux named the window after its command (then `name` is not imposed).
    #[serde(default)]
    pub automatic_rename: bool,
    /// Whether it was the session's current window.
    #[serde(default)]
    pub active: bool,
    /// Whether its active pane was zoomed.
    #[serde(default)]
    pub zoomed: bool,
    /// tmux layout string (`window_layout`) or a layout name (`tiled`, ...).
    #[serde(default)]
    pub layout: Option<String>,
    /// Window width in columns.
    #[serde(default)]
    pub width: Option<u16>,
    /// Window height in rows.
    #[serde(default)]
    pub height: Option<u16>,
    /// The panes, in pane index order (the order the layout lays them out).
    pub panes: Vec<PaneSnapshot>,
}

/// One pane of a [`WindowSnapshot`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaneSnapshot {
    /// Pane index in its window.
    #[serde(default)]
    pub index: u32,
    /// Whether it was its window's active pane.
    #[serde(default)]
    pub active: bool,
    /// Its ctmux label.
    #[serde(default)]
    pub label: Option<String>,
    /// Its ctmux metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Its working directory.
    #[serde(default)]
    pub cwd: Option<String>,
    /// The shell command line restore runs in the pane: the foreground job's arguments read
    /// from `/proc`, quoted for a POSIX shell (`None`: the pane was at its prompt).
    #[serde(default)]
    pub command: Option<String>,
    /// The foreground job's arguments exactly as `/proc/<pid>/cmdline` gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
    /// The commands ctmux ran in the pane, oldest first (bounded; see
    /// [`crate::snapshot::history`]).
    #[serde(default)]
    pub history: Vec<String>,
    /// The pane's text (screen plus scrollback, with colours as escape sequences), when
    /// saved `--with-contents`; printed in the pane again on restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
}

/// Where a loaded snapshot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A ctmux snapshot file.
    Ctmux,
    /// A tmuxp workspace (YAML or JSON).
    Tmuxp,
    /// A snapshot in the seed bridge's format (`"version": "3.1.0"`), read as version 0.
    Seed,
}

/// What [`parse`] read: the snapshot, where it came from, and what it could not carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The snapshot (converted, for tmuxp and seed files).
    pub snapshot: Snapshot,
    /// The file's kind.
    pub source: Source,
    /// Things in the file that restore will not reproduce.
    pub warnings: Vec<String>,
}

impl Snapshot {
    /// An empty snapshot of session `name` (no windows yet), stamped now.
    pub fn new(name: &str) -> Self {
        let ms = super::store::now_ms();
        Snapshot {
            format: FORMAT.into(),
            version: VERSION,
            session_name: name.into(),
            saved_at: super::store::rfc3339(ms),
            saved_at_ms: ms,
            ctmux_version: crate::VERSION.into(),
            window_count: 0,
            pane_count: 0,
            environment: BTreeMap::new(),
            environment_excluded: Vec::new(),
            redacted: Vec::new(),
            windows: Vec::new(),
        }
    }

    /// Recompute `window_count` and `pane_count` from `windows`.
    pub fn update_counts(&mut self) {
        self.window_count = self.windows.len();
        self.pane_count = self.windows.iter().map(|w| w.panes.len()).sum();
    }
}

pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        what: format!("snapshot {}", path.display()),
        reason: reason.into(),
    }
}

/// Read `bytes` (the content of `path`, for messages) as a ctmux snapshot, a tmuxp workspace
/// (YAML or JSON) or a seed-format snapshot. Nothing is validated beyond the types: see
/// [`crate::snapshot::validate`].
///
/// # Errors
/// [`Error::Corrupt`] for an empty file, text that is not UTF-8, JSON or YAML that does not
/// parse or has the wrong types, or a document that is none of the three kinds;
/// [`Error::InvalidInput`] for a snapshot written by a newer ctmux (its version is above
/// [`VERSION`]).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Loaded> {
    if bytes.is_empty() {
        return Err(corrupt(path, "the file is empty (0 bytes)"));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|e| corrupt(path, format!("not UTF-8 text: {e}")))?;
    if text.trim().is_empty() {
        return Err(corrupt(path, "the file holds only white space"));
    }
    if text.trim_start().starts_with('{') {
        // A first pass reads only `format` and `version` (the rest is skipped, not kept), so
        // a ctmux snapshot is then read straight into its types, never as a whole JSON tree
        // (which takes several times the file's size).
        let probe: Probe = serde_json::from_str(text)
            .map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
        if matches!(&probe.format, Some(serde_json::Value::String(f)) if f == FORMAT) {
            check_version(path, probe.version.as_ref())?;
            let snapshot: Snapshot = serde_json::from_str(text)
                .map_err(|e| corrupt(path, format!("wrong field type: {e}")))?;
            return Ok(Loaded {
                snapshot,
                source: Source::Ctmux,
                warnings: Vec::new(),
            });
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
        return from_json_value(path, value);
    }
    super::tmuxp::parse_yaml(path, text)
}

/// The two fields that say what a JSON document is; everything else is skipped unread.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    format: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<serde_json::Value>,
}

/// A ctmux snapshot's `version`: a whole number this ctmux reads.
fn check_version(path: &Path, version: Option<&serde_json::Value>) -> Result<()> {
    let version = match version {
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| corrupt(path, format!("\"version\" {n} is not a whole number")))?,
        Some(other) => {
            return Err(corrupt(
                path,
                format!("\"version\" is {other}, expected a whole number"),
            ))
        }
        None => return Err(corrupt(path, "no \"version\" field")),
    };
    if version == 0 || version > u64::from(VERSION) {
        return Err(Error::InvalidInput {
            what: "snapshot version",
            reason: format!(
                "{} has version {version}; this ctmux ({}) reads versions 1 to {VERSION} \
                 (a newer ctmux wrote it?)",
                path.display(),
                crate::VERSION
            ),
        });
    }
    Ok(())
}

fn from_json_value(path: &Path, value: serde_json::Value) -> Result<Loaded> {
    let Some(obj) = value.as_object() else {
        return Err(corrupt(path, "the JSON document is not an object"));
    };
    match obj.get("format") {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        Some(other) => {
            return Err(corrupt(
                path,
                format!("\"format\" is {other}, expected \"{FORMAT}\""),
            ))
        }
        None if obj.contains_key("session_name") && obj.contains_key("windows") => {
            return super::tmuxp::from_json(path, value);
        }
        None if obj.get("version").is_some_and(|v| v.is_string()) && obj.contains_key("panes") => {
            return seed(path, value);
        }
        None => {
            return Err(corrupt(
                path,
                "neither a ctmux snapshot (no \"format\") nor a tmuxp workspace (no \
                 \"session_name\" and \"windows\")",
            ))
        }
    }
    check_version(path, obj.get("version"))?;
    let snapshot: Snapshot = serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("wrong field type: {e}")))?;
    Ok(Loaded {
        snapshot,
        source: Source::Ctmux,
        warnings: Vec::new(),
    })
}

/// The seed bridge's snapshot (`"version": "3.1.0"`, one layout, a flat `panes` list).
#[derive(Debug, Deserialize)]
struct SeedSnapshot {
    session_name: String,
    #[serde(default)]
    saved_at: Option<String>,
    #[serde(default)]
    layout: Option<SeedLayout>,
    panes: Vec<SeedPane>,
}

#[derive(Debug, Deserialize)]
struct SeedLayout {
    #[serde(default)]
    window_layout: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SeedPane {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    history: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
}

/// Shells the seed recorded as a pane's "command" when nothing ran in it.
const SHELLS: [&str; 6] = ["bash", "sh", "zsh", "fish", "dash", "ksh"];

fn seed(path: &Path, value: serde_json::Value) -> Result<Loaded> {
    let seed: SeedSnapshot = serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("seed-format snapshot, wrong field type: {e}")))?;
    let mut warnings = vec![
        "seed-format snapshot (version 3.x): its \"command\" is tmux's short command name, \
         run as given"
            .to_owned(),
    ];
    let mut snap = Snapshot::new(&seed.session_name);
    snap.version = 0;
    snap.saved_at = seed.saved_at.unwrap_or_default();
    snap.saved_at_ms = 0;
    let mut panes = Vec::new();
    for (i, p) in seed.panes.into_iter().enumerate() {
        if !p.environment.is_empty() {
            warnings.push(format!(
                "pane {i}: per-pane environment is not restored (tmux has none)"
            ));
        }
        let metadata = p
            .metadata
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect();
        let command = p
            .command
            .filter(|c| !c.trim().is_empty() && !SHELLS.contains(&c.trim()));
        panes.push(PaneSnapshot {
            index: i as u32,
            active: i == 0,
            label: p.label.filter(|l| !l.is_empty()),
            metadata,
            cwd: p.working_dir,
            command,
            history: p.history,
            ..PaneSnapshot::default()
        });
    }
    let layout = seed.layout.and_then(|l| l.window_layout);
    let size = layout
        .as_deref()
        .and_then(|l| l.parse::<crate::layout::Layout>().ok())
        .and_then(|l| l.size());
    snap.windows.push(WindowSnapshot {
        index: 0,
        name: String::new(),
        automatic_rename: true,
        active: true,
        zoomed: false,
        layout,
        width: size.and_then(|(w, _)| u16::try_from(w).ok()),
        height: size.and_then(|(_, h)| u16::try_from(h).ok()),
        panes,
    });
    snap.update_counts();
    Ok(Loaded {
        snapshot: snap,
        source: Source::Seed,
        warnings,
    })
}
