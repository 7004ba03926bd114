//! Rebuilding a session from a validated [`Snapshot`].
//!
//! Round trips: one listing (does the name exist?), one `new-session` (first window and
//! pane, size, environment, cwd), then one chained call that creates every other window and
//! pane with its cwd (`new-window -c`, `split-window -c`, re-tiling after each split so a
//! window never runs out of room), applies each saved layout string (`select-layout`, once
//! all of a window's panes exist), sets labels, metadata and history as pane options and
//! selects the active window and panes. A chain over tmux's message size is split into
//! several calls; a single value too long for one call is set in pieces (`set-option -a`).
//! Commands then start through [`crate::Pane::exec`], one thread per pane. Any failure
//! after `new-session` kills the session it created: nothing is left half-built.

use super::contents::{contents_command, contents_file, wait_contents_shown};
use super::schema::{Loaded, Snapshot, Source};
use super::secrets::REDACTED;
use super::validate::validate;
use crate::client::{Ctmux, SEP};
use crate::error::{Error, Result};
use crate::ids::{PaneId, SessionName};
use crate::pane::{Pane, PaneInfo, LABEL_OPTION, META_PREFIX};
use crate::session::Session;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes of argv sent in one tmux call (tmux refuses a command message over ~16 KiB).
const CALL_BYTES: usize = 12 * 1024;
/// Longest piece of one option value set in one call.
const VALUE_PIECE: usize = 8 * 1024;

/// How to restore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Restore under this name instead of the saved one.
    pub name: Option<String>,
    /// Check everything and report what would be created and run; change nothing.
    pub dry_run: bool,
    /// Rebuild windows, panes, layouts, labels and metadata, but start no commands.
    pub no_exec: bool,
    /// If a session with the name exists, replace it (the new one is built under a temporary
    /// name first; the old one is killed only once the new one is complete).
    pub replace: bool,
    /// When some pane's command cannot be started, keep what was built (the error still
    /// names each pane that failed and why) instead of removing the session.
    pub keep_partial: bool,
}

/// A command restore runs (or would run) in a pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedCommand {
    /// Window index.
    pub window: u32,
    /// Pane index in the snapshot.
    pub pane: u32,
    /// The pane's label.
    pub label: Option<String>,
    /// The shell command line.
    pub command: String,
}

/// One pane of a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoredPane {
    /// Pane index in the snapshot.
    pub index: u32,
    /// The new pane's tmux id (`None` in a dry run).
    pub pane_id: Option<String>,
    /// Its label.
    pub label: Option<String>,
    /// The working directory it starts in (after any fallback).
    pub cwd: Option<String>,
    /// The command started in it, if any (`None` with `no_exec`, or when none was saved).
    pub command: Option<String>,
    /// Whether saved contents are shown in it.
    pub contents: bool,
    /// Its metadata, as set on the pane.
    pub metadata: BTreeMap<String, String>,
    /// Its exec history, as set on the pane (oldest first).
    pub history: Vec<String>,
}

/// One window of a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoredWindow {
    /// Window index.
    pub index: u32,
    /// Window name (empty when tmux names it).
    pub name: String,
    /// Layout applied.
    pub layout: Option<String>,
    /// Its panes.
    pub panes: Vec<RestoredPane>,
}

/// What a restore did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// The session's name.
    pub session: String,
    /// The new session's tmux id (`None` in a dry run).
    pub session_id: Option<String>,
    /// The file read (`None` when restored from memory).
    pub file: Option<PathBuf>,
    /// What kind of file it was.
    pub source: Source,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Whether an existing session of that name was replaced (or would be).
    pub replaced: bool,
    /// Windows and panes created.
    pub windows: Vec<RestoredWindow>,
    /// The session environment given to tmux.
    pub environment: BTreeMap<String, String>,
    /// Every command run (or that would run), in order.
    pub commands: Vec<PlannedCommand>,
    /// Things adjusted on the way (a missing cwd, a layout size, ...).
    pub warnings: Vec<String>,
}

/// A directory to start in: `cwd` if it exists, else `$HOME` (or `/`) with a warning.
fn effective_cwd(cwd: Option<&str>, at: &str, warnings: &mut Vec<String>) -> Option<String> {
    let cwd = cwd?;
    if Path::new(cwd).is_dir() {
        return Some(cwd.to_owned());
    }
    let home = std::env::var("HOME")
        .ok()
        .filter(|h| h.starts_with('/') && Path::new(h).is_dir())
        .unwrap_or_else(|| "/".to_owned());
    warnings.push(format!("{at}: {cwd} does not exist; starting in {home}"));
    Some(home)
}

fn cmd(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// `set-option -p` commands for one value, in pieces when it is long.
fn set_option(target: &str, name: &str, value: &str) -> Vec<Vec<String>> {
    let mut pieces = Vec::new();
    let mut rest = value;
    loop {
        let mut end = rest.len().min(VALUE_PIECE);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        pieces.push(&rest[..end]);
        rest = &rest[end..];
        if rest.is_empty() {
            break;
        }
    }
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut c = cmd(&["set-option", "-p"]);
            if i > 0 {
                c.push("-a".into());
            }
            c.extend(cmd(&["-t", target, name, piece]));
            c
        })
        .collect()
}

/// Run `cmds` chained with `;`, as few tmux calls as fit; returns all output in order.
fn run_chain(client: &Ctmux, cmds: &[Vec<String>]) -> Result<String> {
    let mut out = String::new();
    let mut argv: Vec<String> = Vec::new();
    let mut bytes = 0;
    for c in cmds {
        let size: usize = c.iter().map(|a| a.len() + 1).sum();
        if !argv.is_empty() && bytes + size + 2 > CALL_BYTES {
            out.push_str(&client.tmux(&argv)?);
            argv.clear();
            bytes = 0;
        }
        if !argv.is_empty() {
            argv.push(";".into());
        }
        argv.extend(c.iter().cloned());
        bytes += size + 2;
    }
    if !argv.is_empty() {
        out.push_str(&client.tmux(&argv)?);
    }
    Ok(out)
}

/// Restore `loaded` (read from `file`, for messages). See the module docs.
///
/// # Errors
/// [`Error::Corrupt`] if the snapshot does not validate; [`Error::InvalidInput`] for a bad
/// `name`; [`Error::AlreadyExists`] if the session exists and `replace` is not set; tmux's
/// and exec's errors otherwise (after removing what was created).
pub fn restore(
    client: &Ctmux,
    loaded: Loaded,
    file: Option<&Path>,
    opts: &RestoreOptions,
) -> Result<RestoreReport> {
    let path = file.unwrap_or(Path::new("<memory>"));
    let mut warnings = loaded.warnings;
    warnings.extend(validate(&loaded.snapshot, path)?);
    let mut snap: Snapshot = loaded.snapshot;
    let name = match &opts.name {
        Some(n) => SessionName::new(n)?,
        None => SessionName::new(&snap.session_name)?,
    };
    snap.windows.sort_by_key(|w| w.index);
    for w in &mut snap.windows {
        w.panes.sort_by_key(|p| p.index);
    }
    // Plan: effective cwds and the commands to run.
    let mut report = RestoreReport {
        session: name.to_string(),
        session_id: None,
        file: file.map(Path::to_path_buf),
        source: loaded.source,
        dry_run: opts.dry_run,
        replaced: false,
        windows: Vec::new(),
        // A dry run moves what it reports out of the snapshot (a real one still needs it).
        environment: if opts.dry_run {
            std::mem::take(&mut snap.environment)
        } else {
            snap.environment.clone()
        },
        commands: Vec::new(),
        warnings: Vec::new(),
    };
    for w in &mut snap.windows {
        let mut panes = Vec::new();
        for p in &mut w.panes {
            let at = format!("window {} pane {}", w.index, p.index);
            let cwd = effective_cwd(p.cwd.as_deref(), &at, &mut warnings);
            // Moved into the report (nothing reads it from the snapshot after this), so a
            // large file's commands are not held three times.
            let mut command = p
                .command
                .take()
                .filter(|c| !c.trim().is_empty() && !opts.no_exec);
            if command.as_deref().is_some_and(|c| c.contains(REDACTED)) {
                warnings.push(format!(
                    "{at}: command not started: a secret in it was redacted when it was saved"
                ));
                command = None;
            }
            if let Some(c) = &command {
                report.commands.push(PlannedCommand {
                    window: w.index,
                    pane: p.index,
                    label: p.label.clone(),
                    command: c.clone(),
                });
            }
            panes.push(RestoredPane {
                index: p.index,
                pane_id: None,
                label: p.label.clone(),
                cwd,
                command,
                contents: p.contents.as_deref().is_some_and(|c| !c.is_empty()),
                metadata: if opts.dry_run {
                    std::mem::take(&mut p.metadata)
                } else {
                    p.metadata.clone()
                },
                history: if opts.dry_run {
                    std::mem::take(&mut p.history)
                } else {
                    p.history.clone()
                },
            });
        }
        report.windows.push(RestoredWindow {
            index: w.index,
            name: if w.automatic_rename {
                String::new()
            } else {
                w.name.clone()
            },
            layout: w.layout.clone(),
            panes,
        });
    }
    let existing = client
        .session_list()?
        .into_iter()
        .find(|s| s.name == name.as_str());
    if existing.is_some() && !opts.replace {
        return Err(Error::AlreadyExists {
            what: "session",
            name: format!("{name} (restore with replace to rebuild it)"),
        });
    }
    report.replaced = existing.is_some();
    report.warnings = warnings;
    if opts.dry_run {
        return Ok(report);
    }
    let build_name = match &existing {
        Some(_) => SessionName::new(&format!(
            "{}-restoring-{}",
            name.as_str().chars().take(150).collect::<String>(),
            std::process::id()
        ))?,
        None => name.clone(),
    };
    let (sid, first) = new_session(client, &snap, &report, &build_name)?;
    let built = build(client, &snap, &mut report, &sid, &first)
        .and_then(|files| start_commands(client, &report, &files, &sid, &build_name));
    if let Err(e) = built {
        if !opts.keep_partial
            || report
                .windows
                .iter()
                .all(|w| w.panes.iter().all(|p| p.pane_id.is_none()))
        {
            let _ = client.tmux(&["kill-session", "-t", &sid]);
        }
        return Err(e);
    }
    if let Some(old) = existing {
        let _ = client.tmux(&["kill-session", "-t", &old.id]);
        if let Err(e) = rename(client, &sid, &name) {
            let _ = client.tmux(&["kill-session", "-t", &sid]);
            return Err(e);
        }
    }
    report.session_id = Some(sid);
    Ok(report)
}

/// Rename session `sid` to `name`. Killing the old session may close a control-mode
/// connection attached to it, failing the next command although it may have run: retry
/// once, and accept a failure when the session has the name after all.
fn rename(client: &Ctmux, sid: &str, name: &SessionName) -> Result<()> {
    let attempt = || client.tmux(&["rename-session", "-t", sid, name.as_str()]);
    let result = match attempt() {
        Err(e) if e.kind() == crate::ErrorKind::ServerUnavailable => attempt(),
        other => other,
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let renamed = client
                .session_list()
                .is_ok_and(|l| l.iter().any(|s| s.id == sid && s.name == name.as_str()));
            if renamed {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

/// What `new-session` reports about the session it made.
pub(super) struct First {
    window_index: u32,
    pane_base: u32,
    pane_id: String,
    /// tmux's `default-shell`.
    pub(super) default_shell: String,
    /// tmux's `default-command`.
    pub(super) default_command: String,
    /// How many environment entries went on new-session's command line (in order).
    env_sent: usize,
}

fn new_session(
    client: &Ctmux,
    snap: &Snapshot,
    report: &RestoreReport,
    name: &SessionName,
) -> Result<(String, First)> {
    let w = &snap.windows[0];
    let mut argv = cmd(&["new-session", "-d", "-s", name.as_str(), "-P", "-F"]);
    argv.push(
        [
            "#{session_id}",
            "#{window_index}",
            "#{pane_index}",
            "#{pane_id}",
            "#{default-shell}",
            "#{default-command}",
        ]
        .join(&SEP.to_string()),
    );
    if let (Some(wd), Some(ht)) = (w.width, w.height) {
        argv.extend(["-x".into(), wd.to_string(), "-y".into(), ht.to_string()]);
    }
    if let Some(cwd) = &report.windows[0].panes[0].cwd {
        argv.extend(["-c".into(), cwd.clone()]);
    }
    if !w.automatic_rename {
        argv.extend(["-n".into(), w.name.clone()]);
    }
    let mut bytes: usize = argv.iter().map(|a| a.len() + 1).sum();
    let mut env_sent = 0;
    for (k, v) in &snap.environment {
        let e = format!("{k}={v}");
        if bytes + e.len() + 4 > CALL_BYTES {
            break;
        }
        bytes += e.len() + 4;
        argv.extend(["-e".into(), e]);
        env_sent += 1;
    }
    let out = client.tmux(&argv).map_err(|e| match e.kind() {
        crate::ErrorKind::AlreadyExists => Error::AlreadyExists {
            what: "session",
            name: name.to_string(),
        },
        _ => e,
    })?;
    let line = out.strip_suffix('\n').unwrap_or(&out);
    let f: Vec<&str> = line.splitn(6, SEP).collect();
    if f.len() != 6 {
        return Err(Error::Tmux {
            command: "new-session".into(),
            message: format!("unexpected reply {out:?}"),
        });
    }
    Ok((
        f[0].to_owned(),
        First {
            window_index: f[1].parse().unwrap_or(0),
            pane_base: f[2].parse().unwrap_or(0),
            pane_id: f[3].to_owned(),
            default_shell: f[4].to_owned(),
            default_command: f[5].to_owned(),
            env_sent,
        },
    ))
}

/// Contents files by (window position, pane position).
type ContentsFiles = std::collections::BTreeMap<(usize, usize), PathBuf>;

fn build(
    client: &Ctmux,
    snap: &Snapshot,
    report: &mut RestoreReport,
    sid: &str,
    first: &First,
) -> Result<ContentsFiles> {
    let mut cmds: Vec<Vec<String>> = Vec::new();
    let mut files = ContentsFiles::new();
    let result = (|| {
        let mut pane_cmd = |at: (usize, usize), text: Option<&String>| -> Result<Option<String>> {
            match text.filter(|t| !t.is_empty()) {
                Some(t) => {
                    let f = contents_file(client, t)?;
                    let c = contents_command(&f, first);
                    files.insert(at, f);
                    Ok(Some(c))
                }
                None => Ok(None),
            }
        };
        for (wi, w) in snap.windows.iter().enumerate() {
            let wt = format!("{sid}:{}", w.index);
            let plan = &report.windows[wi];
            if wi == 0 {
                if first.window_index != w.index {
                    cmds.push(cmd(&[
                        "move-window",
                        "-s",
                        &format!("{sid}:{}", first.window_index),
                        "-t",
                        &wt,
                    ]));
                }
                if let Some(c) = pane_cmd((wi, 0), w.panes[0].contents.as_ref())? {
                    cmds.push(cmd(&["respawn-pane", "-k", "-t", &first.pane_id, &c]));
                }
            } else {
                let mut c = cmd(&["new-window", "-t", &wt, "-P", "-F", "#{pane_id}"]);
                if !w.automatic_rename {
                    c.extend(["-n".into(), w.name.clone()]);
                }
                if let Some(cwd) = &plan.panes[0].cwd {
                    c.extend(["-c".into(), cwd.clone()]);
                }
                c.extend(pane_cmd((wi, 0), w.panes[0].contents.as_ref())?);
                cmds.push(c);
            }
            for (pi, p) in w.panes.iter().enumerate().skip(1) {
                let mut c = cmd(&["split-window", "-t", &wt, "-P", "-F", "#{pane_id}"]);
                if let Some(cwd) = &plan.panes[pi].cwd {
                    c.extend(["-c".into(), cwd.clone()]);
                }
                c.extend(pane_cmd((wi, pi), p.contents.as_ref())?);
                cmds.push(c);
                cmds.push(cmd(&["select-layout", "-t", &wt, "tiled"]));
            }
            if let Some(layout) = &w.layout {
                let layout: crate::layout::Layout = layout.parse()?;
                cmds.push(cmd(&["select-layout", "-t", &wt, layout.as_tmux()]));
            }
            for (pi, p) in w.panes.iter().enumerate() {
                let pt = format!("{wt}.{}", first.pane_base + pi as u32);
                if let Some(l) = &p.label {
                    cmds.extend(set_option(&pt, LABEL_OPTION, l));
                }
                for (k, v) in &p.metadata {
                    cmds.extend(set_option(&pt, &format!("{META_PREFIX}{k}"), v));
                }
                if !p.history.is_empty() {
                    let h = super::history::encode_all(&p.history);
                    cmds.extend(set_option(&pt, super::history::HISTORY_OPTION, &h));
                }
            }
            let active = w.panes.iter().position(|p| p.active).unwrap_or(0);
            let pt = format!("{wt}.{}", first.pane_base + active as u32);
            cmds.push(cmd(&["select-pane", "-t", &pt]));
            if w.zoomed && w.panes.len() > 1 {
                cmds.push(cmd(&["resize-pane", "-Z", "-t", &pt]));
            }
        }
        // Environment that did not fit on new-session's command line (the first pane's
        // shell has started without it; later panes get it).
        for (k, v) in snap.environment.iter().skip(first.env_sent) {
            cmds.push(cmd(&["set-environment", "-t", sid, k, v]));
        }
        let active = snap
            .windows
            .iter()
            .find(|w| w.active)
            .unwrap_or(&snap.windows[0]);
        cmds.push(cmd(&[
            "select-window",
            "-t",
            &format!("{sid}:{}", active.index),
        ]));
        let out = run_chain(client, &cmds)?;
        let mut ids = std::iter::once(first.pane_id.clone()).chain(
            out.lines()
                .filter(|l| l.starts_with('%'))
                .map(str::to_owned),
        );
        for w in &mut report.windows {
            for p in &mut w.panes {
                p.pane_id = ids.next();
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for f in files.values() {
            let _ = std::fs::remove_file(f);
        }
        return Err(e);
    }
    Ok(files)
}

/// Start each pane's command. The shells are waited for together (one pane listing per
/// poll for all of them, up to the client's ready timeout), then the commands are typed, a few
/// panes at a time. A pane that shows saved contents is first given time to print them.
/// Fails naming every pane whose command could not be started, and why.
fn start_commands(
    client: &Ctmux,
    report: &RestoreReport,
    files: &ContentsFiles,
    sid: &str,
    name: &SessionName,
) -> Result<()> {
    let session = Session::new(client.clone(), sid.to_owned(), name.clone());
    let mut jobs: Vec<(String, Pane, String, Option<&PathBuf>)> = Vec::new();
    for (wi, w) in report.windows.iter().enumerate() {
        for (pi, p) in w.panes.iter().enumerate() {
            let (Some(id), Some(c)) = (&p.pane_id, &p.command) else {
                continue;
            };
            let pane_id: PaneId = id.parse()?;
            jobs.push((
                format!("window {} pane {} ({id})", w.index, p.index),
                Pane::new(session.clone(), pane_id),
                c.clone(),
                files.get(&(wi, pi)),
            ));
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    wait_shells_ready(client, sid, &jobs)?;
    let opts = crate::exec::ExecOptions::detached();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.len().min(START_THREADS) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((at, pane, c, file)) = jobs.get(i) else {
                    return;
                };
                if let Some(file) = file {
                    wait_contents_shown(pane, file);
                }
                if let Err(e) = pane.exec_with(c, &opts) {
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, format!("{at}: {e}")));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    if failures.is_empty() {
        return Ok(());
    }
    failures.sort();
    Err(Error::Tmux {
        command: "restore".into(),
        message: format!(
            "{} of {} commands could not be started: {}",
            failures.len(),
            jobs.len(),
            failures
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    })
}

/// How many panes' commands are typed at once.
const START_THREADS: usize = 8;

/// Wait until every pane's shell has drawn its prompt: one listing of the session's panes per
/// poll (every 10 ms, growing to 100 ms), up to the client's ready timeout.
fn wait_shells_ready(
    client: &Ctmux,
    sid: &str,
    jobs: &[(String, Pane, String, Option<&PathBuf>)],
) -> Result<()> {
    let timeout = client.ready_timeout();
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        let out = client.tmux(&["list-panes", "-s", "-t", sid, "-F", &PaneInfo::format()])?;
        let ready: std::collections::HashSet<String> = out
            .lines()
            .filter_map(|l| PaneInfo::parse(l).ok())
            .filter(|p| !p.dead && p.shell_ready())
            .map(|p| p.pane_id)
            .collect();
        let waiting: Vec<&str> = jobs
            .iter()
            .filter(|(_, p, _, file)| {
                file.is_none() && !ready.contains(p.id().to_string().as_str())
            })
            .map(|(at, ..)| at.as_str())
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: format!(
                    "the shells of {} panes to draw their prompt ({})",
                    waiting.len(),
                    waiting.join(", ")
                ),
                seconds: timeout.as_secs_f64(),
                partial: Default::default(),
            });
        }
        std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}
