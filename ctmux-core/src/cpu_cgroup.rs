//! CPU quotas through cgroups, for [`crate::limits`]: where the machine lets us write a
//! cgroup's CPU controller, a CPU limit is a kernel quota on a cgroup holding the job's
//! processes instead of a SIGSTOP/SIGCONT duty cycle. The job is never stopped, so the
//! pane's shell never sees it stop (with a duty cycle, an interactive shell reports a
//! stopped direct child as `Stopped` and takes the terminal back).
//!
//! cgroup v1 (`cpu` controller: `cpu.cfs_period_us` / `cpu.cfs_quota_us`) and cgroup v2
//! (`cpu.max`, where the parent delegates `cpu` in `cgroup.subtree_control`) are supported.
//! The cgroup is created next to the job's own cgroup (`ctmux-limit-<pane>-<pgid>`); on
//! release the processes are moved back and the cgroup removed. Anything that fails means
//! "not available here", and the caller falls back to the duty cycle.

use std::fs;
use std::path::{Path, PathBuf};

/// Name prefix of the cgroups made here.
pub const PREFIX: &str = "ctmux-limit-";

/// The period of the quota, microseconds.
const PERIOD_US: u64 = 100_000;

/// A CPU-quota cgroup holding a job's processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuCgroup {
    dir: PathBuf,
    parent: PathBuf,
    v2: bool,
}

/// The cgroup directory of `pid` for the CPU controller, and whether it is cgroup v2.
fn cgroup_of(pid: i32) -> Option<(PathBuf, bool)> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    // v1: "N:cpu,cpuacct:/path" (or "N:cpu:/path"); v2: "0::/path".
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrl, path) = (f.next()?, f.next()?, f.next()?);
        if ctrl.split(',').any(|c| c == "cpu") {
            for root in [
                "/sys/fs/cgroup/cpu",
                "/sys/fs/cgroup/cpu,cpuacct",
                "/sys/fs/cgroup/cpuacct,cpu",
            ] {
                let dir = Path::new(root).join(path.trim_start_matches('/'));
                if dir.join("cpu.cfs_quota_us").exists() {
                    return Some((dir, false));
                }
            }
        }
    }
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("0::") {
            for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
                let dir = Path::new(root).join(path.trim_start_matches('/'));
                let delegated = fs::read_to_string(dir.join("cgroup.subtree_control"))
                    .is_ok_and(|s| s.split_whitespace().any(|c| c == "cpu"));
                if delegated {
                    return Some((dir, true));
                }
            }
        }
    }
    None
}

impl CpuCgroup {
    /// Make a cgroup beside `pid`'s own, named for `pane` (a number) and `pgid`, limited to
    /// `percent` of one core. `None` when the machine does not allow it.
    pub fn create(pid: i32, pane: u32, pgid: i32, percent: f64) -> Option<CpuCgroup> {
        let (parent, v2) = cgroup_of(pid)?;
        let dir = parent.join(format!("{PREFIX}{pane}-{pgid}"));
        if !dir.is_dir() {
            fs::create_dir(&dir).ok()?;
        }
        let cg = CpuCgroup { dir, parent, v2 };
        if cg.set_limit(percent) {
            Some(cg)
        } else {
            cg.remove();
            None
        }
    }

    /// The cgroup's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Set the quota to `percent` of one core.
    pub fn set_limit(&self, percent: f64) -> bool {
        let quota = ((percent / 100.0) * PERIOD_US as f64).round().max(1000.0) as u64;
        if self.v2 {
            fs::write(self.dir.join("cpu.max"), format!("{quota} {PERIOD_US}")).is_ok()
        } else {
            fs::write(self.dir.join("cpu.cfs_period_us"), PERIOD_US.to_string()).is_ok()
                && fs::write(self.dir.join("cpu.cfs_quota_us"), quota.to_string()).is_ok()
        }
    }

    /// Move `pid` into the cgroup (its future children follow it).
    pub fn add(&self, pid: i32) -> bool {
        fs::write(self.dir.join("cgroup.procs"), pid.to_string()).is_ok()
    }

    /// Processes in the cgroup now.
    pub fn pids(&self) -> Vec<i32> {
        fs::read_to_string(self.dir.join("cgroup.procs"))
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Move every process back to the parent cgroup and remove this one.
    pub fn remove(&self) {
        for pid in self.pids() {
            let _ = fs::write(self.parent.join("cgroup.procs"), pid.to_string());
        }
        let _ = fs::remove_dir(&self.dir);
    }
}

/// Whether CPU-quota cgroups can be made beside `pid`'s own cgroup (tries once: makes and
/// removes one).
pub fn available(pid: i32) -> bool {
    match CpuCgroup::create(pid, u32::MAX, pid, 50.0) {
        Some(cg) => {
            cg.remove();
            true
        }
        None => false,
    }
}

/// Remove cgroups a crashed enforcer left beside `pid`'s own (their processes go back).
pub fn remove_leftovers(pid: i32) {
    let Some((parent, v2)) = cgroup_of(pid) else {
        return;
    };
    let Ok(entries) = fs::read_dir(&parent) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(PREFIX) && e.path().is_dir() {
            CpuCgroup {
                dir: e.path(),
                parent: parent.clone(),
                v2,
            }
            .remove();
        }
    }
}
