//! The event daemon: lifecycle, faults (kill -9, concurrent starts, socket removed, server
//! killed and restarted), subscribers (several, slow, gone), bad input and idle cost.

use crate::common::{Env, T};
use ctmux_core::daemon::{self, DaemonPaths};
use ctmux_core::{Ctmux, ErrorKind, EventBody, EventFilter, EventKind};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::ctmux_binary as binary;

/// Starts the daemon of an isolated server; stops it (or kills it) on drop.
struct Daemon {
    paths: DaemonPaths,
    client: Ctmux,
}

fn daemon_args(client: &Ctmux) -> Vec<std::ffi::OsString> {
    let ctmux_core::Socket::Path(p) = client.server().socket() else {
        panic!("isolated servers use -S")
    };
    vec![
        "--socket-path".into(),
        p.into(),
        "--state-dir".into(),
        client.state_dir().path().into(),
        "daemon".into(),
        "run".into(),
    ]
}

impl Daemon {
    fn start(client: &Ctmux) -> (Daemon, daemon::StartReport) {
        let report = daemon::start(
            client.server(),
            client.state_dir(),
            &binary(),
            &daemon_args(client),
        )
        .expect("daemon start");
        let paths = DaemonPaths::new(client.state_dir(), client.server()).unwrap();
        (
            Daemon {
                paths,
                client: client.clone(),
            },
            report,
        )
    }

    fn status(&self) -> daemon::DaemonStatus {
        daemon::status(&self.paths).unwrap()
    }

    fn pid(&self) -> u32 {
        daemon::read_pid(&self.paths).expect("pid file").pid
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if daemon::stop(&self.paths).is_err() {
            if let Some(p) = daemon::read_pid(&self.paths) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(p.pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let _ = &self.client;
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Processes running `daemon run` for this state dir.
fn daemon_processes(client: &Ctmux) -> Vec<i32> {
    let dir = client.state_dir().path().display().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(&dir) && cmd.contains("daemon run") {
            pids.push(pid);
        }
    }
    pids
}

fn next_kind(sub: &mut ctmux_core::Subscription, kind: EventKind) -> ctmux_core::Event {
    loop {
        let e = sub.next_event(T).unwrap().expect("subscription ended");
        if e.body.kind() == kind {
            return e;
        }
    }
}

#[test]
fn lifecycle_start_is_idempotent_and_stop_is_graceful() {
    let env = Env::new();
    env.session("one");
    let (d, first) = Daemon::start(&env.client);
    assert!(first.started);
    let (_d2, again) = Daemon::start(&env.client);
    assert!(!again.started);
    assert_eq!(again.status.pid, first.status.pid);
    let st = d.status();
    assert!(st.running && st.reachable && st.server_running, "{st:?}");
    assert!(st.uptime_seconds.unwrap() >= 0.0);
    assert_eq!(st.watched_sessions, ["one"]);
    assert_eq!(st.subscribers, 0);
    let mode = std::fs::metadata(&d.paths.socket).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    assert!(daemon::stop(&d.paths).unwrap());
    let st = d.status();
    assert!(!st.running && st.problem.is_none(), "{st:?}");
    assert!(!d.paths.socket.exists() && !d.paths.pid.exists());
    assert!(!daemon::stop(&d.paths).unwrap(), "stopping twice is fine");
    let log = daemon::log::tail(&d.paths.log, 100).unwrap();
    let kinds: Vec<EventKind> = log.iter().map(|e| e.body.kind()).collect();
    assert_eq!(kinds.first(), Some(&EventKind::DaemonStarted));
    assert_eq!(kinds.last(), Some(&EventKind::DaemonStopped));
}

#[test]
fn daemon_files_are_private_and_never_opened_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.session("one");
    let paths = DaemonPaths::new(env.client.state_dir(), env.client.server()).unwrap();
    let victim = env.client.state_dir().path().join("victim");
    // A planted daemon.out, then daemon.lock: the start fails and the target is not created.
    for planted in [&paths.out, &paths.lock] {
        let _ = std::fs::remove_file(planted);
        std::os::unix::fs::symlink(&victim, planted).unwrap();
        let err = daemon::start(
            env.client.server(),
            env.client.state_dir(),
            &binary(),
            &daemon_args(&env.client),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        assert!(!victim.exists(), "{planted:?} was followed");
        std::fs::remove_file(planted).unwrap();
    }
    // A planted events.log: the daemon refuses to run (and says so in daemon.out).
    let _ = std::fs::remove_file(&paths.log);
    std::os::unix::fs::symlink(&victim, &paths.log).unwrap();
    let refused = daemon::start(
        env.client.server(),
        env.client.state_dir(),
        &binary(),
        &daemon_args(&env.client),
    );
    assert!(refused.is_err(), "{refused:?}");
    assert!(!victim.exists(), "events.log was followed");
    std::fs::remove_file(&paths.log).unwrap();
    // Files of an older version with a wider mode are narrowed.
    std::fs::write(&paths.lock, b"").unwrap();
    std::fs::set_permissions(&paths.lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (d, report) = Daemon::start(&env.client);
    assert!(report.started);
    for f in [
        &d.paths.lock,
        &d.paths.out,
        &d.paths.log,
        &d.paths.pid,
        &d.paths.socket,
    ] {
        let mode = std::fs::symlink_metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f:?}");
    }
    let dir = std::fs::metadata(&d.paths.dir)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir, 0o700);
}

#[test]
fn kill_9_leaves_a_clean_restartable_state() {
    let env = Env::new();
    env.session("k");
    let (d, _) = Daemon::start(&env.client);
    let pid = d.pid();
    // Killed once it is up, not in the middle of attaching its control connections: tmux
    // 3.3a's server can crash (a segfault in control_write) when a control client dies while
    // the server is still busy with its start-up (seen in 2 of 12 runs when killed at once).
    wait_until("the daemon to watch the session", || {
        d.status().watched_sessions == ["k"]
    });
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // The lock goes when the last of its threads has exited (the main thread can be a
    // zombie a little earlier).
    wait_until("the lock to be released", || !d.status().running);
    let st = d.status();
    assert!(!st.running, "{st:?}");
    assert!(st.problem.unwrap().contains("stale"));
    // What it left is whole: the pid file parses, every log line parses.
    assert!(daemon::read_pid(&d.paths).is_some());
    let text = std::fs::read_to_string(&d.paths.log).unwrap();
    for l in text.lines() {
        serde_json::from_str::<ctmux_core::Event>(l).unwrap();
    }
    let (d2, report) = Daemon::start(&env.client);
    assert!(report.started && report.removed_stale);
    assert_ne!(d2.pid(), pid);
    assert!(d2.status().reachable);
}

#[test]
fn concurrent_starts_give_exactly_one_daemon() {
    let env = Env::new();
    env.session("c");
    let bin = binary();
    let ctmux_core::Socket::Path(sock) = env.client.server().socket().clone() else {
        unreachable!()
    };
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&bin)
                .arg("--socket-path")
                .arg(&sock)
                .arg("--state-dir")
                .arg(env.client.state_dir().path())
                .args(["daemon", "start"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut pids = Vec::new();
    let mut started = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        pids.push(v["pid"].as_u64().unwrap());
        started += usize::from(v["started"] == true);
    }
    let paths = DaemonPaths::new(env.client.state_dir(), env.client.server()).unwrap();
    let _guard = Daemon {
        paths,
        client: env.client.clone(),
    };
    assert!(pids.windows(2).all(|w| w[0] == w[1]), "{pids:?}");
    assert!(started >= 1);
    wait_until("losers to exit", || {
        daemon_processes(&env.client).len() == 1
    });
}

#[test]
fn removed_socket_is_detected_reported_and_replaced() {
    let env = Env::new();
    env.session("s");
    let (d, _) = Daemon::start(&env.client);
    std::fs::remove_file(&d.paths.socket).unwrap();
    wait_until("the socket to come back", || d.status().reachable);
    let log = daemon::log::tail(&d.paths.log, 100).unwrap();
    assert!(
        log.iter().any(
            |e| matches!(&e.body, EventBody::Warning { message } if message.contains("removed"))
        ),
        "{log:?}"
    );
}

#[test]
fn subscriptions_through_the_daemon_see_sessions_commands_and_patterns() {
    let env = Env::new();
    env.session("base");
    let (_d, _) = Daemon::start(&env.client);
    let mut all = env.client.subscribe(&EventFilter::default()).unwrap();
    assert!(all.via_daemon_socket());
    let mut matches = env
        .client
        .subscribe(&EventFilter {
            pattern: Some(r"ready on port (\d+)".into()),
            ..Default::default()
        })
        .unwrap();
    let s = env.session("api");
    let created = next_kind(&mut all, EventKind::SessionCreated);
    assert_eq!(created.body.session(), Some("api"));
    let pane = s.pane_str("0").unwrap();
    let r = pane.run("echo ready on port 8123; false", T).unwrap();
    assert_eq!(r.exit_code, 1);
    let m = matches.next_event(T).unwrap().unwrap();
    match m.body {
        EventBody::PatternMatched {
            matched_text,
            pane: p,
            ..
        } => {
            assert_eq!(matched_text, "ready on port 8123");
            assert_eq!(p, pane.id().to_string());
        }
        other => panic!("{other:?}"),
    }
    let done = next_kind(&mut all, EventKind::CommandFinished);
    match done.body {
        EventBody::CommandFinished { exit_code, .. } => assert_eq!(exit_code, 1),
        other => panic!("{other:?}"),
    }
    s.client().session_kill("api").unwrap();
    let closed = next_kind(&mut all, EventKind::SessionClosed);
    assert_eq!(closed.body.session(), Some("api"));
}

#[test]
fn slow_and_vanished_subscribers_never_block_the_others() {
    let env = Env::new();
    let s = env.session("flood");
    let (d, _) = Daemon::start(&env.client);
    // A subscriber that never reads.
    let mut slow = UnixStream::connect(&d.paths.socket).unwrap();
    slow.write_all(b"{\"op\":\"subscribe\",\"filter\":{\"kinds\":[\"output\"]}}\n")
        .unwrap();
    // One that goes away at once.
    let mut gone = UnixStream::connect(&d.paths.socket).unwrap();
    gone.write_all(b"{\"op\":\"subscribe\"}\n").unwrap();
    drop(gone);
    let mut fast = env
        .client
        .subscribe(&EventFilter {
            kinds: vec![EventKind::Output],
            session: Some("flood".into()),
            ..Default::default()
        })
        .unwrap();
    let pane = s.pane_str("0").unwrap();
    // 30 000 lines in bursts of 1000: far more than the slow one's buffers hold, at a pace
    // a reader keeps up with.
    pane.send_text(
        "for i in $(seq 0 29); do seq $((i*1000+1)) $((i*1000+1000)) | sed 's/^/n /'; sleep 0.02; done\n",
    )
    .unwrap();
    let mut next = 1u64;
    while next <= 30000 {
        let e = fast.next_event(T).unwrap().unwrap();
        if let EventBody::Output { text, .. } = &e.body {
            if let Some(n) = text.strip_prefix("n ") {
                assert_eq!(n.parse::<u64>().unwrap(), next);
                next += 1;
            }
        } else {
            panic!("fast subscriber got {e:?}");
        }
    }
    // The daemon still answers, and counts the slow one and the fast one only.
    wait_until("the vanished subscriber to be dropped", || {
        d.status().subscribers == 2
    });
    // The slow one, reading at last, is told what it missed.
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(slow);
    let mut lagged = None;
    let mut line = String::new();
    while lagged.is_none() {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0);
        if line.contains("\"lagged\"") {
            lagged = Some(line.clone());
        }
        if line.contains("\"n 30000\"") {
            break;
        }
    }
    let lagged = lagged.expect("slow subscriber never told it lagged");
    let v: serde_json::Value = serde_json::from_str(&lagged).unwrap();
    assert!(v["missed"].as_u64().unwrap() > 0);
}

#[test]
fn server_killed_while_subscribed_then_back() {
    let mut env = Env::new();
    env.session("x");
    let (d, _) = Daemon::start(&env.client);
    let mut via_daemon = env.client.subscribe(&EventFilter::default()).unwrap();
    let mut local = env.client.subscribe_local(&EventFilter::default()).unwrap();
    let sock = env.server.socket_path().to_owned();
    // Kill the server: both subscriptions end cleanly with ServerUnavailable.
    let _ = env.client.tmux(&["kill-server"]);
    for sub in [&mut via_daemon, &mut local] {
        let start = Instant::now();
        let err = loop {
            match sub.next_event(T) {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("ended without an error"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), ErrorKind::ServerUnavailable, "{err}");
        assert!(start.elapsed() < Duration::from_secs(8));
        assert!(sub.next_event(T).unwrap().is_none());
    }
    let st = d.status();
    assert!(st.running && st.reachable && !st.server_running, "{st:?}");
    assert_eq!(
        env.client
            .subscribe(&EventFilter::default())
            .unwrap_err()
            .kind(),
        ErrorKind::ServerUnavailable
    );
    // A new server on the same socket: the daemon follows it.
    let status = Command::new("tmux")
        .args(["-S"])
        .arg(&sock)
        .args(["-f", "/dev/null", "new-session", "-d", "-s", "again"])
        .status()
        .unwrap();
    assert!(status.success());
    wait_until("the daemon to follow the new server", || {
        d.status().watched_sessions == ["again"]
    });
    let log = daemon::log::tail(&d.paths.log, 100).unwrap();
    assert!(log.iter().any(|e| e.body.kind() == EventKind::ServerLost));
    assert!(log.iter().any(|e| e.body.kind() == EventKind::ServerBack));
    drop(d);
    env.server.close().unwrap();
}

#[test]
fn bad_input_gets_clear_errors_and_the_daemon_keeps_running() {
    let env = Env::new();
    env.session("b");
    let (d, _) = Daemon::start(&env.client);
    for garbage in [
        &b"hello daemon\n"[..],
        b"{\"op\":\"explode\"}\n",
        b"{\"op\":\"subscribe\",\"filter\":{\"kinds\":[\"nope\"]}}\n",
        b"{\"op\":\"subscribe\",\"filter\":{\"pattern\":\"(\"}}\n",
        b"\xff\xfe\n",
    ] {
        let mut s = UnixStream::connect(&d.paths.socket).unwrap();
        s.write_all(garbage).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        let v: serde_json::Value = serde_json::from_str(reply.trim()).unwrap();
        assert_eq!(v["ok"], false, "{reply}");
        assert_eq!(v["kind"], "InvalidInput", "{reply}");
    }
    // A request that never ends with a newline is cut off, not waited on for ever.
    let mut s = UnixStream::connect(&d.paths.socket).unwrap();
    s.write_all(&vec![b'x'; 70 * 1024]).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.contains("InvalidInput"), "{reply}");
    assert!(d.status().reachable);
    let bad = EventFilter {
        pattern: Some("(".into()),
        ..Default::default()
    };
    assert_eq!(
        env.client.subscribe(&bad).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // A server that does not exist.
    let dir = tempfile::tempdir().unwrap();
    let c = Ctmux::builder()
        .server(
            ctmux_core::Server::new(ctmux_core::Socket::Path(dir.path().join("no-sock"))).unwrap(),
        )
        .state_dir(dir.path().join("state"))
        .build()
        .unwrap();
    assert_eq!(
        c.subscribe(&EventFilter::default()).unwrap_err().kind(),
        ErrorKind::ServerUnavailable
    );
    assert!(d.status().reachable);
}

/// Idle cost, measured: the daemon's CPU time over 5 s with 20 idle panes, and its RSS.
#[test]
fn idle_daemon_costs_little() {
    let env = Env::new();
    let s = env.session("idle");
    for _ in 1..20 {
        s.pane_create(None).unwrap();
        env.client
            .tmux(&["select-layout", "-t", s.id(), "tiled"])
            .unwrap();
    }
    let (d, _) = Daemon::start(&env.client);
    wait_until("20 panes watched", || d.status().watched_panes == 20);
    let pid = d.pid();
    let ticks = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    std::thread::sleep(Duration::from_millis(500));
    let t0 = ticks();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    let used = (ticks() - t0) as f64 / 100.0;
    let cpu_percent = used / start.elapsed().as_secs_f64() * 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    eprintln!("idle daemon, 20 panes: cpu {cpu_percent:.2} % of a core, rss {rss_kb} kB");
    assert!(
        cpu_percent < 1.0,
        "idle daemon used {cpu_percent:.2} % of a core"
    );
    assert!(rss_kb < 20 * 1024, "idle daemon RSS {rss_kb} kB");
}

fn next_saved(sub: &mut ctmux_core::Subscription) -> PathBuf {
    match next_kind(sub, EventKind::SnapshotSaved).body {
        EventBody::SnapshotSaved { file, .. } => PathBuf::from(file),
        other => panic!("{other:?}"),
    }
}

#[test]
fn autosave_follows_changes_survives_a_restart_and_stops_with_the_session() {
    let env = Env::new();
    env.session("keeper");
    let s = env.session("work");
    let (d, _) = Daemon::start(&env.client);
    let filter = EventFilter {
        session: Some("work".into()),
        kinds: vec![EventKind::SnapshotSaved, EventKind::AutosaveStopped],
        ..Default::default()
    };
    let mut sub = env.client.subscribe(&filter).unwrap();
    assert_eq!(
        daemon::autosave::set(&d.paths, "work", 0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        daemon::autosave::set(&d.paths, "a:b", 5)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    daemon::autosave::set(&d.paths, "work", 1).unwrap();
    let first = next_saved(&mut sub);
    let panes = |f: &PathBuf| {
        ctmux_core::snapshot::load(f)
            .unwrap()
            .snapshot
            .windows
            .iter()
            .map(|w| w.panes.len())
            .sum::<usize>()
    };
    assert_eq!(panes(&first), 1);
    // The session changes; the next saves see it.
    s.pane_create(Some("extra")).unwrap();
    let mut latest = next_saved(&mut sub);
    while panes(&latest) != 2 {
        latest = next_saved(&mut sub);
    }
    let st = d.status();
    assert_eq!(st.autosaves.len(), 1, "{st:?}");
    assert!(st.autosaves[0].saves >= 2);
    // A restarted daemon keeps saving.
    drop(sub);
    assert!(daemon::stop(&d.paths).unwrap());
    let (d2, report) = Daemon::start(&env.client);
    assert!(report.started);
    let mut sub = env.client.subscribe(&filter).unwrap();
    let after = next_saved(&mut sub);
    assert_ne!(after, latest);
    assert_eq!(panes(&after), 2);
    // Killing the session stops it, by itself.
    env.client.session_kill("work").unwrap();
    let stopped = next_kind(&mut sub, EventKind::AutosaveStopped);
    assert_eq!(stopped.body.session(), Some("work"));
    assert!(daemon::autosave::load(&d2.paths)
        .unwrap()
        .sessions
        .is_empty());
    wait_until("the status to drop it", || d2.status().autosaves.is_empty());
}

/// The daemon's periodic work: limits enforced (and announced), metrics sampled into a
/// history, GC run on its schedule (announced).
#[test]
fn daemon_enforces_limits_samples_metrics_and_runs_gc_on_schedule() {
    let env = Env::new();
    let s = env.session("jobs");
    env.session("needed");
    env.client.session_depends("jobs", "needed").unwrap();
    env.client.session_kill("needed").unwrap();
    ctmux_core::gc::enable(&env.client, None).unwrap();
    let paths = DaemonPaths::new(env.client.state_dir(), env.client.server()).unwrap();
    daemon::jobs::set_metrics_interval(&paths, 1).unwrap();
    assert_eq!(
        daemon::jobs::set_metrics_interval(&paths, 0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let (d, _) = Daemon::start(&env.client);
    let mut sub = env
        .client
        .subscribe(&EventFilter {
            kinds: vec![EventKind::LimitExceeded, EventKind::GcAction],
            ..Default::default()
        })
        .unwrap();
    // A memory limit: the job is terminated by the daemon, the shell survives.
    let pane = s.pane_str("0").unwrap();
    pane.set_limit(ctmux_core::limits::LimitKind::Memory, 100.0, None, None)
        .unwrap();
    let shell = pane.info().unwrap().pid;
    pane.send_text(
        "python3 -c 'import time\nb=[]\nwhile True:\n    b.append(bytearray(20<<20)); time.sleep(0.2)'\n",
    )
    .unwrap();
    let mut saw_limit = false;
    let mut saw_gc = false;
    while !(saw_limit && saw_gc) {
        let e = sub
            .next_event(Some(Duration::from_secs(30)))
            .unwrap()
            .unwrap();
        match &e.body {
            EventBody::LimitExceeded {
                action, limit_kind, ..
            } => {
                assert_eq!(limit_kind, "memory");
                saw_limit |= action == "terminated" || action == "killed";
            }
            EventBody::GcAction { action, .. } => {
                assert_eq!(action, "drop_dependency", "{e:?}");
                saw_gc = true;
            }
            _ => {}
        }
    }
    crate::common::wait_running(&pane, false);
    assert_eq!(pane.info().unwrap().pid, shell, "the shell survives");
    // Metrics history, sampled every second.
    wait_until("three samples", || {
        env.client
            .metrics_history(&pane.id().to_string(), None)
            .is_ok_and(|v| v["points"].as_array().is_some_and(|p| p.len() >= 3))
    });
    let v = env
        .client
        .metrics_history(&pane.id().to_string(), Some(60.0))
        .unwrap();
    assert!(v["summary"]["samples"].as_u64().unwrap() >= 3, "{v}");
    assert_eq!(
        env.client.metrics_history("%999", None).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        env.client
            .metrics_history(&pane.id().to_string(), Some(-1.0))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let log = daemon::log::tail(&d.paths.log, 200).unwrap();
    assert!(log
        .iter()
        .any(|e| e.body.kind() == EventKind::LimitExceeded));
    assert!(log.iter().any(|e| e.body.kind() == EventKind::GcAction));
}

/// Sessions with health settings are watched: the first observation and every change of
/// state are `health_changed` events.
#[test]
fn daemon_publishes_health_changes() {
    let env = Env::new();
    let s = env.session("svc");
    let (_d, _) = Daemon::start(&env.client);
    let mut sub = env
        .client
        .subscribe(&EventFilter {
            kinds: vec![EventKind::HealthChanged],
            ..Default::default()
        })
        .unwrap();
    env.client
        .session_health_set("svc", &ctmux_core::HealthConfig::default())
        .unwrap();
    let first = sub.next_event(T).unwrap().unwrap();
    let EventBody::HealthChanged { to, session, .. } = &first.body else {
        panic!("{first:?}")
    };
    assert_eq!((session.as_str(), to.as_str()), ("svc", "healthy"));
    // An error line makes it unhealthy (default error patterns).
    s.pane_str("0")
        .unwrap()
        .send_text("echo 'FATAL: out of cheese'\n")
        .unwrap();
    let next = sub.next_event(T).unwrap().unwrap();
    match &next.body {
        EventBody::HealthChanged {
            from, to, reasons, ..
        } => {
            assert_eq!(from.as_deref(), Some("healthy"));
            assert_ne!(to, "healthy");
            assert!(!reasons.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

/// The daemon follows every session with its own control connection; those are ctmux's, not
/// people's, so its scheduled GC still removes an idle session (and keeps a kept one).
#[test]
fn scheduled_gc_collects_idle_sessions_the_daemon_watches() {
    let env = Env::new();
    env.session("idle");
    env.session("kept").set_keep(true).unwrap();
    ctmux_core::gc::update(env.client.state_dir(), |st| {
        st.config.enabled = true;
        st.config.recent_seconds = 1;
        st.config.ttl_seconds = 1;
        Ok(())
    })
    .unwrap();
    let (_d, _) = Daemon::start(&env.client);
    let mut sub = env
        .client
        .subscribe(&EventFilter {
            kinds: vec![EventKind::GcAction],
            ..Default::default()
        })
        .unwrap();
    // The daemon attached a watcher to both sessions, and tmux counts it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let raw = env
            .client
            .tmux(&["list-sessions", "-F", "#{session_attached}"])
            .unwrap();
        if raw.lines().all(|n| n != "0") {
            break;
        }
        assert!(Instant::now() < deadline, "watchers never attached: {raw}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The first scheduled run comes 5 s after the start.
    let event = sub
        .next_event(Some(Duration::from_secs(20)))
        .unwrap()
        .expect("a gc_action event");
    let EventBody::GcAction { session, .. } = &event.body else {
        panic!("{event:?}")
    };
    assert_eq!(session.as_deref(), Some("idle"));
    let names: Vec<String> = env
        .client
        .session_list()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["kept"]);
}
