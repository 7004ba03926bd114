//! Commands that print as things happen: `pane-stream`, `pane-tail`, `event subscribe`,
//! `daemon logs`, plus the rest of `daemon` (start, stop, status, restart, run).
//!
//! Streams print one JSON object per line as it comes (a stream line, a log entry or an
//! event), flushed at once. When a stream ends by itself a last envelope line says why
//! (`{"status":"success",...,"end":"pane exited"}`); a failure ends it with the usual error
//! envelope and exit code (124 for a timeout).

use crate::args::{Global, Target};
use crate::connect;
use crate::output::{self, fields, to_fields, Failure, Outcome};
use crate::values::parse_seconds;
use clap::Subcommand;
use ctmux_core::daemon::{self, DaemonPaths};
use ctmux_core::{Ctmux, ErrorKind, EventFilter, EventKind};
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

/// The live commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
pub enum LiveCommand {
    /// Print the pane's output as it comes, one JSON object per line
    ///
    /// Each line: {"pane":"%3","seq":N,"time_ms":T,"text":"..."} (seq counts this pane's
    /// lines from 1; text has escape sequences removed). Runs until the pane exits (a last
    /// success line with "end"), the server goes away (error, exit 1), --timeout seconds
    /// pass without output (exit 124), or it is interrupted.
    PaneStream {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Give up after this many seconds without a line
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        timeout: Option<Duration>,
    },
    /// Print the pane's last LINES lines (default 10); with -f keep printing new ones
    ///
    /// Without -f: one JSON object with "lines". With -f: one JSON object per line, first
    /// the last LINES ({"pane","text"}), then live lines as pane-stream prints them.
    PaneTail {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// How many lines, 1-100000
        #[arg(value_name = "LINES", default_value_t = 10,
              value_parser = clap::value_parser!(u32).range(1..=100_000))]
        lines: u32,
        /// Follow: keep printing lines as they come
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Save SESSION every INTERVAL seconds, in the daemon (started if needed)
    ///
    /// Saves go to the state dir's snapshots/SESSION/ with the retention settings applied.
    /// The schedule is kept in the state dir: it outlives this call and a daemon restart,
    /// and stops by itself when the session is gone (event autosave_stopped).
    /// -> session, interval_seconds, daemon_started
    SessionAutosave {
        /// Session name
        session: String,
        /// Seconds between saves (1 - 604800)
        #[arg(value_name = "INTERVAL",
              value_parser = clap::value_parser!(u64).range(1..=604_800))]
        interval: u64,
    },
    /// Stop autosaving SESSION -> was_autosaved
    SessionAutosaveStop {
        /// Session name
        session: String,
    },
    /// The pane's metrics as sampled by the daemon -> points: [...], summary
    ///
    /// The daemon samples every pane every few seconds (daemon start --metrics-interval)
    /// and keeps an hour. SECONDS limits the answer to the last SECONDS.
    MetricsHistory {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Only the last SECONDS
        #[arg(value_name = "SECONDS", value_parser = parse_seconds)]
        seconds: Option<Duration>,
    },
    /// The event daemon: start, stop, status, restart, logs, run
    #[command(subcommand)]
    Daemon(DaemonAction),
    /// Events: subscribe
    #[command(subcommand)]
    Event(EventAction),
}

/// `ctmux daemon ...`
#[derive(Debug, Clone, Subcommand)]
pub enum DaemonAction {
    /// Start the daemon for this server unless one runs -> started, already_running, pid, ...
    ///
    /// Settings given here are kept in daemon.json for later starts and picked up by a
    /// running daemon within a second.
    Start {
        /// Seconds between metrics samples of every pane (1-3600, default 5)
        #[arg(long, value_name = "SECONDS",
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        metrics_interval: Option<u64>,
        /// Client connections served at once (1-65536, default 256); more are refused
        #[arg(long, value_name = "N",
              value_parser = clap::value_parser!(u64).range(1..=65536))]
        max_connections: Option<u64>,
        /// Subscriptions served at once (1-65536, default 128); more are refused
        #[arg(long, value_name = "N",
              value_parser = clap::value_parser!(u64).range(1..=65536))]
        max_subscribers: Option<u64>,
        /// KiB of events a subscriber may have waiting (16-1048576, default 256)
        #[arg(long, value_name = "KIB",
              value_parser = clap::value_parser!(u64).range(16..=1_048_576))]
        subscriber_buffer_kib: Option<u64>,
        /// Seconds output waits for a full subscriber that does not read before it lags
        /// (1-600, default 5)
        #[arg(long, value_name = "SECONDS",
              value_parser = clap::value_parser!(u64).range(1..=600))]
        subscriber_stall: Option<u64>,
    },
    /// Stop it gracefully -> was_running
    Stop,
    /// Is it running? -> running, pid, uptime_seconds, watched_sessions, subscribers, ...
    Status,
    /// Stop (if running), then start
    Restart,
    /// Print the event log, one event per line (-n last N, default 20; -f keep following)
    Logs {
        /// How many of the last events
        #[arg(short = 'n', long = "lines", default_value_t = 20)]
        lines: usize,
        /// Keep printing new events
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Run the daemon in the foreground (what `start` runs in the background)
    Run,
}

/// `ctmux event ...`
#[derive(Debug, Clone, Subcommand)]
pub enum EventAction {
    /// Print events as they happen, one JSON object per line
    ///
    /// Exits 0 after --count events (with --pattern: after the first match unless --count
    /// says otherwise), 124 after --timeout seconds. Without a daemon, events are watched
    /// in-process for as long as the command runs.
    Subscribe {
        /// Only events of this session
        #[arg(long, value_name = "SESSION")]
        session: Option<String>,
        /// Only events of this pane: %id, or an index or label with --session
        #[arg(long, value_name = "PANE")]
        pane: Option<String>,
        /// Only these kinds (repeat or comma-separate): session_created, session_closed,
        /// pane_created, pane_exited, output, pattern_matched, command_finished, ...
        #[arg(long = "kind", value_name = "KIND", value_delimiter = ',')]
        kinds: Vec<String>,
        /// Deliver output lines matching REGEX as pattern_matched events
        #[arg(long, value_name = "REGEX")]
        pattern: Option<String>,
        /// Give up after this many seconds (exit 124)
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        timeout: Option<Duration>,
        /// Exit 0 after this many events
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
    },
}

impl LiveCommand {
    /// The session this command names.
    pub fn session(&self) -> Option<&str> {
        match self {
            LiveCommand::PaneStream { target, .. } | LiveCommand::PaneTail { target, .. } => {
                Some(&target.session)
            }
            LiveCommand::Event(EventAction::Subscribe { session, .. }) => session.as_deref(),
            LiveCommand::SessionAutosave { session, .. }
            | LiveCommand::SessionAutosaveStop { session } => Some(session),
            LiveCommand::MetricsHistory { target, .. } => Some(&target.session),
            LiveCommand::Daemon(_) => None,
        }
    }

    /// The name printed as "command" in envelopes.
    pub fn name(&self) -> &'static str {
        match self {
            LiveCommand::PaneStream { .. } => "pane-stream",
            LiveCommand::PaneTail { .. } => "pane-tail",
            LiveCommand::SessionAutosave { .. } => "session-autosave",
            LiveCommand::SessionAutosaveStop { .. } => "session-autosave-stop",
            LiveCommand::Daemon(DaemonAction::Start { .. }) => "daemon start",
            LiveCommand::MetricsHistory { .. } => "metrics-history",
            LiveCommand::Daemon(DaemonAction::Stop) => "daemon stop",
            LiveCommand::Daemon(DaemonAction::Status) => "daemon status",
            LiveCommand::Daemon(DaemonAction::Restart) => "daemon restart",
            LiveCommand::Daemon(DaemonAction::Logs { .. }) => "daemon logs",
            LiveCommand::Daemon(DaemonAction::Run) => "daemon run",
            LiveCommand::Event(EventAction::Subscribe { .. }) => "event subscribe",
        }
    }
}

/// Run a live command, printing to `out`; returns the exit code.
pub fn run(global: &Global, command: &LiveCommand, out: &mut dyn Write) -> i32 {
    let name = command.name();
    let session = command.session();
    let outcome = match connect::client(global) {
        Ok(client) => match command {
            LiveCommand::PaneStream { target, timeout } => stream(&client, target, *timeout, out),
            LiveCommand::PaneTail {
                target,
                lines,
                follow,
            } => tail(&client, target, *lines, *follow, out),
            LiveCommand::Daemon(action) => daemon_action(&client, action, out),
            LiveCommand::SessionAutosave { session, interval } => {
                autosave(&client, session, *interval)
            }
            LiveCommand::SessionAutosaveStop { session } => autosave_stop(&client, session),
            LiveCommand::MetricsHistory { target, seconds } => {
                metrics_history(&client, target, *seconds)
            }
            LiveCommand::Event(EventAction::Subscribe {
                session,
                pane,
                kinds,
                pattern,
                timeout,
                count,
            }) => subscribe(
                &client,
                session.as_deref(),
                pane.as_deref(),
                kinds,
                pattern.as_deref(),
                *timeout,
                *count,
                out,
            ),
        },
        Err(f) => Err(f),
    };
    match outcome {
        // A stream that printed everything itself and needs no closing line.
        Ok(f) if f.contains_key("__silent") => crate::exit_code::SUCCESS,
        other => output::emit(out, name, session, other),
    }
}

fn silent() -> Outcome {
    Ok(fields([("__silent", json!(true))]))
}

fn line(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::new(ErrorKind::Io, format!("encoding: {e}")))?;
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(ErrorKind::Io, format!("writing to stdout: {e}")))
}

fn stream(
    client: &Ctmux,
    target: &Target,
    timeout: Option<Duration>,
    out: &mut dyn Write,
) -> Outcome {
    let pane = super::pane(client, target)?;
    let mut s = pane.stream()?;
    follow(&mut s, &pane, timeout, out)
}

fn follow(
    s: &mut ctmux_core::OutputStream,
    pane: &ctmux_core::Pane,
    timeout: Option<Duration>,
    out: &mut dyn Write,
) -> Outcome {
    let mut n = 0u64;
    while let Some(l) = s.next_line(timeout)? {
        line(out, &l)?;
        n += 1;
    }
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("end", json!("pane exited")),
        ("lines", json!(n)),
    ]))
}

fn tail(
    client: &Ctmux,
    target: &Target,
    lines: u32,
    follow_on: bool,
    out: &mut dyn Write,
) -> Outcome {
    let pane = super::pane(client, target)?;
    if !follow_on {
        let last = pane.tail(lines as usize)?;
        return Ok(fields([
            ("pane_id", json!(pane.id().to_string())),
            ("lines", json!(last)),
        ]));
    }
    // Listen first, then read the history: nothing printed in between is lost.
    let mut s = pane.stream()?;
    let id = pane.id().to_string();
    for text in pane.tail(lines as usize)? {
        line(out, &json!({"pane": id, "text": text}))?;
    }
    follow(&mut s, &pane, None, out)
}

fn daemon_action(client: &Ctmux, action: &DaemonAction, out: &mut dyn Write) -> Outcome {
    let paths = DaemonPaths::new(client.state_dir(), client.server())?;
    match action {
        DaemonAction::Status => to_fields(&daemon::status(&paths)?),
        DaemonAction::Stop => Ok(fields([("was_running", json!(daemon::stop(&paths)?))])),
        DaemonAction::Start {
            metrics_interval,
            max_connections,
            max_subscribers,
            subscriber_buffer_kib,
            subscriber_stall,
        } => {
            let any = metrics_interval.is_some()
                || max_connections.is_some()
                || max_subscribers.is_some()
                || subscriber_buffer_kib.is_some()
                || subscriber_stall.is_some();
            if any {
                daemon::jobs::update_config(&paths, |c| {
                    if let Some(v) = metrics_interval {
                        c.metrics_interval_seconds = *v;
                    }
                    if let Some(v) = max_connections {
                        c.max_connections = *v as usize;
                    }
                    if let Some(v) = max_subscribers {
                        c.max_subscribers = *v as usize;
                    }
                    if let Some(v) = subscriber_buffer_kib {
                        c.subscriber_buffer_bytes = (*v as usize) * 1024;
                    }
                    if let Some(v) = subscriber_stall {
                        c.subscriber_stall_seconds = *v;
                    }
                })?;
            }
            start(client)
        }
        DaemonAction::Restart => {
            let was = daemon::stop(&paths)?;
            let mut f = start(client)?;
            f.insert("was_running".into(), json!(was));
            Ok(f)
        }
        DaemonAction::Run => {
            daemon::run(client.server().clone(), client.state_dir().clone())?;
            Ok(fields([("stopped", json!(true))]))
        }
        DaemonAction::Logs { lines, follow } => logs(&paths, *lines, *follow, out),
    }
}

fn autosave(client: &Ctmux, session: &str, interval: u64) -> Outcome {
    client.autosave_set(session, interval)?;
    let started = start(client)?;
    Ok(fields([
        ("interval_seconds", json!(interval)),
        (
            "daemon_started",
            started.get("started").cloned().unwrap_or(json!(false)),
        ),
        (
            "daemon_pid",
            started.get("pid").cloned().unwrap_or(json!(null)),
        ),
    ]))
}

fn metrics_history(client: &Ctmux, target: &Target, seconds: Option<Duration>) -> Outcome {
    let pane = super::pane(client, target)?;
    let v = client.metrics_history(&pane.id().to_string(), seconds.map(|d| d.as_secs_f64()))?;
    match v {
        serde_json::Value::Object(map) => Ok(map),
        other => Ok(fields([("history", other)])),
    }
}

fn autosave_stop(client: &Ctmux, session: &str) -> Outcome {
    let was = client.autosave_stop(session)?;
    Ok(fields([("was_autosaved", json!(was))]))
}

fn start(client: &Ctmux) -> Outcome {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new(ErrorKind::Io, format!("finding the ctmux binary: {e}")))?;
    let report = client.daemon_start(&exe, &[])?;
    let mut f = to_fields(&report.status)?;
    f.insert("started".into(), json!(report.started));
    f.insert("already_running".into(), json!(report.already_running));
    f.insert("removed_stale".into(), json!(report.removed_stale));
    Ok(f)
}

fn logs(paths: &DaemonPaths, lines: usize, follow_on: bool, out: &mut dyn Write) -> Outcome {
    let mut last_seq = None;
    let mut last_time = 0;
    for e in daemon::log::tail(&paths.log, lines)? {
        last_seq = Some(e.seq);
        last_time = e.time_ms;
        line(out, &e)?;
    }
    if !follow_on {
        return silent();
    }
    // Follow by re-reading the end of the log (rotation-proof); new events are those after
    // the last one printed (seq restarts with a new daemon, so compare times too).
    loop {
        std::thread::sleep(Duration::from_millis(200));
        for e in daemon::log::tail(&paths.log, 1000)? {
            let newer = e.time_ms > last_time
                || (e.time_ms == last_time && last_seq.is_some_and(|s| e.seq > s));
            if newer {
                last_seq = Some(e.seq);
                last_time = e.time_ms;
                line(out, &e)?;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn subscribe(
    client: &Ctmux,
    session: Option<&str>,
    pane: Option<&str>,
    kinds: &[String],
    pattern: Option<&str>,
    timeout: Option<Duration>,
    count: Option<u64>,
    out: &mut dyn Write,
) -> Outcome {
    let kinds = kinds
        .iter()
        .map(|k| k.trim().parse::<EventKind>())
        .collect::<Result<Vec<_>, _>>()?;
    let pane = match pane {
        None => None,
        Some(p) if p.starts_with('%') => Some(p.to_owned()),
        Some(p) => {
            let Some(s) = session else {
                return Err(Failure::new(
                    ErrorKind::InvalidInput,
                    format!("--pane {p:?} is an index or label: give --session too, or a %id"),
                ));
            };
            Some(client.session(s)?.pane_str(p)?.id().to_string())
        }
    };
    let filter = EventFilter {
        session: session.map(str::to_owned),
        pane,
        kinds,
        pattern: pattern.map(str::to_owned),
    };
    let count = count.or(pattern.map(|_| 1));
    let mut sub = client.subscribe(&filter)?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut n = 0u64;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let event = match sub.next_event(left) {
            Ok(Some(e)) => e,
            Ok(None) => {
                return Ok(fields([
                    ("events", json!(n)),
                    ("end", json!("daemon stopped")),
                ]))
            }
            Err(e) if e.kind() == ErrorKind::Timeout => {
                return Err(Failure::new(
                    ErrorKind::Timeout,
                    format!(
                        "timed out after {:.3} s waiting for events",
                        timeout.unwrap_or_default().as_secs_f64()
                    ),
                )
                .with("events", n))
            }
            Err(e) => return Err(Failure::from(e).with("events", n)),
        };
        line(out, &event)?;
        if !event.body.kind().always_delivered() {
            n += 1;
        }
        if count.is_some_and(|c| n >= c) {
            return silent();
        }
    }
}
