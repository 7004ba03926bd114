//! The one error type of ctmux, and the `Copy` [`ErrorKind`] used to decide what to do.

use std::fmt;

/// What went wrong, as a small `Copy` value for decisions (retry, map to an exit code, ...).
///
/// Every binding maps this enum in exactly one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A session, pane, label, key, file or server that does not exist.
    NotFound,
    /// Something with that name or label already exists.
    AlreadyExists,
    /// The caller's input was refused before anything was changed.
    InvalidInput,
    /// A wait ran out of time.
    Timeout,
    /// The pane is busy with a job and cannot take another command.
    Busy,
    /// The tmux server is not running or cannot be reached.
    ServerUnavailable,
    /// The state dir or a file is not ours or not safe to use.
    PermissionDenied,
    /// A state or snapshot file could not be read as what it should be.
    Corrupt,
    /// The installed tmux is too old for this operation.
    Unsupported,
    /// An operating-system I/O error.
    Io,
    /// tmux refused a command.
    Tmux,
}

impl ErrorKind {
    /// Every kind, in declaration order (for tables and tests).
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::InvalidInput,
        ErrorKind::Timeout,
        ErrorKind::Busy,
        ErrorKind::ServerUnavailable,
        ErrorKind::PermissionDenied,
        ErrorKind::Corrupt,
        ErrorKind::Unsupported,
        ErrorKind::Io,
        ErrorKind::Tmux,
    ];

    /// The kind's stable name, as printed in CLI JSON (`"NotFound"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::AlreadyExists => "AlreadyExists",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Busy => "Busy",
            ErrorKind::ServerUnavailable => "ServerUnavailable",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::Corrupt => "Corrupt",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Io => "Io",
            ErrorKind::Tmux => "Tmux",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Output gathered before a wait gave up; carried by [`Error::Timeout`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partial {
    /// The text the job printed before the timeout (may be empty).
    pub output: String,
}

/// The error type of every fallible ctmux operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Something named does not exist.
    #[error("{what} not found: {name}")]
    NotFound {
        /// What kind of thing (`"session"`, `"pane"`, `"label"`, ...).
        what: &'static str,
        /// The name or reference that was looked up.
        name: String,
    },
    /// Something with that name already exists.
    #[error("{what} already exists: {name}")]
    AlreadyExists {
        /// What kind of thing.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// Input refused before anything changed.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A wait ran out of time; `partial` holds what was seen so far.
    #[error("timed out after {seconds:.3} s waiting for {what}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// The timeout that elapsed.
        seconds: f64,
        /// Output gathered before the timeout.
        partial: Partial,
    },
    /// The pane is running a job.
    #[error("pane {pane} is busy: {reason}")]
    Busy {
        /// The pane id.
        pane: String,
        /// What it is busy with.
        reason: String,
    },
    /// No tmux server, or it cannot be reached.
    #[error("tmux server unavailable: {0}")]
    ServerUnavailable(String),
    /// A path is not safe to use.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A file is not what it should be.
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// Which file or record.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The installed tmux is too old.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What ctmux was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// tmux refused a command.
    #[error("tmux {command} failed: {message}")]
    Tmux {
        /// The tmux command name.
        command: String,
        /// What tmux printed.
        message: String,
    },
}

impl Error {
    /// The kind of this error, for decisions.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::ServerUnavailable(_) => ErrorKind::ServerUnavailable,
            Error::PermissionDenied(_) => ErrorKind::PermissionDenied,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Io { .. } => ErrorKind::Io,
            Error::Tmux { .. } => ErrorKind::Tmux,
        }
    }

    /// Output gathered before a timeout, if this is a [`Error::Timeout`].
    pub fn partial_output(&self) -> Option<&str> {
        match self {
            Error::Timeout { partial, .. } => Some(&partial.output),
            _ => None,
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            name: name.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The error of a wait stopped by its cancel check ([`crate::exec::Cancel`]).
    pub(crate) fn cancelled(what: impl std::fmt::Display) -> Self {
        Error::io(
            format!("waiting for {what} was cancelled"),
            std::io::ErrorKind::Interrupted.into(),
        )
    }

    /// Whether a cancel check ([`crate::exec::Cancel`]) stopped the wait that returned this
    /// error: an [`Error::Io`] of kind [`std::io::ErrorKind::Interrupted`]. The job waited for
    /// is left running.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::Interrupted)
    }
}

/// `Result` with ctmux's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_stable_and_distinct() {
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        assert_eq!(ErrorKind::NotFound.to_string(), "NotFound");
    }

    #[test]
    fn timeout_carries_partial_output() {
        let e = Error::Timeout {
            what: "x".into(),
            seconds: 1.0,
            partial: Partial {
                output: "half".into(),
            },
        };
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.partial_output(), Some("half"));
    }

    #[test]
    fn cancelled_is_an_interrupted_io_error() {
        let e = Error::cancelled("exec 1x2");
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.is_cancelled());
        assert!(e.to_string().contains("exec 1x2"), "{e}");
        assert!(!Error::io("x", std::io::ErrorKind::NotFound.into()).is_cancelled());
    }
}
