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

use super::dispatch::{Avail, Choice, FastIndex, Router, RouterKind, View, TABLE_MAX_ENTRIES};
use super::events::{Observer, SimEvent};
use super::patrol::LoopPlan;
use super::queue::EventQueue;
use super::units::{Loc, Route, Unit, UnitState};
use crate::demand::Call;
use crate::error::{Error, Result};
use crate::metrics::presence::PresenceMap;
use crate::network::EdgeId;
use crate::network::{Network, NodeId};
use crate::routing::ch::Ch;
use crate::routing::Search;
use crate::scenario::Rejoin;
use crate::scenario::Scenario;

/// Per-scenario precomputation shared by every replication: each patrol
/// loop's legs and, for the fast router, the contraction hierarchy (loaded
/// from its cache when there is one) and the buckets of stations and loops.
pub struct Prepared {
    /// The loops, in the scenario's patrol order.
    pub loops: Vec<LoopPlan>,
    /// The fast router's index (`None` with the plain router).
    pub fast: Option<FastIndex>,
    /// Where units are near hotspots, for the presence of every run.
    pub presence: PresenceMap,
}

impl Prepared {
    /// Plan every loop and build the scenario's router index and presence's map.
    pub fn new(scn: &Scenario) -> Prepared {
        Prepared::with_router(scn, scn.router)
    }

    /// As [`Prepared::new`], with the router chosen here rather than by the scenario.
    pub fn with_router(scn: &Scenario, router: RouterKind) -> Prepared {
        Prepared::with_options(scn, router, TABLE_MAX_ENTRIES)
    }

    /// As [`Prepared::with_router`], with the fast router's table limit
    /// (see [`FastIndex::with_table_limit`]; 0 keeps every source in buckets).
    pub fn with_options(scn: &Scenario, router: RouterKind, table_max_entries: usize) -> Prepared {
        let net = &scn.net;
        let loops: Vec<LoopPlan> = scn
            .patrols
            .par_iter()
            .map_init(
                || Search::new(net.node_count()),
                |search, p| LoopPlan::new(net, search, p),
            )
            .collect();
        let fast = (router == RouterKind::Ch).then(|| {
            let ch = Ch::load_or_build(net, scn.ch_cache.as_deref());
            let stations: Vec<NodeId> = scn.stations.iter().map(|s| s.node).collect();
            FastIndex::with_table_limit(net, ch, &stations, &loops, table_max_entries)
        });
        // After the index, so that the two builds' scratch memory does not
        // add up.
        let hotspots: Vec<u32> = scn.hotspots.iter().map(|h| h.node.0).collect();
        let presence = PresenceMap::new(net, &hotspots, &loops, scn.targets.presence_radius_m);
        // What every call reads at scattered places, on huge pages (fewer
        // TLB misses: 7 % less time on the 276k-node city).
        net.prefer_huge_pages();
        if let Some(ix) = &fast {
            ix.prefer_huge_pages();
        }
        // The arrays too small for whole huge pages of their own, in the
        // allocator's heap (6 % less time on Porto's year).
        crate::pages::prefer_huge_heap();
        Prepared {
            loops,
            fast,
            presence,
        }
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
    router: Router<'a>,
    /// Emptied time buffers of finished drives, for reuse.
    spare_times: Vec<Vec<f64>>,
    avail: Avail,
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
        let units: Vec<Unit> = scn
            .units()
            .into_iter()
            .map(|u| Unit {
                patrol: u.patrol.map(|p| p as u32),
                max_priority: u.patrol.map_or(u8::MAX, |p| scn.patrols[p].max_priority),
                ..Unit::at_station(u.station as u32, scn.stations[u.station].node)
            })
            .collect();
        let avail = Avail::of(&units, scn.stations.len(), prepared.loops.len());
        let mut router = match &prepared.fast {
            Some(ix) => Router::fast(ix),
            None => Router::plain(scn.net.node_count()),
        };
        // Station units mostly drive home from their calls.
        router.walk_homes_early(true);
        Engine {
            net: &scn.net,
            calls,
            handling_s: scn.call_handling_s,
            prepared,
            units,
            queue: EventQueue::new(calls.len() as u64),
            waiting: BTreeSet::new(),
            router,
            spare_times: Vec::new(),
            avail,
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
            self.start_looping(unit as u32, p, plan.lap_s * j as f64 / n as f64, 0.0);
        }
        Ok(())
    }

    /// Set a state and keep the availability index in step.
    fn set_state(&mut self, unit: u32, state: UnitState) {
        let u = &mut self.units[unit as usize];
        let old = std::mem::replace(&mut u.state, state);
        self.avail.set_at(unit, u, &self.net.xy);
        // The buffers of a drive that is over serve the next ones.
        if let UnitState::Responding { route, .. }
        | UnitState::Returning { route }
        | UnitState::Patrolling { route, .. } = old
        {
            self.router.recycle(route.edges);
            if self.spare_times.len() < 256 {
                self.spare_times.push(route.t_end);
            }
        }
    }

    /// A route from `loc` at `t` along `path`, with a reused time buffer.
    fn route(&mut self, t: f64, loc: Loc, path: Vec<EdgeId>) -> Route {
        let times = self.spare_times.pop().unwrap_or_default();
        Route::from_loc_reusing(self.net, t, loc, path, times)
    }

    /// A patrol unit drives its loop undisturbed from `t`, `phase_s` into the lap.
    fn start_looping(&mut self, unit: u32, patrol: u32, phase_s: f64, t: f64) {
        let u = &mut self.units[unit as usize];
        u.epoch = u.epoch.wrapping_add(1);
        self.set_state(unit, UnitState::Looping { since: t, phase_s });
        self.obs.looping(t, unit, patrol, phase_s);
    }

    /// Set a patrol unit driving `route` towards waypoint `wp`.
    fn drive_loop(&mut self, unit: u32, route: Route, wp: u32, t: f64) -> Result<()> {
        let at = route.arrival().max(t);
        self.obs.route(t, unit, &route);
        let u = &mut self.units[unit as usize];
        u.epoch = u.epoch.wrapping_add(1);
        let epoch = u.epoch;
        self.set_state(unit, UnitState::Patrolling { route, wp });
        self.queue
            .schedule(at, Ev::Waypoint { unit, epoch })
            .map_err(internal)
    }

    /// A unit stands at the post of a loop that takes no time to drive.
    fn post(&mut self, unit: u32, patrol: u32, wp: u32, t: f64) {
        let node = self.prepared.loops[patrol as usize].nodes[wp as usize];
        self.set_state(unit, UnitState::Posted { wp, node });
        self.obs.event(
            t,
            &SimEvent::PatrolPass {
                unit,
                patrol,
                waypoint: wp,
            },
        );
    }

    /// A patrol unit reached waypoint `wp` at the end of a drive back to its
    /// loop: record the pass and drive the loop on from there.
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
        let phase = plan.wp_offset_s[wp as usize];
        self.start_looping(unit, p, phase, t);
        Ok(())
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
                if let Some(c) = self.calls.get(next_call) {
                    self.router.prefetch(self.net, c.node);
                }
            } else if let Some((t, ev)) = self.queue.pop() {
                self.prefetch_next();
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
        let view = View {
            net: self.net,
            loops: &self.prepared.loops,
            units: &self.units,
            avail: &self.avail,
        };
        match self.router.nearest(view, t, node, priority) {
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
        let route = self.route(t, choice.loc, choice.path);
        let arrival = route.arrival();
        self.obs.route(t, choice.unit, &route);
        let u = &mut self.units[choice.unit as usize];
        match (&u.state, u.patrol) {
            (UnitState::Patrolling { wp, .. }, Some(_)) => u.resume_wp = *wp,
            (UnitState::Looping { since, phase_s }, Some(p)) => {
                let plan = &self.prepared.loops[p as usize];
                u.resume_wp = plan.pos_at(plan.offset_at(*phase_s, *since, t)).next_wp;
            }
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
        u.epoch = u.epoch.wrapping_add(1);
        self.set_state(choice.unit, UnitState::Responding { call, route });
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

    /// Ask for what the next event in the queue will read, while this one
    /// runs: a patrol unit that clears a call next looks its way back to
    /// its loop up from the scene; a station unit times its drive home.
    #[inline]
    fn prefetch_next(&self) {
        if let Some(&Ev::Clear { unit }) = self.queue.peek() {
            let u = &self.units[unit as usize];
            match (&u.state, u.patrol) {
                (UnitState::OnScene { node, .. }, Some(p)) => {
                    if matches!(self.rejoin[p as usize], Rejoin::Resume) {
                        self.router.prefetch_waypoint(*node, p, u.resume_wp);
                    }
                }
                (UnitState::OnScene { node, .. }, None) => {
                    self.router.prefetch_home_of(self.net, unit, *node);
                }
                _ => {}
            }
        }
    }

    fn arrive(&mut self, unit: u32, t: f64) -> Result<()> {
        let u = &self.units[unit as usize];
        let (call, node) = match &u.state {
            UnitState::Responding { call, route } => (*call, route.dest),
            s => return Err(internal(format!("unit {unit} arrived while {s:?}"))),
        };
        self.set_state(unit, UnitState::OnScene { call, node });
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
            let path = self.router.path(self.net, scene, target);
            let travel_s = path.iter().map(|&e| self.net.edge_time(e)).sum();
            let choice = Choice {
                unit,
                loc: Loc::AtNode(scene),
                travel_s,
                path,
            };
            return self.dispatch(choice, w.call, t, true);
        }
        if let Some(p) = self.units[unit as usize].patrol {
            return self.rejoin(unit, p, scene, t);
        }
        let (home, station) = (
            self.units[unit as usize].home,
            self.units[unit as usize].station,
        );
        let path = self
            .router
            .path_home_of(self.net, unit, scene, station, home);
        if path.is_empty() {
            self.set_state(unit, UnitState::Idle);
            self.obs.event(t, &SimEvent::Home { unit });
            return Ok(());
        }
        let route = self.route(t, Loc::AtNode(scene), path);
        let at = route.arrival();
        self.obs.route(t, unit, &route);
        self.set_state(unit, UnitState::Returning { route });
        let epoch = self.units[unit as usize].epoch;
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
                let path = self
                    .router
                    .path_to_waypoint(self.net, scene, patrol, wp, target);
                (wp, path)
            }
            Rejoin::Nearest => {
                // The waypoint reached first from the scene; ties go to the
                // lower node index, then the lower waypoint index.
                let (wp, path) = self
                    .router
                    .nearest_of(self.net, scene, &plan.nodes)
                    .ok_or_else(|| internal(format!("unit {unit} cannot reach its loop")))?;
                (wp as u32, path)
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
        let route = self.route(t, Loc::AtNode(scene), path);
        self.drive_loop(unit, route, wp, t)
    }

    fn home(&mut self, unit: u32, epoch: u32, t: f64) {
        let u = &self.units[unit as usize];
        if u.epoch == epoch && matches!(u.state, UnitState::Returning { .. }) {
            self.set_state(unit, UnitState::Idle);
            self.obs.event(t, &SimEvent::Home { unit });
        }
    }
}
