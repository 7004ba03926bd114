//! Which tmux server to talk to, and how to start a `tmux` process aimed at it.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The socket that names a tmux server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Socket {
    /// The user's default server (what plain `tmux` talks to).
    Default,
    /// `tmux -L NAME`: a named socket in tmux's socket directory.
    Name(String),
    /// `tmux -S PATH`: a socket at an explicit path.
    Path(PathBuf),
}

/// A tmux server: its socket, the `tmux` binary, and the config file used if ctmux starts it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Server {
    socket: Socket,
    tmux: PathBuf,
    config: Option<PathBuf>,
}

impl Server {
    /// A server reached through `socket`, with `tmux` from `$CTMUX_TMUX` or `PATH`.
    ///
    /// A relative [`Socket::Path`] is made absolute against the cwd now (lexically, as
    /// [`crate::state::StateDir::open`] does), so every `tmux -S` this server's commands
    /// run, from whichever directory (a pane's shell, the daemon), names the same socket.
    /// Every binding builds its server here, so none needs to do it itself.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty or control-character socket name or path;
    /// [`Error::Io`] for a relative path when the cwd cannot be read.
    pub fn new(socket: Socket) -> Result<Self> {
        let socket = match socket {
            Socket::Path(p) => Socket::Path(Self::checked_path(p)?),
            other => other,
        };
        match &socket {
            Socket::Default => {}
            Socket::Name(n) => {
                if n.is_empty() || n.chars().any(|c| c.is_control() || c == '/') {
                    return Err(Error::invalid(
                        "socket name",
                        format!("{n:?} must be non-empty, without '/' or control characters"),
                    ));
                }
            }
            Socket::Path(_) => {}
        }
        let tmux = std::env::var_os("CTMUX_TMUX")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tmux"));
        Ok(Server {
            socket,
            tmux,
            config: None,
        })
    }

    /// A socket path checked (non-empty, no control characters) and made absolute.
    fn checked_path(p: PathBuf) -> Result<PathBuf> {
        let s = p.to_string_lossy();
        if s.is_empty() || s.chars().any(|c| c.is_control()) {
            return Err(Error::invalid(
                "socket path",
                format!("{s:?} must be non-empty, without control characters"),
            ));
        }
        crate::paths::absolute("socket path", &p)
    }

    /// The user's default server.
    pub fn default_server() -> Self {
        Server::new(Socket::Default).expect("the default socket is always valid")
    }

    /// Use this config file (`tmux -f`) when a command starts the server.
    pub fn with_config(mut self, config: impl Into<PathBuf>) -> Self {
        self.config = Some(config.into());
        self
    }

    /// Use this `tmux` binary.
    pub fn with_tmux(mut self, tmux: impl Into<PathBuf>) -> Self {
        self.tmux = tmux.into();
        self
    }

    /// The server's socket.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The `tmux` binary used.
    pub fn tmux_path(&self) -> &Path {
        &self.tmux
    }

    /// The path of the server's socket, as tmux computes it: `-S PATH` as given; `-L NAME`
    /// (and the default server, `default`) in `$TMUX_TMPDIR/tmux-<uid>/` (`/tmp` when unset).
    /// For the default server inside tmux, the socket named by `$TMUX`.
    pub fn socket_file(&self) -> PathBuf {
        let dir = || {
            let base = std::env::var_os("TMUX_TMPDIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/tmp"));
            base.join(format!("tmux-{}", nix::unistd::getuid()))
        };
        match &self.socket {
            Socket::Path(p) => p.clone(),
            Socket::Name(n) => dir().join(n),
            Socket::Default => std::env::var("TMUX")
                .ok()
                .and_then(|t| t.split(',').next().map(str::to_owned))
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| dir().join("default")),
        }
    }

    /// Whether a server accepts connections on [`Server::socket_file`]. This only connects to
    /// the socket and closes it again: no `tmux` process is started and no server is created.
    pub fn is_running(&self) -> bool {
        std::os::unix::net::UnixStream::connect(self.socket_file()).is_ok()
    }

    /// The global arguments that aim a `tmux` process at this server.
    pub fn global_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        match &self.socket {
            Socket::Default => {}
            Socket::Name(n) => {
                args.push("-L".to_owned());
                args.push(n.clone());
            }
            Socket::Path(p) => {
                args.push("-S".to_owned());
                args.push(p.to_string_lossy().into_owned());
            }
        }
        if let Some(cfg) = &self.config {
            args.push("-f".to_owned());
            args.push(cfg.to_string_lossy().into_owned());
        }
        args
    }

    /// A `tmux` command aimed at this server, with stdin closed and output captured.
    pub fn command<S: AsRef<str>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(&self.tmux);
        cmd.args(self.global_args())
            .args(args.iter().map(|a| a.as_ref()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// A stable short key for this server, used to keep per-server files apart in the
    /// state dir.
    pub fn key(&self) -> String {
        let text = match &self.socket {
            Socket::Default => "default".to_owned(),
            Socket::Name(n) => format!("L:{n}"),
            Socket::Path(p) => format!("S:{}", p.display()),
        };
        format!("{:016x}", fnv1a(&text))
    }
}

/// FNV-1a, 64 bit: stable across runs and builds (unlike std's `DefaultHasher`).
pub(crate) fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_and_keys() {
        let s = Server::new(Socket::Path("/tmp/x/s".into())).unwrap();
        assert_eq!(s.global_args(), vec!["-S", "/tmp/x/s"]);
        assert_ne!(s.key(), Server::default_server().key());
        assert!(Server::new(Socket::Name("a/b".into())).is_err());
        assert!(Server::new(Socket::Name(String::new())).is_err());
        assert_eq!(s.socket_file(), PathBuf::from("/tmp/x/s"));
        assert!(!s.is_running());
        let named = Server::new(Socket::Name("n".into())).unwrap();
        assert!(named
            .socket_file()
            .ends_with(format!("tmux-{}/n", nix::unistd::getuid())));
    }

    #[test]
    fn relative_socket_path_is_made_absolute() {
        let cwd = std::env::current_dir().unwrap();
        let s = Server::new(Socket::Path("run/./tmux.sock".into())).unwrap();
        assert_eq!(s.socket(), &Socket::Path(cwd.join("run/tmux.sock")));
        let abs = cwd.join("run/tmux.sock").display().to_string();
        assert_eq!(s.global_args(), vec!["-S".to_owned(), abs]);
        assert_eq!(s.socket_file(), cwd.join("run/tmux.sock"));
        assert_eq!(
            s.key(),
            Server::new(Socket::Path(cwd.join("run/tmux.sock")))
                .unwrap()
                .key(),
            "the same socket, however it was spelled, keeps its files in one place"
        );
        for bad in ["", "a\nb"] {
            assert_eq!(
                Server::new(Socket::Path(bad.into())).unwrap_err().kind(),
                crate::ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
    }
}
