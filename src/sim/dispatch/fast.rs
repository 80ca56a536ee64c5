//! The fast router: contraction hierarchies with buckets.
//!
//! [`FastIndex`] is built once per scenario. Every *fixed source* (a station,
//! a post) and every *loop* (all the nodes of its lap at once) has its
//! forward upward search space in the hierarchy stored in buckets: for each
//! hierarchy node, the sources whose space holds it, sorted by distance.
//!
//! A nearest-unit query grows the call node's backward upward search (a few
//! hundred nodes at most), scanning the buckets of each node as it settles
//! it, in order of distance, and stops as soon as nothing left can beat the
//! best so far:
//!
//! - a station or post entry gives the exact time of its lowest-numbered
//!   available unit (they stand still);
//! - a loop entry gives a lower bound for every unit on that loop (each is
//!   somewhere on the lap). Loops are then visited in order of bound, and a
//!   unit whose time left on its edge plus the bound can still win gets an
//!   exact upward search from its next node, met with the call's space.
//! - units on drives of their own (going home, rejoining) are bounded by
//!   straight-line distance over the network's top straight-line speed, and
//!   met exactly only when that bound can win.
//!
//! An exact meeting reads the *frozen* forward space of the unit's next node
//! (its upward search, settled once at build time and listed by distance)
//! against the call's space: loops' stops always have one, and every node
//! does when they all fit [`FROZEN_ALL_MAX_ENTRIES`] (Porto: 2.9M entries,
//! 59 MB); otherwise a unit on a drive of its own gets a search. Every
//! node's backward space is then frozen too (as much again), and a call's
//! space is a copy of its node's, not a search.
//!
//! When `fixed sources × nodes` fits [`TABLE_MAX_ENTRIES`], a [`Table`] of
//! exact times from every station and post to every node replaces their
//! buckets: a query reads one row for the units standing still, bounds
//! loops and movers by the sources as landmarks, and runs the call's upward
//! search only when one of those can still win. Routes from a station and
//! home to it are walks up the table's trees; a station unit's two are
//! walked at once as it leaves, so that their loads overlap.
//!
//! Nothing here grows with the number of nodes per query; buffers are reused.

use super::{first_taking, Cost, Fixed, View, NO_START};
use crate::network::{weight_ms, weight_s, EdgeId, Network, NodeId, Weight, TIE_BITS};
use crate::routing::ch::{
    frozen_space, frozen_target_space, upward_space, Ch, ChQuery, FixedTarget, Frozen,
};
use crate::routing::{Direction, Step, WeightSearch};
use crate::sim::patrol::LoopPlan;
use crate::sim::units::{Loc, UnitState};
use rayon::prelude::*;

/// What a bucket entry stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Src {
    Station(u32),
    Post(u32),
    Loop(u32),
}

/// Per-scenario preprocessing for the fast router.
pub struct FastIndex {
    /// The hierarchy.
    pub ch: Ch,
    srcs: Vec<Src>,
    /// Where each node's bucket starts in `entries`, by rank in the
    /// hierarchy ([`Ch::rank_of`]): the buckets of the top nodes, which
    /// every query scans, sit together.
    first: Vec<u32>,
    /// `(source, weight from the source to the bucket's node)`, by rank then weight.
    entries: Vec<(u32, Weight)>,
    /// Seconds per straight-line metre that every drive takes at least (0:
    /// no bound), a little under the inverse of the fastest edge's speed.
    lb_s_per_m: f64,
    loops: usize,
    /// Each loop's bounding box `[x0, y0, x1, y1]` (metres): every unit on
    /// the loop is within it, so its straight-line distance bounds theirs.
    loop_box: Vec<[f64; 4]>,
    /// Each station's backward space, for the drive home after a call.
    homes: Vec<FixedTarget>,
    /// Each loop's waypoints' backward spaces, for rejoining the loop.
    waypoints: Vec<Vec<FixedTarget>>,
    /// Exact times from the fixed sources, when the city is small enough.
    table: Option<Table>,
    /// Each loop's stops, one per lap edge: the edge's head, where a unit
    /// on the edge goes next.
    stops: Vec<Vec<Stop>>,
    /// The frozen forward spaces ([`frozen_space`]) of the stops' nodes
    /// (none beyond [`FROZEN_MAX_ENTRIES`]), or of every node.
    spaces: FrozenSpaces,
    /// Every node has its frozen space, space `v` for node `v` (within
    /// [`FROZEN_ALL_MAX_ENTRIES`]): units on drives of their own are met
    /// with them too.
    frozen_all: bool,
    /// Every node's frozen backward space, node `v`'s `v`-th, when they fit
    /// too: a call's space is then copied, not searched.
    targets: Option<FrozenSpaces>,
}

/// Frozen spaces of some nodes, one after another: space `k` is
/// `rank[first[k]..first[k + 1]]`, with the weights and each entry's way
/// back ([`Frozen::up`], for the path of a meeting) beside.
#[derive(Default)]
struct FrozenSpaces {
    first: Vec<u32>,
    rank: Vec<u32>,
    w: Vec<Weight>,
    up: Vec<(u32, u32)>,
}

impl FrozenSpaces {
    /// Space `k`: its ranks, weights and ways back.
    #[inline]
    fn get(&self, k: usize) -> (&[u32], &[Weight], &[(u32, u32)]) {
        let (i, j) = (self.first[k] as usize, self.first[k + 1] as usize);
        (&self.rank[i..j], &self.w[i..j], &self.up[i..j])
    }

    fn is_empty(&self) -> bool {
        self.rank.is_empty()
    }
}

/// The frozen forward spaces of `nodes`, in that order, a few hundred at a
/// time; `None` once they are more than `max_entries` (and at once when a
/// sample of them says they would be).
fn frozen_spaces(
    ch: &Ch,
    nodes: &[u32],
    max_entries: usize,
    dir: Direction,
) -> Option<FrozenSpaces> {
    let space = |v: u32| match dir {
        Direction::Forward => frozen_space(ch, NodeId(v)),
        Direction::Backward => frozen_target_space(ch, NodeId(v)),
    };
    let step = (nodes.len() / 256).max(1);
    let sample: Vec<u32> = nodes.iter().step_by(step).copied().collect();
    let sampled: usize = sample.par_iter().map(|&v| space(v).len()).sum();
    if sampled.saturating_mul(nodes.len()) > max_entries.saturating_mul(sample.len().max(1)) {
        return None;
    }
    let mut out = FrozenSpaces {
        first: vec![0],
        ..FrozenSpaces::default()
    };
    for chunk in nodes.chunks(512) {
        let spaces: Vec<Vec<Frozen>> = chunk.par_iter().map(|&h| space(h)).collect();
        for f in &spaces {
            out.rank.extend(f.iter().map(|x| x.rank));
            out.w.extend(f.iter().map(|x| x.w));
            out.up.extend(f.iter().map(|x| x.up));
            out.first.push(out.rank.len() as u32);
        }
        if out.rank.len() > max_entries {
            return None;
        }
    }
    Some(out)
}

/// The head of a lap edge, for the units of the loop driving it: its node,
/// position (metres) and frozen space.
#[derive(Clone, Copy, Debug)]
struct Stop {
    xy: [f64; 2],
    node: NodeId,
    space: u32,
}

/// No frozen space: the unit is met by a search.
const NO_SPACE: u32 = u32::MAX;

/// Most entries of frozen spaces of loops' stops kept (20 bytes each: at
/// most 10 MiB); beyond it, loop units are met by searches. Porto's loops
/// need 0.4M; the synthetic 276k-node city's 0.8M would take memory it
/// has not got to spare.
pub const FROZEN_MAX_ENTRIES: usize = 1 << 19;

/// Most entries of frozen spaces of every node kept (20 bytes each: at
/// most 80 MiB); beyond it, only loops' stops have them. Porto's 54,754
/// nodes need 2.9M; the synthetic 276k-node city's would not fit.
pub const FROZEN_ALL_MAX_ENTRIES: usize = 1 << 22;

/// Most `fixed sources × nodes` entries a [`FastIndex`] keeps in its table
/// (4 bytes of time each, and 1 byte or 4 of tree, and as much again per
/// station for its way home: at most 160 MiB). Beyond it, fixed sources go
/// into buckets too.
pub const TABLE_MAX_ENTRIES: usize = 1 << 24;

/// Exact times from every fixed source (station, post) to every node, with
/// the shortest-path trees behind them: for units that stand still, the
/// nearest-unit query becomes a row lookup, and their route a tree walk.
/// Times also give lower bounds for everyone else (the fixed sources act as
/// landmarks): `time(x → c) ≥ time(s → c) − time(s → x)`.
struct Table {
    /// `srcs` indices of the fixed sources, in table order.
    src: Vec<u32>,
    /// `ms[v * k + j]`: whole milliseconds from fixed source `j` to node `v`
    /// (`u32::MAX`: unreachable), `k = src.len()`.
    ms: Vec<u32>,
    /// `pred`, tree `j`: the tree edge into each node from source `j`, as
    /// one of the node's incoming slots (`net.bwd`); none at the source and
    /// where unreachable.
    pred: Trees,
    /// `home`, tree `i`: the tree edge out of each node towards station `i`,
    /// as one of the node's outgoing slots (`net.fwd`); the table's first
    /// sources are the stations, in order.
    home: Trees,
    /// `far[l * k + j]`: the longest time from source `j` to a node of loop
    /// `l`'s lap (`u32::MAX` when any is unreachable), for loop bounds.
    far: Vec<u32>,
    /// Every time is below 2^31 ms: bounds take [`landmark_ms_small`].
    small: bool,
}

/// Most tree entries kept as links (8 bytes) rather than bare slot
/// positions (1 byte): beyond it, memory matters more than walking speed.
const LINK_MAX_ENTRIES: usize = 1 << 23;

/// A tree edge at a node, as built: the edge, and the place of the node at
/// its other end (split into [`Trees::Links`]'s two arrays).
#[inline]
fn link(edge: u32, place: u32) -> u64 {
    u64::from(place) << 32 | u64::from(edge)
}

/// No tree edge in a tree of [`link`]s (the root, or unreachable).
const NO_LINK: u64 = u64::MAX;

/// No tree edge, in [`Trees::Links`]'s `next`.
const NO_PLACE: u32 = u32::MAX;

/// No tree edge in a tree of slot positions.
const NO_SLOT: u8 = u8::MAX;

/// The position along a Hilbert curve of order 16 of the point `(x, y)`
/// (each below `2^16`): points near each other on the curve are near in
/// the plane.
fn hilbert(mut x: u32, mut y: u32) -> u64 {
    const N: u32 = 1 << 16;
    let mut d = 0u64;
    let mut s = N / 2;
    while s > 0 {
        let (rx, ry) = (u32::from(x & s > 0), u32::from(y & s > 0));
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                (x, y) = (N - 1 - x, N - 1 - y);
            }
            (x, y) = (y, x);
        }
        s /= 2;
    }
    d
}

/// The nodes in the order of a Hilbert curve through their positions (ties
/// by index): `order[i]` is the `i`-th node, `at[v]` the place of node `v`.
/// Consecutive nodes of a route then mostly sit in the same few cache lines.
fn spatial_order(net: &Network) -> (Vec<u32>, Vec<u32>) {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &net.xy {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let cell = |k: usize, x: f64| {
        let span = hi[k] - lo[k];
        if span > 0.0 {
            ((x - lo[k]) / span * 65535.0).clamp(0.0, 65535.0) as u32
        } else {
            0
        }
    };
    let mut order: Vec<u32> = (0..net.node_count() as u32).collect();
    order.sort_by_cached_key(|&v| {
        let p = net.xy[v as usize];
        (hilbert(cell(0, p[0]), cell(1, p[1])), v)
    });
    let mut at = vec![0u32; order.len()];
    for (i, &v) in order.iter().enumerate() {
        at[v as usize] = i as u32;
    }
    (order, at)
}

/// The place of each node in a spatial order of the nodes (`at` of
/// [`spatial_order`]), shared by the trees laid out in it.
type Layout = std::sync::Arc<Vec<u32>>;

/// Shortest-path trees of one direction, `n` entries per tree.
enum Trees {
    /// As links, when they fit [`LINK_MAX_ENTRIES`], indexed by place in a
    /// spatial order of the nodes ([`Layout`]): `next`, the place of the
    /// node at the tree edge's other end ([`NO_PLACE`]: none), and `edge`,
    /// the edge. A walk's loads stay close together, and each waits only
    /// for the one before in `next` (4 bytes an entry); the edges load
    /// beside that chain, not in it.
    Links {
        next: Vec<u32>,
        edge: Vec<u32>,
        layout: Layout,
    },
    /// As bare slot positions, indexed by node.
    Slots(Vec<u8>),
}

impl Trees {
    /// The trees from (`dir` forward) or to (backward) each of `roots`,
    /// as links in `layout` when there is one, else as slots; with `times`, also each root's whole
    /// milliseconds to every node `v`, written to `times[v * k + j]` for
    /// root `j` of `k` (`u32::MAX`: unreachable).
    fn build(
        net: &Network,
        roots: &[NodeId],
        dir: Direction,
        layout: Option<&Layout>,
        times: Option<&mut [u32]>,
    ) -> Trees {
        if let Some(layout) = layout {
            let at = &**layout;
            let t = build_trees(
                net,
                roots,
                dir,
                (
                    NO_LINK,
                    |v| at[v],
                    |_, e, other| link(e, at[other as usize]),
                ),
                times,
            );
            let next = t.par_iter().map(|&l| (l >> 32) as u32).collect();
            let edge = t.par_iter().map(|&l| l as u32).collect();
            Trees::Links {
                next,
                edge,
                layout: layout.clone(),
            }
        } else {
            let t = build_trees(
                net,
                roots,
                dir,
                (NO_SLOT, |v| v as u32, |i, _, _| i as u8),
                times,
            );
            Trees::Slots(t)
        }
    }

    /// The path of tree `i` to (`dir` forward: the tree holds each node's
    /// incoming edge) or from (backward: outgoing) node `v`, in driving
    /// order, into `out` (cleared first).
    fn walk(&self, net: &Network, i: usize, dir: Direction, v: NodeId, out: &mut Vec<EdgeId>) {
        out.clear();
        let n = net.node_count();
        let csr = match dir {
            Direction::Forward => &net.bwd,
            Direction::Backward => &net.fwd,
        };
        match self {
            Trees::Links { next, edge, layout } => {
                let (next, edge) = (&next[i * n..(i + 1) * n], &edge[i * n..(i + 1) * n]);
                let mut p = layout[v.idx()];
                loop {
                    let q = next[p as usize];
                    if q == NO_PLACE {
                        break;
                    }
                    let e = edge[p as usize];
                    out.push(EdgeId(e));
                    // Its weight, whose milliseconds the route reads next,
                    // loads meanwhile.
                    crate::routing::prefetch(&net.fwd.w[e as usize]);
                    p = q;
                }
            }
            Trees::Slots(t) => {
                let tree = &t[i * n..(i + 1) * n];
                let mut x = v.0;
                while tree[x as usize] != NO_SLOT {
                    let slot = csr.first[x as usize] as usize + tree[x as usize] as usize;
                    out.push(EdgeId(csr.edge[slot]));
                    crate::routing::prefetch(&net.fwd.w[csr.edge[slot] as usize]);
                    x = csr.head[slot];
                }
            }
        }
        if dir == Direction::Forward {
            out.reverse();
        }
    }
}

impl Trees {
    /// Walk tree `i` of `self` (forward: to `v`) and tree `k` of `home`
    /// (backward: from `v`) at once, as two independent chains of loads
    /// whose waits overlap; as [`Trees::walk`] of each.
    #[allow(clippy::too_many_arguments)]
    fn walk_both(
        &self,
        home: &Trees,
        net: &Network,
        i: usize,
        k: usize,
        v: NodeId,
        out: &mut Vec<EdgeId>,
        back: &mut Vec<EdgeId>,
    ) {
        match (self, home) {
            (
                Trees::Links { next, edge, layout },
                Trees::Links {
                    next: hn, edge: he, ..
                },
            ) => {
                out.clear();
                back.clear();
                let n = net.node_count();
                let (na, ea) = (&next[i * n..(i + 1) * n], &edge[i * n..(i + 1) * n]);
                let (nb, eb) = (&hn[k * n..(k + 1) * n], &he[k * n..(k + 1) * n]);
                let (mut pa, mut pb) = (layout[v.idx()], layout[v.idx()]);
                let (mut qa, mut qb) = (na[pa as usize], nb[pb as usize]);
                while qa != NO_PLACE && qb != NO_PLACE {
                    let e = ea[pa as usize];
                    out.push(EdgeId(e));
                    back.push(EdgeId(eb[pb as usize]));
                    crate::routing::prefetch(&net.fwd.w[e as usize]);
                    (pa, pb) = (qa, qb);
                    (qa, qb) = (na[pa as usize], nb[pb as usize]);
                }
                while qa != NO_PLACE {
                    let e = ea[pa as usize];
                    out.push(EdgeId(e));
                    crate::routing::prefetch(&net.fwd.w[e as usize]);
                    pa = qa;
                    qa = na[pa as usize];
                }
                while qb != NO_PLACE {
                    back.push(EdgeId(eb[pb as usize]));
                    pb = qb;
                    qb = nb[pb as usize];
                }
                out.reverse();
            }
            _ => {
                self.walk(net, i, Direction::Forward, v, out);
                home.walk(net, k, Direction::Backward, v, back);
            }
        }
    }
}

/// One Dijkstra per root, its tree written in place: with `(none, place,
/// entry)` as `shape`, node `v`'s entry is at `place(v)`, made by
/// `entry(position among v's slots, edge, node at the other end)`, and `none`
/// where there is no tree edge. With `times`, see [`Trees::build`]. Roots
/// go a few at a time, so that building needs little more memory than the
/// trees and times themselves.
fn build_trees<T: Copy + Send + Sync>(
    net: &Network,
    roots: &[NodeId],
    dir: Direction,
    shape: (
        T,
        impl Fn(usize) -> u32 + Sync,
        impl Fn(usize, u32, u32) -> T + Sync,
    ),
    mut times: Option<&mut [u32]>,
) -> Vec<T> {
    let (none, place, entry) = shape;
    let (n, k) = (net.node_count(), roots.len());
    // The tree edge at `v` is one of `v`'s slots in the other direction.
    let csr = match dir {
        Direction::Forward => &net.bwd,
        Direction::Backward => &net.fwd,
    };
    const BATCH: usize = 16;
    let mut trees = vec![none; k * n];
    for (b, chunk) in trees.chunks_mut(BATCH * n).enumerate() {
        let want = times.is_some();
        let batch: Vec<Vec<u32>> = chunk
            .par_chunks_mut(n)
            .zip(&roots[b * BATCH..])
            .map_init(
                || WeightSearch::new(n),
                |search, (tree, &root)| {
                    search.start(dir);
                    search.add_source(root, 0);
                    search.run(net, |_, _| Step::Continue);
                    for v in 0..n {
                        let e = search.pred_raw(NodeId(v as u32));
                        let r = csr.range(v as u32);
                        if let Some(i) = csr.edge[r.clone()].iter().position(|&x| x == e) {
                            tree[place(v) as usize] = entry(i, e, csr.head[r.start + i]);
                        }
                    }
                    if !want {
                        return Vec::new();
                    }
                    (0..n)
                        .map(|v| match search.settled_time(NodeId(v as u32)) {
                            Some(w) => weight_ms(w).min(u32::MAX as u64 - 1) as u32,
                            None => u32::MAX,
                        })
                        .collect()
                },
            )
            .collect();
        if let Some(ms) = times.as_deref_mut() {
            for (i, t) in batch.iter().enumerate() {
                let j = b * BATCH + i;
                for (v, &x) in t.iter().enumerate() {
                    ms[v * k + j] = x;
                }
            }
        }
    }
    trees
}

/// A whole number of milliseconds past which no time beats `total_s`:
/// `weight_s` of more is surely above it (a millisecond's margin for the
/// division's rounding).
#[inline]
fn ms_beyond(total_s: f64) -> u32 {
    // (Truncated, and two more: past `total_s * 1000 + 1`.)
    (total_s * 1000.0).min(f64::from(u32::MAX - 3)) as u32 + 2
}

/// The lower bound in ms on a drive from a node with table row `from` to a
/// node with row `to`: the best landmark.
#[inline]
fn landmark_ms(to: &[u32], from: &[u32]) -> u32 {
    to.iter()
        .zip(from)
        .map(|(&t, &f)| {
            if t == u32::MAX || f == u32::MAX {
                0
            } else {
                t.saturating_sub(f)
            }
        })
        .max()
        .unwrap_or(0)
}

/// [`landmark_ms`] of rows whose times are all below 2^31 ms (none
/// unreachable): differences as `i32`, which the compiler turns into
/// vector instructions.
#[inline]
fn landmark_ms_small(to: &[u32], from: &[u32]) -> u32 {
    to.iter()
        .zip(from)
        .map(|(&t, &f)| t as i32 - f as i32)
        .max()
        .unwrap_or(0)
        .max(0) as u32
}

impl Table {
    /// One Dijkstra per fixed source, and one backward per station (the
    /// first `stations` sources); `None` when too big.
    fn build(
        net: &Network,
        nodes: &[(u32, NodeId)],
        stations: usize,
        loops: &[LoopPlan],
        max_entries: usize,
    ) -> Option<Table> {
        let (n, k) = (net.node_count(), nodes.len());
        let degree = |c: &crate::network::Csr| (0..n as u32).map(|v| c.range(v).len()).max();
        let too_wide = degree(&net.fwd).max(degree(&net.bwd)).unwrap_or(0) >= u8::MAX as usize;
        if k == 0 || k.saturating_mul(n) > max_entries || too_wide {
            return None;
        }
        let roots: Vec<NodeId> = nodes.iter().map(|&(_, v)| v).collect();
        let links = (k + stations).saturating_mul(n) <= LINK_MAX_ENTRIES;
        let layout = links.then(|| Layout::new(spatial_order(net).1));
        let mut ms = vec![u32::MAX; n * k];
        let pred = Trees::build(
            net,
            &roots,
            Direction::Forward,
            layout.as_ref(),
            Some(&mut ms),
        );
        let home = Trees::build(
            net,
            &roots[..stations],
            Direction::Backward,
            layout.as_ref(),
            None,
        );
        let mut far = vec![0u32; loops.len() * k];
        for (l, plan) in loops.iter().enumerate() {
            let row = &mut far[l * k..(l + 1) * k];
            for &e in &plan.lap_edges {
                let h = net.fwd.head[e.idx()] as usize;
                for (f, &x) in row.iter_mut().zip(&ms[h * k..(h + 1) * k]) {
                    *f = (*f).max(x);
                }
            }
        }
        let small = ms.iter().all(|&x| x < 1 << 31);
        Some(Table {
            src: nodes.iter().map(|&(s, _)| s).collect(),
            ms,
            pred,
            home,
            far,
            small,
        })
    }

    #[inline]
    fn row(&self, v: NodeId) -> &[u32] {
        let k = self.src.len();
        &self.ms[v.idx() * k..(v.idx() + 1) * k]
    }

    /// Ask for the row of `v` to be brought into the cache.
    #[inline]
    fn prefetch_row(&self, v: NodeId) {
        crate::routing::prefetch_all(self.row(v));
    }

    /// Stations with a tree home: the first sources.
    fn stations_with_homes(&self) -> usize {
        match &self.home {
            Trees::Links { next, layout, .. } => next.len() / layout.len().max(1),
            Trees::Slots(t) => t.len() / (self.ms.len() / self.src.len()).max(1),
        }
    }

    #[inline]
    fn far(&self, l: usize) -> &[u32] {
        let k = self.src.len();
        &self.far[l * k..(l + 1) * k]
    }

    /// [`landmark_ms`] of two rows (of `ms` or `far`).
    #[inline]
    fn landmark(&self, to: &[u32], from: &[u32]) -> u32 {
        if self.small {
            landmark_ms_small(to, from)
        } else {
            landmark_ms(to, from)
        }
    }

    /// The route from fixed source `j` to node `v`.
    fn walk(&self, net: &Network, j: usize, v: NodeId, out: &mut Vec<EdgeId>) {
        self.pred.walk(net, j, Direction::Forward, v, out);
    }

    /// [`Table::walk`] to `v` and [`Table::walk_home`] from `v` at once,
    /// for a unit of station `j` (the `j`-th source) that will drive home.
    fn walk_there_and_home(
        &self,
        net: &Network,
        j: usize,
        v: NodeId,
        out: &mut Vec<EdgeId>,
        back: &mut Vec<EdgeId>,
    ) {
        self.pred.walk_both(&self.home, net, j, j, v, out, back);
    }

    /// The route from node `v` home to station `i`.
    fn walk_home(&self, net: &Network, i: usize, v: NodeId, out: &mut Vec<EdgeId>) {
        self.home.walk(net, i, Direction::Backward, v, out);
    }
}

/// Straight-line distance between two points, metres.
#[inline]
fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Highest straight-line speed between the ends of any edge: straight-line
/// distance over it never overestimates a drive.
fn straight_line_speed(net: &Network) -> f64 {
    let mut v: f64 = 0.0;
    for e in 0..net.edge_count() {
        let (a, b) = (
            net.xy[net.edge_from[e] as usize],
            net.xy[net.fwd.head[e] as usize],
        );
        let d = metres(a, b);
        let t = net.fwd.time_s[e];
        if d > 0.0 {
            v = v.max(if t > 0.0 { d / t } else { f64::INFINITY });
        }
    }
    v
}

impl FastIndex {
    /// A lower bound on the time to drive a straight-line distance `d_m`:
    /// a little under it, for rounding.
    #[inline]
    fn line_s(&self, d_m: f64) -> f64 {
        d_m * self.lb_s_per_m - 1e-6
    }

    /// Ask for what a query at `v` reads first (its position, its table
    /// row) to be brought into the cache.
    pub fn prefetch(&self, net: &Network, v: NodeId) {
        crate::routing::prefetch(&net.xy[v.idx()]);
        if let Some(tab) = &self.table {
            tab.prefetch_row(v);
        }
    }

    /// Buckets for the stations at `station_nodes` and the loops `loops`, over
    /// `ch`, with a table of exact times when it fits [`TABLE_MAX_ENTRIES`].
    pub fn new(net: &Network, ch: Ch, station_nodes: &[NodeId], loops: &[LoopPlan]) -> FastIndex {
        FastIndex::with_table_limit(net, ch, station_nodes, loops, TABLE_MAX_ENTRIES)
    }

    /// As [`FastIndex::new`], with a table only when `fixed sources × nodes`
    /// is at most `table_max_entries` (0: never; the answers are the same).
    pub fn with_table_limit(
        net: &Network,
        ch: Ch,
        station_nodes: &[NodeId],
        loops: &[LoopPlan],
        table_max_entries: usize,
    ) -> FastIndex {
        FastIndex::with_limits(
            net,
            ch,
            station_nodes,
            loops,
            table_max_entries,
            FROZEN_ALL_MAX_ENTRIES,
        )
    }

    /// As [`FastIndex::with_table_limit`], with every node's frozen space
    /// only when they are at most `frozen_all_max_entries` in all (0:
    /// never; units on drives of their own are then searched, with the
    /// same answers).
    pub fn with_limits(
        net: &Network,
        ch: Ch,
        station_nodes: &[NodeId],
        loops: &[LoopPlan],
        table_max_entries: usize,
        frozen_all_max_entries: usize,
    ) -> FastIndex {
        let mut srcs: Vec<Src> = (0..station_nodes.len() as u32).map(Src::Station).collect();
        for (l, plan) in loops.iter().enumerate() {
            srcs.push(if plan.is_post() {
                Src::Post(l as u32)
            } else {
                Src::Loop(l as u32)
            });
        }
        let fixed_nodes: Vec<(u32, NodeId)> = srcs
            .iter()
            .enumerate()
            .filter_map(|(j, &s)| match s {
                Src::Station(i) => Some((j as u32, station_nodes[i as usize])),
                Src::Post(l) => Some((j as u32, loops[l as usize].nodes[0])),
                Src::Loop(_) => None,
            })
            .collect();
        let table = Table::build(
            net,
            &fixed_nodes,
            station_nodes.len(),
            loops,
            table_max_entries,
        );
        let spaces: Vec<Vec<(u32, Weight)>> = srcs
            .par_iter()
            .map(|&s| match s {
                // Sources in the table need no buckets.
                Src::Station(_) | Src::Post(_) if table.is_some() => Vec::new(),
                Src::Station(i) => upward_space(&ch, station_nodes[i as usize], Direction::Forward),
                Src::Post(l) => upward_space(&ch, loops[l as usize].nodes[0], Direction::Forward),
                Src::Loop(l) => {
                    // Every node of the lap: the heads of its edges.
                    let plan = &loops[l as usize];
                    let mut all: Vec<(u32, Weight)> = Vec::new();
                    let mut heads: Vec<u32> = plan
                        .lap_edges
                        .iter()
                        .map(|&e| net.fwd.head[e.idx()])
                        .collect();
                    heads.sort_unstable();
                    heads.dedup();
                    for h in heads {
                        all.extend(upward_space(&ch, NodeId(h), Direction::Forward));
                    }
                    all.sort_unstable();
                    all.dedup_by_key(|x| x.0);
                    all
                }
            })
            .collect();
        let n = net.node_count();
        let mut tagged: Vec<(u32, Weight, u32)> = Vec::new();
        for (s, space) in spaces.iter().enumerate() {
            tagged.extend(
                space
                    .iter()
                    .map(|&(v, d)| (ch.rank_of(NodeId(v)), d, s as u32)),
            );
        }
        tagged.sort_unstable();
        let mut first = vec![0u32; n + 1];
        for &(v, _, _) in &tagged {
            first[v as usize + 1] += 1;
        }
        for v in 0..n {
            first[v + 1] += first[v];
        }
        // The drive home: by the table's trees, else by the hierarchy.
        let homes = if table.is_some() {
            Vec::new()
        } else {
            station_nodes
                .par_iter()
                .map(|&s| FixedTarget::new(&ch, s))
                .collect()
        };
        let waypoints = loops
            .par_iter()
            .map(|plan| {
                plan.nodes
                    .iter()
                    .map(|&w| FixedTarget::new(&ch, w))
                    .collect()
            })
            .collect();
        // The stops of every loop, and one frozen space per distinct node;
        // or one per node of the network when they all fit, so that units
        // on drives of their own are met without searches too.
        let mut heads: Vec<u32> = loops
            .iter()
            .flat_map(|p| p.lap_edges.iter().map(|&e| net.fwd.head[e.idx()]))
            .collect();
        heads.sort_unstable();
        heads.dedup();
        let every: Vec<u32> = (0..n as u32).collect();
        let (frozen_all, spaces) =
            match frozen_spaces(&ch, &every, frozen_all_max_entries, Direction::Forward) {
                Some(s) if n > 0 => (true, s),
                _ => (
                    false,
                    frozen_spaces(&ch, &heads, FROZEN_MAX_ENTRIES, Direction::Forward)
                        .unwrap_or_default(),
                ),
            };
        let frozen = !spaces.is_empty();
        // And every node's backward space, for a call's, when they fit too.
        let targets = if frozen_all {
            frozen_spaces(&ch, &every, frozen_all_max_entries, Direction::Backward)
        } else {
            None
        };
        let stops = loops
            .iter()
            .map(|plan| {
                plan.lap_edges
                    .iter()
                    .map(|&e| {
                        let h = net.fwd.head[e.idx()];
                        Stop {
                            xy: net.xy[h as usize],
                            node: NodeId(h),
                            space: match heads.binary_search(&h) {
                                _ if frozen_all => h,
                                Ok(i) if frozen => i as u32,
                                _ => NO_SPACE,
                            },
                        }
                    })
                    .collect()
            })
            .collect();
        FastIndex {
            stops,
            frozen_all,
            targets,
            spaces,
            homes,
            waypoints,
            ch,
            srcs,
            first,
            entries: tagged.into_iter().map(|(_, d, s)| (s, d)).collect(),
            lb_s_per_m: match straight_line_speed(net) {
                v if v > 0.0 => (1.0 - 1e-9) / v,
                _ => 0.0,
            },
            loops: loops.len(),
            loop_box: loops
                .iter()
                .map(|plan| {
                    let mut b = [
                        f64::INFINITY,
                        f64::INFINITY,
                        f64::NEG_INFINITY,
                        f64::NEG_INFINITY,
                    ];
                    for &e in &plan.lap_edges {
                        for v in [net.edge_from[e.idx()], net.fwd.head[e.idx()]] {
                            let [x, y] = net.xy[v as usize];
                            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                        }
                    }
                    b
                })
                .collect(),
            table,
        }
    }

    /// As [`FastIndex::with_table_limit`], building the hierarchy in memory (no cache).
    pub fn in_memory(
        net: &Network,
        station_nodes: &[NodeId],
        loops: &[LoopPlan],
        table_max_entries: usize,
    ) -> FastIndex {
        FastIndex::in_memory_with_limits(
            net,
            station_nodes,
            loops,
            table_max_entries,
            FROZEN_ALL_MAX_ENTRIES,
        )
    }

    /// As [`FastIndex::with_limits`], building the hierarchy in memory (no cache).
    pub fn in_memory_with_limits(
        net: &Network,
        station_nodes: &[NodeId],
        loops: &[LoopPlan],
        table_max_entries: usize,
        frozen_all_max_entries: usize,
    ) -> FastIndex {
        let ch = Ch::load_or_build(net, None);
        FastIndex::with_limits(
            net,
            ch,
            station_nodes,
            loops,
            table_max_entries,
            frozen_all_max_entries,
        )
    }

    /// Whether every node has its frozen space ([`FROZEN_ALL_MAX_ENTRIES`]).
    pub fn frozen_everywhere(&self) -> bool {
        self.frozen_all
    }

    /// Back the index's large arrays with huge pages ([`crate::pages`]).
    pub fn prefer_huge_pages(&self) {
        use crate::pages::prefer_huge;
        self.ch.prefer_huge_pages();
        prefer_huge(&self.first);
        prefer_huge(&self.entries);
        for spaces in std::iter::once(&self.spaces).chain(&self.targets) {
            prefer_huge(&spaces.rank);
            prefer_huge(&spaces.w);
        }
        if let Some(tab) = &self.table {
            prefer_huge(&tab.ms);
            prefer_huge(&tab.far);
            for trees in [&tab.pred, &tab.home] {
                match trees {
                    Trees::Links { next, edge, layout } => {
                        prefer_huge(next);
                        prefer_huge(edge);
                        prefer_huge(layout);
                    }
                    Trees::Slots(t) => prefer_huge(t),
                }
            }
        }
    }

    /// The bucket of the node of rank `v`.
    #[inline]
    fn bucket(&self, v: u32) -> &[(u32, Weight)] {
        &self.entries[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }

    /// Bucket entries in all (a size measure).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Fixed sources (stations, posts) in the table of exact times; 0 when
    /// the city is too big for one ([`TABLE_MAX_ENTRIES`]).
    pub fn table_sources(&self) -> usize {
        self.table.as_ref().map_or(0, |t| t.src.len())
    }
}

/// The largest weight `d` for which a unit `rem_s` from its next node could
/// still tie `best`, plus one millisecond: a safe search bound.
fn bound(best: &Option<Cost>, rem_s: f64) -> Weight {
    match best {
        None => Weight::MAX,
        Some(b) => {
            // (The cast truncates, which is the floor from 0 up, and
            // takes what is below 0 to 0.)
            let ms = ((b.total_s - rem_s) * 1000.0) as u64 + 2;
            ms.checked_shl(TIE_BITS).unwrap_or(Weight::MAX)
        }
    }
}

/// Query state of the fast router.
pub(super) struct Fast<'a> {
    ix: &'a FastIndex,
    q: ChQuery,
    /// The call of the last query, and whether `q` holds its target space.
    target: NodeId,
    space: bool,
    /// Where the last winner's path can be had.
    won: Won,
    loop_lb: Vec<Weight>,
    loop_gen: Vec<u32>,
    gen: u32,
    touched: Vec<(Weight, u32)>,
    cands: Vec<Cand>,
    /// Units to weigh as candidates, `(unit, loop bound s)`, then where each
    /// is (see [`Fast::gather`]).
    units: Vec<(u32, f64)>,
    /// Where each of `units` that takes the call is.
    near: Vec<Near>,
}

/// Where a candidate unit is, as found before its data is read (a
/// unit's data loads while the next is found).
#[derive(Clone, Copy)]
struct Near {
    unit: u32,
    loop_lb_s: f64,
    rem_s: f64,
    at: NearAt,
}

/// Where [`Fast::gather`] found a candidate unit.
#[derive(Clone, Copy)]
enum NearAt {
    /// On loop `.0`, at or heading for stop `.1` of its list.
    Stop(u32, u32),
    /// At or heading for this node.
    Node(NodeId),
    /// On this edge, heading for its head.
    Edge(EdgeId),
}

/// Where the path of a query's winner comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Won {
    /// A search from the winner to the target space (a bucket entry, or a
    /// search whose labels are gone).
    Search,
    /// The tree of table source `j`.
    Table(usize),
    /// The frozen space `k` of the winner's stop, which met the target
    /// space at its entry `meet`.
    Frozen { k: u32, meet: u32 },
    /// The labels of the winner's own search, which met the target space
    /// at rank `meet`: no other search ran after it.
    Labels { meet: u32 },
}

/// A unit on a loop or on the move that may win, with a lower bound on
/// its time to the call, seconds.
#[derive(Clone, Copy, Debug)]
struct Cand {
    lb: f64,
    unit: u32,
    x: NodeId,
    rem_s: f64,
    /// The frozen space of `x`, or [`NO_SPACE`].
    space: u32,
}

impl<'a> Fast<'a> {
    pub(super) fn new(ix: &'a FastIndex) -> Fast<'a> {
        Fast {
            q: ChQuery::new(&ix.ch),
            target: NodeId(0),
            space: false,
            won: Won::Search,
            loop_lb: vec![0; ix.loops],
            loop_gen: vec![0; ix.loops],
            gen: 0,
            touched: Vec::new(),
            cands: Vec::new(),
            units: Vec::new(),
            near: Vec::new(),
            ix,
        }
    }

    /// See [`FastIndex::prefetch`].
    pub(super) fn prefetch(&self, net: &Network, v: NodeId) {
        self.ix.prefetch(net, v);
    }

    /// Make sure `q` holds the call's target space, enough to find any unit
    /// that beats `best`; nodes it settled.
    fn ensure_space(&mut self, best: &Option<Cost>) -> usize {
        if self.space {
            return 0;
        }
        self.space = true;
        let limit = bound(best, 0.0);
        match &self.ix.targets {
            Some(ts) => {
                let (ranks, ws, _) = ts.get(self.target.idx());
                self.q
                    .fill_space_frozen(&self.ix.ch, self.target, ranks, ws, limit);
            }
            _ => self.q.fill_space(&self.ix.ch, self.target, limit),
        }
        self.q.last_settled()
    }

    /// Hand `q` the ways back of the call's frozen target space, for a
    /// meeting's path (when target spaces are frozen).
    fn target_ups(&mut self) {
        if let Some(ts) = &self.ix.targets {
            self.q.frozen_target_ups(ts.get(self.target.idx()).2);
        }
    }

    /// The cheapest available unit of fixed source `srcs[s]` that takes `priority`.
    #[inline]
    fn fixed_unit(&self, v: &View<'_>, s: u32, priority: u8) -> Option<u32> {
        match self.ix.srcs[s as usize] {
            Src::Station(i) => first_taking(&v.avail.idle[i as usize], v.units, priority),
            Src::Post(l) => first_taking(&v.avail.posted[l as usize], v.units, priority),
            Src::Loop(_) => None,
        }
    }

    /// Grow the call's target space in order of distance, scanning the
    /// buckets of each node for fixed sources and loop bounds, until no node
    /// left can lead to a unit that beats the best so far.
    fn scan_buckets(&mut self, v: &View<'_>, priority: u8, best: &mut Option<Cost>) -> usize {
        let ix = self.ix;
        self.space = true;
        if let Some(ts) = &ix.targets {
            // The call's frozen space, in the order a search settles it.
            let (ranks, ws, _) = ts.get(self.target.idx());
            let mut k = 0;
            while k < ranks.len() && ws[k] < bound(best, 0.0) {
                self.scan_bucket(v, priority, best, ranks[k], ws[k]);
                k += 1;
            }
            let limit = bound(best, 0.0);
            self.q
                .fill_space_frozen(&ix.ch, self.target, ranks, ws, limit);
            return k;
        }
        self.q.begin_space(&ix.ch, self.target);
        while let Some((x, db)) = self.q.grow_space(&ix.ch, bound(best, 0.0)) {
            self.scan_bucket(v, priority, best, x, db);
        }
        self.q.last_settled()
    }

    /// Scan the bucket of the node of rank `x`, `db` from the call.
    #[inline]
    fn scan_bucket(
        &mut self,
        v: &View<'_>,
        priority: u8,
        best: &mut Option<Cost>,
        x: u32,
        db: Weight,
    ) {
        let ix = self.ix;
        for &(s, ds) in ix.bucket(x) {
            let w = ds + db;
            if best.is_some_and(|b| weight_s(w) > b.total_s) {
                break;
            }
            if let Src::Loop(l) = ix.srcs[s as usize] {
                let li = l as usize;
                if !v.avail.looping[li].is_empty() {
                    if self.loop_gen[li] != self.gen {
                        self.loop_gen[li] = self.gen;
                        self.loop_lb[li] = w;
                        self.touched.push((0, l));
                    } else if w < self.loop_lb[li] {
                        self.loop_lb[li] = w;
                    }
                }
            } else if let Some(u) = self.fixed_unit(v, s, priority) {
                let c = Cost::new(0.0, w, u);
                if c.beats(best) {
                    *best = Some(c);
                    self.won = Won::Search;
                }
            }
        }
    }

    pub(super) fn nearest(
        &mut self,
        v: View<'_>,
        t: f64,
        target: NodeId,
        priority: u8,
    ) -> (Option<Cost>, usize) {
        let ix = self.ix;
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.loop_gen.iter_mut().for_each(|g| *g = 0);
            self.gen = 1;
        }
        self.touched.clear();
        self.target = target;
        self.space = false;
        self.won = Won::Search;
        let mut best: Option<Cost> = None;
        let mut settled = 0;
        match &ix.table {
            None => settled += self.scan_buckets(&v, priority, &mut best),
            Some(tab) => {
                // Units standing still: one row of exact times. Times past
                // `most_ms` cannot beat the best (whole milliseconds first;
                // the exact test on the others); `u32::MAX`, unreachable,
                // is always past it.
                let row = tab.row(target);
                let mut most_ms = u32::MAX - 1;
                for (j, &ms) in row.iter().enumerate() {
                    if ms > most_ms {
                        continue;
                    }
                    let w = (ms as Weight) << TIE_BITS;
                    if best.is_some_and(|b| weight_s(w) > b.total_s) {
                        continue;
                    }
                    if let Some(u) = self.fixed_unit(&v, tab.src[j], priority) {
                        let c = Cost::new(0.0, w, u);
                        if c.beats(&best) {
                            best = Some(c);
                            self.won = Won::Table(j);
                            most_ms = ms_beyond(c.total_s);
                        }
                    }
                }
                // Loops: searched only if one that has a unit for this
                // call can still win by its bounds: straight-line distance
                // to its box first (cheap), then the landmarks.
                let [cx, cy] = v.net.xy[target.idx()];
                let worth = v.avail.looping_takes(priority)
                    && (0..ix.loops).any(|l| {
                        if let Some(b) = best {
                            let [x0, y0, x1, y1] = ix.loop_box[l];
                            let (dx, dy) = (
                                (x0 - cx).max(cx - x1).max(0.0),
                                (y0 - cy).max(cy - y1).max(0.0),
                            );
                            if ix.line_s((dx * dx + dy * dy).sqrt()) > b.total_s {
                                return false;
                            }
                        }
                        v.avail.looping[l]
                            .iter()
                            .any(|&u| v.units[u as usize].takes(priority))
                            && best.is_none_or(|b| {
                                let lb = (tab.landmark(row, tab.far(l)) as Weight) << TIE_BITS;
                                weight_s(lb) <= b.total_s
                            })
                    });
                if worth {
                    settled += self.scan_buckets(&v, priority, &mut best);
                }
            }
        }
        // Loop units, then units on drives of their own, each with a lower
        // bound: their loop's (from the buckets), straight-line distance
        // over the top speed, and the landmarks when there is a table. Those
        // that can still win are searched exactly, nearest bound first.
        for k in 0..self.touched.len() {
            let l = self.touched[k].1;
            self.touched[k].0 = self.loop_lb[l as usize];
        }
        self.touched.sort_unstable();
        self.cands.clear();
        self.units.clear();
        for k in 0..self.touched.len() {
            let (lb, l) = self.touched[k];
            if best.is_some_and(|b| weight_s(lb) > b.total_s) {
                break;
            }
            for &u in &v.avail.looping[l as usize] {
                self.units.push((u, weight_s(lb)));
            }
        }
        // A moving unit is no farther from the end of its drive than the
        // time left: bounded by straight-line distance from there, first.
        // With a table, it is also no farther from where the drive began
        // than the time since, which the landmarks bound: for every source
        // `j`, `d(x -> call) >= d(j -> call) - d(j -> start) - d(start -> x)`
        // at the node `x` it reaches next, and `d(start -> x)` is at most
        // the time from the start to `x`.
        let c = v.net.xy[target.idx()];
        let call_row = ix.table.as_ref().map(|tab| (tab, tab.row(target)));
        let ends = v.avail.moving_to.iter().zip(&v.avail.moving_xy);
        let moving = v.avail.moving.iter().zip(ends.zip(&v.avail.moving_from));
        for (&u, ((&(_, arrive), &at), &(start, since))) in moving {
            if let Some(b) = best {
                // (A position not known is NaN: never pruned.)
                if ix.line_s(metres(at, c)) - (arrive - t).max(0.0) - 1e-6 > b.total_s {
                    continue;
                }
                if let Some((tab, to)) = call_row.filter(|_| start != NO_START.0) {
                    let ms = tab.landmark(to, tab.row(start));
                    let lb = weight_s((ms as Weight) << TIE_BITS) - (t - since).max(0.0);
                    if lb - 1e-6 > b.total_s {
                        continue;
                    }
                }
            }
            self.units.push((u, 0.0));
        }
        self.gather(&v, t, priority);
        for k in 0..self.near.len() {
            let n = self.near[k];
            self.candidate(&v, target, n, &best);
        }
        if let Some(tab) = &ix.table {
            let to = tab.row(target);
            self.cands.retain_mut(|c| {
                let ms = tab.landmark(to, tab.row(c.x));
                c.lb = c.lb.max(c.rem_s + weight_s((ms as Weight) << TIE_BITS));
                best.is_none_or(|b| c.lb <= b.total_s)
            });
        }
        self.cands
            .sort_unstable_by(|a, b| a.lb.total_cmp(&b.lb).then(a.unit.cmp(&b.unit)));
        for k in 0..self.cands.len() {
            let c = self.cands[k];
            if best.is_some_and(|b| c.lb > b.total_s) {
                break;
            }
            settled += self.ensure_space(&best);
            settled += self.exact(c, &mut best);
        }
        (best, settled)
    }

    /// Where each of `units` that takes `priority` is at `t`, into `near`,
    /// in two rounds: the unit's place (on its loop or drive), then the
    /// head of the edge it is on. Each round asks for the data the next
    /// reads (the last, a node's position, is read by [`Fast::candidate`]),
    /// so that the units' waits overlap rather than follow one another.
    fn gather(&mut self, v: &View<'_>, t: f64, priority: u8) {
        self.near.clear();
        for &(u, loop_lb_s) in &self.units {
            let unit = &v.units[u as usize];
            if !unit.takes(priority) {
                continue;
            }
            let (at, rem_s) = match (&unit.state, unit.patrol) {
                // On its loop: the stop ahead, read from the loop's own list.
                (&UnitState::Looping { since, phase_s }, Some(l)) => {
                    let plan = &v.loops[l as usize];
                    let (edge, rem_s) = plan.edge_at(plan.offset_at(phase_s, since, t));
                    crate::routing::prefetch(&self.ix.stops[l as usize][edge]);
                    (NearAt::Stop(l, edge as u32), rem_s)
                }
                _ => match unit.locate(v.net, v.loops, t) {
                    Loc::AtNode(x) => {
                        crate::routing::prefetch(&v.net.xy[x.idx()]);
                        (NearAt::Node(x), 0.0)
                    }
                    Loc::OnEdge { edge, rem_s } => {
                        crate::routing::prefetch(&v.net.fwd.head[edge.idx()]);
                        (NearAt::Edge(edge), rem_s)
                    }
                },
            };
            self.near.push(Near {
                unit: u,
                loop_lb_s,
                rem_s,
                at,
            });
        }
        for n in &mut self.near {
            if let NearAt::Edge(e) = n.at {
                let x = v.net.edge_to(e);
                crate::routing::prefetch(&v.net.xy[x.idx()]);
                n.at = NearAt::Node(x);
            }
        }
    }

    /// A candidate's node, where it is, and its frozen space.
    #[inline]
    fn at_node(&self, v: &View<'_>, x: NodeId) -> (NodeId, [f64; 2], u32) {
        let space = if self.ix.frozen_all { x.0 } else { NO_SPACE };
        (x, v.net.xy[x.idx()], space)
    }

    /// Keep unit `n` (on a loop whose bound is `loop_lb_s`, or moving: 0) as
    /// a candidate for the call at `target` if its lower bound can still
    /// beat `best`.
    fn candidate(&mut self, v: &View<'_>, target: NodeId, n: Near, best: &Option<Cost>) {
        let (u, rem_s, loop_lb_s) = (n.unit, n.rem_s, n.loop_lb_s);
        let (x, p, space) = match n.at {
            NearAt::Stop(l, i) => {
                let stop = self.ix.stops[l as usize][i as usize];
                (stop.node, stop.xy, stop.space)
            }
            NearAt::Node(x) => self.at_node(v, x),
            NearAt::Edge(e) => self.at_node(v, v.net.edge_to(e)),
        };
        let line_s = self.ix.line_s(metres(p, v.net.xy[target.idx()]));
        let lb = rem_s + loop_lb_s.max(line_s);
        if best.is_some_and(|b| lb > b.total_s) {
            return;
        }
        if let Some(tab) = &self.ix.table {
            // Its landmark bound comes once every candidate is listed: the
            // rows load meanwhile, all at once.
            tab.prefetch_row(x);
        }
        self.cands.push(Cand {
            lb,
            unit: u,
            x,
            rem_s,
            space,
        });
    }

    /// The exact cost of candidate `c`; keeps it if it wins.
    fn exact(&mut self, c: Cand, best: &mut Option<Cost>) -> usize {
        let (ix, b) = (self.ix, bound(best, c.rem_s));
        // The weight, and where the winner's path would come from.
        let searched = c.space == NO_SPACE;
        let (d, path) = if searched {
            let d = self.q.meet(&ix.ch, c.x, b);
            let meet = self.q.last_meet();
            (d, meet.map_or(Won::Search, |meet| Won::Labels { meet }))
        } else {
            let (ranks, ws, _) = ix.spaces.get(c.space as usize);
            let m = self.q.meet_frozen(ranks, ws, b);
            let path = m.map_or(Won::Search, |m| Won::Frozen {
                k: c.space,
                meet: m.1,
            });
            (m.map(|m| m.0), path)
        };
        let won = d.is_some_and(|d| {
            let cost = Cost::new(c.rem_s, d, c.unit);
            let won = cost.beats(best);
            if won {
                *best = Some(cost);
            }
            won
        });
        if won {
            self.won = path;
        } else if searched && matches!(self.won, Won::Labels { .. }) {
            // Its search has replaced the winner's labels.
            self.won = Won::Search;
        }
        self.q.last_settled()
    }

    /// The path from `from`, where the winner of the last
    /// [`Fast::nearest`] is, to that query's target, `w` away.
    pub(super) fn path_to_target(
        &mut self,
        net: &Network,
        from: NodeId,
        w: Weight,
        out: &mut Vec<EdgeId>,
    ) {
        let ix = self.ix;
        match (self.won, &ix.table) {
            (Won::Table(j), Some(tab)) => tab.walk(net, j, self.target, out),
            // A loop unit met with its stop's frozen space: the meeting's
            // path is at hand, up the list and down the target space.
            (Won::Frozen { k, meet }, _) => {
                let (ranks, _, ups) = ix.spaces.get(k as usize);
                debug_assert_eq!(ranks[0], ix.ch.rank_of(from), "a frozen space's root");
                self.target_ups();
                self.q.meet_frozen_path(&ix.ch, ranks, ups, meet, out);
            }
            // The winner was searched, and its labels are still at hand.
            (Won::Labels { meet }, _) => {
                self.target_ups();
                self.q.meet_path_at(&ix.ch, meet, out)
            }
            // The winner came from the target space: it is there already,
            // and nothing heavier than its weight need be searched.
            _ => {
                self.ensure_space(&None);
                self.target_ups();
                self.q.meet(&self.ix.ch, from, w.saturating_add(1));
                self.q.meet_path(&self.ix.ch, out);
            }
        }
    }

    /// As [`Fast::path_to_target`] for a winner standing at its `station`,
    /// also walking its drive home from the target into `back` when the
    /// winner came from the table (`true`; `false`, and `back` untouched,
    /// if not).
    pub(super) fn path_and_home(
        &mut self,
        net: &Network,
        from: NodeId,
        w: Weight,
        station: u32,
        out: &mut Vec<EdgeId>,
        back: &mut Vec<EdgeId>,
    ) -> bool {
        match (self.won, &self.ix.table) {
            (Won::Table(j), Some(tab))
                if j == station as usize && j < tab.stations_with_homes() =>
            {
                tab.walk_there_and_home(net, j, self.target, out, back);
                true
            }
            _ => {
                self.path_to_target(net, from, w, out);
                false
            }
        }
    }

    /// Ask for what [`Fast::path_to_fixed`] from `from` to `fixed` reads
    /// first, when it scans `from`'s frozen space: that space's ranks and
    /// weights, and the fixed target's.
    pub(super) fn prefetch_fixed(&self, from: NodeId, fixed: Fixed) {
        let ix = self.ix;
        if let (true, Fixed::Waypoint(l, w)) = (ix.frozen_all, fixed) {
            let (ranks, ws, _) = ix.spaces.get(from.idx());
            crate::routing::prefetch_all(ranks);
            crate::routing::prefetch_all(ws);
            ix.waypoints[l as usize][w as usize].prefetch();
        }
    }

    /// The drive from `from` to a station (home) or a loop's waypoint.
    pub(super) fn path_to_fixed(
        &mut self,
        net: &Network,
        from: NodeId,
        fixed: Fixed,
        out: &mut Vec<EdgeId>,
    ) {
        let ix = self.ix;
        let target = match (fixed, &ix.table) {
            (Fixed::Home(i), Some(tab)) => return tab.walk_home(net, i as usize, from, out),
            (Fixed::Home(i), None) => &ix.homes[i as usize],
            (Fixed::Waypoint(l, w), _) => &ix.waypoints[l as usize][w as usize],
        };
        if ix.frozen_all {
            // Every node's forward space is at hand: no search.
            let space = ix.spaces.get(from.idx());
            self.q.path_to_fixed_frozen(&ix.ch, space, target, out);
            return;
        }
        self.q.path_to_fixed(&ix.ch, from, target, out);
    }

    pub(super) fn path(&mut self, from: NodeId, to: NodeId, out: &mut Vec<EdgeId>) {
        self.q.path(&self.ix.ch, from, to, out);
    }

    pub(super) fn nearest_of(&mut self, from: NodeId, targets: &[NodeId]) -> Option<usize> {
        let mut best: Option<(Weight, u32, usize)> = None;
        for (i, &n) in targets.iter().enumerate() {
            if let Some(d) = self.q.distance(&self.ix.ch, from, n) {
                let k = (d, n.0, i);
                if best.is_none_or(|b| k < b) {
                    best = Some(k);
                }
            }
        }
        best.map(|b| b.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::build::test_line;

    proptest::proptest! {
        /// Rows of times below 2^31 ms give the same bound either way, and
        /// a millisecond count past `ms_beyond` is above the time.
        #[test]
        fn landmark_bounds_agree(
            rows in proptest::collection::vec((0u32..1 << 31, 0u32..1 << 31), 0..70),
            total_s in 0.0f64..1e6,
        ) {
            let (to, from): (Vec<u32>, Vec<u32>) = rows.into_iter().unzip();
            proptest::prop_assert_eq!(landmark_ms_small(&to, &from), landmark_ms(&to, &from));
            let past = ms_beyond(total_s) + 1;
            proptest::prop_assert!(weight_s(Weight::from(past) << TIE_BITS) > total_s);
        }
    }

    /// A tangle of `n` nodes at scattered positions (so that the spatial
    /// order is not the order of the indices): a two-way ring, one-way
    /// chords and a parallel pair, with assorted times.
    fn tangle(n: usize) -> Network {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let xs: Vec<f64> = (0..n).map(|_| (next() % 10_000) as f64).collect();
        let mut edges = Vec::new();
        for i in 0..n {
            let j = (i + 1) % n;
            edges.push((i, j, 100.0, 5.0 + (next() % 20) as f64));
            edges.push((j, i, 100.0, 5.0 + (next() % 20) as f64));
        }
        for _ in 0..2 * n {
            let (a, b) = ((next() % n as u64) as usize, (next() % n as u64) as usize);
            if a != b {
                edges.push((a, b, 100.0, 1.0 + (next() % 40) as f64));
            }
        }
        edges.push((0, 1, 100.0, 1.0));
        edges.push((0, 1, 100.0, 2.0));
        test_line(&xs, &edges)
    }

    #[test]
    fn trees_of_links_and_of_slots_walk_the_same_shortest_paths() {
        let net = tangle(80);
        let n = net.node_count();
        let roots: Vec<NodeId> = [0, 7, 33, 79].map(NodeId).to_vec();
        let mut search = WeightSearch::new(n);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let layout = Layout::new(spatial_order(&net).1);
        for dir in [Direction::Forward, Direction::Backward] {
            let k = roots.len();
            let mut table = vec![0u32; n * k];
            let links = Trees::build(&net, &roots, dir, Some(&layout), Some(&mut table));
            let slots = Trees::build(&net, &roots, dir, None, None);
            assert!(matches!(links, Trees::Links { .. }));
            assert!(matches!(slots, Trees::Slots(_)));
            for (i, &root) in roots.iter().enumerate() {
                search.start(dir);
                search.add_source(root, 0);
                search.run(&net, |_, _| Step::Continue);
                for v in (0..n as u32).map(NodeId) {
                    links.walk(&net, i, dir, v, &mut a);
                    slots.walk(&net, i, dir, v, &mut b);
                    assert_eq!(a, b, "tree {i} {dir:?} at {v:?}");
                    // A drive from the root to `v` (forward) or from `v`
                    // to the root (backward), as long as the shortest one.
                    let (from, to) = match dir {
                        Direction::Forward => (root, v),
                        Direction::Backward => (v, root),
                    };
                    let mut at = from;
                    for &e in &a {
                        assert_eq!(net.edge_from[e.idx()], at.0);
                        at = net.edge_to(e);
                    }
                    assert_eq!(at, to);
                    let ms: u64 = a.iter().map(|&e| weight_ms(net.fwd.w[e.idx()])).sum();
                    let want = search.settled_time(v).map(weight_ms);
                    assert_eq!(Some(ms), want, "tree {i} {dir:?} at {v:?}");
                    assert_eq!(Some(u64::from(table[v.idx() * k + i])), want);
                }
            }
        }
    }

    #[test]
    fn the_hilbert_order_is_a_permutation_that_keeps_neighbours_close() {
        let net = tangle(500);
        let (order, at) = spatial_order(&net);
        let mut seen = vec![false; order.len()];
        for (i, &v) in order.iter().enumerate() {
            assert!(!seen[v as usize]);
            seen[v as usize] = true;
            assert_eq!(at[v as usize], i as u32);
        }
        // On a line (all nodes at y = 0) the curve visits the nodes by x.
        assert!(order
            .windows(2)
            .all(|w| net.xy[w[0] as usize][0] <= net.xy[w[1] as usize][0]));
        assert_eq!(hilbert(0, 0), 0);
        assert_eq!(hilbert(65535, 0), (1u64 << 32) - 1);
    }
}
