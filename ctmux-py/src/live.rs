//! `OutputStream` and `Subscription`: live output lines of a pane or session, and events.
//!
//! Both are iterators (`for line in pane.stream():`, `async for` too) with a `next(timeout)`
//! method returning `None` once they are over, `next_async` for asyncio, and `with` support
//! (`close()` on exit). A wait holds no GIL and is cut into 50 ms slices ([`Live`]) so that Ctrl-C, a
//! [`CancelToken`] and `close()` from another thread are noticed between them.

use crate::convert;
use crate::records::{to_py_value, StreamLine};
use crate::wait::{anext, in_thread, wait, CancelToken, Live};
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Live output lines of one pane or of every pane of a session, from the moment it was
/// opened (`Pane.stream()`, `Session.stream()`). Iterating yields `StreamLine`s until the
/// pane (or session) is gone; a server that goes away raises `ServerUnavailableError`.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct OutputStream {
    live: Live<ctmux_core::OutputStream>,
}

impl OutputStream {
    pub(crate) fn new(inner: ctmux_core::OutputStream) -> Self {
        OutputStream {
            live: Live::new(inner),
        }
    }
}

#[pymethods]
impl OutputStream {
    /// The next line, waiting at most `timeout` seconds (default: no limit); `None` once the
    /// stream is over or closed. `TimeoutError` leaves the stream usable.
    #[pyo3(signature = (timeout=None, *, cancel=None))]
    fn next(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<Option<StreamLine>> {
        let line = wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(timeout)?;
            self.live
                .next(timeout, cancel, |s, slice| s.next_line(Some(slice)))
        })?;
        Ok(line.map(StreamLine::from))
    }

    /// Awaitable `next` (in a worker thread).
    #[pyo3(signature = (timeout=None))]
    fn next_async<'py>(
        slf: &Bound<'py, Self>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(slf.as_any(), "next", (timeout,))
    }

    /// Stop streaming (a wait in another thread returns `None`). Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.live.close());
    }

    /// Whether the stream is closed or over.
    #[getter]
    fn closed(&self) -> bool {
        self.live.closed()
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        anext(slf.as_any())
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<StreamLine>> {
        self.next(py, None, None)
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
    ) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "OutputStream(closed={})",
            if self.closed() { "True" } else { "False" }
        )
    }
}

/// Events matching a filter (`Client.subscribe(...)`), as dicts with the CLI's keys
/// (`kind`, `seq`, `time_ms`, then the kind's own fields). Iterating ends after the daemon
/// says it stops; a server that goes away raises `ServerUnavailableError`.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct Subscription {
    live: Live<ctmux_core::Subscription>,
    via_daemon: bool,
}

impl Subscription {
    pub(crate) fn new(inner: ctmux_core::Subscription) -> Self {
        Subscription {
            via_daemon: inner.via_daemon_socket(),
            live: Live::new(inner),
        }
    }
}

#[pymethods]
impl Subscription {
    /// The next event, waiting at most `timeout` seconds (default: no limit); `None` once
    /// the subscription is over or closed. `TimeoutError` leaves it usable.
    #[pyo3(signature = (timeout=None, *, cancel=None))]
    fn next(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let event = wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(timeout)?;
            self.live
                .next(timeout, cancel, |s, slice| s.next_event(Some(slice)))
        })?;
        event.map(|e| to_py_value(py, e)).transpose()
    }

    /// Awaitable `next` (in a worker thread).
    #[pyo3(signature = (timeout=None))]
    fn next_async<'py>(
        slf: &Bound<'py, Self>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(slf.as_any(), "next", (timeout,))
    }

    /// Whether events come from the server's daemon (else from an in-process watcher that
    /// lives as long as this subscription).
    #[getter]
    fn via_daemon(&self) -> bool {
        self.via_daemon
    }

    /// Stop the subscription (a wait in another thread returns `None`). Closing twice is
    /// harmless.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.live.close());
    }

    /// Whether the subscription is closed or over.
    #[getter]
    fn closed(&self) -> bool {
        self.live.closed()
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        anext(slf.as_any())
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.next(py, None, None)
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
    ) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "Subscription(via_daemon={}, closed={})",
            if self.via_daemon { "True" } else { "False" },
            if self.closed() { "True" } else { "False" }
        )
    }
}

/// `_ctmux.daemon_run_from_args(args)`: run the event daemon in this process until it is
/// asked to stop (what `python -m ctmux._daemon` calls; `Client.daemon_start` starts that).
#[pyfunction]
pub(crate) fn daemon_run_from_args(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    crate::wait::detached(py, || ctmux_core::daemon::run_from_args(&args))
}
