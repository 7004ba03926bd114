//! The daemon's bounds: byte-bounded subscriber buffers under a flood (memory measured,
//! a reading subscriber lossless), caps on connections and subscribers with a typed
//! refusal, unknown request fields refused for every op, and concurrent starts reporting
//! exactly one `started`.

use crate::common::{Env, T};
use ctmux_core::daemon::{self, DaemonPaths};
use ctmux_core::{Ctmux, ErrorKind, EventBody, EventFilter, EventKind};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::ctmux_binary as binary;

/// `ctmux --socket-path S --state-dir D <args>` for this test's server.
fn ctmux(client: &Ctmux, args: &[&str]) -> Command {
    let ctmux_core::Socket::Path(sock) = client.server().socket().clone() else {
        panic!("isolated servers use -S")
    };
    let mut cmd = Command::new(binary());
    cmd.arg("--socket-path")
        .arg(sock)
        .arg("--state-dir")
        .arg(client.state_dir().path())
        .args(args);
    cmd
}

/// Run the CLI and parse its one JSON line.
fn ctmux_json(client: &Ctmux, args: &[&str]) -> serde_json::Value {
    let out = ctmux(client, args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Stops the daemon of a test's server (killing it if it does not stop) on drop.
struct Guard {
    paths: DaemonPaths,
}

impl Guard {
    fn new(client: &Ctmux) -> Guard {
        Guard {
            paths: DaemonPaths::new(client.state_dir(), client.server()).unwrap(),
        }
    }

    fn status(&self) -> daemon::DaemonStatus {
        daemon::status(&self.paths).unwrap()
    }

    fn pid(&self) -> u32 {
        daemon::read_pid(&self.paths).expect("pid file").pid
    }

    fn connect(&self) -> UnixStream {
        let s = UnixStream::connect(&self.paths.socket).unwrap();
        s.set_read_timeout(T).unwrap();
        s
    }

    /// Send `request` on a new connection and read the first reply line.
    fn ask(&self, request: &str) -> (serde_json::Value, BufReader<UnixStream>) {
        let mut s = self.connect();
        s.write_all(request.as_bytes()).unwrap();
        s.write_all(b"\n").unwrap();
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let v = serde_json::from_str(line.trim())
            .unwrap_or_else(|e| panic!("{request}: reply {line:?}: {e}"));
        (v, reader)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if daemon::stop(&self.paths).is_err() {
            if let Some(p) = daemon::read_pid(&self.paths) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(p.pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `kB` field of `/proc/<pid>/status`.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .parse()
        .unwrap()
}

/// Processes running `daemon run` for this state dir.
fn daemon_processes(client: &Ctmux) -> usize {
    let dir = client.state_dir().path().display().to_string();
    let mut n = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if entry.file_name().to_string_lossy().parse::<i32>().is_err() {
            continue;
        }
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(&dir) && cmd.contains("daemon run") {
            n += 1;
        }
    }
    n
}

const LINES: u64 = 300_000;
const STALLED: usize = 200;

/// 200 subscribers that never read, a 300 000-line flood: the daemon's memory stays
/// bounded (peak RSS under 100 MB), a reading subscriber gets every line in order even
/// though it pauses, the stalled ones are told what they missed.
#[test]
fn flood_with_200_stalled_subscribers_keeps_memory_bounded_and_a_reader_lossless() {
    let env = Env::new();
    let s = env.session("flood");
    let pane = s.pane_str("0").unwrap();
    let pane_id = pane.id().to_string();
    let started = ctmux_json(
        &env.client,
        &["daemon", "start", "--max-subscribers", "256"],
    );
    assert_eq!(started["started"], true, "{started}");
    let d = Guard::new(&env.client);
    let pid = d.pid();
    let idle_kb = status_kb(pid, "VmRSS:");

    let stalled: Vec<UnixStream> = (0..STALLED)
        .map(|_| {
            let mut s = d.connect();
            s.write_all(b"{\"op\":\"subscribe\",\"filter\":{\"kinds\":[\"output\"]}}\n")
                .unwrap();
            s
        })
        .collect();
    let mut reader = env
        .client
        .subscribe(&EventFilter {
            kinds: vec![EventKind::Output],
            pane: Some(pane_id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert!(reader.via_daemon_socket());
    wait_until("all subscribers", || d.status().subscribers == STALLED + 1);

    let peak_seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (Arc::clone(&peak_seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                peak.fetch_max(status_kb(pid, "VmRSS:"), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    pane.send_text(&format!("seq 1 {LINES}\n")).unwrap();
    let mut next = 1u64;
    let mut last_line_seq = None;
    while next <= LINES {
        let e = reader
            .next_event(Some(Duration::from_secs(30)))
            .unwrap()
            .expect("subscription ended");
        match e.body {
            EventBody::Output { text, line_seq, .. } => {
                let Ok(n) = text.parse::<u64>() else {
                    assert_eq!(next, 1, "a non-number line {text:?} after {}", next - 1);
                    continue;
                };
                assert_eq!(n, next, "line {n} where {next} was due");
                if let Some(prev) = last_line_seq {
                    assert_eq!(line_seq, prev + 1, "a line of the pane was skipped");
                }
                last_line_seq = Some(line_seq);
                next += 1;
                if next == LINES / 3 {
                    // A reader busy for a while (far less than the stall time): the flood
                    // fills its buffer many times over meanwhile, and waits for it.
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
            other => panic!("the reading subscriber got {other:?}"),
        }
    }
    stop.store(true, Ordering::SeqCst);
    sampler.join().unwrap();
    let peak_kb = peak_seen
        .load(Ordering::SeqCst)
        .max(status_kb(pid, "VmHWM:"));
    let after_kb = status_kb(pid, "VmRSS:");
    eprintln!(
        "daemon RSS: idle {idle_kb} kB, peak {peak_kb} kB (VmHWM), after the flood \
         {after_kb} kB, with {STALLED} stalled subscribers and {LINES} lines"
    );
    assert!(
        peak_kb < 100 * 1024,
        "daemon peak RSS {peak_kb} kB with {STALLED} stalled subscribers"
    );
    assert!(d.status().reachable);

    // A stalled one, reading at last, gets what it had, then one `lagged` naming the rest.
    // (Unless the flood outlasted the daemon's 30 s write timeout, on a very loaded
    // machine: then it was dropped, which is the other documented way out.)
    let mut slow = BufReader::new(stalled.into_iter().next().unwrap());
    slow.get_ref().set_read_timeout(T).unwrap();
    let mut line = String::new();
    let mut got = 0u64;
    let lagged = loop {
        line.clear();
        if slow.read_line(&mut line).unwrap() == 0 {
            break None;
        }
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        match v["kind"].as_str() {
            Some("lagged") => break Some(v),
            Some("output") => got += 1,
            _ => {}
        }
    };
    let Some(lagged) = lagged else {
        let left = d.status().subscribers;
        assert!(
            left <= STALLED,
            "it hung up while still counted ({left} subscribers)"
        );
        eprintln!("the stalled subscriber was dropped by the write timeout before it read");
        return;
    };
    let missed = lagged["missed"].as_u64().unwrap();
    assert!(missed > 0 && got > 0, "{lagged}");
    // Every line of the pane is either received or counted as missed (the shell's own
    // lines, the prompt and the echoed command, come on top).
    assert!(
        got + missed >= LINES,
        "got {got} + missed {missed} < {LINES}"
    );
}

/// Every op with a field it does not take is refused with the documented error, and
/// nothing is done (a `stop` with an extra field does not stop the daemon).
#[test]
fn unknown_request_fields_are_refused_for_every_op() {
    let env = Env::new();
    env.session("u");
    ctmux_json(&env.client, &["daemon", "start"]);
    let d = Guard::new(&env.client);
    for (request, field) in [
        (r#"{"op":"status","verbose":true}"#, "verbose"),
        (r#"{"op":"stop","now":true}"#, "now"),
        (r#"{"op":"subscribe","filter":{},"from":0}"#, "from"),
        (
            r#"{"op":"subscribe","fliter":{"kinds":["output"]}}"#,
            "fliter",
        ),
        (
            r#"{"op":"subscribe","filter":{"kinds":["output"],"colour":"red"}}"#,
            "colour",
        ),
        (
            r#"{"op":"metrics_history","pane":"%0","seconds":5,"step":1}"#,
            "step",
        ),
        (
            r#"{"op":"metrics_history","pane":"%0","sconds":5}"#,
            "sconds",
        ),
    ] {
        let (v, mut rest) = d.ask(request);
        assert_eq!(v["ok"], false, "{request}: {v}");
        assert_eq!(v["kind"], "InvalidInput", "{request}: {v}");
        let error = v["error"].as_str().unwrap();
        assert!(
            error.contains(&format!("unknown field `{field}`")),
            "{request}: {error}"
        );
        // The connection is closed after the error.
        let mut more = String::new();
        assert_eq!(rest.read_to_string(&mut more).unwrap(), 0, "{more}");
        assert!(d.status().reachable, "after {request}");
    }
    // The same requests without the extra field are served.
    let (v, _) = d.ask(r#"{"op":"status"}"#);
    assert_eq!(v["ok"], true, "{v}");
    let (v, _) = d.ask(r#"{"op":"subscribe","filter":{"kinds":["output"]}}"#);
    assert_eq!(v["ok"], true, "{v}");
    let (v, _) = d.ask(r#"{"op":"metrics_history","pane":"%0","seconds":5}"#);
    assert_ne!(v["kind"], "InvalidInput", "{v}");
}

fn assert_refused(v: &serde_json::Value, cap: &str, limit: u64, flag: &str) {
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["kind"], "Busy", "{v}");
    assert_eq!(v["cap"], cap, "{v}");
    assert_eq!(v["limit"], limit, "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(error.contains(cap) && error.contains(flag), "{error}");
}

/// Over `max_subscribers` or `max_connections` a client gets a `Busy` reply naming the
/// cap and how to raise it, then the connection is closed; raising the cap on a running
/// daemon takes effect; freed places are given again.
#[test]
fn connection_and_subscriber_caps_refuse_with_a_typed_reply() {
    let env = Env::new();
    env.session("caps");
    let started = ctmux_json(
        &env.client,
        &[
            "daemon",
            "start",
            "--max-connections",
            "3",
            "--max-subscribers",
            "2",
        ],
    );
    assert_eq!(started["max_connections"], 3, "{started}");
    assert_eq!(started["max_subscribers"], 2, "{started}");
    let d = Guard::new(&env.client);
    let subscribe = r#"{"op":"subscribe","filter":{"kinds":["session_created"]}}"#;
    let mut held = Vec::new();
    for _ in 0..2 {
        let (v, r) = d.ask(subscribe);
        assert_eq!(v["ok"], true, "{v}");
        held.push(r);
    }
    let (v, mut rest) = d.ask(subscribe);
    assert_refused(&v, "max_subscribers", 2, "--max-subscribers");
    let mut more = String::new();
    assert_eq!(rest.read_to_string(&mut more).unwrap(), 0, "{more}");
    // Through the library: the same refusal, typed.
    let mut s = daemon::connect(&d.paths).unwrap();
    s.set_read_timeout(T).unwrap();
    daemon::send(
        &mut s,
        &daemon::protocol::Request::Subscribe {
            filter: EventFilter::default(),
        },
    )
    .unwrap();
    let mut s = BufReader::new(s);
    let err = daemon::read_reply(&mut s).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(err.to_string().contains("max_subscribers"), "{err}");
    // Closed once the place is free again.
    let mut more = String::new();
    assert_eq!(s.read_to_string(&mut more).unwrap(), 0, "{more}");
    // A third connection (this status request) is still served.
    let st = d.status();
    assert!(st.reachable, "{st:?}");
    assert_eq!((st.subscribers, st.connections), (2, 3), "{st:?}");

    // Raise the subscriber cap on the running daemon; a third subscriber holds the third
    // connection.
    ctmux_json(&env.client, &["daemon", "start", "--max-subscribers", "8"]);
    let mut third = None;
    wait_until("the new cap to be picked up", || {
        let (v, r) = d.ask(subscribe);
        if v["ok"] == true {
            third = Some(r);
            return true;
        }
        assert_refused(&v, "max_subscribers", 2, "--max-subscribers");
        false
    });
    held.push(third.unwrap());
    // Three connections held: a fourth, whatever it asks, is refused and closed.
    let (v, mut rest) = d.ask(r#"{"op":"status"}"#);
    assert_refused(&v, "max_connections", 3, "--max-connections");
    let mut more = String::new();
    assert_eq!(rest.read_to_string(&mut more).unwrap(), 0, "{more}");
    // Also when the client has not sent anything yet.
    let mut quiet = BufReader::new(d.connect());
    let mut line = String::new();
    quiet.read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_refused(&v, "max_connections", 3, "--max-connections");
    assert_eq!(daemon_processes(&env.client), 1);
    // A subscriber that hangs up frees its place.
    drop(held.pop());
    wait_until("a freed connection", || d.status().reachable);
    let st = d.status();
    assert_eq!(st.subscribers, 2, "{st:?}");
}

/// Six concurrent `ctmux daemon start`s, three times over: one daemon, exactly one
/// `started: true`, the others `already_running: true`, all naming the same pid.
#[test]
fn concurrent_starts_report_exactly_one_started() {
    let env = Env::new();
    env.session("c");
    let d = Guard::new(&env.client);
    for round in 0..3 {
        let children: Vec<_> = (0..6)
            .map(|_| {
                ctmux(&env.client, &["daemon", "start"])
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut pids = Vec::new();
        let mut started = 0;
        let mut already = 0;
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {out:?}");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            pids.push(v["pid"].as_u64().unwrap());
            assert_ne!(v["started"], v["already_running"], "round {round}: {v}");
            started += usize::from(v["started"] == true);
            already += usize::from(v["already_running"] == true);
        }
        assert!(
            pids.windows(2).all(|w| w[0] == w[1]),
            "round {round}: {pids:?}"
        );
        assert_eq!((started, already), (1, 5), "round {round}");
        assert_eq!(u64::from(d.pid()), pids[0]);
        wait_until("losers to exit", || daemon_processes(&env.client) == 1);
        // And once it runs, a start only reports it.
        let again = ctmux_json(&env.client, &["daemon", "start"]);
        assert_eq!(
            (again["started"].clone(), again["already_running"].clone()),
            (serde_json::json!(false), serde_json::json!(true))
        );
        assert!(daemon::stop(&d.paths).unwrap(), "round {round}");
    }
}
