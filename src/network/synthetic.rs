//! A synthetic city, deterministic from a seed.
//!
//! A jittered street grid with three road classes: local streets (default
//! 30 km/h), an arterial every few blocks (50 km/h) and square ring roads
//! (70 km/h). A share of local blocks is missing and a share of local streets
//! is one-way, so that shortest paths are not grid-trivial. Coordinates are
//! WGS84 lon/lat around a configurable centre. It is the embedded default
//! network: it needs no download.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::build::{RawEdge, RawNetwork, RawNode};
use super::{CoordSystem, Projection, RoadClass};
use crate::rng::{self, Stream};

/// Parameters of the synthetic city (`[network.synthetic]`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticSpec {
    /// Seed of the generator (jitter, missing blocks, one-way streets).
    pub seed: u64,
    /// Grid rows (intersections north to south).
    pub rows: usize,
    /// Grid columns (intersections west to east).
    pub cols: usize,
    /// Block length, metres.
    pub block_m: f64,
    /// An arterial every this many rows and columns.
    pub arterial_every: usize,
    /// Number of square ring roads around the centre.
    pub rings: usize,
    /// Speed on local streets, km/h.
    pub local_kph: f64,
    /// Speed on arterials, km/h.
    pub arterial_kph: f64,
    /// Speed on ring roads, km/h.
    pub ring_kph: f64,
    /// Random displacement of intersections, as a share of `block_m` (0 to 0.4).
    pub jitter: f64,
    /// Share of local street blocks that are missing (0 to 0.5).
    pub missing_share: f64,
    /// Share of local street blocks that are one-way (0 to 1).
    pub oneway_share: f64,
    /// Longitude of the city centre, degrees.
    pub center_lon: f64,
    /// Latitude of the city centre, degrees.
    pub center_lat: f64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            seed: 7,
            rows: 150,
            cols: 150,
            block_m: 110.0,
            arterial_every: 8,
            rings: 2,
            local_kph: 30.0,
            arterial_kph: 50.0,
            ring_kph: 70.0,
            jitter: 0.2,
            missing_share: 0.06,
            oneway_share: 0.1,
            center_lon: 114.30,
            center_lat: 30.59,
        }
    }
}

impl SyntheticSpec {
    /// Check the ranges; the error is `(field, message)`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let pos = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err((name, format!("must be a positive number, got {v}")))
            }
        };
        if self.rows < 2 || self.cols < 2 {
            return Err(("rows", "rows and cols must be at least 2".into()));
        }
        if self.rows.saturating_mul(self.cols) > 20_000_000 {
            return Err(("rows", "rows x cols must be at most 20,000,000".into()));
        }
        pos("block_m", self.block_m)?;
        pos("local_kph", self.local_kph)?;
        pos("arterial_kph", self.arterial_kph)?;
        pos("ring_kph", self.ring_kph)?;
        if self.arterial_every == 0 {
            return Err(("arterial_every", "must be at least 1".into()));
        }
        let share = |name: &'static str, v: f64, hi: f64| {
            if (0.0..=hi).contains(&v) {
                Ok(())
            } else {
                Err((name, format!("must be between 0 and {hi}, got {v}")))
            }
        };
        share("jitter", self.jitter, 0.4)?;
        share("missing_share", self.missing_share, 0.5)?;
        share("oneway_share", self.oneway_share, 1.0)?;
        if !(-180.0..=180.0).contains(&self.center_lon) {
            return Err(("center_lon", "must be within -180..180".into()));
        }
        if !(-80.0..=80.0).contains(&self.center_lat) {
            return Err(("center_lat", "must be within -80..80".into()));
        }
        Ok(())
    }

    /// Generate the city's edge list.
    pub fn generate(&self) -> RawNetwork {
        let mut rng = rng::stream(self.seed, Stream::Network, 0);
        let (rows, cols) = (self.rows, self.cols);
        let proj = Projection::new(CoordSystem::LonLat, self.center_lon, self.center_lat);
        let (cr, cc) = ((rows - 1) as f64 / 2.0, (cols - 1) as f64 / 2.0);
        let mut nodes = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                let jx = (rng.random::<f64>() * 2.0 - 1.0) * self.jitter * self.block_m;
                let jy = (rng.random::<f64>() * 2.0 - 1.0) * self.jitter * self.block_m;
                let m = [
                    (c as f64 - cc) * self.block_m + jx,
                    (cr - r as f64) * self.block_m + jy,
                ];
                nodes.push(RawNode {
                    ext_id: (r * cols + c) as i64,
                    pos: proj.from_metres(m),
                    weight: None,
                });
            }
        }
        // Ring k sits at Chebyshev distance ring_at[k] blocks from the centre.
        let half = cr.min(cc);
        let ring_at: Vec<f64> = (1..=self.rings)
            .map(|k| (half * k as f64 / (self.rings as f64 + 1.0)).round())
            .collect();
        let on_ring = |r: usize, c: usize| {
            let d = (r as f64 - cr).abs().max((c as f64 - cc).abs());
            ring_at.iter().any(|&k| (d - k).abs() < 0.51)
        };
        let mut edges = Vec::with_capacity(rows * cols * 4);
        let mut add = |u: usize, v: usize, class: RoadClass, kph: f64, oneway: Option<bool>| {
            let e = RawEdge {
                u,
                v,
                length_m: None,
                time_s: None,
                speed_kph: Some(kph),
                class,
            };
            match oneway {
                None => {
                    edges.push(RawEdge {
                        u: v,
                        v: u,
                        ..e.clone()
                    });
                    edges.push(e);
                }
                Some(true) => edges.push(e),
                Some(false) => edges.push(RawEdge { u: v, v: u, ..e }),
            }
        };
        let every = self.arterial_every;
        for r in 0..rows {
            for c in 0..cols {
                let u = r * cols + c;
                // East (same row) and south (same column) neighbours.
                for (dr, dc) in [(0usize, 1usize), (1, 0)] {
                    let (r2, c2) = (r + dr, c + dc);
                    if r2 >= rows || c2 >= cols {
                        continue;
                    }
                    let v = r2 * cols + c2;
                    let ring = on_ring(r, c) && on_ring(r2, c2);
                    let arterial = if dr == 0 {
                        r % every == 0
                    } else {
                        c % every == 0
                    };
                    let (class, kph) = if ring {
                        (RoadClass::Expressway, self.ring_kph)
                    } else if arterial {
                        (RoadClass::Arterial, self.arterial_kph)
                    } else {
                        (RoadClass::Local, self.local_kph)
                    };
                    // Draw both numbers for every block so the stream does not
                    // depend on the class layout.
                    let missing = rng.random::<f64>() < self.missing_share;
                    let oneway_draw = rng.random::<f64>();
                    if class == RoadClass::Local && missing {
                        continue;
                    }
                    let oneway = (class == RoadClass::Local && oneway_draw < self.oneway_share)
                        .then_some((if dr == 0 { r } else { c }) % 2 == 0);
                    add(u, v, class, kph, oneway);
                }
            }
        }
        RawNetwork {
            coords: CoordSystem::LonLat,
            nodes,
            edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_city_is_large_and_mostly_connected() {
        let net = SyntheticSpec::default().generate().freeze(30.0).unwrap();
        assert!(net.node_count() >= 20_000, "{} nodes", net.node_count());
        assert!(net.dropped.dropped_nodes < 500, "{:?}", net.dropped);
        // Three road classes are present.
        for class in [RoadClass::Local, RoadClass::Arterial, RoadClass::Expressway] {
            assert!(net.edge_class.contains(&class), "{class:?} missing");
        }
        // Speeds follow the classes.
        for e in 0..net.edge_count() {
            let kph = net.edge_len_m[e] / net.fwd.time_s[e] * 3.6;
            let want = match net.edge_class[e] {
                RoadClass::Local => 30.0,
                RoadClass::Arterial => 50.0,
                _ => 70.0,
            };
            assert!((kph - want).abs() < 1e-6, "edge {e}: {kph} km/h");
        }
    }

    #[test]
    fn same_seed_same_city_other_seed_other_city() {
        let spec = SyntheticSpec {
            rows: 20,
            cols: 20,
            ..Default::default()
        };
        let a = spec.generate().freeze(30.0).unwrap();
        let b = spec.generate().freeze(30.0).unwrap();
        assert_eq!(a.pos, b.pos);
        assert_eq!(a.fwd.head, b.fwd.head);
        let c = SyntheticSpec { seed: 8, ..spec }
            .generate()
            .freeze(30.0)
            .unwrap();
        assert_ne!(a.pos, c.pos);
    }
}
