//! Bytes a pane printed (as tmux pushes them, in arbitrary chunks) → clean text lines.
//!
//! [`LineDecoder`] keeps the unfinished line between chunks, so a UTF-8 character or an
//! escape sequence split across two `%output` notifications is decoded whole. A finished line
//! (ended by `\n`) is cleaned the way a terminal would show it, roughly: escape sequences
//! (CSI, OSC, DCS, two-byte `ESC x`) and other control characters are removed (a tab
//! stays), a `\r` before the line end is dropped, and after a `\r` inside the line only the
//! text written after it is kept (progress bars). Invalid UTF-8 becomes U+FFFD.
//!
//! The exec end marker that ctmux's wrapper prints (an OSC sequence, see `crate::marker`) is
//! reported on its own, and the shell's echo of the line ctmux types to start an exec
//! (` . '<state>/exec/<id>.sh'`) is not a line at all ([`Line::hidden`]).

/// Longest line kept whole; a longer run of bytes without `\n` is cut into pieces this long.
pub const MAX_LINE: usize = 1 << 20;

/// A finished line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The visible text, without the line end.
    pub text: String,
    /// An exec end marker found in this line: `(exec id, exit status)`.
    pub finished: Option<(String, i32)>,
    /// The line is the shell's echo of ctmux's exec wrapper line, which readers leave out.
    pub hidden: bool,
}

/// Splits pushed bytes into [`Line`]s. One per pane.
#[derive(Debug, Default, Clone)]
pub struct LineDecoder {
    pending: Vec<u8>,
}

impl LineDecoder {
    /// A decoder with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next chunk; finished lines are appended to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Line>) {
        let mut rest = data;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..nl]);
            out.push(clean(&std::mem::take(&mut self.pending)));
            rest = &rest[nl + 1..];
        }
        self.pending.extend_from_slice(rest);
        // An exec's end marker is followed by the prompt, not by a line end: report it now,
        // with the text before it (output that did not end in a newline) as its line.
        let end = crate::marker::find_all(&self.pending)
            .find(|m| matches!(m.kind, crate::marker::Kind::End(_)))
            .map(|m| m.end());
        if let Some(cut) = end {
            let rest = self.pending.split_off(cut);
            out.push(clean(&std::mem::replace(&mut self.pending, rest)));
        }
        while self.pending.len() > MAX_LINE {
            let tail = self.pending.split_off(MAX_LINE);
            out.push(clean(&std::mem::replace(&mut self.pending, tail)));
        }
    }

    /// Whether bytes of an unfinished line are waiting.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The unfinished line, cleaned, if it has visible text (used when a stream ends).
    pub fn finish(&mut self) -> Option<Line> {
        let line = clean(&std::mem::take(&mut self.pending));
        (!line.text.is_empty() || line.finished.is_some()).then_some(line)
    }
}

/// Clean one raw line (no `\n`).
pub fn clean(raw: &[u8]) -> Line {
    let mut text: Vec<u8> = Vec::with_capacity(raw.len());
    let mut finished = None;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        match b {
            0x1b => {
                if let Some(m) = crate::marker::at_start(&raw[i..]) {
                    if let crate::marker::Kind::End(rc) = m.kind {
                        finished = Some((String::from_utf8_lossy(m.id).into_owned(), rc));
                    }
                    i += m.len;
                    continue;
                }
                i += escape_len(&raw[i..]);
            }
            b'\r' => {
                // Text after a carriage return overwrites what came before.
                if raw[i + 1..].iter().any(|&c| c != b'\r') {
                    text.clear();
                }
                i += 1;
            }
            b'\t' => {
                text.push(b);
                i += 1;
            }
            0x00..=0x1f | 0x7f => i += 1,
            _ => {
                text.push(b);
                i += 1;
            }
        }
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    Line {
        hidden: crate::marker::is_wrapper_echo(&text),
        text,
        finished,
    }
}

/// Length of the escape sequence at the start of `s` (which starts with ESC).
fn escape_len(s: &[u8]) -> usize {
    match s.get(1) {
        None => 1,
        // CSI: parameters and intermediates, then one final byte 0x40..=0x7e.
        Some(b'[') => s[2..]
            .iter()
            .position(|&b| (0x40..=0x7e).contains(&b))
            .map_or(s.len(), |p| p + 3),
        // OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \).
        Some(b']' | b'P' | b'X' | b'^' | b'_') => {
            let mut j = 2;
            while j < s.len() {
                if s[j] == 0x07 {
                    return j + 1;
                }
                if s[j] == 0x1b && s.get(j + 1) == Some(&b'\\') {
                    return j + 2;
                }
                j += 1;
            }
            s.len()
        }
        // Character set designation: ESC ( B and friends take one more byte.
        Some(b'(' | b')' | b'*' | b'+' | b'#' | b'%') => 3.min(s.len()),
        Some(_) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(chunks: &[&[u8]]) -> Vec<Line> {
        let mut d = LineDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c, &mut out);
        }
        out
    }

    #[test]
    fn cleans_terminal_noise() {
        let out = lines(&[b"\x1b[1;31mred\x1b[0m plain\r\n", b"tab\there\r\n"]);
        assert_eq!(out[0].text, "red plain");
        assert_eq!(out[1].text, "tab\there");
        assert_eq!(clean(b"\x1b]0;title\x07after").text, "after");
        assert_eq!(clean(b"\x1b]0;title\x1b\\after").text, "after");
        assert_eq!(clean(b"\x1b(Bx\x1b=y").text, "xy");
        assert_eq!(clean(b"10%\r50%\r100%").text, "100%");
        assert_eq!(clean(b"bell\x07 and \x08back").text, "bell and back");
        assert_eq!(clean("héllo ✓".as_bytes()).text, "héllo ✓");
        assert_eq!(clean(b"bad \xff byte").text, "bad \u{fffd} byte");
    }

    #[test]
    fn finds_and_removes_the_end_marker() {
        let out = lines(&[b"x\x1b]ctmux;e;3x00ab;", b"17\x07$ "]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "x");
        assert_eq!(out[0].finished, Some(("3x00ab".into(), 17)));
        assert_eq!(clean(b"\x1b]ctmux;e;3x00ab;\x07").finished, None);
        let start = clean(b"\x1b]ctmux;s;3x00ab\x07out");
        assert_eq!((start.text.as_str(), start.finished), ("out", None));
        assert!(clean(b"$  . '/tmp/st/exec/3x00ab.sh'").hidden);
        assert!(!clean(b"$ ls").hidden);
    }

    #[test]
    fn long_lines_are_cut() {
        let mut d = LineDecoder::new();
        let mut out = Vec::new();
        d.feed(&vec![b'a'; MAX_LINE * 2 + 5], &mut out);
        assert_eq!(out.len(), 2);
        assert!(d.has_pending());
        assert_eq!(d.finish().unwrap().text.len(), 5);
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_lines(
            text in proptest::collection::vec("[a-zé✓🦀\\x1b\\[0-9;m\\t]{0,12}", 0..20),
            cuts in proptest::collection::vec(0usize..400, 0..10),
        ) {
            let whole: Vec<u8> = text.join("\r\n").into_bytes();
            let expected = lines(&[&whole]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(whole.len())).collect();
            cuts.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut last = 0;
            for c in cuts {
                chunks.push(&whole[last..c]);
                last = c;
            }
            chunks.push(&whole[last..]);
            prop_assert_eq!(lines(&chunks), expected);
        }
    }
}
