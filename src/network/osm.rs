//! Road networks from OpenStreetMap PBF extracts (`*.osm.pbf`).
//!
//! [`read`] decodes a PBF file with `osmpbf`, in parallel over its blocks and
//! in two passes: the first keeps the drivable ways and the ids of the nodes
//! they use, the second looks up the coordinates of those nodes (only in the
//! blocks that hold nodes). Ways are split into graph edges at the nodes they
//! share with other kept ways (and at their ends); the nodes in between only
//! contribute to the edge's length (the haversine sum along the polyline) and
//! to its drawn shape ([`read_with_geometry`]). The result is a [`RawNetwork`]
//! in lon/lat whose node ids are the OSM node ids, sorted ascending.
//!
//! [`load`] does the same, freezes the network (keeping the largest strongly
//! connected component) and keeps a binary cache beside the source, so the
//! second load of a city skips the PBF decoding (see "Cache" below).
//! [`write_csv`] writes a frozen network as `nodes.csv` and `edges.csv` in the
//! OSMnx convention that [`super::csv_import`] reads back.
//!
//! # Which ways are roads
//!
//! A way is kept when its `highway` tag is one of the classes in the table
//! below (`service` only with [`OsmOptions::include_service`]), unless it is
//! tagged `area=yes` or `access=no` / `access=private`. Ways referencing nodes
//! missing from the extract (clipped at its border) are cut at those nodes.
//!
//! # Speeds
//!
//! `maxspeed` is used where tagged: plain numbers are km/h, `"50 km/h"`,
//! `"50 kmh"`, `"50 kph"` too, `"30 mph"` is converted (1 mph = 1.609344
//! km/h), and of a list such as `"50;30"` the first value counts. Values that
//! are not a number with a known unit (`signals`, `none`, `walk`, `RU:urban`,
//! ...) or not in `(0, 300]` km/h are ignored, and the class default applies:
//!
//! | `highway` | km/h | `_link` km/h |
//! |---|---|---|
//! | motorway | 100 | 60 |
//! | trunk | 80 | 50 |
//! | primary | 60 | 45 |
//! | secondary | 50 | 40 |
//! | tertiary | 40 | 30 |
//! | unclassified | 30 | |
//! | residential | 30 | |
//! | living_street | 10 | |
//! | service | 20 | |
//!
//! The road class of an edge is [`RoadClass::from_tag`] of its `highway`.
//!
//! # Direction
//!
//! `oneway=yes` / `1` / `true` allows travel along the way's node order only,
//! `oneway=-1` / `reverse` against it only, `oneway=no` / `0` / `false` both
//! ways. Without one of these values, `junction=roundabout` (or `circular`)
//! and `highway=motorway` / `motorway_link` are one-way along the node order,
//! and everything else is two-way.
//!
//! # Cache
//!
//! [`load`] keeps the frozen network in `<file>.patrolsim-cache` beside the
//! source ([`cache_path`]), a little-endian binary file:
//!
//! ```text
//! magic "PSOSMNET" | format version u32 | options u32 | source size u64 | source hash u64
//! ways kept u64 | DropReport: 5 x u64 | projection x0, y0: 2 x f64 | nodes n u64 | edges m u64
//! ext_id i64 x n | lon f64 x n | lat f64 x n
//! tail u32 x m | head u32 x m | length m f64 x m | time s f64 x m | class u8 x m
//! checksum u64 (of every byte before it)
//! ```
//!
//! The source hash is [`hash64`] of the whole PBF file, so any change to the
//! file (even one of the same size) makes the cache stale. A cache whose key
//! (version, options, size, hash) does not match, or that is truncated,
//! fails its checksum or breaks an invariant of the frozen network (ids
//! sorted, coordinates in range, edges sorted by tail then head, no dangling
//! or self-loop edges, nothing dropped when re-frozen) is ignored and
//! rebuilt. The cached edges re-freeze without dropping anything, into the
//! same CSR arrays; the projection and the drop report are restored from the
//! cache. The cache is written through a temporary name and a rename; when
//! it cannot be written (a read-only directory) loading carries on without.
//! Bump [`CACHE_VERSION`] whenever the import rules above change.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::build::{RawEdge, RawNetwork, RawNode};
use super::{CoordSystem, DropReport, Network, Projection, RoadClass};
use crate::error::{Error, Result};
use crate::output;

/// Version of the cache format and of the import rules; part of the cache key.
pub const CACHE_VERSION: u32 = 1;

/// Suffix of the cache file written beside a PBF source.
pub const CACHE_SUFFIX: &str = ".patrolsim-cache";

/// Options for reading an OSM extract.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsmOptions {
    /// Keep `highway=service` roads (alleys, driveways, parking aisles).
    pub include_service: bool,
}

impl OsmOptions {
    /// The options as cache-key bits.
    fn bits(&self) -> u32 {
        u32::from(self.include_service)
    }
}

/// What [`load`] did.
#[derive(Clone, Debug)]
pub struct LoadInfo {
    /// The network came from the cache (no PBF decoding).
    pub from_cache: bool,
    /// Where the cache is (or would be).
    pub cache_path: PathBuf,
    /// A new cache was written by this load.
    pub cache_written: bool,
    /// Why an existing cache was not used, or why none could be written.
    pub cache_note: Option<String>,
    /// Wall time of the whole load, including reading and hashing the source.
    pub elapsed: Duration,
    /// Drivable ways kept from the source.
    pub ways_kept: usize,
    /// Graph nodes before keeping the largest strongly connected component.
    pub nodes_before_scc: usize,
    /// Directed edges before keeping the largest strongly connected component.
    pub edges_before_scc: usize,
    /// Nodes of the loaded network.
    pub nodes: usize,
    /// Directed edges of the loaded network.
    pub edges: usize,
}

/// Drawn shape of the edges of a [`RawNetwork`] read by [`read_with_geometry`].
#[derive(Clone, Debug, Default)]
pub struct EdgeGeometry {
    /// For raw edge `i`, the lon/lat polyline from its tail to its head, both
    /// ends included.
    pub polylines: Vec<Vec<[f64; 2]>>,
    /// OSM ids of the tail and head of each raw edge.
    ends: Vec<(i64, i64)>,
    /// Travel time of each raw edge, computed as [`RawNetwork::freeze`] does.
    time_s: Vec<f64>,
}

impl EdgeGeometry {
    /// The polylines in the edge order of `net`, frozen from the raw network
    /// these shapes came with: entry `e` is the shape of `EdgeId(e)`. `None`
    /// when `net` is not that network.
    pub fn for_network(&self, net: &Network) -> Option<Vec<Vec<[f64; 2]>>> {
        // Mirror the edge order of `freeze`: kept edges by (tail, head, time, raw index).
        let mut kept: Vec<(u32, u32, f64, usize)> = Vec::with_capacity(net.edge_count());
        for (i, &(a, b)) in self.ends.iter().enumerate() {
            if let (Some(u), Some(v)) = (net.node_by_ext(a), net.node_by_ext(b)) {
                if u != v {
                    kept.push((u.0, v.0, self.time_s[i], i));
                }
            }
        }
        if kept.len() != net.edge_count() {
            return None;
        }
        kept.sort_by(|x, y| {
            (x.0, x.1)
                .cmp(&(y.0, y.1))
                .then(x.2.total_cmp(&y.2))
                .then(x.3.cmp(&y.3))
        });
        let mut out = Vec::with_capacity(kept.len());
        for (e, &(u, v, t, i)) in kept.iter().enumerate() {
            if net.edge_from[e] != u
                || net.fwd.head[e] != v
                || net.fwd.time_s[e] != super::round_ms(t)
            {
                return None;
            }
            out.push(self.polylines[i].clone());
        }
        Some(out)
    }
}

/// Path of the file of edge shapes beside a PBF source's cache.
pub fn shape_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(SHAPE_SUFFIX);
    path.with_file_name(name)
}

/// Suffix of the shape file beside the cache.
pub const SHAPE_SUFFIX: &str = ".patrolsim-shape";

const SHAPE_MAGIC: &[u8; 8] = b"PSOSMSHP";

/// The edge shapes: magic, cache key, edge count, a point count per edge,
/// the points (lon, lat), and a checksum of all that.
fn encode_shape(key: &CacheKey, shape: &[Vec<[f64; 2]>]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(SHAPE_MAGIC);
    b.extend_from_slice(&CACHE_VERSION.to_le_bytes());
    b.extend_from_slice(&key.options.to_le_bytes());
    for v in [key.size, key.hash, shape.len() as u64] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for l in shape {
        b.extend_from_slice(&(l.len() as u32).to_le_bytes());
    }
    for p in shape.iter().flatten() {
        b.extend_from_slice(&p[0].to_le_bytes());
        b.extend_from_slice(&p[1].to_le_bytes());
    }
    let sum = hash64(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

/// The edge shapes of a network of `m` edges, if the file is sound and
/// belongs to this source; `None` otherwise (never trusted blindly).
fn decode_shape(data: &[u8], key: &CacheKey, m: usize) -> Option<Vec<Vec<[f64; 2]>>> {
    let n = data.len().checked_sub(8)?;
    if hash64(&data[..n]) != u64::from_le_bytes(le8(&data[n..])) {
        return None;
    }
    let mut r = Rd {
        b: &data[..n],
        p: 0,
    };
    if r.take(8).ok()? != SHAPE_MAGIC
        || r.u32().ok()? != CACHE_VERSION
        || r.u32().ok()? != key.options
        || r.u64().ok()? != key.size
        || r.u64().ok()? != key.hash
        || r.usize().ok()? != m
    {
        return None;
    }
    let counts = r.u32s(m).ok()?;
    let mut out = Vec::with_capacity(m);
    for c in counts {
        let mut l = Vec::with_capacity(c as usize);
        for _ in 0..c {
            let (x, y) = (r.f64().ok()?, r.f64().ok()?);
            if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
                return None;
            }
            l.push([x, y]);
        }
        out.push(l);
    }
    (r.p == n).then_some(out)
}

/// Path of the cache file of a PBF source: `<file>.patrolsim-cache` beside it.
pub fn cache_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(CACHE_SUFFIX);
    path.with_file_name(name)
}

/// Read a PBF extract into a [`RawNetwork`] (no cache, no freezing).
pub fn read(path: &Path, opts: &OsmOptions) -> Result<RawNetwork> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    Ok(import(&bytes, path, opts, false, &ProgressBar::hidden())?.raw)
}

/// Like [`read`], with the polyline of every raw edge.
pub fn read_with_geometry(path: &Path, opts: &OsmOptions) -> Result<(RawNetwork, EdgeGeometry)> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    let imp = import(&bytes, path, opts, true, &ProgressBar::hidden())?;
    Ok((imp.raw, imp.geometry.unwrap_or_default()))
}

/// Load a PBF extract as a frozen [`Network`] (largest strongly connected
/// component), through the cache beside it. With `progress`, a progress bar
/// is drawn on stderr when stderr is a terminal.
pub fn load(path: &Path, opts: &OsmOptions, progress: bool) -> Result<(Network, LoadInfo)> {
    let t0 = Instant::now();
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    let key = CacheKey {
        options: opts.bits(),
        size: bytes.len() as u64,
        hash: hash64(&bytes),
    };
    let cache = cache_path(path);
    let mut note = None;
    match std::fs::read(&cache) {
        Ok(data) => match decode_cache(&data, &key) {
            Ok((mut net, ways_kept)) => {
                net.edge_shape = std::fs::read(shape_path(path))
                    .ok()
                    .and_then(|d| decode_shape(&d, &key, net.edge_count()));
                let info = LoadInfo {
                    from_cache: true,
                    cache_path: cache,
                    cache_written: false,
                    cache_note: None,
                    elapsed: t0.elapsed(),
                    ways_kept,
                    nodes_before_scc: net.dropped.source_nodes,
                    edges_before_scc: net.dropped.source_edges,
                    nodes: net.node_count(),
                    edges: net.edge_count(),
                };
                return Ok((net, info));
            }
            Err(why) => note = Some(format!("cache {} ignored: {why}", cache.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => note = Some(format!("cache {} unreadable: {e}", cache.display())),
    }

    let bar = progress_bar(progress, bytes.len() as u64);
    let imp = import(&bytes, path, opts, true, &bar)?;
    bar.set_message("keeping the largest component");
    let mut net = imp.raw.freeze(30.0).map_err(|m| {
        bar.finish_and_clear();
        Error::field(path, "roads", m)
    })?;
    if net.node_count() < 2 {
        bar.finish_and_clear();
        return Err(Error::field(
            path,
            "roads",
            "no two nodes can reach each other and come back; \
             the largest strongly connected part is a single node",
        ));
    }
    net.edge_shape = imp
        .geometry
        .as_ref()
        .and_then(|g| g.for_network(&net))
        .map(|lines| {
            lines
                .into_iter()
                .map(|l| l.get(1..l.len().saturating_sub(1)).unwrap_or(&[]).to_vec())
                .collect()
        });
    bar.set_message("writing the cache");
    let encoded = encode_cache(&key, &net, imp.ways_kept);
    if let Some(shape) = &net.edge_shape {
        // The shapes go beside the cache; without them a cached network
        // simply draws its edges straight.
        let _ = output::write_atomic(&shape_path(path), |w| {
            w.write_all(&encode_shape(&key, shape))
        });
    }
    let written = match output::write_atomic(&cache, |w| w.write_all(&encoded)) {
        Ok(()) => true,
        Err(e) => {
            let msg = format!("cache not written: {e}");
            note = Some(match note {
                Some(n) => format!("{n}; {msg}"),
                None => msg,
            });
            false
        }
    };
    bar.finish_and_clear();
    let info = LoadInfo {
        from_cache: false,
        cache_path: cache,
        cache_written: written,
        cache_note: note,
        elapsed: t0.elapsed(),
        ways_kept: imp.ways_kept,
        nodes_before_scc: net.dropped.source_nodes,
        edges_before_scc: net.dropped.source_edges,
        nodes: net.node_count(),
        edges: net.edge_count(),
    };
    Ok((net, info))
}

/// Write `nodes.csv` (`osmid,x,y`, plus `weight` when the network has node
/// weights) and `edges.csv` (`u,v,length,speed_kph,travel_time,highway`) into
/// `dir`, in the OSMnx convention of [`super::csv_import`]. Numbers are
/// written exactly (shortest round-trip form) and `travel_time` wins over
/// `speed_kph` on reading, so the files load back into the same nodes and
/// CSR arrays; `highway` holds the road class name.
pub fn write_csv(net: &Network, dir: &Path) -> Result<()> {
    output::ensure_dir(dir)?;
    output::write_atomic(&dir.join("nodes.csv"), |w| {
        match &net.node_weight {
            Some(wt) => {
                writeln!(w, "osmid,x,y,weight")?;
                for ((id, p), x) in net.ext_id.iter().zip(&net.pos).zip(wt) {
                    writeln!(w, "{id},{},{},{x}", p[0], p[1])?;
                }
            }
            None => {
                writeln!(w, "osmid,x,y")?;
                for (id, p) in net.ext_id.iter().zip(&net.pos) {
                    writeln!(w, "{id},{},{}", p[0], p[1])?;
                }
            }
        }
        Ok(())
    })?;
    output::write_atomic(&dir.join("edges.csv"), |w| {
        writeln!(w, "u,v,length,speed_kph,travel_time,highway")?;
        for e in 0..net.edge_count() {
            let u = net.ext_id[net.edge_from[e] as usize];
            let v = net.ext_id[net.fwd.head[e] as usize];
            let (len, t) = (net.edge_len_m[e], net.fwd.time_s[e]);
            write!(w, "{u},{v},{len},")?;
            let kph = len / t * 3.6;
            if kph.is_finite() && kph > 0.0 {
                write!(w, "{kph}")?;
            }
            writeln!(w, ",{t},{}", net.edge_class[e].name())?;
        }
        Ok(())
    })
}

/// Parse an OSM `maxspeed` value into km/h; `None` for values that are not
/// a number with a known unit (see the module documentation).
pub fn parse_maxspeed(value: &str) -> Option<f64> {
    let first = value.split(';').next()?.trim();
    let end = first
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(first.len());
    let (num, unit) = first.split_at(end);
    let v: f64 = num.parse().ok()?;
    let kph = match unit.trim() {
        "" | "km/h" | "kmh" | "kph" => v,
        "mph" => v * 1.609344,
        _ => return None,
    };
    (kph.is_finite() && kph > 0.0 && kph <= 300.0).then_some(kph)
}

/// Default speed (km/h) of a drivable `highway` class, `None` for other values.
pub fn default_speed_kph(highway: &str) -> Option<f64> {
    Highway::parse(highway).map(Highway::default_kph)
}

/// A fast non-cryptographic 64-bit hash of a byte string (four independent
/// multiply-rotate lanes over 8-byte words, then a final mix). A change
/// confined to one 8-byte word always changes the hash.
pub fn hash64(data: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes: [u64; 4] = [
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    ];
    let mut stripes = data.chunks_exact(32);
    for s in &mut stripes {
        for (lane, w) in lanes.iter_mut().zip(s.chunks_exact(8)) {
            *lane = (*lane ^ u64::from_le_bytes(le8(w)))
                .wrapping_mul(K)
                .rotate_left(29);
        }
    }
    let tail = stripes.remainder();
    for (i, w) in tail.chunks(8).enumerate() {
        let mut buf = [0u8; 8];
        buf[..w.len()].copy_from_slice(w);
        lanes[i] = (lanes[i] ^ u64::from_le_bytes(buf))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    let mut h = fmix64(data.len() as u64 ^ K);
    for lane in lanes {
        h = fmix64(h ^ fmix64(lane)).wrapping_add(K);
    }
    h
}

/// The 64-bit finaliser of MurmurHash3 (a bijection).
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// An 8-byte chunk as an array (`c` has exactly 8 bytes).
#[inline]
fn le8(c: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(c);
    a
}

// ---------------------------------------------------------------------------
// Tags

/// The drivable `highway` classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Highway {
    Motorway,
    MotorwayLink,
    Trunk,
    TrunkLink,
    Primary,
    PrimaryLink,
    Secondary,
    SecondaryLink,
    Tertiary,
    TertiaryLink,
    Unclassified,
    Residential,
    LivingStreet,
    Service,
}

impl Highway {
    fn parse(s: &str) -> Option<Highway> {
        use Highway::*;
        Some(match s {
            "motorway" => Motorway,
            "motorway_link" => MotorwayLink,
            "trunk" => Trunk,
            "trunk_link" => TrunkLink,
            "primary" => Primary,
            "primary_link" => PrimaryLink,
            "secondary" => Secondary,
            "secondary_link" => SecondaryLink,
            "tertiary" => Tertiary,
            "tertiary_link" => TertiaryLink,
            "unclassified" => Unclassified,
            "residential" => Residential,
            "living_street" => LivingStreet,
            "service" => Service,
            _ => return None,
        })
    }

    fn tag(self) -> &'static str {
        use Highway::*;
        match self {
            Motorway => "motorway",
            MotorwayLink => "motorway_link",
            Trunk => "trunk",
            TrunkLink => "trunk_link",
            Primary => "primary",
            PrimaryLink => "primary_link",
            Secondary => "secondary",
            SecondaryLink => "secondary_link",
            Tertiary => "tertiary",
            TertiaryLink => "tertiary_link",
            Unclassified => "unclassified",
            Residential => "residential",
            LivingStreet => "living_street",
            Service => "service",
        }
    }

    fn default_kph(self) -> f64 {
        use Highway::*;
        match self {
            Motorway => 100.0,
            MotorwayLink => 60.0,
            Trunk => 80.0,
            TrunkLink => 50.0,
            Primary => 60.0,
            PrimaryLink => 45.0,
            Secondary => 50.0,
            SecondaryLink => 40.0,
            Tertiary => 40.0,
            TertiaryLink => 30.0,
            Unclassified | Residential => 30.0,
            LivingStreet => 10.0,
            Service => 20.0,
        }
    }
}

/// Allowed travel directions along a way's node order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Forward,
    Backward,
    Both,
}

/// A way kept by the first pass.
struct KeptWay {
    highway: Highway,
    dir: Dir,
    speed_kph: f64,
    /// Node ids, consecutive repeats removed.
    refs: Vec<i64>,
}

/// Whether a way with these tags is a kept road, and how.
fn classify<'a>(
    tags: impl Iterator<Item = (&'a str, &'a str)>,
    opts: &OsmOptions,
) -> Option<(Highway, Dir, f64)> {
    let (mut highway, mut oneway, mut maxspeed) = (None, None, None);
    let mut roundabout = false;
    for (k, v) in tags {
        match k {
            "highway" => highway = Some(v),
            "oneway" => oneway = Some(v.trim()),
            "maxspeed" => maxspeed = Some(v),
            "junction" => roundabout = matches!(v, "roundabout" | "circular"),
            "area" if v == "yes" => return None,
            "access" if matches!(v, "no" | "private") => return None,
            _ => {}
        }
    }
    let hw = Highway::parse(highway?.trim())?;
    if hw == Highway::Service && !opts.include_service {
        return None;
    }
    let implied = roundabout || matches!(hw, Highway::Motorway | Highway::MotorwayLink);
    let dir = match oneway {
        Some("yes" | "1" | "true") => Dir::Forward,
        Some("-1" | "reverse") => Dir::Backward,
        Some("no" | "0" | "false") => Dir::Both,
        _ if implied => Dir::Forward,
        _ => Dir::Both,
    };
    let speed = maxspeed
        .and_then(parse_maxspeed)
        .unwrap_or_else(|| hw.default_kph());
    Some((hw, dir, speed))
}

// ---------------------------------------------------------------------------
// PBF framing and decoding

/// Largest blob header and blob the PBF format allows.
const MAX_HEADER: usize = 64 * 1024;
const MAX_BLOB: u64 = 32 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlobKind {
    Header,
    Data,
    Other,
}

/// One blob of the file: its bytes (length prefix, header and data).
struct Span {
    index: usize,
    range: Range<usize>,
    kind: BlobKind,
}

/// A protobuf varint at `*p`.
fn varint(b: &[u8], p: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*p)?;
        *p += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The `type` and `datasize` of a `BlobHeader` message.
fn parse_blob_header(h: &[u8]) -> Option<(&[u8], u64)> {
    let (mut p, mut ty, mut size) = (0usize, None, None);
    while p < h.len() {
        let key = varint(h, &mut p)?;
        match (key >> 3, key & 7) {
            (3, 0) => size = Some(varint(h, &mut p)?),
            (_, 0) => {
                varint(h, &mut p)?;
            }
            (f, 2) => {
                let len = usize::try_from(varint(h, &mut p)?).ok()?;
                let end = p.checked_add(len)?;
                let s = h.get(p..end)?;
                if f == 1 {
                    ty = Some(s);
                }
                p = end;
            }
            (_, 1) => p = p.checked_add(8)?,
            (_, 5) => p = p.checked_add(4)?,
            _ => return None,
        }
    }
    if p != h.len() {
        return None;
    }
    Some((ty?, size?))
}

/// Split the file into blobs, checking the framing: every blob complete and
/// no stray bytes after the last one.
fn frame(bytes: &[u8]) -> std::result::Result<Vec<Span>, String> {
    let mut spans = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let i = spans.len();
        let left = bytes.len() - pos;
        if left < 4 {
            return Err(format!(
                "truncated: {left} stray byte(s) after block {i} at byte {pos}"
            ));
        }
        let hlen = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        if hlen == 0 || hlen >= MAX_HEADER {
            return Err(format!(
                "block {i} at byte {pos} has a header of {hlen} bytes (not a PBF block)"
            ));
        }
        let hstart = pos + 4;
        let hend = hstart + hlen;
        if hend > bytes.len() {
            return Err(format!(
                "truncated: block {i} at byte {pos} needs a {hlen}-byte header, the file ends at byte {}",
                bytes.len()
            ));
        }
        let (ty, size) = parse_blob_header(&bytes[hstart..hend])
            .ok_or_else(|| format!("block {i} at byte {pos} has a malformed header"))?;
        if size > MAX_BLOB {
            return Err(format!(
                "block {i} at byte {pos} claims {size} bytes of data (more than the format allows)"
            ));
        }
        let end = hend + size as usize;
        if end > bytes.len() {
            return Err(format!(
                "truncated: block {i} at byte {pos} needs {size} bytes of data, the file ends at byte {}",
                bytes.len()
            ));
        }
        let kind = match ty {
            b"OSMHeader" => BlobKind::Header,
            b"OSMData" => BlobKind::Data,
            _ => BlobKind::Other,
        };
        if i == 0 && kind != BlobKind::Header {
            return Err(format!(
                "the first block is `{}`, not `OSMHeader`",
                String::from_utf8_lossy(ty)
            ));
        }
        spans.push(Span {
            index: i,
            range: pos..end,
            kind,
        });
        pos = end;
    }
    if spans.is_empty() {
        return Err("the file is empty".into());
    }
    Ok(spans)
}

/// Run `f`, turning a panic of the decoder on malformed data into an error.
fn guarded<T>(
    f: impl FnOnce() -> std::result::Result<T, String>,
) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("the PBF decoder failed on malformed data".into()))
}

/// Decode one blob's bytes.
fn decode_blob<T>(
    bytes: &[u8],
    f: impl FnOnce(osmpbf::BlobDecode<'_>) -> std::result::Result<T, String>,
) -> std::result::Result<T, String> {
    guarded(|| {
        let blob = match osmpbf::BlobReader::new(bytes).next() {
            Some(Ok(b)) => b,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("empty block".into()),
        };
        let decoded = blob.decode().map_err(|e| e.to_string())?;
        f(decoded)
    })
}

/// The header block must not require features we cannot read.
fn check_header(bytes: &[u8]) -> std::result::Result<(), String> {
    decode_blob(bytes, |d| match d {
        osmpbf::BlobDecode::OsmHeader(h) => {
            for feat in h.required_features() {
                if !matches!(feat.as_str(), "OsmSchema-V0.6" | "DenseNodes") {
                    return Err(format!(
                        "the file requires the unsupported feature `{feat}`"
                    ));
                }
            }
            Ok(())
        }
        _ => Err("the first block is not a header block".into()),
    })
}

/// First pass over one data block: its kept ways, and whether it holds nodes.
fn ways_of_blob(
    bytes: &[u8],
    opts: &OsmOptions,
) -> std::result::Result<(Vec<KeptWay>, bool), String> {
    decode_blob(bytes, |d| {
        let osmpbf::BlobDecode::OsmData(block) = d else {
            return Ok((Vec::new(), false));
        };
        let mut ways = Vec::new();
        let mut has_nodes = false;
        for group in block.groups() {
            has_nodes |= group.nodes().len() > 0 || group.dense_nodes().len() > 0;
            for way in group.ways() {
                let Some((highway, dir, speed_kph)) = classify(way.tags(), opts) else {
                    continue;
                };
                let mut refs: Vec<i64> = Vec::with_capacity(way.raw_refs().len());
                let mut id = 0i64;
                for &d in way.raw_refs() {
                    id = id
                        .checked_add(d)
                        .ok_or_else(|| format!("way {} has node ids out of range", way.id()))?;
                    if refs.last() != Some(&id) {
                        refs.push(id);
                    }
                }
                if refs.len() >= 2 {
                    ways.push(KeptWay {
                        highway,
                        dir,
                        speed_kph,
                        refs,
                    });
                }
            }
        }
        Ok((ways, has_nodes))
    })
}

/// Second pass over one data block: `(index into used, [lon, lat])` of the used nodes.
fn nodes_of_blob(bytes: &[u8], used: &[i64]) -> std::result::Result<Vec<(u32, [f64; 2])>, String> {
    decode_blob(bytes, |d| {
        let osmpbf::BlobDecode::OsmData(block) = d else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for group in block.groups() {
            for n in group.dense_nodes() {
                if let Ok(i) = used.binary_search(&n.id()) {
                    out.push((i as u32, [n.lon(), n.lat()]));
                }
            }
            for n in group.nodes() {
                if let Ok(i) = used.binary_search(&n.id()) {
                    out.push((i as u32, [n.lon(), n.lat()]));
                }
            }
        }
        Ok(out)
    })
}

/// A spinner-and-bar on stderr when asked for and stderr is a terminal.
fn progress_bar(enabled: bool, len: u64) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {msg:30} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// What [`import`] produced.
struct Imported {
    raw: RawNetwork,
    geometry: Option<EdgeGeometry>,
    ways_kept: usize,
}

/// The whole import, from the file's bytes.
fn import(
    bytes: &[u8],
    path: &Path,
    opts: &OsmOptions,
    want_geometry: bool,
    bar: &ProgressBar,
) -> Result<Imported> {
    let bad = |msg: String| {
        bar.finish_and_clear();
        Error::read(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a valid OSM PBF file: {msg}"),
            ),
        )
    };
    let spans = frame(bytes).map_err(bad)?;
    check_header(&bytes[spans[0].range.clone()]).map_err(|m| bad(format!("block 0: {m}")))?;
    let data: Vec<&Span> = spans.iter().filter(|s| s.kind == BlobKind::Data).collect();

    // Pass 1: drivable ways.
    bar.set_message("reading ways");
    let pass1: Vec<_> = data
        .par_iter()
        .map(|s| {
            let r = ways_of_blob(&bytes[s.range.clone()], opts);
            bar.inc(s.range.len() as u64);
            r.map_err(|m| format!("block {} at byte {}: {m}", s.index, s.range.start))
        })
        .collect();
    let mut ways = Vec::new();
    let mut node_spans = Vec::new();
    for (s, r) in data.iter().zip(pass1) {
        let (w, has_nodes) = r.map_err(bad)?;
        ways.extend(w);
        if has_nodes {
            node_spans.push(*s);
        }
    }
    let no_roads = || {
        bar.finish_and_clear();
        let service = if opts.include_service {
            ", service"
        } else {
            ""
        };
        Error::field(
            path,
            "highway",
            format!(
                "the file has no drivable road (motorway, trunk, primary, secondary, tertiary, \
                 their links, unclassified, residential, living_street{service}) with nodes in the extract"
            ),
        )
    };
    if ways.is_empty() {
        return Err(no_roads());
    }

    // Distinct node ids, with how often kept ways use them.
    let mut all: Vec<i64> = ways.iter().flat_map(|w| w.refs.iter().copied()).collect();
    all.par_sort_unstable();
    let mut used: Vec<i64> = Vec::new();
    let mut count: Vec<u32> = Vec::new();
    for id in all {
        if used.last() == Some(&id) {
            if let Some(c) = count.last_mut() {
                *c = c.saturating_add(1);
            }
        } else {
            used.push(id);
            count.push(1);
        }
    }
    if used.len() >= u32::MAX as usize {
        return Err(bad("too many nodes".into()));
    }

    // Pass 2: coordinates of the used nodes.
    bar.set_message("reading node positions");
    bar.set_position(0);
    bar.set_length(node_spans.iter().map(|s| s.range.len() as u64).sum());
    let pass2: Vec<_> = node_spans
        .par_iter()
        .map(|s| {
            let r = nodes_of_blob(&bytes[s.range.clone()], &used);
            bar.inc(s.range.len() as u64);
            r.map_err(|m| format!("block {} at byte {}: {m}", s.index, s.range.start))
        })
        .collect();
    let mut coord = vec![[f64::NAN; 2]; used.len()];
    for r in pass2 {
        for (i, p) in r.map_err(bad)? {
            if !(p[0].is_finite()
                && p[1].is_finite()
                && (-180.0..=180.0).contains(&p[0])
                && (-90.0..=90.0).contains(&p[1]))
            {
                return Err(bad(format!(
                    "node {} has coordinates {}, {} outside the globe",
                    used[i as usize], p[0], p[1]
                )));
            }
            coord[i as usize] = p;
        }
    }

    // Split points: nodes used more than once, and the ends of every run of
    // nodes present in the extract.
    bar.set_message("building the graph");
    let idx: Vec<Vec<u32>> = ways
        .par_iter()
        .map(|w| {
            w.refs
                .iter()
                .map(|r| used.binary_search(r).map_or(u32::MAX, |i| i as u32))
                .collect()
        })
        .collect();
    let present = |i: u32| i != u32::MAX && !coord[i as usize][0].is_nan();
    let mut split: Vec<bool> = count.iter().map(|&c| c > 1).collect();
    for w in &idx {
        for run in w.split(|&i| !present(i)) {
            if let (Some(&a), Some(&b)) = (run.first(), run.last()) {
                split[a as usize] = true;
                split[b as usize] = true;
            }
        }
    }

    // Edges between split points, with the length along the polyline.
    let hav = Projection::new(CoordSystem::LonLat, 0.0, 0.0);
    let mut ends: Vec<(u32, u32)> = Vec::new();
    let mut edges: Vec<RawEdge> = Vec::new();
    let mut polylines: Vec<Vec<[f64; 2]>> = Vec::new();
    for (w, way) in idx.iter().zip(&ways) {
        let class = RoadClass::from_tag(way.highway.tag());
        for run in w.split(|&i| !present(i)) {
            let mut s = 0usize;
            let mut len = 0.0;
            for k in 1..run.len() {
                len += hav.distance_m(coord[run[k - 1] as usize], coord[run[k] as usize]);
                if !split[run[k] as usize] {
                    continue;
                }
                let (a, b) = (run[s], run[k]);
                if a != b {
                    let piece = &run[s..=k];
                    let mut push = |u: u32, v: u32, rev: bool| {
                        ends.push((u, v));
                        edges.push(RawEdge {
                            u: 0,
                            v: 0,
                            length_m: Some(len),
                            time_s: None,
                            speed_kph: Some(way.speed_kph),
                            class,
                        });
                        if want_geometry {
                            let mut p: Vec<[f64; 2]> =
                                piece.iter().map(|&i| coord[i as usize]).collect();
                            if rev {
                                p.reverse();
                            }
                            polylines.push(p);
                        }
                    };
                    match way.dir {
                        Dir::Forward => push(a, b, false),
                        Dir::Backward => push(b, a, true),
                        Dir::Both => {
                            push(a, b, false);
                            push(b, a, true);
                        }
                    }
                }
                s = k;
                len = 0.0;
            }
        }
    }
    if edges.is_empty() {
        return Err(no_roads());
    }

    // Graph nodes: the ends of edges, numbered in ascending OSM id.
    let mut number = vec![u32::MAX; used.len()];
    for &(a, b) in &ends {
        number[a as usize] = 0;
        number[b as usize] = 0;
    }
    let mut nodes = Vec::new();
    for (i, n) in number.iter_mut().enumerate() {
        if *n == 0 {
            *n = nodes.len() as u32;
            nodes.push(RawNode {
                ext_id: used[i],
                pos: coord[i],
                weight: None,
            });
        }
    }
    for (e, &(a, b)) in edges.iter_mut().zip(&ends) {
        e.u = number[a as usize] as usize;
        e.v = number[b as usize] as usize;
    }
    let geometry = want_geometry.then(|| EdgeGeometry {
        ends: ends
            .iter()
            .map(|&(a, b)| (used[a as usize], used[b as usize]))
            .collect(),
        time_s: edges
            .iter()
            .map(|e| match (e.length_m, e.speed_kph) {
                (Some(l), Some(s)) => l / (s / 3.6),
                _ => f64::NAN,
            })
            .collect(),
        polylines,
    });
    Ok(Imported {
        raw: RawNetwork {
            coords: CoordSystem::LonLat,
            nodes,
            edges,
        },
        geometry,
        ways_kept: ways.len(),
    })
}

// ---------------------------------------------------------------------------
// Cache

const MAGIC: &[u8; 8] = b"PSOSMNET";
/// Bytes before the node arrays.
const HEAD: usize = 8 + 4 + 4 + 8 + 8 + 8 + 5 * 8 + 2 * 8 + 8 + 8;

/// What a cache must match to be used.
struct CacheKey {
    options: u32,
    size: u64,
    hash: u64,
}

fn encode_cache(key: &CacheKey, net: &Network, ways_kept: usize) -> Vec<u8> {
    let (n, m) = (net.node_count(), net.edge_count());
    let mut b = Vec::with_capacity(HEAD + 24 * n + 25 * m + 8);
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&CACHE_VERSION.to_le_bytes());
    b.extend_from_slice(&key.options.to_le_bytes());
    for v in [key.size, key.hash, ways_kept as u64] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    let d = &net.dropped;
    for v in [
        d.source_nodes,
        d.source_edges,
        d.dropped_nodes,
        d.dropped_edges,
        d.dropped_components,
    ] {
        b.extend_from_slice(&(v as u64).to_le_bytes());
    }
    b.extend_from_slice(&net.projection.x0.to_le_bytes());
    b.extend_from_slice(&net.projection.y0.to_le_bytes());
    b.extend_from_slice(&(n as u64).to_le_bytes());
    b.extend_from_slice(&(m as u64).to_le_bytes());
    for id in &net.ext_id {
        b.extend_from_slice(&id.to_le_bytes());
    }
    for k in 0..2 {
        for p in &net.pos {
            b.extend_from_slice(&p[k].to_le_bytes());
        }
    }
    for v in net.edge_from.iter().chain(&net.fwd.head) {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in net.edge_len_m.iter().chain(&net.fwd.time_s) {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend(net.edge_class.iter().map(|&c| class_code(c)));
    let sum = hash64(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

fn class_code(c: RoadClass) -> u8 {
    match c {
        RoadClass::Local => 0,
        RoadClass::Arterial => 1,
        RoadClass::Expressway => 2,
        RoadClass::Other => 3,
    }
}

fn class_of(code: u8) -> Option<RoadClass> {
    Some(match code {
        0 => RoadClass::Local,
        1 => RoadClass::Arterial,
        2 => RoadClass::Expressway,
        3 => RoadClass::Other,
        _ => return None,
    })
}

/// Little-endian reads from a cache, bounds-checked.
struct Rd<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.p.checked_add(n).ok_or("length overflow")?;
        let s = self.b.get(self.p..end).ok_or("truncated")?;
        self.p = end;
        Ok(s)
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(le8(self.take(8)?)))
    }
    fn f64(&mut self) -> std::result::Result<f64, String> {
        Ok(f64::from_le_bytes(le8(self.take(8)?)))
    }
    fn usize(&mut self) -> std::result::Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| "count out of range".to_string())
    }
    fn u64s(
        &mut self,
        n: usize,
    ) -> std::result::Result<impl Iterator<Item = [u8; 8]> + 'a, String> {
        Ok(self
            .take(n.checked_mul(8).ok_or("length overflow")?)?
            .chunks_exact(8)
            .map(le8))
    }
    fn u32s(&mut self, n: usize) -> std::result::Result<Vec<u32>, String> {
        Ok(self
            .take(n.checked_mul(4).ok_or("length overflow")?)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// A cached network, or why it cannot be trusted.
fn decode_cache(data: &[u8], key: &CacheKey) -> std::result::Result<(Network, usize), String> {
    if data.len() < HEAD + 8 {
        return Err("truncated".into());
    }
    let mut r = Rd { b: data, p: 0 };
    if r.take(8)? != MAGIC {
        return Err("not a patrolsim cache".into());
    }
    let version = r.u32()?;
    if version != CACHE_VERSION {
        return Err(format!(
            "format version {version}, expected {CACHE_VERSION}"
        ));
    }
    if r.u32()? != key.options {
        return Err("built with other import options".into());
    }
    if r.u64()? != key.size || r.u64()? != key.hash {
        return Err("stale: the source file has changed".into());
    }
    let ways_kept = r.usize()?;
    let dropped = DropReport {
        source_nodes: r.usize()?,
        source_edges: r.usize()?,
        dropped_nodes: r.usize()?,
        dropped_edges: r.usize()?,
        dropped_components: r.usize()?,
    };
    let (x0, y0) = (r.f64()?, r.f64()?);
    let (n, m) = (r.usize()?, r.usize()?);
    let expected = n
        .checked_mul(24)
        .and_then(|a| m.checked_mul(25).and_then(|b| a.checked_add(b)))
        .and_then(|a| a.checked_add(HEAD + 8));
    if expected != Some(data.len()) {
        return Err("truncated or wrong length".into());
    }
    let body = &data[..data.len() - 8];
    if hash64(body) != u64::from_le_bytes(le8(&data[data.len() - 8..])) {
        return Err("checksum mismatch (corrupt)".into());
    }
    let corrupt = |what: &str| Err(format!("corrupt: {what}"));
    if n < 2 || m == 0 || n > u32::MAX as usize || m > u32::MAX as usize {
        return corrupt("node or edge count");
    }
    if dropped.source_nodes != n + dropped.dropped_nodes
        || dropped.source_edges != m + dropped.dropped_edges
    {
        return corrupt("drop report");
    }
    if !(x0.is_finite() && y0.is_finite()) {
        return corrupt("projection");
    }

    let ext: Vec<i64> = r.u64s(n)?.map(i64::from_le_bytes).collect();
    if ext.windows(2).any(|w| w[0] >= w[1]) {
        return corrupt("node ids not strictly ascending");
    }
    let lon: Vec<f64> = r.u64s(n)?.map(f64::from_le_bytes).collect();
    let lat: Vec<f64> = r.u64s(n)?.map(f64::from_le_bytes).collect();
    let mut nodes = Vec::with_capacity(n);
    for ((&ext_id, &x), &y) in ext.iter().zip(&lon).zip(&lat) {
        if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            return corrupt("coordinates");
        }
        nodes.push(RawNode {
            ext_id,
            pos: [x, y],
            weight: None,
        });
    }
    let from = r.u32s(m)?;
    let head = r.u32s(m)?;
    let len: Vec<f64> = r.u64s(m)?.map(f64::from_le_bytes).collect();
    let time: Vec<f64> = r.u64s(m)?.map(f64::from_le_bytes).collect();
    let class = r.take(m)?;
    let mut edges = Vec::with_capacity(m);
    let (mut has_out, mut has_in) = (vec![false; n], vec![false; n]);
    for e in 0..m {
        let (u, v, l, t) = (from[e], head[e], len[e], time[e]);
        if u as usize >= n || v as usize >= n || u == v {
            return corrupt("edge ends");
        }
        if e > 0 {
            let (pu, pv, pt) = (from[e - 1], head[e - 1], time[e - 1]);
            if (pu, pv) > (u, v) || ((pu, pv) == (u, v) && pt > t) {
                return corrupt("edges not in CSR order");
            }
        }
        if !(l.is_finite() && l >= 0.0 && t.is_finite() && t >= 0.0) {
            return corrupt("edge length or time");
        }
        has_out[u as usize] = true;
        has_in[v as usize] = true;
        edges.push(RawEdge {
            u: u as usize,
            v: v as usize,
            length_m: Some(l),
            time_s: Some(t),
            speed_kph: None,
            class: class_of(class[e]).ok_or("corrupt: road class")?,
        });
    }
    if has_out.iter().chain(&has_in).any(|&b| !b) {
        return corrupt("a node without edges in or out");
    }
    let raw = RawNetwork {
        coords: CoordSystem::LonLat,
        nodes,
        edges,
    };
    let mut net = raw.freeze(30.0)?;
    if net.node_count() != n
        || net.edge_count() != m
        || net.edge_from != from
        || net.fwd.head != head
    {
        return corrupt("not strongly connected");
    }
    net.projection = Projection::new(CoordSystem::LonLat, x0, y0);
    let proj = net.projection;
    net.xy = net.pos.iter().map(|&p| proj.to_metres(p)).collect();
    net.dropped = dropped;
    Ok((net, ways_kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::csv_import::{self, CsvOptions};

    // -- A minimal PBF encoder ------------------------------------------------

    fn put_varint(b: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            b.push((v as u8) | 0x80);
            v >>= 7;
        }
        b.push(v as u8);
    }
    fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }
    fn put_key(b: &mut Vec<u8>, field: u32, wire: u32) {
        put_varint(b, u64::from(field << 3 | wire));
    }
    fn put_bytes(b: &mut Vec<u8>, field: u32, data: &[u8]) {
        put_key(b, field, 2);
        put_varint(b, data.len() as u64);
        b.extend_from_slice(data);
    }
    fn put_uint(b: &mut Vec<u8>, field: u32, v: u64) {
        put_key(b, field, 0);
        put_varint(b, v);
    }
    fn put_packed(b: &mut Vec<u8>, field: u32, vals: impl IntoIterator<Item = u64>) {
        let mut p = Vec::new();
        for v in vals {
            put_varint(&mut p, v);
        }
        put_bytes(b, field, &p);
    }

    /// A node of the fixture: id, grid x, grid y (units of 0.001 degree from 7.40 E, 43.72 N).
    type N = (i64, f64, f64);

    /// A way of the fixture: id, node refs, tags.
    type W<'a> = (i64, Vec<i64>, Vec<(&'a str, &'a str)>);

    /// A named edit of a cache file.
    type Forge = (&'static str, Box<dyn Fn(&mut Vec<u8>)>);

    /// Coordinates in units of 100 nanodegrees (the default granularity).
    fn units(x: f64, y: f64) -> (i64, i64) {
        (
            ((7.40 + x * 0.001) * 1e7).round() as i64,
            ((43.72 + y * 0.001) * 1e7).round() as i64,
        )
    }

    /// Lon/lat as osmpbf decodes them.
    fn decoded(x: f64, y: f64) -> [f64; 2] {
        let (lon, lat) = units(x, y);
        [1e-9 * (100 * lon) as f64, 1e-9 * (100 * lat) as f64]
    }

    struct Strings(Vec<String>);
    impl Strings {
        fn id(&mut self, s: &str) -> u64 {
            if let Some(i) = self.0.iter().position(|x| x == s) {
                return i as u64;
            }
            self.0.push(s.to_string());
            (self.0.len() - 1) as u64
        }
    }

    fn blob(kind: &str, payload: &[u8], zlib: bool) -> Vec<u8> {
        let mut body = Vec::new();
        if zlib {
            use std::io::Write as _;
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(payload).unwrap();
            put_uint(&mut body, 2, payload.len() as u64);
            put_bytes(&mut body, 3, &z.finish().unwrap());
        } else {
            put_bytes(&mut body, 1, payload);
        }
        let mut header = Vec::new();
        put_bytes(&mut header, 1, kind.as_bytes());
        put_uint(&mut header, 3, body.len() as u64);
        let mut out = (header.len() as u32).to_be_bytes().to_vec();
        out.extend(header);
        out.extend(body);
        out
    }

    /// A PBF with `dense` nodes in a DenseNodes group, `plain` nodes as Node
    /// messages, and `ways` as (id, refs, tags).
    fn pbf(dense: &[N], plain: &[N], ways: &[W<'_>], zlib: bool) -> Vec<u8> {
        let mut head = Vec::new();
        put_bytes(&mut head, 4, b"OsmSchema-V0.6");
        put_bytes(&mut head, 4, b"DenseNodes");
        put_bytes(&mut head, 16, b"patrolsim test");
        let mut file = blob("OSMHeader", &head, false);

        let mut st = Strings(vec![String::new()]);
        let mut groups: Vec<Vec<u8>> = Vec::new();
        // Dense nodes.
        let mut dn = Vec::new();
        let (mut pid, mut plat, mut plon) = (0i64, 0i64, 0i64);
        let (mut ids, mut lats, mut lons) = (Vec::new(), Vec::new(), Vec::new());
        for &(id, x, y) in dense {
            let (lon, lat) = units(x, y);
            ids.push(zigzag(id.wrapping_sub(pid)));
            lats.push(zigzag(lat - plat));
            lons.push(zigzag(lon - plon));
            (pid, plat, plon) = (id, lat, lon);
        }
        put_packed(&mut dn, 1, ids);
        put_packed(&mut dn, 8, lats);
        put_packed(&mut dn, 9, lons);
        let mut g = Vec::new();
        put_bytes(&mut g, 2, &dn);
        groups.push(g);
        // Plain nodes, with a tag.
        let mut g = Vec::new();
        for &(id, x, y) in plain {
            let (lon, lat) = units(x, y);
            let mut n = Vec::new();
            put_uint(&mut n, 1, zigzag(id));
            put_packed(&mut n, 2, [st.id("highway")]);
            put_packed(&mut n, 3, [st.id("crossing")]);
            put_uint(&mut n, 8, zigzag(lat));
            put_uint(&mut n, 9, zigzag(lon));
            put_bytes(&mut g, 1, &n);
        }
        groups.push(g);
        // Ways.
        let mut g = Vec::new();
        for (id, refs, tags) in ways {
            let mut w = Vec::new();
            put_uint(&mut w, 1, *id as u64);
            put_packed(
                &mut w,
                2,
                tags.iter().map(|t| st.id(t.0)).collect::<Vec<_>>(),
            );
            put_packed(
                &mut w,
                3,
                tags.iter().map(|t| st.id(t.1)).collect::<Vec<_>>(),
            );
            let mut prev = 0;
            put_packed(
                &mut w,
                8,
                refs.iter()
                    .map(|&r| {
                        let d = r - prev;
                        prev = r;
                        zigzag(d)
                    })
                    .collect::<Vec<_>>(),
            );
            put_bytes(&mut g, 3, &w);
        }
        groups.push(g);

        let mut block = Vec::new();
        let mut table = Vec::new();
        for s in &st.0 {
            put_bytes(&mut table, 1, s.as_bytes());
        }
        put_bytes(&mut block, 1, &table);
        for g in groups {
            put_bytes(&mut block, 2, &g);
        }
        file.extend(blob("OSMData", &block, zlib));
        file
    }

    /// The fixture's nodes (id, x, y) in grid units.
    fn fixture_nodes() -> (Vec<N>, Vec<N>) {
        let dense = vec![
            (1, 0.0, 0.0),
            (2, 1.0, 0.0),
            (3, 2.0, 0.0),
            (4, 1.0, 1.0),
            (5, 2.0, 1.0),
            (6, 0.0, 1.0),
            (9, 1.5, 1.3),
            (10, 1.5, 0.7),
            (12, 3.0, 0.0),
            (13, -1.0, 0.0),
            (14, 0.0, -1.0),
            (15, 0.5, -1.5),
            (16, 1.0, -1.7),
            (17, 1.5, -1.5),
            (18, 0.5, 0.5),
            (21, 4.0, 2.0),
            (22, 4.0, 3.0),
        ];
        let plain = vec![(19, 3.0, 1.0), (20, 3.0, 2.0)];
        (dense, plain)
    }

    fn fixture(curve_speed: &str, zlib: bool) -> Vec<u8> {
        let (dense, plain) = fixture_nodes();
        let ways: Vec<W<'_>> = vec![
            // Two-way residential; its middle node 2 is shared with way 11.
            (
                10,
                vec![1, 2, 3],
                vec![("highway", "residential"), ("name", "Main")],
            ),
            (
                11,
                vec![2, 4],
                vec![
                    ("highway", "tertiary"),
                    ("oneway", "yes"),
                    ("maxspeed", "signals"),
                ],
            ),
            (
                12,
                vec![5, 3],
                vec![
                    ("highway", "unclassified"),
                    ("oneway", "-1"),
                    ("maxspeed", "45 km/h"),
                ],
            ),
            // Roundabout, closed at 5, shared with way 11 at 4.
            (
                13,
                vec![5, 9, 4, 10, 5],
                vec![
                    ("highway", "primary"),
                    ("junction", "roundabout"),
                    ("maxspeed", "50;30"),
                ],
            ),
            (14, vec![4, 6, 1], vec![("highway", "motorway")]),
            (15, vec![3, 12], vec![("highway", "service")]),
            (16, vec![1, 13], vec![("highway", "footway")]),
            (
                17,
                vec![1, 14],
                vec![("highway", "residential"), ("maxspeed", "30 mph")],
            ),
            // Curved: 14 -> 3 through 15, 16, 17.
            (
                18,
                vec![14, 15, 16, 17, 3],
                vec![("highway", "residential"), ("maxspeed", curve_speed)],
            ),
            (
                19,
                vec![1, 18, 2],
                vec![("highway", "residential"), ("area", "yes")],
            ),
            (
                20,
                vec![5, 19],
                vec![("highway", "residential"), ("access", "private")],
            ),
            (
                21,
                vec![5, 20],
                vec![("highway", "motorway_link"), ("oneway", "no")],
            ),
            // Node 99 is not in the extract: cut into [20] and [21, 22].
            (22, vec![20, 99, 21, 22], vec![("highway", "living_street")]),
        ];
        pbf(&dense, &plain, &ways, zlib)
    }

    fn tmp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("patrolsim-osm-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
        let r = 6_371_008.8;
        let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
        let dp = p2 - p1;
        let dl = (b[0] - a[0]).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    }

    fn pos_of(id: i64) -> [f64; 2] {
        let (d, p) = fixture_nodes();
        let &(_, x, y) = d.iter().chain(&p).find(|n| n.0 == id).unwrap();
        decoded(x, y)
    }

    fn path_len(ids: &[i64]) -> f64 {
        ids.windows(2)
            .map(|w| haversine(pos_of(w[0]), pos_of(w[1])))
            .sum()
    }

    /// Raw edges between OSM ids `a` -> `b`.
    fn raw_edges(raw: &RawNetwork, a: i64, b: i64) -> Vec<&RawEdge> {
        raw.edges
            .iter()
            .filter(|e| raw.nodes[e.u].ext_id == a && raw.nodes[e.v].ext_id == b)
            .collect()
    }

    fn import_bytes(bytes: &[u8], opts: &OsmOptions) -> Result<Imported> {
        import(
            bytes,
            Path::new("test.osm.pbf"),
            opts,
            true,
            &ProgressBar::hidden(),
        )
    }

    fn assert_same(a: &Network, b: &Network, with_projection: bool) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let pbits = |v: &[[f64; 2]]| {
            v.iter()
                .map(|p| (p[0].to_bits(), p[1].to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(a.ext_id, b.ext_id);
        assert_eq!(pbits(&a.pos), pbits(&b.pos));
        if with_projection {
            assert_eq!(a.projection, b.projection);
            assert_eq!(pbits(&a.xy), pbits(&b.xy));
        }
        for (x, y) in [(&a.fwd, &b.fwd), (&a.bwd, &b.bwd)] {
            assert_eq!(x.first, y.first);
            assert_eq!(x.head, y.head);
            assert_eq!(bits(&x.time_s), bits(&y.time_s));
            assert_eq!(x.edge, y.edge);
        }
        assert_eq!(a.edge_from, b.edge_from);
        assert_eq!(bits(&a.edge_len_m), bits(&b.edge_len_m));
        assert_eq!(a.edge_class, b.edge_class);
        assert_eq!(a.node_weight, b.node_weight);
        assert_eq!(a.max_speed_mps.to_bits(), b.max_speed_mps.to_bits());
        for &id in &a.ext_id {
            assert_eq!(a.node_by_ext(id), b.node_by_ext(id));
        }
    }

    fn same_drops(a: &DropReport, b: &DropReport) -> bool {
        (
            a.source_nodes,
            a.source_edges,
            a.dropped_nodes,
            a.dropped_edges,
            a.dropped_components,
        ) == (
            b.source_nodes,
            b.source_edges,
            b.dropped_nodes,
            b.dropped_edges,
            b.dropped_components,
        )
    }

    // -- Tests ----------------------------------------------------------------

    #[test]
    fn maxspeed_values() {
        assert_eq!(parse_maxspeed("50"), Some(50.0));
        assert_eq!(parse_maxspeed(" 50 km/h"), Some(50.0));
        assert_eq!(parse_maxspeed("50kmh"), Some(50.0));
        assert!((parse_maxspeed("30 mph").unwrap() - 48.28032).abs() < 1e-9);
        assert_eq!(parse_maxspeed("50;30"), Some(50.0));
        assert_eq!(parse_maxspeed("12.5"), Some(12.5));
        for v in [
            "signals", "none", "walk", "RU:urban", "", "0", "-5", "50 knots", "1e3", "900",
        ] {
            assert_eq!(parse_maxspeed(v), None, "{v}");
        }
        assert_eq!(default_speed_kph("motorway"), Some(100.0));
        assert_eq!(default_speed_kph("living_street"), Some(10.0));
        assert_eq!(default_speed_kph("footway"), None);
    }

    #[test]
    fn fixture_roads_directions_speeds_lengths() {
        let imp = import_bytes(&fixture("20", true), &OsmOptions::default()).unwrap();
        let raw = &imp.raw;
        assert_eq!(imp.ways_kept, 9);
        let ids: Vec<i64> = raw.nodes.iter().map(|n| n.ext_id).collect();
        // Intermediate nodes (6, 9, 10, 15..17) and dropped roads' nodes (12, 13, 18, 19) are absent.
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 14, 20, 21, 22]);
        assert_eq!(raw.edges.len(), 17);
        for n in &raw.nodes {
            let (d, p) = fixture_nodes();
            let &(_, x, y) = d.iter().chain(&p).find(|m| m.0 == n.ext_id).unwrap();
            assert_eq!(n.pos, decoded(x, y));
        }
        let one = |a, b| {
            let v = raw_edges(raw, a, b);
            assert_eq!(v.len(), 1, "{a} -> {b}");
            v[0]
        };
        let none = |a, b| {
            assert!(
                raw_edges(raw, a, b).is_empty(),
                "{a} -> {b} should not exist"
            )
        };
        let close = |x: f64, y: f64| assert!((x - y).abs() <= 1e-6 * y.abs(), "{x} vs {y}");

        // Split at the shared node 2: 1-2 and 2-3, never 1-3.
        for (a, b) in [(1, 2), (2, 1), (2, 3), (3, 2)] {
            let e = one(a, b);
            assert_eq!(e.speed_kph, Some(30.0));
            assert_eq!(e.class, RoadClass::Local);
            close(e.length_m.unwrap(), path_len(&[a, b]));
        }
        none(1, 3);
        none(3, 1);
        // oneway=yes, maxspeed=signals -> tertiary default.
        assert_eq!(one(2, 4).speed_kph, Some(40.0));
        assert_eq!(one(2, 4).class, RoadClass::Arterial);
        none(4, 2);
        // oneway=-1 on 5 -> 3: only 3 -> 5.
        assert_eq!(one(3, 5).speed_kph, Some(45.0));
        none(5, 3);
        // Roundabout: forward only, split at 4 and closed at 5, lengths along the ring.
        let r1 = one(5, 4);
        let r2 = one(4, 5);
        assert_eq!(r1.speed_kph, Some(50.0));
        close(r1.length_m.unwrap(), path_len(&[5, 9, 4]));
        close(r2.length_m.unwrap(), path_len(&[4, 10, 5]));
        // Motorway: implied one-way, 100 km/h, through node 6.
        let m = one(4, 1);
        assert_eq!(m.speed_kph, Some(100.0));
        assert_eq!(m.class, RoadClass::Expressway);
        close(m.length_m.unwrap(), path_len(&[4, 6, 1]));
        none(1, 4);
        // motorway_link with oneway=no: both ways, 60 km/h.
        assert_eq!(one(5, 20).speed_kph, Some(60.0));
        assert_eq!(one(20, 5).speed_kph, Some(60.0));
        // 30 mph.
        close(one(1, 14).speed_kph.unwrap(), 48.28032);
        close(one(14, 1).speed_kph.unwrap(), 48.28032);
        // Curved way: the length is the sum along the polyline, not the chord.
        let c = one(14, 3);
        let along = path_len(&[14, 15, 16, 17, 3]);
        close(c.length_m.unwrap(), along);
        close(one(3, 14).length_m.unwrap(), along);
        assert!(along > 1.2 * haversine(pos_of(14), pos_of(3)));
        assert_eq!(c.speed_kph, Some(20.0));
        // Cut at the missing node: only 21 <-> 22, a living street.
        assert_eq!(one(21, 22).speed_kph, Some(10.0));
        one(22, 21);
        // Dropped: service (12), footway (13), area (18), private (19).
        for gone in [12, 13, 18, 19, 99] {
            assert!(!ids.contains(&gone));
        }

        // Geometry, in raw order and in network order.
        let geo = imp.geometry.as_ref().unwrap();
        assert_eq!(geo.polylines.len(), raw.edges.len());
        let net = imp.raw.clone().freeze(30.0).unwrap();
        assert_eq!(net.node_count(), 7);
        assert_eq!(net.edge_count(), 15);
        assert_eq!(net.dropped.dropped_nodes, 2);
        assert_eq!(net.dropped.dropped_edges, 2);
        assert_eq!(net.node_by_ext(21), None);
        let shapes = geo.for_network(&net).unwrap();
        for (e, shape) in shapes.iter().enumerate() {
            assert_eq!(shape.first(), Some(&net.pos[net.edge_from[e] as usize]));
            assert_eq!(shape.last(), Some(&net.pos[net.fwd.head[e] as usize]));
            let along: f64 = shape.windows(2).map(|w| haversine(w[0], w[1])).sum();
            close(net.edge_len_m[e], along);
        }
        let e = (0..net.edge_count())
            .find(|&e| {
                net.ext_id[net.edge_from[e] as usize] == 3
                    && net.ext_id[net.fwd.head[e] as usize] == 14
            })
            .unwrap();
        let want: Vec<[f64; 2]> = [3, 17, 16, 15, 14].iter().map(|&i| pos_of(i)).collect();
        assert_eq!(shapes[e], want);
    }

    #[test]
    fn service_roads_on_request() {
        let opts = OsmOptions {
            include_service: true,
        };
        let imp = import_bytes(&fixture("20", false), &opts).unwrap();
        assert_eq!(imp.ways_kept, 10);
        assert_eq!(imp.raw.nodes.len(), 10);
        assert_eq!(imp.raw.edges.len(), 19);
        let e = raw_edges(&imp.raw, 3, 12);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].speed_kph, Some(20.0));
        let net = imp.raw.freeze(30.0).unwrap();
        assert_eq!((net.node_count(), net.edge_count()), (8, 17));
    }

    #[test]
    fn truncated_garbage_and_missing_files_are_errors() {
        let good = fixture("20", true);
        let opts = OsmOptions::default();
        for cut in 0..good.len() {
            let r = import_bytes(&good[..cut], &opts);
            assert!(
                r.is_err(),
                "truncated at {cut} of {} was accepted",
                good.len()
            );
        }
        // Stray bytes after the last block.
        let mut extra = good.clone();
        extra.extend_from_slice(&[0, 0]);
        assert!(import_bytes(&extra, &opts).is_err());
        // Garbage.
        let garbage: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let err = import_bytes(&garbage, &opts).err().unwrap();
        assert!(matches!(err, Error::Read { .. }), "{err}");
        assert!(
            err.to_string().contains("not a valid OSM PBF file"),
            "{err}"
        );
        // Every single-byte corruption of the (uncompressed) file either
        // fails cleanly or reads; it never panics out of the importer.
        let raw = fixture("20", false);
        for i in 0..raw.len() {
            let mut b = raw.clone();
            b[i] ^= 0x5a;
            let _ = import_bytes(&b, &opts);
        }
        // A PBF without drivable roads.
        let (dense, plain) = fixture_nodes();
        let empty = pbf(
            &dense,
            &plain,
            &[(1, vec![1, 2], vec![("highway", "footway")])],
            true,
        );
        let err = import_bytes(&empty, &opts).err().unwrap();
        assert!(matches!(err, Error::Field { .. }), "{err}");
        assert!(err.to_string().contains("no drivable road"), "{err}");
        // Missing file.
        let dir = tmp_dir("missing");
        let err = read(&dir.join("nope.osm.pbf"), &opts).unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err}");
        assert!(err.to_string().contains("nope.osm.pbf"));
        let err = load(&dir.join("nope.osm.pbf"), &opts, false).unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err}");
        // A truncated file on disk names the file.
        let p = dir.join("cut.osm.pbf");
        std::fs::write(&p, &good[..good.len() - 7]).unwrap();
        let err = load(&p, &opts, false).unwrap_err();
        assert!(
            err.to_string().contains("cut.osm.pbf") && err.to_string().contains("truncated"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn decoder_overflow_is_an_error_not_a_panic() {
        // Dense node ids whose deltas overflow i64: osmpbf's delta decoding
        // panics on this with overflow checks on (debug builds) and wraps
        // without; either way the importer returns.
        let dense = [(i64::MAX, 0.0, 0.0), (i64::MIN, 1.0, 0.0)];
        let bytes = pbf(
            &dense,
            &[],
            &[(1, vec![1, 2], vec![("highway", "residential")])],
            true,
        );
        let r = import_bytes(&bytes, &OsmOptions::default());
        let err = r.err().expect("no road can come out of this file");
        if cfg!(debug_assertions) {
            assert!(err.to_string().contains("malformed"), "{err}");
        }
    }

    #[test]
    fn cache_round_trip_and_invalidation() {
        let dir = tmp_dir("cache");
        let p = dir.join("city.osm.pbf");
        std::fs::write(&p, fixture("20", false)).unwrap();
        let opts = OsmOptions::default();
        let (a, ia) = load(&p, &opts, false).unwrap();
        assert!(!ia.from_cache && ia.cache_written, "{ia:?}");
        assert_eq!(ia.cache_path, dir.join("city.osm.pbf.patrolsim-cache"));
        assert!(ia.cache_path.exists());
        assert_eq!(
            (
                ia.ways_kept,
                ia.nodes_before_scc,
                ia.edges_before_scc,
                ia.nodes,
                ia.edges
            ),
            (9, 9, 17, 7, 15)
        );
        // Same as freezing `read` directly.
        let direct = read(&p, &opts).unwrap().freeze(30.0).unwrap();
        assert_same(&a, &direct, true);

        let (b, ib) = load(&p, &opts, false).unwrap();
        assert!(ib.from_cache && !ib.cache_written, "{ib:?}");
        assert_same(&a, &b, true);
        assert!(same_drops(&a.dropped, &b.dropped));
        assert_eq!(
            (
                ib.ways_kept,
                ib.nodes_before_scc,
                ib.edges_before_scc,
                ib.nodes,
                ib.edges
            ),
            (9, 9, 17, 7, 15)
        );

        // Other options: not from this cache.
        let svc = OsmOptions {
            include_service: true,
        };
        let (c, ic) = load(&p, &svc, false).unwrap();
        assert!(!ic.from_cache);
        assert!(ic.cache_note.unwrap().contains("options"));
        assert_eq!(c.node_count(), 8);
        let (_, ic2) = load(&p, &opts, false).unwrap();
        assert!(!ic2.from_cache && ic2.cache_written, "{ic2:?}");

        // Same size, different bytes (maxspeed 20 -> 25): stale.
        let changed = fixture("25", false);
        assert_eq!(changed.len(), std::fs::metadata(&p).unwrap().len() as usize);
        std::fs::write(&p, &changed).unwrap();
        let (d, id) = load(&p, &opts, false).unwrap();
        assert!(!id.from_cache, "{id:?}");
        assert!(
            id.cache_note.as_deref().unwrap_or("").contains("stale"),
            "{id:?}"
        );
        let e = (0..d.edge_count())
            .find(|&e| {
                d.ext_id[d.edge_from[e] as usize] == 14 && d.ext_id[d.fwd.head[e] as usize] == 3
            })
            .unwrap();
        assert!((d.edge_len_m[e] / d.fwd.time_s[e] * 3.6 - 25.0).abs() < 0.01);
        let (_, id2) = load(&p, &opts, false).unwrap();
        assert!(id2.from_cache);

        // Corrupt caches are ignored and rebuilt: a flipped byte anywhere, a
        // truncation, garbage, an empty file.
        let cache = cache_path(&p);
        let good = std::fs::read(&cache).unwrap();
        let mut bad_versions = Vec::new();
        for i in [
            0,
            9,
            13,
            17,
            30,
            45,
            90,
            100,
            HEAD + 3,
            good.len() / 2,
            good.len() - 30,
            good.len() - 1,
        ] {
            let mut b = good.clone();
            b[i] ^= 0x10;
            bad_versions.push(b);
        }
        bad_versions.push(good[..good.len() - 1].to_vec());
        bad_versions.push(good[..HEAD].to_vec());
        bad_versions.push(b"garbage".to_vec());
        bad_versions.push(Vec::new());
        let mut extended = good.clone();
        extended.push(0);
        bad_versions.push(extended);
        for b in bad_versions {
            std::fs::write(&cache, &b).unwrap();
            let (net, info) = load(&p, &opts, false).unwrap();
            assert!(!info.from_cache && info.cache_written, "{info:?}");
            assert!(info.cache_note.is_some());
            assert_same(&net, &d, true);
            assert_eq!(std::fs::read(&cache).unwrap(), good);
        }
        // Direct decoding checks as well: every truncation is refused.
        let key = CacheKey {
            options: 0,
            size: changed.len() as u64,
            hash: hash64(&changed),
        };
        assert!(decode_cache(&good, &key).is_ok());
        for cut in 0..good.len() {
            assert!(decode_cache(&good[..cut], &key).is_err());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn forged_cache_with_valid_checksum_is_still_validated() {
        let imp = import_bytes(&fixture("20", true), &OsmOptions::default()).unwrap();
        let net = imp.raw.freeze(30.0).unwrap();
        let key = CacheKey {
            options: 0,
            size: 1,
            hash: 2,
        };
        let good = encode_cache(&key, &net, 9);
        assert!(decode_cache(&good, &key).is_ok());
        let (n, m) = (net.node_count(), net.edge_count());
        let reseal = |mut b: Vec<u8>| {
            let k = b.len() - 8;
            let s = hash64(&b[..k]);
            b[k..].copy_from_slice(&s.to_le_bytes());
            b
        };
        let tail_off = HEAD + 24 * n; // first edge tail
        let head_off = tail_off + 4 * m;
        let cases: Vec<Forge> = vec![
            (
                "dangling head",
                Box::new(move |b| {
                    b[head_off..head_off + 4].copy_from_slice(&(n as u32).to_le_bytes())
                }),
            ),
            (
                "self loop",
                Box::new(move |b| {
                    let t = b[tail_off..tail_off + 4].to_vec();
                    b[head_off..head_off + 4].copy_from_slice(&t);
                }),
            ),
            (
                "unsorted ids",
                Box::new(|b| b[HEAD..HEAD + 8].copy_from_slice(&i64::MAX.to_le_bytes())),
            ),
            (
                "bad latitude",
                Box::new(move |b| {
                    let o = HEAD + 16 * n;
                    b[o..o + 8].copy_from_slice(&95.0f64.to_le_bytes());
                }),
            ),
            (
                "bad class",
                Box::new(move |b| {
                    let o = b.len() - 9;
                    b[o] = 7;
                }),
            ),
            ("bad drop report", Box::new(|b| b[40] ^= 1)),
        ];
        for (what, f) in cases {
            let mut b = good.clone();
            f(&mut b);
            let b = reseal(b);
            assert!(decode_cache(&b, &key).is_err(), "{what} accepted");
        }
    }

    #[test]
    fn unwritable_cache_is_skipped() {
        let dir = tmp_dir("nowrite");
        let p = dir.join("city.osm.pbf");
        std::fs::write(&p, fixture("20", true)).unwrap();
        // A directory where the cache file would go: the rename fails even for root.
        std::fs::create_dir(cache_path(&p)).unwrap();
        std::fs::write(cache_path(&p).join("keep"), b"x").unwrap();
        let (net, info) = load(&p, &OsmOptions::default(), false).unwrap();
        assert_eq!(net.node_count(), 7);
        assert!(!info.from_cache && !info.cache_written, "{info:?}");
        assert!(info.cache_note.unwrap().contains("not written"));
        // The source, the blocking directory and the shapes (written beside it).
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            left.iter().all(|n| !n.starts_with('.')),
            "a temporary file was left behind: {left:?}"
        );
        assert_eq!(left.len(), 3, "{left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn csv_round_trip() {
        let dir = tmp_dir("csv");
        let imp = import_bytes(&fixture("20", true), &OsmOptions::default()).unwrap();
        let net = imp.raw.freeze(30.0).unwrap();
        let back = |dir: &Path| {
            csv_import::read(
                &dir.join("nodes.csv"),
                &dir.join("edges.csv"),
                &CsvOptions {
                    coords: CoordSystem::LonLat,
                    undirected: false,
                    weight_column: None,
                },
            )
            .unwrap()
            .freeze(30.0)
            .unwrap()
        };
        write_csv(&net, &dir.join("a")).unwrap();
        let again = back(&dir.join("a"));
        // The projection centre is the mean of the source's nodes, which here
        // included the two dropped ones; everything else is identical.
        assert_same(&net, &again, false);
        write_csv(&again, &dir.join("b")).unwrap();
        let third = back(&dir.join("b"));
        assert_same(&again, &third, true);
        for f in ["nodes.csv", "edges.csv"] {
            assert_eq!(
                std::fs::read(dir.join("a").join(f)).unwrap(),
                std::fs::read(dir.join("b").join(f)).unwrap()
            );
        }
        let edges = std::fs::read_to_string(dir.join("a/edges.csv")).unwrap();
        assert!(edges.starts_with("u,v,length,speed_kph,travel_time,highway\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hash_sees_every_byte() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let h = hash64(&data);
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 1;
            assert_ne!(hash64(&d), h, "byte {i}");
        }
        assert_ne!(hash64(&data[..999]), h);
        assert_ne!(hash64(b""), hash64(&[0]));
    }

    fn monaco() -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/monaco.osm.pbf");
        if p.exists() {
            Some(p)
        } else {
            eprintln!("skipped: {} is absent", p.display());
            None
        }
    }

    #[test]
    fn monaco_loads_and_caches() {
        let Some(src) = monaco() else { return };
        // Work on a copy: the cache must not be written into ../shared.
        let dir = tmp_dir("monaco");
        let p = dir.join("monaco.osm.pbf");
        std::fs::copy(&src, &p).unwrap();
        let opts = OsmOptions::default();
        let (a, ia) = load(&p, &opts, false).unwrap();
        assert!(!ia.from_cache && ia.cache_written, "{ia:?}");
        // Split at intersections only: far fewer nodes than OSM nodes on roads (about 13k).
        assert!((1_000..4_000).contains(&ia.nodes), "{ia:?}");
        assert!(ia.edges > ia.nodes && ia.edges < 3 * ia.nodes, "{ia:?}");
        assert!(
            ia.nodes_before_scc >= ia.nodes && ia.ways_kept > 1000,
            "{ia:?}"
        );
        let (b, ib) = load(&p, &opts, false).unwrap();
        assert!(ib.from_cache, "{ib:?}");
        assert_same(&a, &b, true);
        assert!(same_drops(&a.dropped, &b.dropped));
        // Every edge is at least as long as its chord and of a plausible speed.
        for e in 0..a.edge_count() {
            let (u, v) = (a.edge_from[e] as usize, a.fwd.head[e] as usize);
            assert!(a.edge_len_m[e] >= haversine(a.pos[u], a.pos[v]) * (1.0 - 1e-9));
            let kph = a.edge_len_m[e] / a.fwd.time_s[e] * 3.6;
            assert!(
                a.fwd.time_s[e] == 0.0 || (1.0..=300.0).contains(&kph),
                "{kph}"
            );
        }
        // The geometry lines up with the frozen network.
        let (raw, geo) = read_with_geometry(&src, &opts).unwrap();
        let net = raw.freeze(30.0).unwrap();
        assert_same(&net, &a, true);
        assert_eq!(geo.for_network(&net).unwrap().len(), net.edge_count());
        eprintln!(
            "monaco: {} ways, {} -> {} nodes, {} -> {} edges; first load {:?}, cached {:?}",
            ia.ways_kept,
            ia.nodes_before_scc,
            ia.nodes,
            ia.edges_before_scc,
            ia.edges,
            ia.elapsed,
            ib.elapsed
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
