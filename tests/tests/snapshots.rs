//! Session snapshots end to end: fidelity of save / kill / restore (2 windows, 12 panes),
//! every kind of bad input creating nothing, `kill -9` of the saving binary never leaving an
//! unreadable file, tmuxp workspaces in and out, the store (listing, retention, delete),
//! contents, environment filtering, dry run, no-exec, replace, rollback, and the CLI.

use crate::common::{wait_running, Env, T};
use ctmux_core::layout::Layout;
use ctmux_core::snapshot::{
    self, CaptureOptions, Retention, SaveFormat, SaveOptions, Snapshot, Source,
};
use ctmux_core::{Ctmux, ErrorKind, RestoreOptions, SessionOptions};
use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tmuxp")
}

fn names(client: &Ctmux) -> BTreeSet<String> {
    client
        .session_list()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect()
}

/// Poll `f` until true (20 s at most).
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn geometry(layout: &str) -> String {
    layout.parse::<Layout>().unwrap().geometry().unwrap()
}

fn opts() -> SessionOptions {
    SessionOptions {
        cwd: None,
        size: Some((160, 48)),
    }
}

/// The acceptance session: 2 windows, 12 panes, labels, metadata, distinct directories, a
/// non-default layout, and `sleep`, `tail -f` and `python3 -m http.server` running.
fn build_fidelity_session(env: &Env, dirs: &[PathBuf]) -> Ctmux {
    let c = env.client.clone();
    let s = c.session_create("fid", &opts()).unwrap();
    c.tmux(&["rename-window", "-t", &format!("{}:0", s.id()), "editors"])
        .unwrap();
    for i in 1..7 {
        s.pane_create(Some(&format!("w0-p{i}"))).unwrap();
        c.tmux(&["select-layout", "-t", &format!("{}:0", s.id()), "tiled"])
            .unwrap();
    }
    c.tmux(&[
        "select-layout",
        "-t",
        &format!("{}:0", s.id()),
        "main-vertical",
    ])
    .unwrap();
    c.tmux(&["resize-pane", "-t", &format!("{}:0.0", s.id()), "-x", "70"])
        .unwrap();
    c.tmux(&[
        "new-window",
        "-t",
        &format!("{}:3", s.id()),
        "-n",
        "services",
    ])
    .unwrap();
    for i in 1..5 {
        c.tmux(&["split-window", "-t", &format!("{}:3", s.id())])
            .unwrap();
        c.tmux(&["select-layout", "-t", &format!("{}:3", s.id()), "tiled"])
            .unwrap();
        let _ = i;
    }
    c.tmux(&["resize-pane", "-t", &format!("{}:3.1", s.id()), "-y", "10"])
        .unwrap();
    c.tmux(&["select-window", "-t", &format!("{}:0", s.id())])
        .unwrap();
    let log = dirs[0].join("app log.txt");
    std::fs::write(&log, "line 1\n").unwrap();
    let panes = s.panes().unwrap();
    assert_eq!(panes.len(), 12);
    for (i, p) in panes.iter().enumerate() {
        let pane = s.pane(&p.pane_id.parse().unwrap()).unwrap();
        if p.label.is_none() {
            pane.set_label(&format!("pane-{i}")).unwrap();
        }
        pane.metadata_set("role", &format!("role {i} \"quoted\" $X"))
            .unwrap();
        pane.metadata_set("n", &i.to_string()).unwrap();
        let dir = &dirs[i % dirs.len()];
        let job = match i {
            1 => format!("sleep 1000{i}"),
            5 => format!("tail -f {}", ctmux_quote(&log)),
            7 => "python3 -m http.server 0 --bind 127.0.0.1".to_owned(),
            10 => "sleep 2000".to_owned(),
            _ => String::new(),
        };
        let cmd = format!("cd {}", ctmux_quote(dir));
        pane.run(&cmd, T).unwrap();
        if !job.is_empty() {
            pane.exec(&job).unwrap();
            wait_running(&pane, true);
            if job.contains("http.server") {
                // Let a launcher (a pyenv shim, say) exec the real interpreter first: the
                // saved command line is what /proc says at save time.
                pane.watch("^Serving HTTP", T, None).unwrap();
            }
        }
    }
    c
}

fn ctmux_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn fidelity_two_windows_twelve_panes() {
    let env = Env::new();
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["a", "b b", "c'q", "ünï", "e"]
        .iter()
        .map(|d| {
            let p = tmp.path().join(d);
            std::fs::create_dir(&p).unwrap();
            p
        })
        .collect();
    let c = build_fidelity_session(&env, &dirs);
    c.tmux(&["set-environment", "-t", "=fid", "APP_MODE", "blue green"])
        .unwrap();
    c.tmux(&["set-environment", "-t", "=fid", "API_TOKEN", "hunter2"])
        .unwrap();
    // Wait until every job shows in /proc, then save.
    let saved = c.snapshot_save("fid", &SaveOptions::default()).unwrap();
    assert_eq!((saved.windows, saved.panes), (2, 12), "{saved:?}");
    assert!(saved.environment_excluded.contains(&"API_TOKEN".to_owned()));
    let before: Snapshot = snapshot::load(&saved.file).unwrap().snapshot;
    let text = std::fs::read_to_string(&saved.file).unwrap();
    assert!(!text.contains("hunter2"), "a secret was saved");
    assert_eq!(before.environment["APP_MODE"], "blue green");
    let jobs: Vec<&Vec<String>> = before
        .windows
        .iter()
        .flat_map(|w| &w.panes)
        .filter(|p| !p.argv.is_empty())
        .map(|p| &p.argv)
        .collect();
    assert_eq!(jobs.len(), 4, "{jobs:?}");
    assert!(jobs
        .iter()
        .any(|a| a[0] == "tail" && a[2].ends_with("app log.txt")));
    assert!(jobs
        .iter()
        .any(|a| a.join(" ").contains("-m http.server 0")));

    c.session_kill("fid").unwrap();
    let report = c
        .snapshot_restore(&saved.file, &RestoreOptions::default())
        .unwrap();
    assert_eq!(report.commands.len(), 4);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let s = c.session("fid").unwrap();
    for p in s.panes().unwrap() {
        if before
            .windows
            .iter()
            .flat_map(|w| &w.panes)
            .any(|b| b.label == p.label && b.command.is_some())
        {
            let pane = s.pane(&p.pane_id.parse().unwrap()).unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !pane.is_running().unwrap() {
                assert!(
                    Instant::now() < deadline,
                    "{:?} never ran its job: {:?}\n{}",
                    p.label,
                    pane.status().unwrap(),
                    pane.capture(Some(50)).unwrap()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    let after = c
        .snapshot_capture("fid", &CaptureOptions::default())
        .unwrap();

    // Field by field.
    assert_eq!(after.windows.len(), before.windows.len());
    assert_eq!(after.pane_count, 12);
    assert_eq!(after.environment["APP_MODE"], "blue green");
    for (a, b) in after.windows.iter().zip(&before.windows) {
        assert_eq!(a.index, b.index);
        assert_eq!(a.name, b.name);
        assert_eq!(a.active, b.active, "window {}", b.index);
        assert_eq!((a.width, a.height), (b.width, b.height));
        assert_eq!(
            geometry(a.layout.as_deref().unwrap()),
            geometry(b.layout.as_deref().unwrap()),
            "window {} layout",
            b.index
        );
        assert_eq!(a.panes.len(), b.panes.len());
        for (pa, pb) in a.panes.iter().zip(&b.panes) {
            let at = format!("window {} pane {}", b.index, pb.index);
            assert_eq!(pa.index, pb.index, "{at}");
            assert_eq!(pa.label, pb.label, "{at}");
            assert_eq!(pa.metadata, pb.metadata, "{at}");
            assert_eq!(pa.cwd, pb.cwd, "{at}");
            assert_eq!(pa.argv, pb.argv, "{at}: running command line");
            assert_eq!(pa.command, pb.command, "{at}");
            assert_eq!(pa.active, pb.active, "{at}");
            // History: what was there, plus the command restore ran.
            assert_eq!(pa.history[..pb.history.len()], pb.history[..], "{at}");
            match &pb.command {
                Some(cmd) => assert_eq!(pa.history.last(), Some(cmd), "{at}"),
                None => assert_eq!(pa.history.len(), pb.history.len(), "{at}"),
            }
        }
    }
}

#[test]
fn a_subshell_job_is_not_saved_as_a_shell() {
    let env = Env::new();
    let pane = env.pane0("sub");
    pane.exec("(sleep 500; true)").unwrap();
    wait_running(&pane, true);
    let snap = env
        .client
        .snapshot_capture("sub", &CaptureOptions::default())
        .unwrap();
    let p = &snap.windows[0].panes[0];
    assert_eq!((&p.command, p.argv.len()), (&None, 0), "{p:?}");
    assert_eq!(p.history, ["(sleep 500; true)"]);
}

#[test]
fn exec_history_is_recorded_bounded_and_exact() {
    let env = Env::new();
    let pane = env.pane0("h");
    let cmds = [
        "echo '#{pane_id}' \"$HOME\" | cat",
        "printf '%s %d%%\\n' x 5; date +%H",
        "printf 'a\\nb'\necho ünï ✓",
    ];
    for c in cmds {
        pane.run(c, T).unwrap();
    }
    assert_eq!(pane.history().unwrap(), cmds);
    for i in 0..60 {
        let long = format!("true {i} {}", "x".repeat(600));
        pane.run(&long, T).unwrap();
    }
    let h = pane.history().unwrap();
    assert!(h.len() < 60, "history is bounded: {}", h.len());
    assert!(h.last().unwrap().starts_with("true 59 "));
    // The option stays within its bound.
    let raw = env
        .client
        .tmux(&[
            "show-options",
            "-p",
            "-v",
            "-t",
            &pane.id().to_string(),
            "@ctmux-history",
        ])
        .unwrap();
    assert!(raw.len() <= snapshot::history::HISTORY_BYTES + 8 * 1024);
}

/// A valid snapshot file to corrupt.
fn valid_snapshot(env: &Env, dir: &Path) -> PathBuf {
    let s = env.session("good");
    s.pane_create(Some("web")).unwrap();
    let file = dir.join("good.json");
    env.client
        .snapshot_save(
            "good",
            &SaveOptions {
                file: Some(file.clone()),
                ..SaveOptions::default()
            },
        )
        .unwrap();
    s.kill().unwrap();
    file
}

#[test]
fn bad_input_gives_clear_errors_and_creates_nothing() {
    let env = Env::new();
    env.session("keeper");
    let tmp = tempfile::tempdir().unwrap();
    let good = valid_snapshot(&env, tmp.path());
    let text = std::fs::read_to_string(&good).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = json.clone();
        f(&mut v);
        serde_json::to_string(&v).unwrap()
    };
    let big = tmp.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let cases: Vec<(&str, Option<String>, ErrorKind)> = vec![
        (
            "truncated",
            Some(text[..text.len() / 2].to_owned()),
            ErrorKind::Corrupt,
        ),
        ("zero bytes", Some(String::new()), ErrorKind::Corrupt),
        ("whitespace", Some(" \n".into()), ErrorKind::Corrupt),
        (
            "windows is a string",
            Some(with(&|v| v["windows"] = "x".into())),
            ErrorKind::Corrupt,
        ),
        (
            "label is a number",
            Some(with(&|v| v["windows"][0]["panes"][1]["label"] = 5.into())),
            ErrorKind::Corrupt,
        ),
        (
            "version is a string",
            Some(with(&|v| v["version"] = "1".into())),
            ErrorKind::Corrupt,
        ),
        (
            "future version",
            Some(with(&|v| v["version"] = 99.into())),
            ErrorKind::InvalidInput,
        ),
        (
            "no windows",
            Some(with(&|v| v["windows"] = serde_json::json!([]))),
            ErrorKind::Corrupt,
        ),
        (
            "bad session name",
            Some(with(&|v| v["session_name"] = "a:b".into())),
            ErrorKind::Corrupt,
        ),
        (
            "duplicate labels",
            Some(with(&|v| {
                v["windows"][0]["panes"][0]["label"] = "web".into()
            })),
            ErrorKind::Corrupt,
        ),
        (
            "label that reads as an index",
            Some(with(&|v| {
                v["windows"][0]["panes"][0]["label"] = "12".into()
            })),
            ErrorKind::Corrupt,
        ),
        (
            "layout for 3 panes",
            Some(with(&|v| {
                v["windows"][0]["layout"] =
                    "b6b7,100x30,0,0{80x30,0,0,2,19x30,81,0[19x14,81,0,3,19x15,81,15,4]}".into()
            })),
            ErrorKind::Corrupt,
        ),
        (
            "layout checksum",
            Some(with(&|v| {
                v["windows"][0]["layout"] = "ffff,80x24,0,0,0".into()
            })),
            ErrorKind::Corrupt,
        ),
        (
            "relative cwd",
            Some(with(&|v| v["windows"][0]["panes"][0]["cwd"] = "tmp".into())),
            ErrorKind::Corrupt,
        ),
        (
            "bad metadata key",
            Some(with(&|v| {
                v["windows"][0]["panes"][0]["metadata"] = serde_json::json!({"a b": "x"})
            })),
            ErrorKind::Corrupt,
        ),
        ("not utf-8", None, ErrorKind::Corrupt),
        (
            "yaml garbage",
            Some("session_name: [\n".into()),
            ErrorKind::Corrupt,
        ),
        ("a json array", Some("[1,2]".into()), ErrorKind::Corrupt),
        ("other json", Some("{\"a\":1}".into()), ErrorKind::Corrupt),
    ];
    let before = names(&env.client);
    let mut checked = 0;
    for (what, content, kind) in cases {
        let file = tmp.path().join(format!("{}.json", what.replace(' ', "_")));
        match content {
            Some(c) => std::fs::write(&file, c).unwrap(),
            None => std::fs::write(&file, [0xff, 0xfe, b'{', 0x80]).unwrap(),
        }
        for dry_run in [true, false] {
            let e = env
                .client
                .snapshot_restore(
                    &file,
                    &RestoreOptions {
                        dry_run,
                        ..RestoreOptions::default()
                    },
                )
                .unwrap_err();
            assert_eq!(e.kind(), kind, "{what}: {e}");
            assert!(
                e.to_string().contains(&file.display().to_string()),
                "{what}: the message names the file: {e}"
            );
        }
        checked += 1;
    }
    for (what, file, kind) in [
        ("missing", tmp.path().join("nope.json"), ErrorKind::NotFound),
        (
            "directory",
            tmp.path().to_path_buf(),
            ErrorKind::InvalidInput,
        ),
        ("50 MB", big.clone(), ErrorKind::InvalidInput),
    ] {
        let e = env
            .client
            .snapshot_restore(&file, &RestoreOptions::default())
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{what}: {e}");
        assert!(e.to_string().contains(&file.display().to_string()), "{e}");
        checked += 1;
    }
    assert_eq!(checked, 22);
    assert_eq!(names(&env.client), before, "nothing was created");
    // A bad new name is the caller's input.
    let e = env
        .client
        .snapshot_restore(
            &good,
            &RestoreOptions {
                name: Some("x.y".into()),
                ..RestoreOptions::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(names(&env.client), before);
    // And the untouched file still restores.
    env.client
        .snapshot_restore(&good, &RestoreOptions::default())
        .unwrap();
}

#[test]
fn failure_half_way_removes_the_session() {
    let env = Env::new();
    env.session("keeper");
    let s = env.session("half");
    s.pane_create(Some("two")).unwrap();
    let mut snap = env
        .client
        .snapshot_capture("half", &CaptureOptions::default())
        .unwrap();
    s.kill().unwrap();
    // Twenty panes in a 4x3 window: valid, but tmux runs out of room for them after the
    // session and its first panes exist.
    let w = &mut snap.windows[0];
    (w.width, w.height, w.layout) = (Some(4), Some(3), None);
    let pane = w.panes[1].clone();
    for i in 2..20 {
        w.panes.push(snapshot::PaneSnapshot {
            index: i,
            label: Some(format!("p{i}")),
            ..pane.clone()
        });
    }
    let before = names(&env.client);
    let e = env
        .client
        .snapshot_restore_from(snap.clone(), &RestoreOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tmux, "{e}");
    assert_eq!(names(&env.client), before, "the half-built session is gone");
    // With replace, the existing session survives a failed restore.
    let keep = env.session("half");
    keep.pane_str("0").unwrap().set_label("original").unwrap();
    env.client
        .snapshot_restore_from(
            snap,
            &RestoreOptions {
                replace: true,
                ..RestoreOptions::default()
            },
        )
        .unwrap_err();
    let still = env.client.session("half").unwrap();
    assert_eq!(still.id(), keep.id());
    assert!(still.pane_find("original").is_ok());
    assert_eq!(names(&env.client).len(), 2);
}

#[test]
fn dry_run_no_exec_replace_and_rename() {
    let env = Env::new();
    let s = env.session("svc");
    let web = s.pane_create(Some("web")).unwrap();
    web.exec("sleep 3000").unwrap();
    wait_running(&web, true);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("svc.json");
    env.client
        .snapshot_save(
            "svc",
            &SaveOptions {
                file: Some(file.clone()),
                ..SaveOptions::default()
            },
        )
        .unwrap();
    // Over an existing session: AlreadyExists, also in a dry run.
    for dry_run in [false, true] {
        let e = env
            .client
            .snapshot_restore(
                &file,
                &RestoreOptions {
                    dry_run,
                    ..RestoreOptions::default()
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    }
    // A dry run under a new name reports everything and creates nothing.
    let before = names(&env.client);
    let r = env
        .client
        .snapshot_restore(
            &file,
            &RestoreOptions {
                name: Some("svc2".into()),
                dry_run: true,
                ..RestoreOptions::default()
            },
        )
        .unwrap();
    assert!(r.dry_run && r.session_id.is_none());
    assert_eq!(r.commands.len(), 1);
    assert_eq!(r.commands[0].command, "sleep 3000");
    assert_eq!(r.commands[0].label.as_deref(), Some("web"));
    assert_eq!(r.windows[0].panes.len(), 2);
    assert_eq!(names(&env.client), before);
    // --no-exec: the layout and labels, no command.
    let r = env
        .client
        .snapshot_restore(
            &file,
            &RestoreOptions {
                name: Some("svc3".into()),
                no_exec: true,
                ..RestoreOptions::default()
            },
        )
        .unwrap();
    assert!(r.commands.is_empty());
    let p = env
        .client
        .session("svc3")
        .unwrap()
        .pane_find("web")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!p.is_running().unwrap());
    // --replace: the new session takes the name, the old one is gone.
    let old_id = s.id().to_owned();
    let r = env
        .client
        .snapshot_restore(
            &file,
            &RestoreOptions {
                replace: true,
                ..RestoreOptions::default()
            },
        )
        .unwrap();
    assert!(r.replaced);
    let new = env.client.session("svc").unwrap();
    assert_ne!(new.id(), old_id);
    assert_eq!(Some(new.id()), r.session_id.as_deref());
    wait_running(&new.pane_find("web").unwrap(), true);
    assert_eq!(
        names(&env.client),
        ["svc", "svc3"].iter().map(|s| s.to_string()).collect()
    );
}

#[test]
fn contents_are_shown_again_and_cwd_falls_back() {
    let env = Env::new();
    let s = env.session("txt");
    let pane = s.pane_str("0").unwrap();
    pane.run(
        "printf '\\033[31mRED-MARKER\\033[0m\\n'; seq 1 300 | sed 's/^/line-/'",
        T,
    )
    .unwrap();
    let gone = tempfile::tempdir().unwrap();
    let second = s.pane_create(Some("second")).unwrap();
    second
        .run(&format!("cd {}", gone.path().display()), T)
        .unwrap();
    second.exec("sleep 4000").unwrap();
    wait_running(&second, true);
    let saved = env
        .client
        .snapshot_save(
            "txt",
            &SaveOptions {
                capture: CaptureOptions {
                    with_contents: true,
                    ..CaptureOptions::default()
                },
                ..SaveOptions::default()
            },
        )
        .unwrap();
    assert!(saved.with_contents);
    let snap = snapshot::load(&saved.file).unwrap().snapshot;
    let contents = snap.windows[0].panes[0].contents.as_deref().unwrap();
    assert!(contents.contains("\u{1b}[31mRED-MARKER"), "colours kept");
    assert!(contents.contains("line-300"));
    s.kill().unwrap();
    drop(gone); // the second pane's directory no longer exists
    let r = env
        .client
        .snapshot_restore(&saved.file, &RestoreOptions::default())
        .unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("does not exist"), "{:?}", r.warnings);
    let s = env.client.session("txt").unwrap();
    let first = s.pane_str("0").unwrap();
    until("contents shown", || {
        first.capture(Some(1000)).unwrap().contains("line-300")
    });
    let shown = first.capture(Some(1000)).unwrap();
    assert!(shown.contains("RED-MARKER") && shown.contains("line-1\n"));
    // The shell works after the contents, and the second pane's job runs.
    assert_eq!(first.run("echo after", T).unwrap().output, "after\n");
    let second = s.pane_find("second").unwrap();
    wait_running(&second, true);
    until("contents file removed", || {
        std::fs::read_dir(env.client.state_dir().path().join("snapshots/.restore"))
            .map(|d| d.count() == 0)
            .unwrap_or(true)
    });
    // The fallback directory is $HOME (or /).
    let home = std::env::var("HOME").unwrap_or_else(|_| "/".into());
    assert_eq!(second.info().unwrap().cwd, home);
}

#[test]
fn store_lists_prunes_and_deletes() {
    let env = Env::new();
    let s = env.session("st/ore x");
    s.pane_create(None).unwrap();
    let c = &env.client;
    // Nothing saved yet.
    assert!(c.snapshot_list(None).unwrap().is_empty());
    c.set_snapshot_retention(&Retention {
        keep_last: Some(3),
        max_age_seconds: None,
    })
    .unwrap();
    let mut files = Vec::new();
    for _ in 0..5 {
        let r = c
            .snapshot_save("st/ore x", &SaveOptions::default())
            .unwrap();
        assert!(r.file.starts_with(c.state_dir().path().join("snapshots")));
        files.push(r.file);
    }
    let list = c.snapshot_list(Some("st/ore x")).unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].file, files[4], "newest first");
    assert_eq!(
        list.iter().map(|e| &e.file).collect::<Vec<_>>(),
        files[2..].iter().rev().collect::<Vec<_>>()
    );
    for e in &list {
        assert_eq!((e.session.as_str(), e.windows, e.panes), ("st/ore x", 1, 2));
        assert!(e.bytes > 0 && e.error.is_none() && e.saved_at.ends_with('Z'));
    }
    assert_eq!(c.snapshot_list(None).unwrap().len(), 3);
    assert!(c.snapshot_list(Some("other")).unwrap().is_empty());
    // A corrupt file in the store is listed with its error, and can be deleted.
    std::fs::write(&files[4], b"").unwrap();
    let list = c.snapshot_list(None).unwrap();
    let bad = list.iter().find(|e| e.file == files[4]).unwrap();
    assert!(bad.error.as_deref().unwrap().contains("empty"), "{bad:?}");
    c.snapshot_delete(&files[4]).unwrap();
    assert_eq!(c.snapshot_list(None).unwrap().len(), 2);
    // Deleting is refused for what is not a snapshot, and NotFound for what is not there.
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("notes.json");
    std::fs::write(&other, "{\"important\": true}").unwrap();
    let e = c.snapshot_delete(&other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(other.exists());
    assert_eq!(
        c.snapshot_delete(tmp.path()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        c.snapshot_delete(&files[4]).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // A snapshot outside the store can be deleted.
    let outside = tmp.path().join("mine.json");
    c.snapshot_save(
        "st/ore x",
        &SaveOptions {
            file: Some(outside.clone()),
            ..SaveOptions::default()
        },
    )
    .unwrap();
    c.snapshot_delete(&outside).unwrap();
    // Max age: everything but the newest goes.
    c.set_snapshot_retention(&Retention {
        keep_last: None,
        max_age_seconds: Some(1),
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let would = c.snapshot_prune("st/ore x", true).unwrap();
    assert_eq!(would.len(), 1);
    assert_eq!(c.snapshot_list(None).unwrap().len(), 2, "dry run kept them");
    assert_eq!(c.snapshot_prune("st/ore x", false).unwrap(), would);
    assert_eq!(c.snapshot_list(None).unwrap().len(), 1);
    assert_eq!(
        c.set_snapshot_retention(&Retention {
            keep_last: Some(0),
            max_age_seconds: None
        })
        .unwrap_err()
        .kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn save_refuses_bad_input_and_keeps_the_last_good_file() {
    let env = Env::new();
    env.session("sv");
    let c = &env.client;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("sv.json");
    let at = |f: &Path| SaveOptions {
        file: Some(f.to_path_buf()),
        ..SaveOptions::default()
    };
    c.snapshot_save("sv", &at(&file)).unwrap();
    let good = std::fs::read(&file).unwrap();
    for (session, opts, kind) in [
        ("nope", at(&file), ErrorKind::NotFound),
        ("a:b", at(&file), ErrorKind::InvalidInput),
        ("sv", at(tmp.path()), ErrorKind::InvalidInput),
        (
            "sv",
            at(&tmp.path().join("no/such/dir/x.json")),
            ErrorKind::NotFound,
        ),
        (
            "sv",
            SaveOptions {
                file: Some(file.clone()),
                capture: CaptureOptions {
                    exclude_env: Some("(".into()),
                    ..CaptureOptions::default()
                },
                ..SaveOptions::default()
            },
            ErrorKind::InvalidInput,
        ),
    ] {
        let e = c.snapshot_save(session, &opts).unwrap_err();
        assert_eq!(e.kind(), kind, "{session} {opts:?}: {e}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            good,
            "the last good file stays"
        );
    }
    // The environment filter: default, custom, none.
    c.tmux(&["set-environment", "-t", "=sv", "MY_PASSWORD", "pw"])
        .unwrap();
    c.tmux(&["set-environment", "-t", "=sv", "PLAIN", "ok"])
        .unwrap();
    let env_of = |o: CaptureOptions| c.snapshot_capture("sv", &o).unwrap().environment;
    let d = env_of(CaptureOptions::default());
    assert!(d.contains_key("PLAIN") && !d.contains_key("MY_PASSWORD"));
    let all = env_of(CaptureOptions {
        exclude_env: Some("^$".into()),
        ..CaptureOptions::default()
    });
    // The name is kept; its value is still redacted (the name says secret).
    assert_eq!(all["MY_PASSWORD"], ctmux_core::snapshot::REDACTED);
    let kept = env_of(CaptureOptions {
        include_secrets: true,
        ..CaptureOptions::default()
    });
    assert_eq!(kept["MY_PASSWORD"], "pw");
    let none = env_of(CaptureOptions {
        no_env: true,
        ..CaptureOptions::default()
    });
    assert!(none.is_empty());
}

// ---------------------------------------------------------------------------------------
// kill -9 of the saving process

/// The `ctmux` binary next to the test executable's `deps` dir, if it has been built.
fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("ctmux");
    path.is_file().then_some(path)
}

#[test]
fn kill_9_while_saving_never_leaves_an_unreadable_file() {
    let Some(bin) = binary() else {
        eprintln!("SKIPPED kill_9: no ctmux binary; run `cargo build -p ctmux-cli` first");
        return;
    };
    let env = Env::new();
    let s = env.session("crash");
    for i in 0..5 {
        let p = s.pane_create(Some(&format!("p{i}"))).unwrap();
        env.client
            .tmux(&["select-layout", "-t", s.id(), "tiled"])
            .unwrap();
        p.run("seq 1 2000", T).unwrap();
        p.metadata_set("k", &"v".repeat(2000)).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("crash.json");
    let args = |bin: &Path| {
        let mut c = Command::new(bin);
        c.args(["--socket-path"])
            .arg(env.server.socket_path())
            .arg("--state-dir")
            .arg(env.client.state_dir().path())
            .args(["session-save", "crash"])
            .arg(&file)
            .args(["--with-contents", "--contents-lines", "2000"])
            .env_remove("CTMUX_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    // How long one save takes (median of 3), to spread the kills over it.
    let mut runs: Vec<Duration> = (0..3)
        .map(|_| {
            let t0 = Instant::now();
            assert!(args(&bin).status().unwrap().success());
            t0.elapsed()
        })
        .collect();
    runs.sort();
    let full = runs[1];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut absent, mut complete, mut finished, mut mid_write) = (0, 0, 0, 0);
    for i in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = full.mul_f64((seed % 1500) as f64 / 1000.0);
        // The first 100 kills hit a save that creates the file, the next 100 one that
        // replaces a good file.
        let replacing = i >= 100;
        if !replacing {
            let _ = std::fs::remove_file(&file);
        } else if !file.exists() {
            assert!(args(&bin).status().unwrap().success());
        }
        let mut child = args(&bin).spawn().unwrap();
        std::thread::sleep(delay);
        // Our own child, by pid: SIGKILL.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        }
        // A temp file left behind means the kill landed while the file was being written.
        for e in std::fs::read_dir(tmp.path()).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with(".ctmux-tmp-") {
                mid_write += 1;
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        match snapshot::check(&file) {
            Ok(l) => {
                assert_eq!(l.snapshot.pane_count, 6, "iteration {i}");
                complete += 1;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                assert!(!replacing, "iteration {i}: the last good file disappeared");
                absent += 1;
            }
            Err(e) => panic!("iteration {i} (delay {delay:?}): unreadable snapshot: {e}"),
        }
    }
    eprintln!(
        "kill -9 loop: 200 kills spread over 0-150% of a {full:?} save (100 creating the \
         file, 100 replacing it); {finished} saves finished first, {mid_write} kills left a \
         temp file (killed while writing); after the kill the file was absent {absent} times, \
         complete {complete} times, unreadable 0 times"
    );
    assert!(complete > 0, "no save ever completed: {full:?}");
    assert!(finished < 200, "every save finished before the kill");
}

// ---------------------------------------------------------------------------------------
// tmuxp

#[test]
fn tmuxp_workspaces_load() {
    let env = Env::new();
    env.session("keeper");
    let c = &env.client;
    let home = std::env::var("HOME").unwrap_or_default();
    let fx = fixtures();
    // (file, windows, panes per window, cwd of each window's first pane)
    type Case<'a> = (&'a str, Vec<usize>, Vec<Option<&'a str>>);
    let cases: [Case; 6] = [
        ("4-pane-split.yaml", vec![4], vec![None]),
        ("shorthands.yaml", vec![3], vec![None]),
        (
            "blank-panes.yaml",
            vec![3, 3, 3, 2],
            vec![None, None, None, None],
        ),
        (
            "start-directory.yaml",
            vec![1, 1, 1, 1, 2],
            vec![
                Some("/var"),
                Some("/var/log"),
                Some(home.as_str()),
                Some("/proc"),
                // tmuxp resolves `./` against the session's start_directory when it has one.
                Some("/var"),
            ],
        ),
        ("focus-window-and-panes.json", vec![2, 3], vec![None, None]),
        ("session-environment.yaml", vec![1], vec![None]),
    ];
    for (i, (file, windows, cwds)) in cases.iter().enumerate() {
        let path = fx.join(file);
        let loaded = snapshot::check(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(loaded.source, Source::Tmuxp, "{file}");
        let name = format!("fx{i}");
        let r = c
            .snapshot_restore(
                &path,
                &RestoreOptions {
                    name: Some(name.clone()),
                    ..RestoreOptions::default()
                },
            )
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(r.source, Source::Tmuxp);
        let got: Vec<usize> = r.windows.iter().map(|w| w.panes.len()).collect();
        assert_eq!(&got, windows, "{file}");
        let s = c.session(&name).unwrap();
        assert_eq!(
            s.pane_count().unwrap(),
            windows.iter().sum::<usize>(),
            "{file}"
        );
        let panes = s.panes().unwrap();
        for (wi, cwd) in cwds.iter().enumerate() {
            if let Some(cwd) = cwd {
                let w = &r.windows[wi];
                let id = w.panes[0].pane_id.as_deref().unwrap();
                let info = panes.iter().find(|p| p.pane_id == id).unwrap();
                assert_eq!(
                    info.cwd.trim_end_matches('/'),
                    cwd.trim_end_matches('/'),
                    "{file} window {wi}"
                );
            }
        }
    }
    // Commands ran: the 4-pane example ends in /var/log; the shorthands printed their text.
    let s = c.session("fx0").unwrap();
    let first = s.pane_str("0").unwrap();
    until("4-pane-split's first pane in /var/log", || {
        first.info().unwrap().cwd == "/var/log"
    });
    let sh = c.session("fx1").unwrap().pane_str("0").unwrap();
    until("shorthand output", || {
        sh.capture(None).unwrap().contains("you can inline")
    });
    // The session environment reached the pane.
    let e = c.session("fx5").unwrap().pane_str("0").unwrap();
    until("environment in the pane", || {
        e.capture(None).unwrap().lines().any(|l| l == "from tmuxp")
    });
    // Focus: the second window's middle pane is its active one; the first window is current.
    let r = snapshot::load(&fx.join("focus-window-and-panes.json")).unwrap();
    assert!(r.snapshot.windows[0].active && !r.snapshot.windows[1].active);
    assert!(r.snapshot.windows[1].panes[1].active);
}

#[test]
fn save_as_tmuxp_round_trips() {
    let env = Env::new();
    let s = env.session("tx");
    let tmp = tempfile::tempdir().unwrap();
    let web = s.pane_create(Some("web")).unwrap();
    web.run(&format!("cd {}", tmp.path().display()), T).unwrap();
    web.exec("sleep 5000").unwrap();
    wait_running(&web, true);
    let second = env
        .client
        .tmux(&[
            "new-window",
            "-t",
            "=tx:",
            "-n",
            "second",
            "-P",
            "-F",
            "#{pane_id}",
        ])
        .unwrap();
    // Let the new window's shell start, so tmux knows its working directory.
    s.pane_str(second.trim()).unwrap().run("true", T).unwrap();
    let file = tmp.path().join("tx.yaml");
    let r = env
        .client
        .snapshot_save(
            "tx",
            &SaveOptions {
                file: Some(file.clone()),
                format: SaveFormat::Tmuxp,
                ..SaveOptions::default()
            },
        )
        .unwrap();
    assert_eq!(r.format, SaveFormat::Tmuxp);
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.starts_with("session_name: tx\n"), "{yaml}");
    let live = env
        .client
        .snapshot_capture("tx", &CaptureOptions::default())
        .unwrap();
    let back = snapshot::check(&file).unwrap();
    assert_eq!(back.source, Source::Tmuxp);
    assert_eq!(back.snapshot.windows.len(), 2);
    for (a, b) in back.snapshot.windows.iter().zip(&live.windows) {
        assert_eq!((a.index, &a.name, &a.layout), (b.index, &b.name, &b.layout));
        assert_eq!(a.panes.len(), b.panes.len());
        for (pa, pb) in a.panes.iter().zip(&b.panes) {
            assert_eq!((&pa.cwd, &pa.command), (&pb.cwd, &pb.command));
        }
    }
    // Another YAML implementation reads it as the same structure, if one is installed.
    let py = Command::new("python3")
        .args([
            "-c",
            "import sys, yaml, json; d = yaml.safe_load(open(sys.argv[1])); \
             print(json.dumps(d))",
        ])
        .arg(&file)
        .output();
    match py {
        Ok(out) if out.status.success() => {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["session_name"], "tx");
            assert_eq!(
                v["windows"][0]["panes"][1]["shell_command"][0],
                "sleep 5000"
            );
            assert_eq!(v["windows"][1]["window_name"], "second");
        }
        _ => eprintln!("python3 with PyYAML not available: skipped the PyYAML check"),
    }
    // And it restores as a workspace.
    s.kill().unwrap();
    env.client
        .snapshot_restore(&file, &RestoreOptions::default())
        .unwrap();
    let tx = env.client.session("tx").unwrap();
    let second = tx
        .panes()
        .unwrap()
        .into_iter()
        .find(|p| p.window_index == 0 && p.index == 1)
        .unwrap();
    wait_running(&tx.pane(&second.pane_id.parse().unwrap()).unwrap(), true);
}

#[test]
fn seed_format_snapshot_restores() {
    let env = Env::new();
    env.session("keeper");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("seed.snapshot");
    std::fs::write(
        &file,
        r#"{
  "version": "3.1.0",
  "session_name": "dev-work",
  "saved_at": "2025-10-22T10:30:00Z",
  "layout": {"window_layout": "f91d,120x40,0,0{60x40,0,0,0,59x40,61,0,1}"},
  "panes": [
    {"pane_id": 0, "label": "server", "working_dir": "/tmp", "command": "bash",
     "metadata": {"role": "primary", "auto_restart": true}, "history": ["ls"], "environment": {}},
    {"pane_id": 1, "label": "tests", "working_dir": "/", "command": "sleep 600",
     "metadata": {"role": "secondary"}, "history": [], "environment": {}}
  ],
  "metadata": {"group": "microservices"}
}"#,
    )
    .unwrap();
    let r = env
        .client
        .snapshot_restore(&file, &RestoreOptions::default())
        .unwrap();
    assert_eq!(r.source, Source::Seed);
    assert_eq!(r.commands.len(), 1, "a shell name is not a command");
    let s = env.client.session("dev-work").unwrap();
    let server = s.pane_find("server").unwrap();
    assert_eq!(server.metadata_get("auto_restart").unwrap(), "true");
    assert_eq!(server.info().unwrap().cwd, "/tmp");
    wait_running(&s.pane_find("tests").unwrap(), true);
}

// ---------------------------------------------------------------------------------------
// CLI

fn cli(env: &Env, args: &[&str]) -> (i32, Value) {
    let mut argv: Vec<OsString> = vec![
        "ctmux".into(),
        "--socket-path".into(),
        env.server.socket_path().into(),
        "--state-dir".into(),
        env.client.state_dir().path().into(),
    ];
    argv.extend(args.iter().map(OsString::from));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(argv, &mut out, &mut err);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches('\n').count(), 1, "one line: {text:?}");
    (code, serde_json::from_str(&text).unwrap())
}

#[test]
fn cli_commands_and_json() {
    let env = Env::new();
    let s = env.session("api");
    s.pane_create(Some("web")).unwrap();
    let (code, v) = cli(&env, &["session-save", "api"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success");
    assert_eq!(v["command"], "session-save");
    assert_eq!(v["session"], "api");
    assert_eq!(
        (v["windows"].as_u64(), v["panes"].as_u64()),
        (Some(1), Some(2))
    );
    let file = v["file"].as_str().unwrap().to_owned();
    assert!(Path::new(&file).is_file());
    let (code, v) = cli(&env, &["session-snapshots"]);
    assert_eq!(code, 0);
    assert_eq!(v["count"], 1);
    assert_eq!(v["snapshots"][0]["file"], file.as_str());
    assert_eq!(v["snapshots"][0]["panes"], 2);
    assert!(v["snapshots"][0]["bytes"].as_u64().unwrap() > 0);
    let (code, v) = cli(&env, &["session-snapshots", "api"]);
    assert_eq!((code, v["count"].as_u64()), (0, Some(1)));
    let (code, v) = cli(&env, &["session-restore", &file]);
    assert_eq!(
        (code, v["kind"].as_str()),
        (1, Some("AlreadyExists")),
        "{v}"
    );
    let (code, v) = cli(
        &env,
        &["session-restore", &file, "--name", "api2", "--dry-run"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["session"], "api2");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["windows"][0]["panes"][1]["label"], "web");
    let (code, v) = cli(
        &env,
        &["session-restore", &file, "--name", "api2", "--no-exec"],
    );
    assert_eq!(code, 0, "{v}");
    assert!(v["session_id"].as_str().unwrap().starts_with('$'));
    let (code, v) = cli(&env, &["session-restore", &file, "--replace"]);
    assert_eq!((code, v["replaced"].as_bool()), (0, Some(true)), "{v}");
    let tmp = tempfile::tempdir().unwrap();
    let y = tmp.path().join("api.yaml");
    let (code, v) = cli(
        &env,
        &[
            "session-save",
            "api",
            y.to_str().unwrap(),
            "--format",
            "tmuxp",
        ],
    );
    assert_eq!((code, v["format"].as_str()), (0, Some("tmuxp")), "{v}");
    let (code, v) = cli(&env, &["session-snapshot-retention"]);
    assert_eq!((code, v["keep_last"].as_u64()), (0, Some(10)), "{v}");
    let (code, v) = cli(
        &env,
        &[
            "session-snapshot-retention",
            "--keep-last",
            "4",
            "--max-age",
            "7d",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["keep_last"].as_u64(), v["max_age_seconds"].as_u64()),
        (Some(4), Some(604_800))
    );
    let (code, v) = cli(&env, &["session-snapshot-retention", "--no-max-age"]);
    assert_eq!(
        (
            code,
            v["max_age_seconds"].is_null(),
            v["keep_last"].as_u64()
        ),
        (0, true, Some(4))
    );
    let (code, v) = cli(&env, &["session-snapshot-prune", "api", "--dry-run"]);
    assert_eq!(
        (code, v["pruned"].as_array().map(Vec::len)),
        (0, Some(0)),
        "{v}"
    );
    let (code, v) = cli(&env, &["session-snapshot-delete", &file]);
    assert_eq!((code, v["file"].as_str()), (0, Some(file.as_str())), "{v}");
    // Errors and usage errors.
    for (args, code, kind) in [
        (
            vec!["session-snapshot-delete", file.as_str()],
            1,
            "NotFound",
        ),
        (vec!["session-restore", "/no/such/file.json"], 1, "NotFound"),
        (vec!["session-save", "nope"], 1, "NotFound"),
        (
            vec!["session-save", "api", "--contents-lines", "5"],
            2,
            "InvalidInput",
        ),
        (
            vec!["session-save", "api", "--format", "xml"],
            2,
            "InvalidInput",
        ),
        (
            vec!["session-snapshot-retention", "--keep-last", "0"],
            2,
            "InvalidInput",
        ),
        (
            vec!["session-snapshot-retention", "--max-age", "7w"],
            2,
            "InvalidInput",
        ),
        (vec!["session-restore"], 2, "InvalidInput"),
    ] {
        let (c, v) = cli(&env, &args);
        assert_eq!((c, v["kind"].as_str()), (code, Some(kind)), "{args:?}: {v}");
        assert_eq!(v["status"], "error");
    }
    let (_, v) = cli(&env, &["session-restore", tmp.path().to_str().unwrap()]);
    assert_eq!(v["kind"], "InvalidInput");
}

#[test]
fn session_without_server_or_with_odd_names() {
    let env = Env::new();
    // No server yet: a save is NotFound, a restore starts the server.
    let e = env
        .client
        .snapshot_save("x", &SaveOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let mut snap = Snapshot::new("ünï sp/ace");
    snap.windows.push(snapshot::WindowSnapshot {
        index: 2,
        name: "w ✓".into(),
        automatic_rename: false,
        active: true,
        zoomed: false,
        layout: None,
        width: Some(90),
        height: Some(20),
        panes: vec![snapshot::PaneSnapshot {
            label: Some("lbl".into()),
            cwd: Some("/".into()),
            ..Default::default()
        }],
    });
    let r = env
        .client
        .snapshot_restore_from(snap, &RestoreOptions::default())
        .unwrap();
    assert_eq!(r.session, "ünï sp/ace");
    let saved = env
        .client
        .snapshot_save("ünï sp/ace", &SaveOptions::default())
        .unwrap();
    let back = snapshot::load(&saved.file).unwrap().snapshot;
    assert_eq!(back.windows[0].index, 2);
    assert_eq!(back.windows[0].name, "w ✓");
    assert_eq!(
        (back.windows[0].width, back.windows[0].height),
        (Some(90), Some(20))
    );
    assert_eq!(
        env.client.snapshot_list(Some("ünï sp/ace")).unwrap().len(),
        1
    );
    let _ = SessionOptions::default();
}

/// A snapshot of `windows` x `panes` panes, each pane's command touching `<dir>/<w>-<p>`.
fn touching_snapshot(name: &str, windows: u32, panes: u32, dir: &Path) -> Snapshot {
    let mut snap = Snapshot::new(name);
    for w in 0..windows {
        snap.windows.push(snapshot::WindowSnapshot {
            index: w,
            name: format!("w{w}"),
            automatic_rename: false,
            active: w == 0,
            zoomed: false,
            layout: None,
            width: Some(240),
            height: Some(80),
            panes: (0..panes)
                .map(|p| snapshot::PaneSnapshot {
                    index: p,
                    active: p == 0,
                    command: Some(format!("touch '{}/{w}-{p}'", dir.display())),
                    ..Default::default()
                })
                .collect(),
        });
    }
    snap
}

/// Wait (bounded) until `n` files exist in `dir`.
fn wait_files(dir: &Path, n: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let have = std::fs::read_dir(dir).unwrap().count();
        if have >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{have} of {n} commands ran");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// 40 panes whose shell takes 3 s to start: the restore waits for all of them together (one
/// listing per poll) and succeeds, each command runs once its shell is ready.
#[test]
fn restore_waits_for_slow_shells_together() {
    let env = Env::new();
    // The option needs a running server: start one with a placeholder session.
    env.session("placeholder");
    env.client
        .tmux(&[
            "set-option",
            "-g",
            "default-command",
            "sleep 3; exec env PS1='$ ' /bin/bash --noprofile --norc -i",
        ])
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let r = env
        .client
        .snapshot_restore_from(
            touching_snapshot("slow", 4, 10, out.path()),
            &RestoreOptions::default(),
        )
        .unwrap();
    eprintln!(
        "40 panes with a 3 s shell start restored in {:?}",
        t.elapsed()
    );
    assert_eq!(r.commands.len(), 40);
    wait_files(out.path(), 40, Duration::from_secs(60));
}

/// 256 panes in 16 windows restore on a 2-core machine, every command started.
#[test]
fn restore_of_256_panes() {
    let env = Env::new();
    let out = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let r = env
        .client
        .snapshot_restore_from(
            touching_snapshot("many", 16, 16, out.path()),
            &RestoreOptions::default(),
        )
        .unwrap();
    eprintln!("256 panes restored in {:?}", t.elapsed());
    assert_eq!(r.commands.len(), 256);
    wait_files(out.path(), 256, Duration::from_secs(120));
}
