//! Criterion benches of `ctmux-core` operations against private tmux servers.
//!
//! Every group starts its own [`IsolatedServer`] (own `-S` socket in a temp dir, pinned
//! `bash --noprofile --norc` shell, killed and removed on drop) with one 120x40 session; the
//! user's default tmux server is never touched. All numbers are wall-clock latencies of one
//! call, measured with the default process backend (one `tmux` process per command).
//!
//! Groups and what one iteration measures:
//! - `spawn_baseline/tmux_display`: one `display-message -p x` round trip, i.e. spawning one
//!   tmux client process. Every other number is a small multiple of this one.
//! - `exec_and_detect/true`, `exec_and_detect/echo`: `pane.run(cmd, timeout)`, typing the
//!   command into the pane's shell and returning once the shell has reported the exact exit
//!   code (and output). The pane's scrollback is cleared outside the timed region every
//!   [`CLEAR_EVERY`] runs, so the whole-history capture done by `run` stays small.
//! - `exec_and_detect/true_history_20k`: the same `run("true")` in a pane holding 20000
//!   lines of scrollback (what the whole-history capture costs).
//! - `capture/screen`: `pane.capture(None)` of a full 120x40 screen.
//! - `capture/history_1000`: `pane.capture(Some(1000))` after `seq 1 1000` was printed once.
//! - `send_keys/literal`: `pane.send_text("x")` (the line is cleared with `C-u` outside the
//!   timed region every [`CLEAR_EVERY`] keys); `send_keys/named`: `pane.send_keys(&["C-u"])`.
//! - `session/create_kill`: `client.session_create(unique name, 120x40)` then
//!   `session.kill()`; `session/list`: `client.session_list()` with two sessions.
//! - `pattern_detection/watch`: latency from the moment a line is printed in a pane to
//!   `pane.watch(pattern, ..)` returning it. The pane runs `sleep <50-100 ms>; echo
//!   TOKEN-<n> $EPOCHREALTIME`; the watch starts right after the exec is sent (so it is
//!   already polling when the line appears), and the reported time is `now - $EPOCHREALTIME`
//!   at return (same clock, same machine). The sleep varies over one poll period so the print
//!   lands at every phase of the poll cycle. The process backend re-reads the pane every
//!   50 ms, so expect about half a poll period plus one capture (~25-30 ms median, up to
//!   ~55 ms); the control-mode engine replaces this.
//!
//! - `backend_<op>/process` vs `backend_<op>/control`: the same operation over the process
//!   backend (one `tmux` process per command) and the control-mode backend (one persistent
//!   `tmux -C` connection), each on its own isolated server with a warm connection:
//!   `roundtrip` (`display-message -p x`), `send_keys` (`pane.send_keys(&["C-u"])`),
//!   `capture` (`pane.capture(None)` of a full screen), `session_list` (two sessions) and
//!   `exec_detect` (`pane.run("true")`).
//!
//! Before the benches run, the number of tmux commands each operation issues through the
//! backend (`client.backend().commands_issued()` before/after one call) is printed to stderr.
//!
//! Run with `cargo bench -p ctmux-benches` (add a filter such as `-- exec_and_detect` to run
//! one group). `cargo test --all-targets` runs each bench once as a smoke test.

use criterion::{Criterion, SamplingMode};
use ctmux_core::{BackendKind, Ctmux, IsolatedServer, Pane, Session, SessionOptions};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Window size of every session.
const SIZE: (u16, u16) = (120, 40);
/// Timeout of every exec and watch (never reached in a healthy run).
const TIMEOUT: Duration = Duration::from_secs(10);
/// How many timed calls between two untimed clean-ups (clear line / clear history).
const CLEAR_EVERY: u64 = 50;

/// An isolated server with one session and its first pane, shell ready.
struct Fixture {
    client: Ctmux,
    session: Session,
    pane: Pane,
    // Last: dropped after the handles, kills the server and removes its dir.
    _server: IsolatedServer,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let server = IsolatedServer::start().expect("start isolated tmux server");
        let client = server.client().expect("client");
        Self::with_client(name, server, client)
    }

    /// The same, with a client of the given backend kind.
    fn with_backend(name: &str, kind: BackendKind) -> Self {
        let server = IsolatedServer::start().expect("start isolated tmux server");
        let client = Ctmux::builder()
            .server(server.server().clone())
            .state_dir(server.dir().join("state"))
            .backend_kind(kind)
            .build()
            .expect("client");
        Self::with_client(name, server, client)
    }

    fn with_client(name: &str, server: IsolatedServer, client: Ctmux) -> Self {
        let opts = SessionOptions {
            size: Some(SIZE),
            ..SessionOptions::default()
        };
        let session = client.session_create(name, &opts).expect("create session");
        let pane = session.pane_str("0").expect("first pane");
        // Waits for the shell's first prompt and installs the exec prompt hook.
        let r = pane.run("true", Some(TIMEOUT)).expect("warm-up exec");
        assert_eq!(r.exit_code, 0);
        Fixture {
            client,
            session,
            pane,
            _server: server,
        }
    }

    /// Drop the pane's scrollback (the visible screen stays).
    fn clear_history(&self) {
        let target = self.pane.id().to_string();
        self.client
            .tmux(&["clear-history", "-t", &target])
            .expect("clear-history");
    }

    /// Commands issued through the backend so far.
    fn issued(&self) -> u64 {
        self.client.backend().commands_issued()
    }
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(3));
    g
}

fn spawn_baseline(c: &mut Criterion) {
    let f = Fixture::new("bench-spawn");
    let mut g = group(c, "spawn_baseline");
    g.bench_function("tmux_display", |b| {
        b.iter(|| black_box(f.client.tmux(&["display-message", "-p", "x"]).unwrap()))
    });
    g.finish();
}

/// Time `pane.run(cmd)` per iteration, clearing history untimed every [`CLEAR_EVERY`] runs.
fn bench_run(f: &Fixture, cmd: &str, expect_output: &str) -> impl FnMut(u64) -> Duration {
    let pane = f.pane.clone();
    let client = f.client.clone();
    let target = f.pane.id().to_string();
    let (cmd, expect_output) = (cmd.to_owned(), expect_output.to_owned());
    let mut done: u64 = 0;
    move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            if done.is_multiple_of(CLEAR_EVERY) {
                client.tmux(&["clear-history", "-t", &target]).unwrap();
            }
            done += 1;
            let t = Instant::now();
            let r = pane.run(&cmd, Some(TIMEOUT)).unwrap();
            total += t.elapsed();
            assert_eq!(r.exit_code, 0);
            assert_eq!(r.output, expect_output);
        }
        total
    }
}

fn exec_and_detect(c: &mut Criterion) {
    let f = Fixture::new("bench-exec");
    let mut g = group(c, "exec_and_detect");
    g.bench_function("true", |b| b.iter_custom(bench_run(&f, "true", "")));
    g.bench_function("echo", |b| {
        b.iter_custom(bench_run(&f, "echo hello", "hello\n"))
    });
    // `run` collects output from a capture of the whole history: the same exec in a pane
    // with 20000 lines of scrollback (never cleared) shows what that costs.
    let big = f
        .client
        .session_create(
            "bench-exec-big",
            &SessionOptions {
                size: Some(SIZE),
                ..SessionOptions::default()
            },
        )
        .unwrap()
        .pane_str("0")
        .unwrap();
    assert_eq!(big.run("seq 1 20000", Some(TIMEOUT)).unwrap().exit_code, 0);
    g.bench_function("true_history_20k", |b| {
        b.iter(|| assert_eq!(big.run("true", Some(TIMEOUT)).unwrap().exit_code, 0))
    });
    g.finish();
}

fn capture(c: &mut Criterion) {
    let f = Fixture::new("bench-capture");
    // Fill the screen and 1000+ lines of history.
    let r = f.pane.run("seq 1 1000", Some(TIMEOUT)).unwrap();
    assert_eq!(r.exit_code, 0);
    let mut g = group(c, "capture");
    g.bench_function("screen", |b| {
        b.iter(|| black_box(f.pane.capture(None).unwrap()))
    });
    g.bench_function("history_1000", |b| {
        b.iter(|| {
            let text = f.pane.capture(Some(1000)).unwrap();
            debug_assert!(text.lines().count() > 1000);
            black_box(text)
        })
    });
    g.finish();
}

fn send_keys(c: &mut Criterion) {
    let f = Fixture::new("bench-keys");
    let mut g = group(c, "send_keys");
    let mut typed: u64 = 0;
    g.bench_function("literal", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                if typed.is_multiple_of(CLEAR_EVERY) {
                    f.pane.send_keys(&["C-u"]).unwrap();
                }
                typed += 1;
                let t = Instant::now();
                f.pane.send_text("x").unwrap();
                total += t.elapsed();
            }
            total
        })
    });
    g.bench_function("named", |b| b.iter(|| f.pane.send_keys(&["C-u"]).unwrap()));
    g.finish();
    // The shell must still be sane: a clean line, and an exec works.
    f.pane.send_keys(&["C-u"]).unwrap();
    let r = f.pane.run("echo ok", Some(TIMEOUT)).unwrap();
    assert_eq!((r.exit_code, r.output.as_str()), (0, "ok\n"));
}

fn session(c: &mut Criterion) {
    let f = Fixture::new("bench-session");
    let opts = SessionOptions {
        size: Some(SIZE),
        ..SessionOptions::default()
    };
    let mut g = group(c, "session");
    let mut n: u64 = 0;
    g.bench_function("create_kill", |b| {
        b.iter(|| {
            n += 1;
            let s = f.client.session_create(&format!("tmp-{n}"), &opts).unwrap();
            s.kill().unwrap();
        })
    });
    let _other = f.client.session_create("other", &opts).unwrap();
    g.bench_function("list", |b| {
        b.iter(|| {
            let list = f.client.session_list().unwrap();
            debug_assert_eq!(list.len(), 2);
            black_box(list)
        })
    });
    g.finish();
    assert_eq!(f.session.pane_count().unwrap(), 1);
}

/// Parse bash's `$EPOCHREALTIME` (`secs.micros`, `,` in some locales) as a time.
fn parse_epoch(s: &str) -> SystemTime {
    let (secs, micros) = s
        .split_once(['.', ','])
        .unwrap_or_else(|| panic!("bad $EPOCHREALTIME {s:?}"));
    UNIX_EPOCH
        + Duration::from_secs(secs.parse().unwrap())
        + Duration::from_micros(micros.parse().unwrap())
}

static TOKEN: AtomicU64 = AtomicU64::new(0);

/// One watch: start the printer, watch for its line, return print-to-detection latency.
fn watch_once(f: &Fixture) -> Duration {
    let n = TOKEN.fetch_add(1, Ordering::Relaxed);
    // A fixed delay would lock the print onto one phase of the watch's 50 ms poll cycle
    // (a 50 ms sleep lands just before the second poll): spread it over a whole period with
    // the golden-ratio sequence, so the latency samples the poll phase evenly.
    let phase = (n as f64 * 0.618_033_988_75).fract();
    let delay = 0.05 + 0.05 * phase;
    let handle = f
        .pane
        .exec(&format!("sleep {delay:.3}; echo TOKEN-{n} $EPOCHREALTIME"))
        .unwrap();
    let m = f
        .pane
        .watch(&format!(r"^TOKEN-{n} \d+[.,]\d+$"), Some(TIMEOUT), None)
        .unwrap();
    let now = SystemTime::now();
    let printed = parse_epoch(m.line.rsplit(' ').next().unwrap());
    let latency = now.duration_since(printed).unwrap_or_default();
    // Untimed: let the exec report so the pane accepts the next one.
    assert_eq!(handle.wait(Some(TIMEOUT)).unwrap().exit_code, 0);
    latency
}

fn pattern_detection(c: &mut Criterion) {
    let f = Fixture::new("bench-watch");
    let mut g = group(c, "pattern_detection");
    // Each iteration takes ~100 ms of wall time (criterion plans with wall time) for ~25 ms
    // of measured latency: 6 s is ~60 watches, enough to cover the poll phase evenly.
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(6));
    g.bench_function("watch", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                if i > 0 && i.is_multiple_of(CLEAR_EVERY) {
                    f.clear_history();
                }
                total += watch_once(&f);
            }
            total
        })
    });
    g.finish();
}

/// One group per operation, each with a `process` and a `control` bench.
fn backend_comparison(c: &mut Criterion) {
    let fixtures: Vec<(&str, Fixture)> = [BackendKind::Process, BackendKind::Control]
        .into_iter()
        .map(|k| {
            let f = Fixture::with_backend(&format!("bench-{k}"), k);
            // Fill the screen, and a second session for the listing.
            assert_eq!(f.pane.run("seq 1 100", Some(TIMEOUT)).unwrap().exit_code, 0);
            let opts = SessionOptions {
                size: Some(SIZE),
                ..SessionOptions::default()
            };
            f.client.session_create("other", &opts).unwrap();
            (k.as_str(), f)
        })
        .collect();
    let mut g = group(c, "backend_roundtrip");
    for (name, f) in &fixtures {
        g.bench_function(*name, |b| {
            b.iter(|| black_box(f.client.tmux(&["display-message", "-p", "x"]).unwrap()))
        });
    }
    g.finish();
    let mut g = group(c, "backend_send_keys");
    for (name, f) in &fixtures {
        g.bench_function(*name, |b| b.iter(|| f.pane.send_keys(&["C-u"]).unwrap()));
    }
    g.finish();
    let mut g = group(c, "backend_capture");
    for (name, f) in &fixtures {
        g.bench_function(*name, |b| {
            b.iter(|| black_box(f.pane.capture(None).unwrap()))
        });
    }
    g.finish();
    let mut g = group(c, "backend_session_list");
    for (name, f) in &fixtures {
        g.bench_function(*name, |b| {
            b.iter(|| {
                let list = f.client.session_list().unwrap();
                debug_assert_eq!(list.len(), 2);
                black_box(list)
            })
        });
    }
    g.finish();
    let mut g = group(c, "backend_exec_detect");
    for (name, f) in &fixtures {
        g.bench_function(*name, |b| b.iter_custom(bench_run(f, "true", "")));
    }
    g.finish();
    let mut g = group(c, "backend_pattern_detection");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(6));
    for (name, f) in &fixtures {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    if i > 0 && i.is_multiple_of(CLEAR_EVERY) {
                        f.clear_history();
                    }
                    total += watch_once(f);
                }
                total
            })
        });
    }
    g.finish();
}

/// Print how many tmux commands one call of each operation issues through the backend.
fn report_command_counts() {
    let f = Fixture::new("bench-count");
    let mut rows: Vec<(&str, u64, u64)> = Vec::new();
    // Five calls each: `run` may capture twice when tmux is slow to read the end marker.
    let mut count = |what, op: &mut dyn FnMut()| {
        let (mut lo, mut hi) = (u64::MAX, 0);
        for _ in 0..5 {
            let before = f.issued();
            op();
            let n = f.issued() - before;
            (lo, hi) = (lo.min(n), hi.max(n));
        }
        rows.push((what, lo, hi));
    };
    count("tmux display-message", &mut || {
        f.client.tmux(&["display-message", "-p", "x"]).unwrap();
    });
    count("pane.run(\"true\")", &mut || {
        f.pane.run("true", Some(TIMEOUT)).unwrap();
    });
    count("pane.capture(None)", &mut || {
        f.pane.capture(None).unwrap();
    });
    count("pane.send_text(\"x\")", &mut || {
        f.pane.send_text("x").unwrap()
    });
    count("pane.send_keys([\"C-u\"])", &mut || {
        f.pane.send_keys(&["C-u"]).unwrap()
    });
    count("session_create + kill", &mut || {
        let s = f
            .client
            .session_create("count-tmp", &SessionOptions::default())
            .unwrap();
        s.kill().unwrap();
    });
    f.pane.send_keys(&["C-u"]).unwrap();
    count("session_list", &mut || {
        f.client.session_list().unwrap();
    });
    count("pane.watch (line already there)", &mut || {
        f.pane.watch("^\\$", Some(TIMEOUT), None).unwrap();
    });
    eprintln!("tmux commands issued through the backend per call (min-max of 5 calls):");
    for (what, lo, hi) in rows {
        let n = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        };
        eprintln!("  {what:<34} {n}");
    }
    eprintln!(
        "  (not counted: pane.run also spawns one `tmux wait-for` waiter, and the pane's \
         shell runs one `tmux` notifier; pane.watch issues one capture per 50 ms poll)"
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    if !std::env::args().any(|a| a == "--list") {
        report_command_counts();
    }
    spawn_baseline(&mut c);
    exec_and_detect(&mut c);
    capture(&mut c);
    send_keys(&mut c);
    session(&mut c);
    pattern_detection(&mut c);
    backend_comparison(&mut c);
    c.final_summary();
}
