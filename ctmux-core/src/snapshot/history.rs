//! Per-pane command history: the commands ctmux ran in a pane, kept in tmux itself.
//!
//! Every [`Pane::exec`] appends its command text to the pane option `@ctmux-history` in the
//! same tmux call that starts it (no extra round trip), so the history dies with the pane
//! like labels and metadata do. The value is bounded: tmux trims it to its last
//! [`HISTORY_BYTES`] bytes as it appends (`set-option -F` with `#{=-N:...}`), and one entry
//! keeps at most [`ENTRY_BYTES`] bytes of its command. Each entry is `|` followed by the
//! command as a JSON string written in printable ASCII only (`\uXXXX` escapes, `|` among
//! them: tmux's trimming drops control characters such as newlines, so they cannot separate
//! entries). Multi-line commands, quotes and unicode survive; the text before the first `|`
//! is what the trimming cut, and is dropped when read.

use crate::error::Result;
use crate::pane::Pane;
use std::fmt::Write as _;

/// Pane option holding the history.
pub const HISTORY_OPTION: &str = "@ctmux-history";
/// At most this many bytes of history are kept per pane (older entries are dropped first).
pub const HISTORY_BYTES: usize = 16 * 1024;
/// At most this many bytes of one command are kept; a longer one ends in `" [...]"`.
pub const ENTRY_BYTES: usize = 2048;

/// `s` as a JSON string literal using ASCII only.
fn json_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '|' => out.push_str("\\u007c"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// One history entry for `cmd`: `|` and the command as an ASCII JSON string.
pub(crate) fn encode_entry(cmd: &str) -> String {
    let cmd = cmd.trim_end_matches('\n');
    let mut cut = cmd;
    if cut.len() > ENTRY_BYTES {
        let mut end = ENTRY_BYTES;
        while !cut.is_char_boundary(end) {
            end -= 1;
        }
        cut = &cut[..end];
    }
    let text = if cut.len() < cmd.len() {
        format!("{cut} [...]")
    } else {
        cut.to_owned()
    };
    format!("|{}", json_ascii(&text))
}

/// A whole history value holding `entries` (the newest last), within [`HISTORY_BYTES`].
pub(crate) fn encode_all(entries: &[String]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut total = 0;
    for e in entries.iter().rev() {
        let line = encode_entry(e);
        if total + line.len() > HISTORY_BYTES {
            break;
        }
        total += line.len();
        lines.push(line);
    }
    lines.reverse();
    lines.concat()
}

/// The tmux command (argv) that appends `cmd` to the history of pane `target`, trimming the
/// old value to its last [`HISTORY_BYTES`] bytes. `#` is doubled because the value is a
/// format (`-F`).
pub(crate) fn append_argv(target: &str, cmd: &str) -> Vec<String> {
    let entry = crate::literal::escape_format(&encode_entry(cmd));
    vec![
        "set-option".into(),
        "-p".into(),
        "-F".into(),
        "-t".into(),
        target.into(),
        HISTORY_OPTION.into(),
        format!("#{{=-{HISTORY_BYTES}:{HISTORY_OPTION}}}{entry}"),
    ]
}

/// The entries of a history value, oldest first. What comes before the first `|` (an entry
/// cut by the trimming) and anything that does not parse are dropped.
pub fn decode(value: &str) -> Vec<String> {
    value
        .trim_end()
        .split('|')
        .skip(1)
        .filter_map(|e| serde_json::from_str::<String>(e).ok())
        .collect()
}

impl Pane {
    /// The commands ctmux ran in this pane ([`Pane::exec`]), oldest first, as far as the
    /// bounded history keeps them (see [`crate::snapshot::history`]).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] if the pane is gone.
    pub fn history(&self) -> Result<Vec<String>> {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.target(),
            &format!("#{{{HISTORY_OPTION}}}"),
        ])?;
        Ok(decode(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_commands() {
        let cmds = vec![
            "echo \"hi\" 'x' $HOME # not a comment | cat".to_owned(),
            "line1\nline2\ttab".to_owned(),
            "ünïcode ✓ 𝄞".to_owned(),
            "back\\slash".to_owned(),
        ];
        let value = encode_all(&cmds);
        assert!(value.is_ascii());
        assert_eq!(decode(&value), cmds);
    }

    #[test]
    fn cut_lines_are_dropped() {
        let value = encode_all(&["echo \"hi\" there".to_owned(), "b".to_owned()]);
        // Every suffix of the value (what tmux's trimming may leave) decodes to a suffix of
        // the entries, never to something that was not there.
        for start in 0..value.len() {
            let got = decode(&value[start..]);
            assert!(
                got.is_empty() || got == ["b"] || got == ["echo \"hi\" there", "b"],
                "{start}: {got:?}"
            );
        }
    }

    #[test]
    fn bounds() {
        let long = "x".repeat(ENTRY_BYTES + 10);
        let d = decode(&encode_entry(&long));
        assert!(d[0].ends_with(" [...]") && d[0].len() == ENTRY_BYTES + 6);
        let many: Vec<String> = (0..5000).map(|i| format!("cmd {i}")).collect();
        let v = encode_all(&many);
        assert!(v.len() <= HISTORY_BYTES);
        assert_eq!(decode(&v).last().unwrap(), "cmd 4999");
        let argv = append_argv("%1", "echo #x");
        assert!(argv.last().unwrap().ends_with("|\"echo ##x\""));
        assert_eq!(decode(&encode_all(&["a | b".to_owned()])), ["a | b"]);
    }
}
