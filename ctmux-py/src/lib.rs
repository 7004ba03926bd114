//! # ctmux-py
//!
//! The Python module `ctmux._ctmux`, wrapped by the pure-Python package `ctmux`
//! (`python/ctmux/`). Every method extracts its arguments, calls `ctmux-core` with the GIL
//! released ([`wait`]), maps a core error to its Python exception ([`errors`], the only place
//! that does) and converts the result ([`records`]). There is no logic of its own.
//!
//! Layout: [`client`] (`IsolatedServer`, `Client`), [`session`] (`Session`), [`pane`]
//! (`Pane`, `ExecHandle`), [`live`] (`OutputStream`, `Subscription`, the daemon's entry
//! point), [`records`] (returned values), [`convert`] (arguments), [`wait`]
//! (GIL release, Ctrl-C, `CancelToken`, `*_async` scheduling). A new core area (groups,
//! snapshots, ...) gets its own file with its handle classes, its records in [`records`],
//! and a line in the module function below plus the `.pyi`.
//!
//! ```python
//! import ctmux
//!
//! with ctmux.IsolatedServer() as server:
//!     session = server.client().session_create("demo")
//!     result = session.pane(0).run("echo hi; false", timeout=10)
//!     assert (result.exit_code, result.output) == (1, "hi\n")
//! ```

mod client;
mod convert;
mod errors;
mod live;
mod pane;
mod records;
mod session;
mod wait;

// Limits, GC and metrics history: more methods of `Pane`, `Session` and `Client`.
mod limits;

use pyo3::prelude::*;

/// The compiled module.
#[pymodule]
fn _ctmux(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", ctmux_core::VERSION)?;
    m.add_class::<client::IsolatedServer>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<pane::Pane>()?;
    m.add_class::<pane::ExecHandle>()?;
    m.add_class::<wait::CancelToken>()?;
    m.add_class::<live::OutputStream>()?;
    m.add_class::<live::Subscription>()?;
    m.add_function(wrap_pyfunction!(live::daemon_run_from_args, m)?)?;
    records::register(m)?;
    errors::register(m)?;
    Ok(())
}
