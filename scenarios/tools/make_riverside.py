#!/usr/bin/env python3
"""Write scenarios/riverside-baseline.toml and scenarios/riverside-more-stations.toml.

Two layouts of one synthetic river city (13 km, three districts, few bridges) for planners to
compare: the baseline's 9 stations, and the same plus 4 stations at the bridgeheads, where the
baseline's calls wait longest. Run from the repository root:
    python3 scenarios/tools/make_riverside.py
"""
import math
import sys

sys.path.insert(0, "scenarios/tools")
from rivercity import RiverCity  # noqa: E402

ROWS = COLS = 120
BLOCK = 110.0
CITY = RiverCity(ROWS, COLS, BLOCK, width=300.0)


def snap_dry(p):
    """Move a point off the water, away from the river, a little at a time."""
    x, y = p
    for k in range(200):
        if CITY.dry((x, y), 250) and CITY.inside((x, y)):
            return (x, y)
        a = k * 2.399963
        r = 60.0 * math.sqrt(k + 1)
        x, y = p[0] + r * math.cos(a), p[1] + r * math.sin(a)
    raise SystemExit(f"no dry point near {p}")


def header(name, description):
    return f'''# {description}
#
# The network is synthetic: a river city of about 14,000 intersections on a 13 km square, split
# into three districts by a main river (3 bridges) and a tributary (2 bridges). Compare with
#   patrolsim run scenarios/riverside-baseline.toml --out base
#   patrolsim run scenarios/riverside-more-stations.toml --out more
# Both layouts see exactly the same calls (same seed, same city, same hotspots).

name = "{name}"
description = "{description}"

[network]
synthetic = {{ seed = 5, rows = {ROWS}, cols = {COLS}, block_m = {BLOCK}, rings = 1, radials = 8, rivers = true, river_width_m = 300.0, bridges = 3, tributary_bridges = 2 }}

[demand]
calls_per_hour = 18
hourly_profile = [0.6, 0.5, 0.4, 0.35, 0.3, 0.35, 0.5, 0.8, 1.0, 1.1, 1.2, 1.25,
                  1.25, 1.2, 1.2, 1.25, 1.35, 1.45, 1.5, 1.5, 1.4, 1.2, 1.0, 0.8]
priority_shares = [0.2, 0.5, 0.3]
hotspot_share = 0.3

[service]
on_scene = [{{ distribution = "lognormal", mean_s = 1200, sd_s = 600 }}]

[simulation]
horizon_s = 86400
seed = 3
'''


def place(kind, name, p, extra=""):
    lon, lat = CITY.lonlat(snap_dry(p))
    return f'[[{kind}]]\nname = "{name}"\nlon = {lon:.5f}\nlat = {lat:.5f}\n{extra}\n'


hx, hy = CITY.hx, CITY.hy
base = [(-0.6, 0.6), (0.0, 0.65), (0.6, 0.7), (-0.65, -0.05), (-0.3, 0.25),
        (0.5, -0.1), (0.0, -0.55), (0.6, -0.6), (-0.6, -0.6)]
extra = [(-0.1, 0.12), (0.15, -0.1), (-0.45, 0.1), (0.35, 0.25)]
hot = [("hospital", "Hospital North", (-0.3, 0.45)), ("hospital", "Hospital East", (0.4, -0.3)),
       ("mall", "Old Town Market", (-0.5, -0.25)), ("school", "University", (0.7, -0.75)),
       ("mall", "Riverside Mall", (0.1, 0.3))]


def write(path, name, description, stations):
    out = [header(name, description)]
    for i, (x, y) in enumerate(stations):
        out.append(place("stations", f"Station {i + 1}", (x * hx, y * hy), "units = 2"))
    for kind, hname, (x, y) in hot:
        out.append(place("hotspots", hname, (x * hx, y * hy), f'kind = "{kind}"'))
    open(path, "w").write("".join(out))


write("scenarios/riverside-baseline.toml", "riverside-baseline",
      "Riverside, baseline layout: 9 stations x 2 units", base)
write("scenarios/riverside-more-stations.toml", "riverside-more-stations",
      "Riverside, 4 more stations at the bridgeheads: 13 stations x 2 units", base + extra)
