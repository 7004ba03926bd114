//! `Session`: a handle to one tmux session, addressed by its id.

use crate::client::Client;
use crate::convert::{self, PaneArg};
use crate::errors::to_py_err;
use crate::live::OutputStream;
use crate::pane::Pane;
use crate::records::{detached_dict, repr_str, PaneInfo};
use crate::wait::detached;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// A tmux session: its id (`$3`) and the name it had when the handle was made. Collections
/// (`panes()`, `pane_count()`) always ask tmux. `with session:` kills it on exit.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct Session {
    pub(crate) inner: ctmux_core::Session,
}

#[pymethods]
impl Session {
    /// tmux's session id (`$3`).
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// The session's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name().as_str()
    }

    /// The client this session belongs to.
    #[getter]
    fn client(&self) -> Client {
        Client {
            inner: self.inner.client().clone(),
        }
    }

    /// Every pane of the session (all windows), in window then pane order.
    fn panes(&self, py: Python<'_>) -> PyResult<Vec<PaneInfo>> {
        let panes = detached(py, || self.inner.panes())?;
        Ok(panes.into_iter().map(PaneInfo::from).collect())
    }

    /// The pane `pane`: an index (`0`), a tmux pane id (`"%3"`) or a label.
    fn pane(&self, py: Python<'_>, pane: PaneArg) -> PyResult<Pane> {
        let text = pane.into_text();
        let inner = detached(py, || self.inner.pane_str(&text))?;
        Ok(Pane { inner })
    }

    /// Split the active pane to make a new one, optionally labelled.
    #[pyo3(signature = (label=None))]
    fn pane_create(&self, py: Python<'_>, label: Option<String>) -> PyResult<Pane> {
        let inner = detached(py, || self.inner.pane_create(label.as_deref()))?;
        Ok(Pane { inner })
    }

    /// Create a labelled pane and apply `layout` (`tiled`, `horizontal`, `vertical`,
    /// `main-horizontal`, `main-vertical` or a tmux layout string) to its window.
    fn pane_create_with_layout(
        &self,
        py: Python<'_>,
        label: String,
        layout: String,
    ) -> PyResult<Pane> {
        let inner = detached(py, || self.inner.pane_create_with_layout(&label, &layout))?;
        Ok(Pane { inner })
    }

    /// The pane labelled `label`.
    fn pane_find(&self, py: Python<'_>, label: String) -> PyResult<Pane> {
        let inner = detached(py, || self.inner.pane_find(&label))?;
        Ok(Pane { inner })
    }

    /// Stream the output lines of every pane of the session from now on (an iterator of
    /// `StreamLine`; see `OutputStream`).
    fn stream(&self, py: Python<'_>) -> PyResult<OutputStream> {
        detached(py, || self.inner.stream()).map(OutputStream::new)
    }

    /// Number of panes over all windows.
    fn pane_count(&self, py: Python<'_>) -> PyResult<usize> {
        detached(py, || self.inner.pane_count())
    }

    /// CPU and memory of every pane's process tree and their sum; the client's first reading
    /// samples for `interval_ms` (10..=60000), later ones return at once.
    #[pyo3(signature = (interval_ms=250))]
    fn metrics(&self, py: Python<'_>, interval_ms: i64) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            self.inner.metrics(convert::interval_ms(interval_ms)?)
        })
    }

    /// Kill the session.
    fn kill(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || self.inner.kill())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Kill the session; one that is already gone is fine.
    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyType>>,
        _exc_value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        match py.detach(|| self.inner.kill()) {
            Err(e) if e.kind() != ctmux_core::ErrorKind::NotFound => Err(to_py_err(e)),
            _ => Ok(false),
        }
    }

    // ---- GC keep mark (src/limits.rs) ---------------------------------------------------

    /// Mark the session keep (GC never touches it or anything of it), or clear the mark.
    fn set_keep(&self, py: Python<'_>, keep: bool) -> PyResult<()> {
        crate::limits::set_keep(py, &self.inner, keep)
    }

    /// Whether the session carries the keep mark (asks tmux).
    #[getter]
    fn keep(&self, py: Python<'_>) -> PyResult<bool> {
        crate::limits::keep(py, &self.inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Session(id={}, name={})",
            repr_str(py, self.inner.id())?,
            repr_str(py, self.name())?
        ))
    }
}
