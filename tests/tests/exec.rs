//! Exact exec: exit codes, output, persistence of shell state.

use crate::common::Env;
use std::time::Duration;

const T: Option<Duration> = Some(Duration::from_secs(20));

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
}

#[test]
fn output_is_the_commands_own() {
    let env = Env::new();
    let pane = env.pane0("out");
    let r = pane.run("echo hello; echo world", T).unwrap();
    assert_eq!(r.output, "hello\nworld\n");
    let r = pane.run("printf abc", T).unwrap();
    assert_eq!(r.output, "abc");
}
