//! The values the core returns, as frozen Python classes with read-only attributes.
//!
//! Each is a plain copy of its core struct (same field names as the core and the CLI's JSON),
//! with `==` and a `repr`. To add one: declare the struct with `#[pyclass(...)]`, write its
//! `From<core type>`, and add it to the `records!` list at the bottom (repr) and to
//! [`register`].

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

/// A finished command: its real exit status and its own output.
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExecResult {
    /// The exec's id.
    pub exec_id: String,
    /// The shell's `$?` (130 after SIGINT, 127 command not found, ...).
    pub exit_code: i32,
    /// What the command printed (no prompt, no echoed command line), as a terminal shows it;
    /// beyond the memory cap its last part (the whole text is in `output_file`).
    pub output: String,
    /// The bytes the command wrote to the terminal, exactly (`bytes`, with `raw=True`).
    pub output_raw: Option<Vec<u8>>,
    /// The file holding the whole text, when it was larger than the memory cap.
    pub output_file: Option<String>,
    /// The file holding all raw bytes, when they were larger than the memory cap.
    pub raw_file: Option<String>,
    /// Whether `output` is incomplete (cut by `max_output`, or not collectable).
    pub truncated: bool,
    /// Seconds from the exec's start until ctmux saw it finish.
    pub duration: f64,
}

impl From<ctmux_core::ExecResult> for ExecResult {
    fn from(r: ctmux_core::ExecResult) -> Self {
        let path = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
        ExecResult {
            exec_id: r.exec_id,
            exit_code: r.exit_code,
            output: r.output,
            output_raw: r.output_raw,
            output_file: r.output_file.map(path),
            raw_file: r.raw_file.map(path),
            truncated: r.truncated,
            duration: r.duration.as_secs_f64(),
        }
    }
}

/// A line that matched a pattern.
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatternMatch {
    /// The whole matching line.
    pub line: String,
    /// The matched text within it.
    pub matched_text: String,
}

impl From<ctmux_core::PatternMatch> for PatternMatch {
    fn from(m: ctmux_core::PatternMatch) -> Self {
        PatternMatch {
            line: m.line,
            matched_text: m.matched_text,
        }
    }
}

/// One session as listed by tmux.
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SessionInfo {
    /// tmux session id (`$3`).
    pub id: String,
    /// Session name.
    pub name: String,
    /// Number of windows.
    pub windows: u32,
    /// Number of panes over all windows.
    pub panes: u32,
    /// Number of attached clients.
    pub attached: u32,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Last activity, Unix seconds.
    pub activity: u64,
}

impl From<ctmux_core::SessionInfo> for SessionInfo {
    fn from(s: ctmux_core::SessionInfo) -> Self {
        SessionInfo {
            id: s.id,
            name: s.name,
            windows: s.windows,
            panes: s.panes,
            attached: s.attached,
            created: s.created,
            activity: s.activity,
        }
    }
}

/// A pane as tmux lists it, plus whether a foreground job runs in it.
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PaneInfo {
    /// tmux pane id (`%3`).
    pub pane_id: String,
    /// Index within its window.
    pub index: u32,
    /// Its window's id (`@1`).
    pub window_id: String,
    /// Its window's index.
    pub window_index: u32,
    /// Whether its window is the session's active one.
    pub window_active: bool,
    /// Its ctmux label, if any.
    pub label: Option<String>,
    /// Pid of the pane's process (usually its shell).
    pub pid: i32,
    /// The foreground command's short name (`pane_current_command`).
    pub command: String,
    /// The pane's working directory.
    pub cwd: String,
    /// Whether the pane's process has exited.
    pub dead: bool,
    /// Exit status of a dead pane.
    pub dead_status: Option<i32>,
    /// Width in columns.
    pub width: u32,
    /// Height in rows.
    pub height: u32,
    /// Whether it is the active pane of its window.
    pub active: bool,
    /// Whether a foreground job other than the shell runs.
    pub running: bool,
}

impl From<ctmux_core::PaneInfo> for PaneInfo {
    fn from(p: ctmux_core::PaneInfo) -> Self {
        PaneInfo {
            pane_id: p.pane_id,
            index: p.index,
            window_id: p.window_id,
            window_index: p.window_index,
            window_active: p.window_active,
            label: p.label,
            pid: p.pid,
            command: p.command,
            cwd: p.cwd,
            dead: p.dead,
            dead_status: p.dead_status,
            width: p.width,
            height: p.height,
            active: p.active,
            running: p.running,
        }
    }
}

/// A pane's status: its listing, its foreground job and the last exec ctmux started.
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PaneStatus {
    /// The pane as listed.
    pub info: PaneInfo,
    /// Process group of the running foreground job, if any.
    pub foreground_pgid: Option<i32>,
    /// Full command line of the foreground job's leader, if any.
    pub foreground_command: Option<String>,
    /// Id of the last exec ctmux started in the pane.
    pub exec_id: Option<String>,
    /// Whether that exec has finished.
    pub exec_finished: Option<bool>,
    /// Its exit code, once finished.
    pub exit_code: Option<i32>,
}

impl From<ctmux_core::PaneStatus> for PaneStatus {
    fn from(s: ctmux_core::PaneStatus) -> Self {
        PaneStatus {
            info: s.info.into(),
            foreground_pgid: s.foreground_pgid,
            foreground_command: s.foreground_command,
            exec_id: s.exec_id,
            exec_finished: s.exec_finished,
            exit_code: s.exit_code,
        }
    }
}

/// What `Client.state_sync()` changed.
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyncReport {
    /// Files removed because what they belonged to is gone (paths).
    pub dropped: Vec<String>,
    /// Things repaired (descriptions).
    pub repaired: Vec<String>,
    /// Live sessions seen.
    pub session_count: usize,
    /// Live panes seen.
    pub pane_count: usize,
}

impl From<ctmux_core::client::SyncReport> for SyncReport {
    fn from(r: ctmux_core::client::SyncReport) -> Self {
        SyncReport {
            dropped: r.dropped,
            repaired: r.repaired,
            session_count: r.session_count,
            pane_count: r.pane_count,
        }
    }
}

/// One line of live output (`OutputStream`).
#[pyclass(module = "ctmux", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamLine {
    /// The pane that printed it (`%3`).
    pub pane: String,
    /// 1 for the pane's first line in this stream, then 2, 3, ...
    pub seq: u64,
    /// When it arrived, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The text, without line end and escape sequences.
    pub text: String,
}

impl From<ctmux_core::StreamLine> for StreamLine {
    fn from(l: ctmux_core::StreamLine) -> Self {
        StreamLine {
            pane: l.pane,
            seq: l.seq,
            time_ms: l.time_ms,
            text: l.text,
        }
    }
}

/// `Name(field=repr(value), ...)` for each listed record, fields in the listed order.
macro_rules! records {
    ($($name:ident { $($field:ident),* $(,)? })*) => {$(
        #[pymethods]
        impl $name {
            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let fields: Vec<String> = vec![$(
                    format!(
                        concat!(stringify!($field), "={}"),
                        self.$field.clone().into_bound_py_any(py)?.repr()?
                    )
                ),*];
                Ok(format!(concat!(stringify!($name), "({})"), fields.join(", ")))
            }
        }
    )*};
}

records! {
    ExecResult {
        exit_code, output, duration, exec_id, truncated, output_raw, output_file, raw_file,
    }
    PatternMatch { line, matched_text }
    SessionInfo { id, name, windows, panes, attached, created, activity }
    PaneInfo {
        pane_id, index, label, command, cwd, running, dead, dead_status, active, width,
        height, window_id, window_index, window_active, pid,
    }
    PaneStatus {
        info, foreground_pgid, foreground_command, exec_id, exec_finished, exit_code,
    }
    SyncReport { dropped, repaired, session_count, pane_count }
    StreamLine { pane, seq, time_ms, text }
}

/// `'text'` as Python's `repr` writes it (for the handles' `__repr__`).
pub(crate) fn repr_str(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(pyo3::types::PyString::new(py, text).repr()?.to_string())
}

/// Add the record classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ExecResult>()?;
    m.add_class::<PatternMatch>()?;
    m.add_class::<SessionInfo>()?;
    m.add_class::<PaneInfo>()?;
    m.add_class::<PaneStatus>()?;
    m.add_class::<SyncReport>()?;
    m.add_class::<StreamLine>()?;
    Ok(())
}

/// The records of the orchestration API (groups, health, snapshots, queries, metrics) are
/// plain dicts: the core struct serialized with serde (same keys as the CLI's JSON), typed by
/// TypedDicts in `ctmux.types`. Run `f` with the GIL released and convert its result.
pub(crate) fn detached_dict<T: serde::Serialize>(
    py: Python<'_>,
    f: impl FnOnce() -> ctmux_core::Result<T> + Send,
) -> PyResult<Py<PyAny>> {
    let value = crate::wait::detached(py, || f().and_then(to_json))?;
    from_json(py, value)
}

/// A core record (an event, ...) as the dict `json.loads` would give for its JSON.
pub(crate) fn to_py_value<T: serde::Serialize>(py: Python<'_>, record: T) -> PyResult<Py<PyAny>> {
    from_json(py, to_json(record).map_err(crate::errors::to_py_err)?)
}

fn to_json<T: serde::Serialize>(record: T) -> ctmux_core::Result<serde_json::Value> {
    serde_json::to_value(record).map_err(|e| ctmux_core::Error::Corrupt {
        what: "result".into(),
        reason: e.to_string(),
    })
}

/// A JSON value as the Python value `json.loads` would give.
fn from_json(py: Python<'_>, value: serde_json::Value) -> PyResult<Py<PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_py_any(py)?,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py)?,
            (None, Some(u)) => u.into_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        Value::String(s) => s.into_py_any(py)?,
        Value::Array(items) => {
            let list = pyo3::types::PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = pyo3::types::PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, from_json(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}
