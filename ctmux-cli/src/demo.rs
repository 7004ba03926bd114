//! `ctmux demo`: a short tour on a private tmux server, with human-readable progress.
//!
//! It starts its own [`IsolatedServer`] (never the user's server), builds a session with three
//! labelled panes in a tiled layout, runs commands (one failing with exit 3, one with quotes
//! and unicode), sets and reads metadata, waits for a line printed by a running job,
//! interrupts `sleep 100` with SIGINT, streams a pane, subscribes to events, saves a snapshot,
//! reads metrics, prints a summary and removes the server. It uses the control-mode backend. Progress goes
//! to the writer it is given (stderr); the JSON summary is the command's result.

use crate::output::{fields, Failure, Outcome};
use ctmux_core::{ExecResult, IsolatedServer, Pane, SessionOptions};
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant};

/// Upper bound for every wait in the demo, so it can never hang.
const LIMIT: Duration = Duration::from_secs(20);

/// Run the demo, writing progress to `progress`; the server is removed whatever happens.
///
/// # Errors
/// Any core error (e.g. ServerUnavailable when tmux is not installed).
pub fn run(progress: &mut dyn Write) -> Outcome {
    let mut server = IsolatedServer::start()?;
    let mut demo = Demo {
        progress,
        started: Instant::now(),
        runs: Vec::new(),
    };
    let result = demo.tour(&server);
    let closed = server.close();
    let mut summary = result?;
    closed?;
    demo.say("private server stopped and its socket dir removed");
    summary.insert("server_removed".into(), json!(true));
    Ok(summary)
}

/// One command the demo ran.
struct Run {
    pane: &'static str,
    command: String,
    exit_code: i32,
    duration: Duration,
}

struct Demo<'a> {
    progress: &'a mut dyn Write,
    started: Instant,
    runs: Vec<Run>,
}

impl Demo<'_> {
    /// Print one progress line, stamped with the time since the start.
    fn say(&mut self, text: &str) {
        let t = self.started.elapsed().as_secs_f64();
        let _ = writeln!(self.progress, "[{t:6.2}s] {text}");
        let _ = self.progress.flush();
    }

    fn record(&mut self, pane: &'static str, command: &str, r: &ExecResult) {
        self.say(&format!(
            "  -> exit {} in {:.1} ms, output {:?}",
            r.exit_code,
            ms(r.duration),
            r.output
        ));
        self.runs.push(Run {
            pane,
            command: command.to_owned(),
            exit_code: r.exit_code,
            duration: r.duration,
        });
    }

    /// Run `command` in `pane` and wait for it.
    fn run(&mut self, pane: &Pane, label: &'static str, command: &str) -> Result<i32, Failure> {
        self.say(&format!("{label}$ {command}"));
        let r = pane.run(command, Some(LIMIT))?;
        self.record(label, command, &r);
        Ok(r.exit_code)
    }

    fn tour(&mut self, server: &IsolatedServer) -> Outcome {
        self.say(&format!(
            "ctmux demo: private tmux server at {}",
            server.socket_path().display()
        ));
        // A long-lived client: one persistent control-mode connection (commands ~0.1 ms,
        // completion and patterns pushed by tmux).
        let client = ctmux_core::Ctmux::builder()
            .server(server.server().clone())
            .state_dir(server.dir().join("state"))
            .backend_kind(ctmux_core::BackendKind::Control)
            .build()?;
        let session = client.session_create(
            "demo",
            &SessionOptions {
                cwd: None,
                size: Some((160, 48)),
            },
        )?;
        self.say(&format!(
            "session \"demo\" created ({}), 160x48",
            session.id()
        ));

        let api = session.pane_str("0")?;
        api.set_label("api")?;
        let worker = session.pane_create_with_layout("worker", "tiled")?;
        let logs = session.pane_create_with_layout("logs", "tiled")?;
        let panes = session.panes()?;
        let listing: Vec<String> = panes
            .iter()
            .map(|p| {
                let label = p.label.as_deref().unwrap_or("-");
                format!("{label}={} ({}x{})", p.pane_id, p.width, p.height)
            })
            .collect();
        self.say(&format!(
            "three labelled panes, tiled: {}",
            listing.join(", ")
        ));

        // Events, watched in-process for the demo session (the daemon can do it for everyone).
        let mut events = client.subscribe_local(&ctmux_core::EventFilter {
            session: Some("demo".into()),
            kinds: vec![
                ctmux_core::EventKind::CommandFinished,
                ctmux_core::EventKind::PatternMatched,
            ],
            pattern: Some("^tick \\d$".into()),
            ..Default::default()
        })?;
        self.say("subscribed to events: command_finished, and output matching /^tick \\d$/");

        // Exact exit codes and output, including a failure and awkward text.
        self.run(&api, "api", "echo \"hello from the api pane\"")?;
        let failing = self.run(&api, "api", "echo 'checking config...' >&2; (exit 3)")?;
        self.run(
            &api,
            "api",
            r#"echo "it's \"quoted\": héllo wörld ✓ 日本語, \$HOME stays literal""#,
        )?;
        self.run(&api, "api", "cd /tmp && export GREETING=hi")?;
        self.run(&api, "api", "echo \"$GREETING from $(pwd)\"")?;

        // Metadata lives in tmux as pane options.
        api.metadata_set("role", "http-server")?;
        api.metadata_set("owner", "demo ✓")?;
        let role = api.metadata_get("role")?;
        let all = api.metadata_list()?;
        self.say(&format!("metadata on api: role = {role:?}; all = {all:?}"));

        // Wait for a line printed by a job that is still running.
        let ticker = "for i in 1 2 3; do echo tick $i; sleep 0.2; done; echo READY";
        self.say(&format!("worker$ {ticker}   (started, not waited for)"));
        let mut stream = worker.stream()?;
        let watch_start = Instant::now();
        let handle = worker.exec(ticker)?;
        let found = worker.watch("^READY$", Some(LIMIT), None)?;
        let watched = watch_start.elapsed();
        self.say(&format!(
            "  pattern /^READY$/ seen after {:.0} ms: line {:?}",
            ms(watched),
            found.line
        ));
        let r = handle.wait(Some(LIMIT))?;
        self.record("worker", ticker, &r);
        let mut streamed = Vec::new();
        while let Some(line) = stream
            .next_line(Some(Duration::from_millis(200)))
            .ok()
            .flatten()
        {
            streamed.push(line.text);
        }
        self.say(&format!(
            "  live stream of worker (pane-stream) gave {} lines: {:?}",
            streamed.len(),
            streamed
        ));

        // Interrupt a long job the way Ctrl-C would: SIGINT to its process group.
        self.say("logs$ sleep 100   (started, not waited for)");
        let sleep_started = Instant::now();
        logs.exec("sleep 100")?;
        let deadline = Instant::now() + LIMIT;
        while !logs.is_running()? {
            if Instant::now() >= deadline {
                return Err(Failure::new(
                    ctmux_core::ErrorKind::Timeout,
                    "sleep 100 never showed up as running",
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let groups = logs.signal("SIGINT")?;
        self.say(&format!(
            "  running = true; sent SIGINT to process group(s) {groups:?}"
        ));
        let mut interrupted = logs
            .wait(Some(LIMIT))?
            .ok_or_else(|| Failure::new(ctmux_core::ErrorKind::NotFound, "no exec to wait for"))?;
        // `Pane::wait` times the wait itself; the job ran since `exec`.
        interrupted.duration = sleep_started.elapsed();
        self.record("logs", "sleep 100", &interrupted);

        // What the subscription saw meanwhile.
        let mut seen: Vec<String> = Vec::new();
        while let Ok(Some(e)) = events.next_event(Some(Duration::from_millis(300))) {
            seen.push(match &e.body {
                ctmux_core::EventBody::CommandFinished { exit_code, .. } => {
                    format!("command_finished({exit_code})")
                }
                ctmux_core::EventBody::PatternMatched { line, .. } => {
                    format!("pattern_matched({line:?})")
                }
                other => other.kind().to_string(),
            });
        }
        self.say(&format!("events: {}", seen.join(", ")));

        // A snapshot, and what the panes cost.
        let saved = client.snapshot_save("demo", &Default::default())?;
        self.say(&format!(
            "snapshot: {} panes in {} windows, {} bytes, {}",
            saved.panes,
            saved.windows,
            saved.bytes,
            saved.file.display()
        ));
        let metrics = ctmux_core::metrics::MetricsSampler::new(Duration::from_millis(100))
            .session(&session)?;
        self.say(&format!(
            "metrics: {} processes, {:.1} MB resident, {:.1} % CPU over 100 ms",
            metrics.total.process_count, metrics.total.memory_mb, metrics.total.cpu_percent
        ));

        let total: Duration = self.runs.iter().map(|r| r.duration).sum();
        let elapsed = self.started.elapsed();
        self.say(&format!(
            "summary: {} commands in 3 panes, exit codes {:?}; {:.1} ms inside commands, {:.2} s \
             in all",
            self.runs.len(),
            self.runs.iter().map(|r| r.exit_code).collect::<Vec<_>>(),
            ms(total),
            elapsed.as_secs_f64()
        ));
        let commands: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "pane": r.pane,
                    "command": r.command,
                    "exit_code": r.exit_code,
                    "duration": r.duration.as_secs_f64(),
                })
            })
            .collect();
        Ok(fields([
            ("session", json!("demo")),
            (
                "panes",
                json!(panes
                    .iter()
                    .map(|p| json!({"pane_id": p.pane_id, "label": p.label}))
                    .collect::<Vec<_>>()),
            ),
            ("commands", json!(commands)),
            ("failing_exit_code", json!(failing)),
            ("interrupted_exit_code", json!(interrupted.exit_code)),
            ("pattern_line", json!(found.line)),
            ("streamed_lines", json!(streamed)),
            ("events", json!(seen)),
            ("snapshot", json!(saved.file)),
            ("metadata", json!(all)),
            ("elapsed", json!(elapsed.as_secs_f64())),
        ]))
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
