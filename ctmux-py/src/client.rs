//! `IsolatedServer` and `Client`: which tmux server, and the sessions on it.

use crate::convert;
use crate::records::{SessionInfo, SyncReport};
use crate::session::Session;
use crate::wait::detached;
use pyo3::prelude::*;
use pyo3::types::PyType;
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
/// neither, the user's default server; `state_dir` defaults to the per-user state dir.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct Client {
    pub(crate) inner: ctmux_core::Ctmux,
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
        let inner = detached(py, || {
            let socket = convert::socket(socket_name, socket_path)?;
            let mut builder = ctmux_core::Ctmux::builder().server(ctmux_core::Server::new(socket)?);
            if let Some(dir) = state_dir {
                builder = builder.state_dir(dir);
            }
            builder.build()
        })?;
        Ok(Client { inner })
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

    fn __repr__(&self) -> String {
        format!("Client(server={:?})", self.inner.server().socket())
    }
}
