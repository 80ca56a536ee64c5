//! The discrete-event engine: the station-based dispatch model of `docs/model.md`.
//!
//! Calls become dispatchable `call_handling_s` after they arrive and are
//! merged into the event stream in time order (they take sequence numbers
//! below every unit event, so at equal times a call comes first). Unit events
//! go through the [`EventQueue`]. Every state change is emitted to an
//! [`Observer`].

use std::cmp::Ordering;
use std::collections::BTreeSet;

use rayon::prelude::*;

use super::dispatch::{Choice, Dispatcher};
use super::events::{Observer, SimEvent};
use super::patrol::LoopPlan;
use super::queue::EventQueue;
use super::units::{Loc, Route, Unit, UnitState};
use crate::demand::Call;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::routing::{Direction, Search, Step, Tree};
use crate::scenario::Rejoin;
use crate::scenario::Scenario;

/// Per-scenario precomputation shared by every replication: each station's
/// shortest-path tree towards it (the way home from any node) and each
/// patrol loop's legs.
pub struct Prepared {
    home_trees: Vec<Tree>,
    /// The loops, in the scenario's patrol order.
    pub loops: Vec<LoopPlan>,
}

impl Prepared {
    /// Grow one backward tree per station and plan every loop, in parallel.
    pub fn new(scn: &Scenario) -> Prepared {
        let net = &scn.net;
        let home_trees = scn
            .stations
            .par_iter()
            .map_init(
                || Search::new(net.node_count()),
                |search, s| Tree::grow(net, search, s.node, Direction::Backward),
            )
            .collect();
        let loops = scn
            .patrols
            .par_iter()
            .map_init(
                || Search::new(net.node_count()),
                |search, p| LoopPlan::new(net, search, p),
            )
            .collect();
        Prepared { home_trees, loops }
    }
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Arrive { unit: u32 },
    Clear { unit: u32 },
    Home { unit: u32, epoch: u32 },
    Waypoint { unit: u32, epoch: u32 },
}

/// Order of the waiting queue: priority, then call time, then id.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    priority: u8,
    time_s: f64,
    id: u64,
    call: u32,
}

impl PartialEq for Waiting {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Waiting {}
impl PartialOrd for Waiting {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Waiting {
    fn cmp(&self, o: &Self) -> Ordering {
        self.priority
            .cmp(&o.priority)
            .then(self.time_s.total_cmp(&o.time_s))
            .then(self.id.cmp(&o.id))
            .then(self.call.cmp(&o.call))
    }
}

/// One run of the model over a list of calls.
pub struct Engine<'a, O: Observer> {
    net: &'a Network,
    calls: &'a [Call],
    handling_s: f64,
    prepared: &'a Prepared,
    units: Vec<Unit>,
    queue: EventQueue<Ev>,
    waiting: BTreeSet<Waiting>,
    dispatcher: Dispatcher,
    search: Search,
    rejoin: Vec<Rejoin>,
    /// Units responding to or on scene at a call.
    busy: usize,
    horizon_s: f64,
    /// The observer, handed back by [`Engine::run`].
    pub obs: O,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

impl<'a, O: Observer> Engine<'a, O> {
    /// An engine for `calls` (sorted by time, then id) under `scn`.
    pub fn new(scn: &'a Scenario, prepared: &'a Prepared, calls: &'a [Call], obs: O) -> Self {
        let units = scn
            .units()
            .into_iter()
            .map(|u| Unit {
                patrol: u.patrol.map(|p| p as u32),
                max_priority: u.patrol.map_or(u8::MAX, |p| scn.patrols[p].max_priority),
                ..Unit::at_station(u.station as u32, scn.stations[u.station].node)
            })
            .collect();
        Engine {
            net: &scn.net,
            calls,
            handling_s: scn.call_handling_s,
            prepared,
            units,
            queue: EventQueue::new(calls.len() as u64),
            waiting: BTreeSet::new(),
            dispatcher: Dispatcher::new(scn.net.node_count()),
            search: Search::new(scn.net.node_count()),
            rejoin: scn.patrols.iter().map(|p| p.rejoin).collect(),
            busy: 0,
            horizon_s: scn.sim.horizon_s,
            obs,
        }
    }

    /// Put the patrol units on their loops: the `j`-th of `n` units of a
    /// loop starts `j / n` of a lap past waypoint 0, already driving.
    fn start_patrols(&mut self) -> Result<()> {
        let mut seen = vec![0u32; self.prepared.loops.len()];
        let mut count = vec![0u32; self.prepared.loops.len()];
        for u in &self.units {
            if let Some(p) = u.patrol {
                count[p as usize] += 1;
            }
        }
        for unit in 0..self.units.len() {
            let Some(p) = self.units[unit].patrol else {
                continue;
            };
            let plan = &self.prepared.loops[p as usize];
            let n = count[p as usize];
            let j = seen[p as usize];
            seen[p as usize] += 1;
            if plan.is_post() {
                // Put it at its post: a drive of no length ends there.
                let route = Route::from_node(self.net, 0.0, plan.nodes[0], Vec::new());
                self.obs.route(0.0, unit as u32, &route);
                self.post(unit as u32, p, 0, 0.0);
                continue;
            }
            let (leg, into) = plan.at_offset(plan.lap_s * j as f64 / n as f64);
            let route = Route::from_node(self.net, -into, plan.nodes[leg], plan.legs[leg].clone());
            self.drive_loop(unit as u32, route, ((leg + 1) % plan.len()) as u32, 0.0)?;
        }
        Ok(())
    }

    /// Set a patrol unit driving `route` towards waypoint `wp`.
    fn drive_loop(&mut self, unit: u32, route: Route, wp: u32, t: f64) -> Result<()> {
        let at = route.arrival().max(t);
        self.obs.route(t, unit, &route);
        let u = &mut self.units[unit as usize];
        u.epoch = u.epoch.wrapping_add(1);
        u.state = UnitState::Patrolling { route, wp };
        let epoch = u.epoch;
        self.queue
            .schedule(at, Ev::Waypoint { unit, epoch })
            .map_err(internal)
    }

    /// A unit stands at the post of a loop that takes no time to drive.
    fn post(&mut self, unit: u32, patrol: u32, wp: u32, t: f64) {
        let node = self.prepared.loops[patrol as usize].nodes[wp as usize];
        self.units[unit as usize].state = UnitState::Posted { wp, node };
        self.obs.event(
            t,
            &SimEvent::PatrolPass {
                unit,
                patrol,
                waypoint: wp,
            },
        );
    }

    /// A patrol unit reached waypoint `wp`: record the pass, drive the next leg.
    fn waypoint(&mut self, unit: u32, epoch: u32, t: f64) -> Result<()> {
        let u = &self.units[unit as usize];
        let (UnitState::Patrolling { wp, .. }, Some(p)) = (&u.state, u.patrol) else {
            return Ok(());
        };
        if u.epoch != epoch {
            return Ok(());
        }
        let wp = *wp;
        let plan = &self.prepared.loops[p as usize];
        if plan.is_post() {
            self.post(unit, p, wp, t);
            return Ok(());
        }
        self.obs.event(
            t,
            &SimEvent::PatrolPass {
                unit,
                patrol: p,
                waypoint: wp,
            },
        );
        let next = (wp as usize + 1) % plan.len();
        let route = Route::from_node(
            self.net,
            t,
            plan.nodes[wp as usize],
            plan.legs[wp as usize].clone(),
        );
        self.drive_loop(unit, route, next as u32, t)
    }

    /// Run until every call has been served and the horizon is reached
    /// (patrols drive on for ever; they are not followed past that point);
    /// returns the observer.
    pub fn run(mut self) -> Result<O> {
        self.start_patrols()?;
        let mut next_call = 0usize;
        loop {
            let call_key = self
                .calls
                .get(next_call)
                .map(|c| (c.time_s + self.handling_s, next_call as u64));
            let ev_key = self.queue.peek_key();
            if call_key.is_none()
                && self.busy == 0
                && self.waiting.is_empty()
                && ev_key.is_none_or(|(t, _)| t > self.horizon_s)
            {
                break;
            }
            let take_call = match (call_key, ev_key) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)) == Ordering::Less,
            };
            if take_call {
                let t = call_key.map(|k| k.0).unwrap_or_default();
                self.queue.advance(t).map_err(internal)?;
                self.call_ready(next_call as u32, t)?;
                next_call += 1;
            } else if let Some((t, ev)) = self.queue.pop() {
                match ev {
                    Ev::Arrive { unit } => self.arrive(unit, t)?,
                    Ev::Clear { unit } => self.clear(unit, t)?,
                    Ev::Home { unit, epoch } => self.home(unit, epoch, t),
                    Ev::Waypoint { unit, epoch } => self.waypoint(unit, epoch, t)?,
                }
            }
        }
        if let Some(w) = self.waiting.first() {
            return Err(internal(format!("call {} was never served", w.id)));
        }
        Ok(self.obs)
    }

    fn call_ready(&mut self, call: u32, t: f64) -> Result<()> {
        let (node, priority) = {
            let c = &self.calls[call as usize];
            (c.node, c.priority)
        };
        match self
            .dispatcher
            .nearest(self.net, &self.units, t, node, priority)
        {
            Some(choice) => self.dispatch(choice, call, t, false),
            None => {
                let c = &self.calls[call as usize];
                self.waiting.insert(Waiting {
                    priority: c.priority,
                    time_s: c.time_s,
                    id: c.id,
                    call,
                });
                self.obs.event(t, &SimEvent::Queued { call });
                Ok(())
            }
        }
    }

    fn dispatch(&mut self, choice: Choice, call: u32, t: f64, from_queue: bool) -> Result<()> {
        let route = Route::from_loc(self.net, t, choice.loc, choice.path);
        let arrival = route.arrival();
        self.obs.route(t, choice.unit, &route);
        let u = &mut self.units[choice.unit as usize];
        match (&u.state, u.patrol) {
            (UnitState::Patrolling { wp, .. }, Some(_)) => u.resume_wp = *wp,
            (UnitState::Posted { wp, .. }, Some(p)) => {
                u.resume_wp = *wp;
                let ev = SimEvent::PatrolLeave {
                    unit: choice.unit,
                    patrol: p,
                    waypoint: *wp,
                };
                self.obs.event(t, &ev);
            }
            _ => {}
        }
        let u = &mut self.units[choice.unit as usize];
        u.state = UnitState::Responding { call, route };
        u.epoch = u.epoch.wrapping_add(1);
        self.busy += 1;
        self.queue
            .schedule(arrival, Ev::Arrive { unit: choice.unit })
            .map_err(internal)?;
        self.obs.event(
            t,
            &SimEvent::Dispatched {
                call,
                unit: choice.unit,
                travel_s: arrival - t,
                from_queue,
            },
        );
        Ok(())
    }

    fn arrive(&mut self, unit: u32, t: f64) -> Result<()> {
        let u = &mut self.units[unit as usize];
        let (call, node) = match &u.state {
            UnitState::Responding { call, route } => (*call, route.dest),
            s => return Err(internal(format!("unit {unit} arrived while {s:?}"))),
        };
        u.state = UnitState::OnScene { call, node };
        self.obs.event(t, &SimEvent::Arrived { call, unit });
        let service = self.calls[call as usize].service_s;
        self.queue
            .schedule(t + service, Ev::Clear { unit })
            .map_err(internal)
    }

    fn clear(&mut self, unit: u32, t: f64) -> Result<()> {
        let (call, scene) = match self.units[unit as usize].state {
            UnitState::OnScene { call, node } => (call, node),
            ref s => return Err(internal(format!("unit {unit} cleared while {s:?}"))),
        };
        self.obs.event(t, &SimEvent::Cleared { call, unit });
        self.busy -= 1;
        // The first waiting call, in queue order, that this unit takes.
        let max = self.units[unit as usize].max_priority;
        let next = self.waiting.iter().find(|w| w.priority <= max).copied();
        if let Some(w) = next {
            self.waiting.remove(&w);
            let target = self.calls[w.call as usize].node;
            let choice = self
                .dispatcher
                .route_one(self.net, unit, Loc::AtNode(scene), target)
                .ok_or_else(|| internal(format!("no path for unit {unit} to call {}", w.id)))?;
            return self.dispatch(choice, w.call, t, true);
        }
        if let Some(p) = self.units[unit as usize].patrol {
            return self.rejoin(unit, p, scene, t);
        }
        let u = &mut self.units[unit as usize];
        let tree = &self.prepared.home_trees[u.station as usize];
        let path = tree.path(self.net, scene);
        if path.is_empty() {
            u.state = UnitState::Idle;
            self.obs.event(t, &SimEvent::Home { unit });
            return Ok(());
        }
        let route = Route::from_node(self.net, t, scene, path);
        let at = route.arrival();
        self.obs.route(t, unit, &route);
        let u = &mut self.units[unit as usize];
        u.state = UnitState::Returning { route };
        let epoch = u.epoch;
        self.obs.event(t, &SimEvent::Returning { unit });
        self.queue
            .schedule(at, Ev::Home { unit, epoch })
            .map_err(internal)
    }

    /// A patrol unit heads back to its loop after a call.
    fn rejoin(
        &mut self,
        unit: u32,
        patrol: u32,
        scene: crate::network::NodeId,
        t: f64,
    ) -> Result<()> {
        let plan = &self.prepared.loops[patrol as usize];
        let (wp, path) = match self.rejoin[patrol as usize] {
            Rejoin::Resume => {
                let wp = self.units[unit as usize].resume_wp;
                let target = plan.nodes[wp as usize];
                let choice = self
                    .dispatcher
                    .route_one(self.net, unit, Loc::AtNode(scene), target)
                    .ok_or_else(|| internal(format!("unit {unit} cannot reach its loop")))?;
                (wp, choice.path)
            }
            Rejoin::Nearest => {
                // The first waypoint node settled from the scene; ties go to
                // the lowest waypoint index at that node.
                let nodes = &plan.nodes;
                let mut found = None;
                self.search.start(Direction::Forward);
                self.search.add_source(scene, 0.0);
                self.search.run(self.net, |v, _| {
                    if let Some(i) = nodes.iter().position(|&n| n == v) {
                        found = Some((i as u32, v));
                        Step::Stop
                    } else {
                        Step::Continue
                    }
                });
                let (wp, v) =
                    found.ok_or_else(|| internal(format!("unit {unit} cannot reach its loop")))?;
                (wp, self.search.path(self.net, v))
            }
        };
        self.obs.event(
            t,
            &SimEvent::Rejoining {
                unit,
                patrol,
                waypoint: wp,
            },
        );
        let route = Route::from_node(self.net, t, scene, path);
        self.drive_loop(unit, route, wp, t)
    }

    fn home(&mut self, unit: u32, epoch: u32, t: f64) {
        let u = &mut self.units[unit as usize];
        if u.epoch == epoch && matches!(u.state, UnitState::Returning { .. }) {
            u.state = UnitState::Idle;
            self.obs.event(t, &SimEvent::Home { unit });
        }
    }
}
