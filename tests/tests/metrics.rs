//! Metrics accuracy against what `/proc` itself says, on real panes.

use crate::common::{wait_running, Env, T};
use ctmux_core::metrics::MetricsSampler;
use ctmux_core::ErrorKind;
use std::time::{Duration, Instant};

/// Ticks (utime+stime) of one process, read directly.
fn ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn vm_rss_kb(pid: i32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn busy_loop_and_idle_shell() {
    let env = Env::new();
    let pane = env.pane0("cpu");
    let sampler = MetricsSampler::new(Duration::from_millis(1000));
    let idle = sampler.pane(&pane, false).unwrap();
    assert!(idle.cpu_percent < 2.0, "idle shell {idle:?}");
    assert_eq!(idle.process_count, 1);

    pane.exec("sh -c 'while :; do :; done'").unwrap();
    wait_running(&pane, true);
    // Measure the busy process independently over the same time.
    let busy_pid = pane.status().unwrap().foreground_pgid.unwrap();
    let t0 = ticks(busy_pid);
    let w0 = Instant::now();
    let busy = MetricsSampler::new(Duration::from_millis(1000))
        .pane(&pane, true)
        .unwrap();
    let independent = (ticks(busy_pid) - t0) as f64 / 100.0 / w0.elapsed().as_secs_f64() * 100.0;
    assert!(
        (busy.cpu_percent - independent).abs() < 10.0,
        "ours {} vs /proc {independent}",
        busy.cpu_percent
    );
    // When the machine gave the loop a whole core, the figure is 90-105 %.
    if independent >= 92.0 {
        assert!((90.0..=105.0).contains(&busy.cpu_percent), "{busy:?}");
    }
    pane.signal("INT").unwrap();
}

#[test]
fn memory_matches_proc_rss() {
    let env = Env::new();
    let pane = env.pane0("mem");
    let h = pane
        .exec("python3 -c \"b = b'x' * (200 << 20); print('held', flush=True); import time; time.sleep(60)\"")
        .unwrap();
    pane.watch("^held$", T, None).unwrap();
    let m = MetricsSampler::new(Duration::from_millis(50))
        .pane(&pane, true)
        .unwrap();
    let procs = m.processes.unwrap();
    let py = procs
        .iter()
        .find(|p| p.name.starts_with("python"))
        .expect("python in tree");
    let rss_mb = vm_rss_kb(py.pid) / 1024.0;
    assert!(rss_mb > 190.0, "{rss_mb}");
    assert!(
        (py.memory_mb - rss_mb).abs() / rss_mb < 0.05,
        "ours {} vs {rss_mb}",
        py.memory_mb
    );
    let total_rss: f64 = procs.iter().map(|p| vm_rss_kb(p.pid) / 1024.0).sum();
    assert!((m.memory_mb - total_rss).abs() / total_rss < 0.05);
    assert!(m.memory_percent > 0.0);
    pane.signal("TERM").unwrap();
    h.wait(T).unwrap();
}

#[test]
fn process_count_includes_the_shell() {
    let env = Env::new();
    let pane = env.pane0("procs");
    let h = pane.exec("sleep 60 & sleep 60 & sleep 60 & wait").unwrap();
    let sampler = MetricsSampler::new(Duration::from_millis(50));
    let deadline = Instant::now() + Duration::from_secs(10);
    let m = loop {
        let m = sampler.pane(&pane, true).unwrap();
        if m.process_count >= 4 || Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(m.process_count, 4, "{:?}", m.processes);
    assert!(m.uptime_seconds >= 0.0);
    assert!(m.thread_count >= 4);
    pane.send_keys(&["C-c"]).unwrap();
    let _ = h.wait(T);
}

#[test]
fn session_metrics_sum_panes() {
    let env = Env::new();
    let s = env.session("sum");
    s.pane_create(Some("b")).unwrap();
    s.pane_create(Some("c")).unwrap();
    let m = MetricsSampler::new(Duration::from_millis(50))
        .session(&s)
        .unwrap();
    assert_eq!(m.panes.len(), 3);
    assert_eq!(
        m.total.process_count,
        m.panes.iter().map(|p| p.process_count).sum::<u64>()
    );
    let mem: f64 = m.panes.iter().map(|p| p.memory_mb).sum();
    assert!((m.total.memory_mb - mem).abs() < 0.1);
}

#[test]
fn bad_metrics_input() {
    let env = Env::new();
    let s = env.session("bad");
    let p = s.pane_create(None).unwrap();
    let e = MetricsSampler::new(Duration::from_millis(1))
        .pane(&p, false)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    p.kill().unwrap();
    let e = MetricsSampler::default().pane(&p, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn warm_readings_never_wait_and_rate_over_recent_samples() {
    let env = Env::new();
    let pane = env.pane0("warm");
    // Through the client's shared sampler: the first reading takes a 1 s pair...
    let cold = pane.metrics(Duration::from_millis(1000), false).unwrap();
    assert!(cold.sample_interval_ms >= 1000.0, "{cold:?}");
    std::thread::sleep(Duration::from_millis(80));
    // ...later ones (another handle of the same client) rate over the kept sample.
    let again = env
        .client
        .session("warm")
        .unwrap()
        .pane_str("0")
        .unwrap()
        .metrics(Duration::from_millis(1000), false)
        .unwrap();
    assert!(
        (50.0..1000.0).contains(&again.sample_interval_ms),
        "{again:?}"
    );

    let sampler = MetricsSampler::new(Duration::from_millis(1000));
    sampler.pane(&pane, false).unwrap();
    pane.exec("sh -c 'while :; do :; done'").unwrap();
    wait_running(&pane, true);
    let busy_pid = pane.status().unwrap().foreground_pgid.unwrap();
    // A reader far more frequent than the 50 ms minimum span: no reading takes a fresh
    // (1 s) pair, and every rate spans a recent window, never a growing one: the base is
    // one of the two kept samples, which are one to two spans (or reader steps) old. The
    // bound follows the slowest step seen, so a loaded machine cannot fail it.
    let start = Instant::now();
    let mut readings = 0;
    let mut last = None;
    let mut slowest = Duration::ZERO;
    // At least 1.5 s and 20 readings, however loaded the machine is.
    while start.elapsed() < Duration::from_millis(1500) || readings < 20 {
        let step = Instant::now();
        let m = sampler.pane(&pane, false).unwrap();
        assert!(m.sample_interval_ms >= 50.0, "reading {readings}: {m:?}");
        // Once the loop has run longer than that, its own samples are the kept ones (before,
        // the base may still be the sample taken before the loop, however old).
        let bound = 2.0 * 50.0 + 2.0 * slowest.as_secs_f64() * 1000.0 + 50.0;
        if start.elapsed().as_secs_f64() * 1000.0 > bound {
            assert!(
                m.sample_interval_ms < bound,
                "reading {readings}: {m:?} (bound {bound} ms)"
            );
        }
        readings += 1;
        last = Some(m);
        std::thread::sleep(Duration::from_millis(5));
        slowest = slowest.max(step.elapsed());
    }
    // The busy loop, read through the kept `/proc` files, against /proc over 1 s.
    let t0 = ticks(busy_pid);
    let w0 = Instant::now();
    std::thread::sleep(Duration::from_millis(1000));
    let m = sampler.pane(&pane, false).unwrap();
    let independent = (ticks(busy_pid) - t0) as f64 / 100.0 / w0.elapsed().as_secs_f64() * 100.0;
    assert!(
        (m.cpu_percent - independent).abs() < 15.0,
        "ours {} vs /proc {independent} (last fast reading {last:?})",
        m.cpu_percent
    );
    pane.signal("INT").unwrap();
}
