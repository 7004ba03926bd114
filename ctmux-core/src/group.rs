//! Session groups and dependencies, stored in the state dir's `groups.json`
//! ([`crate::groups_file`]).
//!
//! A group is a named list of session names plus metadata; a member may carry a
//! [`StartSpec`] (command, cwd, pane) that [`Ctmux::group_up`] uses to start it. A member
//! whose session does not exist is listed with status `missing`, never an error.
//! Dependencies ("A needs B") are global, not per group: [`Ctmux::session_depends`] refuses
//! an edge that would close a cycle, and [`Ctmux::start_order`] gives a topological order.
//! Running things across a group (exec, kill, up) is in [`crate::orchestrate`].
//!
//! ```
//! use ctmux_core::{IsolatedServer, StartSpec};
//! # fn main() -> ctmux_core::Result<()> {
//! let server = IsolatedServer::start()?;
//! let client = server.client()?;
//! client.group_create("stack", &Default::default())?;
//! client.group_add("stack", "db", Some(&StartSpec::new("sleep 100")))?;
//! client.group_add("stack", "api", Some(&StartSpec::new("sleep 100")))?;
//! client.session_depends("api", "db")?;
//! assert_eq!(client.start_order(Some("stack"))?, ["db", "api"]);
//! let g = client.group("stack")?;
//! assert_eq!(g.members[1].status, ctmux_core::MemberStatus::Missing); // not started yet
//! # Ok(()) }
//! ```

use crate::client::{Ctmux, SessionInfo};
use crate::deps::DepGraph;
use crate::error::{Error, Result};
use crate::groups_file::{self, GroupRecord, StartSpec};
use crate::ids::{SessionName, MAX_NAME_LEN};
use serde::Serialize;
use std::collections::BTreeMap;

/// Longest metadata value of a group, in bytes.
pub const MAX_GROUP_META_VALUE: usize = 64 * 1024;

/// Check a group name: 1 to [`MAX_NAME_LEN`] characters, no control characters, not
/// starting with `-` (it would read as an option).
///
/// # Errors
/// [`Error::InvalidInput`] naming the rule it breaks.
pub fn check_group_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("group name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "group name",
            format!("longer than {MAX_NAME_LEN} characters"),
        ));
    }
    if name.chars().any(char::is_control) || name.starts_with('-') {
        return Err(Error::invalid(
            "group name",
            format!("{name:?} holds a control character or starts with '-'"),
        ));
    }
    Ok(())
}

fn check_meta(key: &str, value: &str) -> Result<()> {
    if key.is_empty()
        || key.len() > 64
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::invalid(
            "metadata key",
            format!("{key:?} must be 1-64 characters of [A-Za-z0-9_-]"),
        ));
    }
    if value.len() > MAX_GROUP_META_VALUE || value.contains('\0') {
        return Err(Error::invalid(
            "metadata value",
            format!("of {key}: over {MAX_GROUP_META_VALUE} bytes or holds NUL"),
        ));
    }
    Ok(())
}

/// Whether a group member's session exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// The session exists on the server.
    Live,
    /// No session of that name exists.
    Missing,
}

/// A group member as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberInfo {
    /// Session name.
    pub name: String,
    /// Whether the session exists.
    pub status: MemberStatus,
    /// tmux session id when live.
    pub session_id: Option<String>,
    /// Pane count when live.
    pub panes: Option<u32>,
    /// How [`Ctmux::group_up`] starts it, if it can.
    pub start: Option<StartSpec>,
    /// The sessions it needs (direct dependencies).
    pub depends_on: Vec<String>,
}

/// A group as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// When it was created (RFC 3339 UTC), if known.
    pub created_at: Option<String>,
    /// Its metadata.
    pub metadata: BTreeMap<String, String>,
    /// Its members, in the order they were added.
    pub members: Vec<MemberInfo>,
}

fn describe(name: &str, g: &GroupRecord, graph: &DepGraph, live: &[SessionInfo]) -> GroupInfo {
    let members = g
        .sessions
        .iter()
        .map(|s| {
            let info = live.iter().find(|l| &l.name == s);
            MemberInfo {
                name: s.clone(),
                status: if info.is_some() {
                    MemberStatus::Live
                } else {
                    MemberStatus::Missing
                },
                session_id: info.map(|i| i.id.clone()),
                panes: info.map(|i| i.panes),
                start: g.start.get(s).cloned(),
                depends_on: graph.needs(s),
            }
        })
        .collect();
    GroupInfo {
        name: name.to_owned(),
        created_at: g.created_at.clone(),
        metadata: g.metadata.clone(),
        members,
    }
}

impl Ctmux {
    /// Create an empty group with `metadata` (keys `[A-Za-z0-9_-]{1,64}`, values up to
    /// 64 KiB).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name or metadata; [`Error::AlreadyExists`] if the
    /// group exists; [`Error::Corrupt`] / [`Error::Io`] for the groups file.
    pub fn group_create(
        &self,
        name: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<GroupInfo> {
        check_group_name(name)?;
        for (k, v) in metadata {
            check_meta(k, v)?;
        }
        let record = groups_file::update(self.state_dir(), |f| {
            if f.groups.contains_key(name) {
                return Err(Error::AlreadyExists {
                    what: "group",
                    name: name.to_owned(),
                });
            }
            let record = GroupRecord {
                created_at: Some(groups_file::now_rfc3339()),
                metadata: metadata.clone(),
                ..GroupRecord::default()
            };
            f.groups.insert(name.to_owned(), record.clone());
            Ok(record)
        })?;
        Ok(describe(name, &record, &DepGraph::new(), &[]))
    }

    /// Delete the group's definition (its sessions are left alone).
    ///
    /// # Errors
    /// [`Error::NotFound`] if there is no such group; else as [`Ctmux::group_create`].
    pub fn group_delete(&self, name: &str) -> Result<()> {
        check_group_name(name)?;
        groups_file::update(self.state_dir(), |f| {
            f.groups
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| Error::not_found("group", name))
        })
    }

    /// Add `session` to `group`, optionally with a start spec. Without one the session must
    /// exist now (a member ctmux can neither find nor start is a typo).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad session name or spec; [`Error::NotFound`] for an
    /// unknown group, a missing session without a start spec, or a spec's missing cwd;
    /// [`Error::AlreadyExists`] if it is already a member.
    pub fn group_add(&self, group: &str, session: &str, start: Option<&StartSpec>) -> Result<()> {
        check_group_name(group)?;
        let name = SessionName::new(session)?;
        if let Some(spec) = start {
            spec.validate()?;
            if let Some(cwd) = &spec.cwd {
                if !cwd.is_dir() {
                    return Err(Error::not_found("directory", cwd.display().to_string()));
                }
            }
        } else {
            // Fail early for an unknown group, before asking tmux.
            groups_file::load(self.state_dir())?.group(group)?;
            self.session(name.as_str()).map_err(|e| match e.kind() {
                crate::ErrorKind::NotFound => Error::not_found(
                    "session",
                    format!("{name} (to add a session that does not exist yet, give it a start command)"),
                ),
                _ => e,
            })?;
        }
        groups_file::update(self.state_dir(), |f| {
            let g = f.group_mut(group)?;
            if g.sessions.iter().any(|s| s == name.as_str()) {
                return Err(Error::AlreadyExists {
                    what: "group member",
                    name: format!("{name} in group {group}"),
                });
            }
            g.sessions.push(name.to_string());
            if let Some(spec) = start {
                g.start.insert(name.to_string(), spec.clone());
            }
            Ok(())
        })
    }

    /// Remove `session` from `group` (the session itself is left alone).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown group or a session that is not a member.
    pub fn group_remove(&self, group: &str, session: &str) -> Result<()> {
        check_group_name(group)?;
        let name = SessionName::new(session)?;
        groups_file::update(self.state_dir(), |f| {
            let g = f.group_mut(group)?;
            let before = g.sessions.len();
            g.sessions.retain(|s| s != name.as_str());
            if g.sessions.len() == before {
                return Err(Error::not_found(
                    "group member",
                    format!("{name} in group {group}"),
                ));
            }
            g.start.remove(name.as_str());
            Ok(())
        })
    }

    /// Every group, sorted by name, with each member's status (one tmux round trip).
    ///
    /// # Errors
    /// [`Error::Corrupt`] / [`Error::Io`] for the groups file; tmux errors.
    pub fn group_list(&self) -> Result<Vec<GroupInfo>> {
        let file = groups_file::load(self.state_dir())?;
        if file.groups.is_empty() {
            return Ok(Vec::new());
        }
        let live = self.session_list()?;
        let graph = file.graph();
        Ok(file
            .groups
            .iter()
            .map(|(n, g)| describe(n, g, &graph, &live))
            .collect())
    }

    /// One group, with each member's status.
    ///
    /// # Errors
    /// [`Error::NotFound`] if there is no such group; else as [`Ctmux::group_list`].
    pub fn group(&self, name: &str) -> Result<GroupInfo> {
        check_group_name(name)?;
        let file = groups_file::load(self.state_dir())?;
        let g = file.group(name)?;
        let live = if g.sessions.is_empty() {
            Vec::new()
        } else {
            self.session_list()?
        };
        Ok(describe(name, g, &file.graph(), &live))
    }

    /// Record that session `a` needs session `b` (neither need exist yet).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad name, `a == b`, or an edge that would close a cycle
    /// (the message names the cycle); [`Error::AlreadyExists`] if it is recorded already.
    pub fn session_depends(&self, a: &str, b: &str) -> Result<()> {
        let (a, b) = (SessionName::new(a)?, SessionName::new(b)?);
        groups_file::update(self.state_dir(), |f| {
            let mut graph = f.graph();
            graph.add(a.as_str(), b.as_str())?;
            f.dependencies = graph.to_map();
            Ok(())
        })
    }

    /// Forget that `a` needs `b`.
    ///
    /// # Errors
    /// [`Error::NotFound`] if that dependency is not recorded; [`Error::InvalidInput`] for a
    /// bad name.
    pub fn session_undepend(&self, a: &str, b: &str) -> Result<()> {
        let (a, b) = (SessionName::new(a)?, SessionName::new(b)?);
        groups_file::update(self.state_dir(), |f| {
            let mut graph = f.graph();
            graph.remove(a.as_str(), b.as_str())?;
            f.dependencies = graph.to_map();
            Ok(())
        })
    }

    /// The recorded dependency graph.
    ///
    /// # Errors
    /// [`Error::Corrupt`] / [`Error::Io`] for the groups file.
    pub fn dependencies(&self) -> Result<DepGraph> {
        Ok(groups_file::load(self.state_dir())?.graph())
    }

    /// Start order: of a group's members and everything they need (ties in member order),
    /// or with `None` of every session named in a dependency (ties by name).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown group; [`Error::InvalidInput`] naming a cycle
    /// (possible only in a hand-edited file).
    pub fn start_order(&self, group: Option<&str>) -> Result<Vec<String>> {
        let file = groups_file::load(self.state_dir())?;
        let graph = file.graph();
        match group {
            Some(g) => {
                check_group_name(g)?;
                graph.order_of(&file.group(g)?.sessions)
            }
            None => graph.order(),
        }
    }
}
