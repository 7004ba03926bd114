//! The bytes a command wrote → the text a terminal would show for them, line by line.
//!
//! Escape sequences are removed (parsed by `vte`, the state machine of a real terminal, so a
//! sequence split across chunks is still skipped whole), `\r\n` becomes `\n`, a tab stays a
//! tab, and text written after a `\r` (or moved over with backspace or cursor moves) overwrites
//! what the line held, as on a screen: `10%\r50%\r100%\n` is `100%\n`. Erase-in-line (`ESC[K`)
//! is applied. Invalid UTF-8 becomes U+FFFD. Cursor moves to other lines are ignored: output
//! is a sequence of lines, not a screen.

/// Turns byte chunks into finished text, handed to a sink as it is produced.
pub(crate) struct Renderer {
    parser: vte::Parser,
    line: LineModel,
    /// The start of a UTF-8 sequence the last chunk ended inside, held back until the chunk
    /// that completes it: vte 0.15.0 drops the character after a sequence split across two
    /// `advance` calls (alacritty/vte#159), so vte is only ever given whole sequences.
    split: Vec<u8>,
}

/// Where the incomplete UTF-8 sequence at the end of `bytes` starts (`bytes.len()` if none).
fn complete_prefix(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for k in 1..=n.min(3) {
        let b = bytes[n - k];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back for its lead
        }
        let need = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if need > k { n - k } else { n };
    }
    n
}

#[derive(Default)]
struct LineModel {
    cells: Vec<char>,
    col: usize,
    /// Finished text not yet taken.
    out: String,
}

impl LineModel {
    fn put(&mut self, c: char) {
        if self.col < self.cells.len() {
            self.cells[self.col] = c;
        } else {
            self.cells.resize(self.col, ' ');
            self.cells.push(c);
        }
        self.col += 1;
    }

    fn newline(&mut self) {
        self.out.extend(self.cells.drain(..));
        self.out.push('\n');
        self.col = 0;
    }
}

impl vte::Perform for LineModel {
    fn print(&mut self, c: char) {
        self.put(c);
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\n' | 0x0b | 0x0c => self.newline(),
            b'\r' => self.col = 0,
            b'\t' => self.put('\t'),
            0x08 => self.col = self.col.saturating_sub(1),
            _ => {}
        }
    }

    fn csi_dispatch(
        &mut self,
        params: &vte::Params,
        intermediates: &[u8],
        _ignore: bool,
        action: char,
    ) {
        if !intermediates.is_empty() {
            return;
        }
        let first = params
            .iter()
            .next()
            .and_then(|p| p.first().copied())
            .unwrap_or(0) as usize;
        match action {
            // Erase in line: 0 to the end, 1 to the start, 2 all.
            'K' => match first {
                0 => self.cells.truncate(self.col),
                1 => {
                    let upto = (self.col + 1).min(self.cells.len());
                    self.cells[..upto].fill(' ');
                }
                _ => self.cells.clear(),
            },
            'C' => self.col += first.max(1),
            'D' => self.col = self.col.saturating_sub(first.max(1)),
            'G' => self.col = first.max(1) - 1,
            _ => {}
        }
    }
}

impl Renderer {
    /// A renderer at the start of a line.
    pub(crate) fn new() -> Self {
        Renderer {
            parser: vte::Parser::new(),
            line: LineModel::default(),
            split: Vec::new(),
        }
    }

    /// Feed bytes; returns the text of the lines they finished (each ending in `\n`).
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> String {
        if self.split.is_empty() {
            let whole = complete_prefix(bytes);
            self.parser.advance(&mut self.line, &bytes[..whole]);
            self.split.extend_from_slice(&bytes[whole..]);
        } else {
            let mut joined = std::mem::take(&mut self.split);
            joined.extend_from_slice(bytes);
            let whole = complete_prefix(&joined);
            self.parser.advance(&mut self.line, &joined[..whole]);
            self.split.extend_from_slice(&joined[whole..]);
        }
        std::mem::take(&mut self.line.out)
    }

    /// The unfinished line so far (for partial output).
    pub(crate) fn pending_text(&self) -> impl Iterator<Item = char> + '_ {
        self.line.cells.iter().copied()
    }

    /// The unfinished last line (no `\n`), at the end of the output.
    pub(crate) fn finish(mut self) -> String {
        if !self.split.is_empty() {
            // Cut short for good: what a terminal shows for it.
            self.parser.advance(&mut self.line, "\u{fffd}".as_bytes());
        }
        let mut s = std::mem::take(&mut self.line.out);
        s.extend(self.line.cells.drain(..));
        s
    }
}

/// Render `bytes` whole.
#[cfg(test)]
pub(crate) fn render(bytes: &[u8]) -> String {
    let mut r = Renderer::new();
    let mut s = r.feed(bytes);
    s.push_str(&r.finish());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn like_a_terminal() {
        assert_eq!(render(b"a\r\nb\r\n"), "a\nb\n");
        assert_eq!(render(b"a\tb\r\n"), "a\tb\n");
        assert_eq!(render(b"10%\r50%\r100%\r\n"), "100%\n");
        assert_eq!(render(b"long line\rab\r\n"), "abng line\n");
        assert_eq!(render(b"long line\rab\x1b[K\r\n"), "ab\n");
        assert_eq!(render(b"\x1b[31mred\x1b[0m plain"), "red plain");
        assert_eq!(
            render(b"\x1b]0;title\x07t\x1b]8;;http://x\x1b\\l\x1b]8;;\x1b\\"),
            "tl"
        );
        assert_eq!(render("héllo ✓ 🦀\n".as_bytes()), "héllo ✓ 🦀\n");
        assert_eq!(render(b"bad \xff byte"), "bad \u{fffd} byte");
        assert_eq!(render(b"abc\x08\x08X\n"), "aXc\n");
        assert_eq!(render(b"no newline"), "no newline");
        assert_eq!(render(b"\n\n"), "\n\n");
        assert_eq!(render(b"a\x1b[5Cb"), "a     b");
        assert_eq!(render(b"cut short \xe2\x9c"), "cut short \u{fffd}");
    }

    #[test]
    fn a_sequence_split_across_chunks_keeps_what_follows() {
        // vte 0.15.0 alone gives " ✓éé" here (the '0' after the split 'é' is lost).
        let whole = " ✓é0é".as_bytes();
        for cut in 0..=whole.len() {
            let mut r = Renderer::new();
            let mut got = r.feed(&whole[..cut]);
            got.push_str(&r.feed(&whole[cut..]));
            got.push_str(&r.finish());
            assert_eq!(got, " ✓é0é", "cut {cut}");
        }
    }

    #[test]
    fn split_sequences() {
        let whole = "a\x1b]0;t\x07b\x1b[31mc\x1b]x\x07é✓d".as_bytes();
        let expected = render(whole);
        for cut in 0..=whole.len() {
            let mut r = Renderer::new();
            let mut got = r.feed(&whole[..cut]);
            got.push_str(&r.feed(&whole[cut..]));
            got.push_str(&r.finish());
            assert_eq!(got, expected, "cut {cut}");
        }
    }

    proptest! {
        #[test]
        fn chunking_does_not_matter(
            // Well-formed sequences split anywhere (malformed nesting such as an OSC cut by
            // another ESC is outside what a terminal promises too).
            text in proptest::collection::vec(
                prop_oneof![
                    "[a-zé✓🦀 0-9;\\t\\r\\n\\x08]{0,8}",
                    Just("\x1b[31m".to_owned()),
                    Just("\x1b[K".to_owned()),
                    Just("\x1b[3C".to_owned()),
                    Just("\x1b]0;title\x07".to_owned()),
                    Just("\x1b]8;;http://x\x1b\\".to_owned()),
                    Just("\x1b(B".to_owned()),
                ],
                0..20,
            ),
            cuts in proptest::collection::vec(0usize..400, 0..10),
        ) {
            let whole: Vec<u8> = text.concat().into_bytes();
            let expected = render(&whole);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(whole.len())).collect();
            cuts.sort_unstable();
            let mut r = Renderer::new();
            let mut got = String::new();
            let mut from = 0;
            for c in cuts {
                got.push_str(&r.feed(&whole[from..c]));
                from = c;
            }
            got.push_str(&r.feed(&whole[from..]));
            got.push_str(&r.finish());
            prop_assert_eq!(got, expected);
        }
    }
}
