//! [`Pane`]: a handle to one pane, addressed by its tmux id; its listing ([`PaneInfo`]),
//! status, capture, metadata, keys and signals. Running commands is in [`crate::exec`],
//! patterns in [`crate::watch`].

use crate::client::{Ctmux, SEP};
use crate::error::{Error, Result};
use crate::ids::{Label, PaneId};
use crate::keys::parse_signal;
use crate::procfs;
use crate::session::Session;
use serde::Serialize;
use std::collections::BTreeMap;

/// Pane option holding a pane's label.
pub const LABEL_OPTION: &str = "@ctmux-label";
/// Prefix of pane options holding metadata.
pub const META_PREFIX: &str = "@ctmux-meta-";
/// Pane option holding the id of the last exec started in the pane.
pub(crate) const EXEC_OPTION: &str = "@ctmux-exec";
/// Pane option set by the pane's shell to `<exec id>:<exit code>` when an exec finishes.
pub(crate) const DONE_OPTION: &str = "@ctmux-done";

/// Longest metadata value accepted, in bytes.
pub const MAX_META_VALUE: usize = 64 * 1024;

/// A pane as tmux lists it, plus whether a foreground job runs in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaneInfo {
    /// tmux pane id (`%3`).
    pub pane_id: String,
    /// Index within its window.
    pub index: u32,
    /// Its window's id (`@1`).
    pub window_id: String,
    /// Its window's index.
    pub window_index: u32,
    /// Whether its window is the session's active one.
    pub window_active: bool,
    /// Its ctmux label, if any.
    pub label: Option<String>,
    /// Pid of the pane's process (usually its shell).
    pub pid: i32,
    /// `pane_current_command` (the foreground command's short name).
    pub command: String,
    /// The pane's working directory.
    pub cwd: String,
    /// Whether the pane's process has exited (with `remain-on-exit`).
    pub dead: bool,
    /// Exit status of a dead pane (`None` while tmux has not collected it, or when a signal
    /// killed it).
    pub dead_status: Option<i32>,
    /// The signal that killed a dead pane's process, if one did.
    pub dead_signal: Option<i32>,
    /// Width in columns.
    pub width: u32,
    /// Height in rows.
    pub height: u32,
    /// Whether it is the active pane of its window.
    pub active: bool,
    /// Whether a foreground job other than the shell runs (from `/proc`, never from the
    /// command name).
    pub running: bool,
    #[serde(skip)]
    pub(crate) in_mode: bool,
    #[serde(skip)]
    pub(crate) cursor: (u32, u32),
    #[serde(skip)]
    pub(crate) history_size: u32,
    #[serde(skip)]
    pub(crate) exec: Option<String>,
    #[serde(skip)]
    pub(crate) done: Option<String>,
    #[serde(skip)]
    pub(crate) socket_path: String,
    /// The pane's terminal (`/dev/pts/3`).
    #[serde(skip)]
    pub(crate) tty: String,
    /// Whether the pane has a `pipe-pane` open.
    #[serde(skip)]
    pub(crate) piped: bool,
}

impl PaneInfo {
    /// The tmux format that [`PaneInfo::parse`] reads.
    pub fn format() -> String {
        [
            "#{pane_id}",
            "#{pane_index}",
            "#{window_id}",
            "#{window_index}",
            "#{window_active}",
            "#{pane_pid}",
            "#{pane_dead}",
            "#{pane_dead_status}",
            "#{pane_dead_signal}",
            "#{pane_width}",
            "#{pane_height}",
            "#{pane_active}",
            "#{pane_in_mode}",
            "#{cursor_x}",
            "#{cursor_y}",
            "#{history_size}",
            "#{@ctmux-exec}",
            "#{@ctmux-done}",
            "#{@ctmux-label}",
            "#{socket_path}",
            "#{pane_tty}",
            "#{pane_pipe}",
            "#{pane_current_command}",
            "#{pane_current_path}",
        ]
        .join(&SEP.to_string())
    }

    /// Parse one line printed with [`PaneInfo::format`].
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the line does not have the expected fields.
    pub fn parse(line: &str) -> Result<Self> {
        let f: Vec<&str> = line.splitn(24, SEP).collect();
        if f.len() != 24 {
            return Err(Error::Corrupt {
                what: "tmux pane listing".into(),
                reason: format!("expected 24 fields, got {}: {line:?}", f.len()),
            });
        }
        let num = |s: &str| s.parse::<u32>().unwrap_or(0);
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let pid: i32 = f[5].parse().unwrap_or(0);
        let dead = f[6] == "1";
        Ok(PaneInfo {
            pane_id: f[0].to_owned(),
            index: num(f[1]),
            window_id: f[2].to_owned(),
            window_index: num(f[3]),
            window_active: f[4] == "1",
            pid,
            dead,
            dead_status: f[7].parse().ok(),
            dead_signal: f[8].parse().ok(),
            width: num(f[9]),
            height: num(f[10]),
            active: f[11] == "1",
            in_mode: f[12] == "1",
            cursor: (num(f[13]), num(f[14])),
            history_size: num(f[15]),
            exec: opt(f[16]),
            done: opt(f[17]),
            label: opt(f[18]),
            socket_path: f[19].to_owned(),
            tty: f[20].to_owned(),
            piped: f[21] == "1",
            command: f[22].to_owned(),
            cwd: f[23].to_owned(),
            running: !dead && foreground_job(pid).is_some(),
        })
    }

    /// The last exec's id and its start time (`@ctmux-exec` holds `<id>@<unix millis>`).
    pub(crate) fn exec_started(&self) -> Option<(String, Option<std::time::SystemTime>)> {
        let raw = self.exec.as_deref()?;
        Some(match raw.split_once('@') {
            Some((id, ms)) => (
                id.to_owned(),
                ms.parse::<u64>()
                    .ok()
                    .map(|ms| std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)),
            ),
            None => (raw.to_owned(), None),
        })
    }

    /// Whether the pane's shell has drawn something (its prompt) and can take input.
    pub(crate) fn shell_ready(&self) -> bool {
        self.cursor != (0, 0) || self.history_size > 0
    }

    /// The exec started last, and its exit code once it has finished.
    pub(crate) fn last_exec(&self) -> Option<(String, Option<i32>)> {
        let id = self.exec_started()?.0;
        let code = self.done.as_deref().and_then(|d| {
            let (done_id, rc) = d.rsplit_once(':')?;
            (done_id == id).then(|| rc.parse().ok()).flatten()
        });
        Some((id, code))
    }
}

/// The tmux format [`PaneProcess::parse`] reads.
pub(crate) const PROCESS_FORMAT: &str = "#{pane_id}\t#{pane_pid}\t#{pane_dead}";

/// A pane's id and process, as listed with [`PROCESS_FORMAT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PaneProcess {
    pub pane_id: String,
    pub pid: i32,
    pub dead: bool,
}

impl PaneProcess {
    pub(crate) fn parse(line: &str) -> Option<PaneProcess> {
        let mut f = line.split('\t');
        let pane_id = f.next()?.to_owned();
        let pid = f.next()?.parse().ok()?;
        let dead = f.next()? == "1";
        Some(PaneProcess { pane_id, pid, dead })
    }

    /// Whether there is a live process to measure.
    pub(crate) fn live(&self) -> bool {
        !self.dead && self.pid > 0
    }
}

/// The foreground process group of a pane's terminal when it is not the shell's own.
pub(crate) fn foreground_job(shell_pid: i32) -> Option<i32> {
    let s = procfs::stat(shell_pid).ok()?;
    (s.tpgid > 0 && s.tpgid != s.pgrp).then_some(s.tpgid)
}

/// A pane's state for `pane-status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaneStatus {
    /// The pane as listed.
    #[serde(flatten)]
    pub info: PaneInfo,
    /// Process group of the running foreground job, if any.
    pub foreground_pgid: Option<i32>,
    /// Full command line of the foreground job's leader, if any.
    pub foreground_command: Option<String>,
    /// Id of the last exec ctmux started here.
    pub exec_id: Option<String>,
    /// Whether that exec has finished.
    pub exec_finished: Option<bool>,
    /// Its exit code, once finished.
    pub exit_code: Option<i32>,
}

/// A pane, addressed by its tmux id.
#[derive(Debug, Clone)]
pub struct Pane {
    session: Session,
    id: PaneId,
}

impl Pane {
    pub(crate) fn new(session: Session, id: PaneId) -> Self {
        Pane { session, id }
    }

    /// The pane's tmux id.
    pub fn id(&self) -> PaneId {
        self.id
    }

    /// The session the pane was resolved in.
    pub fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn client(&self) -> &Ctmux {
        self.session.client()
    }

    pub(crate) fn target(&self) -> String {
        self.id.to_string()
    }

    /// Map tmux's "can't find pane" (or a dead server) to NotFound naming this pane.
    pub(crate) fn gone(&self, e: Error) -> Error {
        // "no current target": the server is up but has no session (so no pane) left.
        if matches!(
            e.kind(),
            crate::ErrorKind::NotFound | crate::ErrorKind::ServerUnavailable
        ) || crate::client::no_sessions(&e)
        {
            Error::not_found("pane", self.target())
        } else {
            e
        }
    }

    /// Run a tmux command aimed at this pane, mapping a vanished pane to NotFound.
    pub(crate) fn tmux<S: AsRef<str>>(&self, argv: &[S]) -> Result<String> {
        self.client().tmux(argv).map_err(|e| self.gone(e))
    }

    /// CPU, memory, I/O and process figures of the pane's process tree, through the
    /// client's sampler for `interval` ([`Ctmux::metrics_sampler`]): the first reading of the
    /// pane waits `interval`, later ones return at once. `processes` adds the per-process
    /// breakdown.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an interval outside 10 ms..=60 s; [`Error::NotFound`] if
    /// the pane is gone or dead.
    pub fn metrics(
        &self,
        interval: std::time::Duration,
        processes: bool,
    ) -> Result<crate::metrics::PaneMetrics> {
        self.client()
            .metrics_sampler(interval)?
            .pane(self, processes)
    }

    /// The pane's process: its pid, and whether it has exited (one tmux round trip, no
    /// `/proc` reads: what [`crate::metrics`] needs).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub(crate) fn process(&self) -> Result<PaneProcess> {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.target(),
            PROCESS_FORMAT,
        ])?;
        match PaneProcess::parse(out.strip_suffix('\n').unwrap_or(&out)) {
            // tmux 3.3 prints an empty context instead of failing for some vanished targets.
            Some(p) if p.pane_id == self.target() => Ok(p),
            _ => Err(Error::not_found("pane", self.target())),
        }
    }

    /// Fresh facts about the pane (one tmux round trip plus a `/proc` read).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn info(&self) -> Result<PaneInfo> {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.target(),
            &PaneInfo::format(),
        ])?;
        let info = PaneInfo::parse(out.strip_suffix('\n').unwrap_or(&out))?;
        // tmux 3.3 prints an empty context instead of failing for some vanished targets.
        if info.pane_id != self.target() {
            return Err(Error::not_found("pane", self.target()));
        }
        Ok(info)
    }

    /// Whether a foreground job other than the shell runs (terminal foreground process group).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn is_running(&self) -> Result<bool> {
        Ok(self.info()?.running)
    }

    /// The pane's status: listing, foreground job and last exec.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn status(&self) -> Result<PaneStatus> {
        let info = self.info()?;
        let pgid = if info.dead {
            None
        } else {
            foreground_job(info.pid)
        };
        let last = info.last_exec();
        Ok(PaneStatus {
            foreground_pgid: pgid,
            foreground_command: pgid.and_then(procfs::cmdline),
            exec_id: last.as_ref().map(|(id, _)| id.clone()),
            exec_finished: last.as_ref().map(|(_, c)| c.is_some()),
            exit_code: last.and_then(|(_, c)| c),
            info,
        })
    }

    /// The visible screen plus up to `history` lines above it, wrapped lines joined, trailing
    /// blank lines removed. The end markers of ctmux's execs, printed concealed (invisible on
    /// a terminal, plain text to `capture-pane`), are left out, with the lines that held
    /// nothing else.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn capture(&self, history: Option<u32>) -> Result<String> {
        let start = format!("-{}", history.unwrap_or(0));
        let out = self.tmux(&[
            "capture-pane",
            "-p",
            "-J",
            "-t",
            &self.target(),
            "-S",
            &start,
        ])?;
        Ok(trim_trailing_blank_lines(&out))
    }

    /// The pane's label, if any.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn label(&self) -> Result<Option<String>> {
        Ok(self.info()?.label)
    }

    /// Set metadata `key` to `value` (stored in tmux as the pane option `@ctmux-meta-KEY`, so
    /// it dies with the pane).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a key outside `[A-Za-z0-9_-]{1,64}` or a value with a NUL
    /// or longer than [`MAX_META_VALUE`]; [`Error::NotFound`] if the pane is gone.
    pub fn metadata_set(&self, key: &str, value: &str) -> Result<()> {
        check_meta_key(key)?;
        if value.len() > MAX_META_VALUE {
            return Err(Error::invalid(
                "metadata value",
                format!(
                    "{} bytes, over the {MAX_META_VALUE}-byte limit",
                    value.len()
                ),
            ));
        }
        if value.contains(['\0', SEP]) {
            return Err(Error::invalid(
                "metadata value",
                "must not contain NUL or the unit separator (0x1f)",
            ));
        }
        self.tmux(&[
            "set-option",
            "-p",
            "-t",
            &self.target(),
            &format!("{META_PREFIX}{key}"),
            value,
        ])?;
        Ok(())
    }

    /// The value of metadata `key`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad key; [`Error::NotFound`] if the pane is gone or the
    /// key is not set.
    pub fn metadata_get(&self, key: &str) -> Result<String> {
        check_meta_key(key)?;
        let all = self.metadata_list()?;
        all.get(key)
            .cloned()
            .ok_or_else(|| Error::not_found("metadata key", key))
    }

    /// All metadata of the pane (two tmux round trips).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn metadata_list(&self) -> Result<BTreeMap<String, String>> {
        let names = self.tmux(&["show-options", "-p", "-t", &self.target()])?;
        let keys: Vec<String> = names
            .lines()
            .filter_map(|l| l.split(' ').next())
            .filter_map(|n| n.strip_prefix(META_PREFIX))
            .map(str::to_owned)
            .collect();
        if keys.is_empty() {
            return Ok(BTreeMap::new());
        }
        let fmt: Vec<String> = keys
            .iter()
            .map(|k| format!("#{{{META_PREFIX}{k}}}"))
            .collect();
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.target(),
            &fmt.join(&SEP.to_string()),
        ])?;
        let out = out.strip_suffix('\n').unwrap_or(&out);
        let values: Vec<&str> = out.split(SEP).collect();
        if values.len() != keys.len() {
            return Err(Error::Corrupt {
                what: "pane metadata".into(),
                reason: format!("{} keys but {} values", keys.len(), values.len()),
            });
        }
        Ok(keys
            .into_iter()
            .zip(values.into_iter().map(str::to_owned))
            .collect())
    }

    /// Remove metadata `key`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad key; [`Error::NotFound`] if the pane is gone or the
    /// key is not set.
    pub fn metadata_delete(&self, key: &str) -> Result<()> {
        self.metadata_get(key)?;
        self.tmux(&[
            "set-option",
            "-p",
            "-u",
            "-t",
            &self.target(),
            &format!("{META_PREFIX}{key}"),
        ])?;
        Ok(())
    }

    /// Set or replace the pane's label (unique within its session).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad label; [`Error::AlreadyExists`] if another pane of the
    /// session has it.
    pub fn set_label(&self, label: &str) -> Result<()> {
        let label = Label::new(label)?;
        let me = self.target();
        if self
            .session
            .panes()?
            .iter()
            .any(|p| p.pane_id != me && p.label.as_deref() == Some(label.as_str()))
        {
            return Err(Error::AlreadyExists {
                what: "label",
                name: label.to_string(),
            });
        }
        self.tmux(&["set-option", "-p", "-t", &me, LABEL_OPTION, label.as_str()])?;
        Ok(())
    }

    /// Send tmux key names (`C-c`, `Enter`, `Escape`, `Up`, or text) as `send-keys` does.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for no keys or a key with a NUL; [`Error::NotFound`] if the pane
    /// is gone.
    pub fn send_keys<S: AsRef<str>>(&self, keys: &[S]) -> Result<()> {
        if keys.is_empty() {
            return Err(Error::invalid("keys", "give at least one key"));
        }
        if keys
            .iter()
            .any(|k| k.as_ref().is_empty() || k.as_ref().contains('\0'))
        {
            return Err(Error::invalid("keys", "a key is empty or contains NUL"));
        }
        let target = self.target();
        let mut argv: Vec<&str> = vec!["send-keys", "-t", &target];
        argv.extend(keys.iter().map(|k| k.as_ref()));
        self.tmux(&argv)?;
        Ok(())
    }

    /// Type `text` literally, without pressing Enter. Long text goes through a paste buffer
    /// so the terminal receives it whole.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for empty text or a NUL; [`Error::NotFound`] if the pane is gone.
    pub fn send_text(&self, text: &str) -> Result<()> {
        if text.is_empty() || text.contains('\0') {
            return Err(Error::invalid("text", "must be non-empty, without NUL"));
        }
        let target = self.target();
        if text.len() < 512 {
            self.tmux(&["send-keys", "-t", &target, "-l", text])?;
        } else {
            let buffer = format!("ctmux-{}", self.id.number());
            self.tmux(&[
                "set-buffer",
                "-b",
                &buffer,
                "--",
                text,
                ";",
                "paste-buffer",
                "-d",
                "-r",
                "-b",
                &buffer,
                "-t",
                &target,
            ])?;
        }
        Ok(())
    }

    /// Send `signal` (`SIGINT`, `TERM`, `9`, ...) to the pane's foreground job (its process
    /// group), never to the shell. `SIGCONT` also reaches stopped jobs of the pane.
    /// Returns the process groups signalled.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown signal; [`Error::NotFound`] if the pane is gone or
    /// has no job to signal.
    pub fn signal(&self, signal: &str) -> Result<Vec<i32>> {
        use nix::sys::signal::{killpg, Signal};
        let sig = parse_signal(signal)?;
        let info = self.info()?;
        if info.dead {
            return Err(Error::not_found("live process in pane", self.target()));
        }
        let mut groups: Vec<i32> = foreground_job(info.pid).into_iter().collect();
        if sig == Signal::SIGCONT
            && groups.is_empty()
            && matches!(info.last_exec(), Some((_, None)))
        {
            // A job of a running exec was stopped and the shell is back at its prompt: resume
            // it in the foreground (the shell's `fg`, through ctmux's wrapper function), so it
            // gets the terminal, Ctrl-C reaches it and the exec reports its real status.
            let stopped: Vec<i32> = procfs::job_groups(info.pid)
                .into_iter()
                .filter_map(|(g, stopped)| stopped.then_some(g))
                .collect();
            if !stopped.is_empty() && procfs::at_line_editor(info.pid, &info.tty) {
                let target = self.target();
                self.tmux(&clear_and_type_argv(&target, " __ctmux_fg"))?;
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
                while foreground_job(info.pid).is_none() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                return Ok(stopped);
            }
        }
        if sig == Signal::SIGCONT {
            for (pgid, stopped) in procfs::job_groups(info.pid) {
                if stopped && !groups.contains(&pgid) {
                    groups.push(pgid);
                }
            }
        }
        if groups.is_empty() {
            return Err(Error::not_found(
                "foreground job",
                format!("pane {} runs no job", self.target()),
            ));
        }
        for g in &groups {
            wait_until_execd(info.pid, *g);
            killpg(nix::unistd::Pid::from_raw(*g), sig)
                .map_err(|e| Error::io(format!("sending {sig} to process group {g}"), e.into()))?;
        }
        Ok(groups)
    }

    /// Kill the pane (its session goes too if it was the last pane).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn kill(&self) -> Result<()> {
        self.tmux(&["kill-pane", "-t", &self.target()])?;
        Ok(())
    }
}

/// A new job's leader is for a moment a fork of the shell that still runs the shell's signal
/// handlers, though the terminal already names it the foreground group: a signal sent then is
/// swallowed (bash's handler records it, then the fork execs the command). Wait, 100 ms at
/// most, until the leader no longer runs the shell's command line (a subshell job keeps it:
/// it is signalled after the 100 ms).
fn wait_until_execd(shell_pid: i32, pgid: i32) {
    let Some(shell) = procfs::cmdline(shell_pid) else {
        return;
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(100);
    while procfs::cmdline(pgid).as_ref() == Some(&shell) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// The tmux commands that empty the line a shell is editing and type `line` + Enter into
/// pane `target`. `C-e C-u S C-e C-u` empties the line in emacs, vi-insert and vi-command
/// modes of readline (bash) and zle (zsh): `S` substitutes the line in vi-command mode and
/// is itself erased in the other modes.
pub(crate) fn clear_and_type_argv(target: &str, line: &str) -> Vec<String> {
    [
        "send-keys",
        "-t",
        target,
        "C-e",
        "C-u",
        "S",
        "C-e",
        "C-u",
        ";",
        "send-keys",
        "-t",
        target,
        "-l",
        line,
        ";",
        "send-keys",
        "-t",
        target,
        "Enter",
    ]
    .map(String::from)
    .to_vec()
}

pub(crate) fn check_meta_key(key: &str) -> Result<()> {
    if key.is_empty()
        || key.len() > 64
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::invalid(
            "metadata key",
            format!("{key:?} must be 1-64 characters of [A-Za-z0-9_-]"),
        ));
    }
    Ok(())
}

pub(crate) fn trim_trailing_blank_lines(s: &str) -> String {
    let mut lines: Vec<&str> = s.lines().collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
