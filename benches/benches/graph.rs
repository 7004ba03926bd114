//! Criterion benches of the session dependency graph (`ctmux_core::deps`) and of the
//! groups file that stores it. Pure computation plus a private temp state dir (that of an
//! `IsolatedServer` guard whose tmux server is never started).
//!
//! - `graph/order_50`: `DepGraph::order()` of a 50-session DAG with 120 edges (the
//!   acceptance target: under 1 ms).
//! - `graph/order_of_group_50`: `order_of` the same 50 sessions as a group's members.
//! - `graph/build_50`: adding the 120 edges one by one with `DepGraph::add`, each checked
//!   for a cycle.
//! - `graph/order_500`: `order()` of a 500-session DAG with 1500 edges, for scale.
//! - `graph/store_depends_50`: `Ctmux::session_depends` then `session_undepend` on a stored
//!   50-session graph: two locked read-modify-writes of `groups.json` (each an fsync'd
//!   atomic write), so this measures the file, not the graph.
//!
//! Run with `cargo bench -p ctmux-benches --bench graph`.

use criterion::Criterion;
use ctmux_core::deps::DepGraph;
use ctmux_core::IsolatedServer;
use std::hint::black_box;

/// A deterministic DAG over `nodes` sessions with `edges` edges `s{i} -> s{j}`, `j < i` (so
/// no cycle): each session but the first needs one earlier session (so every session is in
/// the graph), the rest are spread by a small linear congruential generator.
fn dag(nodes: usize, edges: usize) -> Vec<(String, String)> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (x >> 33) as usize
    };
    let name = |i: usize| format!("s{i:03}");
    let mut out = std::collections::BTreeSet::new();
    for a in 1..nodes {
        out.insert((name(a), name(next() % a)));
    }
    while out.len() < edges {
        let a = 1 + next() % (nodes - 1);
        out.insert((name(a), name(next() % a)));
    }
    out.into_iter().collect()
}

fn build(edges: &[(String, String)]) -> DepGraph {
    let mut g = DepGraph::new();
    for (a, b) in edges {
        g.add(a, b).expect("acyclic by construction");
    }
    g
}

fn graph(c: &mut Criterion) {
    let e50 = dag(50, 120);
    let g50 = build(&e50);
    assert_eq!(g50.order().unwrap().len(), 50);
    let members: Vec<String> = (0..50).rev().map(|i| format!("s{i:03}")).collect();
    let e500 = dag(500, 1500);
    let g500 = build(&e500);

    let mut group = c.benchmark_group("graph");
    group.bench_function("order_50", |b| b.iter(|| black_box(g50.order().unwrap())));
    group.bench_function("order_of_group_50", |b| {
        b.iter(|| black_box(g50.order_of(&members).unwrap()))
    });
    group.bench_function("build_50", |b| b.iter(|| black_box(build(&e50))));
    group.bench_function("order_500", |b| b.iter(|| black_box(g500.order().unwrap())));

    // The guard's temp dir holds the state dir; no tmux server is started.
    let server = IsolatedServer::start().expect("temp dir");
    let client = server.client().expect("client");
    for (a, b) in &e50 {
        client.session_depends(a, b).expect("store edge");
    }
    group.bench_function("store_depends_50", |b| {
        b.iter(|| {
            client.session_depends("s049", "s048x").unwrap();
            client.session_undepend("s049", "s048x").unwrap();
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    graph(&mut c);
    c.final_summary();
}
