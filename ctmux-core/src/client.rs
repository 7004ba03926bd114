//! [`Ctmux`]: the entry point. It knows which server, which backend and which state dir;
//! sessions and panes hang off it.

use crate::backend::{Backend, BackendKind};
use crate::error::{Error, Result};
use crate::ids::SessionName;
use crate::server::Server;
use crate::session::Session;
use crate::state::StateDir;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Field separator in tmux format strings: a control character no name or label may hold.
pub(crate) const SEP: char = '\u{1f}';

/// A `list-clients` to chain after another listing (`;`): one `C<SEP><session id><SEP><TERM>`
/// line per attached client, for [`people_attached`].
pub(crate) fn clients_listing() -> [String; 3] {
    [
        "list-clients".into(),
        "-F".into(),
        format!("C{SEP}#{{session_id}}{SEP}#{{client_termname}}"),
    ]
}

/// Clients attached to each session (by id) that are people's: every client listed by
/// [`clients_listing`] except ctmux's own control-mode connections (this process's and
/// other processes', such as the daemon's), which tmux counts in `#{session_attached}`.
pub(crate) fn people_attached(listing: &str) -> std::collections::HashMap<String, u32> {
    let mut people = std::collections::HashMap::new();
    for line in listing.lines() {
        if let ["C", session, term] = line.split(SEP).collect::<Vec<_>>().as_slice() {
            if *term != crate::control::CONTROL_TERM {
                *people.entry(session.to_string()).or_default() += 1;
            }
        }
    }
    people
}

/// A client of one tmux server. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Ctmux {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Arc<dyn Backend>,
    state: StateDir,
    /// Metrics samplers by sampling interval, newest last (see [`Ctmux::metrics_sampler`]).
    samplers: std::sync::Mutex<Vec<Arc<crate::metrics::MetricsSampler>>>,
}

/// Most metrics samplers a client keeps (one per sampling interval asked for).
const MAX_SAMPLERS: usize = 4;

/// Builds a [`Ctmux`]: server (default: the user's default server), backend (default: the
/// kind named by `$CTMUX_BACKEND`, else one process per command; see [`BackendKind`]) and
/// state dir (default: see [`crate::state::default_location`]).
#[derive(Debug, Default)]
pub struct CtmuxBuilder {
    server: Option<Server>,
    backend: Option<Arc<dyn Backend>>,
    kind: Option<BackendKind>,
    state_dir: Option<PathBuf>,
}

impl CtmuxBuilder {
    /// Talk to this server.
    pub fn server(mut self, server: Server) -> Self {
        self.server = Some(server);
        self
    }

    /// Use this backend (it names its own server; [`CtmuxBuilder::server`] is then ignored).
    pub fn backend(mut self, backend: Arc<dyn Backend>) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Build a backend of this kind (overrides `$CTMUX_BACKEND`; ignored when
    /// [`CtmuxBuilder::backend`] gave one).
    pub fn backend_kind(mut self, kind: BackendKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Keep state in this dir.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Open the state dir and build the client. Nothing is sent to tmux. Without a backend,
    /// the kind comes from [`CtmuxBuilder::backend_kind`], else `$CTMUX_BACKEND`
    /// (`process` or `control`), else [`BackendKind::Process`].
    ///
    /// # Errors
    /// As [`StateDir::open`]; [`Error::InvalidInput`] if `$CTMUX_BACKEND` names no backend.
    pub fn build(self) -> Result<Ctmux> {
        let state = match self.state_dir {
            Some(d) => StateDir::open(d)?,
            None => StateDir::open_default()?,
        };
        let backend = match self.backend {
            Some(b) => b,
            None => {
                let kind = match self.kind {
                    Some(k) => k,
                    None => BackendKind::from_env()?.unwrap_or_default(),
                };
                kind.build(self.server.unwrap_or_else(Server::default_server))
            }
        };
        Ok(Ctmux {
            inner: Arc::new(Inner {
                backend,
                state,
                samplers: Default::default(),
            }),
        })
    }
}

/// Options for [`Ctmux::session_create`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// Working directory of the first pane (must be an existing directory).
    pub cwd: Option<PathBuf>,
    /// Window size as (columns, rows), each 1..=10000.
    pub size: Option<(u16, u16)>,
}

/// One session as listed by tmux.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// tmux session id (`$3`).
    pub id: String,
    /// Session name.
    pub name: String,
    /// Number of windows.
    pub windows: u32,
    /// Number of panes over all windows.
    pub panes: u32,
    /// Number of attached clients of people (ctmux's own control-mode connections, such as
    /// the daemon's, are not counted).
    pub attached: u32,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Last activity, Unix seconds.
    pub activity: u64,
}

/// What [`Ctmux::state_sync`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Files removed because what they belonged to is gone (paths).
    pub dropped: Vec<String>,
    /// Things repaired (descriptions).
    pub repaired: Vec<String>,
    /// Live sessions seen.
    pub session_count: usize,
    /// Live panes seen.
    pub pane_count: usize,
}

impl Ctmux {
    /// The client's metrics sampler for `interval` (shared by every handle of this client,
    /// so repeated readings are warm: only the first reading of a pane waits `interval`).
    /// A client keeps the samplers of its last 4 intervals.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an interval outside 10 ms..=60 s.
    pub fn metrics_sampler(
        &self,
        interval: std::time::Duration,
    ) -> Result<Arc<crate::metrics::MetricsSampler>> {
        crate::metrics::check_interval(interval)?;
        let mut samplers = self
            .inner
            .samplers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(i) = samplers.iter().position(|s| s.interval() == interval) {
            let s = samplers.remove(i);
            samplers.push(Arc::clone(&s));
            return Ok(s);
        }
        let s = Arc::new(crate::metrics::MetricsSampler::new(interval));
        samplers.push(Arc::clone(&s));
        if samplers.len() > MAX_SAMPLERS {
            samplers.remove(0);
        }
        Ok(s)
    }

    /// Start building a client.
    pub fn builder() -> CtmuxBuilder {
        CtmuxBuilder::default()
    }

    /// A client for `server` with the default state dir.
    ///
    /// # Errors
    /// As [`CtmuxBuilder::build`].
    pub fn new(server: Server) -> Result<Self> {
        Ctmux::builder().server(server).build()
    }

    /// The backend in use.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// The server this client talks to.
    pub fn server(&self) -> &Server {
        self.inner.backend.server()
    }

    /// The state dir.
    pub fn state_dir(&self) -> &StateDir {
        &self.inner.state
    }

    /// Run a tmux command given as argv.
    ///
    /// # Errors
    /// As [`Backend::run`].
    pub fn tmux<S: AsRef<str>>(&self, argv: &[S]) -> Result<String> {
        let v: Vec<String> = argv.iter().map(|s| s.as_ref().to_owned()).collect();
        self.inner.backend.run(&v)
    }

    /// The directory holding this server's exec scripts.
    pub(crate) fn exec_dir(&self) -> Result<PathBuf> {
        self.inner
            .state
            .subdir(&format!("servers/{}/exec", self.server().key()))
    }

    /// Create a detached session named `name`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name, size or cwd (nothing is sent to tmux);
    /// [`Error::AlreadyExists`] if the name is taken; [`Error::NotFound`] for a missing cwd.
    pub fn session_create(&self, name: &str, opts: &SessionOptions) -> Result<Session> {
        let name = SessionName::new(name)?;
        let mut argv: Vec<String> = vec![
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            name.as_str().into(),
            "-P".into(),
            "-F".into(),
            "#{session_id}".into(),
        ];
        if let Some(cwd) = &opts.cwd {
            check_dir(cwd)?;
            argv.push("-c".into());
            argv.push(cwd.to_string_lossy().into_owned());
        }
        if let Some((w, h)) = opts.size {
            if !(1..=10000).contains(&w) || !(1..=10000).contains(&h) {
                return Err(Error::invalid(
                    "window size",
                    format!("{w}x{h}: each side must be 1..=10000"),
                ));
            }
            argv.extend(["-x".into(), w.to_string(), "-y".into(), h.to_string()]);
        }
        let out = self.tmux(&argv).map_err(|e| match e.kind() {
            crate::ErrorKind::AlreadyExists => Error::AlreadyExists {
                what: "session",
                name: name.to_string(),
            },
            _ => e,
        })?;
        Ok(Session::new(self.clone(), out.trim().to_owned(), name))
    }

    /// Every session on the server. No server running is an empty list, not an error.
    ///
    /// # Errors
    /// [`Error::Tmux`] / [`Error::Io`] if tmux fails for another reason.
    pub fn session_list(&self) -> Result<Vec<SessionInfo>> {
        let fmt = [
            "#{session_id}",
            "#{session_name}",
            "#{session_windows}",
            "#{session_created}",
            "#{session_activity}",
        ]
        .join(&SEP.to_string());
        // The listings in one round trip: sessions, every pane's session id, the clients.
        let clients = clients_listing();
        let out = match self.tmux(&[
            "list-sessions",
            "-F",
            &format!("S{SEP}{fmt}"),
            ";",
            "list-panes",
            "-a",
            "-F",
            &format!("P{SEP}#{{session_id}}"),
            ";",
            &clients[0],
            &clients[1],
            &clients[2],
        ]) {
            Ok(out) => out,
            Err(e) if no_sessions(&e) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut sessions = Vec::new();
        let mut pane_counts: std::collections::HashMap<String, u32> = Default::default();
        for line in out.lines() {
            let f: Vec<&str> = line.split(SEP).collect();
            match f.as_slice() {
                ["S", id, name, windows, created, activity] => sessions.push(SessionInfo {
                    id: id.to_string(),
                    name: name.to_string(),
                    windows: windows.parse().unwrap_or(0),
                    panes: 0,
                    attached: 0,
                    created: created.parse().unwrap_or(0),
                    activity: activity.parse().unwrap_or(0),
                }),
                ["P", sid] => *pane_counts.entry(sid.to_string()).or_default() += 1,
                _ => {}
            }
        }
        let people = people_attached(&out);
        for s in &mut sessions {
            s.panes = pane_counts.get(&s.id).copied().unwrap_or(0);
            s.attached = people.get(&s.id).copied().unwrap_or(0);
        }
        Ok(sessions)
    }

    fn find_session(&self, name: &SessionName) -> Result<Option<SessionInfo>> {
        Ok(self
            .session_list()?
            .into_iter()
            .find(|s| s.name == name.as_str()))
    }

    /// A handle to the session named `name` (matched exactly, never by prefix).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name, [`Error::NotFound`] if there is no such session
    /// (or no server).
    pub fn session(&self, name: &str) -> Result<Session> {
        let name = SessionName::new(name)?;
        match self.find_session(&name)? {
            Some(info) => Ok(Session::new(self.clone(), info.id, name)),
            None => Err(Error::not_found("session", name.to_string())),
        }
    }

    /// Kill the session named `name`.
    ///
    /// # Errors
    /// As [`Ctmux::session`].
    pub fn session_kill(&self, name: &str) -> Result<()> {
        self.session(name)?.kill()
    }

    /// Reconcile the state dir with the live server: remove exec scripts of panes that no
    /// longer exist, and report what was dropped.
    ///
    /// # Errors
    /// [`Error::Io`] if the state dir cannot be read.
    pub fn state_sync(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let live: std::collections::HashSet<String> =
            match self.tmux(&["list-panes", "-a", "-F", "#{pane_id}"]) {
                Ok(out) => out
                    .lines()
                    .map(|l| l.trim_start_matches('%').to_owned())
                    .collect(),
                Err(e) if no_sessions(&e) => Default::default(),
                Err(e) => return Err(e),
            };
        report.pane_count = live.len();
        report.session_count = self.session_list()?.len();
        let dir = self.exec_dir()?;
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `<pane number>x<id>.sh|.cmd` and `<pane number>.lock`.
            let pane = name.split(['x', '.']).next().unwrap_or("");
            if !live.contains(pane) && std::fs::remove_file(entry.path()).is_ok() {
                report.dropped.push(entry.path().display().to_string());
            }
        }
        report.dropped.sort();
        Ok(report)
    }
}

/// No server, or a server without sessions (`exit-empty off`: `list-panes -a` then says
/// "no current target").
pub(crate) fn no_sessions(e: &Error) -> bool {
    match e {
        Error::ServerUnavailable(_) => true,
        Error::Tmux { message, .. } => message.contains("no current target"),
        _ => false,
    }
}

fn check_dir(dir: &Path) -> Result<()> {
    let s = dir.to_string_lossy();
    if s.is_empty() || s.chars().any(|c| c.is_control()) {
        return Err(Error::invalid("cwd", format!("{s:?} is not a usable path")));
    }
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::invalid(
            "cwd",
            format!("{} is not a directory", dir.display()),
        )),
        Err(_) => Err(Error::not_found("directory", dir.display().to_string())),
    }
}
