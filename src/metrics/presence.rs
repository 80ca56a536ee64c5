//! Police presence at hotspots: the share of time some unit is within a
//! radius of each hotspot.
//!
//! [`Presence`] is an [`Observer`] of unit drives. Positions are linear in
//! time along an edge, so the time a unit spends within the radius while
//! crossing an edge follows exactly from where the straight edge cuts the
//! circle; a standing unit is present for as long as it stands within the
//! radius. Intervals of all units are merged per hotspot and measured within
//! the window `[warmup_s, horizon_s)`.

use crate::network::Network;
use crate::sim::events::{Observer, SimEvent};
use crate::sim::units::Route;

/// For each edge, the hotspots whose circle it crosses and where: `(hotspot,
/// f0, f1)` with `f` the share of the edge's length from its tail.
struct EdgeCuts {
    first: Vec<u32>,
    cuts: Vec<(u32, f64, f64)>,
}

/// Where the segment `a -> b` lies within `r` of `c`, as shares of its length.
fn cut(a: [f64; 2], b: [f64; 2], c: [f64; 2], r: f64) -> Option<(f64, f64)> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let m = [a[0] - c[0], a[1] - c[1]];
    let qa = d[0] * d[0] + d[1] * d[1];
    let qb = 2.0 * (m[0] * d[0] + m[1] * d[1]);
    let qc = m[0] * m[0] + m[1] * m[1] - r * r;
    if qa == 0.0 {
        return (qc <= 0.0).then_some((0.0, 1.0));
    }
    let disc = qb * qb - 4.0 * qa * qc;
    if disc < 0.0 {
        return None;
    }
    let s = disc.sqrt();
    let (f0, f1) = ((-qb - s) / (2.0 * qa), (-qb + s) / (2.0 * qa));
    let (f0, f1) = (f0.max(0.0), f1.min(1.0));
    (f0 < f1).then_some((f0, f1))
}

/// Measures presence at hotspots from the drives of all units.
pub struct Presence<'a> {
    net: &'a Network,
    centres: Vec<[f64; 2]>,
    radius_m: f64,
    edges: EdgeCuts,
    /// Per unit: the current drive and when it started, or where it stands since when.
    current: Vec<(Option<Route>, f64, u32)>,
    intervals: Vec<Vec<(f64, f64)>>,
    window: (f64, f64),
}

impl<'a> Presence<'a> {
    /// Watch `homes.len()` units standing at `homes` at time 0, for hotspots
    /// at `centres` (nodes), within `radius_m`, measured over `window`.
    pub fn new(
        net: &'a Network,
        hotspot_nodes: &[u32],
        homes: &[u32],
        radius_m: f64,
        window: (f64, f64),
    ) -> Presence<'a> {
        let centres: Vec<[f64; 2]> = hotspot_nodes.iter().map(|&v| net.xy[v as usize]).collect();
        let m = net.edge_count();
        let max_len = net.edge_len_m.iter().copied().fold(0.0, f64::max);
        let mut per_edge: Vec<Vec<(u32, f64, f64)>> = Vec::new();
        per_edge.resize_with(m, Vec::new);
        if !centres.is_empty() {
            let snapper = crate::network::snap::Snapper::new(net);
            for (h, &c) in centres.iter().enumerate() {
                // A segment that enters the circle has an end within r + L/2 of it.
                for v in snapper.within_m(c, radius_m + max_len / 2.0 + 1.0) {
                    for slot in net.fwd.range(v.0) {
                        let (a, b) = (net.xy[v.idx()], net.xy[net.fwd.head[slot] as usize]);
                        if let Some((f0, f1)) = cut(a, b, c, radius_m) {
                            per_edge[slot].push((h as u32, f0, f1));
                        }
                    }
                }
            }
        }
        let mut first = Vec::with_capacity(m + 1);
        let mut cuts = Vec::new();
        first.push(0);
        for list in per_edge {
            cuts.extend(list);
            first.push(cuts.len() as u32);
        }
        Presence {
            net,
            radius_m,
            intervals: vec![Vec::new(); centres.len()],
            centres,
            edges: EdgeCuts { first, cuts },
            current: homes.iter().map(|&h| (None, 0.0, h)).collect(),
            window,
        }
    }

    fn stand(&mut self, node: u32, from: f64, to: f64) {
        if to <= from {
            return;
        }
        let p = self.net.xy[node as usize];
        for (h, c) in self.centres.iter().enumerate() {
            let d2 = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
            if d2 <= self.radius_m * self.radius_m {
                self.intervals[h].push((from, to));
            }
        }
    }

    fn drive(&mut self, route: &Route, from: f64, to: f64) {
        let start = route.t_end.partition_point(|&x| x <= from);
        for i in start..route.edges.len() {
            let e = route.edges[i].idx();
            let te = self.net.fwd.time_s[e];
            let (s, f) = (route.t_end[i] - te, route.t_end[i]);
            if s >= to {
                break;
            }
            let (lo, hi) = (s.max(from).max(route.t0), f.min(to));
            if te <= 0.0 || hi <= lo {
                continue;
            }
            let r = self.edges.first[e] as usize..self.edges.first[e + 1] as usize;
            for &(h, f0, f1) in &self.edges.cuts[r] {
                let (a, b) = ((s + f0 * te).max(lo), (s + f1 * te).min(hi));
                if b > a {
                    self.intervals[h as usize].push((a, b));
                }
            }
        }
    }

    /// Close every unit's last drive or stand at `t`.
    fn flush(&mut self, unit: usize, t: f64) {
        let (route, since, node) = std::mem::replace(&mut self.current[unit], (None, t, 0));
        match route {
            Some(r) => {
                let end = r.arrival();
                self.drive(&r, since, t.min(end));
                self.stand(r.dest.0, end.max(since), t);
                self.current[unit].2 = r.dest.0;
            }
            None => {
                self.stand(node, since, t);
                self.current[unit].2 = node;
            }
        }
    }

    /// The share of the window during which each hotspot had a unit within the radius.
    pub fn finish(mut self, end: f64) -> Vec<f64> {
        for u in 0..self.current.len() {
            self.flush(u, end.max(self.window.1));
        }
        let (w0, w1) = self.window;
        self.intervals
            .iter_mut()
            .map(|iv| {
                iv.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut covered = 0.0;
                let mut cur: Option<(f64, f64)> = None;
                for &(a, b) in iv.iter() {
                    let (a, b) = (a.max(w0), b.min(w1));
                    if b <= a {
                        continue;
                    }
                    cur = match cur {
                        Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
                        Some((ca, cb)) => {
                            covered += cb - ca;
                            Some((a, b))
                        }
                        None => Some((a, b)),
                    };
                }
                if let Some((ca, cb)) = cur {
                    covered += cb - ca;
                }
                covered / (w1 - w0)
            })
            .collect()
    }
}

impl Observer for Presence<'_> {
    fn event(&mut self, _: f64, _: &SimEvent) {}

    fn route(&mut self, t: f64, unit: u32, route: &Route) {
        self.flush(unit as usize, t);
        self.current[unit as usize] = (Some(route.clone()), t, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_circle_cuts() {
        // A horizontal segment through a circle of radius 5 centred on it.
        assert_eq!(
            cut([0.0, 0.0], [20.0, 0.0], [10.0, 0.0], 5.0),
            Some((0.25, 0.75))
        );
        // Starting inside.
        assert_eq!(
            cut([10.0, 0.0], [20.0, 0.0], [10.0, 0.0], 5.0),
            Some((0.0, 0.5))
        );
        // Passing by.
        assert_eq!(cut([0.0, 6.0], [20.0, 6.0], [10.0, 0.0], 5.0), None);
    }
}
