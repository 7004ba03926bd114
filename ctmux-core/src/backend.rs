//! The pluggable backend: a tmux command goes in as argv, its output comes back.
//!
//! No domain types cross this trait. [`ProcessBackend`] runs one `tmux` process per command;
//! [`crate::ControlBackend`] keeps one persistent `tmux -C` connection. [`BackendKind`] names
//! them for [`crate::CtmuxBuilder`] and the `CTMUX_BACKEND` environment variable.

use crate::error::{Error, Result};
use crate::server::Server;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

    /// Run one tmux command whose output nobody needs, without waiting for it where the
    /// transport allows (a control connection runs commands in order, so this client's later
    /// commands see its effect). By default the same as [`Backend::run`].
    ///
    /// # Errors
    /// As [`Backend::run`], for what is known before the reply.
    fn post(&self, argv: &[String]) -> Result<()> {
        self.run(argv).map(drop)
    }

    /// The server this backend talks to.
    fn server(&self) -> &Server;

    /// How many tmux commands this backend has issued (for command-budget tests): one per
    /// [`Backend::run`], whatever the transport.
    fn commands_issued(&self) -> u64;

    /// The session (id, `$3`) that this backend's own (main) tmux client is attached to, if
    /// it keeps one. tmux counts a control-mode connection in `#{session_attached}`; reports
    /// of attached clients leave out every ctmux connection by its `TERM`
    /// ([`crate::control::CONTROL_TERM`]). `None` by default.
    fn own_client_session(&self) -> Option<String> {
        None
    }

    /// Notifications that tmux pushes from now on (`%output` of every pane of `session`,
    /// window and session changes, ...) through a client of this backend attached to
    /// `session` (an id, `$3`): tmux pushes `%output` only for the panes of the attached
    /// session. The channel is bounded (newer notifications are dropped while it is full,
    /// and the next read says so with [`crate::control::Notification::Lost`]) and closes
    /// when the client ends. `None` by default (no pushes: callers poll), and whenever this
    /// backend has no client attached to `session` and cannot attach one.
    fn subscribe_session(&self, session: &str) -> Option<crate::control::Subscription> {
        let _ = session;
        None
    }

    /// A lossless stream of what tmux pushes for `session` (an id, `$3`): every `%output`
    /// byte of its panes, none dropped (exec output is cut from it). By default a control
    /// connection of its own, attached to `session` for as long as the tap lives (~3 ms to
    /// open); the control backend hands out a stream of a connection it already has.
    ///
    /// # Errors
    /// [`Error::ServerUnavailable`] when no server runs or tmux cannot be started;
    /// [`Error::NotFound`] when `session` does not exist.
    fn tap_session(&self, session: &str) -> Result<crate::control::SessionTap> {
        crate::control::SessionTap::dedicated(self.server(), session)
    }
}

/// Which [`Backend`] to build when none is given explicitly.
///
/// - [`BackendKind::Process`] (the default): one `tmux` process per command (~2 ms each).
///   Nothing to keep open: the right choice for one-shot calls such as the CLI's.
/// - [`BackendKind::Control`]: one persistent `tmux -C` connection per client (~0.1 ms per
///   command after a one-time attach): the right choice for long-lived clients.
///
/// [`crate::CtmuxBuilder::build`] (and so [`crate::IsolatedServer::client`]) reads
/// [`BackendKind::ENV`] (`CTMUX_BACKEND=process|control`) when no backend or kind was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BackendKind {
    /// [`ProcessBackend`].
    #[default]
    Process,
    /// [`crate::ControlBackend`].
    Control,
}

impl BackendKind {
    /// The environment variable read by [`BackendKind::from_env`].
    pub const ENV: &'static str = "CTMUX_BACKEND";

    /// The kind named by `$CTMUX_BACKEND`; `None` when unset or empty.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a value other than `process` or `control`.
    pub fn from_env() -> Result<Option<BackendKind>> {
        match std::env::var(Self::ENV) {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => v.parse().map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::invalid(
                "CTMUX_BACKEND",
                "is not UTF-8; use process or control",
            )),
        }
    }

    /// The kind's name: `process` or `control`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Process => "process",
            BackendKind::Control => "control",
        }
    }

    /// A new backend of this kind for `server` (nothing is started yet).
    pub fn build(self, server: Server) -> Arc<dyn Backend> {
        match self {
            BackendKind::Process => Arc::new(ProcessBackend::new(server)),
            BackendKind::Control => Arc::new(crate::control::ControlBackend::new(server)),
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "process" => Ok(BackendKind::Process),
            "control" => Ok(BackendKind::Control),
            other => Err(Error::invalid(
                "backend",
                format!("{other:?}: use process or control"),
            )),
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
        let args: Vec<Cow<'_, str>> = argv.iter().map(|a| process_arg(a)).collect();
        let out = self.server.command(&args).output().map_err(|e| {
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

/// tmux reads a command-line argument that ends with `;` as that argument followed by a
/// command separator (`x;` is `x`, then `;`), and `x\;` as the literal `x;`. Escape it, so only
/// a bare `;` element separates commands (as over a control connection).
fn process_arg(arg: &str) -> Cow<'_, str> {
    match arg.strip_suffix(';') {
        Some(head) if arg != ";" => Cow::Owned(format!("{head}\\;")),
        _ => Cow::Borrowed(arg),
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

    #[test]
    fn trailing_semicolons_stay_literal() {
        assert_eq!(process_arg(";"), ";");
        assert_eq!(process_arg("a;b"), "a;b");
        assert_eq!(process_arg("a;"), "a\\;");
        assert_eq!(process_arg("a\\;"), "a\\\\;");
        assert_eq!(process_arg(";;"), ";\\;");
    }

    #[test]
    fn backend_kinds() {
        assert_eq!(
            "control".parse::<BackendKind>().unwrap(),
            BackendKind::Control
        );
        assert_eq!(
            " Process ".parse::<BackendKind>().unwrap(),
            BackendKind::Process
        );
        assert_eq!(
            "ssh".parse::<BackendKind>().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(BackendKind::default().to_string(), "process");
    }
}
