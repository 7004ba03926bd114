//! Per-pane resource limits, stored in tmux itself, and the [`Enforcer`] that acts on them.
//!
//! A limit lives in pane user options, like labels and metadata, so it dies with the pane
//! and never goes stale:
//!
//! | option | meaning |
//! |---|---|
//! | `@ctmux-limit-cpu` | CPU limit of the pane's process tree, percent of one core |
//! | `@ctmux-limit-memory` | memory limit of the tree, MiB (resident) |
//! | `@ctmux-limit-action` | `enforce` (default) or `notify` |
//! | `@ctmux-limit-grace` | seconds between SIGTERM and SIGKILL over the memory limit (default 5) |
//!
//! The [`Enforcer`] (run by the daemon in a thread, or by anyone: it needs no daemon) lists
//! the panes that have limits in one tmux command (once a second), samples each tree with a
//! [`MetricsSampler`] (every 100 ms), and acts on the pane's **foreground job** — its process group, found
//! from the terminal's `tpgid` — never on the shell:
//! - over the memory limit: SIGTERM to the job's group, then SIGKILL if the group still
//!   exists after the grace period;
//! - over the CPU limit: where the machine lets us write a cgroup CPU controller (v1 `cpu`,
//!   or v2 with `cpu` delegated), a kernel CPU quota on a cgroup holding the job's processes
//!   ([`crate::cpu_cgroup`]): the job is never stopped. Elsewhere, a stop/continue duty cycle
//!   (SIGSTOP / SIGCONT to the job's group) driven by a CPU budget: the tree may use `limit %` of the wall time; when it has used
//!   more, the job is stopped until the budget has caught up. A job under its limit is never
//!   stopped, and the long-run average converges on the limit.
//!
//! In `notify` mode nothing is signalled. Every decision is a [`LimitAction`] (serialisable
//! as an event, printable as a log line); repeated ticks of one episode (one job over one
//! limit) report once, not every tick.
//!
//! When the processes the shell started use little of the job's CPU (a build tool whose
//! workers do the work), only the other processes of the group are stopped, so the shell
//! never sees its job stop. Otherwise the whole group is stopped, and (documented in
//! `docs/metrics.md`) an interactive shell with job control sees its direct child stop,
//! reports it `Stopped` and takes the terminal back; the job then runs on as a background
//! job of that shell, still under the duty cycle, until it exits.

use crate::client::{no_sessions, Ctmux, SEP};
use crate::error::{Error, Result};
use crate::metrics::{MetricsSampler, ProcessMetrics};
use crate::pane::{foreground_job, Pane};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Pane option holding the CPU limit (percent of one core).
pub const CPU_OPTION: &str = "@ctmux-limit-cpu";
/// Pane option holding the memory limit (MiB).
pub const MEMORY_OPTION: &str = "@ctmux-limit-memory";
/// Pane option holding the action mode (`enforce` or `notify`).
pub const ACTION_OPTION: &str = "@ctmux-limit-action";
/// Pane option holding the grace period before SIGKILL, in seconds.
pub const GRACE_OPTION: &str = "@ctmux-limit-grace";

/// The grace period between SIGTERM and SIGKILL when none is set.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
/// The longest grace period accepted.
pub const MAX_GRACE: Duration = Duration::from_secs(3600);

/// Which resource a limit caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitKind {
    /// CPU of the pane's process tree, percent of one core.
    Cpu,
    /// Resident memory of the tree, MiB.
    Memory,
}

impl LimitKind {
    /// `"cpu"` or `"memory"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Cpu => "cpu",
            LimitKind::Memory => "memory",
        }
    }

    /// The unit of the limit's value (`"percent"`, `"MB"`).
    pub fn unit(self) -> &'static str {
        match self {
            LimitKind::Cpu => "percent",
            LimitKind::Memory => "MB",
        }
    }

    fn option(self) -> &'static str {
        match self {
            LimitKind::Cpu => CPU_OPTION,
            LimitKind::Memory => MEMORY_OPTION,
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LimitKind {
    type Err = Error;

    /// `cpu` or `memory` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(LimitKind::Cpu),
            "memory" | "mem" => Ok(LimitKind::Memory),
            _ => Err(Error::invalid(
                "limit kind",
                format!("{s:?}: must be cpu or memory"),
            )),
        }
    }
}

/// What the enforcer does when a pane is over a limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitMode {
    /// Signal the foreground job (SIGTERM/SIGKILL over memory, stop/continue over CPU).
    #[default]
    Enforce,
    /// Only report.
    Notify,
}

impl LimitMode {
    /// `"enforce"` or `"notify"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitMode::Enforce => "enforce",
            LimitMode::Notify => "notify",
        }
    }
}

impl FromStr for LimitMode {
    type Err = Error;

    /// `enforce` or `notify`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "enforce" => Ok(LimitMode::Enforce),
            "notify" => Ok(LimitMode::Notify),
            _ => Err(Error::invalid(
                "limit action",
                format!("{s:?}: must be enforce or notify"),
            )),
        }
    }
}

/// A pane's limits as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaneLimits {
    /// The pane's id.
    pub pane_id: String,
    /// CPU limit, percent of one core.
    pub cpu_percent: Option<f64>,
    /// Memory limit, MiB.
    pub memory_mb: Option<f64>,
    /// What happens over a limit.
    pub action: LimitMode,
    /// Seconds between SIGTERM and SIGKILL over the memory limit.
    pub grace_seconds: f64,
}

impl PaneLimits {
    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        self.cpu_percent.is_some() || self.memory_mb.is_some()
    }

    /// The limit of `kind`, if set.
    pub fn get(&self, kind: LimitKind) -> Option<f64> {
        match kind {
            LimitKind::Cpu => self.cpu_percent,
            LimitKind::Memory => self.memory_mb,
        }
    }
}

/// Check a limit value: finite and positive; CPU 1..=100 × the CPUs available, memory at
/// most the machine's RAM.
///
/// # Errors
/// [`Error::InvalidInput`] saying what is accepted.
pub fn validate(kind: LimitKind, value: f64) -> Result<f64> {
    if !value.is_finite() || value <= 0.0 {
        return Err(Error::invalid(
            "limit value",
            format!("{value}: must be a positive number"),
        ));
    }
    match kind {
        LimitKind::Cpu => {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            let max = 100.0 * cpus as f64;
            if !(1.0..=max).contains(&value) {
                return Err(Error::invalid(
                    "cpu limit",
                    format!("{value} %: must be 1..={max} (100 per CPU, {cpus} CPUs)"),
                ));
            }
        }
        LimitKind::Memory => {
            let total = crate::metrics::mem_total_mb();
            if total > 0.0 && value > total {
                return Err(Error::invalid(
                    "memory limit",
                    format!("{value} MB: more than the machine's {total:.0} MB of RAM"),
                ));
            }
        }
    }
    Ok(value)
}

fn check_grace(grace: Duration) -> Result<()> {
    if grace > MAX_GRACE {
        return Err(Error::invalid(
            "grace period",
            format!(
                "{} s: must be 0..={} s",
                grace.as_secs_f64(),
                MAX_GRACE.as_secs()
            ),
        ));
    }
    Ok(())
}

/// The format listing a pane's limits, after `prefix` fields.
fn limit_fields() -> String {
    [CPU_OPTION, MEMORY_OPTION, ACTION_OPTION, GRACE_OPTION]
        .map(|o| format!("#{{{o}}}"))
        .join(&SEP.to_string())
}

/// Parse the four stored fields; garbage someone put there by hand is [`Error::Corrupt`].
fn parse_limits(pane_id: &str, f: &[&str]) -> Result<PaneLimits> {
    let corrupt = |what: &str, v: &str| Error::Corrupt {
        what: format!("limits of pane {pane_id}"),
        reason: format!("{what} is {v:?}; clear it with pane-clear-limit"),
    };
    let num = |kind: LimitKind, v: &str| -> Result<Option<f64>> {
        if v.is_empty() {
            return Ok(None);
        }
        let n: f64 = v.parse().map_err(|_| corrupt(kind.option(), v))?;
        if !n.is_finite() || n <= 0.0 {
            return Err(corrupt(kind.option(), v));
        }
        Ok(Some(n))
    };
    let action = match f[2] {
        "" => LimitMode::default(),
        v => v.parse().map_err(|_| corrupt(ACTION_OPTION, v))?,
    };
    let grace = match f[3] {
        "" => DEFAULT_GRACE.as_secs_f64(),
        v => match v.parse::<f64>() {
            Ok(g) if g.is_finite() && (0.0..=MAX_GRACE.as_secs_f64()).contains(&g) => g,
            _ => return Err(corrupt(GRACE_OPTION, v)),
        },
    };
    Ok(PaneLimits {
        pane_id: pane_id.to_owned(),
        cpu_percent: num(LimitKind::Cpu, f[0])?,
        memory_mb: num(LimitKind::Memory, f[1])?,
        action,
        grace_seconds: grace,
    })
}

impl Pane {
    /// Set the pane's `kind` limit to `value` (percent of one core, or MiB), and, when given,
    /// the action mode and grace period (shared by both limits). Returns the limits now set.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a value [`validate`] refuses or a grace over
    /// [`MAX_GRACE`] (nothing is changed); [`Error::NotFound`] if the pane is gone or dead.
    pub fn set_limit(
        &self,
        kind: LimitKind,
        value: f64,
        mode: Option<LimitMode>,
        grace: Option<Duration>,
    ) -> Result<PaneLimits> {
        let value = validate(kind, value)?;
        if let Some(g) = grace {
            check_grace(g)?;
        }
        let info = self.info()?;
        if info.dead {
            return Err(Error::not_found("live process in pane", info.pane_id));
        }
        let t = self.target();
        let mut sets: Vec<(&str, String)> = vec![(kind.option(), value.to_string())];
        if let Some(m) = mode {
            sets.push((ACTION_OPTION, m.as_str().to_owned()));
        }
        if let Some(g) = grace {
            sets.push((GRACE_OPTION, g.as_secs_f64().to_string()));
        }
        let mut argv: Vec<String> = Vec::new();
        for (option, v) in sets {
            if !argv.is_empty() {
                argv.push(";".into());
            }
            argv.extend(["set-option", "-p", "-t", &t, option, &v].map(String::from));
        }
        self.tmux(&argv)?;
        self.limits()
    }

    /// The pane's limits (one tmux round trip).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone; [`Error::Corrupt`] if a limit option holds
    /// something ctmux did not write.
    pub fn limits(&self) -> Result<PaneLimits> {
        let fmt = format!("#{{pane_id}}{SEP}{}", limit_fields());
        let out = self.tmux(&["display-message", "-p", "-t", &self.target(), &fmt])?;
        let line = out.strip_suffix('\n').unwrap_or(&out);
        let f: Vec<&str> = line.split(SEP).collect();
        if f.len() != 5 || f[0] != self.target() {
            return Err(Error::not_found("pane", self.target()));
        }
        parse_limits(f[0], &f[1..])
    }

    /// Remove the pane's `kind` limit, or every limit setting with `None` (action and grace
    /// too). Clearing what is not set is not an error. Returns the limits now set.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the pane is gone.
    pub fn clear_limit(&self, kind: Option<LimitKind>) -> Result<PaneLimits> {
        let t = self.target();
        let options: Vec<&str> = match kind {
            Some(k) => vec![k.option()],
            None => vec![CPU_OPTION, MEMORY_OPTION, ACTION_OPTION, GRACE_OPTION],
        };
        let mut argv: Vec<&str> = Vec::new();
        for o in options {
            if !argv.is_empty() {
                argv.push(";");
            }
            argv.extend(["set-option", "-p", "-u", "-t", &t, o]);
        }
        self.tmux(&argv)?;
        self.limits()
    }
}

/// What the enforcer did about a pane over (or back under) a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionTaken {
    /// Reported only (notify mode, or no foreground job to act on).
    Notified,
    /// SIGTERM sent to the job's process group.
    Terminated,
    /// SIGKILL sent: the job outlived the grace period after SIGTERM.
    Killed,
    /// The stop/continue duty cycle began for the job.
    Throttled,
    /// The duty cycle ended (the job stayed within its budget, exited, or the limit went);
    /// the job is left running.
    Released,
}

impl ActionTaken {
    /// The stable name (`"terminated"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionTaken::Notified => "notified",
            ActionTaken::Terminated => "terminated",
            ActionTaken::Killed => "killed",
            ActionTaken::Throttled => "throttled",
            ActionTaken::Released => "released",
        }
    }
}

/// One decision of the [`Enforcer`]: an event for the daemon, and a log line
/// ([`fmt::Display`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitAction {
    /// The pane's id.
    pub pane_id: String,
    /// Its session's name.
    pub session: String,
    /// Which limit.
    pub kind: LimitKind,
    /// The limit (percent of one core, or MiB).
    pub limit: f64,
    /// What was measured (same unit; for CPU, the tree's use over the last tick).
    pub observed: f64,
    /// What was done.
    pub action: ActionTaken,
    /// The process group signalled, if any.
    pub pgid: Option<i32>,
    /// When, Unix milliseconds.
    pub at_ms: u64,
    /// Why, in words.
    pub reason: String,
}

impl fmt::Display for LimitAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "limit {} pane {} (session {}): {} observed {:.1} / {} {}",
            self.action.as_str(),
            self.pane_id,
            self.session,
            self.kind,
            self.observed,
            self.limit,
            self.kind.unit(),
        )?;
        if let Some(g) = self.pgid {
            write!(f, ", process group {g}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// How the [`Enforcer`] samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnforcerConfig {
    /// Time between ticks of [`Enforcer::run`] (and the CPU duty cycle's step): 50 ms to
    /// 10 s, default 100 ms.
    pub interval: Duration,
    /// CPU time a job may bank while under its CPU limit, spent as a burst later
    /// (default 100 ms).
    pub max_burst: Duration,
    /// Time between listings of the panes that have limits (one tmux command each): a new,
    /// changed or cleared limit takes effect within this time; between listings each tick
    /// only reads `/proc`. At least `interval`; default 1 s.
    pub list_every: Duration,
    /// Hold a CPU limit with a kernel quota (cgroup) where the machine allows it (default);
    /// `false` always uses the stop/continue duty cycle.
    pub cgroups: bool,
}

impl Default for EnforcerConfig {
    fn default() -> Self {
        EnforcerConfig {
            interval: Duration::from_millis(100),
            max_burst: Duration::from_millis(100),
            list_every: Duration::from_secs(1),
            cgroups: true,
        }
    }
}

/// One pane that has limits, as listed.
#[derive(Debug, Clone)]
struct Limited {
    session: String,
    shell_pid: i32,
    limits: PaneLimits,
}

/// A CPU duty cycle in progress.
#[derive(Debug, Clone)]
struct Throttle {
    pgid: i32,
    session: String,
    limit: f64,
    scope: Scope,
    stopped: bool,
    /// When the duty cycle last stopped the job (meaningful while `stopped`).
    stopped_since: Instant,
    /// When the budget was last overdrawn.
    last_over: Instant,
    /// A kernel CPU quota holds the job (no stop/continue at all).
    cgroup: Option<crate::cpu_cgroup::CpuCgroup>,
}

/// Which processes of the job a duty cycle stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The whole process group (the busy process is the job's leader).
    Group,
    /// Only the group's processes that are not children of the shell: the shell never sees
    /// its job stop, so it keeps the job in the foreground (a build tool or test runner
    /// whose workers burn the CPU).
    Workers,
}

/// The job's processes in the tree: `(pid, is a child of the shell, cpu percent)`.
fn members(pgid: i32, shell_pid: i32, procs: &[ProcessMetrics]) -> Vec<(i32, bool, f64)> {
    procs
        .iter()
        .filter(|p| crate::procfs::stat(p.pid).is_ok_and(|s| s.pgrp == pgid))
        .map(|p| (p.pid, p.ppid == shell_pid, p.cpu_percent))
        .collect()
}

/// Stop the job (its group, or its workers). Whether anything was stopped.
fn stop_job(t: &Throttle, shell_pid: i32, procs: &[ProcessMetrics]) -> bool {
    match t.scope {
        Scope::Group => signal_group(t.pgid, Signal::SIGSTOP),
        Scope::Workers => {
            let mut any = false;
            for (pid, leader, _) in members(t.pgid, shell_pid, procs) {
                if !leader && pid > 1 {
                    any |= nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGSTOP).is_ok();
                }
            }
            any
        }
    }
}

/// Per-pane enforcement state.
#[derive(Debug, Default, Clone)]
struct PaneState {
    shell_pid: i32,
    /// CPU seconds the tree may still use (negative: overdrawn).
    credit: f64,
    last_tick: Option<Instant>,
    throttle: Option<Throttle>,
    cpu_notified: bool,
    /// Memory episode: SIGTERM sent to this group at this time.
    terminated: Option<(i32, Instant)>,
    mem_notified: bool,
}

/// Enforces pane limits. The daemon owns one and calls [`Enforcer::run`] in a thread; tests
/// and other callers may call [`Enforcer::tick`] themselves. Dropping it resumes every job
/// it stopped.
#[derive(Debug)]
pub struct Enforcer {
    client: Ctmux,
    config: EnforcerConfig,
    sampler: MetricsSampler,
    panes: HashMap<String, PaneState>,
    listed: HashMap<String, Limited>,
    listed_at: Option<Instant>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Whether any process of group `pgid` exists.
fn group_alive(pgid: i32) -> bool {
    killpg(Pid::from_raw(pgid), None).is_ok()
}

fn signal_group(pgid: i32, sig: Signal) -> bool {
    pgid > 1 && killpg(Pid::from_raw(pgid), sig).is_ok()
}

impl Enforcer {
    /// An enforcer for `client`'s server.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an interval outside 50 ms..=10 s.
    pub fn new(client: Ctmux, config: EnforcerConfig) -> Result<Self> {
        if config.interval < Duration::from_millis(50) || config.interval > Duration::from_secs(10)
        {
            return Err(Error::invalid(
                "enforcer interval",
                format!("{} ms: must be 50 ms to 10 s", config.interval.as_millis()),
            ));
        }
        Ok(Enforcer {
            client,
            config,
            // A pane seen for the first time is sampled over 50 ms once.
            sampler: MetricsSampler::new(Duration::from_millis(50)),
            panes: HashMap::new(),
            listed: HashMap::new(),
            listed_at: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> EnforcerConfig {
        self.config
    }

    /// Every live pane of the server with a limit set (one tmux command).
    fn list(&self) -> Result<HashMap<String, Limited>> {
        let fmt = format!(
            "#{{pane_id}}{SEP}#{{pane_pid}}{SEP}#{{pane_dead}}{SEP}#{{session_name}}{SEP}{}",
            limit_fields()
        );
        let out = match self.client.tmux(&["list-panes", "-a", "-F", &fmt]) {
            Ok(o) => o,
            Err(e) if no_sessions(&e) => return Ok(HashMap::new()),
            Err(e) => return Err(e),
        };
        let mut found = HashMap::new();
        for line in out.lines() {
            let f: Vec<&str> = line.split(SEP).collect();
            if f.len() != 8 || f[2] == "1" {
                continue;
            }
            // A pane whose options hold garbage is skipped (its `limits()` reports why).
            let Ok(limits) = parse_limits(f[0], &f[4..]) else {
                continue;
            };
            let Ok(pid) = f[1].parse::<i32>() else {
                continue;
            };
            if limits.any() && pid > 0 {
                found.insert(
                    f[0].to_owned(),
                    Limited {
                        session: f[3].to_owned(),
                        shell_pid: pid,
                        limits,
                    },
                );
            }
        }
        Ok(found)
    }

    /// One round: list the limited panes (every [`EnforcerConfig::list_every`]), sample
    /// them, act, and return what was done.
    /// Panes gone or without limits since the last tick are forgotten (a job this enforcer
    /// stopped is resumed first).
    ///
    /// # Errors
    /// As [`Ctmux::tmux`] for the listing (the server being gone is an empty listing).
    pub fn tick(&mut self, now: Instant) -> Result<Vec<LimitAction>> {
        let due = self.listed_at.is_none_or(|at| {
            now.saturating_duration_since(at) >= self.config.list_every.max(self.config.interval)
        });
        if due {
            self.listed = self.list()?;
            self.listed_at = Some(now);
        }
        let listed = self.listed.clone();
        let mut actions = Vec::new();
        // Forget panes no longer limited (or gone), releasing what they had stopped.
        let gone: Vec<String> = self
            .panes
            .keys()
            .filter(|id| !listed.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(st) = self.panes.remove(&id) {
                self.sampler.forget(st.shell_pid);
                if let Some(t) = st.throttle {
                    if t.stopped {
                        signal_group(t.pgid, Signal::SIGCONT);
                    }
                    if let Some(cg) = &t.cgroup {
                        cg.remove();
                    }
                    actions.push(LimitAction {
                        pane_id: id,
                        session: t.session,
                        kind: LimitKind::Cpu,
                        limit: t.limit,
                        observed: 0.0,
                        action: ActionTaken::Released,
                        pgid: Some(t.pgid),
                        at_ms: now_ms(),
                        reason: "the limit was cleared or the pane is gone".into(),
                    });
                }
            }
        }
        for (id, p) in listed {
            let st = self.panes.entry(id.clone()).or_default();
            if st.shell_pid != p.shell_pid {
                *st = PaneState {
                    shell_pid: p.shell_pid,
                    ..PaneState::default()
                };
                // First sight of this pane: resume a job an enforcer that died (a crashed
                // daemon) may have left stopped. Its shell never saw it stop, so only this
                // can continue it.
                if p.limits.cpu_percent.is_some() {
                    if let Some(pgid) = foreground_job(p.shell_pid) {
                        signal_group(pgid, Signal::SIGCONT);
                    }
                }
            }
            let breakdown = p.limits.cpu_percent.is_some();
            let Ok(m) = self.sampler.measure(&id, p.shell_pid, breakdown) else {
                continue;
            };
            let ctx = Ctx {
                id: &id,
                p: &p,
                now,
                window: Duration::from_secs_f64(m.sample_interval_ms.max(0.0) / 1000.0),
                config: self.config,
            };
            let st = self.panes.get_mut(&id).expect("inserted above");
            memory_step(&ctx, st, m.memory_mb, &mut actions);
            let procs = m.processes.unwrap_or_default();
            cpu_step(&ctx, st, m.cpu_percent, &procs, &mut actions);
        }
        Ok(actions)
    }

    /// Tick every [`EnforcerConfig::interval`] until `stop` is set, handing each action to
    /// `on_action`; then resume every job this enforcer stopped. Listing errors (tmux
    /// hiccups) are skipped; the loop goes on.
    pub fn run(&mut self, stop: &AtomicBool, mut on_action: impl FnMut(LimitAction)) {
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if let Ok(actions) = self.tick(Instant::now()) {
                actions.into_iter().for_each(&mut on_action);
            }
            // At least half an interval after a late tick too: readings closer together than the
            // sampler's shortest span would rate over an older, longer window.
            next = (next + self.config.interval).max(Instant::now() + self.config.interval / 2);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        self.release_all();
    }

    /// Resume every job this enforcer has stopped (also done on drop).
    pub fn release_all(&mut self) {
        for st in self.panes.values_mut() {
            if let Some(t) = st.throttle.as_mut() {
                if t.stopped {
                    signal_group(t.pgid, Signal::SIGCONT);
                    t.stopped = false;
                }
                if let Some(cg) = t.cgroup.take() {
                    cg.remove();
                }
            }
        }
    }
}

impl Drop for Enforcer {
    fn drop(&mut self) {
        self.release_all();
    }
}

struct Ctx<'a> {
    id: &'a str,
    p: &'a Limited,
    now: Instant,
    /// The span the reading's CPU figure is a rate over.
    window: Duration,
    config: EnforcerConfig,
}

impl Ctx<'_> {
    fn action(
        &self,
        kind: LimitKind,
        limit: f64,
        observed: f64,
        action: ActionTaken,
        pgid: Option<i32>,
        reason: impl Into<String>,
    ) -> LimitAction {
        LimitAction {
            pane_id: self.id.to_owned(),
            session: self.p.session.clone(),
            kind,
            limit,
            observed,
            action,
            pgid,
            at_ms: now_ms(),
            reason: reason.into(),
        }
    }
}

fn memory_step(ctx: &Ctx<'_>, st: &mut PaneState, observed: f64, out: &mut Vec<LimitAction>) {
    let limits = &ctx.p.limits;
    // A SIGTERM already sent: SIGKILL once the grace period is over, if the group lives on.
    if let Some((pgid, at)) = st.terminated {
        if !group_alive(pgid) {
            st.terminated = None;
        } else if ctx.now.duration_since(at).as_secs_f64() >= limits.grace_seconds {
            let limit = limits.memory_mb.unwrap_or(0.0);
            if signal_group(pgid, Signal::SIGKILL) {
                out.push(ctx.action(
                    LimitKind::Memory,
                    limit,
                    observed,
                    ActionTaken::Killed,
                    Some(pgid),
                    format!(
                        "still running {:.1} s after SIGTERM; sent SIGKILL",
                        limits.grace_seconds
                    ),
                ));
            }
            st.terminated = None;
        }
    }
    let Some(limit) = limits.memory_mb else {
        st.mem_notified = false;
        return;
    };
    if observed <= limit {
        st.mem_notified = false;
        return;
    }
    let job = foreground_job(ctx.p.shell_pid);
    match (limits.action, job) {
        (LimitMode::Enforce, Some(pgid)) => {
            if st.terminated.is_some_and(|(g, _)| g == pgid) {
                return;
            }
            if signal_group(pgid, Signal::SIGTERM) {
                // A job stopped by a CPU duty cycle must run to act on SIGTERM.
                signal_group(pgid, Signal::SIGCONT);
                st.terminated = Some((pgid, ctx.now));
                st.mem_notified = false;
                out.push(ctx.action(
                    LimitKind::Memory,
                    limit,
                    observed,
                    ActionTaken::Terminated,
                    Some(pgid),
                    "over the memory limit; sent SIGTERM to the foreground job",
                ));
            }
        }
        (mode, job) => {
            if !st.mem_notified {
                st.mem_notified = true;
                let reason = if mode == LimitMode::Notify {
                    "over the memory limit (notify only)"
                } else {
                    "over the memory limit, but no foreground job to stop (the shell is never signalled)"
                };
                out.push(ctx.action(
                    LimitKind::Memory,
                    limit,
                    observed,
                    ActionTaken::Notified,
                    job,
                    reason,
                ));
            }
        }
    }
}

fn cpu_step(
    ctx: &Ctx<'_>,
    st: &mut PaneState,
    observed: f64,
    procs: &[ProcessMetrics],
    out: &mut Vec<LimitAction>,
) {
    let limits = &ctx.p.limits;
    let dt = st
        .last_tick
        .map(|t| ctx.now.saturating_duration_since(t).as_secs_f64())
        .unwrap_or(0.0);
    st.last_tick = Some(ctx.now);
    let Some(limit) = limits.cpu_percent else {
        release(ctx, st, observed, "the CPU limit was cleared", out);
        st.credit = 0.0;
        st.cpu_notified = false;
        return;
    };
    // The budget: limit% of the wall time, minus what the tree used over the same time.
    let max_burst = ctx.config.max_burst.as_secs_f64();
    st.credit = (st.credit + (limit - observed) / 100.0 * dt).min(max_burst);
    let over = st.credit < 0.0;
    if limits.action == LimitMode::Notify {
        release(ctx, st, observed, "the action is now notify", out);
        if over && !st.cpu_notified {
            st.cpu_notified = true;
            out.push(ctx.action(
                LimitKind::Cpu,
                limit,
                observed,
                ActionTaken::Notified,
                None,
                "over the CPU limit (notify only)",
            ));
        } else if !over && st.credit >= max_burst {
            st.cpu_notified = false;
        }
        return;
    }
    if let Some(t) = st.throttle.as_mut() {
        if !group_alive(t.pgid) {
            let pgid = t.pgid;
            if let Some(cg) = t.cgroup.take() {
                cg.remove();
            }
            st.throttle = None;
            out.push(ctx.action(
                LimitKind::Cpu,
                limit,
                observed,
                ActionTaken::Released,
                Some(pgid),
                "the throttled job exited",
            ));
        } else if let Some(cg) = &t.cgroup {
            // The quota holds the job: keep it current and follow new processes (children
            // forked inside already are inside).
            if (t.limit - limit).abs() > f64::EPSILON {
                cg.set_limit(limit);
                t.limit = limit;
            }
            let inside = cg.pids();
            for p in procs {
                if p.pid != ctx.p.shell_pid && !inside.contains(&p.pid) {
                    cg.add(p.pid);
                }
            }
            return;
        } else if over {
            t.last_over = ctx.now;
            // Workers stopped over the whole span the reading rates and still over: the
            // leader itself is busy. (A reading that also spans time before they stopped
            // proves nothing.)
            let stopped_throughout =
                t.stopped && ctx.now.saturating_duration_since(t.stopped_since) >= ctx.window;
            if t.scope == Scope::Workers && stopped_throughout && observed > limit {
                t.scope = Scope::Group;
                t.stopped = false;
            }
            if !t.stopped {
                t.stopped = stop_job(t, ctx.p.shell_pid, procs);
                t.stopped_since = ctx.now;
            }
            return;
        } else {
            if t.stopped {
                signal_group(t.pgid, Signal::SIGCONT);
                t.stopped = false;
            }
            // Within budget for a while: the episode is over.
            if ctx.now.duration_since(t.last_over) >= Duration::from_secs(2) {
                release(ctx, st, observed, "back under the CPU limit", out);
            }
            return;
        }
    }
    if !over {
        st.cpu_notified = false;
        return;
    }
    let job = foreground_job(ctx.p.shell_pid);
    let quota = job.filter(|_| ctx.config.cgroups).and_then(|pgid| {
        let pane: u32 = ctx.id.trim_start_matches('%').parse().ok()?;
        let cg = crate::cpu_cgroup::CpuCgroup::create(pgid, pane, pgid, limit)?;
        // Every process goes in (no short-circuit): count those that did.
        let moved = procs
            .iter()
            .filter(|p| p.pid != ctx.p.shell_pid)
            .filter(|p| cg.add(p.pid))
            .count()
            > 0;
        if !moved {
            cg.remove();
            return None;
        }
        Some(Throttle {
            pgid,
            session: ctx.p.session.clone(),
            limit,
            scope: Scope::Group,
            stopped: false,
            stopped_since: ctx.now,
            last_over: ctx.now,
            cgroup: Some(cg),
        })
    });
    if let Some(t) = quota {
        let pgid = t.pgid;
        st.throttle = Some(t);
        out.push(ctx.action(
            LimitKind::Cpu,
            limit,
            observed,
            ActionTaken::Throttled,
            Some(pgid),
            "over the CPU limit; a kernel CPU quota (cgroup) holds the job there",
        ));
        return;
    }
    let started = job.and_then(|pgid| {
        // Stop only the workers when the processes the shell started use little of the CPU.
        let m = members(pgid, ctx.p.shell_pid, procs);
        let leaders: f64 = m.iter().filter(|p| p.1).map(|p| p.2).sum();
        let workers: f64 = m.iter().filter(|p| !p.1).map(|p| p.2).sum();
        let scope = if workers > 0.0 && leaders < 0.2 * (leaders + workers) {
            Scope::Workers
        } else {
            Scope::Group
        };
        let t = Throttle {
            pgid,
            session: ctx.p.session.clone(),
            limit,
            scope,
            stopped: true,
            stopped_since: ctx.now,
            last_over: ctx.now,
            cgroup: None,
        };
        stop_job(&t, ctx.p.shell_pid, procs).then_some(t)
    });
    match started {
        Some(t) => {
            let (pgid, scope) = (t.pgid, t.scope);
            st.throttle = Some(t);
            out.push(ctx.action(
                LimitKind::Cpu,
                limit,
                observed,
                ActionTaken::Throttled,
                Some(pgid),
                match scope {
                    Scope::Group => {
                        "over the CPU limit; stopping and continuing the foreground job to hold it there"
                    }
                    Scope::Workers => {
                        "over the CPU limit; stopping and continuing the job's worker processes to hold it there"
                    }
                },
            ));
        }
        None => {
            if !st.cpu_notified {
                st.cpu_notified = true;
                out.push(ctx.action(
                    LimitKind::Cpu,
                    limit,
                    observed,
                    ActionTaken::Notified,
                    job,
                    "over the CPU limit, but no foreground job to throttle (the shell is never stopped)",
                ));
            }
        }
    }
}

fn release(
    ctx: &Ctx<'_>,
    st: &mut PaneState,
    observed: f64,
    why: &str,
    out: &mut Vec<LimitAction>,
) {
    if let Some(mut t) = st.throttle.take() {
        if t.stopped {
            signal_group(t.pgid, Signal::SIGCONT);
        }
        if let Some(cg) = t.cgroup.take() {
            cg.remove();
        }
        out.push(ctx.action(
            LimitKind::Cpu,
            ctx.p.limits.cpu_percent.unwrap_or(0.0),
            observed,
            ActionTaken::Released,
            Some(t.pgid),
            why,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn kinds_modes_and_values() {
        assert_eq!("cpu".parse::<LimitKind>().unwrap(), LimitKind::Cpu);
        assert_eq!("Memory".parse::<LimitKind>().unwrap(), LimitKind::Memory);
        for bad in ["", "disk", "cpu%"] {
            assert_eq!(
                bad.parse::<LimitKind>().unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        }
        assert_eq!("notify".parse::<LimitMode>().unwrap(), LimitMode::Notify);
        assert!("kill".parse::<LimitMode>().is_err());
        assert_eq!(validate(LimitKind::Cpu, 30.0).unwrap(), 30.0);
        assert_eq!(validate(LimitKind::Memory, 100.0).unwrap(), 100.0);
        for (k, v) in [
            (LimitKind::Cpu, 0.5),
            (LimitKind::Cpu, -1.0),
            (LimitKind::Cpu, f64::NAN),
            (LimitKind::Cpu, 1e9),
            (LimitKind::Memory, 0.0),
            (LimitKind::Memory, -5.0),
            (LimitKind::Memory, f64::INFINITY),
            (LimitKind::Memory, 1e12),
        ] {
            let e = validate(k, v).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{k} {v}");
        }
        assert!(check_grace(Duration::from_secs(7200)).is_err());
    }

    #[test]
    fn stored_garbage_is_corrupt() {
        let ok = parse_limits("%1", &["30", "", "", ""]).unwrap();
        assert_eq!(ok.cpu_percent, Some(30.0));
        assert_eq!(ok.action, LimitMode::Enforce);
        assert_eq!(ok.grace_seconds, 5.0);
        for bad in [
            ["x", "", "", ""],
            ["", "-3", "", ""],
            ["", "", "kill", ""],
            ["", "", "", "NaN"],
        ] {
            assert_eq!(
                parse_limits("%1", &bad).unwrap_err().kind(),
                ErrorKind::Corrupt
            );
        }
    }

    #[test]
    fn action_serializes_and_prints() {
        let a = LimitAction {
            pane_id: "%3".into(),
            session: "s".into(),
            kind: LimitKind::Memory,
            limit: 100.0,
            observed: 123.4,
            action: ActionTaken::Terminated,
            pgid: Some(42),
            at_ms: 1,
            reason: "r".into(),
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["kind"], "memory");
        assert_eq!(v["action"], "terminated");
        let line = a.to_string();
        assert!(line.contains("terminated") && line.contains("%3") && line.contains("42"));
    }
}
