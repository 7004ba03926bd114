//! Run a command in a pane's own shell and learn its real exit status and the bytes it wrote.
//!
//! How it works (see `docs/exec.md`):
//! 1. The command text goes to a private file in the state dir; a wrapper file next to it
//!    (re)defines ctmux's shell functions, (re)installs the prompt hook (`PROMPT_COMMAND` in
//!    bash, `precmd_functions` in zsh), prints an invisible start marker (an OSC sequence
//!    tmux ignores), sources the command file (so `cd` and `export` persist and any text
//!    arrives byte for byte), and prints the end marker with `$?`. When the command list is
//!    cut short (Ctrl-C aborts the rest of it), the prompt hook prints the end marker.
//! 2. Before typing, ctmux subscribes to the pane's pushed byte stream (control mode
//!    `%output`, lossless: [`crate::Backend::tap_session`]); a collector thread cuts the
//!    bytes between the two markers out of it. So the output is exactly what the command
//!    wrote: never the echoed command line, the prompt or an RPROMPT, no `history-limit`,
//!    tabs and `\r` as written ([`ExecResult::output_raw`]), and as a terminal shows them in
//!    [`ExecResult::output`]. Beyond a memory cap the output goes to a file.
//! 3. ctmux clears any text pending at the prompt (`C-e C-u S C-e C-u`: works in emacs and
//!    vi modes of readline and zle), types ` . '<wrapper>'` + Enter, and waits for the start
//!    marker (bounded): a wrapper that never starts fails the exec with nothing left pending.
//! 4. Completion is the end marker in the pushed stream. A detached exec (nobody in this
//!    process waits, e.g. `ctmux pane-exec` without `--wait`) instead has the shell notify
//!    tmux (`@ctmux-done`, `wait-for -S`) and its bytes written by `pipe-pane` to a file, so
//!    another process's wait finds both.
//! 5. `exit N` in a command (not in a subshell) is caught by the wrapper's `exit` function
//!    (bash, zsh): it reports N and interrupts the command list, so the shell stays.
//!
//! Every blocking wait has a `*_cancellable` twin taking a [`Cancel`] check, asked at least
//! every [`CANCEL_EVERY`].

mod pending;
mod render;
mod tap;
mod wrapper;

use crate::error::{Error, Partial, Result};
use crate::pane::{foreground_job, Pane, PaneInfo, DONE_OPTION, EXEC_OPTION};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tap::{Collected, Keep, Tap, TapEvent};

/// The result of a finished command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecResult {
    /// The exec's id.
    pub exec_id: String,
    /// The shell's `$?` after the command: 0-255 (130 after SIGINT, 127 not found, `N` after
    /// `exit N`); -1 when the shell came back to its prompt without reporting (the command
    /// replaced the shell, e.g. `exec bash`, or the wrapper never ran).
    pub exit_code: i32,
    /// What the command wrote, as text: escape sequences removed, `\r\n` as `\n`, tabs kept,
    /// lines rewritten with `\r` as a terminal shows them. When it is larger than the memory
    /// cap, the last part only, and the whole text is in [`ExecResult::output_file`].
    pub output: String,
    /// The bytes the command wrote to the terminal, exactly (when asked for with
    /// [`ExecOptions::raw`]; base64 in JSON). Beyond the memory cap, the last part (the
    /// whole is in [`ExecResult::raw_file`]).
    #[serde(serialize_with = "base64_opt", skip_serializing_if = "Option::is_none")]
    pub output_raw: Option<Vec<u8>>,
    /// The file holding the whole text, when it was larger than the memory cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_file: Option<PathBuf>,
    /// The file holding all raw bytes, when they were larger than the memory cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_file: Option<PathBuf>,
    /// Whether `output` is incomplete: the caller's [`ExecOptions::max_output`] cut it, or
    /// the bytes could not be collected (an exec started by a process that has gone, in a
    /// pane with a `pipe-pane` of its own).
    pub truncated: bool,
    /// Time from the exec's start until ctmux saw it finish (for a wait that begins after the
    /// command ended, that is when the wait looked).
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn base64_opt<S: serde::Serializer>(
    v: &Option<Vec<u8>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use base64::Engine;
    match v {
        Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        None => s.serialize_none(),
    }
}

/// How an exec runs and what it keeps. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOptions {
    /// Keep the raw bytes too ([`ExecResult::output_raw`]).
    pub raw: bool,
    /// Bytes of text (and of raw bytes) kept in memory; beyond it the output goes to a file.
    pub memory_cap: usize,
    /// Keep at most this many bytes of output; beyond it `truncated` is set.
    pub max_output: Option<u64>,
    /// Nobody in this process will wait: the shell notifies tmux itself and the bytes are
    /// written to a file by `pipe-pane` (unless `capture` is off), for a wait in another
    /// process.
    pub detached: bool,
    /// Keep the output of a detached exec (off: a later wait reports the status with no
    /// output, `truncated` set; what a restore starting servers wants).
    pub capture: bool,
    /// How long the shell may take to run the wrapper once it was typed.
    pub start_timeout: Duration,
    /// What to do with text already typed at the prompt.
    pub pending: PendingText,
}

/// What an exec does with text already typed at the prompt (a person typed `git sta`, or a
/// program sent text without Enter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PendingText {
    /// Clear the line, then type the exec (the text is lost; the default).
    #[default]
    Clear,
    /// Fail with [`Error::Busy`] naming the text, and leave the line as it was. Finding the
    /// text costs a few tmux round trips and screen looks (see `exec/pending.rs`); a line
    /// with nothing pending then runs the exec as usual.
    Fail,
}

impl std::str::FromStr for PendingText {
    type Err = Error;

    /// `clear` or `fail`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "clear" => Ok(PendingText::Clear),
            "fail" => Ok(PendingText::Fail),
            other => Err(Error::invalid(
                "pending-text policy",
                format!("{other:?} is not clear or fail"),
            )),
        }
    }
}

/// Default [`ExecOptions::memory_cap`]: 16 MiB.
pub const DEFAULT_MEMORY_CAP: usize = 16 << 20;

/// Default [`ExecOptions::start_timeout`].
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);

impl ExecOptions {
    /// A detached exec keeping no output: for commands started to keep running (services
    /// started by group-up, restore), whose status must reach tmux for any process's health
    /// checks.
    pub fn detached() -> Self {
        ExecOptions {
            detached: true,
            capture: false,
            ..ExecOptions::default()
        }
    }
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            raw: false,
            memory_cap: DEFAULT_MEMORY_CAP,
            max_output: None,
            detached: false,
            capture: true,
            start_timeout: DEFAULT_START_TIMEOUT,
            pending: PendingText::Clear,
        }
    }
}

/// A command started in a pane; [`ExecHandle::wait`] collects its result.
#[derive(Debug, Clone)]
pub struct ExecHandle {
    pane: Pane,
    id: String,
    started: Instant,
    shell_pid: i32,
    known_done: bool,
    /// The pushed byte stream this exec's output is cut from (none for a detached exec or a
    /// handle made from the pane's state).
    tap: Option<Arc<Tap>>,
    keep: Keep,
    /// The exec's files (wrapper, status, pipe).
    files: Files,
    /// The pane's terminal (`/dev/pts/3`).
    tty: String,
    /// How many `tmux wait-for` waiters this handle's waits started.
    waiters: Arc<AtomicU64>,
    /// The result, once collected (a second wait returns it again).
    result: Arc<Mutex<Option<ExecResult>>>,
}

/// How often a waiting exec checks that its pane still lives.
const LIVENESS_EVERY: Duration = Duration::from_millis(100);

/// How long the pushed stream must have been quiet, after the shell wrote the status file,
/// before the end marker counts as missed.
const MARKER_MISSED: Duration = Duration::from_secs(1);

/// How long the shell must have been back at its line editor, quiet, with no end marker, for
/// an exec to count as finished without reporting.
const SILENT_RETURN: Duration = Duration::from_millis(500);

/// A cancellation check for blocking waits. The wait calls it at least every
/// [`CANCEL_EVERY`]; once it returns `true` the wait stops and fails with an error for which
/// [`Error::is_cancelled`] holds. Only the wait stops: a command keeps running in its pane.
///
/// ```no_run
/// # fn demo(pane: &ctmux_core::Pane) -> ctmux_core::Result<()> {
/// use std::sync::atomic::{AtomicBool, Ordering};
/// let stop = AtomicBool::new(false); // set from another thread, a signal handler, ...
/// let err = pane
///     .run_cancellable("sleep 100", None, &|| stop.load(Ordering::Relaxed))
///     .unwrap_err();
/// assert!(err.is_cancelled());
/// # Ok(()) }
/// ```
pub type Cancel<'a> = &'a dyn Fn() -> bool;

/// Longest time between two calls of a wait's [`Cancel`] check.
pub const CANCEL_EVERY: Duration = Duration::from_millis(50);

/// The check of the plain (not cancellable) waits.
fn never() -> bool {
    false
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn new_exec_id(pane: &Pane) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!(
        "{}-{}-{}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed),
        pane.id()
    );
    let h = crate::server::fnv1a(&seed);
    format!("{}x{:012x}", pane.id().number(), h & 0xffff_ffff_ffff)
}

/// Quote `s` for a POSIX shell: single quotes, with `'` written as `'\''`.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = crate::state::create_private(path)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    f.write_all(text.as_bytes()).map_err(|e| {
        // A part of a command (ENOSPC) is no use to anyone: leave nothing.
        let _ = std::fs::remove_file(path);
        Error::io(format!("writing {}", path.display()), e)
    })
}

/// Shells the wrapper runs in (POSIX sh syntax).
const POSIX_SHELLS: &[&str] = &[
    "bash", "zsh", "sh", "dash", "ksh", "ksh93", "mksh", "ash", "yash", "busybox", "posh",
];

/// Files of exec `id` in the exec dir.
#[derive(Debug, Clone)]
struct Files {
    cmd: PathBuf,
    wrap: PathBuf,
    rc: PathBuf,
    pipe: PathBuf,
    spill: PathBuf,
}

impl Files {
    fn new(dir: &Path, id: &str) -> Files {
        Files {
            cmd: dir.join(format!("{id}.cmd")),
            wrap: dir.join(format!("{id}.sh")),
            rc: dir.join(format!("{id}.rc")),
            pipe: dir.join(format!("{id}.pipe")),
            spill: dir.join(format!("{id}.output")),
        }
    }

    /// Remove what the exec no longer needs once collected (spilled output stays: the
    /// result names it).
    fn remove(&self) {
        for p in [&self.cmd, &self.wrap, &self.rc, &self.pipe] {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Whether the first 64 KiB of `path` hold `needle`.
fn head_holds(path: &Path, needle: &[u8]) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .is_ok()
        && memchr::memmem::find(&head, needle).is_some()
}

/// The status the shell wrote to exec's rc file, if it did.
fn read_rc(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

impl Pane {
    /// Start `cmd` in the pane's shell and return once the shell has begun running it
    /// ([`Pane::exec_with`] with the default [`ExecOptions`]).
    ///
    /// # Errors
    /// As [`Pane::exec_with`].
    pub fn exec(&self, cmd: &str) -> Result<ExecHandle> {
        self.exec_with(cmd, &ExecOptions::default())
    }

    /// Start `cmd` in the pane's shell and return once the shell has begun running it.
    ///
    /// Waits (up to the client's [`crate::Ctmux::ready_timeout`]) for a new pane's shell to
    /// draw its prompt first, so no keystroke is lost. Two execs on one pane never
    /// interleave: a pane running a job, or whose last exec has not finished, is Busy.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty command or one containing NUL; [`Error::Busy`] if a
    /// job runs, the last exec has not finished, or the shell did not run the wrapper within [`ExecOptions::start_timeout`];
    /// [`Error::Unsupported`] if the pane does not run a POSIX shell (fish, a REPL);
    /// [`Error::NotFound`] if the pane is gone; [`Error::Timeout`] if the shell never became
    /// ready.
    pub fn exec_with(&self, cmd: &str, opts: &ExecOptions) -> Result<ExecHandle> {
        if cmd.trim().is_empty() {
            return Err(Error::invalid("command", "must not be empty"));
        }
        if cmd.contains('\0') {
            return Err(Error::invalid("command", "must not contain NUL"));
        }
        if opts.memory_cap == 0 {
            return Err(Error::invalid("memory_cap", "must be at least 1 byte"));
        }
        let dir = self.client().exec_dir()?;
        let _lock =
            crate::state::lock_transient(&dir.join(format!("{}.lock", self.id().number())))?;
        let info = self.ready_info()?;
        let shell = crate::procfs::stat_line(info.pid)
            .map(|s| s.name)
            .unwrap_or_default();
        if !POSIX_SHELLS.contains(&shell.as_str()) {
            return Err(Error::Unsupported(format!(
                "pane {} runs {shell:?}, not a POSIX shell (bash, zsh, sh, dash, ksh): exec \
                 needs one; use send_text / send_keys for other programs",
                self.target()
            )));
        }
        if let Some(pgid) = foreground_job(info.pid) {
            return Err(Error::Busy {
                pane: self.target(),
                reason: format!(
                    "foreground job {} (process group {pgid}) is running",
                    info.command
                ),
            });
        }
        if let Some((id, None)) = info.last_exec() {
            self.settle_stale(&dir, &id, &info)?;
        }
        if opts.pending == PendingText::Fail {
            let within = opts.start_timeout.min(Duration::from_secs(2));
            if let Some(text) = pending::pending_text(self, &new_exec_id(self), within)? {
                return Err(Error::Busy {
                    pane: self.target(),
                    reason: format!(
                        "text is pending at the prompt: {text:?} (left as it was; enter or \
                         clear it, or exec with the clear policy)"
                    ),
                });
            }
        }
        remove_pane_files(&dir, self.id().number());
        let id = new_exec_id(self);
        let files = Files::new(&dir, &id);
        write_private(&files.cmd, &format!("{cmd}\n"))?;
        let keep = Keep {
            memory_cap: opts.memory_cap,
            max_output: opts.max_output,
            raw: opts.raw,
            spill: files.spill.clone(),
        };
        // Subscribe before typing, so no byte of the markers can be pushed before we listen.
        let tap = if opts.detached {
            None
        } else {
            match self.client().backend().tap_session(self.session().id()) {
                Ok(t) => Some(Tap::start(
                    t.rx,
                    Some(Box::new(t.conn)),
                    self.id(),
                    &id,
                    &keep,
                )),
                Err(_) => None,
            }
        };
        // A detached exec (or one whose stream could not be tapped) has the shell notify
        // tmux, and its bytes go to a file through `pipe-pane` when the pane has none.
        let pipe = tap.is_none() && !info.piped && opts.capture;
        let tmux = self
            .client()
            .server()
            .tmux_path()
            .to_string_lossy()
            .into_owned();
        let notify = tap
            .is_none()
            .then_some((tmux.as_str(), info.socket_path.as_str()));
        let lib = dir.join(wrapper::lib_file_name());
        if !lib.exists() {
            crate::state::atomic_write(&lib, wrapper::lib_script().as_bytes())?;
        }
        let typed = wrapper::typed_line(&files.wrap);
        let target = self.target();
        write_private(
            &files.wrap,
            &wrapper::Wrapper {
                id: &id,
                cmd_file: &files.cmd,
                rc_file: &files.rc,
                notify,
                pane: &target,
                lib: &lib,
            }
            .script(),
        )?;
        let started_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let exec_value = format!("{id}@{started_ms}");
        let mut argv: Vec<String> = [
            "set-option",
            "-p",
            "-t",
            &target,
            EXEC_OPTION,
            &exec_value,
            ";",
        ]
        .map(String::from)
        .to_vec();
        // Record the command in the pane's bounded history, in the same tmux call.
        argv.extend(crate::snapshot::history::append_argv(&target, cmd));
        argv.push(";".into());
        if pipe {
            argv.extend(
                [
                    "pipe-pane",
                    "-O",
                    "-t",
                    &target,
                    &format!("exec cat >> {}", sh_quote(&files.pipe.to_string_lossy())),
                    ";",
                ]
                .map(String::from),
            );
        }
        if info.in_mode {
            argv.extend(["send-keys", "-t", &target, "-X", "cancel", ";"].map(String::from));
        }
        argv.extend(crate::pane::clear_and_type_argv(&target, &typed));
        if let Err(e) = self.tmux(&argv) {
            remove_pane_files(&dir, self.id().number());
            return Err(e);
        }
        if let Some(t) = &tap {
            self.client().exec_slot_put(&id, Arc::clone(t) as _);
        }
        let handle = ExecHandle {
            pane: self.clone(),
            id,
            started: Instant::now(),
            shell_pid: info.pid,
            known_done: false,
            tap,
            keep,
            tty: info.tty.clone(),
            files,
            waiters: Arc::default(),
            result: Arc::default(),
        };
        handle.check_started(opts.start_timeout, pipe)?;
        Ok(handle)
    }

    /// The last exec has not recorded its end: decide whether it still runs (Busy) or is over
    /// (recorded now, so the pane takes the next exec). Never leaves a pane Busy for good: an
    /// exec whose shell is back at its line editor with no job is over.
    fn settle_stale(&self, dir: &Path, id: &str, info: &PaneInfo) -> Result<()> {
        let files = Files::new(dir, id);
        if let Some(rc) = read_rc(&files.rc) {
            return self.finish_record(id, rc);
        }
        if crate::procfs::at_line_editor(info.pid, &info.tty) {
            // The wrapper never ran, or the command replaced the shell (`exec bash`), or
            // removed the hook and was interrupted: nothing will report it.
            return self.finish_record(id, -1);
        }
        Err(Error::Busy {
            pane: self.target(),
            reason: format!("exec {id} has not finished"),
        })
    }

    /// Record exec `id` as finished with `rc`.
    fn finish_record(&self, id: &str, rc: i32) -> Result<()> {
        self.tmux(&record_argv(&self.target(), id, rc))?;
        Ok(())
    }

    /// Pane facts once its shell has drawn a prompt, polling with a growing pause (5 ms to
    /// 100 ms) up to the client's ready timeout.
    fn ready_info(&self) -> Result<PaneInfo> {
        let timeout = self.client().ready_timeout();
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(5);
        loop {
            let info = self.info()?;
            if info.dead {
                return Err(Error::not_found("live pane", self.target()));
            }
            if info.shell_ready() {
                return Ok(info);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: format!("the shell in pane {} to draw its prompt", self.target()),
                    seconds: timeout.as_secs_f64(),
                    partial: Partial::default(),
                });
            }
            std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Start `cmd` and wait for it: [`Pane::exec`] then [`ExecHandle::wait`].
    ///
    /// # Errors
    /// As both.
    pub fn run(&self, cmd: &str, timeout: Option<Duration>) -> Result<ExecResult> {
        self.run_cancellable(cmd, timeout, &never)
    }

    /// [`Pane::run`] with options.
    ///
    /// # Errors
    /// As [`Pane::exec_with`] and [`ExecHandle::wait`].
    pub fn run_with(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        opts: &ExecOptions,
    ) -> Result<ExecResult> {
        self.exec_with(cmd, opts)?.wait(timeout)
    }

    /// [`Pane::run`] whose wait stops when `cancel` says so (the command keeps running).
    ///
    /// # Errors
    /// As [`Pane::run`]; a cancelled wait fails with [`Error::is_cancelled`] true.
    pub fn run_cancellable(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<ExecResult> {
        self.exec(cmd)?.wait_cancellable(timeout, cancel)
    }

    /// Run `cmd`; on timeout interrupt it (SIGINT to its foreground process group), give it up
    /// to 2 s to return to the prompt, and fail with [`Error::Timeout`] carrying the output so
    /// far.
    ///
    /// # Errors
    /// As [`Pane::run`].
    pub fn run_or_interrupt(&self, cmd: &str, timeout: Duration) -> Result<ExecResult> {
        self.run_or_interrupt_cancellable(cmd, timeout, &never)
    }

    /// [`Pane::run_or_interrupt`] whose wait stops when `cancel` says so; a cancelled wait does
    /// not interrupt the command.
    ///
    /// # Errors
    /// As [`Pane::run_or_interrupt`]; a cancelled wait fails with [`Error::is_cancelled`] true.
    pub fn run_or_interrupt_cancellable(
        &self,
        cmd: &str,
        timeout: Duration,
        cancel: Cancel<'_>,
    ) -> Result<ExecResult> {
        let handle = self.exec(cmd)?;
        match handle.wait_cancellable(Some(timeout), cancel) {
            Err(Error::Timeout { what, seconds, .. }) => {
                let _ = self.signal("SIGINT");
                let output = match handle.wait(Some(Duration::from_secs(2))) {
                    Ok(r) => r.output,
                    Err(_) => handle.partial_output().unwrap_or_default(),
                };
                let partial = Partial { output };
                Err(Error::Timeout {
                    what,
                    seconds,
                    partial,
                })
            }
            other => other,
        }
    }

    /// Wait for the pane's current work: the last exec ctmux started (its exit code and
    /// output), or else any foreground job (no exit code). Returns `None` for the exit code
    /// when nothing ctmux started is known.
    ///
    /// # Errors
    /// [`Error::Timeout`] if it is still running after `timeout`; [`Error::NotFound`] if the
    /// pane is gone.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Option<ExecResult>> {
        self.wait_cancellable(timeout, &never)
    }

    /// [`Pane::wait`] that stops when `cancel` says so.
    ///
    /// # Errors
    /// As [`Pane::wait`]; a cancelled wait fails with [`Error::is_cancelled`] true.
    pub fn wait_cancellable(
        &self,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<Option<ExecResult>> {
        let info = self.info()?;
        if let Some((id, code)) = info.last_exec() {
            // Measure from the exec's recorded start, not from this call.
            let since_start = info
                .exec_started()
                .and_then(|(_, t)| t)
                .and_then(|t| t.elapsed().ok())
                .unwrap_or_default();
            let dir = self.client().exec_dir()?;
            let tap = self
                .client()
                .exec_slot(&id)
                .and_then(|t| t.downcast::<Tap>().ok());
            let files = Files::new(&dir, &id);
            let handle = ExecHandle {
                pane: self.clone(),
                keep: Keep {
                    memory_cap: DEFAULT_MEMORY_CAP,
                    max_output: None,
                    raw: false,
                    spill: files.spill.clone(),
                },
                files,
                tty: info.tty.clone(),
                id,
                started: Instant::now()
                    .checked_sub(since_start)
                    .unwrap_or_else(Instant::now),
                shell_pid: info.pid,
                known_done: code.is_some(),
                tap,
                waiters: Arc::default(),
                result: Arc::default(),
            };
            return handle.wait_cancellable(timeout, cancel).map(Some);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        while foreground_job(info.pid).is_some() {
            if cancel() {
                return Err(Error::cancelled(format_args!(
                    "the job in pane {}",
                    self.target()
                )));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Error::Timeout {
                    what: format!("the job in pane {}", self.target()),
                    seconds: timeout.unwrap_or_default().as_secs_f64(),
                    partial: Partial::default(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(None)
    }

    /// Clear ctmux's exec state on the pane: a pending exec is recorded as finished (-1),
    /// ctmux's `pipe-pane` is closed and the exec's files are removed. The pane's shell and any job in it are left alone.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn reset(&self) -> Result<()> {
        let info = self.info()?;
        let target = self.target();
        let mut argv: Vec<String> = Vec::new();
        if let Some((id, None)) = info.last_exec() {
            argv.extend(record_argv(&target, &id, -1));
        }
        if info.piped {
            if let Some((id, _)) = info.last_exec() {
                let dir = self.client().exec_dir()?;
                if Files::new(&dir, &id).pipe.exists() {
                    if !argv.is_empty() {
                        argv.push(";".into());
                    }
                    argv.extend(["pipe-pane", "-t", &target].map(String::from));
                }
            }
        }
        if !argv.is_empty() {
            self.tmux(&argv)?;
        }
        if let Ok(dir) = self.client().exec_dir() {
            remove_pane_files(&dir, self.id().number());
        }
        Ok(())
    }
}

/// Set `@ctmux-done` to `<id>:<rc>`.
fn record_argv(target: &str, id: &str, rc: i32) -> Vec<String> {
    [
        "set-option",
        "-p",
        "-t",
        target,
        DONE_OPTION,
        &format!("{id}:{rc}"),
    ]
    .map(String::from)
    .to_vec()
}

fn remove_pane_files(dir: &Path, pane_number: u32) {
    let prefix = format!("{pane_number}x");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix)
                && [".sh", ".cmd", ".rc", ".pipe"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// An interactive bash prints a newline of its own when the foreground job dies of SIGINT;
/// it is not the command's output.
fn strip_interrupt_newline(mut output: String, exit_code: i32) -> String {
    if exit_code == 130 && (output == "\n" || output.ends_with("\n\n")) {
        output.pop();
    }
    output
}

/// How a wait ended.
enum Ended {
    /// The end marker (or the shell's notifier, or the rc file) gave the status.
    Status(i32),
    /// The shell is back at its line editor without reporting.
    Silent,
}

impl ExecHandle {
    /// The exec's id (also stored in the pane option `@ctmux-exec`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The pane it runs in.
    pub fn pane(&self) -> &Pane {
        &self.pane
    }

    /// How many `tmux wait-for` waiter processes this handle's waits have started (0 when
    /// completion was seen in the pushed byte stream). For tests.
    #[doc(hidden)]
    pub fn waiters_started(&self) -> u64 {
        self.waiters.load(Ordering::Relaxed)
    }

    /// After typing: the start marker must show within `timeout`, or the shell did not run
    /// the wrapper (it was eaten by a program reading the terminal, typed onto text that
    /// could not be cleared, ...): the exec is then recorded as over and fails.
    fn check_started(&self, timeout: Duration, pipe: bool) -> Result<()> {
        if self.tap.is_none() && !pipe {
            return Ok(());
        }
        // The start marker is among the first bytes `cat` writes.
        let start = crate::marker::start_bytes(&self.id);
        let deadline = Instant::now() + timeout;
        let started = loop {
            let seen = match &self.tap {
                Some(tap) => tap.wait_started(Duration::from_millis(20)),
                None => {
                    std::thread::sleep(Duration::from_millis(2));
                    head_holds(&self.files.pipe, &start)
                }
            };
            if seen || self.files.rc.exists() {
                break true;
            }
            // The shell is gone (the command ended it at once): the wait reports that.
            if !crate::procfs::alive(self.shell_pid) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                break false;
            }
        };
        if started {
            return Ok(());
        }
        let _ = self.pane.finish_record(&self.id, -1);
        self.files.remove();
        Err(Error::Busy {
            pane: self.pane.target(),
            reason: format!(
                "the shell did not start exec {} within {:.1} s (a program reading the \
                 terminal, or text at the prompt that could not be cleared); nothing is left \
                 pending",
                self.id,
                timeout.as_secs_f64()
            ),
        })
    }

    /// What the command has printed so far (best effort).
    pub fn partial_output(&self) -> Option<String> {
        if let Some(tap) = &self.tap {
            return Some(tap.partial_text());
        }
        let mut c = tap::Collector::new(&self.id, &self.keep);
        c.feed(&std::fs::read(&self.files.pipe).ok()?);
        Some(c.partial_text())
    }

    /// Wait until the command finishes (or `timeout` passes; `None` waits for ever) and
    /// return its exit code and output. Completion is pushed (the end marker in the pane's
    /// byte stream, or tmux's `wait-for` for a detached exec), not polled; the pane's
    /// liveness is checked every 100 ms while waiting.
    ///
    /// # Errors
    /// [`Error::Timeout`] with the output so far; [`Error::NotFound`] if the pane is gone.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<ExecResult> {
        self.wait_cancellable(timeout, &never)
    }

    /// [`ExecHandle::wait`] that stops when `cancel` says so (checked at least every
    /// [`CANCEL_EVERY`]). The command keeps running; the handle can be waited on again.
    ///
    /// # Errors
    /// As [`ExecHandle::wait`]; a cancelled wait fails with [`Error::is_cancelled`] true.
    pub fn wait_cancellable(
        &self,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<ExecResult> {
        if let Some(r) = self
            .result
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(r);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let ended = if self.known_done {
            let code = self.pane.info()?.last_exec().and_then(|(_, c)| c);
            Ended::Status(code.unwrap_or(-1))
        } else if self.tap.is_some() {
            self.block_on_tap(deadline, timeout, cancel)?
        } else {
            self.block_until_signalled(deadline, timeout, cancel)?
        };
        let result = self.collect(ended)?;
        *self.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(result.clone());
        Ok(result)
    }

    fn timeout_error(&self, timeout: Option<Duration>) -> Error {
        Error::Timeout {
            what: format!("exec {} in pane {}", self.id, self.pane.target()),
            seconds: timeout.unwrap_or_default().as_secs_f64(),
            partial: Partial {
                output: self.partial_output().unwrap_or_default(),
            },
        }
    }

    fn cancelled_error(&self) -> Error {
        Error::cancelled(format_args!(
            "exec {} in pane {}",
            self.id,
            self.pane.target()
        ))
    }

    fn exited_error(&self) -> Error {
        Error::not_found(
            "pane",
            format!(
                "{} exited before exec {} finished",
                self.pane.target(),
                self.id
            ),
        )
    }

    /// The shell has gone (the pane was killed, or `builtin exit` ended it).
    fn shell_gone(&self) -> Result<Ended> {
        // Nothing will run or report it now.
        self.files.remove();
        Err(self.exited_error())
    }

    /// Wait on the pushed byte stream for the end marker, checking liveness, the rc file
    /// (the stream may miss the marker when the pane moved to another session) and a shell
    /// back at its prompt without reporting.
    fn block_on_tap(
        &self,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<Ended> {
        let Some(tap) = &self.tap else {
            return self.block_until_signalled(deadline, timeout, cancel);
        };
        let every = LIVENESS_EVERY.min(CANCEL_EVERY);
        let mut silent_since: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(now).min(every),
                None => every,
            };
            match tap.wait(slice) {
                TapEvent::Ended(rc) => return Ok(Ended::Status(rc)),
                TapEvent::Closed => return self.block_until_signalled(deadline, timeout, cancel),
                TapEvent::Nothing => {}
            }
            if cancel() {
                return Err(self.cancelled_error());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(self.timeout_error(timeout));
            }
            if !crate::procfs::alive(self.shell_pid) {
                return self.shell_gone();
            }
            // The shell has reported, but the stream (tmux and this reader may be megabytes
            // behind the pane) has not brought the marker yet: go on while bytes arrive; only a
            // stream quiet for a while has missed it (the pane moved to another session).
            if let Some(rc) = read_rc(&self.files.rc) {
                if tap.quiet_for() >= MARKER_MISSED {
                    return Ok(Ended::Status(rc));
                }
            }
            if self.back_at_prompt(tap.quiet_for()) {
                let since = *silent_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SILENT_RETURN {
                    return Ok(Ended::Silent);
                }
            } else {
                silent_since = None;
            }
        }
    }

    /// Whether the shell is back at its line editor with no job, quiet for a while, while
    /// this exec has not reported.
    fn back_at_prompt(&self, quiet: Duration) -> bool {
        if quiet < SILENT_RETURN || foreground_job(self.shell_pid).is_some() {
            return false;
        }
        if !crate::procfs::at_line_editor(self.shell_pid, &self.tty) {
            return false;
        }
        // A job stopped (Ctrl-Z, SIGSTOP) is still this exec's: it reports once resumed.
        !crate::procfs::job_groups(self.shell_pid)
            .iter()
            .any(|(_, stopped)| *stopped)
    }

    /// Wait for the shell's notifier (`tmux wait-for`), for a detached exec or a handle made
    /// from the pane's state.
    fn block_until_signalled(
        &self,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<Ended> {
        let server = self.pane.client().server();
        let child = server
            .command(&["wait-for", &format!("ctmux-{}", self.id)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| Error::io("starting tmux wait-for", e))?;
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let waiter_pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let (tx, rx) = std::sync::mpsc::channel();
        let reaper = std::thread::spawn(move || {
            let mut child = child;
            let _ = tx.send(child.wait());
        });
        // A signal can be lost when an earlier waiter on the channel was killed (tmux wakes
        // the dead waiter), and a quiet exec's starter may have gone: look at the rc file and
        // `@ctmux-done` now and then, backing off to every 2 s.
        let mut next_check = Instant::now();
        let mut check_every = LIVENESS_EVERY;
        let mut waiter_exited = false;
        let mut silent_since: Option<Instant> = None;
        let every = LIVENESS_EVERY.min(CANCEL_EVERY);
        let outcome = loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(every),
                None => every,
            };
            match rx.recv_timeout(slice) {
                Ok(Ok(_)) => {
                    waiter_exited = true;
                    if let Some(Some(rc)) = self.done_code() {
                        break Ok(Ended::Status(rc));
                    }
                }
                Ok(Err(e)) => {
                    waiter_exited = true;
                    break Err(Error::io("waiting for tmux wait-for", e));
                }
                Err(_) => {}
            }
            if cancel() {
                break Err(self.cancelled_error());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break Err(self.timeout_error(timeout));
            }
            if !crate::procfs::alive(self.shell_pid) {
                break self.shell_gone();
            }
            if Instant::now() >= next_check {
                if let Some(rc) = read_rc(&self.files.rc) {
                    break Ok(Ended::Status(rc));
                }
                match self.done_code() {
                    Some(Some(rc)) => break Ok(Ended::Status(rc)),
                    // Another exec has started: this one is long over.
                    None => break Ok(Ended::Status(-1)),
                    Some(None) => {}
                }
                if self.back_at_prompt(SILENT_RETURN) {
                    let since = *silent_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= SILENT_RETURN {
                        break Ok(Ended::Silent);
                    }
                    check_every = LIVENESS_EVERY;
                } else {
                    silent_since = None;
                    check_every = (check_every * 2).min(Duration::from_secs(2));
                }
                next_check = Instant::now() + check_every;
            }
            if waiter_exited {
                // Woken, but not for us (a stale signal): wait by checking.
                std::thread::sleep(slice);
            }
        };
        if !waiter_exited {
            // `tmux wait-for` ignores SIGINT; it is our own (unreaped) child: kill it by pid.
            let _ = nix::sys::signal::kill(waiter_pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = reaper.join();
        outcome
    }

    /// `@ctmux-done`'s code for this exec: `Some(Some(rc))` recorded, `Some(None)` not yet,
    /// `None` when the pane's last exec is another one.
    fn done_code(&self) -> Option<Option<i32>> {
        let info = self.pane.info().ok()?;
        let (id, code) = info.last_exec()?;
        (id == self.id).then_some(code)
    }

    /// The exec is over: gather the output, record it in tmux, tidy up.
    fn collect(&self, ended: Ended) -> Result<ExecResult> {
        let files = &self.files;
        let target = self.pane.target();
        self.pane.client().exec_slot_remove(&self.id);
        let exit_code = match ended {
            Ended::Status(rc) => rc,
            Ended::Silent => read_rc(&files.rc).unwrap_or(-1),
        };
        let mut collected = self.collected(files);
        let truncated = match &collected {
            Some(c) => c.text.truncated,
            None => true,
        };
        let c = collected.take().unwrap_or_default();
        let output = strip_interrupt_newline(
            String::from_utf8_lossy(&c.text.bytes).into_owned(),
            exit_code,
        );
        let mut argv = record_argv(&target, &self.id, exit_code);
        let piped = files.pipe.exists();
        // Its files go whatever tmux says next (the pane may be gone).
        files.remove();
        if piped {
            argv.extend([";", "pipe-pane", "-t", &target].map(String::from));
            self.pane.tmux(&argv)?;
        } else if !self.known_done {
            // Nobody needs its answer: over a control connection it is not waited for (this
            // client's next command sees it; the status file serves other processes meanwhile).
            self.pane.client().tmux_post(&argv)?;
        }
        if self.tap.is_none() {
            self.settle();
        }
        Ok(ExecResult {
            exec_id: self.id.clone(),
            exit_code,
            output,
            output_raw: c.raw.as_ref().map(|r| r.bytes.clone()),
            output_file: c.text.file.clone(),
            raw_file: c.raw.and_then(|r| r.file),
            truncated,
            duration: self.started.elapsed(),
        })
    }

    /// After the shell reported, its notifier (`tmux set-option ... wait-for -S`) may still be
    /// the foreground process for a moment: wait (bounded) until the shell has the terminal
    /// back, so `is_running` is false and a next exec is accepted as soon as `wait` returns.
    fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while foreground_job(self.shell_pid).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// The output: from the tap, else from the `pipe-pane` file, read as it grows until the
    /// end marker is there (`cat` may still be writing it; 2 s at most). `None` when neither
    /// has it.
    fn collected(&self, files: &Files) -> Option<Collected> {
        use std::io::Read;
        if let Some(tap) = &self.tap {
            return Some(tap.take());
        }
        let mut f = std::fs::File::open(&files.pipe).ok()?;
        let mut c = tap::Collector::new(&self.id, &self.keep);
        let mut buf = vec![0u8; 256 * 1024];
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match f.read(&mut buf) {
                Ok(0) | Err(_) if Instant::now() >= deadline => break,
                Ok(0) | Err(_) => std::thread::sleep(Duration::from_millis(2)),
                Ok(n) => {
                    if c.feed(&buf[..n]).ended.is_some() {
                        return Some(c.finish());
                    }
                }
            }
        }
        // No end marker (the shell exited, or never reported): what is there.
        c.started().then(|| c.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn interrupt_newline() {
        assert_eq!(strip_interrupt_newline("\n".into(), 130), "");
        assert_eq!(strip_interrupt_newline("a\n\n".into(), 130), "a\n");
        assert_eq!(strip_interrupt_newline("a\n".into(), 0), "a\n");
    }
}
