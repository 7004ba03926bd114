//! Session dependencies end to end: the CLI, cycles refused with the cycle named, start
//! orders that respect every edge (a property test through the stored graph), and a
//! hand-edited file with a cycle.

use crate::groups::Ctl;
use ctmux_core::{Ctmux, ErrorKind};
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

#[test]
fn cli_dependencies() {
    let ctl = Ctl::new();
    let v = ctl.ok(&["session-depends", "api", "db"]);
    assert_eq!(
        (v["session"].as_str(), &v["depends_on"]),
        (Some("api"), &json!(["db"]))
    );
    ctl.ok(&["session-depends", "api", "cache"]);
    ctl.ok(&["session-depends", "web", "api"]);
    ctl.fails(&["session-depends", "api", "db"], 1, "AlreadyExists");
    let v = ctl.fails(&["session-depends", "api", "api"], 1, "InvalidInput");
    assert!(v["error"].as_str().unwrap().contains("itself"), "{v}");
    let v = ctl.fails(&["session-depends", "db", "web"], 1, "InvalidInput");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("db -> web -> api -> db"),
        "{v}"
    );
    ctl.fails(&["session-depends", "a:b", "c"], 1, "InvalidInput");
    ctl.fails(&["session-depends", "only-one"], 2, "InvalidInput");

    let v = ctl.ok(&["session-depends-list"]);
    assert_eq!(
        v["dependencies"],
        json!({"api": ["cache", "db"], "web": ["api"]})
    );
    let v = ctl.ok(&["session-depends-list", "api"]);
    assert_eq!(
        (&v["depends_on"], &v["needed_by"]),
        (&json!(["cache", "db"]), &json!(["web"]))
    );
    let v = ctl.ok(&["session-start-order"]);
    assert_eq!(v["order"], json!(["cache", "db", "api", "web"]));

    ctl.ok(&["group-create", "g"]);
    ctl.ok(&["group-add", "g", "web", "--command", "true"]);
    let v = ctl.ok(&["session-start-order", "g"]);
    assert_eq!(v["order"], json!(["cache", "db", "api", "web"]));
    ctl.fails(&["session-start-order", "nope"], 1, "NotFound");

    let v = ctl.ok(&["session-depends-remove", "api", "cache"]);
    assert_eq!(v["depends_on"], json!(["db"]));
    ctl.fails(&["session-depends-remove", "api", "cache"], 1, "NotFound");
    // With the edge gone, the former cycle is allowed.
    ctl.ok(&["session-depends-remove", "web", "api"]);
    ctl.ok(&["session-depends", "db", "web"]);
}

#[test]
fn a_cycle_in_a_hand_edited_file_is_named_and_can_be_repaired() {
    let ctl = Ctl::new();
    std::fs::write(
        ctl.state_dir.join("groups.json"),
        r#"{"version": 1,
            "groups": {"g": {"sessions": ["x"], "metadata": {}, "start": {"x": {"command": "true"}}}},
            "dependencies": {"x": ["y"], "y": ["z"], "z": ["x"]}}"#,
    )
    .unwrap();
    let v = ctl.fails(&["session-start-order"], 1, "InvalidInput");
    assert!(
        v["error"].as_str().unwrap().contains("x -> y -> z -> x"),
        "{v}"
    );
    let v = ctl.fails(&["group-up", "g", "--timeout", "1"], 1, "InvalidInput");
    assert!(v["error"].as_str().unwrap().contains("cycle"), "{v}");
    assert!(ctl.client.session("x").is_err(), "nothing may start");
    ctl.ok(&["session-depends-remove", "z", "x"]);
    assert_eq!(
        ctl.ok(&["session-start-order"])["order"],
        json!(["z", "y", "x"])
    );
}

/// A client with a state dir only: dependencies need no tmux.
fn state_only() -> (tempfile::TempDir, Ctmux) {
    let dir = tempfile::tempdir().unwrap();
    let server =
        ctmux_core::Server::new(ctmux_core::Socket::Path(dir.path().join("unused.sock"))).unwrap();
    let client = Ctmux::builder()
        .server(server)
        .state_dir(dir.path().join("state"))
        .build()
        .unwrap();
    (dir, client)
}

fn reaches(edges: &BTreeSet<(usize, usize)>, from: usize, to: usize) -> bool {
    let mut seen = BTreeSet::from([from]);
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        for &(a, b) in edges {
            if a == n && seen.insert(b) {
                stack.push(b);
            }
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Random edges through the stored graph: a cycle (or self-edge, or duplicate) is refused
    /// and leaves the file as it was; the start order respects every stored edge.
    #[test]
    fn stored_graphs_refuse_cycles_and_order_respects_every_edge(
        n in 2usize..10,
        picks in prop::collection::vec((0usize..10, 0usize..10), 1..25),
    ) {
        let (_dir, c) = state_only();
        let name = |i: usize| format!("svc-{i}");
        let mut kept = BTreeSet::new();
        for (a, b) in picks {
            let (a, b) = (a % n, b % n);
            let before = c.dependencies().unwrap();
            let r = c.session_depends(&name(a), &name(b));
            if a == b || reaches(&kept, b, a) {
                prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidInput);
                prop_assert_eq!(c.dependencies().unwrap(), before);
            } else if kept.contains(&(a, b)) {
                prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::AlreadyExists);
            } else {
                prop_assert!(r.is_ok());
                kept.insert((a, b));
            }
        }
        let order = c.start_order(None).unwrap();
        let pos: HashMap<&str, usize> =
            order.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
        let graph = c.dependencies().unwrap();
        prop_assert_eq!(graph.edges().count(), kept.len());
        for (a, b) in graph.edges() {
            prop_assert!(pos[b] < pos[a], "{} needs {} but starts first", a, b);
        }
    }
}
