//! Criterion benches of session snapshots against a private tmux server.
//!
//! The fixture is one 160x48 session of 10 panes (tiled), each with a label, two metadata
//! keys, its own working directory and two commands in its history; 3 panes run
//! `sleep 100000`. The user's default tmux server is never touched.
//!
//! - `snapshot/capture_10_panes`: `client.snapshot_capture` (read the live session; no file).
//! - `snapshot/save_10_panes`: `client.snapshot_save` to a fixed path (capture, JSON, self
//!   check, atomic write with fsync).
//! - `snapshot/save_10_panes_with_contents`: the same with `--with-contents` (2000 lines of
//!   scrollback per pane; each pane holds 300 printed lines).
//! - `snapshot/restore_10_panes`: `client.snapshot_restore` under a new name, until it
//!   returns: session, panes, layout, labels, metadata, history set, and the 3 commands
//!   started (which waits for the new shells' first prompt). The session is killed untimed.
//! - `snapshot/restore_10_panes_no_exec`: the same without starting commands (no shell
//!   wait).
//! - `snapshot/restore_256_panes`: `client.snapshot_restore_from` of 16 windows x 16 panes
//!   (240x80), each pane's command `true`, until it returns: 256 shells started and waited
//!   for together, then every command typed (8 panes at a time). The session is killed
//!   untimed.
//!
//! Before the benches, file sizes and tmux round trips per operation go to stderr.
//! Run with `cargo bench -p ctmux-benches --bench snapshot`.

use criterion::Criterion;
use ctmux_core::snapshot::{CaptureOptions, PaneSnapshot, SaveOptions, Snapshot, WindowSnapshot};
use ctmux_core::{Ctmux, IsolatedServer, RestoreOptions, SessionOptions};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TIMEOUT: Option<Duration> = Some(Duration::from_secs(10));

struct Fixture {
    client: Ctmux,
    dir: tempfile::TempDir,
    _server: IsolatedServer,
}

impl Fixture {
    fn new() -> Self {
        let server = IsolatedServer::start().expect("isolated server");
        let client = server.client().expect("client");
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = SessionOptions {
            size: Some((160, 48)),
            ..SessionOptions::default()
        };
        let s = client.session_create("bench", &opts).expect("session");
        for i in 1..10 {
            s.pane_create(Some(&format!("p{i}"))).expect("pane");
            client
                .tmux(&["select-layout", "-t", s.id(), "tiled"])
                .expect("tiled");
        }
        for (i, p) in s.panes().expect("panes").iter().enumerate() {
            let pane = s.pane(&p.pane_id.parse().unwrap()).unwrap();
            if p.label.is_none() {
                pane.set_label("p0").unwrap();
            }
            pane.metadata_set("role", &format!("worker {i}")).unwrap();
            pane.metadata_set("owner", "bench").unwrap();
            let d = dir.path().join(format!("d{i}"));
            std::fs::create_dir(&d).unwrap();
            pane.run(&format!("cd '{}'", d.display()), TIMEOUT).unwrap();
            pane.run("seq 1 300 | sed 's/^/output line /'", TIMEOUT)
                .unwrap();
            if i % 3 == 1 {
                pane.exec("sleep 100000").unwrap();
            }
        }
        Fixture {
            client,
            dir,
            _server: server,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn contents() -> SaveOptions {
    SaveOptions {
        capture: CaptureOptions {
            with_contents: true,
            ..CaptureOptions::default()
        },
        ..SaveOptions::default()
    }
}

fn report(f: &Fixture) {
    let c = &f.client;
    let count = |op: &dyn Fn()| {
        let before = c.backend().commands_issued();
        op();
        c.backend().commands_issued() - before
    };
    let plain = f.file("plain.json");
    let with = f.file("contents.json");
    let n_save = count(&|| {
        c.snapshot_save(
            "bench",
            &SaveOptions {
                file: Some(plain.clone()),
                ..SaveOptions::default()
            },
        )
        .unwrap();
    });
    let n_contents = count(&|| {
        c.snapshot_save(
            "bench",
            &SaveOptions {
                file: Some(with.clone()),
                ..contents()
            },
        )
        .unwrap();
    });
    let n_restore = count(&|| {
        c.snapshot_restore(
            &plain,
            &RestoreOptions {
                name: Some("count".into()),
                no_exec: true,
                ..RestoreOptions::default()
            },
        )
        .unwrap();
    });
    c.session_kill("count").unwrap();
    let size = |p: &PathBuf| std::fs::metadata(p).unwrap().len();
    eprintln!(
        "snapshot of 10 panes: {} bytes without contents, {} bytes with contents; tmux round \
         trips: save {n_save}, save with contents {n_contents}, restore without commands \
         {n_restore} (+2 per started command)",
        size(&plain),
        size(&with)
    );
}

fn benches(c: &mut Criterion) {
    let f = Fixture::new();
    report(&f);
    let mut g = c.benchmark_group("snapshot");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(4));
    g.bench_function("capture_10_panes", |b| {
        b.iter(|| {
            black_box(
                f.client
                    .snapshot_capture("bench", &CaptureOptions::default())
                    .unwrap(),
            )
        })
    });
    let file = f.file("bench.json");
    let to_file = SaveOptions {
        file: Some(file.clone()),
        ..SaveOptions::default()
    };
    g.bench_function("save_10_panes", |b| {
        b.iter(|| black_box(f.client.snapshot_save("bench", &to_file).unwrap()))
    });
    let with = SaveOptions {
        file: Some(f.file("bench-contents.json")),
        ..contents()
    };
    g.bench_function("save_10_panes_with_contents", |b| {
        b.iter(|| black_box(f.client.snapshot_save("bench", &with).unwrap()))
    });
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    let mut n = 0u64;
    for (bench, no_exec) in [
        ("restore_10_panes", false),
        ("restore_10_panes_no_exec", true),
    ] {
        g.bench_function(bench, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    let name = format!("r{n}");
                    let opts = RestoreOptions {
                        name: Some(name.clone()),
                        no_exec,
                        ..RestoreOptions::default()
                    };
                    let t = Instant::now();
                    let r = f.client.snapshot_restore(&file, &opts).unwrap();
                    total += t.elapsed();
                    assert_eq!(r.commands.len(), if no_exec { 0 } else { 3 });
                    f.client.session_kill(&name).unwrap();
                }
                total
            })
        });
    }
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    let many = many_panes(16, 16);
    g.bench_function("restore_256_panes", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let name = format!("m{n}");
                let opts = RestoreOptions {
                    name: Some(name.clone()),
                    ..RestoreOptions::default()
                };
                let t = Instant::now();
                let r = f.client.snapshot_restore_from(many.clone(), &opts).unwrap();
                total += t.elapsed();
                assert_eq!(r.commands.len(), 256);
                f.client.session_kill(&name).unwrap();
            }
            total
        })
    });
    g.finish();
}

/// `windows` windows of `panes` panes (240x80 each), every pane running `true`.
fn many_panes(windows: u32, panes: u32) -> Snapshot {
    let mut snap = Snapshot::new("many");
    for w in 0..windows {
        snap.windows.push(WindowSnapshot {
            index: w,
            name: format!("w{w}"),
            automatic_rename: false,
            active: w == 0,
            zoomed: false,
            layout: None,
            width: Some(240),
            height: Some(80),
            panes: (0..panes)
                .map(|p| PaneSnapshot {
                    index: p,
                    active: p == 0,
                    command: Some("true".into()),
                    ..Default::default()
                })
                .collect(),
        });
    }
    snap.update_counts();
    snap
}

criterion::criterion_group!(snapshot, benches);
criterion::criterion_main!(snapshot);
