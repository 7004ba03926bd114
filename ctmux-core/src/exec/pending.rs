//! Text a person (or a program) left typed at the prompt, found without losing it.
//!
//! A shell's line editor does not show its buffer to anyone else, so ctmux asks the screen,
//! with a probe the shell must echo: a unique probe typed at the cursor; once it shows, the
//! logical line (wrapped rows joined) holds prompt, pending text and probe. Then `C-u` kills
//! back to the prompt, and the cursor sits where the editable text starts, which splits the
//! two. The text is typed back, so the line is as it was. Used for
//! [`super::PendingText::Fail`]; the default ([`super::PendingText::Clear`]) clears the line
//! with no look at all.

use crate::error::{Error, Result};
use crate::pane::Pane;
use std::time::{Duration, Instant};

/// Rows above the cursor read to find the start of a wrapped line.
const ROWS_ABOVE: usize = 20;
/// Pause between looks at the screen while the shell redraws.
const POLL: Duration = Duration::from_millis(3);

/// The line holding the cursor (wrapped rows joined) and the cursor's column in it, read
/// in one tmux call (cursor and screen from the same moment: read apart, a redraw between
/// them gives a cursor that does not belong to the text).
fn logical_line(pane: &Pane) -> Result<(String, usize)> {
    let target = pane.target();
    let out = pane.tmux(&[
        "display-message",
        "-p",
        "-t",
        &target,
        "#{cursor_x} #{cursor_y} #{pane_width}",
        ";",
        "capture-pane",
        "-p",
        "-t",
        &target,
    ])?;
    let mut lines = out.lines();
    let mut f = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(|v| v.parse::<usize>().unwrap_or(0));
    let (x, y, width) = (
        f.next().unwrap_or(0),
        f.next().unwrap_or(0),
        f.next().unwrap_or(80).max(1),
    );
    let screen: Vec<&str> = lines.collect();
    if screen.is_empty() {
        return Ok((String::new(), x));
    }
    let upto = y.min(screen.len() - 1);
    let rows = &screen[upto.saturating_sub(ROWS_ABOVE)..=upto];
    // A row that fills the width continues on the next (`capture-pane -J` would join them
    // but also trims them).
    let mut start = rows.len().saturating_sub(1);
    while start > 0 && rows[start - 1].chars().count() >= width {
        start -= 1;
    }
    let line: String = rows[start..].concat();
    let col = (rows.len().saturating_sub(1) - start) * width + x;
    Ok((line, col))
}

/// Look until `done(line)` holds (up to `within`).
fn until(pane: &Pane, within: Duration, done: impl Fn(&str) -> bool) -> Result<(String, usize)> {
    let deadline = Instant::now() + within;
    let mut last: Option<(String, usize)> = None;
    loop {
        let now = logical_line(pane)?;
        // Done, and the same on a second look (a redraw may come in pieces).
        if done(&now.0) && last.as_ref() == Some(&now) {
            return Ok(now);
        }
        if Instant::now() >= deadline {
            return Ok(now);
        }
        last = Some(now);
        std::thread::sleep(POLL);
    }
}

/// The text pending at the pane's prompt (`None` when the line is empty). The line is left
/// as it was (when the cursor was inside the text and `C-u` kills the whole line, as zsh's
/// does, the cursor ends at the end of the text).
///
/// The probe is typed where the cursor is (no `C-e`: in a vi-mode insert it is a literal
/// `^E`), and `C-u` kills from there back to the prompt in emacs and vi insert modes alike.
///
/// # Errors
/// [`Error::Busy`] if the shell does not echo the probe within `within` (a program reading the
/// terminal, not a line editor); tmux's errors.
pub(crate) fn pending_text(
    pane: &Pane,
    probe_id: &str,
    within: Duration,
) -> Result<Option<String>> {
    let target = pane.target();
    let probe = format!("ctmux-probe-{probe_id}");
    pane.tmux(&["send-keys", "-t", &target, "-l", &probe])?;
    let (with_probe, _) = until(pane, within, |l| l.contains(&probe))?;
    let Some(at) = with_probe.find(&probe) else {
        // Not echoed: take the probe back out of whatever reads the keys.
        let mut argv = vec!["send-keys".to_owned(), "-t".into(), target.clone()];
        argv.extend(std::iter::repeat_n("BSpace".to_owned(), probe.len()));
        let _ = pane.tmux(&argv);
        return Err(Error::Busy {
            pane: target,
            reason: format!(
                "the shell did not echo a probe within {:.1} s (not at a line editor?)",
                within.as_secs_f64()
            ),
        });
    };
    pane.tmux(&["send-keys", "-t", &target, "C-u"])?;
    let (killed, prompt_cols) = until(pane, within, |l| !l.contains(&probe))?;
    let chars: Vec<char> = with_probe[..at].chars().collect();
    let before: String = chars[prompt_cols.min(chars.len())..].iter().collect();
    // What followed the cursor: up to a run of spaces (a right prompt's padding).
    let tail = |s: &str| -> String {
        let s = s.trim_end();
        match s.find("  ") {
            Some(i) => s[..i].to_owned(),
            None => s.to_owned(),
        }
    };
    let after_probe = tail(&with_probe[at + probe.len()..]);
    let left: String = killed.chars().skip(prompt_cols).collect();
    // `C-u` that kept what followed the cursor (bash) leaves it on the line; one that
    // killed the whole line (zsh) did not, and it is typed back too.
    let kept_after = tail(&left) == after_probe;
    let pending = format!("{before}{after_probe}");
    if pending.is_empty() {
        return Ok(None);
    }
    let retype = if kept_after { before } else { pending.clone() };
    if !retype.is_empty() {
        pane.tmux(&["send-keys", "-t", &target, "-l", &retype])?;
    }
    Ok(Some(pending))
}
