//! How [`super::start`] learns whether the daemon process *it* launched got the lock, so
//! that of several concurrent starts exactly one reports `started: true`.
//!
//! The starter makes a pipe, lets the launched process inherit its write end (through
//! `/bin/sh`), and names it in [`ENV`] as `<fd>:<inode>`. The daemon, once it knows,
//! writes one byte, [`LOCKED`] or [`BUSY`], and closes its end. End of file without a byte
//! means it exited before knowing (a start-up failure). The inode check makes a stale or
//! inherited variable harmless: the descriptor is used only if it is that very pipe.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::time::{Duration, Instant};

/// The variable naming the pipe: `<fd>:<inode>`.
pub const ENV: &str = "CTMUX_DAEMON_READY";

/// The daemon holds the lock: this start started it.
pub const LOCKED: u8 = b'L';

/// Another daemon holds the lock: this start's process exits.
pub const BUSY: u8 = b'B';

/// The daemon's end: [`Notifier::tell`] once. Does nothing when [`ENV`] is not set (a
/// daemon run by hand) or does not name the pipe it says.
pub(super) struct Notifier(Option<File>);

impl Notifier {
    /// Take the pipe named by [`ENV`]; the inherited descriptor is closed (a new one,
    /// close-on-exec, is kept), so no process the daemon starts holds it.
    pub(super) fn from_env() -> Notifier {
        let Some(value) = std::env::var_os(ENV) else {
            return Notifier(None);
        };
        let value = value.to_string_lossy();
        let Some((fd, ino)) = value.split_once(':') else {
            return Notifier(None);
        };
        let (Ok(fd), Ok(ino)) = (fd.parse::<i32>(), ino.parse::<u64>()) else {
            return Notifier(None);
        };
        let path = format!("/proc/self/fd/{fd}");
        let ours =
            std::fs::metadata(&path).is_ok_and(|m| m.file_type().is_fifo() && m.ino() == ino);
        if !ours {
            return Notifier(None);
        }
        // Non-blocking: opening a pipe whose reader is gone fails instead of waiting.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&path)
            .ok();
        // The inherited descriptor is this pipe (checked above) and nothing here owns it.
        let _ = nix::unistd::close(fd);
        Notifier(file)
    }

    /// Tell the starter `verdict` ([`LOCKED`] or [`BUSY`]); later calls do nothing.
    pub(super) fn tell(&mut self, verdict: u8) {
        if let Some(mut f) = self.0.take() {
            let _ = f.write_all(&[verdict]);
        }
    }
}

/// The starter's end of the pipe.
pub(super) struct Waiter {
    read: File,
    write: Option<OwnedFd>,
    env: String,
}

impl Waiter {
    /// A new pipe; its write end is inherited by processes started until [`Waiter::launched`].
    pub(super) fn new() -> std::io::Result<Waiter> {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
        let (read, write) = nix::unistd::pipe().map_err(std::io::Error::from)?;
        fcntl(&read, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
            .and_then(|_| fcntl(&read, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)))
            .map_err(std::io::Error::from)?;
        let read = File::from(read);
        let ino = read.metadata()?.ino();
        let env = format!("{}:{ino}", write.as_raw_fd());
        Ok(Waiter {
            read,
            write: Some(write),
            env,
        })
    }

    /// The value of [`ENV`] for the launched process.
    pub(super) fn env(&self) -> &str {
        &self.env
    }

    /// The process is launched: close our write end, so end of file means it exited.
    pub(super) fn launched(&mut self) {
        self.write = None;
    }

    /// The verdict, waiting at most `timeout`: `Ok(Some(byte))`, `Ok(None)` at end of file
    /// (the process exited without one), `Err` when none came in time.
    pub(super) fn wait(&mut self, timeout: Duration) -> Result<Option<u8>, ()> {
        let deadline = Instant::now() + timeout;
        let mut byte = [0u8; 1];
        loop {
            match self.read.read(&mut byte) {
                Ok(0) => return Ok(None),
                Ok(_) => return Ok(Some(byte[0])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return Ok(None),
            }
        }
    }
}
