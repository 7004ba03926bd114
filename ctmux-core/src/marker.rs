//! The markers an exec's wrapper prints around the command's output, and the one parser every
//! reader uses (the exec's byte-stream cutter, the event line decoder, streams).
//!
//! Both are OSC sequences (`ESC ] ... BEL`) that tmux's terminal parses and ignores, so they
//! never appear on the screen, in `capture-pane`, or in what a person sees; they exist only in
//! the pane's byte stream (control mode `%output`, `pipe-pane`):
//! - start: `ESC ] ctmux;s;<id> BEL`, printed right before the command runs;
//! - end: `ESC ] ctmux;e;<id>;<rc> BEL`, printed right after it (or by the prompt hook when
//!   the command list was cut short, e.g. by Ctrl-C);
//! - pause / resume: `ESC ] ctmux;p;<id> BEL` when the command's job was stopped and the shell
//!   is back at its prompt, `ESC ] ctmux;r;<id> BEL` when ctmux resumes it in the foreground
//!   (what lies between, the prompt and the typed `fg`, is not output).
//!
//! `<id>` is the exec id (ASCII letters and digits), `<rc>` the exit status (1 to 3 digits).

use memchr::memmem;

/// How every marker begins.
pub(crate) const PREFIX: &[u8] = b"\x1b]ctmux;";
/// How every marker ends.
const BEL: u8 = 0x07;
/// Longest exec id accepted.
pub(crate) const MAX_ID: usize = 40;

/// What kind of marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The command starts now.
    Start,
    /// The command ended with this status.
    End(i32),
    /// The command's job was stopped; what follows (the shell's prompt) is not output.
    Pause,
    /// The stopped job is resumed in the foreground; output follows again.
    Resume,
}

/// One whole marker within some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marker<'a> {
    /// Byte offset of its ESC.
    pub start: usize,
    /// Its length in bytes.
    pub len: usize,
    /// The exec id.
    pub id: &'a [u8],
    /// Start or end (with the status).
    pub kind: Kind,
}

impl Marker<'_> {
    /// The byte offset just past it.
    pub(crate) fn end(&self) -> usize {
        self.start + self.len
    }
}

/// The start marker of exec `id`.
pub(crate) fn start_bytes(id: &str) -> Vec<u8> {
    let mut v = PREFIX.to_vec();
    v.extend_from_slice(b"s;");
    v.extend_from_slice(id.as_bytes());
    v.push(BEL);
    v
}

/// The end marker of exec `id` with status `rc`.
#[cfg(test)]
pub(crate) fn end_bytes(id: &str, rc: i32) -> Vec<u8> {
    let mut v = PREFIX.to_vec();
    v.extend_from_slice(format!("e;{id};{rc}").as_bytes());
    v.push(BEL);
    v
}

/// The marker `s` starts with, if it starts with a whole one.
pub(crate) fn at_start(s: &[u8]) -> Option<Marker<'_>> {
    let body = s.strip_prefix(PREFIX)?;
    let (kind, rest) = match body {
        [k @ (b's' | b'e' | b'p' | b'r'), b';', rest @ ..] => (*k, rest),
        _ => return None,
    };
    let id_len = rest
        .iter()
        .take(MAX_ID + 1)
        .position(|&b| !b.is_ascii_alphanumeric())?;
    if id_len == 0 {
        return None;
    }
    let id = &rest[..id_len];
    let after = &rest[id_len..];
    let (kind, tail_len) = if kind != b'e' {
        if after.first() != Some(&BEL) {
            return None;
        }
        let k = match kind {
            b's' => Kind::Start,
            b'p' => Kind::Pause,
            _ => Kind::Resume,
        };
        (k, 1)
    } else {
        let digits = after.strip_prefix(b";")?;
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 3 || digits.get(n) != Some(&BEL) {
            return None;
        }
        let rc = std::str::from_utf8(&digits[..n]).ok()?.parse().ok()?;
        (Kind::End(rc), 1 + n + 1)
    };
    Some(Marker {
        start: 0,
        len: PREFIX.len() + 2 + id_len + tail_len,
        id,
        kind,
    })
}

/// Every whole marker in `s`, left to right.
pub(crate) fn find_all(s: &[u8]) -> impl Iterator<Item = Marker<'_>> {
    memmem::find_iter(s, PREFIX)
        .filter_map(move |start| at_start(&s[start..]).map(|m| Marker { start, ..m }))
}

/// Whether `s` could still grow into a whole marker (of any exec): what a byte stream keeps
/// back until more bytes arrive.
pub(crate) fn may_become(s: &[u8]) -> bool {
    if s.len() <= PREFIX.len() {
        return PREFIX.starts_with(s);
    }
    if !s.starts_with(PREFIX) {
        return false;
    }
    let body = &s[PREFIX.len()..];
    match body {
        [b's' | b'e' | b'p' | b'r'] => true,
        [b's' | b'p' | b'r', b';', rest @ ..] => {
            rest.len() <= MAX_ID && rest.iter().all(u8::is_ascii_alphanumeric)
        }
        [b'e', b';', rest @ ..] => {
            let id = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if id > MAX_ID {
                return false;
            }
            match &rest[id..] {
                [] => true,
                [b';', digits @ ..] => {
                    id > 0 && digits.len() <= 3 && digits.iter().all(u8::is_ascii_digit)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Longest a marker can be (what a reader keeps back at most while waiting for more bytes).
pub(crate) const MAX_LEN: usize = 8 + 2 + MAX_ID + 1 + 3 + 1;

/// Where a trailing part of `buf` that may still become a marker starts (`buf.len()` when
/// none does).
pub(crate) fn partial_tail(buf: &[u8]) -> usize {
    let from = buf.len().saturating_sub(MAX_LEN);
    (from..buf.len())
        .find(|&i| buf[i] == 0x1b && may_become(&buf[i..]))
        .unwrap_or(buf.len())
}

/// Whether a line of pane text (escapes removed) is the shell's echo of the line ctmux types
/// to run an exec (` . '<state dir>/exec/<id>.sh'`), which streams and events leave out.
pub(crate) fn is_wrapper_echo(text: &str) -> bool {
    let Some(at) = text.find(" . '") else {
        return false;
    };
    let rest = &text[at + 4..];
    rest.find("/exec/")
        .is_some_and(|at| rest[at..].contains(".sh'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn whole_markers_only() {
        let m = at_start(b"\x1b]ctmux;e;3xab;130\x07 rest").unwrap();
        assert_eq!((m.id, m.kind, m.len), (&b"3xab"[..], Kind::End(130), 19));
        let m = at_start(b"\x1b]ctmux;s;3xab\x07").unwrap();
        assert_eq!((m.id, m.kind, m.len), (&b"3xab"[..], Kind::Start, 15));
        for bad in [
            &b"\x1b]ctmux;e;;0\x07"[..],
            b"\x1b]ctmux;e;3xab;\x07",
            b"\x1b]ctmux;e;3xab;1234\x07",
            b"\x1b]ctmux;e;3x-b;0\x07",
            b"\x1b]ctmux;e;3xab;0",
            b"\x1b]ctmux;s;3xab",
            b"\x1b]ctmux;x;3xab\x07",
            b"\x1b]ctmux;s;\x07",
        ] {
            assert_eq!(at_start(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        let text = [
            &b"a "[..],
            &end_bytes("1a", 0),
            b" b ",
            &start_bytes("2b"),
            b"\x1b]ctmux;e;x",
        ]
        .concat();
        let all: Vec<_> = find_all(&text).map(|m| (m.start, m.id, m.kind)).collect();
        assert_eq!(
            all,
            [(2, &b"1a"[..], Kind::End(0)), (20, &b"2b"[..], Kind::Start)]
        );
    }

    #[test]
    fn partial_markers() {
        for s in [
            &b"\x1b"[..],
            b"\x1b]ctmux;",
            b"\x1b]ctmux;s",
            b"\x1b]ctmux;s;3x",
            b"\x1b]ctmux;e;3xab",
            b"\x1b]ctmux;e;3xab;",
            b"\x1b]ctmux;e;3xab;12",
        ] {
            assert!(may_become(s), "{}", String::from_utf8_lossy(s));
        }
        for s in [
            &b"x"[..],
            b"\x1b[",
            b"\x1b]ctmux;q",
            b"\x1b]ctmux;e;3xab;a",
            b"\x1b]ctmux;e;3xab;1234",
            b"\x1b]ctmux;e;;",
        ] {
            assert!(!may_become(s), "{}", String::from_utf8_lossy(s));
        }
        assert_eq!(partial_tail(b"abc\x1b]ctm"), 3);
        assert_eq!(partial_tail(b"abc\x1b[0m"), 7);
    }

    #[test]
    fn wrapper_echo_lines() {
        assert!(is_wrapper_echo("$  . '/tmp/s/exec/3x00ab.sh'"));
        assert!(is_wrapper_echo("user@h ~ %  . '/r/exec/3x1.sh'    [0]"));
        assert!(!is_wrapper_echo("$ . ./env.sh"));
        assert!(!is_wrapper_echo("$  . '/tmp/x.sh'"));
    }

    proptest! {
        #[test]
        fn a_marker_is_found_wherever_it_stands(
            before in "[a-z :\n\x1b\\]]{0,20}",
            after in "[a-z :\n]{0,20}",
            id in "[0-9a-z]{1,8}",
            rc in 0..=255i32,
        ) {
            let marker = end_bytes(&id, rc);
            let text = [before.as_bytes(), &marker, after.as_bytes()].concat();
            let found: Vec<_> = find_all(&text).collect();
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(found[0].start, before.len());
            prop_assert_eq!(found[0].id, id.as_bytes());
            prop_assert_eq!(found[0].kind, Kind::End(rc));
            for cut in 0..marker.len() {
                prop_assert!(may_become(&marker[..cut]));
            }
        }
    }
}
