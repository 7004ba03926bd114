//! The values the core returns, as plain JS objects (`#[napi(object)]`, camelCase fields).
//!
//! Each is a copy of its core struct with the same fields; numbers that may exceed 2^53 are
//! still `f64` here (Unix seconds do not). To add one: declare it with `#[napi(object)]` and
//! write its `From<core type>`.

use napi_derive::napi;

/// A finished command: its real exit status and its own output.
#[napi(object)]
pub struct ExecResult {
    /// The shell's `$?` (130 after SIGINT, 127 command not found, ...).
    pub exit_code: i32,
    /// What the command printed (no prompt, no echoed command line).
    pub output: String,
    /// Seconds from the exec's start until ctmux saw it finish.
    pub duration: f64,
    /// The exec's id.
    pub exec_id: String,
    /// Whether the start of the output had scrolled out of the pane's history.
    pub truncated: bool,
}

impl From<ctmux_core::ExecResult> for ExecResult {
    fn from(r: ctmux_core::ExecResult) -> Self {
        ExecResult {
            exit_code: r.exit_code,
            output: r.output,
            duration: r.duration.as_secs_f64(),
            exec_id: r.exec_id,
            truncated: r.truncated,
        }
    }
}

/// A line that matched a pattern.
#[napi(object)]
pub struct PatternMatch {
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
#[napi(object)]
pub struct SessionInfo {
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
    pub created: f64,
    /// Last activity, Unix seconds.
    pub activity: f64,
}

impl From<ctmux_core::SessionInfo> for SessionInfo {
    fn from(s: ctmux_core::SessionInfo) -> Self {
        SessionInfo {
            id: s.id,
            name: s.name,
            windows: s.windows,
            panes: s.panes,
            attached: s.attached,
            created: s.created as f64,
            activity: s.activity as f64,
        }
    }
}

/// A pane as tmux lists it, plus whether a foreground job runs in it.
#[napi(object)]
pub struct PaneInfo {
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
    /// Whether a foreground job other than the shell runs (from `/proc`).
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
#[napi(object)]
pub struct PaneStatus {
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

/// What `client.stateSync()` changed.
#[napi(object)]
pub struct SyncReport {
    /// Files removed because what they belonged to is gone (paths).
    pub dropped: Vec<String>,
    /// Things repaired (descriptions).
    pub repaired: Vec<String>,
    /// Live sessions seen.
    pub session_count: u32,
    /// Live panes seen.
    pub pane_count: u32,
}

impl From<ctmux_core::client::SyncReport> for SyncReport {
    fn from(r: ctmux_core::client::SyncReport) -> Self {
        SyncReport {
            dropped: r.dropped,
            repaired: r.repaired,
            session_count: u32::try_from(r.session_count).unwrap_or(u32::MAX),
            pane_count: u32::try_from(r.pane_count).unwrap_or(u32::MAX),
        }
    }
}
