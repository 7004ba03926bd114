//! Criterion benches of per-pane and per-session metrics, read from `/proc`, on a private
//! tmux server (never the default one). Every reading is warm: the sampler has kept samples
//! of the trees (and their open `/proc` files), so none of them waits.
//!
//! - `metrics/tree_warm`: `sampler.measure(id, shell_pid, false)` back to back: the `/proc`
//!   part alone, what a daemon that already knows the pids pays per pane.
//! - `metrics/tree_after_idle`: the same after 51 ms asleep, as a monitor that wakes to read
//!   one pane pays it (the first system call after an idle gap is slow on a VM).
//! - `metrics/tree_in_pass_of_10`: 10 trees read in one pass after 51 ms asleep, reported
//!   per tree (the daemon's and `session-metrics`' case).
//! - `metrics/pane_warm`: `sampler.pane(&pane, false)`: one tmux round trip for the pane's
//!   pid plus the tree.
//! - `metrics/session_10_warm`: `sampler.session(&session)` for a 10-pane session after 51 ms
//!   asleep: one `list-panes` plus 10 trees.
//!
//! Compare with the DESIGN.md baseline of 2.9 ms for spawning `ps` per pane. Run with
//! `cargo bench -p ctmux-benches --bench metrics` (`CTMUX_BACKEND=control` for control mode).

use criterion::Criterion;
use ctmux_core::metrics::MetricsSampler;
use ctmux_core::{IsolatedServer, SessionOptions};
use std::hint::black_box;
use std::time::Duration;

fn metrics(c: &mut Criterion) {
    let server = IsolatedServer::start().expect("isolated server");
    let client = server.client().expect("client");
    let session = client
        .session_create(
            "metrics",
            &SessionOptions {
                cwd: None,
                size: Some((200, 60)),
            },
        )
        .expect("session");
    for _ in 0..9 {
        session.pane_create(None).expect("pane");
        session
            .client()
            .tmux(&["select-layout", "-t", session.id(), "tiled"])
            .expect("layout");
    }
    let pane = session.pane_str("0").expect("pane 0");
    let pid = pane.info().expect("info").pid;
    let sampler = MetricsSampler::new(Duration::from_millis(20));
    sampler.pane(&pane, false).expect("first sample");
    sampler.session(&session).expect("first session sample");

    let pids: Vec<(String, i32)> = session
        .panes()
        .expect("panes")
        .into_iter()
        .map(|p| (p.pane_id, p.pid))
        .collect();
    assert_eq!(pids.len(), 10);
    let idle = || std::thread::sleep(Duration::from_millis(51));

    let mut g = c.benchmark_group("metrics");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("tree_warm", |b| {
        b.iter(|| black_box(sampler.measure("%0", pid, false).expect("measure")))
    });
    g.bench_function("tree_after_idle", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                idle();
                let t = std::time::Instant::now();
                black_box(sampler.measure("%0", pid, false).expect("measure"));
                total += t.elapsed();
            }
            total
        })
    });
    g.bench_function("tree_in_pass_of_10", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                idle();
                let t = std::time::Instant::now();
                for (id, pid) in &pids {
                    black_box(sampler.measure(id, *pid, false).expect("measure"));
                }
                total += t.elapsed() / pids.len() as u32;
            }
            total
        })
    });
    g.bench_function("pane_warm", |b| {
        b.iter(|| black_box(sampler.pane(&pane, false).expect("pane")))
    });
    g.bench_function("session_10_warm", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                idle();
                let t = std::time::Instant::now();
                black_box(sampler.session(&session).expect("session"));
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    metrics(&mut c);
    c.final_summary();
}
