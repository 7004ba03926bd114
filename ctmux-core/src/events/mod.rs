//! Events: one typed, serde-serialised enum for everything ctmux reports as it happens
//! (sessions and panes coming and going, output lines, finished commands, matched patterns,
//! the daemon starting and stopping), the filter a subscriber gives, and the machinery that
//! produces and fans them out.
//!
//! - [`lines`]: bytes pushed by tmux → clean text lines (UTF-8 split across chunks, escape
//!   sequences, carriage returns).
//! - [`hub`]: fan-out to any number of subscribers over bounded buffers; a slow subscriber
//!   gets a [`EventBody::Lagged`] event instead of blocking anyone.
//! - [`watcher`]: follows every session of a server over control-mode connections and
//!   publishes what happens; run by the daemon, or in-process by a subscription when no
//!   daemon runs.
//!
//! On the wire (CLI, daemon socket, event log) an event is one JSON object per line:
//! `{"seq":12,"time_ms":1764140000000,"kind":"output","session":"api","pane":"%3","text":"..."}`.

pub mod hub;
pub mod lines;
pub mod watcher;

use crate::error::{Error, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One event: a sequence number (per producer, increasing), when it happened, and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Increasing number given by the producer (the daemon or an in-process watcher).
    pub seq: u64,
    /// When it happened, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened. Serialised with a `kind` tag in snake case (`"session_created"`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventBody {
    /// A session appeared.
    SessionCreated {
        /// Its name.
        session: String,
        /// Its tmux id (`$3`).
        session_id: String,
    },
    /// A session went away.
    SessionClosed {
        /// Its last known name.
        session: String,
        /// Its tmux id.
        session_id: String,
    },
    /// A pane appeared.
    PaneCreated {
        /// Its session's name.
        session: String,
        /// The pane id (`%4`).
        pane: String,
    },
    /// A pane's program exited: the pane is dead (`remain-on-exit`) or gone.
    PaneExited {
        /// Its session's name.
        session: String,
        /// The pane id.
        pane: String,
        /// The exit status when tmux knows it (a dead pane kept by `remain-on-exit`).
        #[serde(default)]
        exit_status: Option<i32>,
    },
    /// A line a pane printed: escape sequences removed, no line end.
    Output {
        /// Its session's name.
        session: String,
        /// The pane id.
        pane: String,
        /// The line.
        text: String,
        /// Line number within this pane's stream as seen by the producer (1, 2, ...).
        line_seq: u64,
    },
    /// An output line matched a subscriber's pattern (made per subscriber from `output`).
    PatternMatched {
        /// Its session's name.
        session: String,
        /// The pane id.
        pane: String,
        /// The pattern.
        pattern: String,
        /// The whole line.
        line: String,
        /// The matched text.
        matched_text: String,
    },
    /// A command run by ctmux's exec finished in a pane.
    CommandFinished {
        /// Its session's name.
        session: String,
        /// The pane id.
        pane: String,
        /// The exec id (as in `@ctmux-exec`).
        exec_id: String,
        /// Its exit status.
        exit_code: i32,
    },
    /// A snapshot was written (autosave or on request through the daemon).
    SnapshotSaved {
        /// The session.
        session: String,
        /// The snapshot file.
        file: String,
    },
    /// A session's health changed (sessions with health settings or in a group; the first
    /// observation by a daemon counts as a change, `from` null).
    HealthChanged {
        /// The session.
        session: String,
        /// The previous state (`healthy`, `degraded`, `unhealthy`), if known.
        #[serde(default)]
        from: Option<String>,
        /// The new state.
        to: String,
        /// Why, one message per reason.
        reasons: Vec<String>,
    },
    /// The daemon acted on a pane's resource limit (or, notify-only, reports it exceeded).
    LimitExceeded {
        /// Its session's name.
        session: String,
        /// The pane id.
        pane: String,
        /// `cpu` or `memory`.
        limit_kind: String,
        /// The limit (percent of one core, or MiB).
        limit: f64,
        /// What was measured, same unit.
        observed: f64,
        /// `notified`, `terminated`, `killed`, `throttled` or `released`.
        action: String,
        /// Why, in words.
        reason: String,
    },
    /// Garbage collection removed (or, dry run, would remove) something.
    GcAction {
        /// What: `kill_session`, `kill_dead_pane`, `drop_group_member`, ...
        action: String,
        /// The session concerned, when one is.
        #[serde(default)]
        session: Option<String>,
        /// The whole action, as the log line says it.
        detail: String,
    },
    /// The daemon stopped autosaving a session.
    AutosaveStopped {
        /// The session.
        session: String,
        /// Why (`"session is gone"`).
        reason: String,
    },
    /// The daemon started.
    DaemonStarted {
        /// Its pid.
        pid: u32,
    },
    /// The daemon is stopping.
    DaemonStopped {
        /// Its pid.
        pid: u32,
        /// Why (`"stop requested"`, `"SIGTERM"`, ...).
        reason: String,
    },
    /// The tmux server went away (killed, crashed, last session closed). Subscriptions end.
    ServerLost {
        /// What was seen.
        reason: String,
    },
    /// The tmux server is running again.
    ServerBack,
    /// This subscriber did not read fast enough: `missed` events were dropped for it.
    Lagged {
        /// How many.
        missed: u64,
    },
    /// Something the producer wants known (a problem it detected and handled).
    Warning {
        /// What.
        message: String,
    },
    /// An event of a kind this version does not know (from a newer producer).
    #[serde(other)]
    Unknown,
}

/// The kinds of [`EventBody`], for filters. Names as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// [`EventBody::SessionCreated`].
    SessionCreated,
    /// [`EventBody::SessionClosed`].
    SessionClosed,
    /// [`EventBody::PaneCreated`].
    PaneCreated,
    /// [`EventBody::PaneExited`].
    PaneExited,
    /// [`EventBody::Output`].
    Output,
    /// [`EventBody::PatternMatched`].
    PatternMatched,
    /// [`EventBody::CommandFinished`].
    CommandFinished,
    /// [`EventBody::SnapshotSaved`].
    SnapshotSaved,
    /// [`EventBody::HealthChanged`].
    HealthChanged,
    /// [`EventBody::LimitExceeded`].
    LimitExceeded,
    /// [`EventBody::GcAction`].
    GcAction,
    /// [`EventBody::AutosaveStopped`].
    AutosaveStopped,
    /// [`EventBody::DaemonStarted`].
    DaemonStarted,
    /// [`EventBody::DaemonStopped`].
    DaemonStopped,
    /// [`EventBody::ServerLost`].
    ServerLost,
    /// [`EventBody::ServerBack`].
    ServerBack,
    /// [`EventBody::Lagged`].
    Lagged,
    /// [`EventBody::Warning`].
    Warning,
    /// [`EventBody::Unknown`].
    Unknown,
}

impl EventKind {
    /// Every kind a filter can name.
    pub const ALL: [EventKind; 18] = [
        EventKind::SessionCreated,
        EventKind::SessionClosed,
        EventKind::PaneCreated,
        EventKind::PaneExited,
        EventKind::Output,
        EventKind::PatternMatched,
        EventKind::CommandFinished,
        EventKind::SnapshotSaved,
        EventKind::HealthChanged,
        EventKind::LimitExceeded,
        EventKind::GcAction,
        EventKind::AutosaveStopped,
        EventKind::DaemonStarted,
        EventKind::DaemonStopped,
        EventKind::ServerLost,
        EventKind::ServerBack,
        EventKind::Lagged,
        EventKind::Warning,
    ];

    /// The wire name (`"pane_exited"`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SessionCreated => "session_created",
            EventKind::SessionClosed => "session_closed",
            EventKind::PaneCreated => "pane_created",
            EventKind::PaneExited => "pane_exited",
            EventKind::Output => "output",
            EventKind::PatternMatched => "pattern_matched",
            EventKind::CommandFinished => "command_finished",
            EventKind::SnapshotSaved => "snapshot_saved",
            EventKind::HealthChanged => "health_changed",
            EventKind::LimitExceeded => "limit_exceeded",
            EventKind::GcAction => "gc_action",
            EventKind::AutosaveStopped => "autosave_stopped",
            EventKind::DaemonStarted => "daemon_started",
            EventKind::DaemonStopped => "daemon_stopped",
            EventKind::ServerLost => "server_lost",
            EventKind::ServerBack => "server_back",
            EventKind::Lagged => "lagged",
            EventKind::Warning => "warning",
            EventKind::Unknown => "unknown",
        }
    }

    /// Kinds every subscription receives whatever its filter: they say the stream itself
    /// is in trouble or ending.
    pub fn always_delivered(self) -> bool {
        matches!(
            self,
            EventKind::Lagged
                | EventKind::ServerLost
                | EventKind::DaemonStopped
                | EventKind::Warning
        )
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::invalid(
                    "event kind",
                    format!("unknown kind {s:?}; known: {}", names.join(", ")),
                )
            })
    }
}

impl EventBody {
    /// This event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::SessionCreated { .. } => EventKind::SessionCreated,
            EventBody::SessionClosed { .. } => EventKind::SessionClosed,
            EventBody::PaneCreated { .. } => EventKind::PaneCreated,
            EventBody::PaneExited { .. } => EventKind::PaneExited,
            EventBody::Output { .. } => EventKind::Output,
            EventBody::PatternMatched { .. } => EventKind::PatternMatched,
            EventBody::CommandFinished { .. } => EventKind::CommandFinished,
            EventBody::SnapshotSaved { .. } => EventKind::SnapshotSaved,
            EventBody::HealthChanged { .. } => EventKind::HealthChanged,
            EventBody::LimitExceeded { .. } => EventKind::LimitExceeded,
            EventBody::GcAction { .. } => EventKind::GcAction,
            EventBody::AutosaveStopped { .. } => EventKind::AutosaveStopped,
            EventBody::DaemonStarted { .. } => EventKind::DaemonStarted,
            EventBody::DaemonStopped { .. } => EventKind::DaemonStopped,
            EventBody::ServerLost { .. } => EventKind::ServerLost,
            EventBody::ServerBack => EventKind::ServerBack,
            EventBody::Lagged { .. } => EventKind::Lagged,
            EventBody::Warning { .. } => EventKind::Warning,
            EventBody::Unknown => EventKind::Unknown,
        }
    }

    /// The session name the event is about, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            EventBody::SessionCreated { session, .. }
            | EventBody::SessionClosed { session, .. }
            | EventBody::PaneCreated { session, .. }
            | EventBody::PaneExited { session, .. }
            | EventBody::Output { session, .. }
            | EventBody::PatternMatched { session, .. }
            | EventBody::CommandFinished { session, .. }
            | EventBody::SnapshotSaved { session, .. }
            | EventBody::AutosaveStopped { session, .. }
            | EventBody::LimitExceeded { session, .. }
            | EventBody::HealthChanged { session, .. } => Some(session),
            EventBody::GcAction { session, .. } => session.as_deref(),
            _ => None,
        }
    }

    /// The pane id the event is about, if any.
    pub fn pane(&self) -> Option<&str> {
        match self {
            EventBody::PaneCreated { pane, .. }
            | EventBody::PaneExited { pane, .. }
            | EventBody::Output { pane, .. }
            | EventBody::PatternMatched { pane, .. }
            | EventBody::CommandFinished { pane, .. }
            | EventBody::LimitExceeded { pane, .. } => Some(pane),
            _ => None,
        }
    }
}

/// What a subscriber wants. Every field narrows; the default takes everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Only events about this session (by name).
    #[serde(default)]
    pub session: Option<String>,
    /// Only events about this pane (a tmux pane id, `%3`).
    #[serde(default)]
    pub pane: Option<String>,
    /// Only these kinds (empty: all; with a pattern: `pattern_matched`).
    #[serde(default)]
    pub kinds: Vec<EventKind>,
    /// A regex over output lines: matching lines arrive as `pattern_matched` events, other
    /// output is not delivered.
    #[serde(default)]
    pub pattern: Option<String>,
}

impl EventFilter {
    /// Check the filter and compile its pattern.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid regex, a pane that is not a `%id`, the
    /// `unknown` kind, or an empty session name.
    pub fn compile(&self) -> Result<CompiledFilter> {
        if let Some(s) = &self.session {
            crate::ids::SessionName::new(s)?;
        }
        if let Some(p) = &self.pane {
            p.parse::<crate::ids::PaneId>()
                .map_err(|_| Error::invalid("pane", format!("{p:?} is not a pane id like %3")))?;
        }
        if self.kinds.contains(&EventKind::Unknown) {
            return Err(Error::invalid(
                "event kind",
                "\"unknown\" cannot be subscribed to",
            ));
        }
        let pattern = match &self.pattern {
            Some(p) => Some(crate::watch::compile(p)?),
            None => None,
        };
        let kinds = if self.kinds.is_empty() && pattern.is_some() {
            vec![EventKind::PatternMatched]
        } else {
            self.kinds.clone()
        };
        Ok(CompiledFilter {
            filter: self.clone(),
            kinds,
            pattern,
        })
    }
}

/// An [`EventFilter`] ready to apply.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    filter: EventFilter,
    kinds: Vec<EventKind>,
    pattern: Option<Regex>,
}

impl CompiledFilter {
    /// The filter as given.
    pub fn filter(&self) -> &EventFilter {
        &self.filter
    }

    /// What this subscriber gets for `body`: nothing, the event itself, or (for an output
    /// line matching the pattern) a `pattern_matched` event made from it.
    pub fn apply(&self, body: &EventBody) -> Option<EventBody> {
        let kind = body.kind();
        if kind.always_delivered() {
            return Some(body.clone());
        }
        if let Some(s) = &self.filter.session {
            if body.session() != Some(s.as_str()) {
                return None;
            }
        }
        if let Some(p) = &self.filter.pane {
            if body.pane() != Some(p.as_str()) {
                return None;
            }
        }
        let body = match (&self.pattern, body) {
            (
                Some(re),
                EventBody::Output {
                    session,
                    pane,
                    text,
                    ..
                },
            ) => {
                let m = re.find(text)?;
                EventBody::PatternMatched {
                    session: session.clone(),
                    pane: pane.clone(),
                    pattern: re.as_str().to_owned(),
                    line: text.clone(),
                    matched_text: m.as_str().to_owned(),
                }
            }
            _ => body.clone(),
        };
        if self.kinds.is_empty() || self.kinds.contains(&body.kind()) {
            Some(body)
        } else {
            None
        }
    }

    /// Whether output events are of any use to this subscriber (lets a producer skip them).
    pub fn wants_output(&self) -> bool {
        self.pattern.is_some() || self.kinds.is_empty() || self.kinds.contains(&EventKind::Output)
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(text: &str) -> EventBody {
        EventBody::Output {
            session: "api".into(),
            pane: "%1".into(),
            text: text.into(),
            line_seq: 1,
        }
    }

    #[test]
    fn wire_format_is_flat_and_tagged() {
        let e = Event {
            seq: 3,
            time_ms: 10,
            body: EventBody::PaneExited {
                session: "s".into(),
                pane: "%2".into(),
                exit_status: Some(1),
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"seq":3,"time_ms":10,"kind":"pane_exited","session":"s","pane":"%2","exit_status":1}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
        let future: Event =
            serde_json::from_str(r#"{"seq":1,"time_ms":2,"kind":"from_the_future","x":1}"#)
                .unwrap();
        assert_eq!(future.body, EventBody::Unknown);
    }

    #[test]
    fn kinds_parse_and_refuse_unknown() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        let err = "sesion_created".parse::<EventKind>().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("session_created"));
    }

    #[test]
    fn filters_narrow_and_patterns_transform() {
        let f = EventFilter {
            pattern: Some(r"ready on (\d+)".into()),
            ..Default::default()
        }
        .compile()
        .unwrap();
        assert!(f.apply(&output("starting")).is_none());
        match f.apply(&output("ready on 8080")).unwrap() {
            EventBody::PatternMatched { matched_text, .. } => {
                assert_eq!(matched_text, "ready on 8080")
            }
            other => panic!("{other:?}"),
        }
        assert!(f
            .apply(&EventBody::SessionCreated {
                session: "api".into(),
                session_id: "$1".into()
            })
            .is_none());
        assert!(f.apply(&EventBody::Lagged { missed: 2 }).is_some());

        let f = EventFilter {
            session: Some("web".into()),
            ..Default::default()
        }
        .compile()
        .unwrap();
        assert!(f.apply(&output("x")).is_none());
        let f = EventFilter {
            pane: Some("%1".into()),
            kinds: vec![EventKind::Output],
            ..Default::default()
        }
        .compile()
        .unwrap();
        assert!(f.apply(&output("x")).is_some());

        for bad in [
            EventFilter {
                pattern: Some("(".into()),
                ..Default::default()
            },
            EventFilter {
                pane: Some("3".into()),
                ..Default::default()
            },
            EventFilter {
                session: Some("a:b".into()),
                ..Default::default()
            },
            EventFilter {
                kinds: vec![EventKind::Unknown],
                ..Default::default()
            },
        ] {
            assert_eq!(
                bad.compile().unwrap_err().kind(),
                crate::ErrorKind::InvalidInput
            );
        }
    }
}
