//! The pure half of GC: a [`World`] (what exists, with times and marks) and the
//! [`plan_world`] function that decides what a run removes. No tmux, no files: it is
//! property-tested over random worlds.

use super::GcConfig;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// A live session as GC sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionFacts {
    /// tmux session id (`$3`).
    pub id: String,
    /// Session name.
    pub name: String,
    /// Last output, Unix seconds: the latest `window_activity` of its windows (not
    /// `session_activity`, which also moves whenever a client attaches, ctmux's own control
    /// connections included).
    pub activity: u64,
    /// Whether any of its panes runs a foreground job.
    pub running: bool,
    /// Whether it carries the `keep` mark (`@ctmux-keep`).
    pub keep: bool,
    /// Attached clients (a person looking at it).
    pub attached: u32,
}

/// A dead pane (its process exited, kept by `remain-on-exit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadPaneFacts {
    /// The pane's id.
    pub pane_id: String,
    /// Its session's name.
    pub session: String,
    /// When it died, Unix seconds, if tmux says.
    pub dead_since: Option<u64>,
}

/// A saved snapshot in the default directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotFacts {
    /// The file.
    pub file: PathBuf,
    /// The session it was saved from.
    pub session: String,
    /// When, Unix milliseconds.
    pub saved_at_ms: u64,
}

/// A rotated event log (`events.log.*`; the live `events.log` is never a candidate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogFacts {
    /// The file.
    pub file: PathBuf,
    /// Its modification time, Unix milliseconds.
    pub modified_ms: u64,
}

/// One group membership in the groups file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberFacts {
    /// The group.
    pub group: String,
    /// The member session.
    pub session: String,
    /// Whether the group says how to start it (then it is a declaration, not stale state).
    pub has_start: bool,
}

/// Everything GC decides over.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct World {
    /// Now, Unix milliseconds.
    pub now_ms: u64,
    /// Live sessions.
    pub sessions: Vec<SessionFacts>,
    /// Dead panes.
    pub dead_panes: Vec<DeadPaneFacts>,
    /// Group memberships.
    pub members: Vec<MemberFacts>,
    /// Dependency edges `(session, needs)`.
    pub dependencies: Vec<(String, String)>,
    /// Sessions with health settings.
    pub health: Vec<String>,
    /// Snapshots in the default directory.
    pub snapshots: Vec<SnapshotFacts>,
    /// Rotated event logs.
    pub event_logs: Vec<LogFacts>,
    /// Files ctmux left behind (exec files of gone panes, temp files of killed writes).
    pub leftovers: Vec<crate::leftovers::Leftover>,
}

/// How a run widens or narrows the configured rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcOptions {
    /// Widen the rules: idle sessions go after the "recent output" window instead of the
    /// TTL, dead panes, stale snapshots (beyond the last N) and rotated logs go whatever
    /// their age. Protected sessions (keep, running job, recent output, attached) still
    /// survive.
    pub force: bool,
    /// Use this idle TTL (seconds) instead of the configured one.
    pub ttl_seconds: Option<u64>,
}

/// One thing a run removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum GcAction {
    /// Kill an idle session.
    KillSession {
        /// Its name.
        session: String,
        /// Its tmux id.
        session_id: String,
        /// Seconds since its last activity.
        idle_seconds: u64,
    },
    /// Kill a dead pane.
    KillDeadPane {
        /// The pane.
        pane_id: String,
        /// Its session.
        session: String,
        /// Seconds since it died, if known.
        dead_seconds: Option<u64>,
    },
    /// Remove a session that no longer exists from a group.
    DropGroupMember {
        /// The group.
        group: String,
        /// The gone session.
        session: String,
    },
    /// Remove a dependency naming a session that no longer exists.
    DropDependency {
        /// The session that needed.
        session: String,
        /// The session it needed.
        needs: String,
    },
    /// Remove the health settings of a session that no longer exists.
    DropHealth {
        /// The gone session.
        session: String,
    },
    /// Delete a stale snapshot.
    DeleteSnapshot {
        /// The file.
        file: PathBuf,
        /// The session it was saved from.
        session: String,
        /// Its age in seconds.
        age_seconds: u64,
    },
    /// Delete an old rotated event log.
    DeleteEventLog {
        /// The file.
        file: PathBuf,
        /// Its age in seconds.
        age_seconds: u64,
    },
    /// Delete a file ctmux left behind (always: nothing uses it).
    DeleteLeftover {
        /// The file.
        file: PathBuf,
        /// Why it is a leftover.
        kind: crate::leftovers::LeftoverKind,
    },
}

impl GcAction {
    /// The live session this action kills or changes, if any.
    pub fn live_session(&self) -> Option<&str> {
        match self {
            GcAction::KillSession { session, .. } | GcAction::KillDeadPane { session, .. } => {
                Some(session)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for GcAction {
    /// The log line of the action (`gc kill_session api: idle 90000 s`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GcAction::KillSession {
                session,
                session_id,
                idle_seconds,
            } => write!(
                f,
                "gc kill_session {session} ({session_id}): idle {idle_seconds} s"
            ),
            GcAction::KillDeadPane {
                pane_id,
                session,
                dead_seconds,
            } => match dead_seconds {
                Some(s) => write!(
                    f,
                    "gc kill_dead_pane {pane_id} (session {session}): dead {s} s"
                ),
                None => write!(f, "gc kill_dead_pane {pane_id} (session {session})"),
            },
            GcAction::DropGroupMember { group, session } => {
                write!(
                    f,
                    "gc drop_group_member {session} from group {group}: session gone"
                )
            }
            GcAction::DropDependency { session, needs } => {
                write!(f, "gc drop_dependency {session} -> {needs}: session gone")
            }
            GcAction::DropHealth { session } => {
                write!(f, "gc drop_health {session}: session gone")
            }
            GcAction::DeleteSnapshot {
                file,
                session,
                age_seconds,
            } => write!(
                f,
                "gc delete_snapshot {} (session {session}): {age_seconds} s old",
                file.display()
            ),
            GcAction::DeleteLeftover { file, kind } => write!(
                f,
                "gc delete_leftover {}: {}",
                file.display(),
                match kind {
                    crate::leftovers::LeftoverKind::ExecFileOfGonePane =>
                        "exec file of a pane that no longer exists",
                    crate::leftovers::LeftoverKind::TempFile => "temp file of a killed write",
                }
            ),
            GcAction::DeleteEventLog { file, age_seconds } => write!(
                f,
                "gc delete_event_log {}: {age_seconds} s old",
                file.display()
            ),
        }
    }
}

/// A live session no rule may touch, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protected {
    /// The session.
    pub session: String,
    /// `keep`, `running job`, `recent output`, `attached`.
    pub reasons: Vec<&'static str>,
}

/// What a run would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GcPlan {
    /// The actions, in the order they run.
    pub actions: Vec<GcAction>,
    /// Protected live sessions.
    pub protected: Vec<Protected>,
}

/// Why `s` is protected (empty: it is not). `recent_seconds` is the "recent output"
/// window.
pub fn protection(s: &SessionFacts, now_secs: u64, recent_seconds: u64) -> Vec<&'static str> {
    let mut why = Vec::new();
    if s.keep {
        why.push("keep");
    }
    if s.running {
        why.push("running job");
    }
    if now_secs.saturating_sub(s.activity) < recent_seconds.max(1) {
        why.push("recent output");
    }
    if s.attached > 0 {
        why.push("attached");
    }
    why
}

/// Decide what a run does in `world` under `config` and `opts`.
///
/// Guarantees (property-tested): no action kills or changes a protected session (kept,
/// running a job, with output in the last `recent_seconds`, or attached), and nothing of a
/// kept session (its dead panes, its snapshots) is ever selected, with or without force.
pub fn plan_world(world: &World, config: &GcConfig, opts: &GcOptions) -> GcPlan {
    let now_secs = world.now_ms / 1000;
    let recent = config.recent_seconds;
    let ttl = if opts.force {
        recent
    } else {
        opts.ttl_seconds.unwrap_or(config.ttl_seconds).max(recent)
    };
    let mut plan = GcPlan::default();
    let mut killed: HashSet<&str> = HashSet::new();
    let mut kept: HashSet<&str> = HashSet::new();
    for s in &world.sessions {
        let why = protection(s, now_secs, recent);
        if s.keep {
            kept.insert(&s.name);
        }
        if !why.is_empty() {
            plan.protected.push(Protected {
                session: s.name.clone(),
                reasons: why,
            });
            continue;
        }
        let idle = now_secs.saturating_sub(s.activity);
        if idle >= ttl {
            killed.insert(&s.name);
            plan.actions.push(GcAction::KillSession {
                session: s.name.clone(),
                session_id: s.id.clone(),
                idle_seconds: idle,
            });
        }
    }
    for p in &world.dead_panes {
        if kept.contains(p.session.as_str()) || killed.contains(p.session.as_str()) {
            continue;
        }
        let age = p.dead_since.map(|t| now_secs.saturating_sub(t));
        if opts.force || age.is_some_and(|a| a >= config.dead_pane_seconds) {
            plan.actions.push(GcAction::KillDeadPane {
                pane_id: p.pane_id.clone(),
                session: p.session.clone(),
                dead_seconds: age,
            });
        }
    }
    // State of sessions that no longer exist. A member with a start spec is how its group
    // starts it: a declaration, never stale.
    let live: HashSet<&str> = world.sessions.iter().map(|s| s.name.as_str()).collect();
    let declared: HashSet<&str> = world
        .members
        .iter()
        .filter(|m| m.has_start)
        .map(|m| m.session.as_str())
        .collect();
    let stale = |s: &str| !live.contains(s) && !declared.contains(s);
    for m in &world.members {
        if stale(&m.session) {
            plan.actions.push(GcAction::DropGroupMember {
                group: m.group.clone(),
                session: m.session.clone(),
            });
        }
    }
    for (a, b) in &world.dependencies {
        if stale(a) || stale(b) {
            plan.actions.push(GcAction::DropDependency {
                session: a.clone(),
                needs: b.clone(),
            });
        }
    }
    for s in &world.health {
        if stale(s) {
            plan.actions
                .push(GcAction::DropHealth { session: s.clone() });
        }
    }
    // Snapshots: beyond the newest `keep_last` of a session and older than the max age.
    let mut by_session: BTreeMap<&str, Vec<&SnapshotFacts>> = BTreeMap::new();
    for s in &world.snapshots {
        by_session.entry(&s.session).or_default().push(s);
    }
    for (session, mut snaps) in by_session {
        if kept.contains(session) {
            continue;
        }
        snaps.sort_by(|a, b| b.saved_at_ms.cmp(&a.saved_at_ms).then(b.file.cmp(&a.file)));
        for s in snaps.iter().skip(config.snapshot_keep_last.max(1) as usize) {
            let age = world.now_ms.saturating_sub(s.saved_at_ms) / 1000;
            if opts.force || age > config.snapshot_max_age_seconds {
                plan.actions.push(GcAction::DeleteSnapshot {
                    file: s.file.clone(),
                    session: s.session.clone(),
                    age_seconds: age,
                });
            }
        }
    }
    for l in &world.event_logs {
        let age = world.now_ms.saturating_sub(l.modified_ms) / 1000;
        if opts.force || age > config.event_log_max_age_seconds {
            plan.actions.push(GcAction::DeleteEventLog {
                file: l.file.clone(),
                age_seconds: age,
            });
        }
    }
    for l in &world.leftovers {
        plan.actions.push(GcAction::DeleteLeftover {
            file: l.file.clone(),
            kind: l.kind,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 2_000_000_000;

    fn session(name: &str, idle: u64, running: bool, keep: bool, attached: u32) -> SessionFacts {
        SessionFacts {
            id: format!("${name}"),
            name: name.into(),
            activity: NOW - idle,
            running,
            keep,
            attached,
        }
    }

    fn world() -> impl Strategy<Value = World> {
        let s = (0u64..200_000, any::<bool>(), any::<bool>(), 0u32..2, 0u8..3);
        (
            prop::collection::vec(s, 0..12),
            prop::collection::vec((0usize..14, 0u64..20_000_000, any::<bool>()), 0..30),
            prop::collection::vec((0usize..14, 0u64..8_000, any::<bool>()), 0..8),
            prop::collection::vec((0usize..14, 0usize..14), 0..6),
        )
            .prop_map(|(sessions, snaps, dead, deps)| {
                let name = |i: usize| format!("s{i}");
                let sessions: Vec<SessionFacts> = sessions
                    .into_iter()
                    .enumerate()
                    .map(|(i, (idle, running, keep, attached, _))| {
                        session(&name(i), idle, running, keep, attached)
                    })
                    .collect();
                World {
                    now_ms: NOW * 1000,
                    snapshots: snaps
                        .iter()
                        .enumerate()
                        .map(|(k, (i, age_ms, _))| SnapshotFacts {
                            file: format!("/snap/{k}.json").into(),
                            session: name(*i),
                            saved_at_ms: NOW * 1000 - age_ms * 100,
                        })
                        .collect(),
                    dead_panes: dead
                        .iter()
                        .enumerate()
                        .map(|(k, (i, age, known))| DeadPaneFacts {
                            pane_id: format!("%{k}"),
                            session: name(*i),
                            dead_since: known.then_some(NOW - age),
                        })
                        .collect(),
                    members: snaps
                        .iter()
                        .take(5)
                        .map(|(i, _, start)| MemberFacts {
                            group: "g".into(),
                            session: name(*i),
                            has_start: *start,
                        })
                        .collect(),
                    dependencies: deps.into_iter().map(|(a, b)| (name(a), name(b))).collect(),
                    health: vec![name(13)],
                    event_logs: vec![LogFacts {
                        file: "/l/events.log.1".into(),
                        modified_ms: NOW * 1000 - 9 * 86_400_000,
                    }],
                    leftovers: vec![crate::leftovers::Leftover {
                        file: "/s/servers/k/exec/7x1.cmd".into(),
                        kind: crate::leftovers::LeftoverKind::ExecFileOfGonePane,
                    }],
                    sessions,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn never_touches_a_protected_session(w in world(), force in any::<bool>(),
                                             ttl in prop::option::of(0u64..100_000)) {
            let config = GcConfig::default();
            let plan = plan_world(&w, &config, &GcOptions { force, ttl_seconds: ttl });
            let protected: HashSet<&str> = w
                .sessions
                .iter()
                .filter(|s| !protection(s, NOW, config.recent_seconds).is_empty())
                .map(|s| s.name.as_str())
                .collect();
            let kept: HashSet<&str> =
                w.sessions.iter().filter(|s| s.keep).map(|s| s.name.as_str()).collect();
            for a in &plan.actions {
                if let GcAction::KillSession { session, .. } = a {
                    prop_assert!(!protected.contains(session.as_str()), "{a:?}");
                    let s = w.sessions.iter().find(|s| &s.name == session).unwrap();
                    prop_assert!(!s.keep && !s.running && s.attached == 0);
                    prop_assert!(NOW - s.activity >= config.recent_seconds);
                }
                match a {
                    GcAction::KillDeadPane { session, .. }
                    | GcAction::DeleteSnapshot { session, .. } => {
                        prop_assert!(!kept.contains(session.as_str()), "{a:?}");
                    }
                    GcAction::DropGroupMember { session, .. }
                    | GcAction::DropHealth { session } => {
                        prop_assert!(!w.sessions.iter().any(|s| &s.name == session));
                    }
                    _ => {}
                }
            }
            // The newest snapshots of each session always stay.
            let mut per: BTreeMap<&str, usize> = BTreeMap::new();
            for s in &w.snapshots {
                *per.entry(&s.session).or_default() += 1;
            }
            for (session, n) in per {
                let deleted = plan.actions.iter().filter(|a| matches!(a,
                    GcAction::DeleteSnapshot { session: s, .. } if s == session)).count();
                prop_assert!(n - deleted >= (config.snapshot_keep_last as usize).min(n));
            }
            // Force only widens: whatever the plain run selects, force selects too.
            let forced = plan_world(&w, &config, &GcOptions { force: true, ttl_seconds: ttl });
            let plain = plan_world(&w, &config, &GcOptions { force: false, ttl_seconds: ttl });
            for a in &plain.actions {
                let covered = forced.actions.contains(a)
                    || matches!(a, GcAction::KillDeadPane { session, .. }
                        if forced.actions.iter().any(|f| matches!(f,
                            GcAction::KillSession { session: k, .. } if k == session)));
                prop_assert!(covered, "{a:?} missing under force");
            }
        }
    }

    #[test]
    fn rules_by_example() {
        let config = GcConfig::default();
        let day = 86_400;
        let w = World {
            now_ms: NOW * 1000,
            sessions: vec![
                session("idle", 2 * day, false, false, 0),
                session("kept", 2 * day, false, true, 0),
                session("busy", 2 * day, true, false, 0),
                session("fresh", 10, false, false, 0),
                session("watched", 2 * day, false, false, 1),
                session("hour", 3600, false, false, 0),
            ],
            dead_panes: vec![
                DeadPaneFacts {
                    pane_id: "%1".into(),
                    session: "hour".into(),
                    dead_since: Some(NOW - 7200),
                },
                DeadPaneFacts {
                    pane_id: "%2".into(),
                    session: "hour".into(),
                    dead_since: Some(NOW - 60),
                },
            ],
            members: vec![
                MemberFacts {
                    group: "g".into(),
                    session: "gone".into(),
                    has_start: false,
                },
                MemberFacts {
                    group: "g".into(),
                    session: "declared".into(),
                    has_start: true,
                },
            ],
            dependencies: vec![
                ("idle".into(), "gone".into()),
                ("declared".into(), "idle".into()),
            ],
            health: vec!["gone".into(), "busy".into()],
            ..World::default()
        };
        let plan = plan_world(&w, &config, &GcOptions::default());
        let names: Vec<String> = plan
            .actions
            .iter()
            .map(|a| serde_json::to_string(a).unwrap())
            .collect();
        assert_eq!(plan.actions.len(), 5, "{names:#?}");
        assert!(names[0].contains("\"kill_session\"") && names[0].contains("\"idle\""));
        assert!(names[1].contains("%1"));
        assert!(names[2].contains("drop_group_member") && names[2].contains("gone"));
        assert!(names[3].contains("drop_dependency"));
        assert!(names[4].contains("drop_health") && names[4].contains("gone"));
        let forced = plan_world(
            &w,
            &config,
            &GcOptions {
                force: true,
                ttl_seconds: None,
            },
        );
        // Force also takes the hour-idle session (and so not its dead pane separately).
        assert!(forced
            .actions
            .iter()
            .any(|a| matches!(a, GcAction::KillSession { session, .. } if session == "hour")));
        assert!(!forced
            .actions
            .iter()
            .any(|a| matches!(a, GcAction::KillDeadPane { .. })));
        assert_eq!(
            plan.actions[0].to_string(),
            format!("gc kill_session idle ($idle): idle {} s", 2 * day)
        );
        for name in ["kept", "busy", "fresh", "watched"] {
            assert!(forced
                .actions
                .iter()
                .all(|a| a.live_session() != Some(name)));
        }
    }
}
