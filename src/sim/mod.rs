//! The simulation: event queue, units, dispatch, patrol loops and the engine.
//!
//! [`run`] is the one-call entry point: draw the calls of a replication,
//! run the engine with a [`Recorder`] and a [`Presence`] observer, and
//! return the [`Outcome`].

pub mod dispatch;
pub mod engine;
pub mod events;
pub mod patrol;
pub mod queue;
pub mod units;

pub use engine::{Engine, Prepared};

use crate::error::Result;
use crate::metrics::presence::Presence;
use crate::metrics::{Outcome, Recorder};
use crate::scenario::Scenario;

/// Simulate replication `rep` of a scenario.
pub fn run(scn: &Scenario, prepared: &Prepared, rep: u64) -> Result<Outcome> {
    let calls = scn
        .demand
        .calls(&scn.service, scn.sim.seed, rep, scn.sim.horizon_s);
    let window = (scn.sim.warmup_s, scn.sim.horizon_s);
    let rec = Recorder::new(
        calls.len(),
        scn.unit_count(),
        window.0,
        window.1,
        prepared.loops.iter().map(|l| l.hotspots.clone()).collect(),
        prepared.loops.iter().map(|l| l.is_post()).collect(),
        scn.hotspots.len(),
    );
    let homes: Vec<u32> = scn
        .units()
        .iter()
        .map(|u| scn.stations[u.station].node.0)
        .collect();
    let hotspot_nodes: Vec<u32> = scn.hotspots.iter().map(|h| h.node.0).collect();
    let presence = Presence::new(
        &scn.net,
        &hotspot_nodes,
        &homes,
        scn.targets.presence_radius_m,
        window,
    );
    let (mut rec, presence) = Engine::new(scn, prepared, &calls, (rec, presence)).run()?;
    let end = rec.clear_s.iter().copied().fold(window.1, f64::max);
    rec.finish(end);
    let presence = presence.finish(end);
    Ok(Outcome::new(scn, prepared, &calls, &rec, &presence, rep))
}
