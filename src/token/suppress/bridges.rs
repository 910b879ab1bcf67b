//! The bridges of a graph that only gains edges, kept up to date in
//! near-linear total time.
//!
//! The vertices are the rows and columns of the suppression grid; every
//! hidden entry is an edge. An edge is a *bridge* when it lies on no cycle.
//! Adding an edge either joins two connected components (the edge is a new
//! bridge), or closes a cycle through the bridge-tree path between its ends
//! (every bridge on that path stops being one), or lies inside one
//! 2-edge-connected component (nothing changes). Edges are never removed, so
//! a non-bridge never becomes a bridge again.
//!
//! This is the classic online algorithm (union–find over 2-edge-connected
//! components and over connected components, a forest of components whose
//! edges are the bridges, the smaller tree re-rooted on a merge): O(V log V +
//! E α(V)) for V vertices and E edges in total. Each tree edge remembers which
//! grid entry it is, so the caller learns exactly which bridges appear and
//! disappear.

/// "No vertex" / "no edge".
const NONE: u32 = u32::MAX;

/// Receives the changes of the bridge set.
pub(super) trait BridgeSink {
    /// Edge `edge` became a bridge.
    fn appeared(&mut self, edge: u32);
    /// Edge `edge` is no longer a bridge.
    fn vanished(&mut self, edge: u32);
}

/// The bridge forest of a growing graph on `0..vertices`.
pub(super) struct BridgeForest {
    /// Union–find over 2-edge-connected components.
    two: Vec<u32>,
    /// Union–find over connected components (entries are vertices; resolve
    /// them through `two` first).
    cc: Vec<u32>,
    /// Size of each connected component, valid at its representative.
    cc_size: Vec<u32>,
    /// Parent component in the bridge forest (`NONE` at a root), valid at a
    /// 2-edge-connected component's representative.
    link: Vec<u32>,
    /// The edge (grid entry) joining a component to its parent.
    link_edge: Vec<u32>,
    /// The last LCA search that visited each component.
    visit: Vec<u32>,
    search: u32,
    path_a: Vec<u32>,
    path_b: Vec<u32>,
}

impl BridgeForest {
    /// A graph of `vertices` vertices and no edge (`vertices < u32::MAX`).
    pub(super) fn new(vertices: usize) -> Self {
        let ids = || (0..vertices as u32).collect::<Vec<u32>>();
        BridgeForest {
            two: ids(),
            cc: ids(),
            cc_size: vec![1; vertices],
            link: vec![NONE; vertices],
            link_edge: vec![NONE; vertices],
            visit: vec![0; vertices],
            search: 0,
            path_a: Vec::new(),
            path_b: Vec::new(),
        }
    }

    fn find_two(&mut self, v: u32) -> u32 {
        if v == NONE {
            return NONE;
        }
        let mut root = v;
        while self.two[root as usize] != root {
            root = self.two[root as usize];
        }
        let mut x = v;
        while self.two[x as usize] != root {
            let next = self.two[x as usize];
            self.two[x as usize] = root;
            x = next;
        }
        root
    }

    fn find_cc(&mut self, v: u32) -> u32 {
        let mut root = self.find_two(v);
        loop {
            let up = self.find_two(self.cc[root as usize]);
            if up == root {
                break;
            }
            root = up;
        }
        // Path compression.
        let mut x = self.find_two(v);
        while x != root {
            let next = self.find_two(self.cc[x as usize]);
            self.cc[x as usize] = root;
            x = next;
        }
        root
    }

    /// Makes component `v` (a representative) the root of its tree by
    /// reversing the path to the old root; the edges move with the links.
    fn make_root(&mut self, v: u32) {
        let root = v;
        let (mut v, mut child, mut child_edge) = (v, NONE, NONE);
        while v != NONE {
            let parent = self.find_two(self.link[v as usize]);
            let edge = self.link_edge[v as usize];
            self.link[v as usize] = child;
            self.link_edge[v as usize] = child_edge;
            self.cc[v as usize] = root;
            (child, child_edge, v) = (v, edge, parent);
        }
        self.cc_size[root as usize] = self.cc_size[child as usize];
    }

    /// Adds the edge `edge` between vertices `a` and `b` (distinct) and
    /// reports the bridges that appear or vanish.
    pub(super) fn add_edge(&mut self, a: u32, b: u32, edge: u32, sink: &mut impl BridgeSink) {
        let (mut a, mut b) = (self.find_two(a), self.find_two(b));
        if a == b {
            return;
        }
        let (ca, mut cb) = (self.find_cc(a), self.find_cc(b));
        if ca != cb {
            sink.appeared(edge);
            // Re-root the smaller tree and hang it below the other one.
            if self.cc_size[ca as usize] > self.cc_size[cb as usize] {
                std::mem::swap(&mut a, &mut b);
                cb = ca;
            }
            self.make_root(a);
            self.link[a as usize] = b;
            self.link_edge[a as usize] = edge;
            self.cc[a as usize] = b;
            self.cc_size[cb as usize] += self.cc_size[a as usize];
        } else {
            self.merge_path(a, b, sink);
        }
    }

    /// Collapses the tree path between components `a` and `b` into one
    /// component: every bridge on it lies on the new cycle.
    fn merge_path(&mut self, a: u32, b: u32, sink: &mut impl BridgeSink) {
        self.search += 1;
        let mark = self.search;
        let (mut a, mut b) = (a, b);
        let mut path_a = std::mem::take(&mut self.path_a);
        let mut path_b = std::mem::take(&mut self.path_b);
        path_a.clear();
        path_b.clear();
        let lca = loop {
            if a != NONE {
                a = self.find_two(a);
                path_a.push(a);
                if self.visit[a as usize] == mark {
                    break a;
                }
                self.visit[a as usize] = mark;
                a = self.link[a as usize];
            }
            if b != NONE {
                b = self.find_two(b);
                path_b.push(b);
                if self.visit[b as usize] == mark {
                    break b;
                }
                self.visit[b as usize] = mark;
                b = self.link[b as usize];
            }
        };
        for path in [&path_a, &path_b] {
            for &v in path.iter() {
                self.two[v as usize] = lca;
                if v == lca {
                    break;
                }
                sink.vanished(self.link_edge[v as usize]);
            }
        }
        self.path_a = path_a;
        self.path_b = path_b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    impl BridgeSink for BTreeSet<u32> {
        fn appeared(&mut self, edge: u32) {
            assert!(self.insert(edge), "edge {edge} appeared twice");
        }
        fn vanished(&mut self, edge: u32) {
            assert!(
                self.remove(&edge),
                "edge {edge} vanished without being a bridge"
            );
        }
    }

    /// Bridges by brute force: an edge is a bridge iff removing it
    /// disconnects its ends.
    fn brute_bridges(n: usize, edges: &[(u32, u32)]) -> BTreeSet<u32> {
        let connected = |skip: usize, from: u32, to: u32| {
            let mut seen = vec![false; n];
            let mut stack = vec![from];
            seen[from as usize] = true;
            while let Some(v) = stack.pop() {
                for (i, &(x, y)) in edges.iter().enumerate() {
                    if i == skip {
                        continue;
                    }
                    for (p, q) in [(x, y), (y, x)] {
                        if p == v && !seen[q as usize] {
                            seen[q as usize] = true;
                            stack.push(q);
                        }
                    }
                }
            }
            seen[to as usize]
        };
        (0..edges.len())
            .filter(|&i| !connected(i, edges[i].0, edges[i].1))
            .map(|i| i as u32)
            .collect()
    }

    #[test]
    fn matches_brute_force_after_every_edge() {
        use crate::rng::{InsecureSeededRng, NoiseRng};
        let mut rng = InsecureSeededRng::from_seed_insecure(5);
        for _ in 0..200 {
            let n = 2 + rng.uniform_below(12) as usize;
            let mut forest = BridgeForest::new(n);
            let mut bridges = BTreeSet::new();
            let mut edges: Vec<(u32, u32)> = Vec::new();
            for _ in 0..rng.uniform_below(3 * n as u64) {
                let a = rng.uniform_below(n as u64) as u32;
                let b = rng.uniform_below(n as u64) as u32;
                if a == b || edges.iter().any(|&e| e == (a, b) || e == (b, a)) {
                    continue;
                }
                edges.push((a, b));
                forest.add_edge(a, b, edges.len() as u32 - 1, &mut bridges);
                assert_eq!(bridges, brute_bridges(n, &edges), "{edges:?}");
            }
        }
    }
}
