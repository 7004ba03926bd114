//! The CLI's live commands: pane-stream, pane-tail, event subscribe, daemon status/logs.
//! Streams print one JSON object per line; these run `ctmux_cli::run` in-process.

use crate::common::{Env, T};
use serde_json::Value;
use std::ffi::OsString;
use std::time::Duration;

/// Run `ctmux --socket-path ... --state-dir ... ARGS`; every stdout line must be JSON.
fn live(env: &Env, args: &[&str]) -> (i32, Vec<Value>) {
    let ctmux_core::Socket::Path(sock) = env.client.server().socket().clone() else {
        unreachable!()
    };
    let mut argv: Vec<OsString> = vec![
        "ctmux".into(),
        "--socket-path".into(),
        sock.into(),
        "--state-dir".into(),
        env.client.state_dir().path().into(),
    ];
    argv.extend(args.iter().map(OsString::from));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(argv, &mut out, &mut err);
    let text = String::from_utf8(out).unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect();
    (code, lines)
}

fn in_background(f: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        f();
    })
}

#[test]
fn pane_stream_prints_lines_then_why_it_ended() {
    let env = Env::new();
    let s = env.session("st");
    let p = s.pane_create(Some("worker")).unwrap();
    let p2 = p.clone();
    let bg = in_background(move || {
        p2.send_text("printf 'alpha\\nbeta\\n'; sleep 0.2; exit 0\n")
            .unwrap();
    });
    let (code, lines) = live(&env, &["pane-stream", "st", "worker", "--timeout", "10"]);
    bg.join().unwrap();
    assert_eq!(code, 0, "{lines:?}");
    let texts: Vec<&str> = lines.iter().filter_map(|l| l["text"].as_str()).collect();
    assert!(
        texts.contains(&"alpha") && texts.contains(&"beta"),
        "{texts:?}"
    );
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "success");
    assert_eq!(last["command"], "pane-stream");
    assert_eq!(last["end"], "pane exited");
    assert_eq!(last["pane_id"], p.id().to_string());
}

#[test]
fn pane_stream_times_out_and_refuses_bad_targets() {
    let env = Env::new();
    env.session("q");
    let (code, lines) = live(&env, &["pane-stream", "q", "0", "--timeout", "0.3"]);
    assert_eq!(code, 124);
    assert_eq!(lines.last().unwrap()["kind"], "Timeout");
    let (code, lines) = live(&env, &["pane-stream", "q", "nolabel"]);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["kind"], "NotFound");
    let (code, lines) = live(&env, &["pane-stream", "q", "0", "--timeout", "-1"]);
    assert_eq!(code, 2);
    assert_eq!(lines[0]["kind"], "InvalidInput");
}

#[test]
fn pane_tail_last_lines_and_follow() {
    let env = Env::new();
    let s = env.session("t");
    // A second pane, so its exit leaves the session (and server) running.
    let p = s.pane_create(None).unwrap();
    p.run("for i in 1 2 3 4 5 6; do echo row$i; done", T)
        .unwrap();
    let id = p.id().to_string();
    let (code, lines) = live(&env, &["pane-tail", "t", &id, "50"]);
    assert_eq!(code, 0, "{lines:?}");
    let rows: Vec<&str> = lines[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|l| l.starts_with("row"))
        .collect();
    assert_eq!(rows, ["row1", "row2", "row3", "row4", "row5", "row6"]);
    let (code, _) = live(&env, &["pane-tail", "t", &id, "0"]);
    assert_eq!(code, 2);
    let p2 = p.clone();
    let bg = in_background(move || {
        p2.send_text("echo fresh; sleep 0.2; exit\n").unwrap();
    });
    let (code, lines) = live(&env, &["pane-tail", "t", &id, "3", "-f"]);
    bg.join().unwrap();
    assert_eq!(code, 0, "{lines:?}");
    let texts: Vec<&str> = lines.iter().filter_map(|l| l["text"].as_str()).collect();
    assert!(texts.iter().any(|t| t.starts_with("row")), "{texts:?}");
    assert!(texts.contains(&"fresh"), "{texts:?}");
}

#[test]
fn event_subscribe_pattern_count_timeout_and_bad_input() {
    let env = Env::new();
    let p = env.pane0("ev");
    let p2 = p.clone();
    let bg = in_background(move || {
        p2.send_text("echo server ready on 9000\n").unwrap();
    });
    let (code, lines) = live(
        &env,
        &[
            "event",
            "subscribe",
            "--session",
            "ev",
            "--pattern",
            r"ready on (\d+)",
            "--timeout",
            "10",
        ],
    );
    bg.join().unwrap();
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines.len(), 1, "exits after the first match: {lines:?}");
    assert_eq!(lines[0]["kind"], "pattern_matched");
    assert_eq!(lines[0]["matched_text"], "ready on 9000");
    assert_eq!(lines[0]["pane"], p.id().to_string());

    let (code, lines) = live(&env, &["event", "subscribe", "--timeout", "0.3"]);
    assert_eq!(code, 124);
    assert_eq!(lines.last().unwrap()["kind"], "Timeout");

    let c2 = env.client.clone();
    let bg = in_background(move || {
        c2.session_create("new1", &Default::default()).unwrap();
    });
    let (code, lines) = live(
        &env,
        &[
            "event",
            "subscribe",
            "--kind",
            "session_created",
            "--count",
            "1",
            "--timeout",
            "10",
        ],
    );
    bg.join().unwrap();
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["kind"], "session_created");
    assert_eq!(lines[0]["session"], "new1");

    for (args, code, kind) in [
        (
            vec!["event", "subscribe", "--kind", "bogus"],
            1,
            "InvalidInput",
        ),
        (
            vec!["event", "subscribe", "--pattern", "("],
            1,
            "InvalidInput",
        ),
        (vec!["event", "subscribe", "--pane", "1"], 1, "InvalidInput"),
        (
            vec!["event", "subscribe", "--session", "a:b"],
            1,
            "InvalidInput",
        ),
        (
            vec!["event", "subscribe", "--count", "0"],
            2,
            "InvalidInput",
        ),
        (vec!["event", "explode"], 2, "InvalidInput"),
        (vec!["daemon", "explode"], 2, "InvalidInput"),
    ] {
        let (got, lines) = live(&env, &args);
        assert_eq!(got, code, "{args:?}: {lines:?}");
        assert_eq!(lines.last().unwrap()["kind"], kind, "{args:?}");
    }
}

#[test]
fn subscribe_and_daemon_status_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("no-sock");
    let state = dir.path().join("state");
    let run = |args: &[&str]| {
        let mut argv: Vec<OsString> = vec![
            "ctmux".into(),
            "--socket-path".into(),
            sock.clone().into(),
            "--state-dir".into(),
            state.clone().into(),
        ];
        argv.extend(args.iter().map(OsString::from));
        let mut out = Vec::new();
        let code = ctmux_cli::run(argv, &mut out, &mut Vec::new());
        let v: Value = serde_json::from_slice(&out).unwrap();
        (code, v)
    };
    let (code, v) = run(&["event", "subscribe", "--timeout", "1"]);
    assert_eq!((code, v["kind"].as_str()), (1, Some("ServerUnavailable")));
    let (code, v) = run(&["daemon", "status"]);
    assert_eq!(code, 0);
    assert_eq!(v["running"], false);
    let (code, v) = run(&["daemon", "start"]);
    assert_eq!(
        (code, v["kind"].as_str()),
        (1, Some("ServerUnavailable")),
        "{v}"
    );
    let (code, v) = run(&["daemon", "stop"]);
    assert_eq!(code, 0);
    assert_eq!(v["was_running"], false);
}
