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
/// File times come from a coarser clock than `SystemTime::now`: a file written just after a
/// listing can carry a time just before it.
const CLOCK_SLACK: Duration = Duration::from_secs(1);
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

/// The leftovers now, given the numbers of the server's live panes (`"12"` for `%12`) as
/// listed at `listed_at`: an exec file written since then may be of a pane created since, and
/// is left alone.
///
/// # Errors
/// [`Error::Io`] if the exec dir cannot be read.
pub(crate) fn find(
    client: &Ctmux,
    live_panes: &HashSet<String>,
    listed_at: SystemTime,
) -> Result<Vec<Leftover>> {
    let mut found = Vec::new();
    let dir = client.exec_dir()?;
    let entries =
        std::fs::read_dir(&dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let older = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| m + CLOCK_SLACK < listed_at);
        if older && pane_of(&name).is_some_and(|p| !live_panes.contains(p)) {
            found.push(Leftover {
                file: entry.path(),
                kind: LeftoverKind::ExecFileOfGonePane,
            });
        }
    }
    temp_files(client.state_dir().path(), SystemTime::now(), 0, &mut found);
    found.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(found)
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
