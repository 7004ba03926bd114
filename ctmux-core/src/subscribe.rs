//! [`Subscription`]: events as an iterator with timeouts, from the daemon when one runs for
//! the server, else from an in-process [`Watcher`] that lives as long as the subscription.

use crate::client::Ctmux;
use crate::daemon::{self, protocol::Request, DaemonPaths};
use crate::error::{Error, Result};
use crate::events::hub::{Hub, DEFAULT_CAPACITY};
use crate::events::watcher::Watcher;
use crate::events::{Event, EventBody, EventFilter};
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stream of [`Event`]s matching a filter.
///
/// It ends (`Ok(None)`, iterator `None`) after the daemon reports that it stops; it ends
/// with [`Error::ServerUnavailable`] when the tmux server goes away.
#[derive(Debug)]
pub struct Subscription {
    source: Source,
    ended: bool,
}

#[derive(Debug)]
enum Source {
    Local {
        // Kept for its lifetime: dropping it stops the watcher.
        _watcher: Watcher,
        _hub: Arc<Hub>,
        rx: Receiver<Event>,
    },
    Daemon {
        reader: BufReader<UnixStream>,
        buf: Vec<u8>,
    },
}

impl Ctmux {
    /// Subscribe to events: through the server's daemon when one answers, else through an
    /// in-process watcher (which follows the server only while the subscription lives).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad filter (checked before anything else);
    /// [`Error::ServerUnavailable`] when no tmux server runs.
    pub fn subscribe(&self, filter: &EventFilter) -> Result<Subscription> {
        filter.compile()?;
        let paths = DaemonPaths::new(self.state_dir(), self.server())?;
        if paths.socket.exists() {
            match Subscription::via_daemon(&paths, filter) {
                Ok(s) => return Ok(s),
                Err(e) if e.kind() == crate::ErrorKind::ServerUnavailable => {
                    if !self.server().is_running() {
                        return Err(e);
                    }
                }
                Err(e) if e.kind() == crate::ErrorKind::InvalidInput => return Err(e),
                Err(_) => {}
            }
        }
        self.subscribe_local(filter)
    }

    /// Subscribe through an in-process watcher, whether or not a daemon runs.
    ///
    /// # Errors
    /// As [`Ctmux::subscribe`].
    pub fn subscribe_local(&self, filter: &EventFilter) -> Result<Subscription> {
        filter.compile()?;
        if !self.server().is_running() {
            return Err(Error::ServerUnavailable(format!(
                "no tmux server on {}",
                self.server().socket_file().display()
            )));
        }
        let hub = Arc::new(Hub::new());
        let (_, rx) = hub.subscribe(filter, DEFAULT_CAPACITY)?;
        let watcher = Watcher::start(self.server().clone(), Arc::clone(&hub))?;
        Ok(Subscription {
            source: Source::Local {
                _watcher: watcher,
                _hub: hub,
                rx,
            },
            ended: false,
        })
    }
}

impl Subscription {
    fn via_daemon(paths: &DaemonPaths, filter: &EventFilter) -> Result<Subscription> {
        let mut stream = daemon::connect(paths)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| Error::io("setting a socket timeout", e))?;
        daemon::send(
            &mut stream,
            &Request::Subscribe {
                filter: filter.clone(),
            },
        )?;
        let mut reader = BufReader::new(stream);
        let first = daemon::read_reply(&mut reader)?;
        if first.get("server_running") == Some(&serde_json::Value::Bool(false)) {
            return Err(Error::ServerUnavailable(
                "the daemon reports no tmux server running".into(),
            ));
        }
        Ok(Subscription {
            source: Source::Daemon {
                reader,
                buf: Vec::new(),
            },
            ended: false,
        })
    }

    /// Whether events come from the daemon (else from an in-process watcher).
    pub fn via_daemon_socket(&self) -> bool {
        matches!(self.source, Source::Daemon { .. })
    }

    /// The next event, waiting at most `timeout` (`None`: for ever). `Ok(None)` once the
    /// subscription is over.
    ///
    /// # Errors
    /// [`Error::Timeout`] when nothing came in time (the subscription stays usable);
    /// [`Error::ServerUnavailable`] when the tmux server went away (then it is over);
    /// [`Error::Io`] when the daemon connection broke.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        if self.ended {
            return Ok(None);
        }
        let event = match &mut self.source {
            Source::Local { rx, _hub: hub, .. } => {
                hub.flush_lagged();
                match timeout {
                    None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    Some(t) => rx.recv_timeout(t),
                }
                .map_err(|e| match e {
                    RecvTimeoutError::Timeout => timed_out(timeout),
                    RecvTimeoutError::Disconnected => {
                        Error::ServerUnavailable("the watcher stopped".into())
                    }
                })
                .map(Some)
            }
            Source::Daemon { reader, buf } => read_event(reader, buf, timeout),
        };
        let event = match event {
            Ok(Some(e)) => e,
            Ok(None) => {
                self.ended = true;
                return Ok(None);
            }
            Err(e) => {
                if e.kind() != crate::ErrorKind::Timeout {
                    self.ended = true;
                }
                return Err(e);
            }
        };
        match &event.body {
            EventBody::ServerLost { reason } => {
                self.ended = true;
                Err(Error::ServerUnavailable(reason.clone()))
            }
            EventBody::DaemonStopped { .. } => {
                self.ended = true;
                Ok(Some(event))
            }
            _ => Ok(Some(event)),
        }
    }
}

fn timed_out(timeout: Option<Duration>) -> Error {
    Error::Timeout {
        what: "an event".into(),
        seconds: timeout.unwrap_or_default().as_secs_f64(),
        partial: Default::default(),
    }
}

fn read_event(
    reader: &mut BufReader<UnixStream>,
    buf: &mut Vec<u8>,
    timeout: Option<Duration>,
) -> Result<Option<Event>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let wait = match deadline {
            None => None,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(timed_out(timeout));
                }
                Some(left)
            }
        };
        reader
            .get_ref()
            .set_read_timeout(wait)
            .map_err(|e| Error::io("setting a socket timeout", e))?;
        match reader.read_until(b'\n', buf) {
            Ok(0) => {
                return if buf.is_empty() {
                    Ok(None)
                } else {
                    Err(Error::io(
                        "reading events from the daemon",
                        std::io::ErrorKind::UnexpectedEof.into(),
                    ))
                }
            }
            Ok(_) if buf.last() == Some(&b'\n') => {
                let line = std::mem::take(buf);
                return serde_json::from_slice(&line)
                    .map(Some)
                    .map_err(|e| Error::Corrupt {
                        what: "event from the daemon".into(),
                        reason: e.to_string(),
                    });
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("reading events from the daemon", e)),
        }
    }
}

impl Iterator for Subscription {
    type Item = Result<Event>;

    /// Events until the subscription is over; a server going away is the last item, as an
    /// error.
    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        match self.next_event(None) {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
