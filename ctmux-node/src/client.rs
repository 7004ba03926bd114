//! `IsolatedServer` and `Client`: which tmux server, and the sessions on it.

use crate::convert;
use crate::errors::IntoNapiResult;
use crate::records::{SessionInfo, SyncReport};
use crate::session::Session;
use crate::Blocking;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::Mutex;

/// Options of `new Client(...)`: at most one of `socketName` (`tmux -L`) and `socketPath`
/// (`tmux -S`); neither means the user's default server.
#[napi(object)]
pub struct ClientOptions {
    /// `tmux -L NAME`.
    pub socket_name: Option<String>,
    /// `tmux -S PATH`.
    pub socket_path: Option<String>,
    /// State dir (default: the per-user state dir).
    pub state_dir: Option<String>,
}

/// Options of `client.sessionCreate(name, options)`.
#[napi(object)]
pub struct SessionCreateOptions {
    /// Working directory of the first pane (must exist).
    pub cwd: Option<String>,
    /// Window width in columns (give with `height`).
    pub width: Option<f64>,
    /// Window height in rows (give with `width`).
    pub height: Option<f64>,
}

/// A private tmux server (socket in a fresh temp dir, shell pinned), for tests and demos.
/// `await close()` kills it and removes the dir.
#[napi]
pub struct IsolatedServer {
    inner: Mutex<Option<ctmux_core::IsolatedServer>>,
    socket_path: String,
}

#[napi]
impl IsolatedServer {
    /// Start a private server (its tmux process starts with the first session).
    #[napi(ts_return_type = "Promise<IsolatedServer>")]
    pub fn start() -> AsyncTask<Blocking<IsolatedServer>> {
        Blocking::task(|| {
            let server = ctmux_core::IsolatedServer::start()?;
            Ok(IsolatedServer {
                socket_path: server.socket_path().to_string_lossy().into_owned(),
                inner: Mutex::new(Some(server)),
            })
        })
    }

    /// The server's socket path (a `-S` socket inside the temp dir).
    #[napi(getter)]
    pub fn socket_path(&self) -> String {
        self.socket_path.clone()
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// A client of this server (no tmux call); its state dir is `stateDir`, else one inside
    /// the temp dir.
    #[napi]
    pub fn client(&self, env: Env, state_dir: Option<String>) -> Result<Client> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = match guard.as_ref() {
            Some(server) => match state_dir {
                Some(dir) => server.client_with_state_dir(dir),
                None => server.client(),
            },
            None => Err(ctmux_core::Error::ServerUnavailable(format!(
                "isolated server {} is closed",
                self.socket_path
            ))),
        };
        Ok(Client {
            inner: inner.js_err(&env)?,
        })
    }

    /// Kill the server and remove its temp dir. Closing twice is harmless.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Blocking<()>> {
        let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        Blocking::task(move || match taken {
            Some(mut server) => server.close(),
            None => Ok(()),
        })
    }
}

/// A client of one tmux server.
#[napi]
pub struct Client {
    pub(crate) inner: ctmux_core::Ctmux,
}

#[napi]
impl Client {
    /// `new Client({ socketName?, socketPath?, stateDir? })` (no tmux call).
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ClientOptions>) -> Result<Self> {
        let (name, path, state_dir) = match options {
            Some(o) => (o.socket_name, o.socket_path, o.state_dir),
            None => (None, None, None),
        };
        let built = convert::socket(name, path)
            .and_then(ctmux_core::Server::new)
            .and_then(|server| {
                let mut builder = ctmux_core::Ctmux::builder().server(server);
                if let Some(dir) = state_dir {
                    builder = builder.state_dir(dir);
                }
                builder.build()
            });
        Ok(Client {
            inner: built.js_err(&env)?,
        })
    }

    /// Create a detached session.
    #[napi(ts_return_type = "Promise<Session>")]
    pub fn session_create(
        &self,
        name: String,
        options: Option<SessionCreateOptions>,
    ) -> AsyncTask<Blocking<Session>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let (cwd, width, height) = match options {
                Some(o) => (o.cwd, o.width, o.height),
                None => (None, None, None),
            };
            let opts = ctmux_core::SessionOptions {
                cwd: cwd.map(PathBuf::from),
                size: convert::window_size(width, height)?,
            };
            let inner = client.session_create(&name, &opts)?;
            Ok(Session { inner })
        })
    }

    /// The session named `name` (matched exactly).
    #[napi(ts_return_type = "Promise<Session>")]
    pub fn session(&self, name: String) -> AsyncTask<Blocking<Session>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            Ok(Session {
                inner: client.session(&name)?,
            })
        })
    }

    /// Every session on the server (no server running resolves with `[]`).
    #[napi(ts_return_type = "Promise<Array<SessionInfo>>")]
    pub fn sessions(&self) -> AsyncTask<Blocking<Vec<SessionInfo>>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            Ok(client
                .session_list()?
                .into_iter()
                .map(SessionInfo::from)
                .collect())
        })
    }

    /// Kill the session named `name`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn session_kill(&self, name: String) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || client.session_kill(&name))
    }

    /// Reconcile the state dir with the live server (drop files of panes that are gone).
    #[napi(ts_return_type = "Promise<SyncReport>")]
    pub fn state_sync(&self) -> AsyncTask<Blocking<SyncReport>> {
        let client = self.inner.clone();
        Blocking::task(move || client.state_sync().map(SyncReport::from))
    }
}
