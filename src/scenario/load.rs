//! Reading, validating and resolving a scenario.
//!
//! Turns TOML text into a [`Scenario`]: parses with serde (unknown keys and
//! syntax errors come back with line and column), checks every value, builds
//! the network, snaps stations and hotspots, and builds the demand model.
//! Each failure is one [`Error`] naming the file and the field.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::file::{Coordinates, Place, ScenarioFile, ServiceDist, WaypointSpec};
use super::{Hotspot, Patrol, Scenario, Station, Waypoint};
use crate::demand::{self, Demand, Source, Spatial};
use crate::error::{Error, Result};
use crate::network::csv_import::{self, CsvOptions};
use crate::network::snap::Snapper;
use crate::network::{CoordSystem, Network, NodeId};

/// Most calls one run may be asked to generate (about 50 years of a
/// ten-million city's calls): beyond it memory, not patience, runs out.
const MAX_CALLS: f64 = 5.0e7;

/// Most units a scenario may have.
const MAX_UNITS: u64 = 100_000;

/// Load a scenario file from disk.
pub fn from_path(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut scn = from_str(&text, path, &base)?;
    if scn.ch_cache.is_none() {
        // A synthetic city: its routing preprocessing is cached beside the scenario.
        scn.ch_cache = Some(ch_cache_beside(path));
    }
    Ok(scn)
}

/// The routing cache file beside a source file: `<file>.patrolsim-ch`.
pub fn ch_cache_beside(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".patrolsim-ch");
    PathBuf::from(name)
}

/// Load the embedded default scenario.
pub fn default_scenario() -> Result<Scenario> {
    from_str(
        super::DEFAULT_SCENARIO,
        Path::new("scenarios/default.toml"),
        Path::new("."),
    )
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parse the TOML only (no network is built).
pub fn parse(text: &str, path: &Path) -> Result<ScenarioFile> {
    toml::from_str::<ScenarioFile>(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        let message = e.message().trim().replace('\n', " ");
        let key = toml_key(&e);
        // "unknown field `x`, expected ..." inside `a.b`: name the key as `a.b.x`.
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split_once('`'));
        let message = match (key, unknown) {
            (key, Some((name, rest))) => {
                let full = key.map_or(name.to_string(), |k| format!("{k}.{name}"));
                format!("field `{full}`: unknown key{rest}")
            }
            (Some(key), None) => format!("field `{key}`: {message}"),
            (None, None) => message,
        };
        Error::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    })
}

/// The dotted key a schema error is about, if the parser recorded one.
///
/// `toml` keeps the key path private but prints it as a last "in `a.b`" line
/// when the error carries no input text.
fn toml_key(e: &toml::de::Error) -> Option<String> {
    let mut e = e.clone();
    e.set_input(None);
    let shown = e.to_string();
    let last = shown.trim_end().lines().last()?;
    let key = last.strip_prefix("in `")?.strip_suffix('`')?;
    (!key.is_empty()).then(|| key.to_string())
}

/// Load a scenario from TOML text; relative paths resolve against `base`.
pub fn from_str(text: &str, path: &Path, base: &Path) -> Result<Scenario> {
    let file = parse(text, path)?;
    resolve(file, path, base)
}

struct Check<'a> {
    path: &'a Path,
}

impl Check<'_> {
    fn err(&self, field: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::field(self.path, field, msg)
    }
    fn positive(&self, field: &str, v: f64) -> Result<()> {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(self.err(field, format!("must be a positive number, got {v}")))
        }
    }
    fn nonneg(&self, field: &str, v: f64) -> Result<()> {
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(self.err(field, format!("must be zero or a positive number, got {v}")))
        }
    }
    fn share(&self, field: &str, v: f64) -> Result<()> {
        if (0.0..=1.0).contains(&v) {
            Ok(())
        } else {
            Err(self.err(field, format!("must be between 0 and 1, got {v}")))
        }
    }
    fn weights(&self, field: &str, w: &[f64]) -> Result<()> {
        for (i, &x) in w.iter().enumerate() {
            self.nonneg(&format!("{field}[{i}]"), x)?;
        }
        let sum = w.iter().sum::<f64>();
        if sum <= 0.0 {
            return Err(self.err(field, "at least one value must be positive"));
        }
        if !sum.is_finite() {
            return Err(self.err(field, "the values are too large"));
        }
        Ok(())
    }
}

/// Validate a parsed file and resolve it against its network.
pub fn resolve(file: ScenarioFile, path: &Path, base: &Path) -> Result<Scenario> {
    let ck = Check { path };
    let net_s = &file.network;

    // --- scalar checks first: cheap, and before any file is read.
    ck.positive("network.default_speed_kph", net_s.default_speed_kph)?;
    ck.positive("network.snap_max_m", net_s.snap_max_m)?;
    let t = &file.targets;
    ck.positive("targets.response_s", t.response_s)?;
    ck.positive("targets.patrol_loop_s", t.patrol_loop_s)?;
    ck.share("targets.compliance", t.compliance)?;
    ck.positive("targets.presence_radius_m", t.presence_radius_m)?;
    let sim = &file.simulation;
    ck.positive("simulation.horizon_s", sim.horizon_s)?;
    ck.nonneg("simulation.warmup_s", sim.warmup_s)?;
    if sim.warmup_s >= sim.horizon_s {
        return Err(ck.err(
            "simulation.warmup_s",
            format!(
                "must be less than simulation.horizon_s ({} s), got {} s",
                sim.horizon_s, sim.warmup_s
            ),
        ));
    }
    ck.nonneg("dispatch.call_handling_s", file.dispatch.call_handling_s)?;
    let d = &file.demand;
    match (d.calls_per_hour, &d.replay) {
        (Some(_), Some(_)) => {
            return Err(ck.err(
                "demand.replay",
                "give either demand.calls_per_hour or demand.replay, not both",
            ))
        }
        (None, None) => {
            return Err(ck.err(
                "demand.calls_per_hour",
                "missing: give demand.calls_per_hour (Poisson) or demand.replay (a CSV of calls)",
            ))
        }
        (Some(r), None) => {
            ck.positive("demand.calls_per_hour", r)?;
            let expected = r * sim.horizon_s / 3600.0;
            if expected > MAX_CALLS {
                return Err(ck.err(
                    "demand.calls_per_hour",
                    format!(
                        "{r} calls per hour over {} s is about {expected:.3e} calls, \
                         more than the {MAX_CALLS:.0e} one run can hold",
                        sim.horizon_s
                    ),
                ));
            }
        }
        (None, Some(_)) => {}
    }
    if let Some(p) = &d.hourly_profile {
        if p.len() != 24 {
            return Err(ck.err(
                "demand.hourly_profile",
                format!("needs 24 values (hours 0 to 23), got {}", p.len()),
            ));
        }
        ck.weights("demand.hourly_profile", p)?;
    }
    let shares = d.priority_shares.clone().unwrap_or_else(|| vec![1.0]);
    if shares.is_empty() || shares.len() > 9 {
        return Err(ck.err(
            "demand.priority_shares",
            format!("needs 1 to 9 values, got {}", shares.len()),
        ));
    }
    ck.weights("demand.priority_shares", &shares)?;
    ck.share("demand.hotspot_share", d.hotspot_share)?;
    ck.positive("demand.hotspot_radius_m", d.hotspot_radius_m)?;
    let service = &file.service.on_scene;
    if service.len() != 1 && service.len() != shares.len() {
        return Err(ck.err(
            "service.on_scene",
            format!(
                "needs 1 distribution or one per priority ({}), got {}",
                shares.len(),
                service.len()
            ),
        ));
    }
    for (i, s) in service.iter().enumerate() {
        let f = format!("service.on_scene[{i}]");
        match *s {
            ServiceDist::Fixed { mean_s } => ck.nonneg(&format!("{f}.mean_s"), mean_s)?,
            ServiceDist::Exponential { mean_s } => ck.positive(&format!("{f}.mean_s"), mean_s)?,
            ServiceDist::Lognormal { mean_s, sd_s } => {
                ck.positive(&format!("{f}.mean_s"), mean_s)?;
                ck.nonneg(&format!("{f}.sd_s"), sd_s)?;
                if !(sd_s / mean_s).powi(2).is_finite() {
                    return Err(ck.err(
                        format!("{f}.sd_s"),
                        format!("{sd_s} is too large for mean_s = {mean_s}"),
                    ));
                }
            }
        }
    }
    if file.stations.is_empty() {
        return Err(ck.err("stations", "the scenario has no [[stations]]"));
    }
    let mut names = BTreeSet::new();
    for (i, s) in file.stations.iter().enumerate() {
        if !names.insert(s.name.as_str()) {
            return Err(ck.err(
                format!("stations[{i}].name"),
                format!("duplicate station name `{}`", s.name),
            ));
        }
        if s.units == 0 {
            return Err(ck.err(
                format!("stations[{i}].units"),
                format!("station `{}` has 0 units; it needs at least 1", s.name),
            ));
        }
    }
    let units: u64 = file.stations.iter().map(|s| s.units as u64).sum();
    if units > MAX_UNITS {
        return Err(ck.err(
            "stations",
            format!("{units} units in all, more than the {MAX_UNITS} a run can hold"),
        ));
    }
    let mut names = BTreeSet::new();
    for (i, h) in file.hotspots.iter().enumerate() {
        if !names.insert(h.name.as_str()) {
            return Err(ck.err(
                format!("hotspots[{i}].name"),
                format!("duplicate hotspot name `{}`", h.name),
            ));
        }
        ck.nonneg(&format!("hotspots[{i}].weight"), h.weight)?;
        if let Some(r) = h.revisit_s {
            ck.positive(&format!("hotspots[{i}].revisit_s"), r)?;
        }
    }
    if d.hotspot_share > 0.0 && file.hotspots.iter().map(|h| h.weight).sum::<f64>() <= 0.0 {
        return Err(ck.err(
            "demand.hotspot_share",
            "is above 0 but there are no [[hotspots]] with a positive weight",
        ));
    }

    // --- the network.
    let coords = match net_s.coordinates {
        Coordinates::Lonlat => {
            if net_s.unit_m.is_some() {
                return Err(ck.err(
                    "network.unit_m",
                    "only applies with network.coordinates = \"planar\"",
                ));
            }
            CoordSystem::LonLat
        }
        Coordinates::Planar => {
            let unit_m = net_s.unit_m.unwrap_or(1.0);
            ck.positive("network.unit_m", unit_m)?;
            CoordSystem::Planar { unit_m }
        }
    };
    let sources = [
        net_s.synthetic.is_some(),
        net_s.nodes.is_some() || net_s.edges.is_some(),
        net_s.osm.is_some(),
    ];
    if sources.iter().filter(|&&x| x).count() > 1 {
        return Err(ck.err(
            "network",
            "give only one of network.synthetic, network.nodes + network.edges, or network.osm",
        ));
    }
    if net_s.osm_service && net_s.osm.is_none() {
        return Err(ck.err("network.osm_service", "only applies with network.osm"));
    }
    let net = match (&net_s.synthetic, &net_s.nodes, &net_s.edges) {
        (None, None, None) if net_s.osm.is_some() => {
            let osm = base.join(net_s.osm.as_deref().unwrap_or(Path::new("")));
            if d.node_weights.is_some() {
                return Err(ck.err(
                    "demand.node_weights",
                    "names a nodes.csv column, but the network is an OpenStreetMap extract",
                ));
            }
            if net_s.undirected || net_s.coordinates != Coordinates::Lonlat {
                return Err(ck.err(
                    "network.osm",
                    "OpenStreetMap is directed and in lon/lat: leave out undirected and coordinates",
                ));
            }
            let opts = crate::network::osm::OsmOptions {
                include_service: net_s.osm_service,
            };
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            crate::network::osm::load(&osm, &opts, progress)
                .map_err(|e| name_field(&ck, e, "network.osm"))?
                .0
        }
        (Some(spec), None, None) => {
            if d.node_weights.is_some() {
                return Err(ck.err(
                    "demand.node_weights",
                    "names a nodes.csv column, but the network is synthetic",
                ));
            }
            if net_s.undirected {
                return Err(ck.err(
                    "network.undirected",
                    "only applies to CSV networks; a synthetic city sets its own one-way streets",
                ));
            }
            if net_s.coordinates != Coordinates::Lonlat {
                return Err(ck.err(
                    "network.coordinates",
                    "a synthetic city is always in lon/lat",
                ));
            }
            spec.validate()
                .map_err(|(f, m)| ck.err(format!("network.synthetic.{f}"), m))?;
            spec.generate()
                .freeze(net_s.default_speed_kph)
                .map_err(|m| ck.err("network.synthetic", m))?
        }
        (None, Some(nodes), Some(edges)) => {
            let (nodes, edges) = (base.join(nodes), base.join(edges));
            let raw = csv_import::read(
                &nodes,
                &edges,
                &CsvOptions {
                    coords,
                    undirected: net_s.undirected,
                    weight_column: d.node_weights.clone(),
                },
            )
            .map_err(|e| {
                let field = if unreadable(&e, &nodes) {
                    "network.nodes"
                } else {
                    "network.edges"
                };
                name_field(&ck, e, field)
            })?;
            let net = raw
                .freeze(net_s.default_speed_kph)
                .map_err(|m| ck.err("network.edges", format!("{}: {m}", edges.display())))?;
            if net.node_count() < 2 {
                return Err(ck.err(
                    "network.edges",
                    format!(
                        "{}: no two nodes can reach each other and come back; \
                         the largest strongly connected part is a single node",
                        edges.display()
                    ),
                ));
            }
            net
        }
        (Some(_), _, _) => {
            return Err(ck.err(
                "network",
                "give either network.synthetic or network.nodes + network.edges, not both",
            ))
        }
        (None, None, _) | (None, _, None) => {
            return Err(ck.err(
                "network",
                "needs network.synthetic = { ... }, or both network.nodes and network.edges",
            ))
        }
    };
    let snapper = Snapper::new(&net);
    let place = |field: String, p: Place, what: &str| -> Result<(NodeId, f64)> {
        resolve_place(&ck, &net, &snapper, net_s.snap_max_m, field, p, what)
    };

    let mut stations = Vec::new();
    for (i, s) in file.stations.iter().enumerate() {
        let (node, snap_m) = place(format!("stations[{i}]"), s.place(), &s.name)?;
        stations.push(Station {
            name: s.name.clone(),
            node,
            snap_m,
            units: s.units,
        });
    }
    let mut hotspots = Vec::new();
    for (i, h) in file.hotspots.iter().enumerate() {
        let (node, snap_m) = place(format!("hotspots[{i}]"), h.place(), &h.name)?;
        hotspots.push(Hotspot {
            name: h.name.clone(),
            kind: h.kind,
            node,
            snap_m,
            weight: h.weight,
            revisit_s: h.revisit_s.unwrap_or(file.targets.patrol_loop_s),
        });
    }
    let patrols = resolve_patrols(&ck, &file, &net, &stations, &hotspots, &place)?;

    // --- demand.
    let n = net.node_count();
    let mut profile = [1.0; 24];
    if let Some(p) = &d.hourly_profile {
        let mean = p.iter().sum::<f64>() / 24.0;
        for (h, x) in p.iter().enumerate() {
            profile[h] = x / mean;
        }
    }
    let total: f64 = shares.iter().sum();
    let mut acc = 0.0;
    let priority_cum: Vec<f64> = shares
        .iter()
        .map(|s| {
            acc += s / total;
            acc
        })
        .collect();
    let mut priorities = shares.len();
    let (source, spatial) = match &d.replay {
        Some(r) => {
            let rp: PathBuf = base.join(r);
            let calls = demand::read_replay(&rp, &net, &snapper, net_s.snap_max_m)
                .map_err(|e| name_field(&ck, e, "demand.replay"))?;
            let horizon = file.simulation.horizon_s;
            if !calls.iter().any(|c| c.time_s < horizon) {
                return Err(ck.err(
                    "demand.replay",
                    format!(
                        "{}: no call comes before simulation.horizon_s = {horizon} s",
                        rp.display()
                    ),
                ));
            }
            let mut w = vec![0.0; n];
            for c in calls.iter().filter(|c| c.time_s < horizon) {
                w[c.node.idx()] += 1.0;
            }
            // Count every priority the file uses, so none drops out of the figures.
            let top = calls.iter().map(|c| c.priority as usize).max().unwrap_or(1);
            priorities = priorities.max(top);
            (Source::Replay(calls), Spatial::from_weights(w))
        }
        None => {
            if d.node_weights.is_some() && net.node_weight.is_none() {
                return Err(ck.err(
                    "demand.node_weights",
                    "the column is empty on every node of the network",
                ));
            }
            let spread: Vec<f64> = match &net.node_weight {
                Some(w) => {
                    if w.iter().sum::<f64>() <= 0.0 {
                        return Err(ck.err(
                            "demand.node_weights",
                            "every node weight in that column is 0",
                        ));
                    }
                    w.clone()
                }
                None => vec![1.0; n],
            };
            let spread_total: f64 = spread.iter().sum();
            let hs = d.hotspot_share;
            let mut w: Vec<f64> = spread
                .iter()
                .map(|x| (1.0 - hs) * x / spread_total)
                .collect();
            if hs > 0.0 {
                let wsum: f64 = hotspots.iter().map(|h| h.weight).sum();
                for h in &hotspots {
                    let mut near = snapper.within_m(net.xy[h.node.idx()], d.hotspot_radius_m);
                    if near.is_empty() {
                        near.push(h.node);
                    }
                    let each = hs * h.weight / wsum / near.len() as f64;
                    for v in near {
                        w[v.idx()] += each;
                    }
                }
            }
            (
                Source::Poisson {
                    calls_per_hour: d.calls_per_hour.unwrap_or(0.0),
                    profile,
                    priority_cum,
                },
                Spatial::from_weights(w),
            )
        }
    };
    let name = file.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into())
    });
    Ok(Scenario {
        path: path.to_path_buf(),
        name,
        net: Arc::new(net),
        stations,
        hotspots,
        patrols,
        demand: Demand {
            source,
            spatial,
            priorities,
        },
        service: service.clone(),
        call_handling_s: file.dispatch.call_handling_s,
        router: file.dispatch.router,
        ch_cache: match (&file.network.osm, &file.network.edges) {
            (Some(f), _) | (None, Some(f)) => Some(ch_cache_beside(&base.join(f))),
            (None, None) => None,
        },
        targets: file.targets.clone(),
        sim: file.simulation.clone(),
        file,
    })
}

/// True when `e` is a failure to read `path` itself.
fn unreadable(e: &Error, path: &Path) -> bool {
    matches!(e, Error::Read { path: p, .. } if p == path)
}

/// A file named by the scenario cannot be read: say which field names it.
fn name_field(ck: &Check<'_>, e: Error, field: &str) -> Error {
    match e {
        Error::Read { path, source } => {
            ck.err(field, format!("cannot read {}: {source}", path.display()))
        }
        e => e,
    }
}

/// Snaps a place for a field, naming what it is.
type PlaceFn<'a> = dyn Fn(String, Place, &str) -> Result<(NodeId, f64)> + 'a;

/// Resolve `[[patrols]]`: stations and waypoints by name or coordinates;
/// an `auto = true` entry becomes the loops the designer proposes.
fn resolve_patrols(
    ck: &Check<'_>,
    file: &ScenarioFile,
    net: &Network,
    stations: &[Station],
    hotspots: &[Hotspot],
    place: &PlaceFn<'_>,
) -> Result<Vec<Patrol>> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut autos = 0;
    let mut auto = None;
    for (i, p) in file.patrols.iter().enumerate() {
        let field = format!("patrols[{i}]");
        if !names.insert(p.name.as_str()) {
            return Err(ck.err(
                format!("{field}.name"),
                format!("duplicate patrol name `{}`", p.name),
            ));
        }
        if p.units == 0 {
            return Err(ck.err(
                format!("{field}.units"),
                format!("patrol `{}` has 0 units; it needs at least 1", p.name),
            ));
        }
        if let Some(m) = p.max_priority {
            if m > 9 {
                return Err(ck.err(
                    format!("{field}.max_priority"),
                    format!("must be 0 (never) to 9, got {m}"),
                ));
            }
        }
        if p.auto {
            autos += 1;
            if autos > 1 {
                return Err(ck.err(
                    format!("{field}.auto"),
                    "only one [[patrols]] entry may have auto = true",
                ));
            }
            if p.station.is_some() || !p.waypoints.is_empty() {
                return Err(ck.err(
                    format!("{field}.auto"),
                    format!(
                        "patrol `{}` has auto = true: leave out station and waypoints, \
                         the loops are designed from all stations and hotspots",
                        p.name
                    ),
                ));
            }
            auto = Some(p);
            continue;
        }
        let Some(sname) = &p.station else {
            return Err(ck.err(
                format!("{field}.station"),
                format!("patrol `{}` needs a home station (or auto = true)", p.name),
            ));
        };
        let Some(station) = stations.iter().position(|s| &s.name == sname) else {
            return Err(ck.err(
                format!("{field}.station"),
                format!("patrol `{}`: no station is named `{sname}`", p.name),
            ));
        };
        if p.waypoints.is_empty() {
            return Err(ck.err(
                format!("{field}.waypoints"),
                format!("patrol `{}` has no waypoints", p.name),
            ));
        }
        let mut waypoints = Vec::with_capacity(p.waypoints.len());
        for (k, w) in p.waypoints.iter().enumerate() {
            let wf = format!("{field}.waypoints[{k}]");
            waypoints.push(match w {
                WaypointSpec::Name(n) => {
                    if let Some(h) = hotspots.iter().position(|h| &h.name == n) {
                        Waypoint {
                            node: hotspots[h].node,
                            hotspot: Some(h),
                            label: n.clone(),
                        }
                    } else if let Some(s) = stations.iter().find(|s| &s.name == n) {
                        Waypoint {
                            node: s.node,
                            hotspot: None,
                            label: n.clone(),
                        }
                    } else {
                        return Err(ck.err(
                            wf,
                            format!("patrol `{}`: no hotspot or station is named `{n}`", p.name),
                        ));
                    }
                }
                WaypointSpec::Point { lon, lat } => {
                    let at = Place {
                        node: None,
                        lon: Some(*lon),
                        lat: Some(*lat),
                    };
                    let (node, _) = place(wf, at, &p.name)?;
                    Waypoint {
                        node,
                        hotspot: None,
                        label: format!("({lon}, {lat})"),
                    }
                }
            });
        }
        out.push(Patrol {
            name: p.name.clone(),
            station,
            units: p.units,
            waypoints,
            rejoin: p.rejoin,
            max_priority: p.max_priority.unwrap_or(u8::MAX),
        });
    }
    if let Some(spec) = auto {
        // Design loops through the hotspots no explicit loop passes.
        let mut covered = vec![false; hotspots.len()];
        for w in out.iter().flat_map(|p| &p.waypoints) {
            if let Some(h) = w.hotspot {
                covered[h] = true;
            }
        }
        let open: Vec<usize> = (0..hotspots.len()).filter(|&h| !covered[h]).collect();
        out.extend(auto_patrols(net, stations, hotspots, &open, file, spec));
    }
    Ok(out)
}

/// The loops the designer proposes through the hotspots `open`, as patrols
/// named after the auto entry.
fn auto_patrols(
    net: &Network,
    stations: &[Station],
    hotspots: &[Hotspot],
    open: &[usize],
    file: &ScenarioFile,
    spec: &super::file::PatrolSpec,
) -> Vec<Patrol> {
    if open.is_empty() {
        return Vec::new();
    }
    let snodes: Vec<NodeId> = stations.iter().map(|s| s.node).collect();
    let hnodes: Vec<NodeId> = open.iter().map(|&h| hotspots[h].node).collect();
    let design =
        crate::analysis::patrol_design::design(net, &snodes, &hnodes, file.targets.patrol_loop_s);
    let station_names: Vec<String> = stations.iter().map(|s| s.name.clone()).collect();
    let names = design.loop_names(&station_names);
    design
        .loops
        .iter()
        .zip(names)
        .map(|(l, name)| {
            let st = &stations[l.station];
            let mut waypoints = vec![Waypoint {
                node: st.node,
                hotspot: None,
                label: st.name.clone(),
            }];
            waypoints.extend(l.hotspots.iter().map(|&i| Waypoint {
                node: hotspots[open[i]].node,
                hotspot: Some(open[i]),
                label: hotspots[open[i]].name.clone(),
            }));
            Patrol {
                name: format!("{}: {name}", spec.name),
                station: l.station,
                units: spec.units,
                waypoints,
                rejoin: spec.rejoin,
                max_priority: spec.max_priority.unwrap_or(u8::MAX),
            }
        })
        .collect()
}

fn resolve_place(
    ck: &Check<'_>,
    net: &Network,
    snapper: &Snapper,
    snap_max_m: f64,
    field: String,
    p: Place,
    what: &str,
) -> Result<(NodeId, f64)> {
    match (p.node, p.lon, p.lat) {
        (Some(id), None, None) => net.node_by_ext(id).map(|v| (v, 0.0)).ok_or_else(|| {
            ck.err(
                format!("{field}.node"),
                format!(
                    "`{what}`: node {id} is not on the network (unknown id, or dropped \
                     with a part of the graph not strongly connected to the rest)"
                ),
            )
        }),
        (None, Some(x), Some(y)) => {
            for (v, axis, range) in [(x, "lon", 180.0), (y, "lat", 90.0)] {
                if !v.is_finite() {
                    return Err(ck.err(
                        format!("{field}.{axis}"),
                        format!("`{what}`: not a finite coordinate"),
                    ));
                }
                if net.projection.coords == CoordSystem::LonLat && v.abs() > range {
                    return Err(ck.err(
                        format!("{field}.{axis}"),
                        format!("`{what}`: {v:?} is outside -{range}..{range}"),
                    ));
                }
            }
            let s = snapper.nearest(net, [x, y]);
            if s.distance_m.is_nan() || s.distance_m > snap_max_m {
                return Err(ck.err(
                    format!("{field}.lon"),
                    format!(
                        "`{what}` at ({x:?}, {y:?}) is {:.0} m from the nearest road node, more \
                         than network.snap_max_m = {snap_max_m} m: off the map?",
                        s.distance_m
                    ),
                ));
            }
            Ok((s.node, s.distance_m))
        }
        (Some(_), _, _) => Err(ck.err(
            format!("{field}.node"),
            format!("`{what}`: give either node or lon/lat, not both"),
        )),
        _ => Err(ck.err(
            format!("{field}.lon"),
            format!("`{what}`: needs node = <id>, or both lon and lat"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "a = 1\nb = x\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 10), (2, 5));
    }
}
