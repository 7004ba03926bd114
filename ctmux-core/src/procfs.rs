//! What `/proc` says about a pane's processes: its terminal's foreground process group, and
//! the process groups in its session. Reading `/proc` costs microseconds; spawning `ps` costs
//! milliseconds.

use crate::error::{Error, Result};
use procfs::process::Process;

/// The parts of `/proc/<pid>/stat` ctmux decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// The process id.
    pub pid: i32,
    /// Its process group.
    pub pgrp: i32,
    /// Its session.
    pub session: i32,
    /// The foreground process group of its controlling terminal (-1 if none).
    pub tpgid: i32,
    /// Its state letter (`R`, `S`, `T`, `Z`, ...).
    pub state: char,
}

/// Read `/proc/<pid>/stat`.
///
/// # Errors
/// [`Error::NotFound`] when the process is gone, [`Error::Io`] otherwise.
pub fn stat(pid: i32) -> Result<ProcStat> {
    let p = Process::new(pid).map_err(|e| map_err(pid, e))?;
    let s = p.stat().map_err(|e| map_err(pid, e))?;
    Ok(ProcStat {
        pid: s.pid,
        pgrp: s.pgrp,
        session: s.session,
        tpgid: s.tpgid,
        state: s.state,
    })
}

/// Whether a process with this pid exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    matches!(stat(pid), Ok(s) if s.state != 'Z' && s.state != 'X')
}

/// The process groups of session `sid` other than the session leader's own, with whether
/// every member of the group is stopped.
pub fn job_groups(sid: i32) -> Vec<(i32, bool)> {
    let mut groups: std::collections::BTreeMap<i32, bool> = Default::default();
    if let Ok(all) = procfs::process::all_processes() {
        for p in all.flatten() {
            if let Ok(s) = p.stat() {
                if s.session == sid && s.pgrp != sid {
                    let stopped = s.state == 'T' || s.state == 't';
                    let e = groups.entry(s.pgrp).or_insert(true);
                    *e = *e && stopped;
                }
            }
        }
    }
    groups.into_iter().collect()
}

/// Full command line of `pid` (arguments joined by spaces), if readable.
pub fn cmdline(pid: i32) -> Option<String> {
    Process::new(pid)
        .ok()?
        .cmdline()
        .ok()
        .map(|args| args.join(" "))
}

/// The arguments of `pid` exactly as it was started (`/proc/<pid>/cmdline`), if readable
/// and not empty (a kernel thread or a zombie has none).
pub fn argv(pid: i32) -> Option<Vec<String>> {
    Process::new(pid)
        .ok()?
        .cmdline()
        .ok()
        .filter(|args| !args.is_empty())
}

fn map_err(pid: i32, e: procfs::ProcError) -> Error {
    match e {
        procfs::ProcError::NotFound(_) => Error::not_found("process", pid.to_string()),
        other => Error::io(
            format!("reading /proc/{pid}"),
            std::io::Error::other(other.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_stat() {
        let me = std::process::id() as i32;
        let s = stat(me).unwrap();
        assert_eq!(s.pid, me);
        assert!(alive(me));
        assert!(!alive(i32::MAX - 1));
        assert_eq!(
            stat(i32::MAX - 1).unwrap_err().kind(),
            crate::ErrorKind::NotFound
        );
    }
}
