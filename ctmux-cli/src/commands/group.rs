//! Session groups: `group-create`, `group-delete`, `group-add`, `group-remove`,
//! `group-list`, `group-exec`, `group-kill`, `group-up`.

use crate::output::{fields, to_fields, Failure, Outcome};
use crate::values::parse_seconds;
use clap::Subcommand;
use ctmux_core::{Ctmux, MemberOutcome, StartSpec};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Default `group-up --timeout`, in seconds.
const UP_TIMEOUT: &str = "60";

/// Parse `KEY=VALUE` for `--meta`.
fn parse_meta(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

/// The group commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
// The variants spell the command names (group-create, ...), prefix included.
#[allow(clippy::enum_variant_names)]
pub enum GroupCommand {
    /// Create an empty group -> group, created_at, metadata
    ///
    /// Groups live in the state dir's groups.json. AlreadyExists if the name is taken.
    GroupCreate {
        /// Group name (no control characters, not starting with '-')
        name: String,
        /// Metadata KEY=VALUE (key: 1-64 characters of [A-Za-z0-9_-]); repeatable
        #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
        meta: Vec<(String, String)>,
    },
    /// Delete a group's definition; its sessions are left alone -> group
    GroupDelete {
        /// Group name
        name: String,
    },
    /// Add a session to a group, optionally with a start command -> group, session, start
    ///
    /// Without --command the session must exist now. With --command (and optionally --cwd and
    /// --pane), group-up can start it: it creates the session in DIR if it is missing and types
    /// CMD into PANE. AlreadyExists if it is already a member.
    GroupAdd {
        /// Group name
        group: String,
        /// Session name
        session: String,
        /// Command group-up types into the member's pane to start it
        #[arg(long, value_name = "CMD", allow_hyphen_values = true)]
        command: Option<String>,
        /// Working directory of a session group-up creates (must exist)
        #[arg(long, value_name = "DIR", requires = "command")]
        cwd: Option<PathBuf>,
        /// Pane to run the command in: index, %id or label (default 0)
        #[arg(long, value_name = "PANE", requires = "command")]
        pane: Option<String>,
    },
    /// Remove a session from a group; the session is left alone -> group, session
    GroupRemove {
        /// Group name
        group: String,
        /// Session name
        session: String,
    },
    /// List groups -> groups: [{name, created_at, metadata, members}]; with NAME, that group
    ///
    /// Each member has name, status (live or missing), session_id, panes, start and
    /// depends_on. A member whose session does not exist is "missing", not an error.
    GroupList {
        /// Show only this group (NotFound if there is none)
        name: Option<String>,
    },
    /// Run a command in every member -> results: [{session, status, pane_id, exec_id, ...}]
    ///
    /// Starts CMD in PANE of each live member, then with --wait collects each exit_code and
    /// output. A member's status is ok, missing (no such session) or error (kind and error
    /// say why: Busy, NotFound, Timeout ...); the call itself succeeds. "missing" and
    /// "errors" count them.
    GroupExec {
        /// Group name
        group: String,
        /// Shell command line
        #[arg(allow_hyphen_values = true)]
        cmd: String,
        /// Pane of each member: index, %id or label (default 0)
        #[arg(long, value_name = "PANE")]
        pane: Option<String>,
        /// Wait for every member's command and report exit codes and output
        #[arg(long)]
        wait: bool,
        /// Stop waiting after SECONDS overall (needs --wait)
        #[arg(long, value_name = "SECONDS", requires = "wait", value_parser = parse_seconds)]
        timeout: Option<Duration>,
    },
    /// Kill every member's session; the group stays defined -> results: [{session, status}]
    ///
    /// status is killed or missing.
    GroupKill {
        /// Group name
        group: String,
    },
    /// Start every member in dependency order and wait until all are healthy -> order, steps
    ///
    /// Like docker compose up --wait: a member starts once everything it needs is healthy
    /// (session-health, readiness check included). A member is started by creating its
    /// session if missing and typing its start command (group-add --command) into its pane,
    /// unless that pane already runs a job. Stops at the first failure: kind, error and
    /// failed_session say which session and why (Timeout, exit 124, if one did not become
    /// healthy in time), steps what was done.
    GroupUp {
        /// Group name
        group: String,
        /// Give up after SECONDS overall
        #[arg(long, value_name = "SECONDS", default_value = UP_TIMEOUT, value_parser = parse_seconds)]
        timeout: Duration,
    },
}

impl GroupCommand {
    /// The session the command names, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            GroupCommand::GroupAdd { session, .. } | GroupCommand::GroupRemove { session, .. } => {
                Some(session)
            }
            _ => None,
        }
    }
}

/// Run a group command.
pub fn run(client: &Ctmux, command: &GroupCommand) -> Outcome {
    use GroupCommand as G;
    match command {
        G::GroupCreate { name, meta } => {
            let meta: BTreeMap<String, String> = meta.iter().cloned().collect();
            let g = client.group_create(name, &meta)?;
            Ok(fields([
                ("group", json!(g.name)),
                ("created_at", json!(g.created_at)),
                ("metadata", json!(g.metadata)),
            ]))
        }
        G::GroupDelete { name } => {
            client.group_delete(name)?;
            Ok(fields([("group", json!(name))]))
        }
        G::GroupAdd {
            group,
            session,
            command,
            cwd,
            pane,
        } => {
            let spec = command.as_ref().map(|c| StartSpec {
                command: c.clone(),
                cwd: cwd.clone(),
                pane: pane.clone(),
            });
            client.group_add(group, session, spec.as_ref())?;
            Ok(fields([
                ("group", json!(group)),
                ("session", json!(session)),
                ("start", json!(spec)),
            ]))
        }
        G::GroupRemove { group, session } => {
            client.group_remove(group, session)?;
            Ok(fields([
                ("group", json!(group)),
                ("session", json!(session)),
            ]))
        }
        G::GroupList { name: Some(name) } => {
            let g = client.group(name)?;
            Ok(fields([
                ("group", json!(g.name)),
                ("created_at", json!(g.created_at)),
                ("metadata", json!(g.metadata)),
                ("members", json!(g.members)),
            ]))
        }
        G::GroupList { name: None } => Ok(fields([("groups", json!(client.group_list()?))])),
        G::GroupExec {
            group,
            cmd,
            pane,
            wait,
            timeout,
        } => {
            let results = client.group_exec(group, cmd, pane.as_deref(), *wait, *timeout)?;
            let count = |o: MemberOutcome| results.iter().filter(|r| r.status == o).count();
            Ok(fields([
                ("group", json!(group)),
                ("missing", json!(count(MemberOutcome::Missing))),
                ("errors", json!(count(MemberOutcome::Error))),
                ("results", json!(results)),
            ]))
        }
        G::GroupKill { group } => Ok(fields([
            ("group", json!(group)),
            ("results", json!(client.group_kill(group)?)),
        ])),
        G::GroupUp { group, timeout } => {
            let up = client.group_up_report(group, *timeout)?;
            let failed = up.failure.as_ref().map(|f| f.session.clone());
            let mut f = to_fields(&up)?;
            f.remove("failure");
            match up.into_result() {
                Ok(_) => Ok(f),
                Err(e) => {
                    let mut failure = Failure::from(e).with("failed_session", failed);
                    failure.fields.extend(f);
                    Err(failure)
                }
            }
        }
    }
}
