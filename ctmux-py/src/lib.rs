//! # ctmux-py
//!
//! The Python module `ctmux._ctmux`, wrapped by the pure-Python package `ctmux`
//! (`python/ctmux/`). Every method here extracts its arguments, calls `ctmux-core` with the
//! GIL released (`py.detach`), maps a core error to its Python exception ([`errors`], the
//! only place that does) and converts the result. There is no logic of its own.
//!
//! ```python
//! import ctmux
//!
//! with ctmux.IsolatedServer() as server:
//!     client = server.client()
//!     client.session_create("demo")
//!     result = client.pane_run("demo", 0, "echo hi; false")
//!     assert (result.exit_code, result.output) == (1, "hi\n")
//! ```

mod convert;
mod errors;

use convert::PaneArg;
use errors::IntoPyResult;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use std::path::PathBuf;
use std::sync::Mutex;

/// A private tmux server (socket in a fresh temp dir, shell pinned), for tests and demos.
///
/// `close()` (or leaving the `with` block) kills the server and removes its dir; so does
/// garbage collection, but do not rely on it.
#[pyclass(module = "ctmux", frozen)]
struct IsolatedServer {
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
        py.detach(|| {
            let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match guard.as_ref() {
                Some(server) => f(server),
                None => Err(ctmux_core::Error::ServerUnavailable(format!(
                    "isolated server {} is closed",
                    self.socket_path.display()
                ))),
            }
        })
        .py_err()
    }
}

#[pymethods]
impl IsolatedServer {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let server = py.detach(ctmux_core::IsolatedServer::start).py_err()?;
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
        py.detach(|| {
            let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
            match taken {
                Some(mut server) => server.close(),
                None => Ok(()),
            }
        })
        .py_err()
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
/// neither, the user's default server; `state_dir` defaults to the per-user state dir.
#[pyclass(module = "ctmux", frozen)]
struct Client {
    inner: ctmux_core::Ctmux,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (socket_name=None, socket_path=None, state_dir=None))]
    fn new(
        py: Python<'_>,
        socket_name: Option<String>,
        socket_path: Option<PathBuf>,
        state_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                let socket = match (socket_name, socket_path) {
                    (Some(_), Some(_)) => {
                        return Err(ctmux_core::Error::InvalidInput {
                            what: "socket",
                            reason: "give socket_name or socket_path, not both".into(),
                        })
                    }
                    (Some(name), None) => ctmux_core::Socket::Name(name),
                    (None, Some(path)) => ctmux_core::Socket::Path(path),
                    (None, None) => ctmux_core::Socket::Default,
                };
                let mut builder =
                    ctmux_core::Ctmux::builder().server(ctmux_core::Server::new(socket)?);
                if let Some(dir) = state_dir {
                    builder = builder.state_dir(dir);
                }
                builder.build()
            })
            .py_err()?;
        Ok(Client { inner })
    }

    /// Create a detached session; returns `{"id": "$N", "name": name}`.
    #[pyo3(signature = (name, cwd=None, width=None, height=None))]
    fn session_create<'py>(
        &self,
        py: Python<'py>,
        name: String,
        cwd: Option<PathBuf>,
        width: Option<i64>,
        height: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let session = py
            .detach(|| {
                let size = match (
                    convert::size("width", width)?,
                    convert::size("height", height)?,
                ) {
                    (Some(w), Some(h)) => Some((w, h)),
                    (None, None) => None,
                    _ => {
                        return Err(ctmux_core::Error::InvalidInput {
                            what: "window size",
                            reason: "give both width and height, or neither".into(),
                        })
                    }
                };
                let opts = ctmux_core::SessionOptions { cwd, size };
                self.inner.session_create(&name, &opts)
            })
            .py_err()?;
        let dict = PyDict::new(py);
        dict.set_item("id", session.id())?;
        dict.set_item("name", session.name().as_str())?;
        Ok(dict)
    }

    /// Every session on the server, as dicts (`id`, `name`, `windows`, `panes`, `attached`,
    /// `created`, `activity`). No server running gives `[]`.
    fn session_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sessions = py.detach(|| self.inner.session_list()).py_err()?;
        convert::to_py(py, &sessions)
    }

    /// Kill the session named `name`.
    fn session_kill(&self, py: Python<'_>, name: String) -> PyResult<()> {
        py.detach(|| self.inner.session_kill(&name)).py_err()
    }

    /// Run `command` in a pane (index, `"%id"` or label) and wait for it to finish, at most
    /// `timeout` seconds (default: no limit).
    #[pyo3(signature = (session, pane, command, timeout=None))]
    fn pane_run(
        &self,
        py: Python<'_>,
        session: String,
        pane: PaneArg,
        command: String,
        timeout: Option<f64>,
    ) -> PyResult<ExecResult> {
        let pane = pane.into_text();
        let result = py
            .detach(|| {
                let timeout = convert::timeout(timeout)?;
                let pane = self.inner.session(&session)?.pane_str(&pane)?;
                pane.run(&command, timeout)
            })
            .py_err()?;
        Ok(ExecResult {
            exit_code: result.exit_code,
            output: result.output,
            duration: result.duration.as_secs_f64(),
        })
    }

    /// The pane's visible text, or its last `lines` lines of history and screen.
    #[pyo3(signature = (session, pane, lines=None))]
    fn pane_capture(
        &self,
        py: Python<'_>,
        session: String,
        pane: PaneArg,
        lines: Option<i64>,
    ) -> PyResult<String> {
        let pane = pane.into_text();
        py.detach(|| {
            let lines = convert::count("lines", lines)?;
            self.inner
                .session(&session)?
                .pane_str(&pane)?
                .capture(lines)
        })
        .py_err()
    }

    fn __repr__(&self) -> String {
        format!("Client(server={:?})", self.inner.server().socket())
    }
}

/// What `pane_run` returns: the command's real exit status, its output, and how long it took.
#[pyclass(module = "ctmux", frozen, get_all)]
struct ExecResult {
    /// The command's exit status (128+N if killed by signal N).
    exit_code: i32,
    /// The command's own output (no prompt, no echo of the command).
    output: String,
    /// Wall time in seconds.
    duration: f64,
}

#[pymethods]
impl ExecResult {
    fn __repr__(&self) -> String {
        format!(
            "ExecResult(exit_code={}, output={:?}, duration={:.6})",
            self.exit_code, self.output, self.duration
        )
    }
}

/// The compiled module.
#[pymodule]
fn _ctmux(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", ctmux_core::VERSION)?;
    m.add_class::<IsolatedServer>()?;
    m.add_class::<Client>()?;
    m.add_class::<ExecResult>()?;
    errors::register(m)?;
    Ok(())
}
