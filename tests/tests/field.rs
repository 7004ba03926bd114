//! The field matrix: exec must be exact on users' real setups, not only on the pinned test
//! server. Each cell is a shell with an rc file a user might have (prompt hooks, multi-line
//! and coloured prompts, vi mode, zsh's right prompt, a slow rc), run by a tmux server with
//! tmux's plain defaults (history-limit 2000, status line on); every exec case runs on every
//! cell, as `field::<cell>::<case>` (one server and pane per test, several commands in it).
//!
//! A few cases are also run in a pty outside tmux (`script`), and `output` must be what a
//! terminal shows of those bytes. Every wait is bounded (`run` times out after 30-60 s).
//!
//! Run: `cargo test -p ctmux-tests --test tests field -- --test-threads=2`
//! (one cell: `... field::zsh_rprompt::`; one case: `... field:: -- ... tabs`).

#[path = "common/field.rs"]
mod support;

use ctmux_core::exec::ExecOptions;
use ctmux_core::{ErrorKind, ExecResult, Pane};
use std::time::Duration;
use support::{plain_text, show_bytes, FieldServer, Shell, CELLS, FISH};

/// Bound of one exec's wait.
const RUN_T: Option<Duration> = Some(Duration::from_secs(30));
/// Bound of the exec that prints 100 000 lines.
const SEQ_T: Option<Duration> = Some(Duration::from_secs(60));

/// One test's server and pane, and its failure messages.
pub struct Ctx {
    srv: FieldServer,
    pane: Pane,
}

impl Ctx {
    /// Run `case` on a fresh server and pane of cell `cell`.
    fn check(cell: &str, case: &str, f: fn(&Ctx)) {
        let srv = FieldServer::start(support::cell(cell));
        let pane = srv.pane(&case.replace('_', "-"));
        f(&Ctx { srv, pane })
    }

    fn name(&self) -> &'static str {
        self.srv.cell.name
    }

    /// `[cell] cmd` for messages, long commands cut.
    fn label(&self, cmd: &str) -> String {
        let short = if cmd.len() > 70 {
            let cut = (0..=60).rev().find(|&i| cmd.is_char_boundary(i)).unwrap();
            format!("{}... ({} bytes)", &cmd[..cut], cmd.len())
        } else {
            cmd.to_owned()
        };
        format!("[{}] {:?}", self.name(), short)
    }

    /// Fail with `msg` (its first line says what failed) and the pane's last lines.
    fn fail(&self, msg: String) -> ! {
        panic!(
            "{msg}\n  pane (last lines, raw):\n{}",
            self.srv.screen(&self.pane, 12)
        )
    }

    fn run_with(&self, cmd: &str, timeout: Option<Duration>) -> ExecResult {
        self.run_opts(cmd, timeout, &ExecOptions::default())
    }

    fn run_opts(&self, cmd: &str, timeout: Option<Duration>, opts: &ExecOptions) -> ExecResult {
        match self.pane.run_with(cmd, timeout, opts) {
            Ok(r) => r,
            Err(e) => self.fail(format!(
                "{}: run failed ({:?}): {e}{}",
                self.label(cmd),
                e.kind(),
                e.partial_output()
                    .map(|p| format!("\n  partial output: {}", show(p)))
                    .unwrap_or_default()
            )),
        }
    }

    fn run(&self, cmd: &str) -> ExecResult {
        self.run_with(cmd, RUN_T)
    }

    /// Run `cmd`: exit code `code`, output exactly `want`, not truncated.
    fn expect(&self, cmd: &str, code: i32, want: &str) -> ExecResult {
        let r = self.run(cmd);
        self.check_result(cmd, &r, code, want);
        r
    }

    fn check_result(&self, cmd: &str, r: &ExecResult, code: i32, want: &str) {
        if r.output != want {
            self.fail(format!(
                "{}: output {} (exit {}, truncated {})",
                self.label(cmd),
                diff(&r.output, want),
                r.exit_code,
                r.truncated
            ));
        }
        if r.exit_code != code {
            self.fail(format!(
                "{}: exit code {} != {code} (output {})",
                self.label(cmd),
                r.exit_code,
                show(&r.output)
            ));
        }
        if r.truncated {
            self.fail(format!("{}: truncated although complete", self.label(cmd)));
        }
    }

    /// Run `cmd` in a pty outside tmux too: what a terminal shows of its bytes must be
    /// `want` (a check of the helper), and the exec's `output` must be that.
    fn expect_like_pty(&self, cmd: &str, want: &str) {
        let pty = self.srv.pty_bytes(&self.pane, cmd);
        let shown = plain_text(&pty);
        assert_eq!(
            shown,
            want,
            "{}: pty helper: plain_text({}) is not the expected text",
            self.label(cmd),
            show_bytes(&pty)
        );
        let raw = ExecOptions {
            raw: true,
            ..ExecOptions::default()
        };
        let r = self.run_opts(cmd, RUN_T, &raw);
        if r.output != shown {
            self.fail(format!(
                "{}: output {} (pty wrote {})",
                self.label(cmd),
                diff(&r.output, &shown),
                show_bytes(&pty)
            ));
        }
        self.check_result(cmd, &r, 0, want);
        let raw = r.output_raw.as_deref().unwrap_or_default();
        support::assert_raw_matches_pty(&self.label(cmd), raw, &pty);
    }
}

/// A string for a message, escaped, cut after 300 characters.
fn show(s: &str) -> String {
    let d = format!("{s:?}");
    if d.chars().count() > 300 {
        let head: String = d.chars().take(300).collect();
        format!("{head}... ({} bytes)", s.len())
    } else {
        d
    }
}

/// `got != want`, short: both in full when small, else the lengths and the first line that
/// differs.
fn diff(got: &str, want: &str) -> String {
    if got.len() <= 200 && want.len() <= 200 {
        return format!("{} != {}", show(got), show(want));
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split('\n').collect(), want.split('\n').collect());
    let at = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    format!(
        "differs: {} bytes / {} lines, want {} bytes / {} lines; first difference at line {}: \
         {} != {}",
        got.len(),
        g.len(),
        want.len(),
        w.len(),
        at + 1,
        show(g.get(at).copied().unwrap_or("<end>")),
        show(w.get(at).copied().unwrap_or("<end>"))
    )
}

/// The exec cases, each run on every cell.
mod cases {
    use super::{Ctx, Shell, RUN_T, SEQ_T};
    use ctmux_core::exec::ExecOptions;
    use ctmux_core::{ErrorKind, PendingText};
    use std::time::Duration;

    pub fn exit_codes(c: &Ctx) {
        for code in [0, 1, 3, 127, 255] {
            c.expect(&format!("(exit {code})"), code, "");
        }
    }

    pub fn quotes(c: &Ctx) {
        c.expect(
            r#"echo 'single $HOME "dq"' "double 'sq' \"esc\"""#,
            0,
            "single $HOME \"dq\" double 'sq' \"esc\"\n",
        );
        // And HOME is the cell's own.
        c.expect(
            r#"printf '%s\n' "$HOME""#,
            0,
            &format!("{}\n", c.srv.home().display()),
        );
    }

    pub fn unicode(c: &Ctx) {
        c.expect_like_pty("printf 'héllo wörld ✓\\n'", "héllo wörld ✓\n");
    }

    pub fn tabs(c: &Ctx) {
        c.expect_like_pty("printf 'a\\tb\\n'", "a\tb\n");
    }

    pub fn carriage_returns(c: &Ctx) {
        c.expect_like_pty("printf '10%%\\r50%%\\r100%%\\n'", "100%\n");
    }

    pub fn ansi_colours(c: &Ctx) {
        c.expect_like_pty("printf '\\033[31mred\\033[0m\\n'", "red\n");
    }

    /// A command text of 200 000 bytes (shell-special characters in a quoted here-document),
    /// arriving byte for byte.
    pub fn big_script(c: &Ctx) {
        let mut payload = String::new();
        let mut i = 0;
        while payload.len() < 200_000 {
            payload.push_str(&format!(
                "{i:06} $HOME `id` 'sq' \"dq\" \\ \t{}\n",
                "x".repeat(i % 50)
            ));
            i += 1;
        }
        payload.truncate(200_000 - 1);
        payload.push('\n');
        assert_eq!(payload.len(), 200_000);
        let cmd = format!(
            "__f=$(mktemp)\ncat > \"$__f\" <<'EOF'\n{payload}EOF\n\
             wc -c < \"$__f\"\nmd5sum < \"$__f\"\nrm -f \"$__f\"\n(exit 3)"
        );
        assert!(cmd.len() > 200_000);
        let md5 = crate::common::md5_of(&payload);
        c.expect(&cmd, 3, &format!("200000\n{md5}  -\n"));
    }

    pub fn cd_then_pwd(c: &Ctx) {
        c.expect("cd /tmp", 0, "");
        c.expect("pwd", 0, "/tmp\n");
    }

    pub fn export_then_echo(c: &Ctx) {
        c.expect("export FOO=bar", 0, "");
        c.expect("echo $FOO", 0, "bar\n");
    }

    /// 100 000 lines, far more than the 2000 lines of history.
    pub fn seq_100000(c: &Ctx) {
        let want: String = (1..=100_000).map(|i| format!("{i}\n")).collect();
        let cmd = "seq 1 100000";
        let r = c.run_with(cmd, SEQ_T);
        c.check_result(cmd, &r, 0, &want);
    }

    /// The rc's prompt, options and hooks are still in force after execs.
    pub fn rc_survives(c: &Ctx) {
        for (cmd, want) in c.srv.cell.probes {
            c.expect(cmd, 0, want);
        }
    }

    /// Text typed at the prompt but not entered (`git sta`) is cleared, not run.
    pub fn pending_text(c: &Ctx) {
        c.expect("true", 0, "");
        c.pane.send_text("git sta").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        c.expect("echo ok", 0, "ok\n");
        c.expect("echo clean", 0, "clean\n");
    }

    /// Asked to fail on pending text, an exec is Busy naming `git sta`, leaves it typed (the
    /// next key the person presses continues it), and runs as usual on an empty line.
    pub fn pending_text_fails_when_asked(c: &Ctx) {
        let fail = ExecOptions {
            pending: PendingText::Fail,
            ..ExecOptions::default()
        };
        c.expect("true", 0, "");
        let r = c.run_opts("echo empty-line", Some(Duration::from_secs(30)), &fail);
        c.check_result("echo empty-line", &r, 0, "empty-line\n");
        c.pane.send_text("git sta").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        match c
            .pane
            .run_with("echo never", Some(Duration::from_secs(30)), &fail)
        {
            Err(e) if e.kind() == ErrorKind::Busy && e.to_string().contains("\"git sta\"") => {}
            other => c.fail(format!(
                "[{}] pending text not reported: {other:?}",
                c.name()
            )),
        }
        // Still typed: Enter now runs `git sta` + what the person types next; here a probe
        // that shows the line was kept as it was.
        c.pane.send_text("tus-kept").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let screen = c.pane.capture(None).unwrap();
        if !screen.lines().any(|l| l.contains("git status-kept")) {
            c.fail(format!(
                "[{}] the pending text was not left as it was",
                c.name()
            ));
        }
        c.expect("echo ok", 0, "ok\n");
    }

    /// `exit N` reports N; the same shell stays (its variables too).
    pub fn exit_n(c: &Ctx) {
        c.expect("kept=yes", 0, "");
        c.expect("echo bye; exit 3; echo never", 3, "bye\n");
        c.expect("echo $kept", 0, "yes\n");
        c.expect("(exit 4); echo $?", 0, "4\n");
    }

    /// Commands that remove, replace or redefine the prompt hook still report their status,
    /// and the next exec puts the hook back (an interrupted command then reports 130).
    pub fn hook_disturbed(c: &Ctx) {
        let cases: &[(&str, i32)] = match c.srv.cell.shell {
            Shell::Zsh => &[
                ("precmd_functions=(); (exit 5)", 5),
                ("precmd_functions=(my_own); (exit 6)", 6),
                ("__ctmux_hook() { :; }; (exit 7)", 7),
            ],
            _ => &[
                ("unset PROMPT_COMMAND; (exit 5)", 5),
                ("PROMPT_COMMAND='true'; (exit 6)", 6),
                ("__ctmux_hook() { :; }; (exit 7)", 7),
            ],
        };
        for (cmd, code) in cases {
            c.expect(cmd, *code, "");
            let h = c.pane.exec("sleep 100").unwrap();
            crate::common::wait_running(&c.pane, true);
            c.pane.signal("SIGINT").unwrap();
            let r = h.wait(RUN_T).unwrap();
            assert_eq!(
                r.exit_code,
                130,
                "{}: after it, Ctrl-C reports 130",
                c.label(cmd)
            );
        }
    }

    /// `exec >/dev/null`, `stty -echo` and a shadowed `printf` do not pollute the output.
    pub fn output_pollution(c: &Ctx) {
        c.expect("exec >/dev/null; echo hidden", 0, "");
        c.expect("exec >/dev/tty; echo back", 0, "back\n");
        c.expect("stty -echo; echo x", 0, "x\n");
        c.expect("stty echo; echo y", 0, "y\n");
        c.expect("printf() { echo EVIL; }; echo ok", 0, "ok\n");
        c.expect("echo z; unset -f printf", 0, "z\n");
    }

    /// The command replaces the shell (`exec bash`): nothing can report, the exec ends once
    /// the new shell is at its prompt (status unknown, -1), and the next exec works.
    pub fn exec_replaces_the_shell(c: &Ctx) {
        let cmd = match c.srv.cell.shell {
            Shell::Zsh => "exec zsh",
            _ => "exec bash",
        };
        let r = c.run_with(cmd, Some(Duration::from_secs(60)));
        assert_eq!(r.exit_code, -1, "{}: {r:?}", c.label(cmd));
        c.expect("echo again", 0, "again\n");
    }

    /// The lines ctmux types never stay in the shell's history (bash: whatever HISTCONTROL
    /// says, also in the file `history -a` writes; zsh: all but the very first exec's line,
    /// which is in zsh's list before ctmux's `zshaddhistory` hook exists).
    pub fn history_clean(c: &Ctx) {
        for i in 0..3 {
            c.expect(&format!("echo {i}"), 0, &format!("{i}\n"));
        }
        let (list, allowed) = match c.srv.cell.shell {
            Shell::Zsh => ("fc -ln 1", 1),
            _ => ("HISTTIMEFORMAT= history; cat \"${HISTFILE:-/dev/null}\"", 0),
        };
        let r = c.run(list);
        let typed = r.output.lines().filter(|l| l.contains("/exec/")).count();
        assert!(
            typed <= allowed,
            "{}: {} wrapper lines in the history:\n{}",
            c.label(list),
            typed,
            r.output
        );
    }

    pub fn no_trailing_newline(c: &Ctx) {
        c.expect("printf abc", 0, "abc");
        // And the next exec is clean.
        c.expect("echo after", 0, "after\n");
    }
}

/// `field::<cell>::<case>` for every case of `$cases`.
macro_rules! cell_tests {
    ($cell:ident, [$($case:ident),* $(,)?]) => {
        mod $cell {
            $(
                #[test]
                fn $case() {
                    super::Ctx::check(stringify!($cell), stringify!($case), super::cases::$case);
                }
            )*
        }
    };
}

/// Every cell × every case.
macro_rules! matrix {
    ([$($cell:ident),* $(,)?], $cases:tt) => {
        $( cell_tests!($cell, $cases); )*
        /// The cells the macro made tests for.
        const MATRIX: &[&str] = &[$(stringify!($cell)),*];
    };
}

matrix!(
    [
        bash_prompt_command_string,
        bash_prompt_command_array,
        bash_vi,
        zsh_rprompt,
        zsh_transient,
        bash_slow_rc,
    ],
    [
        exit_codes,
        quotes,
        unicode,
        tabs,
        carriage_returns,
        ansi_colours,
        big_script,
        cd_then_pwd,
        export_then_echo,
        seq_100000,
        no_trailing_newline,
        rc_survives,
        pending_text,
        pending_text_fails_when_asked,
        exit_n,
        hook_disturbed,
        output_pollution,
        exec_replaces_the_shell,
        history_clean,
    ]
);

#[test]
fn every_cell_is_in_the_matrix() {
    let cells: Vec<&str> = CELLS.iter().map(|c| c.name).collect();
    assert_eq!(cells, MATRIX);
    assert!(CELLS.iter().all(|c| !c.probes.is_empty()));
}

#[test]
fn the_prompt_command_array_needs_bash_5_1() {
    // The array form of PROMPT_COMMAND is bash 5.1's; older bash would run only element 0.
    let out = std::process::Command::new("bash")
        .args(["-c", "echo ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}"])
        .output()
        .unwrap();
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (major, minor) = v.split_once('.').unwrap();
    let (major, minor): (u32, u32) = (major.parse().unwrap(), minor.parse().unwrap());
    assert!(
        (major, minor) >= (5, 1),
        "bash {v} has no PROMPT_COMMAND array"
    );
}

#[test]
fn plain_text_renders_like_a_terminal() {
    assert_eq!(plain_text(b"\x1b[31mred\x1b[0m\r\n"), "red\n");
    assert_eq!(plain_text(b"10%\r50%\r100%\r\n"), "100%\n");
    assert_eq!(plain_text(b"abcdef\rXY\r\n"), "XYcdef\n");
    assert_eq!(plain_text(b"a\tb\r\n"), "a\tb\n");
    assert_eq!(
        plain_text("h\u{e9}llo \u{2713}\r\n".as_bytes()),
        "h\u{e9}llo \u{2713}\n"
    );
    assert_eq!(
        plain_text(b"\x1b]0;title\x07\x1b(B\x1b[?25lx\x1b=\x07y\x1bP1$r\x1b\\"),
        "xy"
    );
    assert_eq!(plain_text(b"no newline"), "no newline");
}

/// fish: exec either works as on the other shells or fails at once with Unsupported naming
/// fish, within 20 s, never a hang. Skipped (with a note) only when fish is not installed.
#[test]
fn fish_exec_works_or_is_unsupported() {
    if FISH.shell.find().is_none() {
        eprintln!("note: fish is not installed; fish_exec_works_or_is_unsupported skipped");
        return;
    }
    assert_eq!(FISH.shell, Shell::Fish);
    let srv = FieldServer::start(&FISH);
    let pane = srv.pane("fish");
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = pane.clone();
    // Commands fish and POSIX shells read alike.
    let cases: [(&str, i32, &str); 3] = [
        ("echo hello", 0, "hello\n"),
        ("false", 1, ""),
        ("sh -c 'exit 3'", 3, ""),
    ];
    std::thread::spawn(move || {
        let mut results = Vec::new();
        for (cmd, _, _) in cases {
            match worker.run(cmd, Some(Duration::from_secs(19))) {
                Ok(r) => results.push(r),
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        let _ = tx.send(Ok(results));
    });
    let fail = |msg: String| -> ! {
        panic!(
            "[{}] {msg}\n  pane (last lines, raw):\n{}",
            FISH.name,
            srv.screen(&pane, 12)
        )
    };
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(results)) => {
            assert_eq!(results.len(), cases.len());
            for ((cmd, code, want), r) in cases.iter().zip(&results) {
                if (r.exit_code, r.output.as_str(), r.truncated) != (*code, *want, false) {
                    fail(format!(
                        "{cmd:?}: exec works but wrongly: exit {} output {} truncated {} \
                         (want exit {code}, output {})",
                        r.exit_code,
                        show(&r.output),
                        r.truncated,
                        show(want)
                    ));
                }
            }
            eprintln!("note: exec in fish works");
        }
        Ok(Err(e)) if e.kind() == ErrorKind::Unsupported && e.to_string().contains("fish") => {
            eprintln!("note: exec in fish is refused as it should be: {e}");
        }
        Ok(Err(e)) => fail(format!(
            "exec failed neither as Unsupported naming fish nor at all: {:?}: {e}",
            e.kind()
        )),
        Err(_) => fail("exec neither worked nor failed within 20 s".to_owned()),
    }
}
