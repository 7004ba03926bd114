//! Relative paths made absolute once, when a client is built: the pane's shell, the daemon
//! and tmux itself run in other directories than the caller, so a path handed on to them must
//! not depend on the caller's cwd.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// `path` made absolute against the process's cwd at this moment, normalised lexically:
/// repeated separators, `.` components and a trailing `/` are dropped; `..` is kept (only the
/// kernel knows what it means when a component is a symlink) and nothing is resolved through
/// symlinks, so a check of the last component (`lstat`) still sees a symlink as one.
/// `what` names the path in the error.
///
/// # Errors
/// [`Error::InvalidInput`] for an empty path (it would silently mean the cwd);
/// [`Error::Io`] if the path is relative and the cwd cannot be read (it was removed, ...).
pub(crate) fn absolute(what: &'static str, path: &Path) -> Result<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|e| {
            Error::io(
                format!(
                    "reading the current directory to make the {what} {} absolute",
                    path.display()
                ),
                e,
            )
        })?;
        cwd.join(path)
    };
    // `components` skips `.` and empty components and ignores a trailing `/`.
    Ok(joined.components().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_cwd_lexically() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute("p", Path::new("a/b")).unwrap(), cwd.join("a/b"));
        assert_eq!(
            absolute("p", Path::new("./a//b/./")).unwrap(),
            cwd.join("a/b")
        );
        assert_eq!(absolute("p", Path::new(".")).unwrap(), cwd);
        assert_eq!(
            absolute("p", Path::new("../x")).unwrap(),
            cwd.join("..").join("x"),
            "`..` is kept: resolving it lexically would be wrong past a symlink"
        );
    }

    #[test]
    fn absolute_paths_are_only_normalised() {
        for (given, want) in [
            ("/a/b", "/a/b"),
            ("/a/b/", "/a/b"),
            ("/a//b/.", "/a/b"),
            ("//a/./b//", "/a/b"),
            ("/a/../b", "/a/../b"),
            ("/", "/"),
        ] {
            assert_eq!(
                absolute("p", Path::new(given)).unwrap(),
                PathBuf::from(want),
                "{given}"
            );
        }
    }

    #[test]
    fn empty_is_invalid_input() {
        let e = absolute("state dir", Path::new("")).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("state dir"), "{e}");
    }
}
