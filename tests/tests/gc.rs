//! GC against real tmux: 50 random worlds where the real run deletes exactly what the dry
//! run listed, protections in practice, the keep mark, the schedule and corrupt config.

use crate::common::{wait_running, Env};
use ctmux_core::gc::{self, GcAction, GcOptions};
use ctmux_core::{ErrorKind, HealthConfig};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A small deterministic generator (no shared seed state between tests).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Sleep until tmux's second-resolution clock has moved past now.
fn next_second() {
    let ms = now_ms() % 1000;
    std::thread::sleep(Duration::from_millis(1000 - ms + 20));
}

/// A fake snapshot file in the default store, saved `age_days` ago.
fn fake_snapshot(state: &Path, session: &str, i: usize, age_days: f64) -> PathBuf {
    let dir = state.join("snapshots").join(session);
    std::fs::create_dir_all(&dir).unwrap();
    let saved = now_ms() - (age_days * 86_400_000.0) as u64;
    let file = dir.join(format!("{session}-{i:03}.json"));
    std::fs::write(
        &file,
        serde_json::json!({
            "format": ctmux_core::snapshot::FORMAT,
            "version": ctmux_core::snapshot::VERSION,
            "session_name": session,
            "saved_at_ms": saved,
            "windows": [],
        })
        .to_string(),
    )
    .unwrap();
    file
}

/// A rotated event log modified `age_days` ago.
fn fake_log(env: &Env, i: usize, age_days: u64) -> PathBuf {
    let dir = env
        .client
        .state_dir()
        .path()
        .join("servers")
        .join(env.client.server().key());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("events.log.{i}"));
    std::fs::write(&file, "{}\n").unwrap();
    let f = std::fs::File::options().write(true).open(&file).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(age_days * 86_400))
        .unwrap();
    file
}

/// The actions without their ages (`idle_seconds`, `dead_seconds`, `age_seconds`): a dry
/// run and the real one a moment later may fall on either side of a second.
fn identities(actions: &[GcAction]) -> Vec<serde_json::Value> {
    actions
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.retain(|k, _| !k.ends_with("_seconds"));
            }
            v
        })
        .collect()
}

fn live_sessions(env: &Env) -> HashSet<String> {
    env.client
        .session_list()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect()
}

#[test]
fn fifty_real_runs_delete_exactly_what_the_dry_run_listed() {
    let env = Env::new();
    let keeper = env.session("keeper");
    keeper.set_keep(true).unwrap();
    gc::update(env.client.state_dir(), |st| {
        st.config.recent_seconds = 1;
        st.config.ttl_seconds = 1;
        Ok(())
    })
    .unwrap();
    let state = env.client.state_dir().path().to_owned();
    let mut rng = Rng(0x5eed);
    let mut totals = [0usize; 3];
    let mut log_no = 0;
    for run in 0..50 {
        let mut protected = HashSet::new();
        let mut names = Vec::new();
        let mut jobs = Vec::new();
        for k in 0..1 + rng.below(3) {
            let name = format!("r{run}s{k}");
            let s = env.session(&name);
            if rng.chance(25) {
                s.set_keep(true).unwrap();
                protected.insert(name.clone());
            }
            if rng.chance(25) {
                let p = s.pane_str("0").unwrap();
                jobs.push(p.exec("sleep 60").unwrap());
                wait_running(&p, true);
                protected.insert(name.clone());
            }
            if rng.chance(30) {
                let id = s.id().to_owned();
                env.client
                    .tmux(&[
                        "set-option",
                        "-t",
                        &id,
                        "remain-on-exit",
                        "on",
                        ";",
                        "split-window",
                        "-d",
                        "-t",
                        &id,
                        "exit 0",
                    ])
                    .unwrap();
            }
            names.push(name);
        }
        // State of a session that is gone.
        if rng.chance(50) {
            let gone = format!("r{run}gone");
            let s = env.session(&gone);
            let group = format!("g{run}");
            env.client
                .group_create(&group, &Default::default())
                .unwrap();
            env.client.group_add(&group, &gone, None).unwrap();
            env.client.session_depends(&gone, "keeper").unwrap();
            env.client
                .session_health_set(&gone, &HealthConfig::default())
                .unwrap();
            s.kill().unwrap();
        }
        let mut snaps = Vec::new();
        for i in 0..rng.below(14) as usize {
            let session = &names[0];
            snaps.push(fake_snapshot(
                &state,
                session,
                i,
                rng.below(20) as f64 + 0.5,
            ));
        }
        let mut logs = Vec::new();
        for _ in 0..rng.below(3) {
            logs.push(fake_log(&env, log_no, rng.below(14)));
            log_no += 1;
        }
        next_second();
        let opts = GcOptions {
            force: rng.chance(30),
            ttl_seconds: None,
        };
        let before = live_sessions(&env);
        let dry = gc::run(&env.client, &opts, true).unwrap();
        assert!(dry.dry_run);
        assert_eq!(live_sessions(&env), before, "a dry run changed tmux");
        let real = gc::run(&env.client, &opts, false).unwrap();
        assert_eq!(
            identities(&real.actions),
            identities(&dry.actions),
            "run {run}: {real:#?}"
        );
        assert!(real.skipped.is_empty(), "run {run}: {:?}", real.skipped);
        // What was listed is gone; nothing else is.
        let after = live_sessions(&env);
        let mut killed = HashSet::new();
        for a in &real.actions {
            match a {
                GcAction::KillSession { session, .. } => {
                    assert!(!protected.contains(session) && session != "keeper", "{a:?}");
                    assert!(!after.contains(session), "{a:?}");
                    killed.insert(session.clone());
                }
                GcAction::DeleteSnapshot { file, .. } | GcAction::DeleteEventLog { file, .. } => {
                    assert!(!file.exists(), "{a:?}")
                }
                _ => {}
            }
        }
        let expected: HashSet<String> = before.difference(&killed).cloned().collect();
        assert_eq!(after, expected, "run {run}");
        for f in snaps.iter().chain(&logs) {
            let listed = real.actions.iter().any(|a| {
                matches!(a,
                GcAction::DeleteSnapshot { file, .. } | GcAction::DeleteEventLog { file, .. }
                    if file == f)
            });
            assert_eq!(f.exists(), !listed, "{}", f.display());
        }
        totals[0] += real.actions.len();
        totals[1] += killed.len();
        totals[2] += real.protected.len();
        // Clean up this run's survivors.
        for n in &names {
            if after.contains(n) {
                env.client.session_kill(n).unwrap();
            }
        }
        drop(jobs);
    }
    eprintln!(
        "gc: 50 runs, {} actions, {} sessions killed, {} protected sightings",
        totals[0], totals[1], totals[2]
    );
    assert!(totals[1] > 10 && totals[0] > totals[1], "{totals:?}");
    assert!(env.client.session("keeper").is_ok());
}

#[test]
fn fresh_running_and_kept_sessions_survive_force() {
    let env = Env::new();
    let kept = env.session("kept");
    kept.set_keep(true).unwrap();
    assert!(kept.keep().unwrap());
    let busy = env.pane0("busy");
    let _job = busy.exec("sleep 60").unwrap();
    wait_running(&busy, true);
    env.session("fresh");
    // Default config: recent output (5 min) protects all three, whatever the force.
    let report = gc::run(
        &env.client,
        &GcOptions {
            force: true,
            ttl_seconds: Some(1),
        },
        false,
    )
    .unwrap();
    assert!(
        !report
            .actions
            .iter()
            .any(|a| matches!(a, GcAction::KillSession { .. })),
        "{report:#?}"
    );
    let reasons: Vec<_> = report
        .protected
        .iter()
        .map(|p| (&p.session, &p.reasons))
        .collect();
    assert_eq!(report.protected.len(), 3, "{reasons:?}");
    let k = report
        .protected
        .iter()
        .find(|p| p.session == "kept")
        .unwrap();
    assert!(k.reasons.contains(&"keep"));
    let b = report
        .protected
        .iter()
        .find(|p| p.session == "busy")
        .unwrap();
    assert!(b.reasons.contains(&"running job"));
    // With a 1 s recent window the idle, unkept, job-less one goes; the others stay.
    gc::update(env.client.state_dir(), |st| {
        st.config.recent_seconds = 1;
        Ok(())
    })
    .unwrap();
    next_second();
    let report = gc::run(
        &env.client,
        &GcOptions {
            force: true,
            ttl_seconds: None,
        },
        false,
    )
    .unwrap();
    let killed: Vec<_> = report
        .actions
        .iter()
        .filter_map(|a| match a {
            GcAction::KillSession { session, .. } => Some(session.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(killed, ["fresh"], "{report:#?}");
    assert_eq!(
        live_sessions(&env),
        HashSet::from(["kept".into(), "busy".into()])
    );
    kept.set_keep(false).unwrap();
    assert!(!kept.keep().unwrap());
}

#[test]
fn schedule_status_and_bad_input() {
    let env = Env::new();
    let s = env.session("one");
    let st = gc::status(&env.client).unwrap();
    assert!(!st.config.enabled);
    assert!(st.next_run_ms.is_none());
    assert!(gc::run_if_due(&env.client, SystemTime::now())
        .unwrap()
        .is_none());
    let c = gc::enable(&env.client, Some(7200)).unwrap();
    assert!(c.enabled && c.ttl_seconds == 7200);
    let first = gc::run_if_due(&env.client, SystemTime::now()).unwrap();
    assert!(first.is_some(), "enabled and never run: due");
    assert!(gc::run_if_due(&env.client, SystemTime::now())
        .unwrap()
        .is_none());
    let later = SystemTime::now() + Duration::from_secs(3601);
    assert!(gc::run_if_due(&env.client, later).unwrap().is_some());
    let st = gc::status(&env.client).unwrap();
    assert!(st.last_run.is_some() && st.next_run_ms.is_some());
    assert!(!gc::disable(&env.client).unwrap().enabled);

    // Bad input.
    assert_eq!(
        gc::enable(&env.client, Some(0)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        gc::run(
            &env.client,
            &GcOptions {
                force: false,
                ttl_seconds: Some(0)
            },
            true
        )
        .unwrap_err()
        .kind(),
        ErrorKind::InvalidInput
    );
    let path = gc::path(env.client.state_dir());
    std::fs::write(&path, b"{ not json").unwrap();
    for e in [
        gc::status(&env.client).unwrap_err(),
        gc::run(&env.client, &GcOptions::default(), true).unwrap_err(),
        gc::run_if_due(&env.client, SystemTime::now()).unwrap_err(),
        gc::enable(&env.client, None).unwrap_err(),
        gc::disable(&env.client).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("gc.json"), "{e}");
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{ not json",
        "left as it was"
    );
    std::fs::remove_file(&path).unwrap();
    s.kill().unwrap();
    assert_eq!(s.set_keep(true).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.keep().unwrap_err().kind(), ErrorKind::NotFound);
}

/// A client attaching (here a ctmux control connection, as the daemon's watchers and the
/// listeners open) moves tmux's `session_activity` but is not output: the session stays idle.
#[test]
fn a_client_attaching_is_not_activity() {
    let env = Env::new();
    let s = env.session("quiet");
    gc::update(env.client.state_dir(), |st| {
        st.config.recent_seconds = 1;
        st.config.ttl_seconds = 2;
        Ok(())
    })
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3200));
    let conn = ctmux_core::control::Connection::open(env.server.server(), Some(s.id())).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let session_activity: u64 = env
        .client
        .tmux(&["display-message", "-p", "-t", s.id(), "#{session_activity}"])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        now - session_activity <= 1,
        "the attach moved session_activity"
    );
    let plan = gc::plan(&env.client, &Default::default()).unwrap();
    assert!(
        plan.actions
            .iter()
            .any(|a| a.live_session() == Some("quiet")),
        "{plan:?}"
    );
    drop(conn);
}
