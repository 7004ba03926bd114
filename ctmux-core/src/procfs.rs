//! What `/proc` says about a pane's processes: its terminal's foreground process group, and
//! the process groups in its session. Reading `/proc` costs microseconds; spawning `ps` costs
//! milliseconds.

use crate::error::{Error, Result};
use procfs::process::Process;
use std::os::unix::fs::OpenOptionsExt;

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

/// Every field of `/proc/<pid>/stat` ctmux reads (the process tree walk of
/// [`crate::metrics`] and the job checks alike), parsed from one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatLine {
    pub pid: i32,
    /// `comm`, the short name between the parentheses.
    pub name: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tpgid: i32,
    /// `utime + stime`, in clock ticks.
    pub ticks: u64,
    pub threads: u64,
    /// Start time after boot, in clock ticks.
    pub start_ticks: u64,
    /// Resident set size, in pages.
    pub rss_pages: u64,
}

/// Parse the text of `/proc/<pid>/stat`. The name may hold spaces and parentheses, so the
/// fields are counted from the *last* `)`.
pub(crate) fn parse_stat(text: &str) -> Option<StatLine> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text.get(..open)?.trim().parse().ok()?;
    let name = text.get(open + 1..close)?.to_owned();
    // Fields from field 3 (state) on; `f[i]` is field `i + 3` of proc(5).
    let mut f: [&str; 22] = [""; 22];
    let mut n = 0;
    for (slot, v) in f
        .iter_mut()
        .zip(text.get(close + 1..)?.split_ascii_whitespace())
    {
        *slot = v;
        n += 1;
    }
    if n < 22 {
        return None;
    }
    let u = |i: usize| f[i].parse::<u64>().ok();
    let i = |i: usize| f[i].parse::<i32>().ok();
    Some(StatLine {
        pid,
        name,
        state: f[0].chars().next()?,
        ppid: i(1)?,
        pgrp: i(2)?,
        session: i(3)?,
        tpgid: i(5)?,
        ticks: u(11)? + u(12)?,
        threads: u(17)?,
        start_ticks: u(19)?,
        rss_pages: u(21)?,
    })
}

/// Read and parse `/proc/<pid>/stat` (one open and one read).
pub(crate) fn stat_line(pid: i32) -> Result<StatLine> {
    let path = format!("/proc/{pid}/stat");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if gone(&e) => return Err(Error::not_found("process", pid.to_string())),
        Err(e) => return Err(Error::io(format!("reading {path}"), e)),
    };
    parse_stat(&text).ok_or_else(|| Error::Corrupt {
        what: path,
        reason: format!("unexpected contents: {text:?}"),
    })
}

/// Whether an error reading `/proc/<pid>/...` means the process does not exist (any more).
pub(crate) fn gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(nix::libc::ESRCH)
}

/// Read `/proc/<pid>/stat`.
///
/// # Errors
/// [`Error::NotFound`] when the process is gone, [`Error::Io`] otherwise.
pub fn stat(pid: i32) -> Result<ProcStat> {
    if pid <= 0 {
        return Err(Error::not_found("process", pid.to_string()));
    }
    let s = stat_line(pid)?;
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

/// Whether `pid` (a pane's shell) sits in its line editor waiting for a key: no foreground job
/// on its terminal, asleep, and the terminal out of canonical mode (readline and zle switch it
/// off while they read a line; a running `read` builtin, `cat` or a busy shell loop leave it
/// on or are not asleep). `tty` is the pane's terminal (`/dev/pts/3`).
pub(crate) fn at_line_editor(pid: i32, tty: &str) -> bool {
    use nix::sys::termios::{tcgetattr, LocalFlags};
    let Ok(s) = stat(pid) else {
        return false;
    };
    if s.state != 'S' || (s.tpgid > 0 && s.tpgid != s.pgrp) {
        return false;
    }
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOCTTY | nix::libc::O_NONBLOCK)
        .open(tty)
    else {
        return false;
    };
    tcgetattr(&f).is_ok_and(|t| !t.local_flags.contains(LocalFlags::ICANON))
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
        assert_eq!(stat(0).unwrap_err().kind(), crate::ErrorKind::NotFound);
    }

    #[test]
    fn parses_names_with_spaces_and_parentheses() {
        let line = "42 (a) b (c)) S 1 42 42 34816 42 4194560 100 0 0 0 7 3 0 0 20 0 \
                    2 0 12345 1000 250 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.pid, 42);
        assert_eq!(s.name, "a) b (c)");
        assert_eq!((s.state, s.ppid, s.pgrp, s.session), ('S', 1, 42, 42));
        assert_eq!(s.tpgid, 42);
        assert_eq!(s.ticks, 10);
        assert_eq!(s.threads, 2);
        assert_eq!(s.start_ticks, 12345);
        assert_eq!(s.rss_pages, 250);
        assert_eq!(parse_stat("42 (x) S 1 2"), None);
        assert_eq!(parse_stat("garbage"), None);
        let own = stat_line(std::process::id() as i32).unwrap();
        assert_eq!(own.pid, std::process::id() as i32);
        assert!(own.threads >= 1 && own.rss_pages > 0);
    }
}
