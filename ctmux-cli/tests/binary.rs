//! Smoke tests of the real `ctmux` binary's exit codes. (Their other purpose: with this
//! integration test present, `cargo test --workspace` builds the binary, so the end-to-end
//! tests in `tests/tests/cli.rs` that spawn it do not skip.) No tmux server is started here.

use std::process::{Command, Output, Stdio};

fn ctmux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ctmux"))
        .args(args)
        .env_remove("CTMUX_SOCKET")
        .env_remove("CTMUX_SOCKET_PATH")
        .stdin(Stdio::null())
        .output()
        .expect("run ctmux")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn help_exits_0_on_stdout() {
    let out = ctmux(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pane-exec"));
}

#[test]
fn usage_error_exits_2_with_json() {
    let out = ctmux(&["pane-wait", "s", "0", "NaN"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["kind"], "InvalidInput");
    assert_eq!(v["command"], "pane-wait");
    assert!(!out.stderr.is_empty());
}

#[test]
fn no_server_lists_nothing_and_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("absent.sock");
    let state = dir.path().join("state");
    let g = [
        "--socket-path",
        socket.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let out = ctmux(&[&g[..], &["session-list"]].concat());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["sessions"], serde_json::json!([]));
    let out = ctmux(&[&g[..], &["pane-count", "x"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["kind"], "NotFound");
    assert!(!socket.exists());
}
