//! The impure half of GC: read the [`World`] from tmux and the state dir, and execute a
//! plan's actions.

use super::plan::{
    DeadPaneFacts, GcAction, LogFacts, MemberFacts, SessionFacts, SnapshotFacts, World,
};
use super::{GcConfig, GcReport, Skipped, KEEP_OPTION};
use crate::client::{clients_listing, no_sessions, people_attached, Ctmux, SEP};
use crate::error::Result;
use crate::pane::foreground_job;
use std::collections::{HashMap, HashSet};
use std::time::UNIX_EPOCH;

/// Whether a `@ctmux-keep` value marks the session kept.
pub(crate) fn is_kept(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty() && v != "0" && v != "off"
}

/// What one tmux round trip tells: live sessions, dead panes, and the numbers of all panes.
type TmuxFacts = (Vec<SessionFacts>, Vec<DeadPaneFacts>, HashSet<String>);

/// Live sessions, dead panes and every pane's number, in one tmux round trip.
fn tmux_facts(client: &Ctmux) -> Result<TmuxFacts> {
    let clients = clients_listing();
    let out = match client.tmux(&[
        "list-sessions",
        "-F",
        &format!("S{SEP}#{{session_id}}{SEP}#{{session_name}}{SEP}#{{{KEEP_OPTION}}}"),
        ";",
        "list-panes",
        "-a",
        "-F",
        &format!(
            "P{SEP}#{{session_id}}{SEP}#{{pane_id}}{SEP}#{{pane_pid}}{SEP}#{{pane_dead}}{SEP}\
             #{{pane_dead_time}}{SEP}#{{window_activity}}"
        ),
        ";",
        &clients[0],
        &clients[1],
        &clients[2],
    ]) {
        Ok(o) => o,
        Err(e) if no_sessions(&e) => return Ok((Vec::new(), Vec::new(), HashSet::new())),
        Err(e) => return Err(e),
    };
    let mut sessions: Vec<SessionFacts> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut dead = Vec::new();
    let mut panes = HashSet::new();
    let people = people_attached(&out);
    for line in out.lines() {
        let f: Vec<&str> = line.split(SEP).collect();
        match f.as_slice() {
            ["S", id, name, keep] => {
                index.insert(id.to_string(), sessions.len());
                sessions.push(SessionFacts {
                    id: id.to_string(),
                    name: name.to_string(),
                    // From its windows' output below: `session_activity` also moves when
                    // any client attaches (ctmux's own control connections included).
                    activity: 0,
                    running: false,
                    keep: is_kept(keep),
                    attached: people.get(*id).copied().unwrap_or(0),
                });
            }
            ["P", sid, pane_id, pid, is_dead, dead_time, window_activity] => {
                panes.insert(pane_id.trim_start_matches('%').to_owned());
                let Some(&i) = index.get(*sid) else { continue };
                let s = &mut sessions[i];
                s.activity = s.activity.max(window_activity.parse().unwrap_or(0));
                if *is_dead == "1" {
                    dead.push(DeadPaneFacts {
                        pane_id: pane_id.to_string(),
                        session: s.name.clone(),
                        dead_since: dead_time.parse().ok(),
                    });
                } else if let Ok(pid) = pid.parse::<i32>() {
                    s.running |= pid > 0 && foreground_job(pid).is_some();
                }
            }
            _ => {}
        }
    }
    Ok((sessions, dead, panes))
}

fn mtime_ms(path: &std::path::Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

/// Rotated event logs of this server (`<state>/servers/<key>/events.log.*`).
fn event_logs(client: &Ctmux) -> Vec<LogFacts> {
    let dir = client
        .state_dir()
        .path()
        .join("servers")
        .join(client.server().key());
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut logs: Vec<LogFacts> = rd
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_prefix("events.log.")
                .is_some_and(|rest| !rest.is_empty())
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| LogFacts {
            modified_ms: mtime_ms(&e.path()),
            file: e.path(),
        })
        .collect();
    logs.sort_by(|a, b| a.file.cmp(&b.file));
    logs
}

/// Read everything GC decides over.
///
/// # Errors
/// [`Error::Corrupt`] for a corrupt groups file; tmux or I/O errors.
pub(crate) fn gather(client: &Ctmux, now_ms: u64) -> Result<World> {
    // Exec files before the pane listing (see `leftovers::exec_files`).
    let exec_files = crate::leftovers::exec_files(client)?;
    let (sessions, dead_panes, panes) = tmux_facts(client)?;
    let leftovers = crate::leftovers::find(exec_files, &panes, client.state_dir().path());
    let groups = crate::groups_file::load(client.state_dir())?;
    let members = groups
        .groups
        .iter()
        .flat_map(|(g, rec)| {
            rec.sessions.iter().map(move |s| MemberFacts {
                group: g.clone(),
                session: s.clone(),
                has_start: rec.start.contains_key(s),
            })
        })
        .collect();
    let dependencies = groups
        .dependencies
        .iter()
        .flat_map(|(a, bs)| bs.iter().map(move |b| (a.clone(), b.clone())))
        .collect();
    let health = groups.health.keys().cloned().collect();
    let snapshots = crate::snapshot::store::list(client.state_dir(), None)?
        .into_iter()
        .map(|e| SnapshotFacts {
            file: e.file,
            session: e.session,
            saved_at_ms: e.saved_at_ms,
        })
        .collect();
    Ok(World {
        now_ms,
        sessions,
        dead_panes,
        members,
        dependencies,
        health,
        snapshots,
        event_logs: event_logs(client),
        leftovers,
    })
}

/// Why a session may not be killed now: a second look right before the kill, at every
/// protection (a job, output within `recent_seconds`, a client, the keep mark).
fn still_protected(client: &Ctmux, session_id: &str, recent_seconds: u64) -> Option<String> {
    let clients = clients_listing();
    let out = client
        .tmux(&[
            "list-panes",
            "-s",
            "-t",
            session_id,
            "-F",
            &format!(
                "#{{pane_pid}}{SEP}#{{pane_dead}}{SEP}#{{{KEEP_OPTION}}}{SEP}\
                 #{{window_activity}}"
            ),
            ";",
            &clients[0],
            &clients[1],
            &clients[2],
        ])
        .ok()?;
    if people_attached(&out)
        .get(session_id)
        .is_some_and(|&n| n > 0)
    {
        return Some("a client attached since the plan".into());
    }
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for line in out.lines() {
        let f: Vec<&str> = line.split(SEP).collect();
        if let [pid, dead, keep, w_act] = f.as_slice() {
            if is_kept(keep) {
                return Some("marked keep since the plan".into());
            }
            if *dead != "1"
                && pid
                    .parse::<i32>()
                    .is_ok_and(|p| foreground_job(p).is_some())
            {
                return Some("started a job since the plan".into());
            }
            let activity = w_act.parse::<u64>().unwrap_or(0);
            if now.saturating_sub(activity) < recent_seconds.max(1) {
                return Some("had output since the plan".into());
            }
        }
    }
    None
}

/// Execute `actions`, filling `report` in plan order.
pub(crate) fn execute(
    client: &Ctmux,
    config: &GcConfig,
    actions: Vec<GcAction>,
    report: &mut GcReport,
) -> Result<()> {
    let mut outcomes: Vec<Option<std::result::Result<(), String>>> = Vec::new();
    let mut state_drops: Vec<usize> = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let outcome = match a {
            GcAction::KillSession { session_id, .. } => {
                match still_protected(client, session_id, config.recent_seconds) {
                    Some(why) => Err(why),
                    None => client
                        .tmux(&["kill-session", "-t", session_id])
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                }
            }
            GcAction::KillDeadPane { pane_id, .. } => {
                match client.tmux(&[
                    "display-message",
                    "-p",
                    "-t",
                    pane_id,
                    "#{pane_id} #{pane_dead}",
                ]) {
                    Ok(o) if o.trim() == format!("{pane_id} 1") => client
                        .tmux(&["kill-pane", "-t", pane_id])
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Ok(_) => Err("the pane is no longer dead".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
            GcAction::DropGroupMember { .. }
            | GcAction::DropDependency { .. }
            | GcAction::DropHealth { .. } => {
                state_drops.push(i);
                outcomes.push(None);
                continue;
            }
            GcAction::DeleteSnapshot { file, .. } => {
                crate::snapshot::store::delete(client.state_dir(), file).map_err(|e| e.to_string())
            }
            GcAction::DeleteLeftover { file, .. } => match std::fs::remove_file(file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("removing {}: {e}", file.display()))
                }
                // Gone already (a state-sync at the same time) is as good.
                _ => Ok(()),
            },
            GcAction::DeleteEventLog { file, .. } => {
                std::fs::remove_file(file).map_err(|e| format!("removing {}: {e}", file.display()))
            }
        };
        outcomes.push(Some(outcome));
    }
    if !state_drops.is_empty() {
        // Every state change in one locked read-modify-write of the groups file.
        let results = crate::groups_file::update(client.state_dir(), |file| {
            Ok(state_drops
                .iter()
                .map(|&i| drop_state(file, &actions[i]))
                .collect::<Vec<bool>>())
        });
        match results {
            Ok(found) => {
                for (&i, f) in state_drops.iter().zip(found) {
                    outcomes[i] = Some(if f {
                        Ok(())
                    } else {
                        Err("already gone".into())
                    });
                }
            }
            Err(e) => {
                for &i in &state_drops {
                    outcomes[i] = Some(Err(e.to_string()));
                }
            }
        }
    }
    for (a, outcome) in actions.into_iter().zip(outcomes) {
        match outcome.unwrap_or_else(|| Err("not run".into())) {
            Ok(()) => report.actions.push(a),
            Err(reason) => report.skipped.push(Skipped { action: a, reason }),
        }
    }
    Ok(())
}

/// Apply one state drop to the groups file; whether there was something to drop.
fn drop_state(file: &mut crate::groups_file::GroupsFile, a: &GcAction) -> bool {
    match a {
        GcAction::DropGroupMember { group, session } => {
            file.groups.get_mut(group).is_some_and(|g| {
                let before = g.sessions.len();
                g.sessions.retain(|s| s != session);
                g.start.remove(session);
                g.sessions.len() != before
            })
        }
        GcAction::DropDependency { session, needs } => {
            let found = file.dependencies.get_mut(session).is_some_and(|bs| {
                let before = bs.len();
                bs.retain(|b| b != needs);
                bs.len() != before
            });
            if file.dependencies.get(session).is_some_and(Vec::is_empty) {
                file.dependencies.remove(session);
            }
            found
        }
        GcAction::DropHealth { session } => file.health.remove(session).is_some(),
        _ => false,
    }
}
