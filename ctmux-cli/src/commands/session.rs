//! `session-create`, `session-list`, `session-kill`.

use crate::output::{fields, Outcome};
use crate::values::WindowSize;
use ctmux_core::{Ctmux, SessionOptions};
use serde_json::json;
use std::path::Path;

/// `session-create NAME [--cwd DIR] [--window-size WxH]` -> session, session_id.
pub fn create(client: &Ctmux, name: &str, cwd: Option<&Path>, size: Option<WindowSize>) -> Outcome {
    let opts = SessionOptions {
        cwd: cwd.map(Path::to_path_buf),
        size: size.map(|s| (s.columns, s.rows)),
    };
    let session = client.session_create(name, &opts)?;
    Ok(fields([
        ("session", json!(session.name().as_str())),
        ("session_id", json!(session.id())),
    ]))
}

/// `session-list` -> sessions (empty when no server runs).
pub fn list(client: &Ctmux) -> Outcome {
    Ok(fields([("sessions", json!(client.session_list()?))]))
}

/// `session-kill NAME`.
pub fn kill(client: &Ctmux, name: &str) -> Outcome {
    client.session_kill(name)?;
    Ok(fields([]))
}
