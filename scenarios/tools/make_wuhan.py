#!/usr/bin/env python3
"""Write scenarios/wuhan-three-circles.toml.

The places (stations, hospitals, commercial districts, universities, armed
patrol points) are laid out once, deterministically, on the synthetic river
city that the scenario's [network] generates; the river geometry here mirrors
`SyntheticSpec::river_lines` in src/network/synthetic.rs. Run from the
repository root:

    python3 scenarios/tools/make_wuhan.py > scenarios/wuhan-three-circles.toml
"""
import math
import random

from rivercity import RiverCity, station_names, write_hotspots, write_service_to_targets, write_stations

CITY = RiverCity(200, 200, 110.0)
HX, HY = CITY.hx, CITY.hy
CENTRES = CITY.centres
dry, inside, district = CITY.dry, CITY.inside, CITY.district


rng = random.Random(2026)


def draw(near, spread, want, taken, min_gap=900.0, outer=False):
    """A dry point in the city, near a district centre or towards the edge."""
    for _ in range(10000):
        if outer:
            a = rng.uniform(0, 2 * math.pi)
            r = rng.uniform(0.55, 0.9)
            p = (r * HX * math.cos(a), r * HY * math.sin(a))
        else:
            c = CENTRES[near]
            p = (c[0] + rng.gauss(0, spread), c[1] + rng.gauss(0, spread))
        if (inside(p) and dry(p) and (want is None or district(p) == want)
                and all(math.hypot(p[0] - q[0], p[1] - q[1]) > min_gap for q in taken)):
            taken.append(p)
            return p
    raise SystemExit("could not place a point")


def main():
    out = []
    w = out.append
    w('# Wuhan "three circles": the layout of the programme this tool models, on a synthetic river city.')
    w("#")
    w("# 52 street police service stations, 24 tertiary hospitals, 8 major commercial districts and")
    w("# 23 universities as must-patrol places, 72 armed patrol points, round-the-clock patrol loops that")
    w("# must close within 15 minutes, and a 5-minute response target.")
    w("#")
    w("# The network is SYNTHETIC: a 22 km city of about 39,000 intersections that two rivers split into")
    w("# three districts, as the Yangtze and the Han split Wuhan into Hankou, Hanyang and Wuchang, with")
    w("# six bridges over the main river and four over the tributary, three ring roads and twelve radial")
    w("# arterials. Place names are generic; positions were laid out by scenarios/tools/make_wuhan.py.")
    w("#")
    w("# To run it on the real city, replace the [network] table with an OpenStreetMap extract, e.g.")
    w('#   [network]')
    w('#   osm = "wuhan.osm.pbf"        # e.g. cut from a China extract with osmium-tool')
    w("# and give the stations and places real coordinates (lon/lat); snapping puts them on the roads.")
    w("")
    w('name = "wuhan-three-circles"')
    w('description = "Three-district river city (synthetic): 52 stations, 55 must-patrol places, 72 armed posts"')
    w("")
    w("[network]")
    w("synthetic = { seed = 11, rows = 200, cols = 200, block_m = 110.0, rings = 3, radials = 12, "
      "rivers = true, river_width_m = 400.0, bridges = 6, tributary_bridges = 4, "
      "center_lon = 114.30, center_lat = 30.59 }")
    w("snap_max_m = 500")
    w("")
    w("[demand]")
    w("# About 3,800 calls a day in the urban core.")
    w("calls_per_hour = 160")
    w("hourly_profile = [0.6, 0.5, 0.4, 0.35, 0.3, 0.35, 0.5, 0.8, 1.0, 1.1, 1.2, 1.25,")
    w("                  1.25, 1.2, 1.2, 1.25, 1.35, 1.45, 1.5, 1.5, 1.4, 1.2, 1.0, 0.8]")
    w("priority_shares = [0.15, 0.45, 0.40]")
    w("hotspot_share = 0.35")
    w("hotspot_radius_m = 500")
    w("")
    w("[service]")
    write_service_to_targets(w)
    w("")
    w("[simulation]")
    w("horizon_s = 86400")
    w("seed = 1")
    w("")
    # Stations: a jittered lattice over the dry city, 52 of them.
    taken = []
    cands = []
    n = 8
    for i in range(n):
        for j in range(n):
            p = ((-1 + (2 * i + 1) / n) * HX * 0.92 + rng.uniform(-400, 400),
                 (-1 + (2 * j + 1) / n) * HY * 0.92 + rng.uniform(-400, 400))
            if inside(p) and dry(p, 250):
                cands.append(p)
    # Keep the 52 closest to the centre (the urban core), in a stable order.
    cands.sort(key=lambda p: (math.hypot(p[0] / HX, p[1] / HY), p))
    stations = sorted(cands[:52], key=lambda p: (-p[1], p[0]))
    w("# ---- 52 street police service stations, 3 response units each")
    write_stations(w, CITY, stations, lambda p: 3)
    taken = list(stations)
    places = []
    for k in range(24):
        d = ["Hankou", "Wuchang", "Hanyang"][k % 3]
        places.append(("hospital", f"Tertiary hospital {k + 1:02d}", draw(d, 0.22 * HX, d, taken, 800), 1.5))
    for k in range(8):
        d = ["Hankou", "Wuchang", "Hanyang", "Hankou"][k % 4]
        places.append(("mall", f"Commercial district {k + 1}", draw(d, 0.15 * HX, d, taken, 1200), 2.0))
    for k in range(23):
        places.append(("school", f"University {k + 1:02d}", draw(None, 0, None, taken, 1200, outer=True), 1.0))
    w("# ---- 55 must-patrol places: 24 tertiary hospitals and 8 commercial districts near the district")
    w("# centres, 23 universities towards the edges")
    write_hotspots(w, CITY, places)
    w("# ---- 72 armed patrol points: a unit stands at each (a post), leaving it only for urgent calls")
    posts = []
    for k in range(72):
        d = ["Hankou", "Wuchang", "Hanyang"][k % 3]
        posts.append((f"Armed patrol point {k + 1:02d}", draw(d, 0.35 * HX, d, taken, 700)))
    write_hotspots(w, CITY, [("other", name, p, 0.5) for name, p in posts])
    names = station_names(CITY, stations)
    for name, p in posts:
        best = min(range(len(stations)), key=lambda i: math.hypot(stations[i][0] - p[0], stations[i][1] - p[1]))
        w("[[patrols]]")
        w(f'name = "Post: {name}"')
        w(f'station = "{names[best]}"')
        w(f'waypoints = ["{name}"]')
        w("max_priority = 1")
        w("")
    w("# ---- Round-the-clock loops through the 55 must-patrol places, designed by patrolsim:")
    w("# each starts at a station and closes within 15 minutes (see `patrolsim patrols design`).")
    w("[[patrols]]")
    w('name = "Loop"')
    w("auto = true")
    w("units = 1")
    w("max_priority = 1")
    print("\n".join(out))


main()
