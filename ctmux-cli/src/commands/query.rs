//! Cross-session queries: `sessions-list-all`, `panes-count-global`,
//! `sessions-find-pattern`.

use crate::output::{fields, Outcome};
use clap::Subcommand;
use ctmux_core::Ctmux;
use serde_json::json;

/// The cross-session commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
pub enum QueryCommand {
    /// Every session with panes, groups and health -> sessions: [...], missing: [...]
    ///
    /// Each session has id, name, windows, attached, created, activity, panes (as
    /// pane-list-detailed), groups, depends_on, health and reasons. "missing" lists group
    /// members whose session does not exist, with their groups.
    SessionsListAll,
    /// Total panes over every session -> count, session_count
    PanesCountGlobal,
    /// Which sessions and panes contain a line matching REGEX -> sessions: [{name, panes}]
    ///
    /// Each pane has pane_id, index, window_index, label, match_count and lines (the matching
    /// lines, the last 100). Searches the whole history unless --lines N limits it to the
    /// screen plus N lines above. Sessions without a match are left out; match_count is the
    /// total.
    SessionsFindPattern {
        /// Regular expression (Rust regex syntax), matched line by line
        #[arg(allow_hyphen_values = true)]
        regex: String,
        /// Search only the screen plus N lines of history
        #[arg(long, value_name = "N")]
        lines: Option<u32>,
    },
}

/// Run a cross-session command.
pub fn run(client: &Ctmux, command: &QueryCommand) -> Outcome {
    match command {
        QueryCommand::SessionsListAll => {
            let all = client.sessions_list_all()?;
            Ok(fields([
                ("sessions", json!(all.sessions)),
                ("missing", json!(all.missing)),
            ]))
        }
        QueryCommand::PanesCountGlobal => {
            let t = client.panes_count_global()?;
            Ok(fields([
                ("count", json!(t.pane_count)),
                ("session_count", json!(t.session_count)),
            ]))
        }
        QueryCommand::SessionsFindPattern { regex, lines } => {
            let found = client.sessions_find_pattern(regex, *lines)?;
            let total: usize = found
                .iter()
                .flat_map(|s| &s.panes)
                .map(|p| p.match_count)
                .sum();
            Ok(fields([
                ("pattern", json!(regex)),
                ("match_count", json!(total)),
                ("sessions", json!(found)),
            ]))
        }
    }
}
