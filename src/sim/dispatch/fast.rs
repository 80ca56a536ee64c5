//! The fast router: contraction hierarchies with buckets.
//!
//! [`FastIndex`] is built once per scenario. Every *fixed source* (a station,
//! a post) and every *loop* (all the nodes of its lap at once) has its
//! forward upward search space in the hierarchy stored in buckets: for each
//! hierarchy node, the sources whose space holds it, sorted by distance.
//!
//! A nearest-unit query runs the call node's backward upward search once (a
//! few hundred nodes) and scans the buckets of the nodes it settles, in order
//! of distance, stopping as soon as nothing left can beat the best so far:
//!
//! - a station or post entry gives the exact time of its lowest-numbered
//!   available unit (they stand still);
//! - a loop entry gives a lower bound for every unit on that loop (each is
//!   somewhere on the lap). Loops are then visited in order of bound, and a
//!   unit whose time left on its edge plus the bound can still win gets an
//!   exact upward search from its next node, met with the call's space.
//! - units on drives of their own (going home, rejoining) are bounded by
//!   straight-line distance over the network's top straight-line speed, and
//!   searched exactly only when that bound can win.
//!
//! Nothing here grows with the number of nodes per query; buffers are reused.

use super::{first_taking, Cost, View};
use crate::network::{weight_s, EdgeId, Network, NodeId, Weight, TIE_BITS};
use crate::routing::ch::{upward_space, Ch, ChQuery, FixedTarget};
use crate::routing::Direction;
use crate::sim::patrol::LoopPlan;
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
    first: Vec<u32>,
    /// `(source, weight from the source to the bucket's node)`, by node then weight.
    entries: Vec<(u32, Weight)>,
    /// Straight-line metres per second no drive can beat (infinite: no bound).
    lb_speed_mps: f64,
    loops: usize,
    /// Each station's backward space, for the drive home after a call.
    homes: Vec<FixedTarget>,
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
        let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let t = net.fwd.time_s[e];
        if d > 0.0 {
            v = v.max(if t > 0.0 { d / t } else { f64::INFINITY });
        }
    }
    v
}

impl FastIndex {
    /// Buckets for the stations at `station_nodes` and the loops `loops`, over `ch`.
    pub fn new(net: &Network, ch: Ch, station_nodes: &[NodeId], loops: &[LoopPlan]) -> FastIndex {
        let mut srcs: Vec<Src> = (0..station_nodes.len() as u32).map(Src::Station).collect();
        for (l, plan) in loops.iter().enumerate() {
            srcs.push(if plan.is_post() {
                Src::Post(l as u32)
            } else {
                Src::Loop(l as u32)
            });
        }
        let spaces: Vec<Vec<(u32, Weight)>> = srcs
            .par_iter()
            .map(|&s| match s {
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
            tagged.extend(space.iter().map(|&(v, d)| (v, d, s as u32)));
        }
        tagged.sort_unstable();
        let mut first = vec![0u32; n + 1];
        for &(v, _, _) in &tagged {
            first[v as usize + 1] += 1;
        }
        for v in 0..n {
            first[v + 1] += first[v];
        }
        let homes = station_nodes
            .par_iter()
            .map(|&s| FixedTarget::new(&ch, s))
            .collect();
        FastIndex {
            homes,
            ch,
            srcs,
            first,
            entries: tagged.into_iter().map(|(_, d, s)| (s, d)).collect(),
            lb_speed_mps: straight_line_speed(net),
            loops: loops.len(),
        }
    }

    /// As [`FastIndex::new`], building the hierarchy in memory (no cache).
    pub fn in_memory(net: &Network, station_nodes: &[NodeId], loops: &[LoopPlan]) -> FastIndex {
        FastIndex::new(net, Ch::load_or_build(net, None), station_nodes, loops)
    }

    #[inline]
    fn bucket(&self, v: u32) -> &[(u32, Weight)] {
        &self.entries[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }

    /// Bucket entries in all (a size measure).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }
}

/// The largest weight `d` for which a unit `rem_s` from its next node could
/// still tie `best`, plus one millisecond: a safe search bound.
fn bound(best: &Option<Cost>, rem_s: f64) -> Weight {
    match best {
        None => Weight::MAX,
        Some(b) => {
            let ms = ((b.total_s - rem_s) * 1000.0).floor().max(0.0) as u64 + 2;
            ms.checked_shl(TIE_BITS).unwrap_or(Weight::MAX)
        }
    }
}

/// Query state of the fast router.
pub(super) struct Fast<'a> {
    ix: &'a FastIndex,
    q: ChQuery,
    loop_lb: Vec<Weight>,
    loop_gen: Vec<u32>,
    gen: u32,
    touched: Vec<(Weight, u32)>,
    movers: Vec<(f64, u32)>,
}

impl<'a> Fast<'a> {
    pub(super) fn new(ix: &'a FastIndex) -> Fast<'a> {
        Fast {
            q: ChQuery::new(&ix.ch),
            loop_lb: vec![0; ix.loops],
            loop_gen: vec![0; ix.loops],
            gen: 0,
            touched: Vec::new(),
            movers: Vec::new(),
            ix,
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
        let mut best: Option<Cost> = None;
        let space = self.q.target_space(&ix.ch, target);
        let mut settled = space.len();
        for &(x, db) in space {
            if best.is_some_and(|b| weight_s(db) > b.total_s) {
                break;
            }
            for &(s, ds) in ix.bucket(x) {
                let w = ds + db;
                if best.is_some_and(|b| weight_s(w) > b.total_s) {
                    break;
                }
                let unit = match ix.srcs[s as usize] {
                    Src::Station(i) => first_taking(&v.avail.idle[i as usize], v.units, priority),
                    Src::Post(l) => first_taking(&v.avail.posted[l as usize], v.units, priority),
                    Src::Loop(l) => {
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
                        None
                    }
                };
                if let Some(u) = unit {
                    let c = Cost::new(0.0, w, u);
                    if c.beats(&best) {
                        best = Some(c);
                    }
                }
            }
        }
        // Loops, nearest bound first.
        for k in 0..self.touched.len() {
            let l = self.touched[k].1;
            self.touched[k].0 = self.loop_lb[l as usize];
        }
        self.touched.sort_unstable();
        for k in 0..self.touched.len() {
            let (lb, l) = self.touched[k];
            if best.is_some_and(|b| weight_s(lb) > b.total_s) {
                break;
            }
            for &u in &v.avail.looping[l as usize] {
                let unit = &v.units[u as usize];
                if !unit.takes(priority) {
                    continue;
                }
                let (x, rem) = unit.locate(v.net, v.loops, t).next(v.net);
                if best.is_some_and(|b| rem + weight_s(lb) > b.total_s) {
                    continue;
                }
                settled += self.exact(x, rem, u, &mut best);
            }
        }
        // Units on drives of their own, nearest straight-line bound first.
        self.movers.clear();
        let txy = v.net.xy[target.idx()];
        for &u in &v.avail.moving {
            let unit = &v.units[u as usize];
            if !unit.takes(priority) {
                continue;
            }
            let (x, rem) = unit.locate(v.net, v.loops, t).next(v.net);
            let p = v.net.xy[x.idx()];
            let d = ((p[0] - txy[0]).powi(2) + (p[1] - txy[1]).powi(2)).sqrt();
            // A little under the straight-line time, for rounding.
            let lb = rem + (d / ix.lb_speed_mps) * (1.0 - 1e-9) - 1e-6;
            self.movers.push((lb, u));
        }
        self.movers
            .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for k in 0..self.movers.len() {
            let (lb, u) = self.movers[k];
            if best.is_some_and(|b| lb > b.total_s) {
                break;
            }
            let (x, rem) = v.units[u as usize].locate(v.net, v.loops, t).next(v.net);
            settled += self.exact(x, rem, u, &mut best);
        }
        (best, settled)
    }

    /// The exact cost of unit `u`, `rem_s` from node `x`; keeps it if it wins.
    fn exact(&mut self, x: NodeId, rem_s: f64, u: u32, best: &mut Option<Cost>) -> usize {
        let b = bound(best, rem_s);
        if let Some(d) = self.q.meet(&self.ix.ch, x, b) {
            let c = Cost::new(rem_s, d, u);
            if c.beats(best) {
                *best = Some(c);
            }
        }
        self.q.last_settled()
    }

    /// The path from `from` to the target of the last [`Fast::nearest`].
    pub(super) fn path_to_target(&mut self, from: NodeId, out: &mut Vec<EdgeId>) {
        self.q.meet(&self.ix.ch, from, Weight::MAX);
        self.q.meet_path(&self.ix.ch, out);
    }

    /// The drive from `from` home to station `station`.
    pub(super) fn path_home(&mut self, from: NodeId, station: u32, out: &mut Vec<EdgeId>) {
        let ix = self.ix;
        self.q
            .path_to_fixed(&ix.ch, from, &ix.homes[station as usize], out);
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
