//! Running commands and waiting for them: `pane-exec`, `pane-exec-timeout`, `pane-wait`,
//! and `pane-reset` (clearing ctmux's exec state on a pane).

use super::pane;
use crate::args::Target;
use crate::output::{fields, to_fields, Failure, Fields, Outcome};
use ctmux_core::exec::ExecOptions;
use ctmux_core::{Ctmux, ExecResult};
use serde_json::{json, Value};
use std::time::Duration;

fn result_fields(pane_id: String, result: &ExecResult) -> Outcome {
    let mut f = fields([("pane_id", json!(pane_id))]);
    f.extend(to_fields(result)?);
    Ok(f)
}

/// `pane-exec SESSION PANE CMD [--wait [--timeout SECONDS] [--raw] [--max-output BYTES]]
/// [--if-pending clear|fail]`
/// -> exec_id, and with `--wait` exit_code, output, duration, truncated (+ output_raw in
/// base64 with `--raw`, output_file / raw_file when the output was spilled to a file). A wait
/// that times out fails with kind Timeout and carries exec_id and the output so far; the
/// command keeps running.
#[allow(clippy::too_many_arguments)]
pub fn exec(
    client: &Ctmux,
    target: &Target,
    cmd: &str,
    wait: bool,
    timeout: Option<Duration>,
    raw: bool,
    max_output: Option<u64>,
    if_pending: &str,
) -> Outcome {
    let pane = pane(client, target)?;
    let pane_id = pane.id().to_string();
    // This process may end before the command does (no --wait, or a --timeout): the shell
    // reports to tmux and the bytes go to a file, for a later `pane-wait` in another process.
    let opts = ExecOptions {
        detached: true,
        raw,
        max_output,
        pending: if_pending.parse()?,
        ..ExecOptions::default()
    };
    let handle = pane.exec_with(cmd, &opts)?;
    if !wait {
        return Ok(fields([
            ("pane_id", json!(pane_id)),
            ("exec_id", json!(handle.id())),
        ]));
    }
    match handle.wait(timeout) {
        Ok(result) => result_fields(pane_id, &result),
        Err(e) => Err(Failure::from(e)
            .with("pane_id", pane_id)
            .with("exec_id", handle.id())),
    }
}

/// `pane-exec-timeout SESSION PANE CMD SECONDS` -> as `pane-exec --wait`; after SECONDS the
/// command is interrupted and the call fails with kind Timeout and the output so far.
pub fn exec_timeout(client: &Ctmux, target: &Target, cmd: &str, seconds: Duration) -> Outcome {
    let pane = pane(client, target)?;
    let pane_id = pane.id().to_string();
    match pane.run_or_interrupt(cmd, seconds) {
        Ok(result) => result_fields(pane_id, &result),
        Err(e) => Err(Failure::from(e).with("pane_id", pane_id)),
    }
}

/// `pane-wait SESSION PANE [SECONDS]` -> exit_code, output (null for a job ctmux did not
/// start), exec_id, duration, truncated.
pub fn wait(client: &Ctmux, target: &Target, seconds: Option<Duration>) -> Outcome {
    let pane = pane(client, target)?;
    let pane_id = pane.id().to_string();
    match pane.wait(seconds) {
        Ok(Some(result)) => result_fields(pane_id, &result),
        Ok(None) => {
            let mut f: Fields = fields([("pane_id", json!(pane_id))]);
            for key in ["exec_id", "exit_code", "output", "duration", "truncated"] {
                f.insert(key.to_owned(), Value::Null);
            }
            Ok(f)
        }
        Err(e) => Err(Failure::from(e).with("pane_id", pane_id)),
    }
}

/// `pane-reset SESSION PANE` -> pane_id. Clears ctmux's exec state on the pane
/// ([`ctmux_core::Pane::reset`]); the shell and any job in it are left alone.
pub fn reset(client: &Ctmux, target: &Target) -> Outcome {
    let pane = pane(client, target)?;
    let pane_id = pane.id().to_string();
    match pane.reset() {
        Ok(()) => Ok(fields([("pane_id", json!(pane_id))])),
        Err(e) => Err(Failure::from(e).with("pane_id", pane_id)),
    }
}
