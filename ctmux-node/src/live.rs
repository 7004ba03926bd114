//! `OutputStream` and `Subscription`: live output lines of a pane or session, and events.
//!
//! Both are async iterables (`for await (const line of stream)`) whose `next(timeoutMs?)`
//! resolves with the next item or `null` once they are over. A `next()` wait may last for
//! ever (an idle pane), so it runs on a thread of its own, not on libuv's small thread pool
//! (which `fs` and the other methods share), and settles a Promise when done. The wait is
//! cut into 50 ms slices ([`Live`]) so that `close()` ends it promptly.

use crate::errors::IntoNapiResult;
use crate::records::Json;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one core wait of [`Live::next`] lasts before `close()` is looked at again.
const SLICE: Duration = Duration::from_millis(50);

/// A core stream or subscription shared by its JS object and the waits on it.
pub(crate) struct Live<S> {
    inner: Mutex<Option<S>>,
    closed: AtomicBool,
}

impl<S: Send + 'static> Live<S> {
    fn new(inner: S) -> Arc<Self> {
        Arc::new(Live {
            inner: Mutex::new(Some(inner)),
            closed: AtomicBool::new(false),
        })
    }

    /// Mark it closed; drop the core object now unless a wait holds it (that wait drops it
    /// within one slice). Never blocks the event loop.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Ok(mut guard) = self.inner.try_lock() {
            guard.take();
        }
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
            || self.inner.try_lock().map(|g| g.is_none()).unwrap_or(false)
    }

    /// The core's next item, waiting at most `timeout` (`None`: for ever) in 50 ms slices of
    /// `step(core, slice)`. `Ok(None)` once it is over or closed; an end (`Ok(None)`, or any
    /// error but a timeout) drops the core object.
    fn next<T>(
        &self,
        timeout: Option<Duration>,
        mut step: impl FnMut(&mut S, Duration) -> ctmux_core::Result<Option<T>>,
    ) -> ctmux_core::Result<Option<T>> {
        let started = Instant::now();
        loop {
            let slice = match timeout {
                None => SLICE,
                Some(t) => SLICE.min(t.saturating_sub(started.elapsed())),
            };
            let result = {
                let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                if self.closed.load(Ordering::SeqCst) {
                    guard.take();
                }
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
        }
    }

    /// `next` on a thread of its own; the returned Promise settles with its result.
    fn next_promise<'env, T, J>(
        self: &Arc<Self>,
        env: &'env Env,
        timeout_ms: Option<f64>,
        step: impl FnMut(&mut S, Duration) -> ctmux_core::Result<Option<T>> + Send + 'static,
        to_js: impl FnOnce(T) -> ctmux_core::Result<J> + Send + 'static,
    ) -> Result<Object<'env>>
    where
        T: Send + 'static,
        J: ToNapiValue + 'static,
    {
        let live = Arc::clone(self);
        let timeout = crate::convert::timeout_ms(timeout_ms);
        let (deferred, promise) = env.create_deferred()?;
        std::thread::Builder::new()
            .name("ctmux-next".into())
            .spawn(move || {
                let result = timeout
                    .and_then(|t| live.next(t, step))
                    .and_then(|item| item.map(to_js).transpose());
                deferred.resolve(move |env| result.js_err(&env));
            })
            .map_err(|e| Error::new(Status::GenericFailure, format!("starting a thread: {e}")))?;
        Ok(promise)
    }
}

/// One line of live output.
#[napi(object)]
pub struct StreamLine {
    /// The pane that printed it (`%3`).
    pub pane: String,
    /// 1 for the pane's first line in this stream, then 2, 3, ...
    pub seq: f64,
    /// When it arrived, milliseconds since the Unix epoch.
    pub time_ms: f64,
    /// The text, without line end and escape sequences.
    pub text: String,
}

impl From<ctmux_core::StreamLine> for StreamLine {
    fn from(l: ctmux_core::StreamLine) -> Self {
        StreamLine {
            pane: l.pane,
            seq: l.seq as f64,
            time_ms: l.time_ms as f64,
            text: l.text,
        }
    }
}

/// Live output lines of one pane or of every pane of a session, from the moment it was
/// opened (`pane.stream()`, `session.stream()`). An async iterable of `StreamLine`s that ends
/// when the pane (or session) is gone; a server that goes away rejects with
/// `code: 'ServerUnavailable'`. `break` in a `for await` loop closes it.
#[napi]
pub struct OutputStream {
    live: Arc<Live<ctmux_core::OutputStream>>,
    /// Lines that had already arrived when a `next()` got its line: handed out by
    /// `takeReady()` (what the async iterator asks first) and by later `next()` calls, so a
    /// burst costs one thread round trip, not one per line.
    ready: Arc<Mutex<VecDeque<ctmux_core::StreamLine>>>,
}

/// Most lines one `next()` moves into the ready buffer.
const READY_BATCH: usize = 1024;

impl OutputStream {
    pub(crate) fn new(inner: ctmux_core::OutputStream) -> AsyncIterable<Self> {
        AsyncIterable(OutputStream {
            live: Live::new(inner),
            ready: Arc::default(),
        })
    }
}

#[napi]
impl OutputStream {
    /// The next line, waiting at most `timeoutMs` milliseconds (default: no limit);
    /// `null` once the stream is over or closed. A `Timeout` rejection leaves it usable.
    #[napi(ts_return_type = "Promise<StreamLine | null>")]
    pub fn next<'env>(&self, env: &'env Env, timeout_ms: Option<f64>) -> Result<Object<'env>> {
        let ready = Arc::clone(&self.ready);
        self.live.next_promise(
            env,
            timeout_ms,
            move |s, slice| {
                // Never held while waiting: `takeReady()` runs on the event loop.
                let lock = || ready.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(line) = lock().pop_front() {
                    return Ok(Some(line));
                }
                let line = s.next_line(Some(slice))?;
                if line.is_some() {
                    // Take what has already arrived too (an end or an error stays in the
                    // core stream for the next call).
                    let mut more = Vec::new();
                    while more.len() < READY_BATCH {
                        match s.next_line(Some(Duration::ZERO)) {
                            Ok(Some(l)) => more.push(l),
                            _ => break,
                        }
                    }
                    lock().extend(more);
                }
                Ok(line)
            },
            |line| Ok(StreamLine::from(line)),
        )
    }

    /// The next line if it has already arrived, else `null` at once (never waits). The async
    /// iterator asks this before `next()`, so a burst of output is handed out without a
    /// thread round trip per line.
    #[napi]
    pub fn take_ready(&self) -> Option<StreamLine> {
        if self.live.closed() {
            return None;
        }
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
            .map(StreamLine::from)
    }

    /// Stop streaming (a pending `next()` resolves with `null`). Closing twice is harmless.
    #[napi]
    pub fn close(&self) {
        self.live.close();
        self.ready.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Whether the stream is closed or over.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.live.closed()
    }
}

/// Events matching a filter (`client.subscribe(...)`), as the objects the CLI prints
/// (`kind`, `seq`, `time_ms`, then the kind's own fields, keys as on the wire). An async
/// iterable that ends after the daemon says it stops; a server that goes away rejects with
/// `code: 'ServerUnavailable'`. `break` in a `for await` loop closes it.
#[napi]
pub struct Subscription {
    live: Arc<Live<ctmux_core::Subscription>>,
    via_daemon: bool,
}

impl Subscription {
    pub(crate) fn new(inner: ctmux_core::Subscription) -> AsyncIterable<Self> {
        AsyncIterable(Subscription {
            via_daemon: inner.via_daemon_socket(),
            live: Live::new(inner),
        })
    }
}

#[napi]
impl Subscription {
    /// The next event, waiting at most `timeoutMs` milliseconds (default: no limit);
    /// `null` once the subscription is over or closed. A `Timeout` rejection leaves it usable.
    #[napi(ts_return_type = "Promise<CtmuxEvent | null>")]
    pub fn next<'env>(&self, env: &'env Env, timeout_ms: Option<f64>) -> Result<Object<'env>> {
        self.live.next_promise(
            env,
            timeout_ms,
            |s, slice| s.next_event(Some(slice)),
            Json::from_core,
        )
    }

    /// Whether events come from the server's daemon (else from an in-process watcher that
    /// lives as long as this subscription).
    #[napi(getter)]
    pub fn via_daemon(&self) -> bool {
        self.via_daemon
    }

    /// Stop the subscription (a pending `next()` resolves with `null`). Closing twice is
    /// harmless.
    #[napi]
    pub fn close(&self) {
        self.live.close();
    }

    /// Whether the subscription is closed or over.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.live.closed()
    }
}

/// Gives an object with `next(): Promise<T | null>` and `close()` the async iterable
/// protocol: `[Symbol.asyncIterator]()` returns an iterator over `next()` until `null`,
/// whose `return()` (a `break` out of `for await`) calls `close()`.
const ATTACH_ASYNC_ITERATOR: &str = r#"(function attachAsyncIterator(source) {
  source[Symbol.asyncIterator] = function () {
    return {
      next: () => {
        const ready = typeof source.takeReady === 'function' ? source.takeReady() : null
        if (ready !== null && ready !== undefined) {
          return Promise.resolve({ done: false, value: ready })
        }
        return source.next().then((value) =>
          value === null ? { done: true, value: undefined } : { done: false, value })
      },
      return: () => {
        source.close()
        return Promise.resolve({ done: true, value: undefined })
      },
      [Symbol.asyncIterator] () { return this },
    }
  }
  return source
})"#;

/// A class instance that becomes async iterable when handed to JS (see
/// [`ATTACH_ASYNC_ITERATOR`]); the `.d.ts` side is in `dts-header.d.ts`.
pub struct AsyncIterable<T>(T);

impl<T: TypeName> TypeName for AsyncIterable<T> {
    fn type_name() -> &'static str {
        T::type_name()
    }

    fn value_type() -> ValueType {
        T::value_type()
    }
}

impl<T: ToNapiValue> ToNapiValue for AsyncIterable<T> {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: called by napi with a live env, as `T::to_napi_value` expects.
        let raw = unsafe { T::to_napi_value(raw_env, val.0)? };
        let env = Env::from_raw(raw_env);
        let attach: Function<Unknown, Unknown> = env.run_script(ATTACH_ASYNC_ITERATOR)?;
        // SAFETY: `raw` is the value just created in this env.
        attach.call(unsafe { Unknown::from_napi_value(raw_env, raw)? })?;
        Ok(raw)
    }
}
