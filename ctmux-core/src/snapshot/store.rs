//! Where snapshots live, reading one safely, listing, deleting and retention.
//!
//! Default location: `<state dir>/snapshots/<session>/<session>-<UTC time>.json`, the session
//! name percent-encoded for the file system (`/`, `.`, spaces, unicode). Files are written
//! through [`crate::state::atomic_write`] (temp file, fsync, rename), so a crash leaves the
//! old file or the new one, never a partial or empty one; a temp file left by a killed save
//! (`.ctmux-tmp-*`) is ignored by listings and removed by the next save of that session.
//! Retention (keep the last N, drop those older than an age) applies only to the default
//! directory, never to a file saved at an explicit path, and never removes a session's newest
//! snapshot.

use crate::error::{Error, Result};
use crate::state::StateDir;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest snapshot file read; a bigger one is refused before it is parsed.
pub const MAX_SNAPSHOT_BYTES: u64 = 16 * 1024 * 1024;

/// Name of the retention settings file in `<state dir>/snapshots/`.
pub const RETENTION_FILE: &str = "retention.json";

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parts(ms: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let secs = ms / 1000;
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    (y, mo, d, s / 3600, s / 60 % 60, s % 60, ms % 1000)
}

/// `ms` as RFC 3339 UTC with milliseconds: `2026-11-26T10:30:00.123Z`.
pub fn rfc3339(ms: u64) -> String {
    let (y, mo, d, h, mi, s, frac) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// `ms` for a file name: `20261126T103000.123Z` (sorts by time).
fn stamp(ms: u64) -> String {
    let (y, mo, d, h, mi, s, frac) = parts(ms);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}.{frac:03}Z")
}

/// A session name as a file-name component: `[A-Za-z0-9_-]` kept, every other byte `%XX`.
pub fn encode_name(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`encode_name`] (`None` if `s` is not such an encoding).
pub fn decode_name(s: &str) -> Option<String> {
    let mut bytes = Vec::new();
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex = [it.next()?, it.next()?];
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok()
}

/// `<state dir>/snapshots` (created 0700).
///
/// # Errors
/// As [`StateDir::subdir`].
pub fn root(state: &StateDir) -> Result<PathBuf> {
    state.subdir("snapshots")
}

/// `<state dir>/snapshots/<encoded session>` (created 0700).
///
/// # Errors
/// As [`StateDir::subdir`].
pub fn session_dir(state: &StateDir, session: &str) -> Result<PathBuf> {
    state.subdir(&format!("snapshots/{}", encode_name(session)))
}

/// A new file name in `dir` for a snapshot of `session` taken at `ms`.
pub fn default_file(dir: &Path, session: &str, ms: u64, ext: &str) -> PathBuf {
    let base = format!("{}-{}", encode_name(session), stamp(ms));
    let mut path = dir.join(format!("{base}.{ext}"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{base}-{n}.{ext}"));
        n += 1;
    }
    path
}

/// Read a snapshot file whole, refusing what cannot be one before reading it.
///
/// # Errors
/// [`Error::NotFound`] if `path` does not exist; [`Error::InvalidInput`] for a directory, a
/// non-regular file, or a file over [`MAX_SNAPSHOT_BYTES`]; [`Error::Io`] if it cannot be read.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::not_found(
                "snapshot file",
                path.display().to_string(),
            ))
        }
        Err(e) => return Err(Error::io(format!("inspecting {}", path.display()), e)),
    };
    if meta.is_dir() {
        return Err(Error::invalid(
            "snapshot file",
            format!("{} is a directory", path.display()),
        ));
    }
    if !meta.is_file() {
        return Err(Error::invalid(
            "snapshot file",
            format!("{} is not a regular file", path.display()),
        ));
    }
    if meta.len() > MAX_SNAPSHOT_BYTES {
        return Err(Error::invalid(
            "snapshot file",
            format!(
                "{} is {} bytes, over the {MAX_SNAPSHOT_BYTES}-byte limit",
                path.display(),
                meta.len()
            ),
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SNAPSHOT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if bytes.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(Error::invalid(
            "snapshot file",
            format!(
                "{} grew over the {MAX_SNAPSHOT_BYTES}-byte limit",
                path.display()
            ),
        ));
    }
    Ok(bytes)
}

/// One snapshot file as listed by `session-snapshots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotEntry {
    /// The file.
    pub file: PathBuf,
    /// The session it was saved from.
    pub session: String,
    /// When it was saved (RFC 3339 UTC).
    pub saved_at: String,
    /// When it was saved, Unix milliseconds (the file's mtime if the file does not say).
    pub saved_at_ms: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// Number of windows.
    pub windows: usize,
    /// Number of panes.
    pub panes: usize,
    /// Why the file cannot be restored, if it cannot (it is still listed, to be deleted).
    pub error: Option<String>,
}

/// The fields a listing reads; serde skips the rest of the file.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
    session_name: String,
    #[serde(default)]
    saved_at: String,
    #[serde(default)]
    saved_at_ms: u64,
    #[serde(default)]
    window_count: usize,
    #[serde(default)]
    pane_count: usize,
}

fn entry(file: PathBuf, session: &str) -> SnapshotEntry {
    let meta = std::fs::metadata(&file).ok();
    let mtime_ms = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut e = SnapshotEntry {
        bytes: meta.as_ref().map(|m| m.len()).unwrap_or(0),
        file,
        session: session.to_owned(),
        saved_at: rfc3339(mtime_ms),
        saved_at_ms: mtime_ms,
        windows: 0,
        panes: 0,
        error: None,
    };
    let is_json = e.file.extension().is_some_and(|x| x == "json");
    let header =
        read_file(&e.file).and_then(|bytes| match serde_json::from_slice::<Header>(&bytes) {
            Ok(h) if is_json => Ok(h),
            // A tmuxp workspace, or a file that is not a snapshot: the full parser says why.
            _ => super::schema::parse(&e.file, &bytes).map(|l| Header {
                format: super::schema::FORMAT.into(),
                version: l.snapshot.version,
                session_name: l.snapshot.session_name.clone(),
                saved_at: String::new(),
                saved_at_ms: 0,
                window_count: l.snapshot.windows.len(),
                pane_count: l.snapshot.windows.iter().map(|w| w.panes.len()).sum(),
            }),
        });
    match header {
        Ok(h) if h.format == super::schema::FORMAT && h.version <= super::schema::VERSION => {
            e.session = h.session_name;
            if h.saved_at_ms > 0 {
                e.saved_at_ms = h.saved_at_ms;
                e.saved_at = h.saved_at;
            }
            e.windows = h.window_count;
            e.panes = h.pane_count;
        }
        Ok(h) => e.error = Some(format!("format {:?} version {}", h.format, h.version)),
        Err(err) => e.error = Some(err.to_string()),
    }
    e
}

fn is_snapshot_name(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".json") || name.ends_with(".yaml"))
}

/// The snapshots in the default directory, newest first: of `session`, or of every session.
///
/// # Errors
/// [`Error::InvalidInput`] for a bad session name; [`Error::Io`] if the directory cannot be
/// read.
pub fn list(state: &StateDir, session: Option<&str>) -> Result<Vec<SnapshotEntry>> {
    let root = root(state)?;
    let dirs: Vec<(PathBuf, String)> = match session {
        Some(s) => {
            crate::ids::SessionName::new(s)?;
            vec![(root.join(encode_name(s)), s.to_owned())]
        }
        None => read_dir_sorted(&root)?
            .into_iter()
            // Skips `.restore` (contents files in flight); encoded names never start with '.'.
            .filter(|p| {
                p.is_dir()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .filter_map(|p| {
                let name = decode_name(&p.file_name()?.to_string_lossy())?;
                Some((p, name))
            })
            .collect(),
    };
    let mut out = Vec::new();
    for (dir, name) in dirs {
        if !dir.is_dir() {
            continue;
        }
        for file in read_dir_sorted(&dir)? {
            let fname = file.file_name().map(|f| f.to_string_lossy().into_owned());
            if fname.as_deref().is_some_and(is_snapshot_name) && file.is_file() {
                out.push(entry(file, &name));
            }
        }
    }
    out.sort_by(|a, b| b.saved_at_ms.cmp(&a.saved_at_ms).then(b.file.cmp(&a.file)));
    Ok(out)
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
    };
    let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    v.sort();
    Ok(v)
}

/// Delete one snapshot file. Only a file in the default directory (whatever it holds, so a
/// corrupt one can go too) or a file elsewhere that reads as a ctmux snapshot is deleted:
/// this never removes an arbitrary file.
///
/// # Errors
/// [`Error::NotFound`] if it does not exist; [`Error::InvalidInput`] for a directory or a
/// file outside the default directory that is not a ctmux snapshot; [`Error::Io`] if it
/// cannot be removed.
pub fn delete(state: &StateDir, file: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(file)
        .map_err(|_| Error::not_found("snapshot file", file.display().to_string()))?;
    if meta.is_dir() {
        return Err(Error::invalid(
            "snapshot file",
            format!("{} is a directory", file.display()),
        ));
    }
    let root = root(state)?;
    let in_store = file
        .parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.canonicalize().ok())
        .is_some_and(|p| root.canonicalize().is_ok_and(|r| r == p))
        && file
            .file_name()
            .is_some_and(|n| is_snapshot_name(&n.to_string_lossy()));
    if !in_store {
        let is_snapshot = meta.is_file()
            && read_file(file).is_ok_and(|b| {
                serde_json::from_slice::<Header>(&b)
                    .is_ok_and(|h| h.format == super::schema::FORMAT)
            });
        if !is_snapshot {
            return Err(Error::invalid(
                "snapshot file",
                format!(
                    "{} is neither in {} nor a ctmux snapshot; refusing to delete it",
                    file.display(),
                    root.display()
                ),
            ));
        }
    }
    std::fs::remove_file(file).map_err(|e| Error::io(format!("removing {}", file.display()), e))
}

/// Remove temp files (`.ctmux-tmp-*`, from [`crate::state::atomic_write`]) older than a
/// minute from `dir`: what saves killed mid-write leave behind. Younger ones may belong to a
/// save in progress and stay.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let stale = e.file_name().to_string_lossy().starts_with(".ctmux-tmp-")
            && e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(60));
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// How many snapshots to keep per session in the default directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep at most this many per session (newest first); `None`: no count limit.
    pub keep_last: Option<u32>,
    /// Remove snapshots older than this many seconds; `None`: no age limit.
    pub max_age_seconds: Option<u64>,
}

impl Default for Retention {
    /// Keep the last 10, no age limit.
    fn default() -> Self {
        Retention {
            keep_last: Some(10),
            max_age_seconds: None,
        }
    }
}

/// The retention settings (`<state dir>/snapshots/retention.json`), or the default.
///
/// # Errors
/// [`Error::Corrupt`] if the file exists but does not parse; [`Error::Io`] if unreadable.
pub fn retention(state: &StateDir) -> Result<Retention> {
    let path = root(state)?.join(RETENTION_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
            what: path.display().to_string(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Retention::default()),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// Store new retention settings (atomically).
///
/// # Errors
/// [`Error::InvalidInput`] for `keep_last` 0 (it would keep nothing); [`Error::Io`].
pub fn set_retention(state: &StateDir, r: &Retention) -> Result<()> {
    if r.keep_last == Some(0) {
        return Err(Error::invalid(
            "keep_last",
            "must be at least 1 (the newest snapshot is always kept)",
        ));
    }
    let path = root(state)?.join(RETENTION_FILE);
    let bytes = serde_json::to_vec_pretty(r).expect("retention serializes");
    crate::state::atomic_write(&path, &bytes)
}

/// Apply `policy` to `session`'s default directory: returns the files removed (or that
/// would be, with `dry_run`). The newest snapshot always stays. Temp files of killed saves
/// are removed too ([`remove_stale_temp_files`], not reported).
///
/// # Errors
/// [`Error::Io`] if the directory cannot be read or a file cannot be removed.
pub fn prune(
    state: &StateDir,
    session: &str,
    policy: &Retention,
    dry_run: bool,
) -> Result<Vec<PathBuf>> {
    let dir = root(state)?.join(encode_name(session));
    let now = now_ms();
    if !dry_run {
        remove_stale_temp_files(&dir);
    }
    let entries = list(state, Some(session))?;
    let mut removed = Vec::new();
    for (i, e) in entries.iter().enumerate().skip(1) {
        let over_count = policy.keep_last.is_some_and(|n| i >= n as usize);
        let too_old = policy
            .max_age_seconds
            .is_some_and(|max| now.saturating_sub(e.saved_at_ms) > max.saturating_mul(1000));
        if over_count || too_old {
            if !dry_run {
                std::fs::remove_file(&e.file)
                    .map_err(|err| Error::io(format!("removing {}", e.file.display()), err))?;
            }
            removed.push(e.file.clone());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_790_000_000_000), "2026-09-21T14:13:20.000Z");
        assert_eq!(stamp(1_790_000_000_000), "20260921T141320.000Z");
    }

    #[test]
    fn names() {
        for n in ["api", "a b/c.d", "ünï", "%x", "-a_b"] {
            let e = encode_name(n);
            assert!(e
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"%_-".contains(&b)));
            assert_eq!(decode_name(&e).as_deref(), Some(n));
        }
        assert_eq!(decode_name("%Z1"), None);
    }
}
