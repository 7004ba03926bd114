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
    let (result, interrupted) = py.detach(move || {
        let interrupted: Cell<Option<PyErr>> = Cell::new(None);
        let check = || {
            if flag.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
                return true;
            }
            // Only the main thread runs Python signal handlers; elsewhere this is a no-op.
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
