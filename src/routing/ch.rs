//! Contraction hierarchies on the frozen CSR: exact shortest paths on
//! integer [`Weight`]s in a few hundred settled nodes.
//!
//! This module owns [`Ch`] (the frozen hierarchy: node ranks and the upward
//! forward and upward backward arcs, original edges and shortcuts, in CSR
//! arrays numbered by rank), its binary cache format ([`Ch::to_bytes`],
//! [`Ch::from_bytes`], [`Ch::load_or_build`]), the reusable query scratch
//! [`ChQuery`] and the free helpers [`upward_space`] and [`join`] that bucket
//! based many-to-one routing is made of.
//!
//! # Building
//!
//! Nodes are contracted one at a time, cheapest first, with the priority of
//! RoutingKit: `1000 * level + 1000 * added / removed arcs + 1000 * added /
//! removed hops` (a shortcut's hops are the original edges it stands for, a
//! node's level is one more than the highest level among its contracted
//! neighbours). Priorities are updated lazily: a popped node's priority is
//! recomputed, and it is put back when it has grown past the next one's.
//! (Recomputing every neighbour after each contraction as well saved 5 % of
//! the shortcuts on Porto for twice the build time, and did not make
//! queries faster; adding the count of contracted neighbours made them
//! slower.) Contracting `v` adds a shortcut `u -> x` for an arc
//! `u -> v` and an arc `v -> x` unless a *witness* search from `u` that avoids
//! `v` finds a way to `x` of at most the same weight; a witness search stops
//! after a fixed number of settled nodes, and a missed witness only adds a
//! shortcut that is not needed. Parallel edges keep the smallest weight (the
//! lower edge on a tie, as plain Dijkstra does). All sums are whole `u64`
//! weights, so no witness is accepted on rounded milliseconds, and since the
//! weights make shortest paths unique, every query returns the very path that
//! plain Dijkstra returns. A shortcut remembers its two halves (arcs of the
//! middle node, which is always ranked below both ends), so unpacking is a
//! walk down a stack. The initial priorities are computed in parallel, each
//! node independently; the contraction itself is sequential and ties are
//! broken by node index, so the hierarchy is the same for any thread count.
//!
//! # Querying
//!
//! [`ChQuery`] runs a bidirectional Dijkstra on the upward graphs (a binary
//! heap of `(weight, rank)`), with stall-on-demand, and stops when both heap
//! minima reach the best meeting weight. [`ChQuery::target_space`] and
//! [`ChQuery::meet`] split a query into a backward space kept for many
//! forward searches; [`upward_space`] and [`join`] build and join the spaces
//! of fixed sources; a [`FixedTarget`] (a station, say) keeps a target's
//! backward space with its downward paths already unpacked, so that
//! [`ChQuery::path_to_fixed`] is a forward search and a few copies.
//!
//! A query is bound by memory latency, not by arithmetic (a settled node
//! costs a few cache misses on a large city), so the searches read a layout
//! of their own, derived from the arcs when the hierarchy is built or
//! loaded: one block per node holding its upward and its backward arcs
//! (a search relaxes one kind and stalls on the other), each arc with the
//! block of its head, so that reaching a node prefetches its block and no
//! index array stands in between. Labels are 16 bytes (weight, parent,
//! block), reset through the list of reached nodes rather than by
//! generation stamps. Stall-on-demand pays in whole searches: without it
//! backward spaces settle twice the nodes (128 -> 283 on the 276k-node
//! synthetic city), and `distance` half again as many. A call's target
//! space in the simulation is different: it stops at the best unit's time
//! after a few dozen nodes, whose stalling reads cost more than the few
//! nodes more, so [`ChQuery::target_space`] does not stall (Porto's year:
//! about 3 % less time).
//!
//! # Cache
//!
//! A little-endian binary file:
//!
//! ```text
//! magic "PSCHIER\0" | format version u32 | network fingerprint u64 | nodes n u64
//! upward arcs mf u64 | backward arcs mb u64 | node of each rank u32 x n
//! upward:   first u32 x (n + 1) | head u32 x mf | weight u64 x mf | a u32 x mf | b u32 x mf
//! backward: first u32 x (n + 1) | head u32 x mb | weight u64 x mb | a u32 x mb | b u32 x mb
//! checksum u64 (hash64 of every byte before it)
//! ```
//!
//! The fingerprint is a hash of the node count and of every edge's tail, head
//! and weight. [`Ch::from_bytes`] checks the length, the checksum and the
//! fingerprint, and then every invariant queries rely on (ranks are a
//! permutation, arcs point upwards, original arcs are the network's edges with
//! their weights, both halves of a shortcut belong to a lower node and add up
//! to its weight), so a damaged or foreign file gives `None`, never a panic.
//! (Whatever passes these checks unpacks into real paths of the network with
//! their true weights; a file forged to pass them could still hide a shorter
//! path, but no accident can.)

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;

use super::Direction;
use crate::network::osm::hash64;
use crate::network::{EdgeId, Network, NodeId, Weight};

const NONE: u32 = u32::MAX;

/// First bytes of a cache file.
const MAGIC: &[u8; 8] = b"PSCHIER\0";

/// Version of the cache format and of the contraction rules.
pub const FORMAT_VERSION: u32 = 1;

/// Settled-node limit of a witness search while contracting a node.
const CONTRACT_LIMIT: usize = 400;

/// Settled-node limit of a witness search while estimating a priority.
const ESTIMATE_LIMIT: usize = 100;

/// The head (by rank) and the weight of an arc.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Up {
    head: u32,
    w: Weight,
}

/// One direction of the hierarchy, by rank: for the upward graph, the arcs
/// `x -> y` at `x`; for the backward graph, the arcs `y -> x` at `x`. Always
/// `rank y > rank x`; `head` is `y`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Arcs {
    first: Vec<u32>,
    /// Head and weight of each arc, side by side for the queries.
    arc: Vec<Up>,
    /// Original arc: `[its network edge, NONE]`. Shortcut `p -> q` via
    /// `m`: `[the backward arc p -> m at m, the upward arc m -> q at m]`.
    ab: Vec<[u32; 2]>,
}

impl Arcs {
    #[inline]
    fn range(&self, x: u32) -> Range<usize> {
        self.first[x as usize] as usize..self.first[x as usize + 1] as usize
    }

    fn len(&self) -> usize {
        self.arc.len()
    }

    /// The arc at `x` with head `y` (heads are sorted per node).
    fn find(&self, x: u32, y: u32) -> Option<usize> {
        let r = self.range(x);
        let start = r.start;
        self.arc[r]
            .binary_search_by_key(&y, |a| a.head)
            .ok()
            .map(|i| start + i)
    }

    /// The node an arc belongs to.
    fn owner(&self, i: usize) -> u32 {
        (self.first.partition_point(|&f| f as usize <= i) - 1) as u32
    }

    fn shortcuts(&self) -> usize {
        self.ab.iter().filter(|x| x[1] != NONE).count()
    }
}

/// A frozen contraction hierarchy of one [`Network`].
#[derive(Clone, PartialEq, Eq)]
pub struct Ch {
    /// Rank of each network node.
    rank: Vec<u32>,
    /// Network node of each rank.
    order: Vec<u32>,
    /// Upward arcs, by rank.
    fwd: Arcs,
    /// Backward upward arcs, by rank.
    bwd: Arcs,
    /// Both directions side by side for the queries (derived from `fwd`
    /// and `bwd`): the arcs of rank `x` are `first[2x]..first[2x + 1]`
    /// upward and `first[2x + 1]..first[2x + 2]` backward, so that a search
    /// and its stalling test read one stretch of memory per settled node.
    both: Both,
    /// [`fingerprint`] of the network.
    fingerprint: u64,
    /// Every arc's original edges, listed once when they fit
    /// [`UNPACKED_MAX_EDGES`] (derived from `fwd` and `bwd`).
    unpacked: Option<Unpacked>,
}

/// Most original edges [`Unpacked`] lists (4 bytes each, and 4 more per
/// arc: Porto's 0.9M edges of 0.26M arcs take 4.7 MB; the 276k-node
/// synthetic city's 5.9M of 2.2M would take memory it has not got to spare).
pub const UNPACKED_MAX_EDGES: usize = 1 << 22;

/// The original edges of every arc, in order: those of upward arc `i` are
/// `edges[fwd[i]..fwd[i + 1]]`, of backward arc `i` `edges[bwd[i]..bwd[i + 1]]`.
/// Unpacking a path's arcs then copies runs of edges instead of walking
/// each shortcut down to its edges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Unpacked {
    fwd: Vec<u32>,
    bwd: Vec<u32>,
    edges: Vec<EdgeId>,
}

impl Unpacked {
    /// The edges of every arc of `fwd` and `bwd`, if they are at most
    /// [`UNPACKED_MAX_EDGES`].
    fn of(fwd: &Arcs, bwd: &Arcs) -> Option<Unpacked> {
        let mut u = Unpacked::default();
        let mut stack = Vec::new();
        for (up, first) in [(true, &mut u.fwd), (false, &mut u.bwd)] {
            let arcs = if up { fwd } else { bwd };
            first.reserve(arcs.ab.len() + 1);
            for i in 0..arcs.ab.len() {
                first.push(u.edges.len() as u32);
                unpack_in(fwd, bwd, up, i as u32, &mut stack, &mut u.edges);
                if u.edges.len() > UNPACKED_MAX_EDGES {
                    return None;
                }
            }
            first.push(u.edges.len() as u32);
        }
        Some(u)
    }
}

/// An arc of [`Both`]: its head (rank), where the head's block starts, and
/// its weight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct QArc {
    head: u32,
    at: u32,
    w: Weight,
}

/// Upward and backward arcs of each rank, one block per node: a header
/// (`head`: the number of upward arcs, `at`: of backward arcs) and then
/// those arcs. Each arc knows where its head's block starts, so that a
/// search reads one stretch of memory per settled node (and can fetch it
/// ahead, when it reaches the node).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Both {
    /// Block start of each rank.
    first: Vec<u32>,
    arc: Vec<QArc>,
}

impl Both {
    fn new(fwd: &Arcs, bwd: &Arcs) -> Both {
        let n = fwd.first.len() - 1;
        let mut first = Vec::with_capacity(n);
        let mut at = 0u32;
        for x in 0..n as u32 {
            first.push(at);
            at += 1 + (fwd.range(x).len() + bwd.range(x).len()) as u32;
        }
        let mut arc = Vec::with_capacity(at as usize);
        for x in 0..n as u32 {
            let (up, down) = (fwd.range(x), bwd.range(x));
            arc.push(QArc {
                head: up.len() as u32,
                at: down.len() as u32,
                w: 0,
            });
            for a in fwd.arc[up].iter().chain(&bwd.arc[down]) {
                arc.push(QArc {
                    head: a.head,
                    at: first[a.head as usize],
                    w: a.w,
                });
            }
        }
        Both { first, arc }
    }

    /// The arcs of the block at `b` searched in direction `up`, and those of
    /// the other direction (for stalling).
    #[inline]
    fn arcs(&self, b: u32, up: bool) -> (&[QArc], &[QArc]) {
        let b = b as usize;
        let h = self.arc[b];
        let m = b + 1 + h.head as usize;
        let (ups, downs) = (&self.arc[b + 1..m], &self.arc[m..m + h.at as usize]);
        if up {
            (ups, downs)
        } else {
            (downs, ups)
        }
    }

    /// Ask for the block at `b` to be brought into the cache.
    #[inline]
    fn prefetch(&self, b: u32) {
        if let Some(a) = self.arc.get(b as usize) {
            super::prefetch(a);
        }
    }
}

impl std::fmt::Debug for Ch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ch")
            .field("nodes", &self.node_count())
            .field("up_arcs", &self.fwd.len())
            .field("down_arcs", &self.bwd.len())
            .field("shortcuts", &self.shortcut_count())
            .finish()
    }
}

/// A hash of the node count and of each edge's tail, head and weight.
fn fingerprint(net: &Network) -> u64 {
    let m = net.edge_count();
    let mut buf = Vec::with_capacity(16 + m * 16);
    buf.extend_from_slice(&(net.node_count() as u64).to_le_bytes());
    buf.extend_from_slice(&(m as u64).to_le_bytes());
    for e in 0..m {
        buf.extend_from_slice(&net.edge_from[e].to_le_bytes());
        buf.extend_from_slice(&net.fwd.head[e].to_le_bytes());
        buf.extend_from_slice(&net.fwd.w[e].to_le_bytes());
    }
    hash64(&buf)
}

// ---------------------------------------------------------------------------
// Building

/// An arc of the graph being contracted, kept at both of its ends.
#[derive(Clone, Copy, Debug)]
struct DynArc {
    /// The other end.
    to: u32,
    w: Weight,
    /// Middle node of a shortcut, [`NONE`] for an original edge.
    mid: u32,
    /// The original edge (when `mid` is [`NONE`]).
    edge: u32,
    /// Original edges this arc stands for.
    hops: u32,
}

/// Keep `a` in `list` unless an arc to the same node is at least as light.
fn insert_min(list: &mut Vec<DynArc>, a: DynArc) {
    match list.iter_mut().find(|x| x.to == a.to) {
        Some(x) => {
            if a.w < x.w {
                *x = a;
            }
        }
        None => list.push(a),
    }
}

/// A bounded Dijkstra on the remaining graph, for witnesses.
struct Witness {
    dist: Vec<Weight>,
    stamp: Vec<u32>,
    target: Vec<u32>,
    cur: u32,
    heap: BinaryHeap<Reverse<(Weight, u32)>>,
}

impl Witness {
    fn new(n: usize) -> Witness {
        Witness {
            dist: vec![0; n],
            stamp: vec![0; n],
            target: vec![0; n],
            cur: 0,
            heap: BinaryHeap::new(),
        }
    }

    fn next_gen(&mut self) {
        self.cur = self.cur.wrapping_add(1);
        if self.cur == 0 {
            self.stamp.iter_mut().for_each(|x| *x = 0);
            self.target.iter_mut().for_each(|x| *x = 0);
            self.cur = 1;
        }
        self.heap.clear();
    }

    #[inline]
    fn get(&self, v: u32) -> Weight {
        if self.stamp[v as usize] == self.cur {
            self.dist[v as usize]
        } else {
            Weight::MAX
        }
    }

    /// Distances from `src` over `out` without passing `avoid`, up to
    /// `bound`, until `targets` marked targets are settled or `limit` nodes.
    fn run(
        &mut self,
        out: &[Vec<DynArc>],
        src: u32,
        avoid: u32,
        bound: Weight,
        limit: usize,
        mut targets: usize,
    ) {
        self.stamp[src as usize] = self.cur;
        self.dist[src as usize] = 0;
        self.heap.push(Reverse((0, src)));
        let mut settled = 0;
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d > self.dist[v as usize] {
                continue;
            }
            if self.target[v as usize] == self.cur {
                targets -= 1;
                if targets == 0 {
                    break;
                }
            }
            settled += 1;
            if settled > limit {
                break;
            }
            for a in &out[v as usize] {
                if a.to == avoid {
                    continue;
                }
                let nd = d.saturating_add(a.w);
                if nd > bound {
                    continue;
                }
                let x = a.to as usize;
                if self.stamp[x] != self.cur || nd < self.dist[x] {
                    self.stamp[x] = self.cur;
                    self.dist[x] = nd;
                    self.heap.push(Reverse((nd, a.to)));
                }
            }
        }
    }
}

/// Call `f(in_arc, out_arc, weight)` for every shortcut that contracting `v`
/// (with arcs `ins` in and `outs` out) needs.
fn find_shortcuts(
    out: &[Vec<DynArc>],
    ins: &[DynArc],
    outs: &[DynArc],
    v: u32,
    limit: usize,
    wit: &mut Witness,
    mut f: impl FnMut(&DynArc, &DynArc, Weight),
) {
    let Some(max_out) = outs.iter().map(|a| a.w).max() else {
        return;
    };
    for ia in ins {
        let u = ia.to;
        wit.next_gen();
        let mut targets = 0;
        for oa in outs {
            if oa.to != u {
                wit.target[oa.to as usize] = wit.cur;
                targets += 1;
            }
        }
        if targets == 0 {
            continue;
        }
        wit.run(out, u, v, ia.w.saturating_add(max_out), limit, targets);
        for oa in outs {
            if oa.to == u {
                continue;
            }
            let w = ia.w.saturating_add(oa.w);
            if wit.get(oa.to) > w {
                f(ia, oa, w);
            }
        }
    }
}

/// The graph during contraction.
struct Builder {
    out: Vec<Vec<DynArc>>,
    inn: Vec<Vec<DynArc>>,
    level: Vec<u32>,
}

impl Builder {
    /// Contraction priority of an uncontracted node `v` (lower goes first).
    fn priority(&self, v: u32, wit: &mut Witness) -> i64 {
        let (ins, outs) = (&self.inn[v as usize], &self.out[v as usize]);
        let removed = (ins.len() + outs.len()) as i64;
        let removed_hops: i64 = ins.iter().chain(outs).map(|a| a.hops as i64).sum();
        let (mut added, mut added_hops) = (0i64, 0i64);
        find_shortcuts(&self.out, ins, outs, v, ESTIMATE_LIMIT, wit, |a, b, _| {
            added += 1;
            added_hops += (a.hops + b.hops) as i64;
        });
        1 + 1000 * self.level[v as usize] as i64
            + 1000 * added / removed.max(1)
            + 1000 * added_hops / removed_hops.max(1)
    }

    /// Contract `v`: remove it, add its shortcuts, and return its arcs to the
    /// remaining (higher) nodes: `(in, out)`.
    fn contract(&mut self, v: u32, wit: &mut Witness) -> (Vec<DynArc>, Vec<DynArc>) {
        let ins = std::mem::take(&mut self.inn[v as usize]);
        let outs = std::mem::take(&mut self.out[v as usize]);
        let mut new: Vec<(u32, DynArc)> = Vec::new();
        find_shortcuts(&self.out, &ins, &outs, v, CONTRACT_LIMIT, wit, |a, b, w| {
            new.push((
                a.to,
                DynArc {
                    to: b.to,
                    w,
                    mid: v,
                    edge: NONE,
                    hops: a.hops.saturating_add(b.hops),
                },
            ));
        });
        for a in &ins {
            self.out[a.to as usize].retain(|x| x.to != v);
        }
        for a in &outs {
            self.inn[a.to as usize].retain(|x| x.to != v);
        }
        for (u, a) in new {
            insert_min(&mut self.out[u as usize], a);
            insert_min(&mut self.inn[a.to as usize], DynArc { to: u, ..a });
        }
        (ins, outs)
    }
}

impl Ch {
    /// Back the hierarchy's large arrays with huge pages ([`crate::pages`]).
    pub fn prefer_huge_pages(&self) {
        use crate::pages::prefer_huge;
        prefer_huge(&self.rank);
        prefer_huge(&self.order);
        for a in [&self.fwd, &self.bwd] {
            prefer_huge(&a.first);
            prefer_huge(&a.arc);
            prefer_huge(&a.ab);
        }
        prefer_huge(&self.both.first);
        prefer_huge(&self.both.arc);
        if let Some(u) = &self.unpacked {
            prefer_huge(&u.edges);
        }
    }

    /// Contract `net` into a hierarchy. Deterministic: the same network gives
    /// the same hierarchy, whatever the number of threads.
    pub fn build(net: &Network) -> Ch {
        let n = net.node_count();
        let mut b = Builder {
            out: vec![Vec::new(); n],
            inn: vec![Vec::new(); n],
            level: vec![0; n],
        };
        for e in 0..net.edge_count() {
            let (u, v) = (net.edge_from[e], net.fwd.head[e]);
            if u == v {
                continue;
            }
            let a = DynArc {
                to: v,
                w: net.fwd.w[e],
                mid: NONE,
                edge: e as u32,
                hops: 1,
            };
            insert_min(&mut b.out[u as usize], a);
            insert_min(&mut b.inn[v as usize], DynArc { to: u, ..a });
        }

        // Initial priorities, each node on its own (so in parallel).
        let mut prio: Vec<i64> = (0..n as u32)
            .into_par_iter()
            .with_min_len(1024)
            .map_init(|| Witness::new(n), |wit, v| b.priority(v, wit))
            .collect();
        let mut heap: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
            .map(|v| Reverse((prio[v as usize], v)))
            .collect();
        let mut wit = Witness::new(n);
        let mut done = vec![false; n];
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut up_in: Vec<Vec<DynArc>> = vec![Vec::new(); n];
        let mut up_out: Vec<Vec<DynArc>> = vec![Vec::new(); n];
        while let Some(Reverse((p, v))) = heap.pop() {
            if done[v as usize] || p != prio[v as usize] {
                continue;
            }
            // Lazy update: put it back if it is no longer the cheapest.
            let p2 = b.priority(v, &mut wit);
            if p2 != p {
                prio[v as usize] = p2;
                if heap.peek().is_some_and(|&Reverse(top)| (p2, v) > top) {
                    heap.push(Reverse((p2, v)));
                    continue;
                }
            }
            done[v as usize] = true;
            order.push(v);
            let (ins, outs) = b.contract(v, &mut wit);
            // The neighbours' priorities are brought up to date lazily.
            let lv = b.level[v as usize] + 1;
            for a in ins.iter().chain(&outs) {
                let l = &mut b.level[a.to as usize];
                *l = (*l).max(lv);
            }
            up_in[v as usize] = ins;
            up_out[v as usize] = outs;
        }
        Ch::freeze(net, order, &up_out, &up_in)
    }

    /// The CSR arrays by rank, shortcuts resolved into their halves.
    fn freeze(net: &Network, order: Vec<u32>, up_out: &[Vec<DynArc>], up_in: &[Vec<DynArc>]) -> Ch {
        let n = order.len();
        let mut rank = vec![0u32; n];
        for (r, &v) in order.iter().enumerate() {
            rank[v as usize] = r as u32;
        }
        let side = |lists: &[Vec<DynArc>]| {
            let mut arcs = Arcs {
                first: Vec::with_capacity(n + 1),
                ..Arcs::default()
            };
            // (head, weight, mid or NONE, edge)
            let mut mids = Vec::new();
            arcs.first.push(0);
            let mut tmp: Vec<(u32, Weight, u32, u32)> = Vec::new();
            for &v in &order {
                tmp.clear();
                tmp.extend(
                    lists[v as usize]
                        .iter()
                        .map(|a| (rank[a.to as usize], a.w, a.mid, a.edge)),
                );
                tmp.sort_unstable();
                for &(h, w, mid, edge) in &tmp {
                    arcs.arc.push(Up { head: h, w });
                    arcs.ab.push([edge, NONE]);
                    mids.push(mid);
                }
                arcs.first.push(arcs.arc.len() as u32);
            }
            (arcs, mids)
        };
        let (mut fwd, fmid) = side(up_out);
        let (mut bwd, bmid) = side(up_in);
        // Shortcut p -> q via m: the backward arc p -> m and the upward arc m -> q at m.
        let halves = |fwd: &Arcs, bwd: &Arcs, m: u32, p: u32, q: u32| -> (u32, u32) {
            let rm = rank[m as usize];
            let a = bwd
                .find(rm, p)
                .expect("the first half of a shortcut is an arc of its middle node");
            let b = fwd
                .find(rm, q)
                .expect("the second half of a shortcut is an arc of its middle node");
            (a as u32, b as u32)
        };
        let mut fab = Vec::new();
        for x in 0..n as u32 {
            for i in fwd.range(x) {
                if fmid[i] != NONE {
                    fab.push((i, halves(&fwd, &bwd, fmid[i], x, fwd.arc[i].head)));
                }
            }
        }
        let mut bab = Vec::new();
        for x in 0..n as u32 {
            for i in bwd.range(x) {
                if bmid[i] != NONE {
                    bab.push((i, halves(&fwd, &bwd, bmid[i], bwd.arc[i].head, x)));
                }
            }
        }
        for (i, (a, b)) in fab {
            fwd.ab[i] = [a, b];
        }
        for (i, (a, b)) in bab {
            bwd.ab[i] = [a, b];
        }
        Ch {
            rank,
            order,
            both: Both::new(&fwd, &bwd),
            unpacked: Unpacked::of(&fwd, &bwd),
            fwd,
            bwd,
            fingerprint: fingerprint(net),
        }
    }

    /// The rank of node `v` in the hierarchy: the order in which it was
    /// contracted. The highest ranks are the most important nodes, which
    /// every search reaches, so data kept by rank keeps them together.
    #[inline]
    pub fn rank_of(&self, v: NodeId) -> u32 {
        self.rank[v.idx()]
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.order.len()
    }

    /// Number of shortcut arcs (upward and backward).
    pub fn shortcut_count(&self) -> usize {
        self.fwd.shortcuts() + self.bwd.shortcuts()
    }

    /// Number of arcs of the hierarchy, original edges and shortcuts.
    pub fn arc_count(&self) -> usize {
        self.fwd.len() + self.bwd.len()
    }

    /// Rank of a node: 0 was contracted first.
    pub fn rank(&self, v: NodeId) -> u32 {
        self.rank[v.idx()]
    }

    // -----------------------------------------------------------------------
    // Cache

    /// The hierarchy as bytes (see "Cache" in the module documentation).
    /// `net` must be the network it was built for.
    pub fn to_bytes(&self, net: &Network) -> Vec<u8> {
        debug_assert_eq!(fingerprint(net), self.fingerprint);
        let n = self.node_count();
        let mut buf = Vec::with_capacity(48 + 4 * n + 24 * (self.arc_count() + n));
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        buf.extend_from_slice(&self.fingerprint.to_le_bytes());
        buf.extend_from_slice(&(n as u64).to_le_bytes());
        buf.extend_from_slice(&(self.fwd.len() as u64).to_le_bytes());
        buf.extend_from_slice(&(self.bwd.len() as u64).to_le_bytes());
        put_u32s(&mut buf, &self.order);
        for arcs in [&self.fwd, &self.bwd] {
            put_u32s(&mut buf, &arcs.first);
            for a in &arcs.arc {
                buf.extend_from_slice(&a.head.to_le_bytes());
            }
            for a in &arcs.arc {
                buf.extend_from_slice(&a.w.to_le_bytes());
            }
            for ab in &arcs.ab {
                buf.extend_from_slice(&ab[0].to_le_bytes());
            }
            for ab in &arcs.ab {
                buf.extend_from_slice(&ab[1].to_le_bytes());
            }
        }
        let sum = hash64(&buf);
        buf.extend_from_slice(&sum.to_le_bytes());
        buf
    }

    /// Read a hierarchy written by [`Ch::to_bytes`] for `net`; `None` when
    /// the bytes are damaged, truncated, of another version or for another
    /// network. Never panics.
    pub fn from_bytes(bytes: &[u8], net: &Network) -> Option<Ch> {
        let body_len = bytes.len().checked_sub(8)?;
        let (body, sum) = bytes.split_at(body_len);
        let mut r = Reader { b: body, p: 0 };
        if r.take(8)? != MAGIC || r.u32()? != FORMAT_VERSION {
            return None;
        }
        let fp = r.u64()?;
        let n = usize::try_from(r.u64()?).ok()?;
        let mf = usize::try_from(r.u64()?).ok()?;
        let mb = usize::try_from(r.u64()?).ok()?;
        if n != net.node_count() || n >= NONE as usize || mf >= NONE as usize || mb >= NONE as usize
        {
            return None;
        }
        // Exact length before reading anything large.
        let arcs_len = |m: usize| {
            n.checked_add(1)?
                .checked_mul(4)?
                .checked_add(m.checked_mul(20)?)
        };
        let want =
            r.p.checked_add(n.checked_mul(4)?)?
                .checked_add(arcs_len(mf)?)?
                .checked_add(arcs_len(mb)?)?;
        if body.len() != want {
            return None;
        }
        if u64::from_le_bytes(sum.try_into().ok()?) != hash64(body) {
            return None;
        }
        if fp != fingerprint(net) {
            return None;
        }
        let order = r.u32s(n)?;
        let fwd = r.arcs(n, mf)?;
        let bwd = r.arcs(n, mb)?;
        if r.p != body.len() {
            return None;
        }
        // Ranks are a permutation.
        let mut rank = vec![NONE; n];
        for (i, &v) in order.iter().enumerate() {
            let slot = rank.get_mut(v as usize)?;
            if *slot != NONE {
                return None;
            }
            *slot = i as u32;
        }
        // CSR shape: arcs point up, heads sorted and distinct per node.
        for arcs in [&fwd, &bwd] {
            if arcs.first.first() != Some(&0)
                || arcs.first.last().copied() != Some(arcs.len() as u32)
            {
                return None;
            }
            if arcs.first.windows(2).any(|p| p[0] > p[1]) {
                return None;
            }
            for x in 0..n as u32 {
                let up = &arcs.arc[arcs.range(x)];
                if up.iter().any(|a| a.head <= x || a.head as usize >= n)
                    || up.windows(2).any(|p| p[0].head >= p[1].head)
                {
                    return None;
                }
            }
        }
        // Every arc is an edge of `net` or the sum of two arcs of a lower node.
        let ch_ok = |up: bool, arcs: &Arcs| -> Option<()> {
            for x in 0..n as u32 {
                for i in arcs.range(x) {
                    let Up { head: y, w } = arcs.arc[i];
                    // The arc runs p -> q.
                    let (p, q) = if up { (x, y) } else { (y, x) };
                    let [a, b] = arcs.ab[i];
                    if b == NONE {
                        let e = a as usize;
                        if e >= net.edge_count()
                            || net.edge_from[e] != order[p as usize]
                            || net.fwd.head[e] != order[q as usize]
                            || net.fwd.w[e] != w
                        {
                            return None;
                        }
                    } else {
                        let (a, b) = (a as usize, b as usize);
                        if a >= bwd.len() || b >= fwd.len() {
                            return None;
                        }
                        let m = bwd.owner(a);
                        if fwd.owner(b) != m
                            || m >= x
                            || bwd.arc[a].head != p
                            || fwd.arc[b].head != q
                            || bwd.arc[a].w.checked_add(fwd.arc[b].w) != Some(w)
                        {
                            return None;
                        }
                    }
                }
            }
            Some(())
        };
        ch_ok(true, &fwd)?;
        ch_ok(false, &bwd)?;
        Some(Ch {
            rank,
            order,
            both: Both::new(&fwd, &bwd),
            unpacked: Unpacked::of(&fwd, &bwd),
            fwd,
            bwd,
            fingerprint: fp,
        })
    }

    /// The hierarchy from the cache file at `path` when it is valid for
    /// `net`; otherwise built, and written there atomically (a write that
    /// fails only means no cache). With no `path`, built in memory.
    pub fn load_or_build(net: &Network, path: Option<&Path>) -> Ch {
        let Some(path) = path else {
            return Ch::build(net);
        };
        if let Some(ch) = std::fs::read(path)
            .ok()
            .and_then(|b| Ch::from_bytes(&b, net))
        {
            return ch;
        }
        let ch = Ch::build(net);
        let bytes = ch.to_bytes(net);
        let _ = crate::output::write_atomic(path, |w| w.write_all(&bytes));
        ch
    }
}

fn put_u32s(buf: &mut Vec<u8>, xs: &[u32]) {
    for x in xs {
        buf.extend_from_slice(&x.to_le_bytes());
    }
}

/// A bounds-checked little-endian reader.
struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

impl Reader<'_> {
    fn take(&mut self, k: usize) -> Option<&[u8]> {
        let end = self.p.checked_add(k)?;
        let s = self.b.get(self.p..end)?;
        self.p = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u32s(&mut self, k: usize) -> Option<Vec<u32>> {
        let s = self.take(k.checked_mul(4)?)?;
        Some(
            s.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    fn u64s(&mut self, k: usize) -> Option<Vec<u64>> {
        let s = self.take(k.checked_mul(8)?)?;
        Some(
            s.chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        )
    }

    fn arcs(&mut self, n: usize, m: usize) -> Option<Arcs> {
        let first = self.u32s(n.checked_add(1)?)?;
        let head = self.u32s(m)?;
        let w = self.u64s(m)?;
        Some(Arcs {
            first,
            arc: head
                .into_iter()
                .zip(w)
                .map(|(head, w)| Up { head, w })
                .collect(),
            ab: {
                let a = self.u32s(m)?;
                let b = self.u32s(m)?;
                a.into_iter().zip(b).map(|(a, b)| [a, b]).collect()
            },
        })
    }
}

// ---------------------------------------------------------------------------
// Queries

/// The label of one node in one upward search.
#[derive(Clone, Copy, Debug)]
struct Label {
    /// Tentative weight, [`Weight::MAX`] when not reached.
    dist: Weight,
    /// The node (rank) the node was reached from ([`NONE`] at the root).
    from: u32,
    /// The node's block in [`Both`].
    at: u32,
}

/// A search heap's key of `(weight, rank)`: ordered as the pair is, in one
/// comparison.
#[inline]
fn heap_key(d: Weight, v: u32) -> u128 {
    u128::from(d) << 32 | u128::from(v)
}

/// The `(weight, rank)` of a [`heap_key`].
#[inline]
fn of_heap_key(key: u128) -> (Weight, u32) {
    ((key >> 32) as Weight, key as u32)
}

/// Labels of one upward search, by rank: every label is unreached between
/// searches (the reached ones are reset by the next start).
#[derive(Clone, Debug)]
struct Labels {
    l: Vec<Label>,
    /// Ranks reached by the current search.
    touched: Vec<u32>,
    /// `weight << 32 | rank`: one comparison orders by weight, then rank.
    heap: BinaryHeap<Reverse<u128>>,
}

impl Labels {
    fn new(n: usize) -> Labels {
        Labels {
            l: vec![
                Label {
                    dist: Weight::MAX,
                    from: NONE,
                    at: 0,
                };
                n
            ],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn start(&mut self, both: &Both, root: u32) {
        for &v in &self.touched {
            self.l[v as usize].dist = Weight::MAX;
        }
        self.touched.clear();
        self.heap.clear();
        self.reach(both, root, both.first[root as usize], 0, NONE);
    }

    /// The tentative weight of `v` ([`Weight::MAX`]: not reached).
    #[inline]
    fn get(&self, v: u32) -> Weight {
        self.l[v as usize].dist
    }

    #[inline]
    fn reach(&mut self, both: &Both, v: u32, at: u32, d: Weight, from: u32) {
        let x = &mut self.l[v as usize];
        if d < x.dist {
            if x.dist == Weight::MAX {
                self.touched.push(v);
                both.prefetch(at);
            }
            *x = Label { dist: d, from, at };
            self.heap.push(Reverse(heap_key(d, v)));
        }
    }

    #[inline]
    fn min_key(&self) -> Weight {
        self.heap.peek().map_or(Weight::MAX, |r| of_heap_key(r.0).0)
    }

    /// Settle the next node, upward when `up`: `(rank, weight, stalled)`.
    /// With `STALL`, a node is stalled when a higher node already reached
    /// has a lighter arc down to it (an arc of the other direction): its
    /// label is not its distance, so it neither relaxes its arcs nor meets
    /// the other side. Without, no node is stalled (none is read for it:
    /// the search settles a few nodes more, whose labels are heavier than
    /// their distances). Labels of `limit` or more are not kept: they
    /// cannot lead to a better meeting.
    #[inline]
    fn settle<const STALL: bool>(
        &mut self,
        both: &Both,
        up: bool,
        limit: Weight,
    ) -> Option<(u32, Weight, bool)> {
        loop {
            let Reverse(key) = self.heap.pop()?;
            let (d, v) = of_heap_key(key);
            if d > self.l[v as usize].dist {
                continue;
            }
            let (arcs, stall) = both.arcs(self.l[v as usize].at, up);
            if STALL {
                for a in stall {
                    if self.get(a.head).saturating_add(a.w) < d {
                        return Some((v, d, true));
                    }
                }
            }
            for a in arcs {
                let nd = d.saturating_add(a.w);
                if nd < limit {
                    self.reach(both, a.head, a.at, nd, v);
                }
            }
            return Some((v, d, false));
        }
    }

    /// The arcs (of `ch.fwd` when `up`, else of `ch.bwd`) from the root to
    /// `x`, pushed to `chain` from `x` down to the root.
    fn chain(&self, ch: &Ch, up: bool, x: u32, chain: &mut Vec<u32>) {
        let arcs = if up { &ch.fwd } else { &ch.bwd };
        let mut x = x;
        loop {
            let from = self.l[x as usize].from;
            if from == NONE {
                break;
            }
            // The block of `from` is still in the cache: find the arc there.
            let (own, _) = ch.both.arcs(self.l[from as usize].at, up);
            let k = own
                .binary_search_by_key(&x, |a| a.head)
                .expect("a label's arc is an arc of the node it came from");
            chain.push(arcs.first[from as usize] + k as u32);
            x = from;
        }
    }
}

/// Append the original edges of arc `i` of `arcs` (upward when `up`) to `out`.
fn unpack(ch: &Ch, up: bool, i: u32, stack: &mut Vec<(bool, u32)>, out: &mut Vec<EdgeId>) {
    if let Some(u) = &ch.unpacked {
        let first = if up { &u.fwd } else { &u.bwd };
        let i = i as usize;
        out.extend_from_slice(&u.edges[first[i] as usize..first[i + 1] as usize]);
        return;
    }
    unpack_in(&ch.fwd, &ch.bwd, up, i, stack, out);
}

/// As [`unpack`], walking the shortcut down to its edges.
fn unpack_in(
    fwd: &Arcs,
    bwd: &Arcs,
    up: bool,
    i: u32,
    stack: &mut Vec<(bool, u32)>,
    out: &mut Vec<EdgeId>,
) {
    stack.clear();
    stack.push((up, i));
    while let Some((up, i)) = stack.pop() {
        let arcs = if up { fwd } else { bwd };
        let [a, b] = arcs.ab[i as usize];
        if b == NONE {
            out.push(EdgeId(a));
        } else {
            // First half (backward arc) first: push it last.
            stack.push((true, b));
            stack.push((false, a));
        }
    }
}

/// The arcs from entry `k` of a frozen space back to its root (by
/// [`Frozen::up`]), pushed to `chain` (cleared first) from `k` on.
fn frozen_chain(ups: &[(u32, u32)], mut k: usize, chain: &mut Vec<u32>) {
    chain.clear();
    while ups[k] != FROZEN_ROOT {
        chain.push(ups[k].1);
        k = ups[k].0 as usize;
    }
}

/// Append the path from the root of a frozen forward space up to its entry
/// `k` to `out`, unpacked.
fn write_frozen_up(
    ch: &Ch,
    ups: &[(u32, u32)],
    k: usize,
    chain: &mut Vec<u32>,
    stack: &mut Vec<(bool, u32)>,
    out: &mut Vec<EdgeId>,
) {
    frozen_chain(ups, k, chain);
    for &i in chain.iter().rev() {
        unpack(ch, true, i, stack, out);
    }
}

/// Append the upward part of a path to `out`: from the root of `f` up to
/// `meet`, unpacked.
fn write_up(
    ch: &Ch,
    f: &Labels,
    meet: u32,
    chain: &mut Vec<u32>,
    stack: &mut Vec<(bool, u32)>,
    out: &mut Vec<EdgeId>,
) {
    chain.clear();
    f.chain(ch, true, meet, chain);
    for &i in chain.iter().rev() {
        unpack(ch, true, i, stack, out);
    }
}

/// Append the path through `meet` to `out`: up from the root of `f` to
/// `meet`, then down from `meet` to the root of `b`, unpacked.
fn write_path(
    ch: &Ch,
    f: &Labels,
    b: &Labels,
    meet: u32,
    chain: &mut Vec<u32>,
    stack: &mut Vec<(bool, u32)>,
    out: &mut Vec<EdgeId>,
) {
    write_up(ch, f, meet, chain, stack, out);
    chain.clear();
    b.chain(ch, false, meet, chain);
    for &i in chain.iter() {
        unpack(ch, false, i, stack, out);
    }
}

/// The backward upward search space of one fixed target (a station, say),
/// stalled nodes left out, made once by [`FixedTarget::new`] for any number
/// of [`ChQuery::path_to_fixed`] queries, each of them only a forward
/// search.
#[derive(Clone, Debug)]
pub struct FixedTarget {
    /// The target's rank.
    target: u32,
    /// Ranks of the space, ascending.
    ranks: Vec<u32>,
    /// `d(rank -> target)` of each.
    dist: Vec<Weight>,
    /// The edges of the backward arc each was reached by, unpacked (empty
    /// at the target): `edges[span[i].0..span[i].1]`, ready to copy.
    span: Vec<(u32, u32)>,
    edges: Vec<EdgeId>,
    /// The index (in these arrays) of the node that arc leaves from: the
    /// next node towards the target.
    next: Vec<u32>,
}

impl FixedTarget {
    /// The space of `t` in `ch`.
    pub fn new(ch: &Ch, t: NodeId) -> FixedTarget {
        let mut l = Labels::new(ch.node_count());
        let rt = ch.rank[t.idx()];
        l.start(&ch.both, rt);
        let mut space = Vec::new();
        while let Some((v, _, stalled)) = l.settle::<true>(&ch.both, false, Weight::MAX) {
            if !stalled {
                space.push(v);
            }
        }
        space.sort_unstable();
        let at = |x: u32| space.binary_search(&x).ok();
        let mut ft = FixedTarget {
            target: rt,
            ranks: space.clone(),
            dist: Vec::with_capacity(space.len()),
            span: Vec::with_capacity(space.len()),
            edges: Vec::new(),
            next: Vec::with_capacity(space.len()),
        };
        let mut stack = Vec::new();
        for &v in &space {
            ft.dist.push(l.get(v));
            let from = l.l[v as usize].from;
            if from == NONE {
                ft.span.push((0, 0));
                ft.next.push(NONE);
            } else {
                let i = ch.bwd.find(from, v).expect("a label's arc exists");
                let start = ft.edges.len() as u32;
                unpack(ch, false, i as u32, &mut stack, &mut ft.edges);
                ft.span.push((start, ft.edges.len() as u32));
                // The node a settled (not stalled) node was reached from was
                // settled not stalled before it.
                ft.next
                    .push(at(from).expect("the parent is in the space") as u32);
            }
        }
        ft
    }

    /// The target.
    pub fn target(&self, ch: &Ch) -> NodeId {
        NodeId(ch.order[self.target as usize])
    }

    /// Ask for the arrays a scan against this space reads first
    /// ([`ChQuery::path_to_fixed_frozen`]): its ranks and weights.
    #[inline]
    pub fn prefetch(&self) {
        crate::routing::prefetch_all(&self.ranks);
        crate::routing::prefetch_all(&self.dist);
    }

    /// The number of nodes of the space.
    pub fn len(&self) -> usize {
        self.ranks.len()
    }

    /// Whether the space is empty (never: it holds the target).
    pub fn is_empty(&self) -> bool {
        self.ranks.is_empty()
    }
}

/// Reusable per-thread query scratch for one [`Ch`] (one of more nodes makes
/// it panic): no allocation per query once warm. Three searches live in it:
/// the two halves of [`ChQuery::distance`] and [`ChQuery::path`], and the
/// target space of [`ChQuery::target_space`], which those two leave intact.
#[derive(Clone, Debug)]
pub struct ChQuery {
    /// Forward (from the source) labels of [`ChQuery::distance`] and [`ChQuery::meet`].
    f: Labels,
    /// Backward labels of [`ChQuery::distance`].
    b: Labels,
    /// Backward labels of the target space.
    t: Labels,
    /// The weight to the target of each node of the target space,
    /// [`Weight::MAX`] elsewhere.
    in_space: Vec<Weight>,
    /// Ranks of the target space.
    space_ranks: Vec<u32>,
    /// Rank of the target of the target space ([`NONE`]: none yet).
    target: u32,
    /// The space as network nodes, listed by [`ChQuery::target_space_within`].
    space: Vec<(u32, Weight)>,
    /// Meeting node of the last successful meet (the target space is the
    /// one it met: a new one forgets it).
    last_meet: Option<u32>,
    /// The target space came from a frozen list
    /// ([`ChQuery::fill_space_frozen`]), not from the labels `t`: its way
    /// to the target is `t_ups` (beside `space_ranks`), once asked for.
    space_frozen: bool,
    t_ups: Vec<(u32, u32)>,
    settled: usize,
    chain: Vec<u32>,
    stack: Vec<(bool, u32)>,
}

impl ChQuery {
    /// Scratch for queries on `ch`.
    pub fn new(ch: &Ch) -> ChQuery {
        let n = ch.node_count();
        let q = ChQuery {
            f: Labels::new(n),
            b: Labels::new(n),
            t: Labels::new(n),
            in_space: vec![Weight::MAX; n],
            space_ranks: Vec::new(),
            target: NONE,
            space: Vec::new(),
            last_meet: None,
            space_frozen: false,
            t_ups: Vec::new(),
            settled: 0,
            chain: Vec::new(),
            stack: Vec::new(),
        };
        // Read at scattered ranks by every search.
        for labels in [&q.f, &q.b, &q.t] {
            crate::pages::prefer_huge(&labels.l);
        }
        crate::pages::prefer_huge(&q.in_space);
        q
    }

    /// Bidirectional upward search: the weight and the meeting rank.
    fn search(&mut self, ch: &Ch, s: NodeId, t: NodeId) -> Option<(Weight, u32)> {
        self.last_meet = None;
        let (f, b) = (&mut self.f, &mut self.b);
        f.start(&ch.both, ch.rank[s.idx()]);
        b.start(&ch.both, ch.rank[t.idx()]);
        let mut best = Weight::MAX;
        let mut meet = NONE;
        let mut settled = 0;
        loop {
            let (kf, kb) = (f.min_key(), b.min_key());
            if kf >= best && kb >= best {
                break;
            }
            let (this, other, up) = if kf <= kb {
                (&mut *f, &*b, true)
            } else {
                (&mut *b, &*f, false)
            };
            if let Some((v, d, stalled)) = this.settle::<true>(&ch.both, up, best) {
                settled += 1;
                if !stalled {
                    let c = d.saturating_add(other.get(v));
                    if c < best {
                        best = c;
                        meet = v;
                    }
                }
            }
        }
        self.settled = settled;
        (meet != NONE).then_some((best, meet))
    }

    /// Exact shortest-path weight `s -> t`; `None` when `t` is unreachable.
    pub fn distance(&mut self, ch: &Ch, s: NodeId, t: NodeId) -> Option<Weight> {
        self.search(ch, s, t).map(|(w, _)| w)
    }

    /// The weight of the shortest path `s -> t`, and the path itself as
    /// network edges in driving order in `out` (cleared first).
    pub fn path(&mut self, ch: &Ch, s: NodeId, t: NodeId, out: &mut Vec<EdgeId>) -> Option<Weight> {
        out.clear();
        let (w, meet) = self.search(ch, s, t)?;
        write_path(
            ch,
            &self.f,
            &self.b,
            meet,
            &mut self.chain,
            &mut self.stack,
            out,
        );
        Some(w)
    }

    /// Run the whole backward upward search from `t` and keep it for
    /// [`ChQuery::meet`]: the `(node, weight to t)` pairs it settles, in
    /// settle order, so by ascending weight. Nodes are network node ids.
    /// The search does not stall: its space holds every node of `t`'s
    /// backward [`upward_space`] (at the same weight or lighter) and a few
    /// more; every weight is that of a real path, never below the distance,
    /// and the nodes of the shortest paths have theirs exact, so meetings
    /// find the same shortest paths.
    pub fn target_space(&mut self, ch: &Ch, t: NodeId) -> &[(u32, Weight)] {
        self.target_space_within(ch, t, Weight::MAX)
    }

    /// As [`ChQuery::target_space`], keeping only nodes lighter than
    /// `limit`: enough for every [`ChQuery::meet`] of a path lighter than it.
    pub fn target_space_within(&mut self, ch: &Ch, t: NodeId, limit: Weight) -> &[(u32, Weight)] {
        self.fill_space(ch, t, limit);
        // As network nodes, made here: growing needs only the ranks.
        self.space.clear();
        self.space.extend(
            self.space_ranks
                .iter()
                .map(|&v| (ch.order[v as usize], self.in_space[v as usize])),
        );
        &self.space
    }

    /// As [`ChQuery::target_space_within`], without listing the space:
    /// ready for [`ChQuery::meet`] and [`ChQuery::meet_frozen`].
    pub fn fill_space(&mut self, ch: &Ch, t: NodeId, limit: Weight) {
        self.begin_space(ch, t);
        while self.grow_space(ch, limit).is_some() {}
    }

    /// Begin the target space of `t` (see [`ChQuery::target_space`]), to be
    /// grown node by node with [`ChQuery::grow_space`].
    pub fn begin_space(&mut self, ch: &Ch, t: NodeId) {
        self.last_meet = None;
        for &v in &self.space_ranks {
            self.in_space[v as usize] = Weight::MAX;
        }
        self.space_ranks.clear();
        let rt = ch.rank[t.idx()];
        self.target = rt;
        self.t.start(&ch.both, rt);
        self.settled = 0;
        self.space_frozen = false;
    }

    /// As [`ChQuery::fill_space`], from the frozen backward space of `t`
    /// ([`frozen_target_space`], as `ranks` and `weights`): a copy of its
    /// entries lighter than `limit`, no search. Stalled nodes are left out,
    /// which changes no meeting ([`ChQuery::meet`],
    /// [`ChQuery::meet_frozen`]) nor its path; it cannot be grown. The
    /// space's ways back are copied only for a path: see
    /// [`ChQuery::frozen_target_ups`].
    pub fn fill_space_frozen(
        &mut self,
        ch: &Ch,
        t: NodeId,
        ranks: &[u32],
        weights: &[Weight],
        limit: Weight,
    ) {
        self.last_meet = None;
        for &v in &self.space_ranks {
            self.in_space[v as usize] = Weight::MAX;
        }
        self.space_ranks.clear();
        self.t_ups.clear();
        self.target = ch.rank[t.idx()];
        self.space_frozen = true;
        let n = weights.partition_point(|&w| w < limit);
        for k in 0..n {
            self.in_space[ranks[k] as usize] = weights[k];
        }
        self.space_ranks.extend_from_slice(&ranks[..n]);
        self.settled = n;
    }

    /// The ways back ([`Frozen::up`]) of the frozen list the target space
    /// was last filled from by [`ChQuery::fill_space_frozen`]: a meeting's
    /// path ([`ChQuery::meet_path`], [`ChQuery::meet_path_at`],
    /// [`ChQuery::meet_frozen_path`]) reads them. Most target spaces give
    /// no path, so they are not copied with the space.
    pub fn frozen_target_ups(&mut self, ups: &[(u32, u32)]) {
        if self.space_frozen && self.t_ups.is_empty() {
            self.t_ups.extend_from_slice(&ups[..self.space_ranks.len()]);
        }
    }

    /// The backward arcs from rank `meet` of the target space down to the
    /// target, in driving order, into `chain` (cleared first).
    fn target_chain(&mut self, ch: &Ch, meet: u32) {
        self.chain.clear();
        if !self.space_frozen {
            self.t.chain(ch, false, meet, &mut self.chain);
            return;
        }
        assert_eq!(
            self.t_ups.len(),
            self.space_ranks.len(),
            "a frozen target space's ways back, for a path (ChQuery::frozen_target_ups)"
        );
        if let Some(k) = self.space_ranks.iter().position(|&r| r == meet) {
            frozen_chain(&self.t_ups, k, &mut self.chain);
        }
    }

    /// Add the next node lighter than `limit` to the target space begun by
    /// [`ChQuery::begin_space`]: `(rank, weight)` ([`Ch::rank_of`]), in
    /// ascending weight; `None` once none is left. `limit` may shrink from call to call: the
    /// space then holds every node lighter than the last one, enough for
    /// every [`ChQuery::meet`] of a path lighter than it.
    pub fn grow_space(&mut self, ch: &Ch, limit: Weight) -> Option<(u32, Weight)> {
        if self.t.min_key() >= limit {
            return None;
        }
        // Not stalled: the labels stalling reads are cold here, and the few
        // nodes more (their weights above their distances) change no
        // meeting.
        let (v, d, _) = self.t.settle::<false>(&ch.both, false, limit)?;
        self.settled += 1;
        self.space_ranks.push(v);
        self.in_space[v as usize] = d;
        Some((v, d))
    }

    /// A forward upward search from `s` that stops once its smallest key
    /// reaches `bound` or the best meeting so far: the best meeting
    /// `(weight, rank)` with the nodes for which `dist` gives a weight
    /// (`Weight::MAX`: none).
    fn forward(
        &mut self,
        ch: &Ch,
        s: NodeId,
        bound: Weight,
        dist: impl Fn(u32) -> Weight,
    ) -> (Weight, u32) {
        let f = &mut self.f;
        f.start(&ch.both, ch.rank[s.idx()]);
        let mut best = Weight::MAX;
        let mut meet = NONE;
        let mut settled = 0;
        while f.min_key() < best.min(bound) {
            let Some((v, d, stalled)) = f.settle::<true>(&ch.both, true, best.min(bound)) else {
                break;
            };
            settled += 1;
            if !stalled {
                let c = d.saturating_add(dist(v));
                if c < best {
                    best = c;
                    meet = v;
                }
            }
        }
        self.settled = settled;
        (best, meet)
    }

    /// With the current target space: the exact weight `s -> target` by a
    /// forward upward search from `s` that stops once its smallest key
    /// reaches `bound`; `None` when the distance is at least `bound` (or no
    /// target space was made).
    pub fn meet(&mut self, ch: &Ch, s: NodeId, bound: Weight) -> Option<Weight> {
        self.last_meet = None;
        if self.target == NONE {
            self.settled = 0;
            return None;
        }
        let in_space = std::mem::take(&mut self.in_space);
        let (best, meet) = self.forward(ch, s, bound, |v| in_space[v as usize]);
        self.in_space = in_space;
        if meet != NONE && best < bound {
            self.last_meet = Some(meet);
            Some(best)
        } else {
            None
        }
    }

    /// As [`ChQuery::meet`] from a node whose forward space was frozen by
    /// [`frozen_space`] (`ranks[i]` at `weights[i]`, ascending): the same
    /// weight, by a scan of the list against the target space, no search;
    /// with it, the entry where the two meet, for
    /// [`ChQuery::meet_frozen_path`].
    pub fn meet_frozen(
        &mut self,
        ranks: &[u32],
        weights: &[Weight],
        bound: Weight,
    ) -> Option<(Weight, u32)> {
        self.last_meet = None;
        self.settled = 0;
        if self.target == NONE {
            return None;
        }
        // The first lightest meeting in the list's order, as a search
        // finds it in the order it settles.
        let (mut best, mut meet) = (Weight::MAX, 0);
        for (k, (&v, &d)) in ranks.iter().zip(weights).enumerate() {
            if d >= best.min(bound) {
                break;
            }
            self.settled += 1;
            let c = d.saturating_add(self.in_space[v as usize]);
            if c < best {
                (best, meet) = (c, k as u32);
            }
        }
        (best < bound).then_some((best, meet))
    }

    /// The path (network edges in driving order, into `out`, cleared
    /// first) of a [`ChQuery::meet_frozen`] that met the current target
    /// space at entry `meet` of the frozen space with `ranks` and `ups`
    /// ([`Frozen`]): the one [`ChQuery::meet`] and [`ChQuery::meet_path`]
    /// give from the same node, without a search.
    pub fn meet_frozen_path(
        &mut self,
        ch: &Ch,
        ranks: &[u32],
        ups: &[(u32, u32)],
        meet: u32,
        out: &mut Vec<EdgeId>,
    ) {
        out.clear();
        write_frozen_up(
            ch,
            ups,
            meet as usize,
            &mut self.chain,
            &mut self.stack,
            out,
        );
        self.target_chain(ch, ranks[meet as usize]);
        for &i in self.chain.iter() {
            unpack(ch, false, i, &mut self.stack, out);
        }
    }

    /// The path (network edges in driving order) of the last successful
    /// [`ChQuery::meet`], from its source to the target; empty when there
    /// was none, or when another query has run since.
    pub fn meet_path(&mut self, ch: &Ch, out: &mut Vec<EdgeId>) {
        out.clear();
        if let Some(meet) = self.last_meet {
            self.meet_path_at(ch, meet, out);
        }
    }

    /// The meeting rank of the last successful [`ChQuery::meet`], while no
    /// other query has run since.
    pub fn last_meet(&self) -> Option<u32> {
        self.last_meet
    }

    /// As [`ChQuery::meet_path`], for `meet` ([`ChQuery::last_meet`]) of a
    /// [`ChQuery::meet`] after which the target space stayed as it was and
    /// no other forward search ran ([`ChQuery::meet_frozen`] may have: it
    /// reads and writes no labels).
    pub fn meet_path_at(&mut self, ch: &Ch, meet: u32, out: &mut Vec<EdgeId>) {
        out.clear();
        write_up(ch, &self.f, meet, &mut self.chain, &mut self.stack, out);
        self.target_chain(ch, meet);
        for &i in self.chain.iter() {
            unpack(ch, false, i, &mut self.stack, out);
        }
    }

    /// The weight of the shortest path `s -> t.target()` and the path in
    /// `out` (cleared first), the very ones [`ChQuery::path`] gives, by a
    /// forward search alone; `None` when the target is unreachable. Leaves
    /// the target space intact.
    pub fn path_to_fixed(
        &mut self,
        ch: &Ch,
        s: NodeId,
        t: &FixedTarget,
        out: &mut Vec<EdgeId>,
    ) -> Option<Weight> {
        out.clear();
        self.last_meet = None;
        let (best, meet) = self.forward(ch, s, Weight::MAX, |v| {
            t.ranks.binary_search(&v).map_or(Weight::MAX, |i| t.dist[i])
        });
        if meet == NONE {
            return None;
        }
        write_up(ch, &self.f, meet, &mut self.chain, &mut self.stack, out);
        let mut k = t
            .ranks
            .binary_search(&meet)
            .expect("the meeting is in the space");
        while t.next[k] != NONE {
            let (a, b) = t.span[k];
            out.extend_from_slice(&t.edges[a as usize..b as usize]);
            k = t.next[k] as usize;
        }
        Some(best)
    }

    /// As [`ChQuery::path_to_fixed`] from a node whose forward space was
    /// frozen ([`frozen_space`], as `ranks`, `weights` and `ups`): the same
    /// weight and path, by a scan of the list against the target's space,
    /// no search.
    pub fn path_to_fixed_frozen(
        &mut self,
        ch: &Ch,
        (ranks, weights, ups): (&[u32], &[Weight], &[(u32, u32)]),
        t: &FixedTarget,
        out: &mut Vec<EdgeId>,
    ) -> Option<Weight> {
        out.clear();
        self.last_meet = None;
        // The first lightest meeting in the list's order.
        let (mut best, mut meet) = (Weight::MAX, None);
        for (k, (&v, &d)) in ranks.iter().zip(weights).enumerate() {
            if d >= best {
                break;
            }
            if let Ok(i) = t.ranks.binary_search(&v) {
                let c = d.saturating_add(t.dist[i]);
                if c < best {
                    (best, meet) = (c, Some((k, i)));
                }
            }
        }
        self.settled = ranks.len();
        let (k, mut i) = meet?;
        write_frozen_up(ch, ups, k, &mut self.chain, &mut self.stack, out);
        while t.next[i] != NONE {
            let (a, b) = t.span[i];
            out.extend_from_slice(&t.edges[a as usize..b as usize]);
            i = t.next[i] as usize;
        }
        Some(best)
    }

    /// Nodes settled (stalled ones included) by the last query: a cost measure.
    pub fn last_settled(&self) -> usize {
        self.settled
    }
}

/// The forward (`d(s -> v)`) or backward (`d(v -> s)`) upward search space of
/// `s`, stalled nodes left out: `(network node, weight)` sorted by node. The
/// exact distance between two nodes is the [`join`] of the first's forward
/// space and the second's backward space. Allocates only what the space
/// needs.
pub fn upward_space(ch: &Ch, s: NodeId, dir: Direction) -> Vec<(u32, Weight)> {
    let mut out: Vec<(u32, Weight)> = settled_space(ch, s, dir)
        .into_iter()
        .map(|f| (ch.order[f.rank as usize], f.w))
        .collect();
    out.sort_unstable();
    out
}

/// The nodes an upward search from `s` settles without stalling, in the
/// order it settles them, each with the rank it was reached from and the
/// arc taken (the first relaxation that gives its final weight, as a
/// search's label keeps). Allocates only what the space needs.
fn settled_space(ch: &Ch, s: NodeId, dir: Direction) -> Vec<Frozen> {
    let (arcs, stall) = match dir {
        Direction::Forward => (&ch.fwd, &ch.bwd),
        Direction::Backward => (&ch.bwd, &ch.fwd),
    };
    let rs = ch.rank[s.idx()];
    let mut label: HashMap<u32, (Weight, (u32, u32))> = HashMap::new();
    let mut heap = BinaryHeap::new();
    label.insert(rs, (0, FROZEN_ROOT));
    heap.push(Reverse((0, rs)));
    let mut out = Vec::new();
    'settle: while let Some(Reverse((d, v))) = heap.pop() {
        let (dv, up) = label[&v];
        if d > dv {
            continue;
        }
        for i in stall.range(v) {
            let a = stall.arc[i];
            if label
                .get(&a.head)
                .is_some_and(|&(du, _)| du.saturating_add(a.w) < d)
            {
                continue 'settle;
            }
        }
        out.push(Frozen { rank: v, w: d, up });
        for i in arcs.range(v) {
            let (y, nd) = (arcs.arc[i].head, d.saturating_add(arcs.arc[i].w));
            let e = label.entry(y).or_insert((Weight::MAX, FROZEN_ROOT));
            if nd < e.0 {
                *e = (nd, (v, i as u32));
                heap.push(Reverse((nd, y)));
            }
        }
    }
    out
}

/// One entry of a frozen forward space ([`frozen_space`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frozen {
    /// The node's rank.
    pub rank: u32,
    /// `d(s -> node)`.
    pub w: Weight,
    /// The entry the node is reached from on its shortest path from `s`
    /// ([`FROZEN_ROOT`] at `s`), and the arc of the forward arcs taken: the
    /// path up to the node, for [`ChQuery::meet_frozen_path`].
    pub up: (u32, u32),
}

/// The `up` of the root of a frozen space.
pub const FROZEN_ROOT: (u32, u32) = (NONE, NONE);

/// The forward upward search space of `s` as [`ChQuery::meet_frozen`]
/// reads it: in ascending weight (ties by rank), stalled nodes left out,
/// each with the way back to `s` that the search from `s` finds. Kept for a
/// node that is met often (a loop's), it turns each meeting into a scan of
/// a short list, and the path of a meeting into a walk up the list.
pub fn frozen_space(ch: &Ch, s: NodeId) -> Vec<Frozen> {
    frozen_space_dir(ch, s, Direction::Forward)
}

/// As [`frozen_space`], of the backward upward space of `t` (`w` is then
/// `d(node -> t)`, and `up` leads on towards `t` by backward arcs): for
/// [`ChQuery::fill_space_frozen`].
pub fn frozen_target_space(ch: &Ch, t: NodeId) -> Vec<Frozen> {
    frozen_space_dir(ch, t, Direction::Backward)
}

fn frozen_space_dir(ch: &Ch, s: NodeId, dir: Direction) -> Vec<Frozen> {
    let mut out = settled_space(ch, s, dir);
    out.sort_unstable_by_key(|f| (f.w, f.rank));
    // Parents by rank, then by place in the list.
    let place: HashMap<u32, u32> = out
        .iter()
        .enumerate()
        .map(|(k, f)| (f.rank, k as u32))
        .collect();
    for f in &mut out {
        if f.up != FROZEN_ROOT {
            f.up.0 = place[&f.up.0];
        }
    }
    out
}

/// `d(a -> b)` from `a`'s forward and `b`'s backward upward spaces (both
/// sorted by node): the lightest meeting, by a merge join.
pub fn join(fwd_a: &[(u32, Weight)], bwd_b: &[(u32, Weight)]) -> Option<Weight> {
    let (mut i, mut j) = (0, 0);
    let mut best: Option<Weight> = None;
    while i < fwd_a.len() && j < bwd_b.len() {
        let (x, y) = (fwd_a[i], bwd_b[j]);
        match x.0.cmp(&y.0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let c = x.1.saturating_add(y.1);
                if best.is_none_or(|b| c < b) {
                    best = Some(c);
                }
                i += 1;
                j += 1;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::build::test_line;
    use crate::network::weight_ms;

    /// Plain Dijkstra on the network's integer weights from `s`: weights
    /// and the edge each node was reached by.
    fn dijkstra(net: &Network, s: u32) -> (Vec<Weight>, Vec<u32>) {
        let n = net.node_count();
        let mut dist = vec![Weight::MAX; n];
        let mut pred = vec![NONE; n];
        let mut heap = BinaryHeap::new();
        dist[s as usize] = 0;
        heap.push(Reverse((0, s)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > dist[v as usize] {
                continue;
            }
            for e in net.fwd.range(v) {
                let (h, nd) = (net.fwd.head[e] as usize, d + net.fwd.w[e]);
                if nd < dist[h] {
                    dist[h] = nd;
                    pred[h] = e as u32;
                    heap.push(Reverse((nd, h as u32)));
                }
            }
        }
        (dist, pred)
    }

    fn walk(net: &Network, pred: &[u32], t: u32) -> Vec<EdgeId> {
        let mut p = Vec::new();
        let mut x = t as usize;
        while pred[x] != NONE {
            p.push(EdgeId(pred[x]));
            x = net.edge_from[pred[x] as usize] as usize;
        }
        p.reverse();
        p
    }

    /// Every query of `ch` against plain Dijkstra, for all pairs.
    fn check_all_pairs(net: &Network, ch: &Ch) {
        let n = net.node_count() as u32;
        let mut q = ChQuery::new(ch);
        let mut path = Vec::new();
        let fwd: Vec<_> = (0..n)
            .map(|v| upward_space(ch, NodeId(v), Direction::Forward))
            .collect();
        let bwd: Vec<_> = (0..n)
            .map(|v| upward_space(ch, NodeId(v), Direction::Backward))
            .collect();
        let all: Vec<_> = (0..n).map(|s| dijkstra(net, s)).collect();
        for s in 0..n {
            let (dist, pred) = &all[s as usize];
            for t in 0..n {
                let want = dist[t as usize];
                let (s_, t_) = (NodeId(s), NodeId(t));
                assert_eq!(q.distance(ch, s_, t_), Some(want), "{s} -> {t}");
                assert_eq!(q.path(ch, s_, t_, &mut path), Some(want));
                assert_eq!(path, walk(net, pred, t), "{s} -> {t}");
                assert_eq!(join(&fwd[s as usize], &bwd[t as usize]), Some(want));
            }
        }
        // Target spaces met from every source.
        for t in 0..n {
            let space = q.target_space(ch, NodeId(t)).to_vec();
            assert!(space.windows(2).all(|p| p[0].1 <= p[1].1));
            assert_eq!(space[0], (t, 0));
            // The upward space (its nodes at the same weights or lighter:
            // the search does not stall, so it may find better paths) and
            // other nodes, none lighter than its distance.
            let mut sorted = space.clone();
            sorted.sort_unstable();
            assert!(bwd[t as usize].iter().all(|&(v, w)| {
                let k = sorted.partition_point(|x| x.0 < v);
                sorted.get(k).is_some_and(|x| x.0 == v && x.1 <= w)
            }));
            assert!(space
                .iter()
                .all(|&(v, w)| w >= all[v as usize].0[t as usize]));
            for s in 0..n {
                let (dist, pred) = &all[s as usize];
                assert_eq!(q.meet(ch, NodeId(s), Weight::MAX), Some(dist[t as usize]));
                q.meet_path(ch, &mut path);
                assert_eq!(path, walk(net, pred, t), "meet {s} -> {t}");
                let frozen = frozen_space(ch, NodeId(s));
                assert!(frozen
                    .windows(2)
                    .all(|p| (p[0].w, p[0].rank) < (p[1].w, p[1].rank)));
                let ranks: Vec<u32> = frozen.iter().map(|f| f.rank).collect();
                let weights: Vec<Weight> = frozen.iter().map(|f| f.w).collect();
                let ups: Vec<(u32, u32)> = frozen.iter().map(|f| f.up).collect();
                let d = dist[t as usize];
                let (w, meet) = q.meet_frozen(&ranks, &weights, Weight::MAX).unwrap();
                assert_eq!(w, d);
                q.meet_frozen_path(ch, &ranks, &ups, meet, &mut path);
                assert_eq!(path, walk(net, pred, t), "frozen path {s} -> {t}");
                assert_eq!(q.meet_frozen(&ranks, &weights, d + 1).map(|m| m.0), Some(d));
                assert_eq!(
                    q.meet_frozen(&ranks, &weights, d),
                    None,
                    "frozen {s} -> {t}"
                );
            }
            let fixed = FixedTarget::new(ch, NodeId(t));
            assert_eq!(fixed.len(), bwd[t as usize].len());
            for s in 0..n {
                let (dist, pred) = &all[s as usize];
                let w = q.path_to_fixed(ch, NodeId(s), &fixed, &mut path);
                assert_eq!(w, Some(dist[t as usize]), "fixed {s} -> {t}");
                assert_eq!(path, walk(net, pred, t), "fixed {s} -> {t}");
                q.meet_path(ch, &mut path);
                assert!(path.is_empty(), "no meet since path_to_fixed");
            }
        }
    }

    /// A two-way line 0 - 1 - ... - (n-1) with assorted times.
    fn line(n: usize) -> Network {
        let mut edges = Vec::new();
        for i in 0..n - 1 {
            let t = 1.0 + (i * 7 % 5) as f64;
            edges.push((i, i + 1, 10.0, t));
            edges.push((i + 1, i, 10.0, t + 0.5));
        }
        test_line(&(0..n).map(|i| i as f64).collect::<Vec<_>>(), &edges)
    }

    /// A pseudo-random strongly connected graph: a directed ring plus chords,
    /// some of them one-way, some parallel, some of zero time.
    fn tangle(n: usize, chords: usize, seed: u64) -> Network {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move |k: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % k as u64) as usize
        };
        let mut edges: Vec<(usize, usize, f64, f64)> =
            (0..n).map(|i| (i, (i + 1) % n, 1.0, 30.0)).collect();
        for _ in 0..chords {
            let (u, v) = (next(n), next(n));
            let t = [0.0, 0.5, 3.0, 7.25, 12.0][next(5)];
            edges.push((u, v, 1.0, t));
            if next(3) > 0 {
                edges.push((v, u, 1.0, t));
            }
        }
        edges.retain(|e| e.0 != e.1);
        test_line(&(0..n).map(|i| i as f64).collect::<Vec<_>>(), &edges)
    }

    /// A `rows x cols` street grid: two-way streets with assorted times, every
    /// third row one-way (alternating directions), and some zero-time links.
    fn grid(rows: usize, cols: usize) -> Network {
        let id = |r: usize, c: usize| r * cols + c;
        let mut edges = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let t = 5.0 + ((r * 31 + c * 17) % 11) as f64;
                if c + 1 < cols {
                    let (a, b) = (id(r, c), id(r, c + 1));
                    match r % 3 {
                        0 if r % 2 == 0 => edges.push((a, b, 1.0, t)),
                        0 => edges.push((b, a, 1.0, t)),
                        _ => edges.extend([(a, b, 1.0, t), (b, a, 1.0, t + 1.0)]),
                    }
                }
                if r + 1 < rows {
                    let t = if (r + c) % 13 == 0 { 0.0 } else { t + 2.0 };
                    edges.extend([
                        (id(r, c), id(r + 1, c), 1.0, t),
                        (id(r + 1, c), id(r, c), 1.0, t),
                    ]);
                }
            }
        }
        test_line(&vec![0.0; rows * cols], &edges)
    }

    fn is_nested(ch: &Ch, arcs: &Arcs, i: usize) -> bool {
        let [a, b] = arcs.ab[i];
        b != NONE && (ch.bwd.ab[a as usize][1] != NONE || ch.fwd.ab[b as usize][1] != NONE)
    }

    #[test]
    fn nested_shortcuts_on_a_line_unpack_in_driving_order() {
        let net = line(16);
        let ch = Ch::build(&net);
        assert!(ch.shortcut_count() > 0);
        let nested = (0..ch.fwd.len()).any(|i| is_nested(&ch, &ch.fwd, i))
            || (0..ch.bwd.len()).any(|i| is_nested(&ch, &ch.bwd, i));
        assert!(nested, "a 16-node line needs shortcuts of shortcuts");
        let mut q = ChQuery::new(&ch);
        let mut p = Vec::new();
        let w = q.path(&ch, NodeId(0), NodeId(15), &mut p).unwrap();
        assert_eq!(p.len(), 15);
        for (k, e) in p.iter().enumerate() {
            assert_eq!(net.edge_tail(*e), NodeId(k as u32));
            assert_eq!(net.edge_to(*e), NodeId(k as u32 + 1));
        }
        assert_eq!(w, p.iter().map(|&e| net.edge_weight(e)).sum::<Weight>());
        check_all_pairs(&net, &ch);
    }

    #[test]
    fn one_way_streets_go_round() {
        // A one-way ring 0 -> 1 -> ... -> 7 -> 0, with a two-way chord 0 - 4
        // and a one-way chord 2 -> 6.
        let mut edges: Vec<_> = (0..8).map(|i| (i, (i + 1) % 8, 1.0, 10.0)).collect();
        edges.extend([(0, 4, 1.0, 25.0), (4, 0, 1.0, 25.0), (2, 6, 1.0, 5.0)]);
        let net = test_line(&[0.0; 8], &edges);
        let ch = Ch::build(&net);
        let mut q = ChQuery::new(&ch);
        let d = q.distance(&ch, NodeId(1), NodeId(0)).unwrap();
        // 1 -> 2 -> 6 -> 7 -> 0: 10 + 5 + 10 + 10 s.
        assert_eq!(weight_ms(d), 35_000);
        let d = q.distance(&ch, NodeId(0), NodeId(1)).unwrap();
        assert_eq!(weight_ms(d), 10_000);
        let d = q.distance(&ch, NodeId(5), NodeId(4)).unwrap();
        assert_eq!(weight_ms(d), 55_000);
        check_all_pairs(&net, &ch);
    }

    #[test]
    fn parallel_edges_keep_the_lightest() {
        let edges = [
            (0, 1, 1.0, 10.0),
            (0, 1, 1.0, 4.0),
            (0, 1, 1.0, 4.0), // the same time: the tie-breaker decides
            (1, 2, 1.0, 3.0),
            (1, 2, 1.0, 3.5),
            (2, 0, 1.0, 1.0),
            (2, 0, 1.0, 9.0),
        ];
        let net = test_line(&[0.0, 1.0, 2.0], &edges);
        let ch = Ch::build(&net);
        let mut q = ChQuery::new(&ch);
        let mut p = Vec::new();
        let w = q.path(&ch, NodeId(0), NodeId(2), &mut p).unwrap();
        let lightest = |u: u32, v: u32| {
            (0..net.edge_count())
                .filter(|&e| net.edge_from[e] == u && net.fwd.head[e] == v)
                .min_by_key(|&e| net.fwd.w[e])
                .map(|e| EdgeId(e as u32))
                .unwrap()
        };
        assert_eq!(p, vec![lightest(0, 1), lightest(1, 2)]);
        assert_eq!(weight_ms(w), 7_000);
        check_all_pairs(&net, &ch);
    }

    #[test]
    fn zero_time_edges_are_ordered_by_their_tie_breakers() {
        // A cluster 1, 2, 3 joined by zero-time edges both ways.
        let edges = [
            (0, 1, 1.0, 5.0),
            (1, 0, 1.0, 5.0),
            (1, 2, 1.0, 0.0),
            (2, 1, 1.0, 0.0),
            (2, 3, 1.0, 0.0),
            (3, 2, 1.0, 0.0),
            (1, 3, 1.0, 0.0),
            (3, 1, 1.0, 0.0),
            (3, 4, 1.0, 2.0),
            (4, 3, 1.0, 2.0),
        ];
        let net = test_line(&[0.0, 1.0, 2.0, 3.0, 4.0], &edges);
        let ch = Ch::build(&net);
        let mut q = ChQuery::new(&ch);
        let d = q.distance(&ch, NodeId(0), NodeId(4)).unwrap();
        assert_eq!(weight_ms(d), 7_000);
        let d = q.distance(&ch, NodeId(1), NodeId(3)).unwrap();
        assert_eq!(weight_ms(d), 0);
        assert!(d > 0, "the tie-breakers still order zero-time paths");
        check_all_pairs(&net, &ch);
    }

    #[test]
    fn tangled_graphs_agree_with_dijkstra_for_all_pairs() {
        for seed in 1..=12 {
            let net = tangle(24 + seed as usize, 40, seed);
            let ch = Ch::build(&net);
            check_all_pairs(&net, &ch);
        }
    }

    #[test]
    fn a_street_grid_agrees_with_dijkstra_for_all_pairs() {
        let net = grid(9, 11);
        assert_eq!(net.node_count(), 99);
        let ch = Ch::build(&net);
        check_all_pairs(&net, &ch);
    }

    #[test]
    fn every_arc_is_listed_as_the_edges_it_unpacks_to_a_chain_of() {
        let net = grid(9, 11);
        let ch = Ch::build(&net);
        let u = ch
            .unpacked
            .as_ref()
            .expect("a small hierarchy's arcs are listed");
        let mut stack = Vec::new();
        for (up, arcs, first) in [(true, &ch.fwd, &u.fwd), (false, &ch.bwd, &u.bwd)] {
            assert_eq!(first.len(), arcs.ab.len() + 1);
            for i in 0..arcs.ab.len() {
                let (mut walked, mut copied) = (Vec::new(), Vec::new());
                unpack_in(&ch.fwd, &ch.bwd, up, i as u32, &mut stack, &mut walked);
                unpack(&ch, up, i as u32, &mut stack, &mut copied);
                assert_eq!(walked, copied);
                // Consecutive edges: the path of one arc.
                for w in copied.windows(2) {
                    assert_eq!(net.edge_to(w[0]), net.edge_tail(w[1]));
                }
            }
        }
        assert!(ch.shortcut_count() > 0, "the test needs shortcuts");
    }

    #[test]
    fn meet_respects_its_bound_and_forgets_old_paths() {
        let net = tangle(40, 60, 99);
        let ch = Ch::build(&net);
        let mut q = ChQuery::new(&ch);
        let mut p = Vec::new();
        // No target space yet.
        assert_eq!(q.meet(&ch, NodeId(0), Weight::MAX), None);
        let (s, t) = (NodeId(3), NodeId(31));
        let d = q.distance(&ch, s, t).unwrap();
        q.target_space(&ch, t);
        assert_eq!(q.meet(&ch, s, d), None, "distance == bound is not below it");
        q.meet_path(&ch, &mut p);
        assert!(p.is_empty());
        assert_eq!(q.meet(&ch, s, d + 1), Some(d));
        q.meet_path(&ch, &mut p);
        assert_eq!(p.iter().map(|&e| net.edge_weight(e)).sum::<Weight>(), d);
        // Another query in between: no stale path.
        q.distance(&ch, t, s);
        q.meet_path(&ch, &mut p);
        assert!(p.is_empty());
        // The target space survives plain queries.
        assert_eq!(q.meet(&ch, s, Weight::MAX), Some(d));
        assert!(q.last_settled() > 0);
        // A node meets itself at zero.
        assert_eq!(q.meet(&ch, t, Weight::MAX), Some(0));
        assert_eq!(q.distance(&ch, t, t), Some(0));
        assert_eq!(q.path(&ch, t, t, &mut p), Some(0));
        assert!(p.is_empty());
    }

    /// Recompute the checksum of a cache buffer after editing it.
    fn reseal(bytes: &mut [u8]) {
        let k = bytes.len() - 8;
        let sum = hash64(&bytes[..k]);
        bytes[k..].copy_from_slice(&sum.to_le_bytes());
    }

    #[test]
    fn cache_round_trip_and_damaged_or_foreign_buffers() {
        let net = tangle(30, 45, 5);
        let ch = Ch::build(&net);
        let bytes = ch.to_bytes(&net);
        assert_eq!(Ch::from_bytes(&bytes, &net), Some(ch.clone()));
        for k in 0..bytes.len() {
            assert!(Ch::from_bytes(&bytes[..k], &net).is_none(), "cut at {k}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Ch::from_bytes(&longer, &net).is_none());
        for k in 0..bytes.len() {
            let mut b = bytes.clone();
            b[k] ^= 0x10;
            assert!(Ch::from_bytes(&b, &net).is_none(), "flipped byte {k}");
        }
        // Same shape, other times: another network.
        let other = tangle(30, 45, 6);
        assert!(Ch::from_bytes(&bytes, &other).is_none());
        // Another version.
        let mut b = bytes.clone();
        b[8] ^= 1;
        reseal(&mut b);
        assert!(Ch::from_bytes(&b, &net).is_none());
    }

    #[test]
    fn forged_buffers_with_a_valid_checksum_are_rejected() {
        let net = tangle(30, 45, 7);
        let ch = Ch::build(&net);
        let bytes = ch.to_bytes(&net);
        let n = ch.node_count();
        let order_at = 44;
        let fwd_at = order_at + 4 * n;
        let mf = ch.fwd.len();
        let heads_at = fwd_at + 4 * (n + 1);
        let w_at = heads_at + 4 * mf;
        let a_at = w_at + 8 * mf;
        let b_at = a_at + 4 * mf;
        let edit = |at: usize, f: &dyn Fn(&mut [u8])| {
            let mut b = bytes.clone();
            f(&mut b[at..]);
            reseal(&mut b);
            Ch::from_bytes(&b, &net)
        };
        // Swapped ranks.
        assert!(edit(order_at, &|b| b[..8].rotate_left(4)).is_none());
        // Any arc weight off by one.
        for i in 0..mf {
            assert!(edit(w_at + 8 * i, &|b| b[0] ^= 1).is_none(), "weight {i}");
        }
        // A shortcut claimed to be an original edge, or made of itself.
        let sc = (0..mf).find(|&i| ch.fwd.ab[i][1] != NONE).unwrap();
        assert!(edit(b_at + 4 * sc, &|b| b[..4]
            .copy_from_slice(&NONE.to_le_bytes()))
        .is_none());
        let me = (sc as u32).to_le_bytes();
        assert!(edit(b_at + 4 * sc, &|b| b[..4].copy_from_slice(&me)).is_none());
        // An arc pointing down.
        assert!(edit(heads_at, &|b| b[..4].copy_from_slice(&0u32.to_le_bytes())).is_none());
        // Untouched, it still loads.
        assert!(edit(0, &|_| {}).is_some());
    }

    #[test]
    fn load_or_build_uses_a_valid_cache_and_replaces_a_bad_one() {
        let dir = std::env::temp_dir().join(format!("patrolsim-ch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("net.patrolsim-ch");
        let _ = std::fs::remove_file(&path);
        let net = tangle(30, 45, 8);
        let ch = Ch::load_or_build(&net, Some(&path));
        assert_eq!(std::fs::read(&path).unwrap(), ch.to_bytes(&net));
        // A cache for another network is rebuilt and overwritten.
        let other = tangle(30, 45, 9);
        let ch2 = Ch::load_or_build(&other, Some(&path));
        assert_eq!(ch2, Ch::build(&other));
        assert_eq!(std::fs::read(&path).unwrap(), ch2.to_bytes(&other));
        // Garbage too.
        std::fs::write(&path, b"garbage").unwrap();
        assert_eq!(Ch::load_or_build(&other, Some(&path)), ch2);
        assert_eq!(std::fs::read(&path).unwrap(), ch2.to_bytes(&other));
        // An unwritable place is no error.
        let nowhere = dir.join("missing-dir").join("x.patrolsim-ch");
        assert_eq!(Ch::load_or_build(&net, Some(&nowhere)), ch);
        assert!(!nowhere.exists());
        assert_eq!(Ch::load_or_build(&net, None), ch);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_same_hierarchy_for_any_thread_count() {
        // More nodes than one parallel chunk of initial priorities.
        let net = grid(40, 40);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| Ch::build(&net));
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| Ch::build(&net));
        assert_eq!(one, four);
        assert_eq!(one.to_bytes(&net), four.to_bytes(&net));
    }
}
