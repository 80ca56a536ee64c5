//! Shortest travel times on the frozen CSR.
//!
//! [`Search`] is a binary-heap Dijkstra whose buffers are allocated once per
//! network and reused: a generation counter resets the "reached" and
//! "settled" marks in O(1), so a query costs only what it settles. It runs
//! forward (one-to-all, from a source) or backward (all-to-one, towards a
//! target, on the reverse CSR), from several sources with start offsets, and
//! stops whenever the caller says so. [`Tree`] is a complete shortest-path tree
//! kept for repeated lookups (a station's "way home" from every node).
//! Times are exact `f64` seconds ordered with `total_cmp`; ties between equal
//! times settle the lower node index first. [`ch`] holds contraction
//! hierarchies for exact integer-weight queries that settle a few hundred nodes.

pub mod ch;

/// Ask for the cache line holding `x` to be brought into the cache: a
/// hint for memory the caller reads soon, at no cost to correctness.
#[inline]
pub fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is only a hint, valid for any address (this
        // one is a reference), and SSE is part of every x86_64 target.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// [`prefetch`] every cache line of `xs`.
#[inline]
pub fn prefetch_all<T>(xs: &[T]) {
    let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
    for x in xs.iter().step_by(step) {
        prefetch(x);
    }
    if let Some(x) = xs.last() {
        prefetch(x);
    }
}

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::network::{Csr, EdgeId, Network, NodeId, Weight};

/// Which adjacency a search follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Along edges: distances *from* the sources.
    Forward,
    /// Against edges: distances *to* the sources.
    Backward,
}

/// What a settle callback tells the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Relax this node's edges and go on.
    Continue,
    /// Stop the search now.
    Stop,
}

const NONE: u32 = u32::MAX;

/// A search key: what a search adds up along edges.
pub trait Key: Copy + PartialOrd + std::fmt::Debug {
    /// The key of no distance.
    const ZERO: Self;
    /// The key of slot `s` of `csr`.
    fn of(csr: &Csr, s: usize) -> Self;
    /// Sum of two keys.
    fn add(self, o: Self) -> Self;
    /// Total order (for `f64`, `total_cmp`).
    fn cmp_key(&self, o: &Self) -> Ordering;
}

impl Key for f64 {
    const ZERO: f64 = 0.0;
    #[inline]
    fn of(csr: &Csr, s: usize) -> f64 {
        csr.time_s[s]
    }
    #[inline]
    fn add(self, o: f64) -> f64 {
        self + o
    }
    #[inline]
    fn cmp_key(&self, o: &f64) -> Ordering {
        self.total_cmp(o)
    }
}

impl Key for Weight {
    const ZERO: Weight = 0;
    #[inline]
    fn of(csr: &Csr, s: usize) -> Weight {
        csr.w[s]
    }
    #[inline]
    fn add(self, o: Weight) -> Weight {
        self + o
    }
    #[inline]
    fn cmp_key(&self, o: &Weight) -> Ordering {
        self.cmp(o)
    }
}

#[derive(Clone, Copy, Debug)]
struct Item<K> {
    d: K,
    v: u32,
}

impl<K: Key> PartialEq for Item<K> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl<K: Key> Eq for Item<K> {}
impl<K: Key> PartialOrd for Item<K> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<K: Key> Ord for Item<K> {
    // Min-heap on (d, v).
    fn cmp(&self, o: &Self) -> Ordering {
        o.d.cmp_key(&self.d).then(o.v.cmp(&self.v))
    }
}

/// Follow predecessor edges from `v` back to a root: the edges in driving
/// order, root to `v` (forward) or `v` to root (backward).
fn walk_path(net: &Network, pred: &[u32], dir: Direction, v: NodeId) -> Vec<EdgeId> {
    let mut out = Vec::new();
    let mut x = v.idx();
    while pred[x] != NONE {
        let e = pred[x];
        out.push(EdgeId(e));
        x = match dir {
            Direction::Forward => net.edge_from[e as usize] as usize,
            Direction::Backward => net.fwd.head[e as usize] as usize,
        };
    }
    if dir == Direction::Forward {
        out.reverse();
    }
    out
}

/// A reusable Dijkstra search space for one network, over keys `K`.
#[derive(Clone, Debug)]
pub struct Dijkstra<K> {
    dist: Vec<K>,
    pred: Vec<u32>,
    reached: Vec<u32>,
    settled: Vec<u32>,
    gen: u32,
    heap: BinaryHeap<Item<K>>,
    dir: Direction,
    settled_count: usize,
}

/// Dijkstra on travel times in seconds (`f64`): for analyses.
pub type Search = Dijkstra<f64>;

/// Dijkstra on exact integer [`Weight`]s: the plain reference router.
pub type WeightSearch = Dijkstra<Weight>;

impl<K: Key> Dijkstra<K> {
    /// Buffers for a network of `n` nodes.
    pub fn new(n: usize) -> Self {
        Dijkstra {
            dist: vec![K::ZERO; n],
            pred: vec![NONE; n],
            reached: vec![0; n],
            settled: vec![0; n],
            gen: 0,
            heap: BinaryHeap::new(),
            dir: Direction::Forward,
            settled_count: 0,
        }
    }

    /// Begin a new search in direction `dir`; forgets the previous one in O(1).
    pub fn start(&mut self, dir: Direction) {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.reached.iter_mut().for_each(|x| *x = 0);
            self.settled.iter_mut().for_each(|x| *x = 0);
            self.gen = 1;
        }
        self.heap.clear();
        self.dir = dir;
        self.settled_count = 0;
    }

    /// Add a source with a start offset (seconds already spent getting there).
    pub fn add_source(&mut self, v: NodeId, offset_s: K) {
        let i = v.idx();
        if self.reached[i] != self.gen || offset_s.cmp_key(&self.dist[i]) == Ordering::Less {
            self.reached[i] = self.gen;
            self.dist[i] = offset_s;
            self.pred[i] = NONE;
            self.heap.push(Item {
                d: offset_s,
                v: v.0,
            });
        }
    }

    /// Settle nodes in order of time, calling `on_settle(node, time)` for each,
    /// until it returns [`Step::Stop`] or every reachable node is settled.
    pub fn run(&mut self, net: &Network, mut on_settle: impl FnMut(NodeId, K) -> Step) {
        let csr: &Csr = match self.dir {
            Direction::Forward => &net.fwd,
            Direction::Backward => &net.bwd,
        };
        while let Some(Item { d, v }) = self.heap.pop() {
            let vi = v as usize;
            if self.settled[vi] == self.gen {
                continue;
            }
            self.settled[vi] = self.gen;
            self.settled_count += 1;
            if on_settle(NodeId(v), d) == Step::Stop {
                return;
            }
            for s in csr.range(v) {
                let w = csr.head[s] as usize;
                let nd = d.add(K::of(csr, s));
                if self.reached[w] != self.gen || nd.cmp_key(&self.dist[w]) == Ordering::Less {
                    self.reached[w] = self.gen;
                    self.dist[w] = nd;
                    self.pred[w] = csr.edge[s];
                    self.heap.push(Item { d: nd, v: w as u32 });
                }
            }
        }
    }

    /// Run until `target` is settled; its time, or `None` if unreachable.
    pub fn run_to(&mut self, net: &Network, target: NodeId) -> Option<K> {
        self.run(net, |v, _| {
            if v == target {
                Step::Stop
            } else {
                Step::Continue
            }
        });
        self.settled_time(target)
    }

    /// Time of a settled node.
    #[inline]
    pub fn settled_time(&self, v: NodeId) -> Option<K> {
        (self.settled[v.idx()] == self.gen).then(|| self.dist[v.idx()])
    }

    /// The tree edge at a settled node `v` (into it forward, out of it
    /// backward); `u32::MAX` at a source or when `v` is not settled.
    #[inline]
    pub fn pred_raw(&self, v: NodeId) -> u32 {
        if self.settled[v.idx()] == self.gen {
            self.pred[v.idx()]
        } else {
            NONE
        }
    }

    /// Nodes settled by the current search.
    pub fn settled_count(&self) -> usize {
        self.settled_count
    }

    /// The path to (forward) or from (backward) a settled node `v`, as edges in
    /// driving order. Forward: from a source to `v`. Backward: from `v` to a source.
    pub fn path(&self, net: &Network, v: NodeId) -> Vec<EdgeId> {
        walk_path(net, &self.pred, self.dir, v)
    }
}

/// A complete shortest-path tree, kept for repeated lookups.
#[derive(Clone, Debug)]
pub struct Tree {
    /// Direction the tree was grown in.
    pub dir: Direction,
    /// The root.
    pub root: NodeId,
    /// Time from the root (forward) or to the root (backward), seconds;
    /// infinite where unreachable.
    pub time_s: Vec<f64>,
    pred: Vec<u32>,
}

impl Tree {
    /// Grow the full tree at `root`.
    pub fn grow(net: &Network, search: &mut Search, root: NodeId, dir: Direction) -> Tree {
        search.start(dir);
        search.add_source(root, 0.0);
        search.run(net, |_, _| Step::Continue);
        let n = net.node_count();
        let mut time_s = vec![f64::INFINITY; n];
        let mut pred = vec![NONE; n];
        for v in 0..n {
            if search.settled[v] == search.gen {
                time_s[v] = search.dist[v];
                pred[v] = search.pred[v];
            }
        }
        Tree {
            dir,
            root,
            time_s,
            pred,
        }
    }

    /// Time between `v` and the root.
    #[inline]
    pub fn time(&self, v: NodeId) -> f64 {
        self.time_s[v.idx()]
    }

    /// Edges in driving order: root to `v` (forward) or `v` to root (backward).
    pub fn path(&self, net: &Network, v: NodeId) -> Vec<EdgeId> {
        if !self.time_s[v.idx()].is_finite() {
            return Vec::new();
        }
        walk_path(net, &self.pred, self.dir, v)
    }
}

/// Travel time from the nearest of several sources to every node
/// (multi-source forward Dijkstra), and which source it is.
pub fn nearest_source_times(net: &Network, sources: &[NodeId]) -> (Vec<f64>, Vec<u32>) {
    let n = net.node_count();
    let mut search = Search::new(n);
    search.start(Direction::Forward);
    for &s in sources {
        search.add_source(s, 0.0);
    }
    let mut time = vec![f64::INFINITY; n];
    search.run(net, |v, d| {
        time[v.idx()] = d;
        Step::Continue
    });
    // Which source: follow predecessors back to a root.
    let mut owner = vec![NONE; n];
    let mut src_of = vec![NONE; n];
    for (i, &s) in sources.iter().enumerate() {
        if src_of[s.idx()] == NONE {
            src_of[s.idx()] = i as u32;
        }
    }
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&v| time[v as usize].is_finite())
        .collect();
    order.sort_by(|&a, &b| {
        time[a as usize]
            .total_cmp(&time[b as usize])
            .then(a.cmp(&b))
    });
    for v in order {
        let e = search.pred[v as usize];
        owner[v as usize] = if e == NONE {
            src_of[v as usize]
        } else {
            owner[net.edge_from[e as usize] as usize]
        };
    }
    (time, owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::build::test_line;

    /// A line 0 - 1 - 2 - 3 with times 1, 2, 3 both ways, plus a 5.5 s shortcut 0 -> 3.
    fn line() -> Network {
        let mut edges = Vec::new();
        for (u, v, t) in [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 3.0)] {
            edges.push((u, v, t, t));
            edges.push((v, u, t, t));
        }
        edges.push((0, 3, 10.0, 5.5));
        test_line(&[0.0, 1.0, 2.0, 3.0], &edges)
    }

    #[test]
    fn forward_and_backward_distances_and_paths() {
        let net = line();
        let mut s = Search::new(net.node_count());
        let fwd = Tree::grow(&net, &mut s, NodeId(0), Direction::Forward);
        assert_eq!(fwd.time_s, vec![0.0, 1.0, 3.0, 5.5]);
        assert_eq!(fwd.path(&net, NodeId(3)).len(), 1);
        let bwd = Tree::grow(&net, &mut s, NodeId(0), Direction::Backward);
        assert_eq!(bwd.time_s, vec![0.0, 1.0, 3.0, 6.0]);
        let p = bwd.path(&net, NodeId(3));
        let nodes: Vec<u32> = p.iter().map(|&e| net.edge_to(e).0).collect();
        assert_eq!(nodes, vec![2, 1, 0]);
        assert_eq!(net.edge_tail(p[0]), NodeId(3));
    }

    #[test]
    fn offsets_and_early_stop() {
        let net = line();
        let mut s = Search::new(net.node_count());
        s.start(Direction::Forward);
        s.add_source(NodeId(0), 4.0);
        s.add_source(NodeId(3), 0.0);
        assert_eq!(s.run_to(&net, NodeId(1)), Some(5.0));
        // The search stopped before settling node 0 (time 4 < 5 so it was settled) ...
        assert_eq!(s.settled_time(NodeId(0)), Some(4.0));
        let (t, owner) = nearest_source_times(&net, &[NodeId(0), NodeId(3)]);
        assert_eq!(t, vec![0.0, 1.0, 3.0, 0.0]);
        assert_eq!(owner, vec![0, 0, 1, 1]);
    }
}
