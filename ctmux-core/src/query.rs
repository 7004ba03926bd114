//! Questions about every session of a server at once: [`Ctmux::sessions_list_all`],
//! [`Ctmux::panes_count_global`] and [`Ctmux::sessions_find_pattern`].
//!
//! Each lists all panes of the server in one tmux round trip, then captures the panes it
//! needs to read (one round trip per pane).

use crate::client::{no_sessions, Ctmux, SEP};
use crate::error::Result;
use crate::groups_file;
use crate::health::{evaluate, HealthState, Reason};
use crate::ids::SessionName;
use crate::pane::{Pane, PaneInfo};
use crate::session::Session;
use crate::watch::compile;
use serde::Serialize;

/// Most matching lines reported per pane by [`Ctmux::sessions_find_pattern`] (the last ones).
pub const MAX_MATCH_LINES: usize = 100;

/// One session with its panes, groups, dependencies and health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionOverview {
    /// tmux session id (`$3`).
    pub id: String,
    /// Session name.
    pub name: String,
    /// Number of windows.
    pub windows: u32,
    /// Attached clients.
    pub attached: u32,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Last activity, Unix seconds.
    pub activity: u64,
    /// Every pane (all windows).
    pub panes: Vec<PaneInfo>,
    /// Groups it belongs to.
    pub groups: Vec<String>,
    /// Sessions it needs.
    pub depends_on: Vec<String>,
    /// Its health (as [`Ctmux::session_health`]).
    pub health: HealthState,
    /// Why it is not healthy.
    pub reasons: Vec<Reason>,
}

/// A group member whose session does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingMember {
    /// Session name.
    pub name: String,
    /// The groups naming it.
    pub groups: Vec<String>,
}

/// The answer of [`Ctmux::sessions_list_all`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// Every live session, in tmux's order.
    pub sessions: Vec<SessionOverview>,
    /// Group members that do not exist.
    pub missing: Vec<MissingMember>,
}

/// Totals over the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PaneTotals {
    /// Panes over all sessions and windows.
    pub pane_count: u32,
    /// Sessions.
    pub session_count: u32,
}

/// A pane's lines matching a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaneMatches {
    /// tmux pane id.
    pub pane_id: String,
    /// Index within its window.
    pub index: u32,
    /// Its window's index.
    pub window_index: u32,
    /// Its label, if any.
    pub label: Option<String>,
    /// How many lines matched.
    pub match_count: usize,
    /// The matching lines, oldest first (the last [`MAX_MATCH_LINES`]).
    pub lines: Vec<String>,
}

/// A session with at least one matching pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionMatches {
    /// Session name.
    pub name: String,
    /// Its panes with matches.
    pub panes: Vec<PaneMatches>,
}

/// A session row of the all-panes listing.
struct Row {
    id: String,
    name: String,
    windows: u32,
    attached: u32,
    created: u64,
    activity: u64,
    panes: Vec<PaneInfo>,
}

impl Row {
    fn session(&self, client: &Ctmux) -> Result<Session> {
        Ok(Session::new(
            client.clone(),
            self.id.clone(),
            SessionName::new(&self.name)?,
        ))
    }
}

impl Ctmux {
    /// Every session with its panes, one round trip. No server is an empty list.
    fn all_rows(&self) -> Result<Vec<Row>> {
        let prefix = [
            "#{session_id}",
            "#{session_name}",
            "#{session_windows}",
            "#{session_attached}",
            "#{session_created}",
            "#{session_activity}",
        ]
        .join(&SEP.to_string());
        let fmt = format!("{prefix}{SEP}{}", PaneInfo::format());
        let out = match self.tmux(&["list-panes", "-a", "-F", &fmt]) {
            Ok(out) => out,
            Err(e) if no_sessions(&e) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut rows: Vec<Row> = Vec::new();
        for line in out.lines() {
            let f: Vec<&str> = line.splitn(7, SEP).collect();
            let [id, name, windows, attached, created, activity, rest] = f[..] else {
                continue;
            };
            let pane = PaneInfo::parse(rest)?;
            match rows.iter_mut().find(|r| r.id == id) {
                Some(r) => r.panes.push(pane),
                None => rows.push(Row {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    windows: windows.parse().unwrap_or(0),
                    attached: attached.parse().unwrap_or(0),
                    created: created.parse().unwrap_or(0),
                    activity: activity.parse().unwrap_or(0),
                    panes: vec![pane],
                }),
            }
        }
        Ok(rows)
    }

    /// Every session with its panes, groups, dependencies and health, plus the group members
    /// that do not exist. Health is checked as [`Ctmux::session_health`] does, readiness
    /// check included.
    ///
    /// # Errors
    /// [`Error::Corrupt`](crate::Error::Corrupt) for a bad groups file; tmux errors.
    pub fn sessions_list_all(&self) -> Result<Overview> {
        let file = groups_file::load(self.state_dir())?;
        let graph = file.graph();
        let rows = self.all_rows()?;
        let mut sessions = Vec::with_capacity(rows.len());
        for row in rows {
            let session = row.session(self)?;
            let config = file.health.get(&row.name).cloned().unwrap_or_default();
            let ready = config
                .readiness
                .as_ref()
                .map(|r| crate::readiness::probe(&session, &row.panes, r));
            let report = evaluate(&session, &config, &row.panes, ready)?;
            sessions.push(SessionOverview {
                groups: file.groups_of(&row.name),
                depends_on: graph.needs(&row.name),
                health: report.health,
                reasons: report.reasons,
                id: row.id,
                name: row.name,
                windows: row.windows,
                attached: row.attached,
                created: row.created,
                activity: row.activity,
                panes: row.panes,
            });
        }
        let mut missing: Vec<MissingMember> = Vec::new();
        for g in file.groups.values() {
            for m in &g.sessions {
                if !sessions.iter().any(|s| &s.name == m) && !missing.iter().any(|x| &x.name == m) {
                    missing.push(MissingMember {
                        name: m.clone(),
                        groups: file.groups_of(m),
                    });
                }
            }
        }
        missing.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Overview { sessions, missing })
    }

    /// Number of panes and sessions on the server (one round trip; no server is zero).
    ///
    /// # Errors
    /// tmux errors other than "no server".
    pub fn panes_count_global(&self) -> Result<PaneTotals> {
        let list = self.session_list()?;
        Ok(PaneTotals {
            pane_count: list.iter().map(|s| s.panes).sum(),
            session_count: list.len() as u32,
        })
    }

    /// The sessions and panes whose text contains a line matching `pattern` (Rust regex,
    /// per line), with the matching lines. Searches the visible screen plus `history` lines
    /// above it, or the whole history when `None`. Sessions without a match are left out.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a bad regex (before tmux is
    /// asked); tmux errors.
    pub fn sessions_find_pattern(
        &self,
        pattern: &str,
        history: Option<u32>,
    ) -> Result<Vec<SessionMatches>> {
        let re = compile(pattern)?;
        let mut found = Vec::new();
        for row in self.all_rows()? {
            let session = row.session(self)?;
            let mut panes = Vec::new();
            for p in &row.panes {
                let pane = Pane::new(session.clone(), p.pane_id.parse()?);
                let text = match pane.capture(Some(history.unwrap_or(p.history_size))) {
                    Ok(t) => t,
                    Err(e) if e.kind() == crate::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let hits: Vec<&str> = text.lines().filter(|l| re.is_match(l)).collect();
                if hits.is_empty() {
                    continue;
                }
                let keep = &hits[hits.len().saturating_sub(MAX_MATCH_LINES)..];
                panes.push(PaneMatches {
                    pane_id: p.pane_id.clone(),
                    index: p.index,
                    window_index: p.window_index,
                    label: p.label.clone(),
                    match_count: hits.len(),
                    lines: keep.iter().map(|l| (*l).to_owned()).collect(),
                });
            }
            if !panes.is_empty() {
                found.push(SessionMatches {
                    name: row.name,
                    panes,
                });
            }
        }
        Ok(found)
    }
}
