//! Checking a whole snapshot before anything is created: every name, label, key, layout,
//! size and path is checked here, so restore fails before its first tmux call or not at all
//! (save for tmux itself refusing something).

use super::schema::{corrupt, Snapshot, FORMAT, VERSION};
use crate::error::Result;
use crate::ids::{Label, SessionName, MAX_NAME_LEN};
use crate::layout::Layout;
use crate::pane::{check_meta_key, MAX_META_VALUE};
use std::collections::HashSet;
use std::path::Path;

/// Most windows a snapshot may hold.
pub const MAX_WINDOWS: usize = 1000;
/// Most panes one window may hold.
pub const MAX_PANES_PER_WINDOW: usize = 256;
/// Most panes a snapshot may hold over all its windows (each is a shell started on restore).
pub const MAX_PANES: usize = 10_000;
/// Longest command restore will run, in bytes.
pub const MAX_COMMAND: usize = 64 * 1024;

fn no_nul(s: &str) -> bool {
    !s.contains('\0')
}

/// Check `snap` (read from `path`, named in errors) completely. Returns warnings about
/// things that will be adjusted but do not stop a restore.
///
/// # Errors
/// [`crate::Error::Corrupt`] naming the first thing wrong (field path and reason);
/// [`crate::Error::InvalidInput`] naming the limit for more than [`MAX_WINDOWS`] windows,
/// [`MAX_PANES`] panes or [`MAX_PANES_PER_WINDOW`] panes in a window.
pub fn validate(snap: &Snapshot, path: &Path) -> Result<Vec<String>> {
    let bad = |field: String, why: String| corrupt(path, format!("{field}: {why}"));
    let mut warnings = Vec::new();
    if snap.format != FORMAT {
        return Err(bad(
            "format".into(),
            format!("{:?} is not {FORMAT:?}", snap.format),
        ));
    }
    if snap.version > VERSION {
        return Err(bad(
            "version".into(),
            format!("{} is above {VERSION}", snap.version),
        ));
    }
    SessionName::new(&snap.session_name).map_err(|e| bad("session_name".into(), e.to_string()))?;
    for (k, v) in &snap.environment {
        let ok_name = !k.is_empty() && !k.contains('=') && no_nul(k) && !k.starts_with('-');
        if !ok_name || !no_nul(v) {
            return Err(bad(
                format!("environment.{k}"),
                "a name must be non-empty without '=', NUL or a leading '-'; a value \
                 without NUL"
                    .into(),
            ));
        }
    }
    if snap.windows.is_empty() {
        return Err(bad(
            "windows".into(),
            "a session needs at least one window".into(),
        ));
    }
    // Limits: a well-formed file that is too big is refused as input, naming the limit.
    let over = |what: &'static str, reason: String| crate::Error::InvalidInput {
        what,
        reason: format!("{}: {reason}", path.display()),
    };
    if snap.windows.len() > MAX_WINDOWS {
        return Err(over(
            "snapshot windows",
            format!(
                "{} windows, more than the limit of {MAX_WINDOWS}",
                snap.windows.len()
            ),
        ));
    }
    let panes: usize = snap.windows.iter().map(|w| w.panes.len()).sum();
    if panes > MAX_PANES {
        return Err(over(
            "snapshot panes",
            format!("{panes} panes in all, more than the limit of {MAX_PANES}"),
        ));
    }
    let mut window_indexes = HashSet::new();
    let mut labels = HashSet::new();
    for (wi, w) in snap.windows.iter().enumerate() {
        let at = format!("windows[{wi}]");
        if !window_indexes.insert(w.index) {
            return Err(bad(
                format!("{at}.index"),
                format!("{} is used twice", w.index),
            ));
        }
        if w.index > 100_000 {
            return Err(bad(
                format!("{at}.index"),
                format!("{} is too large", w.index),
            ));
        }
        if w.name.chars().count() > MAX_NAME_LEN || w.name.chars().any(char::is_control) {
            return Err(bad(
                format!("{at}.name"),
                format!(
                    "{:?}: at most {MAX_NAME_LEN} characters, no control characters",
                    w.name
                ),
            ));
        }
        for (what, v) in [("width", w.width), ("height", w.height)] {
            if let Some(v) = v {
                if !(1..=10000).contains(&v) {
                    return Err(bad(format!("{at}.{what}"), format!("{v} is not 1..=10000")));
                }
            }
        }
        if w.panes.is_empty() {
            return Err(bad(
                format!("{at}.panes"),
                "a window needs at least one pane".into(),
            ));
        }
        if w.panes.len() > MAX_PANES_PER_WINDOW {
            return Err(over(
                "snapshot panes",
                format!(
                    "{at}.panes: {} panes, more than the limit of {MAX_PANES_PER_WINDOW} per window",
                    w.panes.len()
                ),
            ));
        }
        if let Some(layout) = &w.layout {
            let parsed: Layout = layout
                .parse()
                .map_err(|e: crate::Error| bad(format!("{at}.layout"), e.to_string()))?;
            if matches!(parsed, Layout::Custom(_)) {
                match parsed.pane_count() {
                    None => {
                        return Err(bad(
                            format!("{at}.layout"),
                            format!("{layout:?} does not parse as a tmux layout"),
                        ))
                    }
                    Some(n) if n != w.panes.len() => {
                        return Err(bad(
                            format!("{at}.layout"),
                            format!("lays out {n} panes but the window has {}", w.panes.len()),
                        ))
                    }
                    Some(_) => {}
                }
                if let (Some((lw, lh)), Some(ww), Some(wh)) = (parsed.size(), w.width, w.height) {
                    if (lw, lh) != (u32::from(ww), u32::from(wh)) {
                        warnings.push(format!(
                            "{at}: layout is for {lw}x{lh} but the window is {ww}x{wh}; tmux \
                             fits it"
                        ));
                    }
                }
            }
        }
        let mut pane_indexes = HashSet::new();
        for (pi, p) in w.panes.iter().enumerate() {
            let at = format!("{at}.panes[{pi}]");
            if !pane_indexes.insert(p.index) {
                return Err(bad(
                    format!("{at}.index"),
                    format!("{} is used twice", p.index),
                ));
            }
            if let Some(l) = &p.label {
                Label::new(l).map_err(|e| bad(format!("{at}.label"), e.to_string()))?;
                if !labels.insert(l.clone()) {
                    return Err(bad(
                        format!("{at}.label"),
                        format!("{l:?} is used by two panes (labels are unique in a session)"),
                    ));
                }
            }
            for (k, v) in &p.metadata {
                check_meta_key(k).map_err(|e| bad(format!("{at}.metadata"), e.to_string()))?;
                if v.len() > MAX_META_VALUE || v.contains(['\0', crate::client::SEP]) {
                    return Err(bad(
                        format!("{at}.metadata.{k}"),
                        format!("values are at most {MAX_META_VALUE} bytes, without NUL or 0x1f"),
                    ));
                }
            }
            if let Some(cwd) = &p.cwd {
                if !cwd.starts_with('/') || cwd.chars().any(char::is_control) {
                    return Err(bad(
                        format!("{at}.cwd"),
                        format!("{cwd:?} is not an absolute path without control characters"),
                    ));
                }
            }
            if let Some(c) = &p.command {
                if !no_nul(c) || c.len() > MAX_COMMAND {
                    return Err(bad(
                        format!("{at}.command"),
                        format!("must be at most {MAX_COMMAND} bytes, without NUL"),
                    ));
                }
            }
            if p.history.iter().any(|h| !no_nul(h)) {
                return Err(bad(format!("{at}.history"), "an entry contains NUL".into()));
            }
            if p.contents.as_deref().is_some_and(|c| !no_nul(c)) {
                return Err(bad(format!("{at}.contents"), "contains NUL".into()));
            }
        }
    }
    Ok(warnings)
}
