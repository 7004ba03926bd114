//! Resource limits, GC and the daemon's metrics history: the bodies of `Pane.set_limit`,
//! `Pane.limits`, `Pane.clear_limit`, `Pane.metrics_history`, `Session.set_keep`,
//! `Session.keep`, `Client.gc_enable`, `Client.gc_disable`, `Client.gc_run` and
//! `Client.gc_status` (the `#[pymethods]` in [`crate::pane`], [`crate::session`] and
//! [`crate::client`] only forward here).
//!
//! Each converts its arguments, calls the core with the GIL released and returns the core's
//! record as a dict (`detached_dict`, same keys as the CLI's JSON).

use crate::convert::IntOrText;
use crate::records::detached_dict;
use crate::wait::detached;
use ctmux_core::gc::{self, GcOptions};
use ctmux_core::limits::{LimitKind, LimitMode};
use ctmux_core::Error;
use pyo3::prelude::*;
use std::time::Duration;

/// A limit kind by name: `cpu` or `memory` (the core's parser; anything else InvalidInput).
fn kind(name: &str) -> ctmux_core::Result<LimitKind> {
    name.parse()
}

/// A grace period in seconds; negative, NaN and infinite are InvalidInput (the core checks
/// the maximum).
fn grace(seconds: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidInput {
                what: "grace",
                reason: format!("{s} is not a finite, non-negative number of seconds"),
            })
        })
        .transpose()
}

/// `Pane.set_limit(kind, value, *, mode=None, grace=None)`.
pub(crate) fn set_limit(
    py: Python<'_>,
    pane: &ctmux_core::Pane,
    kind_name: String,
    value: f64,
    mode: Option<String>,
    grace_seconds: Option<f64>,
) -> PyResult<Py<PyAny>> {
    detached_dict(py, || {
        let kind = kind(&kind_name)?;
        let mode = mode.as_deref().map(str::parse::<LimitMode>).transpose()?;
        pane.set_limit(kind, value, mode, grace(grace_seconds)?)
    })
}

/// `Pane.limits()`.
pub(crate) fn limits(py: Python<'_>, pane: &ctmux_core::Pane) -> PyResult<Py<PyAny>> {
    detached_dict(py, || pane.limits())
}

/// `Pane.clear_limit(kind=None)`.
pub(crate) fn clear_limit(
    py: Python<'_>,
    pane: &ctmux_core::Pane,
    kind_name: Option<String>,
) -> PyResult<Py<PyAny>> {
    detached_dict(py, || {
        let kind = kind_name.as_deref().map(kind).transpose()?;
        pane.clear_limit(kind)
    })
}

/// `Pane.metrics_history(seconds=None)`: what the daemon sampled for the pane.
pub(crate) fn metrics_history(
    py: Python<'_>,
    pane: &ctmux_core::Pane,
    seconds: Option<f64>,
) -> PyResult<Py<PyAny>> {
    detached_dict(py, || {
        pane.session()
            .client()
            .metrics_history(&pane.id().to_string(), seconds)
    })
}

/// `Session.set_keep(keep)`.
pub(crate) fn set_keep(py: Python<'_>, session: &ctmux_core::Session, keep: bool) -> PyResult<()> {
    detached(py, || session.set_keep(keep))
}

/// `Session.keep`.
pub(crate) fn keep(py: Python<'_>, session: &ctmux_core::Session) -> PyResult<bool> {
    detached(py, || session.keep())
}

/// `Client.gc_enable(ttl=None)`: `ttl` in seconds, or text with a unit (`"90m"`, `"2h"`).
pub(crate) fn gc_enable(
    py: Python<'_>,
    client: &ctmux_core::Ctmux,
    ttl: Option<IntOrText>,
) -> PyResult<Py<PyAny>> {
    let ttl = ttl.map(IntOrText::into_text);
    detached_dict(py, || {
        let ttl = ttl.as_deref().map(gc::parse_ttl).transpose()?;
        gc::enable(client, ttl)
    })
}

/// `Client.gc_disable()`.
pub(crate) fn gc_disable(py: Python<'_>, client: &ctmux_core::Ctmux) -> PyResult<Py<PyAny>> {
    detached_dict(py, || gc::disable(client))
}

/// `Client.gc_run(force=False, dry_run=False)`.
pub(crate) fn gc_run(
    py: Python<'_>,
    client: &ctmux_core::Ctmux,
    force: bool,
    dry_run: bool,
) -> PyResult<Py<PyAny>> {
    detached_dict(py, || {
        let opts = GcOptions {
            force,
            ttl_seconds: None,
        };
        gc::run(client, &opts, dry_run)
    })
}

/// `Client.gc_status()`.
pub(crate) fn gc_status(py: Python<'_>, client: &ctmux_core::Ctmux) -> PyResult<Py<PyAny>> {
    detached_dict(py, || gc::status(client))
}
