//! What goes over the daemon's socket: one JSON request line from the client, then JSON
//! reply lines from the daemon.
//!
//! Requests: `{"op":"status"}`, `{"op":"stop"}`, `{"op":"subscribe","filter":{...}}`,
//! `{"op":"metrics_history","pane":"%3","seconds":60}`.
//! The first reply line is `{"ok":true,...}` or `{"ok":false,"kind":"InvalidInput",
//! "error":"..."}`; a subscription then gets one event per line.

use crate::error::{Error, ErrorKind};
use crate::events::EventFilter;
use serde::{Deserialize, Serialize};

/// Longest request line accepted.
pub const MAX_REQUEST: usize = 64 * 1024;

/// A request to the daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Report [`super::DaemonStatus`] fields.
    Status,
    /// Stop gracefully.
    Stop,
    /// Receive events matching `filter` until the connection closes.
    Subscribe {
        /// What to receive.
        #[serde(default)]
        filter: EventFilter,
    },
    /// The metrics the daemon sampled for a pane: `points` (oldest first) and `summary`.
    MetricsHistory {
        /// The pane id (`%3`).
        pane: String,
        /// Only the last this many seconds (all kept when absent).
        #[serde(default)]
        seconds: Option<f64>,
    },
}

/// The first reply line, when it is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Always `false`.
    pub ok: bool,
    /// The [`ErrorKind`] name.
    pub kind: String,
    /// The message.
    pub error: String,
}

impl ErrorReply {
    /// The reply for `e`.
    pub fn new(e: &Error) -> Self {
        ErrorReply {
            ok: false,
            kind: e.kind().as_str().to_owned(),
            error: e.to_string(),
        }
    }

    /// Back to an [`Error`] of the same kind, on the client side.
    pub fn into_error(self) -> Error {
        let kind = ErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == self.kind)
            .unwrap_or(ErrorKind::Io);
        let msg = format!("daemon: {}", self.error);
        match kind {
            ErrorKind::InvalidInput => Error::invalid("daemon request", msg),
            ErrorKind::NotFound => Error::not_found("daemon object", msg),
            ErrorKind::ServerUnavailable => Error::ServerUnavailable(msg),
            ErrorKind::PermissionDenied => Error::PermissionDenied(msg),
            ErrorKind::Corrupt => Error::Corrupt {
                what: "daemon reply".into(),
                reason: msg,
            },
            _ => Error::io("daemon", std::io::Error::other(msg)),
        }
    }
}

/// Parse one request line.
///
/// # Errors
/// [`Error::InvalidInput`] for anything that is not a known request (garbage, unknown op,
/// unknown fields, a bad filter).
pub fn parse_request(line: &[u8]) -> crate::Result<Request> {
    let req: Request = serde_json::from_slice(line).map_err(|e| {
        Error::invalid(
            "daemon request",
            format!(
                "{e} (in {:?})",
                String::from_utf8_lossy(&line[..line.len().min(80)])
            ),
        )
    })?;
    if let Request::Subscribe { filter } = &req {
        filter.compile()?;
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_garbage_is_invalid_input() {
        assert_eq!(
            parse_request(br#"{"op":"status"}"#).unwrap(),
            Request::Status
        );
        let r = parse_request(br#"{"op":"subscribe","filter":{"kinds":["output"],"pane":"%1"}}"#)
            .unwrap();
        assert!(matches!(r, Request::Subscribe { .. }));
        for bad in [
            &b"hello"[..],
            br#"{"op":"explode"}"#,
            br#"{"op":"subscribe","filter":{"kinds":["nope"]}}"#,
            br#"{"op":"subscribe","filter":{"pattern":"("}}"#,
            br#"{"op":"subscribe","filter":{"colour":"red"}}"#,
            b"\xff\xfe",
        ] {
            assert_eq!(
                parse_request(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
    }
}
