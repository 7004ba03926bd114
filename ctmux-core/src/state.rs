//! The per-user state dir: where it is, its safety checks, atomic writes and file locks.
//!
//! Location: `$CTMUX_STATE_DIR`, else `$XDG_RUNTIME_DIR/ctmux`, else `/tmp/ctmux-$UID`.
//! The dir is created mode 0700; one that is a symlink or owned by another user is refused
//! with [`Error::PermissionDenied`]. Files are written 0600 through a temp file, fsync and
//! rename, so a crash never leaves a partial file.

use crate::error::{Error, Result};
use nix::fcntl::{Flock, FlockArg};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A checked, existing, private state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

/// Where the state dir is when none is given: `$CTMUX_STATE_DIR`, `$XDG_RUNTIME_DIR/ctmux`,
/// or `/tmp/ctmux-$UID`.
pub fn default_location() -> PathBuf {
    if let Some(dir) = std::env::var_os("CTMUX_STATE_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("ctmux");
    }
    PathBuf::from(format!("/tmp/ctmux-{}", nix::unistd::getuid()))
}

/// Check that `dir` is a real directory owned by us, creating it 0700 if missing.
fn ensure_private_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) => {
            if meta.file_type().is_symlink() {
                return Err(Error::PermissionDenied(format!(
                    "state dir {} is a symlink; refusing to use it",
                    dir.display()
                )));
            }
            if !meta.is_dir() {
                return Err(Error::PermissionDenied(format!(
                    "state dir {} is not a directory",
                    dir.display()
                )));
            }
            let uid = nix::unistd::getuid().as_raw();
            if meta.uid() != uid {
                return Err(Error::PermissionDenied(format!(
                    "state dir {} is owned by uid {}, not {}",
                    dir.display(),
                    meta.uid(),
                    uid
                )));
            }
            if meta.mode() & 0o777 != 0o700 {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| Error::io(format!("chmod 0700 {}", dir.display()), e))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                if !parent.as_os_str().is_empty() && !parent.exists() {
                    return Err(Error::not_found(
                        "state dir parent",
                        parent.display().to_string(),
                    ));
                }
            }
            let mut builder = fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(format!("creating {}", dir.display()), e)),
            }
            // Another process may have won a race with a symlink: check again.
            ensure_existing(dir)
        }
        Err(e) => Err(Error::io(format!("inspecting {}", dir.display()), e)),
    }
}

fn ensure_existing(dir: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(dir)
        .map_err(|e| Error::io(format!("inspecting {}", dir.display()), e))?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(Error::PermissionDenied(format!(
            "state dir {} is not a plain directory",
            dir.display()
        )));
    }
    if meta.uid() != nix::unistd::getuid().as_raw() {
        return Err(Error::PermissionDenied(format!(
            "state dir {} is owned by another user",
            dir.display()
        )));
    }
    Ok(())
}

impl StateDir {
    /// Open (creating if needed) the state dir at `root`. A relative `root` is made absolute
    /// against the cwd now (lexically: nothing is resolved through symlinks, and a trailing
    /// `/` is dropped so that a symlink given as `link/` is still seen and refused), because
    /// the pane shells that read the exec files in it run in other directories.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty path; [`Error::PermissionDenied`] for a symlink,
    /// a non-directory or a foreign owner; [`Error::NotFound`] if its parent does not exist;
    /// [`Error::Io`] otherwise (also when a relative path is given and the cwd is gone).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = crate::paths::absolute("state dir", &root.into())?;
        ensure_private_dir(&root)?;
        Ok(StateDir { root })
    }

    /// Open the state dir at its default location (see [`default_location`]).
    ///
    /// # Errors
    /// As [`StateDir::open`].
    pub fn open_default() -> Result<Self> {
        StateDir::open(default_location())
    }

    /// The dir's path (always absolute).
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A private subdirectory (created 0700 on demand), e.g. `servers/<key>/exec`.
    ///
    /// # Errors
    /// As [`StateDir::open`], for each component.
    pub fn subdir(&self, rel: &str) -> Result<PathBuf> {
        let mut dir = self.root.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            dir.push(part);
            ensure_private_dir(&dir)?;
        }
        Ok(dir)
    }

    /// Take an exclusive lock on `<name>.lock` in this dir until the guard is dropped.
    ///
    /// # Errors
    /// [`Error::Io`] if the lock file cannot be opened or locked.
    pub fn lock(&self, name: &str) -> Result<Flock<fs::File>> {
        lock_file(&self.root.join(format!("{name}.lock")))
    }
}

/// Take an exclusive `flock` on `path` (created 0600), released when the guard drops.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened or locked.
pub fn lock_file(path: &Path) -> Result<Flock<fs::File>> {
    let file = open_lock(path)?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| Error::io(format!("locking {}", path.display()), errno.into()))
}

/// Open (creating 0600) a lock file for writing, refusing to follow a symlink.
///
/// # Errors
/// [`Error::Io`] if it cannot be opened (a planted symlink gives `ELOOP`).
pub(crate) fn open_lock(path: &Path) -> Result<fs::File> {
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io(format!("opening lock {}", path.display()), e))?;
    narrow(&f);
    Ok(f)
}

/// Open (creating) a private file for appending, refusing to follow a symlink; a file
/// created by an older version with a wider mode is narrowed to 0600.
///
/// # Errors
/// [`Error::Io`] if it cannot be opened (a planted symlink gives `ELOOP`).
pub(crate) fn open_append_private(path: &Path) -> Result<fs::File> {
    let f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    narrow(&f);
    Ok(f)
}

/// Make an opened file 0600 if it is wider (files created before this version).
fn narrow(f: &fs::File) {
    if f.metadata().is_ok_and(|m| m.mode() & 0o077 != 0) {
        let _ = f.set_permissions(fs::Permissions::from_mode(0o600));
    }
}

/// An exclusive lock whose file is removed when it is released, so short-lived locks (one
/// per pane for starting an exec) leave nothing behind. Whoever locks checks that the path
/// still names the file it locked (a holder may have removed it meanwhile) and tries again
/// if not, so two holders never hold two different files of one path.
pub(crate) struct TransientLock {
    path: PathBuf,
    _lock: Flock<fs::File>,
}

impl Drop for TransientLock {
    fn drop(&mut self) {
        // Removed while still held: a waiter that opened this file sees it is gone.
        let _ = fs::remove_file(&self.path);
    }
}

/// Take a [`TransientLock`] on `path`.
///
/// # Errors
/// As [`lock_file`].
pub(crate) fn lock_transient(path: &Path) -> Result<TransientLock> {
    loop {
        let lock = lock_file(path)?;
        let held = lock
            .metadata()
            .map_err(|e| Error::io(format!("reading lock {}", path.display()), e))?;
        match fs::symlink_metadata(path) {
            Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {
                return Ok(TransientLock {
                    path: path.to_path_buf(),
                    _lock: lock,
                })
            }
            _ => continue,
        }
    }
}

/// Create (or truncate) a private file (0600) for writing, refusing to follow a symlink.
///
/// # Errors
/// The `open` error.
pub(crate) fn create_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

/// Write `bytes` to `path` atomically: temp file in the same dir, fsync, rename, fsync dir.
/// The file ends up mode 0600. Readers see the old content or the new, never a mix.
///
/// # Errors
/// [`Error::Io`] on any failure; `path` is then untouched.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".ctmux-tmp-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("creating temp file in {}", dir.display()), e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("renaming into {}", path.display()), e.error))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn creates_private_dir_and_refuses_symlink() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("state");
        let s = StateDir::open(&d).unwrap();
        assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        let sub = s.subdir("servers/abc/exec").unwrap();
        assert!(sub.is_dir());

        let link = t.path().join("link");
        std::os::unix::fs::symlink(&d, &link).unwrap();
        assert_eq!(
            StateDir::open(&link).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );

        // A trailing `/` or `/.` would make `lstat` follow the link: still refused.
        for spelled in [
            format!("{}/", link.display()),
            format!("{}/.", link.display()),
        ] {
            assert_eq!(
                StateDir::open(&spelled).unwrap_err().kind(),
                ErrorKind::PermissionDenied,
                "{spelled}"
            );
        }

        let file = t.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert_eq!(
            StateDir::open(&file).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            StateDir::open(t.path().join("no/such/parent"))
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn path_is_absolute_and_normalised() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("state");
        let s = StateDir::open(format!("{}//./", d.display())).unwrap();
        assert_eq!(s.path(), d);
        // A relative path names the same dir through the cwd (`..` kept, not resolved).
        let cwd = std::env::current_dir().unwrap();
        let up = "../".repeat(cwd.components().count() - 1);
        let rel = format!("{up}{}", d.display().to_string().trim_start_matches('/'));
        let s = StateDir::open(&rel).unwrap();
        assert!(s.path().is_absolute(), "{}", s.path().display());
        assert_eq!(s.path(), cwd.join(&rel));
        assert_eq!(
            fs::metadata(s.path()).unwrap().ino(),
            fs::metadata(&d).unwrap().ino()
        );
        assert_eq!(
            StateDir::open("").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn foreign_owned_dir_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("theirs");
        fs::create_dir(&d).unwrap();
        let me = nix::unistd::getuid().as_raw();
        let other = if me == 0 { 65534 } else { 0 };
        // Only root can give a dir away; as another user, make one that root owns instead.
        let target = if me == 0 {
            nix::unistd::chown(&d, Some(nix::unistd::Uid::from_raw(other)), None).unwrap();
            d
        } else {
            std::path::PathBuf::from("/")
        };
        assert_eq!(
            StateDir::open(&target).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn loose_mode_is_tightened() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("s");
        fs::create_dir(&d).unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        StateDir::open(&d).unwrap();
        assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two!").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two!");
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        let leftovers: Vec<_> = fs::read_dir(t.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }
}
