//! Calls for service: where and when they happen.
//!
//! Owns the [`Call`] type, the spatial model (a probability per node: a spread
//! part over all nodes, optionally weighted by a node column, plus a part
//! drawn near hotspots), the non-homogeneous Poisson arrival process with its
//! hourly profile, and replay of recorded incidents from CSV. Generation uses
//! its own random streams, which depend only on the seed and the replication,
//! never on the layout of stations: two layouts of one city see the same calls.

use std::collections::HashSet;
use std::path::Path;

use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::error::{Error, Result};
use crate::network::csv_import::Table;
use crate::network::snap::Snapper;
use crate::network::{CoordSystem, Network, NodeId};
use crate::rng::{self, Stream};
use crate::scenario::ServiceDist;

/// One call for service.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Id (from the replay file, or the index in time order).
    pub id: u64,
    /// When the call comes in, seconds from the start.
    pub time_s: f64,
    /// Where it is.
    pub node: NodeId,
    /// Priority, 1 = most urgent.
    pub priority: u8,
    /// Time on scene, seconds.
    pub service_s: f64,
}

/// Where calls fall: a probability for every node.
#[derive(Clone, Debug)]
pub struct Spatial {
    /// Probability of each node (sums to 1).
    pub prob: Vec<f64>,
    cum: Vec<f64>,
}

impl Spatial {
    /// From non-negative weights per node (need not sum to 1; must not all be 0).
    pub fn from_weights(w: Vec<f64>) -> Spatial {
        let total: f64 = w.iter().sum();
        let prob: Vec<f64> = w.iter().map(|x| x / total).collect();
        let mut acc = 0.0;
        let cum = prob
            .iter()
            .map(|p| {
                acc += p;
                acc
            })
            .collect();
        Spatial { prob, cum }
    }

    /// Draw a node.
    pub fn sample(&self, rng: &mut impl rand::Rng) -> NodeId {
        let u: f64 = rng.random::<f64>() * self.cum[self.cum.len() - 1];
        let i = self.cum.partition_point(|&c| c <= u);
        // Skip zero-probability nodes that share a cumulative value.
        NodeId(i.min(self.cum.len() - 1) as u32)
    }
}

/// Where calls come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A Poisson process.
    Poisson {
        /// Mean calls per hour over the day.
        calls_per_hour: f64,
        /// Relative rate per hour of day, mean 1.
        profile: [f64; 24],
        /// Cumulative shares of priorities 1, 2, ...
        priority_cum: Vec<f64>,
    },
    /// Recorded calls, sorted by time then id. A call whose file row had no
    /// `service_s` holds NaN there; each replication draws it afresh.
    Replay(Vec<Call>),
}

/// The resolved demand model.
#[derive(Clone, Debug)]
pub struct Demand {
    /// Arrival process or replay.
    pub source: Source,
    /// Where calls fall (for a replay: the observed mix).
    pub spatial: Spatial,
    /// Number of priorities.
    pub priorities: usize,
}

/// Draw one service time.
pub fn sample_service(d: &ServiceDist, rng: &mut impl rand::Rng) -> f64 {
    match *d {
        ServiceDist::Fixed { mean_s } => mean_s,
        ServiceDist::Exponential { mean_s } => {
            let e: f64 = Exp1.sample(rng);
            e * mean_s
        }
        ServiceDist::Lognormal { mean_s, sd_s } => {
            let s2 = (1.0 + (sd_s / mean_s).powi(2)).ln();
            let mu = mean_s.ln() - s2 / 2.0;
            let z: f64 = StandardNormal.sample(rng);
            (mu + s2.sqrt() * z).exp()
        }
    }
}

impl Demand {
    /// The calls of replication `rep` in `[0, horizon_s)`, sorted by time then id.
    pub fn calls(&self, service: &[ServiceDist], seed: u64, rep: u64, horizon_s: f64) -> Vec<Call> {
        match &self.source {
            Source::Replay(calls) => {
                let mut r_svc = rng::stream(seed, Stream::Service, rep);
                calls
                    .iter()
                    .filter(|c| c.time_s < horizon_s)
                    .map(|c| {
                        let mut c = c.clone();
                        if c.service_s.is_nan() {
                            let d = &service[(c.priority as usize - 1).min(service.len() - 1)];
                            c.service_s = sample_service(d, &mut r_svc);
                        }
                        c
                    })
                    .collect()
            }
            Source::Poisson {
                calls_per_hour,
                profile,
                priority_cum,
            } => {
                let mut r_time = rng::stream(seed, Stream::Arrivals, rep);
                let mut r_loc = rng::stream(seed, Stream::Locations, rep);
                let mut r_pri = rng::stream(seed, Stream::Priorities, rep);
                let mut r_svc = rng::stream(seed, Stream::Service, rep);
                let mut calls = Vec::new();
                let hours = (horizon_s / 3600.0).ceil() as usize;
                for h in 0..hours {
                    let (a, b) = (h as f64 * 3600.0, ((h + 1) as f64 * 3600.0).min(horizon_s));
                    let rate = calls_per_hour * profile[h % 24] / 3600.0;
                    if rate <= 0.0 {
                        continue;
                    }
                    // Exponential gaps are memoryless, so restarting at each
                    // hour boundary is exact for a piecewise-constant rate.
                    let mut t = a;
                    loop {
                        let e: f64 = Exp1.sample(&mut r_time);
                        t += e / rate;
                        if t >= b {
                            break;
                        }
                        let node = self.spatial.sample(&mut r_loc);
                        let u: f64 = r_pri.random();
                        let p = priority_cum
                            .partition_point(|&c| c <= u)
                            .min(priority_cum.len() - 1);
                        let priority = (p + 1) as u8;
                        let d = &service[(p).min(service.len() - 1)];
                        let service_s = sample_service(d, &mut r_svc);
                        calls.push(Call {
                            id: calls.len() as u64,
                            time_s: t,
                            node,
                            priority,
                            service_s,
                        });
                    }
                }
                calls
            }
        }
    }
}

/// Read a replay file: `id,time_s,x,y,priority,service_s`, with `node` in
/// place of `x,y` allowed, `priority` defaulting to 1 and a missing
/// `service_s` left as NaN, to be drawn per replication by [`Demand::calls`].
pub fn read_replay(
    path: &Path,
    net: &Network,
    snapper: &Snapper,
    snap_max_m: f64,
) -> Result<Vec<Call>> {
    let mut t = Table::open(path)?;
    let c_id = t.require(&["id"])?;
    let c_time = t.require(&["time_s"])?;
    let c_node = t.col(&["node"]);
    let (c_x, c_y) = (t.col(&["x", "lon"]), t.col(&["y", "lat"]));
    if c_node.is_none() && (c_x.is_none() || c_y.is_none()) {
        t.require(&["x", "node"])?;
        t.require(&["y", "node"])?;
    }
    let c_pri = t.col(&["priority"]);
    let c_svc = t.col(&["service_s"]);
    let mut seen = HashSet::new();
    let mut calls = Vec::new();
    t.rows(|r| {
        let id = r.id(c_id)?;
        if id < 0 {
            return Err(r.err(c_id, format!("call id must be zero or positive, got {id}")));
        }
        if !seen.insert(id) {
            return Err(r.err(c_id, format!("duplicate call id {id}")));
        }
        let time_s = r.f64(c_time)?;
        if time_s < 0.0 {
            return Err(r.err(c_time, format!("must be zero or positive, got {time_s}")));
        }
        let node = match c_node.filter(|&c| !r.text(c).is_empty()) {
            Some(c) => {
                let ext = r.id(c)?;
                net.node_by_ext(ext).ok_or_else(|| {
                    r.err(
                        c,
                        format!(
                            "node {ext} is not on the network: unknown, or dropped because \
                             no station could reach it (outside the largest strongly connected component)"
                        ),
                    )
                })?
            }
            None => {
                let (Some(cx), Some(cy)) = (c_x, c_y) else {
                    // No x/y columns, so the node column exists and this cell is empty.
                    return Err(r.err(c_node.unwrap_or(c_id), "empty cell"));
                };
                let pos = [r.f64(cx)?, r.f64(cy)?];
                if net.projection.coords == CoordSystem::LonLat {
                    let (lon, lat) = (pos[0], pos[1]);
                    if !(-180.0..=180.0).contains(&lon) {
                        let msg = format!("longitude {lon:?} is outside -180..180");
                        return Err(r.err(cx, msg));
                    }
                    if !(-90.0..=90.0).contains(&lat) {
                        let msg = format!("latitude {lat:?} is outside -90..90");
                        return Err(r.err(cy, msg));
                    }
                }
                let s = snapper.nearest(net, pos);
                if s.distance_m.is_nan() || s.distance_m > snap_max_m {
                    return Err(r.err(
                        cx,
                        format!(
                            "({:?}, {:?}) is {:.0} m from the nearest road node, more than \
                             network.snap_max_m = {snap_max_m} m: off the map?",
                            pos[0], pos[1], s.distance_m
                        ),
                    ));
                }
                s.node
            }
        };
        let priority = match c_pri.filter(|&c| !r.text(c).is_empty()) {
            Some(c) => {
                let p = r.id(c)?;
                if !(1..=9).contains(&p) {
                    return Err(r.err(c, format!("priority must be 1 to 9, got {p}")));
                }
                p as u8
            }
            None => 1,
        };
        let service_s = r.opt_nonneg(c_svc, false)?.unwrap_or(f64::NAN);
        calls.push(Call {
            id: id as u64,
            time_s,
            node,
            priority,
            service_s,
        });
        Ok(())
    })?;
    if calls.is_empty() {
        return Err(Error::csv(path, 1, "id", "the file has no calls"));
    }
    calls.sort_by(|a, b| a.time_s.total_cmp(&b.time_s).then(a.id.cmp(&b.id)));
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_has_the_requested_mean_and_sd() {
        let d = ServiceDist::Lognormal {
            mean_s: 900.0,
            sd_s: 450.0,
        };
        let mut rng = rng::stream(3, Stream::Service, 0);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| sample_service(&d, &mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!((mean - 900.0).abs() < 6.0, "mean {mean}");
        assert!((sd - 450.0).abs() < 10.0, "sd {sd}");
    }

    #[test]
    fn spatial_sampling_follows_weights() {
        let s = Spatial::from_weights(vec![0.0, 1.0, 0.0, 3.0]);
        let mut rng = rng::stream(1, Stream::Locations, 0);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[s.sample(&mut rng).idx()] += 1;
        }
        assert_eq!(counts[0], 0);
        assert_eq!(counts[2], 0);
        let share = counts[3] as f64 / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }
}
