//! `IsolatedServer` and `Client`: which tmux server, and the sessions on it.

use crate::convert;
use crate::errors::IntoNapiResult;
use crate::live::{AsyncIterable, Subscription};
use crate::records::{
    from_core, DaemonStartReport, DaemonStatus, GroupInfo, GroupUp, HealthReport, Json, MemberExec,
    MemberKill, Overview, PaneTotals, RestoreReport, SaveReport, SessionInfo, SessionMatches,
    SnapshotEntry, SyncReport,
};
use crate::session::Session;
use crate::Blocking;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
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
    /// `"process"` (one tmux process per command) or `"control"` (one persistent
    /// control-mode connection: ~0.1 ms per command, pushed completion and patterns).
    /// Default: `$CTMUX_BACKEND`, else process.
    pub backend: Option<String>,
    /// Seconds a new pane's shell may take to draw its prompt before an exec in it fails
    /// (more than 0, at most one day). Default: `$CTMUX_READY_TIMEOUT`, else 30.
    pub ready_timeout: Option<f64>,
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
    /// `new Client({ socketName?, socketPath?, stateDir?, backend?, readyTimeout? })` (no tmux
    /// call).
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ClientOptions>) -> Result<Self> {
        let (name, path, state_dir, backend, ready_timeout) = match options {
            Some(o) => (
                o.socket_name,
                o.socket_path,
                o.state_dir,
                o.backend,
                o.ready_timeout,
            ),
            None => (None, None, None, None, None),
        };
        let built = convert::socket(name, path)
            .and_then(ctmux_core::Server::new)
            .and_then(|server| {
                let mut builder = ctmux_core::Ctmux::builder().server(server);
                if let Some(dir) = state_dir {
                    builder = builder.state_dir(dir);
                }
                if let Some(kind) = backend {
                    builder = builder.backend_kind(kind.parse()?);
                }
                if let Some(seconds) = ready_timeout {
                    builder = builder
                        .ready_timeout(ctmux_core::client::ready_timeout_from_secs(seconds)?);
                }
                builder.build()
            });
        Ok(Client {
            inner: built.js_err(&env)?,
        })
    }

    /// Seconds a new pane's shell may take to draw its prompt before an exec in it fails.
    #[napi(getter)]
    pub fn ready_timeout(&self) -> f64 {
        self.inner.ready_timeout().as_secs_f64()
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

/// Options of `client.groupAdd(group, session, options)`.
#[napi(object)]
pub struct GroupAddOptions {
    /// Command that `groupUp` types into the member's pane 0 to start it.
    pub command: Option<String>,
    /// Working directory of the session `groupUp` creates (needs `command`).
    pub cwd: Option<String>,
}

/// Options of `client.groupExec(group, cmd, options)`.
#[napi(object)]
pub struct GroupExecOptions {
    /// The pane in each member: index, `%id` or label (default `0`).
    pub pane: Option<Either<String, f64>>,
    /// Wait for each command to finish.
    pub wait: Option<bool>,
    /// Seconds to wait (with `wait`).
    pub timeout: Option<f64>,
}

/// Options of `client.sessionSave(name, options)`.
#[napi(object)]
pub struct SessionSaveOptions {
    /// Write here (default: a new file in the state dir's snapshot directory, then pruned).
    pub file: Option<String>,
    /// `"ctmux"` (default) or `"tmuxp"`.
    pub format: Option<String>,
    /// Also save each pane's text.
    pub with_contents: Option<bool>,
    /// Lines of scrollback saved with contents.
    pub contents_lines: Option<f64>,
    /// Leave out environment names matching this regex.
    pub exclude_env: Option<String>,
    /// Save no environment at all.
    pub no_env: Option<bool>,
    /// Keep secrets: no redaction by value, no names left out unless `excludeEnv` is given.
    pub include_secrets: Option<bool>,
    /// More regexes whose matches (or their group named `s`) are redacted.
    pub secret_patterns: Option<Vec<String>>,
}

/// Options of `client.sessionRestore(file, options)`.
#[napi(object)]
pub struct SessionRestoreOptions {
    /// Restore under this name instead of the saved one.
    pub name: Option<String>,
    /// Check everything and report what would be done; change nothing.
    pub dry_run: Option<bool>,
    /// Rebuild the session but start no commands.
    pub no_exec: Option<bool>,
    /// Replace an existing session of that name.
    pub replace: Option<bool>,
    /// When some pane's command cannot be started, keep what was built.
    pub keep_partial: Option<bool>,
}

/// Options of `client.subscribe(options)`: every field narrows; none takes everything.
#[napi(object)]
pub struct SubscribeOptions {
    /// Only events about this session (by name).
    pub session: Option<String>,
    /// Only events about this pane (`'%3'`).
    pub pane: Option<String>,
    /// Only these kinds (`'session_created'`, `'command_finished'`, ...).
    pub kinds: Option<Vec<String>>,
    /// A regex over output lines: matching lines arrive as `pattern_matched` events.
    pub pattern: Option<String>,
    /// Use an in-process watcher even when the daemon runs.
    pub local: Option<bool>,
}

/// Options of `client.daemonStart(options)`: by default the daemon runs as
/// `process.execPath daemon.js ...`; `program` (e.g. the `ctmux` CLI) runs instead, with
/// `args` before the daemon's own arguments.
#[napi(object)]
pub struct DaemonStartOptions {
    /// The program to run (default: this Node binary with this package's `daemon.js`).
    pub program: Option<String>,
    /// Arguments before the daemon's own (default: `[]` with `program`, else `[daemon.js]`).
    pub args: Option<Vec<String>>,
}

/// Events and the daemon.
#[napi]
impl Client {
    /// Subscribe to events: an async iterable `Subscription`, fed by the server's daemon
    /// when one runs, else by an in-process watcher.
    #[napi(ts_return_type = "Promise<Subscription>")]
    pub fn subscribe(
        &self,
        options: Option<SubscribeOptions>,
    ) -> AsyncTask<Blocking<AsyncIterable<Subscription>>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let o = options.unwrap_or(SubscribeOptions {
                session: None,
                pane: None,
                kinds: None,
                pattern: None,
                local: None,
            });
            let filter = ctmux_core::EventFilter {
                session: o.session,
                pane: o.pane,
                kinds: o
                    .kinds
                    .unwrap_or_default()
                    .iter()
                    .map(|k| k.parse())
                    .collect::<ctmux_core::Result<_>>()?,
                pattern: o.pattern,
            };
            let sub = if o.local.unwrap_or(false) {
                client.subscribe_local(&filter)?
            } else {
                client.subscribe(&filter)?
            };
            Ok(Subscription::new(sub))
        })
    }

    /// Start the server's event daemon unless it runs, as a separate process (see
    /// `DaemonStartOptions`).
    #[napi(ts_return_type = "Promise<DaemonStartReport>")]
    pub fn daemon_start(
        &self,
        env: Env,
        options: Option<DaemonStartOptions>,
    ) -> Result<AsyncTask<Blocking<DaemonStartReport>>> {
        let (program, args) = options.map_or((None, None), |o| (o.program, o.args));
        let (program, args) = match program {
            Some(program) => (PathBuf::from(program), args.unwrap_or_default()),
            None => {
                let process: Object = env.get_global()?.get_named_property("process")?;
                let exec_path: String = process.get_named_property("execPath")?;
                let addon = convert::file_url_path(&env.get_module_file_name()?).js_err(&env)?;
                let daemon_js = addon.with_file_name("daemon.js");
                let default = vec![daemon_js.to_string_lossy().into_owned()];
                (PathBuf::from(exec_path), args.unwrap_or(default))
            }
        };
        let client = self.inner.clone();
        Ok(Blocking::task(move || {
            let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
            from_core(client.daemon_start(&program, &args)?)
        }))
    }

    /// Stop the server's daemon; resolves with whether one was running.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn daemon_stop(&self) -> AsyncTask<Blocking<bool>> {
        let client = self.inner.clone();
        Blocking::task(move || client.daemon_stop())
    }

    /// The daemon's status (`running` is false when none runs).
    #[napi(ts_return_type = "Promise<DaemonStatus>")]
    pub fn daemon_status(&self) -> AsyncTask<Blocking<DaemonStatus>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(client.daemon_status()?))
    }

    /// The last `n` events (default 20) of the daemon's event log, oldest first.
    #[napi(ts_return_type = "Promise<Array<CtmuxEvent>>")]
    pub fn daemon_logs(&self, n: Option<f64>) -> AsyncTask<Blocking<Json>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let n = convert::whole("n", n, u32::MAX)?.unwrap_or(20);
            Json::from_core(client.daemon_logs(n as usize)?)
        })
    }

    /// Have the daemon save session `session` every `interval` seconds (it must run, or be
    /// started, for saves to happen; each save is a `snapshot_saved` event).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn autosave(&self, session: String, interval: f64) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let interval = convert::whole("interval", Some(interval), u32::MAX)?.unwrap_or(0);
            client.autosave_set(&session, u64::from(interval))
        })
    }

    /// Stop autosaving `session`; resolves with whether it was autosaved.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn autosave_stop(&self, session: String) -> AsyncTask<Blocking<bool>> {
        let client = self.inner.clone();
        Blocking::task(move || client.autosave_stop(&session))
    }
}

/// Groups, dependencies, health, queries and snapshots.
#[napi]
impl Client {
    /// Create an empty group with metadata `meta`.
    #[napi(ts_return_type = "Promise<GroupInfo>")]
    pub fn group_create(
        &self,
        name: String,
        meta: Option<HashMap<String, String>>,
    ) -> AsyncTask<Blocking<GroupInfo>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let meta: BTreeMap<String, String> = meta.unwrap_or_default().into_iter().collect();
            from_core(client.group_create(&name, &meta)?)
        })
    }

    /// Add `session` to `group`; with `command` (and `cwd`) `groupUp` can start it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn group_add(
        &self,
        group: String,
        session: String,
        options: Option<GroupAddOptions>,
    ) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let (command, cwd) = options.map_or((None, None), |o| (o.command, o.cwd));
            let spec = convert::start_spec(command, cwd)?;
            client.group_add(&group, &session, spec.as_ref())
        })
    }

    /// Remove `session` from `group` (the session itself is left alone).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn group_remove(&self, group: String, session: String) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || client.group_remove(&group, &session))
    }

    /// Every group, or only the group `name` (rejects with `NotFound` if unknown).
    #[napi(ts_return_type = "Promise<Array<GroupInfo>>")]
    pub fn group_list(&self, name: Option<String>) -> AsyncTask<Blocking<Vec<GroupInfo>>> {
        let client = self.inner.clone();
        Blocking::task(move || match name {
            Some(name) => from_core(vec![client.group(&name)?]),
            None => from_core(client.group_list()?),
        })
    }

    /// Delete the group's definition (its sessions are left alone).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn group_delete(&self, name: String) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || client.group_delete(&name))
    }

    /// Run `cmd` in a pane of every member; per-member failures are results.
    #[napi(ts_return_type = "Promise<Array<MemberExec>>")]
    pub fn group_exec(
        &self,
        group: String,
        cmd: String,
        options: Option<GroupExecOptions>,
    ) -> AsyncTask<Blocking<Vec<MemberExec>>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let (pane, wait, timeout) =
                options.map_or((None, None, None), |o| (o.pane, o.wait, o.timeout));
            let pane = pane.map(convert::text);
            let timeout = convert::timeout(timeout)?;
            from_core(client.group_exec(
                &group,
                &cmd,
                pane.as_deref(),
                wait.unwrap_or(false),
                timeout,
            )?)
        })
    }

    /// Kill every live member session of `group`.
    #[napi(ts_return_type = "Promise<Array<MemberKill>>")]
    pub fn group_kill(&self, group: String) -> AsyncTask<Blocking<Vec<MemberKill>>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(client.group_kill(&group)?))
    }

    /// Start the group's missing members in dependency order and wait until each is healthy
    /// (`timeout` seconds in all, default 60).
    #[napi(ts_return_type = "Promise<GroupUp>")]
    pub fn group_up(&self, group: String, timeout: Option<f64>) -> AsyncTask<Blocking<GroupUp>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let timeout = convert::timeout(timeout)?.unwrap_or(convert::GROUP_UP_TIMEOUT);
            from_core(client.group_up(&group, timeout)?)
        })
    }

    /// Record that session `a` needs session `b` (a cycle rejects with `InvalidInput`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn session_depends(&self, a: String, b: String) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || client.session_depends(&a, &b))
    }

    /// Remove the dependency of `a` on `b`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn session_depends_remove(&self, a: String, b: String) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || client.session_undepend(&a, &b))
    }

    /// Session names in start order (dependencies first), of `group` or of every group.
    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn start_order(&self, group: Option<String>) -> AsyncTask<Blocking<Vec<String>>> {
        let client = self.inner.clone();
        Blocking::task(move || client.start_order(group.as_deref()))
    }

    /// The session's health: `health` (state) and `reasons`.
    #[napi(ts_return_type = "Promise<HealthReport>")]
    pub fn session_health(&self, name: String) -> AsyncTask<Blocking<HealthReport>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(client.session_health(&name)?))
    }

    /// Wait until the session is healthy (rejects with `Timeout` after `timeout` seconds;
    /// none waits for ever).
    #[napi(ts_return_type = "Promise<HealthReport>")]
    pub fn session_wait_healthy(
        &self,
        name: String,
        timeout: Option<f64>,
    ) -> AsyncTask<Blocking<HealthReport>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let timeout = convert::timeout(timeout)?;
            from_core(client.session_wait_healthy(&name, timeout)?)
        })
    }

    /// Every session with its panes and groups, plus group members that are missing.
    #[napi(ts_return_type = "Promise<Overview>")]
    pub fn sessions_list_all(&self) -> AsyncTask<Blocking<Overview>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(client.sessions_list_all()?))
    }

    /// Pane totals over the whole server.
    #[napi(ts_return_type = "Promise<PaneTotals>")]
    pub fn panes_count_global(&self) -> AsyncTask<Blocking<PaneTotals>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(client.panes_count_global()?))
    }

    /// Sessions whose panes show a line matching `regex` (`lines` of scrollback too).
    #[napi(ts_return_type = "Promise<Array<SessionMatches>>")]
    pub fn sessions_find_pattern(
        &self,
        regex: String,
        lines: Option<f64>,
    ) -> AsyncTask<Blocking<Vec<SessionMatches>>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let lines = convert::whole("lines", lines, u32::MAX)?;
            from_core(client.sessions_find_pattern(&regex, lines)?)
        })
    }

    /// Save the session `name` (default: a new file in the state dir's snapshot directory).
    #[napi(ts_return_type = "Promise<SaveReport>")]
    pub fn session_save(
        &self,
        name: String,
        options: Option<SessionSaveOptions>,
    ) -> AsyncTask<Blocking<SaveReport>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let o = options.unwrap_or(SessionSaveOptions {
                file: None,
                format: None,
                with_contents: None,
                contents_lines: None,
                exclude_env: None,
                no_env: None,
                include_secrets: None,
                secret_patterns: None,
            });
            let mut capture = ctmux_core::snapshot::CaptureOptions {
                with_contents: o.with_contents.unwrap_or(false),
                exclude_env: o.exclude_env,
                no_env: o.no_env.unwrap_or(false),
                include_secrets: o.include_secrets.unwrap_or(false),
                secret_patterns: o.secret_patterns.unwrap_or_default(),
                ..Default::default()
            };
            if let Some(lines) = convert::whole("contentsLines", o.contents_lines, u32::MAX)? {
                capture.contents_lines = lines;
            }
            let opts = ctmux_core::SaveOptions {
                file: o.file.map(PathBuf::from),
                format: convert::save_format(o.format.as_deref())?,
                capture,
            };
            from_core(client.snapshot_save(&name, &opts)?)
        })
    }

    /// Restore the session saved in `file`.
    #[napi(ts_return_type = "Promise<RestoreReport>")]
    pub fn session_restore(
        &self,
        file: String,
        options: Option<SessionRestoreOptions>,
    ) -> AsyncTask<Blocking<RestoreReport>> {
        let client = self.inner.clone();
        Blocking::task(move || {
            let opts = match options {
                Some(o) => ctmux_core::RestoreOptions {
                    name: o.name,
                    dry_run: o.dry_run.unwrap_or(false),
                    no_exec: o.no_exec.unwrap_or(false),
                    replace: o.replace.unwrap_or(false),
                    keep_partial: o.keep_partial.unwrap_or(false),
                },
                None => ctmux_core::RestoreOptions::default(),
            };
            from_core(client.snapshot_restore(&PathBuf::from(file), &opts)?)
        })
    }

    /// Snapshots in the default directory, newest first: of session `name`, or of all.
    #[napi(ts_return_type = "Promise<Array<SnapshotEntry>>")]
    pub fn session_snapshots(
        &self,
        name: Option<String>,
    ) -> AsyncTask<Blocking<Vec<SnapshotEntry>>> {
        let client = self.inner.clone();
        Blocking::task(move || from_core(client.snapshot_list(name.as_deref())?))
    }

    /// Delete a snapshot file.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn session_snapshot_delete(&self, file: String) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        Blocking::task(move || client.snapshot_delete(&PathBuf::from(file)))
    }
}
