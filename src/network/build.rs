//! From an edge list to a frozen [`Network`].
//!
//! Every source (CSV, synthetic city, OpenStreetMap) produces a [`RawNetwork`];
//! [`RawNetwork::freeze`] fills in missing lengths and travel times, keeps the
//! largest strongly connected component (found with petgraph) and builds the
//! forward and backward CSR arrays.

use super::{CoordSystem, Csr, DropReport, Network, NodeId, Projection, RoadClass};

/// A node as read from a source.
#[derive(Clone, Debug)]
pub struct RawNode {
    /// The source's id.
    pub ext_id: i64,
    /// Coordinates in the source's system.
    pub pos: [f64; 2],
    /// Optional demand weight.
    pub weight: Option<f64>,
}

/// A directed edge as read from a source; `u` and `v` index [`RawNetwork::nodes`].
#[derive(Clone, Debug)]
pub struct RawEdge {
    /// Tail (index into the node list).
    pub u: usize,
    /// Head (index into the node list).
    pub v: usize,
    /// Length in metres; computed from the coordinates when absent.
    pub length_m: Option<f64>,
    /// Travel time in seconds; wins over `speed_kph` when both are present.
    pub time_s: Option<f64>,
    /// Speed in km/h.
    pub speed_kph: Option<f64>,
    /// Road class.
    pub class: RoadClass,
}

/// An edge list not yet checked for connectivity.
#[derive(Clone, Debug)]
pub struct RawNetwork {
    /// Coordinate system of the node positions.
    pub coords: CoordSystem,
    /// Nodes.
    pub nodes: Vec<RawNode>,
    /// Directed edges.
    pub edges: Vec<RawEdge>,
}

impl RawNetwork {
    /// Freeze into a [`Network`], keeping the largest strongly connected
    /// component. `default_speed_kph` applies to edges with neither a travel
    /// time nor a speed. Errors are plain messages; callers add the file.
    pub fn freeze(self, default_speed_kph: f64) -> Result<Network, String> {
        if self.nodes.is_empty() {
            return Err("the network has no nodes".into());
        }
        if self.edges.is_empty() {
            return Err("the network has no edges".into());
        }
        let n = self.nodes.len();
        let (mut cx, mut cy) = (0.0, 0.0);
        for nd in &self.nodes {
            cx += nd.pos[0];
            cy += nd.pos[1];
        }
        let projection = Projection::new(self.coords, cx / n as f64, cy / n as f64);

        // Lengths and times.
        let mut len = Vec::with_capacity(self.edges.len());
        let mut time = Vec::with_capacity(self.edges.len());
        for e in &self.edges {
            let l = match e.length_m {
                Some(l) => l,
                None => projection.distance_m(self.nodes[e.u].pos, self.nodes[e.v].pos),
            };
            let t = match (e.time_s, e.speed_kph) {
                (Some(t), _) => t,
                (None, Some(s)) => l / (s / 3.6),
                (None, None) => l / (default_speed_kph / 3.6),
            };
            if !t.is_finite() || t < 0.0 {
                return Err(format!(
                    "edge {} -> {} has travel time {t} s",
                    self.nodes[e.u].ext_id, self.nodes[e.v].ext_id
                ));
            }
            len.push(l);
            time.push(t);
        }

        // Largest strongly connected component.
        let mut g = petgraph::Graph::<(), ()>::with_capacity(n, self.edges.len());
        for _ in 0..n {
            g.add_node(());
        }
        for e in &self.edges {
            if e.u != e.v {
                g.add_edge(
                    petgraph::graph::NodeIndex::new(e.u),
                    petgraph::graph::NodeIndex::new(e.v),
                    (),
                );
            }
        }
        let sccs = petgraph::algo::kosaraju_scc(&g);
        let components = sccs.len();
        // Largest; ties go to the component holding the lowest node index.
        let best = sccs
            .iter()
            .map(|c| {
                (
                    c.len(),
                    std::cmp::Reverse(c.iter().map(|x| x.index()).min()),
                )
            })
            .enumerate()
            .max_by_key(|&(_, k)| k)
            .map(|(i, _)| i)
            .unwrap_or(0);
        let mut keep = vec![false; n];
        for x in &sccs[best] {
            keep[x.index()] = true;
        }
        drop(g);
        let mut remap = vec![u32::MAX; n];
        let mut pos = Vec::new();
        let mut ext_id = Vec::new();
        let mut weight = Vec::new();
        let mut any_weight = false;
        for (i, nd) in self.nodes.iter().enumerate() {
            if keep[i] {
                remap[i] = pos.len() as u32;
                pos.push(nd.pos);
                ext_id.push(nd.ext_id);
                any_weight |= nd.weight.is_some();
                weight.push(nd.weight.unwrap_or(0.0));
            }
        }
        let kept_n = pos.len();

        // Kept edges, sorted by (tail, head, time, source order) for a stable CSR.
        let mut kept: Vec<usize> = (0..self.edges.len())
            .filter(|&i| {
                let e = &self.edges[i];
                e.u != e.v && keep[e.u] && keep[e.v]
            })
            .collect();
        let dropped_edges = self.edges.len() - kept.len();
        kept.sort_by(|&a, &b| {
            let (ea, eb) = (&self.edges[a], &self.edges[b]);
            (remap[ea.u], remap[ea.v])
                .cmp(&(remap[eb.u], remap[eb.v]))
                .then(time[a].total_cmp(&time[b]))
                .then(a.cmp(&b))
        });
        let m = kept.len();
        let mut fwd = Csr {
            first: vec![0; kept_n + 1],
            head: Vec::with_capacity(m),
            time_s: Vec::with_capacity(m),
            w: Vec::with_capacity(m),
            edge: (0..m as u32).collect(),
        };
        let mut edge_from = Vec::with_capacity(m);
        let mut edge_len_m = Vec::with_capacity(m);
        let mut edge_class = Vec::with_capacity(m);
        let mut max_speed_mps: f64 = 0.0;
        for &i in &kept {
            let e = &self.edges[i];
            let (u, v) = (remap[e.u], remap[e.v]);
            fwd.first[u as usize + 1] += 1;
            fwd.head.push(v);
            // Whole milliseconds, so that routing sums are exact integers.
            let ms = (time[i] * 1000.0).round();
            if ms > super::MAX_EDGE_MS as f64 {
                return Err(format!(
                    "an edge takes {:.0} s to drive, more than the {} s allowed",
                    time[i],
                    super::MAX_EDGE_MS / 1000
                ));
            }
            fwd.time_s.push(ms / 1000.0);
            fwd.w
                .push(super::edge_weight(ms as u64, fwd.head.len() as u32 - 1));
            edge_from.push(u);
            edge_len_m.push(len[i]);
            edge_class.push(e.class);
            if ms > 0.0 {
                max_speed_mps = max_speed_mps.max(len[i] / (ms / 1000.0));
            }
        }
        for v in 0..kept_n {
            fwd.first[v + 1] += fwd.first[v];
        }
        let bwd = reverse(&fwd, &edge_from, kept_n);

        let mut ext_sorted: Vec<(i64, NodeId)> = ext_id
            .iter()
            .enumerate()
            .map(|(i, &e)| (e, NodeId(i as u32)))
            .collect();
        ext_sorted.sort_unstable();
        let xy = pos.iter().map(|&p| projection.to_metres(p)).collect();
        Ok(Network {
            projection,
            pos,
            xy,
            ext_id,
            ext_sorted,
            fwd,
            bwd,
            edge_from,
            edge_len_m,
            edge_class,
            node_weight: any_weight.then_some(weight),
            dropped: DropReport {
                source_nodes: n,
                source_edges: self.edges.len(),
                dropped_nodes: n - kept_n,
                dropped_edges,
                dropped_components: components - 1,
            },
            max_speed_mps,
            edge_shape: None,
        })
    }
}

/// The backward CSR of a forward one: for each node, the edges entering it,
/// in edge order.
fn reverse(fwd: &Csr, edge_from: &[u32], n: usize) -> Csr {
    let m = fwd.head.len();
    let mut first = vec![0u32; n + 1];
    for &h in &fwd.head {
        first[h as usize + 1] += 1;
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    let mut fill = first.clone();
    let mut head = vec![0u32; m];
    let mut time_s = vec![0f64; m];
    let mut w = vec![0; m];
    let mut edge = vec![0u32; m];
    for (e, (&h, &tail)) in fwd.head.iter().zip(edge_from).enumerate() {
        let h = h as usize;
        let slot = fill[h] as usize;
        fill[h] += 1;
        head[slot] = tail;
        time_s[slot] = fwd.time_s[e];
        w[slot] = fwd.w[e];
        edge[slot] = e as u32;
    }
    Csr {
        first,
        head,
        time_s,
        w,
        edge,
    }
}

/// A small planar network for unit tests: nodes at `(x, 0)` with ids
/// 0, 1, ...; edges as `(u, v, length_m, time_s)`.
#[cfg(test)]
pub(crate) fn test_line(xs: &[f64], edges: &[(usize, usize, f64, f64)]) -> Network {
    RawNetwork {
        coords: CoordSystem::Planar { unit_m: 1.0 },
        nodes: xs
            .iter()
            .enumerate()
            .map(|(i, &x)| RawNode {
                ext_id: i as i64,
                pos: [x, 0.0],
                weight: None,
            })
            .collect(),
        edges: edges
            .iter()
            .map(|&(u, v, l, t)| RawEdge {
                u,
                v,
                length_m: Some(l),
                time_s: Some(t),
                speed_kph: None,
                class: RoadClass::Local,
            })
            .collect(),
    }
    .freeze(30.0)
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, x: f64, y: f64) -> RawNode {
        RawNode {
            ext_id: id,
            pos: [x, y],
            weight: None,
        }
    }

    fn edge(u: usize, v: usize, t: f64) -> RawEdge {
        RawEdge {
            u,
            v,
            length_m: Some(t * 10.0),
            time_s: Some(t),
            speed_kph: None,
            class: RoadClass::Local,
        }
    }

    #[test]
    fn keeps_largest_scc_and_reports_the_rest() {
        // 0 <-> 1 <-> 2 is strongly connected; 3 only has an edge in.
        let raw = RawNetwork {
            coords: CoordSystem::Planar { unit_m: 1.0 },
            nodes: vec![
                node(10, 0.0, 0.0),
                node(11, 1.0, 0.0),
                node(12, 2.0, 0.0),
                node(13, 3.0, 0.0),
            ],
            edges: vec![
                edge(0, 1, 1.0),
                edge(1, 0, 1.0),
                edge(1, 2, 2.0),
                edge(2, 1, 2.0),
                edge(2, 3, 5.0),
            ],
        };
        let net = raw.freeze(30.0).unwrap();
        assert_eq!(net.node_count(), 3);
        assert_eq!(net.edge_count(), 4);
        assert_eq!(net.dropped.dropped_nodes, 1);
        assert_eq!(net.dropped.dropped_edges, 1);
        assert_eq!(net.node_by_ext(13), None);
        assert_eq!(net.node_by_ext(12), Some(NodeId(2)));
        // Backward CSR holds every edge exactly once, at its head.
        for e in 0..net.edge_count() {
            let h = net.fwd.head[e];
            let r = net.bwd.range(h);
            assert!(net.bwd.edge[r].contains(&(e as u32)));
        }
    }

    #[test]
    fn missing_length_and_speed_fall_back() {
        let raw = RawNetwork {
            coords: CoordSystem::Planar { unit_m: 100.0 },
            nodes: vec![node(1, 0.0, 0.0), node(2, 3.0, 4.0)],
            edges: vec![
                RawEdge {
                    u: 0,
                    v: 1,
                    length_m: None,
                    time_s: None,
                    speed_kph: None,
                    class: RoadClass::Local,
                },
                RawEdge {
                    u: 1,
                    v: 0,
                    length_m: None,
                    time_s: None,
                    speed_kph: Some(36.0),
                    class: RoadClass::Local,
                },
            ],
        };
        let net = raw.freeze(60.0).unwrap();
        assert_eq!(net.edge_len_m, vec![500.0, 500.0]);
        // 500 m at 60 km/h = 30 s; at 36 km/h = 50 s.
        assert!((net.fwd.time_s[0] - 30.0).abs() < 1e-9);
        assert!((net.fwd.time_s[1] - 50.0).abs() < 1e-9);
    }
}
