//! Resource figures: `pane-metrics`, `session-metrics`.

use super::pane;
use crate::args::Target;
use crate::output::{fields, Outcome};
use clap::Subcommand;
use ctmux_core::Ctmux;
use serde_json::json;
use std::time::Duration;

/// The metrics commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
pub enum MetricsCommand {
    /// Resource figures of the pane's process tree -> pane_id, metrics: {cpu_percent, ...}
    ///
    /// metrics has cpu_percent (over the sampling interval, percent of one core), memory_mb,
    /// memory_percent, io_read_kb, io_write_kb, uptime_seconds, thread_count, process_count
    /// (the shell included) and sample_interval_ms. Read from /proc for the shell and every
    /// descendant. A one-shot call samples twice, --interval-ms apart (default 250).
    PaneMetrics {
        /// The session and pane
        #[command(flatten)]
        target: Target,
        /// Sampling interval for the CPU figure, 10-60000 ms
        #[arg(long, value_name = "MS", default_value_t = 250)]
        interval_ms: u64,
        /// Add a per-process breakdown (pid, ppid, name, cmdline, cpu_percent, memory_mb)
        #[arg(long)]
        processes: bool,
    },
    /// Resource figures of every pane of a session -> metrics (the sum), panes: [...]
    ///
    /// All panes are sampled over one shared interval (--interval-ms, default 250).
    SessionMetrics {
        /// Session name
        session: String,
        /// Sampling interval for the CPU figures, 10-60000 ms
        #[arg(long, value_name = "MS", default_value_t = 250)]
        interval_ms: u64,
    },
}

impl MetricsCommand {
    /// The session this command names.
    pub fn session(&self) -> Option<&str> {
        match self {
            MetricsCommand::PaneMetrics { target, .. } => Some(&target.session),
            MetricsCommand::SessionMetrics { session, .. } => Some(session),
        }
    }
}

/// Run a metrics command.
pub fn run(client: &Ctmux, command: &MetricsCommand) -> Outcome {
    match command {
        MetricsCommand::PaneMetrics {
            target,
            interval_ms,
            processes,
        } => {
            let pane = pane(client, target)?;
            let mut m = pane.metrics(Duration::from_millis(*interval_ms), *processes)?;
            let procs = m.processes.take();
            let mut out = fields([
                ("pane_id", json!(pane.id().to_string())),
                ("metrics", json!(m)),
            ]);
            if let Some(p) = procs {
                out.insert("processes".into(), json!(p));
            }
            Ok(out)
        }
        MetricsCommand::SessionMetrics {
            session,
            interval_ms,
        } => {
            let m = client
                .session(session)?
                .metrics(Duration::from_millis(*interval_ms))?;
            Ok(fields([
                ("metrics", json!(m.total)),
                ("panes", json!(m.panes)),
            ]))
        }
    }
}
