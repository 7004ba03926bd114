//! Validated names and ids: [`SessionName`], [`PaneId`], [`PaneRef`] and [`Label`].
//!
//! Everything a caller names is checked here once, so nothing unvalidated reaches tmux.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Longest accepted session name or label, in characters.
pub const MAX_NAME_LEN: usize = 200;

fn check_common(what: &'static str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    if s.chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            what,
            format!("longer than {MAX_NAME_LEN} characters"),
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(Error::invalid(
            what,
            format!("contains the control character {:?}", c),
        ));
    }
    Ok(())
}

/// A tmux session name that tmux will take literally.
///
/// Refused: empty, over [`MAX_NAME_LEN`] characters, control characters, `:` and `.` (tmux
/// target syntax), `\` (tmux stores it doubled), and a leading `$ @ % = ~ -` (id, exact-match
/// and option prefixes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionName(String);

impl SessionName {
    /// Validate `name`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the rule it breaks.
    pub fn new(name: &str) -> Result<Self> {
        check_common("session name", name)?;
        if let Some(c) = name.chars().find(|c| matches!(c, ':' | '.')) {
            return Err(Error::invalid(
                "session name",
                format!("{name:?} contains {c:?}, which tmux reads as target syntax"),
            ));
        }
        if name.contains('\\') {
            return Err(Error::invalid(
                "session name",
                format!("{name:?} contains '\\', which tmux would store doubled"),
            ));
        }
        if name.starts_with(['$', '@', '%', '=', '~', '-']) {
            return Err(Error::invalid(
                "session name",
                format!("{name:?} must not start with '$', '@', '%', '=', '~' or '-'"),
            ));
        }
        Ok(SessionName(name.to_owned()))
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SessionName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SessionName::new(s)
    }
}

/// A pane label: unique within its session, stored in tmux as the pane option `@ctmux-label`.
///
/// Refused: empty, over [`MAX_NAME_LEN`] characters, control characters, all digits (that is a
/// pane index) and a leading `%` (that is a pane id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

impl Label {
    /// Validate `label`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the rule it breaks.
    pub fn new(label: &str) -> Result<Self> {
        check_common("label", label)?;
        if label.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(
                "label",
                format!("{label:?} is all digits, which reads as a pane index"),
            ));
        }
        if label.starts_with('%') {
            return Err(Error::invalid(
                "label",
                format!("{label:?} starts with '%', which reads as a pane id"),
            ));
        }
        Ok(Label(label.to_owned()))
    }

    /// The label as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tmux pane id such as `%12`: stable for the pane's whole life, unlike its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaneId(u32);

impl PaneId {
    /// The number after `%`.
    pub fn number(self) -> u32 {
        self.0
    }
}

impl fmt::Display for PaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

impl FromStr for PaneId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let digits = s
            .strip_prefix('%')
            .ok_or_else(|| Error::invalid("pane id", format!("{s:?} does not start with '%'")))?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(
                "pane id",
                format!("{s:?} is not '%' and digits"),
            ));
        }
        digits
            .parse()
            .map(PaneId)
            .map_err(|_| Error::invalid("pane id", format!("{s:?} is out of range")))
    }
}

/// How a caller names a pane: its index in the session's first window, its id, or its label.
///
/// Parsed from a string: all digits is an index, `%N` an id, anything else a label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaneRef {
    /// The pane's index (`pane_index`) in the session's current window.
    Index(u32),
    /// A tmux pane id.
    Id(PaneId),
    /// A ctmux label.
    Label(Label),
}

impl FromStr for PaneRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::invalid("pane", "must not be empty"));
        }
        if s.starts_with('%') {
            return s.parse().map(PaneRef::Id);
        }
        if s.chars().all(|c| c.is_ascii_digit()) {
            return s
                .parse()
                .map(PaneRef::Index)
                .map_err(|_| Error::invalid("pane", format!("index {s:?} is out of range")));
        }
        Label::new(s).map(PaneRef::Label)
    }
}

impl fmt::Display for PaneRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaneRef::Index(i) => write!(f, "{i}"),
            PaneRef::Id(id) => write!(f, "{id}"),
            PaneRef::Label(l) => write!(f, "{l}"),
        }
    }
}

impl From<PaneId> for PaneRef {
    fn from(id: PaneId) -> Self {
        PaneRef::Id(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn session_names() {
        for ok in ["api", "my session", "ünï", "a-b_c"] {
            assert!(SessionName::new(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(201);
        for bad in [
            "",
            "a:b",
            "a.b",
            "a\nb",
            "a\u{7}",
            "$1",
            "=x",
            "-x",
            long.as_str(),
        ] {
            assert_eq!(
                SessionName::new(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
        assert!(SessionName::new(&"x".repeat(200)).is_ok());
    }

    #[test]
    fn pane_refs() {
        assert_eq!("3".parse::<PaneRef>().unwrap(), PaneRef::Index(3));
        assert_eq!(
            "%12".parse::<PaneRef>().unwrap(),
            PaneRef::Id("%12".parse().unwrap())
        );
        assert!(matches!(
            "web".parse::<PaneRef>().unwrap(),
            PaneRef::Label(_)
        ));
        for bad in ["", "%", "%x", "%-1", "a\tb", "99999999999"] {
            assert_eq!(
                bad.parse::<PaneRef>().unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
        assert_eq!("%7".parse::<PaneId>().unwrap().to_string(), "%7");
    }

    #[test]
    fn labels() {
        assert!(Label::new("web-1").is_ok());
        for bad in ["", "12", "%x", "a\nb"] {
            assert!(Label::new(bad).is_err(), "{bad:?}");
        }
    }
}
