//! The command line, as clap derive types: global options and one variant per command.
//!
//! Values that can be checked without tmux (seconds, window sizes, line counts) are checked
//! here by clap value parsers, so a bad one is a usage error (exit 2) and never reaches tmux.

use crate::values::{parse_ready_timeout, parse_seconds, parse_window_size, WindowSize};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// What `ctmux --help` prints after the command list.
const AFTER_HELP: &str = "\
Output: every command prints exactly one JSON object on one line of stdout:
  {\"status\":\"success\",\"command\":\"pane-exec\",\"session\":\"api\",\"pane_id\":\"%3\",...}
  {\"status\":\"error\",\"command\":\"pane-exec\",\"kind\":\"NotFound\",\"error\":\"...\"}
(`demo` alone prints human-readable progress on stderr before its JSON summary.)

Exit codes:
  0    success (also when a command run in a pane exits non-zero: see \"exit_code\")
  1    error; \"kind\" says which: NotFound, AlreadyExists, InvalidInput, Busy,
       ServerUnavailable, PermissionDenied, Corrupt, Unsupported, Io, Tmux
  2    usage error: the command line could not be parsed (unknown command, missing
       argument, bad number of seconds, bad window size, ...); kind is InvalidInput
  124  timeout (kind Timeout); \"output\" holds what was printed before it

PANE is a pane index in the session's current window (0, 1, ...), a tmux pane id (%3) or
a label given to pane-create.

Environment: CTMUX_SOCKET, CTMUX_SOCKET_PATH, CTMUX_STATE_DIR and CTMUX_READY_TIMEOUT stand
in for the options of the same name (an option on the command line wins). CTMUX_TMUX names
the tmux binary. Relative paths are taken from the directory ctmux runs in.";

/// Drive tmux from shell scripts: sessions, panes, exact exec, waits, patterns, metadata.
///
/// Each call prints one JSON object on stdout and exits 0 (success), 1 (error), 2 (usage
/// error) or 124 (timeout). Without --socket or --socket-path, ctmux talks to the user's
/// default tmux server, as tmux does.
#[derive(Debug, Parser)]
#[command(name = "ctmux", version, after_help = AFTER_HELP, subcommand_required = true)]
pub struct Cli {
    /// Which server and state dir.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that pick the tmux server and the state dir; accepted before or after the command.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Talk to the tmux server on socket NAME (`tmux -L NAME`) [env: CTMUX_SOCKET]
    #[arg(
        long,
        value_name = "NAME",
        global = true,
        conflicts_with = "socket_path"
    )]
    pub socket: Option<String>,
    /// Talk to the tmux server on the socket at PATH (`tmux -S PATH`) [env: CTMUX_SOCKET_PATH]
    #[arg(long, value_name = "PATH", global = true)]
    pub socket_path: Option<PathBuf>,
    /// Keep ctmux's private files (exec scripts, locks) in DIR [env: CTMUX_STATE_DIR;
    /// default: $XDG_RUNTIME_DIR/ctmux or /tmp/ctmux-$UID]
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    /// Let a new pane's shell take up to SECONDS (decimals allowed, more than 0, at most one
    /// day) to draw its prompt before an exec in it fails [env: CTMUX_READY_TIMEOUT;
    /// default: 30]
    #[arg(long, value_name = "SECONDS", global = true, value_parser = parse_ready_timeout)]
    pub ready_timeout: Option<Duration>,
}

/// A session and one of its panes.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Session name
    #[arg(value_name = "SESSION")]
    pub session: String,
    /// Pane: index (0), tmux pane id (%3) or label
    #[arg(value_name = "PANE")]
    pub pane: String,
}

/// Every command. The names are the seed bridge's (`session-create`, `pane-exec`, ...).
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create a detached session -> session, session_id
    ///
    /// Prints the new session's name and tmux id ($3). Fails with AlreadyExists if the name is
    /// taken, InvalidInput for a name tmux would misread (':' '.' control characters ...).
    SessionCreate {
        /// Session name
        name: String,
        /// Working directory of the first pane (must exist)
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
        /// Window size as COLUMNSxROWS, each 1-10000 (e.g. 160x48)
        #[arg(long, value_name = "WxH", value_parser = parse_window_size)]
        window_size: Option<WindowSize>,
    },
    /// List sessions -> sessions: [{id, name, windows, panes, attached, created, activity}]
    ///
    /// No server running is an empty list, not an error.
    SessionList,
    /// Kill a session and every pane in it
    SessionKill {
        /// Session name
        name: String,
    },
    /// Split the session's active pane to make a new one -> pane_id, label
    ///
    /// The label (optional, unique in the session) can then be used as PANE.
    PaneCreate {
        /// Session name
        session: String,
        /// Label for the new pane (not all digits, not starting with '%')
        label: Option<String>,
    },
    /// Kill a pane -> pane_id
    PaneKill {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// Run a command in the pane's shell -> exec_id [+ exit_code, output, duration, truncated]
    ///
    /// Without --wait, prints the exec id at once and leaves the command running (collect it
    /// with pane-wait). With --wait, waits and prints the command's real exit code and its
    /// output (without prompt or echo); the ctmux call still exits 0 when the command exits
    /// non-zero. A pane already running a job is Busy. With --timeout, a wait that runs out
    /// exits 124 with the output so far and leaves the command running. With --raw, also
    /// output_raw: the bytes the command wrote to the terminal, exactly, in base64. Output
    /// larger than ctmux's memory cap is cut to its last part, and output_file (raw_file)
    /// names the file holding all of it.
    PaneExec {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Shell command line, run by the pane's shell (cd and export persist)
        #[arg(allow_hyphen_values = true)]
        cmd: String,
        /// Wait for the command to finish and print its exit code and output
        #[arg(long)]
        wait: bool,
        /// Give up waiting after SECONDS (decimals allowed); needs --wait
        #[arg(long, value_name = "SECONDS", requires = "wait", value_parser = parse_seconds)]
        timeout: Option<Duration>,
        /// Also print output_raw: the bytes the command wrote (tabs, \r\n, escape
        /// sequences), base64; needs --wait
        #[arg(long, requires = "wait")]
        raw: bool,
        /// Keep at most BYTES of output (a whole number); beyond that truncated is true;
        /// needs --wait
        #[arg(long, value_name = "BYTES", requires = "wait")]
        max_output: Option<u64>,
        /// Text already typed at the prompt: clear it (default), or fail with kind Busy
        /// naming it and leave it typed
        #[arg(long, value_name = "POLICY", value_parser = ["clear", "fail"], default_value = "clear")]
        if_pending: String,
    },
    /// Run a command, interrupting it after SECONDS -> exec_id, exit_code, output, duration
    ///
    /// If the command is still running after SECONDS it gets SIGINT (like Ctrl-C) and the
    /// call fails with kind Timeout (exit 124) and the output printed so far.
    PaneExecTimeout {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Shell command line
        #[arg(allow_hyphen_values = true)]
        cmd: String,
        /// Seconds before the command is interrupted (decimals allowed)
        #[arg(value_parser = parse_seconds)]
        seconds: Duration,
    },
    /// Clear ctmux's exec state on the pane -> pane_id
    ///
    /// The way out for a pane whose last exec will never report (pane-exec says Busy, "exec
    /// ... has not finished"): that exec is recorded as finished (exit_code -1),
    /// remain-on-exit is put back, ctmux's pipe-pane is closed and the exec's private files
    /// are removed. The pane's shell and any job running in it are left alone.
    PaneReset {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// Wait for the pane's current work -> exit_code, output (+ exec_id, duration, truncated)
    ///
    /// Waits for the last command started with pane-exec and prints its exit code and output.
    /// For a job ctmux did not start, waits until it ends; exit_code and output are then null.
    /// Without SECONDS waits for ever; when SECONDS run out: kind Timeout, exit 124.
    PaneWait {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Give up after SECONDS (decimals allowed)
        #[arg(value_parser = parse_seconds)]
        seconds: Option<Duration>,
    },
    /// Whether a job runs in the pane -> running (true/false; exit 0 either way)
    ///
    /// Running means the pane's terminal has a foreground process group other than its shell.
    PaneIsRunning {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// The pane's state -> pane fields, foreground job, last exec and its exit_code
    ///
    /// Fields: pane_id, index, window_id, window_index, window_active, label, pid,
    /// current_command (tmux's pane_current_command), cwd, dead, dead_status, width, height,
    /// active, running, foreground_pgid, foreground_command, exec_id, exec_finished and
    /// exit_code (of the last pane-exec, once finished).
    PaneStatus {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// The pane's text -> output (visible screen plus LINES lines of history)
    PaneCapture {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Lines of history above the visible screen to include (default 0)
        lines: Option<u32>,
    },
    /// Number of panes in the session -> count
    PaneCount {
        /// Session name
        session: String,
    },
    /// Find the pane with a label -> pane_id, index
    PaneFind {
        /// Session name
        session: String,
        /// The label given to pane-create
        label: String,
    },
    /// List the session's panes -> panes: [{pane_id, index, label}]
    PaneListJson {
        /// Session name
        session: String,
    },
    /// List the session's panes with details -> panes: [{pane_id, index, label, cwd, command,
    /// running, ...}]
    PaneListDetailed {
        /// Session name
        session: String,
    },
    /// Whether a line matches REGEX now -> matched (true/false; exit 0 either way), line
    PaneHasPattern {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Regular expression (Rust regex syntax), matched line by line
        #[arg(allow_hyphen_values = true)]
        regex: String,
        /// Lines of history above the visible screen to search too (default 0)
        lines: Option<u32>,
    },
    /// Wait until a line matches REGEX, without a time limit -> matched, line
    PaneWatch {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Regular expression (Rust regex syntax), matched line by line
        #[arg(allow_hyphen_values = true)]
        regex: String,
        /// Lines of history above the visible screen to search too (default 0)
        #[arg(long, value_name = "N")]
        lines: Option<u32>,
    },
    /// Wait until a line matches REGEX, up to SECONDS -> matched, line; or Timeout (exit 124)
    PaneWatchTimeout {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Regular expression (Rust regex syntax), matched line by line
        #[arg(allow_hyphen_values = true)]
        regex: String,
        /// Give up after SECONDS (decimals allowed)
        #[arg(value_parser = parse_seconds)]
        seconds: Duration,
        /// Lines of history above the visible screen to search too (default 0)
        #[arg(long, value_name = "N")]
        lines: Option<u32>,
    },
    /// Set a metadata key on the pane -> key, value
    ///
    /// Metadata lives in tmux as pane options, so it goes away with the pane.
    PaneMetadataSet {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Key: 1-64 characters of [A-Za-z0-9_-]
        key: String,
        /// Value (up to 64 KiB)
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Read a metadata key of the pane -> key, value (NotFound if it is not set)
    PaneMetadataGet {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Key
        key: String,
    },
    /// All metadata of the pane -> metadata: {key: value, ...}
    PaneMetadataList {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// Remove a metadata key from the pane -> key (NotFound if it is not set)
    PaneMetadataDelete {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Key
        key: String,
    },
    /// Create a labelled pane and apply a layout to its window -> pane_id, label, layout
    ///
    /// LAYOUT: tiled, horizontal, vertical, main-horizontal, main-vertical, or a tmux layout
    /// string. If the layout cannot be applied the new pane is removed again.
    PaneCreateWithLayout {
        /// Session name
        session: String,
        /// Label for the new pane
        label: String,
        /// Layout name or tmux layout string
        layout: String,
    },
    /// Send tmux key names to the pane -> keys
    ///
    /// Keys as tmux send-keys takes them: C-c, Enter, Escape, Up, or plain text.
    PaneSendKeys {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// One or more keys
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        keys: Vec<String>,
    },
    /// Type text into the pane literally, without pressing Enter -> bytes
    PaneSendStdin {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Text to type
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
    /// Send a signal to the pane's foreground job -> signal, process_groups
    ///
    /// The signal goes to the job's process group (what Ctrl-C reaches), never to the shell.
    /// NotFound if no job runs.
    PaneSignal {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// SIGINT, INT, int or a number (2)
        signal: String,
    },
    /// Attach this terminal to the session with PANE selected; prints JSON after detach
    ///
    /// Needs a terminal on stdin and stdout (else InvalidInput). Inside tmux ($TMUX set) it
    /// switches the current client instead of attaching.
    PaneInteract {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// Reconcile the state dir with the live server -> dropped, repaired, session_count, pane_count
    ///
    /// Removes private files of panes that no longer exist. "sessions" and "panes" are the
    /// numbers of live sessions and panes seen.
    StateSync,
    /// Show ctmux at work on a private tmux server (prints human text, then JSON)
    ///
    /// Starts its own isolated tmux server (ignoring --socket, --socket-path and --state-dir),
    /// builds a session with three labelled panes, runs commands and shows their exit codes
    /// and output, sets metadata, waits for a pattern, interrupts a job, and removes the
    /// server again. Progress is printed as human-readable lines on stderr; stdout gets one
    /// JSON summary object as for every other command. Needs no terminal; takes a few
    /// seconds.
    Demo,
    // Session groups: group-create, group-add, group-list, group-exec, group-up, ...
    #[command(flatten)]
    Group(crate::commands::group::GroupCommand),
    // Dependencies: session-depends, session-depends-remove, session-start-order, ...
    #[command(flatten)]
    Deps(crate::commands::deps::DepsCommand),
    // Health: session-health, session-wait-healthy, session-health-set, ...
    #[command(flatten)]
    Health(crate::commands::health::HealthCommand),
    // Cross-session: sessions-list-all, panes-count-global, sessions-find-pattern
    #[command(flatten)]
    Query(crate::commands::query::QueryCommand),
    // Metrics: pane-metrics, session-metrics
    #[command(flatten)]
    Metrics(crate::commands::metrics::MetricsCommand),
    // Limits: pane-set-limit, pane-get-limits, pane-clear-limit
    #[command(flatten)]
    Limits(crate::commands::limits::LimitsCommand),
    // Garbage collection: gc-enable, gc-disable, gc-run, gc-status, session-keep
    #[command(flatten)]
    Gc(crate::commands::gc::GcCommand),
    // Snapshots: session-save, session-restore, session-snapshots, session-snapshot-delete, ...
    #[command(flatten)]
    Snapshot(crate::commands::snapshot::SnapshotCommand),
    // Streams and the daemon: pane-stream, pane-tail, daemon ..., event subscribe.
    #[command(flatten)]
    Live(crate::commands::live::LiveCommand),
}

impl Command {
    /// The session this command names, if any (reported in the JSON, also on errors).
    pub fn session(&self) -> Option<&str> {
        use Command::*;
        match self {
            SessionCreate { name, .. } | SessionKill { name } => Some(name),
            PaneCreate { session, .. }
            | PaneCount { session }
            | PaneFind { session, .. }
            | PaneListJson { session }
            | PaneListDetailed { session }
            | PaneCreateWithLayout { session, .. } => Some(session),
            PaneKill { target }
            | PaneExec { target, .. }
            | PaneExecTimeout { target, .. }
            | PaneWait { target, .. }
            | PaneReset { target }
            | PaneIsRunning { target }
            | PaneStatus { target }
            | PaneCapture { target, .. }
            | PaneHasPattern { target, .. }
            | PaneWatch { target, .. }
            | PaneWatchTimeout { target, .. }
            | PaneMetadataSet { target, .. }
            | PaneMetadataGet { target, .. }
            | PaneMetadataList { target }
            | PaneMetadataDelete { target, .. }
            | PaneSendKeys { target, .. }
            | PaneSendStdin { target, .. }
            | PaneSignal { target, .. }
            | PaneInteract { target } => Some(&target.session),
            SessionList | StateSync | Demo => None,
            Group(c) => c.session(),
            Deps(c) => c.session(),
            Health(c) => c.session(),
            Query(_) => None,
            Metrics(c) => c.session(),
            Limits(c) => c.session(),
            Gc(c) => c.session(),
            Snapshot(c) => c.session(),
            Live(c) => c.session(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_help() {
        for sub in Cli::command().get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
        }
    }
}
