//! The simulation: event queue, units, dispatch, patrol loops and the engine.
//!
//! [`run`] is the one-call entry point: draw the calls of a replication,
//! run the engine with a [`Recorder`] and a [`Presence`] observer, and
//! return the [`Outcome`]. [`run_traced`] does the same and also returns a
//! [`Trace`] of every unit's movements, for animation.

pub mod dispatch;
pub mod engine;
pub mod events;
pub mod patrol;
pub mod queue;
pub mod units;

pub use engine::{Engine, Prepared};

use crate::demand::Call;
use crate::error::Result;
use crate::metrics::presence::Presence;
use crate::metrics::{Outcome, Recorder};
use crate::scenario::Scenario;
use crate::trace::{Trace, TraceRecorder};
use events::Observer;

/// Simulate replication `rep` of a scenario.
pub fn run(scn: &Scenario, prepared: &Prepared, rep: u64) -> Result<Outcome> {
    simulate(scn, prepared, rep, |_| ()).map(|(outcome, ())| outcome)
}

/// Simulate replication `rep` of a scenario as [`run`] does, and also record
/// a [`Trace`] (where every unit was, doing what, and when every call was
/// open) for replay and animation. The outcome is the one [`run`] returns.
pub fn run_traced(scn: &Scenario, prepared: &Prepared, rep: u64) -> Result<(Outcome, Trace)> {
    let (outcome, rec) = simulate(scn, prepared, rep, |calls| {
        let units = scn.units();
        let homes = units.iter().map(|u| scn.stations[u.station].node).collect();
        let patrol = units.iter().map(|u| u.patrol.is_some()).collect();
        let spans: Vec<_> = calls.iter().map(|c| (c.time_s, c.node)).collect();
        TraceRecorder::new(homes, patrol, &spans)
    })?;
    Ok((outcome, rec.finish()))
}

/// Draw the calls of replication `rep`, run the engine with the metrics
/// observers and the extra observer `extra` builds from the calls, and
/// return the outcome with that observer.
fn simulate<O: Observer>(
    scn: &Scenario,
    prepared: &Prepared,
    rep: u64,
    extra: impl FnOnce(&[Call]) -> O,
) -> Result<(Outcome, O)> {
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
    let extra = extra(&calls);
    let ((mut rec, presence), extra) =
        Engine::new(scn, prepared, &calls, ((rec, presence), extra)).run()?;
    let end = rec.clear_s.iter().copied().fold(window.1, f64::max);
    rec.finish(end);
    let presence = presence.finish(end);
    Ok((
        Outcome::new(scn, prepared, &calls, &rec, &presence, rep),
        extra,
    ))
}
