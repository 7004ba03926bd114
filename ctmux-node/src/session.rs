//! `Session`: a handle to one tmux session, addressed by its id.

use crate::client::Client;
use crate::convert;
use crate::live::{AsyncIterable, OutputStream};
use crate::pane::Pane;
use crate::records::{from_core, PaneInfo, SessionMetrics};
use crate::Blocking;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A tmux session: its id (`$3`) and the name it had when the handle was made. Collections
/// (`panes()`, `paneCount()`) always ask tmux.
#[napi]
pub struct Session {
    pub(crate) inner: ctmux_core::Session,
}

#[napi]
impl Session {
    /// tmux's session id (`$3`).
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// The session's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().as_str().to_owned()
    }

    /// The client this session belongs to.
    #[napi(getter)]
    pub fn client(&self) -> Client {
        Client {
            inner: self.inner.client().clone(),
        }
    }

    /// Every pane of the session (all windows), in window then pane order.
    #[napi(ts_return_type = "Promise<Array<PaneInfo>>")]
    pub fn panes(&self) -> AsyncTask<Blocking<Vec<PaneInfo>>> {
        let session = self.inner.clone();
        Blocking::task(move || Ok(session.panes()?.into_iter().map(PaneInfo::from).collect()))
    }

    /// The pane `pane`: an index (`0`), a tmux pane id (`'%3'`) or a label.
    #[napi(ts_return_type = "Promise<Pane>")]
    pub fn pane(&self, pane: Either<String, f64>) -> AsyncTask<Blocking<Pane>> {
        let session = self.inner.clone();
        let text = convert::text(pane);
        Blocking::task(move || {
            Ok(Pane {
                inner: session.pane_str(&text)?,
            })
        })
    }

    /// Split the active pane to make a new one, optionally labelled.
    #[napi(ts_return_type = "Promise<Pane>")]
    pub fn pane_create(&self, label: Option<String>) -> AsyncTask<Blocking<Pane>> {
        let session = self.inner.clone();
        Blocking::task(move || {
            Ok(Pane {
                inner: session.pane_create(label.as_deref())?,
            })
        })
    }

    /// Create a labelled pane and apply `layout` (`tiled`, `horizontal`, `vertical`,
    /// `main-horizontal`, `main-vertical` or a tmux layout string) to its window.
    #[napi(ts_return_type = "Promise<Pane>")]
    pub fn pane_create_with_layout(
        &self,
        label: String,
        layout: String,
    ) -> AsyncTask<Blocking<Pane>> {
        let session = self.inner.clone();
        Blocking::task(move || {
            Ok(Pane {
                inner: session.pane_create_with_layout(&label, &layout)?,
            })
        })
    }

    /// The pane labelled `label`.
    #[napi(ts_return_type = "Promise<Pane>")]
    pub fn pane_find(&self, label: String) -> AsyncTask<Blocking<Pane>> {
        let session = self.inner.clone();
        Blocking::task(move || {
            Ok(Pane {
                inner: session.pane_find(&label)?,
            })
        })
    }

    /// Stream the output lines of every pane of the session from now on: an async iterable
    /// `OutputStream`.
    #[napi(ts_return_type = "Promise<OutputStream>")]
    pub fn stream(&self) -> AsyncTask<Blocking<AsyncIterable<OutputStream>>> {
        let session = self.inner.clone();
        Blocking::task(move || session.stream().map(OutputStream::new))
    }

    /// Number of panes over all windows.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn pane_count(&self) -> AsyncTask<Blocking<u32>> {
        let session = self.inner.clone();
        Blocking::task(move || Ok(u32::try_from(session.pane_count()?).unwrap_or(u32::MAX)))
    }

    /// CPU and memory of every pane's process tree and their sum; the client's first reading
    /// samples for `intervalMs` (default 250, 10..=60000), later ones return at once.
    #[napi(ts_return_type = "Promise<SessionMetrics>")]
    pub fn metrics(&self, interval_ms: Option<f64>) -> AsyncTask<Blocking<SessionMetrics>> {
        let session = self.inner.clone();
        Blocking::task(move || from_core(session.metrics(convert::interval_ms(interval_ms)?)?))
    }

    /// Kill the session.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn kill(&self) -> AsyncTask<Blocking<()>> {
        let session = self.inner.clone();
        Blocking::task(move || session.kill())
    }
}
