//! Command budget: how many tmux round trips each operation costs, counted at the backend.
//! (Over the process backend an exec also starts one `tmux wait-for` waiter and the pane's
//! shell runs one `tmux` notifier; neither goes through the backend.) A change that adds a
//! round trip must update this table on purpose.

use crate::common::{Env, T};
use ctmux_core::{BackendKind, SessionOptions};

fn cost<R>(env: &Env, f: impl FnOnce() -> R) -> (u64, R) {
    let before = env.client.backend().commands_issued();
    let r = f();
    (env.client.backend().commands_issued() - before, r)
}

/// The same budget holds over both backends: a control connection counts one command per
/// `run`, like one process per `run`.
#[test]
fn round_trips_per_operation() {
    round_trips(Env::with_backend(BackendKind::Process));
    round_trips(Env::with_backend(BackendKind::Control));
}

fn round_trips(env: Env) {
    let (n, s) = cost(&env, || {
        env.client
            .session_create("b", &SessionOptions::default())
            .unwrap()
    });
    assert_eq!(n, 1, "session_create");
    let (n, _) = cost(&env, || env.client.session_list().unwrap());
    assert_eq!(n, 1, "session_list");
    let (n, _) = cost(&env, || env.client.session("b").unwrap());
    assert_eq!(n, 1, "session lookup");
    let (n, pane) = cost(&env, || s.pane_str("0").unwrap());
    assert_eq!(n, 1, "pane resolution");
    // Warm the shell so readiness polling is not counted.
    pane.run("true", T).unwrap();
    let (n, h) = cost(&env, || pane.exec("echo hi").unwrap());
    assert_eq!(
        n, 2,
        "exec: pane facts + (set-option; send-keys; send-keys)"
    );
    let (n, r) = cost(&env, || h.wait(T).unwrap());
    assert_eq!(r.output, "hi\n");
    assert_eq!(n, 1, "wait: one capture after the pushed signal");
    let (n, _) = cost(&env, || pane.info().unwrap());
    assert_eq!(n, 1, "info");
    let (n, _) = cost(&env, || pane.capture(Some(10)).unwrap());
    assert_eq!(n, 1, "capture");
    let (n, _) = cost(&env, || pane.has_pattern("hi", None).unwrap());
    assert_eq!(n, 1, "has_pattern");
    let (n, _) = cost(&env, || pane.send_keys(&["C-u"]).unwrap());
    assert_eq!(n, 1, "send_keys");
    let (n, _) = cost(&env, || pane.metadata_set("k", "v").unwrap());
    assert_eq!(n, 1, "metadata_set");
    let (n, _) = cost(&env, || pane.metadata_list().unwrap());
    assert_eq!(n, 2, "metadata_list: names, then all values in one format");
    let (n, _) = cost(&env, || s.pane_create(Some("x")).unwrap());
    assert_eq!(
        n, 3,
        "pane_create with label: label check + split + set-option"
    );
    let (n, _) = cost(&env, || s.kill().unwrap());
    assert_eq!(n, 1, "session kill");
}

/// A pushed watch of an idle pane reads it once at the start and once when the time is up:
/// nothing in between (no polling, no safety re-read within 10 s).
#[test]
fn an_idle_pushed_watch_costs_two_round_trips() {
    let env = Env::with_backend(BackendKind::Control);
    let s = env
        .client
        .session_create("idle", &SessionOptions::default())
        .unwrap();
    let pane = s.pane_str("0").unwrap();
    pane.run("true", T).unwrap();
    // Let the rest of the prompt arrive (the exec returned on its first byte).
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (n, r) = cost(&env, || {
        pane.watch(
            "^never-printed$",
            Some(std::time::Duration::from_secs(3)),
            None,
        )
    });
    assert_eq!(r.unwrap_err().kind(), ctmux_core::ErrorKind::Timeout);
    // Polling every 50 ms would cost ~60, a re-read every second 4 or more; a late prompt
    // byte (a loaded machine) may still add one re-read.
    assert!(
        (2..=3).contains(&n),
        "idle watch: first read + the read at the deadline, got {n}"
    );
}
