//! Session health end to end: the rules, no false positives over 100 sessions, readiness
//! checks, waits, malformed settings, the change seam, and the seed's Use Case 2.

use crate::common::{wait_running, Env, T};
use crate::groups::{Ctl, WAIT};
use ctmux_core::{
    ErrorKind, HealthConfig, HealthMonitor, HealthState, Readiness, ReasonKind, SessionOptions,
};
use serde_json::Value;
use std::time::Duration;

/// Ordinary output that mentions errors without being one.
const ORDINARY: [&str; 10] = [
    "errors: 0",
    "0 errors, 0 warnings",
    "terror and error are words",
    "Error handling: ok",
    "ERRORS=0",
    "NO_ERROR",
    "don't panic",
    "see the Traceback module",
    "crashes: 0 / fatal: no",
    "Fatalistic CRASHES none",
];

#[test]
fn a_hundred_healthy_sessions_never_degrade_and_a_hundred_fatal_ones_all_do() {
    let env = Env::new();
    let opts = SessionOptions {
        cwd: None,
        size: Some((100, 30)),
    };
    let mut jobs = Vec::new();
    for i in 0..200 {
        let name = format!("s{i:03}");
        let pane = env
            .client
            .session_create(&name, &opts)
            .unwrap()
            .pane_str("0")
            .unwrap();
        let cmd = if i < 100 {
            // Every healthy session prints some of the ordinary lines, rotated.
            let lines: Vec<String> = (0..4)
                .map(|k| {
                    format!(
                        "'{}'",
                        ORDINARY[(i + k) % ORDINARY.len()].replace('\'', "'\\''")
                    )
                })
                .collect();
            format!("printf '%s\\n' {}", lines.join(" "))
        } else {
            format!("echo 'starting {i}'; echo 'FATAL: could not bind port {i}'; echo 'retrying'")
        };
        jobs.push((name, pane.exec(&cmd).unwrap()));
    }
    for (name, job) in &jobs {
        let r = job.wait(T).unwrap();
        assert_eq!(r.exit_code, 0, "{name}: {r:?}");
    }
    let mut degraded = 0;
    for (i, (name, _)) in jobs.iter().enumerate() {
        let h = env.client.session_health(name).unwrap();
        if i < 100 {
            assert_eq!(
                h.health,
                HealthState::Healthy,
                "false positive in {name}: {h:?}"
            );
            assert!(h.reasons.is_empty());
        } else {
            assert_eq!(h.health, HealthState::Degraded, "{name}: {h:?}");
            assert_eq!(h.reasons.len(), 1, "{h:?}");
            assert_eq!(h.reasons[0].kind, ReasonKind::ErrorPattern);
            assert!(h.reasons[0]
                .line
                .as_deref()
                .unwrap()
                .starts_with("FATAL: could not bind"));
            degraded += 1;
        }
    }
    assert_eq!(degraded, 100);
    // The listing of every session agrees.
    let all = env.client.sessions_list_all().unwrap();
    assert_eq!(all.sessions.len(), 200);
    for s in &all.sessions {
        let want = if s.name.as_str() < "s100" {
            HealthState::Healthy
        } else {
            HealthState::Degraded
        };
        assert_eq!(s.health, want, "{}", s.name);
    }
}

#[test]
fn health_rules() {
    let env = Env::new();
    let c = &env.client;
    // Missing: unhealthy, a report rather than an error.
    let h = c.session_health("nope").unwrap();
    assert_eq!(
        (h.health, h.reasons[0].kind),
        (HealthState::Unhealthy, ReasonKind::Missing)
    );
    assert_eq!(
        c.session_health("a:b").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );

    // A fresh session is healthy.
    let s = env.session("svc");
    assert_eq!(
        c.session_health("svc").unwrap().health,
        HealthState::Healthy
    );

    // The last command exited non-zero: degraded, until a later command succeeds.
    let p0 = s.pane_str("0").unwrap();
    p0.run("sh -c 'exit 7'", T).unwrap();
    let h = c.session_health("svc").unwrap();
    assert_eq!(
        (h.health, h.reasons[0].kind),
        (HealthState::Degraded, ReasonKind::ExecFailed)
    );
    assert!(h.reasons[0].message.contains("status 7"), "{h:?}");
    p0.run("true", T).unwrap();
    assert_eq!(
        c.session_health("svc").unwrap().health,
        HealthState::Healthy
    );

    // A dead pane with a non-zero status degrades; a clean exit does not. The panes run
    // their job as the pane's own process (not an interactive shell told to `exit`): tmux
    // 3.3a sometimes never reports the status of an interactive bash that exits.
    c.tmux(&["set-option", "-g", "remain-on-exit", "on"])
        .unwrap();
    let split = |label: &str, cmd: &str| {
        let id = c
            .tmux(&[
                "split-window",
                "-d",
                "-t",
                s.id(),
                "-P",
                "-F",
                "#{pane_id}",
                cmd,
            ])
            .unwrap();
        let pane = s.pane_str(id.trim()).unwrap();
        pane.set_label(label).unwrap();
        pane
    };
    let p2 = split("ok", "sleep 0.3; exit 0");
    wait_dead(&p2);
    let h = c.session_health("svc").unwrap();
    assert_eq!(h.health, HealthState::Healthy, "{h:?} {:?}", p2.info());
    let p1 = split("job", "sleep 0.3; exit 3");
    wait_dead(&p1);
    let h = c.session_health("svc").unwrap();
    // tmux 3.3a sometimes never fills in `pane_dead_status` (seen here in about a third of
    // runs, even after 10 s); a status it has not reported is not counted as a failure (the
    // rule itself is unit-tested in ctmux-core's health module).
    if p1.info().unwrap().dead_status == Some(3) {
        assert_eq!(h.health, HealthState::Degraded, "{h:?}");
        assert_eq!(h.reasons[0].kind, ReasonKind::DeadPane);
        assert_eq!(
            h.reasons[0].pane_id.as_deref(),
            Some(p1.id().to_string().as_str())
        );
    } else {
        eprintln!(
            "tmux reported no exit status for {}: checking the unknown-status rule",
            p1.id()
        );
        assert!(
            h.reasons.iter().all(|r| r.kind != ReasonKind::DeadPane),
            "{h:?}"
        );
    }
    assert_eq!((h.pane_count, h.live_pane_count), (3, 1));

    // No live pane at all: unhealthy.
    c.tmux(&[
        "set-option",
        "-p",
        "-t",
        &p0.id().to_string(),
        "remain-on-exit",
        "on",
    ])
    .unwrap();
    p0.exec("builtin exit 0").unwrap(); // the shell itself exits (`exit` is caught)
    wait_dead(&p0);
    let h = c.session_health("svc").unwrap();
    assert_eq!(h.health, HealthState::Unhealthy, "{h:?}");
    assert!(h.reasons.iter().any(|r| r.kind == ReasonKind::NoLivePane));

    // Own patterns replace the defaults; only the last `lines` lines count.
    let q = env.pane0("q");
    q.run("echo 'oops: BOOM'; echo 'FATAL but ignored here'", T)
        .unwrap();
    let own = HealthConfig {
        patterns: Some(vec!["BOOM".into()]),
        lines: Some(5),
        readiness: None,
    };
    c.session_health_set("q", &own).unwrap();
    assert_eq!(c.session_health_config("q").unwrap(), own);
    let h = c.session_health("q").unwrap();
    assert_eq!(h.reasons.len(), 1, "{h:?}");
    assert_eq!(h.reasons[0].line.as_deref(), Some("oops: BOOM"));
    q.run("seq 1 10", T).unwrap();
    assert_eq!(c.session_health("q").unwrap().health, HealthState::Healthy);
    c.session_health_clear("q").unwrap();
    assert_eq!(
        c.session_health_clear("q").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        c.session_health_config("q").unwrap(),
        HealthConfig::default()
    );
}

fn wait_dead(p: &ctmux_core::Pane) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !p.info().unwrap().dead {
        assert!(std::time::Instant::now() < deadline, "pane never died");
        std::thread::sleep(Duration::from_millis(10));
    }
    // `pane_dead` can read 1 before `pane_dead_status` is filled in (BUILD-NOTES): give the
    // status a moment, or a fast (control-mode) backend reads the pane in between.
    let settle = std::time::Instant::now() + Duration::from_secs(3);
    while p.info().unwrap().dead_status.is_none() && std::time::Instant::now() < settle {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn readiness_pattern_and_command_checks() {
    let env = Env::new();
    let c = &env.client;
    let pane = env.pane0("web");
    let ready = |pattern: Option<&str>, command: Option<&str>| {
        Readiness::from_parts(
            pattern,
            command,
            Some(Duration::from_millis(20)),
            None,
            None,
            None,
        )
        .unwrap()
    };
    c.session_health_set(
        "web",
        &HealthConfig {
            readiness: Some(ready(Some("^listening on (\\d+)$"), None)),
            ..HealthConfig::default()
        },
    )
    .unwrap();
    let h = c.session_health("web").unwrap();
    assert_eq!((h.health, h.ready), (HealthState::Unhealthy, Some(false)));
    assert_eq!(h.reasons[0].kind, ReasonKind::NotReady);
    // The line appears while we wait; lots of output after it does not hide it.
    pane.exec("sleep 0.3; echo 'listening on 8080'; seq 1 500; sleep 600")
        .unwrap();
    let h = c
        .session_wait_healthy("web", Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!((h.health, h.ready), (HealthState::Healthy, Some(true)));
    wait_running(&pane, true);

    // A command check, run in the pane's cwd with CTMUX_SESSION set.
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("up");
    let cmd = format!(
        "test \"$CTMUX_SESSION\" = db && test -f '{}'",
        flag.display()
    );
    let db = c
        .session_create(
            "db",
            &SessionOptions {
                cwd: Some(dir.path().to_owned()),
                size: None,
            },
        )
        .unwrap();
    c.session_health_set(
        "db",
        &HealthConfig {
            readiness: Some(ready(None, Some(&cmd))),
            ..HealthConfig::default()
        },
    )
    .unwrap();
    assert_eq!(c.session_health("db").unwrap().ready, Some(false));
    db.pane_str("0")
        .unwrap()
        .exec("sleep 0.3; touch up")
        .unwrap();
    let h = c
        .session_wait_healthy("db", Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(h.ready, Some(true));

    // A command running past its timeout is a failed check.
    let slow = Readiness::from_parts(
        None,
        Some("sleep 5"),
        None,
        Some(Duration::from_millis(50)),
        None,
        None,
    )
    .unwrap();
    c.session_health_set(
        "db",
        &HealthConfig {
            readiness: Some(slow),
            ..Default::default()
        },
    )
    .unwrap();
    let h = c.session_health("db").unwrap();
    assert!(h.reasons[0].message.contains("timeout"), "{h:?}");

    // Retries: after the start period, N failures in a row end the wait.
    let never = |retries, start: Duration| HealthConfig {
        readiness: Some(
            Readiness::from_parts(
                None,
                Some("exit 1"),
                Some(Duration::from_millis(20)),
                None,
                Some(retries),
                Some(start),
            )
            .unwrap(),
        ),
        ..HealthConfig::default()
    };
    c.session_health_set("db", &never(3, Duration::ZERO))
        .unwrap();
    let e = c
        .session_wait_healthy("db", Some(Duration::from_secs(600)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("failed 3 times"), "{e}");
    // Failures inside the start period do not count: the wait's own timeout ends it.
    c.session_health_set("db", &never(1, Duration::from_secs(600)))
        .unwrap();
    let e = c
        .session_wait_healthy("db", Some(Duration::from_millis(300)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(!e.to_string().contains("failed"), "{e}");
    assert!(e.to_string().contains("not ready"), "{e}");
}

#[test]
fn wait_healthy_waits_for_a_session_to_appear_and_times_out_with_reasons() {
    let ctl = Ctl::new();
    let v = ctl.fails(&["session-wait-healthy", "late", "0.3"], 124, "Timeout");
    assert_eq!(v["health"], "unhealthy");
    assert_eq!(v["reasons"][0]["kind"], "missing");
    let client = ctl.client.clone();
    let maker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        client
            .session_create("late", &SessionOptions::default())
            .unwrap();
    });
    let v = ctl.ok(&["session-wait-healthy", "late", WAIT]);
    assert_eq!(v["health"], "healthy");
    assert_eq!(v["session"], "late");
    maker.join().unwrap();
    ctl.ok(&[
        "pane-exec",
        "late",
        "0",
        "echo 'ERROR: bad config'",
        "--wait",
    ]);
    let v = ctl.fails(&["session-wait-healthy", "late", "0.2"], 124, "Timeout");
    assert_eq!(v["health"], "degraded");
    assert!(
        v["error"].as_str().unwrap().contains("ERROR: bad config"),
        "{v}"
    );
    ctl.fails(&["session-wait-healthy", "late", "soon"], 2, "InvalidInput");
}

#[test]
fn malformed_health_settings_are_refused_and_change_nothing() {
    let ctl = Ctl::new();
    ctl.ok(&[
        "session-health-set",
        "api",
        "--ready-pattern",
        "^up$",
        "--retries",
        "2",
    ]);
    let before = ctl.file().unwrap();
    for args in [
        &[
            "session-health-set",
            "api",
            "--ready-pattern",
            "a",
            "--ready-command",
            "true",
        ][..],
        &["session-health-set", "api", "--interval", "1"],
        &["session-health-set", "api", "--ready-pattern", "(unclosed"],
        &["session-health-set", "api", "--ready-command", " "],
        &[
            "session-health-set",
            "api",
            "--ready-pattern",
            "a",
            "--retries",
            "0",
        ],
        &[
            "session-health-set",
            "api",
            "--ready-pattern",
            "a",
            "--interval",
            "0",
        ],
        &[
            "session-health-set",
            "api",
            "--ready-pattern",
            "a",
            "--timeout",
            "0",
        ],
        &[
            "session-health-set",
            "api",
            "--ready-pattern",
            "a",
            "--start-period",
            "100000",
        ],
        &["session-health-set", "api", "--pattern", "[z-a]"],
        &["session-health-set", "a:b"],
    ] {
        ctl.fails(args, 1, "InvalidInput");
    }
    for args in [
        &[
            "session-health-set",
            "api",
            "--ready-pattern",
            "a",
            "--interval",
            "soon",
        ][..],
        &["session-health-set", "api", "--lines", "0"],
        &["session-health-set", "api", "--retries", "-1"],
        &["session-health-set", "api", "--bogus"],
    ] {
        ctl.fails(args, 2, "InvalidInput");
    }
    assert_eq!(ctl.file().unwrap(), before);
    let v = ctl.ok(&[
        "session-health-set",
        "api",
        "--pattern",
        "BOOM",
        "--lines",
        "50",
    ]);
    assert_eq!(v["config"]["patterns"][0], "BOOM");
    assert_eq!(v["config"]["lines"], 50);
    ctl.ok(&["session-health-clear", "api"]);
    ctl.fails(&["session-health-clear", "api"], 1, "NotFound");
    // A hand-edited file with bad readiness settings is Corrupt, not silently ignored.
    std::fs::write(
        ctl.state_dir.join("groups.json"),
        r#"{"version": 1, "health": {"api": {"readiness": {"pattern": "a", "retries": 0}}}}"#,
    )
    .unwrap();
    let v = ctl.fails(&["session-health", "api"], 1, "Corrupt");
    assert!(v["error"].as_str().unwrap().contains("retries"), "{v}");
}

#[test]
fn health_changes_are_what_a_daemon_would_publish() {
    let env = Env::new();
    let mut monitor = HealthMonitor::new();
    let mut changes = Vec::new();
    let mut observe = |env: &Env| {
        if let Some(c) = monitor.observe(env.client.session_health("svc").unwrap()) {
            changes.push((c.from, c.to));
        }
    };
    observe(&env);
    let pane = env.pane0("svc");
    observe(&env);
    observe(&env);
    pane.run("echo 'FATAL: lost the database'", T).unwrap();
    observe(&env);
    env.client.session_kill("svc").unwrap();
    observe(&env);
    use HealthState::*;
    assert_eq!(
        changes,
        [
            (None, Unhealthy),
            (Some(Unhealthy), Healthy),
            (Some(Healthy), Degraded),
            (Some(Degraded), Unhealthy)
        ]
    );
}

/// The seed's Use Case 2, with its commands translated to `ctmux` calls. `npm run dev` and
/// `python app.py` are real (a package.json script and a Python file); the frontend gets a
/// readiness pattern so that waiting for it means something.
#[test]
fn use_case_2_multi_project() {
    let ctl = Ctl::new();
    let fe = ctl.server.dir().join("frontend");
    let be = ctl.server.dir().join("backend");
    std::fs::create_dir_all(&fe).unwrap();
    std::fs::create_dir_all(&be).unwrap();
    std::fs::write(
        fe.join("package.json"),
        r#"{"name": "frontend", "private": true, "scripts": {"dev": "node -e \"setTimeout(() => { console.log('ready on http://localhost:5173'); setInterval(() => {}, 1e9); }, 300)\""}}"#,
    )
    .unwrap();
    std::fs::write(
        be.join("app.py"),
        "import time\nprint('backend up', flush=True)\ntime.sleep(600)\n",
    )
    .unwrap();
    ctl.ok(&[
        "session-health-set",
        "frontend",
        "--ready-pattern",
        "^ready on http",
        "--interval",
        "0.1",
    ]);

    // session-create frontend; pane-exec frontend 0 "npm run dev"
    ctl.ok(&["session-create", "frontend", "--cwd", fe.to_str().unwrap()]);
    ctl.ok(&["pane-exec", "frontend", "0", "npm run dev"]);
    // session-depends backend frontend; session-create backend
    ctl.ok(&["session-depends", "backend", "frontend"]);
    ctl.ok(&["session-create", "backend", "--cwd", be.to_str().unwrap()]);
    // session-wait-healthy frontend 60
    let v = ctl.ok(&["session-wait-healthy", "frontend", "60"]);
    assert_eq!(
        (v["health"].as_str(), v["ready"].as_bool()),
        (Some("healthy"), Some(true))
    );
    // pane-exec backend 0 "python app.py"
    ctl.ok(&["pane-exec", "backend", "0", "python app.py"]);
    ctl.ok(&["pane-watch-timeout", "backend", "0", "^backend up$", WAIT]);
    // for session in frontend backend; do echo "$session: $(session-health $session)"; done
    for s in ["frontend", "backend"] {
        let v: Value = ctl.ok(&["session-health", s]);
        assert_eq!(v["health"], "healthy", "{s}: {v}");
        assert!(v["reasons"].as_array().unwrap().is_empty());
    }
    let order = ctl.ok(&["session-start-order"])["order"].clone();
    assert_eq!(order, serde_json::json!(["frontend", "backend"]));
    let v = ctl.ok(&["session-depends-list", "frontend"]);
    assert_eq!(v["needed_by"], serde_json::json!(["backend"]));
}
