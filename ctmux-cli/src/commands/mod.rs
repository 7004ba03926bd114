//! One function per command: take parsed arguments, call the core, return JSON fields.
//!
//! Grouped by concern: [`session`] (sessions), [`panes`] (pane lifecycle and listing),
//! [`exec`] (running commands and waiting), [`watch`] (patterns), [`metadata`],
//! [`input`] (keys, text, signals), [`interact`] (attaching a terminal) and [`state`].

pub mod deps;
mod exec;
pub mod gc;
pub mod group;
pub mod health;
mod input;
mod interact;
pub mod limits;
pub mod live;
mod metadata;
pub mod metrics;
mod panes;
pub mod query;
mod session;
pub mod snapshot;
mod state;
mod watch;

use crate::args::{Command, Global, Target};
use crate::connect;
use crate::output::{Failure, Outcome};
use ctmux_core::{Ctmux, Pane};
use std::io::Write;

/// Run `command`; `progress` receives the demo's human-readable lines.
pub fn dispatch(global: &Global, command: &Command, progress: &mut dyn Write) -> Outcome {
    use Command as C;
    if let C::Demo = command {
        return crate::demo::run(progress);
    }
    let client = connect::client(global)?;
    let c = &client;
    match command {
        C::SessionCreate {
            name,
            cwd,
            window_size,
        } => session::create(c, name, cwd.as_deref(), *window_size),
        C::SessionList => session::list(c),
        C::SessionKill { name } => session::kill(c, name),
        C::PaneCreate { session, label } => panes::create(c, session, label.as_deref()),
        C::PaneCreateWithLayout {
            session,
            label,
            layout,
        } => panes::create_with_layout(c, session, label, layout),
        C::PaneKill { target } => panes::kill(c, target),
        C::PaneIsRunning { target } => panes::is_running(c, target),
        C::PaneStatus { target } => panes::status(c, target),
        C::PaneCapture { target, lines } => panes::capture(c, target, *lines),
        C::PaneCount { session } => panes::count(c, session),
        C::PaneFind { session, label } => panes::find(c, session, label),
        C::PaneListJson { session } => panes::list(c, session),
        C::PaneListDetailed { session } => panes::list_detailed(c, session),
        C::PaneExec {
            target,
            cmd,
            wait,
            timeout,
            raw,
            max_output,
            if_pending,
        } => exec::exec(
            c,
            target,
            cmd,
            *wait,
            *timeout,
            *raw,
            *max_output,
            if_pending,
        ),
        C::PaneExecTimeout {
            target,
            cmd,
            seconds,
        } => exec::exec_timeout(c, target, cmd, *seconds),
        C::PaneWait { target, seconds } => exec::wait(c, target, *seconds),
        C::PaneReset { target } => exec::reset(c, target),
        C::PaneHasPattern {
            target,
            regex,
            lines,
        } => watch::has_pattern(c, target, regex, *lines),
        C::PaneWatch {
            target,
            regex,
            lines,
        } => watch::watch(c, target, regex, None, *lines),
        C::PaneWatchTimeout {
            target,
            regex,
            seconds,
            lines,
        } => watch::watch(c, target, regex, Some(*seconds), *lines),
        C::PaneMetadataSet { target, key, value } => metadata::set(c, target, key, value),
        C::PaneMetadataGet { target, key } => metadata::get(c, target, key),
        C::PaneMetadataList { target } => metadata::list(c, target),
        C::PaneMetadataDelete { target, key } => metadata::delete(c, target, key),
        C::PaneSendKeys { target, keys } => input::send_keys(c, target, keys),
        C::PaneSendStdin { target, text } => input::send_stdin(c, target, text),
        C::PaneSignal { target, signal } => input::signal(c, target, signal),
        C::PaneInteract { target } => interact::interact(c, target),
        C::StateSync => state::sync(c),
        C::Group(g) => group::run(c, g),
        C::Deps(d) => deps::run(c, d),
        C::Health(h) => health::run(c, h),
        C::Query(q) => query::run(c, q),
        C::Metrics(m) => metrics::run(c, m),
        C::Limits(l) => limits::run(c, l),
        C::Gc(g) => gc::run(c, g),
        C::Snapshot(s) => snapshot::run(c, s),
        C::Demo => unreachable!("handled above"),
        C::Live(_) => unreachable!("run by live::run"),
    }
}

/// Resolve a session name and pane reference to a pane handle.
///
/// # Errors
/// InvalidInput for a bad name or reference, NotFound if either does not exist.
fn pane(client: &Ctmux, target: &Target) -> Result<Pane, Failure> {
    Ok(client.session(&target.session)?.pane_str(&target.pane)?)
}
