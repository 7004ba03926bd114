//! Sessions, panes, labels, metadata, layouts, patterns, keys and signals.

use crate::common::{wait_running, Env, T};
use ctmux_core::{ErrorKind, SessionOptions};
use std::time::Duration;

#[test]
fn sessions_create_list_kill() {
    let env = Env::new();
    assert!(env.client.session_list().unwrap().is_empty());
    let dir = tempfile::tempdir().unwrap();
    let s = env
        .client
        .session_create(
            "api",
            &SessionOptions {
                cwd: Some(dir.path().to_owned()),
                size: Some((100, 30)),
            },
        )
        .unwrap();
    assert!(s.id().starts_with('$'));
    let list = env.client.session_list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "api");
    assert_eq!(list[0].panes, 1);
    let info = s.pane_str("0").unwrap().info().unwrap();
    assert_eq!((info.width, info.height), (100, 30));
    assert_eq!(
        std::path::Path::new(&info.cwd).canonicalize().unwrap(),
        dir.path().canonicalize().unwrap()
    );
    let e = env
        .client
        .session_create("api", &SessionOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    env.client.session_kill("api").unwrap();
    assert_eq!(
        env.client.session_kill("api").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn session_names_are_matched_exactly() {
    let env = Env::new();
    env.session("apiserver");
    // tmux would match "api" as a prefix of "apiserver"; ctmux never does.
    assert_eq!(
        env.client.session("api").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn bad_session_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.session("keep");
    let long = "x".repeat(201);
    for bad in ["", "a:b", "a.b", "a\nb", "tab\there", long.as_str()] {
        let e = env
            .client
            .session_create(bad, &SessionOptions::default())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    let e = env
        .client
        .session_create(
            "s",
            &SessionOptions {
                cwd: Some("/no/such/dir".into()),
                size: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = env
        .client
        .session_create(
            "s",
            &SessionOptions {
                cwd: None,
                size: Some((0, 10)),
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let names: Vec<_> = env
        .client
        .session_list()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["keep"]);
}

#[test]
fn no_server_running() {
    let server = ctmux_core::IsolatedServer::start().unwrap();
    let client = server.client().unwrap();
    assert!(client.session_list().unwrap().is_empty());
    assert_eq!(client.session("x").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        client.session_kill("x").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let r = client.tmux(&["list-panes", "-a"]).unwrap_err();
    assert_eq!(r.kind(), ErrorKind::ServerUnavailable);
    assert!(client.state_sync().unwrap().dropped.is_empty());
}

#[test]
fn panes_by_index_id_and_label() {
    let env = Env::new();
    let s = env.session("p");
    let web = s.pane_create(Some("web")).unwrap();
    let db = s.pane_create(Some("db")).unwrap();
    assert_eq!(s.pane_count().unwrap(), 3);
    assert_eq!(s.pane_find("web").unwrap().id(), web.id());
    assert_eq!(s.pane_str(&db.id().to_string()).unwrap().id(), db.id());
    let idx = db.info().unwrap().index;
    assert_eq!(s.pane_str(&idx.to_string()).unwrap().id(), db.id());
    // Duplicate label.
    assert_eq!(
        s.pane_create(Some("web")).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(s.pane_count().unwrap(), 3, "a refused create adds nothing");
    // Unknown panes.
    for bad in ["9", "%999", "nolabel"] {
        assert_eq!(
            s.pane_str(bad).unwrap_err().kind(),
            ErrorKind::NotFound,
            "{bad}"
        );
    }
    for bad in ["", "%x", "a\u{1}"] {
        assert_eq!(
            s.pane_str(bad).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{bad:?}"
        );
    }
    // A pane of another session is not found through this one.
    let other = env.session("other").pane_str("0").unwrap();
    assert_eq!(
        s.pane_str(&other.id().to_string()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let listed = s.panes().unwrap();
    assert_eq!(
        listed
            .iter()
            .filter(|p| p.label.as_deref() == Some("db"))
            .count(),
        1
    );
    db.kill().unwrap();
    assert_eq!(s.pane_count().unwrap(), 2);
    assert_eq!(db.info().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(db.exec("true").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn metadata_round_trips_exactly() {
    let env = Env::new();
    let pane = env.pane0("meta");
    let long: String = "ü=\"'\n".chars().cycle().take(4096).collect();
    let values = [
        "plain",
        "with \"double\" and 'single' quotes",
        "multi\nline\n",
        "a=b=c",
        "ünïcødé ✓",
        "#{pane_id} $HOME `x` \\n",
        long.as_str(),
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("k{i}");
        pane.metadata_set(&key, v).unwrap();
        assert_eq!(pane.metadata_get(&key).unwrap(), *v, "{key}");
    }
    let all = pane.metadata_list().unwrap();
    assert_eq!(all.len(), values.len());
    assert_eq!(all["k2"], "multi\nline\n");
    pane.metadata_delete("k0").unwrap();
    assert_eq!(
        pane.metadata_get("k0").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        pane.metadata_delete("k0").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    for bad in ["", "a b", "a.b", "ключ"] {
        assert_eq!(
            pane.metadata_set(bad, "v").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    assert_eq!(
        pane.metadata_set("k", "a\0b").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(pane.metadata_list().unwrap().len(), values.len() - 1);
}

#[test]
fn layouts() {
    let env = Env::new();
    let s = env.session("lay");
    for (label, layout) in [
        ("a", "tiled"),
        ("b", "horizontal"),
        ("c", "vertical"),
        ("d", "main-vertical"),
        ("e", "main-horizontal"),
    ] {
        let p = s.pane_create_with_layout(label, layout).unwrap();
        assert_eq!(p.label().unwrap().as_deref(), Some(label));
    }
    let current = s
        .client()
        .tmux(&["display-message", "-p", "-t", s.id(), "#{window_layout}"])
        .unwrap();
    let current = current.trim().to_owned();
    // Applying a layout string tmux printed for this window works, and one with a different
    // pane count is refused with the new pane removed again.
    let before = s.pane_count().unwrap();
    let e = s.pane_create_with_layout("f", &current).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(s.pane_count().unwrap(), before);
    for bad in ["diagonal", "", "zzzz,1x1,0,0"] {
        assert_eq!(
            s.pane_create_with_layout("g", bad).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    assert_eq!(s.pane_count().unwrap(), before);
}

#[test]
fn patterns_and_watch() {
    let env = Env::new();
    let pane = env.pane0("pat");
    pane.run("echo 'server listening on port 8080'", T).unwrap();
    let m = pane.has_pattern(r"port (\d+)", None).unwrap().unwrap();
    assert_eq!(m.line, "server listening on port 8080");
    assert!(pane
        .has_pattern("^nothing-like-this$", Some(100))
        .unwrap()
        .is_none());
    assert_eq!(
        pane.has_pattern("(", None).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let h = pane.exec("sleep 0.3; echo READY-42").unwrap();
    let m = pane.watch(r"READY-\d+$", T, None).unwrap();
    assert_eq!(m.line, "READY-42");
    h.wait(T).unwrap();
    let e = pane
        .watch("never-appears", Some(Duration::from_millis(300)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(
        pane.watch("[", T, None).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn history_lines_extend_the_search() {
    let env = Env::new();
    let pane = env.pane0("hist");
    pane.run("echo NEEDLE; seq 1 200", T).unwrap();
    assert!(pane.has_pattern("^NEEDLE$", None).unwrap().is_none());
    assert!(pane.has_pattern("^NEEDLE$", Some(500)).unwrap().is_some());
    let cap = pane.capture(Some(500)).unwrap();
    assert!(cap.contains("NEEDLE\n1\n2\n"));
}

#[test]
fn send_keys_and_stdin() {
    let env = Env::new();
    let pane = env.pane0("keys");
    // Type only once the command runs: keys that reach bash while readline still holds the
    // terminal in raw mode are readline's (an Enter typed then stays a CR that `read` never
    // sees as end of line). With a control connection the keys follow the exec within
    // ~0.1 ms, so this race is real, not theoretical.
    let h = pane
        .exec("echo reading-1; read -r line; echo \"got [$line]\"")
        .unwrap();
    pane.watch("^reading-1$", T, None).unwrap();
    pane.send_text("hello 'world' $x").unwrap();
    pane.send_keys(&["Enter"]).unwrap();
    let r = h.wait(T).unwrap();
    // The terminal may echo what was typed (unless it arrived as typeahead before `read`
    // started); the command's own line is last.
    assert_eq!(
        r.output.lines().last(),
        Some("got [hello 'world' $x]"),
        "{r:?}"
    );
    // Long text through the paste buffer arrives whole.
    let long: String = (0..300)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join("-");
    let h = pane
        .exec("echo reading-2; read -r line; printf '%s' \"$line\" | wc -c")
        .unwrap();
    pane.watch("^reading-2$", T, None).unwrap();
    pane.send_text(&long).unwrap();
    pane.send_keys(&["Enter"]).unwrap();
    let out = h.wait(T).unwrap().output;
    assert_eq!(out.lines().last().unwrap(), long.len().to_string());
    // C-c through send-keys interrupts a job.
    let h = pane.exec("sleep 100").unwrap();
    wait_running(&pane, true);
    pane.send_keys(&["C-c"]).unwrap();
    assert_eq!(h.wait(T).unwrap().exit_code, 130);
    assert_eq!(
        pane.send_keys::<&str>(&[]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        pane.send_text("").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn signals_reach_the_job_not_the_shell() {
    let env = Env::new();
    let pane = env.pane0("sig");
    let shell = pane.info().unwrap().pid;
    for (sig, code) in [("SIGTERM", 143), ("SIGKILL", 137), ("HUP", 129)] {
        let h = pane.exec("sleep 100").unwrap();
        wait_running(&pane, true);
        pane.signal(sig).unwrap();
        assert_eq!(h.wait(T).unwrap().exit_code, code, "{sig}");
        assert_eq!(pane.info().unwrap().pid, shell, "shell survived {sig}");
    }
    // Pause and resume: SIGSTOP stops the job (the shell takes the terminal back; the exec
    // is still running), SIGCONT puts it back in the foreground (the shell's `fg`), where
    // SIGINT reaches it and the exec reports its real final status.
    let h = pane
        .exec("sh -c 'echo before; sleep 100; echo never'")
        .unwrap();
    wait_running(&pane, true);
    // Stop it once it has printed (a stop before that is fine too, but makes the order of
    // its output and bash's "Stopped" notice a race).
    pane.watch("^before$", T, None).unwrap();
    let groups = pane.signal("SIGSTOP").unwrap();
    let pgid = groups[0];
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while pane.is_running().unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "the job never stopped"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(ctmux_core::procfs::stat(pgid).unwrap().state, 'T');
    let e = h.wait(Some(Duration::from_millis(700))).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Timeout,
        "still running while stopped: {e}"
    );
    assert_eq!(pane.signal("SIGCONT").unwrap(), vec![pgid]);
    assert!(pane.is_running().unwrap(), "back in the foreground");
    assert_ne!(ctmux_core::procfs::stat(pgid).unwrap().state, 'T');
    pane.signal("SIGINT").unwrap();
    let r = h.wait(T).unwrap();
    assert_eq!(r.exit_code, 130, "{r:?}");
    assert!(r.output.starts_with("before\n"), "{r:?}");
    assert!(!r.output.contains("__ctmux_fg"), "{r:?}");
    assert_eq!(pane.info().unwrap().pid, shell);
    // Unknown signal names, and no job to signal.
    assert_eq!(
        pane.signal("SIGNOPE").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(pane.signal("TERM").unwrap_err().kind(), ErrorKind::NotFound);
    assert!(ctmux_core::procfs::alive(shell));
}

#[test]
fn state_sync_drops_files_of_gone_panes() {
    let env = Env::new();
    let s = env.session("sync");
    let p = s.pane_create(Some("tmp")).unwrap();
    p.exec("sleep 100").unwrap();
    wait_running(&p, true);
    p.kill().unwrap();
    let report = env.client.state_sync().unwrap();
    for ext in [".sh", ".cmd"] {
        assert!(
            report.dropped.iter().any(|d| d.ends_with(ext)),
            "{report:?}"
        );
    }
    assert_eq!(report.session_count, 1);
    let again = env.client.state_sync().unwrap();
    assert!(again.dropped.is_empty());
}

#[test]
fn state_dir_safety() {
    let server = ctmux_core::IsolatedServer::start().unwrap();
    let t = tempfile::tempdir().unwrap();
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(
        server.client_with_state_dir(&link).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let fresh = t.path().join("fresh");
    server.client_with_state_dir(&fresh).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn state_sync_keeps_files_of_live_execs() {
    let env = Env::new();
    let pane = env.pane0("livesync");
    let h = pane.exec("sleep 0.5; echo done").unwrap();
    let report = env.client.state_sync().unwrap();
    assert!(report.dropped.is_empty(), "{report:?}");
    assert_eq!(report.pane_count, 1);
    let r = h.wait(T).unwrap();
    assert_eq!(r.output, "done\n");
}

#[test]
fn server_without_sessions_lists_nothing() {
    let env = Env::new();
    env.session("tmp");
    env.client
        .tmux(&["set-option", "-g", "exit-empty", "off"])
        .unwrap();
    env.client.session_kill("tmp").unwrap();
    assert!(env.client.session_list().unwrap().is_empty());
    assert_eq!(env.client.state_sync().unwrap().session_count, 0);
}

#[test]
fn pane_wait_measures_from_the_exec_start() {
    let env = Env::new();
    let pane = env.pane0("dur");
    pane.exec("sleep 0.4").unwrap();
    let r = pane.wait(T).unwrap().unwrap();
    assert!(r.duration >= Duration::from_millis(400), "{r:?}");
}
