//! Helpers of the field matrix (`tests/tests/field.rs`): a tmux server with tmux's plain
//! defaults whose panes run a real login shell reading its rc files from a private HOME, the
//! matrix's cells, a pty outside tmux to compare with, and a small escape stripper.
//!
//! Included by `field.rs` through `#[path]` (it is not part of `common`).

use ctmux_core::{Ctmux, Pane, Server, SessionOptions, Socket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The shells of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub fn program(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }

    /// The shell's path, or `None` when it is not installed.
    pub fn find(self) -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|d| d.join(self.program()))
            .find(|p| is_executable(p))
    }

    /// The rc file, relative to HOME, that the cell's text goes to.
    fn rc_file(self) -> &'static str {
        match self {
            Shell::Bash => ".bashrc",
            Shell::Zsh => ".zshrc",
            Shell::Fish => ".config/fish/config.fish",
        }
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One cell of the matrix: a shell and the rc file a user of it might have.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    pub name: &'static str,
    pub shell: Shell,
    /// The text of the shell's rc file (`~/.bashrc`, `$ZDOTDIR/.zshrc`, fish's config.fish).
    pub rc: &'static str,
    /// Commands, each run as one exec, and their exact output: the rc's prompt, options and
    /// hooks are still in force after ctmux's execs (a hook's variable unset by one exec is
    /// set again by the prompt before the next).
    pub probes: &'static [(&'static str, &'static str)],
}

/// Every cell of the matrix (fish has a test of its own, see `FISH`).
pub const CELLS: &[Cell] = &[
    Cell {
        name: "bash_prompt_command_string",
        shell: Shell::Bash,
        rc: r#"HISTFILE="$HOME/.bash_history"
unset HISTCONTROL
PROMPT_COMMAND='history -a; __mine=1'
PS1='\[\e[32m\]\u@\h\[\e[0m\] \w\n\$ '
"#,
        probes: &[
            ("unset __mine", ""),
            ("echo ${__mine-unset}", "1\n"),
            (
                r#"printf '%s\n' "$PS1""#,
                "\\[\\e[32m\\]\\u@\\h\\[\\e[0m\\] \\w\\n\\$ \n",
            ),
        ],
    },
    Cell {
        name: "bash_prompt_command_array",
        shell: Shell::Bash,
        rc: r#"HISTFILE="$HOME/.bash_history"
unset HISTCONTROL
PROMPT_COMMAND=('__a=1' 'history -a')
PS1='\[\e[1;34m\]\w\[\e[0m\] \$ '
"#,
        probes: &[
            ("unset __a", ""),
            ("echo ${__a-unset}", "1\n"),
            (
                r#"printf '%s\n' "${PROMPT_COMMAND[@]}" | grep -cx 'history -a'"#,
                "1\n",
            ),
        ],
    },
    Cell {
        name: "bash_vi",
        shell: Shell::Bash,
        rc: r#"set -o vi
PS1='\[\e[35m\]\u\[\e[0m\]:\[\e[36m\]\w\[\e[0m\]\$ '
"#,
        probes: &[
            ("[[ -o vi ]] && echo vi-on", "vi-on\n"),
            (
                r#"printf '%s\n' "$PS1""#,
                "\\[\\e[35m\\]\\u\\[\\e[0m\\]:\\[\\e[36m\\]\\w\\[\\e[0m\\]\\$ \n",
            ),
        ],
    },
    Cell {
        name: "zsh_rprompt",
        shell: Shell::Zsh,
        rc: r#"RPROMPT='[%?]'
PROMPT='%F{green}%n%f %~ %# '
precmd() { print -n "" }
my_hook() { __my_hook_ran=1 }
precmd_functions+=(my_hook)
setopt PROMPT_SUBST
"#,
        probes: &[
            ("unset __my_hook_ran", ""),
            ("echo ${__my_hook_ran-unset}", "1\n"),
            ("print -r -- $RPROMPT", "[%?]\n"),
            ("[[ -o promptsubst ]] && echo on", "on\n"),
        ],
    },
    Cell {
        name: "zsh_transient",
        shell: Shell::Zsh,
        rc: r#"PROMPT=$'%F{blue}%~%f\n%# '
RPROMPT='<%?>'
setopt TRANSIENT_RPROMPT
"#,
        probes: &[
            (r#"print -r -- "$PROMPT""#, "%F{blue}%~%f\n%# \n"),
            ("[[ -o transientrprompt ]] && echo on", "on\n"),
        ],
    },
    Cell {
        name: "bash_slow_rc",
        shell: Shell::Bash,
        rc: r#"sleep 3
PS1='\[\e[33m\]slow\[\e[0m\] \$ '
"#,
        probes: &[(
            r#"printf '%s\n' "$PS1""#,
            "\\[\\e[33m\\]slow\\[\\e[0m\\] \\$ \n",
        )],
    },
];

/// The fish cell: fish's defaults (greeting and all), nothing in config.fish.
pub const FISH: Cell = Cell {
    name: "fish_default",
    shell: Shell::Fish,
    rc: "# fish defaults: greeting, default prompt, autosuggestions\n",
    probes: &[],
};

/// The cell called `name` (panics for an unknown name).
pub fn cell(name: &str) -> &'static Cell {
    CELLS
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no field cell named {name}"))
}

/// Variables of the test process's environment that must not reach the cell's shell: the
/// cell's rc file decides them, as on a user's machine.
const UNSET: &[&str] = &[
    "PROMPT_COMMAND",
    "BASH_ENV",
    "ENV",
    "HISTFILE",
    "HISTCONTROL",
    "HISTSIZE",
    "HISTFILESIZE",
    "PS0",
    "PS1",
    "PS2",
    "PS4",
    "PROMPT",
    "RPROMPT",
    "fish_greeting",
];

/// A tmux server with plain defaults (no config but the cell's shell: history-limit 2000,
/// status line on, default TERM, escape-time 500) on its own `-S` socket in a temp dir. Its
/// panes run the cell's shell as tmux starts a user's: `default-shell` set to it, so it is a
/// login shell (`-bash`, `-zsh`), with HOME (and ZDOTDIR, XDG dirs) a private temp dir
/// holding the cell's rc file, and the pane starting in HOME. Dropping it kills the server and
/// removes the dir; it never touches any other server.
pub struct FieldServer {
    pub cell: Cell,
    client: Option<Ctmux>,
    server: Server,
    socket: PathBuf,
    home: PathBuf,
    shell: PathBuf,
    dir: Option<tempfile::TempDir>,
}

impl FieldServer {
    /// Write the HOME and the config for `cell`. Panics (the test fails) when the cell's
    /// shell is not installed: `scripts/ensure-shells.sh` installs it.
    pub fn start(cell: &Cell) -> FieldServer {
        let shell = cell.shell.find().unwrap_or_else(|| {
            panic!(
                "[{}] {} is not installed: run scripts/ensure-shells.sh (scripts/test.sh does)",
                cell.name,
                cell.shell.program()
            )
        });
        let dir = tempfile::Builder::new()
            .prefix("ctmux-field-")
            .tempdir()
            .expect("field temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let home = root.join("home");
        let rc = home.join(cell.shell.rc_file());
        std::fs::create_dir_all(rc.parent().unwrap()).unwrap();
        std::fs::write(&rc, cell.rc).unwrap();
        if cell.shell == Shell::Bash {
            // What Debian's skeleton ~/.profile does for a login bash.
            std::fs::write(
                home.join(".bash_profile"),
                "if [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n",
            )
            .unwrap();
        }
        let socket = root.join("tmux.sock");
        let config = root.join("tmux.conf");
        let q = |p: &Path| {
            let s = p.to_string_lossy().into_owned();
            assert!(!s.contains('\''), "path {s:?} holds a quote");
            format!("'{s}'")
        };
        let mut conf = format!("set -g default-shell {}\n", q(&shell));
        let mut setenv = |k: &str, v: &Path| {
            conf.push_str(&format!("set-environment -g {k} {}\n", q(v)));
        };
        setenv("HOME", &home);
        setenv("SHELL", &shell);
        setenv("ZDOTDIR", &home);
        setenv("XDG_CONFIG_HOME", &home.join(".config"));
        setenv("XDG_DATA_HOME", &home.join(".local/share"));
        setenv("XDG_CACHE_HOME", &home.join(".cache"));
        if ["LANG", "LC_ALL", "LC_CTYPE"]
            .iter()
            .all(|v| std::env::var_os(v).is_none_or(|x| x.is_empty()))
        {
            // A user's login has a UTF-8 locale.
            setenv("LANG", Path::new("C.UTF-8"));
        }
        for v in UNSET {
            conf.push_str(&format!("set-environment -gu {v}\n"));
        }
        std::fs::write(&config, conf).unwrap();
        let server = Server::new(Socket::Path(socket.clone()))
            .expect("socket path")
            .with_config(config);
        // The backend kind comes from $CTMUX_BACKEND, as in the rest of the suite.
        let client = Ctmux::builder()
            .server(server.clone())
            .state_dir(root.join("state"))
            .build()
            .expect("client");
        FieldServer {
            cell: *cell,
            client: Some(client),
            server,
            socket,
            home,
            shell,
            dir: Some(dir),
        }
    }

    pub fn client(&self) -> &Ctmux {
        self.client.as_ref().expect("client")
    }

    /// The cell's HOME.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// A new session (120x40 window, so a 120x39 pane under the status line), started in
    /// HOME; its first pane.
    pub fn pane(&self, name: &str) -> Pane {
        let s = self
            .client()
            .session_create(
                name,
                &SessionOptions {
                    cwd: Some(self.home.clone()),
                    size: Some((120, 40)),
                },
            )
            .unwrap_or_else(|e| panic!("[{}] session: {e}", self.cell.name));
        s.pane_str("0")
            .unwrap_or_else(|e| panic!("[{}] pane 0: {e}", self.cell.name))
    }

    /// The TERM tmux gives its panes (`default-terminal`).
    pub fn pane_term(&self) -> String {
        self.client()
            .tmux(&["show-options", "-gv", "default-terminal"])
            .expect("default-terminal")
            .trim()
            .to_owned()
    }

    /// The last `lines` lines of the pane's history and screen, raw (concealed markers
    /// included), for failure messages.
    pub fn screen(&self, pane: &Pane, lines: u32) -> String {
        let out = self.client().tmux(&[
            "capture-pane",
            "-p",
            "-t",
            &pane.id().to_string(),
            "-S",
            &format!("-{lines}"),
        ]);
        match out {
            Ok(text) => {
                let text = text.trim_end();
                let tail: Vec<&str> = text.lines().rev().take(lines as usize).collect();
                tail.iter()
                    .rev()
                    .map(|l| format!("    |{l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Err(e) => format!("    (no capture: {e})"),
        }
    }

    /// What `cmd` writes to a pty outside tmux, with the pane's TERM and size, under the
    /// cell's shell (`-c`, so no rc file).
    pub fn pty_bytes(&self, pane: &Pane, cmd: &str) -> Vec<u8> {
        let info = pane.info().expect("pane info");
        pty_bytes(
            &PtySpec {
                shell: self.shell.clone(),
                term: self.pane_term(),
                cols: info.width,
                rows: info.height,
                home: self.home.clone(),
            },
            cmd,
        )
    }

    /// The server's pid, if one runs.
    fn server_pid(&self) -> Option<i32> {
        if !self.server.is_running() {
            return None;
        }
        let out = self
            .server
            .command(&["display-message", "-p", "#{pid}"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// Kill the server (SIGKILL by pid after 2 s if it is still this socket's tmux, as
    /// `IsolatedServer::close` does) and remove the temp dir.
    pub fn close(&mut self) {
        // The client first, so its control-mode connection (if any) leaves the server.
        drop(self.client.take());
        let Some(dir) = self.dir.take() else { return };
        let pid = self.server_pid();
        let _ = self.server.command(&["kill-server"]).output();
        if let Some(pid) = pid {
            let socket = self.socket.to_string_lossy().into_owned();
            let ours = || {
                ctmux_core::procfs::alive(pid)
                    && ctmux_core::procfs::cmdline(pid)
                        .is_some_and(|c| c.contains("tmux") && c.contains(&socket))
            };
            let start = Instant::now();
            let mut killed = false;
            while ours() && start.elapsed() < Duration::from_secs(4) {
                if !killed && start.elapsed() >= Duration::from_secs(2) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    killed = true;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let _ = dir.close();
    }
}

impl Drop for FieldServer {
    fn drop(&mut self) {
        self.close();
    }
}

/// How [`pty_bytes`] runs a command.
#[derive(Debug, Clone)]
pub struct PtySpec {
    pub shell: PathBuf,
    pub term: String,
    pub cols: u32,
    pub rows: u32,
    pub home: PathBuf,
}

/// What `cmd` writes to a fresh pty outside tmux: `script -q -e -c CMD /dev/null` with
/// `SHELL`, `TERM` and the pty size (`stty cols/rows`) from `spec`, stdin closed, 20 s at
/// most. Only the command's bytes are returned (script's own header and footer, should a
/// version print them, are removed). The pty's line discipline turns `\n` into `\r\n`.
pub fn pty_bytes(spec: &PtySpec, cmd: &str) -> Vec<u8> {
    let full = format!("stty cols {} rows {}; {cmd}", spec.cols, spec.rows);
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &full, "/dev/null"])
        .env("SHELL", &spec.shell)
        .env("TERM", &spec.term)
        .env("HOME", &spec.home)
        .env("ZDOTDIR", &spec.home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for script") {
            break status;
        }
        if Instant::now() >= deadline {
            // Our own child, by pid.
            let _ = child.kill();
            let _ = child.wait();
            panic!("script -c {cmd:?} did not finish within 20 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().unwrap();
    assert!(status.success(), "script -c {cmd:?}: {status}");
    strip_script_frame(out)
}

/// Remove `Script started ...` / `Script done ...` lines that some versions of script(1)
/// write to stdout even with `-q`.
fn strip_script_frame(out: Vec<u8>) -> Vec<u8> {
    let mut out = out;
    if out.starts_with(b"Script started") {
        let nl = out
            .iter()
            .position(|b| *b == b'\n')
            .map_or(out.len(), |i| i + 1);
        out.drain(..nl);
    }
    if let Some(at) = find(&out, b"\nScript done") {
        out.truncate(at + 1);
    } else if out.starts_with(b"Script done") {
        out.clear();
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What a terminal shows of `bytes`, as text, written independently of ctmux-core's own
/// cleaning: escape sequences (CSI, OSC, DCS/SOS/PM/APC strings, charset selections, other
/// two-byte escapes) and other control characters except `\t`, `\n` and `\r` removed; CRLF
/// turned into LF; then a lone `\r` returns to the line's start, so what follows overwrites
/// it character by character (`10%\r100%` shows `100%`). Tabs are kept as tabs.
pub fn plain_text(bytes: &[u8]) -> String {
    let mut kept = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            0x1b => {
                i += 1;
                let Some(&kind) = bytes.get(i) else { break };
                i += 1;
                match kind {
                    b'[' => {
                        // Parameters and intermediates, then one final byte.
                        while i < bytes.len() && (0x20..=0x3f).contains(&bytes[i]) {
                            i += 1;
                        }
                        i += 1;
                    }
                    b']' | b'P' | b'X' | b'^' | b'_' => {
                        // A string, ended by BEL (OSC) or ST (ESC \).
                        while i < bytes.len() {
                            if bytes[i] == 0x07 && kind == b']' {
                                i += 1;
                                break;
                            }
                            if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'\\') {
                                i += 2;
                                break;
                            }
                            i += 1;
                        }
                    }
                    b'(' | b')' | b'*' | b'+' | b'-' | b'.' | b'/' | b'#' | b'%' => i += 1,
                    _ => {}
                }
            }
            b'\t' | b'\n' | b'\r' => {
                kept.push(b);
                i += 1;
            }
            0x00..=0x1f | 0x7f => i += 1,
            _ => {
                kept.push(b);
                i += 1;
            }
        }
    }
    let text = String::from_utf8_lossy(&kept).replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut cells: Vec<char> = Vec::new();
        let mut col = 0;
        for ch in line.chars() {
            if ch == '\r' {
                col = 0;
            } else {
                if col < cells.len() {
                    cells[col] = ch;
                } else {
                    cells.push(ch);
                }
                col += 1;
            }
        }
        out.extend(cells);
    }
    out
}

/// The raw bytes an exec collected (`ExecResult::output_raw`) must be byte for byte what the
/// same command writes to a pty outside tmux (same TERM and size): escape sequences,
/// carriage returns (the pty's `\r\n` included) and tabs as written.
pub fn assert_raw_matches_pty(what: &str, raw: &[u8], pty: &[u8]) {
    assert!(
        raw == pty,
        "{what}: output_raw differs from the bytes written to a pty outside tmux\n  \
         output_raw: {}\n  pty:        {}",
        show_bytes(raw),
        show_bytes(pty)
    );
}

/// Bytes as an escaped string, cut after 400 characters.
pub fn show_bytes(b: &[u8]) -> String {
    let s = b.escape_ascii().to_string();
    if s.len() > 400 {
        format!("{}... ({} bytes)", &s[..400], b.len())
    } else {
        s
    }
}
