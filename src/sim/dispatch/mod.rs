//! Choosing the unit for a call, and finding the routes units drive.
//!
//! [`Avail`] is the engine's index of available units by where they stand
//! (idle at a station, standing at a post, driving a loop, or on a drive of
//! their own), kept up to date on every state change. [`Router`] answers the
//! engine's three questions: which available unit reaches a call first
//! ([`Router::nearest`]), the route from a node to a node ([`Router::path`]),
//! and which of a loop's waypoints a unit reaches first
//! ([`Router::nearest_of`]). It comes in two kinds that give identical
//! answers:
//!
//! - **plain** ([`RouterKind::Dijkstra`]): one backward Dijkstra from the
//!   call over every available unit, stopped once no unit can do better;
//! - **fast** ([`RouterKind::Ch`], `fast.rs`): contraction hierarchies with
//!   buckets for fixed sources (stations, posts) and whole loops, plus
//!   lower bounds for units on the move (see `docs/model.md`).
//!
//! A unit's cost to a call is the time left on its current edge plus the
//! exact shortest [`Weight`] from that edge's head; candidates are ordered by
//! ([`Cost::total_s`], unit index), so ties go the same way in both routers. All buffers are reused between queries.

mod fast;

use std::cmp::Ordering;

pub use fast::{FastIndex, TABLE_MAX_ENTRIES};

use super::patrol::LoopPlan;
use super::units::{Loc, Unit, UnitState};
use crate::network::{weight_s, EdgeId, Network, NodeId, Weight};
use crate::routing::{Direction, Step, WeightSearch};
pub use crate::scenario::RouterKind;

/// Where an available unit stands, for the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Not available.
    Busy,
    /// Idle at its station.
    Idle(u32),
    /// Standing at the post of a loop.
    Posted(u32),
    /// Driving a loop undisturbed.
    Looping(u32),
    /// On a drive of its own (returning home, rejoining its loop).
    Moving,
}

impl Class {
    /// The class of a unit in its current state.
    pub fn of(u: &Unit) -> Class {
        let p = u.patrol.unwrap_or_default();
        match u.state {
            UnitState::Idle => Class::Idle(u.station),
            UnitState::Posted { .. } => Class::Posted(p),
            UnitState::Looping { .. } => Class::Looping(p),
            UnitState::Returning { .. } | UnitState::Patrolling { .. } => Class::Moving,
            UnitState::Responding { .. } | UnitState::OnScene { .. } => Class::Busy,
        }
    }
}

/// Available units by where they stand; every list is sorted by unit index.
#[derive(Clone, Debug)]
pub struct Avail {
    class: Vec<Class>,
    /// Idle units of each station.
    pub idle: Vec<Vec<u32>>,
    /// Units standing at the post of each loop.
    pub posted: Vec<Vec<u32>>,
    /// Units driving each loop.
    pub looping: Vec<Vec<u32>>,
    /// Units on a drive of their own.
    pub moving: Vec<u32>,
    /// Where the drive of each of `moving` ends and when, in the same
    /// order: a unit there is at most the time left away from it.
    pub moving_to: Vec<(NodeId, f64)>,
    /// The position of each drive's end (NaN when not given to
    /// [`Avail::set_at`]), in the same order: bounds read no node table.
    pub moving_xy: Vec<[f64; 2]>,
    /// Where each drive of `moving` began and when, in the same order: the
    /// unit has driven at most the time since from there, so landmarks from
    /// that node bound it ([`NO_START`] for a drive begun part-way along an
    /// edge: no bound).
    pub moving_from: Vec<(NodeId, f64)>,
    /// Units driving loops, counted by the highest priority they take
    /// (`Unit::max_priority`): whether any can take a call at all.
    looping_by_priority: std::collections::BTreeMap<u8, u32>,
}

/// [`Avail::moving_from`] of a drive begun part-way along an edge.
pub const NO_START: (NodeId, f64) = (NodeId(u32::MAX), f64::NAN);

fn insert_sorted(v: &mut Vec<u32>, x: u32) {
    if let Err(i) = v.binary_search(&x) {
        v.insert(i, x);
    }
}

fn remove_sorted(v: &mut Vec<u32>, x: u32) {
    if let Ok(i) = v.binary_search(&x) {
        v.remove(i);
    }
}

impl Avail {
    /// An index of `units` (all busy) for `stations` stations and `loops` loops.
    pub fn new(units: usize, stations: usize, loops: usize) -> Avail {
        Avail {
            class: vec![Class::Busy; units],
            idle: vec![Vec::new(); stations],
            posted: vec![Vec::new(); loops],
            looping: vec![Vec::new(); loops],
            moving: Vec::new(),
            moving_to: Vec::new(),
            moving_xy: Vec::new(),
            moving_from: Vec::new(),
            looping_by_priority: std::collections::BTreeMap::new(),
        }
    }

    fn list(&mut self, c: Class) -> Option<&mut Vec<u32>> {
        match c {
            Class::Busy => None,
            Class::Idle(s) => Some(&mut self.idle[s as usize]),
            Class::Posted(l) => Some(&mut self.posted[l as usize]),
            Class::Looping(l) => Some(&mut self.looping[l as usize]),
            Class::Moving => Some(&mut self.moving),
        }
    }

    /// The index of `units` as they stand, for `stations` stations and `loops` loops.
    pub fn of(units: &[Unit], stations: usize, loops: usize) -> Avail {
        let mut avail = Avail::new(units.len(), stations, loops);
        for (i, u) in units.iter().enumerate() {
            avail.set(i as u32, u);
        }
        avail
    }

    /// Record that `unit`, `u`, is now in the class of its state.
    pub fn set(&mut self, unit: u32, u: &Unit) {
        self.set_at(unit, u, &[]);
    }

    /// As [`Avail::set`], with the positions of the nodes (`xy`, by node;
    /// empty: not known), so that a moving unit's drive end is kept with
    /// its position.
    pub fn set_at(&mut self, unit: u32, u: &Unit, xy: &[[f64; 2]]) {
        let c = Class::of(u);
        let old = std::mem::replace(&mut self.class[unit as usize], c);
        if old == c && c != Class::Moving {
            return;
        }
        // Out of its old list, into its new one; a moving unit that starts
        // a new drive keeps its place, with the new drive's end.
        let mut place = None;
        if old == Class::Moving {
            if let Ok(i) = self.moving.binary_search(&unit) {
                if c == Class::Moving {
                    place = Some(i);
                } else {
                    self.moving.remove(i);
                    self.moving_to.remove(i);
                    self.moving_xy.remove(i);
                    self.moving_from.remove(i);
                }
            }
        } else if let Some(v) = self.list(old) {
            remove_sorted(v, unit);
        }
        if c == Class::Moving {
            let (to, from) = match &u.state {
                UnitState::Returning { route } | UnitState::Patrolling { route, .. } => (
                    (route.dest, route.arrival()),
                    route.start.map_or(NO_START, |s| (s, route.t0)),
                ),
                // Not reached (no other state is moving); no bound then.
                _ => ((NodeId(0), f64::INFINITY), NO_START),
            };
            let at = xy.get(to.0.idx()).copied().unwrap_or([f64::NAN; 2]);
            if let Some(i) = place {
                self.moving_to[i] = to;
                self.moving_xy[i] = at;
                self.moving_from[i] = from;
            } else {
                let i = self.moving.partition_point(|&x| x < unit);
                self.moving.insert(i, unit);
                self.moving_to.insert(i, to);
                self.moving_xy.insert(i, at);
                self.moving_from.insert(i, from);
            }
        } else if let Some(v) = self.list(c) {
            insert_sorted(v, unit);
        }
        let by = &mut self.looping_by_priority;
        if let Class::Looping(_) = old {
            if let Some(n) = by.get_mut(&u.max_priority) {
                *n -= 1;
                if *n == 0 {
                    by.remove(&u.max_priority);
                }
            }
        }
        if let Class::Looping(_) = c {
            *by.entry(u.max_priority).or_default() += 1;
        }
    }

    /// Whether some unit driving a loop takes calls of `priority`.
    #[inline]
    pub fn looping_takes(&self, priority: u8) -> bool {
        self.looping_by_priority
            .last_key_value()
            .is_some_and(|(&top, _)| priority <= top)
    }
}

/// The lowest-numbered unit of `list` that takes calls of `priority`.
#[inline]
fn first_taking(list: &[u32], units: &[Unit], priority: u8) -> Option<u32> {
    list.iter()
        .copied()
        .find(|&u| units[u as usize].takes(priority))
}

/// What a candidate costs: exact and totally ordered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    /// Drive time to the call, seconds: time left on the current edge plus
    /// the path's whole milliseconds.
    pub total_s: f64,
    /// The path's weight from the unit's next node.
    pub w: Weight,
    /// The unit.
    pub unit: u32,
}

impl Cost {
    /// The cost of a unit `rem_s` from its next node, which is `w` from the call.
    #[inline]
    pub fn new(rem_s: f64, w: Weight, unit: u32) -> Cost {
        Cost {
            total_s: rem_s + weight_s(w),
            w,
            unit,
        }
    }

    /// Order: time, then unit index (equal times go to the lower unit).
    #[inline]
    pub fn order(&self, o: &Cost) -> Ordering {
        self.total_s
            .total_cmp(&o.total_s)
            .then(self.unit.cmp(&o.unit))
    }

    /// True when this beats `best` (or there is none).
    #[inline]
    pub fn beats(&self, best: &Option<Cost>) -> bool {
        best.is_none_or(|b| self.order(&b) == Ordering::Less)
    }
}

/// The chosen unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The unit.
    pub unit: u32,
    /// Where it is now.
    pub loc: Loc,
    /// Travel time to the call, seconds.
    pub travel_s: f64,
    /// Edges from the unit's next node to the call.
    pub path: Vec<EdgeId>,
}

/// What a query sees: the network, the loops, the units and their index.
#[derive(Clone, Copy)]
pub struct View<'a> {
    /// The network.
    pub net: &'a Network,
    /// The scenario's loop plans.
    pub loops: &'a [LoopPlan],
    /// Every unit.
    pub units: &'a [Unit],
    /// Who is available where.
    pub avail: &'a Avail,
}

/// A destination the fast router prepared for.
#[derive(Clone, Copy, Debug)]
enum Fixed {
    /// A station, by index.
    Home(u32),
    /// A waypoint of a loop: (loop, waypoint).
    Waypoint(u32, u32),
}

/// A unit that could take the call, for the plain router.
#[derive(Clone, Copy, Debug)]
struct Cand {
    node: u32,
    unit: u32,
    rem_s: f64,
}

/// Plain Dijkstra state.
struct Plain {
    search: WeightSearch,
    cands: Vec<Cand>,
    mark: Vec<u32>,
    slot: Vec<u32>,
    gen: u32,
}

enum Kind<'a> {
    Plain(Box<Plain>),
    Fast(Box<fast::Fast<'a>>),
}

/// Answers the engine's routing questions; one per engine (its scratch
/// buffers are reused by every query).
pub struct Router<'a> {
    kind: Kind<'a>,
    settled: usize,
    /// Emptied path buffers handed back by [`Router::recycle`], for reuse.
    spare: Vec<Vec<EdgeId>>,
    /// Per unit: its drive home from a call's node, walked with its drive
    /// there (see [`Router::path_home_of`]).
    homes: Vec<(NodeId, Vec<EdgeId>)>,
    /// Walk a station unit's drive home with its drive to the call
    /// ([`Router::walk_homes_early`]).
    early_homes: bool,
}

impl<'a> Router<'a> {
    /// A plain Dijkstra router for a network of `n` nodes.
    pub fn plain(n: usize) -> Router<'a> {
        Router {
            kind: Kind::Plain(Box::new(Plain {
                search: WeightSearch::new(n),
                cands: Vec::new(),
                mark: vec![0; n],
                slot: vec![0; n],
                gen: 0,
            })),
            settled: 0,
            spare: Vec::new(),
            homes: Vec::new(),
            early_homes: false,
        }
    }

    /// A fast router over a prepared index.
    pub fn fast(index: &'a FastIndex) -> Router<'a> {
        Router {
            kind: Kind::Fast(Box::new(fast::Fast::new(index))),
            settled: 0,
            spare: Vec::new(),
            homes: Vec::new(),
            early_homes: false,
        }
    }

    /// Hand back a path buffer no longer needed: later paths reuse it, so
    /// a run does not allocate per call once it has enough buffers.
    pub fn recycle(&mut self, mut path: Vec<EdgeId>) {
        path.clear();
        if self.spare.len() < 256 {
            self.spare.push(path);
        }
    }

    fn buffer(&mut self) -> Vec<EdgeId> {
        self.spare.pop().unwrap_or_default()
    }

    /// A query at `target` comes next: start bringing what it reads first
    /// into the cache.
    pub fn prefetch(&self, net: &Network, target: NodeId) {
        if let Kind::Fast(f) = &self.kind {
            f.prefetch(net, target);
        }
    }

    /// Nodes settled by the last query (a cost measure).
    pub fn last_settled(&self) -> usize {
        self.settled
    }

    /// The available unit, among those that take calls of `priority`, that
    /// reaches `target` first at time `t`, if any.
    pub fn nearest(&mut self, v: View<'_>, t: f64, target: NodeId, priority: u8) -> Option<Choice> {
        let (best, settled) = match &mut self.kind {
            Kind::Plain(p) => p.nearest(v, t, target, priority),
            Kind::Fast(f) => f.nearest(v, t, target, priority),
        };
        self.settled = settled;
        let best = best?;
        let u = &v.units[best.unit as usize];
        let loc = u.locate(v.net, v.loops, t);
        let (from, _) = loc.next(v.net);
        let mut path = self.buffer();
        match &mut self.kind {
            // A station unit standing there will most likely drive home
            // from the call: both walks at once.
            Kind::Fast(f)
                if self.early_homes && from != target && matches!(u.state, UnitState::Idle) =>
            {
                let i = best.unit as usize;
                if self.homes.len() <= i {
                    self.homes
                        .resize_with(i + 1, || (NodeId(u32::MAX), Vec::new()));
                }
                let back = &mut self.homes[i];
                back.0 = NodeId(u32::MAX);
                if f.path_and_home(v.net, from, best.w, u.station, &mut path, &mut back.1) {
                    back.0 = target;
                }
            }
            // The call's upward space is still there: half a query.
            Kind::Fast(f) if from != target => f.path_to_target(v.net, from, best.w, &mut path),
            _ => self.path_into(v.net, from, target, &mut path),
        }
        Some(Choice {
            unit: best.unit,
            loc,
            travel_s: best.total_s,
            path,
        })
    }

    /// The shortest path from `from` to `to` as edges (empty when equal).
    pub fn path(&mut self, net: &Network, from: NodeId, to: NodeId) -> Vec<EdgeId> {
        let mut out = self.buffer();
        self.path_into(net, from, to, &mut out);
        out
    }

    /// The drive from `from` home to station `station`, at node `home`.
    pub fn path_home(
        &mut self,
        net: &Network,
        from: NodeId,
        station: u32,
        home: NodeId,
    ) -> Vec<EdgeId> {
        self.path_to_fixed(net, from, Fixed::Home(station), home)
    }

    /// Let [`Router::nearest`] also walk the drive home of a winner that
    /// stands at its station, from the call, at once with its drive there
    /// (the two walks' loads overlap), for [`Router::path_home_of`]: for a
    /// caller that will send most units home from their calls, as the
    /// engine does. Off by default.
    pub fn walk_homes_early(&mut self, on: bool) {
        self.early_homes = on;
    }

    /// As [`Router::path_home`] for `unit`: the drive walked with its drive
    /// to the call when it left its station, if it is from `from`.
    pub fn path_home_of(
        &mut self,
        net: &Network,
        unit: u32,
        from: NodeId,
        station: u32,
        home: NodeId,
    ) -> Vec<EdgeId> {
        if let Some(h) = self.homes.get_mut(unit as usize) {
            if h.0 == from {
                h.0 = NodeId(u32::MAX);
                let spare = self.spare.pop().unwrap_or_default();
                return std::mem::replace(&mut h.1, spare);
            }
        }
        self.path_home(net, from, station, home)
    }

    /// Ask for what a route along `unit`'s drive home walked early from
    /// `from` ([`Router::path_home_of`]) reads: each edge's weight, and
    /// where the drive ends.
    #[inline]
    pub fn prefetch_home_of(&self, net: &Network, unit: u32, from: NodeId) {
        if let Some((at, path)) = self.homes.get(unit as usize) {
            if *at == from {
                for &e in path {
                    crate::routing::prefetch(&net.fwd.w[e.idx()]);
                }
                if let Some(e) = path.last() {
                    crate::routing::prefetch(&net.fwd.head[e.idx()]);
                }
            }
        }
    }

    /// Ask for what [`Router::path_to_waypoint`] from `from` to waypoint
    /// `wp` of loop `patrol` reads first, ahead of it.
    #[inline]
    pub fn prefetch_waypoint(&self, from: NodeId, patrol: u32, wp: u32) {
        if let Kind::Fast(f) = &self.kind {
            f.prefetch_fixed(from, Fixed::Waypoint(patrol, wp));
        }
    }

    /// The drive from `from` to waypoint `wp` of loop `patrol`, at node `to`.
    pub fn path_to_waypoint(
        &mut self,
        net: &Network,
        from: NodeId,
        patrol: u32,
        wp: u32,
        to: NodeId,
    ) -> Vec<EdgeId> {
        self.path_to_fixed(net, from, Fixed::Waypoint(patrol, wp), to)
    }

    /// The drive from `from` to a place the fast router prepared for, at `to`.
    fn path_to_fixed(
        &mut self,
        net: &Network,
        from: NodeId,
        fixed: Fixed,
        to: NodeId,
    ) -> Vec<EdgeId> {
        let mut out = self.buffer();
        match &mut self.kind {
            Kind::Fast(f) if from != to => f.path_to_fixed(net, from, fixed, &mut out),
            _ => self.path_into(net, from, to, &mut out),
        }
        out
    }

    fn path_into(&mut self, net: &Network, from: NodeId, to: NodeId, out: &mut Vec<EdgeId>) {
        out.clear();
        if from == to {
            return;
        }
        match &mut self.kind {
            Kind::Plain(p) => {
                p.search.start(Direction::Forward);
                p.search.add_source(from, 0);
                // Networks are strongly connected: `to` is always reached.
                p.search.run_to(net, to);
                out.extend(p.search.path(net, to));
            }
            Kind::Fast(f) => f.path(from, to, out),
        }
    }

    /// Which of `targets` is reached first from `from` (ties: the lower
    /// node index, then the lower position in `targets`), and the path there.
    pub fn nearest_of(
        &mut self,
        net: &Network,
        from: NodeId,
        targets: &[NodeId],
    ) -> Option<(usize, Vec<EdgeId>)> {
        let best = match &mut self.kind {
            Kind::Plain(p) => {
                let mut found = None;
                p.search.start(Direction::Forward);
                p.search.add_source(from, 0);
                p.search.run(net, |v, _| {
                    if let Some(i) = targets.iter().position(|&n| n == v) {
                        found = Some(i);
                        Step::Stop
                    } else {
                        Step::Continue
                    }
                });
                found
            }
            Kind::Fast(f) => f.nearest_of(from, targets),
        }?;
        Some((best, self.path(net, from, targets[best])))
    }
}

impl Plain {
    fn nearest(
        &mut self,
        v: View<'_>,
        t: f64,
        target: NodeId,
        priority: u8,
    ) -> (Option<Cost>, usize) {
        let net = v.net;
        self.cands.clear();
        for (i, u) in v.units.iter().enumerate() {
            if u.available() && u.takes(priority) {
                let (node, rem_s) = u.locate(net, v.loops, t).next(net);
                self.cands.push(Cand {
                    node: node.0,
                    unit: i as u32,
                    rem_s,
                });
            }
        }
        if self.cands.is_empty() {
            return (None, 0);
        }
        self.cands.sort_by_key(|c| (c.node, c.unit));
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.mark.iter_mut().for_each(|x| *x = 0);
            self.gen = 1;
        }
        let mut nodes_left = 0usize;
        for (i, c) in self.cands.iter().enumerate() {
            let n = c.node as usize;
            if self.mark[n] != self.gen {
                self.mark[n] = self.gen;
                self.slot[n] = i as u32;
                nodes_left += 1;
            }
        }
        let mut best: Option<Cost> = None;
        let (cands, mark, slot, gen) = (&self.cands, &self.mark, &self.slot, self.gen);
        self.search.start(Direction::Backward);
        self.search.add_source(target, 0);
        self.search.run(net, |x, d| {
            // No unit whose next node is this far can do better.
            if best.is_some_and(|b| weight_s(d) > b.total_s) {
                return Step::Stop;
            }
            let xi = x.idx();
            if mark[xi] == gen {
                let mut i = slot[xi] as usize;
                while i < cands.len() && cands[i].node == x.0 {
                    let c = Cost::new(cands[i].rem_s, d, cands[i].unit);
                    if c.beats(&best) {
                        best = Some(c);
                    }
                    i += 1;
                }
                nodes_left -= 1;
                if nodes_left == 0 {
                    return Step::Stop;
                }
            }
            Step::Continue
        });
        (best, self.search.settled_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::units::Route;

    fn returning(dest: u32, arrive: f64) -> UnitState {
        UnitState::Returning {
            route: Route {
                t0: 0.0,
                start: Some(NodeId(0)),
                edges: vec![EdgeId(0)],
                t_end: vec![arrive],
                dest: NodeId(dest),
            },
        }
    }

    #[test]
    fn a_new_drive_of_a_moving_unit_moves_its_end_in_the_index() {
        let mut units = vec![Unit::at_station(0, NodeId(0)); 3];
        let mut avail = Avail::of(&units, 1, 0);
        units[2].state = returning(7, 40.0);
        avail.set(2, &units[2]);
        units[1].state = returning(5, 30.0);
        avail.set(1, &units[1]);
        assert_eq!(avail.moving, vec![1, 2]);
        assert_eq!(avail.moving_to, vec![(NodeId(5), 30.0), (NodeId(7), 40.0)]);
        assert_eq!(avail.moving_from, vec![(NodeId(0), 0.0); 2]);
        // Same class, another drive: the index follows.
        units[2].state = returning(9, 90.0);
        avail.set(2, &units[2]);
        assert_eq!(avail.moving_to, vec![(NodeId(5), 30.0), (NodeId(9), 90.0)]);
        units[1].state = UnitState::Idle;
        avail.set(1, &units[1]);
        assert_eq!(avail.moving, vec![2]);
        assert_eq!(avail.moving_to, vec![(NodeId(9), 90.0)]);
        assert_eq!(avail.moving_from.len(), 1);
        // A drive begun part-way along an edge has no start to bound it by.
        if let UnitState::Returning { route } = &mut units[2].state {
            (route.start, route.t0) = (None, 70.0);
        }
        avail.set(2, &units[2]);
        assert!(avail.moving_from[0].0 == NO_START.0 && avail.moving_from[0].1.is_nan());
        units[2].state = returning(9, 90.0);
        avail.set(2, &units[2]);
        assert_eq!(avail.moving_from, vec![(NodeId(0), 0.0)]);
        assert_eq!(avail.idle[0], vec![0, 1]);
        // Positions of drive ends when the nodes' positions are given.
        let xy: Vec<[f64; 2]> = (0..10).map(|i| [f64::from(i), 1.0]).collect();
        units[1].state = returning(5, 50.0);
        avail.set_at(1, &units[1], &xy);
        assert!(avail.moving_xy[1][0].is_nan());
        assert_eq!(avail.moving_xy[0], [5.0, 1.0]);
        units[2].state = returning(3, 60.0);
        avail.set_at(2, &units[2], &xy);
        assert_eq!(avail.moving_xy, vec![[5.0, 1.0], [3.0, 1.0]]);
    }

    #[test]
    fn loops_take_a_priority_only_while_a_unit_taking_it_drives_one() {
        let mut units = vec![Unit::at_station(0, NodeId(0)); 2];
        for (u, max) in units.iter_mut().zip([1, 3]) {
            u.patrol = Some(0);
            u.max_priority = max;
        }
        let mut avail = Avail::of(&units, 1, 1);
        assert!(!avail.looping_takes(1));
        let looping = UnitState::Looping {
            since: 0.0,
            phase_s: 0.0,
        };
        units[0].state = looping.clone();
        avail.set(0, &units[0]);
        assert!(avail.looping_takes(1) && !avail.looping_takes(2));
        units[1].state = looping;
        avail.set(1, &units[1]);
        assert!(avail.looping_takes(3) && !avail.looping_takes(4));
        units[1].state = returning(4, 10.0);
        avail.set(1, &units[1]);
        assert!(avail.looping_takes(1) && !avail.looping_takes(2));
        units[0].state = UnitState::Idle;
        avail.set(0, &units[0]);
        assert!(!avail.looping_takes(1));
    }
}
