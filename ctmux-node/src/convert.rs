//! Argument conversions: JS values in, core types out. Range errors are the core's
//! `InvalidInput` (rejecting with `code: 'InvalidInput'`).

use ctmux_core::Error;
use napi::bindgen_prelude::Either;
use std::path::PathBuf;
use std::time::Duration;

fn invalid(what: &'static str, reason: String) -> Error {
    Error::InvalidInput { what, reason }
}

/// Seconds as a `Duration`; negative, NaN and infinite are InvalidInput.
pub(crate) fn timeout(seconds: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                invalid(
                    "timeout",
                    format!("{s} is not a finite, non-negative number of seconds"),
                )
            })
        })
        .transpose()
}

/// Milliseconds as a `Duration`; negative, NaN and infinite are InvalidInput.
pub(crate) fn timeout_ms(ms: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
    ms.map(|ms| {
        Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
            invalid(
                "timeout",
                format!("{ms} is not a finite, non-negative number of milliseconds"),
            )
        })
    })
    .transpose()
}

/// The path in a `file://` URL (as Node gives an addon's file name), percent-decoded.
pub(crate) fn file_url_path(url: &str) -> ctmux_core::Result<PathBuf> {
    let rest = url
        .strip_prefix("file://")
        .ok_or_else(|| invalid("module file name", format!("{url:?} is not a file:// URL")))?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(out)))
}

/// A JS number that must be a whole number in `0..=max`, else InvalidInput.
pub(crate) fn whole(
    what: &'static str,
    value: Option<f64>,
    max: u32,
) -> ctmux_core::Result<Option<u32>> {
    value
        .map(|v| {
            if v.fract() == 0.0 && (0.0..=f64::from(max)).contains(&v) {
                Ok(v as u32)
            } else {
                Err(invalid(
                    what,
                    format!("{v} is not a whole number between 0 and {max}"),
                ))
            }
        })
        .transpose()
}

/// A JS number of bytes: a whole number in `0..=2^53 - 1`, else InvalidInput.
fn bytes(what: &'static str, v: f64) -> ctmux_core::Result<u64> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if v.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&v) {
        Ok(v as u64)
    } else {
        Err(invalid(
            what,
            format!("{v} is not a whole, non-negative number of bytes"),
        ))
    }
}

/// The core's [`ctmux_core::exec::ExecOptions`]: its defaults, with `raw`, `maxOutput`,
/// `memoryCap` and `ifPending` when given (the core checks and parses the values).
pub(crate) fn exec_options(
    raw: Option<bool>,
    max_output: Option<f64>,
    memory_cap: Option<f64>,
    if_pending: Option<&str>,
) -> ctmux_core::Result<ctmux_core::exec::ExecOptions> {
    let defaults = ctmux_core::exec::ExecOptions::default();
    Ok(ctmux_core::exec::ExecOptions {
        raw: raw.unwrap_or(defaults.raw),
        max_output: match max_output {
            Some(v) => Some(bytes("maxOutput", v)?),
            None => defaults.max_output,
        },
        memory_cap: match memory_cap {
            Some(v) => usize::try_from(bytes("memoryCap", v)?).unwrap_or(usize::MAX),
            None => defaults.memory_cap,
        },
        pending: match if_pending {
            Some(p) => p.parse()?,
            None => defaults.pending,
        },
        ..defaults
    })
}

/// `width` and `height` as the core's window size: both or neither.
pub(crate) fn window_size(
    width: Option<f64>,
    height: Option<f64>,
) -> ctmux_core::Result<Option<(u16, u16)>> {
    let max = u32::from(u16::MAX);
    match (whole("width", width, max)?, whole("height", height, max)?) {
        (Some(w), Some(h)) => Ok(Some((w as u16, h as u16))),
        (None, None) => Ok(None),
        _ => Err(invalid(
            "window size",
            "give both width and height, or neither".into(),
        )),
    }
}

/// A value given as text or a number, handed to a core parser as text: a pane reference
/// (`0`, `'%3'`, a label) or a signal (`'SIGINT'`, `2`). The core decides what is valid.
pub(crate) fn text(value: Either<String, f64>) -> String {
    match value {
        Either::A(text) => text,
        Either::B(number) => number.to_string(),
    }
}

/// Which server: `socketName` (`-L`), `socketPath` (`-S`), or the default; not both.
pub(crate) fn socket(
    name: Option<String>,
    path: Option<String>,
) -> ctmux_core::Result<ctmux_core::Socket> {
    match (name, path) {
        (Some(_), Some(_)) => Err(invalid(
            "socket",
            "give socketName or socketPath, not both".into(),
        )),
        (Some(name), None) => Ok(ctmux_core::Socket::Name(name)),
        (None, Some(path)) => Ok(ctmux_core::Socket::Path(PathBuf::from(path))),
        (None, None) => Ok(ctmux_core::Socket::Default),
    }
}

/// `groupUp`'s time limit when none is given.
pub(crate) const GROUP_UP_TIMEOUT: Duration = Duration::from_secs(60);

/// A sampling interval in milliseconds (default 250): a whole non-negative number, else
/// InvalidInput (the core checks the range).
pub(crate) fn interval_ms(ms: Option<f64>) -> ctmux_core::Result<Duration> {
    let ms = whole("interval", ms, u32::MAX)?.unwrap_or(250);
    Ok(Duration::from_millis(u64::from(ms)))
}

/// A snapshot file format by name: `ctmux` (default) or `tmuxp`.
pub(crate) fn save_format(
    name: Option<&str>,
) -> ctmux_core::Result<ctmux_core::snapshot::SaveFormat> {
    match name {
        None | Some("ctmux") => Ok(ctmux_core::snapshot::SaveFormat::Ctmux),
        Some("tmuxp") => Ok(ctmux_core::snapshot::SaveFormat::Tmuxp),
        Some(other) => Err(invalid(
            "format",
            format!("{other:?} is not \"ctmux\" or \"tmuxp\""),
        )),
    }
}

/// A group member's start spec: `command` (and `cwd`), or none.
pub(crate) fn start_spec(
    command: Option<String>,
    cwd: Option<String>,
) -> ctmux_core::Result<Option<ctmux_core::StartSpec>> {
    match (command, cwd) {
        (Some(command), cwd) => Ok(Some(ctmux_core::StartSpec {
            command,
            cwd: cwd.map(PathBuf::from),
            pane: None,
        })),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(invalid("cwd", "a cwd needs a command".into())),
    }
}
