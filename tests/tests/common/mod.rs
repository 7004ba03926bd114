//! Shared helpers: each test gets an [`Env`] with its own isolated server and state dir.

use ctmux_core::{Ctmux, IsolatedServer, Pane, Session, SessionOptions};
use std::time::{Duration, Instant};

/// Generous bound for waits, so a broken test fails instead of hanging.
pub const T: Option<Duration> = Some(Duration::from_secs(20));

/// One isolated server plus a client; both go away on drop.
pub struct Env {
    pub client: Ctmux,
    #[allow(dead_code)]
    pub server: IsolatedServer,
}

impl Env {
    pub fn new() -> Env {
        let server = IsolatedServer::start().expect("isolated server");
        let client = server.client().expect("client");
        Env { client, server }
    }

    /// An isolated server with a client of the given backend kind (whatever
    /// `$CTMUX_BACKEND` says).
    #[allow(dead_code)]
    pub fn with_backend(kind: ctmux_core::BackendKind) -> Env {
        let server = IsolatedServer::start().expect("isolated server");
        let client = Ctmux::builder()
            .server(server.server().clone())
            .state_dir(server.dir().join("state"))
            .backend_kind(kind)
            .build()
            .expect("client");
        Env { client, server }
    }

    pub fn session(&self, name: &str) -> Session {
        self.client
            .session_create(
                name,
                &SessionOptions {
                    cwd: None,
                    size: Some((120, 40)),
                },
            )
            .expect("session")
    }

    pub fn pane0(&self, name: &str) -> Pane {
        self.session(name).pane_str("0").expect("pane 0")
    }
}

/// Wait (bounded) until the pane's running state is `want`. For `true`, also wait (2 s at
/// most) until the job's leader has exec'd its command: before that it is a fork of the shell
/// with the shell's signal handlers, and a Ctrl-C typed then is lost (over a control-mode
/// connection the next key can arrive within 0.1 ms).
pub fn wait_running(pane: &Pane, want: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pane.is_running().unwrap() != want {
        assert!(
            Instant::now() < deadline,
            "pane never became running={want}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    if want {
        let shell = ctmux_core::procfs::cmdline(pane.info().unwrap().pid);
        let settle = Instant::now() + Duration::from_secs(2);
        while Instant::now() < settle {
            match pane.status().unwrap().foreground_command {
                Some(job) if Some(&job) == shell.as_ref() => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                _ => break,
            }
        }
    }
}

/// md5 of `text` as `md5sum` prints it (first field).
pub fn md5_of(text: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The `ctmux` binary beside the test executable's `deps` dir (the daemon tests, and those
/// that run the real binary, need `cargo build -p ctmux-cli` first; the test command does).
#[allow(dead_code)]
pub fn ctmux_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("ctmux");
    assert!(
        path.is_file(),
        "no ctmux binary at {path:?}: run `cargo build -p ctmux-cli` first"
    );
    path
}

/// Run the CLI in-process against the server at `socket` with state dir `state`: its exit
/// code and the JSON it printed (a call that prints no JSON is a test failure).
#[allow(dead_code)]
pub fn cli_json(
    socket: &std::path::Path,
    state: &std::path::Path,
    args: &[&str],
) -> (i32, serde_json::Value) {
    use std::ffi::OsString;
    let argv: Vec<OsString> = ["ctmux", "--socket-path"]
        .into_iter()
        .map(OsString::from)
        .chain([
            OsString::from(socket),
            "--state-dir".into(),
            OsString::from(state),
        ])
        .chain(args.iter().map(OsString::from))
        .collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = ctmux_cli::run(argv, &mut out, &mut err);
    let json = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    });
    (code, json)
}
