//! Live output of a pane or a whole session, line by line, pushed by tmux.
//!
//! A [`OutputStream`] owns its own control-mode [`Connection`] attached to the session, read
//! losslessly: when the reader of the stream is slower than the pane, tmux holds the rest
//! for this client, so every line arrives once and in order (each carries a per-pane
//! sequence number to check it). Lines are decoded by [`LineDecoder`] (UTF-8 and escape
//! sequences split across notifications are decoded whole).
//!
//! A pane stream ends (`Ok(None)`) when its pane exits or is killed; a stream of any kind
//! ends with [`Error::ServerUnavailable`] when the tmux server goes away — also when it goes
//! away because the pane's exit closed its last session (tmux reports both alike). What was printed
//! before the stream was opened is not part of it (see [`Pane::tail`] for that).

use crate::control::{Connection, Notification};
use crate::error::{Error, Result};
use crate::events::lines::LineDecoder;
use crate::events::now_ms;
use crate::pane::Pane;
use crate::session::Session;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Notifications buffered between the connection and the stream's reader.
const CAPACITY: usize = 1024;

/// One line of output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamLine {
    /// The pane that printed it (`%3`).
    pub pane: String,
    /// 1 for the pane's first line in this stream, then 2, 3, ...
    pub seq: u64,
    /// When it arrived, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The text, without line end and escape sequences.
    pub text: String,
}

/// Live output lines of one pane or of every pane of a session.
#[derive(Debug)]
pub struct OutputStream {
    conn: Connection,
    rx: Receiver<Notification>,
    pane: Option<Pane>,
    decoders: HashMap<String, (LineDecoder, u64)>,
    ready: VecDeque<StreamLine>,
    end: Option<End>,
}

#[derive(Debug)]
enum End {
    /// The pane (or session) is gone: the stream is over.
    Finished,
    /// The server went away.
    Server(String),
}

impl Pane {
    /// Stream this pane's output from now on.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone; [`Error::ServerUnavailable`] without a server.
    pub fn stream(&self) -> Result<OutputStream> {
        self.info()?;
        OutputStream::open(self.session(), Some(self.clone()))
    }
}

impl Session {
    /// Stream the output of every pane of this session from now on.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the session is gone; [`Error::ServerUnavailable`] without a
    /// server.
    pub fn stream(&self) -> Result<OutputStream> {
        OutputStream::open(self, None)
    }
}

impl OutputStream {
    fn open(session: &Session, pane: Option<Pane>) -> Result<OutputStream> {
        let conn = Connection::open(session.client().server(), Some(session.id()))?;
        let rx = conn.subscribe_lossless(CAPACITY);
        Ok(OutputStream {
            conn,
            rx,
            pane,
            decoders: HashMap::new(),
            ready: VecDeque::new(),
            end: None,
        })
    }

    /// The next line, waiting at most `timeout` (`None`: for ever). `Ok(None)` once the
    /// stream is over (the pane exited or was killed, or the session closed).
    ///
    /// # Errors
    /// [`Error::Timeout`] when nothing arrived in time (the stream stays usable);
    /// [`Error::ServerUnavailable`] when the server went away (then the stream is over).
    pub fn next_line(&mut self, timeout: Option<Duration>) -> Result<Option<StreamLine>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(Some(line));
            }
            match &self.end {
                Some(End::Finished) => return Ok(None),
                Some(End::Server(reason)) => return Err(Error::ServerUnavailable(reason.clone())),
                None => {}
            }
            let n = match deadline {
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(d) => self
                    .rx
                    .recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match n {
                Ok(n) => self.on_notification(n),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(Error::Timeout {
                        what: "stream output".into(),
                        seconds: timeout.unwrap_or_default().as_secs_f64(),
                        partial: Default::default(),
                    })
                }
                Err(RecvTimeoutError::Disconnected) => self.on_closed(),
            }
        }
    }

    fn wants(&self, pane: &str) -> bool {
        self.pane
            .as_ref()
            .is_none_or(|p| p.id().to_string() == pane)
    }

    fn on_notification(&mut self, n: Notification) {
        match n {
            Notification::Output { pane, data }
            | Notification::ExtendedOutput { pane, data, .. } => {
                let pane = pane.to_string();
                if !self.wants(&pane) {
                    return;
                }
                let (dec, seq) = self.decoders.entry(pane.clone()).or_default();
                let mut lines = Vec::new();
                dec.feed(&data, &mut lines);
                let time_ms = now_ms();
                for line in lines {
                    if line.hidden || (line.finished.is_some() && line.text.is_empty()) {
                        continue;
                    }
                    *seq += 1;
                    self.ready.push_back(StreamLine {
                        pane: pane.clone(),
                        seq: *seq,
                        time_ms,
                        text: line.text,
                    });
                }
            }
            Notification::WindowClose { .. } | Notification::LayoutChange { .. } => {
                if let Some(p) = &self.pane {
                    // Is our pane still there (and alive)? Asked through the pane's own
                    // client, never through this connection (whose reader may be waiting
                    // for us).
                    match p.info() {
                        Ok(info) if !info.dead => {}
                        Ok(_) => self.finish(),
                        Err(e) if e.kind() == crate::ErrorKind::NotFound => self.finish(),
                        Err(_) => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn on_closed(&mut self) {
        let reason = self
            .conn
            .close_reason()
            .unwrap_or_else(|| "control client ended".into());
        // The server is gone: killed, or it exited because the pane's own exit ended its last
        // session. tmux announces both the same way (`%sessions-changed`, then `%exit`, client
        // status 0), and by then the pane's process is gone in both cases, so this is
        // reported as the server going away either way (the message says both).
        let server_gone = self.conn.server_went_away() || !self.server_running();
        let reason = if server_gone && self.pane.is_some() {
            format!(
                "{reason}: the tmux server exited (killed, or this pane ended its last session)"
            )
        } else {
            reason
        };
        self.flush();
        if server_gone {
            self.end = Some(End::Server(reason));
        } else {
            self.end = Some(End::Finished);
        }
    }

    fn server_running(&self) -> bool {
        match &self.pane {
            Some(p) => p.session().client().server().is_running(),
            None => false,
        }
    }

    fn flush(&mut self) {
        let time_ms = now_ms();
        let mut panes: Vec<String> = self.decoders.keys().cloned().collect();
        panes.sort();
        for pane in panes {
            if let Some((dec, seq)) = self.decoders.get_mut(&pane) {
                if let Some(line) = dec.finish() {
                    if line.text.is_empty() || line.hidden {
                        continue;
                    }
                    *seq += 1;
                    self.ready.push_back(StreamLine {
                        pane: pane.clone(),
                        seq: *seq,
                        time_ms,
                        text: line.text,
                    });
                }
            }
        }
    }

    fn finish(&mut self) {
        if self.end.is_none() {
            self.flush();
            self.end = Some(End::Finished);
        }
    }
}

impl Iterator for OutputStream {
    type Item = Result<StreamLine>;

    /// Lines until the stream is over; a server going away is the last item, as an error.
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_line(None) {
            Ok(Some(l)) => Some(Ok(l)),
            Ok(None) => None,
            Err(e) => {
                if matches!(self.end, Some(End::Server(_))) {
                    self.end = Some(End::Finished);
                }
                Some(Err(e))
            }
        }
    }
}

impl Pane {
    /// The last `lines` non-empty-trailing lines of the pane (history included), oldest
    /// first — what `pane-tail` prints before following.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone; [`Error::InvalidInput`] for 0 lines.
    pub fn tail(&self, lines: usize) -> Result<Vec<String>> {
        if lines == 0 || lines > 1_000_000 {
            return Err(Error::invalid("lines", "must be 1..=1000000"));
        }
        let text = self.capture(Some(lines as u32 + 200))?;
        // (Pane::capture leaves the exec end markers out.)
        let cleaned: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut all: Vec<&str> = cleaned.iter().map(String::as_str).collect();
        while all.last().is_some_and(|l| l.trim().is_empty()) {
            all.pop();
        }
        let start = all.len().saturating_sub(lines);
        Ok(all[start..].iter().map(|s| (*s).to_owned()).collect())
    }
}
