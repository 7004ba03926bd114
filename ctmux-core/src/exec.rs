//! Run a command in a pane's own shell and learn its real exit status and output.
//!
//! How it works (one tmux round trip to start, one to collect):
//! 1. The command text is written to a private file in the state dir; a small wrapper file
//!    next to it sets `__ctmux_pending=<exec id>`, installs (once per shell) a prompt hook
//!    (`PROMPT_COMMAND` in bash, `precmd_functions` in zsh) and sources the command file.
//!    Sourcing runs the command in the shell itself, so `cd` and `export` persist, and any
//!    text (quotes, `$`, newlines, 10 kB) arrives byte for byte.
//! 2. ctmux types ` . '<wrapper>'` + Enter into the pane and records the exec id in the pane
//!    option `@ctmux-exec`.
//! 3. When the shell is back at its prompt, the hook sees `$?` (also after Ctrl-C, which
//!    aborts the rest of a command list in bash), prints a concealed end marker
//!    `ctmux:<id>:<rc>:end`, sets `@ctmux-done=<id>:<rc>` and signals the tmux channel
//!    `ctmux-<id>` (`wait-for -S`).
//! 4. The waiter blocks on `tmux wait-for ctmux-<id>` (pushed by tmux, no polling), then
//!    captures the pane and keeps the lines between the echoed wrapper line and the marker.
//!    When the backend's control-mode client is attached to the pane's session, no waiter
//!    is started: the exec subscribed to the pushed notifications before typing, and the
//!    wait ends once the pane's `%output` shows the marker and then the next prompt. Such an
//!    exec is *quiet*: the shell runs no `tmux` notifier (a process on the prompt's path);
//!    the wait sets `@ctmux-done` itself in the tmux call that captures the output. A quiet
//!    exec nobody waited for is recognised later by its marker on the screen (a later wait,
//!    or the next exec, records it).
//!
//! Shells without a prompt hook (dash, ksh) report from the end of the wrapper instead; an
//! interrupted command there reports nothing, and the wait ends in a timeout.
//! Output is what the terminal shows (tabs expanded, carriage returns applied), limited to the
//! pane's history; the control-mode backend can give the raw byte stream.
//!
//! Every blocking wait has a `*_cancellable` twin taking a [`Cancel`] check, asked at least
//! every [`CANCEL_EVERY`]: bindings use it to stop a wait on Ctrl-C (Python) or when an async
//! caller gives up, without slicing the wait themselves.

use crate::error::{Error, Partial, Result};
use crate::pane::{foreground_job, Pane, PaneInfo, DONE_OPTION, EXEC_OPTION};
use serde::Serialize;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The result of a finished command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecResult {
    /// The exec's id.
    pub exec_id: String,
    /// The shell's `$?` after the command: 0-255 (130 after SIGINT, 127 not found, ...).
    pub exit_code: i32,
    /// What the command printed, without prompt, echoed command line or marker.
    pub output: String,
    /// Whether the start of the output had already scrolled out of the pane's history.
    pub truncated: bool,
    /// Time from the exec's start until ctmux saw it finish (for a wait that begins after the
    /// command ended, that is when the wait looked).
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// A command started in a pane; [`ExecHandle::wait`] collects its result.
#[derive(Debug, Clone)]
pub struct ExecHandle {
    pane: Pane,
    id: String,
    started: Instant,
    shell_pid: i32,
    known_done: bool,
    /// The shell does not report (no notifier): this handle records `@ctmux-done` itself
    /// once it has seen the marker in the pushed output.
    quiet: bool,
    /// The pane's pushed output, when the backend's control client is attached to the pane's
    /// session (subscribed before the command was typed); taken by a wait, put back when the
    /// wait stops early.
    watch: Arc<Mutex<Option<OutputWatch>>>,
    /// How many `tmux wait-for` waiters this handle's waits started.
    waiters: Arc<AtomicU64>,
    /// The exit status read from the pushed end marker (quiet execs record it with the
    /// capture that collects the output, in the same tmux call).
    pushed_rc: Arc<Mutex<Option<i32>>>,
}

/// Looks for an exec's end marker in one pane's pushed `%output` bytes.
#[derive(Debug)]
struct OutputWatch {
    rx: crate::control::Subscription,
    pane: crate::ids::PaneId,
    /// The exec id, whose marker is looked for.
    id: Vec<u8>,
    /// The tail of the output seen so far that may hold the start of the marker.
    buf: Vec<u8>,
}

/// What [`scan_marker`] found.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// A whole `ctmux:<id>:<rc>:end`, its line's end and at least one byte after it.
    Found,
    /// Nothing yet: keep `buf[from..]`, the marker may continue in the next bytes.
    Keep(usize),
}

/// The exit status in exec `id`'s last whole marker within `buf`.
fn marker_rc(buf: &[u8], id: &[u8]) -> Option<i32> {
    crate::marker::find_all(buf)
        .filter(|m| m.id == id)
        .last()
        .map(|m| m.rc)
}

/// Look for exec `id`'s whole marker in `buf`, followed by the end of its line and then at
/// least one more byte. The hook prints the marker *before* its notifier sets
/// `@ctmux-done`; the shell draws its next prompt only after the notifier has exited. Output
/// after the marker's line means the exec has reported, so a next exec is not Busy.
fn scan_marker(buf: &[u8], id: &[u8]) -> Scan {
    if let Some(m) = crate::marker::find_all(buf).find(|m| m.id == id) {
        let after = &buf[m.end()..];
        return match after.iter().position(|b| *b == b'\n') {
            Some(nl) if nl + 1 < after.len() => Scan::Found,
            // Still waiting for the line's end or the prompt (or garbage: give up on it).
            _ if after.len() < 64 => Scan::Keep(m.start),
            _ => Scan::Keep(buf.len()),
        };
    }
    // Keep only a tail that may still grow into the marker.
    let longest = crate::marker::PREFIX.len() + id.len() + 8;
    let from = (buf.len().saturating_sub(longest)..buf.len())
        .find(|&i| crate::marker::may_become(&buf[i..], id))
        .unwrap_or(buf.len());
    Scan::Keep(from)
}

impl OutputWatch {
    /// Add bytes the pane printed; true once the whole marker has been seen.
    fn feed(&mut self, data: &[u8]) -> bool {
        self.buf.extend_from_slice(data);
        match scan_marker(&self.buf, &self.id) {
            Scan::Found => true,
            Scan::Keep(from) => {
                self.buf.drain(..from);
                false
            }
        }
    }
}

/// How the pushed-output watch ended without an error.
enum Watched {
    /// The end marker arrived.
    Marker,
    /// The notifications stopped (the connection ended): wait the other way.
    Closed,
}

/// How long a new pane's shell may take to draw its prompt.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a waiting exec checks that its pane still lives.
const LIVENESS_EVERY: Duration = Duration::from_millis(100);

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

/// The pane's whole history and screen, wrapped lines joined, markers kept (what exec
/// output is cut from).
fn capture_history(pane: &Pane) -> Result<String> {
    pane.tmux(&["capture-pane", "-p", "-J", "-t", &pane.target(), "-S", "-"])
}

/// Set the pane's `@ctmux-done` to `<id>:<rc>`.
fn record_done(pane: &Pane, id: &str, exit_code: i32) -> Result<()> {
    pane.tmux(&[
        "set-option",
        "-p",
        "-t",
        &pane.target(),
        DONE_OPTION,
        &format!("{id}:{exit_code}"),
    ])
    .map(|_| ())
}

/// Quote `s` for a POSIX shell: single quotes, with `'` written as `'\''`.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// The wrapper sourced by the pane's shell (POSIX sh syntax; zsh-only parts go through eval).
/// `quiet`: the caller watches the pane's pushed output and records `@ctmux-done` itself, so
/// the hook only prints the marker (no `tmux` notifier process before the next prompt).
fn wrapper_script(
    id: &str,
    cmd_file: &Path,
    notify: &str,
    pane: &str,
    hook_key: &str,
    quiet: bool,
) -> String {
    format!(
        r#"__ctmux_pending={id}
__ctmux_quiet={quiet}
if [ "${{__ctmux_hooked-}}" != {key} ]; then
__ctmux_report() {{
printf '\033[8mctmux:%s:%s:end\033[28m\n' "$__ctmux_pending" "$1"
if [ "${{__ctmux_quiet-0}}" != 1 ]; then {notify} set-option -p -t {pane} {done} "$__ctmux_pending:$1" \; wait-for -S "ctmux-$__ctmux_pending" >/dev/null 2>&1; fi
__ctmux_pending=
}}
__ctmux_hook() {{
__ctmux_r=$?
if [ -n "${{__ctmux_pending-}}" ]; then __ctmux_report "$__ctmux_r"; fi
return $__ctmux_r
}}
__ctmux_tail() {{
__ctmux_r=$?
if [ "$__ctmux_mode" = tail ] && [ -n "${{__ctmux_pending-}}" ]; then __ctmux_report "$__ctmux_r"; fi
return $__ctmux_r
}}
if [ -n "${{BASH_VERSION-}}" ]; then
case ";${{PROMPT_COMMAND-}};" in *";__ctmux_hook;"*) ;; *) PROMPT_COMMAND="__ctmux_hook${{PROMPT_COMMAND:+;$PROMPT_COMMAND}}" ;; esac
__ctmux_mode=hook
elif [ -n "${{ZSH_VERSION-}}" ]; then
eval 'precmd_functions=(__ctmux_hook ${{precmd_functions:#__ctmux_hook}})'
__ctmux_mode=hook
else
__ctmux_mode=tail
fi
__ctmux_hooked={key}
fi
. {cmd}
__ctmux_tail
"#,
        id = sh_quote(id),
        quiet = u8::from(quiet),
        key = sh_quote(hook_key),
        notify = notify,
        pane = sh_quote(pane),
        done = DONE_OPTION,
        cmd = sh_quote(&cmd_file.to_string_lossy()),
    )
}

impl Pane {
    /// Start `cmd` in the pane's shell and return at once.
    ///
    /// Waits (up to 10 s) for a new pane's shell to draw its prompt first, so no keystroke is
    /// lost. Two execs on one pane never interleave: a pane running a job, or whose last exec
    /// has not reported, is Busy.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty command or one containing NUL; [`Error::Busy`] if a
    /// job runs; [`Error::NotFound`] if the pane is gone or dead; [`Error::Timeout`] if the
    /// shell never became ready.
    pub fn exec(&self, cmd: &str) -> Result<ExecHandle> {
        if cmd.trim().is_empty() {
            return Err(Error::invalid("command", "must not be empty"));
        }
        if cmd.contains('\0') {
            return Err(Error::invalid("command", "must not contain NUL"));
        }
        let dir = self.client().exec_dir()?;
        let _lock = crate::state::lock_file(&dir.join(format!("{}.lock", self.id().number())))?;
        let info = self.ready_info()?;
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
            // A quiet exec (completion watched over control mode) whose waiter never
            // recorded it: its marker on the screen says it finished.
            let cap = capture_history(self)?;
            match extract(&cap, &id) {
                Extract::Done { exit_code, .. } => record_done(self, &id, exit_code)?,
                Extract::Running { .. } => {
                    return Err(Error::Busy {
                        pane: self.target(),
                        reason: format!("exec {id} has not finished"),
                    })
                }
            }
        }
        remove_pane_files(&dir, self.id().number());
        let id = new_exec_id(self);
        let cmd_file = dir.join(format!("{id}.cmd"));
        let wrap_file = dir.join(format!("{id}.sh"));
        write_private(&cmd_file, &format!("{cmd}\n"))?;
        let socket = info.socket_path.clone();
        let notify = format!(
            "{} -S {}",
            sh_quote(&self.client().server().tmux_path().to_string_lossy()),
            sh_quote(&socket)
        );
        // The version part makes shells with an older hook install the current one.
        let hook_key = format!("{}|{}|v2", socket, self.target());
        // Subscribe before typing, so no byte of the marker can be pushed before we listen.
        let watch = self
            .client()
            .backend()
            .subscribe_session(self.session().id())
            .map(|rx| OutputWatch {
                rx,
                pane: self.id(),
                id: id.clone().into_bytes(),
                buf: Vec::new(),
            });
        let quiet = watch.is_some();
        write_private(
            &wrap_file,
            &wrapper_script(&id, &cmd_file, &notify, &self.target(), &hook_key, quiet),
        )?;
        let target = self.target();
        let typed = format!(" . {}", sh_quote(&wrap_file.to_string_lossy()));
        let started_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let exec_value = format!("{id}@{started_ms}");
        let mut argv: Vec<&str> = vec![
            "set-option",
            "-p",
            "-t",
            &target,
            EXEC_OPTION,
            &exec_value,
            ";",
        ];
        // Record the command in the pane's bounded history, in the same tmux call.
        let history = crate::snapshot::history::append_argv(&target, cmd);
        argv.extend(history.iter().map(String::as_str));
        argv.push(";");
        if info.in_mode {
            argv.extend(["send-keys", "-t", &target, "-X", "cancel", ";"]);
        }
        argv.extend([
            "send-keys",
            "-t",
            &target,
            "-l",
            &typed,
            ";",
            "send-keys",
            "-t",
            &target,
            "Enter",
        ]);
        if let Err(e) = self.tmux(&argv) {
            remove_pane_files(&dir, self.id().number());
            return Err(e);
        }
        Ok(ExecHandle {
            pane: self.clone(),
            id,
            started: Instant::now(),
            shell_pid: info.pid,
            known_done: false,
            quiet,
            watch: Arc::new(Mutex::new(watch)),
            waiters: Arc::default(),
            pushed_rc: Arc::default(),
        })
    }

    /// Pane facts once its shell has drawn a prompt (polls a new pane every 5 ms, 10 s max).
    fn ready_info(&self) -> Result<PaneInfo> {
        let deadline = Instant::now() + READY_TIMEOUT;
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
                    seconds: READY_TIMEOUT.as_secs_f64(),
                    partial: Partial::default(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Start `cmd` and wait for it: [`Pane::exec`] then [`ExecHandle::wait`].
    ///
    /// # Errors
    /// As both.
    pub fn run(&self, cmd: &str, timeout: Option<Duration>) -> Result<ExecResult> {
        self.run_cancellable(cmd, timeout, &never)
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
            let handle = ExecHandle {
                pane: self.clone(),
                id,
                started: Instant::now()
                    .checked_sub(since_start)
                    .unwrap_or_else(Instant::now),
                shell_pid: info.pid,
                known_done: code.is_some(),
                quiet: false,
                watch: Arc::default(),
                waiters: Arc::default(),
                pushed_rc: Arc::default(),
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
}

fn remove_pane_files(dir: &Path, pane_number: u32) {
    let prefix = format!("{pane_number}x");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && (name.ends_with(".sh") || name.ends_with(".cmd")) {
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

/// What a capture says about an exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Extract {
    /// The end marker was found.
    Done {
        exit_code: i32,
        output: String,
        truncated: bool,
    },
    /// No end marker yet; the output so far.
    Running { output: String },
}

/// Find exec `id`'s output in a capture of the whole pane history.
pub(crate) fn extract(capture: &str, id: &str) -> Extract {
    let lines: Vec<&str> = capture.lines().collect();
    let ours = |l: &str| {
        crate::marker::find_all(l.as_bytes())
            .find(|m| m.id == id.as_bytes())
            .map(|m| (m.start, m.rc))
    };
    let start_token = format!("{id}.sh'");
    let end = lines.iter().rposition(|l| ours(l).is_some());
    let limit = end.map(|e| e + 1).unwrap_or(lines.len());
    let start = lines[..limit]
        .iter()
        .rposition(|l| l.contains(&start_token));
    let truncated = start.is_none();
    // The lines after the echoed wrapper line. When that line exactly filled the pane's
    // width, `capture-pane -J` joined the first output line (or the marker) onto it, so the
    // text after the token is kept as the first line.
    let mut segment: Vec<&str> = Vec::new();
    match start {
        Some(s) => {
            let line = lines[s];
            let at = line
                .rfind(&start_token)
                .map_or(0, |i| i + start_token.len());
            let head = &line[at..];
            if !head.is_empty() || Some(s) == end {
                segment.push(head);
            }
            segment.extend(&lines[s + 1..limit]);
        }
        None => segment.extend(&lines[..limit]),
    }
    match end {
        Some(_) => {
            let last = segment.pop().unwrap_or("");
            let (at, code) = ours(last).unwrap_or((0, -1));
            let mut output = String::new();
            for l in &segment {
                output.push_str(l);
                output.push('\n');
            }
            output.push_str(&last[..at]);
            Extract::Done {
                exit_code: code,
                output,
                truncated,
            }
        }
        None => {
            while segment.last().is_some_and(|l| l.trim().is_empty()) {
                segment.pop();
            }
            let mut output = segment.join("\n");
            if !output.is_empty() {
                output.push('\n');
            }
            Extract::Running { output }
        }
    }
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

    /// [`ExecHandle::capture_all`], setting `@ctmux-done` to `<id>:<rc>` in the same call.
    fn capture_all_recording(&self, rc: i32) -> Result<String> {
        let target = self.pane.target();
        self.pane.tmux(&[
            "capture-pane",
            "-p",
            "-J",
            "-t",
            &target,
            "-S",
            "-",
            ";",
            "set-option",
            "-p",
            "-t",
            &target,
            DONE_OPTION,
            &format!("{}:{rc}", self.id),
        ])
    }

    fn capture_all(&self) -> Result<String> {
        capture_history(&self.pane)
    }

    /// What the command has printed so far (best effort).
    pub fn partial_output(&self) -> Option<String> {
        let cap = self.capture_all().ok()?;
        Some(match extract(&cap, &self.id) {
            Extract::Done { output, .. } | Extract::Running { output } => output,
        })
    }

    /// Wait until the command finishes (or `timeout` passes; `None` waits for ever) and
    /// return its exit code and output. Completion is pushed by tmux (`wait-for`, or the
    /// pane's `%output` to an attached control-mode client), not polled; the pane's liveness
    /// is checked every 50 ms while waiting.
    ///
    /// # Errors
    /// [`Error::Timeout`] with the output so far; [`Error::NotFound`] if the pane exits first.
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
        let deadline = timeout.map(|t| Instant::now() + t);
        // A fresh handle does not ask tmux first: a signal sent before the waiter starts
        // leaves the channel "woken", so the waiter returns at once.
        if !self.known_done {
            self.block_until_done(deadline, timeout, cancel)?;
        }
        // A quiet exec's `@ctmux-done` is set in the same tmux call as the capture when the
        // pushed marker gave the status, else right after.
        let pushed = if self.quiet {
            *self.pushed_rc.lock().unwrap_or_else(|e| e.into_inner())
        } else {
            None
        };
        let result = self.collect(pushed);
        if let Ok(r) = &result {
            if self.quiet && pushed.is_none() {
                self.record_done(r.exit_code)?;
            }
        }
        self.settle();
        if let Ok(dir) = self.pane.client().exec_dir() {
            for ext in ["sh", "cmd"] {
                let _ = std::fs::remove_file(dir.join(format!("{}.{ext}", self.id)));
            }
        }
        result
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

    fn finished(&self) -> Result<bool> {
        let info = self.pane.info()?;
        let done = info
            .done
            .as_deref()
            .and_then(|d| d.rsplit_once(':'))
            .is_some_and(|(id, _)| id == self.id);
        if done {
            return Ok(true);
        }
        // A quiet exec whose watcher went away reports only through its marker.
        if foreground_job(info.pid).is_none() {
            if let Extract::Done { exit_code, .. } = extract(&self.capture_all()?, &self.id) {
                self.record_done(exit_code)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Set `@ctmux-done` for this exec (what the shell's notifier does in non-quiet mode).
    fn record_done(&self, exit_code: i32) -> Result<()> {
        record_done(&self.pane, &self.id, exit_code)
    }

    /// How many `tmux wait-for` waiter processes this handle's waits have started (0 when
    /// completion was seen in the pane output pushed to a control-mode client). For tests.
    #[doc(hidden)]
    pub fn waiters_started(&self) -> u64 {
        self.waiters.load(Ordering::Relaxed)
    }

    /// Block until the exec reported: from the pane's pushed `%output` when the backend's
    /// control client is attached to the pane's session, else (or once that client is gone)
    /// with a `tmux wait-for` waiter.
    fn block_until_done(
        &self,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<()> {
        let taken = self.watch.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut watch) = taken {
            match self.watch_output(&mut watch, deadline, timeout, cancel) {
                Ok(Watched::Marker) => {
                    *self.pushed_rc.lock().unwrap_or_else(|e| e.into_inner()) =
                        marker_rc(&watch.buf, &watch.id);
                    return Ok(());
                }
                Ok(Watched::Closed) => {}
                Err(e) => {
                    // Stopped early (timeout, cancel): a later wait goes on watching.
                    if e.is_cancelled() || matches!(e, Error::Timeout { .. }) {
                        *self.watch.lock().unwrap_or_else(|e| e.into_inner()) = Some(watch);
                    }
                    return Err(e);
                }
            }
        }
        self.block_until_signalled(deadline, timeout, cancel)
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

    /// Watch the pane's pushed output for the end marker, with the same liveness,
    /// `@ctmux-done` back-off, cancel and deadline checks as the waiter.
    fn watch_output(
        &self,
        watch: &mut OutputWatch,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<Watched> {
        use crate::control::Notification;
        let every = LIVENESS_EVERY.min(CANCEL_EVERY);
        let mut next_poll = Instant::now() + every;
        // `@ctmux-done` is read now and then in case the marker was missed (the pane moved to
        // another session), and at once when the subscription lost notifications.
        let mut next_check = Instant::now() + LIVENESS_EVERY;
        let mut check_every = LIVENESS_EVERY;
        loop {
            let now = Instant::now();
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(now),
                None => every,
            }
            .min(next_poll.saturating_duration_since(now));
            match watch.rx.recv_timeout(slice) {
                Ok(Notification::Output { pane, data }) if pane == watch.pane => {
                    if watch.feed(&data) {
                        return Ok(Watched::Marker);
                    }
                }
                // The marker may be among what was dropped: read `@ctmux-done` now.
                Ok(Notification::Lost) => {
                    next_poll = Instant::now();
                    next_check = next_poll;
                    check_every = LIVENESS_EVERY;
                }
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(Watched::Closed),
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Err(self.timeout_error(timeout));
            }
            if now < next_poll {
                continue;
            }
            next_poll = now + every;
            if cancel() {
                return Err(self.cancelled_error());
            }
            if now >= next_check {
                if self.finished().unwrap_or(false) {
                    return Ok(Watched::Marker);
                }
                check_every = (check_every * 2).min(Duration::from_secs(2));
                next_check = Instant::now() + check_every;
            }
            if !crate::procfs::alive(self.shell_pid) {
                return Err(self.exited_error());
            }
        }
    }

    fn block_until_signalled(
        &self,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        cancel: Cancel<'_>,
    ) -> Result<()> {
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
        // the dead waiter): look at `@ctmux-done` now and then, backing off to every 2 s.
        let mut next_check = Instant::now() + LIVENESS_EVERY;
        let mut check_every = LIVENESS_EVERY;
        let mut waiter_exited = false;
        let every = LIVENESS_EVERY.min(CANCEL_EVERY);
        let outcome = loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(every),
                None => every,
            };
            match rx.recv_timeout(slice) {
                Ok(Ok(_)) => {
                    waiter_exited = true;
                    break Ok(());
                }
                Ok(Err(e)) => {
                    waiter_exited = true;
                    break Err(Error::io("waiting for tmux wait-for", e));
                }
                Err(_) => {}
            }
            if cancel() {
                break Err(Error::cancelled(format_args!(
                    "exec {} in pane {}",
                    self.id,
                    self.pane.target()
                )));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break Err(Error::Timeout {
                    what: format!("exec {} in pane {}", self.id, self.pane.target()),
                    seconds: timeout.unwrap_or_default().as_secs_f64(),
                    partial: Partial {
                        output: self.partial_output().unwrap_or_default(),
                    },
                });
            }
            if Instant::now() >= next_check {
                if self.finished().unwrap_or(false) {
                    break Ok(());
                }
                check_every = (check_every * 2).min(Duration::from_secs(2));
                next_check = Instant::now() + check_every;
            }
            if !crate::procfs::alive(self.shell_pid) {
                break Err(Error::not_found(
                    "pane",
                    format!(
                        "{} exited before exec {} finished",
                        self.pane.target(),
                        self.id
                    ),
                ));
            }
        };
        if !waiter_exited {
            // `tmux wait-for` ignores SIGINT; it is our own (unreaped) child: kill it by pid.
            let _ = nix::sys::signal::kill(waiter_pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = reaper.join();
        outcome
    }

    fn collect(&self, record: Option<i32>) -> Result<ExecResult> {
        // The marker is printed before the channel is signalled, but tmux may handle the
        // signal before it has read the marker from the pty: retry briefly.
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut record = record;
        loop {
            let cap = match record.take() {
                Some(rc) => self.capture_all_recording(rc)?,
                None => self.capture_all()?,
            };
            match extract(&cap, &self.id) {
                Extract::Done {
                    exit_code,
                    output,
                    truncated,
                } => {
                    return Ok(ExecResult {
                        exec_id: self.id.clone(),
                        exit_code,
                        output: strip_interrupt_newline(output, exit_code),
                        truncated,
                        duration: self.started.elapsed(),
                    })
                }
                Extract::Running { output } if Instant::now() >= deadline => {
                    // Finished (tmux says so) but the marker scrolled away or was cleared.
                    let code = self
                        .pane
                        .info()?
                        .done
                        .as_deref()
                        .and_then(|d| d.rsplit_once(':'))
                        .filter(|(id, _)| *id == self.id)
                        .and_then(|(_, rc)| rc.parse().ok())
                        .unwrap_or(-1);
                    return Ok(ExecResult {
                        exec_id: self.id.clone(),
                        exit_code: code,
                        output,
                        truncated: true,
                        duration: self.started.elapsed(),
                    });
                }
                Extract::Running { .. } => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_marker_across_chunks() {
        let needle = b"3x00ab";
        let done: &[u8] = b"x\x1b[8mctmux:3x00ab:0:end\x1b[28m\r\n$ ";
        assert_eq!(scan_marker(done, needle), Scan::Found);
        assert_eq!(scan_marker(b"ctmux:3x00ab:130:end\n$", needle), Scan::Found);
        // No prompt yet: the shell's notifier may still be running.
        assert_eq!(
            scan_marker(b"ctmux:3x00ab:130:end\r\n", needle),
            Scan::Keep(0)
        );
        // Another exec's marker, or no code: not ours, nothing kept.
        assert_eq!(scan_marker(b"ctmux:3x00ac:0:end", needle), Scan::Keep(18));
        assert_eq!(scan_marker(b"ctmux:3x00ab::end", needle), Scan::Keep(17));
        // A tail that may still become ours is kept.
        assert_eq!(scan_marker(b"out ctmux:3x00", needle), Scan::Keep(4));
        assert_eq!(scan_marker(b"out ctmux:3x00ab:12:e", needle), Scan::Keep(4));
        // Split anywhere: the start of a possible marker is kept.
        let whole = b"out\r\n\x1b[8mctmux:3x00ab:17:end\x1b[28m\r\n$ ";
        for cut in 0..whole.len() {
            let mut w = OutputWatch {
                rx: crate::control::Subscription::closed(),
                pane: "%3".parse().unwrap(),
                id: needle.to_vec(),
                buf: Vec::new(),
            };
            let first = w.feed(&whole[..cut]);
            assert!(!first || cut >= whole.len() - 1, "cut {cut}");
            assert!(first || w.feed(&whole[cut..]), "cut {cut}");
            assert!(w.buf.len() <= whole.len());
        }
        // A long output keeps only a short tail.
        let mut w = OutputWatch {
            rx: crate::control::Subscription::closed(),
            pane: "%3".parse().unwrap(),
            id: needle.to_vec(),
            buf: Vec::new(),
        };
        assert!(!w.feed(&[b'a'; 10_000]));
        assert!(w.buf.is_empty());
    }

    #[test]
    fn quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn extracts_output_between_echo_and_marker() {
        let cap = "$ old\n$  . '/s/3xab.sh'\nhello\nworld\nctmux:3xab:0:end\n$ \n";
        assert_eq!(
            extract(cap, "3xab"),
            Extract::Done {
                exit_code: 0,
                output: "hello\nworld\n".into(),
                truncated: false
            }
        );
        let cap = "$  . '/s/3xab.sh'\nabcctmux:3xab:7:end\n$ ";
        assert_eq!(
            extract(cap, "3xab"),
            Extract::Done {
                exit_code: 7,
                output: "abc".into(),
                truncated: false
            }
        );
        // The echoed line filled the pane's width exactly: -J joined the next line onto it.
        let cap = "$  . '/s/3xab.sh'first\nsecond\nctmux:3xab:0:end\n$ ";
        assert_eq!(
            extract(cap, "3xab"),
            Extract::Done {
                exit_code: 0,
                output: "first\nsecond\n".into(),
                truncated: false
            }
        );
        let cap = "$  . '/s/3xab.sh'ctmux:3xab:4:end\n$ ";
        assert_eq!(
            extract(cap, "3xab"),
            Extract::Done {
                exit_code: 4,
                output: "".into(),
                truncated: false
            }
        );
        let cap = "$  . '/s/3xab.sh'\npartial\n\n";
        assert_eq!(
            extract(cap, "3xab"),
            Extract::Running {
                output: "partial\n".into()
            }
        );
    }
}
