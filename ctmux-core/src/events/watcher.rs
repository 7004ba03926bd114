//! [`Watcher`]: follows every session of one tmux server and publishes what happens to a
//! [`Hub`].
//!
//! A control-mode client sees `%output` only for the session it is attached to, so the
//! watcher keeps one [`Connection`] per session, each read by its own thread that turns
//! pushed bytes into `output` and `command_finished` events. A coordinating thread rescans
//! the server's panes (one `list-panes -a`) whenever a connection reports a structural
//! change (`%sessions-changed`, `%window-add`, `%layout-change`, `%exit`, ...) and at least
//! every [`RESCAN_EVERY`], and publishes the differences: sessions created and closed, panes
//! created and exited. When the server goes away it publishes `pane_exited` and
//! `session_closed` for what it knew and then `server_lost`; it keeps probing the socket
//! (a `connect`, microseconds) and publishes `server_back` when a server answers again.
//!
//! Idle cost: threads block on their pipes; the only periodic work is the rescan.
//!
//! Side effect to know about: each watched session has one more attached (control-mode)
//! client while the watcher runs; control clients do not change window sizes.

use super::hub::Hub;
use super::lines::LineDecoder;
use super::EventBody;
use crate::control::{Connection, Notification};
use crate::error::{Error, Result};
use crate::server::Server;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest time between two rescans of the server.
pub const RESCAN_EVERY: Duration = Duration::from_secs(2);

/// Notifications buffered per session connection. The pump publishes to the hub, which waits
/// for a full bounded subscriber that still reads (up to its stall time, see `hub.rs`).
const PUMP_CAPACITY: usize = 4096;

/// What the watcher follows right now.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WatchStatus {
    /// Whether the server answered at the last scan.
    pub server_running: bool,
    /// Names of the sessions followed.
    pub sessions: Vec<String>,
    /// Panes known.
    pub panes: usize,
    /// Scans done.
    pub scans: u64,
}

/// A running watcher; stops (and closes its connections) when dropped.
#[derive(Debug)]
pub struct Watcher {
    stop: Arc<AtomicBool>,
    wake: SyncSender<()>,
    status: Arc<Mutex<WatchStatus>>,
    thread: Option<JoinHandle<()>>,
}

struct SessionWatch {
    name: Arc<Mutex<String>>,
    conn: Arc<Connection>,
    pump: Option<JoinHandle<()>>,
}

#[derive(Debug, Clone)]
struct PaneState {
    session: String,
    dead: bool,
}

struct World {
    server: Server,
    hub: Arc<Hub>,
    wake: SyncSender<()>,
    sessions: BTreeMap<String, SessionWatch>,
    panes: HashMap<String, PaneState>,
    /// `None` before the first scan (what exists then is adopted without events).
    up: Option<bool>,
    scans: u64,
}

impl Watcher {
    /// Start following `server`, publishing to `hub`. What exists now is adopted without
    /// events; changes from now on are published. A server that is not running is waited
    /// for (`server_back` when it comes).
    ///
    /// # Errors
    /// [`Error::Io`] if the thread cannot be started.
    pub fn start(server: Server, hub: Arc<Hub>) -> Result<Watcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let (wake_tx, wake_rx) = mpsc::sync_channel::<()>(1);
        let status = Arc::new(Mutex::new(WatchStatus::default()));
        let mut world = World {
            server,
            hub,
            wake: wake_tx.clone(),
            sessions: BTreeMap::new(),
            panes: HashMap::new(),
            up: None,
            scans: 0,
        };
        // The first scan runs before `start` returns: a caller that subscribes and then acts
        // sees the effects of its actions as changes.
        world.scan();
        *status.lock().unwrap_or_else(|e| e.into_inner()) = world.status();
        let thread = {
            let stop = Arc::clone(&stop);
            let status = Arc::clone(&status);
            std::thread::Builder::new()
                .name("ctmux-watcher".into())
                .spawn(move || run(world, &stop, &wake_rx, &status))
                .map_err(|e| Error::io("starting the watcher thread", e))?
        };
        Ok(Watcher {
            stop,
            wake: wake_tx,
            status,
            thread: Some(thread),
        })
    }

    /// What is followed, as of the last scan.
    pub fn status(&self) -> WatchStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Ask for a rescan now (for example after a known change).
    pub fn rescan(&self) {
        let _ = self.wake.try_send(());
    }

    /// Stop following; returns once every connection is closed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.try_send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(mut world: World, stop: &AtomicBool, wake: &Receiver<()>, status: &Mutex<WatchStatus>) {
    while !stop.load(Ordering::SeqCst) {
        match wake.recv_timeout(RESCAN_EVERY) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // Several notifications usually come in a burst: let it finish, then scan once.
        std::thread::sleep(Duration::from_millis(2));
        while wake.try_recv().is_ok() {}
        world.scan();
        *status.lock().unwrap_or_else(|e| e.into_inner()) = world.status();
    }
    world.close_all();
}

/// One row of `list-panes -a`.
struct Row {
    session_id: String,
    session: String,
    pane: String,
    dead: bool,
    status: Option<i32>,
}

const LIST_FORMAT: &str =
    "#{session_id}\t#{pane_id}\t#{pane_dead}\t#{pane_dead_status}\t#{session_name}";

fn parse_rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(5, '\t');
            let session_id = f.next()?.to_owned();
            let pane = f.next()?.to_owned();
            let dead = f.next()? == "1";
            let status = f.next()?.parse().ok();
            let session = f.next()?.to_owned();
            Some(Row {
                session_id,
                session,
                pane,
                dead,
                status,
            })
        })
        .collect()
}

impl World {
    fn status(&self) -> WatchStatus {
        WatchStatus {
            server_running: self.up == Some(true),
            sessions: self
                .sessions
                .values()
                .map(|s| s.name.lock().unwrap_or_else(|e| e.into_inner()).clone())
                .collect(),
            panes: self.panes.len(),
            scans: self.scans,
        }
    }

    fn list(&self) -> Result<String> {
        let argv: Vec<String> = ["list-panes", "-a", "-F", LIST_FORMAT]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(w) = self.sessions.values().find(|w| w.conn.is_alive()) {
            if let Ok(out) = w.conn.run(&argv) {
                return Ok(out);
            }
        }
        crate::backend::Backend::run(
            &crate::backend::ProcessBackend::new(self.server.clone()),
            &argv,
        )
    }

    fn scan(&mut self) {
        self.scans += 1;
        let rows = if self.server.is_running() {
            match self.list() {
                Ok(out) => Some(parse_rows(&out)),
                Err(Error::ServerUnavailable(_)) => None,
                // A server with no session left is about to exit.
                Err(e) if e.kind() == crate::ErrorKind::NotFound => Some(Vec::new()),
                Err(_) => return,
            }
        } else {
            None
        };
        let Some(rows) = rows else {
            if self.up == Some(true) {
                self.forget_everything();
                self.hub.publish(EventBody::ServerLost {
                    reason: format!("no server on {}", self.server.socket_file().display()),
                });
            }
            self.up = Some(false);
            return;
        };
        let announce = self.up.is_some();
        if self.up == Some(false) {
            self.hub.publish(EventBody::ServerBack);
        }
        self.up = Some(true);

        // Sessions.
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for r in &rows {
            seen.insert(r.session_id.clone(), r.session.clone());
        }
        let gone: Vec<String> = self
            .sessions
            .keys()
            .filter(|id| !seen.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(w) = self.sessions.remove(&id) {
                let name = w.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
                self.close_panes_of(&name, &rows);
                self.hub.publish(EventBody::SessionClosed {
                    session: name,
                    session_id: id,
                });
                close(w);
            }
        }
        for (id, name) in &seen {
            match self.sessions.get(id) {
                Some(w) => {
                    let mut current = w.name.lock().unwrap_or_else(|e| e.into_inner());
                    if *current != *name {
                        *current = name.clone();
                    }
                }
                None => {
                    if let Some(w) = self.follow(id, name) {
                        self.sessions.insert(id.clone(), w);
                        if announce {
                            self.hub.publish(EventBody::SessionCreated {
                                session: name.clone(),
                                session_id: id.clone(),
                            });
                        }
                    }
                }
            }
        }
        // A connection that ended although its session still exists (rare: `detach-client`)
        // is reopened at the next scan.
        let ended: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, w)| !w.conn.is_alive())
            .map(|(id, _)| id.clone())
            .collect();
        for id in ended {
            if let Some(w) = self.sessions.remove(&id) {
                let name = w.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
                close(w);
                if let Some(w) = self.follow(&id, &name) {
                    self.sessions.insert(id, w);
                }
            }
        }

        // Panes.
        let mut now: HashMap<String, &Row> = HashMap::new();
        for r in &rows {
            now.insert(r.pane.clone(), r);
        }
        let vanished: Vec<String> = self
            .panes
            .keys()
            .filter(|p| !now.contains_key(*p))
            .cloned()
            .collect();
        for p in vanished {
            if let Some(st) = self.panes.remove(&p) {
                if !st.dead {
                    self.hub.publish(EventBody::PaneExited {
                        session: st.session,
                        pane: p,
                        exit_status: None,
                    });
                }
            }
        }
        for r in &rows {
            match self.panes.get_mut(&r.pane) {
                Some(st) => {
                    st.session.clone_from(&r.session);
                    if r.dead && !st.dead {
                        st.dead = true;
                        self.hub.publish(EventBody::PaneExited {
                            session: r.session.clone(),
                            pane: r.pane.clone(),
                            exit_status: r.status,
                        });
                    }
                }
                None => {
                    self.panes.insert(
                        r.pane.clone(),
                        PaneState {
                            session: r.session.clone(),
                            dead: r.dead,
                        },
                    );
                    if announce {
                        self.hub.publish(EventBody::PaneCreated {
                            session: r.session.clone(),
                            pane: r.pane.clone(),
                        });
                    }
                }
            }
        }
    }

    /// Publish `pane_exited` for live panes of session `name` that are no longer listed.
    fn close_panes_of(&mut self, name: &str, rows: &[Row]) {
        let mine: Vec<String> = self
            .panes
            .iter()
            .filter(|(p, st)| st.session == name && !rows.iter().any(|r| &r.pane == *p))
            .map(|(p, _)| p.clone())
            .collect();
        for p in mine {
            if let Some(st) = self.panes.remove(&p) {
                if !st.dead {
                    self.hub.publish(EventBody::PaneExited {
                        session: st.session,
                        pane: p,
                        exit_status: None,
                    });
                }
            }
        }
    }

    fn forget_everything(&mut self) {
        let ids: Vec<String> = self.sessions.keys().cloned().collect();
        for id in ids {
            if let Some(w) = self.sessions.remove(&id) {
                let name = w.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
                self.close_panes_of(&name, &[]);
                self.hub.publish(EventBody::SessionClosed {
                    session: name,
                    session_id: id,
                });
                close(w);
            }
        }
        let rest: Vec<(String, PaneState)> = self.panes.drain().collect();
        for (p, st) in rest {
            if !st.dead {
                self.hub.publish(EventBody::PaneExited {
                    session: st.session,
                    pane: p,
                    exit_status: None,
                });
            }
        }
    }

    fn follow(&self, id: &str, name: &str) -> Option<SessionWatch> {
        let conn = Arc::new(Connection::open(&self.server, Some(id)).ok()?);
        let rx = conn.subscribe_lossless(PUMP_CAPACITY);
        let name = Arc::new(Mutex::new(name.to_owned()));
        let pump = {
            let hub = Arc::clone(&self.hub);
            let name = Arc::clone(&name);
            let wake = self.wake.clone();
            let id = id.to_owned();
            std::thread::Builder::new()
                .name("ctmux-watch-session".into())
                .spawn(move || pump(&id, &rx, &hub, &name, &wake))
                .ok()?
        };
        Some(SessionWatch {
            name,
            conn,
            pump: Some(pump),
        })
    }

    fn close_all(&mut self) {
        for (_, w) in std::mem::take(&mut self.sessions) {
            close(w);
        }
    }
}

fn close(mut w: SessionWatch) {
    w.conn.close();
    if let Some(p) = w.pump.take() {
        let _ = p.join();
    }
}

/// Read one session's notifications until its connection ends.
fn pump(
    session_id: &str,
    rx: &Receiver<Notification>,
    hub: &Hub,
    name: &Mutex<String>,
    wake: &SyncSender<()>,
) {
    let mut decoders: HashMap<String, (LineDecoder, u64)> = HashMap::new();
    let mut lines = Vec::new();
    for n in rx.iter() {
        match n {
            Notification::Output { pane, data }
            | Notification::ExtendedOutput { pane, data, .. } => {
                let pane = pane.to_string();
                let (dec, seq) = decoders.entry(pane.clone()).or_default();
                dec.feed(&data, &mut lines);
                if lines.is_empty() {
                    continue;
                }
                let session = name.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let wants_output = hub.wants_output();
                for line in lines.drain(..) {
                    if let Some((exec_id, exit_code)) = line.finished {
                        hub.publish(EventBody::CommandFinished {
                            session: session.clone(),
                            pane: pane.clone(),
                            exec_id,
                            exit_code,
                        });
                        if line.text.is_empty() {
                            continue;
                        }
                    }
                    if line.hidden {
                        continue;
                    }
                    *seq += 1;
                    if wants_output {
                        hub.publish(EventBody::Output {
                            session: session.clone(),
                            pane: pane.clone(),
                            text: line.text,
                            line_seq: *seq,
                        });
                    }
                }
            }
            Notification::SessionChanged {
                session_id: now, ..
            } if now != session_id => {
                // Moved to another session (its own was destroyed and `detach-on-destroy`
                // is off): that session has its own watcher connection. Stop here.
                let _ = wake.try_send(());
                return;
            }
            Notification::Exit { .. } => {
                let _ = wake.try_send(());
                return;
            }
            Notification::SessionsChanged
            | Notification::WindowAdd { .. }
            | Notification::WindowClose { .. }
            | Notification::LayoutChange { .. }
            | Notification::SessionRenamed { .. } => {
                let _ = wake.try_send(());
            }
            _ => {}
        }
    }
    let _ = wake.try_send(());
}
