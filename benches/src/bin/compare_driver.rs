//! `compare-driver`: the Rust peer of the comparison harness (`benches/compare/`).
//!
//! Runs one workload a number of times through ctmux's public Rust API against a tmux server
//! the orchestrator (`compare.py`) started on its own socket, checks every result, and prints
//! one JSON line: `{"results": {"<metric>": [ms, ...]}, "check": "..."}`. It never starts,
//! kills or touches any other server.
//!
//! ```text
//! compare-driver --socket PATH --workdir DIR --workload NAME --iters N
//!                [--backend control|process] [--count N] [--watch-secs S]
//! ```
//!
//! Workloads (the same list, the same checks, in every driver of the harness):
//! `exec_true`, `exec_sleep` (metric `exec_sleep_20ms`), `exec_output_1mb` (metrics
//! `exec_output_1mb` and `exec_output_1mb_bytes`: the bytes of output received), `pattern_latency`, `send_keys`, `capture` (metrics `capture_50` and
//! `capture_2000`), `build_32_tiled`, `sessions` (`--count` sessions created then killed),
//! `save_restore_10` (metrics `save_10` and `restore_10`), `metrics_10`, `cpu_watch_20`
//! (metrics `cpu_watch_20` and `cpu_watch_20_server`: CPU milliseconds of this process tree
//! and of the tmux server while 20 idle panes are watched for `--watch-secs`).

use ctmux_core::metrics::MetricsSampler;
use ctmux_core::snapshot::{RestoreOptions, SaveOptions};
use ctmux_core::{BackendKind, Ctmux, ErrorKind, Pane, Server, Session, SessionOptions, Socket};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Timeout of every exec and watch that is expected to succeed.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Window size of the single-pane workloads.
const SIZE: (u16, u16) = (120, 40);

type Res<T> = Result<T, String>;

struct Args {
    socket: PathBuf,
    workdir: PathBuf,
    workload: String,
    iters: usize,
    backend: BackendKind,
    count: usize,
    watch_secs: f64,
}

fn parse_args() -> Res<Args> {
    let mut a = Args {
        socket: PathBuf::new(),
        workdir: PathBuf::new(),
        workload: String::new(),
        iters: 10,
        backend: BackendKind::Control,
        count: 100,
        watch_secs: 10.0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let [key, value] = pair else {
            return Err(format!("missing value after {}", pair[0]));
        };
        let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{key}: {e}"));
        match key.as_str() {
            "--socket" => a.socket = value.into(),
            "--workdir" => a.workdir = value.into(),
            "--workload" => a.workload = value.clone(),
            "--iters" => a.iters = num(value)? as usize,
            "--count" => a.count = num(value)? as usize,
            "--watch-secs" => a.watch_secs = num(value)?,
            "--backend" => {
                a.backend = match value.as_str() {
                    "control" => BackendKind::Control,
                    "process" => BackendKind::Process,
                    other => return Err(format!("unknown backend {other}")),
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.socket.as_os_str().is_empty() || a.workdir.as_os_str().is_empty() {
        return Err("--socket and --workdir are required".into());
    }
    Ok(a)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn err<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Res<()> {
    if cond {
        Ok(())
    } else {
        Err(format!("check failed: {}", what()))
    }
}

/// A session of one pane (shell ready: one `true` has run in it).
fn one_pane(client: &Ctmux, name: &str) -> Res<(Session, Pane)> {
    let opts = SessionOptions {
        size: Some(SIZE),
        ..SessionOptions::default()
    };
    let s = client.session_create(name, &opts).map_err(err("session"))?;
    let p = s.pane_str("0").map_err(err("pane"))?;
    let r = p.run("true", Some(TIMEOUT)).map_err(err("warm-up"))?;
    ensure(r.exit_code == 0, || "warm-up exit code".into())?;
    Ok((s, p))
}

/// A tiled session of `n` panes, each shell ready, each pane `i` in `dirs[i]` if given.
fn many_panes(client: &Ctmux, name: &str, n: usize, dirs: Option<&[PathBuf]>) -> Res<Session> {
    let opts = SessionOptions {
        size: Some((200, 60)),
        cwd: dirs.map(|d| d[0].clone()),
    };
    let s = client.session_create(name, &opts).map_err(err("session"))?;
    let mut panes = vec![s.pane_str("0").map_err(err("pane"))?];
    for i in 1..n {
        let label = format!("p{i}");
        panes.push(
            s.pane_create_with_layout(&label, "tiled")
                .map_err(err("split"))?,
        );
    }
    for (i, p) in panes.iter().enumerate() {
        let cmd = match dirs {
            Some(d) if i > 0 => format!("cd '{}'", d[i].display()),
            _ => "true".to_owned(),
        };
        let r = p.run(&cmd, Some(TIMEOUT)).map_err(err("pane warm-up"))?;
        ensure(r.exit_code == 0, || format!("warm-up of pane {i}"))?;
    }
    Ok(s)
}

/// `exec_true`: run `true`; `exec_sleep`: run `sleep 0.02` (a command that outlasts a
/// poller's first look).
fn exec(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let (cmd, metric) = match a.workload.as_str() {
        "exec_true" => ("true", "exec_true"),
        _ => ("sleep 0.02", "exec_sleep_20ms"),
    };
    let (_s, p) = one_pane(client, "bench")?;
    let target = p.id().to_string();
    for i in 0..a.iters {
        if i % 50 == 0 {
            client
                .tmux(&["clear-history", "-t", &target])
                .map_err(err("clear-history"))?;
        }
        let t = Instant::now();
        let r = p.run(cmd, Some(TIMEOUT)).map_err(err("run"))?;
        out.push(metric, ms(t.elapsed()));
        ensure(r.exit_code == 0, || format!("exit code {}", r.exit_code))?;
    }
    // The exit status is real, not assumed.
    let r = p
        .run("(exit 7)", Some(TIMEOUT))
        .map_err(err("run exit 7"))?;
    ensure(r.exit_code == 7, || {
        format!("(exit 7) gave {}", r.exit_code)
    })?;
    Ok(format!("{} x exit 0 seen; (exit 7) reported 7", a.iters))
}

/// The command of `exec_output_1mb`: 10 000 lines of 99 `x` and a newline, exactly
/// 1 000 000 bytes (the same text in every driver).
const OUTPUT_1MB_CMD: &str = "printf '%099d\\n' $(seq 10000) | tr 0-9 x";
/// Bytes `OUTPUT_1MB_CMD` writes.
const OUTPUT_1MB_BYTES: usize = 1_000_000;

/// `exec_output_1mb`: run a command writing 1 MB and time until its exit status and whole
/// output are back (metric `exec_output_1mb`); the bytes of output received are pushed as
/// `exec_output_1mb_bytes`. The history is cleared (untimed) before every run, as in every
/// driver, so peers reading the scrollback read only this run's lines.
fn exec_output_1mb(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let (_s, p) = one_pane(client, "bench")?;
    let target = p.id().to_string();
    let expected = "x".repeat(99) + "\n";
    for _ in 0..a.iters {
        client
            .tmux(&["clear-history", "-t", &target])
            .map_err(err("clear-history"))?;
        let t = Instant::now();
        let r = p.run(OUTPUT_1MB_CMD, Some(TIMEOUT)).map_err(err("run"))?;
        out.push("exec_output_1mb", ms(t.elapsed()));
        ensure(r.exit_code == 0, || format!("exit code {}", r.exit_code))?;
        out.push("exec_output_1mb_bytes", r.output.len() as f64);
        ensure(r.output.len() == OUTPUT_1MB_BYTES, || {
            format!(
                "got {} bytes of output, expected {OUTPUT_1MB_BYTES}",
                r.output.len()
            )
        })?;
        ensure(
            r.output.len() % expected.len() == 0
                && r.output
                    .as_bytes()
                    .chunks(expected.len())
                    .all(|c| c == expected.as_bytes()),
            || "output is not 10000 lines of 99 x".into(),
        )?;
    }
    Ok(format!(
        "{} x exit 0 and all {OUTPUT_1MB_BYTES} bytes (10000 lines of 99 x) received",
        a.iters
    ))
}

/// Sleep before the stamped line: 50-100 ms, spread over a 50 ms poll period.
fn delay(i: usize) -> f64 {
    let golden = 0.618_033_988_75_f64;
    0.05 + ((i as f64 * golden) % 1.0) * 0.05
}

fn pattern_latency(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let (_s, p) = one_pane(client, "bench")?;
    for i in 0..a.iters {
        let cmd = format!("sleep {:.3}; echo TOKEN-{i} $EPOCHREALTIME", delay(i));
        let h = p.exec(&cmd).map_err(err("exec"))?;
        let pattern = format!(r"TOKEN-{i} (\d+\.\d+)");
        let m = p
            .watch(&pattern, Some(TIMEOUT), None)
            .map_err(err("watch"))?;
        let seen = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(err("clock"))?
            .as_secs_f64();
        let stamp: f64 = m
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no stamp in {:?}", m.line))?;
        let latency = (seen - stamp) * 1e3;
        ensure(m.line.starts_with(&format!("TOKEN-{i} ")), || {
            format!("matched {:?}", m.line)
        })?;
        ensure((0.0..5000.0).contains(&latency), || {
            format!("latency {latency} ms")
        })?;
        out.push("pattern_latency", latency);
        let r = h.wait(Some(TIMEOUT)).map_err(err("wait"))?;
        ensure(r.exit_code == 0, || "echo exit code".into())?;
    }
    Ok(format!("{} stamped lines matched", a.iters))
}

fn send_keys(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let (_s, p) = one_pane(client, "bench")?;
    let mut typed = 0;
    for i in 0..a.iters {
        if i % 50 == 0 {
            p.send_keys(&["C-u"]).map_err(err("C-u"))?;
            typed = 0;
        }
        let t = Instant::now();
        p.send_text("x").map_err(err("send_text"))?;
        out.push("send_keys", ms(t.elapsed()));
        typed += 1;
    }
    let want = format!("$ {}", "x".repeat(typed));
    let start = Instant::now();
    loop {
        let text = p.capture(None).map_err(err("capture"))?;
        if text.lines().last() == Some(want.as_str()) {
            break;
        }
        ensure(start.elapsed() < TIMEOUT, || {
            format!("prompt line never became {want:?}: {text:?}")
        })?;
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(format!("all {typed} keys since the last C-u on the line"))
}

fn capture(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let (_s, p) = one_pane(client, "bench")?;
    // Typed, not exec'd: exec leaves its end marker line on the screen.
    p.send_text("clear; seq 1 3000").map_err(err("type"))?;
    p.send_keys(&["Enter"]).map_err(err("Enter"))?;
    let start = Instant::now();
    loop {
        let text = p.capture(None).map_err(err("capture"))?;
        let tail: Vec<&str> = text.lines().rev().take(2).collect();
        if tail.len() == 2 && tail[1] == "3000" && tail[0].trim_end() == "$" {
            break;
        }
        ensure(start.elapsed() < TIMEOUT, || {
            format!("seq never ended: {text:?}")
        })?;
        std::thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..a.iters {
        for n in [50usize, 2000] {
            let t = Instant::now();
            // The 40-row screen plus n - 40 lines of history.
            let text = p.capture(Some((n - 40) as u32)).map_err(err("capture"))?;
            out.push(&format!("capture_{n}"), ms(t.elapsed()));
            let lines: Vec<&str> = text.lines().collect();
            let first = (3002 - n).to_string();
            ensure(lines.len() == n && lines[0] == first, || {
                format!("capture {n}: {} lines, first {:?}", lines.len(), lines[0])
            })?;
        }
    }
    Ok("every capture had exactly 50 / 2000 lines, the right first line".into())
}

fn build_32_tiled(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    for i in 0..a.iters {
        let t = Instant::now();
        let opts = SessionOptions {
            size: Some((200, 60)),
            ..SessionOptions::default()
        };
        let s = client
            .session_create(&format!("tiled-{i}"), &opts)
            .map_err(err("session"))?;
        for j in 1..32 {
            s.pane_create_with_layout(&format!("p{j}"), "tiled")
                .map_err(err("split"))?;
        }
        out.push("build_32_tiled", ms(t.elapsed()));
        let n = s.pane_count().map_err(err("pane count"))?;
        ensure(n == 32, || format!("{n} panes"))?;
        s.kill().map_err(err("kill"))?;
    }
    Ok("32 panes counted in every session".into())
}

fn sessions(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let metric = format!("sessions_{}", a.count);
    let opts = SessionOptions {
        size: Some((80, 24)),
        ..SessionOptions::default()
    };
    for i in 0..a.iters {
        let prefix = format!("s{i}-");
        let t = Instant::now();
        let mut made = Vec::with_capacity(a.count);
        for k in 0..a.count {
            made.push(
                client
                    .session_create(&format!("{prefix}{k}"), &opts)
                    .map_err(err("create"))?,
            );
        }
        let created = t.elapsed();
        let listed = client.session_list().map_err(err("list"))?;
        let live = listed
            .iter()
            .filter(|s| s.name.starts_with(&prefix))
            .count();
        ensure(live == a.count, || format!("{live} sessions after create"))?;
        let t = Instant::now();
        for s in &made {
            s.kill().map_err(err("kill"))?;
        }
        out.push(&metric, ms(created + t.elapsed()));
        let left = client.session_list().map_err(err("list"))?.len();
        ensure(left == 0, || format!("{left} sessions left after kill"))?;
    }
    Ok(format!(
        "{} sessions listed after create, 0 after kill",
        a.count
    ))
}

fn save_restore_10(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let dirs: Vec<PathBuf> = (0..10).map(|i| a.workdir.join(format!("d{i}"))).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).map_err(err("mkdir"))?;
    }
    many_panes(client, "snap", 10, Some(&dirs))?;
    // Directories in pane-index order (splits insert after the active pane, so not d0..d9).
    let saved = cwds(client)?;
    let mut sorted = saved.clone();
    sorted.sort();
    let want: Vec<PathBuf> = dirs.iter().map(|d| canon(d)).collect();
    ensure(sorted == want, || {
        format!("panes' cwds before save {saved:?}")
    })?;
    for i in 0..a.iters {
        let file = a.workdir.join(format!("snap-{i}.json"));
        let t = Instant::now();
        let report = client
            .snapshot_save(
                "snap",
                &SaveOptions {
                    file: Some(file.clone()),
                    ..SaveOptions::default()
                },
            )
            .map_err(err("save"))?;
        out.push("save_10", ms(t.elapsed()));
        ensure(report.panes == 10, || {
            format!("saved {} panes", report.panes)
        })?;
        client.session_kill("snap").map_err(err("kill"))?;
        let t = Instant::now();
        client
            .snapshot_restore(&file, &RestoreOptions::default())
            .map_err(err("restore"))?;
        out.push("restore_10", ms(t.elapsed()));
        // Untimed: a pane whose shell is still starting can report an empty path.
        let mut got = cwds(client)?;
        let start = Instant::now();
        while got.iter().any(|d| d.as_os_str().is_empty()) && start.elapsed() < TIMEOUT {
            std::thread::sleep(Duration::from_millis(5));
            got = cwds(client)?;
        }
        ensure(got == saved, || {
            let panes = client.tmux(&[
                "list-panes",
                "-t",
                "snap",
                "-F",
                "#{pane_id} #{pane_pid} #{pane_current_command} [#{pane_current_path}]",
            ]);
            format!(
                "restored cwds {got:?} (after {:?}), saved {saved:?}; panes: {panes:?}",
                start.elapsed()
            )
        })?;
    }
    Ok("restored session has 10 panes in the 10 saved directories".into())
}

/// The directories of the panes of session `snap`, in pane-index order.
fn cwds(client: &Ctmux) -> Res<Vec<PathBuf>> {
    let panes = client
        .session("snap")
        .and_then(|s| s.panes())
        .map_err(err("panes"))?;
    Ok(panes.iter().map(|p| PathBuf::from(&p.cwd)).collect())
}

fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned())
}

fn metrics_10(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let s = many_panes(client, "m", 10, None)?;
    let sampler = MetricsSampler::default();
    sampler.session(&s).map_err(err("cold metrics"))?;
    for _ in 0..a.iters {
        // Keep readings > 50 ms apart so each one is warm (uses the previous sample).
        std::thread::sleep(Duration::from_millis(60));
        let t = Instant::now();
        let m = sampler.session(&s).map_err(err("metrics"))?;
        out.push("metrics_10", ms(t.elapsed()));
        ensure(m.panes.len() == 10, || format!("{} rows", m.panes.len()))?;
        ensure(m.panes.iter().all(|p| p.process_count >= 1), || {
            "a pane with 0 processes".into()
        })?;
    }
    Ok("10 rows, every process_count >= 1".into())
}

/// CPU ticks (utime + stime + cutime + cstime) of `root` and every live descendant.
fn tree_ticks(root: u32) -> u64 {
    let mut stats: Vec<(u32, u32, u64)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some((ppid, ticks)) = proc_ticks(pid) {
                stats.push((pid, ppid, ticks));
            }
        }
    }
    let mut tree = vec![root];
    let mut total = 0;
    while let Some(p) = tree.pop() {
        for &(pid, ppid, ticks) in &stats {
            if pid == p {
                total += ticks;
            }
            if ppid == p {
                tree.push(pid);
            }
        }
    }
    total
}

/// (ppid, utime + stime + cutime + cstime) from `/proc/<pid>/stat`.
fn proc_ticks(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): ppid is field 4, utime..cstime fields 14..17.
    let ppid = f.get(1)?.parse().ok()?;
    let ticks = f[11..15].iter().filter_map(|v| v.parse::<u64>().ok()).sum();
    Some((ppid, ticks))
}

/// Linux reports CPU times in USER_HZ = 100 ticks per second on every architecture.
const TICK_MS: f64 = 10.0;

fn cpu_watch_20(client: &Ctmux, a: &Args, out: &mut Metrics) -> Res<String> {
    let s = many_panes(client, "w", 20, None)?;
    let panes: Vec<Pane> = s
        .panes()
        .map_err(err("panes"))?
        .iter()
        .map(|p| s.pane_str(&p.pane_id))
        .collect::<Result<_, _>>()
        .map_err(err("pane"))?;
    ensure(panes.len() == 20, || format!("{} panes", panes.len()))?;
    let server_pid: u32 = client
        .tmux(&["display-message", "-p", "#{pid}"])
        .map_err(err("server pid"))?
        .trim()
        .parse()
        .map_err(err("server pid"))?;
    let me = std::process::id();
    let watch_for = Duration::from_secs_f64(a.watch_secs);
    for _ in 0..a.iters {
        let (mine, server) = (tree_ticks(me), tree_ticks_of(server_pid));
        let t = Instant::now();
        let results: Vec<Res<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = panes
                .iter()
                .map(|p| {
                    scope.spawn(
                        move || match p.watch(r"NEVER-\d{12}", Some(watch_for), None) {
                            Err(e) if e.kind() == ErrorKind::Timeout => Ok(()),
                            Err(e) => Err(format!("watch failed: {e}")),
                            Ok(m) => Err(format!("watch matched {:?}", m.line)),
                        },
                    )
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err("watch thread panicked".into())))
                .collect()
        });
        let wall = t.elapsed();
        let (mine, server) = (tree_ticks(me) - mine, tree_ticks_of(server_pid) - server);
        for r in results {
            r?;
        }
        ensure(wall >= watch_for, || format!("watch ended after {wall:?}"))?;
        out.push("cpu_watch_20", mine as f64 * TICK_MS);
        out.push("cpu_watch_20_server", server as f64 * TICK_MS);
    }
    Ok(format!(
        "20 watches timed out after {} s (no false match)",
        a.watch_secs
    ))
}

/// utime + stime of the server process itself (its panes' shells are not counted).
fn tree_ticks_of(pid: u32) -> u64 {
    proc_ticks(pid).map(|(_, t)| t).unwrap_or(0)
}

/// Samples per metric, in milliseconds.
#[derive(Default)]
struct Metrics(BTreeMap<String, Vec<f64>>);

impl Metrics {
    fn push(&mut self, metric: &str, value: f64) {
        self.0.entry(metric.to_owned()).or_default().push(value);
    }
}

fn run(a: &Args) -> Res<(Metrics, String)> {
    let server = Server::new(Socket::Path(a.socket.clone())).map_err(err("server"))?;
    let client = Ctmux::builder()
        .server(server)
        .state_dir(a.workdir.join("state"))
        .backend_kind(a.backend)
        .build()
        .map_err(err("client"))?;
    let mut out = Metrics::default();
    let check = match a.workload.as_str() {
        "exec_true" | "exec_sleep" => exec(&client, a, &mut out),
        "exec_output_1mb" => exec_output_1mb(&client, a, &mut out),
        "pattern_latency" => pattern_latency(&client, a, &mut out),
        "send_keys" => send_keys(&client, a, &mut out),
        "capture" => capture(&client, a, &mut out),
        "build_32_tiled" => build_32_tiled(&client, a, &mut out),
        "sessions" => sessions(&client, a, &mut out),
        "save_restore_10" => save_restore_10(&client, a, &mut out),
        "metrics_10" => metrics_10(&client, a, &mut out),
        "cpu_watch_20" => cpu_watch_20(&client, a, &mut out),
        other => Err(format!("unknown workload {other}")),
    }?;
    Ok((out, check))
}

fn main() {
    let result = parse_args().and_then(|a| run(&a));
    match result {
        Ok((metrics, check)) => {
            let json = serde_json::json!({ "results": metrics.0, "check": check });
            println!("{json}");
        }
        Err(e) => {
            eprintln!("compare-driver: {e}");
            std::process::exit(1);
        }
    }
}
