//! The control-mode backend: exact arguments over a real `tmux -C` connection, replies that
//! stay whole while panes print, notifications, blocking commands, and faults (server killed,
//! session killed under the connection, server restarted).

use crate::common::{Env, T};
use ctmux_core::control::{Connection, Notification};
use ctmux_core::{
    Backend, BackendKind, ControlBackend, Ctmux, ErrorKind, IsolatedServer, SessionOptions,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client whose backend is a [`ControlBackend`] we keep a typed handle to.
struct ControlEnv {
    backend: Arc<ControlBackend>,
    client: Ctmux,
    server: IsolatedServer,
}

impl ControlEnv {
    fn new() -> ControlEnv {
        let server = IsolatedServer::start().expect("isolated server");
        let backend = Arc::new(ControlBackend::new(server.server().clone()));
        let client = Ctmux::builder()
            .backend(backend.clone())
            .state_dir(server.dir().join("state"))
            .build()
            .expect("client");
        ControlEnv {
            backend,
            client,
            server,
        }
    }

    fn session(&self, name: &str) -> ctmux_core::Session {
        self.client
            .session_create(
                name,
                &SessionOptions {
                    cwd: None,
                    size: Some((120, 40)),
                },
            )
            .expect("session")
    }
}

fn argv(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Arguments that a careless quoting would change: quotes, expansions, separators, formats,
/// control characters, unicode, and 10 kB.
fn awkward_values() -> Vec<String> {
    let mut big = String::new();
    let mut i = 0u32;
    while big.len() < 10 * 1024 {
        big.push_str(&format!("{i}:\"q\" 'a' $HOME ~ \\ ; #{{x}} é\t"));
        i += 1;
    }
    let mut v: Vec<String> = [
        "plain",
        "",
        " lead and trail ",
        "double \"quoted\" and 'single'",
        "$HOME and ${HOME} and $(id) and `id`",
        "~",
        "~/x ~root",
        "ends with;",
        ";starts",
        "mid;dle",
        "x\\;",
        "back\\slash\\\\ \\n \\033 \\",
        "#{pane_id} #[fg=red] ## #",
        "{ braces }",
        "-dash",
        "%1 %% @2 $3",
        "line1\nline2\n",
        "\r\t\x01\x1b[31m\x7f",
        "ünïcødé ✓ 日本 🎉",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(big);
    v
}

fn round_trip_values(env: &Env, pane: &str) {
    for value in awkward_values() {
        env.client
            .tmux(&["set-option", "-p", "-t", pane, "@x", &value])
            .unwrap_or_else(|e| panic!("set {value:?}: {e}"));
        let shown = env
            .client
            .tmux(&["show-options", "-p", "-v", "-t", pane, "@x"])
            .unwrap();
        assert_eq!(shown, format!("{value}\n"), "value {value:?}");
    }
    // Several commands in one argv: a bare `;` separates, an argument ending in `;` does not.
    let out = env
        .client
        .tmux(&[
            "set-option",
            "-p",
            "-t",
            pane,
            "@x",
            "a;",
            ";",
            "show-options",
            "-p",
            "-v",
            "-t",
            pane,
            "@x",
            ";",
            "display-message",
            "-p",
            "two;",
        ])
        .unwrap();
    assert_eq!(out, "a;\ntwo;\n");
}

#[test]
fn awkward_arguments_round_trip_byte_for_byte_over_both_backends() {
    for kind in [BackendKind::Control, BackendKind::Process] {
        let env = Env::with_backend(kind);
        let pane = env.pane0("args").id().to_string();
        round_trip_values(&env, &pane);
    }
}

#[test]
fn arguments_go_over_the_connection_not_a_process() {
    let env = ControlEnv::new();
    let pane = env.session("conn").pane_str("0").unwrap().id().to_string();
    let fallbacks = env.backend.fallbacks();
    let conn = env
        .backend
        .connection()
        .expect("a connection once a session exists");
    for value in awkward_values() {
        conn.run(&argv(&["set-option", "-p", "-t", &pane, "@x", &value]))
            .unwrap();
        let shown = conn
            .run(&argv(&["show-options", "-p", "-v", "-t", &pane, "@x"]))
            .unwrap();
        assert_eq!(shown, format!("{value}\n"));
    }
    // Through the backend too, and nothing fell back to a process.
    let e = env
        .backend
        .run(&argv(&["set-option", "-p", "-t", &pane, "@y", "v"]));
    assert!(e.is_ok(), "{e:?}");
    assert_eq!(env.backend.fallbacks(), fallbacks);
    assert_eq!(env.backend.connects(), 1);
    assert!(env.backend.current_connection().is_some());
}

#[test]
fn tmux_errors_are_classified_as_over_a_process() {
    for kind in [BackendKind::Control, BackendKind::Process] {
        let env = Env::with_backend(kind);
        env.session("errs");
        let k = |v: &[&str]| env.client.tmux(v).unwrap_err().kind();
        assert_eq!(k(&["kill-session", "-t", "nope"]), ErrorKind::NotFound);
        assert_eq!(k(&["no-such-command"]), ErrorKind::Tmux);
        assert_eq!(
            k(&["new-session", "-d", "-s", "errs"]),
            ErrorKind::AlreadyExists
        );
        // A failing command in the middle stops the list, as tmux does for a process.
        let e = env
            .client
            .tmux(&[
                "display-message",
                "-p",
                "a",
                ";",
                "kill-pane",
                "-t",
                "%999",
                ";",
                "display-message",
                "-p",
                "b",
            ])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{kind}: {e}");
        // And the next command gets its own reply, not a leftover.
        assert_eq!(
            env.client.tmux(&["display-message", "-p", "next"]).unwrap(),
            "next\n"
        );
        let none: [&str; 0] = [];
        assert!(env.client.tmux(&none).is_err());
        assert!(env.client.tmux(&["display-message", "-p", "a\0b"]).is_err());
    }
}

#[test]
fn output_notifications_are_decoded_bytes() {
    let env = ControlEnv::new();
    let pane = env.session("out").pane_str("0").unwrap();
    pane.run("true", T).unwrap();
    let conn = env.backend.connection().unwrap();
    let rx = conn.subscribe(10_000);
    pane.run(r"printf 'A\\B\033[1mC\001\n'", T).unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let needle: &[u8] = b"A\\B\x1b[1mC\x01\r\n";
    while !seen.windows(needle.len()).any(|w| w == needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Notification::Output { pane: p, data }) if p == pane.id() => {
                seen.extend_from_slice(&data)
            }
            Ok(_) => {}
            Err(e) => panic!(
                "no %output with the bytes ({e}): {:?}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    assert_eq!(conn.dropped_notifications(), 0);
}

#[test]
fn replies_stay_whole_while_panes_print() {
    let env = ControlEnv::new();
    let s = env.session("busy");
    let noisy = s.pane_str("0").unwrap();
    let quiet = s.pane_create(Some("quiet")).unwrap();
    quiet.run("seq 1 30", T).unwrap();
    // Once the prompt is back, the quiet pane does not change any more.
    let mut quiet_text = quiet.capture(Some(100)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !quiet_text.ends_with("\n$ \n") {
        assert!(Instant::now() < deadline, "{quiet_text:?}");
        std::thread::sleep(Duration::from_millis(5));
        quiet_text = quiet.capture(Some(100)).unwrap();
    }
    let conn = env.backend.connection().unwrap();
    let rx = conn.subscribe(1_000_000);
    // Lines that look like protocol lines, printed as fast as the pane takes them.
    let job = noisy
        .exec("bash -c 'while :; do echo \"%end 1 2 1\"; echo \"%begin 1 2 1\"; echo \"%output %0 x\"; seq 1 50; done'")
        .unwrap();
    crate::common::wait_running(&noisy, true);
    let ids: Vec<String> = s.panes().unwrap().into_iter().map(|p| p.pane_id).collect();
    let mut threads = Vec::new();
    for t in 0..3 {
        let client = env.client.clone();
        let quiet = quiet.clone();
        let (ids, quiet_text, sid) = (ids.clone(), quiet_text.clone(), s.id().to_owned());
        threads.push(std::thread::spawn(move || {
            for i in 0..150 {
                let token = format!("t{t}-{i}");
                assert_eq!(
                    client.tmux(&["display-message", "-p", &token]).unwrap(),
                    format!("{token}\n")
                );
                let listed = client
                    .tmux(&["list-panes", "-s", "-t", &sid, "-F", "#{pane_id}"])
                    .unwrap();
                assert_eq!(listed.lines().collect::<Vec<_>>(), ids);
                assert_eq!(quiet.capture(Some(100)).unwrap(), quiet_text);
            }
        }));
    }
    for t in threads {
        t.join().expect("a reply was corrupted");
    }
    // Output really was arriving in between.
    let outputs = rx
        .try_iter()
        .filter(|n| matches!(n, Notification::Output { pane, .. } if *pane == noisy.id()))
        .count();
    assert!(
        outputs > 0,
        "no %output arrived while the replies were read"
    );
    // A big multi-line reply of the noisy pane itself is complete too.
    let cap = noisy.capture(Some(2000)).unwrap();
    assert!(cap.lines().count() > 40, "{}", cap.len());
    // SIGTERM, not SIGINT: a non-interactive bash whose child exits normally just as SIGINT
    // arrives assumes the child handled it and goes on looping.
    noisy.signal("SIGTERM").unwrap();
    match job.wait(T) {
        Ok(r) => assert_eq!(r.exit_code, 143),
        Err(e) => {
            let st = noisy.status().unwrap();
            let cap = noisy.capture(Some(5)).unwrap();
            let tail: Vec<&str> = cap.lines().rev().take(6).collect();
            panic!(
                "the noisy job did not stop: {:?} {:?} {:?} {:?}",
                e.kind(),
                st.foreground_command,
                st.exit_code,
                tail
            )
        }
    }
}

#[test]
fn blocking_commands_do_not_stall_the_connection() {
    let env = ControlEnv::new();
    env.session("block");
    let client = env.client.clone();
    let waiter = std::thread::spawn(move || client.tmux(&["wait-for", "ctmux-test-ch"]));
    // While `wait-for` blocks (in its own process), the connection keeps answering.
    for i in 0..20 {
        let token = format!("still-{i}");
        assert_eq!(
            env.client.tmux(&["display-message", "-p", &token]).unwrap(),
            format!("{token}\n")
        );
    }
    // Signal until the waiter is released (a signal sent before it waits wakes it at once).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !waiter.is_finished() {
        assert!(Instant::now() < deadline, "wait-for never returned");
        env.client
            .tmux(&["wait-for", "-S", "ctmux-test-ch"])
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(waiter.join().unwrap().unwrap(), "");
    assert!(env.backend.current_connection().is_some());
}

#[test]
fn own_connection_is_not_an_attached_client() {
    let env = ControlEnv::new();
    env.session("alone");
    env.client.tmux(&["display-message", "-p", "x"]).unwrap();
    assert!(env.backend.own_client_session().is_some());
    let raw = env
        .client
        .tmux(&["list-sessions", "-F", "#{session_attached}"])
        .unwrap();
    assert_eq!(raw, "1\n", "tmux counts the control client");
    let list = env.client.session_list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].attached, 0, "{list:?}");
}

#[test]
fn other_ctmux_connections_are_not_people_but_other_clients_are() {
    let env = ControlEnv::new();
    let s = env.session("watched");
    env.client.tmux(&["display-message", "-p", "x"]).unwrap();
    // Another ctmux client (another process's, the daemon's...) attached to the session.
    let other = Connection::open(env.server.server(), Some(s.id())).unwrap();
    let raw = env
        .client
        .tmux(&["list-sessions", "-F", "#{session_attached}"])
        .unwrap();
    assert_eq!(raw, "2\n", "tmux counts both control clients");
    assert_eq!(env.client.session_list().unwrap()[0].attached, 0);
    // GC sees no person either.
    let attached = || {
        let plan = ctmux_core::gc::plan(&env.client, &Default::default()).unwrap();
        plan.protected
            .iter()
            .any(|p| p.session == "watched" && p.reasons.contains(&"attached"))
    };
    assert!(!attached());
    // A control-mode client that is not ctmux's (iTerm2's, a person's script) is a person.
    let mut person = env
        .server
        .server()
        .command(&["-C", "attach-session", "-t", s.id()])
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while env.client.session_list().unwrap()[0].attached == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the person never showed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(env.client.session_list().unwrap()[0].attached, 1);
    assert!(attached());
    drop(person.stdin.take());
    person.wait().unwrap();
    drop(other);
}

#[test]
fn sessions_the_connection_is_not_attached_to_get_pushed_output_through_a_listener() {
    let env = ControlEnv::new();
    env.session("one");
    env.session("two");
    env.client.tmux(&["display-message", "-p", "x"]).unwrap();
    let attached = env.backend.own_client_session().expect("attached");
    let other = env
        .client
        .session_list()
        .unwrap()
        .into_iter()
        .find(|s| s.id != attached)
        .unwrap();
    let s = env.client.session(&other.name).unwrap();
    let pane = s.pane_str("0").unwrap();
    pane.run("true", T).unwrap();
    assert_eq!(env.backend.listener_count(), 1);
    std::thread::sleep(Duration::from_millis(200));
    // An idle watch there is pushed: a read at the start and one at the deadline, no polling
    // (which would cost ~12; a late prompt byte may add one re-read).
    let before = env.backend.commands_issued();
    let e = pane
        .watch("^never$", Some(Duration::from_millis(600)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ctmux_core::ErrorKind::Timeout);
    let n = env.backend.commands_issued() - before;
    assert!((2..=3).contains(&n), "{n}");
    // A pushed line is seen, and an exec there completes with its status.
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = {
        let pane = pane.clone();
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            pane.watch("^ready-\\d+$", T, None)
        })
    };
    rx.recv().unwrap();
    let r = pane
        .run("echo ready-$((40+2)); exit_code=7; (exit $exit_code)", T)
        .unwrap();
    assert_eq!(r.exit_code, 7);
    assert_eq!(watcher.join().unwrap().unwrap().line, "ready-42");
    assert_eq!(
        env.backend.listener_count(),
        1,
        "one listener per session, reused"
    );
    // The session goes: so does its listener.
    s.kill().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while env.backend.listener_count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "listener outlived its session"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn listeners_held_by_waits_are_never_closed_for_another() {
    use ctmux_core::Backend;
    let env = ControlEnv::new();
    let sessions: Vec<_> = (0..18).map(|i| env.session(&format!("s{i}"))).collect();
    env.client.tmux(&["display-message", "-p", "x"]).unwrap();
    let main = env.backend.own_client_session().expect("attached");
    let others: Vec<String> = sessions
        .iter()
        .map(|s| s.id().to_owned())
        .filter(|id| *id != main)
        .collect();
    assert_eq!(others.len(), 17);
    let mut held: Vec<_> = others[..16]
        .iter()
        .map(|id| env.backend.subscribe_session(id).expect("a listener"))
        .collect();
    assert_eq!(env.backend.listener_count(), 16);
    assert!(
        env.backend.subscribe_session(&others[16]).is_none(),
        "all 16 are held: the 17th falls back"
    );
    drop(held.pop());
    assert!(env.backend.subscribe_session(&others[16]).is_some());
    assert_eq!(env.backend.listener_count(), 16);
    for rx in &held {
        // Drain what tmux pushed meanwhile (other clients attaching): still connected.
        let end = loop {
            match rx.try_recv() {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_eq!(
            end,
            std::sync::mpsc::TryRecvError::Empty,
            "a held listener stays open"
        );
    }
}

#[test]
fn server_killed_while_in_use_is_unavailable_not_a_hang() {
    let env = ControlEnv::new();
    let s = env.session("victim");
    s.pane_create(None).unwrap();
    let pid: i32 = env
        .client
        .tmux(&["display-message", "-p", "#{pid}"])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(env.backend.current_connection().is_some());
    let mut threads = Vec::new();
    for _ in 0..3 {
        let client = env.client.clone();
        let sid = s.id().to_owned();
        threads.push(std::thread::spawn(move || loop {
            match client.tmux(&["list-panes", "-s", "-t", &sid, "-F", "#{pane_id}"]) {
                Ok(out) => assert_eq!(out.lines().count(), 2, "{out:?}"),
                Err(e) => return e.kind(),
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(100));
    // Our own isolated server, killed by the pid it reported.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    for t in threads {
        while !t.is_finished() {
            assert!(
                Instant::now() < deadline,
                "a command hung after the server died"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let kind = t.join().unwrap();
        assert!(
            matches!(kind, ErrorKind::ServerUnavailable | ErrorKind::NotFound),
            "{kind:?}"
        );
    }
    let e = env.client.tmux(&["list-sessions"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerUnavailable, "{e}");
    assert!(env.backend.current_connection().is_none());
    assert!(env.client.session_list().unwrap().is_empty());
    // A new server on the same socket: the client starts it and reconnects.
    let again = env.session("reborn");
    assert_eq!(
        again
            .pane_str("0")
            .unwrap()
            .run("echo back", T)
            .unwrap()
            .output,
        "back\n"
    );
    assert!(env.backend.current_connection().is_some());
    assert_eq!(env.backend.connects(), 2);
}

#[test]
fn kill_server_through_the_connection_then_unavailable() {
    let env = ControlEnv::new();
    env.session("k");
    env.client.tmux(&["display-message", "-p", "x"]).unwrap();
    assert!(env.backend.current_connection().is_some());
    // The reply comes before the connection's %exit.
    assert_eq!(env.client.tmux(&["kill-server"]).unwrap(), "");
    let e = env
        .client
        .tmux(&["display-message", "-p", "x"])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerUnavailable);
    let e = env.client.session("k").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn session_killed_under_the_connection_reconnects_or_falls_back() {
    let env = ControlEnv::new();
    env.session("one");
    env.session("two");
    env.client.tmux(&["display-message", "-p", "x"]).unwrap();
    let attached = env.backend.own_client_session().expect("attached");
    let connects = env.backend.connects();
    // Killed behind our back (another tmux client): the next command reconnects to the
    // session that is left.
    env.server
        .server()
        .command(&["kill-session", "-t", &attached])
        .output()
        .unwrap();
    let left = env.client.session_list().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(env.backend.connects(), connects + 1);
    assert_eq!(env.backend.own_client_session(), Some(left[0].id.clone()));
    // Keep the server when its last session goes, then kill that session through the
    // connection itself: the reply still arrives, later commands fall back to processes.
    env.client
        .tmux(&["set-option", "-g", "exit-empty", "off"])
        .unwrap();
    env.client.session_kill(&left[0].name).unwrap();
    assert!(env.client.session_list().unwrap().is_empty());
    assert!(env.backend.current_connection().is_none());
    let fallbacks = env.backend.fallbacks();
    assert_eq!(
        env.client
            .tmux(&["display-message", "-p", "via process"])
            .unwrap(),
        "via process\n"
    );
    assert!(env.backend.fallbacks() > fallbacks);
    // A new session (through the fallback): the next command connects again.
    let s = env.session("three");
    assert_eq!(
        s.pane_str("0").unwrap().run("echo ok", T).unwrap().output,
        "ok\n"
    );
    assert!(env.backend.current_connection().is_some());
    assert_eq!(env.backend.own_client_session().as_deref(), Some(s.id()));
}

#[test]
fn a_connection_needs_a_session_and_a_server() {
    let server = IsolatedServer::start().unwrap();
    // No server: refused without starting one.
    let e = Connection::open(server.server(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerUnavailable, "{e}");
    assert!(!server.socket_path().exists(), "a server was started");
    let client = server.client().unwrap();
    client
        .session_create("only", &SessionOptions::default())
        .unwrap();
    let e = Connection::open(server.server(), Some("nope")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let conn = Connection::open(server.server(), Some("only")).unwrap();
    assert!(conn.is_alive());
    assert!(conn.attached_session().is_some());
    assert_eq!(
        conn.run(&argv(&["display-message", "-p", "hi"])).unwrap(),
        "hi\n"
    );
    conn.close();
    assert!(!conn.is_alive());
    assert_eq!(
        conn.run(&argv(&["display-message", "-p", "hi"]))
            .unwrap_err()
            .kind(),
        ErrorKind::ServerUnavailable
    );
}

#[test]
fn unknown_backend_name_is_refused_and_the_cli_stays_on_processes() {
    assert_eq!(
        "telnet".parse::<BackendKind>().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // The CLI is one-shot: it always uses the process backend, whatever CTMUX_BACKEND says.
    let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("ctmux")))
        .filter(|p| p.is_file())
    else {
        return;
    };
    let server = IsolatedServer::start().unwrap();
    let out = std::process::Command::new(bin)
        .arg("--socket-path")
        .arg(server.socket_path())
        .args(["session-list"])
        .env("CTMUX_BACKEND", "telnet")
        .env("CTMUX_STATE_DIR", server.dir().join("state"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "success", "{json}");
    assert_eq!(json["sessions"], serde_json::json!([]));
}

#[test]
fn a_stuck_control_client_does_not_keep_an_isolated_server_alive() {
    let mut server = IsolatedServer::start().unwrap();
    let client = server.client().unwrap();
    let s = client
        .session_create("stuck", &SessionOptions::default())
        .unwrap();
    let pane = s.pane_str("0").unwrap();
    let pid: i32 = client
        .tmux(&["display-message", "-p", "#{pid}"])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // A control client whose reader goes away (as if its process was SIGKILLed) while its
    // session prints: tmux 3.3a keeps it, waiting to flush, and `kill-server` waits for it.
    let mut child = server
        .server()
        .command(&["-C", "attach-session", "-t", "stuck"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    pane.exec("yes | head -n 3000000").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(child.stdout.take());
    drop(child.stdin.take());
    drop(client);
    server.close().unwrap();
    assert!(
        !ctmux_core::procfs::alive(pid),
        "the isolated server outlived close()"
    );
    // Our own child: once its server is gone it exits (killed by pid if not).
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Over a connection attached to the pane's session (the main one, or a listener for another
/// session), exec completion is seen in the pushed `%output` (no `tmux wait-for` waiter is
/// started); a connection that ends while the exec runs falls back to the waiter.
#[test]
fn exec_completion_from_pushed_output_else_the_waiter() {
    let env = ControlEnv::new();
    let a = env.session("a").pane_str("0").unwrap();
    a.run("true", T).unwrap();
    let attached = env.backend.connection().unwrap().attached_session();
    assert_eq!(attached.as_deref(), Some(a.session().id()));

    for (cmd, out, rc) in [
        ("echo hi", "hi\n", 0),
        ("printf abc; (exit 3)", "abc", 3),
        ("seq 1 3000 | tail -n 1", "3000\n", 0),
    ] {
        let h = a.exec(cmd).unwrap();
        let r = h.wait(T).unwrap();
        assert_eq!((r.output.as_str(), r.exit_code), (out, rc), "{cmd}");
        assert_eq!(h.waiters_started(), 0, "{cmd}: no wait-for waiter");
    }
    // The next exec is accepted at once (the shell's notifier has reported).
    let h = a.exec("echo again").unwrap();
    assert_eq!(h.wait(T).unwrap().output, "again\n");
    assert_eq!(h.waiters_started(), 0);

    // A cancelled wait can be waited on again, still without a waiter.
    let h = a.exec("sleep 0.3; echo twice").unwrap();
    let err = h.wait_cancellable(T, &|| true).unwrap_err();
    assert!(err.is_cancelled());
    let r = h.wait(T).unwrap();
    assert_eq!(r.output, "twice\n");
    assert_eq!(h.waiters_started(), 0);

    // A session the main connection is not attached to (tmux pushes no %output of it
    // there): a listener connection attached to that session pushes it instead.
    let b = env.session("b").pane_str("0").unwrap();
    b.run("true", T).unwrap();
    assert_eq!(
        env.backend.current_connection().unwrap().attached_session(),
        attached
    );
    let h = b.exec("echo other").unwrap();
    let r = h.wait(T).unwrap();
    assert_eq!((r.output.as_str(), r.exit_code), ("other\n", 0));
    assert_eq!(h.waiters_started(), 0, "pushed through the listener");
    assert_eq!(env.backend.listener_count(), 1);

    // The connection ends while the exec runs: the exec's status still arrives (through
    // the shell's status file); the bytes after the cut are not collected.
    let h = a.exec("sleep 0.3; echo late").unwrap();
    env.backend.disconnect();
    let r = h.wait(T).unwrap();
    assert_eq!(r.exit_code, 0);
}

/// Over a connection attached to the pane's session the shell runs no `tmux` notifier: the
/// waiter records `@ctmux-done`. An exec nobody waited for is still recovered from the end
/// marker on the screen, by a later wait and by the next exec (not Busy).
#[test]
fn quiet_execs_nobody_waited_for_are_recovered_from_the_marker() {
    let env = Env::with_backend(BackendKind::Control);
    let pane = env.pane0("quiet");
    pane.run("true", T).unwrap();
    let h = pane.exec("echo dropped; f() { return 7; }; f").unwrap();
    drop(h);
    let r = pane.wait(T).unwrap().expect("the dropped exec");
    assert_eq!((r.exit_code, r.output.as_str()), (7, "dropped\n"));
    let h = pane.exec("echo again").unwrap();
    drop(h);
    crate::common::wait_running(&pane, false);
    std::thread::sleep(Duration::from_millis(200));
    let r = pane
        .run("echo next", T)
        .expect("not Busy once the marker is on screen");
    assert_eq!((r.exit_code, r.output.as_str()), (0, "next\n"));
    let done = env
        .client
        .tmux(&[
            "show-options",
            "-p",
            "-v",
            "-t",
            &pane.id().to_string(),
            "@ctmux-done",
        ])
        .unwrap();
    assert_eq!(done.trim(), format!("{}:0", r.exec_id));
}
