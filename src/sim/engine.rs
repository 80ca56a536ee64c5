//! The discrete-event engine: the station-based dispatch model of `docs/model.md`.
//!
//! Calls become dispatchable `call_handling_s` after they arrive and are
//! merged into the event stream in time order (they take sequence numbers
//! below every unit event, so at equal times a call comes first). Unit events
//! go through the [`EventQueue`]. Every state change is emitted to an
//! [`Observer`].

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::dispatch::{Choice, Dispatcher};
use super::events::{Observer, SimEvent};
use super::queue::EventQueue;
use super::units::{Loc, Route, Unit, UnitState};
use crate::demand::Call;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::routing::{Direction, Search, Tree};
use crate::scenario::Scenario;

/// Per-scenario precomputation shared by every replication: each station's
/// shortest-path tree towards it (the way home from any node).
pub struct Prepared {
    home_trees: Vec<Tree>,
}

impl Prepared {
    /// Grow one backward tree per station, in parallel.
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
        Prepared { home_trees }
    }
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Arrive { unit: u32 },
    Clear { unit: u32 },
    Home { unit: u32, epoch: u32 },
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
    waiting: BinaryHeap<Reverse<Waiting>>,
    dispatcher: Dispatcher,
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
            .unit_stations()
            .into_iter()
            .map(|s| Unit {
                station: s as u32,
                home: scn.stations[s].node,
                state: UnitState::Idle,
                epoch: 0,
            })
            .collect();
        Engine {
            net: &scn.net,
            calls,
            handling_s: scn.call_handling_s,
            prepared,
            units,
            queue: EventQueue::new(calls.len() as u64),
            waiting: BinaryHeap::new(),
            dispatcher: Dispatcher::new(scn.net.node_count()),
            obs,
        }
    }

    /// Run until every call has been served; returns the observer.
    pub fn run(mut self) -> Result<O> {
        let mut next_call = 0usize;
        loop {
            let call_key = self
                .calls
                .get(next_call)
                .map(|c| (c.time_s + self.handling_s, next_call as u64));
            let ev_key = self.queue.peek_key();
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
                }
            }
        }
        if let Some(w) = self.waiting.peek() {
            return Err(internal(format!("call {} was never served", w.0.id)));
        }
        Ok(self.obs)
    }

    fn call_ready(&mut self, call: u32, t: f64) -> Result<()> {
        let node = self.calls[call as usize].node;
        match self.dispatcher.nearest(self.net, &self.units, t, node) {
            Some(choice) => self.dispatch(choice, call, t, false),
            None => {
                let c = &self.calls[call as usize];
                self.waiting.push(Reverse(Waiting {
                    priority: c.priority,
                    time_s: c.time_s,
                    id: c.id,
                    call,
                }));
                self.obs.event(t, &SimEvent::Queued { call });
                Ok(())
            }
        }
    }

    fn dispatch(&mut self, choice: Choice, call: u32, t: f64, from_queue: bool) -> Result<()> {
        let route = Route::from_loc(self.net, t, choice.loc, choice.path);
        let arrival = route.arrival();
        let u = &mut self.units[choice.unit as usize];
        u.state = UnitState::Responding { call, route };
        u.epoch = u.epoch.wrapping_add(1);
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
        if let Some(Reverse(w)) = self.waiting.pop() {
            let target = self.calls[w.call as usize].node;
            let choice = self
                .dispatcher
                .route_one(self.net, unit, Loc::AtNode(scene), target)
                .ok_or_else(|| internal(format!("no path for unit {unit} to call {}", w.id)))?;
            return self.dispatch(choice, w.call, t, true);
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
        u.state = UnitState::Returning { route };
        let epoch = u.epoch;
        self.obs.event(t, &SimEvent::Returning { unit });
        self.queue
            .schedule(at, Ev::Home { unit, epoch })
            .map_err(internal)
    }

    fn home(&mut self, unit: u32, epoch: u32, t: f64) {
        let u = &mut self.units[unit as usize];
        if u.epoch == epoch && matches!(u.state, UnitState::Returning { .. }) {
            u.state = UnitState::Idle;
            self.obs.event(t, &SimEvent::Home { unit });
        }
    }
}
