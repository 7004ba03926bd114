//! The event daemon: one per (user, tmux server), living in the state dir's
//! `servers/<key>/` directory next to the other per-server state:
//!
//! - `daemon.lock` — held (`flock`) by the running daemon for its whole life. It is the one
//!   truth about whether a daemon runs: the kernel drops it when the daemon dies, however it
//!   dies, so a `kill -9` never leaves a daemon "running" on paper.
//! - `daemon.pid` — its pid and start time (written atomically once the lock is held).
//! - `daemon.sock` — the 0600 unix socket clients talk to ([`protocol`]).
//! - `events.log` (+ `.1` .. `.3`) — every event except output lines, JSON lines ([`log`]).
//! - `daemon.out` — what the daemon process printed (start-up failures).
//! - `autosave.json` — sessions to save periodically ([`autosave`]).
//! - `daemon.json` — its settings ([`jobs::DaemonConfig`]: the metrics sampling interval,
//!   the caps on connections and subscribers, each subscriber's byte budget).
//!
//! Besides events, the daemon enforces pane resource limits, samples metrics into a
//! bounded history, runs scheduled garbage collection and autosaves ([`jobs`]).
//!
//! [`start`] is idempotent (a running daemon is reported, not duplicated; concurrent starts
//! give exactly one daemon because only one process can take the lock, and exactly one of
//! them reports `started`: each learns whether the process *it* launched got the lock), removes a
//! stale pid file and socket, and waits until the new daemon answers. [`stop`] asks over the
//! socket and waits for the lock to be released (SIGTERM to the recorded pid when the socket
//! is gone). [`status`] never changes anything.
//!
//! The daemon itself is [`run`]: the CLI's `ctmux daemon start` re-runs its own binary as
//! `ctmux ... daemon run` in a new process group, detached from the caller.

pub mod autosave;
pub mod jobs;
pub mod log;
pub mod protocol;
mod ready;
mod server;

pub use server::run;

use crate::error::{Error, Result};
use crate::server::Server;
use crate::state::StateDir;
use nix::fcntl::{Flock, FlockArg};
use protocol::{ErrorReply, Request};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long [`start`] waits for a new daemon to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`stop`] waits for the daemon to exit.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The daemon's files for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonPaths {
    /// `servers/<key>` in the state dir.
    pub dir: PathBuf,
    /// The lock held by the running daemon.
    pub lock: PathBuf,
    /// The pid file.
    pub pid: PathBuf,
    /// The unix socket.
    pub socket: PathBuf,
    /// The event log.
    pub log: PathBuf,
    /// The daemon process's own stdout/stderr.
    pub out: PathBuf,
}

impl DaemonPaths {
    /// The paths for `server`'s daemon in `state` (creating `servers/<key>` if needed).
    ///
    /// # Errors
    /// As [`StateDir::subdir`].
    pub fn new(state: &StateDir, server: &Server) -> Result<DaemonPaths> {
        let dir = state.subdir(&format!("servers/{}", server.key()))?;
        Ok(DaemonPaths {
            lock: dir.join("daemon.lock"),
            pid: dir.join("daemon.pid"),
            socket: dir.join("daemon.sock"),
            log: dir.join("events.log"),
            out: dir.join("daemon.out"),
            dir,
        })
    }
}

/// What the pid file records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PidFile {
    /// The daemon's pid.
    pub pid: u32,
    /// When it started, ms since the Unix epoch.
    pub started_ms: u64,
    /// The tmux server it follows (socket file).
    pub socket: String,
}

/// What [`status`] reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    pub watched_panes: usize,
    /// Subscribers connected (its own event log writer not counted).
    pub subscribers: usize,
    /// Client connections being served (subscribers and this status request included).
    #[serde(default)]
    pub connections: usize,
    /// The cap on connections (`max_connections` in `daemon.json`).
    #[serde(default)]
    pub max_connections: usize,
    /// The cap on subscribers (`max_subscribers` in `daemon.json`).
    #[serde(default)]
    pub max_subscribers: usize,
    /// Events published since it started.
    pub events: u64,
    /// Whether the tmux server answered at its last scan.
    pub server_running: bool,
    /// Its socket path.
    pub socket: String,
    /// Its event log path.
    pub log: String,
    /// A problem found (socket missing, stale pid file, ...).
    pub problem: Option<String>,
    /// Sessions saved periodically, and how that goes.
    #[serde(default)]
    pub autosaves: Vec<autosave::AutosaveStatus>,
}

/// Whether a daemon holds the lock at `paths.lock` (taking and dropping it if free).
fn lock_held(paths: &DaemonPaths) -> Result<bool> {
    let file = crate::state::open_lock(&paths.lock)?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(_guard) => Ok(false),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(true),
        Err((_, errno)) => Err(Error::io(
            format!("locking {}", paths.lock.display()),
            errno.into(),
        )),
    }
}

/// Read the pid file, if there is a readable one.
pub fn read_pid(paths: &DaemonPaths) -> Option<PidFile> {
    let bytes = fs::read(&paths.pid).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Send one request and read the first reply line.
fn ask(paths: &DaemonPaths, req: &Request, timeout: Duration) -> Result<serde_json::Value> {
    let mut stream = connect(paths)?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|_| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| Error::io("setting socket timeouts", e))?;
    send(&mut stream, req)?;
    let mut reader = BufReader::new(stream);
    read_reply(&mut reader)
}

/// Connect to the daemon's socket.
///
/// # Errors
/// [`Error::ServerUnavailable`] when nothing listens there.
pub fn connect(paths: &DaemonPaths) -> Result<UnixStream> {
    UnixStream::connect(&paths.socket).map_err(|e| {
        Error::ServerUnavailable(format!(
            "no ctmux daemon answers on {}: {e}",
            paths.socket.display()
        ))
    })
}

/// Write one request line.
///
/// # Errors
/// [`Error::Io`] when the write fails.
pub fn send(stream: &mut UnixStream, req: &Request) -> Result<()> {
    let mut line = serde_json::to_vec(req)
        .map_err(|e| Error::io("encoding a request", std::io::Error::other(e)))?;
    line.push(b'\n');
    stream
        .write_all(&line)
        .map_err(|e| Error::io("writing to the daemon", e))
}

/// Read the first reply line: the JSON object on success, the daemon's error otherwise.
///
/// # Errors
/// The daemon's error (same kind), [`Error::Io`] when the daemon hung up or did not answer.
pub fn read_reply(reader: &mut impl BufRead) -> Result<serde_json::Value> {
    let mut line = Vec::new();
    let n = reader
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::io("reading the daemon's reply", e))?;
    if n == 0 {
        return Err(Error::io(
            "reading the daemon's reply",
            std::io::ErrorKind::UnexpectedEof.into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&line).map_err(|e| Error::Corrupt {
        what: "daemon reply".into(),
        reason: e.to_string(),
    })?;
    if value.get("ok") == Some(&serde_json::Value::Bool(true)) {
        return Ok(value);
    }
    let reply: ErrorReply = serde_json::from_value(value).map_err(|e| Error::Corrupt {
        what: "daemon reply".into(),
        reason: e.to_string(),
    })?;
    Err(reply.into_error())
}

/// The daemon's state, without changing anything.
///
/// # Errors
/// [`Error::Io`] if the lock file cannot be opened.
pub fn status(paths: &DaemonPaths) -> Result<DaemonStatus> {
    let mut st = DaemonStatus {
        socket: paths.socket.display().to_string(),
        log: paths.log.display().to_string(),
        ..Default::default()
    };
    st.running = lock_held(paths)?;
    let pidfile = read_pid(paths);
    if !st.running {
        if pidfile.is_some() || paths.socket.exists() {
            st.problem = Some("stale pid file or socket left by a daemon that died".into());
        }
        return Ok(st);
    }
    st.pid = pidfile.as_ref().map(|p| p.pid);
    match ask(paths, &Request::Status, Duration::from_secs(5)) {
        Ok(v) => {
            let mut full: DaemonStatus = serde_json::from_value(v).unwrap_or_default();
            full.running = true;
            full.reachable = true;
            full.socket = st.socket;
            full.log = st.log;
            Ok(full)
        }
        Err(e) => {
            st.problem = Some(if paths.socket.exists() {
                format!("daemon does not answer: {e}")
            } else {
                format!("socket {} is missing", paths.socket.display())
            });
            Ok(st)
        }
    }
}

/// What [`start`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartReport {
    /// `true` if the process this call launched is the running daemon.
    pub started: bool,
    /// `true` if another daemon was running (or won a concurrent start): this call
    /// started nothing. Exactly one of `started` and `already_running` is `true`.
    pub already_running: bool,
    /// Whether a stale pid file / socket was removed first.
    pub removed_stale: bool,
    /// The daemon's status once it answered.
    pub status: DaemonStatus,
}

/// Start the daemon for `server` unless one runs: `program args...` must end up calling
/// [`run`] for the same server and state dir (the CLI passes its own binary with
/// `daemon run`). The program is started through `/bin/sh -c '... &'` in a new process
/// group, so it is not the caller's child and no terminal signal reaches it.
///
/// # Errors
/// [`Error::ServerUnavailable`] when no tmux server runs; [`Error::Io`] when the program
/// cannot be started or does not answer within [`START_TIMEOUT`] (with the end of its
/// output).
pub fn start(
    server: &Server,
    state: &StateDir,
    program: &Path,
    args: &[OsString],
) -> Result<StartReport> {
    let paths = DaemonPaths::new(state, server)?;
    if lock_held(&paths)? {
        return Ok(StartReport {
            started: false,
            already_running: true,
            removed_stale: false,
            status: wait_reachable(&paths, START_TIMEOUT)?,
        });
    }
    if !server.is_running() {
        return Err(Error::ServerUnavailable(format!(
            "no tmux server on {}",
            server.socket_file().display()
        )));
    }
    let removed_stale = paths.pid.exists() || paths.socket.exists();
    let mut verdict =
        ready::Waiter::new().map_err(|e| Error::io("making the daemon's ready pipe", e))?;
    // What the daemon prints goes to `daemon.out`, opened here (0600, appended, never
    // through a symlink) rather than by a shell redirection.
    let out = crate::state::open_append_private(&paths.out)?;
    let err = out
        .try_clone()
        .map_err(|e| Error::io(format!("opening {}", paths.out.display()), e))?;
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("\"$@\" </dev/null &")
        .arg("sh")
        .arg(program)
        .args(args)
        .env(ready::ENV, verdict.env())
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let status = cmd.status();
    verdict.launched();
    let status = status.map_err(|e| Error::io(format!("starting {}", program.display()), e))?;
    if !status.success() {
        return Err(Error::io(
            format!("starting {}", program.display()),
            std::io::Error::other(format!("sh exited with {status}")),
        ));
    }
    let deadline = Instant::now() + START_TIMEOUT;
    // `Err`: no verdict in time (wait_reachable then reports what the process printed);
    // `Ok(None)`: it exited before taking the lock, so whatever answers is another daemon.
    let started = verdict.wait(START_TIMEOUT) == Ok(Some(ready::LOCKED));
    let status = wait_reachable(&paths, deadline.saturating_duration_since(Instant::now()))?;
    Ok(StartReport {
        started,
        already_running: !started,
        removed_stale: removed_stale && started,
        status,
    })
}

/// Wait until a daemon holds the lock and answers on its socket.
fn wait_reachable(paths: &DaemonPaths, timeout: Duration) -> Result<DaemonStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        let st = status(paths)?;
        if st.running && st.reachable {
            return Ok(st);
        }
        if Instant::now() >= deadline {
            let out = fs::read_to_string(&paths.out).unwrap_or_default();
            let tail: Vec<&str> = out.lines().rev().take(5).collect();
            return Err(Error::io(
                "starting the ctmux daemon",
                std::io::Error::other(format!(
                    "it did not answer within {} s ({}); its output ends: {}",
                    timeout.as_secs(),
                    st.problem.unwrap_or_else(|| "not running".into()),
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                )),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stop the daemon gracefully. Returns whether one was running.
///
/// # Errors
/// [`Error::Timeout`] if it still runs after [`STOP_TIMEOUT`].
pub fn stop(paths: &DaemonPaths) -> Result<bool> {
    if !lock_held(paths)? {
        remove_stale(paths);
        return Ok(false);
    }
    if ask(paths, &Request::Stop, Duration::from_secs(5)).is_err() {
        // No socket: signal the recorded pid (the lock says a daemon runs, and the pid file
        // is written by the daemon that holds it).
        if let Some(p) = read_pid(paths) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p.pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while lock_held(paths)? {
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: "the ctmux daemon to stop".into(),
                seconds: STOP_TIMEOUT.as_secs_f64(),
                partial: Default::default(),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(true)
}

/// Remove a dead daemon's pid file and socket (only call without the lock held by anyone).
fn remove_stale(paths: &DaemonPaths) {
    let _ = fs::remove_file(&paths.pid);
    let _ = fs::remove_file(&paths.socket);
}

/// The arguments that tell [`run_from_args`] which server and state dir to serve:
/// `[--socket NAME | --socket-path PATH] --state-dir DIR daemon run` (the CLI's own syntax,
/// so `ctmux <these>` runs the daemon too). A binding that starts the daemon through its own
/// interpreter passes them to a small entry point calling [`run_from_args`].
pub fn launch_args(server: &Server, state: &StateDir) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    match server.socket() {
        crate::server::Socket::Name(n) => {
            args.push("--socket".into());
            args.push(n.into());
        }
        crate::server::Socket::Path(p) => {
            args.push("--socket-path".into());
            args.push(p.into());
        }
        crate::server::Socket::Default => {}
    }
    args.push("--state-dir".into());
    args.push(state.path().into());
    args.push("daemon".into());
    args.push("run".into());
    args
}

/// Run the daemon (blocking, as [`run`]) for the server and state dir named by `args`, as
/// [`launch_args`] wrote them.
///
/// # Errors
/// [`Error::InvalidInput`] for arguments [`launch_args`] would not write; else as [`run`].
pub fn run_from_args(args: &[String]) -> Result<()> {
    let mut socket = crate::server::Socket::Default;
    let mut state = None;
    let mut rest = args.iter();
    let mut tail = Vec::new();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--socket" | "--socket-path" | "--state-dir" => {
                let v = rest.next().ok_or_else(|| {
                    Error::invalid("daemon arguments", format!("{a} needs a value"))
                })?;
                match a.as_str() {
                    "--socket" => socket = crate::server::Socket::Name(v.clone()),
                    "--socket-path" => socket = crate::server::Socket::Path(PathBuf::from(v)),
                    _ => state = Some(PathBuf::from(v)),
                }
            }
            other => tail.push(other),
        }
    }
    if tail != ["daemon", "run"] {
        return Err(Error::invalid(
            "daemon arguments",
            format!("expected [--socket N|--socket-path P] --state-dir D daemon run, got {args:?}"),
        ));
    }
    let state =
        state.ok_or_else(|| Error::invalid("daemon arguments", "--state-dir is required"))?;
    run(Server::new(socket)?, StateDir::open(state)?)
}

impl crate::client::Ctmux {
    /// This server's daemon files.
    ///
    /// # Errors
    /// As [`DaemonPaths::new`].
    pub fn daemon_paths(&self) -> Result<DaemonPaths> {
        DaemonPaths::new(self.state_dir(), self.server())
    }

    /// The daemon's status ([`status`]).
    ///
    /// # Errors
    /// As [`status`].
    pub fn daemon_status(&self) -> Result<DaemonStatus> {
        status(&self.daemon_paths()?)
    }

    /// Start the daemon unless it runs ([`start`]): `program` is run with `args_before`
    /// followed by [`launch_args`] (e.g. the `ctmux` binary and no extra arguments, or a
    /// Python interpreter and `["-m", "ctmux._daemon"]`).
    ///
    /// # Errors
    /// As [`start`].
    pub fn daemon_start(&self, program: &Path, args_before: &[OsString]) -> Result<StartReport> {
        let mut args = args_before.to_vec();
        args.extend(launch_args(self.server(), self.state_dir()));
        start(self.server(), self.state_dir(), program, &args)
    }

    /// Stop the daemon ([`stop`]); whether one was running.
    ///
    /// # Errors
    /// As [`stop`].
    pub fn daemon_stop(&self) -> Result<bool> {
        stop(&self.daemon_paths()?)
    }

    /// The last `n` events of the daemon's log, oldest first.
    ///
    /// # Errors
    /// As [`log::tail`].
    pub fn daemon_logs(&self, n: usize) -> Result<Vec<crate::events::Event>> {
        log::tail(&self.daemon_paths()?.log, n)
    }

    /// Have the daemon save `session` every `interval_seconds` ([`autosave::set`]). The
    /// session must exist; the daemon must run (or be started) for saves to happen.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing session; as [`autosave::set`].
    pub fn autosave_set(&self, session: &str, interval_seconds: u64) -> Result<()> {
        self.session(session)?;
        autosave::set(&self.daemon_paths()?, session, interval_seconds)
    }

    /// The metrics the daemon sampled for `pane` (a `%id`) over the last `seconds` (all it
    /// keeps: one hour by default): `{"pane_id", "points": [...], "summary": {...}}`.
    ///
    /// # Errors
    /// [`Error::ServerUnavailable`] when no daemon answers; [`Error::NotFound`] when it has
    /// no sample of that pane yet; [`Error::InvalidInput`] for a bad `seconds`.
    pub fn metrics_history(&self, pane: &str, seconds: Option<f64>) -> Result<serde_json::Value> {
        if seconds.is_some_and(|s| !s.is_finite() || s < 0.0) {
            return Err(Error::invalid("seconds", "must be a finite number >= 0"));
        }
        let paths = self.daemon_paths()?;
        let mut v = ask(
            &paths,
            &Request::MetricsHistory {
                pane: pane.to_owned(),
                seconds,
            },
            Duration::from_secs(5),
        )?;
        if let Some(o) = v.as_object_mut() {
            o.remove("ok");
        }
        Ok(v)
    }

    /// Stop autosaving `session`; whether it was autosaved.
    ///
    /// # Errors
    /// As [`autosave::remove`].
    pub fn autosave_stop(&self, session: &str) -> Result<bool> {
        autosave::remove(&self.daemon_paths()?, session)
    }
}
