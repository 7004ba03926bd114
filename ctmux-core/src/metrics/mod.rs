//! Resource figures for a pane's whole process tree (its shell and every descendant), read
//! from `/proc` — microseconds, where spawning `ps` costs milliseconds.
//!
//! CPU is a rate, so it needs two samples: the first reading of a pane samples twice,
//! [`MetricsSampler::interval`] apart (never the meaningless first-call 0 %); later readings
//! through the same [`MetricsSampler`] rate against a kept sample and return at once, however
//! often they come. A warm reading reads each process through `/proc` files kept open
//! (see `tree.rs`).

mod tree;

use crate::error::{Error, Result};
use crate::pane::Pane;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tree::{sample_tree, OpenFiles, Raw, Sample};

/// One process of a pane's tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessMetrics {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Short name (`comm`).
    pub name: String,
    /// Full command line, arguments joined by spaces (empty for kernel threads / zombies).
    pub cmdline: String,
    /// CPU use over the sampling interval, in percent of one core.
    pub cpu_percent: f64,
    /// Resident memory, MiB.
    pub memory_mb: f64,
    /// Threads.
    pub thread_count: u64,
}

/// A pane's figures, named as the seed names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaneMetrics {
    /// The pane's id.
    pub pane_id: String,
    /// CPU use of the whole tree over the sampling interval, percent of one core (can exceed
    /// 100 with several busy processes).
    pub cpu_percent: f64,
    /// Resident memory of the tree, MiB.
    pub memory_mb: f64,
    /// Resident memory as a percent of the machine's RAM.
    pub memory_percent: f64,
    /// Bytes the tree read from storage (`read_bytes` of `/proc/<pid>/io`), KiB.
    pub io_read_kb: f64,
    /// Bytes the tree wrote to storage (`write_bytes`), KiB.
    pub io_write_kb: f64,
    /// Seconds since the pane's shell started.
    pub uptime_seconds: f64,
    /// Threads over the tree.
    pub thread_count: u64,
    /// Processes in the tree, the shell included.
    pub process_count: u64,
    /// Milliseconds between the two samples the CPU figure comes from.
    pub sample_interval_ms: f64,
    /// Per-process breakdown, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processes: Option<Vec<ProcessMetrics>>,
}

/// A session's figures: the sum over its panes and a row per pane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionMetrics {
    /// Sum over the panes (`pane_id` is empty).
    pub total: PaneMetrics,
    /// One row per pane.
    pub panes: Vec<PaneMetrics>,
}

/// The machine's RAM, read once (it does not change while we run).
fn mem_total_bytes() -> u64 {
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        use procfs::Current;
        procfs::Meminfo::current().map(|m| m.mem_total).unwrap_or(0)
    })
}

/// The machine's RAM in MiB (0 if `/proc/meminfo` cannot be read).
pub(crate) fn mem_total_mb() -> f64 {
    mem_total_bytes() as f64 / MIB
}

/// Seconds since boot, from the boot time (read once from `/proc/stat`) and the clock.
fn uptime_secs() -> f64 {
    static BOOT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    let boot = *BOOT.get_or_init(|| procfs::boot_time_secs().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    match boot {
        Some(b) => now - b as f64,
        None => {
            use procfs::Current;
            procfs::Uptime::current().map(|u| u.uptime).unwrap_or(0.0)
        }
    }
}

fn ticks_per_second() -> f64 {
    static HZ: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *HZ.get_or_init(procfs::ticks_per_second) as f64
}

const MIB: f64 = 1024.0 * 1024.0;

/// What a sampler keeps of one tree: up to two samples at least [`MetricsSampler::min_gap`]
/// apart (so a base for the rate is at hand however often it is read) and the open `/proc`
/// files of the tree's processes.
#[derive(Debug, Default)]
struct Tracked {
    kept: VecDeque<Arc<Sample>>,
    files: OpenFiles,
}

/// How a reading of one tree gets the base sample of its rate.
enum Plan {
    /// A kept sample is old enough: read once and return.
    Warm(Arc<Sample>),
    /// The newest kept sample becomes old enough after this wait.
    Wait(Arc<Sample>, Duration),
    /// Nothing kept: sample, wait [`MetricsSampler::interval`], sample again.
    Cold,
}

impl Tracked {
    fn plan(&self, gap: Duration) -> Plan {
        if let Some(s) = self.kept.iter().rev().find(|s| s.at.elapsed() >= gap) {
            return Plan::Warm(Arc::clone(s));
        }
        match self.kept.back() {
            Some(s) => Plan::Wait(Arc::clone(s), gap.saturating_sub(s.at.elapsed())),
            None => Plan::Cold,
        }
    }

    /// Keep `now` if it is at least `gap` after the newest kept sample: a reader that comes
    /// more often than every `gap` then rates over the last one to two gaps, never over a
    /// span that keeps growing.
    fn keep(&mut self, now: Arc<Sample>, gap: Duration) {
        if self
            .kept
            .back()
            .is_none_or(|last| now.at.saturating_duration_since(last.at) >= gap)
        {
            self.kept.push_back(now);
            while self.kept.len() > 2 {
                self.kept.pop_front();
            }
        }
    }
}

/// Keeps recent samples of each tree (and its processes' open `/proc` files), so repeated
/// readings are cheap and CPU is a real rate. Share one sampler per client (it is `Sync`).
#[derive(Debug)]
pub struct MetricsSampler {
    interval: Duration,
    trees: Mutex<HashMap<i32, Tracked>>,
}

impl Default for MetricsSampler {
    fn default() -> Self {
        MetricsSampler::new(Duration::from_millis(250))
    }
}

/// Refused sampling intervals: under 10 ms (below the kernel's tick) or over 60 s.
pub(crate) fn check_interval(interval: Duration) -> Result<()> {
    if interval < Duration::from_millis(10) || interval > Duration::from_secs(60) {
        return Err(Error::invalid(
            "sampling interval",
            format!("{} ms: must be 10 ms to 60 s", interval.as_millis()),
        ));
    }
    Ok(())
}

fn page_size() -> u64 {
    static SIZE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SIZE.get_or_init(procfs::page_size)
}

impl MetricsSampler {
    /// A sampler whose first reading of a pane spans `interval`.
    pub fn new(interval: Duration) -> Self {
        MetricsSampler {
            interval,
            trees: Mutex::new(HashMap::new()),
        }
    }

    /// The first-reading sampling interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The shortest span a rate is taken over: the sampling interval, at most 50 ms (so a
    /// cold reading of many panes costs one interval, not one per pane).
    fn min_gap(&self) -> Duration {
        self.interval.min(Duration::from_millis(50))
    }

    fn trees(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Tracked>> {
        self.trees.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drop what is kept of the tree rooted at `root_pid` (its samples and open files).
    pub fn forget(&self, root_pid: i32) {
        self.trees().remove(&root_pid);
    }

    /// Drop what is kept of every tree whose root is not in `roots` (a long-lived sampler
    /// calls this with the panes that still exist, so what it holds stays bounded).
    pub fn retain(&self, roots: &[i32]) {
        self.trees().retain(|pid, _| roots.contains(pid));
    }

    /// Figures for `pane`'s process tree. `processes` adds the per-process breakdown.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a sampling interval outside 10 ms..=60 s;
    /// [`Error::NotFound`] if the pane is gone, dead, or its process exited.
    pub fn pane(&self, pane: &Pane, processes: bool) -> Result<PaneMetrics> {
        check_interval(self.interval)?;
        let p = pane.process()?;
        if !p.live() {
            return Err(Error::not_found("live process in pane", p.pane_id));
        }
        self.measure(&p.pane_id, p.pid, processes)
            .map_err(|e| match e.kind() {
                crate::ErrorKind::NotFound => {
                    Error::not_found("live process in pane", pane.id().to_string())
                }
                _ => e,
            })
    }

    /// Figures for the tree rooted at `root_pid`, labelled `pane_id`. Returns at once when
    /// a sample of the tree at least [`MetricsSampler::interval`] (at most 50 ms) old is
    /// kept; otherwise waits for one.
    ///
    /// # Errors
    /// [`Error::NotFound`] if `root_pid` does not exist.
    pub fn measure(&self, pane_id: &str, root_pid: i32, processes: bool) -> Result<PaneMetrics> {
        let gap = self.min_gap();
        let (plan, mut files) = {
            let mut trees = self.trees();
            match trees.get_mut(&root_pid) {
                Some(t) => (t.plan(gap), std::mem::take(&mut t.files)),
                None => (Plan::Cold, OpenFiles::new()),
            }
        };
        let sampled = (|| {
            let (base, first) = match plan {
                Plan::Warm(base) => (base, None),
                Plan::Wait(base, wait) => {
                    std::thread::sleep(wait);
                    (base, None)
                }
                Plan::Cold => {
                    let first = Arc::new(sample_tree(root_pid, &mut files)?);
                    std::thread::sleep(self.interval);
                    (Arc::clone(&first), Some(first))
                }
            };
            let now = Arc::new(sample_tree(root_pid, &mut files)?);
            Ok::<_, Error>((base, first, now))
        })();
        let mut trees = self.trees();
        match sampled {
            Ok((base, first, now)) => {
                let metrics = compute(pane_id, &base, &now, processes);
                let t = trees.entry(root_pid).or_default();
                if let Some(first) = first {
                    t.keep(first, gap);
                }
                t.keep(now, gap);
                // A reader of the same tree at the same time may have put its files back
                // first: then ours are closed here.
                if t.files.is_empty() {
                    t.files = files;
                }
                Ok(metrics)
            }
            Err(e) => {
                if e.kind() == crate::ErrorKind::NotFound {
                    trees.remove(&root_pid);
                }
                Err(e)
            }
        }
    }

    /// Take a first sample of a tree nothing is kept of (the start of a cold reading).
    fn prime(&self, root_pid: i32) -> Result<()> {
        let mut files = OpenFiles::new();
        let first = Arc::new(sample_tree(root_pid, &mut files)?);
        let mut trees = self.trees();
        let t = trees.entry(root_pid).or_default();
        t.keep(first, self.min_gap());
        if t.files.is_empty() {
            t.files = files;
        }
        Ok(())
    }

    /// Figures for every pane of `session`, and their sum. Panes are sampled together, so a
    /// cold reading costs one interval in all, not one per pane.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a sampling interval outside 10 ms..=60 s;
    /// [`Error::NotFound`] if the session is gone.
    pub fn session(&self, session: &crate::Session) -> Result<SessionMetrics> {
        check_interval(self.interval)?;
        let panes: Vec<_> = session
            .pane_processes()?
            .into_iter()
            .filter(|p| p.live())
            .collect();
        let gap = self.min_gap();
        let mut wait = Duration::ZERO;
        for p in &panes {
            let plan = self.trees().get(&p.pid).map(|t| t.plan(gap));
            match plan {
                Some(Plan::Warm(_)) => {}
                Some(Plan::Wait(_, w)) => wait = wait.max(w),
                Some(Plan::Cold) | None => {
                    if self.prime(p.pid).is_ok() {
                        wait = wait.max(self.interval);
                    }
                }
            }
        }
        std::thread::sleep(wait);
        let mut rows = Vec::new();
        for p in &panes {
            match self.measure(&p.pane_id, p.pid, false) {
                Ok(m) => rows.push(m),
                // Exited since the listing: not part of the session any more.
                Err(e) if e.kind() == crate::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        let mut total = PaneMetrics {
            pane_id: String::new(),
            cpu_percent: 0.0,
            memory_mb: 0.0,
            memory_percent: 0.0,
            io_read_kb: 0.0,
            io_write_kb: 0.0,
            uptime_seconds: 0.0,
            thread_count: 0,
            process_count: 0,
            sample_interval_ms: 0.0,
            processes: None,
        };
        for r in &rows {
            total.cpu_percent += r.cpu_percent;
            total.memory_mb += r.memory_mb;
            total.memory_percent += r.memory_percent;
            total.io_read_kb += r.io_read_kb;
            total.io_write_kb += r.io_write_kb;
            total.uptime_seconds = total.uptime_seconds.max(r.uptime_seconds);
            total.thread_count += r.thread_count;
            total.process_count += r.process_count;
            total.sample_interval_ms = total.sample_interval_ms.max(r.sample_interval_ms);
        }
        total.cpu_percent = round2(total.cpu_percent);
        total.memory_mb = round2(total.memory_mb);
        total.memory_percent = round2(total.memory_percent);
        Ok(SessionMetrics { total, panes: rows })
    }
}

fn compute(pane_id: &str, prev: &Sample, now: &Sample, processes: bool) -> PaneMetrics {
    let hz = ticks_per_second();
    let wall = now.at.duration_since(prev.at).as_secs_f64().max(1e-6);
    let before: HashMap<i32, &Raw> = prev.procs.iter().map(|r| (r.stat.pid, r)).collect();
    let mem_total = mem_total_bytes() as f64;
    let page = page_size();
    let mut rows = Vec::with_capacity(now.procs.len());
    let mut cpu = 0.0;
    for r in &now.procs {
        let s = &r.stat;
        // Same pid and start time: the same process; a new one counts from zero.
        let base = match before.get(&s.pid) {
            Some(b) if b.stat.start_ticks == s.start_ticks => b.stat.ticks,
            _ => 0,
        };
        let pct = (s.ticks.saturating_sub(base) as f64 / hz) / wall * 100.0;
        cpu += pct;
        if processes {
            rows.push(ProcessMetrics {
                pid: s.pid,
                ppid: s.ppid,
                name: s.name.clone(),
                cmdline: crate::procfs::cmdline(s.pid).unwrap_or_default(),
                cpu_percent: round2(pct),
                memory_mb: round2((s.rss_pages * page) as f64 / MIB),
                thread_count: s.threads,
            });
        }
    }
    let rss: u64 = now.procs.iter().map(|r| r.stat.rss_pages * page).sum();
    let root_start = now.procs.first().map(|r| r.stat.start_ticks).unwrap_or(0);
    PaneMetrics {
        pane_id: pane_id.to_owned(),
        cpu_percent: round2(cpu),
        memory_mb: round2(rss as f64 / MIB),
        memory_percent: if mem_total > 0.0 {
            round2(rss as f64 / mem_total * 100.0)
        } else {
            0.0
        },
        io_read_kb: now.procs.iter().map(|r| r.read_bytes).sum::<u64>() as f64 / 1024.0,
        io_write_kb: now.procs.iter().map(|r| r.write_bytes).sum::<u64>() as f64 / 1024.0,
        uptime_seconds: round2((uptime_secs() - root_start as f64 / hz).max(0.0)),
        thread_count: now.procs.iter().map(|r| r.stat.threads).sum(),
        process_count: now.procs.len() as u64,
        sample_interval_ms: round2(wall * 1000.0),
        processes: processes.then_some(rows),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_tree() {
        let s = MetricsSampler::new(Duration::from_millis(20));
        let me = std::process::id() as i32;
        let m = s.measure("self", me, true).unwrap();
        assert!(m.process_count >= 1);
        assert!(m.memory_mb > 0.0);
        assert!(m.thread_count >= 1);
        assert_eq!(m.processes.as_ref().unwrap()[0].pid, me);
        assert!(s.measure("x", i32::MAX - 3, false).is_err());
        assert!(check_interval(Duration::from_millis(1)).is_err());
        assert!(check_interval(Duration::from_secs(61)).is_err());
    }
}
