//! Files ctmux left behind, found for [`crate::Ctmux::state_sync`] and GC: the exec files
//! (`<pane>x<id>.cmd/.sh/.rc/.pipe/.output`, `<pane>.lock`) of panes that no longer exist,
//! and temp files (`.ctmux-tmp-*`) of atomic writes that were killed before their rename.
//! Only this server's exec dir is searched for exec files (other servers' panes are not
//! known here); temp files are searched in the whole state dir. Symlinks are never followed.

use crate::client::Ctmux;
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The name prefix of [`crate::state::atomic_write`]'s temp files.
pub const TEMP_PREFIX: &str = ".ctmux-tmp-";
/// A temp file younger than this may belong to a write in progress and is left alone.
pub const TEMP_GRACE: Duration = Duration::from_secs(60);
/// How deep the state dir is searched for temp files.
const MAX_DEPTH: usize = 6;

/// Why a file is a leftover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftoverKind {
    /// An exec file (or exec lock) of a pane that no longer exists.
    ExecFileOfGonePane,
    /// A temp file of a write that never finished.
    TempFile,
}

/// One file ctmux left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leftover {
    /// The file.
    pub file: PathBuf,
    /// Why it is a leftover.
    pub kind: LeftoverKind,
}

/// The pane number an exec-dir file belongs to (`12x…`, `12.lock`), if it is a pane's.
fn pane_of(name: &str) -> Option<&str> {
    let pane = name.split(['x', '.']).next().unwrap_or("");
    (!pane.is_empty() && pane.bytes().all(|b| b.is_ascii_digit()) && name.len() > pane.len())
        .then_some(pane)
}

/// The exec files in this server's exec dir, with the pane number each belongs to. Read
/// these **before** listing the live panes: a pane whose file was seen existed when it was
/// seen, and tmux never reuses a pane number, so a number missing from a later listing is a
/// pane that is gone for good (a pane created meanwhile cannot be mistaken for one).
///
/// # Errors
/// [`Error::Io`] if the exec dir cannot be read.
pub(crate) fn exec_files(client: &Ctmux) -> Result<Vec<(String, PathBuf)>> {
    let dir = client.exec_dir()?;
    let entries =
        std::fs::read_dir(&dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    Ok(entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            pane_of(&name).map(|p| (p.to_owned(), entry.path()))
        })
        .collect())
}

/// The leftovers: of `exec_files` (read by [`exec_files`] before the listing), those whose
/// pane is not among `live_panes` (numbers, `"12"` for `%12`); and the temp files.
pub(crate) fn find(
    exec_files: Vec<(String, PathBuf)>,
    live_panes: &HashSet<String>,
    state: &Path,
) -> Vec<Leftover> {
    let mut found: Vec<Leftover> = exec_files
        .into_iter()
        .filter(|(pane, _)| !live_panes.contains(pane))
        .map(|(_, file)| Leftover {
            file,
            kind: LeftoverKind::ExecFileOfGonePane,
        })
        .collect();
    temp_files(state, SystemTime::now(), 0, &mut found);
    found.sort_by(|a, b| a.file.cmp(&b.file));
    found
}

fn temp_files(dir: &Path, now: SystemTime, depth: usize, found: &mut Vec<Leftover>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // `file_type` of a dir entry does not follow symlinks.
        let Ok(t) = entry.file_type() else { continue };
        if t.is_dir() && depth < MAX_DEPTH {
            temp_files(&entry.path(), now, depth + 1, found);
        } else if t.is_file()
            && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| now.duration_since(m).unwrap_or_default() >= TEMP_GRACE)
        {
            found.push(Leftover {
                file: entry.path(),
                kind: LeftoverKind::TempFile,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_files_name_their_pane() {
        assert_eq!(pane_of("12x0a1b.cmd"), Some("12"));
        assert_eq!(pane_of("12.lock"), Some("12"));
        assert_eq!(pane_of("lib-0.1.0.sh"), None);
        assert_eq!(pane_of("12"), None);
        assert_eq!(pane_of(".ctmux-tmp-x"), None);
    }
}
