//! `Pane` and `ExecHandle`: one pane, addressed by its tmux id, and a command started in it.
//!
//! Blocking waits (`run`, `run_or_interrupt`, `wait`, `wait_for`, `ExecHandle.wait`) go
//! through [`wait`] (GIL released, Ctrl-C noticed) and have `*_async` twins that run them in a
//! worker thread ([`in_thread`]).

use crate::convert::{self, SignalArg};
use crate::live::OutputStream;
use crate::records::{detached_dict, repr_str, ExecResult, PaneInfo, PaneStatus, PatternMatch};
use crate::session::Session;
use crate::wait::{detached, in_thread, stoppable, wait, CancelToken};
use pyo3::prelude::*;
use std::collections::BTreeMap;

/// A pane, addressed by its tmux id (`%3`).
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct Pane {
    pub(crate) inner: ctmux_core::Pane,
}

#[pymethods]
impl Pane {
    /// The pane's tmux id (`%3`).
    #[getter]
    fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The session the pane was found in.
    #[getter]
    fn session(&self) -> Session {
        Session {
            inner: self.inner.session().clone(),
        }
    }

    /// Fresh facts about the pane.
    fn info(&self, py: Python<'_>) -> PyResult<PaneInfo> {
        detached(py, || self.inner.info()).map(PaneInfo::from)
    }

    /// The pane's listing, foreground job and last exec.
    fn status(&self, py: Python<'_>) -> PyResult<PaneStatus> {
        detached(py, || self.inner.status()).map(PaneStatus::from)
    }

    /// Whether a foreground job other than the shell runs.
    fn is_running(&self, py: Python<'_>) -> PyResult<bool> {
        detached(py, || self.inner.is_running())
    }

    /// Start `command` in the pane's shell and return at once. `raw=True` keeps the bytes
    /// it writes too (`ExecResult.output_raw`); `max_output` caps the bytes of output kept
    /// (beyond it `truncated` is set); `memory_cap` is how many bytes are kept in memory
    /// before the output goes to a file. `None` means the core's default. `if_pending`:
    /// `"clear"` clears text already typed at the prompt, `"fail"` raises `BusyError` naming
    /// it and leaves it typed.
    #[pyo3(signature = (command, raw=false, max_output=None, memory_cap=None, if_pending="clear"))]
    fn exec(
        &self,
        py: Python<'_>,
        command: String,
        raw: bool,
        max_output: Option<i64>,
        memory_cap: Option<i64>,
        if_pending: &str,
    ) -> PyResult<ExecHandle> {
        let if_pending = if_pending.to_owned();
        let inner = detached(py, || {
            let opts = convert::exec_options(raw, max_output, memory_cap, &if_pending)?;
            self.inner.exec_with(&command, &opts)
        })?;
        Ok(ExecHandle { inner })
    }

    /// Run `command` and wait for it, at most `timeout` seconds (default: no limit); `raw`,
    /// `max_output`, `memory_cap` and `if_pending` as for `exec`.
    #[pyo3(signature = (
        command, timeout=None, raw=false, max_output=None, memory_cap=None, if_pending="clear",
        *, cancel=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        command: String,
        timeout: Option<f64>,
        raw: bool,
        max_output: Option<i64>,
        memory_cap: Option<i64>,
        if_pending: &str,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<ExecResult> {
        let if_pending = if_pending.to_owned();
        wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(timeout)?;
            let opts = convert::exec_options(raw, max_output, memory_cap, &if_pending)?;
            // `Pane::run_with` whose wait stops when `cancel` says so.
            self.inner
                .exec_with(&command, &opts)?
                .wait_cancellable(timeout, cancel)
        })
        .map(ExecResult::from)
    }

    /// Awaitable `run` (in a worker thread).
    #[pyo3(signature = (
        command, timeout=None, raw=false, max_output=None, memory_cap=None, if_pending="clear"
    ))]
    fn run_async<'py>(
        slf: &Bound<'py, Self>,
        command: String,
        timeout: Option<f64>,
        raw: bool,
        max_output: Option<i64>,
        memory_cap: Option<i64>,
        if_pending: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(
            slf.as_any(),
            "run",
            (command, timeout, raw, max_output, memory_cap, if_pending),
        )
    }

    /// Run `command`; after `timeout` seconds send it SIGINT and raise `ctmux.TimeoutError`
    /// with the output so far.
    #[pyo3(signature = (command, timeout, *, cancel=None))]
    fn run_or_interrupt(
        &self,
        py: Python<'_>,
        command: String,
        timeout: f64,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<ExecResult> {
        wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(Some(timeout))?.unwrap_or_default();
            self.inner
                .run_or_interrupt_cancellable(&command, timeout, cancel)
        })
        .map(ExecResult::from)
    }

    /// Awaitable `run_or_interrupt` (in a worker thread).
    fn run_or_interrupt_async<'py>(
        slf: &Bound<'py, Self>,
        command: String,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(slf.as_any(), "run_or_interrupt", (command, timeout))
    }

    /// Wait for the pane's current work: the last exec ctmux started (its result), or any
    /// foreground job (then `None`).
    #[pyo3(signature = (timeout=None, *, cancel=None))]
    fn wait(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<Option<ExecResult>> {
        wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(timeout)?;
            self.inner.wait_cancellable(timeout, cancel)
        })
        .map(|r| r.map(ExecResult::from))
    }

    /// Awaitable `wait` (in a worker thread).
    #[pyo3(signature = (timeout=None))]
    fn wait_async<'py>(
        slf: &Bound<'py, Self>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(slf.as_any(), "wait", (timeout,))
    }

    /// The visible screen plus up to `lines` lines of history above it.
    #[pyo3(signature = (lines=None))]
    fn capture(&self, py: Python<'_>, lines: Option<i64>) -> PyResult<String> {
        detached(py, || self.inner.capture(convert::count("lines", lines)?))
    }

    /// The last line matching `pattern` (a Rust regex) in the screen plus `lines` lines of
    /// history, or `None`.
    #[pyo3(signature = (pattern, lines=None))]
    fn has_pattern(
        &self,
        py: Python<'_>,
        pattern: String,
        lines: Option<i64>,
    ) -> PyResult<Option<PatternMatch>> {
        detached(py, || {
            self.inner
                .has_pattern(&pattern, convert::count("lines", lines)?)
        })
        .map(|m| m.map(PatternMatch::from))
    }

    /// Wait until `pattern` matches a line (text already there counts), at most `timeout`
    /// seconds (default: no limit).
    #[pyo3(signature = (pattern, timeout=None, lines=None, *, cancel=None))]
    fn wait_for(
        &self,
        py: Python<'_>,
        pattern: String,
        timeout: Option<f64>,
        lines: Option<i64>,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<PatternMatch> {
        if !stoppable(py, cancel.as_deref()) {
            return detached(py, || {
                let timeout = convert::timeout(timeout)?;
                let lines = convert::count("lines", lines)?;
                self.inner.watch(&pattern, timeout, lines)
            })
            .map(PatternMatch::from);
        }
        wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(timeout)?;
            let lines = convert::count("lines", lines)?;
            self.inner
                .watch_cancellable(&pattern, timeout, lines, cancel)
        })
        .map(PatternMatch::from)
    }

    /// Awaitable `wait_for` (in a worker thread).
    #[pyo3(signature = (pattern, timeout=None, lines=None))]
    fn wait_for_async<'py>(
        slf: &Bound<'py, Self>,
        pattern: String,
        timeout: Option<f64>,
        lines: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(slf.as_any(), "wait_for", (pattern, timeout, lines))
    }

    /// Stream the pane's output lines from now on (an iterator of `StreamLine`; see
    /// `OutputStream`).
    fn stream(&self, py: Python<'_>) -> PyResult<OutputStream> {
        detached(py, || self.inner.stream()).map(OutputStream::new)
    }

    /// The last `lines` lines of the pane (history included), oldest first.
    fn tail(&self, py: Python<'_>, lines: i64) -> PyResult<Vec<String>> {
        detached(py, || {
            let lines = convert::count("lines", Some(lines))?.unwrap_or_default();
            self.inner.tail(lines as usize)
        })
    }

    /// The pane's label, if any.
    fn label(&self, py: Python<'_>) -> PyResult<Option<String>> {
        detached(py, || self.inner.label())
    }

    /// Set or replace the pane's label (unique within its session).
    fn set_label(&self, py: Python<'_>, label: String) -> PyResult<()> {
        detached(py, || self.inner.set_label(&label))
    }

    /// Set metadata `key` (`[A-Za-z0-9_-]{1,64}`) to `value`; it lives in tmux and dies with
    /// the pane.
    fn metadata_set(&self, py: Python<'_>, key: String, value: String) -> PyResult<()> {
        detached(py, || self.inner.metadata_set(&key, &value))
    }

    /// The value of metadata `key` (`ctmux.NotFoundError` if unset).
    fn metadata_get(&self, py: Python<'_>, key: String) -> PyResult<String> {
        detached(py, || self.inner.metadata_get(&key))
    }

    /// All metadata of the pane.
    fn metadata_list(&self, py: Python<'_>) -> PyResult<BTreeMap<String, String>> {
        detached(py, || self.inner.metadata_list())
    }

    /// Remove metadata `key` (`ctmux.NotFoundError` if unset).
    fn metadata_delete(&self, py: Python<'_>, key: String) -> PyResult<()> {
        detached(py, || self.inner.metadata_delete(&key))
    }

    /// Send tmux key names (`"C-c"`, `"Enter"`, `"Up"`, or text), as `send-keys` does.
    #[pyo3(signature = (*keys))]
    fn send_keys(&self, py: Python<'_>, keys: Vec<String>) -> PyResult<()> {
        detached(py, || self.inner.send_keys(&keys))
    }

    /// Type `text` literally, without pressing Enter.
    fn send_text(&self, py: Python<'_>, text: String) -> PyResult<()> {
        detached(py, || self.inner.send_text(&text))
    }

    /// Send `signal` (`"SIGINT"`, `"TERM"`, `signal.SIGINT`, `9`) to the pane's foreground
    /// job, never to its shell. Returns the process groups signalled.
    fn signal(&self, py: Python<'_>, signal: SignalArg) -> PyResult<Vec<i32>> {
        let text = signal.into_text();
        detached(py, || self.inner.signal(&text))
    }

    /// CPU and memory of the pane's process tree (`processes` adds the per-process
    /// breakdown); the client's first reading of the pane samples for `interval_ms`
    /// (10..=60000), later ones return at once.
    #[pyo3(signature = (interval_ms=250, processes=false))]
    fn metrics(&self, py: Python<'_>, interval_ms: i64, processes: bool) -> PyResult<Py<PyAny>> {
        detached_dict(py, || {
            self.inner
                .metrics(convert::interval_ms(interval_ms)?, processes)
        })
    }

    /// Kill the pane (its session too if it was the last pane).
    fn kill(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || self.inner.kill())
    }

    /// Clear ctmux's exec state on the pane (the way out when its last exec will never
    /// report): a pending exec is recorded as finished (-1), `remain-on-exit` is put back,
    /// ctmux's `pipe-pane` is closed and the exec's files are removed. The shell and any job
    /// in it are left alone.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || self.inner.reset())
    }

    // ---- limits and metrics history (src/limits.rs) ------------------------------------

    /// Set the pane's `kind` (`"cpu"`, percent of one core, or `"memory"`, MiB) limit to
    /// `value`; `mode` (`"enforce"`, `"notify"`) and `grace` (seconds between SIGTERM and
    /// SIGKILL) when given. Returns the limits now set.
    #[pyo3(signature = (kind, value, *, mode=None, grace=None))]
    fn set_limit(
        &self,
        py: Python<'_>,
        kind: String,
        value: f64,
        mode: Option<String>,
        grace: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        crate::limits::set_limit(py, &self.inner, kind, value, mode, grace)
    }

    /// The pane's limits.
    fn limits(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::limits::limits(py, &self.inner)
    }

    /// Remove the `kind` limit, or every limit setting with `None`. Returns what is left.
    #[pyo3(signature = (kind=None))]
    fn clear_limit(&self, py: Python<'_>, kind: Option<String>) -> PyResult<Py<PyAny>> {
        crate::limits::clear_limit(py, &self.inner, kind)
    }

    /// The metrics the daemon sampled for the pane over the last `seconds` (default: all it
    /// keeps); `ctmux.ServerUnavailableError` when no daemon runs.
    #[pyo3(signature = (seconds=None))]
    fn metrics_history(&self, py: Python<'_>, seconds: Option<f64>) -> PyResult<Py<PyAny>> {
        crate::limits::metrics_history(py, &self.inner, seconds)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Pane(id={}, session={})",
            repr_str(py, &self.inner.id().to_string())?,
            repr_str(py, self.inner.session().name().as_str())?
        ))
    }
}

/// A command started with `Pane.exec`; `wait()` collects its result.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct ExecHandle {
    inner: ctmux_core::ExecHandle,
}

#[pymethods]
impl ExecHandle {
    /// The exec's id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// The pane it runs in.
    #[getter]
    fn pane(&self) -> Pane {
        Pane {
            inner: self.inner.pane().clone(),
        }
    }

    /// Wait until the command finishes, at most `timeout` seconds (default: no limit).
    #[pyo3(signature = (timeout=None, *, cancel=None))]
    fn wait(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        cancel: Option<PyRef<'_, CancelToken>>,
    ) -> PyResult<ExecResult> {
        wait(py, cancel.as_deref(), |cancel| {
            let timeout = convert::timeout(timeout)?;
            self.inner.wait_cancellable(timeout, cancel)
        })
        .map(ExecResult::from)
    }

    /// Awaitable `wait` (in a worker thread).
    #[pyo3(signature = (timeout=None))]
    fn wait_async<'py>(
        slf: &Bound<'py, Self>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_thread(slf.as_any(), "wait", (timeout,))
    }

    /// What the command has printed so far (`None` if the pane cannot be read).
    fn partial_output(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| self.inner.partial_output())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ExecHandle(id={}, pane={})",
            repr_str(py, self.inner.id())?,
            repr_str(py, &self.inner.pane().id().to_string())?
        ))
    }
}
