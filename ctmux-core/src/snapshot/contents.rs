//! Pane contents saved `--with-contents`, shown again on restore: the pane is created running
//! `cat FILE; rm -f FILE; <what tmux would have started>`, so the old text is on screen above
//! the new shell's first prompt, and no keystroke is typed for it.

use super::restore::First;
use crate::client::Ctmux;
use crate::error::{Error, Result};
use crate::exec::sh_quote;
use crate::pane::Pane;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The shell command a pane with saved contents starts with: print them, remove the file,
/// then become what tmux would have started (default-command, else a login default-shell).
pub(super) fn contents_command(file: &Path, first: &First) -> String {
    let q = sh_quote(&file.to_string_lossy());
    let tail = if first.default_command.trim().is_empty() {
        format!("exec {} -l", sh_quote(&first.default_shell))
    } else {
        first.default_command.clone()
    };
    format!("cat -- {q}; rm -f -- {q}; {tail}")
}

/// Write `text` to a new private (0600) file in `<state dir>/snapshots/.restore/`.
pub(super) fn contents_file(client: &Ctmux, text: &str) -> Result<PathBuf> {
    let dir = client.state_dir().subdir("snapshots/.restore")?;
    let mut f = tempfile::Builder::new()
        .prefix("contents-")
        .suffix(".txt")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(|e| Error::io(format!("creating a file in {}", dir.display()), e))?;
    // Through the descriptor tempfile opened (O_EXCL), never the path again.
    std::io::Write::write_all(&mut f, text.as_bytes())
        .map_err(|e| Error::io("writing saved contents", e))?;
    let (_, path) = f
        .keep()
        .map_err(|e| Error::io("keeping the contents file", e.error))?;
    Ok(path)
}

/// Wait (bounded) until a pane started with [`contents_command`] has printed its contents
/// (it removes the file once `cat` is done) and its shell has drawn a prompt (the cursor
/// leaves column 0, where the contents left it).
pub(super) fn wait_contents_shown(pane: &Pane, file: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let at_column_0 = pane
            .tmux(&["display-message", "-p", "-t", &pane.target(), "#{cursor_x}"])
            .map(|o| o.trim() == "0")
            .unwrap_or(false);
        if !at_column_0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
