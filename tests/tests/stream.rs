//! Live output streams: lossless under load, UTF-8 and escape sequences whole, clean ends.

use crate::common::{Env, T};
use ctmux_core::ErrorKind;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const WAIT: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn twenty_panes_ten_thousand_lines_each_arrive_once_in_order() {
    let env = Env::new();
    let s = env.session("flood");
    let mut panes = vec![s.pane_str("0").unwrap()];
    for _ in 1..20 {
        panes.push(s.pane_create(None).unwrap());
        // Keep every pane big enough to stay usable.
        env.client
            .tmux(&["select-layout", "-t", s.id(), "tiled"])
            .unwrap();
    }
    let mut stream = s.stream().unwrap();
    // Colour codes, a tab and multi-byte characters on every line: tmux cuts `%output`
    // anywhere, so they are split across notifications all the time.
    let script = "import sys\nk=sys.argv[1]\nw=sys.stdout.write\nfor i in range(1,10001):\n    w(f'\\x1b[3{i%8}mL{k} {i}\\x1b[0m\\t\u{e9}\u{2713}\u{1f980}|\\n')\n";
    let file = env.server.dir().join("flood.py");
    std::fs::write(&file, script).unwrap();
    let ids: Vec<String> = panes.iter().map(|p| p.id().to_string()).collect();
    for (k, p) in panes.iter().enumerate() {
        p.send_text(&format!("python3 {} {k}\n", file.display()))
            .unwrap();
    }
    let mut next: HashMap<String, u64> = HashMap::new();
    let mut last_seq: HashMap<String, u64> = HashMap::new();
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    while done < 20 {
        assert!(Instant::now() < deadline, "stream too slow: {next:?}");
        let line = stream.next_line(WAIT).unwrap().expect("stream ended early");
        let prev = last_seq.insert(line.pane.clone(), line.seq).unwrap_or(0);
        assert_eq!(line.seq, prev + 1, "sequence gap in {}", line.pane);
        let Some(rest) = line.text.strip_prefix('L') else {
            continue;
        };
        let (k, tail) = rest.split_once(' ').unwrap();
        let (n, suffix) = tail.split_once('\t').unwrap();
        assert_eq!(suffix, "\u{e9}\u{2713}\u{1f980}|", "line {:?}", line.text);
        let k: usize = k.parse().unwrap();
        assert_eq!(
            ids[k], line.pane,
            "line of pane {k} reported for {}",
            line.pane
        );
        let n: u64 = n.parse().unwrap();
        let want = next.entry(line.pane.clone()).or_insert(1);
        assert_eq!(n, *want, "pane {k}: expected line {want}, got {n}");
        *want += 1;
        if n == 10_000 {
            done += 1;
        }
    }
}

#[test]
fn pane_stream_ends_when_the_pane_is_killed() {
    let env = Env::new();
    let s = env.session("end");
    let other = s.pane_create(None).unwrap();
    let mut stream = other.stream().unwrap();
    other.send_text("echo one; echo two\n").unwrap();
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("two") {
        seen.push(stream.next_line(T).unwrap().unwrap().text);
    }
    assert!(seen.contains(&"one".to_owned()));
    let err = stream
        .next_line(Some(Duration::from_millis(100)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "a quiet pane times out");
    other.kill().unwrap();
    let start = Instant::now();
    loop {
        match stream.next_line(T).unwrap() {
            None => break,
            Some(l) => assert!(l.text.trim_start_matches('$').trim().is_empty(), "{l:?}"),
        }
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    // Over stays over.
    assert!(stream.next_line(T).unwrap().is_none());
}

#[test]
fn killing_the_server_ends_a_stream_with_server_unavailable() {
    let mut env = Env::new();
    let p = env.pane0("gone");
    let mut stream = p.stream().unwrap();
    p.send_text("echo hi\n").unwrap();
    env.server.close().unwrap();
    let start = Instant::now();
    let err = loop {
        match stream.next_line(T) {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("ended as if the pane exited"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::ServerUnavailable, "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
    let mut stream = stream;
    assert!(stream.next().is_none() || stream.next().is_none());
}

#[test]
fn tail_gives_the_last_lines() {
    let env = Env::new();
    let p = env.pane0("tail");
    p.run("for i in 1 2 3 4 5; do echo row$i; done", T).unwrap();
    let last = p.tail(50).unwrap();
    let rows: Vec<&String> = last.iter().filter(|l| l.starts_with("row")).collect();
    assert_eq!(rows, ["row1", "row2", "row3", "row4", "row5"]);
    assert_eq!(p.tail(0).unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[test]
fn the_last_pane_exiting_ends_its_stream_after_every_line() {
    let env = Env::new();
    let p = env.pane0("only");
    let mut stream = p.stream().unwrap();
    // (A pause before `exit`: tmux may drop what a pane printed just before it is destroyed.)
    p.send_text("echo bye; sleep 0.3; exit\n").unwrap();
    let start = Instant::now();
    let mut seen_bye = false;
    // The pane's exit ends the server too: tmux reports that exactly like a killed server,
    // so the stream ends with ServerUnavailable after every line (see the module docs).
    loop {
        match stream.next_line(T) {
            Ok(Some(l)) => seen_bye |= l.text == "bye",
            Ok(None) => break,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::ServerUnavailable, "{e}");
                assert!(e.to_string().contains("ended its last session"), "{e}");
                break;
            }
        }
    }
    assert!(seen_bye);
    assert!(start.elapsed() < Duration::from_secs(5));
}
