//! Limits: stored as pane options, enforced by an [`Enforcer`] running in a thread against
//! a real isolated server — memory over the limit is stopped within 2 s, a busy loop under a
//! 30 % CPU limit averages 25-35 %, and the pane's shell survives both.

use crate::common::{wait_running, Env, T};
use ctmux_core::limits::{
    ActionTaken, Enforcer, EnforcerConfig, LimitAction, LimitKind, LimitMode,
};
use ctmux_core::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An enforcer ticking in a background thread; stopped (and joined) on drop.
struct Running {
    stop: Arc<AtomicBool>,
    actions: Arc<Mutex<Vec<LimitAction>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(env: &Env) -> Running {
        Self::with_config(env, EnforcerConfig::default())
    }

    /// With the stop/continue duty cycle even where cgroups are writable.
    fn duty_cycle(env: &Env) -> Running {
        Self::with_config(
            env,
            EnforcerConfig {
                cgroups: false,
                ..EnforcerConfig::default()
            },
        )
    }

    fn with_config(env: &Env, config: EnforcerConfig) -> Running {
        let stop = Arc::new(AtomicBool::new(false));
        let actions = Arc::new(Mutex::new(Vec::new()));
        let mut enforcer = Enforcer::new(env.client.clone(), config).unwrap();
        let (s, a) = (stop.clone(), actions.clone());
        let thread = std::thread::spawn(move || {
            enforcer.run(&s, |action| a.lock().unwrap().push(action));
        });
        Running {
            stop,
            actions,
            thread: Some(thread),
        }
    }

    fn actions(&self) -> Vec<LimitAction> {
        self.actions.lock().unwrap().clone()
    }

    fn wait_for(&self, what: ActionTaken) -> LimitAction {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(a) = self.actions().into_iter().find(|a| a.action == what) {
                return a;
            }
            assert!(
                Instant::now() < deadline,
                "no {what:?} in {:?}",
                self.actions()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn group_alive(pgid: i32) -> bool {
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None).is_ok()
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// utime+stime ticks of one process.
fn ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn state(pid: i32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat[stat.rfind(')').unwrap() + 2..].chars().next().unwrap()
}

/// A python job that allocates 20 MiB every 200 ms, printing `<unix time> <own rss MiB>`
/// after each step; with `ignore_term` it ignores SIGTERM.
/// A job that grows by 20 MiB every 200 ms (touching every page, with no transient copy, so
/// its RSS never jumps past what it printed) and prints its RSS after each step.
fn allocator(dir: &std::path::Path, ignore_term: bool) -> String {
    let script = dir.join(format!("alloc-{ignore_term}.py"));
    let ignore = if ignore_term {
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    } else {
        ""
    };
    std::fs::write(
        &script,
        format!(
            "import signal, time\n{ignore}\nchunks = []\nwhile True:\n    \
             b = bytearray(20 << 20)\n    \
             b[::4096] = b'x' * len(b[::4096])\n    \
             chunks.append(b)\n    \
             rss = int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20\n    \
             print(f'RSS {{time.time():.3f}} {{rss:.1f}}', flush=True)\n    \
             time.sleep(0.2)\n"
        ),
    )
    .unwrap();
    format!("python3 {}", script.display())
}

#[test]
fn memory_limit_stops_the_job_within_two_seconds() {
    let env = Env::new();
    let pane = env.pane0("mem");
    let shell = pane.info().unwrap().pid;
    let limits = pane
        .set_limit(LimitKind::Memory, 100.0, None, Some(Duration::from_secs(2)))
        .unwrap();
    assert_eq!(limits.memory_mb, Some(100.0));
    let running = Running::start(&env);
    let cmd = allocator(env.server.dir(), false);
    let h = pane.exec(&cmd).unwrap();
    wait_running(&pane, true);
    let pgid = pane.status().unwrap().foreground_pgid.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while group_alive(pgid) {
        assert!(Instant::now() < deadline, "job never stopped");
        std::thread::sleep(Duration::from_millis(5));
    }
    let died = unix_now();
    let result = h.wait(T).unwrap();
    // The first step past 100 MiB, as the job printed it. The limit is on the pane's whole
    // tree (the shell's few MiB included), so the tree may cross it during the step that
    // follows the last printed line, before the job can print: then that line's time is
    // an upper bound for the latency (the crossing came after it).
    let steps: Vec<(f64, f64)> = result
        .output
        .lines()
        .filter_map(|l| l.strip_prefix("RSS "))
        .filter_map(|l| {
            let (t, rss) = l.split_once(' ')?;
            Some((t.parse::<f64>().ok()?, rss.parse::<f64>().ok()?))
        })
        .collect();
    let crossed = match steps.iter().find(|(_, rss)| *rss > 100.0) {
        Some((t, _)) => *t,
        None => {
            let (t, rss) = *steps
                .last()
                .unwrap_or_else(|| panic!("no output: {result:?}"));
            assert!(
                rss + 20.0 > 100.0 - 10.0,
                "stopped far below the limit: {rss} MiB"
            );
            t
        }
    };
    let latency = died - crossed;
    eprintln!(
        "memory limit: job gone {:.0} ms after crossing 100 MiB",
        latency * 1000.0
    );
    assert!(latency < 2.0, "stopped {latency:.3} s after crossing");
    assert_eq!(result.exit_code, 128 + 15, "{result:?}");
    let a = running.wait_for(ActionTaken::Terminated);
    assert_eq!(a.kind, LimitKind::Memory);
    assert_eq!(a.pgid, Some(pgid));
    assert!(a.observed > 100.0, "{a:?}");
    assert!(ctmux_core::procfs::alive(shell), "the shell died");
    // The pane still works.
    assert_eq!(pane.run("echo alive", T).unwrap().output, "alive\n");
}

#[test]
fn memory_limit_kills_after_grace_when_term_is_ignored() {
    let env = Env::new();
    let pane = env.pane0("grace");
    let shell = pane.info().unwrap().pid;
    pane.set_limit(
        LimitKind::Memory,
        60.0,
        Some(LimitMode::Enforce),
        Some(Duration::from_millis(500)),
    )
    .unwrap();
    let running = Running::start(&env);
    let h = pane.exec(&allocator(env.server.dir(), true)).unwrap();
    let term = running.wait_for(ActionTaken::Terminated);
    let kill = running.wait_for(ActionTaken::Killed);
    assert_eq!(term.pgid, kill.pgid);
    assert!(kill.at_ms >= term.at_ms + 450, "{term:?} {kill:?}");
    assert_eq!(h.wait(T).unwrap().exit_code, 128 + 9);
    assert!(ctmux_core::procfs::alive(shell));
}

#[test]
fn notify_mode_only_reports() {
    let env = Env::new();
    let pane = env.pane0("notify");
    pane.set_limit(LimitKind::Memory, 50.0, Some(LimitMode::Notify), None)
        .unwrap();
    let running = Running::start(&env);
    let h = pane
        .exec("python3 -c \"b = bytearray(b'x' * (90 << 20)); print('held', flush=True); import time; time.sleep(30)\"")
        .unwrap();
    pane.watch("^held$", T, None).unwrap();
    let a = running.wait_for(ActionTaken::Notified);
    assert_eq!(a.kind, LimitKind::Memory);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        pane.is_running().unwrap(),
        "notify mode must not stop the job"
    );
    let notified = running
        .actions()
        .iter()
        .filter(|a| a.action == ActionTaken::Notified)
        .count();
    assert_eq!(
        notified,
        1,
        "one report per episode: {:?}",
        running.actions()
    );
    assert!(running
        .actions()
        .iter()
        .all(|a| a.action == ActionTaken::Notified));
    pane.signal("INT").unwrap();
    h.wait(T).unwrap();
}

#[test]
fn cpu_limit_holds_a_busy_loop_near_thirty_percent() {
    cpu_limit_holds_thirty_percent(Running::start);
}

#[test]
fn cpu_limit_holds_a_busy_loop_near_thirty_percent_with_the_duty_cycle() {
    cpu_limit_holds_thirty_percent(Running::duty_cycle);
}

/// Where the machine allows CPU-quota cgroups the job is never stopped, so an exec that
/// is throttled still reports its real exit status (with the duty cycle, an interactive
/// shell sees its direct child stop and reports it `Stopped`, 147).
#[test]
fn under_a_kernel_quota_a_throttled_exec_reports_its_real_exit_status() {
    let env = Env::new();
    let pane = env.pane0("quota");
    pane.set_limit(LimitKind::Cpu, 30.0, None, None).unwrap();
    let running = Running::start(&env);
    let h = pane
        .exec("python3 -c 'import time\nt=time.time()\nwhile time.time()-t<3: pass'; echo done")
        .unwrap();
    let a = running.wait_for(ActionTaken::Throttled);
    let pid = pane.info().unwrap().pid;
    if ctmux_core::cpu_cgroup::available(pid) {
        assert!(a.reason.contains("cgroup"), "{a:?}");
        let r = h.wait(Some(Duration::from_secs(60))).unwrap();
        assert_eq!((r.exit_code, r.output.as_str()), (0, "done\n"));
        // The cgroup goes with the job.
        let a = running.wait_for(ActionTaken::Released);
        assert!(a.reason.contains("exited"), "{a:?}");
    } else {
        eprintln!("no writable CPU cgroup here: the duty cycle is used");
        assert!(!a.reason.contains("cgroup"), "{a:?}");
    }
}

fn cpu_limit_holds_thirty_percent(start: fn(&Env) -> Running) {
    let env = Env::new();
    let pane = env.pane0("cpu");
    let shell = pane.info().unwrap().pid;
    pane.set_limit(LimitKind::Cpu, 30.0, None, None).unwrap();
    let running = start(&env);
    pane.exec("sh -c 'while :; do :; done'").unwrap();
    wait_running(&pane, true);
    let pgid = pane.status().unwrap().foreground_pgid.unwrap();
    running.wait_for(ActionTaken::Throttled);
    let (t0, w0) = (ticks(pgid), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let hz = 100.0;
    let avg = (ticks(pgid) - t0) as f64 / hz / w0.elapsed().as_secs_f64() * 100.0;
    eprintln!("cpu limit 30 %: busy loop averaged {avg:.1} % over 10 s");
    assert!((25.0..=35.0).contains(&avg), "averaged {avg:.1} %");
    assert!(ctmux_core::procfs::alive(shell), "the shell died");
    assert_ne!(state(shell), 'T', "the shell was stopped");
    // Clearing the limit releases the job: it runs freely again.
    pane.clear_limit(Some(LimitKind::Cpu)).unwrap();
    running.wait_for(ActionTaken::Released);
    // Free again, whatever held it: out of any quota cgroup and never stopped (a CPU rate
    // would depend on what else the machine runs).
    let cgroup = std::fs::read_to_string(format!("/proc/{pgid}/cgroup")).unwrap();
    assert!(!cgroup.contains("ctmux-limit"), "{cgroup}");
    for _ in 0..20 {
        assert_ne!(state(pgid), 'T', "stopped after the release");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(running);
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert!(ctmux_core::procfs::alive(shell));
}

#[test]
fn a_job_under_its_cpu_limit_is_left_alone() {
    let env = Env::new();
    let pane = env.pane0("calm");
    pane.set_limit(LimitKind::Cpu, 50.0, None, None).unwrap();
    let running = Running::start(&env);
    let h = pane.exec("sleep 1").unwrap();
    h.wait(T).unwrap();
    assert!(running.actions().is_empty(), "{:?}", running.actions());
}

#[test]
fn set_get_clear_and_bad_input() {
    let env = Env::new();
    let s = env.session("lim");
    let pane = s.pane_str("0").unwrap();
    let l = pane.limits().unwrap();
    assert!(!l.any());
    assert_eq!(l.action, LimitMode::Enforce);
    pane.set_limit(
        LimitKind::Cpu,
        30.0,
        Some(LimitMode::Notify),
        Some(Duration::from_secs(3)),
    )
    .unwrap();
    let l = pane
        .set_limit(LimitKind::Memory, 512.0, None, None)
        .unwrap();
    assert_eq!((l.cpu_percent, l.memory_mb), (Some(30.0), Some(512.0)));
    assert_eq!((l.action, l.grace_seconds), (LimitMode::Notify, 3.0));
    let l = pane.clear_limit(Some(LimitKind::Cpu)).unwrap();
    assert_eq!((l.cpu_percent, l.memory_mb), (None, Some(512.0)));
    let l = pane.clear_limit(None).unwrap();
    assert!(!l.any());
    assert_eq!(l.action, LimitMode::Enforce);
    // Clearing again is fine.
    pane.clear_limit(None).unwrap();

    for (kind, v) in [
        (LimitKind::Cpu, 0.0),
        (LimitKind::Cpu, -30.0),
        (LimitKind::Cpu, f64::NAN),
        (LimitKind::Cpu, 1e6),
        (LimitKind::Memory, -1.0),
        (LimitKind::Memory, 1e12),
    ] {
        let e = pane.set_limit(kind, v, None, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{kind} {v}: {e}");
    }
    let e = pane
        .set_limit(
            LimitKind::Cpu,
            10.0,
            None,
            Some(Duration::from_secs(99_999)),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        !pane.limits().unwrap().any(),
        "a refused call changed nothing"
    );
    assert_eq!(
        "disk".parse::<LimitKind>().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );

    // Garbage put in the option by hand is reported, and the enforcer skips the pane.
    env.client
        .tmux(&[
            "set-option",
            "-p",
            "-t",
            &pane.id().to_string(),
            "@ctmux-limit-cpu",
            "lots",
        ])
        .unwrap();
    assert_eq!(pane.limits().unwrap_err().kind(), ErrorKind::Corrupt);
    let mut e = Enforcer::new(env.client.clone(), EnforcerConfig::default()).unwrap();
    assert!(e.tick(Instant::now()).unwrap().is_empty());
    pane.clear_limit(None).unwrap();

    // A dead or gone pane.
    let p2 = s.pane_create(None).unwrap();
    p2.kill().unwrap();
    assert_eq!(
        p2.set_limit(LimitKind::Cpu, 10.0, None, None)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(p2.limits().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        p2.clear_limit(None).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let bad = EnforcerConfig {
        interval: Duration::from_millis(1),
        ..EnforcerConfig::default()
    };
    assert_eq!(
        Enforcer::new(env.client.clone(), bad).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn busy_workers_are_throttled_and_the_job_stays_in_the_foreground() {
    let env = Env::new();
    let pane = env.pane0("workers");
    let shell = pane.info().unwrap().pid;
    pane.set_limit(LimitKind::Cpu, 30.0, None, None).unwrap();
    let running = Running::duty_cycle(&env);
    // The job's leader only waits; its child burns the CPU.
    let h = pane.exec("sh -c 'while :; do :; done & wait'").unwrap();
    wait_running(&pane, true);
    let pgid = pane.status().unwrap().foreground_pgid.unwrap();
    let a = running.wait_for(ActionTaken::Throttled);
    assert!(a.reason.contains("worker"), "{a:?}");
    let worker = std::fs::read_to_string(format!("/proc/{pgid}/task/{pgid}/children"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse::<i32>()
        .unwrap();
    let (t0, w0) = (ticks(worker), Instant::now());
    std::thread::sleep(Duration::from_secs(5));
    let avg = (ticks(worker) - t0) as f64 / 100.0 / w0.elapsed().as_secs_f64() * 100.0;
    eprintln!("cpu limit 30 %: busy worker averaged {avg:.1} % over 5 s");
    assert!((22.0..=38.0).contains(&avg), "averaged {avg:.1} %");
    // The shell never saw its job stop: the job is still in the foreground.
    let status = pane.status().unwrap();
    assert_eq!(status.foreground_pgid, Some(pgid));
    assert_eq!(
        status.exec_finished,
        Some(false),
        "the exec must still be running"
    );
    drop(running);
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert_eq!(h.wait(T).unwrap().exit_code, 128 + 9);
    assert!(ctmux_core::procfs::alive(shell));
}

#[test]
fn limits_and_metrics_of_a_dead_pane_are_not_found() {
    let env = Env::new();
    let s = env.session("dead");
    env.client
        .tmux(&[
            "set-option",
            "-t",
            s.id(),
            "remain-on-exit",
            "on",
            ";",
            "split-window",
            "-d",
            "-t",
            s.id(),
            "exit 0",
        ])
        .unwrap();
    let dead = s
        .panes()
        .unwrap()
        .into_iter()
        .find(|p| p.index == 1)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.pane_str(&dead.pane_id).unwrap().info().unwrap().dead {
        assert!(Instant::now() < deadline, "pane never died");
        std::thread::sleep(Duration::from_millis(20));
    }
    let p = s.pane_str(&dead.pane_id).unwrap();
    let e = p
        .set_limit(LimitKind::Memory, 100.0, None, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = ctmux_core::metrics::MetricsSampler::default()
        .pane(&p, false)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[test]
fn a_new_enforcer_resumes_what_a_crashed_one_left_stopped() {
    let env = Env::new();
    let pane = env.pane0("crash");
    pane.set_limit(LimitKind::Cpu, 10.0, None, None).unwrap();
    let h = pane.exec("sh -c 'while :; do :; done & wait'").unwrap();
    wait_running(&pane, true);
    let pgid = pane.status().unwrap().foreground_pgid.unwrap();
    let child = || -> Option<i32> {
        std::fs::read_to_string(format!("/proc/{pgid}/task/{pgid}/children"))
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    // The job's leader may not have forked its worker yet.
    let deadline = Instant::now() + Duration::from_secs(10);
    while child().is_none() {
        assert!(Instant::now() < deadline, "no worker appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    let worker = || child().expect("the worker");
    let duty_cycle = EnforcerConfig {
        cgroups: false,
        ..EnforcerConfig::default()
    };
    let mut e = Enforcer::new(env.client.clone(), duty_cycle).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while state(worker()) != 'T' {
        assert!(Instant::now() < deadline, "never stopped");
        e.tick(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    // A crash: no drop, nothing resumed.
    std::mem::forget(e);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state(worker()), 'T');
    let mut fresh = Enforcer::new(env.client.clone(), EnforcerConfig::default()).unwrap();
    fresh.tick(Instant::now()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_ne!(state(worker()), 'T', "the new enforcer resumed the job");
    drop(fresh);
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    h.wait(T).unwrap();
}
