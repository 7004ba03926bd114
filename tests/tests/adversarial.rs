//! Adversarial input: no user value is ever expanded or executed by tmux.
//!
//! A corpus of values tmux would read as formats (`#(cmd)` runs `cmd`), command separators or
//! shell syntax goes through every place a user string reaches tmux: session names, labels,
//! directories, metadata, a snapshot's session/window names, pane cwds, labels, metadata and
//! environment, a tmuxp file's names and directories, and a group member started by
//! `group-up`, through the Rust API and the CLI. Each value is either refused with
//! InvalidInput (and nothing is created) or held by tmux exactly as ctmux reports it; the
//! sentinel files the `#(touch ...)` values would create never appear.

use ctmux_core::snapshot::{PaneSnapshot, Snapshot, WindowSnapshot};
use ctmux_core::{Ctmux, ErrorKind, IsolatedServer, RestoreOptions, SessionOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The corpus: each value carries `SENTINEL` where a command would create a file.
const CORPUS: &[&str] = &[
    "a#(touch SENTINEL)b",
    "#(touch SENTINEL)",
    "a#{pane_pid}b",
    "#{session_id}",
    "a#[fg=red]b",
    "a##b",
    "a#b",
    "#",
    "a#",
    "a\\;b",
    "a;",
    "a;b",
    ";x",
    "a$(touch SENTINEL)b",
    "a`touch SENTINEL`b",
    "a%H%%b",
    "a'b\"c",
    "a\nb",
    "é ü 日本",
];

struct Lab {
    server: IsolatedServer,
    client: Ctmux,
    state: PathBuf,
    sentinels: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let server = IsolatedServer::start().expect("isolated server");
        let state = server.dir().join("state");
        let client = server.client_with_state_dir(&state).expect("client");
        client
            .session_create("keeper", &SessionOptions::default())
            .expect("keeper");
        let sentinels = server.dir().join("sentinels");
        std::fs::create_dir(&sentinels).unwrap();
        Lab {
            server,
            client,
            state,
            sentinels,
        }
    }

    /// The corpus with each sentinel path filled in (a file of its own per value and use).
    fn corpus(&self, use_: &str) -> Vec<String> {
        CORPUS
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let path = self.sentinels.join(format!("{use_}-{i}"));
                v.replace("SENTINEL", &path.display().to_string())
            })
            .collect()
    }

    fn cli(&self, args: &[&str]) -> (i32, Value) {
        crate::common::cli_json(self.server.socket_path(), &self.state, args)
    }

    /// Raw tmux, bypassing ctmux: what the server really holds.
    fn held(&self, args: &[&str]) -> Vec<String> {
        let out = self
            .server
            .server()
            .command(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn session_names(&self) -> Vec<String> {
        // `#{q:...}` would escape; a plain name per line is enough since no accepted name
        // holds a newline (they are refused as control characters).
        self.held(&["list-sessions", "-F", "#{session_name}"])
    }

    fn assert_no_sentinel(&self) {
        // `#(...)` jobs run in the background: give them time to have run.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let made: Vec<_> = std::fs::read_dir(&self.sentinels)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(made.is_empty(), "tmux ran a user value: {made:?}");
    }
}

/// A directory named `value` (with `/` replaced, which no file name can hold) under `root`;
/// `None` when the file system refuses the name.
fn dir_named(root: &Path, value: &str) -> Option<PathBuf> {
    let d = root.join(value.replace('/', "_"));
    std::fs::create_dir_all(&d).ok().map(|_| d)
}

#[test]
fn session_names_labels_cwds_and_metadata_round_trip_through_the_api() {
    let lab = Lab::new();
    let dirs = lab.server.dir().join("dirs");
    for (i, value) in lab.corpus("api").iter().enumerate() {
        match lab.client.session_create(value, &SessionOptions::default()) {
            Ok(s) => {
                assert_eq!(s.name().as_str(), value);
                assert!(
                    lab.session_names().contains(value),
                    "{value:?} not held as such: {:?}",
                    lab.session_names()
                );
                s.kill().unwrap();
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{value:?}: {e}"),
        }
        let name = format!("s{i}");
        let cwd = dir_named(&dirs, value);
        let opts = SessionOptions {
            cwd: cwd.clone(),
            size: None,
        };
        let s = match lab.client.session_create(&name, &opts) {
            Ok(s) => s,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "cwd {value:?}: {e}");
                lab.client
                    .session_create(&name, &SessionOptions::default())
                    .unwrap()
            }
        };
        if let Some(cwd) = &cwd {
            if value.chars().all(|c| !c.is_control()) {
                let held = lab.held(&["list-panes", "-t", &name, "-F", "#{pane_start_path}"]);
                let held_cwd =
                    lab.held(&["display-message", "-p", "-t", &name, "#{pane_current_path}"]);
                assert!(
                    held_cwd.first().map(String::as_str) == Some(&*cwd.display().to_string())
                        || held.first().map(String::as_str) == Some(&*cwd.display().to_string()),
                    "cwd {cwd:?}: tmux holds {held:?} / {held_cwd:?}"
                );
            }
        }
        let pane = s.pane_str("0").unwrap();
        pane.metadata_set("k", value).unwrap();
        assert_eq!(&pane.metadata_get("k").unwrap(), value);
        match s.pane_create(Some(value)) {
            Ok(p) => assert_eq!(p.label().unwrap().as_deref(), Some(value.as_str())),
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "label {value:?}: {e}"),
        }
        s.kill().unwrap();
    }
    lab.assert_no_sentinel();
}

#[test]
fn cli_names_labels_metadata_and_group_members_stay_literal() {
    let lab = Lab::new();
    for (i, value) in lab.corpus("cli").iter().enumerate() {
        let (code, v) = lab.cli(&["session-create", value]);
        if code == 0 {
            assert_eq!(v["session"], value.as_str(), "{v}");
            assert!(lab.session_names().contains(value), "{value:?}");
            let (code, v) = lab.cli(&["session-list"]);
            assert_eq!(code, 0);
            let names: Vec<&str> = v["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s["name"].as_str())
                .collect();
            assert!(names.contains(&value.as_str()), "{value:?} in {names:?}");
            assert_eq!(lab.cli(&["session-kill", value]).0, 0);
        } else {
            assert_eq!((code, v["kind"].as_str()), (1, Some("InvalidInput")), "{v}");
        }
        let name = format!("c{i}");
        assert_eq!(lab.cli(&["session-create", &name]).0, 0);
        let (code, v) = lab.cli(&["pane-create", &name, value]);
        if code != 0 {
            assert_eq!(v["kind"], "InvalidInput", "{v}");
        }
        let (code, v) = lab.cli(&["pane-metadata-set", &name, "0", "k", value]);
        assert_eq!(code, 0, "{v}");
        let (_, v) = lab.cli(&["pane-metadata-get", &name, "0", "k"]);
        assert_eq!(v["value"], value.as_str(), "{v}");

        // A group member named by the value, started by group-up.
        let group = format!("g{i}");
        assert_eq!(lab.cli(&["group-create", &group]).0, 0);
        let (code, v) = lab.cli(&["group-add", &group, value, "--command", "true"]);
        if code == 0 {
            let (code, v) = lab.cli(&["group-up", &group, "--timeout", "20"]);
            assert_eq!(code, 0, "group-up {value:?}: {v}");
            assert!(
                lab.session_names().contains(value),
                "group-up made {:?} for {value:?}",
                lab.session_names()
            );
            lab.cli(&["session-kill", value]);
        } else {
            assert_eq!(v["kind"], "InvalidInput", "{v}");
        }
        lab.cli(&["session-kill", &name]);
    }
    lab.assert_no_sentinel();
}

fn snapshot_of(session: &str, value: &str, cwd: Option<&Path>) -> Snapshot {
    let mut snap = Snapshot::new(session);
    snap.environment.insert("CTMUX_ADV".into(), value.into());
    let mut metadata = BTreeMap::new();
    metadata.insert("k".into(), value.into());
    snap.windows.push(WindowSnapshot {
        index: 0,
        name: value.into(),
        automatic_rename: false,
        active: true,
        zoomed: false,
        layout: None,
        width: None,
        height: None,
        panes: vec![
            PaneSnapshot {
                index: 0,
                active: true,
                cwd: cwd.map(|c| c.display().to_string()),
                metadata,
                ..Default::default()
            },
            PaneSnapshot {
                index: 1,
                label: Some(value.into()),
                cwd: cwd.map(|c| c.display().to_string()),
                ..Default::default()
            },
        ],
    });
    snap.update_counts();
    snap
}

#[test]
fn snapshot_and_tmuxp_fields_stay_literal_with_and_without_exec() {
    let lab = Lab::new();
    let dirs = lab.server.dir().join("dirs");
    let files = lab.server.dir().join("files");
    std::fs::create_dir_all(&files).unwrap();
    'values: for (i, value) in lab.corpus("snap").iter().enumerate() {
        let cwd = dir_named(&dirs, value).filter(|_| !value.contains('\n'));
        // A value refused as a session name (Corrupt, naming the field) still goes through
        // every other field under a plain session name.
        let session = if ctmux_core::SessionName::new(value).is_ok() {
            value.clone()
        } else {
            format!("n{i}")
        };
        for name in [value.as_str(), session.as_str()] {
            let file = files.join(format!("{i}.json"));
            std::fs::write(
                &file,
                serde_json::to_vec(&snapshot_of(name, value, cwd.as_deref())).unwrap(),
            )
            .unwrap();
            let f = file.display().to_string();
            // A dry run lists every value it would pass to tmux, and creates nothing.
            let before = lab.session_names();
            let (code, dry) = lab.cli(&["session-restore", &f, "--dry-run"]);
            assert_eq!(lab.session_names(), before, "a dry run created something");
            if name != session {
                assert_eq!((code, dry["kind"].as_str()), (1, Some("Corrupt")), "{dry}");
                assert!(
                    dry["error"].as_str().unwrap().contains("session_name"),
                    "{dry}"
                );
                continue;
            }
            if value.chars().any(char::is_control) {
                // Refused naming the field (a window name cannot hold a newline).
                assert_eq!((code, dry["kind"].as_str()), (1, Some("Corrupt")), "{dry}");
                continue 'values;
            }
            assert_eq!(code, 0, "{dry}");
            // Each field that reaches tmux is listed with the value it would get.
            let v = Value::String(value.clone());
            assert_eq!(dry["session"], Value::String(session.clone()), "{dry}");
            assert_eq!(dry["environment"]["CTMUX_ADV"], v, "{dry}");
            assert_eq!(dry["windows"][0]["name"], v, "{dry}");
            assert_eq!(dry["windows"][0]["panes"][0]["metadata"]["k"], v, "{dry}");
            assert_eq!(dry["windows"][0]["panes"][1]["label"], v, "{dry}");
            if let Some(c) = &cwd {
                let c = Value::String(c.display().to_string());
                assert_eq!(dry["windows"][0]["panes"][0]["cwd"], c, "{dry}");
            }
        }
        let file = files.join(format!("{i}.json"));
        for no_exec in [true, false] {
            let opts = RestoreOptions {
                no_exec,
                ..Default::default()
            };
            let report = lab
                .client
                .snapshot_restore(&file, &opts)
                .unwrap_or_else(|e| panic!("restore of {value:?}: {e}"));
            assert_eq!(report.session, session);
            assert!(lab.session_names().contains(&session), "{session:?}");
            let windows = lab.held(&[
                "list-windows",
                "-t",
                &report.session_id.clone().unwrap(),
                "-F",
                "#{window_name}",
            ]);
            assert_eq!(
                windows,
                std::slice::from_ref(value),
                "window name of {value:?}"
            );
            let s = lab.client.session(&session).unwrap();
            if let Some(cwd) = &cwd {
                let paths = lab.held(&[
                    "list-panes",
                    "-t",
                    &report.session_id.clone().unwrap(),
                    "-F",
                    "#{pane_start_path}",
                ]);
                let want = cwd.display().to_string();
                assert!(
                    paths.iter().all(|p| *p == want),
                    "cwds of {value:?}: {paths:?}"
                );
            }
            let env = lab.held(&[
                "show-environment",
                "-t",
                &report.session_id.clone().unwrap(),
                "CTMUX_ADV",
            ]);
            assert_eq!(env, [format!("CTMUX_ADV={value}")], "env of {value:?}");
            let p0 = s.pane_str("0").unwrap();
            assert_eq!(&p0.metadata_get("k").unwrap(), value);
            s.kill().unwrap();
        }

        // The same names and directory in a tmuxp file.
        let yaml = files.join(format!("{i}.yaml"));
        let doc = serde_json::json!({
            "session_name": format!("t{i}"),
            "windows": [{
                "window_name": value,
                "start_directory": cwd.as_ref().map(|c| c.display().to_string()),
                "panes": [null],
            }],
        });
        std::fs::write(&yaml, serde_json::to_string(&doc).unwrap()).unwrap();
        let report = lab
            .client
            .snapshot_restore(&yaml, &RestoreOptions::default())
            .unwrap_or_else(|e| panic!("tmuxp restore of {value:?}: {e}"));
        let sid = report.session_id.clone().unwrap();
        let windows = lab.held(&["list-windows", "-t", &sid, "-F", "#{window_name}"]);
        assert_eq!(windows, std::slice::from_ref(value), "tmuxp window name");
        if let Some(cwd) = &cwd {
            let paths = lab.held(&["list-panes", "-t", &sid, "-F", "#{pane_start_path}"]);
            assert_eq!(paths, [cwd.display().to_string()], "tmuxp start_directory");
        }
        lab.client
            .session(&format!("t{i}"))
            .unwrap()
            .kill()
            .unwrap();
    }
    lab.assert_no_sentinel();
}

#[test]
fn a_live_cwd_with_a_format_is_saved_and_restored_literally() {
    let lab = Lab::new();
    let sentinel = lab.sentinels.join("live");
    // A file name cannot hold '/': the command spells the sentinel's path with printf.
    let spelled = sentinel.display().to_string().replace('/', "\\057");
    let dir = lab
        .server
        .dir()
        .join(format!("w#(touch \"$(printf '{spelled}')\")x"));
    std::fs::create_dir_all(&dir).unwrap();
    let s = lab
        .client
        .session_create(
            "live",
            &SessionOptions {
                cwd: Some(dir.clone()),
                size: None,
            },
        )
        .unwrap();
    let saved = lab
        .client
        .snapshot_save("live", &Default::default())
        .unwrap();
    s.kill().unwrap();
    let report = lab
        .client
        .snapshot_restore(&saved.file, &RestoreOptions::default())
        .unwrap();
    let paths = lab.held(&[
        "list-panes",
        "-t",
        &report.session_id.unwrap(),
        "-F",
        "#{pane_start_path}",
    ]);
    assert_eq!(paths, [dir.display().to_string()]);
    lab.assert_no_sentinel();
}
