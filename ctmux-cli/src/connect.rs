//! From global options and environment to a [`Ctmux`] client.
//!
//! Precedence: an option on the command line, then its environment variable
//! (`CTMUX_SOCKET_PATH`, `CTMUX_SOCKET`, `CTMUX_STATE_DIR`, `CTMUX_READY_TIMEOUT`; empty
//! counts as unset), then the default (the user's default tmux server; the core's default
//! state dir and shell-ready timeout). The core reads `CTMUX_READY_TIMEOUT` itself and makes
//! relative paths absolute.

use crate::args::Global;
use crate::output::Failure;
use ctmux_core::{BackendKind, Ctmux, ErrorKind, Server, Socket};
use std::ffi::OsString;
use std::path::PathBuf;

/// Environment variable naming a socket (`tmux -L`).
pub const ENV_SOCKET: &str = "CTMUX_SOCKET";
/// Environment variable naming a socket path (`tmux -S`).
pub const ENV_SOCKET_PATH: &str = "CTMUX_SOCKET_PATH";
/// Environment variable naming the state dir.
pub const ENV_STATE_DIR: &str = "CTMUX_STATE_DIR";

/// Which socket to use, given the options and an environment lookup.
///
/// # Errors
/// InvalidInput if no option is given and both `CTMUX_SOCKET` and `CTMUX_SOCKET_PATH` are
/// set, or `CTMUX_SOCKET` is not UTF-8.
pub fn socket(global: &Global, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Socket, Failure> {
    if let Some(name) = &global.socket {
        return Ok(Socket::Name(name.clone()));
    }
    if let Some(path) = &global.socket_path {
        return Ok(Socket::Path(path.clone()));
    }
    let get = |key: &str| env(key).filter(|v| !v.is_empty());
    match (get(ENV_SOCKET), get(ENV_SOCKET_PATH)) {
        (Some(_), Some(_)) => Err(Failure::new(
            ErrorKind::InvalidInput,
            format!("both {ENV_SOCKET} and {ENV_SOCKET_PATH} are set; set only one"),
        )),
        (Some(name), None) => name.into_string().map(Socket::Name).map_err(|_| {
            Failure::new(
                ErrorKind::InvalidInput,
                format!("{ENV_SOCKET} is not UTF-8"),
            )
        }),
        (None, Some(path)) => Ok(Socket::Path(PathBuf::from(path))),
        (None, None) => Ok(Socket::Default),
    }
}

/// The state dir to use, if one is named by option or environment.
pub fn state_dir(global: &Global, env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    global.state_dir.clone().or_else(|| {
        env(ENV_STATE_DIR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Build the client for `global`, reading the process environment.
///
/// The CLI always uses the process backend (one `tmux` process per command), whatever
/// `CTMUX_BACKEND` says: a one-shot call would pay a control-mode attach and gain nothing, and
/// a CLI killed mid-call must not leave a control client behind.
///
/// # Errors
/// InvalidInput for a bad socket name or path or a bad `CTMUX_READY_TIMEOUT`; the core's
/// errors for a state dir it cannot use (PermissionDenied, NotFound, Io).
pub fn client(global: &Global) -> Result<Ctmux, Failure> {
    let env = |key: &str| std::env::var_os(key);
    let server = Server::new(socket(global, &env)?)?;
    let mut builder = Ctmux::builder()
        .server(server)
        .backend_kind(BackendKind::Process);
    if let Some(timeout) = global.ready_timeout {
        builder = builder.ready_timeout(timeout);
    }
    let client = match state_dir(global, &env) {
        Some(dir) => builder.state_dir(dir).build()?,
        None => builder.build()?,
    };
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn options_beat_environment() {
        let env = env_of(&[(ENV_SOCKET, "envsock"), (ENV_STATE_DIR, "/env/state")]);
        let g = Global {
            socket_path: Some("/x/s".into()),
            state_dir: Some("/opt/state".into()),
            ..Global::default()
        };
        assert_eq!(socket(&g, &env).unwrap(), Socket::Path("/x/s".into()));
        assert_eq!(state_dir(&g, &env), Some(PathBuf::from("/opt/state")));
        let g = Global::default();
        assert_eq!(socket(&g, &env).unwrap(), Socket::Name("envsock".into()));
        assert_eq!(state_dir(&g, &env), Some(PathBuf::from("/env/state")));
    }

    #[test]
    fn environment_fallbacks() {
        let g = Global::default();
        assert_eq!(socket(&g, &env_of(&[])).unwrap(), Socket::Default);
        assert_eq!(
            socket(&g, &env_of(&[(ENV_SOCKET, "")])).unwrap(),
            Socket::Default
        );
        assert_eq!(
            socket(&g, &env_of(&[(ENV_SOCKET_PATH, "/p")])).unwrap(),
            Socket::Path("/p".into())
        );
        let both = env_of(&[(ENV_SOCKET, "a"), (ENV_SOCKET_PATH, "/p")]);
        assert_eq!(socket(&g, &both).unwrap_err().kind, ErrorKind::InvalidInput);
        assert_eq!(state_dir(&g, &env_of(&[(ENV_STATE_DIR, "")])), None);
    }
}
