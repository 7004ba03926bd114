//! The pluggable backend: a tmux command goes in as argv, its output comes back.
//!
//! No domain types cross this trait. [`ProcessBackend`] runs one `tmux` process per command;
//! a control-mode backend (one persistent `tmux -C` connection) plugs in behind the same trait.

use crate::error::{Error, Result};
use crate::server::Server;
use std::sync::atomic::{AtomicU64, Ordering};

/// Runs tmux commands against one server.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Run one tmux command (`argv[0]` is the tmux command name, e.g. `list-sessions`) and
    /// return what it printed on stdout.
    ///
    /// # Errors
    /// [`Error::ServerUnavailable`] when no server runs, [`Error::NotFound`] when tmux cannot
    /// find the target, [`Error::AlreadyExists`] for a duplicate session, else
    /// [`Error::Tmux`] with tmux's message.
    fn run(&self, argv: &[String]) -> Result<String>;

    /// The server this backend talks to.
    fn server(&self) -> &Server;

    /// How many tmux commands this backend has issued (for command-budget tests).
    fn commands_issued(&self) -> u64;
}

/// One `tmux` process per command. Always available; the right choice for one-shot CLI calls.
#[derive(Debug)]
pub struct ProcessBackend {
    server: Server,
    issued: AtomicU64,
}

impl ProcessBackend {
    /// A backend for `server`.
    pub fn new(server: Server) -> Self {
        ProcessBackend {
            server,
            issued: AtomicU64::new(0),
        }
    }
}

/// Turn tmux's complaint about `command` into the right [`Error`].
pub fn classify_tmux_error(command: &str, stderr: &str) -> Error {
    let msg = stderr.trim().to_owned();
    let lower = msg.to_lowercase();
    if lower.contains("no server running")
        || lower.contains("error connecting to")
        || lower.contains("server exited")
        || lower.contains("lost server")
    {
        Error::ServerUnavailable(msg)
    } else if lower.contains("can't find") || lower.contains("no such") {
        let what = if lower.contains("session") {
            "session"
        } else if lower.contains("window") {
            "window"
        } else if lower.contains("pane") {
            "pane"
        } else {
            "target"
        };
        Error::NotFound { what, name: msg }
    } else if lower.contains("duplicate session") {
        Error::AlreadyExists {
            what: "session",
            name: msg,
        }
    } else {
        Error::Tmux {
            command: command.to_owned(),
            message: msg,
        }
    }
}

impl Backend for ProcessBackend {
    fn run(&self, argv: &[String]) -> Result<String> {
        let name = argv.first().map(String::as_str).unwrap_or("");
        // A server that is shutting down (its last session just closed) answers a new
        // client with "server exited unexpectedly" without running the command: retry, so
        // the command reaches a fresh server (or reports that none runs).
        let mut attempts = 0;
        loop {
            let result = self.run_once(name, argv);
            match &result {
                Err(Error::ServerUnavailable(msg))
                    if msg.contains("exited unexpectedly") && attempts < 5 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempts));
                }
                _ => return result,
            }
        }
    }

    fn server(&self) -> &Server {
        &self.server
    }

    fn commands_issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }
}

impl ProcessBackend {
    fn run_once(&self, name: &str, argv: &[String]) -> Result<String> {
        self.issued.fetch_add(1, Ordering::Relaxed);
        let out = self.server.command(argv).output().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::ServerUnavailable(format!(
                    "cannot run {}: not installed or not on PATH",
                    self.server.tmux_path().display()
                ))
            } else {
                Error::io(format!("running tmux {name}"), e)
            }
        })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stderr = if stderr.trim().is_empty() {
                String::from_utf8_lossy(&out.stdout).into_owned()
            } else {
                stderr.into_owned()
            };
            Err(classify_tmux_error(name, &stderr))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn classifies_tmux_messages() {
        let k = |m: &str| classify_tmux_error("x", m).kind();
        assert_eq!(
            k("no server running on /tmp/x"),
            ErrorKind::ServerUnavailable
        );
        assert_eq!(
            k("error connecting to /tmp/x (No such file or directory)"),
            ErrorKind::ServerUnavailable
        );
        assert_eq!(k("can't find session: nope"), ErrorKind::NotFound);
        assert_eq!(k("can't find pane: %99"), ErrorKind::NotFound);
        assert_eq!(k("duplicate session: a"), ErrorKind::AlreadyExists);
        assert_eq!(k("unknown command: foo"), ErrorKind::Tmux);
    }
}
