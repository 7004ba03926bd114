//! The dependency graph between sessions: edges, cycle detection and start order.
//!
//! Pure logic, no tmux and no files: [`DepGraph`] holds edges "A needs B" (`A -> B`),
//! refuses an edge that would close a cycle (naming the cycle), and computes a topological
//! start order in which every session comes after everything it needs. The graph is stored
//! in the state dir's groups file (see [`crate::group`]); this module only computes.
//!
//! ```
//! use ctmux_core::deps::DepGraph;
//!
//! let mut g = DepGraph::new();
//! g.add("api", "db")?;
//! g.add("api", "cache")?;
//! g.add("web", "api")?;
//! assert_eq!(g.order()?, ["cache", "db", "api", "web"]);
//! let e = g.add("db", "web").unwrap_err();
//! assert!(e.to_string().contains("db -> web -> api -> db"));
//! # Ok::<(), ctmux_core::Error>(())
//! ```

use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Directed graph of "A needs B" edges between session names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepGraph {
    /// `needs[a]` = the sessions `a` depends on.
    needs: BTreeMap<String, BTreeSet<String>>,
}

impl DepGraph {
    /// An empty graph.
    pub fn new() -> Self {
        DepGraph::default()
    }

    /// A graph with exactly these edges (`a` needs each of `map[a]`), unchecked: it may hold
    /// cycles or self-edges (as a hand-edited file might). [`DepGraph::order`] reports them.
    pub fn from_edges<'a>(edges: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut g = DepGraph::new();
        for (a, b) in edges {
            g.needs
                .entry(a.to_owned())
                .or_default()
                .insert(b.to_owned());
        }
        g
    }

    /// Add "`a` needs `b`".
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if `a == b` or if the edge would close a cycle (the message
    /// names it, e.g. `db -> web -> api -> db`); [`Error::AlreadyExists`] if the edge is
    /// already there. The graph is unchanged on error.
    pub fn add(&mut self, a: &str, b: &str) -> Result<()> {
        if a == b {
            return Err(Error::invalid(
                "dependency",
                format!("session {a} cannot depend on itself"),
            ));
        }
        if self.needs.get(a).is_some_and(|s| s.contains(b)) {
            return Err(Error::AlreadyExists {
                what: "dependency",
                name: format!("{a} -> {b}"),
            });
        }
        if let Some(path) = self.path(b, a) {
            let mut cycle = vec![a.to_owned()];
            cycle.extend(path);
            return Err(Error::invalid(
                "dependency",
                format!("{a} -> {b} would close the cycle {}", cycle.join(" -> ")),
            ));
        }
        self.needs
            .entry(a.to_owned())
            .or_default()
            .insert(b.to_owned());
        Ok(())
    }

    /// Remove "`a` needs `b`".
    ///
    /// # Errors
    /// [`Error::NotFound`] if there is no such edge.
    pub fn remove(&mut self, a: &str, b: &str) -> Result<()> {
        let removed = self.needs.get_mut(a).is_some_and(|s| s.remove(b));
        if !removed {
            return Err(Error::not_found("dependency", format!("{a} -> {b}")));
        }
        if self.needs.get(a).is_some_and(BTreeSet::is_empty) {
            self.needs.remove(a);
        }
        Ok(())
    }

    /// Whether "`a` needs `b`" is an edge.
    pub fn contains(&self, a: &str, b: &str) -> bool {
        self.needs.get(a).is_some_and(|s| s.contains(b))
    }

    /// What `a` needs directly, sorted.
    pub fn needs(&self, a: &str) -> Vec<String> {
        self.needs
            .get(a)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The sessions that need `b` directly, sorted.
    pub fn needed_by(&self, b: &str) -> Vec<String> {
        self.needs
            .iter()
            .filter(|(_, s)| s.contains(b))
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// Every edge as `(a, b)`: "`a` needs `b`", sorted.
    pub fn edges(&self) -> impl Iterator<Item = (&str, &str)> {
        self.needs
            .iter()
            .flat_map(|(a, s)| s.iter().map(move |b| (a.as_str(), b.as_str())))
    }

    /// The edges as a map `a -> [b, ...]` (what the groups file stores).
    pub fn to_map(&self) -> BTreeMap<String, Vec<String>> {
        self.needs
            .iter()
            .map(|(a, s)| (a.clone(), s.iter().cloned().collect()))
            .collect()
    }

    /// Every session named in an edge, sorted.
    pub fn nodes(&self) -> BTreeSet<&str> {
        self.edges().flat_map(|(a, b)| [a, b]).collect()
    }

    /// Whether the graph has no edges.
    pub fn is_empty(&self) -> bool {
        self.needs.is_empty()
    }

    /// A path of edges from `from` to `to` (both included), if `to` is reachable.
    pub fn path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut stack = vec![from];
        let mut seen: BTreeSet<&str> = BTreeSet::from([from]);
        while let Some(n) = stack.pop() {
            if n == to {
                let mut path = vec![to.to_owned()];
                let mut cur = to;
                while cur != from {
                    cur = parent[cur];
                    path.push(cur.to_owned());
                }
                path.reverse();
                return Some(path);
            }
            for next in self.needs.get(n).into_iter().flatten() {
                if seen.insert(next) {
                    parent.insert(next, n);
                    stack.push(next);
                }
            }
        }
        None
    }

    /// A cycle, if the graph has one, as `[a, b, ..., a]`.
    pub fn find_cycle(&self) -> Option<Vec<String>> {
        // Iterative three-colour DFS.
        let mut state: HashMap<&str, u8> = HashMap::new(); // 1 = on stack, 2 = done
        for root in self.needs.keys() {
            if state.contains_key(root.as_str()) {
                continue;
            }
            let mut stack: Vec<(&str, Vec<&str>)> = vec![(root, self.children(root))];
            state.insert(root, 1);
            while let Some((node, children)) = stack.last_mut() {
                let node = *node;
                match children.pop() {
                    Some(child) => match state.get(child) {
                        Some(1) => {
                            let at = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                            let mut cycle: Vec<String> =
                                stack[at..].iter().map(|(n, _)| (*n).to_owned()).collect();
                            cycle.push(child.to_owned());
                            return Some(cycle);
                        }
                        Some(_) => {}
                        None => {
                            state.insert(child, 1);
                            stack.push((child, self.children(child)));
                        }
                    },
                    None => {
                        state.insert(node, 2);
                        stack.pop();
                    }
                }
            }
        }
        None
    }

    fn children(&self, n: &str) -> Vec<&str> {
        // Reversed so that popping visits them in sorted order.
        self.needs
            .get(n)
            .map(|s| s.iter().rev().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Every session of the graph in start order: each after everything it needs; ties in
    /// name order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming a cycle, if the graph has one.
    pub fn order(&self) -> Result<Vec<String>> {
        let nodes: Vec<&str> = self.nodes().into_iter().collect();
        self.order_of(&nodes)
    }

    /// Start order of `roots` and everything they need, directly or not: each after what it
    /// needs. Ties go to the earlier entry of `roots`, then to name order (for sessions that
    /// are not in `roots`). A root named twice appears once.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming a cycle among the sessions involved.
    pub fn order_of<S: AsRef<str>>(&self, roots: &[S]) -> Result<Vec<String>> {
        // Collect roots plus their transitive needs.
        let mut rank: HashMap<&str, usize> = HashMap::new();
        for (i, r) in roots.iter().enumerate() {
            rank.entry(r.as_ref()).or_insert(i);
        }
        let mut involved: BTreeSet<&str> = rank.keys().copied().collect();
        let mut stack: Vec<&str> = involved.iter().copied().collect();
        while let Some(n) = stack.pop() {
            for m in self.needs.get(n).into_iter().flatten() {
                if involved.insert(m) {
                    stack.push(m);
                }
            }
        }
        // Kahn's algorithm: a node is ready once everything it needs is placed.
        let mut missing: HashMap<&str, usize> = HashMap::with_capacity(involved.len());
        let mut needed_by: HashMap<&str, Vec<&str>> = HashMap::new();
        for &n in &involved {
            let deps = self.needs.get(n);
            missing.insert(n, deps.map_or(0, BTreeSet::len));
            for d in deps.into_iter().flatten() {
                needed_by.entry(d.as_str()).or_default().push(n);
            }
        }
        let key = |n: &str| (rank.get(n).copied().unwrap_or(usize::MAX), n.to_owned());
        let mut ready: BTreeSet<(usize, String)> = missing
            .iter()
            .filter(|(_, &c)| c == 0)
            .map(|(n, _)| key(n))
            .collect();
        let mut order = Vec::with_capacity(involved.len());
        while let Some(first) = ready.pop_first() {
            let n = first.1;
            for &m in needed_by.get(n.as_str()).into_iter().flatten() {
                let c = missing.get_mut(m).expect("involved");
                *c -= 1;
                if *c == 0 {
                    ready.insert(key(m));
                }
            }
            order.push(n);
        }
        if order.len() < involved.len() {
            let cycle = self
                .find_cycle_among(&involved)
                .map(|c| c.join(" -> "))
                .unwrap_or_else(|| "(unknown)".into());
            return Err(Error::invalid(
                "dependencies",
                format!("they form a cycle: {cycle}; remove one of its edges"),
            ));
        }
        Ok(order)
    }

    fn find_cycle_among(&self, nodes: &BTreeSet<&str>) -> Option<Vec<String>> {
        let sub = DepGraph::from_edges(
            self.edges()
                .filter(|(a, b)| nodes.contains(a) && nodes.contains(b)),
        );
        sub.find_cycle()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use proptest::prelude::*;

    #[test]
    fn orders_deps_first() {
        let mut g = DepGraph::new();
        g.add("api", "db").unwrap();
        g.add("api", "cache").unwrap();
        g.add("frontend", "api").unwrap();
        assert_eq!(g.order().unwrap(), ["cache", "db", "api", "frontend"]);
        assert_eq!(
            g.order_of(&["frontend"]).unwrap().last().unwrap(),
            "frontend"
        );
        assert_eq!(g.order_of(&["db", "cache"]).unwrap(), ["db", "cache"]);
        assert_eq!(g.order_of(&["api"]).unwrap(), ["cache", "db", "api"]);
        assert_eq!(g.order_of(&["lonely", "lonely"]).unwrap(), ["lonely"]);
        assert_eq!(g.needs("api"), ["cache", "db"]);
        assert_eq!(g.needed_by("api"), ["frontend"]);
        assert!(g.contains("api", "db"));
    }

    #[test]
    fn refuses_self_duplicate_and_cycles() {
        let mut g = DepGraph::new();
        assert_eq!(g.add("a", "a").unwrap_err().kind(), ErrorKind::InvalidInput);
        g.add("a", "b").unwrap();
        assert_eq!(
            g.add("a", "b").unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        g.add("b", "c").unwrap();
        let e = g.add("c", "a").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("c -> a -> b -> c"), "{e}");
        assert_eq!(g.edges().count(), 2);
        assert_eq!(g.remove("c", "a").unwrap_err().kind(), ErrorKind::NotFound);
        g.remove("a", "b").unwrap();
        g.add("c", "a").unwrap();
    }

    #[test]
    fn cycles_from_a_file_are_named() {
        let g = DepGraph::from_edges([("x", "y"), ("y", "z"), ("z", "x"), ("w", "x")]);
        let e = g.order().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("x -> y -> z -> x"), "{e}");
        assert_eq!(g.order_of(&["q"]).unwrap(), ["q"]);
        let g = DepGraph::from_edges([("s", "s")]);
        assert_eq!(g.find_cycle().unwrap(), ["s", "s"]);
    }

    /// Reachability by brute force: the oracle for the property tests.
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

    fn name(i: usize) -> String {
        format!("s{i}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Adding random edges one by one: an edge is refused exactly when it would close a
        /// cycle (or is a self-edge or a duplicate); the order respects every kept edge.
        #[test]
        fn random_graphs(n in 1usize..14, picks in prop::collection::vec((0usize..14, 0usize..14), 0..60)) {
            let mut g = DepGraph::new();
            let mut kept: BTreeSet<(usize, usize)> = BTreeSet::new();
            for (a, b) in picks {
                let (a, b) = (a % n, b % n);
                let r = g.add(&name(a), &name(b));
                if a == b {
                    prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidInput);
                } else if kept.contains(&(a, b)) {
                    prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::AlreadyExists);
                } else if reaches(&kept, b, a) {
                    let e = r.unwrap_err();
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                    let edge = format!("{} -> {}", name(a), name(b));
                    prop_assert!(e.to_string().contains(&edge), "{} lacks {}", e, edge);
                } else {
                    prop_assert!(r.is_ok());
                    kept.insert((a, b));
                }
            }
            prop_assert!(g.find_cycle().is_none());
            let order = g.order().unwrap();
            let pos: HashMap<&str, usize> =
                order.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
            prop_assert_eq!(pos.len(), order.len());
            for (a, b) in g.edges() {
                prop_assert!(pos[b] < pos[a], "{} needs {} but comes first", a, b);
            }
            // A subset's order holds each root once, respects edges and includes their needs.
            let roots: Vec<String> = (0..n).step_by(2).map(name).collect();
            let sub = g.order_of(&roots).unwrap();
            let spos: HashMap<&str, usize> =
                sub.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
            prop_assert_eq!(spos.len(), sub.len());
            for r in &roots {
                prop_assert!(spos.contains_key(r.as_str()));
            }
            for (a, b) in g.edges() {
                if let Some(&pa) = spos.get(a) {
                    prop_assert!(spos.get(b).is_some_and(|&pb| pb < pa));
                }
            }
        }

        /// Arbitrary edge sets (cycles allowed): order fails exactly when there is a cycle,
        /// and the cycle it names is made of real edges.
        #[test]
        fn unchecked_graphs(edges in prop::collection::btree_set((0usize..10, 0usize..10), 0..30)) {
            let names: Vec<(String, String)> =
                edges.iter().map(|&(a, b)| (name(a), name(b))).collect();
            let g = DepGraph::from_edges(names.iter().map(|(a, b)| (a.as_str(), b.as_str())));
            let cyclic = edges.iter().any(|&(a, b)| reaches(&edges, b, a));
            match g.order() {
                Ok(order) => {
                    prop_assert!(!cyclic);
                    let pos: HashMap<&str, usize> =
                        order.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
                    for (a, b) in g.edges() {
                        prop_assert!(pos[b] < pos[a]);
                    }
                }
                Err(e) => {
                    prop_assert!(cyclic);
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                    let cycle = g.find_cycle().unwrap();
                    prop_assert_eq!(cycle.first(), cycle.last());
                    for w in cycle.windows(2) {
                        prop_assert!(g.contains(&w[0], &w[1]));
                    }
                    prop_assert!(e.to_string().contains(&cycle.join(" -> ")), "{} lacks {:?}", e, cycle);
                }
            }
        }
    }
}
