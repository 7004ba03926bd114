//! Input to a pane: `pane-send-keys`, `pane-send-stdin`, `pane-signal`.

use super::pane;
use crate::args::Target;
use crate::output::{fields, Outcome};
use ctmux_core::Ctmux;
use serde_json::json;

/// `pane-send-keys SESSION PANE KEY...` -> keys.
pub fn send_keys(client: &Ctmux, target: &Target, keys: &[String]) -> Outcome {
    let pane = pane(client, target)?;
    pane.send_keys(keys)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("keys", json!(keys)),
    ]))
}

/// `pane-send-stdin SESSION PANE TEXT` -> bytes (how many were typed; no Enter).
pub fn send_stdin(client: &Ctmux, target: &Target, text: &str) -> Outcome {
    let pane = pane(client, target)?;
    pane.send_text(text)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("bytes", json!(text.len())),
    ]))
}

/// `pane-signal SESSION PANE SIGNAL` -> signal (its canonical name, `SIGINT`), process_groups.
pub fn signal(client: &Ctmux, target: &Target, signal: &str) -> Outcome {
    let name = ctmux_core::keys::parse_signal(signal)?.as_str();
    let pane = pane(client, target)?;
    let groups = pane.signal(signal)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("signal", json!(name)),
        ("process_groups", json!(groups)),
    ]))
}
