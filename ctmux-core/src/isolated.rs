//! [`IsolatedServer`]: a private tmux server for tests, benches and demos.
//!
//! Its socket lives in a fresh temp dir (tmux does not unlink sockets on `kill-server`), its
//! config pins the shell to `bash --noprofile --norc` with a plain `$ ` prompt so no user rc
//! file leaks in, and dropping the guard kills the server and removes the dir. It never
//! touches the user's default server.

use crate::client::Ctmux;
use crate::error::{Error, Result};
use crate::server::{Server, Socket};
use std::path::{Path, PathBuf};

/// A private tmux server, killed and cleaned up on drop.
#[must_use = "dropping the guard kills the server at once"]
#[derive(Debug)]
pub struct IsolatedServer {
    dir: Option<tempfile::TempDir>,
    server: Server,
    socket: PathBuf,
}

/// The pinned shell command of isolated servers.
fn shell_command() -> String {
    let bash = Path::new("/bin/bash");
    let shell = if bash.exists() {
        "/bin/bash --noprofile --norc -i"
    } else {
        "/bin/sh -i"
    };
    format!(
        "exec env -u PROMPT_COMMAND -u BASH_ENV -u ENV -u HISTFILE PS1='$ ' HISTFILE=/dev/null {shell}"
    )
}

impl IsolatedServer {
    /// Create the temp dir and config. The server itself starts with the first session.
    ///
    /// # Errors
    /// [`Error::Io`] if the temp dir or config cannot be written.
    pub fn start() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("ctmux-srv-")
            .tempdir()
            .map_err(|e| Error::io("creating the isolated server's temp dir", e))?;
        let socket = dir.path().join("tmux.sock");
        let config = dir.path().join("tmux.conf");
        let conf = format!(
            "set -g default-shell /bin/sh\n\
             set -g default-command \"{}\"\n\
             set -g history-limit 50000\n\
             set -g status off\n\
             set -g escape-time 0\n",
            shell_command().replace('\\', "\\\\").replace('"', "\\\"")
        );
        std::fs::write(&config, conf).map_err(|e| Error::io("writing tmux.conf", e))?;
        let server = Server::new(Socket::Path(socket.clone()))?.with_config(config);
        Ok(IsolatedServer {
            dir: Some(dir),
            server,
            socket,
        })
    }

    /// The server (socket path plus pinned config).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The server's socket path.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The temp dir holding the socket, config and default state dir.
    pub fn dir(&self) -> &Path {
        self.dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or(Path::new("/"))
    }

    /// A client for this server, with its state dir inside the temp dir. Its backend is the
    /// kind named by `$CTMUX_BACKEND` (`process` by default), so a whole test suite can run
    /// over either backend.
    ///
    /// # Errors
    /// As [`Ctmux::builder`]'s `build`.
    pub fn client(&self) -> Result<Ctmux> {
        self.client_with_state_dir(self.dir().join("state"))
    }

    /// A client for this server with the given state dir.
    ///
    /// # Errors
    /// As [`Ctmux::builder`]'s `build`.
    pub fn client_with_state_dir(&self, state_dir: impl Into<PathBuf>) -> Result<Ctmux> {
        Ctmux::builder()
            .server(self.server.clone())
            .state_dir(state_dir)
            .build()
    }

    /// Kill the server and remove the temp dir now (also done on drop).
    ///
    /// `kill-server` lets the server wait for its clients to leave, and a control-mode client
    /// whose reader died with output pending never leaves (tmux 3.3a waits to flush it): a
    /// process killed with SIGKILL while using a control connection would keep the server
    /// alive for ever. So if the server (identified by the pid it reports, and checked to be
    /// the tmux of this socket) still runs 2 s after `kill-server`, it is killed with SIGKILL;
    /// its stuck clients then exit too.
    ///
    /// # Errors
    /// [`Error::Io`] if the dir cannot be removed.
    pub fn close(&mut self) -> Result<()> {
        if let Some(dir) = self.dir.take() {
            let pid = self.server_pid();
            let _ = self.server.command(&["kill-server"]).output();
            if let Some(pid) = pid {
                self.reap(pid);
            }
            dir.close()
                .map_err(|e| Error::io("removing the isolated server's dir", e))?;
        }
        Ok(())
    }

    /// The server's pid, if one runs.
    fn server_pid(&self) -> Option<i32> {
        if !self.server.is_running() {
            return None;
        }
        let out = self
            .server
            .command(&["display-message", "-p", "#{pid}"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// Wait (2 s at most) for the server `pid` to exit, then SIGKILL it if it is still this
    /// socket's tmux.
    fn reap(&self, pid: i32) {
        let ours = || {
            crate::procfs::alive(pid)
                && crate::procfs::cmdline(pid).is_some_and(|c| {
                    c.contains("tmux") && c.contains(&*self.socket.to_string_lossy())
                })
        };
        let start = std::time::Instant::now();
        let mut killed = false;
        while ours() {
            let waited = start.elapsed();
            if !killed && waited >= std::time::Duration::from_secs(2) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
                killed = true;
            }
            if waited >= std::time::Duration::from_secs(4) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

impl Drop for IsolatedServer {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
