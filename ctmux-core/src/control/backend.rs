//! [`ControlBackend`]: the [`Backend`] trait over one persistent `tmux -C` connection.
//!
//! A control client must be attached to a session, so the backend connects lazily: a command
//! on a server with no session (the first `new-session`, a listing of an empty server) runs
//! through an internal [`ProcessBackend`], and the connection is opened before the next
//! command. When the connection dies (its session was killed, the server restarted) the next
//! command reconnects to any session, or falls back to a process if there is none.
//!
//! A command caught by a dying connection is sent again that way only when that cannot run it
//! twice: it never reached the connection, or tmux had not begun answering it and it only
//! reads (`list-*`, `display-message`, `show-*`, `capture-pane`, `has-session`). Otherwise it
//! fails with [`Error::ServerUnavailable`](crate::Error::ServerUnavailable): it may have run.
//!
//! Commands that would stall the shared connection, or whose replies tmux does not frame as
//! one block each, always run as a process: `wait-for` (except `-S`/`-U`), `run-shell`,
//! `if-shell` and `source-file`.

use super::connection::{send_error_to_error, Connection, SendError};
use super::protocol::split_commands;
use crate::backend::{Backend, ProcessBackend};
use crate::error::Result;
use crate::server::Server;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// After an attach found no session, how long commands go straight to a process before the
/// next attach attempt (a `new-session` run through the fallback ends the wait at once).
const RETRY_ATTACH_AFTER: Duration = Duration::from_millis(500);

/// How many notifications a [`Backend::subscribe_session`] channel holds unread.
const SUBSCRIPTION_CAPACITY: usize = 4096;

/// How many times a command that tmux never began is re-sent (reconnecting in between).
const MAX_RESENDS: usize = 3;

/// One persistent control-mode connection per server, with a process fallback.
/// `Send + Sync`; commands from many threads share the connection.
#[derive(Debug)]
pub struct ControlBackend {
    fallback: ProcessBackend,
    issued: AtomicU64,
    slot: Mutex<Slot>,
    listeners: Mutex<Vec<Listener>>,
}

/// A connection attached to one session only to receive that session's pushed output (tmux
/// pushes `%output` only to clients attached to the pane's session); it runs no commands.
#[derive(Debug)]
struct Listener {
    session: String,
    conn: Arc<Connection>,
    used: Instant,
}

/// Most listener connections kept at once (see [`ControlBackend::listener`]).
const MAX_LISTENERS: usize = 16;

/// A listener nobody subscribed through for this long is closed at the next subscription.
const LISTENER_IDLE: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Slot {
    conn: Option<Arc<Connection>>,
    retry_after: Option<Instant>,
    connects: u64,
    fallbacks: u64,
}

impl ControlBackend {
    /// A backend for `server`. Nothing is started until the first command.
    pub fn new(server: Server) -> Self {
        ControlBackend {
            fallback: ProcessBackend::new(server),
            issued: AtomicU64::new(0),
            slot: Mutex::new(Slot::default()),
            listeners: Mutex::new(Vec::new()),
        }
    }

    /// The listener connection attached to `session` (an id, `$3`), opening one if needed.
    /// Listeners that died or moved to another session are closed here, and so are those no
    /// wait has used for a minute. At most 16 are open: to open another, the least recently
    /// used one that no wait holds is closed; when every one is held, `None` (the new wait
    /// falls back to the waiter / re-reads, the running ones keep their pushes). Each is one
    /// more `tmux -C` client of the server (not counted as a person's, see
    /// [`super::CONTROL_TERM`]); attaching it counts as activity of the session for tmux.
    pub fn listener(&self, session: &str) -> Option<Arc<Connection>> {
        let mut ls = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        ls.retain(|l| {
            l.conn.is_alive()
                && l.conn.attached_session().as_deref() == Some(l.session.as_str())
                && (l.session == session
                    || l.conn.live_subscriptions() > 0
                    || now.duration_since(l.used) < LISTENER_IDLE)
        });
        if let Some(l) = ls.iter_mut().find(|l| l.session == session) {
            l.used = now;
            return Some(Arc::clone(&l.conn));
        }
        if ls.len() >= MAX_LISTENERS {
            let free = (0..ls.len())
                .filter(|&i| ls[i].conn.live_subscriptions() == 0)
                .min_by_key(|&i| ls[i].used)?;
            ls.remove(free);
        }
        let conn = Arc::new(Connection::open(self.server(), Some(session)).ok()?);
        if conn.attached_session().as_deref() != Some(session) {
            return None;
        }
        ls.push(Listener {
            session: session.to_owned(),
            conn: Arc::clone(&conn),
            used: now,
        });
        Some(conn)
    }

    /// How many listener connections are open now.
    pub fn listener_count(&self) -> usize {
        self.listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|l| l.conn.is_alive())
            .count()
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live connection, opening one if the server has a session to attach to. `None`
    /// when no server runs, it has no session, or an attach failed less than 0.5 s ago.
    pub fn connection(&self) -> Option<Arc<Connection>> {
        let mut slot = self.slot();
        if let Some(c) = &slot.conn {
            if c.is_alive() {
                return Some(Arc::clone(c));
            }
            slot.conn = None;
        }
        if slot.retry_after.is_some_and(|t| Instant::now() < t) {
            return None;
        }
        match Connection::open(self.server(), None) {
            Ok(c) => {
                let c = Arc::new(c);
                slot.conn = Some(Arc::clone(&c));
                slot.connects += 1;
                slot.retry_after = None;
                Some(c)
            }
            // No server: the probe costs microseconds, try again next time.
            Err(crate::Error::ServerUnavailable(_)) if !self.server().is_running() => None,
            Err(_) => {
                slot.retry_after = Some(Instant::now() + RETRY_ATTACH_AFTER);
                None
            }
        }
    }

    /// The current connection if it is alive, without connecting.
    pub fn current_connection(&self) -> Option<Arc<Connection>> {
        self.slot().conn.as_ref().filter(|c| c.is_alive()).cloned()
    }

    /// How many connections were opened so far (reconnects included).
    pub fn connects(&self) -> u64 {
        self.slot().connects
    }

    /// How many commands ran through the process fallback so far.
    pub fn fallbacks(&self) -> u64 {
        self.slot().fallbacks
    }

    /// Close the connection and every listener now (the next command opens a new one).
    pub fn disconnect(&self) {
        let conn = self.slot().conn.take();
        drop(conn);
        let listeners =
            std::mem::take(&mut *self.listeners.lock().unwrap_or_else(|e| e.into_inner()));
        drop(listeners);
    }

    fn forget(&self, dead: &Arc<Connection>) {
        let mut slot = self.slot();
        if slot.conn.as_ref().is_some_and(|c| Arc::ptr_eq(c, dead)) {
            slot.conn = None;
        }
    }

    fn run_as_process(&self, argv: &[String]) -> Result<String> {
        self.slot().fallbacks += 1;
        let out = self.fallback.run(argv);
        if out.is_ok() && creates_session(argv) {
            self.slot().retry_after = None;
        }
        out
    }
}

impl Backend for ControlBackend {
    fn run(&self, argv: &[String]) -> Result<String> {
        self.issued.fetch_add(1, Ordering::Relaxed);
        if runs_as_process(argv) {
            return self.run_as_process(argv);
        }
        for _ in 0..MAX_RESENDS {
            let Some(conn) = self.connection() else {
                return self.run_as_process(argv);
            };
            match conn.send(argv) {
                Ok(out) => return Ok(out),
                // Nothing ran, or running it again changes nothing: send it again
                // (reconnecting, or as a process when no session is left).
                Err(SendError::Closed {
                    written, started, ..
                }) if !written || (!started && read_only(argv)) => self.forget(&conn),
                Err(e) => {
                    if !conn.is_alive() {
                        self.forget(&conn);
                    }
                    return Err(send_error_to_error(argv, e));
                }
            }
        }
        self.run_as_process(argv)
    }

    fn post(&self, argv: &[String]) -> Result<()> {
        if runs_as_process(argv) {
            return self.run(argv).map(drop);
        }
        match self.connection() {
            Some(conn) => {
                self.issued.fetch_add(1, Ordering::Relaxed);
                conn.post(argv)
            }
            None => self.run(argv).map(drop),
        }
    }

    fn server(&self) -> &Server {
        self.fallback.server()
    }

    fn commands_issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    fn own_client_session(&self) -> Option<String> {
        self.current_connection()?.attached_session()
    }

    /// Through the main connection when it is attached to `session`, else through a
    /// listener connection attached to `session` (opened on first use, ~3 ms; see
    /// [`ControlBackend::listener`]). Subscribes first, then checks the attachment, so a
    /// subscription handed out misses nothing pushed after it was asked for. `None` when no
    /// server runs or `session` does not exist.
    fn subscribe_session(&self, session: &str) -> Option<super::Subscription> {
        if let Some(conn) = self.current_connection() {
            let rx = conn.subscribe(SUBSCRIPTION_CAPACITY);
            if conn.attached_session().as_deref() == Some(session) {
                return Some(rx);
            }
        }
        let conn = self.listener(session)?;
        let rx = conn.subscribe(SUBSCRIPTION_CAPACITY);
        (conn.attached_session().as_deref() == Some(session)).then_some(rx)
    }

    /// Through the main connection when it is attached to `session`, else a listener
    /// connection attached to it, else a connection of its own.
    fn tap_session(&self, session: &str) -> Result<super::SessionTap> {
        if let Some(tap) = self
            .current_connection()
            .and_then(|c| super::SessionTap::through(c, session))
        {
            return Ok(tap);
        }
        if let Some(tap) = self
            .listener(session)
            .and_then(|c| super::SessionTap::through(c, session))
        {
            return Ok(tap);
        }
        super::SessionTap::dedicated(self.server(), session)
    }
}

impl Drop for ControlBackend {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// Whether `name` names tmux command `full` (its alias, or a prefix tmux would accept).
fn names(name: &str, full: &str, alias: &str) -> bool {
    name == alias || (name.len() >= 2 && full.starts_with(name))
}

/// Commands that must not go over the shared connection: they block its queue (`wait-for`,
/// `run-shell`) or insert further commands whose replies tmux frames as extra blocks.
fn runs_as_process(argv: &[String]) -> bool {
    split_commands(argv).iter().any(|cmd| {
        let name = cmd[0].as_str();
        let args = &cmd[1..];
        (names(name, "wait-for", "wait") && !args.iter().any(|a| a == "-S" || a == "-U"))
            || names(name, "run-shell", "run")
            || names(name, "if-shell", "if")
            || names(name, "source-file", "source")
    })
}

/// Whether every command of `argv` only reads (so running it twice changes nothing).
fn read_only(argv: &[String]) -> bool {
    const READERS: &[&str] = &[
        "list-sessions",
        "ls",
        "list-windows",
        "lsw",
        "list-panes",
        "lsp",
        "list-clients",
        "lsc",
        "list-buffers",
        "lsb",
        "list-keys",
        "lsk",
        "list-commands",
        "lscm",
        "display-message",
        "display",
        "show-options",
        "show",
        "show-window-options",
        "showw",
        "show-environment",
        "showenv",
        "show-buffer",
        "showb",
        "show-hooks",
        "show-messages",
        "showmsgs",
        "capture-pane",
        "capturep",
        "has-session",
        "has",
        "server-info",
        "info",
    ];
    split_commands(argv)
        .iter()
        .all(|cmd| READERS.contains(&cmd[0].as_str()))
}

fn creates_session(argv: &[String]) -> bool {
    split_commands(argv).iter().any(|cmd| {
        let n = cmd[0].as_str();
        n == "new" || (n.len() >= 5 && "new-session".starts_with(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn blocking_commands_go_to_a_process() {
        assert!(runs_as_process(&argv(&["wait-for", "ch"])));
        assert!(runs_as_process(&argv(&["wait", "-L", "ch"])));
        assert!(!runs_as_process(&argv(&["wait-for", "-S", "ch"])));
        assert!(runs_as_process(&argv(&[
            "display", "-p", "x", ";", "run", "true"
        ])));
        assert!(runs_as_process(&argv(&["if-shell", "-F", "1", "x"])));
        assert!(runs_as_process(&argv(&["source-file", "/x"])));
        assert!(!runs_as_process(&argv(&[
            "display-message",
            "-p",
            "wait-for"
        ])));
        assert!(!runs_as_process(&argv(&["list-sessions"])));
        assert!(read_only(&argv(&[
            "list-panes",
            "-a",
            ";",
            "display",
            "-p",
            "x"
        ])));
        assert!(!read_only(&argv(&["list-panes", ";", "send-keys", "x"])));
        assert!(creates_session(&argv(&["new-session", "-d"])));
        assert!(creates_session(&argv(&["new", "-d"])));
        assert!(!creates_session(&argv(&["new-window"])));
    }
}
