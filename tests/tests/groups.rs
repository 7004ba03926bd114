//! Session groups end to end: the groups file, members that are missing, group-exec,
//! group-kill, group-up, cross-session queries, concurrent writers from 8 processes, a
//! corrupted file, and the seed's Use Case 1 translated to `ctmux` commands.

use ctmux_core::{
    Ctmux, ErrorKind, HealthState, IsolatedServer, MemberOutcome, MemberStatus, SessionOptions,
    StartSpec,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous bound for waits in seconds, as text for CLI arguments.
pub const WAIT: &str = "30";

/// An isolated server (started through the core, so it runs the pinned shell), a core client
/// of it, and the CLI's global options for the same server and state dir.
pub struct Ctl {
    pub server: IsolatedServer,
    pub client: Ctmux,
    pub state_dir: PathBuf,
}

impl Ctl {
    pub fn new() -> Ctl {
        let server = IsolatedServer::start().expect("isolated server");
        let state_dir = server.dir().join("state");
        let client = server.client_with_state_dir(&state_dir).expect("client");
        client
            .session_create("keeper", &SessionOptions::default())
            .expect("keeper session");
        Ctl {
            server,
            client,
            state_dir,
        }
    }

    /// `ctmux --socket-path S --state-dir D ARGS...`, in-process: (exit code, JSON).
    pub fn call(&self, args: &[&str]) -> (i32, Value) {
        let mut argv: Vec<OsString> = vec![
            "ctmux".into(),
            "--socket-path".into(),
            self.server.socket_path().into(),
            "--state-dir".into(),
            self.state_dir.clone().into(),
        ];
        argv.extend(args.iter().map(OsString::from));
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = ctmux_cli::run(argv, &mut out, &mut err);
        let text = String::from_utf8(out).expect("UTF-8");
        assert_eq!(
            text.matches('\n').count(),
            1,
            "{args:?}: not one line: {text}"
        );
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"));
        (code, json)
    }

    /// A call that must succeed.
    pub fn ok(&self, args: &[&str]) -> Value {
        let (code, v) = self.call(args);
        assert_eq!(
            (code, v["status"].as_str()),
            (0, Some("success")),
            "{args:?}: {v}"
        );
        assert_eq!(v["command"], args[0], "{v}");
        v
    }

    /// A call that must fail with exit `code` and `kind`; returns the JSON.
    pub fn fails(&self, args: &[&str], code: i32, kind: &str) -> Value {
        let (c, v) = self.call(args);
        assert_eq!(
            (c, v["status"].as_str()),
            (code, Some("error")),
            "{args:?}: {v}"
        );
        assert_eq!(v["kind"], kind, "{args:?}: {v}");
        assert!(!v["error"].as_str().unwrap_or("").is_empty(), "{v}");
        v
    }

    /// The groups file's bytes, if it exists.
    pub fn file(&self) -> Option<Vec<u8>> {
        std::fs::read(self.state_dir.join("groups.json")).ok()
    }
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn help_lists_every_new_command() {
    let mut out = Vec::new();
    let code = ctmux_cli::run(
        vec!["ctmux".into(), "--help".into()],
        &mut out,
        &mut Vec::new(),
    );
    assert_eq!(code, 0);
    let help = String::from_utf8(out).unwrap();
    for cmd in [
        "group-create",
        "group-delete",
        "group-add",
        "group-remove",
        "group-list",
        "group-exec",
        "group-kill",
        "group-up",
        "session-depends",
        "session-depends-remove",
        "session-depends-list",
        "session-start-order",
        "session-health",
        "session-wait-healthy",
        "session-health-set",
        "session-health-clear",
        "sessions-list-all",
        "panes-count-global",
        "sessions-find-pattern",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}");
    }
    let mut out = Vec::new();
    ctmux_cli::run(
        vec!["ctmux".into(), "session-health-set".into(), "--help".into()],
        &mut out,
        &mut Vec::new(),
    );
    let help = String::from_utf8(out).unwrap();
    for word in [
        "--ready-pattern",
        "--ready-command",
        "--retries",
        "--start-period",
        "ERROR",
    ] {
        assert!(
            help.contains(word),
            "session-health-set --help lacks {word}"
        );
    }
}

#[test]
fn groups_crud_missing_members_and_bad_input() {
    let ctl = Ctl::new();
    let c = &ctl.client;
    assert!(c.group_list().unwrap().is_empty());
    let meta = BTreeMap::from([("owner".to_owned(), "claude".to_owned())]);
    let g = c.group_create("stack", &meta).unwrap();
    assert_eq!(g.metadata, meta);
    assert!(g.created_at.as_deref().unwrap().ends_with('Z'));
    c.session_create("db", &SessionOptions::default()).unwrap();
    c.group_add("stack", "db", None).unwrap();
    let spec = StartSpec {
        command: "sleep 100".into(),
        cwd: Some(ctl.server.dir().to_owned()),
        pane: Some("0".into()),
    };
    c.group_add("stack", "api", Some(&spec)).unwrap();
    let g = c.group("stack").unwrap();
    let status: Vec<_> = g
        .members
        .iter()
        .map(|m| (m.name.as_str(), m.status))
        .collect();
    assert_eq!(
        status,
        [("db", MemberStatus::Live), ("api", MemberStatus::Missing)]
    );
    assert_eq!(g.members[1].start.as_ref(), Some(&spec));
    assert!(g.members[0].session_id.as_deref().unwrap().starts_with('$'));

    // Bad input: each refused with the right kind, and the file is unchanged.
    let before = ctl.file().unwrap();
    let kind = |r: ctmux_core::Result<()>| r.unwrap_err().kind();
    let nobody = StartSpec::new("true");
    assert_eq!(kind(c.group_add("nope", "db", None)), ErrorKind::NotFound);
    assert_eq!(
        kind(c.group_add("nope", "x", Some(&nobody))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(c.group_add("stack", "db", None)),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(c.group_add("stack", "api", Some(&nobody))),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(c.group_add("stack", "ghost", None)),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(c.group_add("stack", "a:b", Some(&nobody))),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(c.group_add("stack", "x", Some(&StartSpec::new(" ")))),
        ErrorKind::InvalidInput
    );
    let bad_cwd = StartSpec {
        cwd: Some("/no/such/dir".into()),
        ..StartSpec::new("true")
    };
    assert_eq!(
        kind(c.group_add("stack", "x", Some(&bad_cwd))),
        ErrorKind::NotFound
    );
    let bad_pane = StartSpec {
        pane: Some("%x".into()),
        ..StartSpec::new("true")
    };
    assert_eq!(
        kind(c.group_add("stack", "x", Some(&bad_pane))),
        ErrorKind::InvalidInput
    );
    assert_eq!(kind(c.group_remove("stack", "ghost")), ErrorKind::NotFound);
    assert_eq!(kind(c.group_remove("nope", "db")), ErrorKind::NotFound);
    assert_eq!(kind(c.group_delete("nope")), ErrorKind::NotFound);
    assert_eq!(c.group("nope").unwrap_err().kind(), ErrorKind::NotFound);
    let e = c.group_create("stack", &BTreeMap::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    for bad in ["", "-x", "a\nb"] {
        let e = c.group_create(bad, &BTreeMap::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    let bad_meta = BTreeMap::from([("bad key".to_owned(), "v".to_owned())]);
    let e = c.group_create("other", &bad_meta).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        ctl.file().unwrap(),
        before,
        "a refused change touched the file"
    );

    c.group_remove("stack", "api").unwrap();
    assert_eq!(c.group("stack").unwrap().members.len(), 1);
    c.group_delete("stack").unwrap();
    assert!(c.group_list().unwrap().is_empty());
    // Deleting a group leaves its sessions alone.
    assert!(c.session("db").is_ok());
}

#[test]
fn cli_group_commands() {
    let ctl = Ctl::new();
    let v = ctl.ok(&[
        "group-create",
        "web",
        "--meta",
        "owner=team a",
        "--meta",
        "tier=2",
    ]);
    assert_eq!(v["group"], "web");
    assert_eq!(v["metadata"], json!({"owner": "team a", "tier": "2"}));
    ctl.fails(&["group-create", "web"], 1, "AlreadyExists");
    ctl.fails(
        &["group-create", "x", "--meta", "novalue"],
        2,
        "InvalidInput",
    );
    ctl.fails(
        &["group-add", "web", "s", "--cwd", "/tmp"],
        2,
        "InvalidInput",
    );
    ctl.ok(&["session-create", "front"]);
    let v = ctl.ok(&["group-add", "web", "front"]);
    assert_eq!(
        (v["session"].as_str(), &v["start"]),
        (Some("front"), &Value::Null)
    );
    let v = ctl.ok(&[
        "group-add",
        "web",
        "back",
        "--command",
        "sleep 100",
        "--pane",
        "0",
    ]);
    assert_eq!(v["start"], json!({"command": "sleep 100", "pane": "0"}));
    ctl.fails(&["group-add", "web", "front"], 1, "AlreadyExists");
    ctl.fails(&["group-add", "web", "ghost"], 1, "NotFound");
    ctl.fails(&["group-add", "nope", "front"], 1, "NotFound");
    let v = ctl.ok(&["group-list", "web"]);
    let members = v["members"].as_array().unwrap();
    assert_eq!(members[0]["status"], "live");
    assert_eq!(members[1]["status"], "missing");
    assert_eq!(members[1]["start"]["command"], "sleep 100");
    let v = ctl.ok(&["group-list"]);
    assert_eq!(v["groups"][0]["name"], "web");
    ctl.fails(&["group-list", "nope"], 1, "NotFound");
    ctl.ok(&["group-remove", "web", "back"]);
    ctl.fails(&["group-remove", "web", "back"], 1, "NotFound");
    ctl.ok(&["group-delete", "web"]);
    ctl.fails(&["group-delete", "web"], 1, "NotFound");
    assert_eq!(ctl.ok(&["group-list"])["groups"], json!([]));
}

#[test]
fn group_exec_and_kill_report_per_member() {
    let ctl = Ctl::new();
    let c = &ctl.client;
    c.group_create("g", &BTreeMap::new()).unwrap();
    for s in ["a", "b", "c"] {
        c.session_create(s, &SessionOptions::default()).unwrap();
        c.group_add("g", s, None).unwrap();
    }
    c.group_add("g", "gone", Some(&StartSpec::new("true")))
        .unwrap();
    // b is busy with a job: its result is an error, the others run.
    c.session("b")
        .unwrap()
        .pane_str("0")
        .unwrap()
        .exec("sleep 30")
        .unwrap();
    crate::common::wait_running(&c.session("b").unwrap().pane_str("0").unwrap(), true);
    let v = ctl.ok(&[
        "group-exec",
        "g",
        "echo \"in $PWD\"; sh -c 'exit 4'",
        "--wait",
        "--timeout",
        WAIT,
    ]);
    assert_eq!(
        (v["missing"].as_u64(), v["errors"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    let r: BTreeMap<String, Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["session"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    assert_eq!(r["a"]["status"], "ok");
    assert_eq!(r["a"]["exit_code"], 4);
    assert_eq!(r["c"]["exit_code"], 4);
    assert!(
        r["a"]["output"].as_str().unwrap().starts_with("in "),
        "{}",
        r["a"]
    );
    assert_eq!(
        (r["b"]["status"].as_str(), r["b"]["kind"].as_str()),
        (Some("error"), Some("Busy"))
    );
    assert_eq!(r["gone"]["status"], "missing");
    // Without --wait: exec ids at once; a pane label that does not exist is a member error.
    let res = c
        .group_exec("g", "true", Some("nolabel"), false, None)
        .unwrap();
    assert!(res
        .iter()
        .filter(|m| m.session != "gone")
        .all(|m| m.status == MemberOutcome::Error && m.kind == Some("NotFound")));
    assert_eq!(
        c.group_exec("g", " ", None, false, None)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        c.group_exec("nope", "true", None, false, None)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    let v = ctl.ok(&["group-kill", "g"]);
    let st: Vec<(&str, &str)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["session"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        st,
        [
            ("a", "killed"),
            ("b", "killed"),
            ("c", "killed"),
            ("gone", "missing")
        ]
    );
    let members = c.group("g").unwrap().members;
    assert!(members.iter().all(|m| m.status == MemberStatus::Missing));
    assert!(
        c.session("keeper").is_ok(),
        "group-kill touched a non-member"
    );
    ctl.fails(&["group-kill", "nope"], 1, "NotFound");
}

#[test]
fn cross_session_queries() {
    let ctl = Ctl::new();
    let c = &ctl.client;
    for s in ["api", "db"] {
        c.session_create(s, &SessionOptions::default()).unwrap();
    }
    let api = c.session("api").unwrap();
    let web = api.pane_create(Some("web")).unwrap();
    web.run(
        "echo 'ERROR: upstream timeout'; echo fine",
        crate::common::T,
    )
    .unwrap();
    c.session("db")
        .unwrap()
        .pane_str("0")
        .unwrap()
        .run("printf 'errors: 0\\nERROR in replica\\n'", crate::common::T)
        .unwrap();
    c.group_create("g", &BTreeMap::new()).unwrap();
    c.group_add("g", "api", None).unwrap();
    c.group_add("g", "later", Some(&StartSpec::new("true")))
        .unwrap();
    c.session_depends("api", "db").unwrap();

    let v = ctl.ok(&["panes-count-global"]);
    assert_eq!(
        (v["count"].as_u64(), v["session_count"].as_u64()),
        (Some(4), Some(3))
    );

    let v = ctl.ok(&["sessions-find-pattern", r"\bERROR\b"]);
    let found: Vec<&str> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["api", "db"], "{v}");
    let api_panes = v["sessions"][0]["panes"].as_array().unwrap();
    assert_eq!(api_panes.len(), 1);
    assert_eq!(api_panes[0]["pane_id"], web.id().to_string());
    assert_eq!(api_panes[0]["label"], "web");
    assert_eq!(api_panes[0]["lines"], json!(["ERROR: upstream timeout"]));
    assert_eq!(v["match_count"], 2);
    assert_eq!(
        ctl.ok(&["sessions-find-pattern", "^never here$"])["sessions"],
        json!([])
    );
    ctl.fails(&["sessions-find-pattern", "("], 1, "InvalidInput");

    let all = c.sessions_list_all().unwrap();
    let by: BTreeMap<&str, _> = all.sessions.iter().map(|s| (s.name.as_str(), s)).collect();
    assert_eq!(by.len(), 3);
    assert_eq!(by["api"].panes.len(), 2);
    assert_eq!(by["api"].groups, ["g"]);
    assert_eq!(by["api"].depends_on, ["db"]);
    assert_eq!(by["api"].health, HealthState::Degraded);
    assert_eq!(by["db"].health, HealthState::Degraded);
    assert_eq!(by["keeper"].health, HealthState::Healthy);
    assert_eq!(all.missing.len(), 1);
    assert_eq!(
        (all.missing[0].name.as_str(), &all.missing[0].groups[..]),
        ("later", &["g".to_owned()][..])
    );
    let v = ctl.ok(&["sessions-list-all"]);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 3);
    assert!(v["sessions"][0]["panes"].is_array());
    assert_eq!(v["missing"][0]["name"], "later");
}

#[test]
fn queries_without_a_server_are_empty() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        ctmux_core::Server::new(ctmux_core::Socket::Path(dir.path().join("none.sock"))).unwrap();
    let c = Ctmux::builder()
        .server(server)
        .state_dir(dir.path().join("s"))
        .build()
        .unwrap();
    assert!(c.sessions_list_all().unwrap().sessions.is_empty());
    assert_eq!(c.panes_count_global().unwrap().pane_count, 0);
    assert!(c.sessions_find_pattern("x", None).unwrap().is_empty());
    assert_eq!(
        c.session_health("x").unwrap().health,
        HealthState::Unhealthy
    );
    assert!(!dir.path().join("none.sock").exists());
}

#[test]
fn corrupted_or_newer_groups_file_is_reported_and_left_alone() {
    let ctl = Ctl::new();
    let path = ctl.state_dir.join("groups.json");
    let garbage = b"{\"groups\": {\"g\": {\"sessions\": [\"a\"]";
    for content in [&garbage[..], b"{\"version\": 2, \"groups\": {}}", b"[1, 2]"] {
        std::fs::write(&path, content).unwrap();
        let c = &ctl.client;
        let errors = [
            c.group_list().map(|_| ()),
            c.group_create("h", &BTreeMap::new()).map(|_| ()),
            c.group_add("g", "a", Some(&StartSpec::new("true"))),
            c.session_depends("a", "b"),
            c.session_health("keeper").map(|_| ()),
            c.session_health_set("a", &Default::default()),
            c.sessions_list_all().map(|_| ()),
            c.start_order(None).map(|_| ()),
            c.group_up("g", Duration::from_secs(1)).map(|_| ()),
        ];
        for e in errors {
            let e = e.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
        let v = ctl.fails(&["group-add", "g", "a", "--command", "true"], 1, "Corrupt");
        assert!(v["error"].as_str().unwrap().contains("groups.json"), "{v}");
        ctl.fails(&["session-depends", "a", "b"], 1, "Corrupt");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            content,
            "the file was overwritten"
        );
    }
    let e = {
        std::fs::write(&path, b"{\"version\": 9}").unwrap();
        ctl.client.group_list().unwrap_err()
    };
    assert!(e.to_string().contains("newer ctmux"), "{e}");
}

#[test]
fn seed_format_files_are_read_and_upgraded() {
    let ctl = Ctl::new();
    let seed = json!({
        "groups": {"microservices": {"created_at": "2025-10-22T10:00:00Z",
            "sessions": ["api", "database", "cache"],
            "metadata": {"owner": "claude", "purpose": "dev-environment"}}},
        "dependencies": {"api": ["database", "cache"], "frontend": ["api"]}
    });
    std::fs::write(ctl.state_dir.join("groups.json"), seed.to_string()).unwrap();
    let g = ctl.client.group("microservices").unwrap();
    assert_eq!(g.members.len(), 3);
    assert!(g.members.iter().all(|m| m.status == MemberStatus::Missing));
    assert_eq!(g.metadata["purpose"], "dev-environment");
    assert_eq!(
        ctl.client.start_order(Some("microservices")).unwrap(),
        ["database", "cache", "api"]
    );
    ctl.client.session_depends("cache", "database").unwrap();
    let v: Value = serde_json::from_slice(&ctl.file().unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["groups"]["microservices"]["created_at"],
        "2025-10-22T10:00:00Z"
    );
    assert_eq!(v["dependencies"]["frontend"], json!(["api"]));
}

// ---------------------------------------------------------------------------------------
// 8 processes x 50 members at once

const WRITER_ENV: &str = "CTMUX_TEST_GROUP_WRITER";
const WRITERS: usize = 8;
const PER_WRITER: usize = 50;

/// Not a test of its own: the body of each writer process of
/// `eight_processes_add_400_members_without_losing_one` (this test binary runs itself with
/// `CTMUX_TEST_GROUP_WRITER` set). Without that variable it does nothing.
#[test]
fn group_writer_child() {
    let Ok(spec) = std::env::var(WRITER_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('\n').collect();
    let [state, socket, go, prefix] = parts[..] else {
        panic!("bad {WRITER_ENV}: {spec:?}");
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !Path::new(go).exists() {
        assert!(Instant::now() < deadline, "never told to go");
        std::thread::sleep(Duration::from_millis(1));
    }
    for i in 0..PER_WRITER {
        let name = format!("{prefix}-{i:02}");
        let argv: Vec<OsString> = [
            "ctmux",
            "--socket-path",
            socket,
            "--state-dir",
            state,
            "group-add",
            "crowd",
            &name,
            "--command",
            "true",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let mut out = Vec::new();
        let code = ctmux_cli::run(argv, &mut out, &mut Vec::new());
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    }
}

#[test]
fn eight_processes_add_400_members_without_losing_one() {
    let ctl = Ctl::new();
    ctl.ok(&["group-create", "crowd"]);
    let go = ctl.server.dir().join("go");
    let exe = std::env::current_exe().unwrap();
    let mut children = Vec::new();
    for w in 0..WRITERS {
        let spec = format!(
            "{}\n{}\n{}\nw{w}",
            ctl.state_dir.display(),
            ctl.server.socket_path().display(),
            go.display()
        );
        let child = Command::new(&exe)
            .args([
                "groups::group_writer_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_ENV, spec)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push(child);
    }
    std::fs::write(&go, b"go").unwrap();

    // Read while they write: every read is a whole, valid file; membership never shrinks.
    let path = ctl.state_dir.join("groups.json");
    let mut reads = 0;
    let mut last = 0;
    let mut running = children.len();
    let deadline = Instant::now() + Duration::from_secs(300);
    while running > 0 {
        assert!(Instant::now() < deadline, "writers did not finish");
        let bytes = std::fs::read(&path).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "half-written file ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        assert_eq!(v["version"], 1);
        let n = v["groups"]["crowd"]["sessions"].as_array().unwrap().len();
        assert!(n >= last, "membership shrank from {last} to {n}");
        last = n;
        if reads % 10 == 0 {
            ctl.client.group("crowd").unwrap();
        }
        reads += 1;
        std::thread::sleep(Duration::from_millis(2));
        running = children
            .iter_mut()
            .map(|c| c.try_wait().unwrap().is_none())
            .filter(|&alive| alive)
            .count();
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The child ran the writer body, not zero tests.
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
    }
    let members: Vec<String> = ctl
        .client
        .group("crowd")
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.name)
        .collect();
    let expected: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..PER_WRITER).map(move |i| format!("w{w}-{i:02}")))
        .collect();
    assert_eq!(members.len(), WRITERS * PER_WRITER);
    assert_eq!(members.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(reads > 0);
    eprintln!(
        "8x50 concurrent group-add: {} members, {reads} reads during the writes",
        members.len()
    );
    // No temp files left behind by the atomic writes.
    let stray: Vec<_> = std::fs::read_dir(&ctl.state_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ctmux-tmp-"))
        .collect();
    assert!(stray.is_empty());
}

// ---------------------------------------------------------------------------------------
// The seed's Use Case 1: microservices

/// A dir with a Makefile whose `run` target prints `lines` then stays up.
fn service_dir(root: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut mk = String::from("run:\n");
    for l in lines {
        mk.push_str(&format!("\t@echo '{l}'\n"));
    }
    mk.push_str("\t@sleep 600\n");
    std::fs::write(dir.join("Makefile"), mk).unwrap();
    dir
}

#[test]
fn use_case_1_microservices_as_in_the_seed() {
    let ctl = Ctl::new();
    let root = ctl.server.dir().join("svc");
    let dirs: BTreeMap<&str, PathBuf> = [
        (
            "api-service",
            &["api listening on :8080", "ERROR: upstream cache slow"][..],
        ),
        ("db-service", &["db accepting connections", "errors: 0"][..]),
        ("cache-service", &["cache ready"][..]),
    ]
    .into_iter()
    .map(|(n, l)| (n, service_dir(&root, n, l)))
    .collect();

    // group-create microservices
    ctl.ok(&["group-create", "microservices"]);
    // session-create api-service / db-service / cache-service
    for s in ["api-service", "db-service", "cache-service"] {
        ctl.ok(&["session-create", s, "--cwd", dirs[s].to_str().unwrap()]);
    }
    // group-add microservices ...
    for s in ["api-service", "db-service", "cache-service"] {
        ctl.ok(&["group-add", "microservices", s]);
    }
    // session-depends api-service db-service / cache-service
    ctl.ok(&["session-depends", "api-service", "db-service"]);
    ctl.ok(&["session-depends", "api-service", "cache-service"]);
    // The seed hard-codes the order; ctmux computes it.
    let order = names(&ctl.ok(&["session-start-order", "microservices"])["order"]);
    assert_eq!(order, ["db-service", "cache-service", "api-service"]);
    // for session in ...: session-wait-healthy "$session" 30 || exit 1; pane-exec ... "make run"
    for s in &order {
        let v = ctl.ok(&["session-wait-healthy", s, WAIT]);
        assert_eq!(v["health"], "healthy", "{v}");
        ctl.ok(&["pane-exec", s, "0", "make run"]);
    }
    for (s, line) in [
        ("db-service", "^db accepting"),
        ("cache-service", "^cache ready"),
        ("api-service", "^ERROR"),
    ] {
        ctl.ok(&["pane-watch-timeout", s, "0", line, WAIT]);
    }
    // sessions-find-pattern "ERROR" | jq -r '.sessions[].name'
    let v = ctl.ok(&["sessions-find-pattern", "ERROR"]);
    let found: Vec<&str> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["api-service"], "{v}");
    // And the health view agrees: only the api is degraded, by that line.
    let v = ctl.ok(&["session-health", "api-service"]);
    assert_eq!(v["health"], "degraded");
    assert_eq!(v["reasons"][0]["kind"], "error_pattern");
    assert_eq!(v["reasons"][0]["line"], "ERROR: upstream cache slow");
    assert_eq!(
        ctl.ok(&["session-health", "db-service"])["health"],
        "healthy"
    );
    let members = ctl.ok(&["group-list", "microservices"])["members"].clone();
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "live"));
    ctl.ok(&["group-kill", "microservices"]);
    let members = ctl.ok(&["group-list", "microservices"])["members"].clone();
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "missing"));
}

/// The same use case in one command: start specs, readiness checks and `group-up`.
#[test]
fn use_case_1_in_one_command_with_group_up() {
    let ctl = Ctl::new();
    let root = ctl.server.dir().join("up");
    std::fs::create_dir_all(&root).unwrap();
    let r = root.display().to_string();
    ctl.ok(&["group-create", "microservices"]);
    // Each dependency becomes ready only after a while (a marker file, then a line);
    // the api refuses to start (FATAL) unless both markers exist.
    let db = format!("sleep 0.4; touch {r}/db.ok; echo 'db ready'; sleep 600");
    let cache = format!("sleep 0.2; touch {r}/cache.ok; echo 'cache ready'; sleep 600");
    let api = format!(
        "if [ -f {r}/db.ok ] && [ -f {r}/cache.ok ]; then echo 'api ready'; \
         else echo 'FATAL: started before its dependencies'; fi; sleep 600"
    );
    for (s, cmd) in [
        ("api-service", &api),
        ("db-service", &db),
        ("cache-service", &cache),
    ] {
        ctl.ok(&[
            "group-add",
            "microservices",
            s,
            "--command",
            cmd,
            "--cwd",
            &r,
        ]);
        let ready = format!("^{} ready$", s.trim_end_matches("-service"));
        ctl.ok(&[
            "session-health-set",
            s,
            "--ready-pattern",
            &ready,
            "--interval",
            "0.05",
        ]);
    }
    ctl.ok(&["session-depends", "api-service", "db-service"]);
    ctl.ok(&["session-depends", "api-service", "cache-service"]);

    let v = ctl.ok(&["group-up", "microservices", "--timeout", WAIT]);
    assert_eq!(
        names(&v["order"]),
        ["db-service", "cache-service", "api-service"]
    );
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    for st in steps {
        assert_eq!(st["action"], "created", "{st}");
        assert_eq!(st["health"], "healthy", "{st}");
    }
    assert_eq!(
        ctl.ok(&["session-health", "api-service"])["health"],
        "healthy"
    );
    ctl.ok(&["pane-watch-timeout", "api-service", "0", "^api ready$", "5"]);

    // Up again: everything already runs; nothing is started twice.
    let v = ctl.ok(&["group-up", "microservices", "--timeout", WAIT]);
    let actions: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["already_running"; 3]);

    // After group-kill, group-up brings it all back.
    ctl.ok(&["group-kill", "microservices"]);
    std::fs::remove_file(root.join("db.ok")).unwrap();
    std::fs::remove_file(root.join("cache.ok")).unwrap();
    let up = ctl
        .client
        .group_up("microservices", Duration::from_secs(30))
        .unwrap();
    assert!(up.failure.is_none());
    assert_eq!(
        ctl.client.session_health("api-service").unwrap().health,
        HealthState::Healthy
    );
}

#[test]
fn group_up_stops_at_the_first_failure_and_says_why() {
    let ctl = Ctl::new();
    ctl.ok(&["group-create", "g"]);
    // db never becomes ready and prints FATAL: api must not be started.
    ctl.ok(&[
        "group-add",
        "g",
        "api",
        "--command",
        "echo api ready; sleep 600",
    ]);
    ctl.ok(&[
        "group-add",
        "g",
        "db",
        "--command",
        "echo 'FATAL: no disk'; sleep 600",
    ]);
    ctl.ok(&[
        "session-health-set",
        "db",
        "--ready-pattern",
        "^db ready$",
        "--interval",
        "0.05",
    ]);
    ctl.ok(&["session-depends", "api", "db"]);
    let v = ctl.fails(&["group-up", "g", "--timeout", "1.5"], 124, "Timeout");
    assert_eq!(v["failed_session"], "db", "{v}");
    let msg = v["error"].as_str().unwrap();
    assert!(
        msg.contains("db") && msg.contains("FATAL: no disk") && msg.contains("not ready"),
        "{msg}"
    );
    assert!(msg.contains("needed by api"), "{msg}");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{v}");
    assert_eq!(
        (steps[0]["session"].as_str(), steps[0]["health"].as_str()),
        (Some("db"), Some("unhealthy"))
    );
    assert!(
        ctl.client.session("api").is_err(),
        "api was started although db is not healthy"
    );

    // A start command that exits non-zero fails at once, naming the status.
    ctl.ok(&["group-create", "h"]);
    ctl.ok(&[
        "group-add",
        "h",
        "broken",
        "--command",
        "sh -c 'echo starting; exit 3'",
    ]);
    ctl.ok(&["session-health-set", "broken", "--ready-pattern", "^never$"]);
    let v = ctl.fails(&["group-up", "h", "--timeout", WAIT], 1, "InvalidInput");
    assert_eq!(v["failed_session"], "broken");
    assert!(v["error"].as_str().unwrap().contains("status 3"), "{v}");

    // A member with no start command that does not exist: NotFound naming it.
    ctl.ok(&["group-create", "k"]);
    ctl.ok(&["session-create", "here"]);
    ctl.ok(&["group-add", "k", "here"]);
    ctl.ok(&["session-kill", "here"]);
    let v = ctl.fails(&["group-up", "k"], 1, "NotFound");
    assert_eq!(v["failed_session"], "here");
    assert!(
        v["error"].as_str().unwrap().contains("no start command"),
        "{v}"
    );
    ctl.fails(&["group-up", "nope"], 1, "NotFound");
    // Readiness retries used up: a Timeout before the deadline, saying so.
    ctl.ok(&["group-create", "r"]);
    ctl.ok(&["group-add", "r", "slow", "--command", "sleep 600"]);
    ctl.ok(&[
        "session-health-set",
        "slow",
        "--ready-command",
        "exit 1",
        "--interval",
        "0.05",
        "--retries",
        "2",
    ]);
    let e = ctl
        .client
        .group_up("r", Duration::from_secs(600))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("failed 2 times"), "{e}");
}
