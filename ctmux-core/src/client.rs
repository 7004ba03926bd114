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
use std::time::Duration;

/// How long a new pane's shell may take to draw its prompt before an exec in it fails with
/// [`Error::Timeout`], unless [`CtmuxBuilder::ready_timeout`] or `$CTMUX_READY_TIMEOUT`
/// says otherwise. Generous, because users' rc files (pyenv, nvm, zsh themes) can take
/// seconds, more under load.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest shell-ready timeout accepted: one day.
pub const MAX_READY_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Environment variable giving the shell-ready timeout in seconds (`45`, `2.5`).
pub const ENV_READY_TIMEOUT: &str = "CTMUX_READY_TIMEOUT";

/// A shell-ready timeout given in seconds (what the CLI and the bindings take), checked:
/// finite, more than zero and at most [`MAX_READY_TIMEOUT`].
///
/// # Errors
/// [`Error::InvalidInput`] (about `ready timeout`) for anything else: negative, zero, NaN,
/// infinite or more than a day.
pub fn ready_timeout_from_secs(seconds: f64) -> Result<Duration> {
    checked_ready_timeout("ready timeout", seconds, &seconds.to_string())
}

/// A shell-ready timeout given as text in seconds (`"45"`, `"2.5"`; surrounding spaces
/// allowed), checked as [`ready_timeout_from_secs`] does.
///
/// # Errors
/// [`Error::InvalidInput`] (about `ready timeout`) for text that is not such a number.
pub fn parse_ready_timeout(text: &str) -> Result<Duration> {
    parse_ready_timeout_as("ready timeout", text)
}

fn parse_ready_timeout_as(what: &'static str, text: &str) -> Result<Duration> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| Error::invalid(what, format!("{text:?} is not a number of seconds")))?;
    checked_ready_timeout(what, seconds, text)
}

fn checked_ready_timeout(what: &'static str, seconds: f64, text: &str) -> Result<Duration> {
    let max = MAX_READY_TIMEOUT.as_secs_f64();
    if !seconds.is_finite() || seconds <= 0.0 || seconds > max {
        return Err(Error::invalid(
            what,
            format!("{text:?} must be a number of seconds more than 0 and at most {max} (1 day)"),
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| Error::invalid(what, format!("{text:?}: {e}")))
}

/// The shell-ready timeout named by `$CTMUX_READY_TIMEOUT` (unset or empty: `None`), read
/// through `env` so tests need not touch the process environment.
///
/// # Errors
/// [`Error::InvalidInput`] naming the variable for a value [`parse_ready_timeout`] refuses
/// (or one that is not UTF-8).
fn ready_timeout_from_env(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<Option<Duration>> {
    let Some(value) = env(ENV_READY_TIMEOUT).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok_or_else(|| Error::invalid(ENV_READY_TIMEOUT, format!("{value:?} is not UTF-8")))?;
    parse_ready_timeout_as(ENV_READY_TIMEOUT, text).map(Some)
}

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
    /// How long a new pane's shell may take to draw its prompt.
    ready_timeout: Duration,
    /// Metrics samplers by sampling interval, newest last (see [`Ctmux::metrics_sampler`]).
    samplers: std::sync::Mutex<Vec<Arc<crate::metrics::MetricsSampler>>>,
    /// Running execs' output collections by exec id (at most one per pane: a new exec in a
    /// pane drops the last one's), so a later wait through another handle finds them.
    execs:
        std::sync::Mutex<std::collections::HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>,
}

/// Most metrics samplers a client keeps (one per sampling interval asked for).
const MAX_SAMPLERS: usize = 4;

/// Builds a [`Ctmux`]: server (default: the user's default server), backend (default: the
/// kind named by `$CTMUX_BACKEND`, else one process per command; see [`BackendKind`]),
/// state dir (default: see [`crate::state::default_location`]) and shell-ready timeout
/// (default: `$CTMUX_READY_TIMEOUT`, else [`DEFAULT_READY_TIMEOUT`]).
///
/// Relative paths (the state dir, a [`Socket::Path`](crate::Socket::Path)) are made
/// absolute against the cwd once, when the state dir is opened and the server is made
/// ([`StateDir::open`], [`Server::new`]).
#[derive(Debug, Default)]
pub struct CtmuxBuilder {
    server: Option<Server>,
    backend: Option<Arc<dyn Backend>>,
    kind: Option<BackendKind>,
    state_dir: Option<PathBuf>,
    ready_timeout: Option<Duration>,
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

    /// Keep state in this dir (a relative path is made absolute against the cwd at
    /// [`CtmuxBuilder::build`]).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Let a new pane's shell take up to `timeout` to draw its prompt before an exec in it
    /// fails (overrides `$CTMUX_READY_TIMEOUT`; default [`DEFAULT_READY_TIMEOUT`]). Checked
    /// at [`CtmuxBuilder::build`]: more than zero, at most [`MAX_READY_TIMEOUT`].
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = Some(timeout);
        self
    }

    /// Open the state dir and build the client. Nothing is sent to tmux. Without a backend,
    /// the kind comes from [`CtmuxBuilder::backend_kind`], else `$CTMUX_BACKEND`
    /// (`process` or `control`), else [`BackendKind::Process`]. The shell-ready timeout
    /// comes from [`CtmuxBuilder::ready_timeout`], else `$CTMUX_READY_TIMEOUT` (seconds,
    /// decimals allowed; unset or empty: not given), else [`DEFAULT_READY_TIMEOUT`].
    ///
    /// # Errors
    /// As [`StateDir::open`]; [`Error::InvalidInput`] if `$CTMUX_BACKEND` names no backend,
    /// for a [`CtmuxBuilder::ready_timeout`] of zero or more than [`MAX_READY_TIMEOUT`], or
    /// (naming the variable) for a `$CTMUX_READY_TIMEOUT` that is not a number of seconds
    /// in that range.
    pub fn build(self) -> Result<Ctmux> {
        let ready_timeout = match self.ready_timeout {
            Some(t) if t.is_zero() || t > MAX_READY_TIMEOUT => {
                return Err(Error::invalid(
                    "ready timeout",
                    format!(
                        "{t:?} must be more than 0 and at most {} s (1 day)",
                        MAX_READY_TIMEOUT.as_secs()
                    ),
                ))
            }
            Some(t) => t,
            None => {
                ready_timeout_from_env(|k| std::env::var_os(k))?.unwrap_or(DEFAULT_READY_TIMEOUT)
            }
        };
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
                ready_timeout,
                samplers: Default::default(),
                execs: Default::default(),
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

    /// The state dir (its path is absolute).
    pub fn state_dir(&self) -> &StateDir {
        &self.inner.state
    }

    /// How long a new pane's shell may take to draw its prompt before an exec in it fails
    /// (see [`CtmuxBuilder::ready_timeout`]).
    pub fn ready_timeout(&self) -> Duration {
        self.inner.ready_timeout
    }

    /// Run a tmux command given as argv (several, separated by bare `;` elements).
    ///
    /// Every argument is used by tmux exactly as given: where tmux would expand it as a
    /// format (a session or window name, a `-c` directory, an option name, `pipe-pane`'s
    /// command, ...) it is escaped first, so `#(cmd)` in a value never runs `cmd` (see
    /// `literal.rs`). Formats ctmux means (`-F`, `display-message`, `set-option -F`) are
    /// passed as they are.
    ///
    /// # Errors
    /// As [`Backend::run`].
    pub fn tmux<S: AsRef<str>>(&self, argv: &[S]) -> Result<String> {
        let v: Vec<String> = argv.iter().map(|s| s.as_ref().to_owned()).collect();
        self.inner.backend.run(&crate::literal::protect(&v))
    }

    /// [`Ctmux::tmux`] for a command whose output nobody needs, not waited for where the
    /// transport allows ([`Backend::post`]).
    pub(crate) fn tmux_post(&self, argv: &[String]) -> Result<()> {
        self.inner.backend.post(&crate::literal::protect(argv))
    }

    /// The directory holding this server's exec scripts.
    /// Keep exec `id`'s output collection, dropping any other of the same pane (ids start
    /// with `<pane number>x`).
    pub(crate) fn exec_slot_put(&self, id: &str, slot: Arc<dyn std::any::Any + Send + Sync>) {
        let mut m = self.inner.execs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((pane, _)) = id.split_once('x') {
            let prefix = format!("{pane}x");
            m.retain(|k, _| !k.starts_with(&prefix));
        }
        m.insert(id.to_owned(), slot);
    }

    /// Exec `id`'s output collection, if this client keeps one.
    pub(crate) fn exec_slot(&self, id: &str) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        let m = self.inner.execs.lock().unwrap_or_else(|e| e.into_inner());
        m.get(id).cloned()
    }

    /// Forget exec `id`'s output collection.
    pub(crate) fn exec_slot_remove(&self, id: &str) {
        let mut m = self.inner.execs.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(id);
    }

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

    /// Reconcile the state dir with the live server: remove the exec files of panes that no
    /// longer exist and temp files of writes that were killed ([`crate::leftovers`]), and
    /// report what was dropped.
    ///
    /// # Errors
    /// [`Error::Io`] if the state dir cannot be read.
    pub fn state_sync(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let exec_files = crate::leftovers::exec_files(self)?;
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
        for l in crate::leftovers::find(exec_files, &live, self.state_dir().path()) {
            if std::fs::remove_file(&l.file).is_ok() {
                report.dropped.push(l.file.display().to_string());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::ffi::OsString;

    fn env_with(value: &'static str) -> impl Fn(&str) -> Option<OsString> {
        move |k| (k == ENV_READY_TIMEOUT).then(|| OsString::from(value))
    }

    #[test]
    fn ready_timeout_env_values() {
        assert_eq!(ready_timeout_from_env(|_| None).unwrap(), None);
        assert_eq!(ready_timeout_from_env(env_with("")).unwrap(), None);
        for (text, want) in [
            ("45", Duration::from_secs(45)),
            ("2.5", Duration::from_millis(2500)),
            (" 8 ", Duration::from_secs(8)),
            ("0.001", Duration::from_millis(1)),
            ("86400", MAX_READY_TIMEOUT),
            ("1e2", Duration::from_secs(100)),
        ] {
            let got = ready_timeout_from_env(env_with(text));
            assert_eq!(got.unwrap(), Some(want), "{text:?}");
        }
    }

    #[test]
    fn ready_timeout_env_garbage_is_invalid_input_naming_the_variable() {
        for bad in [
            "abc", "-1", "0", "0.0", "-0", "NaN", "nan", "inf", "-inf", "86400.5", "1e10", "5s",
            "1,5", " ",
        ] {
            let e = ready_timeout_from_env(env_with(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains(ENV_READY_TIMEOUT), "{bad:?}: {e}");
        }
        use std::os::unix::ffi::OsStringExt;
        let e = ready_timeout_from_env(|_| Some(OsString::from_vec(vec![b'4', 0xff]))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains(ENV_READY_TIMEOUT), "{e}");
    }

    #[test]
    fn ready_timeout_seconds_and_text() {
        assert_eq!(
            ready_timeout_from_secs(45.0).unwrap(),
            Duration::from_secs(45)
        );
        assert_eq!(
            parse_ready_timeout("2.5").unwrap(),
            Duration::from_millis(2500)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 86_400.001, 1e300] {
            let e = ready_timeout_from_secs(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(e.to_string().contains("ready timeout"), "{e}");
        }
        assert_eq!(
            parse_ready_timeout("abc").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn builder_option_beats_default_and_is_checked() {
        let t = tempfile::tempdir().unwrap();
        let build = |timeout: Option<Duration>| {
            let mut b = Ctmux::builder()
                .server(Server::new(crate::Socket::Path(t.path().join("none.sock"))).unwrap())
                .state_dir(t.path().join("state"));
            if let Some(timeout) = timeout {
                b = b.ready_timeout(timeout);
            }
            b.build()
        };
        let c = build(Some(Duration::from_millis(2500))).unwrap();
        assert_eq!(c.ready_timeout(), Duration::from_millis(2500));
        for bad in [Duration::ZERO, MAX_READY_TIMEOUT + Duration::from_millis(1)] {
            let e = build(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains("ready timeout"), "{e}");
        }
        assert_eq!(
            build(Some(MAX_READY_TIMEOUT)).unwrap().ready_timeout(),
            MAX_READY_TIMEOUT
        );
        // Without the option: the environment's value (the test process may have one), else
        // the default.
        let want = ready_timeout_from_env(|k| std::env::var_os(k))
            .ok()
            .flatten()
            .unwrap_or(DEFAULT_READY_TIMEOUT);
        if let Ok(c) = build(None) {
            assert_eq!(c.ready_timeout(), want);
        }
        assert_eq!(DEFAULT_READY_TIMEOUT, Duration::from_secs(30));
    }
}
