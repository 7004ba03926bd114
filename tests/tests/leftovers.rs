//! Nothing left behind: exec files go when their exec ends, a pane's exec lock when the exec
//! has started, and what a killed pane or a killed write left (exec files, `.ctmux-tmp-*`) is
//! collected by `state-sync` and `gc-run`, which list it. State files are never opened
//! through a planted symlink.

use ctmux_core::gc::{self, GcAction, GcOptions};
use ctmux_core::{IsolatedServer, PaneRef, SessionOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Every file under `dir` (symlinks included, not followed).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn two_hundred_create_exec_kill_cycles_leave_the_file_count_as_it_was() {
    let server = IsolatedServer::start().expect("isolated server");
    let state = server.dir().join("state");
    let client = server.client_with_state_dir(&state).expect("client");
    let keeper = client
        .session_create("keeper", &SessionOptions::default())
        .unwrap();
    let r = keeper
        .pane(&PaneRef::Index(0))
        .unwrap()
        .run("true", Some(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(r.exit_code, 0);
    let before = files(&state);
    assert!(
        !before.iter().any(
            |f| f.to_string_lossy().ends_with(".lock") && f.parent().unwrap().ends_with("exec")
        ),
        "an exec lock outlived its exec: {before:?}"
    );

    // 100 execs that end before their session is killed: nothing to collect afterwards.
    for i in 0..100 {
        let s = client
            .session_create(&format!("c{i}"), &SessionOptions::default())
            .unwrap();
        let r = s
            .pane(&PaneRef::Index(0))
            .unwrap()
            .run("echo secret-command-text", Some(Duration::from_secs(30)))
            .unwrap();
        assert_eq!(r.output, "secret-command-text\n");
        s.kill().unwrap();
    }
    assert_eq!(files(&state), before, "files left by finished execs");

    // 100 execs killed with their session while running: their files stay until collected.
    for i in 0..100 {
        let s = client
            .session_create(&format!("k{i}"), &SessionOptions::default())
            .unwrap();
        let h = s
            .pane(&PaneRef::Index(0))
            .unwrap()
            .exec("sleep 30")
            .unwrap();
        drop(h);
        s.kill().unwrap();
    }
    let left: Vec<PathBuf> = files(&state)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert!(left.len() >= 100, "{left:?}");
    // A killed atomic write, long ago, in the snapshot store; and a fresh one (in progress).
    let snaps = state.join("snapshots");
    std::fs::create_dir_all(&snaps).unwrap();
    let old_tmp = snaps.join(".ctmux-tmp-killed");
    std::fs::write(&old_tmp, b"half").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&old_tmp)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let fresh_tmp = snaps.join(".ctmux-tmp-writing");
    std::fs::write(&fresh_tmp, b"busy").unwrap();

    let dry = gc::run(&client, &GcOptions::default(), true).unwrap();
    let planned: Vec<PathBuf> = dry
        .actions
        .iter()
        .filter_map(|a| match a {
            GcAction::DeleteLeftover { file, .. } => Some(file.clone()),
            _ => None,
        })
        .collect();
    for f in &left {
        assert!(planned.contains(f), "{f:?} not planned: {planned:?}");
    }
    assert!(planned.contains(&old_tmp));
    assert!(!planned.contains(&fresh_tmp));
    let done = gc::run(&client, &GcOptions::default(), false).unwrap();
    assert!(done.skipped.is_empty(), "{:?}", done.skipped);
    let mut after = files(&state);
    after.retain(|f| f != &fresh_tmp && !f.ends_with("gc.json") && !f.ends_with("gc.lock"));
    let mut expected = before.clone();
    expected.retain(|f| !f.ends_with("gc.json") && !f.ends_with("gc.lock"));
    assert_eq!(after, expected);
    // The keeper's pane still works, with its exec lock gone again after.
    let r = keeper
        .pane(&PaneRef::Index(0))
        .unwrap()
        .run("echo still", Some(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(r.output, "still\n");
}

#[test]
fn state_sync_collects_exec_files_of_gone_panes_and_killed_writes() {
    let server = IsolatedServer::start().expect("isolated server");
    let state = server.dir().join("state");
    let client = server.client_with_state_dir(&state).expect("client");
    let _keeper = client
        .session_create("keeper", &SessionOptions::default())
        .unwrap();
    let s = client
        .session_create("gone", &SessionOptions::default())
        .unwrap();
    drop(
        s.pane(&PaneRef::Index(0))
            .unwrap()
            .exec("sleep 30")
            .unwrap(),
    );
    s.kill().unwrap();
    let tmp = state.join(".ctmux-tmp-old");
    std::fs::write(&tmp, b"x").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(120))
        .unwrap();
    let report = client.state_sync().unwrap();
    assert!(
        report.dropped.contains(&tmp.display().to_string()),
        "{report:?}"
    );
    assert!(
        report.dropped.iter().any(|f| f.ends_with(".cmd")),
        "{report:?}"
    );
    assert!(report.dropped.iter().all(|f| !Path::new(f).exists()));
    let again = client.state_sync().unwrap();
    assert!(again.dropped.is_empty(), "{again:?}");
}

#[test]
fn a_planted_symlink_is_never_followed() {
    let server = IsolatedServer::start().expect("isolated server");
    let state = server.dir().join("state");
    let client = server.client_with_state_dir(&state).expect("client");
    let s = client
        .session_create("s", &SessionOptions::default())
        .unwrap();
    let pane = s.pane(&PaneRef::Index(0)).unwrap();
    pane.run("true", Some(Duration::from_secs(30))).unwrap();
    let exec_dir = files(&state)
        .into_iter()
        .find(|f| f.file_name().unwrap().to_string_lossy().starts_with("lib-"))
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let target = server.dir().join("victim");
    let number = pane.id().number();
    let link = exec_dir.join(format!("{number}.lock"));
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = pane.run("true", Some(Duration::from_secs(30))).unwrap_err();
    assert_eq!(err.kind(), ctmux_core::ErrorKind::Io, "{err}");
    assert!(!target.exists(), "the lock followed the link");
    std::fs::remove_file(&link).unwrap();
    assert_eq!(
        pane.run("echo ok", Some(Duration::from_secs(30)))
            .unwrap()
            .output,
        "ok\n"
    );
}
