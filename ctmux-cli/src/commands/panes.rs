//! Pane lifecycle and listing: `pane-create`, `pane-create-with-layout`, `pane-kill`,
//! `pane-is-running`, `pane-status`, `pane-capture`, `pane-count`, `pane-find`,
//! `pane-list-json`, `pane-list-detailed`.

use super::pane;
use crate::args::Target;
use crate::output::{fields, to_fields, Outcome};
use ctmux_core::Ctmux;
use serde_json::json;

/// `pane-create SESSION [LABEL]` -> pane_id, label.
pub fn create(client: &Ctmux, session: &str, label: Option<&str>) -> Outcome {
    let pane = client.session(session)?.pane_create(label)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("label", json!(label)),
    ]))
}

/// `pane-create-with-layout SESSION LABEL LAYOUT` -> pane_id, label, layout.
pub fn create_with_layout(client: &Ctmux, session: &str, label: &str, layout: &str) -> Outcome {
    let pane = client
        .session(session)?
        .pane_create_with_layout(label, layout)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("label", json!(label)),
        ("layout", json!(layout)),
    ]))
}

/// `pane-kill SESSION PANE` -> pane_id.
pub fn kill(client: &Ctmux, target: &Target) -> Outcome {
    let pane = pane(client, target)?;
    pane.kill()?;
    Ok(fields([("pane_id", json!(pane.id().to_string()))]))
}

/// `pane-is-running SESSION PANE` -> pane_id, running.
pub fn is_running(client: &Ctmux, target: &Target) -> Outcome {
    let pane = pane(client, target)?;
    let running = pane.is_running()?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("running", json!(running)),
    ]))
}

/// `pane-status SESSION PANE` -> every [`ctmux_core::PaneStatus`] field, except that the
/// pane's `command` (`pane_current_command`) is named `current_command`, since `command` is
/// the envelope's.
pub fn status(client: &Ctmux, target: &Target) -> Outcome {
    let mut f = to_fields(&pane(client, target)?.status()?)?;
    if let Some(current) = f.remove("command") {
        f.insert("current_command".into(), current);
    }
    Ok(f)
}

/// `pane-capture SESSION PANE [LINES]` -> pane_id, output.
pub fn capture(client: &Ctmux, target: &Target, lines: Option<u32>) -> Outcome {
    let pane = pane(client, target)?;
    let output = pane.capture(lines)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("output", json!(output)),
    ]))
}

/// `pane-count SESSION` -> count.
pub fn count(client: &Ctmux, session: &str) -> Outcome {
    Ok(fields([(
        "count",
        json!(client.session(session)?.pane_count()?),
    )]))
}

/// `pane-find SESSION LABEL` -> pane_id, index.
pub fn find(client: &Ctmux, session: &str, label: &str) -> Outcome {
    let info = client.session(session)?.pane_find(label)?.info()?;
    Ok(fields([
        ("pane_id", json!(info.pane_id)),
        ("index", json!(info.index)),
        ("label", json!(info.label)),
    ]))
}

/// `pane-list-json SESSION` -> panes: [{pane_id, index, label}].
pub fn list(client: &Ctmux, session: &str) -> Outcome {
    let panes: Vec<_> = client
        .session(session)?
        .panes()?
        .into_iter()
        .map(|p| json!({"pane_id": p.pane_id, "index": p.index, "label": p.label}))
        .collect();
    Ok(fields([("panes", json!(panes))]))
}

/// `pane-list-detailed SESSION` -> panes: full [`ctmux_core::PaneInfo`] objects.
pub fn list_detailed(client: &Ctmux, session: &str) -> Outcome {
    Ok(fields([(
        "panes",
        json!(client.session(session)?.panes()?),
    )]))
}
