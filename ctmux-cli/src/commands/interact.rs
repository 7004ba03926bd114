//! `pane-interact`: hand the user's terminal to tmux, attached to the pane's session.

use super::pane;
use crate::args::Target;
use crate::output::{fields, Failure, Outcome};
use ctmux_core::{Ctmux, ErrorKind};
use serde_json::json;
use std::io::IsTerminal;
use std::process::Stdio;

/// `pane-interact SESSION PANE`: select the pane, attach (or `switch-client` inside tmux)
/// with inherited stdio, and report after the user detaches.
///
/// The session and pane are resolved first, so a bad one is NotFound even without a
/// terminal; then stdin and stdout must both be terminals (else InvalidInput).
pub fn interact(client: &Ctmux, target: &Target) -> Outcome {
    let pane = pane(client, target)?;
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(Failure::new(
            ErrorKind::InvalidInput,
            "pane-interact needs a terminal",
        ));
    }
    let pane_id = pane.id().to_string();
    let session_id = pane.session().id().to_owned();
    let inside_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let attach = if inside_tmux {
        "switch-client"
    } else {
        "attach-session"
    };
    let argv = [
        "select-window",
        "-t",
        &pane_id,
        ";",
        "select-pane",
        "-t",
        &pane_id,
        ";",
        attach,
        "-t",
        &session_id,
    ];
    let status = client
        .server()
        .command(&argv)
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| Failure::new(ErrorKind::Io, format!("running tmux {attach}: {e}")))?;
    if !status.success() {
        return Err(
            Failure::new(ErrorKind::Tmux, format!("tmux {attach} failed ({status})"))
                .with("pane_id", pane_id),
        );
    }
    Ok(fields([
        ("pane_id", json!(pane_id)),
        ("session_id", json!(session_id)),
    ]))
}
