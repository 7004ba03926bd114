//! Criterion benches of per-pane and per-session metrics, read from `/proc`, on a private
//! tmux server (never the default one).
//!
//! - `metrics/pane_warm`: `sampler.pane(&pane, false)` for a pane sampled before (the
//!   steady state of a monitor: no sleep, one `display-message` for the pane's pid plus the
//!   `/proc` reads) — the tmux round trip dominates.
//! - `metrics/tree_warm`: `sampler.measure(id, shell_pid, false)`, the `/proc` part alone
//!   (what a daemon that already knows the pids pays), against the DESIGN.md baseline of
//!   2.9 ms for spawning `ps`.
//! - `metrics/session_10_warm`: `sampler.session(&session)` for a 10-pane session.
//!
//! Run with `cargo bench -p ctmux-benches --bench metrics`.

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

    let mut g = c.benchmark_group("metrics");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(3));
    // Each iteration must be >= 50 ms after the previous sample of the same tree to count
    // as warm; so warm readings alternate over trees sampled long enough ago.
    g.bench_function("tree_warm", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(Duration::from_millis(51));
                let t = std::time::Instant::now();
                black_box(sampler.measure("%0", pid, false).expect("measure"));
                total += t.elapsed();
            }
            total
        })
    });
    g.bench_function("pane_warm", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(Duration::from_millis(51));
                let t = std::time::Instant::now();
                black_box(sampler.pane(&pane, false).expect("pane"));
                total += t.elapsed();
            }
            total
        })
    });
    g.bench_function("session_10_warm", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(Duration::from_millis(51));
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
