#!/usr/bin/env python3
"""Write scenarios/megacity-year.toml.

A year of a ten-million city (issue 8): a synthetic river city of about
276,000 intersections, 52 street police service stations with 200 response
units, must-patrol places (hospitals, commercial districts, universities) on
round-the-clock loops designed by patrolsim, and about 1,000,000 calls in 365
days. Stations and places are laid out once, deterministically (seeded), on
the city that the scenario's [network] generates; the river geometry mirrors
`SyntheticSpec::river_lines` in src/network/synthetic.rs. Run from the
repository root:

    python3 scenarios/tools/make_megacity.py > scenarios/megacity-year.toml
"""
import math
import random
import sys

from rivercity import RiverCity, write_hotspots, write_service_to_targets, write_stations

# The city: 535 x 535 intersections 60 m apart (a 32 km square); the rivers
# take about 3 % of them, and 276,330 are kept (largest strongly connected part).
ROWS = COLS = 535
BLOCK_M = 60.0
RIVER_WIDTH_M = 800.0
CITY = RiverCity(ROWS, COLS, BLOCK_M, RIVER_WIDTH_M)
HX, HY = CITY.hx, CITY.hy
CENTRES = CITY.centres
dry, inside = CITY.dry, CITY.inside

STATIONS = 52
STATION_UNITS = 200          # 44 stations x 4 + 8 x 3
HOSPITALS = 235
COMMERCIAL = 105
UNIVERSITIES = 140
UNITS_PER_LOOP = 3
LOOPS = 102                  # what `patrolsim check` reports for the places above (for the comments)
CALLS_PER_YEAR = 1_000_000
HORIZON_S = 365 * 86400

if len(sys.argv) > 1:        # for trying other counts: HOSPITALS COMMERCIAL UNIVERSITIES UNITS_PER_LOOP
    HOSPITALS, COMMERCIAL, UNIVERSITIES, UNITS_PER_LOOP = map(int, sys.argv[1:5])

rng = random.Random(2027)


def uniform_dry(n, margin=250.0):
    """n dry points spread uniformly over the city (inside its outer 4 %)."""
    pts = []
    while len(pts) < n:
        p = (rng.uniform(-HX, HX), rng.uniform(-HY, HY))
        if inside(p, 0.96) and dry(p, margin):
            pts.append(p)
    return pts


def kmeans(points, k, iters=30):
    """Lloyd's k-means from a k-means++ start: k centres that split the points evenly."""
    centres = [rng.choice(points)]
    d2 = [math.inf] * len(points)
    while len(centres) < k:
        c = centres[-1]
        d2 = [min(d, (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2) for d, p in zip(d2, points)]
        r = rng.uniform(0, sum(d2))
        acc = 0.0
        for p, d in zip(points, d2):
            acc += d
            if acc >= r:
                centres.append(p)
                break
    for _ in range(iters):
        sums = [[0.0, 0.0, 0] for _ in centres]
        for p in points:
            j = min(range(k), key=lambda i: (p[0] - centres[i][0]) ** 2 + (p[1] - centres[i][1]) ** 2)
            s = sums[j]
            s[0] += p[0]
            s[1] += p[1]
            s[2] += 1
        centres = [(s[0] / s[2], s[1] / s[2]) if s[2] else c for s, c in zip(sums, centres)]
    # Move each centre to the nearest sample point (dry land, on the map).
    return [min(points, key=lambda p: (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2) for c in centres]


def draw(taken, min_gap, near=None, spread=0.0, outer=False):
    """A dry point at least min_gap from every taken point: near a district centre
    (Gaussian), towards the edge of the city, or anywhere."""
    for _ in range(100000):
        if near is not None:
            c = CENTRES[near]
            p = (c[0] + rng.gauss(0, spread), c[1] + rng.gauss(0, spread))
        elif outer:
            a = rng.uniform(0, 2 * math.pi)
            r = rng.uniform(0.45, 0.95)
            p = (r * HX * math.cos(a), r * HY * math.sin(a))
        else:
            p = (rng.uniform(-HX, HX), rng.uniform(-HY, HY))
        if (inside(p) and dry(p)
                and all(math.hypot(p[0] - q[0], p[1] - q[1]) > min_gap for q in taken)):
            taken.append(p)
            return p
    raise SystemExit("could not place a point")


def main():
    sample = uniform_dry(6000)
    stations = kmeans(sample, STATIONS)
    # The 8 stations farthest from the centre (the outskirts) get 3 units, the rest 4.
    by_dist = sorted(stations, key=lambda p: math.hypot(p[0], p[1]))
    three = set(by_dist[-(4 * STATIONS - STATION_UNITS):])
    stations.sort(key=lambda p: (-p[1], p[0]))
    districts = ["Hankou", "Wuchang", "Hanyang"]
    taken = list(stations)
    places = []
    for k in range(HOSPITALS):
        d = districts[k % 3]
        # Two in three near a district centre, the rest anywhere in the city.
        p = draw(taken, 500, d, 0.35 * HX) if k % 3 != 2 else draw(taken, 500)
        places.append(("hospital", f"Hospital {k + 1:03d}", p, 1.5))
    for k in range(COMMERCIAL):
        d = districts[k % 3]
        places.append(("mall", f"Commercial district {k + 1:02d}", draw(taken, 600, d, 0.25 * HX), 2.0))
    for k in range(UNIVERSITIES):
        places.append(("school", f"University {k + 1:02d}", draw(taken, 600, outer=True), 1.0))

    calls_per_hour = CALLS_PER_YEAR / (HORIZON_S / 3600)
    n_places = len(places)
    out = []
    w = out.append
    w("# A year of a ten-million city: the megacity benchmark scenario of issue 8.")
    w("#")
    w("# The network is SYNTHETIC (no download needed): a 32 km square river city of 535 x 535")
    w("# intersections 60 m apart, of which 276,330 are kept after the rivers and the largest strongly")
    w("# connected part -- the size the issue counts for Porto's OSM road nodes (276k). Two rivers split")
    w("# it into three districts, as the Yangtze and the Han split Wuhan; the main river is 800 m wide")
    w("# with 10 bridges, the tributary 400 m with 6. Three ring roads (70 km/h) and 16 radial arterials")
    w("# (50 km/h) cross the grid of local streets (30 km/h) and arterials every 8 blocks (50 km/h).")
    w("#")
    w("# The layout follows the ten-million-city programme: 52 street police service stations, spread")
    w("# evenly over the city (k-means over dry land), with 200 response units (4 each, 3 at the 8 stations")
    w(f"# farthest out); {n_places} must-patrol places ({HOSPITALS} hospitals, {COMMERCIAL} commercial districts,")
    w(f"# {UNIVERSITIES} universities), each on a round-the-clock loop designed by patrolsim")
    w(f"# (`patrolsim patrols design`): every loop starts at a station and closes within 15 minutes; {UNITS_PER_LOOP} cars")
    w("# drive each loop, leaving it only for the most urgent calls (max_priority = 1). patrolsim")
    w(f"# designs {LOOPS} loops, so {LOOPS * UNITS_PER_LOOP} patrol cars: {STATION_UNITS + LOOPS * UNITS_PER_LOOP} units in all "
      "(the issue: 500, about 300 on loops).")
    w("# About 1,000,000 calls in 365 days.")
    w("#")
    w("# Written by scenarios/tools/make_megacity.py (seeded: rerunning it gives this file).")
    w("# A year takes a while; to try it quickly, copy the file and shorten simulation.horizon_s.")
    w("")
    w('name = "megacity-year"')
    w(f'description = "Ten-million river city (synthetic, 276k intersections): 52 stations, {n_places} '
      f'must-patrol places on loops, a year of about 1,000,000 calls"')
    w("")
    w("[network]")
    w(f"synthetic = {{ seed = 8, rows = {ROWS}, cols = {COLS}, block_m = {BLOCK_M}, rings = 3, radials = 16, "
      f"rivers = true, river_width_m = {RIVER_WIDTH_M}, bridges = 10, tributary_bridges = 6, "
      "center_lon = 114.30, center_lat = 30.59 }")
    w("snap_max_m = 500")
    w("")
    w("[demand]")
    w(f"# {CALLS_PER_YEAR:,} calls / (365 x 24 h) = {calls_per_hour:.3f} calls per hour on average; the")
    w("# daily profile below is rescaled to mean 1, so it shapes the day without changing the total.")
    w(f"calls_per_hour = {calls_per_hour:.3f}")
    w("hourly_profile = [0.6, 0.5, 0.4, 0.35, 0.3, 0.35, 0.5, 0.8, 1.0, 1.1, 1.2, 1.25,")
    w("                  1.25, 1.2, 1.2, 1.25, 1.35, 1.45, 1.5, 1.5, 1.4, 1.2, 1.0, 0.8]")
    w("# Priority 1 (urgent: the only calls loop cars leave their loop for), 2 and 3.")
    w("priority_shares = [0.15, 0.45, 0.40]")
    w("# 30 % of calls fall within 400 m of a must-patrol place, the rest anywhere in the city.")
    w("hotspot_share = 0.3")
    w("hotspot_radius_m = 400")
    w("")
    w("[service]")
    w("# Mean time on scene about 870 s: with travel, some 33 units are busy on average (mean")
    w("# utilisation 6.5 %; station units about 13 %), so a call almost never waits for a free unit.")
    write_service_to_targets(w)
    w("")
    w("[simulation]")
    w("# 365 days. The first day is warm-up (units start at home and evenly round their loops; a")
    w("# day is far longer than any unit's busy spell) and is simulated but not counted.")
    w(f"horizon_s = {HORIZON_S}")
    w("warmup_s = 86400")
    w("seed = 1")
    w("")
    w(f"# ---- {STATIONS} street police service stations ({STATION_UNITS} station units)")
    write_stations(w, CITY, stations, lambda p: 3 if p in three else 4)
    w(f"# ---- {n_places} must-patrol places: hospitals around the district centres and across the")
    w("# city, commercial districts near the centres, universities towards the edges. The weight is")
    w("# each place's relative share of the calls that fall near places.")
    write_hotspots(w, CITY, places)
    w("# ---- Round-the-clock loops through every must-patrol place: each starts at a station and")
    w(f"# closes within 15 minutes. {UNITS_PER_LOOP} cars per loop, spread evenly round it, which leave the")
    w("# loop only for priority-1 calls. Designed once by `patrolsim patrols design --units 3` on this")
    w("# file with `[[patrols]] auto = true` (a minute on this city) and pasted from")
    w("# scenarios/tools/megacity-patrols.toml, so that loading takes seconds, not a minute.")
    w("")
    import os
    frag = os.path.join(os.path.dirname(os.path.abspath(__file__)), "megacity-patrols.toml")
    for line in open(frag).read().splitlines():
        w(line)
        if line.startswith("units = "):
            w("max_priority = 1")
    print("\n".join(out))


main()
