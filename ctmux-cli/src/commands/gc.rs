//! Garbage collection: `gc-enable`, `gc-disable`, `gc-run`, `gc-status`, `session-keep`.

use crate::output::{fields, to_fields, Outcome};
use clap::Subcommand;
use ctmux_core::gc::{self, GcOptions};
use ctmux_core::Ctmux;
use serde_json::json;

/// The GC commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
pub enum GcCommand {
    /// Turn on scheduled GC, optionally with a new idle TTL -> config
    ///
    /// TTL: seconds (3600) or a number with s, m, h or d (90m, 2d); 1 s to 365 days. A
    /// session idle that long (no foreground job, no input or output) is killed by the
    /// daemon's scheduled runs. Settings live in gc.json in the state dir.
    GcEnable {
        /// Idle TTL (default: keep the configured one; initially 1d)
        #[arg(allow_hyphen_values = true)]
        ttl: Option<String>,
    },
    /// Turn off scheduled GC -> config
    GcDisable,
    /// Collect garbage now -> dry_run, force, actions: [...], skipped: [...], protected: [...]
    ///
    /// Kills idle sessions and dead panes older than an hour, drops group, dependency and
    /// health state of sessions that no longer exist, deletes snapshots beyond the newest 10
    /// of a session that are older than 7 days and rotated event logs older than 7 days.
    /// Never touches a session with a running job, recent output (5 min), an attached
    /// client or the keep mark (session-keep). --force widens the rules (TTL down to the
    /// recent-output window, dead panes, snapshots beyond the newest 10 and rotated logs of
    /// any age) but never past a protection. --dry-run lists what would be done.
    GcRun {
        /// Widen the rules (protected sessions still survive)
        #[arg(long)]
        force: bool,
        /// Only list what would be done
        #[arg(long)]
        dry_run: bool,
    },
    /// GC settings, last run and what a run would do now -> config, last_run, next_run_ms, plan
    GcStatus,
    /// Mark a session keep (GC never touches it or its snapshots), or clear it -> keep
    SessionKeep {
        /// Session name
        session: String,
        /// Clear the mark instead
        #[arg(long)]
        off: bool,
    },
}

impl GcCommand {
    /// The session this command names.
    pub fn session(&self) -> Option<&str> {
        match self {
            GcCommand::SessionKeep { session, .. } => Some(session),
            _ => None,
        }
    }
}

/// Run a GC command.
pub fn run(client: &Ctmux, command: &GcCommand) -> Outcome {
    match command {
        GcCommand::GcEnable { ttl } => {
            let ttl = ttl.as_deref().map(gc::parse_ttl).transpose()?;
            Ok(fields([("config", json!(gc::enable(client, ttl)?))]))
        }
        GcCommand::GcDisable => Ok(fields([("config", json!(gc::disable(client)?))])),
        GcCommand::GcRun { force, dry_run } => {
            let opts = GcOptions {
                force: *force,
                ttl_seconds: None,
            };
            to_fields(&gc::run(client, &opts, *dry_run)?)
        }
        GcCommand::GcStatus => to_fields(&gc::status(client)?),
        GcCommand::SessionKeep { session, off } => {
            let s = client.session(session)?;
            s.set_keep(!off)?;
            Ok(fields([("keep", json!(s.keep()?))]))
        }
    }
}
