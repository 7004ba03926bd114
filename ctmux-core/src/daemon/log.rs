//! The daemon's event log: JSON lines in `events.log`, rotated by size into `events.log.1`
//! .. `events.log.<KEEP>` (oldest dropped).
//!
//! Each event is written with one `write` on a file opened `O_APPEND`, so a daemon killed at
//! any moment leaves whole lines (at most the one being written is missing). Readers skip a
//! line that does not parse rather than fail.

use crate::error::{Error, Result};
use crate::events::Event;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Size at which `events.log` is rotated.
pub const MAX_BYTES: u64 = 1 << 20;

/// Rotated files kept.
pub const KEEP: usize = 3;

/// Appends events to the log, rotating it by size.
#[derive(Debug)]
pub struct EventLog {
    path: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
}

fn open_append(path: &Path) -> Result<File> {
    crate::state::open_append_private(path)
}

fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl EventLog {
    /// Open (creating) the log at `path`, rotating at `max_bytes`.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be opened.
    pub fn open(path: &Path, max_bytes: u64) -> Result<EventLog> {
        let file = open_append(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(EventLog {
            path: path.to_owned(),
            file,
            size,
            max_bytes: max_bytes.max(1024),
        })
    }

    /// Append one event (rotating first if it would not fit).
    ///
    /// # Errors
    /// [`Error::Io`] when writing or rotating fails.
    pub fn append(&mut self, event: &Event) -> Result<()> {
        let mut line = serde_json::to_vec(event)
            .map_err(|e| Error::io("encoding an event", std::io::Error::other(e)))?;
        line.push(b'\n');
        if self.size > 0 && self.size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.file
            .write_all(&line)
            .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))?;
        self.size += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> Result<()> {
        let _ = fs::remove_file(rotated(&self.path, KEEP));
        for n in (1..KEEP).rev() {
            let _ = fs::rename(rotated(&self.path, n), rotated(&self.path, n + 1));
        }
        fs::rename(&self.path, rotated(&self.path, 1))
            .map_err(|e| Error::io(format!("rotating {}", self.path.display()), e))?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

/// The last `n` events of the log at `path` (rotated files included), oldest first.
/// Lines that do not parse are skipped.
///
/// # Errors
/// [`Error::Io`] if a file exists but cannot be read.
pub fn tail(path: &Path, n: usize) -> Result<Vec<Event>> {
    let mut out: Vec<Event> = Vec::new();
    let mut files = vec![path.to_owned()];
    files.extend((1..=KEEP).map(|i| rotated(path, i)));
    for f in files {
        if out.len() >= n {
            break;
        }
        let file = match File::open(&f) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("reading {}", f.display()), e)),
        };
        let mut events: Vec<Event> = BufReader::new(file)
            .split(b'\n')
            .map_while(std::result::Result::ok)
            .filter_map(|l| serde_json::from_slice(&l).ok())
            .collect();
        let take = events.len().min(n - out.len());
        let mut older = events.split_off(events.len() - take);
        older.append(&mut out);
        out = older;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventBody;

    fn ev(i: u64) -> Event {
        Event {
            seq: i,
            time_ms: i,
            body: EventBody::Warning {
                message: format!("event number {i} with some padding to fill the log"),
            },
        }
    }

    #[test]
    fn rotates_and_tails_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let mut log = EventLog::open(&path, 2048).unwrap();
        for i in 1..=200 {
            log.append(&ev(i)).unwrap();
        }
        assert!(fs::metadata(&path).unwrap().len() <= 2048);
        assert!(rotated(&path, KEEP).exists());
        assert!(!rotated(&path, KEEP + 1).exists());
        let last = tail(&path, 10).unwrap();
        let seqs: Vec<u64> = last.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (191..=200).collect::<Vec<_>>());
        // More than the current file holds: continues into the rotated ones, in order.
        let many = tail(&path, 40).unwrap();
        assert_eq!(many.len(), 40);
        assert!(many.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
        // A torn last line is skipped.
        let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":201,\"ti").unwrap();
        assert_eq!(tail(&path, 1).unwrap()[0].seq, 200);
    }
}
