//! [`Connection`]: one `tmux -C attach-session` client process, a reader thread that parses
//! what it prints, and the FIFO of requests waiting for their reply blocks.
//!
//! tmux answers commands in the order they were written, and never mixes output of two
//! commands, so the reply blocks of this client's own commands (`flags` 1) are matched to the
//! oldest waiting request: a request of N `;`-separated commands takes N blocks, or fewer when
//! one fails (tmux then skips the rest). Blocks with flags 0 (hooks, key bindings, the initial
//! attach) belong to nobody and are dropped. Notifications go to subscribers over bounded
//! channels. On `%exit` or end of file every waiting request fails.

use super::protocol::{command_line, split_commands, Event, Notification, Parser, Reply};
use crate::error::{Error, Result};
use crate::server::Server;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long [`Connection::open`] waits for tmux to answer the attach.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long dropping a connection waits for its client to leave before killing it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    /// tmux ran the command and it failed: `index` is the failing command within the argv.
    Tmux { index: usize, message: String },
    /// The connection went away. `written`: the request reached the client's stdin (if not,
    /// nothing ran). `started`: tmux had begun answering it (if written but not started, tmux
    /// may still have run it without its reply reaching us).
    Closed {
        written: bool,
        started: bool,
        reason: String,
    },
    /// The argv cannot be written (no command, a NUL).
    Invalid(String),
}

struct Pending {
    expected: usize,
    seen: usize,
    /// The last expected block answers our `#{client_session}` probe, not the caller.
    probe: bool,
    started: bool,
    lines: String,
    tx: SyncSender<std::result::Result<String, SendError>>,
}

#[derive(Default)]
struct State {
    alive: bool,
    /// Set once the attach has been answered.
    attached: bool,
    pending: VecDeque<Pending>,
    reason: Option<String>,
    session: Option<String>,
    /// tmux said `%exit` (rather than the client just ending).
    exit_seen: bool,
    /// The client process's exit status, once reaped by the reader.
    exit_status: Option<i32>,
    ready: Option<SyncSender<std::result::Result<(), String>>>,
}

/// A notification channel and whether the reader may drop for it (see
/// [`Connection::subscribe`] and [`Connection::subscribe_lossless`]).
struct Subscriber {
    tx: SyncSender<Notification>,
    lossless: bool,
    /// Set when something was dropped; the [`Subscription`] reports it.
    lost: Arc<AtomicBool>,
}

/// A lossy subscription to a connection's notifications ([`Connection::subscribe`]): reads
/// as a channel, and the first read after a notification was dropped (the channel was full)
/// returns [`Notification::Lost`].
#[derive(Debug)]
pub struct Subscription {
    rx: Receiver<Notification>,
    lost: Arc<AtomicBool>,
}

impl Subscription {
    fn lossy(capacity: usize) -> (Subscriber, Subscription) {
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let lost = Arc::new(AtomicBool::new(false));
        let sub = Subscriber {
            tx,
            lossless: false,
            lost: Arc::clone(&lost),
        };
        (sub, Subscription { rx, lost })
    }

    fn lost(&self) -> bool {
        self.lost.swap(false, Ordering::AcqRel)
    }

    /// The next notification, waiting at most `timeout`.
    ///
    /// # Errors
    /// Timeout, or Disconnected once the connection ended and everything was read.
    pub fn recv_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> std::result::Result<Notification, mpsc::RecvTimeoutError> {
        if self.lost() {
            return Ok(Notification::Lost);
        }
        self.rx.recv_timeout(timeout)
    }

    /// The next notification, waiting as long as it takes.
    ///
    /// # Errors
    /// Once the connection ended and everything was read.
    pub fn recv(&self) -> std::result::Result<Notification, mpsc::RecvError> {
        if self.lost() {
            return Ok(Notification::Lost);
        }
        self.rx.recv()
    }

    /// Every notification waiting now, without blocking.
    pub fn try_iter(&self) -> impl Iterator<Item = Notification> + '_ {
        std::iter::from_fn(|| self.try_recv().ok())
    }

    /// The next notification if one is waiting.
    ///
    /// # Errors
    /// Empty, or Disconnected once the connection ended and everything was read.
    pub fn try_recv(&self) -> std::result::Result<Notification, mpsc::TryRecvError> {
        if self.lost() {
            return Ok(Notification::Lost);
        }
        self.rx.try_recv()
    }
}

/// A lossless stream of one session's pushed notifications (see
/// [`crate::Backend::tap_session`]), holding the connection it comes from open.
#[derive(Debug)]
pub struct SessionTap {
    /// The notifications, none dropped: the connection's reader waits while this is full,
    /// so the receiver must keep reading (or drop it).
    pub rx: Receiver<Notification>,
    /// The connection, kept open as long as the tap lives.
    pub conn: Arc<Connection>,
}

/// How many notifications a [`SessionTap`] holds unread.
const TAP_CAPACITY: usize = 4096;

impl SessionTap {
    /// A tap through `conn` if it is attached to `session` (an id, `$3`): subscribes first,
    /// then checks, so nothing pushed after the call is missed.
    pub fn through(conn: Arc<Connection>, session: &str) -> Option<SessionTap> {
        let rx = conn.subscribe_lossless(TAP_CAPACITY);
        (conn.attached_session().as_deref() == Some(session)).then_some(SessionTap { rx, conn })
    }

    /// A tap through a connection of its own, attached to `session` (~3 ms to open; it closes
    /// when the tap is dropped).
    ///
    /// # Errors
    /// As [`Connection::open`].
    pub fn dedicated(server: &Server, session: &str) -> Result<SessionTap> {
        let conn = Arc::new(Connection::open(server, Some(session))?);
        SessionTap::through(conn, session).ok_or_else(|| {
            Error::not_found("session", format!("{session} (the tap could not attach)"))
        })
    }
}

struct Shared {
    state: Mutex<State>,
    subscribers: Mutex<Vec<Subscriber>>,
    dropped: AtomicU64,
    child: Mutex<Option<Child>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A live control-mode client of one tmux server, attached to one session.
///
/// `Send + Sync`: any number of threads may send commands at once; each gets its own reply.
#[derive(Debug)]
pub struct Connection {
    shared: Arc<Shared>,
    stdin: Mutex<Option<ChildStdin>>,
    pid: u32,
    reader: Mutex<Option<JoinHandle<()>>>,
    done: Mutex<Option<Receiver<()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Shared")
            .field("alive", &st.alive)
            .field("pending", &st.pending.len())
            .field("session", &st.session)
            .finish()
    }
}

/// The `TERM` of every ctmux control-mode client: tmux reports it as `#{client_termname}`,
/// which tells ctmux's own connections (this process's or another's, such as the daemon's)
/// from the clients of people.
pub const CONTROL_TERM: &str = "ctmux-control";

impl Connection {
    /// Start `tmux [server args] -u -C attach-session -E [-t target]` and wait until tmux has
    /// answered the attach. Without `target` tmux picks the most recently used session.
    /// `-E` keeps the client's environment out of the session (`update-environment`); `-u`
    /// makes tmux send UTF-8 whatever the locale.
    ///
    /// `attach-session` would start a server (running its config) when none runs, so the
    /// socket is probed first ([`Server::is_running`]) and no server is ever started here.
    ///
    /// # Errors
    /// [`Error::ServerUnavailable`] when no server runs, tmux cannot be run, or it does not
    /// answer within 10 s; [`Error::NotFound`] when the server has no (such) session.
    pub fn open(server: &Server, target: Option<&str>) -> Result<Connection> {
        if !server.is_running() {
            return Err(Error::ServerUnavailable(format!(
                "no server running on {}",
                server.socket_file().display()
            )));
        }
        let mut args = vec!["-u", "-C", "attach-session", "-E"];
        if let Some(t) = target {
            args.extend(["-t", t]);
        }
        let mut cmd = server.command(&args);
        // Marks the client as ctmux's own (`#{client_termname}`), for every process that
        // counts the people attached to a session (see `crate::client::people_attached`).
        // `-E` keeps it out of the session's environment; panes take `default-terminal`.
        cmd.env("TERM", CONTROL_TERM);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::ServerUnavailable(format!(
                    "cannot run {}: not installed or not on PATH",
                    server.tmux_path().display()
                ))
            } else {
                Error::io("starting tmux -C", e)
            }
        })?;
        let pid = child.id();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                alive: true,
                ready: Some(ready_tx),
                ..State::default()
            }),
            subscribers: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            child: Mutex::new(Some(child)),
        });
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let reader = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("ctmux-control".into())
                .spawn(move || {
                    if let (Some(out), Some(err)) = (stdout, stderr) {
                        read_loop(&shared, out, err);
                    }
                    let _ = done_tx.send(());
                })
                .map_err(|e| Error::io("starting the control-mode reader thread", e))?
        };
        let conn = Connection {
            shared,
            stdin: Mutex::new(stdin),
            pid,
            reader: Mutex::new(Some(reader)),
            done: Mutex::new(Some(done_rx)),
        };
        match ready_rx.recv_timeout(ATTACH_TIMEOUT) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => return Err(attach_error(&message)),
            Err(_) => {
                return Err(Error::ServerUnavailable(format!(
                    "tmux control client did not answer the attach within {} s",
                    ATTACH_TIMEOUT.as_secs()
                )))
            }
        }
        // tmux announces the session with `%session-changed` after the attach's reply; ask,
        // so the session is known when `open` returns.
        let id = conn.run(&[
            "display-message".into(),
            "-p".into(),
            "#{session_id}".into(),
        ])?;
        let mut st = lock(&conn.shared.state);
        if st.session.is_none() && id.trim().starts_with('$') {
            st.session = Some(id.trim().to_owned());
        }
        drop(st);
        Ok(conn)
    }

    /// The pid of the `tmux -C` client process (a child of this process).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the connection still runs (no `%exit`, no end of file yet).
    pub fn is_alive(&self) -> bool {
        lock(&self.shared.state).alive
    }

    /// Why the connection ended (`%exit` reason or tmux's complaint), once it has.
    pub fn close_reason(&self) -> Option<String> {
        lock(&self.shared.state).reason.clone()
    }

    /// Whether the connection ended with tmux's `%exit` (detached, session destroyed, server
    /// exited: see [`Connection::close_reason`]) rather than the client dying without one.
    pub fn detached_cleanly(&self) -> bool {
        lock(&self.shared.state).exit_seen
    }

    /// The client process's exit status, once it has ended and been reaped.
    pub fn exit_status(&self) -> Option<i32> {
        lock(&self.shared.state).exit_status
    }

    /// Whether the client left because its server went away: tmux's client exits 1 then
    /// (it exits 0 when detached, e.g. because its session was destroyed), or it ended
    /// without `%exit`. `false` while the connection is alive.
    pub fn server_went_away(&self) -> bool {
        let st = lock(&self.shared.state);
        !st.alive && (!st.exit_seen || st.exit_status.is_some_and(|c| c != 0))
    }

    /// The id (`$3`) of the session this client is attached to, from tmux's last
    /// `%session-changed`; `None` once the connection has ended.
    pub fn attached_session(&self) -> Option<String> {
        let st = lock(&self.shared.state);
        if st.alive {
            st.session.clone()
        } else {
            None
        }
    }

    /// Receive notifications (`%output`, `%window-add`, `%exit`, ...) from now on. At most
    /// `capacity` wait unread; while the channel is full, newer ones are dropped (counted by
    /// [`Connection::dropped_notifications`]), so a slow subscriber never stalls replies,
    /// and its next read returns [`Notification::Lost`]. The channel closes when the
    /// connection ends.
    pub fn subscribe(&self, capacity: usize) -> Subscription {
        let (sub, subscription) = Subscription::lossy(capacity);
        lock(&self.shared.subscribers).push(sub);
        subscription
    }

    /// Receive notifications from now on, none ever dropped: while the channel is full the
    /// reader waits (tmux keeps the rest of the output for this client meanwhile), so the
    /// receiver must keep reading — replies to commands on this connection wait too. For
    /// connections dedicated to streaming. The channel closes when the connection ends.
    pub fn subscribe_lossless(&self, capacity: usize) -> Receiver<Notification> {
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        lock(&self.shared.subscribers).push(Subscriber {
            tx,
            lossless: true,
            lost: Arc::default(),
        });
        rx
    }

    /// Lossy subscriptions ([`Connection::subscribe`]) whose [`Subscription`] is still held.
    pub fn live_subscriptions(&self) -> usize {
        lock(&self.shared.subscribers)
            .iter()
            .filter(|s| !s.lossless && Arc::strong_count(&s.lost) > 1)
            .count()
    }

    /// Notifications dropped because a subscriber's channel was full.
    pub fn dropped_notifications(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Run one tmux command (argv, `;` elements separate commands) and return its output,
    /// as a `tmux` process would have printed it.
    ///
    /// # Errors
    /// As [`crate::Backend::run`]: tmux's complaint classified by
    /// [`crate::backend::classify_tmux_error`], [`Error::ServerUnavailable`] if the connection
    /// ends first, [`Error::InvalidInput`] for an argv with no command or a NUL.
    pub fn run(&self, argv: &[String]) -> Result<String> {
        self.send(argv).map_err(|e| send_error_to_error(argv, e))
    }

    /// Like [`Connection::run`], with the detail a backend needs to retry elsewhere.
    pub(crate) fn send(&self, argv: &[String]) -> std::result::Result<String, SendError> {
        let rx = self.submit(argv)?;
        match rx.recv() {
            Ok(result) => result,
            Err(_) => Err(SendError::Closed {
                written: true,
                started: false,
                reason: "control-mode reader stopped".into(),
            }),
        }
    }

    /// Write one command without waiting for its reply (dropped when it comes). tmux runs the
    /// commands of a connection in order, so a later command on this connection sees its
    /// effect.
    ///
    /// # Errors
    /// As [`Connection::run`], for what can be known before the reply.
    pub fn post(&self, argv: &[String]) -> Result<()> {
        self.submit(argv)
            .map(drop)
            .map_err(|e| send_error_to_error(argv, e))
    }

    /// Queue `argv` and write it; the receiver gets its reply.
    fn submit(
        &self,
        argv: &[String],
    ) -> std::result::Result<mpsc::Receiver<std::result::Result<String, SendError>>, SendError>
    {
        let (mut line, mut expected) =
            command_line(argv).map_err(|e| SendError::Invalid(e.to_string()))?;
        // After a command that can take away the session this client is attached to, ask on
        // the same line whether it still is: tmux runs that before it lets the client go, so
        // the connection is known to be closing before the caller can send anything else.
        // (A failing command skips the probe with the rest of the line.)
        let probe = may_detach(argv);
        if probe {
            line.push_str(&format!(
                " ; \"display-message\" \"-p\" \"{PROBE}#{{client_session}}\""
            ));
            expected += 1;
        }
        line.push('\n');
        let (tx, rx) = mpsc::sync_channel(1);
        {
            // The writer lock orders the FIFO like the bytes on the pipe.
            let mut stdin = lock(&self.stdin);
            {
                let mut st = lock(&self.shared.state);
                if !st.alive || stdin.is_none() {
                    return Err(SendError::Closed {
                        written: false,
                        started: false,
                        reason: st
                            .reason
                            .clone()
                            .unwrap_or_else(|| "connection closed".into()),
                    });
                }
                st.pending.push_back(Pending {
                    expected,
                    seen: 0,
                    probe,
                    started: false,
                    lines: String::new(),
                    tx,
                });
            }
            let written = match stdin.as_mut() {
                Some(pipe) => pipe.write_all(line.as_bytes()).and_then(|_| pipe.flush()),
                None => Err(std::io::ErrorKind::BrokenPipe.into()),
            };
            if let Err(e) = written {
                // The client is gone. The line's newline was not written, so tmux cannot run
                // it: report it unwritten (the reader drops our pending entry at end of file).
                *stdin = None;
                return Err(SendError::Closed {
                    written: false,
                    started: false,
                    reason: format!("writing to the control client: {e}"),
                });
            }
        }
        Ok(rx)
    }

    /// Detach: close the client's stdin, wait (2 s at most) for it to leave, else kill it.
    pub fn close(&self) {
        lock(&self.stdin).take();
        let done = lock(&self.done).take();
        if let Some(done) = done {
            if done.recv_timeout(CLOSE_TIMEOUT).is_err() {
                // Still running: it is our own child, not yet reaped (the reader reaps it only
                // after end of file), so its pid is still ours to kill.
                if let Some(mut child) = lock(&self.shared.child).take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
        if let Some(reader) = lock(&self.reader).take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

/// Marks the reply to the `#{client_session}` probe.
const PROBE: &str = "ctmux-probe:";

/// Commands after which this client may no longer be attached to a session (the session it
/// is attached to may be gone). `kill-server` is not probed: the server exits right after it.
fn may_detach(argv: &[String]) -> bool {
    const DETACHERS: &[&str] = &[
        "kill-session",
        "kill-window",
        "killw",
        "kill-pane",
        "killp",
        "unlink-window",
        "unlinkw",
        "detach-client",
        "detach",
        "move-window",
        "movew",
        "join-pane",
        "joinp",
        "move-pane",
        "movep",
        "break-pane",
        "breakp",
    ];
    split_commands(argv)
        .iter()
        .any(|cmd| DETACHERS.contains(&cmd[0].as_str()))
}

fn attach_error(message: &str) -> Error {
    let lower = message.to_lowercase();
    if lower.contains("no sessions") {
        Error::not_found("session", "no session to attach a control client to")
    } else {
        match crate::backend::classify_tmux_error("attach-session", message) {
            Error::Tmux { message, .. } => {
                Error::ServerUnavailable(format!("control client could not attach: {message}"))
            }
            other => other,
        }
    }
}

pub(crate) fn send_error_to_error(argv: &[String], e: SendError) -> Error {
    match e {
        SendError::Tmux { index, message } => {
            let commands = split_commands(argv);
            let name = commands
                .get(index)
                .or(commands.first())
                .and_then(|c| c.first())
                .map(String::as_str)
                .unwrap_or("");
            crate::backend::classify_tmux_error(name, &message)
        }
        SendError::Closed { reason, .. } => {
            Error::ServerUnavailable(format!("tmux control connection closed: {reason}"))
        }
        SendError::Invalid(reason) => Error::InvalidInput {
            what: "tmux command",
            reason,
        },
    }
}

fn read_loop(shared: &Shared, stdout: impl Read, mut stderr: impl Read) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut parser = Parser::new();
    let mut line = Vec::with_capacity(256);
    let mut exit_reason = None;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        match parser.feed(&line) {
            None => {}
            Some(Event::Begin(guard)) if guard.from_client() => {
                if let Some(p) = lock(&shared.state).pending.front_mut() {
                    p.started = true;
                }
            }
            Some(Event::Begin(_)) => {}
            Some(Event::Reply(reply)) => shared.on_reply(reply),
            Some(Event::Notification(n)) => {
                if let Notification::Exit { reason } = &n {
                    exit_reason = Some(reason.clone().unwrap_or_else(|| "exited".into()));
                    lock(&shared.state).exit_seen = true;
                    shared.shut(exit_reason.clone().unwrap_or_default());
                }
                if let Notification::SessionChanged { session_id, .. } = &n {
                    lock(&shared.state).session = Some(session_id.clone());
                }
                shared.publish(n);
            }
        }
    }
    // End of file: the client has left. Keep what it said on stderr as the reason.
    let mut err = String::new();
    let _ = stderr.by_ref().take(4096).read_to_string(&mut err);
    let reason = match (exit_reason, err.trim()) {
        (_, e) if !e.is_empty() => e.to_owned(),
        (Some(r), _) => r,
        (None, _) => "tmux control client exited".to_owned(),
    };
    shared.shut(reason);
    if let Some(mut child) = lock(&shared.child).take() {
        // It closed its output, so it is exiting: give it a moment to do so by itself (its
        // exit status tells a killed server from a detach), then make sure.
        let deadline = std::time::Instant::now() + Duration::from_millis(200);
        let mut status = None;
        while std::time::Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(s)) => {
                    status = Some(s);
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                Err(_) => break,
            }
        }
        if status.is_none() {
            let _ = child.kill();
            status = child.wait().ok();
        }
        lock(&shared.state).exit_status = status.and_then(|s| s.code());
    }
    lock(&shared.subscribers).clear();
}

impl Shared {
    fn on_reply(&self, reply: Reply) {
        let mut st = lock(&self.state);
        if !st.attached {
            // The first block answers the attach-session on the command line.
            st.attached = true;
            if let Some(ready) = st.ready.take() {
                let _ = ready.send(if reply.ok {
                    Ok(())
                } else {
                    Err(reply.lines.join("\n"))
                });
            }
            return;
        }
        if !reply.guard.from_client() {
            return;
        }
        let Some(p) = st.pending.front_mut() else {
            return;
        };
        p.started = true;
        p.seen += 1;
        let index = p.seen - 1;
        if !reply.ok {
            let message = reply.lines.join("\n");
            if let Some(p) = st.pending.pop_front() {
                let _ = p.tx.send(Err(SendError::Tmux { index, message }));
            }
            return;
        }
        let probe_reply = p.probe && p.seen == p.expected;
        if !probe_reply {
            for l in &reply.lines {
                p.lines.push_str(l);
                p.lines.push('\n');
            }
        }
        if p.seen >= p.expected {
            let detached = probe_reply
                && reply
                    .lines
                    .first()
                    .and_then(|l| l.strip_prefix(PROBE))
                    .is_some_and(str::is_empty);
            if detached {
                // Our session is gone: tmux is letting this client go. Refuse new requests
                // before the caller hears back (they go elsewhere, unwritten, so nothing can
                // run twice).
                st.alive = false;
            }
            if let Some(p) = st.pending.pop_front() {
                let _ = p.tx.send(Ok(p.lines));
            }
            if detached {
                drop(st);
                self.shut("the attached session is gone".into());
            }
        }
    }

    /// Mark the connection dead and fail everything waiting.
    fn shut(&self, reason: String) {
        let mut st = lock(&self.state);
        st.alive = false;
        st.session = None;
        if st.reason.is_none() {
            st.reason = Some(reason.clone());
        }
        if let Some(ready) = st.ready.take() {
            let _ = ready.send(Err(reason.clone()));
        }
        for p in st.pending.drain(..) {
            let _ = p.tx.send(Err(SendError::Closed {
                written: true,
                started: p.started,
                reason: reason.clone(),
            }));
        }
    }

    fn publish(&self, n: Notification) {
        let mut subs = lock(&self.subscribers);
        if subs.is_empty() {
            return;
        }
        let last = subs.len() - 1;
        let mut n = Some(n);
        let mut keep = Vec::with_capacity(subs.len());
        for (i, sub) in subs.drain(..).enumerate() {
            let item = if i == last { n.take() } else { n.clone() };
            let Some(item) = item else { continue };
            if sub.lossless {
                if sub.tx.send(item).is_ok() {
                    keep.push(sub);
                }
                continue;
            }
            match sub.tx.try_send(item) {
                Ok(()) => keep.push(sub),
                Err(TrySendError::Full(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    sub.lost.store(true, Ordering::Release);
                    keep.push(sub);
                }
                Err(TrySendError::Disconnected(_)) => {}
            }
        }
        *subs = keep;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_full_subscription_reports_what_it_lost() {
        let shared = Shared {
            state: Mutex::default(),
            subscribers: Mutex::default(),
            dropped: AtomicU64::new(0),
            child: Mutex::new(None),
        };
        let (sub, rx) = Subscription::lossy(2);
        lock(&shared.subscribers).push(sub);
        for _ in 0..5 {
            shared.publish(Notification::SessionsChanged);
        }
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 3);
        // The loss comes first, once; then what fitted.
        assert_eq!(rx.try_recv(), Ok(Notification::Lost));
        assert_eq!(rx.try_recv(), Ok(Notification::SessionsChanged));
        assert_eq!(rx.try_recv(), Ok(Notification::SessionsChanged));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty));
        shared.publish(Notification::SessionsChanged);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_millis(1)),
            Ok(Notification::SessionsChanged)
        );
        drop(shared);
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    }

    #[test]
    fn probes_after_commands_that_can_take_the_session_away() {
        assert!(may_detach(&argv(&["kill-session", "-t", "$1"])));
        assert!(may_detach(&argv(&[
            "display", "-p", "x", ";", "killp", "-t", "%1"
        ])));
        assert!(may_detach(&argv(&["move-window", "-s", "a:1", "-t", "b:"])));
        assert!(!may_detach(&argv(&["kill-server"])));
        assert!(!may_detach(&argv(&[
            "display-message",
            "-p",
            "kill-session"
        ])));
    }

    #[test]
    fn errors_name_the_failing_command() {
        let e = send_error_to_error(
            &argv(&["display", "-p", "x", ";", "kill-pane", "-t", "%9"]),
            SendError::Tmux {
                index: 1,
                message: "can't find pane: %9".into(),
            },
        );
        assert_eq!(e.kind(), crate::ErrorKind::NotFound);
        let e = send_error_to_error(
            &argv(&["frobnicate"]),
            SendError::Tmux {
                index: 0,
                message: "parse error: unknown command: frobnicate".into(),
            },
        );
        assert!(matches!(e, Error::Tmux { ref command, .. } if command == "frobnicate"));
        let e = send_error_to_error(
            &argv(&["x"]),
            SendError::Closed {
                written: true,
                started: false,
                reason: "exited".into(),
            },
        );
        assert_eq!(e.kind(), crate::ErrorKind::ServerUnavailable);
    }

    #[test]
    fn no_server_no_connection_and_none_started() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s");
        let server = Server::new(crate::Socket::Path(sock.clone())).unwrap();
        let e = Connection::open(&server, None).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ServerUnavailable);
        assert!(!sock.exists(), "a server was started");
    }
}
