//! Measuring a run: per-call records, per-unit figures and the summary.
//!
//! [`Recorder`] is an [`Observer`] of the engine's events; it never looks
//! inside the engine. [`Outcome::new`] turns what it saw into the
//! [`CallRecord`]s, [`UnitRecord`]s and the [`Summary`] that the report
//! writes. Only calls that arrive at or after `warmup_s` count; busy time and
//! queue length are measured over `[warmup_s, horizon_s)`. Percentiles use the
//! nearest-rank method, so every figure is the response time of a real call.
//! Patrol figures (lap times, gaps between passes at hotspots) count laps and
//! gaps that begin and end within the window.

pub mod presence;

use serde::Serialize;

use crate::demand::Call;
use crate::scenario::Scenario;
use crate::sim::events::{Observer, SimEvent};
use crate::sim::Prepared;

/// Collects what happens in a run.
#[derive(Clone, Debug)]
pub struct Recorder {
    warmup_s: f64,
    horizon_s: f64,
    /// Dispatch time of each call (NaN until dispatched).
    pub dispatch_s: Vec<f64>,
    /// Arrival on scene of each call.
    pub arrive_s: Vec<f64>,
    /// Time each call was cleared.
    pub clear_s: Vec<f64>,
    /// Unit that served each call (`u32::MAX` until dispatched).
    pub unit: Vec<u32>,
    /// Whether each call waited in the queue.
    pub queued: Vec<bool>,
    busy_from: Vec<f64>,
    /// Busy time of each unit within the measured window, seconds.
    pub busy_s: Vec<f64>,
    q_len: usize,
    q_last: f64,
    q_area: f64,
    q_max: usize,
    /// Hotspot of each waypoint of each loop.
    loop_hotspots: Vec<Vec<Option<usize>>>,
    /// Loops that take no time to drive (posts).
    posts: Vec<bool>,
    /// Per hotspot: intervals `(arrive, leave)` of patrol units at it.
    pub passes: Vec<Vec<(f64, f64)>>,
    /// Per unit: an open stay at a post, `(hotspot, since)`.
    posted: Vec<Option<(usize, f64)>>,
    /// Per unit: its last pass of waypoint 0.
    last_start: Vec<f64>,
    /// Per loop: observed lap times within the window.
    pub laps: Vec<Vec<f64>>,
}

impl Recorder {
    /// A recorder for `calls` calls and `units` units, over the window
    /// `[warmup_s, horizon_s)`, for loops whose waypoints are the given
    /// hotspots, and `hotspots` hotspots in all.
    pub fn new(
        calls: usize,
        units: usize,
        warmup_s: f64,
        horizon_s: f64,
        loop_hotspots: Vec<Vec<Option<usize>>>,
        posts: Vec<bool>,
        hotspots: usize,
    ) -> Recorder {
        Recorder {
            posts,
            laps: vec![Vec::new(); loop_hotspots.len()],
            loop_hotspots,
            passes: vec![Vec::new(); hotspots],
            posted: vec![None; units],
            last_start: vec![f64::NAN; units],
            warmup_s,
            horizon_s,
            dispatch_s: vec![f64::NAN; calls],
            arrive_s: vec![f64::NAN; calls],
            clear_s: vec![f64::NAN; calls],
            unit: vec![u32::MAX; calls],
            queued: vec![false; calls],
            busy_from: vec![f64::NAN; units],
            busy_s: vec![0.0; units],
            q_len: 0,
            q_last: 0.0,
            q_area: 0.0,
            q_max: 0,
        }
    }

    fn clip(&self, a: f64, b: f64) -> f64 {
        (b.min(self.horizon_s) - a.max(self.warmup_s)).max(0.0)
    }

    fn queue_to(&mut self, t: f64) {
        self.q_area += self.q_len as f64 * self.clip(self.q_last, t);
        self.q_last = t;
    }

    /// Close stays at posts that last until the end of the run.
    pub fn finish(&mut self, end: f64) {
        for p in self.posted.iter_mut() {
            if let Some((h, since)) = p.take() {
                self.passes[h].push((since, end));
            }
        }
    }
}

impl Observer for Recorder {
    fn event(&mut self, t: f64, ev: &SimEvent) {
        match *ev {
            SimEvent::Queued { call } => {
                self.queue_to(t);
                self.q_len += 1;
                if t >= self.warmup_s && t < self.horizon_s {
                    self.q_max = self.q_max.max(self.q_len);
                }
                self.queued[call as usize] = true;
            }
            SimEvent::Dispatched {
                call,
                unit,
                from_queue,
                ..
            } => {
                if from_queue {
                    self.queue_to(t);
                    self.q_len -= 1;
                }
                self.dispatch_s[call as usize] = t;
                self.unit[call as usize] = unit;
                if self.busy_from[unit as usize].is_nan() {
                    self.busy_from[unit as usize] = t;
                }
            }
            SimEvent::Arrived { call, .. } => self.arrive_s[call as usize] = t,
            SimEvent::Cleared { call, unit } => {
                self.clear_s[call as usize] = t;
                let from = self.busy_from[unit as usize];
                self.busy_s[unit as usize] += self.clip(from, t);
                self.busy_from[unit as usize] = f64::NAN;
            }
            SimEvent::PatrolPass {
                unit,
                patrol,
                waypoint,
            } => {
                let hotspot = self.loop_hotspots[patrol as usize][waypoint as usize];
                let is_post = self.posts[patrol as usize];
                match hotspot {
                    Some(h) if is_post => self.posted[unit as usize] = Some((h, t)),
                    Some(h) => self.passes[h].push((t, t)),
                    None => {}
                }
                if waypoint == 0 && !is_post {
                    let last = self.last_start[unit as usize];
                    if last >= self.warmup_s && t <= self.horizon_s {
                        self.laps[patrol as usize].push(t - last);
                    }
                    self.last_start[unit as usize] = t;
                }
            }
            SimEvent::PatrolLeave { unit, .. } => {
                if let Some((h, since)) = self.posted[unit as usize].take() {
                    self.passes[h].push((since, t));
                }
            }
            SimEvent::Returning { .. } | SimEvent::Home { .. } | SimEvent::Rejoining { .. } => {}
        }
    }
}

/// One row of `incidents.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallRecord {
    /// Call id.
    pub id: u64,
    /// Call time, seconds.
    pub time_s: f64,
    /// Priority (1 = most urgent).
    pub priority: u8,
    /// Node, as the source's id.
    pub node: i64,
    /// Unit that answered.
    pub unit: u32,
    /// That unit's station.
    pub station: String,
    /// `station` (a station's response unit) or `patrol` (a unit taken off its loop).
    pub unit_kind: &'static str,
    /// The loop of a patrol unit (empty for station units).
    pub patrol: String,
    /// Dispatch time, seconds.
    pub dispatch_s: f64,
    /// Arrival on scene, seconds.
    pub arrive_s: f64,
    /// Scene cleared, seconds.
    pub clear_s: f64,
    /// Time in the queue after becoming dispatchable, seconds.
    pub wait_s: f64,
    /// Drive time, seconds.
    pub travel_s: f64,
    /// Arrival minus call time, seconds.
    pub response_s: f64,
    /// `response_s <= targets.response_s`.
    pub met_target: bool,
    /// True when no unit was available as the call became dispatchable.
    pub queued: bool,
    /// False for calls before the warm-up ends (not in the summary).
    pub counted: bool,
}

/// One row of `units.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct UnitRecord {
    /// Unit index.
    pub unit: u32,
    /// Its station.
    pub station: String,
    /// `station` or `patrol`.
    pub kind: &'static str,
    /// Its loop, for patrol units.
    pub patrol: String,
    /// Counted calls it served.
    pub calls_served: u32,
    /// Time from dispatch to clear within the measured window, seconds.
    pub busy_s: f64,
    /// `busy_s` over the window length.
    pub utilisation: f64,
}

/// Mean and nearest-rank percentiles.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Stats {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least a share `p` of values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[k - 1])
}

impl Stats {
    /// Statistics of some values.
    pub fn of(mut xs: Vec<f64>) -> Stats {
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        Stats {
            n,
            mean: (n > 0).then(|| xs.iter().sum::<f64>() / n as f64),
            p50: percentile(&xs, 0.5),
            p90: percentile(&xs, 0.9),
            p95: percentile(&xs, 0.95),
            max: xs.last().copied(),
        }
    }
}

/// The verdict on the response target.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Verdict {
    /// Target response time, seconds.
    pub response_s: f64,
    /// Required share of calls within it.
    pub compliance_goal: f64,
    /// Observed share of counted calls within it.
    pub compliance: Option<f64>,
    /// `compliance >= compliance_goal`.
    pub meets: bool,
}

/// Figures for one priority.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PriorityRow {
    /// Priority.
    pub priority: u8,
    /// Counted calls.
    pub calls: usize,
    /// Share within the target.
    pub compliance: Option<f64>,
    /// Response time statistics, seconds.
    pub response_s: Stats,
}

/// Figures for one hour of the day (by call time).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HourRow {
    /// Hour of day, 0 to 23.
    pub hour: u8,
    /// Counted calls.
    pub calls: usize,
    /// Share within the target.
    pub compliance: Option<f64>,
    /// Mean response time, seconds.
    pub mean_response_s: Option<f64>,
}

/// Queueing figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QueueStats {
    /// Counted calls that found no unit available.
    pub calls_queued: usize,
    /// Their share of counted calls.
    pub share_queued: Option<f64>,
    /// Mean time between becoming dispatchable and dispatch, seconds (all counted calls).
    pub mean_wait_s: Option<f64>,
    /// Mean wait of the calls that waited, seconds.
    pub mean_wait_if_queued_s: Option<f64>,
    /// Longest wait, seconds.
    pub max_wait_s: Option<f64>,
    /// Longest queue within the window.
    pub max_length: usize,
    /// Time-average queue length within the window.
    pub mean_length: f64,
}

/// Utilisation across units.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Utilisation {
    /// Mean over units.
    pub mean: f64,
    /// Least-used unit.
    pub min: f64,
    /// Busiest unit.
    pub max: f64,
}

/// Counts of calls.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallCounts {
    /// All calls simulated.
    pub total: usize,
    /// Calls at or after the warm-up (the summary's base).
    pub counted: usize,
}

/// Size of the network and what loading dropped.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NetworkSummary {
    /// Nodes kept.
    pub nodes: usize,
    /// Directed edges kept.
    pub edges: usize,
    /// Total directed road length, km.
    pub road_km: f64,
    /// Nodes dropped (outside the largest strongly connected component).
    pub dropped_nodes: usize,
    /// Edges dropped.
    pub dropped_edges: usize,
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the random streams.
    pub seed: u64,
    /// Replication index.
    pub replication: u64,
    /// Horizon, seconds.
    pub horizon_s: f64,
    /// Warm-up, seconds.
    pub warmup_s: f64,
    /// Call handling time, seconds.
    pub call_handling_s: f64,
    /// The network.
    pub network: NetworkSummary,
    /// Number of stations.
    pub stations: usize,
    /// Number of units.
    pub units: usize,
    /// Calls.
    pub calls: CallCounts,
    /// The verdict on the response target.
    pub target: Verdict,
    /// Response time (call to arrival), seconds.
    pub response_s: Stats,
    /// Drive time (dispatch to arrival), seconds.
    pub travel_s: Stats,
    /// By priority.
    pub by_priority: Vec<PriorityRow>,
    /// By hour of day of the call.
    pub by_hour: Vec<HourRow>,
    /// Unit utilisation.
    pub utilisation: Utilisation,
    /// The queue.
    pub queue: QueueStats,
    /// The verdict on the patrol loops.
    pub patrol: PatrolVerdict,
    /// Response target met and every loop meets the lap target.
    pub layout_meets: bool,
    /// Per loop.
    pub loops: Vec<LoopStats>,
    /// Per hotspot.
    pub hotspots: Vec<HotspotStats>,
}

/// The verdict on the patrol loops.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PatrolVerdict {
    /// Number of loops.
    pub loops: usize,
    /// Loops that meet the lap target.
    pub loops_meeting: usize,
    /// Units on loops.
    pub patrol_units: usize,
    /// The lap target, seconds.
    pub loop_target_s: f64,
    /// Number of hotspots.
    pub hotspots: usize,
    /// Hotspots that are a waypoint of some loop.
    pub hotspots_on_loops: usize,
    /// Hotspots whose revisit gaps meet their limit.
    pub hotspots_meeting: usize,
    /// Every loop meets the lap target (`null` without loops).
    pub meets: Option<bool>,
}

/// All results of one run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Per call, in call order.
    pub calls: Vec<CallRecord>,
    /// Per unit.
    pub units: Vec<UnitRecord>,
    /// The summary.
    pub summary: Summary,
}

fn share(k: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

impl Outcome {
    /// Build the results from the calls and what the recorder saw.
    pub fn new(
        scn: &Scenario,
        prepared: &Prepared,
        calls: &[Call],
        rec: &Recorder,
        presence: &[f64],
        rep: u64,
    ) -> Outcome {
        let net = &scn.net;
        let specs = scn.units();
        let kind = |u: usize| match specs.get(u).and_then(|s| s.patrol) {
            Some(p) => ("patrol", scn.patrols[p].name.clone()),
            None => ("station", String::new()),
        };
        let target = scn.targets.response_s;
        let warm = scn.sim.warmup_s;
        let mut served = vec![0u32; specs.len()];
        let records: Vec<CallRecord> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let unit = rec.unit[i];
                let counted = c.time_s >= warm;
                if counted && (unit as usize) < served.len() {
                    served[unit as usize] += 1;
                }
                let response_s = rec.arrive_s[i] - c.time_s;
                let (unit_kind, patrol) = kind(unit as usize);
                CallRecord {
                    id: c.id,
                    time_s: c.time_s,
                    priority: c.priority,
                    node: net.ext_id[c.node.idx()],
                    unit,
                    station: specs
                        .get(unit as usize)
                        .map(|s| scn.stations[s.station].name.clone())
                        .unwrap_or_default(),
                    unit_kind,
                    patrol,
                    dispatch_s: rec.dispatch_s[i],
                    arrive_s: rec.arrive_s[i],
                    clear_s: rec.clear_s[i],
                    wait_s: rec.dispatch_s[i] - (c.time_s + scn.call_handling_s),
                    travel_s: rec.arrive_s[i] - rec.dispatch_s[i],
                    response_s,
                    met_target: response_s <= target,
                    queued: rec.queued[i],
                    counted,
                }
            })
            .collect();
        let window = scn.sim.horizon_s - warm;
        let units: Vec<UnitRecord> = specs
            .iter()
            .enumerate()
            .map(|(u, s)| {
                let (kind, patrol) = kind(u);
                UnitRecord {
                    unit: u as u32,
                    station: scn.stations[s.station].name.clone(),
                    kind,
                    patrol,
                    calls_served: served[u],
                    busy_s: rec.busy_s[u],
                    utilisation: rec.busy_s[u] / window,
                }
            })
            .collect();
        let loops = loop_stats(scn, prepared, rec);
        let hotspots = hotspot_stats(scn, prepared, rec, presence);
        let summary = summarise(scn, &records, &units, rec, rep, loops, hotspots);
        Outcome {
            calls: records,
            units,
            summary,
        }
    }
}

/// Figures for one patrol loop.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LoopStats {
    /// Loop name.
    pub name: String,
    /// Home station.
    pub station: String,
    /// Units on the loop.
    pub units: u32,
    /// Waypoints, in driving order.
    pub waypoints: Vec<String>,
    /// Where units rejoin after a call.
    pub rejoin: &'static str,
    /// Undisturbed lap time, seconds.
    pub static_lap_s: f64,
    /// Observed laps (waypoint 0 to waypoint 0 by one unit, calls included), seconds.
    pub laps: Stats,
    /// Share of observed laps within the lap target.
    pub laps_within_target: Option<f64>,
    /// Static lap within the target, and the share of observed laps within it
    /// at least the compliance goal (a post, with no lap, meets it).
    pub meets: bool,
}

/// Figures for one hotspot.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HotspotStats {
    /// Hotspot name.
    pub name: String,
    /// Kind of place.
    pub kind: &'static str,
    /// Longest allowed gap between passes, seconds.
    pub revisit_s: f64,
    /// Loops that have it as a waypoint.
    pub loops: usize,
    /// Patrol passes within the window (a stay at a post counts once).
    pub passes: usize,
    /// Gaps between consecutive passes, both within the window, seconds.
    pub gaps_s: Stats,
    /// Share of those gaps within `revisit_s`.
    pub gaps_within_revisit: Option<f64>,
    /// Longest time without a patrol unit there, including the stretches
    /// before the first and after the last pass in the window, seconds.
    pub longest_without_s: f64,
    /// Share of the window with some unit (of any kind) within the presence radius.
    pub presence: f64,
    /// On a loop, and the share of gaps within `revisit_s` at least the compliance goal.
    pub meets: bool,
}

fn loop_stats(scn: &Scenario, prepared: &Prepared, rec: &Recorder) -> Vec<LoopStats> {
    let target = scn.targets.patrol_loop_s;
    scn.patrols
        .iter()
        .zip(&prepared.loops)
        .zip(&rec.laps)
        .map(|((p, plan), laps)| {
            let within = share(laps.iter().filter(|&&l| l <= target).count(), laps.len());
            let meets = plan.lap_s <= target
                && (plan.is_post() || within.is_some_and(|w| w >= scn.targets.compliance));
            LoopStats {
                name: p.name.clone(),
                station: scn.stations[p.station].name.clone(),
                units: p.units,
                waypoints: p.waypoints.iter().map(|w| w.label.clone()).collect(),
                rejoin: p.rejoin.name(),
                static_lap_s: plan.lap_s,
                laps: Stats::of(laps.clone()),
                laps_within_target: within,
                meets,
            }
        })
        .collect()
}

/// Merge pass intervals and measure the gaps between them within the window.
fn gaps(passes: &[(f64, f64)], w0: f64, w1: f64) -> (usize, Vec<f64>, f64) {
    let mut iv: Vec<(f64, f64)> = passes
        .iter()
        .copied()
        .filter(|&(a, b)| b >= w0 && a <= w1)
        .collect();
    iv.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (a, b) in iv {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let gaps: Vec<f64> = merged.windows(2).map(|w| w[1].0 - w[0].1).collect();
    let longest = match (merged.first(), merged.last()) {
        (Some(f), Some(l)) => gaps
            .iter()
            .copied()
            .fold((f.0 - w0).max(w1 - l.1).max(0.0), f64::max),
        _ => w1 - w0,
    };
    (merged.len(), gaps, longest)
}

fn hotspot_stats(
    scn: &Scenario,
    prepared: &Prepared,
    rec: &Recorder,
    presence: &[f64],
) -> Vec<HotspotStats> {
    let (w0, w1) = (scn.sim.warmup_s, scn.sim.horizon_s);
    scn.hotspots
        .iter()
        .enumerate()
        .map(|(h, hs)| {
            let loops = prepared
                .loops
                .iter()
                .filter(|l| l.hotspots.contains(&Some(h)))
                .count();
            let (passes, gaps, longest) = gaps(&rec.passes[h], w0, w1);
            let within = share(
                gaps.iter().filter(|&&g| g <= hs.revisit_s).count(),
                gaps.len(),
            );
            HotspotStats {
                name: hs.name.clone(),
                kind: hs.kind.name(),
                revisit_s: hs.revisit_s,
                loops,
                passes,
                gaps_s: Stats::of(gaps),
                gaps_within_revisit: within,
                longest_without_s: longest,
                presence: presence.get(h).copied().unwrap_or(0.0),
                meets: loops > 0
                    && (within.is_some_and(|w| w >= scn.targets.compliance)
                        || (passes > 0 && longest <= hs.revisit_s)),
            }
        })
        .collect()
}

fn summarise(
    scn: &Scenario,
    records: &[CallRecord],
    units: &[UnitRecord],
    rec: &Recorder,
    rep: u64,
    loops: Vec<LoopStats>,
    hotspots: Vec<HotspotStats>,
) -> Summary {
    let counted: Vec<&CallRecord> = records.iter().filter(|r| r.counted).collect();
    let n = counted.len();
    let met = counted.iter().filter(|r| r.met_target).count();
    let compliance = share(met, n);
    let by_priority = (1..=scn.priorities() as u8)
        .map(|p| {
            let rs: Vec<&&CallRecord> = counted.iter().filter(|r| r.priority == p).collect();
            PriorityRow {
                priority: p,
                calls: rs.len(),
                compliance: share(rs.iter().filter(|r| r.met_target).count(), rs.len()),
                response_s: Stats::of(rs.iter().map(|r| r.response_s).collect()),
            }
        })
        .collect();
    let mut hours = vec![(0usize, 0usize, 0.0f64); 24];
    for r in &counted {
        let h = ((r.time_s / 3600.0).floor() as i64).rem_euclid(24) as usize;
        hours[h].0 += 1;
        hours[h].1 += r.met_target as usize;
        hours[h].2 += r.response_s;
    }
    let by_hour = hours
        .iter()
        .enumerate()
        .map(|(h, &(k, m, sum))| HourRow {
            hour: h as u8,
            calls: k,
            compliance: share(m, k),
            mean_response_s: (k > 0).then(|| sum / k as f64),
        })
        .collect();
    let utils: Vec<f64> = units.iter().map(|u| u.utilisation).collect();
    let waits: Vec<f64> = counted.iter().map(|r| r.wait_s).collect();
    let queued_waits: Vec<f64> = counted
        .iter()
        .filter(|r| r.queued)
        .map(|r| r.wait_s)
        .collect();
    let queued = queued_waits.len();
    let window = scn.sim.horizon_s - scn.sim.warmup_s;
    Summary {
        scenario: scn.name.clone(),
        seed: scn.sim.seed,
        replication: rep,
        horizon_s: scn.sim.horizon_s,
        warmup_s: scn.sim.warmup_s,
        call_handling_s: scn.call_handling_s,
        network: NetworkSummary {
            nodes: scn.net.node_count(),
            edges: scn.net.edge_count(),
            road_km: scn.net.total_km(),
            dropped_nodes: scn.net.dropped.dropped_nodes,
            dropped_edges: scn.net.dropped.dropped_edges,
        },
        stations: scn.stations.len(),
        units: units.len(),
        calls: CallCounts {
            total: records.len(),
            counted: n,
        },
        target: Verdict {
            response_s: scn.targets.response_s,
            compliance_goal: scn.targets.compliance,
            compliance,
            meets: compliance.is_some_and(|c| c >= scn.targets.compliance),
        },
        response_s: Stats::of(counted.iter().map(|r| r.response_s).collect()),
        travel_s: Stats::of(counted.iter().map(|r| r.travel_s).collect()),
        by_priority,
        by_hour,
        utilisation: Utilisation {
            mean: utils.iter().sum::<f64>() / utils.len().max(1) as f64,
            min: utils.iter().copied().fold(f64::INFINITY, f64::min),
            max: utils.iter().copied().fold(0.0, f64::max),
        },
        patrol: PatrolVerdict {
            loops: loops.len(),
            loops_meeting: loops.iter().filter(|l| l.meets).count(),
            patrol_units: units.iter().filter(|u| u.kind == "patrol").count(),
            loop_target_s: scn.targets.patrol_loop_s,
            hotspots: hotspots.len(),
            hotspots_on_loops: hotspots.iter().filter(|h| h.loops > 0).count(),
            hotspots_meeting: hotspots.iter().filter(|h| h.meets).count(),
            meets: (!loops.is_empty()).then(|| loops.iter().all(|l| l.meets)),
        },
        layout_meets: compliance.is_some_and(|c| c >= scn.targets.compliance)
            && loops.iter().all(|l| l.meets),
        loops,
        hotspots,
        queue: QueueStats {
            calls_queued: queued,
            share_queued: share(queued, n),
            mean_wait_s: (n > 0).then(|| waits.iter().sum::<f64>() / n as f64),
            mean_wait_if_queued_s: (!queued_waits.is_empty())
                .then(|| queued_waits.iter().sum::<f64>() / queued_waits.len() as f64),
            max_wait_s: waits.iter().copied().reduce(f64::max),
            max_length: rec.q_max,
            mean_length: rec.q_area / window,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&xs, 0.5), Some(5.0));
        assert_eq!(percentile(&xs, 0.9), Some(9.0));
        assert_eq!(percentile(&xs, 0.95), Some(10.0));
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
