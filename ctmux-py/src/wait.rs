//! Calling the core with the GIL released, and blocking waits that notice Ctrl-C.
//!
//! Every core call runs inside `py.detach`, so other Python threads run meanwhile. The core's
//! long waits take a cancel check ([`ctmux_core::exec::Cancel`], asked at least every 50 ms);
//! [`wait`] passes one that asks Python for pending signals (`PyErr_CheckSignals`), so Ctrl-C
//! ends a wait with `KeyboardInterrupt` within ~50 ms, and that also honours a
//! [`CancelToken`] (how the `*_async` methods stop their worker thread when the awaiting task
//! is cancelled). The binding only passes the check; the slicing is the core's.

use crate::errors::{to_py_err, IntoPyResult};
use ctmux_core::exec::Cancel;
use pyo3::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Run a short core call with the GIL released and map its error.
pub(crate) fn detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> ctmux_core::Result<T> + Send,
) -> PyResult<T> {
    py.detach(f).py_err()
}

/// Run a blocking core wait with the GIL released. Its cancel check fires when Python has a
/// pending signal (the signal's exception, usually `KeyboardInterrupt`, is raised instead of
/// the core's result) or when `token` is cancelled (the core's cancelled-wait error, an
/// `IoError`, is raised).
pub(crate) fn wait<T: Send>(
    py: Python<'_>,
    token: Option<&CancelToken>,
    f: impl FnOnce(Cancel<'_>) -> ctmux_core::Result<T> + Send,
) -> PyResult<T> {
    let flag = token.map(|t| Arc::clone(&t.flag));
    // Only the main thread runs Python signal handlers: elsewhere asking would only take the
    // GIL every 50 ms for nothing (20 waiting threads cost ~4x the CPU of a Rust caller).
    let signals = on_main_thread(py);
    let (result, interrupted) = py.detach(move || {
        let interrupted: Cell<Option<PyErr>> = Cell::new(None);
        let check = || {
            if flag.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
                return true;
            }
            if !signals {
                return false;
            }
            match Python::attach(|py| py.check_signals()) {
                Ok(()) => false,
                Err(e) => {
                    interrupted.set(Some(e));
                    true
                }
            }
        };
        let result = f(&check);
        (result, interrupted.into_inner())
    });
    if let Some(e) = interrupted {
        return Err(e);
    }
    // A Ctrl-C from a terminal also reaches tmux child processes, which may make the core
    // fail first: a pending signal wins over that error.
    result.map_err(|e| match py.check_signals() {
        Ok(()) => to_py_err(e),
        Err(signal) => signal,
    })
}

/// Whether a wait started here can be stopped before its end: by `token`, or by a signal
/// (only the main thread receives them). A wait that cannot be may use the core's
/// uncancellable form, which sleeps until something happens instead of waking every 50 ms.
pub(crate) fn stoppable(py: Python<'_>, token: Option<&CancelToken>) -> bool {
    token.is_some() || on_main_thread(py)
}

/// Whether the calling thread is Python's main thread (the one that runs signal handlers).
/// When Python cannot tell, assume it is (asking for signals is then merely wasted).
fn on_main_thread(py: Python<'_>) -> bool {
    let check = || -> PyResult<bool> {
        let threading = py.import("threading")?;
        let main = threading.call_method0("main_thread")?;
        let current = threading.call_method0("current_thread")?;
        Ok(main.is(&current))
    };
    check().unwrap_or(true)
}

/// Stops a blocking wait from another thread: pass it as `cancel=` to `Pane.run`,
/// `Pane.wait_for`, `ExecHandle.wait`, ...; once `cancel()` is called the wait ends within
/// 50 ms with `ctmux.IoError` (the command itself keeps running). The `*_async` methods use
/// one so that a cancelled task does not leave its worker thread waiting.
#[pyclass(module = "ctmux", frozen)]
pub(crate) struct CancelToken {
    flag: Arc<AtomicBool>,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        CancelToken {
            flag: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Cancel every wait given this token (now and later).
    fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether `cancel()` has been called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    fn __repr__(&self) -> String {
        format!(
            "CancelToken(cancelled={})",
            if self.cancelled() { "True" } else { "False" }
        )
    }
}

/// `ctmux._aio.in_thread(method, args)`: the awaitable that runs `method(*args, cancel=token)`
/// in a worker thread (`asyncio.to_thread`) and cancels the token if the awaiting task is
/// cancelled. Scheduling only; it lives in the pure-Python package.
pub(crate) fn in_thread<'py>(
    obj: &Bound<'py, PyAny>,
    method: &str,
    args: impl pyo3::IntoPyObjectExt<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    static IN_THREAD: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let py = obj.py();
    let helper = IN_THREAD.import(py, "ctmux._aio", "in_thread")?;
    helper.call1((obj.getattr(method)?, args.into_bound_py_any(py)?))
}

/// `ctmux._aio.next_or_stop(obj.next, ())`: the awaitable of `__anext__` (`in_thread`, with
/// `None` raising `StopAsyncIteration`).
pub(crate) fn anext<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    static NEXT_OR_STOP: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let py = obj.py();
    let helper = NEXT_OR_STOP.import(py, "ctmux._aio", "next_or_stop")?;
    helper.call1((obj.getattr("next")?, pyo3::types::PyTuple::empty(py)))
}

/// How long one core wait of a live object ([`Live::next`]) lasts before the cancel check is
/// asked again.
const SLICE: std::time::Duration = std::time::Duration::from_millis(50);

/// A core stream or subscription shared by its Python object and the waits on it. `close()`
/// ends it from any thread; a wait notices within one slice.
pub(crate) struct Live<S> {
    inner: std::sync::Mutex<Option<S>>,
    closed: AtomicBool,
}

impl<S> Live<S> {
    pub(crate) fn new(inner: S) -> Self {
        Live {
            inner: std::sync::Mutex::new(Some(inner)),
            closed: AtomicBool::new(false),
        }
    }

    /// Drop the core object (waits for a running slice to end, at most 50 ms).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Whether it is closed or over. Never waits (it is asked with the GIL held): while a
    /// wait runs, it is not over yet.
    pub(crate) fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
            || self.inner.try_lock().map(|g| g.is_none()).unwrap_or(false)
    }

    /// The core's next item, waiting at most `timeout` (`None`: for ever) in 50 ms slices of
    /// `step(core, slice)` with `cancel` asked between them. `Ok(None)` once it is over or
    /// closed; an end (`Ok(None)`, or any error but a timeout) drops the core object.
    pub(crate) fn next<T>(
        &self,
        timeout: Option<std::time::Duration>,
        cancel: Cancel<'_>,
        mut step: impl FnMut(&mut S, std::time::Duration) -> ctmux_core::Result<Option<T>>,
    ) -> ctmux_core::Result<Option<T>> {
        let started = std::time::Instant::now();
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return Ok(None);
            }
            let slice = match timeout {
                None => SLICE,
                Some(t) => SLICE.min(t.saturating_sub(started.elapsed())),
            };
            let result = {
                let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                let Some(core) = guard.as_mut() else {
                    return Ok(None);
                };
                let result = step(core, slice);
                let goes_on = match &result {
                    Ok(item) => item.is_some(),
                    Err(e) => e.kind() == ctmux_core::ErrorKind::Timeout,
                };
                if !goes_on {
                    guard.take();
                }
                result
            };
            match result {
                Err(mut e) if e.kind() == ctmux_core::ErrorKind::Timeout => {
                    if let Some(t) = timeout.filter(|t| started.elapsed() >= *t) {
                        if let ctmux_core::Error::Timeout { seconds, .. } = &mut e {
                            *seconds = t.as_secs_f64();
                        }
                        return Err(e);
                    }
                }
                other => return other,
            }
            if cancel() {
                return Err(ctmux_core::Error::Io {
                    context: "waiting for the next item was cancelled".into(),
                    source: std::io::ErrorKind::Interrupted.into(),
                });
            }
        }
    }
}
