//! The end marker of an exec: `ctmux:<id>:<rc>:end`, which the pane's shell prints (concealed
//! in `\e[8m`...`\e[28m`) when the command finishes. `<id>` is the exec id (ASCII letters and
//! digits), `<rc>` the exit status (1 to 3 digits). One parser for every reader: the pushed
//! bytes an exec wait watches, the event line decoder, the capture an exec's output is cut
//! from, and captures shown to callers (which leave markers out).

use memchr::memmem;

/// How every marker begins.
pub(crate) const PREFIX: &[u8] = b"ctmux:";
/// How every marker ends.
const SUFFIX: &[u8] = b":end";

/// One whole marker within some text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marker<'a> {
    /// Byte offset of its `c`.
    pub start: usize,
    /// Its length in bytes.
    pub len: usize,
    /// The exec id.
    pub id: &'a [u8],
    /// The exit status.
    pub rc: i32,
}

impl Marker<'_> {
    /// The byte offset just past it.
    pub(crate) fn end(&self) -> usize {
        self.start + self.len
    }
}

/// The marker `s` starts with, if it starts with a whole one.
pub(crate) fn at_start(s: &[u8]) -> Option<Marker<'_>> {
    let body = s.strip_prefix(PREFIX)?;
    let id_len = body.iter().position(|&b| b == b':')?;
    let id = &body[..id_len];
    if id.is_empty() || !id.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let after = &body[id_len + 1..];
    let rc_len = after.iter().take_while(|b| b.is_ascii_digit()).count();
    if rc_len == 0 || rc_len > 3 || !after[rc_len..].starts_with(SUFFIX) {
        return None;
    }
    let rc = std::str::from_utf8(&after[..rc_len]).ok()?.parse().ok()?;
    Some(Marker {
        start: 0,
        len: PREFIX.len() + id_len + 1 + rc_len + SUFFIX.len(),
        id,
        rc,
    })
}

/// Every whole marker in `s`, left to right.
pub(crate) fn find_all(s: &[u8]) -> impl Iterator<Item = Marker<'_>> {
    memmem::find_iter(s, PREFIX)
        .filter_map(move |start| at_start(&s[start..]).map(|m| Marker { start, ..m }))
}

/// Whether `s` could still grow into a whole marker for exec `id`: it is a prefix of
/// `ctmux:<id>:<rc>:end` for some status (what a byte stream keeps until more arrives).
pub(crate) fn may_become(s: &[u8], id: &[u8]) -> bool {
    let mut head = Vec::with_capacity(PREFIX.len() + id.len() + 1);
    head.extend_from_slice(PREFIX);
    head.extend_from_slice(id);
    head.push(b':');
    if s.len() <= head.len() {
        return head.starts_with(s);
    }
    if !s.starts_with(&head) {
        return false;
    }
    let rest = &s[head.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let tail = &rest[digits..];
    digits <= 3 && (tail.is_empty() || (digits > 0 && SUFFIX.starts_with(tail)))
}

/// `text` without markers: a line that held only a marker is dropped, a marker after other
/// text on its line is cut out.
pub(crate) fn strip(text: &str) -> String {
    if find_all(text.as_bytes()).next().is_none() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let bytes = line.as_bytes();
        let mut kept = String::with_capacity(line.len());
        let mut from = 0;
        for m in find_all(bytes) {
            // Markers are ASCII, so their bounds are char boundaries.
            kept.push_str(&line[from..m.start]);
            from = m.end();
        }
        if from == 0 {
            out.push_str(line);
            continue;
        }
        kept.push_str(&line[from..]);
        if !kept.trim_end_matches('\n').is_empty() {
            out.push_str(&kept);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn whole_markers_only() {
        let m = at_start(b"ctmux:3xab:130:end rest").unwrap();
        assert_eq!((m.id, m.rc, m.len), (&b"3xab"[..], 130, 18));
        for bad in [
            &b"ctmux::0:end"[..],
            b"ctmux:3xab::end",
            b"ctmux:3xab:1234:end",
            b"ctmux:3x-b:0:end",
            b"ctmux:3xab:0:en",
            b"ctmux:3xab:0",
            b"xctmux:3xab:0:end",
        ] {
            assert_eq!(at_start(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        let all: Vec<_> = find_all(b"a ctmux:1a:0:end b ctmux:2b:7:endctmux:x")
            .map(|m| (m.start, m.id, m.rc))
            .collect();
        assert_eq!(all, [(2, &b"1a"[..], 0), (19, &b"2b"[..], 7)]);
    }

    #[test]
    fn partial_markers() {
        for s in [
            "c",
            "ctmux:",
            "ctmux:3x",
            "ctmux:3xab:",
            "ctmux:3xab:12",
            "ctmux:3xab:1:e",
        ] {
            assert!(may_become(s.as_bytes(), b"3xab"), "{s}");
        }
        for s in [
            "x",
            "ctmux:3y",
            "ctmux:3xab:a",
            "ctmux:3xab:1234",
            "ctmux:3xab::",
            "ctmux:3xab:1:x",
        ] {
            assert!(!may_become(s.as_bytes(), b"3xab"), "{s}");
        }
    }

    #[test]
    fn strip_keeps_everything_else() {
        assert_eq!(
            strip("$ . '/x/1xab.sh'\nhi\nctmux:1xab:0:end\n$ \n"),
            "$ . '/x/1xab.sh'\nhi\n$ \n"
        );
        assert_eq!(strip("out ctmux:1xab:3:end\n$ "), "out \n$ ");
        assert_eq!(strip("no newlinectmux:1xab:3:end\n"), "no newline\n");
        assert_eq!(strip("no marker: ctmux:zz\n"), "no marker: ctmux:zz\n");
        assert_eq!(strip("é ctmux:1:0:end ü"), "é  ü");
    }

    proptest! {
        #[test]
        fn a_marker_is_found_wherever_it_stands(
            before in "[a-z :\n]{0,20}",
            after in "[a-z :\n]{0,20}",
            id in "[0-9a-z]{1,8}",
            rc in 0..=255i32,
        ) {
            let marker = format!("ctmux:{id}:{rc}:end");
            let text = format!("{before}{marker}{after}");
            let found: Vec<_> = find_all(text.as_bytes()).collect();
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(found[0].start, before.len());
            prop_assert_eq!(found[0].id, id.as_bytes());
            prop_assert_eq!(found[0].rc, rc);
            prop_assert!(!strip(&text).contains(&marker));
            for cut in 0..=marker.len() {
                prop_assert!(may_become(&marker.as_bytes()[..cut], id.as_bytes()));
            }
        }
    }
}
