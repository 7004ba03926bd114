//! # ctmux-node
//!
//! The Node.js addon over `ctmux-core`. Every async method converts its arguments, runs the
//! core call on libuv's thread pool (an [`AsyncTask`]) and resolves with plain JS objects; a
//! core error rejects with an `Error` whose `code` is the kind name ([`errors`], the only
//! place that maps kinds). There is no logic of its own.
//!
//! ```js
//! const { IsolatedServer } = require('ctmux')
//! const server = await IsolatedServer.start()
//! try {
//!   const client = server.client()
//!   await client.sessionCreate('demo')
//!   const { exitCode, output } = await client.paneRun('demo', 0, 'echo hi; false')
//!   // exitCode === 1, output === 'hi\n'
//! } finally {
//!   server.close()
//! }
//! ```

mod errors;

use errors::IntoNapiResult;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// A core call run on the thread pool; resolves with `T` or rejects with the mapped error.
pub struct Blocking<T> {
    job: Option<Box<dyn FnOnce() -> ctmux_core::Result<T> + Send>>,
}

impl<T: ToNapiValue + TypeName + Send + 'static> Blocking<T> {
    fn task(job: impl FnOnce() -> ctmux_core::Result<T> + Send + 'static) -> AsyncTask<Self> {
        AsyncTask::new(Blocking {
            job: Some(Box::new(job)),
        })
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Blocking<T> {
    type Output = ctmux_core::Result<T>;
    type JsValue = T;

    fn compute(&mut self) -> Result<Self::Output> {
        match self.job.take() {
            Some(job) => Ok(job()),
            None => Err(Error::new(Status::GenericFailure, "task already ran")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<T> {
        output.js_err(&env)
    }
}

fn invalid(what: &'static str, reason: String) -> ctmux_core::Error {
    ctmux_core::Error::InvalidInput { what, reason }
}

/// Seconds as a `Duration`; negative, NaN and infinite are InvalidInput.
fn timeout(seconds: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
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

/// A JS number that must be a whole number in `0..=max`, else InvalidInput.
fn whole(what: &'static str, value: Option<f64>, max: u32) -> ctmux_core::Result<Option<u32>> {
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

/// A pane reference as JS gives it: an index (`0`) or text (`'0'`, `'%3'`, a label). The
/// core's parser decides what is valid.
fn pane_text(pane: Either<String, f64>) -> String {
    match pane {
        Either::A(text) => text,
        Either::B(number) => number.to_string(),
    }
}

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

/// A session just created.
#[napi(object)]
pub struct SessionRef {
    /// tmux session id (`$3`).
    pub id: String,
    /// Session name.
    pub name: String,
}

/// One session as listed by tmux.
#[napi(object)]
pub struct SessionInfo {
    /// tmux session id (`$3`).
    pub id: String,
    /// Session name.
    pub name: String,
    /// Number of windows.
    pub windows: u32,
    /// Number of panes over all windows.
    pub panes: u32,
    /// Number of attached clients.
    pub attached: u32,
    /// Creation time, Unix seconds.
    pub created: f64,
    /// Last activity, Unix seconds.
    pub activity: f64,
}

impl From<ctmux_core::SessionInfo> for SessionInfo {
    fn from(s: ctmux_core::SessionInfo) -> Self {
        SessionInfo {
            id: s.id,
            name: s.name,
            windows: s.windows,
            panes: s.panes,
            attached: s.attached,
            created: s.created as f64,
            activity: s.activity as f64,
        }
    }
}

/// A finished command: its real exit status, its own output and the wall time.
#[napi(object)]
pub struct ExecResult {
    /// Exit status (128+N if killed by signal N).
    pub exit_code: i32,
    /// The command's own output (no prompt, no echo).
    pub output: String,
    /// Wall time in seconds.
    pub duration: f64,
}

/// A private tmux server (socket in a fresh temp dir, shell pinned), for tests and demos.
/// `close()` kills it and removes the dir.
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

    /// Whether `close()` has run.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// A client of this server; its state dir is `stateDir`, else one inside the temp dir.
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

    /// Kill the server and remove its temp dir (synchronous). Closing twice is harmless.
    #[napi]
    pub fn close(&self, env: Env) -> Result<()> {
        let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        match taken {
            Some(mut server) => server.close().js_err(&env),
            None => Ok(()),
        }
    }
}

/// A client of one tmux server.
#[napi]
pub struct Client {
    inner: ctmux_core::Ctmux,
}

#[napi]
impl Client {
    /// `new Client({ socketName?, socketPath?, stateDir? })`.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ClientOptions>) -> Result<Self> {
        let options = options.unwrap_or(ClientOptions {
            socket_name: None,
            socket_path: None,
            state_dir: None,
        });
        let socket = match (options.socket_name, options.socket_path) {
            (Some(_), Some(_)) => Err(invalid(
                "socket",
                "give socketName or socketPath, not both".into(),
            )),
            (Some(name), None) => Ok(ctmux_core::Socket::Name(name)),
            (None, Some(path)) => Ok(ctmux_core::Socket::Path(PathBuf::from(path))),
            (None, None) => Ok(ctmux_core::Socket::Default),
        };
        let built = socket.and_then(ctmux_core::Server::new).and_then(|server| {
            let mut builder = ctmux_core::Ctmux::builder().server(server);
            if let Some(dir) = options.state_dir {
                builder = builder.state_dir(dir);
            }
            builder.build()
        });
        Ok(Client {
            inner: built.js_err(&env)?,
        })
    }

    /// Create a detached session; resolves with `{ id, name }`.
    #[napi(ts_return_type = "Promise<SessionRef>")]
    pub fn session_create(
        &self,
        name: String,
        options: Option<SessionCreateOptions>,
    ) -> AsyncTask<Blocking<SessionRef>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let (cwd, width, height) = match options {
                Some(o) => (o.cwd, o.width, o.height),
                None => (None, None, None),
            };
            let width = whole("width", width, u32::from(u16::MAX))?;
            let height = whole("height", height, u32::from(u16::MAX))?;
            let size = match (width, height) {
                (Some(w), Some(h)) => Some((w as u16, h as u16)),
                (None, None) => None,
                _ => {
                    return Err(invalid(
                        "window size",
                        "give both width and height, or neither".into(),
                    ))
                }
            };
            let opts = ctmux_core::SessionOptions {
                cwd: cwd.map(PathBuf::from),
                size,
            };
            let session = client.session_create(&name, &opts)?;
            Ok(SessionRef {
                id: session.id().to_owned(),
                name: session.name().as_str().to_owned(),
            })
        })
    }

    /// Every session on the server (no server running resolves with `[]`).
    #[napi(ts_return_type = "Promise<Array<SessionInfo>>")]
    pub fn session_list(&self) -> AsyncTask<Blocking<Vec<SessionInfo>>> {
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

    /// Run `command` in a pane (index, `'%id'` or label) and wait for it to finish, at most
    /// `timeoutSeconds` (default: no limit).
    #[napi(ts_return_type = "Promise<ExecResult>")]
    pub fn pane_run(
        &self,
        session: String,
        pane: Either<String, f64>,
        command: String,
        timeout_seconds: Option<f64>,
    ) -> AsyncTask<Blocking<ExecResult>> {
        let client = self.inner.clone();
        let pane = pane_text(pane);
        Blocking::task(move || {
            let timeout = timeout(timeout_seconds)?;
            let result = client
                .session(&session)?
                .pane_str(&pane)?
                .run(&command, timeout)?;
            Ok(ExecResult {
                exit_code: result.exit_code,
                output: result.output,
                duration: result.duration.as_secs_f64(),
            })
        })
    }

    /// The pane's visible text, or its last `lines` lines of history and screen.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn pane_capture(
        &self,
        session: String,
        pane: Either<String, f64>,
        lines: Option<f64>,
    ) -> AsyncTask<Blocking<String>> {
        let client = self.inner.clone();
        let pane = pane_text(pane);
        Blocking::task(move || {
            let lines = whole("lines", lines, u32::MAX)?;
            client.session(&session)?.pane_str(&pane)?.capture(lines)
        })
    }
}

/// The version of ctmux-core this addon was built from.
#[napi]
pub fn version() -> String {
    ctmux_core::VERSION.to_owned()
}
