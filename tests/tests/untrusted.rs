//! Untrusted snapshot files: more windows, panes or bytes than the limits is InvalidInput
//! naming the limit, and nothing is created; a dry run of the largest file the limits allow
//! stays under 100 MB of memory (measured on the real `ctmux` binary).

use crate::common::Env;
use ctmux_core::snapshot::validate::{MAX_PANES, MAX_PANES_PER_WINDOW, MAX_WINDOWS};
use ctmux_core::snapshot::MAX_SNAPSHOT_BYTES;
use ctmux_core::{ErrorKind, RestoreOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

use crate::common::ctmux_binary as binary;

/// A snapshot of `windows` windows of `panes` panes, each running `echo` + `fill` x's.
fn snapshot(windows: usize, panes: usize, fill: usize) -> Value {
    let cmd = format!("echo {}", "x".repeat(fill));
    let windows: Vec<Value> = (0..windows)
        .map(|w| {
            let panes: Vec<Value> = (0..panes)
                .map(|p| json!({"index": p, "command": cmd}))
                .collect();
            json!({"index": w, "name": format!("w{w}"), "layout": "tiled", "panes": panes})
        })
        .collect();
    json!({"format": "ctmux-snapshot", "version": 1, "session_name": "big", "windows": windows})
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let f = dir.join(name);
    std::fs::write(&f, serde_json::to_vec(v).unwrap()).unwrap();
    f
}

#[test]
fn limits_are_invalid_input_naming_the_limit_and_create_nothing() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "windows.json",
            snapshot(MAX_WINDOWS + 1, 1, 0),
            "limit of 1000",
        ),
        ("panes.json", snapshot(40, 251, 0), "limit of 10000"),
        (
            "per-window.json",
            snapshot(1, MAX_PANES_PER_WINDOW + 1, 0),
            "limit of 256 per window",
        ),
    ];
    const { assert!(40 * 251 > MAX_PANES) };
    for (name, snap, limit) in cases {
        let f = write(dir.path(), name, &snap);
        for dry_run in [true, false] {
            let err = env
                .client
                .snapshot_restore(
                    &f,
                    &RestoreOptions {
                        dry_run,
                        ..Default::default()
                    },
                )
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}: {err}");
            assert!(err.to_string().contains(limit), "{name}: {err}");
        }
    }
    // Over the byte limit (the file is not even read whole).
    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_SNAPSHOT_BYTES + 1).unwrap();
    let err = env
        .client
        .snapshot_restore(&big, &RestoreOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(env.client.session_list().unwrap().is_empty());
}

#[test]
fn a_dry_run_of_the_largest_allowed_file_stays_under_100_mb() {
    let env = Env::new();
    env.client
        .session_create("keeper", &Default::default())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The most panes allowed, each command as long as fits in the byte limit: the commands
    // are what a dry run reports (every other field stays in the file's snapshot).
    let per_pane = (MAX_SNAPSHOT_BYTES as usize - 200_000) / MAX_PANES;
    let f = write(
        dir.path(),
        "largest.json",
        &snapshot(MAX_WINDOWS, MAX_PANES / MAX_WINDOWS, per_pane - 40),
    );
    let len = std::fs::metadata(&f).unwrap().len();
    assert!(
        len <= MAX_SNAPSHOT_BYTES && len > MAX_SNAPSHOT_BYTES * 9 / 10,
        "{len}"
    );
    let ctmux_core::Socket::Path(sock) = env.client.server().socket() else {
        panic!("isolated servers use -S")
    };
    // The peak is read by a small python parent (`RUSAGE_CHILDREN`): a child spawned by
    // this test process directly starts with this process's own high-water mark (the kernel
    // keeps the old address space's peak across `exec`), which would be measured instead.
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import resource, subprocess, sys\n\
             r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
             print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        )
        .arg(binary())
        .arg("--socket-path")
        .arg(sock)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("session-restore")
        .arg(&f)
        .arg("--dry-run")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    assert_eq!(words.next(), Some("0"), "the dry run failed: {text}");
    let kib: f64 = words.next().unwrap().parse().unwrap(); // KiB on Linux
    let peak_mb = kib / 1024.0;
    eprintln!("dry run of a {len}-byte snapshot: peak RSS {peak_mb:.1} MB");
    assert!(peak_mb < 100.0, "peak RSS {peak_mb:.1} MB");
    assert_eq!(env.client.session_list().unwrap().len(), 1);
}
