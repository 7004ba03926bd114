//! The daemon process itself: [`run`].

use super::autosave::Autosaver;
use super::log::{EventLog, MAX_BYTES};
use super::protocol::{parse_request, ErrorReply, Request, MAX_REQUEST};
use super::{DaemonPaths, DaemonStatus, PidFile};
use crate::error::{Error, Result};
use crate::events::hub::Hub;
use crate::events::watcher::Watcher;
use crate::events::{now_ms, EventBody, EventFilter, EventKind};
use crate::metrics_history::MetricsHistory;
use crate::server::Server;
use crate::state::StateDir;
use nix::fcntl::{Flock, FlockArg};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the daemon checks its socket file and signals.
const TICK: Duration = Duration::from_millis(100);

/// Events a subscriber may have waiting before it lags.
const SUBSCRIBER_CAPACITY: usize = 16384;

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
}

/// Run the daemon for `server` until asked to stop (request, SIGTERM, SIGINT, SIGHUP).
///
/// # Errors
/// [`Error::AlreadyExists`] when another daemon holds the lock (nothing is touched then);
/// [`Error::Io`] when the socket cannot be bound.
pub fn run(server: Server, state: StateDir) -> Result<()> {
    let paths = DaemonPaths::new(&state, &server)?;
    let lock_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)
        .map_err(|e| Error::io(format!("opening {}", paths.lock.display()), e))?;
    let _lock = match Flock::lock(lock_file, FlockArg::LockExclusiveNonblock) {
        Ok(l) => l,
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
            return Err(Error::AlreadyExists {
                what: "ctmux daemon",
                name: format!("for {}", server.socket_file().display()),
            })
        }
        Err((_, e)) => return Err(Error::io("locking the daemon lock", e.into())),
    };
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

    let hub = Arc::new(Hub::new());
    let log_thread = start_log_writer(&hub, &paths)?;
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
    });

    let jobs = super::jobs::start(&shared, &server, &state, &paths)?;

    while !shared.stop.load(Ordering::SeqCst) {
        if stop_signal.load(Ordering::SeqCst) {
            *lock(&shared.stop_reason) = "signal".into();
            break;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                let _ = std::thread::Builder::new()
                    .name("ctmux-daemon-client".into())
                    .spawn(move || serve(stream, &shared));
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
fn start_log_writer(hub: &Arc<Hub>, paths: &DaemonPaths) -> Result<std::thread::JoinHandle<()>> {
    let kinds: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, EventKind::Output | EventKind::PatternMatched))
        .collect();
    let filter = EventFilter {
        kinds,
        ..Default::default()
    };
    let (id, rx) = hub.subscribe(&filter, SUBSCRIBER_CAPACITY)?;
    let mut log = EventLog::open(&paths.log, MAX_BYTES)?;
    let hub = Arc::clone(hub);
    std::thread::Builder::new()
        .name("ctmux-daemon-log".into())
        .spawn(move || {
            for event in rx.iter() {
                let last = matches!(event.body, EventBody::DaemonStopped { .. });
                let _ = log.append(&event);
                if last {
                    break;
                }
            }
            hub.unsubscribe(id);
        })
        .map_err(|e| Error::io("starting the log thread", e))
}

fn reply(stream: &mut UnixStream, value: &impl serde::Serialize) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)
}

/// One client connection: one request, then its replies.
fn serve(mut stream: UnixStream, shared: &Shared) {
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
            let _ = reply(&mut stream, &ErrorReply::new(&e));
            return;
        }
    };
    match req {
        Request::Status => {
            let _ = reply(&mut stream, &status_reply(shared));
        }
        Request::Stop => {
            *lock(&shared.stop_reason) = "stop requested".into();
            shared.stop.store(true, Ordering::SeqCst);
            let _ = reply(&mut stream, &serde_json::json!({"ok": true}));
        }
        Request::Subscribe { filter } => subscribe(stream, shared, &filter),
        Request::MetricsHistory { pane, seconds } => {
            let now = std::time::SystemTime::now();
            let points = lock(&shared.history).since(&pane, seconds, now);
            let _ = match points {
                Ok(points) => {
                    let summary = MetricsHistory::summarize(&points);
                    reply(
                        &mut stream,
                        &serde_json::json!({"ok": true, "pane_id": pane, "points": points, "summary": summary}),
                    )
                }
                Err(e) => reply(&mut stream, &ErrorReply::new(&e)),
            };
        }
    }
}

fn status_reply(shared: &Shared) -> serde_json::Value {
    let watch = lock(&shared.watcher)
        .as_ref()
        .map(Watcher::status)
        .unwrap_or_default();
    let st = DaemonStatus {
        running: true,
        pid: Some(std::process::id()),
        reachable: true,
        uptime_seconds: Some(shared.started.elapsed().as_secs_f64()),
        watched_sessions: watch.sessions,
        watched_panes: watch.panes,
        // The log writer is a subscriber too.
        subscribers: shared.hub.subscriber_count().saturating_sub(1),
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

fn subscribe(mut stream: UnixStream, shared: &Shared, filter: &EventFilter) {
    let (id, rx) = match shared.hub.subscribe(filter, SUBSCRIBER_CAPACITY) {
        Ok(s) => s,
        Err(e) => {
            let _ = reply(&mut stream, &ErrorReply::new(&e));
            return;
        }
    };
    let server_running = lock(&shared.watcher)
        .as_ref()
        .is_some_and(|w| w.status().server_running);
    if reply(
        &mut stream,
        &serde_json::json!({"ok": true, "server_running": server_running}),
    )
    .is_err()
    {
        shared.hub.unsubscribe(id);
        return;
    }
    // Notice a client that hung up even while no event comes: poll its read side.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(1)));
    let mut probe = [0u8; 64];
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(event) => {
                let end = matches!(event.body, EventBody::DaemonStopped { .. });
                if reply(&mut stream, &event).is_err() || end {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => match (&stream).read(&mut probe) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            },
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    shared.hub.unsubscribe(id);
}
