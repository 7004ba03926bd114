//! The one place where a [`ctmux_core::Error`] becomes a JavaScript error.
//!
//! The JS error is a plain `Error` whose `code` is the [`ErrorKind`] name (`"NotFound"`,
//! `"InvalidInput"`, ...), so callers write `assert.rejects(p, { code: 'NotFound' })`.
//! Timeouts also carry `partialOutput`, the text seen before the wait gave up.

use ctmux_core::{Error, ErrorKind};
use napi::bindgen_prelude::*;

/// The JS `err.code` for `kind`.
fn code(kind: ErrorKind) -> &'static str {
    match kind {
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
        // A kind newer than this binding: still its stable name.
        other => other.as_str(),
    }
}

/// The napi error to throw (or reject a Promise with) for a core error.
pub(crate) fn to_napi(env: &Env, err: &Error) -> napi::Error {
    build(env, err).unwrap_or_else(|_| napi::Error::new(Status::GenericFailure, err.to_string()))
}

fn build(env: &Env, err: &Error) -> napi::Result<napi::Error> {
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, err.to_string()))?;
    obj.set("code", code(err.kind()))?;
    if let Some(partial) = err.partial_output() {
        obj.set("partialOutput", partial)?;
    }
    Ok(napi::Error::from(obj.to_unknown()))
}

/// `result.map_err(..)` for sync methods that have an [`Env`].
pub(crate) trait IntoNapiResult<T> {
    /// Map a core error to its JS error.
    fn js_err(self, env: &Env) -> napi::Result<T>;
}

impl<T> IntoNapiResult<T> for ctmux_core::Result<T> {
    fn js_err(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| to_napi(env, &e))
    }
}
