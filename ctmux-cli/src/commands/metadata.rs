//! Pane metadata: `pane-metadata-set`, `-get`, `-list`, `-delete`.

use super::pane;
use crate::args::Target;
use crate::output::{fields, Outcome};
use ctmux_core::Ctmux;
use serde_json::json;

/// `pane-metadata-set SESSION PANE KEY VALUE` -> key, value.
pub fn set(client: &Ctmux, target: &Target, key: &str, value: &str) -> Outcome {
    let pane = pane(client, target)?;
    pane.metadata_set(key, value)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("key", json!(key)),
        ("value", json!(value)),
    ]))
}

/// `pane-metadata-get SESSION PANE KEY` -> key, value.
pub fn get(client: &Ctmux, target: &Target, key: &str) -> Outcome {
    let pane = pane(client, target)?;
    let value = pane.metadata_get(key)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("key", json!(key)),
        ("value", json!(value)),
    ]))
}

/// `pane-metadata-list SESSION PANE` -> metadata (object).
pub fn list(client: &Ctmux, target: &Target) -> Outcome {
    let pane = pane(client, target)?;
    let metadata = pane.metadata_list()?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("metadata", json!(metadata)),
    ]))
}

/// `pane-metadata-delete SESSION PANE KEY` -> key.
pub fn delete(client: &Ctmux, target: &Target, key: &str) -> Outcome {
    let pane = pane(client, target)?;
    pane.metadata_delete(key)?;
    Ok(fields([
        ("pane_id", json!(pane.id().to_string())),
        ("key", json!(key)),
    ]))
}
