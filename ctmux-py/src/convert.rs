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

/// The core's [`ctmux_core::ExecOptions`]: its defaults, with `raw`, and `max_output` and
/// `memory_cap` when given (negative is InvalidInput; the core checks the rest), and the
/// pending-text policy by name (`clear`, `fail`; the core parses it).
pub(crate) fn exec_options(
    raw: bool,
    max_output: Option<i64>,
    memory_cap: Option<i64>,
    if_pending: &str,
) -> ctmux_core::Result<ctmux_core::exec::ExecOptions> {
    let bytes = |what: &'static str, v: i64| {
        u64::try_from(v).map_err(|_| Error::InvalidInput {
            what,
            reason: format!("{v} is not a non-negative number of bytes"),
        })
    };
    let defaults = ctmux_core::exec::ExecOptions::default();
    Ok(ctmux_core::exec::ExecOptions {
        raw,
        max_output: match max_output {
            Some(v) => Some(bytes("max_output", v)?),
            None => defaults.max_output,
        },
        memory_cap: match memory_cap {
            Some(v) => usize::try_from(bytes("memory_cap", v)?).unwrap_or(usize::MAX),
            None => defaults.memory_cap,
        },
        pending: if_pending.parse()?,
        ..defaults
    })
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

/// A sampling interval in milliseconds; negative is InvalidInput (the core checks the range).
pub(crate) fn interval_ms(ms: i64) -> ctmux_core::Result<Duration> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| Error::InvalidInput {
            what: "interval",
            reason: format!("{ms} is not a non-negative number of milliseconds"),
        })
}

/// A snapshot file format by name: `ctmux` or `tmuxp`.
pub(crate) fn save_format(name: &str) -> ctmux_core::Result<ctmux_core::snapshot::SaveFormat> {
    match name {
        "ctmux" => Ok(ctmux_core::snapshot::SaveFormat::Ctmux),
        "tmuxp" => Ok(ctmux_core::snapshot::SaveFormat::Tmuxp),
        other => Err(Error::InvalidInput {
            what: "format",
            reason: format!("{other:?} is not \"ctmux\" or \"tmuxp\""),
        }),
    }
}

/// Options of a snapshot save.
pub(crate) fn save_options(
    file: Option<PathBuf>,
    format: &str,
    with_contents: bool,
    contents_lines: Option<i64>,
    mut capture: ctmux_core::snapshot::CaptureOptions,
) -> ctmux_core::Result<ctmux_core::SaveOptions> {
    capture.with_contents = with_contents;
    if let Some(lines) = count("contents_lines", contents_lines)? {
        capture.contents_lines = lines;
    }
    Ok(ctmux_core::SaveOptions {
        file,
        format: save_format(format)?,
        capture,
    })
}

/// `group_up`'s time limit when none is given.
pub(crate) const GROUP_UP_TIMEOUT: Duration = Duration::from_secs(60);

/// A group member's start spec: `command` (and `cwd`), or none.
pub(crate) fn start_spec(
    command: Option<String>,
    cwd: Option<PathBuf>,
) -> ctmux_core::Result<Option<ctmux_core::StartSpec>> {
    match (command, cwd) {
        (Some(command), cwd) => Ok(Some(ctmux_core::StartSpec {
            command,
            cwd,
            pane: None,
        })),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(Error::InvalidInput {
            what: "cwd",
            reason: "a cwd needs a command".into(),
        }),
    }
}
