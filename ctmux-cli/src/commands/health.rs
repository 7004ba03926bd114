//! Session health: `session-health`, `session-wait-healthy`, `session-health-set`,
//! `session-health-clear`.

use crate::output::{fields, to_fields, Failure, Outcome};
use crate::values::parse_seconds;
use clap::Subcommand;
use ctmux_core::{Ctmux, ErrorKind, HealthConfig, Readiness};
use serde_json::json;
use std::time::Duration;

/// The health commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
// The variants spell the command names (group-create, ...), prefix included.
#[allow(clippy::enum_variant_names)]
pub enum HealthCommand {
    /// Check a session once -> health (healthy|degraded|unhealthy), reasons, ready
    ///
    /// unhealthy: missing, no live pane, or its readiness check has not passed; degraded: a
    /// pane died with a non-zero status, the last pane-exec exited non-zero, or an error
    /// pattern matches one of the last lines of a pane; else healthy. Exit 0 whatever the
    /// verdict. Each reason has kind, pane_id, message and (for patterns) line.
    SessionHealth {
        /// Session name
        session: String,
    },
    /// Wait until a session is healthy -> health, reasons; Timeout (exit 124) with them
    ///
    /// A missing session is waited for. Without SECONDS waits for ever. Also ends with
    /// Timeout when the readiness check failed --retries times after its start period.
    SessionWaitHealthy {
        /// Session name
        session: String,
        /// Give up after SECONDS (decimals allowed)
        #[arg(value_parser = parse_seconds)]
        seconds: Option<Duration>,
    },
    /// Store a session's health settings, replacing any -> session, config
    ///
    /// The session need not exist yet. Default error patterns (case-sensitive):
    /// \b(ERROR|FATAL|CRASH(ED)?)\b, ^panic: , \bpanicked at\b,
    /// ^Traceback \(most recent call last\): over the last 20 lines of each pane.
    /// A readiness check is --ready-pattern (a line that must have appeared in a pane) or
    /// --ready-command (run by sh -c in the pane's cwd; must exit 0), with --interval
    /// (default 0.5), --timeout (default 30), --retries (default unlimited) and
    /// --start-period (default 0), as in docker compose's healthcheck.
    SessionHealthSet {
        /// Session name
        session: String,
        /// Error pattern (Rust regex, per line), replacing the defaults; repeatable
        #[arg(long = "pattern", value_name = "REGEX", allow_hyphen_values = true)]
        patterns: Vec<String>,
        /// How many last lines of each pane the error patterns see (1-100000)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        lines: Option<u32>,
        /// Readiness: a regex that must have appeared in a pane
        #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
        ready_pattern: Option<String>,
        /// Readiness: a shell command that must exit 0
        #[arg(long, value_name = "CMD", allow_hyphen_values = true)]
        ready_command: Option<String>,
        /// Seconds between readiness checks
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        interval: Option<Duration>,
        /// Seconds a readiness command may run
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        timeout: Option<Duration>,
        /// Failed checks in a row (after the start period) that end a wait
        #[arg(long, value_name = "N")]
        retries: Option<u32>,
        /// Seconds at the start of a wait during which failed checks do not count
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        start_period: Option<Duration>,
    },
    /// Remove a session's health settings (defaults apply again) -> session
    SessionHealthClear {
        /// Session name
        session: String,
    },
}

impl HealthCommand {
    /// The session the command names.
    pub fn session(&self) -> Option<&str> {
        match self {
            HealthCommand::SessionHealth { session }
            | HealthCommand::SessionWaitHealthy { session, .. }
            | HealthCommand::SessionHealthSet { session, .. }
            | HealthCommand::SessionHealthClear { session } => Some(session),
        }
    }
}

/// Run a health command.
pub fn run(client: &Ctmux, command: &HealthCommand) -> Outcome {
    use HealthCommand as H;
    match command {
        H::SessionHealth { session } => to_fields(&client.session_health(session)?),
        H::SessionWaitHealthy { session, seconds } => {
            match client.session_wait_healthy(session, *seconds) {
                Ok(report) => to_fields(&report),
                Err(e) if e.kind() == ErrorKind::Timeout => {
                    let mut failure = Failure::from(e);
                    if let Ok(report) = client.session_health(session) {
                        let mut f = to_fields(&report)?;
                        f.remove("session");
                        failure.fields.extend(f);
                    }
                    Err(failure)
                }
                Err(e) => Err(e.into()),
            }
        }
        H::SessionHealthSet {
            session,
            patterns,
            lines,
            ready_pattern,
            ready_command,
            interval,
            timeout,
            retries,
            start_period,
        } => {
            let any_timing = interval.is_some()
                || timeout.is_some()
                || retries.is_some()
                || start_period.is_some();
            let readiness = if ready_pattern.is_some() || ready_command.is_some() || any_timing {
                Some(Readiness::from_parts(
                    ready_pattern.as_deref(),
                    ready_command.as_deref(),
                    *interval,
                    *timeout,
                    *retries,
                    *start_period,
                )?)
            } else {
                None
            };
            let config = HealthConfig {
                patterns: (!patterns.is_empty()).then(|| patterns.clone()),
                lines: *lines,
                readiness,
            };
            client.session_health_set(session, &config)?;
            Ok(fields([("config", json!(config))]))
        }
        H::SessionHealthClear { session } => {
            client.session_health_clear(session)?;
            Ok(fields([]))
        }
    }
}
