//! The JSON envelope: one object per call on stdout, and the exit code that goes with it.
//!
//! Success: `{"status":"success","command":C,"session":S,"pane_id":P, ...fields}`.
//! Failure: `{"status":"error","command":C,"session":S,"kind":K,"error":MESSAGE, ...}`;
//! a timeout adds `"output"` with the partial output.

use crate::exit_code;
use ctmux_core::{Error, ErrorKind};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Write;

/// A command's own fields (`pane_id`, `output`, ...), in the order of the JSON keys.
pub type Fields = Map<String, Value>;

/// What a command returns: its fields, or why it failed.
pub type Outcome = Result<Fields, Failure>;

/// A failed command: the kind, the message and optional extra fields (`output`, `exec_id`).
#[derive(Debug, Clone)]
pub struct Failure {
    /// The error kind, printed as `"kind"`.
    pub kind: ErrorKind,
    /// The message, printed as `"error"`.
    pub message: String,
    /// Extra fields printed with the error.
    pub fields: Fields,
}

impl Failure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            fields: Fields::new(),
        }
    }

    /// Add a field to print with the error.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_owned(), value.into());
        self
    }

    /// The exit code for this failure: 124 for a timeout, else 1.
    pub fn exit_code(&self) -> i32 {
        if self.kind == ErrorKind::Timeout {
            exit_code::TIMEOUT
        } else {
            exit_code::ERROR
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let mut f = Failure::new(e.kind(), e.to_string());
        if let Some(partial) = e.partial_output() {
            f = f.with("output", partial);
        }
        f
    }
}

/// Build [`Fields`] from `(key, value)` pairs.
pub fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Fields {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Serialize `value` (a struct) into [`Fields`].
///
/// # Errors
/// A [`Failure`] of kind Io if it does not serialize to a JSON object (a bug).
pub fn to_fields<T: Serialize>(value: &T) -> Result<Fields, Failure> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Failure::new(
            ErrorKind::Io,
            format!("internal error: expected a JSON object, got {other}"),
        )),
        Err(e) => Err(Failure::new(ErrorKind::Io, format!("internal error: {e}"))),
    }
}

/// The object printed for one call, keys in this order then the command's fields.
#[derive(Serialize)]
struct Envelope<'a> {
    status: &'static str,
    command: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pane_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten)]
    fields: Fields,
}

/// Print the JSON object for `outcome` of `command` (naming `session` unless the fields
/// already do) and return the exit code. If stdout cannot be written the code is 1.
pub fn emit(out: &mut dyn Write, command: &str, session: Option<&str>, outcome: Outcome) -> i32 {
    let (code, envelope) = match outcome {
        Ok(fields) => (
            exit_code::SUCCESS,
            envelope("success", command, session, None, fields),
        ),
        Err(f) => (
            f.exit_code(),
            envelope(
                "error",
                command,
                session,
                Some((f.kind, f.message)),
                f.fields,
            ),
        ),
    };
    write(out, &envelope).map_or(exit_code::ERROR, |()| code)
}

fn envelope<'a>(
    status: &'static str,
    command: &'a str,
    session: Option<&str>,
    error: Option<(ErrorKind, String)>,
    mut fields: Fields,
) -> Envelope<'a> {
    debug_assert!(
        !["status", "command", "kind", "error"]
            .iter()
            .any(|k| fields.contains_key(*k)),
        "a command's fields must not use the envelope's keys: {fields:?}"
    );
    let session = fields
        .remove("session")
        .or_else(|| session.map(|s| Value::String(s.to_owned())));
    let (kind, error) = match error {
        Some((k, m)) => (Some(k.as_str()), Some(m)),
        None => (None, None),
    };
    Envelope {
        status,
        command,
        session,
        pane_id: fields.remove("pane_id"),
        kind,
        error,
        fields,
    }
}

fn write(out: &mut dyn Write, envelope: &Envelope<'_>) -> std::io::Result<()> {
    // Streamed, not built as one string first (a dry run of a large snapshot prints many
    // megabytes).
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut *out);
    serde_json::to_writer(&mut buffered, envelope).map_err(std::io::Error::other)?;
    buffered.write_all(b"\n")?;
    buffered.flush()?;
    drop(buffered);
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn emitted(command: &str, session: Option<&str>, outcome: Outcome) -> (i32, String) {
        let mut buf = Vec::new();
        let code = emit(&mut buf, command, session, outcome);
        (code, String::from_utf8(buf).unwrap())
    }

    #[test]
    fn success_envelope_orders_keys() {
        let (code, text) = emitted(
            "pane-exec",
            Some("api"),
            Ok(fields([("pane_id", json!("%3")), ("exit_code", json!(0))])),
        );
        assert_eq!(code, 0);
        assert_eq!(
            text,
            "{\"status\":\"success\",\"command\":\"pane-exec\",\"session\":\"api\",\
             \"pane_id\":\"%3\",\"exit_code\":0}\n"
        );
    }

    #[test]
    fn error_envelope_and_codes() {
        let (code, text) = emitted(
            "session-kill",
            None,
            Err(Failure::new(ErrorKind::NotFound, "session not found: x")),
        );
        assert_eq!(code, 1);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({"status":"error","command":"session-kill","kind":"NotFound",
                   "error":"session not found: x"})
        );
        let (code, text) = emitted(
            "pane-wait",
            Some("s"),
            Err(Failure::new(ErrorKind::Timeout, "t").with("output", "half")),
        );
        assert_eq!(code, 124);
        assert!(text.contains("\"output\":\"half\""), "{text}");
    }
}
