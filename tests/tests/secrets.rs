//! Secrets stay out of snapshots: by name (left out, listed in `environment_excluded`) and
//! by value (replaced by `[REDACTED]`, listed in `redacted`) in the environment, each pane's
//! job arguments, the exec history and the contents; `--include-secrets` keeps them; restore
//! starts no command holding the placeholder. The shapes themselves (30+ secrets, 30+
//! look-alikes) are checked in `ctmux_core::snapshot::secrets`; this drives a real session.

use ctmux_core::snapshot::{CaptureOptions, REDACTED};
use ctmux_core::{IsolatedServer, PaneRef, SessionOptions};
use serde_json::Value;
use std::time::Duration;

const GH: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const DB_PW: &str = "hunter2pw";
const JOB_PW: &str = "s3cretjobpw";
const SLACK: &str = "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

fn cli(server: &IsolatedServer, state: &std::path::Path, args: &[&str]) -> (i32, Value) {
    crate::common::cli_json(server.socket_path(), state, args)
}

#[test]
fn secrets_are_redacted_by_name_and_value_unless_included() {
    let server = IsolatedServer::start().expect("isolated server");
    let state = server.dir().join("state");
    let client = server.client_with_state_dir(&state).expect("client");
    let session = client
        .session_create("vault", &SessionOptions::default())
        .expect("session");
    let tmux = |args: &[&str]| {
        let out = server.server().command(args).output().expect("tmux runs");
        assert!(out.status.success(), "{args:?}");
    };
    let url = format!("postgres://app:{DB_PW}@db.internal:5432/app");
    let hook = format!("https://hooks.slack.com/services/{SLACK}");
    for (k, v) in [
        ("DATABASE_URL", url.as_str()),
        ("SLACK_WEBHOOK_URL", hook.as_str()),
        ("PGPASS", "pgpass-value"),
        ("MY_PAT", "pat-value"),
        ("GITHUB_TOKEN", GH),
        ("EDITOR", "vim"),
        ("BYPASS_CACHE", "1"),
        ("INTERNAL_ID", "corp-123456"),
    ] {
        tmux(&["set-environment", "-t", "vault", k, v]);
    }
    let pane = session.pane(&PaneRef::Index(0)).expect("pane");
    let r = pane
        .run(
            &format!("export GITHUB_TOKEN={GH}; echo ok"),
            Some(Duration::from_secs(30)),
        )
        .expect("exec");
    assert_eq!(r.exit_code, 0);
    // A foreground job whose arguments carry a password (the second pane).
    let second = session.pane_create(None).expect("second pane");
    second
        .send_text(&format!("sh -c 'sleep 300' job --password={JOB_PW}"))
        .expect("type the job");
    second.send_keys(&["Enter"]).expect("start the job");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !second.is_running().unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "the job never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // CLI, the default: nothing secret in the file, and the report says where it went.
    let file = server.dir().join("vault.json");
    let (code, report) = cli(
        &server,
        &state,
        &[
            "session-save",
            "vault",
            file.to_str().unwrap(),
            "--with-contents",
        ],
    );
    assert_eq!(code, 0, "{report}");
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in [GH, DB_PW, JOB_PW, SLACK, "pgpass-value", "pat-value"] {
        assert!(!text.contains(secret), "{secret} saved in {text}");
    }
    let snap: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        snap["environment"]["DATABASE_URL"],
        format!("postgres://app:{REDACTED}@db.internal:5432/app")
    );
    assert_eq!(snap["environment"]["PGPASS"], REDACTED);
    assert_eq!(snap["environment"]["MY_PAT"], REDACTED);
    assert_eq!(snap["environment"]["EDITOR"], "vim");
    assert_eq!(snap["environment"]["BYPASS_CACHE"], "1");
    assert!(snap["environment_excluded"]
        .as_array()
        .unwrap()
        .contains(&"GITHUB_TOKEN".into()));
    let redacted: Vec<String> = serde_json::from_value(report["redacted"].clone()).unwrap();
    for at in [
        "environment.DATABASE_URL",
        "environment.PGPASS",
        "window 0 pane 0 history",
        "window 0 pane 1 command",
    ] {
        assert!(redacted.iter().any(|r| r == at), "{at} not in {redacted:?}");
    }
    let job = &snap["windows"][0]["panes"][1];
    assert_eq!(
        job["command"],
        format!("sh -c 'sleep 300' job '--password={REDACTED}'"),
        "{job}"
    );
    assert_eq!(
        snap["windows"][0]["panes"][0]["history"][0],
        format!("export GITHUB_TOKEN={REDACTED}; echo ok")
    );

    // Restore: the redacted command is not started, and says why.
    let (code, dry) = cli(
        &server,
        &state,
        &[
            "session-restore",
            file.to_str().unwrap(),
            "--name",
            "vault2",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{dry}");
    assert_eq!(dry["commands"], Value::Array(Vec::new()), "{dry}");
    assert!(dry["warnings"].to_string().contains("redacted"), "{dry}");

    // Extra patterns and bad ones.
    let (code, report) = cli(
        &server,
        &state,
        &[
            "session-save",
            "vault",
            server.dir().join("v2.json").to_str().unwrap(),
            "--secret-pattern",
            "corp-[0-9]{6}",
        ],
    );
    assert_eq!(code, 0, "{report}");
    let v2: Value =
        serde_json::from_str(&std::fs::read_to_string(server.dir().join("v2.json")).unwrap())
            .unwrap();
    assert_eq!(v2["environment"]["INTERNAL_ID"], REDACTED, "{report}");
    assert_eq!(snap["environment"]["INTERNAL_ID"], "corp-123456");
    let (code, err) = cli(
        &server,
        &state,
        &["session-save", "vault", "--secret-pattern", "("],
    );
    assert_ne!(code, 0);
    assert_eq!(err["kind"], "InvalidInput", "{err}");

    // --include-secrets: everything as it was.
    let kept = server.dir().join("kept.json");
    let (code, report) = cli(
        &server,
        &state,
        &[
            "session-save",
            "vault",
            kept.to_str().unwrap(),
            "--include-secrets",
        ],
    );
    assert_eq!(code, 0, "{report}");
    let text = std::fs::read_to_string(&kept).unwrap();
    for secret in [GH, DB_PW, JOB_PW, "pgpass-value"] {
        assert!(text.contains(secret), "{secret} not kept");
    }

    // The API: the same by default, and a bad pattern is InvalidInput.
    let snap = client
        .snapshot_capture("vault", &CaptureOptions::default())
        .unwrap();
    assert_eq!(snap.environment["PGPASS"], REDACTED);
    assert!(!serde_json::to_string(&snap).unwrap().contains(JOB_PW));
    let bad = CaptureOptions {
        secret_patterns: vec!["[".into()],
        ..Default::default()
    };
    assert_eq!(
        client.snapshot_capture("vault", &bad).unwrap_err().kind(),
        ctmux_core::ErrorKind::InvalidInput
    );
}
