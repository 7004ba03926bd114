//! Patterns: `pane-has-pattern`, `pane-watch`, `pane-watch-timeout`.

use super::pane;
use crate::args::Target;
use crate::output::{fields, Failure, Outcome};
use ctmux_core::Ctmux;
use serde_json::json;
use std::time::Duration;

/// `pane-has-pattern SESSION PANE REGEX [LINES]` -> matched (bool), line, matched_text
/// (null when nothing matches; that is still a success).
pub fn has_pattern(client: &Ctmux, target: &Target, regex: &str, lines: Option<u32>) -> Outcome {
    let pane = pane(client, target)?;
    let found = pane.has_pattern(regex, lines)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("matched", json!(found.is_some())),
        ("line", json!(found.as_ref().map(|m| &m.line))),
        (
            "matched_text",
            json!(found.as_ref().map(|m| &m.matched_text)),
        ),
    ]))
}

/// `pane-watch[-timeout] SESSION PANE REGEX [SECONDS] [--lines N]` -> matched (true), line,
/// matched_text; kind Timeout with the last screen as output when SECONDS run out.
pub fn watch(
    client: &Ctmux,
    target: &Target,
    regex: &str,
    timeout: Option<Duration>,
    lines: Option<u32>,
) -> Outcome {
    let pane = pane(client, target)?;
    let pane_id = pane.id().to_string();
    match pane.watch(regex, timeout, lines) {
        Ok(m) => Ok(fields([
            ("pane_id", json!(pane_id)),
            ("matched", json!(true)),
            ("line", json!(m.line)),
            ("matched_text", json!(m.matched_text)),
        ])),
        Err(e) => Err(Failure::from(e).with("pane_id", pane_id)),
    }
}
