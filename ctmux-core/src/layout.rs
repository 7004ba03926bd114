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
}
