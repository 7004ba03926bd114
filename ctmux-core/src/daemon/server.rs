//! The daemon process itself: [`run`].

use super::autosave::Autosaver;
use super::jobs::{load_config, DaemonConfig};
use super::log::{EventLog, MAX_BYTES};
use super::protocol::{parse_request, ErrorReply, Request, MAX_REQUEST};
use super::{DaemonPaths, DaemonStatus, PidFile};
use crate::error::{Error, Result};
use crate::events::hub::{Budget, Hub, Received};
use crate::events::watcher::Watcher;
use crate::events::{now_ms, EventBody, EventFilter, EventKind};
use crate::metrics_history::MetricsHistory;
use crate::server::Server;
use crate::state::StateDir;
use nix::fcntl::{Flock, FlockArg};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the daemon checks its socket file and signals.
const TICK: Duration = Duration::from_millis(100);

/// How much a subscriber writes to its socket at once (its budget counts it).
const BATCH_BYTES: usize = 16 * 1024;

/// How long the lock is tried before concluding another daemon holds it: a `status` or a
/// starter checking the lock holds it for an instant, and must not make a starting daemon
/// give up.
const LOCK_TRIES: Duration = Duration::from_millis(500);

/// Refused connections kept open (reading what the client still sends) so that it gets
/// the refusal rather than a broken pipe, and for how long.
const LINGER_MAX: usize = 64;
const LINGER: Duration = Duration::from_secs(1);

/// How long a write to a subscriber may block before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) struct Shared {
    pub(super) hub: Arc<Hub>,
    pub(super) autosaver: Mutex<Autosaver>,
    pub(super) history: Mutex<MetricsHistory>,
    watcher: Mutex<Option<Watcher>>,
    started: Instant,
    pub(super) stop: AtomicBool,
    stop_reason: Mutex<String>,
    socket: String,
    /// The settings, re-read every second.
    config: Mutex<DaemonConfig>,
    connections: Arc<AtomicUsize>,
    subscribers: Arc<AtomicUsize>,
}

/// A client connection. The place is given back before the socket closes (fields drop in
/// order), so a client that saw the end of its connection finds the place free.
struct Conn {
    _permit: Permit,
    stream: UnixStream,
}

/// One unit of a capped count, given back on drop.
struct Permit(Arc<AtomicUsize>);

impl Permit {
    /// Take one unless `count` is already at `max`.
    fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Permit> {
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(Arc::clone(count)))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Run the daemon for `server` until asked to stop (request, SIGTERM, SIGINT, SIGHUP).
///
/// # Errors
/// [`Error::AlreadyExists`] when another daemon holds the lock (nothing is touched then);
/// [`Error::Io`] when the socket cannot be bound.
pub fn run(server: Server, state: StateDir) -> Result<()> {
    let paths = DaemonPaths::new(&state, &server)?;
    // The starter waits to learn whether this process got the lock (`super::ready`).
    let mut ready = super::ready::Notifier::from_env();
    let _lock = match take_lock(&paths) {
        Ok(l) => {
            ready.tell(super::ready::LOCKED);
            l
        }
        Err(e) => {
            if e.kind() == crate::ErrorKind::AlreadyExists {
                ready.tell(super::ready::BUSY);
                return Err(Error::AlreadyExists {
                    what: "ctmux daemon",
                    name: format!("for {}", server.socket_file().display()),
                });
            }
            return Err(e);
        }
    };
    drop(ready);
    let pid = std::process::id();
    let pidfile = PidFile {
        pid,
        started_ms: now_ms(),
        socket: server.socket_file().display().to_string(),
    };
    crate::state::atomic_write(
        &paths.pid,
        &serde_json::to_vec(&pidfile).unwrap_or_default(),
    )?;
    let mut listener = bind(&paths)?;
    let mut socket_ino = inode(&paths.socket);

    let stop_signal = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&stop_signal))
            .map_err(|e| Error::io("installing signal handlers", e))?;
    }

    let config = load_config(&paths).unwrap_or_default();
    let hub = Arc::new(Hub::new());
    let log_thread = start_log_writer(&hub, &paths, config.subscriber_budget())?;
    hub.publish(EventBody::DaemonStarted { pid });
    let shared = Arc::new(Shared {
        hub: Arc::clone(&hub),
        autosaver: Mutex::new(Autosaver::new()),
        history: Mutex::new(MetricsHistory::default()),
        watcher: Mutex::new(Some(Watcher::start(server.clone(), Arc::clone(&hub))?)),
        started: Instant::now(),
        stop: AtomicBool::new(false),
        stop_reason: Mutex::new(String::new()),
        socket: paths.socket.display().to_string(),
        config: Mutex::new(config),
        connections: Arc::default(),
        subscribers: Arc::default(),
    });
    let mut lingering: Vec<(UnixStream, Instant)> = Vec::new();
    let mut ticks = 0u64;

    let jobs = super::jobs::start(&shared, &server, &state, &paths)?;

    while !shared.stop.load(Ordering::SeqCst) {
        if stop_signal.load(Ordering::SeqCst) {
            *lock(&shared.stop_reason) = "signal".into();
            break;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let max = lock(&shared.config).max_connections;
                match Permit::take(&shared.connections, max) {
                    Some(permit) => {
                        let shared = Arc::clone(&shared);
                        let _ = std::thread::Builder::new()
                            .name("ctmux-daemon-client".into())
                            .spawn(move || {
                                serve(
                                    Conn {
                                        _permit: permit,
                                        stream,
                                    },
                                    &shared,
                                );
                            });
                    }
                    None => {
                        if let Some(s) = refuse_connection(stream, max) {
                            if lingering.len() >= LINGER_MAX {
                                lingering.remove(0);
                            }
                            lingering.push((s, Instant::now()));
                        }
                    }
                }
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => {}
        }
        // Without its directory the daemon has nowhere to live (its state dir was removed):
        // stop rather than spin.
        if !paths.dir.is_dir() {
            *lock(&shared.stop_reason) = format!("{} was removed", paths.dir.display());
            break;
        }
        // The socket file must stay ours: if someone removed or replaced it, say so and bind
        // a new one (clients find the daemon by that path).
        let now_ino = inode(&paths.socket);
        if now_ino.is_none() || now_ino != socket_ino {
            hub.publish(EventBody::Warning {
                message: format!(
                    "socket {} was removed or replaced; bound a new one",
                    paths.socket.display()
                ),
            });
            if now_ino.is_some() {
                let _ = std::fs::remove_file(&paths.socket);
            }
            match bind(&paths) {
                Ok(l) => {
                    listener = l;
                    socket_ino = inode(&paths.socket);
                }
                Err(e) => {
                    hub.publish(EventBody::Warning {
                        message: format!("cannot bind {}: {e}", paths.socket.display()),
                    });
                }
            }
        }
        hub.flush_lagged();
        lingering.retain(|(s, since)| since.elapsed() < LINGER && !drained(s));
        ticks += 1;
        if ticks.is_multiple_of(10) {
            if let Ok(c) = load_config(&paths) {
                *lock(&shared.config) = c;
            }
        }
        std::thread::sleep(TICK);
    }

    let reason = {
        let r = lock(&shared.stop_reason).clone();
        if r.is_empty() {
            "stop requested".to_owned()
        } else {
            r
        }
    };
    shared.stop.store(true, Ordering::SeqCst);
    let _ = jobs.join();
    hub.publish(EventBody::DaemonStopped { pid, reason });
    if let Some(w) = lock(&shared.watcher).take() {
        w.stop();
    }
    // Files first, then the lock (released when `_lock` drops on return).
    let _ = std::fs::remove_file(&paths.socket);
    let _ = std::fs::remove_file(&paths.pid);
    drop(listener);
    // Let the log writer catch up with the last events.
    let deadline = Instant::now() + Duration::from_secs(2);
    while hub.subscriber_count() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        if log_thread.is_finished() {
            break;
        }
    }
    Ok(())
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Take the daemon lock, trying for [`LOCK_TRIES`] while it is held.
///
/// # Errors
/// [`Error::AlreadyExists`] when it stays held; [`Error::Io`] otherwise.
fn take_lock(paths: &DaemonPaths) -> Result<Flock<std::fs::File>> {
    let deadline = Instant::now() + LOCK_TRIES;
    let mut file = crate::state::open_lock(&paths.lock)?;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(l) => return Ok(l),
            Err((f, nix::errno::Errno::EWOULDBLOCK)) => {
                if Instant::now() >= deadline {
                    return Err(Error::AlreadyExists {
                        what: "ctmux daemon",
                        name: paths.lock.display().to_string(),
                    });
                }
                file = f;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err((_, e)) => return Err(Error::io("locking the daemon lock", e.into())),
        }
    }
}

/// Answer a connection over the cap with the refusal; the stream is returned to be kept
/// open a little (see [`LINGER`]) unless that failed.
fn refuse_connection(mut stream: UnixStream, max: usize) -> Option<UnixStream> {
    stream.set_nonblocking(true).ok()?;
    let _ = drained(&stream);
    let reply = ErrorReply::cap_reached(
        "max_connections",
        "connections",
        max as u64,
        "--max-connections",
    );
    let mut line = serde_json::to_vec(&reply).ok()?;
    line.push(b'\n');
    // A fresh socket has room for one line: this never waits.
    stream.write_all(&line).ok()?;
    stream.shutdown(std::net::Shutdown::Write).ok()?;
    Some(stream)
}

/// Read what a refused client sent (non-blocking); whether it hung up.
fn drained(mut stream: &UnixStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

fn inode(path: &std::path::Path) -> Option<u64> {
    std::fs::symlink_metadata(path).ok().map(|m| m.ino())
}

fn bind(paths: &DaemonPaths) -> Result<UnixListener> {
    // We hold the lock: whatever is at the socket path was left by a dead daemon.
    let _ = std::fs::remove_file(&paths.socket);
    let listener = UnixListener::bind(&paths.socket)
        .map_err(|e| Error::io(format!("binding {}", paths.socket.display()), e))?;
    std::fs::set_permissions(&paths.socket, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("chmod 0600 {}", paths.socket.display()), e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io("making the socket non-blocking", e))?;
    Ok(listener)
}

/// Everything but output lines goes to the event log.
fn start_log_writer(
    hub: &Arc<Hub>,
    paths: &DaemonPaths,
    budget: Budget,
) -> Result<std::thread::JoinHandle<()>> {
    let kinds: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, EventKind::Output | EventKind::PatternMatched))
        .collect();
    let filter = EventFilter {
        kinds,
        ..Default::default()
    };
    let rx = hub.subscribe_bounded(&filter, budget)?;
    let mut log = EventLog::open(&paths.log, MAX_BYTES)?;
    let hub = Arc::clone(hub);
    std::thread::Builder::new()
        .name("ctmux-daemon-log".into())
        .spawn(move || {
            let mut batch = Vec::new();
            'read: loop {
                match rx.recv(Duration::from_secs(1), BATCH_BYTES, &mut batch) {
                    Received::Events => {
                        for event in batch.drain(..) {
                            let last = matches!(event.body, EventBody::DaemonStopped { .. });
                            let _ = log.append(&event);
                            if last {
                                break 'read;
                            }
                        }
                    }
                    Received::Timeout => {}
                    Received::Closed => break,
                }
            }
            hub.unsubscribe(rx.id());
        })
        .map_err(|e| Error::io("starting the log thread", e))
}

fn reply(stream: &mut UnixStream, value: &impl serde::Serialize) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)
}

/// One client connection: one request, then its replies.
fn serve(mut conn: Conn, shared: &Shared) {
    let stream = &mut conn.stream;
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut line = Vec::new();
    let read = match stream.try_clone() {
        Ok(s) => BufReader::new(s.take(MAX_REQUEST as u64 + 1)).read_until(b'\n', &mut line),
        Err(e) => Err(e),
    };
    if read.is_err() || line.is_empty() {
        return;
    }
    let req = if line.len() > MAX_REQUEST {
        Err(Error::invalid(
            "daemon request",
            format!("longer than {MAX_REQUEST} bytes"),
        ))
    } else {
        parse_request(&line)
    };
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            let _ = reply(stream, &ErrorReply::new(&e));
            return;
        }
    };
    match req {
        Request::Status => {
            let _ = reply(stream, &status_reply(shared));
        }
        Request::Stop => {
            *lock(&shared.stop_reason) = "stop requested".into();
            shared.stop.store(true, Ordering::SeqCst);
            let _ = reply(stream, &serde_json::json!({"ok": true}));
        }
        Request::Subscribe { filter } => subscribe(conn, shared, &filter),
        Request::MetricsHistory { pane, seconds } => {
            let now = std::time::SystemTime::now();
            let points = lock(&shared.history).since(&pane, seconds, now);
            let _ = match points {
                Ok(points) => {
                    let summary = MetricsHistory::summarize(&points);
                    reply(
                        stream,
                        &serde_json::json!({"ok": true, "pane_id": pane, "points": points, "summary": summary}),
                    )
                }
                Err(e) => reply(stream, &ErrorReply::new(&e)),
            };
        }
    }
}

fn status_reply(shared: &Shared) -> serde_json::Value {
    let watch = lock(&shared.watcher)
        .as_ref()
        .map(Watcher::status)
        .unwrap_or_default();
    let (max_connections, max_subscribers) = {
        let c = lock(&shared.config);
        (c.max_connections, c.max_subscribers)
    };
    let st = DaemonStatus {
        running: true,
        pid: Some(std::process::id()),
        reachable: true,
        uptime_seconds: Some(shared.started.elapsed().as_secs_f64()),
        watched_sessions: watch.sessions,
        watched_panes: watch.panes,
        // The log writer is a subscriber too.
        subscribers: shared.hub.subscriber_count().saturating_sub(1),
        connections: shared.connections.load(Ordering::SeqCst),
        max_connections,
        max_subscribers,
        events: shared.hub.published(),
        server_running: watch.server_running,
        socket: shared.socket.clone(),
        log: String::new(),
        problem: None,
        autosaves: lock(&shared.autosaver).status(),
    };
    let mut v = serde_json::to_value(st).unwrap_or_default();
    v["ok"] = serde_json::Value::Bool(true);
    v
}

fn subscribe(mut conn: Conn, shared: &Shared, filter: &EventFilter) {
    let stream = &mut conn.stream;
    let (max, budget) = {
        let c = lock(&shared.config);
        (c.max_subscribers, c.subscriber_budget())
    };
    let Some(_permit) = Permit::take(&shared.subscribers, max) else {
        let _ = reply(
            stream,
            &ErrorReply::cap_reached(
                "max_subscribers",
                "subscribers",
                max as u64,
                "--max-subscribers",
            ),
        );
        return;
    };
    let rx = match shared.hub.subscribe_bounded(filter, budget) {
        Ok(s) => s,
        Err(e) => {
            let _ = reply(stream, &ErrorReply::new(&e));
            return;
        }
    };
    let server_running = lock(&shared.watcher)
        .as_ref()
        .is_some_and(|w| w.status().server_running);
    if reply(
        stream,
        &serde_json::json!({"ok": true, "server_running": server_running}),
    )
    .is_err()
    {
        shared.hub.unsubscribe(rx.id());
        return;
    }
    // Notice a client that hung up even while no event comes: poll its read side.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(1)));
    let mut probe = [0u8; 64];
    let mut batch = Vec::new();
    let mut out = Vec::new();
    loop {
        batch.clear();
        match rx.recv(Duration::from_secs(1), BATCH_BYTES, &mut batch) {
            Received::Events => {
                out.clear();
                let mut end = false;
                for event in &batch {
                    if serde_json::to_writer(&mut out, event).is_err() {
                        continue;
                    }
                    out.push(b'\n');
                    end |= matches!(event.body, EventBody::DaemonStopped { .. });
                }
                // Not held while the write waits for a slow client.
                batch.clear();
                if stream.write_all(&out).is_err() || end {
                    break;
                }
                if out.capacity() > 4 * BATCH_BYTES {
                    out = Vec::new();
                }
            }
            Received::Timeout => match (&*stream).read(&mut probe) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            },
            Received::Closed => break,
        }
    }
    shared.hub.unsubscribe(rx.id());
}
