//! Relative paths (state dir, socket path) are made absolute once, when the client is built:
//! a pane's shell runs in another directory than its caller, and must still find the exec
//! files in the state dir and the server's socket.
//!
//! The core tests give relative paths through `..` up from the test process's cwd (which a
//! test cannot change: tests run in parallel); the CLI tests run the real `ctmux` binary in a
//! temp dir as its cwd.

use ctmux_core::{Ctmux, ErrorKind, IsolatedServer, Server, SessionOptions, Socket};
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous bound on waits, so a broken test fails instead of hanging.
const WAIT: Duration = Duration::from_secs(20);

/// `target` spelled relative to the test process's cwd (`../../..` then the rest).
fn relative_to_cwd(target: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap();
    assert!(target.is_absolute(), "{}", target.display());
    let mut rel = PathBuf::new();
    for _ in 1..cwd.components().count() {
        rel.push("..");
    }
    rel.push(target.strip_prefix("/").unwrap());
    assert!(rel.is_relative());
    rel
}

/// Two paths name the same existing file or dir (same device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    let (a, b) = (std::fs::metadata(a).unwrap(), std::fs::metadata(b).unwrap());
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

/// An isolated server started through the core (so it runs with the pinned shell; the CLI
/// has no option for a tmux config file), kept alive by a `keeper` session.
fn started_server() -> IsolatedServer {
    let server = IsolatedServer::start().expect("isolated server");
    server
        .client()
        .expect("client")
        .session_create("keeper", &SessionOptions::default())
        .expect("keeper session");
    server
}

/// Run `echo hi` in pane 0 of a new session of `client` whose pane's cwd is `elsewhere`.
fn exec_elsewhere(client: &Ctmux, session: &str, elsewhere: &Path) {
    let s = client
        .session_create(
            session,
            &SessionOptions {
                cwd: Some(elsewhere.to_path_buf()),
                size: Some((120, 40)),
            },
        )
        .expect("session");
    let pane = s.pane_str("0").expect("pane 0");
    let r = pane.run("echo hi", Some(WAIT)).expect("exec");
    assert_eq!((r.exit_code, r.output.as_str()), (0, "hi\n"), "{r:?}");
    let r = pane.run("pwd", Some(WAIT)).expect("exec pwd");
    assert!(
        same_file(Path::new(r.output.trim_end()), elsewhere),
        "the pane runs in {:?}, not {}",
        r.output,
        elsewhere.display()
    );
}

#[test]
fn relative_state_dir_is_made_absolute() {
    let server = started_server();
    let abs = server.dir().join("rel-state");
    let rel = relative_to_cwd(&abs);
    let client = Ctmux::builder()
        .server(server.server().clone())
        .state_dir(&rel)
        .build()
        .expect("client");
    let path = client.state_dir().path();
    assert!(path.is_absolute(), "{}", path.display());
    assert_eq!(path, std::env::current_dir().unwrap().join(&rel));
    assert!(same_file(path, &abs));
    // The exec files are found by a shell whose cwd is elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    exec_elsewhere(&client, "rel-state", elsewhere.path());
}

#[test]
fn relative_socket_path_is_made_absolute() {
    let server = started_server();
    let rel = relative_to_cwd(server.socket_path());
    let made = Server::new(Socket::Path(rel.clone())).expect("server");
    let Socket::Path(path) = made.socket() else {
        panic!("{:?}", made.socket())
    };
    assert!(path.is_absolute(), "{}", path.display());
    assert_eq!(path, &std::env::current_dir().unwrap().join(&rel));
    assert_eq!(made.socket_file(), *path);
    let client = Ctmux::builder()
        .server(made.clone())
        .state_dir(server.dir().join("state-b"))
        .build()
        .expect("client");
    let names: Vec<String> = client
        .session_list()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["keeper"], "the same server as the absolute path");
    let elsewhere = tempfile::tempdir().unwrap();
    exec_elsewhere(&client, "rel-socket", elsewhere.path());
}

#[test]
fn empty_paths_are_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(Socket::Path(dir.path().join("none.sock"))).unwrap();
    let e = Ctmux::builder()
        .server(server)
        .state_dir("")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("state dir"), "{e}");
    let e = Server::new(Socket::Path(PathBuf::new())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("socket path"), "{e}");
    // Nothing was created in the cwd.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());

    // The CLI: an empty --state-dir is a usage error; an empty CTMUX_STATE_DIR means unset.
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(
        ["ctmux", "--state-dir", "", "session-list"]
            .into_iter()
            .map(Into::into)
            .collect(),
        &mut out,
        &mut err,
    );
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!((code, v["kind"].as_str()), (2, Some("InvalidInput")), "{v}");
    assert!(!v["error"].as_str().unwrap_or("").is_empty(), "{v}");
}

// ---------------------------------------------------------------------------------------
// The real binary, run from a temp cwd

use crate::common::ctmux_binary as binary;

/// Run `ctmux ARGS` with `cwd` as its cwd and `env` added (the CTMUX_ variables of the
/// test process removed); killed after 60 s so a hang fails the test.
fn ctmux_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("CTMUX_SOCKET")
        .env_remove("CTMUX_SOCKET_PATH")
        .env_remove("CTMUX_STATE_DIR")
        .env_remove("CTMUX_READY_TIMEOUT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run ctmux");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "ctmux {args:?} in {} still ran after 60 s; stdout {:?}",
                cwd.display(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {stdout:?}; stderr {:?}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), json)
}

/// Through the CLI in `cwd` with `globals`/`env`: create `session` whose pane's cwd is
/// `elsewhere`, then `pane-exec SESSION 0 'echo hi' --wait` must print `hi`, exit code 0.
fn cli_exec_elsewhere(
    cwd: &Path,
    globals: &[&str],
    env: &[(&str, &str)],
    session: &str,
    elsewhere: &Path,
) {
    let with = |args: &[&str]| {
        let mut all = globals.to_vec();
        all.extend_from_slice(args);
        ctmux_in(cwd, &all, env)
    };
    let (code, v) = with(&[
        "session-create",
        session,
        "--cwd",
        elsewhere.to_str().unwrap(),
    ]);
    assert_eq!((code, v["status"].as_str()), (0, Some("success")), "{v}");
    let (code, v) = with(&[
        "pane-exec",
        session,
        "0",
        "echo hi",
        "--wait",
        "--timeout",
        "20",
    ]);
    assert_eq!(code, 0, "{globals:?} {env:?}: {v}");
    assert_eq!(
        (v["exit_code"].as_i64(), v["output"].as_str()),
        (Some(0), Some("hi\n")),
        "{v}"
    );
    let (code, v) = with(&[
        "pane-exec",
        session,
        "0",
        "pwd",
        "--wait",
        "--timeout",
        "20",
    ]);
    assert_eq!(code, 0, "{v}");
    let pwd = v["output"].as_str().unwrap().trim_end();
    assert!(same_file(Path::new(pwd), elsewhere), "{v}");
}

#[test]
fn cli_relative_state_dir_option_and_env() {
    let server = started_server();
    let socket = server.socket_path().to_str().unwrap().to_owned();
    let cwd = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join("rel")).unwrap();

    cli_exec_elsewhere(
        cwd.path(),
        &["--socket-path", &socket, "--state-dir", "rel/state"],
        &[],
        "opt",
        elsewhere.path(),
    );
    assert!(cwd.path().join("rel/state").is_dir());

    cli_exec_elsewhere(
        cwd.path(),
        &["--socket-path", &socket],
        &[("CTMUX_STATE_DIR", "rel")],
        "env",
        elsewhere.path(),
    );
    assert!(cwd.path().join("rel/servers").is_dir());
}

#[test]
fn cli_relative_socket_path_option_and_env() {
    let server = started_server();
    // The socket is `tmux.sock` in the server's dir: run the CLI there.
    let dir = server.dir().to_path_buf();
    let name = server.socket_path().file_name().unwrap().to_str().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();

    cli_exec_elsewhere(
        &dir,
        &["--socket-path", name, "--state-dir", "state-opt"],
        &[],
        "opt",
        elsewhere.path(),
    );
    cli_exec_elsewhere(
        &dir,
        &[],
        &[
            ("CTMUX_SOCKET_PATH", name),
            ("CTMUX_STATE_DIR", "state-env"),
        ],
        "env",
        elsewhere.path(),
    );
    let names: Vec<String> = server
        .client()
        .unwrap()
        .session_list()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        names,
        ["env", "keeper", "opt"],
        "all on the isolated server"
    );
}
