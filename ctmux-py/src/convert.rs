//! Argument conversions: Python values in, core types out. Range errors are the core's
//! `InvalidInput`, raised as `ctmux.InvalidInputError`.

use ctmux_core::Error;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

/// An argument given as an int or as text, handed to a core parser as text: a pane reference
/// (`0`, `"%3"`, a label) or a signal (`signal.SIGINT`, `"TERM"`).
#[derive(FromPyObject)]
pub(crate) enum IntOrText {
    /// An integer; the core's parser decides whether it is valid.
    Int(i64),
    /// Text, parsed by the core.
    Text(String),
}

impl IntOrText {
    /// The text the core's parser reads.
    pub(crate) fn into_text(self) -> String {
        match self {
            IntOrText::Int(i) => i.to_string(),
            IntOrText::Text(s) => s,
        }
    }
}

/// A pane reference: index, `"%id"` or label (see `ctmux_core::PaneRef`).
pub(crate) type PaneArg = IntOrText;
/// A signal: number or name (see `ctmux_core::keys::parse_signal`).
pub(crate) type SignalArg = IntOrText;

/// Seconds (a Python float) as a `Duration`; negative, NaN and infinite are InvalidInput.
pub(crate) fn timeout(seconds: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidInput {
                what: "timeout",
                reason: format!("{s} is not a finite, non-negative number of seconds"),
            })
        })
        .transpose()
}

/// An optional non-negative count that must fit a `u32`, else InvalidInput.
pub(crate) fn count(what: &'static str, value: Option<i64>) -> ctmux_core::Result<Option<u32>> {
    value
        .map(|v| {
            u32::try_from(v).map_err(|_| Error::InvalidInput {
                what,
                reason: format!("{v} is not between 0 and {}", u32::MAX),
            })
        })
        .transpose()
}

/// `width` and `height` as the core's window size: both or neither, each fitting a `u16`
/// (the core checks the real range).
pub(crate) fn window_size(
    width: Option<i64>,
    height: Option<i64>,
) -> ctmux_core::Result<Option<(u16, u16)>> {
    let side = |what: &'static str, v: Option<i64>| {
        v.map(|v| {
            u16::try_from(v).map_err(|_| Error::InvalidInput {
                what,
                reason: format!("{v} is not between 0 and {}", u16::MAX),
            })
        })
        .transpose()
    };
    match (side("width", width)?, side("height", height)?) {
        (Some(w), Some(h)) => Ok(Some((w, h))),
        (None, None) => Ok(None),
        _ => Err(Error::InvalidInput {
            what: "window size",
            reason: "give both width and height, or neither".into(),
        }),
    }
}

/// Which server: `socket_name` (`-L`), `socket_path` (`-S`), or the default; not both.
pub(crate) fn socket(
    name: Option<String>,
    path: Option<PathBuf>,
) -> ctmux_core::Result<ctmux_core::Socket> {
    match (name, path) {
        (Some(_), Some(_)) => Err(Error::InvalidInput {
            what: "socket",
            reason: "give socket_name or socket_path, not both".into(),
        }),
        (Some(name), None) => Ok(ctmux_core::Socket::Name(name)),
        (None, Some(path)) => Ok(ctmux_core::Socket::Path(path)),
        (None, None) => Ok(ctmux_core::Socket::Default),
    }
}
