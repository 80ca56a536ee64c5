//! Patrol-loop design: as few loops as possible through the must-patrol places.
//!
//! This module owns the design of patrol loops. The programme it models runs
//! police cars continuously round loops through hotspots, and every loop must
//! close within a lap target (`targets.patrol_loop_s`, 900 s by default). A
//! designed loop is anchored at a station: it leaves the station, visits its
//! hotspots in order along shortest paths and returns; its lap time is the sum
//! of the shortest travel times of its legs. One unit per loop suffices, so
//! fewer loops means fewer units.
//!
//! The heuristic ([`design`]) is deterministic and independent of the number
//! of threads:
//!
//! 1. [`TravelTimes`]: shortest times between every pair of stations and
//!    hotspots, one forward Dijkstra per point, in parallel.
//! 2. A hotspot whose round trip from every station exceeds the target can be
//!    served by no loop; it is reported as [`Unservable`].
//! 3. Every other hotspot joins the station with the smallest round trip
//!    (ties: the lowest station index).
//! 4. Per station, one giant tour through all its hotspots is built by
//!    cheapest insertion and improved by 2-opt and or-opt on the asymmetric
//!    times; the Split dynamic programme of Prins (2004) then cuts it into
//!    consecutive loops that each fit the target, minimising the number of
//!    loops and then their total lap time; each loop is improved again.
//! 5. Consolidation: clustering by nearest station fragments the design (a
//!    station with one nearby hotspot gets a short loop of its own), so loops
//!    are then merged pairwise. Merging two loops tries every station from
//!    which all their hotspots have a round trip within the target as the
//!    anchor, builds the tour by cheapest insertion (and, at either loop's own
//!    station, also by inserting the other loop's hotspots into its tour),
//!    improves it by 2-opt and or-opt, and keeps the smallest lap (ties: the
//!    lowest station). Each round accepts the merge that adds the least lap time
//!    within the target (ties: the two loops earliest in the order of step 6)
//!    until no pair merges; moving a loop's only hotspot into another loop is
//!    one such merge. Up to 200 loops every pair is tried, so no two final
//!    loops fit one loop within the target; above that, each loop is only
//!    paired with the 10 loops whose stations are nearest, to stay fast.
//! 6. Loops are ordered by station index, then by first hotspot index.
//!
//! [`Design::to_toml`] writes the loops as a scenario fragment of
//! `[[patrols]]` tables; [`Design::to_geojson`] draws them on the road network.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::network::{Network, NodeId};
use crate::routing::{Direction, Search, Step};

/// Smallest improvement, in seconds, that the local search accepts.
const EPS: f64 = 1e-9;

/// Longest segment that or-opt moves.
const OR_OPT_MAX: usize = 3;

/// Up to this many loops, consolidation tries to merge every pair of loops;
/// above it, only each loop with its [`MERGE_NEIGHBOURS`] nearest loops.
const MERGE_ALL_MAX: usize = 200;

/// Loops that consolidation pairs with each loop above [`MERGE_ALL_MAX`] loops:
/// the nearest by round trip between their stations.
const MERGE_NEIGHBOURS: usize = 10;

/// Slack, in seconds, for rounding when a lower bound on a lap rules out an
/// anchor station (sums of travel times in another order may differ in the
/// last bits).
const BOUND_SLACK: f64 = 1e-6;

/// Shortest travel times between every pair of stations and hotspots.
///
/// Points are numbered stations first, then hotspots; accessors take station
/// and hotspot indices into the slices given to [`TravelTimes::compute`].
#[derive(Clone, Debug, PartialEq)]
pub struct TravelTimes {
    stations: usize,
    hotspots: usize,
    /// Row-major `(stations + hotspots)²` matrix, seconds; infinite where unreachable.
    t: Vec<f64>,
}

impl TravelTimes {
    /// One forward Dijkstra from every station and every hotspot, stopped once
    /// all the other points are settled; run in parallel, with results that do
    /// not depend on the number of threads.
    pub fn compute(net: &Network, stations: &[NodeId], hotspots: &[NodeId]) -> TravelTimes {
        let points: Vec<NodeId> = stations.iter().chain(hotspots).copied().collect();
        let n = net.node_count();
        let mut is_point = vec![false; n];
        let mut distinct = 0usize;
        for p in &points {
            if !is_point[p.idx()] {
                is_point[p.idx()] = true;
                distinct += 1;
            }
        }
        let rows: Vec<Vec<f64>> = points
            .par_iter()
            .map_init(
                || Search::new(n),
                |search, &from| {
                    search.start(Direction::Forward);
                    search.add_source(from, 0.0);
                    let mut left = distinct;
                    search.run(net, |v, _| {
                        if is_point[v.idx()] {
                            left -= 1;
                            if left == 0 {
                                return Step::Stop;
                            }
                        }
                        Step::Continue
                    });
                    points
                        .iter()
                        .map(|&to| search.settled_time(to).unwrap_or(f64::INFINITY))
                        .collect()
                },
            )
            .collect();
        TravelTimes {
            stations: stations.len(),
            hotspots: hotspots.len(),
            t: rows.concat(),
        }
    }

    /// Number of stations.
    pub fn stations(&self) -> usize {
        self.stations
    }

    /// Number of hotspots.
    pub fn hotspots(&self) -> usize {
        self.hotspots
    }

    /// Time between two points (stations `0..S`, then hotspots `S..S + H`).
    #[inline]
    fn at(&self, a: usize, b: usize) -> f64 {
        self.t[a * (self.stations + self.hotspots) + b]
    }

    /// Travel time from station `s` to hotspot `h`, seconds.
    pub fn station_to_hotspot(&self, s: usize, h: usize) -> f64 {
        self.at(s, self.stations + h)
    }

    /// Travel time from hotspot `h` to station `s`, seconds.
    pub fn hotspot_to_station(&self, h: usize, s: usize) -> f64 {
        self.at(self.stations + h, s)
    }

    /// Travel time from hotspot `a` to hotspot `b`, seconds.
    pub fn between_hotspots(&self, a: usize, b: usize) -> f64 {
        self.at(self.stations + a, self.stations + b)
    }

    /// Round trip station `s` → hotspot `h` → station `s`, seconds; equal to
    /// `lap_time(self, s, &[h])`.
    pub fn round_trip(&self, s: usize, h: usize) -> f64 {
        self.station_to_hotspot(s, h) + self.hotspot_to_station(h, s)
    }
}

/// Lap time of the loop station `station` → `hotspots` in order → `station`:
/// the sum of the legs' shortest travel times, added in driving order.
/// An empty loop takes 0 s.
pub fn lap_time(times: &TravelTimes, station: usize, hotspots: &[usize]) -> f64 {
    let mut acc = 0.0;
    let mut prev = station;
    for &h in hotspots {
        let p = times.stations + h;
        acc += times.at(prev, p);
        prev = p;
    }
    acc + times.at(prev, station)
}

/// One designed patrol loop.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DesignedLoop {
    /// Index of the station it starts and ends at.
    pub station: usize,
    /// Indices of its hotspots, in visiting order (never empty).
    pub hotspots: Vec<usize>,
    /// Lap time, seconds: station → hotspots → station along shortest paths.
    pub lap_s: f64,
}

/// A hotspot that no loop can serve within the target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unservable {
    /// Index of the hotspot.
    pub hotspot: usize,
    /// Index of the station with the smallest round trip (ties: the lowest index).
    pub best_station: usize,
    /// That round trip, station → hotspot → station, seconds (over the target).
    pub round_trip_s: f64,
}

/// A set of patrol loops covering every servable hotspot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Design {
    /// The loops, ordered by station index, then first hotspot index.
    pub loops: Vec<DesignedLoop>,
    /// Hotspots whose round trip from every station exceeds the target, by index.
    pub unservable: Vec<Unservable>,
    /// Lap target, seconds.
    pub target_s: f64,
}

/// Design patrol loops through `hotspots` from `stations` on `net`, each with a
/// lap of at most `target_s` seconds, using as few loops as the heuristic finds
/// (see the module documentation). Every hotspot ends up in exactly one loop
/// or in [`Design::unservable`].
///
/// # Panics
///
/// If `hotspots` is non-empty and `stations` is empty.
pub fn design(net: &Network, stations: &[NodeId], hotspots: &[NodeId], target_s: f64) -> Design {
    design_from_times(&TravelTimes::compute(net, stations, hotspots), target_s)
}

/// [`design`] on precomputed travel times.
///
/// # Panics
///
/// If there are hotspots but no stations.
pub fn design_from_times(times: &TravelTimes, target_s: f64) -> Design {
    let (ns, nh) = (times.stations, times.hotspots);
    assert!(
        ns > 0 || nh == 0,
        "patrol design needs at least one station"
    );
    // Cluster each hotspot (as a point index) with its best station.
    let mut clusters: Vec<Vec<usize>> = vec![Vec::new(); ns];
    let mut unservable = Vec::new();
    for h in 0..nh {
        let mut best = (0, times.round_trip(0, h));
        for s in 1..ns {
            let rt = times.round_trip(s, h);
            if better(rt, best.1) {
                best = (s, rt);
            }
        }
        let (s, rt) = best;
        if rt.is_finite() && rt <= target_s {
            clusters[s].push(ns + h);
        } else {
            unservable.push(Unservable {
                hotspot: h,
                best_station: s,
                round_trip_s: rt,
            });
        }
    }
    let mut drafts = Vec::new();
    for (s, cluster) in clusters.iter().enumerate() {
        if cluster.is_empty() {
            continue;
        }
        let mut giant = cheapest_insertion(times, s, cluster);
        improve(times, s, &mut giant);
        for chunk in split(times, s, &giant, target_s) {
            let mut seq = giant[chunk].to_vec();
            improve(times, s, &mut seq);
            let lap = route_cost(times, s, &seq);
            drafts.push(Draft {
                station: s,
                seq,
                lap,
            });
        }
    }
    let mut loops: Vec<DesignedLoop> = consolidate(times, drafts, target_s)
        .into_iter()
        .map(|d| {
            let hotspots: Vec<usize> = d.seq.iter().map(|&p| p - ns).collect();
            let lap_s = lap_time(times, d.station, &hotspots);
            debug_assert!(lap_s <= target_s);
            debug_assert_eq!(lap_s, d.lap);
            DesignedLoop {
                station: d.station,
                hotspots,
                lap_s,
            }
        })
        .collect();
    loops.sort_by_key(|l| (l.station, l.hotspots[0]));
    Design {
        loops,
        unservable,
        target_s,
    }
}

/// `a` is strictly better (smaller) than `b`; NaN is worse than anything.
#[inline]
fn better(a: f64, b: f64) -> bool {
    a < b || (b.is_nan() && !a.is_nan())
}

/// Exact cost of the closed route `depot` → `seq` → `depot` (point indices),
/// summed in driving order like [`lap_time`].
fn route_cost(times: &TravelTimes, depot: usize, seq: &[usize]) -> f64 {
    let mut acc = 0.0;
    let mut prev = depot;
    for &x in seq {
        acc += times.at(prev, x);
        prev = x;
    }
    acc + times.at(prev, depot)
}

/// A tour through `items` (point indices, ascending) from `depot`, built by
/// cheapest insertion: repeatedly insert the item and position that add the
/// least time (ties: the lowest item, then the earliest position).
fn cheapest_insertion(times: &TravelTimes, depot: usize, items: &[usize]) -> Vec<usize> {
    insert_cheapest(times, depot, Vec::with_capacity(items.len()), items)
}

/// The route `depot` → `seq` → `depot` with `items` (point indices,
/// ascending) added by cheapest insertion, as in [`cheapest_insertion`].
fn insert_cheapest(
    times: &TravelTimes,
    depot: usize,
    mut seq: Vec<usize>,
    items: &[usize],
) -> Vec<usize> {
    let mut left = items.to_vec();
    while !left.is_empty() {
        let mut best: Option<(f64, usize, usize)> = None;
        for (li, &x) in left.iter().enumerate() {
            for pos in 0..=seq.len() {
                let prev = if pos == 0 { depot } else { seq[pos - 1] };
                let next = if pos == seq.len() { depot } else { seq[pos] };
                let d = times.at(prev, x) + times.at(x, next) - times.at(prev, next);
                if best.is_none_or(|(bd, _, _)| better(d, bd)) {
                    best = Some((d, li, pos));
                }
            }
        }
        let (_, li, pos) = best.expect("an item is left");
        seq.insert(pos, left.remove(li));
    }
    seq
}

/// Improve the route `depot` → `seq` → `depot` with asymmetric 2-opt (reverse
/// a stretch) and or-opt (move a stretch of up to three stops elsewhere, in
/// either orientation) until no move shortens it by more than [`EPS`].
///
/// Each move is screened with an O(1) change in cost and accepted only if the
/// exact cost of the new route, recomputed from scratch, is smaller by more
/// than [`EPS`]; the cost therefore never rises. Moves are tried in a fixed
/// order and the first accepted one restarts the scan.
fn improve(times: &TravelTimes, depot: usize, seq: &mut Vec<usize>) {
    let k = seq.len();
    if k < 2 {
        return;
    }
    let mut cur = route_cost(times, depot, seq);
    let mut cand: Vec<usize> = Vec::with_capacity(k);
    let mut r: Vec<usize> = Vec::with_capacity(k + 2);
    let mut fwd = vec![0.0; k + 2];
    let mut bwd = vec![0.0; k + 2];
    'search: loop {
        // r: the closed route; fwd[x] / bwd[x]: cost of r[..=x] driven forwards / backwards.
        r.clear();
        r.push(depot);
        r.extend_from_slice(seq);
        r.push(depot);
        for x in 0..=k {
            fwd[x + 1] = fwd[x] + times.at(r[x], r[x + 1]);
            bwd[x + 1] = bwd[x] + times.at(r[x + 1], r[x]);
        }
        // 2-opt: reverse r[a..=b], 1 <= a < b <= k.
        for a in 1..k {
            for b in a + 1..=k {
                let delta = times.at(r[a - 1], r[b]) + times.at(r[a], r[b + 1])
                    - times.at(r[a - 1], r[a])
                    - times.at(r[b], r[b + 1])
                    + (bwd[b] - bwd[a])
                    - (fwd[b] - fwd[a]);
                if delta < -EPS {
                    cand.clear();
                    cand.extend_from_slice(seq);
                    cand[a - 1..b].reverse();
                    let c = route_cost(times, depot, &cand);
                    if c < cur - EPS {
                        std::mem::swap(seq, &mut cand);
                        cur = c;
                        continue 'search;
                    }
                }
            }
        }
        // Or-opt: move seq[i..i + len] to position p of the rest.
        for len in 1..=OR_OPT_MAX.min(k - 1) {
            for i in 0..=k - len {
                let (s1, sl) = (seq[i], seq[i + len - 1]);
                let prev = if i == 0 { depot } else { seq[i - 1] };
                let next = if i + len == k { depot } else { seq[i + len] };
                let removal = times.at(prev, next) - times.at(prev, s1) - times.at(sl, next);
                let (mut inner_fwd, mut inner_bwd) = (0.0, 0.0);
                for x in i..i + len - 1 {
                    inner_fwd += times.at(seq[x], seq[x + 1]);
                    inner_bwd += times.at(seq[x + 1], seq[x]);
                }
                let rest = |q: usize| if q < i { seq[q] } else { seq[q + len] };
                for p in 0..=k - len {
                    if p == i {
                        continue; // in place: no move, or a 2-opt move
                    }
                    let c = if p == 0 { depot } else { rest(p - 1) };
                    let e = if p == k - len { depot } else { rest(p) };
                    for reversed in [false, true] {
                        if reversed && len == 1 {
                            continue;
                        }
                        let (first, last, inner) = if reversed {
                            (sl, s1, inner_bwd - inner_fwd)
                        } else {
                            (s1, sl, 0.0)
                        };
                        let delta = removal + times.at(c, first) + times.at(last, e)
                            - times.at(c, e)
                            + inner;
                        if delta < -EPS {
                            or_move(seq, i, len, p, reversed, &mut cand);
                            let cost = route_cost(times, depot, &cand);
                            if cost < cur - EPS {
                                std::mem::swap(seq, &mut cand);
                                cur = cost;
                                continue 'search;
                            }
                        }
                    }
                }
            }
        }
        break;
    }
}

/// `out` = `seq` with `seq[i..i + len]` moved to position `p` of the rest,
/// reversed if asked.
fn or_move(seq: &[usize], i: usize, len: usize, p: usize, reversed: bool, out: &mut Vec<usize>) {
    let seg = &seq[i..i + len];
    let rest: Vec<usize> = seq[..i].iter().chain(&seq[i + len..]).copied().collect();
    out.clear();
    out.extend_from_slice(&rest[..p]);
    if reversed {
        out.extend(seg.iter().rev());
    } else {
        out.extend_from_slice(seg);
    }
    out.extend_from_slice(&rest[p..]);
}

/// Prins' Split: cut the giant tour `seq` (point indices) into consecutive
/// chunks, each a loop `depot` → chunk → `depot` of at most `target_s`,
/// minimising the number of chunks, then their total lap (ties: the earliest
/// cut). Every single stop must fit on its own.
fn split(
    times: &TravelTimes,
    depot: usize,
    seq: &[usize],
    target_s: f64,
) -> Vec<std::ops::Range<usize>> {
    let k = seq.len();
    // label[j]: best (loops, total lap, previous cut) covering seq[..j].
    let mut label: Vec<Option<(usize, f64, usize)>> = vec![None; k + 1];
    label[0] = Some((0, 0.0, 0));
    for i in 0..k {
        let Some((loops, total, _)) = label[i] else {
            continue;
        };
        // Summed in driving order, so a chunk's lap equals lap_time exactly.
        let mut path = 0.0;
        let mut prev = depot;
        for j in i + 1..=k {
            let x = seq[j - 1];
            path += times.at(prev, x);
            prev = x;
            if path > target_s || path.is_nan() {
                break; // times are non-negative: longer chunks only grow
            }
            let lap = path + times.at(x, depot);
            if lap > target_s || lap.is_nan() {
                continue;
            }
            let cand = (loops + 1, total + lap);
            if label[j].is_none_or(|(n, t, _)| cand.0 < n || (cand.0 == n && cand.1 < t)) {
                label[j] = Some((cand.0, cand.1, i));
            }
        }
    }
    let mut chunks = Vec::new();
    let mut j = k;
    while j > 0 {
        let (_, _, i) = label[j].expect("every servable hotspot fits a loop on its own");
        chunks.push(i..j);
        j = i;
    }
    chunks.reverse();
    chunks
}

/// A loop while it is being designed: its station, its stops as point
/// indices (never empty) and its lap, equal to `route_cost(station, seq)`.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    station: usize,
    seq: Vec<usize>,
    lap: f64,
}

impl Draft {
    /// The final order of loops: station, then first stop. Unique among the
    /// loops of a design, since every hotspot is in one loop only.
    fn key(&self) -> (usize, usize) {
        (self.station, self.seq[0])
    }
}

/// Consolidation: merge loops pairwise while some merged loop fits the target.
///
/// Every round merges the pair whose merged loop ([`try_merge`]) adds the
/// least lap time (merged lap minus the two old laps), ties broken by the lower positions of the two loops in the
/// order of [`Draft::key`]; it stops when no pair can be merged within
/// `target_s`. Moving a loop's only hotspot into another loop is one such
/// merge (the merged tour is also tried as the other loop's tour with the
/// hotspot inserted), so it needs no move of its own. The result is ordered by
/// [`Draft::key`] and, up to [`MERGE_ALL_MAX`] loops, merge-minimal: no two of
/// its loops pass [`try_merge`].
///
/// Merge attempts are pure functions of the two loops; they are cached per
/// pair (only pairs with the newly merged loop are tried after a merge) and
/// evaluated in parallel, in an order and with results that do not depend on
/// the number of threads.
fn consolidate(times: &TravelTimes, drafts: Vec<Draft>, target_s: f64) -> Vec<Draft> {
    // Live loops with stable ids, ordered by key.
    let mut live: Vec<(usize, Draft)> = drafts.into_iter().enumerate().collect();
    live.sort_by_key(|(_, d)| d.key());
    let mut next_id = live.len();
    // Trying every pair costs O(loops²) merge attempts (each building tours
    // from every station in reach), and as much again after every merge; past
    // MERGE_ALL_MAX loops, a loop is only paired with its MERGE_NEIGHBOURS
    // nearest loops by station-to-station travel time (when the design starts,
    // or when it is created by a merge), which keeps consolidation fast and
    // still merges neighbouring loops, at the price of merge-minimality.
    let restrict = live.len() > MERGE_ALL_MAX;
    let pairs: Vec<(usize, usize)> = if restrict {
        let mut set = BTreeSet::new();
        for i in 0..live.len() {
            for j in nearest_loops(times, &live, i) {
                set.insert((i.min(j), i.max(j)));
            }
        }
        set.into_iter().collect()
    } else {
        (0..live.len())
            .flat_map(|i| (i + 1..live.len()).map(move |j| (i, j)))
            .collect()
    };
    // Feasible merges, keyed by the ids of the two loops (first by key first).
    let mut merges: BTreeMap<(usize, usize), Draft> =
        try_merges(times, &live, &pairs, target_s).collect();
    loop {
        let pos: HashMap<usize, usize> = live
            .iter()
            .enumerate()
            .map(|(p, (id, _))| (*id, p))
            .collect();
        let best = merges
            .iter()
            .map(|(&(a, b), m)| {
                // The lap time the merge adds: merging cheaply leaves room
                // for further merges, so fewer loops (units) remain.
                let added = m.lap - live[pos[&a]].1.lap - live[pos[&b]].1.lap;
                (added, pos[&a], pos[&b], (a, b))
            })
            .min_by(|x, y| x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
        let Some((_, _, _, (a, b))) = best else {
            break;
        };
        let merged = merges.remove(&(a, b)).expect("a chosen merge");
        merges.retain(|&(x, y), _| x != a && x != b && y != a && y != b);
        live.retain(|&(id, _)| id != a && id != b);
        let at = live.partition_point(|(_, d)| d.key() < merged.key());
        live.insert(at, (next_id, merged));
        next_id += 1;
        let others: Vec<usize> = if restrict {
            nearest_loops(times, &live, at)
        } else {
            (0..live.len()).filter(|&j| j != at).collect()
        };
        let pairs: Vec<(usize, usize)> =
            others.into_iter().map(|j| (at.min(j), at.max(j))).collect();
        merges.extend(try_merges(times, &live, &pairs, target_s));
    }
    live.into_iter().map(|(_, d)| d).collect()
}

/// [`try_merge`] on `pairs` of positions in `live` (first < second), in
/// parallel: the feasible merges keyed by the two loops' ids, in pair order.
fn try_merges(
    times: &TravelTimes,
    live: &[(usize, Draft)],
    pairs: &[(usize, usize)],
    target_s: f64,
) -> impl Iterator<Item = ((usize, usize), Draft)> {
    let found: Vec<((usize, usize), Draft)> = pairs
        .par_iter()
        .filter_map(|&(i, j)| {
            let ((a, da), (b, db)) = (&live[i], &live[j]);
            try_merge(times, da, db, target_s).map(|m| ((*a, *b), m))
        })
        .collect();
    found.into_iter()
}

/// Positions of the [`MERGE_NEIGHBOURS`] loops nearest to `live[i]`: smallest
/// round trip between the two stations (0 for the same station), ties broken
/// by the lowest position.
fn nearest_loops(times: &TravelTimes, live: &[(usize, Draft)], i: usize) -> Vec<usize> {
    let s = live[i].1.station;
    let mut others: Vec<(f64, usize)> = (0..live.len())
        .filter(|&j| j != i)
        .map(|j| {
            let t = live[j].1.station;
            (times.at(s, t) + times.at(t, s), j)
        })
        .collect();
    let order = |x: &(f64, usize), y: &(f64, usize)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
    if others.len() > MERGE_NEIGHBOURS {
        others.select_nth_unstable_by(MERGE_NEIGHBOURS, order);
        others.truncate(MERGE_NEIGHBOURS);
    }
    others.sort_by(order);
    others.into_iter().map(|(_, j)| j).collect()
}

/// The best single loop through the stops of loops `a` and `b`, if its lap is
/// at most `target_s`.
///
/// Every station from which each of the stops has a round trip within the
/// target is tried as the anchor (a loop's lap is at least the round trip to
/// each of its stops, since travel times obey the triangle inequality, so
/// stations are tried by that bound, ascending, until it exceeds the best lap
/// found). At each anchor the tour is built by [`cheapest_insertion`] through
/// all the stops, and also, when the anchor is `a`'s (`b`'s) station, by
/// inserting `b`'s (`a`'s) stops into `a`'s (`b`'s) tour; each is improved by
/// [`improve`] and the shortest kept (ties: that order). The result is the
/// smallest lap over the anchors (ties: the lowest station).
fn try_merge(times: &TravelTimes, a: &Draft, b: &Draft, target_s: f64) -> Option<Draft> {
    let mut items: Vec<usize> = a.seq.iter().chain(&b.seq).copied().collect();
    items.sort_unstable();
    let mut anchors: Vec<(f64, usize)> = (0..times.stations)
        .filter_map(|s| {
            let mut bound = 0.0f64;
            for &p in &items {
                let rt = times.at(s, p) + times.at(p, s);
                let reach = rt.is_finite() && rt <= target_s;
                if !reach {
                    return None;
                }
                bound = bound.max(rt);
            }
            Some((bound, s))
        })
        .collect();
    anchors.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut best: Option<Draft> = None;
    for (bound, s) in anchors {
        if best.as_ref().is_some_and(|m| bound > m.lap + BOUND_SLACK) {
            break;
        }
        let mut seq = cheapest_insertion(times, s, &items);
        improve(times, s, &mut seq);
        let mut lap = route_cost(times, s, &seq);
        for (base, other) in [(a, b), (b, a)] {
            if base.station != s {
                continue;
            }
            let mut rest = other.seq.clone();
            rest.sort_unstable();
            let mut cand = insert_cheapest(times, s, base.seq.clone(), &rest);
            improve(times, s, &mut cand);
            let c = route_cost(times, s, &cand);
            if c < lap {
                (seq, lap) = (cand, c);
            }
        }
        let wins = best
            .as_ref()
            .is_none_or(|m| lap < m.lap || (lap == m.lap && s < m.station));
        if lap <= target_s && wins {
            best = Some(Draft {
                station: s,
                seq,
                lap,
            });
        }
    }
    best
}

/// `m:ss` of a duration in seconds (rounded to the second), or `unreachable`.
fn mmss(s: f64) -> String {
    if !s.is_finite() {
        return "unreachable".into();
    }
    let secs = s.max(0.0).round() as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// A TOML basic string: `"` and `\` escaped, control characters as escapes.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Design {
    /// Number of loops (one unit each suffices).
    pub fn loop_count(&self) -> usize {
        self.loops.len()
    }

    /// The loop serving hotspot `h`, if any.
    pub fn loop_of(&self, h: usize) -> Option<usize> {
        self.loops.iter().position(|l| l.hotspots.contains(&h))
    }

    /// Loop names, `"<station> loop <k>"` with `k` counted from 1 per station.
    /// `station_names` is parallel to the stations given to [`design`].
    pub fn loop_names(&self, station_names: &[String]) -> Vec<String> {
        let mut count = vec![0usize; station_names.len()];
        self.loops
            .iter()
            .map(|l| {
                count[l.station] += 1;
                format!("{} loop {}", station_names[l.station], count[l.station])
            })
            .collect()
    }

    /// A scenario fragment: one `[[patrols]]` table per loop (`name`,
    /// `station`, `units = units_per_loop`, and `waypoints`: the station, then
    /// its hotspots in visiting order), each under a comment with its lap
    /// time; then a comment block listing the unservable hotspots. The name
    /// slices are parallel to the stations and hotspots given to [`design`].
    pub fn to_toml(
        &self,
        station_names: &[String],
        hotspot_names: &[String],
        units_per_loop: u32,
    ) -> String {
        let target = mmss(self.target_s);
        let served: usize = self.loops.iter().map(|l| l.hotspots.len()).sum();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Patrol loops designed by patrolsim: {} loop{} ({} unit{}) serve {} of {} hotspots \
             within the {} lap target.",
            self.loops.len(),
            if self.loops.len() == 1 { "" } else { "s" },
            self.loops.len() as u64 * units_per_loop as u64,
            if self.loops.len() as u64 * units_per_loop as u64 == 1 {
                ""
            } else {
                "s"
            },
            served,
            served + self.unservable.len(),
            target,
        );
        out.push_str(
            "# Each loop starts at its station, visits its waypoints in order along shortest \
             paths and returns.\n",
        );
        for (l, name) in self.loops.iter().zip(self.loop_names(station_names)) {
            let station = &station_names[l.station];
            let _ = writeln!(
                out,
                "\n# Lap {} ({:.1} s) of the {} target.",
                mmss(l.lap_s),
                l.lap_s,
                target
            );
            out.push_str("[[patrols]]\n");
            let _ = writeln!(out, "name = {}", toml_str(&name));
            let _ = writeln!(out, "station = {}", toml_str(station));
            let _ = writeln!(out, "units = {units_per_loop}");
            let waypoints: Vec<String> = std::iter::once(station)
                .chain(l.hotspots.iter().map(|&h| &hotspot_names[h]))
                .map(|n| toml_str(n))
                .collect();
            let _ = writeln!(out, "waypoints = [{}]", waypoints.join(", "));
        }
        if !self.unservable.is_empty() {
            let _ = writeln!(
                out,
                "\n# {} hotspot{} cannot be served by any loop within the {} target:",
                self.unservable.len(),
                if self.unservable.len() == 1 { "" } else { "s" },
                target
            );
            for u in &self.unservable {
                let _ = writeln!(
                    out,
                    "# {} (best station {}): round trip from the nearest station alone is {}, \
                     over the {} target.",
                    toml_str(&hotspot_names[u.hotspot]),
                    toml_str(&station_names[u.best_station]),
                    mmss(u.round_trip_s),
                    target
                );
            }
        }
        out
    }

    /// The design as a GeoJSON FeatureCollection in the network's source
    /// coordinates (`net.pos`: `[lon, lat]`, or planar `[x, y]`): one
    /// LineString per loop along the shortest-path edges of every leg, closed
    /// at its station (properties `name`, `station`, `lap_s`, `lap_min`,
    /// `hotspots`, `within_target`); one Point per station (`kind: "station"`,
    /// `name`, `loops`); one Point per hotspot (`kind: "hotspot"`, `name`,
    /// `served`, `loop`: the loop's name or null; unservable ones also carry
    /// `best_station` and `round_trip_s`). `stations`, `hotspots` and the
    /// name slices are those given to [`design`].
    pub fn to_geojson(
        &self,
        net: &Network,
        stations: &[NodeId],
        hotspots: &[NodeId],
        station_names: &[String],
        hotspot_names: &[String],
    ) -> Value {
        let pos = |v: NodeId| json!([net.pos[v.idx()][0], net.pos[v.idx()][1]]);
        let names = self.loop_names(station_names);
        let mut search = Search::new(net.node_count());
        let mut features = Vec::new();
        for (l, name) in self.loops.iter().zip(&names) {
            let home = stations[l.station];
            let stops: Vec<NodeId> = std::iter::once(home)
                .chain(l.hotspots.iter().map(|&h| hotspots[h]))
                .chain(std::iter::once(home))
                .collect();
            let mut coords = vec![pos(home)];
            for leg in stops.windows(2) {
                if leg[0] == leg[1] {
                    continue;
                }
                search.start(Direction::Forward);
                search.add_source(leg[0], 0.0);
                search.run_to(net, leg[1]);
                coords.extend(
                    search
                        .path(net, leg[1])
                        .into_iter()
                        .map(|e| pos(net.edge_to(e))),
                );
            }
            if coords.len() < 2 {
                coords.push(pos(home)); // every stop at the station itself
            }
            let hs: Vec<&String> = l.hotspots.iter().map(|&h| &hotspot_names[h]).collect();
            features.push(json!({
                "type": "Feature",
                "geometry": { "type": "LineString", "coordinates": coords },
                "properties": {
                    "name": name,
                    "station": station_names[l.station],
                    "lap_s": l.lap_s,
                    "lap_min": l.lap_s / 60.0,
                    "hotspots": hs,
                    "within_target": l.lap_s <= self.target_s,
                },
            }));
        }
        for (s, &node) in stations.iter().enumerate() {
            let loops = self.loops.iter().filter(|l| l.station == s).count();
            features.push(json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": pos(node) },
                "properties": { "kind": "station", "name": station_names[s], "loops": loops },
            }));
        }
        for (h, &node) in hotspots.iter().enumerate() {
            let lp = self.loop_of(h);
            let mut props = json!({
                "kind": "hotspot",
                "name": hotspot_names[h],
                "served": lp.is_some(),
                "loop": lp.map(|i| names[i].clone()),
            });
            if let Some(u) = self.unservable.iter().find(|u| u.hotspot == h) {
                props["best_station"] = json!(station_names[u.best_station]);
                props["round_trip_s"] = json!(u.round_trip_s);
            }
            features.push(json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": pos(node) },
                "properties": props,
            }));
        }
        json!({ "type": "FeatureCollection", "features": features })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::build::{test_line, RawEdge, RawNetwork, RawNode};
    use crate::network::synthetic::SyntheticSpec;
    use crate::network::{CoordSystem, RoadClass};
    use proptest::prelude::*;

    /// Two one-way-ish square rings joined by a slow road 3 <-> 4 (1000 s).
    /// Ring A: 0 -> 1 -> 2 -> 3 -> 0 at 100 s a block, 150 s against the
    /// direction; ring B: 4 -> 5 -> 6 -> 7 -> 4 likewise.
    fn rings() -> Network {
        let xy = [
            (0.0, 0.0),
            (0.0, 100.0),
            (100.0, 100.0),
            (100.0, 0.0),
            (1000.0, 0.0),
            (1000.0, 100.0),
            (1100.0, 100.0),
            (1100.0, 0.0),
        ];
        let mut edges = Vec::new();
        let mut e = |u: usize, v: usize, t: f64| {
            edges.push(RawEdge {
                u,
                v,
                length_m: Some(t),
                time_s: Some(t),
                speed_kph: None,
                class: RoadClass::Local,
            })
        };
        for base in [0, 4] {
            for i in 0..4 {
                let (u, v) = (base + i, base + (i + 1) % 4);
                e(u, v, 100.0);
                e(v, u, 150.0);
            }
        }
        e(3, 4, 1000.0);
        e(4, 3, 1000.0);
        RawNetwork {
            coords: CoordSystem::Planar { unit_m: 1.0 },
            nodes: xy
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| RawNode {
                    ext_id: i as i64,
                    pos: [x, y],
                    weight: None,
                })
                .collect(),
            edges,
        }
        .freeze(30.0)
        .unwrap()
    }

    fn nodes(net: &Network, ext: &[i64]) -> Vec<NodeId> {
        ext.iter().map(|&x| net.node_by_ext(x).unwrap()).collect()
    }

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix} {i}")).collect()
    }

    #[test]
    fn rings_hand_computed_loops() {
        let net = rings();
        let stations = nodes(&net, &[4, 0]); // B, then A
        let hotspots = nodes(&net, &[3, 6, 1, 5, 2, 7]);
        let times = TravelTimes::compute(&net, &stations, &hotspots);
        assert_eq!(times.round_trip(1, 2), 250.0); // A -> 1 -> A
        assert_eq!(times.round_trip(1, 4), 400.0); // A -> 2 -> A
        assert_eq!(times.between_hotspots(2, 0), 200.0); // 1 -> 2 -> 3
        assert_eq!(times.between_hotspots(0, 2), 200.0); // 3 -> 0 -> 1

        // 400 s: one clockwise loop per ring, in driving order.
        let d = design(&net, &stations, &hotspots, 400.0);
        assert!(d.unservable.is_empty());
        assert_eq!(
            d.loops,
            vec![
                DesignedLoop {
                    station: 0,
                    hotspots: vec![3, 1, 5],
                    lap_s: 400.0
                },
                DesignedLoop {
                    station: 1,
                    hotspots: vec![2, 4, 0],
                    lap_s: 400.0
                },
            ]
        );

        // 300 s: the far corner of each ring (400 s round trip) is out of
        // reach, and the two near corners need a loop each (together 400 s).
        let d = design(&net, &stations, &hotspots, 300.0);
        let got: Vec<(usize, Vec<usize>, f64)> = d
            .loops
            .iter()
            .map(|l| (l.station, l.hotspots.clone(), l.lap_s))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, vec![3], 250.0),
                (0, vec![5], 250.0),
                (1, vec![0], 250.0),
                (1, vec![2], 250.0),
            ]
        );
        assert_eq!(
            d.unservable,
            vec![
                Unservable {
                    hotspot: 1,
                    best_station: 0,
                    round_trip_s: 400.0
                },
                Unservable {
                    hotspot: 4,
                    best_station: 1,
                    round_trip_s: 400.0
                },
            ]
        );
    }

    #[test]
    fn hotspot_at_a_station_is_always_servable() {
        let net = rings();
        let stations = nodes(&net, &[0, 4]);
        let hotspots = nodes(&net, &[4, 2]);
        let d = design(&net, &stations, &hotspots, 10.0);
        assert_eq!(
            d.loops,
            vec![DesignedLoop {
                station: 1,
                hotspots: vec![0],
                lap_s: 0.0
            }]
        );
        assert_eq!(d.unservable.len(), 1);
        assert_eq!(d.unservable[0].hotspot, 1);
        assert_eq!(d.unservable[0].best_station, 0);
        assert_eq!(d.unservable[0].round_trip_s, 400.0);
    }

    #[test]
    fn split_sweeps_each_side_of_a_line() {
        // -200 .. 200 m, 100 s a block both ways; station in the middle.
        let mut edges = Vec::new();
        for i in 0..4 {
            edges.push((i, i + 1, 100.0, 100.0));
            edges.push((i + 1, i, 100.0, 100.0));
        }
        let net = test_line(&[-200.0, -100.0, 0.0, 100.0, 200.0], &edges);
        let stations = nodes(&net, &[2]);
        let hotspots = nodes(&net, &[4, 0, 3, 1]);
        // One 800 s sweep would do for 800 s ...
        let d = design(&net, &stations, &hotspots, 800.0);
        assert_eq!(d.loops.len(), 1);
        assert_eq!(d.loops[0].lap_s, 800.0);
        // ... at 400 s each side is a loop of its own (any other pair is 600 s).
        let d = design(&net, &stations, &hotspots, 400.0);
        assert!(d.unservable.is_empty());
        assert_eq!(d.loops.len(), 2);
        let mut sides: Vec<Vec<usize>> = d
            .loops
            .iter()
            .map(|l| {
                assert_eq!(l.lap_s, 400.0);
                let mut h = l.hotspots.clone();
                h.sort();
                h
            })
            .collect();
        sides.sort();
        assert_eq!(sides, vec![vec![0, 2], vec![1, 3]]);
        // Below 400 s the ends are out of reach; each near stop alone is 200 s,
        // both together 400 s.
        let d = design(&net, &stations, &hotspots, 399.0);
        assert_eq!(d.loops.len(), 2);
        let rts: Vec<(usize, f64)> = d
            .unservable
            .iter()
            .map(|u| (u.hotspot, u.round_trip_s))
            .collect();
        assert_eq!(rts, vec![(0, 400.0), (1, 400.0)]);
    }

    /// S0 -50- A -150- M -150- B -50- S1, both ways, plus a one-way shortcut
    /// A -> B of 200 s. A is nearest S0 and B nearest S1 (round trips 100 s);
    /// one loop through both takes 600 s from S0 or S1 (either way round), but
    /// only 500 s from M, driven M -> A -> B -> M (the other way is 600 s).
    fn shortcut_line() -> Network {
        let mut edges = Vec::new();
        for (u, v, t) in [(0, 1, 50.0), (1, 2, 150.0), (2, 3, 150.0), (3, 4, 50.0)] {
            edges.push((u, v, t, t));
            edges.push((v, u, t, t));
        }
        edges.push((1, 3, 200.0, 200.0));
        test_line(&[0.0, 100.0, 250.0, 400.0, 500.0], &edges)
    }

    #[test]
    fn consolidation_merges_loops_of_two_stations() {
        let net = shortcut_line();
        let stations = nodes(&net, &[0, 4, 2]); // S0, S1, M
        let hotspots = nodes(&net, &[1, 3]); // A, B
        let times = TravelTimes::compute(&net, &stations, &hotspots);
        assert_eq!(lap_time(&times, 2, &[0, 1]), 500.0);
        assert_eq!(lap_time(&times, 2, &[1, 0]), 600.0);
        assert_eq!(lap_time(&times, 0, &[0, 1]), 600.0);
        assert_eq!(lap_time(&times, 1, &[1, 0]), 600.0);
        let one = |station, hotspots, lap_s| DesignedLoop {
            station,
            hotspots,
            lap_s,
        };
        // Clustering gives each of S0 and S1 a 100 s loop; at 500 s both
        // merge into one loop from M, the only station in reach of both.
        let d = design(&net, &stations, &hotspots, 500.0);
        assert!(d.unservable.is_empty());
        assert_eq!(d.loops, vec![one(2, vec![0, 1], 500.0)]);
        // With more room M still gives the smallest lap.
        let d = design(&net, &stations, &hotspots, 600.0);
        assert_eq!(d.loops, vec![one(2, vec![0, 1], 500.0)]);
        // Just below 500 s no merge fits.
        let d = design(&net, &stations, &hotspots, 499.0);
        assert_eq!(
            d.loops,
            vec![one(0, vec![0], 100.0), one(1, vec![1], 100.0)]
        );
        // Without M: at 600 s S0 and S1 tie and the lower index, S0, wins.
        let d = design(&net, &stations[..2], &hotspots, 600.0);
        assert_eq!(d.loops.len(), 1);
        assert_eq!((d.loops[0].station, d.loops[0].lap_s), (0, 600.0));
        let d = design(&net, &stations[..2], &hotspots, 599.0);
        assert_eq!(d.loops.len(), 2);
    }

    /// Points on a line, travel time = distance: 150 stations at x = 1000 i,
    /// hotspots at 1000 k + 400 and 1000 k + 600 for k < 149.
    fn gaps_line() -> TravelTimes {
        let (ns, gaps) = (150usize, 149usize);
        let mut xs: Vec<f64> = (0..ns).map(|i| 1000.0 * i as f64).collect();
        for k in 0..gaps {
            xs.push(1000.0 * k as f64 + 400.0);
            xs.push(1000.0 * k as f64 + 600.0);
        }
        let t = xs
            .iter()
            .flat_map(|a| xs.iter().map(move |b| (a - b).abs()))
            .collect();
        TravelTimes {
            stations: ns,
            hotspots: 2 * gaps,
            t,
        }
    }

    #[test]
    fn consolidation_of_many_loops_pairs_neighbours() {
        // At 1200 s each station's two hotspots (400 s either side, 1600 s
        // together) need a loop each: 298 single-hotspot loops, over
        // MERGE_ALL_MAX, so only near loops are paired. The two hotspots of
        // each gap between stations fit one 1200 s loop, from either end (the
        // lower station wins the tie); nothing else fits.
        let tt = gaps_line();
        let d = design_from_times(&tt, 1200.0);
        assert!(d.unservable.is_empty());
        assert_eq!(d.loops.len(), 149);
        for (k, l) in d.loops.iter().enumerate() {
            assert_eq!(l.station, k);
            let mut h = l.hotspots.clone();
            h.sort();
            assert_eq!(h, vec![2 * k, 2 * k + 1]);
            assert_eq!(l.lap_s, 1200.0);
        }
        // Below that, nothing merges.
        let d = design_from_times(&tt, 1199.0);
        assert_eq!(d.loops.len(), 298);
    }

    #[test]
    fn toml_fragment_parses() {
        let net = rings();
        let stations = nodes(&net, &[4, 0]);
        let hotspots = nodes(&net, &[3, 6, 1, 5, 2, 7]);
        let d = design(&net, &stations, &hotspots, 300.0);
        let sn = vec!["Ring \"B\"".to_string(), "Ring A\\west".to_string()];
        let hn: Vec<String> = (0..6).map(|i| format!("Spot {i}\n\u{7}é")).collect();
        let text = d.to_toml(&sn, &hn, 2);
        let v: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let patrols = v["patrols"].as_array().unwrap();
        assert_eq!(patrols.len(), d.loops.len());
        let names = d.loop_names(&sn);
        for ((p, l), name) in patrols.iter().zip(&d.loops).zip(&names) {
            assert_eq!(p["name"].as_str(), Some(name.as_str()));
            assert_eq!(p["station"].as_str(), Some(sn[l.station].as_str()));
            assert_eq!(p["units"].as_integer(), Some(2));
            let w: Vec<&str> = p["waypoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            let mut want = vec![sn[l.station].as_str()];
            want.extend(l.hotspots.iter().map(|&h| hn[h].as_str()));
            assert_eq!(w, want);
        }
        assert_eq!(names[0], "Ring \"B\" loop 1");
        assert_eq!(names[1], "Ring \"B\" loop 2");
        assert_eq!(names[2], "Ring A\\west loop 1");
        assert!(text.contains("# Lap 4:10 (250.0 s) of the 5:00 target."));
        assert!(text
            .contains("round trip from the nearest station alone is 6:40, over the 5:00 target."));
    }

    #[test]
    fn geojson_follows_the_roads() {
        let net = rings();
        let stations = nodes(&net, &[4, 0]);
        let hotspots = nodes(&net, &[3, 6, 1, 5, 2, 7]);
        let (sn, hn) = (names("S", 2), names("H", 6));
        let d = design(&net, &stations, &hotspots, 300.0);
        let g = d.to_geojson(&net, &stations, &hotspots, &sn, &hn);
        assert_eq!(g["type"], "FeatureCollection");
        let f = g["features"].as_array().unwrap();
        assert_eq!(f.len(), d.loops.len() + stations.len() + hotspots.len());
        for (feat, l) in f.iter().zip(&d.loops) {
            assert_eq!(feat["geometry"]["type"], "LineString");
            let c = feat["geometry"]["coordinates"].as_array().unwrap();
            let home = net.pos[stations[l.station].idx()];
            assert_eq!(c[0], json!(home));
            assert_eq!(c[c.len() - 1], json!(home));
            assert_eq!(feat["properties"]["within_target"], true);
        }
        // Unservable hotspot 1 has no loop.
        let h1 = &f[d.loops.len() + 2 + 1]["properties"];
        assert_eq!(h1["served"], false);
        assert_eq!(h1["loop"], Value::Null);
        assert_eq!(h1["round_trip_s"], 400.0);

        // At 400 s ring A's loop drives 0 -> 1 -> 2 -> 3 -> 0, node by node.
        let d = design(&net, &stations, &hotspots, 400.0);
        let g = d.to_geojson(&net, &stations, &hotspots, &sn, &hn);
        let c = &g["features"][1]["geometry"]["coordinates"];
        let want: Vec<[f64; 2]> = nodes(&net, &[0, 1, 2, 3, 0])
            .iter()
            .map(|v| net.pos[v.idx()])
            .collect();
        assert_eq!(*c, json!(want));
        assert_eq!(g["features"][1]["properties"]["name"], "S 1 loop 1");
        assert_eq!(
            g["features"][1]["properties"]["hotspots"],
            json!(["H 2", "H 4", "H 0"])
        );
    }

    #[test]
    fn same_design_on_any_thread_count() {
        let net = SyntheticSpec {
            rows: 30,
            cols: 30,
            seed: 11,
            ..Default::default()
        }
        .generate()
        .freeze(30.0)
        .unwrap();
        let n = net.node_count() as u32;
        let stations: Vec<NodeId> = (0..4).map(|i| NodeId(i * 211 % n)).collect();
        let hotspots: Vec<NodeId> = (0..25).map(|i| NodeId((i * 97 + 13) % n)).collect();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| design(&net, &stations, &hotspots, 600.0))
        };
        let one = run(1);
        assert_eq!(one, run(4));
        assert!(!one.loops.is_empty());
    }

    /// A random asymmetric matrix over a depot (point 0) and `k` stops.
    fn matrix(k: usize, vals: &[f64]) -> TravelTimes {
        let n = k + 1;
        let mut t = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    t[a * n + b] = vals[(a * n + b) % vals.len()];
                }
            }
        }
        TravelTimes {
            stations: 1,
            hotspots: k,
            t,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The local search ends at a local optimum of both neighbourhoods
        /// (checked by recomputing every move from scratch) and never worsens.
        #[test]
        fn local_search_reaches_a_local_optimum(
            k in 2usize..9,
            vals in prop::collection::vec(1.0f64..100.0, 7..40),
        ) {
            let tt = matrix(k, &vals);
            let mut seq: Vec<usize> = (1..=k).collect();
            let before = route_cost(&tt, 0, &seq);
            improve(&tt, 0, &mut seq);
            let cost = route_cost(&tt, 0, &seq);
            prop_assert!(cost <= before);
            let mut sorted = seq.clone();
            sorted.sort();
            prop_assert_eq!(sorted, (1..=k).collect::<Vec<_>>());
            let mut cand = Vec::new();
            for a in 0..k {
                for b in a + 1..k {
                    let mut c = seq.clone();
                    c[a..=b].reverse();
                    prop_assert!(route_cost(&tt, 0, &c) > cost - 1e-6, "2-opt {a}..={b}");
                }
            }
            for len in 1..=OR_OPT_MAX.min(k - 1) {
                for i in 0..=k - len {
                    for p in 0..=k - len {
                        for rev in [false, true] {
                            or_move(&seq, i, len, p, rev, &mut cand);
                            prop_assert!(route_cost(&tt, 0, &cand) > cost - 1e-6);
                        }
                    }
                }
            }
        }

        /// Split matches brute force over every set of cuts.
        #[test]
        fn split_is_optimal(
            k in 1usize..9,
            vals in prop::collection::vec(1.0f64..100.0, 7..40),
            target in 50.0f64..400.0,
        ) {
            let tt = matrix(k, &vals);
            let seq: Vec<usize> = (1..=k).collect();
            prop_assume!(seq.iter().all(|&x| route_cost(&tt, 0, &[x]) <= target));
            let chunks = split(&tt, 0, &seq, target);
            let laps: Vec<f64> = chunks.iter().map(|c| route_cost(&tt, 0, &seq[c.clone()])).collect();
            prop_assert!(laps.iter().all(|&l| l <= target));
            prop_assert_eq!(chunks.first().unwrap().start, 0);
            prop_assert_eq!(chunks.last().unwrap().end, k);
            prop_assert!(chunks.windows(2).all(|w| w[0].end == w[1].start));
            let mut best = (usize::MAX, f64::INFINITY);
            for mask in 0u32..1 << (k - 1) {
                let mut start = 0;
                let (mut n, mut total, mut ok) = (0, 0.0, true);
                for j in 1..=k {
                    if j == k || mask & (1 << (j - 1)) != 0 {
                        let lap = route_cost(&tt, 0, &seq[start..j]);
                        ok &= lap <= target;
                        n += 1;
                        total += lap;
                        start = j;
                    }
                }
                if ok && (n < best.0 || (n == best.0 && total < best.1)) {
                    best = (n, total);
                }
            }
            prop_assert_eq!(chunks.len(), best.0);
            prop_assert!((laps.iter().sum::<f64>() - best.1).abs() < 1e-9);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn designs_on_random_cities_are_sound(
            rows in 6usize..14,
            cols in 6usize..14,
            seed in 0u64..1000,
            // Longer blocks than the default 110 m, so that some hotspots are out of reach.
            block_m in 110.0f64..400.0,
            st in prop::collection::vec(any::<u32>(), 1..4),
            hs in prop::collection::vec(any::<u32>(), 1..15),
            target in 200.0f64..900.0,
        ) {
            let net = SyntheticSpec { rows, cols, seed, block_m, ..Default::default() }
                .generate()
                .freeze(30.0)
                .unwrap();
            let n = net.node_count() as u32;
            let stations: Vec<NodeId> = st.iter().map(|&x| NodeId(x % n)).collect();
            let hotspots: Vec<NodeId> = hs.iter().map(|&x| NodeId(x % n)).collect();
            let d = design(&net, &stations, &hotspots, target);
            let tt = TravelTimes::compute(&net, &stations, &hotspots);
            let mut search = Search::new(net.node_count());
            let mut time = |a: NodeId, b: NodeId| {
                search.start(Direction::Forward);
                search.add_source(a, 0.0);
                search.run_to(&net, b).unwrap()
            };
            // Round trips, recomputed leg by leg.
            let rt: Vec<Vec<f64>> = hotspots
                .iter()
                .map(|&h| stations.iter().map(|&s| time(s, h) + time(h, s)).collect())
                .collect();
            let mut seen = vec![0usize; hotspots.len()];
            for (i, l) in d.loops.iter().enumerate() {
                prop_assert!(!l.hotspots.is_empty());
                prop_assert!(l.lap_s <= target + 1e-9, "loop {i}: {} > {target}", l.lap_s);
                prop_assert_eq!(l.lap_s, lap_time(&tt, l.station, &l.hotspots));
                let home = stations[l.station];
                let stops: Vec<NodeId> = std::iter::once(home)
                    .chain(l.hotspots.iter().map(|&h| hotspots[h]))
                    .chain(std::iter::once(home))
                    .collect();
                let legs: f64 = stops.windows(2).map(|w| time(w[0], w[1])).sum();
                prop_assert!((legs - l.lap_s).abs() < 1e-6, "{legs} != {}", l.lap_s);
                for &h in &l.hotspots {
                    seen[h] += 1;
                }
            }
            prop_assert!(d
                .loops
                .windows(2)
                .all(|w| (w[0].station, w[0].hotspots[0]) < (w[1].station, w[1].hotspots[0])));
            let mut unservable = vec![false; hotspots.len()];
            for u in &d.unservable {
                unservable[u.hotspot] = true;
                let best = rt[u.hotspot].iter().copied().fold(f64::INFINITY, f64::min);
                prop_assert!(u.round_trip_s > target);
                prop_assert!((u.round_trip_s - best).abs() < 1e-6);
                prop_assert!((rt[u.hotspot][u.best_station] - best).abs() < 1e-6);
            }
            for h in 0..hotspots.len() {
                if unservable[h] {
                    prop_assert_eq!(seen[h], 0);
                } else {
                    prop_assert_eq!(seen[h], 1, "hotspot {}", h);
                    prop_assert!(rt[h].iter().any(|&r| r <= target + 1e-6));
                }
            }
            let servable = hotspots.len() - d.unservable.len();
            prop_assert!(d.loops.len() <= servable);
            // Merge-minimal: no two loops fit one loop within the target.
            let ns = stations.len();
            let drafts: Vec<Draft> = d
                .loops
                .iter()
                .map(|l| Draft {
                    station: l.station,
                    seq: l.hotspots.iter().map(|&h| ns + h).collect(),
                    lap: l.lap_s,
                })
                .collect();
            for i in 0..drafts.len() {
                for j in i + 1..drafts.len() {
                    let m = try_merge(&tt, &drafts[i], &drafts[j], target);
                    prop_assert!(m.is_none(), "loops {i} and {j} merge: {m:?}");
                }
            }
        }
    }
}
