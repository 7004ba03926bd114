//! `IsolatedServer` and `Client`: which tmux server, and the sessions on it.

use crate::convert::{self, PaneArg};
use crate::errors::to_py_err;
use crate::live::Subscription;
use crate::records::{detached_dict, SessionInfo, SyncReport};
use crate::session::Session;
use crate::wait::detached;
use pyo3::prelude::*;
use pyo3::types::PyType;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;

/// A private tmux server (socket in a fresh temp dir, shell pinned), for tests and demos.
///
/// `close()` (or leaving the `with` block) kills the server and removes its dir; so does
/// garbage collection, but do not rely on it.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct IsolatedServer {
    inner: Mutex<Option<ctmux_core::IsolatedServer>>,
    socket_path: PathBuf,
}

impl IsolatedServer {
    /// Run `f` on the live server with the GIL released; ServerUnavailable once closed.
    fn with_live<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&ctmux_core::IsolatedServer) -> ctmux_core::Result<T> + Send,
    ) -> PyResult<T> {
        detached(py, || {
            let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match guard.as_ref() {
                Some(server) => f(server),
                None => Err(ctmux_core::Error::ServerUnavailable(format!(
                    "isolated server {} is closed",
                    self.socket_path.display()
                ))),
            }
        })
    }
}

#[pymethods]
impl IsolatedServer {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let server = detached(py, ctmux_core::IsolatedServer::start)?;
        Ok(IsolatedServer {
            socket_path: server.socket_path().to_path_buf(),
            inner: Mutex::new(Some(server)),
        })
    }

    /// The server's socket path (a `-S` socket inside the temp dir).
    #[getter]
    fn socket_path(&self) -> PathBuf {
        self.socket_path.clone()
    }

    /// A client of this server; its state dir is `state_dir`, else one inside the temp dir.
    #[pyo3(signature = (state_dir=None))]
    fn client(&self, py: Python<'_>, state_dir: Option<PathBuf>) -> PyResult<Client> {
        let inner = self.with_live(py, |server| match state_dir {
            Some(dir) => server.client_with_state_dir(dir),
            None => server.client(),
        })?;
        Ok(Client { inner })
    }

    /// Kill the server and remove its temp dir. Closing twice is harmless.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || {
            let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
            match taken {
                Some(mut server) => server.close(),
                None => Ok(()),
            }
        })
    }

    /// Whether `close()` has run.
    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyType>>,
        _exc_value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "IsolatedServer(socket_path={:?}, closed={})",
            self.socket_path.display().to_string(),
            if self.closed() { "True" } else { "False" }
        )
    }
}

/// A client of one tmux server: `socket_name` (`tmux -L`), `socket_path` (`tmux -S`) or, with
/// neither, the user's default server; `state_dir` defaults to the per-user state dir;
/// `ready_timeout` (seconds) is how long a new pane's shell may take to draw its prompt
/// (default: `$CTMUX_READY_TIMEOUT`, else 30).
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct Client {
    pub(crate) inner: ctmux_core::Ctmux,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (socket_name=None, socket_path=None, state_dir=None, backend=None, ready_timeout=None))]
    fn new(
        py: Python<'_>,
        socket_name: Option<String>,
        socket_path: Option<PathBuf>,
        state_dir: Option<PathBuf>,
        backend: Option<String>,
        ready_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let inner = detached(py, || {
            let socket = convert::socket(socket_name, socket_path)?;
            let mut builder = ctmux_core::Ctmux::builder().server(ctmux_core::Server::new(socket)?);
            if let Some(dir) = state_dir {
                builder = builder.state_dir(dir);
            }
            if let Some(kind) = backend {
                builder = builder.backend_kind(kind.parse()?);
            }
            if let Some(seconds) = ready_timeout {
                builder =
                    builder.ready_timeout(ctmux_core::client::ready_timeout_from_secs(seconds)?);
            }
            builder.build()
        })?;
        Ok(Client { inner })
    }

    /// How long a new pane's shell may take to draw its prompt, in seconds.
    #[getter]
    fn ready_timeout(&self) -> f64 {
        self.inner.ready_timeout().as_secs_f64()
    }

    /// Create a detached session (`width` and `height` together, or neither).
    #[pyo3(signature = (name, cwd=None, width=None, height=None))]
    fn session_create(
        &self,
        py: Python<'_>,
        name: String,
        cwd: Option<PathBuf>,
        width: Option<i64>,
        height: Option<i64>,
    ) -> PyResult<Session> {
        let inner = detached(py, || {
            let opts = ctmux_core::SessionOptions {
                cwd,
                size: convert::window_size(width, height)?,
            };
            self.inner.session_create(&name, &opts)
        })?;
        Ok(Session { inner })
    }

    /// The session named `name` (matched exactly).
    fn session(&self, py: Python<'_>, name: String) -> PyResult<Session> {
        let inner = detached(py, || self.inner.session(&name))?;
        Ok(Session { inner })
    }

    /// Every session on the server. No server running gives `[]`.
    fn sessions(&self, py: Python<'_>) -> PyResult<Vec<SessionInfo>> {
        let sessions = detached(py, || self.inner.session_list())?;
        Ok(sessions.into_iter().map(SessionInfo::from).collect())
    }

    /// Kill the session named `name`.
    fn session_kill(&self, py: Python<'_>, name: String) -> PyResult<()> {
        detached(py, || self.inner.session_kill(&name))
    }

    /// Reconcile the state dir with the live server (drop files of panes that are gone).
    fn state_sync(&self, py: Python<'_>) -> PyResult<SyncReport> {
        detached(py, || self.inner.state_sync()).map(SyncReport::from)
    }

    // ---- GC (src/limits.rs) --------------------------------------------------------------

    /// Enable scheduled GC (run by the daemon), with a new idle `ttl` if given: seconds, or
    /// text with a unit (`"90m"`, `"2h"`, `"1d"`). Returns the GC config.
    #[pyo3(signature = (ttl=None))]
    fn gc_enable(&self, py: Python<'_>, ttl: Option<convert::IntOrText>) -> PyResult<Py<PyAny>> {
        crate::limits::gc_enable(py, &self.inner, ttl)
    }

    /// Disable scheduled GC. Returns the GC config.
    fn gc_disable(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::limits::gc_disable(py, &self.inner)
    }

    /// Run GC now (`force` widens the rules; `dry_run` only lists what it would do).
    #[pyo3(signature = (force=false, dry_run=false))]
    fn gc_run(&self, py: Python<'_>, force: bool, dry_run: bool) -> PyResult<Py<PyAny>> {
        crate::limits::gc_run(py, &self.inner, force, dry_run)
    }

    /// GC config, last run, next scheduled run and what a run would do now.
    fn gc_status(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::limits::gc_status(py, &self.inner)
    }

    // ---- groups ------------------------------------------------------------------------

    /// Create an empty group with metadata `meta`; returns its `GroupInfo`.
    #[pyo3(signature = (name, meta=None))]
    fn group_create(
        &self,
        py: Python<'_>,
        name: String,
        meta: Option<BTreeMap<String, String>>,
    ) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            self.inner.group_create(&name, &meta.unwrap_or_default())
        })
    }

    /// Add `session` to `group`; with `command` (and `cwd`) `group_up` can start it.
    #[pyo3(signature = (group, session, command=None, cwd=None))]
    fn group_add(
        &self,
        py: Python<'_>,
        group: String,
        session: String,
        command: Option<String>,
        cwd: Option<PathBuf>,
    ) -> PyResult<()> {
        detached(py, || {
            let spec = convert::start_spec(command, cwd)?;
            self.inner.group_add(&group, &session, spec.as_ref())
        })
    }

    /// Remove `session` from `group` (the session itself is left alone).
    fn group_remove(&self, py: Python<'_>, group: String, session: String) -> PyResult<()> {
        detached(py, || self.inner.group_remove(&group, &session))
    }

    /// Every group, or only the group `name` (NotFoundError if unknown).
    #[pyo3(signature = (name=None))]
    fn group_list(&self, py: Python<'_>, name: Option<String>) -> PyResult<Py<PyAny>> {
        detached_dict(py, || match &name {
            Some(name) => self.inner.group(name).map(|g| vec![g]),
            None => self.inner.group_list(),
        })
    }

    /// Delete the group's definition (its sessions are left alone).
    fn group_delete(&self, py: Python<'_>, name: String) -> PyResult<()> {
        detached(py, || self.inner.group_delete(&name))
    }

    /// Run `cmd` in pane `pane` (default 0) of every member; `wait` waits for each to
    /// finish (up to `timeout` seconds). Per-member failures are results.
    #[pyo3(signature = (group, cmd, pane=None, wait=false, timeout=None))]
    fn group_exec(
        &self,
        py: Python<'_>,
        group: String,
        cmd: String,
        pane: Option<PaneArg>,
        wait: bool,
        timeout: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        let pane = pane.map(PaneArg::into_text);
        detached_dict(py, || {
            let timeout = convert::timeout(timeout)?;
            self.inner
                .group_exec(&group, &cmd, pane.as_deref(), wait, timeout)
        })
    }

    /// Kill every live member session of `group`.
    fn group_kill(&self, py: Python<'_>, group: String) -> PyResult<Py<PyAny>> {
        detached_dict(py, || self.inner.group_kill(&group))
    }

    /// Start the group's missing members in dependency order and wait until each is healthy
    /// (`timeout` seconds in all, default 60).
    #[pyo3(signature = (group, timeout=None))]
    fn group_up(&self, py: Python<'_>, group: String, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            let timeout = convert::timeout(timeout)?.unwrap_or(convert::GROUP_UP_TIMEOUT);
            self.inner.group_up(&group, timeout)
        })
    }

    // ---- dependencies --------------------------------------------------------------------

    /// Record that session `a` needs session `b` (a cycle is InvalidInputError).
    fn session_depends(&self, py: Python<'_>, a: String, b: String) -> PyResult<()> {
        detached(py, || self.inner.session_depends(&a, &b))
    }

    /// Remove the dependency of `a` on `b`.
    fn session_depends_remove(&self, py: Python<'_>, a: String, b: String) -> PyResult<()> {
        detached(py, || self.inner.session_undepend(&a, &b))
    }

    /// Session names in start order (dependencies first), of `group` or of every group.
    #[pyo3(signature = (group=None))]
    fn start_order(&self, py: Python<'_>, group: Option<String>) -> PyResult<Vec<String>> {
        detached(py, || self.inner.start_order(group.as_deref()))
    }

    // ---- health --------------------------------------------------------------------------

    /// The session's health: `health` (state) and `reasons`.
    fn session_health(&self, py: Python<'_>, name: String) -> PyResult<Py<PyAny>> {
        detached_dict(py, || self.inner.session_health(&name))
    }

    /// Wait until the session is healthy (TimeoutError after `timeout` seconds; `None`
    /// waits for ever); returns the healthy report.
    #[pyo3(signature = (name, timeout=None))]
    fn session_wait_healthy(
        &self,
        py: Python<'_>,
        name: String,
        timeout: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            let timeout = convert::timeout(timeout)?;
            self.inner.session_wait_healthy(&name, timeout)
        })
    }

    // ---- queries -------------------------------------------------------------------------

    /// Every session with its panes and groups, plus group members that are missing.
    fn sessions_list_all(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        detached_dict(py, || self.inner.sessions_list_all())
    }

    /// Pane totals over the whole server.
    fn panes_count_global(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        detached_dict(py, || self.inner.panes_count_global())
    }

    /// Sessions whose panes show a line matching `regex` (`lines` of scrollback too).
    #[pyo3(signature = (regex, lines=None))]
    fn sessions_find_pattern(
        &self,
        py: Python<'_>,
        regex: String,
        lines: Option<i64>,
    ) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            let lines = convert::count("lines", lines)?;
            self.inner.sessions_find_pattern(&regex, lines)
        })
    }

    // ---- snapshots -----------------------------------------------------------------------

    /// Save the session `name` to `file` (default: a new file in the state dir's snapshot
    /// directory, then pruned by the retention settings); returns a `SaveReport`.
    #[pyo3(signature = (
        name, file=None, format="ctmux", with_contents=false, contents_lines=None,
        exclude_env=None, no_env=false, include_secrets=false, secret_patterns=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn session_save(
        &self,
        py: Python<'_>,
        name: String,
        file: Option<PathBuf>,
        format: &str,
        with_contents: bool,
        contents_lines: Option<i64>,
        exclude_env: Option<String>,
        no_env: bool,
        include_secrets: bool,
        secret_patterns: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let format = format.to_owned();
        detached_dict(py, || {
            let opts = convert::save_options(
                file,
                &format,
                with_contents,
                contents_lines,
                ctmux_core::snapshot::CaptureOptions {
                    exclude_env,
                    no_env,
                    include_secrets,
                    secret_patterns: secret_patterns.unwrap_or_default(),
                    ..Default::default()
                },
            )?;
            self.inner.snapshot_save(&name, &opts)
        })
    }

    /// Restore the session saved in `file`; returns a `RestoreReport`.
    #[pyo3(signature = (file, name=None, dry_run=false, no_exec=false, replace=false, keep_partial=false))]
    #[allow(clippy::too_many_arguments)]
    fn session_restore(
        &self,
        py: Python<'_>,
        file: PathBuf,
        name: Option<String>,
        dry_run: bool,
        no_exec: bool,
        replace: bool,
        keep_partial: bool,
    ) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            let opts = ctmux_core::RestoreOptions {
                name,
                dry_run,
                no_exec,
                replace,
                keep_partial,
            };
            self.inner.snapshot_restore(&file, &opts)
        })
    }

    /// Snapshots in the default directory, newest first: of session `name`, or of all.
    #[pyo3(signature = (name=None))]
    fn session_snapshots(&self, py: Python<'_>, name: Option<String>) -> PyResult<Py<PyAny>> {
        detached_dict(py, || self.inner.snapshot_list(name.as_deref()))
    }

    /// Delete a snapshot file.
    fn session_snapshot_delete(&self, py: Python<'_>, file: PathBuf) -> PyResult<()> {
        detached(py, || self.inner.snapshot_delete(&file))
    }

    // ---- events and the daemon ----------------------------------------------------------

    /// Subscribe to events (an iterator of event dicts; see `Subscription`): through the
    /// server's daemon when one runs, else through an in-process watcher (`local=True`:
    /// always). `session` (name), `pane` (`"%3"`), `kinds` (`"session_created"`, ...) and
    /// `pattern` (a regex over output lines, delivered as `pattern_matched`) narrow it.
    #[pyo3(signature = (session=None, pane=None, kinds=None, pattern=None, *, local=false))]
    fn subscribe(
        &self,
        py: Python<'_>,
        session: Option<String>,
        pane: Option<String>,
        kinds: Option<Vec<String>>,
        pattern: Option<String>,
        local: bool,
    ) -> PyResult<Subscription> {
        detached(py, || {
            let filter = ctmux_core::EventFilter {
                session,
                pane,
                kinds: kinds
                    .unwrap_or_default()
                    .iter()
                    .map(|k| k.parse())
                    .collect::<ctmux_core::Result<_>>()?,
                pattern,
            };
            if local {
                self.inner.subscribe_local(&filter)
            } else {
                self.inner.subscribe(&filter)
            }
        })
        .map(Subscription::new)
    }

    /// Start the server's event daemon unless it runs, as a separate process: by default
    /// `sys.executable -m ctmux._daemon ...`; else `program` with `args` before the daemon's
    /// own arguments (e.g. `program="ctmux"`, the CLI). Returns a `DaemonStartReport`.
    #[pyo3(signature = (program=None, args=None))]
    fn daemon_start(
        &self,
        py: Python<'_>,
        program: Option<PathBuf>,
        args: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let (program, args) = match program {
            Some(program) => (program, args.unwrap_or_default()),
            None => {
                let exe: Option<PathBuf> = py.import("sys")?.getattr("executable")?.extract()?;
                let exe = exe.filter(|p| !p.as_os_str().is_empty()).ok_or_else(|| {
                    to_py_err(ctmux_core::Error::InvalidInput {
                        what: "program",
                        reason: "sys.executable is unknown: pass program=".into(),
                    })
                })?;
                let default = ["-m", "ctmux._daemon"].map(String::from).to_vec();
                (exe, args.unwrap_or(default))
            }
        };
        let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
        detached_dict(py, || self.inner.daemon_start(&program, &args))
    }

    /// Stop the server's daemon; whether one was running.
    fn daemon_stop(&self, py: Python<'_>) -> PyResult<bool> {
        detached(py, || self.inner.daemon_stop())
    }

    /// The daemon's status (a `DaemonStatus`; `running` is False when none runs).
    fn daemon_status(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        detached_dict(py, || self.inner.daemon_status())
    }

    /// The last `n` events of the daemon's event log, oldest first.
    #[pyo3(signature = (n=20))]
    fn daemon_logs(&self, py: Python<'_>, n: i64) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            let n = convert::count("n", Some(n))?.unwrap_or_default();
            self.inner.daemon_logs(n as usize)
        })
    }

    /// Have the daemon save session `session` every `interval` seconds (it must run, or be
    /// started, for saves to happen; each save is a `snapshot_saved` event).
    fn autosave(&self, py: Python<'_>, session: String, interval: i64) -> PyResult<()> {
        detached(py, || {
            let interval = convert::count("interval", Some(interval))?.unwrap_or_default();
            self.inner.autosave_set(&session, u64::from(interval))
        })
    }

    /// Stop autosaving `session`; whether it was autosaved.
    fn autosave_stop(&self, py: Python<'_>, session: String) -> PyResult<bool> {
        detached(py, || self.inner.autosave_stop(&session))
    }

    fn __repr__(&self) -> String {
        format!("Client(server={:?})", self.inner.server().socket())
    }
}
