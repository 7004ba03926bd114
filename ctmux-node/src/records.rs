//! The values the core returns, as plain JS objects (`#[napi(object)]`, camelCase fields).
//!
//! Each is a copy of its core struct with the same fields; numbers that may exceed 2^53 are
//! still `f64` here (Unix seconds do not). To add one: declare it with `#[napi(object)]` and
//! write its `From<core type>`.

use napi_derive::napi;
use serde::Deserialize;
use std::collections::HashMap;

/// A finished command: its real exit status and its own output.
#[napi(object)]
pub struct ExecResult {
    /// The shell's `$?` (130 after SIGINT, 127 command not found, ...).
    pub exit_code: i32,
    /// What the command printed (no prompt, no echoed command line), as a terminal shows it;
    /// beyond the memory cap its last part (the whole text is in `outputFile`).
    pub output: String,
    /// Seconds from the exec's start until ctmux saw it finish.
    pub duration: f64,
    /// The exec's id.
    pub exec_id: String,
    /// Whether `output` is incomplete (cut by `maxOutput`, or not collectable).
    pub truncated: bool,
    /// The bytes the command wrote to the terminal, exactly (with `{ raw: true }`). A Node
    /// `Buffer`, declared as its base class `Uint8Array` so the typings need no
    /// `@types/node`.
    #[napi(ts_type = "Uint8Array")]
    pub output_raw: Option<napi::bindgen_prelude::Buffer>,
    /// The file holding the whole text, when it was larger than the memory cap.
    pub output_file: Option<String>,
    /// The file holding all raw bytes, when they were larger than the memory cap.
    pub raw_file: Option<String>,
}

impl From<ctmux_core::ExecResult> for ExecResult {
    fn from(r: ctmux_core::ExecResult) -> Self {
        let path = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
        ExecResult {
            exit_code: r.exit_code,
            output: r.output,
            duration: r.duration.as_secs_f64(),
            exec_id: r.exec_id,
            truncated: r.truncated,
            output_raw: r.output_raw.map(napi::bindgen_prelude::Buffer::from),
            output_file: r.output_file.map(path),
            raw_file: r.raw_file.map(path),
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
#[derive(Deserialize)]
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

// -- Records of the orchestration API (groups, health, queries, snapshots, metrics) ---------
//
// Copies of the core's serde records: [`from_core`] serializes the core value and reads it
// back into these (same fields, snake_case in Rust, camelCase in JS). Enums are their serde
// names (`"healthy"`, `"live"`, ...).

/// A core record as its binding record, through serde (same field names).
pub(crate) fn from_core<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    value: T,
) -> ctmux_core::Result<R> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| ctmux_core::Error::Corrupt {
            what: "result".into(),
            reason: e.to_string(),
        })
}

/// A core record (an event, ...) as the plain object its JSON is (keys as on the wire).
pub struct Json(serde_json::Value);

impl Json {
    /// `value` through serde.
    pub(crate) fn from_core<T: serde::Serialize>(value: T) -> ctmux_core::Result<Json> {
        serde_json::to_value(value)
            .map(Json)
            .map_err(|e| ctmux_core::Error::Corrupt {
                what: "result".into(),
                reason: e.to_string(),
            })
    }
}

impl napi::bindgen_prelude::TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Object
    }
}

impl napi::bindgen_prelude::ToNapiValue for Json {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { serde_json::Value::to_napi_value(env, val.0) }
    }
}

/// A session the daemon saves periodically, and how that goes.
#[napi(object)]
#[derive(Deserialize)]
pub struct AutosaveStatus {
    /// The session.
    pub session: String,
    /// Seconds between saves.
    pub interval_seconds: f64,
    /// Saves done by this daemon.
    pub saves: f64,
    /// When the last save happened, ms since the Unix epoch.
    pub last_save_ms: Option<f64>,
    /// The last snapshot file written.
    pub last_file: Option<String>,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// What `client.daemonStatus()` reports.
#[napi(object)]
#[derive(Deserialize)]
pub struct DaemonStatus {
    /// Whether a daemon holds the lock.
    pub running: bool,
    /// Its pid, when known.
    pub pid: Option<u32>,
    /// Whether it answered on its socket.
    pub reachable: bool,
    /// Seconds since it started.
    pub uptime_seconds: Option<f64>,
    /// Sessions it follows.
    pub watched_sessions: Vec<String>,
    /// Panes it knows.
    pub watched_panes: u32,
    /// Subscribers connected (its own event log writer not counted).
    pub subscribers: u32,
    /// Events published since it started.
    pub events: f64,
    /// Whether the tmux server answered at its last scan.
    pub server_running: bool,
    /// Its socket path.
    pub socket: String,
    /// Its event log path.
    pub log: String,
    /// A problem found (socket missing, stale pid file, ...).
    pub problem: Option<String>,
    /// Sessions saved periodically, and how that goes.
    pub autosaves: Vec<AutosaveStatus>,
}

/// What `client.daemonStart()` did.
#[napi(object)]
#[derive(Deserialize)]
pub struct DaemonStartReport {
    /// `true` if the process this call launched is the running daemon.
    pub started: bool,
    /// `true` if another daemon was running (or won a concurrent start); exactly one of
    /// `started` and `alreadyRunning` is `true`.
    pub already_running: bool,
    /// Whether a stale pid file / socket was removed first.
    pub removed_stale: bool,
    /// The daemon's status once it answered.
    pub status: DaemonStatus,
}

/// How `groupUp` starts a member.
#[napi(object)]
#[derive(Deserialize)]
pub struct StartSpec {
    /// Shell command line typed into the pane's shell.
    pub command: String,
    /// Working directory of a session ctmux creates.
    pub cwd: Option<String>,
    /// The pane to run it in (default `0`).
    pub pane: Option<String>,
}

/// A group member as listed.
#[napi(object)]
#[derive(Deserialize)]
pub struct MemberInfo {
    /// Session name.
    pub name: String,
    /// `"live"` or `"missing"`.
    pub status: String,
    /// tmux session id when live.
    pub session_id: Option<String>,
    /// Pane count when live.
    pub panes: Option<u32>,
    /// How `groupUp` starts it, if it can.
    pub start: Option<StartSpec>,
    /// The sessions it needs (direct dependencies).
    pub depends_on: Vec<String>,
}

/// A group as listed.
#[napi(object)]
#[derive(Deserialize)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// When it was created (RFC 3339 UTC), if known.
    pub created_at: Option<String>,
    /// Its metadata.
    pub metadata: HashMap<String, String>,
    /// Its members, in the order they were added.
    pub members: Vec<MemberInfo>,
}

/// What `groupExec` did in one member.
#[napi(object)]
#[derive(Deserialize)]
pub struct MemberExec {
    /// Session name.
    pub session: String,
    /// `"ok"`, `"missing"` or `"error"`.
    pub status: String,
    /// The pane it ran in.
    pub pane_id: Option<String>,
    /// The exec's id.
    pub exec_id: Option<String>,
    /// Exit code, when waited for.
    pub exit_code: Option<i32>,
    /// Output, when waited for.
    pub output: Option<String>,
    /// Error kind (`Busy`, `NotFound`, `Timeout`, ...), when it failed.
    pub kind: Option<String>,
    /// Error message, when it failed.
    pub error: Option<String>,
}

/// What `groupKill` did to one member.
#[napi(object)]
#[derive(Deserialize)]
pub struct MemberKill {
    /// Session name.
    pub session: String,
    /// `"killed"` or `"missing"`.
    pub status: String,
}

/// One step of `groupUp`.
#[napi(object)]
#[derive(Deserialize)]
pub struct UpStep {
    /// Session name.
    pub session: String,
    /// `"created"`, `"started"`, `"already_running"`, `"existing"` or `"external"`.
    pub action: String,
    /// The pane the command was typed into.
    pub pane_id: Option<String>,
    /// The exec's id.
    pub exec_id: Option<String>,
    /// Its health once waited for.
    pub health: Option<String>,
}

/// The member `groupUp` failed on.
#[napi(object)]
#[derive(Deserialize)]
pub struct UpFailure {
    /// The session that failed.
    pub session: String,
    /// The error kind.
    pub kind: String,
    /// What went wrong.
    pub reason: String,
}

/// What `groupUp` did.
#[napi(object)]
#[derive(Deserialize)]
pub struct GroupUp {
    /// The group.
    pub group: String,
    /// The start order used.
    pub order: Vec<String>,
    /// What was done, in order.
    pub steps: Vec<UpStep>,
    /// The first failure (`groupUp` rejects on one, so always `null` on success).
    pub failure: Option<UpFailure>,
}

/// Why a session is not healthy.
#[napi(object)]
#[derive(Deserialize)]
pub struct Reason {
    /// The rule: `"missing"`, `"no_live_pane"`, `"not_ready"`, `"dead_pane"`,
    /// `"exec_failed"` or `"error_pattern"`.
    pub kind: String,
    /// The pane concerned, if any.
    pub pane_id: Option<String>,
    /// What was seen, for people.
    pub message: String,
    /// The line that matched an error pattern.
    pub line: Option<String>,
}

/// A session's health.
#[napi(object)]
#[derive(Deserialize)]
pub struct HealthReport {
    /// The session's name.
    pub session: String,
    /// `"healthy"`, `"degraded"` or `"unhealthy"`.
    pub health: String,
    /// Everything found, in the order checked.
    pub reasons: Vec<Reason>,
    /// Number of panes of the session.
    pub pane_count: u32,
    /// Number of panes not dead.
    pub live_pane_count: u32,
    /// The readiness check's result, if one ran.
    pub ready: Option<bool>,
}

/// One session of `sessionsListAll`.
#[napi(object)]
#[derive(Deserialize)]
pub struct SessionOverview {
    /// tmux session id.
    pub id: String,
    /// Session name.
    pub name: String,
    /// Number of windows.
    pub windows: u32,
    /// Attached clients.
    pub attached: u32,
    /// Creation time, Unix seconds.
    pub created: f64,
    /// Last activity, Unix seconds.
    pub activity: f64,
    /// Every pane (all windows).
    pub panes: Vec<PaneInfo>,
    /// Groups it belongs to.
    pub groups: Vec<String>,
    /// Sessions it needs.
    pub depends_on: Vec<String>,
    /// Its health.
    pub health: String,
    /// Why it is not healthy.
    pub reasons: Vec<Reason>,
}

/// A group member that does not exist.
#[napi(object)]
#[derive(Deserialize)]
pub struct MissingMember {
    /// Session name.
    pub name: String,
    /// The groups naming it.
    pub groups: Vec<String>,
}

/// Every live session, and group members that are missing.
#[napi(object)]
#[derive(Deserialize)]
pub struct Overview {
    /// Every live session.
    pub sessions: Vec<SessionOverview>,
    /// Group members that do not exist.
    pub missing: Vec<MissingMember>,
}

/// Pane and session counts over the whole server.
#[napi(object)]
#[derive(Deserialize)]
pub struct PaneTotals {
    /// Panes over all sessions and windows.
    pub pane_count: u32,
    /// Sessions.
    pub session_count: u32,
}

/// A pane with lines matching a pattern.
#[napi(object)]
#[derive(Deserialize)]
pub struct PaneMatches {
    /// tmux pane id.
    pub pane_id: String,
    /// Index within its window.
    pub index: u32,
    /// Its window's index.
    pub window_index: u32,
    /// Its label, if any.
    pub label: Option<String>,
    /// How many lines matched.
    pub match_count: u32,
    /// The matching lines, oldest first.
    pub lines: Vec<String>,
}

/// A session with panes matching a pattern.
#[napi(object)]
#[derive(Deserialize)]
pub struct SessionMatches {
    /// Session name.
    pub name: String,
    /// Its panes with matches.
    pub panes: Vec<PaneMatches>,
}

/// What `sessionSave` wrote.
#[napi(object)]
#[derive(Deserialize)]
pub struct SaveReport {
    /// The file written.
    pub file: String,
    /// The session saved.
    pub session: String,
    /// `"ctmux"` or `"tmuxp"`.
    pub format: String,
    /// Number of windows.
    pub windows: u32,
    /// Number of panes.
    pub panes: u32,
    /// File size in bytes.
    pub bytes: f64,
    /// Whether pane contents were saved.
    pub with_contents: bool,
    /// Environment names left out (their values were not saved).
    pub environment_excluded: Vec<String>,
    /// Where a secret was replaced by `[REDACTED]` (`environment.NAME`,
    /// `window 0 pane 1 command`, `... history`, `... contents`).
    pub redacted: Vec<String>,
    /// Older snapshots removed by retention.
    pub pruned: Vec<String>,
    /// Things not saved as they are.
    pub warnings: Vec<String>,
}

/// A saved snapshot.
#[napi(object)]
#[derive(Deserialize)]
pub struct SnapshotEntry {
    /// The file.
    pub file: String,
    /// The session it was saved from.
    pub session: String,
    /// When it was saved (RFC 3339 UTC).
    pub saved_at: String,
    /// When it was saved, Unix milliseconds.
    pub saved_at_ms: f64,
    /// File size in bytes.
    pub bytes: f64,
    /// Number of windows.
    pub windows: u32,
    /// Number of panes.
    pub panes: u32,
    /// Why the file cannot be restored, if it cannot.
    pub error: Option<String>,
}

/// A pane a restore created (or would create).
#[napi(object)]
#[derive(Deserialize)]
pub struct RestoredPane {
    /// Pane index in the snapshot.
    pub index: u32,
    /// The new pane's tmux id (`null` in a dry run).
    pub pane_id: Option<String>,
    /// Its label.
    pub label: Option<String>,
    /// The working directory it starts in.
    pub cwd: Option<String>,
    /// The command started in it, if any.
    pub command: Option<String>,
    /// Whether saved contents are shown in it.
    pub contents: bool,
    /// Its metadata, as set on the pane.
    pub metadata: HashMap<String, String>,
    /// Its exec history, as set on the pane (oldest first).
    pub history: Vec<String>,
}

/// A window a restore created (or would create).
#[napi(object)]
#[derive(Deserialize)]
pub struct RestoredWindow {
    /// Window index.
    pub index: u32,
    /// Window name.
    pub name: String,
    /// Layout applied.
    pub layout: Option<String>,
    /// Its panes.
    pub panes: Vec<RestoredPane>,
}

/// A command a restore runs (or would run).
#[napi(object)]
#[derive(Deserialize)]
pub struct PlannedCommand {
    /// Window index.
    pub window: u32,
    /// Pane index in the snapshot.
    pub pane: u32,
    /// The pane's label.
    pub label: Option<String>,
    /// The shell command line.
    pub command: String,
}

/// What `sessionRestore` did (or would do, with `dryRun`).
#[napi(object)]
#[derive(Deserialize)]
pub struct RestoreReport {
    /// The session's name.
    pub session: String,
    /// The new session's tmux id (`null` in a dry run).
    pub session_id: Option<String>,
    /// The file read.
    pub file: Option<String>,
    /// `"ctmux"`, `"tmuxp"` or `"seed"`.
    pub source: String,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Whether an existing session of that name was replaced (or would be).
    pub replaced: bool,
    /// Windows and panes created.
    pub windows: Vec<RestoredWindow>,
    /// The session environment given to tmux.
    pub environment: HashMap<String, String>,
    /// Every command run (or that would run), in order.
    pub commands: Vec<PlannedCommand>,
    /// Things adjusted on the way.
    pub warnings: Vec<String>,
}

/// One process of a pane's tree.
#[napi(object)]
#[derive(Deserialize)]
pub struct ProcessMetrics {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Short name.
    pub name: String,
    /// Full command line.
    pub cmdline: String,
    /// CPU use over the interval, percent of one core.
    pub cpu_percent: f64,
    /// Resident memory, MiB.
    pub memory_mb: f64,
    /// Threads.
    pub thread_count: f64,
}

/// CPU, memory and I/O of a pane's process tree.
#[napi(object)]
#[derive(Deserialize)]
pub struct PaneMetrics {
    /// The pane's id (empty in a session's total).
    pub pane_id: String,
    /// CPU use of the tree over the interval, percent of one core.
    pub cpu_percent: f64,
    /// Resident memory of the tree, MiB.
    pub memory_mb: f64,
    /// Resident memory as a percent of the machine's RAM.
    pub memory_percent: f64,
    /// KiB read from storage.
    pub io_read_kb: f64,
    /// KiB written to storage.
    pub io_write_kb: f64,
    /// Seconds since the pane's shell started.
    pub uptime_seconds: f64,
    /// Threads over the tree.
    pub thread_count: f64,
    /// Processes in the tree, the shell included.
    pub process_count: f64,
    /// Milliseconds between the two samples the CPU figure comes from.
    pub sample_interval_ms: f64,
    /// Per-process breakdown, when asked for.
    pub processes: Option<Vec<ProcessMetrics>>,
}

/// Metrics of every pane of a session and their sum.
#[napi(object)]
#[derive(Deserialize)]
pub struct SessionMetrics {
    /// Sum over the panes (`paneId` is empty).
    pub total: PaneMetrics,
    /// One row per pane.
    pub panes: Vec<PaneMetrics>,
}
