//! The control-mode wire protocol, as pure functions: a line [`Parser`] for what `tmux -C`
//! prints, and [`command_line`], which quotes an argv for tmux's command parser.
//!
//! What tmux prints (tmux 3.3a, `control.c` / `cmd-queue.c`):
//! - every command produces one reply block: `%begin <time> <number> <flags>`, the command's
//!   output lines, then `%end ...` or `%error ...` with the same three numbers. `flags` is 1 for
//!   commands this client sent on its stdin, 0 for others run for the client (the initial
//!   `attach-session`, `after-*` hooks, key bindings). A line `;`-list of N commands gives up
//!   to N blocks: after a `%error` the rest of the list is skipped;
//! - between blocks (never inside one), notifications: `%output %<pane> <data>` with bytes
//!   below 32 and `\` written as `\ooo` octal, `%exit [reason]`, `%session-changed`, ...

use crate::error::{Error, Result};
use crate::ids::PaneId;

/// The three numbers of a `%begin` / `%end` / `%error` guard line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guard {
    /// Seconds since the epoch when the command ran.
    pub time: i64,
    /// tmux's command number (unique per server).
    pub number: u64,
    /// 1 if this client sent the command, 0 if tmux ran it on the client's behalf.
    pub flags: u32,
}

impl Guard {
    /// Whether the command came from this client's stdin (`flags` bit 0).
    pub fn from_client(&self) -> bool {
        self.flags & 1 == 1
    }
}

/// A complete reply block: every line between the guards, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The guard numbers (as on `%begin`).
    pub guard: Guard,
    /// `true` for `%end`, `false` for `%error`.
    pub ok: bool,
    /// The output lines, without their newlines (decoded as UTF-8, invalid bytes replaced).
    pub lines: Vec<String>,
}

impl Reply {
    /// The output as a process would have printed it: every line followed by `\n`.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.lines.iter().map(|l| l.len() + 1).sum());
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}

/// Something tmux pushes outside reply blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notification {
    /// `%output %<pane> <data>`: bytes a pane's program wrote (decoded from octal escapes).
    Output {
        /// The pane.
        pane: PaneId,
        /// The raw bytes (may be partial UTF-8 and contain escape sequences).
        data: Vec<u8>,
    },
    /// `%extended-output %<pane> <age> ... : <data>` (clients with `pause-after`).
    ExtendedOutput {
        /// The pane.
        pane: PaneId,
        /// How long tmux held the output, in milliseconds.
        age_ms: u64,
        /// The raw bytes.
        data: Vec<u8>,
    },
    /// `%exit [reason]`: the control client is leaving (detached, server exited, ...).
    Exit {
        /// tmux's reason, if given.
        reason: Option<String>,
    },
    /// `%session-changed $<id> <name>`: this client is now attached to that session.
    SessionChanged {
        /// Session id (`$3`).
        session_id: String,
        /// Session name.
        name: String,
    },
    /// `%session-renamed $<id> <name>`.
    SessionRenamed {
        /// Session id.
        session_id: String,
        /// New name.
        name: String,
    },
    /// `%sessions-changed`: a session was created or destroyed.
    SessionsChanged,
    /// `%session-window-changed $<id> @<window>`: a session's current window changed.
    SessionWindowChanged {
        /// Session id.
        session_id: String,
        /// Window id (`@2`).
        window_id: String,
    },
    /// `%window-add @<window>` (attached session) or `%unlinked-window-add` (another one).
    WindowAdd {
        /// Window id.
        window_id: String,
        /// Whether the window belongs to a session other than the attached one.
        unlinked: bool,
    },
    /// `%window-close @<window>` or `%unlinked-window-close`.
    WindowClose {
        /// Window id.
        window_id: String,
        /// Whether the window belonged to another session.
        unlinked: bool,
    },
    /// `%window-renamed @<window> <name>` or `%unlinked-window-renamed`.
    WindowRenamed {
        /// Window id.
        window_id: String,
        /// New name.
        name: String,
        /// Whether the window belongs to another session.
        unlinked: bool,
    },
    /// `%window-pane-changed @<window> %<pane>`: a window's active pane changed.
    WindowPaneChanged {
        /// Window id.
        window_id: String,
        /// The newly active pane.
        pane: PaneId,
    },
    /// `%pane-mode-changed %<pane>`: a pane entered or left a mode (copy mode, ...).
    PaneModeChanged {
        /// The pane.
        pane: PaneId,
    },
    /// `%layout-change @<window> <layout> <visible layout> <flags>`.
    LayoutChange {
        /// Window id.
        window_id: String,
        /// The window's layout string.
        layout: String,
        /// The visible layout (differs when a pane is zoomed).
        visible_layout: String,
        /// Window flags (`*`, `Z`, ...), possibly empty.
        flags: String,
    },
    /// `%pause %<pane>` / `%continue %<pane>` (clients with `pause-after`).
    Paused {
        /// The pane.
        pane: PaneId,
        /// `true` for `%pause`, `false` for `%continue`.
        paused: bool,
    },
    /// Any other line outside a block, kept whole (unknown notifications, stray text, a
    /// malformed known one).
    Raw(String),
    /// Not from tmux: notifications for this subscriber were dropped because its channel was
    /// full (see [`super::Subscription`]), so anything it follows may have changed unseen.
    Lost,
}

/// One thing the [`Parser`] recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A `%begin` line: a command started (its reply follows).
    Begin(Guard),
    /// A complete reply block.
    Reply(Reply),
    /// A notification between blocks.
    Notification(Notification),
}

/// Turns control-mode lines into [`Event`]s. Feed it every line in order, without the
/// trailing `\n`. Inside a block every line is output until the guard with the same numbers,
/// so output that merely looks like `%end` or `%output` cannot end or split a reply.
#[derive(Debug, Default)]
pub struct Parser {
    block: Option<(Guard, Vec<String>)>,
}

impl Parser {
    /// A parser outside any block.
    pub fn new() -> Self {
        Parser::default()
    }

    /// Whether a reply block is open (begun, not yet ended).
    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    /// Parse one line (without its `\n`). Returns `None` for a line that only adds to an open
    /// block, and for an empty line between blocks.
    pub fn feed(&mut self, line: &[u8]) -> Option<Event> {
        if let Some((guard, mut lines)) = self.block.take() {
            match parse_guard(line) {
                Some((kind, g)) if g == guard && kind != GuardKind::Begin => {
                    return Some(Event::Reply(Reply {
                        guard,
                        ok: kind == GuardKind::End,
                        lines,
                    }));
                }
                _ => {
                    lines.push(String::from_utf8_lossy(line).into_owned());
                    self.block = Some((guard, lines));
                    return None;
                }
            }
        }
        if line.is_empty() {
            return None;
        }
        match parse_guard(line) {
            Some((GuardKind::Begin, g)) => {
                self.block = Some((g, Vec::new()));
                Some(Event::Begin(g))
            }
            // An end without a begin is garbage: keep it, do not act on it.
            Some(_) => Some(Event::Notification(raw(line))),
            None => Some(Event::Notification(parse_notification(line))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GuardKind {
    Begin,
    End,
    Error,
}

/// `%begin|%end|%error <time> <number> <flags>`, exactly.
fn parse_guard(line: &[u8]) -> Option<(GuardKind, Guard)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split(' ');
    let kind = match words.next()? {
        "%begin" => GuardKind::Begin,
        "%end" => GuardKind::End,
        "%error" => GuardKind::Error,
        _ => return None,
    };
    let time = words.next()?.parse().ok()?;
    let number = words.next()?.parse().ok()?;
    let flags = words.next()?.parse().ok()?;
    if words.next().is_some() {
        return None;
    }
    Some((
        kind,
        Guard {
            time,
            number,
            flags,
        },
    ))
}

fn raw(line: &[u8]) -> Notification {
    Notification::Raw(String::from_utf8_lossy(line).into_owned())
}

/// Split `s` at its first space: (head, rest); rest is empty when there is no space.
fn split1(s: &[u8]) -> (&[u8], &[u8]) {
    match s.iter().position(|&b| b == b' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[]),
    }
}

fn pane_id(word: &[u8]) -> Option<PaneId> {
    std::str::from_utf8(word).ok()?.parse().ok()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `@<digits>` / `$<digits>`.
fn tmux_id(word: &[u8], sigil: u8) -> Option<String> {
    (word.len() > 1 && word[0] == sigil && word[1..].iter().all(u8::is_ascii_digit))
        .then(|| text(word))
}

fn parse_notification(line: &[u8]) -> Notification {
    parse_known(line).unwrap_or_else(|| raw(line))
}

fn parse_known(line: &[u8]) -> Option<Notification> {
    let (name, rest) = split1(line);
    let n = match name {
        b"%output" => {
            let (pane, data) = split1(rest);
            Notification::Output {
                pane: pane_id(pane)?,
                data: unescape_output(data),
            }
        }
        b"%extended-output" => {
            let (pane, rest) = split1(rest);
            let (age, rest) = split1(rest);
            // Further arguments may follow the age; the data starts after " : ".
            let data = if rest.starts_with(b": ") {
                &rest[2..]
            } else {
                let at = rest.windows(3).position(|w| w == b" : ")?;
                &rest[at + 3..]
            };
            Notification::ExtendedOutput {
                pane: pane_id(pane)?,
                age_ms: std::str::from_utf8(age).ok()?.parse().ok()?,
                data: unescape_output(data),
            }
        }
        b"%exit" => Notification::Exit {
            reason: (!rest.is_empty()).then(|| text(rest)),
        },
        b"%sessions-changed" if rest.is_empty() => Notification::SessionsChanged,
        b"%session-changed" | b"%session-renamed" => {
            let (id, name_rest) = split1(rest);
            let session_id = tmux_id(id, b'$')?;
            let name = text(name_rest);
            if line.starts_with(b"%session-changed") {
                Notification::SessionChanged { session_id, name }
            } else {
                Notification::SessionRenamed { session_id, name }
            }
        }
        b"%session-window-changed" => {
            let (s, w) = split1(rest);
            Notification::SessionWindowChanged {
                session_id: tmux_id(s, b'$')?,
                window_id: tmux_id(w, b'@')?,
            }
        }
        b"%window-add" | b"%unlinked-window-add" => Notification::WindowAdd {
            window_id: tmux_id(rest, b'@')?,
            unlinked: name.starts_with(b"%unlinked"),
        },
        b"%window-close" | b"%unlinked-window-close" => Notification::WindowClose {
            window_id: tmux_id(rest, b'@')?,
            unlinked: name.starts_with(b"%unlinked"),
        },
        b"%window-renamed" | b"%unlinked-window-renamed" => {
            let (w, new_name) = split1(rest);
            Notification::WindowRenamed {
                window_id: tmux_id(w, b'@')?,
                name: text(new_name),
                unlinked: name.starts_with(b"%unlinked"),
            }
        }
        b"%window-pane-changed" => {
            let (w, p) = split1(rest);
            Notification::WindowPaneChanged {
                window_id: tmux_id(w, b'@')?,
                pane: pane_id(p)?,
            }
        }
        b"%pane-mode-changed" => Notification::PaneModeChanged {
            pane: pane_id(rest)?,
        },
        b"%pause" | b"%continue" => Notification::Paused {
            pane: pane_id(rest)?,
            paused: name == b"%pause",
        },
        b"%layout-change" => {
            let (w, rest) = split1(rest);
            let (layout, rest) = split1(rest);
            let (visible, flags) = split1(rest);
            if layout.is_empty() {
                return None;
            }
            Notification::LayoutChange {
                window_id: tmux_id(w, b'@')?,
                layout: text(layout),
                visible_layout: text(visible),
                flags: text(flags),
            }
        }
        _ => return None,
    };
    Some(n)
}

/// Decode `%output` data: `\ooo` (three octal digits, at most `\377`) is one byte, anything
/// else is taken as is (so garbage never fails, it only stays undecoded).
pub fn unescape_output(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\\' {
            if let Some(byte) = octal3(&data[i + 1..]) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

fn octal3(s: &[u8]) -> Option<u8> {
    if s.len() < 3 || !s[..3].iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    let v = s[..3].iter().fold(0u32, |v, b| v * 8 + u32::from(b - b'0'));
    u8::try_from(v).ok()
}

/// Encode bytes as tmux writes `%output` data (the inverse of [`unescape_output`]).
pub fn escape_output(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for &b in data {
        if b < 32 || b == b'\\' {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

/// Quote one argument for tmux's command parser (`cmd-parse.y`): a double-quoted string in
/// which `\`, `"`, `$` (environment expansion) and `~` (home expansion at a word's start) are
/// escaped, newline, carriage return and tab are `\n` `\r` `\t`, and other control characters
/// are `\ooo` octal. Everything else, unicode included, is copied as is.
///
/// # Errors
/// [`Error::InvalidInput`] for a NUL, which no tmux argument can hold.
pub fn quote_arg(arg: &str) -> Result<String> {
    let mut q = String::with_capacity(arg.len() + 2);
    q.push('"');
    for c in arg.chars() {
        match c {
            '\0' => {
                return Err(Error::invalid(
                    "tmux argument",
                    "must not contain NUL".to_owned(),
                ))
            }
            '\\' => q.push_str("\\\\"),
            '"' => q.push_str("\\\""),
            '$' => q.push_str("\\$"),
            '~' => q.push_str("\\~"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                q.push_str(&format!("\\{:03o}", c as u32));
            }
            c => q.push(c),
        }
    }
    q.push('"');
    Ok(q)
}

/// The commands of an argv: split at bare `;` elements, empty commands dropped.
pub fn split_commands(argv: &[String]) -> Vec<&[String]> {
    argv.split(|a| a == ";").filter(|c| !c.is_empty()).collect()
}

/// One input line for a control client: every argument quoted with [`quote_arg`], a bare
/// `;` element written as tmux's command separator ` ; `. Returns the line (without `\n`) and
/// how many commands it holds (each gives one reply block until one fails).
///
/// # Errors
/// [`Error::InvalidInput`] for an argv without any command, or an argument with a NUL.
pub fn command_line(argv: &[String]) -> Result<(String, usize)> {
    let commands = split_commands(argv);
    if commands.is_empty() {
        return Err(Error::invalid("tmux command", "argv holds no command"));
    }
    let mut line = String::new();
    for (i, cmd) in commands.iter().enumerate() {
        if i > 0 {
            line.push_str(" ; ");
        }
        for (j, arg) in cmd.iter().enumerate() {
            if j > 0 {
                line.push(' ');
            }
            line.push_str(&quote_arg(arg)?);
        }
    }
    Ok((line, commands.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(p: &mut Parser, text: &[u8]) -> Vec<Event> {
        text.split(|&b| b == b'\n')
            .filter_map(|l| p.feed(l))
            .collect()
    }

    fn g(time: i64, number: u64, flags: u32) -> Guard {
        Guard {
            time,
            number,
            flags,
        }
    }

    #[test]
    fn multi_line_reply_keeps_every_line() {
        let mut p = Parser::new();
        let ev = feed_all(
            &mut p,
            b"%begin 1 7 1\na\n\n%output %1 x\n%end 1 6 1\n  c\n%end 1 7 1",
        );
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0], Event::Begin(g(1, 7, 1)));
        let Event::Reply(r) = &ev[1] else {
            panic!("{ev:?}")
        };
        assert!(r.ok);
        assert_eq!(r.lines, ["a", "", "%output %1 x", "%end 1 6 1", "  c"]);
        assert_eq!(r.text(), "a\n\n%output %1 x\n%end 1 6 1\n  c\n");
        assert!(!p.in_block());
    }

    #[test]
    fn error_block_and_flags() {
        let mut p = Parser::new();
        let ev = feed_all(
            &mut p,
            b"%begin 5 9 0\n%end 5 9 0\n%begin 5 10 1\ncan't find session: x\n%error 5 10 1",
        );
        let replies: Vec<&Reply> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Reply(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(replies.len(), 2);
        assert!(!replies[0].guard.from_client());
        assert!(replies[0].ok && replies[0].lines.is_empty());
        assert!(replies[1].guard.from_client());
        assert!(!replies[1].ok);
        assert_eq!(replies[1].lines, ["can't find session: x"]);
    }

    #[test]
    fn notifications_between_blocks() {
        let mut p = Parser::new();
        let ev = feed_all(
            &mut p,
            b"%output %3 a\\134b\\015\\012\xff\n\
              %extended-output %4 120 : hi\\040\n\
              %extended-output %4 7 x y : z\n\
              %session-changed $1 my session\n\
              %sessions-changed\n\
              %window-add @2\n\
              %unlinked-window-close @5\n\
              %window-renamed @2 bash\n\
              %pane-mode-changed %3\n\
              %layout-change @2 b25d,80x24,0,0,2 b25d,80x24,0,0,2 *\n\
              %pause %3\n\
              %exit\n\
              %exit server exited\n\
              %client-detached /dev/pts/3\n\
              stray text",
        );
        let n: Vec<Notification> = ev
            .into_iter()
            .map(|e| match e {
                Event::Notification(n) => n,
                other => panic!("{other:?}"),
            })
            .collect();
        let p3: PaneId = "%3".parse().unwrap();
        let p4: PaneId = "%4".parse().unwrap();
        assert_eq!(
            n[0],
            Notification::Output {
                pane: p3,
                data: b"a\\b\r\n\xff".to_vec()
            }
        );
        assert_eq!(
            n[1],
            Notification::ExtendedOutput {
                pane: p4,
                age_ms: 120,
                data: b"hi ".to_vec()
            }
        );
        assert_eq!(
            n[2],
            Notification::ExtendedOutput {
                pane: p4,
                age_ms: 7,
                data: b"z".to_vec()
            }
        );
        assert_eq!(
            n[3],
            Notification::SessionChanged {
                session_id: "$1".into(),
                name: "my session".into()
            }
        );
        assert_eq!(n[4], Notification::SessionsChanged);
        assert_eq!(
            n[5],
            Notification::WindowAdd {
                window_id: "@2".into(),
                unlinked: false
            }
        );
        assert_eq!(
            n[6],
            Notification::WindowClose {
                window_id: "@5".into(),
                unlinked: true
            }
        );
        assert_eq!(
            n[7],
            Notification::WindowRenamed {
                window_id: "@2".into(),
                name: "bash".into(),
                unlinked: false
            }
        );
        assert_eq!(n[8], Notification::PaneModeChanged { pane: p3 });
        assert_eq!(
            n[9],
            Notification::LayoutChange {
                window_id: "@2".into(),
                layout: "b25d,80x24,0,0,2".into(),
                visible_layout: "b25d,80x24,0,0,2".into(),
                flags: "*".into()
            }
        );
        assert_eq!(
            n[10],
            Notification::Paused {
                pane: p3,
                paused: true
            }
        );
        assert_eq!(n[11], Notification::Exit { reason: None });
        assert_eq!(
            n[12],
            Notification::Exit {
                reason: Some("server exited".into())
            }
        );
        assert_eq!(
            n[13],
            Notification::Raw("%client-detached /dev/pts/3".into())
        );
        assert_eq!(n[14], Notification::Raw("stray text".into()));
    }

    #[test]
    fn garbage_is_kept_raw_and_never_breaks_the_next_reply() {
        let mut p = Parser::new();
        let garbage: &[&[u8]] = &[
            b"%end 1 2 1",
            b"%error 1 2 1",
            b"%begin",
            b"%begin x y z",
            b"%begin 1 2",
            b"%begin 1 2 3 4",
            b"%output",
            b"%output 3 abc",
            b"%output %x abc",
            b"%window-add 2",
            b"%session-changed",
            b"%layout-change @1",
            b"%extended-output %1 abc : x",
            b"%extended-output %1 12 no-separator",
            b"\xff\xfe\x00",
            b"%",
        ];
        for line in garbage {
            match p.feed(line) {
                Some(Event::Notification(Notification::Raw(r))) => {
                    assert_eq!(r, String::from_utf8_lossy(line))
                }
                other => panic!("{:?} -> {other:?}", String::from_utf8_lossy(line)),
            }
            assert!(!p.in_block());
        }
        assert_eq!(p.feed(b""), None);
        let ev = feed_all(&mut p, b"%begin 3 4 1\nok\n%end 3 4 1");
        assert!(matches!(&ev[1], Event::Reply(r) if r.lines == ["ok"]));
    }

    #[test]
    fn octal_decoding() {
        assert_eq!(unescape_output(b"\\134\\000\\377"), b"\\\0\xff");
        // Not three octal digits, or over \377: kept as is.
        assert_eq!(unescape_output(b"\\12"), b"\\12");
        assert_eq!(unescape_output(b"\\8000"), b"\\8000");
        assert_eq!(unescape_output(b"\\400"), b"\\400");
        assert_eq!(unescape_output(b"end\\"), b"end\\");
        assert_eq!(escape_output(b"a\\\x1b\n"), b"a\\134\\033\\012");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_arg("plain").unwrap(), "\"plain\"");
        assert_eq!(quote_arg("").unwrap(), "\"\"");
        assert_eq!(
            quote_arg("a\"b\\c$HOME ~/x").unwrap(),
            r#""a\"b\\c\$HOME \~/x""#
        );
        assert_eq!(
            quote_arg("l1\nl2\r\t\x1b\x7f é").unwrap(),
            "\"l1\\nl2\\r\\t\\033\\177 é\""
        );
        assert_eq!(quote_arg("#{pane_id};'x'").unwrap(), "\"#{pane_id};'x'\"");
        assert!(quote_arg("a\0b").is_err());
    }

    #[test]
    fn command_lines_and_separators() {
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (line, n) = command_line(&argv(&["list-sessions", "-F", "#{session_id}"])).unwrap();
        assert_eq!(line, r##""list-sessions" "-F" "#{session_id}""##);
        assert_eq!(n, 1);
        let (line, n) =
            command_line(&argv(&[";", "a", ";", ";", "b", "x;", ";", "c", ";"])).unwrap();
        assert_eq!(line, r#""a" ; "b" "x;" ; "c""#);
        assert_eq!(n, 3);
        assert!(command_line(&argv(&[])).is_err());
        assert!(command_line(&argv(&[";", ";"])).is_err());
        assert!(command_line(&argv(&["a", "\0"])).is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// Undo [`quote_arg`] as tmux's parser does for double-quoted strings.
        fn unquote(q: &str) -> String {
            let inner = &q[1..q.len() - 1];
            let mut out = String::new();
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    assert!(
                        c != '"' && c != '$' && c != '\n',
                        "unescaped {c:?} in {q:?}"
                    );
                    out.push(c);
                    continue;
                }
                match chars.next().unwrap() {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    d @ '0'..='7' => {
                        let rest: String = [d, chars.next().unwrap(), chars.next().unwrap()]
                            .iter()
                            .collect();
                        out.push(char::from(u8::from_str_radix(&rest, 8).unwrap()));
                    }
                    other => out.push(other),
                }
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn quote_round_trips(s in "[^\u{0}]{0,64}") {
                let q = quote_arg(&s).unwrap();
                prop_assert!(!q.contains('\n') && !q.contains('\r'));
                prop_assert_eq!(unquote(&q), s);
            }

            #[test]
            fn output_escaping_round_trips(data in proptest::collection::vec(any::<u8>(), 0..256)) {
                let line = escape_output(&data);
                prop_assert!(!line.contains(&b'\n'));
                let mut wire = b"%output %7 ".to_vec();
                wire.extend_from_slice(&line);
                let mut p = Parser::new();
                let got = p.feed(&wire);
                prop_assert_eq!(
                    got,
                    Some(Event::Notification(Notification::Output {
                        pane: "%7".parse().unwrap(),
                        data
                    }))
                );
            }

            #[test]
            fn any_lines_never_panic_and_blocks_close(
                lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..30)
            ) {
                let mut p = Parser::new();
                for l in &lines {
                    let l: Vec<u8> = l.iter().copied().filter(|&b| b != b'\n').collect();
                    let _ = p.feed(&l);
                }
                // Whatever came before, a block of our own is still recognised once the
                // parser is outside a block.
                if !p.in_block() {
                    let ev = feed_all_lines(&mut p, &[b"%begin 9 99 1", b"x", b"%end 9 99 1"]);
                    prop_assert!(matches!(ev.last(), Some(Event::Reply(r)) if r.lines == ["x"]));
                }
            }
        }

        fn feed_all_lines(p: &mut Parser, lines: &[&[u8]]) -> Vec<Event> {
            lines.iter().filter_map(|l| p.feed(l)).collect()
        }
    }
}
