//! The `ctmux` CLI: every command, its JSON envelope and its exit codes.
//!
//! Most tests call `ctmux_cli::run` in-process with an explicit `--socket-path` (an isolated
//! server) and `--state-dir`; a few spawn the real binary to check process exit codes and
//! the environment variables.

use ctmux_core::{Ctmux, IsolatedServer, SessionOptions};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One call's result.
#[derive(Debug)]
struct Reply {
    code: i32,
    json: Value,
    stdout: String,
    stderr: String,
}

/// Run `ctmux ARGS...` in-process; checks that stdout is exactly one JSON object on one line.
fn call(args: &[&str]) -> Reply {
    let argv: Vec<OsString> = std::iter::once("ctmux")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(argv, &mut out, &mut err);
    let stdout = String::from_utf8(out).expect("stdout is UTF-8");
    let stderr = String::from_utf8(err).expect("stderr is UTF-8");
    assert!(
        stdout.ends_with('\n') && stdout.matches('\n').count() == 1,
        "stdout of {args:?} is not one line: {stdout:?}"
    );
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout of {args:?} is not JSON ({e}): {stdout:?}"));
    assert!(json.is_object(), "{json}");
    Reply {
        code,
        json,
        stdout,
        stderr,
    }
}

/// An isolated server already running (with its pinned shell) plus the CLI's global options.
struct Cli {
    server: IsolatedServer,
    /// A core client of the same server, for setup and cross-checks.
    client: Ctmux,
    state_dir: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let server = IsolatedServer::start().expect("isolated server");
        let state_dir = server.dir().join("state");
        let client = server.client_with_state_dir(&state_dir).expect("client");
        // Start the server through the core, so it runs with the guard's pinned config
        // (the CLI has no option for a tmux config file).
        client
            .session_create("keeper", &SessionOptions::default())
            .expect("keeper session");
        Cli {
            server,
            client,
            state_dir,
        }
    }

    fn globals(&self) -> Vec<String> {
        vec![
            "--socket-path".into(),
            self.server.socket_path().display().to_string(),
            "--state-dir".into(),
            self.state_dir.display().to_string(),
        ]
    }

    fn call(&self, args: &[&str]) -> Reply {
        let g = self.globals();
        let mut all: Vec<&str> = g.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        call(&all)
    }

    /// A call that must succeed: exit 0, status success, the command's name.
    fn ok(&self, args: &[&str]) -> Value {
        let r = self.call(args);
        assert_eq!(r.code, 0, "{args:?}: {} {}", r.json, r.stderr);
        assert_eq!(r.json["status"], "success", "{args:?}: {}", r.json);
        assert_eq!(r.json["command"], args[0], "{}", r.json);
        r.json
    }

    /// A call that must fail with `kind` and exit `code`.
    fn fails(&self, args: &[&str], code: i32, kind: &str) -> Value {
        let r = self.call(args);
        assert_error(&r, args, code, kind);
        r.json
    }

    /// A session made through the CLI (120x40).
    fn session(&self, name: &str) -> Value {
        self.ok(&["session-create", name, "--window-size", "120x40"])
    }
}

fn assert_error(r: &Reply, args: &[&str], code: i32, kind: &str) {
    assert_eq!(r.code, code, "{args:?}: {}", r.json);
    assert_eq!(r.json["status"], "error", "{args:?}: {}", r.json);
    assert_eq!(r.json["kind"], kind, "{args:?}: {}", r.json);
    let msg = r.json["error"].as_str().unwrap_or("");
    assert!(!msg.is_empty(), "{args:?}: no message in {}", r.json);
}

/// Poll `f` until it is true (20 s at most).
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

const WAIT: &str = "20";

// ---------------------------------------------------------------------------------------
// Help, usage errors, envelope

#[test]
fn help_describes_every_command() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(vec!["ctmux".into(), "--help".into()], &mut out, &mut err);
    assert_eq!(code, 0);
    let help = String::from_utf8(out).unwrap();
    for cmd in [
        "session-create",
        "session-list",
        "session-kill",
        "pane-create",
        "pane-kill",
        "pane-exec",
        "pane-exec-timeout",
        "pane-wait",
        "pane-reset",
        "pane-is-running",
        "pane-status",
        "pane-capture",
        "pane-count",
        "pane-find",
        "pane-list-json",
        "pane-list-detailed",
        "state-sync",
        "pane-has-pattern",
        "pane-watch",
        "pane-watch-timeout",
        "pane-metadata-set",
        "pane-metadata-get",
        "pane-metadata-list",
        "pane-metadata-delete",
        "pane-create-with-layout",
        "pane-send-keys",
        "pane-send-stdin",
        "pane-signal",
        "pane-interact",
        "demo",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}");
    }
    for word in [
        "--socket-path",
        "CTMUX_STATE_DIR",
        "--ready-timeout",
        "CTMUX_READY_TIMEOUT",
        "124",
        "Exit codes",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    assert!(err.is_empty());

    for (cmd, words) in [
        (
            "pane-exec",
            &[
                "--wait",
                "--timeout",
                "<CMD>",
                "exit_code",
                "--raw",
                "--max-output",
                "output_raw",
                "base64",
            ][..],
        ),
        (
            "pane-reset",
            &["<SESSION>", "<PANE>", "remain-on-exit", "Busy"],
        ),
        ("pane-watch-timeout", &["<REGEX>", "<SECONDS>", "--lines"]),
        ("session-create", &["--window-size", "--cwd"]),
        ("pane-interact", &["terminal"]),
        ("demo", &["human-readable", "JSON"]),
    ] {
        let mut out = Vec::new();
        let code = ctmux_cli::run(
            vec!["ctmux".into(), cmd.into(), "--help".into()],
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(code, 0, "{cmd} --help");
        let help = String::from_utf8(out).unwrap();
        for w in words {
            assert!(help.contains(w), "{cmd} --help lacks {w}: {help}");
        }
    }
    let mut out = Vec::new();
    assert_eq!(
        ctmux_cli::run(
            vec!["ctmux".into(), "--version".into()],
            &mut out,
            &mut Vec::new()
        ),
        0
    );
    assert!(String::from_utf8(out).unwrap().starts_with("ctmux "));
}

#[test]
fn usage_errors_exit_2_with_json() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "ctmux"),
        (&["no-such-command"], "ctmux"),
        (&["session-create"], "session-create"),
        (&["pane-exec", "s", "0"], "pane-exec"),
        (
            &["pane-exec", "s", "0", "true", "--timeout", "1"],
            "pane-exec",
        ),
        (
            &["pane-exec", "s", "0", "true", "--wait", "--timeout", "-1"],
            "pane-exec",
        ),
        (
            &["pane-exec-timeout", "s", "0", "true", "abc"],
            "pane-exec-timeout",
        ),
        (
            &["pane-exec-timeout", "s", "0", "true", "NaN"],
            "pane-exec-timeout",
        ),
        (&["pane-wait", "s", "0", "inf"], "pane-wait"),
        (&["pane-wait", "s", "0", "-1"], "pane-wait"),
        (
            &["pane-watch-timeout", "s", "0", "x", "5s"],
            "pane-watch-timeout",
        ),
        (
            &["pane-watch", "s", "0", "x", "--lines", "many"],
            "pane-watch",
        ),
        (&["pane-capture", "s", "0", "-5"], "pane-capture"),
        (
            &["pane-has-pattern", "s", "0", "x", "lots"],
            "pane-has-pattern",
        ),
        (
            &["session-create", "x", "--window-size", "80"],
            "session-create",
        ),
        (
            &["session-create", "x", "--window-size", "0x0"],
            "session-create",
        ),
        (
            &["session-create", "x", "--window-size", "80x24x1"],
            "session-create",
        ),
        (&["pane-send-keys", "s", "0"], "pane-send-keys"),
        (
            &["--socket", "a", "--socket-path", "/b", "session-list"],
            "session-list",
        ),
        (&["session-list", "extra"], "session-list"),
        (&["--ready-timeout", "abc", "session-list"], "session-list"),
        (&["--ready-timeout", "0", "session-list"], "session-list"),
        (&["session-list", "--ready-timeout", "NaN"], "session-list"),
        (
            &["session-list", "--ready-timeout", "86401"],
            "session-list",
        ),
        (&["session-list", "--ready-timeout", "5s"], "session-list"),
        (&["session-list", "--ready-timeout"], "session-list"),
    ];
    for (args, command) in cases {
        let r = call(args);
        assert_error(&r, args, 2, "InvalidInput");
        assert_eq!(r.json["command"], *command, "{args:?}");
        assert!(
            !r.stderr.is_empty(),
            "{args:?}: clap's explanation belongs on stderr"
        );
    }
}

#[test]
fn envelope_keys_come_first_in_order() {
    let cli = Cli::new();
    let r = cli.call(&["session-create", "api"]);
    assert!(
        r.stdout.starts_with(
            "{\"status\":\"success\",\"command\":\"session-create\",\"session\":\"api\","
        ),
        "{}",
        r.stdout
    );
    let r = cli.call(&["pane-capture", "api", "0"]);
    assert!(
        r.stdout
            .starts_with("{\"status\":\"success\",\"command\":\"pane-capture\",\"session\":\"api\",\"pane_id\":\"%"),
        "{}",
        r.stdout
    );
    let r = cli.call(&["pane-capture", "api", "7"]);
    assert!(
        r.stdout.starts_with(
            "{\"status\":\"error\",\"command\":\"pane-capture\",\"session\":\"api\",\"kind\":\"NotFound\",\"error\":"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(r.code, 1);
}

#[test]
fn non_utf8_arguments_are_usage_errors() {
    use std::os::unix::ffi::OsStringExt;
    let bad = OsString::from_vec(vec![b'a', 0xff, b'b']);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(
        vec!["ctmux".into(), "pane-count".into(), bad],
        &mut out,
        &mut err,
    );
    assert_eq!(code, 2);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["kind"], "InvalidInput");
    assert_eq!(v["command"], "pane-count");
}

#[test]
fn without_a_server_list_is_empty_and_the_rest_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-server.sock");
    let state = dir.path().join("state");
    let g = [
        "--socket-path",
        socket.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let with = |args: &[&str]| -> Reply {
        let mut all = g.to_vec();
        all.extend_from_slice(args);
        call(&all)
    };
    let r = with(&["session-list"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.json,
        json!({"status": "success", "command": "session-list", "sessions": []})
    );
    for args in [
        &["session-kill", "x"][..],
        &["pane-count", "x"],
        &["pane-exec", "x", "0", "true"],
        &["pane-list-json", "x"],
        &["pane-metadata-list", "x", "0"],
    ] {
        let r = with(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.json);
        let kind = r.json["kind"].as_str().unwrap();
        assert!(
            kind == "NotFound" || kind == "ServerUnavailable",
            "{args:?}: {}",
            r.json
        );
        assert_eq!(r.json["session"], "x", "{}", r.json);
    }
    let r = with(&["state-sync"]);
    assert_eq!(r.code, 0, "{}", r.json);
    assert_eq!(r.json["session_count"], 0);
    assert!(
        !socket.exists(),
        "a read-only command must not start a server"
    );

    // Options may follow the command too, and a socket name reaches `tmux -L`.
    let r = call(&[
        "session-list",
        "--socket",
        &format!("ctmux-cli-test-absent-{}", std::process::id()),
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.json);
    assert_eq!(r.json["sessions"], json!([]));
}

#[test]
fn bad_globals_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let r = call(&[
        "--socket-path",
        "/tmp/x.sock",
        "--state-dir",
        file.to_str().unwrap(),
        "session-list",
    ]);
    assert_error(&r, &["--state-dir file"], 1, "PermissionDenied");
    let r = call(&[
        "--socket-path",
        "/tmp/x.sock",
        "--state-dir",
        dir.path().join("no/such/dir").to_str().unwrap(),
        "session-list",
    ]);
    assert_error(&r, &["--state-dir missing"], 1, "NotFound");
    let state = dir.path().join("state");
    let r = call(&[
        "--socket-path",
        "",
        "--state-dir",
        state.to_str().unwrap(),
        "session-list",
    ]);
    assert_error(&r, &["--socket-path ''"], 2, "InvalidInput");
    let r = call(&[
        "--socket-path",
        "/tmp/a\nb",
        "--state-dir",
        state.to_str().unwrap(),
        "session-list",
    ]);
    assert_error(&r, &["--socket-path with newline"], 1, "InvalidInput");
    let r = call(&[
        "--socket",
        "a/b",
        "--state-dir",
        state.to_str().unwrap(),
        "session-list",
    ]);
    assert_error(&r, &["--socket a/b"], 1, "InvalidInput");
}

// ---------------------------------------------------------------------------------------
// Sessions

#[test]
fn session_create_list_kill() {
    let cli = Cli::new();
    let cwd = tempfile::tempdir().unwrap();
    let v = cli.ok(&[
        "session-create",
        "api",
        "--cwd",
        cwd.path().to_str().unwrap(),
        "--window-size",
        "100x30",
    ]);
    assert_eq!(v["session"], "api");
    assert!(v["session_id"].as_str().unwrap().starts_with('$'), "{v}");

    let panes = cli.ok(&["pane-list-detailed", "api"]);
    let p = &panes["panes"][0];
    assert_eq!(
        (p["width"].as_u64(), p["height"].as_u64()),
        (Some(100), Some(30))
    );
    let want = std::fs::canonicalize(cwd.path()).unwrap();
    until("the pane's cwd", || {
        let v = cli.ok(&["pane-list-detailed", "api"]);
        Path::new(v["panes"][0]["cwd"].as_str().unwrap()) == want
    });

    let list = cli.ok(&["session-list"]);
    let sessions = list["sessions"].as_array().unwrap();
    let api = sessions
        .iter()
        .find(|s| s["name"] == "api")
        .expect("api listed");
    assert_eq!(api["panes"], 1);
    assert_eq!(api["id"], v["session_id"]);

    cli.fails(&["session-create", "api"], 1, "AlreadyExists");
    for bad in ["a:b", "a.b", "", "=x", "tab\there"] {
        cli.fails(&["session-create", bad], 1, "InvalidInput");
    }
    cli.fails(
        &["session-create", "nocwd", "--cwd", "/no/such/dir/ctmux"],
        1,
        "NotFound",
    );

    let v = cli.ok(&["session-kill", "api"]);
    assert_eq!(v["session"], "api");
    cli.fails(&["session-kill", "api"], 1, "NotFound");
    cli.fails(&["session-kill", "a:b"], 1, "InvalidInput");
    let list = cli.ok(&["session-list"]);
    assert!(list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["name"] != "api"));
}

// ---------------------------------------------------------------------------------------
// Pane lifecycle and listing

#[test]
fn pane_create_find_list_count_kill() {
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&["pane-create", "s", "web"]);
    let web = v["pane_id"].as_str().unwrap().to_owned();
    assert!(web.starts_with('%'));
    assert_eq!(v["label"], "web");
    assert_eq!(v["session"], "s");
    let v = cli.ok(&["pane-create", "s"]);
    assert_eq!(v["label"], Value::Null);

    cli.fails(&["pane-create", "s", "web"], 1, "AlreadyExists");
    cli.fails(&["pane-create", "s", "123"], 1, "InvalidInput");
    cli.fails(&["pane-create", "s", "%x"], 1, "InvalidInput");
    cli.fails(&["pane-create", "nope", "x"], 1, "NotFound");

    assert_eq!(cli.ok(&["pane-count", "s"])["count"], 3);
    cli.fails(&["pane-count", "nope"], 1, "NotFound");
    cli.fails(&["pane-count", "a:b"], 1, "InvalidInput");

    let v = cli.ok(&["pane-find", "s", "web"]);
    assert_eq!(v["pane_id"], web);
    assert!(v["index"].is_u64());
    cli.fails(&["pane-find", "s", "nope"], 1, "NotFound");
    cli.fails(&["pane-find", "s", "12"], 1, "InvalidInput");

    let v = cli.ok(&["pane-list-json", "s"]);
    let panes = v["panes"].as_array().unwrap();
    assert_eq!(panes.len(), 3);
    for p in panes {
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["index", "label", "pane_id"], "{p}");
    }
    assert!(panes
        .iter()
        .any(|p| p["pane_id"] == web && p["label"] == "web"));
    cli.fails(&["pane-list-json", "nope"], 1, "NotFound");

    let v = cli.ok(&["pane-list-detailed", "s"]);
    for p in v["panes"].as_array().unwrap() {
        for key in [
            "pane_id", "index", "label", "cwd", "command", "running", "pid", "width",
        ] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
        assert_eq!(p["running"], false);
    }
    cli.fails(&["pane-list-detailed", "nope"], 1, "NotFound");

    // A pane by label, by id and by index.
    let v = cli.ok(&["pane-kill", "s", "web"]);
    assert_eq!(v["pane_id"], web);
    cli.fails(&["pane-kill", "s", "web"], 1, "NotFound");
    cli.fails(&["pane-kill", "s", &web], 1, "NotFound");
    cli.fails(&["pane-kill", "s", "%zz"], 1, "InvalidInput");
    cli.fails(&["pane-find", "s", "web"], 1, "NotFound");
}

#[test]
fn pane_kill_by_index_and_id() {
    let cli = Cli::new();
    cli.session("s");
    let second = cli.ok(&["pane-create", "s"])["pane_id"]
        .as_str()
        .unwrap()
        .to_owned();
    cli.ok(&["pane-kill", "s", &second]);
    assert_eq!(cli.ok(&["pane-count", "s"])["count"], 1);
    cli.fails(&["pane-kill", "s", "7"], 1, "NotFound");
    cli.ok(&["pane-kill", "s", "0"]);
    cli.fails(&["pane-count", "s"], 1, "NotFound");
}

#[test]
fn pane_create_with_layout() {
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&["pane-create-with-layout", "s", "a", "tiled"]);
    assert_eq!(v["label"], "a");
    assert_eq!(v["layout"], "tiled");
    assert!(v["pane_id"].as_str().unwrap().starts_with('%'));
    cli.ok(&["pane-create-with-layout", "s", "b", "vertical"]);
    assert_eq!(cli.ok(&["pane-count", "s"])["count"], 3);
    cli.fails(
        &["pane-create-with-layout", "s", "c", "diagonal"],
        1,
        "InvalidInput",
    );
    cli.fails(
        &["pane-create-with-layout", "s", "c", "zzzz,1x1,0,0"],
        1,
        "InvalidInput",
    );
    cli.fails(
        &["pane-create-with-layout", "s", "a", "tiled"],
        1,
        "AlreadyExists",
    );
    cli.fails(
        &["pane-create-with-layout", "nope", "c", "tiled"],
        1,
        "NotFound",
    );
    assert_eq!(
        cli.ok(&["pane-count", "s"])["count"],
        3,
        "nothing left behind"
    );
}

// ---------------------------------------------------------------------------------------
// Exec, wait, timeouts

#[test]
fn pane_exec_with_and_without_wait() {
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&[
        "pane-exec",
        "s",
        "0",
        "echo one; (exit 3)",
        "--wait",
        "--timeout",
        WAIT,
    ]);
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["output"], "one\n");
    assert_eq!(v["truncated"], false);
    assert!(v["duration"].as_f64().unwrap() >= 0.0);
    assert!(v["exec_id"].is_string());
    assert!(v["pane_id"].as_str().unwrap().starts_with('%'));
    assert_eq!(v["session"], "s");

    let text = r#"printf '%s\n' "it's \"quoted\" — ünï ✓ $((6*7))" '-n' "\$HOME""#;
    let v = cli.ok(&["pane-exec", "s", "0", text, "--wait"]);
    assert_eq!(
        v["output"], "it's \"quoted\" — ünï ✓ 42\n-n\n$HOME\n",
        "{v}"
    );
    // A command starting with '-' is a command, not an option.
    let v = cli.ok(&["pane-exec", "s", "0", "-v", "--wait", "--timeout", WAIT]);
    assert_eq!(v["exit_code"], 127, "{v}");

    let v = cli.ok(&["pane-exec", "s", "0", "echo later; (exit 4)"]);
    let id = v["exec_id"].as_str().unwrap().to_owned();
    assert!(v.get("exit_code").is_none(), "{v}");
    let v = cli.ok(&["pane-wait", "s", "0", WAIT]);
    assert_eq!(v["exec_id"], id);
    assert_eq!(v["exit_code"], 4);
    assert_eq!(v["output"], "later\n");

    cli.fails(&["pane-exec", "s", "0", ""], 1, "InvalidInput");
    cli.fails(&["pane-exec", "s", "0", "   "], 1, "InvalidInput");
    cli.fails(&["pane-exec", "s", "9", "true"], 1, "NotFound");
    cli.fails(&["pane-exec", "s", "%x", "true"], 1, "InvalidInput");
    cli.fails(&["pane-exec", "nope", "0", "true"], 1, "NotFound");
}

#[test]
fn pane_exec_timeout_busy_signal_and_wait() {
    let cli = Cli::new();
    cli.session("s");
    let r = cli.call(&[
        "pane-exec",
        "s",
        "0",
        "echo started; sleep 30",
        "--wait",
        "--timeout",
        "0.5",
    ]);
    assert_error(&r, &["pane-exec --timeout"], 124, "Timeout");
    assert_eq!(r.json["output"], "started\n", "{}", r.json);
    assert!(r.json["exec_id"].is_string(), "{}", r.json);
    assert_eq!(r.json["session"], "s");

    // Still running: another exec is refused, and the wait times out again.
    until("the job to run", || {
        cli.ok(&["pane-is-running", "s", "0"])["running"] == true
    });
    cli.fails(&["pane-exec", "s", "0", "true"], 1, "Busy");
    let r = cli.call(&["pane-wait", "s", "0", "0.2"]);
    assert_error(&r, &["pane-wait 0.2"], 124, "Timeout");

    let v = cli.ok(&["pane-signal", "s", "0", "int"]);
    assert_eq!(v["signal"], "SIGINT");
    assert!(!v["process_groups"].as_array().unwrap().is_empty(), "{v}");
    let v = cli.ok(&["pane-wait", "s", "0", WAIT]);
    assert_eq!(v["exit_code"], 130);
    assert_eq!(v["output"], "started\n");
    assert_eq!(cli.ok(&["pane-is-running", "s", "0"])["running"], false);
}

#[test]
fn pane_exec_timeout_command() {
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&["pane-exec-timeout", "s", "0", "echo quick", WAIT]);
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["output"], "quick\n");
    assert!(v["exec_id"].is_string());

    let r = cli.call(&["pane-exec-timeout", "s", "0", "echo slow; sleep 30", "0.5"]);
    assert_error(&r, &["pane-exec-timeout"], 124, "Timeout");
    assert_eq!(r.json["output"], "slow\n", "{}", r.json);
    // It was interrupted: the pane is free again.
    until("the pane to be idle", || {
        cli.ok(&["pane-is-running", "s", "0"])["running"] == false
    });
    let v = cli.ok(&["pane-exec-timeout", "s", "0", "echo again", WAIT]);
    assert_eq!(v["output"], "again\n");

    cli.fails(&["pane-exec-timeout", "s", "0", "", "1"], 1, "InvalidInput");
    cli.fails(
        &["pane-exec-timeout", "nope", "0", "true", "1"],
        1,
        "NotFound",
    );
    cli.fails(
        &["pane-exec-timeout", "s", "lbl", "true", "1"],
        1,
        "NotFound",
    );
}

#[test]
fn pane_exec_raw_and_max_output() {
    use base64::Engine;
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&[
        "pane-exec",
        "s",
        "0",
        r"printf 'a\tb\n'",
        "--wait",
        "--timeout",
        WAIT,
        "--raw",
    ]);
    assert_eq!(v["exit_code"], 0, "{v}");
    assert_eq!(v["output"], "a\tb\n", "{v}");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v["output_raw"].as_str().expect("output_raw is a string"))
        .expect("output_raw is base64");
    assert!(raw.windows(2).any(|w| w == b"\r\n"), "{raw:?}");
    assert!(raw.starts_with(b"a\tb"), "{raw:?}");
    assert_eq!(v["truncated"], false, "{v}");
    // Without --raw there is no output_raw, and a small output names no file.
    let v = cli.ok(&["pane-exec", "s", "0", "echo plain", "--wait"]);
    assert!(v.get("output_raw").is_none(), "{v}");
    assert!(v.get("output_file").is_none(), "{v}");

    let v = cli.ok(&[
        "pane-exec",
        "s",
        "0",
        "seq 1 1000",
        "--wait",
        "--timeout",
        WAIT,
        "--max-output",
        "5",
    ]);
    assert_eq!(v["exit_code"], 0, "{v}");
    assert_eq!(v["truncated"], true, "{v}");
    assert!(v["output"].as_str().unwrap().len() <= 5, "{v}");

    // Both options only mean something to a wait in this process.
    let r = cli.call(&["pane-exec", "s", "0", "true", "--raw"]);
    assert_error(&r, &["pane-exec --raw"], 2, "InvalidInput");
    let r = cli.call(&["pane-exec", "s", "0", "true", "--max-output", "5"]);
    assert_error(&r, &["pane-exec --max-output"], 2, "InvalidInput");
    for bad in ["abc", "-1", "1.5", ""] {
        let args = ["pane-exec", "s", "0", "true", "--wait", "--max-output", bad];
        let r = cli.call(&args);
        assert_error(&r, &args, 2, "InvalidInput");
        assert_eq!(r.json["command"], "pane-exec");
    }
}

#[test]
fn pane_reset_clears_a_stuck_exec() {
    let cli = Cli::new();
    cli.session("s");
    let id = cli.ok(&["pane-exec", "s", "0", "sleep 100"])["exec_id"].clone();
    until("sleep to run", || {
        cli.ok(&["pane-status", "s", "0"])["foreground_command"]
            .as_str()
            .unwrap_or("")
            .starts_with("sleep")
    });
    let v = cli.ok(&["pane-status", "s", "0"]);
    assert_eq!((&v["exec_id"], &v["exec_finished"]), (&id, &json!(false)));

    let v = cli.ok(&["pane-reset", "s", "0"]);
    assert!(v["pane_id"].as_str().unwrap().starts_with('%'), "{v}");
    assert_eq!(v["session"], "s");
    // The exec is over for ctmux; the job itself was left alone.
    let v = cli.ok(&["pane-status", "s", "0"]);
    assert_eq!(v["exec_finished"], true, "{v}");
    assert_eq!(v["running"], true, "{v}");
    assert!(
        v["foreground_command"]
            .as_str()
            .unwrap_or("")
            .starts_with("sleep"),
        "{v}"
    );
    // A reset of a pane with nothing pending is fine too.
    cli.ok(&["pane-reset", "s", "0"]);

    cli.ok(&["pane-signal", "s", "0", "SIGTERM"]);
    until("the pane to be idle", || {
        cli.ok(&["pane-is-running", "s", "0"])["running"] == false
    });
    let v = cli.ok(&[
        "pane-exec",
        "s",
        "0",
        "echo after",
        "--wait",
        "--timeout",
        WAIT,
    ]);
    assert_eq!(v["output"], "after\n", "{v}");

    cli.fails(&["pane-reset", "s", "9"], 1, "NotFound");
    cli.fails(&["pane-reset", "s", "%999"], 1, "NotFound");
    cli.fails(&["pane-reset", "nope", "0"], 1, "NotFound");
    cli.fails(&["pane-reset", "s", "%x"], 1, "InvalidInput");
    let r = cli.call(&["pane-reset", "s"]);
    assert_error(&r, &["pane-reset s"], 2, "InvalidInput");
}

#[test]
fn pane_wait_for_jobs_ctmux_did_not_start() {
    let cli = Cli::new();
    cli.session("s");
    // Nothing started: returns at once with nulls.
    let v = cli.ok(&["pane-wait", "s", "0"]);
    assert_eq!(v["exit_code"], Value::Null);
    assert_eq!(v["output"], Value::Null);
    // A job typed by hand: waited for, no exit code.
    cli.ok(&["pane-send-stdin", "s", "0", "sleep 0.5"]);
    cli.ok(&["pane-send-keys", "s", "0", "Enter"]);
    until("the typed job to run", || {
        cli.ok(&["pane-is-running", "s", "0"])["running"] == true
    });
    let v = cli.ok(&["pane-wait", "s", "0", WAIT]);
    assert_eq!(v["exit_code"], Value::Null, "{v}");
    assert_eq!(cli.ok(&["pane-is-running", "s", "0"])["running"], false);

    cli.fails(&["pane-wait", "s", "5"], 1, "NotFound");
    cli.fails(&["pane-wait", "nope", "0"], 1, "NotFound");
}

#[test]
fn pane_is_running_and_status() {
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&["pane-is-running", "s", "0"]);
    assert_eq!(v["running"], false);
    assert!(v["pane_id"].is_string());
    let v = cli.ok(&["pane-status", "s", "0"]);
    assert_eq!(v["running"], false);
    assert_eq!(v["foreground_pgid"], Value::Null);
    assert_eq!(v["exec_id"], Value::Null);
    for key in [
        "pane_id",
        "index",
        "cwd",
        "current_command",
        "pid",
        "dead",
        "exec_finished",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {v}");
    }
    assert_eq!(
        v["command"], "pane-status",
        "the envelope's command is not overwritten"
    );

    let id = cli.ok(&["pane-exec", "s", "0", "sleep 30"])["exec_id"].clone();
    until("sleep to run", || {
        cli.ok(&["pane-is-running", "s", "0"])["running"] == true
    });
    let v = cli.ok(&["pane-status", "s", "0"]);
    assert_eq!(v["exec_id"], id);
    assert_eq!(v["exec_finished"], false);
    assert!(v["foreground_pgid"].is_i64(), "{v}");
    assert!(
        v["foreground_command"]
            .as_str()
            .unwrap_or("")
            .contains("sleep"),
        "{v}"
    );

    cli.ok(&["pane-signal", "s", "0", "SIGTERM"]);
    cli.ok(&["pane-wait", "s", "0", WAIT]);
    let v = cli.ok(&["pane-status", "s", "0"]);
    assert_eq!(v["exec_finished"], true);
    assert_eq!(v["exit_code"], 143);
    assert_eq!(v["running"], false);

    cli.fails(&["pane-is-running", "s", "3"], 1, "NotFound");
    cli.fails(&["pane-is-running", "s", ""], 1, "InvalidInput");
    cli.fails(&["pane-status", "s", "%999"], 1, "NotFound");
    cli.fails(&["pane-status", "nope", "0"], 1, "NotFound");
}

// ---------------------------------------------------------------------------------------
// Capture and patterns

#[test]
fn pane_capture() {
    let cli = Cli::new();
    cli.session("s");
    cli.ok(&[
        "pane-exec",
        "s",
        "0",
        "seq 1 100 | sed 's/^/line-/'",
        "--wait",
        "--timeout",
        WAIT,
    ]);
    let v = cli.ok(&["pane-capture", "s", "0"]);
    let screen = v["output"].as_str().unwrap();
    assert!(screen.contains("line-100"), "{screen}");
    assert!(
        !screen.contains("line-1\n"),
        "history is not in the plain capture"
    );
    let v = cli.ok(&["pane-capture", "s", "0", "200"]);
    assert!(v["output"].as_str().unwrap().contains("line-1\n"), "{v}");
    cli.fails(&["pane-capture", "s", "4"], 1, "NotFound");
    cli.fails(&["pane-capture", "nope", "0"], 1, "NotFound");
}

#[test]
fn pane_has_pattern_and_watch() {
    let cli = Cli::new();
    cli.session("s");
    cli.ok(&[
        "pane-exec",
        "s",
        "0",
        "echo port 8080 open",
        "--wait",
        "--timeout",
        WAIT,
    ]);

    let v = cli.ok(&["pane-has-pattern", "s", "0", r"port (\d+)"]);
    assert_eq!(v["matched"], true);
    assert_eq!(v["line"], "port 8080 open");
    assert_eq!(v["matched_text"], "port 8080");
    let v = cli.ok(&["pane-has-pattern", "s", "0", "^never here$", "10"]);
    assert_eq!(v["matched"], false);
    assert_eq!(v["line"], Value::Null);
    cli.fails(&["pane-has-pattern", "s", "0", "("], 1, "InvalidInput");
    cli.fails(&["pane-has-pattern", "s", "0", ""], 1, "InvalidInput");
    cli.fails(&["pane-has-pattern", "nope", "0", "x"], 1, "NotFound");

    // pane-watch (no time limit) sees a line printed later by a running job.
    cli.ok(&["pane-exec", "s", "0", "sleep 0.3; echo LATE-LINE"]);
    let v = cli.ok(&["pane-watch", "s", "0", "^LATE-LINE$"]);
    assert_eq!(v["matched"], true);
    assert_eq!(v["line"], "LATE-LINE");
    cli.ok(&["pane-wait", "s", "0", WAIT]);
    let v = cli.ok(&["pane-watch", "s", "0", "8080", "--lines", "100"]);
    assert_eq!(v["line"], "port 8080 open");
    cli.fails(&["pane-watch", "s", "0", "[z-a]"], 1, "InvalidInput");
    cli.fails(&["pane-watch", "s", "9", "x"], 1, "NotFound");

    let v = cli.ok(&[
        "pane-watch-timeout",
        "s",
        "0",
        "LATE",
        WAIT,
        "--lines",
        "50",
    ]);
    assert_eq!(v["matched"], true);
    let r = cli.call(&["pane-watch-timeout", "s", "0", "^never here$", "0.3"]);
    assert_error(&r, &["pane-watch-timeout"], 124, "Timeout");
    assert!(
        r.json["output"].as_str().unwrap().contains("LATE-LINE"),
        "{}",
        r.json
    );
    cli.fails(
        &["pane-watch-timeout", "s", "0", "(", "1"],
        1,
        "InvalidInput",
    );
    cli.fails(
        &["pane-watch-timeout", "nope", "0", "x", "1"],
        1,
        "NotFound",
    );
}

// ---------------------------------------------------------------------------------------
// Metadata

#[test]
fn pane_metadata() {
    let cli = Cli::new();
    cli.session("s");
    cli.ok(&["pane-create", "s", "web"]);
    let v = cli.ok(&["pane-metadata-set", "s", "web", "role", "http server ✓"]);
    assert_eq!(
        (v["key"].as_str(), v["value"].as_str()),
        (Some("role"), Some("http server ✓"))
    );
    cli.ok(&["pane-metadata-set", "s", "web", "flag", "--not-an-option"]);
    let v = cli.ok(&["pane-metadata-get", "s", "web", "role"]);
    assert_eq!(v["value"], "http server ✓");
    let v = cli.ok(&["pane-metadata-list", "s", "web"]);
    assert_eq!(
        v["metadata"],
        json!({"role": "http server ✓", "flag": "--not-an-option"})
    );
    assert_eq!(
        cli.ok(&["pane-metadata-list", "s", "0"])["metadata"],
        json!({})
    );

    let v = cli.ok(&["pane-metadata-delete", "s", "web", "flag"]);
    assert_eq!(v["key"], "flag");
    cli.fails(&["pane-metadata-delete", "s", "web", "flag"], 1, "NotFound");
    cli.fails(&["pane-metadata-get", "s", "web", "flag"], 1, "NotFound");
    cli.fails(
        &["pane-metadata-set", "s", "web", "bad key", "v"],
        1,
        "InvalidInput",
    );
    cli.fails(
        &["pane-metadata-set", "s", "web", "k", "a\u{1f}b"],
        1,
        "InvalidInput",
    );
    cli.fails(
        &["pane-metadata-get", "s", "web", "bad.key"],
        1,
        "InvalidInput",
    );
    cli.fails(&["pane-metadata-delete", "s", "web", ""], 1, "InvalidInput");
    cli.fails(&["pane-metadata-list", "s", "nolabel"], 1, "NotFound");
    cli.fails(&["pane-metadata-set", "nope", "0", "k", "v"], 1, "NotFound");
}

// ---------------------------------------------------------------------------------------
// Keys, text, signals, interact

#[test]
fn pane_send_keys_stdin_and_signal() {
    let cli = Cli::new();
    cli.session("s");
    let v = cli.ok(&["pane-send-stdin", "s", "0", "echo typed-$((40+2))"]);
    assert_eq!(v["bytes"], 20);
    let v = cli.ok(&["pane-send-keys", "s", "0", "Enter"]);
    assert_eq!(v["keys"], json!(["Enter"]));
    until("typed output", || {
        cli.ok(&["pane-has-pattern", "s", "0", "^typed-42$"])["matched"] == true
    });
    cli.ok(&[
        "pane-send-keys",
        "s",
        "0",
        "echo",
        "Space",
        "two-keys",
        "Enter",
    ]);
    until("keys output", || {
        cli.ok(&["pane-has-pattern", "s", "0", "^two-keys$"])["matched"] == true
    });

    cli.fails(&["pane-send-stdin", "s", "0", ""], 1, "InvalidInput");
    cli.fails(&["pane-send-keys", "s", "0", ""], 1, "InvalidInput");
    cli.fails(&["pane-send-keys", "nope", "0", "Enter"], 1, "NotFound");
    cli.fails(&["pane-send-stdin", "s", "6", "x"], 1, "NotFound");

    // No job: nothing to signal.
    cli.fails(&["pane-signal", "s", "0", "SIGINT"], 1, "NotFound");
    cli.fails(&["pane-signal", "s", "0", "SIGFOO"], 1, "InvalidInput");
    cli.fails(&["pane-signal", "s", "0", "99"], 1, "InvalidInput");
    cli.fails(&["pane-signal", "nope", "0", "INT"], 1, "NotFound");

    // Ctrl-C by key interrupts an exec: exit 130.
    cli.ok(&["pane-exec", "s", "0", "sleep 30"]);
    until("sleep to run", || {
        cli.ok(&["pane-is-running", "s", "0"])["running"] == true
    });
    cli.ok(&["pane-send-keys", "s", "0", "C-c"]);
    assert_eq!(cli.ok(&["pane-wait", "s", "0", WAIT])["exit_code"], 130);
}

#[test]
fn pane_interact_refuses_without_a_terminal() {
    let cli = Cli::new();
    cli.session("s");
    cli.fails(&["pane-interact", "nope", "0"], 1, "NotFound");
    cli.fails(&["pane-interact", "s", "4"], 1, "NotFound");
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        eprintln!("skipping the in-process no-terminal check: this test runs on a terminal");
        return;
    }
    let v = cli.fails(&["pane-interact", "s", "0"], 1, "InvalidInput");
    assert_eq!(v["error"], "pane-interact needs a terminal");
}

// ---------------------------------------------------------------------------------------
// State

#[test]
fn pane_exec_if_pending_fail_names_the_text() {
    let cli = Cli::new();
    cli.session("s");
    cli.ok(&["pane-exec", "s", "0", "true", "--wait", "--timeout", WAIT]);
    cli.ok(&["pane-send-keys", "s", "0", "git sta"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let v = cli.fails(
        &[
            "pane-exec",
            "s",
            "0",
            "echo never",
            "--wait",
            "--if-pending",
            "fail",
        ],
        1,
        "Busy",
    );
    assert!(v["error"].as_str().unwrap().contains("git sta"), "{v}");
    let v = cli.ok(&[
        "pane-exec",
        "s",
        "0",
        "echo ok",
        "--wait",
        "--timeout",
        WAIT,
    ]);
    assert_eq!(v["output"], "ok\n");
    cli.fails(
        &["pane-exec", "s", "0", "true", "--if-pending", "maybe"],
        2,
        "InvalidInput",
    );
}

#[test]
fn state_sync_reports_and_cleans() {
    let cli = Cli::new();
    cli.session("s");
    cli.ok(&["pane-exec", "s", "0", "true", "--wait", "--timeout", WAIT]);
    let v = cli.ok(&["state-sync"]);
    for key in ["dropped", "repaired"] {
        assert!(v[key].is_array(), "{key} in {v}");
    }
    assert!(v["session_count"].as_u64().unwrap() >= 2, "{v}");
    assert!(v["pane_count"].as_u64().unwrap() >= 2, "{v}");
    // A leftover file of a pane that no longer exists is dropped.
    let exec_dir = cli
        .client
        .state_dir()
        .subdir(&format!("servers/{}/exec", cli.client.server().key()));
    let stale = exec_dir.unwrap().join("99999x0000.sh");
    std::fs::write(&stale, "stale").unwrap();
    let v = cli.ok(&["state-sync"]);
    assert_eq!(v["dropped"], json!([stale.display().to_string()]), "{v}");
    assert!(!stale.exists());
}

// ---------------------------------------------------------------------------------------
// Demo

#[test]
fn demo_runs_and_cleans_up() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(vec!["ctmux".into(), "demo".into()], &mut out, &mut err);
    let progress = String::from_utf8(err).unwrap();
    let stdout = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{stdout}\n{progress}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "success");
    assert_eq!(v["command"], "demo");
    assert_eq!(v["failing_exit_code"], 3);
    assert_eq!(v["interrupted_exit_code"], 130);
    assert_eq!(v["pattern_line"], "READY");
    assert_eq!(v["server_removed"], true);
    let labels: Vec<&str> = v["panes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["label"].as_str())
        .collect();
    assert_eq!(labels.len(), 3, "{v}");
    assert!(v["commands"].as_array().unwrap().len() >= 5);
    for word in ["exit 3", "exit 130", "READY", "summary", "removed"] {
        assert!(
            progress.contains(word),
            "progress lacks {word:?}:\n{progress}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The real binary

/// The `ctmux` binary next to the test executable's `deps` dir, if it has been built.
fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("ctmux");
    path.is_file().then_some(path)
}

fn spawn(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("CTMUX_SOCKET")
        .env_remove("CTMUX_SOCKET_PATH")
        .env_remove("CTMUX_STATE_DIR")
        .env_remove("CTMUX_READY_TIMEOUT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run ctmux");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout:?}"));
    (out.status.code().expect("exit code"), json)
}

#[test]
fn binary_exit_codes() {
    let Some(bin) = binary() else {
        eprintln!(
            "SKIPPED binary_exit_codes: no ctmux binary beside {:?}; run `cargo build -p \
             ctmux-cli` first",
            std::env::current_exe().ok()
        );
        return;
    };
    let cli = Cli::new();
    let g = cli.globals();
    let with = |args: &[&str]| {
        let mut all: Vec<&str> = g.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        spawn(&bin, &all, &[])
    };
    let (code, v) = with(&["session-create", "b", "--window-size", "100x30"]);
    assert_eq!((code, v["status"].as_str()), (0, Some("success")), "{v}");
    let (code, v) = with(&[
        "pane-exec",
        "b",
        "0",
        "(exit 5)",
        "--wait",
        "--timeout",
        WAIT,
    ]);
    assert_eq!((code, v["exit_code"].as_i64()), (0, Some(5)), "{v}");
    let (code, v) = with(&["pane-count", "nope"]);
    assert_eq!((code, v["kind"].as_str()), (1, Some("NotFound")), "{v}");
    let (code, v) = with(&["pane-wait", "b", "0", "soon"]);
    assert_eq!((code, v["kind"].as_str()), (2, Some("InvalidInput")), "{v}");
    let (code, v) = with(&["pane-watch-timeout", "b", "0", "^never$", "0.2"]);
    assert_eq!((code, v["kind"].as_str()), (124, Some("Timeout")), "{v}");
    // stdin is /dev/null: no terminal.
    let (code, v) = with(&["pane-interact", "b", "0"]);
    assert_eq!((code, v["kind"].as_str()), (1, Some("InvalidInput")), "{v}");
    assert_eq!(v["error"], "pane-interact needs a terminal");

    let out = Command::new(&bin).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pane-exec"));
}

#[test]
fn binary_reads_environment() {
    let Some(bin) = binary() else {
        eprintln!(
            "SKIPPED binary_reads_environment: no ctmux binary; run `cargo build -p ctmux-cli`"
        );
        return;
    };
    let cli = Cli::new();
    let socket = cli.server.socket_path().display().to_string();
    let state = cli.state_dir.display().to_string();
    let env = [
        ("CTMUX_SOCKET_PATH", socket.as_str()),
        ("CTMUX_STATE_DIR", state.as_str()),
    ];
    let (code, v) = spawn(&bin, &["session-list"], &env);
    assert_eq!(code, 0, "{v}");
    let names: Vec<&str> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["keeper"], "{v}");
    // An option beats the environment.
    let empty = tempfile::tempdir().unwrap();
    let other = empty.path().join("none.sock");
    let (code, v) = spawn(
        &bin,
        &["--socket-path", other.to_str().unwrap(), "session-list"],
        &env,
    );
    assert_eq!((code, &v["sessions"]), (0, &json!([])), "{v}");
    // Both socket variables set is ambiguous.
    let (code, v) = spawn(
        &bin,
        &["session-list"],
        &[
            ("CTMUX_SOCKET_PATH", socket.as_str()),
            ("CTMUX_SOCKET", "x"),
            ("CTMUX_STATE_DIR", state.as_str()),
        ],
    );
    assert_eq!((code, v["kind"].as_str()), (1, Some("InvalidInput")), "{v}");
}

#[test]
fn ready_timeout_option() {
    let cli = Cli::new();
    let r = cli.call(&["--ready-timeout", "abc", "session-list"]);
    assert_error(&r, &["--ready-timeout abc"], 2, "InvalidInput");
    assert!(r.stderr.contains("abc"), "{}", r.stderr);
    let v = cli.ok(&["session-list", "--ready-timeout", "45"]);
    assert_eq!(v["sessions"][0]["name"], "keeper", "{v}");
    // Accepted before the command too (the reply then names the command).
    let r = cli.call(&["--ready-timeout", "2.5", "session-create", "rt"]);
    assert_eq!(
        (r.code, &r.json["command"]),
        (0, &json!("session-create")),
        "{}",
        r.json
    );
    let v = cli.ok(&[
        "pane-exec",
        "rt",
        "0",
        "echo ready",
        "--wait",
        "--timeout",
        WAIT,
        "--ready-timeout",
        "45",
    ]);
    assert_eq!(
        (v["exit_code"].as_i64(), v["output"].as_str()),
        (Some(0), Some("ready\n")),
        "{v}"
    );
}

#[test]
fn binary_reads_ready_timeout_environment() {
    let Some(bin) = binary() else {
        eprintln!(
            "SKIPPED binary_reads_ready_timeout_environment: no ctmux binary; run `cargo build \
             -p ctmux-cli`"
        );
        return;
    };
    let cli = Cli::new();
    let g = cli.globals();
    let mut args: Vec<&str> = g.iter().map(String::as_str).collect();
    args.push("session-list");
    for good in ["45", "2.5", ""] {
        let (code, v) = spawn(&bin, &args, &[("CTMUX_READY_TIMEOUT", good)]);
        assert_eq!(
            (code, v["status"].as_str()),
            (0, Some("success")),
            "{good:?}: {v}"
        );
    }
    for bad in ["abc", "0", "-3", "NaN", "86401", "5s"] {
        let (code, v) = spawn(&bin, &args, &[("CTMUX_READY_TIMEOUT", bad)]);
        assert_eq!(
            (code, v["kind"].as_str()),
            (1, Some("InvalidInput")),
            "{bad:?}: {v}"
        );
        let msg = v["error"].as_str().unwrap_or("");
        assert!(msg.contains("CTMUX_READY_TIMEOUT"), "{bad:?}: {v}");
    }
    // The option wins: the environment is not read then.
    let mut with_option = args.clone();
    with_option.extend(["--ready-timeout", "45"]);
    let (code, v) = spawn(&bin, &with_option, &[("CTMUX_READY_TIMEOUT", "abc")]);
    assert_eq!((code, v["status"].as_str()), (0, Some("success")), "{v}");
}

// Every pane command takes PANE as an index, a `%id` or a label.

#[test]
fn every_pane_command_accepts_index_id_and_label() {
    let cli = Cli::new();
    cli.session("s");
    let created = cli.ok(&["pane-create", "s", "web"]);
    let id = created["pane_id"].as_str().unwrap().to_owned();
    let index = cli.ok(&["pane-find", "s", "web"])["index"].to_string();
    for pane in [index.as_str(), id.as_str(), "web"] {
        let same = |v: &Value| assert_eq!(v["pane_id"], id.as_str(), "{pane}: {v}");
        same(&cli.ok(&[
            "pane-exec",
            "s",
            pane,
            "echo hi",
            "--wait",
            "--timeout",
            WAIT,
        ]));
        same(&cli.ok(&["pane-exec", "s", pane, "true"]));
        same(&cli.ok(&["pane-wait", "s", pane, WAIT]));
        same(&cli.ok(&["pane-exec-timeout", "s", pane, "true", WAIT]));
        same(&cli.ok(&["pane-is-running", "s", pane]));
        same(&cli.ok(&["pane-status", "s", pane]));
        same(&cli.ok(&["pane-reset", "s", pane]));
        same(&cli.ok(&["pane-capture", "s", pane, "10"]));
        same(&cli.ok(&["pane-has-pattern", "s", pane, "hi"]));
        same(&cli.ok(&["pane-watch", "s", pane, "hi"]));
        same(&cli.ok(&["pane-watch-timeout", "s", pane, "hi", WAIT]));
        same(&cli.ok(&["pane-metadata-set", "s", pane, "k", pane]));
        assert_eq!(
            cli.ok(&["pane-metadata-get", "s", pane, "k"])["value"],
            pane
        );
        same(&cli.ok(&["pane-metadata-list", "s", pane]));
        same(&cli.ok(&["pane-metadata-delete", "s", pane, "k"]));
        same(&cli.ok(&["pane-send-keys", "s", pane, "C-u"]));
        same(&cli.ok(&["pane-send-stdin", "s", pane, "x"]));
        same(&cli.ok(&["pane-send-keys", "s", pane, "C-u"]));
        let v = cli.fails(&["pane-signal", "s", pane, "SIGTERM"], 1, "NotFound");
        assert!(v["error"].as_str().unwrap().contains("no job"), "{v}");
    }
    // And pane-kill, once per form, on fresh panes.
    for label in ["k1", "k2", "k3"] {
        cli.ok(&["pane-create", "s", label]);
    }
    let k1 = cli.ok(&["pane-find", "s", "k1"])["index"].to_string();
    let k2 = cli.ok(&["pane-find", "s", "k2"])["pane_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for pane in [k1.as_str(), k2.as_str(), "k3"] {
        cli.ok(&["pane-kill", "s", pane]);
    }
    assert_eq!(cli.ok(&["pane-count", "s"])["count"], 2);
}

// Metrics

#[test]
fn pane_and_session_metrics() {
    let cli = Cli::new();
    cli.session("m");
    let v = cli.ok(&[
        "pane-metrics",
        "m",
        "0",
        "--interval-ms",
        "50",
        "--processes",
    ]);
    for key in [
        "cpu_percent",
        "memory_mb",
        "memory_percent",
        "io_read_kb",
        "io_write_kb",
        "uptime_seconds",
        "thread_count",
        "process_count",
    ] {
        assert!(v["metrics"][key].is_number(), "{key} in {v}");
    }
    assert_eq!(v["metrics"]["process_count"], 1, "{v}");
    assert!(v["processes"].is_array(), "{v}");
    let v = cli.ok(&["session-metrics", "m", "--interval-ms", "50"]);
    assert_eq!(v["panes"].as_array().unwrap().len(), 1, "{v}");
    cli.fails(
        &["pane-metrics", "m", "0", "--interval-ms", "1"],
        1,
        "InvalidInput",
    );
    cli.fails(&["pane-metrics", "m", "7"], 1, "NotFound");
    cli.fails(&["session-metrics", "nope"], 1, "NotFound");
    cli.fails(
        &["pane-metrics", "m", "0", "--interval-ms", "-5"],
        2,
        "InvalidInput",
    );
}

// ---------------------------------------------------------------------------------------
// Limits and garbage collection

#[test]
fn limits_and_gc_commands_have_help() {
    for (cmd, words) in [
        (
            "pane-set-limit",
            &["<KIND>", "<VALUE>", "--action", "--grace", "SIGTERM"][..],
        ),
        ("pane-get-limits", &["limits"]),
        ("pane-clear-limit", &["cpu, memory or all"]),
        ("gc-enable", &["TTL", "90m"]),
        ("gc-disable", &["config"]),
        ("gc-run", &["--force", "--dry-run", "keep"]),
        ("gc-status", &["last_run"]),
        ("session-keep", &["--off"]),
    ] {
        let mut out = Vec::new();
        let code = ctmux_cli::run(
            vec!["ctmux".into(), cmd.into(), "--help".into()],
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(code, 0, "{cmd} --help");
        let help = String::from_utf8(out).unwrap();
        for w in words {
            assert!(help.contains(w), "{cmd} --help lacks {w}: {help}");
        }
    }
}

#[test]
fn pane_limits_set_get_clear() {
    let cli = Cli::new();
    cli.session("lim");
    let v = cli.ok(&["pane-get-limits", "lim", "0"]);
    assert_eq!(v["limits"]["cpu_percent"], Value::Null, "{v}");
    assert_eq!(v["limits"]["action"], "enforce", "{v}");
    let v = cli.ok(&[
        "pane-set-limit",
        "lim",
        "0",
        "cpu",
        "30",
        "--action",
        "notify",
        "--grace",
        "2.5",
    ]);
    assert_eq!(v["limits"]["cpu_percent"], 30.0, "{v}");
    assert_eq!(v["limits"]["action"], "notify", "{v}");
    assert_eq!(v["limits"]["grace_seconds"], 2.5, "{v}");
    assert!(v["pane_id"].as_str().unwrap().starts_with('%'), "{v}");
    let v = cli.ok(&["pane-set-limit", "lim", "0", "memory", "100"]);
    assert_eq!(v["limits"]["memory_mb"], 100.0, "{v}");
    assert_eq!(v["limits"]["cpu_percent"], 30.0, "{v}");
    let v = cli.ok(&["pane-clear-limit", "lim", "0", "cpu"]);
    assert_eq!(v["cleared"], "cpu");
    assert_eq!(v["limits"]["cpu_percent"], Value::Null, "{v}");
    assert_eq!(v["limits"]["memory_mb"], 100.0, "{v}");
    let v = cli.ok(&["pane-clear-limit", "lim", "0"]);
    assert_eq!(v["cleared"], "all");
    assert_eq!(v["limits"]["memory_mb"], Value::Null, "{v}");
    assert_eq!(v["limits"]["action"], "enforce", "{v}");

    // Bad input: a clear error, nothing changed.
    for bad in [
        &["pane-set-limit", "lim", "0", "disk", "10"][..],
        &["pane-set-limit", "lim", "0", "cpu", "-5"],
        &["pane-set-limit", "lim", "0", "cpu", "0"],
        &["pane-set-limit", "lim", "0", "cpu", "1e9"],
        &["pane-set-limit", "lim", "0", "cpu", "NaN"],
        &["pane-set-limit", "lim", "0", "cpu", "lots"],
        &["pane-set-limit", "lim", "0", "memory", "-1"],
        &["pane-set-limit", "lim", "0", "memory", "99999999999"],
        &[
            "pane-set-limit",
            "lim",
            "0",
            "memory",
            "100",
            "--action",
            "explode",
        ],
        &["pane-clear-limit", "lim", "0", "disk"],
    ] {
        cli.fails(bad, 1, "InvalidInput");
    }
    cli.fails(
        &[
            "pane-set-limit",
            "lim",
            "0",
            "memory",
            "100",
            "--grace",
            "-1",
        ],
        2,
        "InvalidInput",
    );
    cli.fails(&["pane-set-limit", "lim", "0", "cpu"], 2, "InvalidInput");
    let v = cli.ok(&["pane-get-limits", "lim", "0"]);
    assert_eq!(v["limits"]["cpu_percent"], Value::Null, "{v}");
    assert_eq!(v["limits"]["memory_mb"], Value::Null, "{v}");
    cli.fails(&["pane-get-limits", "lim", "9"], 1, "NotFound");
    cli.fails(&["pane-set-limit", "nope", "0", "cpu", "10"], 1, "NotFound");
    // Garbage put in the option by hand.
    let pane = cli.client.session("lim").unwrap().pane_str("0").unwrap();
    cli.client
        .tmux(&[
            "set-option",
            "-p",
            "-t",
            &pane.id().to_string(),
            "@ctmux-limit-memory",
            "x",
        ])
        .unwrap();
    cli.fails(&["pane-get-limits", "lim", "0"], 1, "Corrupt");
    cli.ok(&["pane-clear-limit", "lim", "0", "memory"]);
}

#[test]
fn gc_commands() {
    let cli = Cli::new();
    cli.session("work");
    let v = cli.ok(&["gc-status"]);
    assert_eq!(v["config"]["enabled"], false, "{v}");
    assert!(v["plan"]["actions"].is_array(), "{v}");
    let v = cli.ok(&["gc-enable", "2h"]);
    assert_eq!(v["config"]["enabled"], true, "{v}");
    assert_eq!(v["config"]["ttl_seconds"], 7200, "{v}");
    let v = cli.ok(&["gc-enable"]);
    assert_eq!(v["config"]["ttl_seconds"], 7200, "{v}");
    let v = cli.ok(&["session-keep", "work"]);
    assert_eq!(v["keep"], true, "{v}");
    assert_eq!(v["session"], "work", "{v}");
    let v = cli.ok(&["gc-run", "--dry-run", "--force"]);
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["force"], true, "{v}");
    let protected = v["protected"].as_array().unwrap();
    let work = protected.iter().find(|p| p["session"] == "work").unwrap();
    assert!(
        work["reasons"].as_array().unwrap().contains(&json!("keep")),
        "{v}"
    );
    let v = cli.ok(&["gc-run"]);
    assert_eq!(v["dry_run"], false, "{v}");
    let v = cli.ok(&["gc-status"]);
    assert!(v["last_run"]["at_ms"].is_u64(), "{v}");
    assert!(v["next_run_ms"].is_u64(), "{v}");
    let v = cli.ok(&["session-keep", "work", "--off"]);
    assert_eq!(v["keep"], false, "{v}");
    let v = cli.ok(&["gc-disable"]);
    assert_eq!(v["config"]["enabled"], false, "{v}");
    assert!(
        cli.client.session("work").is_ok(),
        "recent output protects it"
    );

    // Bad input.
    for ttl in ["0", "-5", "soon", "1.5h", "400d"] {
        cli.fails(&["gc-enable", ttl], 1, "InvalidInput");
    }
    cli.fails(&["session-keep", "nope"], 1, "NotFound");
    cli.fails(&["gc-run", "--now"], 2, "InvalidInput");
    std::fs::write(
        cli.state_dir.join("gc.json"),
        b"{\"version\": 1, \"config\": 3}",
    )
    .unwrap();
    for cmd in [
        &["gc-status"][..],
        &["gc-run", "--dry-run"],
        &["gc-enable"],
        &["gc-disable"],
    ] {
        let v = cli.fails(cmd, 1, "Corrupt");
        assert!(v["error"].as_str().unwrap().contains("gc.json"), "{v}");
    }
}
