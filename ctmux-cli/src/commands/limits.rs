//! Resource limits: `pane-set-limit`, `pane-get-limits`, `pane-clear-limit`.
//!
//! Limits are stored in tmux as pane options; the daemon's enforcer acts on them.

use super::pane;
use crate::args::Target;
use crate::output::{fields, Failure, Outcome};
use crate::values::parse_seconds;
use clap::Subcommand;
use ctmux_core::limits::{LimitKind, LimitMode};
use ctmux_core::{Ctmux, ErrorKind};
use serde_json::json;
use std::time::Duration;

/// The limit commands (flattened into the top-level command list).
// The variant names are the command names (`pane-set-limit`, ...), so they share a prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Subcommand)]
pub enum LimitsCommand {
    /// Set a CPU or memory limit on the pane -> pane_id, limits: {cpu_percent, memory_mb, ...}
    ///
    /// KIND is cpu (VALUE in percent of one core, 1 to 100 per CPU) or memory (VALUE in MB,
    /// more than 0 and at most the machine's RAM). The limit is stored in tmux as a pane
    /// option and dies with the pane. The daemon enforces it on the pane's foreground job,
    /// never the shell: over the memory limit the job gets SIGTERM, then SIGKILL after the
    /// grace period; over the CPU limit it is stopped and continued to hold it at the limit.
    /// With --action notify it only reports. --action and --grace apply to both limits.
    PaneSetLimit {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// cpu or memory
        kind: String,
        /// Percent of one core (cpu) or MB (memory)
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// What to do over a limit: enforce (default) or notify
        #[arg(long, value_name = "ACTION")]
        action: Option<String>,
        /// Seconds between SIGTERM and SIGKILL over the memory limit (default 5, at most 3600)
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        grace: Option<Duration>,
    },
    /// The pane's limits -> pane_id, limits: {cpu_percent, memory_mb, action, grace_seconds}
    ///
    /// An unset limit is null.
    PaneGetLimits {
        /// The session and pane
        #[command(flatten)]
        target: Target,
    },
    /// Remove a limit from the pane -> pane_id, cleared, limits
    ///
    /// WHICH is cpu, memory or all (default: all, which also resets --action and --grace).
    /// Clearing a limit that is not set is not an error.
    PaneClearLimit {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// cpu, memory or all
        #[arg(default_value = "all")]
        which: String,
    },
}

impl LimitsCommand {
    /// The session this command names.
    pub fn session(&self) -> Option<&str> {
        match self {
            LimitsCommand::PaneSetLimit { target, .. }
            | LimitsCommand::PaneGetLimits { target }
            | LimitsCommand::PaneClearLimit { target, .. } => Some(&target.session),
        }
    }
}

fn parse_value(text: &str) -> Result<f64, Failure> {
    text.trim().parse::<f64>().map_err(|_| {
        Failure::new(
            ErrorKind::InvalidInput,
            format!("invalid limit value: {text:?} is not a number"),
        )
    })
}

/// Run a limit command.
pub fn run(client: &Ctmux, command: &LimitsCommand) -> Outcome {
    match command {
        LimitsCommand::PaneSetLimit {
            target,
            kind,
            value,
            action,
            grace,
        } => {
            // Everything is checked before tmux is asked anything.
            let kind: LimitKind = kind.parse()?;
            let value = ctmux_core::limits::validate(kind, parse_value(value)?)?;
            let mode = action.as_deref().map(str::parse::<LimitMode>).transpose()?;
            let pane = pane(client, target)?;
            let limits = pane.set_limit(kind, value, mode, *grace)?;
            Ok(fields([
                ("pane_id", json!(pane.id().to_string())),
                ("limits", json!(limits)),
            ]))
        }
        LimitsCommand::PaneGetLimits { target } => {
            let pane = pane(client, target)?;
            let limits = pane.limits()?;
            Ok(fields([
                ("pane_id", json!(pane.id().to_string())),
                ("limits", json!(limits)),
            ]))
        }
        LimitsCommand::PaneClearLimit { target, which } => {
            let kind = match which.as_str() {
                "all" => None,
                k => Some(k.parse::<LimitKind>().map_err(|_| {
                    Failure::new(
                        ErrorKind::InvalidInput,
                        format!("invalid limit kind: {which:?}: must be cpu, memory or all"),
                    )
                })?),
            };
            let pane = pane(client, target)?;
            let limits = pane.clear_limit(kind)?;
            Ok(fields([
                ("pane_id", json!(pane.id().to_string())),
                ("cleared", json!(kind.map_or("all", LimitKind::as_str))),
                ("limits", json!(limits)),
            ]))
        }
    }
}
