//! Session snapshots: save a live session to a file, restore it, list, delete and prune
//! saved ones, and read and write tmuxp workspaces. The file format is in
//! `docs/snapshots.md`.
//!
//! - **Save** ([`Ctmux::snapshot_save`]) reads the session in three tmux round trips
//!   ([`capture`]): windows with names, sizes and layout strings; panes with index, label,
//!   metadata, working directory, the foreground job's full command line (from `/proc`),
//!   the commands ctmux ran there ([`history`]); the session environment less names matching
//!   an exclusion pattern (secrets); optionally each pane's text. The file is written
//!   atomically ([`crate::state::atomic_write`]): a crash or a failed save never leaves a
//!   partial or empty file, and never replaces the last good one. Saved to the default
//!   directory, the session's older snapshots are pruned by the retention settings
//!   ([`store`]).
//! - **Restore** ([`Ctmux::snapshot_restore`]) reads at most 16 MiB, parses and validates
//!   the whole file ([`validate`]) before its first tmux call, refuses an existing session
//!   unless told to replace it, rebuilds windows, panes (each in its directory), layouts,
//!   labels, metadata and history, shows saved contents, and starts each saved command in
//!   its pane through [`crate::Pane::exec`] ([`restore`]). A dry run reports everything it
//!   would create and run; `no_exec` rebuilds without starting commands. A failure half-way
//!   kills the session it created.
//! - **tmuxp**: restore also loads a tmuxp workspace (YAML or JSON); save can write one
//!   ([`tmuxp`]).
//!
//! Autosave is the daemon's: it calls [`save_now`] on its schedule.
//!
//! ```
//! use ctmux_core::{IsolatedServer, SessionOptions};
//! use ctmux_core::snapshot::{RestoreOptions, SaveOptions};
//! # fn main() -> ctmux_core::Result<()> {
//! let server = IsolatedServer::start()?;
//! let client = server.client()?;
//! let s = client.session_create("work", &SessionOptions { size: Some((100, 30)), ..Default::default() })?;
//! s.pane_create(Some("logs"))?;
//! let saved = client.snapshot_save("work", &SaveOptions::default())?; // <state>/snapshots/work/
//! s.kill()?;
//! let restored = client.snapshot_restore(&saved.file, &RestoreOptions::default())?;
//! assert_eq!(restored.windows[0].panes.len(), 2);
//! assert!(client.session("work")?.pane_find("logs").is_ok());
//! # Ok(()) }
//! ```

pub mod capture;
mod contents;
pub mod history;
pub mod restore;
pub mod schema;
pub mod secrets;
pub mod store;
pub mod tmuxp;
pub mod validate;

pub use capture::{CaptureOptions, DEFAULT_EXCLUDE_ENV};
pub use restore::{PlannedCommand, RestoreOptions, RestoreReport, RestoredPane, RestoredWindow};
pub use schema::{Loaded, PaneSnapshot, Snapshot, Source, WindowSnapshot, FORMAT, VERSION};
pub use secrets::{Redactor, REDACTED};
pub use store::{Retention, SnapshotEntry, MAX_SNAPSHOT_BYTES};

use crate::client::Ctmux;
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The file format [`Ctmux::snapshot_save`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SaveFormat {
    /// A ctmux snapshot (JSON, see `docs/snapshots.md`).
    #[default]
    Ctmux,
    /// A tmuxp workspace (YAML): windows, layouts, directories and commands only.
    Tmuxp,
}

/// How to save.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveOptions {
    /// Write here; `None`: a new timestamped file in `<state dir>/snapshots/<session>/`,
    /// after which the retention settings prune that directory.
    pub file: Option<PathBuf>,
    /// File format.
    pub format: SaveFormat,
    /// What to read besides the structure (contents, environment filter).
    pub capture: CaptureOptions,
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaveReport {
    /// The file written.
    pub file: PathBuf,
    /// The session saved.
    pub session: String,
    /// The format written.
    pub format: SaveFormat,
    /// Number of windows.
    pub windows: usize,
    /// Number of panes.
    pub panes: usize,
    /// File size in bytes.
    pub bytes: usize,
    /// Whether pane contents were saved.
    pub with_contents: bool,
    /// Environment names left out (their values were not saved).
    pub environment_excluded: Vec<String>,
    /// Where a secret was replaced by [`REDACTED`] (see [`Snapshot::redacted`]).
    pub redacted: Vec<String>,
    /// Older snapshots removed by retention.
    pub pruned: Vec<PathBuf>,
    /// Things not saved as they are (an invalid label dropped, retention not applied, ...).
    pub warnings: Vec<String>,
}

/// Read a snapshot file or tmuxp workspace (at most [`MAX_SNAPSHOT_BYTES`]) without
/// validating it.
///
/// # Errors
/// As [`store::read_file`] and [`schema::parse`].
pub fn load(path: &Path) -> Result<Loaded> {
    let bytes = store::read_file(path)?;
    schema::parse(path, &bytes)
}

/// Read and validate a snapshot file or tmuxp workspace: what restore checks before it
/// changes anything. Returns the snapshot and warnings.
///
/// # Errors
/// As [`load`] and [`validate::validate`].
pub fn check(path: &Path) -> Result<Loaded> {
    let mut loaded = load(path)?;
    let w = validate::validate(&loaded.snapshot, path)?;
    loaded.warnings.extend(w);
    Ok(loaded)
}

/// Save `session` now: the entry point for the daemon's autosave (and what
/// [`Ctmux::snapshot_save`] does). Saving to the default directory takes that session's
/// snapshot-directory lock, so concurrent saves of one session (daemon and CLI) do not
/// interleave their pruning; it never waits on a pane's job (3 tmux round trips).
///
/// # Errors
/// As [`Ctmux::snapshot_save`].
pub fn save_now(client: &Ctmux, session: &str, opts: &SaveOptions) -> Result<SaveReport> {
    let (snap, mut warnings) = capture::capture_checked(client, session, &opts.capture)?;
    let bytes = match opts.format {
        SaveFormat::Ctmux => {
            let mut b = serde_json::to_vec_pretty(&snap)
                .map_err(|e| Error::io("serializing the snapshot", std::io::Error::other(e)))?;
            b.push(b'\n');
            b
        }
        SaveFormat::Tmuxp => tmuxp::to_yaml(&snap).into_bytes(),
    };
    // Never write what restore would refuse.
    let self_check = Path::new("<new snapshot>");
    let reread = schema::parse(self_check, &bytes)?;
    validate::validate(&reread.snapshot, self_check)?;
    let state = client.state_dir();
    let ext = match opts.format {
        SaveFormat::Ctmux => "json",
        SaveFormat::Tmuxp => "yaml",
    };
    let (file, _lock) = match &opts.file {
        Some(f) => {
            if f.is_dir() {
                return Err(Error::invalid(
                    "snapshot file",
                    format!("{} is a directory", f.display()),
                ));
            }
            let parent = f.parent().filter(|p| !p.as_os_str().is_empty());
            if parent.is_some_and(|p| !p.is_dir()) {
                return Err(Error::not_found(
                    "directory",
                    parent.unwrap_or(Path::new(".")).display().to_string(),
                ));
            }
            (f.clone(), None)
        }
        None => {
            let dir = store::session_dir(state, &snap.session_name)?;
            let lock = crate::state::lock_file(&dir.join(".lock"))?;
            (
                store::default_file(&dir, &snap.session_name, snap.saved_at_ms, ext),
                Some(lock),
            )
        }
    };
    crate::state::atomic_write(&file, &bytes)?;
    if let Some(dir) = file.parent() {
        store::remove_stale_temp_files(dir);
    }
    let mut pruned = Vec::new();
    if opts.file.is_none() {
        match store::retention(state)
            .and_then(|r| store::prune(state, &snap.session_name, &r, false))
        {
            Ok(p) => pruned = p,
            Err(e) => warnings.push(format!("retention not applied: {e}")),
        }
    }
    Ok(SaveReport {
        file,
        session: snap.session_name.clone(),
        format: opts.format,
        windows: snap.window_count,
        panes: snap.pane_count,
        bytes: bytes.len(),
        with_contents: opts.capture.with_contents,
        environment_excluded: snap.environment_excluded.clone(),
        redacted: snap.redacted.clone(),
        pruned,
        warnings,
    })
}

impl Ctmux {
    /// Read session `session` into a [`Snapshot`] without writing it anywhere.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name or exclusion regex; [`Error::NotFound`] if the
    /// session does not exist.
    pub fn snapshot_capture(&self, session: &str, opts: &CaptureOptions) -> Result<Snapshot> {
        Ok(capture::capture_checked(self, session, opts)?.0)
    }

    /// Save session `session` to a file (see [`SaveOptions`] and the module docs).
    ///
    /// # Errors
    /// As [`Ctmux::snapshot_capture`]; [`Error::InvalidInput`] if the file is a directory;
    /// [`Error::NotFound`] if its directory does not exist; [`Error::Io`] if it cannot be
    /// written (the previous file at that path is then untouched).
    pub fn snapshot_save(&self, session: &str, opts: &SaveOptions) -> Result<SaveReport> {
        save_now(self, session, opts)
    }

    /// Restore the session saved in `file` (a ctmux snapshot or a tmuxp workspace).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing file; [`Error::InvalidInput`] for a directory, a
    /// file over [`MAX_SNAPSHOT_BYTES`], a snapshot of a newer version or a bad new name;
    /// [`Error::Corrupt`] for a file that does not parse or validate;
    /// [`Error::AlreadyExists`] if the session exists and `replace` is not set. In all these
    /// cases nothing was created. Errors from tmux or from starting a command come after the
    /// partly built session was removed.
    pub fn snapshot_restore(&self, file: &Path, opts: &RestoreOptions) -> Result<RestoreReport> {
        let loaded = load(file)?;
        restore::restore(self, loaded, Some(file), opts)
    }

    /// Restore from a snapshot in memory (e.g. one from [`Ctmux::snapshot_capture`]).
    ///
    /// # Errors
    /// As [`Ctmux::snapshot_restore`], less the file errors.
    pub fn snapshot_restore_from(
        &self,
        snapshot: Snapshot,
        opts: &RestoreOptions,
    ) -> Result<RestoreReport> {
        let loaded = Loaded {
            snapshot,
            source: Source::Ctmux,
            warnings: Vec::new(),
        };
        restore::restore(self, loaded, None, opts)
    }

    /// Snapshots in the default directory, newest first: of `session`, or of all sessions.
    /// A file that cannot be restored is listed with its `error`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad session name; [`Error::Io`].
    pub fn snapshot_list(&self, session: Option<&str>) -> Result<Vec<SnapshotEntry>> {
        store::list(self.state_dir(), session)
    }

    /// Delete a snapshot file (see [`store::delete`] for what it refuses).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidInput`] for a directory or a file that is not a
    /// snapshot; [`Error::Io`].
    pub fn snapshot_delete(&self, file: &Path) -> Result<()> {
        store::delete(self.state_dir(), file)
    }

    /// The retention settings (default: keep the last 10 per session, no age limit).
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the settings file does not parse.
    pub fn snapshot_retention(&self) -> Result<Retention> {
        store::retention(self.state_dir())
    }

    /// Change the retention settings.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for `keep_last` 0; [`Error::Io`].
    pub fn set_snapshot_retention(&self, retention: &Retention) -> Result<()> {
        store::set_retention(self.state_dir(), retention)
    }

    /// Apply the retention settings to `session`'s snapshots now; returns the files removed
    /// (or that would be, with `dry_run`).
    ///
    /// # Errors
    /// As [`Ctmux::snapshot_retention`]; [`Error::InvalidInput`] for a bad name;
    /// [`Error::Io`].
    pub fn snapshot_prune(&self, session: &str, dry_run: bool) -> Result<Vec<PathBuf>> {
        crate::ids::SessionName::new(session)?;
        let r = store::retention(self.state_dir())?;
        store::prune(self.state_dir(), session, &r, dry_run)
    }
}
