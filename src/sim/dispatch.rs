//! Choosing the unit for a call.
//!
//! [`Dispatcher::nearest`] finds the available unit with the smallest travel
//! time to a call's node. It runs one backward Dijkstra from the call node
//! over the reverse graph; a unit's travel time is the time left on its
//! current edge plus the shortest time from that edge's head. The search stops
//! as soon as the settled time exceeds the best candidate found (no unit
//! farther away can win, since the time left on an edge is never negative) or
//! every candidate node has been settled. Ties go to the lowest unit index.
//! All buffers are reused between calls.

use super::units::{Loc, Unit};
use crate::network::{EdgeId, Network, NodeId};
use crate::routing::{Direction, Search, Step};

/// A unit that could take the call.
#[derive(Clone, Copy, Debug)]
struct Cand {
    node: u32,
    unit: u32,
    rem_s: f64,
    loc: Loc,
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

/// Reusable state for dispatch queries on one network.
pub struct Dispatcher {
    search: Search,
    cands: Vec<Cand>,
    mark: Vec<u32>,
    slot: Vec<u32>,
    gen: u32,
}

impl Dispatcher {
    /// Buffers for a network of `n` nodes.
    pub fn new(n: usize) -> Dispatcher {
        Dispatcher {
            search: Search::new(n),
            cands: Vec::new(),
            mark: vec![0; n],
            slot: vec![0; n],
            gen: 0,
        }
    }

    /// Nodes settled by the last query (a cost measure).
    pub fn last_settled(&self) -> usize {
        self.search.settled_count()
    }

    /// The available unit, among those that take calls of `priority`, that
    /// reaches `target` first at time `t`, if any.
    pub fn nearest(
        &mut self,
        net: &Network,
        units: &[Unit],
        t: f64,
        target: NodeId,
        priority: u8,
    ) -> Option<Choice> {
        self.cands.clear();
        for (i, u) in units.iter().enumerate() {
            if u.available() && u.takes(priority) {
                let loc = u.locate(net, t);
                let (node, rem_s) = loc.next(net);
                self.cands.push(Cand {
                    node: node.0,
                    unit: i as u32,
                    rem_s,
                    loc,
                });
            }
        }
        self.best_of_cands(net, target)
    }

    /// The travel of one given unit (at `loc`) to `target`.
    pub fn route_one(
        &mut self,
        net: &Network,
        unit: u32,
        loc: Loc,
        target: NodeId,
    ) -> Option<Choice> {
        self.cands.clear();
        let (node, rem_s) = loc.next(net);
        self.cands.push(Cand {
            node: node.0,
            unit,
            rem_s,
            loc,
        });
        self.best_of_cands(net, target)
    }

    fn best_of_cands(&mut self, net: &Network, target: NodeId) -> Option<Choice> {
        if self.cands.is_empty() {
            return None;
        }
        self.cands.sort_by_key(|c| (c.node, c.unit));
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.mark.iter_mut().for_each(|x| *x = 0);
            self.gen = 1;
        }
        let mut nodes_left = 0usize;
        for (i, c) in self.cands.iter().enumerate() {
            let v = c.node as usize;
            if self.mark[v] != self.gen {
                self.mark[v] = self.gen;
                self.slot[v] = i as u32;
                nodes_left += 1;
            }
        }
        let mut best: Option<(f64, u32, usize)> = None; // (cost, unit, cand index)
        let (cands, mark, slot, gen) = (&self.cands, &self.mark, &self.slot, self.gen);
        self.search.start(Direction::Backward);
        self.search.add_source(target, 0.0);
        self.search.run(net, |v, d| {
            if let Some((b, _, _)) = best {
                if d > b {
                    return Step::Stop;
                }
            }
            let vi = v.idx();
            if mark[vi] == gen {
                let mut i = slot[vi] as usize;
                while i < cands.len() && cands[i].node == v.0 {
                    let c = &cands[i];
                    let cost = c.rem_s + d;
                    let better = match best {
                        None => true,
                        Some((b, bu, _)) => cost < b || (cost == b && c.unit < bu),
                    };
                    if better {
                        best = Some((cost, c.unit, i));
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
        let (cost, unit, i) = best?;
        let c = self.cands[i];
        Some(Choice {
            unit,
            loc: c.loc,
            travel_s: cost,
            path: self.search.path(net, NodeId(c.node)),
        })
    }
}
