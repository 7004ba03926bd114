//! `Pane` and `ExecHandle`: one pane, addressed by its tmux id, and a command started in it.

use crate::convert;
use crate::live::{AsyncIterable, OutputStream};
use crate::records::{from_core, ExecResult, PaneInfo, PaneMetrics, PaneStatus, PatternMatch};
use crate::session::Session;
use crate::Blocking;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::BTreeMap;

/// A pane, addressed by its tmux id (`%3`).
#[napi]
pub struct Pane {
    pub(crate) inner: ctmux_core::Pane,
}

/// `Blocking::task` over a clone of the pane's core handle.
fn on(pane: &Pane) -> ctmux_core::Pane {
    pane.inner.clone()
}

#[napi]
impl Pane {
    /// The pane's tmux id (`%3`).
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The session the pane was found in.
    #[napi(getter)]
    pub fn session(&self) -> Session {
        Session {
            inner: self.inner.session().clone(),
        }
    }

    /// Fresh facts about the pane.
    #[napi(ts_return_type = "Promise<PaneInfo>")]
    pub fn info(&self) -> AsyncTask<Blocking<PaneInfo>> {
        let pane = on(self);
        Blocking::task(move || pane.info().map(PaneInfo::from))
    }

    /// The pane's listing, foreground job and last exec.
    #[napi(ts_return_type = "Promise<PaneStatus>")]
    pub fn status(&self) -> AsyncTask<Blocking<PaneStatus>> {
        let pane = on(self);
        Blocking::task(move || pane.status().map(PaneStatus::from))
    }

    /// Whether a foreground job other than the shell runs.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn is_running(&self) -> AsyncTask<Blocking<bool>> {
        let pane = on(self);
        Blocking::task(move || pane.is_running())
    }

    /// Start `command` in the pane's shell; resolves at once with its handle. `options` as
    /// for `run`.
    #[napi(ts_return_type = "Promise<ExecHandle>")]
    pub fn exec(
        &self,
        command: String,
        options: Option<ExecOptions>,
    ) -> AsyncTask<Blocking<ExecHandle>> {
        let pane = on(self);
        let o = options.unwrap_or_default();
        Blocking::task(move || {
            let opts =
                convert::exec_options(o.raw, o.max_output, o.memory_cap, o.if_pending.as_deref())?;
            Ok(ExecHandle {
                inner: pane.exec_with(&command, &opts)?,
            })
        })
    }

    /// Run `command` and wait for it, at most `timeoutSeconds` (default: no limit).
    /// `options`: `raw` (also the bytes written, `outputRaw`), `maxOutput`, `memoryCap`.
    #[napi(ts_return_type = "Promise<ExecResult>")]
    pub fn run(
        &self,
        command: String,
        timeout_seconds: Option<f64>,
        options: Option<ExecOptions>,
    ) -> AsyncTask<Blocking<ExecResult>> {
        let pane = on(self);
        let o = options.unwrap_or_default();
        Blocking::task(move || {
            let timeout = convert::timeout(timeout_seconds)?;
            let opts =
                convert::exec_options(o.raw, o.max_output, o.memory_cap, o.if_pending.as_deref())?;
            pane.run_with(&command, timeout, &opts)
                .map(ExecResult::from)
        })
    }

    /// Run `command`; after `timeoutSeconds` send it SIGINT and reject with `code: 'Timeout'`
    /// and the output so far in `partialOutput`.
    #[napi(ts_return_type = "Promise<ExecResult>")]
    pub fn run_or_interrupt(
        &self,
        command: String,
        timeout_seconds: f64,
    ) -> AsyncTask<Blocking<ExecResult>> {
        let pane = on(self);
        Blocking::task(move || {
            let timeout = convert::timeout(Some(timeout_seconds))?.unwrap_or_default();
            pane.run_or_interrupt(&command, timeout)
                .map(ExecResult::from)
        })
    }

    /// Wait for the pane's current work: the last exec ctmux started (its result), or any
    /// foreground job (then `null`).
    #[napi(ts_return_type = "Promise<ExecResult | null>")]
    pub fn wait(&self, timeout_seconds: Option<f64>) -> AsyncTask<Blocking<Option<ExecResult>>> {
        let pane = on(self);
        Blocking::task(move || {
            let timeout = convert::timeout(timeout_seconds)?;
            Ok(pane.wait(timeout)?.map(ExecResult::from))
        })
    }

    /// The visible screen plus up to `lines` lines of history above it.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn capture(&self, lines: Option<f64>) -> AsyncTask<Blocking<String>> {
        let pane = on(self);
        Blocking::task(move || pane.capture(convert::whole("lines", lines, u32::MAX)?))
    }

    /// The last line matching `pattern` (Rust regex syntax) in the screen plus `lines` lines
    /// of history, or `null`.
    #[napi(ts_return_type = "Promise<PatternMatch | null>")]
    pub fn has_pattern(
        &self,
        pattern: String,
        lines: Option<f64>,
    ) -> AsyncTask<Blocking<Option<PatternMatch>>> {
        let pane = on(self);
        Blocking::task(move || {
            let lines = convert::whole("lines", lines, u32::MAX)?;
            Ok(pane.has_pattern(&pattern, lines)?.map(PatternMatch::from))
        })
    }

    /// Wait until `pattern` matches a line (text already there counts), at most
    /// `timeoutSeconds` (default: no limit).
    #[napi(ts_return_type = "Promise<PatternMatch>")]
    pub fn wait_for(
        &self,
        pattern: String,
        timeout_seconds: Option<f64>,
        lines: Option<f64>,
    ) -> AsyncTask<Blocking<PatternMatch>> {
        let pane = on(self);
        Blocking::task(move || {
            let timeout = convert::timeout(timeout_seconds)?;
            let lines = convert::whole("lines", lines, u32::MAX)?;
            pane.watch(&pattern, timeout, lines).map(PatternMatch::from)
        })
    }

    /// Stream the pane's output lines from now on: an async iterable `OutputStream`.
    #[napi(ts_return_type = "Promise<OutputStream>")]
    pub fn stream(&self) -> AsyncTask<Blocking<AsyncIterable<OutputStream>>> {
        let pane = on(self);
        Blocking::task(move || pane.stream().map(OutputStream::new))
    }

    /// The last `lines` lines of the pane (history included), oldest first.
    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn tail(&self, lines: f64) -> AsyncTask<Blocking<Vec<String>>> {
        let pane = on(self);
        Blocking::task(move || {
            let lines = convert::whole("lines", Some(lines), u32::MAX)?.unwrap_or_default();
            pane.tail(lines as usize)
        })
    }

    /// The pane's label, or `null`.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn label(&self) -> AsyncTask<Blocking<Option<String>>> {
        let pane = on(self);
        Blocking::task(move || pane.label())
    }

    /// Set or replace the pane's label (unique within its session).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_label(&self, label: String) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        Blocking::task(move || pane.set_label(&label))
    }

    /// Set metadata `key` (`[A-Za-z0-9_-]{1,64}`) to `value`; it lives in tmux and dies with
    /// the pane.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn metadata_set(&self, key: String, value: String) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        Blocking::task(move || pane.metadata_set(&key, &value))
    }

    /// The value of metadata `key` (rejects with `code: 'NotFound'` if unset).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn metadata_get(&self, key: String) -> AsyncTask<Blocking<String>> {
        let pane = on(self);
        Blocking::task(move || pane.metadata_get(&key))
    }

    /// All metadata of the pane.
    #[napi(ts_return_type = "Promise<Record<string, string>>")]
    pub fn metadata_list(&self) -> AsyncTask<Blocking<BTreeMap<String, String>>> {
        let pane = on(self);
        Blocking::task(move || pane.metadata_list())
    }

    /// Remove metadata `key` (rejects with `code: 'NotFound'` if unset).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn metadata_delete(&self, key: String) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        Blocking::task(move || pane.metadata_delete(&key))
    }

    /// Send tmux key names (`'C-c'`, `'Enter'`, `'Up'`, or text), one or an array, as
    /// `send-keys` does.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_keys(&self, keys: Either<String, Vec<String>>) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        let keys = match keys {
            Either::A(key) => vec![key],
            Either::B(keys) => keys,
        };
        Blocking::task(move || pane.send_keys(&keys))
    }

    /// Type `text` literally, without pressing Enter.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_text(&self, text: String) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        Blocking::task(move || pane.send_text(&text))
    }

    /// Send `signal` (`'SIGINT'`, `'TERM'`, `9`) to the pane's foreground job, never to its
    /// shell. Resolves with the process groups signalled.
    #[napi(ts_return_type = "Promise<Array<number>>")]
    pub fn signal(&self, signal: Either<String, f64>) -> AsyncTask<Blocking<Vec<i32>>> {
        let pane = on(self);
        let signal = convert::text(signal);
        Blocking::task(move || pane.signal(&signal))
    }

    /// CPU and memory of the pane's process tree (`processes` adds the per-process
    /// breakdown); the client's first reading of the pane samples for `intervalMs` (default
    /// 250, 10..=60000), later ones return at once.
    #[napi(ts_return_type = "Promise<PaneMetrics>")]
    pub fn metrics(
        &self,
        interval_ms: Option<f64>,
        processes: Option<bool>,
    ) -> AsyncTask<Blocking<PaneMetrics>> {
        let pane = on(self);
        Blocking::task(move || {
            from_core(pane.metrics(
                convert::interval_ms(interval_ms)?,
                processes.unwrap_or(false),
            )?)
        })
    }

    /// Kill the pane (its session too if it was the last pane).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn kill(&self) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        Blocking::task(move || pane.kill())
    }

    /// Clear ctmux's exec state on the pane (the way out when its last exec will never
    /// report): a pending exec is recorded as finished (-1), `remain-on-exit` is put back,
    /// ctmux's `pipe-pane` is closed and the exec's files are removed. The shell and any job
    /// in it are left alone.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn reset(&self) -> AsyncTask<Blocking<()>> {
        let pane = on(self);
        Blocking::task(move || pane.reset())
    }
}

/// Options of `pane.exec` and `pane.run`; an absent one takes the core's default.
#[napi(object)]
#[derive(Default)]
pub struct ExecOptions {
    /// Also keep the bytes the command writes (`ExecResult.outputRaw`). Default false.
    pub raw: Option<bool>,
    /// Keep at most this many bytes of output; beyond it `truncated` is set. Default: no cap.
    pub max_output: Option<f64>,
    /// Bytes of output kept in memory; beyond it the output goes to a file (`outputFile`,
    /// `rawFile`). Default 16 MiB.
    pub memory_cap: Option<f64>,
    /// Text already typed at the prompt: `'clear'` it (default) or `'fail'` (reject with
    /// `code: 'Busy'` naming it, and leave it typed).
    #[napi(ts_type = "'clear' | 'fail'")]
    pub if_pending: Option<String>,
}

/// A command started with `pane.exec`; `wait()` collects its result.
#[napi]
pub struct ExecHandle {
    inner: ctmux_core::ExecHandle,
}

#[napi]
impl ExecHandle {
    /// The exec's id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// The pane it runs in.
    #[napi(getter)]
    pub fn pane(&self) -> Pane {
        Pane {
            inner: self.inner.pane().clone(),
        }
    }

    /// Wait until the command finishes, at most `timeoutSeconds` (default: no limit).
    #[napi(ts_return_type = "Promise<ExecResult>")]
    pub fn wait(&self, timeout_seconds: Option<f64>) -> AsyncTask<Blocking<ExecResult>> {
        let handle = self.inner.clone();
        Blocking::task(move || {
            let timeout = convert::timeout(timeout_seconds)?;
            handle.wait(timeout).map(ExecResult::from)
        })
    }

    /// What the command has printed so far (`null` if the pane cannot be read).
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn partial_output(&self) -> AsyncTask<Blocking<Option<String>>> {
        let handle = self.inner.clone();
        Blocking::task(move || Ok(handle.partial_output()))
    }
}
