//! Window layouts: tmux's named layouts and validated layout strings.

use crate::error::{Error, Result};
use std::str::FromStr;

/// A layout to apply to a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `tiled`.
    Tiled,
    /// `even-horizontal` (panes side by side); also accepted as `horizontal`.
    EvenHorizontal,
    /// `even-vertical` (panes stacked); also accepted as `vertical`.
    EvenVertical,
    /// `main-horizontal`.
    MainHorizontal,
    /// `main-vertical`.
    MainVertical,
    /// A tmux layout string (`window_layout`), checksum verified.
    Custom(String),
}

impl Layout {
    /// The argument for `select-layout`.
    pub fn as_tmux(&self) -> &str {
        match self {
            Layout::Tiled => "tiled",
            Layout::EvenHorizontal => "even-horizontal",
            Layout::EvenVertical => "even-vertical",
            Layout::MainHorizontal => "main-horizontal",
            Layout::MainVertical => "main-vertical",
            Layout::Custom(s) => s,
        }
    }
}

/// tmux's layout checksum (layout_checksum in layout-custom.c).
fn checksum(body: &str) -> u16 {
    let mut csum: u16 = 0;
    for b in body.bytes() {
        csum = (csum >> 1) | ((csum & 1) << 15);
        csum = csum.wrapping_add(u16::from(b));
    }
    csum
}

impl FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "tiled" => Layout::Tiled,
            "horizontal" | "even-horizontal" => Layout::EvenHorizontal,
            "vertical" | "even-vertical" => Layout::EvenVertical,
            "main-horizontal" => Layout::MainHorizontal,
            "main-vertical" => Layout::MainVertical,
            other => {
                let (sum, body) = other.split_once(',').ok_or_else(|| {
                    Error::invalid(
                        "layout",
                        format!(
                            "{other:?} is neither tiled, horizontal, vertical, main-horizontal, \
                             main-vertical nor a tmux layout string"
                        ),
                    )
                })?;
                let want = u16::from_str_radix(sum, 16)
                    .ok()
                    .filter(|_| sum.len() == 4)
                    .ok_or_else(|| {
                        Error::invalid("layout", format!("{sum:?} is not a 4-digit checksum"))
                    })?;
                if body.is_empty()
                    || !body
                        .chars()
                        .all(|c| c.is_ascii_digit() || ",x[]{}".contains(c))
                {
                    return Err(Error::invalid(
                        "layout",
                        format!("{body:?} is not a tmux layout body"),
                    ));
                }
                if checksum(body) != want {
                    return Err(Error::invalid(
                        "layout",
                        format!("checksum {sum} does not match the layout body"),
                    ));
                }
                Layout::Custom(other.to_owned())
            }
        })
    }
}

/// One cell of a parsed layout body: its geometry and, for a leaf, nothing more (the pane id
/// tmux writes after a leaf's position is dropped: it names the pane the layout was read from,
/// not a property of the layout).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cell {
    geometry: String,
    children: Option<(char, Vec<Cell>)>,
}

fn parse_cell(s: &[u8], pos: &mut usize) -> Option<Cell> {
    let number = |s: &[u8], pos: &mut usize| -> Option<String> {
        let start = *pos;
        while *pos < s.len() && s[*pos].is_ascii_digit() {
            *pos += 1;
        }
        (*pos > start).then(|| String::from_utf8_lossy(&s[start..*pos]).into_owned())
    };
    let expect = |s: &[u8], pos: &mut usize, c: u8| -> Option<()> {
        (s.get(*pos) == Some(&c)).then(|| *pos += 1)
    };
    let w = number(s, pos)?;
    expect(s, pos, b'x')?;
    let h = number(s, pos)?;
    expect(s, pos, b',')?;
    let x = number(s, pos)?;
    expect(s, pos, b',')?;
    let y = number(s, pos)?;
    let geometry = format!("{w}x{h},{x},{y}");
    match s.get(*pos) {
        Some(b'{') | Some(b'[') => {
            let open = s[*pos];
            let close = if open == b'{' { b'}' } else { b']' };
            *pos += 1;
            let mut kids = vec![parse_cell(s, pos)?];
            while s.get(*pos) == Some(&b',') {
                *pos += 1;
                kids.push(parse_cell(s, pos)?);
            }
            expect(s, pos, close)?;
            Some(Cell {
                geometry,
                children: Some((open as char, kids)),
            })
        }
        Some(b',') => {
            *pos += 1;
            number(s, pos)?;
            Some(Cell {
                geometry,
                children: None,
            })
        }
        _ => None,
    }
}

impl Cell {
    fn leaves(&self) -> usize {
        match &self.children {
            None => 1,
            Some((_, kids)) => kids.iter().map(Cell::leaves).sum(),
        }
    }

    fn write(&self, out: &mut String) {
        out.push_str(&self.geometry);
        if let Some((open, kids)) = &self.children {
            out.push(*open);
            for (i, k) in kids.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                k.write(out);
            }
            out.push(if *open == '{' { '}' } else { ']' });
        }
    }
}

impl Layout {
    fn root(&self) -> Option<Cell> {
        let Layout::Custom(s) = self else { return None };
        let body = s.split_once(',')?.1.as_bytes();
        let mut pos = 0;
        let cell = parse_cell(body, &mut pos)?;
        (pos == body.len()).then_some(cell)
    }

    /// For a layout string: how many panes it lays out (`None` for a named layout, which fits
    /// any number, or for a string whose body does not parse).
    pub fn pane_count(&self) -> Option<usize> {
        self.root().map(|c| c.leaves())
    }

    /// For a layout string: the window size it was made for, as (columns, rows).
    pub fn size(&self) -> Option<(u32, u32)> {
        let root = self.root()?;
        let (w, rest) = root.geometry.split_once('x')?;
        let h = rest.split(',').next()?;
        Some((w.parse().ok()?, h.parse().ok()?))
    }

    /// For a layout string: its geometry without checksum and pane ids, e.g.
    /// `100x30,0,0{80x30,0,0,19x30,81,0}`. Two windows whose geometries are equal look the
    /// same, whichever panes they hold (tmux writes pane ids into its layout strings, so a
    /// restored window's string differs from the saved one only in those ids and the checksum).
    pub fn geometry(&self) -> Option<String> {
        let mut out = String::new();
        self.root()?.write(&mut out);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_strings() {
        assert_eq!(
            "horizontal".parse::<Layout>().unwrap().as_tmux(),
            "even-horizontal"
        );
        assert_eq!("tiled".parse::<Layout>().unwrap(), Layout::Tiled);
        // A real layout string printed by tmux 3.3a for one 80x24 pane.
        let real = "b25d,80x24,0,0,0";
        assert_eq!(real.parse::<Layout>().unwrap().as_tmux(), real);
        for bad in [
            "",
            "diagonal",
            "zzzz,80x24,0,0,0",
            "b25e,80x24,0,0,0",
            "b25d,",
            "b25d,80x24;rm",
        ] {
            assert!(bad.parse::<Layout>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn counts_panes_and_strips_ids() {
        let a: Layout = "b6b7,100x30,0,0{80x30,0,0,2,19x30,81,0[19x14,81,0,3,19x15,81,15,4]}"
            .parse()
            .unwrap();
        let b: Layout = "79bb,100x30,0,0{80x30,0,0,5,19x30,81,0[19x14,81,0,6,19x15,81,15,7]}"
            .parse()
            .unwrap();
        assert_eq!(a.pane_count(), Some(3));
        assert_eq!(a.size(), Some((100, 30)));
        assert_eq!(a.geometry(), b.geometry());
        assert_eq!(
            a.geometry().unwrap(),
            "100x30,0,0{80x30,0,0,19x30,81,0[19x14,81,0,19x15,81,15]}"
        );
        assert_eq!(
            "b25d,80x24,0,0,0".parse::<Layout>().unwrap().pane_count(),
            Some(1)
        );
        assert_eq!(Layout::Tiled.pane_count(), None);
    }
}
