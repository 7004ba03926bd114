//! The exec's output, cut from the pane's byte stream between the wrapper's markers.
//!
//! [`Cutter`] finds exec `<id>`'s start and end markers in bytes arriving in any chunks and
//! hands out what lies between. [`Spool`] keeps those bytes (or their text) in memory up to a
//! cap and in a file beyond it. [`Tap`] runs a collector thread on a lossless subscription to
//! the pane's session (control mode `%output`): the thread only drains the channel into the
//! cutter and spools, so it never stalls the connection it reads from.

use super::render::Renderer;
use crate::control::Notification;
use crate::ids::PaneId;
use crate::marker::{self, Kind};
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a [`Cutter`] saw in one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Seen {
    /// The start marker.
    pub started: bool,
    /// The end marker, with the status.
    pub ended: Option<i32>,
}

/// Finds one exec's output between its markers.
#[derive(Debug)]
pub(crate) struct Cutter {
    id: Vec<u8>,
    buf: Vec<u8>,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    In,
    /// Between a pause and a resume marker (the job is stopped, the shell shows its prompt).
    Paused,
    Done,
}

impl Cutter {
    /// A cutter for exec `id`.
    pub(crate) fn new(id: &str) -> Self {
        Cutter {
            id: id.as_bytes().to_vec(),
            buf: Vec::new(),
            phase: Phase::Before,
        }
    }

    /// Whether the start marker was seen.
    pub(crate) fn started(&self) -> bool {
        self.phase != Phase::Before
    }

    /// Feed the next chunk; `out` gets the output bytes in it.
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut dyn FnMut(&[u8])) -> Seen {
        let mut seen = Seen::default();
        if self.phase == Phase::Done {
            return seen;
        }
        self.buf.extend_from_slice(data);
        let mut from = 0;
        if self.phase == Phase::Before {
            let start = marker::find_all(&self.buf)
                .find(|m| m.id == self.id.as_slice() && m.kind == Kind::Start)
                .map(|m| m.end());
            match start {
                Some(end) => {
                    self.phase = Phase::In;
                    seen.started = true;
                    from = end;
                }
                None => {
                    let keep = marker::partial_tail(&self.buf);
                    self.buf.drain(..keep);
                    return seen;
                }
            }
        }
        loop {
            let rest = &self.buf[from..];
            let next = marker::find_all(rest).find(|m| {
                m.id == self.id.as_slice()
                    && match self.phase {
                        Phase::Paused => m.kind == Kind::Resume,
                        _ => matches!(m.kind, Kind::End(_) | Kind::Pause),
                    }
            });
            let Some(m) = next else {
                let keep = marker::partial_tail(rest);
                if self.phase == Phase::In {
                    out(&rest[..keep]);
                }
                let tail = rest[keep..].to_vec();
                self.buf = tail;
                return seen;
            };
            if self.phase == Phase::In {
                out(&rest[..m.start]);
            }
            from += m.end();
            match m.kind {
                Kind::End(rc) => {
                    seen.ended = Some(rc);
                    self.phase = Phase::Done;
                    self.buf = Vec::new();
                    return seen;
                }
                Kind::Pause => self.phase = Phase::Paused,
                _ => self.phase = Phase::In,
            }
        }
    }

    /// Bytes held back as a possible marker start (output, if the stream ends here).
    pub(crate) fn held(&self) -> &[u8] {
        if self.phase == Phase::In {
            &self.buf
        } else {
            &[]
        }
    }
}

/// Bytes kept in memory up to `cap`, then in a file (memory keeps the last `cap` bytes).
#[derive(Debug)]
pub(crate) struct Spool {
    mem: Vec<u8>,
    cap: usize,
    limit: Option<u64>,
    total: u64,
    truncated: bool,
    path: PathBuf,
    file: Option<std::fs::File>,
    error: Option<String>,
}

/// A finished [`Spool`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Spooled {
    /// Everything, or (when spilled) the last `cap` bytes.
    pub bytes: Vec<u8>,
    /// The file holding everything, when it did not fit.
    pub file: Option<PathBuf>,
    /// Whether the caller's limit cut it.
    pub truncated: bool,
}

impl Spool {
    /// A spool keeping `cap` bytes in memory, spilling to `path`, dropping beyond `limit`.
    pub(crate) fn new(cap: usize, limit: Option<u64>, path: PathBuf) -> Self {
        Spool {
            mem: Vec::new(),
            cap,
            limit,
            total: 0,
            truncated: false,
            path,
            file: None,
            error: None,
        }
    }

    /// Add bytes.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if let Some(limit) = self.limit {
            let room = limit.saturating_sub(self.total);
            if (bytes.len() as u64) > room {
                bytes = &bytes[..room as usize];
                self.truncated = true;
            }
        }
        if bytes.is_empty() {
            return;
        }
        self.total += bytes.len() as u64;
        if self.file.is_none() && self.error.is_none() && self.mem.len() + bytes.len() > self.cap {
            match crate::state::create_private(&self.path) {
                Ok(mut f) => match f.write_all(&self.mem) {
                    Ok(()) => self.file = Some(f),
                    Err(e) => self.error = Some(e.to_string()),
                },
                Err(e) => self.error = Some(e.to_string()),
            }
        }
        if let Some(f) = &mut self.file {
            if let Err(e) = f.write_all(bytes) {
                self.error = Some(e.to_string());
                self.file = None;
            }
            self.mem.extend_from_slice(bytes);
            if self.mem.len() > 2 * self.cap.max(1) {
                let cut = self.mem.len() - self.cap;
                self.mem.drain(..cut);
            }
        } else {
            self.mem.extend_from_slice(bytes);
        }
    }

    /// What is held now (for partial output).
    pub(crate) fn peek(&self) -> &[u8] {
        &self.mem
    }

    /// Finish: the bytes and the file, if spilled.
    pub(crate) fn finish(mut self) -> Spooled {
        let spilled = self.file.take().is_some() || self.error.is_some();
        if spilled && self.mem.len() > self.cap {
            let cut = self.mem.len() - self.cap;
            self.mem.drain(..cut);
        }
        Spooled {
            bytes: self.mem,
            file: (spilled && self.error.is_none()).then_some(self.path),
            truncated: self.truncated || self.error.is_some(),
        }
    }
}

/// How an exec's output is kept.
#[derive(Debug, Clone)]
pub(crate) struct Keep {
    /// In-memory cap (bytes of text, and of raw bytes when kept).
    pub memory_cap: usize,
    /// The caller's limit on the text (and raw) kept.
    pub max_output: Option<u64>,
    /// Whether the raw bytes are kept too.
    pub raw: bool,
    /// Where spilled text goes (`<path>.out`) and raw bytes (`<path>.raw`).
    pub spill: PathBuf,
}

/// The collected output of an exec.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collected {
    pub text: Spooled,
    pub raw: Option<Spooled>,
}

/// Cutter, renderer and spools fed together.
#[derive(Debug)]
pub(crate) struct Collector {
    cutter: Cutter,
    renderer: Option<Renderer>,
    text: Option<Spool>,
    raw: Option<Spool>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

impl Collector {
    /// A collector for exec `id`.
    pub(crate) fn new(id: &str, keep: &Keep) -> Self {
        let with = |ext: &str| {
            let mut p = keep.spill.clone().into_os_string();
            p.push(ext);
            PathBuf::from(p)
        };
        Collector {
            cutter: Cutter::new(id),
            renderer: Some(Renderer::new()),
            text: Some(Spool::new(keep.memory_cap, keep.max_output, with(".out"))),
            raw: keep
                .raw
                .then(|| Spool::new(keep.memory_cap, keep.max_output, with(".raw"))),
        }
    }

    /// Feed pane bytes.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Seen {
        let (renderer, text, raw) = (&mut self.renderer, &mut self.text, &mut self.raw);
        self.cutter.feed(data, &mut |bytes| {
            if let Some(r) = raw {
                r.push(bytes);
            }
            if let (Some(render), Some(t)) = (renderer.as_mut(), text.as_mut()) {
                t.push(render.feed(bytes).as_bytes());
            }
        })
    }

    /// Whether the start marker was seen.
    pub(crate) fn started(&self) -> bool {
        self.cutter.started()
    }

    /// The text so far (for a timeout's partial output).
    pub(crate) fn partial_text(&self) -> String {
        let mut s = self
            .text
            .as_ref()
            .map(|t| String::from_utf8_lossy(t.peek()).into_owned())
            .unwrap_or_default();
        if let Some(r) = &self.renderer {
            s.extend(r.pending_text());
        }
        s
    }

    /// Finish (at the end marker, or where the stream stopped) and hand out the output.
    pub(crate) fn finish(&mut self) -> Collected {
        let held = self.cutter.held().to_vec();
        if !held.is_empty() {
            if let Some(r) = &mut self.raw {
                r.push(&held);
            }
            if let (Some(render), Some(t)) = (self.renderer.as_mut(), self.text.as_mut()) {
                t.push(render.feed(&held).as_bytes());
            }
        }
        let mut text = self.text.take();
        if let (Some(render), Some(t)) = (self.renderer.take(), text.as_mut()) {
            t.push(render.finish().as_bytes());
        }
        Collected {
            text: text.map(Spool::finish).unwrap_or_default(),
            raw: self.raw.take().map(Spool::finish),
        }
    }
}

/// What the collector thread shares with waits.
#[derive(Debug)]
struct State {
    collector: Collector,
    ended: Option<i32>,
    /// The stream stopped (connection gone) before the end marker.
    closed: bool,
    last_output: Instant,
    /// The collected output, once finished.
    collected: Option<Collected>,
}

/// A running collection of one exec's output from the pushed byte stream.
#[derive(Debug)]
pub(crate) struct Tap {
    shared: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What [`Tap::wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TapEvent {
    /// The end marker, with the status.
    Ended(i32),
    /// The stream stopped without it.
    Closed,
    /// Nothing new within the slice.
    Nothing,
}

impl Tap {
    /// Start collecting exec `id`'s output of `pane` from `rx` (lossless notifications of the
    /// pane's session; `guard` keeps their connection open while the tap runs).
    pub(crate) fn start(
        rx: Receiver<Notification>,
        guard: Option<Box<dyn std::any::Any + Send>>,
        pane: PaneId,
        id: &str,
        keep: &Keep,
    ) -> Arc<Tap> {
        let shared = Arc::new((
            Mutex::new(State {
                collector: Collector::new(id, keep),
                ended: None,
                closed: false,
                last_output: Instant::now(),
                collected: None,
            }),
            Condvar::new(),
        ));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tap = Arc::new(Tap {
            shared: Arc::clone(&shared),
            stop: Arc::clone(&stop),
        });
        std::thread::spawn(move || {
            let _guard = guard;
            let (m, cv) = &*shared;
            loop {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(Notification::Output { pane: p, data })
                    | Ok(Notification::ExtendedOutput { pane: p, data, .. })
                        if p == pane =>
                    {
                        let mut st = lock(m);
                        st.last_output = Instant::now();
                        let seen = st.collector.feed(&data);
                        if let Some(rc) = seen.ended {
                            st.ended = Some(rc);
                            let c = st.collector.finish();
                            st.collected = Some(c);
                            cv.notify_all();
                            return;
                        }
                        if seen.started {
                            cv.notify_all();
                        }
                    }
                    Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        lock(m).closed = true;
                        cv.notify_all();
                        return;
                    }
                }
            }
        });
        tap
    }

    /// Wait up to `slice` for the end marker (or the stream's end).
    pub(crate) fn wait(&self, slice: Duration) -> TapEvent {
        let (m, cv) = &*self.shared;
        let deadline = Instant::now() + slice;
        let mut st = lock(m);
        loop {
            if let Some(rc) = st.ended {
                return TapEvent::Ended(rc);
            }
            if st.closed {
                return TapEvent::Closed;
            }
            let now = Instant::now();
            if now >= deadline {
                return TapEvent::Nothing;
            }
            st = cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Wait up to `slice` for the start marker; true once it was seen.
    pub(crate) fn wait_started(&self, slice: Duration) -> bool {
        let (m, cv) = &*self.shared;
        let deadline = Instant::now() + slice;
        let mut st = lock(m);
        loop {
            if st.collector.started() || st.ended.is_some() {
                return true;
            }
            let now = Instant::now();
            if st.closed || now >= deadline {
                return false;
            }
            st = cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// How long since the pane last printed anything.
    pub(crate) fn quiet_for(&self) -> Duration {
        lock(&self.shared.0).last_output.elapsed()
    }

    /// The text so far.
    pub(crate) fn partial_text(&self) -> String {
        let st = lock(&self.shared.0);
        match &st.collected {
            Some(c) => String::from_utf8_lossy(&c.text.bytes).into_owned(),
            None => st.collector.partial_text(),
        }
    }

    /// The collected output: at the end marker, or (the stream ended, the shell came back
    /// without reporting) what arrived until now, marked truncated (bytes may be missing).
    /// Stops the collector.
    pub(crate) fn take(&self) -> Collected {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut st = lock(&self.shared.0);
        if st.collected.is_none() {
            let mut c = st.collector.finish();
            c.text.truncated = true;
            st.collected = Some(c);
        }
        st.collected.clone().unwrap_or_default()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream(id: &str, out: &[u8], rc: i32) -> Vec<u8> {
        [
            &b"$  . '/s/exec/1.sh'\r\n"[..],
            &marker::start_bytes(id),
            out,
            &marker::end_bytes(id, rc),
            b"$ ",
        ]
        .concat()
    }

    #[test]
    fn cuts_between_the_markers() {
        let whole = stream("3x1", b"hi\r\n\x1b]0;t\x07there", 7);
        let mut c = Cutter::new("3x1");
        let mut got = Vec::new();
        let seen = c.feed(&whole, &mut |b| got.extend_from_slice(b));
        assert_eq!(
            seen,
            Seen {
                started: true,
                ended: Some(7)
            }
        );
        assert_eq!(got, b"hi\r\n\x1b]0;t\x07there");
        // A stopped job: the prompt and the typed `fg` between pause and resume are left out.
        let whole = [
            &marker::start_bytes("3x1")[..],
            b"a\r\n",
            b"\x1b]ctmux;p;3x1\x07$  __ctmux_fg\r\n\x1b]ctmux;r;3x1\x07",
            b"b\r\n",
            &marker::end_bytes("3x1", 130),
        ]
        .concat();
        for cut in 0..whole.len() {
            let mut c = Cutter::new("3x1");
            let mut got = Vec::new();
            c.feed(&whole[..cut], &mut |b| got.extend_from_slice(b));
            let seen = c.feed(&whole[cut..], &mut |b| got.extend_from_slice(b));
            assert_eq!(seen.ended, Some(130), "cut {cut}");
            assert_eq!(got, b"a\r\nb\r\n", "cut {cut}");
        }
        // Another exec's markers are not ours.
        let mut c = Cutter::new("3x2");
        let seen = c.feed(&whole, &mut |_| panic!("not ours"));
        assert_eq!(seen, Seen::default());
    }

    #[test]
    fn spool_spills_beyond_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.out");
        let mut s = Spool::new(10, None, path.clone());
        for _ in 0..10 {
            s.push(b"0123456789");
        }
        let done = s.finish();
        assert_eq!(done.bytes, b"0123456789");
        assert_eq!(done.file.as_deref(), Some(path.as_path()));
        assert_eq!(std::fs::read(&path).unwrap().len(), 100);
        assert!(!done.truncated);
        let mut s = Spool::new(100, Some(15), dir.path().join("y"));
        s.push(b"0123456789");
        s.push(b"0123456789");
        let done = s.finish();
        assert_eq!(
            (done.bytes.len(), done.truncated, done.file),
            (15, true, None)
        );
    }

    proptest! {
        #[test]
        fn any_chunking_cuts_the_same(
            out in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(0usize..400, 0..12),
            rc in 0..=255i32,
        ) {
            // Output cannot hold our own end marker (the wrapper prints it).
            let whole = stream("3x9", &out, rc);
            prop_assume!(marker::find_all(&out).next().is_none());
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(whole.len())).collect();
            cuts.sort_unstable();
            let mut c = Cutter::new("3x9");
            let mut got = Vec::new();
            let mut ended = None;
            let mut from = 0;
            for cut in cuts.into_iter().chain([whole.len()]) {
                let seen = c.feed(&whole[from..cut], &mut |b| got.extend_from_slice(b));
                ended = ended.or(seen.ended);
                from = cut;
            }
            prop_assert_eq!(ended, Some(rc));
            prop_assert_eq!(got, out);
        }
    }
}
