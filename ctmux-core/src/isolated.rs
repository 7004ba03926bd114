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

    /// A client for this server, with its state dir inside the temp dir.
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
    /// # Errors
    /// [`Error::Io`] if the dir cannot be removed.
    pub fn close(&mut self) -> Result<()> {
        if let Some(dir) = self.dir.take() {
            let _ = self.server.command(&["kill-server"]).output();
            dir.close()
                .map_err(|e| Error::io("removing the isolated server's dir", e))?;
        }
        Ok(())
    }
}

impl Drop for IsolatedServer {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
