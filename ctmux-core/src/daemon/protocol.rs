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

/// A request to the daemon. Fields other than an op's own are refused by
/// [`parse_request`] (serde's `deny_unknown_fields` is not applied to the unit variants of
/// an internally tagged enum, so the check is explicit).
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

/// The fields each op takes besides `op`.
const OP_FIELDS: [(&str, &[&str]); 4] = [
    ("status", &[]),
    ("stop", &[]),
    ("subscribe", &["filter"]),
    ("metrics_history", &["pane", "seconds"]),
];

/// The first reply line, when it is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Always `false`.
    pub ok: bool,
    /// The [`ErrorKind`] name.
    pub kind: String,
    /// The message.
    pub error: String,
    /// For a refusal because a cap was reached (kind `Busy`): the setting's name in
    /// `daemon.json` (`max_connections`, `max_subscribers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<String>,
    /// With `cap`: its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl ErrorReply {
    /// The reply for `e`.
    pub fn new(e: &Error) -> Self {
        ErrorReply {
            ok: false,
            kind: e.kind().as_str().to_owned(),
            error: e.to_string(),
            cap: None,
            limit: None,
        }
    }

    /// The refusal sent when the daemon already has `limit` of what `cap` counts
    /// (`max_connections`, `max_subscribers`); `flag` is the `ctmux daemon start` option
    /// that raises it.
    pub fn cap_reached(cap: &str, what: &str, limit: u64, flag: &str) -> Self {
        ErrorReply {
            ok: false,
            kind: ErrorKind::Busy.as_str().to_owned(),
            error: format!(
                "the daemon already has {limit} {what}, its limit ({cap} in daemon.json); \
                 raise it with `ctmux daemon start {flag} N` (a running daemon picks it up \
                 within a second)"
            ),
            cap: Some(cap.to_owned()),
            limit: Some(limit),
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
            ErrorKind::Busy => Error::Busy {
                pane: "(the ctmux daemon)".into(),
                reason: msg,
            },
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
    let bad = |e: String| {
        Error::invalid(
            "daemon request",
            format!(
                "{e} (in {:?})",
                String::from_utf8_lossy(&line[..line.len().min(80)])
            ),
        )
    };
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
    if let Some(obj) = value.as_object() {
        let op = obj.get("op").and_then(|v| v.as_str());
        if let Some((op, fields)) = OP_FIELDS.iter().find(|(name, _)| Some(*name) == op) {
            if let Some(extra) = obj
                .keys()
                .find(|k| *k != "op" && !fields.contains(&k.as_str()))
            {
                let expected = if fields.is_empty() {
                    "none".to_owned()
                } else {
                    fields.join(", ")
                };
                return Err(bad(format!(
                    "unknown field `{extra}` for op {op:?}, expected: {expected}"
                )));
            }
        }
    }
    let req: Request = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    if let Request::Subscribe { filter } = &req {
        filter.compile()?;
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why `parse_request` checks fields itself: serde alone takes an extra field on a unit
    /// op of an internally tagged enum (it refuses them on struct ops).
    #[test]
    fn serde_alone_lets_extra_fields_through_on_unit_ops() {
        let lax: Request = serde_json::from_slice(br#"{"op":"stop","now":true}"#).unwrap();
        assert_eq!(lax, Request::Stop);
        let err = parse_request(br#"{"op":"stop","now":true}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("unknown field `now`"), "{err}");
    }

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
            br#"{"op":"status","verbose":true}"#,
            br#"{"op":"stop","now":1}"#,
            br#"{"op":"subscribe","filter":{},"extra":null}"#,
            br#"{"op":"metrics_history","pane":"%1","seconds":1,"x":2}"#,
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
