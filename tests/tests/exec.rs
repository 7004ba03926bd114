//! Exact exec: exit codes, output, persistence of shell state, readiness, busy panes.

use crate::common::{Env, T};
use ctmux_core::ErrorKind;
use std::time::Duration;

#[test]
fn exit_codes_are_exact() {
    let env = Env::new();
    let pane = env.pane0("codes");
    for code in [0, 1, 2, 42, 255] {
        let r = pane.run(&format!("(exit {code})"), T).unwrap();
        assert_eq!(r.exit_code, code, "{r:?}");
        assert_eq!(r.output, "");
    }
    let r = pane.run("no-such-command-xyz", T).unwrap();
    assert_eq!(r.exit_code, 127);
    assert!(r.output.contains("no-such-command-xyz"), "{r:?}");
    let r = pane.run("false", T).unwrap();
    assert_eq!(r.exit_code, 1);
}

#[test]
fn exit_130_after_sigint_and_shell_survives() {
    let env = Env::new();
    let pane = env.pane0("sigint");
    let h = pane.exec("sleep 100").unwrap();
    crate::common::wait_running(&pane, true);
    let groups = pane.signal("SIGINT").unwrap();
    assert_eq!(groups.len(), 1);
    let r = h.wait(T).unwrap();
    assert_eq!(r.exit_code, 130);
    // The shell is still there and usable.
    assert_eq!(pane.run("echo alive", T).unwrap().output, "alive\n");
    // A loop interrupted half way (bash aborts the whole list) still reports.
    let h = pane
        .exec("for i in 1 2 3; do sleep 100; echo after $i; done; echo never")
        .unwrap();
    crate::common::wait_running(&pane, true);
    pane.signal("INT").unwrap();
    let r = h.wait(T).unwrap();
    assert_eq!(r.exit_code, 130);
    assert!(!r.output.contains("never"), "{r:?}");
}

#[test]
fn output_is_the_commands_own() {
    let env = Env::new();
    let pane = env.pane0("out");
    let r = pane.run("echo hello; echo world", T).unwrap();
    assert_eq!(r.output, "hello\nworld\n");
    let r = pane.run("printf abc", T).unwrap();
    assert_eq!(r.output, "abc");
    let r = pane.run("true", T).unwrap();
    assert_eq!(r.output, "");
    assert!(!r.truncated);
    let r = pane.run("echo out; echo err >&2", T).unwrap();
    assert_eq!(r.output, "out\nerr\n");
}

#[test]
fn awkward_text_arrives_intact() {
    let env = Env::new();
    let pane = env.pane0("quotes");
    let cases = [
        r#"echo 'single' "double" \"esc\""#,
        r"echo back\\slash",
        "echo $HOME_NOT_SET_X; echo \"$((6*7))\"",
        "printf '%s\\n' 'ünïcødé ✓ 日本'",
        "echo a; echo b ; echo 'c;d'",
    ];
    let expect = [
        "single double \"esc\"\n",
        "back\\slash\n",
        "\n42\n",
        "ünïcødé ✓ 日本\n",
        "a\nb\nc;d\n",
    ];
    for (c, e) in cases.iter().zip(expect) {
        let r = pane.run(c, T).unwrap();
        assert_eq!(r.output, e, "command {c:?}");
        assert_eq!(r.exit_code, 0);
    }
    let multi = "x=1\nif [ $x = 1 ]; then\n  echo multi\nfi\ncat <<'EOF'\n$not $expanded\nEOF";
    let r = pane.run(multi, T).unwrap();
    assert_eq!(r.output, "multi\n$not $expanded\n");
}

#[test]
fn ten_kilobytes_of_command_text() {
    let env = Env::new();
    let pane = env.pane0("big");
    let payload: String = (0..1000)
        .map(|i| format!("{:09}", i))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(payload.len() >= 9_999);
    let cmd = format!("cat <<'EOF' | wc -c\n{payload}\nEOF");
    let r = pane.run(&cmd, T).unwrap();
    assert_eq!(r.output.trim(), (payload.len() + 1).to_string());
    // And the text itself round-trips through the shell.
    let cmd = format!("cat <<'EOF' | md5sum\n{payload}\nEOF");
    let r = pane.run(&cmd, T).unwrap();
    let local = crate::common::md5_of(&format!("{payload}\n"));
    assert!(r.output.starts_with(&local), "{} vs {local}", r.output);
}

#[test]
fn cd_and_export_persist() {
    let env = Env::new();
    let pane = env.pane0("persist");
    let dir = tempfile::tempdir().unwrap();
    let canon = dir.path().canonicalize().unwrap();
    pane.run(&format!("cd '{}'", canon.display()), T).unwrap();
    assert_eq!(
        pane.run("pwd", T).unwrap().output,
        format!("{}\n", canon.display())
    );
    pane.run("export CTMUX_X='a b'", T).unwrap();
    assert_eq!(pane.run("echo \"$CTMUX_X\"", T).unwrap().output, "a b\n");
}

#[test]
fn busy_pane_refuses_a_second_exec() {
    let env = Env::new();
    let pane = env.pane0("busy");
    let h = pane.exec("sleep 100").unwrap();
    // Busy at once, even before the job has started.
    let e = pane.exec("echo no").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    crate::common::wait_running(&pane, true);
    assert!(pane.is_running().unwrap());
    let e = pane.exec("echo no").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    pane.signal("SIGTERM").unwrap();
    let r = h.wait(T).unwrap();
    assert_eq!(r.exit_code, 143);
    assert!(!pane.is_running().unwrap());
    assert_eq!(pane.run("echo free", T).unwrap().output, "free\n");
}

#[test]
fn is_running_follows_the_foreground_group() {
    let env = Env::new();
    let pane = env.pane0("running");
    assert!(!pane.is_running().unwrap());
    // A builtin-only wait in the shell itself is not a foreground job.
    let h = pane.exec("sleep 0.5").unwrap();
    crate::common::wait_running(&pane, true);
    h.wait(T).unwrap();
    assert!(!pane.is_running().unwrap());
}

#[test]
fn timeout_carries_partial_output_and_interrupts() {
    let env = Env::new();
    let pane = env.pane0("timeout");
    let e = pane
        .run_or_interrupt("echo started; sleep 100", Duration::from_millis(700))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(e.partial_output(), Some("started\n"));
    assert!(!pane.is_running().unwrap());
    let w = pane.wait(T).unwrap().unwrap();
    assert_eq!(w.exit_code, 130);
    assert_eq!(pane.run("echo next", T).unwrap().output, "next\n");
}

#[test]
fn wait_without_a_ctmux_exec() {
    let env = Env::new();
    let pane = env.pane0("plainwait");
    assert_eq!(pane.wait(T).unwrap(), None);
    // A job started by typing, not by ctmux: waited for, no exit code.
    pane.send_text("sleep 0.4").unwrap();
    pane.send_keys(&["Enter"]).unwrap();
    crate::common::wait_running(&pane, true);
    assert_eq!(pane.wait(T).unwrap(), None);
    assert!(!pane.is_running().unwrap());
}

#[test]
fn exit_n_in_a_command_reports_n_and_the_pane_stays_usable() {
    let env = Env::new();
    let s = env.session("exits");
    let pane = s.pane_create(Some("quitter")).unwrap();
    pane.run("cd /tmp; x=kept", T).unwrap();
    let r = pane.run("echo bye; exit 3; echo never", T).unwrap();
    assert_eq!((r.exit_code, r.output.as_str()), (3, "bye\n"));
    // The wrapper caught the exit: the same shell, its cwd and variables, is still there.
    let r = pane.run("pwd; echo $x", T).unwrap();
    assert_eq!((r.exit_code, r.output.as_str()), (0, "/tmp\nkept\n"));
    // In a subshell, exit is the subshell's own.
    let r = pane.run("(exit 4); echo $?", T).unwrap();
    assert_eq!((r.exit_code, r.output.as_str()), (0, "4\n"));
    // During an exec, `exit` is the wrapper's function (removed when the exec ends).
    assert_eq!(pane.run("type -t exit", T).unwrap().output, "function\n");
}

#[test]
fn bad_commands_change_nothing() {
    let env = Env::new();
    let pane = env.pane0("badcmd");
    for bad in ["", "   ", "a\0b"] {
        assert_eq!(pane.exec(bad).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    assert_eq!(pane.run("echo ok", T).unwrap().output, "ok\n");
}

#[test]
fn create_then_exec_loses_nothing() {
    let env = Env::new();
    let n: usize = std::env::var("CTMUX_STRESS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    for i in 0..n {
        let name = format!("c{i}");
        let s = env.session(&name);
        let pane = s.pane_str("0").unwrap();
        let r = pane.run(&format!("echo 'run {i} ok'"), T).unwrap();
        assert_eq!(r.output, format!("run {i} ok\n"), "iteration {i}");
        assert_eq!(r.exit_code, 0);
        // and a brand-new split pane
        let p2 = s.pane_create(None).unwrap();
        let r = p2.run(&format!("echo \"split {i}\""), T).unwrap();
        assert_eq!(r.output, format!("split {i}\n"), "iteration {i}");
        s.kill().unwrap();
    }
}

/// A cancel check that turns true `after` the first call, counting its calls.
struct CancelAfter {
    start: std::sync::OnceLock<std::time::Instant>,
    after: Duration,
    calls: std::sync::atomic::AtomicUsize,
}

impl CancelAfter {
    fn new(after: Duration) -> Self {
        CancelAfter {
            start: std::sync::OnceLock::new(),
            after,
            calls: Default::default(),
        }
    }
    fn check(&self) -> bool {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.start.get_or_init(std::time::Instant::now).elapsed() >= self.after
    }
}

#[test]
fn cancelled_waits_stop_and_leave_the_job_running() {
    let env = Env::new();
    let pane = env.pane0("cancel");
    // run: the wait stops, the command goes on and can still be waited for.
    let cancel = CancelAfter::new(Duration::from_millis(300));
    let err = pane
        .run_cancellable("sleep 100", None, &|| cancel.check())
        .unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(cancel.calls.load(std::sync::atomic::Ordering::Relaxed) >= 2);
    assert!(pane.is_running().unwrap());
    // Pane::wait on the same exec, cancelled too.
    let cancel = CancelAfter::new(Duration::from_millis(100));
    let err = pane.wait_cancellable(None, &|| cancel.check()).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    pane.signal("INT").unwrap();
    let r = pane.wait(T).unwrap().expect("the exec ctmux started");
    assert_eq!(r.exit_code, 130);
    // A check that never fires changes nothing.
    let r = pane.run_cancellable("echo fine", T, &|| false).unwrap();
    assert_eq!(r.output, "fine\n");
    // run_or_interrupt: cancelling the wait does not interrupt the command.
    let cancel = CancelAfter::new(Duration::from_millis(100));
    let err = pane
        .run_or_interrupt_cancellable("sleep 100", Duration::from_secs(60), &|| cancel.check())
        .unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(pane.is_running().unwrap());
}

#[test]
fn cancelled_watch_stops() {
    let env = Env::new();
    let pane = env.pane0("cancel-watch");
    let cancel = CancelAfter::new(Duration::from_millis(200));
    let err = pane
        .watch_cancellable("^never-printed$", None, None, &|| cancel.check())
        .unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    // A bad pattern is still refused before anything else.
    let err = pane
        .watch_cancellable("(", None, None, &|| true)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
        #[test]
        fn any_exit_code_round_trips(codes in proptest::collection::vec(0i32..=255, 1..4)) {
            let env = Env::new();
            let pane = env.pane0("prop");
            for code in codes {
                let r = pane.run(&format!("(exit {code})"), T).unwrap();
                prop_assert_eq!(r.exit_code, code);
            }
        }
    }
}

#[test]
fn output_survives_an_echo_line_that_fills_the_width() {
    // The echoed ` . '<dir>/<id>.sh'` line has a length that depends on the state-dir path;
    // try every pane width around it so one of them makes the line fill the row exactly.
    let env = Env::new();
    let s = env.session("widths");
    let pane = s.pane_str("0").unwrap();
    pane.run("true", T).unwrap();
    let echoed = pane.capture(Some(50)).unwrap();
    let len = echoed
        .lines()
        .rev()
        .find(|l| l.contains(".sh'"))
        .unwrap()
        .chars()
        .count() as u16;
    for width in len.saturating_sub(2)..=len + 2 {
        env.client
            .tmux(&["resize-window", "-t", s.id(), "-x", &width.to_string()])
            .unwrap();
        let r = pane.run("echo first; echo second", T).unwrap();
        assert_eq!(r.output, "first\nsecond\n", "width {width}");
        let r = pane.run("true", T).unwrap();
        assert_eq!(r.output, "", "width {width}");
    }
}

#[test]
fn last_session_killed_under_a_handle_is_not_found() {
    let env = Env::new();
    let s = env.session("only");
    env.client
        .tmux(&["set-option", "-g", "exit-empty", "off"])
        .unwrap();
    let pane = s.pane_str("0").unwrap();
    s.kill().unwrap();
    assert_eq!(pane.info().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.panes().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.kill().unwrap_err().kind(), ErrorKind::NotFound);
}

/// 50 MB of output on a server with tmux's default history-limit come back whole: beyond the
/// memory cap the text is in `output_file` (and `output` holds its last part), nothing is
/// marked truncated; a caller's `max_output` cap is the only thing that truncates.
#[test]
fn fifty_megabytes_spill_to_a_file_whole() {
    use ctmux_core::exec::ExecOptions;
    let env = Env::new();
    let s = env.session("big");
    env.client
        .tmux(&["set-option", "-g", "history-limit", "2000"])
        .unwrap();
    let pane = s.pane_create(None).unwrap();
    let opts = ExecOptions {
        memory_cap: 1 << 20,
        ..ExecOptions::default()
    };
    // 500 000 lines of 99 'y' + '\n': 50 000 000 bytes.
    let cmd = "head -c 49500000 /dev/zero | tr '\\0' y | fold -w 99; echo";
    let r = pane
        .run_with(cmd, Some(Duration::from_secs(300)), &opts)
        .unwrap();
    assert_eq!(r.exit_code, 0);
    assert!(!r.truncated);
    let file = r.output_file.clone().expect("spilled to a file");
    let text = std::fs::read(&file).unwrap();
    assert_eq!(text.len(), 50_000_000);
    assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 500_000);
    assert!(text
        .chunks(100)
        .all(|l| l == [&[b'y'; 99][..], b"\n"].concat()));
    assert!(r.output.len() <= 1 << 20 && text.ends_with(r.output.as_bytes()));
    std::fs::remove_file(file).unwrap();
    // The caller's cap.
    let capped = ExecOptions {
        max_output: Some(1000),
        ..ExecOptions::default()
    };
    let r = pane.run_with("seq 1 100000", T, &capped).unwrap();
    assert!(r.truncated);
    assert_eq!(r.output.len(), 1000);
    assert!(r.output.starts_with("1\n2\n3\n"));
}
