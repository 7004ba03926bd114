//! `state-sync`.

use crate::output::{to_fields, Outcome};
use ctmux_core::Ctmux;

/// `state-sync` -> dropped, repaired, sessions (count), panes (count).
pub fn sync(client: &Ctmux) -> Outcome {
    to_fields(&client.state_sync()?)
}
